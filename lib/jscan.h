/* SPDX-License-Identifier: MIT */
/*
 * A fast, strict JSON scanner for hot record paths.  It validates one
 * JSON object (or array) in a single pass and records where each of its
 * top-level members lies in the text, without building a tree; string
 * values are decoded only when asked for, and other values can be
 * copied to the output byte for byte.  dss-filter uses it to pass a
 * record's provenance through untouched at a fraction of the cost of
 * parsing and printing it with cJSON.  Nothing is allocated per value:
 * only the member table grows, up to the widest object seen.
 */
#ifndef DSS_JSCAN_H
#define DSS_JSCAN_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define DSS_JSCAN_MAX_DEPTH 512

enum dss_jscan_type {
	DSS_JSCAN_STRING,
	DSS_JSCAN_NUMBER,
	DSS_JSCAN_OBJECT,
	DSS_JSCAN_ARRAY,
	DSS_JSCAN_TRUE,
	DSS_JSCAN_FALSE,
	DSS_JSCAN_NULL
};

/* One member (or array element, with key NULL): spans into the text. */
struct dss_jscan_member {
	const char *key;	/* raw key between the quotes, still escaped */
	size_t keylen;
	int key_escaped;	/* the raw key holds a backslash */
	const char *val;	/* the value's JSON text, quotes included */
	size_t vallen;
	enum dss_jscan_type type;
};

struct dss_jscan {
	struct dss_jscan_member *m;	/* owned; spans point into the text */
	size_t n, cap;
};

#define DSS_JSCAN_INIT { NULL, 0, 0 }

/*
 * Validates the n bytes at s as exactly one JSON object, with optional
 * surrounding whitespace, and records its members in order.  Returns 0,
 * or -1 with err "invalid JSON near byte N" (0-based) or "record is not
 * a JSON object".  The spans stay valid as long as s does.
 */
int dss_jscan_object(struct dss_jscan *j, const char *s, size_t n,
    struct dss_err *err);
/* The same for a JSON array; elements are recorded with key NULL. */
int dss_jscan_array(struct dss_jscan *j, const char *s, size_t n,
    struct dss_err *err);
/* The first member called key, or NULL. */
const struct dss_jscan_member *dss_jscan_get(const struct dss_jscan *j,
    const char *key);
void dss_jscan_free(struct dss_jscan *j);

/*
 * Decodes the JSON string literal val (quotes included, as validated by
 * the scanner) and appends the UTF-8 text to b, which stays
 * NUL-terminated.  Returns -1 when b cannot grow.
 */
int dss_jscan_unquote(struct dss_buf *b, const char *val, size_t len);
/*
 * Appends the n bytes at s to b as the inside of a JSON string literal
 * (no quotes): '"', '\\' and controls escaped, \u00XX in lower case
 * where there is no short form.  Returns -1 when b cannot grow.
 */
int dss_jscan_escape(struct dss_buf *b, const char *s, size_t n);
/* Appends the n bytes at s to b as a JSON string literal.  Returns -1 when b cannot grow. */
int dss_jscan_quote(struct dss_buf *b, const char *s, size_t n);
/*
 * Appends v as a JSON number in the fewest digits (15 to 17) that read
 * back as the same double, or null when v is not finite.  Returns -1
 * when b cannot grow.
 */
int dss_jscan_number(struct dss_buf *b, double v);

#endif
