/* SPDX-License-Identifier: MIT */
/*
 * The dss-teach run loop.  Prompt records are read lazily from a stream
 * through a bounded window (memory does not grow with the input); each of
 * their K samples is keyed by dss_teacher_key and looked up in the
 * teach_cache table; cached samples are emitted at once, the rest are
 * sent through one libcurl multi loop under token-bucket RPM/TPM limits
 * and an AIMD concurrency limit, retried with Retry-After (capped at
 * max_wait) or backoff and jitter, and each response is committed to
 * teach_cache before its completion record is written.  A rerun, or a
 * resume after kill -9, therefore never pays for a stored response twice.
 * Several processes on one database share the work: a request key is
 * leased in teach_leases before it is sent, the lease is renewed while
 * the request lives, and a process that finds a key leased by another
 * waits for its answer in the cache (taking the key over when the lease
 * lapses, as a killed process's does).  A paid answer is never dropped:
 * when another writer holds the database, answers wait in memory (and no
 * new request is sent) until the lock is free.  Budgets (cost, requests)
 * stop new work and let what is in flight finish.
 */
#ifndef DSS_TEACH_H
#define DSS_TEACH_H

#include <signal.h>
#include <stdio.h>

#include <sqlite3.h>

#include "err.h"
#include "teacher.h"

/*
 * The figures of one dataset and teacher (the "teacher" of the completion
 * records); tokens and cost count the answers stored by this run, so
 * they agree with teach_cache.
 */
struct dss_teach_group {
	char *dataset;			/* NULL for records without one */
	char *teacher;
	unsigned long done, failed, unfinished;	/* prompts */
	unsigned long completions, cached, requests;
	long long prompt_tokens, completion_tokens;
	double cost;
};

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
	/* tokens and cost of the answers this run stored in teach_cache */
	long long prompt_tokens;
	long long completion_tokens;
	double cost;			/* USD, when a price is known */
	double spent;			/* USD the budget counts: cost, plus
					   estimates for answers whose usage
					   was rejected */
	unsigned long bad_usage;	/* answers whose usage was out of range */
	unsigned long masked;		/* answers and errors with the key masked */
	unsigned long leased;		/* samples now waiting for another process */
	unsigned long lease_waits;	/* samples found leased by another */
	unsigned long takeovers;	/* lapsed leases taken over */
	unsigned long recovered;	/* answers written to the recovery file */
	/* batch mode (dss_teach_batch): this run's figures */
	unsigned long batches;		/* batches this run submitted */
	unsigned long batch_live;	/* batches of the teacher in flight */
	unsigned long batch_requests;	/* requests in those batches */
	unsigned long batch_done;	/* answers collected and stored */
	unsigned long batch_failed;	/* requests that failed for good */
	unsigned long batch_expired;	/* expired or cancelled results */
	unsigned long batch_retried;	/* requests put into a new batch */
	unsigned long batch_errored;	/* per-request errors seen */
	int in_flight;
	int limit;			/* current concurrency limit */
	int budget_stop;		/* 1 cost, 2 requests */
	int refused;			/* 3xx/401/403/404 seen: the run stopped */
	char stop_reason[512];		/* why the run stopped early, or "" */
	double waiting;			/* seconds left of a server's wait */
	int db_waiting;			/* answers wait for the database lock */
	double elapsed;			/* seconds since the start */
	struct dss_teach_group *groups;	/* owned; dss_teach_stats_free */
	int ngroups;
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
	double max_wait;		/* longest server-asked wait, seconds */
	double lease;			/* lease time in seconds; 0 = no leases */
	const char *cacert;		/* PEM file of CAs to trust, or NULL */
	/*
	 * The recovery file (dss_teach_recovery_path), or NULL: when the
	 * database fails (not merely busy), paid answers are appended to it
	 * instead of being lost, and the run stops.
	 */
	const char *recovery;
	int cache_only;			/* answer from the cache, send nothing */
	/* batch mode (dss_teach_batch) */
	int wait;			/* poll until every batch is collected */
	double poll;			/* seconds between polls (default 60) */
	long batch_size;		/* requests per batch at most; 0: the
					   provider's limit */
	double batch_in, batch_out;	/* batch price, USD per million tokens
					   (when has_price) */
	/*
	 * When not NULL and set to a signal number (by a tool's handler),
	 * the run sends nothing more and reads no further, finishes what is
	 * in flight (those answers are paid for: they are cached and
	 * emitted), and ends with stop_reason "interrupted by SIGTERM".
	 */
	volatile sig_atomic_t *stop;
	/* Called with one-line messages about failed prompts and bad records. */
	void (*report)(void *arg, const char *msg);
	/* Called about once a second, and once at the end with final = 1. */
	void (*progress)(void *arg, const struct dss_teach_stats *st, int final);
	void *arg;
};

/*
 * Defaults: concurrency 8, 6 retries, 600 s timeout, backoff 0.5 s..60 s,
 * waits up to 300 s, 60 s leases.
 */
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
 * counted in st, not errors -- and -1 on a database or output failure
 * (err->kind DSS_ERR_NOMEM when memory ran out).  Either way st holds the
 * figures; free it with dss_teach_stats_free.
 */
/* Frees what a run left in st (the groups). */
void dss_teach_stats_free(struct dss_teach_stats *st);

int dss_teach_run(sqlite3 *db, const struct dss_teach_opts *o, FILE *in,
    const char *inname, FILE *out, struct dss_teach_stats *st,
    struct dss_err *err);

/*
 * The same run through the provider's batch API (lib/batch.c): every
 * request neither cached nor in flight is recorded in teach_batches and
 * teach_batch_requests, and leased to its batch, before anything is
 * uploaded; batches recorded by earlier runs are resumed (created, polled,
 * collected); failed and expired requests go into new batches up to
 * o->retries times.  When nothing is left in flight (at once, or after
 * polling with o->wait), the completion records of every prompt are
 * written to out from the cache, as dss_teach_run writes them, and 0 is
 * returned; when batches are still in flight, nothing is written and 1 is
 * returned ("run again").  -1 on error.  A batch is never submitted past
 * o->max_cost: its cost bound (estimated input tokens and the output bound,
 * at the batch price) is charged before it is created.
 */
int dss_teach_batch(sqlite3 *db, const struct dss_teach_opts *o, FILE *in,
    const char *inname, FILE *out, struct dss_teach_stats *st,
    struct dss_err *err);

/* True when the teacher's provider has a batch API dss can use. */
int dss_teach_batch_supported(const struct dss_teacher *t);

/*
 * The documented estimate of the input tokens of one request of input
 * (from dss_teacher_input): a quarter of the characters (code points,
 * rounded up) of each message's content, plus 3 per message and 3 for the
 * reply for chat providers; a quarter of the prompt's characters for
 * completion providers.
 */
long dss_teach_estimate_tokens(const struct dss_teacher *t,
    const cJSON *input);

/*
 * The output-token bound of one request: --max-tokens, or what the
 * provider is sent without it (anthropic: 1024), or DSS_TEACH_OUT_ASSUMED
 * when nothing bounds it (*assumed is then set).
 */
#define DSS_TEACH_OUT_ASSUMED 4096
long dss_teach_out_bound(const struct dss_teach_opts *o, int *assumed);

/* What a run would do and cost, for dss-teach --dry-run. */
struct dss_teach_estimate {
	unsigned long prompts, requests, cached, in_flight, bad;
	unsigned long to_send;		/* requests - cached - in_flight */
	long long input_tokens;		/* of the requests to send */
	long long output_tokens_max, output_tokens_typical;
	long out_bound;			/* per request */
	int out_assumed;		/* no bound is sent: assumed */
	double typical_per_request;	/* output tokens */
	int typical_from_cache;		/* the typical figure is the mean of
					   cached answers of this model */
	double cost_max, cost_typical, batch_cost_max, batch_cost_typical;
};

/*
 * Reads the prompt records of in and fills e without sending anything.
 * db may be NULL (no database yet: nothing is cached or in flight).  Bad
 * records are counted in e->bad and reported through o->report.
 * Returns 0 or -1.
 */
int dss_teach_estimate(sqlite3 *db, const struct dss_teach_opts *o, FILE *in,
    const char *inname, struct dss_teach_estimate *e, struct dss_err *err);

/*
 * The recovery file of the database at dbpath: "DBPATH.recovery.jsonl",
 * into out (outsz bytes).  Returns -1 when it does not fit.
 */
int dss_teach_recovery_path(const char *dbpath, char *out, size_t outsz);

/*
 * Imports the answers of the recovery file at path into teach_cache, in
 * one transaction, and removes the file once they are committed.  *n is
 * the number of answers read (0 when there is no file).  The file is
 * taken under an exclusive lock, and renamed first, so that a process
 * appending to it at the same time loses nothing.  Returns 0 or -1.
 */
int dss_teach_recover(sqlite3 *db, const char *path, unsigned long *n,
    struct dss_err *err);

#endif
