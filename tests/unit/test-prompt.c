/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for lib/prompt: template rendering (fields, lettered
 * choices, lower case, braces, errors), loading the shipped exemplar
 * files, and applying a prompter to records, including a record that is
 * an exemplar and records with missing fields; and that every shipped
 * exemplar's answer sentence is read back by lib/answer as its answer.
 * Run from the top of the tree (datasets/ must be reachable).
 */
#include <stdlib.h>
#include <string.h>

#include "../../lib/answer.h"
#include "../../lib/prompt.h"
#include "tap.h"

static void
render_is(const char *tmpl, const char *json, const char *want, const char *name)
{
	struct dss_buf b = DSS_BUF_INIT;
	struct dss_err err = DSS_ERR_INIT;
	cJSON *o = cJSON_Parse(json);

	if (dss_prompt_render(&b, tmpl, o, "fields.", &err) < 0)
		is_str(err.msg, want, name);
	else
		is_str(b.data, want, name);
	dss_buf_free(&b);
	cJSON_Delete(o);
}

static void
test_render(void)
{
	render_is("Q: {q}\nA:", "{\"q\":\"why?\"}", "Q: why?\nA:", "field text");
	render_is("{c}", "{\"c\":[\"x\",\"y z\"]}", "(a) x\n(b) y z", "lettered choices");
	render_is("({k:lower}) {k}", "{\"k\":\"C\"}", "(c) C", "lower case");
	render_is("{{lit}} }}", "{}", "{lit} }", "doubled braces");
	render_is("{v}", "{\"v\":\"{not a field}\"}", "{not a field}", "braces in values kept");
	render_is("{gone}", "{}", "field 'fields.gone' is missing", "missing field");
	render_is("{n}", "{\"n\":1}", "field 'fields.n' is not a string", "number field");
	render_is("{c}", "{\"c\":[1]}", "field 'fields.c' holds a value that is not a string",
	    "non-string choice");
	render_is("{c}", "{\"c\":[]}", "field 'fields.c' is empty", "empty choices");
	render_is("x {", "{}", "template has an unmatched '{'", "unmatched open");
	render_is("x } y", "{}", "template has an unmatched '}'", "unmatched close");
	render_is("{}", "{}", "template has a bad field name", "empty name");
	render_is("{a-b}", "{}", "template has a bad field name 'a-b'", "bad name");
}

static void
test_files(void)
{
	static const char *const names[] = { "cqa", "svamp", "esnli", "anli1" };
	static const size_t counts[] = { 7, 7, 5, 5 };
	struct dss_err err = DSS_ERR_INIT;
	struct dss_exemplars *ex;
	char path[128];
	size_t i;

	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "datasets/exemplars/%s.json", names[i]);
		ex = dss_exemplars_load(path, &err);
		if (!ok(ex != NULL, "load %s", path)) {
			printf("# %s\n", err.msg);
			continue;
		}
		is_int((long long)dss_exemplars_count(ex), (long long)counts[i],
		    "exemplar count");
		is_str(dss_exemplars_dataset(ex), names[i], "dataset of the file");
		is_str(dss_exemplars_path(ex), path, "path kept");
		dss_exemplars_free(ex);
	}
	ok(dss_exemplars_load("datasets/exemplars/none.json", &err) == NULL &&
	    strstr(err.msg, "cannot open") != NULL, "missing file");
}

static void
test_apply(void)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_prompter *p;
	const cJSON *m;
	cJSON *rec;

	p = dss_prompter_new("datasets/exemplars/svamp.json", 2,
	    DSS_PROMPT_COMPLETION, &err);
	if (!ok(p != NULL, "prompter with a file"))
		return;
	rec = cJSON_Parse("{\"dataset\":\"svamp\",\"id\":\"s1\",\"fields\":"
	    "{\"body\":\"B.\",\"question\":\"Q?\"},\"prompt\":\"old\"}");
	is_int(dss_prompter_apply(p, rec, &err), 1, "apply");
	m = cJSON_GetObjectItem(rec, "messages");
	is_int(cJSON_GetArraySize(m), 6, "system, 2 x (user, assistant), user");
	is_str(cJSON_GetArrayItem(m, 5)->child->next->valuestring, "Q: B. Q?",
	    "query turn");
	ok(strstr(cJSON_GetObjectItem(rec, "prompt")->valuestring,
	    "\n\nQ: B. Q?\nA:") != NULL, "old prompt replaced by the new one");
	is_str(cJSON_GetObjectItem(rec, "style")->valuestring, "completion", "style");
	is_int((long long)strlen(cJSON_GetObjectItem(rec, "template")->valuestring),
	    64, "template is a SHA-256");
	cJSON_Delete(rec);

	rec = cJSON_Parse("{\"dataset\":\"svamp\",\"id\":\"s2\",\"fields\":"
	    "{\"body\":\"Omar reads 15 pages every day.\",\"question\":"
	    "\"How many pages does he read in 4 days?\"}}");
	is_int(dss_prompter_apply(p, rec, &err), 1, "exemplar 3 is not in use with 2 shots");
	cJSON_Delete(rec);
	rec = cJSON_Parse("{\"dataset\":\"svamp\",\"id\":\"s3\",\"fields\":"
	    "{\"body\":\"Lena baked 48 cookies and packed them equally into 6 "
	    "boxes.\",\"question\":\"How many cookies are in each box?\"}}");
	is_int(dss_prompter_apply(p, rec, &err), 0, "a record that is exemplar 1");
	ok(strstr(err.msg, "exemplar 1 of") != NULL, "says which exemplar");
	ok(cJSON_GetObjectItem(rec, "prompt") == NULL, "record untouched");
	cJSON_Delete(rec);

	rec = cJSON_Parse("{\"dataset\":\"cqa\",\"id\":\"c\",\"fields\":{}}");
	is_int(dss_prompter_apply(p, rec, &err), -1, "other dataset");
	ok(strstr(err.msg, "no exemplars for dataset 'cqa'") != NULL, "names it");
	cJSON_Delete(rec);
	rec = cJSON_Parse("{\"dataset\":\"svamp\",\"id\":\"s\",\"fields\":{\"body\":\"b\"}}");
	is_int(dss_prompter_apply(p, rec, &err), -1, "missing field");
	is_str(err.msg, "field 'fields.question' is missing", "names the field");
	cJSON_Delete(rec);
	dss_prompter_free(p);

	ok(dss_prompter_new("datasets/exemplars/esnli.json", 6, DSS_PROMPT_CHAT,
	    &err) == NULL, "too many shots for the file");
	ok(strstr(err.msg, "holds 5 exemplars, fewer than --shots 6") != NULL,
	    "too many shots message");

	setenv("DSS_DATASETS", "datasets", 1);
	p = dss_prompter_new(NULL, -1, DSS_PROMPT_CHAT, &err);
	rec = cJSON_Parse("{\"dataset\":\"esnli\",\"id\":\"e\",\"fields\":"
	    "{\"premise\":\"p\",\"hypothesis\":\"h\"}}");
	is_int(dss_prompter_apply(p, rec, &err), 1, "default file by dataset");
	is_int(cJSON_GetArraySize(cJSON_GetObjectItem(rec, "messages")), 12,
	    "all 5 exemplars by default");
	cJSON_Delete(rec);
	rec = cJSON_Parse("{\"dataset\":\"nosuch\",\"id\":\"e\",\"fields\":{}}");
	is_int(dss_prompter_apply(p, rec, &err), -1, "unknown dataset");
	ok(strstr(err.msg, "no exemplars for dataset 'nosuch'") != NULL,
	    "unknown dataset message");
	cJSON_Delete(rec);
	dss_prompter_free(p);
}

/*
 * Each shipped exemplar's assistant turn must parse, with the answer
 * extractor dss-filter uses, to the exemplar's own answer.
 */
static void
test_answers_parse(void)
{
	static const char *const names[] = { "cqa", "svamp", "esnli", "anli1" };
	struct dss_err err = DSS_ERR_INIT;
	struct dss_answer_cache *rules = dss_answer_cache_new();
	struct dss_prompter *p;
	size_t i;

	setenv("DSS_DATASETS", "datasets", 1);
	p = dss_prompter_new(NULL, -1, DSS_PROMPT_CHAT, &err);
	for (i = 0; i < 4; i++) {
		struct dss_answer_config *cfg;
		struct dss_buf text = DSS_BUF_INIT;
		const cJSON *ex, *e, *m;
		cJSON *file, *rec;
		char path[128];
		FILE *fp;
		int k = 0, bad = 0;

		snprintf(path, sizeof(path), "datasets/exemplars/%s.json", names[i]);
		if ((fp = fopen(path, "r")) == NULL) {
			ok(0, "open %s", path);
			continue;
		}
		{
			char chunk[4096];
			size_t n;

			while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
				dss_buf_add(&text, chunk, n);
			fclose(fp);
		}
		file = cJSON_Parse(text.data);
		dss_buf_free(&text);
		ex = cJSON_GetObjectItem(file, "exemplars");
		/* A record no exemplar matches, to get the turns rendered. */
		rec = cJSON_Parse(i == 0 ?
		    "{\"dataset\":\"cqa\",\"id\":\"x\",\"fields\":{\"question\":\"q\","
		    "\"choices\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}}" : i == 1 ?
		    "{\"dataset\":\"svamp\",\"id\":\"x\",\"fields\":{\"body\":\"b\","
		    "\"question\":\"q\"}}" :
		    "{\"dataset\":\"esnli\",\"id\":\"x\",\"fields\":{\"premise\":\"p\","
		    "\"hypothesis\":\"h\"}}");
		if (i == 3)
			cJSON_ReplaceItemInObject(rec, "dataset",
			    cJSON_CreateString("anli1"));
		cfg = dss_answer_cache_get(rules, names[i], &err);
		if (!ok(cfg != NULL && dss_prompter_apply(p, rec, &err) == 1,
		    "%s: answer configuration and prompt", names[i])) {
			printf("# %s\n", err.msg);
			cJSON_Delete(rec);
			cJSON_Delete(file);
			continue;
		}
		m = cJSON_GetObjectItem(rec, "messages");
		cJSON_ArrayForEach(e, ex) {
			struct dss_answer a = DSS_ANSWER_INIT;
			const cJSON *turn = cJSON_GetArrayItem(m, 2 + 2 * k);
			const char *out = cJSON_GetObjectItem(turn, "content")->valuestring;
			const char *want = cJSON_GetObjectItem(e, "answer")->valuestring;
			const cJSON *cs = cJSON_GetObjectItem(e, "choices");
			const char *choices[5] = { 0 };
			int j;

			for (j = 0; j < 5 && cs != NULL; j++)
				choices[j] = cJSON_GetArrayItem(cs, j)->valuestring;
			if (dss_answer_extract(cfg, out, strlen(out), "stop", choices,
			    cs != NULL ? 5 : 0, &a, &err) < 0 ||
			    a.status != DSS_ANSWER_OK ||
			    (i == 1 ? a.value != cJSON_GetObjectItem(e, "value")->valuedouble :
			    strcmp(a.answer.data, want) != 0)) {
				printf("# %s exemplar %d: status %s answer '%s' reason '%s'\n",
				    names[i], k + 1, dss_answer_status_name(a.status),
				    a.answer.data, a.reason);
				bad++;
			}
			dss_answer_free(&a);
			k++;
		}
		ok(bad == 0 && k > 0, "%s: all %d exemplar answers parse back", names[i], k);
		cJSON_Delete(rec);
		cJSON_Delete(file);
	}
	dss_prompter_free(p);
	dss_answer_cache_free(rules);
}

int
main(void)
{
	test_render();
	test_files();
	test_apply();
	test_answers_parse();
	return done();
}
