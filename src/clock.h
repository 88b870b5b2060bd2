/* clock: the one clock of timeouts and down marks (monotonic). */
#ifndef THANOS_FCGI_CLOCK_H
#define THANOS_FCGI_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC: only differences mean anything. */
int64_t clock_now_ms(void);

#endif
