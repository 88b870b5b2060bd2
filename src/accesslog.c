/* accesslog: the access and debug lines of a request; see accesslog.h. */
#include "accesslog.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>

#include "log.h"

static _Atomic int access_on;

void log_set_access(int on)
{
	access_on = on != 0;
}

/* "12ms" into out, "-" for a negative duration (none measured). */
static const char *ms(int64_t v, char out[24])
{
	if (v < 0 || snprintf(out, 24, "%" PRId64 "ms", v) < 0)
		return "-";
	return out;
}

static const char *num(uint64_t v, char out[24])
{
	if (snprintf(out, 24, "%" PRIu64, v) < 0)
		return "0";
	return out;
}

static void add(struct log_field *fv, size_t *n, const char *key, const char *val, int isnum)
{
	fv[*n].key = key;
	fv[*n].val = val;
	fv[*n].num = isnum;
	(*n)++;
}

size_t accesslog_fields(const struct outcome *o, int debug, struct log_field *fv,
			struct accesslog_nums *nums)
{
	size_t n = 0;

	if (snprintf(nums->code, sizeof(nums->code), "%d", o->code) < 0)
		nums->code[0] = '\0';
	if (!debug) {
		add(fv, &n, "remote_addr", o->remote_addr, 0);
		add(fv, &n, "remote_user", o->remote_user, 0);
	}
	add(fv, &n, "method", o->method, 0);
	add(fv, &n, "path", o->name, 0);
	if (debug) {
		add(fv, &n, "e", o->e, 0);
		add(fv, &n, "t", o->t, 0);
		add(fv, &n, "upstream", o->upstream_url, 0);
	}
	add(fv, &n, "code", nums->code, 1);
	add(fv, &n, "bytes", num(o->bytes_out, nums->bytes), 1);
	if (debug) {
		add(fv, &n, "bytes_in", num(o->bytes_in, nums->bytes_in), 1);
		add(fv, &n, "attempts", num(o->attempts, nums->attempts), 1);
		add(fv, &n, "first_byte", ms(o->first_byte_ms, nums->first_byte), 0);
		add(fv, &n, "upstream_duration", ms(o->upstream_ms, nums->upstream_ms), 0);
	}
	add(fv, &n, "duration", ms(o->total_ms, nums->total_ms), 0);
	if (!debug)
		add(fv, &n, "upstream", o->upstream_url, 0);
	if (o->cause != CAUSE_NONE)
		add(fv, &n, "cause", outcome_cause_name(o->cause), 0);
	return n;
}

void log_request(const struct outcome *o)
{
	struct log_field fv[ACCESSLOG_FIELDS_MAX];
	struct accesslog_nums nums;
	size_t n;

	if (access_on) {
		n = accesslog_fields(o, 0, fv, &nums);
		log_write(__FILE__, __LINE__, LOG_INFO, "access", fv, n);
	}
	if (log_enabled(LOG_DEBUG)) {
		n = accesslog_fields(o, 1, fv, &nums);
		log_write(__FILE__, __LINE__, LOG_DEBUG, "request", fv, n);
	}
}
