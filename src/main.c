/*
 * thanos-fcgi: serve Thanos (or anything with --web.route-prefix) on a
 * sub-path of any web server that runs CGI or FastCGI programs.
 *
 * main: read the configuration, then run as one of
 *   - FastCGI on our own socket (--listen),
 *   - FastCGI on fd 0 (spawn-fcgi, mod_fcgid, lighttpd bin-path, systemd),
 *   - plain CGI (one request from the environment, then exit).
 */
#include "config.h"

#include <curl/curl.h>
#include <fcgiapp.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"
#include "buf.h"
#include "check_cmd.h"
#include "cgi.h"
#include "clock.h"
#include "conf.h"
#include "fcgi.h"
#include "listen.h"
#include "log.h"
#include "metrics.h"
#include "stopsig.h"
#include "tenant.h"
#include "upstream.h"

extern char **environ;

static void print_version(void)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	printf("thanos-fcgi %s\n", PACKAGE_VERSION);
	printf("libcurl %s (%s)\n", v->version, v->ssl_version ? v->ssl_version : "no TLS");
	printf("%s\n", OpenSSL_version(OPENSSL_VERSION));
	printf("libfcgi %s\n", FCGI_VERSION_STRING);
}

/* 1 when this process is a CGI request: a web server's CGI environment
 * and no FastCGI socket on fd 0. */
static int is_cgi(void)
{
	return (getenv("GATEWAY_INTERFACE") != NULL || getenv("REQUEST_METHOD") != NULL) &&
	       FCGX_IsCGI();
}

/* --log.format, as soon as it is known: even a start that fails on a later
 * setting logs in the chosen format. */
static void log_use_format(const struct conf *c)
{
	enum log_format f;

	if (c->log_format != NULL && logline_parse_format(c->log_format, &f) == 0)
		log_set_format(f);
}

/* 1 when this process serves FastCGI (--listen, or a socket on fd 0): the
 * start-up check runs in it; a CGI process lives for one request. */
static int is_fastcgi(const struct conf *c)
{
	return (c->listen != NULL && *c->listen != '\0') || !FCGX_IsCGI();
}

/* A setting that stops the start: logged; a CGI request is answered too. */
static void start_failed(int cgi, const char *err)
{
	log_msg(LOG_ERR, "%s", err);
	if (cgi)
		cgi_fail(err);
}

/*
 * curl_global_init, after OpenSSL's own start for a CGI process: no clean-up
 * at exit (the process ends with the request) and, when nothing in it can
 * speak TLS (no https upstream, no proxy), no configuration file, error
 * strings or cipher and digest tables either: 1.8 of the 2.1 million
 * instructions of a small CGI request.  libcurl's OPENSSL_init_ssl then
 * finds that part done.  Returns 0, or -1 when libcurl cannot start.
 */
static int libs_init(const struct conf *c, int cgi)
{
	uint64_t lean = OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_LOAD_SSL_STRINGS |
			OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS | OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
			OPENSSL_INIT_NO_ADD_ALL_DIGESTS;

	if (cgi && c->listen == NULL)
		OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT |
					 (upstream_needs_tls(c->upstream, c->proxy) ? 0 : lean),
				 NULL);
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

/* Prints --help or --version when c asks for one; 1 when it did, else 0. */
static int answer_action(const struct conf *c)
{
	if (c->action == CONF_HELP) {
		conf_help(stdout);
		return 1;
	}
	if (c->action == CONF_VERSION) {
		print_version();
		return 1;
	}
	return 0;
}

/* Serves FastCGI on --listen or fd 0, or one CGI request; the exit status (2: cannot). */
static int serve(const struct conf *c, struct upstream_pool *pool, int cgi)
{
	char err[512];
	int fd;

	/* before the socket is open or libfcgi's probe (FCGX_IsCGI) installs
	 * its handlers: a SIGTERM from then on stops us gracefully */
	stopsig_hold();
	if (c->listen != NULL && *c->listen != '\0') {
		fd = listen_open(c, err, sizeof(err));
		if (fd < 0) {
			log_msg(LOG_ERR, "%s", err);
			return 2;
		}
		log_msg(LOG_INFO, "listening on %s, %ld thread(s), upstream %s",
			c->listen, c->threads, c->upstream);
		return fcgi_run(c, pool, fd);
	}
	if (!FCGX_IsCGI())
		return fcgi_run(c, pool, 0);
	if (cgi) {
		/* libfcgi's probe installed a SIGTERM handler that only sets a
		 * flag: a CGI program must die when its server says so. */
		signal(SIGTERM, SIG_DFL);
		stopsig_release();
		return cgi_run(c, pool, environ);
	}
	log_msg(LOG_ERR, "not started by a web server: no FastCGI socket on fd 0, "
			 "no CGI environment and no --listen (see --help)");
	return 2;
}

/* Reads --tenant.map once at start: a bad line stops us with FILE:LINE.
 * 0, or -1 with err. */
static int tenant_preload(const struct conf *c, char *err, size_t errlen)
{
	struct buf b;
	int rc;

	if (c->tenant_map == NULL)
		return 0;
	buf_init(&b, 4096);
	rc = tenant_for(c->tenant_map, NULL, clock_now_ms() / 1000, &b, err, errlen);
	buf_free(&b);
	return rc < 0 ? -1 : 0;
}

/* The replicas, the metrics, the start-up check, then the requests until
 * the end.  Returns the exit status. */
static int run(const struct conf *c, int cgi)
{
	struct upstream_pool pool;
	struct check_bg *bg;
	char err[512];
	int rc = 2;

	if (upstream_pool_init(&pool, c->upstream, err, sizeof(err)) != 0) {
		start_failed(cgi && c->listen == NULL, err);
		return rc;
	}
	if (metrics_init(c, &pool, err, sizeof(err)) != 0) {
		start_failed(cgi && c->listen == NULL, err);
	} else {
		upstream_log_config(c);
		bg = is_fastcgi(c) ? check_bg_start(c) : NULL;
		rc = serve(c, &pool, cgi);
		check_bg_stop(bg);
		metrics_close();
	}
	upstream_pool_free(&pool);
	return rc;
}

int main(int argc, char **argv)
{
	struct conf c;
	char err[512];
	int rc = 2, cgi, loaded;

	signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && strcmp(argv[1], "check") == 0)
		return check_main(argc - 1, argv + 1, environ);
	cgi = is_cgi();
	loaded = (cgi ? conf_load_cgi : conf_load)(&c, argc, argv, environ, err, sizeof(err));
	log_use_format(&c);
	if (loaded != 0 || tenant_preload(&c, err, sizeof(err)) != 0) {
		start_failed(cgi, err);
		goto out;
	}
	if (answer_action(&c)) {
		rc = 0;
		goto out;
	}
	log_set_level((enum log_level)c.log_level);
	log_set_access(c.log_access);
	if (libs_init(&c, cgi) != 0) {
		log_msg(LOG_ERR, "curl_global_init failed");
		rc = 1;
		goto out;
	}
	rc = run(&c, cgi);
	curl_global_cleanup();
out:
	conf_free(&c);
	return rc;
}
