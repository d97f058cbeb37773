/* SPDX-License-Identifier: MIT */
/*
 * dss-import: reads the official Distilling Step-by-Step release
 * (datasets.zip, or the directory it unpacks to) and writes its examples
 * and the paper's PaLM 540B completions as example and completion
 * records, aligned by index.  The whole selection is checked first, so
 * that a release whose completions do not line up with its examples
 * writes nothing.  The work is done by lib/release.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "../lib/release.h"

static const char synopsis[] =
    "usage: dss-import [--completions-only | --examples-only] "
    "[--dataset ds] [--split split] archive|dir\n";

static const char options[] =
    "  --completions-only  write only completion records\n"
    "  --dataset ds        only esnli, anli1, cqa or svamp "
    "(default: all found)\n"
    "  --examples-only     write only example records\n"
    "  --split split       only train, valid or test\n"
    "  -h, --help          print this help\n"
    "  --version           print the version\n";

static int
write_record(void *arg, const char *json, size_t len, struct dss_err *err)
{
	FILE *fp = arg;

	if (fwrite(json, 1, len, fp) != len)
		return dss_err_errno(err, errno ? errno : EIO,
		    "cannot write 'stdout'");
	return 0;
}

int
main(int argc, char **argv)
{
	enum { OPT_COMPLETIONS = 256, OPT_DATASET, OPT_EXAMPLES, OPT_SPLIT };
	static const struct option longopts[] = {
		{ "completions-only", no_argument, NULL, OPT_COMPLETIONS },
		{ "dataset", required_argument, NULL, OPT_DATASET },
		{ "examples-only", no_argument, NULL, OPT_EXAMPLES },
		{ "split", required_argument, NULL, OPT_SPLIT },
		TOOL_OPTIONS_END
	};
	struct dss_release_opts o = DSS_RELEASE_OPTS_INIT;
	struct dss_err err = DSS_ERR_INIT;
	struct dss_release *r;
	int c, only_c = 0, only_e = 0;

	tool_start("dss-import", synopsis, options);
	while ((c = tool_getopt(argc, argv, longopts)) != -1) {
		switch (c) {
		case OPT_COMPLETIONS:
			only_c = 1;
			break;
		case OPT_DATASET:
			o.dataset = optarg;
			break;
		case OPT_EXAMPLES:
			only_e = 1;
			break;
		case OPT_SPLIT:
			o.split = optarg;
			break;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		tool_usage(stderr, 2);
	if (only_c && only_e)
		tool_usage_error("--completions-only and --examples-only "
		    "exclude each other");
	if (o.dataset != NULL && !dss_release_dataset_known(o.dataset))
		tool_usage_error("unknown dataset '%s' (known: esnli, anli1, "
		    "cqa, svamp)", o.dataset);
	if (o.split != NULL && !dss_release_split_known(o.split))
		tool_usage_error("unknown split '%s' (known: train, valid, "
		    "test)", o.split);
	if (o.dataset != NULL && o.split != NULL &&
	    !dss_release_has_split(o.dataset, o.split))
		tool_usage_error("dataset '%s' has no split '%s'", o.dataset,
		    o.split);
	if (only_c)
		o.what = DSS_RELEASE_COMPLETIONS;
	if (only_e)
		o.what = DSS_RELEASE_EXAMPLES;

	if ((r = dss_release_open(argv[0], &err)) == NULL)
		die_err(&err);
	/* Check everything first, then write: a bad release writes nothing. */
	if (dss_release_run(r, &o, NULL, NULL, &err) < 0 ||
	    dss_release_run(r, &o, write_record, stdout, &err) < 0) {
		dss_release_close(r);
		die_err(&err);
	}
	if (dss_release_repaired(r) > 0)
		warnx("%lu completion%s held text that is not valid UTF-8 (or "
		    "\\u0000, or a lone surrogate): replaced with U+FFFD",
		    dss_release_repaired(r), dss_release_repaired(r) == 1 ?
		    "" : "s");
	dss_release_close(r);
	return tool_fshut(stdout, "stdout");
}
