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
#include "fetch.h"
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
 * With out NULL, reads the split just as far and fills st, writing
 * nothing: the rows must parse and have their input fields.
 */
int dss_dataset_write(const struct dss_manifest *m,
    const struct dss_manifest_split *split, char *const *paths, FILE *out,
    struct dss_dataset_stats *st, struct dss_err *err);

/* err->code after dss_dataset_fetch when a split's count is not the manifest's. */
#define DSS_DATASET_ECOUNT 100

/*
 * Fetches the files of the n splits (dss_fetch_open with fo; a source's
 * max_bytes, else fo->max_bytes, limits its download), then writes their
 * records to out in order, filling st[i] for splits[i].  Unless
 * allow_count_mismatch is set, each split whose count the manifest gives
 * is read once without writing and must have that count before the first
 * record is written; other splits are read once, as they are written.  A
 * new download that nothing vouches for (see fetch.h) enters the cache
 * and its lock file only when every split that reads it has been read
 * without error (and counted right, where that is checked); one that a
 * split fails to read, or counts wrong, is deleted, and one left unread by
 * another failure stays a .part for a later run to resume and check.
 * Returns 0, or -1 with err set; err->code is a dss_fetch_error,
 * or DSS_DATASET_ECOUNT for a count that is not the manifest's
 * ("NAME SPLIT has N examples where the manifest expects M").  On a
 * checksum mismatch of a pinned file fetched through a mirror, the message
 * says what to do (the bundled mirror of toy data has its own manifests).
 */
int dss_dataset_fetch(const struct dss_manifest *m,
    const struct dss_manifest_split *const *splits, size_t n,
    const struct dss_fetch_opts *fo, int allow_count_mismatch, FILE *out,
    struct dss_dataset_stats *st, struct dss_err *err);

/*
 * A short name for source src in messages: the last component of its URL,
 * followed by ":MEMBER" for an archive member.  Caller frees.
 */
char *dss_dataset_source_name(const struct dss_manifest_source *src);

#endif
