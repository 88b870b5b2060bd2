/*
 * conf: every setting of thanos-fcgi.  One static table (conf.c) drives the
 * command-line flags, the THANOS_FCGI_* environment names, the keys of the
 * `key = value` config file, the per-request THANOS_FCGI_* parameters,
 * --help and the README reference.
 *
 * Precedence: flag, then environment, then config file, then default.
 * Strings point into argv, the environment, request parameters or memory
 * owned by the conf (config file values); conf_free() releases the latter.
 */
#ifndef THANOS_FCGI_CONF_H
#define THANOS_FCGI_CONF_H

#include <stddef.h>
#include <stdint.h>

enum conf_action { CONF_RUN = 0, CONF_HELP, CONF_VERSION };

struct conf {
	/* where to send requests */
	const char *upstream;        /* comma-separated URLs, never NULL */
	const char *root_paths;      /* comma-separated sub-paths, "" none */
	const char *proxy;           /* explicit proxy URL for upstream, "" none */
	/* prefixes (raw as configured; normalise with prefix_normalize) */
	const char *route_prefix;    /* NULL: same as the external prefix */
	const char *external_prefix; /* NULL: derived per request */
	const char *external_url;    /* NULL: Locations stay path-only */
	const char *prefix_header;   /* "" : none */
	/* who may see what */
	const char *tenant_header;   /* "" : off; else REMOTE_USER's tenant */
	const char *tenant_map;      /* "user tenant" file, NULL: the user */
	int read_only;               /* 1: only what reading needs (gate.c) */
	const char *deny_paths;      /* comma-separated globs on T, "" none */
	const char *check_token;     /* diag.h's answer, NULL: off */
	/* how to run */
	const char *listen;          /* NULL: fd 0 or CGI */
	const char *listen_mode;     /* octal mode of a unix socket, NULL: umask */
	const char *listen_group;    /* group of a unix socket, NULL: ours */
	int64_t client_timeout_ms;   /* a read or write toward the web server */
	const char *config;          /* config file path or NULL */
	long threads;                /* worker threads per process, >= 1 */
	long backlog;                /* listen(2) backlog for --listen */
	int64_t shutdown_grace_ms;   /* SIGTERM: wait this long for requests */
	int log_level;               /* enum log_level */
	const char *log_format;      /* "logfmt" or "json" */
	int log_access;              /* 1: an access line per request */
	const char *metrics_path;    /* sub-path T of our metrics, "" off */
	const char *metrics_file;    /* shared counters file, NULL: our memory */
	int check_on_start;          /* 1: a FastCGI process runs the check once */
	/* timeouts, milliseconds, 0 = none */
	int64_t timeout_connect_ms;
	int64_t timeout_first_byte_ms;
	int64_t timeout_idle_ms;
	int64_t timeout_total_ms;
	int64_t down_backoff_ms;     /* how long a failed replica is skipped */
	/* TLS to the upstream */
	const char *tls_ca_file;     /* NULL: system store */
	const char *tls_cert_file;   /* client certificate (mTLS) */
	const char *tls_key_file;
	const char *tls_server_name; /* expected name, NULL: the URL's host */
	const char *tls_min_version; /* "1.2" or "1.3" */
	int tls_insecure;            /* 1: do not verify (logged at start) */
	int error_detail;            /* 1: a 5xx answer carries its cause */
	/* limits */
	uint64_t max_body_size;      /* request body, bytes, 0 = unlimited */
	uint64_t max_uri_size;       /* REQUEST_URI length */
	uint64_t max_header_size;    /* all request headers together */
	uint64_t max_upstream_header_size; /* upstream header block */

	enum conf_action action;     /* set by --help / --version */
	void *owned;                 /* config file strings; conf_free() */
};

/*
 * Fills c from defaults, then the config file (--config or
 * THANOS_FCGI_CONFIG), then envp, then argv (argv[0] is the program).
 * Returns 0, or -1 with one line in err (no newline) naming the option and
 * what is wrong: "--upstream.timeout.connect: bad duration 'x'"; for the
 * config file "FILE:LINE: unknown key 'x'".  On -1, c must still be
 * conf_free()d.
 */
int conf_load(struct conf *c, int argc, char *const argv[],
	      char *const envp[], char *err, size_t errlen);

/* conf_load for a CGI request: envp is the request's environment, so an
 * unknown THANOS_FCGI_ name (a typo in SetEnv) is an error, not a warning. */
int conf_load_cgi(struct conf *c, int argc, char *const argv[],
		  char *const envp[], char *err, size_t errlen);

/*
 * Per-request overrides: params holds the request's parameters (NAME=VALUE).
 * Those named THANOS_FCGI_* for request-scoped options (everything except
 * listen, config, threads, backlog, shutdown grace, log options) override base.
 * Returns 0 when params name none (out untouched: use base), 1 when out
 * holds base plus the overrides (strings point into params), -1 with err
 * on a bad value or an unknown THANOS_FCGI_ name.
 */
int conf_overlay(const struct conf *base, char *const params[],
		 struct conf *out, char *err, size_t errlen);

/* Writes the --help text: every option with its env name and default. */
void conf_help(void *file /* FILE * */);

/* Writes the option reference as a Markdown table (for the README). */
void conf_markdown(void *file /* FILE * */);

/* Writes the manual page thanos-fcgi(8) in roff, its OPTIONS from the
 * table (conf_man.c; kept as doc/thanos-fcgi.8). */
void conf_man(void *file /* FILE * */);

/* Releases what conf_load allocated. NULL-safe. */
void conf_free(struct conf *c);

#endif
