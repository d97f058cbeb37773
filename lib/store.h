/* SPDX-License-Identifier: MIT */
/*
 * Storing records in the dss database.  dss_store_load reads JSON Lines
 * records of any type (example, prompt, completion, triple, reject: told
 * apart by their fields, see record.h) and upserts each into its table, in
 * one transaction per batch, so that a failed batch leaves nothing behind
 * and earlier batches stay.  A row whose stored record is byte-for-byte
 * the same is not rewritten, so a second identical run changes nothing.
 * dss_store_merge copies every table of another dss database (a shard of
 * a sharded dss-teach run) into an open one, in one transaction.
 */
#ifndef DSS_STORE_H
#define DSS_STORE_H

#include <stddef.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "err.h"
#include "jsonl.h"
#include "record.h"

struct dss_store_counts {
	unsigned long long records;	/* records (rows) read */
	unsigned long long inserted;	/* new rows */
	unsigned long long updated;	/* rows whose record changed */
	unsigned long long unchanged;	/* rows already stored as they are */
	unsigned long long by_type[DSS_RECORD_NTYPES];	/* records per table */
	unsigned long long subsets;	/* merges: subsets, each one record */
};

#define DSS_STORE_BATCH 10000

/*
 * The table a type is stored in ("examples", ..., "rejects").
 *
 * Triples and rejects are stored under the filter that made them, the
 * record's "filter" field (see dss_filter_name).  A record without one
 * (written before dss-filter wrote it) is given the filter it must have
 * come from, as schema version 3 did for the triples it found: "majority"
 * when it has votes, else for a triple "none" unless it agrees, and
 * "gold" otherwise.  Storing a reject never touches the completions
 * table.
 */
const char *dss_record_table(int type);

/*
 * Reads every record from l and upserts it into db, committing every
 * batch records (0 means DSS_STORE_BATCH).  The stored record text is the
 * line as read.  The type of each record is told by dss_record_type;
 * a reject record goes to the completions table, as the completion it
 * came from.  On a bad record or a database error the current batch is
 * rolled back and -1 returned with err naming the line and field
 * ("line 12: field 'label' is missing"); c then counts the batches
 * committed before it.  c is zeroed first.  l is read on a thread of
 * its own and the WAL is checkpointed on another, both joined before
 * the return; db must not be used elsewhere meanwhile.
 */
int dss_store_load(sqlite3 *db, struct dss_lines *l, size_t batch,
    struct dss_store_counts *c, struct dss_err *err);

/*
 * Copies every row of the dss database at path into db, in one
 * transaction: rows new to db are inserted, rows whose record differs
 * replace the stored ones, and teach_cache rows already present are
 * kept (a cached response is never replaced).  A subset (of dss-sample)
 * new to db comes with its members, one stored with the same members in
 * the same order is left as it is, and one stored with other members
 * stops the merge with an error naming it.  Refuses a file that is
 * not a dss database, has a schema version other than this dss's, or is
 * db itself.  Adds to c (which the caller zeroes).
 */
int dss_store_merge(sqlite3 *db, const char *path, struct dss_store_counts *c,
    struct dss_err *err);

#endif
