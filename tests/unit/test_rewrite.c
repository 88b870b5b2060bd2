/*
 * Unit tests for src/rewrite.c: mapping Location, Content-Location, Refresh,
 * Link and Set-Cookie from the route prefix R to the public prefix E, and
 * url_origin().  Every rewrite row also runs on its own output (idempotence)
 * and with out's max at the result's length and one below.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite.h"
#include "url.h"
#include "check_main.h"

#define MAX 8192

/* The upstreams' origins, as url_origin() makes them (checked below). */
static const char *const origins[] = {
	"http://127.0.0.1:10902",
	"https://thanos.example:443",
	"http://[::1]:10904",
};

struct rw_case {
	const char *hdr; /* header name as the upstream spelled it */
	const char *e, *r;
	const char *po;  /* public_origin, or NULL */
	const char *in, *want;
};

#define L "Location"

/* Absolute paths: the longer of E and R at a segment boundary decides. */
static const struct rw_case path_cases[] = {
	/* E = R changes nothing. */
	{L, "/thanos", "/thanos", NULL, "/thanos/graph", "/thanos/graph"},
	{L, "/thanos", "/thanos", NULL, "/graph", "/graph"},
	{L, "", "", NULL, "/graph", "/graph"},
	{L, "", "", NULL, "/", "/"},
	/* R = "" with E = "/thanos" (Prometheus at the root, proxy strips). */
	{L, "/thanos", "", NULL, "/graph", "/thanos/graph"},
	{L, "/thanos", "", NULL, "/", "/thanos/"},
	{L, "/thanos", "", NULL, "/api/v1/query?query=up", "/thanos/api/v1/query?query=up"},
	{L, "/thanos", "", NULL, "/?x=1", "/thanos/?x=1"},
	{L, "/thanos", "", NULL, "/thanosx", "/thanos/thanosx"},
	/* Prometheus's home redirect already carries E: never prefix twice. */
	{L, "/thanos", "", NULL, "/thanos/graph", "/thanos/graph"},
	{L, "/thanos", "", NULL, "/thanos", "/thanos"},
	{L, "/thanos", "/", NULL, "/thanos/graph", "/thanos/graph"},
	{L, "/thanos", "/", NULL, "/graph", "/thanos/graph"},
	/* E = "" with R = "/thanos". */
	{L, "", "/thanos", NULL, "/thanos/graph", "/graph"},
	{L, "", "/thanos", NULL, "/thanos", "/"},
	{L, "", "/thanos", NULL, "/thanos/", "/"},
	{L, "", "/thanos", NULL, "/thanos?x=1", "/?x=1"},
	{L, "", "/thanos", NULL, "/thanos#f", "/#f"},
	{L, "", "/thanos", NULL, "/thanosx", "/thanosx"},
	{L, "", "/thanos", NULL, "/graph", "/graph"},
	/* A join must never make a network-path reference. */
	{L, "", "/thanos", NULL, "/thanos//evil.com", "/thanos//evil.com"},
	{L, "", "/thanos", NULL, "/thanos/\\evil.com", "/thanos/\\evil.com"},
	/* E = "/a" with R = "/a/b".  ("/a/b/b/x" -> "/a/b/x" is right once but
	 * not idempotent: the public "/a/b/x" is ambiguous, and the longer
	 * prefix wins by the rule, so no such row here.) */
	{L, "/a", "/a/b", NULL, "/a/b/x", "/a/x"},
	{L, "/a", "/a/b", NULL, "/a/b", "/a"},
	{L, "/a", "/a/b", NULL, "/a/b?q", "/a?q"},
	{L, "/a", "/a/b", NULL, "/a/x", "/a/x"},
	{L, "/a", "/a/b", NULL, "/a/bc", "/a/bc"},
	{L, "/a", "/a/b", NULL, "/other", "/other"},
	/* E = "/thanos/x" with R = "/thanos". */
	{L, "/thanos/x", "/thanos", NULL, "/thanos/graph", "/thanos/x/graph"},
	{L, "/thanos/x", "/thanos", NULL, "/thanos", "/thanos/x"},
	{L, "/thanos/x", "/thanos", NULL, "/thanos/xy", "/thanos/x/xy"},
	{L, "/thanos/x", "/thanos", NULL, "/thanos/x/graph", "/thanos/x/graph"},
	/* Thanos's 302 and the rest, E = "/pub" with R = "/thanos". */
	{L, "/pub", "/thanos", NULL, "/thanos/graph", "/pub/graph"},
	{L, "/pub", "/thanos", NULL, "/thanos", "/pub"},
	{L, "/pub", "/thanos", NULL, "/thanos/", "/pub/"},
	{L, "/pub", "/thanos", NULL, "/thanos/graph/", "/pub/graph/"},
	{L, "/pub", "/thanos", NULL, "/thanos/graph?g0.expr=up&g0.tab=1#x",
		"/pub/graph?g0.expr=up&g0.tab=1#x"},
	{L, "/pub", "/thanos", NULL, "/thanos?next=/thanos/x", "/pub?next=/thanos/x"},
	{L, "/pub", "/thanos", NULL, "/thanos/a%2Fb%20c/%E2%82%AC%zz", "/pub/a%2Fb%20c/%E2%82%AC%zz"},
	{L, "/pub", "/thanos", NULL, "/thanos/../x", "/pub/../x"},
	{L, "/pub", "/thanos/", NULL, "/thanos/graph", "/pub/graph"},
	/* Prometheus's "/query" escape: outside R, cannot be mapped. */
	{L, "/pub", "/thanos", NULL, "/query", "/query"},
	{L, "/pub", "/thanos", NULL, "/pub/graph", "/pub/graph"},
	/* Network-path, relative and odd references are left alone. */
	{L, "/pub", "/thanos", NULL, "//evil.com/thanos", "//evil.com/thanos"},
	{L, "/pub", "", NULL, "//evil.com/thanos", "//evil.com/thanos"},
	{L, "/pub", "", NULL, "/\\evil.com/thanos", "/\\evil.com/thanos"},
	{L, "/pub", "/thanos", NULL, "graph", "graph"},
	{L, "/pub", "/thanos", NULL, "./graph", "./graph"},
	{L, "/pub", "/thanos", NULL, "../thanos/graph", "../thanos/graph"},
	{L, "/pub", "/thanos", NULL, "?x=1", "?x=1"},
	{L, "/pub", "/thanos", NULL, "#top", "#top"},
	{L, "/pub", "/thanos", NULL, "", ""},
	{L, "/pub", "/thanos", NULL, "mailto:a@b", "mailto:a@b"},
	{L, "/pub", "/thanos", NULL, "thanos/graph", "thanos/graph"},
	/* Spaces around the value are kept. */
	{L, "/pub", "/thanos", NULL, "  /thanos/graph\t", "  /pub/graph\t"},
	/* Content-Location, and header names in any case. */
	{"Content-Location", "/pub", "/thanos", NULL, "/thanos/api/v1/x", "/pub/api/v1/x"},
	{"content-location", "", "/thanos", NULL, "/thanos/x", "/x"},
	{"LOCATION", "/pub", "/thanos", NULL, "/thanos/x", "/pub/x"},
};

/* Absolute URLs: only the upstreams' origins are mapped. */
static const struct rw_case abs_cases[] = {
	{L, "/pub", "/thanos", NULL, "http://127.0.0.1:10902/thanos/graph?x=1", "/pub/graph?x=1"},
	{L, "/pub", "/thanos", NULL, "HTTP://127.0.0.1:10902/thanos/graph", "/pub/graph"},
	{L, "/pub", "/thanos", NULL, "http://127.0.0.1:10902/thanos/a%2Fb%20", "/pub/a%2Fb%20"},
	{L, "/pub", "/thanos", NULL, "http://127.0.0.1:10902/thanos#frag", "/pub#frag"},
	{L, "/pub", "/thanos", NULL, "http://127.0.0.1:10902/thanos/./x/../y", "/pub/./x/../y"},
	{L, "/a", "/a/b", NULL, "Https://thanos.example/a/b/c", "/a/c"},
	{L, "/pub", "/thanos", NULL, "http://127.0.0.1:10902/thanos/x?", "/pub/x?"},
	{L, "/pub", "/thanos", NULL, "http://user:pw@127.0.0.1:10902/thanos/x", "/pub/x"},
	/* On the origin but outside R: path-only, not mapped. */
	{L, "/pub", "/thanos", NULL, "http://127.0.0.1:10902/query", "/query"},
	{L, "/pub", "/thanos", NULL, "http://127.0.0.1:10902", "/"},
	{L, "/pub", "/thanos", NULL, "http://127.0.0.1:10902?x", "/?x"},
	/* Default ports and case are normalised before comparing. */
	{L, "/pub", "/thanos", NULL, "https://thanos.example/thanos/graph", "/pub/graph"},
	{L, "/pub", "/thanos", NULL, "https://THANOS.Example:443/thanos", "/pub"},
	{L, "/pub", "/thanos", NULL, "http://[::1]:10904/thanos/x#f", "/pub/x#f"},
	/* Other origins are left alone. */
	{L, "/pub", "/thanos", NULL, "http://thanos.example/thanos/graph", "http://thanos.example/thanos/graph"},
	{L, "/pub", "/thanos", NULL, "http://127.0.0.1:10903/thanos/graph", "http://127.0.0.1:10903/thanos/graph"},
	{L, "/pub", "/thanos", NULL, "https://evil.com/thanos/graph", "https://evil.com/thanos/graph"},
	{L, "/pub", "/thanos", NULL, "http://127.0.0.1:10902@evil.com/thanos/x", "http://127.0.0.1:10902@evil.com/thanos/x"},
	{L, "/pub", "/thanos", NULL, "http://127.0.0.1:10902\\@evil.com/thanos", "http://127.0.0.1:10902\\@evil.com/thanos"},
	{L, "/pub", "/thanos", NULL, "ftp://127.0.0.1:10902/thanos", "ftp://127.0.0.1:10902/thanos"},
	{L, "/pub", "/thanos", NULL, "http:/thanos/x", "http:/thanos/x"},
	{L, "/pub", "/thanos", NULL, "http:///thanos/x", "http:///thanos/x"},
	{L, "/pub", "/thanos", NULL, "http://127.0.0.1:10902/thanos/a b", "http://127.0.0.1:10902/thanos/a b"},
	/* Path-only would be a network-path reference: left alone. */
	{L, "/pub", "/thanos", NULL, "http://127.0.0.1:10902//evil.com/x", "http://127.0.0.1:10902//evil.com/x"},
	{L, "", "/thanos", NULL, "http://127.0.0.1:10902/thanos//evil.com", "/thanos//evil.com"},
	{L, "", "/thanos", NULL, "http://127.0.0.1:10902/thanos", "/"},
	{L, "/thanos", "", NULL, "http://127.0.0.1:10902/", "/thanos/"},
	{L, "/thanos", "", NULL, "http://127.0.0.1:10902/thanos/graph", "/thanos/graph"},
	{L, "/thanos", "/thanos", NULL, "http://127.0.0.1:10902/thanos/graph", "/thanos/graph"},
	/* With the public origin from --web.external-url. */
	{L, "/pub", "/thanos", "https://example.com", "http://127.0.0.1:10902/thanos/graph?x=1",
		"https://example.com/pub/graph?x=1"},
	{L, "/pub", "/thanos", "https://example.com/", "http://127.0.0.1:10902/thanos/graph",
		"https://example.com/pub/graph"},
	{L, "/pub", "/thanos", "https://example.com", "http://127.0.0.1:10902//evil.com/x",
		"https://example.com//evil.com/x"},
	{L, "/pub", "/thanos", "https://example.com", "/thanos/graph", "/pub/graph"},
	{L, "/pub", "/thanos", "https://example.com", "https://other.example/thanos", "https://other.example/thanos"},
	{L, "/pub", "/thanos", "https://example.com", "https://example.com/pub/graph", "https://example.com/pub/graph"},
};

#define R "Refresh"

static const struct rw_case refresh_cases[] = {
	{R, "/pub", "/thanos", NULL, "0; url=/thanos/graph", "0; url=/pub/graph"},
	{R, "", "/thanos", NULL, "0; url=/thanos/graph", "0; url=/graph"},
	{R, "/pub", "/thanos", NULL, "5;URL='/thanos/x'", "5;URL='/pub/x'"},
	{R, "/pub", "/thanos", NULL, "5; Url = \"/thanos/x\" ", "5; Url = \"/pub/x\" "},
	{R, "/pub", "/thanos", NULL, "5;url='/thanos/x' junk", "5;url='/pub/x' junk"},
	{R, "/pub", "/thanos", NULL, "5;url='/thanos/x", "5;url='/pub/x"},
	{R, "/pub", "/thanos", NULL, "5;url=/thanos/x   ", "5;url=/pub/x   "},
	{R, "/pub", "/thanos", NULL, "5, /thanos/x", "5, /pub/x"},
	{R, "/pub", "/thanos", NULL, "5 /thanos/x", "5 /pub/x"},
	{R, "/pub", "/thanos", NULL, "5; '/thanos/x'", "5; '/pub/x'"},
	{R, "/pub", "/thanos", NULL, "1.5; url=/thanos", "1.5; url=/pub"},
	{R, "/pub", "/thanos", NULL, ".5;url=/thanos", ".5;url=/pub"},
	{R, "/pub", "/thanos", NULL, "5; url=http://127.0.0.1:10902/thanos/x", "5; url=/pub/x"},
	{R, "/pub", "/thanos", NULL, "5; url=https://other/thanos/x", "5; url=https://other/thanos/x"},
	{R, "/pub", "/thanos", NULL, "5; url=/query", "5; url=/query"},
	{R, "/pub", "/thanos", NULL, "5; url=graph", "5; url=graph"},
	{R, "/pub", "/thanos", NULL, "5; urx=/thanos", "5; urx=/thanos"},
	{R, "/pub", "/thanos", NULL, "5; url /thanos", "5; url /thanos"},
	{R, "/pub", "/thanos", NULL, "5; url=//evil.com/thanos", "5; url=//evil.com/thanos"},
	{R, "/pub", "/thanos", NULL, "5", "5"},
	{R, "/pub", "/thanos", NULL, "5;", "5;"},
	{R, "/pub", "/thanos", NULL, "", ""},
	{R, "/pub", "/thanos", NULL, "x; url=/thanos", "x; url=/thanos"},
	{R, "/pub", "/thanos", NULL, "5x; url=/thanos", "5x; url=/thanos"},
	{"refresh", "/pub", "/pub", NULL, "0; url=/pub/graph", "0; url=/pub/graph"},
};

#define K "Link"

static const struct rw_case link_cases[] = {
	{K, "/pub", "/thanos", NULL, "</thanos/api>; rel=preload, <https://other/x>; rel=x",
		"</pub/api>; rel=preload, <https://other/x>; rel=x"},
	{K, "/pub", "/thanos", NULL, "<http://127.0.0.1:10902/thanos/static/a.js>; rel=preload; as=script",
		"</pub/static/a.js>; rel=preload; as=script"},
	{K, "/pub", "/thanos", NULL, "</thanos/a>,</thanos/b>; rel=\"next\"", "</pub/a>,</pub/b>; rel=\"next\""},
	{K, "/pub", "/thanos", NULL, "</x>; title=\"</thanos/y>\", </thanos/z>", "</x>; title=\"</thanos/y>\", </pub/z>"},
	{K, "/pub", "/thanos", NULL, "</x>; title=\"a \\\" </thanos/y>\", </thanos/z>",
		"</x>; title=\"a \\\" </thanos/y>\", </pub/z>"},
	{K, "/pub", "/thanos", NULL, "<./x>; rel=next, <//evil/thanos>", "<./x>; rel=next, <//evil/thanos>"},
	{K, "/pub", "/thanos", NULL, "</query>; rel=x", "</query>; rel=x"},
	{K, "/pub", "/thanos", NULL, "</thanos/a", "</thanos/a"},
	{K, "/pub", "/thanos", NULL, "</thanos/a>; rel=x, </thanos/b", "</pub/a>; rel=x, </thanos/b"},
	{K, "/pub", "/thanos", NULL, "<>", "<>"},
	{K, "/pub", "/thanos", NULL, "", ""},
	{K, "/thanos", "", NULL, "</api/v1/x>; rel=preload", "</thanos/api/v1/x>; rel=preload"},
	{"LINK", "", "/thanos", NULL, "< /thanos/x >", "< /x >"},
};

#define C "Set-Cookie"

static const struct rw_case cookie_cases[] = {
	{C, "/pub", "/thanos", NULL, "a=b; Path=/thanos; HttpOnly", "a=b; Path=/pub; HttpOnly"},
	{C, "/pub", "/thanos", NULL, "a=/thanos; path=/thanos/x", "a=/thanos; path=/pub/x"},
	{C, "/pub", "/thanos", NULL, "a=b; PATH = /thanos/x ; Secure", "a=b; PATH = /pub/x ; Secure"},
	{C, "/pub", "/thanos", NULL, "a=b;Path=/thanos", "a=b;Path=/pub"},
	{C, "/pub", "/thanos", NULL, "a=b; Path=/thanos/", "a=b; Path=/pub/"},
	{C, "/pub", "/thanos", NULL, "a=b; Path=/thanos; Path=/thanos/y", "a=b; Path=/pub; Path=/pub/y"},
	{C, "/pub", "/thanos", NULL, "a=b; Domain=example.com; Max-Age=60; path=/thanos",
		"a=b; Domain=example.com; Max-Age=60; path=/pub"},
	{C, "/pub", "/thanos", NULL, "a=b", "a=b"},
	{C, "/pub", "/thanos", NULL, "a=/thanos", "a=/thanos"},
	{C, "/pub", "/thanos", NULL, "path=/thanos", "path=/thanos"},
	{C, "/pub", "/thanos", NULL, "a=b; Path=/query", "a=b; Path=/query"},
	{C, "/pub", "/thanos", NULL, "a=b; Path=/thanos?x", "a=b; Path=/thanos?x"},
	{C, "/pub", "/thanos", NULL, "a=b; Pathx=/thanos", "a=b; Pathx=/thanos"},
	{C, "/pub", "/thanos", NULL, "a=b; Path", "a=b; Path"},
	{C, "/pub", "/thanos", NULL, "a=b; Path=", "a=b; Path="},
	{C, "/pub", "/thanos", NULL, "a=b; Path=//thanos", "a=b; Path=//thanos"},
	{C, "/pub", "/thanos", NULL, "a=b; Path=thanos", "a=b; Path=thanos"},
	{C, "/pub", "/thanos", NULL, "a=b;;; path=/thanos;", "a=b;;; path=/pub;"},
	{C, "/pub", "/thanos", NULL, "", ""},
	/* R = "": the upstream's whole tree "/" is E itself. */
	{C, "/thanos", "", NULL, "a=b; Path=/", "a=b; Path=/thanos"},
	{C, "/thanos", "", NULL, "a=b; Path=/x", "a=b; Path=/thanos/x"},
	{C, "/thanos", "", NULL, "a=b; Path=/thanos", "a=b; Path=/thanos"},
	{C, "", "/thanos", NULL, "a=b; Path=/thanos", "a=b; Path=/"},
	{C, "/thanos", "/thanos", NULL, "a=b; Path=/thanos", "a=b; Path=/thanos"},
	{"set-COOKIE", "/a", "/a/b", NULL, "s=1; Path=/a/b", "s=1; Path=/a"},
};

static void set_ctx(struct rewrite_ctx *c, const struct rw_case *t)
{
	c->e = t->e;
	c->r = t->r;
	c->origins = origins;
	c->n_origins = sizeof(origins) / sizeof(origins[0]);
	c->public_origin = t->po;
}

/* One row: the rewrite, the rewrite of its output (nothing more changes),
 * and the bounds (max at the result's length succeeds, one less fails). */
static void check_row(const struct rw_case *t, int i)
{
	struct rewrite_ctx c;
	struct buf out;
	int rc, want_rc = strcmp(t->in, t->want) != 0;
	size_t wl = strlen(t->want);

	set_ctx(&c, t);
	buf_init(&out, MAX);
	rc = rewrite_header(&c, t->hdr, strlen(t->hdr), t->in, &out);
	ck_assert_msg(rc == want_rc && strcmp(buf_str(&out), t->want) == 0,
		"row %d: %s: \"%s\" (E=\"%s\" R=\"%s\"): got \"%s\" rc %d, want \"%s\" rc %d",
		i, t->hdr, t->in, t->e, t->r, buf_str(&out), rc, t->want, want_rc);

	rc = rewrite_header(&c, t->hdr, strlen(t->hdr), t->want, &out);
	ck_assert_msg(rc == 0 && strcmp(buf_str(&out), t->want) == 0,
		"row %d: %s: \"%s\" twice: got \"%s\" rc %d", i, t->hdr, t->in,
		buf_str(&out), rc);
	buf_free(&out);

	buf_init(&out, wl);
	rc = rewrite_header(&c, t->hdr, strlen(t->hdr), t->in, &out);
	ck_assert_msg(rc == want_rc && strcmp(buf_str(&out), t->want) == 0,
		"row %d: %s: \"%s\" with max %zu: rc %d", i, t->hdr, t->in, wl, rc);
	buf_free(&out);
	if (wl > 0) {
		buf_init(&out, wl - 1);
		rc = rewrite_header(&c, t->hdr, strlen(t->hdr), t->in, &out);
		ck_assert_msg(rc == -1 && out.len == 0,
			"row %d: %s: \"%s\" with max %zu: rc %d, \"%s\"", i, t->hdr,
			t->in, wl - 1, rc, buf_str(&out));
		buf_free(&out);
	}
}

#define ROWS(a) (int)(sizeof(a) / sizeof(a[0]))

START_TEST(test_path)
{
	check_row(&path_cases[_i], _i);
}
END_TEST

START_TEST(test_abs)
{
	check_row(&abs_cases[_i], _i);
}
END_TEST

START_TEST(test_refresh)
{
	check_row(&refresh_cases[_i], _i);
}
END_TEST

START_TEST(test_link)
{
	check_row(&link_cases[_i], _i);
}
END_TEST

START_TEST(test_cookie)
{
	check_row(&cookie_cases[_i], _i);
}
END_TEST

/* The named functions agree with the dispatcher. */
START_TEST(test_direct)
{
	static const struct rw_case t = {L, "/pub", "/thanos", NULL, "/thanos/x", "/pub/x"};
	struct rewrite_ctx c;
	struct buf out;

	set_ctx(&c, &t);
	buf_init(&out, MAX);
	ck_assert_int_eq(rewrite_location(&c, "/thanos/x", &out), 1);
	ck_assert_str_eq(buf_str(&out), "/pub/x");
	ck_assert_int_eq(rewrite_refresh(&c, "0;url=/thanos/x", &out), 1);
	ck_assert_str_eq(buf_str(&out), "0;url=/pub/x");
	ck_assert_int_eq(rewrite_link(&c, "</thanos/x>", &out), 1);
	ck_assert_str_eq(buf_str(&out), "</pub/x>");
	ck_assert_int_eq(rewrite_set_cookie(&c, "a=b; Path=/thanos/x", &out), 1);
	ck_assert_str_eq(buf_str(&out), "a=b; Path=/pub/x");
	ck_assert_int_eq(rewrite_set_cookie(&c, "a=b", &out), 0);
	ck_assert_str_eq(buf_str(&out), "a=b");
	/* NULL prefixes count as "", no origins at all. */
	c.e = NULL;
	c.origins = NULL;
	c.n_origins = 0;
	ck_assert_int_eq(rewrite_location(&c, "/thanos/x", &out), 1);
	ck_assert_str_eq(buf_str(&out), "/x");
	ck_assert_int_eq(rewrite_location(&c, "http://127.0.0.1:10902/thanos/x", &out), 0);
	buf_free(&out);
}
END_TEST

static const struct {
	const char *name;
	size_t len; /* bytes of name to use */
	int known;
} name_cases[] = {
	{"Location", 8, 1},
	{"Location: /thanos/x", 8, 1},
	{"location", 8, 1},
	{"Content-Location", 16, 1},
	{"Refresh", 7, 1},
	{"Link", 4, 1},
	{"Set-Cookie", 10, 1},
	{"Locatio", 7, 0},
	{"Locations", 9, 0},
	{"Content-Type", 12, 0},
	{"Set-Cookie2", 11, 0},
	{"Link", 3, 0},
	{"", 0, 0},
};

START_TEST(test_names)
{
	static const struct rw_case t = {L, "/pub", "/thanos", NULL, "", ""};
	struct rewrite_ctx c;
	struct buf out;
	int rc;

	set_ctx(&c, &t);
	buf_init(&out, MAX);
	buf_appends(&out, "keep");
	rc = rewrite_header(&c, name_cases[_i].name, name_cases[_i].len,
		"a=b; Path=/thanos", &out);
	if (name_cases[_i].known)
		ck_assert_msg(rc == 0 || rc == 1, "row %d: \"%.*s\": rc %d", _i,
			(int)name_cases[_i].len, name_cases[_i].name, rc);
	else
		ck_assert_msg(rc == -2 && strcmp(buf_str(&out), "keep") == 0,
			"row %d: \"%.*s\": rc %d, out \"%s\"", _i,
			(int)name_cases[_i].len, name_cases[_i].name, rc, buf_str(&out));
	buf_free(&out);
}
END_TEST

/* Malformed values of every kind: no crash, no leak, a sane answer. */
static const char *const odd_values[] = {
	"", " ", "\t", "/", "//", "/\\", "<", ">", "<<>>", "\"", "<\"", "\"<a>",
	";", "=", ";;;", "a=b;", "a=b; Path", "a=b; Path=", "a=b; =",
	"0", "0;", "0; url", "0; url=", "0; url='", "0; url=\"\"", "...",
	"http://", "http://[", "http://[::1", "http://[::1]:x/", "https://:80/",
	"http://h:99999/", "http://%/", "http://127.0.0.1:10902/\r\nX: y",
	"/thanos\r\nSet-Cookie: x", "http:", "HTTP://127.0.0.1:10902",
	"\x01\x7f\xff", "/thanos/\xff\xfe", "http://127.0.0.1:10902/thanos/\x01",
};

START_TEST(test_odd)
{
	static const char *const hdrs[] = {"Location", "Refresh", "Link", "Set-Cookie"};
	static const char *const pre[][2] = {
		{"", ""}, {"/pub", "/thanos"}, {"", "/thanos"}, {"/thanos", ""},
	};
	struct rewrite_ctx c;
	struct buf out;
	const char *v = odd_values[_i];
	size_t h, p;
	int rc;

	buf_init(&out, MAX);
	for (p = 0; p < sizeof(pre) / sizeof(pre[0]); p++) {
		const struct rw_case t = {L, pre[p][0], pre[p][1], NULL, v, v};

		set_ctx(&c, &t);
		for (h = 0; h < sizeof(hdrs) / sizeof(hdrs[0]); h++) {
			rc = rewrite_header(&c, hdrs[h], strlen(hdrs[h]), v, &out);
			ck_assert_msg(rc == 0 || rc == 1, "row %d: %s \"%s\": rc %d",
				_i, hdrs[h], v, rc);
			if (rc == 0)
				ck_assert_msg(strcmp(buf_str(&out), v) == 0,
					"row %d: %s \"%s\": unchanged but got \"%s\"",
					_i, hdrs[h], v, buf_str(&out));
		}
	}
	buf_free(&out);
}
END_TEST

/* A long value: bounded by out's max, not by any fixed size. */
START_TEST(test_long)
{
	static const struct rw_case t = {L, "/pub", "/thanos", NULL, "", ""};
	struct rewrite_ctx c;
	struct buf in, out;
	size_t k;

	set_ctx(&c, &t);
	buf_init(&in, 1 << 20);
	buf_init(&out, 1 << 20);
	buf_appends(&in, "http://127.0.0.1:10902/thanos/");
	for (k = 0; k < 50000; k++)
		buf_appendc(&in, 'a' + (char)(k % 26));
	ck_assert_int_eq(rewrite_location(&c, buf_str(&in), &out), 1);
	ck_assert_uint_eq(out.len, in.len - strlen("http://127.0.0.1:10902/thanos") + 4);
	ck_assert(memcmp(out.ptr, "/pub/abc", 8) == 0);
	buf_free(&in);
	buf_free(&out);
}
END_TEST

static const struct {
	const char *in;
	const char *want; /* NULL: -1 */
} origin_cases[] = {
	{"http://127.0.0.1:10902", "http://127.0.0.1:10902"},
	{"http://127.0.0.1:10902/", "http://127.0.0.1:10902"},
	{"http://127.0.0.1", "http://127.0.0.1:80"},
	{"https://thanos.example", "https://thanos.example:443"},
	{"https://Thanos.EXAMPLE:443/x?y#z", "https://thanos.example:443"},
	{"HTTPS://thanos.example", "https://thanos.example:443"},
	{"http://example.com:8080/thanos", "http://example.com:8080"},
	{"https://example.com:80", "https://example.com:80"},
	{"http://[::1]:10904", "http://[::1]:10904"},
	{"http://[::1]", "http://[::1]:80"},
	{"http://[FE80::1%25Eth0]:9090/", "http://[fe80::1%25Eth0]:9090"},
	{"http://user:pw@host:1/", "http://host:1"},
	{"http://h:/x", "http://h:80"},
	{"http://ex%41mple.com/", "http://example.com:80"},
	/* fuzz_rewrite: a decoded host that is an IPv4 address in disguise */
	{"http://0%36.0/z?y#z", "http://6.0.0.0:80"},
	{"http://06.0/", "http://6.0.0.0:80"},
	{"https://h?q", "https://h:443"},
	{"http://h#f", "http://h:80"},
	{"", NULL},
	{"/thanos", NULL},
	{"//h/x", NULL},
	{"127.0.0.1:10902", NULL},
	{"localhost:10902", NULL},
	{"ftp://h/", NULL},
	{"unix:/run/thanos.sock", NULL},
	{"mailto:x@y", NULL},
	{"http:/h", NULL},
	{"http:h", NULL},
	{"http:///x", NULL},
	{"http://", NULL},
	{"http://?x", NULL},
	{"http://h:65536/", NULL},
	{"http://h:x/", NULL},
	{"http://h\\@evil/", NULL},
	{"http://h/a b", NULL},
	{"http://h/\r\n", NULL},
	{"http://[::1/", NULL},
};

START_TEST(test_origin)
{
	struct buf out;
	int rc;
	const char *want = origin_cases[_i].want;

	buf_init(&out, MAX);
	buf_appends(&out, "keep");
	rc = url_origin(origin_cases[_i].in, &out);
	if (want != NULL)
		ck_assert_msg(rc == 0 && strcmp(buf_str(&out), want) == 0,
			"row %d: \"%s\": got \"%s\" rc %d, want \"%s\"", _i,
			origin_cases[_i].in, buf_str(&out), rc, want);
	else
		ck_assert_msg(rc == -1 && strcmp(buf_str(&out), "keep") == 0,
			"row %d: \"%s\": got \"%s\" rc %d, want -1", _i,
			origin_cases[_i].in, buf_str(&out), rc);
	/* Idempotent: an origin is its own origin. */
	if (want != NULL) {
		rc = url_origin(want, &out);
		ck_assert_msg(rc == 0 && strcmp(buf_str(&out), want) == 0,
			"row %d: \"%s\" twice: got \"%s\"", _i, want, buf_str(&out));
	}
	buf_free(&out);
}
END_TEST

START_TEST(test_origin_bounds)
{
	struct buf out;

	buf_init(&out, strlen("http://127.0.0.1:10902"));
	ck_assert_int_eq(url_origin("http://127.0.0.1:10902/thanos", &out), 0);
	ck_assert_str_eq(buf_str(&out), "http://127.0.0.1:10902");
	buf_free(&out);
	buf_init(&out, strlen("http://127.0.0.1:80") - 1);
	ck_assert_int_eq(url_origin("http://127.0.0.1", &out), -1);
	ck_assert_uint_eq(out.len, 0);
	buf_free(&out);
}
END_TEST

/* The origins the tables use are what url_origin() makes of --upstream. */
START_TEST(test_origin_table)
{
	static const char *const upstreams[] = {
		"http://127.0.0.1:10902/", "https://thanos.example", "http://[::1]:10904",
	};
	struct buf out;

	buf_init(&out, MAX);
	ck_assert_int_eq(url_origin(upstreams[_i], &out), 0);
	ck_assert_str_eq(buf_str(&out), origins[_i]);
	buf_free(&out);
}
END_TEST

static Suite *rewrite_suite(void)
{
	Suite *s = suite_create("rewrite");
	TCase *tc = tcase_create("rewrite");

	tcase_add_loop_test(tc, test_path, 0, ROWS(path_cases));
	tcase_add_loop_test(tc, test_abs, 0, ROWS(abs_cases));
	tcase_add_loop_test(tc, test_refresh, 0, ROWS(refresh_cases));
	tcase_add_loop_test(tc, test_link, 0, ROWS(link_cases));
	tcase_add_loop_test(tc, test_cookie, 0, ROWS(cookie_cases));
	tcase_add_test(tc, test_direct);
	tcase_add_loop_test(tc, test_names, 0, ROWS(name_cases));
	tcase_add_loop_test(tc, test_odd, 0, ROWS(odd_values));
	tcase_add_test(tc, test_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("url_origin");
	tcase_add_loop_test(tc, test_origin, 0, ROWS(origin_cases));
	tcase_add_test(tc, test_origin_bounds);
	tcase_add_loop_test(tc, test_origin_table, 0, ROWS(origins));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(rewrite_suite());
}
