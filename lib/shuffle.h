/* SPDX-License-Identifier: MIT */
/*
 * What numpy does with random bits, whichever generator makes them:
 * a uniform integer in [0, max] by masked rejection sampling (numpy's
 * random_interval), a Fisher-Yates shuffle drawing from it (shuffle of a
 * 1-d array), and a permutation of 0..n-1.  lib/mt19937 (RandomState)
 * and lib/pcg64 (default_rng) hand their draws over in a struct dss_bits.
 */
#ifndef DSS_SHUFFLE_H
#define DSS_SHUFFLE_H

#include <stddef.h>
#include <stdint.h>

/* A generator and its two draws; gen is the caller's, passed to both. */
struct dss_bits {
	void *gen;
	uint32_t (*next32)(void *gen);
	uint64_t (*next64)(void *gen);
};

/*
 * A uniform integer in [0, max]: draws 32 bits at a time while max fits
 * in 32 bits, else 64, each masked to max's bit length, until one is not
 * above max.
 */
uint64_t dss_bits_interval(const struct dss_bits *b, uint64_t max);
/* Shuffles a[0..n-1] in place, from the last element down. */
void dss_bits_shuffle(const struct dss_bits *b, size_t *a, size_t n);
/* Fills perm[0..n-1] (caller-owned) with 0..n-1, then shuffles it. */
void dss_bits_permutation(const struct dss_bits *b, size_t *perm, size_t n);

#endif
