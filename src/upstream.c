/* upstream: replicas, their choice, and the curl handle; see upstream.h. */
#include "upstream.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cabundle.h"
#include "list.h"
#include "log.h"
#include "metrics.h"
#include "status.h"
#include "url.h"

static void target_free(struct upstream_target *t)
{
	free(t->url);
	free(t->base);
	free(t->base_path);
	free(t->origin);
	free(t->unix_path);
	free(t->host);
	free(t->port);
}

/* Fills t for "unix:/path" (HTTP to localhost over that socket); -1 with err. */
static int target_unix(struct upstream_target *t, const char *url, char *err,
		       size_t errlen)
{
	if (url[5] != '/') {
		status_errf(err, errlen, "--upstream: unix socket path must be absolute in '%s'", url);
		return -1;
	}
	t->unix_path = xstrdup(url + 5);
	t->base = xstrdup("http://localhost");
	t->base_path = xstrdup("");
	t->origin = xstrdup("http://localhost:80");
	t->host = xstrdup("localhost");
	t->port = xstrdup("80");
	return 0;
}

/* Copies path without its trailing slashes; the path "/" gives "". */
static char *path_trimmed(char *path)
{
	size_t n = strlen(path);

	while (n > 0 && path[n - 1] == '/')
		n--;
	path[n] = '\0';
	return xstrdup(path);
}

/* An upstream URL's parts as libcurl gives them, each freed with curl_free. */
struct url_parts {
	char *scheme, *host, *port, *path;
};

/* Sets t's base, host, port, base path and origin from p; -1 with err. */
static int target_fill(struct upstream_target *t, const char *url,
		       struct url_parts *p, char *err, size_t errlen)
{
	struct buf b;
	int rc = -1;

	buf_init(&b, 4096);
	if (buf_printf(&b, "%s://%s:%s", p->scheme, p->host, p->port) != 0) {
		status_errf(err, errlen, "--upstream: URL too long '%s'", url);
		goto out;
	}
	t->base = xstrdup(buf_str(&b));
	t->host = xstrdup(p->host);
	t->port = xstrdup(p->port);
	t->base_path = path_trimmed(p->path);
	buf_reset(&b);
	if (url_origin(t->base, &b) != 0) {
		status_errf(err, errlen, "--upstream: bad URL '%s'", url);
		goto out;
	}
	t->origin = xstrdup(buf_str(&b));
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

/* Fills t from an http(s) URL, split by libcurl; -1 with err. */
static int target_http(struct upstream_target *t, const char *url, char *err,
		       size_t errlen)
{
	CURLU *u = curl_url();
	struct url_parts p = {NULL, NULL, NULL, NULL};
	int rc = -1;

	if (u == NULL || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &p.scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &p.host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &p.port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &p.path, 0) != CURLUE_OK) {
		status_errf(err, errlen, "--upstream: bad URL '%s'", url);
		goto out;
	}
	if (strcmp(p.scheme, "http") != 0 && strcmp(p.scheme, "https") != 0) {
		status_errf(err, errlen, "--upstream: unsupported scheme in '%s'", url);
		goto out;
	}
	rc = target_fill(t, url, &p, err, errlen);
out:
	curl_free(p.scheme);
	curl_free(p.host);
	curl_free(p.port);
	curl_free(p.path);
	curl_url_cleanup(u);
	return rc;
}

/* Fills t from one URL; -1 with err on a bad one, t then freed. */
static int target_parse(struct upstream_target *t, const char *url, char *err,
			size_t errlen)
{
	int rc;

	memset(t, 0, sizeof(*t));
	t->url = xstrdup(url);
	if (strncmp(url, "unix:", 5) == 0)
		rc = target_unix(t, url, err, errlen);
	else
		rc = target_http(t, url, err, errlen);
	if (rc != 0)
		target_free(t);
	return rc;
}

int upstream_pool_init(struct upstream_pool *p, const char *list, char *err,
		       size_t errlen)
{
	struct buf one;
	struct list_iter it = list_start(list);

	memset(p, 0, sizeof(*p));
	buf_init(&one, 8192);
	while (list_next(&it)) {
		if (it.n == 0)
			continue;
		if (buf_set(&one, it.p, it.n) != 0) {
			status_errf(err, errlen, "--upstream: URL too long");
			goto fail;
		}
		p->v = xrealloc(p->v, (p->n + 1) * sizeof(*p->v));
		if (target_parse(&p->v[p->n], buf_str(&one), err, errlen) != 0)
			goto fail;
		p->n++;
	}
	if (p->n == 0) {
		status_errf(err, errlen, "--upstream: no upstream given");
		goto fail;
	}
	p->origins = xmalloc(p->n * sizeof(*p->origins));
	for (size_t i = 0; i < p->n; i++)
		p->origins[i] = p->v[i].origin;
	buf_free(&one);
	return 0;
fail:
	buf_free(&one);
	upstream_pool_free(p);
	return -1;
}

void upstream_pool_free(struct upstream_pool *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++)
		target_free(&p->v[i]);
	free(p->v);
	free(p->origins);
	memset(p, 0, sizeof(*p));
}

/* A replica's down mark has run out: it is tried again.  Cleared by one
 * thread only (the one whose exchange wins), which logs it. */
static void mark_over(struct upstream_pool *p, size_t i, int64_t until)
{
	if (atomic_compare_exchange_strong(&p->v[i].down_until_ms, &until, 0) && p->n > 1)
		log_msg(LOG_DEBUG, "upstream %s: down mark over, back in rotation", p->v[i].url);
}

size_t upstream_pick(struct upstream_pool *p, int64_t now_ms, size_t *order,
		     size_t max)
{
	size_t k = 0, start;

	if (p->n == 0 || max == 0)
		return 0;
	start = p->n > 1 ? p->next++ % p->n : 0;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t j = 0; j < p->n && k < max; j++) {
			size_t i = (start + j) % p->n;
			int64_t until = p->v[i].down_until_ms;
			int up = until <= now_ms;
			if (up == (pass == 0))
				order[k++] = i;
			if (pass == 0 && up && until != 0)
				mark_over(p, i, until);
		}
	}
	return k;
}

void upstream_mark_down(struct upstream_pool *p, size_t i, int64_t now_ms,
			int64_t backoff_ms)
{
	int was_up = p->v[i].down_until_ms <= now_ms;

	p->v[i].down_until_ms = now_ms + backoff_ms;
	metrics_mark_down(p->v[i].url, now_ms + backoff_ms);
	if (was_up && p->n > 1)
		log_msg(LOG_WARN, "upstream %s marked down for %lld ms",
			p->v[i].url, (long long)backoff_ms);
}

int upstream_url(const struct upstream_target *t, const struct conf *c,
		 const char *path, size_t n, struct buf *url,
		 struct curl_slist **connect_to)
{
	const char *name = c->tls_server_name;

	*connect_to = NULL;
	buf_reset(url);
	if (name == NULL || *name == '\0' || strncmp(t->base, "https:", 6) != 0)
		return buf_appends(url, t->base) || buf_append(url, path, n) ? -1 : 0;
	if (buf_printf(url, "%s:%s", name, t->port) != 0) /* "name:port:" */
		return -1;
	if (buf_printf(url, ":%s:%s", t->host, t->port) != 0)
		return -1;
	*connect_to = curl_slist_append(NULL, url->ptr);
	if (*connect_to == NULL) {
		log_msg(LOG_ERR, "curl_slist_append failed: out of memory");
		abort();
	}
	buf_reset(url);
	return buf_printf(url, "https://%s:%s", name, t->port) || buf_append(url, path, n) ? -1 : 0;
}

int upstream_needs_tls(const char *upstreams, const char *proxy)
{
	struct list_iter it = list_start(upstreams != NULL ? upstreams : "");

	if (proxy != NULL && *proxy != '\0')
		return 1;
	while (list_next(&it))
		if (it.n >= 6 && strncasecmp(it.p, "https:", 6) == 0)
			return 1;
	return 0;
}

int upstream_not_sent(CURLcode rc)
{
	return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
	       rc == CURLE_COULDNT_RESOLVE_PROXY;
}

void upstream_log_config(const struct conf *c)
{
	if (c->tls_insecure)
		log_msg(LOG_WARN, "TLS verification of the upstream is off "
				  "(--upstream.tls.insecure-skip-verify)");
	else if ((c->tls_ca_file == NULL || *c->tls_ca_file == '\0') &&
		 upstream_needs_tls(c->upstream, NULL))
		cabundle_log();
}

#define SET(opt, val)                                   \
	do {                                            \
		CURLcode rc_ = curl_easy_setopt(h, opt, val); \
		if (rc_ != CURLE_OK)                    \
			return rc_;                     \
	} while (0)

CURLcode upstream_setup(CURL *h, const struct conf *c,
			const struct upstream_target *t)
{
	curl_easy_reset(h);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* The environment's proxies never steer us: "" disables them. */
	SET(CURLOPT_PROXY, c->proxy != NULL ? c->proxy : "");
	SET(CURLOPT_HTTP_CONTENT_DECODING, 0L);
	SET(CURLOPT_HTTP_TRANSFER_DECODING, 1L);
	SET(CURLOPT_TCP_NODELAY, 1L);
	/* 8 bytes under 64 KiB: a chunk of the body fills one FastCGI record */
	SET(CURLOPT_BUFFERSIZE, 65528L);
	if (c->timeout_connect_ms > 0)
		SET(CURLOPT_CONNECTTIMEOUT_MS, (long)c->timeout_connect_ms);
	if (c->timeout_total_ms > 0)
		SET(CURLOPT_TIMEOUT_MS, (long)c->timeout_total_ms);
	if (t->unix_path != NULL)
		SET(CURLOPT_UNIX_SOCKET_PATH, t->unix_path);
	if (strncmp(t->base, "https:", 6) == 0) {
		SET(CURLOPT_SSL_VERIFYPEER, c->tls_insecure ? 0L : 1L);
		SET(CURLOPT_SSL_VERIFYHOST, c->tls_insecure ? 0L : 2L);
		if (c->tls_ca_file != NULL && *c->tls_ca_file != '\0')
			SET(CURLOPT_CAINFO, c->tls_ca_file);
		else if (cabundle_system() != NULL) /* a static libcurl knows one path */
			SET(CURLOPT_CAINFO, cabundle_system());
		if (c->tls_cert_file != NULL && *c->tls_cert_file != '\0')
			SET(CURLOPT_SSLCERT, c->tls_cert_file);
		if (c->tls_key_file != NULL && *c->tls_key_file != '\0')
			SET(CURLOPT_SSLKEY, c->tls_key_file);
		SET(CURLOPT_SSLVERSION,
		    (c->tls_min_version != NULL && strcmp(c->tls_min_version, "1.3") == 0)
			    ? (long)CURL_SSLVERSION_TLSv1_3
			    : (long)CURL_SSLVERSION_TLSv1_2);
	}
	return CURLE_OK;
}
