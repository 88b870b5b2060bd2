/*
 * fuzz_logline: logline_format() on any message and field values.
 *
 * Input: NUL-separated fields: a control byte, the msg, then up to 6
 * values (keys k0..k5).  Control bit 0: JSON (else logfmt); bit 1: the
 * last value is a number "12345" (JSON leaves it bare).
 *
 * Invariants: the line is one line: its length is the return value, under
 * LOGLINE_MAX, it ends in its only '\n' and holds no other byte below 0x20,
 * no DEL and no invalid UTF-8; it parses as logfmt (key=bare or
 * key="..." with only \" \\ \n \r \t \uXXXX escapes, blank-separated) or
 * as one JSON object of string and number values, with ts, level, caller,
 * msg first and every field after them unless the line was full.
 */
#include <stddef.h>
#include <stdint.h>

#include "logline.h"

static const char *cur_line;
static void fuzz_dump(void);
#include "fuzz_util.h"

static void fuzz_dump(void)
{
	fuzz_show("line", cur_line, strlen(cur_line));
}

/* The length of the valid UTF-8 sequence at s, 0 when invalid. */
static size_t utf8_ok(const unsigned char *s)
{
	size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3 : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
	unsigned char lo = s[0] == 0xe0 ? 0xa0 : s[0] == 0xf0 ? 0x90 : 0x80;
	unsigned char hi = s[0] == 0xed ? 0x9f : s[0] == 0xf4 ? 0x8f : 0xbf;

	if (n > 1 && (s[1] < lo || s[1] > hi))
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* Past a quoted value at p ('"'), its escapes checked; NULL when bad. */
static const char *quoted(const char *p)
{
	for (p++; *p != '"'; p++) {
		if (*p == '\0' || *p == '\n')
			return NULL;
		if (*p != '\\')
			continue;
		p++;
		if (*p == 'u') {
			for (int i = 1; i <= 4; i++)
				if (strchr("0123456789abcdef", p[i]) == NULL || p[i] == '\0')
					return NULL;
			p += 4;
		} else if (strchr("\"\\nrt", *p) == NULL || *p == '\0') {
			return NULL;
		}
	}
	return p + 1;
}

/* The number of key=value pairs of a logfmt line, -1 when malformed. */
static int logfmt_pairs(const char *p)
{
	int n = 0;

	for (;;) {
		const char *k = p;
		while ((*p >= 'a' && *p <= 'z') || *p == '_' || (*p >= '0' && *p <= '9'))
			p++;
		if (p == k || *p++ != '=')
			return -1;
		if (*p == '"')
			p = quoted(p);
		else
			while (p != NULL && *p != ' ' && *p != '\n' && *p != '"' && *p != '=')
				p++;
		if (p == NULL)
			return -1;
		n++;
		if (*p == '\n')
			return p[1] == '\0' ? n : -1;
		if (*p++ != ' ')
			return -1;
	}
}

/* The number of members of a one-line JSON object, -1 when malformed. */
static int json_members(const char *p)
{
	int n = 0;

	if (*p++ != '{')
		return -1;
	for (;;) {
		if (*p != '"' || (p = quoted(p)) == NULL || *p++ != ':')
			return -1;
		if (*p == '"') {
			p = quoted(p);
		} else {
			const char *d = p;
			while (*p >= '0' && *p <= '9')
				p++;
			p = p == d ? NULL : p;
		}
		if (p == NULL)
			return -1;
		n++;
		if (*p == '}')
			return p[1] == '\n' && p[2] == '\0' ? n : -1;
		if (*p++ != ',')
			return -1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {"k0", "k1", "k2", "k3", "k4", "k5"};
	struct fields fs;
	struct log_field fv[6];
	struct log_head h = {(int64_t)size * 86400123, "warn", "../src/relay.c", 123};
	char out[LOGLINE_MAX];
	size_t n = 0, len, total = 0;
	unsigned ctl;
	int got;

	fields_split(&fs, data, size, 8);
	ctl = (unsigned char)field(&fs, 0, "")[0];
	for (size_t i = 2; i < fs.n; i++, n++) {
		fv[n] = (struct log_field){keys[n], fs.f[i], 0};
		total += strlen(fs.f[i]);
	}
	if ((ctl & 2) && n > 0)
		fv[n - 1] = (struct log_field){keys[n - 1], "12345", 1};
	cur_line = out;
	len = logline_format(out, sizeof(out), (ctl & 1) ? LOG_FORMAT_JSON : LOG_FORMAT_LOGFMT, &h,
			     field(&fs, 1, ""), fv, n);
	FUZZ_CHECK(len == strlen(out) && len < LOGLINE_MAX, "length %zu", len);
	FUZZ_CHECK(len > 0 && out[len - 1] == '\n' && strchr(out, '\n') == out + len - 1,
		   "not one line");
	for (const unsigned char *s = (const unsigned char *)out; *s != '\n'; s += utf8_ok(s)) {
		FUZZ_CHECK(*s >= 0x20 && *s != 0x7f, "control byte 0x%02x", *s);
		FUZZ_CHECK(utf8_ok(s) > 0, "invalid UTF-8 at %zu", (size_t)(s - (const unsigned char *)out));
	}
	got = (ctl & 1) ? json_members(out) : logfmt_pairs(out);
	FUZZ_CHECK(got >= 4 && got <= 4 + (int)n, "%d members of %zu", got, 4 + n);
	FUZZ_CHECK(strncmp(out, (ctl & 1) ? "{\"ts\":\"" : "ts=", (ctl & 1) ? 7 : 3) == 0, "no ts first");
	/* six values of a few bytes each always fit, escaped six times over */
	if (total + strlen(field(&fs, 1, "")) < 256)
		FUZZ_CHECK(got == 4 + (int)n, "%d members of %zu", got, 4 + n);
	fields_free(&fs);
	return 0;
}
