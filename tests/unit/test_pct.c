/* test_pct: percent-decoding and -encoding tables (src/pct.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "pct.h"
#include "check_main.h"

/* A string literal and its length, NULs inside included. */
#define S(x) x, sizeof(x) - 1

#define BUFMAX 4096

static const struct {
	const char *in;
	size_t in_len;
	int rc;
	const char *want;
	size_t want_len;
} decode_cases[] = {
	{S(""), 0, S("")},
	{S("/thanos/graph"), 0, S("/thanos/graph")},
	{S("a%20b"), 0, S("a b")},
	{S("a+b"), 0, S("a+b")},
	{S("%2F%2f"), 0, S("//")},
	{S("%C3%A9"), 0, S("\xC3\xA9")},
	{S("%c3%a9"), 0, S("\xC3\xA9")},
	{S("%00"), 0, S("\0")},
	{S("a%0D%0Ab"), 0, S("a\r\nb")},
	{S("%25"), 0, S("%")},
	{S("%2525"), 0, S("%25")},
	{S("%"), -1, S("")},
	{S("%2"), -1, S("")},
	{S("abc%"), -1, S("")},
	{S("%zz"), -1, S("")},
	{S("%g0"), -1, S("")},
	{S("%0g"), -1, S("")},
	{S("ok%2Fthen%"), -1, S("")},
	{S("%%41"), -1, S("")},
	{S("a\0b"), 0, S("a\0b")},
};

START_TEST(test_decode)
{
	struct buf b;
	int rc;

	buf_init(&b, BUFMAX);
	buf_appends(&b, "pre:");
	rc = pct_decode(decode_cases[_i].in, decode_cases[_i].in_len, &b);
	ck_assert_msg(rc == decode_cases[_i].rc, "row %d: pct_decode(\"%s\") = %d, want %d",
		      _i, decode_cases[_i].in, rc, decode_cases[_i].rc);
	if (rc == 0) {
		ck_assert_msg(b.len == 4 + decode_cases[_i].want_len &&
			      memcmp(b.ptr + 4, decode_cases[_i].want,
				     decode_cases[_i].want_len) == 0,
			      "row %d: pct_decode(\"%s\") = \"%s\"", _i,
			      decode_cases[_i].in, buf_str(&b) + 4);
	} else {
		ck_assert_msg(strcmp(buf_str(&b), "pre:") == 0 && b.len == 4,
			      "row %d: pct_decode(\"%s\") changed the buffer on error: \"%s\"",
			      _i, decode_cases[_i].in, buf_str(&b));
	}
	buf_free(&b);
}
END_TEST

enum op { ENCODE, REQUOTE_PATH, REQUOTE_PREFIX, REQUOTE_QUERY };

static const char *const op_names[] = {"pct_encode_path", "pct_requote_path",
				       "pct_requote_prefix", "pct_requote_query"};

static const struct {
	enum op op;
	const char *in;
	size_t in_len;
	const char *want;
} encode_cases[] = {
	{ENCODE, S(""), ""},
	{ENCODE, S("/thanos/graph"), "/thanos/graph"},
	{ENCODE, S("/a b"), "/a%20b"},
	{ENCODE, S("a b"), "a%20b"},
	{ENCODE, S("/\xC3\xA9"), "/%C3%A9"},
	{ENCODE, S("100%"), "100%25"},
	{ENCODE, S("%2F"), "%252F"},
	{ENCODE, S("?#[]"), "%3F%23%5B%5D"},
	{ENCODE, S("-._~!$&'()*+,;=:@"), "-._~!$&'()*+,;=:@"},
	{ENCODE, S("AZaz09"), "AZaz09"},
	{ENCODE, S("\"<>\\^`{|}"), "%22%3C%3E%5C%5E%60%7B%7C%7D"},
	{ENCODE, S("a\0b"), "a%00b"},
	{ENCODE, S("\r\n\t\x7f\xff"), "%0D%0A%09%7F%FF"},
	{REQUOTE_PATH, S(""), ""},
	{REQUOTE_PATH, S("/a%2Fb/%2f"), "/a%2Fb/%2f"},
	{REQUOTE_PATH, S("/a%20b c"), "/a%20b%20c"},
	{REQUOTE_PATH, S("/%C3%A9\xC3\xA9"), "/%C3%A9%C3%A9"},
	{REQUOTE_PATH, S("/%zz"), "/%25zz"},
	{REQUOTE_PATH, S("/50%"), "/50%25"},
	{REQUOTE_PATH, S("/%4"), "/%254"},
	{REQUOTE_PATH, S("/\"<>"), "/%22%3C%3E"},
	{REQUOTE_PATH, S("/a?b#c"), "/a%3Fb%23c"},
	{REQUOTE_PATH, S("/-._~!$&'()*+,;=:@"), "/-._~!$&'()*+,;=:@"},
	{REQUOTE_PATH, S("/a%2520"), "/a%2520"},
	/* fuzz_rewrite: E is copied into Set-Cookie Path and Refresh url='' */
	{REQUOTE_PREFIX, S("/a;Domain=x.com;b"), "/a%3BDomain=x.com%3Bb"},
	{REQUOTE_PREFIX, S("/a'b,c"), "/a%27b%2Cc"},
	{REQUOTE_PREFIX, S("/a%3Bb%27"), "/a%3Bb%27"},
	{REQUOTE_PREFIX, S("/-._~!$&()*+=:@ \""), "/-._~!$&()*+=:@%20%22"},
	{REQUOTE_QUERY, S(""), ""},
	{REQUOTE_QUERY, S("query=up&time=1"), "query=up&time=1"},
	{REQUOTE_QUERY, S("query=rate(x[5m])"), "query=rate(x[5m])"},
	{REQUOTE_QUERY, S("q=a b"), "q=a%20b"},
	{REQUOTE_QUERY, S("q=a+b%20c"), "q=a+b%20c"},
	{REQUOTE_QUERY, S("q=up%0A%0D"), "q=up%0A%0D"},
	{REQUOTE_QUERY, S("q=%zz%"), "q=%zz%"},
	{REQUOTE_QUERY, S("q=\"<>\\^`{|}"), "q=%22%3C%3E%5C%5E%60%7B%7C%7D"},
	{REQUOTE_QUERY, S("q=1#2"), "q=1%232"},
	{REQUOTE_QUERY, S("q=\xC3\xA9"), "q=%C3%A9"},
	{REQUOTE_QUERY, S("q=/a?b:c@d'e"), "q=/a?b:c@d'e"},
	{REQUOTE_QUERY, S("q=\x7f"), "q=%7F"},
};

START_TEST(test_encode)
{
	struct buf b;
	int rc = -1;

	buf_init(&b, BUFMAX);
	switch (encode_cases[_i].op) {
	case ENCODE:
		rc = pct_encode_path(encode_cases[_i].in, encode_cases[_i].in_len, &b);
		break;
	case REQUOTE_PATH:
		rc = pct_requote_path(encode_cases[_i].in, encode_cases[_i].in_len, &b);
		break;
	case REQUOTE_PREFIX:
		rc = pct_requote_prefix(encode_cases[_i].in, encode_cases[_i].in_len, &b);
		break;
	case REQUOTE_QUERY:
		rc = pct_requote_query(encode_cases[_i].in, encode_cases[_i].in_len, &b);
		break;
	}
	ck_assert_msg(rc == 0 && strcmp(buf_str(&b), encode_cases[_i].want) == 0 &&
		      b.len == strlen(encode_cases[_i].want),
		      "row %d: %s(\"%s\") = %d \"%s\", want \"%s\"", _i,
		      op_names[encode_cases[_i].op], encode_cases[_i].in, rc,
		      buf_str(&b), encode_cases[_i].want);
	buf_free(&b);
}
END_TEST

/* Requoting is idempotent: a second pass changes nothing. */
START_TEST(test_requote_idempotent)
{
	struct buf a, b;

	if (encode_cases[_i].op == ENCODE)
		return;
	buf_init(&a, BUFMAX);
	buf_init(&b, BUFMAX);
	ck_assert_int_eq(pct_requote_path(encode_cases[_i].in,
					  encode_cases[_i].in_len, &a), 0);
	ck_assert_int_eq(pct_requote_path(a.ptr ? a.ptr : "", a.len, &b), 0);
	ck_assert_msg(strcmp(buf_str(&a), buf_str(&b)) == 0,
		      "row %d: requote(\"%s\") twice: \"%s\" then \"%s\"", _i,
		      encode_cases[_i].in, buf_str(&a), buf_str(&b));
	buf_free(&a);
	buf_free(&b);
}
END_TEST

/* Every writer fails past max and leaves the buffer as it was. */
static const struct {
	int which; /* 0 decode, 1 encode, 2 requote path, 3 requote query */
	const char *in;
	size_t max;
	int rc;
} max_cases[] = {
	{0, "abcdef", 8, -1},
	{0, "abcd", 8, 0},
	{0, "%41%42%43%44", 8, 0},
	{0, "%41%42%43%44%45", 8, -1},
	{1, "abcd", 8, 0},
	{1, "ab c", 8, -1},
	{1, "a b", 9, 0},
	{2, "a%20b", 9, 0},
	{2, "a\"b", 8, -1},
	{3, "q=ab", 8, 0},
	{3, "q= b", 8, -1},
};

START_TEST(test_max)
{
	struct buf b;
	int rc = -1;
	const char *in = max_cases[_i].in;

	buf_init(&b, max_cases[_i].max);
	buf_appends(&b, "1234");
	switch (max_cases[_i].which) {
	case 0: rc = pct_decode(in, strlen(in), &b); break;
	case 1: rc = pct_encode_path(in, strlen(in), &b); break;
	case 2: rc = pct_requote_path(in, strlen(in), &b); break;
	case 3: rc = pct_requote_query(in, strlen(in), &b); break;
	}
	ck_assert_msg(rc == max_cases[_i].rc, "row %d: \"%s\" max %zu: rc %d want %d",
		      _i, in, max_cases[_i].max, rc, max_cases[_i].rc);
	ck_assert_msg(b.len <= b.max, "row %d: len %zu past max", _i, b.len);
	if (rc != 0)
		ck_assert_msg(b.len == 4 && strcmp(buf_str(&b), "1234") == 0,
			      "row %d: \"%s\": buffer changed on error: \"%s\"",
			      _i, in, buf_str(&b));
	buf_free(&b);
}
END_TEST

START_TEST(test_predicates)
{
	int c, n_pchar = 0;
	const char *pchar = "-._~!$&'()*+,;=:@";

	for (c = 0; c < 256; c++) {
		int hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			  (c >= 'A' && c <= 'F');
		ck_assert_msg((pct_hexval(c) >= 0) == hex, "byte 0x%02x: hexval %d",
			      c, pct_hexval(c));
		ck_assert_msg(pct_is_ctl(c) == (c < 0x20 || c == 0x7f),
			      "byte 0x%02x: is_ctl", c);
		n_pchar += pct_is_pchar(c);
		if (c != 0 && strchr(pchar, c) != NULL)
			ck_assert_msg(pct_is_pchar(c), "byte '%c' is pchar", c);
	}
	ck_assert_int_eq(n_pchar, 26 + 26 + 10 + (int)strlen(pchar));
	ck_assert_int_eq(pct_hexval('f'), 15);
	ck_assert_int_eq(pct_hexval('A'), 10);
	ck_assert_int_eq(pct_hexval('9'), 9);
	ck_assert_int_eq(pct_is_pchar('%'), 0);
	ck_assert_int_eq(pct_is_pchar('/'), 0);
	ck_assert_int_eq(pct_has_ctl(S("abc")), 0);
	ck_assert_int_eq(pct_has_ctl(S("a\0b")), 1);
	ck_assert_int_eq(pct_has_ctl(S("a\x7f")), 1);
	ck_assert_int_eq(pct_has_ctl(S("\xC3\xA9")), 0);
	ck_assert_int_eq(pct_is_escape(S("%2F")), 1);
	ck_assert_int_eq(pct_is_escape("%2F", 2), 0);
	ck_assert_int_eq(pct_is_escape(S("%G1")), 0);
	ck_assert_int_eq(pct_is_escape(S("a2F")), 0);
}
END_TEST

static Suite *pct_suite(void)
{
	Suite *s = suite_create("pct");
	TCase *tc = tcase_create("pct");
	int nenc = (int)(sizeof(encode_cases) / sizeof(encode_cases[0]));

	tcase_add_loop_test(tc, test_decode, 0,
			    (int)(sizeof(decode_cases) / sizeof(decode_cases[0])));
	tcase_add_loop_test(tc, test_encode, 0, nenc);
	tcase_add_loop_test(tc, test_requote_idempotent, 0, nenc);
	tcase_add_loop_test(tc, test_max, 0,
			    (int)(sizeof(max_cases) / sizeof(max_cases[0])));
	tcase_add_test(tc, test_predicates);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(pct_suite());
}
