/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the readers of the official release (lib/release): a batch
 * file (a JSON array of strings, read as a stream), and an examples row
 * of each dataset turned into an example record.  The first byte picks
 * which.  The datasets are those of the bundled manifests (datasets/,
 * from the top of the tree).
 */
#include <stdio.h>
#include <stdlib.h>

#include "../../lib/release.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const datasets[] = { "esnli", "anli1", "cqa", "svamp" };
	struct dss_err err = DSS_ERR_INIT;

	if (getenv("DSS_DATASETS") == NULL)
		setenv("DSS_DATASETS", "datasets", 1);
	if (size == 0)
		return 0;
	if (data[0] & 1) {
		FILE *fp = fmemopen((void *)(data + 1), size - 1, "r");
		struct dss_jstrings j;

		if (size == 1 || fp == NULL)
			return 0;
		j = (struct dss_jstrings)DSS_JSTRINGS_INIT(fp);
		while (dss_jstrings_next(&j, &err) == 1)
			;
		dss_jstrings_free(&j);
		fclose(fp);
	} else {
		struct dss_buf ex = DSS_BUF_INIT, c = DSS_BUF_INIT;

		if (dss_release_example(datasets[(data[0] >> 1) % 4],
		    (data[0] & 8) ? "test" : "train", 3, (const char *)data + 1,
		    size - 1, &ex, &err) == 0)
			(void)dss_release_completion(ex.data, ex.len,
			    datasets[(data[0] >> 1) % 4],
			    (data[0] & 8) ? "test" : "train", 3,
			    "So the answer is x.", 19, &c);
		dss_buf_free(&ex);
		dss_buf_free(&c);
	}
	return 0;
}
