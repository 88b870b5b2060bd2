/* stopsig: the stop signals, held and waited for (stopsig.h). */
#include "stopsig.h"

#include <pthread.h>
#include <signal.h>

static void stop_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

void stopsig_hold(void)
{
	sigset_t set;

	stop_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

void stopsig_release(void)
{
	sigset_t set;

	stop_set(&set);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

int stopsig_wait(void)
{
	sigset_t set;
	int sig = 0;

	stop_set(&set);
	do {
		if (sigwait(&set, &sig) != 0)
			sig = 0;
	} while (sig != SIGTERM && sig != SIGINT);
	return sig;
}
