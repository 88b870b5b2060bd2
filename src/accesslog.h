/*
 * accesslog: the per-request lines, from the outcome relay.c fills at the
 * end of each request (outcome.h):
 *
 *   --log.access:     level=info msg=access remote_addr= remote_user=
 *                     method= path= code= bytes= duration= upstream=
 *                     (cause= when an upstream attempt failed)
 *   --log.level debug: level=debug msg=request method= path= e= t=
 *                     upstream= code= bytes= bytes_in= attempts=
 *                     first_byte= upstream_duration= duration= (cause=)
 *
 * path is the request as the client sent it (REQUEST_URI), e and t the
 * public prefix and the sub-path derived from it, upstream the last
 * attempt's URL ("" when none was made), code 0 when the client left
 * before an answer, bytes the response body bytes passed on, durations in
 * milliseconds ("12ms", "-" when there was no attempt or no first byte).
 */
#ifndef THANOS_FCGI_ACCESSLOG_H
#define THANOS_FCGI_ACCESSLOG_H

#include <stddef.h>

#include "logline.h"
#include "outcome.h"

/* Turns the access line on or off (off by default). */
void log_set_access(int on);

/* Writes the access line and the debug line that are on for o. */
void log_request(const struct outcome *o);

/* Room for the numbers of one line's fields (accesslog_fields). */
struct accesslog_nums {
	char code[24], bytes[24], bytes_in[24], attempts[24];
	char first_byte[24], upstream_ms[24], total_ms[24];
};

#define ACCESSLOG_FIELDS_MAX 14

/*
 * Fills fv (ACCESSLOG_FIELDS_MAX entries) with the fields of o's access
 * line (debug 0) or debug line (debug 1), their numbers written into nums;
 * the values point into o and nums.  Returns how many.
 */
size_t accesslog_fields(const struct outcome *o, int debug, struct log_field *fv,
			struct accesslog_nums *nums);

#endif
