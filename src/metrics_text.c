/* metrics_text: label sets and the Prometheus text; see metrics_text.h. */
#include "metrics_text.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <string.h>

static const char *const methods[METRICS_METHODS] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other",
};

static const int64_t bucket_ms[METRICS_BUCKETS] = METRICS_BUCKET_MS;

unsigned metrics_method(const char *m)
{
	for (unsigned i = 0; m != NULL && i < METRICS_METHODS - 1; i++)
		if (strcmp(m, methods[i]) == 0)
			return i;
	return METRICS_METHODS - 1;
}

const char *metrics_method_name(unsigned i)
{
	return methods[i < METRICS_METHODS ? i : METRICS_METHODS - 1];
}

unsigned metrics_code(int code)
{
	return code >= 100 && code < METRICS_CODES ? (unsigned)code : 0;
}

unsigned metrics_bucket(int64_t ms)
{
	unsigned i = 0;

	while (i < METRICS_BUCKETS && ms > bucket_ms[i])
		i++;
	return i;
}

static uint64_t load(const _Atomic uint64_t *p)
{
	return atomic_load_explicit(p, memory_order_relaxed);
}

/* "# HELP name help\n# TYPE name type\n" */
static int head(struct buf *b, const char *name, const char *type, const char *help)
{
	return buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value, escaped as the text format wants (\\, \", \n). */
static int label_value(struct buf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		int rc = *v == '\\' ? buf_append(b, "\\\\", 2)
			 : *v == '"' ? buf_append(b, "\\\"", 2)
			 : *v == '\n' ? buf_append(b, "\\n", 2)
			 : buf_appendc(b, *v);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* A duration in ms as seconds: "0.005", "12.340". */
static int seconds(struct buf *b, uint64_t ms)
{
	return buf_printf(b, "%" PRIu64 ".%03u", ms / 1000, (unsigned)(ms % 1000));
}

/* A bucket's bound as Go's client writes it: "0.005", "0.01", "1", "300". */
static int bound(struct buf *b, uint64_t ms)
{
	char frac[4];
	int n = 3;

	if (ms % 1000 == 0)
		return buf_printf(b, "%" PRIu64, ms / 1000);
	frac[0] = (char)('0' + ms % 1000 / 100);
	frac[1] = (char)('0' + ms % 100 / 10);
	frac[2] = (char)('0' + ms % 10);
	while (frac[n - 1] == '0')
		n--;
	frac[n] = '\0';
	return buf_printf(b, "%" PRIu64 ".%s", ms / 1000, frac);
}

static int requests(struct buf *b, const struct metrics_counters *c)
{
	const char *n = "thanos_fcgi_requests_total";
	int rc = head(b, n, "counter", "Requests answered, by HTTP status code (0: the "
				     "client left first) and method.");

	for (unsigned code = 0; rc == 0 && code < METRICS_CODES; code++)
		for (unsigned m = 0; rc == 0 && m < METRICS_METHODS; m++) {
			uint64_t v = load(&c->requests[code][m]);
			if (v != 0)
				rc = buf_printf(b, "%s{code=\"%u\",method=\"%s\"} %" PRIu64 "\n", n,
						code, methods[m], v);
		}
	return rc;
}

static int errors(struct buf *b, const struct metrics_counters *c)
{
	const char *n = "thanos_fcgi_upstream_errors_total";
	int rc = head(b, n, "counter", "Failed upstream attempts (each retry's too), "
				     "by cause.");

	for (int k = CAUSE_NONE + 1; rc == 0 && k < CAUSE_MAX; k++)
		rc = buf_printf(b, "%s{cause=\"%s\"} %" PRIu64 "\n", n,
				outcome_cause_name((enum outcome_cause)k), load(&c->errors[k]));
	return rc;
}

/* One counter without labels. */
static int counter(struct buf *b, const char *name, const char *help, uint64_t v)
{
	if (head(b, name, "counter", help) != 0)
		return -1;
	return buf_printf(b, "%s %" PRIu64 "\n", name, v);
}

static int histogram(struct buf *b, const char *name, const char *help,
		     const struct metrics_hist *h)
{
	uint64_t total = 0;
	int rc = head(b, name, "histogram", help);

	for (unsigned i = 0; rc == 0 && i <= METRICS_BUCKETS; i++) {
		total += load(&h->bucket[i]);
		rc = buf_printf(b, "%s_bucket{le=\"", name);
		if (rc == 0)
			rc = i < METRICS_BUCKETS ? bound(b, (uint64_t)bucket_ms[i])
						 : buf_appends(b, "+Inf");
		if (rc == 0)
			rc = buf_printf(b, "\"} %" PRIu64 "\n", total);
	}
	if (rc == 0)
		rc = buf_printf(b, "%s_sum ", name);
	if (rc == 0)
		rc = seconds(b, load(&h->sum_ms));
	if (rc == 0)
		rc = buf_printf(b, "\n%s_count %" PRIu64 "\n", name, total);
	return rc;
}

static int gauges(struct buf *b, const struct metrics_view *v)
{
	const char *up = "thanos_fcgi_upstream_up";
	int rc = head(b, "thanos_fcgi_requests_in_flight", "gauge",
		      "Requests being answered now, over the live processes.");

	if (rc == 0)
		rc = buf_printf(b, "thanos_fcgi_requests_in_flight %" PRId64 "\n",
				v->in_flight < 0 ? 0 : v->in_flight);
	if (rc == 0)
		rc = head(b, "thanos_fcgi_processes", "gauge",
			  "Live adapter processes counting into these metrics.");
	if (rc == 0)
		rc = buf_printf(b, "thanos_fcgi_processes %u\n", v->processes);
	if (rc == 0 && v->n_replicas > 0)
		rc = head(b, up, "gauge", "1 when the replica is up, 0 while it is marked down.");
	for (size_t i = 0; rc == 0 && i < v->n_replicas; i++) {
		rc = buf_printf(b, "%s{upstream=\"", up);
		if (rc == 0)
			rc = label_value(b, v->replicas[i].url);
		if (rc == 0)
			rc = buf_printf(b, "\"} %d\n", v->replicas[i].up ? 1 : 0);
	}
	return rc;
}

static int build_info(struct buf *b, const char *version)
{
	if (head(b, "thanos_fcgi_build_info", "gauge", "Always 1; the version as a label.") != 0 ||
	    buf_appends(b, "thanos_fcgi_build_info{version=\"") != 0 ||
	    label_value(b, version != NULL ? version : "") != 0)
		return -1;
	return buf_appends(b, "\"} 1\n");
}

int metrics_text(const struct metrics_view *v, struct buf *out)
{
	const struct metrics_counters *c = v->c;

	if (requests(out, c) != 0 || errors(out, c) != 0 ||
	    counter(out, "thanos_fcgi_upstream_retries_total",
		    "Upstream attempts after a request's first.", load(&c->retries)) != 0 ||
	    counter(out, "thanos_fcgi_request_bytes_total",
		    "Request body bytes sent upstream.", load(&c->bytes_in)) != 0 ||
	    counter(out, "thanos_fcgi_response_bytes_total",
		    "Response body bytes passed to the client.", load(&c->bytes_out)) != 0 ||
	    histogram(out, "thanos_fcgi_upstream_duration_seconds",
		      "Duration of a request's last upstream attempt.", &c->upstream) != 0 ||
	    histogram(out, "thanos_fcgi_upstream_first_byte_seconds",
		      "Time from a request's last upstream attempt to its first byte.",
		      &c->first_byte) != 0 ||
	    gauges(out, v) != 0)
		return -1;
	return build_info(out, v->version);
}
