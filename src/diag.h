/*
 * diag: the one answer the adapter gives itself, never forwarded: what the
 * web server passed for a request to E/-/thanos-fcgi/check, for
 * `thanos-fcgi check --url` (check_url.c) to diagnose the web server.
 *
 * Off unless --web.check-token is set; then only a request that carries
 * the token in X-Thanos-Fcgi-Check-Token gets it (403 otherwise).  The
 * answer holds the derived E and T, the CGI variables SCRIPT_NAME,
 * PATH_INFO, REQUEST_URI, QUERY_STRING and HTTPS as the server passed them
 * (the client's own request, seen through the server), and whether an
 * Authorization header arrived (never its value): nothing of the settings,
 * the upstream or another request.  Pure: no I/O.
 */
#ifndef THANOS_FCGI_DIAG_H
#define THANOS_FCGI_DIAG_H

#include "buf.h"
#include "request.h"

/* The sub-path answered, and the header that carries the token. */
#define DIAG_PATH "/-/thanos-fcgi/check"
#define DIAG_TOKEN_HEADER "X-Thanos-Fcgi-Check-Token"

/* 1 when token is set and t is DIAG_PATH or under it, or E holds it (a
 * server that passes the whole path as SCRIPT_NAME: the answer then shows
 * that E). */
int diag_is_path(const char *token, const char *e, const char *t);

/* 1 when sent equals token (both set, token not empty), in a time that
 * does not depend on where they differ. */
int diag_token_ok(const char *token, const char *sent);

/* The value of the HTTP_NAME variable name ("HTTP_AUTHORIZATION") of rq,
 * NULL when absent. */
const char *diag_http(const struct request *rq, const char *name);

/*
 * The whole CGI answer into b (reset first): Status 200, text/plain,
 * no-store, nosniff, then "key=value" lines (control characters shown as
 * '?', a variable the server did not set left out).  head 1: the headers
 * only.  0, or -1 when over b's max (b then empty).
 */
int diag_page(struct buf *b, const struct request *rq, const char *e, const char *t,
	      int head);

#endif
