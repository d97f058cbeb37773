/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the response parsers of the teacher providers (lib/teacher_*),
 * the extraction of a message from an error body, and the masking of the
 * key in a body (which must keep its length): the first byte picks the
 * provider, the rest is the HTTP body.
 */
#include <stdlib.h>
#include <string.h>

#include "../../lib/teacher.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const specs[] = {
		"openai:m", "openai-completions:m", "anthropic:m", "gemini:m",
	};
	static struct dss_teacher t[4];
	static int opened;
	struct dss_err err = DSS_ERR_INIT;
	struct dss_teacher_result res = DSS_TEACHER_RESULT_INIT;
	struct dss_teacher *tp;
	char msg[512], *copy;
	size_t i;

	if (!opened) {
		for (i = 0; i < 4; i++)
			if (dss_teacher_open(&t[i], specs[i], "http://127.0.0.1:9",
			    NULL, &err) < 0)
				abort();
		/* a key to mask (a loopback teacher needs none) */
		for (i = 0; i < 4; i++)
			t[i].key = "sk-fuzz-0123456789abcdef";
		opened = 1;
	}
	if (size == 0)
		return 0;
	tp = &t[data[0] % 4];
	(void)tp->ops->parse(tp, (const char *)data + 1, size - 1, &res, &err);
	dss_teacher_result_free(&res);
	dss_teacher_error_message(tp, (const char *)data + 1, size - 1, msg,
	    sizeof(msg));
	if ((copy = malloc(size)) == NULL)
		abort();
	memcpy(copy, data + 1, size - 1);
	if (dss_teacher_mask_json(tp, copy, size - 1) > size - 1)
		abort();
	free(copy);
	return 0;
}
