/*
 * gen_doc: writes the documents made from the option table to stdout:
 * `gen-doc man` the manual page (doc/thanos-fcgi.8), `gen-doc markdown`
 * the README's option table.  Built and run by `make man`; not installed.
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "man") == 0)
		conf_man(stdout);
	else if (argc == 2 && strcmp(argv[1], "markdown") == 0)
		conf_markdown(stdout);
	else {
		fputs("usage: gen-doc man|markdown\n", stderr);
		return 2;
	}
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
