/*
 * metrics_file: the --metrics.file every process of a pool maps
 * (MAP_SHARED) to add into the same counters: created when missing (or
 * empty) with its header, checked when it exists, refused when another
 * version made it.  The layout is metrics_layout.h's.
 */
#ifndef THANOS_FCGI_METRICS_FILE_H
#define THANOS_FCGI_METRICS_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "metrics_layout.h"

/* This build's header for a new file. */
void metrics_header_init(struct metrics_header *h);

/*
 * Checks a file's header, file_size being the file's size: 0, or -1 with
 * *why naming what differs ("not a thanos-fcgi metrics file", "made by
 * another thanos-fcgi version").  Pure.
 */
int metrics_header_check(const struct metrics_header *h, uint64_t file_size,
			 const char **why);

/*
 * Opens path (created with mode 0660 less the umask when missing), gives a
 * new or empty file its size and header, checks an existing one, maps it
 * and writes a row for each of the n replica URLs it has none for; all
 * under an exclusive flock, so processes starting together agree.
 * Returns the mapping, or NULL with one line in err ("--metrics.file
 * PATH: ..."); nothing is left open then.
 */
struct metrics_shm *metrics_file_open(const char *path, const char *const *urls, size_t n,
				      char *err, size_t errlen);

/* Unmaps what metrics_file_open returned. NULL-safe. */
void metrics_file_close(struct metrics_shm *m);

/* The row of url in c's replica table (registered at open), or -1. */
int metrics_replica_row(const struct metrics_counters *c, const char *url);

/* Writes a row for url when it has none and one is free (the caller holds
 * the file's lock, or owns the memory).  The row, or -1 when full. */
int metrics_replica_add(struct metrics_counters *c, const char *url);

#endif
