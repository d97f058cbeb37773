/* SPDX-License-Identifier: MIT */
/*
 * Corpus statistics from a dss database, behind dss-stats.  Each table
 * is read once, its columns only (the stored records are opened only
 * for the votes of majority triples); a row's split and gold label come
 * from a table in memory of the examples' ids (lib/idtab), so that no
 * query searches examples row by row or sorts rows to group them.
 * Counted per dataset and split (the split of each row's example), per
 * teacher and per filter:
 *
 *   examples, prompts; completions and their samples; cached responses
 *   with their tokens and cost (teach_cache, each response counted once
 *   for the example that paid for it); kept triples and rejects by
 *   reason; parse failures (rejects for no_answer); agreement, the share
 *   of a filter's completions, kept and rejected, whose answer equals
 *   the gold label (a reject's answer is compared by the dataset's rule,
 *   an unreadable one never agrees); the spread of majority votes; the
 *   label balance of the kept triples; quantiles of their rationales'
 *   lengths; and the subsets of each split.
 *
 * A database older than schema version 3 lacks the filter column of
 * triples, the rejects table or the subsets table: what is missing is
 * reported as absent (a null filter), never guessed.  Memory grows with
 * the number of examples (about 80 bytes each: 42 MB for e-SNLI's
 * 549,367), of (dataset, split, teacher, filter) groups and of distinct
 * kept labels, not with the other tables' rows.
 */
#ifndef DSS_STATS_H
#define DSS_STATS_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "idtab.h"

#define DSS_STATS_TOP_LABELS 10
#define DSS_STATS_LEN_MAX 16383		/* longer rationales count as this */

/* Counts, filters and teachers begin with their name (lib/stats sorts by it). */
struct dss_stats_count {
	char *name;
	unsigned long n;
};

/* Prompts whose winning answer had win of total votes. */
struct dss_stats_votes {
	long win, total;
	unsigned long prompts;
};

struct dss_stats_filter {
	char *filter;		/* as stored ("gold", "majority,..."); NULL if none */
	unsigned long kept, rejected, parse_failures;
	unsigned long agree, judged;	/* agreement is agree / judged */
	struct dss_stats_count *reasons;	/* rejects by reason, by name */
	size_t nreasons;
	struct dss_stats_count *labels;	/* the most frequent kept labels */
	size_t nlabels;
	unsigned long label_distinct, label_other;
	struct dss_stats_votes *votes;	/* by win, then total */
	size_t nvotes;
	/* rationale characters: min, p25, median, p75, p90, max */
	unsigned long rationale_q[6];
	unsigned long *hist;	/* internal: counts by length */
	struct dss_idtab *labtab;	/* internal: the distinct kept labels */
	unsigned long *labn;	/* internal: their counts */
	size_t labcap;
};

struct dss_stats_teacher {
	char *teacher;		/* NULL for rows that name none */
	unsigned long completions, samples;
	unsigned long responses;
	unsigned long long prompt_tokens, completion_tokens;
	double cost_usd;
	struct dss_stats_filter *filters;
	size_t nfilters;
};

struct dss_stats_subset {
	char *name, *kind, *role;
	long long seed;
	double fraction;	/* NAN for a validation set */
	unsigned long size;
};

struct dss_stats_split {
	char *dataset;
	char *split;		/* NULL for rows whose example is not stored */
	unsigned long examples, prompts;
	struct dss_stats_teacher *teachers;
	size_t nteachers;
	struct dss_stats_subset *subsets;
	size_t nsubsets;
};

struct dss_stats {
	char *path;
	int version;		/* PRAGMA user_version */
	unsigned long examples, prompts, completions, triples, rejects,
	    responses, subsets;
	struct dss_stats_split *splits;	/* by dataset, then split */
	size_t nsplits;
};

/*
 * Reads the statistics of the database at path, opened read-only, of
 * dataset only when it is not NULL.  Returns them (the caller frees with
 * dss_stats_free), or NULL with err set: no such file, not a dss
 * database, or an SQLite error.
 */
struct dss_stats *dss_stats_load(const char *path, const char *dataset,
    struct dss_err *err);
void dss_stats_free(struct dss_stats *s);

/*
 * Appends the report to out: text tables, one JSON object (see
 * dss-stats(1) for its keys), or an SVG chart of the agreement and of
 * the kept and rejected completions by reason of every teacher and
 * filter.  Return 0, or -1 with err set when out cannot grow.
 */
int dss_stats_text(const struct dss_stats *s, struct dss_buf *out,
    struct dss_err *err);
int dss_stats_json(const struct dss_stats *s, struct dss_buf *out,
    struct dss_err *err);
int dss_stats_svg(const struct dss_stats *s, struct dss_buf *out,
    struct dss_err *err);

#endif
