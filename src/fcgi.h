/* fcgi: the FastCGI front end: an accept loop per thread over libfcgi on a
 * listening socket (fd 0 from a spawner, or our own --listen socket), and
 * the signal handling for a graceful stop. */
#ifndef THANOS_FCGI_FCGI_H
#define THANOS_FCGI_FCGI_H

#include "conf.h"
#include "upstream.h"

/* Holds SIGTERM, SIGINT and SIGHUP back (pending) from here on, threads
 * started later included: called before the process can be reached, so
 * that a stop asked for while it starts is answered by fcgi_run, neither
 * lost in libfcgi's handler nor the default action.  how: SIG_BLOCK, or
 * SIG_UNBLOCK to let them act again (a CGI program). */
void fcgi_stop_signals(int how);

/* Serves requests on listen_fd with c->threads threads until SIGTERM or
 * SIGINT, then lets running requests finish (at most c->shutdown_grace_ms).
 * Returns the process exit status. */
int fcgi_run(const struct conf *c, struct upstream_pool *pool, int listen_fd);

#endif
