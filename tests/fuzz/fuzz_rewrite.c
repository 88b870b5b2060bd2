/*
 * fuzz_rewrite: every rewriter of rewrite.h (Location, Content-Location,
 * Refresh, Link, Set-Cookie, the rewrite_header() dispatch) and
 * url_origin().
 *
 * Input: NUL-separated fields: a control byte, E, R (both made into
 * prefixes as the adapter holds them), the header value, and for the
 * dispatch a header name.  Control bits 0-2: 0 Location, 1
 * Content-Location (through rewrite_header), 2 Refresh, 3 Link, 4
 * Set-Cookie, 5 url_origin, 6-7 rewrite_header with the name field; bit 3:
 * a public origin is configured; bits 4-5: out's max 64 KiB, the value's
 * length, 8 or 0 bytes.
 *
 * Invariants: 1 means out differs from the value, 0 that it is an exact
 * copy, -1 that out is empty; out stays within its max; no CR, LF or NUL
 * appears that the value did not hold; a rewritten value rewrites to itself
 * (where E is a proper prefix of R, "R/R/x" -> "R/x" -> "x" is the rule, see
 * tests/unit/test_rewrite.c: there only when R is gone from the result);
 * a rewritten Location is never a network-path reference once a browser
 * has dropped tabs and newlines; a Set-Cookie keeps its name=value and its
 * number of attributes; an origin is its own origin.
 */
#include <stddef.h>
#include <stdint.h>
#include <strings.h>

#include "buf.h"
#include "pct.h"
#include "prefix.h"
#include "rewrite.h"
#include "url.h"

static const char *cur_v, *cur_name;
static unsigned cur_kind;
static struct rewrite_ctx cur_rw;
static void fuzz_dump(void);
#include "fuzz_util.h"

static void fuzz_dump(void)
{
	static const char *const kinds[] = {
		"Location", "Content-Location", "Refresh", "Link", "Set-Cookie",
		"url_origin", "rewrite_header", "rewrite_header",
	};
	fprintf(stderr, "  rewriter: %s\n", kinds[cur_kind]);
	fuzz_show("E", cur_rw.e, strlen(cur_rw.e));
	fuzz_show("R", cur_rw.r, strlen(cur_rw.r));
	fprintf(stderr, "  public origin: %s\n", cur_rw.public_origin ? cur_rw.public_origin : "(none)");
	if (cur_kind >= 6)
		fuzz_show("name", cur_name, strlen(cur_name));
	fuzz_show("value", cur_v, strlen(cur_v));
}

/* rc of the rewriter kind on v. */
static int rewrite(unsigned kind, const char *v, struct buf *out)
{
	switch (kind) {
	case 0:
		return rewrite_location(&cur_rw, v, out);
	case 1:
		return rewrite_header(&cur_rw, "content-location", 16, v, out);
	case 2:
		return rewrite_refresh(&cur_rw, v, out);
	case 3:
		return rewrite_link(&cur_rw, v, out);
	case 4:
		return rewrite_set_cookie(&cur_rw, v, out);
	default:
		return rewrite_header(&cur_rw, cur_name, strlen(cur_name), v, out);
	}
}

/* 1 when the prefix a (an) is a proper segment prefix of b (bn). */
static int proper_seg_prefix(const char *a, size_t an, const char *b, size_t bn)
{
	return an < bn && memcmp(a, b, an) == 0 && (an == 0 || b[an] == '/');
}

/* Whether a browser reads the URL reference s as pointing at another host
 * with no scheme: leading C0 controls and spaces dropped, tabs and
 * newlines removed everywhere, then "//" or "/\" (or "\\"...) first. */
static int browser_net_path(const char *s)
{
	char c[2];
	size_t k = 0;

	while (*s != '\0' && (unsigned char)*s <= 0x20)
		s++;
	for (; *s != '\0' && k < 2; s++)
		if (*s != '\t' && *s != '\n' && *s != '\r')
			c[k++] = *s;
	return k == 2 && (c[0] == '/' || c[0] == '\\') && (c[1] == '/' || c[1] == '\\');
}

static size_t count_char(const char *s, size_t n, char ch)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += s[i] == ch;
	return k;
}

static void check_origin(const char *v)
{
	struct buf o, o2;
	int rc;

	buf_init(&o, 4096);
	buf_init(&o2, 4096);
	buf_appends(&o, "junk");
	rc = url_origin(v, &o);
	FUZZ_CHECK(rc == 0 || rc == -1, "url_origin returned %d", rc);
	if (rc == -1) {
		FUZZ_CHECK(strcmp(buf_str(&o), "junk") == 0, "url_origin failed, out changed");
		goto out;
	}
	FUZZ_CHECK(strncmp(o.ptr, "http://", 7) == 0 || strncmp(o.ptr, "https://", 8) == 0,
		   "origin \"%s\" has another scheme", o.ptr);
	FUZZ_CHECK(!has_crlf_nul(o.ptr, o.len) && strchr(o.ptr, ' ') == NULL &&
			   strchr(o.ptr + 8, '/') == NULL,
		   "origin \"%s\" holds a path, space or control", o.ptr);
	FUZZ_CHECK(url_origin(o.ptr, &o2) == 0 && strcmp(o.ptr, o2.ptr) == 0,
		   "origin \"%s\" is not its own origin (\"%s\")", o.ptr, buf_str(&o2));
out:
	buf_free(&o);
	buf_free(&o2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const origins[] = {
		"http://127.0.0.1:10902", "https://thanos.example:443", "http://[::1]:10904",
	};
	struct fields fs;
	struct buf e, r, out, out2;
	size_t n, max;
	unsigned ctl;
	int rc, rc2;

	fields_split(&fs, data, size, 5);
	ctl = (unsigned char)field(&fs, 0, "")[0];
	buf_init(&e, 8192);
	buf_init(&r, 4096);
	make_prefix(field(&fs, 1, "/pub"), &e);
	make_prefix(field(&fs, 2, "/thanos"), &r);
	cur_kind = ctl & 7;
	cur_rw.e = buf_str(&e);
	cur_rw.r = buf_str(&r);
	cur_rw.origins = origins;
	cur_rw.n_origins = 3;
	cur_rw.public_origin = (ctl & 8) ? "https://www.example/" : NULL;
	cur_v = field(&fs, 3, "");
	cur_name = field(&fs, 4, "Location");
	n = strlen(cur_v);
	switch ((ctl >> 4) & 3) {
	case 0: max = 64 * 1024; break;
	case 1: max = n; break;
	case 2: max = 8; break;
	default: max = 0; break;
	}

	if (cur_kind == 5) {
		check_origin(cur_v);
		goto done;
	}
	buf_init(&out, max);
	buf_init(&out2, 64 * 1024);
	buf_appends(&out, "junk");
	rc = rewrite(cur_kind, cur_v, &out);
	if (cur_kind >= 6 && rc == -2) {
		FUZZ_CHECK(strcmp(buf_str(&out), max >= 4 ? "junk" : "") == 0,
			   "-2 and out changed");
		goto out;
	}
	FUZZ_CHECK(rc >= -1 && rc <= 1, "returned %d", rc);
	FUZZ_CHECK(out.len <= out.max, "out past its max");
	if (rc == -1) {
		FUZZ_CHECK(out.len == 0, "-1 with out \"%s\"", buf_str(&out));
		goto out;
	}
	FUZZ_CHECK(rc == 0 ? (out.len == n && memcmp(out.ptr, cur_v, n) == 0)
			   : (out.len != n || memcmp(out.ptr, cur_v, n) != 0),
		   "returned %d with out \"%s\"", rc, buf_str(&out));
	FUZZ_CHECK(out.len == strlen(buf_str(&out)), "NUL in out");
	if (strpbrk(cur_v, "\r\n") == NULL)
		FUZZ_CHECK(strpbrk(buf_str(&out), "\r\n") == NULL, "CR or LF in out \"%s\"",
			   buf_str(&out));
	if (rc == 0)
		goto out;

	/* idempotence; where E is a proper prefix of R, only when R no longer
	 * appears in the result */
	if (!proper_seg_prefix(cur_rw.e, e.len, cur_rw.r, r.len) ||
	    !has_sub(out.ptr, out.len, cur_rw.r)) {
		rc2 = rewrite(cur_kind, out.ptr, &out2);
		FUZZ_CHECK(rc2 == 0, "not idempotent: \"%s\" -> \"%s\" -> \"%s\" (%d)", cur_v,
			   out.ptr, buf_str(&out2), rc2);
	}
	/* no open redirect made by the rewrite */
	if (cur_kind <= 1 || (cur_kind >= 6 && (strcasecmp(cur_name, "Location") == 0 ||
						strcasecmp(cur_name, "Content-Location") == 0)))
		FUZZ_CHECK(!browser_net_path(out.ptr),
			   "rewritten to a network-path reference: \"%s\"", out.ptr);
	/* a cookie's name=value and attribute list stay as they were */
	if (cur_kind == 4 || (cur_kind >= 6 && strcasecmp(cur_name, "Set-Cookie") == 0)) {
		size_t nv = strcspn(cur_v, ";");
		FUZZ_CHECK(strncmp(out.ptr, cur_v, nv) == 0 && (out.ptr[nv] == ';' || out.ptr[nv] == '\0'),
			   "cookie name=value changed: \"%s\"", out.ptr);
		FUZZ_CHECK(count_char(out.ptr, out.len, ';') == count_char(cur_v, n, ';'),
			   "cookie attributes changed: \"%s\" -> \"%s\"", cur_v, out.ptr);
	}
out:
	buf_free(&out);
	buf_free(&out2);
done:
	buf_free(&e);
	buf_free(&r);
	fields_free(&fs);
	return 0;
}
