/* Unit tests for accesslog.c: the fields of a request's access and debug
 * lines from a known outcome, as logfmt at a fixed time; rows named. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"
#include "check_main.h"

#define PFX "ts=2026-12-02T07:40:00.123Z level=info caller=accesslog.c:1 "

static const struct outcome ok = {
	.method = "GET", .name = "/thanos/api/v1/query?query=up", .e = "/thanos",
	.t = "/api/v1/query", .upstream_url = "http://127.0.0.1:9090/api/v1/query?query=up",
	.remote_addr = "10.0.0.7", .remote_user = "-", .code = 200, .status = TF_OK,
	.cause = CAUSE_NONE, .attempts = 1, .bytes_in = 0, .bytes_out = 1234,
	.start_ms = 1000, .first_byte_ms = 3, .upstream_ms = 5, .total_ms = 7};
static const struct outcome refused = {
	.method = "POST", .name = "/thanos/a b", .e = "/thanos", .t = "/a%20b",
	.upstream_url = "http://127.0.0.1:1/a%20b", .remote_addr = "::1", .remote_user = "j\"o",
	.code = 502, .status = TF_UPSTREAM, .cause = CAUSE_REFUSED,
	.failed = {[CAUSE_REFUSED] = 2}, .attempts = 2, .bytes_in = 17, .bytes_out = 0,
	.start_ms = 1000, .first_byte_ms = -1, .upstream_ms = 1, .total_ms = 2};
static const struct outcome early = {
	.method = "GET", .name = "/thanos/%2e%2e/x", .e = "", .t = "", .upstream_url = "",
	.remote_addr = "-", .remote_user = "-", .code = 400, .status = TF_BAD_PATH,
	.cause = CAUSE_NONE, .start_ms = 1000, .first_byte_ms = -1, .upstream_ms = -1};

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

	tcase_add_loop_test(tc, test_fields, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_json);
	suite_add_tcase(s, tc);
	return check_run(s);
}
