/* SPDX-License-Identifier: MIT */
/* Bounded integers, shuffles and permutations from any generator's bits. */
#include "shuffle.h"

uint64_t
dss_bits_interval(const struct dss_bits *b, uint64_t max)
{
	uint64_t mask = max, v;

	if (max == 0)
		return 0;
	mask |= mask >> 1;
	mask |= mask >> 2;
	mask |= mask >> 4;
	mask |= mask >> 8;
	mask |= mask >> 16;
	mask |= mask >> 32;
	if (max <= 0xffffffffU) {
		while ((v = (b->next32(b->gen) & mask)) > max)
			;
	} else {
		while ((v = (b->next64(b->gen) & mask)) > max)
			;
	}
	return v;
}

void
dss_bits_shuffle(const struct dss_bits *b, size_t *a, size_t n)
{
	size_t i, j, t;

	for (i = n; i-- > 1;) {
		j = (size_t)dss_bits_interval(b, i);
		t = a[i];
		a[i] = a[j];
		a[j] = t;
	}
}

void
dss_bits_permutation(const struct dss_bits *b, size_t *perm, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		perm[i] = i;
	dss_bits_shuffle(b, perm, n);
}
