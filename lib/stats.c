/* SPDX-License-Identifier: MIT */
/*
 * dss-stats' counting: one SQL aggregate per table, each row of which
 * lands in its (dataset, split, teacher, filter) group; the reports are
 * in stats_report.c.  See stats.h.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "answer.h"
#include "db.h"
#include "stats.h"

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

static struct dss_stats_teacher *
get_teacher(struct dss_stats_split *sp, const char *teacher)
{
	struct dss_stats_teacher *t;
	size_t i;
	int bad = 0;

	for (i = 0; i < sp->nteachers; i++)
		if (same_str(sp->teachers[i].teacher, teacher))
			return &sp->teachers[i];
	if ((t = grow(&sp->teachers, &sp->nteachers, sizeof(*t))) == NULL)
		return NULL;
	t->teacher = dup(teacher, &bad);
	return bad ? NULL : t;
}

static struct dss_stats_filter *
get_filter(struct dss_stats_teacher *t, const char *filter)
{
	struct dss_stats_filter *f;
	size_t i;
	int bad = 0;

	for (i = 0; i < t->nfilters; i++)
		if (same_str(t->filters[i].filter, filter))
			return &t->filters[i];
	if ((f = grow(&t->filters, &t->nfilters, sizeof(*f))) == NULL)
		return NULL;
	f->filter = dup(filter, &bad);
	return bad ? NULL : f;
}

/* The group of a row whose first columns are dataset, split, teacher, filter. */
static struct dss_stats_filter *
row_filter(struct dss_stats *s, sqlite3_stmt *st, int with_filter)
{
	struct dss_stats_split *sp = get_split(s, col(st, 0), col(st, 1));
	struct dss_stats_teacher *t = sp ? get_teacher(sp, col(st, 2)) : NULL;

	if (t == NULL)
		return NULL;
	return get_filter(t, with_filter ? col(st, 3) : NULL);
}

/* ---- the queries ---- */

struct ctx {
	struct dss_stats *s;
	sqlite3 *db;
	const char *dataset;
	int has_filter, has_rejects, has_subsets;
	struct dss_answer_cache *answers;
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

#define JOIN(t) " LEFT JOIN examples e ON e.dataset = " t ".dataset AND " \
	"e.id = " t ".id WHERE ?1 IS NULL OR " t ".dataset = ?1 "

static int
q_examples(struct ctx *c, struct dss_err *err)
{
	sqlite3_stmt *st = prepare(c, "SELECT dataset, split, count(*) FROM "
	    "examples WHERE ?1 IS NULL OR dataset = ?1 GROUP BY dataset, split",
	    err);
	int rc, bad = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dss_stats_split *sp = get_split(c->s, col(st, 0), col(st, 1));

		if (sp == NULL) {
			bad = 1;
			break;
		}
		sp->examples = (unsigned long)sqlite3_column_int64(st, 2);
		c->s->examples += sp->examples;
	}
	return done(c, st, rc, bad, err);
}

/*
 * The joins with examples below are aggregated here rather than by SQL:
 * their groups are few, and SQLite would sort every row to group them.
 */
static int
q_prompts(struct ctx *c, struct dss_err *err)
{
	sqlite3_stmt *st = prepare(c, "SELECT p.dataset, e.split FROM prompts p"
	    JOIN("p"), err);
	struct dss_stats_split *sp;
	int rc, bad = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((sp = get_split(c->s, col(st, 0), col(st, 1))) == NULL) {
			bad = 1;
			break;
		}
		sp->prompts++;
		c->s->prompts++;
	}
	return done(c, st, rc, bad, err);
}

static int
q_completions(struct ctx *c, struct dss_err *err)
{
	sqlite3_stmt *st = prepare(c, "SELECT c.dataset, e.split, c.teacher, "
	    "c.sample FROM completions c" JOIN("c"), err);
	int rc, bad = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dss_stats_split *sp = get_split(c->s, col(st, 0), col(st, 1));
		struct dss_stats_teacher *t = sp ? get_teacher(sp, col(st, 2)) : NULL;
		long long sample = sqlite3_column_int64(st, 3);

		if (t == NULL) {
			bad = 1;
			break;
		}
		t->completions++;
		if (sample >= 0 && (unsigned long long)sample >= t->samples)
			t->samples = (unsigned long)sample + 1;
		c->s->completions++;
	}
	return done(c, st, rc, bad, err);
}

/*
 * Cached responses, each once, for the example it was paid for; its
 * teacher is the one its completions name (else provider:model).
 */
static int
q_cache(struct ctx *c, struct dss_err *err)
{
	sqlite3_stmt *st = prepare(c, "SELECT t.dataset, e.split, "
	    "coalesce((SELECT c.teacher FROM completions c WHERE c.request = "
	    "t.request LIMIT 1), t.provider || ':' || t.model), "
	    "t.prompt_tokens, t.completion_tokens, t.cost_usd "
	    "FROM teach_cache t" JOIN("t"), err);
	int rc, bad = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dss_stats_split *sp = get_split(c->s, col(st, 0), col(st, 1));
		struct dss_stats_teacher *t = sp ? get_teacher(sp, col(st, 2)) : NULL;
		long long pt = sqlite3_column_int64(st, 3);
		long long ct = sqlite3_column_int64(st, 4);

		if (t == NULL) {
			bad = 1;
			break;
		}
		t->responses++;
		t->prompt_tokens += pt > 0 ? (unsigned long long)pt : 0;
		t->completion_tokens += ct > 0 ? (unsigned long long)ct : 0;
		t->cost_usd += sqlite3_column_double(st, 5);
		c->s->responses++;
	}
	return done(c, st, rc, bad, err);
}

/*
 * Counts label in f's table of labels: an open-addressing hash table of
 * the distinct kept labels, made into the top ten when done.
 */
static int
count_label(struct dss_stats_filter *f, const char *label)
{
	size_t n = strlen(label), j;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (j = 0; j < n; j++)
		h = (h ^ (unsigned char)label[j]) * 0x100000001b3ULL;
	if ((f->label_distinct + 1) * 4 > f->labmask * 3) {
		size_t cap = f->labmask ? 2 * (f->labmask + 1) : 64, i;
		struct dss_stats_count *v = calloc(cap, sizeof(*v));

		if (v == NULL)
			return -1;
		for (i = 0; f->labmask && i <= f->labmask; i++) {
			struct dss_stats_count *o = &f->labtab[i];
			uint64_t g = 0xcbf29ce484222325ULL;
			const char *p;

			if (o->name == NULL)
				continue;
			for (p = o->name; *p; p++)
				g = (g ^ (unsigned char)*p) * 0x100000001b3ULL;
			for (j = g & (cap - 1); v[j].name; j = (j + 1) & (cap - 1))
				;
			v[j] = *o;
		}
		free(f->labtab);
		f->labtab = v;
		f->labmask = cap - 1;
	}
	for (j = h & f->labmask; f->labtab[j].name; j = (j + 1) & f->labmask)
		if (strcmp(f->labtab[j].name, label) == 0) {
			f->labtab[j].n++;
			return 0;
		}
	if ((f->labtab[j].name = strdup(label)) == NULL)
		return -1;
	f->labtab[j].n = 1;
	f->label_distinct++;
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

/* Makes the table of labels into the top ten and the count of the rest. */
static void
top_labels(struct dss_stats_filter *f)
{
	size_t i, n = 0;

	for (i = 0; f->labmask && i <= f->labmask; i++)
		if (f->labtab[i].name != NULL)
			f->labtab[n++] = f->labtab[i];
	qsort(f->labtab, n, sizeof(*f->labtab), cmp_frequent);
	for (i = DSS_STATS_TOP_LABELS; i < n; i++) {
		f->label_other += f->labtab[i].n;
		free(f->labtab[i].name);
	}
	f->labels = f->labtab;
	f->nlabels = n < DSS_STATS_TOP_LABELS ? n : DSS_STATS_TOP_LABELS;
	f->labtab = NULL;
	f->labmask = 0;
}

/* Kept triples: counts, agreement, rationale lengths and labels, in one pass. */
static int
q_triples(struct ctx *c, struct dss_err *err)
{
	sqlite3_stmt *st = prepare(c, c->has_filter ?
	    "SELECT t.dataset, e.split, t.teacher, t.filter, t.agree, "
	    "length(t.rationale), t.label FROM triples t" JOIN("t") :
	    "SELECT t.dataset, e.split, t.teacher, NULL, t.agree, "
	    "length(t.rationale), t.label FROM triples t" JOIN("t"), err);
	struct dss_stats_filter *f;
	int rc, bad = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long long len = sqlite3_column_int64(st, 5);

		f = row_filter(c->s, st, 1);
		if (f == NULL || (f->hist == NULL && (f->hist = calloc(
		    DSS_STATS_LEN_MAX + 1, sizeof(*f->hist))) == NULL)) {
			bad = 1;
			break;
		}
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
		if (count_label(f, col(st, 6) ? col(st, 6) : "") < 0) {
			bad = 1;
			break;
		}
		c->s->triples++;
	}
	return done(c, st, rc, bad, err);
}

/* dss_same(dataset, a, b): whether two answers are the same by the
 * dataset's rule (strings compared plainly for an unknown dataset). */
static void
same_fn(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	struct dss_answer_cache *cache = sqlite3_user_data(cx);
	const char *ds = (const char *)sqlite3_value_text(v[0]);
	const char *a = (const char *)sqlite3_value_text(v[1]);
	const char *b = (const char *)sqlite3_value_text(v[2]);
	struct dss_answer_config *cfg = NULL;
	struct dss_err err = DSS_ERR_INIT;

	(void)argc;
	if (a == NULL || b == NULL) {
		sqlite3_result_int(cx, 0);
		return;
	}
	if (ds != NULL)
		cfg = dss_answer_cache_get(cache, ds, &err);
	if (cfg == NULL) {
		sqlite3_result_int(cx, strcmp(a, b) == 0);
		return;
	}
	sqlite3_result_int(cx, dss_answer_same(dss_answer_config_kindof(cfg),
	    a, b));
}

static int
cmp_count(const void *pa, const void *pb)
{
	const struct dss_stats_count *a = pa, *b = pb;

	return strcmp(a->name, b->name);
}

static int
q_rejects(struct ctx *c, struct dss_err *err)
{
	sqlite3_stmt *st;
	int rc, bad = 0;

	if (!c->has_rejects)
		return 0;
	if (sqlite3_create_function(c->db, "dss_same", 3, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC, c->answers, same_fn, NULL, NULL) != SQLITE_OK)
		return dss_err_set(err, "cannot read '%s': %s", c->s->path,
		    sqlite3_errmsg(c->db));
	if ((st = prepare(c, "SELECT r.dataset, e.split, r.teacher, r.filter, "
	    "r.reason, count(*), total(e.label IS NOT NULL), "
	    "total(dss_same(r.dataset, r.teacher_label, e.label)) "
	    "FROM rejects r" JOIN("r") "GROUP BY 1, 2, 3, 4, 5", err)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dss_stats_filter *f = row_filter(c->s, st, 1);
		struct dss_stats_count *r;
		const char *reason = col(st, 4);
		unsigned long n = (unsigned long)sqlite3_column_int64(st, 5);

		if (f == NULL || (r = grow(&f->reasons, &f->nreasons,
		    sizeof(*r))) == NULL ||
		    (r->name = strdup(reason ? reason : "")) == NULL) {
			bad = 1;
			break;
		}
		r->n = n;
		f->rejected += n;
		if (reason != NULL && strcmp(reason, "no_answer") == 0)
			f->parse_failures += n;
		f->judged += (unsigned long)sqlite3_column_double(st, 6);
		f->agree += (unsigned long)sqlite3_column_double(st, 7);
		c->s->rejects += n;
	}
	return done(c, st, rc, bad, err);
}

/* How the votes of each prompt of majority filters split. */
static int
q_votes(struct ctx *c, struct dss_err *err)
{
	sqlite3_stmt *st = prepare(c, c->has_filter ?
	    "SELECT dataset, split, teacher, filter, win, total, count(*) FROM ("
	    "SELECT t.dataset, e.split, t.teacher, t.filter, "
	    "(SELECT max(value) FROM json_each(t.record, '$.votes')) AS win, "
	    "(SELECT total(value) FROM json_each(t.record, '$.votes')) AS total "
	    "FROM triples t" JOIN("t") "AND (t.filter = 'majority' OR "
	    "t.filter LIKE 'majority,%') AND json_valid(t.record) "
	    "GROUP BY t.dataset, t.id, t.teacher, t.filter) "
	    "WHERE win IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6 "
	    "ORDER BY 1, 2, 3, 4, 5 DESC, 6" :
	    "SELECT dataset, split, teacher, NULL, win, total, count(*) FROM ("
	    "SELECT t.dataset, e.split, t.teacher, "
	    "(SELECT max(value) FROM json_each(t.record, '$.votes')) AS win, "
	    "(SELECT total(value) FROM json_each(t.record, '$.votes')) AS total "
	    "FROM triples t" JOIN("t") "AND json_valid(t.record) AND "
	    "json_type(t.record, '$.votes') = 'object' "
	    "GROUP BY t.dataset, t.id, t.teacher) "
	    "WHERE win IS NOT NULL GROUP BY 1, 2, 3, 5, 6 "
	    "ORDER BY 1, 2, 3, 5 DESC, 6", err);
	int rc, bad = 0;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dss_stats_filter *f = row_filter(c->s, st, 1);
		struct dss_stats_votes *v;

		if (f == NULL || (v = grow(&f->votes, &f->nvotes,
		    sizeof(*v))) == NULL) {
			bad = 1;
			break;
		}
		v->win = (long)sqlite3_column_int64(st, 4);
		v->total = (long)sqlite3_column_double(st, 5);
		v->prompts = (unsigned long)sqlite3_column_int64(st, 6);
	}
	return done(c, st, rc, bad, err);
}

static int
q_subsets(struct ctx *c, struct dss_err *err)
{
	sqlite3_stmt *st;
	int rc, bad = 0;

	if (!c->has_subsets)
		return 0;
	if ((st = prepare(c, "SELECT dataset, split, name, kind, role, seed, "
	    "fraction, size FROM subsets WHERE ?1 IS NULL OR dataset = ?1 "
	    "ORDER BY dataset, split, kind, seed, role DESC, fraction, name",
	    err)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dss_stats_split *sp = get_split(c->s, col(st, 0), col(st, 1));
		struct dss_stats_subset *u;

		if (sp == NULL || (u = grow(&sp->subsets, &sp->nsubsets,
		    sizeof(*u))) == NULL) {
			bad = 1;
			break;
		}
		u->name = dup(col(st, 2) ? col(st, 2) : "", &bad);
		u->kind = dup(col(st, 3) ? col(st, 3) : "", &bad);
		u->role = dup(col(st, 4) ? col(st, 4) : "", &bad);
		u->seed = sqlite3_column_int64(st, 5);
		u->fraction = sqlite3_column_type(st, 6) == SQLITE_NULL ? NAN :
		    sqlite3_column_double(st, 6);
		u->size = (unsigned long)sqlite3_column_int64(st, 7);
		c->s->subsets++;
		if (bad)
			break;
	}
	return done(c, st, rc, bad, err);
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

static int
cmp_teacher(const void *pa, const void *pb)
{
	const struct dss_stats_teacher *a = pa, *b = pb;

	return cmp_null_last(a->teacher, b->teacher);
}

static int
cmp_filter(const void *pa, const void *pb)
{
	const struct dss_stats_filter *a = pa, *b = pb;

	return cmp_null_last(a->filter, b->filter);
}

static void
finish(struct dss_stats *s)
{
	size_t i, j, k;

	qsort(s->splits, s->nsplits, sizeof(*s->splits), cmp_split);
	for (i = 0; i < s->nsplits; i++) {
		struct dss_stats_split *sp = &s->splits[i];

		qsort(sp->teachers, sp->nteachers, sizeof(*sp->teachers),
		    cmp_teacher);
		for (j = 0; j < sp->nteachers; j++) {
			struct dss_stats_teacher *t = &sp->teachers[j];

			qsort(t->filters, t->nfilters, sizeof(*t->filters),
			    cmp_filter);
			for (k = 0; k < t->nfilters; k++) {
				struct dss_stats_filter *f = &t->filters[k];

				quantiles(f);
				top_labels(f);
				qsort(f->reasons, f->nreasons, sizeof(*f->reasons),
				    cmp_count);
			}
		}
	}
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
	struct ctx c = { NULL, NULL, dataset, 0, 0, 0, NULL };
	struct dss_stats *s;
	struct stat sb;
	int ok = 0;

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
	if (q_examples(&c, err) < 0 || q_prompts(&c, err) < 0 ||
	    q_completions(&c, err) < 0 || q_cache(&c, err) < 0 ||
	    q_triples(&c, err) < 0 || q_rejects(&c, err) < 0 ||
	    q_votes(&c, err) < 0 ||
	    q_subsets(&c, err) < 0)
		goto out;
	finish(s);
	ok = 1;
out:
	dss_db_close(c.db);
	dss_answer_cache_free(c.answers);
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
				for (m = 0; f->labmask && m <= f->labmask; m++)
					free(f->labtab[m].name);
				free(f->labtab);
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
