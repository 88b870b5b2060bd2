/* Unit tests for src/resphdr.c: upstream header block to CGI headers. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "resphdr.h"
#include "check_main.h"

/* in: the upstream's lines, each ended by "|" (fed with CRLF, then the
 * blank line); want: the CGI
 * block with "|" for CRLF, or NULL when feeding must fail. */
static const struct {
	const char *e, *r;
	const char *in;
	const char *want;
} cases[] = {
	/* 0: Status first, Location rewritten R -> E, nginx buffers it */
	{"/pub", "/thanos", "HTTP/1.1 302 Found|Location: /thanos/graph|Content-Length: 0|",
	 "Status: 302 Found|Location: /pub/graph|Content-Length: 0||"},
	/* 1: hop-by-hop and server-control headers dropped */
	{"", "", "HTTP/1.1 200 OK|Connection: keep-alive, X-Hop|X-Hop: 1|Keep-Alive: timeout=5|"
	 "Transfer-Encoding: chunked|X-Accel-Redirect: /etc/passwd|X-Sendfile: /etc/passwd|"
	 "X-LIGHTTPD-send-file: /etc/passwd|Status: 200|X-Accel-Buffering: yes|Proxy-Foo: 1|"
	 "Content-Type: text/plain|",
	 "Status: 200 OK|Content-Type: text/plain|X-Accel-Buffering: no||"},
	/* 2: interim 100 skipped */
	{"", "", "HTTP/1.1 100 Continue||HTTP/1.1 404 Not Found|Content-Type: text/plain|",
	 "Status: 404 Not Found|Content-Type: text/plain|X-Accel-Buffering: no||"},
	/* 3: no reason phrase (HTTP/2 style) gets ours */
	{"", "", "HTTP/2 502|", "Status: 502 Bad Gateway|X-Accel-Buffering: no||"},
	/* 4: Set-Cookie path, Link, Content-Location, Refresh rewritten */
	{"", "/thanos", "HTTP/1.1 200 OK|Set-Cookie: a=b; Path=/thanos/x|Link: </thanos/api>; rel=x|"
	 "Content-Location: /thanos/c|Refresh: 0; url=/thanos/graph|",
	 "Status: 200 OK|Set-Cookie: a=b; Path=/x|Link: </api>; rel=x|Content-Location: /c|"
	 "Refresh: 0; url=/graph|X-Accel-Buffering: no||"},
	/* 5: Content-Length survives a Connection list naming it */
	{"", "", "HTTP/1.1 200 OK|Connection: Content-Length|Content-Length: 3|",
	 "Status: 200 OK|Content-Length: 3||"},
	/* 6-9: malformed upstream headers */
	{"", "", "garbage|", NULL},
	{"", "", "HTTP/1.1 2x0 OK|", NULL},
	{"", "", "HTTP/1.1 200 OK| folded: line|", NULL},
	{"", "", "HTTP/1.1 200 OK|No colon here|", NULL},
	/* 10: bare CR inside a value (response splitting) */
	{"", "", "HTTP/1.1 302 Found|Location: /x\rSet-Cookie: a=b|", NULL},
	/* 11: chunked and a length: the length goes (RFC 9112 6.3) */
	{"", "", "HTTP/1.1 200 OK|Transfer-Encoding: chunked|Content-Length: 5|",
	 "Status: 200 OK|X-Accel-Buffering: no||"},
	/* 12: the same length twice: refused, as nginx does */
	{"", "", "HTTP/1.1 200 OK|Content-Length: 5|Content-Length: 5|", NULL},
	/* 13-17: a length that is not a plain number in range */
	{"", "", "HTTP/1.1 200 OK|Content-Length: 99999999999999999999999|", NULL},
	{"", "", "HTTP/1.1 200 OK|Content-Length: 5, 5|", NULL},
	{"", "", "HTTP/1.1 200 OK|Content-Length: +5|", NULL},
	{"", "", "HTTP/1.1 200 OK|Content-Length: |", NULL},
	{"", "", "HTTP/1.1 200 OK|Content-Length: 0x5|", NULL},
	/* 18: a length-framed answer is left to nginx's buffering */
	{"", "", "HTTP/1.1 200 OK|Content-Type: text/plain|Content-Length: 5|",
	 "Status: 200 OK|Content-Type: text/plain|Content-Length: 5||"},
	/* 19: an event stream streams even with a length */
	{"", "", "HTTP/1.1 200 OK|Content-Type: text/event-stream|Content-Length: 5|",
	 "Status: 200 OK|Content-Type: text/event-stream|Content-Length: 5|X-Accel-Buffering: no||"},
	/* 20-23: Location only on 3xx and 201 (Apache serves its own file for
	 * a 200 with Location: /x) */
	{"", "", "HTTP/1.1 200 OK|Location: /etc/passwd|Content-Length: 0|",
	 "Status: 200 OK|Content-Length: 0||"},
	{"", "", "HTTP/1.1 404 Not Found|Location: x|Content-Length: 0|",
	 "Status: 404 Not Found|Content-Length: 0||"},
	{"", "", "HTTP/1.1 201 Created|Location: /a|Content-Length: 0|",
	 "Status: 201 Created|Location: /a|Content-Length: 0||"},
	{"", "", "HTTP/1.1 307 Temporary Redirect|Location: /a|Content-Length: 0|",
	 "Status: 307 Temporary Redirect|Location: /a|Content-Length: 0||"},
	/* 24: the names of every Connection header are hop-by-hop */
	{"", "", "HTTP/1.1 200 OK|Connection: close|Connection: X-A, X-B|X-A: 1|X-B: 2|X-C: 3|"
	 "Content-Length: 0|",
	 "Status: 200 OK|X-C: 3|Content-Length: 0||"},
	/* 25: lighttpd's other control headers */
	{"", "", "HTTP/1.1 200 OK|X-LIGHTTPD-send-tempfile: /etc/passwd|"
	 "X-LIGHTTPD-KBytes-per-second: 1|Content-Length: 0|",
	 "Status: 200 OK|Content-Length: 0||"},
	/* 26-27: a status line inside a block is a bad header, not a new start */
	{"", "", "HTTP/1.1 200 OK|HTTP/1.1 204 x:y|Content-Length: 0|", NULL},
	{"", "", "HTTP/1.1 200 OK|X-A: 1|HTTP/1.1 302 Found|Location: /x|", NULL},
	/* 28-30: 101 never asked for; codes out of range */
	{"", "", "HTTP/1.1 101 Switching Protocols|Upgrade: h2c|", NULL},
	{"", "", "HTTP/1.1 600 Odd|", NULL},
	{"", "", "HTTP/1.1 099 Odd|", NULL},
	/* 31: after an interim 103, the next status line starts the block */
	{"", "", "HTTP/1.1 103 Early Hints|Link: </a>; rel=preload||HTTP/1.1 200 OK|Content-Length: 2|",
	 "Status: 200 OK|Content-Length: 2||"},
	/* 32: a first line that is not HTTP/ */
	{"", "", "X-A: 1|", NULL},
};

START_TEST(test_emit)
{
	static const char *origins[] = {"http://127.0.0.1:10902"};
	struct rewrite_ctx rw = {cases[_i].e, cases[_i].r, origins, 1, NULL};
	struct resphdr h;
	struct buf out, want;
	enum tf_status s = TF_OK;
	char *in = strdup(cases[_i].in), *line, *save = NULL;

	resphdr_init(&h, 4096);
	buf_init(&out, 8192);
	buf_init(&want, 8192);
	for (line = in; s == TF_OK && line != NULL; line = save) {
		char *bar = strchr(line, '|');
		struct buf l;

		save = bar ? bar + 1 : NULL;
		if (bar == NULL)
			break;
		*bar = '\0';
		buf_init(&l, 4096);
		buf_appends(&l, line);
		buf_appends(&l, "\r\n");
		s = resphdr_feed(&h, l.ptr, l.len);
		buf_free(&l);
	}
	if (s == TF_OK)
		s = resphdr_feed(&h, "\r\n", 2); /* the blank line ending the block */
	if (cases[_i].want == NULL) {
		/* refused by feeding, or (framing) when emitting */
		if (s == TF_OK)
			s = resphdr_emit(&h, &rw, &out);
		ck_assert_msg(s == TF_UPSTREAM_HEADER, "row %d: accepted bad input", _i);
		ck_assert_msg(h.why != NULL, "row %d: no cause", _i);
	} else {
		ck_assert_msg(s == TF_OK, "row %d: feed failed %d", _i, s);
		ck_assert_msg(h.complete, "row %d: block not complete", _i);
		ck_assert_int_eq(resphdr_emit(&h, &rw, &out), TF_OK);
		for (const char *p = cases[_i].want; *p; p++)
			*p == '|' ? buf_appends(&want, "\r\n") : buf_appendc(&want, *p);
		ck_assert_msg(strcmp(buf_str(&out), buf_str(&want)) == 0, "row %d:\n got %s\nwant %s",
			      _i, buf_str(&out), buf_str(&want));
	}
	free(in);
	buf_free(&out);
	buf_free(&want);
	resphdr_free(&h);
}
END_TEST

/* Two different Content-Length values: the answer's framing is unknown. */
START_TEST(test_two_lengths)
{
	struct rewrite_ctx rw = {"", "", NULL, 0, NULL};
	struct resphdr h;
	struct buf out;

	resphdr_init(&h, 4096);
	buf_init(&out, 4096);
	ck_assert_int_eq(resphdr_feed(&h, "HTTP/1.1 200 OK\r\n", 17), TF_OK);
	ck_assert_int_eq(resphdr_feed(&h, "Content-Length: 5\r\n", 19), TF_OK);
	ck_assert_int_eq(resphdr_feed(&h, "Content-Length: 20\r\n", 20), TF_OK);
	ck_assert_int_eq(resphdr_feed(&h, "\r\n", 2), TF_OK);
	ck_assert_int_eq(resphdr_emit(&h, &rw, &out), TF_UPSTREAM_HEADER);
	buf_free(&out);
	resphdr_free(&h);
}
END_TEST

START_TEST(test_bounded)
{
	struct resphdr h;
	char line[1000];
	enum tf_status s = TF_OK;
	int i;

	resphdr_init(&h, 64 * 1024);
	ck_assert_int_eq(resphdr_feed(&h, "HTTP/1.1 200 OK\r\n", 17), TF_OK);
	memset(line, 'a', sizeof(line));
	memcpy(line, "X-Big: ", 7);
	for (i = 0; i < 1000 && s == TF_OK; i++)
		s = resphdr_feed(&h, line, sizeof(line));
	ck_assert_int_eq(s, TF_UPSTREAM_HEADER);
	ck_assert_int_lt(i, 100);
	ck_assert_uint_le(h.lines.len, 64 * 1024);
	resphdr_free(&h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("resphdr");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_emit, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_bounded);
	tcase_add_test(tc, test_two_lengths);
	suite_add_tcase(s, tc);
	return check_run(s);
}
