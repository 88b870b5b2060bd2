/*
 * prefix: the public prefix E and the sub-path T of a request, derived from
 * the CGI variables (SPEC section 3), and the path checks that keep every
 * target under the route prefix.
 *
 * Pure: no I/O.  E is normalised (starts with '/', no trailing slash, no
 * run of '/', "" for the root) and is a valid URL path; T is "" or starts
 * with '/', holds no run of literal '/', no "." or ".." segment, no control
 * character (raw or %-encoded) and is a valid URL path, with the client's
 * own escapes (%2F, %20, %C3%A9) kept byte for byte.
 */
#ifndef THANOS_FCGI_PREFIX_H
#define THANOS_FCGI_PREFIX_H

#include "buf.h"
#include "status.h"

/*
 * Thanos's prefix rule: "/" + trim(v, "/"), where "/" means none.  NULL,
 * "" and any run of '/' give ""; "thanos", "/thanos/", "//thanos//" give
 * "/thanos".  Leading and trailing slashes go (like Go's strings.Trim),
 * inner ones stay ("/a//b/" gives "/a//b").  Sets out (does not append).
 * Returns 0, or -1 past out->max with out unchanged.
 */
int prefix_normalize(const char *v, struct buf *out);

/* The CGI variables prefix_derive() reads; NULL means unset. */
struct prefix_in {
	const char *script_name;     /* S, decoded by the server */
	const char *path_info;       /* P, decoded by the server */
	const char *request_uri;     /* U, raw path and query */
	const char *query_string;    /* Q, raw; not used for the path */
	const char *external_prefix; /* --web.external-prefix, raw; NULL: derive */
};

/*
 * Derives E into e and T into t (both set, not appended), by the first of
 * these that applies (U's path is REQUEST_URI up to '?' with runs of '/'
 * merged; U is usable when it starts with '/'; S unset counts as "", P
 * unset as ""; "starts with X" means at a segment boundary):
 *   1. external_prefix set: E = it, normalised; T = the rest of U's path
 *      when that starts with E, else T as rules 2-4 give it.
 *   2. U's path starts with normalised S, as it is or once decoded: E =
 *      U's raw path up to there, T = the rest of U's path.
 *   3. U's decoded path ends with P, cut at a '/': E = U's raw path before
 *      the part that decodes to P, trailing '/' moved to T; T = that part.
 *   4. E = S, T = P, both percent-encoded (pct_encode_path).
 * E from rules 2-4 and T always pass path_check(); bytes outside
 * pchar / '/' / %XX are then percent-encoded and runs of '/' merged
 * (never %2F), so "//evil.com/x" becomes "/evil.com/x".  E also has ';',
 * ',' and '\'' encoded (pct_requote_prefix), since rewrites copy it into
 * Set-Cookie, Link and Refresh.
 *
 * Returns TF_OK; TF_BAD_PATH for a dot segment, a control character or a
 * malformed escape; TF_URI_TOO_LONG when E or T would pass e->max or
 * t->max.  On error e and t are both "".  The caller owns e and t.
 */
enum tf_status prefix_derive(const struct prefix_in *in, struct buf *e,
			     struct buf *t);

/*
 * Checks the raw path t[0..n) as the upstream will see it after one
 * percent-decoding, %2F and %5C included: TF_BAD_PATH when a segment
 * (between '/' or '\\', raw or encoded) is "." or "..", when any byte, raw
 * or decoded, is a control character (0x00-0x1f, 0x7f), or when a '%'
 * starts no valid escape.  TF_OK otherwise ("", "/", "/..." and "/.a" are
 * fine).
 */
enum tf_status path_check(const char *t, size_t n);

#endif
