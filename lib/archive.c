/* SPDX-License-Identifier: MIT */
/*
 * Streamed archive reading over libarchive.  Entries are visited in
 * archive order and exposed as read-only stdio streams built with glibc's
 * fopencookie; nothing is extracted, so no name taken from an archive is
 * ever used as a path.  A read error met by a stream (a truncated zip, a
 * bad CRC) is kept in the struct so that callers see more than EOF.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <archive.h>
#include <archive_entry.h>

#include "archive.h"

#define BLOCK_SIZE 65536

struct dss_archive {
	struct archive *ar;
	char *path;		/* for messages */
	char *name;		/* current entry's name */
	FILE *fp;		/* stream over the current entry, or NULL */
	long entries;		/* entries passed since open */
	int at_end;		/* the end was reached, or a fatal error */
	char error[512];	/* last read error, or "" */
};

static const char *
strip_dot(const char *name)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	return name;
}

static void
set_error(struct dss_archive *a, const char *what)
{
	const char *m = archive_error_string(a->ar);

	snprintf(a->error, sizeof(a->error), "cannot read %s in '%s': %s",
	    what, a->path, m != NULL ? m : "unknown error");
}

static int
reopen(struct dss_archive *a, struct dss_err *err)
{
	if (a->ar != NULL)
		archive_read_free(a->ar);
	a->entries = 0;
	a->at_end = 0;
	a->error[0] = '\0';
	a->ar = archive_read_new();
	if (a->ar == NULL)
		return dss_err_set(err, "cannot open '%s': out of memory", a->path);
	archive_read_support_filter_all(a->ar);
	archive_read_support_format_all(a->ar);
	if (archive_read_open_filename(a->ar, a->path, BLOCK_SIZE) != ARCHIVE_OK) {
		const char *m = archive_error_string(a->ar);
		int e = archive_errno(a->ar);

		if (e > 0 && (m == NULL || strncmp(m, "Failed to open", 14) == 0))
			return dss_err_errno(err, e, "cannot open '%s'", a->path);
		return dss_err_set(err, "cannot open '%s': %s", a->path,
		    m != NULL ? m : "unknown error");
	}
	return 0;
}

struct dss_archive *
dss_archive_open(const char *path, struct dss_err *err)
{
	struct dss_archive *a;

	a = calloc(1, sizeof(*a));
	if (a == NULL || (a->path = strdup(path)) == NULL) {
		free(a);
		dss_err_set(err, "cannot open '%s': out of memory", path);
		return NULL;
	}
	if (reopen(a, err) == -1) {
		dss_archive_close(a);
		return NULL;
	}
	return a;
}

static void
close_stream(struct dss_archive *a)
{
	if (a->fp != NULL) {
		fclose(a->fp);
		a->fp = NULL;
	}
}

int
dss_archive_next(struct dss_archive *a, const char **name, struct dss_err *err)
{
	struct archive_entry *e;
	const char *n;
	int r;

	close_stream(a);
	free(a->name);
	a->name = NULL;
	for (;;) {
		if (a->at_end)
			return 0;
		r = archive_read_next_header(a->ar, &e);
		if (r == ARCHIVE_EOF) {
			a->at_end = 1;
			return 0;
		}
		if (r < ARCHIVE_WARN) {
			a->at_end = 1;
			set_error(a, "the next entry");
			return dss_err_set(err, "%s", a->error);
		}
		a->entries++;
		/* a hard link's data lies in an earlier entry: skip it too */
		if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) != NULL)
			continue;
		n = archive_entry_pathname(e);
		if (n == NULL)
			n = archive_entry_pathname_utf8(e);
		if (n == NULL)
			continue;
		free(a->name);
		a->name = strdup(n);
		if (a->name == NULL)
			return dss_err_set(err, "cannot read '%s': out of memory",
			    a->path);
		*name = a->name;
		return 1;
	}
}

static int
scan(struct dss_archive *a, const char *member, struct dss_err *err)
{
	const char *name;
	int r;

	while ((r = dss_archive_next(a, &name, err)) == 1)
		if (strcmp(strip_dot(name), member) == 0)
			return 1;
	return r;
}

int
dss_archive_find(struct dss_archive *a, const char *member, struct dss_err *err)
{
	int r;

	member = strip_dot(member);
	r = scan(a, member, err);
	if (r == 0 && a->entries > 0) {
		/* The member may lie behind us: start over once. */
		close_stream(a);
		if (reopen(a, err) == -1)
			return -1;
		r = scan(a, member, err);
	}
	if (r == 0)
		return dss_err_set(err, "no member '%s' in '%s'", member, a->path);
	return r == 1 ? 0 : -1;
}

static ssize_t
cookie_read(void *cookie, char *buf, size_t size)
{
	struct dss_archive *a = cookie;
	la_ssize_t n;

	n = archive_read_data(a->ar, buf, size);
	if (n < 0) {
		char what[300];

		snprintf(what, sizeof(what), "'%.256s'", a->name);
		set_error(a, what);
		a->at_end = 1;
		errno = EIO;
		return -1;
	}
	return (ssize_t)n;
}

FILE *
dss_archive_stream(struct dss_archive *a)
{
	cookie_io_functions_t io = { cookie_read, NULL, NULL, NULL };

	if (a->fp == NULL && a->name != NULL && !a->at_end)
		a->fp = fopencookie(a, "r", io);
	return a->fp;
}

const char *
dss_archive_error(const struct dss_archive *a)
{
	return a->error[0] != '\0' ? a->error : NULL;
}

void
dss_archive_close(struct dss_archive *a)
{
	if (a == NULL)
		return;
	close_stream(a);
	if (a->ar != NULL)
		archive_read_free(a->ar);
	free(a->name);
	free(a->path);
	free(a);
}
