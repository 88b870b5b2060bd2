/* Unit tests for cabundle.c: which system CA bundle is chosen on each
 * distribution's file layout; failures name the row. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cabundle.h"
#include "check_main.h"

/* The files of the machine being faked, '|'-separated. */
static const char *present;
static int calls;

/* access(2) over `present`. */
static int fake_access(const char *path, int mode)
{
	size_t n = strlen(path);
	const char *p = present;

	(void)mode;
	calls++;
	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, '|');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == n && memcmp(p, path, n) == 0)
			return 0;
		p = end != NULL ? end + 1 : NULL;
	}
	return -1;
}

static const struct {
	const char *system, *files, *want;
} cases[] = {
	{"Debian/Ubuntu", "/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs/ca-certificates.crt"},
	{"RHEL/Fedora",
	 "/etc/pki/tls/certs/ca-bundle.crt|/etc/pki/ca-trust/extracted/pem/"
	 "tls-ca-bundle.pem",
	 "/etc/pki/tls/certs/ca-bundle.crt"},
	{"RHEL, extracted bundle only", "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	 "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"},
	{"SUSE", "/etc/ssl/ca-bundle.pem", "/etc/ssl/ca-bundle.pem"},
	{"OpenSUSE, newer", "/var/lib/ca-certificates/ca-bundle.pem",
	 "/var/lib/ca-certificates/ca-bundle.pem"},
	{"Alpine", "/etc/ssl/cert.pem", "/etc/ssl/cert.pem"},
	{"OpenELEC", "/etc/pki/tls/cacert.pem", "/etc/pki/tls/cacert.pem"},
	{"Alpine with Debian's too: Debian's first",
	 "/etc/ssl/cert.pem|/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs/ca-certificates.crt"},
	{"none", "", NULL},
	{"an unlisted path only", "/usr/local/share/certs/ca-root-nss.crt", NULL},
	{"a near miss", "/etc/ssl/certs/ca-certificates.crt.bak", NULL},
};

START_TEST(test_find)
{
	const char *got;

	present = cases[_i].files;
	got = cabundle_find(cabundle_paths, fake_access);
	if (cases[_i].want == NULL)
		ck_assert_msg(got == NULL, "row %d (%s): got '%s', want none", _i, cases[_i].system,
			      got);
	else
		ck_assert_msg(got != NULL && strcmp(got, cases[_i].want) == 0,
			      "row %d (%s): got '%s', want '%s'", _i, cases[_i].system,
			      got != NULL ? got : "(none)", cases[_i].want);
}
END_TEST

/* The search stops at the first hit and tries every path on a miss. */
START_TEST(test_stops_at_first)
{
	size_t n = 0;

	while (cabundle_paths[n] != NULL)
		n++;
	present = "/etc/ssl/certs/ca-certificates.crt";
	calls = 0;
	cabundle_find(cabundle_paths, fake_access);
	ck_assert_int_eq(calls, 1);
	present = "";
	calls = 0;
	ck_assert_ptr_null(cabundle_find(cabundle_paths, fake_access));
	ck_assert_int_eq(calls, (int)n);
}
END_TEST

/* Every path is absolute and listed once; the six are there. */
START_TEST(test_list)
{
	static const char *const need[] = {
	    "/etc/ssl/certs/ca-certificates.crt",
	    "/etc/pki/tls/certs/ca-bundle.crt",
	    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	    "/etc/ssl/ca-bundle.pem",
	    "/etc/ssl/cert.pem",
	    "/var/lib/ca-certificates/ca-bundle.pem",
	};

	for (size_t i = 0; cabundle_paths[i] != NULL; i++) {
		ck_assert_msg(cabundle_paths[i][0] == '/', "path %zu not absolute", i);
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(strcmp(cabundle_paths[i], cabundle_paths[j]) != 0, "%s twice",
				      cabundle_paths[i]);
	}
	for (size_t k = 0; k < sizeof(need) / sizeof(need[0]); k++) {
		present = need[k];
		ck_assert_msg(cabundle_find(cabundle_paths, fake_access) != NULL, "%s not tried",
			      need[k]);
	}
}
END_TEST

/* The real lookup: one of the list (or none), the same answer twice. */
START_TEST(test_system)
{
	const char *a = cabundle_system(), *b = cabundle_system();
	int listed = a == NULL;

	for (size_t i = 0; cabundle_paths[i] != NULL; i++)
		listed |= a == cabundle_paths[i];
	ck_assert_msg(listed, "'%s' is not in the list", a);
	ck_assert_ptr_eq(a, b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cabundle");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_find, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_stops_at_first);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_system);
	suite_add_tcase(s, tc);
	return check_run(s);
}
