/* SPDX-License-Identifier: MIT */
/*
 * dss-eval's engine: gold labels in a compact hash table of ids, each
 * distinct label stored and evaluated once; predictions read with the
 * JSON scanner and scored by both rules into groups; bootstrap
 * intervals by binomial draws.  The reports are in eval_report.c.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "answer.h"
#include "db.h"
#include "eval.h"
#include "expr.h"
#include "idtab.h"
#include "jscan.h"
#include "jsonl.h"
#include "manifest.h"

#define NONE UINT32_MAX
#define MAX_CHOICES 255
#define ARENA_MAX ((size_t)UINT32_MAX - 1)

/*
 * A distinct gold label (its text is key i of e->labtab for label i), its
 * folded form, and its values as an equation.
 */
struct label {
	uint32_t fold, foldlen;		/* arena offset and length */
	double plain, py;		/* by lib/expr, and as Python's eval() */
	unsigned char plain_ok, py_ok;
};

/* A gold example; its id is key i of e->ids for example i. */
struct gold {
	uint32_t label;		/* index into labels */
	uint32_t choices;	/* arena offset of a choice list, or NONE */
	uint32_t set;		/* index into sets */
};

/*
 * Valid answers are kept as choice lists: a count byte, then that many
 * NUL-terminated strings.
 */
struct dataset {
	char *name;
	enum dss_answer_kind kind;
	struct dss_buf valid;	/* nli: the label map's values, a choice list */
};

struct set {
	uint32_t ds;
	char *split;
	unsigned long count;
	int scored;		/* some group has predictions of it */
};

/* What a prediction record says of its group, beside its dataset and split. */
struct key {
	char *method;
	double fraction;	/* NAN when none */
	char *size;		/* NULL when none */
	size_t method_order;	/* the first key with this method */
	uint32_t *group;	/* by set: group index + 1, or 0 */
};

struct group {
	struct dss_eval_group pub;
	uint32_t set, key;
	size_t method_order;	/* of its key */
	double size;		/* its size as a number, NAN when none */
	unsigned char *seen;	/* a bit per gold entry */
	unsigned long f_unp, o_unp;
};

struct dss_eval {
	struct dss_eval_opts o;
	struct dss_buf arena;
	struct label *labels;
	size_t nlabels, labcap;
	struct dss_idtab labtab;	/* the distinct labels */
	struct gold *gold;
	size_t ngold, goldcap;
	struct dss_idtab ids;		/* gold ids, numbered as gold */
	struct dataset *ds;
	size_t nds;
	struct set *sets;
	size_t nsets;
	struct key *keys;
	size_t nkeys;
	struct group *groups;
	size_t ngroups;
	struct group **order;	/* groups sorted for the reports */
	unsigned long extra;
	char *extra_ids[DSS_EVAL_SHOW_IDS];
	unsigned long gold_unp;
	uint32_t gold_unp_first;	/* the first of them */
	struct dss_answer_cache *answers;
	struct dss_buf s1, s2, method, size;	/* scratch */
	struct dss_buf keytext;	/* raw text of the last record's key */
	long lastkey;		/* its key, or -1 */
	uint32_t guess;		/* the gold entry after the last one found */
	struct dss_jscan js, js2;
	unsigned long predictions;
};

static uint64_t
splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

int
dss_eval_fold(struct dss_buf *out, const char *s, size_t n)
{
	size_t i = 0;
	int space = 0;

	while (i < n && is_space((unsigned char)s[i]))
		i++;
	while (n > i && is_space((unsigned char)s[n - 1]))
		n--;
	if (dss_buf_grow(out, n - i) < 0)
		return -1;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_space(c)) {
			space = 1;
			continue;
		}
		if (space && dss_buf_addch_fast(out, ' ') < 0)
			return -1;
		space = 0;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (dss_buf_addch_fast(out, (char)c) < 0)
			return -1;
	}
	return 0;
}

/* ---- scoring rules ---- */

static int
same(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && memcmp(a, b, an) == 0;
}

static void
equation_verdict(const char *p, size_t n, const struct label *gl,
    struct dss_eval_verdict *v)
{
	size_t i = 0, m = n;
	double a;

	while (i < m && is_space((unsigned char)p[i]))
		i++;
	while (m > i && is_space((unsigned char)p[m - 1]))
		m--;
	if (dss_expr_evaln(p + i, m - i, &a, NULL) == 0) {
		v->folded_unparsable = 0;
		v->folded = gl->plain_ok &&
		    fabs(a - gl->plain) <= DSS_EVAL_TOL * fmax(1, fabs(gl->plain));
	} else {
		v->folded_unparsable = 1;
		v->folded = 0;
	}
	if (dss_expr_evaln_python(p, n, &a, NULL) == 0) {
		v->official_unparsable = 0;
		v->official = gl->py_ok && a == gl->py;
	} else {
		v->official_unparsable = 1;
		v->official = 0;
	}
}

/*
 * The verdict on a text prediction p (folded already into pf) against a
 * label given raw and folded, with valid answers in a choice list (or
 * NULL).  fold is scratch.
 */
static int
label_verdict(const char *p, size_t n, const struct dss_buf *pf,
    const char *graw, size_t grawlen, const char *gfold, size_t gfoldlen,
    const unsigned char *valid, struct dss_buf *fold,
    struct dss_eval_verdict *v)
{
	v->folded = same(pf->data, pf->len, gfold, gfoldlen);
	v->official = same(p, n, graw, grawlen);
	v->folded_unparsable = v->official_unparsable = 0;
	if (valid != NULL && valid[0] > 0) {
		const char *c = (const char *)valid + 1;
		unsigned k;

		v->folded_unparsable = !v->folded;
		v->official_unparsable = !v->official;
		for (k = 0; k < valid[0]; k++) {
			size_t len = strlen(c);

			if (v->official_unparsable && same(p, n, c, len))
				v->official_unparsable = 0;
			if (v->folded_unparsable) {
				dss_buf_reset(fold);
				if (dss_eval_fold(fold, c, len) < 0)
					return -1;
				if (same(pf->data, pf->len, fold->data, fold->len))
					v->folded_unparsable = 0;
			}
			c += len + 1;
		}
	}
	return 0;
}

static void
label_values(struct label *l, const char *raw, size_t n)
{
	l->plain_ok = dss_expr_evaln(raw, n, &l->plain, NULL) == 0;
	l->py_ok = dss_expr_evaln_python(raw, n, &l->py, NULL) == 0;
}

int
dss_eval_score_equation(const char *pred, size_t n, const char *gold,
    struct dss_eval_verdict *v)
{
	struct label l;

	memset(&l, 0, sizeof(l));
	label_values(&l, gold, strlen(gold));
	equation_verdict(pred, n, &l, v);
	return 0;
}

/* Appends a choice list of the n strings at v to b. */
static int
choice_list(struct dss_buf *b, const char *const *v, size_t n)
{
	size_t i;

	if (n > MAX_CHOICES)
		n = MAX_CHOICES;
	if (dss_buf_addch(b, (char)n) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (dss_buf_add(b, v[i], strlen(v[i]) + 1) < 0)
			return -1;
	return 0;
}

int
dss_eval_score_label(const char *pred, size_t n, const char *gold,
    const char *const *valid, size_t nvalid, struct dss_eval_verdict *v)
{
	struct dss_buf pf = DSS_BUF_INIT, gf = DSS_BUF_INIT, list = DSS_BUF_INIT,
	    fold = DSS_BUF_INIT;
	int r = -1;

	if (dss_eval_fold(&pf, pred, n) < 0 ||
	    dss_eval_fold(&gf, gold, strlen(gold)) < 0 ||
	    (nvalid && choice_list(&list, valid, nvalid) < 0))
		goto out;
	r = label_verdict(pred, n, &pf, gold, strlen(gold), gf.data, gf.len,
	    nvalid ? (const unsigned char *)list.data : NULL, &fold, v);
out:
	dss_buf_free(&pf);
	dss_buf_free(&gf);
	dss_buf_free(&list);
	dss_buf_free(&fold);
	return r;
}

/* ---- the bootstrap ---- */

static double
uniform(struct dss_mt19937 *m)
{
	return (double)(dss_mt19937_next64(m) >> 11) * 0x1p-53;
}

/*
 * Inversion from the mode: the outcomes are taken in the order mode,
 * mode + 1, mode - 1, mode + 2, ... and a uniform draw is used up by
 * their probabilities, so a draw costs about a standard deviation of
 * steps however large n is.
 */
unsigned long
dss_eval_binomial(struct dss_mt19937 *m, unsigned long n, double p)
{
	double q = 1 - p, r, u, pm, pu, pd;
	unsigned long mode, ku, kd;

	if (p <= 0)
		return 0;
	if (p >= 1)
		return n;
	r = p / q;
	mode = (unsigned long)floor(((double)n + 1) * p);
	if (mode > n)
		mode = n;
	pm = exp(lgamma((double)n + 1) - lgamma((double)mode + 1) -
	    lgamma((double)(n - mode) + 1) + (double)mode * log(p) +
	    (double)(n - mode) * log(q));
	u = uniform(m) - pm;
	if (u < 0)
		return mode;
	pu = pd = pm;
	ku = kd = mode;
	while (ku < n || kd > 0) {
		if (ku < n) {
			pu *= (double)(n - ku) / (double)(ku + 1) * r;
			ku++;
			if ((u -= pu) < 0)
				return ku;
		}
		if (kd > 0) {
			pd *= (double)kd / (double)(n - kd + 1) / r;
			kd--;
			if ((u -= pd) < 0)
				return kd;
		}
	}
	return mode;	/* u outlasted the rounded probabilities */
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
quantile(const double *v, size_t n, double q)
{
	double h = (double)(n - 1) * q;
	size_t i = (size_t)floor(h);

	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (h - (double)i) * (v[i + 1] - v[i]);
}

int
dss_eval_bootstrap(unsigned long n, unsigned long correct,
    unsigned long resamples, uint64_t seed, double *low, double *high)
{
	struct dss_mt19937 m;
	double *acc, p;
	unsigned long b;

	*low = *high = NAN;
	if (n == 0 || resamples == 0)
		return 0;
	if ((acc = malloc(resamples * sizeof(*acc))) == NULL)
		return -1;
	seed = splitmix64(seed);
	dss_mt19937_seed(&m, (uint32_t)(seed ^ (seed >> 32)));
	p = (double)correct / (double)n;
	for (b = 0; b < resamples; b++)
		acc[b] = (double)dss_eval_binomial(&m, n, p) / (double)n;
	qsort(acc, resamples, sizeof(*acc), cmp_double);
	*low = quantile(acc, resamples, 0.025);
	*high = quantile(acc, resamples, 0.975);
	free(acc);
	return 0;
}

/* ---- gold ids and labels ---- */

static int
arena_add(struct dss_eval *e, const void *p, size_t n, uint32_t *off)
{
	if (e->arena.len + n + 1 > ARENA_MAX ||
	    dss_buf_add(&e->arena, p, n) < 0 || dss_buf_addch(&e->arena, 0) < 0)
		return -1;
	*off = (uint32_t)(e->arena.len - n - 1);
	return 0;
}

/* The index of label s (n bytes), added when new.  NONE when out of memory. */
static uint32_t
intern_label(struct dss_eval *e, const char *s, size_t n)
{
	struct label *l;
	uint32_t i;
	int added;

	i = dss_idtab_add(&e->labtab, s, n, dss_idtab_hash(s, n), &added);
	if (i == DSS_IDTAB_NONE || !added)
		return i;
	if (e->nlabels == e->labcap) {
		size_t cap = e->labcap ? 2 * e->labcap : 64;

		if ((l = realloc(e->labels, cap * sizeof(*l))) == NULL)
			return NONE;
		e->labels = l;
		e->labcap = cap;
	}
	assert(i == e->nlabels);
	l = &e->labels[e->nlabels++];
	memset(l, 0, sizeof(*l));
	dss_buf_reset(&e->s2);
	if (dss_eval_fold(&e->s2, s, n) < 0 ||
	    arena_add(e, e->s2.data, e->s2.len, &l->fold) < 0)
		return NONE;
	l->foldlen = (uint32_t)e->s2.len;
	label_values(l, s, n);
	return i;
}

/* ---- datasets and sets ---- */

/* The index of dataset name, loading its manifest when new; -1 on error. */
static long
dataset_index(struct dss_eval *e, const char *name, struct dss_err *err)
{
	struct dss_answer_config *c;
	struct dss_manifest *m;
	struct dataset *d;
	size_t i;

	for (i = 0; i < e->nds; i++)
		if (strcmp(e->ds[i].name, name) == 0)
			return (long)i;
	if (e->nds >= DSS_EVAL_MAX_SETS)
		return dss_err_set(err, "more than %d datasets", DSS_EVAL_MAX_SETS);
	if ((c = dss_answer_cache_get(e->answers, name, err)) == NULL)
		return -1;
	if ((m = dss_manifest_load(name, err)) == NULL)
		return -1;
	if ((d = realloc(e->ds, (e->nds + 1) * sizeof(*d))) == NULL) {
		dss_manifest_free(m);
		return dss_err_errno(err, ENOMEM, "dataset '%s'", name);
	}
	e->ds = d;
	d = &e->ds[e->nds];
	memset(d, 0, sizeof(*d));
	d->kind = dss_answer_config_kindof(c);
	if ((d->name = strdup(name)) == NULL)
		goto nomem;
	if (d->kind == DSS_ANSWER_NLI && m->label_map != NULL) {
		const char *v[MAX_CHOICES];
		const cJSON *it;
		size_t n = 0, k;

		cJSON_ArrayForEach(it, m->label_map) {
			if (!cJSON_IsString(it) || n == MAX_CHOICES)
				continue;
			for (k = 0; k < n && strcmp(v[k], it->valuestring); k++)
				;
			if (k == n)
				v[n++] = it->valuestring;
		}
		if (n && choice_list(&d->valid, v, n) < 0)
			goto nomem;
	}
	dss_manifest_free(m);
	return (long)e->nds++;
nomem:
	dss_manifest_free(m);
	free(d->name);
	dss_buf_free(&d->valid);
	return dss_err_errno(err, ENOMEM, "dataset '%s'", name);
}

static long
set_index(struct dss_eval *e, uint32_t ds, const char *split, size_t n,
    struct dss_err *err)
{
	struct set *s;
	size_t i;

	for (i = 0; i < e->nsets; i++)
		if (e->sets[i].ds == ds && same(e->sets[i].split,
		    strlen(e->sets[i].split), split, n))
			return (long)i;
	if (e->nsets >= DSS_EVAL_MAX_SETS)
		return dss_err_set(err, "more than %d dataset splits in gold",
		    DSS_EVAL_MAX_SETS);
	if ((s = realloc(e->sets, (e->nsets + 1) * sizeof(*s))) == NULL)
		return dss_err_errno(err, ENOMEM, "gold");
	e->sets = s;
	s = &e->sets[e->nsets];
	s->ds = ds;
	s->count = 0;
	s->scored = 0;
	if ((s->split = strndup(split, n)) == NULL)
		return dss_err_errno(err, ENOMEM, "gold");
	return (long)e->nsets++;
}

/*
 * Adds a gold example whose id hashes to h.  choices is a choice list
 * (or NULL).  Fails on a duplicate id, naming the dataset of the first.
 */
static int
add_gold(struct dss_eval *e, uint32_t set, const char *id, size_t idlen,
    uint32_t h, const char *label, size_t labellen,
    const struct dss_buf *choices, struct dss_err *err)
{
	struct gold *g;
	uint32_t gi, lab;
	int added;

	if ((gi = dss_idtab_add(&e->ids, id, idlen, h, &added)) == DSS_IDTAB_NONE)
		return dss_err_errno(err, ENOMEM, "gold");
	if (!added) {
		const struct set *s = &e->sets[e->gold[gi].set];

		return dss_err_set(err, "id '%.*s' is already in dataset '%s' "
		    "split '%s'", (int)(idlen > 200 ? 200 : idlen), id,
		    e->ds[s->ds].name, s->split);
	}
	assert(gi == e->ngold);
	if (e->ngold == e->goldcap) {
		size_t cap = e->goldcap ? 2 * e->goldcap : 1024;

		if ((g = realloc(e->gold, cap * sizeof(*g))) == NULL)
			return dss_err_errno(err, ENOMEM, "gold");
		e->gold = g;
		e->goldcap = cap;
	}
	g = &e->gold[e->ngold++];
	g->set = set;
	g->choices = NONE;
	if ((lab = intern_label(e, label, labellen)) == NONE ||
	    (choices != NULL && choices->len &&
	    arena_add(e, choices->data, choices->len, &g->choices) < 0))
		return dss_err_errno(err, ENOMEM, "gold");
	g->label = lab;
	e->sets[set].count++;
	return 0;
}

/* Makes a choice list in b from the JSON array text at s (n bytes). */
static int
choices_from_json(struct dss_eval *e, const char *s, size_t n,
    struct dss_buf *b)
{
	struct dss_buf item = DSS_BUF_INIT;
	size_t i, k = 0;
	int r = -1;

	dss_buf_reset(b);
	if (dss_jscan_array(&e->js2, s, n, NULL) < 0)
		return 0;	/* not a list of choices: none known */
	if (dss_buf_addch(b, 0) < 0)
		goto out;
	for (i = 0; i < e->js2.n && k < MAX_CHOICES; i++) {
		const struct dss_jscan_member *m = &e->js2.m[i];

		if (m->type != DSS_JSCAN_STRING)
			continue;
		dss_buf_reset(&item);
		if (dss_jscan_unquote(&item, m->val, m->vallen) < 0 ||
		    dss_buf_add(b, item.data, strlen(item.data) + 1) < 0)
			goto out;
		k++;
	}
	b->data[0] = (char)k;
	if (k == 0)
		dss_buf_reset(b);
	r = 0;
out:
	dss_buf_free(&item);
	return r;
}

/* ---- gold from a database ---- */

/*
 * A row read but not yet added: rows are added one step late, so that
 * the id's slot of the hash table, fetched when the row is read, is in
 * the cache when it is added.
 */
struct pending {
	struct dss_buf id, label, choices;
	uint32_t set, h;
	unsigned long lineno;	/* of a JSON Lines record */
	int full;
};

/*
 * Makes p the row of set: id (idlen bytes, hash h), label and choices
 * (a choice list, or NULL).  The previous row must have been flushed.
 */
static int
pending_fill(struct pending *p, uint32_t set, const char *id, size_t idlen,
    uint32_t h, const char *label, size_t labellen,
    const struct dss_buf *choices)
{
	dss_buf_reset(&p->id);
	dss_buf_reset(&p->label);
	dss_buf_reset(&p->choices);
	if (dss_buf_add(&p->id, id, idlen) < 0 ||
	    dss_buf_add(&p->label, label, labellen) < 0 ||
	    (choices != NULL && choices->len &&
	    dss_buf_add(&p->choices, choices->data, choices->len) < 0))
		return -1;
	p->set = set;
	p->h = h;
	p->full = 1;
	return 0;
}

static void
pending_free(struct pending *p)
{
	dss_buf_free(&p->id);
	dss_buf_free(&p->label);
	dss_buf_free(&p->choices);
}

static int
pending_flush(struct dss_eval *e, struct pending *p, struct dss_err *err)
{
	if (!p->full)
		return 0;
	p->full = 0;
	return add_gold(e, p->set, p->id.data, p->id.len, p->h, p->label.data,
	    p->label.len, &p->choices, err);
}

/* Reads the rows of dataset d from st (of the database at path) into gold. */
static int
rows_from_db(struct dss_eval *e, sqlite3_stmt *st, long d, struct pending *p,
    const char *path, struct dss_err *err)
{
	const char *last = NULL;
	long set = -1;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *split = (const char *)sqlite3_column_text(st, 0);
		const char *id = (const char *)sqlite3_column_text(st, 1);
		const char *label = (const char *)sqlite3_column_text(st, 2);
		const char *ch = (const char *)sqlite3_column_text(st, 3);
		size_t idlen = (size_t)sqlite3_column_bytes(st, 1);
		uint32_t h;

		if (split == NULL || id == NULL || label == NULL)
			return dss_err_errno(err, ENOMEM, "'%s'", path);
		h = dss_idtab_hash(id, idlen);
		if (dss_idtab_prefetch(&e->ids, h) < 0)
			return dss_err_errno(err, ENOMEM, "'%s'", path);
		if (pending_flush(e, p, err) < 0)
			return dss_err_prefix(err, "'%s'", path);
		if (last == NULL || strcmp(last, split) != 0) {
			if ((set = set_index(e, (uint32_t)d, split, strlen(split),
			    err)) < 0)
				return dss_err_prefix(err, "'%s'", path);
			last = e->sets[set].split;
		}
		dss_buf_reset(&e->s1);
		if ((ch != NULL && choices_from_json(e, ch,
		    (size_t)sqlite3_column_bytes(st, 3), &e->s1) < 0) ||
		    pending_fill(p, (uint32_t)set, id, idlen, h, label,
		    (size_t)sqlite3_column_bytes(st, 2), &e->s1) < 0)
			return dss_err_errno(err, ENOMEM, "'%s'", path);
	}
	if (rc != SQLITE_DONE)
		return dss_err_set(err, "cannot read '%s': %s", path,
		    sqlite3_errmsg(sqlite3_db_handle(st)));
	if (pending_flush(e, p, err) < 0)
		return dss_err_prefix(err, "'%s'", path);
	return 0;
}

static int
gold_from_db(struct dss_eval *e, const char *path, struct dss_err *err)
{
	struct pending p = { DSS_BUF_INIT, DSS_BUF_INIT, DSS_BUF_INIT, 0, 0, 0, 0 };
	sqlite3_stmt *ds = NULL, *st = NULL;
	sqlite3 *db;
	int r = -1, rc;

	if ((db = dss_db_open(path, DSS_DB_READONLY, err)) == NULL)
		return -1;
	if ((ds = dss_db_prepare(db, "SELECT count(*) FROM sqlite_master "
	    "WHERE type = 'table' AND name = 'examples'", err)) == NULL)
		goto out;
	if (sqlite3_step(ds) != SQLITE_ROW || sqlite3_column_int(ds, 0) == 0) {
		dss_err_set(err, "'%s' is not a dss database (no examples table)",
		    path);
		goto out;
	}
	sqlite3_finalize(ds);
	if ((ds = dss_db_prepare(db, "SELECT DISTINCT dataset FROM examples "
	    "WHERE ?1 IS NULL OR dataset = ?1 ORDER BY dataset", err)) == NULL ||
	    (st = dss_db_prepare(db, "SELECT split, id, label, CASE WHEN ?3 "
	    "THEN json_extract(record, '$.fields.choices') END FROM examples "
	    "WHERE dataset = ?1 AND (?2 IS NULL OR split = ?2)", err)) == NULL)
		goto out;
	if (e->o.dataset != NULL)
		sqlite3_bind_text(ds, 1, e->o.dataset, -1, SQLITE_STATIC);
	if (e->o.split != NULL)
		sqlite3_bind_text(st, 2, e->o.split, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(ds)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(ds, 0);
		long d = dataset_index(e, name ? name : "", err);

		if (d < 0)
			goto out;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, e->ds[d].name, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, e->ds[d].kind == DSS_ANSWER_CHOICE);
		if (rows_from_db(e, st, d, &p, path, err) < 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		dss_err_set(err, "cannot read '%s': %s", path, sqlite3_errmsg(db));
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(ds);
	sqlite3_finalize(st);
	dss_db_close(db);
	pending_free(&p);
	return r;
}

/* ---- gold from JSON Lines ---- */

/*
 * The string member key of the scanned record, decoded into b.  Returns
 * 1, 0 when absent (or null, with nullok), or -1 with err set.
 */
static int
member_str(const struct dss_jscan *j, const char *key, struct dss_buf *b,
    int nullok, struct dss_err *err)
{
	const struct dss_jscan_member *m = dss_jscan_get(j, key);

	if (m == NULL || (nullok && m->type == DSS_JSCAN_NULL))
		return 0;
	if (m->type != DSS_JSCAN_STRING)
		return dss_err_set(err, "field '%s' is not a string", key);
	dss_buf_reset(b);
	if (dss_jscan_unquote(b, m->val, m->vallen) < 0)
		return dss_err_errno(err, ENOMEM, "field '%s'", key);
	return 1;
}

/*
 * Like member_str, but a string without escapes is not copied: *p and *n
 * point into the record, else into b.
 */
static int
member_span(const struct dss_jscan *j, const char *key, struct dss_buf *b,
    const char **p, size_t *n, struct dss_err *err)
{
	const struct dss_jscan_member *m = dss_jscan_get(j, key);

	if (m == NULL)
		return dss_err_set(err, "field '%s' is missing", key);
	if (m->type != DSS_JSCAN_STRING)
		return dss_err_set(err, "field '%s' is not a string", key);
	if (memchr(m->val + 1, '\\', m->vallen - 2) == NULL) {
		*p = m->val + 1;
		*n = m->vallen - 2;
		return 1;
	}
	dss_buf_reset(b);
	if (dss_jscan_unquote(b, m->val, m->vallen) < 0)
		return dss_err_errno(err, ENOMEM, "field '%s'", key);
	*p = b->data;
	*n = b->len;
	return 1;
}

/*
 * Reads one gold record, the line in l, into p, after adding the record
 * before it (held in p: its id's slot, fetched when it was read, is then
 * in the cache).  err names the line at fault.  The dataset and split
 * of the last record and their set are remembered in e->keytext and
 * e->lastkey (-2 for a record the options leave out).
 */
static int
gold_record(struct dss_eval *e, const struct dss_lines *l,
    struct dss_buf *buf, struct pending *p, struct dss_err *err)
{
	const struct dss_jscan_member *f, *c;
	const char *ds, *split, *id, *label;
	size_t dslen, splitlen, idlen, labellen;
	uint32_t h;
	long d;

	if (dss_jscan_object(&e->js, l->line.data, l->line.len, err) < 0 ||
	    member_span(&e->js, "dataset", &buf[0], &ds, &dslen, err) < 0 ||
	    member_span(&e->js, "split", &buf[1], &split, &splitlen, err) < 0 ||
	    member_span(&e->js, "id", &buf[2], &id, &idlen, err) < 0 ||
	    member_span(&e->js, "label", &buf[3], &label, &labellen, err) < 0)
		goto bad;
	h = dss_idtab_hash(id, idlen);
	if (dss_idtab_prefetch(&e->ids, h) < 0) {
		dss_err_errno(err, ENOMEM, "gold");
		goto bad;
	}
	if (pending_flush(e, p, err) < 0)
		return dss_err_prefix(err, "line %lu", p->lineno);
	if (e->lastkey == -1 || e->keytext.len != dslen + splitlen + 1 ||
	    memcmp(e->keytext.data, ds, dslen) != 0 ||
	    e->keytext.data[dslen] != '\0' ||
	    memcmp(e->keytext.data + dslen + 1, split, splitlen) != 0) {
		dss_buf_reset(&e->keytext);
		if (dss_buf_add(&e->keytext, ds, dslen) < 0 ||
		    dss_buf_addch(&e->keytext, 0) < 0 ||
		    dss_buf_add(&e->keytext, split, splitlen) < 0) {
			dss_err_errno(err, ENOMEM, "gold");
			goto bad;
		}
		ds = e->keytext.data;
		split = e->keytext.data + dslen + 1;
		e->lastkey = -2;
		if ((e->o.dataset != NULL && strcmp(ds, e->o.dataset) != 0) ||
		    (e->o.split != NULL && strcmp(split, e->o.split) != 0))
			return 0;
		if ((d = dataset_index(e, ds, err)) < 0 ||
		    (e->lastkey = set_index(e, (uint32_t)d, split, splitlen,
		    err)) < 0) {
			e->lastkey = -1;
			goto bad;
		}
	}
	if (e->lastkey == -2)
		return 0;
	dss_buf_reset(&e->s1);
	if ((e->ds[e->sets[e->lastkey].ds].kind == DSS_ANSWER_CHOICE &&
	    (f = dss_jscan_get(&e->js, "fields")) != NULL &&
	    f->type == DSS_JSCAN_OBJECT &&
	    dss_jscan_object(&e->js2, f->val, f->vallen, NULL) == 0 &&
	    (c = dss_jscan_get(&e->js2, "choices")) != NULL &&
	    choices_from_json(e, c->val, c->vallen, &e->s1) < 0) ||
	    pending_fill(p, (uint32_t)e->lastkey, id, idlen, h, label, labellen,
	    &e->s1) < 0) {
		dss_err_errno(err, ENOMEM, "gold");
		goto bad;
	}
	p->lineno = l->lineno;
	return 0;
bad:
	return dss_err_prefix(err, "line %lu", l->lineno);
}

static int
gold_from_jsonl(struct dss_eval *e, FILE *fp, const char *path,
    struct dss_err *err)
{
	struct dss_lines l = DSS_LINES_INIT(fp, path);
	struct dss_buf buf[4] = { DSS_BUF_INIT, DSS_BUF_INIT, DSS_BUF_INIT,
	    DSS_BUF_INIT };
	struct pending p = { DSS_BUF_INIT, DSS_BUF_INIT, DSS_BUF_INIT, 0, 0, 0, 0 };
	int r, i;

	e->lastkey = -1;
	while ((r = dss_lines_next(&l, err)) == 1) {
		if (l.line.len == strspn(l.line.data, " \t"))
			continue;
		if (gold_record(e, &l, buf, &p, err) < 0) {
			r = -1;
			break;
		}
	}
	if (r == 0 && pending_flush(e, &p, err) < 0)
		r = dss_err_prefix(err, "line %lu", p.lineno);
	if (r < 0)
		dss_err_prefix(err, "'%s'", path);
	dss_lines_free(&l);
	for (i = 0; i < 4; i++)
		dss_buf_free(&buf[i]);
	pending_free(&p);
	return r;
}

int
dss_eval_load_gold(struct dss_eval *e, const char *path, struct dss_err *err)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	FILE *fp;
	size_t n;
	int r;

	if ((fp = fopen(path, "r")) == NULL)
		return dss_err_errno(err, errno, "cannot open '%s'", path);
	n = fread(head, 1, sizeof(head), fp);
	if (ferror(fp)) {
		dss_err_errno(err, errno, "cannot read '%s'", path);
		fclose(fp);
		return -1;
	}
	if (n == sizeof(head) && memcmp(head, magic, sizeof(head)) == 0) {
		fclose(fp);
		r = gold_from_db(e, path, err);
	} else {
		rewind(fp);
		r = gold_from_jsonl(e, fp, path, err);
		fclose(fp);
	}
	if (r < 0)
		return -1;
	if (e->ngold == 0) {
		dss_err_set(err, "no gold examples in '%s'", path);
		if (e->o.dataset != NULL)
			dss_err_prefix(err, "dataset '%s'", e->o.dataset);
		if (e->o.split != NULL)
			dss_err_prefix(err, "split '%s'", e->o.split);
		return -1;
	}
	return 0;
}

/* ---- predictions ---- */

/* The key of (method, fraction, size); -1 when there are too many. */
static long
key_index(struct dss_eval *e, const char *method, double fraction,
    const char *size, struct dss_err *err)
{
	struct key *k;
	size_t i, order;

	for (i = 0; i < e->nkeys; i++) {
		k = &e->keys[i];
		if (strcmp(k->method, method) == 0 &&
		    (k->fraction == fraction ||
		    (isnan(k->fraction) && isnan(fraction))) &&
		    ((k->size == NULL && size == NULL) || (k->size && size &&
		    strcmp(k->size, size) == 0)))
			return (long)i;
	}
	if (e->nkeys >= DSS_EVAL_MAX_GROUPS)
		return dss_err_set(err, "more than %d groups of predictions",
		    DSS_EVAL_MAX_GROUPS);
	order = e->nkeys;
	for (i = 0; i < e->nkeys; i++)
		if (strcmp(e->keys[i].method, method) == 0) {
			order = e->keys[i].method_order;
			break;
		}
	if ((k = realloc(e->keys, (e->nkeys + 1) * sizeof(*k))) == NULL)
		return dss_err_errno(err, ENOMEM, "predictions");
	e->keys = k;
	k = &e->keys[e->nkeys];
	k->fraction = fraction;
	k->method_order = order;
	k->method = strdup(method);
	k->size = size ? strdup(size) : NULL;
	k->group = calloc(e->nsets, sizeof(*k->group));
	if (k->method == NULL || (size && k->size == NULL) || k->group == NULL) {
		free(k->method);
		free(k->size);
		free(k->group);
		return dss_err_errno(err, ENOMEM, "predictions");
	}
	return (long)e->nkeys++;
}

static long
group_index(struct dss_eval *e, uint32_t key, uint32_t set,
    struct dss_err *err)
{
	struct key *k = &e->keys[key];
	struct group *g;

	if (k->group[set])
		return (long)k->group[set] - 1;
	if (e->ngroups >= DSS_EVAL_MAX_GROUPS)
		return dss_err_set(err, "more than %d groups of predictions",
		    DSS_EVAL_MAX_GROUPS);
	if ((g = realloc(e->groups, (e->ngroups + 1) * sizeof(*g))) == NULL)
		return dss_err_errno(err, ENOMEM, "predictions");
	e->groups = g;
	g = &e->groups[e->ngroups];
	memset(g, 0, sizeof(*g));
	g->key = key;
	g->set = set;
	if ((g->seen = calloc((e->ngold + 7) / 8, 1)) == NULL)
		return dss_err_errno(err, ENOMEM, "predictions");
	k->group[set] = (uint32_t)++e->ngroups;
	return (long)e->ngroups - 1;
}

/* The file's base name without its extension, for records without a method. */
static char *
file_method(const char *path)
{
	const char *b = strrchr(path, '/'), *dot;

	b = b ? b + 1 : path;
	if (strcmp(path, "-") == 0)
		b = "stdin";
	dot = strrchr(b, '.');
	return strndup(b, dot && dot != b ? (size_t)(dot - b) : strlen(b));
}

/* Reads "fraction": 1 when given, 0 when absent or null, -1 on error. */
static int
member_fraction(const struct dss_jscan *j, double *out, struct dss_err *err)
{
	const struct dss_jscan_member *m = dss_jscan_get(j, "fraction");
	char num[64];

	*out = NAN;
	if (m == NULL || m->type == DSS_JSCAN_NULL)
		return 0;
	if (m->type != DSS_JSCAN_NUMBER)
		return dss_err_set(err, "field 'fraction' is not a number");
	snprintf(num, sizeof(num), "%.*s", (int)m->vallen, m->val);
	*out = strtod(num, NULL);
	if (!(*out > 0 && *out <= 1))
		return dss_err_set(err, "field 'fraction' is %s, not a number "
		    "in (0, 1]", num);
	return 1;
}

/* Reads "size" (a string or a number) into b: 1, 0 when absent, -1. */
static int
member_size(const struct dss_jscan *j, struct dss_buf *b, struct dss_err *err)
{
	const struct dss_jscan_member *m = dss_jscan_get(j, "size");

	dss_buf_reset(b);
	if (m == NULL || m->type == DSS_JSCAN_NULL)
		return 0;
	if (m->type == DSS_JSCAN_NUMBER) {
		if (dss_buf_add(b, m->val, m->vallen) < 0)
			return dss_err_errno(err, ENOMEM, "field 'size'");
		return 1;
	}
	if (m->type != DSS_JSCAN_STRING)
		return dss_err_set(err, "field 'size' is not a string or number");
	if (dss_jscan_unquote(b, m->val, m->vallen) < 0)
		return dss_err_errno(err, ENOMEM, "field 'size'");
	if (b->len == 0)
		return dss_err_set(err, "field 'size' is empty");
	return 1;
}

/* Checks an optional "dataset" or "split" of a record against gold's. */
static int
check_member(const struct dss_jscan *j, const char *key, const char *want,
    const char *id, struct dss_buf *b, struct dss_err *err)
{
	int r = member_str(j, key, b, 1, err);

	if (r <= 0)
		return r;
	if (strcmp(b->data, want) != 0)
		return dss_err_set(err, "field '%s' is '%.100s', but gold id "
		    "'%.200s' is in %s '%s'", key, b->data, id, key, want);
	return 0;
}

static int
score(struct dss_eval *e, struct group *g, const struct gold *gd,
    const char *p, size_t n, struct dss_err *err)
{
	const struct dataset *d = &e->ds[e->sets[gd->set].ds];
	const struct label *l = &e->labels[gd->label];
	struct dss_eval_verdict v;

	if (d->kind == DSS_ANSWER_EQUATION)
		equation_verdict(p, n, l, &v);
	else {
		const unsigned char *valid = NULL;

		if (d->kind == DSS_ANSWER_CHOICE) {
			if (gd->choices != NONE)
				valid = (const unsigned char *)e->arena.data +
				    gd->choices;
		} else if (d->valid.len)
			valid = (const unsigned char *)d->valid.data;
		dss_buf_reset(&e->s1);
		if (dss_eval_fold(&e->s1, p, n) < 0 ||
		    label_verdict(p, n, &e->s1, dss_idtab_key(&e->labtab,
		    gd->label), e->labtab.len[gd->label],
		    e->arena.data + l->fold, l->foldlen, valid,
		    &e->s2, &v) < 0)
			return dss_err_errno(err, ENOMEM, "prediction");
	}
	g->pub.n++;
	g->pub.folded_correct += (unsigned long)v.folded;
	g->pub.official_correct += (unsigned long)v.official;
	g->f_unp += (unsigned long)v.folded_unparsable;
	g->o_unp += (unsigned long)v.official_unparsable;
	return 0;
}

/*
 * Whether the raw JSON text of the members that make a record's key is
 * the last record's (in e->keytext), so that the key needs no decoding;
 * when it is not, keytext takes the new text.  A \x01 ends each member:
 * it cannot stand unescaped in JSON text.
 */
static int
same_key_text(struct dss_eval *e, int *same)
{
	static const char *const names[] = { "method", "fraction", "size" };
	const struct dss_jscan_member *m[3];
	size_t i, pos = 0;

	*same = e->lastkey >= 0;
	for (i = 0; i < 3; i++) {
		size_t len;

		m[i] = dss_jscan_get(&e->js, names[i]);
		len = m[i] ? m[i]->vallen : 0;
		if (*same && (pos + len + 1 > e->keytext.len ||
		    (len && memcmp(e->keytext.data + pos, m[i]->val, len) != 0) ||
		    e->keytext.data[pos + len] != '\x01'))
			*same = 0;
		pos += len + 1;
	}
	if (*same && pos == e->keytext.len)
		return 0;
	*same = 0;
	dss_buf_reset(&e->keytext);
	for (i = 0; i < 3; i++)
		if ((m[i] != NULL && dss_buf_add(&e->keytext, m[i]->val,
		    m[i]->vallen) < 0) || dss_buf_addch(&e->keytext, '\x01') < 0)
			return -1;
	return 0;
}

/* The key of the scanned record, decoded and found or added. */
static long
record_key(struct dss_eval *e, const char *deflt, struct dss_err *err)
{
	double fraction;
	int r;

	if ((r = member_str(&e->js, "method", &e->method, 1, err)) < 0 ||
	    member_fraction(&e->js, &fraction, err) < 0 ||
	    member_size(&e->js, &e->size, err) < 0)
		return -1;
	if (r == 0) {
		dss_buf_reset(&e->method);
		if (dss_buf_adds(&e->method, deflt) < 0)
			return dss_err_errno(err, ENOMEM, "field 'method'");
	} else if (e->method.len == 0)
		return dss_err_set(err, "field 'method' is empty");
	return key_index(e, e->method.data, fraction,
	    e->size.len ? e->size.data : NULL, err);
}

/* The gold entry with id p (n bytes), trying the one after the last first. */
static uint32_t
lookup(struct dss_eval *e, const char *p, size_t n)
{
	uint32_t gi = e->guess;

	if (gi >= e->ngold || e->ids.len[gi] != n ||
	    memcmp(dss_idtab_key(&e->ids, gi), p, n) != 0) {
		gi = dss_idtab_find(&e->ids, p, n, dss_idtab_hash(p, n));
		if (gi == DSS_IDTAB_NONE)
			return NONE;
	}
	e->guess = gi + 1;
	return gi;
}

/* Scores the record on the current line of l; err names the field. */
static int
prediction(struct dss_eval *e, const struct dss_lines *l, const char *deflt,
    struct dss_buf *idb, struct dss_buf *predb, struct dss_err *err)
{
	const struct gold *gd;
	const struct set *s;
	const struct key *k;
	const char *id, *pred;
	size_t idlen, predlen;
	long grp;
	uint32_t gi;
	int same;

	if (dss_jscan_object(&e->js, l->line.data, l->line.len, err) < 0 ||
	    member_span(&e->js, "id", idb, &id, &idlen, err) < 0 ||
	    member_span(&e->js, "prediction", predb, &pred, &predlen, err) < 0)
		return -1;
	if (same_key_text(e, &same) < 0)
		return dss_err_errno(err, ENOMEM, "prediction");
	if (!same && (e->lastkey = record_key(e, deflt, err)) < 0)
		return -1;
	e->predictions++;
	if ((gi = lookup(e, id, idlen)) == NONE) {
		if (e->extra < DSS_EVAL_SHOW_IDS &&
		    (e->extra_ids[e->extra] = strndup(id, idlen)) == NULL)
			return dss_err_errno(err, ENOMEM, "field 'id'");
		e->extra++;
		return 0;
	}
	gd = &e->gold[gi];
	s = &e->sets[gd->set];
	id = dss_idtab_key(&e->ids, gi);
	if (check_member(&e->js, "dataset", e->ds[s->ds].name, id, &e->s1,
	    err) < 0 ||
	    check_member(&e->js, "split", s->split, id, &e->s1, err) < 0 ||
	    (grp = group_index(e, (uint32_t)e->lastkey, gd->set, err)) < 0)
		return -1;
	k = &e->keys[e->lastkey];
	if (e->groups[grp].seen[gi / 8] & (1u << (gi % 8)))
		return dss_err_set(err, "id '%.200s' is scored twice for method "
		    "'%.100s'%s", id, k->method,
		    isnan(k->fraction) ? "" : " at this fraction");
	e->groups[grp].seen[gi / 8] |= (unsigned char)(1u << (gi % 8));
	return score(e, &e->groups[grp], gd, pred, predlen, err);
}

int
dss_eval_add_file(struct dss_eval *e, const char *path, struct dss_err *err)
{
	int in = strcmp(path, "-") == 0;
	const char *name = in ? "stdin" : path;
	struct dss_buf id = DSS_BUF_INIT, pred = DSS_BUF_INIT;
	struct dss_lines l;
	char *deflt;
	FILE *fp;
	int r;

	if ((fp = in ? stdin : fopen(path, "r")) == NULL)
		return dss_err_errno(err, errno, "cannot open '%s'", path);
	if ((deflt = file_method(path)) == NULL) {
		if (!in)
			fclose(fp);
		return dss_err_errno(err, ENOMEM, "'%s'", name);
	}
	l = (struct dss_lines)DSS_LINES_INIT(fp, name);
	e->lastkey = -1;
	while ((r = dss_lines_next(&l, err)) == 1) {
		if (l.line.len == strspn(l.line.data, " \t"))
			continue;
		if (prediction(e, &l, deflt, &id, &pred, err) < 0) {
			dss_err_prefix(err, "line %lu", l.lineno);
			r = -1;
			break;
		}
	}
	if (r < 0)
		dss_err_prefix(err, "'%s'", name);
	dss_lines_free(&l);
	dss_buf_free(&id);
	dss_buf_free(&pred);
	free(deflt);
	if (!in)
		fclose(fp);
	return r;
}

/* ---- finishing ---- */

double
dss_eval_size_value(const char *s)
{
	char *end;
	double v;

	if (s == NULL)
		return NAN;
	v = strtod(s, &end);
	if (end == s)
		return NAN;
	switch (*end) {
	case 'k': case 'K': v *= 1e3; end++; break;
	case 'm': case 'M': v *= 1e6; end++; break;
	case 'b': case 'B': case 'g': case 'G': v *= 1e9; end++; break;
	case 't': case 'T': v *= 1e12; end++; break;
	}
	return *end == '\0' ? v : NAN;
}

static int
cmp_num(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) - isnan(b);
	return a < b ? -1 : a > b;
}

static int
cmp_group(const void *pa, const void *pb)
{
	const struct group *a = *(struct group *const *)pa;
	const struct group *b = *(struct group *const *)pb;
	int c;

	if ((c = strcmp(a->pub.dataset, b->pub.dataset)) != 0 ||
	    (c = strcmp(a->pub.split, b->pub.split)) != 0)
		return c;
	if (a->method_order != b->method_order)
		return a->method_order < b->method_order ? -1 : 1;
	if ((c = cmp_num(a->pub.fraction, b->pub.fraction)) != 0 ||
	    (c = cmp_num(a->size, b->size)) != 0)
		return c;
	return a->key < b->key ? -1 : a->key > b->key;
}

static uint64_t
group_seed(const struct dss_eval *e, const struct group *g)
{
	const struct key *k = &e->keys[g->key];
	struct dss_buf b = DSS_BUF_INIT;
	uint64_t h;

	dss_buf_addf(&b, "%s%c%s%c%s%c%.17g%c%s", g->pub.dataset, 0,
	    g->pub.split, 0, k->method, 0, k->fraction, 0,
	    k->size ? k->size : "");
	h = dss_idtab_hash(b.data, b.len);
	dss_buf_free(&b);
	return splitmix64(e->o.seed) ^ h;
}

int
dss_eval_finish(struct dss_eval *e, struct dss_err *err)
{
	size_t i, j;

	if (e->predictions == 0)
		return dss_err_set(err, "no predictions");
	for (i = 0; i < e->ngroups; i++) {
		struct group *g = &e->groups[i];
		struct dss_eval_group *p = &g->pub;
		const struct key *k = &e->keys[g->key];
		const struct set *s = &e->sets[g->set];
		double n = (double)p->n;
		size_t shown = 0;

		p->dataset = e->ds[s->ds].name;
		p->split = s->split;
		p->method = k->method;
		p->fraction = k->fraction;
		p->size = k->size;
		g->method_order = k->method_order;
		g->size = dss_eval_size_value(k->size);
		p->folded_accuracy = p->n ? (double)p->folded_correct / n : NAN;
		p->official_accuracy = p->n ? (double)p->official_correct / n : NAN;
		p->correct = e->o.official ? p->official_correct : p->folded_correct;
		p->unparsable = e->o.official ? g->o_unp : g->f_unp;
		p->accuracy = e->o.official ? p->official_accuracy :
		    p->folded_accuracy;
		p->missing = s->count - p->n;
		e->sets[g->set].scored = 1;
		for (j = 0; j < e->ngold && shown < DSS_EVAL_SHOW_IDS &&
		    shown < p->missing; j++)
			if (e->gold[j].set == g->set &&
			    !(g->seen[j / 8] & (1u << (j % 8))))
				p->missing_ids[shown++] = dss_idtab_key(&e->ids,
				    (uint32_t)j);
		if (dss_eval_bootstrap(p->n, p->correct, e->o.resamples,
		    group_seed(e, g), &p->ci_low, &p->ci_high) < 0)
			return dss_err_errno(err, ENOMEM, "bootstrap");
	}
	/* gold equations that do not evaluate, of the splits scored */
	e->gold_unp = 0;
	for (j = 0; j < e->ngold; j++) {
		const struct set *s = &e->sets[e->gold[j].set];
		const struct label *l = &e->labels[e->gold[j].label];

		if (s->scored && e->ds[s->ds].kind == DSS_ANSWER_EQUATION &&
		    !(e->o.official ? l->py_ok : l->plain_ok) &&
		    e->gold_unp++ == 0)
			e->gold_unp_first = (uint32_t)j;
	}
	free(e->order);
	if ((e->order = malloc((e->ngroups + 1) * sizeof(*e->order))) == NULL)
		return dss_err_errno(err, ENOMEM, "groups");
	for (i = 0; i < e->ngroups; i++)
		e->order[i] = &e->groups[i];
	qsort(e->order, e->ngroups, sizeof(*e->order), cmp_group);
	return 0;
}

/* ---- results ---- */

int
dss_eval_official(const struct dss_eval *e)
{
	return e->o.official;
}

size_t
dss_eval_ngroups(const struct dss_eval *e)
{
	return e->order ? e->ngroups : 0;
}

const struct dss_eval_group *
dss_eval_group(const struct dss_eval *e, size_t i)
{
	return &e->order[i]->pub;
}

unsigned long
dss_eval_extra(const struct dss_eval *e, const char *ids[DSS_EVAL_SHOW_IDS])
{
	size_t i;

	for (i = 0; i < DSS_EVAL_SHOW_IDS; i++)
		ids[i] = e->extra_ids[i];
	return e->extra;
}

unsigned long
dss_eval_gold_count(const struct dss_eval *e)
{
	return (unsigned long)e->ngold;
}

unsigned long
dss_eval_gold_unparsable(const struct dss_eval *e, const char **first_id)
{
	*first_id = e->gold_unp ? dss_idtab_key(&e->ids, e->gold_unp_first) :
	    NULL;
	return e->gold_unp;
}

struct dss_eval *
dss_eval_new(const struct dss_eval_opts *opts)
{
	struct dss_eval *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->o = *opts;
	if (e->o.resamples == 0)
		e->o.resamples = DSS_EVAL_RESAMPLES;
	e->arena.max = ARENA_MAX;
	if ((e->answers = dss_answer_cache_new()) == NULL) {
		free(e);
		return NULL;
	}
	return e;
}

void
dss_eval_free(struct dss_eval *e)
{
	size_t i;

	if (e == NULL)
		return;
	dss_buf_free(&e->arena);
	free(e->labels);
	dss_idtab_free(&e->labtab);
	free(e->gold);
	dss_idtab_free(&e->ids);
	for (i = 0; i < e->nds; i++) {
		free(e->ds[i].name);
		dss_buf_free(&e->ds[i].valid);
	}
	free(e->ds);
	for (i = 0; i < e->nsets; i++)
		free(e->sets[i].split);
	free(e->sets);
	for (i = 0; i < e->nkeys; i++) {
		free(e->keys[i].method);
		free(e->keys[i].size);
		free(e->keys[i].group);
	}
	free(e->keys);
	for (i = 0; i < e->ngroups; i++)
		free(e->groups[i].seen);
	free(e->groups);
	free(e->order);
	for (i = 0; i < DSS_EVAL_SHOW_IDS; i++)
		free(e->extra_ids[i]);
	dss_answer_cache_free(e->answers);
	dss_buf_free(&e->s1);
	dss_buf_free(&e->s2);
	dss_buf_free(&e->method);
	dss_buf_free(&e->size);
	dss_buf_free(&e->keytext);
	dss_jscan_free(&e->js);
	dss_jscan_free(&e->js2);
	free(e);
}
