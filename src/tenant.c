/* tenant: the login to tenant map, parsed and re-read; see tenant.h. */
#include "tenant.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "log.h"
#include "status.h"

#define MAP_FILES_MAX 16
#define MAP_SIZE_MAX (16 * 1024 * 1024)

static char *dup_n(const char *p, size_t n)
{
	char *s = xmalloc(n + 1);

	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* The next word of *p (spaces and tabs skip), its length in *n; NULL at
 * the end of the line or a comment. */
static const char *word(const char **p, size_t *n)
{
	const char *s = *p + strspn(*p, " \t");

	*n = strcspn(s, " \t#");
	*p = s + *n;
	return *n > 0 ? s : NULL;
}

/* One line (NUL-terminated, no newline) into m: 0, or -1 with why. */
static int parse_line(const char *line, struct tenant_map *m, const char **why)
{
	const char *p = line, *u, *t;
	size_t un, tn, rest;

	u = word(&p, &un);
	if (u == NULL)
		return 0; /* blank or a comment */
	t = word(&p, &tn);
	if (t == NULL)
		return *why = "a user without a tenant", -1;
	if (word(&p, &rest) != NULL)
		return *why = "more than `user tenant`", -1;
	for (size_t i = 0; i < tn; i++)
		if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f)
			return *why = "control character in the tenant", -1;
	if (un == 1 && *u == '*') {
		if (m->dflt != NULL)
			return *why = "a second `*` line", -1;
		m->dflt = dup_n(t, tn);
		return 0;
	}
	m->v = xrealloc(m->v, (m->n + 1) * sizeof(*m->v));
	m->v[m->n].user = dup_n(u, un);
	m->v[m->n].tenant = dup_n(t, tn);
	m->n++;
	return 0;
}

int tenant_map_parse(const char *text, const char *file, struct tenant_map *m,
		     char *err, size_t errlen)
{
	const char *p = text, *why = NULL;
	char line[1024];
	unsigned lineno = 0;

	while (*p != '\0') {
		size_t n = strcspn(p, "\n");

		lineno++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n >= sizeof(line)) {
			why = "line too long";
		} else {
			memcpy(line, p, n);
			line[n] = '\0';
			(void)parse_line(line, m, &why);
		}
		if (why != NULL) {
			tenant_map_free(m);
			return status_errf(err, errlen, "%s:%u: %s", file, lineno, why);
		}
		p += strcspn(p, "\n");
		if (*p == '\n')
			p++;
	}
	return 0;
}

void tenant_map_free(struct tenant_map *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].user);
		free(m->v[i].tenant);
	}
	free(m->v);
	free(m->dflt);
	memset(m, 0, sizeof(*m));
}

const char *tenant_map_lookup(const struct tenant_map *m, const char *user)
{
	if (user == NULL || *user == '\0')
		return NULL;
	if (m == NULL)
		return user;
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i].user, user) == 0)
			return m->v[i].tenant;
	return m->dflt;
}

/* One map file, read once and re-read when it changes. */
struct map_file {
	char *path;
	struct tenant_map map;
	long long checked_s;          /* last stat */
	struct stat seen;             /* what the map (or the bad file) was read from */
};

static struct map_file files[MAP_FILES_MAX];
static size_t n_files;
static pthread_mutex_t files_lock = PTHREAD_MUTEX_INITIALIZER;

/* The whole file into b: 0, or -1 with err. */
static int slurp(const char *path, struct buf *b, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char chunk[4096];
	size_t n;
	int rc = 0;

	if (f == NULL)
		return status_errf(err, errlen, "--tenant.map: %s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(b, chunk, n) != 0) {
			rc = status_errf(err, errlen, "--tenant.map: %s: too large", path);
			break;
		}
	if (rc == 0 && ferror(f))
		rc = status_errf(err, errlen, "--tenant.map: %s: read failed", path);
	fclose(f);
	return rc;
}

/* Reads path into m (empty): 0, or -1 with err. */
static int load(const char *path, struct tenant_map *m, char *err, size_t errlen)
{
	struct buf b;
	int rc;

	buf_init(&b, MAP_SIZE_MAX);
	rc = slurp(path, &b, err, errlen);
	if (rc == 0)
		rc = tenant_map_parse(buf_str(&b), path, m, err, errlen);
	buf_free(&b);
	return rc;
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ino == b->st_ino;
}

/* Re-reads f when its file changed (at most one stat a second). */
static void refresh(struct map_file *f, long long now_s)
{
	struct tenant_map m = {0};
	struct stat st;
	char err[512];

	if (now_s == f->checked_s)
		return;
	f->checked_s = now_s;
	if (stat(f->path, &st) != 0 || same_file(&st, &f->seen))
		return;
	f->seen = st; /* a bad file is logged once, until it changes again */
	if (load(f->path, &m, err, sizeof(err)) != 0) {
		log_msg(LOG_ERR, "tenant map re-read failed: %s (the old map stays)", err);
		return;
	}
	tenant_map_free(&f->map);
	f->map = m;
}

/* The entry of path, read the first time: NULL with err. Locked. */
static struct map_file *file_of(const char *path, long long now_s, char *err, size_t errlen)
{
	struct map_file *f;

	for (size_t i = 0; i < n_files; i++)
		if (strcmp(files[i].path, path) == 0) {
			refresh(&files[i], now_s);
			return &files[i];
		}
	if (n_files == MAP_FILES_MAX) {
		status_errf(err, errlen, "--tenant.map: more than %d map files", MAP_FILES_MAX);
		return NULL;
	}
	f = &files[n_files];
	memset(f, 0, sizeof(*f));
	if (stat(path, &f->seen) != 0 || load(path, &f->map, err, errlen) != 0) {
		if (err[0] == '\0')
			status_errf(err, errlen, "--tenant.map: %s: %s", path, strerror(errno));
		return NULL;
	}
	f->path = dup_n(path, strlen(path));
	f->checked_s = now_s;
	n_files++;
	return f;
}

int tenant_for(const char *path, const char *user, long long now_s, struct buf *out,
	       char *err, size_t errlen)
{
	struct map_file *f;
	const char *t;
	int rc;

	buf_reset(out);
	err[0] = '\0';
	if (path == NULL || *path == '\0') {
		t = tenant_map_lookup(NULL, user);
		return t != NULL && buf_appends(out, t) == 0;
	}
	pthread_mutex_lock(&files_lock);
	f = file_of(path, now_s, err, errlen);
	rc = f == NULL ? -1 : 0;
	if (f != NULL) {
		t = tenant_map_lookup(&f->map, user);
		rc = t != NULL && buf_appends(out, t) == 0;
	}
	pthread_mutex_unlock(&files_lock);
	return rc;
}
