/*
 * units: strict parsers for the values of options.  They take the whole
 * string or nothing: no leading or trailing blanks, no sign, no garbage
 * after the number, no silent wrap-around.
 *
 * Every function returns 0 with the value in *out, or -1 and leaves *out
 * unchanged.
 */
#ifndef THANOS_FCGI_UNITS_H
#define THANOS_FCGI_UNITS_H

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

#endif
