/* Unit tests for peer.c (FCGI_WEB_SERVER_ADDRS): failures name the row. */
#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "peer.h"
#include "check_main.h"

static const struct {
	const char *list; /* FCGI_WEB_SERVER_ADDRS */
	int rc;           /* of peer_list_parse */
	const char *peer; /* an IPv4 peer, or "unix" / "v6" */
	int allowed;
} cases[] = {
	{NULL, 0, "10.0.0.1", 1},
	{"", 0, "10.0.0.1", 1},
	{"  ", 0, "10.0.0.1", 1},
	{"127.0.0.1", 0, "127.0.0.1", 1},
	{"127.0.0.1", 0, "127.0.0.2", 0},
	{"10.0.0.1,127.0.0.1", 0, "127.0.0.1", 1},
	{"10.0.0.1, 127.0.0.1 ", 0, "127.0.0.1", 1},
	{"10.0.0.1,127.0.0.1", 0, "10.0.0.2", 0},
	{"127.0.0.1", 0, "unix", 1},
	{"127.0.0.1", 0, "v6", 1},
	/* bad lists: refused at start, never half-applied */
	{"127.0.0.1,", -1, "10.0.0.1", 1},
	{",127.0.0.1", -1, "10.0.0.1", 1},
	{"127.0.0.1 10.0.0.1", -1, "10.0.0.1", 1},
	{"localhost", -1, "10.0.0.1", 1},
	{"::1", -1, "10.0.0.1", 1},
	{"127.0.0.1.1", -1, "10.0.0.1", 1},
	{"999.0.0.1", -1, "10.0.0.1", 1},
	{"127.0.0.1;10.0.0.1", -1, "10.0.0.1", 1},
};

START_TEST(test_peer)
{
	struct peer_list l;
	struct sockaddr_storage ss;
	int rc, ok;

	memset(&ss, 0, sizeof(ss));
	rc = peer_list_parse(cases[_i].list, &l);
	if (strcmp(cases[_i].peer, "unix") == 0) {
		ss.ss_family = AF_UNIX;
	} else if (strcmp(cases[_i].peer, "v6") == 0) {
		ss.ss_family = AF_INET6;
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, cases[_i].peer, &in->sin_addr), 1);
	}
	ok = peer_allowed(&l, (struct sockaddr *)&ss);
	ck_assert_msg(rc == cases[_i].rc && ok == cases[_i].allowed,
		      "row %d: \"%s\": parse %d (want %d), %s allowed %d (want %d)",
		      _i, cases[_i].list ? cases[_i].list : "(unset)", rc,
		      cases[_i].rc, cases[_i].peer, ok, cases[_i].allowed);
}
END_TEST

START_TEST(test_peer_max)
{
	char s[PEER_MAX * 16 + 16] = "";
	struct peer_list l;

	for (int i = 0; i < PEER_MAX; i++)
		strcat(s, i ? ",10.0.0.1" : "10.0.0.1");
	ck_assert_int_eq(peer_list_parse(s, &l), 0);
	ck_assert_uint_eq(l.n, PEER_MAX);
	strcat(s, ",10.0.0.2");
	ck_assert_int_eq(peer_list_parse(s, &l), -1);
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("peer");
	TCase *tc = tcase_create("peer");

	tcase_add_loop_test(tc, test_peer, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_peer_max);
	suite_add_tcase(s, tc);
	return check_run(s);
}
