/* SPDX-License-Identifier: MIT */
/*
 * A compact table of distinct strings (example ids, labels), each
 * numbered 0, 1, 2, ... in the order it was added.  The keys live one
 * after another, NUL-terminated, in one buffer; an open-addressing hash
 * table (a load of at most 3/4) holds in each slot an entry's number and
 * the low 32 bits of its key's hash, so that probing and growing rarely
 * touch the keys.  549,367 e-SNLI ids take about 20 MB.  Keys may hold
 * NUL bytes: they are compared by length.
 */
#ifndef DSS_IDTAB_H
#define DSS_IDTAB_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define DSS_IDTAB_NONE UINT32_MAX

struct dss_idtab {
	struct dss_buf keys;	/* the keys, each followed by a NUL */
	uint32_t *off;		/* entry number -> offset in keys */
	uint32_t *len;		/* entry number -> key length */
	size_t n, cap;
	uint64_t *slot;
	size_t mask;		/* slots - 1; 0 before the first add */
};

#define DSS_IDTAB_INIT { DSS_BUF_INIT, NULL, NULL, 0, 0, NULL, 0 }

/* The hash the table files s (n bytes) under. */
uint32_t dss_idtab_hash(const char *s, size_t n);
/* The number of key s (n bytes, hash h), or DSS_IDTAB_NONE. */
uint32_t dss_idtab_find(const struct dss_idtab *t, const char *s, size_t n,
    uint32_t h);
/*
 * The number of key s (n bytes, hash h), added when new (then *added is
 * 1, else 0; added may be NULL).  DSS_IDTAB_NONE when out of memory or
 * past 2^32 - 2 entries or 4 GB of keys.
 */
uint32_t dss_idtab_add(struct dss_idtab *t, const char *s, size_t n,
    uint32_t h, int *added);
/*
 * Makes room for one more key and asks the processor to fetch the slot
 * where hash h is looked up first, so that an add or find soon after
 * does not wait for memory.  Returns -1 when out of memory.
 */
int dss_idtab_prefetch(struct dss_idtab *t, uint32_t h);
/* Key i (i < t->n), NUL-terminated; its length is t->len[i]. */
const char *dss_idtab_key(const struct dss_idtab *t, uint32_t i);
void dss_idtab_free(struct dss_idtab *t);

#endif
