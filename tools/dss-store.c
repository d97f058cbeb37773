/* SPDX-License-Identifier: MIT */
/*
 * dss-store: upserts records of any type from stdin into a dss database,
 * one transaction per batch, or merges the databases of sharded dss-teach
 * runs into one.  Prints one summary line on stderr.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/db.h"
#include "../lib/jsonl.h"
#include "../lib/store.h"
#include "tool.h"

static const char synopsis[] =
    "usage: dss-store [--batch N] DB\n"
    "       dss-store --merge OUT.db IN.db ...\n";
static const char options[] =
    "  --batch N     commit every N records (default 10000)\n"
    "  --merge       merge databases instead of reading stdin\n"
    "  -h, --help    print this help\n"
    "  --version     print the version\n";

static void
summary(const char *what, const struct dss_store_counts *c)
{
	char types[256] = "";
	size_t n = 0;
	int i;

	for (i = 0; i < DSS_RECORD_NTYPES; i++) {
		if (c->by_type[i] == 0)
			continue;
		n += (size_t)snprintf(types + n, sizeof(types) - n, "%s%s %llu",
		    n ? ", " : " (", dss_record_table(i), c->by_type[i]);
		if (n >= sizeof(types))
			break;
	}
	if (c->subsets > 0 && n < sizeof(types))
		n += (size_t)snprintf(types + n, sizeof(types) - n, "%ssubsets %llu",
		    n ? ", " : " (", c->subsets);
	if (n && n < sizeof(types) - 1)
		strcat(types, ")");
	warnx("%s: %llu records: %llu inserted, %llu updated, %llu unchanged%s",
	    what, c->records, c->inserted, c->updated, c->unchanged, types);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "batch", required_argument, NULL, 'b' },
		{ "merge", no_argument, NULL, 'm' },
		TOOL_OPTIONS_END
	};
	struct dss_err err = DSS_ERR_INIT;
	struct dss_store_counts c;
	struct dss_lines lines = DSS_LINES_INIT(stdin, "stdin");
	unsigned long batch = DSS_STORE_BATCH;
	int ch, merge = 0, status = 0, i;
	sqlite3 *db;

	tool_start("dss-store", synopsis, options);
	/* Bulk loads: no malloc statistics (lib/jsonl reads in large blocks). */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	while ((ch = tool_getopt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'b':
			batch = tool_ulong("batch", optarg, 1, INT_MAX);
			break;
		case 'm':
			merge = 1;
			break;
		}
	}
	argc -= optind;
	argv += optind;
	if (merge ? argc < 2 : argc != 1)
		tool_usage(stderr, 2);
	db = tool_db_open(argv[0], DSS_DB_CREATE);
	memset(&c, 0, sizeof(c));
	if (merge) {
		for (i = 1; i < argc; i++) {
			struct dss_store_counts one;

			memset(&one, 0, sizeof(one));
			if (dss_store_merge(db, argv[i], &one, &err) < 0) {
				warn_err(&err);
				status = 1;
				break;
			}
			summary(argv[i], &one);
			c.records += one.records;
			c.inserted += one.inserted;
			c.updated += one.updated;
			c.unchanged += one.unchanged;
		}
		if (status == 0 && argc > 2)
			warnx("%s: merged %d databases: %llu inserted, %llu "
			    "updated, %llu unchanged", argv[0], argc - 1,
			    c.inserted, c.updated, c.unchanged);
	} else {
		if (dss_store_load(db, &lines, batch, &c, &err) < 0) {
			warn_err(&err);
			warnx("%s: %llu records committed before the error; the "
			    "failed batch was rolled back", argv[0], c.records);
			status = 1;
		} else {
			summary(argv[0], &c);
		}
		dss_lines_free(&lines);
	}
	dss_db_close(db);
	return status;
}
