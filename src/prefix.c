/* prefix: public prefix and sub-path from the CGI variables; see prefix.h. */
#include "prefix.h"

#include <stdint.h>
#include <string.h>

#include "pct.h"

/* Scratch space of one prefix_derive() call; raw means not yet requoted. */
struct derive {
	struct buf up; /* U's path, runs of '/' merged */
	struct buf s;  /* S normalised */
	struct buf x;  /* configured E, normalised and requoted (rule 1) */
	struct buf e;  /* raw E from rules 2-4 */
	struct buf t;  /* raw T */
	int usable;    /* U is set and starts with '/' */
};

int prefix_normalize(const char *v, struct buf *out)
{
	size_t a = 0, b;

	if (v == NULL)
		v = "";
	b = strlen(v);
	while (a < b && v[a] == '/')
		a++;
	while (b > a && v[b - 1] == '/')
		b--;
	if (a == b) {
		buf_reset(out);
		return 0;
	}
	if (b - a >= out->max) /* the '/' and b - a bytes must fit */
		return -1;
	buf_reset(out);
	if (buf_appendc(out, '/') != 0 || buf_append(out, v + a, b - a) != 0)
		return -1; /* not reached: checked above */
	return 0;
}

/* Byte at s[i] after decoding (s valid there) and how many raw bytes it took. */
static size_t next_byte(const char *s, size_t i, unsigned char *c)
{
	if (s[i] == '%') {
		*c = (unsigned char)(pct_hexval((unsigned char)s[i + 1]) * 16 +
				     pct_hexval((unsigned char)s[i + 2]));
		return 3;
	}
	*c = (unsigned char)s[i];
	return 1;
}

static int is_dot_segment(size_t seglen, size_t dots)
{
	return seglen > 0 && seglen <= 2 && dots == seglen;
}

enum tf_status path_check(const char *t, size_t n)
{
	size_t i = 0, seglen = 0, dots = 0;
	unsigned char c;

	while (i < n) {
		if (t[i] == '%' && !pct_is_escape(t + i, n - i))
			return TF_BAD_PATH;
		i += next_byte(t, i, &c);
		if (pct_is_ctl(c))
			return TF_BAD_PATH;
		if (c == '/' || c == '\\') {
			if (is_dot_segment(seglen, dots))
				return TF_BAD_PATH;
			seglen = 0;
			dots = 0;
			continue;
		}
		seglen++;
		if (c == '.')
			dots++;
	}
	return is_dot_segment(seglen, dots) ? TF_BAD_PATH : TF_OK;
}

/* What merge_path() does to each segment besides merging runs of '/'. */
typedef int (*requote_fn)(const char *s, size_t n, struct buf *out);

static int copy_segment(const char *s, size_t n, struct buf *out)
{
	return buf_append(out, s, n);
}

/*
 * Sets out to s[0..n) with runs of '/' merged into one and each segment
 * through fn.  Returns 0 or -1 (past max).
 */
static int merge_path(const char *s, size_t n, struct buf *out, requote_fn fn)
{
	size_t i = 0, j;

	buf_reset(out);
	while (i < n) {
		if (s[i] == '/') {
			if (buf_appendc(out, '/') != 0)
				return -1;
			while (i < n && s[i] == '/')
				i++;
			continue;
		}
		j = i;
		while (j < n && s[j] != '/')
			j++;
		if (fn(s + i, j - i, out) != 0)
			return -1;
		i = j;
	}
	return 0;
}

/* 1 when u[0..n) starts with p[0..pn) followed by its end or a '/'. */
static int seg_prefix(const char *u, size_t n, const char *p, size_t pn)
{
	return pn <= n && memcmp(u, p, pn) == 0 && (pn == n || u[pn] == '/');
}

/*
 * Rule 2's cut: finds k such that u[0..k) is p[0..pn), byte for byte or
 * once decoded, and u[k] is the end or a literal '/'.  Returns 1 (k set)
 * or 0 (no match, malformed escapes included: rule 3 reports those).
 */
static int split_prefix(const char *u, size_t n, const char *p, size_t pn,
			size_t *k)
{
	size_t i = 0, j = 0;
	unsigned char c;

	if (seg_prefix(u, n, p, pn)) {
		*k = pn;
		return 1;
	}
	while (j < pn) {
		if (i == n || (u[i] == '%' && !pct_is_escape(u + i, n - i)))
			return 0;
		i += next_byte(u, i, &c);
		if (c != (unsigned char)p[j++])
			return 0;
	}
	if (i < n && u[i] != '/')
		return 0;
	*k = i;
	return 1;
}

/*
 * Rule 3's cut: finds k such that u[k..n) decodes to p[0..pn).  Returns 1
 * (k set), 0 when u's decoding does not end with p, -1 on a malformed
 * escape in u.
 */
static int split_suffix(const char *u, size_t n, const char *p, size_t pn,
			size_t *k)
{
	size_t i, dlen = 0, skip;
	unsigned char c;

	for (i = 0; i < n; dlen++) {
		if (u[i] == '%' && !pct_is_escape(u + i, n - i))
			return -1;
		i += next_byte(u, i, &c);
	}
	if (dlen < pn)
		return 0;
	for (i = 0, skip = dlen - pn; skip > 0; skip--)
		i += next_byte(u, i, &c);
	*k = i;
	while (i < n) {
		i += next_byte(u, i, &c);
		if (c != (unsigned char)*p++)
			return 0;
	}
	return 1;
}

static enum tf_status set2(struct buf *a, const char *pa, size_t na,
			   struct buf *b, const char *pb, size_t nb)
{
	if (buf_set(a, pa, na) != 0 || buf_set(b, pb, nb) != 0)
		return TF_URI_TOO_LONG;
	return TF_OK;
}

/* Rules 2-4: raw E into d->e, raw T into d->t. */
static enum tf_status derive_rules(const struct prefix_in *in, struct derive *d)
{
	const char *p = in->path_info != NULL ? in->path_info : "";
	const char *u = buf_str(&d->up);
	size_t n = d->up.len, k = 0;
	int r;

	if (prefix_normalize(in->script_name, &d->s) != 0)
		return TF_URI_TOO_LONG;
	/* 2: U's path starts with S, as it is or once decoded (/th%61nos) */
	if (d->usable && split_prefix(u, n, buf_str(&d->s), d->s.len, &k))
		return set2(&d->e, u, k, &d->t, u + k, n - k);
	/* 3: U's decoded path ends with P, cut at a '/' */
	if (d->usable) {
		r = split_suffix(u, n, p, strlen(p), &k);
		if (r < 0)
			return TF_BAD_PATH;
		while (r > 0 && k > 0 && u[k - 1] == '/')
			k--;
		if (r > 0 && (k == n || u[k] == '/'))
			return set2(&d->e, u, k, &d->t, u + k, n - k);
	}
	/* 4: S and P as the server decoded them, encoded again */
	buf_reset(&d->e);
	buf_reset(&d->t);
	if (pct_encode_path(buf_str(&d->s), d->s.len, &d->e) != 0)
		return TF_URI_TOO_LONG;
	if (p[0] != '\0' && p[0] != '/' && buf_appendc(&d->t, '/') != 0)
		return TF_URI_TOO_LONG;
	if (pct_encode_path(p, strlen(p), &d->t) != 0)
		return TF_URI_TOO_LONG;
	return TF_OK;
}

/* Reads REQUEST_URI's path into d->up; sets d->usable. */
static enum tf_status load_uri(const char *uri, struct derive *d)
{
	d->usable = uri != NULL && uri[0] == '/';
	if (!d->usable)
		return TF_OK;
	if (merge_path(uri, strcspn(uri, "?"), &d->up, copy_segment) != 0)
		return TF_URI_TOO_LONG;
	return TF_OK;
}

/* The steps of prefix_derive(); E and T in d, the caller cleans up. */
static enum tf_status derive(const struct prefix_in *in, struct derive *d,
			     struct buf *e, struct buf *t)
{
	const struct buf *ep = &d->e;
	enum tf_status st;

	st = load_uri(in->request_uri, d);
	if (st != TF_OK)
		return st;
	if (in->external_prefix != NULL) {
		/* 1: configured E; T after it in U, else as rules 2-4 say */
		if (prefix_normalize(in->external_prefix, &d->s) != 0 ||
		    merge_path(buf_str(&d->s), d->s.len, &d->x,
			       pct_requote_path) != 0)
			return TF_URI_TOO_LONG;
		ep = &d->x;
		if (d->usable && seg_prefix(buf_str(&d->up), d->up.len,
					    buf_str(&d->x), d->x.len)) {
			if (buf_set(&d->t, buf_str(&d->up) + d->x.len,
				    d->up.len - d->x.len) != 0)
				return TF_URI_TOO_LONG;
		} else {
			st = derive_rules(in, d);
			if (st != TF_OK)
				return st;
		}
	} else {
		st = derive_rules(in, d);
		if (st != TF_OK)
			return st;
		/* E came from the request: same checks as T */
		st = path_check(buf_str(&d->e), d->e.len);
		if (st != TF_OK)
			return st;
	}
	st = path_check(buf_str(&d->t), d->t.len);
	if (st != TF_OK)
		return st;
	if (merge_path(buf_str(ep), ep->len, e, pct_requote_prefix) != 0 ||
	    merge_path(buf_str(&d->t), d->t.len, t, pct_requote_path) != 0)
		return TF_URI_TOO_LONG;
	return TF_OK;
}

enum tf_status prefix_derive(const struct prefix_in *in, struct buf *e,
			     struct buf *t)
{
	struct derive d;
	enum tf_status st;
	size_t lim;

	/* scratch holds at most E and T together, before requoting */
	lim = e->max > SIZE_MAX - 1 - t->max ? SIZE_MAX - 1 : e->max + t->max;
	buf_init(&d.up, lim);
	buf_init(&d.s, lim);
	buf_init(&d.x, lim);
	buf_init(&d.e, lim);
	buf_init(&d.t, lim);
	st = derive(in, &d, e, t);
	if (st != TF_OK) {
		buf_reset(e);
		buf_reset(t);
	}
	buf_free(&d.up);
	buf_free(&d.s);
	buf_free(&d.x);
	buf_free(&d.e);
	buf_free(&d.t);
	return st;
}
