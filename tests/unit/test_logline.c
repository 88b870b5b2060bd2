/* Unit tests for logline.c: the shape of a log line at a fixed time, its
 * escaping in logfmt and JSON, the bounds; rows named. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "logline.h"
#include "check_main.h"

#define TS 1796197200123LL /* 2026-12-02T07:40:00.123Z */
#define PFX "ts=2026-12-02T07:40:00.123Z level=warn caller=relay.c:123 "
#define JPFX "{\"ts\":\"2026-12-02T07:40:00.123Z\",\"level\":\"warn\",\"caller\":\"relay.c:123\","

static const struct {
	enum log_format f;
	const char *msg, *k1, *v1;
	int num1;
	const char *want;
} cases[] = {
	/* logfmt: quoted only with a space, '=', '"', a control byte */
	{LOG_FORMAT_LOGFMT, "started", NULL, NULL, 0, PFX "msg=started\n"},
	{LOG_FORMAT_LOGFMT, "upstream timed out", "after", "5s", 0,
	 PFX "msg=\"upstream timed out\" after=5s\n"},
	{LOG_FORMAT_LOGFMT, "m", "path", "/a=b", 0, PFX "msg=m path=\"/a=b\"\n"},
	{LOG_FORMAT_LOGFMT, "m", "path", "/a\"b", 0, PFX "msg=m path=\"/a\\\"b\"\n"},
	{LOG_FORMAT_LOGFMT, "m", "path", "/a\\b", 0, PFX "msg=m path=/a\\b\n"},
	{LOG_FORMAT_LOGFMT, "m", "path", "/a\\b c", 0, PFX "msg=m path=\"/a\\\\b c\"\n"},
	{LOG_FORMAT_LOGFMT, "m", "path", "/a\nb\rc\td", 0, PFX "msg=m path=\"/a\\nb\\rc\\td\"\n"},
	{LOG_FORMAT_LOGFMT, "m", "path", "/\x01\x1b[31m\x7f", 0,
	 PFX "msg=m path=\"/\\u0001\\u001b[31m\\u007f\"\n"},
	{LOG_FORMAT_LOGFMT, "m", "v", "", 0, PFX "msg=m v=\n"},
	{LOG_FORMAT_LOGFMT, "m", "code", "200", 1, PFX "msg=m code=200\n"},
	/* UTF-8 passes; bytes that are not UTF-8 become U+FFFD (quoted) */
	{LOG_FORMAT_LOGFMT, "m", "user", "j\xc3\xb6rg", 0, PFX "msg=m user=j\xc3\xb6rg\n"},
	{LOG_FORMAT_LOGFMT, "m", "user", "j\xc3", 0, PFX "msg=m user=\"j\\ufffd\"\n"},
	{LOG_FORMAT_LOGFMT, "m", "user", "\xc0\xaf", 0, PFX "msg=m user=\"\\ufffd\\ufffd\"\n"},
	{LOG_FORMAT_LOGFMT, "m", "user", "\xed\xa0\x80", 0,
	 PFX "msg=m user=\"\\ufffd\\ufffd\\ufffd\"\n"},
	{LOG_FORMAT_LOGFMT, "m", "user", "\xf0\x9f\x98\x80", 0, PFX "msg=m user=\xf0\x9f\x98\x80\n"},
	{LOG_FORMAT_LOGFMT, "a \"quoted\" msg", NULL, NULL, 0, PFX "msg=\"a \\\"quoted\\\" msg\"\n"},
	/* JSON: every value a string but numbers, the same escapes */
	{LOG_FORMAT_JSON, "started", NULL, NULL, 0, JPFX "\"msg\":\"started\"}\n"},
	{LOG_FORMAT_JSON, "m", "code", "502", 1, JPFX "\"msg\":\"m\",\"code\":502}\n"},
	{LOG_FORMAT_JSON, "m", "path", "/a b", 0, JPFX "\"msg\":\"m\",\"path\":\"/a b\"}\n"},
	{LOG_FORMAT_JSON, "m", "path", "/\"\\\n\x01\xff", 0,
	 JPFX "\"msg\":\"m\",\"path\":\"/\\\"\\\\\\n\\u0001\\ufffd\"}\n"},
	{LOG_FORMAT_JSON, "m", "v", "", 0, JPFX "\"msg\":\"m\",\"v\":\"\"}\n"},
};

START_TEST(test_format)
{
	char out[LOGLINE_MAX];
	struct log_head h = {TS, "warn", "../src/relay.c", 123};
	struct log_field fv[1] = {{cases[_i].k1, cases[_i].v1, cases[_i].num1}};
	size_t n = logline_format(out, sizeof(out), cases[_i].f, &h, cases[_i].msg, fv,
				  cases[_i].k1 != NULL ? 1 : 0);

	ck_assert_msg(strcmp(out, cases[_i].want) == 0, "row %d: '%s', want '%s'", _i, out,
		      cases[_i].want);
	ck_assert_msg(n == strlen(cases[_i].want), "row %d: length %zu", _i, n);
}
END_TEST

static const struct {
	int64_t ms;
	const char *want;
} time_cases[] = {
	{0, "1970-01-01T00:00:00.000Z"},
	{TS, "2026-12-02T07:40:00.123Z"},
	{951782400999LL, "2000-02-29T00:00:00.999Z"},
	{-1, "1969-12-31T23:59:59.999Z"},
};

START_TEST(test_time)
{
	char out[25];

	ck_assert_msg(strcmp(logline_time(time_cases[_i].ms, out), time_cases[_i].want) == 0,
		      "row %d: '%s', want '%s'", _i, out, time_cases[_i].want);
}
END_TEST

/* A long value is cut with "..." inside its quotes, the line stays one
 * line within LOGLINE_MAX, and JSON stays closed. */
START_TEST(test_bounds)
{
	static char big[3 * LOGLINE_MAX];
	char out[LOGLINE_MAX];
	struct log_head h = {TS, "info", "x.c", 1};
	struct log_field fv[8];
	size_t n;

	memset(big, '\n', sizeof(big) - 1);
	for (size_t i = 0; i < 8; i++)
		fv[i] = (struct log_field){"k", big, 0};
	for (int f = LOG_FORMAT_LOGFMT; f <= LOG_FORMAT_JSON; f++) {
		n = logline_format(out, sizeof(out), (enum log_format)f, &h, big, fv, 8);
		ck_assert_uint_lt(n, LOGLINE_MAX);
		ck_assert_uint_eq(strlen(out), n);
		ck_assert_ptr_eq(strchr(out, '\n'), out + n - 1);
		ck_assert_msg(strstr(out, "\\n...\"") != NULL, "format %d: no cut mark", f);
		if (f == LOG_FORMAT_JSON)
			ck_assert_str_eq(out + n - 3, "\"}\n");
	}
	/* msg cut at LOGLINE_VALUE_MAX bytes of output */
	memset(big, 'a', sizeof(big) - 1);
	n = logline_format(out, sizeof(out), LOG_FORMAT_LOGFMT, &h, big, NULL, 0);
	ck_assert_ptr_nonnull(strstr(out, "msg=a"));
	ck_assert_uint_eq(strlen(strstr(out, "msg=") + 4), LOGLINE_VALUE_MAX + 3 + 1);
}
END_TEST

/* A number is never cut: as the line fills up, the field is written whole
 * or left out (JSON leaves it bare: "1234..." would not parse). */
START_TEST(test_number_whole)
{
	static char msg[1025], fill[1001];
	static const char *const tail[] = {" n=12345678901234567890\n", ",\"n\":12345678901234567890}\n"};
	static const char *const key[] = {" n=", ",\"n\":"};
	char out[LOGLINE_MAX];
	struct log_head h = {TS, "info", "x.c", 1};
	struct log_field fv[4] = {{"a", fill, 0}, {"b", fill, 0}, {"c", fill, 0}, {"n", "12345678901234567890", 1}};
	int whole = 0, left_out = 0;

	memset(fill, 'f', sizeof(fill) - 1);
	for (int f = LOG_FORMAT_LOGFMT; f <= LOG_FORMAT_JSON; f++) {
		for (size_t m = 850; m < sizeof(msg); m++) {
			size_t n;

			memset(msg, 'm', m);
			msg[m] = '\0';
			n = logline_format(out, sizeof(out), (enum log_format)f, &h, msg, fv, 4);
			if (strstr(out, key[f]) == NULL) {
				left_out++;
				continue;
			}
			ck_assert_msg(n > strlen(tail[f]) && strcmp(out + n - strlen(tail[f]), tail[f]) == 0,
				      "format %d, msg of %zu: a cut number: ...%s", f, m, out + n - 40);
			whole++;
		}
	}
	/* the sweep crosses the point where the number stops fitting */
	ck_assert_int_gt(whole, 0);
	ck_assert_int_gt(left_out, 0);
}
END_TEST

START_TEST(test_parse)
{
	enum log_format f = LOG_FORMAT_JSON;
	const char *why = NULL;

	ck_assert_int_eq(logline_parse_format("logfmt", &f), 0);
	ck_assert_int_eq(f, LOG_FORMAT_LOGFMT);
	ck_assert_int_eq(logline_parse_format("json", &f), 0);
	ck_assert_int_eq(f, LOG_FORMAT_JSON);
	ck_assert_int_eq(logline_parse_format("JSON", &f), -1);
	ck_assert_int_eq(f, LOG_FORMAT_JSON);
	ck_assert_int_eq(logline_check_format("json,x", 4, &why), 0);
	ck_assert_int_eq(logline_check_format("text", 4, &why), -1);
	ck_assert_ptr_nonnull(why);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("logline");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_format, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_loop_test(tc, test_time, 0, sizeof(time_cases) / sizeof(time_cases[0]));
	tcase_add_test(tc, test_bounds);
	tcase_add_test(tc, test_number_whole);
	tcase_add_test(tc, test_parse);
	suite_add_tcase(s, tc);
	return check_run(s);
}
