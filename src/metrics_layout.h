/*
 * metrics_layout: the adapter's counters as they lie in memory, the same
 * in a process's own memory and in the --metrics.file every process of a
 * pool maps (metrics_file.c).  Every field is an _Atomic 64-bit integer,
 * added to with relaxed fetch_add: the processes of a pool add into the
 * same counters, so a scrape reads totals and sums nothing.
 *
 * The layout is fixed: changing any of it changes METRICS_LAYOUT_VERSION,
 * and a file of another version is refused at start (metrics_file_open).
 */
#ifndef THANOS_FCGI_METRICS_LAYOUT_H
#define THANOS_FCGI_METRICS_LAYOUT_H

#include <stdint.h>

#include "outcome.h"

#define METRICS_MAGIC "TFCGIMET"
#define METRICS_LAYOUT_VERSION 1u

/* HTTP codes 100..599 each have a row; row 0 is "0": no code (the client
 * left before the answer, or a code outside 100..599). */
#define METRICS_CODES 600
/* GET HEAD POST PUT DELETE PATCH OPTIONS, then "other" (metrics_method). */
#define METRICS_METHODS 8
/* Upper bounds of the latency buckets, in ms (then +Inf). */
#define METRICS_BUCKETS 15
#define METRICS_BUCKET_MS \
	{5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000, 300000}
/* Processes that keep their own in-flight count (pid slots). */
#define METRICS_SLOTS 512
/* Replica URLs whose down marks are shared; a URL is cut to fit. */
#define METRICS_REPLICAS 32
#define METRICS_URL_MAX 248

/* A histogram: per-bucket counts (not cumulative; the last is +Inf only),
 * and the sum in ms.  The count is the buckets' total. */
struct metrics_hist {
	_Atomic uint64_t bucket[METRICS_BUCKETS + 1];
	_Atomic uint64_t sum_ms;
};

/* One process's in-flight requests: pid 0 is a free slot; a slot whose
 * process is gone (kill(pid, 0): ESRCH) is skipped and taken again. */
struct metrics_slot {
	_Atomic int64_t pid;
	_Atomic int64_t in_flight;
};

/* A replica's down mark as the last process that marked it set it:
 * CLOCK_MONOTONIC ms (system-wide), 0 never marked. */
struct metrics_replica {
	char url[METRICS_URL_MAX]; /* NUL-terminated; "" a free row */
	_Atomic int64_t down_until_ms;
};

struct metrics_counters {
	_Atomic uint64_t requests[METRICS_CODES][METRICS_METHODS];
	_Atomic uint64_t errors[CAUSE_MAX]; /* [CAUSE_NONE] unused */
	_Atomic uint64_t retries;
	_Atomic uint64_t bytes_in, bytes_out;
	struct metrics_hist upstream, first_byte;
	_Atomic int64_t in_flight_overflow; /* of processes without a slot */
	struct metrics_slot slot[METRICS_SLOTS];
	/* rows written under the file's lock at start (metrics_file_open) */
	struct metrics_replica replica[METRICS_REPLICAS];
};

/* The file: this header, then the counters at offset 64. */
struct metrics_header {
	char magic[8];       /* METRICS_MAGIC, no NUL */
	uint32_t version;    /* METRICS_LAYOUT_VERSION */
	uint32_t header_size; /* sizeof(struct metrics_header) */
	uint64_t size;       /* the whole file */
	char pad[40];
};

struct metrics_shm {
	struct metrics_header h;
	struct metrics_counters c;
};

_Static_assert(sizeof(struct metrics_header) == 64, "metrics header is 64 bytes");

#endif
