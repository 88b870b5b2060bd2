/* diag: the adapter's own diagnostic answer; see diag.h. */
#include "diag.h"

#include <string.h>

/* 1 when DIAG_PATH is in p at a segment boundary, ending it or a segment. */
static int has_diag(const char *p)
{
	size_t n = strlen(DIAG_PATH);

	while ((p = strstr(p, DIAG_PATH)) != NULL) {
		if (p[n] == '\0' || p[n] == '/')
			return 1;
		p += n;
	}
	return 0;
}

int diag_is_path(const char *token, const char *e, const char *t)
{
	size_t n = strlen(DIAG_PATH);

	if (token == NULL || *token == '\0' || t == NULL || e == NULL)
		return 0;
	if (strncmp(t, DIAG_PATH, n) == 0 && (t[n] == '\0' || t[n] == '/'))
		return 1;
	return has_diag(e); /* a server that put the whole path in SCRIPT_NAME */
}

int diag_token_ok(const char *token, const char *sent)
{
	size_t n, m;
	unsigned char d = 0;

	if (token == NULL || *token == '\0' || sent == NULL)
		return 0;
	n = strlen(token);
	m = strlen(sent);
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)token[i] ^ (unsigned char)(i < m ? sent[i] : 0);
	return d == 0 && n == m;
}

const char *diag_http(const struct request *rq, const char *name)
{
	size_t k = strlen(name);

	for (size_t i = 0; i < rq->http.n; i++)
		if (strncmp(rq->http.v[i], name, k) == 0 && rq->http.v[i][k] == '=')
			return rq->http.v[i] + k + 1;
	return NULL;
}

/* "key=value\n", control characters as '?'; nothing when v is NULL. */
static int line(struct buf *b, const char *key, const char *v)
{
	if (v == NULL)
		return 0;
	if (buf_appends(b, key) != 0 || buf_appendc(b, '=') != 0)
		return -1;
	for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++)
		if (buf_appendc(b, *p < 0x20 || *p == 0x7f ? '?' : (char)*p) != 0)
			return -1;
	return buf_appendc(b, '\n');
}

/* The body: every line, or -1. */
static int body(struct buf *b, const struct request *rq, const char *e, const char *t)
{
	return buf_appends(b, "thanos-fcgi check\n") || line(b, "e", e) || line(b, "t", t) ||
	       line(b, "script_name", rq->script_name) || line(b, "path_info", rq->path_info) ||
	       line(b, "request_uri", rq->uri) || line(b, "query_string", rq->query) ||
	       line(b, "https", rq->https) || line(b, "request_scheme", rq->scheme) ||
	       line(b, "authorization",
		    diag_http(rq, "HTTP_AUTHORIZATION") != NULL ? "present" : "absent")
		       ? -1 : 0;
}

int diag_page(struct buf *b, const struct request *rq, const char *e, const char *t,
	      int head)
{
	struct buf text;
	int rc;

	buf_reset(b);
	buf_init(&text, b->max);
	rc = body(&text, rq, e, t);
	if (rc == 0)
		rc = buf_printf(b, "Status: 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
				   "Content-Length: %zu\r\nCache-Control: no-store\r\n"
				   "X-Content-Type-Options: nosniff\r\n\r\n", text.len);
	if (rc == 0 && !head)
		rc = buf_append(b, text.ptr, text.len);
	buf_free(&text);
	if (rc != 0)
		buf_reset(b);
	return rc;
}
