/*
 * check_analyze: what `thanos-fcgi check` and the start-up check know about one
 * upstream (what its probes saw), and the findings drawn from it.
 *
 * This header holds the pure part: check_analyze() turns observations
 * into findings, and the helpers the probe uses to read an answer (which
 * program it is, where its route prefix is, what prefix its UI page
 * carries).  No I/O, no global state; the probing is check_probe.c, the
 * output check_out.c, the subcommand and the start-up thread check_cmd.c.
 */
#ifndef THANOS_FCGI_CHECK_ANALYZE_H
#define THANOS_FCGI_CHECK_ANALYZE_H

#include <stddef.h>

#include "buf.h"

enum check_kind { CHECK_KIND_UNKNOWN = 0, CHECK_KIND_THANOS, CHECK_KIND_PROMETHEUS };

/* OK and NOTE leave the exit status 0; WARN and FAIL make it 1. */
enum check_level { CHECK_OK = 0, CHECK_NOTE, CHECK_WARN, CHECK_FAIL };

/* How many redirects of the home page the probe follows. */
#define CHECK_HOPS 4

/* The value the probe sends in X-Forwarded-Prefix to see whether the
 * upstream serves it (a Thanos run with --web.prefix-header). */
#define CHECK_PROBE_PREFIX "/thanos-fcgi-check-probe"

/* The adapter's settings as the check reads them. */
struct check_in {
	const char *url;           /* the upstream as configured, for messages */
	const char *r;             /* route prefix R, normalised */
	const char *e;             /* public prefix E, normalised */
	const char *prefix_header; /* "" : none */
	const char *root_paths;    /* comma-separated */
	const char *tenant_header; /* "" : off */
	const char *const *origins; /* the upstreams' origins (url_origin) */
	size_t n_origins;
};

/* What the probes of one upstream saw.  Codes are HTTP statuses, 0 when
 * that probe was not made; strings are NULL when absent. */
struct check_obs {
	int curl_rc;            /* 0: the upstream answered */
	int tls;                /* 1: curl_rc is a TLS failure */
	const char *error;      /* libcurl's cause when curl_rc != 0 */
	enum check_kind kind;
	const char *route_up;   /* the upstream's own route prefix, NULL: unknown */
	int ready_code;         /* /-/ready where the adapter would send it */
	int ready_other;        /* ... at the other place (root or under R) */
	int metrics_code, metrics_other;
	int home_code;          /* first answer to R + "/" */
	size_t n_hops;
	const char *hop[CHECK_HOPS]; /* Location values of the home chain */
	int page_code;          /* last answer of the chain */
	const char *page;       /* its body when HTML, else NULL */
	const char *probe_page; /* the page asked with CHECK_PROBE_PREFIX */
};

struct check_finding {
	enum check_level level;
	const char *id;   /* stable name for scripts: "route_prefix", ... */
	const char *flag; /* the flag to change, NULL: none */
	const char *side; /* whose flag: "thanos-fcgi", "Thanos", ... */
	char what[384];   /* what was found */
	char fix[384];    /* what to change; "" for OK and NOTE */
};

/* The prefixes an HTML page of the UI carries; "" when absent.  have_* is
 * 1 when the marker was found (the value may be ""). */
struct check_page {
	int have_global, have_path, have_base, have_asset;
	char global[256]; /* GLOBAL_PATH_PREFIX (Thanos), JS-unescaped */
	char path[256];   /* var PATH_PREFIX (Prometheus's classic UI) */
	char base[256];   /* <base href> */
	char asset[256];  /* first src= or href= that is an absolute path */
};

/*
 * Fills up to max findings for one upstream from what its probes saw;
 * returns how many.  Findings with level OK say what is right.  Pure.
 */
size_t check_analyze(const struct check_in *in, const struct check_obs *o,
		     struct check_finding *f, size_t max);

/* The program behind a /metrics body: thanos_build_info, prometheus_build_info,
 * else unknown (NULL too). */
enum check_kind check_kind_of(const char *metrics);

/*
 * The route prefix an upstream's root redirect names: Thanos sends / to
 * R/graph, Prometheus (R not empty) to R.  Sets out, normalised; returns 0,
 * or -1 when loc names none (not an absolute path, or a Thanos Location
 * not ending in /graph).
 */
int check_route_of(enum check_kind k, const char *loc, struct buf *out);

/* Reads the prefix markers of an HTML page into p (zeroed first). */
void check_page_read(const char *html, struct check_page *p);

/*
 * Where the adapter sends a browser that follows the upstream's Location
 * loc: sets pub to the public path (query cut off) the adapter's rewrite
 * makes of it.  Returns 1 when that path is under E, 0 when it is outside
 * (another host, or a path not under E), -1 when loc is relative (pub
 * then empty: it stays where the page is).
 */
int check_public_path(const struct check_in *in, const char *loc, struct buf *pub);

/* 1 when path starts with prefix p at a segment boundary ("" matches all). */
int check_under(const char *path, const char *p);

/* Short name of a kind ("Thanos", "Prometheus", "the upstream"). */
const char *check_kind_name(enum check_kind k);

/* "ok", "note", "warn", "fail". */
const char *check_level_name(enum check_level l);

#endif
