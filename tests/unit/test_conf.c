/*
 * Unit tests for conf.c: every option by flag, environment, config file and
 * request parameter; precedence; lists; errors; --help and the Markdown
 * table.  Tables are driven by tcase_add_loop_test: a failure names the row.
 */
#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "check_main.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define OFF(field) offsetof(struct conf, field)

/* How to read the field at an offset of struct conf. */
enum kind { K_STR, K_LONG, K_I64, K_U64, K_INT };

struct want {
	size_t off;
	enum kind kind;
	const char *str; /* K_STR; NULL: the field must be NULL */
	long long num;   /* the others */
};

static void check_field(int row, const char *what, const struct conf *c,
			const struct want *w)
{
	const char *p = (const char *)c + w->off;
	long long got = 0;

	if (w->kind == K_STR) {
		const char *s = *(const char *const *)(const void *)p;
		if (w->str == NULL)
			ck_assert_msg(s == NULL, "row %d (%s): got '%s', want NULL",
				      row, what, s);
		else
			ck_assert_msg(s != NULL && strcmp(s, w->str) == 0,
				      "row %d (%s): got '%s', want '%s'", row,
				      what, s ? s : "(null)", w->str);
		return;
	}
	switch (w->kind) {
	case K_LONG:
		got = *(const long *)(const void *)p;
		break;
	case K_I64:
		got = *(const int64_t *)(const void *)p;
		break;
	case K_U64:
		got = (long long)*(const uint64_t *)(const void *)p;
		break;
	case K_INT:
		got = *(const int *)(const void *)p;
		break;
	case K_STR:
		break;
	}
	ck_assert_msg(got == w->num, "row %d (%s): got %lld, want %lld", row,
		      what, got, w->num);
}

/* A temporary file holding content; path gets its name. */
static void write_file(char path[64], const char *content)
{
	static const char tmpl[] = "/tmp/test_conf.XXXXXX";
	size_t n = strlen(content);
	int fd;

	memcpy(path, tmpl, sizeof(tmpl));
	fd = mkstemp(path);
	ck_assert_msg(fd >= 0, "mkstemp failed");
	ck_assert_msg(write(fd, content, n) == (ssize_t)n, "write failed");
	close(fd);
}

/* dst = s with every '@' replaced by path. */
static const char *subst(char *dst, size_t n, const char *s, const char *path)
{
	size_t len = 0;

	for (; *s != '\0'; s++) {
		const char *add = *s == '@' ? path : s;
		size_t k = *s == '@' ? strlen(path) : 1;

		ck_assert_msg(len + k < n, "test string too long");
		memcpy(dst + len, add, k);
		len += k;
	}
	dst[len] = '\0';
	return dst;
}

/* Room for the argv, envp and file of one row. */
struct run {
	char path[64];
	char store[16][512];
	char *argv[10];
	char *envp[8];
	char err[512];
	struct conf c;
	int rc;
};

#define MAXARGS 8
#define MAXENV 6

/* conf_load with args (after argv[0]) and env, '@' being the file. */
static void run_load(struct run *r, const char *const args[MAXARGS],
		     const char *const env[MAXENV], const char *file)
{
	int s = 0, n = 0;

	r->path[0] = '\0';
	if (file != NULL)
		write_file(r->path, file);
	r->argv[n++] = (char *)"thanos-fcgi";
	for (int i = 0; i < MAXARGS && args[i] != NULL; i++, s++)
		r->argv[n++] = (char *)subst(r->store[s], sizeof(r->store[s]),
					     args[i], r->path);
	r->argv[n] = NULL;
	n = 0;
	for (int i = 0; i < MAXENV && env[i] != NULL; i++, s++)
		r->envp[n++] = (char *)subst(r->store[s], sizeof(r->store[s]),
					     env[i], r->path);
	r->envp[n] = NULL;
	r->err[0] = '\0';
	for (n = 0; r->argv[n] != NULL; n++)
		;
	r->rc = conf_load(&r->c, n, r->argv, r->envp, r->err, sizeof(r->err));
	if (file != NULL)
		unlink(r->path);
}

/* ---- every option, from each source ---- */

static const struct {
	const char *flag, *env, *value;
	struct want want;
	int req;    /* request-scoped */
	int nofile; /* not allowed in the config file */
} opt_cases[] = {
	{"upstream", "THANOS_FCGI_UPSTREAM", "https://q.example:10902",
	 {OFF(upstream), K_STR, "https://q.example:10902", 0}, 1, 0},
	{"upstream.root-path", "THANOS_FCGI_ROOT_PATHS", "/metrics",
	 {OFF(root_paths), K_STR, "/metrics", 0}, 1, 0},
	{"upstream.proxy", "THANOS_FCGI_UPSTREAM_PROXY", "http://proxy:3128",
	 {OFF(proxy), K_STR, "http://proxy:3128", 0}, 1, 0},
	{"web.route-prefix", "THANOS_FCGI_ROUTE_PREFIX", "/r",
	 {OFF(route_prefix), K_STR, "/r", 0}, 1, 0},
	{"web.external-prefix", "THANOS_FCGI_EXTERNAL_PREFIX", "/thanos",
	 {OFF(external_prefix), K_STR, "/thanos", 0}, 1, 0},
	{"web.external-url", "THANOS_FCGI_EXTERNAL_URL", "https://pub.example",
	 {OFF(external_url), K_STR, "https://pub.example", 0}, 1, 0},
	{"web.prefix-header", "THANOS_FCGI_PREFIX_HEADER", "X-Script-Name",
	 {OFF(prefix_header), K_STR, "X-Script-Name", 0}, 1, 0},
	{"tenant.header", "THANOS_FCGI_TENANT_HEADER", "THANOS-TENANT",
	 {OFF(tenant_header), K_STR, "THANOS-TENANT", 0}, 1, 0},
	{"tenant.map", "THANOS_FCGI_TENANT_MAP", "/etc/tenants",
	 {OFF(tenant_map), K_STR, "/etc/tenants", 0}, 1, 0},
	{"web.read-only", "THANOS_FCGI_READ_ONLY", "true",
	 {OFF(read_only), K_INT, NULL, 1}, 1, 0},
	{"web.deny-path", "THANOS_FCGI_DENY_PATHS", "/api/v1/status/*",
	 {OFF(deny_paths), K_STR, "/api/v1/status/*", 0}, 1, 0},
	{"web.check-token", "THANOS_FCGI_WEB_CHECK_TOKEN", "s3cret",
	 {OFF(check_token), K_STR, "s3cret", 0}, 1, 0},
	{"listen", "THANOS_FCGI_LISTEN", "127.0.0.1:9000",
	 {OFF(listen), K_STR, "127.0.0.1:9000", 0}, 0, 0},
	{"listen.backlog", "THANOS_FCGI_LISTEN_BACKLOG", "512",
	 {OFF(backlog), K_LONG, NULL, 512}, 0, 0},
	{"listen.mode", "THANOS_FCGI_LISTEN_MODE", "0660",
	 {OFF(listen_mode), K_STR, "0660", 0}, 0, 0},
	{"listen.group", "THANOS_FCGI_LISTEN_GROUP", "www-data",
	 {OFF(listen_group), K_STR, "www-data", 0}, 0, 0},
	{"client.timeout.idle", "THANOS_FCGI_CLIENT_TIMEOUT_IDLE", "90s",
	 {OFF(client_timeout_ms), K_I64, NULL, 90000}, 0, 0},
	{"config", "THANOS_FCGI_CONFIG", "", {OFF(config), K_STR, NULL, 0}, 0,
	 1},
	{"threads", "THANOS_FCGI_THREADS", "8", {OFF(threads), K_LONG, NULL, 8},
	 0, 0},
	{"shutdown.grace", "THANOS_FCGI_SHUTDOWN_GRACE", "1m",
	 {OFF(shutdown_grace_ms), K_I64, NULL, 60000}, 0, 0},
	{"log.level", "THANOS_FCGI_LOG_LEVEL", "debug",
	 {OFF(log_level), K_INT, NULL, LOG_DEBUG}, 0, 0},
	{"log.format", "THANOS_FCGI_LOG_FORMAT", "json",
	 {OFF(log_format), K_STR, "json", 0}, 0, 0},
	{"log.access", "THANOS_FCGI_LOG_ACCESS", "true",
	 {OFF(log_access), K_INT, NULL, 1}, 0, 0},
	{"web.metrics-path", "THANOS_FCGI_METRICS_PATH", "/-/thanos-fcgi/metrics",
	 {OFF(metrics_path), K_STR, "/-/thanos-fcgi/metrics", 0}, 0, 0},
	{"metrics.file", "THANOS_FCGI_METRICS_FILE", "/run/thanos-fcgi.metrics",
	 {OFF(metrics_file), K_STR, "/run/thanos-fcgi.metrics", 0}, 0, 0},
	{"check.on-start", "THANOS_FCGI_CHECK_ON_START", "true",
	 {OFF(check_on_start), K_INT, NULL, 1}, 0, 0},
	{"upstream.timeout.connect", "THANOS_FCGI_UPSTREAM_TIMEOUT_CONNECT",
	 "250ms", {OFF(timeout_connect_ms), K_I64, NULL, 250}, 1, 0},
	{"upstream.timeout.first-byte",
	 "THANOS_FCGI_UPSTREAM_TIMEOUT_FIRST_BYTE", "2m",
	 {OFF(timeout_first_byte_ms), K_I64, NULL, 120000}, 1, 0},
	{"upstream.timeout.idle", "THANOS_FCGI_UPSTREAM_TIMEOUT_IDLE", "45s",
	 {OFF(timeout_idle_ms), K_I64, NULL, 45000}, 1, 0},
	{"upstream.timeout.total", "THANOS_FCGI_UPSTREAM_TIMEOUT_TOTAL", "1h",
	 {OFF(timeout_total_ms), K_I64, NULL, 3600000}, 1, 0},
	{"upstream.down-backoff", "THANOS_FCGI_UPSTREAM_DOWN_BACKOFF", "1m30s",
	 {OFF(down_backoff_ms), K_I64, NULL, 90000}, 1, 0},
	{"upstream.tls.ca-file", "THANOS_FCGI_UPSTREAM_TLS_CA_FILE",
	 "/etc/ca.pem", {OFF(tls_ca_file), K_STR, "/etc/ca.pem", 0}, 1, 0},
	{"upstream.tls.cert-file", "THANOS_FCGI_UPSTREAM_TLS_CERT_FILE",
	 "/etc/c.pem", {OFF(tls_cert_file), K_STR, "/etc/c.pem", 0}, 1, 0},
	{"upstream.tls.key-file", "THANOS_FCGI_UPSTREAM_TLS_KEY_FILE",
	 "/etc/k.pem", {OFF(tls_key_file), K_STR, "/etc/k.pem", 0}, 1, 0},
	{"upstream.tls.server-name", "THANOS_FCGI_UPSTREAM_TLS_SERVER_NAME",
	 "thanos.internal",
	 {OFF(tls_server_name), K_STR, "thanos.internal", 0}, 1, 0},
	{"upstream.tls.min-version", "THANOS_FCGI_UPSTREAM_TLS_MIN_VERSION",
	 "1.3", {OFF(tls_min_version), K_STR, "1.3", 0}, 1, 0},
	{"upstream.tls.insecure-skip-verify",
	 "THANOS_FCGI_UPSTREAM_TLS_INSECURE_SKIP_VERIFY", "true",
	 {OFF(tls_insecure), K_INT, NULL, 1}, 1, 0},
	{"web.error-detail", "THANOS_FCGI_ERROR_DETAIL", "true",
	 {OFF(error_detail), K_INT, NULL, 1}, 1, 0},
	{"limits.max-body-size", "THANOS_FCGI_LIMITS_MAX_BODY_SIZE", "0",
	 {OFF(max_body_size), K_U64, NULL, 0}, 1, 0},
	{"limits.max-uri-size", "THANOS_FCGI_LIMITS_MAX_URI_SIZE", "16KiB",
	 {OFF(max_uri_size), K_U64, NULL, 16384}, 1, 0},
	{"limits.max-header-size", "THANOS_FCGI_LIMITS_MAX_HEADER_SIZE", "1MiB",
	 {OFF(max_header_size), K_U64, NULL, 1048576}, 1, 0},
	{"limits.max-upstream-header-size",
	 "THANOS_FCGI_LIMITS_MAX_UPSTREAM_HEADER_SIZE", "32KB",
	 {OFF(max_upstream_header_size), K_U64, NULL, 32000}, 1, 0},
};

static void cat(char *dst, size_t n, const char *a, const char *b,
		const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);

	ck_assert_msg(la + lb + lc < n, "test string too long");
	memcpy(dst, a, la);
	memcpy(dst + la, b, lb);
	memcpy(dst + la + lb, c, lc + 1);
}

START_TEST(test_opt_flag_eq)
{
	char arg[256];
	char *argv[] = {(char *)"thanos-fcgi", arg, NULL};
	char err[256] = "";
	struct conf c;

	cat(arg, sizeof(arg), "--", opt_cases[_i].flag, "=");
	cat(arg + strlen(arg), sizeof(arg) - strlen(arg), opt_cases[_i].value,
	    "", "");
	ck_assert_msg(conf_load(&c, 2, argv, NULL, err, sizeof(err)) == 0,
		      "row %d (%s): %s", _i, arg, err);
	check_field(_i, arg, &c, &opt_cases[_i].want);
	conf_free(&c);
}
END_TEST

START_TEST(test_opt_flag_space)
{
	char arg[256];
	char *argv[] = {(char *)"thanos-fcgi", arg,
			(char *)opt_cases[_i].value, NULL};
	char err[256] = "";
	struct conf c;

	if (strcmp(opt_cases[_i].value, "true") == 0)
		return; /* a bool flag takes no separate value */
	cat(arg, sizeof(arg), "--", opt_cases[_i].flag, "");
	ck_assert_msg(conf_load(&c, 3, argv, NULL, err, sizeof(err)) == 0,
		      "row %d (%s): %s", _i, arg, err);
	check_field(_i, arg, &c, &opt_cases[_i].want);
	conf_free(&c);
}
END_TEST

START_TEST(test_opt_env)
{
	char var[256];
	char *envp[] = {(char *)"PATH=/bin", var, NULL};
	char *argv[] = {(char *)"thanos-fcgi", NULL};
	char err[256] = "";
	struct conf c;

	cat(var, sizeof(var), opt_cases[_i].env, "=", opt_cases[_i].value);
	ck_assert_msg(conf_load(&c, 1, argv, envp, err, sizeof(err)) == 0,
		      "row %d (%s): %s", _i, var, err);
	check_field(_i, var, &c, &opt_cases[_i].want);
	conf_free(&c);
}
END_TEST

START_TEST(test_opt_file)
{
	char text[512], path[64], arg[128];
	char *argv[] = {(char *)"thanos-fcgi", arg, NULL};
	char err[256] = "";
	struct conf c;
	int rc;

	cat(text, sizeof(text), "# comment\n\n  ", opt_cases[_i].flag, " = ");
	cat(text + strlen(text), sizeof(text) - strlen(text),
	    opt_cases[_i].value, "\n", "");
	write_file(path, text);
	cat(arg, sizeof(arg), "--config=", path, "");
	rc = conf_load(&c, 2, argv, NULL, err, sizeof(err));
	unlink(path);
	if (opt_cases[_i].nofile) {
		ck_assert_msg(rc == -1 && strstr(err, ":3: ") != NULL,
			      "row %d: rc %d err '%s'", _i, rc, err);
	} else {
		ck_assert_msg(rc == 0, "row %d (%s): %s", _i, text, err);
		check_field(_i, opt_cases[_i].flag, &c, &opt_cases[_i].want);
	}
	conf_free(&c);
}
END_TEST

START_TEST(test_opt_overlay)
{
	char var[256], err[256] = "";
	char *params[] = {(char *)"SCRIPT_NAME=/thanos", var, NULL};
	char *argv[] = {(char *)"thanos-fcgi", NULL};
	struct conf base, out, copy;
	int rc;

	ck_assert(conf_load(&base, 1, argv, NULL, err, sizeof(err)) == 0);
	cat(var, sizeof(var), opt_cases[_i].env, "=", opt_cases[_i].value);
	memset(&out, 0x5a, sizeof(out));
	copy = out;
	rc = conf_overlay(&base, params, &out, err, sizeof(err));
	if (opt_cases[_i].req) {
		ck_assert_msg(rc == 1, "row %d (%s): rc %d %s", _i, var, rc,
			      err);
		check_field(_i, var, &out, &opt_cases[_i].want);
		ck_assert_msg(out.owned == NULL, "row %d: out owns memory", _i);
	} else {
		ck_assert_msg(rc == 0, "row %d (%s): rc %d, want 0 (ignored)",
			      _i, var, rc);
		ck_assert_msg(memcmp(&out, &copy, sizeof(out)) == 0,
			      "row %d: out touched", _i);
	}
	conf_free(&base);
}
END_TEST

/* ---- defaults: nothing given ---- */

static const struct want default_cases[] = {
	{OFF(upstream), K_STR, "http://127.0.0.1:10902", 0},
	{OFF(root_paths), K_STR, "/metrics,/-/healthy,/-/ready", 0},
	{OFF(proxy), K_STR, "", 0},
	{OFF(route_prefix), K_STR, NULL, 0},
	{OFF(external_prefix), K_STR, NULL, 0},
	{OFF(external_url), K_STR, NULL, 0},
	{OFF(prefix_header), K_STR, "X-Forwarded-Prefix", 0},
	{OFF(check_token), K_STR, NULL, 0},
	{OFF(listen), K_STR, NULL, 0},
	{OFF(config), K_STR, NULL, 0},
	{OFF(backlog), K_LONG, NULL, 1024},
	{OFF(threads), K_LONG, NULL, 1},
	{OFF(shutdown_grace_ms), K_I64, NULL, 30000},
	{OFF(log_level), K_INT, NULL, LOG_INFO},
	{OFF(log_format), K_STR, "logfmt", 0},
	{OFF(log_access), K_INT, NULL, 0},
	{OFF(check_on_start), K_INT, NULL, 1},
	{OFF(timeout_connect_ms), K_I64, NULL, 5000},
	{OFF(timeout_first_byte_ms), K_I64, NULL, 300000},
	{OFF(timeout_idle_ms), K_I64, NULL, 300000},
	{OFF(timeout_total_ms), K_I64, NULL, 1800000},
	{OFF(down_backoff_ms), K_I64, NULL, 10000},
	{OFF(tls_ca_file), K_STR, NULL, 0},
	{OFF(tls_cert_file), K_STR, NULL, 0},
	{OFF(tls_key_file), K_STR, NULL, 0},
	{OFF(tls_server_name), K_STR, NULL, 0},
	{OFF(tls_min_version), K_STR, "1.2", 0},
	{OFF(tls_insecure), K_INT, NULL, 0},
	{OFF(max_body_size), K_U64, NULL, 16 << 20},
	{OFF(max_uri_size), K_U64, NULL, 8 << 10},
	{OFF(max_header_size), K_U64, NULL, 64 << 10},
	{OFF(max_upstream_header_size), K_U64, NULL, 64 << 10},
	{OFF(action), K_INT, NULL, CONF_RUN},
};

START_TEST(test_default)
{
	char *argv[] = {(char *)"thanos-fcgi", NULL};
	char *envp[] = {(char *)"HOME=/", NULL};
	char err[256] = "";
	struct conf c;

	ck_assert_msg(conf_load(&c, 1, argv, envp, err, sizeof(err)) == 0,
		      "row %d: %s", _i, err);
	check_field(_i, "default", &c, &default_cases[_i]);
	conf_free(&c);
}
END_TEST

/* ---- precedence, lists, forms: args, env, file ('@' is its path) ---- */

static const struct {
	const char *args[MAXARGS];
	const char *env[MAXENV];
	const char *file;
	struct want want;
} load_cases[] = {
	/* precedence: flag > env > file > default */
	{{NULL}, {NULL}, NULL, {OFF(threads), K_LONG, NULL, 1}},
	{{"--config=@"}, {NULL}, "threads = 2\n",
	 {OFF(threads), K_LONG, NULL, 2}},
	{{NULL}, {"THANOS_FCGI_CONFIG=@"}, "threads = 2\n",
	 {OFF(threads), K_LONG, NULL, 2}},
	{{"--config", "@"}, {"THANOS_FCGI_THREADS=3"}, "threads = 2\n",
	 {OFF(threads), K_LONG, NULL, 3}},
	{{"--threads", "4"}, {"THANOS_FCGI_THREADS=3", "THANOS_FCGI_CONFIG=@"},
	 "threads = 2\n", {OFF(threads), K_LONG, NULL, 4}},
	{{"--threads=4"}, {NULL}, NULL, {OFF(threads), K_LONG, NULL, 4}},
	{{"--threads=4", "--threads=5"}, {NULL}, NULL,
	 {OFF(threads), K_LONG, NULL, 5}},
	{{"--config=@"}, {NULL}, "threads = 2\nthreads = 6\n",
	 {OFF(threads), K_LONG, NULL, 6}},
	{{"--config=@"}, {"THANOS_FCGI_CONFIG=/nonexistent"}, "threads = 2\n",
	 {OFF(threads), K_LONG, NULL, 2}},
	{{"--config=@"}, {NULL}, "threads = 2\n",
	 {OFF(config), K_STR, "@", 0}},
	{{"--config="}, {"THANOS_FCGI_CONFIG=/nonexistent"}, NULL,
	 {OFF(config), K_STR, NULL, 0}},
	{{NULL}, {"THANOS_FCGI_CONFIG="}, NULL, {OFF(config), K_STR, NULL, 0}},
	/* config file syntax */
	{{"--config=@"}, {NULL},
	 "# c\n\t\n  upstream.timeout.idle\t=\t 7s \r\n#x = y\n",
	 {OFF(timeout_idle_ms), K_I64, NULL, 7000}},
	{{"--config=@"}, {NULL}, "web.prefix-header = \"\"\n",
	 {OFF(prefix_header), K_STR, "", 0}},
	{{"--config=@"}, {NULL}, "web.prefix-header =\n",
	 {OFF(prefix_header), K_STR, "", 0}},
	{{"--config=@"}, {NULL}, "upstream = http://a:1",
	 {OFF(upstream), K_STR, "http://a:1", 0}},
	{{"--config=@"}, {NULL}, "", {OFF(threads), K_LONG, NULL, 1}},
	/* lists: the first flag replaces, more flags append */
	{{"--upstream", "http://a"}, {"THANOS_FCGI_UPSTREAM=http://e"}, NULL,
	 {OFF(upstream), K_STR, "http://a", 0}},
	{{"--upstream", "http://a", "--upstream=http://b"}, {NULL}, NULL,
	 {OFF(upstream), K_STR, "http://a,http://b", 0}},
	{{"--upstream=http://a,https://b", "--upstream", "unix:/run/t.sock"},
	 {"THANOS_FCGI_UPSTREAM=http://e"}, NULL,
	 {OFF(upstream), K_STR, "http://a,https://b,unix:/run/t.sock", 0}},
	{{NULL}, {"THANOS_FCGI_UPSTREAM=http://e,http://f"}, NULL,
	 {OFF(upstream), K_STR, "http://e,http://f", 0}},
	{{NULL}, {"THANOS_FCGI_ROOT_PATHS="}, NULL,
	 {OFF(root_paths), K_STR, "", 0}},
	{{"--upstream.root-path="}, {NULL}, NULL,
	 {OFF(root_paths), K_STR, "", 0}},
	{{"--upstream.root-path=", "--upstream.root-path=/x"}, {NULL}, NULL,
	 {OFF(root_paths), K_STR, "/x", 0}},
	{{"--upstream.root-path=/x", "--upstream.root-path="}, {NULL}, NULL,
	 {OFF(root_paths), K_STR, "/x", 0}},
	{{"--config=@"}, {NULL},
	 "upstream.root-path = /a\nupstream.root-path = /b,/c\n",
	 {OFF(root_paths), K_STR, "/a,/b,/c", 0}},
	{{"--config=@", "--upstream.root-path=/f"}, {NULL},
	 "upstream.root-path = /a\n", {OFF(root_paths), K_STR, "/f", 0}},
	{{"--config=@"}, {"THANOS_FCGI_ROOT_PATHS=/e"},
	 "upstream.root-path = /a\n", {OFF(root_paths), K_STR, "/e", 0}},
	{{"--config=@"}, {"THANOS_FCGI_ROOT_PATHS="},
	 "upstream.root-path = /a\n", {OFF(root_paths), K_STR, "", 0}},
	/* bools */
	{{"--upstream.tls.insecure-skip-verify"}, {NULL}, NULL,
	 {OFF(tls_insecure), K_INT, NULL, 1}},
	{{"--upstream.tls.insecure-skip-verify", "--threads", "2"}, {NULL},
	 NULL, {OFF(threads), K_LONG, NULL, 2}},
	{{"--upstream.tls.insecure-skip-verify=false"},
	 {"THANOS_FCGI_UPSTREAM_TLS_INSECURE_SKIP_VERIFY=yes"}, NULL,
	 {OFF(tls_insecure), K_INT, NULL, 0}},
	{{NULL}, {"THANOS_FCGI_UPSTREAM_TLS_INSECURE_SKIP_VERIFY=on"}, NULL,
	 {OFF(tls_insecure), K_INT, NULL, 1}},
	/* empty values: NULL where "none" is NULL, "" where "" means root */
	{{"--listen="}, {NULL}, NULL, {OFF(listen), K_STR, NULL, 0}},
	{{NULL}, {"THANOS_FCGI_UPSTREAM_TLS_CA_FILE="}, NULL,
	 {OFF(tls_ca_file), K_STR, NULL, 0}},
	{{"--web.external-prefix="}, {NULL}, NULL,
	 {OFF(external_prefix), K_STR, "", 0}},
	{{NULL}, {"THANOS_FCGI_ROUTE_PREFIX="}, NULL,
	 {OFF(route_prefix), K_STR, "", 0}},
	{{"--web.prefix-header="}, {NULL}, NULL,
	 {OFF(prefix_header), K_STR, "", 0}},
	/* accepted forms */
	{{"--listen", "[::1]:9000"}, {NULL}, NULL,
	 {OFF(listen), K_STR, "[::1]:9000", 0}},
	{{"--listen", "unix:/run/thanos-fcgi.sock"}, {NULL}, NULL,
	 {OFF(listen), K_STR, "unix:/run/thanos-fcgi.sock", 0}},
	{{"--listen", "localhost:65535"}, {NULL}, NULL,
	 {OFF(listen), K_STR, "localhost:65535", 0}},
	{{"--log.level=error"}, {NULL}, NULL,
	 {OFF(log_level), K_INT, NULL, LOG_ERR}},
	{{"--limits.max-body-size=1GiB"}, {NULL}, NULL,
	 {OFF(max_body_size), K_U64, NULL, 1 << 30}},
	{{"--upstream.timeout.total=0"}, {NULL}, NULL,
	 {OFF(timeout_total_ms), K_I64, NULL, 0}},
	{{"--threads=256"}, {NULL}, NULL, {OFF(threads), K_LONG, NULL, 256}},
	{{NULL}, {"OTHER=1", "THANOS_FCGI", "THANOS_FCGI_X"}, NULL,
	 {OFF(threads), K_LONG, NULL, 1}},
	/* --help and --version stop before anything is checked */
	{{"--help"}, {"THANOS_FCGI_THREADS=x"}, NULL,
	 {OFF(action), K_INT, NULL, CONF_HELP}},
	{{"-h"}, {NULL}, NULL, {OFF(action), K_INT, NULL, CONF_HELP}},
	{{"--threads=2", "--version", "--frobnicate"}, {NULL}, NULL,
	 {OFF(action), K_INT, NULL, CONF_VERSION}},
	{{"-V"}, {NULL}, NULL, {OFF(action), K_INT, NULL, CONF_VERSION}},
	{{"--threads=2"}, {NULL}, NULL, {OFF(action), K_INT, NULL, CONF_RUN}},
};

START_TEST(test_load)
{
	struct run r;
	struct want w = load_cases[_i].want;
	char want[128];

	run_load(&r, load_cases[_i].args, load_cases[_i].env,
		 load_cases[_i].file);
	ck_assert_msg(r.rc == 0, "row %d: rc %d: %s", _i, r.rc, r.err);
	if (w.str != NULL)
		w.str = subst(want, sizeof(want), w.str, r.path);
	check_field(_i, "load", &r.c, &w);
	conf_free(&r.c);
}
END_TEST

/* ---- errors: -1 and one line naming the option ---- */

static const struct {
	const char *args[MAXARGS];
	const char *env[MAXENV];
	const char *file;
	const char *want; /* substring of err, '@' is the file's path */
} error_cases[] = {
	{{"--upstream.timeout.connect", "x"}, {NULL}, NULL,
	 "--upstream.timeout.connect: bad duration 'x'"},
	{{NULL}, {"THANOS_FCGI_THREADS=x"}, NULL,
	 "THANOS_FCGI_THREADS: not a number in 1..256: 'x'"},
	{{"--frobnicate"}, {NULL}, NULL, "--frobnicate: unknown option"},
	{{"--frobnicate=1"}, {NULL}, NULL, "--frobnicate: unknown option"},
	{{"--"}, {NULL}, NULL, "--: unknown option"},
	{{"-x"}, {NULL}, NULL, "-x: unknown option"},
	{{"serve"}, {NULL}, NULL, "'serve': unexpected argument"},
	{{"--threads=2", "-"}, {NULL}, NULL, "'-': unexpected argument"},
	{{"--upstream.tls.insecure-skip-verify", "false"}, {NULL}, NULL,
	 "'false': unexpected argument"},
	{{"--threads"}, {NULL}, NULL, "--threads: missing value"},
	{{"--threads=0"}, {NULL}, NULL, "--threads: not a number in 1..256: '0'"},
	{{"--threads=257"}, {NULL}, NULL, "not a number in 1..256: '257'"},
	{{"--threads= 4"}, {NULL}, NULL, "not a number in 1..256: ' 4'"},
	{{"--listen.backlog=70000"}, {NULL}, NULL,
	 "--listen.backlog: not a number in 1..65535: '70000'"},
	{{"--upstream", "ftp://x"}, {NULL}, NULL,
	 "--upstream: unsupported scheme in 'ftp://x'"},
	{{"--upstream=http://a,ftp://x"}, {NULL}, NULL,
	 "--upstream: unsupported scheme in 'ftp://x'"},
	{{"--upstream=http://a", "--upstream=ftp://x"}, {NULL}, NULL,
	 "--upstream: unsupported scheme in 'ftp://x'"},
	{{NULL}, {"THANOS_FCGI_UPSTREAM=127.0.0.1:10902"}, NULL,
	 "THANOS_FCGI_UPSTREAM: unsupported scheme in '127.0.0.1:10902'"},
	{{"--upstream="}, {NULL}, NULL, "--upstream: needs at least one entry"},
	{{NULL}, {"THANOS_FCGI_UPSTREAM="}, NULL,
	 "THANOS_FCGI_UPSTREAM: needs at least one entry"},
	{{"--upstream=http://a,,http://b"}, {NULL}, NULL,
	 "--upstream: empty entry in 'http://a,,http://b'"},
	{{"--upstream=http://a,"}, {NULL}, NULL, "empty entry in 'http://a,'"},
	{{"--upstream=http://"}, {NULL}, NULL,
	 "nothing after the scheme in 'http://'"},
	{{"--upstream=unix:/"}, {NULL}, NULL, "nothing after the scheme"},
	{{"--upstream=http://a b"}, {NULL}, NULL,
	 "--upstream: blank or control character in 'http://a b'"},
	{{"--upstream.root-path=/metrics,healthy"}, {NULL}, NULL,
	 "--upstream.root-path: must start with '/': 'healthy'"},
	{{"--web.route-prefix=thanos"}, {NULL}, NULL,
	 "--web.route-prefix: must start with '/': 'thanos'"},
	{{NULL}, {"THANOS_FCGI_EXTERNAL_PREFIX=x/"}, NULL,
	 "THANOS_FCGI_EXTERNAL_PREFIX: must start with '/': 'x/'"},
	{{"--web.external-prefix=/a\r\nX-Evil: 1"}, {NULL}, NULL,
	 "blank or control character in '/a??X-Evil: 1'"},
	{{"--web.external-url=ftp://x"}, {NULL}, NULL,
	 "--web.external-url: not an http:// or https:// URL: 'ftp://x'"},
	{{"--web.external-url=https://"}, {NULL}, NULL,
	 "not an http:// or https:// URL: 'https://'"},
	{{"--web.prefix-header=X Prefix"}, {NULL}, NULL,
	 "--web.prefix-header: not a header name: 'X Prefix'"},
	{{"--web.prefix-header=X:"}, {NULL}, NULL, "not a header name: 'X:'"},
	{{"--listen=foo"}, {NULL}, NULL,
	 "--listen: not host:port or unix:/path: 'foo'"},
	{{"--listen=:9000"}, {NULL}, NULL, "not host:port or unix:/path"},
	{{"--listen=host:"}, {NULL}, NULL, "not host:port or unix:/path"},
	{{"--listen=host:http"}, {NULL}, NULL, "not host:port or unix:/path"},
	{{"--listen=::1:9000"}, {NULL}, NULL, "not host:port or unix:/path"},
	{{"--listen=[]:9000"}, {NULL}, NULL, "not host:port or unix:/path"},
	{{"--listen=unix:"}, {NULL}, NULL, "not host:port or unix:/path"},
	{{"--listen=unix:sock"}, {NULL}, NULL, "not host:port or unix:/path"},
	{{"--listen=host:0"}, {NULL}, NULL, "port not in 1..65535: 'host:0'"},
	{{"--listen=host:70000"}, {NULL}, NULL, "port not in 1..65535"},
	{{"--listen=host:123456"}, {NULL}, NULL, "not host:port"},
	{{"--upstream.tls.min-version=1.1"}, {NULL}, NULL,
	 "--upstream.tls.min-version: not 1.2 or 1.3: '1.1'"},
	{{"--log.level=loud"}, {NULL}, NULL,
	 "--log.level: not error, warn, info or debug: 'loud'"},
	{{"--log.format=text"}, {NULL}, NULL,
	 "--log.format: not logfmt or json: 'text'"},
	{{"--limits.max-body-size=10XB"}, {NULL}, NULL,
	 "--limits.max-body-size: bad size '10XB'"},
	{{"--limits.max-uri-size=0"}, {NULL}, NULL,
	 "--limits.max-uri-size: must not be 0: '0'"},
	{{NULL}, {"THANOS_FCGI_LIMITS_MAX_HEADER_SIZE=0KiB"}, NULL,
	 "THANOS_FCGI_LIMITS_MAX_HEADER_SIZE: must not be 0: '0KiB'"},
	{{"--upstream.tls.insecure-skip-verify=maybe"}, {NULL}, NULL,
	 "--upstream.tls.insecure-skip-verify: not true or false: 'maybe'"},
	{{"--shutdown.grace=-1s"}, {NULL}, NULL,
	 "--shutdown.grace: bad duration '-1s'"},
	{{"--upstream.timeout.idle=5"}, {NULL}, NULL, "bad duration '5'"},
	{{"--upstream.timeout.connect=a\nb"}, {NULL}, NULL,
	 "bad duration 'a?b'"},
	/* config file */
	{{"--config=@"}, {NULL}, "threads = 2\n\nfrobnicate = 1\n",
	 "@:3: unknown key 'frobnicate'"},
	{{NULL}, {"THANOS_FCGI_CONFIG=@"}, "--threads = 2\n",
	 "@:1: unknown key '--threads'"},
	{{"--config=@"}, {NULL}, "threads = x\n",
	 "@:1: threads: not a number in 1..256: 'x'"},
	{{"--config=@"}, {NULL}, "# a\nupstream = ftp://x\n",
	 "@:2: upstream: unsupported scheme in 'ftp://x'"},
	{{"--config=@"}, {NULL}, "threads 2\n", "@:1: expected 'key = value'"},
	{{"--config=@"}, {NULL}, " = 2\n", "@:1: unknown key ''"},
	{{"--config=@"}, {NULL}, "config = /etc/x\n",
	 "@:1: 'config' cannot be set in a config file"},
	{{"--config=@"}, {NULL}, "threads = 2 # two\n",
	 "@:1: threads: not a number in 1..256: '2 # two'"},
	{{"--config=/nonexistent/thanos-fcgi.conf"}, {NULL}, NULL,
	 "/nonexistent/thanos-fcgi.conf: cannot open: "},
	{{NULL}, {"THANOS_FCGI_CONFIG=/nonexistent/x"}, NULL,
	 "/nonexistent/x: cannot open: "},
	/* a flag error wins over a file that would be fine */
	{{"--config=@", "--threads=0"}, {NULL}, "threads = 2\n",
	 "--threads: not a number in 1..256: '0'"},
};

START_TEST(test_error)
{
	struct run r;
	char want[256];

	run_load(&r, error_cases[_i].args, error_cases[_i].env,
		 error_cases[_i].file);
	subst(want, sizeof(want), error_cases[_i].want, r.path);
	ck_assert_msg(r.rc == -1, "row %d: rc %d, want -1", _i, r.rc);
	ck_assert_msg(strstr(r.err, want) != NULL,
		      "row %d: err '%s', want '%s'", _i, r.err, want);
	ck_assert_msg(strchr(r.err, '\n') == NULL, "row %d: newline in err",
		      _i);
	conf_free(&r.c);
}
END_TEST

/* ---- per-request overlay ---- */

static const struct {
	const char *params[5];
	int rc;
	struct want want; /* rc 1: in out */
	const char *err;  /* rc -1 */
} overlay_cases[] = {
	{{NULL}, 0, {0, K_INT, NULL, 0}, NULL},
	{{"SCRIPT_NAME=/t", "HTTP_THANOS_FCGI_UPSTREAM=http://evil"}, 0,
	 {0, K_INT, NULL, 0}, NULL},
	{{"THANOS_FCGI_UPSTREAM=http://o:1"}, 1,
	 {OFF(upstream), K_STR, "http://o:1", 0}, NULL},
	{{"THANOS_FCGI_UPSTREAM=http://o:1,http://p:2"}, 1,
	 {OFF(upstream), K_STR, "http://o:1,http://p:2", 0}, NULL},
	{{"THANOS_FCGI_ROOT_PATHS="}, 1, {OFF(root_paths), K_STR, "", 0},
	 NULL},
	{{"THANOS_FCGI_UPSTREAM_TIMEOUT_TOTAL=1m", "A=b"}, 1,
	 {OFF(timeout_total_ms), K_I64, NULL, 60000}, NULL},
	{{"THANOS_FCGI_UPSTREAM_TIMEOUT_TOTAL=1m"}, 1,
	 {OFF(upstream), K_STR, "http://127.0.0.1:10902", 0}, NULL},
	{{"THANOS_FCGI_ROUTE_PREFIX=/a", "THANOS_FCGI_ROUTE_PREFIX=/b"}, 1,
	 {OFF(route_prefix), K_STR, "/b", 0}, NULL},
	{{"THANOS_FCGI_THREADS=8"}, 0, {0, K_INT, NULL, 0}, NULL},
	{{"THANOS_FCGI_THREADS=x", "THANOS_FCGI_LISTEN=bad"}, 0,
	 {0, K_INT, NULL, 0}, NULL},
	{{"THANOS_FCGI_THREADS=8", "THANOS_FCGI_EXTERNAL_PREFIX=/p"}, 1,
	 {OFF(threads), K_LONG, NULL, 1}, NULL},
	{{"THANOS_FCGI_THREADS=8", "THANOS_FCGI_EXTERNAL_PREFIX=/p"}, 1,
	 {OFF(external_prefix), K_STR, "/p", 0}, NULL},
	{{"THANOS_FCGI_UPSTREAM"}, 0, {0, K_INT, NULL, 0}, NULL},
	{{"THANOS_FCGI_UPSTREAM=ftp://x"}, -1, {0, K_INT, NULL, 0},
	 "THANOS_FCGI_UPSTREAM: unsupported scheme in 'ftp://x'"},
	{{"THANOS_FCGI_EXTERNAL_PREFIX=/p", "THANOS_FCGI_UPSTREAM_TIMEOUT_IDLE=x"},
	 -1, {0, K_INT, NULL, 0},
	 "THANOS_FCGI_UPSTREAM_TIMEOUT_IDLE: bad duration 'x'"},
	{{"THANOS_FCGI_NOPE=1"}, -1, {0, K_INT, NULL, 0},
	 "THANOS_FCGI_NOPE: unknown variable"},
	{{"THANOS_FCGI_UPSTREAM="}, -1, {0, K_INT, NULL, 0},
	 "THANOS_FCGI_UPSTREAM: needs at least one entry"},
};

START_TEST(test_overlay)
{
	char *argv[] = {(char *)"thanos-fcgi", (char *)"--config=", NULL};
	char *params[6];
	char err[256] = "";
	struct conf base, base_copy, out, out_copy;
	int rc, n = 0;

	ck_assert(conf_load(&base, 2, argv, NULL, err, sizeof(err)) == 0);
	base_copy = base;
	for (int i = 0; i < 5 && overlay_cases[_i].params[i] != NULL; i++)
		params[n++] = (char *)overlay_cases[_i].params[i];
	params[n] = NULL;
	memset(&out, 0xa5, sizeof(out));
	out_copy = out;
	rc = conf_overlay(&base, params, &out, err, sizeof(err));
	ck_assert_msg(rc == overlay_cases[_i].rc, "row %d: rc %d, want %d (%s)",
		      _i, rc, overlay_cases[_i].rc, err);
	ck_assert_msg(memcmp(&base, &base_copy, sizeof(base)) == 0,
		      "row %d: base changed", _i);
	if (rc == 1) {
		check_field(_i, "overlay", &out, &overlay_cases[_i].want);
		ck_assert_msg(out.owned == NULL, "row %d: out owns memory", _i);
		conf_free(&out); /* harmless: owns nothing */
	} else {
		ck_assert_msg(memcmp(&out, &out_copy, sizeof(out)) == 0,
			      "row %d: out touched", _i);
	}
	if (rc == -1)
		ck_assert_msg(strstr(err, overlay_cases[_i].err) != NULL,
			      "row %d: err '%s', want '%s'", _i, err,
			      overlay_cases[_i].err);
	conf_free(&base);
}
END_TEST

START_TEST(test_overlay_null)
{
	char *argv[] = {(char *)"thanos-fcgi", NULL};
	char err[64] = "";
	struct conf base, out;

	ck_assert(conf_load(&base, 1, argv, NULL, err, sizeof(err)) == 0);
	ck_assert(conf_overlay(&base, NULL, &out, err, sizeof(err)) == 0);
	conf_free(&base);
}
END_TEST

/* The overlay of a base whose strings are owned (file, joined list). */
START_TEST(test_overlay_owned_base)
{
	char path[64], arg[128], err[256] = "";
	char *argv[] = {(char *)"thanos-fcgi", arg,
			(char *)"--upstream=http://a", (char *)"--upstream=http://b",
			NULL};
	char *params[] = {(char *)"THANOS_FCGI_EXTERNAL_PREFIX=/x", NULL};
	struct conf base, out;

	write_file(path, "upstream.root-path = /r\n");
	cat(arg, sizeof(arg), "--config=", path, "");
	ck_assert_msg(conf_load(&base, 4, argv, NULL, err, sizeof(err)) == 0,
		      "%s", err);
	unlink(path);
	ck_assert(conf_overlay(&base, params, &out, err, sizeof(err)) == 1);
	ck_assert_str_eq(out.upstream, "http://a,http://b");
	ck_assert_str_eq(out.root_paths, "/r");
	ck_assert_str_eq(out.external_prefix, "/x");
	ck_assert_ptr_eq(out.owned, NULL);
	conf_free(&out);
	conf_free(&base);
	ck_assert_ptr_eq(base.owned, NULL);
	conf_free(&base); /* twice is fine */
	conf_free(NULL);
}
END_TEST

/* ---- --help and the README table name every option ---- */

static char *capture(void (*fn)(void *))
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	ck_assert(fp != NULL);
	fn(fp);
	fclose(fp);
	return text;
}

START_TEST(test_help)
{
	char *text = capture(conf_help);
	char flag[128], env[128];

	cat(flag, sizeof(flag), "  --", opt_cases[_i].flag, "");
	cat(env, sizeof(env), "env ", opt_cases[_i].env, "");
	ck_assert_msg(strncmp(text, "Usage: thanos-fcgi", 18) == 0,
		      "no usage line");
	ck_assert_msg(strstr(text, flag) != NULL, "row %d: no '%s'", _i, flag);
	ck_assert_msg(strstr(text, env) != NULL, "row %d: no '%s'", _i, env);
	ck_assert_msg(strstr(text, "--help") && strstr(text, "--version"),
		      "no --help or --version");
	free(text);
}
END_TEST

START_TEST(test_markdown)
{
	char *text = capture(conf_markdown);
	char *line, *nl;
	int rows = 0;

	ck_assert(strncmp(text, "| flag | env | default | meaning |\n", 35) == 0);
	for (line = text; *line != '\0'; line = nl + 1) {
		int bars = 0;

		nl = strchr(line, '\n');
		ck_assert_msg(nl != NULL, "last line without newline");
		*nl = '\0';

		for (const char *p = line; *p != '\0'; p++)
			bars += *p == '|';
		ck_assert_msg(bars == 5, "line %d has %d '|': %s", rows, bars,
			      line);
		if (rows >= 2) {
			int i = rows - 2;
			char cell[160];

			ck_assert_msg(i < COUNT(opt_cases), "more rows than options");
			cat(cell, sizeof(cell), "| `--", opt_cases[i].flag, "");
			ck_assert_msg(strncmp(line, cell, strlen(cell)) == 0,
				      "row %d: '%s' does not start '%s'", i,
				      line, cell);
			cat(cell, sizeof(cell), "`", opt_cases[i].env, "`");
			ck_assert_msg(strstr(line, cell) != NULL,
				      "row %d: no %s", i, cell);
		}
		rows++;
	}
	/* opt_cases lists every option, in table order. */
	ck_assert_msg(rows == 2 + COUNT(opt_cases), "%d rows, %d options",
		      rows - 2, COUNT(opt_cases));
	free(text);
}
END_TEST

/* An unknown THANOS_FCGI_ name in the process environment is only warned
 * about: service managers and test harnesses put their own there. */
START_TEST(test_unknown_env_ignored)
{
	static char a0[] = "thanos-fcgi", v1[] = "THANOS_FCGI_FROBNICATE=1",
		    v2[] = "THANOS_FCGI_=1", v3[] = "THANOS_FCGI_THREADS=3";
	char *const argv[] = {a0, NULL};
	char *const envp[] = {v1, v2, v3, NULL};
	struct conf c;
	char err[256] = "";

	ck_assert_int_eq(conf_load(&c, 1, argv, envp, err, sizeof(err)), 0);
	ck_assert_int_eq(c.threads, 3);
	conf_free(&c);
}
END_TEST

/* Under CGI the environment is the request's own: a typo in SetEnv is an
 * error naming the variable, never a silent fall-back to the default. */
START_TEST(test_unknown_env_cgi)
{
	static char a0[] = "thanos-fcgi", v1[] = "THANOS_FCGI_UPSTREM=http://x:1";
	char *const argv[] = {a0, NULL};
	char *const envp[] = {v1, NULL};
	struct conf c;
	char err[256] = "";

	ck_assert_int_eq(conf_load_cgi(&c, 1, argv, envp, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "THANOS_FCGI_UPSTREM: unknown variable");
	conf_free(&c);
}
END_TEST

/* A mode that is not octal is refused with the option's name. */
START_TEST(test_listen_mode_octal)
{
	static char a0[] = "thanos-fcgi", a1[] = "--listen.mode", a2[] = "0668";
	char *const argv[] = {a0, a1, a2, NULL};
	char *const envp[] = {NULL};
	struct conf c;
	char err[256] = "";

	ck_assert_int_eq(conf_load(&c, 3, argv, envp, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "--listen.mode: not an octal mode like 0660: '0668'");
	conf_free(&c);
}
END_TEST

/* The README's option reference is the table's own Markdown, verbatim:
 * change an option and this fails until the README follows. */
START_TEST(test_readme_in_step)
{
	const char *top = getenv("top_srcdir");
	char path[4096], *table = NULL, *readme = NULL;
	size_t table_len = 0, n = 0;
	FILE *f, *mem;
	long size;

	ck_assert_msg(top != NULL, "top_srcdir is not set (run through make check)");
	ck_assert(snprintf(path, sizeof(path), "%s/README", top) < (int)sizeof(path));
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	readme = calloc(1, (size_t)size + 1);
	ck_assert_ptr_nonnull(readme);
	n = fread(readme, 1, (size_t)size, f);
	fclose(f);
	readme[n] = '\0';
	mem = open_memstream(&table, &table_len);
	ck_assert_ptr_nonnull(mem);
	conf_markdown(mem);
	fclose(mem);
	ck_assert_msg(strstr(readme, table) != NULL,
		      "README's option table differs from conf_markdown():\n%s", table);
	free(table);
	free(readme);
}
END_TEST

/* The manual page in the tree, doc/thanos-fcgi.8, is conf_man()'s output
 * byte for byte: change an option (or the page's text in conf_man.c) and
 * this fails until `make man` has written it again. */
START_TEST(test_man_in_step)
{
	const char *top = getenv("top_srcdir");
	char path[4096], *page = NULL, *want;
	FILE *f;
	long size;
	size_t n;

	ck_assert_msg(top != NULL, "top_srcdir is not set (run through make check)");
	ck_assert(snprintf(path, sizeof(path), "%s/doc/thanos-fcgi.8", top) < (int)sizeof(path));
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	ck_assert(size >= 0);
	rewind(f);
	page = calloc(1, (size_t)size + 1);
	ck_assert_ptr_nonnull(page);
	n = fread(page, 1, (size_t)size, f);
	fclose(f);
	page[n] = '\0';
	want = capture(conf_man);
	ck_assert_msg(strcmp(page, want) == 0,
		      "%s differs from conf_man(): run `make man` and commit it", path);
	ck_assert_msg(strstr(want, "\\-\\-upstream.root\\-path") != NULL,
		      "the page does not name --upstream.root-path");
	free(want);
	free(page);
}
END_TEST

static Suite *conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *opt = tcase_create("options");
	TCase *load = tcase_create("load");
	TCase *ovl = tcase_create("overlay");
	TCase *doc = tcase_create("doc");

	tcase_add_test(opt, test_unknown_env_ignored);
	tcase_add_test(opt, test_unknown_env_cgi);
	tcase_add_test(opt, test_listen_mode_octal);
	tcase_add_test(opt, test_readme_in_step);
	tcase_add_test(opt, test_man_in_step);
	tcase_add_loop_test(opt, test_opt_flag_eq, 0, COUNT(opt_cases));
	tcase_add_loop_test(opt, test_opt_flag_space, 0, COUNT(opt_cases));
	tcase_add_loop_test(opt, test_opt_env, 0, COUNT(opt_cases));
	tcase_add_loop_test(opt, test_opt_file, 0, COUNT(opt_cases));
	tcase_add_loop_test(opt, test_opt_overlay, 0, COUNT(opt_cases));
	tcase_add_loop_test(load, test_default, 0, COUNT(default_cases));
	tcase_add_loop_test(load, test_load, 0, COUNT(load_cases));
	tcase_add_loop_test(load, test_error, 0, COUNT(error_cases));
	tcase_add_loop_test(ovl, test_overlay, 0, COUNT(overlay_cases));
	tcase_add_test(ovl, test_overlay_null);
	tcase_add_test(ovl, test_overlay_owned_base);
	tcase_add_loop_test(doc, test_help, 0, COUNT(opt_cases));
	tcase_add_test(doc, test_markdown);
	suite_add_tcase(s, opt);
	suite_add_tcase(s, load);
	suite_add_tcase(s, ovl);
	suite_add_tcase(s, doc);
	return s;
}

int main(void)
{
	return check_run(conf_suite());
}
