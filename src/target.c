/* target: upstream path and query from base, R, T and Q; see target.h. */
#include "target.h"

#include <string.h>

#include "list.h"
#include "pct.h"

int target_is_root_path(const char *root_paths, const char *t)
{
	struct list_iter it = list_start(root_paths);
	size_t tn;

	if (root_paths == NULL || t == NULL || t[0] == '\0')
		return 0;
	tn = strlen(t);
	while (list_next(&it))
		if (it.n > 0 && it.n == tn && memcmp(it.p, t, tn) == 0)
			return 1;
	return 0;
}

/*
 * Appends the part s so that exactly one '/' stands between what out holds
 * and it: s's leading run of '/' is dropped when out ends with '/', merged
 * into one otherwise, and a '/' is added when neither side has one.
 */
static int join(struct buf *out, const char *s)
{
	if (s == NULL || s[0] == '\0')
		return 0;
	if (s[0] == '/') {
		while (s[1] == '/')
			s++;
		if (out->len > 0 && out->ptr[out->len - 1] == '/')
			s++;
	} else if (out->len == 0 || out->ptr[out->len - 1] != '/') {
		if (buf_appendc(out, '/') != 0)
			return -1;
	}
	return buf_appends(out, s);
}

static enum tf_status build(const char *base_path, const char *route_prefix,
			    const char *root_paths, const char *t,
			    const char *query, struct buf *out)
{
	size_t qn = query != NULL ? strlen(query) : 0;

	if (pct_has_ctl(query, qn))
		return TF_BAD_PATH;
	if (join(out, base_path) != 0)
		return TF_URI_TOO_LONG;
	if (!target_is_root_path(root_paths, t) &&
	    join(out, route_prefix) != 0)
		return TF_URI_TOO_LONG;
	if (join(out, t) != 0)
		return TF_URI_TOO_LONG;
	if (out->len == 0 && buf_appendc(out, '/') != 0)
		return TF_URI_TOO_LONG;
	if (qn > 0 && (buf_appendc(out, '?') != 0 ||
		       pct_requote_query(query, qn, out) != 0))
		return TF_URI_TOO_LONG;
	return TF_OK;
}

enum tf_status target_build(const char *base_path, const char *route_prefix,
			    const char *root_paths, const char *t,
			    const char *query, struct buf *out)
{
	enum tf_status st;

	buf_reset(out);
	st = build(base_path, route_prefix, root_paths, t, query, out);
	if (st != TF_OK)
		buf_reset(out);
	return st;
}
