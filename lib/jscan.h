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
 *
 * The scanner holds text to the rules every dss tool applies to its
 * input records (see "Input records" in dss(7)): strict RFC 8259 JSON,
 * strings of valid UTF-8 (no overlong forms, no encoded surrogates,
 * nothing past U+10FFFF), no escape that decodes to a NUL (\u0000)
 * or to half of a UTF-16 surrogate pair, and a top-level object whose
 * member names (decoded) are all different.  A byte-order mark is not JSON:
 * the line reader (jsonl.h) drops one at the start of its input and the
 * scanner names any other.  The same module repairs teacher responses,
 * which are not ours to refuse: dss_jscan_repair.
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
	int val_escaped;	/* a string value holding a backslash */
};

struct dss_jscan {
	struct dss_jscan_member *m;	/* owned; spans point into the text */
	size_t n, cap;
};

#define DSS_JSCAN_INIT { NULL, 0, 0 }

/*
 * Validates the n bytes at s as exactly one JSON object, with optional
 * surrounding whitespace, and records its members in order.  Returns 0;
 * -1 with err "invalid JSON near byte N" (0-based), "record is not a
 * JSON object", or, naming the top-level field, "field 'F' is not valid
 * UTF-8 (byte 0xff at byte N)", "field 'F' holds a NUL character
 * (\u0000 at byte N)", "field 'F' holds a lone surrogate (\ud800 at
 * byte N)", "a byte-order mark (U+FEFF) at byte N where JSON should
 * start", "field 'F' is given twice"; or -2 when out of memory.  The spans stay valid as long as s
 * does.  j may be NULL to validate only.
 */
int dss_jscan_object(struct dss_jscan *j, const char *s, size_t n,
    struct dss_err *err);
/* The same for a JSON array; elements are recorded with key NULL. */
int dss_jscan_array(struct dss_jscan *j, const char *s, size_t n,
    struct dss_err *err);
/*
 * Validates the n bytes at s as one JSON value of any type by the same
 * rules, recording nothing (for whole documents parsed with cJSON
 * afterwards; elements of a top-level array are named "element N").
 * Returns 0, or -1 with err set as above.
 */
int dss_jscan_check(const char *s, size_t n, struct dss_err *err);
/*
 * The same for a whole file read into *s (*n bytes), as the line reader
 * treats its input: a byte-order mark at its very start is dropped (*s
 * and *n move past it), then the text is checked.  Returns 0 or -1.
 */
int dss_jscan_document(const char **s, size_t *n, struct dss_err *err);
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
/*
 * The length of the longest prefix of the n bytes at s that a JSON
 * string literal holds as it stands: no '"', '\\' or control character.
 */
size_t dss_jscan_plain(const char *s, size_t n);
/* Appends the n bytes at s to b as a JSON string literal.  Returns -1 when b cannot grow. */
int dss_jscan_quote(struct dss_buf *b, const char *s, size_t n);
/*
 * Appends v as a JSON number in the fewest digits (15 to 17) that read
 * back as the same double, or null when v is not finite.  Returns -1
 * when b cannot grow.
 */
int dss_jscan_number(struct dss_buf *b, double v);
/*
 * Appends v as cJSON_PrintUnformatted writes a number, for files that
 * must read byte for byte as cJSON printed them: a whole number in the
 * range of an int as such, else 15 significant digits when they read
 * back as v to within a relative DBL_EPSILON, else 17; null when v is
 * not finite.  Returns -1 when b cannot grow.
 */
int dss_jscan_number_cjson(struct dss_buf *b, double v);

/* The UTF-8 byte-order mark, U+FEFF. */
#define DSS_UTF8_BOM "\xef\xbb\xbf"

/*
 * The length (1 to 4) of the valid UTF-8 character at s, of n bytes at
 * most, or 0 when the bytes there are not one (a stray continuation
 * byte, an overlong form, an encoded surrogate, past U+10FFFF, or cut
 * short).
 */
size_t dss_utf8_seq(const char *s, size_t n);
/*
 * Replaces every ill-formed UTF-8 sequence in b (each maximal subpart,
 * as the Unicode standard recommends) with U+FFFD, in place.  Sets
 * *nrepaired (which may be NULL) to the number of replacements.  Returns
 * 0, or -1 when out of memory (b is then unchanged).
 */
int dss_utf8_repair(struct dss_buf *b, size_t *nrepaired);
/*
 * The same for raw JSON text, such as a teacher's response body: besides
 * ill-formed UTF-8, an escape of a NUL (\u0000) or of a lone surrogate
 * inside a string becomes \ufffd, so that a parser decodes U+FFFD
 * instead of cutting the text short or failing.  Returns 0 or -1 as
 * above.
 */
int dss_jscan_repair(struct dss_buf *b, size_t *nrepaired);

#endif
