/* SPDX-License-Identifier: MIT */
/*
 * dss-stats: corpus statistics of a dss database, opened read-only, per
 * dataset, split, teacher and filter: a text report, one JSON object
 * with --json, and an SVG chart of agreement and rejects with --svg.
 * The work is done by lib/stats.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "../lib/file.h"
#include "../lib/stats.h"

static const char synopsis[] =
    "usage: dss-stats DB [--dataset D] [--json] [--svg FILE]\n";
static const char options[] =
    "  --dataset D   statistics of dataset D only\n"
    "  --json        print one JSON object instead of the report\n"
    "  --svg FILE    draw agreement and rejects into FILE\n"
    "  -h, --help    print this help\n"
    "  --version     print the version\n";

int
main(int argc, char **argv)
{
	enum { OPT_DATASET = 256, OPT_JSON, OPT_SVG };
	static const struct option longopts[] = {
		{ "dataset", required_argument, NULL, OPT_DATASET },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "svg", required_argument, NULL, OPT_SVG },
		TOOL_OPTIONS_END
	};
	struct dss_err err = DSS_ERR_INIT;
	struct dss_buf out = DSS_BUF_INIT, svg = DSS_BUF_INIT;
	const char *dataset = NULL, *svgpath = NULL;
	struct dss_stats *s;
	int c, json = 0, st = 0;

	tool_start("dss-stats", synopsis, options);
	while ((c = tool_getopt(argc, argv, longopts)) != -1) {
		switch (c) {
		case OPT_DATASET:
			dataset = optarg;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_SVG:
			svgpath = optarg;
			break;
		}
	}
	if (argc - optind != 1)
		tool_usage_error(argc - optind ? "more than one database given" :
		    "no database given");
	if (dataset != NULL)
		tool_dataset(dataset);
	if ((s = dss_stats_load(argv[optind], dataset, &err)) == NULL)
		die_err(&err);
	if ((json ? dss_stats_json(s, &out, &err) :
	    dss_stats_text(s, &out, &err)) < 0)
		die_err(&err);
	if (svgpath != NULL && (dss_stats_svg(s, &svg, &err) < 0 ||
	    dss_file_replace(svgpath, svg.data, svg.len, &err) < 0))
		die_err(&err);
	if (fwrite(out.data, 1, out.len, stdout) != out.len)
		st = 1;
	if (tool_fshut(stdout, "stdout"))
		st = 1;
	dss_buf_free(&out);
	dss_buf_free(&svg);
	dss_stats_free(s);
	return st;
}
