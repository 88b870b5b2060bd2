/*
 * log: the one logging convention.  Every message is one line on stderr,
 * which is the web server's error log under CGI and FastCGI:
 *
 *   thanos-fcgi: <what> failed: <why>
 *
 * Levels: LOG_ERR  a request or the start-up failed;
 *         LOG_WARN something an operator should know (insecure TLS, a
 *                  replica marked down);
 *         LOG_INFO start, stop, listening address;
 *         LOG_DEBUG per-request tracing.
 * The line is written with one write(2), so lines from threads or
 * processes sharing the log never interleave.
 */
#ifndef THANOS_FCGI_LOG_H
#define THANOS_FCGI_LOG_H

enum log_level { LOG_ERR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Messages above level are dropped. Default LOG_INFO. */
void log_set_level(enum log_level level);

/* Parses "error", "warn", "info", "debug". Returns 0 or -1. */
int log_parse_level(const char *s, enum log_level *out);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
