/* SPDX-License-Identifier: MIT */
/*
 * The dss SQLite database.  dss_db_open opens (creating if asked) a
 * database in WAL mode with a busy timeout, and brings its schema up to
 * the current version with the migrations in schemas/, each applied in
 * its own transaction and recorded in PRAGMA user_version.
 */
#ifndef DSS_DB_H
#define DSS_DB_H

#include <pthread.h>

#include <sqlite3.h>

#include "err.h"

/* The schema version this dss migrates to (the number of migrations). */
#define DSS_DB_VERSION dss_schema_version

enum {
	DSS_DB_CREATE = 1,	/* create the file when it does not exist */
	DSS_DB_READONLY = 2,	/* open read-only; no migration */
};

/*
 * How long a connection waits for another writer's lock before a
 * statement fails with SQLITE_BUSY: 30 s, or the milliseconds in the
 * environment variable DSS_DB_BUSY_MS (1 to 3600000; the tests shorten
 * it).  Every connection dss_db_open makes waits this long.
 */
int dss_db_busy_ms(void);

/*
 * Returns a handle the caller closes with dss_db_close, or NULL.  With
 * DSS_DB_READONLY a WAL database in a directory this process cannot
 * write (so its -shm cannot be made) is read as immutable when no -wal
 * file lies beside it: without locks, so nobody may write it meanwhile.
 */
sqlite3 *dss_db_open(const char *path, int flags, struct dss_err *err);

/* True when an SQLite result code says the file could not be read for
 * want of write access (SQLITE_READONLY, SQLITE_CANTOPEN). */
int dss_db_refused_readonly(int rc);
/*
 * Writes into uri the URI that opens path as immutable ("file:...?
 * immutable=1", with '%', '?', '#' and other bytes percent-encoded), for
 * a database whose directory cannot be written.  Returns -1 when a -wal
 * file lies beside it (commits may be there, and immutable would miss
 * them) or out of memory.
 */
struct dss_buf;
int dss_db_immutable_uri(const char *path, struct dss_buf *uri);
/*
 * For a database opened with DSS_DB_READONLY, which is never migrated:
 * 0 when its schema version is this dss's (or 0: empty, or not made by
 * dss, which is left to the caller), else -1 with err saying how to
 * upgrade it (or that it is newer than this dss).  path names it.
 */
int dss_db_current(sqlite3 *db, const char *path, struct dss_err *err);
void dss_db_close(sqlite3 *db);

/* Runs SQL with no results.  On error err says "PATH: MESSAGE". */
int dss_db_exec(sqlite3 *db, const char *sql, struct dss_err *err);
int dss_db_begin(sqlite3 *db, struct dss_err *err);	/* BEGIN IMMEDIATE */
int dss_db_commit(sqlite3 *db, struct dss_err *err);
void dss_db_rollback(sqlite3 *db);

/* Prepares a statement or fails with the SQLite message. */
sqlite3_stmt *dss_db_prepare(sqlite3 *db, const char *sql, struct dss_err *err);

/*
 * A background checkpointer for a connection that commits often.  Once
 * started, a second connection on a thread of its own copies the WAL
 * into the database (and fsyncs) whenever a commit of db leaves enough
 * frames in it, so that the committing thread never stalls on a
 * checkpoint.  Call dss_db_checkpointer_throttle before a transaction:
 * when the WAL has grown too long it waits for a checkpoint so the WAL
 * can start over.  When the thread cannot be started, db keeps SQLite's
 * automatic checkpoints and the calls do nothing.  Checkpoints change no
 * content.  Stop it before closing db.
 */
struct dss_db_checkpointer {
	sqlite3 *db;		/* its own connection */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int frames;		/* in the WAL after the last commit */
	int pending, running, done, started;
};

void dss_db_checkpointer_start(struct dss_db_checkpointer *ck, sqlite3 *db);
void dss_db_checkpointer_throttle(struct dss_db_checkpointer *ck);
void dss_db_checkpointer_stop(struct dss_db_checkpointer *ck, sqlite3 *db);

/*
 * The schema, compiled in by scripts/embed.sh: migration i (1-based) is
 * dss_schema_migrations[i - 1] and takes the database from version i - 1
 * to i.  Version 1 is schemas/dss.sql; each later one is
 * schemas/migrate-NNN.sql.  A shipped migration is never edited.
 */
extern const char *const dss_schema_migrations[];
extern const int dss_schema_version;

#endif
