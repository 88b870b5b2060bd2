/*
 * fcgirec: a check of the start of a FastCGI connection's record stream
 * (the BEGIN_REQUEST, the PARAMS up to their empty record, and any
 * management record before them) before libfcgi parses it.  Pure: bytes
 * in, a verdict out.
 *
 * Why: libfcgi allocates nameLength + valueLength + 2 as an int for each
 * name-value pair before it reads the pair; lengths whose sum passes
 * INT_MAX make that malloc fail and libfcgi abort the whole process (one
 * record from anyone who can reach the socket), and a management record
 * of any type but FCGI_GET_VALUES loses memory.  So every pair length must
 * fit in what a request may send (max), every pair must end where its
 * record or the PARAMS stream ends, every record is of the one request of
 * the connection's BEGIN_REQUEST (libfcgi skips the others, and would read
 * other pairs than the ones checked), and the only management record let
 * through is a sound FCGI_GET_VALUES.
 */
#ifndef THANOS_FCGI_FCGIREC_H
#define THANOS_FCGI_FCGIREC_H

#include <stddef.h>

enum fcgirec_verdict {
	FCGIREC_OK,   /* the PARAMS are complete and sound: hand over */
	FCGIREC_MORE, /* undecided: *need bytes are wanted */
	FCGIREC_BAD,  /* refuse the connection; *why says why (static) */
};

/*
 * Checks p[0..n), the connection's bytes from the start of a request.
 * max bounds the PARAMS content (all pairs together) and so each length.
 * Returns FCGIREC_OK, FCGIREC_MORE with *need > n, or FCGIREC_BAD with
 * *why.  A verdict for n bytes never changes with more bytes after them.
 */
enum fcgirec_verdict fcgirec_check(const unsigned char *p, size_t n, size_t max,
				   size_t *need, const char **why);

#endif
