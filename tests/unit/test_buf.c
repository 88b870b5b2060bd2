/* Unit tests for src/buf.c: the bounded buffer. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check_main.h"

static const struct {
	size_t max;
	const char *parts[4];
	const char *want; /* NULL: the last append must fail */
	size_t want_len;
} cases[] = {
	{16, {"abc", "def", NULL}, "abcdef", 6},
	{6, {"abc", "def", NULL}, "abcdef", 6},      /* exactly max */
	{5, {"abc", "def", NULL}, "abc", 3},         /* past max: unchanged */
	{0, {"", NULL}, "", 0},
	{0, {"a", NULL}, "", 0},
	{1000, {"x", "", "yz", NULL}, "xyz", 3},
};

START_TEST(test_append)
{
	struct buf b;
	size_t k;

	buf_init(&b, cases[_i].max);
	for (k = 0; cases[_i].parts[k] != NULL; k++)
		buf_appends(&b, cases[_i].parts[k]);
	ck_assert_msg(strcmp(buf_str(&b), cases[_i].want) == 0, "row %d: got '%s'", _i, buf_str(&b));
	ck_assert_msg(b.len == cases[_i].want_len, "row %d: len %zu", _i, b.len);
	ck_assert_msg(b.len <= b.max, "row %d: len over max", _i);
	buf_free(&b);
}
END_TEST

START_TEST(test_printf_bounds)
{
	struct buf b;

	buf_init(&b, 10);
	ck_assert_int_eq(buf_printf(&b, "%d-%s", 42, "abc"), 0);
	ck_assert_str_eq(buf_str(&b), "42-abc");
	ck_assert_int_eq(buf_printf(&b, "%s", "too long"), -1);
	ck_assert_str_eq(buf_str(&b), "42-abc");
	ck_assert_int_eq(buf_set(&b, "0123456789", 10), 0);
	ck_assert_int_eq(buf_appendc(&b, 'x'), -1);
	ck_assert_int_eq(buf_set(&b, "0123456789x", 11), -1);
	ck_assert_str_eq(buf_str(&b), "0123456789");
	buf_reset(&b);
	ck_assert_str_eq(buf_str(&b), "");
	ck_assert_uint_eq(b.len, 0);
	buf_free(&b);
	buf_free(NULL);
}
END_TEST

START_TEST(test_growth)
{
	struct buf b;
	char chunk[1000];

	memset(chunk, 'a', sizeof(chunk));
	buf_init(&b, 1u << 20);
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(buf_append(&b, chunk, sizeof(chunk)), 0);
	ck_assert_uint_eq(b.len, 1000000);
	ck_assert_int_eq(b.ptr[b.len], '\0');
	ck_assert_int_eq(buf_append(&b, chunk, 100000), -1);
	ck_assert_int_eq(buf_append(&b, chunk, (size_t)-1), -1); /* no overflow */
	buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_append, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_printf_bounds);
	tcase_add_test(tc, test_growth);
	suite_add_tcase(s, tc);
	return check_run(s);
}
