/*
 * relay_int: what relay.c and xfer.c share, private to them: the worker,
 * the state of one transfer, and the libcurl callbacks (xfer.c) that
 * stream the answer to the client, read the body from it and run the
 * first-byte and idle timeouts.  Nothing here is thread-shared: a worker
 * and its transfer belong to one thread.
 */
#ifndef THANOS_FCGI_RELAY_INT_H
#define THANOS_FCGI_RELAY_INT_H

#include <curl/curl.h>
#include <stdint.h>

#include "buf.h"
#include "conf.h"
#include "outcome.h"
#include "relay.h"
#include "request.h"
#include "resphdr.h"
#include "rewrite.h"
#include "status.h"
#include "upstream.h"

struct relay_worker {
	const struct conf *conf;
	struct upstream_pool *pool;
	struct route_cache *routes; /* NULL: no per-request settings (CGI) */
	struct buf key;             /* route_find()'s scratch */
	CURL *curl;
	struct buf e, t, r, path, url, hdrs, out, msg, origin;
	struct buf tenant, dec; /* the request's tenant; T decoded (gate) */
	struct resphdr rh;
	struct curl_slist *nodes; /* header_list(): reused, never curl's */
	size_t n_nodes;
	/* The target and settings (the process's or a cached route's) the
	 * handle's shared options were set for (NULL: none, or a request's
	 * own route): the next request to both skips the reset. */
	const struct upstream_target *set_for;
	const struct conf *set_conf;
	char errbuf[CURL_ERROR_SIZE];
};

/* State of one request while libcurl runs it. */
struct xfer {
	struct relay_worker *w;
	const struct relay_io *io;
	const struct request *rq;
	const struct conf *c;
	struct rewrite_ctx rw;
	int head;           /* HEAD: no body either way */
	int has_body;       /* a body goes upstream (body_plan) */
	int headers_sent;   /* the CGI header block went to the client */
	int client_gone;
	int timed_out;      /* first-byte or idle timeout hit */
	int body_too_large;
	int body_short;     /* the body ended before CONTENT_LENGTH */
	enum tf_status hdr_err;
	uint64_t body_read, body_max;
	int64_t body_len;   /* CONTENT_LENGTH, -1 when streamed chunked */
	int64_t start_ms, last_ms;
	int got_byte;       /* any byte from the upstream yet */
	int unflushed;      /* bytes wait in the front end's buffer */
	curl_off_t resp_len; /* the answer's body length, -1 unknown */
	curl_off_t resp_got; /* body bytes passed on */
	struct curl_slist *connect_to; /* --upstream.tls.server-name */
	int shared_pool;    /* the process's replicas, not a request's own */
	int64_t req_start_ms;  /* the request's start (outcome) */
	int64_t first_ms;   /* this attempt's first upstream byte, -1 none */
	int64_t end_ms;     /* this attempt's end */
	uint64_t bytes_out; /* response body bytes the client was given */
	unsigned attempts;  /* upstream attempts made */
	enum outcome_cause cause; /* of the last attempt, CAUSE_NONE if it went */
	unsigned failed[CAUSE_MAX]; /* failed attempts by cause */
	int own;            /* the adapter answered itself (metrics page) */
};

/* Sends the CGI header block (once): 0, or -1 (x->hdr_err set, or the
 * client gone). */
int xfer_send_headers(struct xfer *x);

/* CURLOPT_HEADERFUNCTION, _WRITEFUNCTION, _READFUNCTION and
 * _XFERINFOFUNCTION, each with the transfer as its data. */
size_t xfer_on_header(char *p, size_t size, size_t n, void *ud);
size_t xfer_on_body(char *p, size_t size, size_t n, void *ud);
size_t xfer_on_read(char *p, size_t size, size_t n, void *ud);
int xfer_on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut,
		     curl_off_t un);

/* What came of the request (outcome.h), as relay's answer step ends it. */
void xfer_outcome(const struct xfer *x, enum tf_status s, struct outcome *o);

/* own.c: the adapter's own answers, never forwarded.  TF_OK once sent,
 * else the status to answer (the cause in the worker's message). */
enum tf_status own_check(struct xfer *x);
enum tf_status own_metrics(struct xfer *x);

#endif
