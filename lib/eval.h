/* SPDX-License-Identifier: MIT */
/*
 * Scoring a student's predictions against gold labels, behind dss-eval.
 *
 * Gold is a dss database (its examples table) or a JSON Lines file of
 * example records, optionally narrowed to one dataset and split; it is
 * held as a compact hash table of ids, with each distinct label stored
 * once.  Predictions are JSON Lines records with "id" and "prediction"
 * and optional "method", "fraction", "size", "dataset" and "split".
 * Every prediction is scored by two rules, chosen by the "answer.kind"
 * of its dataset's manifest:
 *
 *   folded (the default rule): text kinds (nli, choice) compare the
 *   prediction and the gold label after folding (ASCII letters to lower
 *   case, white space trimmed and each run of it made one space); the
 *   equation kind evaluates the whole prediction, trimmed, with
 *   lib/expr (thousands separators allowed) and compares it with the
 *   gold equation's value v: right when |p - v| <= 1e-6 * max(1, |v|).
 *
 *   official: as the official Distilling Step-by-Step code scores:
 *   exact string equality; for equations Python eval() of both sides
 *   (dss_expr_evaln_python) and exact equality of the values, a failed
 *   evaluation never equal.
 *
 * A prediction is unparsable when it cannot be an answer at all: an
 * equation that does not evaluate, a label that is none of the
 * dataset's labels (nli: the values of the manifest's label.map), a
 * choice that is none of the example's choices (fields.choices).  For
 * text kinds whose valid answers are unknown nothing is unparsable.
 *
 * Predictions fall into groups by (dataset, split) of their gold
 * example and (method, fraction, size) of the record; a record without
 * "method" takes the file's base name without its extension, one
 * without "fraction" or "size" has none.  Each group gets its
 * accuracy by both rules, a 95% percentile bootstrap interval for the
 * rule in force, its unparsable count, and the gold examples of its
 * split it has no prediction for.  Predictions whose id is not in gold
 * are counted apart; an id scored twice in one group is an error.
 */
#ifndef DSS_EVAL_H
#define DSS_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "mt19937.h"

#define DSS_EVAL_RESAMPLES 1000		/* bootstrap resamples by default */
#define DSS_EVAL_MAX_RESAMPLES 1000000
#define DSS_EVAL_MAX_GROUPS 1024
#define DSS_EVAL_MAX_SETS 1024		/* (dataset, split) pairs in gold */
#define DSS_EVAL_SHOW_IDS 3		/* ids named in reports */
#define DSS_EVAL_TOL 1e-6		/* the folded rule's equation tolerance */

struct dss_eval_opts {
	const char *dataset;	/* gold of this dataset only, or NULL */
	const char *split;	/* gold of this split only, or NULL */
	int official;		/* the official rule is in force */
	uint64_t seed;		/* of the bootstrap */
	unsigned long resamples;	/* 0 means DSS_EVAL_RESAMPLES */
};

struct dss_eval_group {
	const char *dataset, *split, *method;
	double fraction;	/* of the training data; NAN when none */
	const char *size;	/* model size as given, or NULL */
	unsigned long n;	/* predictions scored */
	unsigned long correct, unparsable;	/* by the rule in force */
	unsigned long folded_correct, official_correct;
	unsigned long missing;	/* gold examples of the split without one */
	const char *missing_ids[DSS_EVAL_SHOW_IDS];	/* the first few */
	double accuracy, folded_accuracy, official_accuracy;	/* NAN if n is 0 */
	double ci_low, ci_high;	/* of accuracy; NAN if n is 0 */
};

struct dss_eval;

/* A new, empty evaluation, or NULL when out of memory.  Caller frees. */
struct dss_eval *dss_eval_new(const struct dss_eval_opts *opts);
void dss_eval_free(struct dss_eval *e);

/*
 * Loads gold from path: a dss database (recognised by its SQLite header)
 * or a JSON Lines file of example records ("dataset", "split", "id",
 * "label"; choice datasets also "fields.choices").  Only examples of the
 * options' dataset and split are kept.  Every dataset met needs a
 * manifest.  Returns 0, or -1 with err set: the file cannot be read, a
 * record is bad ("'gold.jsonl': line 4: field 'label' is missing"), an
 * id appears twice, a dataset is unknown, or no example is left.  Call
 * once, before any predictions.
 */
int dss_eval_load_gold(struct dss_eval *e, const char *path,
    struct dss_err *err);

/*
 * Reads and scores the predictions in the JSON Lines file at path ("-"
 * for standard input, named "stdin").  Returns 0, or -1 with err naming
 * the file, line and field: invalid JSON, "id" or "prediction" missing
 * or not a string, "fraction" not a number in (0, 1], "size" not a
 * string or number, "dataset" or "split" naming another than the gold
 * example's, an id scored twice in one group, or too many groups.
 * Predictions read before a bad line stay scored.
 */
int dss_eval_add_file(struct dss_eval *e, const char *path,
    struct dss_err *err);

/*
 * Finishes: computes accuracies, intervals and missing counts and sorts
 * the groups (dataset, split, then method in order of appearance, then
 * fraction or size).  Each group's resamples come from a generator
 * seeded by the seed and the group's key, so adding a file changes no
 * other group's interval.  Returns 0, or -1 when no prediction was read
 * at all.
 */
int dss_eval_finish(struct dss_eval *e, struct dss_err *err);

size_t dss_eval_ngroups(const struct dss_eval *e);
/* True when the official rule is in force. */
int dss_eval_official(const struct dss_eval *e);
/* A model size as a number ("220M" is 2.2e8, "11B" 1.1e10), or NAN. */
double dss_eval_size_value(const char *size);
/* The i-th group (i < dss_eval_ngroups), owned by e. */
const struct dss_eval_group *dss_eval_group(const struct dss_eval *e,
    size_t i);
/* Predictions whose id is not in gold; the first few ids go to ids. */
unsigned long dss_eval_extra(const struct dss_eval *e,
    const char *ids[DSS_EVAL_SHOW_IDS]);
/* Gold examples, and gold labels that do not evaluate (equation kind). */
unsigned long dss_eval_gold_count(const struct dss_eval *e);
unsigned long dss_eval_gold_unparsable(const struct dss_eval *e,
    const char **first_id);

/*
 * Renders the results after dss_eval_finish, appending to out: the text
 * report (a row per group, then for each dataset and split with more
 * than one group the ablation table), one JSON object per group and
 * line, or an SVG chart per dataset and split of accuracy against the
 * percentage of training data (or model size), one line per method,
 * with groups that have neither as horizontal references.  Return 0,
 * or -1 with err set when out grows too large.
 */
int dss_eval_text(const struct dss_eval *e, struct dss_buf *out,
    struct dss_err *err);
int dss_eval_json(const struct dss_eval *e, struct dss_buf *out,
    struct dss_err *err);
int dss_eval_svg(const struct dss_eval *e, struct dss_buf *out,
    struct dss_err *err);

/*
 * The scoring rules, one prediction at a time (the unit tests' way in).
 * dss_eval_fold appends the folded form of the n bytes at s to out.
 */
int dss_eval_fold(struct dss_buf *out, const char *s, size_t n);

/* The verdict on one prediction by both rules. */
struct dss_eval_verdict {
	int folded, official;			/* 1 when right */
	int folded_unparsable, official_unparsable;
};

/*
 * Scores an equation prediction of n bytes against the gold equation.
 * Returns -1 only when out of memory.
 */
int dss_eval_score_equation(const char *pred, size_t n, const char *gold,
    struct dss_eval_verdict *v);
/*
 * Scores a label prediction against gold; valid (nvalid strings, may be
 * 0) are the answers that make it parsable.  Returns -1 only when out of
 * memory.
 */
int dss_eval_score_label(const char *pred, size_t n, const char *gold,
    const char *const *valid, size_t nvalid, struct dss_eval_verdict *v);

/*
 * A 95% percentile bootstrap interval of correct / n from resamples
 * resamples drawn with the given seed: the number right in a resample of
 * n predictions drawn with replacement is binomial(n, correct / n), so
 * each resample is one binomial draw.  The interval's ends are the 2.5th
 * and 97.5th percentiles of the resampled accuracies, interpolated
 * linearly between order statistics.  Returns -1 when out of memory.
 */
int dss_eval_bootstrap(unsigned long n, unsigned long correct,
    unsigned long resamples, uint64_t seed, double *low, double *high);
/* One draw from binomial(n, p) with generator m. */
unsigned long dss_eval_binomial(struct dss_mt19937 *m, unsigned long n,
    double p);

#endif
