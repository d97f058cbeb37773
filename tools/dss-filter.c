/* SPDX-License-Identifier: MIT */
/*
 * dss-filter: reads completion records and writes triple records (the
 * rationale, the teacher's label, the training label) for the ones worth
 * training on: whose answer agrees with the gold label, or with the
 * majority of the prompt's samples, or any readable answer.  Rejects go,
 * with a reason code, to a file written whole or not at all.  A summary
 * of what was kept and rejected goes to stderr.  The work is done by
 * lib/filter and lib/answer.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "tool.h"
#include "../lib/filter.h"

static const char usage_line[] =
    "usage: dss-filter [--agree gold|majority|none] "
    "[--min-rationale-chars n] [--rejects file] [file]\n";

static char *rejects_tmp;	/* removed at exit unless renamed */

static void
usage(FILE *fp, int status)
{
	fputs(usage_line, fp);
	if (fp == stdout)
		fputs("\n"
		    "  --agree gold|majority|none\n"
		    "                          keep answers equal to the gold label "
		    "(default),\n"
		    "                          to the majority of a prompt's "
		    "samples, or any\n"
		    "  --min-rationale-chars n reject rationales shorter than n "
		    "characters (default 1)\n"
		    "  --rejects file          write rejected completions with "
		    "their reason\n"
		    "  -h, --help              print this help\n"
		    "  --version               print the version\n", fp);
	tool_usage_exit(fp, status);
}

static void
remove_tmp(void)
{
	if (rejects_tmp != NULL)
		unlink(rejects_tmp);
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

static FILE *
open_rejects(const char *path)
{
	size_t n = strlen(path);
	FILE *fp;
	mode_t um;
	int fd;

	if ((rejects_tmp = malloc(n + 16)) == NULL)
		die("out of memory");
	snprintf(rejects_tmp, n + 16, "%s.tmp.XXXXXX", path);
	if ((fd = mkstemp(rejects_tmp)) < 0) {
		int e = errno;

		free(rejects_tmp);
		rejects_tmp = NULL;
		die("cannot create '%s': %s", path, strerror(e));
	}
	um = umask(0);
	umask(um);
	(void)fchmod(fd, 0666 & ~um);
	if ((fp = fdopen(fd, "w")) == NULL)
		die("cannot create '%s': %s", path, strerror(errno));
	return fp;
}

static void
summary(const struct dss_filter *f)
{
	unsigned long rej = 0;
	int r;

	for (r = 0; r < DSS_REJECT_NREASONS; r++)
		rej += dss_filter_rejected(f, (enum dss_filter_reason)r);
	fprintf(stderr, "%s: read %lu, kept %lu, rejected %lu (", progname,
	    dss_filter_read(f), dss_filter_kept(f), rej);
	for (r = 0; r < DSS_REJECT_NREASONS; r++)
		fprintf(stderr, "%s%s %lu", r ? ", " : "",
		    dss_filter_reason_name((enum dss_filter_reason)r),
		    dss_filter_rejected(f, (enum dss_filter_reason)r));
	fputs(")\n", stderr);
}

int
main(int argc, char **argv)
{
	enum { OPT_AGREE = 256, OPT_MIN, OPT_REJECTS, OPT_VERSION };
	static const struct option longopts[] = {
		{ "agree", required_argument, NULL, OPT_AGREE },
		{ "help", no_argument, NULL, 'h' },
		{ "min-rationale-chars", required_argument, NULL, OPT_MIN },
		{ "rejects", required_argument, NULL, OPT_REJECTS },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	struct dss_filter_opts o = { DSS_FILTER_GOLD, DSS_FILTER_MIN_RATIONALE,
	    write_keep, NULL, NULL };
	struct dss_err err = DSS_ERR_INIT;
	struct dss_filter *f;
	const char *rejects = NULL, *in = "-";
	FILE *rfp = NULL, *ifp = stdin;
	unsigned long n;
	int c, r, st = 0;

	tool_init("dss-filter");
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_AGREE:
			if (strcmp(optarg, "gold") == 0)
				o.agree = DSS_FILTER_GOLD;
			else if (strcmp(optarg, "majority") == 0)
				o.agree = DSS_FILTER_MAJORITY;
			else if (strcmp(optarg, "none") == 0)
				o.agree = DSS_FILTER_NONE;
			else {
				warnx("--agree is '%s', not gold, majority or none",
				    optarg);
				usage(stderr, 2);
			}
			break;
		case 'h':
			usage(stdout, 0);
			break;
		case OPT_MIN:
			if (tool_parse_ulong(NULL, optarg, 0, 1000000, &n) < 0) {
				warnx("--min-rationale-chars is '%s', not a number "
				    "from 0 to 1000000", optarg);
				usage(stderr, 2);
			}
			o.min_rationale_chars = (size_t)n;
			break;
		case OPT_REJECTS:
			rejects = optarg;
			break;
		case OPT_VERSION:
			tool_version();
			break;
		default:
			usage(stderr, 2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage(stderr, 2);
	if (argc == 1)
		in = argv[0];
	if (strcmp(in, "-") != 0 && (ifp = fopen(in, "r")) == NULL)
		die("cannot open '%s': %s", in, strerror(errno));
	/* A large buffer: a record costs less than the system calls around it. */
	setvbuf(stdout, NULL, _IOFBF, (size_t)1 << 17);
	if (rejects != NULL) {
		atexit(remove_tmp);
		rfp = open_rejects(rejects);
		setvbuf(rfp, NULL, _IOFBF, (size_t)1 << 16);
		o.reject = write_reject;
		o.arg = rfp;
	}
	if ((f = dss_filter_new(&o)) == NULL)
		die("out of memory");
	r = dss_filter_run(f, fileno(ifp), strcmp(in, "-") ? in : "stdin", &err);
	if (r < 0) {
		warn_err(&err);
		st = 1;
	}
	summary(f);
	if (tool_fshut(stdout, "stdout"))
		st = 1;
	if (rfp != NULL) {
		if (fflush(rfp) == EOF || ferror(rfp) || fsync(fileno(rfp)) < 0) {
			warnx("cannot write '%s': %s", rejects, strerror(errno));
			st = 1;
		}
		if (fclose(rfp) == EOF && st == 0) {
			warnx("cannot write '%s': %s", rejects, strerror(errno));
			st = 1;
		}
		if (st == 0) {
			if (rename(rejects_tmp, rejects) < 0) {
				warnx("cannot rename to '%s': %s", rejects,
				    strerror(errno));
				st = 1;
			} else {
				free(rejects_tmp);
				rejects_tmp = NULL;
			}
		}
	}
	dss_filter_free(f);
	if (ifp != stdin)
		fclose(ifp);
	return st;
}
