/*
 * rewrite: makes the response headers that point back at the upstream point
 * at the public prefix instead (SPEC §6).  Location, Content-Location,
 * Refresh (url=), Link (<...>) and the Path attribute of Set-Cookie.
 *
 * A URL reference in one of these values is rewritten when it is
 *  - an absolute http(s) URL whose origin is one of the upstreams': it
 *    becomes the mapped path with its query and fragment (a path-only
 *    reference, so the answer never depends on the client's Host), or
 *    public_origin + mapped path when the public origin is known;
 *  - an absolute path ("/..." but not "//..."): of E and R, the longer one
 *    that the path starts with at a segment boundary decides: R is replaced
 *    by E, E (already public) is left alone, E == R changes nothing.
 * Relative references, network-path references, other origins and other
 * schemes are left alone.  Percent-encoding is kept byte for byte.  The
 * rewrite is idempotent: a rewritten value rewrites to itself.
 *
 * Everything here is pure: no I/O, no global state.  libcurl is used only
 * for its URL parser (curl_url()).
 */
#ifndef THANOS_FCGI_REWRITE_H
#define THANOS_FCGI_REWRITE_H

#include <stddef.h>

#include "buf.h"

struct rewrite_ctx {
	/* Public prefix E, normalised: "" or "/x" (no trailing slash). */
	const char *e;
	/* Route prefix R (what the upstream serves under), normalised alike. */
	const char *r;
	/* The upstreams' origins, each as made by url_origin(). */
	const char *const *origins;
	size_t n_origins;
	/* "https://example.com" from --web.external-url, or NULL: then an
	 * upstream's absolute URL becomes a path-only reference. */
	const char *public_origin;
};

/*
 * The rewriters.  Each replaces out's content with the rewritten value v and
 * returns 1 when that differs from v, 0 when v is left as it is (out then
 * holds an exact copy of v), or -1 when out's max would be exceeded (out is
 * then empty).  v is not modified; out stays owned by the caller.
 */

/* Location and Content-Location: the whole value is one URL reference;
 * spaces and tabs around it are kept. */
int rewrite_location(const struct rewrite_ctx *c, const char *v,
	struct buf *out);

/* Refresh: "5; url=/thanos/x", "0;URL='...'", "5, /x" (HTML's parsing of
 * the value; "url" case-insensitive, quotes optional). */
int rewrite_refresh(const struct rewrite_ctx *c, const char *v,
	struct buf *out);

/* Link: every <...> of a comma-separated value; a '<' inside a quoted
 * parameter is not a link. */
int rewrite_link(const struct rewrite_ctx *c, const char *v, struct buf *out);

/* Set-Cookie: only the value of every Path attribute (name compared
 * case-insensitively), never the cookie's own name=value.  A cookie path is
 * a path, not a URL: '?' and '#' in it are not split off. */
int rewrite_set_cookie(const struct rewrite_ctx *c, const char *v,
	struct buf *out);

/*
 * Dispatches on the header name (name_len bytes, case-insensitive):
 * Location, Content-Location, Refresh, Link, Set-Cookie.  Returns -2 with
 * out untouched when the name is not one of these, else as the rewriter.
 */
int rewrite_header(const struct rewrite_ctx *c, const char *name,
	size_t name_len, const char *v, struct buf *out);

#endif
