/*
 * fuzz_fcgi: the FastCGI input as the adapter receives it: the start of a
 * record stream (management records, BEGIN_REQUEST, PARAMS) checked by
 * fcgirec_check() as src/fcgi.c's check_start() does, and what it lets
 * through read by libfcgi from a socket set up as serve() sets it up,
 * split into writes of every size; then the parameters turned into what
 * the relay sends upstream (reqhdr_build, as relay.c calls it).
 *
 * Input: the first byte picks the write size (1 to 256 bytes, so records
 * and their headers arrive cut at every place); the rest is the stream's
 * start; whatever follows its PARAMS goes as the request body, in STDIN
 * records of its own.  (Management records in the middle of a body reach
 * libfcgi unchecked: README, Limits.)
 *
 * Invariants: fcgirec_check() decides, and a verdict does not change when
 * the input is cut shorter before it; FCGX_Accept_r on an accepted start
 * either fails or yields parameters (NAME=VALUE; a name holding a NUL
 * comes out cut, without '=': passed over by every lookup); the body reads;
 * reqhdr_build answers OK, BAD_REQUEST or HEADERS_TOO_LARGE; nothing
 * crashes libfcgi, leaks (LeakSanitizer) or hangs (the writer closes its
 * end, so every read ends).
 */
#include <fcgiapp.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "fcgirec.h"
#include "reqhdr.h"
#include "request.h"
#include "status.h"

static const uint8_t *cur_data;
static size_t cur_size;
static void fuzz_dump(void);
#include "fuzz_util.h"

static void fuzz_dump(void)
{
	fuzz_show("record stream", (const char *)cur_data, cur_size);
}

/* The limits of src/fcgi.c with the default --limits. */
#define PARAMS_MAX (64 * 1024 + 4 * 8 * 1024 + 16384)

struct feed {
	int fd;
	const uint8_t *p, *body;
	size_t n, nbody, step;
};

/* Sends p[0..n) in pieces of step bytes; -1 when the reader is gone. */
static int send_steps(int fd, const uint8_t *p, size_t n, size_t step)
{
	for (size_t i = 0; i < n; i += step) {
		size_t k = n - i < step ? n - i : step;
		if (send(fd, p + i, k, MSG_NOSIGNAL) != (ssize_t)k)
			return -1;
	}
	return 0;
}

/* Writes the start, then the body as STDIN records, then closes its end. */
static void *writer(void *arg)
{
	struct feed *f = arg;
	unsigned char h[8] = {1, 5, 0, 1, 0, 0, 0, 0};

	if (send_steps(f->fd, f->p, f->n, f->step) == 0) {
		for (size_t i = 0; i < f->nbody; i += 255) {
			size_t k = f->nbody - i < 255 ? f->nbody - i : 255;
			h[5] = (unsigned char)k;
			if (send_steps(f->fd, h, 8, f->step) != 0 ||
			    send_steps(f->fd, f->body + i, k, f->step) != 0)
				break;
		}
		h[5] = 0;
		send_steps(f->fd, h, 8, f->step);
	}
	shutdown(f->fd, SHUT_WR);
	return NULL;
}

/* The verdict on p[0..n), and on every shorter cut of it: the same, or
 * undecided (MORE) before the point where it was decided. */
static enum fcgirec_verdict checked(const uint8_t *p, size_t n, size_t *start)
{
	size_t need = 0, need2 = 0;
	const char *why = NULL;
	enum fcgirec_verdict v = fcgirec_check(p, n, PARAMS_MAX, &need, &why), v2;

	FUZZ_CHECK(v == FCGIREC_OK || v == FCGIREC_BAD || (v == FCGIREC_MORE && need > n),
		   "verdict %d, need %zu for %zu bytes", v, need, n);
	FUZZ_CHECK(v != FCGIREC_BAD || (why != NULL && *why != '\0'), "BAD without a cause");
	*start = n;
	/* where the PARAMS end: the shortest prefix that is OK */
	for (size_t k = 0; v == FCGIREC_OK && k <= n; k++) {
		v2 = fcgirec_check(p, k, PARAMS_MAX, &need2, &why);
		FUZZ_CHECK(v2 == FCGIREC_OK || v2 == FCGIREC_MORE, "cut at %zu: verdict %d", k, v2);
		if (v2 == FCGIREC_OK) {
			*start = k;
			break;
		}
	}
	return v;
}

/* What relay.c does with the parameters before any upstream I/O. */
static void relay_view(char **envp)
{
	struct reqhdr_opts o = {"X-Forwarded-Prefix", "/thanos", 64 * 1024, NULL, NULL};
	struct request rq;
	struct buf out;
	enum tf_status s;

	/* a name with a NUL in it comes out cut, without its '=': every
	 * reader (request_read, conf_overlay) must pass over it */
	request_init(&rq);
	request_read(&rq, envp, 1);
	buf_init(&out, o.max_total + 16384);
	s = reqhdr_build(&rq, &o, &out);
	FUZZ_CHECK(s == TF_OK || s == TF_BAD_REQUEST || s == TF_HEADERS_TOO_LARGE,
		   "reqhdr_build status %d", s);
	request_free(&rq);
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int inited;
	FCGX_Request r;
	struct feed f;
	pthread_t t;
	int sv[2];
	char body[4096];

	if (!inited) {
		signal(SIGPIPE, SIG_IGN);
		FUZZ_CHECK(FCGX_Init() == 0, "FCGX_Init failed");
		inited = 1;
	}
	if (size < 1)
		return 0;
	cur_data = data;
	cur_size = size;
	f.p = data + 1;
	if (checked(f.p, size - 1, &f.n) != FCGIREC_OK)
		return 0; /* check_start() closes the connection */
	f.body = f.p + f.n;
	f.nbody = size - 1 - f.n;
	f.step = (size_t)data[0] + 1;
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair failed");
	f.fd = sv[1];
	FUZZ_CHECK(pthread_create(&t, NULL, writer, &f) == 0, "pthread_create failed");

	/* as src/fcgi.c's serve(): no listening socket, the connection given */
	FCGX_InitRequest(&r, -1, 0);
	r.ipcFd = sv[0];
	r.keepConnection = 1;
	if (FCGX_Accept_r(&r) == 0) {
		relay_view(r.envp);
		while (FCGX_GetStr(body, sizeof(body), r.in) > 0)
			;
		r.keepConnection = 0;
		FCGX_Finish_r(&r);
	} else if (fcntl(sv[0], F_GETFD) != -1) {
		close(sv[0]); /* libfcgi leaves some failures' fd open */
	}
	r.ipcFd = -1;
	FCGX_Free(&r, 0);
	pthread_join(t, NULL);
	close(sv[1]);
	return 0;
}
