/* logline: one log line as logfmt or JSON, pure; see logline.h. */
#include "logline.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* The line being written: len never passes lim, which keeps room after it
 * for a closing '}', the '\n' and the NUL. */
struct out {
	char *p;
	size_t len, lim;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (n > o->lim - o->len)
		n = o->lim - o->len;
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* The length of the valid UTF-8 sequence at s (left bytes), 1 for ASCII,
 * 0 when the bytes there are not valid UTF-8 (overlong, surrogate, cut). */
static size_t utf8_len(const unsigned char *s, size_t left)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		lo = c == 0xe0 ? 0xa0 : lo;
		hi = c == 0xed ? 0x9f : hi;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		lo = c == 0xf0 ? 0x90 : lo;
		hi = c == 0xf4 ? 0x8f : hi;
	} else {
		return 0;
	}
	if (left < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* The escaped form of the unit at s (left bytes) into e; returns its
 * length and sets *used to the input bytes it stands for.  raw: s is part
 * of an unquoted logfmt value (needs_quote said no), copied as it is. */
static size_t escape_one(const unsigned char *s, size_t left, int raw, char e[8], size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	size_t u = utf8_len(s, left);

	*used = u > 0 ? u : 1;
	if (u == 0) {
		memcpy(e, "\\ufffd", 6);
		return 6;
	}
	if (u > 1 || raw || (s[0] >= 0x20 && s[0] != 0x7f && s[0] != '"' && s[0] != '\\')) {
		memcpy(e, s, u);
		return u;
	}
	e[0] = '\\';
	switch (s[0]) {
	case '"': case '\\': e[1] = (char)s[0]; return 2;
	case '\n': e[1] = 'n'; return 2;
	case '\r': e[1] = 'r'; return 2;
	case '\t': e[1] = 't'; return 2;
	default:
		memcpy(e + 1, "u00", 3);
		e[4] = hex[s[0] >> 4];
		e[5] = hex[s[0] & 15];
		return 6;
	}
}

/* 1 when logfmt must quote v: a byte <= ' ', '=', '"', DEL or bad UTF-8. */
static int needs_quote(const char *v)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t left = strlen(v);

	while (left > 0) {
		size_t u = utf8_len(s, left);

		if (u == 0 || *s <= ' ' || *s == '=' || *s == '"' || *s == 0x7f)
			return 1;
		s += u;
		left -= u;
	}
	return 0;
}

/* Appends v escaped (raw: copied), at most LOGLINE_VALUE_MAX bytes (and
 * what the line has room for); a cut value ends in "...". */
static void put_escaped(struct out *o, const char *v, int raw)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t left = strlen(v), room = o->lim - o->len;
	size_t budget = (room > 8 ? room - 8 : 0), used, n;
	char e[8];

	if (budget > LOGLINE_VALUE_MAX)
		budget = LOGLINE_VALUE_MAX;
	while (left > 0) {
		n = escape_one(s, left, raw, e, &used);
		if (n > budget) {
			puts_(o, "...");
			return;
		}
		put(o, e, n);
		budget -= n;
		s += used;
		left -= used;
	}
}

/* Appends one value: quoted (always in JSON, when needed in logfmt) unless
 * it is a number in JSON. */
static void put_value(struct out *o, enum log_format f, const char *v, int num)
{
	int q = f == LOG_FORMAT_JSON ? !num : needs_quote(v);

	if (q)
		put(o, "\"", 1);
	put_escaped(o, v, !q);
	if (q)
		put(o, "\"", 1);
}

/* Appends " key=" or ",\"key\":" (nothing before the first). */
static void put_key(struct out *o, enum log_format f, const char *key, int first)
{
	if (f == LOG_FORMAT_JSON) {
		puts_(o, first ? "{\"" : ",\"");
		puts_(o, key);
		puts_(o, "\":");
	} else {
		if (!first)
			put(o, " ", 1);
		puts_(o, key);
		put(o, "=", 1);
	}
}

char *logline_time(int64_t ts_ms, char out[25])
{
	int64_t sec = ts_ms / 1000, ms = ts_ms % 1000;
	time_t t;
	struct tm tm;

	if (ms < 0) {
		ms += 1000;
		sec--;
	}
	t = (time_t)sec;
	if (gmtime_r(&t, &tm) == NULL ||
	    snprintf(out, 25, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)ms) != 24)
		memcpy(out, "0000-00-00T00:00:00.000Z", 25);
	return out;
}

/* The caller as go-kit writes it: the file's last component, ':', line. */
static void caller(const struct log_head *h, char *buf, size_t cap)
{
	const char *slash = h->file != NULL ? strrchr(h->file, '/') : NULL;
	const char *file = slash != NULL ? slash + 1 : h->file != NULL ? h->file : "?";

	if (snprintf(buf, cap, "%s:%d", file, h->line) < 0)
		buf[0] = '\0';
}

size_t logline_format(char *out, size_t cap, enum log_format f, const struct log_head *h,
		      const char *msg, const struct log_field *fv, size_t n)
{
	struct out o = {out, 0, cap - 3};
	char ts[25], at[128];

	caller(h, at, sizeof(at));
	put_key(&o, f, "ts", 1);
	put_value(&o, f, logline_time(h->ts_ms, ts), 0);
	put_key(&o, f, "level", 0);
	put_value(&o, f, h->level, 0);
	put_key(&o, f, "caller", 0);
	put_value(&o, f, at, 0);
	put_key(&o, f, "msg", 0);
	put_value(&o, f, msg, 0);
	for (size_t i = 0; i < n; i++) {
		const char *v = fv[i].val != NULL ? fv[i].val : "";

		/* no room for another field; a number is never cut ("12..." is
		 * no number, nor JSON), it fits whole or is left out */
		if (o.lim - o.len < strlen(fv[i].key) + 16 + (fv[i].num ? strlen(v) : 0))
			break;
		put_key(&o, f, fv[i].key, 0);
		put_value(&o, f, v, fv[i].num);
	}
	if (f == LOG_FORMAT_JSON)
		out[o.len++] = '}';
	out[o.len++] = '\n';
	out[o.len] = '\0';
	return o.len;
}

int logline_parse_format(const char *s, enum log_format *out)
{
	if (strcmp(s, "logfmt") == 0)
		*out = LOG_FORMAT_LOGFMT;
	else if (strcmp(s, "json") == 0)
		*out = LOG_FORMAT_JSON;
	else
		return -1;
	return 0;
}

int logline_check_format(const char *v, size_t n, const char **why)
{
	if ((n == 6 && memcmp(v, "logfmt", 6) == 0) || (n == 4 && memcmp(v, "json", 4) == 0))
		return 0;
	*why = "not logfmt or json: ";
	return -1;
}
