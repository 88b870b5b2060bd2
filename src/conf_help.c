/* conf_help: --help and the README's option reference, from the table. */
#include <stdio.h>

#include "conf.h"
#include "conf_table.h"


static const char *shown_default(const struct opt *o)
{
	if (o->shown != NULL)
		return o->shown;
	return o->def != NULL ? o->def : "none";
}

void conf_help(void *file)
{
	FILE *fp = file;

	fputs("Usage: thanos-fcgi [OPTION]...\n"
	      "       thanos-fcgi check [--format text|json] [--url URL] [OPTION]...\n"
	      "Forwards CGI and FastCGI requests to Thanos over HTTP; `check`\n"
	      "probes the upstreams (and with --url the web server) with these\n"
	      "settings and says what to change (thanos-fcgi check --help).\n"
	      "\n"
	      "Each option can also be set by its THANOS_FCGI_* environment\n"
	      "variable or as `name = value` in the --config file; flags win\n"
	      "over the environment, which wins over the file.  A request\n"
	      "parameter with the variable's name overrides an option for\n"
	      "that request, except where marked \"process only\".\n"
	      "Lists are comma-separated; a repeated flag appends.\n"
	      "\n", fp);
	for (size_t i = 0; i < conf_n_opts; i++) {
		const struct opt *o = &conf_opts[i];

		if (o->type == T_BOOL)
			fprintf(fp, "  --%s[=%s]\n", o->name, o->arg);
		else
			fprintf(fp, "  --%s=%s%s\n", o->name, o->arg,
				o->type == T_LIST ? " (repeatable)" : "");
		fprintf(fp, "      %s\n", o->help);
		fprintf(fp, "      env %s%s, default %s\n", o->env,
			(o->flags & O_REQUEST) ? "" : " (process only)",
			shown_default(o));
	}
	fputs("  -h, --help\n"
	      "      this text\n"
	      "  -V, --version\n"
	      "      the version, and those of libcurl, OpenSSL and libfcgi\n",
	      fp);
}

void conf_markdown(void *file)
{
	FILE *fp = file;

	fputs("| flag | env | default | meaning |\n"
	      "|---|---|---|---|\n", fp);
	for (size_t i = 0; i < conf_n_opts; i++) {
		const struct opt *o = &conf_opts[i];

		fprintf(fp, "| `--%s%s%s`%s | `%s`%s | ", o->name,
			o->type == T_BOOL ? "" : " ",
			o->type == T_BOOL ? "" : o->arg,
			o->type == T_LIST ? " (repeatable)" : "", o->env,
			o->type == T_LIST ? " (comma-separated)" : "");
		/* No text in the table holds '|' (test_conf checks). */
		if (o->shown != NULL || o->def == NULL)
			fprintf(fp, "%s | ", shown_default(o));
		else
			fprintf(fp, "`%s` | ", o->def);
		fprintf(fp, "%s%s |\n", o->help,
			(o->flags & O_REQUEST) ? "" : " (process only)");
	}
}
