/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the JSON scanner that dss-filter and dss-store read records
 * with (lib/jscan): scan an object, then decode every string member.
 */
#include "../../lib/jscan.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_jscan j = DSS_JSCAN_INIT, sub = DSS_JSCAN_INIT;
	struct dss_buf b = DSS_BUF_INIT;
	size_t i;

	if (dss_jscan_object(&j, (const char *)data, size, &err) == 0) {
		for (i = 0; i < j.n; i++) {
			const struct dss_jscan_member *m = &j.m[i];

			dss_buf_reset(&b);
			if (m->type == DSS_JSCAN_STRING)
				(void)dss_jscan_unquote(&b, m->val, m->vallen);
			else if (m->type == DSS_JSCAN_ARRAY)
				(void)dss_jscan_array(&sub, m->val, m->vallen, &err);
			else if (m->type == DSS_JSCAN_OBJECT)
				(void)dss_jscan_object(&sub, m->val, m->vallen, &err);
		}
		(void)dss_jscan_get(&j, "completion");
	}
	dss_buf_reset(&b);
	(void)dss_jscan_escape(&b, (const char *)data, size);
	dss_buf_free(&b);
	dss_jscan_free(&sub);
	dss_jscan_free(&j);
	return 0;
}
