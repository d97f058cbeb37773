/* SPDX-License-Identifier: MIT */
/*
 * OpenAI-compatible teachers: chat completions ("openai:", also served by
 * vLLM, llama.cpp's server, Ollama and hosted endpoints) and legacy text
 * completions ("openai-completions:", for few-shot prompting of base
 * models as in the paper).  Both take n samples per request.
 */
#include <stdlib.h>
#include <string.h>

#include "teacher_impl.h"

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
	.provider = "openai",
	.key_env = "OPENAI_API_KEY",
	.default_base = "https://api.openai.com/v1",
	.multi_sample = 1,
	.chat = 1,
	.request = chat_request,
	.parse = parse,
};

const struct dss_teacher_ops dss_teacher_openai_completions = {
	.provider = "openai-completions",
	.key_env = "OPENAI_API_KEY",
	.default_base = "https://api.openai.com/v1",
	.multi_sample = 1,
	.request = text_request,
	.parse = parse,
};
