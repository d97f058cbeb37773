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

#include <stdio.h>

#include "../lib/err.h"

#define DSS_VERSION "0.1.0"

extern const char *progname;

void tool_init(const char *name);
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
