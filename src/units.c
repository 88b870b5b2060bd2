/* units: strict parsers and syntax checks for option values; see units.h. */
#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A suffix and what one of it is worth. */
struct unit {
	const char *name;
	uint64_t mult;
};

static const struct unit duration_units[] = {
	{"ms", 1},
	{"s", 1000},
	{"m", 60 * 1000},
	{"h", 60 * 60 * 1000},
	{"d", 24 * 60 * 60 * 1000},
	{"w", 7 * 24 * 60 * 60 * 1000},
};

static const struct unit size_units[] = {
	{"", 1},
	{"B", 1},
	{"KiB", UINT64_C(1) << 10},
	{"MiB", UINT64_C(1) << 20},
	{"GiB", UINT64_C(1) << 30},
	{"TiB", UINT64_C(1) << 40},
	{"KB", UINT64_C(1000)},
	{"kB", UINT64_C(1000)},
	{"MB", UINT64_C(1000000)},
	{"GB", UINT64_C(1000000000)},
	{"TB", UINT64_C(1000000000000)},
};

/* Finds the n bytes at s in units[]. Returns the entry or NULL. */
static const struct unit *unit_find(const struct unit *units, size_t count,
				    const char *s, size_t n)
{
	for (size_t i = 0; i < count; i++)
		if (strlen(units[i].name) == n &&
		    memcmp(units[i].name, s, n) == 0)
			return &units[i];
	return NULL;
}

/*
 * Reads decimal digits at *p into *v (at most max), advancing *p.
 * Returns how many digits were read, or -1 on overflow.
 */
static int digits(const char **p, uint64_t max, uint64_t *v)
{
	int n = 0;

	*v = 0;
	while (**p >= '0' && **p <= '9') {
		uint64_t d = (uint64_t)(**p - '0');
		if (*v > (max - d) / 10)
			return -1;
		*v = *v * 10 + d;
		(*p)++;
		n++;
	}
	return n;
}

/* Reads ".digits" at *p into *frac / *scale, advancing *p; the digit count, -1 past 9. */
static int fraction(const char **p, uint64_t *frac, uint64_t *scale)
{
	int nf = 0;

	*frac = 0;
	*scale = 1;
	if (**p != '.')
		return 0;
	(*p)++;
	/* Nine digits keep frac * mult (<= 6.05e8) in range. */
	while (**p >= '0' && **p <= '9') {
		if (++nf > 9)
			return -1;
		*frac = *frac * 10 + (uint64_t)(**p - '0');
		*scale *= 10;
		(*p)++;
	}
	return nf;
}

/* (whole + frac / scale) * mult into *ms; -1 when finer than 1 ms or over max. */
static int scaled_ms(uint64_t whole, uint64_t frac, uint64_t scale,
		     uint64_t mult, uint64_t max, uint64_t *ms)
{
	if (whole > max / mult)
		return -1;
	*ms = whole * mult;
	if (frac * mult % scale != 0)
		return -1; /* finer than a millisecond */
	if (*ms > max - frac * mult / scale)
		return -1;
	*ms += frac * mult / scale;
	return 0;
}

/* Reads one "1.5h" term at *p into *ms (at most max), advancing *p; -1 if bad. */
static int duration_term(const char **p, uint64_t max, uint64_t *ms)
{
	uint64_t whole, frac, scale;
	const struct unit *u;
	const char *name;
	int nw, nf;

	nw = digits(p, max, &whole);
	if (nw < 0)
		return -1;
	nf = fraction(p, &frac, &scale);
	if (nf < 0 || (nw == 0 && nf == 0))
		return -1;
	name = *p;
	while (isalpha((unsigned char)**p))
		(*p)++;
	u = unit_find(duration_units,
		      sizeof(duration_units) / sizeof(duration_units[0]),
		      name, (size_t)(*p - name));
	if (u == NULL)
		return -1;
	return scaled_ms(whole, frac, scale, u->mult, max, ms);
}

int units_duration_ms(const char *s, int64_t *out)
{
	const uint64_t max = INT64_MAX;
	const char *p = s;
	uint64_t total = 0;

	if (s == NULL || *s == '\0')
		return -1;
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	while (*p != '\0') {
		uint64_t ms;

		if (duration_term(&p, max, &ms) != 0)
			return -1;
		if (total > max - ms)
			return -1;
		total += ms;
	}
	*out = (int64_t)total;
	return 0;
}

int units_size(const char *s, uint64_t *out)
{
	const char *p = s;
	const struct unit *u;
	uint64_t v;

	if (s == NULL || digits(&p, UINT64_MAX, &v) <= 0)
		return -1;
	u = unit_find(size_units, sizeof(size_units) / sizeof(size_units[0]),
		      p, strlen(p));
	if (u == NULL || v > UINT64_MAX / u->mult)
		return -1;
	*out = v * u->mult;
	return 0;
}

int units_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	/* strtol skips blanks: refuse them so " 5" is not 5. */
	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int units_bool(const char *s, int *out)
{
	static const struct {
		const char *name;
		int value;
	} names[] = {
		{"1", 1},    {"true", 1},  {"yes", 1}, {"on", 1},
		{"0", 0},    {"false", 0}, {"no", 0},  {"off", 0},
	};

	if (s == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(s, names[i].name) == 0) {
			*out = names[i].value;
			return 0;
		}
	}
	return -1;
}

int units_check_plain(const char *v, size_t n, const char **why)
{
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f) {
			*why = "blank or control character in ";
			return -1;
		}
	}
	return 0;
}

static int has_prefix(const char *v, size_t n, const char *p)
{
	size_t pn = strlen(p);
	return n >= pn && memcmp(v, p, pn) == 0;
}

int units_check_upstream(const char *v, size_t n, const char **why)
{
	static const char *const schemes[] = {"http://", "https://", "unix:/"};

	if (units_check_plain(v, n, why) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (!has_prefix(v, n, schemes[i]))
			continue;
		if (n > strlen(schemes[i]))
			return 0;
		*why = "nothing after the scheme in ";
		return -1;
	}
	*why = "unsupported scheme in ";
	return -1;
}

int units_check_path(const char *v, size_t n, const char **why)
{
	if (units_check_plain(v, n, why) != 0)
		return -1;
	if (n > 0 && v[0] != '/') {
		*why = "must start with '/': ";
		return -1;
	}
	return 0;
}

int units_check_origin(const char *v, size_t n, const char **why)
{
	if (units_check_plain(v, n, why) != 0)
		return -1;
	if ((has_prefix(v, n, "http://") && n > 7) ||
	    (has_prefix(v, n, "https://") && n > 8))
		return 0;
	*why = "not an http:// or https:// URL: ";
	return -1;
}

int units_check_header(const char *v, size_t n, const char **why)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~";

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];

		if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= 'A' && ch <= 'Z') ||
		    (ch != '\0' && strchr(tchar, ch) != NULL))
			continue;
		*why = "not a header name: ";
		return -1;
	}
	return 0;
}

int units_check_listen(const char *v, size_t n, const char **why)
{
	size_t colon = n;
	long port = 0;

	if (units_check_plain(v, n, why) != 0)
		return -1;
	*why = "not host:port or unix:/path: ";
	if (has_prefix(v, n, "unix:"))
		return n > 6 && v[5] == '/' ? 0 : -1;
	for (size_t i = 0; i < n; i++)
		if (v[i] == ':')
			colon = i;
	if (colon == n || colon == 0 || n - colon - 1 < 1 || n - colon - 1 > 5)
		return -1;
	if (v[0] == '[' && (colon < 3 || v[colon - 1] != ']'))
		return -1;
	if (v[0] != '[' && memchr(v, ':', colon) != NULL)
		return -1; /* an IPv6 host needs brackets */
	for (size_t i = colon + 1; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		port = port * 10 + (v[i] - '0');
	}
	if (port < 1 || port > 65535) {
		*why = "port not in 1..65535: ";
		return -1;
	}
	return 0;
}

int units_check_mode(const char *v, size_t n, const char **why)
{
	*why = "not an octal mode like 0660: ";
	if (n < 3 || n > 4)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (v[i] < '0' || v[i] > '7')
			return -1;
	return 0;
}

int units_check_tls_version(const char *v, size_t n, const char **why)
{
	if (n == 3 && (memcmp(v, "1.2", 3) == 0 || memcmp(v, "1.3", 3) == 0))
		return 0;
	*why = "not 1.2 or 1.3: ";
	return -1;
}
