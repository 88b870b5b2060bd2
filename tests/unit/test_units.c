/* Unit tests for units.c: one table per parser, failures name the row. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "units.h"
#include "check_main.h"

static const struct {
	const char *in;
	int rc;
	int64_t want;
} duration_cases[] = {
	{"0", 0, 0},
	{"0s", 0, 0},
	{"0ms", 0, 0},
	{"500ms", 0, 500},
	{"1s", 0, 1000},
	{"30s", 0, 30000},
	{"2m", 0, 120000},
	{"5m", 0, 300000},
	{"1h", 0, 3600000},
	{"1d", 0, 86400000},
	{"1w", 0, 604800000},
	{"1m30s", 0, 90000},
	{"1h2m3s4ms", 0, 3723004},
	{"1.5s", 0, 1500},
	{"0.5m", 0, 30000},
	{".5s", 0, 500},
	{"1.s", 0, 1000},
	{"2.25h", 0, 8100000},
	{"0.001s", 0, 1},
	{"0.100000000s", 0, 100},
	{"1.123456789h", -1, 0}, /* 4044444.4404 ms */
	{"9223372036854775807ms", 0, INT64_MAX},
	{"9223372036854775808ms", -1, 0},
	{"9223372036854775s", 0, INT64_C(9223372036854775000)},
	{"9223372036854776s", -1, 0},
	{"106751991167301d", -1, 0},
	{"99999999999999999999ms", -1, 0},
	{"9223372036854775806ms1ms1ms", -1, 0},
	{"1.5ms", -1, 0},
	{"0.0001s", -1, 0},
	{"1.0000000001s", -1, 0},
	{"", -1, 0},
	{"5", -1, 0},
	{"00", -1, 0},
	{"-5s", -1, 0},
	{"+5s", -1, 0},
	{" 5s", -1, 0},
	{"5s ", -1, 0},
	{"5 s", -1, 0},
	{"5x", -1, 0},
	{"5sec", -1, 0},
	{"5S", -1, 0},
	{"5us", -1, 0},
	{"s", -1, 0},
	{".s", -1, 0},
	{"1..5s", -1, 0},
	{"1s-1s", -1, 0},
	{"1e3ms", -1, 0},
	{"0x10s", -1, 0},
};

START_TEST(test_duration)
{
	int64_t got = -42;
	int rc = units_duration_ms(duration_cases[_i].in, &got);

	ck_assert_msg(rc == duration_cases[_i].rc,
		      "row %d '%s': rc %d, want %d", _i, duration_cases[_i].in,
		      rc, duration_cases[_i].rc);
	if (rc == 0)
		ck_assert_msg(got == duration_cases[_i].want,
			      "row %d '%s': got %lld, want %lld", _i,
			      duration_cases[_i].in, (long long)got,
			      (long long)duration_cases[_i].want);
	else
		ck_assert_msg(got == -42, "row %d: out changed on error", _i);
}
END_TEST

static const struct {
	const char *in;
	int rc;
	uint64_t want;
} size_cases[] = {
	{"0", 0, 0},
	{"123", 0, 123},
	{"123B", 0, 123},
	{"64KiB", 0, 65536},
	{"8KiB", 0, 8192},
	{"10MiB", 0, 10485760},
	{"16MiB", 0, 16777216},
	{"1GiB", 0, 1073741824},
	{"1TiB", 0, UINT64_C(1099511627776)},
	{"64KB", 0, 64000},
	{"64kB", 0, 64000},
	{"10MB", 0, 10000000},
	{"1GB", 0, 1000000000},
	{"2TB", 0, UINT64_C(2000000000000)},
	{"18446744073709551615", 0, UINT64_MAX},
	{"18446744073709551615B", 0, UINT64_MAX},
	{"18446744073709551616", -1, 0},
	{"16777216TiB", -1, 0},
	{"16777215TiB", 0, UINT64_C(16777215) << 40},
	{"", -1, 0},
	{"KiB", -1, 0},
	{"-1", -1, 0},
	{"+1", -1, 0},
	{" 1", -1, 0},
	{"1 ", -1, 0},
	{"1 KiB", -1, 0},
	{"1.5MiB", -1, 0},
	{"1kib", -1, 0},
	{"1K", -1, 0},
	{"1KiBB", -1, 0},
	{"0x10", -1, 0},
};

START_TEST(test_size)
{
	uint64_t got = 42;
	int rc = units_size(size_cases[_i].in, &got);

	ck_assert_msg(rc == size_cases[_i].rc, "row %d '%s': rc %d, want %d",
		      _i, size_cases[_i].in, rc, size_cases[_i].rc);
	if (rc == 0)
		ck_assert_msg(got == size_cases[_i].want,
			      "row %d '%s': got %llu, want %llu", _i,
			      size_cases[_i].in, (unsigned long long)got,
			      (unsigned long long)size_cases[_i].want);
	else
		ck_assert_msg(got == 42, "row %d: out changed on error", _i);
}
END_TEST

static const struct {
	const char *in;
	long min, max;
	int rc;
	long want;
} long_cases[] = {
	{"1", 1, 256, 0, 1},
	{"256", 1, 256, 0, 256},
	{"128", 1, 65535, 0, 128},
	{"+7", 1, 256, 0, 7},
	{"-5", -10, 10, 0, -5},
	{"0", 1, 256, -1, 0},
	{"257", 1, 256, -1, 0},
	{"70000", 1, 65535, -1, 0},
	{"-1", 1, 256, -1, 0},
	{"", 1, 256, -1, 0},
	{" 5", 1, 256, -1, 0},
	{"5 ", 1, 256, -1, 0},
	{"5x", 1, 256, -1, 0},
	{"0x10", 0, 256, -1, 0},
	{"1e2", 1, 256, -1, 0},
	{"99999999999999999999999", 1, 256, -1, 0},
	{"-99999999999999999999999", -10, 10, -1, 0},
	{"x", 1, 256, -1, 0},
};

START_TEST(test_long)
{
	long got = 42;
	int rc = units_long(long_cases[_i].in, long_cases[_i].min,
			    long_cases[_i].max, &got);

	ck_assert_msg(rc == long_cases[_i].rc, "row %d '%s': rc %d, want %d",
		      _i, long_cases[_i].in, rc, long_cases[_i].rc);
	if (rc == 0)
		ck_assert_msg(got == long_cases[_i].want,
			      "row %d '%s': got %ld, want %ld", _i,
			      long_cases[_i].in, got, long_cases[_i].want);
	else
		ck_assert_msg(got == 42, "row %d: out changed on error", _i);
}
END_TEST

static const struct {
	const char *in;
	int rc;
	int want;
} bool_cases[] = {
	{"1", 0, 1},     {"true", 0, 1},   {"TRUE", 0, 1}, {"yes", 0, 1},
	{"on", 0, 1},    {"0", 0, 0},      {"false", 0, 0}, {"False", 0, 0},
	{"no", 0, 0},    {"off", 0, 0},    {"", -1, 0},    {"2", -1, 0},
	{"y", -1, 0},    {"truee", -1, 0}, {" true", -1, 0}, {"enable", -1, 0},
};

START_TEST(test_bool)
{
	int got = 42;
	int rc = units_bool(bool_cases[_i].in, &got);

	ck_assert_msg(rc == bool_cases[_i].rc, "row %d '%s': rc %d, want %d",
		      _i, bool_cases[_i].in, rc, bool_cases[_i].rc);
	if (rc == 0)
		ck_assert_msg(got == bool_cases[_i].want,
			      "row %d '%s': got %d, want %d", _i,
			      bool_cases[_i].in, got, bool_cases[_i].want);
	else
		ck_assert_msg(got == 42, "row %d: out changed on error", _i);
}
END_TEST

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *units_suite(void)
{
	Suite *s = suite_create("units");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_duration, 0, COUNT(duration_cases));
	tcase_add_loop_test(tc, test_size, 0, COUNT(size_cases));
	tcase_add_loop_test(tc, test_long, 0, COUNT(long_cases));
	tcase_add_loop_test(tc, test_bool, 0, COUNT(bool_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(units_suite());
}
