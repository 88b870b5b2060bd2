/* Unit tests for diag.c: which requests get the adapter's check answer,
 * the token comparison, and the answer itself; one table each, failures
 * name the row. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "check_main.h"

static const struct {
	const char *token, *e, *t;
	int want;
} path_cases[] = {
	{"tok", "/thanos", "/-/thanos-fcgi/check", 1},
	{"tok", "/thanos", "/-/thanos-fcgi/check/a%2Fb", 1},
	{"tok", "", "/-/thanos-fcgi/check", 1},
	{"tok", "/thanos/-/thanos-fcgi/check", "", 1},     /* SCRIPT_NAME = the whole path */
	{"tok", "/thanos/-/thanos-fcgi/check/a/b", "", 1},
	{"tok", "/thanos", "/-/thanos-fcgi/checkx", 0},
	{"tok", "/thanos", "/-/thanos-fcgi", 0},
	{"tok", "/thanos", "/api/v1/query", 0},
	{"tok", "/x/-/thanos-fcgi/checker", "", 0},
	{NULL, "/thanos", "/-/thanos-fcgi/check", 0},      /* off: forwarded */
	{"", "/thanos", "/-/thanos-fcgi/check", 0},
	{"tok", "/thanos", NULL, 0},
};

START_TEST(test_path)
{
	int got = diag_is_path(path_cases[_i].token, path_cases[_i].e, path_cases[_i].t);

	ck_assert_msg(got == path_cases[_i].want, "row %d: %d (want %d)", _i, got, path_cases[_i].want);
}
END_TEST

static const struct {
	const char *token, *sent;
	int want;
} token_cases[] = {
	{"s3cret", "s3cret", 1},
	{"s3cret", "s3cre", 0},
	{"s3cret", "s3cretX", 0},
	{"s3cret", "S3cret", 0},
	{"s3cret", "", 0},
	{"s3cret", NULL, 0},
	{"", "", 0},
	{NULL, "x", 0},
};

START_TEST(test_token)
{
	int got = diag_token_ok(token_cases[_i].token, token_cases[_i].sent);

	ck_assert_msg(got == token_cases[_i].want, "row %d: %d (want %d)", _i, got, token_cases[_i].want);
}
END_TEST

static char *vars_plain[] = {(char *)"REQUEST_METHOD=GET", (char *)"SCRIPT_NAME=/thanos",
			     (char *)"PATH_INFO=/-/thanos-fcgi/check", (char *)"REQUEST_URI=/thanos/-/thanos-fcgi/check",
			     (char *)"HTTP_AUTHORIZATION=Basic c2VjcmV0", (char *)"HTTPS=on", NULL};
static char *vars_ctl[] = {(char *)"SCRIPT_NAME=/a\nb", (char *)"HTTP_X=1", NULL};

static const struct {
	char **vars;
	int head;
	const char *has, *lacks; /* substrings of the answer */
} page_cases[] = {
	{vars_plain, 0, "\r\n\r\nthanos-fcgi check\ne=/thanos\nt=/-/thanos-fcgi/check\n", NULL},
	{vars_plain, 0, "\nscript_name=/thanos\npath_info=/-/thanos-fcgi/check\n", NULL},
	{vars_plain, 0, "\nauthorization=present\n", "c2VjcmV0"},   /* presence, never the value */
	{vars_plain, 0, "Status: 200 OK\r\n", NULL},
	{vars_plain, 0, "Cache-Control: no-store\r\n", NULL},
	{vars_plain, 1, "X-Content-Type-Options: nosniff\r\n\r\n", "thanos-fcgi check"},
	{vars_ctl, 0, "script_name=/a?b\n", "\npath_info="},
	{vars_ctl, 0, "authorization=absent\n", NULL},
};

START_TEST(test_page)
{
	struct request rq;
	struct buf b;

	request_init(&rq);
	request_read(&rq, page_cases[_i].vars, 0);
	buf_init(&b, 65536);
	ck_assert_msg(diag_page(&b, &rq, "/thanos", "/-/thanos-fcgi/check", page_cases[_i].head) == 0,
		      "row %d: no page", _i);
	ck_assert_msg(strstr(buf_str(&b), page_cases[_i].has) != NULL, "row %d: no '%s' in '%s'",
		      _i, page_cases[_i].has, buf_str(&b));
	if (page_cases[_i].lacks != NULL)
		ck_assert_msg(strstr(buf_str(&b), page_cases[_i].lacks) == NULL, "row %d: '%s' in '%s'",
			      _i, page_cases[_i].lacks, buf_str(&b));
	buf_free(&b);
	request_free(&rq);
}
END_TEST

START_TEST(test_page_bound)
{
	struct request rq;
	struct buf b;

	request_init(&rq);
	request_read(&rq, vars_plain, 0);
	buf_init(&b, 64);
	ck_assert(diag_page(&b, &rq, "/thanos", "/-/thanos-fcgi/check", 0) == -1);
	ck_assert(b.len == 0);
	buf_free(&b);
	request_free(&rq);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("diag");
	TCase *tc = tcase_create("diag");

	tcase_add_loop_test(tc, test_path, 0, (int)(sizeof(path_cases) / sizeof(path_cases[0])));
	tcase_add_loop_test(tc, test_token, 0, (int)(sizeof(token_cases) / sizeof(token_cases[0])));
	tcase_add_loop_test(tc, test_page, 0, (int)(sizeof(page_cases) / sizeof(page_cases[0])));
	tcase_add_test(tc, test_page_bound);
	suite_add_tcase(s, tc);
	return check_run(s);
}
