/* gate: the read-only rules and the denied paths; see gate.h. */
#include "gate.h"

#include <fnmatch.h>
#include <string.h>

#include "list.h"

/* Read endpoints that take a form body by POST, as the route lists
 * register them: Prometheus web/api/v1/api.go (query, query_range,
 * query_exemplars, format_query, parse_query, labels, series, the 3.x
 * search/ endpoints) and Thanos pkg/api/query/v1.go (the same reads plus
 * query_explain, query_range_explain).  Every other POST, PUT, PATCH,
 * DELETE is refused: remote write, OTLP, Thanos Receive, the bucket UI's
 * blocks/mark, Rule's /-/reload, Alertmanager's silences and alerts, and
 * remote read (/api/v1/read: a bulk export of raw samples that no UI
 * uses; a mount that serves it is one without --web.read-only). */
static const char *const post_reads[] = {
	"/api/v1/query",
	"/api/v1/query_range",
	"/api/v1/query_exemplars",
	"/api/v1/series",
	"/api/v1/labels",
	"/api/v1/format_query",
	"/api/v1/parse_query",
	"/api/v1/query_explain",
	"/api/v1/query_range_explain",
	"/api/v1/search/metric_names",
	"/api/v1/search/label_names",
	"/api/v1/search/label_values",
};

/* Refused whatever the method: the admin API and the lifecycle. */
static const char *const shut[] = {
	"/api/v1/admin/*", "/-/quit", "/-/reload",
};

int gate_read_only_allows(const char *method, const char *t)
{
	for (size_t i = 0; i < sizeof(shut) / sizeof(shut[0]); i++)
		if (fnmatch(shut[i], t, 0) == 0)
			return 0;
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
	    strcmp(method, "OPTIONS") == 0)
		return 1;
	if (strcmp(method, "POST") != 0)
		return 0;
	for (size_t i = 0; i < sizeof(post_reads) / sizeof(post_reads[0]); i++)
		if (strcmp(post_reads[i], t) == 0)
			return 1;
	return 0;
}

int gate_denied(const char *patterns, const char *t)
{
	struct list_iter it;
	char pat[1024];

	if (patterns == NULL || *patterns == '\0')
		return 0;
	it = list_start(patterns);
	while (list_next(&it)) {
		if (it.n == 0)
			continue;
		if (it.n >= sizeof(pat))
			return 1; /* too long to test: shut, never open */
		memcpy(pat, it.p, it.n);
		pat[it.n] = '\0';
		if (fnmatch(pat, t, 0) == 0)
			return 1;
	}
	return 0;
}
