/* resphdr: upstream header block to CGI header block; see resphdr.h. */
#include "resphdr.h"

#include <string.h>
#include <strings.h>

#include "reqhdr.h"

void resphdr_init(struct resphdr *h, size_t max)
{
	h->code = 0;
	h->complete = 0;
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
	"Upgrade", "Status", "X-Sendfile", "X-Sendfile2", "X-LIGHTTPD-send-file",
	"X-Accel-Buffering",
};

int resphdr_is_dropped(const char *name, size_t n, const char *conn)
{
	for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
		if (strlen(dropped[i]) == n && strncasecmp(dropped[i], name, n) == 0)
			return 1;
	if (n >= 6 && strncasecmp(name, "Proxy-", 6) == 0)
		return 1;
	if (n >= 8 && strncasecmp(name, "X-Accel-", 8) == 0)
		return 1;
	/* The Connection list drops what it names, except headers we must keep. */
	return conn != NULL && http_list_has(conn, name, n) &&
	       !(n == 14 && strncasecmp(name, "Content-Length", n) == 0);
}

static int is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

/* "HTTP/1.1 302 Found" -> code and reason. */
static enum tf_status status_line(struct resphdr *h, const char *p, size_t n)
{
	size_t i = 0;
	int code = 0;

	while (i < n && p[i] != ' ')
		i++;
	if (i + 4 > n || p[i] != ' ')
		return TF_UPSTREAM_HEADER;
	i++;
	for (int k = 0; k < 3; k++, i++) {
		if (p[i] < '0' || p[i] > '9')
			return TF_UPSTREAM_HEADER;
		code = code * 10 + (p[i] - '0');
	}
	if (code < 100 || (i < n && p[i] != ' '))
		return TF_UPSTREAM_HEADER;
	while (i < n && p[i] == ' ')
		i++;
	buf_reset(&h->reason);
	for (; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return TF_UPSTREAM_HEADER;
		if (buf_appendc(&h->reason, (char)c) != 0)
			break; /* an over-long reason is cut, not fatal */
	}
	h->code = code;
	buf_reset(&h->lines);
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
	if (n >= 5 && memcmp(line, "HTTP/", 5) == 0)
		return status_line(h, line, n);
	if (h->code == 0)
		return TF_UPSTREAM_HEADER;
	if (n == 0) {
		if (h->code >= 200)
			h->complete = 1;
		else
			h->code = 0; /* interim 1xx: wait for the next status line */
		return TF_OK;
	}
	while (name_len < n && is_tchar((unsigned char)line[name_len]))
		name_len++;
	if (name_len == 0 || name_len >= n || line[name_len] != ':')
		return TF_UPSTREAM_HEADER; /* obs-fold, no colon, bad name */
	for (size_t i = name_len; i < n; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return TF_UPSTREAM_HEADER;
	}
	if (buf_append(&h->lines, line, n) != 0 || buf_appendc(&h->lines, '\n') != 0)
		return TF_UPSTREAM_HEADER;
	return TF_OK;
}

/* Value of the first header named name in lines, into out; 0 if found. */
static int find_header(const struct buf *lines, const char *name,
		       struct buf *out)
{
	size_t n = strlen(name);
	const char *p = buf_str(lines), *end = p + lines->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *v = p + n + 1;

		if ((size_t)(nl - p) > n && p[n] == ':' && strncasecmp(p, name, n) == 0) {
			while (*v == ' ' || *v == '\t')
				v++;
			buf_reset(out);
			return buf_append(out, v, (size_t)(nl - v));
		}
		p = nl + 1;
	}
	return -1;
}

static int append_line(struct buf *out, const char *name, size_t n,
		       const char *v, size_t vn)
{
	return buf_append(out, name, n) || buf_append(out, ": ", 2) ||
	       buf_append(out, v, vn) || buf_append(out, "\r\n", 2);
}

enum tf_status resphdr_emit(struct resphdr *h, const struct rewrite_ctx *rw,
			    struct buf *out)
{
	const char *p = buf_str(&h->lines), *end = p + h->lines.len;
	const char *conn = NULL, *cl = NULL;
	size_t cl_n = 0;
	int chunked = find_header(&h->lines, "Transfer-Encoding", &h->val) == 0;

	if (find_header(&h->lines, "Connection", &h->conn) == 0)
		conn = buf_str(&h->conn);
	buf_reset(out);
	if (buf_printf(out, "Status: %d %s\r\n", h->code,
		       h->reason.len ? buf_str(&h->reason) : status_reason(h->code)) != 0)
		return TF_UPSTREAM_HEADER;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *colon = memchr(p, ':', (size_t)(nl - p));
		const char *v = colon + 1;
		size_t n = (size_t)(colon - p);
		int r;

		while (v < nl && (*v == ' ' || *v == '\t'))
			v++;
		if (n == 14 && strncasecmp(p, "Content-Length", 14) == 0) {
			/* RFC 9112 6.3: chunked wins over a length; two lengths
			 * that differ make the framing unknowable. */
			if (cl != NULL && ((size_t)(nl - v) != cl_n || memcmp(v, cl, cl_n) != 0))
				return TF_UPSTREAM_HEADER;
			if (chunked || cl != NULL) {
				p = nl + 1;
				continue;
			}
			cl = v;
			cl_n = (size_t)(nl - v);
		}
		if (!resphdr_is_dropped(p, n, conn)) {
			if (buf_set(&h->val, v, (size_t)(nl - v)) != 0)
				return TF_UPSTREAM_HEADER;
			r = rewrite_header(rw, p, n, buf_str(&h->val), &h->tmp);
			if (r == -1)
				return TF_UPSTREAM_HEADER;
			if (r == 1 ? append_line(out, p, n, h->tmp.ptr, h->tmp.len)
				   : append_line(out, p, n, h->val.ptr, h->val.len))
				return TF_UPSTREAM_HEADER;
		}
		p = nl + 1;
	}
	if (buf_appends(out, "X-Accel-Buffering: no\r\n\r\n") != 0)
		return TF_UPSTREAM_HEADER;
	return TF_OK;
}
