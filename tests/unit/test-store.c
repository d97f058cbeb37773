/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for lib/store: record type detection, loading in batches
 * with exact inserted/updated/unchanged counts, rollback of a failed
 * batch, and merging one database into another.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/buf.h"
#include "../../lib/db.h"
#include "../../lib/store.h"
#include "tap.h"

static const char ex0[] = "{\"dataset\":\"d\",\"split\":\"train\",\"id\":\"d-train-000000\","
    "\"index\":0,\"input\":\"i0\",\"label\":\"l0\",\"fields\":{}}";
static const char ex1[] = "{\"dataset\":\"d\",\"split\":\"train\",\"id\":\"d-train-000001\","
    "\"index\":1,\"input\":\"i1\",\"label\":\"l1\",\"fields\":{}}";
static const char ex1b[] = "{\"dataset\":\"d\",\"split\":\"train\",\"id\":\"d-train-000001\","
    "\"index\":1,\"input\":\"i1\",\"label\":\"changed\",\"fields\":{}}";
static const char co0[] = "{\"dataset\":\"d\",\"id\":\"d-train-000000\",\"teacher\":\"t\","
    "\"sample\":0,\"completion\":\"c\",\"finish_reason\":\"stop\",\"request\":\"r0\"}";
static const char tr0[] = "{\"dataset\":\"d\",\"id\":\"d-train-000000\",\"request\":\"r0\","
    "\"rationale\":\"because\",\"label\":\"l0\",\"agree\":true}";

static int
load(sqlite3 *db, const char *text, size_t batch, struct dss_store_counts *c,
    struct dss_err *err)
{
	FILE *fp = tmpfile();
	struct dss_lines l = DSS_LINES_INIT(fp, "mem");
	int r;

	fputs(text, fp);
	rewind(fp);
	r = dss_store_load(db, &l, batch, c, err);
	dss_lines_free(&l);
	fclose(fp);
	return r;
}

static long long
count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void
test_types(void)
{
	static const struct { const char *json; int type; } cases[] = {
		{ "{\"rationale\":\"r\",\"completion\":\"c\"}", DSS_RECORD_TRIPLE },
		{ "{\"rationale\":\"r\",\"reason\":\"tie\"}", DSS_RECORD_TRIPLE },
		{ "{\"completion\":\"c\",\"reason\":\"tie\"}", DSS_RECORD_REJECT },
		{ "{\"completion\":null,\"reason\":null}", DSS_RECORD_REJECT },
		{ "{\"reason\":\"tie\"}", -1 },
		{ "{\"completion\":null,\"prompt\":\"p\"}", DSS_RECORD_COMPLETION },
		{ "{\"messages\":[],\"input\":\"i\",\"label\":\"l\"}", DSS_RECORD_PROMPT },
		{ "{\"prompt\":\"p\"}", DSS_RECORD_PROMPT },
		{ "{\"input\":\"i\",\"label\":\"l\"}", DSS_RECORD_EXAMPLE },
		{ "{\"input\":\"i\"}", -1 },
		{ "{}", -1 },
	};
	struct dss_err err = DSS_ERR_INIT;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *o = cJSON_Parse(cases[i].json);

		is_int(dss_record_type(o, &err), cases[i].type, cases[i].json);
		cJSON_Delete(o);
	}
	is_str(dss_record_table(DSS_RECORD_TRIPLE), "triples", "table name");
	is_str(dss_record_table(DSS_RECORD_REJECT), "rejects", "rejects table name");
}

static void
test_load_merge(const char *dir)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_store_counts c;
	char a[512], b[512], text[2048];
	sqlite3 *db, *db2;

	snprintf(a, sizeof(a), "%s/a.db", dir);
	snprintf(b, sizeof(b), "%s/b.db", dir);
	db = dss_db_open(a, DSS_DB_CREATE, &err);
	if (!ok(db != NULL, "open a.db"))
		return;
	snprintf(text, sizeof(text), "%s\n\n%s\n%s\n%s\n", ex0, ex1, co0, tr0);
	is_int(load(db, text, 0, &c, &err), 0, "load four records");
	is_int((long long)c.inserted, 4, "four inserted");
	is_int((long long)c.by_type[DSS_RECORD_EXAMPLE], 2, "two examples");
	is_int(load(db, text, 1, &c, &err), 0, "load again, batch 1");
	is_int((long long)c.unchanged, 4, "all unchanged");
	is_int((long long)(c.inserted + c.updated), 0, "nothing written");
	snprintf(text, sizeof(text), "%s\n%s\n", ex0, ex1b);
	is_int(load(db, text, 0, &c, &err), 0, "load a changed record");
	is_int((long long)c.updated, 1, "one updated");
	is_int(count(db, "SELECT count(*) FROM examples WHERE label = 'changed'"), 1,
	    "row holds the change");

	snprintf(text, sizeof(text), "%s\n%s\n{\"input\":\"x\"}\n", ex1, ex0);
	is_int(load(db, text, 1, &c, &err), -1, "bad third record");
	is_str(err.msg, "line 3: record is of no known type (it has none of the "
	    "fields 'rationale', 'completion', 'request', 'prompt', 'messages', "
	    "'template', or 'input' with 'label')", "error names the line");
	is_int((long long)c.records, 2, "two batches committed before it");
	is_int(count(db, "SELECT count(*) FROM examples WHERE label = 'changed'"), 0,
	    "committed batch kept");
	snprintf(text, sizeof(text), "%s\n{\"dataset\":\"d\",\"id\":\"x\","
	    "\"split\":\"s\",\"index\":2,\"input\":\"i\",\"label\":\"l\"}\n"
	    "{\"dataset\":\"d\",\"id\":\"y\",\"split\":\"s\",\"index\":-0.5,"
	    "\"input\":\"i\",\"label\":\"l\"}\n", ex1b);
	is_int(load(db, text, 0, &c, &err), -1, "bad index");
	is_str(err.msg, "line 3: field 'index' is not an integer", "field named");
	is_int(count(db, "SELECT count(*) FROM examples"), 2, "batch rolled back");
	is_int(count(db, "SELECT count(*) FROM examples WHERE label = 'changed'"), 0,
	    "update in the failed batch rolled back");

	snprintf(text, sizeof(text), "{\"dataset\":\"e\",\"split\":\"s\","
	    "\"id\":\"q\\u0041\",\"index\":1e2,\"input\":\"a\\nb \\\"c\\\"\","
	    "\"label\":\"\\u00e9\"}\n");
	is_int(load(db, text, 0, &c, &err), 0, "record with escapes");
	is_int(count(db, "SELECT count(*) FROM examples WHERE id = 'qA' AND "
	    "input = 'a' || char(10) || 'b \"c\"' AND label = char(233) AND "
	    "idx = 100"), 1, "escaped strings decoded into columns, 1e2 is 100");
	is_int(count(db, "SELECT count(*) FROM examples WHERE record LIKE "
	    "'%\\u0041%'"), 1, "record kept as read");

	db2 = dss_db_open(b, DSS_DB_CREATE, &err);
	if (!ok(db2 != NULL, "open b.db"))
		goto out;
	memset(&c, 0, sizeof(c));
	is_int(dss_store_merge(db2, a, &c, &err), 0, "merge a into b");
	is_int((long long)c.inserted, 5, "five rows merged");
	memset(&c, 0, sizeof(c));
	is_int(dss_store_merge(db2, a, &c, &err), 0, "merge again");
	is_int((long long)c.unchanged, 5, "all unchanged");
	is_int(dss_store_merge(db2, b, &c, &err), -1, "merge into itself");
	is_int(dss_store_merge(db2, dir, &c, &err), -1, "merge a directory");
	is_int(count(db2, "SELECT count(*) FROM triples WHERE agree = 1"), 1,
	    "triple merged with its columns");
	dss_db_close(db2);
out:
	dss_db_close(db);
}

/* Appends example k of key key with label label to b. */
static void
add_example(struct dss_buf *b, int key, const char *label)
{
	dss_buf_addf(b, "{\"dataset\":\"g\",\"split\":\"train\","
	    "\"id\":\"g-%06d\",\"index\":%d,\"input\":\"i\",\"label\":"
	    "\"%s\"}\n", key, key, label);
}

/* Every examples row of db, in key order, as one string (caller frees). */
static char *
rows(sqlite3 *db)
{
	sqlite3_stmt *st;
	char *s = NULL;

	if (sqlite3_prepare_v2(db, "SELECT group_concat(id || '=' || label || "
	    "'=' || record, ';') FROM (SELECT * FROM examples ORDER BY dataset, "
	    "id)", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0) != NULL)
		s = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return s;
}

/*
 * Runs of records of one type are inserted many rows at a time; the rows
 * and counts must be those of storing each record alone.  The input
 * repeats keys within a run (stored, changed, changed back), breaks runs
 * with a record of another type and crosses batch boundaries; the
 * reference database gets one record per load.
 */
static void
test_groups(const char *dir)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_store_counts c, want, one;
	struct dss_buf text = DSS_BUF_INIT, line = DSS_BUF_INIT;
	char a[512], b[512], *ra, *rb;
	sqlite3 *db, *ref;
	size_t i, start;
	int k;

	snprintf(a, sizeof(a), "%s/group.db", dir);
	snprintf(b, sizeof(b), "%s/group-ref.db", dir);
	db = dss_db_open(a, DSS_DB_CREATE, &err);
	ref = dss_db_open(b, DSS_DB_CREATE, &err);
	if (!ok(db != NULL && ref != NULL, "open the group databases"))
		goto out;
	/* Stored before: keys 0 to 99, label "old". */
	for (k = 0; k < 100; k++)
		add_example(&text, k, "old");
	is_int(load(db, text.data, 0, &c, &err), 0, "store 100 examples");
	is_int(load(ref, text.data, 0, &c, &err), 0, "store them in the reference");
	dss_buf_reset(&text);
	for (k = 0; k < 400; k++) {
		int key = k < 200 ? k / 2 + 50 : k % 3 == 0 ? 300 + k % 7 : k;

		add_example(&text, key, k % 5 == 0 ? "old" : k % 5 == 1 ? "new" :
		    k % 2 ? "odd" : "even");
		if (k % 97 == 96)
			dss_buf_addf(&text, "%s\n", co0);
	}
	is_int(load(db, text.data, 100, &c, &err), 0, "store 404 records in runs");
	memset(&want, 0, sizeof(want));
	for (start = 0, i = 0; i < text.len; i++) {
		if (text.data[i] != '\n')
			continue;
		dss_buf_reset(&line);
		dss_buf_add(&line, text.data + start, i + 1 - start);
		start = i + 1;
		if (load(ref, line.data, 0, &one, &err) != 0)
			break;
		want.records += one.records;
		want.inserted += one.inserted;
		want.updated += one.updated;
		want.unchanged += one.unchanged;
	}
	is_int((long long)c.records, (long long)want.records, "records as one by one");
	is_int((long long)c.inserted, (long long)want.inserted,
	    "inserted as one by one");
	is_int((long long)c.updated, (long long)want.updated,
	    "updated as one by one");
	is_int((long long)c.unchanged, (long long)want.unchanged,
	    "unchanged as one by one");
	ok(want.inserted > 0 && want.updated > 0 && want.unchanged > 0,
	    "the input inserts, updates and leaves rows alone");
	ra = rows(db);
	rb = rows(ref);
	ok(ra != NULL && rb != NULL && strcmp(ra, rb) == 0,
	    "the rows are those stored one record at a time");
	free(ra);
	free(rb);

	/*
	 * A run whose INSERT fails a constraint (here a trigger's) is stored
	 * record by record, so the error names the record's line, and its
	 * batch is rolled back.
	 */
	ok(sqlite3_exec(db, "CREATE TRIGGER no_777 BEFORE INSERT ON examples "
	    "WHEN NEW.id = 'g-000777' BEGIN SELECT RAISE(ABORT, 'no 777'); END",
	    NULL, NULL, NULL) == SQLITE_OK, "a trigger that refuses one key");
	dss_buf_reset(&text);
	for (k = 700; k < 900; k++)
		add_example(&text, k, "t");
	is_int(load(db, text.data, 70, &c, &err), -1, "a run with a refused record");
	ok(strncmp(err.msg, "line 78: ", 9) == 0 && strstr(err.msg, "no 777"),
	    "the error names its line: %s", err.msg);
	is_int((long long)c.records, 70, "the batch before it is committed");
	is_int(count(db, "SELECT count(*) FROM examples WHERE id >= 'g-000700' "
	    "AND id < 'g-000900'"), 70, "its own batch is rolled back");
out:
	dss_buf_free(&text);
	dss_buf_free(&line);
	if (db != NULL)
		dss_db_close(db);
	if (ref != NULL)
		dss_db_close(ref);
}

int
main(void)
{
	char dir[] = "/tmp/dss-unit-store.XXXXXX";
	char cmd[128];

	test_types();
	if (mkdtemp(dir) != NULL) {
		test_load_merge(dir);
		test_groups(dir);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	} else {
		ok(0, "mkdtemp");
	}
	return done();
}
