/* SPDX-License-Identifier: MIT */
/*
 * What every dss tool shares: its name for messages, warnings and fatal
 * errors in the house format ("dss-NAME: problem 'subject'"), and the
 * check of stdout at exit, so that a full disk or a closed pipe never
 * looks like success.  This is the only code, beside the tools, that
 * prints.  Exit statuses: 0 success, 1 runtime or data error, 2 usage.
 */
#ifndef DSS_TOOL_H
#define DSS_TOOL_H

#include <getopt.h>
#include <stdio.h>

#include <sqlite3.h>

#include "../lib/err.h"

#define DSS_VERSION "0.1.0"

extern const char *progname;

/*
 * What getopt_long returns for --version; TOOL_OPTIONS_END ends every
 * tool's option table with --help, --version and the terminator.
 */
#define TOOL_OPT_VERSION 255
#define TOOL_OPTIONS_END \
	{ "help", no_argument, NULL, 'h' }, \
	{ "version", no_argument, NULL, TOOL_OPT_VERSION }, \
	{ NULL, 0, NULL, 0 }

void tool_init(const char *name);
/*
 * As tool_init, and keeps the tool's help for tool_usage: synopsis, its
 * usage line(s) each ending in a newline, and options, one line per
 * option, printed by --help after the synopsis and a blank line.  Both
 * strings must outlive the run (string literals).
 */
void tool_start(const char *name, const char *synopsis, const char *options);
/*
 * Prints the synopsis to fp; to stdout the option lines too.  Then as
 * tool_usage_exit: after -h/--help (fp is stdout) exits 0, or 1 on a
 * write error; otherwise exits with status (2 for a usage error).
 */
__attribute__((noreturn)) void tool_usage(FILE *fp, int status);
/* Prints the synopsis to fp, for a usage error found after allocations. */
void tool_synopsis(FILE *fp);
/* Warns "progname: MESSAGE", prints the synopsis to stderr, exits 2. */
__attribute__((noreturn)) void tool_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/*
 * getopt_long(argc, argv, "h", longopts) for a tool that tool_start
 * began, taking the options every tool has: -h/--help prints the help
 * and exits 0, --version prints the version and exits 0, and an unknown
 * option or a missing value (getopt_long has warned) is a usage error.
 * Returns the next other option's value, or -1 after the last.
 */
int tool_getopt(int argc, char **argv, const struct option *longopts);
/*
 * As tool_parse_ulong and tool_parse_num, but a bad value is a usage
 * error: the warning, the synopsis on stderr, exit 2.
 */
unsigned long tool_ulong(const char *opt, const char *arg, unsigned long min,
    unsigned long max);
double tool_num(const char *opt, const char *arg, double min, double max);
/*
 * The value of --opt as one of the names name(0), name(1), ... (up to
 * the first NULL): returns its index, or warns "bad --opt 'arg': want
 * a, b or c" and exits 2 as a usage error.
 */
int tool_choice(const char *opt, const char *arg, const char *(*name)(int));
/*
 * Opens the dss database at path with dss_db_open's flags, or dies with
 * its error (exit 1).
 */
sqlite3 *tool_db_open(const char *path, int flags);
void warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn_err(const struct dss_err *err);
__attribute__((noreturn)) void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void die_err(const struct dss_err *err);
/* Prints "progname VERSION" to stdout and exits 0. */
__attribute__((noreturn)) void tool_version(void);
/*
 * Flushes and closes fp (normally stdout); on a write error prints
 * "progname: cannot write 'name': ..." and returns 1, else returns 0.
 */
int tool_fshut(FILE *fp, const char *name);
/*
 * As tool_fshut, at the end of a run whose library checks every write:
 * when the run failed and said why (failed nonzero) and fp's error
 * indicator is set, the failure was that write, already reported with
 * its cause, so fp is closed without a second message (whose errno
 * would be stale by now).  Returns 1 on any write error, else 0.
 */
int tool_fshut_after(FILE *fp, const char *name, int failed);
/*
 * Ends a tool's usage(): after -h/--help (fp is stdout) checks stdout and
 * exits 0, or 1 on a write error; otherwise exits with status (2 for a
 * usage error).
 */
__attribute__((noreturn)) void tool_usage_exit(FILE *fp, int status);
/*
 * Parses arg, the value of --opt, as a whole decimal number from min to
 * max (no sign, no blanks, nothing after) into *out.  Returns 0, or -1
 * after the warning "bad --opt 'arg': want a whole number from min to
 * max"; with opt NULL, -1 without a warning (the caller words it).
 */
int tool_parse_ulong(const char *opt, const char *arg, unsigned long min,
    unsigned long max, unsigned long *out);
/*
 * Parses arg, the value of --opt, as a decimal number (digits, an
 * optional fraction and exponent: no sign, no blanks, no hex, no inf or
 * nan) from min to max into *out.  Returns 0, or -1 after the warning
 * "bad --opt 'arg': want a number from min to max"; with opt NULL, -1
 * without a warning (the caller words it).
 */
int tool_parse_num(const char *opt, const char *arg, double min, double max,
    double *out);
/*
 * Checks the value of --dataset: 0 when the dataset has a manifest; 2
 * after the warning "unknown dataset 'x' (known: ...)", for the caller's
 * usage error; 1 after the warning of another failure (a manifest that
 * does not load).
 */
int tool_check_dataset(const char *name);
/* As tool_check_dataset, but exits: 2 after the synopsis, or 1. */
void tool_dataset(const char *name);
/*
 * Installs handler for SIGTERM, SIGINT and SIGHUP, except those ignored
 * when the tool started (as nohup and background jobs of a shell leave
 * them), without SA_RESTART so that a blocked write returns.  The handler
 * should only note the signal; the tool finishes its cleanup, then calls
 * tool_die_of.
 */
void tool_catch_signals(void (*handler)(int));
/* Dies of sig (exit status 128 + sig), as if it had not been caught. */
__attribute__((noreturn)) void tool_die_of(int sig);
/* True when stderr is a terminal (for progress displays). */
int tool_stderr_tty(void);

#endif
