/* xfer: one transfer's libcurl callbacks; see relay_int.h. */
#include "relay_int.h"

#include <string.h>

#include "clock.h"

/*
 * When to flush: the front end buffers what it is given; bytes are pushed
 * at once while more of the answer is to come (an event stream, a long
 * poll, a body in pieces), and left for the end of the request when the
 * answer is whole (the header block of a HEAD, a 204 or a 304; the last
 * byte of a Content-Length body), so a small answer leaves in one write.
 */
static int answer_whole(const struct xfer *x)
{
	return x->resp_len >= 0 && x->resp_got >= x->resp_len;
}

/* Writes p[0..n) to the client, flushing unless the answer is whole. */
static int pass_on(struct xfer *x, const char *p, size_t n)
{
	if (x->io->write(x->io->ctx, p, n) != 0)
		goto gone;
	if (!answer_whole(x) && x->io->flush(x->io->ctx) != 0)
		goto gone;
	x->unflushed = 0;
	return 0;
gone:
	x->client_gone = 1;
	return -1;
}

/*
 * Sends the CGI header block.  Headers that come with the first body
 * bytes leave with them: xfer_on_body() or xfer_on_progress() flushes (the latter
 * once libcurl waits for more, so a long poll's headers are not held).
 */
int xfer_send_headers(struct xfer *x)
{
	struct relay_worker *w = x->w;
	enum tf_status s;
	int code = w->rh.code;

	if (x->headers_sent)
		return 0;
	s = resphdr_emit(&w->rh, &x->rw, &w->out);
	if (s != TF_OK) {
		x->hdr_err = s;
		return -1;
	}
	x->headers_sent = 1;
	x->resp_got = 0;
	if (x->head || code == 204 || code == 304)
		x->resp_len = 0;
	else if (curl_easy_getinfo(w->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
				   &x->resp_len) != CURLE_OK)
		x->resp_len = -1;
	if (x->io->write(x->io->ctx, w->out.ptr, w->out.len) != 0) {
		x->client_gone = 1;
		return -1;
	}
	x->unflushed = !answer_whole(x);
	return 0;
}

size_t xfer_on_header(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;

	x->last_ms = clock_now_ms();
	if (!x->got_byte)
		x->first_ms = x->last_ms;
	x->got_byte = 1;
	x->hdr_err = resphdr_feed(&x->w->rh, p, len);
	if (x->hdr_err != TF_OK)
		return 0;
	/* Send the header block as soon as it is whole: long polls and
	 * event streams must not wait for their first body byte. */
	if (x->w->rh.complete && !x->headers_sent && xfer_send_headers(x) != 0)
		return 0;
	return len;
}

size_t xfer_on_body(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;

	x->last_ms = clock_now_ms();
	if (!x->w->rh.complete) { /* a body before a final header block */
		x->hdr_err = TF_UPSTREAM_HEADER;
		return 0;
	}
	if (!x->headers_sent && xfer_send_headers(x) != 0)
		return 0;
	x->resp_got += (curl_off_t)len;
	if (pass_on(x, p, len) != 0)
		return 0;
	x->bytes_out += len;
	return len;
}

size_t xfer_on_read(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t want = size * n;
	ssize_t r;

	/* Never more than CONTENT_LENGTH: extra bytes from the web server would
	 * reach the upstream connection as the start of another request. */
	if (x->body_len >= 0 && (uint64_t)x->body_len - x->body_read < want)
		want = (size_t)((uint64_t)x->body_len - x->body_read);
	if (want == 0)
		return 0;
	r = x->io->read(x->io->ctx, p, want);
	if (r == 0 && x->body_len >= 0) {
		x->body_short = 1; /* ended before CONTENT_LENGTH: never wait */
		return CURL_READFUNC_ABORT;
	}
	if (r < 0) {
		x->client_gone = 1;
		return CURL_READFUNC_ABORT;
	}
	x->body_read += (uint64_t)r;
	x->last_ms = clock_now_ms();
	if (x->body_max > 0 && x->body_read > x->body_max) {
		x->body_too_large = 1;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)r;
}

/*
 * Called by libcurl after each pass over the sockets and at least once a
 * second while it waits: pushes what xfer_send_headers() left in the buffer,
 * and runs the first-byte and idle timeouts.
 */
int xfer_on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut,
		       curl_off_t un)
{
	struct xfer *x = ud;
	int64_t now = clock_now_ms();

	(void)dt, (void)dn, (void)ut, (void)un;
	if (x->unflushed) {
		x->unflushed = 0;
		if (x->io->flush(x->io->ctx) != 0) {
			x->client_gone = 1;
			return 1;
		}
	}
	if (!x->got_byte && x->c->timeout_first_byte_ms > 0 &&
	    now - x->start_ms > x->c->timeout_first_byte_ms)
		x->timed_out = 1;
	if (x->got_byte && x->c->timeout_idle_ms > 0 &&
	    now - x->last_ms > x->c->timeout_idle_ms)
		x->timed_out = 1;
	return x->timed_out;
}

/* What came of the request (outcome.h), as the answer step ends it. */
void xfer_outcome(const struct xfer *x, enum tf_status s, struct outcome *o)
{
	const struct relay_worker *w = x->w;
	int64_t now = clock_now_ms();

	o->method = x->rq->method;
	o->name = request_name(x->rq);
	o->e = buf_str(&w->e);
	o->t = buf_str(&w->t);
	o->upstream_url = x->attempts > 0 ? buf_str(&w->url) : "";
	o->remote_addr = x->rq->remote_addr != NULL ? x->rq->remote_addr : "-";
	o->remote_user = x->rq->remote_user != NULL && *x->rq->remote_user ? x->rq->remote_user : "-";
	if (s == TF_CLIENT_GONE)
		o->code = 0;
	else
		o->code = x->headers_sent ? w->rh.code : status_http(s);
	o->status = s;
	o->cause = x->cause;
	memcpy(o->failed, x->failed, sizeof(o->failed));
	o->attempts = x->attempts;
	o->bytes_in = x->body_read;
	o->bytes_out = x->bytes_out;
	o->start_ms = x->req_start_ms;
	o->first_byte_ms = x->attempts > 0 && x->first_ms >= 0 ? x->first_ms - x->start_ms : -1;
	o->upstream_ms = x->attempts > 0 ? x->end_ms - x->start_ms : -1;
	o->total_ms = now - x->req_start_ms;
}
