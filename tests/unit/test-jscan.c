/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the fast JSON scanner: it must accept exactly what a
 * strict JSON parser accepts (checked against cJSON on every case), find
 * members and their spans, decode escapes and surrogate pairs, and quote
 * text so that cJSON reads it back unchanged.  Beyond syntax it refuses
 * invalid UTF-8, \u0000 and lone surrogates at every offset (the SSE2
 * and SWAR paths included), naming the field; and it repairs teacher
 * text with U+FFFD, one for each maximal ill-formed subpart.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../../lib/jscan.h"
#include "ref-escape.h"
#include "tap.h"

static const char *const valid[] = {
	"{}",
	" { } ",
	"{\"a\":1}",
	"{\"a\":-0.5e+10,\"b\":[1,2,{\"c\":null}],\"d\":true,\"e\":false}",
	"{\"s\":\"tab\\tnl\\nq\\\"bs\\\\sl\\/u\\u00e9\\ud83d\\ude00\"}",
	"{\"k\\u0041\":\"v\"}",
	"{\"x\":\"caf\xc3\xa9 \xe2\x80\x9cquoted\xe2\x80\x9d\"}",
	"{\"deep\":[[[[[[[[[[1]]]]]]]]]]}",
	"{\"a\" : 1 , \"b\" :\t2\r\n}",
	"{\"long\":\"0123456789abcdefghijklmnopqrstuvwxyz0123456789\"}",
};

static const char *const invalid[] = {
	"",
	"{",
	"{\"a\"}",
	"{\"a\":}",
	"{\"a\":1,}",
	"{\"a\":1 \"b\":2}",
	"{a:1}",
	"{\"a\":'x'}",
	"{\"a\":01}",
	"{\"a\":1.}",
	"{\"a\":.5}",
	"{\"a\":1e}",
	"{\"a\":-}",
	"{\"a\":tru}",
	"{\"a\":nul}",
	"{\"a\":\"x\\q\"}",
	"{\"a\":\"\\u12g4\"}",
	"{\"a\":\"unterminated}",
	"{\"a\":\"ctl\x01\"}",
	"{\"a\":\"0123456789abcdef\x1f\"}",
	"{\"a\":[1,2}",
	"{\"a\":1}}",
	"{\"a\":1} x",
	"{\"a\":1}{}",
};

static void
test_validity(void)
{
	struct dss_jscan j = DSS_JSCAN_INIT;
	struct dss_err err = DSS_ERR_INIT;
	char deep[2 * DSS_JSCAN_MAX_DEPTH + 16];
	size_t i;

	for (i = 0; i < sizeof valid / sizeof valid[0]; i++) {
		cJSON *o = cJSON_Parse(valid[i]);

		ok(o != NULL, "cJSON agrees %zu is valid", i);
		cJSON_Delete(o);
		if (!ok(dss_jscan_object(&j, valid[i], strlen(valid[i]), &err) == 0,
		    "valid %zu: %s", i, valid[i]))
			printf("#   %s\n", err.msg);
	}
	for (i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
		err.msg[0] = '\0';
		if (!ok(dss_jscan_object(&j, invalid[i], strlen(invalid[i]),
		    &err) == -1 && strncmp(err.msg, "invalid JSON near byte ",
		    23) == 0, "invalid %zu rejected: %s", i, invalid[i]))
			printf("#   '%s'\n", err.msg);
	}
	ok(dss_jscan_object(&j, "[1]", 3, &err) == -1 &&
	    strcmp(err.msg, "record is not a JSON object") == 0,
	    "an array is not an object");
	ok(dss_jscan_object(&j, "\"x\"", 3, &err) == -1 &&
	    strcmp(err.msg, "record is not a JSON object") == 0,
	    "a string is not an object");
	ok(dss_jscan_array(&j, "{}", 2, &err) == -1 &&
	    strcmp(err.msg, "record is not a JSON array") == 0,
	    "an object is not an array");
	ok(dss_jscan_object(&j, "{\"a\":1} x", 9, &err) == -1 &&
	    strcmp(err.msg, "invalid JSON near byte 8") == 0,
	    "the message names the byte");
	ok(dss_jscan_object(&j, "{\"a\":1}\0", 8, &err) == -1,
	    "a NUL byte after the object is junk");

	/* A control character, an escape or the end at every offset. */
	{
		char t[128];
		int pos, bad = 0;

		for (pos = 0; pos < 40; pos++) {
			snprintf(t, sizeof t, "{\"k\":\"%.*s\x01%.*s\"}", pos,
			    "0123456789012345678901234567890123456789", 39 - pos,
			    "0123456789012345678901234567890123456789");
			bad += dss_jscan_object(&j, t, strlen(t), &err) != -1;
			snprintf(t, sizeof t, "{\"k\":\"%.*s\\n%.*s\"}", pos,
			    "0123456789012345678901234567890123456789", 39 - pos,
			    "0123456789012345678901234567890123456789");
			bad += dss_jscan_object(&j, t, strlen(t), &err) != 0 ||
			    j.m[0].vallen != 43;
			snprintf(t, sizeof t, "{\"k\":\"%.*s\"}", pos,
			    "0123456789012345678901234567890123456789");
			bad += dss_jscan_object(&j, t, strlen(t), &err) != 0 ||
			    j.m[0].vallen != (size_t)pos + 2;
		}
		is_int(bad, 0, "special bytes found at every offset");
	}

	memset(deep, 0, sizeof deep);
	deep[0] = '{';
	strcpy(deep + 1, "\"a\":");
	for (i = 0; i < DSS_JSCAN_MAX_DEPTH; i++)
		deep[5 + i] = '[';
	for (i = 0; i < DSS_JSCAN_MAX_DEPTH; i++)
		deep[5 + DSS_JSCAN_MAX_DEPTH + i] = ']';
	deep[5 + 2 * DSS_JSCAN_MAX_DEPTH] = '}';
	ok(dss_jscan_object(&j, deep, strlen(deep), &err) == -1,
	    "nesting deeper than %d is refused", DSS_JSCAN_MAX_DEPTH);
	dss_jscan_free(&j);
}

static void
test_members(void)
{
	const char *s = "{\"dataset\":\"cqa\",\"index\":42,\"fields\":{\"choices\":"
	    "[\"a\",\"b\\\"c\"]},\"k\\u0041\":null,\"datasets\":\"again\"}";
	struct dss_jscan j = DSS_JSCAN_INIT, sub = DSS_JSCAN_INIT;
	struct dss_err err = DSS_ERR_INIT;
	struct dss_buf b = DSS_BUF_INIT;
	const struct dss_jscan_member *m;

	ok(dss_jscan_object(&j, s, strlen(s), &err) == 0, "record scans");
	is_int((long long)j.n, 5, "five members");
	m = dss_jscan_get(&j, "dataset");
	ok(m != NULL && m->type == DSS_JSCAN_STRING && m->vallen == 5 &&
	    memcmp(m->val, "\"cqa\"", 5) == 0, "a string member");
	m = dss_jscan_get(&j, "index");
	ok(m != NULL && m->type == DSS_JSCAN_NUMBER && m->vallen == 2,
	    "number span");
	ok(dss_jscan_get(&j, "kA") != NULL &&
	    dss_jscan_get(&j, "kA")->type == DSS_JSCAN_NULL,
	    "an escaped key is found by its decoded name");
	ok(dss_jscan_get(&j, "missing") == NULL, "a missing key");
	m = dss_jscan_get(&j, "fields");
	ok(m != NULL && m->type == DSS_JSCAN_OBJECT, "object member");
	ok(dss_jscan_object(&sub, m->val, m->vallen, &err) == 0,
	    "a member object scans on its own");
	m = dss_jscan_get(&sub, "choices");
	ok(m != NULL && m->type == DSS_JSCAN_ARRAY &&
	    dss_jscan_array(&sub, m->val, m->vallen, &err) == 0 && sub.n == 2,
	    "array elements");
	ok(sub.m[1].key == NULL, "elements have no key");
	dss_jscan_unquote(&b, sub.m[1].val, sub.m[1].vallen);
	is_str(b.data, "b\"c", "element decoded");
	dss_buf_free(&b);
	dss_jscan_free(&j);
	dss_jscan_free(&sub);
}

/* A name given twice is refused; a few names or many, plain or escaped. */
static void
test_twice(void)
{
	struct dss_jscan j = DSS_JSCAN_INIT;
	struct dss_err err = DSS_ERR_INIT;
	struct dss_buf b = DSS_BUF_INIT;
	const char *s;
	int i;

	s = "{\"id\":\"a\",\"input\":\"x\",\"id\":\"b\"}";
	ok(dss_jscan_object(&j, s, strlen(s), &err) == -1, "a name twice: refused");
	is_str(err.msg, "field 'id' is given twice", "  named");
	ok(dss_jscan_object(NULL, s, strlen(s), &err) == -1,
	    "  also when only validating");
	ok(dss_jscan_check(s, strlen(s), &err) == -1, "  also in a whole document");
	s = "{\"id\":\"a\",\"\\u0069d\":\"b\"}";
	ok(dss_jscan_object(&j, s, strlen(s), &err) == -1 &&
	    strcmp(err.msg, "field 'id' is given twice") == 0,
	    "names compare decoded ('%s')", err.msg);
	s = "{\"\":1,\"\":2}";
	ok(dss_jscan_object(&j, s, strlen(s), &err) == -1, "the empty name twice");
	/* "aa" and "bj" share a bit of unique_names' mask: compared, they pass */
	s = "{\"ab\":1,\"ba\":2,\"aab\":3,\"aa\":4,\"bj\":5,\"a\":{\"x\":1,\"x\":2},"
	    "\"b\":[{\"y\":1},{\"y\":2}]}";
	ok(dss_jscan_object(&j, s, strlen(s), &err) == 0,
	    "names alike but not equal, and repeats below the top level, pass");
	s = "{\"aa\":1,\"bj\":2,\"aa\":3}";
	ok(dss_jscan_object(&j, s, strlen(s), &err) == -1 &&
	    strcmp(err.msg, "field 'aa' is given twice") == 0,
	    "a repeat among names that share a bit is found ('%s')", err.msg);
	s = "[{\"y\":1},{\"y\":2}]";
	ok(dss_jscan_array(&j, s, strlen(s), &err) == 0, "an array's objects pass");
	/* 1000 members, the slow way: unique, then one repeated */
	dss_buf_addch(&b, '{');
	for (i = 0; i < 1000; i++)
		dss_buf_addf(&b, "%s\"k%d\":%d", i ? "," : "", i, i);
	dss_buf_addch(&b, '}');
	ok(dss_jscan_object(&j, b.data, b.len, &err) == 0 && j.n == 1000,
	    "1000 names, all different");
	dss_buf_truncate(&b, b.len - 1);
	dss_buf_adds(&b, ",\"k\\u0035\\u0030\":0}");
	ok(dss_jscan_object(&j, b.data, b.len, &err) == -1 &&
	    strcmp(err.msg, "field 'k50' is given twice") == 0,
	    "1001 names, one twice ('%s')", err.msg);
	dss_buf_free(&b);
	dss_jscan_free(&j);
}

static void
test_strings(void)
{
	static const char *const texts[] = {
		"plain",
		"",
		"quote \" backslash \\ slash /",
		"lines\nand\ttabs\r\b\f",
		"ctl \x01\x1f end",
		"caf\xc3\xa9 \xf0\x9f\x98\x80",
		"Answer: neutral\n\nPremise: A man.",
	};
	struct dss_buf q = DSS_BUF_INIT, u = DSS_BUF_INIT;
	struct dss_jscan j = DSS_JSCAN_INIT;
	struct dss_err err = DSS_ERR_INIT;
	size_t i;

	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		cJSON *o;

		dss_buf_reset(&q);
		dss_buf_reset(&u);
		dss_buf_adds(&q, "{\"t\":");
		dss_jscan_quote(&q, texts[i], strlen(texts[i]));
		dss_buf_addch(&q, '}');
		o = cJSON_Parse(q.data);
		ok(o != NULL && strcmp(cJSON_GetObjectItem(o, "t")->valuestring,
		    texts[i]) == 0, "quote %zu reads back in cJSON", i);
		cJSON_Delete(o);
		ok(dss_jscan_object(&j, q.data, q.len, &err) == 0,
		    "quote %zu scans", i);
		dss_jscan_unquote(&u, j.m[0].val, j.m[0].vallen);
		is_str(u.data, texts[i], "  and unquotes to the same text");
	}
	dss_buf_reset(&u);
	dss_jscan_unquote(&u, "\"\\u00e9\\ud83d\\ude00\\u20ac\"", 26);
	is_str(u.data, "\xc3\xa9\xf0\x9f\x98\x80\xe2\x82\xac",
	    "\\u escapes and a surrogate pair to UTF-8");
	dss_buf_reset(&u);
	dss_jscan_unquote(&u, "\"a\\ud800b\"", 10);
	is_str(u.data, "a\xef\xbf\xbd" "b", "a lone surrogate becomes U+FFFD");
	dss_buf_free(&q);
	dss_buf_free(&u);
	dss_jscan_free(&j);
}

/* Wraps text as the value of field "k" at offset pos of a longer string. */
static void
wrap(char *t, size_t cap, int pos, const char *text)
{
	snprintf(t, cap, "{\"k\":\"%.*s%s%.*s\"}", pos,
	    "0123456789012345678901234567890123456789", text, 39 - pos,
	    "0123456789012345678901234567890123456789");
}

static void
test_text(void)
{
	static const struct {
		const char *text;
		const char *msg;	/* after "field 'k' " */
	} bad[] = {
		{ "\xff", "is not valid UTF-8 (byte 0xff" },
		{ "\x80", "is not valid UTF-8 (byte 0x80" },
		{ "\xc0\xaf", "is not valid UTF-8 (byte 0xc0" },
		{ "\xc1\xbf", "is not valid UTF-8 (byte 0xc1" },
		{ "\xe0\x80\xaf", "is not valid UTF-8 (byte 0xe0" },
		{ "\xed\xa0\x80", "is not valid UTF-8 (byte 0xed" },
		{ "\xf0\x80\x80\xaf", "is not valid UTF-8 (byte 0xf0" },
		{ "\xf4\x90\x80\x80", "is not valid UTF-8 (byte 0xf4" },
		{ "\xf5\x80\x80\x80", "is not valid UTF-8 (byte 0xf5" },
		{ "\xc3x", "is not valid UTF-8 (byte 0xc3" },
		{ "\xe2\x82x", "is not valid UTF-8 (byte 0xe2" },
		{ "\\u0000", "holds a NUL character (\\u0000" },
		{ "\\ud800", "holds a lone surrogate (\\ud800" },
		{ "\\uDBFFx", "holds a lone surrogate (\\uDBFF" },
		{ "\\udc00", "holds a lone surrogate (\\udc00" },
		{ "\\ud800\\u0041", "holds a lone surrogate (\\ud800" },
		{ "\\ud800\\ud800", "holds a lone surrogate (\\ud800" },
		{ "\\ud800\\n", "holds a lone surrogate (\\ud800" },
	};
	static const char *const good[] = {
		"\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf",
		"\xee\x80\x80", "\xef\xbf\xbf", "\xf0\x90\x80\x80",
		"\xf4\x8f\xbf\xbf", "\\ud83d\\ude00", "\\uDBFF\\uDFFF",
		"\\u0001", "\xef\xbb\xbf",
	};
	struct dss_jscan j = DSS_JSCAN_INIT;
	struct dss_err err = DSS_ERR_INIT;
	char t[160], want[200];
	size_t i;
	int pos, nbad;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		nbad = 0;
		for (pos = 0; pos < 40; pos++) {
			wrap(t, sizeof t, pos, bad[i].text);
			snprintf(want, sizeof want, "field 'k' %s at byte %d)",
			    bad[i].msg, 6 + pos);
			if (dss_jscan_object(&j, t, strlen(t), &err) != -1 ||
			    strcmp(err.msg, want) != 0) {
				if (nbad++ == 0)
					printf("# at %d: '%s', want '%s'\n", pos,
					    err.msg, want);
			}
		}
		is_int(nbad, 0, bad[i].msg);
	}
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		cJSON *o;

		nbad = 0;
		for (pos = 0; pos < 40; pos++) {
			wrap(t, sizeof t, pos, good[i]);
			nbad += dss_jscan_object(&j, t, strlen(t), &err) != 0;
		}
		o = cJSON_Parse(t);
		ok(nbad == 0 && o != NULL, "valid text %zu at every offset", i);
		cJSON_Delete(o);
	}
	ok(dss_jscan_object(&j, "{\"a\":1,\"k\xff\":2}", 13, &err) == -1 &&
	    strcmp(err.msg, "a field name is not valid UTF-8 (byte 0xff at "
	    "byte 9)") == 0, "a bad field name");
	ok(dss_jscan_object(&j, "{\"f\":{\"g\":[\"\\u0000\"]}}", 22, &err) ==
	    -1 && strcmp(err.msg, "field 'f' holds a NUL character (\\u0000 at "
	    "byte 12)") == 0, "nested: the top-level field is named");
	ok(dss_jscan_object(&j, "\xef\xbb\xbf{}", 5, &err) == -1 &&
	    strcmp(err.msg, "a byte-order mark (U+FEFF) at byte 0 where JSON "
	    "should start") == 0, "a byte-order mark is named");
	ok(dss_jscan_object(&j, "{\"a\":\"x\"} \xff", 11, &err) == -1 &&
	    strncmp(err.msg, "invalid JSON near byte", 22) == 0,
	    "a high byte outside a string is a syntax error");
	ok(dss_jscan_object(NULL, "{\"a\":[1,{}]}", 12, &err) == 0,
	    "j NULL validates only");
	ok(dss_jscan_check("[{},\"\xff\"]", 9, &err) == -1 &&
	    strcmp(err.msg, "element 1 is not valid UTF-8 (byte 0xff at byte 5)")
	    == 0, "dss_jscan_check names an array element");
	ok(dss_jscan_check("\"ok\"", 4, &err) == 0, "and takes any value");
	{
		const char *d = "\xef\xbb\xbf[1]";
		size_t n = 6;

		ok(dss_jscan_document(&d, &n, &err) == 0 && n == 3 &&
		    strcmp(d, "[1]") == 0, "a document's first byte-order mark "
		    "is passed over");
	}
	dss_jscan_free(&j);
}

static void
test_repair(void)
{
	static const struct {
		const char *in, *out;
		size_t n;
	} text[] = {
		{ "plain", "plain", 0 },
		{ "caf\xc3\xa9 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xf0\x9f\x98\x80", 0 },
		{ "a\xff" "b", "a\xef\xbf\xbd" "b", 1 },
		{ "\xe2\x82", "\xef\xbf\xbd", 1 },
		{ "\xe2\x82x", "\xef\xbf\xbdx", 1 },
		{ "\xf0\x9f\x98", "\xef\xbf\xbd", 1 },
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd", 2 },
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 3 },
		{ "\xf4\x90\x80\x80!", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
		    "\xef\xbf\xbd!", 4 },
	};
	static const char body[] = "{\"t\":\"A\\u0000B\\ud800C\\udc00D"
	    "\\ud83d\\ude00E\xff" "F\\\\u0000G\"}";
	static const char fixed[] = "{\"t\":\"A\\ufffdB\\ufffdC\\ufffdD"
	    "\\ud83d\\ude00E\xef\xbf\xbd" "F\\\\u0000G\"}";
	struct dss_buf b = DSS_BUF_INIT;
	size_t i, n;
	cJSON *o;

	for (i = 0; i < sizeof text / sizeof text[0]; i++) {
		dss_buf_reset(&b);
		dss_buf_adds(&b, text[i].in);
		ok(dss_utf8_repair(&b, &n) == 0 && strcmp(b.data, text[i].out) == 0 &&
		    n == text[i].n, "repair %zu: %zu replacement(s)", i, text[i].n);
	}
	dss_buf_reset(&b);
	dss_buf_adds(&b, body);
	ok(dss_jscan_repair(&b, &n) == 0 && n == 4, "a body: four repairs");
	is_str(b.data, fixed, "  NUL and lone surrogates as \\ufffd, a bad byte "
	    "as U+FFFD, an escaped backslash left alone");
	o = cJSON_Parse(b.data);
	ok(o != NULL && strcmp(cJSON_GetObjectItem(o, "t")->valuestring,
	    "A\xef\xbf\xbd" "B\xef\xbf\xbd" "C\xef\xbf\xbd" "D\xf0\x9f\x98\x80"
	    "E\xef\xbf\xbd" "F\\u0000G") == 0, "  and cJSON reads the whole text");
	cJSON_Delete(o);
	ok(dss_jscan_repair(&b, &n) == 0 && n == 0, "a repaired body needs none");
	dss_buf_free(&b);
}

/*
 * The differential test of the fast string paths (SSE2, SWAR, the short
 * escapes kept inline) against the simplest reading of the rules, one
 * byte at a time, on random and adversarial strings of every length
 * around the 8- and 16-byte blocks.
 */
static unsigned long long rng_state = 0x9e3779b97f4a7c15ULL;

static unsigned
rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

/* The length of the UTF-8 character at s (n bytes left), or 0. */
static size_t
ref_utf8(const unsigned char *s, size_t n)
{
	unsigned long cp, min;
	size_t len, k;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC0 && s[0] < 0xE0)
		len = 2, cp = s[0] & 0x1F, min = 0x80;
	else if (s[0] >= 0xE0 && s[0] < 0xF0)
		len = 3, cp = s[0] & 0x0F, min = 0x800;
	else if (s[0] >= 0xF0 && s[0] < 0xF8)
		len = 4, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
		return 0;
	return len;
}

static int
ref_hex4(const unsigned char *p, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		int c = p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		*v = *v * 16 + (unsigned)d;
	}
	return 0;
}

/*
 * What dss_jscan_check must say of the n bytes at s, a string literal
 * from its opening quote: "" when valid, else its message.
 */
static void
ref_check(const unsigned char *s, size_t n, char *msg, size_t size)
{
	size_t i = 1, k;
	unsigned cp, lo;

	msg[0] = '\0';
	for (;;) {
		if (i >= n)
			goto syntax;
		if (s[i] == '"') {
			i++;
			break;
		}
		if (s[i] < 0x20)
			goto syntax;
		if (s[i] >= 0x80) {
			if ((k = ref_utf8(s + i, n - i)) == 0) {
				snprintf(msg, size, "a string is not valid UTF-8 "
				    "(byte 0x%02x at byte %zu)", s[i], i);
				return;
			}
			i += k;
			continue;
		}
		if (s[i] != '\\') {
			i++;
			continue;
		}
		if (i + 1 >= n)
			goto syntax;
		if (s[i + 1] != 'u') {
			if (strchr("\"\\/bfnrt", s[i + 1]) == NULL || s[i + 1] == 0)
				goto syntax;
			i += 2;
			continue;
		}
		if (i + 5 >= n || ref_hex4(s + i + 2, &cp) < 0)
			goto syntax;
		if (cp == 0) {
			snprintf(msg, size, "a string holds a NUL character "
			    "(\\u0000 at byte %zu)", i);
			return;
		}
		if (cp >= 0xD800 && cp < 0xE000) {
			if (cp >= 0xDC00 || i + 11 >= n || s[i + 6] != '\\' ||
			    s[i + 7] != 'u' || ref_hex4(s + i + 8, &lo) < 0 ||
			    lo < 0xDC00 || lo >= 0xE000) {
				snprintf(msg, size, "a string holds a lone surrogate "
				    "(\\u%.4s at byte %zu)", (const char *)s + i + 2, i);
				return;
			}
			i += 12;
		} else
			i += 6;
	}
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
	    s[i] == '\r'))
		i++;
	if (i == n)
		return;
syntax:
	snprintf(msg, size, "invalid JSON near byte %zu", i);
}

/* Appends one random piece, mostly plain text, to b. */
static void
random_piece(struct dss_buf *b)
{
	static const char *const pieces[] = {
		"\"", "\\", "\\n", "\\\"", "\\\\", "\\/", "\\t", "\\x", "\\u0041",
		"\\u00e9", "\\u12g4", "\\u0000", "\\ud83d\\ude00", "\\ud800",
		"\\udc00", "\\ud800\\u0041", "\\u", "\\ud83d\\u", "\x01", "\x1f",
		"\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc3",
		"\xe2\x82", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff",
		"\x80", " ", "\n",
	};
	unsigned r = rnd(100);

	if (r < 70) {
		size_t k, len = rnd(24);

		for (k = 0; k < len; k++)
			dss_buf_addch(b, 'a' + (int)rnd(26));
	} else if (r < 75)
		dss_buf_addch(b, (char)rnd(256));
	else
		dss_buf_adds(b, pieces[rnd(sizeof pieces / sizeof pieces[0])]);
}

static void
test_differential(void)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_buf b = DSS_BUF_INIT, fast = DSS_BUF_INIT, ref = DSS_BUF_INIT;
	char want[DSS_ERR_MAX];
	unsigned long cases = 0, bad = 0, badesc = 0, badrt = 0, valid = 0;
	size_t pre, at, k;
	int round;

	for (round = 0; round < 60000; round++) {
		dss_buf_reset(&b);
		dss_buf_addch(&b, '"');
		if (round < 2 * 40 * 8) {
			/* Adversarial: a long plain run, then one special piece at
			 * every offset across the block boundaries. */
			static const char *const one[] = {
				"\"", "\\n", "\\q", "\x01", "\xc3\xa9", "\xff",
				"\\u0000", "\\ud800",
			};
			pre = (size_t)(round / 8) % 40;
			for (at = 0; at < pre; at++)
				dss_buf_addch(&b, 'x');
			dss_buf_adds(&b, one[round % 8]);
			for (at = 0; at < (size_t)(round / 320); at++)
				dss_buf_addch(&b, 'y');
		} else
			for (k = rnd(6); k > 0; k--)
				random_piece(&b);
		if (rnd(4) != 0)
			dss_buf_addch(&b, '"');
		ref_check((const unsigned char *)b.data, b.len, want, sizeof want);
		err.msg[0] = '\0';
		if ((dss_jscan_check(b.data, b.len, &err) == 0 ? want[0] != '\0' :
		    strcmp(err.msg, want) != 0) && bad++ < 5) {
			dss_buf_reset(&ref);
			ref_escape(&ref, (const unsigned char *)b.data, b.len);
			printf("# \"%s\": got '%s', want '%s'\n", ref.data,
			    err.msg[0] ? err.msg : "valid", want[0] ? want : "valid");
		}
		if (want[0] == '\0') {
			/* A valid literal decodes as cJSON decodes it... */
			cJSON *o = cJSON_ParseWithLength(b.data, b.len);

			valid++;
			dss_buf_reset(&fast);
			if (dss_jscan_unquote(&fast, b.data, b.len) < 0 ||
			    !cJSON_IsString(o) || strlen(o->valuestring) != fast.len ||
			    memcmp(o->valuestring, fast.data, fast.len) != 0)
				badrt++;
			cJSON_Delete(o);
			/* ...and quotes back as the reference quotes it. */
			dss_buf_reset(&ref);
			ref_escape(&ref, (const unsigned char *)fast.data, fast.len);
			dss_buf_reset(&b);
			if (dss_jscan_escape(&b, fast.data, fast.len) < 0 ||
			    b.len != ref.len || memcmp(b.data, ref.data, b.len) != 0)
				badesc++;
		}
		/* Any bytes at all escape as the reference escapes them. */
		dss_buf_reset(&fast);
		dss_buf_reset(&ref);
		for (k = rnd(48); k > 0; k--)
			dss_buf_addch(&fast, (char)(rnd(3) ? 'a' + rnd(26) : rnd(256)));
		ref_escape(&ref, (const unsigned char *)fast.data, fast.len);
		dss_buf_reset(&b);
		if (dss_jscan_escape(&b, fast.data, fast.len) < 0 ||
		    b.len != ref.len || memcmp(b.data, ref.data, b.len) != 0)
			badesc++;
		cases++;
	}
	ok(bad == 0, "differential: %lu strings (%lu valid), the fast scan "
	    "agrees with the byte-by-byte reading on each (%lu differ)", cases,
	    valid, bad);
	ok(badesc == 0, "differential: escaping agrees with the byte-by-byte "
	    "escape (%lu differ)", badesc);
	ok(badrt == 0 && valid > 1000, "differential: every valid literal decodes "
	    "as cJSON decodes it (%lu differ)", badrt);
	dss_buf_free(&b);
	dss_buf_free(&fast);
	dss_buf_free(&ref);
}

/*
 * The differential test of the whole-document scan: random JSON, valid
 * and then broken at random, read by the scanner and by a byte-at-a-time
 * reading of the same rules; both must accept the same texts and find
 * the same top-level members.
 */
static int ref_value(const unsigned char *s, size_t n, size_t *i, int depth);

static void
ref_ws(const unsigned char *s, size_t n, size_t *i)
{
	while (*i < n && (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\n' ||
	    s[*i] == '\r'))
		(*i)++;
}

/* A string from its opening quote at *i; leaves *i after it. */
static int
ref_string(const unsigned char *s, size_t n, size_t *i)
{
	size_t k, j = *i + 1;
	unsigned cp, lo;

	for (;;) {
		if (j >= n || s[j] < 0x20)
			return -1;
		if (s[j] == '"') {
			*i = j + 1;
			return 0;
		}
		if (s[j] >= 0x80) {
			if ((k = ref_utf8(s + j, n - j)) == 0)
				return -1;
			j += k;
			continue;
		}
		if (s[j] != '\\') {
			j++;
			continue;
		}
		if (j + 1 >= n)
			return -1;
		if (s[j + 1] != 'u') {
			if (s[j + 1] == 0 || strchr("\"\\/bfnrt", s[j + 1]) == NULL)
				return -1;
			j += 2;
			continue;
		}
		if (j + 5 >= n || ref_hex4(s + j + 2, &cp) < 0 || cp == 0)
			return -1;
		if (cp >= 0xD800 && cp < 0xE000) {
			if (cp >= 0xDC00 || j + 11 >= n || s[j + 6] != '\\' ||
			    s[j + 7] != 'u' || ref_hex4(s + j + 8, &lo) < 0 ||
			    lo < 0xDC00 || lo >= 0xE000)
				return -1;
			j += 12;
		} else
			j += 6;
	}
}

static int
ref_digits(const unsigned char *s, size_t n, size_t *i)
{
	size_t j = *i;

	while (*i < n && s[*i] >= '0' && s[*i] <= '9')
		(*i)++;
	return *i > j ? 0 : -1;
}

static int
ref_value(const unsigned char *s, size_t n, size_t *i, int depth)
{
	static const char *const words[] = { "true", "false", "null" };
	int k;

	if (*i >= n)
		return -1;
	if (s[*i] == '"')
		return ref_string(s, n, i);
	if (s[*i] == '{' || s[*i] == '[') {
		unsigned char close = s[*i] == '{' ? '}' : ']';

		if (depth + 1 > DSS_JSCAN_MAX_DEPTH)
			return -1;
		(*i)++;
		ref_ws(s, n, i);
		if (*i < n && s[*i] == close) {
			(*i)++;
			return 0;
		}
		for (;;) {
			if (close == '}') {
				if (*i >= n || s[*i] != '"' || ref_string(s, n, i) < 0)
					return -1;
				ref_ws(s, n, i);
				if (*i >= n || s[*i] != ':')
					return -1;
				(*i)++;
				ref_ws(s, n, i);
			}
			if (ref_value(s, n, i, depth + 1) < 0)
				return -1;
			ref_ws(s, n, i);
			if (*i >= n)
				return -1;
			if (s[*i] == ',') {
				(*i)++;
				ref_ws(s, n, i);
				continue;
			}
			if (s[*i] != close)
				return -1;
			(*i)++;
			return 0;
		}
	}
	for (k = 0; k < 3; k++)
		if (s[*i] == (unsigned char)words[k][0]) {
			size_t l = strlen(words[k]);

			if (n - *i < l || memcmp(s + *i, words[k], l) != 0)
				return -1;
			*i += l;
			return 0;
		}
	if (s[*i] != '-' && (s[*i] < '0' || s[*i] > '9'))
		return -1;
	if (s[*i] == '-')
		(*i)++;
	if (*i < n && s[*i] == '0')
		(*i)++;
	else if (ref_digits(s, n, i) < 0)
		return -1;
	if (*i < n && s[*i] == '.') {
		(*i)++;
		if (ref_digits(s, n, i) < 0)
			return -1;
	}
	if (*i < n && (s[*i] == 'e' || s[*i] == 'E')) {
		(*i)++;
		if (*i < n && (s[*i] == '+' || s[*i] == '-'))
			(*i)++;
		if (ref_digits(s, n, i) < 0)
			return -1;
	}
	return 0;
}

/*
 * Whether a valid document's top-level object gives a name twice
 * (compared decoded: the generator's only escaped name is "k\u0041").
 */
static int
ref_names_repeat(const unsigned char *s, size_t n)
{
	char names[64][16];
	size_t i = 0, k = 0, a;

	ref_ws(s, n, &i);
	if (s[i] != '{')
		return 0;
	i++;
	ref_ws(s, n, &i);
	while (s[i] != '}' && k < 64) {
		size_t ks = i, len;

		ref_string(s, n, &i);
		len = i - ks - 2;
		if (len == 6 + 1 && memcmp(s + ks + 1, "k\\u0041", 7) == 0)
			snprintf(names[k], sizeof(names[k]), "kA");
		else
			snprintf(names[k], sizeof(names[k]), "%.*s",
			    (int)(len < 15 ? len : 15), (const char *)s + ks + 1);
		for (a = 0; a < k; a++)
			if (strcmp(names[a], names[k]) == 0)
				return 1;
		k++;
		ref_ws(s, n, &i);
		i++;			/* the colon */
		ref_ws(s, n, &i);
		ref_value(s, n, &i, 1);
		ref_ws(s, n, &i);
		if (s[i] == ',') {
			i++;
			ref_ws(s, n, &i);
		}
	}
	return 0;
}

/* Whether the n bytes at s are one JSON value with whitespace around it. */
static int
ref_document(const unsigned char *s, size_t n)
{
	size_t i = 0;

	ref_ws(s, n, &i);
	if (ref_value(s, n, &i, 0) < 0)
		return 0;
	ref_ws(s, n, &i);
	return i == n && !ref_names_repeat(s, n);
}

/* Appends a random JSON value of at most depth levels to b. */
static void
random_value(struct dss_buf *b, int depth)
{
	static const char *const atoms[] = {
		"0", "-0", "12", "-3.25", "1e5", "2E-3", "0.5e+7", "true", "false",
		"null", "\"\"", "\"a\\nb\"", "\"caf\xc3\xa9\"", "\"\\u00e9\\ud83d\\ude00\"",
		"\"\\/\\\\\\\"\"",
	};
	static const char *const spaces[] = { "", "", "", " ", "\n", "\t ", "\r\n" };
	unsigned r = rnd(10), k, nk;

	if (depth > 0 && r < 3) {
		int obj = r < 2;

		dss_buf_addch(b, obj ? '{' : '[');
		nk = rnd(5);
		for (k = 0; k < nk; k++) {
			if (k)
				dss_buf_addch(b, ',');
			dss_buf_adds(b, spaces[rnd(7)]);
			if (obj) {
				dss_buf_addch(b, '"');
				if (rnd(4) == 0)
					dss_buf_adds(b, "k\\u0041");
				else
					dss_buf_addf(b, "k%u", rnd(20));
				dss_buf_addch(b, '"');
				dss_buf_adds(b, spaces[rnd(7)]);
				dss_buf_addch(b, ':');
				dss_buf_adds(b, spaces[rnd(7)]);
			}
			random_value(b, depth - 1);
			dss_buf_adds(b, spaces[rnd(7)]);
		}
		dss_buf_addch(b, obj ? '}' : ']');
	} else if (r < 6) {
		size_t start = b->len;

		dss_buf_addch(b, '"');
		for (k = rnd(4); k > 0; k--)
			random_piece(b);
		dss_buf_addch(b, '"');
		/* Mostly valid strings: a stray quote would end it early. */
		if (rnd(2)) {
			size_t i;

			for (i = start + 1; i + 1 < b->len; i++)
				if (b->data[i] == '"' && b->data[i - 1] != '\\')
					b->data[i] = 'q';
		}
	} else
		dss_buf_adds(b, atoms[rnd(sizeof atoms / sizeof atoms[0])]);
}

static void
test_documents(void)
{
	static const char breakers[] = "{}[]\",:\\ \n0-.eEtfnu\x01\xff\xc3";
	struct dss_jscan j = DSS_JSCAN_INIT;
	struct dss_err err = DSS_ERR_INIT;
	struct dss_buf b = DSS_BUF_INIT;
	unsigned long cases = 0, valid = 0, objects = 0, bad = 0, badm = 0;
	int round;

	for (round = 0; round < 40000; round++) {
		const unsigned char *u;
		int want, got;
		size_t at;

		dss_buf_reset(&b);
		if (rnd(2))
			dss_buf_adds(&b, rnd(2) ? " " : "");
		if (rnd(3))
			random_value(&b, 4);
		else {
			/* an object at the top, as records are */
			dss_buf_addch(&b, '{');
			dss_buf_adds(&b, "\"a\":");
			random_value(&b, 3);
			dss_buf_adds(&b, ",\"b\":");
			random_value(&b, 3);
			dss_buf_addch(&b, '}');
		}
		/* Broken at one place, half the time. */
		if (rnd(2) && b.len > 0) {
			at = rnd((unsigned)b.len);
			switch (rnd(3)) {
			case 0:
				memmove(b.data + at, b.data + at + 1, b.len - at - 1);
				b.len--;
				break;
			case 1:
				b.data[at] = breakers[rnd(sizeof breakers - 1)];
				break;
			default:
				dss_buf_addch(&b, 0);
				memmove(b.data + at + 1, b.data + at, b.len - at - 1);
				b.data[at] = breakers[rnd(sizeof breakers - 1)];
				break;
			}
			b.data[b.len] = '\0';
		}
		u = (const unsigned char *)b.data;
		want = ref_document(u, b.len);
		got = dss_jscan_check(b.data, b.len, &err) == 0;
		valid += want;
		if (got != want && bad++ < 5) {
			struct dss_buf e = DSS_BUF_INIT;

			ref_escape(&e, u, b.len);
			printf("# \"%s\": scanner %s, reference %s\n", e.data,
			    got ? "accepts" : "refuses", want ? "accepts" : "refuses");
			dss_buf_free(&e);
		}
		if (want && b.len > 0) {
			size_t i = 0;

			ref_ws(u, b.len, &i);
			if (u[i] == '{') {
				/* The members the scanner finds: each key and value span. */
				size_t k;

				objects++;
				if (dss_jscan_object(&j, b.data, b.len, &err) != 0) {
					badm++;
					continue;
				}
				i++;
				ref_ws(u, b.len, &i);
				for (k = 0; u[i] != '}'; k++) {
					size_t ks = i, ke, vs;

					ref_string(u, b.len, &i);
					ke = i;
					ref_ws(u, b.len, &i);
					i++;
					ref_ws(u, b.len, &i);
					vs = i;
					ref_value(u, b.len, &i, 1);
					if (k >= j.n || j.m[k].key != b.data + ks + 1 ||
					    j.m[k].keylen != ke - ks - 2 ||
					    j.m[k].val != b.data + vs ||
					    j.m[k].vallen != i - vs ||
					    j.m[k].val_escaped != (u[vs] == '"' &&
					    memchr(u + vs, '\\', i - vs) != NULL))
						badm++;
					ref_ws(u, b.len, &i);
					if (u[i] == ',') {
						i++;
						ref_ws(u, b.len, &i);
					}
				}
				if (k != j.n)
					badm++;
			}
		}
		cases++;
	}
	ok(bad == 0, "documents: %lu random texts (%lu valid), the scanner and "
	    "the byte-by-byte reading accept the same (%lu differ)", cases, valid,
	    bad);
	ok(badm == 0 && objects > 1000, "documents: %lu objects, every member's "
	    "key and value found where the reading finds them, and whether a "
	    "string value holds a backslash (%lu differ)",
	    objects, badm);
	dss_jscan_free(&j);
	dss_buf_free(&b);
}

int
main(void)
{
	test_validity();
	test_members();
	test_twice();
	test_strings();
	test_text();
	test_repair();
	test_differential();
	test_documents();
	return done();
}
