/* SPDX-License-Identifier: MIT */
/*
 * The JSON Lines export of subsets (export.h): one pass over the split
 * for any number of subsets, each written in its own order.
 *
 * Following a subset's order while reading would seek the examples and
 * the triples at random, a page read per row; sorting the joined rows
 * with SQLite's sorter costs as much again.  Instead the examples of the
 * split and the triples of the filter are read once each, both in id
 * order (their primary keys), and merged here.  A member example is
 * rendered once, whatever the number of subsets holding it, and its
 * records are put by position into buckets of the subset's positions;
 * the buckets go to an unlinked temporary file as they fill, so memory
 * stays bounded.  Then each bucket, in position order, is read back, its
 * records put in order, and written out.
 *
 * Subsets that begin another one (the nested fractions: each is a prefix
 * of the next) are not kept apart: a subset whose chunks of ids
 * (schemas/migrate-006.sql) begin those of a larger one is written while
 * the larger one is, as the first of its records.  The five nested
 * fractions of a split take the work of the largest alone.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <sqlite3.h>

#include "buf.h"
#include "db.h"
#include "export_impl.h"
#include "jscan.h"
#include "sample.h"

#define STAGE ((size_t)1 << 15)		/* bytes a bucket holds before the file */
#define BUCKETS_MAX 512			/* buckets of all roots together */
#define LOAD_MAX ((size_t)1 << 24)	/* bytes of a bucket read back at once */

/* The counts one example adds to its subsets (dss_export_counts). */
enum { C_EXAMPLES, C_RATIONALES, C_WITH, C_LABEL_ONLY, C_DROPPED,
	C_RECORDS, C_PREDICT, C_EXPLAIN, NCOUNTS };

/* A spilled example: this header, then len bytes of records. */
struct spilled {
	uint32_t pos;
	uint32_t len;
	uint32_t c[NCOUNTS];
	uint32_t teachers, other;	/* x->ex_teachers, x->ex_other */
};

struct extent {
	off_t off;
	size_t len;
};

struct bucket {
	struct dss_buf stage;	/* what has not gone to the file yet */
	struct extent *ext;	/* what has */
	size_t next, cext;
	size_t bytes;		/* in all */
};

/* The members of the roots: an open hash of ids to (root, pos) lists. */
struct entry {
	uint32_t hash;		/* of the id */
	uint32_t id;		/* offset of the id in the arena */
	uint32_t pos;
	uint32_t next;		/* the id's next entry + 1, or 0 */
	uint32_t root;
};

struct members {
	char *arena;		/* the ids, each NUL-terminated */
	size_t alen, acap;
	struct entry *e;
	size_t n, cap;
	uint32_t *slot;		/* entry + 1, or 0 */
	size_t nslot;
};

enum { JOB_NONE, JOB_RUN, JOB_QUIT };

struct writer_thread {
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int job;
	size_t r, w;
	const size_t *at;
	int rc;
	struct dss_err err;
};

/*
 * The spill thread: while the main thread reads and renders, full stages
 * go to it to be written, SQ at a time.  Each queued stage is a buffer
 * swapped with the bucket's, so no copy is made.
 */
#define SQ 32

struct spill_job {
	struct bucket *b;
	struct dss_buf buf;
};

struct spill_thread {
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct spill_job q[SQ];
	size_t head, count;
	int done, failed;
	struct dss_err err;
};

struct spill {
	struct dss_export *x;
	struct spill_thread st;
	int *part;		/* per sub: 0 or 1, who writes its file */
	struct writer_thread wk;
	struct members m;
	struct bucket **b;	/* per sub (roots only) */
	size_t *nb, *w;		/* buckets and positions per bucket, per sub */
	int tmp;		/* the unlinked file, made when first needed, or -1 */
	off_t tmpend;
	struct dss_buf load;
};

/*
 * The start and stop of the three threads below (the spill thread, the
 * triples' reader, the writer), each sharing a mutex and a condition
 * with the main thread.  thread_start makes the two, then starts fn(arg);
 * when the thread cannot start it frees them again and returns
 * pthread_create's error number, else 0.
 */
static int
thread_start(pthread_t *thread, pthread_mutex_t *mu, pthread_cond_t *cv,
    void *(*fn)(void *), void *arg)
{
	int e;

	pthread_mutex_init(mu, NULL);
	pthread_cond_init(cv, NULL);
	if ((e = pthread_create(thread, NULL, fn, arg)) != 0) {
		pthread_mutex_destroy(mu);
		pthread_cond_destroy(cv);
	}
	return e;
}

/*
 * Sets *flag to value under mu and wakes the thread, whose cue to return
 * that is; then waits for it and frees mu and cv.
 */
static void
thread_stop(pthread_t thread, pthread_mutex_t *mu, pthread_cond_t *cv,
    int *flag, int value)
{
	pthread_mutex_lock(mu);
	*flag = value;
	pthread_cond_broadcast(cv);
	pthread_mutex_unlock(mu);
	pthread_join(thread, NULL);
	pthread_mutex_destroy(mu);
	pthread_cond_destroy(cv);
}

static uint64_t
hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	/* FNV-1a leaves similar ids in near slots: mix the bits */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

/*
 * Memory the lookups of a merge read at random: in huge pages where the
 * system gives them on request, so that a lookup is not also a TLB miss
 * or three.  Zeroed.
 */
#define HUGE ((size_t)2 << 20)

static void *
big_alloc(size_t n)
{
	void *p;

	if (n < HUGE)
		return calloc(1, n ? n : 1);
	n = (n + HUGE - 1) / HUGE * HUGE;
	if ((p = aligned_alloc(HUGE, n)) == NULL)
		return NULL;
#ifdef MADV_HUGEPAGE
	(void)madvise(p, n, MADV_HUGEPAGE);
#endif
	memset(p, 0, n);
	return p;
}

/* Room for n members whose ids take at most bytes (with their NULs). */
static int
members_init(struct members *m, size_t n, size_t bytes)
{
	size_t ns = 1024;

	while (ns < 2 * n)
		ns *= 2;
	memset(m, 0, sizeof(*m));
	if (n >= UINT32_MAX - 1 || bytes >= UINT32_MAX)
		return -1;
	m->slot = big_alloc(ns * sizeof(*m->slot));
	m->e = big_alloc((n ? n : 1) * sizeof(*m->e));
	m->arena = big_alloc(bytes + 1);
	if (m->slot == NULL || m->e == NULL || m->arena == NULL)
		return -1;
	m->nslot = ns;
	m->cap = n;
	m->acap = bytes + 1;
	return 0;
}

/*
 * The first entry of the id (n bytes, hash h), or NULL; *at gets its
 * slot.
 */
static struct entry *
members_find(const struct members *m, const char *id, size_t n, uint32_t h,
    size_t *at)
{
	size_t j;

	*at = 0;
	if (m->nslot == 0)
		return NULL;
	for (j = h & (m->nslot - 1); m->slot[j] != 0;
	    j = (j + 1) & (m->nslot - 1)) {
		struct entry *e = &m->e[m->slot[j] - 1];
		const char *s = m->arena + e->id;

		if (e->hash == h && memcmp(s, id, n) == 0 && s[n] == '\0') {
			*at = j;
			return e;
		}
	}
	*at = j;
	return NULL;
}

/*
 * Ids are added and looked up AHEAD at a time (load_root, merge, which
 * reads the examples AHEAD rows at a time, their columns copied), so that
 * the reads at random in a table larger than the caches that each one
 * makes (its slot, the slot's entry, the entry's id) overlap: each round
 * starts the reads of the next for all of them.
 */
#define AHEAD 16

/* Starts reading what round (0, 1, 2) of the lookup of hash h reads. */
static void
members_prefetch(const struct members *m, uint32_t h, int round)
{
	uint32_t s;

	if (m->nslot == 0)
		return;
	if (round == 0) {
		__builtin_prefetch(&m->slot[h & (m->nslot - 1)]);
		return;
	}
	if ((s = m->slot[h & (m->nslot - 1)]) == 0)
		return;
	if (round == 1)
		__builtin_prefetch(&m->e[s - 1]);
	else
		__builtin_prefetch(m->arena + m->e[s - 1].id);
}

/* 0, or -1 when the room members_init made is full; h is hash(id, n). */
static int
members_add(struct members *m, const char *id, size_t n, uint32_t h,
    uint32_t root, uint32_t pos)
{
	struct entry *first, *e;
	size_t at;

	if (m->n == m->cap)
		return -1;
	e = &m->e[m->n];
	e->hash = h;
	e->root = root;
	e->pos = pos;
	e->next = 0;
	if ((first = members_find(m, id, n, h, &at)) != NULL) {
		e->id = first->id;
		e->next = m->slot[at];
	} else {
		if (m->alen + n + 1 > m->acap)
			return -1;
		e->id = (uint32_t)m->alen;
		memcpy(m->arena + m->alen, id, n);
		m->arena[m->alen + n] = '\0';
		m->alen += n + 1;
	}
	m->slot[at] = (uint32_t)m->n + 1;
	m->n++;
	return 0;
}

static void
members_free(struct members *m)
{
	free(m->arena);
	free(m->e);
	free(m->slot);
	memset(m, 0, sizeof(*m));
}

/* ---- which subsets begin which ---- */

static sqlite3_stmt *
chunks(struct dss_export *x, const char *name, struct dss_err *err)
{
	return dss_export_query(x, "SELECT ids FROM subset_chunks WHERE "
	    "dataset = ?1 AND name = ?2 ORDER BY chunk", err, x->o.dataset,
	    name, NULL);
}

/*
 * Whether the members of subset a are the first of those of b, by their
 * chunks: every chunk of a but the last is b's; the last is the start of
 * b's, up to an id's end.  1 or 0, -1 on error.
 */
static int
begins(struct dss_export *x, const char *a, const char *b,
    struct dss_err *err)
{
	sqlite3_stmt *sa, *sb = NULL;
	int ra, rb, r = 1;

	if ((sa = chunks(x, a, err)) == NULL || (sb = chunks(x, b, err)) == NULL) {
		sqlite3_finalize(sa);
		return -1;
	}
	while (r == 1 && (ra = dss_export_step(x, sa, err)) == 1) {
		const char *ta = (const char *)sqlite3_column_text(sa, 0);
		const char *tb;
		size_t na = (size_t)sqlite3_column_bytes(sa, 0), nb;

		if ((rb = dss_export_step(x, sb, err)) != 1) {
			r = rb < 0 ? -1 : 0;
			break;
		}
		tb = (const char *)sqlite3_column_text(sb, 0);
		nb = (size_t)sqlite3_column_bytes(sb, 0);
		if (ta == NULL || tb == NULL || na < 2 || na > nb)
			r = 0;
		else if (na == nb)
			r = memcmp(ta, tb, na) == 0;
		else	/* a's last chunk: "[...,"x"]" begins "[...,"x","y"...]" */
			r = memcmp(ta, tb, na - 1) == 0 && tb[na - 1] == ',';
		if (r == 1 && na < nb) {
			/* a's last chunk, short of 4,096 ids, must be its last */
			if ((ra = dss_export_step(x, sa, err)) != 0)
				r = ra < 0 ? -1 : 0;
			break;
		}
	}
	if (r == 1 && ra < 0)
		r = -1;
	sqlite3_finalize(sa);
	sqlite3_finalize(sb);
	return r;
}

/*
 * Sets each sub's root: the largest subset it begins (the first of equal
 * ones), or itself.  The candidates are tried largest first, so a nested
 * fraction costs one comparison, with the whole.
 */
static int
find_roots(struct dss_export *x, struct dss_err *err)
{
	size_t i, j, k, *by;
	int r;

	if ((by = malloc(x->nsubs * sizeof(*by))) == NULL)
		return dss_export_nomem(err);
	/* by: the subs by size, largest first, then by index */
	for (i = 0; i < x->nsubs; i++) {
		for (k = i; k > 0 && x->subs[by[k - 1]].info.size <
		    x->subs[i].info.size; k--)
			by[k] = by[k - 1];
		by[k] = i;
	}
	for (i = 0; i < x->nsubs; i++) {
		struct export_sub *s = &x->subs[i];

		s->root = i;
		for (k = 0; k < x->nsubs; k++) {
			struct export_sub *t = &x->subs[j = by[k]];

			if (j == i || t->info.size < s->info.size ||
			    (t->info.size == s->info.size && j > i))
				continue;
			if ((r = begins(x, s->info.name, t->info.name, err)) < 0) {
				free(by);
				return -1;
			}
			if (r) {
				s->root = j;
				break;
			}
		}
	}
	free(by);
	/* A root's root is itself: follow chains to their end. */
	for (i = 0; i < x->nsubs; i++)
		while (x->subs[x->subs[i].root].root != x->subs[i].root)
			x->subs[i].root = x->subs[x->subs[i].root].root;
	return 0;
}

/* Adds the ids of a chunk that ids holds (k of them) to root r's members. */
struct idref {
	const char *s;
	size_t n;
	uint32_t h;
};

static int
add_ids(struct spill *sp, size_t r, const struct idref *ids, size_t k,
    uint32_t *pos, struct dss_err *err)
{
	struct dss_export *x = sp->x;
	size_t i;

	for (i = 0; i < k; i++)
		if (members_add(&sp->m, ids[i].s, ids[i].n, ids[i].h, (uint32_t)r,
		    (*pos)++) < 0)
			return dss_err_set(err, "subset '%s' holds more ids than "
			    "its size, %lld", x->subs[r].info.name,
			    x->subs[r].info.size);
	return 0;
}

/*
 * Reads the ids of root r into the members, AHEAD at a time: the slots
 * of a batch are fetched together (see merge).
 */
static int
load_root(struct spill *sp, size_t r, struct dss_err *err)
{
	struct dss_export *x = sp->x;
	struct dss_buf esc[AHEAD];
	struct idref ids[AHEAD];
	sqlite3_stmt *st;
	uint32_t pos = 0;
	size_t k = 0;
	int rc, ret = 0;

	for (k = 0; k < AHEAD; k++)
		esc[k] = (struct dss_buf)DSS_BUF_INIT;
	if ((st = chunks(x, x->subs[r].info.name, err)) == NULL)
		return -1;
	while (ret == 0 && (rc = dss_export_step(x, st, err)) == 1) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0), i = 1;

		/* ["a","b",...]: each string as JSON has it */
		for (k = 0; ret == 0 && t != NULL && i < n && t[i] == '"'; ) {
			size_t j = i + 1;

			while (j < n && t[j] != '"')
				j += t[j] == '\\' ? 2 : 1;
			if (j >= n) {
				ret = dss_err_set(err, "subset '%s': a chunk that is "
				    "not a JSON array of ids", x->subs[r].info.name);
				break;
			}
			/* most ids have no escape: their bytes are the id */
			if (memchr(t + i + 1, '\\', j - i - 1) == NULL) {
				ids[k].s = t + i + 1;
				ids[k].n = j - i - 1;
			} else {
				dss_buf_reset(&esc[k]);
				if (dss_jscan_unquote(&esc[k], t + i, j + 1 - i) < 0) {
					ret = dss_export_nomem(err);
					break;
				}
				ids[k].s = esc[k].data != NULL ? esc[k].data : "";
				ids[k].n = esc[k].len;
			}
			ids[k].h = (uint32_t)hash(ids[k].s, ids[k].n);
			members_prefetch(&sp->m, ids[k].h, 0);
			if (++k == AHEAD) {
				ret = add_ids(sp, r, ids, k, &pos, err);
				k = 0;
			}
			i = j + 2;	/* past the quote and the comma */
		}
		/* the rest before the next row takes the chunk's text away */
		if (ret == 0)
			ret = add_ids(sp, r, ids, k, &pos, err);
	}
	if (ret == 0 && rc < 0)
		ret = -1;
	sqlite3_finalize(st);
	for (k = 0; k < AHEAD; k++)
		dss_buf_free(&esc[k]);
	return ret;
}

/* ---- spilling ---- */

/* An unlinked file in $TMPDIR (or /tmp), so that nothing is left behind. */
static int
tmp_open(struct spill *sp, struct dss_err *err)
{
	const char *dir = getenv("TMPDIR");
	struct dss_buf b = DSS_BUF_INIT;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if (dss_buf_addf(&b, "%s/dss-export.XXXXXX", dir) < 0)
		return dss_export_nomem(err);
	if ((sp->tmp = mkstemp(b.data)) < 0) {
		dss_err_errno(err, errno, "cannot make a temporary file in '%s'",
		    dir);
		dss_buf_free(&b);
		return -1;
	}
	unlink(b.data);
	dss_buf_free(&b);
	return 0;
}

/* Writes n bytes at p to the end of the temporary file; e gets where. */
static int
tmp_write(struct spill *sp, const void *p, size_t n, struct extent *e,
    struct dss_err *err)
{
	const char *q = p;
	size_t done = 0;
	ssize_t w;

	if (sp->tmp < 0 && tmp_open(sp, err) < 0)
		return -1;
	while (done < n) {
		if ((w = pwrite(sp->tmp, q + done, n - done,
		    sp->tmpend + (off_t)done)) < 0) {
			if (errno == EINTR)
				continue;
			return dss_err_errno(err, errno, "cannot write a "
			    "temporary file");
		}
		done += (size_t)w;
	}
	e->off = sp->tmpend;
	e->len = n;
	sp->tmpend += (off_t)n;
	return 0;
}

static int
bucket_extent(struct bucket *b, struct extent **e)
{
	if (b->next == b->cext) {
		size_t c = b->cext ? b->cext * 2 : 8;
		struct extent *p = realloc(b->ext, c * sizeof(*p));

		if (p == NULL)
			return -1;
		b->ext = p;
		b->cext = c;
	}
	*e = &b->ext[b->next++];
	return 0;
}

static int
bucket_flush(struct spill *sp, struct bucket *b, struct dss_err *err)
{
	struct extent *e;

	if (b->stage.len == 0)
		return 0;
	if (bucket_extent(b, &e) < 0)
		return dss_export_nomem(err);
	if (tmp_write(sp, b->stage.data, b->stage.len, e, err) < 0)
		return -1;
	dss_buf_reset(&b->stage);
	return 0;
}

/* Writes queued stages until told the merge is done and none is left. */
static void *
spill_main(void *arg)
{
	struct spill *sp = arg;
	struct spill_thread *t = &sp->st;
	struct dss_err err = DSS_ERR_INIT;
	struct spill_job *j;
	struct extent *e;
	int rc;

	pthread_mutex_lock(&t->mu);
	for (;;) {
		while (t->count == 0 && !t->done)
			pthread_cond_wait(&t->cv, &t->mu);
		if (t->count == 0)
			break;
		j = &t->q[t->head];
		pthread_mutex_unlock(&t->mu);
		rc = bucket_extent(j->b, &e) < 0 ? dss_export_nomem(&err) :
		    tmp_write(sp, j->buf.data, j->buf.len, e, &err);
		dss_buf_reset(&j->buf);
		pthread_mutex_lock(&t->mu);
		t->head = (t->head + 1) % SQ;
		t->count--;
		if (rc < 0 && !t->failed) {
			t->failed = 1;
			t->err = err;
		}
		pthread_cond_broadcast(&t->cv);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

static void
spill_thread_start(struct spill *sp)
{
	struct spill_thread *t = &sp->st;
	size_t i;

	for (i = 0; i < SQ; i++)
		t->q[i].buf = (struct dss_buf)DSS_BUF_INIT;
	if (thread_start(&t->thread, &t->mu, &t->cv, spill_main, sp) != 0)
		return;	/* put writes the stages itself */
	t->started = 1;
}

/* Waits for the queued stages to be written; -1 with err if one was not. */
static int
spill_thread_stop(struct spill *sp, struct dss_err *err)
{
	struct spill_thread *t = &sp->st;
	size_t i;
	int failed;

	if (!t->started)
		return 0;
	thread_stop(t->thread, &t->mu, &t->cv, &t->done, 1);
	t->started = 0;
	for (i = 0; i < SQ; i++)
		dss_buf_free(&t->q[i].buf);
	if ((failed = t->failed) && err != NULL)
		*err = t->err;
	return failed ? -1 : 0;
}

/* A full stage of b: to the spill thread, or written here without one. */
static int
stage_full(struct spill *sp, struct bucket *b, struct dss_err *err)
{
	struct spill_thread *t = &sp->st;
	struct dss_buf spent;
	int failed;

	if (!t->started)
		return bucket_flush(sp, b, err);
	pthread_mutex_lock(&t->mu);
	while (t->count == SQ && !t->failed)
		pthread_cond_wait(&t->cv, &t->mu);
	if ((failed = t->failed) == 0) {
		struct spill_job *j = &t->q[(t->head + t->count) % SQ];

		spent = j->buf;		/* written, reset: b's next stage */
		j->buf = b->stage;
		j->b = b;
		b->stage = spent;
		t->count++;
		pthread_cond_broadcast(&t->cv);
	} else
		*err = t->err;
	pthread_mutex_unlock(&t->mu);
	return failed ? -1 : 0;
}

/* Puts the example just rendered (x->out) into the bucket of pos. */
static int
put(struct spill *sp, size_t r, uint32_t pos, const uint32_t *c,
    struct dss_err *err)
{
	struct dss_export *x = sp->x;
	struct bucket *b = &sp->b[r][pos / sp->w[r]];
	struct spilled h;
	size_t n = sizeof(h) + x->out.len;

	if (x->out.len > UINT32_MAX)
		return dss_err_set(err, "example too large to export");
	h.pos = pos;
	h.len = (uint32_t)x->out.len;
	memcpy(h.c, c, sizeof(h.c));
	h.teachers = x->ex_teachers;
	h.other = (uint32_t)x->ex_other;
	/* A record never spans two extents (see read_big). */
	if (b->stage.len > 0 && b->stage.len + n > STAGE &&
	    stage_full(sp, b, err) < 0)
		return -1;
	if (dss_buf_add(&b->stage, &h, sizeof(h)) < 0 ||
	    dss_buf_add(&b->stage, x->out.data, x->out.len) < 0)
		return dss_export_nomem(err);
	b->bytes += n;
	if (b->stage.len >= STAGE)
		return stage_full(sp, b, err);
	return 0;
}

/* ---- the triples, read by a thread of their own ---- */

/*
 * Reading the triples is half of what SQLite does in a merge; a second
 * connection on a thread of its own reads them while the first reads the
 * examples, and hands them over in batches of copied rows: each row its
 * id, then the columns of a struct dss_export_triple, every string as a
 * 32-bit length (UINT32_MAX for NULL) and its bytes.  TQUEUE batches
 * bound the memory; each holds rows past TBATCH bytes no longer.
 */
#define TBATCH ((size_t)1 << 18)
#define TQUEUE 4
#define NOSTR UINT32_MAX

struct treader {
	pthread_t thread;
	int started;
	sqlite3 *db;
	sqlite3_stmt *st;
	char *path;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct dss_buf slot[TQUEUE];	/* filled batches, from head */
	size_t head, count;
	int done, stop;
	struct dss_err err;		/* the thread's, when it failed */
	int failed;
	/* the consumer's */
	struct dss_buf cur;
	size_t off;
	const char *id;
	size_t idlen;
	struct dss_export_triple t;
};

static int
put_str(struct dss_buf *b, const char *s, size_t n)
{
	uint32_t len = s == NULL ? NOSTR : (uint32_t)n;

	if (s != NULL && n >= NOSTR)
		return -1;
	return dss_buf_add(b, &len, sizeof(len)) | (s != NULL && n > 0 ?
	    dss_buf_add(b, s, n) : 0);
}

/* Appends the row of st to b. */
static int
put_row(struct dss_buf *b, sqlite3_stmt *st)
{
	struct dss_export_triple t;
	int64_t sample;

	dss_export_triple_of(st, &t);
	sample = t.sample;
	return put_str(b, (const char *)sqlite3_column_text(st, 0),
	    (size_t)sqlite3_column_bytes(st, 0)) |
	    dss_buf_add(b, &sample, sizeof(sample)) |
	    put_str(b, t.rat, t.rlen) | put_str(b, t.tl, t.tlen) |
	    put_str(b, t.teacher, t.teacherlen) | put_str(b, t.req, t.reqlen);
}

static void *
read_triples(void *arg)
{
	struct treader *r = arg;
	struct dss_err err = DSS_ERR_INIT;
	int rc = SQLITE_ROW, fail = 0;

	while (rc == SQLITE_ROW && !fail) {
		struct dss_buf *b;

		pthread_mutex_lock(&r->mu);
		while (r->count == TQUEUE && !r->stop)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->stop) {
			pthread_mutex_unlock(&r->mu);
			break;
		}
		b = &r->slot[(r->head + r->count) % TQUEUE];
		pthread_mutex_unlock(&r->mu);
		dss_buf_reset(b);
		while (b->len < TBATCH && (rc = sqlite3_step(r->st)) == SQLITE_ROW)
			if (put_row(b, r->st) < 0) {
				fail = dss_err_set(&err, "out of memory");
				break;
			}
		if (rc != SQLITE_ROW && rc != SQLITE_DONE && !fail)
			fail = dss_err_set(&err, "database '%s': %s", r->path,
			    sqlite3_errmsg(r->db));
		pthread_mutex_lock(&r->mu);
		if (!fail)
			r->count++;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
	pthread_mutex_lock(&r->mu);
	r->done = 1;
	if (fail) {
		r->failed = 1;
		r->err = err;
	}
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

static int
treader_start(struct treader *r, struct dss_export *x, struct dss_err *err)
{
	char sql[512];
	size_t i;
	int e;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < TQUEUE; i++)
		r->slot[i] = (struct dss_buf)DSS_BUF_INIT;
	r->cur = (struct dss_buf)DSS_BUF_INIT;
	if ((r->path = strdup(x->path)) == NULL)
		return dss_export_nomem(err);
	if ((r->db = dss_db_open(x->path, DSS_DB_READONLY, err)) == NULL)
		return -1;
	if (dss_export_triples_sql(x, sql, sizeof(sql)) < 0 ||
	    dss_db_exec(r->db, "PRAGMA cache_size = -4096", err) < 0 ||
	    (r->st = dss_db_prepare(r->db, sql, err)) == NULL)
		return -1;
	sqlite3_bind_text(r->st, 1, x->o.filter, -1, SQLITE_STATIC);
	sqlite3_bind_text(r->st, 2, x->o.dataset, -1, SQLITE_STATIC);
	if ((e = thread_start(&r->thread, &r->mu, &r->cv, read_triples, r)) != 0)
		return dss_err_errno(err, e, "cannot start a thread");
	r->started = 1;
	return 0;
}

static void
treader_stop(struct treader *r)
{
	size_t i;

	if (r->started) {
		thread_stop(r->thread, &r->mu, &r->cv, &r->stop, 1);
		r->started = 0;
	}
	sqlite3_finalize(r->st);
	r->st = NULL;
	dss_db_close(r->db);
	r->db = NULL;
	for (i = 0; i < TQUEUE; i++)
		dss_buf_free(&r->slot[i]);
	dss_buf_free(&r->cur);
	free(r->path);
	r->path = NULL;
}

static const char *
get_str(struct treader *r, size_t *n)
{
	uint32_t len;
	const char *s;

	memcpy(&len, r->cur.data + r->off, sizeof(len));
	r->off += sizeof(len);
	if (len == NOSTR) {
		*n = 0;
		return NULL;
	}
	s = r->cur.data + r->off;
	r->off += len;
	*n = len;
	return s;
}

/*
 * Moves to the next triple: 1 (r->id and r->t are it), 0 at the end, -1
 * with err when the thread failed.
 */
static int
treader_next(struct treader *r, struct dss_err *err)
{
	int64_t sample;

	while (r->off >= r->cur.len) {
		struct dss_buf t;

		pthread_mutex_lock(&r->mu);
		while (r->count == 0 && !r->done)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->count == 0) {
			int failed = r->failed;

			if (failed)
				*err = r->err;
			pthread_mutex_unlock(&r->mu);
			return failed ? -1 : 0;
		}
		/* take the batch; the slot keeps the spent one to refill */
		t = r->cur;
		r->cur = r->slot[r->head];
		r->slot[r->head] = t;
		r->head = (r->head + 1) % TQUEUE;
		r->count--;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
		r->off = 0;
	}
	r->id = get_str(r, &r->idlen);
	memcpy(&sample, r->cur.data + r->off, sizeof(sample));
	r->off += sizeof(sample);
	r->t.sample = sample;
	r->t.rat = get_str(r, &r->t.rlen);
	r->t.tl = get_str(r, &r->t.tlen);
	r->t.teacher = get_str(r, &r->t.teacherlen);
	r->t.req = get_str(r, &r->t.reqlen);
	return 1;
}

/* ---- the merge ---- */

/* memcmp order, as SQLite's BINARY collation orders the ids */
static int
idcmp(const char *a, size_t na, const char *b, size_t nb)
{
	int c = memcmp(a, b, na < nb ? na : nb);

	return c != 0 ? c : (na > nb) - (na < nb);
}

static void
counts_of(const struct dss_export_counts *k, uint32_t *c)
{
	c[C_EXAMPLES] = (uint32_t)k->examples;
	c[C_RATIONALES] = (uint32_t)k->rationales;
	c[C_WITH] = (uint32_t)k->with_rationale;
	c[C_LABEL_ONLY] = (uint32_t)k->label_only;
	c[C_DROPPED] = (uint32_t)k->dropped;
	c[C_RECORDS] = (uint32_t)k->records;
	c[C_PREDICT] = (uint32_t)k->predict;
	c[C_EXPLAIN] = (uint32_t)k->explain;
}

static void
counts_add(struct dss_export_counts *k, const uint32_t *c)
{
	k->examples += c[C_EXAMPLES];
	k->rationales += c[C_RATIONALES];
	k->with_rationale += c[C_WITH];
	k->label_only += c[C_LABEL_ONLY];
	k->dropped += c[C_DROPPED];
	k->records += c[C_RECORDS];
	k->predict += c[C_PREDICT];
	k->explain += c[C_EXPLAIN];
}

/* Renders the member example of columns c with its triples, and spills it. */
static int
member(struct spill *sp, const struct entry *first,
    const struct dss_export_cols *cols, struct treader *tr, int *trc,
    struct dss_err *err)
{
	struct dss_export *x = sp->x;
	struct dss_export_counts *k = &x->split_counts[0];
	const char *id = cols->v[DSS_EXPORT_COL_ID];
	size_t n = cols->n[DSS_EXPORT_COL_ID];
	const struct entry *e;
	uint32_t c[NCOUNTS];

	memset(k, 0, sizeof(*k));
	x->ex_teachers = 0;
	x->ex_other = 0;
	dss_buf_reset(&x->out);
	if (dss_export_begin_cols(x, cols, err) < 0)
		return -1;
	while (*trc == 1 && idcmp(tr->id, tr->idlen, id, n) == 0) {
		if (dss_export_add_triple(x, &tr->t, err) < 0)
			return -1;
		*trc = treader_next(tr, err);
	}
	if (*trc < 0 || dss_export_end_example(x, err) < 0)
		return -1;
	counts_of(k, c);
	for (e = first; ; e = &sp->m.e[e->next - 1]) {
		if (put(sp, e->root, e->pos, c, err) < 0)
			return -1;
		if (e->next == 0)
			break;
	}
	return 0;
}


struct ahead {
	struct dss_buf col[DSS_EXPORT_NCOLS];
	struct dss_export_cols c;
	uint32_t h;
};

/* Copies the columns of row ex into a; -1 when out of memory. */
static int
ahead_take(struct ahead *a, sqlite3_stmt *ex)
{
	struct dss_export_cols row;
	int i;

	dss_export_cols_of(ex, &row);
	for (i = 0; i < DSS_EXPORT_NCOLS; i++) {
		dss_buf_reset(&a->col[i]);
		if (row.v[i] != NULL &&
		    dss_buf_add(&a->col[i], row.v[i], row.n[i]) < 0)
			return -1;
		a->c.v[i] = row.v[i] == NULL ? NULL : a->col[i].data != NULL ?
		    a->col[i].data : "";
		a->c.n[i] = row.n[i];
	}
	a->h = (uint32_t)hash(a->c.v[DSS_EXPORT_COL_ID], a->c.n[DSS_EXPORT_COL_ID]);
	return 0;
}

/* Merges the examples of a (got of them) with the triples, in id order. */
static int
merge_ahead(struct spill *sp, struct ahead *a, size_t got, struct treader *tr,
    int *trc, struct dss_err *err)
{
	size_t i, at;
	int round;

	for (round = 1; round < 3; round++)
		for (i = 0; i < got; i++)
			members_prefetch(&sp->m, a[i].h, round);
	for (i = 0; i < got; i++) {
		const char *id = a[i].c.v[DSS_EXPORT_COL_ID];
		size_t n = a[i].c.n[DSS_EXPORT_COL_ID];
		const struct entry *e;

		/* the triples of examples before this one (other splits) */
		while (*trc == 1 && idcmp(tr->id, tr->idlen, id, n) < 0)
			*trc = treader_next(tr, err);
		if (*trc < 0)
			return -1;
		if ((e = members_find(&sp->m, id, n, a[i].h, &at)) != NULL &&
		    member(sp, e, &a[i].c, tr, trc, err) < 0)
			return -1;
	}
	return 0;
}

static int
merge(struct spill *sp, struct dss_err *err)
{
	struct dss_export *x = sp->x;
	struct ahead a[AHEAD];
	struct treader tr;
	sqlite3_stmt *ex = NULL;
	int erc = 1, trc = 0, r = -1, i, j;
	size_t got;

	memset(&tr, 0, sizeof(tr));
	for (i = 0; i < AHEAD; i++)
		for (j = 0; j < DSS_EXPORT_NCOLS; j++)
			a[i].col[j] = (struct dss_buf)DSS_BUF_INIT;
	if ((x->need_triples && treader_start(&tr, x, err) < 0) ||
	    (ex = dss_export_prepare_examples(x, err)) == NULL)
		goto out;
	if (x->need_triples && (trc = treader_next(&tr, err)) < 0)
		goto out;
	while (erc == 1) {
		for (got = 0; got < AHEAD && (erc = dss_export_step(x, ex,
		    err)) == 1; got++) {
			if (ahead_take(&a[got], ex) < 0) {
				dss_export_nomem(err);
				goto out;
			}
			members_prefetch(&sp->m, a[got].h, 0);
		}
		if (erc < 0 || merge_ahead(sp, a, got, &tr, &trc, err) < 0)
			goto out;
	}
	r = 0;
out:
	for (i = 0; i < AHEAD; i++)
		for (j = 0; j < DSS_EXPORT_NCOLS; j++)
			dss_buf_free(&a[i].col[j]);
	sqlite3_finalize(ex);
	treader_stop(&tr);
	return r;
}

/* ---- writing in order ---- */

static void
count(struct export_sub *s, const struct spilled *h)
{
	counts_add(&s->c, h->c);
	s->teachers |= h->teachers;
	s->other += h->other;
}

/* Counts the examples of a loaded bucket into the subsets they are in. */
static void
count_all(struct spill *sp, size_t r, const size_t *at, size_t w)
{
	struct dss_export *x = sp->x;
	struct spilled h;
	size_t i, j;

	for (i = 0; i < w; i++) {
		if (at[i] == SIZE_MAX)
			continue;
		memcpy(&h, sp->load.data + at[i], sizeof(h));
		for (j = 0; j < x->nsubs; j++)
			if (x->subs[j].root == r &&
			    (long long)h.pos < x->subs[j].info.size)
				count(&x->subs[j], &h);
	}
}

/* Writes the spilled example at p (its header) to the subs it is in. */
static int
emit(struct spill *sp, size_t r, int part, const struct spilled *h,
    const char *data, struct dss_err *err)
{
	struct dss_export *x = sp->x;
	size_t i;

	for (i = 0; i < x->nsubs; i++) {
		struct export_sub *s = &x->subs[i];

		if (s->root != r || (long long)h->pos >= s->info.size ||
		    (part >= 0 && sp->part[i] != part))
			continue;
		if (h->len > 0 && fwrite(data, 1, h->len, s->fp) != h->len)
			return dss_err_errno(err, errno ? errno : EIO, "cannot "
			    "write '%s'", s->fpname);
		/* counted by count() on the main thread, not here: the two
		 * threads would write to one cache line at every example */
		if (part < 0)
			count(s, h);
	}
	return 0;
}

static int
read_at(struct spill *sp, void *p, size_t n, off_t off, struct dss_err *err)
{
	char *q = p;
	size_t done = 0;
	ssize_t r;

	while (done < n) {
		if ((r = pread(sp->tmp, q + done, n - done, off + (off_t)done)) <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return dss_err_errno(err, r < 0 ? errno : EIO, "cannot "
			    "read a temporary file");
		}
		done += (size_t)r;
	}
	return 0;
}

/* Writes the examples of a loaded bucket (at: their offsets) to part's files. */
static int
emit_all(struct spill *sp, size_t r, int part, const size_t *at, size_t w,
    struct dss_err *err)
{
	struct spilled h;
	size_t i;

	for (i = 0; i < w; i++) {
		if (at[i] == SIZE_MAX)
			continue;	/* a member not in the split */
		memcpy(&h, sp->load.data + at[i], sizeof(h));
		if (emit(sp, r, part, &h, sp->load.data + at[i] + sizeof(h),
		    err) < 0)
			return -1;
	}
	return 0;
}

/*
 * The writer thread: while the main thread writes part 0 of a bucket's
 * files, it writes part 1 (the subsets are split between the parts by
 * size), from the same loaded bucket, which neither changes.
 */
static void *
write_part(void *arg)
{
	struct spill *sp = arg;
	struct writer_thread *k = &sp->wk;
	struct dss_err err = DSS_ERR_INIT;
	int rc;

	pthread_mutex_lock(&k->mu);
	for (;;) {
		while (k->job == JOB_NONE)
			pthread_cond_wait(&k->cv, &k->mu);
		if (k->job == JOB_QUIT)
			break;
		pthread_mutex_unlock(&k->mu);
		rc = emit_all(sp, k->r, 1, k->at, k->w, &err);
		pthread_mutex_lock(&k->mu);
		k->rc = rc;
		if (rc < 0)
			k->err = err;
		k->job = JOB_NONE;
		pthread_cond_broadcast(&k->cv);
	}
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

/*
 * Starts the writer thread when there are two files or more to write
 * (assign_parts splits them between the two parts bucket by bucket).
 */
static void
writer_start(struct spill *sp)
{
	struct dss_export *x = sp->x;

	if (x->nsubs < 2 ||
	    (sp->part = calloc(x->nsubs, sizeof(*sp->part))) == NULL)
		return;	/* all in part 0: slower, not wrong */
	sp->wk.job = JOB_NONE;
	if (thread_start(&sp->wk.thread, &sp->wk.mu, &sp->wk.cv, write_part,
	    sp) != 0) {
		memset(sp->part, 0, x->nsubs * sizeof(*sp->part));
		return;
	}
	sp->wk.started = 1;
}

static void
writer_stop(struct spill *sp)
{
	if (!sp->wk.started)
		return;
	thread_stop(sp->wk.thread, &sp->wk.mu, &sp->wk.cv, &sp->wk.job,
	    JOB_QUIT);
	sp->wk.started = 0;
}

/*
 * Splits the files of root r's subsets between the two parts by the
 * records each takes from the bucket of w positions from base, largest
 * first, each to the lighter part: a subset smaller than the root has
 * none in its last buckets, so a split made once for the whole run
 * leaves a part idle there.  Returns whether part 1 has any records.
 */
static int
assign_parts(struct spill *sp, size_t r, size_t base, size_t w)
{
	struct dss_export *x = sp->x;
	long long load[2] = { 0, 0 }, most, in;
	size_t i, best;

	for (i = 0; i < x->nsubs; i++)
		sp->part[i] = x->subs[i].root == r ? -1 : 0;
	for (;;) {
		best = x->nsubs;
		most = -1;
		for (i = 0; i < x->nsubs; i++) {
			if (sp->part[i] != -1)
				continue;
			in = x->subs[i].info.size - (long long)base;
			in = in < 0 ? 0 : in > (long long)w ? (long long)w : in;
			if (in > most) {
				most = in;
				best = i;
			}
		}
		if (best == x->nsubs)
			break;
		sp->part[best] = load[0] <= load[1] ? 0 : 1;
		load[sp->part[best]] += most;
	}
	return load[1] > 0;
}

/*
 * A bucket of at most LOAD_MAX bytes: read whole, then its examples
 * written by position through an index of offsets.
 */
static int
write_bucket(struct spill *sp, size_t r, struct bucket *b, size_t base,
    size_t w, struct dss_err *err)
{
	size_t *at, i, off;
	struct spilled h;
	int ret = -1, two;

	dss_buf_reset(&sp->load);
	if (dss_buf_grow(&sp->load, b->bytes + 1) < 0 ||
	    (at = malloc(w * sizeof(*at))) == NULL)
		return dss_export_nomem(err);
	for (i = 0; i < b->next; i++) {
		if (read_at(sp, sp->load.data + sp->load.len, b->ext[i].len,
		    b->ext[i].off, err) < 0)
			goto out;
		sp->load.len += b->ext[i].len;
	}
	if (dss_buf_add(&sp->load, b->stage.data, b->stage.len) < 0) {
		dss_export_nomem(err);
		goto out;
	}
	for (i = 0; i < w; i++)
		at[i] = SIZE_MAX;
	for (off = 0; off + sizeof(h) <= sp->load.len; off += sizeof(h) + h.len) {
		memcpy(&h, sp->load.data + off, sizeof(h));
		at[h.pos - base] = off;
	}
	if ((two = sp->wk.started && assign_parts(sp, r, base, w))) {
		/* the other half of the files on the writer thread */
		pthread_mutex_lock(&sp->wk.mu);
		sp->wk.r = r;
		sp->wk.at = at;
		sp->wk.w = w;
		sp->wk.job = JOB_RUN;
		pthread_cond_broadcast(&sp->wk.cv);
		pthread_mutex_unlock(&sp->wk.mu);
	}
	ret = emit_all(sp, r, sp->wk.started ? 0 : -1, at, w, err);
	if (two) {
		pthread_mutex_lock(&sp->wk.mu);
		while (sp->wk.job == JOB_RUN)
			pthread_cond_wait(&sp->wk.cv, &sp->wk.mu);
		if (ret == 0 && sp->wk.rc < 0) {
			*err = sp->wk.err;
			ret = -1;
		}
		pthread_mutex_unlock(&sp->wk.mu);
	}
	if (ret == 0 && sp->wk.started)
		count_all(sp, r, at, w);
out:
	free(at);
	return ret;
}

/*
 * A bucket too large to read whole: an index of where each example lies
 * in the file (the stage written out first), then each read by itself.
 */
static int
read_big(struct spill *sp, size_t r, struct bucket *b, size_t base, size_t w,
    struct dss_err *err)
{
	off_t *at;
	size_t i, off;
	struct spilled h;
	int ret = -1;

	if (bucket_flush(sp, b, err) < 0)
		return -1;
	if ((at = malloc(w * sizeof(*at))) == NULL)
		return dss_export_nomem(err);
	for (i = 0; i < w; i++)
		at[i] = -1;
	for (i = 0; i < b->next; i++)
		for (off = 0; off + sizeof(h) <= b->ext[i].len;
		    off += sizeof(h) + h.len) {
			if (read_at(sp, &h, sizeof(h), b->ext[i].off + (off_t)off,
			    err) < 0)
				goto out;
			at[h.pos - base] = b->ext[i].off + (off_t)off;
		}
	for (i = 0; i < w; i++) {
		if (at[i] < 0)
			continue;
		if (read_at(sp, &h, sizeof(h), at[i], err) < 0)
			goto out;
		dss_buf_reset(&sp->load);
		if (dss_buf_grow(&sp->load, (size_t)h.len + 1) < 0) {
			dss_export_nomem(err);
			goto out;
		}
		if (read_at(sp, sp->load.data, h.len, at[i] + (off_t)sizeof(h),
		    err) < 0 || emit(sp, r, -1, &h, sp->load.data, err) < 0)
			goto out;
	}
	ret = 0;
out:
	free(at);
	return ret;
}

/*
 * The bytes of a bucket read back whole: LOAD_MAX, or less when
 * $DSS_EXPORT_LOAD_MAX says so (the tests take the other way with it).
 */
static size_t
load_max(void)
{
	const char *v = getenv("DSS_EXPORT_LOAD_MAX");
	char *end;
	unsigned long long n;

	if (v == NULL || *v == '\0')
		return LOAD_MAX;
	errno = 0;
	n = strtoull(v, &end, 10);
	return errno == 0 && *end == '\0' && n < LOAD_MAX ? (size_t)n : LOAD_MAX;
}

static int
write_root(struct spill *sp, size_t r, struct dss_err *err)
{
	size_t i, n = (size_t)sp->x->subs[r].info.size, most = load_max();

	for (i = 0; i < sp->nb[r]; i++) {
		struct bucket *b = &sp->b[r][i];
		size_t base = i * sp->w[r];
		size_t w = n - base < sp->w[r] ? n - base : sp->w[r];
		int rc;

		if (sp->x->o.stop != NULL && *sp->x->o.stop)
			return dss_err_set(err, "interrupted");
		rc = b->bytes <= most ? write_bucket(sp, r, b, base, w, err) :
		    read_big(sp, r, b, base, w, err);
		if (rc < 0)
			return -1;
		/* Done with it: its memory goes now. */
		dss_buf_free(&b->stage);
		free(b->ext);
		b->ext = NULL;
		b->next = b->cext = 0;
	}
	return 0;
}

/* ---- the run ---- */

/*
 * Makes the members room for the roots: their sizes, and for the ids the
 * length of their chunks' JSON text, which is longer than the ids.
 */
static int
room(struct spill *sp, struct dss_err *err)
{
	struct dss_export *x = sp->x;
	size_t i, n = 0, bytes = 0;
	sqlite3_stmt *st;
	int rc;

	for (i = 0; i < x->nsubs; i++) {
		if (x->subs[i].root != i)
			continue;
		if (x->subs[i].info.size < 0 ||
		    (unsigned long long)x->subs[i].info.size >= UINT32_MAX)
			return dss_err_set(err, "subset '%s' is too large",
			    x->subs[i].info.name);
		n += (size_t)x->subs[i].info.size;
		if ((st = dss_export_query(x, "SELECT total(length(CAST(ids AS "
		    "BLOB))) FROM subset_chunks WHERE dataset = ?1 AND name = ?2",
		    err, x->o.dataset, x->subs[i].info.name, NULL)) == NULL)
			return -1;
		if ((rc = dss_export_step(x, st, err)) == 1)
			bytes += (size_t)sqlite3_column_double(st, 0);
		sqlite3_finalize(st);
		if (rc < 0)
			return -1;
	}
	if (members_init(&sp->m, n, bytes) < 0)
		return dss_export_nomem(err);
	return 0;
}

static int
setup(struct spill *sp, struct dss_err *err)
{
	struct dss_export *x = sp->x;
	size_t i, roots = 0, per;

	if (find_roots(x, err) < 0)
		return -1;
	for (i = 0; i < x->nsubs; i++)
		roots += x->subs[i].root == i;
	per = BUCKETS_MAX / (roots ? roots : 1);
	if (per < 4)
		per = 4;
	if ((sp->b = calloc(x->nsubs, sizeof(*sp->b))) == NULL ||
	    (sp->nb = calloc(x->nsubs, sizeof(*sp->nb))) == NULL ||
	    (sp->w = calloc(x->nsubs, sizeof(*sp->w))) == NULL)
		return dss_export_nomem(err);
	if (room(sp, err) < 0)
		return -1;
	for (i = 0; i < x->nsubs; i++) {
		size_t n = (size_t)x->subs[i].info.size, w;

		if (x->subs[i].root != i)
			continue;
		w = (n + per - 1) / per;
		sp->w[i] = w < 4096 ? 4096 : w;
		sp->nb[i] = n == 0 ? 0 : (n + sp->w[i] - 1) / sp->w[i];
		if (sp->nb[i] > 0 &&
		    (sp->b[i] = calloc(sp->nb[i], sizeof(**sp->b))) == NULL)
			return dss_export_nomem(err);
		if (load_root(sp, i, err) < 0)
			return -1;
	}
	return 0;
}

static void
spill_free(struct spill *sp)
{
	size_t i, j;

	for (i = 0; sp->b != NULL && i < sp->x->nsubs; i++) {
		for (j = 0; sp->b[i] != NULL && j < sp->nb[i]; j++) {
			dss_buf_free(&sp->b[i][j].stage);
			free(sp->b[i][j].ext);
		}
		free(sp->b[i]);
	}
	free(sp->b);
	free(sp->nb);
	free(sp->w);
	members_free(&sp->m);
	dss_buf_free(&sp->load);
	spill_thread_stop(sp, NULL);
	writer_stop(sp);
	free(sp->part);
	if (sp->tmp >= 0)
		close(sp->tmp);
}

int
dss_export_subsets(struct dss_export *x, struct dss_err *err)
{
	struct spill sp;
	size_t i;
	int r = -1;

	memset(&sp, 0, sizeof(sp));
	sp.x = x;
	sp.tmp = -1;
	sp.load = (struct dss_buf)DSS_BUF_INIT;
	x->hold = 1;
	if (setup(&sp, err) < 0)
		goto out;
	spill_thread_start(&sp);
	if (merge(&sp, err) < 0 || spill_thread_stop(&sp, err) < 0)
		goto out;
	/* What the examples took is not needed while writing. */
	members_free(&sp.m);
	writer_start(&sp);
	for (i = 0; i < x->nsubs; i++)
		if (x->subs[i].root == i && write_root(&sp, i, err) < 0)
			goto out;
	r = 0;
out:
	x->hold = 0;
	dss_buf_reset(&x->out);
	memset(&x->split_counts[0], 0, sizeof(x->split_counts[0]));
	spill_free(&sp);
	return r;
}
