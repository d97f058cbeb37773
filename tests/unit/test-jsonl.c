/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the one JSON Lines reader: every line counted (a NUL
 * byte hides none), an over-long line refused and passed over with the
 * lines after it read on, a byte-order mark dropped only at the start,
 * CR LF and a last line without newline, lines across block boundaries,
 * l->bad telling a bad line from a read error, dss_jsonl_each passing
 * over bad lines and stopping where its callback fails, and record types
 * told apart the same way from cJSON and from the scanner.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/jsonl.h"
#include "../../lib/record.h"
#include "tap.h"

#define MEM(lit) memfile(lit, sizeof(lit) - 1)

static void
test_lines(void)
{
	FILE *fp = MEM("one\r\n\0two\nthree\n\n\xef\xbb\xbf" "four\nfive");
	struct dss_lines l = DSS_LINES_INIT(fp, "mem");
	struct dss_err err = DSS_ERR_INIT;

	ok(dss_lines_next(&l, &err) == 1 && strcmp(l.line.data, "one") == 0 &&
	    l.lineno == 1, "line 1 without its CR LF");
	ok(dss_lines_next(&l, &err) == 1 && l.line.len == 4 &&
	    memcmp(l.line.data, "\0two", 4) == 0 && l.lineno == 2,
	    "a line that starts with NUL is a line of its own");
	ok(dss_lines_next(&l, &err) == 1 && strcmp(l.line.data, "three") == 0 &&
	    l.lineno == 3, "and the next one keeps its number");
	ok(dss_lines_next(&l, &err) == 1 && l.line.len == 0 && l.lineno == 4,
	    "a blank line counts");
	ok(dss_lines_next(&l, &err) == 1 && l.line.len == 7 &&
	    memcmp(l.line.data, "\xef\xbb\xbf" "four", 7) == 0,
	    "a byte-order mark after line 1 is left in the line");
	ok(dss_lines_next(&l, &err) == 1 && strcmp(l.line.data, "five") == 0 &&
	    l.lineno == 6, "a last line without newline");
	ok(dss_lines_next(&l, &err) == 0 && l.lineno == 6, "then the end");
	ok(dss_lines_next(&l, &err) == 0, "and the end again");
	dss_lines_free(&l);
	fclose(fp);

	fp = MEM("\xef\xbb\xbf{\"a\":1}\n");
	l = (struct dss_lines)DSS_LINES_INIT(fp, "mem");
	ok(dss_lines_next(&l, &err) == 1 && strcmp(l.line.data, "{\"a\":1}") == 0,
	    "a byte-order mark at the start is dropped");
	dss_lines_free(&l);
	fclose(fp);
}

static void
test_limit(void)
{
	char big[200];
	FILE *fp;
	struct dss_lines l;
	struct dss_err err = DSS_ERR_INIT;

	memset(big, 'x', sizeof big);
	fp = tmpfile();
	fputs("short\n", fp);
	fwrite(big, 1, 17, fp);		/* one over the limit */
	fputs("\nafter\n", fp);
	fwrite(big, 1, 16, fp);		/* just the limit */
	fputs("\n", fp);
	fwrite(big, 1, 150, fp);	/* over it, and the last line */
	rewind(fp);
	l = (struct dss_lines)DSS_LINES_INIT(fp, "mem");
	l.max = 16;
	ok(dss_lines_next(&l, &err) == 1 && strcmp(l.line.data, "short") == 0,
	    "a short line");
	ok(dss_lines_next(&l, &err) == -1 && l.bad == 1, "a line over the limit");
	is_str(err.msg, "line 2: longer than 16 bytes", "  named by its line");
	ok(dss_lines_next(&l, &err) == 1 && strcmp(l.line.data, "after") == 0 &&
	    l.lineno == 3, "the next line is read on");
	ok(dss_lines_next(&l, &err) == 1 && l.line.len == 16 && l.lineno == 4,
	    "a line of just the limit is taken");
	ok(dss_lines_next(&l, &err) == -1 && l.bad == 1 && l.lineno == 5,
	    "a long last line without newline");
	ok(dss_lines_next(&l, &err) == 0, "then the end");
	dss_lines_free(&l);
	fclose(fp);
}

/* Lines of every length from 0 to 5000 bytes, across many blocks. */
static void
test_blocks(void)
{
	FILE *fp = tmpfile();
	struct dss_lines l;
	struct dss_err err = DSS_ERR_INIT;
	char *line = malloc(5001);
	unsigned long n, bad = 0;

	for (n = 0; n <= 5000; n++) {
		memset(line, 'a' + (int)(n % 26), n);
		line[n] = '\n';
		fwrite(line, 1, n + 1, fp);
	}
	rewind(fp);
	l = (struct dss_lines)DSS_LINES_INIT(fp, "mem");
	for (n = 0; n <= 5000; n++) {
		if (dss_lines_next(&l, &err) != 1 || l.line.len != n ||
		    l.lineno != n + 1 || l.line.data[n] != '\0' ||
		    (n > 0 && (l.line.data[0] != 'a' + (int)(n % 26) ||
		    l.line.data[n - 1] != 'a' + (int)(n % 26))))
			bad++;
	}
	is_int((long long)bad, 0, "5001 lines of 0 to 5000 bytes read whole");
	ok(dss_lines_next(&l, &err) == 0, "then the end");
	dss_lines_free(&l);
	fclose(fp);
	free(line);
}

static void
test_records(void)
{
	static const char text[] =
	    "{\"a\":1}\n"
	    "\n"
	    "\0{\"b\":2}\n"
	    "{\"c\":3} x\n"
	    "{\"d\":\"\\u0000\"}\n"
	    "{\"e\":\"\xff\"}\n"
	    "{\"f\":\"\\udc00\"}\n"
	    "\xef\xbb\xbf{\"g\":1}\n"
	    "[1]\n"
	    "{\"h\":\"caf\xc3\xa9\"}";
	FILE *fp = memfile(text, sizeof text - 1);
	struct dss_lines l = DSS_LINES_INIT(fp, "mem");
	struct dss_err err = DSS_ERR_INIT;
	static const char *const want[] = {
		"line 3: invalid JSON near byte 0",
		"line 4: invalid JSON near byte 8",
		"line 5: field 'd' holds a NUL character (\\u0000 at byte 6)",
		"line 6: field 'e' is not valid UTF-8 (byte 0xff at byte 6)",
		"line 7: field 'f' holds a lone surrogate (\\udc00 at byte 6)",
		"line 8: a byte-order mark (U+FEFF) at byte 0 where JSON should start",
		"line 9: record is not a JSON object",
	};
	cJSON *o;
	size_t i;

	ok(dss_jsonl_next(&l, &o, &err) == 1, "a record");
	cJSON_Delete(o);
	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		ok(dss_jsonl_next(&l, &o, &err) == -1 && o == NULL && l.bad == 1,
		    "bad record %zu refused, reading may go on", i);
		is_str(err.msg, want[i], "  named by its line");
	}
	ok(dss_jsonl_next(&l, &o, &err) == 1 && strcmp(cJSON_GetObjectItem(o,
	    "h")->valuestring, "caf\xc3\xa9") == 0 && l.lineno == 10,
	    "the last record, line 10");
	cJSON_Delete(o);
	ok(dss_jsonl_next(&l, &o, &err) == 0, "then the end");
	dss_lines_free(&l);
	fclose(fp);
}

static void
test_types(void)
{
	static const struct {
		const char *json;
		int type;
	} cases[] = {
		{ "{\"input\":\"i\",\"label\":\"l\"}", DSS_RECORD_EXAMPLE },
		{ "{\"input\":\"i\",\"label\":\"l\",\"template\":\"t\"}",
		    DSS_RECORD_PROMPT },
		{ "{\"messages\":[],\"input\":\"i\",\"label\":\"l\"}",
		    DSS_RECORD_PROMPT },
		{ "{\"input\":\"i\",\"label\":\"l\",\"request\":\"r\"}",
		    DSS_RECORD_COMPLETION },
		{ "{\"completion\":null,\"prompt\":\"p\"}", DSS_RECORD_COMPLETION },
		{ "{\"completion\":\"c\",\"reason\":\"tie\"}", DSS_RECORD_REJECT },
		{ "{\"rationale\":\"r\",\"completion\":\"c\",\"reason\":\"x\"}",
		    DSS_RECORD_TRIPLE },
		{ "{\"\\u0072ationale\":\"r\"}", DSS_RECORD_TRIPLE },
		{ "{\"input\":\"i\"}", -1 },
		{ "{\"\":1}", -1 },
		{ "{}", -1 },
	};
	struct dss_jscan j = DSS_JSCAN_INIT;
	struct dss_err err = DSS_ERR_INIT;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cJSON *o = cJSON_Parse(cases[i].json);

		is_int(dss_record_type(o, &err), cases[i].type, cases[i].json);
		dss_jscan_object(&j, cases[i].json, strlen(cases[i].json), &err);
		is_int(dss_record_type_scan(&j, &err), cases[i].type,
		    "  the same from the scanner");
		cJSON_Delete(o);
	}
	dss_jscan_free(&j);

	dss_record_wrong(DSS_RECORD_EXAMPLE, DSS_RECORD_PROMPT, "dss-teach", &err);
	is_str(err.msg, "an example record; dss-teach reads prompt records: run "
	    "dss-prompt first", "an earlier type: run the step first");
	dss_record_wrong(DSS_RECORD_EXAMPLE, DSS_RECORD_COMPLETION, "dss-x", &err);
	is_str(err.msg, "an example record; dss-x reads completion records: run "
	    "dss-prompt and dss-teach first", "  every step between");
	dss_record_wrong(DSS_RECORD_TRIPLE, DSS_RECORD_COMPLETION, "dss-filter",
	    &err);
	is_str(err.msg, "a triple record; dss-filter reads completion records, "
	    "which dss-teach or dss-import write", "a later type: who writes it");
	dss_record_wrong(DSS_RECORD_REJECT, DSS_RECORD_PROMPT, "dss-teach", &err);
	is_str(err.msg, "a reject record; dss-teach reads prompt records, which "
	    "dss-prompt writes", "a reject is later than a prompt");
	dss_err_set(&err, "record is of no known type");
	dss_record_wrong(-1, DSS_RECORD_EXAMPLE, "dss-prompt", &err);
	is_str(err.msg, "record is of no known type; dss-prompt reads example "
	    "records", "no known type: what the reader reads");
	is_str(dss_record_name(DSS_RECORD_REJECT), "reject", "type names");
}

/* Sums "n" of the records; a record with "stop" fails. */
static int
sum_n(void *arg, const cJSON *o, struct dss_err *err)
{
	long long *sum = arg;

	if (cJSON_GetObjectItemCaseSensitive(o, "stop") != NULL)
		return dss_err_set(err, "stopped at n %d",
		    cJSON_GetObjectItemCaseSensitive(o, "n")->valueint);
	*sum += cJSON_GetObjectItemCaseSensitive(o, "n")->valueint;
	return 0;
}

static void
test_each(void)
{
	FILE *fp = MEM("{\"n\":1}\n{\"n\":2\n\n[3]\n{\"n\":4}\n{\"n\":");
	struct dss_lines l = DSS_LINES_INIT(fp, "mem");
	struct dss_err err = DSS_ERR_INIT;
	unsigned long skipped = 0;
	long long sum = 0;

	is_int(dss_jsonl_each(&l, sum_n, &sum, &skipped, &err), 0,
	    "each: to the end past bad lines");
	is_int(sum, 5, "  every good record handed over");
	is_int((long long)skipped, 3, "  the cut and the non-object lines counted");
	dss_lines_free(&l);
	fclose(fp);

	fp = MEM("{\"n\":1}\n{\"n\":2,\"stop\":1}\n{\"n\":4}\n");
	l = (struct dss_lines)DSS_LINES_INIT(fp, "mem");
	sum = 0;
	skipped = 0;
	is_int(dss_jsonl_each(&l, sum_n, &sum, &skipped, &err), -1,
	    "each: fn's failure stops the reading");
	is_str(err.msg, "stopped at n 2", "  with fn's message");
	ok(sum == 1 && l.lineno == 2, "  and no record after it");
	dss_lines_free(&l);
	fclose(fp);
}

int
main(void)
{
	test_each();
	test_lines();
	test_limit();
	test_blocks();
	test_records();
	test_types();
	return done();
}
