/* SPDX-License-Identifier: MIT */
/*
 * dss-eval: scores a student's predictions against gold labels (a dss
 * database or a file of example records) by the dataset's rule, folded
 * or official, with bootstrap intervals; prints a table (and the
 * ablation table over methods and fractions of training data), JSON
 * Lines with --json, and an SVG chart with --svg.  Predictions without
 * a gold example and gold examples without a prediction are reported
 * and make the exit status 1 unless --partial.  The work is done by
 * lib/eval.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "../lib/eval.h"
#include "../lib/file.h"

static const char synopsis[] =
    "usage: dss-eval --gold DB|FILE --pred FILE... [--dataset D] [--split S] "
    "[--official]\n"
    "                [--json] [--svg FILE] [--seed N] [--resamples N] "
    "[--partial]\n";

static const char options[] =
    "  --dataset D      score only gold examples of dataset D\n"
    "  --gold DB|FILE   gold labels: a dss database or a JSON "
    "Lines file of examples\n"
    "  --json           print one JSON object per group instead "
    "of the table\n"
    "  --official       score as the official code: exact strings, "
    "Python eval\n"
    "  --partial        exit 0 although predictions and gold do "
    "not cover each other\n"
    "  --pred FILE...   prediction files (JSON Lines; - is "
    "standard input)\n"
    "  --resamples N    bootstrap resamples (default 1000)\n"
    "  --seed N         bootstrap seed (default 0)\n"
    "  --split S        score only gold examples of split S\n"
    "  --svg FILE       draw accuracy against % of training data "
    "into FILE\n"
    "  -h, --help       print this help\n"
    "  --version        print the version\n";

#define MAX_WARNED 10	/* groups warned of one by one */

static void
list_ids(char *b, size_t n, const char *const *ids, size_t k)
{
	size_t i, len = 0;

	b[0] = '\0';
	for (i = 0; i < k && ids[i] != NULL && len < n; i++)
		len += (size_t)snprintf(b + len, n - len, "%s'%s'", i ? ", " : "",
		    ids[i]);
}

/* Warns of predictions and gold that do not cover each other; 1 if any. */
static int
coverage(const struct dss_eval *e)
{
	const char *ids[DSS_EVAL_SHOW_IDS];
	char list[1024], frac[64];
	unsigned long extra = dss_eval_extra(e, ids), more = 0;
	size_t i, shown = 0;
	int bad = 0;

	if (extra) {
		list_ids(list, sizeof(list), ids, DSS_EVAL_SHOW_IDS);
		warnx("%lu prediction%s not in gold (first: %s)", extra,
		    extra == 1 ? " is" : "s are", list);
		bad = 1;
	}
	for (i = 0; i < dss_eval_ngroups(e); i++) {
		const struct dss_eval_group *g = dss_eval_group(e, i);

		if (g->missing == 0)
			continue;
		bad = 1;
		if (shown++ >= MAX_WARNED) {
			more++;
			continue;
		}
		list_ids(list, sizeof(list), g->missing_ids, DSS_EVAL_SHOW_IDS);
		frac[0] = '\0';
		if (g->fraction == g->fraction)
			snprintf(frac, sizeof(frac), " at %g%%", g->fraction * 100);
		warnx("%s %s: method '%s'%s%s%s: %lu gold example%s no "
		    "prediction (first: %s)", g->dataset, g->split, g->method,
		    frac, g->size ? " size " : "", g->size ? g->size : "",
		    g->missing, g->missing == 1 ? " has" : "s have", list);
	}
	if (more)
		warnx("and %lu more group%s without a prediction for some gold "
		    "examples", more, more == 1 ? "" : "s");
	return bad;
}

/* What the command line asks for. */
struct args {
	struct dss_eval_opts o;
	const char *gold, *svgpath;
	const char **pred;	/* npred prediction files */
	size_t npred;
	int json, partial;
};

/* Parses the options and the prediction files into a (a->pred has room
 * for argc of them). */
static void
parse_options(int argc, char **argv, struct args *a)
{
	enum { OPT_DATASET = 256, OPT_GOLD, OPT_JSON, OPT_OFFICIAL, OPT_PARTIAL,
		OPT_PRED, OPT_RESAMPLES, OPT_SEED, OPT_SPLIT, OPT_SVG };
	static const struct option longopts[] = {
		{ "dataset", required_argument, NULL, OPT_DATASET },
		{ "gold", required_argument, NULL, OPT_GOLD },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "official", no_argument, NULL, OPT_OFFICIAL },
		{ "partial", no_argument, NULL, OPT_PARTIAL },
		{ "pred", required_argument, NULL, OPT_PRED },
		{ "resamples", required_argument, NULL, OPT_RESAMPLES },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "split", required_argument, NULL, OPT_SPLIT },
		{ "svg", required_argument, NULL, OPT_SVG },
		TOOL_OPTIONS_END
	};
	int c;

	while ((c = tool_getopt(argc, argv, longopts)) != -1) {
		switch (c) {
		case OPT_DATASET:
			a->o.dataset = optarg;
			break;
		case OPT_GOLD:
			a->gold = optarg;
			break;
		case OPT_JSON:
			a->json = 1;
			break;
		case OPT_OFFICIAL:
			a->o.official = 1;
			break;
		case OPT_PARTIAL:
			a->partial = 1;
			break;
		case OPT_PRED:
			a->pred[a->npred++] = optarg;
			break;
		case OPT_RESAMPLES:
			a->o.resamples = tool_ulong("resamples", optarg, 1,
			    DSS_EVAL_MAX_RESAMPLES);
			break;
		case OPT_SEED:
			a->o.seed = tool_ulong("seed", optarg, 0, ULONG_MAX);
			break;
		case OPT_SPLIT:
			a->o.split = optarg;
			break;
		case OPT_SVG:
			a->svgpath = optarg;
			break;
		}
	}
	for (; optind < argc; optind++)
		a->pred[a->npred++] = argv[optind];
}

/* The usage errors the options can make together. */
static void
check_options(const struct args *a)
{
	size_t i;
	int stdin_used = 0;

	if (a->gold == NULL)
		tool_usage_error("no --gold given");
	if (a->npred == 0)
		tool_usage_error("no --pred given");
	for (i = 0; i < a->npred; i++)
		if (strcmp(a->pred[i], "-") == 0 && stdin_used++)
			tool_usage_error("standard input given twice");
	if (a->o.dataset != NULL)
		tool_dataset(a->o.dataset);
}

/*
 * Scores the predictions against the gold, writes the report (and the
 * chart), and warns of what could not be scored.  Returns the exit
 * status.
 */
static int
evaluate(const struct args *a)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_buf out = DSS_BUF_INIT, svg = DSS_BUF_INIT;
	const char *first_bad;
	struct dss_eval *e;
	unsigned long bad;
	size_t i;
	int st = 0;

	if ((e = dss_eval_new(&a->o)) == NULL)
		die("out of memory");
	if (dss_eval_load_gold(e, a->gold, &err) < 0)
		die_err(&err);
	for (i = 0; i < a->npred; i++)
		if (dss_eval_add_file(e, a->pred[i], &err) < 0)
			die_err(&err);
	if (dss_eval_finish(e, &err) < 0)
		die_err(&err);
	if ((a->json ? dss_eval_json(e, &out, &err) :
	    dss_eval_text(e, &out, &err)) < 0)
		die_err(&err);
	if (a->svgpath != NULL && (dss_eval_svg(e, &svg, &err) < 0 ||
	    dss_file_replace(a->svgpath, svg.data, svg.len, &err) < 0))
		die_err(&err);
	if (fwrite(out.data, 1, out.len, stdout) != out.len)
		st = 1;
	if ((bad = dss_eval_gold_unparsable(e, &first_bad)) > 0)
		warnx("%lu gold label%s not evaluate (first: '%s'); scored as "
		    "wrong", bad, bad == 1 ? " does" : "s do", first_bad);
	if (coverage(e) && !a->partial)
		st = 1;
	dss_buf_free(&out);
	dss_buf_free(&svg);
	dss_eval_free(e);
	return st;
}

int
main(int argc, char **argv)
{
	struct args a = { { NULL, NULL, 0, 0, DSS_EVAL_RESAMPLES }, NULL, NULL,
	    NULL, 0, 0, 0 };
	int st;

	tool_start("dss-eval", synopsis, options);
	if ((a.pred = calloc((size_t)argc + 1, sizeof(*a.pred))) == NULL)
		die("out of memory");
	parse_options(argc, argv, &a);
	check_options(&a);
	st = evaluate(&a);
	if (tool_fshut(stdout, "stdout"))
		st = 1;
	free(a.pred);
	return st;
}
