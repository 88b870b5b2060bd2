/*
 * method: what the request method allows.  Pure: no I/O.
 */
#ifndef THANOS_FCGI_METHOD_H
#define THANOS_FCGI_METHOD_H

/* 1 when m is an HTTP token (RFC 9110 5.6.2): what a method may be. */
int method_is_token(const char *m);

/* 1 when a request with method m may be sent to a second replica after
 * the first failed: nginx's proxy_next_upstream rule (not POST, PATCH,
 * LOCK). */
int method_may_repeat(const char *m);

#endif
