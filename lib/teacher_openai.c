/* SPDX-License-Identifier: MIT */
/*
 * OpenAI-compatible teachers: chat completions ("openai:", also served by
 * vLLM, llama.cpp's server, Ollama and hosted endpoints) and legacy text
 * completions ("openai-completions:", for few-shot prompting of base
 * models as in the paper).  Both take n samples per request.
 */
#include <stdlib.h>
#include <string.h>

#include "teacher.h"

static cJSON *
common_body(const struct dss_teacher *t, const struct dss_teacher_params *p,
    int n)
{
	cJSON *b = cJSON_CreateObject(), *stop;
	int i;

	if (b == NULL)
		return NULL;
	cJSON_AddStringToObject(b, "model", t->model);
	if (n > 1)
		cJSON_AddNumberToObject(b, "n", n);
	if (p->temperature >= 0)
		cJSON_AddNumberToObject(b, "temperature", p->temperature);
	if (p->max_tokens > 0)
		cJSON_AddNumberToObject(b, "max_tokens", (double)p->max_tokens);
	if (p->nstop > 0) {
		stop = cJSON_AddArrayToObject(b, "stop");
		for (i = 0; i < p->nstop && stop; i++)
			cJSON_AddItemToArray(stop, cJSON_CreateString(p->stop[i]));
	}
	return b;
}

static int
auth(const struct dss_teacher *t, struct dss_http_req *req, struct dss_err *err)
{
	struct dss_buf b = DSS_BUF_INIT;
	int r;

	if (t->key == NULL)
		return 0;
	if (dss_buf_addf(&b, "Bearer %s", t->key) < 0) {
		dss_buf_free(&b);
		return dss_err_set(err, "out of memory");
	}
	r = dss_teacher_header(req, "Authorization", b.data, err);
	memset(b.data, 0, b.len);
	dss_buf_free(&b);
	return r;
}

static int
chat_request(const struct dss_teacher *t, const cJSON *input,
    const struct dss_teacher_params *p, int n, struct dss_http_req *req,
    struct dss_err *err)
{
	cJSON *b = common_body(t, p, n);

	if (b != NULL)	/* AddItemToObject takes the duplicate */
		cJSON_AddItemToObject(b, "messages", cJSON_Duplicate(input, 1));
	if (auth(t, req, err) < 0) {
		cJSON_Delete(b);
		return -1;
	}
	return dss_teacher_finish(req, t, "/chat/completions", b, err);
}

static int
text_request(const struct dss_teacher *t, const cJSON *input,
    const struct dss_teacher_params *p, int n, struct dss_http_req *req,
    struct dss_err *err)
{
	cJSON *b = common_body(t, p, n);

	if (b != NULL)
		cJSON_AddItemToObject(b, "prompt", cJSON_Duplicate(input, 1));
	if (auth(t, req, err) < 0) {
		cJSON_Delete(b);
		return -1;
	}
	return dss_teacher_finish(req, t, "/completions", b, err);
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

static int
parse(const struct dss_teacher *t, const char *body, size_t len,
    struct dss_teacher_result *res, struct dss_err *err)
{
	cJSON *j = dss_teacher_parse_body(body, len, err);
	int r;

	if (j == NULL)
		return -1;
	r = dss_teacher_openai_parse_json(j, res, err);
	cJSON_Delete(j);
	return r;
}

const struct dss_teacher_ops dss_teacher_openai = {
	"openai", "OPENAI_API_KEY", "https://api.openai.com/v1", 1, 1,
	chat_request, parse, NULL, NULL,
};

const struct dss_teacher_ops dss_teacher_openai_completions = {
	"openai-completions", "OPENAI_API_KEY", "https://api.openai.com/v1", 1, 0,
	text_request, parse, NULL, NULL,
};
