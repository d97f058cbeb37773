/* SPDX-License-Identifier: MIT */
/*
 * dss-filter: reads completion records and writes triple records (the
 * rationale, the teacher's label, the training label) for the ones worth
 * training on: whose answer agrees with the gold label, or with the
 * majority of the prompt's samples, or any readable answer.  Rejects go,
 * with a reason code, to a file written whole or not at all.  A summary
 * of what was kept and rejected goes to stderr (per dataset and teacher
 * on a mixed run), and with --summary as JSON to a file, also written
 * whole or not at all.  The work is done by lib/filter and lib/answer.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "tool.h"
#include "../lib/filter.h"

static const char synopsis[] =
    "usage: dss-filter [--agree gold|majority|none] "
    "[--min-rationale-chars n] [--rejects file] [--summary file] [file]\n";

/* Temporary files, removed at exit (or on a signal) unless renamed. */
static char *rejects_tmp, *summary_tmp;

static const char options[] =
    "  --agree gold|majority|none  keep answers equal to the gold "
    "label (default),\n"
    "                              to the majority of a prompt's "
    "samples, or any\n"
    "  --min-rationale-chars n     reject rationales shorter than n "
    "characters (default 1)\n"
    "  --rejects file              write rejected completions with "
    "their reason\n"
    "  --summary file              write the summary as JSON\n"
    "  -h, --help                  print this help\n"
    "  --version                   print the version\n";

static void
remove_tmp(void)
{
	if (rejects_tmp != NULL)
		unlink(rejects_tmp);
	if (summary_tmp != NULL)
		unlink(summary_tmp);
}

/* SIGTERM, SIGINT, SIGHUP: leave no temporary file behind, then die of it. */
static void
on_signal(int sig)
{
	if (rejects_tmp != NULL)
		unlink(rejects_tmp);
	if (summary_tmp != NULL)
		unlink(summary_tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int
write_keep(void *arg, const char *json, size_t len, struct dss_err *err)
{
	(void)arg;
	if (fwrite(json, 1, len, stdout) != len)
		return dss_err_errno(err, errno ? errno : EIO,
		    "cannot write 'stdout'");
	return 0;
}

static int
write_reject(void *arg, const char *json, size_t len, struct dss_err *err)
{
	FILE *fp = arg;

	if (fwrite(json, 1, len, fp) != len)
		return dss_err_errno(err, errno ? errno : EIO, "cannot write '%s'",
		    rejects_tmp);
	return 0;
}

/* Creates path.tmp.XXXXXX for writing; *tmp gets its name. */
static FILE *
open_tmp(const char *path, char **tmp)
{
	size_t n = strlen(path);
	sigset_t all, old;
	char *name;
	FILE *fp;
	mode_t um;
	int fd;

	if ((name = malloc(n + 16)) == NULL)
		die("out of memory");
	snprintf(name, n + 16, "%s.tmp.XXXXXX", path);
	/* No signal between creating the file and noting its name. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if ((fd = mkstemp(name)) < 0) {
		int e = errno;

		sigprocmask(SIG_SETMASK, &old, NULL);
		free(name);
		die("cannot create '%s': %s", path, strerror(e));
	}
	*tmp = name;
	sigprocmask(SIG_SETMASK, &old, NULL);
	um = umask(0);
	umask(um);
	(void)fchmod(fd, 0666 & ~um);
	if ((fp = fdopen(fd, "w")) == NULL)
		die("cannot create '%s': %s", path, strerror(errno));
	return fp;
}

/*
 * Flushes, syncs and closes fp, then renames *tmp to path.  Returns 0,
 * or 1 after a message; *tmp is left for the exit to remove.
 */
static int
commit_tmp(FILE *fp, char **tmp, const char *path, int keep)
{
	int bad = fflush(fp) == EOF || ferror(fp) || fsync(fileno(fp)) < 0;
	int e = errno;

	if (fclose(fp) == EOF && !bad) {
		bad = 1;
		e = errno;
	}
	if (bad) {
		warnx("cannot write '%s': %s", path, strerror(e ? e : EIO));
		return 1;
	}
	if (!keep)
		return 0;
	if (rename(*tmp, path) < 0) {
		warnx("cannot rename to '%s': %s", path, strerror(errno));
		return 1;
	}
	free(*tmp);
	*tmp = NULL;
	return 0;
}

static void
print_counts(const char *prefix, const struct dss_filter_counts *c,
    const char *suffix)
{
	struct dss_buf b = DSS_BUF_INIT;

	if (dss_filter_counts_text(c, &b) < 0)
		die("out of memory");
	warnx("%s%s%s", prefix, b.data, suffix);
	dss_buf_free(&b);
}

/* The summary on stderr: one line, then one per dataset and teacher when mixed. */
static void
summary(const struct dss_filter *f)
{
	const struct dss_filter_counts *t = dss_filter_totals(f), *c;
	unsigned long undecided = t->read - t->kept - dss_filter_counts_rejected(t);
	char more[160] = "";
	size_t i, n = 0;
	int by;

	if (dss_filter_examples(f) > 0)
		n += (size_t)snprintf(more + n, sizeof more - n, "; passed over %lu "
		    "example record%s", dss_filter_examples(f),
		    dss_filter_examples(f) == 1 ? "" : "s");
	if (undecided > 0 && n < sizeof more)
		snprintf(more + n, sizeof more - n, "; %lu not decided when the run "
		    "stopped", undecided);
	print_counts("", t, more);
	for (by = DSS_FILTER_BY_DATASET; by <= DSS_FILTER_BY_TEACHER; by++) {
		if (dss_filter_nparts(f, by) < 2)
			continue;
		for (i = 0; i < dss_filter_nparts(f, by); i++) {
			const char *name = dss_filter_part(f, by, i, &c);
			char prefix[160];

			snprintf(prefix, sizeof prefix, "  %s %.100s: ",
			    by == DSS_FILTER_BY_DATASET ? "dataset" : "teacher",
			    *name ? name : "(none)");
			print_counts(prefix, c, "");
		}
	}
	if (dss_filter_votes_of_one(f) > 0)
		warnx("warning: %lu of %lu prompts had a vote of one (a single "
		    "sample, or samples that are the same completion), so "
		    "--agree majority checked nothing for them; ask the teacher "
		    "for several samples at a temperature above 0",
		    dss_filter_votes_of_one(f), dss_filter_prompts(f));
}

/* Writes the summary as JSON to fp, then renames it to path. */
static int
write_summary(const struct dss_filter *f, FILE *fp, const char *path,
    const char *error)
{
	struct dss_buf b = DSS_BUF_INIT;

	if (dss_filter_summary_json(f, error, &b) < 0)
		die("out of memory");
	if (fwrite(b.data, 1, b.len, fp) != b.len) {
		warnx("cannot write '%s': %s", path, strerror(errno));
		fclose(fp);
		dss_buf_free(&b);
		return 1;
	}
	dss_buf_free(&b);
	return commit_tmp(fp, &summary_tmp, path, 1);
}

int
main(int argc, char **argv)
{
	enum { OPT_AGREE = 256, OPT_MIN, OPT_REJECTS, OPT_SUMMARY };
	static const struct option longopts[] = {
		{ "agree", required_argument, NULL, OPT_AGREE },
		{ "min-rationale-chars", required_argument, NULL, OPT_MIN },
		{ "rejects", required_argument, NULL, OPT_REJECTS },
		{ "summary", required_argument, NULL, OPT_SUMMARY },
		TOOL_OPTIONS_END
	};
	struct dss_filter_opts o = { DSS_FILTER_GOLD, DSS_FILTER_MIN_RATIONALE,
	    write_keep, NULL, NULL };
	struct dss_err err = DSS_ERR_INIT;
	struct dss_filter *f;
	const char *rejects = NULL, *summary_path = NULL, *in = "-";
	FILE *rfp = NULL, *sfp = NULL, *ifp = stdin;
	int c, r, st = 0;

	tool_start("dss-filter", synopsis, options);
	while ((c = tool_getopt(argc, argv, longopts)) != -1) {
		switch (c) {
		case OPT_AGREE:
			o.agree = tool_choice("agree", optarg,
			    dss_filter_agree_name);
			break;
		case OPT_MIN:
			o.min_rationale_chars = (size_t)tool_ulong(
			    "min-rationale-chars", optarg, 0, 1000000);
			break;
		case OPT_REJECTS:
			rejects = optarg;
			break;
		case OPT_SUMMARY:
			summary_path = optarg;
			break;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		tool_usage(stderr, 2);
	if (argc == 1)
		in = argv[0];
	if (strcmp(in, "-") != 0 && (ifp = fopen(in, "r")) == NULL)
		die("cannot open '%s': %s", in, strerror(errno));
	/*
	 * The filter hands on records in large batches: each goes to
	 * write(2) as it is, not copied through a stdio buffer first.
	 */
	setvbuf(stdout, NULL, _IONBF, 0);
	atexit(remove_tmp);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGHUP, on_signal);
	/* Both files are made now, so that a bad path fails before the work. */
	if (summary_path != NULL)
		sfp = open_tmp(summary_path, &summary_tmp);
	if (rejects != NULL) {
		rfp = open_tmp(rejects, &rejects_tmp);
		setvbuf(rfp, NULL, _IONBF, 0);
		o.reject = write_reject;
		o.arg = rfp;
	}
	if ((f = dss_filter_new(&o)) == NULL)
		die("out of memory");
	r = dss_filter_run(f, ifp, strcmp(in, "-") ? in : "stdin", &err);
	if (r < 0) {
		warn_err(&err);
		st = 1;
	}
	summary(f);
	if (tool_fshut_after(stdout, "stdout", r < 0))
		st = 1;
	/* A failed run leaves no rejects file: it would look complete. */
	if (rfp != NULL && commit_tmp(rfp, &rejects_tmp, rejects, st == 0))
		st = 1;
	/* The summary is written either way, saying what stopped the run. */
	if (sfp != NULL && write_summary(f, sfp, summary_path,
	    r < 0 ? err.msg : NULL))
		st = 1;
	dss_filter_free(f);
	if (ifp != stdin)
		fclose(ifp);
	return st;
}
