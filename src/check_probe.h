/*
 * check_probe: the libcurl side of the check.  Asks each upstream (every
 * replica) what check_analyze() needs (its /metrics, its root, /-/ready and
 * /metrics where the adapter would send them and at the other place, the
 * home page under R and its redirects, the page asked with a probe
 * prefix header) and collects the findings into a report.
 *
 * Every probe is a GET with the adapter's TLS, proxy and connect settings,
 * no redirect followed by libcurl, a body kept up to 256 KiB, and a time
 * bound of CHECK_PROBE_TIMEOUT_MS (or the configured total or first-byte
 * timeout when smaller).  A stop flag aborts a probe within a second.
 */
#ifndef THANOS_FCGI_CHECK_PROBE_H
#define THANOS_FCGI_CHECK_PROBE_H

#include <stddef.h>

#include "check_analyze.h"
#include "conf.h"

#define CHECK_PROBE_TIMEOUT_MS 30000
#define CHECK_MAX_FINDINGS 12

struct check_upstream {
	char url[512];
	enum check_kind kind;
	int route_known;
	char route_up[256]; /* the upstream's own route prefix when known */
	size_t n;
	struct check_finding f[CHECK_MAX_FINDINGS];
};

struct check_report {
	char e[256];            /* the public prefix assumed */
	char r[256];            /* the route prefix */
	int e_assumed;          /* 1: no --web.external-prefix, E = R */
	int r_assumed;          /* 1: neither prefix set: both follow each request */
	int e_from_url;         /* 1: E is the path of check --url (set by the caller) */
	size_t n;
	struct check_upstream *u; /* n of them; check_report_free() */
	int have_web;             /* check --url ran: its findings in web */
	struct check_upstream web;
	char web_passed[2048];    /* the adapter's check answer (diag.h), "" none */
};

/*
 * Probes every upstream of c into rep (zeroed first).  stop, when not
 * NULL and set, aborts the probes left (they report "aborted").  Returns
 * 0, or -1 with err when the settings cannot be read (bad --upstream).
 * curl_global_init must have been called.
 */
int check_run(const struct conf *c, struct check_report *rep, const _Atomic int *stop,
	      char *err, size_t errlen);

/* 1 when a finding of rep is a WARN or a FAIL. */
int check_report_bad(const struct check_report *rep);

void check_report_free(struct check_report *rep);

#endif
