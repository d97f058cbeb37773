/* SPDX-License-Identifier: MIT */
/* Messages, version and stdout checking shared by every dss tool. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"
#include "../lib/buf.h"
#include "../lib/db.h"
#include "../lib/manifest.h"

const char *progname = "dss";
static const char *synopsis = "", *options = "";

void
tool_init(const char *name)
{
	progname = name;
	/* A closed pipe is reported by tool_fshut, not by a silent death. */
	signal(SIGPIPE, SIG_IGN);
}

static void
vmsg(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void
warn_err(const struct dss_err *err)
{
	warnx("%s", err->msg[0] ? err->msg : "unknown error");
}

void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(1);
}

void
die_err(const struct dss_err *err)
{
	warn_err(err);
	exit(1);
}

void
tool_version(void)
{
	printf("%s %s\n", progname, DSS_VERSION);
	exit(tool_fshut(stdout, "stdout"));
}

int
tool_fshut(FILE *fp, const char *name)
{
	int bad = 0, e = 0;

	if (fflush(fp) == EOF) {
		bad = 1;
		e = errno;
	}
	if (ferror(fp)) {
		bad = 1;
		if (!e)
			e = errno ? errno : EIO;
	}
	if (fclose(fp) == EOF && !bad) {
		bad = 1;
		e = errno;
	}
	if (bad) {
		fprintf(stderr, "%s: cannot write '%s': %s\n", progname, name,
		    strerror(e ? e : EIO));
		return 1;
	}
	return 0;
}

int
tool_fshut_after(FILE *fp, const char *name, int failed)
{
	if (failed && ferror(fp)) {
		fclose(fp);
		return 1;
	}
	return tool_fshut(fp, name);
}

void
tool_usage_exit(FILE *fp, int status)
{
	if (fp == stdout)
		exit(tool_fshut(stdout, "stdout"));
	exit(status);
}

void
tool_start(const char *name, const char *syn, const char *opts)
{
	tool_init(name);
	synopsis = syn;
	options = opts;
}

void
tool_synopsis(FILE *fp)
{
	fputs(synopsis, fp);
}

void
tool_usage(FILE *fp, int status)
{
	tool_synopsis(fp);
	if (fp == stdout) {
		fputc('\n', fp);
		fputs(options, fp);
	}
	tool_usage_exit(fp, status);
}

void
tool_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	tool_usage(stderr, 2);
}

int
tool_getopt(int argc, char **argv, const struct option *longopts)
{
	int c = getopt_long(argc, argv, "h", longopts, NULL);

	switch (c) {
	case 'h':
		tool_usage(stdout, 0);
	case TOOL_OPT_VERSION:
		tool_version();
	case '?':
	case ':':
		tool_usage(stderr, 2);
	default:
		return c;
	}
}

unsigned long
tool_ulong(const char *opt, const char *arg, unsigned long min,
    unsigned long max)
{
	unsigned long n;

	if (tool_parse_ulong(opt, arg, min, max, &n) < 0)
		tool_usage(stderr, 2);
	return n;
}

double
tool_num(const char *opt, const char *arg, double min, double max)
{
	double d;

	if (tool_parse_num(opt, arg, min, max, &d) < 0)
		tool_usage(stderr, 2);
	return d;
}

int
tool_choice(const char *opt, const char *arg, const char *(*name)(int))
{
	struct dss_buf b = DSS_BUF_INIT;
	const char *n, *next;
	int i;

	for (i = 0; (n = name(i)) != NULL; i++)
		if (strcmp(n, arg) == 0)
			return i;
	for (i = 0; (n = name(i)) != NULL; i++) {
		next = name(i + 1);
		dss_buf_addf(&b, "%s%s", i == 0 ? "" : next == NULL ? " or " :
		    ", ", n);
	}
	tool_usage_error("bad --%s '%s': want %s", opt, arg,
	    b.data);
}

sqlite3 *
tool_db_open(const char *path, int flags)
{
	struct dss_err err = DSS_ERR_INIT;
	sqlite3 *db = dss_db_open(path, flags, &err);

	if (db == NULL)
		die_err(&err);
	return db;
}

int
tool_parse_ulong(const char *opt, const char *arg, unsigned long min,
    unsigned long max, unsigned long *out)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(arg, &end, 10);
	if (*arg < '0' || *arg > '9' || *end != '\0' || errno != 0 ||
	    n < min || n > max) {
		if (opt != NULL)
			warnx("bad --%s '%s': want a whole number from %lu to %lu",
			    opt, arg, min, max);
		return -1;
	}
	*out = n;
	return 0;
}

void
tool_catch_signals(void (*handler)(int))
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
}

void
tool_die_of(int sig)
{
	signal(sig, SIG_DFL);
	raise(sig);
	exit(128 + sig);
}

int
tool_parse_num(const char *opt, const char *arg, double min, double max,
    double *out)
{
	const char *p = arg;
	size_t digits = 0;
	char *end;
	double d;

	while (*p >= '0' && *p <= '9')
		p++, digits++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits++;
	if (digits > 0 && (*p == 'e' || *p == 'E')) {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (*p < '0' || *p > '9')
			digits = 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	errno = 0;
	d = digits > 0 && *p == '\0' ? strtod(arg, &end) : -1;
	if (digits == 0 || *p != '\0' || *end != '\0' || !isfinite(d) ||
	    d < min || d > max) {
		if (opt != NULL)
			warnx("bad --%s '%s': want a number from %g to %g", opt, arg,
			    min, max);
		return -1;
	}
	*out = d;
	return 0;
}

int
tool_check_dataset(const char *name)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_manifest *m = dss_manifest_load(name, &err);

	if (m != NULL) {
		dss_manifest_free(m);
		return 0;
	}
	warn_err(&err);
	return err.code == DSS_MANIFEST_UNKNOWN ? 2 : 1;
}

void
tool_dataset(const char *name)
{
	int r = tool_check_dataset(name);

	if (r == 2)
		tool_usage(stderr, 2);
	if (r != 0)
		exit(1);
}

int
tool_stderr_tty(void)
{
	return isatty(2);
}
