/*
 * upstream: the configured Thanos replicas and the libcurl side of a
 * request: parsing --upstream into targets, choosing one (round robin,
 * skipping replicas marked down), and the per-worker curl handle set up with
 * the TLS, timeout and safety options.
 *
 * A pool is shared by the threads of a process; its down marks are atomic.
 * A worker (one per thread) owns one curl easy handle, reused across
 * requests so its connection cache keeps upstream connections alive.
 */
#ifndef THANOS_FCGI_UPSTREAM_H
#define THANOS_FCGI_UPSTREAM_H

#include <stdint.h>
#include <curl/curl.h>

#include "buf.h"
#include "conf.h"

struct upstream_target {
	char *url;       /* as configured, for messages */
	char *base;      /* "scheme://host:port" to which paths are appended */
	char *base_path; /* the URL's path without trailing '/', "" for none */
	char *origin;    /* url_origin() of base, for rewriting */
	char *unix_path; /* unix socket, or NULL */
	char *host;      /* the URL's host ("[::1]" for IPv6), for CONNECT_TO */
	char *port;      /* the URL's port, explicit */
	_Atomic int64_t down_until_ms; /* monotonic ms; 0 = up */
};

struct upstream_pool {
	struct upstream_target *v;
	const char **origins; /* n pointers into v[i].origin */
	size_t n;
	_Atomic unsigned next;
};

/*
 * Parses the comma-separated list.  Returns 0, or -1 with one line in err
 * ("--upstream: bad URL 'x'").  On -1 the pool holds nothing to free.
 */
int upstream_pool_init(struct upstream_pool *p, const char *list, char *err,
		       size_t errlen);
void upstream_pool_free(struct upstream_pool *p);

/*
 * The order in which to try the targets for one request: up ones from the
 * round-robin position first, then down ones (a last resort beats a
 * certain 502).  Writes up to max indexes into order; returns how many.
 */
size_t upstream_pick(struct upstream_pool *p, int64_t now_ms, size_t *order,
		     size_t max);

/* Marks target i down until now + backoff. */
void upstream_mark_down(struct upstream_pool *p, size_t i, int64_t now_ms,
			int64_t backoff_ms);

/*
 * Resets h and sets the options every request shares: TLS from c (the
 * system CA bundle of cabundle_system when c names no CA file), connect
 * and total timeouts, no redirects, no proxy unless c->proxy, http(s) only,
 * no signals, no Expect, bytes untouched (no decoding).
 * Returns CURLE_OK or the first failing option's code.
 */
CURLcode upstream_setup(CURL *h, const struct conf *c,
			const struct upstream_target *t);

/*
 * The URL to request path on t into url (reset first).  With
 * --upstream.tls.server-name the URL names that host (so TLS verifies and
 * SNI sends it) and *connect_to gets the libcurl CONNECT_TO list sending
 * the connection to t's real address; the caller frees it.  0 or -1.
 */
int upstream_url(const struct upstream_target *t, const struct conf *c,
		 const char *path, size_t n, struct buf *url,
		 struct curl_slist **connect_to);

/*
 * 1 when a process with these settings may speak TLS: an https URL in the
 * --upstream list (the scheme in any case, as libcurl reads it) or any
 * --upstream.proxy (its scheme may be https); 0 when every upstream is
 * plain http or a unix socket.  Pure; NULL reads as "".
 */
int upstream_needs_tls(const char *upstreams, const char *proxy);

/* 1 when the curl result means the request never reached the upstream
 * (connect refused, resolve failure, connect timeout). */
int upstream_not_sent(CURLcode rc);

/* Logs, once, what is unsafe in c (TLS verification off) and, for an https
 * upstream without --upstream.tls.ca-file, which system CA bundle is used. */
void upstream_log_config(const struct conf *c);

#endif
