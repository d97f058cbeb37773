/* SPDX-License-Identifier: MIT */
/* Files read whole, and replaced atomically: temporary file, fsync, rename. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "buf.h"
#include "file.h"

int
dss_file_read(const char *path, struct dss_buf *b, size_t max,
    struct dss_err *err)
{
	FILE *fp = fopen(path, "r");
	int r;

	if (fp == NULL)
		return dss_err_errno(err, errno, "cannot open '%s'", path);
	b->max = max;
	if ((r = dss_buf_read(b, fp)) == -2)
		dss_err_set(err, "'%s': larger than %zu bytes", path, max);
	else if (r < 0)
		dss_err_errno(err, errno, "cannot read '%s'", path);
	fclose(fp);
	return r < 0 ? -1 : 0;
}

static void
fsync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	struct dss_buf dir = DSS_BUF_INIT;
	int fd;

	if (slash == NULL)
		dss_buf_adds(&dir, ".");
	else if (slash == path)
		dss_buf_adds(&dir, "/");
	else
		dss_buf_add(&dir, path, (size_t)(slash - path));
	if ((fd = open(dir.data, O_RDONLY | O_DIRECTORY)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	dss_buf_free(&dir);
}

int
dss_file_replace(const char *path, const void *data, size_t len,
    struct dss_err *err)
{
	struct dss_buf tmp = DSS_BUF_INIT;
	const char *p = data;
	mode_t um;
	int fd = -1, r = -1, made = 0, e;

	if (dss_buf_addf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
		dss_err_errno(err, ENOMEM, "cannot create '%s'", path);
		goto out;
	}
	if ((fd = mkstemp(tmp.data)) < 0) {
		dss_err_errno(err, errno, "cannot create '%s'", path);
		goto out;
	}
	made = 1;
	um = umask(0);
	umask(um);
	(void)fchmod(fd, 0666 & ~um);
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			dss_err_errno(err, w < 0 ? errno : EIO, "cannot write '%s'",
			    path);
			goto out;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) < 0) {
		dss_err_errno(err, errno, "cannot write '%s'", path);
		goto out;
	}
	e = close(fd);
	fd = -1;
	if (e < 0) {
		dss_err_errno(err, errno, "cannot write '%s'", path);
		goto out;
	}
	if (rename(tmp.data, path) < 0) {
		dss_err_errno(err, errno, "cannot rename to '%s'", path);
		goto out;
	}
	made = 0;
	fsync_parent(path);
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (made)
		unlink(tmp.data);
	dss_buf_free(&tmp);
	return r;
}
