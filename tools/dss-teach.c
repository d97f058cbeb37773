/* SPDX-License-Identifier: MIT */
/*
 * dss-teach: asks a teacher model for K completions of every prompt
 * record on stdin and writes completion records to stdout, with every
 * paid response cached in the database first, so that reruns and resumes
 * never pay twice.  The work is done by lib/teach.c; this file parses
 * options, opens the database and the teacher, and reports progress.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/db.h"
#include "../lib/jsonl.h"
#include "../lib/teach.h"
#include "../lib/teacher.h"
#include "tool.h"

static const char usage_line[] =
    "usage: dss-teach --db DB --teacher SPEC [--base-url URL] [--batch] "
    "[--batch-size N] [--cacert FILE] [--concurrency C] [--dry-run] "
    "[--json] [--key-env NAME] [--lease S] "
    "[--max-cost USD] [--max-requests N] [--max-tokens N] [--max-wait S] "
    "[--poll S] [--price IN,OUT[,BIN,BOUT]] [--prices FILE] [--quiet] "
    "[--retries N] [--rpm R] "
    "[--samples K] [--shard I/N] [--stop S] [--summary FILE] "
    "[--temperature T] [--timeout S] [--tpm T] [--wait]\n";

/* The exit status of a batch run that left batches in flight. */
#define EXIT_IN_FLIGHT 75

static const char help_text[] =
    "Asks a teacher for K completions of each prompt record on stdin and\n"
    "writes completion records to stdout, caching every response in DB.\n"
    "SPEC is openai:MODEL, openai-completions:MODEL, anthropic:MODEL,\n"
    "gemini:MODEL or replay:FILE.  See dss-teach(1).\n"
    "\n"
    "  --base-url URL      the teacher's endpoint (loopback needs no key)\n"
    "  --batch             go through the provider's batch API\n"
    "  --batch-size N      requests per batch at most (default: the provider's)\n"
    "  --cacert FILE       trust the CA certificates in FILE for HTTPS\n"
    "  --concurrency C     requests in flight at most (default 8)\n"
    "  --db DB             the database with the response cache\n"
    "  --dry-run           count and price the requests; send nothing\n"
    "  --json              with --dry-run: one JSON object on stdout\n"
    "  --key-env NAME      read the API key from variable NAME\n"
    "  --lease S           seconds a request key stays reserved (default 60)\n"
    "  --max-cost USD      start nothing that would spend more\n"
    "  --max-requests N    send at most N requests\n"
    "  --max-tokens N      the completion length limit\n"
    "  --max-wait S        longest wait a server may ask for (default 300)\n"
    "  --poll S            with --batch --wait: seconds between polls (default 60)\n"
    "  --price IN,OUT[,BIN,BOUT]  USD per million prompt and completion\n"
    "                      tokens, and at the batch price (default: half)\n"
    "  --prices FILE       a JSON object of MODEL: [IN, OUT] or [IN, OUT, BIN, BOUT]\n"
    "  --quiet             no progress or summary\n"
    "  --retries N         retries of a failed request (default 6)\n"
    "  --rpm R             requests per minute at most\n"
    "  --samples K         completions per prompt (default 1)\n"
    "  --shard I/N         take only shard I of N\n"
    "  --stop S            a stop sequence (repeatable)\n"
    "  --summary FILE      write the summary as JSON to FILE\n"
    "  --teacher SPEC      the teacher\n"
    "  --temperature T     the sampling temperature\n"
    "  --timeout S         seconds a request may take (default 600)\n"
    "  --tpm T             tokens per minute at most\n"
    "  --wait              with --batch: poll until every batch is collected\n"
    "  -h, --help          print this help\n"
    "  --version           print the version\n";

static void
usage(void)
{
	fputs(usage_line, stderr);
	exit(2);
}

/*
 * The ranges of the numeric options: anything outside is a usage error,
 * never a value quietly wrapped or clamped.
 */
#define MAX_CONCURRENCY 4096
#define MAX_SAMPLES 1000
#define MAX_RETRIES 1000
#define MAX_TOKENS 2147483647UL		/* what providers take as an int32 */
#define MAX_SECONDS 86400.0		/* --lease, --max-wait, --timeout */
#define MAX_RATE 1e9			/* --rpm, --tpm */
#define MIN_RPM 0.01			/* a request every 100 minutes */
#define MAX_USD 1e9			/* --max-cost */
#define MAX_PRICE 1e6			/* USD per million tokens */
#define MAX_TEMPERATURE 100.0
#define MAX_SHARDS 1000000UL
#define MAX_BATCH_SIZE 100000UL	/* Anthropic's limit; OpenAI's is 50,000 */

static unsigned long
opt_ulong(const char *opt, const char *v, unsigned long min, unsigned long max)
{
	unsigned long n;

	if (tool_parse_ulong(opt, v, min, max, &n) < 0)
		usage();
	return n;
}

static double
opt_num(const char *opt, const char *v, double min, double max)
{
	double d;

	if (tool_parse_num(opt, v, min, max, &d) < 0)
		usage();
	return d;
}

static void
bad_value(const char *opt, const char *v, const char *what)
{
	warnx("bad --%s '%s': want %s", opt, v, what);
	usage();
}

/* --price IN,OUT[,BIN,BOUT] into o; the batch price is -1 when not given. */
static void
parse_price(const char *v, struct dss_teach_opts *o)
{
	double p[4];
	const char *s = v;
	char num[64];
	int n;

	for (n = 0; n < 4; n++) {
		size_t len = strcspn(s, ",");

		if (len >= sizeof(num))
			break;
		memcpy(num, s, len);
		num[len] = '\0';
		if (tool_parse_num(NULL, num, 0, MAX_PRICE, &p[n]) < 0)
			break;
		if (s[len] == '\0') {
			n++;
			break;
		}
		s += len + 1;
	}
	if ((n != 2 && n != 4) || s[strcspn(s, ",")] != '\0')
		bad_value("price", v, "IN,OUT or IN,OUT,BATCH_IN,BATCH_OUT in USD "
		    "per million tokens, each a number from 0 to 1e+06");
	o->price_in = p[0];
	o->price_out = p[1];
	o->batch_in = n == 4 ? p[2] : -1;
	o->batch_out = n == 4 ? p[3] : -1;
	o->has_price = 1;
}

/* I/N: shard I of N. */
static void
opt_shard(const char *v, unsigned long *i, unsigned long *n)
{
	const char *slash = strchr(v, '/');
	char first[32];

	if (slash == NULL || (size_t)(slash - v) >= sizeof(first))
		goto bad;
	memcpy(first, v, (size_t)(slash - v));
	first[slash - v] = '\0';
	if (tool_parse_ulong(NULL, first, 0, MAX_SHARDS - 1, i) == 0 &&
	    tool_parse_ulong(NULL, slash + 1, 1, MAX_SHARDS, n) == 0 && *i < *n)
		return;
bad:
	warnx("bad --shard '%s': want I/N with 0 <= I < N <= %lu", v, MAX_SHARDS);
	usage();
}

/*
 * The first SIGTERM, SIGINT or SIGHUP stops the sending: the answers in
 * flight are paid for, so the run waits for them, keeps them, and then
 * the tool dies of the signal.  A second one ends it at once.
 */
static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	if (got_signal) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	got_signal = sig;
}

struct display {
	int tty, quiet;
	double last_line;
	int waiting;		/* the last line showed a server's wait */
};

static void
fmt_tokens(char *out, size_t n, long long v)
{
	if (v >= 10000000)
		snprintf(out, n, "%.1fM", (double)v / 1e6);
	else if (v >= 10000)
		snprintf(out, n, "%.1fk", (double)v / 1e3);
	else
		snprintf(out, n, "%lld", v);
}

static void
status_line(const struct dss_teach_stats *st, int priced, char *out, size_t n)
{
	char total[32] = "", eta[48] = "", in[32], outk[32], cost[48] = "";
	char wait[96] = "";
	unsigned long finished = st->done + st->failed;
	double rate = st->elapsed > 0 ? (double)finished / st->elapsed : 0;

	if (st->total > 0) {
		snprintf(total, sizeof(total), "/%lu", st->total);
		if (rate > 0 && st->total > finished) {
			double s = (double)(st->total - finished) / rate;

			snprintf(eta, sizeof(eta), ", eta %dm%02ds", (int)(s / 60),
			    (int)fmod(s, 60));
		}
	}
	fmt_tokens(in, sizeof(in), st->prompt_tokens);
	fmt_tokens(outk, sizeof(outk), st->completion_tokens);
	if (priced)
		snprintf(cost, sizeof(cost), ", $%.4f", st->cost);
	if (st->db_waiting)
		snprintf(wait, sizeof(wait), ", waiting for the database lock");
	else if (st->waiting >= 0.5)
		snprintf(wait, sizeof(wait), ", waiting %.0fs as the server asked",
		    ceil(st->waiting));
	if (st->leased > 0 && strlen(wait) < 40)
		snprintf(wait + strlen(wait), sizeof(wait) - strlen(wait),
		    ", %lu with another process", st->leased);
	snprintf(out, n, "%lu%s prompts done, %lu failed, %lu cached, %.1f/s%s, "
	    "%d in flight (limit %d)%s, tokens %s in %s out%s", finished, total,
	    st->failed, st->cached, rate, eta, st->in_flight, st->limit, wait,
	    in, outk, cost);
}

static int priced;

static void
on_progress(void *arg, const struct dss_teach_stats *st, int final)
{
	struct display *d = arg;
	char line[640];

	if (d->quiet)
		return;
	status_line(st, priced, line, sizeof(line));
	if (d->tty) {
		fprintf(stderr, "\r\033[K%s: %s%s", progname, line, final ? "\n" : "");
	} else if (final || st->elapsed - d->last_line >= 10 ||
	    ((st->waiting >= 0.5 || st->db_waiting) && !d->waiting)) {
		/* a new wait is shown at once, not ten seconds later */
		fprintf(stderr, "%s: %s\n", progname, line);
		d->last_line = st->elapsed;
	}
	if (!d->tty) {
		d->waiting = st->waiting >= 0.5 || st->db_waiting;
	}
}

/* The progress of a batch run: batches and requests, cost so far. */
static void
on_batch_progress(void *arg, const struct dss_teach_stats *st, int final)
{
	struct display *d = arg;
	char cost[48] = "";

	if (d->quiet || (!final && st->elapsed - d->last_line < 10 &&
	    d->last_line > 0))
		return;
	d->last_line = st->elapsed > 0 ? st->elapsed : 1e-9;
	if (priced)
		snprintf(cost, sizeof(cost), ", $%.4f so far", st->cost);
	fprintf(stderr, "%s: batches: %lu submitted, %lu in progress (%lu "
	    "requests); requests: %lu done, %lu failed, %lu expired, %lu "
	    "resubmitted%s\n", progname, st->batches, st->batch_live,
	    st->batch_requests, st->batch_done, st->batch_failed,
	    st->batch_expired, st->batch_retried, cost);
}

static void
on_report(void *arg, const char *msg)
{
	struct display *d = arg;

	if (d->tty && !d->quiet)
		fputs("\r\033[K", stderr);
	warnx("%s", msg);
}

/* Prints the figures of each dataset and teacher, on a mixed run. */
static void
print_groups(const struct dss_teach_stats *st, int priced)
{
	int i;

	if (st->ngroups < 2)
		return;
	for (i = 0; i < st->ngroups; i++) {
		const struct dss_teach_group *g = &st->groups[i];
		char cost[48] = "";

		if (priced)
			snprintf(cost, sizeof(cost), ", $%.4f", g->cost);
		fprintf(stderr, "%s: %s %s: %lu prompts done, %lu failed, %lu "
		    "unfinished, %lu completions (%lu cached), %lu requests, tokens "
		    "%lld in %lld out%s\n", progname, g->dataset ? g->dataset :
		    "(no dataset)", g->teacher, g->done, g->failed, g->unfinished,
		    g->completions, g->cached, g->requests, g->prompt_tokens,
		    g->completion_tokens, cost);
	}
}

/* Adds the figures common to the run and its groups to o. */
static void
add_figures(cJSON *o, unsigned long done, unsigned long failed,
    unsigned long unfinished, unsigned long completions, unsigned long cached,
    unsigned long requests, long long pt, long long ct, double cost,
    int priced)
{
	cJSON_AddNumberToObject(o, "done", (double)done);
	cJSON_AddNumberToObject(o, "failed", (double)failed);
	cJSON_AddNumberToObject(o, "unfinished", (double)unfinished);
	cJSON_AddNumberToObject(o, "completions", (double)completions);
	cJSON_AddNumberToObject(o, "cached", (double)cached);
	cJSON_AddNumberToObject(o, "requests", (double)requests);
	cJSON_AddNumberToObject(o, "prompt_tokens", (double)pt);
	cJSON_AddNumberToObject(o, "completion_tokens", (double)ct);
	if (priced)
		cJSON_AddNumberToObject(o, "cost_usd", cost);
	else
		cJSON_AddNullToObject(o, "cost_usd");
}

/*
 * Writes the summary as JSON to path, atomically (a temporary file,
 * fsync, rename).  Returns 0, or 1 after a message.
 */
static int
write_summary(const char *path, const struct dss_teach_stats *st, int priced,
    int status)
{
	cJSON *o = cJSON_CreateObject(), *gs, *g;
	char *text = NULL, tmp[4096];
	FILE *fp = NULL;
	int i, fd, r = 1;

	if (o == NULL)
		goto nomem;
	cJSON_AddNumberToObject(o, "read", (double)st->read);
	cJSON_AddNumberToObject(o, "bad_records", (double)st->bad);
	cJSON_AddNumberToObject(o, "other_shard", (double)st->other_shard);
	add_figures(o, st->done, st->failed, st->unfinished, st->completions,
	    st->cached, st->requests, st->prompt_tokens, st->completion_tokens,
	    st->cost, priced);
	cJSON_AddNumberToObject(o, "retries", (double)st->retries);
	cJSON_AddNumberToObject(o, "throttled", (double)st->throttled);
	cJSON_AddNumberToObject(o, "bad_usage", (double)st->bad_usage);
	cJSON_AddNumberToObject(o, "key_masked", (double)st->masked);
	cJSON_AddNumberToObject(o, "lease_waits", (double)st->lease_waits);
	cJSON_AddNumberToObject(o, "lease_takeovers", (double)st->takeovers);
	cJSON_AddNumberToObject(o, "recovered", (double)st->recovered);
	cJSON_AddNumberToObject(o, "batches", (double)st->batches);
	cJSON_AddNumberToObject(o, "batch_in_flight", (double)st->batch_live);
	cJSON_AddNumberToObject(o, "batch_collected", (double)st->batch_done);
	cJSON_AddNumberToObject(o, "batch_errored", (double)st->batch_errored);
	cJSON_AddNumberToObject(o, "batch_expired", (double)st->batch_expired);
	cJSON_AddNumberToObject(o, "batch_resubmitted", (double)st->batch_retried);
	cJSON_AddNumberToObject(o, "batch_failed", (double)st->batch_failed);
	if (priced)
		cJSON_AddNumberToObject(o, "spent_usd", st->spent);
	else
		cJSON_AddNullToObject(o, "spent_usd");
	cJSON_AddStringToObject(o, "budget_stop", st->budget_stop == 1 ? "cost" :
	    st->budget_stop == 2 ? "requests" : "");
	cJSON_AddStringToObject(o, "stopped", st->stop_reason);
	cJSON_AddNumberToObject(o, "elapsed_s", st->elapsed);
	cJSON_AddNumberToObject(o, "exit_status", status);
	/* takes gs */
	if ((gs = cJSON_AddArrayToObject(o, "groups")) == NULL)
		goto nomem;
	for (i = 0; i < st->ngroups; i++) {
		const struct dss_teach_group *x = &st->groups[i];

		if ((g = cJSON_CreateObject()) == NULL)
			goto nomem;
		cJSON_AddItemToArray(gs, g);	/* takes g */
		if (x->dataset)
			cJSON_AddStringToObject(g, "dataset", x->dataset);
		else
			cJSON_AddNullToObject(g, "dataset");
		cJSON_AddStringToObject(g, "teacher", x->teacher);
		add_figures(g, x->done, x->failed, x->unfinished, x->completions,
		    x->cached, x->requests, x->prompt_tokens, x->completion_tokens,
		    x->cost, priced);
	}
	if ((text = cJSON_Print(o)) == NULL)
		goto nomem;
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0 ||
	    (fp = fdopen(fd, "w")) == NULL) {
		warnx("cannot write '%s': %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	if (fputs(text, fp) == EOF || putc('\n', fp) == EOF ||
	    fflush(fp) == EOF || fsync(fileno(fp)) < 0) {
		warnx("cannot write '%s': %s", tmp, strerror(errno));
		fclose(fp);
		unlink(tmp);
		goto out;
	}
	if (fclose(fp) == EOF || rename(tmp, path) < 0) {
		warnx("cannot write '%s': %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	r = 0;
	goto out;
nomem:
	warnx("cannot write '%s': out of memory", path);
out:
	cJSON_free(text);
	cJSON_Delete(o);
	return r;
}

static void
add_cost(cJSON *o, const char *name, int priced, double v)
{
	if (priced)
		cJSON_AddNumberToObject(o, name, v);
	else
		cJSON_AddNullToObject(o, name);
}

static void
print_cost(const char *what, int priced, double sync, double batch)
{
	if (priced)
		printf("%-22s $%.4f synchronous, $%.4f batch\n", what, sync, batch);
	else
		printf("%-22s unknown: give --price IN,OUT or --prices FILE\n", what);
}

/*
 * --dry-run: counts and prices the requests of stdin without sending
 * anything, and without creating the database when it does not exist.
 */
static int
dry_run(const char *dbpath, struct dss_teach_opts *o, int json)
{
	struct dss_teach_estimate e;
	struct dss_err err = DSS_ERR_INIT;
	sqlite3 *db = NULL;
	int r;

	if (access(dbpath, F_OK) == 0 &&
	    (db = dss_db_open(dbpath, DSS_DB_READONLY, &err)) == NULL)
		die_err(&err);
	r = dss_teach_estimate(db, o, stdin, "stdin", &e, &err);
	if (db)
		dss_db_close(db);
	if (r < 0)
		die_err(&err);
	if (json) {
		cJSON *j = cJSON_CreateObject();

		if (j == NULL)
			die("out of memory");
		cJSON_AddNumberToObject(j, "prompts", (double)e.prompts);
		cJSON_AddNumberToObject(j, "requests", (double)e.requests);
		cJSON_AddNumberToObject(j, "cached", (double)e.cached);
		cJSON_AddNumberToObject(j, "in_flight", (double)e.in_flight);
		cJSON_AddNumberToObject(j, "input_tokens", (double)e.input_tokens);
		cJSON_AddNumberToObject(j, "output_tokens_max",
		    (double)e.output_tokens_max);
		cJSON_AddNumberToObject(j, "output_tokens_typical",
		    (double)e.output_tokens_typical);
		add_cost(j, "cost_usd_max", o->has_price, e.cost_max);
		add_cost(j, "cost_usd_typical", o->has_price, e.cost_typical);
		add_cost(j, "batch_cost_usd_max", o->has_price, e.batch_cost_max);
		add_cost(j, "batch_cost_usd_typical", o->has_price,
		    e.batch_cost_typical);
		if (dss_jsonl_write(stdout, j) < 0)
			die("out of memory");
		cJSON_Delete(j);
	} else {
		printf("dry run of %s: nothing is sent\n", o->teacher->spec);
		printf("%-22s %lu\n", "prompts", e.prompts);
		printf("%-22s %lu (%d sample%s each)\n", "requests", e.requests,
		    o->params.samples, o->params.samples == 1 ? "" : "s");
		printf("%-22s %lu\n", "cached", e.cached);
		printf("%-22s %lu\n", "in flight", e.in_flight);
		printf("%-22s %lu\n", "to send", e.to_send);
		printf("%-22s %lld (estimated: characters/4, and 3 a message and "
		    "3 a request for chat)\n", "input tokens", e.input_tokens);
		printf("%-22s %lld (%ld a request%s)\n", "output tokens, max",
		    e.output_tokens_max, e.out_bound, e.out_assumed ? ", assumed: "
		    "no --max-tokens" : "");
		printf("%-22s %lld (%.0f a request: %s)\n", "output tokens, typical",
		    e.output_tokens_typical, e.typical_per_request,
		    e.typical_from_cache ? "the mean of this model's cached answers" :
		    "a quarter of the bound");
		print_cost("cost, max", o->has_price, e.cost_max, e.batch_cost_max);
		print_cost("cost, typical", o->has_price, e.cost_typical,
		    e.batch_cost_typical);
	}
	if (e.bad > 0)
		warnx("%lu record%s skipped", e.bad, e.bad == 1 ? "" : "s");
	return tool_fshut(stdout, "stdout") ? 1 : 0;
}

/* Counts the non-blank lines of a regular file, then rewinds it. */
static unsigned long
count_lines(FILE *fp)
{
	struct stat sb;
	unsigned long n = 0;
	int c, blank = 1;

	if (fstat(fileno(fp), &sb) < 0 || !S_ISREG(sb.st_mode))
		return 0;
	while ((c = getc(fp)) != EOF) {
		if (c == '\n') {
			n += !blank;
			blank = 1;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			blank = 0;
		}
	}
	n += !blank;
	if (ferror(fp) || fseek(fp, 0, SEEK_SET) < 0) {
		clearerr(fp);
		return 0;
	}
	return n;
}

/*
 * Looks the model up in a price file {"MODEL": [in, out]} or {"MODEL":
 * [in, out, batch in, batch out]}; *bin and *bout are -1 when the file
 * gives no batch price.
 */
static int
load_prices(const char *path, const struct dss_teacher *t, double *in,
    double *out, double *bin, double *bout)
{
	FILE *fp = fopen(path, "r");
	struct dss_buf b = DSS_BUF_INIT;
	char chunk[4096];
	size_t n;
	cJSON *j, *p;
	int found = 0;

	if (fp == NULL)
		die("cannot open '%s': %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (dss_buf_add(&b, chunk, n) < 0)
			die("'%s' is too large", path);
	if (ferror(fp))
		die("cannot read '%s': %s", path, strerror(errno));
	fclose(fp);
	if ((j = cJSON_ParseWithLength(b.data, b.len)) == NULL || !cJSON_IsObject(j))
		die("'%s' is not a JSON object of MODEL: [IN, OUT]", path);
	p = cJSON_GetObjectItemCaseSensitive(j, t->spec);
	if (p == NULL)
		p = cJSON_GetObjectItemCaseSensitive(j, t->model);
	if (p != NULL) {
		int i, n = cJSON_GetArraySize(p);

		if (!cJSON_IsArray(p) || (n != 2 && n != 4))
			die("'%s': price of '%s' is not [IN, OUT] or [IN, OUT, "
			    "BATCH_IN, BATCH_OUT] with each from 0 to %g USD "
			    "per million tokens", path, t->model, MAX_PRICE);
		for (i = 0; i < n; i++) {
			const cJSON *v = cJSON_GetArrayItem(p, i);

			/* a negative price would let the spend go down */
			if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 &&
			    v->valuedouble <= MAX_PRICE))
				die("'%s': price of '%s' is not [IN, OUT] or [IN, OUT, "
				    "BATCH_IN, BATCH_OUT] with each from 0 to %g USD "
				    "per million tokens", path, t->model, MAX_PRICE);
		}
		*in = cJSON_GetArrayItem(p, 0)->valuedouble;
		*out = cJSON_GetArrayItem(p, 1)->valuedouble;
		*bin = n == 4 ? cJSON_GetArrayItem(p, 2)->valuedouble : -1;
		*bout = n == 4 ? cJSON_GetArrayItem(p, 3)->valuedouble : -1;
		found = 1;
	}
	cJSON_Delete(j);
	dss_buf_free(&b);
	return found;
}

/* The exit status for an error from lib/: 2 for a usage error, else 1. */
static int
err_status(const struct dss_err *err)
{
	return err->kind == DSS_ERR_USAGE ? 2 : 1;
}

static const struct option longopts[] = {
	{ "base-url", required_argument, NULL, 'b' },
	{ "batch", no_argument, NULL, 'B' },
	{ "batch-size", required_argument, NULL, 'Z' },
	{ "cacert", required_argument, NULL, 'A' },
	{ "concurrency", required_argument, NULL, 'c' },
	{ "db", required_argument, NULL, 'd' },
	{ "dry-run", no_argument, NULL, 'D' },
	{ "help", no_argument, NULL, 'h' },
	{ "json", no_argument, NULL, 'J' },
	{ "key-env", required_argument, NULL, 'k' },
	{ "lease", required_argument, NULL, 'L' },
	{ "max-cost", required_argument, NULL, 'C' },
	{ "max-requests", required_argument, NULL, 'R' },
	{ "max-tokens", required_argument, NULL, 'm' },
	{ "max-wait", required_argument, NULL, 'W' },
	{ "poll", required_argument, NULL, 'O' },
	{ "price", required_argument, NULL, 'p' },
	{ "prices", required_argument, NULL, 'P' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "retries", required_argument, NULL, 'r' },
	{ "rpm", required_argument, NULL, 'x' },
	{ "samples", required_argument, NULL, 'n' },
	{ "shard", required_argument, NULL, 's' },
	{ "stop", required_argument, NULL, 'S' },
	{ "summary", required_argument, NULL, 'M' },
	{ "teacher", required_argument, NULL, 't' },
	{ "temperature", required_argument, NULL, 'T' },
	{ "timeout", required_argument, NULL, 'o' },
	{ "tpm", required_argument, NULL, 'y' },
	{ "version", no_argument, NULL, 'V' },
	{ "wait", no_argument, NULL, 'w' },
	{ NULL, 0, NULL, 0 },
};
/* The command line, as parsed. */
struct cli {
	const char *dbpath, *spec, *base, *key_env, *prices, *summary;
	char **stops;		/* the --stop values; the array is ours */
	int batch, dry, json;
	int wait_set, poll_set, size_set;
};

/*
 * The options that set a number in o (their ranges are usage errors).
 * Returns 0 when c is not one of them.
 */
static int
number_option(int c, const char *arg, struct dss_teach_opts *o)
{
	switch (c) {
	case 'c':
		o->concurrency = (int)opt_ulong("concurrency", arg, 1,
		    MAX_CONCURRENCY);
		break;
	case 'C':
		o->max_cost = opt_num("max-cost", arg, 0, MAX_USD);
		break;
	case 'L':
		o->lease = opt_num("lease", arg, 1, MAX_SECONDS);
		break;
	case 'm':
		o->params.max_tokens = (long)opt_ulong("max-tokens", arg, 1,
		    MAX_TOKENS);
		break;
	case 'W':
		o->max_wait = opt_num("max-wait", arg, 0, MAX_SECONDS);
		break;
	case 'n':
		o->params.samples = (int)opt_ulong("samples", arg, 1, MAX_SAMPLES);
		break;
	case 'o':
		o->timeout_ms = (long)(opt_num("timeout", arg, 0.001,
		    MAX_SECONDS) * 1000 + 0.5);
		break;
	case 'r':
		o->retries = (int)opt_ulong("retries", arg, 0, MAX_RETRIES);
		break;
	case 'R':
		o->max_requests = (long)opt_ulong("max-requests", arg, 0, LONG_MAX);
		break;
	case 'T':
		o->params.temperature = opt_num("temperature", arg, 0,
		    MAX_TEMPERATURE);
		break;
	case 'x':
		o->rpm = opt_num("rpm", arg, MIN_RPM, MAX_RATE);
		break;
	case 'y':
		o->tpm = opt_num("tpm", arg, 1, MAX_RATE);
		break;
	default:
		return 0;
	}
	return 1;
}

/* The batch options, --stop, --price and --shard.  0 when c is none of them. */
static int
run_option(int c, const char *arg, struct cli *cl, struct dss_teach_opts *o)
{
	switch (c) {
	case 'B':
		cl->batch = 1;
		break;
	case 'O':
		o->poll = opt_num("poll", arg, 0.01, MAX_SECONDS);
		cl->poll_set = 1;
		break;
	case 'w':
		o->wait = 1;
		cl->wait_set = 1;
		break;
	case 'Z':
		o->batch_size = (long)opt_ulong("batch-size", arg, 1, MAX_BATCH_SIZE);
		cl->size_set = 1;
		break;
	case 'p':
		parse_price(arg, o);
		break;
	case 's':
		opt_shard(arg, &o->shard_i, &o->shard_n);
		break;
	case 'S':
		if ((cl->stops = realloc(cl->stops, (o->params.nstop + 1) *
		    sizeof(*cl->stops))) == NULL)
			die("out of memory");
		cl->stops[o->params.nstop++] = (char *)arg;
		o->params.stop = cl->stops;
		break;
	default:
		return 0;
	}
	return 1;
}

/* Parses the command line into cl, o and d; a usage error exits 2. */
static void
parse_args(int argc, char **argv, struct cli *cl, struct dss_teach_opts *o,
    struct display *d)
{
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (number_option(c, optarg, o) || run_option(c, optarg, cl, o))
			continue;
		switch (c) {
		case 'A': o->cacert = optarg; break;
		case 'b': cl->base = optarg; break;
		case 'd': cl->dbpath = optarg; break;
		case 'D': cl->dry = 1; break;
		case 'J': cl->json = 1; break;
		case 'k': cl->key_env = optarg; break;
		case 'M': cl->summary = optarg; break;
		case 'P': cl->prices = optarg; break;
		case 'q': d->quiet = 1; break;
		case 't': cl->spec = optarg; break;
		case 'h':
			fputs(usage_line, stdout);
			fputs(help_text, stdout);
			exit(tool_fshut(stdout, "stdout"));
		case 'V':
			tool_version();
		default:
			usage();
		}
	}
	if (optind != argc) {
		warnx("unexpected argument '%s'", argv[optind]);
		usage();
	}
}

/* The checks between options; a failure is a usage error. */
static void
check_args(const struct cli *cl)
{
	if (cl->dbpath == NULL) {
		warnx("option '--db' is required");
		usage();
	}
	if (cl->spec == NULL) {
		warnx("option '--teacher' is required");
		usage();
	}
	if (!cl->batch && (cl->wait_set || cl->poll_set || cl->size_set)) {
		warnx("option '--%s' needs --batch", cl->wait_set ? "wait" :
		    cl->poll_set ? "poll" : "batch-size");
		usage();
	}
	if (cl->json && !cl->dry) {
		warnx("option '--json' needs --dry-run");
		usage();
	}
}

/*
 * Opens the teacher and checks what depends on it (prices, the batch
 * API, --max-cost, --cacert).  Exits 2 on a usage error; returns 0, or 1
 * (the teacher closed) on a runtime error.
 */
static int
open_teacher(const struct cli *cl, struct dss_teach_opts *o,
    struct dss_teacher *t)
{
	struct dss_err err = DSS_ERR_INIT;

	/*
	 * A dry run sends nothing, so it needs no key: the teacher is opened
	 * on a loopback URL (request keys never include the URL or the key).
	 */
	if (dss_teacher_open(t, cl->spec, cl->dry ? "http://127.0.0.1" : cl->base,
	    cl->key_env, &err) < 0) {
		warn_err(&err);
		if (err_status(&err) == 2)
			usage();
		return 1;
	}
	if (cl->prices != NULL && !o->has_price)
		o->has_price = load_prices(cl->prices, t, &o->price_in,
		    &o->price_out, &o->batch_in, &o->batch_out);
	if (o->has_price && o->batch_in < 0) {
		/* the documented default: batch APIs cost half */
		o->batch_in = o->price_in / 2;
		o->batch_out = o->price_out / 2;
	}
	if ((cl->batch || cl->dry) && !dss_teach_batch_supported(t)) {
		warnx("teacher '%s' has no batch API%s", t->spec, cl->batch ? "" :
		    " (--dry-run prices it anyway)");
		if (cl->batch) {
			dss_teacher_close(t);
			usage();
		}
	}
	if (o->max_cost >= 0 && !o->has_price) {
		warnx("option '--max-cost' needs a price for '%s': give --price "
		    "IN,OUT or --prices FILE", t->model);
		dss_teacher_close(t);
		usage();
	}
	if (o->cacert != NULL && access(o->cacert, R_OK) < 0) {
		warnx("cannot read '%s': %s", o->cacert, strerror(errno));
		dss_teacher_close(t);
		return 1;
	}
	return 0;
}

/*
 * Imports the answers a failed database could not take, first, and sets
 * o->recovery.  Returns 0, or -1 with the problem reported.
 */
static int
recover(sqlite3 *db, const char *dbpath, char *recovery, size_t size,
    struct dss_teach_opts *o)
{
	struct dss_err err = DSS_ERR_INIT;
	unsigned long imported = 0;

	if (dss_teach_recovery_path(dbpath, recovery, size) < 0)
		return 0;
	o->recovery = recovery;
	if (dss_teach_recover(db, recovery, &imported, &err) < 0) {
		warn_err(&err);
		return -1;
	}
	if (imported > 0)
		warnx("imported %lu answer%s from '%s' into the cache",
		    imported, imported == 1 ? "" : "s", recovery);
	return 0;
}

/* Says why a finished run left work undone; returns its exit status. */
static int
report_stops(const struct dss_teach_stats *st, const struct dss_teach_opts *o,
    int batch)
{
	if (st->budget_stop == 1 && batch)
		warnx("budget reached: the batches' cost bound is $%.4f of "
		    "--max-cost %g; %lu prompts not finished", st->spent,
		    o->max_cost, st->unfinished);
	else if (st->budget_stop == 1)
		warnx("budget reached: spent $%.4f of --max-cost %g; %lu "
		    "prompts not finished", st->spent, o->max_cost, st->unfinished);
	else if (batch && st->unfinished > 0)
		warnx("%lu prompt%s not finished: their requests failed in "
		    "batches", st->unfinished, st->unfinished == 1 ? "" : "s");
	else if (st->budget_stop == 2)
		warnx("budget reached: %lu requests of --max-requests %ld; "
		    "%lu prompts not finished", st->requests, o->max_requests,
		    st->unfinished);
	if (st->stop_reason[0] != '\0')
		warnx("stopped: %s; %lu prompts not finished", st->stop_reason,
		    st->unfinished);
	if (st->bad_usage > 0)
		warnx("%lu answer%s reported token usage out of range; their "
		    "usage was ignored", st->bad_usage, st->bad_usage == 1 ? "" : "s");
	if (st->failed > 0)
		warnx("%lu prompt%s failed", st->failed, st->failed == 1 ? "" : "s");
	if (st->bad > 0)
		warnx("%lu record%s skipped", st->bad, st->bad == 1 ? "" : "s");
	if (st->repaired > 0)
		warnx("%lu response%s held text that is not valid UTF-8 "
		    "(or \\u0000, or a lone surrogate): replaced with U+FFFD",
		    st->repaired, st->repaired == 1 ? "" : "s");
	return st->budget_stop || st->stop_reason[0] || st->failed || st->bad ||
	    st->unfinished ? 1 : 0;
}

/* Reports a run that returned rc; returns the exit status. */
static int
report_run(int rc, const struct dss_teach_stats *st,
    const struct dss_teach_opts *o, const struct cli *cl,
    const struct display *d, const struct dss_err *err)
{
	if (rc < 0) {
		warn_err(err);
		return err_status(err);
	}
	if (rc == 1) {
		warnx("%lu batch%s in flight (%lu requests); run the same command "
		    "again to collect them", st->batch_live, st->batch_live == 1 ?
		    "" : "es", st->batch_requests);
		return EXIT_IN_FLIGHT;
	}
	if (cl->batch && (st->batch_failed > 0 || st->batch_expired > 0 ||
	    st->batch_errored > 0))
		warnx("batch results: %lu errored, %lu expired or cancelled, "
		    "%lu resubmitted, %lu failed for good", st->batch_errored,
		    st->batch_expired, st->batch_retried, st->batch_failed);
	if (!d->quiet)
		print_groups(st, priced);
	return report_stops(st, o, cl->batch);
}

/* Teaches the prompts on stdin into db; returns the exit status. */
static int
teach(sqlite3 *db, const struct cli *cl, struct dss_teach_opts *o,
    const struct display *d)
{
	struct dss_teach_stats st;
	struct dss_err err = DSS_ERR_INIT;
	int rc, status;

	o->total = o->shard_n > 1 ? 0 : count_lines(stdin);
	/*
	 * A batch run is safe to kill at any point (its state is in the
	 * database); a synchronous one finishes the answers in flight first.
	 */
	if (!cl->batch) {
		o->stop = &got_signal;
		tool_catch_signals(on_signal);
	}
	rc = cl->batch ? dss_teach_batch(db, o, stdin, "stdin", stdout, &st, &err) :
	    dss_teach_run(db, o, stdin, "stdin", stdout, &st, &err);
	status = report_run(rc, &st, o, cl, d, &err);
	if (cl->summary != NULL && write_summary(cl->summary, &st, priced, status))
		status = 1;
	dss_teach_stats_free(&st);
	return rc < 0 ? -status : status;
}

int
main(int argc, char **argv)
{
	struct cli cl = { 0 };
	struct dss_teach_opts o;
	struct dss_teacher teacher;
	struct dss_err err = DSS_ERR_INIT;
	struct display d = { 0, 0, 0, 0 };
	char recovery[4200];
	sqlite3 *db;
	int status;

	tool_init("dss-teach");
	dss_teach_opts_init(&o);
	parse_args(argc, argv, &cl, &o, &d);
	check_args(&cl);
	if (open_teacher(&cl, &o, &teacher) != 0)
		return 1;
	priced = o.has_price;
	o.teacher = &teacher;
	d.tty = tool_stderr_tty();
	d.quiet |= cl.dry;
	o.report = on_report;
	o.progress = cl.batch ? on_batch_progress : on_progress;
	o.arg = &d;
	if (cl.dry) {
		status = dry_run(cl.dbpath, &o, cl.json);
		dss_teacher_close(&teacher);
		free(cl.stops);
		return status;
	}
	if ((db = dss_db_open(cl.dbpath, DSS_DB_CREATE, &err)) == NULL) {
		dss_teacher_close(&teacher);
		die_err(&err);
	}
	if (recover(db, cl.dbpath, recovery, sizeof(recovery), &o) < 0) {
		dss_db_close(db);
		dss_teacher_close(&teacher);
		return 1;
	}
	status = teach(db, &cl, &o, &d);
	dss_db_close(db);
	dss_teacher_close(&teacher);
	free(cl.stops);
	/* a failed run (status < 0) has told why; stdout's state is checked too */
	if (tool_fshut_after(stdout, "stdout", status < 0))
		status = 1;
	else if (status < 0)
		status = -status;
	if (got_signal)
		tool_die_of(got_signal);
	return status;
}
