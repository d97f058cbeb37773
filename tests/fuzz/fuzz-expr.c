/* SPDX-License-Identifier: MIT */
/* Fuzzes the svamp equation evaluator (lib/expr). */
#include "../../lib/expr.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dss_err err = DSS_ERR_INIT;
	double v;

	if (dss_expr_evaln((const char *)data, size, &v, &err) == 0)
		(void)dss_expr_equal(v, v, DSS_EXPR_REL_TOL);
	return 0;
}
