/* fcgirec: the FastCGI stream's start, checked; see fcgirec.h. */
#include "fcgirec.h"

#include <stdint.h>

#define HDR 8
#define T_BEGIN 1
#define T_PARAMS 4
#define T_GET_VALUES 9

/* A name-value pair reader fed one byte at a time (FastCGI 3.4). */
struct pairs {
	unsigned char len[4]; /* the length field being read */
	int k, want;          /* bytes of it read, its size (1 or 4) */
	int which;            /* 0: name length, 1: value length, 2: data */
	uint64_t left;        /* data bytes of the pair still to come */
	uint64_t name;        /* the name's length, until the value's comes */
};

/* Feeds one byte; -1 (why set) when a length passes max. */
static int pair_byte(struct pairs *s, unsigned char c, size_t max, const char **why)
{
	uint64_t v;

	if (s->which == 2) {
		if (--s->left == 0)
			s->which = 0;
		return 0;
	}
	if (s->k == 0)
		s->want = (c & 0x80) ? 4 : 1;
	s->len[s->k++] = c;
	if (s->k < s->want)
		return 0;
	v = s->want == 1 ? c : ((uint64_t)(s->len[0] & 0x7f) << 24 | (uint64_t)s->len[1] << 16 |
				(uint64_t)s->len[2] << 8 | s->len[3]);
	s->k = 0;
	if (v > max) {
		*why = "a name or value longer than the parameters may be";
		return -1;
	}
	if (s->which == 0) {
		s->name = v;
		s->which = 1;
		return 0;
	}
	s->left = s->name + v;
	s->which = s->left > 0 ? 2 : 0;
	return 0;
}

/* 1 when the reader stands between two pairs. */
static int at_boundary(const struct pairs *s)
{
	return s->which == 0 && s->k == 0;
}

/* Feeds content bytes p[0..n) to s; -1 (why set) on a bad length. */
static int pairs_feed(struct pairs *s, const unsigned char *p, size_t n,
		      size_t max, const char **why)
{
	for (size_t i = 0; i < n; i++) {
		if (s->which == 2 && s->left > 1 && n - i > 1) {
			/* a pair's data: skip all of it that is here but its
			 * last byte, which pair_byte() takes */
			size_t k = s->left - 1 < n - i - 1 ? (size_t)s->left - 1 : n - i - 1;

			s->left -= k;
			i += k;
		}
		if (pair_byte(s, p[i], max, why) != 0)
			return -1;
	}
	return 0;
}

/* 0 when the record header h may go to libfcgi; -1 (why set) when not. */
static int header_check(const unsigned char *h, const char **why)
{
	if (h[0] != 1) {
		*why = "not FastCGI version 1";
		return -1;
	}
	/* Web servers pad a record to a multiple of 8 (0 to 7 bytes); more
	 * than that, libfcgi and this check may frame the stream apart (a
	 * BEGIN_REQUEST padded over the PARAMS that follow aborted libfcgi) */
	if (h[6] > 7) {
		*why = "FastCGI record padding over 7 bytes";
		return -1;
	}
	/* libfcgi loses memory answering any management record but
	 * FCGI_GET_VALUES; no web server sends one */
	if (h[2] == 0 && h[3] == 0 && h[1] != T_GET_VALUES) {
		*why = "a FastCGI management record other than FCGI_GET_VALUES";
		return -1;
	}
	return 0;
}

/*
 * 0 when the record header h belongs to the request *id (set by its
 * BEGIN_REQUEST; 0 before it) or is a management record; -1 (why set)
 * when not.  libfcgi skips a record of another request and answers a
 * second BEGIN_REQUEST with FCGI_CANT_MPX_CONN: the PARAMS it reads would
 * not be the ones checked here (a PARAMS of request 513 between request
 * 1's framed its pairs apart and made libfcgi allocate 4 GiB: the fuzzer
 * found it).  No web server multiplexes a connection.
 */
static int request_check(const unsigned char *h, unsigned *id, const char **why)
{
	unsigned rid = (unsigned)h[2] << 8 | h[3];

	if (h[1] == T_BEGIN && *id == 0 && rid != 0) {
		*id = rid;
		return 0;
	}
	if (h[1] == T_BEGIN || (rid != 0 && rid != *id)) {
		*why = "a FastCGI record of another request (multiplexing is not supported)";
		return -1;
	}
	return 0;
}

/* Checks the have bytes so far of a PARAMS (into s) or GET_VALUES record; -1, why set. */
static int pairs_check(struct pairs *s, const unsigned char *rec, size_t have,
		       size_t clen, size_t *params, size_t max,
		       const char **why)
{
	struct pairs mgmt = {{0}, 0, 0, 0, 0, 0};
	struct pairs *w = rec[1] == T_PARAMS ? s : &mgmt;

	if (rec[1] == T_PARAMS && (*params += clen) > max) {
		*why = "FastCGI parameters over the limit";
		return -1;
	}
	if (pairs_feed(w, rec + HDR, have, max, why) != 0)
		return -1;
	if (w == &mgmt && have == clen && !at_boundary(w)) {
		*why = "FCGI_GET_VALUES pairs overrun their record";
		return -1;
	}
	return 0;
}

enum fcgirec_verdict fcgirec_check(const unsigned char *p, size_t n, size_t max,
				   size_t *need, const char **why)
{
	struct pairs s = {{0}, 0, 0, 0, 0, 0};
	size_t off = 0, params = 0;
	unsigned id = 0;

	for (;;) {
		size_t clen, end, have;

		if (n - off < HDR) {
			*need = off + HDR;
			return FCGIREC_MORE;
		}
		clen = (size_t)p[off + 4] << 8 | p[off + 5];
		end = off + HDR + clen + p[off + 6];
		if (header_check(p + off, why) != 0 || request_check(p + off, &id, why) != 0)
			return FCGIREC_BAD;
		if (p[off + 1] == T_PARAMS && clen == 0) {
			if (!at_boundary(&s)) {
				*why = "FastCGI parameters end inside a name-value pair";
				return FCGIREC_BAD;
			}
			return FCGIREC_OK;
		}
		/* what has come of the content, even before all of it: libfcgi
		 * allocates for a pair as soon as its lengths are in */
		have = n - off - HDR < clen ? n - off - HDR : clen;
		if ((p[off + 1] == T_PARAMS || p[off + 1] == T_GET_VALUES) &&
		    pairs_check(&s, p + off, have, clen, &params, max, why) != 0)
			return FCGIREC_BAD;
		if (n < end) {
			*need = end;
			return FCGIREC_MORE;
		}
		off = end;
	}
}
