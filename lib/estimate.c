/* SPDX-License-Identifier: MIT */
/*
 * What a dss-teach run would cost, before it starts (dss-teach --dry-run):
 * the documented estimate of input tokens, the output-token bound, and
 * the count of requests already cached or in flight.  Nothing is sent and
 * nothing is written.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonl.h"
#include "record.h"
#include "teach.h"
#include "teach_impl.h"

/* Code points of the UTF-8 string s (continuation bytes not counted). */
static long
chars(const char *s)
{
	long n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static long
quarter(long n)
{
	return (n + 3) / 4;
}

long
dss_teach_estimate_tokens(const struct dss_teacher *t, const cJSON *input)
{
	const cJSON *m;
	long n = 0;

	if (cJSON_IsString(input))
		return quarter(chars(input->valuestring));
	if (!t->ops->chat || !cJSON_IsArray(input))
		return 1;
	cJSON_ArrayForEach(m, input) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "content");
		const cJSON *b;

		if (cJSON_IsString(c)) {
			n += quarter(chars(c->valuestring));
		} else if (cJSON_IsArray(c)) {
			cJSON_ArrayForEach(b, c) {
				const char *s = dss_json_str_opt(b, "text");

				if (s)
					n += quarter(chars(s));
			}
		}
		n += 3;
	}
	return n + 3;
}

long
dss_teach_out_bound(const struct dss_teach_opts *o, int *assumed)
{
	*assumed = 0;
	if (o->params.max_tokens > 0)
		return o->params.max_tokens;
	if (o->teacher->ops->default_max_tokens > 0)
		return o->teacher->ops->default_max_tokens;	/* what is sent */
	*assumed = 1;
	return DSS_TEACH_OUT_ASSUMED;
}

/* 1 when the statement, bound to key, finds a row; 0 otherwise. */
static int
found(sqlite3_stmt *st, const char *key)
{
	int r;

	if (st == NULL)
		return 0;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	r = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return r;
}

/* 1 when db has a table called name; 0 otherwise, or when it cannot say. */
static int
has_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st = NULL;
	int r;

	sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = "
	    "'table' AND name = ?", -1, &st, NULL);
	r = found(st, name);
	sqlite3_finalize(st);
	return r;
}

/* The mean completion tokens of the model's cached answers, or -1. */
static double
cached_mean(sqlite3 *db, const struct dss_teacher *t)
{
	sqlite3_stmt *st;
	double mean = -1;

	if (db == NULL || sqlite3_prepare_v2(db, "SELECT avg(completion_tokens), "
	    "count(completion_tokens) FROM teach_cache WHERE provider = ? AND "
	    "model = ?", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, t->ops->provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, t->model, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 1) > 0)
		mean = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return mean;
}

/*
 * Prepares the look-ups of requests cached (*get) and in flight at now
 * (*lease), each left NULL when its table does not exist yet.  0 or -1.
 */
static int
prepare_lookups(sqlite3 *db, double now, sqlite3_stmt **get,
    sqlite3_stmt **lease, struct dss_err *err)
{
	if (has_table(db, "teach_cache") && sqlite3_prepare_v2(db,
	    "SELECT 1 FROM teach_cache WHERE request = ?", -1, get,
	    NULL) != SQLITE_OK)
		return dss_err_set(err, "database: %s", sqlite3_errmsg(db));
	if (has_table(db, "teach_leases") && sqlite3_prepare_v2(db,
	    "SELECT 1 FROM teach_leases WHERE request = ? AND expires > ?",
	    -1, lease, NULL) != SQLITE_OK)
		return dss_err_set(err, "database: %s", sqlite3_errmsg(db));
	if (*lease)
		sqlite3_bind_double(*lease, 2, now);
	return 0;
}

/*
 * The next prompt record of lines in o's shard: *rec, its *id and its
 * teacher *input, which the caller frees.  Bad records are counted in e
 * and reported.  Returns 1, 0 at the end, or -1 when reading failed.
 */
static int
next_prompt(struct dss_lines *lines, const struct dss_teach_opts *o,
    cJSON **rec, cJSON **input, const char **id,
    struct dss_teach_estimate *e, struct dss_err *err)
{
	for (;;) {
		struct dss_err re = DSS_ERR_INIT;
		int k, got = dss_jsonl_next(lines, rec, &re);

		*input = NULL;
		if (got == 0)
			return 0;
		if (got < 0 || ((k = dss_record_type(*rec, &re)) >= 0 &&
		    k != DSS_RECORD_PROMPT && (dss_record_wrong(k,
		    DSS_RECORD_PROMPT, "dss-teach", &re), 1)) ||
		    (*id = dss_json_str(*rec, "id", &re)) == NULL ||
		    (*input = dss_teacher_input(o->teacher, *rec, &re)) == NULL) {
			cJSON_Delete(*rec);
			if (got < 0 && !lines->bad)
				return dss_err_set(err, "%s", re.msg);
			e->bad++;
			dss_teach_report(o, "line %lu: %s", lines->lineno, re.msg);
			continue;
		}
		if (dss_teach_in_shard(*id, o->shard_i, o->shard_n))
			return 1;
		cJSON_Delete(*rec);
		cJSON_Delete(*input);
	}
}

/*
 * Counts the requests of a prompt's input, one a sample: cached, in
 * flight, or to send (with the input's tokens).  -1 when out of memory.
 */
static int
count_requests(const struct dss_teach_opts *o, sqlite3_stmt *get,
    sqlite3_stmt *lease, const cJSON *input, struct dss_teach_estimate *e)
{
	long tokens = dss_teach_estimate_tokens(o->teacher, input);
	int k;

	e->prompts++;
	for (k = 0; k < o->params.samples; k++) {
		char key[DSS_SHA256_HEX];

		if (dss_teacher_key(o->teacher, input, &o->params, k, key) < 0)
			return -1;
		e->requests++;
		if (found(get, key)) {
			e->cached++;
		} else if (found(lease, key)) {
			e->in_flight++;
		} else {
			e->to_send++;
			e->input_tokens += tokens;
		}
	}
	return 0;
}

/* The output bounds and the costs of what is to send; mean is the mean
 * completion tokens of cached answers, or negative. */
static void
estimate_costs(const struct dss_teach_opts *o, double mean,
    struct dss_teach_estimate *e)
{
	e->out_bound = dss_teach_out_bound(o, &e->out_assumed);
	e->typical_from_cache = mean >= 0;
	e->typical_per_request = mean >= 0 ? fmin(mean, (double)e->out_bound) :
	    (double)e->out_bound / 4;
	e->output_tokens_max = (long long)e->to_send * e->out_bound;
	e->output_tokens_typical = (long long)ceil(e->to_send *
	    e->typical_per_request);
	if (o->has_price) {
		e->cost_max = (e->input_tokens * o->price_in +
		    e->output_tokens_max * o->price_out) / 1e6;
		e->cost_typical = (e->input_tokens * o->price_in +
		    e->output_tokens_typical * o->price_out) / 1e6;
		e->batch_cost_max = (e->input_tokens * o->batch_in +
		    e->output_tokens_max * o->batch_out) / 1e6;
		e->batch_cost_typical = (e->input_tokens * o->batch_in +
		    e->output_tokens_typical * o->batch_out) / 1e6;
	}
}

int
dss_teach_estimate(sqlite3 *db, const struct dss_teach_opts *o, FILE *in,
    const char *inname, struct dss_teach_estimate *e, struct dss_err *err)
{
	struct dss_lines lines = DSS_LINES_INIT(in, inname);
	sqlite3_stmt *get = NULL, *lease = NULL;
	cJSON *rec, *input;
	const char *id;
	int r = -1, got;

	memset(e, 0, sizeof(*e));
	if (db != NULL &&
	    prepare_lookups(db, (double)time(NULL), &get, &lease, err) < 0)
		goto out;
	while ((got = next_prompt(&lines, o, &rec, &input, &id, e, err)) == 1) {
		int k = count_requests(o, get, lease, input, e);

		cJSON_Delete(rec);
		cJSON_Delete(input);
		if (k < 0) {
			dss_err_set(err, "out of memory");
			goto out;
		}
	}
	if (got < 0)
		goto out;
	estimate_costs(o, cached_mean(db && get ? db : NULL, o->teacher), e);
	r = 0;
out:
	sqlite3_finalize(get);
	sqlite3_finalize(lease);
	dss_lines_free(&lines);
	return r;
}
