/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes answer extraction (lib/answer) with the built-in rules of every
 * kind: the first byte picks the kind and the finish reason, the rest is
 * the completion.
 */
#include "../../lib/answer.h"
#include "fuzz.h"

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
		cfg[0] = dss_answer_config_kind(DSS_ANSWER_CHOICE, &err);
		cfg[1] = dss_answer_config_kind(DSS_ANSWER_NLI, &err);
		cfg[2] = dss_answer_config_kind(DSS_ANSWER_EQUATION, &err);
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
