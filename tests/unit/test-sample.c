/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for lib/sample: the size arithmetic (IEEE double, as the
 * official code), fraction names and lists, the official subsets against
 * FACTS.md's cqa rows, the stratified interleaving's quota property over
 * many random strata, and, on databases, the properties of nested and
 * stratified subsets over many seeds: sizes, nesting, each stratum's
 * share within one example, determinism, stability when examples are
 * added, idempotence, conflicts and --replace, and the error messages.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/db.h"
#include "../../lib/pcg64.h"
#include "../../lib/sample.h"
#include "../../lib/sha256.h"
#include "tap.h"

static const double five[5] = { 0.125, 0.25, 0.5, 0.75, 1 };
static const char *const five_names[5] = { "0.125", "0.25", "0.5", "0.75", "1" };

static void
test_sizes(void)
{
	static const size_t cqa[5] = { 1217, 2435, 4870, 7305, 9741 };
	int i, good = 1;

	for (i = 0; i < 5; i++)
		if (dss_sample_size(9741, five[i]) != cqa[i])
			good = 0;
	ok(good, "cqa's 9741 examples give 1217, 2435, 4870, 7305, 9741");
	/* 1.0 - 0.7 is 0.30000000000000004, times 10 rounds up to 4. */
	is_int((long long)dss_sample_size(10, 0.7), 6,
	    "size is n - ceil((1 - f) * n) in doubles: 0.7 of 10 is 6");
	is_int((long long)dss_sample_size(1, 0.5), 0, "half of one is none");
	is_int((long long)dss_sample_size(800, 1), 800, "all of 800 is 800");
	is_int((long long)dss_sample_ntest(1217, 0.1), 122,
	    "the validation cut of 1217 is 122");
	is_int((long long)dss_sample_ntest(549367, 0.875), 480697,
	    "0.875 of 549367 rounds up");
}

static void
test_names(void)
{
	char b[DSS_SAMPLE_FRACTION_LEN];
	int i, good = 1;

	for (i = 0; i < 5; i++) {
		dss_sample_fraction_name(five[i], b);
		if (strcmp(b, five_names[i]) != 0)
			good = 0;
	}
	ok(good, "the five fractions are named 0.125 0.25 0.5 0.75 1");
	dss_sample_fraction_name(0.1, b);
	is_str(b, "0.1", "0.1 is named 0.1");
	dss_sample_fraction_name(1.0 / 3, b);
	is_str(b, "0.3333333333333333", "a third is named by its shortest round trip");
	ok(strtod(b, NULL) == 1.0 / 3, "... which reads back as the same double");
}

static void
test_parse(void)
{
	static const struct {
		const char *list, *msg;
	} bad[] = {
		{ "", "a fraction is empty" },
		{ "0.5,", "a fraction is empty" },
		{ ",0.5", "a fraction is empty" },
		{ "0", "'0' is not in (0, 1]" },
		{ "1.5", "'1.5' is not in (0, 1]" },
		{ "1.0000001", "'1.0000001' is not in (0, 1]" },
		{ "-0.5", "'-0.5' is not a decimal number" },
		{ "1e-3", "'1e-3' is not a decimal number" },
		{ "half", "'half' is not a decimal number" },
		{ "0.5.5", "'0.5.5' is not a decimal number" },
		{ ".", "'.' is not a decimal number" },
		{ " 0.5", "' 0.5' is not a decimal number" },
		{ "0.5,0.25,0.50", "0.5 appears twice" },
	};
	struct dss_err err = DSS_ERR_INIT;
	double f[DSS_SAMPLE_MAXFRACTIONS];
	char many[1024] = "0.001";
	size_t n, i;
	int good = 1;

	ok(dss_sample_parse_fractions("1,0.5,.25", f, &n, &err) == 0 && n == 3 &&
	    f[0] == 0.25 && f[1] == 0.5 && f[2] == 1,
	    "an unsorted list is sorted");
	ok(dss_sample_parse_fractions("0.125,0.25,0.5,0.75,1", f, &n, &err) == 0 &&
	    n == 5, "the default list parses");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (dss_sample_parse_fractions(bad[i].list, f, &n, &err) != -1 ||
		    strcmp(err.msg, bad[i].msg) != 0 ||
		    err.code != DSS_SAMPLE_EUSAGE) {
			good = 0;
			printf("# '%s': got '%s'\n", bad[i].list, err.msg);
		}
	}
	ok(good, "bad lists are refused with their reason");
	for (i = 2; i <= DSS_SAMPLE_MAXFRACTIONS + 1; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
		    ",0.%03zu", i);
	ok(dss_sample_parse_fractions(many, f, &n, &err) == -1 &&
	    strcmp(err.msg, "more than 64 fractions") == 0,
	    "at most 64 fractions");
	ok(dss_sample_parse_fractions("0.5", f, &n, NULL) == 0,
	    "parsing needs no error struct");
	ok(dss_sample_parse_fractions("2", f, &n, NULL) == -1,
	    "... and fails without one");
}

/* A small generator for the property tests (SplitMix64). */
static uint64_t rng_state;

static uint64_t
rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
test_interleave(void)
{
	size_t order[3000], stratum[3000], out[3000], cnt[64],
	    total[64], n, ns, i, k, l, last[64];
	int t, within = 1, perm = 1, stable = 1;
	struct dss_err err = DSS_ERR_INIT;

	rng_state = 42;
	for (t = 0; t < 400; t++) {
		ns = 1 + rnd() % (t % 4 == 0 ? 40 : 6);
		n = 1 + rnd() % 3000;
		memset(total, 0, sizeof(total));
		for (i = 0; i < n; i++) {
			/* Uneven shares: low strata are more likely. */
			l = rnd() % ns;
			stratum[i] = rnd() % 2 ? l : l / 2;
			total[stratum[i]]++;
			order[i] = i;
		}
		for (i = n; i-- > 1;) {
			k = rnd() % (i + 1);
			l = order[i];
			order[i] = order[k];
			order[k] = l;
		}
		if (dss_sample_interleave(order, stratum, ns, n, out, &err) < 0) {
			ok(0, "interleave %s", err.msg);
			return;
		}
		memset(cnt, 0, sizeof(cnt));
		for (l = 0; l < ns; l++)
			last[l] = (size_t)-1;
		for (k = 1; k <= n; k++) {
			size_t x = out[k - 1];

			cnt[stratum[x]]++;
			for (l = 0; l < ns; l++)
				if (cnt[l] * n + n <= k * total[l] ||
				    cnt[l] * n >= k * total[l] + n)
					within = 0;
		}
		/* Each stratum keeps the relative order of order[]. */
		{
			size_t *pos = calloc(n, sizeof(*pos));

			for (i = 0; pos != NULL && i < n; i++)
				pos[order[i]] = i;
			for (k = 0; pos != NULL && k < n; k++) {
				l = stratum[out[k]];
				if (last[l] != (size_t)-1 && pos[out[k]] < last[l])
					stable = 0;
				last[l] = pos[out[k]];
			}
			for (i = 0; pos != NULL && i < n; i++)
				pos[i] = 0;
			for (k = 0; pos != NULL && k < n; k++)
				if (out[k] >= n || pos[out[k]]++)
					perm = 0;
			free(pos);
		}
	}
	ok(within, "every prefix of 400 random interleavings holds each "
	    "stratum's share within one");
	ok(perm, "every interleaving is a permutation");
	ok(stable, "members of a stratum keep their order");
}

static int
is_perm(const size_t *p, size_t n)
{
	char seen[1024] = { 0 };
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] >= n || p[i] >= sizeof(seen) || seen[p[i]])
			return 0;
		seen[p[i]] = 1;
	}
	return 1;
}

static void
test_rank(void)
{
	const char *ids[300];
	char buf[300][32], in[64];
	unsigned char md[DSS_SHA256_LEN];
	uint64_t key, prev = 0;
	size_t o1[300], o2[300], o3[300], i;
	struct dss_err err = DSS_ERR_INIT;
	int sorted = 1, b;

	for (i = 0; i < 300; i++) {
		snprintf(buf[i], sizeof(buf[i]), "a-train-%06zu", i);
		ids[i] = buf[i];
	}
	ok(dss_sample_rank(0, ids, 300, o1, &err) == 0 &&
	    dss_sample_rank(0, ids, 300, o2, &err) == 0 &&
	    memcmp(o1, o2, sizeof(o1)) == 0, "the ranking is deterministic");
	ok(dss_sample_rank(1, ids, 300, o3, &err) == 0 &&
	    memcmp(o1, o3, sizeof(o1)) != 0, "another seed ranks otherwise");
	for (i = 0; i < 300; i++) {
		snprintf(in, sizeof(in), "0:%s", ids[o1[i]]);
		dss_sha256(in, strlen(in), md);
		for (key = 0, b = 0; b < 8; b++)
			key = key << 8 | md[b];
		if (i > 0 && key < prev)
			sorted = 0;
		prev = key;
	}
	ok(sorted, "ids are in increasing order of sha256(\"0:ID\")'s first "
	    "8 bytes");
	ok(is_perm(o1, 300), "the ranking is a permutation");
}

static void
test_official(void)
{
	size_t rows[9741], perm[9741], cut[1217], ntrain, nvalid, i;
	struct dss_err err = DSS_ERR_INIT;
	int good;

	ok(dss_sample_official(0, 9741, 0.125, 0, rows, &ntrain, &nvalid,
	    &err) == 0 && ntrain == 1217 && nvalid == 0 && rows[0] == 2242 &&
	    rows[1] == 6350 && rows[7] == 3329,
	    "cqa at 0.125, run 0: 1217 rows from 2242 6350 ... 3329");
	ok(dss_sample_official(0, 9741, 0.125, 0.1, rows, &ntrain, &nvalid,
	    &err) == 0 && ntrain == 1095 && nvalid == 122,
	    "the 10%% cut of 1217 leaves 1095 and 122");
	dss_pcg64_permutation(0, perm, 9741);
	dss_pcg64_permutation(0, cut, 1217);
	good = 1;
	for (i = 0; i < 1095; i++)
		if (rows[i] != perm[8524 + cut[122 + i]])
			good = 0;
	for (i = 0; i < 122; i++)
		if (rows[1095 + i] != perm[8524 + cut[i]])
			good = 0;
	ok(good, "the cut takes the subset's rows in default_rng(0)'s order");
	ok(dss_sample_official(5, 800, 1, 0, rows, &ntrain, &nvalid, &err) == 0 &&
	    ntrain == 800 && rows[0] == 0 && rows[799] == 799,
	    "fraction 1 without a cut is every row in order");
	ok(dss_sample_official(5, 800, 1, 0.1, rows, &ntrain, &nvalid, &err) == 0 &&
	    ntrain == 720 && nvalid == 80, "fraction 1 still gets the cut");
	dss_pcg64_permutation(0, perm, 800);
	ok(rows[0] == perm[80] && rows[720] == perm[0],
	    "... of every row, with seed 0");
	ok(dss_sample_official(0, 1, 0.5, 0, rows, &ntrain, &nvalid, &err) == -1,
	    "a fraction leaving no rows fails");
	is_str(err.msg, "fraction 0.5 of 1 examples leaves the train set empty",
	    "... saying so");
	ok(dss_sample_official(0, 1, 1, 0.1, rows, &ntrain, &nvalid, &err) == -1,
	    "a cut leaving no rows fails");
	is_str(err.msg, "the validation cut of 0.1 of 1 examples leaves the "
	    "train set empty", "... saying so");
}

/* Databases. */

static sqlite3 *
memdb(void)
{
	struct dss_err err = DSS_ERR_INIT;
	sqlite3 *db = dss_db_open(":memory:", DSS_DB_CREATE, &err);

	if (db == NULL)
		printf("# %s\n", err.msg);
	return db;
}

/* Adds train examples first..first+n-1 of ds with labels from 0..nl-1. */
static void
add_examples(sqlite3 *db, const char *ds, size_t first, size_t n, int nl,
    int with_type)
{
	sqlite3_stmt *st;
	char id[64], label[16], rec[256];
	size_t i;
	int l;

	sqlite3_prepare_v2(db, "INSERT INTO examples (dataset, id, split, idx, "
	    "input, label, record) VALUES (?1, ?2, 'train', ?3, 'x', ?4, ?5)",
	    -1, &st, NULL);
	for (i = first; i < first + n; i++) {
		/* Uneven: label k has weight nl - k. */
		l = (int)(rnd() % (uint64_t)(nl * (nl + 1) / 2));
		for (int k = 0; k < nl; k++) {
			if (l < nl - k) {
				l = k;
				break;
			}
			l -= nl - k;
		}
		snprintf(id, sizeof(id), "%s-train-%06zu", ds, i);
		snprintf(label, sizeof(label), "label%d", l);
		if (with_type)
			snprintf(rec, sizeof(rec), "{\"fields\":{\"type\":\"t%d\"}}",
			    (int)(rnd() % 3));
		else
			snprintf(rec, sizeof(rec), "{\"fields\":{}}");
		sqlite3_bind_text(st, 1, ds, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)i);
		sqlite3_bind_text(st, 4, label, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 5, rec, -1, SQLITE_TRANSIENT);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
}

static long long
q_int(sqlite3 *db, const char *sql, const char *a, const char *b,
    const char *c)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		printf("# %s\n", sqlite3_errmsg(db));
		return -1;
	}
	if (a)
		sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	if (c)
		sqlite3_bind_text(st, 3, c, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static long long
size_of(sqlite3 *db, const char *ds, const char *name)
{
	return q_int(db, "SELECT count(*) FROM subset_members WHERE dataset = ?1 "
	    "AND name = ?2", ds, name, NULL);
}

/* Whether subset a is a prefix of subset b, position by position. */
static int
is_prefix(sqlite3 *db, const char *ds, const char *a, const char *b)
{
	return q_int(db, "SELECT count(*) FROM subset_members x JOIN "
	    "subset_members y ON y.dataset = x.dataset AND y.pos = x.pos AND "
	    "y.id = x.id WHERE x.dataset = ?1 AND x.name = ?2 AND y.name = ?3",
	    ds, a, b) == size_of(db, ds, a);
}

/*
 * Whether every stratum's count in subset name is within one of its
 * share of the subset, the shares being those of the examples not in
 * subset except (NULL: all).
 */
static int
within_one(sqlite3 *db, const char *ds, const char *name, const char *except,
    const char *stratum)
{
	char sql[1024];

	snprintf(sql, sizeof(sql),
	    "WITH pool AS (SELECT %s AS s FROM examples e WHERE e.dataset = ?1 "
	    "AND e.split = 'train' AND e.id NOT IN (SELECT id FROM subset_members "
	    "WHERE dataset = ?1 AND name = ?3)), "
	    "tot AS (SELECT s, count(*) AS c FROM pool GROUP BY s), "
	    "n AS (SELECT count(*) AS n FROM pool), "
	    "k AS (SELECT count(*) AS k FROM subset_members WHERE dataset = ?1 "
	    "AND name = ?2), "
	    "got AS (SELECT %s AS s, count(*) AS c FROM subset_members m JOIN "
	    "examples e ON e.dataset = m.dataset AND e.id = m.id WHERE "
	    "m.dataset = ?1 AND m.name = ?2 GROUP BY 1) "
	    "SELECT count(*) FROM tot LEFT JOIN got USING (s), n, k WHERE "
	    "abs(ifnull(got.c, 0) * n.n - k.k * tot.c) >= n.n",
	    stratum, stratum);
	return q_int(db, sql, ds, name, except ? except : "") == 0;
}

static int
run(sqlite3 *db, const char *ds, enum dss_sample_kind kind, uint64_t seed,
    double valid, int replace, struct dss_sample_counts *c,
    struct dss_err *err)
{
	struct dss_sample_opts o;

	memset(&o, 0, sizeof(o));
	o.dataset = ds;
	o.kind = kind;
	o.seed = seed;
	o.fractions = five;
	o.nfractions = 5;
	o.valid = valid;
	o.replace = replace;
	return dss_sample_run(db, &o, c, err);
}

static void
test_nested_props(void)
{
	struct dss_sample_counts c;
	struct dss_err err = DSS_ERR_INIT;
	char a[64], b[64];
	int seed, i, sizes = 1, nested = 1, again = 1, twin = 1, strat = 1;
	int svalid = 1, vsize = 1, distinct = 1;

	rng_state = 7;
	for (seed = 0; seed < 40; seed++) {
		sqlite3 *db = memdb(), *db2 = memdb();
		size_t n = 20 + rnd() % 700;
		int kind = seed % 2 ? DSS_SAMPLE_STRATIFIED : DSS_SAMPLE_NESTED;
		const char *pre = kind == DSS_SAMPLE_NESTED ? "nested" :
		    "nested-strat";
		double valid = seed % 4 >= 2 ? 0.1 + 0.05 * (seed % 3) : 0;
		size_t nrest = n - (valid > 0 ? dss_sample_ntest(n, valid) : 0);
		uint64_t state = rng_state;

		add_examples(db, "d", 0, n, 1 + seed % 5, 0);
		rng_state = state;
		add_examples(db2, "d", 0, n, 1 + seed % 5, 0);
		if (run(db, "d", kind, (uint64_t)seed, valid, 0, &c, &err) < 0 ||
		    run(db2, "d", kind, (uint64_t)seed, valid, 0, &c, &err) < 0) {
			ok(0, "sampling: %s", err.msg);
			return;
		}
		for (i = 0; i < 5; i++) {
			snprintf(a, sizeof(a), "%s-s%d-%s", pre, seed, five_names[i]);
			if (size_of(db, "d", a) != (long long)dss_sample_size(nrest,
			    five[i]))
				sizes = 0;
			if (i > 0) {
				snprintf(b, sizeof(b), "%s-s%d-%s", pre, seed,
				    five_names[i - 1]);
				if (!is_prefix(db, "d", b, a))
					nested = 0;
			}
			if (kind == DSS_SAMPLE_STRATIFIED && valid == 0 &&
			    !within_one(db, "d", a, NULL, "e.label"))
				strat = 0;
		}
		if (valid > 0) {
			snprintf(a, sizeof(a), "%s-s%d-valid", pre, seed);
			snprintf(b, sizeof(b), "%s-s%d-1", pre, seed);
			if (size_of(db, "d", a) != (long long)dss_sample_ntest(n,
			    valid) || q_int(db, "SELECT count(*) FROM subset_members "
			    "x JOIN subset_members y USING (dataset, id) WHERE "
			    "x.dataset = ?1 AND x.name = ?2 AND y.name = ?3", "d", a,
			    b) != 0)
				vsize = 0;
			if (kind == DSS_SAMPLE_STRATIFIED) {
				if (!within_one(db, "d", a, NULL, "e.label"))
					svalid = 0;
				/* Fractions keep the shares of what the valid set left. */
				for (i = 0; i < 5; i++) {
					snprintf(b, sizeof(b), "%s-s%d-%s", pre, seed,
					    five_names[i]);
					if (!within_one(db, "d", b, a, "e.label"))
						strat = 0;
				}
			}
		}
		/* Determinism: a second database made alike holds the same. */
		{
			sqlite3_stmt *x, *y;
			int same = 1;

			sqlite3_prepare_v2(db, "SELECT name, pos, id FROM "
			    "subset_members ORDER BY name, pos", -1, &x, NULL);
			sqlite3_prepare_v2(db2, "SELECT name, pos, id FROM "
			    "subset_members ORDER BY name, pos", -1, &y, NULL);
			for (;;) {
				int rx = sqlite3_step(x), ry = sqlite3_step(y);

				if (rx != ry) {
					same = 0;
					break;
				}
				if (rx != SQLITE_ROW)
					break;
				if (strcmp((const char *)sqlite3_column_text(x, 2),
				    (const char *)sqlite3_column_text(y, 2)) != 0 ||
				    sqlite3_column_int(x, 1) != sqlite3_column_int(y, 1))
					same = 0;
			}
			sqlite3_finalize(x);
			sqlite3_finalize(y);
			if (!same)
				twin = 0;
		}
		if (q_int(db, "SELECT count(*) FROM (SELECT 1 FROM subset_members "
		    "WHERE dataset = ?1 GROUP BY name, id HAVING count(*) > 1)",
		    "d", NULL, NULL) != 0)
			distinct = 0;
		if (run(db, "d", kind, (uint64_t)seed, valid, 0, &c, &err) < 0 ||
		    c.unchanged != 5 + (valid > 0) || c.created || c.replaced ||
		    c.updated)
			again = 0;
		dss_db_close(db);
		dss_db_close(db2);
	}
	ok(sizes, "40 seeds: every fraction has n - ceil((1 - f) n) of the rest");
	ok(nested, "40 seeds: each fraction is a prefix of the next");
	ok(twin, "40 seeds: a second database gets the same members in order");
	ok(distinct, "40 seeds: no subset holds an example twice");
	ok(again, "40 seeds: a second run changes nothing");
	ok(strat, "20 seeds: every stratified fraction holds each label's share "
	    "within one");
	ok(vsize, "the validation set has ceil(F n) examples, none in train");
	ok(svalid, "a stratified validation set holds each label's share within one");
}

static void
test_stability(void)
{
	struct dss_sample_counts c;
	struct dss_err err = DSS_ERR_INIT;
	int seed, i, prefix = 1, moved = 1, sprefix = 1, types = 1;

	rng_state = 99;
	for (seed = 0; seed < 20; seed++) {
		sqlite3 *db = memdb();
		size_t n = 100 + rnd() % 400, m = 1 + rnd() % 60;
		char name[64];
		struct dss_sample_opts o;

		memset(&o, 0, sizeof(o));
		add_examples(db, "d", 0, n, 3, 1);
		run(db, "d", DSS_SAMPLE_NESTED, (uint64_t)seed, 0, 0, &c, &err);
		o.dataset = "d";
		o.kind = DSS_SAMPLE_STRATIFIED;
		o.seed = (uint64_t)seed;
		o.fractions = five;
		o.nfractions = 5;
		o.stratify = "type";
		dss_sample_run(db, &o, &c, &err);
		for (i = 0; i < 5; i++) {
			snprintf(name, sizeof(name), "nested-strat-s%d-%s", seed,
			    five_names[i]);
			if (!within_one(db, "d", name, NULL,
			    "json_extract(e.record, '$.fields.type')"))
				types = 0;
		}
		sqlite3_exec(db, "CREATE TABLE old AS SELECT * FROM subset_members",
		    NULL, NULL, NULL);
		add_examples(db, "d", n, m, 3, 1);
		if (run(db, "d", DSS_SAMPLE_NESTED, (uint64_t)seed, 0, 1, &c,
		    &err) < 0 || c.replaced == 0) {
			ok(0, "resampling after adding examples: %s", err.msg);
			return;
		}
		o.replace = 1;
		dss_sample_run(db, &o, &c, &err);
		for (i = 0; i < 5; i++) {
			sqlite3_stmt *st;
			long long lost, kept;

			snprintf(name, sizeof(name), "nested-s%d-%s", seed,
			    five_names[i]);
			kept = q_int(db, "SELECT count(*) FROM old o WHERE "
			    "o.name = ?1 AND o.id IN (SELECT id FROM subset_members "
			    "WHERE name = ?1)", name, NULL, NULL);
			lost = q_int(db, "SELECT count(*) FROM old o WHERE "
			    "o.name = ?1 AND o.id NOT IN (SELECT id FROM "
			    "subset_members WHERE name = ?1)", name, NULL, NULL);
			/* The old members kept are the first of the old order. */
			sqlite3_prepare_v2(db, "SELECT count(*) FROM old o WHERE "
			    "o.name = ?1 AND o.pos < ?2 AND o.id NOT IN (SELECT id "
			    "FROM subset_members WHERE name = ?1)", -1, &st, NULL);
			sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, kept);
			if (sqlite3_step(st) != SQLITE_ROW ||
			    sqlite3_column_int64(st, 0) != 0)
				prefix = 0;
			sqlite3_finalize(st);
			/* Only new examples push old members out. */
			if (lost < 0 || lost > (long long)m)
				moved = 0;
			/* Stratified: per type, old members stay a prefix. */
			snprintf(name, sizeof(name), "nested-strat-s%d-%s", seed,
			    five_names[i]);
			if (q_int(db, "SELECT count(*) FROM old o JOIN examples e "
			    "ON e.id = o.id WHERE o.name = ?1 AND o.id NOT IN "
			    "(SELECT id FROM subset_members WHERE name = ?1) AND "
			    "EXISTS (SELECT 1 FROM old p JOIN examples f ON f.id = "
			    "p.id WHERE p.name = ?1 AND p.pos > o.pos AND "
			    "json_extract(f.record, '$.fields.type') = "
			    "json_extract(e.record, '$.fields.type') AND p.id IN "
			    "(SELECT id FROM subset_members WHERE name = ?1))",
			    name, NULL, NULL) != 0)
				sprefix = 0;
		}
		dss_db_close(db);
	}
	ok(types, "a manifest field (type) stratifies within one");
	ok(prefix, "after adding examples, old members kept are a prefix of "
	    "the old order");
	ok(moved, "after adding m examples, at most m old members leave a "
	    "nested fraction");
	ok(sprefix, "stratified: within each stratum, old members kept are a "
	    "prefix of the old order");
}

static int
count_cb(void *arg, const struct dss_subset_info *s)
{
	(*(int *)arg)++;
	return s->size < 0;
}

static int
first_cb(void *arg, const char *id)
{
	snprintf(arg, 64, "%s", id);
	return 1;
}

static void
test_store_rules(void)
{
	struct dss_sample_counts c;
	struct dss_err err = DSS_ERR_INIT;
	struct dss_sample_opts o;
	sqlite3 *db = memdb();
	char first[64] = "";
	int n = 0;

	rng_state = 5;
	ok(run(db, "d", DSS_SAMPLE_NESTED, 0, 0, 0, &c, &err) == -1,
	    "no examples: an error");
	is_str(err.msg, "no train examples of dataset 'd' in ':memory:'; run "
	    "dss-fetch and dss-store first", "... saying what to run");
	add_examples(db, "d", 0, 50, 2, 0);
	ok(run(db, "d", DSS_SAMPLE_NESTED, 3, 0, 0, &c, &err) == 0 &&
	    c.created == 5 && c.examples == 50, "five subsets created");
	ok(run(db, "d", DSS_SAMPLE_NESTED, 3, 0.2, 0, &c, &err) == -1 &&
	    err.code == DSS_SAMPLE_ECONFLICT, "other members under a stored name: "
	    "refused");
	/* nested-s3-valid is new: the first conflict is with a fraction. */
	is_str(err.msg, "subset 'nested-s3-0.125' of dataset 'd' is stored with "
	    "other members", "... naming the subset");
	ok(q_int(db, "SELECT count(*) FROM subsets", NULL, NULL, NULL) == 5,
	    "... and nothing of the run is written (not even the new valid set)");
	ok(run(db, "d", DSS_SAMPLE_NESTED, 3, 0.2, 1, &c, &err) == 0 &&
	    c.created == 1 && c.replaced == 5, "--replace replaces them");
	ok(size_of(db, "d", "nested-s3-1") == 40, "... with the rest's sizes");
	ok(run(db, "d", DSS_SAMPLE_NESTED, 3, 0.2, 0, &c, &err) == 0 &&
	    c.unchanged == 6, "then the same run changes nothing");
	ok(run(db, "d", DSS_SAMPLE_NESTED, 3, 0, 0, &c, &err) == -1 &&
	    err.code == DSS_SAMPLE_ECONFLICT, "fractions without a validation "
	    "set would overlap the stored one: refused");
	is_str(err.msg, "validation set 'nested-s3-valid' of dataset 'd' is "
	    "stored and would overlap these fractions", "... naming it");
	ok(run(db, "d", DSS_SAMPLE_NESTED, 3, 0, 1, &c, &err) == 0 &&
	    c.replaced == 6 && size_of(db, "d", "nested-s3-valid") == 0 &&
	    q_int(db, "SELECT count(*) FROM subsets WHERE name = "
	    "'nested-s3-valid'", NULL, NULL, NULL) == 0,
	    "with replace the validation set is removed");
	ok(run(db, "d", DSS_SAMPLE_NESTED, 3, 0.2, 1, &c, &err) == 0 &&
	    c.created == 1 && c.replaced == 5, "and made again");
	sqlite3_exec(db, "UPDATE subsets SET params = '{}' WHERE name = "
	    "'nested-s3-0.5'", NULL, NULL, NULL);
	ok(run(db, "d", DSS_SAMPLE_NESTED, 3, 0.2, 0, &c, &err) == 0 &&
	    c.updated == 1 && c.unchanged == 5, "a row with the same members is "
	    "brought up to date");

	memset(&o, 0, sizeof(o));
	o.dataset = "d";
	o.kind = DSS_SAMPLE_NESTED;
	o.fractions = five;
	o.nfractions = 1;
	o.valid = 0.99;
	ok(dss_sample_run(db, &o, &c, &err) == -1, "a validation set taking "
	    "everything fails");
	is_str(err.msg, "a validation set of 0.99 of 50 examples leaves none to "
	    "train on", "... saying so");
	o.valid = 0;
	{
		static const double tiny[1] = { 0.001 };

		o.fractions = tiny;
		ok(dss_sample_run(db, &o, &c, &err) == -1, "an empty fraction fails");
		is_str(err.msg, "fraction 0.001 of 50 examples is empty",
		    "... saying so");
	}
	o.fractions = five;
	o.kind = DSS_SAMPLE_STRATIFIED;
	o.stratify = "type";
	ok(dss_sample_run(db, &o, &c, &err) == -1, "a missing stratum field fails");
	is_str(err.msg, "example 'd-train-000000' has no string field 'type' "
	    "to stratify by", "... naming the example and field");

	o.kind = DSS_SAMPLE_OFFICIAL;
	o.stratify = NULL;
	o.nfractions = 5;
	ok(dss_sample_run(db, &o, &c, &err) == 0 && c.created == 5,
	    "official subsets of a whole split");
	is_int(q_int(db, "SELECT count(*) FROM (SELECT 1 FROM subset_members "
	    "WHERE dataset = ?1 GROUP BY name, id HAVING count(*) > 1)", "d", NULL,
	    NULL), 0, "no subset of any kind holds an example twice");
	sqlite3_exec(db, "UPDATE examples SET idx = 60 WHERE id = 'd-train-000007'",
	    NULL, NULL, NULL);
	ok(dss_sample_run(db, &o, &c, &err) == -1, "official subsets of a split "
	    "with a gap fail");
	is_str(err.msg, "the train examples of dataset 'd' are not the whole split "
	    "in its official order (example 'd-train-000008' has index 8, not 7); "
	    "--official needs indices 0 to 49", "... naming the first gap");

	ok(dss_sample_list(db, "d", count_cb, &n, &err) == 0 && n == 11,
	    "list reports every subset of the dataset");
	n = 0;
	ok(dss_sample_list(db, "nope", count_cb, &n, &err) == 0 && n == 0,
	    "... and none of another");
	ok(dss_sample_show(db, "d", "official-r0-1", first_cb, first, &err) == 1 &&
	    strcmp(first, "d-train-000000") == 0, "show gives ids in order");
	ok(dss_sample_show(db, "d", "nope", first_cb, first, &err) == -1 &&
	    err.code == DSS_SAMPLE_ENOSUBSET, "show of an unknown subset fails");
	is_str(err.msg, "no subset 'nope' of dataset 'd' in ':memory:'",
	    "... naming it");
	dss_db_close(db);
}

int
main(void)
{
	test_sizes();
	test_names();
	test_parse();
	test_interleave();
	test_rank();
	test_official();
	test_nested_props();
	test_stability();
	test_store_rules();
	return done();
}
