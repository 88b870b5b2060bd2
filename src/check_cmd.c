/* check_cmd: the check subcommand and the start-up check; see check_cmd.h. */
#include "check_cmd.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check_out.h"
#include "check_probe.h"
#include "check_url.h"
#include "log.h"
#include "status.h"

/* What the subcommand takes besides the run's options. */
struct args {
	int json;
	const char *url; /* --url, NULL: none */
	int help;
	int argc;        /* the rest, for conf_load */
	char **argv;
};

static void usage(FILE *f)
{
	fputs("usage: thanos-fcgi check [--format text|json] [--url https://HOST/PREFIX/] "
	      "[options]\n"
	      "Probes every --upstream with the settings a run would use (the same options,\n"
	      "THANOS_FCGI_* environment and --config file; see thanos-fcgi --help) and\n"
	      "prints one line per finding with the flag to change.  --url also asks the\n"
	      "public URL through the web server (the adapter there needs --web.check-token).\n"
	      "Exit status: 0 everything right, 1 something to fix, 2 bad settings.\n", f);
}

/* The value of --name VALUE or --name=VALUE at argv[*i]; NULL when argv[*i]
 * is not that flag.  *bad is set when the value is missing. */
static const char *own_flag(int argc, char **argv, int *i, const char *name, int *bad)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*bad = 1;
		return NULL;
	}
	return argv[++*i];
}

/* Splits argv into the subcommand's flags and the rest; 0 or -1 with err. */
static int args_read(int argc, char **argv, struct args *a, char *err, size_t errlen)
{
	const char *v;
	int bad = 0;

	memset(a, 0, sizeof(*a));
	a->argv = xmalloc(((size_t)argc + 1) * sizeof(*a->argv));
	a->argv[a->argc++] = argv[0];
	for (int i = 1; i < argc && !bad; i++) {
		if ((v = own_flag(argc, argv, &i, "--format", &bad)) != NULL) {
			if (strcmp(v, "json") != 0 && strcmp(v, "text") != 0)
				return status_errf(err, errlen, "--format: want text or json, not '%s'", v);
			a->json = strcmp(v, "json") == 0;
		} else if ((v = own_flag(argc, argv, &i, "--url", &bad)) != NULL) {
			a->url = v;
		} else if (!bad && (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)) {
			a->help = 1;
		} else if (!bad) {
			a->argv[a->argc++] = argv[i];
		}
	}
	a->argv[a->argc] = NULL;
	if (bad)
		return status_errf(err, errlen, "--format and --url take a value");
	return 0;
}

/* The report with E from --url when no --web.external-prefix names it;
 * 0, or -1 with err. */
static int report(const struct conf *c, const struct args *a, struct check_report *rep,
		  char *err, size_t errlen)
{
	struct conf cc = *c;
	struct buf e;
	int rc, from_url = 0;

	buf_init(&e, 4096);
	if (a->url != NULL && c->external_prefix == NULL) {
		if (check_url_prefix(a->url, &e) != 0) {
			buf_free(&e);
			memset(rep, 0, sizeof(*rep));
			return status_errf(err, errlen, "--url: not an http(s) URL: '%s'", a->url);
		}
		cc.external_prefix = buf_str(&e);
		from_url = 1;
	}
	rc = check_run(&cc, rep, NULL, err, errlen);
	rep->e_from_url = from_url;
	rep->r_assumed = rep->r_assumed || (from_url && c->route_prefix == NULL);
	if (rc == 0 && a->url != NULL)
		rc = check_url_run(c, a->url, rep, err, errlen);
	buf_free(&e);
	return rc;
}

/* Probes, prints; the exit status. */
static int check_print(const struct conf *c, const struct args *a)
{
	struct check_report rep;
	char err[512];
	int bad;

	if (report(c, a, &rep, err, sizeof(err)) != 0) {
		fprintf(stderr, "thanos-fcgi check: %s\n", err);
		check_report_free(&rep);
		return 2;
	}
	if (a->json)
		check_print_json(stdout, &rep);
	else
		check_print_text(stdout, &rep);
	bad = check_report_bad(&rep);
	check_report_free(&rep);
	return bad ? 1 : 0;
}

int check_main(int argc, char **argv, char **envp)
{
	struct args a;
	struct conf c;
	char err[512];
	int rc = 2;

	memset(&c, 0, sizeof(c));
	if (args_read(argc, argv, &a, err, sizeof(err)) != 0 ||
	    conf_load(&c, a.argc, a.argv, envp, err, sizeof(err)) != 0) {
		fprintf(stderr, "thanos-fcgi check: %s\n", err);
		goto out;
	}
	if (a.help || c.action != CONF_RUN) {
		usage(stdout);
		rc = 0;
		goto out;
	}
	log_set_level(LOG_ERR);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "thanos-fcgi check: curl_global_init failed\n");
		goto out;
	}
	rc = check_print(&c, &a);
	curl_global_cleanup();
out:
	conf_free(&c);
	free(a.argv);
	return rc;
}

/* ---- the start-up check --------------------------------------------------- */

#define BG_STRINGS 12

struct check_bg {
	pthread_t tid;
	_Atomic int stop;
	struct conf c;                /* strings point into own[] */
	char *own[BG_STRINGS];
};

/* The string fields the check reads, copied. */
static void bg_copy(struct check_bg *bg, const struct conf *c)
{
	const char **f[BG_STRINGS] = {
		&bg->c.upstream, &bg->c.root_paths, &bg->c.proxy, &bg->c.route_prefix,
		&bg->c.external_prefix, &bg->c.prefix_header, &bg->c.tenant_header,
		&bg->c.tls_ca_file, &bg->c.tls_cert_file, &bg->c.tls_key_file,
		&bg->c.tls_server_name, &bg->c.tls_min_version};

	bg->c = *c;
	bg->c.owned = NULL;
	for (size_t i = 0; i < BG_STRINGS; i++) {
		bg->own[i] = *f[i] != NULL ? xstrdup(*f[i]) : NULL;
		*f[i] = bg->own[i];
	}
}

static void *bg_main(void *ud)
{
	struct check_bg *bg = ud;
	struct check_report rep;
	char err[512];

	log_msg(LOG_INFO, "check: probing the upstream(s) of the process settings in the "
		"background (a mount's own THANOS_FCGI_* parameters: run `thanos-fcgi check` "
		"with them)");
	if (check_run(&bg->c, &rep, &bg->stop, err, sizeof(err)) != 0)
		log_msg(LOG_WARN, "check: %s", err);
	else if (!bg->stop)
		check_log(&rep);
	check_report_free(&rep);
	return NULL;
}

struct check_bg *check_bg_start(const struct conf *c)
{
	struct check_bg *bg;

	if (!c->check_on_start)
		return NULL;
	bg = xmalloc(sizeof(*bg));
	memset(bg, 0, sizeof(*bg));
	bg_copy(bg, c);
	if (pthread_create(&bg->tid, NULL, bg_main, bg) != 0) {
		log_msg(LOG_WARN, "check: no thread for the start-up check: skipped");
		for (size_t i = 0; i < BG_STRINGS; i++)
			free(bg->own[i]);
		free(bg);
		return NULL;
	}
	return bg;
}

void check_bg_stop(struct check_bg *bg)
{
	if (bg == NULL)
		return;
	bg->stop = 1;
	pthread_join(bg->tid, NULL);
	for (size_t i = 0; i < BG_STRINGS; i++)
		free(bg->own[i]);
	free(bg);
}
