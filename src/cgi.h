/* cgi: the plain CGI front end: one request from the environment and
 * stdin, the answer on stdout, then exit. */
#ifndef THANOS_FCGI_CGI_H
#define THANOS_FCGI_CGI_H

#include "conf.h"
#include "upstream.h"

/* Serves the request described by envp. Returns the process exit status. */
int cgi_run(const struct conf *c, struct upstream_pool *pool, char *const envp[]);

/* Answers the CGI request with 500 and "thanos-fcgi: LINE" (a bad setting:
 * the visitor of a shared host may have no access to the error log). */
void cgi_fail(const char *line);

#endif
