/*
 * fuzz_prefix: prefix_derive() (E and T from the CGI variables) and the
 * upstream target built from T, as relay.c does it.
 *
 * Input: one control byte, then the fields S, P, U, Q, X separated by NUL
 * (SCRIPT_NAME, PATH_INFO, REQUEST_URI, QUERY_STRING, the configured
 * --web.external-prefix).  Control bits 0-4: field S, P, U, Q, X is unset
 * (NULL); bits 5-6: buffer size class (8 KiB as the default
 * --limits.max-uri-size, then 64, 16, 1 byte) to reach the 414 paths.
 *
 * Invariants: the status is OK, BAD_PATH or URI_TOO_LONG; on error E and T
 * are ""; on success E is "" or "/..." without a trailing '/', T is "" or
 * "/...", neither holds "//", both are valid URL paths (pchar, '/', %XX),
 * T (and E unless configured) passes path_check(); the same input gives
 * the same answer twice; and the upstream path built from T stays under the
 * route prefix and passes path_check().
 */
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "pct.h"
#include "prefix.h"
#include "status.h"
#include "target.h"

static struct prefix_in cur;
static void fuzz_dump(void);
#include "fuzz_util.h"

static void show_opt(const char *what, const char *s)
{
	if (s == NULL)
		fprintf(stderr, "  %s: (unset)\n", what);
	else
		fuzz_show(what, s, strlen(s));
}

static void fuzz_dump(void)
{
	show_opt("SCRIPT_NAME", cur.script_name);
	show_opt("PATH_INFO", cur.path_info);
	show_opt("REQUEST_URI", cur.request_uri);
	show_opt("QUERY_STRING", cur.query_string);
	show_opt("external_prefix", cur.external_prefix);
}

/* 1 when s[0..n) is a valid URL path: pchar, '/' and %XX only. */
static int url_path_ok(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (s[i] == '%') {
			if (!pct_is_escape(s + i, n - i))
				return 0;
			i += 3;
			continue;
		}
		if (s[i] != '/' && !pct_is_pchar((unsigned char)s[i]))
			return 0;
		i++;
	}
	return 1;
}

static void check_shape(const char *what, const struct buf *b, int is_e)
{
	const char *s = buf_str(b);

	FUZZ_CHECK(b->len == strlen(s), "%s holds a NUL", what);
	FUZZ_CHECK(b->len <= b->max, "%s past its max", what);
	FUZZ_CHECK(b->len == 0 || s[0] == '/', "%s = \"%s\" does not start with '/'", what, s);
	FUZZ_CHECK(!is_e || b->len == 0 || s[b->len - 1] != '/',
		   "%s = \"%s\" ends with '/'", what, s);
	FUZZ_CHECK(!has_sub(s, b->len, "//"), "%s = \"%s\" holds \"//\"", what, s);
	FUZZ_CHECK(url_path_ok(s, b->len), "%s = \"%s\" is not a valid URL path", what, s);
}

/* The upstream path (target up to '?') starts with want at a boundary. */
static void check_target(const char *r, const char *t, const char *q,
			 const char *roots, const char *base)
{
	struct buf out, want;
	enum tf_status st;
	const char *s;
	size_t pl;

	buf_init(&out, 64 * 1024);
	buf_init(&want, 64 * 1024);
	st = target_build(base, r, roots, t, q, &out);
	FUZZ_CHECK(st == TF_OK || st == TF_BAD_PATH, "target_build status %d", st);
	if (st != TF_OK) {
		FUZZ_CHECK(out.len == 0, "target_build error left \"%s\"", buf_str(&out));
		goto out;
	}
	s = buf_str(&out);
	pl = strcspn(s, "?");
	FUZZ_CHECK(s[0] == '/', "target \"%s\" does not start with '/'", s);
	FUZZ_CHECK(!has_sub(s, pl, "//"), "target \"%s\" holds \"//\"", s);
	FUZZ_CHECK(path_check(s, pl) == TF_OK, "target \"%s\" fails path_check", s);
	/* the route prefix, unless T is a root path */
	buf_appends(&want, base);
	if (!target_is_root_path(roots, t))
		buf_appends(&want, r);
	FUZZ_CHECK(pl >= want.len && memcmp(s, want.ptr, want.len) == 0 &&
			   (pl == want.len || s[want.len] == '/'),
		   "target \"%s\" escapes \"%s\"", s, buf_str(&want));
	FUZZ_CHECK(!has_crlf_nul(s, out.len) && !has_sub(s + pl, out.len - pl, " ") &&
			   !has_sub(s + pl, out.len - pl, "#"),
		   "target query \"%s\" holds a byte a URL may not", s + pl);
out:
	buf_free(&out);
	buf_free(&want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t emax[] = {8192, 64, 16, 1};
	struct fields fs;
	struct buf e, t, e2, t2;
	enum tf_status st, st2;
	const char *f[5];
	unsigned ctl;
	size_t i, m;

	if (size < 1)
		return 0;
	ctl = data[0];
	fields_split(&fs, data + 1, size - 1, 5);
	for (i = 0; i < 5; i++)
		f[i] = (ctl & (1u << i)) ? NULL : field(&fs, i, NULL);
	cur.script_name = f[0];
	cur.path_info = f[1];
	cur.request_uri = f[2];
	cur.query_string = f[3];
	cur.external_prefix = f[4];
	m = emax[(ctl >> 5) & 3];
	buf_init(&e, m);
	buf_init(&t, m * 3); /* as relay.c sizes them */
	buf_init(&e2, m);
	buf_init(&t2, m * 3);
	buf_appends(&e, "junk");
	buf_appends(&t, "junk");

	st = prefix_derive(&cur, &e, &t);
	FUZZ_CHECK(st == TF_OK || st == TF_BAD_PATH || st == TF_URI_TOO_LONG,
		   "prefix_derive status %d", st);
	st2 = prefix_derive(&cur, &e2, &t2);
	FUZZ_CHECK(st == st2 && strcmp(buf_str(&e), buf_str(&e2)) == 0 &&
			   strcmp(buf_str(&t), buf_str(&t2)) == 0,
		   "not deterministic: %d \"%s\" \"%s\" then %d \"%s\" \"%s\"", st,
		   buf_str(&e), buf_str(&t), st2, buf_str(&e2), buf_str(&t2));
	if (st != TF_OK) {
		FUZZ_CHECK(e.len == 0 && t.len == 0, "error %d left E \"%s\" T \"%s\"", st,
			   buf_str(&e), buf_str(&t));
		goto out;
	}
	check_shape("E", &e, 1);
	check_shape("T", &t, 0);
	FUZZ_CHECK(path_check(buf_str(&t), t.len) == TF_OK, "T = \"%s\" fails path_check",
		   buf_str(&t));
	if (cur.external_prefix == NULL)
		FUZZ_CHECK(path_check(buf_str(&e), e.len) == TF_OK,
			   "E = \"%s\" (derived) fails path_check", buf_str(&e));

	/* relay.c: R configured, or R = E when it is not */
	check_target("/thanos", buf_str(&t), cur.query_string, "/metrics,/-/healthy,/-/ready", "");
	check_target("/thanos", buf_str(&t), cur.query_string, NULL, "/base");
	if (cur.external_prefix == NULL)
		check_target(buf_str(&e), buf_str(&t), cur.query_string, NULL, "");
out:
	buf_free(&e);
	buf_free(&t);
	buf_free(&e2);
	buf_free(&t2);
	fields_free(&fs);
	return 0;
}
