/* SPDX-License-Identifier: MIT */
/*
 * The escaping rule stated in jscan.h, one byte at a time: the plain
 * reference that the unit tests hold dss_jscan_escape's word-at-a-time
 * scan to.
 */
#ifndef DSS_TEST_REF_ESCAPE_H
#define DSS_TEST_REF_ESCAPE_H

#include "../../lib/buf.h"

static void
ref_escape(struct dss_buf *b, const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '"': dss_buf_adds(b, "\\\""); break;
		case '\\': dss_buf_adds(b, "\\\\"); break;
		case '\n': dss_buf_adds(b, "\\n"); break;
		case '\r': dss_buf_adds(b, "\\r"); break;
		case '\t': dss_buf_adds(b, "\\t"); break;
		case '\b': dss_buf_adds(b, "\\b"); break;
		case '\f': dss_buf_adds(b, "\\f"); break;
		default:
			if (s[i] < 0x20)
				dss_buf_addf(b, "\\u%04x", s[i]);
			else
				dss_buf_addch(b, (char)s[i]);
		}
	}
}

#endif
