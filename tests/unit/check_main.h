/* check_main: the end of every unit test's main(): runs the suite, frees
 * the runner, and exits 0 only when every test passed. */
#ifndef THANOS_FCGI_CHECK_MAIN_H
#define THANOS_FCGI_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

static inline int check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
