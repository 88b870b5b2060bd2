/* fcgi: FastCGI front end; see fcgi.h. */
#define _GNU_SOURCE /* accept4 */
#include "fcgi.h"

#include <errno.h>
#include <fastcgi.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "fcgirec.h"
#include "log.h"
#include "peer.h"
#include "relay.h"
#include "request.h"
#include "route.h"
#include "stopsig.h"

/* What every thread shares: the epoll set holds the listening socket, the
 * stop eventfd and each idle connection, all one-shot but the stop fd. */
struct server {
	const struct conf *conf;
	struct upstream_pool *pool;
	struct route_cache *routes; /* the mounts of request parameters */
	struct peer_list peers; /* FCGI_WEB_SERVER_ADDRS */
	size_t params_max;      /* a request's CGI variables, all together */
	size_t peek_max;        /* its start, records around them included */
	int listen_fd;
	int ep;
	int stop_fd;
	_Atomic int stopping;
};

struct worker {
	pthread_t tid;
	struct server *srv;
	_Atomic int done;
};

/* The connection a worker serves a request on. */
struct conn {
	FCGX_Request req;
	int aborted;
	int timed_out; /* a read or write waited --client.timeout.idle */
	unsigned char *peek; /* the request's start, for check_start() */
	struct request rq;   /* its CGI variables, read once */
};

/* 1 when err (an errno) is --client.timeout.idle running out. */
static int is_timeout(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK;
}

static ssize_t fcgi_read(void *ctx, char *p, size_t n)
{
	struct conn *c = ctx;
	int got = FCGX_GetStr(p, n > 65536 ? 65536 : (int)n, c->req.in);

	if (got == 0 && FCGX_GetError(c->req.in) != 0) {
		c->timed_out |= is_timeout(FCGX_GetError(c->req.in));
		return -1;
	}
	return got;
}

/* Writes all of iov[0..n) to fd (blocking); 0 or -1. */
static int writev_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++, n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Largest FCGI_STDOUT record we write ourselves: 65535 rounded down to 8. */
#define RECORD_MAX 65528
/* Records per writev: 4 x 64 KiB covers libcurl's largest chunk. */
#define RECORDS_PER_WRITE 4

/*
 * Writes p[0..n) as FCGI_STDOUT records straight to the socket, bypassing
 * libfcgi's 8 KiB buffer: one writev per 256 KiB instead of one write per
 * 8 KiB.  Whatever libfcgi holds is flushed first, to keep the order.
 */
static int write_records(struct conn *c, const char *p, size_t n)
{
	unsigned char hdr[RECORDS_PER_WRITE][8];
	struct iovec iov[2 * RECORDS_PER_WRITE];

	if (FCGX_FFlush(c->req.out) != 0)
		return -1;
	while (n > 0) {
		int k = 0;

		for (; k < RECORDS_PER_WRITE && n > 0; k++) {
			size_t len = n > RECORD_MAX ? RECORD_MAX : n;
			unsigned char *h = hdr[k];

			h[0] = FCGI_VERSION_1;
			h[1] = FCGI_STDOUT;
			h[2] = (unsigned char)((unsigned)c->req.requestId >> 8);
			h[3] = (unsigned char)c->req.requestId;
			h[4] = (unsigned char)(len >> 8);
			h[5] = (unsigned char)len;
			h[6] = 0; /* no padding */
			h[7] = 0;
			iov[2 * k].iov_base = h;
			iov[2 * k].iov_len = 8;
			iov[2 * k + 1].iov_base = (void *)p;
			iov[2 * k + 1].iov_len = len;
			p += len;
			n -= len;
		}
		if (writev_all(c->req.ipcFd, iov, 2 * k) != 0) {
			c->timed_out |= is_timeout(errno);
			return -1;
		}
	}
	return 0;
}

/* Small writes go through libfcgi's buffer (one write at the end of the
 * request carries the answer and FCGI_END_REQUEST), large ones straight. */
static int fcgi_write(void *ctx, const char *p, size_t n)
{
	struct conn *c = ctx;

	if (n >= 4096)
		return write_records(c, p, n);
	if (FCGX_PutStr(p, (int)n, c->req.out) == (int)n)
		return 0;
	c->timed_out |= is_timeout(FCGX_GetError(c->req.out));
	return -1;
}

static int fcgi_flush(void *ctx)
{
	struct conn *c = ctx;

	if (FCGX_FFlush(c->req.out) == 0)
		return 0;
	c->timed_out |= is_timeout(FCGX_GetError(c->req.out));
	return -1;
}

static void fcgi_abort(void *ctx)
{
	struct conn *c = ctx;
	/* Close the connection without FCGI_END_REQUEST: the web server sees
	 * a broken answer and aborts the client's response, rather than ending
	 * a truncated body as if it were complete. */
	static const char bad_record[8] = {0}; /* FastCGI version 0: invalid */
	ssize_t n;

	c->aborted = 1;
	if (c->req.ipcFd >= 0) {
		/* An invalid record, then the close: nginx would take a bare
		 * close of an unbuffered answer for its end. */
		FCGX_FFlush(c->req.out);
		n = write(c->req.ipcFd, bad_record, sizeof(bad_record));
		(void)n;
		shutdown(c->req.ipcFd, SHUT_RDWR);
	}
}

/* Arms fd for one readiness event (EPOLLONESHOT). */
static int watch(struct server *s, int fd, int op)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.fd = fd;
	return epoll_ctl(s->ep, op, fd, &ev);
}

/* Asks the main thread to stop the process (accept failed for good). */
static void stop_process(struct server *s, const char *why)
{
	if (!s->stopping) {
		log_msg(LOG_ERR, "FastCGI accept failed: %s", why);
		kill(getpid(), SIGTERM);
	}
}

/* Bounds every blocking read and write on fd by --client.timeout.idle. */
static void set_timeouts(const struct server *s, int fd)
{
	int64_t ms = s->conf->client_timeout_ms;
	struct timeval tv = {.tv_sec = (time_t)(ms / 1000),
			     .tv_usec = (suseconds_t)(ms % 1000) * 1000};

	if (ms <= 0)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0)
		log_msg(LOG_WARN, "FastCGI setsockopt failed: %s", strerror(errno));
}

/* Accepts every pending connection and watches each for its first record. */
static void accept_all(struct server *s)
{
	for (;;) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof(sa);
		int one = 1;
		int fd = accept4(s->listen_fd, (struct sockaddr *)&sa, &len, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				log_msg(LOG_WARN, "FastCGI accept failed: %s", strerror(errno));
				usleep(10000); /* let running requests free some */
			} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
				stop_process(s, strerror(errno));
				return;
			}
			break;
		}
		if (!peer_allowed(&s->peers, (struct sockaddr *)&sa)) {
			close(fd);
			continue;
		}
		if (sa.ss_family == AF_INET || sa.ss_family == AF_INET6) {
			/* room for check_start() to see a whole request start */
			int rcv = (int)(2 * s->peek_max);

			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
		}
		set_timeouts(s, fd);
		if (watch(s, fd, EPOLL_CTL_ADD) != 0) {
			log_msg(LOG_ERR, "FastCGI epoll_ctl failed: %s", strerror(errno));
			close(fd);
		}
	}
	if (watch(s, s->listen_fd, EPOLL_CTL_MOD) != 0)
		stop_process(s, strerror(errno));
}

/* One line when --client.timeout.idle freed a thread. */
static void log_timeout(const struct server *s, const char *what)
{
	log_msg(LOG_WARN, "FastCGI connection closed: the web server sent or took "
		"nothing of %s for %lld ms (--client.timeout.idle)",
		what, (long long)s->conf->client_timeout_ms);
}

/*
 * Peeks at fd until p holds want bytes (or the peer's end, or a stall; *got
 * is what p holds).  A unix socket has SO_PEEK_OFF set: each peek goes on
 * where the last ended and blocks for new bytes.  A TCP socket waits in
 * poll() with SO_RCVLOWAT at want (SO_PEEK_OFF on TCP needs Linux 6.10),
 * then peeks from the start.  Returns 0, or -1 with errno (EAGAIN: the
 * stall ran past --client.timeout.idle).
 */
static int peek_more(int fd, unsigned char *p, size_t *got, size_t want,
		     int is_unix, int64_t timeout_ms)
{
	while (*got < want) {
		struct pollfd pf = {.fd = fd, .events = POLLIN | POLLRDHUP};
		int lowat = (int)want;
		ssize_t n;

		if (!is_unix) {
			setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat));
			n = poll(&pf, 1, timeout_ms > 0 ? (int)timeout_ms : -1);
			if (n == 0)
				errno = EAGAIN;
			if (n <= 0 && !(n < 0 && errno == EINTR))
				return -1;
		}
		n = is_unix ? recv(fd, p + *got, want - *got, MSG_PEEK)
			    : recv(fd, p, want, MSG_PEEK | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || (!is_unix && errno == EAGAIN)))
			continue;
		if (n < 0)
			return -1;
		if (is_unix ? n == 0 : (size_t)n <= *got)
			return 0; /* no more will come */
		*got = is_unix ? *got + (size_t)n : (size_t)n;
	}
	return 0;
}

/*
 * The common case, in one peek: the web server wrote the request's start at
 * once and all of it is in the socket.  FCGIREC_MORE when it is not (yet):
 * then check_start() peeks the slow way.
 */
static enum fcgirec_verdict peek_ready(const struct server *s, struct conn *c,
				       int fd, const char **why)
{
	size_t need;
	ssize_t n = recv(fd, c->peek, s->peek_max, MSG_PEEK | MSG_DONTWAIT);

	if (n <= 0)
		return FCGIREC_MORE;
	return fcgirec_check(c->peek, (size_t)n, s->params_max, &need, why);
}

/*
 * Reads (without taking it) the start of the request on fd, up to the end
 * of its PARAMS, and has fcgirec check it before libfcgi parses it: libfcgi
 * only ever gets a whole start that is sound: in one peek when it is all
 * there (peek_ready), else peek_more() until it is.  Returns 0 to go on, -1
 * to close the connection (refused or stalled past --client.timeout.idle:
 * logged; or ended by the peer before its PARAMS did: a kept connection's
 * normal end, or nothing libfcgi could serve).
 */
static int check_start(const struct server *s, struct conn *c, int fd)
{
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);
	size_t need = 8, got = 0;
	const char *why = "the request's start is over the limit";
	int zero = 0, off = -1, one = 1, rc = -1, is_unix;
	enum fcgirec_verdict v = peek_ready(s, c, fd, &why);

	if (v != FCGIREC_MORE) {
		if (v == FCGIREC_BAD)
			log_msg(LOG_WARN, "FastCGI connection refused: %s", why);
		return v == FCGIREC_OK ? 0 : -1;
	}
	is_unix = getsockname(fd, (struct sockaddr *)&sa, &salen) == 0 && sa.ss_family == AF_UNIX &&
		  setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero)) == 0;
	while (need <= s->peek_max) {
		size_t want = need;

		if (peek_more(fd, c->peek, &got, want, is_unix, s->conf->client_timeout_ms) != 0) {
			if (is_timeout(errno))
				log_timeout(s, "a request's start");
			goto out;
		}
		switch (fcgirec_check(c->peek, got, s->params_max, &need, &why)) {
		case FCGIREC_OK:
			rc = 0;
			goto out;
		case FCGIREC_BAD:
			goto bad;
		case FCGIREC_MORE:
			break;
		}
		if (got < want) /* the peer's end before the PARAMS' */
			goto out;
	}
bad:
	log_msg(LOG_WARN, "FastCGI connection refused: %s", why);
out:
	if (is_unix)
		setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off));
	else
		setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one));
	return rc;
}

/* 1 when the request's FCGI_STDIN has been read to its end, so the next
 * record on the connection starts the next request. */
static int stdin_done(FCGX_Request *r)
{
	return FCGX_GetChar(r->in) == EOF && FCGX_GetError(r->in) == 0;
}

/*
 * Serves the request that starts on connection fd, then keeps the
 * connection for the next one (FCGI_KEEP_CONN) by watching it again, or
 * closes it.  An idle kept connection holds no thread.
 */
static void serve(struct server *s, struct relay_worker *rw,
		  const struct relay_io *io, struct conn *c, int fd)
{
	FCGX_Request *r = &c->req;
	int keep;

	c->aborted = 0;
	c->timed_out = 0;
	if (check_start(s, c, fd) != 0) {
		close(fd);
		return;
	}
	r->ipcFd = fd;
	r->keepConnection = 1; /* FCGX_Accept_r's first step must not close fd */
	if (FCGX_Accept_r(r) < 0) {
		/* end of the connection, or a bad record: libfcgi closed it */
		r->ipcFd = -1;
		return;
	}
	request_read(&c->rq, r->envp, 1);
	relay_serve(rw, io, &c->rq);
	keep = r->keepConnection;
	/* With unread input or an abort, libfcgi's own close (which drains
	 * what the server still sends) is the right one; otherwise we close. */
	r->keepConnection = !c->aborted && stdin_done(r);
	c->timed_out |= is_timeout(FCGX_GetError(r->in));
	if (c->timed_out)
		log_timeout(s, "the request");
	FCGX_Finish_r(r);
	fd = r->ipcFd;
	r->ipcFd = -1;
	if (fd < 0)
		return;
	if (!keep || s->stopping || watch(s, fd, EPOLL_CTL_MOD) != 0)
		close(fd);
}

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct server *s = wk->srv;
	struct relay_worker *rw = relay_worker_new(s->conf, s->pool, s->routes);
	struct conn c;
	struct relay_io io = {
		.ctx = &c,
		.read = fcgi_read,
		.write = fcgi_write,
		.flush = fcgi_flush,
		.abort = fcgi_abort,
		.can_stream_body = 1,
	};

	memset(&c, 0, sizeof(c));
	request_init(&c.rq);
	c.peek = xmalloc(s->peek_max);
	/* No listening socket for libfcgi: connections come from accept_all(),
	 * so a failed first read ends in FCGX_Accept_r instead of an accept. */
	FCGX_InitRequest(&c.req, -1, 0);
	while (!s->stopping) {
		struct epoll_event ev;
		int n = epoll_wait(s->ep, &ev, 1, -1);

		if (n < 0 && errno != EINTR) {
			stop_process(s, strerror(errno));
			break;
		}
		if (n <= 0 || ev.data.fd == s->stop_fd)
			continue;
		if (ev.data.fd == s->listen_fd)
			accept_all(s);
		else if (s->stopping)
			close(ev.data.fd);
		else
			serve(s, rw, &io, &c, ev.data.fd);
	}
	FCGX_Free(&c.req, 0);
	request_free(&c.rq);
	free(c.peek);
	relay_worker_free(rw);
	wk->done = 1;
	return NULL;
}

/* Sets up s: the epoll set with the listening socket and the stop fd. */
static int server_init(struct server *s, const struct conf *c,
		       struct upstream_pool *pool, int listen_fd)
{
	struct epoll_event ev;
	int fl;

	memset(s, 0, sizeof(*s));
	s->conf = c;
	s->pool = pool;
	s->routes = route_cache_new(c, pool, ROUTE_MAX);
	s->listen_fd = listen_fd;
	/* The CGI variables of a request: its headers, four forms of its URI
	 * and the rest; and room for the records around them. */
	s->params_max = c->max_header_size + 4 * c->max_uri_size + 16384;
	s->peek_max = s->params_max + 65536;
	if (peer_list_parse(getenv("FCGI_WEB_SERVER_ADDRS"), &s->peers) != 0) {
		log_msg(LOG_ERR, "FCGI_WEB_SERVER_ADDRS: not a list of IPv4 addresses");
		return -1;
	}
	fl = fcntl(listen_fd, F_GETFL);
	if (fl < 0 || fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK) != 0) {
		log_msg(LOG_ERR, "FastCGI socket: %s", strerror(errno));
		return -1;
	}
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->ep < 0 || s->stop_fd < 0) {
		log_msg(LOG_ERR, "epoll_create1 or eventfd failed: %s", strerror(errno));
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN; /* level-triggered: wakes every thread */
	ev.data.fd = s->stop_fd;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->stop_fd, &ev) != 0 ||
	    watch(s, listen_fd, EPOLL_CTL_ADD) != 0) {
		log_msg(LOG_ERR, "epoll_ctl failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Lets running requests finish, at most c->shutdown_grace_ms. */
static void server_stop(struct server *s, struct worker *wks, long n)
{
	int64_t deadline = clock_now_ms() + s->conf->shutdown_grace_ms;
	uint64_t one = 1;

	s->stopping = 1;
	if (write(s->stop_fd, &one, sizeof(one)) != sizeof(one))
		log_msg(LOG_ERR, "eventfd write failed: %s", strerror(errno));
	for (;;) {
		int all_done = 1;

		for (long i = 0; i < n; i++)
			all_done &= wks[i].done;
		if (all_done)
			break;
		if (clock_now_ms() >= deadline) {
			log_msg(LOG_WARN, "shutdown grace over: exiting with requests running");
			_exit(0);
		}
		usleep(20000);
	}
	for (long i = 0; i < n; i++)
		pthread_join(wks[i].tid, NULL);
}

int fcgi_run(const struct conf *c, struct upstream_pool *pool, int listen_fd)
{
	struct server s;
	struct worker *wks;
	int sig;
	long n = c->threads;

	if (FCGX_Init() != 0) {
		log_msg(LOG_ERR, "FCGX_Init failed");
		return 1;
	}
	if (server_init(&s, c, pool, listen_fd) != 0)
		return 1;
	wks = xmalloc((size_t)n * sizeof(*wks));
	for (long i = 0; i < n; i++) {
		wks[i].srv = &s;
		wks[i].done = 0;
		if (pthread_create(&wks[i].tid, NULL, worker_main, &wks[i]) != 0) {
			log_msg(LOG_ERR, "pthread_create failed: %s", strerror(errno));
			exit(1);
		}
	}
	sig = stopsig_wait();
	log_msg(LOG_INFO, "stopping on signal %d: finishing running requests", sig);
	server_stop(&s, wks, n);
	free(wks);
	route_cache_free(s.routes);
	close(s.ep);
	close(s.stop_fd);
	return 0;
}
