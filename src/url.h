/*
 * url: absolute http(s) URLs, parsed with libcurl's URL API (curl_url):
 * the origins the rewriters compare (rewrite.c) and the pool keeps for
 * each replica (upstream.c).
 */
#ifndef THANOS_FCGI_URL_H
#define THANOS_FCGI_URL_H

#include <stddef.h>

#include "buf.h"

/* Room that an origin may need beyond the URL it comes from: an explicit
 * ":65535" and a zone id's "%25". */
#define URL_ORIGIN_SLACK 16

/*
 * If u (n bytes) is "http://" or "https://" (any case) and a non-empty
 * authority without a backslash, returns the offset where the authority
 * ends (the path, query or fragment starts); else 0.  The backslash is
 * refused because browsers read it as '/' and curl does not.
 */
size_t url_abs_tail(const char *u, size_t n);

/*
 * Parses the NUL-terminated absolute URL url with libcurl.  Replaces
 * origin's content with the normalised origin and, when path is not NULL,
 * path's with the path as libcurl sees it.  Returns 0, or -1 when url is not
 * an http(s) URL libcurl accepts or a buffer is full.  Aborts on no memory.
 */
int url_parse_abs(const char *url, struct buf *origin, struct buf *path);

/*
 * Writes the origin of the absolute http(s) URL url into out, replacing its
 * content: "scheme://host:port", scheme and host lower-cased, the default
 * port made explicit (http 80, https 443), an IPv6 host in brackets.
 * Userinfo, path, query and fragment are ignored.
 * Returns 0, or -1 (out unchanged) when url is not an absolute http or https
 * URL with a non-empty authority, or when out's max would be exceeded.
 */
int url_origin(const char *url, struct buf *out);

#endif
