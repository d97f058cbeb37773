/* SPDX-License-Identifier: MIT */
/* Fuzzes the dataset manifest loader (lib/manifest) and the answer rules it carries. */
#include "../../lib/answer.h"
#include "../../lib/manifest.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_manifest *m;
	char *text = fuzz_str(data, size);

	if ((m = dss_manifest_parse(text, "fuzz.json", &err)) != NULL) {
		const cJSON *spec = cJSON_GetObjectItemCaseSensitive(
		    dss_manifest_json(m), "answer");
		size_t i;

		for (i = 0; i < m->nsplits; i++)
			(void)dss_manifest_split(m, m->splits[i].name);
		(void)dss_manifest_field(m, "premise");
		if (spec != NULL) {
			struct dss_answer_config *c = dss_answer_config_new(spec, &err);

			dss_answer_config_free(c);
		}
		dss_manifest_free(m);
	}
	free(text);
	return 0;
}
