/* SPDX-License-Identifier: MIT */
/* Opening, migrating and transacting on the dss SQLite database. */
#include <stddef.h>
#include <stdio.h>

#include "db.h"

/*
 * Migration i (1-based) takes the schema from version i-1 to i.  Append
 * new entries; never edit one that has shipped.
 */
static const char *const migrations[] = {
	dss_schema_sql,
};

static int
fail(sqlite3 *db, struct dss_err *err, const char *what)
{
	const char *file = db ? sqlite3_db_filename(db, "main") : NULL;

	return dss_err_set(err, "%s '%s': %s", what, file && *file ? file : "?",
	    db ? sqlite3_errmsg(db) : "out of memory");
}

int
dss_db_exec(sqlite3 *db, const char *sql, struct dss_err *err)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return fail(db, err, "database");
	return 0;
}

int
dss_db_begin(sqlite3 *db, struct dss_err *err)
{
	return dss_db_exec(db, "BEGIN IMMEDIATE", err);
}

int
dss_db_commit(sqlite3 *db, struct dss_err *err)
{
	return dss_db_exec(db, "COMMIT", err);
}

void
dss_db_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

sqlite3_stmt *
dss_db_prepare(sqlite3 *db, const char *sql, struct dss_err *err)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fail(db, err, "database");
		return NULL;
	}
	return st;
}

static int
migrate(sqlite3 *db, struct dss_err *err)
{
	sqlite3_stmt *st;
	int version, i, n = (int)(sizeof(migrations) / sizeof(migrations[0]));

	if ((st = dss_db_prepare(db, "PRAGMA user_version", err)) == NULL)
		return -1;
	version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (version > n)
		return dss_err_set(err, "database '%s' has schema version %d, newer "
		    "than this dss (%d)", sqlite3_db_filename(db, "main"), version, n);
	for (i = version; i < n; i++) {
		char pragma[64];

		if (dss_db_begin(db, err) < 0)
			return -1;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", i + 1);
		if (dss_db_exec(db, migrations[i], err) < 0 ||
		    dss_db_exec(db, pragma, err) < 0 ||
		    dss_db_commit(db, err) < 0) {
			dss_db_rollback(db);
			return -1;
		}
	}
	return 0;
}

sqlite3 *
dss_db_open(const char *path, int flags, struct dss_err *err)
{
	sqlite3 *db = NULL;
	int oflags;

	oflags = (flags & DSS_DB_READONLY) ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | ((flags & DSS_DB_CREATE) ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &db, oflags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		dss_err_set(err, "cannot open database '%s': %s", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 30000);
	sqlite3_extended_result_codes(db, 1);
	if (!(flags & DSS_DB_READONLY)) {
		/*
		 * Records are JSON of a kilobyte or so: 16 KiB pages hold more
		 * of them per page and cut the I/O of bulk loads by a third.
		 * This only takes effect on a new, empty database (before WAL).
		 */
		if (dss_db_exec(db, "PRAGMA page_size = 16384", err) < 0 ||
		    dss_db_exec(db, "PRAGMA journal_mode = WAL", err) < 0 ||
		    dss_db_exec(db, "PRAGMA synchronous = NORMAL", err) < 0 ||
		    dss_db_exec(db, "PRAGMA foreign_keys = ON", err) < 0 ||
		    migrate(db, err) < 0) {
			sqlite3_close(db);
			return NULL;
		}
	}
	return db;
}

void
dss_db_close(sqlite3 *db)
{
	if (db != NULL)
		sqlite3_close(db);
}
