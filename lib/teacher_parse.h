/* SPDX-License-Identifier: MIT */
/*
 * Teacher responses: the parsed result of one request (completions,
 * finish reasons, token usage) and the parsers every teacher shares --
 * a response body read as a JSON object, untrusted usage figures, and the
 * OpenAI completion format (which OpenAI-compatible servers and OpenAI
 * Batch output lines also use).  This module sits below every provider
 * and depends on nothing of the teachers above it.
 */
#ifndef DSS_TEACHER_PARSE_H
#define DSS_TEACHER_PARSE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "err.h"

struct dss_teacher_choice {
	char *text;		/* owned; never NULL after a parse */
	char *finish_reason;	/* owned; NULL when the provider gave none */
};

/* A parsed response; release with dss_teacher_result_free. */
struct dss_teacher_result {
	struct dss_teacher_choice *choices;	/* n of them, in order */
	int n;
	int has_usage;
	long prompt_tokens;	/* 0..DSS_TEACHER_USAGE_MAX when has_usage */
	long completion_tokens;
	int bad_usage;		/* usage was sent but out of range: ignored */
	char *teacher;		/* replay: the recorded teacher name or NULL */
};

#define DSS_TEACHER_RESULT_INIT { NULL, 0, 0, 0, 0, 0, NULL }

/* The most tokens one response may report for its prompt or completion. */
#define DSS_TEACHER_USAGE_MAX 100000000L

void dss_teacher_result_free(struct dss_teacher_result *res);

/*
 * Appends a choice of copies of text (NULL: "") and finish_reason (may be
 * NULL) to res.  Returns -1 when out of memory (res unchanged).
 */
int dss_teacher_add_choice(struct dss_teacher_result *res, const char *text,
    const char *finish_reason);
/*
 * Takes the token counts a server reported into res.  Usage numbers are
 * not trusted: each must be a whole number from 0 to
 * DSS_TEACHER_USAGE_MAX.  Both valid: has_usage is set.  Either sent but
 * out of range (negative, fractional, huge, not a number): the usage is
 * rejected whole, has_usage stays 0 and bad_usage is set.  Both absent:
 * nothing is set.  ct may be absent (NULL) when completion_optional.
 */
void dss_teacher_set_usage(struct dss_teacher_result *res, const cJSON *pt,
    const cJSON *ct, int completion_optional);
/*
 * Parses a response body as a JSON object for a provider's parse.
 * Returns the object (the caller deletes it) or NULL with err set and
 * its kind: DSS_ERR_TOO_DEEP (nested deeper than cJSON parses),
 * DSS_ERR_NOMEM, DSS_ERR_PARSE (not JSON, or not an object).
 */
cJSON *dss_teacher_parse_body(const char *body, size_t len,
    struct dss_err *err);
/*
 * Makes cJSON count its failed allocations (once per process; harmless
 * to call again), so that a parse that failed for want of memory can be
 * told from one of bad JSON.
 */
void dss_teacher_json_hooks(void);
/* Failed cJSON allocations so far (0 unless the hooks are installed). */
unsigned long dss_teacher_json_nomem(void);
/*
 * Parses an OpenAI chat or text completion body already parsed (also the
 * "body" of an OpenAI Batch output line) into res.  Choices are put in
 * "index" order; the text is message.content or text, whichever is
 * present.  Returns 0, or -1 with err set.
 */
int dss_teacher_openai_parse_json(const cJSON *j,
    struct dss_teacher_result *res, struct dss_err *err);

#endif
