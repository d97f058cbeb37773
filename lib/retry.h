/* SPDX-License-Identifier: MIT */
/*
 * The one retry policy of libdss, for dataset downloads (fetch.c) and
 * teacher requests (teach.c, batch.c): which HTTP statuses a retry may
 * cure, exponential backoff with jitter, the parsers for the waits that
 * servers ask for (Retry-After as delta seconds or an HTTP date, OpenAI's
 * x-ratelimit-reset-* durations such as "6m0s" or "250ms", Anthropic's
 * RFC 3339 reset times), and the cap on such a wait.  Each caller keeps
 * its own numbers (retries, backoff base and cap, the longest wait) in a
 * struct dss_retry; the rules are here.  Pure arithmetic: the wall clock
 * is passed in, nothing sleeps or allocates.
 */
#ifndef DSS_RETRY_H
#define DSS_RETRY_H

#include <time.h>

/*
 * True for an HTTP status that a later attempt may not get: 408, 409,
 * 425, 429 and every 5xx.  Other statuses would come back the same.
 */
int dss_retry_status(long status);
/* True for a status that says "too many requests": 429, 503 and 529. */
int dss_retry_throttle(long status);

/*
 * The delay in seconds before retry number attempt (1-based): base *
 * 2^(attempt-1), capped at cap, with "equal jitter" (half fixed, half
 * uniform random from *seed), so that clients throttled together do not
 * retry together.  The result lies in [d/2, d] for that d.
 */
double dss_retry_backoff(int attempt, double base, double cap,
    unsigned int *seed);

/*
 * Parses a Retry-After value: delta seconds ("2", "1.5") or an HTTP date
 * in any form RFC 9110 has recipients accept (IMF-fixdate "Wed, 21 Oct
 * 2015 07:28:00 GMT", RFC 850 "Wednesday, 21-Oct-15 07:28:00 GMT",
 * asctime "Wed Oct 21 07:28:00 2015"), relative to the wall clock now.  Stores seconds to wait (never negative) and returns 0, or
 * returns -1.
 */
int dss_retry_after(const char *value, time_t now, double *seconds);
/*
 * Parses a Go-style duration as OpenAI sends in x-ratelimit-reset-*:
 * "1s", "6m0s", "250ms", "1h2m3.5s", "20us"; a bare number is seconds.
 * Returns 0 or -1.
 */
int dss_retry_duration(const char *value, double *seconds);
/*
 * Parses an RFC 3339 time ("2024-05-01T12:00:30Z", fraction and offset
 * allowed) into seconds from now (never negative).  Returns 0 or -1.
 */
int dss_retry_rfc3339(const char *value, time_t now, double *seconds);

/*
 * The rule for a wait a server asks for (Retry-After, a reset time)
 * against a cap: asked < 0 means the server asked for nothing
 * (DSS_WAIT_NONE); a wait up to cap seconds is DSS_WAIT_OK; a longer one
 * is DSS_WAIT_OVER_CAP.  *seconds is set to asked in both of the latter.
 */
enum dss_wait { DSS_WAIT_NONE, DSS_WAIT_OK, DSS_WAIT_OVER_CAP };
enum dss_wait dss_retry_cap(double asked, double cap, double *seconds);

/* A caller's numbers for dss_retry_next. */
struct dss_retry {
	int retries;		/* retries after the first attempt, >= 0 */
	double base;		/* backoff before the first retry, seconds */
	double cap;		/* the longest backoff, seconds */
	double max_wait;	/* the longest wait a server may ask for */
	int cut;		/* a longer ask: wait max_wait (1) or give up (0) */
};

enum dss_retry_verdict {
	DSS_RETRY_WAIT,		/* retry after *seconds */
	DSS_RETRY_GIVE_UP,	/* no retries left */
	DSS_RETRY_TOO_LONG,	/* the server asked for *seconds, over max_wait */
};

/*
 * Decides retry number attempt (1-based) of a request that failed in a
 * way a retry may cure, after the server asked for asked seconds (< 0:
 * nothing asked).  An ask over p->max_wait is cut to it when p->cut, else
 * DSS_RETRY_TOO_LONG (even with retries left, so the message can say
 * why).  Past p->retries: DSS_RETRY_GIVE_UP.  Otherwise DSS_RETRY_WAIT
 * with *seconds the ask, or the backoff when nothing was asked.
 */
enum dss_retry_verdict dss_retry_next(const struct dss_retry *p, int attempt,
    double asked, unsigned int *seed, double *seconds);

#endif
