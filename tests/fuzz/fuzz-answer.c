/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes answer extraction (lib/answer) with the rules of a bundled
 * manifest of every kind (datasets/cqa.json, esnli.json, svamp.json, read
 * from the top of the tree): the first byte picks the kind and the finish
 * reason, the rest is the completion.
 */
#include "../../lib/answer.h"
#include "../../lib/manifest.h"
#include "fuzz.h"

/* The answer rules of the manifest at path, or NULL. */
static struct dss_answer_config *
rules(const char *path, struct dss_err *err)
{
	struct dss_manifest *m = dss_manifest_load(path, err);
	struct dss_answer_config *c = NULL;

	if (m != NULL)
		c = dss_answer_config_new(cJSON_GetObjectItemCaseSensitive(
		    dss_manifest_json(m), "answer"), err);
	dss_manifest_free(m);
	return c;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dss_answer_config *cfg[3];
	static const char *const choices[] = {
		"ocean", "sea", "lake", "river", "pond",
	};
	struct dss_err err = DSS_ERR_INIT;
	struct dss_answer a = DSS_ANSWER_INIT;
	enum dss_answer_kind kind;
	char *text;

	if (cfg[0] == NULL) {
		cfg[DSS_ANSWER_CHOICE] = rules("datasets/cqa.json", &err);
		cfg[DSS_ANSWER_NLI] = rules("datasets/esnli.json", &err);
		cfg[DSS_ANSWER_EQUATION] = rules("datasets/svamp.json", &err);
		if (cfg[0] == NULL || cfg[1] == NULL || cfg[2] == NULL)
			abort();
	}
	if (size == 0)
		return 0;
	kind = (enum dss_answer_kind)(data[0] % 3);
	text = fuzz_str(data + 1, size - 1);
	if (dss_answer_extract(cfg[kind], text, size - 1,
	    (data[0] & 4) ? "length" : NULL, choices, 5, &a, &err) == 0 &&
	    a.status == DSS_ANSWER_OK)
		(void)dss_answer_same(kind, a.answer.data, a.answer.data);
	dss_answer_free(&a);
	free(text);
	return 0;
}
