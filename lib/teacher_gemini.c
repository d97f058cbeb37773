/* SPDX-License-Identifier: MIT */
/*
 * The Gemini generateContent teacher: messages become "contents" (the
 * assistant role is "model"), system messages become systemInstruction,
 * and K samples are asked for as candidateCount.  finishReason is mapped
 * onto the OpenAI names: MAX_TOKENS -> length, STOP -> stop, others
 * lowercased.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "teacher_impl.h"

static cJSON *
parts(const char *text)
{
	cJSON *a = cJSON_CreateArray(), *p = cJSON_CreateObject();

	if (a == NULL || p == NULL) {
		cJSON_Delete(a);
		cJSON_Delete(p);
		return NULL;
	}
	cJSON_AddStringToObject(p, "text", text);
	cJSON_AddItemToArray(a, p);	/* takes p */
	return a;
}

static int
request(const struct dss_teacher *t, const cJSON *input,
    const struct dss_teacher_params *p, int n, struct dss_http_req *req,
    struct dss_err *err)
{
	cJSON *b = cJSON_CreateObject(), *contents, *gc, *stop, *si;
	struct dss_buf system = DSS_BUF_INIT, path = DSS_BUF_INIT;
	const cJSON *m;
	int i, r;

	if (b == NULL)
		return dss_err_set(err, "out of memory");
	contents = cJSON_AddArrayToObject(b, "contents");
	cJSON_ArrayForEach(m, input) {
		const char *role = dss_json_str_opt(m, "role");
		const char *c = dss_json_str_opt(m, "content");
		cJSON *one;

		if (role == NULL || c == NULL)
			continue;
		if (strcmp(role, "system") == 0) {
			if (system.len)
				dss_buf_adds(&system, "\n\n");
			dss_buf_adds(&system, c);
			continue;
		}
		if ((one = cJSON_CreateObject()) == NULL)
			continue;
		cJSON_AddStringToObject(one, "role",
		    strcmp(role, "assistant") == 0 ? "model" : "user");
		cJSON_AddItemToObject(one, "parts", parts(c));	/* takes it */
		cJSON_AddItemToArray(contents, one);		/* takes one */
	}
	if (system.len && (si = cJSON_AddObjectToObject(b, "systemInstruction")))
		cJSON_AddItemToObject(si, "parts", parts(system.data));
	dss_buf_free(&system);
	gc = cJSON_AddObjectToObject(b, "generationConfig");
	if (p->temperature >= 0)
		cJSON_AddNumberToObject(gc, "temperature", p->temperature);
	if (p->max_tokens > 0)
		cJSON_AddNumberToObject(gc, "maxOutputTokens", (double)p->max_tokens);
	if (n > 1)
		cJSON_AddNumberToObject(gc, "candidateCount", n);
	if (p->nstop > 0) {
		stop = cJSON_AddArrayToObject(gc, "stopSequences");
		for (i = 0; i < p->nstop && stop; i++)
			cJSON_AddItemToArray(stop, cJSON_CreateString(p->stop[i]));
	}
	if (t->key && dss_teacher_header(req, "x-goog-api-key", t->key, err) < 0) {
		cJSON_Delete(b);
		return -1;
	}
	if (dss_buf_addf(&path, "/v1beta/models/%s:generateContent", t->model) < 0) {
		cJSON_Delete(b);
		return dss_err_set(err, "out of memory");
	}
	r = dss_teacher_finish(req, t, path.data, b, err);
	dss_buf_free(&path);
	return r;
}

static int
parse(const struct dss_teacher *t, const char *body, size_t len,
    struct dss_teacher_result *res, struct dss_err *err)
{
	cJSON *j = dss_teacher_parse_body(body, len, err);
	const cJSON *cands = cJSON_GetObjectItemCaseSensitive(j, "candidates");
	const cJSON *usage = cJSON_GetObjectItemCaseSensitive(j, "usageMetadata");
	const cJSON *c;
	struct dss_buf text = DSS_BUF_INIT;
	int r = -1;

	if (j == NULL)
		goto out;
	if (!cJSON_IsArray(cands) || cJSON_GetArraySize(cands) == 0) {
		dss_err_set(err, "response has no 'candidates'");
		goto out;
	}
	cJSON_ArrayForEach(c, cands) {
		const cJSON *content = cJSON_GetObjectItemCaseSensitive(c, "content");
		const cJSON *ps = cJSON_GetObjectItemCaseSensitive(content, "parts");
		const char *fr = dss_json_str_opt(c, "finishReason");
		char name[32];
		const cJSON *p;
		size_t i;

		dss_buf_reset(&text);
		cJSON_ArrayForEach(p, ps) {
			const char *s = dss_json_str_opt(p, "text");

			if (s != NULL && dss_buf_adds(&text, s) < 0) {
				dss_err_set(err, "response text is too long");
				goto out;
			}
		}
		if (fr != NULL) {
			if (strcmp(fr, "MAX_TOKENS") == 0)
				fr = "length";
			else if (strcmp(fr, "STOP") == 0)
				fr = "stop";
			snprintf(name, sizeof(name), "%s", fr);
			for (i = 0; name[i]; i++)
				name[i] = (char)tolower((unsigned char)name[i]);
			fr = name;
		}
		if (dss_teacher_add_choice(res, text.data, fr) < 0) {
			dss_err_set(err, "out of memory");
			goto out;
		}
	}
	if (cJSON_IsObject(usage)) {
		const cJSON *in = cJSON_GetObjectItemCaseSensitive(usage, "promptTokenCount");
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(usage, "candidatesTokenCount");

		dss_teacher_set_usage(res, in, o, 1);
	}
	r = 0;
out:
	dss_buf_free(&text);
	cJSON_Delete(j);
	return r;
}

const struct dss_teacher_ops dss_teacher_gemini = {
	.provider = "gemini",
	.key_env = "GEMINI_API_KEY",
	.default_base = "https://generativelanguage.googleapis.com",
	.multi_sample = 1,
	.chat = 1,
	.request = request,
	.parse = parse,
};
