/*
 * list: the one walker of comma-separated lists (a Connection value,
 * --upstream, --web.root-paths, FCGI_WEB_SERVER_ADDRS, a T_LIST option).
 * Pure.  Entries are trimmed of spaces and tabs around them.
 *
 *	struct list_iter it = list_start(s);
 *	while (list_next(&it))
 *		use(it.p, it.n);
 *
 * Every entry comes out, empty ones too (n 0): "a,,b" gives "a", "", "b";
 * "" gives one empty entry.  Callers that skip empty entries (HTTP's
 * #rule) test n; callers that refuse them say so.
 */
#ifndef THANOS_FCGI_LIST_H
#define THANOS_FCGI_LIST_H

#include <stddef.h>

struct list_iter {
	const char *next; /* the rest of the list; NULL after the last entry */
	const char *p;    /* the current entry (not NUL-terminated) */
	size_t n;         /* its length */
};

struct list_iter list_start(const char *s);

/* Moves to the next entry: 1, or 0 when there is none. */
int list_next(struct list_iter *it);

/* 1 when the list names the token (n bytes, n > 0), compared
 * case-insensitively, as HTTP compares header names. */
int list_has_token(const char *list, const char *name, size_t n);

#endif
