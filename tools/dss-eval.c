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

int
main(int argc, char **argv)
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
	struct dss_eval_opts o = { NULL, NULL, 0, 0, DSS_EVAL_RESAMPLES };
	struct dss_err err = DSS_ERR_INIT;
	struct dss_buf out = DSS_BUF_INIT, svg = DSS_BUF_INIT;
	const char *gold = NULL, *svgpath = NULL, **pred;
	const char *first_bad;
	struct dss_eval *e;
	unsigned long bad;
	size_t npred = 0, i;
	int c, json = 0, partial = 0, st = 0, stdin_used = 0;

	tool_start("dss-eval", synopsis, options);
	if ((pred = calloc((size_t)argc + 1, sizeof(*pred))) == NULL)
		die("out of memory");
	while ((c = tool_getopt(argc, argv, longopts)) != -1) {
		switch (c) {
		case OPT_DATASET:
			o.dataset = optarg;
			break;
		case OPT_GOLD:
			gold = optarg;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_OFFICIAL:
			o.official = 1;
			break;
		case OPT_PARTIAL:
			partial = 1;
			break;
		case OPT_PRED:
			pred[npred++] = optarg;
			break;
		case OPT_RESAMPLES:
			o.resamples = tool_ulong("resamples", optarg, 1,
			    DSS_EVAL_MAX_RESAMPLES);
			break;
		case OPT_SEED:
			o.seed = tool_ulong("seed", optarg, 0, ULONG_MAX);
			break;
		case OPT_SPLIT:
			o.split = optarg;
			break;
		case OPT_SVG:
			svgpath = optarg;
			break;
		}
	}
	for (; optind < argc; optind++)
		pred[npred++] = argv[optind];
	if (gold == NULL)
		tool_usage_error("no --gold given");
	if (npred == 0)
		tool_usage_error("no --pred given");
	for (i = 0; i < npred; i++)
		if (strcmp(pred[i], "-") == 0 && stdin_used++)
			tool_usage_error("standard input given twice");
	if (o.dataset != NULL)
		tool_dataset(o.dataset);
	if ((e = dss_eval_new(&o)) == NULL)
		die("out of memory");
	if (dss_eval_load_gold(e, gold, &err) < 0)
		die_err(&err);
	for (i = 0; i < npred; i++)
		if (dss_eval_add_file(e, pred[i], &err) < 0)
			die_err(&err);
	if (dss_eval_finish(e, &err) < 0)
		die_err(&err);
	if ((json ? dss_eval_json(e, &out, &err) :
	    dss_eval_text(e, &out, &err)) < 0)
		die_err(&err);
	if (svgpath != NULL && (dss_eval_svg(e, &svg, &err) < 0 ||
	    dss_file_replace(svgpath, svg.data, svg.len, &err) < 0))
		die_err(&err);
	if (fwrite(out.data, 1, out.len, stdout) != out.len)
		st = 1;
	if ((bad = dss_eval_gold_unparsable(e, &first_bad)) > 0)
		warnx("%lu gold label%s not evaluate (first: '%s'); scored as "
		    "wrong", bad, bad == 1 ? " does" : "s do", first_bad);
	if (coverage(e) && !partial)
		st = 1;
	if (tool_fshut(stdout, "stdout"))
		st = 1;
	dss_buf_free(&out);
	dss_buf_free(&svg);
	dss_eval_free(e);
	free(pred);
	return st;
}
