/* SPDX-License-Identifier: MIT */
/*
 * dss-sample: makes subsets of a dataset's train split in a dss database
 * (nested fractions, stratified nested fractions, validation sets, or
 * the official code's subsets), lists the stored subsets, and prints a
 * subset's example ids.  The work is done by lib/sample.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/db.h"
#include "../lib/manifest.h"
#include "../lib/sample.h"
#include "tool.h"

static const char synopsis[] =
    "usage: dss-sample --dataset D [--fractions LIST] [--replace] [--seed S]\n"
    "                  [--stratify] [--valid F] DB\n"
    "       dss-sample --dataset D --official RUN [--fractions LIST] "
    "[--replace] DB\n"
    "       dss-sample --list [--dataset D] DB\n"
    "       dss-sample --show NAME --dataset D DB\n";

static const char options[] =
    "  --dataset D       the dataset (its manifest name, or a "
    "manifest file)\n"
    "  --fractions LIST  comma-separated fractions (default "
    "0.125,0.25,0.5,0.75,1)\n"
    "  --list            list the stored subsets with their sizes\n"
    "  --official RUN    the official code's subsets of run RUN\n"
    "  --replace         replace stored subsets whose members "
    "differ\n"
    "  --seed S          the seed of nested subsets (default 0)\n"
    "  --show NAME       print the example ids of subset NAME\n"
    "  --stratify        keep each stratum's share in every "
    "fraction\n"
    "  --valid F         carve a validation set of share F out of "
    "train first\n"
    "  -h, --help        print this help\n"
    "  --version         print the version\n";

enum { OPT_DATASET = 256, OPT_FRACTIONS, OPT_LIST, OPT_OFFICIAL, OPT_REPLACE,
	OPT_SEED, OPT_SHOW, OPT_STRATIFY, OPT_VALID };

static const struct option longopts[] = {
	{ "dataset", required_argument, NULL, OPT_DATASET },
	{ "fractions", required_argument, NULL, OPT_FRACTIONS },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "official", required_argument, NULL, OPT_OFFICIAL },
	{ "replace", no_argument, NULL, OPT_REPLACE },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "show", required_argument, NULL, OPT_SHOW },
	{ "stratify", no_argument, NULL, OPT_STRATIFY },
	{ "valid", required_argument, NULL, OPT_VALID },
	TOOL_OPTIONS_END
};

/*
 * The cause of a failed write to stdout, kept when it happens: closing
 * the database later may change errno before tool_fshut names it.
 */
static int out_errno;

static int
out_failed(void)
{
	if (!ferror(stdout))
		return 0;
	if (out_errno == 0)
		out_errno = errno;
	return 1;
}

static int
print_subset(void *arg, const struct dss_subset_info *s)
{
	char f[DSS_SAMPLE_FRACTION_LEN] = "-";

	(void)arg;
	if (s->fraction >= 0)
		dss_sample_fraction_name(s->fraction, f);
	printf("%s\t%s\t%s\t%s\t%lld\t%s\t%lld\n", s->dataset, s->name, s->kind,
	    s->role, s->seed, f, s->size);
	return out_failed();
}

static int
print_id(void *arg, const char *id)
{
	(void)arg;
	puts(id);
	return out_failed();
}

/* The dataset's name and configuration from its manifest. */
static struct dss_manifest *
load_manifest(const char *dataset, struct dss_sample_config *cfg)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_manifest *m;

	if ((m = dss_manifest_load(dataset, &err)) == NULL ||
	    dss_sample_config(m, cfg, &err) < 0)
		die_err(&err);
	return m;
}

/* The command line. */
struct args {
	struct dss_sample_opts o;	/* replace, kind (stratified), valid */
	const char *dataset, *show, *fraclist, *validarg, *db;
	unsigned long seed, run;
	int list, official, seeded;
	double fractions[DSS_SAMPLE_MAXFRACTIONS];
};

/* Reads the options into a; a bad value or operand count is a usage error. */
static void
parse_options(int argc, char **argv, struct args *a)
{
	size_t nvalid;
	int ch;

	memset(a, 0, sizeof(*a));
	while ((ch = tool_getopt(argc, argv, longopts)) != -1) {
		switch (ch) {
		case OPT_DATASET:
			a->dataset = optarg;
			break;
		case OPT_FRACTIONS:
			a->fraclist = optarg;
			break;
		case OPT_LIST:
			a->list = 1;
			break;
		case OPT_OFFICIAL:
			a->run = tool_ulong("official", optarg, 0, LLONG_MAX);
			a->official = 1;
			break;
		case OPT_REPLACE:
			a->o.replace = 1;
			break;
		case OPT_SEED:
			a->seed = tool_ulong("seed", optarg, 0, LLONG_MAX);
			a->seeded = 1;
			break;
		case OPT_SHOW:
			a->show = optarg;
			break;
		case OPT_STRATIFY:
			a->o.kind = DSS_SAMPLE_STRATIFIED;
			break;
		case OPT_VALID:
			a->validarg = optarg;
			if (dss_sample_parse_fractions(optarg, &a->o.valid, &nvalid,
			    NULL) < 0 || nvalid != 1 || a->o.valid >= 1)
				tool_usage_error("bad --valid '%s': want a number "
				    "between 0 and 1", optarg);
			break;
		}
	}
	if (argc - optind != 1)
		tool_usage(stderr, 2);
	a->db = argv[optind];
}

/*
 * The checks of the options together, in the order of their messages;
 * then the fractions (the default ones without --fractions).
 */
static void
check_options(struct args *a)
{
	static const double default_fractions[] = { 0.125, 0.25, 0.5, 0.75, 1 };
	struct dss_err err = DSS_ERR_INIT;
	int stratify = a->o.kind == DSS_SAMPLE_STRATIFIED;

	if (a->list + (a->show != NULL) > 1)
		tool_usage_error("--list and --show cannot go together");
	if ((a->list || a->show) && (a->fraclist || a->official ||
	    a->o.replace || a->seeded || stratify || a->validarg))
		tool_usage_error(a->list ? "--list takes no sampling options" :
		    "--show takes no sampling options");
	if (!a->list && a->dataset == NULL)
		tool_usage_error(a->show ? "--show needs --dataset" :
		    "--dataset is required");
	if (a->official && stratify)
		tool_usage_error("--official cannot go with --stratify");
	if (a->official && a->validarg)
		tool_usage_error("--official cannot go with --valid (the manifest "
		    "says which datasets get the official validation cut)");
	if (a->official && a->seeded)
		tool_usage_error("--official cannot go with --seed (RUN is the seed)");
	if (a->fraclist != NULL) {
		if (dss_sample_parse_fractions(a->fraclist, a->fractions,
		    &a->o.nfractions, &err) < 0)
			tool_usage_error("bad --fractions '%s': %s", a->fraclist,
			    err.msg);
	} else {
		a->o.nfractions = sizeof(default_fractions) /
		    sizeof(default_fractions[0]);
		memcpy(a->fractions, default_fractions,
		    sizeof(default_fractions));
	}
	a->o.fractions = a->fractions;
}

/* The counts of a sampling run, and a warning when they are not official. */
static void
report(const struct args *a, const struct dss_manifest *m,
    const struct dss_sample_counts *c)
{
	const struct dss_manifest_split *sp = dss_manifest_split(m, "train");

	warnx("%s: %zu train examples: %u subsets created, %u replaced, %u "
	    "updated, %u unchanged", a->o.dataset, c->examples, c->created,
	    c->replaced, c->updated, c->unchanged);
	if (a->official && sp != NULL && sp->count >= 0 &&
	    (long long)c->examples != sp->count)
		warnx("warning: dataset '%s' has %zu train examples where the "
		    "official split has %lld; these subsets are not the official "
		    "ones", a->o.dataset, c->examples, sp->count);
}

/* Makes and stores the subsets a asks for, with the manifest's settings. */
static int
sample(sqlite3 *db, struct args *a, const struct dss_manifest *m,
    const struct dss_sample_config *cfg, struct dss_err *err)
{
	struct dss_sample_counts c;

	a->o.dataset = m->name;
	a->o.stratify = cfg->stratify;
	if (a->official) {
		a->o.kind = DSS_SAMPLE_OFFICIAL;
		a->o.seed = a->run;
		a->o.official_valid = cfg->official_valid;
	} else {
		a->o.seed = a->seed;
	}
	if (dss_sample_run(db, &a->o, &c, err) < 0)
		return -1;
	report(a, m, &c);
	return 0;
}

int
main(int argc, char **argv)
{
	struct args a;
	struct dss_err err = DSS_ERR_INIT;
	struct dss_sample_config cfg = { NULL, 0 };
	struct dss_manifest *m = NULL;
	const char *dataset;
	int status;
	sqlite3 *db;

	tool_start("dss-sample", synopsis, options);
	parse_options(argc, argv, &a);
	check_options(&a);
	/* A manifest path names its dataset; sampling needs its settings. */
	dataset = a.dataset;
	if (dataset != NULL && (!(a.list || a.show) || strchr(dataset, '/'))) {
		m = load_manifest(dataset, &cfg);
		dataset = m->name;
	}
	/* Listing and showing only read: a read-only database will do. */
	db = tool_db_open(a.db, a.list || a.show ? DSS_DB_READONLY : 0);
	if (a.list)
		status = dss_sample_list(db, dataset, print_subset, NULL, &err);
	else if (a.show)
		status = dss_sample_show(db, dataset, a.show, print_id, NULL, &err);
	else
		status = sample(db, &a, m, &cfg, &err);
	if (status < 0) {
		if (err.code == DSS_SAMPLE_ECONFLICT)
			warnx("%s (use --replace)", err.msg);
		else
			warn_err(&err);
		status = 1;
	}
	dss_db_close(db);
	dss_manifest_free(m);
	if (out_errno != 0)
		errno = out_errno;
	if (tool_fshut(stdout, "stdout") != 0)
		status = 1;
	return status;
}
