/* Unit tests for request.c: the CGI variables read once.  Failures name
 * the row. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "check_main.h"

#define MAXV 8
#define S(x) ((x) ? (x) : "(null)")

static const struct {
	const char *vars[MAXV];
	int overlay;
	const char *method, *uri, *query, *length, *name;
	size_t n_http, n_conn, n_overlay;
} cases[] = {
	/* 0: nothing: GET, no name */
	{{NULL}, 1, "GET", NULL, NULL, NULL, "-", 0, 0, 0},
	/* 1: the named fields, the first of a name wins */
	{{"REQUEST_METHOD=POST", "REQUEST_URI=/t/a?b", "QUERY_STRING=b", "CONTENT_LENGTH=5",
	  "REQUEST_METHOD=GET", NULL},
	 1, "POST", "/t/a?b", "b", "5", "/t/a?b", 0, 0, 0},
	/* 2: no REQUEST_URI: named by SCRIPT_NAME */
	{{"SCRIPT_NAME=/t", "QUERY_STRING=", NULL}, 1, "GET", NULL, "", NULL, "/t", 0, 0, 0},
	/* 3: the HTTP_* list, every Connection */
	{{"HTTP_HOST=h", "HTTP_CONNECTION=close", "HTTP_X_A=1", "HTTP_CONNECTION=X-A", NULL},
	 1, "GET", NULL, NULL, NULL, "-", 4, 2, 0},
	/* 4: the overlay, only when asked for */
	{{"THANOS_FCGI_UPSTREAM=http://x:1", "THANOS_FCGI_ROUTE_PREFIX=/t", NULL},
	 1, "GET", NULL, NULL, NULL, "-", 0, 0, 2},
	{{"THANOS_FCGI_UPSTREAM=http://x:1", NULL}, 0, "GET", NULL, NULL, NULL, "-", 0, 0, 0},
	/* 6: a variable without '=' is passed over; prefixes are not names */
	{{"REQUEST_METHOD", "HTTP_X", "REQUEST_METHODX=PUT", "REQUEST_URIS=/x", NULL},
	 1, "GET", NULL, NULL, NULL, "-", 0, 0, 0},
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

START_TEST(test_read)
{
	struct request rq;

	request_init(&rq);
	/* twice: the second read reuses the lists and keeps nothing of the first */
	request_read(&rq, (char *const *)cases[(_i + 1) % N_CASES].vars, 1);
	request_read(&rq, (char *const *)cases[_i].vars, cases[_i].overlay);
	ck_assert_msg(strcmp(rq.method, cases[_i].method) == 0, "row %d: method %s", _i, rq.method);
	ck_assert_msg(strcmp(S(rq.uri), S(cases[_i].uri)) == 0, "row %d: uri %s", _i, S(rq.uri));
	ck_assert_msg(strcmp(S(rq.query), S(cases[_i].query)) == 0, "row %d: query", _i);
	ck_assert_msg(strcmp(S(rq.content_length), S(cases[_i].length)) == 0, "row %d: length", _i);
	ck_assert_msg(strcmp(request_name(&rq), cases[_i].name) == 0, "row %d: name", _i);
	ck_assert_msg(rq.http.n == cases[_i].n_http, "row %d: %zu HTTP_*", _i, rq.http.n);
	ck_assert_msg(rq.conn.n == cases[_i].n_conn, "row %d: %zu Connection", _i, rq.conn.n);
	ck_assert_msg(rq.overlay.n == cases[_i].n_overlay, "row %d: %zu overlay", _i,
		      rq.overlay.n);
	request_free(&rq);
}
END_TEST

START_TEST(test_lists)
{
	static char host[] = "HTTP_HOST=h", conn[] = "HTTP_CONNECTION=close, te";
	char *vars[] = {host, conn, NULL};
	struct request rq;

	request_init(&rq);
	request_read(&rq, vars, 1);
	ck_assert_str_eq(rq.host, "h");
	ck_assert_str_eq(rq.http.v[0], "HTTP_HOST=h");
	ck_assert_str_eq(rq.conn.v[0], "close, te");
	request_free(&rq);
	request_free(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("request");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_read, 0, N_CASES);
	tcase_add_test(tc, test_lists);
	suite_add_tcase(s, tc);
	return check_run(s);
}
