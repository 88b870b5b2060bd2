/* stopsig: the stop signals of a FastCGI process (SIGTERM, SIGINT, SIGHUP),
 * held pending from before the process can be reached and taken by one
 * thread with sigwait: a stop asked for while the process starts is neither
 * lost in libfcgi's handler nor the default action. */
#ifndef THANOS_FCGI_STOPSIG_H
#define THANOS_FCGI_STOPSIG_H

/* Holds the stop signals back in this thread and in the threads it starts
 * from then on. */
void stopsig_hold(void);

/* Lets them act again (a CGI program dies on its server's SIGTERM). */
void stopsig_release(void);

/* Waits, the signals held, until SIGTERM or SIGINT comes (SIGHUP: nothing
 * to reload); returns it. */
int stopsig_wait(void);

#endif
