/* SPDX-License-Identifier: MIT */
/*
 * Subsets of a train split: the nested ranking, the stratified
 * interleaving, the official train_test_split arithmetic, and storing
 * the results in the subsets tables in one transaction (see sample.h).
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "db.h"
#include "jscan.h"
#include "pcg64.h"
#include "sample.h"
#include "sha256.h"

/* Manifest "sample" section. */

static int
is_field_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

int
dss_sample_config(const struct dss_manifest *m, struct dss_sample_config *cfg,
    struct dss_err *err)
{
	const cJSON *sec, *v;

	memset(cfg, 0, sizeof(*cfg));
	sec = cJSON_GetObjectItemCaseSensitive(dss_manifest_json(m), "sample");
	if (sec == NULL)
		return 0;
	if (!cJSON_IsObject(sec))
		return dss_err_set(err, "'%s': key 'sample' is not an object",
		    m->path);
	if ((v = cJSON_GetObjectItemCaseSensitive(sec, "stratify")) != NULL) {
		if (!cJSON_IsString(v) || !is_field_name(v->valuestring))
			return dss_err_set(err, "'%s': key 'sample.stratify' is not "
			    "a field name", m->path);
		cfg->stratify = v->valuestring;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(sec, "official_valid")) != NULL) {
		if (!cJSON_IsNumber(v) || !(v->valuedouble > 0.0 &&
		    v->valuedouble < 1.0))
			return dss_err_set(err, "'%s': key 'sample.official_valid' "
			    "is not a number between 0 and 1", m->path);
		cfg->official_valid = v->valuedouble;
	}
	return 0;
}

/* Sizes, names and fractions. */

size_t
dss_sample_ntest(size_t n, double share)
{
	return (size_t)ceil(share * (double)n);
}

size_t
dss_sample_size(size_t n, double f)
{
	return n - dss_sample_ntest(n, 1.0 - f);
}

void
dss_sample_fraction_name(double f, char buf[DSS_SAMPLE_FRACTION_LEN])
{
	int prec;

	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, DSS_SAMPLE_FRACTION_LEN, "%.*g", prec, f);
		if (strtod(buf, NULL) == f)
			return;
	}
	snprintf(buf, DSS_SAMPLE_FRACTION_LEN, "%.17g", f);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int
usage_err(struct dss_err *err, const char *fmt, const char *arg)
{
	dss_err_set(err, fmt, arg);
	if (err != NULL)
		err->code = DSS_SAMPLE_EUSAGE;
	return -1;
}

int
dss_sample_parse_fractions(const char *list, double *out, size_t *n,
    struct dss_err *err)
{
	char tok[64], name[DSS_SAMPLE_FRACTION_LEN];
	const char *p = list, *end;
	size_t len, i, k = 0;
	int digits;
	char *stop;

	*n = 0;
	for (;;) {
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len == 0)
			return usage_err(err, "%s", "a fraction is empty");
		if (len >= sizeof(tok)) {
			snprintf(tok, sizeof(tok), "%.*s", 20, p);
			return usage_err(err, "'%s...' is not a decimal number",
			    tok);
		}
		memcpy(tok, p, len);
		tok[len] = '\0';
		digits = 0;
		for (i = 0; i < len; i++) {
			if (tok[i] >= '0' && tok[i] <= '9')
				digits = 1;
			else if (tok[i] != '.' || strchr(tok + i + 1, '.'))
				break;
		}
		if (i < len || !digits)
			return usage_err(err, "'%s' is not a decimal number", tok);
		errno = 0;
		out[k] = strtod(tok, &stop);
		if (*stop != '\0' || !(out[k] > 0.0 && out[k] <= 1.0))
			return usage_err(err, "'%s' is not in (0, 1]", tok);
		if (++k == DSS_SAMPLE_MAXFRACTIONS && end != NULL)
			return usage_err(err, "more than %s fractions",
			    DSS_SAMPLE_MAXFRACTIONS_STR);
		if (end == NULL)
			break;
		p = end + 1;
	}
	qsort(out, k, sizeof(*out), cmp_double);
	for (i = 1; i < k; i++)
		if (out[i] == out[i - 1]) {
			dss_sample_fraction_name(out[i], name);
			return usage_err(err, "%s appears twice", name);
		}
	*n = k;
	return 0;
}

/* The nested ranking. */

struct ranked {
	uint64_t key;	/* the first 8 bytes of SHA-256 of "SEED:ID", big-endian */
	size_t row;
};

/*
 * Sorts v (n) by key: least significant digit first, 16 bits at a time,
 * through tmp (n).  Keys are uniform, so four passes of counting beat any
 * comparison sort; the result is in v.
 */
static void
radix(struct ranked *v, struct ranked *tmp, size_t *count, size_t n)
{
	struct ranked *from = v, *to = tmp, *t;
	size_t i, sum, c;
	int shift;

	for (shift = 0; shift < 64; shift += 16) {
		memset(count, 0, (1u << 16) * sizeof(*count));
		for (i = 0; i < n; i++)
			count[(from[i].key >> shift) & 0xffff]++;
		for (i = 0, sum = 0; i < (1u << 16); i++) {
			c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			to[count[(from[i].key >> shift) & 0xffff]++] = from[i];
		t = from;
		from = to;
		to = t;
	}
	/* four passes: the result is back in v */
}

int
dss_sample_rank(uint64_t seed, const char *const *ids, size_t n, size_t *order,
    struct dss_err *err)
{
	struct dss_buf b = DSS_BUF_INIT;
	unsigned char md[DSS_SHA256_LEN];
	struct dss_sha256 *sha;
	struct ranked *v, *tmp, x;
	size_t i, j, prefix, *count;
	int bytes;

	if (n == 0)
		return 0;
	v = malloc(n * sizeof(*v));
	tmp = malloc(n * sizeof(*tmp));
	count = malloc((1u << 16) * sizeof(*count));
	sha = dss_sha256_new();
	if (v == NULL || tmp == NULL || count == NULL || sha == NULL ||
	    dss_buf_addf(&b, "%llu:", (unsigned long long)seed) < 0) {
		free(v);
		free(tmp);
		free(count);
		dss_sha256_free(sha);
		return dss_err_errno(err, ENOMEM, "ranking %zu examples", n);
	}
	prefix = b.len;
	for (i = 0; i < n; i++) {
		dss_buf_truncate(&b, prefix);
		if (dss_buf_adds(&b, ids[i]) < 0) {
			free(v);
			free(tmp);
			free(count);
			dss_buf_free(&b);
			dss_sha256_free(sha);
			return dss_err_errno(err, ENOMEM, "ranking");
		}
		dss_sha256_again(sha, b.data, b.len, md);
		v[i].key = 0;
		for (bytes = 0; bytes < 8; bytes++)
			v[i].key = v[i].key << 8 | md[bytes];
		v[i].row = i;
	}
	dss_buf_free(&b);
	dss_sha256_free(sha);
	radix(v, tmp, count, n);
	free(tmp);
	free(count);
	/* Equal keys (a 64-bit coincidence) rank by id: insertion sort of each run. */
	for (i = 1; i < n; i++) {
		if (v[i].key != v[i - 1].key)
			continue;
		x = v[i];
		for (j = i; j > 0 && v[j - 1].key == x.key &&
		    strcmp(ids[v[j - 1].row], ids[x.row]) > 0; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	for (i = 0; i < n; i++)
		order[i] = v[i].row;
	free(v);
	return 0;
}

/* The stratified interleaving: earliest deadline first. */

struct due {
	uint64_t key;		/* release or deadline time, from 1 */
	size_t s;		/* the stratum */
};

struct heap {
	struct due *v;
	size_t n;
};

static int
due_less(const struct due *a, const struct due *b)
{
	return a->key < b->key || (a->key == b->key && a->s < b->s);
}

static void
heap_push(struct heap *h, uint64_t key, size_t s)
{
	size_t i = h->n++, p;
	struct due d = { key, s };

	while (i > 0 && due_less(&d, &h->v[p = (i - 1) / 2])) {
		h->v[i] = h->v[p];
		i = p;
	}
	h->v[i] = d;
}

static struct due
heap_pop(struct heap *h)
{
	struct due top = h->v[0], last = h->v[--h->n];
	size_t i = 0, c;

	while ((c = 2 * i + 1) < h->n) {
		if (c + 1 < h->n && due_less(&h->v[c + 1], &h->v[c]))
			c++;
		if (!due_less(&h->v[c], &last))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n > 0)
		h->v[i] = last;
	return top;
}

int
dss_sample_interleave(const size_t *order, const size_t *stratum,
    size_t nstrata, size_t n, size_t *out, struct dss_err *err)
{
	struct heap pending = { NULL, 0 }, ready = { NULL, 0 };
	size_t *count = NULL, *start = NULL, *taken = NULL, *members = NULL;
	size_t l, i, k;
	uint64_t j, c;
	int r = -1;

	if (n == 0)
		return 0;
	count = calloc(nstrata, sizeof(*count));
	start = calloc(nstrata + 1, sizeof(*start));
	taken = calloc(nstrata, sizeof(*taken));
	members = malloc(n * sizeof(*members));
	pending.v = malloc(nstrata * sizeof(*pending.v));
	ready.v = malloc(nstrata * sizeof(*ready.v));
	if (count == NULL || start == NULL || taken == NULL || members == NULL ||
	    pending.v == NULL || ready.v == NULL) {
		dss_err_errno(err, ENOMEM, "stratifying %zu examples", n);
		goto out;
	}
	for (i = 0; i < n; i++) {
		assert(stratum[order[i]] < nstrata);
		count[stratum[order[i]]]++;
	}
	for (l = 0; l < nstrata; l++)
		start[l + 1] = start[l] + count[l];
	for (i = 0; i < n; i++) {
		l = stratum[order[i]];
		members[start[l] + taken[l]++] = order[i];
	}
	memset(taken, 0, nstrata * sizeof(*taken));
	/*
	 * Member j (from 1) of a stratum of c in n may come at time k (from
	 * 1) when j <= ceil(k c / n), that is k >= floor((j - 1) n / c) + 1,
	 * and must come by the time floor(k c / n) reaches j, ceil(j n / c).
	 * A sequence meeting every such window exists (a house-monotone
	 * apportionment within quota), and for unit jobs with release times
	 * earliest deadline first finds one.
	 */
	for (l = 0; l < nstrata; l++)
		if (count[l] > 0)
			heap_push(&pending, 1, l);
	for (k = 1; k <= n; k++) {
		struct due d;

		while (pending.n > 0 && pending.v[0].key <= k) {
			d = heap_pop(&pending);
			c = count[d.s];
			j = taken[d.s] + 1;
			heap_push(&ready, (j * n + c - 1) / c, d.s);
		}
		assert(ready.n > 0);
		d = heap_pop(&ready);
		assert(d.key >= k);
		l = d.s;
		out[k - 1] = members[start[l] + taken[l]++];
		if (taken[l] < count[l])
			heap_push(&pending, (uint64_t)taken[l] * n / count[l] + 1,
			    l);
	}
	r = 0;
out:
	free(count);
	free(start);
	free(taken);
	free(members);
	free(pending.v);
	free(ready.v);
	return r;
}

/* The official subsets. */

int
dss_sample_official(uint64_t run, size_t n, double f, double cut, size_t *rows,
    size_t *ntrain, size_t *nvalid, struct dss_err *err)
{
	size_t *perm = NULL, *cutp = NULL, *sub, m, nt, i;
	char name[DSS_SAMPLE_FRACTION_LEN];
	int r = -1;

	*ntrain = *nvalid = 0;
	if ((perm = malloc((n ? n : 1) * sizeof(*perm))) == NULL)
		return dss_err_errno(err, ENOMEM, "permuting %zu rows", n);
	if (f < 1.0) {
		nt = dss_sample_ntest(n, 1.0 - f);
		if (nt >= n) {
			dss_sample_fraction_name(f, name);
			dss_err_set(err, "fraction %s of %zu examples leaves the "
			    "train set empty", name, n);
			goto out;
		}
		dss_pcg64_permutation(run, perm, n);
		sub = perm + nt;
		m = n - nt;
	} else {
		for (i = 0; i < n; i++)
			perm[i] = i;
		sub = perm;
		m = n;
	}
	if (cut > 0.0) {
		nt = dss_sample_ntest(m, cut);
		if (nt >= m) {
			dss_sample_fraction_name(cut, name);
			dss_err_set(err, "the validation cut of %s of %zu examples "
			    "leaves the train set empty", name, m);
			goto out;
		}
		if ((cutp = malloc(m * sizeof(*cutp))) == NULL) {
			dss_err_errno(err, ENOMEM, "permuting %zu rows", m);
			goto out;
		}
		dss_pcg64_permutation(0, cutp, m);
		for (i = 0; i < m - nt; i++)
			rows[i] = sub[cutp[nt + i]];
		for (i = 0; i < nt; i++)
			rows[m - nt + i] = sub[cutp[i]];
		*ntrain = m - nt;
		*nvalid = nt;
	} else {
		memmove(rows, sub, m * sizeof(*rows));
		*ntrain = m;
	}
	r = 0;
out:
	free(perm);
	free(cutp);
	return r;
}

/* Reading the train split. */

struct examples {
	size_t n;
	const char **ids;	/* into arena */
	struct dss_buf arena;	/* the ids, NUL-terminated */
	size_t gap;		/* the first row whose index is not its row, or n */
	long long gap_idx;	/* that row's index */
	size_t *stratum;	/* stratified only: numbers in byte order of value */
	size_t nstrata;
};

static void
examples_free(struct examples *e)
{
	free(e->ids);
	free(e->stratum);
	dss_buf_free(&e->arena);
}

/*
 * The distinct stratum values, interned in an open-addressing table
 * while reading: a split has few strata, so memory does not grow with
 * its examples.
 */
struct strata {
	char **value;		/* by number, in order of first sight */
	size_t n, cap;
	size_t *slot;		/* hash slots: number + 1, or 0 when free */
	size_t nslot;
};

static void
strata_free(struct strata *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->value[i]);
	free(t->value);
	free(t->slot);
}

static size_t
hash(const char *s)
{
	size_t h = 14695981039346656037ULL & SIZE_MAX;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * (1099511628211ULL & SIZE_MAX);
	return h;
}

static int
strata_rehash(struct strata *t, size_t nslot)
{
	size_t *slot = calloc(nslot, sizeof(*slot)), i, h;

	if (slot == NULL)
		return -1;
	for (i = 0; i < t->n; i++) {
		for (h = hash(t->value[i]) & (nslot - 1); slot[h];
		    h = (h + 1) & (nslot - 1))
			;
		slot[h] = i + 1;
	}
	free(t->slot);
	t->slot = slot;
	t->nslot = nslot;
	return 0;
}

/* The number of value, interned when new; (size_t)-1 when out of memory. */
static size_t
strata_number(struct strata *t, const char *v)
{
	size_t h, k;

	if ((t->n + 1) * 2 > t->nslot && strata_rehash(t, t->nslot ?
	    t->nslot * 2 : 64) < 0)
		return (size_t)-1;
	for (h = hash(v) & (t->nslot - 1); (k = t->slot[h]) != 0;
	    h = (h + 1) & (t->nslot - 1))
		if (strcmp(t->value[k - 1], v) == 0)
			return k - 1;
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 16;
		char **nv = realloc(t->value, ncap * sizeof(*nv));

		if (nv == NULL)
			return (size_t)-1;
		t->value = nv;
		t->cap = ncap;
	}
	if ((t->value[t->n] = strdup(v)) == NULL)
		return (size_t)-1;
	t->slot[h] = ++t->n;
	return t->n - 1;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

/* Renumbers e->stratum from order of first sight to byte order of value. */
static int
number_strata(struct examples *e, struct strata *t, struct dss_err *err)
{
	char ***by = malloc((t->n ? t->n : 1) * sizeof(*by));
	size_t *to = malloc((t->n ? t->n : 1) * sizeof(*to)), i;

	if (by == NULL || to == NULL) {
		free(by);
		free(to);
		return dss_err_errno(err, ENOMEM, "stratifying");
	}
	for (i = 0; i < t->n; i++)
		by[i] = &t->value[i];
	qsort(by, t->n, sizeof(*by), cmp_str);
	for (i = 0; i < t->n; i++)
		to[by[i] - t->value] = i;
	for (i = 0; i < e->n; i++)
		e->stratum[i] = to[e->stratum[i]];
	e->nstrata = t->n;
	free(by);
	free(to);
	return 0;
}

static const char *
dbname(sqlite3 *db)
{
	const char *f = sqlite3_db_filename(db, "main");

	return f && *f ? f : ":memory:";
}

static int
db_err(sqlite3 *db, struct dss_err *err)
{
	return dss_err_set(err, "database '%s': %s", dbname(db),
	    sqlite3_errmsg(db));
}

/* Reads one row of the train split into row i of e. */
static int
read_row(sqlite3_stmt *st, int strata, const char *field, struct examples *e,
    size_t i, size_t *idoff, struct strata *t, struct dss_err *err)
{
	const char *id = (const char *)sqlite3_column_text(st, 0);
	long long idx = sqlite3_column_int64(st, 1);

	idoff[i] = e->arena.len;
	if (dss_buf_add(&e->arena, id, (size_t)sqlite3_column_bytes(st, 0) +
	    1) < 0)
		return dss_err_errno(err, ENOMEM, "reading %zu examples", e->n);
	if (e->gap == (size_t)-1 && idx != (long long)i) {
		e->gap = i;
		e->gap_idx = idx;
	}
	if (strata) {
		const char *v = (const char *)sqlite3_column_text(st, 2);
		const char *type = (const char *)sqlite3_column_text(st, 3);

		if (v == NULL || type == NULL || strcmp(type, "text") != 0)
			return dss_err_set(err, "example '%s' has no string field "
			    "'%s' to stratify by", id, field ? field : "label");
		if ((e->stratum[i] = strata_number(t, v)) == (size_t)-1)
			return dss_err_errno(err, ENOMEM, "stratifying");
	}
	return 0;
}

/*
 * Loads the train examples of dataset, by index; with strata, also each
 * one's stratum (field NULL: the label).
 */
static int
load_examples(sqlite3 *db, const char *dataset, int strata, const char *field,
    struct examples *e, struct dss_err *err)
{
	struct strata t = { NULL, 0, 0, NULL, 0 };
	struct dss_buf sql = DSS_BUF_INIT;
	sqlite3_stmt *st = NULL;
	size_t *idoff = NULL, i = 0, cap, bytes;
	int rc, r = -1;

	memset(e, 0, sizeof(*e));
	e->arena = (struct dss_buf)DSS_BUF_INIT;
	e->gap = (size_t)-1;
	if ((st = dss_db_prepare(db, "SELECT count(*), total(length(CAST(id AS "
	    "BLOB))) FROM examples WHERE dataset = ?1 AND split = 'train'",
	    err)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, dataset, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		db_err(db, err);
		goto out;
	}
	cap = (size_t)sqlite3_column_int64(st, 0);
	bytes = (size_t)sqlite3_column_double(st, 1) + cap + 1;
	sqlite3_finalize(st);
	st = NULL;
	if (cap == 0) {
		dss_err_set(err, "no train examples of dataset '%s' in '%s'; run "
		    "dss-fetch and dss-store first", dataset, dbname(db));
		goto out;
	}
	e->n = cap;
	if ((idoff = malloc(cap * sizeof(*idoff))) == NULL ||
	    (e->ids = malloc(cap * sizeof(*e->ids))) == NULL ||
	    (strata && (e->stratum = malloc(cap * sizeof(*e->stratum))) ==
	    NULL) || dss_buf_grow(&e->arena, bytes) < 0) {
		dss_err_errno(err, ENOMEM, "reading %zu examples", cap);
		goto out;
	}
	dss_buf_adds(&sql, "SELECT id, idx");
	if (strata && field == NULL)
		dss_buf_adds(&sql, ", label, 'text'");
	else if (strata)
		dss_buf_addf(&sql, ", json_extract(record, '$.fields.%s'), "
		    "json_type(record, '$.fields.%s')", field, field);
	if (dss_buf_adds(&sql, " FROM examples WHERE dataset = ?1 AND "
	    "split = 'train' ORDER BY idx, id") < 0) {
		dss_err_errno(err, ENOMEM, "reading examples");
		goto out;
	}
	if ((st = dss_db_prepare(db, sql.data, err)) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, dataset, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && i < cap)
		if (read_row(st, strata, field, e, i++, idoff, &t, err) < 0)
			goto out;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_err(db, err);
		goto out;
	}
	e->n = i;
	if (e->gap == (size_t)-1)
		e->gap = e->n;
	for (i = 0; i < e->n; i++)
		e->ids[i] = e->arena.data + idoff[i];
	if (strata && number_strata(e, &t, err) < 0)
		goto out;
	r = 0;
out:
	sqlite3_finalize(st);
	dss_buf_free(&sql);
	free(idoff);
	strata_free(&t);
	if (r < 0)
		examples_free(e);
	return r;
}

/* Storing subsets. */

enum {
	SEL_SUBSET, SEL_MEMBERS, INS_SUBSET, UPD_SUBSET, DEL_SUBSET,
	DEL_MEMBERS, INS_MEMBERS, SAME_IDS, NSTMT
};

static const char *const stmt_sql[NSTMT] = {
	[SEL_SUBSET] = "SELECT split, kind, role, seed, fraction, size, params "
	    "FROM subsets WHERE dataset = ?1 AND name = ?2",
	[SEL_MEMBERS] = "SELECT chunk, ids FROM subset_chunks WHERE dataset = ?1 "
	    "AND name = ?2 ORDER BY chunk",
	[INS_SUBSET] = "INSERT INTO subsets (dataset, name, split, kind, role, "
	    "seed, fraction, size, params) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	    "?8, ?9)",
	[UPD_SUBSET] = "UPDATE subsets SET split = ?3, kind = ?4, role = ?5, "
	    "seed = ?6, fraction = ?7, size = ?8, params = ?9 WHERE dataset = ?1 "
	    "AND name = ?2",
	[DEL_SUBSET] = "DELETE FROM subsets WHERE dataset = ?1 AND name = ?2",
	[DEL_MEMBERS] = "DELETE FROM subset_chunks WHERE dataset = ?1 AND "
	    "name = ?2",
	[INS_MEMBERS] = "INSERT INTO subset_chunks (dataset, name, chunk, ids) "
	    "VALUES (?1, ?2, ?4, ?3)",
	/* The same ids in the same order, whatever their JSON escapes. */
	[SAME_IDS] = "SELECT json_array_length(?1) = json_array_length(?2) AND "
	    "NOT EXISTS (SELECT 1 FROM json_each(?1) a LEFT JOIN json_each(?2) b "
	    "ON b.key = a.key WHERE b.value IS NOT a.value)",
};

/* One subset to store: its row of subsets, and its members. */
struct subset {
	const char *dataset;
	char name[128];
	const char *kind, *role;
	uint64_t seed;
	double fraction;	/* negative for a validation set */
	char params[512];
	const size_t *rows;	/* indices into the examples, in order */
	size_t n;
};

struct writer {
	sqlite3 *db;
	sqlite3_stmt *st[NSTMT];
	const struct examples *e;
	int replace;
	struct dss_sample_counts *c;
	struct dss_buf json;	/* a chunk of members as a JSON array */
	/*
	 * The nested fractions are prefixes of one order: its ids quoted,
	 * each followed by a comma, in that order, once (qtext), and where
	 * each begins (qoff, n + 1 of them), so that a chunk of any fraction
	 * is one copy rather than 4,096 reads about memory.
	 */
	const size_t *qrows;
	size_t qn;
	struct dss_buf qtext;
	size_t *qoff;
};

static int
run_stmt(struct writer *w, int which, struct dss_err *err)
{
	int rc = sqlite3_step(w->st[which]);

	sqlite3_reset(w->st[which]);
	if (rc != SQLITE_DONE)
		return db_err(w->db, err);
	return 0;
}

static void
bind_key(struct writer *w, int which, const struct subset *s)
{
	sqlite3_bind_text(w->st[which], 1, s->dataset, -1, SQLITE_STATIC);
	sqlite3_bind_text(w->st[which], 2, s->name, -1, SQLITE_STATIC);
}

static void
bind_row(struct writer *w, int which, const struct subset *s)
{
	sqlite3_stmt *st = w->st[which];

	bind_key(w, which, s);
	sqlite3_bind_text(st, 3, "train", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, s->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, s->role, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)s->seed);
	if (s->fraction < 0)
		sqlite3_bind_null(st, 7);
	else
		sqlite3_bind_double(st, 7, s->fraction);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)s->n);
	sqlite3_bind_text(st, 9, s->params, -1, SQLITE_STATIC);
}

static int
col_is(sqlite3_stmt *st, int col, const char *want)
{
	const char *v = (const char *)sqlite3_column_text(st, col);

	return v != NULL && strcmp(v, want) == 0;
}

/*
 * The JSON array of the ids of s at positions from to from + CHUNK - 1
 * (schemas/migrate-006.sql), into b.  Returns 0, or -1 out of memory.
 */
static int
chunk_json(const struct writer *w, const struct subset *s, size_t from,
    struct dss_buf *b)
{
	size_t i, to = s->n - from < DSS_SAMPLE_CHUNK ? s->n : from +
	    DSS_SAMPLE_CHUNK;
	int r;

	dss_buf_reset(b);
	r = dss_buf_addch(b, '[');
	if (w->qrows != NULL && s->rows == w->qrows && s->n <= w->qn) {
		/* the quoted ids of the order, without the last comma */
		r |= dss_buf_add(b, w->qtext.data + w->qoff[from],
		    w->qoff[to] - w->qoff[from] - 1);
		return r | dss_buf_addch(b, ']');
	}
	for (i = from; i < to; i++) {
		const char *id = w->e->ids[s->rows[i]];

		if (i > from)
			r |= dss_buf_addch_fast(b, ',');
		r |= dss_jscan_quote(b, id, strlen(id));
	}
	return r | dss_buf_addch(b, ']');
}

/*
 * Whether the chunk in column 1 of st holds the ids of w->json: 1 or 0,
 * -1 on error.  The same bytes mostly; else (a chunk SQL wrote with other
 * escapes) the ids one by one.
 */
static int
same_chunk(struct writer *w, sqlite3_stmt *st, struct dss_err *err)
{
	const char *v = (const char *)sqlite3_column_text(st, 1);
	size_t n = (size_t)sqlite3_column_bytes(st, 1);
	sqlite3_stmt *q = w->st[SAME_IDS];
	int rc, same;

	if (v == NULL)
		return 0;
	if (n == w->json.len && memcmp(v, w->json.data, n) == 0)
		return 1;
	sqlite3_bind_text(q, 1, v, (int)n, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, w->json.data, (int)w->json.len, SQLITE_STATIC);
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		sqlite3_reset(q);
		return db_err(w->db, err);
	}
	same = sqlite3_column_int(q, 0) == 1;
	sqlite3_reset(q);
	return same;
}

/* Whether the stored chunks of s hold its members: 1 or 0, -1 on error. */
static int
same_members(struct writer *w, const struct subset *s, struct dss_err *err)
{
	sqlite3_stmt *st = w->st[SEL_MEMBERS];
	size_t i = 0;
	int rc, same = 1;

	bind_key(w, SEL_MEMBERS, s);
	while (same == 1 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (i * DSS_SAMPLE_CHUNK >= s->n ||
		    sqlite3_column_int64(st, 0) != (sqlite3_int64)i)
			same = 0;
		else if (chunk_json(w, s, i * DSS_SAMPLE_CHUNK, &w->json) < 0)
			same = dss_err_errno(err, ENOMEM, "subset '%s'", s->name);
		else
			same = same_chunk(w, st, err);
		i++;
	}
	if (same == 1 && rc != SQLITE_DONE)
		same = db_err(w->db, err);
	else if (same == 1 && i * DSS_SAMPLE_CHUNK < s->n)
		same = 0;	/* fewer chunks stored */
	sqlite3_reset(st);
	return same;
}

/*
 * Looks the subset up: 0 when absent, 1 when stored with these members
 * and this row, 2 with these members and another row, 3 with other
 * members; -1 on error.
 */
static int
compare_stored(struct writer *w, const struct subset *s, struct dss_err *err)
{
	sqlite3_stmt *st = w->st[SEL_SUBSET];
	int rc, same_row, same;

	bind_key(w, SEL_SUBSET, s);
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		sqlite3_reset(st);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return db_err(w->db, err);
	}
	same_row = col_is(st, 0, "train") && col_is(st, 1, s->kind) &&
	    col_is(st, 2, s->role) &&
	    sqlite3_column_int64(st, 3) == (sqlite3_int64)s->seed &&
	    (s->fraction < 0 ? sqlite3_column_type(st, 4) == SQLITE_NULL :
	    sqlite3_column_type(st, 4) == SQLITE_FLOAT &&
	    sqlite3_column_double(st, 4) == s->fraction) &&
	    sqlite3_column_int64(st, 5) == (sqlite3_int64)s->n &&
	    col_is(st, 6, s->params);
	sqlite3_reset(st);

	if ((same = same_members(w, s, err)) < 0)
		return -1;
	return same ? (same_row ? 1 : 2) : 3;
}

/*
 * Whether the rows of s are distinct: a subset holds an example once,
 * which no index of the database checks (migrate-002.sql), the ids being
 * the primary key of examples.  Returns 0, or -1 with err set.
 */
static int
distinct_rows(const struct writer *w, const struct subset *s,
    struct dss_err *err)
{
	unsigned char *seen = calloc(w->e->n / 8 + 1, 1);
	size_t i, r;
	int ret = 0;

	if (seen == NULL)
		return dss_err_errno(err, ENOMEM, "subset '%s'", s->name);
	for (i = 0; i < s->n && ret == 0; i++) {
		r = s->rows[i];
		if (r >= w->e->n || (seen[r / 8] & (1u << (r % 8))) != 0)
			ret = dss_err_set(err, "subset '%s' would hold example "
			    "'%s' twice", s->name, r < w->e->n ? w->e->ids[r] : "?");
		else
			seen[r / 8] |= (unsigned char)(1u << (r % 8));
	}
	free(seen);
	return ret;
}

static int
insert_members(struct writer *w, const struct subset *s, struct dss_err *err)
{
	sqlite3_stmt *st = w->st[INS_MEMBERS];
	size_t from;

	if (distinct_rows(w, s, err) < 0)
		return -1;
	bind_key(w, INS_MEMBERS, s);
	for (from = 0; from < s->n; from += DSS_SAMPLE_CHUNK) {
		if (chunk_json(w, s, from, &w->json) < 0)
			return dss_err_errno(err, ENOMEM, "subset '%s'", s->name);
		sqlite3_bind_text(st, 3, w->json.data, (int)w->json.len,
		    SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)(from / DSS_SAMPLE_CHUNK));
		if (run_stmt(w, INS_MEMBERS, err) < 0)
			return -1;
	}
	return 0;
}

static int
put_subset(struct writer *w, const struct subset *s, struct dss_err *err)
{
	switch (compare_stored(w, s, err)) {
	case 0:
		bind_row(w, INS_SUBSET, s);
		if (run_stmt(w, INS_SUBSET, err) < 0 ||
		    insert_members(w, s, err) < 0)
			return -1;
		w->c->created++;
		return 0;
	case 1:
		w->c->unchanged++;
		return 0;
	case 2:
		bind_row(w, UPD_SUBSET, s);
		if (run_stmt(w, UPD_SUBSET, err) < 0)
			return -1;
		w->c->updated++;
		return 0;
	case 3:
		if (!w->replace) {
			dss_err_set(err, "subset '%s' of dataset '%s' is stored "
			    "with other members", s->name, s->dataset);
			err->code = DSS_SAMPLE_ECONFLICT;
			return -1;
		}
		bind_key(w, DEL_MEMBERS, s);
		bind_key(w, DEL_SUBSET, s);
		bind_row(w, INS_SUBSET, s);
		if (run_stmt(w, DEL_MEMBERS, err) < 0 ||
		    run_stmt(w, DEL_SUBSET, err) < 0 ||
		    run_stmt(w, INS_SUBSET, err) < 0 ||
		    insert_members(w, s, err) < 0)
			return -1;
		w->c->replaced++;
		return 0;
	default:
		return -1;
	}
}

/* Subsets of each kind. */

static const char *
kind_name(enum dss_sample_kind k)
{
	switch (k) {
	case DSS_SAMPLE_NESTED:
		return "nested";
	case DSS_SAMPLE_STRATIFIED:
		return "nested-strat";
	case DSS_SAMPLE_OFFICIAL:
		return "official";
	}
	return "?";
}

/* Writes "null" or the shortest form of x. */
static void
json_fraction(char *buf, double x)
{
	if (x > 0)
		dss_sample_fraction_name(x, buf);
	else
		strcpy(buf, "null");
}

/* Fills the name and params of s for fraction f (negative: valid). */
static void
describe(struct subset *s, const struct dss_sample_opts *o, size_t n, double f)
{
	char fr[DSS_SAMPLE_FRACTION_LEN], va[DSS_SAMPLE_FRACTION_LEN];
	char ov[DSS_SAMPLE_FRACTION_LEN], strat[160];
	unsigned long long seed = (unsigned long long)o->seed;

	json_fraction(fr, f);
	json_fraction(va, o->kind == DSS_SAMPLE_OFFICIAL ? 0 : o->valid);
	json_fraction(ov, o->kind == DSS_SAMPLE_OFFICIAL ? o->official_valid : 0);
	if (o->kind != DSS_SAMPLE_STRATIFIED)
		strcpy(strat, "null");
	else if (o->stratify == NULL)
		strcpy(strat, "\"label\"");
	else
		snprintf(strat, sizeof(strat), "\"fields.%.100s\"", o->stratify);
	s->dataset = o->dataset;
	s->kind = kind_name(o->kind);
	s->seed = o->seed;
	s->fraction = f;
	s->role = "train";
	if (o->kind == DSS_SAMPLE_OFFICIAL) {
		/* The validation cut of fraction f: f's name, then "-valid". */
		dss_sample_fraction_name(fabs(f), fr);
		snprintf(s->name, sizeof(s->name), "official-r%llu-%s%s", seed,
		    fr, f < 0 ? "-valid" : "");
		if (f < 0) {
			s->role = "valid";
			s->fraction = -1;
		}
		json_fraction(fr, fabs(f));
	} else if (f < 0) {
		snprintf(s->name, sizeof(s->name), "%s-s%llu-valid", s->kind, seed);
		s->role = "valid";
		s->fraction = -1;
	} else {
		snprintf(s->name, sizeof(s->name), "%s-s%llu-%s", s->kind, seed, fr);
	}
	snprintf(s->params, sizeof(s->params), "{\"kind\":\"%s\",\"seed\":%llu,"
	    "\"fraction\":%s,\"valid\":%s,\"stratify\":%s,\"official_valid\":%s,"
	    "\"train_examples\":%zu}", s->kind, seed, fr, va, strat, ov, n);
}

static int
empty_err(double f, size_t n, struct dss_err *err)
{
	char name[DSS_SAMPLE_FRACTION_LEN];

	dss_sample_fraction_name(f, name);
	return dss_err_set(err, "fraction %s of %zu examples is empty", name, n);
}

/*
 * Without a validation set, a stored one of the same kind and seed would
 * overlap the new fractions: it is an error, or with replace removed.
 */
static int
drop_stale_valid(struct writer *w, const struct dss_sample_opts *o,
    struct dss_err *err)
{
	struct subset s;

	memset(&s, 0, sizeof(s));
	describe(&s, o, w->e->n, -1);
	switch (compare_stored(w, &s, err)) {
	case 0:
		return 0;
	case -1:
		return -1;
	}
	if (!w->replace) {
		dss_err_set(err, "validation set '%s' of dataset '%s' is stored "
		    "and would overlap these fractions", s.name, s.dataset);
		err->code = DSS_SAMPLE_ECONFLICT;
		return -1;
	}
	bind_key(w, DEL_MEMBERS, &s);
	bind_key(w, DEL_SUBSET, &s);
	if (run_stmt(w, DEL_MEMBERS, err) < 0 || run_stmt(w, DEL_SUBSET, err) < 0)
		return -1;
	w->c->replaced++;
	return 0;
}

#define QUOTE_AHEAD 8

/* Quotes the ids of rows (n) once, for chunk_json (see struct writer). */
static int
quote_order(struct writer *w, const size_t *rows, size_t n,
    struct dss_err *err)
{
	size_t i;
	int r = 0;

	if ((w->qoff = malloc((n + 1) * sizeof(*w->qoff))) == NULL)
		return dss_err_errno(err, ENOMEM, "ordering %zu examples", n);
	for (i = 0; i < n && r == 0; i++) {
		const char *id = w->e->ids[rows[i]];

		/* the ids lie in the order they were read: fetch ahead */
		if (i + QUOTE_AHEAD < n)
			__builtin_prefetch(w->e->ids[rows[i + QUOTE_AHEAD]]);
		w->qoff[i] = w->qtext.len;
		r = dss_jscan_quote(&w->qtext, id, strlen(id)) |
		    dss_buf_addch(&w->qtext, ',');
	}
	if (r < 0)
		return dss_err_errno(err, ENOMEM, "ordering %zu examples", n);
	w->qoff[n] = w->qtext.len;
	w->qrows = rows;
	w->qn = n;
	return 0;
}

/*
 * Nested and stratified: the validation set (when asked) is the first
 * ntest(n, valid) of the order, and each fraction a prefix of the rest,
 * itself interleaved again over its own strata when stratified.
 */
static int
make_nested(struct writer *w, const struct dss_sample_opts *o,
    struct dss_err *err)
{
	const struct examples *e = w->e;
	size_t *order = NULL, *inter = NULL, *train;
	size_t nv = 0, nrest, i, k;
	char *invalid = NULL;
	struct subset s;
	int strat = o->kind == DSS_SAMPLE_STRATIFIED, r = -1;

	order = malloc(e->n * sizeof(*order));
	if (strat)
		inter = malloc(e->n * sizeof(*inter));
	if (order == NULL || (strat && inter == NULL)) {
		dss_err_errno(err, ENOMEM, "ordering %zu examples", e->n);
		goto out;
	}
	if (dss_sample_rank(o->seed, e->ids, e->n, order, err) < 0)
		goto out;
	if (strat && dss_sample_interleave(order, e->stratum, e->nstrata, e->n,
	    inter, err) < 0)
		goto out;
	train = strat ? inter : order;
	nrest = e->n;
	if (o->valid == 0 && drop_stale_valid(w, o, err) < 0)
		goto out;
	if (o->valid > 0) {
		nv = dss_sample_ntest(e->n, o->valid);
		if (nv >= e->n) {
			char name[DSS_SAMPLE_FRACTION_LEN];

			dss_sample_fraction_name(o->valid, name);
			dss_err_set(err, "a validation set of %s of %zu examples "
			    "leaves none to train on", name, e->n);
			goto out;
		}
		memset(&s, 0, sizeof(s));
		describe(&s, o, e->n, -1);
		s.rows = train;
		s.n = nv;
		if (put_subset(w, &s, err) < 0)
			goto out;
		nrest = e->n - nv;
		if (strat) {
			if ((invalid = calloc(e->n, 1)) == NULL) {
				dss_err_errno(err, ENOMEM, "ordering");
				goto out;
			}
			for (i = 0; i < nv; i++)
				invalid[inter[i]] = 1;
			for (i = k = 0; i < e->n; i++)
				if (!invalid[order[i]])
					order[k++] = order[i];
			/* The validation rows stay at the front of inter. */
			if (dss_sample_interleave(order, e->stratum, e->nstrata,
			    nrest, inter + nv, err) < 0)
				goto out;
		}
		train += nv;
	}
	if (quote_order(w, train, nrest, err) < 0)
		goto out;
	for (i = 0; i < o->nfractions; i++) {
		memset(&s, 0, sizeof(s));
		describe(&s, o, e->n, o->fractions[i]);
		s.rows = train;
		s.n = dss_sample_size(nrest, o->fractions[i]);
		if (s.n == 0) {
			empty_err(o->fractions[i], nrest, err);
			goto out;
		}
		if (put_subset(w, &s, err) < 0)
			goto out;
	}
	r = 0;
out:
	free(order);
	free(inter);
	free(invalid);
	return r;
}

static int
make_official(struct writer *w, const struct dss_sample_opts *o,
    struct dss_err *err)
{
	const struct examples *e = w->e;
	size_t *rows, ntrain, nvalid, i;
	struct subset s;
	int r = -1;

	if (e->gap < e->n)
		return dss_err_set(err, "the train examples of dataset '%s' are "
		    "not the whole split in its official order (example '%s' has "
		    "index %lld, not %zu); --official needs indices 0 to %zu",
		    o->dataset, e->ids[e->gap], e->gap_idx, e->gap, e->n - 1);
	if ((rows = malloc(e->n * sizeof(*rows))) == NULL)
		return dss_err_errno(err, ENOMEM, "ordering %zu examples", e->n);
	for (i = 0; i < o->nfractions; i++) {
		if (dss_sample_official(o->seed, e->n, o->fractions[i],
		    o->official_valid, rows, &ntrain, &nvalid, err) < 0)
			goto out;
		memset(&s, 0, sizeof(s));
		describe(&s, o, e->n, o->fractions[i]);
		s.rows = rows;
		s.n = ntrain;
		if (put_subset(w, &s, err) < 0)
			goto out;
		if (nvalid > 0) {
			describe(&s, o, e->n, -o->fractions[i]);
			s.rows = rows + ntrain;
			s.n = nvalid;
			if (put_subset(w, &s, err) < 0)
				goto out;
		}
	}
	r = 0;
out:
	free(rows);
	return r;
}

int
dss_sample_run(sqlite3 *db, const struct dss_sample_opts *o,
    struct dss_sample_counts *c, struct dss_err *err)
{
	struct examples e;
	struct writer w;
	int i, loaded = 0, r = -1;

	memset(c, 0, sizeof(*c));
	memset(&w, 0, sizeof(w));
	w.json = w.qtext = (struct dss_buf)DSS_BUF_INIT;
	w.db = db;
	w.e = &e;
	w.replace = o->replace;
	w.c = c;
	/*
	 * Members go in chunks of 4,096 ids (schemas/migrate-006.sql), in
	 * order: a 4 MiB page cache does, and keeps the memory of a run of
	 * e-SNLI (549,367 examples) to its ids and their orders.
	 */
	if (dss_db_exec(db, "PRAGMA cache_size = -4096", err) < 0)
		goto out;
	for (i = 0; i < NSTMT; i++)
		if ((w.st[i] = dss_db_prepare(db, stmt_sql[i], err)) == NULL)
			goto out;
	if (dss_db_begin(db, err) < 0)
		goto out;
	if (load_examples(db, o->dataset, o->kind == DSS_SAMPLE_STRATIFIED,
	    o->stratify, &e, err) < 0)
		goto out;
	loaded = 1;
	c->examples = e.n;
	if ((o->kind == DSS_SAMPLE_OFFICIAL ? make_official(&w, o, err) :
	    make_nested(&w, o, err)) < 0 || dss_db_commit(db, err) < 0)
		goto out;
	r = 0;
out:
	if (r < 0) {
		dss_db_rollback(db);
		memset(c, 0, sizeof(*c));
	}
	if (loaded)
		examples_free(&e);
	for (i = 0; i < NSTMT; i++)
		sqlite3_finalize(w.st[i]);
	dss_buf_free(&w.json);
	dss_buf_free(&w.qtext);
	free(w.qoff);
	return r;
}

/* Listing and showing. */

int
dss_sample_list(sqlite3 *db, const char *dataset,
    int (*fn)(void *arg, const struct dss_subset_info *s), void *arg,
    struct dss_err *err)
{
	sqlite3_stmt *st;
	struct dss_subset_info s;
	int rc, r = 0;

	if ((st = dss_db_prepare(db, "SELECT dataset, name, split, kind, role, "
	    "seed, fraction, size FROM subsets WHERE ?1 IS NULL OR dataset = ?1 "
	    "ORDER BY dataset, kind, seed, role, fraction, name", err)) == NULL)
		return -1;
	if (dataset != NULL)
		sqlite3_bind_text(st, 1, dataset, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s.dataset = (const char *)sqlite3_column_text(st, 0);
		s.name = (const char *)sqlite3_column_text(st, 1);
		s.split = (const char *)sqlite3_column_text(st, 2);
		s.kind = (const char *)sqlite3_column_text(st, 3);
		s.role = (const char *)sqlite3_column_text(st, 4);
		s.seed = sqlite3_column_int64(st, 5);
		s.fraction = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 :
		    sqlite3_column_double(st, 6);
		s.size = sqlite3_column_int64(st, 7);
		if ((r = fn(arg, &s)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = db_err(db, err);
	sqlite3_finalize(st);
	return r;
}

int
dss_sample_show(sqlite3 *db, const char *dataset, const char *name,
    int (*fn)(void *arg, const char *id), void *arg, struct dss_err *err)
{
	sqlite3_stmt *st;
	int rc, r = 0;

	/* Opened read-only, it may predate subset_chunks. */
	if (dss_db_current(db, dbname(db), err) < 0)
		return -1;
	if ((st = dss_db_prepare(db, "SELECT count(*) FROM subsets WHERE "
	    "dataset = ?1 AND name = ?2", err)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, dataset, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		r = db_err(db, err);
	else if (sqlite3_column_int64(st, 0) == 0) {
		dss_err_set(err, "no subset '%s' of dataset '%s' in '%s'", name,
		    dataset, dbname(db));
		err->code = DSS_SAMPLE_ENOSUBSET;
		r = -1;
	}
	sqlite3_finalize(st);
	if (r < 0)
		return -1;
	/* json_each gives a chunk's ids in their order. */
	if ((st = dss_db_prepare(db, "SELECT j.value FROM subset_chunks c, "
	    "json_each(c.ids) j WHERE c.dataset = ?1 AND c.name = ?2 ORDER BY "
	    "c.chunk", err)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, dataset, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((r = fn(arg, (const char *)sqlite3_column_text(st, 0))) != 0)
			break;
	if (r == 0 && rc != SQLITE_DONE)
		r = db_err(db, err);
	sqlite3_finalize(st);
	return r;
}
