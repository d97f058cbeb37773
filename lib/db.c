/* SPDX-License-Identifier: MIT */
/* Opening, migrating and transacting on the dss SQLite database. */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "db.h"

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

/*
 * Brings the schema up to date, one migration per transaction.  The
 * version is read inside the write transaction that applies the next
 * migration, so processes opening a new database at once neither apply
 * a migration twice nor skip one: each waits for the write lock (the busy
 * timeout) and finds the version the previous one left.
 */
static int
user_version(sqlite3 *db, int *version, struct dss_err *err)
{
	sqlite3_stmt *st;

	if ((st = dss_db_prepare(db, "PRAGMA user_version", err)) == NULL)
		return -1;
	*version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return 0;
}

static int
migrate(sqlite3 *db, struct dss_err *err)
{
	sqlite3_stmt *st;
	int version, n = dss_schema_version;

	/* up to date: no write lock is needed (another writer may hold it) */
	if (user_version(db, &version, err) < 0)
		return -1;
	if (version == n)
		return 0;
	for (;;) {
		char pragma[64];

		if (dss_db_begin(db, err) < 0)
			return -1;
		if ((st = dss_db_prepare(db, "PRAGMA user_version", err)) == NULL) {
			dss_db_rollback(db);
			return -1;
		}
		version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
		sqlite3_finalize(st);
		if (version > n) {
			dss_db_rollback(db);
			return dss_err_set(err, "database '%s' has schema version %d, "
			    "newer than this dss (%d)", sqlite3_db_filename(db, "main"),
			    version, n);
		}
		if (version == n)
			return dss_db_commit(db, err);
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
		    version + 1);
		if (dss_db_exec(db, dss_schema_migrations[version], err) < 0 ||
		    dss_db_exec(db, pragma, err) < 0 ||
		    dss_db_commit(db, err) < 0) {
			dss_db_rollback(db);
			return -1;
		}
	}
}

/*
 * Runs a statement that SQLite may refuse at once with SQLITE_BUSY
 * without calling the busy handler (switching to WAL needs the database
 * to itself for a moment): tries again for up to 30 seconds.
 */
static int
exec_patiently(sqlite3 *db, const char *sql, struct dss_err *err)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int i, rc;

	for (i = 0; i < 1500; i++) {
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			break;
		nanosleep(&ts, NULL);
	}
	if (rc != SQLITE_OK) {
		fail(db, err, "database");
		if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
			dss_err_kind(err, DSS_ERR_BUSY);
		return -1;
	}
	return 0;
}

int
dss_db_busy_ms(void)
{
	const char *v = getenv("DSS_DB_BUSY_MS");
	char *end;
	long ms;

	if (v == NULL || *v == '\0')
		return 30000;
	ms = strtol(v, &end, 10);
	return *end == '\0' && ms >= 1 && ms <= 3600000 ? (int)ms : 30000;
}

int
dss_db_refused_readonly(int rc)
{
	return (rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_CANTOPEN;
}

int
dss_db_immutable_uri(const char *path, struct dss_buf *uri)
{
	struct stat st;
	const char *p;
	int r = 0;

	dss_buf_reset(uri);
	if (dss_buf_addf(uri, "%s-wal", path) < 0)
		return -1;
	if (lstat(uri->data, &st) == 0 || errno != ENOENT)
		return -1;	/* commits may lie in the WAL: not without it */
	dss_buf_reset(uri);
	r |= dss_buf_adds(uri, "file:");
	/* "//" would start an authority; "./" keeps a relative path one */
	if (path[0] == '/' && path[1] == '/')
		r |= dss_buf_adds(uri, "/");
	for (p = path; *p; p++)
		if (*p == '%' || *p == '?' || *p == '#' ||
		    (unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			r |= dss_buf_addf(uri, "%%%02X", (unsigned char)*p);
		else
			r |= dss_buf_addch(uri, *p);
	r |= dss_buf_adds(uri, "?immutable=1");
	return r < 0 ? -1 : 0;
}

/* Reads the schema's first page: SQLITE_OK, or why it cannot be read. */
static int
probe(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1,
	    &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		rc = SQLITE_OK;
	sqlite3_finalize(st);
	return rc;
}

/*
 * Opens path read-only.  A WAL database in a directory this process
 * cannot write has no -shm to share, and SQLite refuses to read it; when
 * no -wal lies beside it (its last writer closed it, so the file holds
 * every commit) it is opened as immutable instead: read without locks,
 * trusting that nobody writes it meanwhile.
 */
static sqlite3 *
open_readonly(const char *path, struct dss_err *err)
{
	struct dss_buf uri = DSS_BUF_INIT;
	sqlite3 *db = NULL, *im = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		dss_err_set(err, "cannot open database '%s': %s", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, dss_db_busy_ms());
	if (dss_db_refused_readonly(probe(db)) &&
	    dss_db_immutable_uri(path, &uri) == 0) {
		if (sqlite3_open_v2(uri.data, &im, SQLITE_OPEN_READONLY |
		    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL) == SQLITE_OK &&
		    probe(im) == SQLITE_OK) {
			sqlite3_close(db);
			db = im;
		} else
			sqlite3_close(im);	/* the caller meets the first error */
	}
	dss_buf_free(&uri);
	return db;
}

int
dss_db_current(sqlite3 *db, const char *path, struct dss_err *err)
{
	int v;

	if (user_version(db, &v, err) < 0)
		return -1;
	if (v > dss_schema_version)
		return dss_err_set(err, "database '%s' has schema version %d, "
		    "newer than this dss (%d)", path, v, dss_schema_version);
	if (v > 0 && v < dss_schema_version)
		return dss_err_set(err, "database '%s' has the older schema "
		    "version %d; open it with this dss first (dss-store '%s' "
		    "</dev/null)", path, v, path);
	return 0;
}

sqlite3 *
dss_db_open(const char *path, int flags, struct dss_err *err)
{
	sqlite3 *db = NULL;
	int oflags;

	if (flags & DSS_DB_READONLY) {
		if ((db = open_readonly(path, err)) == NULL)
			return NULL;
		sqlite3_busy_timeout(db, dss_db_busy_ms());
		sqlite3_extended_result_codes(db, 1);
		return db;
	}
	/* URIs for ATTACH: a merged shard may be read as immutable */
	oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI | ((flags & DSS_DB_CREATE) ?
	    SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &db, oflags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		dss_err_set(err, "cannot open database '%s': %s", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, dss_db_busy_ms());
	sqlite3_extended_result_codes(db, 1);
	/*
	 * Records are JSON of a kilobyte or so: 16 KiB pages hold more of
	 * them per page and cut the I/O of bulk loads by a third.  This only
	 * takes effect on a new, empty database (before WAL).
	 */
	if (exec_patiently(db, "PRAGMA page_size = 16384", err) < 0 ||
	    exec_patiently(db, "PRAGMA journal_mode = WAL", err) < 0 ||
	    dss_db_exec(db, "PRAGMA synchronous = NORMAL", err) < 0 ||
	    dss_db_exec(db, "PRAGMA foreign_keys = ON", err) < 0 ||
	    migrate(db, err) < 0) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

void
dss_db_close(sqlite3 *db)
{
	if (db != NULL)
		sqlite3_close(db);
}

/*
 * The background checkpointer (see db.h).  Instead of the committing
 * thread copying the WAL into the database every CHECKPOINT_FRAMES pages
 * (SQLite's automatic checkpoint), a second connection on a thread of its
 * own does it, so that the copying overlaps the writing.  The WAL hook of
 * the loading connection wakes it after a commit that leaves enough
 * frames in the WAL.  A WAL can only start over when a write begins with
 * every frame copied, so when it grows past WAL_LIMIT frames the writer
 * waits for the checkpointer before its next transaction.  Checkpoints
 * change no content: transactions and rollbacks are as without it.
 */
#define CHECKPOINT_FRAMES 1000
#define WAL_LIMIT (4 * CHECKPOINT_FRAMES)

static int
wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct dss_db_checkpointer *ck = arg;

	pthread_mutex_lock(&ck->lock);
	ck->frames = frames;
	if (frames >= CHECKPOINT_FRAMES) {
		ck->pending = 1;
		pthread_cond_broadcast(&ck->cond);
	}
	pthread_mutex_unlock(&ck->lock);
	return SQLITE_OK;
}

static void *
checkpoint_main(void *arg)
{
	struct dss_db_checkpointer *ck = arg;

	pthread_mutex_lock(&ck->lock);
	for (;;) {
		while (!ck->pending && !ck->done)
			pthread_cond_wait(&ck->cond, &ck->lock);
		if (!ck->pending)
			break;
		ck->pending = 0;
		ck->running = 1;
		pthread_mutex_unlock(&ck->lock);
		sqlite3_wal_checkpoint_v2(ck->db, "main", SQLITE_CHECKPOINT_PASSIVE,
		    NULL, NULL);
		pthread_mutex_lock(&ck->lock);
		ck->running = 0;
		pthread_cond_broadcast(&ck->cond);
	}
	pthread_mutex_unlock(&ck->lock);
	return NULL;
}

void
dss_db_checkpointer_start(struct dss_db_checkpointer *ck, sqlite3 *db)
{
	const char *path = sqlite3_db_filename(db, "main");

	memset(ck, 0, sizeof(*ck));
	if (path == NULL || *path == '\0' || !sqlite3_threadsafe())
		return;
	if (sqlite3_open_v2(path, &ck->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(ck->db, dss_db_busy_ms());
	/* Reading the schema makes the connection see the WAL. */
	if (sqlite3_exec(ck->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL,
	    NULL) != SQLITE_OK)
		goto fail;
	pthread_mutex_init(&ck->lock, NULL);
	pthread_cond_init(&ck->cond, NULL);
	if (pthread_create(&ck->thread, NULL, checkpoint_main, ck) != 0) {
		pthread_mutex_destroy(&ck->lock);
		pthread_cond_destroy(&ck->cond);
		goto fail;
	}
	ck->started = 1;
	sqlite3_wal_hook(db, wal_hook, ck);
	return;
fail:
	sqlite3_close(ck->db);
	ck->db = NULL;
}

void
dss_db_checkpointer_throttle(struct dss_db_checkpointer *ck)
{
	if (!ck->started)
		return;
	pthread_mutex_lock(&ck->lock);
	if (ck->frames >= WAL_LIMIT) {
		while (ck->pending || ck->running)
			pthread_cond_wait(&ck->cond, &ck->lock);
		ck->frames = 0;
	}
	pthread_mutex_unlock(&ck->lock);
}

void
dss_db_checkpointer_stop(struct dss_db_checkpointer *ck, sqlite3 *db)
{
	if (!ck->started)
		return;
	sqlite3_wal_autocheckpoint(db, CHECKPOINT_FRAMES);
	pthread_mutex_lock(&ck->lock);
	ck->done = 1;
	pthread_cond_broadcast(&ck->cond);
	pthread_mutex_unlock(&ck->lock);
	pthread_join(ck->thread, NULL);
	pthread_mutex_destroy(&ck->lock);
	pthread_cond_destroy(&ck->cond);
	sqlite3_close(ck->db);
	ck->started = 0;
}
