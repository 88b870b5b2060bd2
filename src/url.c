/* url: absolute http(s) URLs, parsed with libcurl's URL API; see url.h. */
#include "url.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

static int is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static char lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

/* Whether the n bytes at a equal the string b, ASCII case-insensitively. */
static int ieq(const char *a, size_t n, const char *b)
{
	return strlen(b) == n && strncasecmp(a, b, n) == 0;
}

/* Whether the n bytes at s are the scheme http or https, in any case. */
static int is_http(const char *s, size_t n)
{
	return ieq(s, n, "http") || ieq(s, n, "https");
}

size_t url_abs_tail(const char *u, size_t n)
{
	size_t i = 0, a;

	while (i < n && (is_alpha(u[i]) || (i > 0 && (is_digit(u[i]) ||
		u[i] == '+' || u[i] == '-' || u[i] == '.'))))
		i++;
	if (i >= n || u[i] != ':')
		return 0;
	if (!is_http(u, i))
		return 0;
	if (n - i < 3 || u[i + 1] != '/' || u[i + 2] != '/')
		return 0;
	a = i + 3;
	for (i = a; i < n && u[i] != '/' && u[i] != '?' && u[i] != '#'; i++)
		if (u[i] == '\\')
			return 0;
	return i > a ? i : 0;
}

/* libcurl's parser reports out of memory as an error code: follow buf.h's
 * policy (abort) instead of passing a header through as unparsable. */
static CURLUcode oom_check(CURLUcode rc)
{
	if (rc == CURLUE_OUT_OF_MEMORY)
		abort();
	return rc;
}

/* Reads h's zone id into *zone (NULL: none); -1 when it holds a non-unreserved byte. */
static int zone_read(CURLU *h, char **zone)
{
	if (oom_check(curl_url_get(h, CURLUPART_ZONEID, zone, 0)))
		*zone = NULL;
	if (*zone != NULL && (*zone)[strspn(*zone, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")] != '\0')
		return -1;
	return 0;
}

/* Sets origin to "scheme://host[%25zone]:port", lower case but the zone; -1 if too long. */
static int origin_build(struct buf *origin, const char *scheme,
			const char *host, const char *zone, const char *port)
{
	size_t hl, i;
	int with_zone;

	/* "[fe80::1]" and "eth0" go back together as "[fe80::1%25eth0]". */
	hl = strlen(host);
	with_zone = zone != NULL && hl > 0 && host[hl - 1] == ']';
	if (with_zone)
		hl--;
	buf_reset(origin);
	if (buf_appends(origin, scheme) < 0 || buf_appends(origin, "://") < 0 ||
		buf_append(origin, host, hl) < 0)
		return -1;
	for (i = 0; i < origin->len; i++)
		origin->ptr[i] = lower(origin->ptr[i]);
	/* The zone id is an interface name: its case is kept. */
	if (with_zone && (buf_appends(origin, "%25") < 0 ||
		buf_appends(origin, zone) < 0 || buf_appendc(origin, ']') < 0))
		return -1;
	if (buf_appendc(origin, ':') < 0 || buf_appends(origin, port) < 0)
		return -1;
	return 0;
}

int url_parse_abs(const char *url, struct buf *origin, struct buf *path)
{
	CURLU *h = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *zone = NULL;
	char *cpath = NULL;
	int ret = -1;

	if (h == NULL)
		abort();
	if (oom_check(curl_url_set(h, CURLUPART_URL, url, CURLU_PATH_AS_IS)) ||
		oom_check(curl_url_get(h, CURLUPART_SCHEME, &scheme, 0)) ||
		oom_check(curl_url_get(h, CURLUPART_HOST, &host, 0)) ||
		oom_check(curl_url_get(h, CURLUPART_PORT, &port,
			CURLU_DEFAULT_PORT)))
		goto out;
	if (!is_http(scheme, strlen(scheme)) || zone_read(h, &zone) != 0 ||
		origin_build(origin, scheme, host, zone, port) != 0)
		goto out;
	if (path != NULL) {
		if (oom_check(curl_url_get(h, CURLUPART_PATH, &cpath, 0)) ||
			buf_set(path, cpath, strlen(cpath)) < 0)
			goto out;
	}
	ret = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(zone);
	curl_free(cpath);
	curl_url_cleanup(h);
	return ret;
}

int url_origin(const char *url, struct buf *out)
{
	struct buf o, again;
	size_t n = strlen(url);
	int ret = -1;

	if (url_abs_tail(url, n) == 0)
		return -1;
	buf_init(&o, n + URL_ORIGIN_SLACK);
	buf_init(&again, n + URL_ORIGIN_SLACK);
	if (url_parse_abs(url, &o, NULL) != 0)
		goto done;
	/* curl decodes the host once per parse: "0%36.0" gives "06.0", which
	 * parses as the IPv4 address 6.0.0.0.  Parse again until the origin is
	 * its own origin, so every spelling of a host compares equal.  out is
	 * only set on success. */
	for (int pass = 0; pass < 3; pass++) {
		if (url_parse_abs(o.ptr, &again, NULL) != 0)
			goto done;
		if (again.len == o.len && memcmp(again.ptr, o.ptr, o.len) == 0) {
			ret = buf_set(out, o.ptr, o.len) == 0 ? 0 : -1;
			goto done;
		}
		if (buf_set(&o, again.ptr, again.len) != 0)
			goto done;
	}
done:
	buf_free(&o);
	buf_free(&again);
	return ret;
}

