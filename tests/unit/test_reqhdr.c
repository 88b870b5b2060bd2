/* Unit tests for src/reqhdr.c: CGI parameters to upstream headers. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "reqhdr.h"
#include "check_main.h"

#define MAXP 12
#define BIG "0123456789012345678901234567890123456789012345678901234567890123456789"

/* want: header lines that must be present; absent: names that must not. */
static const struct {
	const char *params[MAXP];
	const char *prefix_header, *prefix;
	enum tf_status status;
	const char *want[6];
	const char *absent[6];
} cases[] = {
	/* 0: names converted, Host dropped, forwarded headers set */
	{{"HTTP_ACCEPT_ENCODING=gzip", "HTTP_HOST=example.com", "REMOTE_ADDR=10.0.0.1", NULL},
	 "X-Forwarded-Prefix", "/thanos", TF_OK,
	 {"Accept-Encoding: gzip", "X-Forwarded-For: 10.0.0.1", "X-Forwarded-Host: example.com",
	  "X-Forwarded-Proto: http", "X-Forwarded-Prefix: /thanos", NULL},
	 {"Host", NULL}},
	/* 1: client's prefix header dropped and replaced */
	{{"HTTP_X_FORWARDED_PREFIX=/evil", "REMOTE_ADDR=1.2.3.4", NULL},
	 "X-Forwarded-Prefix", "/thanos", TF_OK,
	 {"X-Forwarded-Prefix: /thanos", NULL}, {"X-Forwarded-Prefix: /evil", NULL}},
	/* 2: another configured prefix header: both spoofs dropped */
	{{"HTTP_X_FORWARDED_PREFIX=/evil", "HTTP_X_SCRIPT_NAME=/evil", NULL},
	 "X-Script-Name", "/t", TF_OK,
	 {"X-Script-Name: /t", NULL}, {"X-Forwarded-Prefix", "X-Script-Name: /evil", NULL}},
	/* 3: XFF appended to */
	{{"HTTP_X_FORWARDED_FOR=5.5.5.5, 6.6.6.6", "REMOTE_ADDR=7.7.7.7", NULL},
	 "", "", TF_OK, {"X-Forwarded-For: 5.5.5.5, 6.6.6.6, 7.7.7.7", NULL}, {NULL}},
	/* 4: hop-by-hop, Connection-listed, httpoxy, Expect, Forwarded */
	{{"HTTP_CONNECTION=close, X-Secret", "HTTP_X_SECRET=1", "HTTP_KEEP_ALIVE=5",
	  "HTTP_TE=trailers", "HTTP_UPGRADE=h2c", "HTTP_PROXY=http://evil:1",
	  "HTTP_PROXY_AUTHORIZATION=x", "HTTP_EXPECT=100-continue", "HTTP_FORWARDED=for=x",
	  "HTTP_TRANSFER_ENCODING=chunked", "HTTP_X_OK=yes", NULL},
	 "X-Forwarded-Prefix", "", TF_OK, {"X-Ok: yes", NULL},
	 {"Connection", "X-Secret", "Keep-Alive", "Proxy", "Expect", "Forwarded"}},
	/* 5: https detection, content type, E="" sends no prefix header */
	{{"HTTPS=on", "CONTENT_TYPE=application/x-www-form-urlencoded", "CONTENT_LENGTH=5", NULL},
	 "X-Forwarded-Prefix", "", TF_OK,
	 {"X-Forwarded-Proto: https", "Content-Type: application/x-www-form-urlencoded", NULL},
	 {"X-Forwarded-Prefix", "Content-Length", NULL}},
	/* 6: REQUEST_SCHEME=https, Authorization passes */
	{{"REQUEST_SCHEME=https", "HTTP_AUTHORIZATION=Basic eDp5", NULL}, "", "", TF_OK,
	 {"X-Forwarded-Proto: https", "Authorization: Basic eDp5", NULL}, {NULL}},
	/* 7: CR/LF in a value */
	{{"HTTP_X_A=a\r\nX-Injected: 1", NULL}, "", "", TF_BAD_REQUEST, {NULL}, {NULL}},
	/* 8: over the size limit (300 in the test) */
	{{"HTTP_X_BIG=" BIG BIG BIG BIG BIG, NULL},
	 "", "", TF_HEADERS_TOO_LARGE, {NULL}, {NULL}},
	/* 9: names that are not tokens are not forwarded */
	{{"HTTP_X_A B=1", "HTTP_=x", "HTTP_X__Y=2", NULL}, "", "", TF_OK, {"X--Y: 2", NULL},
	 {"X-A B", NULL}},
};

/* 1 when out holds exactly the line. */
static int has_line(const struct buf *out, const char *line)
{
	for (const char *p = buf_str(out); p < buf_str(out) + out->len; p += strlen(p) + 1)
		if (strcmp(p, line) == 0)
			return 1;
	return 0;
}

/* 1 when out holds a header whose line starts with name. */
static int has_prefix(const struct buf *out, const char *name)
{
	for (const char *p = buf_str(out); p < buf_str(out) + out->len; p += strlen(p) + 1)
		if (strncasecmp(p, name, strlen(name)) == 0)
			return 1;
	return 0;
}

START_TEST(test_build)
{
	struct reqhdr_opts o = {cases[_i].prefix_header, cases[_i].prefix, 300, NULL, NULL};
	struct request rq;
	struct buf out;
	enum tf_status s;

	buf_init(&out, 4096);
	request_init(&rq);
	request_read(&rq, (char *const *)cases[_i].params, 1);
	s = reqhdr_build(&rq, &o, &out);
	ck_assert_msg(s == cases[_i].status, "row %d: status %d, want %d", _i, s, cases[_i].status);
	for (int k = 0; k < 6 && cases[_i].want[k] != NULL; k++)
		ck_assert_msg(has_line(&out, cases[_i].want[k]), "row %d: missing '%s'", _i,
			      cases[_i].want[k]);
	for (int k = 0; k < 6 && cases[_i].absent[k] != NULL; k++)
		ck_assert_msg(!has_prefix(&out, cases[_i].absent[k]), "row %d: has '%s'", _i,
			      cases[_i].absent[k]);
	request_free(&rq);
	buf_free(&out);
}
END_TEST

/* The tenant header: the client's own of that name (any case) never
 * passes, ours is set; off, a client's header is just a header. */
static const struct {
	const char *param, *header, *tenant, *want, *absent;
} tenant_cases[] = {
	{"HTTP_THANOS_TENANT=evil", "THANOS-TENANT", "team-a", "THANOS-TENANT: team-a",
	 "Thanos-Tenant: evil"},
	{"HTTP_X_SCOPE_ORGID=evil", "X-Scope-OrgID", "t", "X-Scope-OrgID: t", "X-Scope-OrgID: evil"},
	{"HTTP_X_OTHER=1", "THANOS-TENANT", "b", "THANOS-TENANT: b", "X-Other: 2"},
	{"HTTP_THANOS_TENANT=evil", "", "x", "Thanos-Tenant: evil", "THANOS-TENANT: x"},
	{"HTTP_THANOS_TENANT=evil", NULL, NULL, "Thanos-Tenant: evil", "Thanos-Tenant: e "},
};

START_TEST(test_tenant)
{
	struct reqhdr_opts o = {"", "", 300, tenant_cases[_i].header, tenant_cases[_i].tenant};
	const char *params[] = {tenant_cases[_i].param, NULL};
	struct request rq;
	struct buf out;

	buf_init(&out, 4096);
	request_init(&rq);
	request_read(&rq, (char *const *)params, 1);
	ck_assert_int_eq(reqhdr_build(&rq, &o, &out), TF_OK);
	ck_assert_msg(has_line(&out, tenant_cases[_i].want), "row %d: missing '%s'", _i,
		      tenant_cases[_i].want);
	ck_assert_msg(!has_prefix(&out, tenant_cases[_i].absent), "row %d: has '%s'", _i,
		      tenant_cases[_i].absent);
	request_free(&rq);
	buf_free(&out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("reqhdr");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_build, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_loop_test(tc, test_tenant, 0, sizeof(tenant_cases) / sizeof(tenant_cases[0]));
	suite_add_tcase(s, tc);
	return check_run(s);
}
