/* SPDX-License-Identifier: MIT */
/*
 * dss-fetch: downloads a dataset's upstream files into the cache (or
 * takes them from a mirror), verifies them, and writes the example
 * records of the requested splits to stdout in the official order, as the
 * dataset's manifest describes (dss_dataset_fetch).  A summary per split
 * goes to stderr.  With --verify, re-hashes the cache against its lock
 * file and the manifests' pins instead.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/dataset.h"
#include "../lib/fetch.h"
#include "../lib/manifest.h"
#include "tool.h"

static const char synopsis[] =
    "usage: dss-fetch [--allow-count-mismatch] [--cache DIR] [--deadline SECONDS]\n"
    "                 [--mirror URL] [--offline] [--refresh] DATASET [SPLIT ...]\n"
    "       dss-fetch --verify [--cache DIR] [DATASET ...]\n";

static const char options[] =
    "  --allow-count-mismatch  accept a split whose count is not the "
    "manifest's\n"
    "  --cache DIR             keep downloads in DIR\n"
    "  --deadline SECONDS      give each file at most SECONDS, retries "
    "included\n"
    "                          (default 3600)\n"
    "  -h, --help              print this help\n"
    "  --mirror URL            fetch https://HOST/PATH from URL/HOST/PATH\n"
    "  --offline               take every file from the cache\n"
    "  --refresh               download again, replacing the cached "
    "files\n"
    "  --verify                re-hash the cache against its lock file "
    "and pins\n"
    "  --version               print the version\n";

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

/* Loads the manifest path (a name or a file) and appends it to *ms. */
static int
add_manifest(const char *path, struct dss_manifest ***ms, size_t *nms, struct dss_err *err)
{
	struct dss_manifest *m, **nm;

	if ((m = dss_manifest_load(path, err)) == NULL)
		return -1;
	if ((nm = realloc(*ms, (*nms + 1) * sizeof *nm)) == NULL) {
		dss_manifest_free(m);
		return dss_err_set(err, "out of memory");
	}
	nm[(*nms)++] = m;
	*ms = nm;
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every manifest of the manifest directory, sorted by name. */
static int
all_manifests(struct dss_manifest ***ms, size_t *nms, struct dss_err *err)
{
	char *names[256];
	size_t n = dss_manifest_names(names, 256), i;
	int ret = 0;

	for (i = 0; i < n; i++) {
		if (ret == 0 && add_manifest(names[i], ms, nms, err) < 0)
			ret = -1;
		free(names[i]);
	}
	return ret;
}

/*
 * --verify: every file of the lock file, and every cached file a manifest
 * pins (a pin wins over the lock entry), one line each on stdout:
 * "ok URL", "mismatch URL" or "missing URL" (recorded, not in the cache).
 */
static int
verify(const char *cache, char **names, int nnames)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_manifest **ms = NULL;
	char **urls = NULL, want[65], got[65], *path;
	size_t nms = 0, nurls = 0, i, j, k, nok = 0, nbad = 0, nmissing = 0;
	int status = 1, r;

	for (i = 0; i < (size_t)nnames; i++)
		if (add_manifest(names[i], &ms, &nms, &err) < 0) {
			warn_err(&err);
			if (err.code == DSS_MANIFEST_UNKNOWN) {
				tool_synopsis(stderr);
				status = 2;
			}
			goto out;
		}
	if (nnames == 0 && all_manifests(&ms, &nms, &err) < 0) {
		warn_err(&err);
		goto out;
	}
	if (dss_fetch_lock_urls(cache, &urls, &nurls, &err) < 0) {
		warn_err(&err);
		goto out;
	}
	/* the pinned URLs not in the lock file join the list */
	for (i = 0; i < nms; i++)
		for (j = 0; j < ms[i]->nsources; j++) {
			const struct dss_manifest_source *src = &ms[i]->sources[j];
			char **nu;

			if (src->sha256 == NULL)
				continue;
			for (k = 0; k < nurls; k++)
				if (strcmp(urls[k], src->url) == 0)
					break;
			if (k < nurls)
				continue;
			if ((nu = realloc(urls, (nurls + 1) * sizeof *nu)) == NULL ||
			    (nu[nurls] = strdup(src->url)) == NULL)
				die("out of memory");
			urls = nu;
			nurls++;
		}
	qsort(urls, nurls, sizeof *urls, cmp_str);
	for (k = 0; k < nurls; k++) {
		const char *pin = NULL;

		for (i = 0; i < nms && pin == NULL; i++)
			for (j = 0; j < ms[i]->nsources && pin == NULL; j++)
				if (ms[i]->sources[j].sha256 != NULL &&
				    strcmp(ms[i]->sources[j].url, urls[k]) == 0)
					pin = ms[i]->sources[j].sha256;
		r = dss_fetch_verify(cache, urls[k], pin, want, got, &err);
		if (r < 0) {
			warn_err(&err);
			goto out;
		}
		if (r == DSS_FETCH_ABSENT && pin != NULL)
			continue;	/* pinned, never fetched */
		if (r == DSS_FETCH_DIFFERS) {
			path = dss_fetch_cache_path(cache, urls[k], &err);
			warnx("checksum mismatch for '%s' (cached as '%s'): expected %s, got %s%s",
			    urls[k], path ? path : "?", want, got,
			    pin != NULL ? " (the manifest's pin)" : "");
			free(path);
		}
		printf("%s %s\n", r == DSS_FETCH_MATCHES ? "ok" :
		    r == DSS_FETCH_DIFFERS ? "mismatch" : "missing", urls[k]);
		nok += r == DSS_FETCH_MATCHES;
		nbad += r == DSS_FETCH_DIFFERS;
		nmissing += r == DSS_FETCH_ABSENT;
	}
	warnx("verified %zu files in '%s': %zu ok, %zu mismatched, %zu missing",
	    nok + nbad + nmissing, cache, nok, nbad, nmissing);
	status = nbad > 0;
out:
	for (i = 0; i < nms; i++)
		dss_manifest_free(ms[i]);
	free(ms);
	for (k = 0; k < nurls; k++)
		free(urls[k]);
	free(urls);
	if (tool_fshut(stdout, "stdout") != 0)
		status = 1;
	return status;
}

/* Parses the options into fo and the flags; returns optind. */
static int
parse_options(int argc, char **argv, struct dss_fetch_opts *fo, int *allow,
    int *verifying)
{
	enum { OPT_ALLOW = 256, OPT_DEADLINE, OPT_REFRESH, OPT_VERIFY };
	static const struct option opts[] = {
		{ "allow-count-mismatch", no_argument, NULL, OPT_ALLOW },
		{ "cache", required_argument, NULL, 'c' },
		{ "deadline", required_argument, NULL, OPT_DEADLINE },
		{ "mirror", required_argument, NULL, 'm' },
		{ "offline", no_argument, NULL, 'o' },
		{ "refresh", no_argument, NULL, OPT_REFRESH },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		TOOL_OPTIONS_END
	};
	int ch;

	while ((ch = tool_getopt(argc, argv, opts)) != -1) {
		switch (ch) {
		case OPT_ALLOW:
			*allow = 1;
			break;
		case 'c':
			fo->cache = optarg;
			break;
		case OPT_DEADLINE:
			fo->deadline = (long)tool_ulong("deadline", optarg, 1,
			    31536000);
			break;
		case 'm':
			fo->mirror = optarg;
			break;
		case 'o':
			fo->offline = 1;
			break;
		case OPT_REFRESH:
			fo->refresh = 1;
			break;
		case OPT_VERIFY:
			*verifying = 1;
			break;
		}
	}
	if (fo->refresh && fo->offline)
		tool_usage_error("--refresh downloads again, which --offline "
		    "forbids");
	return optind;
}

/* --verify: checks the cached files of the datasets named (all without
 * names); the exit status. */
static int
run_verify(const struct dss_fetch_opts *fo, int allow, char **names,
    int nnames)
{
	char *cache;
	int status;

	if (fo->refresh || fo->offline || fo->mirror != NULL || allow)
		tool_usage_error("--verify takes no option but --cache");
	if ((cache = fo->cache != NULL ? strdup(fo->cache) :
	    dss_fetch_cache_dir()) == NULL)
		die("cannot find a cache directory: set DSS_CACHE or HOME");
	status = verify(cache, names, nnames);
	free(cache);
	return status;
}

/*
 * The nsplits splits of m that names (nnames of them) ask for, in their
 * order, or all of m's when there are no names.  Returns 0, or 2 after
 * the usage error of an unknown split or one given twice.
 */
static int
pick_splits(const struct dss_manifest *m, char **names, int nnames,
    const struct dss_manifest_split **splits, size_t nsplits)
{
	char have[256];
	size_t i, j;

	for (i = 0; i < nsplits; i++) {
		if (nnames == 0) {
			splits[i] = &m->splits[i];
			continue;
		}
		if ((splits[i] = dss_manifest_split(m, names[i])) == NULL) {
			split_list(m, have, sizeof have);
			warnx("unknown split '%s' for '%s' (have %s)", names[i],
			    m->name, have);
			tool_synopsis(stderr);
			return 2;
		}
		for (j = 0; j < i; j++)
			if (splits[j] == splits[i]) {
				warnx("split '%s' is given twice", names[i]);
				tool_synopsis(stderr);
				return 2;
			}
	}
	return 0;
}

/* Says on stderr how many examples each split had, and warns of a count
 * other than the manifest's. */
static void
report_counts(const struct dss_manifest *m,
    const struct dss_manifest_split **splits, size_t nsplits,
    const struct dss_dataset_stats *st)
{
	size_t i;

	for (i = 0; i < nsplits; i++) {
		warnx("%s %s: %llu examples, %llu skipped without a usable label",
		    m->name, splits[i]->name, st[i].count, st[i].skipped);
		if (splits[i]->count >= 0 &&
		    st[i].count != (unsigned long long)splits[i]->count)
			warnx("warning: %s %s has %llu examples where the manifest "
			    "expects %lld", m->name, splits[i]->name, st[i].count,
			    splits[i]->count);
	}
}

int
main(int argc, char **argv)
{
	struct dss_fetch_opts fo = DSS_FETCH_OPTS_INIT;
	struct dss_err err = DSS_ERR_INIT;
	struct dss_manifest *m = NULL;
	const struct dss_manifest_split **splits = NULL;
	struct dss_dataset_stats *st = NULL;
	size_t nsplits;
	int status = 1, allow = 0, verifying = 0, k;

	tool_start("dss-fetch", synopsis, options);
	k = parse_options(argc, argv, &fo, &allow, &verifying);
	argc -= k;
	argv += k;
	if (verifying)
		return run_verify(&fo, allow, argv, argc);
	if (argc < 1)
		tool_usage(stderr, 2);
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
			tool_usage(stderr, 2);
		return 1;
	}
	nsplits = argc > 1 ? (size_t)argc - 1 : m->nsplits;
	splits = calloc(nsplits, sizeof *splits);
	st = calloc(nsplits, sizeof *st);
	if (splits == NULL || st == NULL)
		die("out of memory");
	if ((status = pick_splits(m, argv + 1, argc - 1, splits, nsplits)) != 0)
		goto out;
	status = 1;
	if (dss_dataset_fetch(m, splits, nsplits, &fo, allow, stdout, st,
	    &err) < 0) {
		end_progress();
		/* A write error is reported once, by tool_fshut. */
		if (!ferror(stdout))
			warn_err(&err);
		goto out;
	}
	end_progress();
	report_counts(m, splits, nsplits, st);
	status = 0;
out:
	if (tool_fshut(stdout, "stdout") != 0)
		status = 1;
	free(st);
	free(splits);
	dss_manifest_free(m);
	return status;
}
