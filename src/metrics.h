/*
 * metrics: the adapter's own metrics, kept by this process: where the
 * counters are (the --metrics.file every process of a pool maps, else the
 * process's own memory), what one request adds (from its outcome), the
 * in-flight gauge and the replicas' down marks, and the answer at
 * --web.metrics-path (the text itself: metrics_text.c).
 *
 * Off (every call a no-op) unless --web.metrics-path or --metrics.file is
 * set.  metrics_init runs once before the workers start; the rest may be
 * called from any thread.
 */
#ifndef THANOS_FCGI_METRICS_H
#define THANOS_FCGI_METRICS_H

#include <stdint.h>

#include "buf.h"
#include "conf.h"
#include "outcome.h"
#include "upstream.h"

/* Largest answer of the metrics path (every code and method series). */
#define METRICS_PAGE_MAX (4u << 20)

/*
 * Sets the metrics up as c says; pool is the process's replicas, which the
 * scrape reports (it must outlive the metrics).  Maps --metrics.file
 * (metrics_file_open) and takes this process's in-flight slot.  Returns 0,
 * or -1 with one line in err (the metrics stay off).
 */
int metrics_init(const struct conf *c, const struct upstream_pool *pool, char *err,
		 size_t errlen);

/* Gives the slot back and unmaps the file; the metrics are off after. */
void metrics_close(void);

/* A request starts: one more in flight. */
void metrics_start(void);

/* A request has been answered: counts it from o, one fewer in flight. */
void metrics_record(const struct outcome *o);

/* A replica is marked down until until_ms (clock.h): every process of the
 * pool sees the mark, when the replica has a row in the file. */
void metrics_mark_down(const char *url, int64_t until_ms);

/* 1 when the sub-path t is c's --web.metrics-path (metrics on). */
int metrics_is_path(const struct conf *c, const char *t);

/*
 * The whole answer (CGI header block and, but for HEAD, the text) to a
 * request for the metrics path into out (reset first; give it
 * METRICS_PAGE_MAX): 200 for GET and HEAD, 405 with Allow for the rest.
 * The request leaves the in-flight count, and is not counted.  0, or -1
 * when out is too small (out then holds nothing).
 */
int metrics_page(const char *method, struct buf *out);

#endif
