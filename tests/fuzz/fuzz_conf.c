/*
 * fuzz_conf: the configuration parsers: the `key = value` file, flags,
 * THANOS_FCGI_* variables (process, CGI and per-request), and the value
 * parsers of units.h (durations, sizes, numbers, booleans, the checks).
 *
 * Input: NUL-separated fields: the config file's bytes, then up to 16
 * words, each used as a flag ("--name=value" when it starts with "--"),
 * or as a variable (NAME=VALUE) otherwise.
 *
 * Invariants: every parser answers 0 or -1; on -1 the error is one line,
 * non-empty, without control characters; on 0 the settings hold their
 * table's bounds (threads 1..256, backlog 1..65535, a non-empty upstream
 * list, a log level, sizes that must not be 0 are not); loading the same
 * input twice gives the same settings; a value units_* accepts, printed
 * back as a plain number, parses to the same number.
 */
#define _GNU_SOURCE /* memfd_create */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "units.h"

static const uint8_t *cur_data;
static size_t cur_size;
static void fuzz_dump(void);
#include "fuzz_util.h"

static void fuzz_dump(void)
{
	fuzz_show("input", (const char *)cur_data, cur_size);
}

#define MAX_WORDS 16

static void check_err(int rc, const char *err)
{
	if (rc == 0)
		return;
	FUZZ_CHECK(err[0] != '\0', "failed without a message");
	for (const char *p = err; *p != '\0'; p++)
		FUZZ_CHECK((unsigned char)*p >= ' ' && *p != 0x7f, "control character in \"%s\"", err);
}

static void check_conf(const struct conf *c)
{
	FUZZ_CHECK(c->threads >= 1 && c->threads <= 256, "threads %ld", c->threads);
	FUZZ_CHECK(c->backlog >= 1 && c->backlog <= 65535, "backlog %ld", c->backlog);
	FUZZ_CHECK(c->upstream != NULL && c->upstream[0] != '\0', "empty upstream");
	FUZZ_CHECK(c->log_level >= 0 && c->log_level <= 3, "log level %d", c->log_level);
	FUZZ_CHECK(c->max_uri_size > 0 && c->max_header_size > 0 &&
			   c->max_upstream_header_size > 0, "a size that must not be 0 is 0");
	FUZZ_CHECK(c->timeout_idle_ms >= 0 && c->client_timeout_ms >= 0, "negative duration");
}

/* The value parsers on one string: accepted numbers print back the same. */
static void units_one(const char *s)
{
	char tmp[64];
	int64_t ms = -1, ms2 = -1;
	uint64_t sz = 0, sz2 = 0;
	long l = 0, l2 = 0;
	int b = 2;
	const char *why = NULL;

	if (units_duration_ms(s, &ms) == 0) {
		FUZZ_CHECK(ms >= 0, "negative duration %" PRId64, ms);
		snprintf(tmp, sizeof(tmp), "%" PRId64 "ms", ms);
		FUZZ_CHECK(ms == 0 || (units_duration_ms(tmp, &ms2) == 0 && ms2 == ms),
			   "duration %" PRId64 " ms does not read back", ms);
	}
	if (units_size(s, &sz) == 0) {
		snprintf(tmp, sizeof(tmp), "%" PRIu64, sz);
		FUZZ_CHECK(units_size(tmp, &sz2) == 0 && sz2 == sz, "size %" PRIu64 " does not read back", sz);
	}
	if (units_long(s, 1, 65535, &l) == 0) {
		FUZZ_CHECK(l >= 1 && l <= 65535, "long %ld out of its range", l);
		snprintf(tmp, sizeof(tmp), "%ld", l);
		FUZZ_CHECK(units_long(tmp, 1, 65535, &l2) == 0 && l2 == l, "long %ld does not read back", l);
	}
	if (units_bool(s, &b) == 0)
		FUZZ_CHECK(b == 0 || b == 1, "bool %d", b);
	(void)units_check_plain(s, strlen(s), &why);
	(void)units_check_upstream(s, strlen(s), &why);
	(void)units_check_path(s, strlen(s), &why);
	(void)units_check_origin(s, strlen(s), &why);
	(void)units_check_header(s, strlen(s), &why);
	(void)units_check_listen(s, strlen(s), &why);
	(void)units_check_mode(s, strlen(s), &why);
}

/* Loads argv/envp (and the file at path) twice; the two must agree. */
static void load_twice(char **argv, int argc, char **envp, int cgi)
{
	struct conf a, b;
	char err[512] = "", err2[512] = "";
	int ra, rb;

	ra = (cgi ? conf_load_cgi : conf_load)(&a, argc, argv, envp, err, sizeof(err));
	check_err(ra, err);
	rb = (cgi ? conf_load_cgi : conf_load)(&b, argc, argv, envp, err2, sizeof(err2));
	FUZZ_CHECK(ra == rb && strcmp(err, err2) == 0, "two loads differ: \"%s\" / \"%s\"", err, err2);
	if (ra == 0 && a.action == CONF_RUN) {
		struct conf over;
		char oerr[512] = "";
		int ro;

		check_conf(&a);
		FUZZ_CHECK(a.threads == b.threads && a.timeout_idle_ms == b.timeout_idle_ms &&
				   strcmp(a.upstream, b.upstream) == 0, "two loads give other settings");
		/* the variables as one request's parameters, over that base */
		ro = conf_overlay(&a, envp, &over, oerr, sizeof(oerr));
		FUZZ_CHECK(ro >= -1 && ro <= 1, "conf_overlay %d", ro);
		check_err(ro < 0 ? -1 : 0, oerr);
		if (ro == 1)
			check_conf(&over);
	}
	conf_free(&a);
	conf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char prog[] = "thanos-fcgi", cflag[] = "--config";
	char path[64], *argv[MAX_WORDS + 4], *envp[MAX_WORDS + 1];
	struct fields fs;
	int argc = 1, nenv = 0, fd;
	const char *file;

	cur_data = data;
	cur_size = size;
	log_set_level(LOG_ERR); /* unknown variables are warned about */
	fields_split(&fs, data, size, MAX_WORDS + 1);
	file = field(&fs, 0, "");
	fd = memfd_create("conf", MFD_CLOEXEC);
	FUZZ_CHECK(fd >= 0, "memfd_create failed");
	FUZZ_CHECK(write(fd, file, strlen(file)) == (ssize_t)strlen(file), "memfd write failed");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	argv[0] = prog;
	for (size_t i = 1; i < fs.n; i++) {
		units_one(fs.f[i]);
		if (strncmp(fs.f[i], "--", 2) == 0)
			argv[argc++] = fs.f[i];
		else
			envp[nenv++] = fs.f[i];
	}
	envp[nenv] = NULL;
	argv[argc] = NULL;
	load_twice(argv, argc, envp, 0);
	load_twice(argv, argc, envp, 1);
	argv[argc] = cflag;
	argv[argc + 1] = path;
	argv[argc + 2] = NULL;
	load_twice(argv, argc + 2, envp, 0);
	close(fd);
	fields_free(&fs);
	return 0;
}
