/*
 * pct: percent-encoding (RFC 3986 section 2.1) for URL paths and queries.
 *
 * Pure byte work: no I/O, no libcurl.  Every function that writes appends
 * to a struct buf and, when the result would take the buffer past its max,
 * returns -1 with the buffer exactly as it was before the call (same len,
 * same content).  Hex digits this module writes are upper case; escapes it
 * copies are kept as they came (%2f stays %2f).
 *
 * Character predicates take an unsigned char value (0-255) as an int.
 */
#ifndef THANOS_FCGI_PCT_H
#define THANOS_FCGI_PCT_H

#include <stddef.h>

#include "buf.h"

/* Value of a hex digit (0-15), or -1 when c is not one. */
int pct_hexval(int c);

/*
 * 1 when c may stand raw in a path segment: RFC 3986 pchar without the
 * pct-encoded form, i.e. unreserved / sub-delims / ':' / '@'.  '%' and
 * '/' are not pchar.
 */
int pct_is_pchar(int c);

/* 1 for a control character: 0x00-0x1f and 0x7f. */
int pct_is_ctl(int c);

/* 1 when s[0..n) holds any raw control character (pct_is_ctl). */
int pct_has_ctl(const char *s, size_t n);

/*
 * 1 when s (n bytes available) starts with a well-formed escape: '%'
 * followed by two hex digits.
 */
int pct_is_escape(const char *s, size_t n);

/*
 * Appends the decoding of s[0..n) to out.  '+' is not a space (path
 * rules).  Decoded bytes may be anything, NUL included: use out->len.
 * Returns 0, or -1 on a malformed escape ('%' not followed by two hex
 * digits) or past out->max; on -1 out is unchanged.
 */
int pct_decode(const char *s, size_t n, struct buf *out);

/*
 * Appends s[0..n) with every byte outside pchar and '/' written as %XX
 * ('%' itself included, so the input is taken as decoded text).
 * Returns 0, or -1 (out unchanged) past out->max.
 */
int pct_encode_path(const char *s, size_t n, struct buf *out);

/*
 * Appends the raw path s[0..n) so that it is a valid URL path: pchar, '/'
 * and well-formed %XX escapes are copied byte for byte, every other byte
 * (raw space, UTF-8, '"', '<', control characters, a '%' that starts no
 * valid escape) is written as %XX.  Idempotent.
 * Returns 0, or -1 (out unchanged) past out->max.
 */
int pct_requote_path(const char *s, size_t n, struct buf *out);

/*
 * pct_requote_path() for a public prefix E, which the rewrites copy into
 * header parameters: ';', ',' and '\'' are escaped too, so E cannot end a
 * Set-Cookie attribute, split a list header or close Refresh's quoted URL.
 * Returns 0, or -1 (out unchanged) past out->max.
 */
int pct_requote_prefix(const char *s, size_t n, struct buf *out);

/*
 * Appends the raw query s[0..n) with the bytes a URL may not hold raw
 * written as %XX: control characters, space, '"', '#', '<', '>', '\\',
 * '^', '`', '{', '|', '}' and bytes >= 0x7f.  Everything else, '%' and
 * malformed escapes included, is copied byte for byte.  Callers that must
 * refuse control characters check pct_has_ctl() first.
 * Returns 0, or -1 (out unchanged) past out->max.
 */
int pct_requote_query(const char *s, size_t n, struct buf *out);

#endif
