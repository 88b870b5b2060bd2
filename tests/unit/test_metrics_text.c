/* Unit tests for metrics_text.c: the label rows, and known counter values
 * to the exact Prometheus text (rows named by their index). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_text.h"

static const struct {
	const char *in;
	const char *want;
} method_cases[] = {
	{"GET", "GET"}, {"HEAD", "HEAD"}, {"POST", "POST"}, {"PUT", "PUT"},
	{"DELETE", "DELETE"}, {"PATCH", "PATCH"}, {"OPTIONS", "OPTIONS"},
	{"get", "other"}, {"PROPFIND", "other"}, {"GETX", "other"}, {"", "other"},
	{NULL, "other"},
};

START_TEST(test_method)
{
	const char *got = metrics_method_name(metrics_method(method_cases[_i].in));

	ck_assert_msg(strcmp(got, method_cases[_i].want) == 0, "row %d: '%s', want '%s'", _i, got,
		      method_cases[_i].want);
}
END_TEST

static const struct {
	int code;
	unsigned want;
} code_cases[] = {
	{0, 0}, {-1, 0}, {99, 0}, {100, 100}, {200, 200}, {404, 404}, {599, 599}, {600, 0},
	{999, 0},
};

START_TEST(test_code)
{
	ck_assert_msg(metrics_code(code_cases[_i].code) == code_cases[_i].want, "row %d: %u", _i,
		      metrics_code(code_cases[_i].code));
}
END_TEST

static const struct {
	long long ms;
	unsigned want;
} bucket_cases[] = {
	{-5, 0}, {0, 0}, {5, 0}, {6, 1}, {10, 1}, {11, 2}, {1000, 7}, {1001, 8},
	{300000, 14}, {300001, 15}, {1LL << 40, 15},
};

START_TEST(test_bucket)
{
	unsigned got = metrics_bucket(bucket_cases[_i].ms);

	ck_assert_msg(got == bucket_cases[_i].want, "row %d: %u, want %u", _i, got,
		      bucket_cases[_i].want);
}
END_TEST

static struct metrics_counters C; /* static: zeroed, and 55 KiB */

/* Every block of the text but the requests' and the histograms' for
 * counters that are all 0. */
#define ZERO_REST \
	"# HELP thanos_fcgi_upstream_errors_total Failed upstream attempts (each retry's too), by cause.\n" \
	"# TYPE thanos_fcgi_upstream_errors_total counter\n" \
	"thanos_fcgi_upstream_errors_total{cause=\"refused\"} 0\n" \
	"thanos_fcgi_upstream_errors_total{cause=\"timeout\"} 0\n" \
	"thanos_fcgi_upstream_errors_total{cause=\"tls\"} 0\n" \
	"thanos_fcgi_upstream_errors_total{cause=\"reset\"} 0\n" \
	"thanos_fcgi_upstream_errors_total{cause=\"bad_header\"} 0\n" \
	"thanos_fcgi_upstream_errors_total{cause=\"other\"} 0\n"

static const char *const requests_head =
	"# HELP thanos_fcgi_requests_total Requests answered, by HTTP status code (0: the client left first) and method.\n"
	"# TYPE thanos_fcgi_requests_total counter\n";

static const char *const golden_hist =
	"# HELP thanos_fcgi_upstream_duration_seconds Duration of a request's last upstream attempt.\n"
	"# TYPE thanos_fcgi_upstream_duration_seconds histogram\n"
	"thanos_fcgi_upstream_duration_seconds_bucket{le=\"0.005\"} 1\n"
	"thanos_fcgi_upstream_duration_seconds_bucket{le=\"0.01\"} 1\n"
	"thanos_fcgi_upstream_duration_seconds_bucket{le=\"0.025\"} 1\n"
	"thanos_fcgi_upstream_duration_seconds_bucket{le=\"0.05\"} 1\n"
	"thanos_fcgi_upstream_duration_seconds_bucket{le=\"0.1\"} 1\n"
	"thanos_fcgi_upstream_duration_seconds_bucket{le=\"0.25\"} 1\n"
	"thanos_fcgi_upstream_duration_seconds_bucket{le=\"0.5\"} 1\n"
	"thanos_fcgi_upstream_duration_seconds_bucket{le=\"1\"} 3\n"
	"thanos_fcgi_upstream_duration_seconds_bucket{le=\"2.5\"} 3\n"
	"thanos_fcgi_upstream_duration_seconds_bucket{le=\"5\"} 3\n"
	"thanos_fcgi_upstream_duration_seconds_bucket{le=\"10\"} 3\n"
	"thanos_fcgi_upstream_duration_seconds_bucket{le=\"30\"} 3\n"
	"thanos_fcgi_upstream_duration_seconds_bucket{le=\"60\"} 3\n"
	"thanos_fcgi_upstream_duration_seconds_bucket{le=\"120\"} 3\n"
	"thanos_fcgi_upstream_duration_seconds_bucket{le=\"300\"} 3\n"
	"thanos_fcgi_upstream_duration_seconds_bucket{le=\"+Inf\"} 4\n"
	"thanos_fcgi_upstream_duration_seconds_sum 301.234\n"
	"thanos_fcgi_upstream_duration_seconds_count 4\n"
	"# HELP thanos_fcgi_upstream_first_byte_seconds Time from a request's last upstream attempt to its first byte.\n"
	"# TYPE thanos_fcgi_upstream_first_byte_seconds histogram\n"
	"thanos_fcgi_upstream_first_byte_seconds_bucket{le=\"0.005\"} 0\n"
	"thanos_fcgi_upstream_first_byte_seconds_bucket{le=\"0.01\"} 1\n"
	"thanos_fcgi_upstream_first_byte_seconds_bucket{le=\"0.025\"} 1\n"
	"thanos_fcgi_upstream_first_byte_seconds_bucket{le=\"0.05\"} 1\n"
	"thanos_fcgi_upstream_first_byte_seconds_bucket{le=\"0.1\"} 1\n"
	"thanos_fcgi_upstream_first_byte_seconds_bucket{le=\"0.25\"} 1\n"
	"thanos_fcgi_upstream_first_byte_seconds_bucket{le=\"0.5\"} 1\n"
	"thanos_fcgi_upstream_first_byte_seconds_bucket{le=\"1\"} 1\n"
	"thanos_fcgi_upstream_first_byte_seconds_bucket{le=\"2.5\"} 1\n"
	"thanos_fcgi_upstream_first_byte_seconds_bucket{le=\"5\"} 1\n"
	"thanos_fcgi_upstream_first_byte_seconds_bucket{le=\"10\"} 1\n"
	"thanos_fcgi_upstream_first_byte_seconds_bucket{le=\"30\"} 1\n"
	"thanos_fcgi_upstream_first_byte_seconds_bucket{le=\"60\"} 1\n"
	"thanos_fcgi_upstream_first_byte_seconds_bucket{le=\"120\"} 1\n"
	"thanos_fcgi_upstream_first_byte_seconds_bucket{le=\"300\"} 1\n"
	"thanos_fcgi_upstream_first_byte_seconds_bucket{le=\"+Inf\"} 1\n"
	"thanos_fcgi_upstream_first_byte_seconds_sum 0.007\n"
	"thanos_fcgi_upstream_first_byte_seconds_count 1\n";

/* The golden case: every kind of series with a known value. */
static void golden_counters(void)
{
	memset(&C, 0, sizeof(C));
	C.requests[200][0] = 3;  /* GET */
	C.requests[404][0] = 1;
	C.requests[0][2] = 2;    /* POST, the client gone */
	C.requests[599][7] = 1;  /* other */
	C.errors[CAUSE_REFUSED] = 1;
	C.errors[CAUSE_TIMEOUT] = 2;
	C.retries = 4;
	C.bytes_in = 10;
	C.bytes_out = 12345;
	C.upstream.bucket[0] = 1;
	C.upstream.bucket[7] = 2;
	C.upstream.bucket[METRICS_BUCKETS] = 1;
	C.upstream.sum_ms = 301234;
	C.first_byte.bucket[1] = 1;
	C.first_byte.sum_ms = 7;
}

static const struct metrics_replica_view two[] = {
	{"http://a:1", 1},
	{"http://b\"\\\n:2", 0},
};

/* The whole text of the golden case but its histograms (golden_hist). */
static const char *const golden_head =
	"thanos_fcgi_requests_total{code=\"0\",method=\"POST\"} 2\n"
	"thanos_fcgi_requests_total{code=\"200\",method=\"GET\"} 3\n"
	"thanos_fcgi_requests_total{code=\"404\",method=\"GET\"} 1\n"
	"thanos_fcgi_requests_total{code=\"599\",method=\"other\"} 1\n"
	"# HELP thanos_fcgi_upstream_errors_total Failed upstream attempts (each retry's too), by cause.\n"
	"# TYPE thanos_fcgi_upstream_errors_total counter\n"
	"thanos_fcgi_upstream_errors_total{cause=\"refused\"} 1\n"
	"thanos_fcgi_upstream_errors_total{cause=\"timeout\"} 2\n"
	"thanos_fcgi_upstream_errors_total{cause=\"tls\"} 0\n"
	"thanos_fcgi_upstream_errors_total{cause=\"reset\"} 0\n"
	"thanos_fcgi_upstream_errors_total{cause=\"bad_header\"} 0\n"
	"thanos_fcgi_upstream_errors_total{cause=\"other\"} 0\n"
	"# HELP thanos_fcgi_upstream_retries_total Upstream attempts after a request's first.\n"
	"# TYPE thanos_fcgi_upstream_retries_total counter\n"
	"thanos_fcgi_upstream_retries_total 4\n"
	"# HELP thanos_fcgi_request_bytes_total Request body bytes sent upstream.\n"
	"# TYPE thanos_fcgi_request_bytes_total counter\n"
	"thanos_fcgi_request_bytes_total 10\n"
	"# HELP thanos_fcgi_response_bytes_total Response body bytes passed to the client.\n"
	"# TYPE thanos_fcgi_response_bytes_total counter\n"
	"thanos_fcgi_response_bytes_total 12345\n";

static const char *const golden_tail =
	"# HELP thanos_fcgi_requests_in_flight Requests being answered now, over the live processes.\n"
	"# TYPE thanos_fcgi_requests_in_flight gauge\n"
	"thanos_fcgi_requests_in_flight 2\n"
	"# HELP thanos_fcgi_processes Live adapter processes counting into these metrics.\n"
	"# TYPE thanos_fcgi_processes gauge\n"
	"thanos_fcgi_processes 3\n"
	"# HELP thanos_fcgi_upstream_up 1 when the replica is up, 0 while it is marked down.\n"
	"# TYPE thanos_fcgi_upstream_up gauge\n"
	"thanos_fcgi_upstream_up{upstream=\"http://a:1\"} 1\n"
	"thanos_fcgi_upstream_up{upstream=\"http://b\\\"\\\\\\n:2\"} 0\n"
	"# HELP thanos_fcgi_build_info Always 1; the version as a label.\n"
	"# TYPE thanos_fcgi_build_info gauge\n"
	"thanos_fcgi_build_info{version=\"0.1.0\"} 1\n";

START_TEST(test_golden)
{
	struct metrics_view v = {&C, 2, 3, two, 2, "0.1.0"};
	struct buf b, want;

	golden_counters();
	buf_init(&b, 1 << 20);
	buf_init(&want, 1 << 20);
	buf_appends(&want, requests_head);
	buf_appends(&want, golden_head);
	buf_appends(&want, golden_hist);
	buf_appends(&want, golden_tail);
	ck_assert_int_eq(metrics_text(&v, &b), 0);
	ck_assert_str_eq(buf_str(&b), buf_str(&want));
	buf_free(&b);
	buf_free(&want);
}
END_TEST

/* Rows: the counters (zero but for the row's setting) and the gauges, and
 * an exact block the text must hold. */
static void set_none(void) {}
static void set_every_method(void)
{
	for (unsigned m = 0; m < METRICS_METHODS; m++)
		C.requests[302][m] = m + 1;
}
static void set_big(void)
{
	C.requests[100][1] = UINT64_MAX;
	C.retries = 18446744073709551615u;
}

static const struct {
	void (*set)(void);
	int64_t in_flight;
	const char *version;
	const char *want; /* a part of the text, exactly */
} part_cases[] = {
	/* nothing counted yet: the requests block is its HELP and TYPE only */
	{set_none, 0, "0.1.0",
	 "# TYPE thanos_fcgi_requests_total counter\n" ZERO_REST},
	{set_every_method, 0, "0.1.0",
	 "counter\nthanos_fcgi_requests_total{code=\"302\",method=\"GET\"} 1\n"
	 "thanos_fcgi_requests_total{code=\"302\",method=\"HEAD\"} 2\n"
	 "thanos_fcgi_requests_total{code=\"302\",method=\"POST\"} 3\n"
	 "thanos_fcgi_requests_total{code=\"302\",method=\"PUT\"} 4\n"
	 "thanos_fcgi_requests_total{code=\"302\",method=\"DELETE\"} 5\n"
	 "thanos_fcgi_requests_total{code=\"302\",method=\"PATCH\"} 6\n"
	 "thanos_fcgi_requests_total{code=\"302\",method=\"OPTIONS\"} 7\n"
	 "thanos_fcgi_requests_total{code=\"302\",method=\"other\"} 8\n# HELP"},
	{set_big, 0, "0.1.0",
	 "thanos_fcgi_requests_total{code=\"100\",method=\"HEAD\"} 18446744073709551615\n"},
	{set_big, 0, "0.1.0", "thanos_fcgi_upstream_retries_total 18446744073709551615\n"},
	/* a count gone below 0 (a slot taken back mid-request) shows 0 */
	{set_none, -3, "0.1.0", "thanos_fcgi_requests_in_flight 0\n"},
	{set_none, 7, "0.1.0", "thanos_fcgi_requests_in_flight 7\n"},
	{set_none, 0, "1.0\"x", "thanos_fcgi_build_info{version=\"1.0\\\"x\"} 1\n"},
	{set_none, 0, NULL, "thanos_fcgi_build_info{version=\"\"} 1\n"},
	{set_none, 0, "0.1.0",
	 "thanos_fcgi_upstream_duration_seconds_bucket{le=\"+Inf\"} 0\n"
	 "thanos_fcgi_upstream_duration_seconds_sum 0.000\n"
	 "thanos_fcgi_upstream_duration_seconds_count 0\n"},
};

START_TEST(test_parts)
{
	struct metrics_view v = {&C, part_cases[_i].in_flight, 1, NULL, 0, part_cases[_i].version};
	struct buf b;

	memset(&C, 0, sizeof(C));
	part_cases[_i].set();
	buf_init(&b, 1 << 20);
	ck_assert_int_eq(metrics_text(&v, &b), 0);
	ck_assert_msg(strstr(buf_str(&b), part_cases[_i].want) != NULL, "row %d: no\n%s\nin\n%s",
		      _i, part_cases[_i].want, buf_str(&b));
	/* no replicas: no upstream_up block at all */
	ck_assert_ptr_null(strstr(buf_str(&b), "thanos_fcgi_upstream_up"));
	buf_free(&b);
}
END_TEST

/* Too small a buffer: -1, whatever the size. */
START_TEST(test_too_small)
{
	struct metrics_view v = {&C, 0, 1, two, 2, "0.1.0"};
	struct buf b;

	golden_counters();
	buf_init(&b, (size_t)_i * 97);
	ck_assert_int_eq(metrics_text(&v, &b), -1);
	buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("metrics_text");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_method, 0, sizeof(method_cases) / sizeof(method_cases[0]));
	tcase_add_loop_test(tc, test_code, 0, sizeof(code_cases) / sizeof(code_cases[0]));
	tcase_add_loop_test(tc, test_bucket, 0, sizeof(bucket_cases) / sizeof(bucket_cases[0]));
	tcase_add_test(tc, test_golden);
	tcase_add_loop_test(tc, test_parts, 0, sizeof(part_cases) / sizeof(part_cases[0]));
	tcase_add_loop_test(tc, test_too_small, 0, 40);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
