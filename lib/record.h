/* SPDX-License-Identifier: MIT */
/*
 * Record types.  Records flow from tool to tool as JSON Lines, and each
 * tool reads one type: dss-prompt examples, dss-teach prompts, dss-filter
 * completions; dss-store takes them all.  A record's type is told by the
 * fields it has, in one place for every tool (here), whether the record
 * was parsed with cJSON or scanned with lib/jscan; a tool given the
 * wrong type says which type it got and which step makes the one it
 * needs.
 */
#ifndef DSS_RECORD_H
#define DSS_RECORD_H

#include <cjson/cJSON.h>

#include "err.h"
#include "jscan.h"

/* In the order of the pipeline. */
enum dss_record_type {
	DSS_RECORD_EXAMPLE,
	DSS_RECORD_PROMPT,
	DSS_RECORD_COMPLETION,
	DSS_RECORD_TRIPLE,
	DSS_RECORD_REJECT,	/* a completion dss-filter rejected */
	DSS_RECORD_TEACH_CACHE,	/* only in merges; never read from a stream */
	DSS_RECORD_NTYPES
};

/*
 * The type of a record by its fields, the latest step's first:
 * "rationale" makes a triple; "completion" or "request" with "reason" a
 * reject, and without it a completion; "prompt", "messages" or
 * "template" a prompt; "input" and "label" together an example.  Returns
 * -1 with err set otherwise ("record is of no known type (...)").
 */
int dss_record_type(const cJSON *rec, struct dss_err *err);
/* The same for a record scanned with dss_jscan_object. */
int dss_record_type_scan(const struct dss_jscan *j, struct dss_err *err);

/* "example", "prompt", "completion", "triple", "reject". */
const char *dss_record_name(int type);

/*
 * The message for a record of type got given to the tool reader, which
 * reads records of type want, naming the step that makes them: "an
 * example record; dss-teach reads prompt records: run dss-prompt first"
 * when got comes earlier in the pipeline, "a triple record; dss-filter
 * reads completion records, which dss-teach and dss-import write" when
 * it comes later.  got may be -1 (no known type; err then holds why, and
 * the reader's need is added).  Returns -1.
 */
int dss_record_wrong(int got, int want, const char *reader,
    struct dss_err *err);

#endif
