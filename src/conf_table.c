/* conf_table: the option table; see conf_table.h and conf.h. */
#include "conf_table.h"

#include "conf.h"
#include "logline.h"
#include "units.h"

#define OFF(field) offsetof(struct conf, field)
#define REQ O_REQUEST

const struct opt conf_opts[] = {
	{"upstream", "THANOS_FCGI_UPSTREAM", T_LIST, REQ | O_NONEMPTY,
	 OFF(upstream), "http://127.0.0.1:10902", NULL, "URL[,URL...]", 0, 0,
	 units_check_upstream,
	 "Thanos Query URL, http(s)://host:port or unix:/path; several: "
	 "replicas"},
	{"upstream.root-path", "THANOS_FCGI_ROOT_PATHS", T_LIST, REQ,
	 OFF(root_paths), "/metrics,/-/healthy,/-/ready", NULL,
	 "PATH[,PATH...]", 0, 0, units_check_path,
	 "sub-path served at the upstream's root (set it empty for "
	 "Prometheus)"},
	{"upstream.proxy", "THANOS_FCGI_UPSTREAM_PROXY", T_STRING, REQ,
	 OFF(proxy), "", "none", "URL", 0, 0, units_check_plain,
	 "proxy for upstream requests (http_proxy and the like are never "
	 "used)"},
	{"web.route-prefix", "THANOS_FCGI_ROUTE_PREFIX", T_STRING, REQ,
	 OFF(route_prefix), NULL, "the external prefix", "PATH", 0, 0,
	 units_check_path,
	 "prefix the upstream serves under (its --web.route-prefix)"},
	{"web.external-prefix", "THANOS_FCGI_EXTERNAL_PREFIX", T_STRING, REQ,
	 OFF(external_prefix), NULL, "derived per request", "PATH", 0, 0,
	 units_check_path,
	 "public prefix, when it cannot be derived from the request"},
	{"web.external-url", "THANOS_FCGI_EXTERNAL_URL", T_STRING,
	 REQ | O_EMPTY_NULL, OFF(external_url), NULL,
	 "none (path-only Locations)", "URL", 0, 0, units_check_origin,
	 "public origin (https://host) for absolute Location headers"},
	{"web.prefix-header", "THANOS_FCGI_PREFIX_HEADER", T_STRING, REQ,
	 OFF(prefix_header), "X-Forwarded-Prefix", NULL, "NAME", 0, 0,
	 units_check_header, "header that carries the public prefix upstream "
	 "(empty: none)"},
	{"tenant.header", "THANOS_FCGI_TENANT_HEADER", T_STRING, REQ,
	 OFF(tenant_header), "", "off", "NAME", 0, 0, units_check_header,
	 "header that carries the tenant, REMOTE_USER or its --tenant.map "
	 "value (the client's own is dropped; no login: 403)"},
	{"tenant.map", "THANOS_FCGI_TENANT_MAP", T_STRING, REQ | O_EMPTY_NULL,
	 OFF(tenant_map), NULL, "none (the user is the tenant)", "FILE", 0, 0,
	 NULL, "file of `user tenant` lines, `*` the default; re-read when "
	 "it changes"},
	{"web.read-only", "THANOS_FCGI_READ_ONLY", T_BOOL, REQ, OFF(read_only),
	 "false", NULL, "BOOL", 0, 0, NULL,
	 "only GET, HEAD, OPTIONS and POST to the query endpoints; admin API, "
	 "lifecycle, writes: 403"},
	{"web.deny-path", "THANOS_FCGI_DENY_PATHS", T_LIST, REQ,
	 OFF(deny_paths), "", "none", "PATTERN[,PATTERN...]", 0, 0, NULL,
	 "upstream sub-paths refused with 403 (shell globs, `*` crosses `/`)"},
	{"web.check-token", "THANOS_FCGI_WEB_CHECK_TOKEN", T_STRING,
	 REQ | O_EMPTY_NULL, OFF(check_token), NULL, "none (off)", "TOKEN", 0,
	 0, units_check_plain,
	 "lets `thanos-fcgi check --url` with the same token see what the web "
	 "server passes: E/-/thanos-fcgi/check is answered by the adapter "
	 "(values derived from the request, no secret)"},
	{"listen", "THANOS_FCGI_LISTEN", T_STRING, O_EMPTY_NULL, OFF(listen),
	 NULL, "none (fd 0, or CGI)", "ADDR", 0, 0, units_check_listen,
	 "own FastCGI socket, host:port or unix:/path (no spawner needed)"},
	{"listen.backlog", "THANOS_FCGI_LISTEN_BACKLOG", T_LONG, 0,
	 OFF(backlog), "1024", NULL, "N", 1, 65535, NULL,
	 "listen(2) backlog for --listen"},
	{"listen.mode", "THANOS_FCGI_LISTEN_MODE", T_STRING, O_EMPTY_NULL,
	 OFF(listen_mode), NULL, "the umask's", "MODE", 0, 0, units_check_mode,
	 "file mode of a unix --listen socket, octal (0660)"},
	{"listen.group", "THANOS_FCGI_LISTEN_GROUP", T_STRING, O_EMPTY_NULL,
	 OFF(listen_group), NULL, "ours", "GROUP", 0, 0, units_check_plain,
	 "group (name or number) of a unix --listen socket, e.g. www-data"},
	{"client.timeout.idle", "THANOS_FCGI_CLIENT_TIMEOUT_IDLE", T_DURATION,
	 0, OFF(client_timeout_ms), "5m", NULL, "DURATION", 0, 0, NULL,
	 "longest a read or write toward the web server may wait (the "
	 "FastCGI connection is closed after; 0: none)"},
	{"config", "THANOS_FCGI_CONFIG", T_STRING, O_EMPTY_NULL, OFF(config),
	 NULL, "none", "FILE", 0, 0, NULL,
	 "file of `key = value` lines, keys are the flag names"},
	{"threads", "THANOS_FCGI_THREADS", T_LONG, 0, OFF(threads), "1", NULL,
	 "N", 1, 256, NULL, "worker threads per process"},
	{"shutdown.grace", "THANOS_FCGI_SHUTDOWN_GRACE", T_DURATION, 0,
	 OFF(shutdown_grace_ms), "30s", NULL, "DURATION", 0, 0, NULL,
	 "on SIGTERM, time running requests get to finish"},
	{"log.level", "THANOS_FCGI_LOG_LEVEL", T_LEVEL, 0, OFF(log_level),
	 "info", NULL, "LEVEL", 0, 0, NULL, "error, warn, info or debug; "
	 "debug logs each request's E, T, upstream URL, status, bytes, time"},
	{"log.format", "THANOS_FCGI_LOG_FORMAT", T_STRING, 0, OFF(log_format),
	 "logfmt", NULL, "FORMAT", 0, 0, logline_check_format,
	 "logfmt (as Thanos writes) or json, one line per message on stderr"},
	{"log.access", "THANOS_FCGI_LOG_ACCESS", T_BOOL, 0, OFF(log_access),
	 "false", NULL, "BOOL", 0, 0, NULL,
	 "one access line per request on stderr (msg=access), whatever "
	 "--log.level"},
	{"web.metrics-path", "THANOS_FCGI_METRICS_PATH", T_STRING, 0,
	 OFF(metrics_path), "", "off", "PATH", 0, 0, units_check_path,
	 "sub-path (after the mount) where the adapter answers its own "
	 "metrics, never forwarded: /-/thanos-fcgi/metrics"},
	{"metrics.file", "THANOS_FCGI_METRICS_FILE", T_STRING, O_EMPTY_NULL,
	 OFF(metrics_file), NULL, "none (this process's memory)", "FILE", 0,
	 0, NULL, "counters file shared by every process of a pool (created "
	 "when missing): one scrape shows the pool's totals; CGI needs it"},
	{"check.on-start", "THANOS_FCGI_CHECK_ON_START", T_BOOL, 0,
	 OFF(check_on_start), "true", NULL, "BOOL", 0, 0, NULL,
	 "a FastCGI process runs `thanos-fcgi check` once at start, in the "
	 "background, and logs what is wrong as warnings (not in CGI mode)"},
	{"upstream.timeout.connect", "THANOS_FCGI_UPSTREAM_TIMEOUT_CONNECT",
	 T_DURATION, REQ, OFF(timeout_connect_ms), "5s", NULL, "DURATION", 0,
	 0, NULL, "time allowed to connect (504 after; 0: none)"},
	{"upstream.timeout.first-byte",
	 "THANOS_FCGI_UPSTREAM_TIMEOUT_FIRST_BYTE", T_DURATION, REQ,
	 OFF(timeout_first_byte_ms), "5m", NULL, "DURATION", 0, 0, NULL,
	 "time allowed until the answer starts (504 after; 0: none)"},
	{"upstream.timeout.idle", "THANOS_FCGI_UPSTREAM_TIMEOUT_IDLE",
	 T_DURATION, REQ, OFF(timeout_idle_ms), "5m", NULL, "DURATION", 0, 0,
	 NULL, "longest silence in either direction (504 or abort after; "
	 "0: none)"},
	{"upstream.timeout.total", "THANOS_FCGI_UPSTREAM_TIMEOUT_TOTAL",
	 T_DURATION, REQ, OFF(timeout_total_ms), "30m", NULL, "DURATION", 0,
	 0, NULL, "time allowed for the whole exchange (504 or abort after; "
	 "0: none)"},
	{"upstream.down-backoff", "THANOS_FCGI_UPSTREAM_DOWN_BACKOFF",
	 T_DURATION, REQ, OFF(down_backoff_ms), "10s", NULL, "DURATION", 0, 0,
	 NULL, "how long a replica that failed is skipped"},
	{"upstream.tls.ca-file", "THANOS_FCGI_UPSTREAM_TLS_CA_FILE", T_STRING,
	 REQ | O_EMPTY_NULL, OFF(tls_ca_file), NULL, "the system store",
	 "FILE", 0, 0, NULL, "CA certificates (PEM) to verify the upstream"},
	{"upstream.tls.cert-file", "THANOS_FCGI_UPSTREAM_TLS_CERT_FILE",
	 T_STRING, REQ | O_EMPTY_NULL, OFF(tls_cert_file), NULL, "none",
	 "FILE", 0, 0, NULL, "client certificate (PEM) for mutual TLS"},
	{"upstream.tls.key-file", "THANOS_FCGI_UPSTREAM_TLS_KEY_FILE",
	 T_STRING, REQ | O_EMPTY_NULL, OFF(tls_key_file), NULL, "none", "FILE",
	 0, 0, NULL, "client key (PEM) for mutual TLS"},
	{"upstream.tls.server-name", "THANOS_FCGI_UPSTREAM_TLS_SERVER_NAME",
	 T_STRING, REQ | O_EMPTY_NULL, OFF(tls_server_name), NULL,
	 "the URL's host", "NAME", 0, 0, units_check_plain,
	 "name expected in the upstream's certificate"},
	{"upstream.tls.min-version", "THANOS_FCGI_UPSTREAM_TLS_MIN_VERSION",
	 T_STRING, REQ, OFF(tls_min_version), "1.2", NULL, "VERSION", 0, 0,
	 units_check_tls_version, "lowest TLS version to the upstream"},
	{"upstream.tls.insecure-skip-verify",
	 "THANOS_FCGI_UPSTREAM_TLS_INSECURE_SKIP_VERIFY", T_BOOL, REQ,
	 OFF(tls_insecure), "false", NULL, "BOOL", 0, 0, NULL,
	 "do not verify the upstream's certificate (logged at start)"},
	{"web.error-detail", "THANOS_FCGI_ERROR_DETAIL", T_BOOL, REQ,
	 OFF(error_detail), "false", NULL, "BOOL", 0, 0, NULL,
	 "send the cause of a 502 or 504 (upstream URL, libcurl's error) to "
	 "the client, not only to the log"},
	{"limits.max-body-size", "THANOS_FCGI_LIMITS_MAX_BODY_SIZE", T_SIZE,
	 REQ, OFF(max_body_size), "16MiB", NULL, "SIZE", 0, 0, NULL,
	 "largest request body (413 after; 0: unlimited)"},
	{"limits.max-uri-size", "THANOS_FCGI_LIMITS_MAX_URI_SIZE", T_SIZE,
	 REQ | O_NONZERO, OFF(max_uri_size), "8KiB", NULL, "SIZE", 0, 0, NULL,
	 "longest request URI (414 after)"},
	{"limits.max-header-size", "THANOS_FCGI_LIMITS_MAX_HEADER_SIZE",
	 T_SIZE, REQ | O_NONZERO, OFF(max_header_size), "64KiB", NULL, "SIZE",
	 0, 0, NULL, "all request headers together (431 after)"},
	{"limits.max-upstream-header-size",
	 "THANOS_FCGI_LIMITS_MAX_UPSTREAM_HEADER_SIZE", T_SIZE,
	 REQ | O_NONZERO, OFF(max_upstream_header_size), "64KiB", NULL,
	 "SIZE", 0, 0, NULL,
	 "largest header block from the upstream (502 after)"},
};

#define N_OPTS (sizeof(conf_opts) / sizeof(conf_opts[0]))
_Static_assert(N_OPTS <= CONF_MAX_OPTS, "conf_opts has more entries than CONF_MAX_OPTS");
const size_t conf_n_opts = N_OPTS;
