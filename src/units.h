/*
 * units: strict parsers and syntax checks for the values of options.  They
 * take the whole string or nothing: no leading or trailing blanks, no sign,
 * no garbage after the number, no silent wrap-around.
 *
 * The parsers return 0 with the value in *out, or -1 and leave *out
 * unchanged.  The checks look at n bytes at v (a list entry need not end
 * in NUL) and return 0, or -1 with *why set to a static phrase that reads
 * well before the quoted value: "unsupported scheme in ".
 */
#ifndef THANOS_FCGI_UNITS_H
#define THANOS_FCGI_UNITS_H

#include <stddef.h>
#include <stdint.h>

/*
 * A duration as Thanos and Go write it, in milliseconds: "0", "500ms",
 * "30s", "2m", "1h", "1m30s", "1.5s"; units ms, s, m, h, d, w.  A unit is
 * required except for a bare "0".  A fraction must come out as whole
 * milliseconds ("1.5ms" is refused rather than rounded to a surprise).
 */
int units_duration_ms(const char *s, int64_t *out);

/*
 * A size in bytes: "123", "123B", "64KiB", "10MiB", "1GiB", "1TiB"
 * (1024-based) or "64KB", "64kB", "10MB", "1GB", "1TB" (1000-based).
 */
int units_size(const char *s, uint64_t *out);

/* A decimal integer in min..max (strtol with every check). */
int units_long(const char *s, long min, long max, long *out);

/* 1/0, true/false, yes/no, on/off (any case): *out is 1 or 0. */
int units_bool(const char *s, int *out);

/* No byte <= ' ' and no DEL (keeps values out of header injection). */
int units_check_plain(const char *v, size_t n, const char **why);

/* An upstream URL: http://..., https://... or unix:/path. */
int units_check_upstream(const char *v, size_t n, const char **why);

/* A prefix or a sub-path: empty, or plain and starting with '/'. */
int units_check_path(const char *v, size_t n, const char **why);

/* A public origin: http:// or https:// and more, plain. */
int units_check_origin(const char *v, size_t n, const char **why);

/* An HTTP header name (RFC 9110 token), or empty. */
int units_check_header(const char *v, size_t n, const char **why);

/* A listen address: host:port (IPv6 host in brackets), port 1..65535, or
 * unix:/path. */
int units_check_listen(const char *v, size_t n, const char **why);

/* A file mode in octal: 3 or 4 digits 0-7 ("660", "0660"). */
int units_check_mode(const char *v, size_t n, const char **why);

/* A TLS version we accept as a minimum: "1.2" or "1.3". */
int units_check_tls_version(const char *v, size_t n, const char **why);

#endif
