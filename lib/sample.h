/* SPDX-License-Identifier: MIT */
/*
 * Subsets of a dataset's train split, stored in the database's subsets
 * and subset_chunks tables (schemas/migrate-002.sql, migrate-006.sql) by
 * dataset and name, each an ordered list of example ids, stored as JSON
 * arrays of DSS_SAMPLE_CHUNK ids (the view subset_members reads them
 * back a row per member).  Three kinds:
 *
 * - nested ("nested-s<S>-<f>"): examples ranked by SHA-256 of "S:ID";
 *   the subset at fraction f is the first size(f) of that ranking, so a
 *   smaller fraction is a prefix of every larger one, the same seed gives
 *   the same subsets anywhere, and examples added later move existing
 *   members as little as a ranking can.
 * - stratified ("nested-strat-s<S>-<f>"): one interleaving of the strata
 *   (labels, or a field the manifest names) in which every prefix holds
 *   each stratum's proportional share within one example, members of a
 *   stratum in ranking order; subsets are prefixes again.
 * - official ("official-r<R>-<f>"): exactly the rows Hugging Face's
 *   train_test_split(test_size=1.0 - f, seed=R)["train"] selects, in its
 *   order, then the manifest's validation cut with seed 0, as the
 *   Distilling Step-by-Step code does.
 *
 * The size of fraction f of n examples is n - ceil((1 - f) * n) in IEEE
 * double arithmetic, in every kind.
 */
#ifndef DSS_SAMPLE_H
#define DSS_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "err.h"
#include "manifest.h"

enum dss_sample_kind {
	DSS_SAMPLE_NESTED,
	DSS_SAMPLE_STRATIFIED,
	DSS_SAMPLE_OFFICIAL,
};

/* Ids in a chunk of subset_chunks (schemas/migrate-006.sql). */
#define DSS_SAMPLE_CHUNK 4096

/* Fractions a run takes at most. */
#define DSS_SAMPLE_MAXFRACTIONS 64
#define DSS_SAMPLE_MAXFRACTIONS_STR "64"
/* Bytes a fraction's shortest form takes at most, with the NUL. */
#define DSS_SAMPLE_FRACTION_LEN 32

/*
 * What a manifest's "sample" section says: "stratify", the field of an
 * example's "fields" that --stratify splits by (NULL: the label), and
 * "official_valid", the share of train the official code cuts off as
 * validation set with seed 0 (0: none).  stratify points into m.
 * Returns -1 with err naming the manifest and key when the section is
 * malformed.
 */
struct dss_sample_config {
	const char *stratify;
	double official_valid;
};

int dss_sample_config(const struct dss_manifest *m,
    struct dss_sample_config *cfg, struct dss_err *err);

/* n - ceil((1 - f) * n): the examples at fraction f of n. */
size_t dss_sample_size(size_t n, double f);
/* ceil(share * n): the rows train_test_split(test_size=share) tests. */
size_t dss_sample_ntest(size_t n, double share);
/*
 * The shortest decimal form of f that reads back as f ("0.125", "1"),
 * into buf.
 */
void dss_sample_fraction_name(double f, char buf[DSS_SAMPLE_FRACTION_LEN]);
/*
 * Parses a comma-separated list of fractions, each in (0, 1], into out
 * (at most DSS_SAMPLE_MAXFRACTIONS), sorted ascending; *n gets their
 * number.  Returns -1 with err (which may be NULL) saying what is wrong ("'1.5' is not in
 * (0, 1]", "0.5 appears twice") and err->code DSS_SAMPLE_EUSAGE.
 */
int dss_sample_parse_fractions(const char *list, double *out, size_t *n,
    struct dss_err *err);

/*
 * Orders ids[0..n-1] by the nested ranking of seed: increasing first
 * eight bytes of SHA-256 of "SEED:ID" read as a big-endian number, equal
 * ones by id.  order (n elements, caller-owned) gets indices into ids.
 */
int dss_sample_rank(uint64_t seed, const char *const *ids, size_t n,
    size_t *order, struct dss_err *err);
/*
 * Interleaves the n elements of order (indices into stratum[], each of
 * which is below nstrata) into out so that every prefix of out of length
 * k holds floor(k * c / n) or ceil(k * c / n) elements of each stratum of
 * c elements (earliest deadline first over those bounds), taking each
 * stratum's elements in their order in order.  Equal deadlines go to the
 * lower stratum.  out is caller-owned (n elements).
 */
int dss_sample_interleave(const size_t *order, const size_t *stratum,
    size_t nstrata, size_t n, size_t *out, struct dss_err *err);
/*
 * The official subset of rows 0..n-1 at fraction f (in (0, 1]) of run:
 * for f < 1 train_test_split(test_size=1.0 - f, seed=run)["train"], else
 * every row in order; then, when cut > 0, train_test_split(test_size=cut,
 * seed=0) of that.  rows (n elements, caller-owned) gets the *ntrain
 * train rows, in order, then the *nvalid validation rows (the cut's
 * "test" rows).  Fails, as train_test_split does, when a train set would
 * be empty.
 */
int dss_sample_official(uint64_t run, size_t n, double f, double cut,
    size_t *rows, size_t *ntrain, size_t *nvalid, struct dss_err *err);

/* err->code for a usage error (a bad fraction). */
#define DSS_SAMPLE_EUSAGE 2

struct dss_sample_opts {
	const char *dataset;		/* the dataset's name in the database */
	enum dss_sample_kind kind;
	uint64_t seed;			/* the seed, or the official run */
	const double *fractions;	/* sorted, distinct, in (0, 1] */
	size_t nfractions;
	double valid;			/* nested: validation share, 0 for none */
	const char *stratify;		/* stratified: field, NULL for the label */
	double official_valid;		/* official: the cut, 0 for none */
	int replace;			/* replace subsets whose members differ */
};

struct dss_sample_counts {
	size_t examples;	/* train examples of the dataset */
	unsigned created, replaced, updated, unchanged;
};

/* err->code when a subset is stored with other members. */
#define DSS_SAMPLE_ECONFLICT 4

/*
 * Makes the subsets o asks for from the train examples of o->dataset in
 * db (ordered by index) and stores them, all in one transaction.  A
 * stored subset with the same members is left alone (its other columns
 * are brought up to date); one with other members is an error, naming
 * it (err->code DSS_SAMPLE_ECONFLICT), unless o->replace.  So is a
 * stored validation set of the same kind and seed when o asks for none
 * (it would overlap the fractions); o->replace removes it, counted as
 * replaced.  On any error nothing is written.  c is zeroed
 * first.
 */
int dss_sample_run(sqlite3 *db, const struct dss_sample_opts *o,
    struct dss_sample_counts *c, struct dss_err *err);

/* A stored subset, as dss_sample_list reports it. */
struct dss_subset_info {
	const char *dataset, *name, *split, *kind, *role;
	long long seed;
	double fraction;	/* negative when NULL (a validation set) */
	long long size;
};

/*
 * Calls fn for each stored subset of dataset (NULL: of every dataset),
 * ordered by dataset, kind, seed, role, fraction and name.  The strings
 * live until fn returns.  Stops at fn's first nonzero return, which is
 * returned; -1 with err set on a database error.
 */
int dss_sample_list(sqlite3 *db, const char *dataset,
    int (*fn)(void *arg, const struct dss_subset_info *s), void *arg,
    struct dss_err *err);

/* err->code when dss_sample_show finds no such subset. */
#define DSS_SAMPLE_ENOSUBSET 3

/*
 * Calls fn with each example id of subset name of dataset, in the
 * subset's order.  Returns fn's first nonzero return, or -1 with err set
 * (err->code DSS_SAMPLE_ENOSUBSET when there is no such subset).
 */
int dss_sample_show(sqlite3 *db, const char *dataset, const char *name,
    int (*fn)(void *arg, const char *id), void *arg, struct dss_err *err);

#endif
