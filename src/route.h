/*
 * route: one mount's settings and replicas, built once for each distinct
 * set of THANOS_FCGI_* request parameters (nginx fastcgi_param, Apache
 * SetEnv under mod_fcgid) and kept for the life of the process, so that
 * its down marks, its round-robin position and the worker's prepared
 * libcurl options outlive a request.
 *
 * The cache holds at most its max routes, never evicted: a server
 * configuration has a fixed set of mounts.  A set that names only process
 * options (THANOS_FCGI_THREADS...) is kept too, as a marker of the base.
 * Past the bound a request's
 * route is built for it alone (as every request's was before), and that
 * is logged once.  Threads share the cache: a lookup takes no lock (the
 * count of routes is an atomic, raised only after the new route is
 * whole); building and adding one holds the cache's mutex.  A cached
 * route never changes after it is built, except its pool's down marks
 * and position, which are atomics (upstream.h).
 */
#ifndef THANOS_FCGI_ROUTE_H
#define THANOS_FCGI_ROUTE_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"
#include "request.h"
#include "upstream.h"

struct route {
	struct conf conf;           /* the process settings with the overlay */
	struct upstream_pool own;   /* the overlay's replicas, if it names any */
	struct upstream_pool *pool; /* &own, or the process's pool */
	char *vars;                 /* the overlay's "NAME=VALUE\0"s: conf's strings */
	size_t vars_len;
	char **argv;                /* into vars, NULL-ended */
	int is_base;                /* a marker: the overlay names only process
				     * options, so the base applies (no lock) */
};

enum route_kind {
	ROUTE_BASE,   /* no request parameter: the process's settings */
	ROUTE_CACHED, /* a shared route, valid until route_cache_free */
	ROUTE_OWN,    /* the cache is full: built for this request alone */
	ROUTE_BAD,    /* a bad parameter: err says which */
};

#define ROUTE_MAX 16

struct route_cache;

/* A cache for base and pool (both must outlive it) of at most max routes.
 * Never NULL (aborts on no memory). */
struct route_cache *route_cache_new(const struct conf *base,
				    struct upstream_pool *pool, size_t max);
void route_cache_free(struct route_cache *rc);

/*
 * The route for the request's THANOS_FCGI_* overlay (key: the caller's
 * scratch buffer, its max bounds the overlay).  ROUTE_BASE: *out is
 * NULL, use the process's settings.  ROUTE_CACHED: *out is shared.
 * ROUTE_OWN: *out is own, to route_release() after the request.
 * ROUTE_BAD: one line in err ("THANOS_FCGI_X: bad duration 'y'").
 */
enum route_kind route_find(struct route_cache *rc, const struct request *rq,
			   struct buf *key, struct route *own,
			   const struct route **out, char *err, size_t errlen);

/* Frees what a ROUTE_OWN route holds. */
void route_release(struct route *r);

#endif
