/* SPDX-License-Identifier: MIT */
/*
 * dss-prompt: reads example records on stdin and writes prompt records:
 * each example with its few-shot chain-of-thought prompt as flat text and
 * as chat turns, and the hash of the template that made them.  A record
 * that is itself one of the exemplars is not queried (a warning says so).
 * A prompt record is taken as the example it is (its prompt is rendered
 * anew); any other type stops the run at its line.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/jsonl.h"
#include "../lib/prompt.h"
#include "../lib/record.h"
#include "tool.h"

static const char synopsis[] =
    "usage: dss-prompt [--exemplars FILE] [--shots N] "
    "[--style chat|completion]\n";
static const char options[] =
    "  --exemplars FILE          use the exemplars in FILE for "
    "every record\n"
    "  --shots N                 use the first N exemplars, 0 to "
    "64 (default all)\n"
    "  --style chat|completion   the style recorded in each prompt "
    "(default chat)\n"
    "  -h, --help                print this help\n"
    "  --version                 print the version\n";

static const char *
style_name(int i)
{
	return i == DSS_PROMPT_CHAT || i == DSS_PROMPT_COMPLETION ?
	    dss_prompt_style_name(i) : NULL;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "exemplars", required_argument, NULL, 'e' },
		{ "shots", required_argument, NULL, 'n' },
		{ "style", required_argument, NULL, 's' },
		TOOL_OPTIONS_END
	};
	struct dss_err err = DSS_ERR_INIT;
	struct dss_lines lines = DSS_LINES_INIT(stdin, "stdin");
	enum dss_prompt_style style = DSS_PROMPT_CHAT;
	struct dss_prompter *p;
	unsigned long skipped = 0;
	const char *exemplars = NULL;
	int ch, shots = -1, status = 0, r;
	cJSON *rec = NULL;

	tool_start("dss-prompt", synopsis, options);
	while ((ch = tool_getopt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'e':
			exemplars = optarg;
			break;
		case 'n':
			shots = (int)tool_ulong("shots", optarg, 0,
			    DSS_PROMPT_MAX_SHOTS);
			break;
		case 's':
			style = tool_choice("style", optarg, style_name);
			break;
		}
	}
	if (optind != argc)
		tool_usage(stderr, 2);
	if ((p = dss_prompter_new(exemplars, shots, style, &err)) == NULL)
		die_err(&err);
	while ((r = dss_jsonl_next(&lines, &rec, &err)) == 1) {
		const char *id;
		int type = dss_record_type(rec, &err);

		/* Of no known type: the prompter names the missing field. */
		if (type >= 0 && type != DSS_RECORD_EXAMPLE &&
		    type != DSS_RECORD_PROMPT) {
			r = dss_record_wrong(type, DSS_RECORD_EXAMPLE, "dss-prompt",
			    &err);
			dss_err_prefix(&err, "line %lu", lines.lineno);
			break;
		}
		if ((r = dss_prompter_apply(p, rec, &err)) < 0) {
			dss_err_prefix(&err, "line %lu", lines.lineno);
			break;
		}
		if (r == 0) {
			id = cJSON_GetObjectItemCaseSensitive(rec, "id")->valuestring;
			warnx("line %lu: '%s' not queried: %s", lines.lineno, id,
			    err.msg);
			skipped++;
		} else if (dss_jsonl_write(stdout, rec) < 0) {
			status = 1;	/* tool_fshut says why */
			break;
		}
		cJSON_Delete(rec);
		rec = NULL;
	}
	if (r < 0) {
		warn_err(&err);
		status = 1;
	}
	if (skipped)
		warnx("%lu record%s not queried because %s an exemplar", skipped,
		    skipped == 1 ? "" : "s", skipped == 1 ? "it is" : "they are");
	cJSON_Delete(rec);
	dss_lines_free(&lines);
	dss_prompter_free(p);
	if (tool_fshut(stdout, "stdout"))
		status = 1;
	return status;
}
