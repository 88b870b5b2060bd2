/*
 * conf_man: the manual page thanos-fcgi(8), its OPTIONS from the option
 * table like --help and the README reference (conf_help.c).  The page is
 * kept in the source tree as doc/thanos-fcgi.8 (`make man` writes it with
 * src/gen-doc); test_conf fails when the two differ.
 */
#include "config.h"

#include <stdio.h>

#include "conf.h"
#include "conf_table.h"

/* Writes s as roff text: backslashes and hyphen-minus escaped, a '.' or
 * '\'' that would start a line made literal. */
static void roff_text(FILE *fp, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", fp);
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\e", fp);
		else if (*s == '-')
			fputs("\\-", fp);
		else
			fputc(*s, fp);
	}
}

static const char *man_head =
	".TH THANOS\\-FCGI 8 \"\" \"thanos\\-fcgi " PACKAGE_VERSION "\" "
	"\"System Manager's Manual\"\n"
	/* URLs and option names: no hyphenation, no stretched blanks */
	".nh\n"
	".ad l\n"
	".SH NAME\n"
	"thanos\\-fcgi \\- serve Thanos Query or Prometheus on a sub\\-path "
	"through CGI or FastCGI\n"
	".SH SYNOPSIS\n"
	".B thanos\\-fcgi\n"
	"[\\fIOPTION\\fR]...\n"
	".br\n"
	".B thanos\\-fcgi check\n"
	"[\\fB\\-\\-format\\fR \\fItext\\fR|\\fIjson\\fR]\n"
	"[\\fB\\-\\-url\\fR \\fIhttps://host/prefix/\\fR]\n"
	"[\\fIOPTION\\fR]...\n"
	".SH DESCRIPTION\n"
	".B thanos\\-fcgi\n"
	"forwards the requests a web server hands it as CGI or FastCGI to an\n"
	"HTTP upstream (Thanos Query, Prometheus, Alertmanager: anything with\n"
	"\\fB\\-\\-web.route\\-prefix\\fR) and streams the answers back, with\n"
	"the public prefix derived from \\fBSCRIPT_NAME\\fR, \\fBPATH_INFO\\fR\n"
	"and \\fBREQUEST_URI\\fR and redirects and cookie paths rewritten to\n"
	"it.\n"
	"It serves a sub\\-path such as \\fIhttps://example.com/thanos/\\fR from\n"
	"any web server that can run a CGI or FastCGI program, without a proxy\n"
	"module.\n"
	".PP\n"
	"The same program runs three ways:\n"
	".TP\n"
	"FastCGI on file descriptor 0\n"
	"started by a spawner: spawn\\-fcgi, lighttpd's \\fBbin\\-path\\fR,\n"
	"Apache mod_fcgid, or a systemd socket unit with\n"
	"\\fBStandardInput=socket\\fR.\n"
	".TP\n"
	"FastCGI on its own socket\n"
	"\\fB\\-\\-listen 127.0.0.1:9000\\fR or\n"
	"\\fB\\-\\-listen unix:/run/thanos\\-fcgi.sock\\fR, for nginx's\n"
	"\\fBfastcgi_pass\\fR.\n"
	".TP\n"
	"Plain CGI\n"
	"one request from the environment and standard input, then exit\n"
	"(Apache mod_cgi, shared hosting).\n"
	".PP\n"
	"\\fBthanos\\-fcgi check\\fR reads the same options, environment and\n"
	"config file as a run, probes every upstream (each replica) and prints\n"
	"one line per finding: what it found, then what to change, naming the\n"
	"flag and whose it is (thanos\\-fcgi's, or Thanos's or Prometheus's\n"
	"own): the upstream unreachable or its TLS failing, the route prefix\n"
	"wrong (and where the UI answers), redirects or the UI page pointing\n"
	"outside the public prefix or doubling it, root paths wrong for the\n"
	"kind of upstream, a prefix header served but not sent, tenancy in\n"
	"front of a Prometheus.  The public prefix is\n"
	"\\fB\\-\\-web.external\\-prefix\\fR, else the path of\n"
	"\\fB\\-\\-url\\fR, else the route prefix, and the first line says\n"
	"which.  \\fB\\-\\-url\\fR also asks the public URL through the web\n"
	"server (the adapter there answers it itself when it has the same\n"
	"\\fB\\-\\-web.check\\-token\\fR) and reports what the server passed:\n"
	"the derived prefix and sub\\-path, \\fBSCRIPT_NAME\\fR,\n"
	"\\fBPATH_INFO\\fR, \\fBREQUEST_URI\\fR, whether\n"
	"\\fBAuthorization\\fR arrives and whether %2F survives.\n"
	"\\fB\\-\\-format json\\fR writes one JSON object for scripts.\n"
	"A FastCGI process runs the same check once at start, in the\n"
	"background, and logs what is wrong as warnings\n"
	"(\\fB\\-\\-check.on\\-start\\fR).\n"
	".SH OPTIONS\n"
	"Every option is a flag, an environment variable, a\n"
	"\\fIkey\\fR = \\fIvalue\\fR line in the \\fB\\-\\-config\\fR file (the\n"
	"key is the flag's name without \\fB\\-\\-\\fR; \\fB#\\fR starts a\n"
	"comment line) and, except those marked \"process only\", a FastCGI\n"
	"request parameter, which overrides the process setting for that\n"
	"request.\n"
	"Precedence: flag, then environment, then config file, then default.\n"
	"Durations are written as Thanos writes them (500ms, 30s, 2m, 1h),\n"
	"sizes as 64KiB or 10MiB; 0 turns a timeout or the body limit off.\n"
	"Lists are comma\\-separated; a repeated flag appends.\n";

static const char *man_tail =
	".TP\n"
	".BR \\-h \", \" \\-\\-help\n"
	"The option list.\n"
	".TP\n"
	".BR \\-V \", \" \\-\\-version\n"
	"The version, and those of libcurl, OpenSSL and libfcgi.\n"
	".SH ENVIRONMENT\n"
	"Each option's \\fBTHANOS_FCGI_\\fR* variable, as listed above, read once\n"
	"at start.\n"
	"An unknown \\fBTHANOS_FCGI_\\fR name is a warning in the process\n"
	"environment and a 500 answer as a FastCGI request parameter (a typo\n"
	"in the web server's configuration).\n"
	"Under plain CGI the environment is the request.\n"
	"The proxy variables (\\fBhttp_proxy\\fR and the like) are never used;\n"
	"see \\fB\\-\\-upstream.proxy\\fR.\n"
	".SH EXIT STATUS\n"
	"\\fBcheck\\fR: 0 when everything is right, 1 when something is to be\n"
	"changed, 2 when the settings are bad.\n"
	"Otherwise 0 after \\fB\\-\\-help\\fR, \\fB\\-\\-version\\fR, a served CGI request\n"
	"or a clean FastCGI shutdown (SIGTERM);\n"
	"2 when an option is bad or the program cannot start (one line on\n"
	"standard error names the option or the cause);\n"
	"1 on other failures.\n"
	".SH FILES\n"
	".TP\n"
	".I /etc/default/thanos\\-fcgi\n"
	"\\fBTHANOS_FCGI_\\fR* settings read by the systemd units\n"
	"(\\fBEnvironmentFile\\fR).\n"
	".TP\n"
	".I /usr/share/doc/thanos\\-fcgi/deploy/\n"
	"ready\\-made configurations for lighttpd, nginx, Apache mod_fcgid and\n"
	"mod_cgi, shared hosting and systemd, each with a README\n"
	"(/usr/local/share/doc/thanos\\-fcgi/deploy/ when built from source).\n"
	".SH EXAMPLES\n"
	"Thanos Query at /thanos behind nginx, the adapter on its own socket:\n"
	".PP\n"
	".RS\n"
	".nf\n"
	"thanos\\-fcgi \\-\\-listen unix:/run/thanos\\-fcgi/thanos\\-fcgi.sock \\e\n"
	"    \\-\\-listen.mode 0660 \\-\\-threads 16 \\e\n"
	"    \\-\\-upstream http://127.0.0.1:10902 \\-\\-web.route\\-prefix /thanos\n"
	".fi\n"
	".RE\n"
	".PP\n"
	"Prometheus (which serves /metrics under its route prefix) as a CGI\n"
	"program, settings from the environment:\n"
	".PP\n"
	".RS\n"
	".nf\n"
	"SetEnv THANOS_FCGI_UPSTREAM http://127.0.0.1:9090\n"
	"SetEnv THANOS_FCGI_ROUTE_PREFIX /thanos\n"
	"SetEnv THANOS_FCGI_ROOT_PATHS \"\"\n"
	".fi\n"
	".RE\n"
	".SH SEE ALSO\n"
	".BR spawn\\-fcgi (1),\n"
	".BR lighttpd (8),\n"
	".BR nginx (8),\n"
	".BR apache2 (8),\n"
	".BR systemd.socket (5)\n"
	".PP\n"
	"The README in the documentation directory: how the prefix is\n"
	"derived, each web server's limits, security and errors.\n";

static const char *shown_default(const struct opt *o)
{
	if (o->shown != NULL)
		return o->shown;
	return o->def != NULL ? o->def : "none";
}

/* One option: ".TP", the flag line, the help, then env and default. */
static void man_opt(FILE *fp, const struct opt *o)
{
	fputs(".TP\n\\fB\\-\\-", fp);
	roff_text(fp, o->name);
	fputs(o->type == T_BOOL ? "\\fR[=\\fI" : "\\fR=\\fI", fp);
	roff_text(fp, o->arg);
	fputs(o->type == T_BOOL ? "\\fR]" : "\\fR", fp);
	if (o->type == T_LIST)
		fputs(" (repeatable)", fp);
	fputc('\n', fp);
	roff_text(fp, o->help);
	fputs(".\n.br\nEnvironment \\fB", fp);
	roff_text(fp, o->env);
	fputs("\\fR", fp);
	if (!(o->flags & O_REQUEST))
		fputs(" (process only)", fp);
	fputs("; default ", fp);
	roff_text(fp, shown_default(o));
	fputs(".\n", fp);
}

void conf_man(void *file)
{
	FILE *fp = file;

	fputs(man_head, fp);
	for (size_t i = 0; i < conf_n_opts; i++)
		man_opt(fp, &conf_opts[i]);
	fputs(man_tail, fp);
}
