/* cgi: plain CGI front end; see cgi.h. */
#include "cgi.h"

#include <errno.h>
#include <unistd.h>

#include "buf.h"
#include "relay.h"

static ssize_t cgi_read(void *ctx, char *p, size_t n)
{
	ssize_t r;

	(void)ctx;
	do
		r = read(0, p, n);
	while (r < 0 && errno == EINTR);
	return r;
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
	if (buf_printf(&b, "Status: 500 Internal Server Error\r\n"
			   "Content-Type: text/plain; charset=utf-8\r\n"
			   "Cache-Control: no-store\r\n\r\nthanos-fcgi: %s\n", line) == 0)
		cgi_write(NULL, b.ptr, b.len);
	buf_free(&b);
}

int cgi_run(const struct conf *c, struct upstream_pool *pool, char *const envp[])
{
	struct relay_io io = {
		.ctx = NULL,
		.read = cgi_read,
		.write = cgi_write,
		.flush = cgi_flush,
		.abort = cgi_abort,
		.can_stream_body = 1, /* Apache de-chunks to stdin, then EOF */
		.params_override = 0,
	};
	struct relay_worker *w = relay_worker_new(c, pool);
	enum tf_status s = relay_serve(w, &io, envp);

	relay_worker_free(w);
	return s == TF_OK ? 0 : (s == TF_CLIENT_GONE ? 0 : 1);
}
