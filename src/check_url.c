/* check_url: the requests of check --url; see check_url.h. */
#include "check_url.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cabundle.h"
#include "check_web.h"
#include "diag.h"
#include "prefix.h"
#include "status.h"

#define WEB_BODY_MAX 16384

struct web_get {
	struct buf body;
	char error[CURL_ERROR_SIZE];
	struct check_web_answer a;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;

	return buf_append(b, p, size * n) == 0 ? size * n : 0;
}

int check_url_prefix(const char *url, struct buf *prefix)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *path = NULL;
	int rc = -1;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK &&
	    (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0))
		rc = prefix_normalize(path, prefix);
	curl_free(scheme);
	curl_free(path);
	curl_url_cleanup(u);
	return rc;
}

static void web_setup(CURL *h, const struct conf *c, const char *url, struct curl_slist *hdrs,
		      struct web_get *g)
{
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(c->timeout_connect_ms > 0 ? c->timeout_connect_ms : 5000));
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)CHECK_PROBE_TIMEOUT_MS);
	if (cabundle_system() != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, cabundle_system());
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &g->body);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, g->error);
}

/* One GET of base + sub into g. */
static void web_get(const struct conf *c, const char *base, const char *sub, int has_user,
		    struct web_get *g)
{
	struct curl_slist *hdrs = NULL;
	struct buf url, tok;
	CURL *h = curl_easy_init();
	long code = 0;

	buf_init(&url, 16384);
	buf_init(&tok, 4096);
	buf_printf(&url, "%s%s%s", base, base[0] && base[strlen(base) - 1] == '/' ? "" : "/", sub);
	if (c->check_token != NULL && buf_printf(&tok, DIAG_TOKEN_HEADER ": %s", c->check_token) == 0)
		hdrs = curl_slist_append(hdrs, buf_str(&tok));
	if (!has_user) /* a stand-in, to see whether Authorization arrives */
		hdrs = curl_slist_append(hdrs, "Authorization: Bearer thanos-fcgi-check");
	g->error[0] = '\0';
	g->a.curl_rc = CURLE_FAILED_INIT;
	if (h != NULL) {
		web_setup(h, c, buf_str(&url), hdrs, g);
		g->a.curl_rc = (int)curl_easy_perform(h);
		if (g->a.curl_rc == CURLE_WRITE_ERROR && g->body.len > 0)
			g->a.curl_rc = CURLE_OK;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_cleanup(h);
	}
	g->a.code = (int)code;
	g->a.body = buf_str(&g->body);
	if (g->error[0] == '\0')
		snprintf(g->error, sizeof(g->error), "%s", curl_easy_strerror((CURLcode)g->a.curl_rc));
	g->a.error = g->error;
	curl_slist_free_all(hdrs);
	buf_free(&url);
	buf_free(&tok);
}

/* 1 when url names a user (user:password@host). */
static int has_user(const char *url)
{
	CURLU *u = curl_url();
	char *user = NULL;
	int rc = u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
		 curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK;

	curl_free(user);
	curl_url_cleanup(u);
	return rc;
}

int check_url_run(const struct conf *c, const char *url, struct check_report *rep,
		  char *err, size_t errlen)
{
	struct web_get plain, slash;
	struct buf prefix;
	struct check_web_obs o;
	int user = has_user(url);

	buf_init(&prefix, 4096);
	if (check_url_prefix(url, &prefix) != 0) {
		buf_free(&prefix);
		return status_errf(err, errlen, "--url: not an http(s) URL: '%s'", url);
	}
	buf_init(&plain.body, WEB_BODY_MAX);
	buf_init(&slash.body, WEB_BODY_MAX);
	web_get(c, url, &DIAG_PATH[1], user, &plain); /* without the leading '/' */
	web_get(c, url, &(DIAG_PATH CHECK_WEB_SLASH)[1], user, &slash);
	o = (struct check_web_obs){url, buf_str(&prefix), plain.a, slash.a};
	memset(&rep->web, 0, sizeof(rep->web));
	snprintf(rep->web.url, sizeof(rep->web.url), "%s", url);
	rep->web.n = check_web_analyze(&o, rep->web.f, CHECK_MAX_FINDINGS);
	rep->have_web = 1;
	snprintf(rep->web_passed, sizeof(rep->web_passed), "%s",
		 check_web_is_diag(plain.a.body) ? plain.a.body : "");
	buf_free(&plain.body);
	buf_free(&slash.body);
	buf_free(&prefix);
	return 0;
}
