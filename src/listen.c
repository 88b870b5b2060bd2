/* listen: the --listen socket; see listen.h. */
#include "listen.h"

#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "status.h"

/* errno as one line into err, after "--listen ADDR: WHAT failed: ". */
static int fail(char *err, size_t errlen, const char *addr, const char *what,
		const char *why)
{
	return status_errf(err, errlen, "--listen %s: %s failed: %s", addr, what, why);
}

/* Removes a stale socket at path; -1 (err set) when path is in use or
 * is not a socket. */
static int clear_path(const char *addr, const char *path, char *err,
		      size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, r;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : fail(err, errlen, addr, "stat", strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return fail(err, errlen, addr, "bind", "the path exists and is not a socket");
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(err, errlen, addr, "socket", strerror(errno));
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (r == 0)
		return fail(err, errlen, addr, "bind", "a running process listens there");
	if (errno != ECONNREFUSED)
		return fail(err, errlen, addr, "connect to the existing socket", strerror(errno));
	if (unlink(path) != 0)
		return fail(err, errlen, addr, "unlink of the stale socket", strerror(errno));
	return 0;
}

/* Applies --listen.mode and --listen.group to the socket file path. */
static int set_owner(const struct conf *c, const char *path, char *err,
		     size_t errlen)
{
	if (c->listen_group != NULL) {
		struct group *g = getgrnam(c->listen_group);
		char *end;
		unsigned long gid = strtoul(c->listen_group, &end, 10);

		if (g != NULL)
			gid = g->gr_gid;
		else if (*end != '\0' || end == c->listen_group)
			return fail(err, errlen, c->listen, "--listen.group", "no such group");
		if (chown(path, (uid_t)-1, (gid_t)gid) != 0)
			return fail(err, errlen, c->listen, "chown", strerror(errno));
	}
	if (c->listen_mode != NULL &&
	    chmod(path, (mode_t)strtoul(c->listen_mode, NULL, 8)) != 0)
		return fail(err, errlen, c->listen, "chmod", strerror(errno));
	return 0;
}

static int open_unix(const struct conf *c, const char *path, char *err,
		     size_t errlen)
{
	struct sockaddr_un sa;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(err, errlen, c->listen, "bind", "socket path too long");
	if (clear_path(c->listen, path, err, errlen) != 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(err, errlen, c->listen, "socket", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fail(err, errlen, c->listen, "bind", strerror(errno));
		close(fd);
		return -1;
	}
	if (set_owner(c, path, err, errlen) != 0)
		goto bad;
	if (listen(fd, (int)c->backlog) != 0) {
		fail(err, errlen, c->listen, "listen", strerror(errno));
		goto bad;
	}
	return fd;
bad:
	close(fd);
	unlink(path);
	return -1;
}

/* The first address of host:port that binds and listens. */
static int open_tcp(const struct conf *c, char *err, size_t errlen)
{
	const char *addr = c->listen, *colon = strrchr(addr, ':');
	struct addrinfo hints, *res = NULL;
	char host[256];
	size_t n = (size_t)(colon - addr);
	int fd = -1, r, one = 1;

	if (addr[0] == '[') /* "[::1]:9000" */
		addr++, n -= 2;
	if (n >= sizeof(host))
		return fail(err, errlen, c->listen, "resolve", "host name too long");
	memcpy(host, addr, n);
	host[n] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	r = getaddrinfo(host, colon + 1, &hints, &res);
	if (r != 0)
		return fail(err, errlen, c->listen, "resolve", gai_strerror(r));
	for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			fail(err, errlen, c->listen, "socket", strerror(errno));
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
		    listen(fd, (int)c->backlog) != 0) {
			fail(err, errlen, c->listen, "bind", strerror(errno));
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd;
}

int listen_open(const struct conf *c, char *err, size_t errlen)
{
	if (strncmp(c->listen, "unix:", 5) == 0)
		return open_unix(c, c->listen + 5, err, errlen);
	if (c->listen_mode != NULL || c->listen_group != NULL)
		return fail(err, errlen, c->listen, "--listen.mode/--listen.group",
			    "only a unix: socket has a mode and a group");
	return open_tcp(c, err, errlen);
}
