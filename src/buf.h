/*
 * buf: the one bounded string buffer used for every URL, header and chunk.
 *
 * Invariants: ptr is NULL (never used) or points at cap bytes with
 * ptr[len] == '\0'; len < cap; len never exceeds max.  An append that would
 * take len past max fails and leaves the buffer unchanged.
 *
 * Out-of-memory policy (the whole program): allocation failure aborts the
 * process with one line on stderr, as lighttpd's ck_malloc does.  A worker
 * that cannot allocate a few KiB cannot answer anyway, and the web server
 * restarts FastCGI workers.  So no function here reports ENOMEM.
 */
#ifndef THANOS_FCGI_BUF_H
#define THANOS_FCGI_BUF_H

#include <stddef.h>

struct buf {
	char *ptr;
	size_t len;
	size_t cap;
	size_t max;
};

/* Empty buffer that will refuse to hold more than max bytes. */
void buf_init(struct buf *b, size_t max);

/* Releases the memory; b is left as after buf_init(b, b->max). NULL-safe. */
void buf_free(struct buf *b);

/* len = 0, memory kept for reuse. */
void buf_reset(struct buf *b);

/* Cuts the content to its first len bytes (no-op when len >= b->len). */
void buf_truncate(struct buf *b, size_t len);

/* Appends n bytes. Returns 0, or -1 (buffer unchanged) when past max. */
int buf_append(struct buf *b, const char *p, size_t n);

/* buf_append of a NUL-terminated string. */
int buf_appends(struct buf *b, const char *s);

/* Appends one byte. */
int buf_appendc(struct buf *b, char c);

/* Sets the content to n bytes of p. -1 (content unchanged) when past max. */
int buf_set(struct buf *b, const char *p, size_t n);

/* Appends formatted text; -1 (buffer unchanged) when past max. */
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The content as a C string: "" for a never-used buffer. */
const char *buf_str(const struct buf *b);

/* Allocation helpers with the abort-on-OOM policy above. */
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
