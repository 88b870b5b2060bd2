/* Unit tests for tenant.c: map files parsed and looked up, bad lines with
 * their line numbers, and a file re-read when it changes. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "tenant.h"
#include "check_main.h"

#define MAP "# who sees what\nalice team-a\nbob\tteam-b  # a comment\n\n  carol team-a\r\n"

static const struct {
	const char *text, *user, *want; /* want NULL: no tenant */
} lookup_cases[] = {
	{MAP, "alice", "team-a"},
	{MAP, "bob", "team-b"},
	{MAP, "carol", "team-a"},
	{MAP, "mallory", NULL},
	{MAP, "", NULL},
	{MAP, NULL, NULL},
	{MAP, "Alice", NULL},
	{MAP "* public\n", "mallory", "public"},
	{MAP "* public\n", "alice", "team-a"},
	{MAP "* public\n", NULL, NULL},
	{"", "alice", NULL},
	{"* everyone", "x", "everyone"},
};

START_TEST(test_lookup)
{
	struct tenant_map m = {0};
	char err[256];
	const char *got;

	ck_assert_int_eq(tenant_map_parse(lookup_cases[_i].text, "map", &m, err, sizeof(err)), 0);
	got = tenant_map_lookup(&m, lookup_cases[_i].user);
	ck_assert_msg(got == lookup_cases[_i].want ||
			      (got != NULL && lookup_cases[_i].want != NULL &&
			       strcmp(got, lookup_cases[_i].want) == 0),
		      "row %d: user %s: %s (want %s)", _i, lookup_cases[_i].user,
		      got ? got : "(none)", lookup_cases[_i].want ? lookup_cases[_i].want : "(none)");
	tenant_map_free(&m);
}
END_TEST

static const struct {
	const char *text, *want_err;
} bad_cases[] = {
	{"alice\n", "f.map:1: a user without a tenant"},
	{"alice a\nbob\n", "f.map:2: a user without a tenant"},
	{"# c\n\nalice a b\n", "f.map:3: more than `user tenant`"},
	{"* a\n* b\n", "f.map:2: a second `*` line"},
	{"alice a\x01\n", "f.map:1: control character in the tenant"},
};

START_TEST(test_bad)
{
	struct tenant_map m = {0};
	char err[256];

	ck_assert_int_eq(tenant_map_parse(bad_cases[_i].text, "f.map", &m, err, sizeof(err)), -1);
	ck_assert_msg(strcmp(err, bad_cases[_i].want_err) == 0, "row %d: '%s' (want '%s')", _i,
		      err, bad_cases[_i].want_err);
	ck_assert_uint_eq(m.n, 0);
	ck_assert_ptr_null(m.dflt);
}
END_TEST

/* No map: the login is the tenant; no login is no tenant. */
START_TEST(test_no_map)
{
	struct buf b;
	char err[256];

	buf_init(&b, 1024);
	ck_assert_int_eq(tenant_for(NULL, "alice", 1, &b, err, sizeof(err)), 1);
	ck_assert_str_eq(buf_str(&b), "alice");
	ck_assert_int_eq(tenant_for("", NULL, 1, &b, err, sizeof(err)), 0);
	ck_assert_int_eq(tenant_for("/nonexistent/map", "alice", 1, &b, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/map"));
	buf_free(&b);
}
END_TEST

static void write_file(const char *path, const char *text)
{
	char tmp[4200];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(rename(tmp, path), 0);
}

/* A changed file is seen on the next second's look; a bad one keeps the
 * old map. */
START_TEST(test_reread)
{
	char dir[] = "/tmp/test_tenant.XXXXXX", path[4096], err[256];
	struct buf b;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/map", dir);
	buf_init(&b, 1024);
	write_file(path, "alice a1\n");
	ck_assert_int_eq(tenant_for(path, "alice", 10, &b, err, sizeof(err)), 1);
	ck_assert_str_eq(buf_str(&b), "a1");
	write_file(path, "alice a2\n");
	ck_assert_int_eq(tenant_for(path, "alice", 10, &b, err, sizeof(err)), 1);
	ck_assert_str_eq(buf_str(&b), "a1"); /* the same second: no look */
	ck_assert_int_eq(tenant_for(path, "alice", 11, &b, err, sizeof(err)), 1);
	ck_assert_str_eq(buf_str(&b), "a2");
	write_file(path, "alice\n");
	ck_assert_int_eq(tenant_for(path, "alice", 12, &b, err, sizeof(err)), 1);
	ck_assert_str_eq(buf_str(&b), "a2"); /* bad: the old map stays */
	write_file(path, "* d\n");
	ck_assert_int_eq(tenant_for(path, "alice", 13, &b, err, sizeof(err)), 1);
	ck_assert_str_eq(buf_str(&b), "d");
	unlink(path);
	rmdir(dir);
	buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tenant");
	TCase *parse = tcase_create("parse"), *file = tcase_create("file");

	tcase_add_loop_test(parse, test_lookup, 0, (int)(sizeof(lookup_cases) / sizeof(lookup_cases[0])));
	tcase_add_loop_test(parse, test_bad, 0, (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(file, test_no_map);
	tcase_add_test(file, test_reread);
	suite_add_tcase(s, parse);
	suite_add_tcase(s, file);
	return check_run(s);
}
