/* SPDX-License-Identifier: MIT */
/*
 * The recovery file: paid answers that the database could not take (disk
 * full, an I/O error, a removed file) are appended here, one teach_cache
 * row per line, and fsynced, so that none is lost; the next dss-teach run
 * (or dss-store) imports them into the cache before it sends anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "db.h"
#include "jsonl.h"
#include "jsonw.h"
#include "teach.h"
#include "teach_impl.h"

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

int
dss_cache_put(sqlite3_stmt *st, const struct dss_cache_row *x)
{
	int rc;

	bind_text(st, 1, x->request);
	bind_text(st, 2, x->provider);
	bind_text(st, 3, x->model);
	bind_text(st, 4, x->dataset);
	bind_text(st, 5, x->id);
	sqlite3_bind_int(st, 6, x->sample);
	bind_text(st, 7, x->completion);
	bind_text(st, 8, x->finish_reason);
	if (x->has_usage) {
		sqlite3_bind_int64(st, 9, x->prompt_tokens);
		sqlite3_bind_int64(st, 10, x->completion_tokens);
	} else {
		sqlite3_bind_null(st, 9);
		sqlite3_bind_null(st, 10);
	}
	if (x->has_usage && x->has_cost)
		sqlite3_bind_double(st, 11, x->cost);
	else
		sqlite3_bind_null(st, 11);
	sqlite3_bind_int64(st, 12, x->latency_ms);
	bind_text(st, 13, x->response);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc;
}

int
dss_teach_recovery_path(const char *dbpath, char *out, size_t outsz)
{
	int n = snprintf(out, outsz, "%s.recovery.jsonl", dbpath);

	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

/* ,"key": and the string s, or null when s is NULL. */
#define STR(b, key, s) DSS_JSONW_STR((b), key, (s), (s) ? strlen(s) : 0)
/* ,"key": and the number v as cJSON prints it (the file's format). */
#define NUM(b, key, v) (DSS_JSONW_KEY((b), key) < 0 ? -1 : \
	dss_jscan_number_cjson((b), (double)(v)))

/* One row as a JSON line (with newline) appended to b. */
static int
row_line(struct dss_buf *b, const struct dss_cache_row *x)
{
	size_t start = b->len;
	int r;

	r = STR(b, "request", x->request) | STR(b, "provider", x->provider) |
	    STR(b, "model", x->model) | STR(b, "dataset", x->dataset) |
	    STR(b, "id", x->id) | NUM(b, "sample", x->sample) |
	    STR(b, "completion", x->completion) |
	    STR(b, "finish_reason", x->finish_reason);
	if (x->has_usage)
		r |= NUM(b, "prompt_tokens", x->prompt_tokens) |
		    NUM(b, "completion_tokens", x->completion_tokens);
	if (x->has_usage && x->has_cost)
		r |= NUM(b, "cost_usd", x->cost);
	r |= NUM(b, "latency_ms", x->latency_ms) |
	    STR(b, "response", x->response) | dss_jsonw_end(b, start);
	if (r < 0)
		dss_buf_truncate(b, start);
	return r < 0 ? -1 : 0;
}

/*
 * Opens path for appending under an exclusive lock, making sure the lock
 * is on the file that is at path now (an importer may have renamed it
 * away meanwhile).  Returns the descriptor or -1.
 */
static int
open_locked(const char *path)
{
	struct stat a, b;
	int fd, i;

	for (i = 0; i < 100; i++) {
		if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0600)) < 0)
			return -1;
		if (flock(fd, LOCK_EX) < 0 || fstat(fd, &a) < 0) {
			close(fd);
			return -1;
		}
		if (stat(path, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			return fd;
		close(fd);	/* renamed away while we waited: again */
	}
	errno = EAGAIN;
	return -1;
}

int
dss_recovery_append(const char *path, const struct dss_cache_row *rows,
    int n, struct dss_err *err)
{
	struct dss_buf b = DSS_BUF_INIT;
	size_t off = 0;
	int i, fd = -1, r = -1;

	for (i = 0; i < n; i++)
		if (row_line(&b, &rows[i]) < 0) {
			dss_err_set(err, "out of memory");
			goto out;
		}
	if ((fd = open_locked(path)) < 0) {
		dss_err_errno(err, errno, "cannot open '%s'", path);
		goto out;
	}
	while (off < b.len) {
		ssize_t w = write(fd, b.data + off, b.len - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			dss_err_errno(err, errno, "cannot write '%s'", path);
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0) {
		dss_err_errno(err, errno, "cannot write '%s'", path);
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);	/* drops the lock */
	dss_buf_free(&b);
	return r;
}

static long
num(const cJSON *o, const char *name, int *has)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	*has = cJSON_IsNumber(v);
	return *has ? (long)v->valuedouble : 0;
}

struct import {
	sqlite3_stmt *put;
	unsigned long *n;	/* lines stored */
	unsigned long bad;	/* lines passed over */
};

/*
 * Stores one recovery line, or passes over a bad one; returns -1 only
 * when the database fails.
 */
static int
import_line(void *arg, const cJSON *o, struct dss_err *err)
{
	struct import *im = arg;
	struct dss_cache_row x;
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "cost_usd");
	int h1, h2, h3, rc;

	memset(&x, 0, sizeof(x));
	x.request = dss_json_str_opt(o, "request");
	x.provider = dss_json_str_opt(o, "provider");
	x.model = dss_json_str_opt(o, "model");
	if (x.request == NULL || x.provider == NULL || x.model == NULL) {
		im->bad++;
		return 0;
	}
	x.dataset = dss_json_str_opt(o, "dataset");
	x.id = dss_json_str_opt(o, "id");
	x.sample = (int)num(o, "sample", &h1);
	x.completion = dss_json_str_opt(o, "completion");
	x.finish_reason = dss_json_str_opt(o, "finish_reason");
	x.prompt_tokens = num(o, "prompt_tokens", &h2);
	x.completion_tokens = num(o, "completion_tokens", &h3);
	x.has_usage = h2 && h3;
	x.has_cost = cJSON_IsNumber(c);
	x.cost = x.has_cost ? c->valuedouble : 0;
	x.latency_ms = num(o, "latency_ms", &h1);
	x.response = dss_json_str_opt(o, "response");
	if ((rc = dss_cache_put(im->put, &x)) != SQLITE_DONE)
		return dss_err_set(err, "database: %s",
		    sqlite3_errmsg(sqlite3_db_handle(im->put)));
	(*im->n)++;
	return 0;
}

int
dss_teach_recover(sqlite3 *db, const char *path, unsigned long *n,
    struct dss_err *err)
{
	char taken[4200];
	struct dss_lines l = DSS_LINES_INIT(NULL, path);
	sqlite3_stmt *put = NULL;
	struct import im = { NULL, NULL, 0 };
	unsigned long bad = 0;
	int fd = -1, r = -1;

	*n = 0;
	if (snprintf(taken, sizeof(taken), "%s.importing", path) >= (int)sizeof(taken))
		return dss_err_set(err, "'%s': name too long", path);
	/*
	 * A file left by an import that was cut short is imported first; a
	 * new one is taken by renaming it under its lock, so that appends
	 * that come later start a new file.
	 */
	if (access(taken, F_OK) != 0) {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
			if (errno == ENOENT)
				return 0;
			return dss_err_errno(err, errno, "cannot open '%s'", path);
		}
		if (flock(fd, LOCK_EX) < 0 || rename(path, taken) < 0) {
			dss_err_errno(err, errno, "cannot take '%s'", path);
			close(fd);
			return -1;
		}
		close(fd);
	}
	if ((l.fp = fopen(taken, "r")) == NULL)
		return dss_err_errno(err, errno, "cannot open '%s'", taken);
	if ((put = dss_db_prepare(db, DSS_CACHE_PUT_SQL, err)) == NULL ||
	    dss_db_begin(db, err) < 0)
		goto out;
	im.put = put;
	im.n = n;
	if (dss_jsonl_each(&l, import_line, &im, &bad, err) < 0) {
		dss_db_rollback(db);
		goto out;
	}
	if (dss_db_commit(db, err) < 0)
		goto out;
	unlink(taken);
	r = 0;
out:
	sqlite3_finalize(put);
	fclose(l.fp);
	dss_lines_free(&l);
	return r;
}
