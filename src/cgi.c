/* cgi: plain CGI front end; see cgi.h. */
#include "cgi.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "relay.h"
#include "request.h"
#include "units.h"

/* Body bytes left unread past this, the server gets no answer: draining. */
#define DRAIN_MAX (16u << 20)

static ssize_t cgi_read(void *ctx, char *p, size_t n)
{
	uint64_t *got = ctx;
	ssize_t r;

	do
		r = read(0, p, n);
	while (r < 0 && errno == EINTR);
	if (r > 0)
		*got += (uint64_t)r;
	return r;
}

/*
 * Reads what is left of a CONTENT_LENGTH body (at most DRAIN_MAX) after an
 * answer that did not need it (a 400, a 413): exiting with it unread makes
 * the kernel reset the server's socket (mod_cgid), and the server then
 * loses the answer it had not read yet.
 */
static void drain(const char *cl, uint64_t got)
{
	uint64_t want;
	char tmp[16384];

	if (cl == NULL || units_size(cl, &want) != 0 || want <= got)
		return;
	want -= got;
	if (want > DRAIN_MAX)
		want = DRAIN_MAX;
	while (want > 0) {
		ssize_t r = cgi_read(&got, tmp, want < sizeof(tmp) ? (size_t)want : sizeof(tmp));
		if (r <= 0)
			break;
		want -= (uint64_t)r;
	}
}

static int cgi_write(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	while (n > 0) {
		ssize_t r = write(1, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int cgi_flush(void *ctx)
{
	(void)ctx;
	return 0; /* writes are unbuffered */
}

static void cgi_abort(void *ctx)
{
	(void)ctx;
	/* Close stdout early and exit non-zero: the server logs the failure.
	 * A server that framed the answer with chunked encoding may still end
	 * it cleanly: a CGI program cannot signal more (README, Limits). */
	close(1);
}

void cgi_fail(const char *line)
{
	struct buf b;

	buf_init(&b, 4096);
	if (status_page(&b, 500, line, 0) == 0)
		cgi_write(NULL, b.ptr, b.len);
	buf_free(&b);
}

int cgi_run(const struct conf *c, struct upstream_pool *pool, char *const envp[])
{
	uint64_t got = 0;
	struct relay_io io = {
		.ctx = &got,
		.read = cgi_read,
		.write = cgi_write,
		.flush = cgi_flush,
		.abort = cgi_abort,
		.can_stream_body = 1, /* Apache de-chunks to stdin, then EOF */
	};
	struct relay_worker *w = relay_worker_new(c, pool, NULL);
	struct request rq;
	enum tf_status s;

	/* The THANOS_FCGI_* variables are the settings c was read from. */
	request_init(&rq);
	request_read(&rq, envp, 0);
	s = relay_serve(w, &io, &rq);
	relay_worker_free(w);
	if (s != TF_OK && s != TF_CLIENT_GONE)
		drain(rq.content_length, got);
	request_free(&rq);
	return s == TF_OK ? 0 : (s == TF_CLIENT_GONE ? 0 : 1);
}
