/*
 * peer: FCGI_WEB_SERVER_ADDRS, the web servers allowed to connect to the
 * FastCGI socket, as libfcgi defines it: a comma-separated list of IPv4
 * addresses; unset or empty allows everyone.  It applies to IPv4 peers
 * only (unix sockets and IPv6 are not checked, as in libfcgi).
 *
 * Pure: no I/O.
 */
#ifndef THANOS_FCGI_PEER_H
#define THANOS_FCGI_PEER_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#define PEER_MAX 32

struct peer_list {
	size_t n; /* 0: everyone */
	struct in_addr a[PEER_MAX];
};

/*
 * Parses s ("10.0.0.1,10.0.0.2", blanks around commas allowed; NULL or ""
 * for everyone) into out.  Returns 0, or -1 on a bad address or more than
 * PEER_MAX (out is then empty).
 */
int peer_list_parse(const char *s, struct peer_list *out);

/* 1 when sa may talk to us: the list is empty, sa is not IPv4, or its
 * address is in the list. */
int peer_allowed(const struct peer_list *l, const struct sockaddr *sa);

#endif
