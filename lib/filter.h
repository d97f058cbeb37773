/* SPDX-License-Identifier: MIT */
/*
 * The rationale filter behind dss-filter: it takes completion records,
 * extracts each one's answer and rationale (lib/answer, configured per
 * dataset), decides whether to keep it, and hands every record on either
 * as a triple (rationale, teacher_label, label, gold, agree, and votes in
 * majority mode, with the completion's provenance) or as a reject (the
 * completion record plus reason, detail and teacher_label).
 *
 * Agreement modes: gold keeps a rationale whose answer equals the gold
 * label; majority votes over the samples of one prompt (dataset, id,
 * teacher), keeps those that give its single most frequent answer and
 * rejects every sample of a prompt whose top answers tie (samples whose
 * answer cannot be read do not vote); none keeps every readable answer
 * and trains on the teacher's label.  In every mode, agree says whether
 * the teacher's answer equals the gold label (null without one).
 * Samples of one prompt must be adjacent in majority mode: memory grows
 * only with the number of samples of a prompt.  A prompt that reappears
 * after others is an error; to catch it the filter remembers the last
 * DSS_FILTER_SEEN prompts in a table of fixed size (16 MiB), so that a
 * prompt reappearing after more than that many others may go unseen.
 * A prompt with one sample, or whose samples are byte for byte the same
 * completion (several samples at temperature 0), is a vote of one: it
 * is decided as any other and counted, so that the tool can warn.
 *
 * Input records are typed (record.h): completion records, and rejects,
 * which are completions, are filtered; example records (dss-import
 * writes them before their completions) are passed over and counted; any
 * other type is an error that names the step that makes completions.
 * The filter counts what it read, kept and rejected in all, per dataset
 * and per teacher, for the summary (dss_filter_summary_json).
 */
#ifndef DSS_FILTER_H
#define DSS_FILTER_H

#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "err.h"

enum dss_filter_agree {
	DSS_FILTER_GOLD,
	DSS_FILTER_MAJORITY,
	DSS_FILTER_NONE
};

/* Reject reason codes, in the order the summary lists them. */
enum dss_filter_reason {
	DSS_REJECT_NO_ANSWER,		/* missing or malformed answer */
	DSS_REJECT_TRUNCATED,		/* cut off by the token limit */
	DSS_REJECT_DISAGREE,		/* answer differs from gold or majority */
	DSS_REJECT_AMBIGUOUS,		/* several answers named */
	DSS_REJECT_TIE,			/* the top answers of a prompt tie */
	DSS_REJECT_EMPTY_RATIONALE,	/* rationale shorter than the minimum */
	DSS_REJECT_NREASONS
};

/* The minimum rationale length dss-filter uses unless told otherwise. */
#define DSS_FILTER_MIN_RATIONALE 1

/* Most samples of one prompt majority mode holds at once. */
#define DSS_FILTER_MAX_GROUP 4096
/* Prompts majority mode remembers to find one that reappears. */
#define DSS_FILTER_SEEN ((size_t)1 << 21)
/* Datasets, and teachers, counted apart; more share one "(other)". */
#define DSS_FILTER_MAX_PARTS 64

struct dss_filter_opts {
	enum dss_filter_agree agree;
	size_t min_rationale_chars;	/* UTF-8 characters; 0 keeps empty ones */
	/*
	 * Called with kept triples and with rejects, in input order, as len
	 * bytes of JSON Lines: one or more whole records, each ending in a
	 * newline, gathered so that there are few calls.  The text is
	 * borrowed for the call.  A non-zero return (with err set) stops the
	 * filter.  reject may be NULL.  dss_filter_finish hands on what is
	 * left; so does a failing dss_filter_add, for the records before the
	 * bad one.
	 */
	int (*keep)(void *arg, const char *json, size_t len, struct dss_err *err);
	int (*reject)(void *arg, const char *json, size_t len,
	    struct dss_err *err);
	void *arg;
};

struct dss_filter;

/* Returns a new filter, or NULL when out of memory.  Caller frees. */
struct dss_filter *dss_filter_new(const struct dss_filter_opts *opts);
void dss_filter_free(struct dss_filter *f);

/*
 * Adds one record, the len bytes of JSON text at line, read from input
 * line lineno (the text is copied when it must be kept): a completion
 * (or reject) is filtered, an example is counted and passed over.
 * Provenance values are passed to the triple byte for byte.  Returns 0,
 * or -1 with err naming the line and the field at fault ("line 12: field
 * 'completion' is not a string"), invalid JSON or text (jscan.h), a
 * prompt or triple record, an unknown dataset, a prompt that reappears
 * in majority mode, "out of memory", or an error of a callback.
 */
int dss_filter_add(struct dss_filter *f, const char *line, size_t len,
    unsigned long lineno, struct dss_err *err);
/* Decides the last pending prompt (majority mode).  Returns 0 or -1. */
int dss_filter_finish(struct dss_filter *f, struct dss_err *err);

/*
 * Reads JSON Lines from fp (called name in messages) with the shared
 * reader of jsonl.h to its end, adds every record line, and finishes.
 * It stops at the first bad line (too long, not JSON, not a completion:
 * err names it) after handing on what was decided before it.  Returns 0
 * or -1 with err set; fp is not closed.
 */
int dss_filter_run(struct dss_filter *f, FILE *fp, const char *name,
    struct dss_err *err);

/*
 * The name of the filter opts describe, as every triple and reject
 * record carries it in its "filter" field and the database keys triples
 * by it: the mode ("gold", "majority", "none"), then each option that
 * differs from its default after a comma ("gold,min-rationale=20").
 * Writes at most n bytes, NUL included, into out; returns out.
 */
char *dss_filter_name(const struct dss_filter_opts *opts, char *out, size_t n);

/* Counts so far: completion records read, kept, and rejected by reason. */
unsigned long dss_filter_read(const struct dss_filter *f);
unsigned long dss_filter_kept(const struct dss_filter *f);
unsigned long dss_filter_rejected(const struct dss_filter *f,
    enum dss_filter_reason r);
/* "no_answer", "truncated", "disagree", "ambiguous", "tie", "empty_rationale". */
/* The name of agreement mode agree ("gold", ...), NULL past the last. */
const char *dss_filter_agree_name(int agree);
const char *dss_filter_reason_name(enum dss_filter_reason r);

/* The counts of a run, or of one dataset or teacher of it. */
struct dss_filter_counts {
	unsigned long read;		/* completion records */
	unsigned long kept;
	unsigned long rejected[DSS_REJECT_NREASONS];
};

enum dss_filter_by {
	DSS_FILTER_BY_DATASET,
	DSS_FILTER_BY_TEACHER
};

/* Everything read so far. */
const struct dss_filter_counts *dss_filter_totals(const struct dss_filter *f);
/* The number of datasets (or teachers) seen, in order of first sight. */
size_t dss_filter_nparts(const struct dss_filter *f, enum dss_filter_by by);
/*
 * The name of dataset (or teacher) i and its counts; the name is "" for
 * records without a teacher and "(other)" for all past the first
 * DSS_FILTER_MAX_PARTS.  Both belong to f.
 */
const char *dss_filter_part(const struct dss_filter *f, enum dss_filter_by by,
    size_t i, const struct dss_filter_counts **counts);
/* Example records passed over. */
unsigned long dss_filter_examples(const struct dss_filter *f);
/* Majority mode: prompts decided, and of them votes of one. */
unsigned long dss_filter_prompts(const struct dss_filter *f);
unsigned long dss_filter_votes_of_one(const struct dss_filter *f);
/* Rejected records in c, all reasons together. */
unsigned long dss_filter_counts_rejected(const struct dss_filter_counts *c);
/*
 * Appends "read N, kept N, rejected N (no_answer N, ...)" for c to out.
 * Returns -1 when out cannot grow.
 */
int dss_filter_counts_text(const struct dss_filter_counts *c,
    struct dss_buf *out);
/*
 * Appends the summary as one JSON object to out (keys in dss-filter(1)):
 * the mode, the totals, examples, prompts and votes of one, the counts
 * by dataset and by teacher, and error (the message that stopped the
 * run, or null).  Returns -1 when out cannot grow.
 */
int dss_filter_summary_json(const struct dss_filter *f, const char *error,
    struct dss_buf *out);

#endif
