/* SPDX-License-Identifier: MIT */
/*
 * The one clock of libdss: seconds on the monotonic clock, for timeouts,
 * deadlines, rates and progress, and a sleep measured in the same unit;
 * and seconds on the wall clock, for what other processes must read the
 * same way (lease expiries in the database).  Wall-clock dates a server
 * sends are compared with time(2)'s.
 */
#ifndef DSS_CLOCK_H
#define DSS_CLOCK_H

/* Seconds on the monotonic clock, from an arbitrary origin. */
double dss_clock_now(void);

/* Seconds since the Epoch on the wall clock, which every process on the
 * machine shares, to the nanosecond the system gives. */
double dss_clock_wall(void);

/*
 * Sleeps for seconds (nothing when it is not positive).  A signal caught
 * meanwhile ends the sleep early, so that a caller's loop can look at
 * its stop flag at once; callers that must wait the whole time loop on
 * dss_clock_now().
 */
void dss_clock_sleep(double seconds);

#endif
