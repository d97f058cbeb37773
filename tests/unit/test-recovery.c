/* SPDX-License-Identifier: MIT */
/*
 * The recovery file and the token estimate: rows appended (with text
 * that needs escaping, usage and without) are imported into teach_cache
 * as they were, the file is removed once they are committed, an import
 * with no file does nothing, and a line cut short by a crash is passed
 * over; the lines are written byte for byte as they were when cJSON
 * printed them (escapes, numbers, nulls, members left out); the
 * input-token estimate is a quarter of the characters of each
 * message, rounded up, plus 3 a message and 3 a request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/db.h"
#include "../../lib/teach.h"
#include "../../lib/teach_impl.h"
#include "../../lib/teacher_impl.h"
#include "tap.h"

/* What cJSON_PrintUnformatted printed for the rows of bytes(). */
#define EXPECTED_BYTES \
    "{\"request\":\"r\\u0001\\u001f\x7f" "/\xc3\xa9\\\"\\\\\"," \
    "\"provider\":\"openai\",\"model\":\"m\",\"dataset\":null," \
    "\"id\":\"i\",\"sample\":0," \
    "\"completion\":\"tab\\there\\b\\f\\r\\n" \
    "\",\"finish_reason\":null,\"prompt_tokens\":12," \
    "\"completion_tokens\":34,\"cost_usd\":0.3," \
    "\"latency_ms\":3000000000,\"response\":null}\n" \
    "{\"request\":\"k\",\"provider\":\"gemini\",\"model\":\"g\"," \
    "\"dataset\":\"cqa\",\"id\":null,\"sample\":3," \
    "\"completion\":null,\"finish_reason\":\"length\"," \
    "\"prompt_tokens\":2147483648,\"completion_tokens\":-1," \
    "\"latency_ms\":0,\"response\":\"\"}\n" \
    "{\"request\":\"c\",\"provider\":\"anthropic\",\"model\":\"a\"," \
    "\"dataset\":null,\"id\":null,\"sample\":0,\"completion\":null," \
    "\"finish_reason\":null,\"latency_ms\":-2,\"response\":null}\n" \
    "{\"request\":\"r\\u0001\\u001f\x7f" "/\xc3\xa9\\\"\\\\\"," \
    "\"provider\":\"openai\",\"model\":\"m\",\"dataset\":null," \
    "\"id\":\"i\",\"sample\":0," \
    "\"completion\":\"tab\\there\\b\\f\\r\\n" \
    "\",\"finish_reason\":null,\"prompt_tokens\":0," \
    "\"completion_tokens\":34,\"cost_usd\":0.33333333333333331," \
    "\"latency_ms\":123456789012345,\"response\":null}\n"

/* The whole of the file at path, or NULL. */
static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *s;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	if ((s = calloc(1, (size_t)n + 1)) != NULL &&
	    fread(s, 1, (size_t)n, fp) != (size_t)n) {
		free(s);
		s = NULL;
	}
	fclose(fp);
	return s;
}

/*
 * The lines of rows of every kind, compared byte for byte with what the
 * writer printed when it went through cJSON: strings with every escape,
 * bytes it leaves as they are (DEL, '/', UTF-8), nulls, usage and cost
 * left out, whole numbers beyond an int, and costs whose 15 digits read
 * back within an epsilon (0.1 + 0.2) or do not (1/3).
 */
static void
bytes(const char *dir)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_cache_row rows[4];
	char path[300];
	char *s;

	snprintf(path, sizeof(path), "%s/bytes.jsonl", dir);
	rows[0] = (struct dss_cache_row){
	    .request = "r\x01\x1f\x7f/\xc3\xa9\"\\", .provider = "openai",
	    .model = "m", .id = "i", .completion = "tab\there\b\f\r\n",
	    .has_usage = 1, .prompt_tokens = 12, .completion_tokens = 34,
	    .has_cost = 1, .cost = 0.1 + 0.2, .latency_ms = 3000000000L };
	rows[1] = (struct dss_cache_row){ .request = "k", .provider = "gemini",
	    .model = "g", .dataset = "cqa", .sample = 3,
	    .finish_reason = "length", .has_usage = 1,
	    .prompt_tokens = 2147483648L, .completion_tokens = -1, .cost = 9,
	    .response = "" };
	rows[2] = (struct dss_cache_row){ .request = "c",
	    .provider = "anthropic", .model = "a", .has_cost = 1, .cost = 1.5,
	    .latency_ms = -2 };
	rows[3] = rows[0];
	rows[3].cost = 1.0 / 3;
	rows[3].prompt_tokens = 0;
	rows[3].latency_ms = 123456789012345L;
	ok(dss_recovery_append(path, rows, 4, &err) == 0, "rows of every kind "
	    "appended: %s", err.msg);
	s = slurp(path);
	is_str(s, EXPECTED_BYTES, "the recovery lines, byte for byte");
	free(s);
	unlink(path);
}

static char *
query(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	char *r = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return strdup(sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		r = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return r;
}

int
main(void)
{
	char dir[] = "/tmp/dss-recovery.XXXXXX", dbpath[256], rec[300];
	struct dss_err err = DSS_ERR_INIT;
	struct dss_cache_row rows[2];
	struct dss_teacher t;
	unsigned long n = 99;
	sqlite3 *db;
	cJSON *in;
	FILE *fp;
	char *s;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/t.db", dir);
	ok(dss_teach_recovery_path(dbpath, rec, sizeof(rec)) == 0 &&
	    strcmp(rec + strlen(dir), "/t.db.recovery.jsonl") == 0,
	    "the recovery file lies beside the database");
	db = dss_db_open(dbpath, DSS_DB_CREATE, &err);
	ok(db != NULL, "database opened");
	ok(dss_teach_recover(db, rec, &n, &err) == 0 && n == 0,
	    "no recovery file: nothing imported");

	memset(rows, 0, sizeof(rows));
	rows[0].request = "k0";
	rows[0].provider = "openai";
	rows[0].model = "m";
	rows[0].dataset = "anli1";
	rows[0].id = "a\"1\n";
	rows[0].completion = "line one\nline \"two\" \\ done";
	rows[0].finish_reason = "stop";
	rows[0].has_usage = 1;
	rows[0].prompt_tokens = 12;
	rows[0].completion_tokens = 34;
	rows[0].has_cost = 1;
	rows[0].cost = 0.25;
	rows[0].latency_ms = 7;
	rows[0].response = "{\"x\":1}";
	rows[1].request = "k1";
	rows[1].provider = "anthropic";
	rows[1].model = "c";
	rows[1].sample = 2;
	rows[1].completion = "";
	ok(dss_recovery_append(rec, rows, 2, &err) == 0, "two rows appended");
	ok(dss_recovery_append(rec, rows + 1, 1, &err) == 0, "one more (a repeat)");
	/* a crash cut the last line short */
	fp = fopen(rec, "a");
	fputs("{\"request\":\"k2\",\"provider\":", fp);
	fclose(fp);
	ok(dss_teach_recover(db, rec, &n, &err) == 0, "imported: %s", err.msg);
	is_int((long)n, 3, "three whole lines read");
	ok(access(rec, F_OK) != 0, "the file is removed");
	s = query(db, "SELECT count(*) FROM teach_cache");
	is_str(s, "2", "two rows in the cache");
	free(s);
	s = query(db, "SELECT id || '|' || completion || '|' || prompt_tokens || '|' "
	    "|| completion_tokens || '|' || cost_usd || '|' || latency_ms || '|' || "
	    "response FROM teach_cache WHERE request = 'k0'");
	is_str(s, "a\"1\n|line one\nline \"two\" \\ done|12|34|0.25|7|{\"x\":1}",
	    "a row comes back as it was written");
	free(s);
	s = query(db, "SELECT coalesce(prompt_tokens, 'null') || '|' || "
	    "coalesce(cost_usd, 'null') || '|' || sample FROM teach_cache WHERE "
	    "request = 'k1'");
	is_str(s, "null|null|2", "a row without usage has none");
	free(s);
	dss_db_close(db);
	bytes(dir);

	memset(&t, 0, sizeof(t));
	t.ops = &dss_teacher_openai;
	in = cJSON_Parse("[{\"role\":\"system\",\"content\":\"abcde\"},"
	    "{\"role\":\"user\",\"content\":\"\\u00e9\\u00e9\\u00e9\\u00e9\"}]");
	ok(dss_teach_estimate_tokens(&t, in) == 2 + 3 + 1 + 3 + 3,
	    "chat: ceil(5/4) + ceil(4 characters/4) + 3 a message + 3 (%ld)",
	    dss_teach_estimate_tokens(&t, in));
	cJSON_Delete(in);
	t.ops = &dss_teacher_openai_completions;
	in = cJSON_CreateString("123456789");
	ok(dss_teach_estimate_tokens(&t, in) == 3, "a prompt string: ceil(9/4)");
	cJSON_Delete(in);
	unlink(dbpath);
	snprintf(rec, sizeof(rec), "rm -rf %s", dir);
	if (system(rec) != 0)
		return 1;
	return done();
}
