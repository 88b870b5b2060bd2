/* Unit tests for method.c: one table, failures name the row. */
#include <check.h>
#include <stdlib.h>

#include "method.h"
#include "check_main.h"

static const struct {
	const char *m;
	int token, repeat;
} cases[] = {
	{"GET", 1, 1},
	{"HEAD", 1, 1},
	{"OPTIONS", 1, 1},
	{"PUT", 1, 1},
	{"DELETE", 1, 1},
	{"POST", 1, 0},
	{"PATCH", 1, 0},
	{"LOCK", 1, 0},
	{"PROPFIND", 1, 1},
	{"M-SEARCH", 1, 1},
	{"get", 1, 1},
	{"!#$%&'*+-.^_`|~09", 1, 1},
	{"", 0, 1},
	{"GET ", 0, 1},
	{"G ET", 0, 1},
	{"GET\r\nX: y", 0, 1},
	{"GET\t", 0, 1},
	{"(GET)", 0, 1},
	{"GET/", 0, 1},
	{"\xc3\xa9", 0, 1},
};

START_TEST(test_method)
{
	int t = method_is_token(cases[_i].m), r = method_may_repeat(cases[_i].m);

	ck_assert_msg(t == cases[_i].token && r == cases[_i].repeat,
		      "row %d: \"%s\": token %d (want %d), may repeat %d (want %d)",
		      _i, cases[_i].m, t, cases[_i].token, r, cases[_i].repeat);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("method");
	TCase *tc = tcase_create("method");

	tcase_add_loop_test(tc, test_method, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	suite_add_tcase(s, tc);
	return check_run(s);
}
