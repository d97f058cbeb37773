/* SPDX-License-Identifier: MIT */
/*
 * The fast JSON scanner: strict RFC 8259 validation by recursive descent
 * with a depth limit, recording the spans of one level of members, and
 * string decoding and quoting.  See jscan.h.  Every text is read first by
 * a scan that only says yes or no; a text it refuses is read again by the
 * precise scan, which finds the fault and names it.  Strings are searched
 * 16 bytes at a time (SSE2), else 8 (SWAR), for the bytes that need a
 * closer look.
 */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Why a scan failed, beyond plain syntax. */
enum why { W_SYNTAX, W_DEPTH, W_UTF8, W_NUL, W_SURROGATE };

struct scan {
	const char *s;
	size_t n, i;
	int depth;
	int escaped;	/* the last string scanned held a backslash */
	enum why why;	/* after a failure */
	size_t at;	/* the byte at fault, for W_UTF8, W_NUL, W_SURROGATE */
	const char *field;	/* the top-level member being scanned, or NULL */
	size_t fieldlen;
	long elem;	/* the top-level element being scanned, or -1 */
};

#define ONES ((uint64_t)0x0101010101010101ULL)
#define HIGHS ((uint64_t)0x8080808080808080ULL)

/* Nonzero when some byte of w is '"', '\\' or below 0x20 (SWAR). */
static uint64_t
special8(uint64_t w)
{
	uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\');

	return ((q - ONES) & ~q & HIGHS) | ((b - ONES) & ~b & HIGHS) |
	    ((w - ONES * 0x20) & ~w & HIGHS);
}

/* The same, and also for any byte from 0x80 up (the start of UTF-8). */
static uint64_t
special8_utf8(uint64_t w)
{
	return special8(w) | (w & HIGHS);
}

size_t
dss_utf8_seq(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned c;

	if (n == 0)
		return 0;
	c = p[0];
	if (c < 0x80)
		return 1;
	if (c < 0xC2)
		return 0;	/* a continuation byte, or an overlong lead */
	if (c < 0xE0)
		return n >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c < 0xF0) {
		if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		    (c == 0xE0 && p[1] < 0xA0) ||	/* overlong */
		    (c == 0xED && p[1] >= 0xA0))	/* a surrogate */
			return 0;
		return 3;
	}
	if (c < 0xF5) {
		if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		    (p[3] & 0xC0) != 0x80 ||
		    (c == 0xF0 && p[1] < 0x90) ||	/* overlong */
		    (c == 0xF4 && p[1] >= 0x90))	/* past U+10FFFF */
			return 0;
		return 4;
	}
	return 0;
}

static int value(struct scan *sc, enum dss_jscan_type *type);

/* Always inlined where the compiler allows it: the scanner's hot steps. */
#if defined(__GNUC__)
#define HOT static inline __attribute__((always_inline))
#define COLD static __attribute__((noinline))
#else
#define HOT static inline
#define COLD static
#endif

COLD void
ws_slow(struct scan *sc)
{
	while (sc->i < sc->n) {
		char c = sc->s[sc->i];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		sc->i++;
	}
}

/* Records are written without whitespace: one test in the common case. */
HOT void
ws(struct scan *sc)
{
	if (sc->i < sc->n && (unsigned char)sc->s[sc->i] > ' ')
		return;
	ws_slow(sc);
}

static int
hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static unsigned
hex4(const char *p)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		int c = (unsigned char)p[i];

		v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

static int
fail(struct scan *sc, enum why why, size_t at)
{
	sc->why = why;
	sc->at = at;
	sc->i = at;
	return -1;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR_EXACT 1	/* the lowest flag of special8 names its byte */
#else
#define SWAR_EXACT 0
#endif

/*
 * The offset of the first byte from i on that is '"', '\\' or a control
 * (and, with utf8, a byte from 0x80 up, which starts UTF-8 to check), or
 * n when there is none: sixteen bytes at a time with SSE2, eight with
 * SWAR, then one by one.  Always inlined, utf8 a constant, so that
 * plain_run and escape_run each get their own loop.
 */
static inline __attribute__((always_inline)) size_t
special_run(const unsigned char *s, size_t i, size_t n, int utf8)
{
	uint64_t w, m;

#ifdef __SSE2__
	const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
	const __m128i sp = _mm_set1_epi8(0x20), c1f = _mm_set1_epi8(0x1f);

	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(s + i));
		/* Signed: bytes from 0x80 up are negative, so below 0x20 too. */
		__m128i low = utf8 ? _mm_cmplt_epi8(v, sp) :
		    _mm_cmpeq_epi8(_mm_max_epu8(v, c1f), c1f);
		int bits = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)), low));

		if (bits != 0)
			return i + (size_t)__builtin_ctz((unsigned)bits);
	}
#endif
	/* Eight bytes at a time while 16 or more are left (without SSE2). */
	for (; n - i >= 16; i += 8) {
		memcpy(&w, s + i, 8);
		if ((m = utf8 ? special8_utf8(w) : special8(w)) != 0) {
			if (!SWAR_EXACT)
				break;
			return i + (size_t)__builtin_ctzll(m) / 8;
		}
	}
	/*
	 * 8 to 15 bytes left: the first eight, then the last eight, which
	 * overlap them (the overlap found clean, the lowest flag is exact).
	 */
	if (SWAR_EXACT && n - i >= 8) {
		memcpy(&w, s + i, 8);
		if ((m = utf8 ? special8_utf8(w) : special8(w)) != 0)
			return i + (size_t)__builtin_ctzll(m) / 8;
		memcpy(&w, s + n - 8, 8);
		if ((m = utf8 ? special8_utf8(w) : special8(w)) != 0)
			return n - 8 + (size_t)__builtin_ctzll(m) / 8;
		return n;
	}
	while (i < n && s[i] >= 0x20 && s[i] != '"' && s[i] != '\\' &&
	    (!utf8 || s[i] < 0x80))
		i++;
	return i;
}

/*
 * The offset of the first byte from i on that a string cannot hold as
 * it is ('"', '\\', a control, or a byte from 0x80 up), or n.
 */
HOT size_t
plain_run(const unsigned char *s, size_t i, size_t n)
{
	return special_run(s, i, n, 1);
}

/* The escapes that stand for themselves or a control: \" \\ \/ \b \f \n \r \t. */
static const unsigned char short_escape[256] = {
	['"'] = 1, ['\\'] = 1, ['/'] = 1, ['b'] = 1, ['f'] = 1, ['n'] = 1,
	['r'] = 1, ['t'] = 1
};

/*
 * What string() meets past a plain run at i that is not the closing
 * quote nor a short escape: the end of the text, a control, UTF-8, or a
 * \u escape.  Returns the offset after it, or 0 on failure (sc set).
 */
COLD size_t
string_special(struct scan *sc, size_t i)
{
	const unsigned char *s = (const unsigned char *)sc->s;
	size_t n = sc->n, k;
	unsigned c, cp;

	if (i >= n || (c = s[i]) < 0x20) {
		sc->i = i;
		return 0;
	}
	if (c >= 0x80) {
		/* A run of UTF-8 characters is checked in one call. */
		do {
			if ((k = dss_utf8_seq((const char *)s + i, n - i)) == 0) {
				fail(sc, W_UTF8, i);
				return 0;
			}
			i += k;
		} while (i < n && s[i] >= 0x80);
		return i;
	}
	/* a backslash */
	sc->escaped = 1;
	if (i + 1 >= n) {
		sc->i = i;
		return 0;
	}
	c = s[i + 1];
	if (c != 'u') {
		if (!short_escape[c]) {
			sc->i = i;
			return 0;
		}
		return i + 2;
	}
	if (i + 5 >= n || !hex(s[i + 2]) || !hex(s[i + 3]) ||
	    !hex(s[i + 4]) || !hex(s[i + 5])) {
		sc->i = i;
		return 0;
	}
	cp = hex4((const char *)s + i + 2);
	if (cp == 0) {
		fail(sc, W_NUL, i);
		return 0;
	}
	if (cp >= 0xDC00 && cp < 0xE000) {
		fail(sc, W_SURROGATE, i);
		return 0;
	}
	if (cp >= 0xD800 && cp < 0xDC00) {
		/* a high surrogate: its low half must follow */
		if (i + 11 >= n || s[i + 6] != '\\' || s[i + 7] != 'u' ||
		    !hex(s[i + 8]) || !hex(s[i + 9]) || !hex(s[i + 10]) ||
		    !hex(s[i + 11])) {
			fail(sc, W_SURROGATE, i);
			return 0;
		}
		cp = hex4((const char *)s + i + 8);
		if (cp < 0xDC00 || cp >= 0xE000) {
			fail(sc, W_SURROGATE, i);
			return 0;
		}
		return i + 12;
	}
	return i + 6;
}

/*
 * At the opening quote; leaves i after the closing one.  Beside the
 * syntax, the text must be UTF-8 and its escapes must not make a NUL
 * (\u0000) or a lone UTF-16 surrogate.
 */
HOT int
string(struct scan *sc)
{
	const unsigned char *s = (const unsigned char *)sc->s;
	size_t i = sc->i + 1, n = sc->n;

	sc->escaped = 0;
	for (;;) {
		i = plain_run(s, i, n);
		if (i < n) {
			if (s[i] == '"') {
				sc->i = i + 1;
				return 0;
			}
			/* The short escapes, \n above all, stay on the fast path. */
			if (s[i] == '\\' && i + 1 < n && short_escape[s[i + 1]]) {
				sc->escaped = 1;
				i += 2;
				continue;
			}
		}
		if ((i = string_special(sc, i)) == 0)
			return -1;
	}
}

static int
digits(struct scan *sc)
{
	size_t start = sc->i;

	while (sc->i < sc->n && sc->s[sc->i] >= '0' && sc->s[sc->i] <= '9')
		sc->i++;
	return sc->i > start ? 0 : -1;
}

static int
number(struct scan *sc)
{
	if (sc->s[sc->i] == '-')
		sc->i++;
	if (sc->i < sc->n && sc->s[sc->i] == '0')
		sc->i++;
	else if (digits(sc) < 0)
		return -1;
	if (sc->i < sc->n && sc->s[sc->i] == '.') {
		sc->i++;
		if (digits(sc) < 0)
			return -1;
	}
	if (sc->i < sc->n && (sc->s[sc->i] == 'e' || sc->s[sc->i] == 'E')) {
		sc->i++;
		if (sc->i < sc->n && (sc->s[sc->i] == '+' || sc->s[sc->i] == '-'))
			sc->i++;
		if (digits(sc) < 0)
			return -1;
	}
	return 0;
}

static int
literal(struct scan *sc, const char *word)
{
	size_t l = strlen(word);

	if (sc->n - sc->i < l || memcmp(sc->s + sc->i, word, l) != 0)
		return -1;
	sc->i += l;
	return 0;
}

HOT int
add(struct dss_jscan *j, const char *key, size_t keylen, int esc,
    const char *val, size_t vallen, enum dss_jscan_type type, int vesc)
{
	if (j->n == j->cap) {
		size_t ncap = j->cap ? j->cap * 2 : 32;
		struct dss_jscan_member *m = realloc(j->m, ncap * sizeof *m);

		if (m == NULL)
			return -1;
		j->m = m;
		j->cap = ncap;
	}
	j->m[j->n].key = key;
	j->m[j->n].keylen = keylen;
	j->m[j->n].key_escaped = esc;
	j->m[j->n].val = val;
	j->m[j->n].vallen = vallen;
	j->m[j->n].type = type;
	j->m[j->n].val_escaped = vesc;
	j->n++;
	return 0;
}

/*
 * At '{' or '['; leaves i after the closing bracket.  When j is not
 * NULL, the members are recorded in it.  At the top level the member
 * (or element) being scanned is noted for messages.  Returns -1 on
 * invalid JSON, -2 when out of memory.
 */
static int
container(struct scan *sc, struct dss_jscan *j)
{
	int obj = sc->s[sc->i] == '{', top = sc->depth == 0;
	char close = obj ? '}' : ']';
	long elem = 0;

	if (++sc->depth > DSS_JSCAN_MAX_DEPTH)
		return fail(sc, W_DEPTH, sc->i);
	sc->i++;
	ws(sc);
	if (sc->i < sc->n && sc->s[sc->i] == close) {
		sc->i++;
		sc->depth--;
		return 0;
	}
	for (;;) {
		const char *key = NULL, *val;
		size_t keylen = 0;
		enum dss_jscan_type type;
		int r, esc = 0;

		if (obj) {
			size_t k;

			if (sc->i >= sc->n || sc->s[sc->i] != '"')
				return -1;
			k = sc->i;
			if (top)
				sc->field = NULL;	/* a field name */
			if (string(sc) < 0)
				return -1;
			key = sc->s + k + 1;
			keylen = sc->i - k - 2;
			esc = sc->escaped;
			ws(sc);
			if (sc->i >= sc->n || sc->s[sc->i] != ':')
				return -1;
			sc->i++;
			ws(sc);
			if (top) {
				sc->field = key;
				sc->fieldlen = keylen;
			}
		} else if (top)
			sc->elem = elem++;
		val = sc->s + sc->i;
		/* Most values are strings: scanned here, without a call. */
		if (sc->i < sc->n && sc->s[sc->i] == '"') {
			type = DSS_JSCAN_STRING;
			if (string(sc) < 0)
				return -1;
		} else if ((r = value(sc, &type)) < 0)
			return r;
		if (j != NULL && add(j, key, keylen, esc, val,
		    (size_t)(sc->s + sc->i - val), type,
		    type == DSS_JSCAN_STRING && sc->escaped) < 0)
			return -2;
		ws(sc);
		if (sc->i >= sc->n)
			return -1;
		if (sc->s[sc->i] == ',') {
			sc->i++;
			ws(sc);
			continue;
		}
		if (sc->s[sc->i] != close)
			return -1;
		sc->i++;
		sc->depth--;
		return 0;
	}
}

static int
value(struct scan *sc, enum dss_jscan_type *type)
{
	if (sc->i >= sc->n)
		return -1;
	switch (sc->s[sc->i]) {
	case '"':
		*type = DSS_JSCAN_STRING;
		return string(sc);
	case '{':
		*type = DSS_JSCAN_OBJECT;
		return container(sc, NULL);
	case '[':
		*type = DSS_JSCAN_ARRAY;
		return container(sc, NULL);
	case 't':
		*type = DSS_JSCAN_TRUE;
		return literal(sc, "true");
	case 'f':
		*type = DSS_JSCAN_FALSE;
		return literal(sc, "false");
	case 'n':
		*type = DSS_JSCAN_NULL;
		return literal(sc, "null");
	default:
		*type = DSS_JSCAN_NUMBER;
		if (sc->s[sc->i] == '-' || (sc->s[sc->i] >= '0' &&
		    sc->s[sc->i] <= '9'))
			return number(sc);
		return -1;
	}
}

/* Sets err from a failed scan. */
static int
scan_error(const struct scan *sc, struct dss_err *err)
{
	char where[160];
	const unsigned char *at = (const unsigned char *)sc->s + sc->at;

	if (sc->why == W_SYNTAX)
		return dss_err_set(err, "invalid JSON near byte %zu", sc->i);
	if (sc->why == W_DEPTH)
		return dss_err_set(err, "invalid JSON near byte %zu: nested "
		    "deeper than %d levels", sc->at, DSS_JSCAN_MAX_DEPTH);
	if (sc->field != NULL)
		snprintf(where, sizeof where, "field '%.*s'",
		    (int)(sc->fieldlen > 100 ? 100 : sc->fieldlen), sc->field);
	else if (sc->elem >= 0)
		snprintf(where, sizeof where, "element %ld", sc->elem);
	else if (sc->depth > 0)
		snprintf(where, sizeof where, "a field name");
	else
		snprintf(where, sizeof where, "a string");
	switch (sc->why) {
	case W_UTF8:
		return dss_err_set(err, "%s is not valid UTF-8 (byte 0x%02x at "
		    "byte %zu)", where, at[0], sc->at);
	case W_NUL:
		return dss_err_set(err, "%s holds a NUL character (\\u0000 at "
		    "byte %zu)", where, sc->at);
	default:
		return dss_err_set(err, "%s holds a lone surrogate (\\u%.4s at "
		    "byte %zu)", where, (const char *)at + 2, sc->at);
	}
}

/*
 * The fast scanner: the same rules as the one above, read with pointers
 * kept in registers and no account of where a failure lies.  A text it
 * accepts, it records exactly as the precise scanner would; on anything
 * it does not accept (or a depth it does not follow) it says so, and
 * top() reads the text again with the precise scanner, which finds the
 * fault and names it.  So it never decides a message, only speed.
 */
typedef const unsigned char *uptr;

/* The end of the whitespace at p. */
HOT uptr
fast_ws(uptr p, uptr e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/*
 * The string whose opening quote is just before p: returns the byte after
 * its closing quote, or NULL.  *escaped is set when it holds a backslash.
 */
HOT uptr
fast_string(uptr p, uptr e, int *escaped)
{
	for (;;) {
		unsigned c, cp;
		size_t k;

		p += plain_run(p, 0, (size_t)(e - p));
		if (p >= e)
			return NULL;
		c = *p;
		if (c == '"')
			return p + 1;
		if (c == '\\') {
			*escaped = 1;
			if (p + 1 >= e)
				return NULL;
			c = p[1];
			if (short_escape[c]) {
				p += 2;
				continue;
			}
			if (c != 'u' || e - p < 6 || !hex(p[2]) || !hex(p[3]) ||
			    !hex(p[4]) || !hex(p[5]))
				return NULL;
			cp = hex4((const char *)p + 2);
			if (cp == 0 || (cp >= 0xDC00 && cp < 0xE000))
				return NULL;
			if (cp >= 0xD800 && cp < 0xDC00) {
				if (e - p < 12 || p[6] != '\\' || p[7] != 'u' ||
				    !hex(p[8]) || !hex(p[9]) || !hex(p[10]) ||
				    !hex(p[11]))
					return NULL;
				cp = hex4((const char *)p + 8);
				if (cp < 0xDC00 || cp >= 0xE000)
					return NULL;
				p += 12;
			} else
				p += 6;
			continue;
		}
		if (c < 0x80)
			return NULL;	/* a control character */
		do {
			if ((k = dss_utf8_seq((const char *)p, (size_t)(e - p))) == 0)
				return NULL;
			p += k;
		} while (p < e && *p >= 0x80);
	}
}

static uptr fast_container(uptr p, uptr e, int depth, struct dss_jscan *j,
    int *oom);

/* The end of the number at p, or NULL. */
static uptr
fast_number(uptr p, uptr e)
{
	uptr q;

	if (*p == '-')
		p++;
	if (p < e && *p == '0')
		p++;
	else {
		for (q = p; p < e && *p >= '0' && *p <= '9'; p++)
			;
		if (p == q)
			return NULL;
	}
	if (p < e && *p == '.') {
		for (q = ++p; p < e && *p >= '0' && *p <= '9'; p++)
			;
		if (p == q)
			return NULL;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		for (q = p; p < e && *p >= '0' && *p <= '9'; p++)
			;
		if (p == q)
			return NULL;
	}
	return p;
}

/* The end of the value at p (not a string: those are read inline), or NULL. */
static uptr
fast_other(uptr p, uptr e, int depth, enum dss_jscan_type *type, int *oom)
{
	if (p >= e)
		return NULL;
	switch (*p) {
	case '{':
		*type = DSS_JSCAN_OBJECT;
		return fast_container(p, e, depth, NULL, oom);
	case '[':
		*type = DSS_JSCAN_ARRAY;
		return fast_container(p, e, depth, NULL, oom);
	case 't':
		*type = DSS_JSCAN_TRUE;
		return e - p >= 4 && memcmp(p, "true", 4) == 0 ? p + 4 : NULL;
	case 'f':
		*type = DSS_JSCAN_FALSE;
		return e - p >= 5 && memcmp(p, "false", 5) == 0 ? p + 5 : NULL;
	case 'n':
		*type = DSS_JSCAN_NULL;
		return e - p >= 4 && memcmp(p, "null", 4) == 0 ? p + 4 : NULL;
	default:
		*type = DSS_JSCAN_NUMBER;
		if (*p == '-' || (*p >= '0' && *p <= '9'))
			return fast_number(p, e);
		return NULL;
	}
}

/*
 * At '{' or '[' at nesting depth (the top level is 0); returns the byte
 * after the closing bracket, or NULL.  With j, the members are recorded
 * (*oom set, and NULL returned, when the table cannot grow).
 */
static uptr
fast_container(uptr p, uptr e, int depth, struct dss_jscan *j, int *oom)
{
	int obj = *p == '{';
	unsigned char close = obj ? '}' : ']';

	if (depth + 1 > DSS_JSCAN_MAX_DEPTH)
		return NULL;
	p = fast_ws(p + 1, e);
	if (p < e && *p == close)
		return p + 1;
	for (;;) {
		uptr key = NULL, val;
		size_t keylen = 0;
		enum dss_jscan_type type;
		int kesc = 0, vesc = 0;

		if (obj) {
			if (p >= e || *p != '"')
				return NULL;
			key = p + 1;
			if ((p = fast_string(key, e, &kesc)) == NULL)
				return NULL;
			keylen = (size_t)(p - key - 1);
			if (p < e && *p == ':')
				p++;
			else {
				p = fast_ws(p, e);
				if (p >= e || *p != ':')
					return NULL;
				p++;
			}
			if (p < e && *p <= ' ')
				p = fast_ws(p, e);
		}
		val = p;
		if (p < e && *p == '"') {
			type = DSS_JSCAN_STRING;
			if ((p = fast_string(p + 1, e, &vesc)) == NULL)
				return NULL;
		} else if ((p = fast_other(p, e, depth + 1, &type, oom)) == NULL)
			return NULL;
		if (j != NULL && add(j, (const char *)key, keylen, kesc,
		    (const char *)val, (size_t)(p - val), type, vesc) < 0) {
			*oom = 1;
			return NULL;
		}
		if (p < e && *p <= ' ')
			p = fast_ws(p, e);
		if (p >= e)
			return NULL;
		if (*p == ',') {
			if (++p < e && *p <= ' ')
				p = fast_ws(p, e);
			continue;
		}
		if (*p != close)
			return NULL;
		return p + 1;
	}
}

/*
 * The fast scan of a whole text as top() reads it (open as there):
 * 1 when it is valid and recorded in j, 0 when the precise scanner must
 * read it, -2 when out of memory.
 */
static int
fast_top(struct dss_jscan *j, const char *s, size_t n, char open)
{
	uptr p = (uptr)s, e = p + n, q;
	enum dss_jscan_type t;
	int oom = 0;

	p = fast_ws(p, e);
	if (p >= e)
		return 0;
	if (open != 0 || *p == '{') {
		/* a top-level object's members are recorded, to check names */
		if (open != 0 && *p != (unsigned char)open)
			return 0;
		q = fast_container(p, e, 0, j, &oom);
	} else if (*p == '"') {
		int esc = 0;

		q = fast_string(p + 1, e, &esc);
	} else
		q = fast_other(p, e, 0, &t, &oom);
	if (oom)
		return -2;
	return q != NULL && fast_ws(q, e) == e;
}

/* A member's name, decoded when it holds an escape (into tmp). */
static int
key_text(const struct dss_jscan_member *m, struct dss_buf *tmp,
    const char **k, size_t *klen)
{
	if (!m->key_escaped) {
		*k = m->key;
		*klen = m->keylen;
		return 0;
	}
	dss_buf_reset(tmp);
	if (dss_jscan_unquote(tmp, m->key - 1, m->keylen + 2) < 0)
		return -1;
	*k = tmp->data;
	*klen = tmp->len;
	return 0;
}

struct name {
	const char *k;
	size_t len;
};

static int
cmp_name(const void *a, const void *b)
{
	const struct name *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->k, y->k, n);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Names a member given twice in err: "field 'F' is given twice". */
static int
twice(struct dss_err *err, const char *k, size_t klen)
{
	return dss_err_set(err, "field '%.*s' is given twice",
	    (int)(klen > 100 ? 100 : klen), k);
}

/*
 * Refuses an object whose members repeat a name: readers differ on which
 * one counts (cJSON the first, Python's json the last), so a record must
 * not leave it to them.  Names are compared decoded.  A few members are
 * told apart by a 64-bit mask of a hash of their names, one that gives
 * each of the 25 names of dss's records a bit of its own, so that their
 * names are compared only when one repeats; many members (a hostile
 * line) are sorted.  Returns 0, -1 with err set, or -2 out of memory.
 */
static int
unique_names(const struct dss_jscan *j, struct dss_err *err)
{
	struct dss_buf t1 = DSS_BUF_INIT, arena = DSS_BUF_INIT;
	struct name *v = NULL;
	uint64_t seen = 0;
	size_t i, a, esc = 0;
	int r = 0;

	if (j->n < 2)
		return 0;
	for (i = 0; i < j->n; i++)
		esc += j->m[i].key_escaped;
	if (j->n <= 64 && esc == 0) {
		for (i = 0; i < j->n; i++) {
			const struct dss_jscan_member *m = &j->m[i];
			unsigned h = m->keylen == 0 ? 0 : ((unsigned char)m->key[0] +
			    (unsigned char)m->key[m->keylen - 1] * 6u +
			    (unsigned)m->keylen * 12u +
			    (unsigned char)m->key[m->keylen / 2]) & 63;

			if (seen & ((uint64_t)1 << h)) {
				for (a = 0; a < i; a++)
					if (j->m[a].keylen == m->keylen &&
					    memcmp(j->m[a].key, m->key, m->keylen) == 0)
						return twice(err, m->key, m->keylen);
			}
			seen |= (uint64_t)1 << h;
		}
		return 0;
	}
	/* the slow way: every name decoded, sorted, neighbours compared */
	if ((v = malloc(j->n * sizeof(*v))) == NULL) {
		r = -2;
		goto out;
	}
	for (i = 0; i < j->n; i++) {
		const char *k;
		size_t klen;

		if (key_text(&j->m[i], &t1, &k, &klen) < 0) {
			r = -2;
			goto out;
		}
		if (j->m[i].key_escaped) {
			/* offsets into the arena, made pointers once it is whole */
			v[i].k = (const char *)(uintptr_t)arena.len;
			if (dss_buf_add(&arena, k, klen) < 0) {
				r = -2;
				goto out;
			}
		} else
			v[i].k = k;
		v[i].len = klen;
	}
	for (i = 0; i < j->n; i++)
		if (j->m[i].key_escaped)
			v[i].k = arena.data + (uintptr_t)v[i].k;
	qsort(v, j->n, sizeof(*v), cmp_name);
	for (i = 1; i < j->n; i++)
		if (cmp_name(&v[i - 1], &v[i]) == 0) {
			r = twice(err, v[i].k, v[i].len);
			break;
		}
out:
	if (r == -2)
		dss_err_errno(err, ENOMEM, "JSON members");
	free(v);
	dss_buf_free(&t1);
	dss_buf_free(&arena);
	return r;
}

static int
top(struct dss_jscan *j, const char *s, size_t n, char open,
    struct dss_err *err)
{
	struct scan sc = { s, n, 0, 0, 0, W_SYNTAX, 0, NULL, 0, -1 };
	struct dss_jscan local = DSS_JSCAN_INIT;
	size_t i0 = 0;
	int r, isobj;

	/* A top-level object's member names are checked, so they are recorded. */
	while (i0 < n && (s[i0] == ' ' || s[i0] == '\t' || s[i0] == '\n' ||
	    s[i0] == '\r'))
		i0++;
	if ((isobj = i0 < n && s[i0] == '{') && j == NULL)
		j = &local;
	if (j != NULL)
		j->n = 0;
	if ((r = fast_top(j, s, n, open)) == 1) {
		r = isobj ? unique_names(j, err) : 0;
		goto out;
	}
	if (r == -2)
		goto oom;
	/* Not valid, or not as the fast scan reads it: read it precisely. */
	if (j != NULL)
		j->n = 0;
	ws(&sc);
	if (n - sc.i >= 3 && memcmp(s + sc.i, DSS_UTF8_BOM, 3) == 0) {
		r = dss_err_set(err, "a byte-order mark (U+FEFF) at byte %zu "
		    "where JSON should start", sc.i);
		goto out;
	}
	if (open != 0 && (sc.i >= n || s[sc.i] != open)) {
		enum dss_jscan_type t;

		/* Valid JSON of another type, or not JSON at all? */
		if (value(&sc, &t) == 0) {
			ws(&sc);
			if (sc.i == n) {
				r = dss_err_set(err, "record is not a JSON %s",
				    open == '{' ? "object" : "array");
				goto out;
			}
		}
		r = scan_error(&sc, err);
		goto out;
	}
	if (open != 0 || isobj)
		r = container(&sc, j);
	else {
		enum dss_jscan_type t;

		r = value(&sc, &t);
	}
	if (r == -2)
		goto oom;
	if (r == 0) {
		ws(&sc);
		if (sc.i == n) {
			r = isobj ? unique_names(j, err) : 0;
			goto out;
		}
		sc.why = W_SYNTAX;
	}
	r = scan_error(&sc, err);
out:
	dss_jscan_free(&local);
	return r;
oom:
	dss_jscan_free(&local);
	dss_err_errno(err, ENOMEM, "JSON members");
	return -2;
}

int
dss_jscan_object(struct dss_jscan *j, const char *s, size_t n,
    struct dss_err *err)
{
	return top(j, s, n, '{', err);
}

int
dss_jscan_array(struct dss_jscan *j, const char *s, size_t n,
    struct dss_err *err)
{
	return top(j, s, n, '[', err);
}

int
dss_jscan_check(const char *s, size_t n, struct dss_err *err)
{
	return top(NULL, s, n, 0, err);
}

int
dss_jscan_document(const char **s, size_t *n, struct dss_err *err)
{
	if (*n >= 3 && memcmp(*s, DSS_UTF8_BOM, 3) == 0) {
		*s += 3;
		*n -= 3;
	}
	return top(NULL, *s, *n, 0, err);
}

/* Does the raw (possibly escaped) key equal the plain string key? */
static int
key_is(const struct dss_jscan_member *m, const char *key, size_t klen)
{
	struct dss_buf b = DSS_BUF_INIT;
	int eq;

	if (!m->key_escaped)
		return m->keylen == klen && memcmp(m->key, key, klen) == 0;
	if (dss_jscan_unquote(&b, m->key - 1, m->keylen + 2) < 0)
		return 0;
	eq = b.len == klen && memcmp(b.data, key, klen) == 0;
	dss_buf_free(&b);
	return eq;
}

const struct dss_jscan_member *
dss_jscan_get(const struct dss_jscan *j, const char *key)
{
	size_t i, klen = strlen(key);

	for (i = 0; i < j->n; i++) {
		const struct dss_jscan_member *m = &j->m[i];

		if (m->key == NULL)
			continue;
		if (!m->key_escaped) {
			if (m->keylen == klen && m->key[0] == key[0] &&
			    memcmp(m->key, key, klen) == 0)
				return m;
		} else if (key_is(m, key, klen))
			return m;
	}
	return NULL;
}

void
dss_jscan_free(struct dss_jscan *j)
{
	free(j->m);
	j->m = NULL;
	j->n = j->cap = 0;
}

/*
 * Writes code point cp (at most 0x10FFFF) as UTF-8 at d; returns the
 * end.
 */
static char *
put_utf8(char *d, unsigned cp)
{
	if (cp < 0x80)
		*d++ = (char)cp;
	else if (cp < 0x800) {
		*d++ = (char)(0xC0 | (cp >> 6));
		*d++ = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*d++ = (char)(0xE0 | (cp >> 12));
		*d++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*d++ = (char)(0x80 | (cp & 0x3F));
	} else {
		*d++ = (char)(0xF0 | (cp >> 18));
		*d++ = (char)(0x80 | ((cp >> 12) & 0x3F));
		*d++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*d++ = (char)(0x80 | (cp & 0x3F));
	}
	return d;
}

int
dss_jscan_unquote(struct dss_buf *b, const char *val, size_t len)
{
	const char *p = val + 1, *end = val + len - 1;
	char *d;

	/*
	 * Decoding never lengthens the text (an escape of 2, 6 or 12 bytes
	 * becomes 1 to 4), so room for len bytes is room for all of it.
	 */
	if (dss_buf_grow_fast(b, len) < 0)
		return -1;
	d = b->data + b->len;
	while (p < end) {
		const char *q;
		unsigned cp;

#ifdef __SSE2__
		/*
		 * Sixteen bytes copied at a time while looking for a backslash
		 * in them: the bytes past it are written again later.  There is
		 * room, d being no further on than p, with 16 bytes left.
		 */
		for (;;) {
			__m128i v;
			int bits;

			if (end - p < 16) {
				q = NULL;
				break;
			}
			v = _mm_loadu_si128((const __m128i *)p);
			bits = _mm_movemask_epi8(_mm_cmpeq_epi8(v,
			    _mm_set1_epi8('\\')));
			_mm_storeu_si128((__m128i *)d, v);
			if (bits != 0) {
				q = p + __builtin_ctz((unsigned)bits);
				d += q - p;
				break;
			}
			p += 16;
			d += 16;
		}
		if (q == NULL)
#endif
		{
			if ((q = memchr(p, '\\', (size_t)(end - p))) == NULL)
				q = end;
			memcpy(d, p, (size_t)(q - p));
			d += q - p;
		}
		if (q >= end)
			break;
		p = q + 2;
		switch (q[1]) {
		case 'b': *d++ = '\b'; continue;
		case 'f': *d++ = '\f'; continue;
		case 'n': *d++ = '\n'; continue;
		case 'r': *d++ = '\r'; continue;
		case 't': *d++ = '\t'; continue;
		case 'u':
			break;
		default: *d++ = q[1]; continue;
		}
		cp = hex4(q + 2);
		p = q + 6;
		if (cp >= 0xD800 && cp < 0xDC00 && end - p >= 6 &&
		    p[0] == '\\' && p[1] == 'u') {
			unsigned lo = hex4(p + 2);

			if (lo >= 0xDC00 && lo < 0xE000) {
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				    (lo - 0xDC00);
				p += 6;
			}
		}
		if (cp >= 0xD800 && cp < 0xE000)
			cp = 0xFFFD;	/* a lone surrogate */
		d = put_utf8(d, cp);
	}
	*d = '\0';
	b->len = (size_t)(d - b->data);
	return 0;
}

/* The offset of the first byte from i on that is not ASCII, or n. */
HOT size_t
ascii_run(const unsigned char *s, size_t i, size_t n)
{
#ifdef __SSE2__
	while (i + 16 <= n) {
		int bits = _mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(s + i)));

		if (bits != 0)
			return i + (size_t)__builtin_ctz((unsigned)bits);
		i += 16;
	}
#endif
	while (i + 8 <= n) {
		uint64_t w;

		memcpy(&w, s + i, 8);
		if ((w & HIGHS) != 0)
			break;
		i += 8;
	}
	while (i < n && s[i] < 0x80)
		i++;
	return i;
}

/*
 * The offset of the first byte from i on that a JSON string literal must
 * escape ('"', '\\' or a control), or n when there is none.
 */
HOT size_t
escape_run(const unsigned char *s, size_t i, size_t n)
{
	return special_run(s, i, n, 0);
}

size_t
dss_jscan_plain(const char *s, size_t n)
{
	return escape_run((const unsigned char *)s, 0, n);
}

int
dss_jscan_escape(struct dss_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, run = 0;

	if (dss_buf_grow_fast(b, n) < 0)
		return -1;
	for (;;) {
		unsigned char c;
		char esc[7];
		size_t elen = 2;

		i = escape_run((const unsigned char *)s, i, n);
		if (i >= n)
			break;
		c = (unsigned char)s[i];
		if (dss_buf_add_fast(b, s + run, i - run) < 0)
			return -1;
		run = ++i;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		}
		if (dss_buf_add_fast(b, esc, elen) < 0)
			return -1;
	}
	return dss_buf_add_fast(b, s + run, n - run);
}

int
dss_jscan_quote(struct dss_buf *b, const char *s, size_t n)
{
	if (dss_buf_grow_fast(b, n + 2) < 0 || dss_buf_addch_fast(b, '"') < 0 ||
	    dss_jscan_escape(b, s, n) < 0)
		return -1;
	return dss_buf_addch_fast(b, '"');
}

/*
 * The length of the ill-formed sequence at p (dss_utf8_seq said 0): its
 * lead byte and the continuation bytes that could still have completed
 * it.  Each such maximal subpart becomes one U+FFFD, as the Unicode
 * standard recommends (and as WHATWG decoders do).
 */
static size_t
bad_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t need, k;

	if (c >= 0xC2 && c < 0xE0)
		need = 1;
	else if (c >= 0xE0 && c < 0xF0) {
		need = 2;
		if (c == 0xE0)
			lo = 0xA0;
		if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c < 0xF5) {
		need = 3;
		if (c == 0xF0)
			lo = 0x90;
		if (c == 0xF4)
			hi = 0x8F;
	} else
		return 1;
	for (k = 1; k <= need && k < n; k++) {
		unsigned char b = p[k];

		if (k == 1 ? b < lo || b > hi : (b & 0xC0) != 0x80)
			break;
	}
	return k;
}

#define FFFD "\xef\xbf\xbd"

/* Copies s[*done, upto) to out, then adds rep (n bytes); moves *done. */
static int
splice(struct dss_buf *out, const char *s, size_t *done, size_t upto,
    size_t skip, const char *rep, size_t n)
{
	if (dss_buf_add(out, s + *done, upto - *done) < 0 ||
	    dss_buf_add(out, rep, n) < 0)
		return -1;
	*done = upto + skip;
	return 0;
}

/* Puts out in place of b when anything was replaced; frees out. */
static int
finish_repair(struct dss_buf *b, struct dss_buf *out, size_t done,
    size_t count, size_t *nrepaired)
{
	if (count > 0) {
		size_t max = b->max;

		if (dss_buf_add(out, b->data + done, b->len - done) < 0) {
			dss_buf_free(out);
			return -1;
		}
		dss_buf_free(b);
		*b = *out;
		b->max = max;
	}
	if (nrepaired != NULL)
		*nrepaired = count;
	return 0;
}

int
dss_utf8_repair(struct dss_buf *b, size_t *nrepaired)
{
	struct dss_buf out = DSS_BUF_INIT;
	const unsigned char *p = (const unsigned char *)b->data;
	size_t i = 0, done = 0, count = 0, n = b->len, k;

	out.max = b->max ? b->max + b->max / 2 : 0;
	while (i < n) {
		if (p[i] < 0x80) {
			i = ascii_run(p, i + 1, n);
			continue;
		}
		if ((k = dss_utf8_seq(b->data + i, n - i)) > 0) {
			i += k;
			continue;
		}
		k = bad_len(p + i, n - i);
		if (splice(&out, b->data, &done, i, k, FFFD, 3) < 0) {
			dss_buf_free(&out);
			return -1;
		}
		count++;
		i += k;
	}
	return finish_repair(b, &out, done, count, nrepaired);
}

int
dss_jscan_repair(struct dss_buf *b, size_t *nrepaired)
{
	struct dss_buf out = DSS_BUF_INIT;
	const unsigned char *p = (const unsigned char *)b->data;
	size_t i = 0, done = 0, count = 0, n = b->len, k;
	int in_string = 0;

	out.max = b->max ? b->max + b->max / 2 : 0;
	while (i < n) {
		unsigned c = p[i], cp;

		if (c >= 0x80) {
			if ((k = dss_utf8_seq(b->data + i, n - i)) > 0) {
				i += k;
				continue;
			}
			k = bad_len(p + i, n - i);
			if (splice(&out, b->data, &done, i, k, FFFD, 3) < 0)
				goto nomem;
			count++;
			i += k;
			continue;
		}
		if (c == '"') {
			in_string = !in_string;
			i++;
			continue;
		}
		if (!in_string || c != '\\' || i + 1 >= n) {
			i++;
			continue;
		}
		if (p[i + 1] != 'u' || i + 5 >= n || !hex(p[i + 2]) ||
		    !hex(p[i + 3]) || !hex(p[i + 4]) || !hex(p[i + 5])) {
			i += 2;	/* a short escape (or a broken one, left as is) */
			continue;
		}
		cp = hex4(b->data + i + 2);
		if (cp >= 0xD800 && cp < 0xDC00 && i + 11 < n &&
		    p[i + 6] == '\\' && p[i + 7] == 'u' && hex(p[i + 8]) &&
		    hex(p[i + 9]) && hex(p[i + 10]) && hex(p[i + 11])) {
			unsigned lo = hex4(b->data + i + 8);

			if (lo >= 0xDC00 && lo < 0xE000) {
				i += 12;	/* a surrogate pair */
				continue;
			}
		}
		if (cp == 0 || (cp >= 0xD800 && cp < 0xE000)) {
			if (splice(&out, b->data, &done, i, 6, "\\ufffd", 6) < 0)
				goto nomem;
			count++;
		}
		i += 6;
	}
	return finish_repair(b, &out, done, count, nrepaired);
nomem:
	dss_buf_free(&out);
	return -1;
}

int
dss_jscan_number(struct dss_buf *b, double v)
{
	char num[40];
	int prec;

	if (!isfinite(v))
		return dss_buf_adds(b, "null");
	for (prec = 15; prec < 17; prec++) {
		snprintf(num, sizeof(num), "%.*g", prec, v);
		if (strtod(num, NULL) == v)
			break;
	}
	snprintf(num, sizeof(num), "%.*g", prec, v);
	return dss_buf_adds(b, num);
}

int
dss_jscan_number_cjson(struct dss_buf *out, double d)
{
	char num[64];
	double back;
	int vi = d >= (double)INT_MAX ? INT_MAX : d <= (double)INT_MIN ?
	    INT_MIN : (int)d;

	if (isnan(d) || isinf(d))
		return dss_buf_adds(out, "null");
	if (d == (double)vi)
		snprintf(num, sizeof(num), "%d", vi);
	else {
		double most;

		snprintf(num, sizeof(num), "%1.15g", d);
		back = strtod(num, NULL);
		most = fabs(back) > fabs(d) ? fabs(back) : fabs(d);
		if (!(fabs(back - d) <= most * DBL_EPSILON))
			snprintf(num, sizeof(num), "%1.17g", d);
	}
	return dss_buf_adds(out, num);
}
