/*
 * relay: one request from the web server to the upstream and back.
 * The same code serves CGI and FastCGI: the front end hands over the request
 * (read once, request.h) and a small struct of I/O functions.
 */
#ifndef THANOS_FCGI_RELAY_H
#define THANOS_FCGI_RELAY_H

#include <stddef.h>
#include <sys/types.h>

#include "conf.h"
#include "request.h"
#include "status.h"
#include "upstream.h"

struct relay_io {
	void *ctx;
	/* Request body: bytes read, 0 at the end, -1 on error. */
	ssize_t (*read)(void *ctx, char *p, size_t n);
	/* Response bytes: 0, or -1 when the client is gone. */
	int (*write)(void *ctx, const char *p, size_t n);
	/* Pushes buffered response bytes to the web server: 0 or -1. */
	int (*flush)(void *ctx);
	/* Headers already went out and the answer cannot be completed: make the
	 * response visibly incomplete to the client instead of ending it. */
	void (*abort)(void *ctx);
	int can_stream_body; /* 1: read the body even without CONTENT_LENGTH */
};

struct relay_worker;

struct route_cache;

/* A worker for one thread; c, pool and routes (NULL: a request's overlay
 * is never looked at) must outlive it. Never NULL. */
struct relay_worker *relay_worker_new(const struct conf *c,
				      struct upstream_pool *pool,
				      struct route_cache *routes);
void relay_worker_free(struct relay_worker *w);

/*
 * Serves one request.  Always answers the client (an error page when no
 * header has gone out yet) unless the client is gone.  Returns what
 * happened, for the caller's bookkeeping; it is already logged.
 */
enum tf_status relay_serve(struct relay_worker *w, const struct relay_io *io,
			   const struct request *rq);

#endif
