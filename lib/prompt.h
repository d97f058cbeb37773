/* SPDX-License-Identifier: MIT */
/*
 * Few-shot chain-of-thought prompts.  An exemplar file (one per dataset,
 * datasets/exemplars/DATASET.json) holds how an example is rendered as a
 * query, the cue that asks for the answer, the answer sentence, an
 * optional system line for chat, and the exemplars themselves, each an
 * example's fields plus a rationale and an answer.  A prompter turns an
 * example record into a prompt record: the flat few-shot text for
 * completion APIs ("prompt"), the same as chat turns ("messages"), and a
 * hash of everything that shaped them ("template").
 *
 * Templates name fields in braces: "{question}" is the field's text,
 * "{choices}" an array of strings rendered as lines "(a) text", and
 * "{answer_key:lower}" a field in lower case; "{{" and "}}" stand for
 * braces.  The exemplar file format is described in dss-prompt(1).
 */
#ifndef DSS_PROMPT_H
#define DSS_PROMPT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"

#define DSS_PROMPT_FORMAT 1	/* the exemplar file format and rendering */
#define DSS_PROMPT_MAX_SHOTS 64

enum dss_prompt_style {
	DSS_PROMPT_CHAT,
	DSS_PROMPT_COMPLETION,
};

/* "chat" or "completion". */
const char *dss_prompt_style_name(enum dss_prompt_style style);

/*
 * Renders template tmpl with the fields of obj into out (appending).
 * where prefixes field names in messages ("fields." gives "field
 * 'fields.question' is missing").  Returns -1 with err set.
 */
int dss_prompt_render(struct dss_buf *out, const char *tmpl, const cJSON *obj,
    const char *where, struct dss_err *err);

struct dss_exemplars;

/*
 * Loads and checks an exemplar file: every exemplar must render with the
 * file's templates.  Returns NULL with err naming the file (and the
 * exemplar, 1-based, and field).  Caller frees with dss_exemplars_free.
 */
struct dss_exemplars *dss_exemplars_load(const char *path, struct dss_err *err);
void dss_exemplars_free(struct dss_exemplars *ex);
size_t dss_exemplars_count(const struct dss_exemplars *ex);
/* The dataset the file is for, and its path; both belong to ex. */
const char *dss_exemplars_dataset(const struct dss_exemplars *ex);
const char *dss_exemplars_path(const struct dss_exemplars *ex);
/* The file's answer sentence template ("So the answer is {answer}."); belongs to ex. */
const char *dss_exemplars_answer(const struct dss_exemplars *ex);

struct dss_prompter;

/*
 * A prompter for records of any dataset.  With path it uses that one
 * exemplar file (records of other datasets are errors), else it loads
 * DIR/exemplars/DATASET.json as each dataset first appears, DIR being the
 * datasets directory (dss_manifest_dir).  shots < 0 means every exemplar
 * of the file.  Returns NULL with err set (a bad file or too few
 * exemplars for shots).  Caller frees with dss_prompter_free.
 */
struct dss_prompter *dss_prompter_new(const char *path, int shots,
    enum dss_prompt_style style, struct dss_err *err);
void dss_prompter_free(struct dss_prompter *p);

/*
 * Adds "prompt", "messages", "template" and "style" to the example record
 * rec (replacing any already there).  Returns 1 when done; 0 when the
 * record's query is the same as one of the exemplars' (it must not be
 * queried: err then says which exemplar, and rec is untouched); -1 on a
 * bad record or exemplar file, with err naming the field.
 */
int dss_prompter_apply(struct dss_prompter *p, cJSON *rec, struct dss_err *err);

#endif
