/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for lib/export (run under ASan and UBSan by make check):
 * the option names and checks, every format over a small database
 * (including chat and the release layout, and the data card), the
 * choice of rationales, and lib/release's row builder as the inverse of
 * its example builder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/db.h"
#include "../../lib/export.h"
#include "../../lib/jsonl.h"
#include "../../lib/release.h"
#include "../../lib/store.h"
#include "tap.h"

static char dir[] = "/tmp/dss-test-export.XXXXXX";
static char dbpath[256];

/* The examples and triples: cqa train 0 and 1, one triple each for 0. */
static const char records[] =
    "{\"dataset\":\"cqa\",\"split\":\"train\",\"id\":\"cqa-train-000000\",\"index\":0,"
    "\"input\":\"Where is ice kept?\\nAnswer Choices:\\n(a) oven\\n(b) freezer\\n(c) sun"
    "\\n(d) bath\\n(e) car\",\"label\":\"freezer\",\"fields\":{\"question\":\"Where is "
    "ice kept?\",\"choices\":[\"oven\",\"freezer\",\"sun\",\"bath\",\"car\"],"
    "\"answer_key\":\"B\",\"source_id\":\"q0\"}}\n"
    "{\"dataset\":\"cqa\",\"split\":\"train\",\"id\":\"cqa-train-000001\",\"index\":1,"
    "\"input\":\"What \\\"barks\\\"?\\nAnswer Choices:\\n(a) dog\\n(b) cat\\n(c) fish"
    "\\n(d) bird\\n(e) tree\",\"label\":\"dog\",\"fields\":{\"question\":\"What "
    "\\\"barks\\\"?\",\"choices\":[\"dog\",\"cat\",\"fish\",\"bird\",\"tree\"],"
    "\"answer_key\":\"A\",\"source_id\":\"q1\"}}\n"
    "{\"dataset\":\"cqa\",\"split\":\"test\",\"id\":\"cqa-test-000000\",\"index\":0,"
    "\"input\":\"x\",\"label\":\"a\",\"fields\":{\"question\":\"x\",\"choices\":"
    "[\"a\",\"b\",\"c\",\"d\",\"e\"],\"source_id\":\"t0\"}}\n"
    "{\"dataset\":\"cqa\",\"id\":\"cqa-train-000000\",\"teacher\":\"t1\",\"sample\":1,"
    "\"request\":\"r1\",\"filter\":\"gold\",\"rationale\":\"Ice melts where it is warm, "
    "and a freezer is cold.\",\"teacher_label\":\"freezer\",\"label\":\"freezer\","
    "\"agree\":true}\n"
    "{\"dataset\":\"cqa\",\"id\":\"cqa-train-000000\",\"teacher\":\"t2\",\"sample\":0,"
    "\"request\":\"r0\",\"filter\":\"gold\",\"rationale\":\"Freezers are cold.\","
    "\"teacher_label\":\"freezer\",\"label\":\"freezer\",\"agree\":true}\n";

/* Runs an export of o into a string (caller frees), or NULL. */
static char *
run(struct dss_export_opts *o, struct dss_export_counts *c, struct dss_err *err)
{
	struct dss_export *x = dss_export_open(dbpath, o, err);
	FILE *fp = tmpfile();
	char *s = NULL;
	long n;

	if (x != NULL && dss_export_run(x, fp, "mem", err) == 0) {
		*c = *dss_export_total(x);
		fflush(fp);
		n = ftell(fp);
		rewind(fp);
		s = calloc(1, (size_t)n + 1);
		if (s != NULL && fread(s, 1, (size_t)n, fp) != (size_t)n) {
			free(s);
			s = NULL;
		}
	}
	dss_export_close(x);
	fclose(fp);
	return s;
}

static void
test_names(void)
{
	is_int(dss_export_parse(dss_export_format_name, "chat"), DSS_EXPORT_CHAT,
	    "format chat");
	is_int(dss_export_parse(dss_export_format_name, "t6"), -1, "no format t6");
	is_int(dss_export_parse(dss_export_missing_name, "label-only"),
	    DSS_EXPORT_LABEL_ONLY, "missing label-only");
	is_int(dss_export_parse(dss_export_pick_name, "all"), DSS_EXPORT_ALL,
	    "pick all");
	is_str(dss_export_labels_name(DSS_EXPORT_TEACHER), "teacher", "labels teacher");
	ok(dss_export_rationales_name(2) == NULL, "no third rationales value");
}

static void
test_check(void)
{
	static const struct { const char *prefixes; int format, pick; const char *split,
	    *out, *want; } cases[] = {
		{ DSS_EXPORT_PREFIXES, DSS_EXPORT_T5, 0, "train", NULL, NULL },
		{ "a,b", DSS_EXPORT_T5, 0, "train", NULL, NULL },
		{ "a,", DSS_EXPORT_T5, 0, "train", NULL, "a prefix is empty" },
		{ "ab", DSS_EXPORT_T5, 0, "train", NULL, "separated by one comma" },
		{ "a,a", DSS_EXPORT_T5, 0, "train", NULL, "the same" },
		{ DSS_EXPORT_PREFIXES, DSS_EXPORT_T5, 0, NULL, NULL, "--split is missing" },
		{ DSS_EXPORT_PREFIXES, DSS_EXPORT_RELEASE, 0, NULL, NULL, "needs --out" },
		{ DSS_EXPORT_PREFIXES, DSS_EXPORT_RELEASE, 0, NULL, "d", NULL },
		{ DSS_EXPORT_PREFIXES, DSS_EXPORT_RELEASE, DSS_EXPORT_ALL, NULL, "d",
		    "--pick all" },
		{ DSS_EXPORT_PREFIXES, DSS_EXPORT_PAIRS, 0, "train", "d",
		    "--out is for --format release or with --subset" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dss_export_opts o = DSS_EXPORT_OPTS_INIT;
		struct dss_err err = DSS_ERR_INIT;
		int r;

		o.dataset = "cqa";
		o.prefixes = cases[i].prefixes;
		o.format = cases[i].format;
		o.pick = cases[i].pick;
		o.split = cases[i].split;
		o.out = cases[i].out;
		r = dss_export_check(&o, &err);
		if (cases[i].want == NULL)
			ok(r == 0, "check case %zu passes", i);
		else
			ok(r < 0 && strstr(err.msg, cases[i].want) != NULL,
			    "check case %zu: %s", i, err.msg);
	}
}

static void
test_formats(void)
{
	struct dss_export_opts o = DSS_EXPORT_OPTS_INIT;
	struct dss_export_counts c;
	struct dss_err err = DSS_ERR_INIT;
	char *s;

	o.dataset = "cqa";
	o.split = "train";
	s = run(&o, &c, &err);
	ok(s != NULL, "t5 runs %s", err.msg);
	ok(s && strstr(s, "\"target\":\"Freezers are cold.\"") != NULL,
	    "first: the lowest sample");
	ok(s && strstr(s, "\"input\":\"predict: What \\\"barks\\\"?\\nAnswer") != NULL,
	    "input escaped and prefixed");
	is_int((long long)c.records, 3, "t5: three records");
	is_int((long long)c.label_only, 1, "t5: one label only");
	free(s);

	o.pick = DSS_EXPORT_LONGEST;
	o.format = DSS_EXPORT_CHAT;
	s = run(&o, &c, &err);
	ok(s && strstr(s, "a freezer is cold. So the answer is (b) freezer.\"}]}") !=
	    NULL, "chat: the longest rationale and the answer sentence");
	ok(s && strstr(s, "\"content\":\"So the answer is (a) dog.\"") != NULL,
	    "chat: an example without a rationale");
	free(s);

	o.pick = DSS_EXPORT_ALL;
	o.format = DSS_EXPORT_PAIRS;
	o.labels = DSS_EXPORT_TEACHER;
	s = run(&o, &c, &err);
	is_int((long long)c.records, 2, "pairs, all, teacher labels: two records");
	is_int((long long)c.dropped, 1, "  one example left out");
	free(s);

	o.pick = DSS_EXPORT_FIRST;
	o.format = DSS_EXPORT_STANDARD;
	o.labels = DSS_EXPORT_GOLD;
	o.filter = "majority";
	s = run(&o, &c, &err);
	is_int((long long)c.records, 2, "standard gold needs no triples");
	free(s);
	o.missing = DSS_EXPORT_DROP;
	s = run(&o, &c, &err);
	ok(s == NULL && strstr(err.msg, "no triples of dataset 'cqa' from filter "
	    "'majority'") != NULL, "but with --missing drop it does: %s", err.msg);
}

static void
test_release(void)
{
	struct dss_export_opts o = DSS_EXPORT_OPTS_INIT;
	struct dss_err err = DSS_ERR_INIT;
	struct dss_export *x;
	char out[300], path[400], buf[512];
	FILE *fp;
	size_t n;

	snprintf(out, sizeof(out), "%s/rel", dir);
	o.dataset = "cqa";
	o.format = DSS_EXPORT_RELEASE;
	o.out = out;
	x = dss_export_open(dbpath, &o, &err);
	ok(x != NULL, "release opens %s", err.msg);
	if (x == NULL)
		return;
	ok(dss_export_run(x, stdout, "stdout", &err) == 0, "release runs %s",
	    err.msg);
	snprintf(path, sizeof(path), "%s/card.md", dir);
	ok(dss_export_card(x, path, "dss-export test", &err) == 0, "card %s",
	    err.msg);
	is_int((long long)dss_export_split(x, 0)->records, 2, "two train examples");
	is_int((long long)dss_export_split(x, 2)->records, 1, "one test example");
	dss_export_close(x);
	snprintf(path, sizeof(path), "%s/datasets/cqa/llm/train_CoT_0.json", out);
	fp = fopen(path, "r");
	n = fp ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;
	buf[n] = '\0';
	if (fp)
		fclose(fp);
	is_str(buf, "[\"Freezers are cold. So the answer is (b) freezer.\","
	    "\"So the answer is\"]\n", "train batch 0");
	snprintf(path, sizeof(path), "%s/datasets/cqa/llm/train_CoT_9.json", out);
	ok(access(path, R_OK) == 0, "train batch 9, empty, is there");
}

static void
test_row(void)
{
	static const char *const rows[][2] = {
		{ "esnli", "{\"premise\":\"p\",\"hypothesis\":\"h\",\"label\":2,"
		    "\"explanation_1\":\"e1\",\"explanation_2\":\"\",\"explanation_3\":\"e3\"}" },
		{ "anli1", "{\"uid\":\"u\",\"premise\":\"p\",\"hypothesis\":\"h\",\"label\":1,"
		    "\"reason\":\"r\"}" },
		{ "cqa", "{\"id\":\"i\",\"question\":\"q\",\"choices\":[\"a\",\"b\",\"c\",\"d\","
		    "\"e\"],\"answer\":\"c\",\"abstractive_explanation\":\"\","
		    "\"extractive_explanation\":\"\"}" },
		{ "svamp", "{\"input\":\"b\\nq\",\"label\":\"( 1.0 + 2.0 )\"}" },
	};
	struct dss_err err = DSS_ERR_INIT;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		cJSON *row = cJSON_Parse(rows[i][1]), *ex = NULL, *back;
		struct dss_buf exb = DSS_BUF_INIT;
		char *text = NULL;

		if (dss_release_example(rows[i][0], "train", 3, rows[i][1],
		    strlen(rows[i][1]), &exb, &err) == 0)
			ex = cJSON_ParseWithLength(exb.data, exb.len);
		dss_buf_free(&exb);
		back = ex ? dss_release_row(rows[i][0], ex, &err) : NULL;
		if (back && strcmp(rows[i][0], "esnli") == 0)	/* "" is not kept */
			cJSON_ReplaceItemInObject(row, "explanation_2",
			    cJSON_CreateString("e3"));
		if (back && strcmp(rows[i][0], "esnli") == 0)
			cJSON_ReplaceItemInObject(row, "explanation_3",
			    cJSON_CreateString(""));
		text = back ? cJSON_PrintUnformatted(back) : NULL;
		ok(back != NULL && cJSON_Compare(back, row, 1),
		    "%s: the row of the example of a row is the row: %s", rows[i][0],
		    text ? text : err.msg);
		free(text);
		cJSON_Delete(back);
		cJSON_Delete(ex);
		cJSON_Delete(row);
	}
}

int
main(void)
{
	struct dss_store_counts c;
	struct dss_err err = DSS_ERR_INIT;
	struct dss_lines l;
	sqlite3 *db;
	FILE *fp;
	char cmd[400];

	setenv("DSS_DATASETS", "datasets", 1);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/x.db", dir);
	db = dss_db_open(dbpath, DSS_DB_CREATE, &err);
	fp = tmpfile();
	fputs(records, fp);
	rewind(fp);
	l = (struct dss_lines)DSS_LINES_INIT(fp, "mem");
	ok(db != NULL && dss_store_load(db, &l, 0, &c, &err) == 0, "load %s", err.msg);
	dss_lines_free(&l);
	fclose(fp);
	dss_db_close(db);
	test_names();
	test_check();
	test_formats();
	test_release();
	test_row();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return done();
}
