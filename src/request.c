/* request: the CGI variables read once; see request.h. */
#include "request.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* The named fields, each filled from the first variable of its name. */
#define F(name, field) {name, sizeof(name) - 1, offsetof(struct request, field)}
static const struct {
	const char *name;
	size_t len, off;
} fields[] = {
	F("REQUEST_METHOD", method),
	F("REQUEST_URI", uri),
	F("SCRIPT_NAME", script_name),
	F("PATH_INFO", path_info),
	F("QUERY_STRING", query),
	F("CONTENT_LENGTH", content_length),
	F("CONTENT_TYPE", content_type),
	F("REMOTE_ADDR", remote_addr),
	F("REMOTE_USER", remote_user),
	F("HTTPS", https),
	F("REQUEST_SCHEME", scheme),
	F("HTTP_HOST", host),
	F("HTTP_X_FORWARDED_FOR", xff),
	F("HTTP_ACCEPT", accept),
	F("HTTP_TRANSFER_ENCODING", transfer_encoding),
};
#undef F

void request_init(struct request *rq)
{
	memset(rq, 0, sizeof(*rq));
}

void request_free(struct request *rq)
{
	if (rq == NULL)
		return;
	free(rq->http.v);
	free(rq->conn.v);
	free(rq->overlay.v);
	memset(rq, 0, sizeof(*rq));
}

static void list_add(struct request_list *l, const char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 32;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = s;
}

/* Sets the named field v names (NAME=VALUE), unless one is set already. */
static void set_field(struct request *rq, const char *v, size_t name_len)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char **f = (const char **)(void *)((char *)rq + fields[i].off);

		if (fields[i].len == name_len &&
		    memcmp(fields[i].name, v, name_len) == 0) {
			if (*f == NULL)
				*f = v + name_len + 1;
			return;
		}
	}
}

void request_read(struct request *rq, char *const vars[], int overlay)
{
	struct request_list http = rq->http, conn = rq->conn, ov = rq->overlay;

	memset(rq, 0, sizeof(*rq));
	rq->http = http, rq->conn = conn, rq->overlay = ov;
	rq->http.n = rq->conn.n = rq->overlay.n = 0;
	for (size_t i = 0; vars != NULL && vars[i] != NULL; i++) {
		const char *v = vars[i], *eq = strchr(v, '=');

		if (eq == NULL)
			continue;
		set_field(rq, v, (size_t)(eq - v));
		if (strncmp(v, "HTTP_", 5) == 0)
			list_add(&rq->http, v);
		if (strncmp(v, "HTTP_CONNECTION=", 16) == 0)
			list_add(&rq->conn, v + 16);
		if (overlay && strncmp(v, "THANOS_FCGI_", 12) == 0)
			list_add(&rq->overlay, v);
	}
	if (rq->method == NULL)
		rq->method = "GET";
}

const char *request_name(const struct request *rq)
{
	if (rq->uri != NULL)
		return rq->uri;
	return rq->script_name != NULL ? rq->script_name : "-";
}
