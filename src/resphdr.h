/*
 * resphdr: the upstream's response header block, line by line as libcurl
 * hands it over, turned into the CGI header block sent to the web server.
 * Pure: no libcurl, no libfcgi.
 *
 * In: a status line first (and after each interim 1xx block only); a code
 * in 100..599, never 101 (we ask for no upgrade).
 * Out: "Status: CODE REASON" first, always (a CGI Location without Status
 * is an internal redirect in Apache and lighttpd); then the upstream's
 * headers less the hop-by-hop ones (Connection and the names every
 * Connection header lists, Keep-Alive, TE, Trailer, Transfer-Encoding,
 * Upgrade, Proxy-*) and those that would make the web server act (Status,
 * X-Sendfile, X-Sendfile2, X-Accel-*, X-LIGHTTPD-*, and Location unless the
 * status is 3xx or 201); one strict Content-Length (digits only) unless
 * chunked; Location, Content-Location, Refresh, Link and Set-Cookie
 * rewritten (rewrite.h); then X-Accel-Buffering: no when the answer must
 * stream (no Content-Length, or text/event-stream).
 */
#ifndef THANOS_FCGI_RESPHDR_H
#define THANOS_FCGI_RESPHDR_H

#include <stddef.h>

#include "buf.h"
#include "rewrite.h"
#include "status.h"

struct resphdr {
	int code;          /* final status, 0 until its status line came */
	int complete;      /* 1 once the final header block has ended */
	const char *why;   /* after TF_UPSTREAM_HEADER: the cause, static */
	struct buf reason; /* the upstream's reason phrase */
	struct buf lines;  /* header lines of the final response, "\n"-ended */
	struct buf conn;   /* scratch for resphdr_emit: the Connection value, */
	struct buf val;    /* one header value */
	struct buf tmp;    /* and its rewrite */
};

/* max bounds the header block; the reason and scratch get their own. */
void resphdr_init(struct resphdr *h, size_t max);
/* Ready for the next response; memory kept. */
void resphdr_reset(struct resphdr *h);
void resphdr_free(struct resphdr *h);

/*
 * Feeds one line as libcurl delivers it (with its CRLF).  Returns TF_OK, or
 * TF_UPSTREAM_HEADER (h->why says why) for a malformed status line, a 101,
 * a control character in a header, an obsolete folded line, or a block
 * past max.  Interim (1xx) responses are skipped.
 */
enum tf_status resphdr_feed(struct resphdr *h, const char *line, size_t n);

/*
 * Writes the CGI header block (ending in the blank line) to out (reset
 * first).  Returns TF_OK, or TF_UPSTREAM_HEADER (h->why set) for framing
 * we will not pass (two Content-Lengths, one that is not a number) or a
 * rewritten value that does not fit.  Changes only h's scratch buffers and
 * h->why.
 */
enum tf_status resphdr_emit(struct resphdr *h,
			    const struct rewrite_ctx *rw, struct buf *out);

/* 1 when the header name (n bytes) never reaches the web server. */
int resphdr_is_dropped(const char *name, size_t n, const char *conn);

#endif
