/* log: one line per message on stderr; see log.h.  The shape is
 * logline.c's; this file owns the level, the format, the clock and the
 * write. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Atomic int log_level = LOG_INFO;
static _Atomic int log_format = LOG_FORMAT_LOGFMT;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(enum log_level level)
{
	log_level = (int)level;
}

void log_set_format(enum log_format f)
{
	log_format = (int)f;
}

int log_enabled(enum log_level level)
{
	return (int)level <= log_level;
}

int log_parse_level(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

const char *log_level_name(enum log_level level)
{
	return level >= LOG_ERR && level <= LOG_DEBUG ? level_names[level] : "info";
}

void log_write(const char *file, int line, enum log_level level, const char *msg,
	       const struct log_field *fv, size_t n)
{
	char out[LOGLINE_MAX];
	struct timespec now;
	struct log_head h;
	size_t len;
	ssize_t r;

	if (clock_gettime(CLOCK_REALTIME, &now) != 0)
		now.tv_sec = now.tv_nsec = 0;
	h.ts_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	h.level = log_level_name(level);
	h.file = file;
	h.line = line;
	len = logline_format(out, sizeof(out), (enum log_format)log_format, &h, msg, fv, n);
	r = write(2, out, len);
	(void)r;
}

void log_fields_at(const char *file, int line, enum log_level level, const char *msg,
		   const struct log_field *fv, size_t n)
{
	if (log_enabled(level))
		log_write(file, line, level, msg, fv, n);
}

void log_msg_at(const char *file, int line, enum log_level level, const char *fmt, ...)
{
	char msg[LOGLINE_VALUE_MAX + 1];
	va_list ap;
	int r;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	r = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	/* A longer message is cut (vsnprintf ended it); logline escapes
	 * what could end the line. */
	log_write(file, line, level, msg, NULL, 0);
}
