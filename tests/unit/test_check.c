/* Unit tests for check_analyze.c and check_read.c: what a probe saw ->
 * findings, and the readers of an upstream's answers; one table each,
 * failures name the row. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_analyze.h"
#include "check_web.h"
#include "check_main.h"

#define THANOS_PAGE(p) "<html><script>const GLOBAL_PATH_PREFIX=\"" p "\"</script>" \
	"<script defer src=\"./static/js/main.js\"></script></html>"
#define PROM_PAGE(p) "<link rel=\"shortcut icon\" href=\"" p "/classic/static/img/favicon.ico?v=2\">" \
	"<script>var PATH_PREFIX = \"" p "\";</script>"

static const char *const origins[] = {"http://up:9090"};

/* One row: the adapter's settings, what the probes saw, the finding ids
 * wanted in order (space-separated) and a flag the first one names. */
static const struct {
	const char *r, *e, *ph, *roots, *tenant;
	struct check_obs o;
	const char *ids, *flag;
} cases[] = {
	/* 0: all good, Thanos */
	{"/thanos", "/thanos", "X-Forwarded-Prefix", "/metrics,/-/ready", "",
	 {.kind = CHECK_KIND_THANOS, .route_up = "/thanos", .ready_code = 200, .ready_other = 404,
	  .metrics_code = 200, .metrics_other = 404, .home_code = 200, .page_code = 200,
	  .page = THANOS_PAGE("\\/thanos")}, "ok", NULL},
	/* 1: unreachable */
	{"/thanos", "/thanos", "", "", "", {.curl_rc = 7, .error = "refused"}, "unreachable", "--upstream"},
	/* 2: TLS */
	{"/thanos", "/thanos", "", "", "", {.curl_rc = 60, .tls = 1, .error = "self-signed"}, "tls",
	 "--upstream.tls.ca-file"},
	/* 3: route prefix elsewhere */
	{"/thanos", "/thanos", "", "", "", {.kind = CHECK_KIND_THANOS, .route_up = "", .home_code = 404},
	 "route_prefix", "--web.route-prefix"},
	/* 4: 404 under R, nothing known */
	{"/thanos", "/thanos", "", "", "", {.home_code = 404}, "route_prefix", "--web.route-prefix"},
	/* 5: root paths set before a Prometheus */
	{"/thanos", "/thanos", "", "/metrics,/-/ready", "",
	 {.kind = CHECK_KIND_PROMETHEUS, .route_up = "/thanos", .ready_code = 404, .ready_other = 200,
	  .metrics_code = 404, .metrics_other = 200, .home_code = 302, .n_hops = 1,
	  .hop = {"/thanos/classic/graph"}, .page_code = 200, .page = PROM_PAGE("/thanos")},
	 "root_paths", "--upstream.root-path"},
	/* 6: root paths empty before a Thanos */
	{"/thanos", "/thanos", "", "", "",
	 {.kind = CHECK_KIND_THANOS, .route_up = "/thanos", .ready_code = 404, .ready_other = 200,
	  .home_code = 200, .page_code = 200, .page = THANOS_PAGE("\\/thanos")},
	 "root_paths", "--upstream.root-path"},
	/* 7: Prometheus without --web.external-url: its home redirect leaves E */
	{"/thanos", "/thanos", "", "", "",
	 {.kind = CHECK_KIND_PROMETHEUS, .route_up = "/thanos", .home_code = 302, .n_hops = 1,
	  .hop = {"/classic/graph"}, .page_code = 302}, "redirect_outside", "--web.external-url"},
	/* 8: a redirect to another host */
	{"/thanos", "/thanos", "", "", "",
	 {.kind = CHECK_KIND_PROMETHEUS, .home_code = 302, .n_hops = 1,
	  .hop = {"http://elsewhere:9090/thanos/graph"}}, "redirect_outside", "--web.external-url"},
	/* 9: a redirect on the upstream's own origin under R is fine */
	{"/thanos", "/pub", "", "", "",
	 {.kind = CHECK_KIND_THANOS, .home_code = 302, .n_hops = 1,
	  .hop = {"http://up:9090/thanos/graph"}, .page_code = 200, .page = THANOS_PAGE("\\/pub")},
	 "ok", NULL},
	/* 10: doubled in a redirect */
	{"/thanos", "/thanos", "", "", "",
	 {.kind = CHECK_KIND_PROMETHEUS, .home_code = 302, .n_hops = 1,
	  .hop = {"/thanos/thanos/graph"}}, "redirect_doubled", "--web.external-url"},
	/* 11: GLOBAL_PATH_PREFIX different */
	{"/thanos", "/thanos", "X-Forwarded-Prefix", "", "",
	 {.kind = CHECK_KIND_THANOS, .home_code = 200, .page_code = 200,
	  .page = THANOS_PAGE("\\/other")}, "page_prefix", "--web.external-prefix"},
	/* 12: GLOBAL_PATH_PREFIX doubled */
	{"/thanos", "/thanos", "X-Forwarded-Prefix", "", "",
	 {.kind = CHECK_KIND_THANOS, .home_code = 200, .page_code = 200,
	  .page = THANOS_PAGE("\\/thanos\\/thanos")}, "page_prefix_doubled", "--web.external-prefix"},
	/* 13: Prometheus classic page with another external path */
	{"/thanos", "/thanos", "", "", "",
	 {.kind = CHECK_KIND_PROMETHEUS, .home_code = 302, .n_hops = 1, .hop = {"/thanos/classic/graph"},
	  .page_code = 200, .page = PROM_PAGE("/pub")}, "page_prefix", "--web.external-url"},
	/* 14: an absolute asset link outside E (no prefix variable) */
	{"/thanos", "/thanos", "", "", "",
	 {.home_code = 200, .page_code = 200, .page = "<img src=\"/static/x.png\">"},
	 "page_prefix", "--web.external-url"},
	/* 15: <base href> outside E */
	{"/thanos", "/thanos", "", "", "",
	 {.home_code = 200, .page_code = 200, .page = "<head><base href=\"/\"></head>"},
	 "page_prefix", "--web.external-url"},
	/* 16: a Thanos serving the prefix header, the adapter sends none */
	{"", "/thanos", "", "", "",
	 {.kind = CHECK_KIND_THANOS, .route_up = "", .home_code = 200, .page_code = 200,
	  .page = THANOS_PAGE(""), .probe_page = THANOS_PAGE("\\/thanos-fcgi-check-probe")},
	 "prefix_header", "--web.prefix-header"},
	/* 17: the same Thanos, the adapter sends the header: the page is right */
	{"", "/thanos", "X-Forwarded-Prefix", "", "",
	 {.kind = CHECK_KIND_THANOS, .route_up = "", .home_code = 200, .page_code = 200,
	  .page = THANOS_PAGE("\\/thanos")}, "ok", NULL},
	/* 18: tenancy before a Prometheus: a warning, with the route finding */
	{"/thanos", "/thanos", "", "", "X-Tenant",
	 {.kind = CHECK_KIND_PROMETHEUS, .route_up = "/prom", .home_code = 404},
	 "route_prefix tenancy", "--web.route-prefix"},
	/* 19: tenancy before a Thanos: a note, and all right */
	{"/thanos", "/thanos", "X-Forwarded-Prefix", "", "THANOS-TENANT",
	 {.kind = CHECK_KIND_THANOS, .route_up = "/thanos", .home_code = 200, .page_code = 200,
	  .page = THANOS_PAGE("\\/thanos")}, "tenancy ok", NULL},
	/* 20: tenancy before a Prometheus alone */
	{"/thanos", "/thanos", "", "", "X-Tenant",
	 {.kind = CHECK_KIND_PROMETHEUS, .route_up = "/thanos", .home_code = 302, .n_hops = 1,
	  .hop = {"/thanos/classic/graph"}, .page_code = 200, .page = PROM_PAGE("/thanos")},
	 "tenancy", "--tenant.header"},
	/* 21: relative redirects are left alone */
	{"/thanos", "/thanos", "", "", "",
	 {.home_code = 302, .n_hops = 1, .hop = {"graph"}, .page_code = 302}, "ok", NULL},
};

START_TEST(test_analyze)
{
	struct check_in in = {"http://up:9090", cases[_i].r, cases[_i].e, cases[_i].ph,
			      cases[_i].roots, cases[_i].tenant, origins, 1};
	struct check_finding f[8];
	size_t n = check_analyze(&in, &cases[_i].o, f, 8);
	char got[256] = "";

	for (size_t k = 0; k < n; k++) {
		if (k > 0)
			strcat(got, " ");
		strcat(got, f[k].id);
		ck_assert_msg(f[k].what[0] != '\0', "row %d: finding %zu says nothing", _i, k);
		ck_assert_msg(f[k].level < CHECK_WARN || f[k].fix[0] != '\0',
			      "row %d: %s has no fix", _i, f[k].id);
	}
	ck_assert_msg(strcmp(got, cases[_i].ids) == 0, "row %d: '%s' (want '%s')", _i, got,
		      cases[_i].ids);
	if (cases[_i].flag != NULL)
		ck_assert_msg(f[0].flag != NULL && strcmp(f[0].flag, cases[_i].flag) == 0,
			      "row %d: flag %s (want %s)", _i, f[0].flag ? f[0].flag : "(none)",
			      cases[_i].flag);
}
END_TEST

static const struct {
	const char *html, *global, *path, *base, *asset;
} page_cases[] = {
	{THANOS_PAGE("\\/thanos"), "/thanos", NULL, NULL, NULL},
	{THANOS_PAGE(""), "", NULL, NULL, NULL},
	{PROM_PAGE("/pub"), NULL, "/pub", NULL, "/pub/classic/static/img/favicon.ico"},
	{"<script>const GLOBAL_PATH_PREFIX='\\u002fa\\\"b'</script>", "/a\"b", NULL, NULL, NULL},
	{"<base href=\"/x/\"><a href=\"//cdn/x\"> <img src=\"/s.png\">", NULL, NULL, "/x/", "/s.png"},
	{"no markers", NULL, NULL, NULL, NULL},
	{"GLOBAL_PATH_PREFIX=unquoted", NULL, NULL, NULL, NULL},
};

static void want_marker(int i, const char *name, int have, const char *got, const char *want)
{
	ck_assert_msg(have == (want != NULL), "row %d: %s found %d", i, name, have);
	if (want != NULL)
		ck_assert_msg(strcmp(got, want) == 0, "row %d: %s '%s' (want '%s')", i, name, got, want);
}

START_TEST(test_page)
{
	struct check_page p;

	check_page_read(page_cases[_i].html, &p);
	want_marker(_i, "global", p.have_global, p.global, page_cases[_i].global);
	want_marker(_i, "path", p.have_path, p.path, page_cases[_i].path);
	want_marker(_i, "base", p.have_base, p.base, page_cases[_i].base);
	want_marker(_i, "asset", p.have_asset, p.asset, page_cases[_i].asset);
}
END_TEST

static const struct {
	enum check_kind k;
	const char *loc, *want; /* NULL: none */
} route_cases[] = {
	{CHECK_KIND_THANOS, "/thanos/graph", "/thanos"},
	{CHECK_KIND_THANOS, "/graph", ""},
	{CHECK_KIND_THANOS, "/a/b/graph?x=1", "/a/b"},
	{CHECK_KIND_THANOS, "/thanos/query", NULL},
	{CHECK_KIND_PROMETHEUS, "/thanos", "/thanos"},
	{CHECK_KIND_PROMETHEUS, "/thanos/", "/thanos"},
	{CHECK_KIND_PROMETHEUS, "//evil/x", NULL},
	{CHECK_KIND_PROMETHEUS, "http://h/x", NULL},
	{CHECK_KIND_PROMETHEUS, NULL, NULL},
};

START_TEST(test_route)
{
	struct buf b;
	int rc;

	buf_init(&b, 256);
	rc = check_route_of(route_cases[_i].k, route_cases[_i].loc, &b);
	if (route_cases[_i].want == NULL)
		ck_assert_msg(rc == -1, "row %d: %d '%s' (want none)", _i, rc, buf_str(&b));
	else
		ck_assert_msg(rc == 0 && strcmp(buf_str(&b), route_cases[_i].want) == 0,
			      "row %d: %d '%s' (want '%s')", _i, rc, buf_str(&b), route_cases[_i].want);
	buf_free(&b);
}
END_TEST

static const struct {
	const char *metrics;
	enum check_kind want;
} kind_cases[] = {
	{"# HELP x\nthanos_build_info{version=\"0.3\"} 1\n", CHECK_KIND_THANOS},
	{"prometheus_build_info{version=\"2.42\"} 1\n", CHECK_KIND_PROMETHEUS},
	{"# HELP prometheus_build_info x\nprometheus_build_info{a=\"b\"} 1\n", CHECK_KIND_PROMETHEUS},
	{"# HELP thanos_build_info only in a comment\n", CHECK_KIND_UNKNOWN},
	{"404 page not found\n", CHECK_KIND_UNKNOWN},
	{NULL, CHECK_KIND_UNKNOWN},
};

START_TEST(test_kind)
{
	enum check_kind got = check_kind_of(kind_cases[_i].metrics);

	ck_assert_msg(got == kind_cases[_i].want, "row %d: %d (want %d)", _i, got, kind_cases[_i].want);
}
END_TEST

/* ---- check --url: what came through the web server -> findings ---- */

#define ANSWER(e, t, sn, pi, uri, auth) "thanos-fcgi check\ne=" e "\nt=" t "\nscript_name=" sn \
	pi "\nrequest_uri=" uri "\nauthorization=" auth "\n"
#define GOOD ANSWER("/thanos", "/-/thanos-fcgi/check", "/thanos", "\npath_info=/-/thanos-fcgi/check", \
		    "/thanos/-/thanos-fcgi/check", "present")
#define GOOD_SLASH ANSWER("/thanos", "/-/thanos-fcgi/check/a%2Fb", "/thanos", "", \
			  "/thanos/-/thanos-fcgi/check/a%2Fb", "present")

static const struct {
	struct check_web_answer plain, slash;
	const char *ids, *flag; /* flag of the second finding (after web_passed) */
} web_cases[] = {
	/* 0: all right */
	{{0, NULL, 200, GOOD}, {0, NULL, 200, GOOD_SLASH}, "web_passed web_ok", NULL},
	/* 1: the URL does not answer */
	{{7, "refused", 0, NULL}, {7, "refused", 0, NULL}, "web_unreachable", "--url"},
	/* 2: a login asked */
	{{0, NULL, 401, "no"}, {0, NULL, 401, "no"}, "web_login", "--url"},
	/* 3: wrong token */
	{{0, NULL, 403, "thanos-fcgi: check token missing or wrong\n"}, {0, NULL, 403, NULL},
	 "check_token", "--web.check-token"},
	/* 4: the upstream's 404: no token on the adapter */
	{{0, NULL, 404, "404 page not found\n"}, {0, NULL, 404, NULL}, "no_check_answer",
	 "--web.check-token"},
	/* 5a: the server cannot reach the adapter (socket permissions) */
	{{0, NULL, 502, "<html>502 Bad Gateway</html>"}, {0, NULL, 502, NULL}, "web_backend",
	 "--listen.mode"},
	/* 5b: the adapter's own 502 (its upstream down) is not the server's */
	{{0, NULL, 502, "thanos-fcgi: upstream failed\n"}, {0, NULL, 502, NULL}, "no_check_answer",
	 "--web.check-token"},
	/* 5: nginx the PHP-FPM way */
	{{0, NULL, 200, ANSWER("/thanos/-/thanos-fcgi/check", "", "/thanos/-/thanos-fcgi/check", "",
			       "/thanos/-/thanos-fcgi/check", "present")},
	 {0, NULL, 200, GOOD_SLASH}, "web_passed web_prefix", "--web.external-prefix"},
	/* 6: Apache without CGIPassAuth */
	{{0, NULL, 200, ANSWER("/thanos", "/-/thanos-fcgi/check", "/thanos", "",
			       "/thanos/-/thanos-fcgi/check", "absent")},
	 {0, NULL, 200, GOOD_SLASH}, "web_passed web_authorization", "CGIPassAuth"},
	/* 7: Apache without AllowEncodedSlashes: its own 404 */
	{{0, NULL, 200, GOOD}, {0, NULL, 404, "<html>Not Found</html>"}, "web_passed web_encoded_slash",
	 "AllowEncodedSlashes"},
	/* 8: %2F decoded on the way */
	{{0, NULL, 200, GOOD},
	 {0, NULL, 200, ANSWER("/thanos", "/-/thanos-fcgi/check/a/b", "/thanos", "", "/x", "present")},
	 "web_passed web_slash_decoded", "AllowEncodedSlashes"},
	/* 9: everything wrong at once */
	{{0, NULL, 200, ANSWER("/x", "/-/thanos-fcgi/check", "/x", "", "/x/-/thanos-fcgi/check",
			       "absent")},
	 {0, NULL, 404, NULL}, "web_passed web_prefix web_authorization web_encoded_slash",
	 "--web.external-prefix"},
};

START_TEST(test_web)
{
	struct check_web_obs o = {"https://h/thanos/", "/thanos", web_cases[_i].plain,
				  web_cases[_i].slash};
	struct check_finding f[8];
	size_t n = check_web_analyze(&o, f, 8);
	char got[256] = "";
	const struct check_finding *x = n > 1 ? &f[1] : &f[0];

	for (size_t k = 0; k < n; k++) {
		if (k > 0)
			strcat(got, " ");
		strcat(got, f[k].id);
		ck_assert_msg(f[k].level < CHECK_WARN || f[k].fix[0] != '\0', "row %d: %s has no fix",
			      _i, f[k].id);
	}
	ck_assert_msg(strcmp(got, web_cases[_i].ids) == 0, "row %d: '%s' (want '%s')", _i, got,
		      web_cases[_i].ids);
	if (web_cases[_i].flag != NULL)
		ck_assert_msg(x->flag != NULL && strcmp(x->flag, web_cases[_i].flag) == 0,
			      "row %d: flag %s (want %s)", _i, x->flag ? x->flag : "(none)",
			      web_cases[_i].flag);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("check");
	TCase *a = tcase_create("analyze"), *r = tcase_create("read");

	tcase_add_loop_test(a, test_analyze, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_loop_test(r, test_page, 0, (int)(sizeof(page_cases) / sizeof(page_cases[0])));
	tcase_add_loop_test(r, test_route, 0, (int)(sizeof(route_cases) / sizeof(route_cases[0])));
	tcase_add_loop_test(r, test_kind, 0, (int)(sizeof(kind_cases) / sizeof(kind_cases[0])));
	tcase_add_loop_test(a, test_web, 0, (int)(sizeof(web_cases) / sizeof(web_cases[0])));
	suite_add_tcase(s, a);
	suite_add_tcase(s, r);
	return check_run(s);
}
