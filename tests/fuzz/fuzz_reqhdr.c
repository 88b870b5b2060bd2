/*
 * fuzz_reqhdr: reqhdr_build(), the CGI/FastCGI parameters turned into the
 * header lines sent upstream.
 *
 * Input: NUL-separated fields: the configured prefix header name (a name
 * that is not a token becomes X-Forwarded-Prefix, "" sends none), E, then
 * up to 60 parameters "NAME=VALUE" (HTTP_*, REMOTE_ADDR, HTTPS, ...).
 * Each input runs with the default limits and with small ones.
 *
 * Invariants: the status is OK, BAD_REQUEST or HEADERS_TOO_LARGE; on
 * success the output is a run of "Name: value\0" entries with token names
 * and no control character but HTAB; no Host, hop-by-hop, Proxy*, Expect,
 * Content-Length, Forwarded or X-Forwarded-Prefix line and nothing any of
 * the client's Connection headers names gets through; X-Forwarded-Proto comes once, X-Forwarded-For,
 * X-Forwarded-Host, Content-Type and the prefix header at most once, the
 * last carrying E, and X-Forwarded-For ends with REMOTE_ADDR.
 */
#include <stddef.h>
#include <stdint.h>
#include <strings.h>

#include "buf.h"
#include "list.h"
#include "reqhdr.h"
#include "request.h"
#include "status.h"

#define NPARAMS 60

static char *cur_params[NPARAMS + 1];
static const char *cur_ph, *cur_prefix;
static void fuzz_dump(void);
#include "fuzz_util.h"

static void fuzz_dump(void)
{
	fuzz_show("prefix header", cur_ph ? cur_ph : "(none)", cur_ph ? strlen(cur_ph) : 6);
	fuzz_show("prefix", cur_prefix, strlen(cur_prefix));
	for (size_t i = 0; cur_params[i] != NULL; i++)
		fuzz_show("param", cur_params[i], strlen(cur_params[i]));
}

static int is_token(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return 1;
}

static int name_is(const char *name, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(name, lit, n) == 0;
}

/* Headers reqhdr_build() sets itself. */
static int is_ours(const char *name, size_t n, const char *ph)
{
	return name_is(name, n, "X-Forwarded-For") || name_is(name, n, "X-Forwarded-Proto") ||
	       name_is(name, n, "X-Forwarded-Host") || name_is(name, n, "Content-Type") ||
	       (ph != NULL && *ph != '\0' && name_is(name, n, ph));
}

static void run(const struct reqhdr_opts *o, size_t out_max)
{
	static const char *const never[] = {
		"Host", "Connection", "Keep-Alive", "TE", "Trailer", "Transfer-Encoding",
		"Upgrade", "Proxy", "Expect", "Content-Length", "Forwarded",
		"X-Forwarded-Prefix",
	};
	struct request rq;
	const char *addr;
	struct buf out;
	enum tf_status st;
	size_t i, n_xff = 0, n_xfp = 0, n_xfh = 0, n_ct = 0, n_ph = 0;

	request_init(&rq);
	request_read(&rq, cur_params, 1);
	addr = rq.remote_addr;
	buf_init(&out, out_max);
	buf_appends(&out, "junk");
	st = reqhdr_build(&rq, o, &out);
	FUZZ_CHECK(st == TF_OK || st == TF_BAD_REQUEST || st == TF_HEADERS_TOO_LARGE,
		   "reqhdr_build status %d", st);
	if (st != TF_OK)
		goto out;
	FUZZ_CHECK(out.len <= out.max, "out past its max");
	FUZZ_CHECK(out.len > 0 && out.ptr[out.len - 1] == '\0', "out does not end with a NUL");
	for (i = 0; i < out.len;) {
		const char *line = out.ptr + i, *colon, *v;
		size_t ln = strlen(line), n;

		colon = memchr(line, ':', ln);
		FUZZ_CHECK(colon != NULL && colon[1] == ' ', "line without \": \": \"%s\"", line);
		n = (size_t)(colon - line);
		v = colon + 2;
		FUZZ_CHECK(is_token(line, n), "name not a token: \"%s\"", line);
		for (const char *c = line; *c != '\0'; c++)
			FUZZ_CHECK(!(((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f),
				   "control character in \"%s\"", line);
		if (!(o->prefix_header != NULL && name_is(line, n, o->prefix_header))) {
			for (size_t k = 0; k < sizeof(never) / sizeof(never[0]); k++)
				FUZZ_CHECK(!name_is(line, n, never[k]), "forwarded \"%s\"", line);
			FUZZ_CHECK(!(n >= 6 && strncasecmp(line, "Proxy-", 6) == 0),
				   "forwarded \"%s\"", line);
		}
		/* every Connection parameter counts, not only the first */
		for (size_t k = 0; cur_params[k] != NULL && !is_ours(line, n, o->prefix_header); k++)
			if (strncmp(cur_params[k], "HTTP_CONNECTION=", 16) == 0)
				FUZZ_CHECK(!list_has_token(cur_params[k] + 16, line, n),
					   "forwarded \"%s\" that a Connection names", line);
		if (name_is(line, n, "X-Forwarded-For")) {
			n_xff++;
			if (addr != NULL && *addr != '\0') {
				size_t al = strlen(addr), vl = strlen(v);
				FUZZ_CHECK(vl >= al && strcmp(v + vl - al, addr) == 0,
					   "X-Forwarded-For \"%s\" does not end with REMOTE_ADDR", v);
			}
		}
		n_xfp += name_is(line, n, "X-Forwarded-Proto");
		n_xfh += name_is(line, n, "X-Forwarded-Host");
		n_ct += name_is(line, n, "Content-Type");
		if (o->prefix_header != NULL && *o->prefix_header != '\0' &&
		    name_is(line, n, o->prefix_header)) {
			n_ph++;
			FUZZ_CHECK(strcmp(v, o->prefix) == 0, "prefix header \"%s\", want E \"%s\"",
				   line, o->prefix);
		}
		i += ln + 1;
	}
	FUZZ_CHECK(n_xfp == 1, "%zu X-Forwarded-Proto lines", n_xfp);
	FUZZ_CHECK(n_xff <= 1 && n_xfh <= 1 && n_ct <= 1 && n_ph <= 1,
		   "duplicates: XFF %zu XFH %zu CT %zu prefix %zu", n_xff, n_xfh, n_ct, n_ph);
out:
	request_free(&rq);
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fields fs;
	struct reqhdr_opts o;
	size_t i, np = 0;
	const char *ph;

	fields_split(&fs, data, size, NPARAMS + 2);
	ph = field(&fs, 0, "");
	/* the prefix header is configuration: a token, not a control header */
	if (*ph != '\0' && (!is_token(ph, strlen(ph)) ||
			    reqhdr_is_dropped(ph, strlen(ph), NULL, NULL)))
		ph = "X-Forwarded-Prefix";
	cur_ph = ph;
	cur_prefix = field(&fs, 1, "");
	for (i = 2; i < fs.n && np < NPARAMS; i++)
		cur_params[np++] = fs.f[i];
	cur_params[np] = NULL;

	o.prefix_header = *ph != '\0' ? ph : NULL;
	o.prefix = cur_prefix;
	o.max_total = 64 * 1024; /* --limits.max-header-size default */
	o.tenant_header = NULL; /* the tenant header: tests/unit/test_reqhdr.c */
	o.tenant = NULL;
	run(&o, o.max_total + 16384);
	o.max_total = 200;
	run(&o, 256);
	o.prefix_header = ph; /* "" as well as NULL means none */
	run(&o, 64);

	/* the helpers on their own: no crash, and a name is found in a list
	 * that is exactly that name */
	if (np > 0) {
		const char *p = cur_params[0];
		size_t n = strcspn(p, ",");
		(void)reqhdr_is_dropped(p, strlen(p), cur_prefix, ph);
		if (n > 0 && p[0] != ' ' && p[0] != '\t' && p[n - 1] != ' ' &&
		    p[n - 1] != '\t' && p[n] == '\0')
			FUZZ_CHECK(list_has_token(p, p, n), "list \"%s\" does not hold itself", p);
	}
	fields_free(&fs);
	return 0;
}
