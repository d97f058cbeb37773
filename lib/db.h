/* SPDX-License-Identifier: MIT */
/*
 * The dss SQLite database.  dss_db_open opens (creating if asked) a
 * database in WAL mode with a busy timeout, and brings its schema up to
 * the current version with the migrations in lib/db.c, each applied in
 * its own transaction and recorded in PRAGMA user_version.
 */
#ifndef DSS_DB_H
#define DSS_DB_H

#include <sqlite3.h>

#include "err.h"

#define DSS_DB_VERSION 1

enum {
	DSS_DB_CREATE = 1,	/* create the file when it does not exist */
	DSS_DB_READONLY = 2,	/* open read-only; no migration */
};

/* Returns a handle the caller closes with dss_db_close, or NULL. */
sqlite3 *dss_db_open(const char *path, int flags, struct dss_err *err);
void dss_db_close(sqlite3 *db);

/* Runs SQL with no results.  On error err says "PATH: MESSAGE". */
int dss_db_exec(sqlite3 *db, const char *sql, struct dss_err *err);
int dss_db_begin(sqlite3 *db, struct dss_err *err);	/* BEGIN IMMEDIATE */
int dss_db_commit(sqlite3 *db, struct dss_err *err);
void dss_db_rollback(sqlite3 *db);

/* Prepares a statement or fails with the SQLite message. */
sqlite3_stmt *dss_db_prepare(sqlite3 *db, const char *sql, struct dss_err *err);

/* The schema text of schemas/dss.sql, compiled in. */
extern const char dss_schema_sql[];

#endif
