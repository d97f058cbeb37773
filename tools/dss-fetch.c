/* SPDX-License-Identifier: MIT */
/*
 * dss-fetch: downloads a dataset's upstream files into the cache (or
 * takes them from a mirror), verifies them, and writes the example
 * records of the requested splits to stdout in the official order, as the
 * dataset's manifest describes.  Every file is fetched and verified before
 * the first record is written.  A summary per split goes to stderr.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/dataset.h"
#include "../lib/fetch.h"
#include "../lib/manifest.h"
#include "tool.h"

static void
print_usage(FILE *fp)
{
	fprintf(fp, "usage: dss-fetch [--cache DIR] [--mirror URL] [--offline] "
	    "DATASET [SPLIT ...]\n");
	if (fp == stdout)
		fputs("\n"
		    "  --cache DIR   keep downloads in DIR, not the default cache\n"
		    "  --mirror URL  fetch https://HOST/PATH from URL/HOST/PATH\n"
		    "  --offline     take every file from the cache, never the "
		    "network\n"
		    "  -h, --help    print this help\n"
		    "  --version     print the version\n", fp);
}

__attribute__((noreturn)) static void
usage(FILE *fp, int status)
{
	print_usage(fp);
	tool_usage_exit(fp, status);
}

static int progress_shown;
static char outbuf[1 << 18];

static void
progress(void *arg, const char *name, long long now, long long total)
{
	char line[256];

	fprintf(stderr, "\r%s", dss_progress_format(line, sizeof line, name, now,
	    total, 0));
	progress_shown = 1;
	if (total > 0 && now >= total) {
		fputc('\n', stderr);
		progress_shown = 0;
	}
}

static void
end_progress(void)
{
	if (progress_shown)
		fputc('\n', stderr);
	progress_shown = 0;
}

static void
split_list(const struct dss_manifest *m, char *buf, size_t n)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < m->nsplits && used < n; i++)
		used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "",
		    m->splits[i].name);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cache", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "mirror", required_argument, NULL, 'm' },
		{ "offline", no_argument, NULL, 'o' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct dss_fetch_opts fo = DSS_FETCH_OPTS_INIT;
	struct dss_err err = DSS_ERR_INIT;
	struct dss_manifest *m = NULL;
	const struct dss_manifest_split **splits = NULL;
	char **paths = NULL, have[256];
	size_t nsplits, i, j;
	int ch, status = 1;

	tool_init("dss-fetch");
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			fo.cache = optarg;
			break;
		case 'h':
			usage(stdout, 0);
		case 'm':
			fo.mirror = optarg;
			break;
		case 'o':
			fo.offline = 1;
			break;
		case 'V':
			tool_version();
		default:
			usage(stderr, 2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(stderr, 2);
	if (fo.mirror == NULL && getenv("DSS_MIRROR") != NULL &&
	    *getenv("DSS_MIRROR") != '\0')
		fo.mirror = getenv("DSS_MIRROR");
	if (tool_stderr_tty())
		fo.progress = progress;
	/* glibc ignores the size unless it is given the buffer too. */
	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);

	if ((m = dss_manifest_load(argv[0], &err)) == NULL) {
		warn_err(&err);
		if (err.code == DSS_MANIFEST_UNKNOWN)
			usage(stderr, 2);
		return 1;
	}
	nsplits = argc > 1 ? (size_t)argc - 1 : m->nsplits;
	splits = calloc(nsplits, sizeof *splits);
	paths = calloc(m->nsources, sizeof *paths);
	if (splits == NULL || paths == NULL)
		die("out of memory");
	for (i = 0; i < nsplits; i++) {
		if (argc == 1) {
			splits[i] = &m->splits[i];
			continue;
		}
		if ((splits[i] = dss_manifest_split(m, argv[i + 1])) == NULL) {
			split_list(m, have, sizeof have);
			warnx("unknown split '%s' for '%s' (have %s)", argv[i + 1],
			    m->name, have);
			print_usage(stderr);
			status = 2;
			goto out;
		}
		for (j = 0; j < i; j++)
			if (splits[j] == splits[i]) {
				warnx("split '%s' is given twice", argv[i + 1]);
				print_usage(stderr);
				status = 2;
				goto out;
			}
	}

	/* Fetch and verify every file first, each URL once. */
	for (i = 0; i < nsplits; i++) {
		for (j = 0; j < splits[i]->nsources; j++) {
			const struct dss_manifest_source *src = splits[i]->sources[j];
			size_t si = (size_t)(src - m->sources), k;

			if (paths[si] != NULL)
				continue;
			for (k = 0; k < m->nsources; k++)
				if (paths[k] != NULL &&
				    strcmp(m->sources[k].url, src->url) == 0)
					break;
			if (k < m->nsources) {
				if ((paths[si] = strdup(paths[k])) == NULL)
					die("out of memory");
				continue;
			}
			if (dss_fetch(&fo, src->url, src->sha256, &paths[si], &err) < 0) {
				end_progress();
				warn_err(&err);
				goto out;
			}
			end_progress();
		}
	}

	for (i = 0; i < nsplits; i++) {
		struct dss_dataset_stats st = DSS_DATASET_STATS_INIT;

		if (dss_dataset_write(m, splits[i], paths, stdout, &st, &err) < 0) {
			/* A write error is reported once, by tool_fshut. */
			if (!ferror(stdout))
				warn_err(&err);
			goto out;
		}
		warnx("%s %s: %llu examples, %llu skipped without a usable label",
		    m->name, splits[i]->name, st.count, st.skipped);
		if (splits[i]->count >= 0 &&
		    st.count != (unsigned long long)splits[i]->count)
			warnx("warning: %s %s has %llu examples where the manifest "
			    "expects %lld", m->name, splits[i]->name, st.count,
			    splits[i]->count);
	}
	status = 0;
out:
	if (tool_fshut(stdout, "stdout") != 0)
		status = 1;
	if (paths != NULL)
		for (i = 0; i < m->nsources; i++)
			free(paths[i]);
	free(paths);
	free(splits);
	dss_manifest_free(m);
	return status;
}
