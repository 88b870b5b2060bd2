/* route: one route per mount, cached; see route.h. */
#include "route.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "status.h"

struct route_cache {
	const struct conf *base;
	struct upstream_pool *pool;
	pthread_mutex_t lock;  /* held to build and add a route */
	_Atomic size_t n;      /* routes in v: published after v[n] is set */
	size_t max;
	int warned;            /* the bound was logged */
	struct route **v;      /* max slots, each set once */
};

struct route_cache *route_cache_new(const struct conf *base,
				    struct upstream_pool *pool, size_t max)
{
	struct route_cache *rc = xmalloc(sizeof(*rc));

	memset(rc, 0, sizeof(*rc));
	rc->base = base;
	rc->pool = pool;
	atomic_init(&rc->n, 0);
	rc->max = max;
	rc->v = xmalloc((max ? max : 1) * sizeof(*rc->v));
	pthread_mutex_init(&rc->lock, NULL);
	return rc;
}

void route_release(struct route *r)
{
	if (r == NULL)
		return;
	if (r->pool == &r->own)
		upstream_pool_free(&r->own);
	free(r->vars);
	free(r->argv);
	memset(r, 0, sizeof(*r));
}

void route_cache_free(struct route_cache *rc)
{
	if (rc == NULL)
		return;
	for (size_t i = 0; i < rc->n; i++) {
		route_release(rc->v[i]);
		free(rc->v[i]);
	}
	pthread_mutex_destroy(&rc->lock);
	free(rc->v);
	free(rc);
}

/* The request's THANOS_FCGI_* entries, each with its NUL, in order: the
 * key of its route.  Returns their length (0: none). */
static size_t overlay_key(const struct request *rq, struct buf *key)
{
	buf_reset(key);
	for (size_t i = 0; i < rq->overlay.n; i++)
		if (buf_append(key, rq->overlay.v[i], strlen(rq->overlay.v[i]) + 1) != 0)
			return (size_t)-1;
	return key->len;
}

/* Builds r from the key's entries.  ROUTE_OWN (built), ROUTE_BASE (only
 * process options named: nothing to build) or ROUTE_BAD. */
static enum route_kind build(const struct route_cache *rc, const struct buf *key,
			     struct route *r, char *err, size_t errlen)
{
	size_t n = 0;
	int k;

	memset(r, 0, sizeof(*r));
	r->vars = xmalloc(key->len);
	memcpy(r->vars, key->ptr, key->len);
	r->vars_len = key->len;
	for (size_t i = 0; i < key->len; i += strlen(key->ptr + i) + 1)
		n++;
	r->argv = xmalloc((n + 1) * sizeof(*r->argv));
	n = 0;
	for (size_t i = 0; i < r->vars_len; i += strlen(r->vars + i) + 1)
		r->argv[n++] = r->vars + i;
	r->argv[n] = NULL;
	k = conf_overlay(rc->base, r->argv, &r->conf, err, errlen);
	r->pool = rc->pool;
	if (k == 1 && r->conf.upstream != rc->base->upstream) {
		if (upstream_pool_init(&r->own, r->conf.upstream, err, errlen) != 0)
			k = -1;
		else
			r->pool = &r->own;
	}
	if (k != 1)
		route_release(r);
	return k == 1 ? ROUTE_OWN : k == 0 ? ROUTE_BASE : ROUTE_BAD;
}

/* The cached route with this key, or NULL.  Takes no lock: the routes
 * below the count it reads are whole and never change. */
static const struct route *lookup(const struct route_cache *rc, const struct buf *key)
{
	size_t n = atomic_load_explicit(&rc->n, memory_order_acquire);

	for (size_t i = 0; i < n; i++)
		if (rc->v[i]->vars_len == key->len &&
		    memcmp(rc->v[i]->vars, key->ptr, key->len) == 0)
			return rc->v[i];
	return NULL;
}

/* What a cached entry means: a route, or the base (a marker: *out NULL). */
static enum route_kind hit(const struct route **out)
{
	if (!(*out)->is_base)
		return ROUTE_CACHED;
	*out = NULL;
	return ROUTE_BASE;
}

/* own's route moved into its own allocation, own emptied. */
static struct route *moved(struct route *own)
{
	struct route *r = xmalloc(sizeof(*r));

	*r = *own;
	if (r->pool == &own->own)
		r->pool = &r->own; /* moved with it */
	memset(own, 0, sizeof(*own));
	return r;
}

/* A marker for a key that names only process options: the base. */
static struct route *base_marker(const struct buf *key)
{
	struct route *r = xmalloc(sizeof(*r));

	memset(r, 0, sizeof(*r));
	r->vars = xmalloc(key->len);
	memcpy(r->vars, key->ptr, key->len);
	r->vars_len = key->len;
	r->is_base = 1;
	return r;
}

/* The debug line of a route built for a mount: its parameters (the key's
 * "NAME=VALUE"s, blank-separated) and what they make of the upstream. */
static void log_built(const struct route *r, size_t n)
{
	char vars[LOGLINE_VALUE_MAX], cached[24];
	size_t len = r->vars_len < sizeof(vars) ? r->vars_len : sizeof(vars) - 1;
	struct log_field fv[] = {
		{"params", vars, 0},
		{"upstream", r->conf.upstream, 0},
		{"route_prefix", r->conf.route_prefix != NULL ? r->conf.route_prefix : "(external)", 0},
		{"mounts", cached, 1},
	};

	if (!log_enabled(LOG_DEBUG))
		return;
	memcpy(vars, r->vars, len);
	vars[len] = '\0';
	for (size_t i = 0; i + 1 < len; i++)
		if (vars[i] == '\0')
			vars[i] = ' ';
	if (snprintf(cached, sizeof(cached), "%zu", n) < 0)
		cached[0] = '\0';
	log_fields(LOG_DEBUG, "route built for a mount", fv, sizeof(fv) / sizeof(fv[0]));
}

/* Adds r (whole) and makes it visible to lookups; the mutex is held. */
static struct route *publish(struct route_cache *rc, struct route *r)
{
	size_t n = atomic_load_explicit(&rc->n, memory_order_relaxed);

	rc->v[n] = r;
	atomic_store_explicit(&rc->n, n + 1, memory_order_release);
	return r;
}

enum route_kind route_find(struct route_cache *rc, const struct request *rq,
			   struct buf *key, struct route *own,
			   const struct route **out, char *err, size_t errlen)
{
	enum route_kind k = ROUTE_CACHED;
	size_t n = overlay_key(rq, key);

	*out = NULL;
	if (n == 0)
		return ROUTE_BASE;
	if (n == (size_t)-1) {
		status_errf(err, errlen, "THANOS_FCGI_* parameters: over %zu bytes", key->max);
		return ROUTE_BAD;
	}
	*out = lookup(rc, key);
	if (*out != NULL)
		return hit(out);
	pthread_mutex_lock(&rc->lock);
	*out = lookup(rc, key); /* another thread may have added it meanwhile */
	if (*out != NULL) {
		k = hit(out);
	} else {
		k = build(rc, key, own, err, errlen);
		if (k == ROUTE_OWN && rc->n < rc->max) {
			*out = publish(rc, moved(own));
			log_built(*out, rc->n);
			k = ROUTE_CACHED;
		} else if (k == ROUTE_BASE && rc->n < rc->max) {
			publish(rc, base_marker(key));
		} else if (k == ROUTE_OWN) {
			*out = own;
			if (!rc->warned)
				log_msg(LOG_WARN, "more than %zu mounts (sets of THANOS_FCGI_* "
					"parameters): the others are built per request, "
					"without down marks or round robin", rc->max);
			rc->warned = 1;
		}
	}
	pthread_mutex_unlock(&rc->lock);
	return k;
}
