/*
 * fuzz_util: helpers shared by the libFuzzer harnesses in tests/fuzz/.
 *
 * Each harness cuts its input into NUL-separated fields (a C string cannot
 * hold a NUL, so no field needs escaping) and checks invariants with
 * FUZZ_CHECK, which prints what broke and aborts so libFuzzer saves the
 * input.  Header-only: every harness is built from one .c file plus the
 * src/ modules it exercises (tests/fuzz/run).
 */
#ifndef THANOS_FCGI_FUZZ_UTIL_H
#define THANOS_FCGI_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_FIELDS 64

/* The input as up to FUZZ_MAX_FIELDS NUL-terminated strings.  The last
 * field takes the rest of the input, NULs included (cut there). */
struct fields {
	char *mem;
	size_t n;
	char *f[FUZZ_MAX_FIELDS];
};

static inline void fields_split(struct fields *fs, const uint8_t *data, size_t size,
			 size_t max)
{
	size_t i, start = 0;

	if (max > FUZZ_MAX_FIELDS)
		max = FUZZ_MAX_FIELDS;
	fs->mem = malloc(size + 1);
	if (fs->mem == NULL)
		abort();
	if (size > 0)
		memcpy(fs->mem, data, size);
	fs->mem[size] = '\0';
	fs->n = 0;
	for (i = 0; i <= size && fs->n < max; i++) {
		if (i == size || fs->mem[i] == '\0') {
			fs->mem[i] = '\0';
			fs->f[fs->n++] = fs->mem + start;
			start = i + 1;
		}
	}
}

/* Field i, or def when the input has fewer fields. */
static inline const char *field(const struct fields *fs, size_t i, const char *def)
{
	return i < fs->n ? fs->f[i] : def;
}

static inline void fields_free(struct fields *fs)
{
	free(fs->mem);
	fs->mem = NULL;
}

/* Prints a byte string with C escapes for what is not printable ASCII. */
static inline void fuzz_show(const char *what, const char *s, size_t n)
{
	size_t i;

	fprintf(stderr, "  %s (%zu bytes): \"", what, n);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(stderr, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			fputc(c, stderr);
		else
			fprintf(stderr, "\\x%02x", c);
	}
	fputs("\"\n", stderr);
}

#define FUZZ_CHECK(cond, ...)                                               \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "\nfuzz invariant broken at %s:%d: %s\n  ", \
				__FILE__, __LINE__, #cond);                 \
			fprintf(stderr, __VA_ARGS__);                       \
			fputc('\n', stderr);                                \
			fuzz_dump();                                        \
			abort();                                            \
		}                                                           \
	} while (0)

/* 1 when s[0..n) holds the string lit at a position where it starts. */
static inline int has_sub(const char *s, size_t n, const char *lit)
{
	size_t ln = strlen(lit), i;

	for (i = 0; ln <= n && i + ln <= n; i++)
		if (memcmp(s + i, lit, ln) == 0)
			return 1;
	return 0;
}

/* 1 when s[0..n) holds any of CR, LF or NUL. */
static inline int has_crlf_nul(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			return 1;
	return 0;
}

#if defined(THANOS_FCGI_PREFIX_H) && defined(THANOS_FCGI_PCT_H)
/*
 * A prefix as the adapter holds one: prefix_normalize(), runs of '/'
 * merged, every segment through pct_requote_prefix() (what prefix_derive()
 * makes of E; a route prefix R from the configuration is normalised too).
 * Sets out; on overflow out is "".
 */
static inline void make_prefix(const char *raw, struct buf *out)
{
	struct buf n;
	const char *s;
	size_t i = 0, j;

	buf_init(&n, out->max);
	buf_reset(out);
	if (prefix_normalize(raw, &n) != 0)
		goto out;
	s = buf_str(&n);
	while (i < n.len) {
		if (s[i] == '/') {
			if (buf_appendc(out, '/') != 0)
				goto fail;
			while (i < n.len && s[i] == '/')
				i++;
			continue;
		}
		for (j = i; j < n.len && s[j] != '/'; j++)
			;
		if (pct_requote_prefix(s + i, j - i, out) != 0)
			goto fail;
		i = j;
	}
	goto out;
fail:
	buf_reset(out);
out:
	buf_free(&n);
}
#endif

#endif
