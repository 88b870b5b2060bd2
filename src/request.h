/*
 * request: the CGI variables of one request, read once.  The front end
 * (cgi.c, fcgi.c) calls request_read(); everything after it (route,
 * relay, reqhdr) reads the fields and never searches the variables again.
 * Pure: no libcurl, no libfcgi.
 *
 * The strings point into the variables ("NAME=VALUE", NULL-ended), which
 * must outlive the request.  A named field holds the first variable of
 * that name, NULL when there is none.  The lists grow with the variables,
 * which the front end bounds (fcgi.c: params_max; CGI: the environment).
 */
#ifndef THANOS_FCGI_REQUEST_H
#define THANOS_FCGI_REQUEST_H

#include <stddef.h>

struct request_list {
	const char **v;
	size_t n, cap;
};

struct request {
	const char *method;            /* REQUEST_METHOD; "GET" when absent */
	const char *uri;               /* REQUEST_URI */
	const char *script_name;       /* SCRIPT_NAME */
	const char *path_info;         /* PATH_INFO */
	const char *query;             /* QUERY_STRING */
	const char *content_length;    /* CONTENT_LENGTH, as sent */
	const char *content_type;      /* CONTENT_TYPE */
	const char *remote_addr;       /* REMOTE_ADDR */
	const char *remote_user;       /* REMOTE_USER, the server's login */
	const char *https;             /* HTTPS */
	const char *scheme;            /* REQUEST_SCHEME */
	const char *host;              /* HTTP_HOST */
	const char *xff;               /* HTTP_X_FORWARDED_FOR */
	const char *accept;            /* HTTP_ACCEPT */
	const char *transfer_encoding; /* HTTP_TRANSFER_ENCODING */
	struct request_list http;      /* every HTTP_* variable, "NAME=value" */
	struct request_list conn;      /* the value of every HTTP_CONNECTION */
	struct request_list overlay;   /* every THANOS_FCGI_* variable, in order */
};

void request_init(struct request *rq);
void request_free(struct request *rq);

/* Reads vars into rq (its lists reused).  overlay 1: collects the
 * THANOS_FCGI_* variables (FastCGI request parameters); 0 under CGI,
 * where they are the environment the settings were read from. */
void request_read(struct request *rq, char *const vars[], int overlay);

/* The name a log line gives the request: REQUEST_URI, else SCRIPT_NAME,
 * else "-".  Never NULL. */
const char *request_name(const struct request *rq);

#endif
