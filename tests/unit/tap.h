/* SPDX-License-Identifier: MIT */
/*
 * A minimal TAP producer for the C unit tests: ok(cond, name, ...) prints
 * one test line, is_str/is_int compare with a diagnostic, skip(reason, ...)
 * records a test not run and why, and done() prints the plan and returns
 * the exit status for main.  memfile(s, n) is a stream that reads the n
 * bytes at s, for the tests of readers.
 */
#ifndef DSS_TAP_H
#define DSS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static int __attribute__((format(printf, 2, 3)))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		tap_failed++;
	return cond;
}

static int __attribute__((unused))
is_str(const char *got, const char *want, const char *name)
{
	int c = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);

	if (!ok(c, "%s", name))
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)",
		    want ? want : "(null)");
	return c;
}

static int __attribute__((unused))
is_int(long long got, long long want, const char *name)
{
	if (!ok(got == want, "%s", name)) {
		printf("#   got:  %lld\n#   want: %lld\n", got, want);
		return 0;
	}
	return 1;
}

static void __attribute__((format(printf, 1, 2), unused))
skip(const char *fmt, ...)
{
	va_list ap;

	printf("ok %d # skip ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static __attribute__((unused)) FILE *
memfile(const char *s, size_t n)
{
	FILE *fp = tmpfile();

	if (fp == NULL || fwrite(s, 1, n, fp) != n) {
		printf("Bail out! cannot make a temporary file\n");
		exit(1);
	}
	rewind(fp);
	return fp;
}

static int
done(void)
{
	printf("1..%d\n", tap_n);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

#endif
