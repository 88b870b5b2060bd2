/*
 * listen: the FastCGI socket of --listen, made by us rather than by
 * libfcgi (whose FCGX_OpenSocket exits the process on failure, with no
 * name, and takes over a live unix socket).
 *
 * unix:/path: a socket already there is connected to first: one that
 * answers belongs to a running process and is left alone (an error); a
 * stale one (connection refused) is removed; anything that is not a
 * socket is never removed.  --listen.mode and --listen.group are applied
 * before listen(2), so no client can connect before they hold.
 * host:port: IPv4 or a bracketed IPv6 address, or a name; SO_REUSEADDR.
 */
#ifndef THANOS_FCGI_LISTEN_H
#define THANOS_FCGI_LISTEN_H

#include <stddef.h>

#include "conf.h"

/* Opens c->listen with c->backlog, close-on-exec.  Returns the fd, or -1
 * with one line in err: "--listen unix:/x: bind failed: Permission denied". */
int listen_open(const struct conf *c, char *err, size_t errlen);

#endif
