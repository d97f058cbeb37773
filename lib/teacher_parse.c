/* SPDX-License-Identifier: MIT */
/*
 * Reading teacher responses: bodies as JSON objects (telling bad JSON
 * from too deep and from out of memory), untrusted usage figures, the
 * choices of a result, and the OpenAI completion format.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "teacher_parse.h"

static unsigned long json_nomem;

static void *
counting_malloc(size_t n)
{
	void *p = malloc(n);

	if (p == NULL)
		__atomic_add_fetch(&json_nomem, 1, __ATOMIC_RELAXED);
	return p;
}

void
dss_teacher_json_hooks(void)
{
	cJSON_Hooks h = { counting_malloc, free };

	cJSON_InitHooks(&h);
}

unsigned long
dss_teacher_json_nomem(void)
{
	return __atomic_load_n(&json_nomem, __ATOMIC_RELAXED);
}

/* The deepest nesting of arrays and objects in s, strings skipped. */
static size_t
json_depth(const char *s, size_t len)
{
	size_t i, depth = 0, max = 0;
	int in_str = 0;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				max = depth;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return max;
}

cJSON *
dss_teacher_parse_body(const char *body, size_t len, struct dss_err *err)
{
	unsigned long nomem = dss_teacher_json_nomem();
	const char *end = NULL;
	cJSON *j;

	if (json_depth(body, len) > CJSON_NESTING_LIMIT) {
		dss_err_set(err, "response JSON is nested deeper than %d levels",
		    CJSON_NESTING_LIMIT);
		dss_err_kind(err, DSS_ERR_TOO_DEEP);
		return NULL;
	}
	j = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (j == NULL) {
		if (dss_teacher_json_nomem() != nomem) {
			dss_err_set(err, "out of memory parsing a response of %zu bytes",
			    len);
			dss_err_kind(err, DSS_ERR_NOMEM);
		} else {
			dss_err_set(err, "response is not valid JSON (at byte %ld of %zu)",
			    cJSON_GetErrorPtr() && cJSON_GetErrorPtr() >= body ?
			    (long)(cJSON_GetErrorPtr() - body) : 0L, len);
			dss_err_kind(err, DSS_ERR_PARSE);
		}
		return NULL;
	}
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		dss_err_set(err, "response is not a JSON object");
		dss_err_kind(err, DSS_ERR_PARSE);
		return NULL;
	}
	return j;
}

/* A usage figure, or -1 when it is not a whole number in range. */
static long
usage_value(const cJSON *v)
{
	double d;

	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (!isfinite(d) || d < 0 || d > (double)DSS_TEACHER_USAGE_MAX ||
	    d != floor(d))
		return -1;
	return (long)d;
}

void
dss_teacher_set_usage(struct dss_teacher_result *res, const cJSON *pt,
    const cJSON *ct, int completion_optional)
{
	long p, c;

	if (pt == NULL && ct == NULL)
		return;
	p = usage_value(pt);
	c = ct == NULL && completion_optional ? 0 : usage_value(ct);
	if (p < 0 || c < 0) {
		res->has_usage = 0;
		res->prompt_tokens = res->completion_tokens = 0;
		res->bad_usage = 1;
		return;
	}
	res->has_usage = 1;
	res->prompt_tokens = p;
	res->completion_tokens = c;
}

void
dss_teacher_result_free(struct dss_teacher_result *res)
{
	int i;

	for (i = 0; i < res->n; i++) {
		free(res->choices[i].text);
		free(res->choices[i].finish_reason);
	}
	free(res->choices);
	free(res->teacher);
	memset(res, 0, sizeof(*res));
}

int
dss_teacher_add_choice(struct dss_teacher_result *res, const char *text,
    const char *finish_reason)
{
	struct dss_teacher_choice *c;

	if ((c = realloc(res->choices, (res->n + 1) * sizeof(*c))) == NULL)
		return -1;
	res->choices = c;
	c += res->n;
	c->text = strdup(text ? text : "");
	c->finish_reason = finish_reason ? strdup(finish_reason) : NULL;
	if (c->text == NULL || (finish_reason && c->finish_reason == NULL)) {
		free(c->text);
		free(c->finish_reason);
		return -1;
	}
	res->n++;
	return 0;
}

static int
cmp_index(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	const cJSON *i = cJSON_GetObjectItemCaseSensitive(x, "index");
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(y, "index");
	double u = cJSON_IsNumber(i) ? i->valuedouble : 0;
	double v = cJSON_IsNumber(j) ? j->valuedouble : 0;

	return (u > v) - (u < v);
}

/*
 * Parses an OpenAI chat or text completion body (also the "body" of an
 * OpenAI Batch output line).  Choices are put in "index" order; the text
 * is message.content or text, whichever is present.
 */
int
dss_teacher_openai_parse_json(const cJSON *j, struct dss_teacher_result *res,
    struct dss_err *err)
{
	const cJSON *choices = cJSON_GetObjectItemCaseSensitive(j, "choices");
	const cJSON *usage = cJSON_GetObjectItemCaseSensitive(j, "usage");
	const cJSON *c, **v;
	int i, n;

	if (!cJSON_IsArray(choices) || (n = cJSON_GetArraySize(choices)) == 0)
		return dss_err_set(err, "response has no 'choices'");
	if ((v = malloc(n * sizeof(*v))) == NULL)
		return dss_err_set(err, "out of memory");
	i = 0;
	cJSON_ArrayForEach(c, choices)
		v[i++] = c;
	qsort(v, n, sizeof(*v), cmp_index);
	for (i = 0; i < n; i++) {
		const cJSON *msg = cJSON_GetObjectItemCaseSensitive(v[i], "message");
		const cJSON *text = cJSON_GetObjectItemCaseSensitive(msg, "content");
		const char *fr = dss_json_str_opt(v[i], "finish_reason");

		if (msg == NULL)
			text = cJSON_GetObjectItemCaseSensitive(v[i], "text");
		if (!cJSON_IsObject(v[i]) || (!cJSON_IsString(text) && !cJSON_IsNull(text))) {
			free((void *)v);
			return dss_err_set(err, "response choice %d has no text", i);
		}
		if (dss_teacher_add_choice(res, cJSON_IsString(text) ?
		    text->valuestring : "", fr) < 0) {
			free((void *)v);
			return dss_err_set(err, "out of memory");
		}
	}
	free((void *)v);
	if (cJSON_IsObject(usage)) {
		const cJSON *pt = cJSON_GetObjectItemCaseSensitive(usage, "prompt_tokens");
		const cJSON *ct = cJSON_GetObjectItemCaseSensitive(usage, "completion_tokens");

		dss_teacher_set_usage(res, pt, ct, 0);
	}
	return 0;
}
