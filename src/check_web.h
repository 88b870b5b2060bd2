/*
 * check_web: what `thanos-fcgi check --url` saw through the web server ->
 * findings (pure; the requests are check_url.c).  Two requests go to the
 * public URL: URL/-/thanos-fcgi/check and URL/-/thanos-fcgi/check/a%2Fb,
 * each with the check token and an Authorization header; the adapter
 * behind the server answers them itself (diag.h) with what it was passed.
 */
#ifndef THANOS_FCGI_CHECK_WEB_H
#define THANOS_FCGI_CHECK_WEB_H

#include <stddef.h>

#include "check_analyze.h"

/* The sub-path of the second request, and what T must then be. */
#define CHECK_WEB_SLASH "/a%2Fb"

struct check_web_answer {
	int curl_rc;        /* 0: answered */
	const char *error;  /* libcurl's cause */
	int code;
	const char *body;   /* the answer's body (bounded), NULL: none */
};

struct check_web_obs {
	const char *url;    /* the public URL as given */
	const char *prefix; /* its path, normalised: the E expected */
	struct check_web_answer plain, slash;
};

/* Fills up to max findings; returns how many. */
size_t check_web_analyze(const struct check_web_obs *o, struct check_finding *f, size_t max);

/* 1 when body is the adapter's check answer. */
int check_web_is_diag(const char *body);

/* The value of "key=value" line key of a check answer into out; 1 when
 * there, 0 (out "") when not. */
int check_web_value(const char *body, const char *key, char *out, size_t n);

#endif
