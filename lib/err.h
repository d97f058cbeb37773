/* SPDX-License-Identifier: MIT */
/*
 * Error reporting for libdss.  Library functions never print and never
 * exit: on failure they return -1 (or NULL) and describe the problem in a
 * caller-supplied struct dss_err.  Tools decide what to tell the user.
 */
#ifndef DSS_ERR_H
#define DSS_ERR_H

#include <stdarg.h>

#define DSS_ERR_MAX 1024

struct dss_err {
	char msg[DSS_ERR_MAX];	/* lowercase, no trailing full stop */
	int code;		/* optional machine-readable code, 0 if unset */
};

#define DSS_ERR_INIT { { 0 }, 0 }

/*
 * Formats a message into err (which may be NULL) and returns -1, so that
 * callers can write "return dss_err_set(err, ...)".  The previous message
 * is overwritten.
 */
int dss_err_set(struct dss_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int dss_err_vset(struct dss_err *err, const char *fmt, va_list ap);

/*
 * Prefixes the current message with the formatted context followed by
 * ": ".  Returns -1.
 */
int dss_err_prefix(struct dss_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Like dss_err_set, appending ": strerror(errno)" for the saved errno. */
int dss_err_errno(struct dss_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
