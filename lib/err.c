/* SPDX-License-Identifier: MIT */
/* Error messages carried from libdss to the tools. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

/* Sets err->msg to "a: b", cut to fit. */
static void
join(struct dss_err *err, const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);

	if (n > DSS_ERR_MAX - 3)
		n = DSS_ERR_MAX - 3;
	memcpy(err->msg, a, n);
	memcpy(err->msg + n, ": ", 2);
	n += 2;
	if (m > DSS_ERR_MAX - 1 - n)
		m = DSS_ERR_MAX - 1 - n;
	memmove(err->msg + n, b, m);
	err->msg[n + m] = '\0';
}

int
dss_err_vset(struct dss_err *err, const char *fmt, va_list ap)
{
	if (err != NULL) {
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		err->kind = DSS_ERR_OTHER;
	}
	return -1;
}

int
dss_err_set(struct dss_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dss_err_vset(err, fmt, ap);
	va_end(ap);
	return -1;
}

/* Sets err->msg to the formatted prefix, ": " and tail (a copy is taken). */
static void
vjoin(struct dss_err *err, const char *tail, const char *fmt, va_list ap)
{
	char pre[DSS_ERR_MAX], old[DSS_ERR_MAX];

	vsnprintf(pre, sizeof(pre), fmt, ap);
	snprintf(old, sizeof(old), "%s", tail);
	join(err, pre, old);
}

int
dss_err_prefix(struct dss_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vjoin(err, err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

int
dss_err_errno(struct dss_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vjoin(err, strerror(errnum), fmt, ap);
	va_end(ap);
	err->kind = errnum == ENOMEM ? DSS_ERR_NOMEM : DSS_ERR_SYSTEM;
	return -1;
}

int
dss_err_kind(struct dss_err *err, enum dss_err_kind kind)
{
	if (err != NULL)
		err->kind = kind;
	return -1;
}
