/* SPDX-License-Identifier: MIT */
/*
 * The fast JSON scanner: strict RFC 8259 validation by recursive descent
 * with a depth limit, recording the spans of one level of members, and
 * string decoding and quoting.  See jscan.h.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

struct scan {
	const char *s;
	size_t n, i;
	int depth;
	int escaped;	/* the last string scanned held a backslash */
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

static int value(struct scan *sc, enum dss_jscan_type *type);

static void
ws(struct scan *sc)
{
	if (sc->i < sc->n && (unsigned char)sc->s[sc->i] > ' ')
		return;
	while (sc->i < sc->n) {
		char c = sc->s[sc->i];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		sc->i++;
	}
}

static int
hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* At the opening quote; leaves i after the closing one. */
static int
string(struct scan *sc)
{
	const unsigned char *s = (const unsigned char *)sc->s;
	size_t i = sc->i + 1, n = sc->n;

	sc->escaped = 0;
	for (;;) {
		unsigned char c;

#ifdef __SSE2__
		/* Sixteen bytes at a time up to the first special one. */
		while (i + 16 <= n) {
			__m128i v = _mm_loadu_si128((const __m128i *)(s + i));
			__m128i m = _mm_or_si128(_mm_or_si128(
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
			    _mm_cmpeq_epi8(_mm_subs_epu8(v, _mm_set1_epi8(0x1f)),
			    _mm_setzero_si128()));
			int bits = _mm_movemask_epi8(m);

			if (bits != 0) {
				i += (size_t)__builtin_ctz((unsigned)bits);
				break;
			}
			i += 16;
		}
#endif
		/* Eight bytes at a time up to the first special one. */
		while (i + 8 <= n) {
			uint64_t w, m;

			memcpy(&w, s + i, 8);
			if ((m = special8(w)) != 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
				/* The lowest flag is exact: borrows only run upward. */
				i += (size_t)__builtin_ctzll(m) / 8;
#endif
				break;
			}
			i += 8;
		}
		while (i < n && s[i] != '"' && s[i] != '\\' && s[i] >= 0x20)
			i++;
		if (i >= n) {
			sc->i = i;
			return -1;
		}
		c = s[i];
		if (c == '"') {
			sc->i = i + 1;
			return 0;
		}
		if (c < 0x20) {
			sc->i = i;
			return -1;
		}
		/* a backslash */
		sc->escaped = 1;
		if (i + 1 >= n) {
			sc->i = i;
			return -1;
		}
		c = s[i + 1];
		if (c == 'u') {
			if (i + 5 >= n || !hex(s[i + 2]) || !hex(s[i + 3]) ||
			    !hex(s[i + 4]) || !hex(s[i + 5])) {
				sc->i = i;
				return -1;
			}
			i += 6;
		} else if (strchr("\"\\/bfnrt", c) != NULL && c != '\0')
			i += 2;
		else {
			sc->i = i;
			return -1;
		}
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

static int
add(struct dss_jscan *j, const char *key, size_t keylen, int esc,
    const char *val, size_t vallen, enum dss_jscan_type type)
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
	j->n++;
	return 0;
}

/*
 * At '{' or '['; leaves i after the closing bracket.  When j is not
 * NULL, the members are recorded in it.  Returns -1 on invalid JSON, -2
 * when out of memory.
 */
static int
container(struct scan *sc, struct dss_jscan *j)
{
	int obj = sc->s[sc->i] == '{';
	char close = obj ? '}' : ']';

	if (++sc->depth > DSS_JSCAN_MAX_DEPTH)
		return -1;
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
		}
		val = sc->s + sc->i;
		if ((r = value(sc, &type)) < 0)
			return r;
		if (j != NULL && add(j, key, keylen, esc, val,
		    (size_t)(sc->s + sc->i - val), type) < 0)
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

static int
top(struct dss_jscan *j, const char *s, size_t n, char open,
    struct dss_err *err)
{
	struct scan sc = { s, n, 0, 0, 0 };
	int r;

	j->n = 0;
	ws(&sc);
	if (sc.i >= n || s[sc.i] != open) {
		enum dss_jscan_type t;

		/* Valid JSON of another type, or not JSON at all? */
		if (value(&sc, &t) == 0) {
			ws(&sc);
			if (sc.i == n)
				return dss_err_set(err, "record is not a JSON %s",
				    open == '{' ? "object" : "array");
		}
		return dss_err_set(err, "invalid JSON near byte %zu", sc.i);
	}
	r = container(&sc, j);
	if (r == -2)
		return dss_err_errno(err, ENOMEM, "JSON members");
	if (r == 0) {
		ws(&sc);
		if (sc.i == n)
			return 0;
	}
	return dss_err_set(err, "invalid JSON near byte %zu", sc.i);
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

int
dss_jscan_unquote(struct dss_buf *b, const char *val, size_t len)
{
	const char *p = val + 1, *end = val + len - 1;

	if (dss_buf_grow(b, len) < 0)
		return -1;
	while (p < end) {
		const char *q = memchr(p, '\\', (size_t)(end - p));
		unsigned cp;

		if (q == NULL)
			q = end;
		if (q > p && dss_buf_add_fast(b, p, (size_t)(q - p)) < 0)
			return -1;
		if (q >= end)
			break;
		p = q + 2;
		switch (q[1]) {
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
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
			break;
		default: cp = (unsigned char)q[1]; break;
		}
		if (dss_buf_add_utf8(b, cp) < 0)
			return -1;
	}
	return 0;
}

int
dss_jscan_escape(struct dss_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, run = 0;

	if (dss_buf_grow(b, n) < 0)
		return -1;
	for (;;) {
		unsigned char c;
		char esc[7];
		size_t elen = 2;

		for (; i + 8 <= n; i += 8) {
			uint64_t w;

			memcpy(&w, s + i, 8);
			if (special8(w))
				break;
		}
		while (i < n && (unsigned char)s[i] >= 0x20 && s[i] != '"' &&
		    s[i] != '\\')
			i++;
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
	if (dss_buf_grow(b, n + 2) < 0 || dss_buf_addch(b, '"') < 0 ||
	    dss_jscan_escape(b, s, n) < 0)
		return -1;
	return dss_buf_addch(b, '"');
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
