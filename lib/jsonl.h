/* SPDX-License-Identifier: MIT */
/*
 * JSON Lines in and out.  A struct dss_lines reads one line at a time
 * from a stdio stream with a hard limit on line length and counts line
 * numbers, so every error can name its record.  Records are cJSON
 * objects; emitting one writes it unformatted followed by a newline.
 */
#ifndef DSS_JSONL_H
#define DSS_JSONL_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"

#define DSS_LINE_MAX ((size_t)64 << 20)	/* 64 MiB per record */

struct dss_lines {
	FILE *fp;		/* not owned */
	const char *name;	/* for messages, e.g. "stdin"; not owned */
	struct dss_buf line;	/* current line without its newline */
	unsigned long lineno;	/* 1-based number of the current line */
};

#define DSS_LINES_INIT(fp, name) { (fp), (name), DSS_BUF_INIT, 0 }

/*
 * Reads the next line into l->line (newline and a trailing CR removed).
 * Returns 1 on a line, 0 at end of input, -1 on a read error or a line
 * longer than DSS_LINE_MAX (err says which, naming the line).
 */
int dss_lines_next(struct dss_lines *l, struct dss_err *err);
void dss_lines_free(struct dss_lines *l);

/*
 * Reads the next non-blank line and parses it as a JSON object.  On 1,
 * *out is a new object the caller frees with cJSON_Delete.  Returns 0 at
 * end of input, -1 on error with err naming the line ("line 12: ...").
 */
int dss_jsonl_next(struct dss_lines *l, cJSON **out, struct dss_err *err);

/* Writes obj as one line.  Returns -1 on a write or allocation error. */
int dss_jsonl_write(FILE *fp, const cJSON *obj);

/*
 * Field accessors used when validating records.  Each returns the field's
 * value, or fails with "field 'NAME' is missing" / "is not a string" etc.
 * Strings returned belong to obj.
 */
const char *dss_json_str(const cJSON *obj, const char *name, struct dss_err *err);
/* Like dss_json_str but returns NULL without error when absent or null. */
const char *dss_json_str_opt(const cJSON *obj, const char *name);
int dss_json_int(const cJSON *obj, const char *name, long long *out,
    struct dss_err *err);
const cJSON *dss_json_obj(const cJSON *obj, const char *name, struct dss_err *err);

#endif
