/*
 * log: the one logging convention.  Every message is one line on stderr,
 * which is the web server's error log under CGI and FastCGI, in the shape
 * Thanos and Prometheus write (logline.h), logfmt by default:
 *
 *   ts=2026-12-02T07:40:00.123Z level=error caller=relay.c:530
 *     msg="request failed" method=GET path=/thanos/x err="upstream ... failed: ..."
 *
 * or JSON with the same keys (--log.format json).
 *
 * log_msg(level, fmt, ...) is printf-like: the formatted text is the msg,
 * in the shape "<what> failed: <why>" for failures, and the caller is the
 * call site (log_msg is a macro that passes __FILE__ and __LINE__).
 * log_fields(level, msg, fields, n) writes a constant msg with key=value
 * fields: what a line is about (a request's method and path, an upstream)
 * goes in fields, the cause of a failure in err=.
 *
 * Levels: LOG_ERR  a request or the start-up failed;
 *         LOG_WARN something an operator should know (insecure TLS, a
 *                  replica marked down);
 *         LOG_INFO start, stop, listening address;
 *         LOG_DEBUG per-request tracing: each request's mapping (E, T,
 *                  upstream URL, status, bytes, time), a mount's route
 *                  built, a down mark over, a rewritten Location.
 * The line is written with one write(2) of at most LOGLINE_MAX bytes
 * (PIPE_BUF), so lines from threads or processes sharing the log never
 * interleave.
 */
#ifndef THANOS_FCGI_LOG_H
#define THANOS_FCGI_LOG_H

#include <stddef.h>

#include "logline.h"

enum log_level { LOG_ERR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Messages above level are dropped. Default LOG_INFO. */
void log_set_level(enum log_level level);

/* logfmt (the default) or JSON. */
void log_set_format(enum log_format f);

/* 1 when a message at level is written: build costly fields only then. */
int log_enabled(enum log_level level);

/* Parses "error", "warn", "info", "debug". Returns 0 or -1. */
int log_parse_level(const char *s, enum log_level *out);

/* "error", "warn", "info" or "debug". */
const char *log_level_name(enum log_level level);

#define log_msg(level, ...) log_msg_at(__FILE__, __LINE__, (level), __VA_ARGS__)
#define log_fields(level, msg, fv, n) log_fields_at(__FILE__, __LINE__, (level), (msg), (fv), (n))

/* What the macros call.  A msg longer than LOGLINE_VALUE_MAX is cut. */
void log_msg_at(const char *file, int line, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void log_fields_at(const char *file, int line, enum log_level level, const char *msg,
		   const struct log_field *fv, size_t n);

/* Writes the line at level whatever the level setting (an access line,
 * asked for by its own option). */
void log_write(const char *file, int line, enum log_level level, const char *msg,
	       const struct log_field *fv, size_t n);

#endif
