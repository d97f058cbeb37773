/* SPDX-License-Identifier: MIT */
/*
 * Rate limiting for the teacher: token buckets for requests and tokens
 * per minute and an additive-increase multiplicative-decrease (AIMD)
 * limit on concurrency.  When to retry, and how long to wait, is
 * retry.h's.  Time is passed in explicitly, as
 * seconds on any monotonic scale, so the arithmetic is testable with an
 * injected clock.  Nothing here allocates.
 */
#ifndef DSS_RATELIMIT_H
#define DSS_RATELIMIT_H

/*
 * A token bucket refilled at per_minute/60 tokens a second and holding at
 * most one second's worth (at least one request's worth), so that a fresh
 * run does not burst a whole minute's quota at once.  A bucket with a
 * rate of 0 is unlimited.  The level may go negative: a request larger
 * than the capacity waits for a full bucket and then takes what it needs.
 */
struct dss_bucket {
	double rate;		/* tokens per second; 0 = unlimited */
	double capacity;
	double level;
	double last;		/* time of the last refill */
};

void dss_bucket_init(struct dss_bucket *b, double per_minute, double now);
/*
 * Seconds until n tokens can be taken (0 when they can be taken now).
 */
double dss_bucket_wait(struct dss_bucket *b, double n, double now);
/* Takes n tokens (the level may go below zero). */
void dss_bucket_take(struct dss_bucket *b, double n, double now);
/* Gives back n tokens, e.g. when an estimate was too high. */
void dss_bucket_refund(struct dss_bucket *b, double n, double now);

/*
 * AIMD concurrency: the limit starts at max, halves (at most once per
 * second) on each throttle and grows by 1/limit on each success, so it
 * regains one slot per window of successful requests.
 */
struct dss_aimd {
	double limit;
	int max;
	double last_cut;
};

void dss_aimd_init(struct dss_aimd *a, int max);
void dss_aimd_throttled(struct dss_aimd *a, double now);
void dss_aimd_success(struct dss_aimd *a);
/* The current whole number of requests allowed in flight (>= 1). */
int dss_aimd_limit(const struct dss_aimd *a);

#endif
