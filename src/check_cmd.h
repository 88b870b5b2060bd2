/*
 * check_cmd: `thanos-fcgi check [--format text|json] [--url URL] [options]`
 * and the same check at start-up of a FastCGI process, in a thread of its
 * own so that the first request is never held (its findings go to the log
 * as LOG_WARN lines).
 */
#ifndef THANOS_FCGI_CHECK_CMD_H
#define THANOS_FCGI_CHECK_CMD_H

#include "conf.h"

/*
 * Runs the subcommand; argv[0] is "check".  Returns the exit status: 0
 * when everything is right, 1 when something is not, 2 when the settings
 * or the command line are bad.
 */
int check_main(int argc, char **argv, char **envp);

struct check_bg;

/*
 * Starts the start-up check of c in a thread (c's strings are copied: c
 * may go before the thread ends).  Returns its handle, or NULL when
 * c->check_on_start is off or no thread could be made (logged).
 */
struct check_bg *check_bg_start(const struct conf *c);

/* Aborts the check if it still runs (within a second), waits for its
 * thread and frees it.  NULL-safe. */
void check_bg_stop(struct check_bg *bg);

#endif
