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

/*
 * What kind of failure a message describes, for callers that must act
 * differently on each (an error is never recognised by its text).  Every
 * dss_err_set resets the kind to DSS_ERR_OTHER; dss_err_errno sets
 * DSS_ERR_NOMEM for ENOMEM and DSS_ERR_SYSTEM otherwise; a function that
 * promises another kind sets it after the message.
 */
enum dss_err_kind {
	DSS_ERR_OTHER = 0,
	DSS_ERR_NOMEM,		/* an allocation failed */
	DSS_ERR_SYSTEM,		/* a system call failed (errno) */
	DSS_ERR_PARSE,		/* input is not valid JSON (or the format) */
	DSS_ERR_TOO_DEEP,	/* JSON nested deeper than the parser allows */
	DSS_ERR_TOO_LARGE,	/* over a size limit */
	DSS_ERR_BUSY,		/* the database is locked by another process */
	DSS_ERR_TLS,		/* a TLS peer could not be verified */
	DSS_ERR_USAGE,		/* a caller's argument is malformed (tools exit 2) */
};

struct dss_err {
	char msg[DSS_ERR_MAX];	/* lowercase, no trailing full stop */
	int code;		/* optional module-specific detail, 0 if unset */
	enum dss_err_kind kind;
};

#define DSS_ERR_INIT { { 0 }, 0, DSS_ERR_OTHER }

/*
 * Formats a message into err (which may be NULL) and returns -1, so that
 * callers can write "return dss_err_set(err, ...)".  The previous message
 * is overwritten and the kind reset to DSS_ERR_OTHER.
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

/* Sets err's kind (err may be NULL) and returns -1. */
int dss_err_kind(struct dss_err *err, enum dss_err_kind kind);

#endif
