/*
 * tenant: the web server's login (REMOTE_USER) turned into the tenant
 * sent upstream in --tenant.header, through the optional --tenant.map
 * file of "user tenant" lines ("*" names the default, "#" starts a
 * comment).  The parser and the lookup are pure; tenant_for() keeps each
 * map file read once, looks at its mtime and size at most once a second
 * and re-reads it when they change (a bad new file: the old map stays,
 * logged once).  Thread-safe.
 */
#ifndef THANOS_FCGI_TENANT_H
#define THANOS_FCGI_TENANT_H

#include <stddef.h>

#include "buf.h"

struct tenant_entry {
	char *user, *tenant;
};

struct tenant_map {
	struct tenant_entry *v;
	size_t n;
	char *dflt; /* the "*" line's tenant, NULL: none */
};

/*
 * Parses text (the file's contents; file names it in errors) into m,
 * which must be empty.  Returns 0, or -1 with "FILE:LINE: why" in err
 * and m empty.  Free with tenant_map_free().
 */
int tenant_map_parse(const char *text, const char *file, struct tenant_map *m,
		     char *err, size_t errlen);

/* Releases m's entries; m is left empty. NULL-safe. */
void tenant_map_free(struct tenant_map *m);

/* The tenant of user: its own line, else the default; NULL when neither
 * (or user is NULL or empty).  Without a map (m NULL) the user itself. */
const char *tenant_map_lookup(const struct tenant_map *m, const char *user);

/*
 * The tenant of user into out (reset first) through the map file path
 * (NULL or "": none, the user is the tenant), now_s the time in seconds.
 * Returns 1 with out set, 0 when there is no tenant (no login, or a user
 * the map does not name and no default), -1 with err when the file
 * cannot be read or parsed the first time.
 */
int tenant_for(const char *path, const char *user, long long now_s, struct buf *out,
	       char *err, size_t errlen);

#endif
