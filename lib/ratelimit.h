/* SPDX-License-Identifier: MIT */
/*
 * Rate limiting for the teacher: token buckets for requests and tokens
 * per minute, an additive-increase multiplicative-decrease (AIMD) limit
 * on concurrency, exponential backoff with jitter, and parsers for the
 * headers providers send when they throttle (Retry-After as seconds or
 * an HTTP date, OpenAI reset durations such as "6m0s" or "250ms",
 * Anthropic RFC 3339 reset times).  Time is passed in explicitly, as
 * seconds on any monotonic scale, so the arithmetic is testable with an
 * injected clock.  Nothing here allocates.
 */
#ifndef DSS_RATELIMIT_H
#define DSS_RATELIMIT_H

#include <time.h>

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

/*
 * Parses a Retry-After value: delta seconds ("2", "1.5") or an HTTP date
 * ("Wed, 21 Oct 2015 07:28:00 GMT"), relative to the wall clock now.
 * Stores seconds to wait (never negative) and returns 0, or returns -1.
 */
int dss_ratelimit_retry_after(const char *value, time_t now, double *seconds);
/*
 * Parses a Go-style duration as OpenAI sends in x-ratelimit-reset-*:
 * "1s", "6m0s", "250ms", "1h2m3.5s", "20us".  Returns 0 or -1.
 */
int dss_ratelimit_duration(const char *value, double *seconds);
/*
 * Parses an RFC 3339 time ("2024-05-01T12:00:30Z", fraction and offset
 * allowed) into seconds from now (never negative).  Returns 0 or -1.
 */
int dss_ratelimit_rfc3339(const char *value, time_t now, double *seconds);

/*
 * The one rule for a wait a server asks for (Retry-After, a reset time):
 * a wait up to cap seconds is honoured, a longer one is refused, never
 * slept through.  asked < 0 means the server asked for nothing.  Returns
 * DSS_WAIT_NONE, DSS_WAIT_OK with *seconds to wait, or DSS_WAIT_OVER_CAP
 * with *seconds as asked (for the message).
 */
enum dss_wait { DSS_WAIT_NONE, DSS_WAIT_OK, DSS_WAIT_OVER_CAP };
enum dss_wait dss_ratelimit_cap(double asked, double cap, double *seconds);

/*
 * Parses a Retry-After value (as dss_ratelimit_retry_after) and applies
 * the cap (as dss_ratelimit_cap); an unparsable value is DSS_WAIT_NONE.
 */
enum dss_wait dss_ratelimit_retry_after_capped(const char *value, time_t now,
    double cap, double *seconds);

/*
 * The delay before retry number attempt (1-based): base * 2^(attempt-1),
 * capped at cap, with "equal jitter" (half fixed, half uniform random
 * from *seed), so that clients throttled together do not retry together.
 */
double dss_ratelimit_backoff(int attempt, double base, double cap,
    unsigned int *seed);

#endif
