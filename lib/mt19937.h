/* SPDX-License-Identifier: MIT */
/*
 * The Mersenne Twister MT19937, seeded and drawn exactly as numpy's
 * legacy numpy.random.RandomState does, so that splits the original work
 * made with RandomState(seed).permutation(n) can be reproduced bit for
 * bit without numpy.  An integer seed goes through init_genrand; bounded
 * draws use numpy's masked rejection sampling (32-bit draws while the
 * bound fits); shuffling is Fisher-Yates from the last element down.
 */
#ifndef DSS_MT19937_H
#define DSS_MT19937_H

#include <stddef.h>
#include <stdint.h>

#include "shuffle.h"

#define DSS_MT19937_N 624

struct dss_mt19937 {
	uint32_t mt[DSS_MT19937_N];
	int pos;
};

/* Seeds m as RandomState(seed) does for an integer seed. */
void dss_mt19937_seed(struct dss_mt19937 *m, uint32_t seed);
/* The next 32 random bits. */
uint32_t dss_mt19937_next32(struct dss_mt19937 *m);
/* The next 64 random bits: two 32-bit draws, the first in the high half. */
uint64_t dss_mt19937_next64(struct dss_mt19937 *m);
/*
 * numpy's legacy random_interval, RandomState.shuffle of a 1-d array and
 * RandomState(seed).permutation(n): lib/shuffle over m's draws.
 */
DSS_SHUFFLE_DECLARE(mt19937, uint32_t);

#endif
