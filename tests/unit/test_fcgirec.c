/* Unit tests for src/fcgirec.c: the start of a FastCGI record stream,
 * checked before libfcgi parses it.  One table, failures name the row. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fcgirec.h"
#include "check_main.h"

/* Record headers, written out: version 1, type, request id 1 (0 for
 * management), content length, padding. */
#define BEGIN "\x01\x01\x00\x01\x00\x08\x00\x00" "\x00\x01\x01\x00\x00\x00\x00\x00"
#define PARAMS(len) "\x01\x04\x00\x01\x00" len "\x00\x00"
#define PARAMS_END "\x01\x04\x00\x01\x00\x00\x00\x00"
#define GET_VALUES(len) "\x01\x09\x00\x00\x00" len "\x00\x00"

static const struct {
	const char *in;
	size_t n;
	enum fcgirec_verdict want;
	size_t need; /* for FCGIREC_MORE */
} cases[] = {
	/* 0-2: too short to say: a header, then its content, are wanted */
	{"", 0, FCGIREC_MORE, 8},
	{BEGIN, 8, FCGIREC_MORE, 16},
	{BEGIN, 16, FCGIREC_MORE, 24},
	/* 3: one pair A=bc, then the end: sound */
	{BEGIN PARAMS("\x05") "\x01\x02" "Abc" PARAMS_END, 16 + 8 + 5 + 8, FCGIREC_OK, 0},
	/* 4: a pair cut across two records is fine */
	{BEGIN PARAMS("\x02") "\x01\x02" PARAMS("\x03") "Abc" PARAMS_END, 16 + 10 + 11 + 8,
	 FCGIREC_OK, 0},
	/* 5: the end inside a pair */
	{BEGIN PARAMS("\x03") "\x01\x02" "A" PARAMS_END, 16 + 11 + 8, FCGIREC_BAD, 0},
	/* 6: a 4-byte name length of 0x77f7f7f7: libfcgi's int sum overflows
	 * and it aborts the process; refused as soon as the length is in */
	{BEGIN PARAMS("\xf7") "\xf7\xf7\xf7\xf7", 16 + 8 + 4, FCGIREC_BAD, 0},
	/* 7: the same length before the rest of the record has come */
	{BEGIN PARAMS("\x08") "\xff\xff\xff\xff", 16 + 8 + 4, FCGIREC_BAD, 0},
	/* 8: a length within the limit waits for its bytes */
	{BEGIN PARAMS("\x08") "\x80\x00\x00\x10", 16 + 8 + 4, FCGIREC_MORE, 16 + 8 + 8},
	/* 9: FCGI_GET_VALUES whose pair overruns its record (libfcgi leaks) */
	{GET_VALUES("\x04") "\x0e\x00" "FC", 12, FCGIREC_BAD, 0},
	/* 10: a sound FCGI_GET_VALUES, then the request */
	{GET_VALUES("\x03") "\x01\x00" "X" BEGIN PARAMS_END, 11 + 16 + 8, FCGIREC_OK, 0},
	/* 11: not version 1 */
	{"\x02\x01\x00\x01\x00\x08\x00\x00", 8, FCGIREC_BAD, 0},
	/* 12: a management record of another type (libfcgi leaks on it) */
	{"\x01\x0b\x00\x00\x00\x00\x00\x00", 8, FCGIREC_BAD, 0},
	/* 13: a huge length in FCGI_GET_VALUES, before its padding has come */
	{"\x01\x09\x00\x00\x00\x10\xfa\x00" "\xff\x00\x04\xff", 12, FCGIREC_BAD, 0},
	/* 14: padding counts toward the record's end */
	{"\x01\x01\x00\x01\x00\x08\x03\x00" "\x00\x01\x01\x00\x00\x00\x00\x00" "pad", 16,
	 FCGIREC_MORE, 19},
	/* 15: padding over 7 bytes (a BEGIN_REQUEST padded over the PARAMS
	 * after it made libfcgi allocate 4 GiB: the fuzzer found it) */
	{"\x01\x01\x00\x01\x00\x08\xfb\x00", 8, FCGIREC_BAD, 0},
	/* 16: 7 bytes of padding, as web servers align records, is fine */
	{"\x01\x01\x00\x01\x00\x08\x07\x00", 8, FCGIREC_MORE, 23},
	/* 17: a PARAMS of request 513 inside request 1's, which libfcgi skips:
	 * its bytes would frame request 1's pairs apart (the fuzzer found a
	 * 4 GiB allocation so) */
	{BEGIN PARAMS("\x02") "\x01\x02" "\x01\x04\x02\x01\x00\x03\x00\x00" "Abc", 16 + 10 + 11,
	 FCGIREC_BAD, 0},
	/* 18: a PARAMS before any BEGIN_REQUEST (libfcgi skips it too) */
	{PARAMS("\x05") "\x01\x02" "Abc", 13, FCGIREC_BAD, 0},
	/* 19: a second BEGIN_REQUEST (libfcgi answers FCGI_CANT_MPX_CONN) */
	{BEGIN BEGIN PARAMS_END, 40, FCGIREC_BAD, 0},
	/* 20: a BEGIN_REQUEST of request 0 */
	{"\x01\x01\x00\x00\x00\x08\x00\x00", 8, FCGIREC_BAD, 0},
	/* 21: request 2 throughout is as sound as request 1 */
	{"\x01\x01\x00\x02\x00\x08\x00\x00" "\x00\x01\x01\x00\x00\x00\x00\x00"
	 "\x01\x04\x00\x02\x00\x00\x00\x00", 24, FCGIREC_OK, 0},
};

START_TEST(test_check)
{
	size_t need = 0;
	const char *why = NULL;
	enum fcgirec_verdict v =
		fcgirec_check((const unsigned char *)cases[_i].in, cases[_i].n, 1024, &need, &why);

	ck_assert_msg(v == cases[_i].want, "row %d: verdict %d, want %d", _i, v, cases[_i].want);
	if (v == FCGIREC_MORE)
		ck_assert_msg(need == cases[_i].need && need > cases[_i].n,
			      "row %d: need %zu, want %zu", _i, need, cases[_i].need);
	if (v == FCGIREC_BAD)
		ck_assert_msg(why != NULL && *why != '\0', "row %d: no cause", _i);
}
END_TEST

/* More parameters than max: refused, whatever the pairs. */
START_TEST(test_over_max)
{
	unsigned char in[16 + 8 + 200];
	size_t need = 0;
	const char *why = NULL;

	memcpy(in, BEGIN, 16);
	memcpy(in + 16, "\x01\x04\x00\x01\x00\xc8\x00\x00", 8); /* 200 bytes */
	memset(in + 24, 0, 200); /* 100 empty pairs */
	ck_assert_int_eq(fcgirec_check(in, sizeof(in), 100, &need, &why), FCGIREC_BAD);
	ck_assert_int_eq(fcgirec_check(in, sizeof(in), 1000, &need, &why), FCGIREC_MORE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fcgirec");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_check, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_over_max);
	suite_add_tcase(s, tc);
	return check_run(s);
}
