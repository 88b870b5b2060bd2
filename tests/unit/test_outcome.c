/* Unit tests for outcome.c, the cause of a failed attempt: rows named. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "outcome.h"
#include "check_main.h"

static const struct {
	CURLcode rc;
	int timed_out, bad_header;
	const char *want;
} cause_cases[] = {
	{CURLE_OK, 0, 0, "none"},
	{CURLE_COULDNT_CONNECT, 0, 0, "refused"},
	{CURLE_COULDNT_RESOLVE_HOST, 0, 0, "refused"},
	{CURLE_OPERATION_TIMEDOUT, 0, 0, "timeout"},
	{CURLE_ABORTED_BY_CALLBACK, 1, 0, "timeout"},  /* our own timeouts */
	{CURLE_WRITE_ERROR, 0, 1, "bad_header"},       /* a header refused */
	{CURLE_ABORTED_BY_CALLBACK, 1, 1, "bad_header"},
	{CURLE_SSL_CONNECT_ERROR, 0, 0, "tls"},
	{CURLE_PEER_FAILED_VERIFICATION, 0, 0, "tls"},
	{CURLE_SSL_CACERT_BADFILE, 0, 0, "tls"},
	{CURLE_GOT_NOTHING, 0, 0, "reset"},
	{CURLE_RECV_ERROR, 0, 0, "reset"},
	{CURLE_SEND_ERROR, 0, 0, "reset"},
	{CURLE_PARTIAL_FILE, 0, 0, "reset"},
	{CURLE_URL_MALFORMAT, 0, 0, "other"},
};

START_TEST(test_cause)
{
	const char *got = outcome_cause_name(outcome_cause(
		cause_cases[_i].rc, cause_cases[_i].timed_out, cause_cases[_i].bad_header));

	ck_assert_msg(strcmp(got, cause_cases[_i].want) == 0, "row %d: '%s', want '%s'", _i,
		      got, cause_cases[_i].want);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(outcome_cause_name(CAUSE_MAX), "other");
	ck_assert_str_eq(outcome_cause_name((enum outcome_cause)-1), "other");
	for (int c = 0; c < CAUSE_MAX; c++)
		ck_assert_ptr_nonnull(outcome_cause_name((enum outcome_cause)c));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("outcome");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_cause, 0, sizeof(cause_cases) / sizeof(cause_cases[0]));
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return check_run(s);
}
