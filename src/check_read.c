/*
 * check_read: reading what an upstream answered, for the check (check_analyze.h):
 * which program it is, the route prefix its root redirect names, the
 * prefix markers of its UI page, and where a Location leads a browser
 * through the adapter.  Pure.
 */
#include "check_analyze.h"

#include <string.h>

#include "prefix.h"
#include "rewrite.h"

enum check_kind check_kind_of(const char *metrics)
{
	if (metrics == NULL)
		return CHECK_KIND_UNKNOWN;
	if (strstr(metrics, "\nthanos_build_info{") != NULL ||
	    strncmp(metrics, "thanos_build_info{", 18) == 0)
		return CHECK_KIND_THANOS;
	if (strstr(metrics, "\nprometheus_build_info{") != NULL ||
	    strncmp(metrics, "prometheus_build_info{", 22) == 0)
		return CHECK_KIND_PROMETHEUS;
	return CHECK_KIND_UNKNOWN;
}

int check_under(const char *path, const char *p)
{
	size_t n = strlen(p);

	return strncmp(path, p, n) == 0 && (path[n] == '\0' || path[n] == '/' || n == 0);
}

int check_route_of(enum check_kind k, const char *loc, struct buf *out)
{
	struct buf raw;
	size_t n;
	int rc;

	if (loc == NULL || loc[0] != '/' || loc[1] == '/')
		return -1;
	n = strcspn(loc, "?#");
	if (k == CHECK_KIND_THANOS) {
		if (n < 6 || strncmp(loc + n - 6, "/graph", 6) != 0)
			return -1;
		n -= 6;
	}
	buf_init(&raw, out->max);
	rc = buf_set(&raw, loc, n) == 0 ? prefix_normalize(buf_str(&raw), out) : -1;
	buf_free(&raw);
	return rc;
}

/* One JS or HTML string value from p (after its opening quote q) into out:
 * \/ \\ \" \' and \u00XX unescaped, stopped at the closing quote. */
static void unquote(const char *p, char q, char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t k = 0;

	while (*p != '\0' && *p != q && k + 1 < n) {
		if (p[0] == '\\' && p[1] == 'u' && strlen(p) >= 6 && strncmp(p + 2, "00", 2) == 0 &&
		    strchr(hex, p[4] | 0x20) != NULL && strchr(hex, p[5] | 0x20) != NULL) {
			out[k++] = (char)((strchr(hex, p[4] | 0x20) - hex) * 16 +
					  (strchr(hex, p[5] | 0x20) - hex));
			p += 6;
			continue;
		}
		if (p[0] == '\\' && p[1] != '\0')
			p++;
		out[k++] = *p++;
	}
	out[k] = '\0';
}

/* After key in html: blanks, optional '=', blanks, a quote: its value.
 * before, when not 0, is a byte that must not precede key.  1 when found. */
static int value_after(const char *html, const char *key, char before, char *out, size_t n)
{
	const char *hit = html;

	while ((hit = strstr(hit, key)) != NULL) {
		const char *v = hit + strlen(key);
		int skip = before != 0 && hit != html && hit[-1] == before;

		hit = v;
		if (skip)
			continue;
		v += strspn(v, " \t");
		if (*v == '=')
			v++;
		v += strspn(v, " \t");
		if (*v != '"' && *v != '\'')
			continue;
		unquote(v + 1, *v, out, n);
		return 1;
	}
	return 0;
}

/* 1 when the attribute at p is inside a <base> tag. */
static int in_base(const char *html, const char *p)
{
	while (p > html && *p != '<' && *p != '>')
		p--;
	return strncmp(p, "<base ", 6) == 0;
}

/* The first src= or href= whose value is an absolute path (not <base>'s). */
static int first_asset(const char *html, char *out, size_t n)
{
	static const char *const keys[] = {" src=\"", " href=\""};
	const char *best = NULL;

	for (size_t i = 0; i < 2; i++) {
		const char *p = html;
		size_t kl = strlen(keys[i]);

		while ((p = strstr(p, keys[i])) != NULL &&
		       (!(p[kl] == '/' && p[kl + 1] != '/') || in_base(html, p)))
			p += kl;
		if (p != NULL && (best == NULL || p < best))
			best = p + kl;
	}
	if (best == NULL)
		return 0;
	unquote(best, '"', out, n);
	out[strcspn(out, "?#")] = '\0';
	return 1;
}

void check_page_read(const char *html, struct check_page *p)
{
	const char *base;

	memset(p, 0, sizeof(*p));
	if (html == NULL)
		return;
	p->have_global = value_after(html, "GLOBAL_PATH_PREFIX", 0, p->global, sizeof(p->global));
	p->have_path = value_after(html, "PATH_PREFIX", '_', p->path, sizeof(p->path));
	base = strstr(html, "<base ");
	if (base != NULL)
		p->have_base = value_after(base, "href", 0, p->base, sizeof(p->base));
	p->have_asset = first_asset(html, p->asset, sizeof(p->asset));
}

int check_public_path(const struct check_in *in, const char *loc, struct buf *pub)
{
	struct rewrite_ctx rw = {in->e, in->r, in->origins, in->n_origins, NULL};

	buf_reset(pub);
	if (loc == NULL || rewrite_location(&rw, loc, pub) < 0)
		return 0;
	buf_truncate(pub, strcspn(buf_str(pub), "?#"));
	if (pub->len >= 2 && pub->ptr[0] == '/' && pub->ptr[1] == '/') {
		buf_reset(pub);
		return 0; /* network-path reference: another host */
	}
	if (buf_str(pub)[0] == '/')
		return check_under(buf_str(pub), in->e);
	if (strstr(buf_str(pub), "://") != NULL) {
		buf_reset(pub);
		return 0; /* still absolute: an origin that is not the upstream's */
	}
	buf_reset(pub);
	return -1;
}
