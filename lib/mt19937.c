/* SPDX-License-Identifier: MIT */
/*
 * MT19937 (Matsumoto and Nishimura, 1998) with numpy's legacy seeding,
 * bounded draws and shuffle, for reproducing RandomState permutations.
 */
#include "mt19937.h"
#include "shuffle.h"

#define M 397
#define MATRIX_A 0x9908b0dfU
#define UPPER 0x80000000U
#define LOWER 0x7fffffffU

void
dss_mt19937_seed(struct dss_mt19937 *m, uint32_t seed)
{
	int i;

	m->mt[0] = seed;
	for (i = 1; i < DSS_MT19937_N; i++)
		m->mt[i] = 1812433253U * (m->mt[i - 1] ^ (m->mt[i - 1] >> 30)) +
		    (uint32_t)i;
	m->pos = DSS_MT19937_N;
}

static void
generate(struct dss_mt19937 *m)
{
	uint32_t y;
	int i;

	for (i = 0; i < DSS_MT19937_N; i++) {
		y = (m->mt[i] & UPPER) | (m->mt[(i + 1) % DSS_MT19937_N] & LOWER);
		m->mt[i] = m->mt[(i + M) % DSS_MT19937_N] ^ (y >> 1) ^
		    ((y & 1U) ? MATRIX_A : 0U);
	}
	m->pos = 0;
}

uint32_t
dss_mt19937_next32(struct dss_mt19937 *m)
{
	uint32_t y;

	if (m->pos >= DSS_MT19937_N)
		generate(m);
	y = m->mt[m->pos++];
	y ^= y >> 11;
	y ^= (y << 7) & 0x9d2c5680U;
	y ^= (y << 15) & 0xefc60000U;
	y ^= y >> 18;
	return y;
}

uint64_t
dss_mt19937_next64(struct dss_mt19937 *m)
{
	uint64_t hi = dss_mt19937_next32(m);

	return (hi << 32) | dss_mt19937_next32(m);
}

/* interval, shuffle and permutation: lib/shuffle over these draws. */
DSS_SHUFFLE_DEFINE(mt19937, uint32_t)
