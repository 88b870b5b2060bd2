/* check_probe: asking the upstreams what the check needs; see check_probe.h. */
#include "check_probe.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "prefix.h"
#include "target.h"
#include "upstream.h"

#define BODY_MAX (256 * 1024)

/* One answer: its status, Location, Content-Type and (part of) its body. */
struct answer {
	int code;
	struct buf body, location, ctype;
};

/* The probes of one upstream, and the strings its obs points into. */
struct probe {
	CURL *h;
	const struct conf *c;
	const struct upstream_target *t;
	const struct check_in *in;
	const _Atomic int *stop;
	struct check_obs obs;
	struct buf route_up, page, probe_page, hop[CHECK_HOPS], path;
	char error[CURL_ERROR_SIZE];
};

static void answer_init(struct answer *a)
{
	a->code = 0;
	buf_init(&a->body, BODY_MAX);
	buf_init(&a->location, 4096);
	buf_init(&a->ctype, 256);
}

static void answer_free(struct answer *a)
{
	buf_free(&a->body);
	buf_free(&a->location);
	buf_free(&a->ctype);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct answer *a = ud;

	/* past BODY_MAX: 0 ends the transfer (CURLE_WRITE_ERROR, kept as an answer) */
	return buf_append(&a->body, p, size * n) == 0 ? size * n : 0;
}

/* Keeps value of "Name: value" into b when the line is that header. */
static void header_value(const char *p, size_t n, const char *name, struct buf *b)
{
	size_t k = strlen(name);

	if (n <= k || strncasecmp(p, name, k) != 0)
		return;
	p += k;
	n -= k;
	while (n > 0 && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' '))
		n--;
	buf_set(b, p, n);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct answer *a = ud;

	header_value(p, size * n, "location:", &a->location);
	header_value(p, size * n, "content-type:", &a->ctype);
	return size * n;
}

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	const _Atomic int *stop = ud;

	(void)a, (void)b, (void)c, (void)d;
	return stop != NULL && *stop;
}

static int tls_error(CURLcode rc)
{
	return rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
	       rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CIPHER ||
	       rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_ISSUER_ERROR ||
	       rc == CURLE_SSL_CRL_BADFILE || rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH ||
	       rc == CURLE_SSL_INVALIDCERTSTATUS || rc == CURLE_USE_SSL_FAILED;
}

static long probe_timeout(const struct conf *c)
{
	int64_t ms = CHECK_PROBE_TIMEOUT_MS;

	if (c->timeout_total_ms > 0 && c->timeout_total_ms < ms)
		ms = c->timeout_total_ms;
	if (c->timeout_first_byte_ms > 0 && c->timeout_first_byte_ms < ms)
		ms = c->timeout_first_byte_ms;
	return (long)ms;
}

/* The options of one GET of path with one extra header line (or NULL). */
static CURLcode get_setup(struct probe *p, struct curl_slist *hdrs, struct curl_slist *to,
			  const struct buf *url, struct answer *a)
{
	CURLcode rc = upstream_setup(p->h, p->c, p->t);

	if (rc != CURLE_OK)
		return rc;
	curl_easy_setopt(p->h, CURLOPT_URL, buf_str(url));
	curl_easy_setopt(p->h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(p->h, CURLOPT_CONNECT_TO, to);
	curl_easy_setopt(p->h, CURLOPT_TIMEOUT_MS, probe_timeout(p->c));
	curl_easy_setopt(p->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(p->h, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(p->h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(p->h, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(p->h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(p->h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(p->h, CURLOPT_XFERINFODATA, (void *)p->stop);
	curl_easy_setopt(p->h, CURLOPT_ERRORBUFFER, p->error);
	p->error[0] = '\0';
	return CURLE_OK;
}

/* GETs path (base path included) into a; 0, or -1 with obs's error set. */
static int get(struct probe *p, const char *path, const char *hdr, struct answer *a)
{
	struct curl_slist *hdrs = hdr != NULL ? curl_slist_append(NULL, hdr) : NULL;
	struct curl_slist *to = NULL;
	struct buf url;
	CURLcode rc = CURLE_URL_MALFORMAT;
	long code = 0;

	buf_init(&url, 16384);
	if (upstream_url(p->t, p->c, path, strlen(path), &url, &to) == 0)
		rc = get_setup(p, hdrs, to, &url, a);
	if (rc == CURLE_OK)
		rc = curl_easy_perform(p->h);
	if (rc == CURLE_WRITE_ERROR && a->body.len > 0)
		rc = CURLE_OK; /* the body was longer than we keep */
	curl_easy_getinfo(p->h, CURLINFO_RESPONSE_CODE, &code);
	a->code = (int)code;
	curl_slist_free_all(hdrs);
	curl_slist_free_all(to);
	buf_free(&url);
	if (rc == CURLE_OK)
		return 0;
	p->obs.curl_rc = (int)rc;
	p->obs.tls = tls_error(rc);
	if (p->error[0] == '\0')
		snprintf(p->error, sizeof(p->error), "%s", curl_easy_strerror(rc));
	if (p->t->unix_path != NULL) { /* libcurl names the URL's host, not the socket */
		char why[CURL_ERROR_SIZE];

		snprintf(why, sizeof(why), "%s", p->error);
		if (snprintf(p->error, sizeof(p->error), "unix socket %.100s: %s", p->t->unix_path,
			     why) >= (int)sizeof(p->error))
			memcpy(p->error + sizeof(p->error) - 4, "...", 4);
	}
	p->obs.error = p->error;
	return -1;
}

/* The origin-form path of sub-path sub under R (or at the root when
 * root_paths lists it), as the adapter builds it. */
static const char *path_of(struct probe *p, const char *root_paths, const char *sub)
{
	if (target_build(p->t->base_path, p->in->r, root_paths, sub, NULL, &p->path) != TF_OK)
		buf_set(&p->path, "/", 1);
	return buf_str(&p->path);
}

/* GET of the path and only its status; 0 when it did not answer. */
static int code_of(struct probe *p, const char *path)
{
	struct answer a;
	int code;

	answer_init(&a);
	code = get(p, path, NULL, &a) == 0 ? a.code : 0;
	answer_free(&a);
	p->obs.curl_rc = 0; /* a later probe's failure is not "unreachable" */
	return code;
}

/* Which program it is and where its route prefix is: /metrics at the
 * root, then the root's redirect (and, for a Prometheus, its /metrics). */
static int identify(struct probe *p)
{
	struct answer a, m;
	struct check_obs *o = &p->obs;

	answer_init(&a);
	if (get(p, path_of(p, "/metrics", "/metrics"), NULL, &a) != 0) {
		answer_free(&a);
		return -1;
	}
	o->kind = a.code == 200 ? check_kind_of(buf_str(&a.body)) : CHECK_KIND_UNKNOWN;
	if (o->kind == CHECK_KIND_PROMETHEUS && buf_set(&p->route_up, "", 0) == 0)
		o->route_up = buf_str(&p->route_up);
	answer_free(&a);
	answer_init(&a);
	if (o->route_up == NULL && get(p, path_of(p, "/", "/"), NULL, &a) == 0 &&
	    a.code / 100 == 3) {
		if (o->kind == CHECK_KIND_THANOS &&
		    check_route_of(o->kind, buf_str(&a.location), &p->route_up) == 0)
			o->route_up = buf_str(&p->route_up);
		if (o->kind == CHECK_KIND_UNKNOWN &&
		    check_route_of(CHECK_KIND_PROMETHEUS, buf_str(&a.location), &p->route_up) == 0) {
			answer_init(&m);
			if (target_build(p->t->base_path, buf_str(&p->route_up), "", "/metrics", NULL,
					 &p->path) == TF_OK &&
			    get(p, buf_str(&p->path), NULL, &m) == 0 && m.code == 200 &&
			    check_kind_of(buf_str(&m.body)) == CHECK_KIND_PROMETHEUS) {
				o->kind = CHECK_KIND_PROMETHEUS;
				o->route_up = buf_str(&p->route_up);
			}
			answer_free(&m);
		}
	}
	answer_free(&a);
	o->curl_rc = 0;
	return 0;
}

/* /-/ready and /metrics where the adapter sends them, and at the other place. */
static void root_paths(struct probe *p)
{
	const char *rp = p->c->root_paths;

	if (*p->in->r == '\0')
		return; /* the root is R: nothing to tell apart */
	p->obs.ready_code = code_of(p, path_of(p, rp, "/-/ready"));
	p->obs.ready_other = code_of(p, path_of(p, target_is_root_path(rp, "/-/ready") ? "" :
						"/-/ready", "/-/ready"));
	p->obs.metrics_code = code_of(p, path_of(p, rp, "/metrics"));
	p->obs.metrics_other = code_of(p, path_of(p, target_is_root_path(rp, "/metrics") ? "" :
						  "/metrics", "/metrics"));
}

/* The next sub-path of the home chain from a redirect; 0, or -1 to stop. */
static int next_hop(struct probe *p, const struct answer *a, struct buf *sub)
{
	struct check_obs *o = &p->obs;
	struct buf *h = &p->hop[o->n_hops];

	if (a->code / 100 != 3 || a->location.len == 0 || o->n_hops >= CHECK_HOPS)
		return -1;
	buf_set(h, a->location.ptr, a->location.len);
	o->hop[o->n_hops++] = buf_str(h);
	if (check_public_path(p->in, buf_str(h), sub) != 1)
		return -1;
	memmove(sub->ptr, sub->ptr + strlen(p->in->e), sub->len - strlen(p->in->e) + 1);
	sub->len -= strlen(p->in->e);
	return 0;
}

/* The home page under R, asked as the adapter asks it, redirects followed
 * while they stay under E; the last answer is the page. */
static void home(struct probe *p, struct buf *last)
{
	struct buf sub, hdr;
	struct answer a;
	int i;

	buf_init(&sub, 4096);
	buf_init(&hdr, 4096);
	buf_set(&sub, "/", 1);
	if (*p->in->prefix_header != '\0')
		buf_printf(&hdr, "%s: %s", p->in->prefix_header, p->in->e);
	for (i = 0; i <= CHECK_HOPS; i++) {
		answer_init(&a);
		buf_set(last, path_of(p, "", sub.len ? buf_str(&sub) : "/"), p->path.len);
		if (get(p, buf_str(last), hdr.len ? buf_str(&hdr) : NULL, &a) != 0)
			break;
		if (i == 0)
			p->obs.home_code = a.code;
		p->obs.page_code = a.code;
		if (next_hop(p, &a, &sub) != 0)
			break;
		answer_free(&a);
	}
	if (a.code == 200 && strncasecmp(buf_str(&a.ctype), "text/html", 9) == 0 &&
	    buf_set(&p->page, a.body.ptr, a.body.len) == 0)
		p->obs.page = buf_str(&p->page);
	answer_free(&a);
	buf_free(&sub);
	buf_free(&hdr);
	p->obs.curl_rc = 0;
}

/* The page again with the probe prefix header, when the adapter sends none. */
static void header_probe(struct probe *p, const char *path)
{
	struct answer a;

	if (p->obs.page == NULL || *p->in->prefix_header != '\0' ||
	    p->obs.kind == CHECK_KIND_PROMETHEUS)
		return;
	answer_init(&a);
	if (get(p, path, "X-Forwarded-Prefix: " CHECK_PROBE_PREFIX, &a) == 0 && a.code == 200 &&
	    buf_set(&p->probe_page, a.body.ptr, a.body.len) == 0)
		p->obs.probe_page = buf_str(&p->probe_page);
	answer_free(&a);
	p->obs.curl_rc = 0;
}

static void probe_init(struct probe *p)
{
	memset(p, 0, sizeof(*p));
	buf_init(&p->route_up, 4096);
	buf_init(&p->page, BODY_MAX);
	buf_init(&p->probe_page, BODY_MAX);
	buf_init(&p->path, 16384);
	for (size_t i = 0; i < CHECK_HOPS; i++)
		buf_init(&p->hop[i], 4096);
}

static void probe_free(struct probe *p)
{
	buf_free(&p->route_up);
	buf_free(&p->page);
	buf_free(&p->probe_page);
	buf_free(&p->path);
	for (size_t i = 0; i < CHECK_HOPS; i++)
		buf_free(&p->hop[i]);
	if (p->h != NULL)
		curl_easy_cleanup(p->h);
}

/* Probes one upstream and writes its findings into u. */
static void probe_one(const struct conf *c, const struct upstream_target *t,
		      const struct check_in *in, const _Atomic int *stop, struct check_upstream *u)
{
	struct probe p;
	struct buf last;

	probe_init(&p);
	buf_init(&last, 16384);
	p.c = c, p.t = t, p.in = in, p.stop = stop;
	p.h = curl_easy_init();
	if (p.h != NULL && identify(&p) == 0) {
		root_paths(&p);
		home(&p, &last);
		header_probe(&p, buf_str(&last));
	} else if (p.h == NULL) {
		p.obs.curl_rc = CURLE_FAILED_INIT;
		p.obs.error = "curl_easy_init failed";
	}
	u->kind = p.obs.kind;
	u->route_known = p.obs.route_up != NULL;
	snprintf(u->route_up, sizeof(u->route_up), "%s", u->route_known ? p.obs.route_up : "");
	u->n = check_analyze(in, &p.obs, u->f, CHECK_MAX_FINDINGS);
	buf_free(&last);
	probe_free(&p);
}

/* E and R as the check assumes them; 0 or -1 when too long. */
static int prefixes(const struct conf *c, struct check_report *rep)
{
	struct buf b;
	int rc;

	buf_init(&b, sizeof(rep->e) - 1);
	rep->e_assumed = c->external_prefix == NULL;
	rep->r_assumed = c->route_prefix == NULL && c->external_prefix == NULL;
	rc = prefix_normalize(c->route_prefix != NULL ? c->route_prefix : c->external_prefix, &b);
	snprintf(rep->r, sizeof(rep->r), "%s", buf_str(&b));
	if (rc == 0)
		rc = prefix_normalize(rep->e_assumed ? rep->r : c->external_prefix, &b);
	snprintf(rep->e, sizeof(rep->e), "%s", buf_str(&b));
	buf_free(&b);
	return rc;
}

int check_run(const struct conf *c, struct check_report *rep, const _Atomic int *stop,
	      char *err, size_t errlen)
{
	struct upstream_pool pool;
	struct check_in in;

	memset(rep, 0, sizeof(*rep));
	if (prefixes(c, rep) != 0)
		return status_errf(err, errlen, "--web.route-prefix: too long");
	if (upstream_pool_init(&pool, c->upstream, err, errlen) != 0)
		return -1;
	in = (struct check_in){NULL, rep->r, rep->e, c->prefix_header, c->root_paths,
			       c->tenant_header, pool.origins, pool.n};
	rep->u = xmalloc(pool.n * sizeof(*rep->u));
	rep->n = pool.n;
	for (size_t i = 0; i < pool.n; i++) {
		memset(&rep->u[i], 0, sizeof(rep->u[i]));
		snprintf(rep->u[i].url, sizeof(rep->u[i].url), "%s", pool.v[i].url);
		in.url = rep->u[i].url;
		probe_one(c, &pool.v[i], &in, stop, &rep->u[i]);
	}
	upstream_pool_free(&pool);
	return 0;
}

int check_report_bad(const struct check_report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		for (size_t k = 0; k < rep->u[i].n; k++)
			if (rep->u[i].f[k].level >= CHECK_WARN)
				return 1;
	for (size_t k = 0; rep->have_web && k < rep->web.n; k++)
		if (rep->web.f[k].level >= CHECK_WARN)
			return 1;
	return 0;
}

void check_report_free(struct check_report *rep)
{
	if (rep == NULL)
		return;
	free(rep->u);
	rep->u = NULL;
	rep->n = 0;
}
