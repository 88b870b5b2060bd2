/* pct: percent-encoding for URL paths and queries; see pct.h. */
#include "pct.h"

#include <string.h>

static const char hexdigits[] = "0123456789ABCDEF";

int pct_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int pct_is_pchar(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	switch (c) {
	case '-': case '.': case '_': case '~':            /* unreserved */
	case '!': case '$': case '&': case '\'': case '(': /* sub-delims */
	case ')': case '*': case '+': case ',': case ';': case '=':
	case ':': case '@':
		return 1;
	default:
		return 0;
	}
}

int pct_is_ctl(int c)
{
	return (c >= 0 && c < 0x20) || c == 0x7f;
}

int pct_has_ctl(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (pct_is_ctl((unsigned char)s[i]))
			return 1;
	return 0;
}

int pct_is_escape(const char *s, size_t n)
{
	return n >= 3 && s[0] == '%' &&
	       pct_hexval((unsigned char)s[1]) >= 0 &&
	       pct_hexval((unsigned char)s[2]) >= 0;
}

/* Undoes a partial append: out back to old bytes. */
static int restore(struct buf *out, size_t old)
{
	out->len = old;
	if (out->ptr != NULL)
		out->ptr[old] = '\0';
	return -1;
}

static int append_escape(struct buf *out, unsigned char c)
{
	char e[3];

	e[0] = '%';
	e[1] = hexdigits[c >> 4];
	e[2] = hexdigits[c & 0x0f];
	return buf_append(out, e, sizeof(e));
}

int pct_decode(const char *s, size_t n, struct buf *out)
{
	size_t old = out->len, i = 0, run;
	char c;

	while (i < n) {
		/* copy the run up to the next '%' in one append */
		run = 0;
		while (i + run < n && s[i + run] != '%')
			run++;
		if (run > 0) {
			if (buf_append(out, s + i, run) != 0)
				return restore(out, old);
			i += run;
			continue;
		}
		if (!pct_is_escape(s + i, n - i))
			return restore(out, old);
		c = (char)(pct_hexval((unsigned char)s[i + 1]) * 16 +
			   pct_hexval((unsigned char)s[i + 2]));
		if (buf_appendc(out, c) != 0)
			return restore(out, old);
		i += 3;
	}
	return 0;
}

int pct_encode_path(const char *s, size_t n, struct buf *out)
{
	size_t old = out->len, i;
	unsigned char c;
	int r;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (pct_is_pchar(c) || c == '/')
			r = buf_appendc(out, (char)c);
		else
			r = append_escape(out, c);
		if (r != 0)
			return restore(out, old);
	}
	return 0;
}

/* pct_requote_path(), with the bytes of extra escaped too. */
static int requote(const char *s, size_t n, struct buf *out, const char *extra)
{
	size_t old = out->len, i = 0;
	unsigned char c;
	int r;

	while (i < n) {
		c = (unsigned char)s[i];
		if (pct_is_escape(s + i, n - i)) {
			r = buf_append(out, s + i, 3);
			i += 3;
		} else {
			if ((pct_is_pchar(c) || c == '/') &&
			    strchr(extra, c) == NULL)
				r = buf_appendc(out, (char)c);
			else
				r = append_escape(out, c);
			i++;
		}
		if (r != 0)
			return restore(out, old);
	}
	return 0;
}

int pct_requote_path(const char *s, size_t n, struct buf *out)
{
	return requote(s, n, out, "");
}

int pct_requote_prefix(const char *s, size_t n, struct buf *out)
{
	return requote(s, n, out, ";,'");
}

/* Bytes a query may not hold raw (WHATWG's query set plus '#'s own). */
static int query_needs_escape(unsigned char c)
{
	if (pct_is_ctl(c) || c >= 0x7f)
		return 1;
	switch (c) {
	case ' ': case '"': case '#': case '<': case '>': case '\\':
	case '^': case '`': case '{': case '|': case '}':
		return 1;
	default:
		return 0;
	}
}

int pct_requote_query(const char *s, size_t n, struct buf *out)
{
	size_t old = out->len, i;
	unsigned char c;
	int r;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (query_needs_escape(c))
			r = append_escape(out, c);
		else
			r = buf_appendc(out, (char)c);
		if (r != 0)
			return restore(out, old);
	}
	return 0;
}
