/*
 * metrics_text: the label sets of the adapter's metrics and their
 * exposition in the Prometheus text format (version 0.0.4).  Pure: reads
 * the counters it is given (relaxed atomic loads), no I/O, no clock.
 */
#ifndef THANOS_FCGI_METRICS_TEXT_H
#define THANOS_FCGI_METRICS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "metrics_layout.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* A replica as the scrape reports it. */
struct metrics_replica_view {
	const char *url;
	int up; /* 1 up, 0 marked down */
};

/* What one scrape shows: the counters and the gauges read beside them. */
struct metrics_view {
	const struct metrics_counters *c;
	int64_t in_flight;   /* summed over the live processes */
	unsigned processes;  /* live processes that hold a slot */
	const struct metrics_replica_view *replicas;
	size_t n_replicas;
	const char *version; /* thanos_fcgi_build_info's version label */
};

/* The row of a method: its index in GET, HEAD, POST, PUT, DELETE, PATCH,
 * OPTIONS (exact, upper case), METRICS_METHODS - 1 ("other") for any
 * other or NULL. */
unsigned metrics_method(const char *m);

/* The label of row i ("other" past the list). */
const char *metrics_method_name(unsigned i);

/* The row of an HTTP code: the code for 100..599, else 0. */
unsigned metrics_code(int code);

/* The bucket of a duration: the first whose bound is >= ms, METRICS_BUCKETS
 * (+Inf) past the last; a negative ms counts as 0. */
unsigned metrics_bucket(int64_t ms);

/*
 * Appends the exposition of v to out (not reset): HELP and TYPE lines,
 * requests by code and method (only the series that are not 0, code then
 * method order), errors by cause (every cause), retries, bytes, both
 * histograms (cumulative buckets, sum in seconds, count), in flight,
 * processes, a gauge per replica and build info.  Returns 0, or -1 when
 * out's max is reached (out then holds a cut text: not to be sent).
 */
int metrics_text(const struct metrics_view *v, struct buf *out);

#endif
