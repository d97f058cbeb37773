/* SPDX-License-Identifier: MIT */
/*
 * dss-export: writes the training files of a corpus from a dss database:
 * the multi-task records of Distilling Step-by-Step, the two baselines'
 * label-only records, rationale pairs or chat turns to standard output,
 * or the official release's layout into a directory, optionally with a
 * data card.  A summary goes to standard error.  The work is done by
 * lib/export.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "../lib/buf.h"
#include "../lib/export.h"

static const char synopsis[] =
    "usage: dss-export DB --dataset D --split S [--subset NAME ...] [--format F]\n"
    "                  [--labels gold|teacher] [--rationales agree|all]\n"
    "                  [--filter MODE] [--pick first|shortest|longest|all]\n"
    "                  [--missing drop|label-only] [--prefixes P,E]\n"
    "                  [--card FILE] [--out DIR]\n";

/* The signal that asked the run to stop (see tool_catch_signals). */
static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	got_signal = sig;
}

static const char options[] =
    "  --card FILE          write a data card (Markdown) to FILE\n"
    "  --dataset D          the dataset to export\n"
    "  --filter MODE        use the triples of this dss-filter "
    "filter (default gold)\n"
    "  --format F           t5 (default), pairs, standard, chat or "
    "release\n"
    "  --labels gold|teacher\n"
    "                       train on gold labels (default) or the "
    "teacher's\n"
    "  --missing drop|label-only\n"
    "                       an example without a kept rationale: "
    "left out, or\n"
    "                       written with its label only (default)\n"
    "  --out DIR            --format release: write DIR/datasets/D;\n"
    "                       with --subset: DIR/NAME.jsonl and its card\n"
    "                       DIR/NAME.card.md for each subset\n"
    "  --pick first|shortest|longest|all\n"
    "                       which of several kept rationales "
    "(default first)\n"
    "  --prefixes P,E       the task prefixes of t5 (default "
    "'predict: ,explain: ')\n"
    "  --rationales agree|all\n"
    "                       only rationales that agree with gold "
    "(default), or all\n"
    "  --split S            the split to export (not with release)\n"
    "  --subset NAME        only the subset's examples, in its "
    "order; given\n"
    "                       again, several subsets in one pass (with "
    "--out)\n"
    "  -h, --help           print this help\n"
    "  --version            print the version\n";

/* The command line, each argument quoted for sh when it needs it. */
static char *
command_line(int argc, char **argv)
{
	struct dss_buf b = DSS_BUF_INIT;
	const char *p;
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (i > 0)
			dss_buf_addch(&b, ' ');
		if (*a != '\0' && strspn(a, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=,+-@%") == strlen(a)) {
			dss_buf_adds(&b, a);
			continue;
		}
		dss_buf_addch(&b, '\'');
		for (p = a; *p; p++)
			if (*p == '\'')
				dss_buf_adds(&b, "'\\''");
			else
				dss_buf_addch(&b, *p);
		dss_buf_addch(&b, '\'');
	}
	return dss_buf_detach(&b, NULL);
}

/* One line of counts, for the split or a subset's file. */
static void
counts(const struct dss_export_opts *o, const char *path,
    const struct dss_export_counts *c)
{
	fprintf(stderr, "%s: %s %s", progname, o->dataset, o->split);
	if (path != NULL)
		fprintf(stderr, " to '%s'", path);
	fprintf(stderr, ": %llu examples: %llu with a rationale, %llu "
	    "label only, %llu left out; %llu records", c->examples,
	    c->with_rationale, c->label_only, c->dropped, c->records);
	if (o->format == DSS_EXPORT_T5)
		fprintf(stderr, " (predict %llu, explain %llu)", c->predict,
		    c->explain);
	fputc('\n', stderr);
}

/* With --out and subsets: DIR/NAME.card.md beside each file. */
static int
subset_cards(struct dss_export *x, const struct dss_export_opts *o,
    const char *cmdline)
{
	struct dss_err err = DSS_ERR_INIT;
	size_t i;
	int st = 0;

	for (i = 0; i < dss_export_nsubsets(x); i++) {
		struct dss_buf card = DSS_BUF_INIT;
		const char *name, *path;

		dss_export_subset(x, i, &name, &path);
		if (dss_buf_addf(&card, "%s/%s.card.md", o->out, name) < 0)
			die("out of memory");
		if (dss_export_subset_card(x, i, card.data, cmdline, &err) < 0) {
			warn_err(&err);
			st = 1;
		}
		dss_buf_free(&card);
	}
	return st;
}

static void
summary(const struct dss_export *x, const struct dss_export_opts *o)
{
	const struct dss_export_counts *c = dss_export_total(x);
	int s;

	if (o->format == DSS_EXPORT_RELEASE) {
		fprintf(stderr, "%s: wrote '%s/datasets/%s':", progname, o->out,
		    o->dataset);
		for (s = 0; s < 3; s++) {
			const struct dss_export_counts *k = dss_export_split(x, s);

			if (k->examples == 0)
				continue;
			fprintf(stderr, " %s %llu examples (%llu with a rationale)%s",
			    s == 0 ? "train" : s == 1 ? "valid" : "test", k->records,
			    k->with_rationale, s < 2 ? "," : "");
		}
		if (c->unreadable)
			fprintf(stderr, "; %llu rationales left unused: the official "
			    "parser would misread them", c->unreadable);
		fputc('\n', stderr);
		return;
	}
	if (dss_export_nsubsets(x) > 0 && o->out != NULL) {
		size_t i;

		for (i = 0; i < dss_export_nsubsets(x); i++) {
			const char *name, *path;

			c = dss_export_subset(x, i, &name, &path);
			counts(o, path, c);
		}
		return;
	}
	counts(o, NULL, c);
}

enum { OPT_CARD = 256, OPT_DATASET, OPT_FILTER, OPT_FORMAT, OPT_LABELS,
	OPT_MISSING, OPT_OUT, OPT_PICK, OPT_PREFIXES, OPT_RATIONALES, OPT_SPLIT,
	OPT_SUBSET };

static const struct option longopts[] = {
	{ "card", required_argument, NULL, OPT_CARD },
	{ "dataset", required_argument, NULL, OPT_DATASET },
	{ "filter", required_argument, NULL, OPT_FILTER },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "labels", required_argument, NULL, OPT_LABELS },
	{ "missing", required_argument, NULL, OPT_MISSING },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "pick", required_argument, NULL, OPT_PICK },
	{ "prefixes", required_argument, NULL, OPT_PREFIXES },
	{ "rationales", required_argument, NULL, OPT_RATIONALES },
	{ "split", required_argument, NULL, OPT_SPLIT },
	{ "subset", required_argument, NULL, OPT_SUBSET },
	TOOL_OPTIONS_END
};

/* The command line. */
struct args {
	struct dss_export_opts o;
	const char *card, *db;
	const char **subsets;	/* the --subset values, in order; freed by main */
	size_t nsubsets;
};

/* Appends name to the subsets of a. */
static void
add_subset(struct args *a, const char *name)
{
	a->subsets = realloc(a->subsets, (a->nsubsets + 1) * sizeof(*a->subsets));
	if (a->subsets == NULL)
		die("out of memory");
	a->subsets[a->nsubsets++] = name;
}

/* Takes option c with its value arg; a bad value is a usage error. */
static void
take_option(struct args *a, int c, const char *arg)
{
	struct dss_export_opts *o = &a->o;

	switch (c) {
	case OPT_CARD:
		a->card = arg;
		break;
	case OPT_DATASET:
		o->dataset = arg;
		break;
	case OPT_FILTER:
		o->filter = arg;
		o->given |= 1u << DSS_EXPORT_OPT_FILTER;
		break;
	case OPT_FORMAT:
		o->format = tool_choice("format", arg, dss_export_format_name);
		o->given |= 1u << DSS_EXPORT_OPT_FORMAT;
		break;
	case OPT_LABELS:
		o->labels = tool_choice("labels", arg, dss_export_labels_name);
		o->given |= 1u << DSS_EXPORT_OPT_LABELS;
		break;
	case OPT_MISSING:
		o->missing = tool_choice("missing", arg, dss_export_missing_name);
		o->given |= 1u << DSS_EXPORT_OPT_MISSING;
		break;
	case OPT_OUT:
		o->out = arg;
		break;
	case OPT_PICK:
		o->pick = tool_choice("pick", arg, dss_export_pick_name);
		o->given |= 1u << DSS_EXPORT_OPT_PICK;
		break;
	case OPT_PREFIXES:
		o->prefixes = arg;
		o->given |= 1u << DSS_EXPORT_OPT_PREFIXES;
		break;
	case OPT_RATIONALES:
		o->rationales = tool_choice("rationales", arg,
		    dss_export_rationales_name);
		o->given |= 1u << DSS_EXPORT_OPT_RATIONALES;
		break;
	case OPT_SPLIT:
		o->split = arg;
		break;
	case OPT_SUBSET:
		add_subset(a, arg);
		break;
	}
}

/* Reads the options into a; a bad value or operand count is a usage error. */
static void
parse_options(int argc, char **argv, struct args *a)
{
	int c;

	while ((c = tool_getopt(argc, argv, longopts)) != -1)
		take_option(a, c, optarg);
	if (argc - optind != 1)
		tool_usage(stderr, 2);
	a->db = argv[optind];
}

/* Hands the subsets to the export and checks the options together. */
static void
check_options(struct args *a)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_export_opts *o = &a->o;

	if (a->nsubsets == 1)
		o->subset = a->subsets[0];
	else if (a->nsubsets > 1) {
		o->subsets = a->subsets;
		o->nsubsets = a->nsubsets;
	}
	if (a->card != NULL && a->nsubsets > 0 && o->out != NULL &&
	    o->format != DSS_EXPORT_RELEASE)
		tool_usage_error("--card is not for --out with --subset: each "
		    "subset's card is written to DIR/NAME.card.md");
	if (dss_export_check(o, &err) < 0)
		tool_usage_error("%s", err.msg);
}

/*
 * Writes the export a asks for, then its summary and cards.  Returns the
 * exit status; *failed is set when the export itself failed (a signal
 * among the causes, reported by main).
 */
static int
run(const struct args *a, const char *cmdline, int *failed)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_export *x;
	int st = 0;

	if ((x = dss_export_open(a->db, &a->o, &err)) == NULL)
		die_err(&err);
	if (dss_export_run(x, stdout, "stdout", &err) < 0) {
		if (!got_signal)
			warn_err(&err);
		st = *failed = 1;
	} else {
		summary(x, &a->o);
		if (a->nsubsets > 0 && a->o.out != NULL &&
		    a->o.format != DSS_EXPORT_RELEASE)
			st = subset_cards(x, &a->o, cmdline);
		if (a->card != NULL &&
		    dss_export_card(x, a->card, cmdline, &err) < 0) {
			warn_err(&err);
			st = 1;
		}
	}
	dss_export_close(x);
	return st;
}

int
main(int argc, char **argv)
{
	struct args a = { DSS_EXPORT_OPTS_INIT, NULL, NULL, NULL, 0 };
	char *cmdline;
	int st, failed = 0;

	tool_start("dss-export", synopsis, options);
	/* before getopt_long, which may reorder argv */
	if ((cmdline = command_line(argc, argv)) == NULL)
		die("out of memory");
	parse_options(argc, argv, &a);
	check_options(&a);
	/* A signal stops the run at its next row, which cleans up as after
	 * an error; then the tool dies of it. */
	a.o.stop = &got_signal;
	tool_catch_signals(on_signal);
	st = run(&a, cmdline, &failed);
	free(a.subsets);
	free(cmdline);
	if (got_signal) {
		fclose(stdout);
		tool_die_of(got_signal);
	}
	if (tool_fshut_after(stdout, "stdout", failed))
		st = 1;
	return st;
}
