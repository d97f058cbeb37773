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
 * progress goes to a caller-supplied callback, o->progress, which is
 * called with the file's base name, the bytes so far (counting those of a
 * resumed .part) and the total (-1 while unknown), at most five times a
 * second during a transfer and once more at its end with now == total.
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
 * previously in the cache is left as it was.
 *
 * A cached file is re-hashed on every call.  If it does not match, it is
 * downloaded again (not with offline set) and replaced only when the new
 * copy matches.  A cached file with neither a pin nor a lock entry is
 * trusted and recorded.  A .part left by an interrupted transfer is
 * resumed; if the resumed file does not match, the file is fetched once
 * more from the start.  A server that ignores Range is handled by starting
 * over.  Transient failures (connection errors, timeouts, a cut transfer,
 * HTTP 408, 425, 429 and 5xx) are retried o->retries times, after
 * Retry-After when the server sends one, else after an exponential
 * backoff with jitter (1 s, 2 s, 4 s, ... up to 60 s, each scaled by a
 * random factor in [0.5, 1]; the environment variable DSS_FETCH_BACKOFF_MS
 * changes the 1 s base, which tests set to 0).  Other HTTP errors and
 * checksum mismatches are not retried.  Concurrent calls for the same URL
 * (threads or processes) serialize on an flock of the .part file, and
 * lock-file updates on an flock of the cache directory.
 *
 * Messages (one line each):
 *   checksum mismatch for 'URL': expected HEX, got HEX
 *   checksum mismatch for 'URL' (cached as 'PATH'): expected HEX, got HEX
 *   'URL' is not in the cache (PATH) and --offline is set
 *   cannot download 'URL': HTTP 404
 *   cannot download 'URL' from 'MIRRORED-URL': HTTP 404
 *   cannot download 'URL' from 'MIRRORED-URL': <libcurl's message>
 *   cannot cache 'URL': <why the URL is unsafe>
 *   cannot parse lock file 'CACHE/dss.lock.json': not a JSON object
 *   invalid SHA-256 'X' for 'URL'
 *   invalid mirror 'X': not an http://, https:// or file:// URL or an absolute path
 *
 * The lock file is a JSON object mapping each upstream URL (never the
 * mirrored one) to its SHA-256 in lowercase hex, one entry per line,
 * sorted by URL; entries it does not understand are kept.
 */
int dss_fetch(const struct dss_fetch_opts *o, const char *url, const char *sha256, char **path, struct dss_err *err);
/* The default cache dir ($DSS_CACHE, else $XDG_CACHE_HOME/dss, else ~/.cache/dss); caller frees. */
char *dss_fetch_cache_dir(void);

/*
 * Maps url to where it is fetched from: with mirror non-NULL and not empty,
 * SCHEME://HOST/PATH becomes MIRROR/HOST/PATH (trailing '/'s on mirror
 * are dropped; a mirror that is an absolute path means file://PATH);
 * without, a copy of url.  Returns a malloc'd string (caller
 * frees) or NULL with err set.
 */
char *dss_fetch_source_url(const char *mirror, const char *url, struct dss_err *err);

/*
 * Maps url to its place in cache: CACHE/HOST/PATH.  Rejects URLs without
 * an http, https or file scheme (lowercase), an empty host, empty
 * components, components starting with '.' (so "." and ".." too) or
 * ending in ".part", and bytes outside [A-Za-z0-9._~+=,@-] in a path
 * component or outside [A-Za-z0-9._:-] in the host, so that nothing
 * escapes the cache.  Query strings, fragments, user names and
 * percent-escapes are rejected with them.  Returns a
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
