/* SPDX-License-Identifier: MIT */
/*
 * The Anthropic Messages API teacher: system messages go to "system",
 * max_tokens is always sent (its default_max_tokens unless given), one sample per request.
 * stop_reason is mapped onto the OpenAI names: max_tokens -> length,
 * end_turn and stop_sequence -> stop.
 */
#include <string.h>

#include "teacher_impl.h"

static int
request(const struct dss_teacher *t, const cJSON *input,
    const struct dss_teacher_params *p, int n, struct dss_http_req *req,
    struct dss_err *err)
{
	cJSON *b = cJSON_CreateObject(), *msgs, *stop;
	struct dss_buf system = DSS_BUF_INIT;
	const cJSON *m;
	int i;

	if (b == NULL)
		return dss_err_set(err, "out of memory");
	cJSON_AddStringToObject(b, "model", t->model);
	cJSON_AddNumberToObject(b, "max_tokens",
	    (double)(p->max_tokens > 0 ? p->max_tokens :
	    t->ops->default_max_tokens));
	msgs = cJSON_CreateArray();
	cJSON_ArrayForEach(m, input) {
		const char *role = dss_json_str_opt(m, "role");
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "content");

		if (role && strcmp(role, "system") == 0 && cJSON_IsString(c)) {
			if (system.len)
				dss_buf_adds(&system, "\n\n");
			dss_buf_adds(&system, c->valuestring);
			continue;
		}
		cJSON_AddItemToArray(msgs, cJSON_Duplicate(m, 1));	/* takes it */
	}
	if (system.len)
		cJSON_AddStringToObject(b, "system", system.data);
	dss_buf_free(&system);
	cJSON_AddItemToObject(b, "messages", msgs);	/* takes msgs */
	if (p->temperature >= 0)
		cJSON_AddNumberToObject(b, "temperature", p->temperature);
	if (p->nstop > 0) {
		stop = cJSON_AddArrayToObject(b, "stop_sequences");
		for (i = 0; i < p->nstop && stop; i++)
			cJSON_AddItemToArray(stop, cJSON_CreateString(p->stop[i]));
	}
	if ((t->key && dss_teacher_header(req, "x-api-key", t->key, err) < 0) ||
	    dss_teacher_header(req, "anthropic-version", "2023-06-01", err) < 0) {
		cJSON_Delete(b);
		return -1;
	}
	return dss_teacher_finish(req, t, "/v1/messages", b, err);
}

static const char *
finish_name(const char *r)
{
	if (r == NULL)
		return NULL;
	if (strcmp(r, "max_tokens") == 0)
		return "length";
	if (strcmp(r, "end_turn") == 0 || strcmp(r, "stop_sequence") == 0)
		return "stop";
	return r;
}

static int
parse(const struct dss_teacher *t, const char *body, size_t len,
    struct dss_teacher_result *res, struct dss_err *err)
{
	cJSON *j = dss_teacher_parse_body(body, len, err);
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(j, "content");
	const cJSON *usage = cJSON_GetObjectItemCaseSensitive(j, "usage");
	const cJSON *c;
	struct dss_buf text = DSS_BUF_INIT;
	int r = -1;

	if (j == NULL)
		goto out;
	if (!cJSON_IsArray(content)) {
		dss_err_set(err, "response has no 'content'");
		goto out;
	}
	cJSON_ArrayForEach(c, content) {
		const char *type = dss_json_str_opt(c, "type");
		const char *s = dss_json_str_opt(c, "text");

		if (s != NULL && (type == NULL || strcmp(type, "text") == 0) &&
		    dss_buf_adds(&text, s) < 0) {
			dss_err_set(err, "response text is too long");
			goto out;
		}
	}
	if (dss_teacher_add_choice(res, text.data,
	    finish_name(dss_json_str_opt(j, "stop_reason"))) < 0) {
		dss_err_set(err, "out of memory");
		goto out;
	}
	if (cJSON_IsObject(usage)) {
		const cJSON *in = cJSON_GetObjectItemCaseSensitive(usage, "input_tokens");
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(usage, "output_tokens");

		dss_teacher_set_usage(res, in, o, 0);
	}
	r = 0;
out:
	dss_buf_free(&text);
	cJSON_Delete(j);
	return r;
}

const struct dss_teacher_ops dss_teacher_anthropic = {
	.provider = "anthropic",
	.key_env = "ANTHROPIC_API_KEY",
	.default_base = "https://api.anthropic.com",
	.chat = 1,
	.default_max_tokens = 1024,	/* the API requires max_tokens */
	.request = request,
	.parse = parse,
};
