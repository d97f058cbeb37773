/* SPDX-License-Identifier: MIT */
/*
 * numpy's default generator, numpy.random.default_rng(seed), bit for bit:
 * SeedSequence turns an integer seed into state words, PCG64 (the 128-bit
 * LCG with the XSL-RR output) draws from them, and Generator.permutation
 * shuffles with masked rejection sampling.  Hugging Face's
 * Dataset.train_test_split draws its permutation this way, so the
 * official subsets of the Distilling Step-by-Step code can be reproduced
 * without numpy.  All of it is pure arithmetic: no allocation, no errors.
 */
#ifndef DSS_PCG64_H
#define DSS_PCG64_H

#include <stddef.h>
#include <stdint.h>

#include "shuffle.h"

#define DSS_SEEDSEQ_POOL 4

/* numpy.random.SeedSequence(seed) for a non-negative integer seed. */
struct dss_seedseq {
	uint32_t pool[DSS_SEEDSEQ_POOL];
};

/*
 * Hashes seed into s as SeedSequence(seed) does: the entropy is the
 * seed's 32-bit words, low first (0 is the one word 0).
 */
void dss_seedseq_init(struct dss_seedseq *s, uint64_t seed);
/* SeedSequence.generate_state(n, numpy.uint32): n words into out. */
void dss_seedseq_generate(const struct dss_seedseq *s, uint32_t *out, size_t n);
/*
 * SeedSequence.generate_state(n, numpy.uint64): each word is two of the
 * 32-bit words, the first in the low half.
 */
void dss_seedseq_generate64(const struct dss_seedseq *s, uint64_t *out,
    size_t n);

/* The PCG64 state: 128-bit state and increment as high and low halves. */
struct dss_pcg64 {
	uint64_t state_hi, state_lo;
	uint64_t inc_hi, inc_lo;
	int has32;		/* the high half of the last output is unused */
	uint32_t next32;	/* that half */
};

/* Seeds g as numpy.random.default_rng(seed) (PCG64(SeedSequence(seed))). */
void dss_pcg64_seed(struct dss_pcg64 *g, uint64_t seed);
/* Seeds g from initstate and initseq as numpy's pcg64_set_seed does. */
void dss_pcg64_set(struct dss_pcg64 *g, uint64_t initstate_hi,
    uint64_t initstate_lo, uint64_t initseq_hi, uint64_t initseq_lo);
/* The next 64-bit output: one LCG step, then XSL-RR. */
uint64_t dss_pcg64_next64(struct dss_pcg64 *g);
/* The next 32 bits: the low half of a new output, then its high half. */
uint32_t dss_pcg64_next32(struct dss_pcg64 *g);
/*
 * numpy's random_interval, Generator.shuffle of a 1-d array and
 * default_rng(seed).permutation(n): lib/shuffle over g's draws.
 */
DSS_SHUFFLE_DECLARE(pcg64, uint64_t);

#endif
