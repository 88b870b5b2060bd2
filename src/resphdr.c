/* resphdr: upstream header block to CGI header block; see resphdr.h. */
#include "resphdr.h"

#include <string.h>
#include <strings.h>

#include "list.h"
#include "log.h"
#include "reqhdr.h"

void resphdr_init(struct resphdr *h, size_t max)
{
	h->code = 0;
	h->complete = 0;
	h->why = NULL;
	buf_init(&h->reason, 256);
	buf_init(&h->lines, max);
	buf_init(&h->conn, max);
	buf_init(&h->val, max);
	buf_init(&h->tmp, max + 4096);
}

void resphdr_reset(struct resphdr *h)
{
	h->code = 0;
	h->complete = 0;
	h->why = NULL;
	buf_reset(&h->reason);
	buf_reset(&h->lines);
}

void resphdr_free(struct resphdr *h)
{
	if (h == NULL)
		return;
	buf_free(&h->reason);
	buf_free(&h->lines);
	buf_free(&h->conn);
	buf_free(&h->val);
	buf_free(&h->tmp);
}

static const char *const dropped[] = {
	"Connection", "Keep-Alive", "TE", "Trailer", "Transfer-Encoding",
	"Upgrade", "Status", "X-Sendfile", "X-Sendfile2",
};

/* Name prefixes the web servers act on: nginx's X-Accel-Redirect and
 * friends, lighttpd's X-LIGHTTPD-send-file and send-tempfile. */
static const char *const dropped_prefix[] = {"Proxy-", "X-Accel-", "X-LIGHTTPD-"};

int resphdr_is_dropped(const char *name, size_t n, const char *conn)
{
	for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
		if (strlen(dropped[i]) == n && strncasecmp(dropped[i], name, n) == 0)
			return 1;
	for (size_t i = 0; i < sizeof(dropped_prefix) / sizeof(dropped_prefix[0]); i++)
		if (n >= strlen(dropped_prefix[i]) &&
		    strncasecmp(name, dropped_prefix[i], strlen(dropped_prefix[i])) == 0)
			return 1;
	/* The Connection list drops what it names, except headers we must keep. */
	return conn != NULL && list_has_token(conn, name, n) &&
	       !(n == 14 && strncasecmp(name, "Content-Length", n) == 0);
}

static int is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

/* Fails the block with a cause for the log. */
static enum tf_status bad(struct resphdr *h, const char *why)
{
	h->why = why;
	return TF_UPSTREAM_HEADER;
}

/* "HTTP/1.1 302 Found" -> code (100..599) and reason. */
static enum tf_status status_line(struct resphdr *h, const char *p, size_t n)
{
	size_t i = 5;
	int code = 0;

	if (n < 5 || memcmp(p, "HTTP/", 5) != 0)
		return bad(h, "no status line");
	while (i < n && p[i] != ' ')
		i++;
	if (i + 4 > n || p[i] != ' ')
		return bad(h, "bad status line");
	i++;
	for (int k = 0; k < 3; k++, i++) {
		if (p[i] < '0' || p[i] > '9')
			return bad(h, "bad status line");
		code = code * 10 + (p[i] - '0');
	}
	if (code < 100 || code > 599 || (i < n && p[i] != ' '))
		return bad(h, "bad status line");
	while (i < n && p[i] == ' ')
		i++;
	buf_reset(&h->reason);
	for (; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return bad(h, "control character in the status line");
		if (buf_appendc(&h->reason, (char)c) != 0)
			break; /* an over-long reason is cut, not fatal */
	}
	h->code = code;
	buf_reset(&h->lines);
	return TF_OK;
}

/* The blank line ending a block: final, or the end of an interim 1xx. */
static enum tf_status block_end(struct resphdr *h)
{
	if (h->code == 101) /* we never ask for an upgrade */
		return bad(h, "101 Switching Protocols that was not asked for");
	if (h->code >= 200)
		h->complete = 1;
	else
		h->code = 0; /* interim 1xx: the next line is a status line */
	return TF_OK;
}

enum tf_status resphdr_feed(struct resphdr *h, const char *line, size_t n)
{
	size_t name_len = 0;

	if (n >= 2 && line[n - 2] == '\r' && line[n - 1] == '\n')
		n -= 2;
	else if (n >= 1 && line[n - 1] == '\n')
		n -= 1;
	if (h->complete)
		return TF_OK; /* trailers after the body: ignored */
	if (h->code == 0) /* a status line only ever starts a block */
		return status_line(h, line, n);
	if (n == 0)
		return block_end(h);
	while (name_len < n && is_tchar((unsigned char)line[name_len]))
		name_len++;
	if (name_len == 0 || name_len >= n || line[name_len] != ':')
		return bad(h, "header line without a name and colon");
	for (size_t i = name_len; i < n; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return bad(h, "control character in a header value");
	}
	if (buf_append(&h->lines, line, n) != 0 || buf_appendc(&h->lines, '\n') != 0)
		return bad(h, "header block over --limits.max-upstream-header-size");
	return TF_OK;
}

/* Every value of the headers named name in lines, joined by ", " into
 * out (reset first).  Returns how many there were (0: out empty); -1 when
 * they do not fit. */
static int all_values(const struct buf *lines, const char *name,
		      struct buf *out)
{
	size_t n = strlen(name);
	const char *p = buf_str(lines), *end = p + lines->len;
	int found = 0;

	buf_reset(out);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *v = p + n + 1;

		if ((size_t)(nl - p) > n && p[n] == ':' && strncasecmp(p, name, n) == 0) {
			while (*v == ' ' || *v == '\t')
				v++;
			if ((found++ > 0 && buf_append(out, ", ", 2) != 0) ||
			    buf_append(out, v, (size_t)(nl - v)) != 0)
				return -1;
		}
		p = nl + 1;
	}
	return found;
}

/* 1 when v (n bytes) is a Content-Length we pass on: digits only, at most
 * 18 of them (below 2^63), nothing else ("+5", "5, 5", "" are not). */
static int length_ok(const char *v, size_t n)
{
	if (n == 0 || n > 18)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return 0;
	return 1;
}

/*
 * The framing of the answer, from the collected lines: *has_cl is 1 when
 * its one Content-Length is passed on (chunked wins over a length, RFC
 * 9112 6.3).  Returns TF_OK, or TF_UPSTREAM_HEADER (h->why set) for a
 * second Content-Length or one that is not a plain number in range: libcurl
 * would read such an answer to the close and end it as if complete.
 */
static enum tf_status framing(struct resphdr *h, int *has_cl)
{
	int n_cl = all_values(&h->lines, "Content-Length", &h->val);

	*has_cl = 0;
	if (n_cl < 0 || n_cl > 1)
		return bad(h, "more than one Content-Length");
	if (n_cl == 1 && !length_ok(h->val.ptr, h->val.len))
		return bad(h, "Content-Length not a number in range");
	if (all_values(&h->lines, "Transfer-Encoding", &h->tmp) != 0)
		return TF_OK;
	*has_cl = n_cl == 1;
	return TF_OK;
}

static int append_line(struct buf *out, const char *name, size_t n,
		       const char *v, size_t vn)
{
	return buf_append(out, name, n) || buf_append(out, ": ", 2) ||
	       buf_append(out, v, vn) || buf_append(out, "\r\n", 2);
}

static int name_is(const char *p, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(p, name, n) == 0;
}

/*
 * 1 when header p (name n bytes) is not passed for this answer: dropped
 * always (resphdr_is_dropped), a length that framing() did not keep, or a
 * Location on a status other than 3xx or 201: Apache (mod_cgi, mod_fcgid)
 * turns a 200 with "Location: /x" into a local redirect to its own file
 * /x, and a relative one into a 302.
 */
static int not_passed(const struct resphdr *h, const char *p, size_t n,
		      const char *conn, int has_cl)
{
	if (name_is(p, n, "Content-Length"))
		return !has_cl;
	if (name_is(p, n, "Location"))
		return !(h->code == 201 || (h->code >= 300 && h->code < 400));
	return resphdr_is_dropped(p, n, conn);
}

/*
 * 1 when the answer must stream through nginx (X-Accel-Buffering: no): no
 * Content-Length (a chunked or read-to-close body: a long poll, a large
 * query result in pieces) or an event stream.  A length-framed answer is
 * left to nginx's buffering, which absorbs a slow reader so that it does
 * not hold the thread writing the answer.
 */
static int must_stream(struct resphdr *h, int has_cl)
{
	if (!has_cl)
		return 1;
	return all_values(&h->lines, "Content-Type", &h->tmp) > 0 &&
	       strncasecmp(buf_str(&h->tmp), "text/event-stream", 17) == 0;
}

/* The debug line of a rewritten header (name p, n bytes): Location and
 * the like, never Set-Cookie (its value is a secret). */
static void log_rewritten(const char *p, size_t n, const char *from, const char *to)
{
	char name[32];
	struct log_field fv[] = {{"header", name, 0}, {"from", from, 0}, {"to", to, 0}};

	if (!log_enabled(LOG_DEBUG) || name_is(p, n, "Set-Cookie") || n >= sizeof(name))
		return;
	memcpy(name, p, n);
	name[n] = '\0';
	log_fields(LOG_DEBUG, "header rewritten", fv, 3);
}

/* Appends header p (name n bytes, value v..nl) rewritten as rw says. */
static enum tf_status pass_header(struct resphdr *h, const struct rewrite_ctx *rw,
				  const char *p, size_t n, const char *v,
				  const char *nl, struct buf *out)
{
	int r;

	if (buf_set(&h->val, v, (size_t)(nl - v)) != 0)
		return bad(h, "header value too long");
	r = rewrite_header(rw, p, n, buf_str(&h->val), &h->tmp);
	if (r == -1)
		return bad(h, "header value cannot be rewritten");
	if (r == 1)
		log_rewritten(p, n, buf_str(&h->val), buf_str(&h->tmp));
	if (r == 1 ? append_line(out, p, n, h->tmp.ptr, h->tmp.len)
		   : append_line(out, p, n, h->val.ptr, h->val.len))
		return bad(h, "header block too large once rewritten");
	return TF_OK;
}

enum tf_status resphdr_emit(struct resphdr *h, const struct rewrite_ctx *rw,
			    struct buf *out)
{
	const char *p = buf_str(&h->lines), *end = p + h->lines.len;
	const char *conn = NULL;
	int has_cl;
	enum tf_status s = framing(h, &has_cl);

	if (s != TF_OK)
		return s;
	/* Every Connection header counts: the names a second one lists are
	 * as hop-by-hop as the first's. */
	if (all_values(&h->lines, "Connection", &h->conn) < 0)
		return bad(h, "Connection headers too long");
	conn = buf_str(&h->conn);
	buf_reset(out);
	if (buf_printf(out, "Status: %d %s\r\n", h->code,
		       h->reason.len ? buf_str(&h->reason) : status_reason(h->code)) != 0)
		return bad(h, "status line too long");
	while (p < end && s == TF_OK) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *colon = memchr(p, ':', (size_t)(nl - p));
		const char *v = colon + 1;
		size_t n = (size_t)(colon - p);

		while (v < nl && (*v == ' ' || *v == '\t'))
			v++;
		if (!not_passed(h, p, n, conn, has_cl))
			s = pass_header(h, rw, p, n, v, nl, out);
		p = nl + 1;
	}
	if (s == TF_OK && must_stream(h, has_cl) &&
	    buf_appends(out, "X-Accel-Buffering: no\r\n") != 0)
		s = bad(h, "header block too large");
	if (s == TF_OK && buf_append(out, "\r\n", 2) != 0)
		s = bad(h, "header block too large");
	return s;
}
