/* SPDX-License-Identifier: MIT */
/*
 * Internal to lib/export*.c, not an API: the state of an export, shared
 * by the scan and the JSON Lines writers (export.c), the official release
 * layout (export_release.c) and the data card (export_card.c).  The
 * contract of the module is export.h.
 */
#ifndef DSS_EXPORT_IMPL_H
#define DSS_EXPORT_IMPL_H

#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "buf.h"
#include "err.h"
#include "export.h"
#include "prompt.h"
#include "release.h"

#define MAX_TEACHERS 16		/* named in the card; the rest counted */

/* The current example of a scan and what was picked for it. */
struct example {
	struct dss_buf id, input, label, record;	/* as stored */
	struct dss_buf qid, qinput, qlabel;	/* JSON-escaped, no quotes */
	unsigned long kept;		/* usable kept triples seen */
	int picked;			/* pick holds one */
	long long sample;
	size_t chars;
	struct dss_buf rationale, teacher_label, teacher, request;
};

struct release_out {
	char *dir;		/* DIR/datasets/DATASET */
	char *tmp;		/* the temporary directory beside it */
	FILE *ex;		/* the current split's examples file */
	FILE *cot;		/* its current batch file */
	char *expath, *cotpath;
	long batch;		/* the current batch's number */
	long long inbatch;	/* completions in it */
	long long n;		/* examples written to the split */
	cJSON **problems;	/* the upstream rows (release.problems), by position */
	size_t nproblems;	/* the rows the permuted splits cut from */
	int problems_ok;	/* every row can be rebuilt */
	int problems_written;
};

/* A subset as the subsets table describes it. */
struct export_subset {
	char *name, *split, *kind, *params;
	long long seed, size;
	double fraction;
	int has_fraction;
};

/* One subset of a subsets export (export_subsets.c) and where it goes. */
struct export_sub {
	struct export_subset info;
	size_t root;		/* the subset it begins, or itself */
	FILE *fp;
	const char *fpname;
	char *path, *tmp;	/* with --out: DIR/NAME.jsonl, its temporary */
	char *fpbuf;		/* fp's buffer (with --out) */
	struct dss_export_counts c;
	uint32_t teachers;	/* bit i: x->teachers[i] gave a rationale */
	unsigned long long other;	/* rationales of teachers past those */
};

struct dss_export {
	struct dss_export_opts o;
	char *path;
	char *strs[7];		/* owned copies of o's strings */
	const char *pre[2];	/* the prefixes, into o.prefixes */
	size_t prelen[2];
	struct dss_buf qpre[2];	/* JSON-escaped */
	sqlite3 *db;
	int need_triples, need_record;
	/* the subset of a release, or of the card being written */
	struct export_subset sub;
	/* the subsets of a JSON Lines export of subsets */
	struct export_sub *subs;
	size_t nsubs;
	int hold;		/* records stay in out (export_subsets.c) */
	struct dss_exemplars *ex;	/* chat: the answer sentence */
	const struct dss_release_form *form;	/* release */
	/* per-run state */
	int s;			/* the split being exported, 0-2 */
	const char *split;	/* its name */
	enum dss_export_missing missing;	/* for it */
	struct dss_buf qdataset, qsplit;	/* quoted */
	struct example e;
	struct dss_buf out;
	FILE *fp;
	const char *fpname;
	struct dss_buf scratch, phrase;
	struct release_out rel;
	char *teachers[MAX_TEACHERS];
	size_t nteachers;
	unsigned long long other_teachers;
	uint32_t ex_teachers;	/* of the current example, as in export_sub */
	unsigned long long ex_other;
	uint32_t card_teachers;	/* of the card being written */
	unsigned long long card_other;
	struct dss_export_counts total, split_counts[3];
	int ran;
};

/* Sets err to "out of memory" and returns -1. */
int dss_export_nomem(struct dss_err *err);
/*
 * Prepares sql and binds the text parameters that follow err, up to a
 * NULL.  Returns the statement (caller finalizes) or NULL with err set.
 */
sqlite3_stmt *dss_export_query(struct dss_export *x, const char *sql,
    struct dss_err *err, ...);
/* Steps st: 1 for a row, 0 when done, -1 with err naming the database. */
int dss_export_step(struct dss_export *x, sqlite3_stmt *st,
    struct dss_err *err);
/*
 * Renders the answer sentence tmpl for label (n bytes) into x->phrase,
 * with the current example's fields, answer_key (the label's letter when
 * the example has choices) and, when rationale is not NULL, rationale.
 */
int dss_export_render_answer(struct dss_export *x, const char *tmpl,
    const char *label, size_t n, const char *rationale, size_t rlen,
    struct dss_err *err);

/*
 * The scan's steps (export.c): begin_example takes the example of a row,
 * add_triple one kept triple of it, end_example writes (into out) what
 * the example gives.  prepare_examples reads the examples of the split in
 * id order, with the columns of the joined query; triples_sql is the
 * query of the filter's kept triples in id order, with the same columns,
 * for a connection of export_subsets.c's reader thread.
 */
int dss_export_begin_example(struct dss_export *x, sqlite3_stmt *st,
    struct dss_err *err);
/* An example's columns: id, input, label, record (NULL where NULL). */
enum { DSS_EXPORT_COL_ID, DSS_EXPORT_COL_INPUT, DSS_EXPORT_COL_LABEL,
	DSS_EXPORT_COL_RECORD, DSS_EXPORT_NCOLS };
struct dss_export_cols {
	const char *v[DSS_EXPORT_NCOLS];
	size_t n[DSS_EXPORT_NCOLS];
};
/* The columns of the example in the row of st (prepare_examples). */
void dss_export_cols_of(sqlite3_stmt *st, struct dss_export_cols *c);
/* begin_example, from columns read before. */
int dss_export_begin_cols(struct dss_export *x, const struct dss_export_cols *c,
    struct dss_err *err);
/* A kept triple's columns (NULL where a column is NULL). */
struct dss_export_triple {
	long long sample;
	const char *rat, *tl, *teacher, *req;
	size_t rlen, tlen, teacherlen, reqlen;
};
/* The triple in the row of st (the columns of the joined query). */
void dss_export_triple_of(sqlite3_stmt *st, struct dss_export_triple *t);
int dss_export_add_triple(struct dss_export *x,
    const struct dss_export_triple *t, struct dss_err *err);
int dss_export_end_example(struct dss_export *x, struct dss_err *err);
sqlite3_stmt *dss_export_prepare_examples(struct dss_export *x,
    struct dss_err *err);
/* The query of the kept triples of the filter in id order (?1 filter, ?2 dataset). */
int dss_export_triples_sql(const struct dss_export *x, char *sql, size_t size);
/*
 * Exports the subsets x->subs of the split begun, each to its fp in its
 * order, counting into its c (export_subsets.c).  Returns 0 or -1.
 */
int dss_export_subsets(struct dss_export *x, struct dss_err *err);

/*
 * The release layout (export_release.c).  begin makes DIR/datasets and
 * the temporary directory; split_begin and split_end open and close the
 * files of split x->s; example writes the current example (with its
 * picked rationale when with); commit renames the finished directory
 * into place.  clean closes and frees what is open; remove_tmp deletes
 * the temporary directory of a run that did not commit.
 */
int dss_export_release_begin(struct dss_export *x, struct dss_err *err);
int dss_export_release_split_begin(struct dss_export *x, struct dss_err *err);
int dss_export_release_split_end(struct dss_export *x, struct dss_err *err);
int dss_export_release_example(struct dss_export *x, int with,
    struct dss_err *err);
int dss_export_release_commit(struct dss_export *x, struct dss_err *err);
void dss_export_release_clean(struct release_out *r);
void dss_export_release_remove_tmp(struct release_out *r);
/* 1 when the n bytes at s hold a text the official parser of f splits at. */
int dss_export_unreadable(const struct dss_release_form *f, const char *s,
    size_t n);
/* Flushes, fsyncs and closes *fpp (named path); *fpp becomes NULL. */
int dss_export_finish_file(FILE **fpp, const char *path, struct dss_err *err);
/* fsyncs the directory path. */
int dss_export_sync_dir(const char *path, struct dss_err *err);

#endif
