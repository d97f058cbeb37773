/* SPDX-License-Identifier: MIT */
/*
 * Downloads into a local cache, with libcurl.  A file at
 * https://HOST/PATH is kept at CACHE/HOST/PATH; a transfer goes to
 * CACHE/HOST/PATH.part first, resumes with an HTTP Range request after an
 * interruption, is retried with exponential backoff on transient failures,
 * is verified against its SHA-256 and is fsynced and renamed into place
 * only when the hash matches.  Files whose hash is not pinned by the caller
 * are trusted on first download: their hash is recorded in the cache's
 * lock file CACHE/dss.lock.json and verified on every later use, cache
 * hits included (the cached file is re-hashed every time).  A mirror maps
 * https://HOST/PATH to MIRROR/HOST/PATH.  The library never prints:
 * progress goes to a caller-supplied callback.
 */
#ifndef DSS_FETCH_H
#define DSS_FETCH_H

#include <stddef.h>

#include "err.h"

struct dss_fetch_opts {
	const char *mirror;	/* URL prefix (http://, https://, file://) or NULL */
	const char *cache;	/* cache directory, or NULL for dss_fetch_cache_dir() */
	int offline;		/* never touch the network; fail if not cached */
	int retries;		/* attempts after the first, default 4 */
	long connect_timeout;	/* seconds */
	long low_speed_time;	/* seconds below 1 KiB/s before giving up */
	void (*progress)(void *arg, const char *name, long long now, long long total);
	void *progress_arg;
};
#define DSS_FETCH_OPTS_INIT { NULL, NULL, 0, 4, 30, 60, NULL, NULL }

/*
 * Ensures url is in the cache and verified against sha256 (64 hex chars;
 * NULL = trust on first download and record it in the cache's lock file,
 * verify ever after).  On success *path is a malloc'd path of the cached
 * file (caller frees).  On failure returns -1, *path is NULL and any file
 * previously in the cache is left as it was.  Messages include
 * "checksum mismatch for 'URL': expected HEX, got HEX",
 * "'URL' is not in the cache (PATH) and --offline is set" and
 * "cannot download 'URL': HTTP 404".
 */
int dss_fetch(const struct dss_fetch_opts *o, const char *url, const char *sha256, char **path, struct dss_err *err);
/* The default cache dir ($DSS_CACHE, else $XDG_CACHE_HOME/dss, else ~/.cache/dss); caller frees. */
char *dss_fetch_cache_dir(void);

/*
 * Maps url to where it is fetched from: with mirror non-NULL,
 * SCHEME://HOST/PATH becomes MIRROR/HOST/PATH (a trailing '/' on mirror
 * is dropped); without, a copy of url.  Returns a malloc'd string (caller
 * frees) or NULL with err set.
 */
char *dss_fetch_source_url(const char *mirror, const char *url, struct dss_err *err);

/*
 * Maps url to its place in cache: CACHE/HOST/PATH.  Rejects URLs without
 * an http, https or file scheme, empty, "." or ".." components, and bytes
 * outside [A-Za-z0-9._~+=,@%-] in any component, so that nothing escapes
 * the cache.  A query string or fragment is rejected too.  Returns a
 * malloc'd path (caller frees) or NULL with err set.
 */
char *dss_fetch_cache_path(const char *cache, const char *url, struct dss_err *err);

/*
 * The hash recorded for url in the lock file of cache, in out.  Returns 1
 * when found, 0 when not recorded (or there is no lock file yet), -1 on a
 * read or parse error.
 */
int dss_fetch_lock_get(const char *cache, const char *url, char out[65], struct dss_err *err);

/*
 * Formats a one-line progress bar for name (now of total bytes; total <= 0
 * when unknown) into buf of size n, without a newline or carriage return,
 * at most width columns wide (width < 20 means 80).  Returns buf.
 */
char *dss_progress_format(char *buf, size_t n, const char *name, long long now, long long total, int width);

#endif
