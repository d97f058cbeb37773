/* SPDX-License-Identifier: MIT */
/*
 * The official release of Distilling Step-by-Step (datasets.zip of
 * google-research/distilling-step-by-step), read as dss records.  The
 * release holds, per dataset DS (esnli, anli1, cqa and svamp), the
 * examples of each split as JSON Lines in datasets/DS/DS_SPLIT.json and
 * the teacher's (PaLM 540B) raw completions in
 * datasets/DS/llm/SPLIT_CoT_I.json, each a JSON array of strings, batch I
 * covering examples I*B to I*B+B-1 of the split in order.  This module
 * finds those members in an archive (through lib/archive) or in an
 * unpacked directory, checks that the completions line up with the
 * examples, and turns them into example and completion records that
 * follow the record contract, with the same ids dss-fetch gives.
 * Everything is streamed: one example and one completion are in memory
 * at a time.
 *
 * What the module knows of a dataset is its manifest's "release" section
 * (dss-manifest(5)): the datasets of a release are the manifests of
 * dss_manifest_dir() that have one, and its batch size and files, the
 * official loader's form, the columns of its rows and how they become
 * record fields are all read there.  The functions below that take a
 * dataset name read the manifests of dss_manifest_dir() once, and again
 * when it names another directory; dss_release_open reads them for the
 * release it opens.
 */
#ifndef DSS_RELEASE_H
#define DSS_RELEASE_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"
#include "manifest.h"

#define DSS_RELEASE_TEACHER "palm-540b"

enum {
	DSS_RELEASE_EXAMPLES = 1,	/* emit example records */
	DSS_RELEASE_COMPLETIONS = 2,	/* emit completion records */
};

struct dss_release_opts {
	const char *dataset;	/* one dataset, or NULL for every one found */
	const char *split;	/* one split, or NULL for every split */
	int what;		/* DSS_RELEASE_EXAMPLES and/or _COMPLETIONS */
};
#define DSS_RELEASE_OPTS_INIT { NULL, NULL, \
	DSS_RELEASE_EXAMPLES | DSS_RELEASE_COMPLETIONS }

/*
 * Called once per record, in output order, with the record as len bytes
 * of compact JSON ending in a newline (one JSON Lines line), borrowed
 * for the call.  Returns 0, or -1 with err set to stop the run.
 */
typedef int dss_release_emit_fn(void *arg, const char *json, size_t len,
    struct dss_err *err);

struct dss_release;	/* opaque */

/*
 * Opens a release: an archive in any format libarchive reads, or a
 * directory holding datasets/ (or being the datasets directory itself).
 * An archive is read once here to index its member names.  Returns NULL
 * with err set ("cannot read 'x.zip': ...").  Caller frees with
 * dss_release_close.
 */
struct dss_release *dss_release_open(const char *path, struct dss_err *err);
void dss_release_close(struct dss_release *r);

/*
 * Reads the selected datasets and splits.  Order: datasets by their
 * manifests' release order (esnli, anli1, cqa, svamp); splits as train,
 * valid, test (those with batch files); within a split by
 * index, each example record followed by its completion record.  With
 * emit NULL nothing is emitted but every check runs, so that a caller can
 * validate the whole selection before writing a single record (dss-import
 * runs it twice: first with emit NULL, then with its writer).  With emit
 * set the release is read once, examples and batches in step; a problem
 * met then stops the run after the records already emitted.
 *
 * For a dataset whose manifest names "problems" (svamp: SVAMP.json), when
 * the release holds that file, the fields of example INDEX of a split
 * come from its row permutation[START + INDEX], the permutation and
 * START being those of the split in the manifest (RandomState(0) of the
 * 1,000 problems, train from 0 and test from 800, as the official code
 * drew them); a row whose text or label differs from the example fails
 * the run.
 *
 * Checks: every selected split has its examples file; every example row
 * builds a valid example; with completions selected, batches 0 to
 * ceil(N/B)-1 are all present, each holds exactly B completions (the last
 * N - (n-1)*B), and no batch lies beyond them.  Messages name the member,
 * e.g. "'datasets/esnli/llm/train_CoT_3.json': 5499 completions, expected
 * 5500" or "'datasets/cqa/cqa_train.json': line 7: field 'choices' is not
 * an array of 5 strings".  Returns 0 or -1.
 */
int dss_release_run(struct dss_release *r, const struct dss_release_opts *o,
    dss_release_emit_fn *emit, void *arg, struct dss_err *err);
/*
 * Completions emitted so far whose text was repaired with U+FFFD (see
 * struct dss_jstrings).
 */
unsigned long dss_release_repaired(const struct dss_release *r);

/*
 * The names of the datasets whose manifests have a release section, in
 * their release order, at most max of them, into names (valid as long as
 * dss_release_form's).  Returns how many there are.
 */
size_t dss_release_datasets(const char **names, size_t max);
/* 1 when name is a dataset whose manifest has a release section. */
int dss_release_dataset_known(const char *name);
/* 1 when name is a split name (train, valid, test). */
int dss_release_split_known(const char *name);
/* 1 when dataset has batch files of split (cqa and svamp have no valid). */
int dss_release_has_split(const char *dataset, const char *split);
/* The batch size B of a known dataset, else 0. */
long dss_release_batch_size(const char *dataset);

/*
 * How the official trainer reads a dataset of the release, so that a
 * corpus from any teacher can be written in its layout (dss-export) and
 * trained on unchanged.  Its loader opens batch files 0 to batches[s]-1
 * of split s (train, valid, test; 0 when the dataset has no such split)
 * whatever the split's size, and parses each completion with a rule of
 * its own: cot is a completion that rule reads back as the rationale and
 * the answer, a template of {rationale}, {answer} and, for multiple
 * choice, {answer_key:lower} (see dss_prompt_render); blank is one it
 * reads as no rationale and no answer without failing; a rationale or
 * answer holding any of splits_at would be cut apart by it.
 */
struct dss_release_form {
	const char *name;	/* the dataset */
	long batch;
	long batches[3];
	const char *cot;
	const char *blank;
	const char *splits_at[4];	/* NULL-terminated */
	const struct dss_manifest *manifest;	/* the dataset's */
};

/*
 * The form of a known dataset, else NULL; it and its manifest live until
 * the manifests are read again (a call naming a dataset after
 * $DSS_DATASETS changed).
 */
const struct dss_release_form *dss_release_form(const char *dataset);
/* "train", "valid" or "test" for s = 0, 1, 2. */
const char *dss_release_split_name(int s);

/*
 * Appends the example record for row, the len bytes of the release's
 * JSON object at 0-based index of split, to out as compact JSON (no
 * newline), byte for byte what cJSON_PrintUnformatted prints for it.
 * Returns 0, or -1 with err naming the field ("field 'label' is not 0, 1
 * or 2") or the text (jscan.h's messages), out unchanged.  The record is
 * built by the manifest's release columns (dss-manifest(5)); svamp's
 * fields are those its input and label give (body and question split at
 * the last newline, equation); dss_release_run adds SVAMP.json's.
 */
int dss_release_example(const char *dataset, const char *split,
    long long index, const char *row, size_t len, struct dss_buf *out,
    struct dss_err *err);

/*
 * The inverse of dss_release_example: builds the release's row (the
 * object of one line of DS_SPLIT.json) for an example record of dataset,
 * with exactly the release's columns in its order (the manifest's release
 * columns), so that the official loader, which drops them by name, finds
 * every one: esnli premise,
 * hypothesis, label (0, 1, 2), explanation_1 to explanation_3; anli1 uid,
 * premise, hypothesis, label, reason; cqa id, question, choices (5
 * strings), answer, abstractive_explanation, extractive_explanation;
 * svamp input, label.  A value the record does not hold is an empty
 * string.  Returns a new object (caller frees) or NULL with err naming
 * the field ("field 'label' is not entailment, neutral or contradiction").
 */
cJSON *dss_release_row(const char *dataset, const cJSON *example,
    struct dss_err *err);

/*
 * Appends to out the completion record of example (len bytes, as
 * dss_release_example wrote it for index of split of dataset): its keys,
 * then the teacher's with text (tlen bytes).  Returns 0, or -1 when out
 * cannot grow.
 */
int dss_release_completion(const char *example, size_t len,
    const char *dataset, const char *split, long long index,
    const char *text, size_t tlen, struct dss_buf *out);

/*
 * The request key of a release completion: the hex SHA-256 of the compact
 * JSON array [TEACHER, DATASET, SPLIT, INDEX, SAMPLE], e.g. of
 * ["palm-540b","svamp","train",42,0].  Stable across runs, so re-imports
 * are idempotent in dss-store.
 */
void dss_release_request(const char *teacher, const char *dataset,
    const char *split, long long index, int sample, char out[65]);
/* The names are plain words (no quotes or backslashes) as above. */

/*
 * A streaming reader of one JSON array of strings (a batch file), holding
 * one decoded string at a time, so that a batch never needs to be in
 * memory whole (it reads the stream in blocks of 64 KiB, so that what is
 * left of the stream after the array is not to be read by anyone else).
 * Strings are decoded to UTF-8 by the scanner's decoder (jscan.h), one
 * literal at a time.  They are the teacher's text, which is repaired
 * rather than refused, as dss-teach repairs a response (dss_jscan_repair):
 * bytes that are not valid UTF-8 (each maximal ill-formed sequence), a
 * lone UTF-16 surrogate and \u0000 become U+FFFD, and the strings so
 * repaired are counted.
 */
struct dss_jstrings {
	FILE *fp;		/* not owned */
	int state;		/* 0 before '[', 1 inside, 2 after ']' */
	long long count;	/* strings read so far */
	unsigned long long offset;	/* bytes consumed, for messages */
	struct dss_buf s;	/* the current string */
	unsigned long repaired;	/* strings with U+FFFD put in */
	/*
	 * The reader's own: a block read from fp, the next byte in it, and
	 * the current string's literal as it stands.
	 */
	char *blk;
	size_t bpos, bend;
	struct dss_buf raw;
};
#define DSS_JSTRINGS_INIT(fp) { (fp), 0, 0, 0, DSS_BUF_INIT, 0, NULL, 0, 0, \
	DSS_BUF_INIT }

/*
 * Reads the next string into j->s.  Returns 1, 0 after the closing ']'
 * (and only whitespace after it), or -1 with err saying what is wrong and
 * where ("byte 812: invalid escape").  Reading a stream error gives -1
 * with "read error".
 */
int dss_jstrings_next(struct dss_jstrings *j, struct dss_err *err);
void dss_jstrings_free(struct dss_jstrings *j);

#endif
