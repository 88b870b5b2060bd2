/* units: strict parsers for durations, sizes, integers and booleans. */
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
		uint64_t whole, frac = 0, scale = 1, ms;
		const struct unit *u;
		const char *name;
		int nw, nf = 0;

		nw = digits(&p, max, &whole);
		if (nw < 0)
			return -1;
		if (*p == '.') {
			p++;
			/* Nine digits keep frac * mult (<= 6.05e8) in range. */
			while (*p >= '0' && *p <= '9') {
				if (++nf > 9)
					return -1;
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
				p++;
			}
		}
		if (nw == 0 && nf == 0)
			return -1;
		name = p;
		while (isalpha((unsigned char)*p))
			p++;
		u = unit_find(duration_units,
			      sizeof(duration_units) / sizeof(duration_units[0]),
			      name, (size_t)(p - name));
		if (u == NULL)
			return -1;
		if (whole > max / u->mult)
			return -1;
		ms = whole * u->mult;
		if (frac * u->mult % scale != 0)
			return -1; /* finer than a millisecond */
		if (ms > max - frac * u->mult / scale)
			return -1;
		ms += frac * u->mult / scale;
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
