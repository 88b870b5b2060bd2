/* fcgi: the FastCGI front end: an accept loop per thread over libfcgi on a
 * listening socket (fd 0 from a spawner, or our own --listen socket), and
 * the signal handling for a graceful stop. */
#ifndef THANOS_FCGI_FCGI_H
#define THANOS_FCGI_FCGI_H

#include "conf.h"
#include "upstream.h"

/* Serves requests on listen_fd with c->threads threads until SIGTERM or
 * SIGINT (held by the caller with stopsig_hold: the workers inherit it),
 * then lets running requests finish (at most c->shutdown_grace_ms).
 * Returns the process exit status. */
int fcgi_run(const struct conf *c, struct upstream_pool *pool, int listen_fd);

#endif
