/* SPDX-License-Identifier: MIT */
/*
 * SeedSequence, PCG64 and Generator.permutation as numpy defines them
 * (O'Neill's PCG paper for the generator, numpy's documentation of
 * SeedSequence for the seeding), for reproducing default_rng draws.
 */
#include "pcg64.h"
#include "shuffle.h"

__extension__ typedef unsigned __int128 u128;

#define INIT_A 0x43b0d7e5U
#define MULT_A 0x931e8875U
#define INIT_B 0x8b51f9ddU
#define MULT_B 0x58f38dedU
#define MIX_MULT_L 0xca01f9ddU
#define MIX_MULT_R 0x4973f715U
#define XSHIFT 16

#define PCG_MULT_HI 0x2360ed051fc65da4ULL
#define PCG_MULT_LO 0x4385df649fccf645ULL

static uint32_t
hashmix(uint32_t v, uint32_t *a)
{
	v ^= *a;
	*a *= MULT_A;
	v *= *a;
	return v ^ (v >> XSHIFT);
}

static uint32_t
mix(uint32_t x, uint32_t y)
{
	uint32_t r = MIX_MULT_L * x - MIX_MULT_R * y;

	return r ^ (r >> XSHIFT);
}

void
dss_seedseq_init(struct dss_seedseq *s, uint64_t seed)
{
	uint32_t entropy[2], a = INIT_A;
	size_t n = 0, i, src, dst;

	entropy[n++] = (uint32_t)seed;
	if (seed >> 32)
		entropy[n++] = (uint32_t)(seed >> 32);
	for (i = 0; i < DSS_SEEDSEQ_POOL; i++)
		s->pool[i] = hashmix(i < n ? entropy[i] : 0, &a);
	for (src = 0; src < DSS_SEEDSEQ_POOL; src++)
		for (dst = 0; dst < DSS_SEEDSEQ_POOL; dst++)
			if (src != dst)
				s->pool[dst] = mix(s->pool[dst],
				    hashmix(s->pool[src], &a));
	/* Entropy beyond the pool (more than 128 bits) cannot occur here. */
}

/* Output word i of the pool; *b carries the hash constant across words. */
static uint32_t
word(const struct dss_seedseq *s, size_t i, uint32_t *b)
{
	uint32_t v = s->pool[i % DSS_SEEDSEQ_POOL] ^ *b;

	*b *= MULT_B;
	v *= *b;
	return v ^ (v >> XSHIFT);
}

void
dss_seedseq_generate(const struct dss_seedseq *s, uint32_t *out, size_t n)
{
	uint32_t b = INIT_B;
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = word(s, i, &b);
}

void
dss_seedseq_generate64(const struct dss_seedseq *s, uint64_t *out, size_t n)
{
	uint32_t b = INIT_B, lo;
	size_t i;

	for (i = 0; i < n; i++) {
		lo = word(s, 2 * i, &b);
		out[i] = (uint64_t)lo | (uint64_t)word(s, 2 * i + 1, &b) << 32;
	}
}

static u128
join(uint64_t hi, uint64_t lo)
{
	return (u128)hi << 64 | lo;
}

static void
step(struct dss_pcg64 *g)
{
	u128 s = join(g->state_hi, g->state_lo);

	s = s * join(PCG_MULT_HI, PCG_MULT_LO) + join(g->inc_hi, g->inc_lo);
	g->state_hi = (uint64_t)(s >> 64);
	g->state_lo = (uint64_t)s;
}

void
dss_pcg64_set(struct dss_pcg64 *g, uint64_t initstate_hi, uint64_t initstate_lo,
    uint64_t initseq_hi, uint64_t initseq_lo)
{
	u128 inc = join(initseq_hi, initseq_lo) << 1 | 1;
	u128 s;

	g->inc_hi = (uint64_t)(inc >> 64);
	g->inc_lo = (uint64_t)inc;
	g->state_hi = g->state_lo = 0;
	step(g);
	s = join(g->state_hi, g->state_lo) + join(initstate_hi, initstate_lo);
	g->state_hi = (uint64_t)(s >> 64);
	g->state_lo = (uint64_t)s;
	step(g);
	g->has32 = 0;
	g->next32 = 0;
}

void
dss_pcg64_seed(struct dss_pcg64 *g, uint64_t seed)
{
	struct dss_seedseq ss;
	uint64_t w[4];

	dss_seedseq_init(&ss, seed);
	dss_seedseq_generate64(&ss, w, 4);
	dss_pcg64_set(g, w[0], w[1], w[2], w[3]);
}

uint64_t
dss_pcg64_next64(struct dss_pcg64 *g)
{
	uint64_t x;
	unsigned rot;

	step(g);
	x = g->state_hi ^ g->state_lo;
	rot = (unsigned)(g->state_hi >> 58);
	return (x >> rot) | (x << ((64 - rot) & 63));
}

uint32_t
dss_pcg64_next32(struct dss_pcg64 *g)
{
	uint64_t x;

	if (g->has32) {
		g->has32 = 0;
		return g->next32;
	}
	x = dss_pcg64_next64(g);
	g->has32 = 1;
	g->next32 = (uint32_t)(x >> 32);
	return (uint32_t)x;
}

/* interval, shuffle and permutation: lib/shuffle over these draws. */
DSS_SHUFFLE_DEFINE(pcg64, uint64_t)
