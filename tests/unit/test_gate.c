/* Unit tests for gate.c: the read-only rules and the denied paths, one
 * table each; failures name the row. */
#include <check.h>
#include <stdlib.h>

#include "gate.h"
#include "check_main.h"

static const struct {
	const char *method, *t;
	int allowed;
} ro_cases[] = {
	{"GET", "/api/v1/query", 1},
	{"HEAD", "/graph", 1},
	{"OPTIONS", "/api/v1/query", 1},
	{"GET", "/api/v1/label/job/values", 1},
	{"POST", "/api/v1/query", 1},
	{"POST", "/api/v1/query_range", 1},
	{"POST", "/api/v1/series", 1},
	{"POST", "/api/v1/labels", 1},
	{"POST", "/api/v1/query_exemplars", 1},
	{"POST", "/api/v1/format_query", 1},
	{"POST", "/api/v1/query_explain", 1},
	{"POST", "/api/v1/query_range_explain", 1},
	{"POST", "/api/v1/parse_query", 1},
	{"POST", "/api/v1/search/metric_names", 1},
	{"POST", "/api/v1/search/label_names", 1},
	{"POST", "/api/v1/search/label_values", 1},
	{"GET", "/api/v1/search/label_values", 1},
	{"POST", "/api/v1/search/", 0},
	{"POST", "/api/v1/read", 0},         /* remote read: a bulk export */
	{"GET", "/api/v1/read", 1},          /* not a route: the upstream's 405 */
	{"POST", "/api/v1/receive", 0},      /* Thanos Receive */
	{"POST", "/api/v1/otlp", 0},         /* Thanos Receive, OTLP */
	{"POST", "/api/v1/blocks/mark", 0},  /* Thanos bucket web UI */
	{"POST", "/api/v2/silences", 0},     /* Alertmanager */
	{"DELETE", "/api/v2/silence/x", 0},  /* Alertmanager */
	{"POST", "/api/v2/alerts", 0},       /* Alertmanager */
	{"POST", "/debug/pprof/symbol", 0},
	{"PUT", "/-/reload", 0},
	{"GET", "/-/reload", 0},
	{"OPTIONS", "/-/quit", 0},
	{"POST", "/api/v1/query/", 0},
	{"POST", "/api/v1/queryx", 0},
	{"POST", "/api/v1/write", 0},
	{"POST", "/api/v1/otlp/v1/metrics", 0},
	{"POST", "/api/v1/admin/tsdb/snapshot", 0},
	{"PUT", "/api/v1/admin/tsdb/snapshot", 0},
	{"DELETE", "/api/v1/admin/tsdb/delete_series", 0},
	{"POST", "/api/v1/admin/tsdb/clean_tombstones", 0},
	{"GET", "/api/v1/admin/tsdb/snapshot", 0},
	{"PUT", "/-/quit", 0},
	{"POST", "/-/quit", 0},
	{"GET", "/-/quit", 0},
	{"POST", "/-/reload", 0},
	{"PUT", "/api/v1/query", 0},
	{"PATCH", "/api/v1/query", 0},
	{"DELETE", "/api/v1/series", 0},
	{"POST", "/api/v1/rules", 0},
	{"POST", "/api/v1/alerts", 0},
	{"GET", "/-/healthy", 1},
	{"get", "/api/v1/query", 0},
};

START_TEST(test_read_only)
{
	int got = gate_read_only_allows(ro_cases[_i].method, ro_cases[_i].t);

	ck_assert_msg(got == ro_cases[_i].allowed, "row %d: %s %s: %d (want %d)", _i,
		      ro_cases[_i].method, ro_cases[_i].t, got, ro_cases[_i].allowed);
}
END_TEST

static const struct {
	const char *patterns, *t;
	int denied;
} deny_cases[] = {
	{NULL, "/api/v1/query", 0},
	{"", "/api/v1/query", 0},
	{"/api/v1/status/*", "/api/v1/status/flags", 1},
	{"/api/v1/status/*", "/api/v1/status", 0},
	{"/api/*", "/api/v1/status/flags", 1}, /* '*' crosses '/' */
	{"/graph", "/graph", 1},
	{"/graph", "/graph/", 0},
	{"/metrics, /api/v1/targets*", "/api/v1/targets", 1},
	{"/metrics, /api/v1/targets*", "/metrics", 1},
	{"/metrics, /api/v1/targets*", "/api/v1/query", 0},
	{"/api/v1/label/?*/values", "/api/v1/label/job/values", 1},
	{"/x/[ab]", "/x/b", 1},
	{"/x/[ab]", "/x/c", 0},
	{",,/a", "/a", 1},
};

START_TEST(test_deny)
{
	int got = gate_denied(deny_cases[_i].patterns, deny_cases[_i].t);

	ck_assert_msg(got == deny_cases[_i].denied, "row %d: '%s' on %s: %d (want %d)", _i,
		      deny_cases[_i].patterns ? deny_cases[_i].patterns : "(null)",
		      deny_cases[_i].t, got, deny_cases[_i].denied);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gate");
	TCase *ro = tcase_create("read-only"), *deny = tcase_create("deny-path");

	tcase_add_loop_test(ro, test_read_only, 0, (int)(sizeof(ro_cases) / sizeof(ro_cases[0])));
	tcase_add_loop_test(deny, test_deny, 0, (int)(sizeof(deny_cases) / sizeof(deny_cases[0])));
	suite_add_tcase(s, ro);
	suite_add_tcase(s, deny);
	return check_run(s);
}
