/*
 * reqhdr: the request's CGI variables turned into the header lines
 * sent upstream.  Pure: no libcurl, no libfcgi.
 *
 * Forwarded: every HTTP_* parameter as its header (HTTP_ACCEPT_ENCODING ->
 * Accept-Encoding), CONTENT_TYPE as Content-Type.
 * Never forwarded: Host (the upstream's own is used), hop-by-hop headers
 * (Connection and every name any Connection header lists, Keep-Alive, TE, Trailer,
 * Transfer-Encoding, Upgrade), Proxy and Proxy-* (httpoxy), Expect,
 * Content-Length (the transfer sets it), Forwarded, X-Forwarded-Host,
 * X-Forwarded-Proto, X-Forwarded-Prefix and the configured prefix header
 * (the client must not choose what the upstream trusts).
 * Set: X-Forwarded-For (the client's list, then REMOTE_ADDR),
 * X-Forwarded-Proto, X-Forwarded-Host (the client's Host) and the prefix
 * header carrying E; the tenant header (the client's own of that name is
 * dropped) carrying the tenant.
 */
#ifndef THANOS_FCGI_REQHDR_H
#define THANOS_FCGI_REQHDR_H

#include <stddef.h>

#include "buf.h"
#include "request.h"
#include "status.h"

struct reqhdr_opts {
	const char *prefix_header; /* NULL or "": send no prefix header */
	const char *prefix;        /* E, normalised ("" for the root) */
	size_t max_total;          /* all HTTP_* names and values together */
	const char *tenant_header; /* NULL or "": no tenant; else always dropped */
	const char *tenant;        /* its value (set when tenant_header is) */
};

/*
 * Appends the header lines for the upstream request to out, each
 * "Name: value" followed by a NUL, and returns TF_OK.
 * TF_HEADERS_TOO_LARGE when the client's headers pass o->max_total or out's
 * max; TF_BAD_REQUEST when a value holds a control character other than
 * HTAB (CR, LF, \x01, \x0b, \x0c, DEL...).  out is reset first.
 */
enum tf_status reqhdr_build(const struct request *rq, const struct reqhdr_opts *o,
			    struct buf *out);

/* 1 when s (n bytes) is a header name we never forward, else 0.
 * conn is the client's Connection header value (NULL if none). */
int reqhdr_is_dropped(const char *name, size_t n, const char *conn,
		      const char *prefix_header);

#endif
