/* SPDX-License-Identifier: MIT */
/*
 * Manifest-driven normalization: reads a split's upstream files (CSV,
 * JSON Lines or one JSON array, plain or inside an archive) and writes
 * them as example records, one JSON object per line, in the official
 * order: {"dataset","split","id","index","input","label","fields"}.
 * Rows without a usable label are skipped and counted.  CSV and JSON
 * Lines are streamed; only a JSON array, or a split made by permutation,
 * is held in memory whole.  CSV is parsed on a second thread, in batches,
 * while the calling thread formats records; the caller sees one call.
 */
#ifndef DSS_DATASET_H
#define DSS_DATASET_H

#include <stdio.h>

#include "err.h"
#include "manifest.h"

struct dss_dataset_stats {
	unsigned long long count;	/* example records written */
	unsigned long long skipped;	/* upstream rows without a usable label */
};

#define DSS_DATASET_STATS_INIT { 0, 0 }

/*
 * Writes the example records of split to out.  paths[i] is the local copy
 * of m->sources[i] (entries for sources the split does not use may be
 * NULL).  Fills st.  Returns 0, or -1 with err naming the file, the line
 * (or array element) and the field at fault; records already written stay
 * written, so callers that need all-or-nothing write to a temporary file.
 */
int dss_dataset_write(const struct dss_manifest *m,
    const struct dss_manifest_split *split, char *const *paths, FILE *out,
    struct dss_dataset_stats *st, struct dss_err *err);

/*
 * A short name for source src in messages: the last component of its URL,
 * followed by ":MEMBER" for an archive member.  Caller frees.
 */
char *dss_dataset_source_name(const struct dss_manifest_source *src);

#endif
