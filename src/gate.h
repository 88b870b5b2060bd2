/*
 * gate: which requests may go upstream at all, by method and the
 * upstream sub-path T (after the prefix, normalised by prefix.c: no dot
 * segments).  --web.read-only lets through what reading needs;
 * --web.deny-path shuts what an operator names.  Pure.
 */
#ifndef THANOS_FCGI_GATE_H
#define THANOS_FCGI_GATE_H

/*
 * 1 when a read-only mount lets method to t through: GET, HEAD and
 * OPTIONS anywhere but the admin API and the lifecycle endpoints, POST
 * only to the read endpoints of Prometheus and Thanos that take form
 * bodies (/api/v1/query, query_range, series, labels, ...).  Else 0.
 */
int gate_read_only_allows(const char *method, const char *t);

/* 1 when t matches one of patterns (comma-separated shell globs, fnmatch
 * with '*' crossing '/'), else 0.  NULL or "": none. */
int gate_denied(const char *patterns, const char *t);

#endif
