/* SPDX-License-Identifier: MIT */
/*
 * The one streaming writer of JSON records.  A record is appended to a
 * dss_buf member by member, each member as ,"key":VALUE; once its last
 * member is in, dss_jsonw_end makes the record's first comma its opening
 * brace and closes it with "}\n".  Keys are string literals, so that
 * their sizes are known when compiling; values are strings (escaped by
 * dss_jscan_escape), numbers (dss_jscan_number), booleans, null, or JSON
 * text taken as it is (a member value a scanner handed over).
 *
 * Every function returns 0, or -1 when b cannot grow (b then holds part
 * of the record: the caller truncates it back to where the record began).
 * cJSON stays for what is a tree by nature (configuration, provider
 * responses); records are written here.
 */
#ifndef DSS_JSONW_H
#define DSS_JSONW_H

#include <stddef.h>

#include "buf.h"
#include "jscan.h"

/* Appends the string literal lit as it is. */
#define DSS_JSONW_LIT(b, lit) dss_buf_add_fast((b), (lit), sizeof(lit) - 1)
/* Appends ,"key": for the string literal key. */
#define DSS_JSONW_KEY(b, key) DSS_JSONW_LIT((b), ",\"" key "\":")
/* ,"key": and a string value (null when s is NULL). */
#define DSS_JSONW_STR(b, key, s, n) \
	(DSS_JSONW_KEY((b), key) < 0 ? -1 : dss_jsonw_str((b), (s), (n)))
/* ,"key": and the n bytes of JSON text at v as they are. */
#define DSS_JSONW_RAW(b, key, v, n) \
	(DSS_JSONW_KEY((b), key) < 0 ? -1 : dss_buf_add_fast((b), (v), (n)))
/* ,"key": and a number (null when not finite). */
#define DSS_JSONW_NUM(b, key, v) \
	(DSS_JSONW_KEY((b), key) < 0 ? -1 : dss_jscan_number((b), (v)))
/* ,"key": and true, false, or null for a negative v. */
#define DSS_JSONW_BOOL(b, key, v) \
	(DSS_JSONW_KEY((b), key) < 0 ? -1 : dss_jsonw_bool((b), (v)))

/* The n bytes at s as a JSON string literal, or null when s is NULL. */
static inline int
dss_jsonw_str(struct dss_buf *b, const char *s, size_t n)
{
	if (s == NULL)
		return DSS_JSONW_LIT(b, "null");
	return dss_jscan_quote(b, s, n);
}

/* The n bytes at s, already escaped (dss_jscan_escape), in quotes. */
static inline int
dss_jsonw_escaped(struct dss_buf *b, const char *s, size_t n)
{
	if (dss_buf_grow_fast(b, n + 2) < 0)
		return -1;
	dss_buf_addch_fast(b, '"');
	dss_buf_add_fast(b, s, n);
	return dss_buf_addch_fast(b, '"');
}

/* true, false, or null for a negative v. */
static inline int
dss_jsonw_bool(struct dss_buf *b, int v)
{
	return v < 0 ? DSS_JSONW_LIT(b, "null") : v ? DSS_JSONW_LIT(b, "true") :
	    DSS_JSONW_LIT(b, "false");
}

/*
 * Ends the record begun at offset start of b, whose members were written
 * with a leading comma each: the first comma becomes '{', and "}\n" is
 * appended.  A record without members is "{}\n".
 */
static inline int
dss_jsonw_end(struct dss_buf *b, size_t start)
{
	if (start == b->len)
		return DSS_JSONW_LIT(b, "{}\n");
	b->data[start] = '{';
	return DSS_JSONW_LIT(b, "}\n");
}

#endif
