/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the teachers: the request each provider builds and the
 * responses it parses, replay files, the request key (stable, canonical,
 * blind to the API key and base URL), key masking and usage figures.
 * Retry rules are test-retry.c's, rate limits test-ratelimit.c's, shards
 * test-teach.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/teacher.h"
#include "tap.h"

static const char *messages_json =
    "{\"id\":\"esnli-train-000001\",\"dataset\":\"esnli\","
    "\"prompt\":\"Premise: a. Hypothesis: b.\\nA:\","
    "\"messages\":[{\"role\":\"system\",\"content\":\"You label pairs.\"},"
    "{\"role\":\"user\",\"content\":\"Premise: a.\"},"
    "{\"role\":\"assistant\",\"content\":\"entailment\"},"
    "{\"role\":\"user\",\"content\":\"Premise: b.\"}]}";

static int
open_teacher(struct dss_teacher *t, const char *spec, const char *base)
{
	struct dss_err err = DSS_ERR_INIT;
	int r = dss_teacher_open(t, spec, base, "DSS_TEST_KEY", &err);

	if (r < 0)
		printf("# open %s: %s\n", spec, err.msg);
	return r;
}

static int
has_header(const struct curl_slist *h, const char *line)
{
	for (; h != NULL; h = h->next)
		if (strcmp(h->data, line) == 0)
			return 1;
	return 0;
}

/* Builds the request of t for the test record; returns its parsed body. */
static cJSON *
build(struct dss_teacher *t, const struct dss_teacher_params *p, int n,
    struct dss_http_req *req)
{
	struct dss_err err = DSS_ERR_INIT;
	cJSON *rec = cJSON_Parse(messages_json), *in, *body = NULL;

	in = dss_teacher_input(t, rec, &err);
	if (in != NULL && t->ops->request(t, in, p, n, req, &err) == 0)
		body = cJSON_Parse(req->body);
	else
		printf("# build: %s\n", err.msg);
	cJSON_Delete(in);
	cJSON_Delete(rec);
	return body;
}

static const char *
str_at(const cJSON *o, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);

	if (b != NULL)
		x = cJSON_GetObjectItemCaseSensitive(x, b);
	return cJSON_IsString(x) ? x->valuestring : NULL;
}

static double
num_at(const cJSON *o, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);

	if (b != NULL)
		x = cJSON_GetObjectItemCaseSensitive(x, b);
	return cJSON_IsNumber(x) ? x->valuedouble : -999;
}

static void
test_openai(void)
{
	struct dss_teacher t;
	struct dss_teacher_params p = DSS_TEACHER_PARAMS_INIT;
	struct dss_http_req req = DSS_HTTP_REQ_INIT;
	struct dss_teacher_result res = DSS_TEACHER_RESULT_INIT;
	struct dss_err err = DSS_ERR_INIT;
	char *stop[] = { "Q:", "\n\n" };
	cJSON *b;
	const char *resp =
	    "{\"id\":\"x\",\"choices\":[{\"index\":1,\"message\":{\"role\":\"assistant\","
	    "\"content\":\"second\"},\"finish_reason\":\"length\"},{\"index\":0,"
	    "\"message\":{\"role\":\"assistant\",\"content\":\"first\"},"
	    "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,"
	    "\"completion_tokens\":7,\"total_tokens\":19}}";

	setenv("DSS_TEST_KEY", "sk-test-secret-123", 1);
	if (!ok(open_teacher(&t, "openai:gpt-4o-mini", "http://example.com/v1/") == 0,
	    "openai: opens with a key"))
		return;
	p.temperature = 0.7;
	p.max_tokens = 256;
	p.stop = stop;
	p.nstop = 2;
	b = build(&t, &p, 3, &req);
	is_str(req.url, "http://example.com/v1/chat/completions",
	    "openai: POST {base}/chat/completions, trailing slash dropped");
	ok(has_header(req.headers, "Authorization: Bearer sk-test-secret-123"),
	    "openai: Authorization: Bearer KEY");
	ok(has_header(req.headers, "Content-Type: application/json"),
	    "openai: JSON content type");
	is_str(str_at(b, "model", NULL), "gpt-4o-mini", "openai: model");
	is_int((long long)num_at(b, "n", NULL), 3, "openai: K samples as n");
	ok(num_at(b, "temperature", NULL) == 0.7, "openai: temperature");
	is_int((long long)num_at(b, "max_tokens", NULL), 256, "openai: max_tokens");
	is_int(cJSON_GetArraySize(cJSON_GetObjectItem(b, "stop")), 2, "openai: stop list");
	is_int(cJSON_GetArraySize(cJSON_GetObjectItem(b, "messages")), 4,
	    "openai: the record's messages as given");
	cJSON_Delete(b);
	dss_http_req_free(&req);

	ok(t.ops->parse(&t, resp, strlen(resp), &res, &err) == 0, "openai: parses");
	is_int(res.n, 2, "openai: two choices");
	is_str(res.choices[0].text, "first", "openai: choices in index order");
	is_str(res.choices[1].finish_reason, "length", "openai: finish_reason");
	is_int(res.prompt_tokens, 12, "openai: usage.prompt_tokens");
	is_int(res.completion_tokens, 7, "openai: usage.completion_tokens");
	dss_teacher_result_free(&res);
	ok(t.ops->parse(&t, "{\"choices\":[", 12, &res, &err) < 0,
	    "openai: a truncated body is an error");
	ok(t.ops->parse(&t, "{\"choices\":[]}", 14, &res, &err) < 0,
	    "openai: no choices is an error");
	dss_teacher_result_free(&res);

	{
		char msg[200];
		const char *eb = "{\"error\":{\"message\":\"Incorrect API key "
		    "provided: sk-test-secret-123.\",\"type\":\"invalid_request_error\"}}";

		dss_teacher_error_message(&t, eb, strlen(eb), msg, sizeof(msg));
		is_str(msg, "Incorrect API key provided: ******************.",
		    "error message: error.message, with the key masked");
	}
	dss_teacher_close(&t);

	ok(open_teacher(&t, "openai-completions:davinci-002",
	    "http://127.0.0.1:9/v1") == 0, "openai-completions: opens");
	p.nstop = 0;
	p.temperature = -1;
	b = build(&t, &p, 1, &req);
	is_str(req.url, "http://127.0.0.1:9/v1/completions",
	    "openai-completions: POST {base}/completions");
	is_str(str_at(b, "prompt", NULL), "Premise: a. Hypothesis: b.\nA:",
	    "openai-completions: the record's prompt");
	ok(cJSON_GetObjectItem(b, "n") == NULL, "openai-completions: no n for one sample");
	ok(cJSON_GetObjectItem(b, "temperature") == NULL,
	    "openai-completions: no temperature unless given");
	cJSON_Delete(b);
	dss_http_req_free(&req);
	{
		const char *tr = "{\"choices\":[{\"index\":0,\"text\":\" So the answer "
		    "is (a).\",\"finish_reason\":\"stop\"}]}";

		ok(t.ops->parse(&t, tr, strlen(tr), &res, &err) == 0 &&
		    strcmp(res.choices[0].text, " So the answer is (a).") == 0 &&
		    !res.has_usage, "openai-completions: choices[].text, usage absent");
		dss_teacher_result_free(&res);
	}
	dss_teacher_close(&t);
}

static void
test_anthropic(void)
{
	struct dss_teacher t;
	struct dss_teacher_params p = DSS_TEACHER_PARAMS_INIT;
	struct dss_http_req req = DSS_HTTP_REQ_INIT;
	struct dss_teacher_result res = DSS_TEACHER_RESULT_INIT;
	struct dss_err err = DSS_ERR_INIT;
	char *stop[] = { "Q:" };
	cJSON *b, *m;
	const char *resp = "{\"type\":\"message\",\"content\":[{\"type\":\"text\","
	    "\"text\":\"Part one. \"},{\"type\":\"text\",\"text\":\"Part two.\"}],"
	    "\"stop_reason\":\"max_tokens\",\"usage\":{\"input_tokens\":30,"
	    "\"output_tokens\":9}}";

	if (!ok(open_teacher(&t, "anthropic:claude-3-5-haiku-latest", NULL) == 0,
	    "anthropic: opens"))
		return;
	is_str(t.base_url, "https://api.anthropic.com", "anthropic: default base URL");
	p.stop = stop;
	p.nstop = 1;
	b = build(&t, &p, 1, &req);
	is_str(req.url, "https://api.anthropic.com/v1/messages",
	    "anthropic: POST {base}/v1/messages");
	ok(has_header(req.headers, "x-api-key: sk-test-secret-123"), "anthropic: x-api-key");
	ok(has_header(req.headers, "anthropic-version: 2023-06-01"),
	    "anthropic: anthropic-version");
	is_int((long long)num_at(b, "max_tokens", NULL), 1024,
	    "anthropic: max_tokens defaults to 1024");
	is_str(str_at(b, "system", NULL), "You label pairs.",
	    "anthropic: the system message goes in 'system'");
	m = cJSON_GetObjectItem(b, "messages");
	is_int(cJSON_GetArraySize(m), 3, "anthropic: the other messages stay");
	is_str(str_at(cJSON_GetArrayItem(m, 0), "role", NULL), "user",
	    "anthropic: first message is the user's");
	is_int(cJSON_GetArraySize(cJSON_GetObjectItem(b, "stop_sequences")), 1,
	    "anthropic: stop_sequences");
	cJSON_Delete(b);
	dss_http_req_free(&req);
	ok(t.ops->parse(&t, resp, strlen(resp), &res, &err) == 0, "anthropic: parses");
	is_str(res.n ? res.choices[0].text : NULL, "Part one. Part two.",
	    "anthropic: content[].text joined");
	is_str(res.n ? res.choices[0].finish_reason : NULL, "length",
	    "anthropic: max_tokens is reported as length");
	ok(res.prompt_tokens == 30 && res.completion_tokens == 9,
	    "anthropic: usage from input_tokens and output_tokens");
	dss_teacher_result_free(&res);
	dss_teacher_close(&t);
}

static void
test_gemini(void)
{
	struct dss_teacher t;
	struct dss_teacher_params p = DSS_TEACHER_PARAMS_INIT;
	struct dss_http_req req = DSS_HTTP_REQ_INIT;
	struct dss_teacher_result res = DSS_TEACHER_RESULT_INIT;
	struct dss_err err = DSS_ERR_INIT;
	cJSON *b, *c;
	const char *resp = "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":"
	    "\"A \"},{\"text\":\"B\"}],\"role\":\"model\"},\"finishReason\":\"STOP\"},"
	    "{\"content\":{\"parts\":[{\"text\":\"C\"}]},\"finishReason\":\"MAX_TOKENS\"}],"
	    "\"usageMetadata\":{\"promptTokenCount\":40,\"candidatesTokenCount\":6}}";

	if (!ok(open_teacher(&t, "gemini:gemini-1.5-flash", NULL) == 0, "gemini: opens"))
		return;
	p.max_tokens = 100;
	p.temperature = 0;
	b = build(&t, &p, 2, &req);
	is_str(req.url, "https://generativelanguage.googleapis.com/v1beta/models/"
	    "gemini-1.5-flash:generateContent", "gemini: POST {base}/v1beta/models/M:generateContent");
	ok(has_header(req.headers, "x-goog-api-key: sk-test-secret-123"), "gemini: x-goog-api-key");
	c = cJSON_GetObjectItem(b, "contents");
	is_int(cJSON_GetArraySize(c), 3, "gemini: contents without the system message");
	is_str(str_at(cJSON_GetArrayItem(c, 1), "role", NULL), "model",
	    "gemini: the assistant role is 'model'");
	ok(cJSON_GetObjectItem(b, "systemInstruction") != NULL, "gemini: systemInstruction");
	is_int((long long)num_at(b, "generationConfig", "candidateCount"), 2,
	    "gemini: K samples as candidateCount");
	is_int((long long)num_at(b, "generationConfig", "maxOutputTokens"), 100,
	    "gemini: maxOutputTokens");
	ok(num_at(b, "generationConfig", "temperature") == 0, "gemini: temperature 0 is sent");
	cJSON_Delete(b);
	dss_http_req_free(&req);
	ok(t.ops->parse(&t, resp, strlen(resp), &res, &err) == 0, "gemini: parses");
	is_int(res.n, 2, "gemini: one choice per candidate");
	is_str(res.n ? res.choices[0].text : NULL, "A B", "gemini: parts joined");
	is_str(res.n > 1 ? res.choices[1].finish_reason : NULL, "length",
	    "gemini: MAX_TOKENS is reported as length");
	ok(res.prompt_tokens == 40 && res.completion_tokens == 6, "gemini: usageMetadata");
	dss_teacher_result_free(&res);
	dss_teacher_close(&t);
}

static void
test_replay(void)
{
	char path[] = "/tmp/dss-test-replay.XXXXXX";
	struct dss_teacher t;
	struct dss_teacher_result res = DSS_TEACHER_RESULT_INIT;
	struct dss_err err = DSS_ERR_INIT;
	cJSON *rec = cJSON_Parse("{\"id\":\"svamp-train-000001\"}");
	cJSON *rec2 = cJSON_Parse("{\"id\":\"cqa-train-000009\"}");
	char spec[64];
	FILE *fp;
	int fd = mkstemp(path);

	fp = fdopen(fd, "w");
	fputs("{\"id\":\"svamp-train-000001\",\"completion\":\"A. The answer is (1 + 2).\","
	    "\"teacher\":\"palm-540b\"}\n\n"
	    "{\"id\":\"svamp-train-000001\",\"sample\":1,\"completion\":\"B\","
	    "\"finish_reason\":\"length\"}\n"
	    "{\"custom_id\":\"cqa-train-000009#2\",\"response\":{\"status_code\":200,"
	    "\"body\":{\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"message\":"
	    "{\"content\":\"C\"},\"finish_reason\":\"stop\"}],\"usage\":"
	    "{\"prompt_tokens\":5,\"completion_tokens\":1}}}}\n"
	    "{\"custom_id\":\"cqa-train-000009\",\"response\":{\"status_code\":500,"
	    "\"body\":{\"error\":{\"message\":\"x\"}}}}\n", fp);
	fclose(fp);
	snprintf(spec, sizeof(spec), "replay:%s", path);
	if (!ok(dss_teacher_open(&t, spec, NULL, NULL, &err) == 0, "replay: opens")) {
		printf("# %s\n", err.msg);
		goto out;
	}
	ok(t.ops->answer(&t, rec, 0, &res, &err) == 0 && res.n == 1 &&
	    strcmp(res.choices[0].text, "A. The answer is (1 + 2).") == 0,
	    "replay: JSONL record by id, sample 0 by default");
	is_str(res.teacher, "palm-540b", "replay: the recorded teacher name");
	dss_teacher_result_free(&res);
	ok(t.ops->answer(&t, rec, 1, &res, &err) == 0 &&
	    strcmp(res.choices[0].finish_reason, "length") == 0,
	    "replay: sample and finish_reason");
	dss_teacher_result_free(&res);
	ok(t.ops->answer(&t, rec2, 2, &res, &err) == 0 &&
	    strcmp(res.choices[0].text, "C") == 0 && res.prompt_tokens == 5,
	    "replay: OpenAI Batch output, custom_id ID#SAMPLE");
	dss_teacher_result_free(&res);
	ok(t.ops->answer(&t, rec2, 0, &res, &err) < 0 &&
	    strstr(err.msg, "no recorded completion for 'cqa-train-000009' sample 0"),
	    "replay: a failed batch line is no answer");
	dss_teacher_result_free(&res);
	ok(t.ops->answer(&t, rec, 2, &res, &err) < 0, "replay: a missing sample is no answer");
	dss_teacher_result_free(&res);
	dss_teacher_close(&t);

	fp = fopen(path, "w");
	fputs("{\"id\":\"a\",\"completion\":\"x\"}\n{\"id\":\"b\"}\n", fp);
	fclose(fp);
	ok(dss_teacher_open(&t, spec, NULL, NULL, &err) < 0 &&
	    strstr(err.msg, "line 2: field 'completion' is missing") != NULL,
	    "replay: a bad line is named");
	printf("# %s\n", err.msg);
	snprintf(spec, sizeof(spec), "replay:/nonexistent/replay.jsonl");
	ok(dss_teacher_open(&t, spec, NULL, NULL, &err) < 0 &&
	    strstr(err.msg, "cannot open replay file") != NULL,
	    "replay: a missing file is an error");
out:
	unlink(path);
	cJSON_Delete(rec);
	cJSON_Delete(rec2);
}

static void
test_open(void)
{
	struct dss_teacher t;
	struct dss_err err = DSS_ERR_INIT;

	unsetenv("DSS_TEST_NOKEY");
	ok(dss_teacher_open(&t, "openai:gpt-4o", NULL, "DSS_TEST_NOKEY", &err) < 0 &&
	    strncmp(err.msg, "environment variable 'DSS_TEST_NOKEY' is not set: "
	    "an API key is needed for 'https://api.openai.com/v1'", 97) == 0,
	    "open: a missing key is an error for a public endpoint");
	ok(dss_teacher_open(&t, "openai:llama", "http://localhost:8000/v1",
	    "DSS_TEST_NOKEY", &err) == 0 && t.key == NULL,
	    "open: no key needed on loopback");
	dss_teacher_close(&t);
	ok(dss_teacher_open(&t, "openai:llama", "http://127.0.0.1:8000/v1",
	    "DSS_TEST_NOKEY", &err) == 0, "open: 127.0.0.1 is loopback");
	dss_teacher_close(&t);
	err.kind = DSS_ERR_OTHER;
	ok(dss_teacher_open(&t, "nosuch:m", NULL, NULL, &err) < 0 &&
	    err.kind == DSS_ERR_USAGE,
	    "open: an unknown provider is a usage error");
	err.kind = DSS_ERR_OTHER;
	ok(dss_teacher_open(&t, "openai", NULL, NULL, &err) < 0 &&
	    err.kind == DSS_ERR_USAGE,
	    "open: a spec without a model is a usage error");
	err.kind = DSS_ERR_OTHER;
	ok(dss_teacher_open(&t, "openai:m", "ftp://x", NULL, &err) < 0 &&
	    err.kind == DSS_ERR_USAGE,
	    "open: a base URL must be http(s)");
	err.kind = DSS_ERR_USAGE;
	ok(dss_teacher_open(&t, "openai:m", "https://example.invalid/v1",
	    "DSS_TEST_NOKEY", &err) < 0 && err.kind == DSS_ERR_OTHER,
	    "open: a missing key is not a usage error (kind reset)");
	err.kind = DSS_ERR_USAGE;
	ok(dss_teacher_open(&t, "replay:/nonexistent/x", NULL, NULL, &err) < 0 &&
	    err.kind == DSS_ERR_SYSTEM,
	    "open: a missing replay file is a system error");
}

static void
test_key(void)
{
	struct dss_teacher a, b, c;
	struct dss_teacher_params p = DSS_TEACHER_PARAMS_INIT;
	struct dss_buf buf = DSS_BUF_INIT;
	struct dss_err err = DSS_ERR_INIT;
	char k1[DSS_SHA256_HEX], k2[DSS_SHA256_HEX], k3[DSS_SHA256_HEX];
	cJSON *m1 = cJSON_Parse("[{\"role\":\"user\",\"content\":\"Hi \\\"there\\\"\\n\"}]");
	cJSON *m2 = cJSON_Parse("[{ \"content\" : \"Hi \\\"there\\\"\\n\", \"role\":\"user\"}]");
	cJSON *v = cJSON_Parse("{\"b\":[1,2.5,true,null],\"a\":{\"y\":\"\\u0001\",\"x\":-3}}");

	dss_teacher_canonical(v, &buf);
	is_str(buf.data, "{\"a\":{\"x\":-3,\"y\":\"\\u0001\"},\"b\":[1,2.5,true,null]}",
	    "canonical JSON: keys sorted, no spaces, control characters escaped");
	dss_buf_free(&buf);

	setenv("DSS_TEST_KEY", "key-one", 1);
	dss_teacher_open(&a, "openai:gpt-4o-mini", "http://127.0.0.1:1/v1", "DSS_TEST_KEY", &err);
	setenv("DSS_TEST_KEY", "key-two", 1);
	dss_teacher_open(&b, "openai:gpt-4o-mini", "https://api.example.org/v1",
	    "DSS_TEST_KEY", &err);
	dss_teacher_open(&c, "openai:gpt-4o", "http://127.0.0.1:1/v1", "DSS_TEST_KEY", &err);
	p.temperature = 0.7;
	p.max_tokens = 256;
	dss_teacher_key(&a, m1, &p, 0, k1);
	is_str(k1, "8afa50ab9b0fd6b1a8965393f76f1b2814be948d651957cfcc5f21f81fee013a",
	    "key: stable across releases (golden value, checked with Python)");
	dss_teacher_key(&b, m2, &p, 0, k2);
	is_str(k2, k1, "key: blind to the API key, base URL and JSON key order");
	dss_teacher_key(&a, m1, &p, 1, k2);
	ok(strcmp(k1, k2) != 0, "key: each sample its own key");
	dss_teacher_key(&c, m1, &p, 0, k3);
	ok(strcmp(k1, k3) != 0, "key: the model is part of it");
	p.temperature = 0.8;
	dss_teacher_key(&a, m1, &p, 0, k3);
	ok(strcmp(k1, k3) != 0, "key: the parameters are part of it");
	/* no undefined conversion of a number past long long (UBSan run) */
	p.temperature = 1e300;
	ok(dss_teacher_key(&a, m1, &p, 0, k3) == 0 && strcmp(k1, k3) != 0,
	    "key: a temperature of 1e300 is written as a number");
	dss_teacher_close(&a);
	dss_teacher_close(&b);
	dss_teacher_close(&c);
	cJSON_Delete(m1);
	cJSON_Delete(m2);
	cJSON_Delete(v);
}

static void
test_mask(void)
{
	struct dss_teacher t;
	char s[600], out[40];
	const char *key = "sk-test-0123456789abcdefghij";
	size_t i;

	memset(&t, 0, sizeof(t));
	t.key = (char *)key;
	snprintf(s, sizeof(s), "a %s b", key);
	dss_teacher_mask(&t, s, strlen(s));
	is_str(s, "a **************************** b", "mask: the whole key");
	snprintf(s, sizeof(s), "x%.8sy%.7sz", key + 10, key + 3);
	dss_teacher_mask(&t, s, strlen(s));
	is_str(s, "x********ytest-01z", "mask: 8 characters are masked, 7 kept");
	/* 25 'x' then the key, cut at 30: no fragment survives the cut */
	memset(s, 'x', 25);
	strcpy(s + 25, key);
	dss_teacher_error_message(&t, s, strlen(s), out, sizeof(out));
	for (i = 0; out[i] && out[i] == 'x'; i++)
		;
	ok(strlen(out) == 39 && i == 25 && strspn(out + 25, "*") == 14,
	    "mask: masked before the cut ('%s')", out);
	snprintf(s, sizeof(s), "{\"error\":{\"message\":\"bad %s\"}}", key);
	dss_teacher_error_message(&t, s, strlen(s), out, sizeof(out));
	ok(strncmp(out, "bad ****", 8) == 0 && strchr(out, 's') == NULL,
	    "mask: a JSON message ('%s')", out);
	/* in JSON, a key written with escapes is masked escape by escape */
	strcpy(s, "{\"a\":\"k \\u0073\\u006b-test-0123\\/x\",\"b\":\"\\u00e9sk-test-01\"}");
	is_int((long long)dss_teacher_mask_json(&t, s, strlen(s)), 32,
	    "mask json: 32 bytes masked");
	is_str(s, "{\"a\":\"k **********************\\/x\",\"b\":\"\\u00e9**********\"}",
	    "mask json: a run of 12 characters through escapes, one of 10 after one");
	strcpy(s, "{\"a\":\"\\ud83d\\ude00\\u0073k-test-0\\n\",\"\\u0073k-test-0123\":1}");
	dss_teacher_mask_json(&t, s, strlen(s));
	is_str(s, "{\"a\":\"\\ud83d\\ude00**************\\n\",\"*****************\":1}",
	    "mask json: after a surrogate pair, and in a member name");
	strcpy(s, "[\"sk-test-0123\\\"\"]");
	dss_teacher_mask_json(&t, s, strlen(s));
	is_str(s, "[\"************\\\"\"]", "mask json: raw runs as dss_teacher_mask");
	strcpy(s, "\"\\u0073k-test-0123");
	dss_teacher_mask_json(&t, s, strlen(s));
	is_str(s, "\"*****************", "mask json: an unterminated string");
	t.key = NULL;
	strcpy(s, key);
	is_int((long long)dss_teacher_mask(&t, s, strlen(s)), 0, "mask: no key, nothing masked");
	strcpy(s, "\"\\u0073k-test-0123\"");
	is_int((long long)dss_teacher_mask_json(&t, s, strlen(s)), 0,
	    "mask json: no key, nothing masked");
}

static void
test_loopback(void)
{
	ok(dss_teacher_loopback("http://127.0.0.1:8000/v1"), "loopback: 127.0.0.1");
	ok(dss_teacher_loopback("http://127.3.4.5/v1"), "loopback: 127.3.4.5");
	ok(dss_teacher_loopback("http://localhost:11434/v1"), "loopback: localhost");
	ok(dss_teacher_loopback("http://[::1]:8080/v1"), "loopback: [::1]");
	ok(!dss_teacher_loopback("http://127.0.0.1.example.invalid/v1"),
	    "loopback: not 127.0.0.1.example.invalid");
	ok(!dss_teacher_loopback("http://localhost.example.invalid/v1"),
	    "loopback: not localhost.example.invalid");
	ok(!dss_teacher_loopback("http://127.0.0.1@example.invalid/v1"),
	    "loopback: not 127.0.0.1@example.invalid");
	ok(!dss_teacher_loopback("https://example.invalid/v1"),
	    "loopback: not example.invalid");
}

static void
test_usage(void)
{
	struct dss_teacher_result res = DSS_TEACHER_RESULT_INIT;
	cJSON *j = cJSON_Parse("{\"a\":12,\"b\":-5,\"c\":1e300,\"d\":2.5,\"e\":\"7\"}");
	const char *bad[] = { "b", "c", "d", "e" };
	size_t i;

	dss_teacher_set_usage(&res, cJSON_GetObjectItem(j, "a"),
	    cJSON_GetObjectItem(j, "a"), 0);
	ok(res.has_usage && !res.bad_usage && res.prompt_tokens == 12,
	    "usage: whole numbers are taken");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&res, 0, sizeof(res));
		dss_teacher_set_usage(&res, cJSON_GetObjectItem(j, "a"),
		    cJSON_GetObjectItem(j, bad[i]), 0);
		ok(!res.has_usage && res.bad_usage && res.completion_tokens == 0,
		    "usage: '%s' is rejected", bad[i]);
	}
	cJSON_Delete(j);
}

int
main(void)
{
	test_mask();
	test_loopback();
	test_usage();
	test_openai();
	test_anthropic();
	test_gemini();
	test_replay();
	test_open();
	test_key();
	return done();
}
