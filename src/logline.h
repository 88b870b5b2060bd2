/*
 * logline: the shape of one log line, pure (no clock, no write): the time,
 * the level, the caller, the message and key=value fields, as logfmt the
 * way Thanos and Prometheus write it (go-kit log over go-logfmt)
 *
 *   ts=2026-12-02T07:40:00.123Z level=warn caller=relay.c:123 msg="..." k=v
 *
 * or as one JSON object per line with the same keys in the same order.
 *
 * Escaping (both formats): '"', '\\', '\n', '\r', '\t' as those two-byte
 * escapes, every other byte below 0x20 and 0x7f as \u00XX, a byte that is
 * not part of valid UTF-8 as \ufffd; valid UTF-8 passes.  So nothing a
 * request carries can end or split a line.  In logfmt a value is quoted
 * only when it holds a byte <= ' ', '=', '"', 0x7f or invalid UTF-8; an
 * empty value is written "key=" as go-logfmt does.  Keys are the
 * program's own lower_snake names and are written as they are.
 *
 * A line never exceeds LOGLINE_MAX bytes (PIPE_BUF: one write(2) of it to
 * a pipe is atomic): each value is cut at LOGLINE_VALUE_MAX bytes of
 * output, and a cut value ends in "..." inside its quotes.  A number is
 * never cut: a field that has no room left for it whole is left out, with
 * the fields after it.
 */
#ifndef THANOS_FCGI_LOGLINE_H
#define THANOS_FCGI_LOGLINE_H

#include <stddef.h>
#include <stdint.h>

#define LOGLINE_MAX 4096
#define LOGLINE_VALUE_MAX 1024

enum log_format { LOG_FORMAT_LOGFMT = 0, LOG_FORMAT_JSON };

/* One key=value field.  num: the value is a number (JSON leaves it
 * unquoted; it must then be digits, as the caller formats it). */
struct log_field {
	const char *key;
	const char *val;
	int num;
};

/* What every line starts with. */
struct log_head {
	int64_t ts_ms;     /* wall clock, milliseconds since the epoch (UTC) */
	const char *level; /* "error", "warn", "info", "debug" */
	const char *file;  /* __FILE__: only its last component is written */
	int line;          /* __LINE__ */
};

/*
 * Writes the line for h, msg and the n fields into out (cap bytes, at
 * least 256), ending in '\n' and then a NUL that is not counted.  Returns
 * the length with the '\n'.  Never fails: what does not fit is cut as
 * above; fields past LOGLINE_MAX are left out.
 */
size_t logline_format(char *out, size_t cap, enum log_format f, const struct log_head *h,
		      const char *msg, const struct log_field *fv, size_t n);

/* Parses "logfmt" or "json".  Returns 0, or -1 (*out unchanged). */
int logline_parse_format(const char *s, enum log_format *out);

/* A conf_table check for --log.format (units.h's signature): 0, or -1
 * with *why set. */
int logline_check_format(const char *v, size_t n, const char **why);

/* "2026-12-02T07:40:00.123Z" for ms since the epoch into out (25 bytes
 * with the NUL).  Returns out. */
char *logline_time(int64_t ts_ms, char out[25]);

#endif
