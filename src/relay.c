/* relay: one request from the web server to the upstream and back: the
 * plan, the replicas tried, the answer (the transfer itself: xfer.c). */
#include "relay.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "accesslog.h"
#include "buf.h"
#include "clock.h"
#include "diag.h"
#include "log.h"
#include "gate.h"
#include "method.h"
#include "metrics.h"
#include "pct.h"
#include "prefix.h"
#include "relay_int.h"
#include "reqhdr.h"
#include "resphdr.h"
#include "rewrite.h"
#include "route.h"
#include "target.h"
#include "tenant.h"
#include "units.h"

#define TRIED_MAX 8


struct relay_worker *relay_worker_new(const struct conf *c,
				      struct upstream_pool *pool,
				      struct route_cache *routes)
{
	struct relay_worker *w = xmalloc(sizeof(*w));

	memset(w, 0, sizeof(*w));
	w->conf = c;
	w->pool = pool;
	w->routes = routes;
	buf_init(&w->key, c->max_header_size + 65536);
	w->curl = curl_easy_init();
	if (w->curl == NULL) {
		log_msg(LOG_ERR, "curl_easy_init failed: out of memory");
		abort();
	}
	buf_init(&w->e, c->max_uri_size);
	buf_init(&w->t, c->max_uri_size * 3);
	buf_init(&w->r, 4096);
	buf_init(&w->path, c->max_uri_size * 3 + 8192);
	buf_init(&w->url, c->max_uri_size * 3 + 16384);
	buf_init(&w->hdrs, c->max_header_size + 16384);
	buf_init(&w->out, c->max_upstream_header_size + 65536);
	buf_init(&w->msg, 4096);
	buf_init(&w->origin, 4096);
	buf_init(&w->tenant, 4096);
	buf_init(&w->dec, c->max_uri_size * 3);
	resphdr_init(&w->rh, c->max_upstream_header_size);
	return w;
}

void relay_worker_free(struct relay_worker *w)
{
	if (w == NULL)
		return;
	curl_easy_cleanup(w->curl);
	buf_free(&w->e);
	buf_free(&w->t);
	buf_free(&w->r);
	buf_free(&w->path);
	buf_free(&w->url);
	buf_free(&w->hdrs);
	buf_free(&w->out);
	buf_free(&w->msg);
	buf_free(&w->origin);
	buf_free(&w->tenant);
	buf_free(&w->dec);
	buf_free(&w->key);
	resphdr_free(&w->rh);
	free(w->nodes);
	free(w);
}

/*
 * Sends a one-line text answer; only while no header has gone out.  A 5xx
 * says only what failed ("upstream failed"): the cause (the upstream's URL,
 * libcurl's words) is for the log, and for the client too with
 * --web.error-detail.  A 4xx and a bad per-request setting (500) say what
 * is wrong with the request or the setting: that is all they name.
 */
static void send_error(struct relay_worker *w, const struct relay_io *io,
		       const struct conf *c, int head, enum tf_status s,
		       const char *cause)
{
	struct buf *b = &w->out;
	int code = status_http(s);
	const char *line = cause;

	if (code >= 500 && s != TF_CONFIG && !c->error_detail)
		line = status_str(s);
	if (status_page(b, code, line, head) == 0 && io->write(io->ctx, b->ptr, b->len) == 0)
		io->flush(io->ctx);
}

/* E's origin and path from --web.external-url "https://host/pub". */
static void external_url_split(const char *url, struct buf *origin,
			       const char **path)
{
	const char *p = strstr(url, "://");

	*path = NULL;
	buf_reset(origin);
	if (p == NULL)
		return;
	p = strchr(p + 3, '/');
	buf_append(origin, url, p ? (size_t)(p - url) : strlen(url));
	*path = p;
}

/* The configured public prefix (NULL: derived from the request), and the
 * public origin into rw, from --web.external-prefix and --web.external-url. */
static const char *public_prefix(struct relay_worker *w, const struct conf *c,
				 struct rewrite_ctx *rw)
{
	const char *ext = c->external_prefix, *path;

	rw->public_origin = NULL;
	if (c->external_url == NULL || *c->external_url == '\0')
		return ext;
	external_url_split(c->external_url, &w->origin, &path);
	rw->public_origin = w->origin.len ? w->origin.ptr : NULL;
	if (ext == NULL)
		ext = path != NULL ? path : "";
	return ext;
}

/*
 * Body to send: sets *len (-1 unknown, chunked) and returns 1, or 0 none.
 * A body goes with the client's method whatever it is (attempt() names
 * the method, so an upload is never libcurl's PUT); only HEAD cannot
 * carry one (TF_BAD_REQUEST), nor a CONTENT_LENGTH that is not digits.
 */
static int body_plan(const struct request *rq, const struct relay_io *io,
		     int64_t *len, enum tf_status *err, const char **why)
{
	const char *cl = rq->content_length, *method = rq->method;
	uint64_t v;
	int has;

	*err = TF_OK;
	*len = -1;
	if (cl != NULL && *cl != '\0') {
		if (units_size(cl, &v) != 0 || v > INT64_MAX || strspn(cl, "0123456789") != strlen(cl)) {
			*err = TF_BAD_REQUEST, *why = "bad CONTENT_LENGTH";
			return 0;
		}
		*len = (int64_t)v;
		has = v > 0 || strcmp(method, "POST") == 0 ||
		      strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0;
	} else {
		has = rq->transfer_encoding != NULL && io->can_stream_body;
	}
	if (has && strcmp(method, "HEAD") == 0) {
		*err = TF_BAD_REQUEST, *why = "a request body on HEAD";
		return 0;
	}
	return has;
}

/*
 * The header list for libcurl, built in w->nodes over the strings in
 * w->hdrs: libcurl only reads a curl_slist, so one array of nodes reused
 * by every request spares a malloc per header.  Adds "Expect:" (no
 * 100-continue round trip) and "Accept:" when the client sent none (curl
 * would add its own).
 */
static struct curl_slist *header_list(struct relay_worker *w, int has_accept)
{
	static char expect[] = "Expect:", accept[] = "Accept:";
	const char *p = buf_str(&w->hdrs), *end = p + w->hdrs.len;
	size_t n = 2;

	for (const char *q = p; q < end; q += strlen(q) + 1)
		n++;
	if (n > w->n_nodes) {
		w->nodes = xrealloc(w->nodes, n * sizeof(*w->nodes));
		w->n_nodes = n;
	}
	n = 0;
	w->nodes[n++].data = expect;
	if (!has_accept)
		w->nodes[n++].data = accept;
	for (; p < end; p += strlen(p) + 1)
		w->nodes[n++].data = (char *)p;
	for (size_t i = 0; i < n; i++)
		w->nodes[i].next = i + 1 < n ? &w->nodes[i + 1] : NULL;
	return w->nodes;
}

/*
 * The options shared by every request to t, set once per worker: again
 * only for another target, other settings or a request's own route.
 */
static CURLcode shared_setup(struct xfer *x, const struct upstream_target *t)
{
	struct relay_worker *w = x->w;
	CURL *h = w->curl;
	CURLcode rc;

	if (w->set_for == t && w->set_conf == x->c)
		return CURLE_OK;
	w->set_for = NULL;
	rc = upstream_setup(h, x->c, t);
	if (rc != CURLE_OK)
		return rc;
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, w->errbuf);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, xfer_on_header);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, xfer_on_body);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, xfer_on_read);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, xfer_on_progress);
	if (x->shared_pool) {
		w->set_for = t;
		w->set_conf = x->c;
	}
	return CURLE_OK;
}

/* The client's method, for libcurl. */
static void set_method(struct xfer *x)
{
	CURL *h = x->w->curl;
	const char *method = x->rq->method;

	/* HTTPGET undoes the NOBODY or UPLOAD of the last request. */
	curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	if (x->head) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (x->has_body) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->body_len);
	}
	/* Named whenever there is a body: libcurl's method for an upload is
	 * PUT, which would turn a GET with a body into a PUT upstream. */
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST,
			 x->has_body || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
				 ? method : NULL);
}

/* Runs the request against target t. Returns curl's result. */
static CURLcode attempt(struct xfer *x, const struct upstream_target *t,
			struct curl_slist *hl)
{
	struct relay_worker *w = x->w;
	CURL *h = w->curl;
	CURLcode rc;

	x->attempts++;
	x->start_ms = x->last_ms = x->end_ms = clock_now_ms();
	x->first_ms = -1;
	x->got_byte = 0;
	x->cause = CAUSE_NONE;
	buf_reset(&w->url);
	rc = shared_setup(x, t);
	if (rc != CURLE_OK)
		return rc;
	if (upstream_url(t, x->c, w->path.ptr, w->path.len, &w->url, &x->connect_to) != 0)
		return CURLE_URL_MALFORMAT;
	curl_easy_setopt(h, CURLOPT_CONNECT_TO, x->connect_to);
	resphdr_reset(&w->rh);
	w->errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, w->url.ptr);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_READDATA, x);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
	set_method(x);
	rc = curl_easy_perform(h);
	x->end_ms = clock_now_ms();
	return rc;
}

/* After a failed attempt: the status to answer and its cause in w->msg. */
static enum tf_status failure(struct xfer *x, const struct upstream_target *t,
			      CURLcode rc)
{
	struct relay_worker *w = x->w;
	enum tf_status s;
	const char *why = w->errbuf[0] ? w->errbuf : curl_easy_strerror(rc);

	if (x->client_gone)
		return TF_CLIENT_GONE;
	if (x->body_short)
		s = TF_BAD_REQUEST, why = "request body ended before CONTENT_LENGTH";
	else if (x->body_too_large)
		s = TF_BODY_TOO_LARGE, why = "request body over --limits.max-body-size";
	else if (x->hdr_err != TF_OK)
		s = x->hdr_err, why = w->rh.why ? w->rh.why : "malformed or oversized response header";
	else if (x->timed_out || rc == CURLE_OPERATION_TIMEDOUT)
		s = TF_TIMEOUT, why = x->timed_out ? (x->got_byte ? "idle timeout" : "first-byte timeout") : why;
	else
		s = TF_UPSTREAM;
	if (s == TF_UPSTREAM || s == TF_UPSTREAM_HEADER || s == TF_TIMEOUT) {
		x->cause = outcome_cause(rc, x->timed_out, x->hdr_err != TF_OK);
		x->failed[x->cause]++;
	}
	if (w->msg.len > 0)
		buf_append(&w->msg, "; ", 2);
	if (s == TF_BODY_TOO_LARGE || s == TF_BAD_REQUEST)
		buf_appends(&w->msg, why);
	else
		buf_printf(&w->msg, "upstream %s failed: %s", t->url, why);
	return s;
}

/* 1 when the next replica may be tried after this failure. */
static int may_retry(const struct xfer *x, CURLcode rc, int connected)
{
	if (x->headers_sent || x->client_gone || x->body_read > 0 ||
	    x->body_too_large || x->body_short || x->hdr_err != TF_OK)
		return 0;
	if (upstream_not_sent(rc) || (rc == CURLE_OPERATION_TIMEDOUT && !connected))
		return 1;
	return method_may_repeat(x->rq->method) && !x->timed_out &&
	       (rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR ||
		rc == CURLE_SEND_ERROR || rc == CURLE_SSL_CONNECT_ERROR);
}

/*
 * Who may send what: the read-only gate and the denied paths on T as the
 * upstream reads it (decoded into w->dec), then the tenant into w->tenant.
 * Returns TF_OK, or TF_FORBIDDEN / TF_CONFIG with the cause in w->msg.
 */
static enum tf_status admit(struct relay_worker *w, const struct conf *c,
			    const struct request *rq)
{
	char err[512];
	int rc;

	buf_reset(&w->dec);
	buf_reset(&w->tenant);
	/* T decoded only for a mount with a gate: no cost on the others */
	if ((c->read_only || (c->deny_paths != NULL && *c->deny_paths != '\0')) &&
	    pct_decode(w->t.ptr, w->t.len, &w->dec) != 0)
		return buf_appends(&w->msg, "request path too long"), TF_URI_TOO_LONG;
	if (c->read_only && !gate_read_only_allows(rq->method, buf_str(&w->dec)))
		return buf_printf(&w->msg, "read-only: %s refused here", rq->method), TF_FORBIDDEN;
	if (gate_denied(c->deny_paths, buf_str(&w->dec)))
		return buf_appends(&w->msg, "path denied by --web.deny-path"), TF_FORBIDDEN;
	if (c->tenant_header == NULL || *c->tenant_header == '\0')
		return TF_OK;
	rc = tenant_for(c->tenant_map, rq->remote_user, clock_now_ms() / 1000, &w->tenant,
			err, sizeof(err));
	if (rc < 0)
		return buf_appends(&w->msg, err), TF_CONFIG;
	if (rc == 0)
		return buf_appends(&w->msg, rq->remote_user == NULL || *rq->remote_user == '\0'
						    ? "no login: tenant header required"
						    : "no tenant for this login"), TF_FORBIDDEN;
	return TF_OK;
}

/* Parses the request into w->e, w->t, w->r and w->hdrs. */
static enum tf_status prepare(struct relay_worker *w, const struct conf *c,
			      const struct request *rq, struct rewrite_ctx *rw)
{
	const char *uri = rq->uri;
	struct prefix_in in;
	struct reqhdr_opts ro;
	enum tf_status s;

	if (uri != NULL && strlen(uri) > c->max_uri_size) {
		buf_set(&w->msg, "request URI over --limits.max-uri-size", 39);
		return TF_URI_TOO_LONG;
	}
	in.script_name = rq->script_name;
	in.path_info = rq->path_info;
	in.request_uri = uri;
	in.query_string = rq->query;
	in.external_prefix = public_prefix(w, c, rw);
	s = prefix_derive(&in, &w->e, &w->t);
	if (s != TF_OK) {
		buf_appends(&w->msg, s == TF_BAD_PATH
					     ? "dot segment, control character or bad escape in path"
					     : "request path too long");
		return s;
	}
	if (prefix_normalize(c->route_prefix != NULL ? c->route_prefix : buf_str(&w->e), &w->r) != 0)
		return TF_URI_TOO_LONG;
	s = admit(w, c, rq);
	if (s != TF_OK)
		return s;
	ro.prefix_header = c->prefix_header;
	ro.prefix = buf_str(&w->e);
	ro.max_total = c->max_header_size;
	ro.tenant_header = c->tenant_header;
	ro.tenant = buf_str(&w->tenant);
	s = reqhdr_build(rq, &ro, &w->hdrs);
	if (s != TF_OK)
		buf_appends(&w->msg, s == TF_BAD_REQUEST ? "CR or LF in a request header"
							  : "request headers over --limits.max-header-size");
	rw->e = buf_str(&w->e);
	rw->r = buf_str(&w->r);
	return s;
}

/*
 * Checks the request and plans it: the method, the paths and headers
 * (prepare), the body (body_plan) and its limit.  Sets x->has_body.
 * Returns TF_OK, or the status to answer with its cause in w->msg.
 */
static enum tf_status plan(struct xfer *x)
{
	const struct request *rq = x->rq;
	struct relay_worker *w = x->w;
	const char *why = NULL;
	enum tf_status s;

	if (!method_is_token(rq->method)) {
		buf_appends(&w->msg, "bad request method");
		return TF_BAD_REQUEST;
	}
	s = prepare(w, x->c, rq, &x->rw);
	if (s != TF_OK)
		return s;
	x->has_body = body_plan(rq, x->io, &x->body_len, &s, &why);
	x->body_max = x->c->max_body_size;
	if (s == TF_OK && x->body_max > 0 && x->body_len > 0 &&
	    (uint64_t)x->body_len > x->body_max)
		s = TF_BODY_TOO_LARGE, why = "request body over --limits.max-body-size";
	if (s != TF_OK)
		buf_appends(&w->msg, why);
	return s;
}

/*
 * Runs the request on one replica (pool->v[i]) and settles what came of
 * it: the answer passed on (TF_OK), or the failure's status with the
 * replica marked down when it was never reached.  *retry says whether the
 * next replica may be tried.
 */
static enum tf_status try_one(struct xfer *x, struct upstream_pool *pool, size_t i,
			      struct curl_slist *hl, int *retry)
{
	struct relay_worker *w = x->w;
	const struct upstream_target *t = &pool->v[i];
	curl_off_t connect_us = 0;
	CURLcode rc;

	*retry = 0;
	x->hdr_err = TF_OK;
	x->timed_out = 0;
	rc = attempt(x, t, hl);
	curl_slist_free_all(x->connect_to);
	x->connect_to = NULL;
	if (rc == CURLE_OK && !x->client_gone && x->hdr_err == TF_OK) {
		if (!x->headers_sent && !w->rh.complete)
			x->hdr_err = TF_UPSTREAM_HEADER; /* no header block at all */
		else if (xfer_send_headers(x) == 0) /* the front end's finish flushes */
			return TF_OK;
		else if (x->hdr_err == TF_OK)
			x->client_gone = 1;
	}
	curl_easy_getinfo(w->curl, CURLINFO_CONNECT_TIME_T, &connect_us);
	if (upstream_not_sent(rc) || (rc == CURLE_OPERATION_TIMEDOUT && connect_us == 0 && !x->got_byte))
		upstream_mark_down(pool, i, clock_now_ms(), x->c->down_backoff_ms);
	*retry = may_retry(x, rc, connect_us > 0);
	return failure(x, t, rc);
}

/*
 * Tries the replicas in upstream_pick's order until one answers or a
 * failure may not be retried.  Returns TF_OK or the last failure.
 */
static enum tf_status try_replicas(struct xfer *x, struct upstream_pool *pool)
{
	struct relay_worker *w = x->w;
	const struct request *rq = x->rq;
	struct curl_slist *hl = header_list(w, rq->accept != NULL);
	size_t order[TRIED_MAX], n = upstream_pick(pool, clock_now_ms(), order, TRIED_MAX);
	enum tf_status s = TF_UPSTREAM;
	int retry = 1;

	for (size_t k = 0; k < n && retry; k++) {
		s = target_build(pool->v[order[k]].base_path, buf_str(&w->r), x->c->root_paths,
				 buf_str(&w->t), rq->query, &w->path);
		if (s != TF_OK) {
			buf_appends(&w->msg, "bad query string");
			return s;
		}
		s = try_one(x, pool, order[k], hl, &retry);
		if (s == TF_OK)
			return s;
	}
	return s;
}

/* The end of a request: its access and debug lines (accesslog.h), the error
 * line, and the error answer while no header has gone out (else the answer
 * is aborted). */
static void answer(struct xfer *x, enum tf_status s)
{
	struct relay_worker *w = x->w;
	struct outcome o;
	struct log_field fv[3] = {
		{"method", NULL, 0}, {"path", NULL, 0}, {"err", buf_str(&w->msg), 0}};

	if (x->own)
		return; /* the adapter's own page: not counted, not logged */
	xfer_outcome(x, s, &o);
	log_request(&o);
	metrics_record(&o);
	fv[0].val = o.method;
	fv[1].val = o.name;
	if (s == TF_CLIENT_GONE) {
		log_fields(LOG_INFO, "client closed the connection", fv, 2);
	} else if (s != TF_OK) {
		log_fields(LOG_ERR, "request failed", fv, 3);
		if (!x->headers_sent)
			send_error(w, x->io, x->c, x->head, s, buf_str(&w->msg));
		else if (x->io->abort != NULL)
			x->io->abort(x->io->ctx);
	}
}

/* A request's start: its transfer state, and the worker's per-request
 * buffers emptied (nothing of the last request is read again). */
static void begin(struct xfer *x, struct relay_worker *w, const struct relay_io *io,
		  const struct request *rq)
{
	memset(x, 0, sizeof(*x));
	x->w = w;
	x->io = io;
	x->rq = rq;
	x->c = w->conf;
	x->hdr_err = TF_OK;
	x->body_len = -1;
	x->req_start_ms = clock_now_ms();
	x->first_ms = -1;
	x->head = strcmp(rq->method, "HEAD") == 0;
	metrics_start();
	buf_reset(&w->msg);
	buf_reset(&w->e);
	buf_reset(&w->t);
}

enum tf_status relay_serve(struct relay_worker *w, const struct relay_io *io,
			   const struct request *rq)
{
	struct upstream_pool *pool = w->pool;
	struct route own;
	const struct route *rt = NULL;
	enum route_kind rk = ROUTE_BASE;
	struct xfer x;
	enum tf_status s;
	char err[512];

	begin(&x, w, io, rq);
	memset(&own, 0, sizeof(own));
	if (w->routes != NULL)
		rk = route_find(w->routes, rq, &w->key, &own, &rt, err, sizeof(err));
	if (rt != NULL) {
		x.c = &rt->conf;
		pool = rt->pool;
	}
	x.shared_pool = rk != ROUTE_OWN;
	x.rw.origins = pool->origins;
	x.rw.n_origins = pool->n;
	if (rk == ROUTE_BAD) {
		s = TF_CONFIG;
		buf_appends(&w->msg, err);
	} else {
		s = plan(&x);
	}
	if (s == TF_OK && diag_is_path(x.c->check_token, buf_str(&w->e), buf_str(&w->t)))
		s = own_check(&x);
	else if (s == TF_OK)
		s = metrics_is_path(x.c, buf_str(&w->t)) ? own_metrics(&x) : try_replicas(&x, pool);
	answer(&x, s);
	if (rk == ROUTE_OWN)
		route_release(&own);
	return s;
}
