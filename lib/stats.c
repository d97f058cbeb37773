/* SPDX-License-Identifier: MIT */
/*
 * dss-stats' counting: one scan of each table's indexed columns, each
 * row landing in its (dataset, split, teacher, filter) group; the
 * reports are in stats_report.c.  See stats.h.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "answer.h"
#include "db.h"
#include "idtab.h"
#include "stats.h"

/* qsort, which must not be given a NULL array even of no elements. */
static void
sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

/* Text of column i, or NULL. */
static const char *
col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static int
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* strdup of s, which may be NULL; *bad is set when memory runs out. */
static char *
dup(const char *s, int *bad)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*bad = 1;
	return d;
}

/* Grows *v (of *n elements of size sz) by one zeroed element. */
static void *
grow(void *vp, size_t *n, size_t sz)
{
	void **v = vp;
	char *p = realloc(*v, (*n + 1) * sz);

	if (p == NULL)
		return NULL;
	*v = p;
	memset(p + *n * sz, 0, sz);
	return p + (*n)++ * sz;
}

static struct dss_stats_split *
get_split(struct dss_stats *s, const char *dataset, const char *split)
{
	struct dss_stats_split *sp;
	size_t i;
	int bad = 0;

	for (i = s->nsplits; i-- > 0; )
		if (same_str(s->splits[i].dataset, dataset) &&
		    same_str(s->splits[i].split, split))
			return &s->splits[i];
	if ((sp = grow(&s->splits, &s->nsplits, sizeof(*sp))) == NULL)
		return NULL;
	sp->dataset = dup(dataset ? dataset : "", &bad);
	sp->split = dup(split, &bad);
	return bad ? NULL : sp;
}

/*
 * The element of *v (*n of them, of size sz) whose name, the string
 * pointer at offset off, is name (which may be NULL); added when there
 * is none.  NULL when memory runs out.
 */
static void *
get_named(void *v, size_t *n, size_t sz, size_t off, const char *name)
{
	char *p = *(char **)v;
	size_t i;
	int bad = 0;

	for (i = 0; i < *n; i++)
		if (same_str(*(char **)(p + i * sz + off), name))
			return p + i * sz;
	if ((p = grow(v, n, sz)) == NULL)
		return NULL;
	*(char **)(p + off) = dup(name, &bad);
	return bad ? NULL : p;
}

static struct dss_stats_teacher *
get_teacher(struct dss_stats_split *sp, const char *teacher)
{
	return get_named(&sp->teachers, &sp->nteachers, sizeof(*sp->teachers),
	    offsetof(struct dss_stats_teacher, teacher), teacher);
}

static struct dss_stats_filter *
get_filter(struct dss_stats_teacher *t, const char *filter)
{
	return get_named(&t->filters, &t->nfilters, sizeof(*t->filters),
	    offsetof(struct dss_stats_filter, filter), filter);
}

/* ---- the queries ---- */

/*
 * The examples, looked up by the other tables' rows: each row's split
 * and gold label come from a table in memory, "dataset\0id" to example,
 * so that no query joins examples (a B-tree search for every row) and
 * none sorts its rows to group them; the groups are few.
 */
struct ctx {
	struct dss_stats *s;
	sqlite3 *db;
	const char *dataset;
	int has_filter, has_rejects, has_subsets;
	struct dss_answer_cache *answers;
	struct dss_idtab ids;		/* "dataset\0id" of every example */
	uint32_t *split;		/* by example: index into s->splits */
	uint32_t *label;		/* by example: index into labels */
	size_t cap;
	struct dss_idtab labels;	/* the distinct gold labels */
	uint32_t guess;			/* the example after the last found */
	struct dss_buf key;		/* scratch */
	sqlite3_stmt *name;		/* cache_row: the teacher of a model */
	struct dss_buf last, teacher;	/* cache_row: the last model, its name */
};

static sqlite3_stmt *
prepare(struct ctx *c, const char *sql, struct dss_err *err)
{
	sqlite3_stmt *st = dss_db_prepare(c->db, sql, err);

	if (st != NULL && c->dataset != NULL)
		sqlite3_bind_text(st, 1, c->dataset, -1, SQLITE_STATIC);
	return st;
}

/* Finishes a statement's loop: rc is the last step's result. */
static int
done(struct ctx *c, sqlite3_stmt *st, int rc, int bad, struct dss_err *err)
{
	sqlite3_finalize(st);
	if (bad)
		return dss_err_errno(err, ENOMEM, "'%s'", c->s->path);
	if (rc != SQLITE_DONE)
		return dss_err_set(err, "cannot read '%s': %s", c->s->path,
		    sqlite3_errmsg(c->db));
	return 0;
}

/* Makes c->key "dataset\0id" from columns 0 and 1 of st. */
static int
make_key(struct ctx *c, sqlite3_stmt *st)
{
	const char *ds = col(st, 0), *id = col(st, 1);

	dss_buf_reset(&c->key);
	return dss_buf_adds(&c->key, ds ? ds : "") < 0 ||
	    dss_buf_addch(&c->key, 0) < 0 ||
	    dss_buf_add(&c->key, id ? id : "", id ?
	    (size_t)sqlite3_column_bytes(st, 1) : 0) < 0 ? -1 : 0;
}

/*
 * The split (index into c->s->splits, or -1 when out of memory) and
 * gold label (or DSS_IDTAB_NONE) of the example the row's columns 0
 * and 1 (dataset, id) name; a row whose example is not stored belongs
 * to its dataset's null split.
 */
static long
example(struct ctx *c, sqlite3_stmt *st, uint32_t *label)
{
	struct dss_stats_split *sp;
	uint32_t e;

	*label = DSS_IDTAB_NONE;
	if (make_key(c, st) < 0)
		return -1;
	/* tables keyed by (dataset, id) list them in the examples' order */
	e = c->guess;
	if (e >= c->ids.n || c->ids.len[e] != c->key.len ||
	    memcmp(dss_idtab_key(&c->ids, e), c->key.data, c->key.len) != 0)
		e = dss_idtab_find(&c->ids, c->key.data, c->key.len,
		    dss_idtab_hash(c->key.data, c->key.len));
	if (e != DSS_IDTAB_NONE) {
		c->guess = e + 1;
		*label = c->label[e];
		return (long)c->split[e];
	}
	if ((sp = get_split(c->s, col(st, 0), NULL)) == NULL)
		return -1;
	return (long)(sp - c->s->splits);
}

/* The group of the row's example and of teacher and filter. */
static struct dss_stats_filter *
group(struct ctx *c, sqlite3_stmt *st, const char *teacher,
    const char *filter, uint32_t *label)
{
	struct dss_stats_teacher *t;
	long sp = example(c, st, label);

	if (sp < 0 || (t = get_teacher(&c->s->splits[sp], teacher)) == NULL)
		return NULL;
	return get_filter(t, filter);
}

/*
 * Runs sql (bound to the dataset asked for) and hands each row to row,
 * which returns 0, or -1 when memory runs out.
 */
static int
each_row(struct ctx *c, const char *sql,
    int (*row)(struct ctx *, sqlite3_stmt *), struct dss_err *err)
{
	sqlite3_stmt *st = prepare(c, sql, err);
	int rc = SQLITE_DONE, bad = 0;

	if (st == NULL)
		return -1;
	while (!bad && (rc = sqlite3_step(st)) == SQLITE_ROW)
		bad = row(c, st) < 0;
	return done(c, st, rc, bad, err);
}

/* dataset, id, split, label */
static int
example_row(struct ctx *c, sqlite3_stmt *st)
{
	struct dss_stats_split *sp = get_split(c->s, col(st, 0), col(st, 2));
	const char *label = col(st, 3);
	size_t n = label ? (size_t)sqlite3_column_bytes(st, 3) : 0;
	uint32_t e;
	int added;

	if (sp == NULL || make_key(c, st) < 0 || (e = dss_idtab_add(
	    &c->ids, c->key.data, c->key.len, dss_idtab_hash(c->key.data,
	    c->key.len), &added)) == DSS_IDTAB_NONE)
		return -1;
	if (e >= c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 1024;
		uint32_t *a = realloc(c->split, cap * sizeof(*a)), *b;

		if (a != NULL)
			c->split = a;
		if (a == NULL || (b = realloc(c->label, cap * sizeof(*b))) == NULL)
			return -1;
		c->label = b;
		c->cap = cap;
	}
	if (label == NULL)
		label = "";
	c->split[e] = (uint32_t)(sp - c->s->splits);
	c->label[e] = dss_idtab_add(&c->labels, label, n,
	    dss_idtab_hash(label, n), NULL);
	if (c->label[e] == DSS_IDTAB_NONE)
		return -1;
	sp->examples++;
	c->s->examples++;
	return 0;
}

/* dataset, id */
static int
prompt_row(struct ctx *c, sqlite3_stmt *st)
{
	uint32_t label;
	long sp = example(c, st, &label);

	if (sp < 0)
		return -1;
	c->s->splits[sp].prompts++;
	c->s->prompts++;
	return 0;
}

/* dataset, id, teacher, sample */
static int
completion_row(struct ctx *c, sqlite3_stmt *st)
{
	long long sample = sqlite3_column_int64(st, 3);
	struct dss_stats_teacher *t;
	uint32_t label;
	long sp = example(c, st, &label);

	if (sp < 0 || (t = get_teacher(&c->s->splits[sp], col(st, 2))) == NULL)
		return -1;
	t->completions++;
	if (sample >= 0 && (unsigned long long)sample >= t->samples)
		t->samples = (unsigned long)sample + 1;
	c->s->completions++;
	return 0;
}

/*
 * dataset, id, provider:model, prompt_tokens, completion_tokens,
 * cost_usd, provider, model.  Cached responses, each once, for the
 * example it was paid for, under the teacher its completions name: one
 * name for each provider and model, found from one of their completions
 * (else provider:model).
 */
static int
cache_row(struct ctx *c, sqlite3_stmt *st)
{
	const char *pm = col(st, 2) ? col(st, 2) : "";
	long long pt = sqlite3_column_int64(st, 3);
	long long ct = sqlite3_column_int64(st, 4);
	struct dss_stats_teacher *t;
	uint32_t label;
	long sp;

	if (c->last.len == 0 || strcmp(c->last.data, pm) != 0) {
		dss_buf_reset(&c->last);
		dss_buf_reset(&c->teacher);
		sqlite3_reset(c->name);
		sqlite3_bind_value(c->name, 1, sqlite3_column_value(st, 6));
		sqlite3_bind_value(c->name, 2, sqlite3_column_value(st, 7));
		if (dss_buf_adds(&c->last, pm) < 0 || dss_buf_adds(&c->teacher,
		    sqlite3_step(c->name) == SQLITE_ROW && col(c->name, 0) ?
		    col(c->name, 0) : pm) < 0)
			return -1;
	}
	if ((sp = example(c, st, &label)) < 0 ||
	    (t = get_teacher(&c->s->splits[sp], c->teacher.data)) == NULL)
		return -1;
	t->responses++;
	t->prompt_tokens += pt > 0 ? (unsigned long long)pt : 0;
	t->completion_tokens += ct > 0 ? (unsigned long long)ct : 0;
	t->cost_usd += sqlite3_column_double(st, 5);
	c->s->responses++;
	return 0;
}

static int
q_cache(struct ctx *c, struct dss_err *err)
{
	int r;

	c->name = dss_db_prepare(c->db, "SELECT c.teacher FROM "
	    "teach_cache t JOIN completions c ON c.request = t.request WHERE "
	    "t.provider = ?1 AND t.model = ?2 LIMIT 1", err);
	if (c->name == NULL)
		return -1;
	r = each_row(c, "SELECT dataset, id, provider || ':' || model, "
	    "prompt_tokens, completion_tokens, cost_usd, provider, model "
	    "FROM teach_cache WHERE ?1 IS NULL OR dataset = ?1", cache_row,
	    err);
	sqlite3_finalize(c->name);
	c->name = NULL;
	return r;
}

/* Counts a kept label of f. */
static int
count_label(struct dss_stats_filter *f, const char *label, size_t n)
{
	uint32_t i;

	if (f->labtab == NULL && (f->labtab = calloc(1,
	    sizeof(*f->labtab))) == NULL)
		return -1;
	i = dss_idtab_add(f->labtab, label, n, dss_idtab_hash(label, n), NULL);
	if (i == DSS_IDTAB_NONE)
		return -1;
	if (i >= f->labcap) {
		size_t cap = f->labcap ? 2 * f->labcap : 16;
		unsigned long *v = realloc(f->labn, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		memset(v + f->labcap, 0, (cap - f->labcap) * sizeof(*v));
		f->labn = v;
		f->labcap = cap;
	}
	f->labn[i]++;
	return 0;
}

/*
 * dataset, id, teacher, filter, agree, length(rationale), label.  Kept
 * triples: counts, agreement, rationale lengths and labels, in one pass.
 */
static int
triple_row(struct ctx *c, sqlite3_stmt *st)
{
	long long len = sqlite3_column_int64(st, 5);
	const char *l = col(st, 6);
	struct dss_stats_filter *f;
	uint32_t label;

	f = group(c, st, col(st, 2), col(st, 3), &label);
	if (f == NULL || (f->hist == NULL && (f->hist = calloc(
	    DSS_STATS_LEN_MAX + 1, sizeof(*f->hist))) == NULL) ||
	    count_label(f, l ? l : "", l ?
	    (size_t)sqlite3_column_bytes(st, 6) : 0) < 0)
		return -1;
	f->kept++;
	if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
		f->judged++;
		f->agree += sqlite3_column_int(st, 4) == 1;
	}
	if (len < 0)
		len = 0;
	if ((unsigned long long)len > f->rationale_q[5])
		f->rationale_q[5] = (unsigned long)len;
	f->hist[len > DSS_STATS_LEN_MAX ? DSS_STATS_LEN_MAX : len]++;
	c->s->triples++;
	return 0;
}

/* Whether answer a is gold label g by the rule of dataset ds. */
static int
same_answer(struct ctx *c, const char *ds, const char *a, const char *g)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_answer_config *cfg = dss_answer_cache_get(c->answers, ds,
	    &err);

	if (cfg == NULL)
		return strcmp(a, g) == 0;
	return dss_answer_same(dss_answer_config_kindof(cfg), a, g);
}

/* Counts n of reason in f's list of reasons. */
static int
count_reason(struct dss_stats_filter *f, const char *reason)
{
	struct dss_stats_count *r;
	size_t i;

	for (i = 0; i < f->nreasons; i++)
		if (strcmp(f->reasons[i].name, reason) == 0) {
			f->reasons[i].n++;
			return 0;
		}
	if ((r = grow(&f->reasons, &f->nreasons, sizeof(*r))) == NULL)
		return -1;
	if ((r->name = strdup(reason)) == NULL) {
		f->nreasons--;
		return -1;
	}
	r->n = 1;
	return 0;
}

/* dataset, id, teacher, filter, reason, teacher_label */
static int
reject_row(struct ctx *c, sqlite3_stmt *st)
{
	const char *reason = col(st, 4) ? col(st, 4) : "";
	const char *answer = col(st, 5);
	struct dss_stats_filter *f;
	uint32_t label;

	f = group(c, st, col(st, 2), col(st, 3), &label);
	if (f == NULL || count_reason(f, reason) < 0)
		return -1;
	f->rejected++;
	if (strcmp(reason, "no_answer") == 0)
		f->parse_failures++;
	if (label != DSS_IDTAB_NONE) {
		f->judged++;
		f->agree += answer != NULL && same_answer(c, col(st, 0),
		    answer, dss_idtab_key(&c->labels, label));
	}
	c->s->rejects++;
	return 0;
}

/*
 * dataset, id, teacher, filter, the winning votes and all votes of a
 * prompt of a majority filter: how its votes split.
 */
static int
vote_row(struct ctx *c, sqlite3_stmt *st)
{
	struct dss_stats_filter *f;
	struct dss_stats_votes *v = NULL;
	long win = (long)sqlite3_column_int64(st, 4);
	long total = (long)sqlite3_column_double(st, 5);
	uint32_t label;
	size_t i;

	if (sqlite3_column_type(st, 4) == SQLITE_NULL)
		return 0;
	if ((f = group(c, st, col(st, 2), col(st, 3), &label)) == NULL)
		return -1;
	for (i = 0; i < f->nvotes; i++)
		if (f->votes[i].win == win && f->votes[i].total == total)
			v = &f->votes[i];
	if (v == NULL) {
		if ((v = grow(&f->votes, &f->nvotes, sizeof(*v))) == NULL)
			return -1;
		v->win = win;
		v->total = total;
	}
	v->prompts++;
	return 0;
}

/* dataset, split, name, kind, role, seed, fraction, size */
static int
subset_row(struct ctx *c, sqlite3_stmt *st)
{
	struct dss_stats_split *sp = get_split(c->s, col(st, 0), col(st, 1));
	struct dss_stats_subset *u;
	int bad = 0;

	if (sp == NULL || (u = grow(&sp->subsets, &sp->nsubsets,
	    sizeof(*u))) == NULL)
		return -1;
	u->name = dup(col(st, 2) ? col(st, 2) : "", &bad);
	u->kind = dup(col(st, 3) ? col(st, 3) : "", &bad);
	u->role = dup(col(st, 4) ? col(st, 4) : "", &bad);
	u->seed = sqlite3_column_int64(st, 5);
	u->fraction = sqlite3_column_type(st, 6) == SQLITE_NULL ? NAN :
	    sqlite3_column_double(st, 6);
	u->size = (unsigned long)sqlite3_column_int64(st, 7);
	c->s->subsets++;
	return bad ? -1 : 0;
}

/* Every query, in order: examples first, as the others look them up. */
static int
queries(struct ctx *c, struct dss_err *err)
{
	const char *triples = c->has_filter ?
	    "SELECT dataset, id, teacher, filter, agree, length(rationale), "
	    "label FROM triples WHERE ?1 IS NULL OR dataset = ?1" :
	    "SELECT dataset, id, teacher, NULL, agree, length(rationale), "
	    "label FROM triples WHERE ?1 IS NULL OR dataset = ?1";
	const char *votes = c->has_filter ?
	    "SELECT dataset, id, teacher, filter, "
	    "max((SELECT max(value) FROM json_each(record, '$.votes'))), "
	    "max((SELECT total(value) FROM json_each(record, '$.votes'))) "
	    "FROM triples WHERE (?1 IS NULL OR dataset = ?1) AND "
	    "(filter = 'majority' OR filter LIKE 'majority,%') AND "
	    "json_valid(record) GROUP BY dataset, id, teacher, filter" :
	    "SELECT dataset, id, teacher, NULL, "
	    "max((SELECT max(value) FROM json_each(record, '$.votes'))), "
	    "max((SELECT total(value) FROM json_each(record, '$.votes'))) "
	    "FROM triples WHERE (?1 IS NULL OR dataset = ?1) AND "
	    "json_valid(record) AND json_type(record, '$.votes') = 'object' "
	    "GROUP BY dataset, id, teacher";

	if (each_row(c, "SELECT dataset, id, split, label FROM examples "
	    "WHERE ?1 IS NULL OR dataset = ?1", example_row, err) < 0 ||
	    each_row(c, "SELECT dataset, id FROM prompts "
	    "WHERE ?1 IS NULL OR dataset = ?1", prompt_row, err) < 0 ||
	    each_row(c, "SELECT dataset, id, teacher, sample FROM completions "
	    "WHERE ?1 IS NULL OR dataset = ?1", completion_row, err) < 0 ||
	    q_cache(c, err) < 0 || each_row(c, triples, triple_row, err) < 0)
		return -1;
	if (c->has_rejects && each_row(c, "SELECT dataset, id, teacher, "
	    "filter, reason, teacher_label FROM rejects WHERE ?1 IS NULL OR "
	    "dataset = ?1", reject_row, err) < 0)
		return -1;
	if (each_row(c, votes, vote_row, err) < 0)
		return -1;
	if (c->has_subsets && each_row(c, "SELECT dataset, split, name, kind, "
	    "role, seed, fraction, size FROM subsets WHERE ?1 IS NULL OR "
	    "dataset = ?1 ORDER BY dataset, split, kind, seed, role DESC, "
	    "fraction, name", subset_row, err) < 0)
		return -1;
	return 0;
}

/* Most frequent first, then by name. */
static int
cmp_frequent(const void *pa, const void *pb)
{
	const struct dss_stats_count *a = pa, *b = pb;

	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return strcmp(a->name, b->name);
}

static int
cmp_votes(const void *pa, const void *pb)
{
	const struct dss_stats_votes *a = pa, *b = pb;

	if (a->win != b->win)
		return a->win > b->win ? -1 : 1;
	return (a->total > b->total) - (a->total < b->total);
}

/* The ten most frequent labels, and the count of the others. */
static int
top_labels(struct dss_stats_filter *f)
{
	struct dss_stats_count *all;
	size_t i, n = f->labtab ? f->labtab->n : 0;

	f->label_distinct = n;
	if (n == 0)
		return 0;
	if ((all = calloc(n, sizeof(*all))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		all[i].name = (char *)dss_idtab_key(f->labtab, (uint32_t)i);
		all[i].n = f->labn[i];
	}
	sort(all, n, sizeof(*all), cmp_frequent);
	for (i = 0; i < n; i++) {
		if (i >= DSS_STATS_TOP_LABELS)
			f->label_other += all[i].n;
		else if ((all[i].name = strdup(all[i].name)) == NULL)
			break;
	}
	f->labels = all;
	f->nlabels = i < DSS_STATS_TOP_LABELS ? i : DSS_STATS_TOP_LABELS;
	dss_idtab_free(f->labtab);
	free(f->labtab);
	free(f->labn);
	f->labtab = NULL;
	f->labn = NULL;
	return i < n && i < DSS_STATS_TOP_LABELS ? -1 : 0;
}

/* ---- finishing ---- */

static void
quantiles(struct dss_stats_filter *f)
{
	static const double q[] = { 0.25, 0.5, 0.75, 0.9 };
	unsigned long cum = 0, len;
	size_t k = 0;
	int first = 1;

	if (f->hist == NULL || f->kept == 0)
		return;
	for (len = 0; len <= DSS_STATS_LEN_MAX; len++) {
		if (f->hist[len] == 0)
			continue;
		if (first) {
			f->rationale_q[0] = len;
			first = 0;
		}
		cum += f->hist[len];
		/* nearest rank: the smallest length with ceil(q n) at or below */
		while (k < 4 && (double)cum >= ceil(q[k] * (double)f->kept)) {
			f->rationale_q[k + 1] = len;
			k++;
		}
	}
	free(f->hist);
	f->hist = NULL;
}

static int
split_rank(const char *s)
{
	if (s == NULL)
		return 4;
	if (strcmp(s, "train") == 0)
		return 0;
	if (strcmp(s, "valid") == 0)
		return 1;
	if (strcmp(s, "test") == 0)
		return 2;
	return 3;
}

static int
cmp_null_last(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL) - (b == NULL);
	return strcmp(a, b);
}

static int
cmp_split(const void *pa, const void *pb)
{
	const struct dss_stats_split *a = pa, *b = pb;
	int c = strcmp(a->dataset, b->dataset);

	if (c)
		return c;
	if (split_rank(a->split) != split_rank(b->split))
		return split_rank(a->split) - split_rank(b->split);
	return cmp_null_last(a->split, b->split);
}

/*
 * By name, a null one last, for the structs whose first member is their
 * name (counts, teachers, filters).
 */
static int
cmp_name(const void *pa, const void *pb)
{
	return cmp_null_last(*(char *const *)pa, *(char *const *)pb);
}

static int
finish(struct dss_stats *s)
{
	size_t i, j, k;

	sort(s->splits, s->nsplits, sizeof(*s->splits), cmp_split);
	for (i = 0; i < s->nsplits; i++) {
		struct dss_stats_split *sp = &s->splits[i];

		sort(sp->teachers, sp->nteachers, sizeof(*sp->teachers),
		    cmp_name);
		for (j = 0; j < sp->nteachers; j++) {
			struct dss_stats_teacher *t = &sp->teachers[j];

			sort(t->filters, t->nfilters, sizeof(*t->filters),
			    cmp_name);
			for (k = 0; k < t->nfilters; k++) {
				struct dss_stats_filter *f = &t->filters[k];

				quantiles(f);
				if (top_labels(f) < 0)
					return -1;
				sort(f->reasons, f->nreasons, sizeof(*f->reasons),
				    cmp_name);
				sort(f->votes, f->nvotes, sizeof(*f->votes),
				    cmp_votes);
			}
		}
	}
	return 0;
}

static int
has(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		r = sqlite3_column_int(st, 0) > 0;
	sqlite3_finalize(st);
	return r;
}

struct dss_stats *
dss_stats_load(const char *path, const char *dataset, struct dss_err *err)
{
	struct ctx c;
	struct dss_stats *s;
	struct stat sb;
	int ok = 0;

	memset(&c, 0, sizeof(c));
	c.dataset = dataset;
	c.ids = (struct dss_idtab)DSS_IDTAB_INIT;
	c.labels = (struct dss_idtab)DSS_IDTAB_INIT;
	c.key = (struct dss_buf)DSS_BUF_INIT;
	c.last = (struct dss_buf)DSS_BUF_INIT;
	c.teacher = (struct dss_buf)DSS_BUF_INIT;
	if (stat(path, &sb) < 0) {
		dss_err_errno(err, errno, "cannot open '%s'", path);
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->path = strdup(path)) == NULL ||
	    (c.answers = dss_answer_cache_new()) == NULL) {
		dss_err_errno(err, ENOMEM, "'%s'", path);
		goto out;
	}
	c.s = s;
	if ((c.db = dss_db_open(path, DSS_DB_READONLY, err)) == NULL)
		goto out;
	if (!has(c.db, "SELECT count(*) FROM sqlite_master WHERE type = "
	    "'table' AND name = 'examples'")) {
		if (sqlite3_exec(c.db, "SELECT 1 FROM sqlite_master", NULL, NULL,
		    NULL) != SQLITE_OK)
			dss_err_set(err, "cannot read '%s': %s", path,
			    sqlite3_errmsg(c.db));
		else
			dss_err_set(err, "'%s' is not a dss database "
			    "(no examples table)", path);
		goto out;
	}
	{
		sqlite3_stmt *st = NULL;

		if (sqlite3_prepare_v2(c.db, "PRAGMA user_version", -1, &st,
		    NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			s->version = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	c.has_filter = has(c.db, "SELECT count(*) FROM pragma_table_info("
	    "'triples') WHERE name = 'filter'");
	c.has_rejects = has(c.db, "SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'table' AND name = 'rejects'");
	c.has_subsets = has(c.db, "SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'table' AND name = 'subsets'");
	if (queries(&c, err) < 0)
		goto out;
	if (finish(s) < 0) {
		dss_err_errno(err, ENOMEM, "'%s'", path);
		goto out;
	}
	ok = 1;
out:
	dss_db_close(c.db);
	dss_answer_cache_free(c.answers);
	dss_idtab_free(&c.ids);
	dss_idtab_free(&c.labels);
	free(c.split);
	free(c.label);
	dss_buf_free(&c.key);
	dss_buf_free(&c.last);
	dss_buf_free(&c.teacher);
	if (!ok) {
		dss_stats_free(s);
		return NULL;
	}
	return s;
}

void
dss_stats_free(struct dss_stats *s)
{
	size_t i, j, k, m;

	if (s == NULL)
		return;
	for (i = 0; i < s->nsplits; i++) {
		struct dss_stats_split *sp = &s->splits[i];

		for (j = 0; j < sp->nteachers; j++) {
			struct dss_stats_teacher *t = &sp->teachers[j];

			for (k = 0; k < t->nfilters; k++) {
				struct dss_stats_filter *f = &t->filters[k];

				for (m = 0; m < f->nreasons; m++)
					free(f->reasons[m].name);
				for (m = 0; m < f->nlabels; m++)
					free(f->labels[m].name);
				free(f->reasons);
				free(f->labels);
				free(f->votes);
				free(f->hist);
				if (f->labtab != NULL)
					dss_idtab_free(f->labtab);
				free(f->labtab);
				free(f->labn);
				free(f->filter);
			}
			free(t->filters);
			free(t->teacher);
		}
		for (j = 0; j < sp->nsubsets; j++) {
			free(sp->subsets[j].name);
			free(sp->subsets[j].kind);
			free(sp->subsets[j].role);
		}
		free(sp->teachers);
		free(sp->subsets);
		free(sp->dataset);
		free(sp->split);
	}
	free(s->splits);
	free(s->path);
	free(s);
}
