/*
 * check_url: `thanos-fcgi check --url URL`: the two requests of check_web.h
 * through the real web server (libcurl: http and https only, no redirect
 * followed, the system CA store, a time bound), their findings added to
 * the report.
 */
#ifndef THANOS_FCGI_CHECK_URL_H
#define THANOS_FCGI_CHECK_URL_H

#include "buf.h"
#include "check_probe.h"
#include "conf.h"

/*
 * Asks url (http(s)://[user:password@]host[:port]/prefix/) with c's
 * --web.check-token into rep->web (rep->have_web set).  Returns 0, or -1
 * with err when url is not an http(s) URL.
 */
int check_url_run(const struct conf *c, const char *url, struct check_report *rep,
		  char *err, size_t errlen);

/* The path of an http(s) URL, normalised, into prefix; 0, or -1 when url
 * is not one. */
int check_url_prefix(const char *url, struct buf *prefix);

#endif
