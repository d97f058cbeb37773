/* SPDX-License-Identifier: MIT */
/*
 * Replacing a file whole: the new contents go to a temporary file beside
 * the target, are flushed to disk, and are renamed over it, so that a
 * reader sees the old file or the new one, never half of one.
 */
#ifndef DSS_FILE_H
#define DSS_FILE_H

#include <stddef.h>

#include "err.h"

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
