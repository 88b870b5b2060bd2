/* fcgi: FastCGI front end; see fcgi.h. */
#include "fcgi.h"

#include <errno.h>
#include <fcgiapp.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "relay.h"

struct worker {
	pthread_t tid;
	const struct conf *conf;
	struct upstream_pool *pool;
	int listen_fd;
	_Atomic int done;
};

static _Atomic int stopping;
static pthread_mutex_t accept_lock = PTHREAD_MUTEX_INITIALIZER;

int fcgi_listen(const char *addr, int backlog)
{
	const char *path = strncmp(addr, "unix:", 5) == 0 ? addr + 5 : addr;

	if (path != addr)
		unlink(path); /* a stale socket from an earlier run */
	return FCGX_OpenSocket(path, backlog);
}

static ssize_t fcgi_read(void *ctx, char *p, size_t n)
{
	FCGX_Request *r = ctx;
	int got = FCGX_GetStr(p, n > 65536 ? 65536 : (int)n, r->in);

	if (got == 0 && FCGX_GetError(r->in) != 0)
		return -1;
	return got;
}

static int fcgi_write(void *ctx, const char *p, size_t n)
{
	FCGX_Request *r = ctx;

	while (n > 0) {
		int chunk = n > 65536 ? 65536 : (int)n;
		if (FCGX_PutStr(p, chunk, r->out) != chunk)
			return -1;
		p += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

static int fcgi_flush(void *ctx)
{
	FCGX_Request *r = ctx;

	return FCGX_FFlush(r->out) == 0 ? 0 : -1;
}

static void fcgi_abort(void *ctx)
{
	FCGX_Request *r = ctx;

	/* Close the connection without FCGI_END_REQUEST: the web server sees
	 * a broken answer and aborts the client's response, rather than ending
	 * a truncated body as if it were complete. */
	static const char bad_record[8] = {0}; /* FastCGI version 0: invalid */
	ssize_t n;

	if (r->ipcFd >= 0) {
		/* An invalid record, then the close: nginx would take a bare
		 * close of an unbuffered answer for its end. */
		FCGX_FFlush(r->out);
		n = write(r->ipcFd, bad_record, sizeof(bad_record));
		(void)n;
		shutdown(r->ipcFd, SHUT_RDWR);
	}
}

static void on_usr1(int sig)
{
	(void)sig; /* only interrupts accept() */
}

static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	struct relay_worker *rw = relay_worker_new(wk->conf, wk->pool);
	FCGX_Request req;
	struct relay_io io = {
		.ctx = &req,
		.read = fcgi_read,
		.write = fcgi_write,
		.flush = fcgi_flush,
		.abort = fcgi_abort,
		.can_stream_body = 1,
		.params_override = 1,
	};
	sigset_t usr1;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	FCGX_InitRequest(&req, wk->listen_fd, FCGI_FAIL_ACCEPT_ON_INTR);
	for (;;) {
		int rc;

		pthread_mutex_lock(&accept_lock);
		/* SIGUSR1 may interrupt only the wait for a request. */
		pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
		rc = stopping ? -1 : FCGX_Accept_r(&req);
		pthread_sigmask(SIG_BLOCK, &usr1, NULL);
		pthread_mutex_unlock(&accept_lock);
		/* Never keep the FastCGI connection (FCGI_KEEP_CONN): libfcgi
		 * would park this thread in a read on the idle connection and
		 * starve every other one.  The server simply reconnects. */
		req.keepConnection = 0;
		if (rc < 0)
			break;
		relay_serve(rw, &io, req.envp);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 1);
	relay_worker_free(rw);
	wk->done = 1;
	if (!stopping) {
		/* accept failed for good: wake the main thread to exit */
		log_msg(LOG_ERR, "FastCGI accept failed: %s", strerror(errno));
		kill(getpid(), SIGTERM);
	}
	return NULL;
}

int fcgi_run(const struct conf *c, struct upstream_pool *pool, int listen_fd)
{
	struct worker *wks;
	struct sigaction sa;
	sigset_t set;
	int sig = 0;
	long n = c->threads;

	if (FCGX_Init() != 0) {
		log_msg(LOG_ERR, "FCGX_Init failed");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1; /* no SA_RESTART: accept() returns EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* inherited by the workers */

	wks = xmalloc((size_t)n * sizeof(*wks));
	for (long i = 0; i < n; i++) {
		wks[i].conf = c;
		wks[i].pool = pool;
		wks[i].listen_fd = listen_fd;
		wks[i].done = 0;
		if (pthread_create(&wks[i].tid, NULL, worker_main, &wks[i]) != 0) {
			log_msg(LOG_ERR, "pthread_create failed: %s", strerror(errno));
			exit(1);
		}
	}
	sigdelset(&set, SIGUSR1);
	do {
		if (sigwait(&set, &sig) != 0)
			sig = 0;
	} while (sig != SIGTERM && sig != SIGINT); /* SIGHUP: nothing to reload */
	log_msg(LOG_INFO, "stopping on signal %d: finishing running requests", sig);
	stopping = 1;
	{
		int64_t deadline = upstream_now_ms() + c->shutdown_grace_ms;
		for (;;) {
			int all_done = 1;
			for (long i = 0; i < n; i++) {
				if (!wks[i].done) {
					all_done = 0;
					pthread_kill(wks[i].tid, SIGUSR1);
				}
			}
			if (all_done)
				break;
			if (upstream_now_ms() >= deadline) {
				log_msg(LOG_WARN, "shutdown grace over: exiting with requests running");
				_exit(0);
			}
			usleep(50000);
		}
	}
	for (long i = 0; i < n; i++)
		pthread_join(wks[i].tid, NULL);
	free(wks);
	return 0;
}
