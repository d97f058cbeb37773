/* SPDX-License-Identifier: MIT */
/*
 * Training files from a dss database, behind dss-export.  An export reads
 * the examples of one dataset's split (or of a subset, in the subset's
 * order), joins each with the triples one filter kept for it, and writes
 * what a student trains on: the multi-task records of Distilling
 * Step-by-Step (t5), one record per example with its rationale (pairs),
 * label-only records for the two baselines (standard), chat turns (chat),
 * or the official release's layout (release), which the official trainer
 * reads unchanged.
 *
 * Every JSON Lines format is shaped for the Hugging Face datasets JSON
 * loader: every record of a file has the same keys, and each key keeps
 * one JSON type (strings throughout; a missing value is "", never null).
 *
 * A split is one SQL query ordered by example that joins the examples
 * with the triples, both read in example id order (the triples table is
 * keyed filter, dataset, id), so memory does not grow with the corpus.
 * Subsets are written in one pass over the split, however many: the
 * examples and triples are read once in id order, and each subset's
 * records are put in its order through an unlinked temporary file
 * (export_subsets.c); memory grows with the members' ids alone.
 */
#ifndef DSS_EXPORT_H
#define DSS_EXPORT_H

#include <signal.h>
#include <stdio.h>

#include "err.h"

enum dss_export_format {
	DSS_EXPORT_T5,		/* predict and explain records (the default) */
	DSS_EXPORT_PAIRS,	/* input, label, rationale, teacher_label */
	DSS_EXPORT_STANDARD,	/* input and label only */
	DSS_EXPORT_CHAT,	/* {"messages": [user, assistant]} */
	DSS_EXPORT_RELEASE,	/* the official release's files, in a directory */
	DSS_EXPORT_NFORMATS
};

enum dss_export_labels { DSS_EXPORT_GOLD, DSS_EXPORT_TEACHER };
enum dss_export_rationales { DSS_EXPORT_AGREE, DSS_EXPORT_ALL_RATIONALES };
enum dss_export_pick {
	DSS_EXPORT_FIRST,	/* the lowest sample index */
	DSS_EXPORT_SHORTEST,	/* the fewest characters, then the lowest sample */
	DSS_EXPORT_LONGEST,	/* the most characters, then the lowest sample */
	DSS_EXPORT_ALL		/* every one: one record per rationale */
};
enum dss_export_missing { DSS_EXPORT_DROP, DSS_EXPORT_LABEL_ONLY };

/* The names of the values above, as the options spell them. */
const char *dss_export_format_name(int format);
const char *dss_export_labels_name(int labels);
const char *dss_export_rationales_name(int rationales);
const char *dss_export_pick_name(int pick);
const char *dss_export_missing_name(int missing);
/* The value that names (one of the five above) calls name, or -1. */
int dss_export_parse(const char *(*names)(int), const char *name);

#define DSS_EXPORT_PREFIXES "predict: ,explain: "

struct dss_export_opts {
	const char *dataset;
	const char *split;	/* NULL with DSS_EXPORT_RELEASE */
	const char *subset;	/* a subset's name, or NULL for the whole split */
	/*
	 * Or several subsets (subset NULL), each written to OUT/NAME.jsonl
	 * in one pass over the split (not with release).
	 */
	const char *const *subsets;
	size_t nsubsets;
	const char *filter;	/* the filter whose triples are used */
	enum dss_export_format format;
	enum dss_export_labels labels;
	enum dss_export_rationales rationales;
	enum dss_export_pick pick;
	enum dss_export_missing missing;
	const char *prefixes;	/* "PREDICT,EXPLAIN" */
	const char *out;	/* release, or subsets: the directory */
	/*
	 * Which of labels, rationales, pick, missing, prefixes were given
	 * rather than defaulted (bits 1 << DSS_EXPORT_OPT_*), for checking
	 * and for the data card.
	 */
	unsigned given;
	/*
	 * When not NULL and nonzero (a tool's signal handler sets it), the
	 * run stops before its next row with err "interrupted", as after any
	 * error: for release, the temporary directory is removed.
	 */
	volatile sig_atomic_t *stop;
};

enum {
	DSS_EXPORT_OPT_LABELS, DSS_EXPORT_OPT_RATIONALES, DSS_EXPORT_OPT_PICK,
	DSS_EXPORT_OPT_MISSING, DSS_EXPORT_OPT_PREFIXES, DSS_EXPORT_OPT_FILTER,
	DSS_EXPORT_OPT_FORMAT
};

#define DSS_EXPORT_OPTS_INIT { NULL, NULL, NULL, NULL, 0, "gold", DSS_EXPORT_T5, \
	DSS_EXPORT_GOLD, DSS_EXPORT_AGREE, DSS_EXPORT_FIRST, \
	DSS_EXPORT_LABEL_ONLY, DSS_EXPORT_PREFIXES, NULL, 0, NULL }

/*
 * Checks the options for what makes no sense whatever the database holds
 * (a usage error): no dataset, a split with release or none without it,
 * release without --out, --out with another format but without a
 * subset, several subsets without --out or with release,
 * --prefixes that are not two different non-empty prefixes separated by
 * one comma, or given with a format other than t5, --pick all where one
 * record per example is written (standard, release), --labels with
 * release.  Returns 0, or -1 with err saying what is wrong.
 */
int dss_export_check(const struct dss_export_opts *o, struct dss_err *err);

/* Counts of one export; for release, of each split (train, valid, test). */
struct dss_export_counts {
	unsigned long long examples;	/* in the split or subset */
	unsigned long long rationales;	/* kept triples found for them */
	unsigned long long with_rationale;	/* exported with a rationale */
	unsigned long long label_only;	/* exported without one */
	unsigned long long dropped;	/* no rationale (or teacher label): left out */
	unsigned long long unreadable;	/* release: rationales the official parser would misread */
	unsigned long long records;	/* records written */
	unsigned long long predict, explain;	/* t5 records by task */
};

struct dss_export;

/*
 * Opens the database at path read-only (it is never created or
 * migrated) and checks what the export needs: a dss database of this
 * schema version, the dataset and split (or, for release, every split
 * the official trainer reads), the subset (of the dataset and split), and
 * triples of the filter for the dataset, unless the export needs none.
 * Messages list what exists: "unknown subset 'x' of dataset 'cqa'
 * (subsets: a, b)", "no triples of dataset 'cqa' from filter 'majority'
 * (filters with triples: gold); ...".  o is copied.  Returns NULL with
 * err set.  Caller frees with dss_export_close.
 */
struct dss_export *dss_export_open(const char *path,
    const struct dss_export_opts *o, struct dss_err *err);
void dss_export_close(struct dss_export *x);

/*
 * Runs the export: JSON Lines to out (named outname in messages), or for
 * release the files of DIR/datasets/DATASET, built in a temporary
 * directory beside it and renamed into place when complete (out is not
 * used; an existing DIR/datasets/DATASET is an error).  Returns 0, or -1
 * with err set; records written before an error stay written.
 */
int dss_export_run(struct dss_export *x, FILE *out, const char *outname,
    struct dss_err *err);

/*
 * The subsets of the run (0 without any): subset i's counts, its name
 * and with --out its file (else NULL).  NULL for i out of range.
 */
size_t dss_export_nsubsets(const struct dss_export *x);
const struct dss_export_counts *dss_export_subset(const struct dss_export *x,
    size_t i, const char **name, const char **path);

/* The counts of the run: the total, and for release split s (0-2). */
const struct dss_export_counts *dss_export_total(const struct dss_export *x);
const struct dss_export_counts *dss_export_split(const struct dss_export *x,
    int s);

/*
 * Writes the data card of a finished run to path as Markdown, atomically
 * (a temporary file beside it, synced, then renamed): the teachers, the
 * prompt templates, the filter, the subset and its seed, the options and
 * whether each is a default, the counts, and cmdline, the command line as
 * given.  Returns 0 or -1 with err set.
 */
int dss_export_card(struct dss_export *x, const char *path, const char *cmdline,
    struct dss_err *err);
/* The same for subset i of a run of several (dss_export_subset). */
int dss_export_subset_card(struct dss_export *x, size_t i, const char *path,
    const char *cmdline, struct dss_err *err);

#endif
