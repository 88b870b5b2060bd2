/*
 * status: the one result type.  Every fallible function in the request path
 * returns an enum tf_status; status_http() maps it to the answer the client
 * gets and status_str() to the cause written in the answer and the log.
 */
#ifndef THANOS_FCGI_STATUS_H
#define THANOS_FCGI_STATUS_H

#include <stddef.h>

enum tf_status {
	TF_OK = 0,
	TF_BAD_PATH,        /* 400: dot segment, control character, bad %-escape */
	TF_BAD_REQUEST,     /* 400: anything else malformed in the request */
	TF_BODY_TOO_LARGE,  /* 413 */
	TF_URI_TOO_LONG,    /* 414 */
	TF_HEADERS_TOO_LARGE, /* 431 */
	TF_FORBIDDEN,       /* 403: no tenant, read-only or a denied path */
	TF_CONFIG,          /* 500: a per-request setting from the server is bad */
	TF_UPSTREAM,        /* 502: refused, unresolvable, reset, garbage */
	TF_UPSTREAM_HEADER, /* 502: the upstream's header block is bad or too big */
	TF_TIMEOUT,         /* 504 */
	TF_CLIENT_GONE,     /* the client went away: nothing to answer */
	TF_STATUS_MAX
};

/* HTTP status code for s (500 for anything unknown). */
int status_http(enum tf_status s);

/* Reason phrase for an HTTP code we send ourselves ("Bad Gateway"). */
const char *status_reason(int code);

/* Short English cause ("dot segment in path"). Never NULL. */
const char *status_str(enum tf_status s);

/*
 * The convention of everything before the first request (settings,
 * replicas, the socket) and of a request's bad settings: one line into
 * err, "<what>: <why>" ("--upstream: bad URL 'x'"), its control
 * characters shown as '?' and "..." where it was cut.  Returns -1, so a
 * failing function ends with "return status_errf(err, errlen, ...);".
 */
__attribute__((format(printf, 3, 4)))
int status_errf(char *err, size_t errlen, const char *fmt, ...);

struct buf;

/*
 * The adapter's own answer into b (reset first): "Status: CODE REASON", a
 * text/plain body "thanos-fcgi: LINE\n" with its Content-Length, no-store;
 * for a HEAD (head 1) the same headers without the body.  0, or -1 when it
 * does not fit (b then holds nothing to send).
 */
int status_page(struct buf *b, int code, const char *line, int head);

#endif
