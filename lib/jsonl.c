/* SPDX-License-Identifier: MIT */
/* Reading and writing JSON Lines records with line numbers and limits. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"

int
dss_lines_next(struct dss_lines *l, struct dss_err *err)
{
	dss_buf_reset(&l->line);
	if (l->line.max == 0)
		l->line.max = DSS_LINE_MAX;
	l->lineno++;
	for (;;) {
		char *nl;
		size_t n;

		if (dss_buf_grow(&l->line, 4096) < 0) {
			if (errno == EFBIG)
				return dss_err_set(err, "line %lu: longer than %zu bytes",
				    l->lineno, (size_t)DSS_LINE_MAX);
			return dss_err_errno(err, errno, "line %lu", l->lineno);
		}
		if (fgets(l->line.data + l->line.len,
		    (int)(l->line.cap - l->line.len), l->fp) == NULL)
			break;
		n = strlen(l->line.data + l->line.len);
		nl = n ? l->line.data + l->line.len + n - 1 : NULL;
		l->line.len += n;
		if (nl != NULL && *nl == '\n') {
			dss_buf_truncate(&l->line, l->line.len - 1);
			if (l->line.len && l->line.data[l->line.len - 1] == '\r')
				dss_buf_truncate(&l->line, l->line.len - 1);
			return 1;
		}
	}
	if (ferror(l->fp))
		return dss_err_errno(err, errno, "cannot read '%s'", l->name);
	if (l->line.len)
		return 1;
	l->lineno--;
	return 0;
}

void
dss_lines_free(struct dss_lines *l)
{
	dss_buf_free(&l->line);
}

int
dss_jsonl_next(struct dss_lines *l, cJSON **out, struct dss_err *err)
{
	int r;

	*out = NULL;
	while ((r = dss_lines_next(l, err)) == 1) {
		const char *p = l->line.data, *end = NULL;
		cJSON *obj;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			continue;
		obj = cJSON_ParseWithLengthOpts(l->line.data, l->line.len, &end, 0);
		if (obj == NULL)
			return dss_err_set(err, "line %lu: invalid JSON near byte %ld",
			    l->lineno, cJSON_GetErrorPtr() ?
			    (long)(cJSON_GetErrorPtr() - l->line.data) : 0L);
		if (!cJSON_IsObject(obj)) {
			cJSON_Delete(obj);
			return dss_err_set(err, "line %lu: record is not a JSON object",
			    l->lineno);
		}
		*out = obj;
		return 1;
	}
	return r;
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
