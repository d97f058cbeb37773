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
	s = "{\"ab\":1,\"ba\":2,\"aab\":3,\"a\":{\"x\":1,\"x\":2},\"b\":[{\"y\":1},{\"y\":2}]}";
	ok(dss_jscan_object(&j, s, strlen(s), &err) == 0,
	    "names alike but not equal, and repeats below the top level, pass");
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

int
main(void)
{
	test_validity();
	test_members();
	test_twice();
	test_strings();
	test_text();
	test_repair();
	return done();
}
