/* SPDX-License-Identifier: MIT */
/* Fuzzes the CSV reader (lib/csv): a header, then every row to the end. */
#include <stdio.h>

#include "../../lib/csv.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_csv *c;
	FILE *fp;
	size_t i, len, total = 0;

	if (size == 0 || (fp = fmemopen((void *)data, size, "r")) == NULL)
		return 0;
	if ((c = dss_csv_open(fp, "fuzz.csv", &err)) != NULL) {
		dss_csv_set_field_max(c, 4096);
		if (dss_csv_read_header(c, &err) == 0) {
			(void)dss_csv_column(c, "gold_label");
			while (dss_csv_next(c, &err) == 1) {
				for (i = 0; i < dss_csv_count(c); i++)
					total += dss_csv_field(c, i, &len) != NULL ? len : 0;
				(void)dss_csv_lineno(c);
			}
		}
		dss_csv_close(c);
	}
	fclose(fp);
	return total == (size_t)-1;
}
