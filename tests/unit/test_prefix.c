/*
 * test_prefix: prefix normalisation, E/T derivation for every server shape
 * of SPEC section 3, and the path checks (src/prefix.c).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "prefix.h"
#include "status.h"
#include "check_main.h"

#define BUFMAX 4096
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *show(const char *s)
{
	return s != NULL ? s : "(unset)";
}

/* prefix_normalize: "/" + strings.Trim(v, "/"), "/" meaning none. */
static const struct {
	const char *in, *want;
} norm_cases[] = {
	{NULL, ""},
	{"", ""},
	{"/", ""},
	{"//", ""},
	{"///", ""},
	{"thanos", "/thanos"},
	{"/thanos", "/thanos"},
	{"/thanos/", "/thanos"},
	{"thanos/", "/thanos"},
	{"//thanos//", "/thanos"},
	{"/a/b/", "/a/b"},
	{"a/b", "/a/b"},
	{"/a//b/", "/a//b"},
	{"/~u/thanos", "/~u/thanos"},
	{"/a%2Fb/", "/a%2Fb"},
};

START_TEST(test_normalize)
{
	struct buf b;
	int rc;

	buf_init(&b, BUFMAX);
	buf_appends(&b, "old content");
	rc = prefix_normalize(norm_cases[_i].in, &b);
	ck_assert_msg(rc == 0 && strcmp(buf_str(&b), norm_cases[_i].want) == 0,
		      "row %d: prefix_normalize(\"%s\") = %d \"%s\", want \"%s\"",
		      _i, show(norm_cases[_i].in), rc, buf_str(&b),
		      norm_cases[_i].want);
	buf_free(&b);
}
END_TEST

START_TEST(test_normalize_max)
{
	struct buf b;

	buf_init(&b, 7);
	ck_assert_int_eq(prefix_normalize("thanos", &b), 0); /* "/thanos": 7 */
	ck_assert_str_eq(buf_str(&b), "/thanos");
	ck_assert_int_eq(prefix_normalize("/thanos1/", &b), -1);
	ck_assert_str_eq(buf_str(&b), "/thanos"); /* unchanged */
	ck_assert_int_eq(prefix_normalize("///", &b), 0);
	ck_assert_str_eq(buf_str(&b), "");
	buf_free(&b);
}
END_TEST

/*
 * prefix_derive.  S, P, U, Q as the server sets them (NULL: unset), X the
 * configured --web.external-prefix (NULL: derive).
 */
static const struct {
	const char *what;
	const char *s, *p, *u, *q, *x;
	enum tf_status st;
	const char *e, *t;
} derive_cases[] = {
	/* lighttpd fastcgi.server = ("/thanos" => ...) */
	{"lighttpd /thanos", "/thanos", "/graph", "/thanos/graph", "", NULL,
	 TF_OK, "/thanos", "/graph"},
	{"lighttpd /thanos query", "/thanos", "/api/v1/query",
	 "/thanos/api/v1/query?query=up", "query=up", NULL,
	 TF_OK, "/thanos", "/api/v1/query"},
	{"lighttpd bare prefix", "/thanos", NULL, "/thanos", "", NULL,
	 TF_OK, "/thanos", ""},
	{"lighttpd bare prefix slash", "/thanos", "/", "/thanos/", "", NULL,
	 TF_OK, "/thanos", "/"},
	{"lighttpd bare prefix query", "/thanos", NULL, "/thanos?x=1", "x=1", NULL,
	 TF_OK, "/thanos", ""},
	/* lighttpd mounted at / with fix-root-scriptname */
	{"lighttpd root", "", "/graph", "/graph", "", NULL,
	 TF_OK, "", "/graph"},
	{"lighttpd root slash", "", "/", "/", "", NULL,
	 TF_OK, "", "/"},
	{"lighttpd root %2F", "", "/api/v1/label/a/b/values",
	 "/api/v1/label/a%2Fb/values", "", NULL,
	 TF_OK, "", "/api/v1/label/a%2Fb/values"},
	/* Apache ScriptAlias /thanos, mod_fcgid and mod_cgi: P decoded, U raw */
	{"apache scriptalias", "/thanos", "/graph", "/thanos/graph", "", NULL,
	 TF_OK, "/thanos", "/graph"},
	{"apache scriptalias %2F", "/thanos", "/api/v1/label/a/b/values",
	 "/thanos/api/v1/label/a%2Fb/values", "", NULL,
	 TF_OK, "/thanos", "/api/v1/label/a%2Fb/values"},
	{"apache scriptalias %20", "/thanos", "/api/v1/label/a b/values",
	 "/thanos/api/v1/label/a%20b/values", "", NULL,
	 TF_OK, "/thanos", "/api/v1/label/a%20b/values"},
	{"apache scriptalias utf-8", "/thanos", "/api/v1/label/\xC3\xA9/values",
	 "/thanos/api/v1/label/%C3%A9/values", "", NULL,
	 TF_OK, "/thanos", "/api/v1/label/%C3%A9/values"},
	{"apache scriptalias lower %2f", "/thanos", "/a/b", "/thanos/a%2fb", "",
	 NULL, TF_OK, "/thanos", "/a%2fb"},
	/* Apache .htaccess RewriteRule ^(.*)$ thanos.cgi/$1 */
	{"htaccess rewrite", "/~u/thanos/thanos.cgi", "/graph",
	 "/~u/thanos/graph?x=1", "x=1", NULL,
	 TF_OK, "/~u/thanos", "/graph"},
	{"htaccess rewrite dir", "/~u/thanos/thanos.cgi", "/",
	 "/~u/thanos/", "", NULL,
	 TF_OK, "/~u/thanos", "/"},
	{"htaccess rewrite dir no P", "/~u/thanos/thanos.cgi", NULL,
	 "/~u/thanos/", "", NULL,
	 TF_OK, "/~u/thanos", "/"},
	{"htaccess rewrite %7E", "/~u/thanos/thanos.cgi", "/graph",
	 "/%7Eu/thanos/graph", "", NULL,
	 TF_OK, "/%7Eu/thanos", "/graph"},
	{"htaccess rewrite %2F", "/~u/thanos/thanos.cgi",
	 "/api/v1/label/a/b/values", "/~u/thanos/api/v1/label/a%2Fb/values",
	 "", NULL, TF_OK, "/~u/thanos", "/api/v1/label/a%2Fb/values"},
	{"htaccess rewrite utf-8", "/~u/thanos/thanos.cgi", "/x/\xC3\xA9",
	 "/~u/thanos/x/%C3%A9", "", NULL,
	 TF_OK, "/~u/thanos", "/x/%C3%A9"},
	{"htaccess script called directly", "/~u/thanos/thanos.cgi", "/graph",
	 "/~u/thanos/thanos.cgi/graph", "", NULL,
	 TF_OK, "/~u/thanos/thanos.cgi", "/graph"},
	{"server rewrite to cgi-bin, bare", "/cgi-bin/thanos.cgi", NULL,
	 "/thanos", "", NULL, TF_OK, "/thanos", ""},
	{"server rewrite at root", "/cgi-bin/thanos.cgi", "/graph", "/graph", "",
	 NULL, TF_OK, "", "/graph"},
	{"rewrite, P not at a segment", "/cgi-bin/thanos.cgi", "aph",
	 "/x/graph", "", NULL, TF_OK, "/cgi-bin/thanos.cgi", "/aph"},
	/* nginx with fastcgi_split_path_info */
	{"nginx split_path_info", "/thanos", "/graph", "/thanos/graph", "", NULL,
	 TF_OK, "/thanos", "/graph"},
	/* nginx with only SCRIPT_NAME and REQUEST_URI */
	{"nginx script_name only", "/thanos", NULL,
	 "/thanos/api/v1/query?query=up", "query=up", NULL,
	 TF_OK, "/thanos", "/api/v1/query"},
	{"nginx script_name only %2F", "/thanos", NULL,
	 "/thanos/api/v1/label/a%2Fb/values", "", NULL,
	 TF_OK, "/thanos", "/api/v1/label/a%2Fb/values"},
	{"nginx script_name with slash", "/thanos/", NULL, "/thanos/graph", "",
	 NULL, TF_OK, "/thanos", "/graph"},
	{"nginx raw // before prefix", "/thanos", "/graph", "//thanos/graph", "",
	 NULL, TF_OK, "/thanos", "/graph"},
	{"nginx raw // before prefix, no P", "/thanos", NULL,
	 "//thanos//graph", "", NULL, TF_OK, "/thanos", "/graph"},
	{"nginx script_name only, encoded prefix", "/thanos", NULL,
	 "/th%61nos/graph", "", NULL, TF_OK, "/th%61nos", "/graph"},
	{"apache scriptalias, encoded prefix", "/thanos", "/graph",
	 "/%74hanos/graph", "", NULL, TF_OK, "/%74hanos", "/graph"},
	{"encoded prefix, %2F is no boundary", "/thanos", "/graph",
	 "/thanos%2Fgraph", "", NULL, TF_OK, "/thanos", "/graph"},
	{"encoded prefix, bad escape after it", "/thanos", NULL,
	 "/th%61nos/%zz", "", NULL, TF_BAD_PATH, "", ""},
	/* two-level prefix */
	{"two-level", "/a/b", "/graph", "/a/b/graph", "", NULL,
	 TF_OK, "/a/b", "/graph"},
	{"two-level bare", "/a/b", NULL, "/a/b", "", NULL, TF_OK, "/a/b", ""},
	/* segment boundary: /thanos is not a prefix of /thanosx */
	{"segment boundary", "/thanos", "/graph", "/thanosx/graph", "", NULL,
	 TF_OK, "/thanosx", "/graph"},
	/* rule 1: configured external prefix */
	{"external, U under it", "", "/graph", "/thanos/graph", "", "/thanos",
	 TF_OK, "/thanos", "/graph"},
	{"external raw form", "/thanos", "/graph", "/thanos/graph", "",
	 "thanos/", TF_OK, "/thanos", "/graph"},
	{"external, U keeps %2F", "/thanos", "/a/b", "/thanos/a%2Fb", "",
	 "/thanos", TF_OK, "/thanos", "/a%2Fb"},
	{"external, proxy stripped it", "", "/graph", "/graph", "", "/thanos",
	 TF_OK, "/thanos", "/graph"},
	{"external, stripped, no P", "", NULL, "/api/v1/label/a%2Fb/values", "",
	 "/thanos", TF_OK, "/thanos", "/api/v1/label/a%2Fb/values"},
	{"external, no U", "/x", "/a b", NULL, "", "/thanos",
	 TF_OK, "/thanos", "/a%20b"},
	{"external root", "/thanos", "/graph", "/thanos/graph", "", "/",
	 TF_OK, "", "/thanos/graph"},
	{"external empty", "/thanos", "/graph", "/thanos/graph", "", "",
	 TF_OK, "", "/thanos/graph"},
	{"external boundary", "", "/graph", "/thanosx/graph", "", "/thanos",
	 TF_OK, "/thanos", "/thanosx/graph"},
	{"external with space", "", NULL, "/my%20thanos/graph", "",
	 "/my thanos", TF_OK, "/my%20thanos", "/graph"},
	/* rule 4: no usable REQUEST_URI */
	{"no U", "/thanos", "/a b", NULL, "", NULL,
	 TF_OK, "/thanos", "/a%20b"},
	{"no U, no P", "/thanos", NULL, NULL, "", NULL, TF_OK, "/thanos", ""},
	{"no U, P slash", "/thanos", "/", NULL, "", NULL, TF_OK, "/thanos", "/"},
	{"no U, decoded slash", "/thanos", "/api/v1/label/a/b/values", NULL, "",
	 NULL, TF_OK, "/thanos", "/api/v1/label/a/b/values"},
	{"no U, utf-8", "/thanos", "/\xC3\xA9", NULL, "", NULL,
	 TF_OK, "/thanos", "/%C3%A9"},
	{"no U, literal %", "/thanos", "/100%", NULL, "", NULL,
	 TF_OK, "/thanos", "/100%25"},
	{"no U, P without /", "/thanos", "a b", NULL, "", NULL,
	 TF_OK, "/thanos", "/a%20b"},
	{"no U, S with space", "/my thanos", "/graph", NULL, "", NULL,
	 TF_OK, "/my%20thanos", "/graph"},
	{"no U, nothing", NULL, NULL, NULL, NULL, NULL, TF_OK, "", ""},
	{"empty U", "/thanos", "/graph", "", "", NULL,
	 TF_OK, "/thanos", "/graph"},
	{"absolute-form U", "/thanos", "/graph",
	 "http://evil.example/thanos/x", "", NULL, TF_OK, "/thanos", "/graph"},
	{"garbage U", "/thanos", "/graph", "*", "", NULL,
	 TF_OK, "/thanos", "/graph"},
	{"query-only U", "/thanos", "/graph", "?x=1", "x=1", NULL,
	 TF_OK, "/thanos", "/graph"},
	{"no S", NULL, NULL, "/graph", "", NULL, TF_OK, "", "/graph"},
	/* slashes merged, bytes requoted */
	{"// after prefix", "/thanos", "//evil.com/x", "/thanos//evil.com/x", "",
	 NULL, TF_OK, "/thanos", "/evil.com/x"},
	{"// at root", "", "//evil.com/x", "//evil.com/x", "", NULL,
	 TF_OK, "", "/evil.com/x"},
	{"// no U", "/thanos", "//evil.com/x", NULL, "", NULL,
	 TF_OK, "/thanos", "/evil.com/x"},
	{"/// inside", "/thanos", NULL, "/thanos/a///b//", "", NULL,
	 TF_OK, "/thanos", "/a/b/"},
	{"%2F%2F untouched", "/thanos", NULL, "/thanos/a%2F%2Fb", "", NULL,
	 TF_OK, "/thanos", "/a%2F%2Fb"},
	{"raw space", "/thanos", NULL, "/thanos/a b", "", NULL,
	 TF_OK, "/thanos", "/a%20b"},
	{"raw utf-8", "/thanos", NULL, "/thanos/\xC3\xA9", "", NULL,
	 TF_OK, "/thanos", "/%C3%A9"},
	{"raw quote and angles", "/thanos", NULL, "/thanos/\"<x>`{|}^\\", "", NULL,
	 TF_OK, "/thanos", "/%22%3Cx%3E%60%7B%7C%7D%5E%5C"},
	{"raw #", "/thanos", NULL, "/thanos/a#b", "", NULL,
	 TF_OK, "/thanos", "/a%23b"},
	{"dots that are not segments", "/thanos", NULL,
	 "/thanos/.../.a/a./a..b/%2e%2e%2e", "", NULL,
	 TF_OK, "/thanos", "/.../.a/a./a..b/%2e%2e%2e"},
	{"double-encoded dots", "/thanos", NULL, "/thanos/%252e%252e/x", "", NULL,
	 TF_OK, "/thanos", "/%252e%252e/x"},
	{"encoded newline in query only", "/thanos", NULL,
	 "/thanos/api/v1/query?query=up%0A", "query=up%0A", NULL,
	 TF_OK, "/thanos", "/api/v1/query"},
	/* hostile sub-paths: 400 */
	{"..", "/thanos", NULL, "/thanos/../etc/passwd", "", NULL, TF_BAD_PATH, "", ""},
	{"%2e%2e", "/thanos", NULL, "/thanos/%2e%2e/x", "", NULL, TF_BAD_PATH, "", ""},
	{"%2E%2e%2f", "/thanos", NULL, "/thanos/%2E%2e%2fx", "", NULL, TF_BAD_PATH, "", ""},
	{"..%2f..%2f", "/thanos", NULL, "/thanos/..%2f..%2fetc", "", NULL, TF_BAD_PATH, "", ""},
	{"a%2F..%2Fb", "/thanos", NULL, "/thanos/a%2F..%2Fb", "", NULL, TF_BAD_PATH, "", ""},
	{"/.", "/thanos", NULL, "/thanos/.", "", NULL, TF_BAD_PATH, "", ""},
	{"/./x", "/thanos", NULL, "/thanos/./x", "", NULL, TF_BAD_PATH, "", ""},
	{"trailing /..", "/thanos", NULL, "/thanos/x/..", "", NULL, TF_BAD_PATH, "", ""},
	{"trailing /.. query", "/thanos", NULL, "/thanos/x/..?a=b", "a=b", NULL, TF_BAD_PATH, "", ""},
	{"%2e", "/thanos", NULL, "/thanos/%2E", "", NULL, TF_BAD_PATH, "", ""},
	{".%2e", "/thanos", NULL, "/thanos/.%2e/x", "", NULL, TF_BAD_PATH, "", ""},
	{"..%5c", "/thanos", NULL, "/thanos/..%5cx", "", NULL, TF_BAD_PATH, "", ""},
	{"raw ..\\", "/thanos", NULL, "/thanos/..\\x", "", NULL, TF_BAD_PATH, "", ""},
	{"%00", "/thanos", NULL, "/thanos/a%00b", "", NULL, TF_BAD_PATH, "", ""},
	{"%0d%0a", "/thanos", NULL, "/thanos/a%0d%0aSet-Cookie:x", "", NULL, TF_BAD_PATH, "", ""},
	{"%0A", "/thanos", NULL, "/thanos/a%0Ab", "", NULL, TF_BAD_PATH, "", ""},
	{"%7f", "/thanos", NULL, "/thanos/a%7fb", "", NULL, TF_BAD_PATH, "", ""},
	{"%1F", "/thanos", NULL, "/thanos/a%1Fb", "", NULL, TF_BAD_PATH, "", ""},
	{"raw CR", "/thanos", NULL, "/thanos/a\rb", "", NULL, TF_BAD_PATH, "", ""},
	{"raw LF", "/thanos", NULL, "/thanos/a\nb", "", NULL, TF_BAD_PATH, "", ""},
	{"raw tab", "/thanos", NULL, "/thanos/a\tb", "", NULL, TF_BAD_PATH, "", ""},
	{"raw DEL", "/thanos", NULL, "/thanos/a\x7f", "", NULL, TF_BAD_PATH, "", ""},
	{"bad escape %zz", "/thanos", NULL, "/thanos/%zz", "", NULL, TF_BAD_PATH, "", ""},
	{"bad escape trailing %", "/thanos", NULL, "/thanos/a%", "", NULL, TF_BAD_PATH, "", ""},
	{"bad escape %4", "/thanos", NULL, "/thanos/%4", "", NULL, TF_BAD_PATH, "", ""},
	{"bad escape before query", "/thanos", NULL, "/thanos/a%2?b", "b", NULL, TF_BAD_PATH, "", ""},
	{"rule 3: bad escape in E", "/t/thanos.cgi", "/graph", "/%zz/graph", "", NULL, TF_BAD_PATH, "", ""},
	{"rule 3: .. in E", "/t/thanos.cgi", "/graph", "/x/../graph", "", NULL, TF_BAD_PATH, "", ""},
	{"rule 3: %2e%2e in E", "/t/thanos.cgi", "/graph", "/x/%2e%2e/graph", "", NULL, TF_BAD_PATH, "", ""},
	{"rule 3: %0a in E", "/t/thanos.cgi", "/graph", "/x%0a/graph", "", NULL, TF_BAD_PATH, "", ""},
	{"rule 3: .. in T", "/t/thanos.cgi", "/../graph", "/x/../graph", "", NULL, TF_BAD_PATH, "", ""},
	{"rule 4: .. in P", "/thanos", "/../etc", NULL, "", NULL, TF_BAD_PATH, "", ""},
	{"rule 4: . in P", "/thanos", "/a/./b", NULL, "", NULL, TF_BAD_PATH, "", ""},
	{"rule 4: LF in P", "/thanos", "/a\nb", NULL, "", NULL, TF_BAD_PATH, "", ""},
	{"rule 4: CR in S", "/tha\rnos", "/graph", NULL, "", NULL, TF_BAD_PATH, "", ""},
	{"rule 1: .. after E", "", NULL, "/thanos/%2e%2e/x", "", "/thanos", TF_BAD_PATH, "", ""},
	{"rule 1: .. via P", "", "/../x", NULL, "", "/thanos", TF_BAD_PATH, "", ""},
	{"rule 1: %0D%0A", "", NULL, "/thanos/%0D%0A", "", "/thanos", TF_BAD_PATH, "", ""},
	/* fuzz_rewrite: E goes into Set-Cookie Path and Refresh url='E' */
	{"rule 2: ; in E", "/a;Domain=x.com;b", "/c", "/a;Domain=x.com;b/c", "", NULL,
	 TF_OK, "/a%3BDomain=x.com%3Bb", "/c"},
	{"rule 3: ' and , in E", "/t/thanos.cgi", "/graph", "/a'b,c/graph", "", NULL,
	 TF_OK, "/a%27b%2Cc", "/graph"},
	{"rule 4: ; in S", "/a;b", "/c;d", NULL, "", NULL, TF_OK, "/a%3Bb", "/c;d"},
	{"rule 1: ; in configured E", "", NULL, "/a;b/c", "", "/a;b",
	 TF_OK, "/a%3Bb", "/c"},
};

START_TEST(test_derive)
{
	struct prefix_in in;
	struct buf e, t;
	enum tf_status st;

	in.script_name = derive_cases[_i].s;
	in.path_info = derive_cases[_i].p;
	in.request_uri = derive_cases[_i].u;
	in.query_string = derive_cases[_i].q;
	in.external_prefix = derive_cases[_i].x;
	buf_init(&e, BUFMAX);
	buf_init(&t, BUFMAX);
	buf_appends(&e, "stale");
	buf_appends(&t, "stale");
	st = prefix_derive(&in, &e, &t);
	ck_assert_msg(st == derive_cases[_i].st &&
		      strcmp(buf_str(&e), derive_cases[_i].e) == 0 &&
		      strcmp(buf_str(&t), derive_cases[_i].t) == 0,
		      "row %d (%s): S=%s P=%s U=%s X=%s: got %s E=\"%s\" T=\"%s\", "
		      "want %s E=\"%s\" T=\"%s\"",
		      _i, derive_cases[_i].what, show(in.script_name),
		      show(in.path_info), show(in.request_uri),
		      show(in.external_prefix), status_str(st), buf_str(&e),
		      buf_str(&t), status_str(derive_cases[_i].st),
		      derive_cases[_i].e, derive_cases[_i].t);
	buf_free(&e);
	buf_free(&t);
}
END_TEST

/* What comes out goes in again unchanged (nothing is requoted twice). */
START_TEST(test_derive_stable)
{
	struct prefix_in in = {NULL, NULL, NULL, NULL, NULL};
	struct buf e, t, e2, t2, u;

	if (derive_cases[_i].st != TF_OK)
		return;
	in.script_name = derive_cases[_i].s;
	in.path_info = derive_cases[_i].p;
	in.request_uri = derive_cases[_i].u;
	in.external_prefix = derive_cases[_i].x;
	buf_init(&e, BUFMAX);
	buf_init(&t, BUFMAX);
	buf_init(&e2, BUFMAX);
	buf_init(&t2, BUFMAX);
	buf_init(&u, BUFMAX);
	ck_assert_int_eq(prefix_derive(&in, &e, &t), TF_OK);
	/* U = E + T with S = E: a later hop sees the same split */
	buf_appends(&u, buf_str(&e));
	buf_appends(&u, buf_str(&t));
	if (u.len == 0)
		buf_appends(&u, "/");
	in.script_name = buf_str(&e);
	in.path_info = NULL;
	in.request_uri = buf_str(&u);
	in.external_prefix = NULL;
	ck_assert_int_eq(prefix_derive(&in, &e2, &t2), TF_OK);
	ck_assert_msg(strcmp(buf_str(&e), buf_str(&e2)) == 0 &&
		      (strcmp(buf_str(&t), buf_str(&t2)) == 0 ||
		       (t.len == 0 && e.len == 0 && strcmp(buf_str(&t2), "/") == 0)),
		      "row %d (%s): E=\"%s\" T=\"%s\" then E=\"%s\" T=\"%s\"", _i,
		      derive_cases[_i].what, buf_str(&e), buf_str(&t),
		      buf_str(&e2), buf_str(&t2));
	buf_free(&e);
	buf_free(&t);
	buf_free(&e2);
	buf_free(&t2);
	buf_free(&u);
}
END_TEST

/* Limits: E or T past its buffer's max is 414, and both come back "". */
static const struct {
	const char *s, *p, *u, *x;
	size_t emax, tmax;
	enum tf_status st;
} long_cases[] = {
	{"/thanos", NULL, "/thanos/graph", NULL, 7, 6, TF_OK},
	{"/thanos", NULL, "/thanos/graph", NULL, 6, 6, TF_URI_TOO_LONG},
	{"/thanos", NULL, "/thanos/graph", NULL, 7, 5, TF_URI_TOO_LONG},
	{"/thanos", NULL, "/thanos/a b", NULL, 7, 5, TF_URI_TOO_LONG},
	{"/thanos", NULL, "/thanos/a b", NULL, 7, 6, TF_OK},
	{"/thanos", "/a b", NULL, NULL, 7, 5, TF_URI_TOO_LONG},
	{"/thanos", "/a b", NULL, NULL, 7, 6, TF_OK},
	{"", NULL, "/graph", "/thanos", 6, 6, TF_URI_TOO_LONG},
	{"", NULL, "/thanos/graph", "/thanos", 7, 6, TF_OK},
	{"/t.cgi", "/graph", "/x/graph", NULL, 1, 6, TF_URI_TOO_LONG},
	{"/t.cgi", "/graph", "/x/graph", NULL, 2, 6, TF_OK},
};

START_TEST(test_derive_long)
{
	struct prefix_in in = {NULL, NULL, NULL, NULL, NULL};
	struct buf e, t;
	enum tf_status st;

	in.script_name = long_cases[_i].s;
	in.path_info = long_cases[_i].p;
	in.request_uri = long_cases[_i].u;
	in.external_prefix = long_cases[_i].x;
	buf_init(&e, long_cases[_i].emax);
	buf_init(&t, long_cases[_i].tmax);
	st = prefix_derive(&in, &e, &t);
	ck_assert_msg(st == long_cases[_i].st,
		      "row %d: U=%s P=%s emax %zu tmax %zu: got %s want %s", _i,
		      show(in.request_uri), show(in.path_info),
		      long_cases[_i].emax, long_cases[_i].tmax, status_str(st),
		      status_str(long_cases[_i].st));
	if (st != TF_OK)
		ck_assert_msg(e.len == 0 && t.len == 0, "row %d: E/T not reset", _i);
	buf_free(&e);
	buf_free(&t);
}
END_TEST

/* path_check on raw sub-paths (decoding once, %2F included). */
#define S(x) x, sizeof(x) - 1
static const struct {
	const char *in;
	size_t n;
	enum tf_status st;
} check_cases[] = {
	{S(""), TF_OK},
	{S("/"), TF_OK},
	{S("/graph"), TF_OK},
	{S("/a/b/"), TF_OK},
	{S("/..."), TF_OK},
	{S("/.a"), TF_OK},
	{S("/a."), TF_OK},
	{S("/a..b"), TF_OK},
	{S("/%2e%2e%2e"), TF_OK},
	{S("/%252e%252e"), TF_OK},
	{S("/a%2Fb"), TF_OK},
	{S("/%C3%A9"), TF_OK},
	{S("/\xC3\xA9"), TF_OK},
	{S("/a b"), TF_OK},
	{S("."), TF_BAD_PATH},
	{S(".."), TF_BAD_PATH},
	{S("/."), TF_BAD_PATH},
	{S("/.."), TF_BAD_PATH},
	{S("/../"), TF_BAD_PATH},
	{S("/./"), TF_BAD_PATH},
	{S("/a/./b"), TF_BAD_PATH},
	{S("/a/../b"), TF_BAD_PATH},
	{S("//.."), TF_BAD_PATH},
	{S("/%2e"), TF_BAD_PATH},
	{S("/%2E%2E"), TF_BAD_PATH},
	{S("/%2e."), TF_BAD_PATH},
	{S("/a%2f.."), TF_BAD_PATH},
	{S("/a%2F.%2Fb"), TF_BAD_PATH},
	{S("..%2f..%2fetc"), TF_BAD_PATH},
	{S("/..\\x"), TF_BAD_PATH},
	{S("/x\\.."), TF_BAD_PATH},
	{S("/..%5Cx"), TF_BAD_PATH},
	{S("/%"), TF_BAD_PATH},
	{S("/%2"), TF_BAD_PATH},
	{S("/%g1"), TF_BAD_PATH},
	{S("/%1g"), TF_BAD_PATH},
	{S("/a\0b"), TF_BAD_PATH},
	{S("/a%00"), TF_BAD_PATH},
	{S("/\x01"), TF_BAD_PATH},
	{S("/\x1f"), TF_BAD_PATH},
	{S("/\x7f"), TF_BAD_PATH},
	{S("/%7F"), TF_BAD_PATH},
	{S("/%1f"), TF_BAD_PATH},
	{S("/%0d%0a"), TF_BAD_PATH},
	{S("/a\r\n"), TF_BAD_PATH},
};

START_TEST(test_path_check)
{
	enum tf_status st = path_check(check_cases[_i].in, check_cases[_i].n);

	ck_assert_msg(st == check_cases[_i].st, "row %d: path_check(\"%s\") = %s, want %s",
		      _i, check_cases[_i].in, status_str(st),
		      status_str(check_cases[_i].st));
}
END_TEST

static Suite *prefix_suite(void)
{
	Suite *s = suite_create("prefix");
	TCase *tc = tcase_create("prefix");

	tcase_add_loop_test(tc, test_normalize, 0, N(norm_cases));
	tcase_add_test(tc, test_normalize_max);
	tcase_add_loop_test(tc, test_derive, 0, N(derive_cases));
	tcase_add_loop_test(tc, test_derive_stable, 0, N(derive_cases));
	tcase_add_loop_test(tc, test_derive_long, 0, N(long_cases));
	tcase_add_loop_test(tc, test_path_check, 0, N(check_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(prefix_suite());
}
