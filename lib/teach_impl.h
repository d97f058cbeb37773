/* SPDX-License-Identifier: MIT */
/*
 * What the synchronous run (teach.c), the batch run (batch.c) and the
 * recovery file (recovery.c) share: one row of the response cache, the
 * one statement that stores it, the file that keeps paid answers when
 * the database fails, and the way a run reports a problem.  Not a public
 * interface.
 */
#ifndef DSS_TEACH_IMPL_H
#define DSS_TEACH_IMPL_H

#include <sqlite3.h>

#include "err.h"

/* One teach_cache row; the strings are not owned. */
struct dss_cache_row {
	const char *request, *provider, *model, *dataset, *id;
	int sample;
	const char *completion, *finish_reason;
	int has_usage;
	long prompt_tokens, completion_tokens;
	int has_cost;
	double cost;
	long latency_ms;
	const char *response;		/* raw body, key masked; may be NULL */
};

#define DSS_CACHE_PUT_SQL "INSERT OR IGNORE INTO teach_cache " \
	"(request, provider, model, dataset, id, sample, completion, " \
	"finish_reason, prompt_tokens, completion_tokens, cost_usd, " \
	"latency_ms, response) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

/*
 * Binds row to put (prepared from DSS_CACHE_PUT_SQL), steps and resets
 * it.  Returns the SQLite result code (SQLITE_DONE on success).
 */
int dss_cache_put(sqlite3_stmt *put, const struct dss_cache_row *row);

/*
 * Appends rows to the recovery file at path as JSON Lines, under an
 * exclusive lock, and fsyncs it before returning 0; -1 with err set.
 */
int dss_recovery_append(const char *path, const struct dss_cache_row *rows,
    int n, struct dss_err *err);

struct dss_teach_opts;

/*
 * Formats a message (cut at 2047 bytes), masks the teacher's key in it
 * and hands it to o->report; nothing when o->report is NULL.
 */
void dss_teach_report(const struct dss_teach_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
