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
 * only with the number of samples of a prompt, plus about sixteen bytes
 * per prompt to detect a prompt that reappears later.
 */
#ifndef DSS_FILTER_H
#define DSS_FILTER_H

#include <stddef.h>

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
 * Adds one completion record, the len bytes of JSON text at line, read
 * from input line lineno (the text is copied when it must be kept).
 * Provenance values are passed to the triple byte for byte.  Returns 0,
 * or -1 with err naming the line and the field at fault ("line 12: field
 * 'completion' is not a string"), invalid JSON, an unknown dataset, a
 * prompt that reappears in majority mode, or an error of a callback.
 */
int dss_filter_add(struct dss_filter *f, const char *line, size_t len,
    unsigned long lineno, struct dss_err *err);
/* Decides the last pending prompt (majority mode).  Returns 0 or -1. */
int dss_filter_finish(struct dss_filter *f, struct dss_err *err);

/*
 * Reads JSON Lines from fd (called name in messages) to its end, adds
 * every line that is not blank (a trailing CR removed), and finishes.
 * Reads in large blocks, so records are never copied line by line; a
 * line longer than DSS_FILTER_LINE_MAX is an error.  Returns 0 or -1
 * with err set; fd is not closed.
 */
#define DSS_FILTER_LINE_MAX ((size_t)64 << 20)
int dss_filter_run(struct dss_filter *f, int fd, const char *name,
    struct dss_err *err);

/*
 * The name of the filter opts describe, as every triple and reject
 * record carries it in its "filter" field and the database keys triples
 * by it: the mode ("gold", "majority", "none"), then each option that
 * differs from its default after a comma ("gold,min-rationale=20").
 * Writes at most n bytes, NUL included, into out; returns out.
 */
char *dss_filter_name(const struct dss_filter_opts *opts, char *out, size_t n);

/* Counts so far: records read, kept, and rejected by reason. */
unsigned long dss_filter_read(const struct dss_filter *f);
unsigned long dss_filter_kept(const struct dss_filter *f);
unsigned long dss_filter_rejected(const struct dss_filter *f,
    enum dss_filter_reason r);
/* "no_answer", "truncated", "disagree", "ambiguous", "tie", "empty_rationale". */
const char *dss_filter_reason_name(enum dss_filter_reason r);

#endif
