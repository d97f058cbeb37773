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

int
dss_teach_estimate(sqlite3 *db, const struct dss_teach_opts *o, FILE *in,
    const char *inname, struct dss_teach_estimate *e, struct dss_err *err)
{
	struct dss_lines lines = DSS_LINES_INIT(in, inname);
	const struct dss_teacher *t = o->teacher;
	sqlite3_stmt *get = NULL, *lease = NULL;
	double mean, now = (double)time(NULL);
	int r = -1, k;

	memset(e, 0, sizeof(*e));
	if (db != NULL) {
		if (has_table(db, "teach_cache") && sqlite3_prepare_v2(db,
		    "SELECT 1 FROM teach_cache WHERE request = ?", -1, &get,
		    NULL) != SQLITE_OK)
			goto dberr;
		if (has_table(db, "teach_leases") && sqlite3_prepare_v2(db,
		    "SELECT 1 FROM teach_leases WHERE request = ? AND expires > ?",
		    -1, &lease, NULL) != SQLITE_OK)
			goto dberr;
		if (lease)
			sqlite3_bind_double(lease, 2, now);
	}
	for (;;) {
		struct dss_err re = DSS_ERR_INIT;
		cJSON *rec = NULL, *input = NULL;
		const char *id;
		long tokens;
		int got = dss_jsonl_next(&lines, &rec, &re);

		if (got == 0)
			break;
		if (got < 0 || ((k = dss_record_type(rec, &re)) >= 0 &&
		    k != DSS_RECORD_PROMPT && (dss_record_wrong(k,
		    DSS_RECORD_PROMPT, "dss-teach", &re), 1)) ||
		    (id = dss_json_str(rec, "id", &re)) == NULL ||
		    (input = dss_teacher_input(t, rec, &re)) == NULL) {
			cJSON_Delete(rec);
			if (got < 0 && !lines.bad) {
				dss_err_set(err, "%s", re.msg);
				goto out;
			}
			e->bad++;
			if (o->report) {
				char msg[1200];

				snprintf(msg, sizeof(msg), "line %lu: %s",
				    lines.lineno, re.msg);
				o->report(o->arg, msg);
			}
			continue;
		}
		if (!dss_teach_in_shard(id, o->shard_i, o->shard_n)) {
			cJSON_Delete(rec);
			cJSON_Delete(input);
			continue;
		}
		e->prompts++;
		tokens = dss_teach_estimate_tokens(t, input);
		for (k = 0; k < o->params.samples; k++) {
			char key[DSS_SHA256_HEX];

			if (dss_teacher_key(t, input, &o->params, k, key) < 0) {
				cJSON_Delete(rec);
				cJSON_Delete(input);
				dss_err_set(err, "out of memory");
				goto out;
			}
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
		cJSON_Delete(rec);
		cJSON_Delete(input);
	}
	e->out_bound = dss_teach_out_bound(o, &e->out_assumed);
	mean = cached_mean(db && get ? db : NULL, t);
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
	r = 0;
	goto out;
dberr:
	dss_err_set(err, "database: %s", sqlite3_errmsg(db));
out:
	sqlite3_finalize(get);
	sqlite3_finalize(lease);
	dss_lines_free(&lines);
	return r;
}
