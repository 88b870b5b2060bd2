/*
 * outcome: what came of one request, for whoever keeps account of it
 * (the per-request log lines, the adapter's metrics).  relay.c fills one
 * in its answer step; the readers only read it, and only during the call.
 */
#ifndef THANOS_FCGI_OUTCOME_H
#define THANOS_FCGI_OUTCOME_H

#include <stdint.h>

#include <curl/curl.h>

#include "status.h"

/* Why an upstream attempt failed, as the metrics count it. */
enum outcome_cause {
	CAUSE_NONE = 0,   /* no upstream failure */
	CAUSE_REFUSED,    /* refused, unresolvable, unreachable */
	CAUSE_TIMEOUT,    /* connect, first-byte or idle timeout */
	CAUSE_TLS,        /* handshake or certificate */
	CAUSE_RESET,      /* reset, nothing answered, an answer cut short */
	CAUSE_BAD_HEADER, /* malformed or oversized response header */
	CAUSE_OTHER,
	CAUSE_MAX
};

struct outcome {
	const char *method;
	const char *name;         /* REQUEST_URI, else SCRIPT_NAME, else "-" */
	const char *e;            /* public prefix E ("" before it is derived) */
	const char *t;            /* upstream sub-path T ("" likewise) */
	const char *upstream_url; /* the last attempt's URL, "" when none */
	const char *remote_addr;  /* "-" when the server gave none */
	const char *remote_user;  /* "-" when no login */
	int code;                 /* HTTP status the client got; 0 when it left
	                           * (TF_CLIENT_GONE), whatever it was given */
	enum tf_status status;    /* TF_OK or what went wrong */
	enum outcome_cause cause; /* of the last attempt, CAUSE_NONE if it went */
	unsigned failed[CAUSE_MAX]; /* failed attempts by cause (retries too) */
	unsigned attempts;        /* upstream attempts (retries: attempts - 1) */
	uint64_t bytes_in;        /* request body bytes read from the client */
	uint64_t bytes_out;       /* response body bytes passed to the client */
	int64_t start_ms;         /* the request's start, clock_now_ms() */
	int64_t first_byte_ms;    /* the last attempt's first byte after its
	                           * start, -1 when none came */
	int64_t upstream_ms;      /* the last attempt's duration, -1: none */
	int64_t total_ms;         /* the whole request */
};

/* The cause of a failed attempt: libcurl's code, whether the transfer was
 * cut by the adapter's own timeouts, or by a bad response header. */
enum outcome_cause outcome_cause(CURLcode rc, int timed_out, int bad_header);

/* "refused", "timeout", ... as the metrics label it; "none" for CAUSE_NONE. */
const char *outcome_cause_name(enum outcome_cause c);

#endif
