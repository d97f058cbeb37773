/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the one retry policy (lib/retry.c), table-driven: which
 * statuses are retried, Retry-After in every form RFC 9110 has recipients
 * accept, OpenAI reset durations, RFC 3339 reset times, the cap on a
 * server's wait, backoff bounds, and the verdict for fetch's policy (a
 * long wait is cut) and dss-teach's (a long wait gives up).
 */
#include <stdio.h>

#include "../../lib/retry.h"
#include "tap.h"

/* Wed, 21 Oct 2015 07:28:00 GMT */
#define NOW ((time_t)1445412480)

static void
test_status(void)
{
	static const struct { long status; int retry, throttle; } t[] = {
		{ 200, 0, 0 }, { 301, 0, 0 }, { 400, 0, 0 }, { 401, 0, 0 },
		{ 403, 0, 0 }, { 404, 0, 0 }, { 408, 1, 0 }, { 409, 1, 0 },
		{ 410, 0, 0 }, { 416, 0, 0 }, { 425, 1, 0 }, { 429, 1, 1 },
		{ 500, 1, 0 }, { 502, 1, 0 }, { 503, 1, 1 }, { 504, 1, 0 },
		{ 529, 1, 1 }, { 599, 1, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ok(dss_retry_status(t[i].status) == t[i].retry,
		    "status %ld: %s", t[i].status, t[i].retry ? "retried" : "final");
		ok(dss_retry_throttle(t[i].status) == t[i].throttle,
		    "status %ld: %sa throttle", t[i].status,
		    t[i].throttle ? "" : "not ");
	}
}

static void
test_retry_after(void)
{
	static const struct { const char *v; int ok; double s; } t[] = {
		{ "2", 1, 2 },
		{ " 1.5 ", 1, 1.5 },
		{ "0", 1, 0 },
		{ "315360000", 1, 315360000 },
		{ "Wed, 21 Oct 2015 07:28:30 GMT", 1, 30 },
		{ "Wed, 21 Oct 2015 07:00:00 GMT", 1, 0 },	/* past: now */
		{ "wed, 21 oct 2015 07:29:00 GMT", 1, 60 },
		{ "Wednesday, 21-Oct-15 07:28:30 GMT", 1, 30 },	/* RFC 850 */
		{ "Wed Oct 21 07:28:30 2015", 1, 30 },		/* asctime */
		{ "Wed Oct  21 07:28:10 2015", 1, 10 },
		{ "soon", 0, 0 },
		{ "-1", 0, 0 },
		{ "2 s", 0, 0 },
		{ "", 0, 0 },
		{ "Wed, 21 Foo 2015 07:28:30 GMT", 0, 0 },
		{ "Wed, 21 Oct 2015 25:00:00 GMT", 0, 0 },
		{ "Wed, 32 Oct 2015 07:28:30 GMT", 0, 0 },
		{ "Wednesday, 21-Oct-2015 07:28:30 GMT", 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		double s = -7;
		int r = dss_retry_after(t[i].v, NOW, &s);

		if (t[i].ok)
			ok(r == 0 && s == t[i].s, "Retry-After '%s': %g s (got %g)",
			    t[i].v, t[i].s, s);
		else
			ok(r < 0 && s == -7, "Retry-After '%s': rejected", t[i].v);
	}
}

static void
test_duration(void)
{
	static const struct { const char *v; int ok; double s; } t[] = {
		{ "1s", 1, 1 }, { "6m0s", 1, 360 }, { "250ms", 1, 0.25 },
		{ "1h2m3.5s", 1, 3723.5 }, { "20us", 1, 0.00002 },
		{ "3", 1, 3 }, { " 2s ", 1, 2 },
		{ "", 0, 0 }, { "5x", 0, 0 }, { "m", 0, 0 }, { "-1s", 0, 0 },
		{ "1s2", 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		double s = -7;
		int r = dss_retry_duration(t[i].v, &s);

		if (t[i].ok)
			ok(r == 0 && s > t[i].s - 1e-9 && s < t[i].s + 1e-9,
			    "duration '%s': %g s (got %g)", t[i].v, t[i].s, s);
		else
			ok(r < 0, "duration '%s': rejected", t[i].v);
	}
}

static void
test_rfc3339(void)
{
	static const struct { const char *v; int ok; double s; } t[] = {
		{ "2015-10-21T07:28:10Z", 1, 10 },
		{ "2015-10-21T09:28:10.5+02:00", 1, 10.5 },
		{ "2015-10-21T02:28:20-05:00", 1, 20 },
		{ "2015-10-21 07:28:40z", 1, 40 },
		{ "2015-10-21T07:00:00Z", 1, 0 },
		{ "tomorrow", 0, 0 },
		{ "2015-10-21T07:28:10", 0, 0 },
		{ "2015-13-21T07:28:10Z", 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		double s = -7;
		int r = dss_retry_rfc3339(t[i].v, NOW, &s);

		if (t[i].ok)
			ok(r == 0 && s == t[i].s, "RFC 3339 '%s': %g s (got %g)",
			    t[i].v, t[i].s, s);
		else
			ok(r < 0, "RFC 3339 '%s': rejected", t[i].v);
	}
}

static void
test_cap(void)
{
	static const struct { double asked, cap; enum dss_wait w; } t[] = {
		{ -1, 300, DSS_WAIT_NONE },
		{ 0, 300, DSS_WAIT_OK },
		{ 2, 300, DSS_WAIT_OK },
		{ 300, 300, DSS_WAIT_OK },
		{ 300.5, 300, DSS_WAIT_OVER_CAP },
		{ 315360000, 300, DSS_WAIT_OVER_CAP },
		{ 1, 0, DSS_WAIT_OVER_CAP },
		{ 1, -5, DSS_WAIT_OVER_CAP },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		double s = -7;
		enum dss_wait w = dss_retry_cap(t[i].asked, t[i].cap, &s);

		ok(w == t[i].w && (w == DSS_WAIT_NONE || s == t[i].asked),
		    "cap %g of %g s: %d (got %d, %g)", t[i].asked, t[i].cap,
		    (int)t[i].w, (int)w, s);
	}
}

static void
test_backoff(void)
{
	static const struct { int attempt; double base, cap, d; } t[] = {
		{ 1, 0.5, 30, 0.5 }, { 2, 0.5, 30, 1 }, { 3, 0.5, 30, 2 },
		{ 7, 0.5, 30, 30 }, { 12, 0.5, 30, 30 }, { 1, 1, 60, 1 },
		{ 6, 1, 60, 32 }, { 7, 1, 60, 60 }, { 40, 1, 60, 60 },
		{ 3, 0, 60, 0 },
	};
	unsigned int seed = 1;
	size_t i;
	int k;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int in = 1;

		for (k = 0; k < 200; k++) {
			double d = dss_retry_backoff(t[i].attempt, t[i].base,
			    t[i].cap, &seed);

			if (d < t[i].d / 2 || d > t[i].d)
				in = 0;
		}
		ok(in, "backoff %d from %g s up to %g s: within [%g, %g]",
		    t[i].attempt, t[i].base, t[i].cap, t[i].d / 2, t[i].d);
	}
}

static void
test_next(void)
{
	/* dss-fetch's numbers (4 retries, 1 s to 60 s, a wait cut to 300 s)
	 * and dss-teach's (6 retries, 0.5 s to 60 s, --max-wait 300) */
	static const struct dss_retry fetch = { 4, 1, 60, 300, 1 };
	static const struct dss_retry teach = { 6, 0.5, 60, 300, 0 };
	static const struct dss_retry none = { 0, 1, 60, 300, 0 };
	static const struct {
		const struct dss_retry *p;
		const char *name;
		int attempt;
		double asked;
		enum dss_retry_verdict v;
		double lo, hi;		/* the seconds expected */
	} t[] = {
		{ &fetch, "fetch", 1, -1, DSS_RETRY_WAIT, 0.5, 1 },
		{ &fetch, "fetch", 3, -1, DSS_RETRY_WAIT, 2, 4 },
		{ &fetch, "fetch", 4, -1, DSS_RETRY_WAIT, 4, 8 },
		{ &fetch, "fetch", 1, 30, DSS_RETRY_WAIT, 30, 30 },
		{ &fetch, "fetch", 1, 0, DSS_RETRY_WAIT, 0, 0 },
		{ &fetch, "fetch", 2, 315360000, DSS_RETRY_WAIT, 300, 300 },
		{ &fetch, "fetch", 5, -1, DSS_RETRY_GIVE_UP, 0, 0 },
		{ &fetch, "fetch", 5, 2, DSS_RETRY_GIVE_UP, 0, 0 },
		{ &teach, "teach", 1, -1, DSS_RETRY_WAIT, 0.25, 0.5 },
		{ &teach, "teach", 6, 300, DSS_RETRY_WAIT, 300, 300 },
		{ &teach, "teach", 1, 301, DSS_RETRY_TOO_LONG, 301, 301 },
		{ &teach, "teach", 7, 315360000, DSS_RETRY_TOO_LONG, 315360000,
		    315360000 },
		{ &teach, "teach", 7, 1, DSS_RETRY_GIVE_UP, 0, 0 },
		{ &none, "no retries", 1, -1, DSS_RETRY_GIVE_UP, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		unsigned int seed = 7;
		double s = -7;
		enum dss_retry_verdict v = dss_retry_next(t[i].p, t[i].attempt,
		    t[i].asked, &seed, &s);

		ok(v == t[i].v && (v == DSS_RETRY_GIVE_UP ||
		    (s >= t[i].lo && s <= t[i].hi)),
		    "%s: retry %d, asked %g: verdict %d in [%g, %g] (got %d, %g)",
		    t[i].name, t[i].attempt, t[i].asked, (int)t[i].v, t[i].lo,
		    t[i].hi, (int)v, s);
	}
}

int
main(void)
{
	test_status();
	test_retry_after();
	test_duration();
	test_rfc3339();
	test_cap();
	test_backoff();
	test_next();
	return done();
}
