/* SPDX-License-Identifier: MIT */
/* Token buckets and AIMD concurrency. */
#include "ratelimit.h"

void
dss_bucket_init(struct dss_bucket *b, double per_minute, double now)
{
	b->rate = per_minute > 0 ? per_minute / 60.0 : 0;
	b->capacity = b->rate > 1 ? b->rate : 1;
	b->level = b->capacity;
	b->last = now;
}

static void
refill(struct dss_bucket *b, double now)
{
	if (now > b->last) {
		b->level += (now - b->last) * b->rate;
		if (b->level > b->capacity)
			b->level = b->capacity;
	}
	b->last = now;
}

double
dss_bucket_wait(struct dss_bucket *b, double n, double now)
{
	double need;

	if (b->rate <= 0)
		return 0;
	refill(b, now);
	need = n < b->capacity ? n : b->capacity;
	if (b->level >= need)
		return 0;
	return (need - b->level) / b->rate;
}

void
dss_bucket_take(struct dss_bucket *b, double n, double now)
{
	if (b->rate <= 0)
		return;
	refill(b, now);
	b->level -= n;
}

void
dss_bucket_refund(struct dss_bucket *b, double n, double now)
{
	if (b->rate <= 0)
		return;
	refill(b, now);
	b->level += n;
	if (b->level > b->capacity)
		b->level = b->capacity;
}

void
dss_aimd_init(struct dss_aimd *a, int max)
{
	a->max = max > 0 ? max : 1;
	a->limit = a->max;
	a->last_cut = -1e18;
}

void
dss_aimd_throttled(struct dss_aimd *a, double now)
{
	if (now - a->last_cut < 1.0)
		return;
	a->last_cut = now;
	a->limit /= 2;
	if (a->limit < 1)
		a->limit = 1;
}

void
dss_aimd_success(struct dss_aimd *a)
{
	a->limit += 1.0 / a->limit;
	if (a->limit > a->max)
		a->limit = a->max;
}

int
dss_aimd_limit(const struct dss_aimd *a)
{
	int n = (int)a->limit;

	return n < 1 ? 1 : n;
}
