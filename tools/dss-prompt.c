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

__attribute__((noreturn)) static void
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: dss-prompt [--exemplars FILE] [--shots N] "
	    "[--style chat|completion]\n");
	if (fp == stdout)
		fputs("\n"
		    "  --exemplars FILE          use the exemplars in FILE for "
		    "every record\n"
		    "  --shots N                 use the first N exemplars, 0 to "
		    "64 (default all)\n"
		    "  --style chat|completion   the style recorded in each prompt "
		    "(default chat)\n"
		    "  -h, --help                print this help\n"
		    "  --version                 print the version\n", fp);
	tool_usage_exit(fp, status);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "exemplars", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ "shots", required_argument, NULL, 'n' },
		{ "style", required_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct dss_err err = DSS_ERR_INIT;
	struct dss_lines lines = DSS_LINES_INIT(stdin, "stdin");
	enum dss_prompt_style style = DSS_PROMPT_CHAT;
	struct dss_prompter *p;
	unsigned long skipped = 0, n;
	const char *exemplars = NULL;
	int ch, shots = -1, status = 0, r;
	cJSON *rec = NULL;

	tool_init("dss-prompt");
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'e':
			exemplars = optarg;
			break;
		case 'h':
			usage(stdout, 0);
		case 'n':
			if (tool_parse_ulong("shots", optarg, 0, DSS_PROMPT_MAX_SHOTS,
			    &n) < 0)
				usage(stderr, 2);
			shots = (int)n;
			break;
		case 's':
			if (strcmp(optarg, "chat") == 0) {
				style = DSS_PROMPT_CHAT;
			} else if (strcmp(optarg, "completion") == 0) {
				style = DSS_PROMPT_COMPLETION;
			} else {
				warnx("bad --style '%s': want 'chat' or 'completion'",
				    optarg);
				usage(stderr, 2);
			}
			break;
		case 'V':
			tool_version();
		default:
			usage(stderr, 2);
		}
	}
	if (optind != argc)
		usage(stderr, 2);
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
