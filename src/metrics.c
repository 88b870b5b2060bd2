/* metrics: the process's side of the metrics; see metrics.h. */
#include "metrics.h"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "metrics_file.h"
#include "metrics_text.h"

#define VIEW_REPLICAS 64

static struct metrics_counters *M;   /* NULL: off */
static struct metrics_shm *shm;      /* the file's mapping, or NULL */
static struct metrics_slot *slot;    /* ours, NULL: the overflow count */
static const char *metrics_path;     /* "" or NULL: no page */
static const struct upstream_pool *replicas;

static void add(_Atomic uint64_t *p, uint64_t n)
{
	atomic_fetch_add_explicit(p, n, memory_order_relaxed);
}

static void in_flight(int64_t d)
{
	if (M == NULL)
		return;
	atomic_fetch_add_explicit(slot != NULL ? &slot->in_flight : &M->in_flight_overflow, d,
				  memory_order_relaxed);
}

/* 1 while process pid runs (or runs as someone we may not signal). */
static int alive(int64_t pid)
{
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* Whether pass may take a slot that holds old: 0, a slot a dead process
 * of our pid left (its count is stale, and it would count us twice); 1,
 * a free one; 2, one of a process that is gone. */
static int may_take(int pass, int64_t old, int64_t pid)
{
	if (pass == 0)
		return old == pid;
	if (pass == 1)
		return old == 0;
	return old != 0 && !alive(old);
}

/* Our slot (see may_take); NULL when every slot is a live process's. */
static struct metrics_slot *slot_claim(struct metrics_counters *c, int64_t pid)
{
	for (int pass = 0; pass < 3; pass++)
		for (int i = 0; i < METRICS_SLOTS; i++) {
			struct metrics_slot *s = &c->slot[i];
			int64_t old = atomic_load(&s->pid);

			if (may_take(pass, old, pid) && atomic_compare_exchange_strong(&s->pid, &old, pid)) {
				atomic_store(&s->in_flight, 0);
				return s;
			}
		}
	return NULL;
}

int metrics_init(const struct conf *c, const struct upstream_pool *pool, char *err,
		 size_t errlen)
{
	const char *urls[VIEW_REPLICAS];
	size_t n = pool != NULL && pool->n < VIEW_REPLICAS ? pool->n : VIEW_REPLICAS;
	int on_path = c->metrics_path != NULL && *c->metrics_path != '\0';

	if (!on_path && c->metrics_file == NULL)
		return 0;
	for (size_t i = 0; pool != NULL && i < n; i++)
		urls[i] = pool->v[i].url;
	if (c->metrics_file != NULL) {
		shm = metrics_file_open(c->metrics_file, urls, pool != NULL ? n : 0, err, errlen);
		if (shm == NULL)
			return -1;
		M = &shm->c;
	} else {
		M = xmalloc(sizeof(*M));
		memset(M, 0, sizeof(*M));
		for (size_t i = 0; pool != NULL && i < n; i++)
			metrics_replica_add(M, urls[i]);
	}
	slot = slot_claim(M, (int64_t)getpid());
	metrics_path = c->metrics_path;
	replicas = pool;
	return 0;
}

void metrics_close(void)
{
	if (M == NULL)
		return;
	if (slot != NULL) {
		atomic_store(&slot->in_flight, 0);
		atomic_store(&slot->pid, 0);
	}
	if (shm != NULL)
		metrics_file_close(shm);
	else
		free(M);
	M = NULL, shm = NULL, slot = NULL, replicas = NULL;
}

void metrics_start(void)
{
	in_flight(1);
}

static void hist_add(struct metrics_hist *h, int64_t ms)
{
	if (ms < 0)
		return;
	add(&h->bucket[metrics_bucket(ms)], 1);
	add(&h->sum_ms, (uint64_t)ms);
}

void metrics_record(const struct outcome *o)
{
	if (M == NULL)
		return;
	add(&M->requests[metrics_code(o->code)][metrics_method(o->method)], 1);
	for (int c = CAUSE_NONE + 1; c < CAUSE_MAX; c++)
		if (o->failed[c] > 0)
			add(&M->errors[c], o->failed[c]); /* every failed attempt */
	if (o->attempts > 1)
		add(&M->retries, o->attempts - 1);
	add(&M->bytes_in, o->bytes_in);
	add(&M->bytes_out, o->bytes_out);
	if (o->attempts > 0) {
		hist_add(&M->upstream, o->upstream_ms);
		hist_add(&M->first_byte, o->first_byte_ms);
	}
	in_flight(-1);
}

void metrics_mark_down(const char *url, int64_t until_ms)
{
	int row = M != NULL ? metrics_replica_row(M, url) : -1;

	if (row >= 0)
		atomic_store_explicit(&M->replica[row].down_until_ms, until_ms, memory_order_relaxed);
}

int metrics_is_path(const struct conf *c, const char *t)
{
	const char *p = c->metrics_path;

	return M != NULL && p != NULL && *p != '\0' && strcmp(p, t) == 0;
}

/* The gauges beside the counters: in flight and processes over the live
 * slots, each replica's mark (the pool's or the file's). */
static void view_fill(struct metrics_view *v, struct metrics_replica_view *rv)
{
	int64_t now = clock_now_ms();
	size_t n = replicas != NULL ? replicas->n : 0;

	memset(v, 0, sizeof(*v));
	v->c = M;
	v->version = PACKAGE_VERSION;
	v->in_flight = atomic_load_explicit(&M->in_flight_overflow, memory_order_relaxed);
	for (int i = 0; i < METRICS_SLOTS; i++) {
		int64_t pid = atomic_load_explicit(&M->slot[i].pid, memory_order_relaxed);
		if (pid == 0 || !alive(pid))
			continue;
		v->processes++;
		v->in_flight += atomic_load_explicit(&M->slot[i].in_flight, memory_order_relaxed);
	}
	for (size_t i = 0; i < n && i < VIEW_REPLICAS; i++) {
		int row = metrics_replica_row(M, replicas->v[i].url);
		int64_t until = atomic_load(&replicas->v[i].down_until_ms);
		if (row >= 0 && atomic_load(&M->replica[row].down_until_ms) > until)
			until = atomic_load(&M->replica[row].down_until_ms);
		rv[i].url = replicas->v[i].url;
		rv[i].up = until <= now;
		v->n_replicas = i + 1;
	}
	v->replicas = rv;
}

/* The 200 answer: the header block, then the text (not for HEAD). */
static int page_ok(int head, struct buf *out)
{
	struct metrics_replica_view rv[VIEW_REPLICAS];
	struct metrics_view v;
	struct buf text;
	int rc;

	buf_init(&text, out->max);
	view_fill(&v, rv);
	rc = metrics_text(&v, &text);
	if (rc == 0)
		rc = buf_printf(out, "Status: 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
				     "Cache-Control: no-store\r\n\r\n",
				METRICS_CONTENT_TYPE, text.len);
	if (rc == 0 && !head)
		rc = buf_append(out, text.ptr, text.len);
	buf_free(&text);
	return rc;
}

int metrics_page(const char *method, struct buf *out)
{
	static const char no[] = "thanos-fcgi: the metrics path answers GET and HEAD only\n";
	int head = strcmp(method, "HEAD") == 0, rc;

	buf_reset(out);
	in_flight(-1);
	if (M != NULL && (head || strcmp(method, "GET") == 0))
		rc = page_ok(head, out);
	else
		rc = buf_printf(out, "Status: 405 Method Not Allowed\r\nAllow: GET, HEAD\r\n"
				     "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
				     "Cache-Control: no-store\r\n\r\n%s",
				sizeof(no) - 1, no);
	if (rc != 0)
		buf_reset(out);
	return rc;
}
