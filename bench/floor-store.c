/* SPDX-License-Identifier: MIT */
/*
 * The floor of the store benchmark: the least work SQLite needs to hold
 * the rows dss-store stores.  One prepared INSERT of 64 rows into the
 * examples table (as dss-store inserts a run of records: lib/store.c),
 * committed every 10,000 rows (DSS_STORE_BATCH), over rows that are
 * already split into columns (tab-separated: dataset, id, split, idx,
 * input, label, record), so that no JSON is parsed or checked.  The
 * database gets the settings and schema dss-store's gets (lib/db.c,
 * lib/store.c): 16 KiB pages, WAL, synchronous NORMAL, foreign keys on,
 * a 16 MiB page cache, and schemas/dss.sql then every migration, named
 * in order on the command line.  A row already stored is left alone (ON
 * CONFLICT DO NOTHING), so a second run over the same rows is the floor
 * of an unchanged load.
 *
 * usage: floor-store DB SCHEMA.sql... < rows.tsv
 */
#define _POSIX_C_SOURCE 200809L
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 10000
#define NCOLS 7

static _Noreturn void
die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "floor-store: %s: %s\n", what,
	    db ? sqlite3_errmsg(db) : "out of memory");
	exit(1);
}

static void
exec(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(db, sql);
}

/* Reads the whole of path into a NUL-terminated string (caller frees). */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s = NULL;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (s = malloc((size_t)n + 1)) == NULL ||
	    fread(s, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "floor-store: cannot read '%s'\n", path);
		exit(1);
	}
	s[n] = '\0';
	fclose(f);
	return s;
}

static void
migrate(sqlite3 *db, int nfiles, char **files)
{
	sqlite3_stmt *st;
	char pragma[64];
	int version, i;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		die(db, "PRAGMA user_version");
	version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	for (i = version; i < nfiles; i++) {
		char *sql = slurp(files[i]);

		exec(db, "BEGIN IMMEDIATE");
		exec(db, sql);
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", i + 1);
		exec(db, pragma);
		exec(db, "COMMIT");
		free(sql);
	}
}

#define GROUP 64

/* Splits line (len bytes, its newline gone) into NCOLS columns at tabs. */
static void
split(char *line, long lineno, char **col)
{
	char *p = line;
	int i;

	for (i = 0; i < NCOLS; i++) {
		col[i] = p;
		p = i < NCOLS - 1 ? strchr(p, '\t') : NULL;
		if (i < NCOLS - 1 && p == NULL) {
			fprintf(stderr, "floor-store: line %ld: %d columns, "
			    "expected %d\n", lineno, i + 1, NCOLS);
			exit(1);
		}
		if (p)
			*p++ = '\0';
	}
}

/* Binds the columns col from parameter base + 1 of st. */
static void
bind(sqlite3_stmt *st, int base, char **col)
{
	int i;

	for (i = 0; i < NCOLS; i++) {
		if (i == 3)
			sqlite3_bind_int64(st, base + 4, strtoll(col[3], NULL, 10));
		else
			sqlite3_bind_text(st, base + i + 1, col[i], -1, SQLITE_STATIC);
	}
}

static void
step(sqlite3 *db, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		die(db, "INSERT");
	sqlite3_reset(st);
}

int
main(int argc, char **argv)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *one, *group;
	char *line[GROUP], *col[NCOLS], sql[8192];
	size_t cap[GROUP], o;
	ssize_t len;
	long lineno = 0, inbatch = 0;
	int i, n = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: floor-store DB SCHEMA.sql...\n");
		return 2;
	}
	memset(line, 0, sizeof(line));
	memset(cap, 0, sizeof(cap));
	if (sqlite3_open(argv[1], &db) != SQLITE_OK)
		die(db, argv[1]);
	sqlite3_busy_timeout(db, 30000);
	exec(db, "PRAGMA page_size = 16384");
	exec(db, "PRAGMA journal_mode = WAL");
	exec(db, "PRAGMA synchronous = NORMAL");
	exec(db, "PRAGMA foreign_keys = ON");
	migrate(db, argc - 2, argv + 2);
	exec(db, "PRAGMA cache_size = -16384");
	o = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO examples (dataset, id, "
	    "split, idx, input, label, record) VALUES ");
	for (i = 0; i < GROUP; i++)
		o += (size_t)snprintf(sql + o, sizeof(sql) - o, "%s(?, ?, ?, ?, ?, ?, ?)",
		    i > 0 ? ", " : "");
	snprintf(sql + o, sizeof(sql) - o, " ON CONFLICT DO NOTHING");
	if (sqlite3_prepare_v2(db, sql, -1, &group, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO examples (dataset, id, split, "
	    "idx, input, label, record) VALUES (?, ?, ?, ?, ?, ?, ?) "
	    "ON CONFLICT DO NOTHING", -1, &one, NULL) != SQLITE_OK)
		die(db, "INSERT");
	exec(db, "BEGIN IMMEDIATE");
	for (;;) {
		/* a group of GROUP rows, or fewer to end a batch or the input */
		for (n = 0; n < GROUP && inbatch + n < BATCH &&
		    (len = getline(&line[n], &cap[n], stdin)) > 0; n++) {
			lineno++;
			if (line[n][len - 1] == '\n')
				line[n][--len] = '\0';
		}
		if (n == GROUP) {
			for (i = 0; i < GROUP; i++) {
				split(line[i], lineno - GROUP + 1 + i, col);
				bind(group, i * NCOLS, col);
			}
			step(db, group);
		} else {
			for (i = 0; i < n; i++) {
				split(line[i], lineno - n + 1 + i, col);
				bind(one, 0, col);
				step(db, one);
			}
		}
		if ((inbatch += n) == BATCH) {
			exec(db, "COMMIT");
			exec(db, "BEGIN IMMEDIATE");
			inbatch = 0;
		} else if (n < GROUP)
			break;
	}
	if (ferror(stdin)) {
		fprintf(stderr, "floor-store: cannot read stdin\n");
		return 1;
	}
	exec(db, "COMMIT");
	sqlite3_finalize(one);
	sqlite3_finalize(group);
	for (i = 0; i < GROUP; i++)
		free(line[i]);
	if (sqlite3_close(db) != SQLITE_OK)
		die(db, "close");
	fprintf(stderr, "floor-store: %ld rows\n", lineno);
	return 0;
}
