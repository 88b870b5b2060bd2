/* reqhdr: the request to upstream header lines; see reqhdr.h. */
#include "reqhdr.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "list.h"

static const char *const dropped[] = {
	"Host", "Connection", "Keep-Alive", "TE", "Trailer",
	"Transfer-Encoding", "Upgrade", "Proxy", "Expect", "Content-Length",
	"Content-Type", "Forwarded", "X-Forwarded-For", "X-Forwarded-Host",
	"X-Forwarded-Proto", "X-Forwarded-Prefix",
};

int reqhdr_is_dropped(const char *name, size_t n, const char *conn,
		      const char *prefix_header)
{
	for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
		if (strlen(dropped[i]) == n && strncasecmp(dropped[i], name, n) == 0)
			return 1;
	if (n >= 6 && strncasecmp(name, "Proxy-", 6) == 0)
		return 1;
	if (prefix_header != NULL && strlen(prefix_header) == n &&
	    strncasecmp(prefix_header, name, n) == 0)
		return 1;
	return conn != NULL && list_has_token(conn, name, n);
}

/* "ACCEPT_ENCODING" -> "Accept-Encoding". Returns -1 for a name that is not
 * an HTTP token (a server that passes such a thing is not trusted). */
static int header_name(const char *s, size_t n, struct buf *out)
{
	int word_start = 1;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char o;

		if (c == '_') {
			o = '-';
			word_start = 1;
		} else if (isalnum(c)) {
			o = (char)(word_start ? toupper(c) : tolower(c));
			word_start = 0;
		} else {
			return -1;
		}
		if (buf_appendc(out, o) != 0)
			return -1;
	}
	return 0;
}

/* 1 when a value holds a control character other than HTAB (CR, LF, NUL
 * cannot reach us; \x01, \x0b, \x0c, DEL can): nginx refuses them too. */
static int has_ctl(const char *v)
{
	for (; *v != '\0'; v++)
		if (((unsigned char)*v < 0x20 && *v != '\t') || *v == 0x7f)
			return 1;
	return 0;
}

/* 1 when any of the client's Connection headers (a web server may pass
 * each as its own HTTP_CONNECTION) names the header (n bytes). */
static int connection_lists(const struct request *rq, const char *name, size_t n)
{
	for (size_t i = 0; i < rq->conn.n; i++)
		if (list_has_token(rq->conn.v[i], name, n))
			return 1;
	return 0;
}

/* Appends "Name: value\0". */
static enum tf_status add(struct buf *out, const char *name, size_t n,
			  const char *value)
{
	if (has_ctl(value))
		return TF_BAD_REQUEST;
	if (buf_append(out, name, n) != 0 || buf_append(out, ": ", 2) != 0 ||
	    buf_appends(out, value) != 0 || buf_append(out, "", 1) != 0)
		return TF_HEADERS_TOO_LARGE;
	return TF_OK;
}

/* X-Forwarded-*, Content-Type and the prefix header, appended to out. */
static enum tf_status add_forwarded(const struct request *rq,
				   const struct reqhdr_opts *o, struct buf *out)
{
	const char *xff = rq->xff, *addr = rq->remote_addr, *https = rq->https;
	const char *scheme = rq->scheme, *host = rq->host, *type = rq->content_type;
	enum tf_status s = TF_OK;
	int is_https;

	if (addr == NULL)
		addr = "";
	if (has_ctl(addr))
		return TF_BAD_REQUEST;
	if (xff != NULL && *xff != '\0') {
		/* the client's list, then the address we saw it come from */
		size_t mark = out->len;
		s = add(out, "X-Forwarded-For", 15, xff);
		if (s == TF_OK && *addr != '\0') {
			buf_truncate(out, out->len - 1); /* reopen the line */
			if (buf_append(out, ", ", 2) != 0 || buf_appends(out, addr) != 0 ||
			    buf_append(out, "", 1) != 0) {
				buf_truncate(out, mark);
				s = TF_HEADERS_TOO_LARGE;
			}
		}
	} else if (*addr != '\0') {
		s = add(out, "X-Forwarded-For", 15, addr);
	}
	is_https = (https != NULL && (strcasecmp(https, "on") == 0 ||
				      strcmp(https, "1") == 0)) ||
		   (scheme != NULL && strcasecmp(scheme, "https") == 0);
	if (s == TF_OK)
		s = add(out, "X-Forwarded-Proto", 17, is_https ? "https" : "http");
	if (s == TF_OK && host != NULL && *host != '\0')
		s = add(out, "X-Forwarded-Host", 16, host);
	if (s == TF_OK && type != NULL && *type != '\0')
		s = add(out, "Content-Type", 12, type);
	if (s == TF_OK && o->prefix_header != NULL && *o->prefix_header != '\0' &&
	    o->prefix != NULL && *o->prefix != '\0')
		s = add(out, o->prefix_header, strlen(o->prefix_header), o->prefix);
	if (s == TF_OK && o->tenant_header != NULL && *o->tenant_header != '\0')
		s = add(out, o->tenant_header, strlen(o->tenant_header),
			o->tenant != NULL ? o->tenant : "");
	return s;
}

enum tf_status reqhdr_build(const struct request *rq, const struct reqhdr_opts *o,
			    struct buf *out)
{
	size_t total = 0;

	buf_reset(out);
	for (size_t i = 0; i < rq->http.n; i++) {
		const char *p = rq->http.v[i], *eq = strchr(p, '=');
		size_t mark = out->len, n;

		total += strlen(p);
		if (total > o->max_total)
			return TF_HEADERS_TOO_LARGE;
		/* The name is written in place, then taken back if dropped. */
		if (header_name(p + 5, (size_t)(eq - p - 5), out) != 0) {
			buf_truncate(out, mark);
			continue;
		}
		n = out->len - mark;
		if (reqhdr_is_dropped(out->ptr + mark, n, NULL, o->prefix_header) ||
		    reqhdr_is_dropped(out->ptr + mark, n, NULL, o->tenant_header) ||
		    connection_lists(rq, out->ptr + mark, n)) {
			buf_truncate(out, mark);
			continue;
		}
		if (has_ctl(eq + 1))
			return TF_BAD_REQUEST;
		if (buf_append(out, ": ", 2) != 0 || buf_appends(out, eq + 1) != 0 ||
		    buf_append(out, "", 1) != 0)
			return TF_HEADERS_TOO_LARGE;
	}
	return add_forwarded(rq, o, out);
}
