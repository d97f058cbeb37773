/* SPDX-License-Identifier: MIT */
/*
 * Reading and writing JSON Lines records: the block reader with line
 * numbers and limits, and the record scan every tool shares.  See jsonl.h.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"

#define BLOCK ((size_t)1 << 17)	/* the first block; it grows for long lines */

static size_t
limit(const struct dss_lines *l)
{
	return l->max ? l->max : DSS_LINE_MAX;
}

/*
 * Reads more input after the unread part of the block, moved to its
 * front; the block doubles while a line fills half of it, up to the
 * limit plus the newline and a NUL.  Returns 1, 0 at end of input, -1 with err set.
 */
static int
fill(struct dss_lines *l, struct dss_err *err)
{
	size_t n, most = limit(l) + 2;

	if (l->start > 0) {
		memmove(l->blk, l->blk + l->start, l->end - l->start);
		l->end -= l->start;
		l->start = 0;
	}
	if ((l->cap == 0 || l->end >= l->cap / 2) && l->cap < most) {
		size_t ncap = l->cap ? l->cap * 2 : BLOCK;
		char *nb;

		if (ncap > most || ncap < l->cap)
			ncap = most;
		if ((nb = realloc(l->blk, ncap)) == NULL)
			return dss_err_errno(err, ENOMEM, "line %lu", l->lineno + 1);
		l->blk = nb;
		l->cap = ncap;
	}
	/* One byte stays free for the NUL after a last line without newline. */
	n = fread(l->blk + l->end, 1, l->cap - l->end - 1, l->fp);
	l->end += n;
	if (n > 0)
		return 1;
	if (ferror(l->fp))
		return dss_err_errno(err, errno ? errno : EIO, "cannot read '%s'",
		    l->name);
	l->eof = 1;
	return 0;
}

/* Passes over the rest of an over-long line, up to its newline. */
static int
skip_line(struct dss_lines *l, struct dss_err *err)
{
	for (;;) {
		char *nl = memchr(l->blk + l->start, '\n', l->end - l->start);
		int r;

		if (nl != NULL) {
			l->start = (size_t)(nl - l->blk) + 1;
			return 0;
		}
		l->start = l->end = 0;
		if (l->eof)
			return 0;
		if ((r = fill(l, err)) < 0)
			return -1;
	}
}

/* Makes the n bytes at p, which the block has room to end, the line. */
static int
take(struct dss_lines *l, char *p, size_t n)
{
	if (n > 0 && p[n - 1] == '\r')
		n--;
	p[n] = '\0';
	l->lineno++;
	if (l->lineno == 1 && n >= 3 && memcmp(p, DSS_UTF8_BOM, 3) == 0) {
		p += 3;
		n -= 3;
	}
	l->line.data = p;
	l->line.len = n;
	l->line.cap = 0;
	return 1;
}

int
dss_lines_next(struct dss_lines *l, struct dss_err *err)
{
	l->bad = 0;
	l->line.data = dss_buf_empty;
	l->line.len = l->line.cap = 0;
	for (;;) {
		size_t have = l->end - l->start;
		/* No block before the first read: NULL + 0 is undefined in C. */
		char *p = have ? l->blk + l->start : NULL;
		char *nl = have ? memchr(p, '\n', have) : NULL;
		int r;

		if (nl != NULL && (size_t)(nl - p) <= limit(l)) {
			l->start += (size_t)(nl - p) + 1;
			return take(l, p, (size_t)(nl - p));
		}
		if (nl != NULL || have > limit(l)) {
			l->lineno++;
			l->bad = 1;
			dss_err_set(err, "line %lu: longer than %zu bytes", l->lineno,
			    limit(l));
			if (skip_line(l, err) < 0)
				l->bad = 0;	/* err says why */
			return -1;
		}
		if (l->eof) {
			if (have == 0)
				return 0;
			l->start = l->end;
			return take(l, p, have);
		}
		if ((r = fill(l, err)) < 0) {
			l->bad = 0;
			return -1;
		}
	}
}

void
dss_lines_free(struct dss_lines *l)
{
	free(l->blk);
	l->blk = NULL;
	l->cap = l->start = l->end = 0;
	l->line.data = dss_buf_empty;
	l->line.len = l->line.cap = 0;
}

int
dss_jsonl_line(struct dss_lines *l, struct dss_err *err)
{
	int r;

	while ((r = dss_lines_next(l, err)) == 1) {
		const char *p = l->line.data, *end = p + l->line.len;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end)
			return 1;
	}
	return r;
}

int
dss_jsonl_scan(struct dss_lines *l, struct dss_jscan *j, struct dss_err *err)
{
	int r = dss_jsonl_line(l, err);

	if (r <= 0)
		return r;
	r = dss_jscan_object(j, l->line.data, l->line.len, err);
	if (r == 0)
		return 1;
	l->bad = r == -1;
	return dss_err_prefix(err, "line %lu", l->lineno);
}

int
dss_jsonl_next(struct dss_lines *l, cJSON **out, struct dss_err *err)
{
	int r;

	*out = NULL;
	if ((r = dss_jsonl_scan(l, NULL, err)) <= 0)
		return r;
	/* Valid by the scan: cJSON fails only for want of memory. */
	if ((*out = cJSON_ParseWithLength(l->line.data, l->line.len)) == NULL)
		return dss_err_errno(err, ENOMEM, "line %lu", l->lineno);
	return 1;
}

int
dss_jsonl_each(struct dss_lines *l,
    int (*fn)(void *arg, const cJSON *obj, struct dss_err *err), void *arg,
    unsigned long *skipped, struct dss_err *err)
{
	for (;;) {
		struct dss_err e = DSS_ERR_INIT;
		cJSON *o = NULL;
		int r = dss_jsonl_next(l, &o, &e);

		if (r == 0)
			return 0;
		if (r < 0) {
			if (!l->bad) {
				*err = e;
				return -1;
			}
			(*skipped)++;
			continue;
		}
		r = fn(arg, o, err);
		cJSON_Delete(o);
		if (r < 0)
			return -1;
	}
}

int
dss_jsonl_write(FILE *fp, const cJSON *obj)
{
	char *s = cJSON_PrintUnformatted(obj);
	int r = 0;

	if (s == NULL)
		return -1;
	if (fputs(s, fp) == EOF || putc('\n', fp) == EOF)
		r = -1;
	cJSON_free(s);
	return r;
}

const char *
dss_json_str(const cJSON *obj, const char *name, struct dss_err *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (it == NULL) {
		dss_err_set(err, "field '%s' is missing", name);
		return NULL;
	}
	if (!cJSON_IsString(it)) {
		dss_err_set(err, "field '%s' is not a string", name);
		return NULL;
	}
	return it->valuestring;
}

const char *
dss_json_str_opt(const cJSON *obj, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

int
dss_json_int(const cJSON *obj, const char *name, long long *out,
    struct dss_err *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
	double v;

	if (it == NULL)
		return dss_err_set(err, "field '%s' is missing", name);
	if (!cJSON_IsNumber(it))
		return dss_err_set(err, "field '%s' is not a number", name);
	v = it->valuedouble;
	if (v != floor(v) || v < -9.0e15 || v > 9.0e15)
		return dss_err_set(err, "field '%s' is not an integer", name);
	*out = (long long)v;
	return 0;
}

const cJSON *
dss_json_obj(const cJSON *obj, const char *name, struct dss_err *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (it == NULL) {
		dss_err_set(err, "field '%s' is missing", name);
		return NULL;
	}
	if (!cJSON_IsObject(it)) {
		dss_err_set(err, "field '%s' is not an object", name);
		return NULL;
	}
	return it;
}
