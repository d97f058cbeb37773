/* SPDX-License-Identifier: MIT */
/*
 * The one clock of libdss: seconds on the monotonic clock, for timeouts,
 * deadlines, rates and progress, and a sleep measured in the same unit.
 * Wall-clock time (for dates a server sends) is time(2)'s.
 */
#ifndef DSS_CLOCK_H
#define DSS_CLOCK_H

/* Seconds on the monotonic clock, from an arbitrary origin. */
double dss_clock_now(void);

/*
 * Sleeps for seconds (nothing when it is not positive).  A signal caught
 * meanwhile ends the sleep early, so that a caller's loop can look at
 * its stop flag at once; callers that must wait the whole time loop on
 * dss_clock_now().
 */
void dss_clock_sleep(double seconds);

#endif
