/*
 * rewrite: maps URL references in response headers from the upstream's
 * route prefix R (and origin) to the public prefix E; see rewrite.h for the
 * rules.  Each rewriter copies the value into out piece by piece, mapping
 * the URL references it finds and copying every other byte as it is; the
 * value counts as changed when out differs from it.
 */
#include "rewrite.h"

#include <stdlib.h>
#include <string.h>

#include "url.h"

static int is_ws(char ch)
{
	return ch == ' ' || ch == '\t';
}

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static char lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

/* Whether the n bytes at a equal the string b, ASCII case-insensitively. */
static int ieq(const char *a, size_t n, const char *b)
{
	size_t i;

	if (strlen(b) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (lower(a[i]) != lower(b[i]))
			return 0;
	return 1;
}

static size_t skip_ws(const char *v, size_t n, size_t i)
{
	while (i < n && is_ws(v[i]))
		i++;
	return i;
}

/* Length of a prefix without trailing slashes: "/" and NULL are "". */
static size_t prefix_len(const char *p)
{
	size_t n = p ? strlen(p) : 0;

	while (n > 0 && p[n - 1] == '/')
		n--;
	return n;
}

/* Whether path p (n bytes, no query) starts with pre at a segment
 * boundary.  The empty prefix matches every path. */
static int seg_prefix(const char *p, size_t n, const char *pre, size_t pn)
{
	if (pn == 0)
		return 1;
	return n >= pn && memcmp(p, pre, pn) == 0 && (n == pn || p[pn] == '/');
}

/* Length of the path part of a reference: up to the first '?' or '#'. */
static size_t path_end(const char *u, size_t n)
{
	size_t i = 0;

	while (i < n && u[i] != '?' && u[i] != '#')
		i++;
	return i;
}

/* Whether a path-only reference p would name another host: a browser reads
 * "//x" and "/\x" as network-path references. */
static int is_net_path(const char *p, size_t n)
{
	size_t i = 1;
	while (i < n && (p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	return n >= 2 && p[0] == '/' && i < n && (p[i] == '/' || p[i] == '\\');
}

/*
 * Maps the absolute path p (n bytes, query and fragment split off).
 * Appends the mapped path to out and returns 1; returns 0 with nothing
 * appended when the path is left alone; -1 when out is full.  In cookie
 * mode a "/" under an empty R becomes E rather than E + "/", since the
 * cookie path "/x/" would not match the request path "/x".
 */
static int map_path(const struct rewrite_ctx *c, const char *p, size_t n,
	int cookie, struct buf *out)
{
	const char *e = c->e ? c->e : "";
	const char *r = c->r ? c->r : "";
	size_t el = prefix_len(e), rl = prefix_len(r);
	const char *rest;
	size_t rn;

	if (n == 0 || p[0] != '/' || is_net_path(p, n))
		return 0;
	if (el == rl && memcmp(e, r, el) == 0)
		return 0;
	if (!seg_prefix(p, n, r, rl))
		return 0;
	/* Both match and E is the longer: the path is already public. */
	if (el > rl && seg_prefix(p, n, e, el))
		return 0;
	rest = p + rl;
	rn = n - rl;
	/* E = "" and R = "/thanos": "/thanos//x" must not become "//x". */
	if (el == 0 && is_net_path(rest, rn))
		return 0;
	if (cookie && rl == 0 && el > 0 && rn == 1)
		rn = 0;
	if (el + rn == 0)
		return buf_appendc(out, '/') < 0 ? -1 : 1;
	if (buf_append(out, e, el) < 0 || buf_append(out, rest, rn) < 0)
		return -1;
	return 1;
}

static int is_upstream_origin(const struct rewrite_ctx *c, const struct buf *o)
{
	size_t i;

	for (i = 0; i < c->n_origins; i++)
		if (c->origins[i] != NULL && strcmp(c->origins[i], o->ptr) == 0)
			return 1;
	return 0;
}

/*
 * Appends the rewritten absolute URL u (n bytes, tail the offset after its
 * authority).  Returns 0, or -1 when out is full.  Anything in doubt (curl
 * disagrees with our split, the result would be a network-path reference)
 * is copied as it is.
 */
static int rewrite_abs(const struct rewrite_ctx *c, const char *u, size_t n,
	size_t tail, struct buf *out)
{
	struct buf s, origin, cpath, mp;
	const char *path = u + tail;
	size_t pl = path_end(path, n - tail);
	const char *po = c->public_origin;
	size_t pol = po ? strlen(po) : 0;
	int rc, ret;

	buf_init(&s, n);
	buf_init(&origin, n + URL_ORIGIN_SLACK);
	buf_init(&cpath, n + 1);
	buf_init(&mp, n + prefix_len(c->e) + 1);
	if (pl == 0) {
		path = "/";
		pl = 1;
	}
	if (buf_set(&s, u, n) < 0 || url_parse_abs(s.ptr, &origin, &cpath) < 0 ||
		!is_upstream_origin(c, &origin) || cpath.len != pl ||
		memcmp(cpath.ptr, path, pl) != 0) {
		ret = buf_append(out, u, n);
		goto out;
	}
	rc = map_path(c, path, pl, 0, &mp);
	if (rc == 0)
		rc = buf_append(&mp, path, pl) < 0 ? -1 : 1;
	if (rc < 0 || (po == NULL && is_net_path(mp.ptr, mp.len))) {
		ret = buf_append(out, u, n);
		goto out;
	}
	while (pol > 0 && po[pol - 1] == '/')
		pol--;
	ret = -1;
	tail += path_end(u + tail, n - tail);
	if (buf_append(out, po, pol) == 0 && buf_append(out, mp.ptr, mp.len) == 0
		&& buf_append(out, u + tail, n - tail) == 0)
		ret = 0;
out:
	buf_free(&s);
	buf_free(&origin);
	buf_free(&cpath);
	buf_free(&mp);
	return ret;
}

/* Appends the rewritten URL reference u (n bytes). Returns 0, or -1 when
 * out is full. */
static int rewrite_ref(const struct rewrite_ctx *c, const char *u, size_t n,
	struct buf *out)
{
	size_t pl, tail;
	int rc;

	if (n > 0 && u[0] == '/') {
		pl = path_end(u, n);
		rc = map_path(c, u, pl, 0, out);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return buf_append(out, u, n);
		return buf_append(out, u + pl, n - pl);
	}
	tail = url_abs_tail(u, n);
	if (tail > 0)
		return rewrite_abs(c, u, n, tail, out);
	return buf_append(out, u, n);
}

/* Common end of the rewriters: the return value promised in rewrite.h. */
static int finish(const char *v, size_t n, struct buf *out, int rc)
{
	if (rc < 0) {
		buf_reset(out);
		return -1;
	}
	if (out->len != n)
		return 1;
	return n > 0 && memcmp(out->ptr, v, n) != 0;
}

/* Appends v[a..b) with the URL reference v[u..e) in it rewritten. */
static int splice(const struct rewrite_ctx *c, const char *v, size_t a,
	size_t u, size_t e, size_t b, struct buf *out)
{
	if (buf_append(out, v + a, u - a) < 0 ||
		rewrite_ref(c, v + u, e - u, out) < 0)
		return -1;
	return buf_append(out, v + e, b - e);
}

int rewrite_location(const struct rewrite_ctx *c, const char *v,
	struct buf *out)
{
	size_t n = strlen(v), u = skip_ws(v, n, 0), e = n;

	while (e > u && is_ws(v[e - 1]))
		e--;
	buf_reset(out);
	return finish(v, n, out, splice(c, v, 0, u, e, n, out));
}

/*
 * Finds the URL in a Refresh value as HTML's "shared declarative refresh
 * steps" do: time, separator, optional "url =", optional quotes.  Sets
 * [*u, *e) and returns 1, or returns 0 when there is no URL.
 */
static int refresh_url(const char *v, size_t n, size_t *u, size_t *e)
{
	size_t i = skip_ws(v, n, 0), j;
	char q = 0;
	const char *end;

	j = i;
	while (i < n && is_digit(v[i]))
		i++;
	if (i == j && (i >= n || v[i] != '.'))
		return 0;
	while (i < n && (is_digit(v[i]) || v[i] == '.'))
		i++;
	if (i < n) {
		if (v[i] != ';' && v[i] != ',' && !is_ws(v[i]))
			return 0;
		i = skip_ws(v, n, i);
		if (i < n && (v[i] == ';' || v[i] == ','))
			i++;
		i = skip_ws(v, n, i);
	}
	if (i >= n)
		return 0;
	*u = i;
	*e = n;
	if (lower(v[i]) == 'u') {
		if (n - i < 3 || lower(v[i + 1]) != 'r' || lower(v[i + 2]) != 'l')
			return 1;
		j = skip_ws(v, n, i + 3);
		if (j >= n || v[j] != '=')
			return 1;
		i = skip_ws(v, n, j + 1);
	}
	if (i < n && (v[i] == '\'' || v[i] == '"'))
		q = v[i++];
	*u = i;
	if (q != 0) {
		end = memchr(v + i, q, n - i);
		if (end != NULL)
			*e = (size_t)(end - v);
	}
	while (*e > *u && is_ws(v[*e - 1]))
		(*e)--;
	return 1;
}

int rewrite_refresh(const struct rewrite_ctx *c, const char *v,
	struct buf *out)
{
	size_t n = strlen(v), u, e;

	buf_reset(out);
	if (!refresh_url(v, n, &u, &e))
		return finish(v, n, out, buf_append(out, v, n));
	return finish(v, n, out, splice(c, v, 0, u, e, n, out));
}

int rewrite_link(const struct rewrite_ctx *c, const char *v, struct buf *out)
{
	size_t n = strlen(v), i = 0, a = 0, b, u, e;
	const char *gt;
	int quoted = 0, rc = 0;

	buf_reset(out);
	while (i < n && rc == 0) {
		if (quoted) {
			if (v[i] == '\\' && i + 1 < n)
				i++;
			else if (v[i] == '"')
				quoted = 0;
			i++;
		} else if (v[i] == '"') {
			quoted = 1;
			i++;
		} else if (v[i] == '<') {
			gt = memchr(v + i + 1, '>', n - i - 1);
			if (gt == NULL)
				break;
			b = (size_t)(gt - v);
			u = skip_ws(v, b, i + 1);
			e = b;
			while (e > u && is_ws(v[e - 1]))
				e--;
			rc = splice(c, v, a, u, e, b, out);
			a = i = b;
		} else {
			i++;
		}
	}
	if (rc == 0)
		rc = buf_append(out, v + a, n - a);
	return finish(v, n, out, rc);
}

/* Appends the cookie attribute v[a..b) with the value of a Path attribute
 * mapped. */
static int cookie_attr(const struct rewrite_ctx *c, const char *v, size_t a,
	size_t b, struct buf *out)
{
	size_t k = skip_ws(v, b, a), eq = k, ne, vs, ve;
	int rc;

	while (eq < b && v[eq] != '=')
		eq++;
	ne = eq;
	while (ne > k && is_ws(v[ne - 1]))
		ne--;
	if (eq >= b || !ieq(v + k, ne - k, "path"))
		return buf_append(out, v + a, b - a);
	vs = skip_ws(v, b, eq + 1);
	ve = b;
	while (ve > vs && is_ws(v[ve - 1]))
		ve--;
	if (buf_append(out, v + a, vs - a) < 0)
		return -1;
	rc = map_path(c, v + vs, ve - vs, 1, out);
	if (rc < 0 || (rc == 0 && buf_append(out, v + vs, ve - vs) < 0))
		return -1;
	return buf_append(out, v + ve, b - ve);
}

int rewrite_set_cookie(const struct rewrite_ctx *c, const char *v,
	struct buf *out)
{
	size_t n = strlen(v), i, b;
	const char *semi = strchr(v, ';');
	int rc;

	buf_reset(out);
	i = semi ? (size_t)(semi - v) : n;
	/* The cookie's name=value is never touched. */
	rc = buf_append(out, v, i);
	while (rc == 0 && i < n) {
		semi = memchr(v + i + 1, ';', n - i - 1);
		b = semi ? (size_t)(semi - v) : n;
		if (buf_appendc(out, ';') < 0 ||
			cookie_attr(c, v, i + 1, b, out) < 0)
			rc = -1;
		i = b;
	}
	return finish(v, n, out, rc);
}

int rewrite_header(const struct rewrite_ctx *c, const char *name,
	size_t name_len, const char *v, struct buf *out)
{
	static const struct {
		const char *name;
		int (*fn)(const struct rewrite_ctx *, const char *, struct buf *);
	} kinds[] = {
		{ "Location", rewrite_location },
		{ "Content-Location", rewrite_location },
		{ "Refresh", rewrite_refresh },
		{ "Link", rewrite_link },
		{ "Set-Cookie", rewrite_set_cookie },
	};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (ieq(name, name_len, kinds[i].name))
			return kinds[i].fn(c, v, out);
	return -2;
}
