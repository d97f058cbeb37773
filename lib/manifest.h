/* SPDX-License-Identifier: MIT */
/*
 * Dataset manifests: one JSON file per dataset in datasets/, describing
 * where its upstream files live (URL, optional archive member, optional
 * pinned SHA-256), their format (csv, jsonl or json-array), how each
 * split is made from them (files concatenated in order, or a numpy
 * RandomState permutation cut into ranges), how upstream fields map to
 * record fields, how the label is found, and the template that builds
 * the input text.  man/dss-manifest.5 is the reference.  Keys the loader
 * does not know are kept, not rejected: other modules read their own
 * sections (such as "answer") through dss_manifest_json.
 */
#ifndef DSS_MANIFEST_H
#define DSS_MANIFEST_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"

enum dss_format {
	DSS_FORMAT_CSV,
	DSS_FORMAT_JSONL,
	DSS_FORMAT_JSON_ARRAY
};

/* Every string below points into the manifest's JSON and lives as long as it. */
struct dss_manifest_source {
	const char *name;
	const char *url;	/* http://, https:// or file:// */
	const char *member;	/* path inside the archive at url, or NULL */
	const char *sha256;	/* 64 lowercase hex digits, or NULL */
	long long max_bytes;	/* size limit of the download, 0 when not given */
	enum dss_format format;
};

struct dss_manifest_split {
	const char *name;
	size_t nsources;
	const struct dss_manifest_source **sources;	/* in reading order */
	long long count;	/* expected number of examples, -1 if unknown */
	int permuted;		/* rows are RandomState(seed).permutation(n)[start:end] */
	unsigned long seed;
	long long start, end;
};

/*
 * A record field: one upstream path, or a list of values when the spec is
 * an array of paths or the path has a "[]" step.
 */
struct dss_manifest_field {
	const char *name;
	int list;
	size_t npaths;
	const char **paths;
};

/* A piece of the input template: literal text, or a field (with a per-item format for lists). */
struct dss_manifest_piece {
	const char *text;	/* literal text (not NUL-terminated), or NULL for a field */
	size_t len;
	size_t field;		/* index into fields */
	const char *fmt;	/* list item format with %a %A %n %s %%, not NUL-terminated */
	size_t fmtlen;
};

/*
 * A column of the rows of the official release (see release.h), and the
 * record field it is: a string field (optional unless required), item
 * "item" of a list field, a list field of exactly "count" strings (with
 * a one-character key each, from keys, naming the item that is the
 * label), the label as an index into the label set (or its name or
 * initial), the label as it stands, the record's input as it stands, or
 * a constant written into rows and ignored when read.  A column with
 * "write": false is read but not written.
 */
enum dss_manifest_column_kind {
	DSS_COLUMN_FIELD,
	DSS_COLUMN_ITEM,
	DSS_COLUMN_LIST,
	DSS_COLUMN_LABEL_INDEX,
	DSS_COLUMN_LABEL_TEXT,
	DSS_COLUMN_INPUT,
	DSS_COLUMN_CONST
};

struct dss_manifest_column {
	const char *name;
	enum dss_manifest_column_kind kind;
	size_t field;		/* FIELD, ITEM, LIST: index into fields */
	int required;		/* FIELD */
	int write;		/* written into rows (dss_release_row) */
	long item;		/* ITEM */
	long count;		/* LIST */
	const char *keys;	/* LIST: count characters, or NULL */
	const char *value;	/* CONST */
};

#define DSS_MANIFEST_SPLITS_AT 4	/* at most 3, NULL-terminated */
#define DSS_MANIFEST_COLUMNS 32		/* columns of a release row at most */

/*
 * The "release" section: how the dataset appears in the official release
 * (release.h).  present is 0 when the manifest has none.
 */
struct dss_manifest_release {
	int present;
	long order;		/* datasets of a release are read in this order */
	long batch;		/* completions per batch file */
	long batches[3];	/* batch files of train, valid, test (0: no split) */
	const char *cot, *blank;
	const char *splits_at[DSS_MANIFEST_SPLITS_AT];
	size_t ncolumns;
	struct dss_manifest_column *columns;	/* in the rows' column order */
	int list;		/* the one LIST column, or -1 */
	const char *problems;	/* the file of upstream rows beside the examples, or NULL */
	size_t nkeys;		/* the keys of a row of it, in order */
	const char **keys;	/* each an upstream path of a field */
	size_t *key_fields;	/* that field */
	size_t nlabels;		/* the label set: the label map's values */
	const char **labels;	/* in order, each once */
};

struct dss_manifest {
	cJSON *root;
	char *path;		/* the file it was loaded from */
	const char *name;
	const char *description;	/* or NULL */
	size_t nsources, nsplits, nfields, npieces;
	struct dss_manifest_source *sources;
	struct dss_manifest_split *splits;
	struct dss_manifest_field *fields;
	struct dss_manifest_piece *pieces;
	const char *label_from;		/* upstream path of the label */
	const cJSON *label_map;		/* upstream value -> label, or NULL */
	const char *choose_keys;	/* with choose_values: the label is the value */
	const char *choose_values;	/* whose key equals label_from's value */
	struct dss_manifest_release release;
};

/*
 * The directory manifests are looked up in: $DSS_DATASETS, else the
 * datasets/ directory beside the running program (BIN/../datasets, as in
 * the source tree), else BIN/../share/dss/datasets (an installed tree,
 * wherever it was moved), else the compiled-in PREFIX/share/dss/datasets.
 * Caller frees.
 */
char *dss_manifest_dir(void);

/*
 * The names of the manifests in dss_manifest_dir() (DATASET for each
 * DATASET.json), at most max of them, sorted, into names, each malloc'd
 * (caller frees).  Returns how many.
 */
size_t dss_manifest_names(char **names, size_t max);

/* err->code after dss_manifest_load when there is no manifest of that name. */
#define DSS_MANIFEST_UNKNOWN 1

/*
 * Loads the manifest for dataset: a path when it contains a '/', else
 * DIR/dataset.json with DIR from dss_manifest_dir.  Returns NULL with err
 * set ("unknown dataset 'x' (known: a, b)", with err->code
 * DSS_MANIFEST_UNKNOWN, or a message naming the file and key at fault).
 * Caller frees with dss_manifest_free.
 */
struct dss_manifest *dss_manifest_load(const char *dataset, struct dss_err *err);

/* Parses a manifest from text; path is used in messages and kept.  Caller frees. */
struct dss_manifest *dss_manifest_parse(const char *text, const char *path,
    struct dss_err *err);

void dss_manifest_free(struct dss_manifest *m);

/* The whole parsed JSON, owned by m, for sections other modules define. */
const cJSON *dss_manifest_json(const struct dss_manifest *m);

/* The split called name, or NULL. */
const struct dss_manifest_split *dss_manifest_split(const struct dss_manifest *m,
    const char *name);

/* The index of the field called name, or -1. */
int dss_manifest_field(const struct dss_manifest *m, const char *name);

/*
 * Renders the input template of m into out, taking the values of field f
 * from values: it returns how many the field has (0 when it is missing)
 * and, called with an out, appends value k to it.  Literal text goes
 * through lit (dss_jscan_escape for JSON text, dss_buf_add for plain).
 * Returns 0, -1 when out cannot grow, or -2 with *missing set to the
 * field that has no value although the template needs one.
 */
typedef size_t dss_manifest_values_fn(void *arg, size_t f);
typedef int dss_manifest_value_fn(void *arg, size_t f, size_t k,
    struct dss_buf *out);
typedef int dss_manifest_text_fn(struct dss_buf *out, const char *s,
    size_t n);
int dss_manifest_render(const struct dss_manifest *m, struct dss_buf *out,
    dss_manifest_values_fn *count, dss_manifest_value_fn *value, void *arg,
    dss_manifest_text_fn *lit, size_t *missing);

#endif
