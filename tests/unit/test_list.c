/* Unit tests for list.c, the one comma-list walker: failures name the row. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "list.h"
#include "check_main.h"

/* Each list's entries, joined with '|' after trimming. */
static const struct {
	const char *in, *want;
} walk_cases[] = {
	{"a", "a"},
	{"a,b", "a|b"},
	{" a , b ", "a|b"},
	{"\ta\t,\tb", "a|b"},
	{"a,,b", "a||b"},
	{"", ""},
	{",", "|"},
	{"a,", "a|"},
	{" , ", "|"},
	{"http://x:1/p, http://y:2/p", "http://x:1/p|http://y:2/p"},
};

START_TEST(test_walk)
{
	struct list_iter it = list_start(walk_cases[_i].in);
	char got[128] = "";
	size_t len = 0;
	int first = 1;

	while (list_next(&it)) {
		ck_assert_msg(len + it.n + 2 < sizeof(got), "row %d: too long", _i);
		if (!first)
			got[len++] = '|';
		memcpy(got + len, it.p, it.n);
		len += it.n;
		got[len] = '\0';
		first = 0;
	}
	ck_assert_msg(strcmp(got, walk_cases[_i].want) == 0, "row %d: '%s', want '%s'", _i,
		      got, walk_cases[_i].want);
}
END_TEST

static const struct {
	const char *list, *name;
	int want;
} has_cases[] = {
	{"close, X-Secret", "x-secret", 1},
	{"close,X-Secret", "X-SECRET", 1},
	{"close", "clos", 0},
	{"close", "closer", 0},
	{" keep-alive ,  upgrade", "Upgrade", 1},
	{",,", "", 0},
	{"", "a", 0},
	{"a b", "a", 0},
};

START_TEST(test_has)
{
	const char *n = has_cases[_i].name;

	ck_assert_msg(list_has_token(has_cases[_i].list, n, strlen(n)) == has_cases[_i].want,
		      "row %d", _i);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("list");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_walk, 0, sizeof(walk_cases) / sizeof(walk_cases[0]));
	tcase_add_loop_test(tc, test_has, 0, sizeof(has_cases) / sizeof(has_cases[0]));
	suite_add_tcase(s, tc);
	return check_run(s);
}
