/*
 * check_out: a check report written for a person (one line per finding:
 * what was found, then what to change naming whose flag), as JSON for
 * scripts, or as log lines (the start-up check: WARN for what is wrong).
 */
#ifndef THANOS_FCGI_CHECK_OUT_H
#define THANOS_FCGI_CHECK_OUT_H

#include <stdio.h>

#include "check_probe.h"

/* The line about the prefixes the check assumed into out (n bytes). */
void check_assumed_line(const struct check_report *rep, char *out, size_t n);

void check_print_text(FILE *f, const struct check_report *rep);

/* One JSON object and a newline. */
void check_print_json(FILE *f, const struct check_report *rep);

/* Through log_msg: WARN and FAIL as LOG_WARN, the others as LOG_INFO, then
 * one LOG_INFO line with the count. */
void check_log(const struct check_report *rep);

/* s as a JSON string (quotes included) on f. */
void check_json_string(FILE *f, const char *s);

#endif
