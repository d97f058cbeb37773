/* SPDX-License-Identifier: MIT */
/* Unit tests for the buffer, JSON Lines reader, SHA-256 and database open. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/buf.h"
#include "../../lib/db.h"
#include "../../lib/jsonl.h"
#include "../../lib/sha256.h"
#include "tap.h"

static void
test_buf(void)
{
	struct dss_buf b = DSS_BUF_INIT;
	char *p;
	size_t n;
	int i;

	is_str(b.data, "", "empty buffer is an empty string");
	dss_buf_addf(&b, "%d-%s", 42, "x");
	dss_buf_addch(&b, '!');
	is_str(b.data, "42-x!", "addf and addch append");
	for (i = 0; i < 1000; i++)
		dss_buf_adds(&b, "abcdefghij");
	is_int((long long)b.len, 10005, "grows across many appends");
	ok(b.data[b.len] == '\0', "stays NUL-terminated");
	dss_buf_truncate(&b, 2);
	is_str(b.data, "42", "truncate");
	p = dss_buf_detach(&b, &n);
	is_str(p, "42", "detach hands over the data");
	is_str(b.data, "", "detach leaves the buffer empty");
	free(p);
	b.max = 16;
	ok(dss_buf_add(&b, "0123456789abcdef", 16) == 0, "add up to max");
	ok(dss_buf_addch(&b, 'x') == -1, "add past max fails");
	is_int((long long)b.len, 16, "failed add leaves contents");
	dss_buf_free(&b);
}

static void
test_jsonl(void)
{
	static const char text[] =
	    "{\"a\":1}\r\n\n  \n{\"b\":\"x\"}\n[1]\n{bad\n{\"c\":2}";
	FILE *fp = memfile(text, sizeof(text) - 1);
	struct dss_lines l = DSS_LINES_INIT(fp, "mem");
	struct dss_err err = DSS_ERR_INIT;
	long long v;
	cJSON *o;

	ok(dss_jsonl_next(&l, &o, &err) == 1, "first record");
	ok(dss_json_int(o, "a", &v, &err) == 0 && v == 1, "int field");
	ok(dss_json_str(o, "a", &err) == NULL, "int is not a string");
	is_str(err.msg, "field 'a' is not a string", "type error names the field");
	cJSON_Delete(o);
	ok(dss_jsonl_next(&l, &o, &err) == 1, "blank lines skipped");
	is_int((long long)l.lineno, 4, "line numbers count blank lines");
	cJSON_Delete(o);
	ok(dss_jsonl_next(&l, &o, &err) == -1, "array is refused");
	is_str(err.msg, "line 5: record is not a JSON object", "names line 5");
	ok(dss_jsonl_next(&l, &o, &err) == -1, "bad JSON is refused");
	ok(strncmp(err.msg, "line 6: invalid JSON", 20) == 0, "names line 6");
	ok(dss_jsonl_next(&l, &o, &err) == 1, "last line without newline");
	cJSON_Delete(o);
	ok(dss_jsonl_next(&l, &o, &err) == 0, "end of input");
	dss_lines_free(&l);
	fclose(fp);
}

static void
test_sha256(void)
{
	char hex[DSS_SHA256_HEX];
	struct dss_sha256 *s;

	dss_sha256_hex("abc", 3, hex);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    "sha256 of abc");
	s = dss_sha256_new();
	dss_sha256_update(s, "a", 1);
	dss_sha256_update(s, "bc", 2);
	dss_sha256_final(s, hex);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    "incremental sha256");
	{
		static const char *const strs[] = { "abc", "", "0:esnli-train-000001",
		    "a longer string, of more than one block of sixty-four bytes, "
		    "to be sure the state starts over", "abc" };
		unsigned char a[DSS_SHA256_LEN], b[DSS_SHA256_LEN];
		size_t i;
		int same = 1;

		s = dss_sha256_new();
		for (i = 0; s != NULL && i < sizeof(strs) / sizeof(strs[0]); i++) {
			dss_sha256_again(s, strs[i], strlen(strs[i]), a);
			dss_sha256(strs[i], strlen(strs[i]), b);
			same &= memcmp(a, b, sizeof(a)) == 0;
		}
		ok(s != NULL && same, "sha256 again, one state for many strings, "
		    "as one-shot");
		dss_sha256_free(s);
	}
}

static void
test_db(void)
{
	char path[] = "/tmp/dss-unit-XXXXXX";
	struct dss_err err = DSS_ERR_INIT;
	char dbpath[64];
	sqlite3_stmt *st;
	sqlite3 *db;
	int fd = mkstemp(path);

	close(fd);
	unlink(path);
	snprintf(dbpath, sizeof(dbpath), "%s.db", path);
	ok(dss_db_open(dbpath, 0, &err) == NULL, "open without create fails");
	db = dss_db_open(dbpath, DSS_DB_CREATE, &err);
	ok(db != NULL, "create database");
	st = dss_db_prepare(db, "PRAGMA user_version", &err);
	sqlite3_step(st);
	is_int(sqlite3_column_int(st, 0), DSS_DB_VERSION, "schema migrated");
	sqlite3_finalize(st);
	dss_db_close(db);
	db = dss_db_open(dbpath, 0, &err);
	ok(db != NULL, "reopen is idempotent");
	dss_db_exec(db, "PRAGMA user_version = 99", &err);
	dss_db_close(db);
	ok(dss_db_open(dbpath, 0, &err) == NULL, "newer schema refused");
	ok(strstr(err.msg, "newer than this dss") != NULL, "says why");
	unlink(dbpath);
	strcat(dbpath, "-wal");
	unlink(dbpath);
}

int
main(void)
{
	test_buf();
	test_jsonl();
	test_sha256();
	test_db();
	return done();
}
