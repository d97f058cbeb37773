/* SPDX-License-Identifier: MIT */
/*
 * The rationale filter: validates completion records, extracts answers,
 * decides keep or reject by gold label, majority vote or not at all, and
 * writes triple and reject records.  Records are scanned with lib/jscan
 * and their provenance copied to the output as it came, so a record
 * costs one validating pass and one copy.  See filter.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "answer.h"
#include "buf.h"
#include "expr.h"
#include "filter.h"
#include "jscan.h"
#include "jsonl.h"
#include "jsonw.h"
#include "record.h"

#define MAX_CHOICES 26
#define BATCH ((size_t)1 << 17)	/* bytes of records handed on at once */

/* The record fields the filter reads or carries, in triple order first. */
enum {
	K_DATASET, K_SPLIT, K_ID, K_INDEX, K_INPUT, K_FIELDS, K_TEACHER,
	K_SAMPLE, K_REQUEST, K_CARRIED = K_REQUEST + 1,
	K_COMPLETION = K_CARRIED, K_FINISH, K_LABEL, K_N
};

static const char *const key_names[K_N] = {
	"dataset", "split", "id", "index", "input", "fields", "teacher",
	"sample", "request", "completion", "finish_reason", "label"
};
static const unsigned char key_lens[K_N] = { 7, 5, 2, 5, 5, 6, 7, 6, 7, 10, 13, 5 };

struct item {
	struct dss_buf copy;	/* the record text, in majority mode */
	const struct dss_jscan_member *k[K_N];	/* in js, or NULL */
	const char *text;	/* the record text scanned into js */
	struct dss_jscan js;
	unsigned long lineno;
	struct dss_answer a;
	struct dss_buf gold;	/* decoded gold label */
	int has_gold;
	double gold_value;
	int cls;		/* vote class, -1 when the answer was not read */
	size_t ds, te;		/* its dataset and teacher in f->parts */
};

struct vclass {
	size_t item;		/* the first item that gave this answer */
	unsigned long count;
};

/* The datasets, or the teachers, of a run with their counts. */
struct part {
	char *name;		/* owned */
	size_t len;
	struct dss_filter_counts c;
};

struct parts {
	struct part p[DSS_FILTER_MAX_PARTS + 1];	/* the last is "(other)" */
	size_t n, last;
};

struct dss_filter {
	struct dss_filter_opts o;
	struct dss_answer_cache *cache;
	struct dss_answer_config *config;	/* of the pending items */
	struct item *items;
	size_t nitems, cap;
	struct vclass *classes;
	struct dss_buf key;		/* dataset NUL id NUL teacher */
	struct dss_buf next;		/* the same for the record being added */
	struct dss_buf dataset, id, teacher, completion, finish, choices;
	struct dss_buf kbatch, rbatch;	/* JSON Lines waiting for keep, reject */
	struct dss_buf votes;
	char name[64];			/* dss_filter_name of o */
	struct dss_jscan sub;
	uint64_t *seen;			/* DSS_FILTER_SEEN slots, 0 = empty */
	struct dss_filter_counts total;
	struct parts parts[2];		/* by dss_filter_by */
	unsigned long nexamples, nprompts, nvote1;
};

static const char *const reason_names[DSS_REJECT_NREASONS] = {
	"no_answer", "truncated", "disagree", "ambiguous", "tie",
	"empty_rationale"
};

static const char *const agree_names[] = { "gold", "majority", "none" };

const char *
dss_filter_agree_name(int agree)
{
	return agree >= 0 && (size_t)agree < sizeof(agree_names) /
	    sizeof(agree_names[0]) ? agree_names[agree] : NULL;
}

char *
dss_filter_name(const struct dss_filter_opts *o, char *out, size_t n)
{
	const char *mode = dss_filter_agree_name(o->agree);

	if (mode == NULL)
		mode = "unknown";

	if (o->min_rationale_chars != DSS_FILTER_MIN_RATIONALE)
		snprintf(out, n, "%s,min-rationale=%zu", mode,
		    o->min_rationale_chars);
	else
		snprintf(out, n, "%s", mode);
	return out;
}

const char *
dss_filter_reason_name(enum dss_filter_reason r)
{
	return (unsigned)r < DSS_REJECT_NREASONS ? reason_names[r] : "unknown";
}

unsigned long
dss_filter_read(const struct dss_filter *f)
{
	return f->total.read;
}

unsigned long
dss_filter_kept(const struct dss_filter *f)
{
	return f->total.kept;
}

unsigned long
dss_filter_rejected(const struct dss_filter *f, enum dss_filter_reason r)
{
	return (unsigned)r < DSS_REJECT_NREASONS ? f->total.rejected[r] : 0;
}

const struct dss_filter_counts *
dss_filter_totals(const struct dss_filter *f)
{
	return &f->total;
}

size_t
dss_filter_nparts(const struct dss_filter *f, enum dss_filter_by by)
{
	return (unsigned)by < 2 ? f->parts[by].n : 0;
}

const char *
dss_filter_part(const struct dss_filter *f, enum dss_filter_by by, size_t i,
    const struct dss_filter_counts **counts)
{
	const struct part *p;

	if ((unsigned)by >= 2 || i >= f->parts[by].n)
		return NULL;
	p = &f->parts[by].p[i];
	if (counts != NULL)
		*counts = &p->c;
	return p->name;
}

unsigned long
dss_filter_examples(const struct dss_filter *f)
{
	return f->nexamples;
}

unsigned long
dss_filter_prompts(const struct dss_filter *f)
{
	return f->nprompts;
}

unsigned long
dss_filter_votes_of_one(const struct dss_filter *f)
{
	return f->nvote1;
}

/*
 * The index in ps of the part called name (n bytes), added when new;
 * past DSS_FILTER_MAX_PARTS every new name shares "(other)".  Returns -1
 * when out of memory.
 */
static long
part_of(struct parts *ps, const char *name, size_t n)
{
	static const char other[] = "(other)";
	struct part *p = &ps->p[ps->last];
	size_t i;

	if (ps->n > 0 && p->len == n && memcmp(p->name, name, n) == 0)
		return (long)ps->last;
	for (i = 0; i < ps->n; i++)
		if (ps->p[i].len == n && memcmp(ps->p[i].name, name, n) == 0)
			return (long)(ps->last = i);
	if (ps->n > DSS_FILTER_MAX_PARTS)
		return (long)(ps->last = DSS_FILTER_MAX_PARTS);
	if (ps->n == DSS_FILTER_MAX_PARTS) {
		name = other;
		n = sizeof other - 1;
	}
	p = &ps->p[ps->n];
	if ((p->name = malloc(n + 1)) == NULL)
		return -1;
	memcpy(p->name, name, n);
	p->name[n] = '\0';
	p->len = n;
	memset(&p->c, 0, sizeof p->c);
	return (long)(ps->last = ps->n++);
}

struct dss_filter *
dss_filter_new(const struct dss_filter_opts *opts)
{
	struct dss_filter *f = calloc(1, sizeof *f);
	struct dss_buf init = DSS_BUF_INIT;
	struct dss_jscan jinit = DSS_JSCAN_INIT;

	if (f == NULL)
		return NULL;
	f->o = *opts;
	dss_filter_name(opts, f->name, sizeof f->name);
	f->key = f->next = init;
	f->dataset = f->id = f->teacher = f->completion = f->finish = init;
	f->choices = f->kbatch = f->rbatch = f->votes = init;
	f->sub = jinit;
	if ((f->cache = dss_answer_cache_new()) == NULL) {
		free(f);
		return NULL;
	}
	return f;
}

void
dss_filter_free(struct dss_filter *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->cap; i++) {
		dss_buf_free(&f->items[i].copy);
		dss_buf_free(&f->items[i].gold);
		dss_jscan_free(&f->items[i].js);
		dss_answer_free(&f->items[i].a);
	}
	free(f->items);
	free(f->classes);
	free(f->seen);
	dss_buf_free(&f->key);
	dss_buf_free(&f->next);
	dss_buf_free(&f->dataset);
	dss_buf_free(&f->id);
	dss_buf_free(&f->teacher);
	dss_buf_free(&f->completion);
	dss_buf_free(&f->finish);
	dss_buf_free(&f->choices);
	dss_buf_free(&f->kbatch);
	dss_buf_free(&f->rbatch);
	dss_buf_free(&f->votes);
	dss_jscan_free(&f->sub);
	dss_answer_cache_free(f->cache);
	for (i = 0; i < f->parts[0].n; i++)
		free(f->parts[0].p[i].name);
	for (i = 0; i < f->parts[1].n; i++)
		free(f->parts[1].p[i].name);
	free(f);
}

static uint64_t
hash_key(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h ? h : 1;
}

/*
 * With add, inserts h; without, looks it up.  Returns 1 if h was there,
 * 0 if not, -1 when out of memory.  The table has a fixed size: h has
 * eight slots to go to, and when all are taken one of them is replaced
 * (the choice falls by other bits of h), so that memory stays bounded
 * and an old prompt may be forgotten once the table is well filled.
 */
#define SEEN_WAYS 8

static int
seen_add(struct dss_filter *f, uint64_t h, int add)
{
	size_t mask = DSS_FILTER_SEEN - 1, i, k, home = (size_t)h & mask;

	if (f->seen == NULL) {
		if (!add)
			return 0;
		/* calloc'd pages are touched only as prompts fill them */
		if ((f->seen = calloc(DSS_FILTER_SEEN, sizeof *f->seen)) == NULL)
			return -1;
	}
	for (k = 0; k < SEEN_WAYS; k++) {
		i = (home + k) & mask;
		if (f->seen[i] == h)
			return 1;
		if (f->seen[i] == 0) {
			if (add)
				f->seen[i] = h;
			return 0;
		}
	}
	if (add)
		f->seen[(home + (size_t)(h >> 59) % SEEN_WAYS) & mask] = h;
	return 0;
}

static enum dss_filter_reason
reason_of(enum dss_answer_status s)
{
	switch (s) {
	case DSS_ANSWER_TRUNCATED:
		return DSS_REJECT_TRUNCATED;
	case DSS_ANSWER_AMBIGUOUS:
		return DSS_REJECT_AMBIGUOUS;
	default:
		return DSS_REJECT_NO_ANSWER;
	}
}

static int
nomem(struct dss_err *err)
{
	return dss_err_set(err, "out of memory");
}

/* Counts item it as kept (r < 0) or rejected for reason r. */
static void
count(struct dss_filter *f, const struct item *it, int r)
{
	struct dss_filter_counts *c[3];
	int k;

	c[0] = &f->total;
	c[1] = &f->parts[DSS_FILTER_BY_DATASET].p[it->ds].c;
	c[2] = &f->parts[DSS_FILTER_BY_TEACHER].p[it->te].c;
	for (k = 0; k < 3; k++) {
		if (r < 0)
			c[k]->kept++;
		else
			c[k]->rejected[r]++;
	}
}

/* Hands the batch b to the callback when it is full, or when force. */
static int
flush_batch(struct dss_filter *f, struct dss_buf *b,
    int (*cb)(void *, const char *, size_t, struct dss_err *), int force,
    struct dss_err *err)
{
	int r;

	if (b->len == 0 || (!force && b->len < BATCH))
		return 0;
	r = cb(f->o.arg, b->data, b->len, err);
	dss_buf_reset(b);
	return r;
}

static int
emit_reject(struct dss_filter *f, struct item *it, enum dss_filter_reason r,
    const char *detail, int votes, struct dss_err *err)
{
	static const char *const replaced[] = {
		"rationale", "teacher_label", "filter", "reason", "detail", "votes",
		NULL
	};
	struct dss_buf *b = &f->rbatch;
	size_t i, k, start = b->len;

	count(f, it, (int)r);
	if (f->o.reject == NULL)
		return 0;
	for (i = 0; i < it->js.n; i++) {
		const struct dss_jscan_member *m = &it->js.m[i];

		/* A reject is a completion, never mistaken for a triple. */
		for (k = 0; replaced[k]; k++)
			if (m->keylen == strlen(replaced[k]) &&
			    memcmp(m->key, replaced[k], m->keylen) == 0)
				break;
		if (replaced[k] != NULL)
			continue;
		if (DSS_JSONW_LIT(b, ",\"") < 0 ||
		    dss_buf_add_fast(b, m->key, m->keylen) < 0 ||
		    DSS_JSONW_LIT(b, "\":") < 0 ||
		    dss_buf_add_fast(b, m->val, m->vallen) < 0)
			goto oom;
	}
	if ((it->a.status == DSS_ANSWER_OK && DSS_JSONW_STR(b, "teacher_label",
	    it->a.answer.data, it->a.answer.len) < 0) ||
	    DSS_JSONW_STR(b, "filter", f->name, strlen(f->name)) < 0 ||
	    DSS_JSONW_STR(b, "reason", dss_filter_reason_name(r),
	    strlen(dss_filter_reason_name(r))) < 0 ||
	    DSS_JSONW_STR(b, "detail", detail, strlen(detail)) < 0 ||
	    (votes && DSS_JSONW_RAW(b, "votes", f->votes.data,
	    f->votes.len) < 0) ||
	    dss_jsonw_end(b, start) < 0)
		goto oom;
	return flush_batch(f, b, f->o.reject, 0, err);
oom:
	dss_buf_truncate(b, start);
	return nomem(err);
}

static int
emit_triple(struct dss_filter *f, struct item *it, const char *label,
    int agree, int votes, struct dss_err *err)
{
	/* ,"KEY": of the carried members, zero-padded to a fixed size. */
	static const char carried[K_CARRIED][16] = {
		",\"dataset\":", ",\"split\":", ",\"id\":", ",\"index\":",
		",\"input\":", ",\"fields\":", ",\"teacher\":", ",\"sample\":",
		",\"request\":"
	};
	struct dss_buf *b = &f->kbatch;
	size_t i, start = b->len;

	for (i = 0; i < K_CARRIED; i++) {
		const struct dss_jscan_member *m = it->k[i];
		char *d;

		if (m == NULL)
			continue;
		if (dss_buf_grow_fast(b, sizeof carried[i] + m->vallen) < 0)
			goto oom;
		d = b->data + b->len;
		memcpy(d, carried[i], sizeof carried[i]);
		d += key_lens[i] + 4;
		memcpy(d, m->val, m->vallen);
		d[m->vallen] = '\0';
		b->len = (size_t)(d + m->vallen - b->data);
	}
	if (DSS_JSONW_STR(b, "filter", f->name, strlen(f->name)) < 0 ||
	    DSS_JSONW_STR(b, "rationale", it->a.rationale.data,
	    it->a.rationale.len) < 0 ||
	    DSS_JSONW_STR(b, "teacher_label", it->a.answer.data,
	    it->a.answer.len) < 0 ||
	    DSS_JSONW_STR(b, "label", label, strlen(label)) < 0 ||
	    DSS_JSONW_STR(b, "gold", it->has_gold ? it->gold.data : NULL,
	    it->gold.len) < 0 ||
	    DSS_JSONW_BOOL(b, "agree", agree) < 0 ||
	    (votes && DSS_JSONW_RAW(b, "votes", f->votes.data,
	    f->votes.len) < 0) ||
	    dss_jsonw_end(b, start) < 0)
		goto oom;
	count(f, it, -1);
	return flush_batch(f, b, f->o.keep, 0, err);
oom:
	dss_buf_truncate(b, start);
	return nomem(err);
}

/*
 * Hands every pending record to the callbacks.  Returns 0 or -1 (the
 * first error).
 */
static int
flush_all(struct dss_filter *f, struct dss_err *err)
{
	int r = flush_batch(f, &f->kbatch, f->o.keep, 1, err);

	if (f->o.reject != NULL && flush_batch(f, &f->rbatch, f->o.reject, 1,
	    r < 0 ? NULL : err) < 0)
		r = -1;
	return r;
}

/* 1 when the answers of items a and b are the same, by value for equations. */
static int
same_answer(const struct dss_filter *f, const struct item *a,
    const struct item *b)
{
	if (dss_answer_config_kindof(f->config) == DSS_ANSWER_EQUATION)
		return dss_expr_equal(a->a.value, b->a.value, DSS_EXPR_REL_TOL);
	return dss_answer_same(dss_answer_config_kindof(f->config),
	    a->a.answer.data, b->a.answer.data);
}

/* Whether the item's answer equals its gold label; -1 without gold. */
static int
gold_agrees(const struct dss_filter *f, const struct item *it)
{
	if (!it->has_gold)
		return -1;
	if (dss_answer_config_kindof(f->config) == DSS_ANSWER_EQUATION)
		return dss_expr_equal(it->a.value, it->gold_value, DSS_EXPR_REL_TOL);
	return dss_answer_same(dss_answer_config_kindof(f->config),
	    it->a.answer.data, it->gold.data);
}

/* Characters (UTF-8 code points) in the item's rationale, counted up to most. */
static size_t
rationale_chars_upto(const struct item *it, size_t most)
{
	const unsigned char *p = (const unsigned char *)it->a.rationale.data;
	size_t i, n = 0;

	for (i = 0; i < it->a.rationale.len && n < most; i++)
		n += (p[i] & 0xC0) != 0x80;
	return n;
}

/* All the characters of the item's rationale. */
static size_t
rationale_chars(const struct item *it)
{
	return rationale_chars_upto(it, (size_t)-1);
}

/* Whether the rationale is shorter than the minimum: it is counted only that far. */
static int
rationale_short(const struct dss_filter *f, const struct item *it)
{
	return rationale_chars_upto(it, f->o.min_rationale_chars) <
	    f->o.min_rationale_chars;
}

static int
decide_one(struct dss_filter *f, struct item *it, struct dss_err *err)
{
	char detail[512];
	int agree;

	if (it->a.status != DSS_ANSWER_OK)
		return emit_reject(f, it, reason_of(it->a.status), it->a.reason,
		    0, err);
	agree = gold_agrees(f, it);
	if (f->o.agree == DSS_FILTER_GOLD && agree != 1) {
		snprintf(detail, sizeof detail,
		    "teacher says '%.200s', gold is '%.200s'", it->a.answer.data,
		    it->gold.data);
		return emit_reject(f, it, DSS_REJECT_DISAGREE, detail, 0, err);
	}
	if (rationale_short(f, it)) {
		snprintf(detail, sizeof detail,
		    "rationale has %zu characters, fewer than %zu",
		    rationale_chars(it), f->o.min_rationale_chars);
		return emit_reject(f, it, DSS_REJECT_EMPTY_RATIONALE, detail, 0,
		    err);
	}
	return emit_triple(f, it, f->o.agree == DSS_FILTER_GOLD ?
	    it->gold.data : it->a.answer.data, agree, 0, err);
}

/*
 * A prompt with one sample, or whose samples all hold the same
 * completion (as several samples at temperature 0 do): nothing to vote.
 */
static int
vote_of_one(const struct dss_filter *f)
{
	const struct dss_jscan_member *a = f->items[0].k[K_COMPLETION], *b;
	size_t i;

	for (i = 1; i < f->nitems; i++) {
		b = f->items[i].k[K_COMPLETION];
		if (a == NULL || b == NULL || a->vallen != b->vallen ||
		    memcmp(a->val, b->val, a->vallen) != 0)
			return 0;
	}
	return 1;
}

static int
decide_group(struct dss_filter *f, struct dss_err *err)
{
	struct vclass *cl;
	size_t i, j, ncl = 0, best = 0, nbest = 0;
	char detail[512];
	int r = 0;

	cl = realloc(f->classes, f->nitems * sizeof *cl);
	if (cl == NULL)
		return nomem(err);
	f->classes = cl;
	for (i = 0; i < f->nitems; i++) {
		struct item *it = &f->items[i];

		it->cls = -1;
		if (it->a.status != DSS_ANSWER_OK)
			continue;
		for (j = 0; j < ncl; j++)
			if (same_answer(f, &f->items[cl[j].item], it))
				break;
		if (j == ncl) {
			cl[ncl].item = i;
			cl[ncl++].count = 0;
		}
		cl[j].count++;
		it->cls = (int)j;
	}
	dss_buf_reset(&f->votes);
	for (j = 0; j < ncl; j++) {
		const struct dss_answer *a = &f->items[cl[j].item].a;
		char n[32];

		snprintf(n, sizeof n, "%lu", cl[j].count);
		if (dss_buf_addch(&f->votes, j ? ',' : '{') < 0 ||
		    dss_jscan_quote(&f->votes, a->answer.data, a->answer.len) < 0 ||
		    dss_buf_addch(&f->votes, ':') < 0 ||
		    dss_buf_adds(&f->votes, n) < 0)
			return nomem(err);
		if (cl[j].count > cl[best].count)
			best = j;
	}
	if (ncl > 0 && dss_buf_addch(&f->votes, '}') < 0)
		return nomem(err);
	f->nprompts++;
	if (vote_of_one(f))
		f->nvote1++;
	for (j = 0; j < ncl; j++)
		nbest += cl[j].count == cl[best].count;
	for (i = 0; i < f->nitems && r == 0; i++) {
		struct item *it = &f->items[i];

		if (it->cls < 0)
			r = emit_reject(f, it, reason_of(it->a.status), it->a.reason,
			    ncl > 0, err);
		else if (nbest > 1) {
			snprintf(detail, sizeof detail,
			    "no single most frequent answer among %zu samples",
			    f->nitems);
			r = emit_reject(f, it, DSS_REJECT_TIE, detail, 1, err);
		} else if ((size_t)it->cls != best) {
			snprintf(detail, sizeof detail,
			    "teacher says '%.200s', majority is '%.200s'",
			    it->a.answer.data, f->items[cl[best].item].a.answer.data);
			r = emit_reject(f, it, DSS_REJECT_DISAGREE, detail, 1, err);
		} else if (rationale_short(f, it)) {
			snprintf(detail, sizeof detail,
			    "rationale has %zu characters, fewer than %zu",
			    rationale_chars(it), f->o.min_rationale_chars);
			r = emit_reject(f, it, DSS_REJECT_EMPTY_RATIONALE, detail, 1,
			    err);
		} else
			r = emit_triple(f, it, f->items[cl[best].item].a.answer.data,
			    gold_agrees(f, it), 1, err);
	}
	f->nitems = 0;
	return r;
}

static int
flush_group(struct dss_filter *f, struct dss_err *err)
{
	if (f->nitems == 0)
		return 0;
	if (decide_group(f, err) < 0)
		return -1;
	if (seen_add(f, hash_key(f->key.data, f->key.len), 1) < 0)
		return nomem(err);
	return 0;
}

int
dss_filter_finish(struct dss_filter *f, struct dss_err *err)
{
	if (flush_group(f, err) < 0) {
		flush_all(f, NULL);
		return -1;
	}
	return flush_all(f, err);
}

/* The index in key_names of the key of len bytes, or -1: a switch, as every record costs it. */
static int
key_index(const char *key, size_t len)
{
#define IS(word) (memcmp(key, word, sizeof(word) - 1) == 0)
	switch (len) {
	case 2:
		return IS("id") ? K_ID : -1;
	case 5:
		return IS("split") ? K_SPLIT : IS("index") ? K_INDEX :
		    IS("input") ? K_INPUT : IS("label") ? K_LABEL : -1;
	case 6:
		return IS("fields") ? K_FIELDS : IS("sample") ? K_SAMPLE : -1;
	case 7:
		return IS("dataset") ? K_DATASET : IS("teacher") ? K_TEACHER :
		    IS("request") ? K_REQUEST : -1;
	case 10:
		return IS("completion") ? K_COMPLETION : -1;
	case 13:
		return IS("finish_reason") ? K_FINISH : -1;
	default:
		return -1;
	}
#undef IS
}

/* Finds the members of key_names in one pass (the first of a name wins). */
static void
index_members(struct item *it)
{
	size_t i, k;
	int x;

	memset(it->k, 0, sizeof it->k);
	for (i = 0; i < it->js.n; i++) {
		const struct dss_jscan_member *m = &it->js.m[i];

		if (m->key_escaped) {
			/* Rare: let the scanner decode and compare. */
			for (k = 0; k < K_N; k++)
				it->k[k] = dss_jscan_get(&it->js, key_names[k]);
			return;
		}
		if ((x = key_index(m->key, m->keylen)) >= 0 && it->k[x] == NULL)
			it->k[x] = m;
	}
}

/*
 * Decodes the string member name of js into b.  Returns 1 when it is a
 * string, 0 when absent or null (unless required), -1 with err set.
 */
static int
get_str(const struct item *it, int key, int required, struct dss_buf *b,
    struct dss_err *err)
{
	const struct dss_jscan_member *m = it->k[key];
	const char *name = key_names[key];

	dss_buf_reset(b);
	if (m == NULL || (m->type == DSS_JSCAN_NULL && !required)) {
		if (required)
			return dss_err_set(err, "field '%s' is missing", name);
		return 0;
	}
	if (m->type != DSS_JSCAN_STRING)
		return dss_err_set(err, "field '%s' is not a string", name);
	/* Without a backslash the text is the literal's inside as it stands. */
	if ((m->val_escaped ? dss_jscan_unquote(b, m->val, m->vallen) :
	    dss_buf_add(b, m->val + 1, m->vallen - 2)) < 0)
		return nomem(err);
	return 1;
}

/* Decodes fields.choices into f->choices, pointers in choices[]. */
static int
get_choices(struct dss_filter *f, const struct item *it,
    const char **choices, size_t *nch, struct dss_err *err)
{
	const struct dss_jscan_member *m = it->k[K_FIELDS];
	size_t offs[MAX_CHOICES], i, n;

	if (m == NULL)
		return dss_err_set(err, "field 'fields' is missing");
	if (m->type != DSS_JSCAN_OBJECT)
		return dss_err_set(err, "field 'fields' is not an object");
	if (dss_jscan_object(&f->sub, m->val, m->vallen, err) < 0)
		return -1;
	m = dss_jscan_get(&f->sub, "choices");
	if (m == NULL)
		return dss_err_set(err, "field 'fields.choices' is missing");
	if (m->type != DSS_JSCAN_ARRAY ||
	    dss_jscan_array(&f->sub, m->val, m->vallen, err) < 0 ||
	    f->sub.n == 0 || f->sub.n > MAX_CHOICES)
		return dss_err_set(err, "field 'fields.choices' is not an array "
		    "of 1 to %d strings", MAX_CHOICES);
	dss_buf_reset(&f->choices);
	n = f->sub.n;
	for (i = 0; i < n; i++) {
		const struct dss_jscan_member *c = &f->sub.m[i];

		if (c->type != DSS_JSCAN_STRING)
			return dss_err_set(err, "field 'fields.choices' holds a "
			    "value that is not a string");
		offs[i] = f->choices.len;
		if (dss_jscan_unquote(&f->choices, c->val, c->vallen) < 0 ||
		    dss_buf_addch(&f->choices, '\0') < 0)
			return nomem(err);
	}
	for (i = 0; i < n; i++)
		choices[i] = f->choices.data + offs[i];
	*nch = n;
	return 0;
}

static struct item *
new_item(struct dss_filter *f)
{
	if (f->nitems == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 8, i;
		struct item *n = realloc(f->items, ncap * sizeof *n);

		if (n == NULL)
			return NULL;
		for (i = f->cap; i < ncap; i++) {
			struct dss_buf binit = DSS_BUF_INIT;
			struct dss_jscan jinit = DSS_JSCAN_INIT;
			struct dss_answer ainit = DSS_ANSWER_INIT;

			memset(&n[i], 0, sizeof n[i]);
			n[i].copy = binit;
			n[i].gold = binit;
			n[i].js = jinit;
			n[i].a = ainit;
		}
		f->items = n;
		f->cap = ncap;
	}
	return &f->items[f->nitems++];
}

/* Builds the group key of the record in f->next; compares it with f->key. */
static int
same_group(struct dss_filter *f, int *same, struct dss_err *err)
{
	struct dss_buf *k = &f->next;

	dss_buf_reset(k);
	if (dss_buf_add(k, f->dataset.data, f->dataset.len + 1) < 0 ||
	    dss_buf_add(k, f->id.data, f->id.len + 1) < 0 ||
	    dss_buf_add(k, f->teacher.data, f->teacher.len) < 0)
		return nomem(err);
	*same = k->len == f->key.len && memcmp(k->data, f->key.data, k->len) == 0;
	return 0;
}

/*
 * Scans line into a new item (*out).  Returns 1 for a completion or a
 * reject record, 0 for an example record (passed over), -1 on error.
 */
static int
item_scan(struct dss_filter *f, const char *line, size_t len,
    struct item **out, struct dss_err *err)
{
	struct item *it;
	int type;

	if (f->o.agree != DSS_FILTER_MAJORITY)
		f->nitems = 0;
	if ((it = *out = new_item(f)) == NULL)
		return nomem(err);
	it->text = line;
	if (f->o.agree == DSS_FILTER_MAJORITY) {
		dss_buf_reset(&it->copy);
		if (dss_buf_add(&it->copy, line, len) < 0)
			return nomem(err);
		it->text = it->copy.data;
	}
	if ((type = dss_jscan_object(&it->js, it->text, len, err)) < 0)
		return type == -2 ? nomem(err) : -1;
	/* Examples come before their completions from dss-import: pass. */
	if ((type = dss_record_type_scan(&it->js, err)) == DSS_RECORD_EXAMPLE) {
		f->nitems--;
		f->nexamples++;
		return 0;
	}
	/* Of no known type: the field checks that follow name what is missing. */
	if (type >= 0 && type != DSS_RECORD_COMPLETION &&
	    type != DSS_RECORD_REJECT) {
		dss_record_wrong(type, DSS_RECORD_COMPLETION, "dss-filter", err);
		return -1;
	}
	return 1;
}

/*
 * Reads the string fields of it (into f's buffers and it->gold), counts
 * it as read in its dataset's and its teacher's parts, and sets
 * *has_finish and it->has_gold.  0 or -1.
 */
static int
item_fields(struct dss_filter *f, struct item *it, int *has_finish,
    struct dss_err *err)
{
	long ds, te;
	int has_gold;

	f->total.read++;
	index_members(it);
	if (get_str(it, K_DATASET, 1, &f->dataset, err) < 0 ||
	    get_str(it, K_ID, 1, &f->id, err) < 0 ||
	    get_str(it, K_COMPLETION, 1, &f->completion, err) < 0 ||
	    get_str(it, K_TEACHER, 0, &f->teacher, err) < 0)
		return -1;
	if ((ds = part_of(&f->parts[DSS_FILTER_BY_DATASET], f->dataset.data,
	    f->dataset.len)) < 0 ||
	    (te = part_of(&f->parts[DSS_FILTER_BY_TEACHER], f->teacher.data,
	    f->teacher.len)) < 0)
		return nomem(err);
	it->ds = (size_t)ds;
	it->te = (size_t)te;
	f->parts[DSS_FILTER_BY_DATASET].p[ds].c.read++;
	f->parts[DSS_FILTER_BY_TEACHER].p[te].c.read++;
	if ((*has_finish = get_str(it, K_FINISH, 0, &f->finish, err)) < 0 ||
	    (has_gold = get_str(it, K_LABEL, 0, &it->gold, err)) < 0)
		return -1;
	if (!has_gold && f->o.agree == DSS_FILTER_GOLD)
		return dss_err_set(err, "field 'label' is missing");
	it->has_gold = has_gold;
	return 0;
}

/*
 * Finds the answer rules of it's dataset (*config) and, for a choice
 * dataset, its choices; an equation's gold label is evaluated.  0 or -1.
 */
static int
item_rules(struct dss_filter *f, struct item *it, unsigned long lineno,
    struct dss_answer_config **config, const char **choices, size_t *nch,
    struct dss_err *err)
{
	if ((*config = dss_answer_cache_get(f->cache, f->dataset.data, err)) ==
	    NULL)
		return -1;
	if (dss_answer_config_kindof(*config) == DSS_ANSWER_CHOICE &&
	    get_choices(f, it, choices, nch, err) < 0)
		return -1;
	it->lineno = lineno;
	it->gold_value = 0;
	it->cls = -1;
	if (it->has_gold &&
	    dss_answer_config_kindof(*config) == DSS_ANSWER_EQUATION) {
		struct dss_err e = DSS_ERR_INIT;

		if (dss_expr_eval(it->gold.data, &it->gold_value, &e) < 0)
			return dss_err_set(err, "field 'label' is not an "
			    "equation: %s", e.msg);
	}
	return 0;
}

/*
 * Majority mode: adds the item just read (*itp) to the group of its
 * prompt.  An item of another prompt first decides the pending group
 * (errors of that are not the new line's: *prefix is cleared meanwhile)
 * and starts a new group with it, *itp then pointing to its new place.
 * 0 or -1.
 */
static int
group_add(struct dss_filter *f, struct item **itp, int *prefix,
    struct dss_err *err)
{
	int same = 0;

	if (same_group(f, &same, err) < 0)
		return -1;
	if (f->nitems > 1 && !same) {
		/* Decide the pending prompt, then start from the new item. */
		size_t last = f->nitems - 1;

		f->nitems = last;
		*prefix = 0;
		if (flush_group(f, err) < 0)
			return -1;
		*prefix = 1;
		if (last != 0) {
			struct item t = f->items[0];

			f->items[0] = f->items[last];
			f->items[last] = t;
		}
		f->nitems = 1;
		*itp = &f->items[0];
	}
	if (f->nitems == 1) {
		struct dss_buf t = f->key;

		f->key = f->next;
		f->next = t;
		if (seen_add(f, hash_key(f->key.data, f->key.len), 0) == 1)
			return dss_err_set(err, "prompt '%.200s' of teacher "
			    "'%.100s' reappears after other prompts (its samples "
			    "must be adjacent)", f->id.data, f->teacher.data);
	} else if (f->nitems > DSS_FILTER_MAX_GROUP) {
		return dss_err_set(err, "more than %d samples of prompt '%.200s'",
		    DSS_FILTER_MAX_GROUP, f->id.data);
	}
	return 0;
}

int
dss_filter_add(struct dss_filter *f, const char *line, size_t len,
    unsigned long lineno, struct dss_err *err)
{
	const char *choices[MAX_CHOICES];
	struct dss_answer_config *config;
	struct item *it = NULL;
	size_t nch = 0;
	int prefix = 1, r = -1, has_finish = 0, k;

	if ((k = item_scan(f, line, len, &it, err)) <= 0) {
		r = k;
		goto out;
	}
	if (item_fields(f, it, &has_finish, err) < 0 ||
	    item_rules(f, it, lineno, &config, choices, &nch, err) < 0)
		goto out;
	if (f->o.agree == DSS_FILTER_MAJORITY &&
	    group_add(f, &it, &prefix, err) < 0)
		goto out;
	f->config = config;
	if (dss_answer_extract(config, f->completion.data, f->completion.len,
	    has_finish ? f->finish.data : NULL, choices, nch, &it->a, err) < 0)
		goto out;
	if (f->o.agree != DSS_FILTER_MAJORITY) {
		prefix = 0;
		r = decide_one(f, it, err);
		f->nitems = 0;
		goto out;
	}
	r = 0;
out:
	if (r < 0 && prefix)
		dss_err_prefix(err, "line %lu", lineno);
	if (r < 0)
		flush_all(f, NULL);	/* what came before the error stands */
	return r;
}

int
dss_filter_run(struct dss_filter *f, FILE *fp, const char *name,
    struct dss_err *err)
{
	struct dss_lines l = DSS_LINES_INIT(fp, name);
	int r;

	while ((r = dss_jsonl_line(&l, err)) == 1)
		if (dss_filter_add(f, l.line.data, l.line.len, l.lineno, err) < 0)
			break;
	if (r == 0)
		r = dss_filter_finish(f, err);
	else if (r < 0)
		flush_all(f, NULL);	/* what came before the bad line stands */
	else
		r = -1;
	dss_lines_free(&l);
	return r;
}

unsigned long
dss_filter_counts_rejected(const struct dss_filter_counts *c)
{
	unsigned long n = 0;
	int r;

	for (r = 0; r < DSS_REJECT_NREASONS; r++)
		n += c->rejected[r];
	return n;
}

int
dss_filter_counts_text(const struct dss_filter_counts *c, struct dss_buf *out)
{
	int r, bad;

	bad = dss_buf_addf(out, "read %lu, kept %lu, rejected %lu (", c->read,
	    c->kept, dss_filter_counts_rejected(c)) < 0;
	for (r = 0; r < DSS_REJECT_NREASONS; r++)
		bad |= dss_buf_addf(out, "%s%s %lu", r ? ", " : "",
		    reason_names[r], c->rejected[r]) < 0;
	return bad || dss_buf_addch(out, ')') < 0 ? -1 : 0;
}

static int
counts_json(const struct dss_filter_counts *c, struct dss_buf *out)
{
	int r, bad;

	bad = dss_buf_addf(out, "{\"read\":%lu,\"kept\":%lu,\"rejected\":%lu,"
	    "\"reasons\":{", c->read, c->kept, dss_filter_counts_rejected(c)) < 0;
	for (r = 0; r < DSS_REJECT_NREASONS; r++)
		bad |= dss_buf_addf(out, "%s\"%s\":%lu", r ? "," : "",
		    reason_names[r], c->rejected[r]) < 0;
	return bad || dss_buf_adds(out, "}}") < 0 ? -1 : 0;
}

static int
parts_json(const struct parts *ps, struct dss_buf *out)
{
	size_t i;

	if (dss_buf_addch(out, '{') < 0)
		return -1;
	for (i = 0; i < ps->n; i++)
		if ((i > 0 && dss_buf_addch(out, ',') < 0) ||
		    dss_jscan_quote(out, ps->p[i].name, ps->p[i].len) < 0 ||
		    dss_buf_addch(out, ':') < 0 || counts_json(&ps->p[i].c, out) < 0)
			return -1;
	return dss_buf_addch(out, '}');
}

int
dss_filter_summary_json(const struct dss_filter *f, const char *error,
    struct dss_buf *out)
{
	const struct dss_filter_counts *c = &f->total;
	unsigned long rej = dss_filter_counts_rejected(c);
	int r, bad;

	bad = dss_buf_addf(out, "{\"agree\":\"%s\",\"read\":%lu,\"kept\":%lu,"
	    "\"rejected\":%lu,\"undecided\":%lu,\"reasons\":{",
	    dss_filter_agree_name(f->o.agree), c->read, c->kept, rej, c->read - c->kept - rej) < 0;
	for (r = 0; r < DSS_REJECT_NREASONS; r++)
		bad |= dss_buf_addf(out, "%s\"%s\":%lu", r ? "," : "",
		    reason_names[r], c->rejected[r]) < 0;
	bad |= dss_buf_addf(out, "},\"examples\":%lu,", f->nexamples) < 0;
	if (f->o.agree == DSS_FILTER_MAJORITY)
		bad |= dss_buf_addf(out, "\"prompts\":%lu,\"votes_of_one\":%lu,",
		    f->nprompts, f->nvote1) < 0;
	else
		bad |= dss_buf_adds(out, "\"prompts\":null,\"votes_of_one\":null,") < 0;
	bad |= dss_buf_adds(out, "\"by_dataset\":") < 0 ||
	    parts_json(&f->parts[DSS_FILTER_BY_DATASET], out) < 0 ||
	    dss_buf_adds(out, ",\"by_teacher\":") < 0 ||
	    parts_json(&f->parts[DSS_FILTER_BY_TEACHER], out) < 0 ||
	    dss_buf_adds(out, ",\"error\":") < 0 ||
	    (error == NULL ? dss_buf_adds(out, "null") :
	    dss_jscan_quote(out, error, strlen(error))) < 0 ||
	    dss_buf_adds(out, "}\n") < 0;
	return bad ? -1 : 0;
}
