/* SPDX-License-Identifier: MIT */
/*
 * dss-teach --batch: the same prompts, answers and cache as the
 * synchronous run, sent through the providers' batch APIs at their batch
 * price.  Every step is recorded in the database before it is taken
 * (schemas/migrate-005.sql), so that a rerun after kill -9 picks up where
 * the last one stopped without paying twice:
 *
 *   planned    the batch and its request keys (leased to "batch:ID") are
 *              committed in one transaction before anything is uploaded;
 *   uploaded   OpenAI: the input file is at the provider (file_id);
 *   creating   the create call may have reached the provider: a rerun
 *              lists the provider's batches and adopts ours (OpenAI by
 *              input_file_id, Gemini by displayName, Anthropic, which has
 *              no name or metadata on a batch, by creation time and
 *              request count) before it creates again;
 *   submitted  in flight: polled until it ends;
 *   collected  every result is in teach_cache, or its request is marked
 *              for a retry in a new batch, or failed for good.
 *
 * The shapes relied on:
 *  - OpenAI Batch API: POST /v1/files (multipart, purpose=batch) of JSONL
 *    lines {custom_id, method, url, body}; POST /v1/batches {input_file_id,
 *    endpoint, completion_window, metadata}; GET /v1/batches/{id} (status
 *    validating, in_progress, finalizing, completed, failed, expired,
 *    cancelling, cancelled; request_counts; output_file_id,
 *    error_file_id); GET /v1/files/{id}/content; output and error lines
 *    {custom_id, response: {status_code, body}, error}.
 *  - Anthropic Message Batches: POST /v1/messages/batches {requests:
 *    [{custom_id, params}]}; GET /v1/messages/batches/{id}
 *    (processing_status in_progress, canceling, ended; request_counts;
 *    results_url); results JSONL {custom_id, result: {type: succeeded
 *    (message) | errored (error) | canceled | expired}}.
 *  - Gemini Batch Mode (ai.google.dev/api/batch-mode, "Batch API" guide):
 *    POST /v1beta/models/{model}:batchGenerateContent {batch: {displayName,
 *    inputConfig: {requests: {requests: [{request, metadata: {key}}]}}}}
 *    answers an Operation named "batches/{id}"; GET /v1beta/batches/{id}
 *    (metadata.state BATCH_STATE_PENDING, _RUNNING, _SUCCEEDED, _FAILED,
 *    _CANCELLED, _EXPIRED; done; response.inlinedResponses.
 *    inlinedResponses[] of {response | error}, in request order -- the
 *    metadata is not always echoed, so the position is the fallback key);
 *    GET /v1beta/batches lists them.  Inline requests must keep the
 *    create call under 20 MB, the documented limit for inline batches.
 *
 * custom_id (and Gemini's metadata key) is the request key itself: 64 hex
 * digits, within Anthropic's 1-64 characters of [A-Za-z0-9_-].
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "db.h"
#include "http.h"
#include "jscan.h"
#include "jsonl.h"
#include "record.h"
#include "retry.h"
#include "teach.h"
#include "teach_impl.h"
#include "teacher_impl.h"

enum { P_OPENAI, P_ANTHROPIC, P_GEMINI };

/* The limits of one batch, per provider. */
static const struct limit {
	const char *provider;
	int kind;
	long requests;
	size_t bytes;
} limits[] = {
	{ "openai", P_OPENAI, 50000, (size_t)200 << 20 },
	{ "openai-completions", P_OPENAI, 50000, (size_t)200 << 20 },
	{ "anthropic", P_ANTHROPIC, 100000, (size_t)256 << 20 },
	{ "gemini", P_GEMINI, 100000, (size_t)20 << 20 },
};

/* Results are stored in transactions of this many. */
#define CHUNK 500
/* A lease that never lapses: the batch holds the key until collected. */
#define FOREVER 1e18

struct brun {
	sqlite3 *db;
	const struct dss_teach_opts *o;
	const struct dss_teacher *t;
	struct dss_teach_stats *st;
	struct dss_err *err;
	const struct limit *lim;
	struct dss_http *http;
	unsigned int seed;
	double bound;		/* cost bounds of the batches this run made */
	int refused;		/* a 401/403: stop */
	/* results waiting to be committed (one chunk) */
	struct dss_cache_row rows[CHUNK];
	char *owned[CHUNK][6];	/* the strings of rows[i] */
	int nrows;
};

static int
dberr(struct brun *b)
{
	return dss_err_set(b->err, "database '%s': %s",
	    sqlite3_db_filename(b->db, "main"), sqlite3_errmsg(b->db));
}

/* Runs sql with text parameters (NULL-terminated list); -1 on error. */
static int
exec_args(struct brun *b, const char *sql, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	const char *s;
	int i = 1, rc;

	if ((st = dss_db_prepare(b->db, sql, b->err)) == NULL)
		return -1;
	va_start(ap, sql);
	while ((s = va_arg(ap, const char *)) != NULL)
		sqlite3_bind_text(st, i++, s, -1, SQLITE_TRANSIENT);
	va_end(ap);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : dberr(b);
}

/* ---- HTTP ---------------------------------------------------------------- */

static int
header(struct dss_http_req *req, const char *name, const char *value,
    struct dss_err *err)
{
	return dss_teacher_header(req, name, value, err);
}

/* The provider's authentication headers. */
static int
auth(struct brun *b, struct dss_http_req *req)
{
	const char *key = b->t->key;
	struct dss_buf v = DSS_BUF_INIT;
	int r = 0;

	switch (b->lim->kind) {
	case P_OPENAI:
		if (key == NULL)
			return 0;
		if (dss_buf_addf(&v, "Bearer %s", key) < 0)
			r = dss_err_set(b->err, "out of memory");
		else
			r = header(req, "Authorization", v.data, b->err);
		memset(v.data, 0, v.len);
		dss_buf_free(&v);
		return r;
	case P_ANTHROPIC:
		if (key && header(req, "x-api-key", key, b->err) < 0)
			return -1;
		return header(req, "anthropic-version", "2023-06-01", b->err);
	default:
		return key ? header(req, "x-goog-api-key", key, b->err) : 0;
	}
}

static void
on_done(struct dss_http_req *req, void *arg)
{
	*(int *)arg = 1;
}

/* Runs one request to its end on the engine. */
static int
run_one(struct brun *b, struct dss_http_req *req)
{
	int done = 0;

	if (dss_http_add(b->http, req, b->err) < 0)
		return -1;
	while (!done)
		if (dss_http_poll(b->http, 1000, on_done, &done, b->err) < 0)
			return -1;
	return 0;
}

/*
 * Sends req (url, body, headers and get already set; auth is added here)
 * until it answers 2xx, under the one retry policy of dss-teach: transport
 * failures, 408, 409, 425, 429 and 5xx are retried up to o->retries times,
 * after the server's Retry-After (capped by o->max_wait) or backoff with
 * jitter.  A download cut short is retried too (curl says so).  Returns 0,
 * or -1 with err saying "cannot WHAT: ..." (the key masked) and
 * err->code the last HTTP status.
 */
static int
call(struct brun *b, struct dss_http_req *req, const char *what)
{
	const struct dss_retry policy = { b->o->retries, b->o->backoff_base,
	    b->o->backoff_cap, b->o->max_wait, 0 };
	int attempt;
	char why[600];

	if (auth(b, req) < 0)
		return -1;
	req->timeout_ms = b->o->timeout_ms;
	for (attempt = 1;; attempt++) {
		double wait, asked = -1;
		int retry;

		if (req->sink != NULL && (fflush(req->sink) == EOF ||
		    ftruncate(fileno(req->sink), 0) < 0 ||
		    fseek(req->sink, 0, SEEK_SET) < 0))
			return dss_err_errno(b->err, errno, "cannot %s: a temporary "
			    "file", what);
		if (run_one(b, req) < 0)
			return -1;
		if (req->curl_code == 0 && req->status >= 200 && req->status <= 299)
			return 0;
		if (req->curl_code != 0) {
			snprintf(why, sizeof(why), "%s", req->error);
			retry = req->fail_kind == DSS_ERR_OTHER &&
			    req->curl_code != CURLE_UNSUPPORTED_PROTOCOL &&
			    req->curl_code != CURLE_URL_MALFORMAT;
		} else {
			char msg[300];

			dss_teacher_error_message(b->t, req->resp.data, req->resp.len,
			    msg, sizeof(msg));
			snprintf(why, sizeof(why), "HTTP %ld: %s", req->status, msg);
			retry = dss_retry_status(req->status);
			if (req->status == 401 || req->status == 403)
				b->refused = 1;
			if (req->retry_after >= 0)
				asked = req->retry_after;
		}
		dss_teacher_mask(b->t, why, strlen(why));
		if (retry) {
			switch (dss_retry_next(&policy, attempt, asked, &b->seed, &wait)) {
			case DSS_RETRY_TOO_LONG:
				retry = 0;
				snprintf(why + strlen(why), sizeof(why) - strlen(why),
				    "; the server asked to wait %.0f s, more than "
				    "--max-wait %g s", wait, b->o->max_wait);
				break;
			case DSS_RETRY_GIVE_UP:
				retry = 0;
				break;
			case DSS_RETRY_WAIT:
				break;
			}
		}
		if (!retry) {
			dss_err_set(b->err, "cannot %s: %s", what, why);
			b->err->code = (int)req->status;
			return -1;
		}
		b->st->retries++;
		dss_clock_sleep(wait);
	}
}

/* A new request for base URL + path (path may be a whole URL). */
static int
req_init(struct brun *b, struct dss_http_req *req, const char *fmt, ...)
{
	struct dss_buf url = DSS_BUF_INIT;
	va_list ap;
	int r;

	memset(req, 0, sizeof(*req));
	req->resp = (struct dss_buf)DSS_BUF_INIT;
	r = dss_buf_adds(&url, b->t->base_url);
	va_start(ap, fmt);
	r |= dss_buf_vaddf(&url, fmt, ap);
	va_end(ap);
	if (r < 0) {
		dss_buf_free(&url);
		return dss_err_set(b->err, "out of memory");
	}
	req->url = dss_buf_detach(&url, NULL);
	return req->url ? 0 : dss_err_set(b->err, "out of memory");
}

/* Sets a JSON body (takes body). */
static int
req_json(struct brun *b, struct dss_http_req *req, cJSON *body)
{
	char *s = body ? cJSON_PrintUnformatted(body) : NULL;

	cJSON_Delete(body);
	if (s == NULL)
		return dss_err_set(b->err, "out of memory");
	req->body = s;
	req->body_len = strlen(s);
	return header(req, "Content-Type", "application/json", b->err) < 0 ||
	    header(req, "Expect", "", b->err) < 0 ? -1 : 0;
}

/* Parses a 2xx body as a JSON object; NULL with err set. */
static cJSON *
resp_json(struct brun *b, struct dss_http_req *req, const char *what)
{
	struct dss_err e = DSS_ERR_INIT;
	cJSON *j;

	dss_teacher_mask(b->t, req->resp.data, req->resp.len);
	if ((j = dss_teacher_parse_body(req->resp.data, req->resp.len, &e)) == NULL)
		dss_err_set(b->err, "cannot %s: the answer is not a JSON object: %s",
		    what, e.msg);
	return j;
}

/* ---- the batch table ------------------------------------------------------ */

struct batch {
	long long id;
	char tag[40];
	char state[16];
	char *file_id, *remote_id;
	long requests;
	size_t bytes;
	double submitted;
};

static void
batch_free(struct batch *x)
{
	free(x->file_id);
	free(x->remote_id);
	memset(x, 0, sizeof(*x));
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? strdup(s) : NULL;
}

/* Loads batch id into x. */
static int
batch_load(struct brun *b, long long id, struct batch *x)
{
	sqlite3_stmt *st;
	int rc;

	memset(x, 0, sizeof(*x));
	if ((st = dss_db_prepare(b->db, "SELECT tag, state, file_id, remote_id, "
	    "requests, bytes, submitted FROM teach_batches WHERE batch = ?",
	    b->err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return rc == SQLITE_DONE ? dss_err_set(b->err, "batch %lld is gone",
		    id) : dberr(b);
	}
	x->id = id;
	snprintf(x->tag, sizeof(x->tag), "%s", sqlite3_column_text(st, 0));
	snprintf(x->state, sizeof(x->state), "%s", sqlite3_column_text(st, 1));
	x->file_id = col_dup(st, 2);
	x->remote_id = col_dup(st, 3);
	x->requests = (long)sqlite3_column_int64(st, 4);
	x->bytes = (size_t)sqlite3_column_int64(st, 5);
	x->submitted = sqlite3_column_double(st, 6);
	sqlite3_finalize(st);
	return 0;
}

/* Sets column col (file_id, remote_id, remote_status) and the state. */
static int
batch_set(struct brun *b, struct batch *x, const char *state, const char *col,
    const char *value)
{
	char sql[200], id[32];

	snprintf(id, sizeof(id), "%lld", x->id);
	if (col)
		snprintf(sql, sizeof(sql), "UPDATE teach_batches SET state = ?, "
		    "%s = ?, updated = strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', 'now') "
		    "WHERE batch = ?", col);
	if ((col ? exec_args(b, sql, state, value, id, (char *)NULL) :
	    exec_args(b, "UPDATE teach_batches SET state = ?, updated = "
	    "strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE batch = ?", state, id,
	    (char *)NULL)) < 0)
		return -1;
	snprintf(x->state, sizeof(x->state), "%s", state);
	return 0;
}

/* ---- building a submission ------------------------------------------------ */

/* The path of the teacher's endpoint ("/v1/chat/completions"). */
static const char *
endpoint_path(const char *url)
{
	const char *p = strstr(url, "://");

	p = p ? p + 3 : url;
	p = strchr(p, '/');
	return p ? p : "/";
}

/*
 * The path of the endpoint the synchronous run posts to (what an OpenAI
 * batch line's "url" and the batch's "endpoint" name).
 */
static int
openai_path(struct brun *b, char *out, size_t outsz)
{
	struct dss_teacher_params p = DSS_TEACHER_PARAMS_INIT;
	struct dss_http_req probe = DSS_HTTP_REQ_INIT;
	struct dss_err e = DSS_ERR_INIT;
	cJSON *empty = b->t->ops->chat ? cJSON_CreateArray() :
	    cJSON_CreateString("");
	int r = 0;

	if (empty == NULL || b->t->ops->request(b->t, empty, &p, 1, &probe,
	    &e) < 0)
		r = dss_err_set(b->err, "%s", e.msg[0] ? e.msg : "out of memory");
	else
		snprintf(out, outsz, "%s", endpoint_path(probe.url));
	cJSON_Delete(empty);
	dss_http_req_free(&probe);
	return r;
}

/*
 * Appends the requests of batch x to out in the provider's submission
 * shape: JSONL lines (OpenAI), the "requests" array items (Anthropic,
 * Gemini), comma-separated.
 */
static int
build_items(struct brun *b, struct batch *x, struct dss_buf *out)
{
	sqlite3_stmt *st;
	char path[256] = "";
	int rc, n = 0, r = -1;

	if (b->lim->kind == P_OPENAI && openai_path(b, path, sizeof(path)) < 0)
		return -1;
	if ((st = dss_db_prepare(b->db, "SELECT request, body FROM "
	    "teach_batch_requests WHERE batch = ? ORDER BY pos", b->err)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, x->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(st, 0);
		const char *body = (const char *)sqlite3_column_text(st, 1);
		int bad = 0;

		switch (b->lim->kind) {
		case P_OPENAI:
			bad = dss_buf_addf(out, "{\"custom_id\":\"%s\",\"method\":"
			    "\"POST\",\"url\":", key) < 0 ||
			    dss_teacher_quote(out, path) < 0 ||
			    dss_buf_addf(out, ",\"body\":%s}\n", body) < 0;
			break;
		case P_ANTHROPIC:
			bad = dss_buf_addf(out, "%s{\"custom_id\":\"%s\",\"params\":%s}",
			    n ? "," : "", key, body) < 0;
			break;
		default:
			bad = dss_buf_addf(out, "%s{\"request\":%s,\"metadata\":"
			    "{\"key\":\"%s\"}}", n ? "," : "", body, key) < 0;
			break;
		}
		if (bad) {
			sqlite3_finalize(st);
			dss_err_set(b->err, "out of memory for batch %lld", x->id);
			goto out;
		}
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		dberr(b);
		goto out;
	}
	r = 0;
out:
	return r;
}

/* ---- submitting ------------------------------------------------------------ */

static const char *
jstr(const cJSON *o, const char *name)
{
	return dss_json_str_opt(o, name);
}

/* OpenAI: uploads the input file; state planned -> uploaded. */
static int
openai_upload(struct brun *b, struct batch *x)
{
	struct dss_http_req req;
	struct dss_buf body = DSS_BUF_INIT;
	char boundary[48], ctype[96];
	cJSON *j = NULL;
	const char *id;
	int r = -1;

	snprintf(boundary, sizeof(boundary), "dss-%08x%08x",
	    (unsigned)rand_r(&b->seed), (unsigned)rand_r(&b->seed));
	if (req_init(b, &req, "/files") < 0)
		return -1;
	/* JSON never holds a raw CR LF, so the boundary cannot occur inside */
	if (dss_buf_addf(&body, "--%s\r\nContent-Disposition: form-data; "
	    "name=\"purpose\"\r\n\r\nbatch\r\n--%s\r\nContent-Disposition: "
	    "form-data; name=\"file\"; filename=\"%s.jsonl\"\r\nContent-Type: "
	    "application/jsonl\r\n\r\n", boundary, boundary, x->tag) < 0 ||
	    build_items(b, x, &body) < 0 ||
	    dss_buf_addf(&body, "\r\n--%s--\r\n", boundary) < 0) {
		if (b->err->msg[0] == '\0')
			dss_err_set(b->err, "out of memory");
		goto out;
	}
	snprintf(ctype, sizeof(ctype), "multipart/form-data; boundary=%s",
	    boundary);
	req.body_len = body.len;
	req.body = dss_buf_detach(&body, NULL);
	if (req.body == NULL || header(&req, "Content-Type", ctype, b->err) < 0 ||
	    header(&req, "Expect", "", b->err) < 0 ||
	    call(b, &req, "upload the batch input file") < 0 ||
	    (j = resp_json(b, &req, "upload the batch input file")) == NULL)
		goto out;
	if ((id = jstr(j, "id")) == NULL) {
		dss_err_set(b->err, "cannot upload the batch input file: the answer "
		    "has no 'id'");
		goto out;
	}
	r = batch_set(b, x, "uploaded", "file_id", id);
	if (r == 0) {
		free(x->file_id);
		x->file_id = strdup(id);
	}
out:
	cJSON_Delete(j);
	dss_buf_free(&body);
	dss_http_req_free(&req);
	return r;
}

/* Seconds since the epoch of an RFC 3339 time, or -1. */
static double
rfc3339(const char *s)
{
	struct tm tm;
	int n = 0, y, mo, d, h, mi;
	double sec;

	if (s == NULL || sscanf(s, "%d-%d-%dT%d:%d:%lf%n", &y, &mo, &d, &h, &mi,
	    &sec, &n) < 6)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (double)timegm(&tm) + sec;
}

/* 1 when remote id is already recorded for another batch of ours. */
static int
known_remote(struct brun *b, const char *id)
{
	sqlite3_stmt *st;
	int r;

	if ((st = dss_db_prepare(b->db, "SELECT 1 FROM teach_batches WHERE "
	    "remote_id = ?", b->err)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	r = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return r;
}

/*
 * Looks among the provider's batches for x, whose create call may have
 * reached the provider before the run was killed.  Returns 1 and records
 * it (state submitted) when found, 0 when not, -1 on error.
 */
static int
adopt(struct brun *b, struct batch *x)
{
	struct dss_http_req req;
	cJSON *j = NULL;
	const cJSON *list, *it;
	const char *found = NULL;
	int r = -1;

	switch (b->lim->kind) {
	case P_OPENAI:
		r = req_init(b, &req, "/batches?limit=100");
		break;
	case P_ANTHROPIC:
		r = req_init(b, &req, "/v1/messages/batches?limit=100");
		break;
	default:
		r = req_init(b, &req, "/v1beta/batches?pageSize=100");
		break;
	}
	if (r < 0)
		return -1;
	r = -1;
	req.get = 1;
	if (call(b, &req, "list the provider's batches") < 0 ||
	    (j = resp_json(b, &req, "list the provider's batches")) == NULL)
		goto out;
	list = cJSON_GetObjectItemCaseSensitive(j, "data");
	if (list == NULL)
		list = cJSON_GetObjectItemCaseSensitive(j, "operations");
	if (list == NULL)
		list = cJSON_GetObjectItemCaseSensitive(j, "batches");
	cJSON_ArrayForEach(it, list) {
		const char *id = jstr(it, b->lim->kind == P_GEMINI ? "name" : "id");
		const cJSON *md = cJSON_GetObjectItemCaseSensitive(it, "metadata");
		int known;

		if (id == NULL || (known = known_remote(b, id)) < 0)
			goto out;
		if (known)
			continue;
		if (b->lim->kind == P_OPENAI) {
			const char *f = jstr(it, "input_file_id");

			if (f && x->file_id && strcmp(f, x->file_id) == 0)
				found = id;
		} else if (b->lim->kind == P_GEMINI) {
			const char *dn = jstr(md, "displayName");

			if (dn == NULL)
				dn = jstr(it, "displayName");
			if (dn && strcmp(dn, x->tag) == 0)
				found = id;
		} else {
			const cJSON *rc = cJSON_GetObjectItemCaseSensitive(it,
			    "request_counts"), *c;
			double created = rfc3339(jstr(it, "created_at")), total = 0;

			cJSON_ArrayForEach(c, rc)
				if (cJSON_IsNumber(c))
					total += c->valuedouble;
			if (created >= x->submitted - 300 && total == (double)x->requests)
				found = id;
		}
		if (found)
			break;
	}
	r = 0;
	if (found) {
		if (batch_set(b, x, "submitted", "remote_id", found) < 0) {
			r = -1;
			goto out;
		}
		free(x->remote_id);
		x->remote_id = strdup(found);
		dss_teach_report(b->o, "batch %lld: found at the provider as "
		    "'%s' (its creation was cut short)", x->id, found);
		r = 1;
	}
out:
	cJSON_Delete(j);
	dss_http_req_free(&req);
	return r;
}

/* Records that x's create call is about to be made (for adopt). */
static int
mark_creating(struct brun *b, struct batch *x)
{
	sqlite3_stmt *st;
	double now = (double)time(NULL);
	int rc;

	if ((st = dss_db_prepare(b->db, "UPDATE teach_batches SET state = "
	    "'creating', submitted = ?, updated = strftime('%Y-%m-%dT%H:%M:%fZ', "
	    "'now') WHERE batch = ?", b->err)) == NULL)
		return -1;
	sqlite3_bind_double(st, 1, now);
	sqlite3_bind_int64(st, 2, x->id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dberr(b);
	x->submitted = now;
	snprintf(x->state, sizeof(x->state), "creating");
	return 0;
}

/* Makes the create call of x; state -> submitted. */
static int
create(struct brun *b, struct batch *x)
{
	struct dss_http_req req;
	struct dss_buf body = DSS_BUF_INIT;
	char path[256];
	cJSON *j = NULL, *o;
	const char *id;
	int r = -1;

	if (mark_creating(b, x) < 0)
		return -1;
	switch (b->lim->kind) {
	case P_OPENAI:
		if (openai_path(b, path, sizeof(path)) < 0 ||
		    req_init(b, &req, "/batches") < 0 ||
		    (o = cJSON_CreateObject()) == NULL)
			return dss_err_set(b->err, "out of memory");
		cJSON_AddStringToObject(o, "input_file_id", x->file_id);
		cJSON_AddStringToObject(o, "endpoint", path);
		cJSON_AddStringToObject(o, "completion_window", "24h");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "metadata"),
		    "dss_tag", x->tag);
		if (req_json(b, &req, o) < 0)
			goto out;
		break;
	case P_ANTHROPIC:
		if (req_init(b, &req, "/v1/messages/batches") < 0)
			return -1;
		if (dss_buf_adds(&body, "{\"requests\":[") < 0 ||
		    build_items(b, x, &body) < 0 || dss_buf_adds(&body, "]}") < 0)
			goto nomem;
		break;
	default:
		if (req_init(b, &req, "/v1beta/models/%s:batchGenerateContent",
		    b->t->model) < 0)
			return -1;
		if (dss_buf_addf(&body, "{\"batch\":{\"displayName\":\"%s\","
		    "\"inputConfig\":{\"requests\":{\"requests\":[", x->tag) < 0 ||
		    build_items(b, x, &body) < 0 ||
		    dss_buf_adds(&body, "]}}}}") < 0)
			goto nomem;
		break;
	}
	if (b->lim->kind != P_OPENAI) {
		req.body_len = body.len;
		if ((req.body = dss_buf_detach(&body, NULL)) == NULL ||
		    header(&req, "Content-Type", "application/json", b->err) < 0 ||
		    header(&req, "Expect", "", b->err) < 0)
			goto nomem;
	}
	if (call(b, &req, "create a batch") < 0 ||
	    (j = resp_json(b, &req, "create a batch")) == NULL)
		goto out;
	id = jstr(j, b->lim->kind == P_GEMINI ? "name" : "id");
	if (id == NULL) {
		dss_err_set(b->err, "cannot create a batch: the answer has no '%s'",
		    b->lim->kind == P_GEMINI ? "name" : "id");
		goto out;
	}
	if (batch_set(b, x, "submitted", "remote_id", id) < 0)
		goto out;
	free(x->remote_id);
	x->remote_id = strdup(id);
	b->st->batches++;
	r = 0;
	goto out;
nomem:
	if (b->err->msg[0] == '\0')
		dss_err_set(b->err, "out of memory");
out:
	cJSON_Delete(j);
	dss_buf_free(&body);
	dss_http_req_free(&req);
	return r;
}

/* Takes x from where it stands to submitted. */
static int
submit(struct brun *b, struct batch *x)
{
	int found;

	if (strcmp(x->state, "planned") == 0 && b->lim->kind == P_OPENAI &&
	    openai_upload(b, x) < 0)
		return -1;
	if (strcmp(x->state, "creating") == 0 ||
	    (strcmp(x->state, "uploaded") == 0 && b->lim->kind == P_OPENAI)) {
		/* the create call may have gone through: look first */
		if ((found = adopt(b, x)) != 0)
			return found < 0 ? -1 : 0;
	}
	return create(b, x);
}

/* ---- collecting ------------------------------------------------------------ */

enum { RES_OK, RES_ERRORED, RES_EXPIRED };

static void
chunk_free(struct brun *b)
{
	int i, k;

	for (i = 0; i < b->nrows; i++)
		for (k = 0; k < 6; k++) {
			free(b->owned[i][k]);
			b->owned[i][k] = NULL;
		}
	b->nrows = 0;
}

/* Keeps the collected answers of a failed chunk in the recovery file. */
static int
chunk_recover(struct brun *b)
{
	struct dss_err e = DSS_ERR_INIT;
	char why[DSS_ERR_MAX];
	int n = b->nrows;

	snprintf(why, sizeof(why), "%s", b->err->msg);
	if (n == 0)
		return -1;
	if (b->o->recovery == NULL ||
	    dss_recovery_append(b->o->recovery, b->rows, n, &e) < 0) {
		dss_err_set(b->err, "%.600s; %.300s%s%d paid answer%s lost", why,
		    e.msg, e.msg[0] ? ": " : "", n, n == 1 ? "" : "s");
		chunk_free(b);
		return -1;
	}
	b->st->recovered += (unsigned long)n;
	dss_err_set(b->err, "%.600s; %d paid answer%s kept in '%.300s', imported "
	    "into the cache by the next run", why, n, n == 1 ? "" : "s",
	    b->o->recovery);
	chunk_free(b);
	return -1;
}

/*
 * Commits the open transaction of collected results (and begins another
 * when again).  When the database fails, the answers of the chunk go to
 * the recovery file, so that no paid answer is lost, and -1 is returned.
 */
static int
chunk_commit(struct brun *b, int again)
{
	int rc = sqlite3_exec(b->db, "COMMIT", NULL, NULL, NULL);

	if (rc == SQLITE_OK) {
		chunk_free(b);
		return again ? dss_db_begin(b->db, b->err) : 0;
	}
	dberr(b);
	dss_db_rollback(b->db);
	return chunk_recover(b);
}

struct collect {
	struct batch *x;
	sqlite3_stmt *by_key, *by_pos, *put, *set, *unlease;
	char holder[48];
	double latency;		/* seconds since submission */
	long n;			/* results taken */
	long ok, errored, expired;
	double cost;
};

/* Marks the request of row (in by_key/by_pos) for a retry or failed. */
static int
give_up(struct brun *b, struct collect *c, const char *key, int attempt,
    const char *id, int sample, const char *msg, int kind)
{
	int last = attempt > b->o->retries;

	sqlite3_bind_text(c->set, 1, last ? "failed" : "retry", -1, SQLITE_STATIC);
	sqlite3_bind_text(c->set, 2, msg, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(c->set, 3, c->x->id);
	sqlite3_bind_text(c->set, 4, key, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(c->set) != SQLITE_DONE) {
		sqlite3_reset(c->set);
		return dberr(b);
	}
	sqlite3_reset(c->set);
	if (kind == RES_EXPIRED) {
		c->expired++;
		b->st->batch_expired++;
	} else {
		c->errored++;
		b->st->batch_errored++;
	}
	if (!last)
		return 0;
	b->st->batch_failed++;
	dss_teach_report(b->o, "prompt '%s' sample %d failed after %d batch "
	    "attempt%s: %s", id ? id : "?", sample, attempt,
	    attempt == 1 ? "" : "s", msg);
	sqlite3_bind_text(c->unlease, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(c->unlease, 2, c->holder, -1, SQLITE_STATIC);
	if (sqlite3_step(c->unlease) != SQLITE_DONE) {
		sqlite3_reset(c->unlease);
		return dberr(b);
	}
	sqlite3_reset(c->unlease);
	return 0;
}

static char *
dup_masked(struct brun *b, const char *s)
{
	char *d = s ? strdup(s) : NULL;

	if (d)
		dss_teacher_mask(b->t, d, strlen(d));
	return d;
}

/* Stores the answer body of the live request key (row in st). */
static int
store(struct brun *b, struct collect *c, sqlite3_stmt *row, const char *key,
    const cJSON *body)
{
	const struct dss_teacher *t = b->t;
	struct dss_teacher_result res = DSS_TEACHER_RESULT_INIT;
	struct dss_err e = DSS_ERR_INIT;
	struct dss_cache_row *x = &b->rows[b->nrows];
	char **own = b->owned[b->nrows];
	char *raw = cJSON_PrintUnformatted(body);
	size_t fixed = 0;
	int attempt = sqlite3_column_int(row, 2), sample = sqlite3_column_int(row, 5);
	const char *id = (const char *)sqlite3_column_text(row, 4);
	int rc;

	if (raw == NULL)
		return dss_err_set(b->err, "out of memory");
	{
		struct dss_buf rb = DSS_BUF_INIT;

		/* the same repair and mask as a synchronous answer */
		if (dss_buf_adds(&rb, raw) == 0) {
			dss_jscan_repair(&rb, &fixed);
			b->st->repaired += fixed > 0;
			cJSON_free(raw);
			raw = dss_buf_detach(&rb, NULL);
		} else {
			dss_buf_free(&rb);
		}
		if (raw == NULL)
			return dss_err_set(b->err, "out of memory");
		if (dss_teacher_mask(t, raw, strlen(raw)) > 0)
			b->st->masked++;
	}
	if (t->ops->parse(t, raw, strlen(raw), &res, &e) < 0 || res.n < 1) {
		char msg[600];

		snprintf(msg, sizeof(msg), "malformed result: %.500s", e.msg[0] ? e.msg :
		    "no choices");
		dss_teacher_result_free(&res);
		free(raw);
		return give_up(b, c, key, attempt, id, sample, msg, RES_ERRORED);
	}
	if (res.bad_usage)
		b->st->bad_usage++;
	memset(x, 0, sizeof(*x));
	own[0] = strdup(key);
	own[1] = (char *)sqlite3_column_text(row, 3) ?
	    strdup((const char *)sqlite3_column_text(row, 3)) : NULL;
	own[2] = id ? strdup(id) : NULL;
	own[3] = dup_masked(b, res.choices[0].text);
	own[4] = dup_masked(b, res.choices[0].finish_reason);
	own[5] = raw;
	x->request = own[0];
	x->provider = t->ops->provider;
	x->model = t->model;
	x->dataset = own[1];
	x->id = own[2];
	x->sample = sample;
	x->completion = own[3];
	x->finish_reason = own[4];
	x->has_usage = res.has_usage;
	x->prompt_tokens = res.prompt_tokens;
	x->completion_tokens = res.completion_tokens;
	x->has_cost = b->o->has_price;
	x->cost = res.has_usage ? (res.prompt_tokens * b->o->batch_in +
	    res.completion_tokens * b->o->batch_out) / 1e6 : 0;
	x->latency_ms = (long)(c->latency * 1000);
	x->response = raw;
	dss_teacher_result_free(&res);
	b->nrows++;
	if (own[0] == NULL || own[3] == NULL)
		return dss_err_set(b->err, "out of memory");
	if ((rc = dss_cache_put(c->put, x)) != SQLITE_DONE)
		return dberr(b);
	if (sqlite3_changes(b->db) == 1 && x->has_usage) {
		b->st->prompt_tokens += x->prompt_tokens;
		b->st->completion_tokens += x->completion_tokens;
		b->st->cost += x->cost;
		c->cost += x->cost;
	}
	sqlite3_bind_text(c->set, 1, "done", -1, SQLITE_STATIC);
	sqlite3_bind_null(c->set, 2);
	sqlite3_bind_int64(c->set, 3, c->x->id);
	sqlite3_bind_text(c->set, 4, key, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(c->set);
	sqlite3_reset(c->set);
	if (rc != SQLITE_DONE)
		return dberr(b);
	sqlite3_bind_text(c->unlease, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(c->unlease, 2, c->holder, -1, SQLITE_STATIC);
	rc = sqlite3_step(c->unlease);
	sqlite3_reset(c->unlease);
	if (rc != SQLITE_DONE)
		return dberr(b);
	c->ok++;
	b->st->batch_done++;
	return 0;
}

/*
 * Takes one result of c->x: by key, or by position when key is NULL.
 * Results for requests not live in the batch (already taken by an
 * earlier, interrupted collection; or unknown) are passed over.
 */
static int
take(struct brun *b, struct collect *c, const char *key, long pos, int kind,
    const cJSON *body, const char *msg)
{
	sqlite3_stmt *row = key ? c->by_key : c->by_pos;
	char k[DSS_SHA256_HEX];
	int rc, r = 0;

	sqlite3_bind_int64(row, 1, c->x->id);
	if (key)
		sqlite3_bind_text(row, 2, key, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_int64(row, 2, pos);
	rc = sqlite3_step(row);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(row);
		return rc == SQLITE_DONE ? 0 : dberr(b);
	}
	if (strcmp((const char *)sqlite3_column_text(row, 1), "live") != 0) {
		sqlite3_reset(row);
		return 0;
	}
	snprintf(k, sizeof(k), "%s", sqlite3_column_text(row, 0));
	c->n++;
	if (kind == RES_OK) {
		r = store(b, c, row, k, body);
	} else {
		char m[600];

		snprintf(m, sizeof(m), "%s", msg ? msg : "no result");
		dss_teacher_mask(b->t, m, strlen(m));
		r = give_up(b, c, k, sqlite3_column_int(row, 2),
		    (const char *)sqlite3_column_text(row, 4),
		    sqlite3_column_int(row, 5), m, kind);
	}
	sqlite3_reset(row);
	if (r == 0 && (b->nrows >= CHUNK || c->n % CHUNK == 0))
		r = chunk_commit(b, 1);
	return r;
}

/* The message of an error object ({message} or {error: {message}}). */
static const char *
error_msg(const cJSON *e)
{
	const char *m = jstr(e, "message");
	const cJSON *in = cJSON_GetObjectItemCaseSensitive(e, "error");

	if (m == NULL && in)
		m = error_msg(in);
	return m;
}

/* One line of an OpenAI output or error file. */
static int
openai_line(struct brun *b, struct collect *c, const cJSON *o)
{
	const char *key = jstr(o, "custom_id");
	const cJSON *resp = cJSON_GetObjectItemCaseSensitive(o, "response");
	const cJSON *sc = cJSON_GetObjectItemCaseSensitive(resp, "status_code");
	const cJSON *body = cJSON_GetObjectItemCaseSensitive(resp, "body");
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(o, "error");
	char msg[400];

	if (key == NULL)
		return 0;
	if (cJSON_IsNumber(sc) && sc->valuedouble >= 200 && sc->valuedouble < 300 &&
	    cJSON_IsObject(body) && !cJSON_IsObject(err))
		return take(b, c, key, 0, RES_OK, body, NULL);
	if (cJSON_IsNumber(sc))
		snprintf(msg, sizeof(msg), "HTTP %d: %s", (int)sc->valuedouble,
		    error_msg(body) ? error_msg(body) : "error");
	else
		snprintf(msg, sizeof(msg), "%s", error_msg(err) ? error_msg(err) :
		    "error");
	return take(b, c, key, 0, RES_ERRORED, NULL, msg);
}

/* One line of Anthropic's results. */
static int
anthropic_line(struct brun *b, struct collect *c, const cJSON *o)
{
	const char *key = jstr(o, "custom_id");
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(o, "result");
	const char *type = jstr(res, "type");
	char msg[400];

	if (key == NULL || type == NULL)
		return 0;
	if (strcmp(type, "succeeded") == 0)
		return take(b, c, key, 0, RES_OK,
		    cJSON_GetObjectItemCaseSensitive(res, "message"), NULL);
	if (strcmp(type, "errored") == 0) {
		const char *m = error_msg(cJSON_GetObjectItemCaseSensitive(res,
		    "error"));

		snprintf(msg, sizeof(msg), "errored: %s", m ? m : "error");
		return take(b, c, key, 0, RES_ERRORED, NULL, msg);
	}
	snprintf(msg, sizeof(msg), "%s", type);
	return take(b, c, key, 0, RES_EXPIRED, NULL, msg);
}

/* Reads the JSONL file fp (a download) line by line into take. */
static int
read_results(struct brun *b, struct collect *c, FILE *fp, const char *what)
{
	struct dss_lines l = DSS_LINES_INIT(fp, what);
	int r = 0, got;

	if (fflush(fp) == EOF || fseek(fp, 0, SEEK_SET) < 0)
		return dss_err_errno(b->err, errno, "cannot read %s", what);
	for (;;) {
		struct dss_err e = DSS_ERR_INIT;
		cJSON *o = NULL;

		got = dss_jsonl_next(&l, &o, &e);
		if (got == 0)
			break;
		if (got < 0) {
			if (!l.bad) {
				r = dss_err_set(b->err, "%s: %s", what, e.msg);
				break;
			}
			continue;	/* its request gets no result: retried */
		}
		r = b->lim->kind == P_OPENAI ? openai_line(b, c, o) :
		    anthropic_line(b, c, o);
		cJSON_Delete(o);
		if (r < 0)
			break;
	}
	dss_lines_free(&l);
	return r;
}

/* Downloads url (a path under the base URL, or a whole URL) into fp. */
static int
download(struct brun *b, const char *url, int whole, FILE *fp,
    const char *what)
{
	struct dss_http_req req;
	int r;

	if ((whole ? (memset(&req, 0, sizeof(req)), req.resp =
	    (struct dss_buf)DSS_BUF_INIT, req.url = strdup(url), req.url ? 0 :
	    dss_err_set(b->err, "out of memory")) : req_init(b, &req, "%s",
	    url)) < 0)
		return -1;
	req.get = 1;
	req.sink = fp;
	r = call(b, &req, what);
	dss_http_req_free(&req);
	return r;
}

/* Why a request of a batch that ended with status got no result. */
static void
no_result_reason(const struct brun *b, const cJSON *poll, const char *status,
    char *reason, size_t size)
{
	snprintf(reason, size, "no result (the batch ended %s)", status);
	if (b->lim->kind == P_OPENAI && strcmp(status, "failed") == 0) {
		const cJSON *errs = cJSON_GetObjectItemCaseSensitive(poll, "errors");
		const cJSON *d = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
		    errs, "data"), 0);

		if (error_msg(d))
			snprintf(reason, size, "the batch failed: %s",
			    error_msg(d));
	}
}

/* Prepares the statements of c for collecting x.  0, or -1 with b->err set;
 * either way the caller calls collect_close. */
static int
collect_open(struct brun *b, struct collect *c, struct batch *x)
{
	memset(c, 0, sizeof(*c));
	c->x = x;
	c->latency = x->submitted > 0 ?
	    fmax(0, (double)time(NULL) - x->submitted) : 0;
	snprintf(c->holder, sizeof(c->holder), "batch:%lld", x->id);
	if ((c->by_key = dss_db_prepare(b->db, "SELECT request, state, attempt, "
	    "dataset, id, sample FROM teach_batch_requests WHERE batch = ? AND "
	    "request = ?", b->err)) == NULL ||
	    (c->by_pos = dss_db_prepare(b->db, "SELECT request, state, attempt, "
	    "dataset, id, sample FROM teach_batch_requests WHERE batch = ? AND "
	    "pos = ?", b->err)) == NULL ||
	    (c->put = dss_db_prepare(b->db, DSS_CACHE_PUT_SQL, b->err)) == NULL ||
	    (c->set = dss_db_prepare(b->db, "UPDATE teach_batch_requests SET "
	    "state = ?, error = ? WHERE batch = ? AND request = ?", b->err)) == NULL ||
	    (c->unlease = dss_db_prepare(b->db, "DELETE FROM teach_leases WHERE "
	    "request = ? AND holder = ?", b->err)) == NULL)
		return -1;
	return 0;
}

static void
collect_close(struct collect *c)
{
	sqlite3_finalize(c->by_key);
	sqlite3_finalize(c->by_pos);
	sqlite3_finalize(c->put);
	sqlite3_finalize(c->set);
	sqlite3_finalize(c->unlease);
}

/* OpenAI: the output file, then the error file, through fp. */
static int
take_openai(struct brun *b, struct collect *c, const cJSON *poll, FILE *fp)
{
	static const char *const files[] = { "output_file_id", "error_file_id" };
	char what[200], path[300];
	int i;

	for (i = 0; i < 2; i++) {
		const char *f = jstr(poll, files[i]);

		if (f == NULL)
			continue;
		snprintf(path, sizeof(path), "/files/%s/content", f);
		snprintf(what, sizeof(what), "download the %s file of batch "
		    "'%s'", i ? "error" : "output", c->x->remote_id);
		if (download(b, path, 0, fp, what) < 0 ||
		    read_results(b, c, fp, what) < 0)
			return -1;
	}
	return 0;
}

/* Anthropic: the results file, through fp. */
static int
take_anthropic(struct brun *b, struct collect *c, const cJSON *poll, FILE *fp)
{
	const char *u = jstr(poll, "results_url");
	char what[200], path[300];
	int whole = u && strncmp(u, b->t->base_url, strlen(b->t->base_url)) == 0;

	if (u == NULL)
		return 0;
	/* the key goes only to the base URL's host */
	snprintf(path, sizeof(path), "/v1/messages/batches/%s/results",
	    c->x->remote_id);
	snprintf(what, sizeof(what), "download the results of batch '%s'",
	    c->x->remote_id);
	if (download(b, whole ? u : path, whole, fp, what) < 0 ||
	    read_results(b, c, fp, what) < 0)
		return -1;
	return 0;
}

/* Gemini: the responses inlined in the poll's answer. */
static int
take_gemini(struct brun *b, struct collect *c, const cJSON *poll)
{
	const cJSON *resp = cJSON_GetObjectItemCaseSensitive(poll, "response");
	const cJSON *ir = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(resp, "inlinedResponses"),
	    "inlinedResponses"), *it;
	long pos = 0;

	cJSON_ArrayForEach(it, ir) {
		const cJSON *md = cJSON_GetObjectItemCaseSensitive(it, "metadata");
		const cJSON *rsp = cJSON_GetObjectItemCaseSensitive(it, "response");
		const char *key = jstr(md, "key");
		char msg[400];
		int r;

		if (cJSON_IsObject(rsp)) {
			r = take(b, c, key, pos, RES_OK, rsp, NULL);
		} else {
			const char *m = error_msg(cJSON_GetObjectItemCaseSensitive(it,
			    "error"));

			snprintf(msg, sizeof(msg), "error: %s", m ? m : "no response");
			r = take(b, c, key, pos, RES_ERRORED, NULL, msg);
		}
		if (r < 0)
			return -1;
		pos++;
	}
	return 0;
}

/* What got no result (expired, or cut from a failed batch) is taken as
 * such, for reason.  0 or -1. */
static int
take_expired(struct brun *b, struct collect *c, const char *reason)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = dss_db_prepare(b->db, "SELECT request FROM "
	    "teach_batch_requests WHERE batch = ? AND state = 'live' "
	    "LIMIT 1", b->err)) == NULL)
		return -1;
	for (;;) {
		char k[DSS_SHA256_HEX];

		sqlite3_bind_int64(st, 1, c->x->id);
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW)
			break;
		snprintf(k, sizeof(k), "%s", sqlite3_column_text(st, 0));
		sqlite3_reset(st);
		if (take(b, c, k, 0, RES_EXPIRED, NULL, reason) < 0) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : dberr(b);
}

/* Records the batch as collected, with its counts.  0 or -1. */
static int
mark_collected(struct brun *b, const struct collect *c, const char *status)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = dss_db_prepare(b->db, "UPDATE teach_batches SET state = "
	    "'collected', remote_status = ?, succeeded = succeeded + ?, "
	    "errored = errored + ?, expired = expired + ?, cost_usd = "
	    "coalesce(cost_usd, 0) + ?, updated = strftime('%Y-%m-%dT%H:%M:%fZ', "
	    "'now') WHERE batch = ?", b->err)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, c->ok);
	sqlite3_bind_int64(st, 3, c->errored);
	sqlite3_bind_int64(st, 4, c->expired);
	sqlite3_bind_double(st, 5, c->cost);
	sqlite3_bind_int64(st, 6, c->x->id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : dberr(b);
}

/* Collecting failed inside its transaction: what was taken before the
 * failure is kept if it can be, the error left as it was. */
static void
collect_failed(struct brun *b)
{
	if (!sqlite3_get_autocommit(b->db)) {
		char why[DSS_ERR_MAX];

		snprintf(why, sizeof(why), "%s", b->err->msg);
		if (chunk_commit(b, 0) == 0)
			dss_err_set(b->err, "%s", why);
	} else if (b->nrows > 0) {
		chunk_recover(b);
	}
	chunk_free(b);
}

/* Collects the results of ended batch x (poll is its last status). */
static int
collect(struct brun *b, struct batch *x, const cJSON *poll, const char *status)
{
	struct collect c;
	FILE *fp = NULL;
	char reason[300];
	int r = -1, k = b->lim->kind;

	no_result_reason(b, poll, status, reason, sizeof(reason));
	if (collect_open(b, &c, x) < 0)
		goto out;
	if (k != P_GEMINI && (fp = tmpfile()) == NULL) {
		dss_err_errno(b->err, errno, "cannot make a temporary file");
		goto out;
	}
	if (dss_db_begin(b->db, b->err) < 0)
		goto out;
	if ((k == P_OPENAI ? take_openai(b, &c, poll, fp) :
	    k == P_ANTHROPIC ? take_anthropic(b, &c, poll, fp) :
	    take_gemini(b, &c, poll)) < 0 ||
	    take_expired(b, &c, reason) < 0 ||
	    mark_collected(b, &c, status) < 0) {
		collect_failed(b);
		goto out;
	}
	if (chunk_commit(b, 0) < 0)
		goto out;
	snprintf(x->state, sizeof(x->state), "collected");
	dss_teach_report(b->o, "batch %lld ('%s') %s: %ld answered, %ld "
	    "errored, %ld expired or cancelled", x->id, x->remote_id, status,
	    c.ok, c.errored, c.expired);
	r = 0;
out:
	if (fp)
		fclose(fp);
	collect_close(&c);
	return r;
}

/* ---- polling --------------------------------------------------------------- */

/*
 * Polls submitted batch x and collects it when it has ended.  Returns 1
 * while it is in flight, 0 once collected, -1 on error.
 */
static int
poll_batch(struct brun *b, struct batch *x)
{
	struct dss_http_req req;
	cJSON *j = NULL;
	const char *status = NULL;
	char what[160], id[32];
	int ended = 0, r = -1;

	snprintf(what, sizeof(what), "poll batch '%s'", x->remote_id);
	if ((b->lim->kind == P_OPENAI ? req_init(b, &req, "/batches/%s",
	    x->remote_id) : b->lim->kind == P_ANTHROPIC ? req_init(b, &req,
	    "/v1/messages/batches/%s", x->remote_id) : req_init(b, &req,
	    "/v1beta/%s", x->remote_id)) < 0)
		return -1;
	req.get = 1;
	if (call(b, &req, what) < 0 || (j = resp_json(b, &req, what)) == NULL)
		goto out;
	switch (b->lim->kind) {
	case P_OPENAI:
		status = jstr(j, "status");
		ended = status && (strcmp(status, "completed") == 0 ||
		    strcmp(status, "failed") == 0 || strcmp(status, "expired") == 0 ||
		    strcmp(status, "cancelled") == 0);
		break;
	case P_ANTHROPIC:
		status = jstr(j, "processing_status");
		ended = status && strcmp(status, "ended") == 0;
		break;
	default:
		status = jstr(cJSON_GetObjectItemCaseSensitive(j, "metadata"), "state");
		if (status == NULL)
			status = jstr(j, "state");
		ended = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "done")) ||
		    (status && (strstr(status, "SUCCEEDED") || strstr(status, "FAILED") ||
		    strstr(status, "CANCELLED") || strstr(status, "EXPIRED")));
		break;
	}
	if (status == NULL) {
		dss_err_set(b->err, "cannot %s: the answer has no status", what);
		goto out;
	}
	if (!ended) {
		snprintf(id, sizeof(id), "%lld", x->id);
		r = exec_args(b, "UPDATE teach_batches SET remote_status = ? WHERE "
		    "batch = CAST(? AS INTEGER)", status, id, (char *)NULL) < 0 ? -1 : 1;
		goto out;
	}
	r = collect(b, x, j, status);
out:
	cJSON_Delete(j);
	dss_http_req_free(&req);
	return r;
}

/* Brings x forward: submits it, or polls (and collects) it. */
static int
advance(struct brun *b, struct batch *x)
{
	if (strcmp(x->state, "collected") == 0)
		return 0;
	if (strcmp(x->state, "submitted") != 0) {
		if (submit(b, x) < 0)
			return -1;
		return 1;
	}
	return poll_batch(b, x);
}

/* Advances every batch of the teacher not yet collected; counts the live. */
static int
advance_all(struct brun *b, int poll)
{
	sqlite3_stmt *st;
	long long *ids = NULL;
	size_t n = 0, cap = 0, i;
	int rc, r = 0;

	if ((st = dss_db_prepare(b->db, "SELECT batch FROM teach_batches WHERE "
	    "provider = ? AND model = ? AND state <> 'collected' ORDER BY batch",
	    b->err)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, b->t->ops->provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b->t->model, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			long long *p = realloc(ids, (cap = cap ? cap * 2 : 16) *
			    sizeof(*p));

			if (p == NULL) {
				sqlite3_finalize(st);
				free(ids);
				return dss_err_set(b->err, "out of memory");
			}
			ids = p;
		}
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(ids);
		return dberr(b);
	}
	b->st->batch_live = 0;
	b->st->batch_requests = 0;
	for (i = 0; i < n && r == 0; i++) {
		struct batch x;

		if (batch_load(b, ids[i], &x) < 0) {
			r = -1;
			break;
		}
		if (strcmp(x.state, "submitted") == 0 && !poll)
			rc = 1;
		else
			rc = advance(b, &x);
		if (rc < 0)
			r = -1;
		else if (rc == 1) {
			b->st->batch_live++;
			b->st->batch_requests += (unsigned long)x.requests;
		}
		batch_free(&x);
	}
	free(ids);
	return r;
}

/* ---- planning -------------------------------------------------------------- */

struct plan {
	long long id;		/* the open batch, 0 if none */
	long n;
	size_t bytes;
	double bound;
	sqlite3_stmt *ins, *lease, *cached, *leased;
	int stop;		/* the budget is spent */
};

/* Opens a batch in the caller's transaction. */
static int
plan_open(struct brun *b, struct plan *p)
{
	sqlite3_stmt *st;
	char tag[40];
	int rc;

	snprintf(tag, sizeof(tag), "dss-%08x%08x", (unsigned)rand_r(&b->seed),
	    (unsigned)rand_r(&b->seed));
	if ((st = dss_db_prepare(b->db, "INSERT INTO teach_batches (provider, "
	    "model, tag, state, requests, bytes) VALUES (?, ?, ?, 'planned', 0, 0)",
	    b->err)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, b->t->ops->provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b->t->model, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, tag, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dberr(b);
	p->id = sqlite3_last_insert_rowid(b->db);
	p->n = 0;
	p->bytes = 0;
	p->bound = 0;
	return 0;
}

/*
 * Closes the open batch: its figures, the commit that records it, then
 * the upload and create calls.  A new transaction is begun when again.
 */
static int
plan_close(struct brun *b, struct plan *p, int again)
{
	sqlite3_stmt *st;
	struct batch x;
	int rc;

	if (p->id == 0 || p->n == 0) {
		if (p->id != 0 && exec_args(b, "DELETE FROM teach_batches WHERE "
		    "requests = 0 AND state = 'planned' AND NOT EXISTS (SELECT 1 "
		    "FROM teach_batch_requests r WHERE r.batch = teach_batches.batch)",
		    (char *)NULL) < 0)
			return -1;
		p->id = 0;
		if (dss_db_commit(b->db, b->err) < 0)
			return -1;
		return again ? dss_db_begin(b->db, b->err) : 0;
	}
	if ((st = dss_db_prepare(b->db, "UPDATE teach_batches SET requests = ?, "
	    "bytes = ?, cost_bound = ? WHERE batch = ?", b->err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, p->n);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)p->bytes);
	if (b->o->has_price)
		sqlite3_bind_double(st, 3, p->bound);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int64(st, 4, p->id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dberr(b);
	if (dss_db_commit(b->db, b->err) < 0)
		return -1;
	if (batch_load(b, p->id, &x) < 0)
		return -1;
	p->id = 0;
	rc = submit(b, &x);
	if (rc == 0) {
		b->st->batch_live++;
		b->st->batch_requests += (unsigned long)x.requests;
	}
	batch_free(&x);
	if (rc < 0)
		return -1;
	return again ? dss_db_begin(b->db, b->err) : 0;
}

/*
 * Adds one request to the open batch (opening one, or closing a full one
 * first).  Returns 0, 1 when the budget would be passed (nothing added),
 * or -1.
 */
static int
plan_add(struct brun *b, struct plan *p, const char *key, const char *dataset,
    const char *id, int sample, int attempt, const char *body, long est)
{
	const struct dss_teach_opts *o = b->o;
	long cap = o->batch_size > 0 && o->batch_size < b->lim->requests ?
	    o->batch_size : b->lim->requests;
	size_t len = strlen(body) + 200;
	double cost = 0;
	char holder[48];
	int assumed, rc;

	if (o->has_price)
		cost = (est * o->batch_in + dss_teach_out_bound(o, &assumed) *
		    o->batch_out) / 1e6;
	if (o->max_cost >= 0 && b->bound + cost > o->max_cost) {
		p->stop = 1;
		b->st->budget_stop = 1;
		return 1;
	}
	if (p->id != 0 && (p->n >= cap || p->bytes + len > b->lim->bytes - 4096) &&
	    plan_close(b, p, 1) < 0)
		return -1;
	if (p->id == 0 && plan_open(b, p) < 0)
		return -1;
	sqlite3_bind_int64(p->ins, 1, p->id);
	sqlite3_bind_text(p->ins, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(p->ins, 3, p->n);
	if (dataset)
		sqlite3_bind_text(p->ins, 4, dataset, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(p->ins, 4);
	sqlite3_bind_text(p->ins, 5, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(p->ins, 6, sample);
	sqlite3_bind_int(p->ins, 7, attempt);
	sqlite3_bind_text(p->ins, 8, body, -1, SQLITE_STATIC);
	sqlite3_bind_int64(p->ins, 9, est);
	rc = sqlite3_step(p->ins);
	sqlite3_reset(p->ins);
	if (rc != SQLITE_DONE)
		return dberr(b);
	snprintf(holder, sizeof(holder), "batch:%lld", p->id);
	sqlite3_bind_text(p->lease, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(p->lease, 2, holder, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(p->lease, 3, FOREVER);
	rc = sqlite3_step(p->lease);
	sqlite3_reset(p->lease);
	if (rc != SQLITE_DONE)
		return dberr(b);
	p->n++;
	p->bytes += len;
	p->bound += cost;
	b->bound += cost;
	b->st->spent = b->bound;
	b->st->requests++;
	return 0;
}

static int
plan_prepare(struct brun *b, struct plan *p)
{
	memset(p, 0, sizeof(*p));
	if ((p->ins = dss_db_prepare(b->db, "INSERT INTO teach_batch_requests "
	    "(batch, request, pos, dataset, id, sample, attempt, state, body, "
	    "est_tokens) VALUES (?, ?, ?, ?, ?, ?, ?, 'live', ?, ?)", b->err)) == NULL ||
	    (p->lease = dss_db_prepare(b->db, "INSERT OR REPLACE INTO teach_leases "
	    "(request, holder, expires) VALUES (?, ?, ?)", b->err)) == NULL ||
	    (p->cached = dss_db_prepare(b->db, "SELECT 1 FROM teach_cache WHERE "
	    "request = ?", b->err)) == NULL ||
	    (p->leased = dss_db_prepare(b->db, "SELECT 1 FROM teach_leases WHERE "
	    "request = ? AND expires > ?", b->err)) == NULL)
		return -1;
	return 0;
}

static void
plan_finalize(struct plan *p)
{
	sqlite3_finalize(p->ins);
	sqlite3_finalize(p->lease);
	sqlite3_finalize(p->cached);
	sqlite3_finalize(p->leased);
}

static int
exists(sqlite3_stmt *st, const char *key, double now)
{
	int rc;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (now > 0)
		sqlite3_bind_double(st, 2, now);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Puts the requests marked for a retry into new batches. */
static int
plan_retries(struct brun *b)
{
	struct plan p;
	sqlite3_stmt *sel = NULL, *mark = NULL;
	int rc, r = -1, got;

	if (plan_prepare(b, &p) < 0 ||
	    (sel = dss_db_prepare(b->db, "SELECT r.batch, r.request, r.dataset, "
	    "r.id, r.sample, r.attempt, r.body, r.est_tokens FROM "
	    "teach_batch_requests r JOIN teach_batches USING (batch) WHERE "
	    "r.state = 'retry' AND provider = ? AND model = ? LIMIT 1", b->err)) == NULL ||
	    (mark = dss_db_prepare(b->db, "UPDATE teach_batch_requests SET state = "
	    "'resubmitted' WHERE batch = ? AND request = ?", b->err)) == NULL ||
	    dss_db_begin(b->db, b->err) < 0)
		goto out;
	sqlite3_bind_text(sel, 1, b->t->ops->provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(sel, 2, b->t->model, -1, SQLITE_STATIC);
	while (!p.stop && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
		long long old = sqlite3_column_int64(sel, 0);
		char *key = col_dup(sel, 1), *ds = col_dup(sel, 2), *id = col_dup(sel, 3);
		char *body = col_dup(sel, 6);
		int sample = sqlite3_column_int(sel, 4), attempt = sqlite3_column_int(sel, 5);
		long est = (long)sqlite3_column_int64(sel, 7);

		sqlite3_reset(sel);
		got = key && body ? plan_add(b, &p, key, ds, id ? id : "", sample,
		    attempt + 1, body, est) : dss_err_set(b->err, "out of memory");
		if (got == 0) {
			sqlite3_bind_int64(mark, 1, old);
			sqlite3_bind_text(mark, 2, key, -1, SQLITE_STATIC);
			if (sqlite3_step(mark) != SQLITE_DONE)
				got = dberr(b);
			sqlite3_reset(mark);
			b->st->batch_retried++;
		}
		free(key);
		free(ds);
		free(id);
		free(body);
		if (got < 0) {
			dss_db_rollback(b->db);
			goto out;
		}
	}
	sqlite3_reset(sel);
	if (plan_close(b, &p, 0) < 0) {
		dss_db_rollback(b->db);
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(mark);
	plan_finalize(&p);
	return r;
}

/*
 * Reads the prompt records of in and puts every request neither cached
 * nor in flight into new batches; spool, when not NULL, gets a copy of
 * every line (for the records written at the end).
 */
static int
plan_input(struct brun *b, FILE *in, const char *inname, FILE *spool)
{
	const struct dss_teach_opts *o = b->o;
	struct dss_lines lines = DSS_LINES_INIT(in, inname);
	struct plan p;
	int r = -1, k, got;

	if (plan_prepare(b, &p) < 0 || dss_db_begin(b->db, b->err) < 0)
		goto out;
	for (;;) {
		struct dss_err e = DSS_ERR_INIT;
		cJSON *rec = NULL, *input = NULL;
		const char *id;
		long est;

		got = dss_jsonl_line(&lines, &e);
		if (got == 0)
			break;
		if (got > 0 && spool && (fwrite(lines.line.data, 1, lines.line.len,
		    spool) != lines.line.len || putc('\n', spool) == EOF)) {
			dss_err_errno(b->err, errno, "cannot keep a copy of the input");
			goto fail;
		}
		if (got < 0) {
			if (!lines.bad) {
				dss_err_set(b->err, "%s", e.msg);
				goto fail;
			}
			continue;	/* the final pass reports it */
		}
		if (p.stop)
			continue;	/* reading on, for the copy */
		if ((rec = cJSON_ParseWithLength(lines.line.data, lines.line.len)) == NULL ||
		    ((k = dss_record_type(rec, &e)) >= 0 && k != DSS_RECORD_PROMPT) ||
		    (id = dss_json_str(rec, "id", &e)) == NULL ||
		    !dss_teach_in_shard(id, o->shard_i, o->shard_n) ||
		    (input = dss_teacher_input(b->t, rec, &e)) == NULL) {
			cJSON_Delete(rec);
			continue;	/* the final pass reports it */
		}
		est = dss_teach_estimate_tokens(b->t, input);
		for (k = 0; k < o->params.samples && !p.stop; k++) {
			struct dss_http_req req = DSS_HTTP_REQ_INIT;
			char key[DSS_SHA256_HEX];
			int c;

			if (dss_teacher_key(b->t, input, &o->params, k, key) < 0) {
				dss_err_set(b->err, "out of memory");
				got = -1;
			} else if ((c = exists(p.cached, key, 0)) != 0 ||
			    (c = exists(p.leased, key, (double)time(NULL))) != 0) {
				got = c < 0 ? dberr(b) : 0;
			} else if (b->t->ops->request(b->t, input, &o->params, 1, &req,
			    &e) < 0) {
				got = dss_err_set(b->err, "line %lu: %s", lines.lineno, e.msg);
			} else {
				got = plan_add(b, &p, key, dss_json_str_opt(rec, "dataset"),
				    id, k, 1, req.body, est);
			}
			dss_http_req_free(&req);
			if (got < 0) {
				cJSON_Delete(rec);
				cJSON_Delete(input);
				goto fail;
			}
		}
		cJSON_Delete(rec);
		cJSON_Delete(input);
	}
	if (plan_close(b, &p, 0) < 0)
		goto fail;
	r = 0;
	goto out;
fail:
	dss_db_rollback(b->db);
out:
	plan_finalize(&p);
	dss_lines_free(&lines);
	return r;
}

int
dss_teach_batch_supported(const struct dss_teacher *t)
{
	size_t i;

	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if (strcmp(limits[i].provider, t->ops->provider) == 0)
			return 1;
	return 0;
}

/* ---- the run --------------------------------------------------------------- */

static void
progress(struct brun *b, double start, int final)
{
	b->st->elapsed = dss_clock_now() - start;
	if (b->o->progress)
		b->o->progress(b->o->arg, b->st, final);
}

/* A batch run of o's teacher on db, counting into st.  NULL with err set
 * when out of memory or the teacher has no batch API. */
static struct brun *
brun_new(sqlite3 *db, const struct dss_teach_opts *o,
    struct dss_teach_stats *st, struct dss_err *err)
{
	struct brun *b;
	size_t i;

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		dss_err_set(err, "out of memory");
		return NULL;
	}
	b->db = db;
	b->o = o;
	b->t = o->teacher;
	b->st = st;
	b->err = err;
	b->seed = (unsigned int)time(NULL) ^ (unsigned int)getpid();
	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if (strcmp(limits[i].provider, b->t->ops->provider) == 0)
			b->lim = &limits[i];
	if (b->lim == NULL) {
		dss_err_set(err, "teacher '%s' has no batch API", b->t->spec);
		dss_err_kind(err, DSS_ERR_USAGE);
		free(b);
		return NULL;
	}
	return b;
}

/*
 * Polls until every batch has ended and nothing is left to retry.
 * Returns 0 then; 1 at once when the options say not to wait (after a
 * final progress report); -1 on an error or a refusal.
 */
static int
wait_batches(struct brun *b, double start)
{
	for (;;) {
		if (b->refused)
			return -1;
		progress(b, start, 0);
		if (b->st->batch_live == 0) {
			if (plan_retries(b) < 0)
				return -1;
			if (b->st->batch_live == 0)
				return 0;
		}
		if (!b->o->wait) {
			progress(b, start, 1);
			return 1;
		}
		dss_clock_sleep(b->o->poll);
		if (advance_all(b, 1) < 0 || plan_retries(b) < 0)
			return -1;
	}
}

/* Adds what the batch run counted (bs) to the stats of the run that
 * wrote the records from the cache (st). */
static void
add_batch_stats(struct dss_teach_stats *st, const struct dss_teach_stats *bs)
{
	st->requests = bs->requests;
	st->retries = bs->retries;
	st->prompt_tokens = bs->prompt_tokens;
	st->completion_tokens = bs->completion_tokens;
	st->cost = bs->cost;
	st->spent = bs->spent;
	st->budget_stop = bs->budget_stop;
	st->masked += bs->masked;
	st->bad_usage += bs->bad_usage;
	st->repaired += bs->repaired;
	st->recovered += bs->recovered;
	st->batches = bs->batches;
	st->batch_done = bs->batch_done;
	st->batch_failed = bs->batch_failed;
	st->batch_expired = bs->batch_expired;
	st->batch_errored = bs->batch_errored;
	st->batch_retried = bs->batch_retried;
}

/* Rewinds the input to read it a second time (again: the input file, or
 * spool, its copy).  0 or -1. */
static int
rewind_input(FILE *again, FILE *spool, struct dss_err *err)
{
	if ((spool ? fflush(spool) : 0) == EOF || fseek(again, 0, SEEK_SET) < 0)
		return dss_err_errno(err, errno, "cannot read the input again");
	clearerr(again);
	return 0;
}

/* Writes the records of the input from the cache alone. */
static int
records_from_cache(sqlite3 *db, const struct dss_teach_opts *o, FILE *in,
    const char *inname, FILE *out, struct dss_teach_stats *st,
    struct dss_err *err)
{
	struct dss_teach_opts eo = *o;

	eo.cache_only = 1;
	eo.progress = NULL;
	return dss_teach_run(db, &eo, in, inname, out, st, err);
}

int
dss_teach_batch(sqlite3 *db, const struct dss_teach_opts *o, FILE *in,
    const char *inname, FILE *out, struct dss_teach_stats *st,
    struct dss_err *err)
{
	struct dss_teach_stats bs;
	struct brun *b;
	struct stat sb;
	FILE *spool = NULL, *again = in;
	double start = dss_clock_now();
	int r = -1;

	memset(st, 0, sizeof(*st));
	memset(&bs, 0, sizeof(bs));
	if ((b = brun_new(db, o, &bs, err)) == NULL)
		goto out;
	dss_teacher_json_hooks();
	if ((b->http = dss_http_new(2, err)) == NULL ||
	    (o->cacert && dss_http_set_cacert(b->http, o->cacert, err) < 0))
		goto out;
	sqlite3_busy_timeout(db, dss_db_busy_ms());
	/* the input is read twice: keep a copy unless it is a file */
	if (fstat(fileno(in), &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    ftell(in) < 0) {
		if ((spool = tmpfile()) == NULL) {
			dss_err_errno(err, errno, "cannot make a temporary file");
			goto out;
		}
		again = spool;
	}
	/* what earlier runs left: submit, poll, collect */
	if (advance_all(b, 1) < 0 || plan_retries(b) < 0 ||
	    plan_input(b, in, inname, spool) < 0 ||
	    (r = wait_batches(b, start)) != 0 ||
	    (r = rewind_input(again, spool, err)) < 0)
		goto out;
	/* every request is answered or given up: the records, from the cache */
	r = records_from_cache(db, o, again, inname, out, st, err);
	add_batch_stats(st, &bs);
	st->elapsed = dss_clock_now() - start;
	if (o->progress)
		o->progress(o->arg, st, 1);
	goto done;
out:
	*st = bs;
	st->elapsed = dss_clock_now() - start;
done:
	if (spool)
		fclose(spool);
	dss_http_free(b ? b->http : NULL);
	free(b);
	return r;
}
