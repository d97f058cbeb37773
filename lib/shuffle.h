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

/*
 * The three for generator NAME (struct dss_NAME, drawn by dss_NAME_next32
 * and dss_NAME_next64, seeded by dss_NAME_seed from a SEED_T):
 * dss_NAME_interval(g, max), dss_NAME_shuffle(g, a, n) and
 * dss_NAME_permutation(seed, perm, n).  DSS_SHUFFLE_DECLARE goes in the
 * generator's header, DSS_SHUFFLE_DEFINE once in its source.
 */
#define DSS_SHUFFLE_DECLARE(NAME, SEED_T) \
	uint64_t dss_##NAME##_interval(struct dss_##NAME *g, uint64_t max); \
	void dss_##NAME##_shuffle(struct dss_##NAME *g, size_t *a, size_t n); \
	void dss_##NAME##_permutation(SEED_T seed, size_t *perm, size_t n)

#define DSS_SHUFFLE_DEFINE(NAME, SEED_T) \
static uint32_t \
NAME##_draw32(void *g) \
{ \
	return dss_##NAME##_next32(g); \
} \
static uint64_t \
NAME##_draw64(void *g) \
{ \
	return dss_##NAME##_next64(g); \
} \
uint64_t \
dss_##NAME##_interval(struct dss_##NAME *g, uint64_t max) \
{ \
	struct dss_bits b = { g, NAME##_draw32, NAME##_draw64 }; \
	return dss_bits_interval(&b, max); \
} \
void \
dss_##NAME##_shuffle(struct dss_##NAME *g, size_t *a, size_t n) \
{ \
	struct dss_bits b = { g, NAME##_draw32, NAME##_draw64 }; \
	dss_bits_shuffle(&b, a, n); \
} \
void \
dss_##NAME##_permutation(SEED_T seed, size_t *perm, size_t n) \
{ \
	struct dss_##NAME g; \
	struct dss_bits b = { &g, NAME##_draw32, NAME##_draw64 }; \
	dss_##NAME##_seed(&g, seed); \
	dss_bits_permutation(&b, perm, n); \
}

#endif
