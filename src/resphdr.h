/*
 * resphdr: the upstream's response header block, line by line as libcurl
 * hands it over, turned into the CGI header block sent to the web server.
 * Pure: no libcurl, no libfcgi.
 *
 * Out: "Status: CODE REASON" first, always (a CGI Location without Status
 * is an internal redirect in Apache and lighttpd); then the upstream's
 * headers less the hop-by-hop ones (Connection and the names it lists,
 * Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade, Proxy-*) and those
 * that would make the web server act (Status, X-Sendfile, X-Sendfile2,
 * X-Accel-*, X-LIGHTTPD-send-file); Location, Content-Location, Refresh,
 * Link and Set-Cookie rewritten (rewrite.h); then X-Accel-Buffering: no.
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
 * TF_UPSTREAM_HEADER for a malformed status line, a control character in a
 * header, an obsolete folded line, or a block past max.  Interim (1xx)
 * responses are skipped.
 */
enum tf_status resphdr_feed(struct resphdr *h, const char *line, size_t n);

/*
 * Writes the CGI header block (ending in the blank line) to out (reset
 * first).  Returns TF_OK, or TF_UPSTREAM_HEADER when a rewritten value
 * does not fit.  Changes only h's scratch buffers.
 */
enum tf_status resphdr_emit(struct resphdr *h,
			    const struct rewrite_ctx *rw, struct buf *out);

/* 1 when the header name (n bytes) never reaches the web server. */
int resphdr_is_dropped(const char *name, size_t n, const char *conn);

#endif
