/* SPDX-License-Identifier: MIT */
/*
 * Streamed reading of archives with libarchive: any format and filter it
 * reads (zip, tar, tar.gz, ...).  Entries are read in archive order and
 * handed out as read-only stdio streams; nothing is ever written to disk,
 * so no path taken from an archive can reach the file system.  Only
 * regular-file entries are visited; directories, symbolic and hard links
 * and devices are skipped.
 */
#ifndef DSS_ARCHIVE_H
#define DSS_ARCHIVE_H

#include <stdio.h>

#include "err.h"

struct dss_archive;

/* Opens the archive at path.  Returns NULL with err set. Caller closes with dss_archive_close. */
struct dss_archive *dss_archive_open(const char *path, struct dss_err *err);
/* Advances to the next regular-file entry: 1 and *name (owned by a, valid until the next call), 0 at end, -1 on error. */
int dss_archive_next(struct dss_archive *a, const char **name, struct dss_err *err);
/* Advances to the entry named member; -1 with "no member 'X' in 'ARCHIVE'" when absent.
 * A leading "./" is ignored on both sides.  The search runs forward from the current entry
 * and, when it reaches the end, starts over from the beginning once (by reopening the file). */
int dss_archive_find(struct dss_archive *a, const char *member, struct dss_err *err);
/* A read-only stdio stream over the current entry (valid until next/find/close). A read error
 * (e.g. a truncated zip) makes ferror() true and dss_archive_error(a) returns the message.
 * The stream belongs to a: do not fclose it.  Returns NULL when there is no current entry. */
FILE *dss_archive_stream(struct dss_archive *a);
/* The last read error of a (including one met by its stream), or NULL when there was none. */
const char *dss_archive_error(const struct dss_archive *a);
/* Closes a and its stream; NULL is fine. */
void dss_archive_close(struct dss_archive *a);

#endif
