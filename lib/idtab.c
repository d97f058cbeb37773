/* SPDX-License-Identifier: MIT */
/* The table of distinct strings, numbered: see idtab.h. */
#include <stdlib.h>
#include <string.h>

#include "idtab.h"

#define KEYS_MAX ((size_t)UINT32_MAX - 1)

/* A slot: entry number + 1 in the high half (0 when empty), hash in the low. */
#define SLOT_HASH(v) ((uint32_t)(v))
#define SLOT_ENTRY(v) ((uint32_t)((v) >> 32) - 1)
#define SLOT_MAKE(h, i) ((uint64_t)((uint64_t)(i) + 1) << 32 | (uint32_t)(h))

/* Eight bytes at a time, each word mixed in by a multiply and a shift. */
uint32_t
dss_idtab_hash(const char *s, size_t n)
{
	const uint64_t k = 0x9e3779b97f4a7c15ULL;
	uint64_t h = (uint64_t)n * k, w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	if (n > 0) {
		w = 0;
		memcpy(&w, s, n);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	h *= 0xbf58476d1ce4e5b9ULL;
	return (uint32_t)(h ^ (h >> 32));
}

/* Room for want entries in the slots and the offsets. */
static int
reserve(struct dss_idtab *t, size_t want)
{
	size_t cap = t->mask ? t->mask + 1 : 64, i, j;
	uint64_t *slot;

	if (want <= t->cap && want <= cap / 4 * 3 && t->mask)
		return 0;
	if (want > t->cap) {
		size_t c = t->cap ? 2 * t->cap : 64;
		uint32_t *off, *len;

		while (c < want)
			c *= 2;
		if ((off = realloc(t->off, c * sizeof(*off))) == NULL)
			return -1;
		t->off = off;
		if ((len = realloc(t->len, c * sizeof(*len))) == NULL)
			return -1;
		t->len = len;
		t->cap = c;
	}
	while (cap / 4 * 3 < want)
		cap *= 2;
	if (t->mask && cap == t->mask + 1)
		return 0;
	if ((slot = calloc(cap, sizeof(*slot))) == NULL)
		return -1;
	for (i = 0; t->mask && i <= t->mask; i++) {
		if (t->slot[i] == 0)
			continue;
		for (j = SLOT_HASH(t->slot[i]) & (cap - 1); slot[j];
		    j = (j + 1) & (cap - 1))
			;
		slot[j] = t->slot[i];
	}
	free(t->slot);
	t->slot = slot;
	t->mask = cap - 1;
	return 0;
}

/* The slot holding key s, or the empty slot where it would go. */
static size_t
probe(const struct dss_idtab *t, const char *s, size_t n, uint32_t h)
{
	size_t j;

	for (j = h & t->mask; t->slot[j]; j = (j + 1) & t->mask) {
		uint64_t v = t->slot[j];
		uint32_t e = SLOT_ENTRY(v);

		if (SLOT_HASH(v) == h && t->len[e] == n &&
		    memcmp(t->keys.data + t->off[e], s, n) == 0)
			break;
	}
	return j;
}

uint32_t
dss_idtab_find(const struct dss_idtab *t, const char *s, size_t n, uint32_t h)
{
	size_t j;

	if (t->mask == 0)
		return DSS_IDTAB_NONE;
	j = probe(t, s, n, h);
	return t->slot[j] ? SLOT_ENTRY(t->slot[j]) : DSS_IDTAB_NONE;
}

uint32_t
dss_idtab_add(struct dss_idtab *t, const char *s, size_t n, uint32_t h,
    int *added)
{
	size_t j;

	if (added != NULL)
		*added = 0;
	if (t->n + 1 >= DSS_IDTAB_NONE || reserve(t, t->n + 1) < 0)
		return DSS_IDTAB_NONE;
	j = probe(t, s, n, h);
	if (t->slot[j])
		return SLOT_ENTRY(t->slot[j]);
	if (t->keys.len + n + 1 > KEYS_MAX ||
	    dss_buf_add(&t->keys, s, n) < 0 || dss_buf_addch(&t->keys, 0) < 0)
		return DSS_IDTAB_NONE;
	t->off[t->n] = (uint32_t)(t->keys.len - n - 1);
	t->len[t->n] = (uint32_t)n;
	t->slot[j] = SLOT_MAKE(h, t->n);
	if (added != NULL)
		*added = 1;
	return (uint32_t)t->n++;
}

int
dss_idtab_prefetch(struct dss_idtab *t, uint32_t h)
{
	if (t->n + 1 >= DSS_IDTAB_NONE || reserve(t, t->n + 1) < 0)
		return -1;
	__builtin_prefetch(&t->slot[h & t->mask]);
	return 0;
}

const char *
dss_idtab_key(const struct dss_idtab *t, uint32_t i)
{
	return t->keys.data + t->off[i];
}

void
dss_idtab_free(struct dss_idtab *t)
{
	dss_buf_free(&t->keys);
	free(t->off);
	free(t->len);
	free(t->slot);
	t->off = t->len = NULL;
	t->slot = NULL;
	t->n = t->cap = t->mask = 0;
}
