/* SPDX-License-Identifier: MIT */
/*
 * The dss-teach run loop: a bounded window of prompts, the response
 * cache, one libcurl multi loop, rate limits, retries and budgets.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "db.h"
#include "http.h"
#include "jscan.h"
#include "jsonl.h"
#include "ratelimit.h"
#include "record.h"
#include "retry.h"
#include "sha256.h"
#include "teach.h"
#include "teach_impl.h"

/*
 * S_WAIT: the same request is pending or in flight for another prompt in
 * the window (a prompt repeated in the input); the sample is served from
 * the cache once that one is answered.  S_LEASED: another process holds
 * the request key's lease; the sample is served from the cache once that
 * process stores the answer, or sent by this one when the lease lapses.
 */
enum { S_PENDING, S_FLIGHT, S_DONE, S_FAILED, S_WAIT, S_LEASED };

/* A window holds at most this many bytes of input lines (and one line). */
#define WINDOW_BYTES ((size_t)16 << 20)
/* Samples waiting for another process look at the cache this often. */
#define LEASE_POLL 0.25

struct sample {
	char key[DSS_SHA256_HEX];
	int state;
	int attempts;
	double not_before;
};

struct job {
	struct job *prev, *next;
	cJSON *record;		/* local teachers only, else NULL */
	cJSON *input;
	char *prefix;		/* the carried fields as "{...", no closing brace */
	int prefix_empty;
	char *id;
	char *dataset;		/* may be NULL */
	const char *teacher;	/* of its first answer, for the summary */
	size_t bytes;		/* its input line's length */
	unsigned long lineno;
	long est_tokens;	/* estimated prompt tokens */
	int nsamples;
	int open;		/* samples neither done nor failed */
	int flights;		/* requests in flight */
	int failed;
	int unflushed;		/* results waiting in the batch */
	struct sample s[];
};

struct flight {
	struct dss_http_req req;
	struct job *job;
	double tpm_taken;
	int n;
	int idx[];		/* the samples this request asks for */
};

/* One response for one sample, waiting to be committed and emitted. */
struct result {
	struct job *job;
	int sample;
	char *line;		/* the completion record, with newline */
	char *text;
	char *finish_reason;
	const char *teacher;	/* for the cache's model column (replay) */
	char *teacher_owned;
	int has_usage;
	long prompt_tokens, completion_tokens;
	double cost;
	long latency_ms;
	const char *response;	/* raw body, owned by the batch */
	int stored;		/* the insert added the row */
};

struct run {
	sqlite3 *db;
	const struct dss_teach_opts *o;
	struct dss_teach_stats *st;
	struct dss_err *err;
	FILE *out;
	struct dss_lines lines;
	struct dss_http *http;
	sqlite3_stmt *get, *put;
	/* NULL without leases */
	sqlite3_stmt *lease_get, *lease, *unlease, *renew, *release;
	char holder[96];	/* this process in teach_leases */
	double next_renew, next_lease_poll;
	size_t window_bytes;
	double flush_retry;	/* answers wait for the lock until then */
	int reported_usage, reported_mask;
	struct dss_db_checkpointer ck;
	struct job *head, *tail;
	int njobs, window;
	int eof, stopping, fatal;
	int out_failed;		/* stdout broke: drain, commit, then fail */
	int db_failed;		/* the database failed: answers go to the
				   recovery file, nothing new is sent */
	char db_why[DSS_ERR_MAX];	/* how it failed */
	int nosend;		/* a budget is spent: serve only from the cache */
	struct dss_bucket rpm, tpm;
	struct dss_aimd aimd;
	double hold_until;	/* no new request before this (Retry-After) */
	double start, last_progress;
	unsigned int seed;
	unsigned long priced;	/* responses with a known cost */
	struct result *res;
	int nres, capres;
	char **bodies;		/* raw bodies of this batch */
	int nbodies, capbodies;
};

void
dss_teach_opts_init(struct dss_teach_opts *o)
{
	struct dss_teacher_params p = DSS_TEACHER_PARAMS_INIT;

	memset(o, 0, sizeof(*o));
	o->params = p;
	o->concurrency = 8;
	o->max_cost = -1;
	o->max_requests = -1;
	o->timeout_ms = 600000;
	o->retries = 6;
	o->backoff_base = 0.5;
	o->backoff_cap = 60;
	o->max_wait = 300;
	o->lease = 60;
	o->poll = 60;
	o->batch_in = o->batch_out = -1;
}

void
dss_teach_stats_free(struct dss_teach_stats *st)
{
	int i;

	for (i = 0; i < st->ngroups; i++) {
		free(st->groups[i].dataset);
		free(st->groups[i].teacher);
	}
	free(st->groups);
	st->groups = NULL;
	st->ngroups = 0;
}

static int
same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/*
 * The figures of dataset and teacher, made on first use; NULL only when
 * memory runs out (the summary then lacks the group, nothing else).
 */
static struct dss_teach_group *
group(struct dss_teach_stats *st, const char *dataset, const char *teacher)
{
	struct dss_teach_group *g;
	int i;

	for (i = st->ngroups - 1; i >= 0; i--)
		if (same(st->groups[i].dataset, dataset) &&
		    same(st->groups[i].teacher, teacher))
			return &st->groups[i];
	if ((g = realloc(st->groups, (st->ngroups + 1) * sizeof(*g))) == NULL)
		return NULL;
	st->groups = g;
	g += st->ngroups;
	memset(g, 0, sizeof(*g));
	g->dataset = dataset ? strdup(dataset) : NULL;
	g->teacher = strdup(teacher);
	if ((dataset && g->dataset == NULL) || g->teacher == NULL) {
		free(g->dataset);
		free(g->teacher);
		return NULL;
	}
	st->ngroups++;
	return g;
}

int
dss_teach_in_shard(const char *id, unsigned long i, unsigned long n)
{
	char hex[DSS_SHA256_HEX];
	uint64_t h = 0;
	int k;

	if (n <= 1)
		return 1;
	dss_sha256_hex(id, strlen(id), hex);
	for (k = 0; k < 16; k++)
		h = h << 4 | (uint64_t)(hex[k] <= '9' ? hex[k] - '0' : hex[k] - 'a' + 10);
	return h % n == i;
}

void
dss_teach_report(const struct dss_teach_opts *o, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (o->report == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dss_teacher_mask(o->teacher, msg, strlen(msg));
	o->report(o->arg, msg);
}

static void
job_free(struct job *j)
{
	cJSON_Delete(j->record);
	cJSON_Delete(j->input);
	free(j->prefix);
	free(j->id);
	free(j->dataset);
	free(j);
}

static void
job_unlink(struct run *r, struct job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else
		r->head = j->next;
	if (j->next)
		j->next->prev = j->prev;
	else
		r->tail = j->prev;
	r->njobs--;
	r->window_bytes -= j->bytes;
}

/* The summary group of job j's prompt. */
static struct dss_teach_group *
job_group(struct run *r, const struct job *j)
{
	return group(r->st, j->dataset, j->teacher ? j->teacher :
	    r->o->teacher->spec);
}

/* Retires j unfinished (a stop left it); j is freed. */
static void
job_retire(struct run *r, struct job *j)
{
	struct dss_teach_group *g = job_group(r, j);

	r->st->unfinished++;
	if (g)
		g->unfinished++;
	job_unlink(r, j);
	job_free(j);
}

/*
 * Called when a sample leaves the open state; frees a finished job and
 * then returns 1.
 */
static int
sample_closed(struct run *r, struct job *j)
{
	struct dss_teach_group *g;

	if (--j->open > 0 || j->flights > 0)
		return 0;
	g = job_group(r, j);
	if (j->failed) {
		r->st->failed++;
		if (g)
			g->failed++;
	} else {
		r->st->done++;
		if (g)
			g->done++;
	}
	job_unlink(r, j);
	job_free(j);
	return 1;
}

/* True when another job of the window is asking for key. */
static int
twin_active(struct run *r, const struct job *self, const char *key)
{
	const struct job *j;
	int k;

	for (j = r->head; j != NULL; j = j->next) {
		if (j == self)
			continue;
		for (k = 0; k < j->nsamples; k++)
			if ((j->s[k].state == S_PENDING || j->s[k].state == S_FLIGHT ||
			    (j->s[k].state == S_DONE && j->unflushed > 0)) &&
			    strcmp(j->s[k].key, key) == 0)
				return 1;
	}
	return 0;
}

static int
carry_prefix(struct job *j)
{
	static const char *const skip[] = {
		"prompt", "messages", "teacher", "sample", "completion",
		"finish_reason", "usage", "latency_ms", "request", "cached",
	};
	cJSON *c = cJSON_CreateObject();
	const cJSON *it;
	char *s;
	size_t i, n;

	if (c == NULL)
		return -1;
	cJSON_ArrayForEach(it, j->record) {
		for (i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
			if (strcmp(it->string, skip[i]) == 0)
				break;
		if (i < sizeof(skip) / sizeof(skip[0]))
			continue;
		/* takes the duplicate */
		cJSON_AddItemToObject(c, it->string, cJSON_Duplicate(it, 1));
	}
	s = cJSON_PrintUnformatted(c);
	cJSON_Delete(c);
	if (s == NULL)
		return -1;
	n = strlen(s);
	s[n - 1] = '\0';	/* drop the closing brace */
	j->prefix = s;
	j->prefix_empty = n == 2;
	return 0;
}

/*
 * Formats the completion record of sample k of j into a new string with
 * a trailing newline.
 */
static char *
format_record(struct run *r, struct job *j, int k, const char *teacher,
    const char *text, const char *fr, int has_usage, long pt, long ct,
    long latency_ms)
{
	struct dss_buf b = DSS_BUF_INIT;
	int bad = 0;

	bad |= dss_buf_adds(&b, j->prefix);
	bad |= dss_buf_adds(&b, j->prefix_empty ? "\"teacher\":" : ",\"teacher\":");
	bad |= dss_teacher_quote(&b, teacher);
	bad |= dss_buf_addf(&b, ",\"sample\":%d,\"completion\":", k);
	bad |= dss_teacher_quote(&b, text);
	bad |= dss_buf_adds(&b, ",\"finish_reason\":");
	bad |= fr ? dss_teacher_quote(&b, fr) : dss_buf_adds(&b, "null");
	if (has_usage)
		bad |= dss_buf_addf(&b, ",\"usage\":{\"prompt_tokens\":%ld,"
		    "\"completion_tokens\":%ld}", pt, ct);
	else
		bad |= dss_buf_adds(&b, ",\"usage\":null");
	bad |= dss_buf_addf(&b, ",\"latency_ms\":%ld,\"request\":\"%s\"}\n",
	    latency_ms, j->s[k].key);
	if (bad) {
		dss_buf_free(&b);
		return NULL;
	}
	return dss_buf_detach(&b, NULL);
}

/*
 * Output failed: start nothing new, but let the requests in flight finish
 * and commit their answers, so that nothing paid for is lost.
 */
static void
out_broken(struct run *r, int errnum)
{
	if (r->out_failed)
		return;
	r->out_failed = 1;
	r->stopping = 1;
	dss_err_errno(r->err, errnum ? errnum : EIO,
	    "cannot write completion records");
}

static int
emit(struct run *r, const char *line)
{
	if (r->out_failed)
		return 0;
	if (fputs(line, r->out) == EOF) {
		out_broken(r, errno);
		return 0;
	}
	r->st->completions++;
	return 0;
}

/* Counts an emitted completion of job j under teacher in the summary. */
static void
count_completion(struct run *r, struct job *j, const char *teacher,
    int cached)
{
	struct dss_teach_group *g = group(r->st, j->dataset, teacher);

	if (g == NULL)
		return;
	if (j->teacher == NULL)
		j->teacher = g->teacher;
	g->completions++;
	g->cached += cached;
}

/* Looks sample k up in the cache; emits it and returns 1 on a hit. */
static int
from_cache(struct run *r, struct job *j, int k)
{
	sqlite3_stmt *st = r->get;
	const struct dss_teacher *t = r->o->teacher;
	const char *text, *fr, *model, *teacher;
	char *line;
	int rc, hit = 0;

	sqlite3_bind_text(st, 1, j->s[k].key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		text = (const char *)sqlite3_column_text(st, 0);
		fr = (const char *)sqlite3_column_text(st, 1);
		model = (const char *)sqlite3_column_text(st, 5);
		teacher = t->ops->answer && model ? model : t->spec;
		line = format_record(r, j, k, teacher, text ? text : "", fr,
		    sqlite3_column_type(st, 2) != SQLITE_NULL,
		    (long)sqlite3_column_int64(st, 2), (long)sqlite3_column_int64(st, 3),
		    (long)sqlite3_column_int64(st, 4));
		if (line != NULL)
			count_completion(r, j, teacher, 1);
		sqlite3_reset(st);
		if (line == NULL) {
			r->fatal = 1;
			dss_err_set(r->err, "out of memory");
			return dss_err_kind(r->err, DSS_ERR_NOMEM);
		}
		rc = emit(r, line);
		free(line);
		if (rc < 0)
			return -1;
		r->st->cached++;
		hit = 1;
	} else {
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			r->fatal = 1;
			return dss_err_set(r->err, "database '%s': %s",
			    sqlite3_db_filename(r->db, "main"), sqlite3_errmsg(r->db));
		}
	}
	return hit;
}

/*
 * Takes the lease of key for this process, inside the caller's write
 * transaction, when it is free, already ours, or lapsed.  Returns 1 when
 * taken, 0 when another process holds it, -1 on a database error.
 * *lapsed says whether it was taken over from another.
 */
static int
lease_take(struct run *r, const char *key, int *lapsed)
{
	sqlite3_stmt *st = r->lease_get;
	double now = dss_clock_wall();
	int rc, mine = 1;

	*lapsed = 0;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *holder = (const char *)sqlite3_column_text(st, 0);

		mine = holder != NULL && strcmp(holder, r->holder) == 0;
		if (!mine && sqlite3_column_double(st, 1) > now) {
			sqlite3_reset(st);
			return 0;	/* another process holds it */
		}
		*lapsed = !mine;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto dberr;
	st = r->lease;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->holder, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, now + r->o->lease);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		goto dberr;
	return 1;
dberr:
	r->fatal = 1;
	return dss_err_set(r->err, "database '%s': %s",
	    sqlite3_db_filename(r->db, "main"), sqlite3_errmsg(r->db));
}

/*
 * Decides how sample k of j, not in the cache, is to be answered: by a
 * twin in the window (S_WAIT), by this process under its lease
 * (S_PENDING), or by the process holding the lease (S_LEASED).  Runs in
 * the caller's write transaction.  Returns 0 or -1.
 */
static int
claim(struct run *r, struct job *j, int k)
{
	int got, lapsed = 0;

	if (twin_active(r, j, j->s[k].key)) {
		j->s[k].state = S_WAIT;
		return 0;
	}
	if (r->lease == NULL) {
		j->s[k].state = S_PENDING;
		return 0;
	}
	if ((got = lease_take(r, j->s[k].key, &lapsed)) < 0)
		return -1;
	if (got) {
		if (j->s[k].state == S_LEASED) {
			r->st->leased--;
			r->st->takeovers += lapsed;
		}
		j->s[k].state = S_PENDING;
	} else if (j->s[k].state != S_LEASED) {
		j->s[k].state = S_LEASED;
		r->st->leased++;
		r->st->lease_waits++;
	}
	return 0;
}

/*
 * A line that could not be read.  Out of memory is fatal (-1); a bad
 * line is counted, reported and passed over (0).
 */
static int
read_failed(struct run *r, const struct dss_err *e, unsigned long nomem)
{
	if (dss_teacher_json_nomem() != nomem || e->kind == DSS_ERR_NOMEM) {
		r->fatal = 1;
		dss_err_set(r->err, "%s: line %lu: out of memory for a record of "
		    "%zu bytes", r->lines.name, r->lines.lineno,
		    r->lines.line.len);
		return dss_err_kind(r->err, DSS_ERR_NOMEM);
	}
	/* A bad line is counted and skipped; after a read error nothing
	 * more will come. */
	if (!r->lines.bad)
		r->eof = 1;
	r->st->bad++;
	dss_teach_report(r->o, "%s", e->msg);
	return 0;
}

/*
 * A record of another stage (type k; rec is freed): reading stops there.
 * Fatal (-1) when it is the first record of the input, else reported (0).
 * A record of no known type goes on, to be named by its missing field.
 */
static int
wrong_stage(struct run *r, int k, cJSON *rec, struct dss_err *e)
{
	dss_record_wrong(k, DSS_RECORD_PROMPT, "dss-teach", e);
	cJSON_Delete(rec);
	r->eof = 1;
	if (r->st->read == 0 && r->st->other_shard == 0 && r->st->bad == 0) {
		r->fatal = 1;
		return dss_err_set(r->err, "line %lu: %s", r->lines.lineno,
		    e->msg);
	}
	r->st->bad++;
	dss_teach_report(r->o, "line %lu: %s; reading stopped there",
	    r->lines.lineno, e->msg);
	return 0;
}

/*
 * A job for the prompt record rec of the current line and its teacher
 * input, with the request key of each sample.  Takes rec and input (and
 * frees them when it fails).  NULL when out of memory.
 */
static struct job *
job_new(struct run *r, cJSON *rec, cJSON *input)
{
	const struct dss_teach_opts *o = r->o;
	int k, K = o->params.samples;
	const char *ds;
	struct job *j;

	if ((j = calloc(1, sizeof(*j) + K * sizeof(j->s[0]))) == NULL) {
		cJSON_Delete(rec);
		cJSON_Delete(input);
		return NULL;
	}
	j->record = rec;
	j->input = input;
	ds = dss_json_str_opt(j->record, "dataset");
	j->id = strdup(dss_json_str_opt(j->record, "id"));
	j->dataset = ds ? strdup(ds) : NULL;
	if (j->id == NULL || (ds && j->dataset == NULL))
		goto fail;
	j->lineno = r->lines.lineno;
	j->bytes = r->lines.line.len;
	j->nsamples = j->open = K;
	if (carry_prefix(j) < 0)
		goto fail;
	j->est_tokens = dss_teach_estimate_tokens(o->teacher, j->input);
	for (k = 0; k < K; k++)
		if (dss_teacher_key(o->teacher, j->input, &o->params, k,
		    j->s[k].key) < 0)
			goto fail;
	if (o->teacher->ops->answer == NULL) {
		/* the record is not needed again: only local teachers read it */
		cJSON_Delete(j->record);
		j->record = NULL;
	}
	return j;
fail:
	job_free(j);
	return NULL;
}

/*
 * Links j at the tail of the window, then settles each of its samples:
 * answered from the cache, or claimed for sending.  Returns 0, or -1 on
 * a fatal error.
 */
static int
job_enqueue(struct run *r, struct job *j)
{
	int k, K = j->nsamples;

	/* link first, so sample_closed can retire it */
	j->prev = r->tail;
	if (r->tail)
		r->tail->next = j;
	else
		r->head = j;
	r->tail = j;
	r->njobs++;
	r->window_bytes += j->bytes;
	for (k = 0; k < K; k++) {
		int hit = from_cache(r, j, k);

		if (hit < 0)
			return -1;
		if (hit) {
			j->s[k].state = S_DONE;
			if (sample_closed(r, j))
				break;	/* j is gone */
		} else if (claim(r, j, k) < 0) {
			return -1;
		}
	}
	return 0;
}

/* Reads one record into the window.  Returns 0, or -1 on a fatal error. */
static int
read_one(struct run *r)
{
	const struct dss_teach_opts *o = r->o;
	struct dss_err e = DSS_ERR_INIT;
	cJSON *rec = NULL, *input = NULL;
	struct job *j;
	const char *id;
	unsigned long nomem = dss_teacher_json_nomem();
	int k, got;

	got = dss_jsonl_next(&r->lines, &rec, &e);
	if (got == 0) {
		r->eof = 1;
		return 0;
	}
	if (got < 0)
		return read_failed(r, &e, nomem);
	if ((k = dss_record_type(rec, &e)) >= 0 && k != DSS_RECORD_PROMPT)
		return wrong_stage(r, k, rec, &e);
	if ((id = dss_json_str(rec, "id", &e)) == NULL)
		goto bad;
	if (!dss_teach_in_shard(id, o->shard_i, o->shard_n)) {
		r->st->other_shard++;
		cJSON_Delete(rec);
		return 0;
	}
	if ((input = dss_teacher_input(o->teacher, rec, &e)) == NULL)
		goto bad;
	r->st->read++;
	if ((j = job_new(r, rec, input)) == NULL) {
		r->fatal = 1;
		dss_err_set(r->err, "line %lu: out of memory for a record of "
		    "%zu bytes", r->lines.lineno, r->lines.line.len);
		return dss_err_kind(r->err, DSS_ERR_NOMEM);
	}
	return job_enqueue(r, j);
bad:
	r->st->bad++;
	dss_teach_report(r->o, "line %lu: %s", r->lines.lineno, e.msg);
	cJSON_Delete(rec);
	cJSON_Delete(input);
	return 0;
}

static double
cost_of(const struct dss_teach_opts *o, long pt, long ct)
{
	return o->has_price ? (pt * o->price_in + ct * o->price_out) / 1e6 : 0;
}

static int
add_result(struct run *r, struct job *j, int k, const char *teacher,
    const char *text, const char *fr, int has_usage, long pt, long ct,
    long latency_ms, const char *response)
{
	struct result *x;

	if (r->nres == r->capres) {
		int cap = r->capres ? r->capres * 2 : 64;
		struct result *p = realloc(r->res, cap * sizeof(*p));

		if (p == NULL)
			return -1;
		r->res = p;
		r->capres = cap;
	}
	x = &r->res[r->nres];
	memset(x, 0, sizeof(*x));
	x->job = j;
	x->sample = k;
	x->text = strdup(text);
	x->finish_reason = fr ? strdup(fr) : NULL;
	x->teacher_owned = teacher ? strdup(teacher) : NULL;
	x->teacher = x->teacher_owned;
	x->has_usage = has_usage;
	x->prompt_tokens = pt;
	x->completion_tokens = ct;
	x->cost = has_usage ? cost_of(r->o, pt, ct) : 0;
	x->latency_ms = latency_ms;
	x->response = response;
	x->line = format_record(r, j, k, teacher ? teacher : r->o->teacher->spec,
	    text, fr, has_usage, pt, ct, latency_ms);
	if (x->text == NULL || x->line == NULL || (fr && !x->finish_reason) ||
	    (teacher && !x->teacher_owned)) {
		free(x->text);
		free(x->finish_reason);
		free(x->teacher_owned);
		free(x->line);
		return -1;
	}
	j->s[k].state = S_DONE;
	j->unflushed++;
	r->nres++;
	return 0;
}

/*
 * Starts a write transaction.  Returns 0, 1 when another connection holds
 * the write lock (past the short busy timeout of a run), or -1.
 */
static int
begin_write(struct run *r)
{
	int rc = sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

	if (rc == SQLITE_OK)
		return 0;
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return 1;
	return dss_err_set(r->err, "database '%s': %s",
	    sqlite3_db_filename(r->db, "main"), sqlite3_errmsg(r->db));
}

/* The cache row of result x. */
static void
result_row(struct run *r, const struct result *x, struct dss_cache_row *row)
{
	const struct dss_teacher *t = r->o->teacher;
	const struct job *j = x->job;

	memset(row, 0, sizeof(*row));
	row->request = j->s[x->sample].key;
	row->provider = t->ops->provider;
	row->model = t->ops->answer ? (x->teacher ? x->teacher : "replay") :
	    t->model;
	row->dataset = j->dataset;
	row->id = j->id;
	row->sample = x->sample;
	row->completion = x->text;
	row->finish_reason = x->finish_reason;
	row->has_usage = x->has_usage;
	row->prompt_tokens = x->prompt_tokens;
	row->completion_tokens = x->completion_tokens;
	row->has_cost = r->o->has_price;
	row->cost = x->cost;
	row->latency_ms = x->latency_ms;
	row->response = x->response;
}

/*
 * The database failed (not merely busy): the answers of the batch go to
 * the recovery file, fsynced, and the run stops sending; what is in
 * flight is drained into the same file.  Returns 0 when they are safe
 * there, -1 when they could not be written either (err says both).
 */
static int
recover_results(struct run *r, const char *why)
{
	struct dss_cache_row *rows;
	struct dss_err e = DSS_ERR_INIT;
	int i, n = r->nres;

	if (!r->db_failed) {
		r->db_failed = 1;
		r->stopping = 1;
		dss_err_set(r->err, "%s", why);
	}
	if (n == 0)
		return 0;
	if (r->o->recovery == NULL)
		return dss_err_set(r->err, "%s; %d paid answer%s lost", why, n,
		    n == 1 ? "" : "s");
	if ((rows = calloc((size_t)n, sizeof(*rows))) == NULL)
		return dss_err_set(r->err, "%s; out of memory for the recovery "
		    "file", why);
	for (i = 0; i < n; i++)
		result_row(r, &r->res[i], &rows[i]);
	if (dss_recovery_append(r->o->recovery, rows, n, &e) < 0) {
		free(rows);
		return dss_err_set(r->err, "%s; %s: %d paid answer%s lost", why,
		    e.msg, n, n == 1 ? "" : "s");
	}
	free(rows);
	r->st->recovered += (unsigned long)n;
	dss_err_set(r->err, "%s; %lu paid answer%s kept in '%s', imported into "
	    "the cache by the next run", r->db_why, r->st->recovered,
	    r->st->recovered == 1 ? "" : "s", r->o->recovery);
	for (i = 0; i < n; i++) {
		r->res[i].job->unflushed--;
		r->res[i].job->s[r->res[i].sample].state = S_FAILED;
		r->res[i].job->failed = 1;
		sample_closed(r, r->res[i].job);
	}
	return 0;
}

/* Puts each result into the cache and frees its lease, inside the
 * caller's transaction.  Returns 0, or -1 on a database error. */
static int
store_results(struct run *r)
{
	int i;

	for (i = 0; i < r->nres; i++) {
		struct result *x = &r->res[i];
		struct dss_cache_row row;

		result_row(r, x, &row);
		if (dss_cache_put(r->put, &row) != SQLITE_DONE)
			return -1;
		x->stored = sqlite3_changes(r->db) == 1;
		if (r->unlease != NULL) {
			int rc;

			sqlite3_bind_text(r->unlease, 1,
			    x->job->s[x->sample].key, -1, SQLITE_STATIC);
			rc = sqlite3_step(r->unlease);
			sqlite3_reset(r->unlease);
			if (rc != SQLITE_DONE)
				return -1;
		}
	}
	return 0;
}

/* Another process holds the database: the results wait for a retry. */
static int
results_wait(struct run *r)
{
	r->st->db_waiting = 1;
	r->flush_retry = dss_clock_now() + 0.2;
	return 1;
}

/*
 * Commits the results in one transaction.  Returns 0; 1 when another
 * process holds the database; -1 when the database failed, with the
 * reason in r->db_why and nothing written.
 */
static int
commit_results(struct run *r)
{
	int rc;

	dss_db_checkpointer_throttle(&r->ck);
	if ((rc = begin_write(r)) != 0) {
		if (rc > 0)
			return results_wait(r);
		snprintf(r->db_why, sizeof(r->db_why), "%s", r->err->msg);
		return -1;
	}
	if (store_results(r) < 0)
		goto dberr;
	if ((rc = sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK) {
		if ((rc & 0xff) == SQLITE_BUSY) {
			dss_db_rollback(r->db);
			return results_wait(r);
		}
		goto dberr;
	}
	r->st->db_waiting = 0;
	return 0;
dberr:
	snprintf(r->db_why, sizeof(r->db_why), "database '%s': %s",
	    sqlite3_db_filename(r->db, "main"), sqlite3_errmsg(r->db));
	dss_db_rollback(r->db);
	return -1;
}

/* Counts the usage and cost of a committed result, for the run and its
 * group g (when not NULL); an answer already cached counts nothing. */
static void
count_usage(struct run *r, const struct result *x, struct dss_teach_group *g)
{
	if (!x->stored || !x->has_usage)
		return;
	r->st->prompt_tokens += x->prompt_tokens;
	r->st->completion_tokens += x->completion_tokens;
	if (g) {
		g->prompt_tokens += x->prompt_tokens;
		g->completion_tokens += x->completion_tokens;
	}
	if (r->o->has_price) {
		r->st->cost += x->cost;
		if (g)
			g->cost += x->cost;
	}
}

/* Counts and emits the committed results, closing their samples. */
static void
emit_results(struct run *r)
{
	int i;

	for (i = 0; i < r->nres; i++) {
		struct result *x = &r->res[i];
		const char *teacher = x->teacher ? x->teacher :
		    r->o->teacher->spec;

		count_usage(r, x, group(r->st, x->job->dataset, teacher));
		if (!r->out_failed)
			count_completion(r, x->job, teacher, 0);
		emit(r, x->line);
		x->job->unflushed--;
		sample_closed(r, x->job);
	}
	if (!r->out_failed && fflush(r->out) == EOF)
		out_broken(r, errno);
}

/* Frees the results and the request bodies of the batch just flushed. */
static void
clear_results(struct run *r)
{
	int i;

	for (i = 0; i < r->nres; i++) {
		free(r->res[i].text);
		free(r->res[i].finish_reason);
		free(r->res[i].teacher_owned);
		free(r->res[i].line);
	}
	r->nres = 0;
	for (i = 0; i < r->nbodies; i++)
		free(r->bodies[i]);
	r->nbodies = 0;
}

/*
 * Commits the batch of results in one transaction, then emits them.
 * Returns 0; 1 when another process holds the database, the results
 * being kept for the next try (a paid answer is never dropped); or -1.
 * When the database fails otherwise, the results go to the recovery
 * file (recover_results) and the run winds down.
 */
static int
flush_results(struct run *r)
{
	int rc;

	if (r->nres == 0)
		return 0;
	if (!r->db_failed && (rc = commit_results(r)) >= 0) {
		if (rc == 1)
			return 1;
		emit_results(r);
	} else {
		if ((rc = recover_results(r, r->db_why)) < 0)
			r->fatal = 1;
	}
	clear_results(r);
	return rc;
}

/*
 * Marks sample k of j failed for good and reports the prompt once.
 * Returns 1 when that freed j.
 */
static int
fail_sample(struct run *r, struct job *j, int k, const char *why)
{
	j->s[k].state = S_FAILED;
	if (!j->failed)
		dss_teach_report(r->o, "line %lu: prompt '%s' failed after %d "
		    "attempt%s: %s", j->lineno, j->id, j->s[k].attempts,
		    j->s[k].attempts == 1 ? "" : "s", why);
	j->failed = 1;
	return sample_closed(r, j);
}

/* Keeps a raw body alive until the batch is flushed; returns it. */
static const char *
keep_body(struct run *r, struct dss_buf *b)
{
	char *s;

	if (r->nbodies == r->capbodies) {
		int cap = r->capbodies ? r->capbodies * 2 : 64;
		char **p = realloc(r->bodies, cap * sizeof(*p));

		if (p == NULL)
			return NULL;
		r->bodies = p;
		r->capbodies = cap;
	}
	if ((s = dss_buf_detach(b, NULL)) == NULL)
		return NULL;
	r->bodies[r->nbodies++] = s;
	return s;
}

/*
 * Stops the run for a reason every other request would share (a refused
 * key, a redirect, an untrusted certificate); the first reason is kept.
 */
static void
stop_run(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
stop_run(struct run *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->stopping && r->st->stop_reason[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(r->st->stop_reason, sizeof(r->st->stop_reason), fmt, ap);
		va_end(ap);
	}
	r->stopping = 1;
}

/*
 * The wait the server asked for in a failed answer, under the max_wait
 * cap: returns the seconds to wait (-1 for none, then backoff applies);
 * when the server asked for more than the cap, says so in why and sets
 * *refuse, and the prompt fails at once.
 */
static double
server_wait(struct run *r, const struct dss_http_req *req, double now,
    char *why, size_t whysz, int *refuse)
{
	double asked = -1, wait;
	const char *what = "Retry-After";
	size_t n;

	if (req->retry_after >= 0) {
		asked = req->retry_after;
	} else if (dss_retry_throttle(req->status) &&
	    (req->reset_requests > 0 || req->reset_tokens > 0)) {
		asked = fmax(req->reset_requests, req->reset_tokens);
		what = "rate-limit reset";
	}
	switch (dss_retry_cap(asked, r->o->max_wait, &wait)) {
	case DSS_WAIT_OK:
		if (dss_retry_throttle(req->status) && now + wait > r->hold_until)
			r->hold_until = now + wait;
		return wait;
	case DSS_WAIT_OVER_CAP:
		n = strlen(why);
		snprintf(why + n, whysz - n, "; the server asked to wait %.0f s "
		    "(%s), more than --max-wait %g s", wait, what, r->o->max_wait);
		*refuse = 1;
		return -1;
	default:
		return -1;
	}
}

/* The cost a budget charges for an answer whose usage is unknown. */
static double
estimate_cost(struct run *r, const struct job *j, int n)
{
	long out = r->o->params.max_tokens > 0 ? r->o->params.max_tokens : 4096;

	return cost_of(r->o, j->est_tokens, out * n);
}

/* Masks the key in every choice of res; returns the bytes masked. */
static size_t
mask_result(const struct dss_teacher *t, struct dss_teacher_result *res)
{
	size_t n = 0;
	int i;

	for (i = 0; i < res->n; i++) {
		n += dss_teacher_mask(t, res->choices[i].text,
		    strlen(res->choices[i].text));
		if (res->choices[i].finish_reason)
			n += dss_teacher_mask(t, res->choices[i].finish_reason,
			    strlen(res->choices[i].finish_reason));
	}
	return n;
}

/* What became of one request: why it failed, and whether to ask again. */
struct verdict {
	char why[1400];
	int retry;		/* a retry may cure it */
	double wait;		/* the server's wait, -1: backoff */
	int used;		/* samples answered */
};

/* A transport failure (curl's): retried unless it would come back the same. */
static void
transport_failed(struct run *r, const struct dss_http_req *req,
    struct verdict *v)
{
	const struct dss_teacher *t = r->o->teacher;

	snprintf(v->why, sizeof(v->why), "%s", req->error);
	dss_teacher_mask(t, v->why, strlen(v->why));
	switch (req->fail_kind) {
	case DSS_ERR_TLS:
		v->retry = 0;
		stop_run(r, "cannot verify the TLS certificate of '%s': %s; "
		    "give --cacert FILE to trust a private CA", t->base_url, v->why);
		break;
	case DSS_ERR_TOO_LARGE:
	case DSS_ERR_NOMEM:
		v->retry = 0;	/* it would come back the same, and be paid */
		break;
	default:
		if (req->curl_code == CURLE_UNSUPPORTED_PROTOCOL ||
		    req->curl_code == CURLE_URL_MALFORMAT)
			v->retry = 0;
		break;
	}
}

/* A 3xx answer: redirects are not followed, so the run stops. */
static void
redirected(struct run *r, const struct dss_http_req *req, struct verdict *v)
{
	char loc[sizeof(req->location)];

	memcpy(loc, req->location, sizeof(loc));
	dss_teacher_mask(r->o->teacher, loc, strlen(loc));
	snprintf(v->why, sizeof(v->why), "HTTP %ld: a redirect to '%s', and "
	    "redirects are not followed", req->status, loc[0] ? loc : "?");
	v->retry = 0;
	r->st->refused = (int)req->status;
	stop_run(r, "the teacher answered HTTP %ld, a redirect to '%s' "
	    "(redirects are not followed: give the final URL as --base-url)",
	    req->status, loc[0] ? loc : "?");
}

/* An HTTP error status: retried by retry.h's rules, throttles slow the run. */
static void
http_failed(struct run *r, const struct dss_http_req *req, double now,
    struct verdict *v)
{
	const struct dss_teacher *t = r->o->teacher;
	char msg[300];
	int refuse = 0;

	dss_teacher_error_message(t, req->resp.data, req->resp.len, msg,
	    sizeof(msg));
	snprintf(v->why, sizeof(v->why), "HTTP %ld: %s", req->status, msg);
	v->retry = dss_retry_status(req->status);
	if (req->status == 401 || req->status == 403 || req->status == 404) {
		/* a bad key, model or URL: every other request fails too */
		if (!r->stopping)
			r->st->refused = (int)req->status;
		stop_run(r, "the teacher answered HTTP %ld, so every request "
		    "would fail", req->status);
	}
	if (dss_retry_throttle(req->status)) {
		r->st->throttled++;
		dss_aimd_throttled(&r->aimd, now);
	}
	v->wait = server_wait(r, req, now, v->why, sizeof(v->why), &refuse);
	if (refuse)
		v->retry = 0;
}

/* Says once per run what was odd about an answer: a masked key, bad usage. */
static void
report_answer(struct run *r, const struct job *j,
    const struct dss_teacher_result *res, size_t masked)
{
	if (masked > 0) {
		r->st->masked++;
		if (!r->reported_mask++)
			dss_teach_report(r->o, "line %lu: the answer for prompt "
			    "'%s' held a part of the API key; it is masked in "
			    "the cache and the output", j->lineno, j->id);
	}
	if (res->bad_usage) {
		r->st->bad_usage++;
		if (!r->reported_usage++)
			dss_teach_report(r->o, "line %lu: the teacher reported "
			    "token usage out of range for prompt '%s'; usage "
			    "ignored (recorded as null)%s", j->lineno, j->id,
			    r->o->has_price ? ", the budget charged at an "
			    "estimate" : "");
	}
}

/* Holds new requests back while a rate-limit window the server named is spent. */
static void
hold_for_reset(struct run *r, const struct dss_http_req *req, double now)
{
	if (req->remaining_requests == 0 && req->reset_requests > 0 &&
	    now + fmin(req->reset_requests, r->o->max_wait) > r->hold_until)
		r->hold_until = now + fmin(req->reset_requests, r->o->max_wait);
	if (req->remaining_tokens == 0 && req->reset_tokens > 0 &&
	    now + fmin(req->reset_tokens, r->o->max_wait) > r->hold_until)
		r->hold_until = now + fmin(req->reset_tokens, r->o->max_wait);
}

/*
 * A parsed 2xx answer: charges it, and adds its choices as results (the
 * usage split evenly, the remainder to the first).  Sets v->used.
 */
static void
take_answer(struct run *r, struct dss_http_req *req, struct flight *f,
    struct dss_teacher_result *res, size_t raw_masked, double now,
    struct verdict *v)
{
	struct job *j = f->job;
	long pt = res->prompt_tokens, ct = res->completion_tokens;
	long latency = (long)(req->elapsed * 1000 + 0.5);
	int m = res->n < f->n ? res->n : f->n, i;
	size_t masked = raw_masked + mask_result(r->o->teacher, res);
	const char *body = keep_body(r, &req->resp);

	v->used = m;
	if (body == NULL) {
		r->fatal = 1;
		dss_err_set(r->err, "out of memory");
		dss_err_kind(r->err, DSS_ERR_NOMEM);
	}
	report_answer(r, j, res, masked);
	if (r->o->has_price) {
		r->st->spent += res->has_usage ? cost_of(r->o, pt, ct) :
		    estimate_cost(r, j, f->n);
		r->priced++;
	}
	if (res->has_usage)
		dss_bucket_refund(&r->tpm, f->tpm_taken - (double)(pt + ct), now);
	for (i = 0; i < m && !r->fatal; i++) {
		long spt = pt / m + (i == 0 ? pt % m : 0);
		long sct = ct / m + (i == 0 ? ct % m : 0);

		if (add_result(r, j, f->idx[i], NULL, res->choices[i].text,
		    res->choices[i].finish_reason, res->has_usage, spt, sct,
		    latency, body) < 0) {
			r->fatal = 1;
			dss_err_set(r->err, "out of memory");
			dss_err_kind(r->err, DSS_ERR_NOMEM);
		}
	}
	dss_aimd_success(&r->aimd);
	hold_for_reset(r, req, now);
	snprintf(v->why, sizeof(v->why), "response has no choices");
}

/*
 * The samples of f that its answer did not cover: asked again at once
 * after a short answer, else retried after the wait or a backoff, or
 * failed for good (or left unfinished when the run is stopping).
 */
static void
requeue(struct run *r, struct flight *f, const struct verdict *v, double now)
{
	struct job *j = f->job;
	int i;

	for (i = v->used; i < f->n; i++) {
		struct sample *s = &j->s[f->idx[i]];

		s->state = S_PENDING;
		if (v->used > 0)
			continue;	/* a short answer: ask again, no penalty */
		if (!v->retry || s->attempts > r->o->retries || r->stopping ||
		    r->nosend) {
			if ((r->stopping || r->nosend) && v->retry &&
			    s->attempts <= r->o->retries)
				continue;	/* left unfinished by the stop */
			if (fail_sample(r, j, f->idx[i], v->why))
				break;	/* j is gone */
			continue;
		}
		r->st->retries++;
		s->not_before = now + (v->wait >= 0 ? v->wait :
		    dss_retry_backoff(s->attempts, r->o->backoff_base,
		    r->o->backoff_cap, &r->seed));
	}
}

/* A finished HTTP request: store its choices or schedule retries. */
static void
on_done(struct dss_http_req *req, void *arg)
{
	struct run *r = arg;
	struct flight *f = req->user;
	const struct dss_teacher *t = r->o->teacher;
	struct dss_teacher_result res = DSS_TEACHER_RESULT_INIT;
	struct dss_err e = DSS_ERR_INIT;
	struct verdict v = { "", 1, -1, 0 };
	double now = dss_clock_now();
	size_t raw_masked = 0, repaired = 0;

	r->st->in_flight--;
	f->job->flights--;
	/* A teacher's text is not ours to refuse: what is not valid UTF-8,
	 * and escapes of NUL or lone surrogates, become U+FFFD, counted.
	 * The raw body is stored: mask the key in it before anything reads
	 * it. */
	if (req->curl_code == 0 && req->status >= 200 && req->status <= 299) {
		if (dss_jscan_repair(&req->resp, &repaired) == 0 && repaired > 0)
			r->st->repaired++;
		raw_masked = dss_teacher_mask_json(t, req->resp.data, req->resp.len);
	}
	if (req->curl_code != 0) {
		transport_failed(r, req, &v);
	} else if (req->status >= 300 && req->status <= 399) {
		redirected(r, req, &v);
	} else if (req->status < 200 || req->status > 299) {
		http_failed(r, req, now, &v);
	} else if (t->ops->parse(t, req->resp.data, req->resp.len, &res, &e) < 0) {
		snprintf(v.why, sizeof(v.why), "malformed response: %s", e.msg);
		if (e.kind == DSS_ERR_TOO_DEEP || e.kind == DSS_ERR_NOMEM)
			v.retry = 0;
	} else {
		take_answer(r, req, f, &res, raw_masked, now, &v);
	}
	dss_teacher_result_free(&res);
	requeue(r, f, &v, now);
	dss_http_req_free(req);
	free(f);
}

/* Answers the pending samples of j from a local teacher (replay). */
static int
answer_local(struct run *r, struct job *j)
{
	const struct dss_teacher *t = r->o->teacher;
	int k;

	for (k = 0; k < j->nsamples; k++) {
		struct dss_teacher_result res = DSS_TEACHER_RESULT_INIT;
		struct dss_err e = DSS_ERR_INIT;
		int rc;

		if (j->s[k].state != S_PENDING)
			continue;
		j->s[k].attempts++;
		if (t->ops->answer(t, j->record, k, &res, &e) < 0) {
			dss_teacher_result_free(&res);
			if (fail_sample(r, j, k, e.msg))
				return 0;	/* j is gone */
			continue;
		}
		if (res.bad_usage)
			r->st->bad_usage++;
		rc = add_result(r, j, k, res.teacher ? res.teacher : "replay",
		    res.choices[0].text, res.choices[0].finish_reason,
		    res.has_usage, res.prompt_tokens, res.completion_tokens, 0, NULL);
		dss_teacher_result_free(&res);
		if (rc < 0) {
			r->fatal = 1;
			return dss_err_set(r->err, "out of memory");
		}
	}
	return 0;
}

/* Checks the budgets before a new request; sets stopping when spent. */
static int
budget_allows(struct run *r)
{
	const struct dss_teach_opts *o = r->o;
	struct dss_teach_stats *st = r->st;

	if (o->max_requests >= 0 && (long)st->requests + 1 > o->max_requests) {
		st->budget_stop = 2;
		r->nosend = 1;
		return 0;
	}
	if (o->max_cost >= 0) {
		double avg;

		if (r->priced == 0)	/* no price seen yet: one at a time */
			return st->in_flight == 0 && st->spent < o->max_cost ? 1 : -1;
		avg = st->spent / (double)r->priced;
		if (st->spent + (st->in_flight + 1) * avg > o->max_cost) {
			if (st->in_flight > 0)
				return -1;	/* wait: in-flight answers may cost less */
			st->budget_stop = 1;
			r->nosend = 1;
			return 0;
		}
	}
	return 1;
}

/*
 * Answers the waiting samples of j from the cache where it can.  Returns
 * 1 when every sample of j is answered (j is gone), 0, or -1 on error.
 */
static int
take_cached(struct run *r, struct job *j)
{
	int k, hit, gone = 0;

	for (k = 0; !gone && k < j->nsamples; k++) {
		if (j->s[k].state != S_WAIT || twin_active(r, j, j->s[k].key))
			continue;
		if ((hit = from_cache(r, j, k)) < 0)
			return -1;
		j->s[k].state = hit ? S_DONE : S_PENDING;
		if (hit)
			gone = sample_closed(r, j);
	}
	return gone;
}

/* Nothing may be sent: retires j once it waits on nothing, to read on for cache hits. */
static void
retire_unsendable(struct run *r, struct job *j)
{
	int k;

	for (k = 0; k < j->nsamples; k++)
		if (j->s[k].state == S_WAIT)
			return;
	if (j->flights != 0 || j->unflushed != 0)
		return;
	for (k = 0; k < j->nsamples; k++)
		if (j->s[k].state == S_LEASED)
			r->st->leased--;
	job_retire(r, j);
}

/*
 * True when no new request may start now: the concurrency limit, a wait
 * the server asked for (*wake lowered to its end), or the budget.
 */
static int
held_back(struct run *r, double now, double *wake)
{
	if (r->st->in_flight >= dss_aimd_limit(&r->aimd))
		return 1;
	if (r->hold_until > now) {
		if (r->hold_until < *wake)
			*wake = r->hold_until;
		return 1;
	}
	return budget_allows(r) <= 0;
}

/*
 * A flight of sample k of j and, where the provider takes n, the other
 * samples of j that are due (up to 128).  NULL when out of memory.
 */
static struct flight *
new_flight(struct run *r, struct job *j, int k, double now)
{
	struct flight *f = calloc(1, sizeof(*f) + j->nsamples * sizeof(int));
	int n;

	if (f == NULL)
		return NULL;
	f->job = j;
	f->idx[f->n++] = k;
	if (r->o->teacher->ops->multi_sample)
		for (n = k + 1; n < j->nsamples && f->n < 128; n++)
			if (j->s[n].state == S_PENDING && j->s[n].not_before <= now)
				f->idx[f->n++] = n;
	return f;
}

/*
 * Sends f, taking its request and tokens from the rate limits.  Returns
 * 0, 1 when the limits say wait (f freed, *wake lowered), or -1 on error
 * (f freed, the run fatal).
 */
static int
send_flight(struct run *r, struct flight *f, double now, double *wake)
{
	const struct dss_teach_opts *o = r->o;
	const struct dss_teacher *t = o->teacher;
	struct job *j = f->job;
	struct dss_teach_group *g;
	struct dss_err e = DSS_ERR_INIT;
	double w, need;
	int n;

	need = (double)j->est_tokens + (double)(o->params.max_tokens > 0 ?
	    o->params.max_tokens : 256) * f->n;
	w = fmax(dss_bucket_wait(&r->rpm, 1, now),
	    dss_bucket_wait(&r->tpm, need, now));
	if (w > 0) {
		free(f);
		if (now + w < *wake)
			*wake = now + w;
		return 1;
	}
	if (t->ops->request(t, j->input, &o->params, f->n, &f->req, &e) < 0) {
		dss_err_set(r->err, "%s", e.msg);
		goto fail;
	}
	f->req.timeout_ms = o->timeout_ms;
	f->req.user = f;
	if (dss_http_add(r->http, &f->req, r->err) < 0)
		goto fail;
	dss_bucket_take(&r->rpm, 1, now);
	dss_bucket_take(&r->tpm, need, now);
	if ((g = group(r->st, j->dataset, t->spec)) != NULL)
		g->requests++;
	f->tpm_taken = need;
	for (n = 0; n < f->n; n++) {
		j->s[f->idx[n]].state = S_FLIGHT;
		j->s[f->idx[n]].attempts++;
	}
	j->flights++;
	r->st->in_flight++;
	r->st->requests++;
	return 0;
fail:
	dss_http_req_free(&f->req);
	free(f);
	r->fatal = 1;
	return -1;
}

/*
 * Sends the pending samples of j that are due.  Returns 0, 1 when nothing
 * more may start now, or -1 on error.
 */
static int
send_job(struct run *r, struct job *j, double now, double *wake)
{
	struct flight *f;
	int k, rc;

	for (k = 0; k < j->nsamples; k++) {
		if (j->s[k].state != S_PENDING)
			continue;
		if (j->s[k].not_before > now) {
			if (j->s[k].not_before < *wake)
				*wake = j->s[k].not_before;
			continue;
		}
		if (held_back(r, now, wake))
			return 1;
		if ((f = new_flight(r, j, k, now)) == NULL) {
			r->fatal = 1;
			return dss_err_set(r->err, "out of memory");
		}
		if ((rc = send_flight(r, f, now, wake)) != 0)
			return rc;
	}
	return 0;
}

/*
 * Starts what may be started now.  *wake is lowered to the time when
 * something waiting (a retry, the rate limits) may be started.
 */
static int
dispatch(struct run *r, double now, double *wake)
{
	struct job *j, *next;
	int gone, rc;

	if (r->st->db_waiting)
		return 0;	/* answers wait for the lock: nothing new */
	for (j = r->head; j != NULL && !r->stopping; j = next) {
		next = j->next;
		if ((gone = take_cached(r, j)) < 0)
			return -1;
		if (gone)
			continue;	/* every sample of j is answered */
		if (r->nosend) {
			retire_unsendable(r, j);
			continue;
		}
		if (r->o->teacher->ops->answer != NULL) {
			if (answer_local(r, j) < 0)
				return -1;
			continue;
		}
		if ((rc = send_job(r, j, now, wake)) != 0)
			return rc < 0 ? -1 : 0;
	}
	return 0;
}

static void
progress(struct run *r, double now, int final)
{
	r->st->elapsed = now - r->start;
	r->st->waiting = r->hold_until > now && !final ? r->hold_until - now : 0;
	r->st->limit = dss_aimd_limit(&r->aimd);
	if (r->o->progress != NULL)
		r->o->progress(r->o->arg, r->st, final);
	r->last_progress = now;
}

/*
 * True when the window should be refilled: it is less than half full,
 * or a request slot is free.  Refilling in batches puts many cache
 * lookups in one read transaction.
 */
static int
want_read(struct run *r)
{
	if (r->eof || r->stopping || r->njobs >= r->window || r->st->db_waiting)
		return 0;
	if (r->njobs > 0 && r->window_bytes >= WINDOW_BYTES)
		return 0;	/* long lines: fewer of them at once */
	return r->njobs < r->window / 2 || r->http == NULL ||
	    dss_http_running(r->http) < dss_aimd_limit(&r->aimd);
}

/*
 * Looks again at the samples another process holds: served from the cache
 * once it stored them, sent by this process once their lease lapsed.
 * One write transaction; skipped (and tried again later) when the
 * database is busy.  Returns 0 or -1.
 */
static int
poll_leased(struct run *r)
{
	struct job *j, *next;
	int k, rc, gone;

	if ((rc = begin_write(r)) != 0)
		return rc < 0 ? (r->fatal = 1, -1) : 0;
	for (j = r->head; j != NULL; j = next) {
		next = j->next;
		for (gone = 0, k = 0; !gone && k < j->nsamples; k++) {
			int hit;

			if (j->s[k].state != S_LEASED)
				continue;
			if ((hit = from_cache(r, j, k)) < 0)
				goto fail;
			if (hit) {
				r->st->leased--;
				j->s[k].state = S_DONE;
				gone = sample_closed(r, j);
			} else if (claim(r, j, k) < 0) {
				goto fail;
			}
		}
	}
	if (dss_db_commit(r->db, r->err) < 0)
		goto fail;
	return 0;
fail:
	dss_db_rollback(r->db);
	r->fatal = 1;
	return -1;
}

/* Pushes back the expiry of every lease this process holds. */
static void
renew_leases(struct run *r, double now)
{
	int rc;

	sqlite3_bind_double(r->renew, 1, dss_clock_wall() + r->o->lease);
	sqlite3_bind_text(r->renew, 2, r->holder, -1, SQLITE_STATIC);
	rc = sqlite3_step(r->renew);
	sqlite3_reset(r->renew);
	/* busy: try again soon; the lease has two thirds of its time left */
	r->next_renew = now + (rc == SQLITE_DONE ? r->o->lease / 3 : 0.5);
}

/* Gives up every lease this process still holds (at the end of a run). */
static void
release_leases(struct run *r)
{
	int i;

	if (r->release == NULL)
		return;
	sqlite3_bind_text(r->release, 1, r->holder, -1, SQLITE_STATIC);
	for (i = 0; i < 50 && (sqlite3_step(r->release) & 0xff) == SQLITE_BUSY; i++)
		sqlite3_reset(r->release);	/* else they lapse by themselves */
	sqlite3_reset(r->release);
}

static int
prepare_leases(struct run *r)
{
	char host[64] = "";
	unsigned int rnd = r->seed;

	gethostname(host, sizeof(host) - 1);
	snprintf(r->holder, sizeof(r->holder), "%s:%ld:%08x", host,
	    (long)getpid(), (unsigned int)rand_r(&rnd));
	if ((r->lease_get = dss_db_prepare(r->db, "SELECT holder, expires FROM "
	    "teach_leases WHERE request = ?", r->err)) == NULL ||
	    (r->lease = dss_db_prepare(r->db, "INSERT OR REPLACE INTO "
	    "teach_leases (request, holder, expires) VALUES (?, ?, ?)",
	    r->err)) == NULL ||
	    (r->unlease = dss_db_prepare(r->db, "DELETE FROM teach_leases "
	    "WHERE request = ?", r->err)) == NULL ||
	    (r->renew = dss_db_prepare(r->db, "UPDATE teach_leases SET expires = ? "
	    "WHERE holder = ?", r->err)) == NULL ||
	    (r->release = dss_db_prepare(r->db, "DELETE FROM teach_leases "
	    "WHERE holder = ?", r->err)) == NULL)
		return -1;
	return 0;
}

/* Reads a batch of records into the window.  Returns 0 or -1. */
static int
read_batch(struct run *r)
{
	int rc;

	/* one transaction for the lookups (and leases) of a batch */
	if (r->lease != NULL) {
		if ((rc = begin_write(r)) != 0)
			return rc < 0 ? -1 : 0;	/* busy: read later */
	} else if (dss_db_exec(r->db, "BEGIN", r->err) < 0) {
		return -1;
	}
	while (!r->eof && !r->stopping && r->njobs < r->window &&
	    (r->njobs == 0 || r->window_bytes < WINDOW_BYTES))
		if (read_one(r) < 0) {
			dss_db_rollback(r->db);
			return -1;
		}
	return dss_db_commit(r->db, r->err);
}

/* Sets up r for a run: rate limits, the HTTP engine, statements, leases. */
static int
run_open(struct run *r, sqlite3 *db, const struct dss_teach_opts *o,
    struct dss_err *err)
{
	r->start = r->last_progress = dss_clock_now();
	r->seed = (unsigned int)time(NULL) ^ (unsigned int)getpid();
	r->window = o->concurrency * 4 > 64 ? o->concurrency * 4 : 64;
	dss_bucket_init(&r->rpm, o->rpm, r->start);
	dss_bucket_init(&r->tpm, o->tpm, r->start);
	dss_aimd_init(&r->aimd, o->concurrency);
	dss_teacher_json_hooks();
	r->nosend = o->cache_only;
	if (o->teacher->ops->answer == NULL && !o->cache_only &&
	    ((r->http = dss_http_new(o->concurrency, err)) == NULL ||
	    (o->cacert != NULL && dss_http_set_cacert(r->http, o->cacert, err) < 0)))
		return -1;
	/*
	 * A writer that holds the database must not stall the request loop
	 * for long: transactions give up after a short wait and are tried
	 * again from the loop (answers stay in memory meanwhile).
	 */
	sqlite3_busy_timeout(db, 200);
	/*
	 * Commits come at thousands a second: the WAL is copied into the
	 * database (and fsynced) on a thread of its own, so the request
	 * loop never stalls on a checkpoint.
	 */
	dss_db_checkpointer_start(&r->ck, db);
	if ((r->get = dss_db_prepare(db, "SELECT completion, finish_reason, "
	    "prompt_tokens, completion_tokens, latency_ms, model "
	    "FROM teach_cache WHERE request = ?", err)) == NULL ||
	    (r->put = dss_db_prepare(db, DSS_CACHE_PUT_SQL, err)) == NULL)
		return -1;
	if (r->http != NULL && o->lease > 0 && prepare_leases(r) < 0)
		return -1;
	r->next_renew = r->start + o->lease / 3;
	return 0;
}

/* Stops the run once a signal has been caught (o->stop set). */
static void
check_signal(struct run *r)
{
	int sig = r->o->stop != NULL ? *r->o->stop : 0;

	if (sig && !r->stopping)
		stop_run(r, "interrupted by %s", sig == SIGTERM ? "SIGTERM" :
		    sig == SIGINT ? "SIGINT" : sig == SIGHUP ? "SIGHUP" :
		    "a signal");
}

/* Polls leases held elsewhere and renews ours when due; lowers *wake. */
static int
lease_timers(struct run *r, double now, double *wake)
{
	if (r->st->leased > 0) {
		if (now >= r->next_lease_poll) {
			if (poll_leased(r) < 0)
				return -1;
			r->next_lease_poll = now + fmin(LEASE_POLL, r->o->lease / 4);
		}
		if (r->next_lease_poll < *wake)
			*wake = r->next_lease_poll;
	}
	if (r->renew != NULL) {
		if (now >= r->next_renew)
			renew_leases(r, now);
		if (r->next_renew < *wake)
			*wake = r->next_renew;
	}
	return 0;
}

/*
 * One turn of the loop: read, start requests, commit answers.  Returns 0
 * to wait for the network, 1 to go round at once, 2 when the run is
 * over, or -1 on error.
 */
static int
run_turn(struct run *r, double now, double *wake)
{
	check_signal(r);
	if (want_read(r) && read_batch(r) < 0)
		return -1;
	if (lease_timers(r, now, wake) < 0 || dispatch(r, now, wake) < 0)
		return -1;
	/* new requests go out before this batch is committed */
	if (r->http != NULL && dss_http_start(r->http, r->err) < 0)
		return -1;
	if ((!r->st->db_waiting || now >= r->flush_retry) && flush_results(r) < 0)
		return -1;
	if (r->fatal)
		return -1;
	if (r->st->db_waiting && r->flush_retry < *wake)
		*wake = r->flush_retry;
	if (r->http != NULL && dss_http_running(r->http) > 0)
		return 0;
	if (r->nres > 0) {
		/* answers wait for the database lock: wait with them */
		if (r->http != NULL)
			return 0;
		dss_clock_sleep(fmax(0, r->flush_retry - now));
		return 1;
	}
	if (r->stopping || (r->eof && r->njobs == 0))
		return 2;
	if (r->http == NULL)
		return r->eof ? 2 : 1;	/* replay: everything answered */
	return 0;
}

/* The request loop, until the input is answered, the run stops or fails. */
static int
run_loop(struct run *r)
{
	for (;;) {
		double now = dss_clock_now(), wake = now + 1.0;
		int timeout, turn = run_turn(r, now, &wake);

		if (turn < 0)
			return -1;
		if (turn == 2)
			return 0;
		if (turn == 0) {
			if (want_read(r) || (r->nosend &&
			    dss_http_running(r->http) == 0))
				timeout = 0;	/* more to read, or to retire */
			else
				timeout = (int)ceil((wake - now) * 1000);
			if (dss_http_poll(r->http, timeout, on_done, r, r->err) < 0 ||
			    r->fatal)
				return -1;
		} else if (r->http != NULL || r->nres == 0) {
			continue;	/* more to read at once */
		}
		now = dss_clock_now();
		if (now - r->last_progress >= 1.0)
			progress(r, now, 0);
	}
}

/* Counts the prompts left unfinished, overall and by group. */
static void
count_unfinished(struct run *r)
{
	struct job *j;

	for (j = r->head; j != NULL; j = j->next) {
		struct dss_teach_group *g = job_group(r, j);

		r->st->unfinished++;
		if (g)
			g->unfinished++;
	}
}

/*
 * Requests in flight are paid for: a run that failed (the database among
 * the reasons) does not abandon them, but sends nothing new and takes
 * their answers -- into the cache, or into the recovery file when the
 * database cannot take them.  Then waits for the lock the answers need.
 */
static void
run_drain(struct run *r)
{
	struct dss_err *err = r->err;

	if (r->http != NULL && dss_http_running(r->http) > 0) {
		struct dss_err e = DSS_ERR_INIT;
		char keep[DSS_ERR_MAX];

		snprintf(keep, sizeof(keep), "%s", err->msg);
		r->stopping = r->nosend = 1;
		r->err = &e;
		while (dss_http_running(r->http) > 0 &&
		    dss_http_poll(r->http, 1000, on_done, r, &e) == 0)
			if (flush_results(r) == 1)
				dss_clock_sleep(0.2);
		r->err = err;
		if (r->db_failed && e.msg[0] != '\0')
			snprintf(err->msg, sizeof(err->msg), "%s", e.msg);
		else
			snprintf(err->msg, sizeof(err->msg), "%s", keep);
	}
	/* paid answers are never dropped: wait for the lock if need be */
	while (flush_results(r) == 1) {
		progress(r, dss_clock_now(), 0);
		dss_clock_sleep(0.2);
	}
}

/* Frees what r holds and gives the database back its usual busy timeout. */
static void
run_close(struct run *r, sqlite3 *db)
{
	struct job *j;

	release_leases(r);
	while ((j = r->head) != NULL) {
		job_unlink(r, j);
		job_free(j);
	}
	free(r->res);
	free(r->bodies);
	sqlite3_finalize(r->get);
	sqlite3_finalize(r->put);
	sqlite3_finalize(r->lease_get);
	sqlite3_finalize(r->lease);
	sqlite3_finalize(r->unlease);
	sqlite3_finalize(r->renew);
	sqlite3_finalize(r->release);
	dss_db_checkpointer_stop(&r->ck, db);
	sqlite3_busy_timeout(db, dss_db_busy_ms());
	dss_http_free(r->http);
	dss_lines_free(&r->lines);
}

int
dss_teach_run(sqlite3 *db, const struct dss_teach_opts *o, FILE *in,
    const char *inname, FILE *out, struct dss_teach_stats *st,
    struct dss_err *err)
{
	struct run r;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	memset(st, 0, sizeof(*st));
	st->total = o->total;
	r.db = db;
	r.o = o;
	r.st = st;
	r.err = err;
	r.out = out;
	r.lines.fp = in;
	r.lines.name = inname;
	if (run_open(&r, db, o, err) == 0 && run_loop(&r) == 0) {
		count_unfinished(&r);
		rc = r.out_failed || r.db_failed ? -1 : 0;
	}
	if (rc < 0 && err->msg[0] == '\0')
		dss_err_set(err, "teach run failed");
	run_drain(&r);
	/* A run refused at its first record has no figures to show. */
	if (!r.fatal || st->read > 0)
		progress(&r, dss_clock_now(), 1);
	run_close(&r, db);
	return rc;
}
