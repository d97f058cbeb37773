/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the streamed archive reader: archives are built here with
 * libarchive's write API (zip with deflate, tar.gz), then read back entry
 * by entry; a truncated zip and a corrupted one must give an error, never
 * a silent early end of file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "../../lib/archive.h"
#include "../../lib/buf.h"
#include "../../lib/sha256.h"
#include "tap.h"

static char dir[] = "/tmp/dss-test-archive.XXXXXX";
static struct dss_buf big = DSS_BUF_INIT;

static void
add_entry(struct archive *w, const char *name, int type, const char *data, size_t n)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
	archive_entry_set_mtime(e, 1700000000, 0);
	if (type == AE_IFLNK)
		archive_entry_set_symlink(e, "/etc/passwd");
	if (type == AE_IFREG && data == NULL) {
		archive_entry_set_hardlink(e, "anli_v1.0/R1/dev.jsonl");
		n = 0;
	}
	if (type == AE_IFREG)
		archive_entry_set_size(e, (la_int64_t)n);
	archive_write_header(w, e);
	if (type == AE_IFREG && n > 0)
		archive_write_data(w, data, n);
	archive_entry_free(e);
}

/* Builds PATH in format "zip" or "tar.gz" with a fixed set of entries. */
static int
build(const char *path, const char *format)
{
	struct archive *w = archive_write_new();
	const char *dev = "{\"uid\":\"d1\"}\n{\"uid\":\"d2\"}\n";

	if (strcmp(format, "zip") == 0) {
		archive_write_set_format_zip(w);
		archive_write_set_options(w, "zip:compression=deflate");
	} else {
		archive_write_set_format_pax_restricted(w);
		archive_write_add_filter_gzip(w);
	}
	if (archive_write_open_filename(w, path) != ARCHIVE_OK)
		return -1;
	add_entry(w, "anli_v1.0/", AE_IFDIR, NULL, 0);
	add_entry(w, "anli_v1.0/R1/", AE_IFDIR, NULL, 0);
	add_entry(w, "anli_v1.0/R1/dev.jsonl", AE_IFREG, dev, strlen(dev));
	add_entry(w, "anli_v1.0/R1/link", AE_IFLNK, NULL, 0);
	if (strcmp(format, "zip") != 0)	/* zip has no hard links */
		add_entry(w, "anli_v1.0/R1/hard", AE_IFREG, NULL, 0);
	add_entry(w, "../escape.txt", AE_IFREG, "x\n", 2);
	add_entry(w, "anli_v1.0/R1/train.jsonl", AE_IFREG, big.data, big.len);
	add_entry(w, "anli_v1.0/R1/empty.jsonl", AE_IFREG, "", 0);
	archive_write_close(w);
	archive_write_free(w);
	return 0;
}

/* Reads the whole stream into out; returns 0, or -1 when ferror. */
static int
slurp(FILE *fp, struct dss_buf *out)
{
	char tmp[1000];
	size_t n;

	dss_buf_reset(out);
	while ((n = fread(tmp, 1, sizeof(tmp), fp)) > 0)
		dss_buf_add(out, tmp, n);
	return ferror(fp) ? -1 : 0;
}

static void
test_read(const char *format)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_buf got = DSS_BUF_INIT;
	struct dss_archive *a;
	const char *name;
	char path[256], names[512] = "";
	int r;

	snprintf(path, sizeof(path), "%s/a.%s", dir, format);
	ok(build(path, format) == 0, "%s: built", format);
	a = dss_archive_open(path, &err);
	ok(a != NULL, "%s: opens", format);
	if (a == NULL)
		return;
	while ((r = dss_archive_next(a, &name, &err)) == 1) {
		strcat(names, name);
		strcat(names, " ");
	}
	is_int(r, 0, "next ends with 0");
	is_str(names, "anli_v1.0/R1/dev.jsonl ../escape.txt anli_v1.0/R1/train.jsonl "
	    "anli_v1.0/R1/empty.jsonl ", "only regular files, in archive order");
	ok(dss_archive_stream(a) == NULL, "no stream at the end");

	/* find starts over when the member lies behind */
	ok(dss_archive_find(a, "anli_v1.0/R1/train.jsonl", &err) == 0,
	    "%s: find after the end starts over", format);
	ok(slurp(dss_archive_stream(a), &got) == 0, "reads train.jsonl");
	ok(got.len == big.len && memcmp(got.data, big.data, big.len) == 0,
	    "%s: train.jsonl content round-trips (%zu bytes)", format, got.len);
	ok(dss_archive_error(a) == NULL, "no error after a clean read");

	ok(dss_archive_find(a, "./anli_v1.0/R1/dev.jsonl", &err) == 0,
	    "find ignores a leading ./");
	slurp(dss_archive_stream(a), &got);
	is_str(got.data, "{\"uid\":\"d1\"}\n{\"uid\":\"d2\"}\n", "dev.jsonl content");

	ok(dss_archive_find(a, "anli_v1.0/R1/empty.jsonl", &err) == 0, "finds the empty file");
	slurp(dss_archive_stream(a), &got);
	is_int((long long)got.len, 0, "empty entry reads as empty");

	ok(dss_archive_find(a, "anli_v1.0/R1/link", &err) == -1, "a symlink is not a member");
	if (strcmp(format, "zip") != 0)
		ok(dss_archive_find(a, "anli_v1.0/R1/hard", &err) == -1, "a hard link is not a member");
	r = dss_archive_find(a, "anli_v1.0/R2/train.jsonl", &err);
	is_int(r, -1, "absent member fails");
	snprintf(names, sizeof(names), "no member 'anli_v1.0/R2/train.jsonl' in '%s'", path);
	is_str(err.msg, names, "absent member message");
	dss_archive_close(a);
	dss_buf_free(&got);
}

/* Partially reads one entry and moves on: the stream must be replaced. */
static void
test_partial(void)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_archive *a;
	const char *name;
	char path[256], line[64];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/a.zip", dir);
	a = dss_archive_open(path, &err);
	ok(dss_archive_find(a, "anli_v1.0/R1/train.jsonl", &err) == 0, "partial: finds");
	fp = dss_archive_stream(a);
	ok(fp == dss_archive_stream(a), "stream is stable for one entry");
	ok(fgets(line, sizeof(line), fp) != NULL && strncmp(line, "{\"uid\":\"t0\"", 11) == 0,
	    "reads the first line");
	ok(dss_archive_next(a, &name, &err) == 1, "next after a partial read");
	is_str(name, "anli_v1.0/R1/empty.jsonl", "next entry name");
	dss_archive_close(a);
}

static void
test_truncated(void)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_buf got = DSS_BUF_INIT;
	struct dss_archive *a;
	const char *name;
	char path[256], cut[256];
	struct stat st;
	FILE *fp;
	int r;

	snprintf(path, sizeof(path), "%s/a.zip", dir);
	snprintf(cut, sizeof(cut), "%s/cut.zip", dir);
	/* cut in the middle of train.jsonl's compressed data */
	if (stat(path, &st) == 0) {
		char *data = malloc((size_t)st.st_size);
		FILE *in = fopen(path, "rb"), *out = fopen(cut, "wb");

		if (fread(data, 1, (size_t)st.st_size, in) == (size_t)st.st_size)
			fwrite(data, 1, (size_t)st.st_size / 2, out);
		fclose(in);
		fclose(out);
		free(data);
	}
	a = dss_archive_open(cut, &err);
	ok(a != NULL, "truncated zip opens (the damage is further in)");
	if (a == NULL)
		return;
	r = dss_archive_find(a, "anli_v1.0/R1/train.jsonl", &err);
	is_int(r, 0, "truncated zip: finds the member by its local header");
	fp = dss_archive_stream(a);
	ok(fp != NULL && slurp(fp, &got) == -1, "truncated zip: read error, not EOF");
	ok(got.len < big.len, "truncated zip: fewer bytes than the original (%zu)", got.len);
	ok(dss_archive_error(a) != NULL && strstr(dss_archive_error(a), "cannot read 'anli_v1.0/R1/train.jsonl' in '") != NULL,
	    "truncated zip: error names the member: %s", dss_archive_error(a) ? dss_archive_error(a) : "(null)");
	ok(dss_archive_next(a, &name, &err) != 1, "truncated zip: no more entries");
	dss_archive_close(a);
	dss_buf_free(&got);
}

static void
test_corrupt(void)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_buf got = DSS_BUF_INIT;
	struct dss_archive *a;
	char path[256], bad[256];
	FILE *in, *out;
	long size;
	char *data;
	int r;

	snprintf(path, sizeof(path), "%s/a.zip", dir);
	snprintf(bad, sizeof(bad), "%s/bad.zip", dir);
	in = fopen(path, "rb");
	fseek(in, 0, SEEK_END);
	size = ftell(in);
	rewind(in);
	data = calloc(1, (size_t)size);
	if (fread(data, 1, (size_t)size, in) != (size_t)size)
		size = 0;
	fclose(in);
	data[size / 2] ^= 0x55;	/* inside train.jsonl's deflate stream */
	out = fopen(bad, "wb");
	fwrite(data, 1, (size_t)size, out);
	fclose(out);
	free(data);

	a = dss_archive_open(bad, &err);
	r = a == NULL ? -1 : dss_archive_find(a, "anli_v1.0/R1/train.jsonl", &err);
	if (r == 0)
		r = slurp(dss_archive_stream(a), &got);
	ok(r == -1 && dss_archive_error(a) != NULL, "corrupt zip data: read error (%s)",
	    dss_archive_error(a) ? dss_archive_error(a) : err.msg);
	dss_archive_close(a);
	dss_buf_free(&got);
}

static void
test_errors(void)
{
	struct dss_err err = DSS_ERR_INIT;
	struct dss_archive *a;
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/missing.zip", dir);
	a = dss_archive_open(path, &err);
	ok(a == NULL && strstr(err.msg, "': No such file or directory") != NULL &&
	    strncmp(err.msg, "cannot open '", 13) == 0, "missing file: %s", err.msg);

	snprintf(path, sizeof(path), "%s/notzip.zip", dir);
	fp = fopen(path, "w");
	fputs("this is not an archive at all, just some text\n", fp);
	fclose(fp);
	a = dss_archive_open(path, &err);
	if (a != NULL) {
		const char *name;

		ok(dss_archive_next(a, &name, &err) == -1 && strstr(err.msg, path) != NULL,
		    "not an archive: %s", err.msg);
		dss_archive_close(a);
	} else {
		ok(strstr(err.msg, path) != NULL, "not an archive: %s", err.msg);
	}
	dss_archive_close(NULL);
	ok(1, "close(NULL) is harmless");
}

int
main(void)
{
	char cmd[300];
	int i;

	if (mkdtemp(dir) == NULL)
		return 1;
	for (i = 0; i < 20000; i++)
		dss_buf_addf(&big, "{\"uid\":\"t%d\",\"context\":\"premise %d\",\"label\":\"%c\"}\n",
		    i, i * 7919 % 100003, "enc"[i % 3]);
	test_read("zip");
	test_read("tar.gz");
	test_partial();
	test_truncated();
	test_corrupt();
	test_errors();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	dss_buf_free(&big);
	return done();
}
