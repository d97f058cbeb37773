/* SPDX-License-Identifier: MIT */
/*
 * Files read or replaced whole.  A replacement goes to a temporary file
 * beside the target, is flushed to disk, and is renamed over it, so that
 * a reader sees the old file or the new one, never half of one.
 */
#ifndef DSS_FILE_H
#define DSS_FILE_H

#include <stddef.h>

#include "err.h"

struct dss_buf;

/*
 * Reads the whole file at path into b (appended; b->max becomes max).
 * Returns 0, or -1 with err naming path: "cannot open 'x': ...",
 * "cannot read 'x': ...", or "'x': larger than MAX bytes".
 */
int dss_file_read(const char *path, struct dss_buf *b, size_t max,
    struct dss_err *err);

/*
 * Writes the len bytes at data to path atomically (temporary file in the
 * same directory, fsync, rename, fsync of the directory).  The file gets
 * mode 0666 less the umask.  Returns 0, or -1 with err naming path
 * ("cannot create 'x/y.svg': No such file or directory"); on failure the
 * temporary file is removed and path is left as it was.
 */
int dss_file_replace(const char *path, const void *data, size_t len,
    struct dss_err *err);

#endif
