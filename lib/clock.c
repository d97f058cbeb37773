/* SPDX-License-Identifier: MIT */
/* The monotonic clock, the wall clock, and sleeping by the first. */
#include <time.h>

#include "clock.h"

static double
seconds_on(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
dss_clock_now(void)
{
	return seconds_on(CLOCK_MONOTONIC);
}

double
dss_clock_wall(void)
{
	return seconds_on(CLOCK_REALTIME);
}

void
dss_clock_sleep(double seconds)
{
	struct timespec ts;

	if (!(seconds > 0))
		return;
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}
