/*
 * target: the path and query of the upstream request (SPEC section 3),
 *
 *   upstream base path + R + T + ("?" + Q if Q is not empty)
 *
 * with R left out when T is one of the root paths (Thanos serves /metrics,
 * /-/healthy and /-/ready at its root whatever its route prefix).  Pure: no
 * I/O, no libcurl; the caller puts scheme and host in front.
 */
#ifndef THANOS_FCGI_TARGET_H
#define THANOS_FCGI_TARGET_H

#include "buf.h"
#include "status.h"

/*
 * 1 when t is exactly one of the comma-separated entries of root_paths
 * (blanks around an entry ignored, empty entries skipped, bytes compared
 * as they are).  0 for a NULL or empty list or an empty t.
 */
int target_is_root_path(const char *root_paths, const char *t);

/*
 * Sets out to the origin-form target (path and query, starting with '/').
 *   base_path    path of the upstream URL: "" or "/base" (NULL: "")
 *   route_prefix R, normalised by prefix_normalize(): "" for none (NULL: "")
 *   root_paths   comma-separated sub-paths sent without R ("" or NULL: none)
 *   t            T from prefix_derive(): "" or "/..." (NULL: "")
 *   query        raw QUERY_STRING (NULL or "": no '?')
 * The parts are joined with exactly one '/' between them (never "//" from
 * a join; leading '/' runs of a part are merged), and the whole is "/" when
 * all are empty.  The query keeps every byte, %-escapes and their absence
 * included, except those pct_requote_query() encodes.
 *
 * Returns TF_OK; TF_BAD_PATH when the query holds a raw control character;
 * TF_URI_TOO_LONG when out->max would be passed.  On error out is "".
 */
enum tf_status target_build(const char *base_path, const char *route_prefix,
			    const char *root_paths, const char *t,
			    const char *query, struct buf *out);

#endif
