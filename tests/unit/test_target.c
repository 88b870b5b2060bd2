/* test_target: upstream path and query from base, R, T and Q (src/target.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "status.h"
#include "target.h"
#include "check_main.h"

#define BUFMAX 4096
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define ROOTS "/metrics,/-/healthy,/-/ready"

static const char *show(const char *s)
{
	return s != NULL ? s : "(null)";
}

static const struct {
	const char *base, *r, *roots, *t, *q;
	enum tf_status st;
	const char *want;
} build_cases[] = {
	/* joins: exactly one '/' between the parts, "/" for nothing */
	{"", "", ROOTS, "", NULL, TF_OK, "/"},
	{"", "", ROOTS, "/", NULL, TF_OK, "/"},
	{"", "/thanos", ROOTS, "", NULL, TF_OK, "/thanos"},
	{"", "/thanos", ROOTS, "/", NULL, TF_OK, "/thanos/"},
	{"", "/thanos", ROOTS, "/graph", NULL, TF_OK, "/thanos/graph"},
	{"", "", ROOTS, "/graph", NULL, TF_OK, "/graph"},
	{"/b", "/thanos", ROOTS, "/graph", NULL, TF_OK, "/b/thanos/graph"},
	{"/b", "", ROOTS, "", NULL, TF_OK, "/b"},
	{"/b", "", ROOTS, "/", NULL, TF_OK, "/b/"},
	{"/b/", "/thanos", ROOTS, "/graph", NULL, TF_OK, "/b/thanos/graph"},
	{"/b/", "", ROOTS, "/graph", NULL, TF_OK, "/b/graph"},
	{"/", "/thanos", ROOTS, "/graph", NULL, TF_OK, "/thanos/graph"},
	{"/", "", ROOTS, "", NULL, TF_OK, "/"},
	{"", "/a/b", ROOTS, "/graph", NULL, TF_OK, "/a/b/graph"},
	{"", "/thanos", ROOTS, "//evil.com/x", NULL, TF_OK, "/thanos/evil.com/x"},
	{"", "", ROOTS, "//evil.com/x", NULL, TF_OK, "/evil.com/x"},
	{"", "thanos", ROOTS, "graph", NULL, TF_OK, "/thanos/graph"},
	{NULL, NULL, NULL, NULL, NULL, TF_OK, "/"},
	{NULL, "/thanos", NULL, NULL, NULL, TF_OK, "/thanos"},
	/* T keeps its encoding */
	{"", "/thanos", ROOTS, "/api/v1/label/a%2Fb/values", NULL, TF_OK,
	 "/thanos/api/v1/label/a%2Fb/values"},
	{"", "/thanos", ROOTS, "/x/%C3%A9%20y", NULL, TF_OK, "/thanos/x/%C3%A9%20y"},
	/* root paths go to the upstream's root, not under R */
	{"", "/thanos", ROOTS, "/metrics", NULL, TF_OK, "/metrics"},
	{"", "/thanos", ROOTS, "/-/healthy", NULL, TF_OK, "/-/healthy"},
	{"", "/thanos", ROOTS, "/-/ready", "x=1", TF_OK, "/-/ready?x=1"},
	{"/b", "/thanos", ROOTS, "/metrics", NULL, TF_OK, "/b/metrics"},
	{"", "/thanos", ROOTS, "/metrics/x", NULL, TF_OK, "/thanos/metrics/x"},
	{"", "/thanos", ROOTS, "/metrics/", NULL, TF_OK, "/thanos/metrics/"},
	{"", "/thanos", ROOTS, "/metricsx", NULL, TF_OK, "/thanos/metricsx"},
	{"", "/thanos", ROOTS, "/-/healthy/", NULL, TF_OK, "/thanos/-/healthy/"},
	{"", "/thanos", ROOTS, "/%6Detrics", NULL, TF_OK, "/thanos/%6Detrics"},
	{"", "/thanos", "", "/metrics", NULL, TF_OK, "/thanos/metrics"},
	{"", "/thanos", NULL, "/metrics", NULL, TF_OK, "/thanos/metrics"},
	{"", "/thanos", " /metrics , /-/ready ", "/-/ready", NULL, TF_OK, "/-/ready"},
	{"", "/thanos", ",,/metrics,", "/metrics", NULL, TF_OK, "/metrics"},
	{"", "/thanos", ",,", "", NULL, TF_OK, "/thanos"},
	{"", "", ROOTS, "/metrics", NULL, TF_OK, "/metrics"},
	/* query: kept byte for byte, raw bytes a URL may not hold encoded */
	{"", "/thanos", ROOTS, "/api/v1/query", "query=up", TF_OK,
	 "/thanos/api/v1/query?query=up"},
	{"", "/thanos", ROOTS, "/api/v1/query", "", TF_OK, "/thanos/api/v1/query"},
	{"", "/thanos", ROOTS, "", "x=1", TF_OK, "/thanos?x=1"},
	{"", "", ROOTS, "", "x=1", TF_OK, "/?x=1"},
	{"", "/thanos", ROOTS, "/q", "query=sum(rate(x%5B5m%5D))&time=1.5", TF_OK,
	 "/thanos/q?query=sum(rate(x%5B5m%5D))&time=1.5"},
	{"", "/thanos", ROOTS, "/q", "query=rate(x[5m])", TF_OK,
	 "/thanos/q?query=rate(x[5m])"},
	{"", "/thanos", ROOTS, "/q", "query=up%0A", TF_OK, "/thanos/q?query=up%0A"},
	{"", "/thanos", ROOTS, "/q", "q=a b+c", TF_OK, "/thanos/q?q=a%20b+c"},
	{"", "/thanos", ROOTS, "/q", "q=\"<>\\^`{|}", TF_OK,
	 "/thanos/q?q=%22%3C%3E%5C%5E%60%7B%7C%7D"},
	{"", "/thanos", ROOTS, "/q", "q=\xC3\xA9", TF_OK, "/thanos/q?q=%C3%A9"},
	{"", "/thanos", ROOTS, "/q", "q=1#frag", TF_OK, "/thanos/q?q=1%23frag"},
	{"", "/thanos", ROOTS, "/q", "q=%zz&x=%", TF_OK, "/thanos/q?q=%zz&x=%"},
	{"", "/thanos", ROOTS, "/q", "a=/b?c:d@e", TF_OK, "/thanos/q?a=/b?c:d@e"},
	{"", "/thanos", ROOTS, "/q", "?", TF_OK, "/thanos/q??"},
	/* control characters in the query: 400 */
	{"", "/thanos", ROOTS, "/q", "q=a\r\nX-Evil: 1", TF_BAD_PATH, ""},
	{"", "/thanos", ROOTS, "/q", "q=a\nb", TF_BAD_PATH, ""},
	{"", "/thanos", ROOTS, "/q", "q=\t", TF_BAD_PATH, ""},
	{"", "/thanos", ROOTS, "/q", "q=\x7f", TF_BAD_PATH, ""},
	{"", "/thanos", ROOTS, "/q", "q=\x01", TF_BAD_PATH, ""},
};

START_TEST(test_build)
{
	struct buf out;
	enum tf_status st;

	buf_init(&out, BUFMAX);
	buf_appends(&out, "stale");
	st = target_build(build_cases[_i].base, build_cases[_i].r,
			  build_cases[_i].roots, build_cases[_i].t,
			  build_cases[_i].q, &out);
	ck_assert_msg(st == build_cases[_i].st &&
		      strcmp(buf_str(&out), build_cases[_i].want) == 0,
		      "row %d: base=%s R=%s roots=%s T=%s Q=%s: got %s \"%s\", "
		      "want %s \"%s\"",
		      _i, show(build_cases[_i].base), show(build_cases[_i].r),
		      show(build_cases[_i].roots), show(build_cases[_i].t),
		      show(build_cases[_i].q), status_str(st), buf_str(&out),
		      status_str(build_cases[_i].st), build_cases[_i].want);
	ck_assert_msg(st != TF_OK || strstr(buf_str(&out), "//") == NULL ||
		      strstr(build_cases[_i].t ? build_cases[_i].t : "", "//") != NULL ||
		      strchr(buf_str(&out), '?') != NULL,
		      "row %d: \"//\" from a join in \"%s\"", _i, buf_str(&out));
	buf_free(&out);
}
END_TEST

/* out->max: 414 and out reset. */
static const struct {
	const char *r, *t, *q;
	size_t max;
	enum tf_status st;
} long_cases[] = {
	{"/thanos", "/graph", NULL, 13, TF_OK},
	{"/thanos", "/graph", NULL, 12, TF_URI_TOO_LONG},
	{"/thanos", "/graph", "x=1", 17, TF_OK},
	{"/thanos", "/graph", "x=1", 16, TF_URI_TOO_LONG},
	{"/thanos", "/graph", "x= ", 19, TF_OK},
	{"/thanos", "/graph", "x= ", 18, TF_URI_TOO_LONG},
	{"", "", NULL, 1, TF_OK},
	{"", "", NULL, 0, TF_URI_TOO_LONG},
	{"/thanos", "", NULL, 6, TF_URI_TOO_LONG},
};

START_TEST(test_build_long)
{
	struct buf out;
	enum tf_status st;

	buf_init(&out, long_cases[_i].max);
	st = target_build("", long_cases[_i].r, ROOTS, long_cases[_i].t,
			  long_cases[_i].q, &out);
	ck_assert_msg(st == long_cases[_i].st,
		      "row %d: R=%s T=%s Q=%s max %zu: got %s \"%s\", want %s", _i,
		      long_cases[_i].r, long_cases[_i].t, show(long_cases[_i].q),
		      long_cases[_i].max, status_str(st), buf_str(&out),
		      status_str(long_cases[_i].st));
	if (st != TF_OK)
		ck_assert_msg(out.len == 0, "row %d: out not reset: \"%s\"", _i,
			      buf_str(&out));
	buf_free(&out);
}
END_TEST

static const struct {
	const char *roots, *t;
	int want;
} root_cases[] = {
	{ROOTS, "/metrics", 1},
	{ROOTS, "/-/ready", 1},
	{ROOTS, "/-/healthy", 1},
	{ROOTS, "/-/healthy?x", 0},
	{ROOTS, "/metrics/", 0},
	{ROOTS, "/METRICS", 0},
	{ROOTS, "", 0},
	{ROOTS, NULL, 0},
	{"", "/metrics", 0},
	{NULL, "/metrics", 0},
	{",", "", 0},
	{"/metrics", "/metrics", 1},
	{"\t/metrics\t", "/metrics", 1},
	{"/metrics,,", "/-/ready", 0},
	{"/a,/metrics", "/metric", 0},
};

START_TEST(test_is_root)
{
	int got = target_is_root_path(root_cases[_i].roots, root_cases[_i].t);

	ck_assert_msg(got == root_cases[_i].want,
		      "row %d: target_is_root_path(\"%s\", \"%s\") = %d", _i,
		      show(root_cases[_i].roots), show(root_cases[_i].t), got);
}
END_TEST

static Suite *target_suite(void)
{
	Suite *s = suite_create("target");
	TCase *tc = tcase_create("target");

	tcase_add_loop_test(tc, test_build, 0, N(build_cases));
	tcase_add_loop_test(tc, test_build_long, 0, N(long_cases));
	tcase_add_loop_test(tc, test_is_root, 0, N(root_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(target_suite());
}
