/* Unit tests for upstream.c: which settings may speak TLS (a CGI process
 * that cannot starts OpenSSL lean); failures name the row. */
#include <check.h>
#include <stdlib.h>

#include "upstream.h"
#include "check_main.h"

static const struct {
	const char *upstreams, *proxy;
	int want;
} cases[] = {
	{"http://127.0.0.1:10902", "", 0},
	{"http://a:1,http://b:2", "", 0},
	{"unix:/run/thanos.sock", "", 0},
	{"https://thanos.example", "", 1},
	{"HTTPS://thanos.example", "", 1},
	{"http://a:1, https://b:2", "", 1},
	{"http://a:1,,http://b:2", "", 0},
	{"http://https.example/https:", "", 0},
	{"http://a:1", "http://proxy:3128", 1},
	{"http://a:1", "https://proxy:3128", 1},
	{"http://a:1", NULL, 0},
	{NULL, NULL, 0},
	{"", "", 0},
};

START_TEST(test_needs_tls)
{
	int got = upstream_needs_tls(cases[_i].upstreams, cases[_i].proxy);

	ck_assert_msg(got == cases[_i].want, "row %d (%s, proxy %s): got %d, want %d", _i,
		      cases[_i].upstreams ? cases[_i].upstreams : "NULL",
		      cases[_i].proxy ? cases[_i].proxy : "NULL", got, cases[_i].want);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("upstream");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_needs_tls, 0, sizeof(cases) / sizeof(cases[0]));
	suite_add_tcase(s, tc);
	return check_run(s);
}
