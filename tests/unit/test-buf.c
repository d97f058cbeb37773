/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the helpers that were shared out of csv, dataset, jscan,
 * filter, release, manifest and prompt: the inline fast appends, the
 * UTF-8 encoder, reading a stream within the buffer's limit, and JSON
 * string escaping, whose word-at-a-time scan is checked against a plain
 * byte-by-byte reference at every alignment.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/buf.h"
#include "../../lib/jscan.h"
#include "ref-escape.h"
#include "tap.h"

static void
test_fast(void)
{
	struct dss_buf b = DSS_BUF_INIT;
	int i, good = 1;

	ok(dss_buf_add_fast(&b, "ab", 2) == 0 && dss_buf_addch_fast(&b, 'c') == 0,
	    "fast appends to an empty buffer");
	is_str(b.data, "abc", "fast appends: text");
	for (i = 0; i < 1000; i++)
		if (dss_buf_addch_fast(&b, (char)('a' + i % 26)) < 0 ||
		    dss_buf_add_fast(&b, "xy", 2) < 0)
			good = 0;
	ok(good && b.len == 3003 && b.data[b.len] == '\0' &&
	    memcmp(b.data + b.len - 3, "lxy", 3) == 0,
	    "fast appends across growth stay NUL-terminated");
	dss_buf_free(&b);
	b.max = 4;
	ok(dss_buf_add_fast(&b, "0123", 4) == 0 &&
	    dss_buf_add_fast(&b, "0123456789", 10) == -1,
	    "fast append past max fails");
	dss_buf_free(&b);
}

static void
test_utf8(void)
{
	struct dss_buf b = DSS_BUF_INIT;

	dss_buf_add_utf8(&b, 0x41);
	dss_buf_add_utf8(&b, 0x7F);
	dss_buf_add_utf8(&b, 0x80);
	dss_buf_add_utf8(&b, 0x7FF);
	dss_buf_add_utf8(&b, 0x800);
	dss_buf_add_utf8(&b, 0xFFFD);
	dss_buf_add_utf8(&b, 0xFFFF);
	dss_buf_add_utf8(&b, 0x10000);
	dss_buf_add_utf8(&b, 0x1F600);
	dss_buf_add_utf8(&b, 0x10FFFF);
	is_str(b.data, "A\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbd\xef\xbf\xbf"
	    "\xf0\x90\x80\x80\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf",
	    "utf8: each length and its bounds");
	dss_buf_free(&b);
}

static void
test_read(void)
{
	struct dss_buf b = DSS_BUF_INIT;
	FILE *fp = tmpfile();
	int i;

	for (i = 0; i < 10000; i++)
		fprintf(fp, "line %05d\n", i);
	rewind(fp);
	is_int(dss_buf_read(&b, fp), 0, "read: whole stream");
	is_int((long long)b.len, 110000, "read: every byte");
	ok(memcmp(b.data + b.len - 11, "line 09999\n", 11) == 0 &&
	    b.data[b.len] == '\0', "read: last line, NUL-terminated");
	dss_buf_free(&b);
	rewind(fp);
	b.max = 109999;
	is_int(dss_buf_read(&b, fp), -2, "read: one byte over max is -2");
	dss_buf_free(&b);
	b.max = 110000;
	rewind(fp);
	is_int(dss_buf_read(&b, fp), 0, "read: exactly max fits");
	dss_buf_free(&b);
	fclose(fp);
	fp = fopen(".", "r");
	if (fp != NULL) {
		errno = 0;
		ok(dss_buf_read(&b, fp) == -1 && errno == EISDIR,
		    "read: a directory is a read error with errno");
		fclose(fp);
	} else {
		ok(1, "read: a directory cannot be opened here");
	}
	dss_buf_free(&b);
}

static void
test_escape(void)
{
	unsigned char s[64 + 256];
	struct dss_buf got = DSS_BUF_INIT, want = DSS_BUF_INIT;
	size_t off, len, bad = 0;
	int c;

	/* Every byte value after every prefix length 0..15, so that each
	 * special byte falls at each position of a word. */
	for (c = 0; c < 256; c++)
		for (off = 0; off < 16; off++) {
			memset(s, 'x', off);
			s[off] = (unsigned char)c;
			memset(s + off + 1, 'y', 9);
			len = off + 10;
			dss_buf_reset(&got);
			dss_buf_reset(&want);
			dss_jscan_escape(&got, (const char *)s, len);
			ref_escape(&want, s, len);
			if (got.len != want.len ||
			    memcmp(got.data, want.data, got.len) != 0)
				bad++;
		}
	is_int((long long)bad, 0, "escape: each byte at each offset as the reference");
	for (c = 0; c < 256; c++)
		s[c] = (unsigned char)c;
	dss_buf_reset(&got);
	dss_buf_reset(&want);
	dss_jscan_quote(&got, (const char *)s, 256);
	dss_buf_addch(&want, '"');
	ref_escape(&want, s, 256);
	dss_buf_addch(&want, '"');
	is_str(got.data, want.data, "quote: all 256 bytes, in quotes");
	dss_buf_reset(&got);
	dss_jscan_escape(&got, "", 0);
	is_int((long long)got.len, 0, "escape: empty");
	dss_buf_reset(&got);
	dss_jscan_quote(&got, "a\"b\\c\x01", 6);
	is_str(got.data, "\"a\\\"b\\\\c\\u0001\"", "quote: a short mix");
	dss_buf_free(&got);
	dss_buf_free(&want);
}

int
main(void)
{
	test_fast();
	test_utf8();
	test_read();
	test_escape();
	return done();
}
