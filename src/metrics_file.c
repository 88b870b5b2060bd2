/* metrics_file: the shared counters file; see metrics_file.h. */
#include "metrics_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "status.h"

void metrics_header_init(struct metrics_header *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, METRICS_MAGIC, sizeof(h->magic));
	h->version = METRICS_LAYOUT_VERSION;
	h->header_size = sizeof(*h);
	h->size = sizeof(struct metrics_shm);
}

int metrics_header_check(const struct metrics_header *h, uint64_t file_size,
			 const char **why)
{
	if (file_size < sizeof(*h) || memcmp(h->magic, METRICS_MAGIC, sizeof(h->magic)) != 0) {
		*why = "not a thanos-fcgi metrics file";
		return -1;
	}
	if (h->version != METRICS_LAYOUT_VERSION || h->header_size != sizeof(*h) ||
	    h->size != sizeof(struct metrics_shm)) {
		*why = "made by another thanos-fcgi version (another layout)";
		return -1;
	}
	if (file_size != h->size) {
		*why = "its size is not the one its header gives";
		return -1;
	}
	return 0;
}

int metrics_replica_row(const struct metrics_counters *c, const char *url)
{
	size_t n = strlen(url);

	if (n >= METRICS_URL_MAX)
		n = METRICS_URL_MAX - 1;
	for (int i = 0; i < METRICS_REPLICAS; i++)
		if (c->replica[i].url[0] != '\0' && strncmp(c->replica[i].url, url, n) == 0 &&
		    c->replica[i].url[n] == '\0')
			return i;
	return -1;
}

int metrics_replica_add(struct metrics_counters *c, const char *url)
{
	int i = metrics_replica_row(c, url);
	size_t n = strlen(url);

	if (i >= 0 || *url == '\0')
		return i;
	if (n >= METRICS_URL_MAX)
		n = METRICS_URL_MAX - 1;
	for (i = 0; i < METRICS_REPLICAS; i++)
		if (c->replica[i].url[0] == '\0') {
			memcpy(c->replica[i].url, url, n);
			c->replica[i].url[n] = '\0';
			return i;
		}
	return -1;
}

/* Gives a new file its size and header, or checks an old one's (the
 * caller holds the lock).  0, or -1 with err. */
static int file_ready(int fd, const char *path, char *err, size_t errlen)
{
	struct metrics_header h;
	struct stat st;
	const char *why;

	if (fstat(fd, &st) != 0)
		return status_errf(err, errlen, "--metrics.file %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return status_errf(err, errlen, "--metrics.file %s: not a regular file", path);
	if (st.st_size == 0) {
		metrics_header_init(&h);
		if (ftruncate(fd, (off_t)sizeof(struct metrics_shm)) != 0 ||
		    pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
			return status_errf(err, errlen, "--metrics.file %s: cannot create: %s", path,
					   strerror(errno));
		return 0;
	}
	memset(&h, 0, sizeof(h));
	if (pread(fd, &h, sizeof(h), 0) < 0)
		return status_errf(err, errlen, "--metrics.file %s: %s", path, strerror(errno));
	if (metrics_header_check(&h, (uint64_t)st.st_size, &why) != 0)
		return status_errf(err, errlen,
				   "--metrics.file %s: %s: stop every process using it and "
				   "remove it, or name another file",
				   path, why);
	return 0;
}

struct metrics_shm *metrics_file_open(const char *path, const char *const *urls, size_t n,
				      char *err, size_t errlen)
{
	struct metrics_shm *m = NULL;
	void *p;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660);

	if (fd < 0) {
		status_errf(err, errlen, "--metrics.file %s: %s", path, strerror(errno));
		return NULL;
	}
	if (flock(fd, LOCK_EX) != 0) {
		status_errf(err, errlen, "--metrics.file %s: lock: %s", path, strerror(errno));
		goto out;
	}
	if (file_ready(fd, path, err, errlen) != 0)
		goto out;
	p = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		status_errf(err, errlen, "--metrics.file %s: mmap: %s", path, strerror(errno));
		goto out;
	}
	m = p;
	for (size_t i = 0; i < n; i++)
		metrics_replica_add(&m->c, urls[i]);
out:
	/* unlocked by hand: the mapping holds the open file, and its lock */
	flock(fd, LOCK_UN);
	close(fd);
	return m;
}

void metrics_file_close(struct metrics_shm *m)
{
	if (m != NULL)
		munmap(m, sizeof(*m));
}
