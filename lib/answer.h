/* SPDX-License-Identifier: MIT */
/*
 * Answer extraction from teacher completions.  A completion is cut where
 * it runs on into a new few-shot block, its answer statements ("So the
 * answer is ...", "Answer: ...") are found with PCRE2 patterns compiled
 * once (with JIT where available), and the stated answer is read
 * according to the dataset's kind: a choice letter and/or text, a label
 * named by one of the manifest's synonyms (nli), or an arithmetic
 * equation or bare number.  The rationale is the text before the
 * answer statement.  An answer that is missing, cut off by the token
 * limit, ambiguous or malformed is reported with a status and a reason,
 * never guessed.
 *
 * Configuration comes from the "answer" object of a dataset manifest,
 * the only source of the rules (there are no built-in ones):
 *
 *   { "kind": "choice" | "nli" | "equation",
 *     "cut": [ PCRE2 patterns where a run-on block begins ],
 *     "statement": [ PCRE2 patterns matching an answer statement ],
 *     "synonyms": { "phrase": "label", ... } }       (nli only)
 *
 * "kind", "cut" (which may be empty) and "statement" (which may not) are
 * required, and so is "synonyms" for nli: its labels are the label set.  A statement pattern need only match from the word "answer"
 * on: lead-in words just before a match ("So the final", "Therefore,
 * the") are taken as part of the statement, so that the rationale ends
 * before them.  Cut patterns are searched as one alternation.  A compiled configuration holds PCRE2 match data and so must
 * not be used by two threads at once.
 */
#ifndef DSS_ANSWER_H
#define DSS_ANSWER_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"

enum dss_answer_kind {
	DSS_ANSWER_CHOICE,
	DSS_ANSWER_NLI,
	DSS_ANSWER_EQUATION
};

enum dss_answer_status {
	DSS_ANSWER_OK,
	DSS_ANSWER_NO_ANSWER,	/* no answer statement found */
	DSS_ANSWER_TRUNCATED,	/* cut off by the token limit */
	DSS_ANSWER_AMBIGUOUS,	/* several answers, or letter and text disagree */
	DSS_ANSWER_MALFORMED	/* a statement whose answer cannot be read */
};

struct dss_answer_config;

/*
 * Compiles the "answer" object spec.  Returns a new configuration the
 * caller frees with dss_answer_config_free, or NULL with err naming the
 * field at fault (a missing required key, an unknown kind, a pattern that
 * does not compile, a synonym that is not a string).
 */
struct dss_answer_config *dss_answer_config_new(const cJSON *spec,
    struct dss_err *err);
void dss_answer_config_free(struct dss_answer_config *c);
enum dss_answer_kind dss_answer_config_kindof(const struct dss_answer_config *c);

/*
 * Compiled configurations by dataset name, each loaded on first use from
 * the "answer" section of the dataset's manifest (dss_manifest_load, so
 * $DSS_DATASETS applies).
 */
struct dss_answer_cache;

/* Returns a new empty cache, or NULL when out of memory. */
struct dss_answer_cache *dss_answer_cache_new(void);
/* Frees the cache and every configuration in it. */
void dss_answer_cache_free(struct dss_answer_cache *cache);
/*
 * The configuration for dataset, owned by the cache.  NULL with err set
 * when the dataset has no manifest ("unknown dataset 'x' ..."), or its
 * answer section is missing or wrong (the message begins with the
 * manifest's path: "'datasets/x.json': field 'answer.cut' is missing").  Names containing '/' are never looked up.
 */
struct dss_answer_config *dss_answer_cache_get(struct dss_answer_cache *cache,
    const char *dataset, struct dss_err *err);

/* The result of one extraction.  Initialise with DSS_ANSWER_INIT. */
struct dss_answer {
	enum dss_answer_status status;
	struct dss_buf answer;		/* normalized answer; empty unless ok */
	struct dss_buf rationale;	/* text before the answer statement */
	double value;			/* the equation's value (equation kind) */
	char reason[256];		/* why the status is not ok; "" when ok */
};

#define DSS_ANSWER_INIT { DSS_ANSWER_OK, DSS_BUF_INIT, DSS_BUF_INIT, 0, { 0 } }

void dss_answer_free(struct dss_answer *a);
/* "ok", "no_answer", "truncated", "ambiguous" or "malformed". */
const char *dss_answer_status_name(enum dss_answer_status s);

/*
 * Extracts the answer of the len bytes of completion into out (whose
 * previous contents are replaced).  finish_reason may be NULL; "length"
 * means the teacher hit its token limit.  choices (nchoices texts) are
 * the record's answer choices, required for the choice kind and ignored
 * otherwise.  The normalized answer is the choice text for choice, the
 * label word (entailment, neutral, contradiction) for nli, and the
 * equation as stated for equation.  Returns 0 whatever the status, or -1
 * with err set on an internal failure: out of memory (err's kind is
 * DSS_ERR_NOMEM) or a PCRE2 matching error (DSS_ERR_OTHER).
 */
int dss_answer_extract(struct dss_answer_config *c, const char *completion,
    size_t len, const char *finish_reason, const char *const *choices,
    size_t nchoices, struct dss_answer *out, struct dss_err *err);

/*
 * True when two normalized answers of kind are the same answer: equal
 * strings, or for equation equal values within DSS_EXPR_REL_TOL.
 * Strings that do not evaluate are compared as strings.
 */
int dss_answer_same(enum dss_answer_kind kind, const char *a, const char *b);

#endif
