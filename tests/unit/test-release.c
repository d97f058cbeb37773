/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for lib/release: the streaming reader of batch files (JSON
 * arrays of strings: escapes, surrogates, and every syntax error with its
 * byte offset), the example records built from release rows of each
 * dataset, completion records and their request keys, and a run over a
 * small release directory: the check pass and the emitting pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "../../lib/release.h"

/* Reads all strings of text; returns them joined by '|' and the result. */
static int
read_all(const char *text, char *out, size_t n, struct dss_err *err)
{
	FILE *fp = fmemopen((void *)text, strlen(text), "r");
	struct dss_jstrings j = DSS_JSTRINGS_INIT(fp);
	int rc;

	out[0] = '\0';
	while ((rc = dss_jstrings_next(&j, err)) == 1) {
		if (out[0] != '\0')
			strncat(out, "|", n - strlen(out) - 1);
		strncat(out, j.s.data, n - strlen(out) - 1);
	}
	if (rc == 0 && dss_jstrings_next(&j, err) != 0)
		rc = 99;	/* must stay at the end */
	dss_jstrings_free(&j);
	fclose(fp);
	return rc;
}

static void
good(const char *text, const char *want, const char *name)
{
	struct dss_err err = DSS_ERR_INIT;
	char out[256];
	int rc = read_all(text, out, sizeof(out), &err);

	if (!is_int(rc, 0, name))
		printf("#   error: %s\n", err.msg);
	is_str(out, want, name);
}

static void
bad(const char *text, const char *msg, const char *name)
{
	struct dss_err err = DSS_ERR_INIT;
	char out[256];

	is_int(read_all(text, out, sizeof(out), &err), -1, name);
	is_str(err.msg, msg, name);
}

static void
test_jstrings(void)
{
	good("[\"a\", \"b\"]", "a|b", "two strings");
	good(" \n[ ]\n", "", "an empty array, whitespace around");
	good("[\"q\\\"u\\\\o\\/t\\b\\f\\n\\r\\t\"]", "q\"u\\o/t\b\f\n\r\t",
	    "simple escapes");
	good("[\"caf\\u00e9 \\u20ac \\ud83d\\ude00\"]",
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	    "\\u escapes and a surrogate pair to UTF-8");
	good("[\"raw caf\xc3\xa9\"]", "raw caf\xc3\xa9", "raw UTF-8 passes through");
	good("[\"\\ud800x\"]", "\xef\xbf\xbdx", "a lone high surrogate is U+FFFD");
	good("[\"\\udc00\"]", "\xef\xbf\xbd", "a lone low surrogate is U+FFFD");
	good("[\"\\ud800\\u0041\"]", "\xef\xbf\xbd" "A",
	    "a high surrogate before a non-surrogate escape");
	good("[\"\\ud800\\n\"]", "\xef\xbf\xbd\n",
	    "a high surrogate before another escape");
	good("[\"\\ud800\\ud83d\\ude00\"]", "\xef\xbf\xbd\xf0\x9f\x98\x80",
	    "a high surrogate before a pair");
	good("[\"a\\u0000b\"]", "a\xef\xbf\xbd" "b", "\\u0000 is U+FFFD");

	bad("{\"a\": 1}", "byte 1: not a JSON array", "an object is refused");
	bad("", "byte 1: not a JSON array", "empty input is refused");
	bad("[\"a\" \"b\"]", "byte 6: expected ',' or ']'", "a missing comma");
	bad("[\"a\", 1]", "byte 7: array element is not a string", "a number");
	bad("[\"a\",]", "byte 6: array element is not a string", "a trailing comma");
	bad("[\"a\x01\"]", "byte 4: control character in string",
	    "a raw control character");
	bad("[\"\\q\"]", "byte 4: invalid escape", "an unknown escape");
	bad("[\"\\u12G4\"]", "byte 7: invalid \\u escape", "a bad hex digit");
	bad("[\"abc", "byte 6: unterminated string", "a cut string");
	bad("[\"abc\"", "byte 7: expected ',' or ']'", "a cut array");
	bad("[\"a\"] x", "byte 7: data after the array", "data after the array");
}

/* Builds the example for a row and returns it (static), or NULL. */
static const char *
example(const char *ds, const char *split, long long index, const char *json,
    struct dss_err *err)
{
	static char out[2048];
	struct dss_buf b = DSS_BUF_INIT;

	if (dss_release_example(ds, split, index, json, strlen(json), &b,
	    err) < 0) {
		dss_buf_free(&b);
		return NULL;
	}
	snprintf(out, sizeof(out), "%s", b.data);
	dss_buf_free(&b);
	return out;
}

static void
test_examples(void)
{
	struct dss_err err = DSS_ERR_INIT;

	is_str(example("esnli", "valid", 3, "{\"premise\":\"P\",\"hypothesis\":\"H\","
	    "\"label\":2,\"explanation_1\":\"E1\",\"explanation_2\":\"\","
	    "\"explanation_3\":\"E3\"}", &err),
	    "{\"dataset\":\"esnli\",\"split\":\"valid\",\"id\":\"esnli-valid-000003\","
	    "\"index\":3,\"input\":\"P</s>H\",\"label\":\"contradiction\","
	    "\"fields\":{\"premise\":\"P\",\"hypothesis\":\"H\","
	    "\"explanations\":[\"E1\",\"E3\"]}}",
	    "esnli: label 2, empty explanations left out");
	is_str(example("anli1", "train", 1234567, "{\"uid\":\"u\",\"premise\":\"P\","
	    "\"hypothesis\":\"H\",\"label\":\"neutral\",\"reason\":\"R\"}", &err),
	    "{\"dataset\":\"anli1\",\"split\":\"train\",\"id\":\"anli1-train-1234567\","
	    "\"index\":1234567,\"input\":\"P</s>H\",\"label\":\"neutral\","
	    "\"fields\":{\"premise\":\"P\",\"hypothesis\":\"H\",\"source_id\":\"u\","
	    "\"reason\":\"R\"}}",
	    "anli1: a label already named, uid as source_id, a 7-digit index");
	is_str(example("anli1", "test", 0, "{\"premise\":\"P\",\"hypothesis\":\"H\","
	    "\"label\":\"e\"}", &err),
	    "{\"dataset\":\"anli1\",\"split\":\"test\",\"id\":\"anli1-test-000000\","
	    "\"index\":0,\"input\":\"P</s>H\",\"label\":\"entailment\","
	    "\"fields\":{\"premise\":\"P\",\"hypothesis\":\"H\"}}",
	    "anli1: letter label, no uid or reason");
	ok(example("esnli", "train", 0, "{\"premise\":\"P\",\"hypothesis\":\"H\","
	    "\"label\":-1}", &err) == NULL, "esnli: label -1 is refused");
	is_str(err.msg, "field 'label' is not 0, 1 or 2", "label -1 message");
	ok(example("esnli", "train", 0, "{\"premise\":\"P\",\"hypothesis\":\"H\","
	    "\"label\":1.5}", &err) == NULL, "esnli: label 1.5 is refused");
	ok(example("esnli", "train", 0, "{\"hypothesis\":\"H\",\"label\":1}",
	    &err) == NULL, "esnli: a missing premise is refused");
	is_str(err.msg, "field 'premise' is missing", "missing premise message");
	ok(example("esnli", "train", 0, "{\"premise\":\"P\",\"hypothesis\":\"H\","
	    "\"label\":1,\"explanation_1\":7}", &err) == NULL,
	    "esnli: a number as explanation is refused");
	is_str(err.msg, "field 'explanation_1' is not a string",
	    "explanation type message");

	is_str(example("cqa", "test", 5, "{\"id\":\"x1\",\"question\":\"Q?\","
	    "\"choices\":[\"a\",\"b\",\"c\",\"d\",\"e\"],\"answer\":\"c\","
	    "\"abstractive_explanation\":\"AE\"}", &err),
	    "{\"dataset\":\"cqa\",\"split\":\"test\",\"id\":\"cqa-test-000005\","
	    "\"index\":5,\"input\":\"Q?\\nAnswer Choices:\\n(a) a\\n(b) b\\n(c) c\\n"
	    "(d) d\\n(e) e\",\"label\":\"c\",\"fields\":{\"question\":\"Q?\","
	    "\"choices\":[\"a\",\"b\",\"c\",\"d\",\"e\"],\"answer_key\":\"C\","
	    "\"source_id\":\"x1\"}}",
	    "cqa: input as the official code builds it, answer_key derived");
	is_str(example("cqa", "train", 0, "{\"question\":\"Q\","
	    "\"choices\":[\"a\",\"b\",\"a\",\"d\",\"e\"],\"answer\":\"a\"}", &err),
	    "{\"dataset\":\"cqa\",\"split\":\"train\",\"id\":\"cqa-train-000000\","
	    "\"index\":0,\"input\":\"Q\\nAnswer Choices:\\n(a) a\\n(b) b\\n(c) a\\n"
	    "(d) d\\n(e) e\",\"label\":\"a\",\"fields\":{\"question\":\"Q\","
	    "\"choices\":[\"a\",\"b\",\"a\",\"d\",\"e\"]}}",
	    "cqa: no answer_key when two choices equal the answer");
	ok(example("cqa", "train", 0, "{\"question\":\"Q\",\"choices\":[\"a\",\"b\","
	    "\"c\",\"d\"],\"answer\":\"a\"}", &err) == NULL,
	    "cqa: four choices are refused");
	is_str(err.msg, "field 'choices' is not an array of 5 strings",
	    "four choices message");
	ok(example("cqa", "train", 0, "{\"question\":\"Q\",\"choices\":[\"a\",\"b\","
	    "\"c\",\"d\",\"e\"]}", &err) == NULL, "cqa: a missing answer is refused");
	is_str(err.msg, "field 'answer' is missing", "missing answer message");

	is_str(example("svamp", "train", 42, "{\"input\":\"B1\\nB2\\nQ?\","
	    "\"label\":\"( 1.0 + 2.0 )\"}", &err),
	    "{\"dataset\":\"svamp\",\"split\":\"train\",\"id\":\"svamp-train-000042\","
	    "\"index\":42,\"input\":\"B1\\nB2\\nQ?\",\"label\":\"( 1.0 + 2.0 )\","
	    "\"fields\":{\"body\":\"B1\\nB2\",\"question\":\"Q?\","
	    "\"equation\":\"( 1.0 + 2.0 )\"}}",
	    "svamp: body and question split at the last newline");
	is_str(example("svamp", "test", 1, "{\"input\":\"no newline\","
	    "\"label\":\"( 1.0 )\"}", &err),
	    "{\"dataset\":\"svamp\",\"split\":\"test\",\"id\":\"svamp-test-000001\","
	    "\"index\":1,\"input\":\"no newline\",\"label\":\"( 1.0 )\","
	    "\"fields\":{\"equation\":\"( 1.0 )\"}}",
	    "svamp: without a newline no body or question");
	ok(example("svamp", "test", 1, "{\"input\":\"a\\nb\",\"label\":3}", &err)
	    == NULL, "svamp: a numeric label is refused");
	is_str(err.msg, "field 'label' is not a string", "numeric label message");
	ok(example("asdiv", "test", 1, "{}", &err) == NULL, "asdiv is unknown");
}

static void
test_completion(void)
{
	struct dss_err err = DSS_ERR_INIT;
	static const char row[] = "{\"input\":\"a\\nb\",\"label\":\"( 1.0 )\"}";
	struct dss_buf ex = DSS_BUF_INIT, c = DSS_BUF_INIT;
	char req[65];

	ok(dss_release_example("svamp", "train", 42, row, strlen(row), &ex,
	    &err) == 0, "an svamp example");
	ok(dss_release_completion(ex.data, ex.len, "svamp", "train", 42, "text",
	    4, &c) == 0, "its completion");
	dss_release_request("palm-540b", "svamp", "train", 42, 0, req);
	is_str(req, "39ffe3a188378507dc219028209d58c75974f180f58823efea0a3f3fb567a547",
	    "request is sha256 of [\"palm-540b\",\"svamp\",\"train\",42,0]");
	is_str(c.data, "{\"dataset\":\"svamp\",\"split\":\"train\",\"id\":\"svamp-train-000042\","
	    "\"index\":42,\"input\":\"a\\nb\",\"label\":\"( 1.0 )\",\"fields\":{\"body\":"
	    "\"a\",\"question\":\"b\",\"equation\":\"( 1.0 )\"},\"teacher\":\"palm-540b\","
	    "\"sample\":0,\"completion\":\"text\",\"finish_reason\":null,\"usage\":null,"
	    "\"latency_ms\":null,\"request\":"
	    "\"39ffe3a188378507dc219028209d58c75974f180f58823efea0a3f3fb567a547\"}",
	    "completion record: example keys, then the teacher's");
	dss_buf_free(&ex);
	dss_buf_free(&c);
	dss_release_request("palm-540b", "svamp", "train", 43, 0, req);
	ok(strcmp(req, "39ffe3a188378507dc219028209d58c75974f180f58823efea0a3f3fb567a547")
	    != 0, "another index, another request");
}

static void
test_names(void)
{
	ok(dss_release_dataset_known("esnli") && dss_release_dataset_known("svamp") &&
	    !dss_release_dataset_known("asdiv") && !dss_release_dataset_known("esnl"),
	    "known datasets");
	ok(dss_release_has_split("esnli", "valid") && dss_release_has_split("anli1", "valid") &&
	    !dss_release_has_split("cqa", "valid") && !dss_release_has_split("svamp", "valid") &&
	    dss_release_has_split("cqa", "test") && !dss_release_has_split("cqa", "dev"),
	    "cqa and svamp have no valid split");
	is_int(dss_release_batch_size("esnli"), 5500, "esnli batches of 5500");
	is_int(dss_release_batch_size("anli1"), 5000, "anli1 batches of 5000");
	is_int(dss_release_batch_size("cqa"), 1000, "cqa batches of 1000");
	is_int(dss_release_batch_size("svamp"), 500, "svamp batches of 500");
	is_int(dss_release_batch_size("gsm8k"), 0, "no batch size for others");
}

static void
put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL || fputs(text, fp) == EOF ||
	    fclose(fp) == EOF)
		abort();
}

/* Counts records that are one line of one JSON object each. */
static int
count(void *arg, const char *json, size_t len, struct dss_err *err)
{
	(*(int *)arg)++;
	return len >= 3 && json[0] == '{' && json[len - 2] == '}' &&
	    json[len - 1] == '\n' && memchr(json, '\n', len - 1) == NULL ? 0 :
	    dss_err_set(err, "not a record line");
}

static int
stop_at_three(void *arg, const char *json, size_t len, struct dss_err *err)
{
	if (++*(int *)arg == 3)
		return dss_err_set(err, "cannot write 'stdout': No space left on device");
	return 0;
}

static void
test_run(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[400], sub[600];
	static const char row[] = "{\"id\":\"i\",\"question\":\"Q\","
	    "\"choices\":[\"a\",\"b\",\"c\",\"d\",\"e\"],\"answer\":\"b\"}\n";
	struct dss_release_opts o = DSS_RELEASE_OPTS_INIT;
	struct dss_err err = DSS_ERR_INIT;
	struct dss_release *r;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/dss-test-release.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(sub, sizeof(sub), "%s/cqa", dir);
	mkdir(sub, 0700);
	snprintf(sub, sizeof(sub), "%s/cqa/llm", dir);
	mkdir(sub, 0700);
	snprintf(sub, sizeof(sub), "%s/cqa", dir);
	put(sub, "cqa_train.json", row);
	put(sub, "cqa_test.json", "");
	put(sub, "llm/train_CoT_0.json", "[\"one\"]");

	r = dss_release_open(dir, &err);
	ok(r != NULL, "a directory that is the datasets directory opens");
	if (r == NULL) {
		printf("#   %s\n", err.msg);
		return;
	}
	is_int(dss_release_run(r, &o, NULL, NULL, &err), 0, "check passes");
	is_int(dss_release_run(r, &o, count, &n, &err), 0, "emitting passes");
	is_int(n, 2, "one example and its completion; an empty test split");
	n = 0;
	is_int(dss_release_run(r, &o, stop_at_three, &n, &err), 0,
	    "two records only: the failing third call never comes");
	dss_release_close(r);

	put(sub, "cqa_train.json", "{\"question\":\"Q\",\"choices\":[\"a\",\"b\",\"c\","
	    "\"d\",\"e\"],\"answer\":\"b\"}\n{\"question\":\"R\",\"choices\":[\"a\","
	    "\"b\",\"c\",\"d\",\"e\"],\"answer\":\"e\"}\n");
	r = dss_release_open(dir, &err);
	is_int(dss_release_run(r, &o, NULL, NULL, &err), -1,
	    "check: two examples, one completion");
	is_str(err.msg, "'datasets/cqa/llm/train_CoT_0.json': 1 completions, "
	    "expected 2", "check names the batch and both counts");
	n = 0;
	is_int(dss_release_run(r, &o, count, &n, &err), -1,
	    "emitting without the check stops at the missing completion");
	is_int(n, 3, "after example 0, its completion and example 1");
	is_str(err.msg, "'datasets/cqa/llm/train_CoT_0.json': completions do "
	    "not line up with the examples", "emitting names the batch");
	n = 0;
	is_int(dss_release_run(r, &o, stop_at_three, &n, &err), -1,
	    "a failing callback stops the run");
	is_str(err.msg, "cannot write 'stdout': No space left on device",
	    "with the callback's message");
	o.what = DSS_RELEASE_EXAMPLES;
	n = 0;
	is_int(dss_release_run(r, &o, count, &n, &err), 0,
	    "examples alone need no completions");
	is_int(n, 2, "two examples");
	o.what = DSS_RELEASE_EXAMPLES | DSS_RELEASE_COMPLETIONS;
	o.dataset = "esnli";
	is_int(dss_release_run(r, &o, NULL, NULL, &err), -1, "esnli is not there");
	ok(strncmp(err.msg, "no dataset 'esnli' in '", 23) == 0 &&
	    strstr(err.msg, "dss-test-release.") != NULL,
	    "no dataset 'esnli' message");
	o.dataset = NULL;
	o.split = "valid";
	is_int(dss_release_run(r, &o, NULL, NULL, &err), -1,
	    "no dataset of the release has valid");
	ok(strstr(err.msg, "no dataset with split 'valid' in '") == err.msg,
	    "no split message");
	dss_release_close(r);

	put(sub, "cqa_train.json", "");
	put(sub, "cqa_test.json", "");
	put(sub, "llm/train_CoT_0.json", "[]");
	put(sub, "llm/train_CoT_1.json", "[\"x\"]");
	r = dss_release_open(dir, &err);
	o.split = NULL;
	is_int(dss_release_run(r, &o, NULL, NULL, &err), -1,
	    "no examples but a batch 1");
	is_str(err.msg, "'datasets/cqa/llm/train_CoT_1.json': 1 completions, "
	    "expected 0", "a batch beyond the examples is refused");
	dss_release_close(r);

	put(sub, "llm/train_CoT_100000.json", "[]");
	r = dss_release_open(dir, &err);
	ok(r == NULL, "a batch number over 100000 is refused");
	is_str(err.msg, "'datasets/cqa/llm/train_CoT_100000.json': batch number "
	    "over 100000", "batch number message");
	dss_release_close(r);
	snprintf(sub, sizeof(sub), "%s/cqa/llm/train_CoT_100000.json", dir);
	unlink(sub);

	snprintf(sub, sizeof(sub), "%s/svamp", dir);
	mkdir(sub, 0700);
	put(sub, "SVAMP.json", "[{\"ID\":\"chal-1\",\"Body\":\"B\",\"Question\":\"Q\","
	    "\"Equation\":\"( 1.0 )\",\"Answer\":1.0,\"Type\":\"T\"}]");
	put(sub, "svamp_train.json", "{\"input\":\"B\\nQ\",\"label\":\"( 1.0 )\"}\n");
	put(sub, "svamp_test.json", "{\"input\":\"B\\nQ\",\"label\":\"( 1.0 )\"}\n");
	o.dataset = "svamp";
	o.what = DSS_RELEASE_EXAMPLES;
	o.split = "train";
	n = 0;
	if ((r = dss_release_open(dir, &err)) == NULL)
		abort();
	is_int(dss_release_run(r, &o, count, &n, &err), 0,
	    "svamp train 0 is SVAMP.json problem 0 of a permutation of one");
	o.split = "test";
	is_int(dss_release_run(r, &o, NULL, NULL, &err), -1,
	    "svamp test 0 would be problem 800 of a one-problem SVAMP.json");
	is_str(err.msg, "'datasets/svamp/svamp_test.json': line 1: no problem for "
	    "it in 'datasets/svamp/SVAMP.json'", "no problem message");
	dss_release_close(r);

	snprintf(sub, sizeof(sub), "rm -rf '%s'", dir);
	if (system(sub) != 0)
		abort();
}

int
main(void)
{
	/* The release's datasets are those of the bundled manifests. */
	setenv("DSS_DATASETS", "datasets", 1);
	test_jstrings();
	test_examples();
	test_completion();
	test_names();
	test_run();
	return done();
}
