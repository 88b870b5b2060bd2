/*
 * fuzz_resphdr: the upstream's header block fed line by line to
 * resphdr_feed(), then resphdr_emit() to the CGI header block.
 *
 * Input: NUL-separated fields: a control byte (bit 0: a public origin is
 * configured; bits 1-2: header block max 64 KiB, 256, 64 or 16 bytes), E,
 * R (both made into prefixes as the adapter holds them), then the upstream's
 * bytes, cut after every '\n' into the lines libcurl would hand over.  A
 * block without its blank line gets one; a block left waiting after an
 * interim 1xx response is not emitted.
 *
 * Invariants: feeding answers OK or UPSTREAM_HEADER; the emitted block
 * starts with "Status: CODE " for the code fed, every line ends in CRLF and
 * holds no other CR, LF or NUL, header lines are "Name: value" with a token
 * name, the block ends with the one blank line, no hop-by-hop or
 * server-control header gets through (the adapter's own final
 * "X-Accel-Buffering: no" aside; a Location only on a 3xx or 201), the
 * final code is 200..599, at most one Content-Length, plain digits; emitting twice, and feeding the same
 * block again after resphdr_reset(), give the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <strings.h>

#include "buf.h"
#include "pct.h"
#include "prefix.h"
#include "resphdr.h"
#include "rewrite.h"
#include "status.h"

static const char *cur_in;
static size_t cur_n;
static struct rewrite_ctx cur_rw;
static void fuzz_dump(void);
#include "fuzz_util.h"

static void fuzz_dump(void)
{
	fuzz_show("E", cur_rw.e, strlen(cur_rw.e));
	fuzz_show("R", cur_rw.r, strlen(cur_rw.r));
	fprintf(stderr, "  public origin: %s\n", cur_rw.public_origin ? cur_rw.public_origin : "(none)");
	fuzz_show("upstream header block", cur_in, cur_n);
}

static int is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static int name_is(const char *name, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(name, lit, n) == 0;
}

static int never_emitted(const char *name, size_t n, int code)
{
	static const char *const never[] = {
		"Connection", "Keep-Alive", "TE", "Trailer", "Transfer-Encoding",
		"Upgrade", "Status", "X-Sendfile", "X-Sendfile2",
	};
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		if (name_is(name, n, never[i]))
			return 1;
	/* Apache turns a Location on anything but a 3xx or 201 into its own
	 * local redirect or a 302 */
	if (name_is(name, n, "Location") && !(code == 201 || (code >= 300 && code < 400)))
		return 1;
	return (n >= 6 && strncasecmp(name, "Proxy-", 6) == 0) ||
	       (n >= 8 && strncasecmp(name, "X-Accel-", 8) == 0) ||
	       (n >= 11 && strncasecmp(name, "X-LIGHTTPD-", 11) == 0);
}

/* Feeds the block; returns the first error or OK. */
static enum tf_status feed_all(struct resphdr *h)
{
	size_t i = 0;
	enum tf_status st = TF_OK;

	while (i < cur_n && st == TF_OK) {
		const char *nl = memchr(cur_in + i, '\n', cur_n - i);
		size_t len = nl ? (size_t)(nl - (cur_in + i)) + 1 : cur_n - i;

		st = resphdr_feed(h, cur_in + i, len);
		FUZZ_CHECK(st == TF_OK || st == TF_UPSTREAM_HEADER, "resphdr_feed status %d", st);
		i += len;
	}
	if (st == TF_OK && !h->complete)
		st = resphdr_feed(h, "\r\n", 2);
	FUZZ_CHECK(st == TF_OK || st == TF_UPSTREAM_HEADER, "resphdr_feed status %d", st);
	FUZZ_CHECK(h->lines.len <= h->lines.max, "header block past its max");
	return st;
}

static void check_block(const struct resphdr *h, const struct buf *out)
{
	const char *s = buf_str(out), *p, *end = s + out->len;
	char want[16];
	int seen_blank = 0, n_cl = 0;

	snprintf(want, sizeof(want), "Status: %03d ", h->code);
	FUZZ_CHECK(h->code >= 200 && h->code <= 599, "final code %d", h->code);
	FUZZ_CHECK(out->len >= 13 && memcmp(s, want, 12) == 0,
		   "block does not start with \"%s\"", want);
	FUZZ_CHECK(out->len >= 4 && memcmp(end - 4, "\r\n\r\n", 4) == 0,
		   "block does not end with a blank line");
	for (p = s; p < end;) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		size_t ln, n = 0;

		FUZZ_CHECK(lf != NULL && lf > p && lf[-1] == '\r', "line not ended by CRLF at %zu",
			   (size_t)(p - s));
		ln = (size_t)(lf - 1 - p);
		FUZZ_CHECK(!has_crlf_nul(p, ln), "CR, LF or NUL inside the line at %zu",
			   (size_t)(p - s));
		FUZZ_CHECK(!seen_blank, "a line after the blank line");
		if (ln == 0) {
			seen_blank = 1;
		} else if (p != s) {
			while (n < ln && is_tchar((unsigned char)p[n]))
				n++;
			FUZZ_CHECK(n > 0 && n + 2 <= ln && p[n] == ':' && p[n + 1] == ' ',
				   "not a header line at %zu", (size_t)(p - s));
			if (lf + 3 != end || !(ln == 21 && memcmp(p, "X-Accel-Buffering: no", 21) == 0))
				FUZZ_CHECK(!never_emitted(p, n, h->code), "emitted \"%.*s\"", (int)ln, p);
			if (name_is(p, n, "Content-Length")) {
				n_cl++;
				FUZZ_CHECK(ln > n + 2 && strspn(p + n + 2, "0123456789") == ln - n - 2 &&
						   ln - n - 2 <= 18,
					   "Content-Length not plain digits: \"%.*s\"", (int)ln, p);
			}
		}
		p = lf + 1;
	}
	FUZZ_CHECK(seen_blank, "no blank line");
	FUZZ_CHECK(n_cl <= 1, "%d Content-Length lines", n_cl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t hmax[] = {64 * 1024, 256, 64, 16};
	static const char *const origins[] = {
		"http://127.0.0.1:10902", "https://thanos.example:443", "http://[::1]:10904",
	};
	struct fields fs;
	struct buf e, r, out, out2;
	struct resphdr h;
	enum tf_status st;
	unsigned ctl;

	fields_split(&fs, data, size, 4);
	ctl = (unsigned char)field(&fs, 0, "")[0];
	buf_init(&e, 8192);
	buf_init(&r, 4096);
	make_prefix(field(&fs, 1, "/thanos"), &e);
	make_prefix(field(&fs, 2, "/thanos"), &r);
	cur_rw.e = buf_str(&e);
	cur_rw.r = buf_str(&r);
	cur_rw.origins = origins;
	cur_rw.n_origins = 3;
	cur_rw.public_origin = (ctl & 1) ? "https://www.example" : NULL;
	cur_in = field(&fs, 3, "");
	cur_n = fs.n > 3 ? size - (size_t)(cur_in - fs.mem) : 0;

	resphdr_init(&h, hmax[(ctl >> 1) & 3]);
	buf_init(&out, h.lines.max + 65536); /* as relay.c sizes it */
	buf_init(&out2, h.lines.max + 65536);
	st = feed_all(&h);
	/* a block that ends with an interim 1xx waits for more: nothing to emit */
	if (st == TF_OK && !h.complete)
		FUZZ_CHECK(h.code == 0, "blank line fed, code %d, block not complete", h.code);
	if (st == TF_OK && h.complete) {
		st = resphdr_emit(&h, &cur_rw, &out);
		FUZZ_CHECK(st == TF_OK || st == TF_UPSTREAM_HEADER, "resphdr_emit status %d", st);
		if (st == TF_OK) {
			check_block(&h, &out);
			FUZZ_CHECK(resphdr_emit(&h, &cur_rw, &out2) == TF_OK && out.len == out2.len &&
					   memcmp(out.ptr, out2.ptr, out.len) == 0,
				   "second resphdr_emit differs");
		}
	}
	/* the worker's next request on the same struct */
	resphdr_reset(&h);
	FUZZ_CHECK(h.code == 0 && !h.complete && h.lines.len == 0, "reset left state");
	if (feed_all(&h) == TF_OK && st == TF_OK && h.complete) {
		FUZZ_CHECK(resphdr_emit(&h, &cur_rw, &out2) == TF_OK && out.len == out2.len &&
				   memcmp(out.ptr, out2.ptr, out.len) == 0,
			   "resphdr_emit after reset differs");
	}
	resphdr_free(&h);
	resphdr_free(NULL);
	buf_free(&out);
	buf_free(&out2);
	buf_free(&e);
	buf_free(&r);
	fields_free(&fs);
	return 0;
}
