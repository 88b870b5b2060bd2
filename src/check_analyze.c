/* check_analyze: what the probes of an upstream saw -> findings; see check_analyze.h. */
#include "check_analyze.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "prefix.h"
#include "rewrite.h"
#include "target.h"

/* The findings being written for one upstream. */
struct out {
	const struct check_in *in;
	const struct check_obs *o;
	struct check_finding *f;
	size_t n, max;
};

/* Appends an empty finding; the caller writes what and fix.  Returns it,
 * or NULL when max findings are there already. */
static struct check_finding *add(struct out *w, enum check_level l, const char *id,
				 const char *flag, const char *side)
{
	struct check_finding *f;

	if (w->n >= w->max)
		return NULL;
	f = &w->f[w->n++];
	memset(f, 0, sizeof(*f));
	f->level = l;
	f->id = id;
	f->flag = flag;
	f->side = side;
	return f;
}

__attribute__((format(printf, 3, 4)))
static void say(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(dst, n, fmt, ap);
	va_end(ap);
	if (k >= 0 && (size_t)k >= n && n > 4)
		memcpy(dst + n - 4, "...", 4); /* cut: shown as such */
}

const char *check_kind_name(enum check_kind k)
{
	return k == CHECK_KIND_THANOS ? "Thanos" : k == CHECK_KIND_PROMETHEUS ? "Prometheus" : "the upstream";
}

const char *check_level_name(enum check_level l)
{
	static const char *const names[] = {"ok", "note", "warn", "fail"};

	return (unsigned)l < 4 ? names[l] : "fail";
}

/* "/" for the empty prefix, for messages. */
static const char *shown(const char *p)
{
	return p == NULL || *p == '\0' ? "/" : p;
}

static int ok_code(int code)
{
	return code >= 200 && code < 300;
}

static void unreachable(struct out *w)
{
	struct check_finding *f;

	if (w->o->tls) {
		f = add(w, CHECK_FAIL, "tls", "--upstream.tls.ca-file", "thanos-fcgi");
		if (f == NULL)
			return;
		say(f->what, sizeof(f->what), "%s: TLS failed: %s", w->in->url, w->o->error);
		say(f->fix, sizeof(f->fix), "give the CA that signed its certificate with "
		    "--upstream.tls.ca-file (or the name it holds with --upstream.tls.server-name)");
		return;
	}
	f = add(w, CHECK_FAIL, "unreachable", "--upstream", "thanos-fcgi");
	if (f == NULL)
		return;
	say(f->what, sizeof(f->what), "%s: unreachable: %s", w->in->url, w->o->error);
	say(f->fix, sizeof(f->fix), "start the upstream, or correct --upstream (host, port, scheme)");
}

/* The route prefix differs from the upstream's own: 1 when reported. */
static int route_wrong(struct out *w)
{
	const struct check_obs *o = w->o;
	struct check_finding *f;

	if (o->route_up == NULL || strcmp(o->route_up, w->in->r) == 0)
		return 0;
	f = add(w, CHECK_FAIL, "route_prefix", "--web.route-prefix", "thanos-fcgi");
	if (f == NULL)
		return 1;
	say(f->what, sizeof(f->what), "%s: %s serves under the route prefix %s (its UI answers "
	    "at %s/), but thanos-fcgi's --web.route-prefix is %s (GET %s/ answers %d)",
	    w->in->url, check_kind_name(o->kind), shown(o->route_up), o->route_up,
	    shown(w->in->r), w->in->r, o->home_code);
	say(f->fix, sizeof(f->fix), "set thanos-fcgi's --web.route-prefix=%s, or start %s "
	    "with --web.route-prefix=%s", shown(o->route_up), check_kind_name(o->kind),
	    shown(w->in->r));
	return 1;
}

/* R/ answers 404 and nothing says where the UI is. */
static void home_missing(struct out *w)
{
	struct check_finding *f;

	if (w->o->route_up != NULL || w->o->home_code != 404)
		return;
	f = add(w, CHECK_FAIL, "route_prefix", "--web.route-prefix", "thanos-fcgi");
	if (f == NULL)
		return;
	say(f->what, sizeof(f->what), "%s: GET %s/ answers 404 and its root names no other "
	    "prefix", w->in->url, w->in->r);
	say(f->fix, sizeof(f->fix), "set thanos-fcgi's --web.route-prefix to the upstream's "
	    "own --web.route-prefix");
}

/* /-/ready and /metrics 404 where the adapter sends them, answer elsewhere. */
static void root_paths(struct out *w)
{
	const struct check_obs *o = w->o;
	int at_root = target_is_root_path(w->in->root_paths, "/-/ready");
	struct check_finding *f;

	if (!((o->ready_code == 404 && ok_code(o->ready_other)) ||
	      (o->metrics_code == 404 && ok_code(o->metrics_other))))
		return;
	f = add(w, CHECK_FAIL, "root_paths", "--upstream.root-path", "thanos-fcgi");
	if (f == NULL)
		return;
	say(f->what, sizeof(f->what), "%s: /-/ready and /metrics would 404: %s serves them %s, "
	    "but --upstream.root-path sends them %s", w->in->url, check_kind_name(o->kind),
	    at_root ? "under its route prefix" : "at its root",
	    at_root ? "to its root" : "under the route prefix");
	if (at_root)
		say(f->fix, sizeof(f->fix), "set --upstream.root-path= (empty) in front of a "
		    "Prometheus");
	else
		say(f->fix, sizeof(f->fix), "set --upstream.root-path=/metrics,/-/healthy,/-/ready "
		    "(the default) in front of a Thanos");
}

/* The fix for a prefix the upstream got wrong, by kind. */
static void fix_external(struct out *w, struct check_finding *f)
{
	if (w->o->kind == CHECK_KIND_PROMETHEUS) {
		f->flag = "--web.external-url";
		f->side = "Prometheus";
		say(f->fix, sizeof(f->fix), "start Prometheus with --web.external-url=https://HOST%s "
		    "(its path must be the public prefix)", w->in->e);
	} else if (w->o->kind == CHECK_KIND_THANOS) {
		f->flag = "--web.external-prefix";
		f->side = "Thanos";
		say(f->fix, sizeof(f->fix), "start Thanos with --web.external-prefix=%s, or with "
		    "--web.prefix-header=X-Forwarded-Prefix and keep thanos-fcgi's --web.prefix-header",
		    shown(w->in->e));
	} else {
		f->flag = "--web.external-url";
		f->side = "the upstream";
		say(f->fix, sizeof(f->fix), "set the upstream's external URL or prefix to %s",
		    shown(w->in->e));
	}
}

/* 1 when a non-empty E is there twice at the start of path. */
static int doubled(const char *e, const char *path)
{
	size_t n = strlen(e);

	return n > 0 && strncmp(path, e, n) == 0 && check_under(path + n, e);
}

/* A redirect of the home chain that leaves E or doubles it: 1 when reported. */
static int hops_outside(struct out *w)
{
	struct buf pub;
	struct check_finding *f = NULL;
	int r = 0;

	buf_init(&pub, 4096);
	for (size_t i = 0; i < w->o->n_hops && f == NULL; i++) {
		r = check_public_path(w->in, w->o->hop[i], &pub);
		if (r == 1 && !doubled(w->in->e, buf_str(&pub)))
			continue;
		if (r < 0)
			continue;
		f = add(w, CHECK_FAIL, r == 0 ? "redirect_outside" : "redirect_doubled", NULL, NULL);
		if (f == NULL)
			break;
		say(f->what, sizeof(f->what), "%s: its redirect to %s would send the browser to %s, %s "
		    "the public prefix %s", w->in->url, w->o->hop[i], r == 0 && *buf_str(&pub) == '\0'
		    ? "another host" : buf_str(&pub), r == 0 ? "outside" : "which doubles", shown(w->in->e));
		fix_external(w, f);
	}
	buf_free(&pub);
	return f != NULL;
}

/* One prefix marker of the page against E: 1 when reported. */
static int marker(struct out *w, int have, const char *v, const char *name, int exact)
{
	struct check_finding *f;
	int bad = exact ? strcmp(v, w->in->e) != 0 : !check_under(v, w->in->e);

	if (!have || !bad)
		return 0;
	f = add(w, CHECK_FAIL, doubled(w->in->e, v) ? "page_prefix_doubled" : "page_prefix",
		NULL, NULL);
	if (f == NULL)
		return 1;
	say(f->what, sizeof(f->what), "%s: its UI page's %s is '%s', not under the public prefix "
	    "%s: the page loads unstyled or its links miss", w->in->url, name, v, shown(w->in->e));
	fix_external(w, f);
	return 1;
}

static int page(struct out *w)
{
	struct check_page p;

	if (w->o->page == NULL)
		return 0;
	check_page_read(w->o->page, &p);
	if (marker(w, p.have_global, p.global, "GLOBAL_PATH_PREFIX", 1) ||
	    marker(w, p.have_path, p.path, "PATH_PREFIX", 1))
		return 1;
	return marker(w, p.have_base && p.base[0] == '/', p.base, "<base href>", 0) ||
	       marker(w, p.have_asset, p.asset, "asset link", 0);
}

/* A Thanos that serves the prefix header's value, while the adapter sends none. */
static int header_unset(struct out *w)
{
	struct check_page p;
	struct check_finding *f;

	if (w->o->probe_page == NULL || *w->in->prefix_header != '\0')
		return 0;
	check_page_read(w->o->probe_page, &p);
	if (!p.have_global || strcmp(p.global, CHECK_PROBE_PREFIX) != 0)
		return 0;
	f = add(w, CHECK_FAIL, "prefix_header", "--web.prefix-header", "thanos-fcgi");
	if (f == NULL)
		return 1;
	say(f->what, sizeof(f->what), "%s: %s takes its UI prefix from X-Forwarded-Prefix (its "
	    "--web.prefix-header), but thanos-fcgi's --web.prefix-header is empty: it sends none, "
	    "so the UI gets no prefix", w->in->url, check_kind_name(w->o->kind));
	say(f->fix, sizeof(f->fix), "set thanos-fcgi's --web.prefix-header=X-Forwarded-Prefix");
	return 1;
}

/* --tenant.header in front of an upstream that has no tenancy. */
static int tenancy(struct out *w)
{
	struct check_finding *f;
	int prom = w->o->kind == CHECK_KIND_PROMETHEUS;

	if (*w->in->tenant_header == '\0' || w->o->kind == CHECK_KIND_UNKNOWN)
		return 0;
	f = add(w, prom ? CHECK_WARN : CHECK_NOTE, "tenancy", prom ? "--tenant.header" : NULL,
		"thanos-fcgi");
	if (f == NULL)
		return prom;
	if (!prom) {
		say(f->what, sizeof(f->what), "%s: Thanos isolates tenants only when run with "
		    "--query.enforce-tenancy and --query.tenant-header=%s: not visible from here",
		    w->in->url, w->in->tenant_header);
		return 0;
	}
	say(f->what, sizeof(f->what), "%s: --tenant.header=%s is on, but Prometheus has no "
	    "tenancy: it ignores the header and every user sees every series (no isolation)",
	    w->in->url, w->in->tenant_header);
	say(f->fix, sizeof(f->fix), "put a Thanos Query run with --query.enforce-tenancy in "
	    "front of it, or turn --tenant.header off");
	return 1;
}

static void all_right(struct out *w)
{
	struct check_finding *f = add(w, CHECK_OK, "ok", NULL, NULL);

	if (f != NULL)
		say(f->what, sizeof(f->what), "%s: %s, route prefix %s, UI at %s/ as the public "
		    "prefix expects", w->in->url, check_kind_name(w->o->kind), shown(w->in->r),
		    w->in->e);
}

size_t check_analyze(const struct check_in *in, const struct check_obs *o,
		     struct check_finding *f, size_t max)
{
	struct out w = {in, o, f, 0, max};
	int bad;

	if (o->curl_rc != 0) {
		unreachable(&w);
		return w.n;
	}
	bad = route_wrong(&w);
	if (!bad) {
		home_missing(&w);
		root_paths(&w);
		bad = w.n > 0;
		if (!hops_outside(&w))
			bad |= header_unset(&w) || page(&w);
		else
			bad = 1;
	}
	bad |= tenancy(&w);
	if (!bad)
		all_right(&w);
	return w.n;
}
