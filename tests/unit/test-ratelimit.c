/* SPDX-License-Identifier: MIT */
/* Unit tests for rate limiting: token buckets and AIMD on an injected clock. */
#include "../../lib/ratelimit.h"
#include "tap.h"

static void
test_buckets(void)
{
	struct dss_bucket b;
	struct dss_aimd a;
	int i;

	dss_bucket_init(&b, 60, 100.0);
	ok(dss_bucket_wait(&b, 1, 100.0) == 0, "bucket: 60 rpm starts with one request");
	dss_bucket_take(&b, 1, 100.0);
	ok(dss_bucket_wait(&b, 1, 100.0) == 1.0, "bucket: then waits 1 s");
	ok(dss_bucket_wait(&b, 1, 100.5) == 0.5, "bucket: half a second later, 0.5 s");
	ok(dss_bucket_wait(&b, 1, 101.0) == 0, "bucket: refilled after 1 s");
	dss_bucket_init(&b, 6000, 0);
	is_int((long long)b.capacity, 100, "bucket: holds one second's worth");
	dss_bucket_take(&b, 100, 0);
	ok(dss_bucket_wait(&b, 50, 0.25) == 0.25, "bucket: 6000/min refills 100/s");
	ok(dss_bucket_wait(&b, 500, 0.25) == 0.75,
	    "bucket: a request over capacity waits for a full bucket");
	dss_bucket_take(&b, 500, 1.0);
	ok(b.level == -400, "bucket: and then goes into debt");
	dss_bucket_refund(&b, 450, 1.0);
	ok(b.level == 50, "bucket: refunds an overestimate");
	dss_bucket_init(&b, 0, 0);
	dss_bucket_take(&b, 1e9, 0);
	ok(dss_bucket_wait(&b, 1e9, 0) == 0, "bucket: rate 0 is unlimited");

	dss_aimd_init(&a, 64);
	is_int(dss_aimd_limit(&a), 64, "aimd: starts at the maximum");
	dss_aimd_throttled(&a, 10.0);
	is_int(dss_aimd_limit(&a), 32, "aimd: halves when throttled");
	dss_aimd_throttled(&a, 10.5);
	is_int(dss_aimd_limit(&a), 32, "aimd: at most one cut a second");
	dss_aimd_throttled(&a, 11.5);
	is_int(dss_aimd_limit(&a), 16, "aimd: cuts again a second later");
	for (i = 0; i < 16; i++)
		dss_aimd_success(&a);
	is_int(dss_aimd_limit(&a), 16, "aimd: a window of successes adds about one");
	for (i = 0; i < 10000; i++)
		dss_aimd_success(&a);
	is_int(dss_aimd_limit(&a), 64, "aimd: grows back to the maximum, no further");
	for (i = 0; i < 20; i++)
		dss_aimd_throttled(&a, 20.0 + 2 * i);
	is_int(dss_aimd_limit(&a), 1, "aimd: never below one");
}

int
main(void)
{
	test_buckets();
	return done();
}
