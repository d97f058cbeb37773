/* SPDX-License-Identifier: MIT */
/*
 * JSON Lines in and out: the one reader of input records for every dss
 * tool, so that every tool reads, numbers and refuses lines the same way.
 *
 * A struct dss_lines reads a stdio stream in large blocks and hands out
 * one line at a time without copying it, with a hard limit on its length,
 * counting every line (blank or bad ones too), so that an error names the
 * line's true number.  Newlines are '\n'; a CR before one is dropped.  A
 * NUL byte is an ordinary byte to the reader (the JSON scanner refuses
 * it).  A UTF-8 byte-order mark at the very start of the input is
 * dropped; anywhere else it is refused by the scanner, by name.
 *
 * Records are scanned with lib/jscan, which holds them to the rules of
 * dss(7) "Input records": exactly one JSON object per line and nothing
 * after it, strings of valid UTF-8, no \u0000 and no lone surrogate.
 * Every error leaves the reader at the next line, so that a tool may
 * either stop at the first bad line or count it, report it and go on;
 * l->bad tells which errors allow going on.
 */
#ifndef DSS_JSONL_H
#define DSS_JSONL_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"
#include "jscan.h"

#define DSS_LINE_MAX ((size_t)64 << 20)	/* 64 MiB per record */

struct dss_lines {
	FILE *fp;		/* not owned */
	const char *name;	/* for messages, e.g. "stdin"; not owned */
	/*
	 * The current line without its newline: a read-only view into the
	 * reader's block (cap 0, never to be grown or freed by the caller),
	 * NUL-terminated, valid until the next call.
	 */
	struct dss_buf line;
	unsigned long lineno;	/* 1-based number of the current line */
	/*
	 * After a -1: 1 when the line itself was bad (too long, not a
	 * record) and reading may go on with the next line; 0 after a read
	 * error or when out of memory, when nothing more can be read.
	 */
	int bad;
	size_t max;		/* the longest line taken; 0 is DSS_LINE_MAX */
	/* The reader's own. */
	char *blk;		/* the block: lines are views into it */
	size_t cap, start, end;	/* allocated; next line; end of data */
	int eof;
};

#define DSS_LINES_INIT(fp, name) \
	{ (fp), (name), DSS_BUF_INIT, 0, 0, 0, NULL, 0, 0, 0, 0 }

/*
 * Reads the next line into l->line.  Returns 1 on a line, 0 at end of
 * input, -1 on a read error or a line longer than the limit (err says
 * which, naming the line: "line 12: longer than 67108864 bytes"; the
 * long line is skipped and l->bad set, so the next call reads on).
 */
int dss_lines_next(struct dss_lines *l, struct dss_err *err);
void dss_lines_free(struct dss_lines *l);

/*
 * Like dss_lines_next, but passes over blank lines (nothing but spaces
 * and tabs): the next line that should hold a record.
 */
int dss_jsonl_line(struct dss_lines *l, struct dss_err *err);

/*
 * Reads the next record line and scans it into j (dss_jscan_object):
 * the spans point into l->line until the next call.  Returns 1, 0 at end
 * of input, -1 with err naming the line ("line 12: invalid JSON near byte
 * 40", "line 3: field 'input' is not valid UTF-8 (...)") and l->bad set
 * for a bad line.
 */
int dss_jsonl_scan(struct dss_lines *l, struct dss_jscan *j,
    struct dss_err *err);

/*
 * Reads the next record line, scanned as above, and parses it as a JSON
 * object.  On 1, *out is a new object the caller frees with cJSON_Delete.
 * Returns 0 at end of input, -1 on error as dss_jsonl_scan.
 */
int dss_jsonl_next(struct dss_lines *l, cJSON **out, struct dss_err *err);

/*
 * Reads the records to the end of input, handing each object to fn (which
 * does not own it) and passing over bad lines (l->bad), counted in
 * *skipped: a file that a crash may have cut short.  Returns 0; or -1
 * with err set after a read error, or when fn returned -1 (having set
 * err), which stops the reading.
 */
int dss_jsonl_each(struct dss_lines *l,
    int (*fn)(void *arg, const cJSON *obj, struct dss_err *err), void *arg,
    unsigned long *skipped, struct dss_err *err);

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
