/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the CSV reader: plain and quoted fields, doubled quotes,
 * embedded commas and newlines, CRLF, blank lines, header mapping, line
 * numbers, the field-size limit, truncated input, and records that span
 * the reader's internal block boundary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/buf.h"
#include "../../lib/csv.h"
#include "tap.h"

/* Joins all records as "f1|f2;f1|f2;" with their lines as "@N". */
static char *
slurp(const char *text, struct dss_err *err, int *status)
{
	FILE *fp = memfile(text, strlen(text));
	struct dss_csv *c = dss_csv_open(fp, "t.csv", err);
	struct dss_buf b = DSS_BUF_INIT;
	size_t i;
	int r;

	while ((r = dss_csv_next(c, err)) == 1) {
		dss_buf_addf(&b, "@%lu:", dss_csv_lineno(c));
		for (i = 0; i < dss_csv_count(c); i++)
			dss_buf_addf(&b, i ? "|%s" : "%s", dss_csv_field(c, i, NULL));
		dss_buf_addch(&b, ';');
	}
	*status = r;
	dss_csv_close(c);
	fclose(fp);
	return dss_buf_detach(&b, NULL);
}

static void
check(const char *text, const char *want, const char *name)
{
	struct dss_err err = DSS_ERR_INIT;
	int st;
	char *got = slurp(text, &err, &st);

	is_str(got, want, name);
	if (st != 0)
		printf("# status %d: %s\n", st, err.msg);
	free(got);
}

static void
check_error(const char *text, const char *want, const char *name)
{
	struct dss_err err = DSS_ERR_INIT;
	int st;
	char *got = slurp(text, &err, &st);

	is_int(st, -1, name);
	is_str(err.msg, want, "error message names the line");
	free(got);
}

static void
test_header(void)
{
	const char *text = "\xef\xbb\xbfpairID,gold_label,Sentence1\r\n"
	    "1a,neutral,\"A man, a plan\"\r\n";
	FILE *fp = memfile(text, strlen(text));
	struct dss_err err = DSS_ERR_INIT;
	struct dss_csv *c = dss_csv_open(fp, "t.csv", &err);
	size_t n;

	is_int(dss_csv_read_header(c, &err), 0, "header reads");
	is_int(dss_csv_column(c, "pairID"), 0, "byte-order mark is dropped from the first name");
	is_int(dss_csv_column(c, "Sentence1"), 2, "column found by name");
	is_int(dss_csv_column(c, "Sentence2"), -1, "missing column is -1");
	is_int(dss_csv_next(c, &err), 1, "record after header");
	is_str(dss_csv_field(c, 2, &n), "A man, a plan", "quoted field with comma");
	is_int((long long)n, 13, "field length");
	ok(dss_csv_field(c, 3, NULL) == NULL, "field past the end is NULL");
	is_int(dss_csv_lineno(c), 2, "record line number");
	is_int(dss_csv_next(c, &err), 0, "end of input");
	dss_csv_close(c);
	fclose(fp);

	fp = memfile("", 0);
	c = dss_csv_open(fp, "empty.csv", &err);
	is_int(dss_csv_read_header(c, &err), -1, "empty file has no header");
	is_str(err.msg, "'empty.csv' has no header", "empty file message");
	dss_csv_close(c);
	fclose(fp);
}

static void
test_edges(void)
{
	static const char text[] = "n,n,x\na\0b,\"q\0\",s\n1,2,\"0123456789ABC\"\n";
	FILE *fp = memfile(text, sizeof text - 1);
	struct dss_err err = DSS_ERR_INIT;
	struct dss_csv *c = dss_csv_open(fp, "e.csv", &err);
	size_t n = 0;

	dss_csv_set_field_max(c, 12);
	is_int(dss_csv_read_header(c, &err), 0, "header with a repeated name");
	is_int(dss_csv_column(c, "n"), 0, "a repeated name maps to its first column");
	is_int(dss_csv_next(c, &err), 1, "record with NUL bytes");
	ok(memcmp(dss_csv_field(c, 0, &n), "a\0b", 3) == 0 && n == 3,
	    "a NUL byte stays inside its unquoted field, length counts it");
	ok(memcmp(dss_csv_field(c, 1, &n), "q\0", 2) == 0 && n == 2,
	    "a NUL byte stays inside its quoted field");
	is_int(dss_csv_next(c, &err), -1, "quoted field over the limit fails");
	is_str(err.msg, "line 3: field 3 is longer than 12 bytes", "limit applies inside quotes");
	dss_csv_close(c);
	fclose(fp);
}

static void
test_keep(void)
{
	const char *text = "a,b,c,d\n\"x,1\",\"y\"\"\",z,w\n";
	static const unsigned char keep[] = { 1, 0, 1 };
	FILE *fp = memfile(text, strlen(text));
	struct dss_err err = DSS_ERR_INIT;
	struct dss_csv *c = dss_csv_open(fp, "k.csv", &err);
	size_t n = 99;

	is_int(dss_csv_keep(c, keep, 3, &err), 0, "keep mask accepted");
	is_int(dss_csv_next(c, &err), 1, "record with a keep mask");
	is_str(dss_csv_field(c, 0, NULL), "a", "kept field 0");
	is_str(dss_csv_field(c, 1, &n), "", "dropped field reads empty");
	is_int((long long)n, 0, "dropped field has length 0");
	is_str(dss_csv_field(c, 3, NULL), "d", "fields past the mask are kept");
	is_int(dss_csv_next(c, &err), 1, "quoted record with a keep mask");
	is_str(dss_csv_field(c, 0, NULL), "x,1", "kept quoted field");
	is_str(dss_csv_field(c, 1, NULL), "", "dropped quoted field with doubled quote");
	is_str(dss_csv_field(c, 2, NULL), "z", "field after a dropped one");
	is_int((long long)dss_csv_count(c), 4, "all fields still counted");
	dss_csv_close(c);
	fclose(fp);
}

static void
test_big(void)
{
	struct dss_buf in = DSS_BUF_INIT;
	struct dss_err err = DSS_ERR_INIT;
	struct dss_csv *c;
	FILE *fp;
	int i, good = 1, r, rows = 0;

	/* Quoted fields with doubled quotes and newlines straddle the 64 KiB blocks. */
	for (i = 0; i < 5000; i++)
		dss_buf_addf(&in, "%d,\"he said \"\"hi\"\"\nthen %d\",plain text %d\r\n",
		    i, i, i);
	fp = memfile(in.data, in.len);
	c = dss_csv_open(fp, "big.csv", &err);
	while ((r = dss_csv_next(c, &err)) == 1) {
		char want[64];

		snprintf(want, sizeof want, "he said \"hi\"\nthen %d", rows);
		if (dss_csv_count(c) != 3 || strcmp(dss_csv_field(c, 1, NULL), want) != 0 ||
		    dss_csv_lineno(c) != (unsigned long)(2 * rows + 1))
			good = 0;
		rows++;
	}
	is_int(r, 0, "large input reads to the end");
	is_int(rows, 5000, "all records across block boundaries");
	ok(good, "fields and line numbers intact across block boundaries");
	dss_csv_close(c);
	fclose(fp);

	dss_buf_reset(&in);
	dss_buf_adds(&in, "a,");
	for (i = 0; i < 2000; i++)
		dss_buf_adds(&in, "0123456789");
	dss_buf_adds(&in, "\n");
	fp = memfile(in.data, in.len);
	c = dss_csv_open(fp, "long.csv", &err);
	dss_csv_set_field_max(c, 1000);
	is_int(dss_csv_next(c, &err), -1, "field over the limit fails");
	is_str(err.msg, "line 1: field 2 is longer than 1000 bytes", "limit message names line and field");
	dss_csv_close(c);
	fclose(fp);
	dss_buf_free(&in);
}

/*
 * The differential test of the reader's fast scans (16 bytes at a time
 * for plain and quoted fields, LFs counted in the same pass) against the
 * same rules read one byte at a time, on random and adversarial CSV:
 * the same records, fields, line numbers and end.
 */
static unsigned long long rng = 88172645463325252ULL;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* The records of the n bytes at s as slurp() shows them, byte by byte. */
static char *
ref_slurp(const char *s, size_t n, int *status)
{
	enum { START, UNQUOTED, QUOTED, QUOTE } state;
	struct dss_buf b = DSS_BUF_INIT, cur = DSS_BUF_INIT, rec = DSS_BUF_INIT;
	unsigned long line = 1, rec_line;
	size_t i = 0, nf;
	int quoted, started;

	*status = 0;
	for (;;) {
		rec_line = line;
		nf = 0;
		dss_buf_reset(&cur);
		dss_buf_reset(&rec);
		state = START;
		quoted = started = 0;
		for (;;) {
			char c;

			if (i >= n) {
				if (state == QUOTED) {
					*status = -1;
					goto out;
				}
				if (!started)
					goto out;
				if (nf == 0)
					dss_buf_addf(&rec, "@%lu:", rec_line);
				else
					dss_buf_addch(&rec, '|');
				dss_buf_adds(&rec, cur.data);
				dss_buf_addch(&rec, ';');
				dss_buf_adds(&b, rec.data);
				goto out;
			}
			started = 1;
			c = s[i++];
			if (state == START) {
				if (c == '"') {
					state = QUOTED;
					quoted = 1;
					continue;
				}
				state = UNQUOTED;
			}
			if (state == QUOTED) {
				if (c == '"')
					state = QUOTE;
				else {
					line += c == '\n';
					dss_buf_addch(&cur, c);
				}
				continue;
			}
			if (state == QUOTE) {
				if (c == '"') {
					dss_buf_addch(&cur, '"');
					state = QUOTED;
					continue;
				}
				if (c != ',' && c != '\n' && c != '\r') {
					dss_buf_addch(&cur, c);
					state = UNQUOTED;
					continue;
				}
			}
			if (c == ',') {
				if (nf++ == 0)
					dss_buf_addf(&rec, "@%lu:", rec_line);
				else
					dss_buf_addch(&rec, '|');
				dss_buf_adds(&rec, cur.data);
				dss_buf_reset(&cur);
				state = START;
				quoted = 0;
				continue;
			}
			if (c != '\n' && c != '\r') {
				dss_buf_addch(&cur, c);
				continue;
			}
			if (c == '\r' && i < n && s[i] == '\n')
				i++;
			line++;
			if (nf == 0 && !quoted && cur.len == 0) {
				/* a blank line: the record starts again */
				rec_line = line;
				started = 0;
				state = START;
				continue;
			}
			if (nf++ == 0)
				dss_buf_addf(&rec, "@%lu:", rec_line);
			else
				dss_buf_addch(&rec, '|');
			dss_buf_adds(&rec, cur.data);
			dss_buf_addch(&rec, ';');
			dss_buf_adds(&b, rec.data);
			break;
		}
	}
out:
	dss_buf_free(&cur);
	dss_buf_free(&rec);
	return dss_buf_detach(&b, NULL);
}

static void
test_differential(void)
{
	static const char *const pieces[] = {
		",", "\"", "\"\"", "\n", "\r\n", "\r", " ", "a", "bc",
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "\"quoted, with\nLF\"",
		"\"0123456789abcdef\n0123456789abcdef\"", "\"x\"y", "caf\xc3\xa9",
	};
	struct dss_buf in = DSS_BUF_INIT;
	struct dss_err err = DSS_ERR_INIT;
	int round, bad = 0, cases = 0;

	for (round = 0; round < 20000; round++) {
		char *got, *want;
		int st, wst, k;

		dss_buf_reset(&in);
		for (k = rnd(40); k > 0; k--) {
			if (rnd(4) == 0) {
				/* a long run, so that the 16-byte scans see it */
				int len = (int)rnd(70), j;

				for (j = 0; j < len; j++)
					dss_buf_addch(&in, "abc \n,"[rnd(j % 17 ? 3 : 6)]);
			} else
				dss_buf_adds(&in, pieces[rnd(sizeof pieces / sizeof pieces[0])]);
		}
		if (in.len == 0 || memchr(in.data, '\0', in.len) != NULL)
			continue;
		got = slurp(in.data, &err, &st);
		want = ref_slurp(in.data, in.len, &wst);
		cases++;
		if ((strcmp(got, want) != 0 || (st < 0) != (wst < 0)) && bad++ < 3)
			printf("# input of %zu bytes: got '%s' (%d), want '%s' (%d)\n",
			    in.len, got, st, want, wst);
		free(got);
		free(want);
	}
	ok(bad == 0, "differential: %d random inputs read as the byte-by-byte "
	    "reading reads them (%d differ)", cases, bad);
	dss_buf_free(&in);
}

int
main(void)
{
	check("a,b,c\n1,2,3\n", "@1:a|b|c;@2:1|2|3;", "plain records");
	check("a,b\n1,2", "@1:a|b;@2:1|2;", "last record without newline");
	check("a,b\r\n1,2\r\n", "@1:a|b;@2:1|2;", "CRLF line ends");
	check("\"x, y\",z\n", "@1:x, y|z;", "embedded comma");
	check("\"say \"\"hi\"\"\",z\n", "@1:say \"hi\"|z;", "doubled quotes");
	check("\"\"\"\"\n", "@1:\";", "field that is one quote");
	check("\"line1\nline2\",b\nc,d\n", "@1:line1\nline2|b;@3:c|d;",
	    "embedded newline, next record on line 3");
	check("\"l1\r\nl2\",b\r\n", "@1:l1\r\nl2|b;", "CRLF inside quotes kept");
	check("a,,c\n,\n", "@1:a||c;@2:|;", "empty fields");
	check("\"\"\n", "@1:;", "one quoted empty field is a record");
	check("a\n\n\nb\n", "@1:a;@4:b;", "blank lines skipped, lines counted");
	check("a,5\" tall\n", "@1:a|5\" tall;", "quote inside unquoted field is literal");
	check("\"ab\"c,d\n", "@1:abc|d;", "text after closing quote is kept");
	check("a,b\rc,d\r", "@1:a|b;@2:c|d;", "bare CR ends a record");
	check("", "", "empty input has no records");
	check_error("a,\"open\nstill open", "line 1: unterminated quoted field",
	    "unterminated quote fails naming its line");
	test_header();
	test_edges();
	test_keep();
	test_big();
	test_differential();
	return done();
}
