/* check_web: the web server as --url saw it -> findings; see check_web.h. */
#include "check_web.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"

#define V 512

/* What the adapter reported, read once. */
struct passed {
	char e[V], t[V], sn[V], pi[V], uri[V], auth[16];
	int have_pi;
};

struct out {
	const struct check_web_obs *o;
	struct check_finding *f;
	size_t n, max;
};

int check_web_is_diag(const char *body)
{
	return body != NULL && strncmp(body, "thanos-fcgi check\n", 18) == 0;
}

int check_web_value(const char *body, const char *key, char *out, size_t n)
{
	size_t k = strlen(key);

	out[0] = '\0';
	for (const char *p = body; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		size_t len = strcspn(p, "\n");

		if (len > k && strncmp(p, key, k) == 0 && p[k] == '=') {
			snprintf(out, n, "%.*s", (int)(len - k - 1), p + k + 1);
			return 1;
		}
	}
	return 0;
}

__attribute__((format(printf, 6, 7)))
static struct check_finding *add(struct out *w, enum check_level l, const char *id,
				 const char *flag, const char *side, const char *fmt, ...)
{
	struct check_finding *f;
	va_list ap;

	if (w->n >= w->max)
		return NULL;
	f = &w->f[w->n++];
	memset(f, 0, sizeof(*f));
	f->level = l, f->id = id, f->flag = flag, f->side = side;
	va_start(ap, fmt);
	vsnprintf(f->what, sizeof(f->what), fmt, ap);
	va_end(ap);
	return f;
}

static const char *shown(const char *p)
{
	return *p == '\0' ? "/" : p;
}

/* The URL's path sub (DIAG_PATH...) without a doubled '/'. */
static const char *after(const char *url, const char *sub)
{
	size_t n = strlen(url);

	return n > 0 && url[n - 1] == '/' ? sub + 1 : sub;
}

/* The first request got no check answer: why, as far as can be told. */
static void no_answer(struct out *w)
{
	const struct check_web_answer *a = &w->o->plain;
	struct check_finding *f;

	if (a->curl_rc != 0) {
		f = add(w, CHECK_FAIL, "web_unreachable", "--url", "thanos-fcgi", "%s: unreachable: %s",
			w->o->url, a->error);
		if (f != NULL)
			snprintf(f->fix, sizeof(f->fix), "check the URL, or start the web server");
		return;
	}
	if (a->code == 401) {
		f = add(w, CHECK_FAIL, "web_login", "--url", "thanos-fcgi",
			"%s: the web server asks for a login (401)", w->o->url);
		if (f != NULL)
			snprintf(f->fix, sizeof(f->fix), "give the login in the URL: --url "
				 "https://USER:PASSWORD@HOST/PREFIX/");
		return;
	}
	if (a->code >= 502 && a->code <= 504 && !(a->body != NULL && strncmp(a->body, "thanos-fcgi:", 12) == 0)) {
		f = add(w, CHECK_FAIL, "web_backend", "--listen.mode", "thanos-fcgi",
			"%s: the web server answers %d: it cannot reach thanos-fcgi", w->o->url, a->code);
		if (f != NULL)
			snprintf(f->fix, sizeof(f->fix), "start thanos-fcgi, point the server at its "
				 "socket, and let the server's user open it: --listen.mode=0660 "
				 "--listen.group=www-data (its error log names the cause)");
		return;
	}
	f = add(w, CHECK_FAIL, a->code == 403 && a->body != NULL && strstr(a->body, "check token")
		? "check_token" : "no_check_answer", "--web.check-token", "thanos-fcgi",
		"%s: %s%s answers %d, not thanos-fcgi's check answer", w->o->url,
		w->o->url, after(w->o->url, DIAG_PATH), a->code);
	if (f != NULL)
		snprintf(f->fix, sizeof(f->fix), "set the same --web.check-token in the adapter's "
			 "settings there (FcgidInitialEnv, SetEnv, fastcgi_param, its --config file) "
			 "and for check, and mount thanos-fcgi at this URL's prefix");
}

/* E and T the adapter derived, against the URL's prefix. */
static void prefix(struct out *w, const struct passed *p)
{
	const char *want = w->o->prefix;
	struct check_finding *f;
	int whole = strcmp(p->sn, p->uri) == 0 && strstr(p->sn, DIAG_PATH) != NULL;

	if (strcmp(p->e, want) == 0 && strcmp(p->t, DIAG_PATH) == 0)
		return;
	f = add(w, CHECK_FAIL, "web_prefix", "--web.external-prefix", "thanos-fcgi",
		"%s: from what the web server passes (SCRIPT_NAME='%s', PATH_INFO=%s%s%s, "
		"REQUEST_URI='%s') the adapter derives E='%s', T='%s', not E='%s'", w->o->url, p->sn,
		p->have_pi ? "'" : "", p->have_pi ? p->pi : "(unset)", p->have_pi ? "'" : "", p->uri,
		p->e, p->t, want);
	if (f == NULL)
		return;
	if (whole)
		snprintf(f->fix, sizeof(f->fix), "the server passes the whole path as SCRIPT_NAME "
			 "(nginx's `include fastcgi_params` alone, the PHP-FPM way): add "
			 "`fastcgi_param SCRIPT_NAME %s;` after it (deploy/nginx), or set "
			 "thanos-fcgi's --web.external-prefix=%s", want, shown(want));
	else
		snprintf(f->fix, sizeof(f->fix), "make the web server pass SCRIPT_NAME=%s (the "
			 "mount) and REQUEST_URI, or set thanos-fcgi's --web.external-prefix=%s",
			 want, shown(want));
}

static void authorization(struct out *w, const struct passed *p)
{
	struct check_finding *f;

	if (strcmp(p->auth, "absent") != 0)
		return;
	f = add(w, CHECK_WARN, "web_authorization", "CGIPassAuth", "Apache",
		"%s: the Authorization header sent does not reach the adapter: the web server "
		"keeps it", w->o->url);
	if (f != NULL)
		snprintf(f->fix, sizeof(f->fix), "Apache: `CGIPassAuth On` in the adapter's "
			 "<Location>/<Directory> (or .htaccess), for mod_cgi and mod_fcgid alike");
}

/* The request with %2F: the server's own 404, or decoded on the way. */
static void slash(struct out *w, const struct passed *p)
{
	const struct check_web_answer *a = &w->o->slash;
	char t[V];
	struct check_finding *f = NULL;

	if (a->curl_rc != 0)
		return;
	if (!check_web_is_diag(a->body))
		f = add(w, CHECK_FAIL, "web_encoded_slash", "AllowEncodedSlashes", "Apache",
			"%s: a path with %%2F gets the web server's own %d (%s%s)", w->o->url,
			a->code, w->o->url, after(w->o->url, DIAG_PATH CHECK_WEB_SLASH));
	else if (check_web_value(a->body, "t", t, sizeof(t)) &&
		 strcmp(t, DIAG_PATH CHECK_WEB_SLASH) != 0 && strcmp(p->t, DIAG_PATH) == 0)
		f = add(w, CHECK_FAIL, "web_slash_decoded", "AllowEncodedSlashes", "Apache",
			"%s: %%2F arrives as T='%s', not '%s': the web server decodes it", w->o->url,
			t, DIAG_PATH CHECK_WEB_SLASH);
	if (f != NULL)
		snprintf(f->fix, sizeof(f->fix), "Apache: `AllowEncodedSlashes NoDecode` in the "
			 "server or <VirtualHost> configuration (not .htaccess); nginx: set only "
			 "SCRIPT_NAME and pass REQUEST_URI (deploy/nginx)");
}

static void read_passed(const char *body, struct passed *p)
{
	check_web_value(body, "e", p->e, sizeof(p->e));
	check_web_value(body, "t", p->t, sizeof(p->t));
	check_web_value(body, "script_name", p->sn, sizeof(p->sn));
	p->have_pi = check_web_value(body, "path_info", p->pi, sizeof(p->pi));
	check_web_value(body, "request_uri", p->uri, sizeof(p->uri));
	check_web_value(body, "authorization", p->auth, sizeof(p->auth));
}

size_t check_web_analyze(const struct check_web_obs *o, struct check_finding *f, size_t max)
{
	struct out w = {o, f, 0, max};
	struct passed p;
	size_t first;

	if (!check_web_is_diag(o->plain.body)) {
		no_answer(&w);
		return w.n;
	}
	memset(&p, 0, sizeof(p));
	read_passed(o->plain.body, &p);
	add(&w, CHECK_NOTE, "web_passed", NULL, NULL, "%s: the web server passed SCRIPT_NAME='%s' "
	    "PATH_INFO=%s%s%s REQUEST_URI='%s', Authorization %s; the adapter derived E='%s' "
	    "T='%s'", o->url, p.sn, p.have_pi ? "'" : "", p.have_pi ? p.pi : "(unset)",
	    p.have_pi ? "'" : "", p.uri, strcmp(p.auth, "present") == 0 ? "arrives" :
	    "does not arrive", p.e, p.t);
	first = w.n;
	prefix(&w, &p);
	authorization(&w, &p);
	slash(&w, &p);
	if (w.n == first)
		add(&w, CHECK_OK, "web_ok", NULL, NULL, "%s: the web server passes the prefix, %%2F "
		    "and Authorization as thanos-fcgi needs them", o->url);
	return w.n;
}
