/* Unit tests for metrics_file.c (the header check, a table; create, map,
 * reopen, refuse) and for metrics.c over a file: processes that add into
 * one file, a process that dies without giving its slot back. */
#include <check.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "metrics.h"
#include "metrics_file.h"

static char dir[] = "/tmp/test_metrics_file.XXXXXX";

static void path_of(char *p, size_t n, const char *name)
{
	snprintf(p, n, "%s/%s", dir, name);
}

enum edit { E_NONE, E_MAGIC, E_VERSION, E_HEADER_SIZE, E_SIZE };

static const struct {
	enum edit edit;
	long long file_size; /* -1: the layout's */
	const char *why;     /* NULL: accepted */
} header_cases[] = {
	{E_NONE, -1, NULL},
	{E_MAGIC, -1, "not a thanos-fcgi metrics file"},
	{E_NONE, 63, "not a thanos-fcgi metrics file"},
	{E_NONE, 0, "not a thanos-fcgi metrics file"},
	{E_VERSION, -1, "made by another thanos-fcgi version (another layout)"},
	{E_HEADER_SIZE, -1, "made by another thanos-fcgi version (another layout)"},
	{E_SIZE, -1, "made by another thanos-fcgi version (another layout)"},
	{E_NONE, 4096, "its size is not the one its header gives"},
};

START_TEST(test_header)
{
	struct metrics_header h;
	const char *why = NULL;
	uint64_t size = header_cases[_i].file_size < 0 ? sizeof(struct metrics_shm)
						       : (uint64_t)header_cases[_i].file_size;
	int rc;

	metrics_header_init(&h);
	switch (header_cases[_i].edit) {
	case E_MAGIC: h.magic[0] = 'X'; break;
	case E_VERSION: h.version++; break;
	case E_HEADER_SIZE: h.header_size = 32; break;
	case E_SIZE: h.size += 8; break;
	case E_NONE: break;
	}
	rc = metrics_header_check(&h, size, &why);
	if (header_cases[_i].why == NULL) {
		ck_assert_msg(rc == 0, "row %d: refused: %s", _i, why);
	} else {
		ck_assert_msg(rc == -1, "row %d: accepted", _i);
		ck_assert_msg(strcmp(why, header_cases[_i].why) == 0, "row %d: '%s'", _i, why);
	}
}
END_TEST

START_TEST(test_create_reopen)
{
	const char *urls[] = {"http://a:1", "http://b:2"};
	const char *urls2[] = {"http://b:2", "http://c:3"};
	char p[256], err[512];
	struct metrics_shm *m1, *m2;
	struct stat st;

	path_of(p, sizeof(p), "new");
	m1 = metrics_file_open(p, urls, 2, err, sizeof(err));
	ck_assert_msg(m1 != NULL, "%s", err);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq((long long)st.st_size, (long long)sizeof(struct metrics_shm));
	ck_assert_int_eq(memcmp(m1->h.magic, METRICS_MAGIC, 8), 0);
	ck_assert_uint_eq(m1->h.version, METRICS_LAYOUT_VERSION);
	/* a second process's mapping: the same counters, the rows kept */
	m2 = metrics_file_open(p, urls2, 2, err, sizeof(err));
	ck_assert_msg(m2 != NULL, "%s", err);
	atomic_fetch_add(&m1->c.requests[200][0], 5);
	atomic_fetch_add(&m2->c.requests[200][0], 2);
	ck_assert_uint_eq(atomic_load(&m1->c.requests[200][0]), 7);
	ck_assert_int_eq(metrics_replica_row(&m2->c, "http://a:1"), 0);
	ck_assert_int_eq(metrics_replica_row(&m2->c, "http://b:2"), 1);
	ck_assert_int_eq(metrics_replica_row(&m2->c, "http://c:3"), 2);
	ck_assert_int_eq(metrics_replica_row(&m2->c, "http://d:4"), -1);
	metrics_file_close(m1);
	metrics_file_close(m2);
	metrics_file_close(NULL);
	/* reopened: the counts are still there */
	m1 = metrics_file_open(p, NULL, 0, err, sizeof(err));
	ck_assert_msg(m1 != NULL, "%s", err);
	ck_assert_uint_eq(atomic_load(&m1->c.requests[200][0]), 7);
	metrics_file_close(m1);
}
END_TEST

/* Rows: what the file holds before the open, and the words of the error. */
static void write_file(const char *p, int kind)
{
	struct metrics_header h;
	FILE *f = fopen(p, "w");

	ck_assert_ptr_nonnull(f);
	metrics_header_init(&h);
	if (kind == 1)
		h.version = METRICS_LAYOUT_VERSION + 1;
	if (kind == 2)
		fputs("not ours at all\n", f);
	else
		fwrite(&h, sizeof(h), 1, f);
	if (kind != 3) /* 3: the right header, but cut short */
		for (size_t i = sizeof(h); kind != 2 && i < sizeof(struct metrics_shm); i++)
			fputc(0, f);
	fclose(f);
}

static const struct {
	int kind;
	const char *want;
} refuse_cases[] = {
	{1, "made by another thanos-fcgi version (another layout): stop every process using it "
	    "and remove it, or name another file"},
	{2, "not a thanos-fcgi metrics file"},
	{3, "its size is not the one its header gives"},
	{4, "Is a directory"},
	{5, "No such file or directory"},
	{6, "not a regular file"},
};

START_TEST(test_refused)
{
	char p[256], err[512], want[700];

	path_of(p, sizeof(p), "bad");
	unlink(p);
	rmdir(p);
	if (refuse_cases[_i].kind <= 3)
		write_file(p, refuse_cases[_i].kind);
	else if (refuse_cases[_i].kind == 4)
		ck_assert_int_eq(mkdir(p, 0700), 0);
	else if (refuse_cases[_i].kind == 5)
		path_of(p, sizeof(p), "no/such/dir");
	else
		snprintf(p, sizeof(p), "/dev/null");
	ck_assert_ptr_null(metrics_file_open(p, NULL, 0, err, sizeof(err)));
	snprintf(want, sizeof(want), "--metrics.file %s: ", p);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "row %d: %s", _i, err);
	ck_assert_msg(strstr(err, refuse_cases[_i].want) != NULL, "row %d: %s", _i, err);
}
END_TEST

static void conf_for(struct conf *c, const char *file)
{
	memset(c, 0, sizeof(*c));
	c->metrics_path = "/-/m";
	c->metrics_file = file;
}

/* The value of the series line "NAME VALUE" in a scrape, or -1. */
static long long series(const char *text, const char *name)
{
	char line[300];
	const char *p;

	snprintf(line, sizeof(line), "\n%s ", name);
	p = strstr(text, line);
	return p == NULL ? -1 : atoll(p + strlen(line));
}

/* A scrape as relay_serve makes one: started, then answered. */
static void scrape(struct buf *b)
{
	metrics_start();
	ck_assert_int_eq(metrics_page("GET", b), 0);
}

/* A child that adds n requests into the file and exits; give_back 0: it
 * dies holding its slot, with one request in flight. */
static void child(const char *p, int n, int give_back)
{
	struct conf c;
	struct outcome o;
	char err[512];

	conf_for(&c, p);
	memset(&o, 0, sizeof(o));
	o.method = "GET";
	o.code = 200;
	o.attempts = 1;
	o.upstream_ms = 3;
	o.first_byte_ms = 1;
	if (metrics_init(&c, NULL, err, sizeof(err)) != 0)
		_exit(3);
	for (int i = 0; i < n; i++) {
		metrics_start();
		metrics_record(&o);
	}
	metrics_start();
	if (give_back) {
		metrics_record(&o);
		metrics_close();
	}
	_exit(0);
}

/* The last slot as a dead process that had our pid left it, 5 requests in
 * flight: ours to take over, not a second live process. */
static void stale_slot_of_ours(const char *p)
{
	char err[512];
	struct metrics_shm *m = metrics_file_open(p, NULL, 0, err, sizeof(err));

	ck_assert_msg(m != NULL, "%s", err);
	atomic_store(&m->c.slot[METRICS_SLOTS - 1].pid, (int64_t)getpid());
	atomic_store(&m->c.slot[METRICS_SLOTS - 1].in_flight, 5);
	metrics_file_close(m);
}

START_TEST(test_pool)
{
	char p[256], err[512];
	struct conf c;
	struct buf b;
	int st;

	path_of(p, sizeof(p), "pool");
	unlink(p);
	for (int k = 0; k < 3; k++) {
		pid_t pid = fork();
		if (pid == 0)
			child(p, 10, k != 2);
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert_int_eq(WEXITSTATUS(st), 0);
	}
	stale_slot_of_ours(p);
	conf_for(&c, p);
	ck_assert_int_eq(metrics_init(&c, NULL, err, sizeof(err)), 0);
	buf_init(&b, METRICS_PAGE_MAX);
	scrape(&b);
	/* 3 x 10, and 1 more from each child that gave its slot back */
	ck_assert_int_eq(series(b.ptr, "thanos_fcgi_requests_total{code=\"200\",method=\"GET\"}"), 32);
	ck_assert_int_eq(series(b.ptr, "thanos_fcgi_upstream_duration_seconds_count"), 32);
	ck_assert_int_eq(series(b.ptr, "thanos_fcgi_upstream_first_byte_seconds_bucket{le=\"0.005\"}"), 32);
	/* the dead child's request in flight is not counted, nor the scrape,
	 * nor the stale slot of our pid */
	ck_assert_int_eq(series(b.ptr, "thanos_fcgi_requests_in_flight"), 0);
	ck_assert_int_eq(series(b.ptr, "thanos_fcgi_processes"), 1);
	metrics_start(); /* a request */
	scrape(&b);      /* the scrape leaves the in-flight count */
	ck_assert_int_eq(series(b.ptr, "thanos_fcgi_requests_in_flight"), 1);
	metrics_start();
	ck_assert_int_eq(metrics_page("POST", &b), 0);
	ck_assert_ptr_nonnull(strstr(b.ptr, "Status: 405 Method Not Allowed\r\nAllow: GET, HEAD\r\n"));
	metrics_start();
	ck_assert_int_eq(metrics_page("HEAD", &b), 0);
	ck_assert_msg(strstr(b.ptr, "\r\n\r\n")[4] == '\0', "HEAD: a body");
	metrics_close();
	buf_free(&b);
}
END_TEST

/* Off: without the path and the file every call does nothing. */
START_TEST(test_off)
{
	struct conf c;
	struct buf b;
	char err[512];

	memset(&c, 0, sizeof(c));
	c.metrics_path = "";
	ck_assert_int_eq(metrics_init(&c, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(metrics_is_path(&c, "/-/m"), 0);
	c.metrics_path = "/-/m";
	ck_assert_int_eq(metrics_is_path(&c, "/-/m"), 0);
	buf_init(&b, METRICS_PAGE_MAX);
	ck_assert_int_eq(metrics_page("GET", &b), 0);
	ck_assert_ptr_nonnull(strstr(b.ptr, "Status: 405"));
	buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("metrics_file");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;
	char cmd[300];

	if (mkdtemp(dir) == NULL)
		return EXIT_FAILURE;
	tcase_add_loop_test(tc, test_header, 0, sizeof(header_cases) / sizeof(header_cases[0]));
	tcase_add_test(tc, test_create_reopen);
	tcase_add_loop_test(tc, test_refused, 0, sizeof(refuse_cases) / sizeof(refuse_cases[0]));
	tcase_add_test(tc, test_pool);
	tcase_add_test(tc, test_off);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		failed++;
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
