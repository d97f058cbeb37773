/* SPDX-License-Identifier: MIT */
/* Fuzzes the JSON Lines reader every tool reads records with (lib/jsonl). */
#include <stdio.h>

#include "../../lib/jsonl.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dss_err err = DSS_ERR_INIT;
	FILE *fp;
	struct dss_lines l;
	cJSON *rec;
	size_t calls = 0;
	int r;

	if (size == 0 || (fp = fmemopen((void *)data, size, "r")) == NULL)
		return 0;
	l = (struct dss_lines)DSS_LINES_INIT(fp, "fuzz");
	l.max = 1 << 10;	/* over-long lines are fuzzed too */
	/* After a bad line the reader goes on with the next one. */
	while ((r = dss_jsonl_next(&l, &rec, &err)) != 0 && calls++ <= size) {
		if (r == 1)
			cJSON_Delete(rec);
	}
	dss_lines_free(&l);
	fclose(fp);
	return 0;
}
