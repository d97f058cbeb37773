/* SPDX-License-Identifier: MIT */
/*
 * The dss-teach run loop.  Prompt records are read lazily from a stream
 * through a bounded window (memory does not grow with the input); each of
 * their K samples is keyed by dss_teacher_key and looked up in the
 * teach_cache table; cached samples are emitted at once, the rest are
 * sent through one libcurl multi loop under token-bucket RPM/TPM limits
 * and an AIMD concurrency limit, retried with Retry-After or backoff and
 * jitter, and each response is committed to teach_cache
 * before its completion record is written.  A rerun, or a resume after
 * kill -9, therefore never pays for a stored response twice.  Budgets
 * (cost, requests) stop new work and let what is in flight finish.
 */
#ifndef DSS_TEACH_H
#define DSS_TEACH_H

#include <stdio.h>

#include <sqlite3.h>

#include "err.h"
#include "teacher.h"

struct dss_teach_stats {
	unsigned long total;		/* prompts expected, 0 if unknown */
	unsigned long read;		/* prompt records taken (this shard) */
	unsigned long other_shard;	/* records left to other shards */
	unsigned long bad;		/* records that could not be used */
	unsigned long repaired;		/* responses with text made U+FFFD */
	unsigned long done;		/* prompts with every sample emitted */
	unsigned long failed;		/* prompts with a sample that failed */
	unsigned long unfinished;	/* prompts left by a budget stop */
	unsigned long completions;	/* completion records written */
	unsigned long cached;		/* of which served from the cache */
	unsigned long requests;		/* requests sent, retries included */
	unsigned long retries;
	unsigned long throttled;	/* 429/503/529 answers */
	long long prompt_tokens;
	long long completion_tokens;
	double cost;			/* USD, when a price is known */
	int in_flight;
	int limit;			/* current concurrency limit */
	int budget_stop;		/* 1 cost, 2 requests */
	int refused;			/* 401/403/404 seen: the run stopped */
	double elapsed;			/* seconds since the start */
};

struct dss_teach_opts {
	struct dss_teacher *teacher;	/* not owned */
	struct dss_teacher_params params;
	int concurrency;		/* >= 1 */
	double rpm, tpm;		/* per minute; 0 = unlimited */
	double max_cost;		/* USD; < 0 = none */
	long max_requests;		/* < 0 = none */
	int has_price;
	double price_in, price_out;	/* USD per million tokens */
	long timeout_ms;		/* per request */
	int retries;			/* after the first attempt */
	unsigned long shard_i, shard_n;	/* take ids with hash % n == i */
	double backoff_base, backoff_cap;	/* seconds */
	unsigned long total;		/* copied to stats.total */
	/* Called with one-line messages about failed prompts and bad records. */
	void (*report)(void *arg, const char *msg);
	/* Called about once a second, and once at the end with final = 1. */
	void (*progress)(void *arg, const struct dss_teach_stats *st, int final);
	void *arg;
};

/* Defaults: concurrency 8, 6 retries, 600 s timeout, backoff 0.5 s..60 s. */
void dss_teach_opts_init(struct dss_teach_opts *o);

/*
 * True when id falls in shard i of n (by the first 64 bits of its
 * SHA-256); every id is in exactly one shard.
 */
int dss_teach_in_shard(const char *id, unsigned long i, unsigned long n);

/*
 * Runs the teacher over the prompt records of in (named inname in
 * messages), writing completion records to out.  Returns 0 when the run
 * ended normally -- failed prompts, bad records and budget stops are
 * counted in st, not errors -- and -1 on a database or output failure.
 */
int dss_teach_run(sqlite3 *db, const struct dss_teach_opts *o, FILE *in,
    const char *inname, FILE *out, struct dss_teach_stats *st,
    struct dss_err *err);

#endif
