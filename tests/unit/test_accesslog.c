/* Unit tests for accesslog.c: the fields of a request's access and debug
 * lines from a known outcome, as logfmt at a fixed time; rows named. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"

#define PFX "ts=2026-12-02T07:40:00.123Z level=info caller=accesslog.c:1 "

static const struct outcome ok = {
	"GET", "/thanos/api/v1/query?query=up", "/thanos", "/api/v1/query",
	"http://127.0.0.1:9090/api/v1/query?query=up", "10.0.0.7", "-", 200, TF_OK,
	CAUSE_NONE, 1, 0, 1234, 1000, 3, 5, 7};
static const struct outcome refused = {
	"POST", "/thanos/a b", "/thanos", "/a%20b", "http://127.0.0.1:1/a%20b", "::1",
	"j\"o", 502, TF_UPSTREAM, CAUSE_REFUSED, 2, 17, 0, 1000, -1, 1, 2};
static const struct outcome early = {
	"GET", "/thanos/%2e%2e/x", "", "", "", "-", "-", 400, TF_BAD_PATH, CAUSE_NONE, 0, 0, 0,
	1000, -1, -1, 0};

static const struct {
	const struct outcome *o;
	int debug;
	const char *want;
} cases[] = {
	{&ok, 0,
	 PFX "msg=access remote_addr=10.0.0.7 remote_user=- method=GET "
	     "path=\"/thanos/api/v1/query?query=up\" code=200 bytes=1234 duration=7ms "
	     "upstream=\"http://127.0.0.1:9090/api/v1/query?query=up\"\n"},
	{&ok, 1,
	 PFX "msg=request method=GET path=\"/thanos/api/v1/query?query=up\" e=/thanos "
	     "t=/api/v1/query upstream=\"http://127.0.0.1:9090/api/v1/query?query=up\" code=200 "
	     "bytes=1234 bytes_in=0 attempts=1 first_byte=3ms upstream_duration=5ms "
	     "duration=7ms\n"},
	{&refused, 0,
	 PFX "msg=access remote_addr=::1 remote_user=\"j\\\"o\" method=POST path=\"/thanos/a b\" "
	     "code=502 bytes=0 duration=2ms upstream=http://127.0.0.1:1/a%20b cause=refused\n"},
	{&refused, 1,
	 PFX "msg=request method=POST path=\"/thanos/a b\" e=/thanos t=/a%20b "
	     "upstream=http://127.0.0.1:1/a%20b code=502 bytes=0 bytes_in=17 attempts=2 "
	     "first_byte=- upstream_duration=1ms duration=2ms cause=refused\n"},
	{&early, 1,
	 PFX "msg=request method=GET path=/thanos/%2e%2e/x e= t= upstream= code=400 bytes=0 "
	     "bytes_in=0 attempts=0 first_byte=- upstream_duration=- duration=0ms\n"},
};

START_TEST(test_fields)
{
	struct log_field fv[ACCESSLOG_FIELDS_MAX];
	struct accesslog_nums nums;
	struct log_head h = {1796197200123LL, "info", "accesslog.c", 1};
	char out[LOGLINE_MAX];
	size_t n = accesslog_fields(cases[_i].o, cases[_i].debug, fv, &nums);

	ck_assert_uint_le(n, ACCESSLOG_FIELDS_MAX);
	logline_format(out, sizeof(out), LOG_FORMAT_LOGFMT, &h,
		       cases[_i].debug ? "request" : "access", fv, n);
	ck_assert_msg(strcmp(out, cases[_i].want) == 0, "row %d:\n'%s'\nwant\n'%s'", _i, out,
		      cases[_i].want);
}
END_TEST

/* JSON: the numbers are numbers, the durations strings. */
START_TEST(test_json)
{
	struct log_field fv[ACCESSLOG_FIELDS_MAX];
	struct accesslog_nums nums;
	struct log_head h = {1796197200123LL, "info", "accesslog.c", 1};
	char out[LOGLINE_MAX];
	size_t n = accesslog_fields(&ok, 0, fv, &nums);

	logline_format(out, sizeof(out), LOG_FORMAT_JSON, &h, "access", fv, n);
	ck_assert_ptr_nonnull(strstr(out, ",\"code\":200,\"bytes\":1234,\"duration\":\"7ms\","));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("accesslog");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_fields, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_json);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
