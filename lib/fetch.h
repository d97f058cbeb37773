/* SPDX-License-Identifier: MIT */
/*
 * Downloads into a local cache, with libcurl.  A file at
 * https://HOST/PATH is kept at CACHE/HOST/PATH; a transfer goes to
 * CACHE/HOST/PATH.part first, resumes with an HTTP Range request after an
 * interruption, is retried with exponential backoff on transient failures,
 * stops at a size limit and a deadline, is verified against its SHA-256
 * and is fsynced and renamed into place only when it is vouched for.  A
 * mirror maps https://HOST/PATH to MIRROR/HOST/PATH.  The library never
 * prints: progress goes to a caller-supplied callback, o->progress, which
 * is called with the file's base name, the bytes so far (counting those of
 * a resumed .part) and the total (-1 while unknown), at most five times a
 * second during a transfer and once more at its end with now == total.
 *
 * Trust.  A file is vouched for by a pin (a SHA-256 the caller gives, from
 * the manifest) or by its entry in the cache's lock file
 * CACHE/dss.lock.json, which records for each unpinned URL the SHA-256 of
 * the cached file and its origin: "upstream" when it came from the URL
 * itself, else the mirrored URL it came from.  A lock entry vouches only
 * for fetches from the same origin: a file that came from a mirror never
 * satisfies a fetch without that mirror (or through another one), and a
 * file that came from upstream never satisfies a fetch through a mirror,
 * unless it is pinned.  A fetch from another origin downloads the file
 * again, and the new copy is trusted on first use like any file with no
 * entry.  A file trusted on first use enters the cache under its final
 * name and the lock file only after the caller has read it as it expects
 * (dss_fetch_open, then dss_fetch_commit): an archive that does not open,
 * rows that do not parse or a count that does not match leave the cache
 * and the lock as they were.
 */
#ifndef DSS_FETCH_H
#define DSS_FETCH_H

#include <stddef.h>

#include "err.h"

struct dss_fetch_opts {
	const char *mirror;	/* URL prefix (http://, https://, file://) or NULL */
	const char *cache;	/* cache directory, or NULL for dss_fetch_cache_dir() */
	int offline;		/* never touch the network; fail if not cached */
	int refresh;		/* download again even when the cache holds a good copy */
	int retries;		/* attempts after the first, default 4 */
	long connect_timeout;	/* seconds */
	long low_speed_time;	/* seconds below 1 KiB/s before giving up */
	long deadline;		/* seconds for one file, every attempt and wait included; 0: none */
	long long max_bytes;	/* size limit of one file; 0: none */
	void (*progress)(void *arg, const char *name, long long now, long long total);
	void *progress_arg;
};
#define DSS_FETCH_DEADLINE 3600L
#define DSS_FETCH_MAX_BYTES (4LL << 30)
#define DSS_FETCH_OPTS_INIT { .retries = 4, .connect_timeout = 30, \
	.low_speed_time = 60, .deadline = DSS_FETCH_DEADLINE, \
	.max_bytes = DSS_FETCH_MAX_BYTES }

/* err->code after a failed fetch, for callers that add advice. */
enum dss_fetch_error {
	DSS_FETCH_EMISMATCH = 1,	/* checksum mismatch against a pin or the lock file */
	DSS_FETCH_ETOOBIG,		/* the file is larger than o->max_bytes */
	DSS_FETCH_EDEADLINE,		/* not complete within o->deadline */
	DSS_FETCH_EOFFLINE		/* not usable from the cache and o->offline is set */
};

/*
 * A file made readable by dss_fetch_open: in place in the cache, or a new
 * download waiting for the caller's verdict.
 */
struct dss_fetched;

/*
 * Makes url readable at dss_fetched_path(*f), verified against sha256 (64
 * hex chars, a pin) or, with sha256 NULL, against its lock entry when that
 * entry has the origin of this fetch.  Returns 0, or -1 with *f NULL, err
 * set and the cache left as it was.
 *
 * A cached file is re-hashed on every call.  It is used when it matches
 * the pin, or the lock entry of the same origin, and o->refresh is not
 * set.  Otherwise the file is downloaded (not with o->offline set, which
 * fails instead): a download that matches the pin, or the same-origin lock
 * entry, replaces the cached file at once; a download nothing vouches for
 * (no pin, and no lock entry of this origin; or o->refresh) is left at
 * its .part name, locked, and dss_fetched_unvouched(*f) is 1: the caller
 * reads it, then calls dss_fetch_commit, which renames it into place and
 * records its hash and origin in the lock file, or, when it does not read
 * as expected, dss_fetch_discard, which has dss_fetch_close delete it.
 * Closed with neither, it stays a .part, which a later call resumes and
 * checks again like any download.  With o->refresh and a pin, the new
 * copy must match the pin, and replaces the cached one at once.
 *
 * A .part left by an interrupted transfer is resumed; if the resumed file
 * does not match, the file is fetched once more from the start.  A server
 * that ignores Range is handled by starting over.  Transient failures
 * (connection errors, timeouts, a cut transfer, and the HTTP statuses
 * retry.h retries: 408, 409, 425, 429 and 5xx) are retried o->retries
 * times, after Retry-After (seconds or an HTTP date, cut to 300 s) when
 * the server sends one, else after an exponential backoff with jitter (1 s, 2 s, 4 s,
 * ... up to 60 s, each scaled by a random factor in [0.5, 1]; the
 * environment variable DSS_FETCH_BACKOFF_MS changes the 1 s base, which
 * tests set to 0).  Every attempt and every wait of one file fit within
 * o->deadline seconds; past it the transfer stops and its .part is kept
 * for a later resume.  A file larger than o->max_bytes (announced by
 * Content-Length, or counted as it arrives) stops at once and its .part is
 * deleted.  Other HTTP errors, checksum mismatches, the size limit and the
 * deadline are not retried.  Concurrent calls for the same URL (threads
 * or processes) serialize on an flock of the .part file, held until
 * dss_fetch_close, and lock-file updates on an flock of the cache
 * directory.
 *
 * Messages (one line each):
 *   checksum mismatch for 'URL': expected HEX, got HEX
 *   checksum mismatch for 'URL' (cached as 'PATH'): expected HEX, got HEX
 *   'URL' is not in the cache (PATH) and --offline is set
 *   'URL' is cached from ORIGIN, not from ORIGIN, and --offline is set
 *     (ORIGIN: upstream, 'MIRRORED-URL', or an unrecorded origin)
 *   cannot download 'URL': HTTP 404
 *   cannot download 'URL' from 'MIRRORED-URL': HTTP 404
 *   cannot download 'URL' from 'MIRRORED-URL': <libcurl's message>
 *   cannot download 'URL' from 'MIRRORED-URL': larger than the limit of N bytes
 *   cannot download 'URL' from 'MIRRORED-URL': it announces N bytes, more than the limit of N bytes
 *   cannot download 'URL' from 'MIRRORED-URL': not complete within the deadline of N s
 *   cannot cache 'URL': <why the URL is unsafe>
 *   cannot parse lock file 'CACHE/dss.lock.json': not a JSON object
 *   invalid SHA-256 'X' for 'URL'
 *   invalid mirror 'X': not an http://, https:// or file:// URL or an absolute path
 *
 * The lock file is a JSON object mapping each upstream URL (never the
 * mirrored one) to {"sha256": HEX, "origin": ORIGIN}, one entry per line,
 * sorted by URL.  An entry in the older form, URL to HEX, is read as one
 * whose origin is not recorded (it vouches for no fetch) and is written
 * back as {"sha256": HEX}; entries the library does not understand are
 * kept as they are.
 */
int dss_fetch_open(const struct dss_fetch_opts *o, const char *url, const char *sha256,
    struct dss_fetched **f, struct dss_err *err);

/* Where the file can be read now: its place in the cache, or its .part. */
const char *dss_fetched_path(const struct dss_fetched *f);

/* 1 when f is a download nothing vouches for yet (see dss_fetch_open), else 0. */
int dss_fetched_unvouched(const struct dss_fetched *f);

/*
 * Puts an unvouched download in place: fsyncs it, records its hash and
 * origin in the lock file, renames it to its final name.  A no-op for a
 * file that was already in place.  Returns 0, or -1 with err set (the
 * cache and the lock file then hold what they held before).  f stays
 * valid, and dss_fetched_path names the final place.
 */
int dss_fetch_commit(struct dss_fetched *f, struct dss_err *err);

/* The SHA-256 (64 hex digits) of the file at dss_fetched_path(f), as checked. */
const char *dss_fetched_sha256(const struct dss_fetched *f);

/* Has dss_fetch_close delete f's download if it is not committed by then. */
void dss_fetch_discard(struct dss_fetched *f);

/*
 * Releases f.  A download neither committed nor discarded stays at its
 * .part name, never trusted as it is.  f may be NULL.
 */
void dss_fetch_close(struct dss_fetched *f);

/*
 * dss_fetch_open and dss_fetch_commit in one, for callers that need not
 * read a file before trusting it.  On success *path is a malloc'd path of
 * the cached file (caller frees); on failure -1, *path NULL, the cache
 * left as it was.
 */
int dss_fetch(const struct dss_fetch_opts *o, const char *url, const char *sha256, char **path, struct dss_err *err);

/* What dss_fetch_verify found. */
enum dss_fetch_state {
	DSS_FETCH_ABSENT,	/* no cached copy (or, unpinned, no lock entry) */
	DSS_FETCH_MATCHES,	/* the cached copy has the expected hash */
	DSS_FETCH_DIFFERS	/* it has another */
};

/*
 * Re-hashes the cached copy of url in cache against sha256 when given (a
 * pin), else against its lock entry.  Returns a dss_fetch_state with want
 * (the expected hash) and got (the file's, when there is a file) filled,
 * or -1 with err set.
 */
int dss_fetch_verify(const char *cache, const char *url, const char *sha256,
    char want[65], char got[65], struct dss_err *err);

/*
 * The URLs recorded in the lock file of cache, sorted, in *urls (a
 * malloc'd array of *n malloc'd strings; caller frees both).  Returns 0,
 * or -1 with err set.
 */
int dss_fetch_lock_urls(const char *cache, char ***urls, size_t *n, struct dss_err *err);

/*
 * A memo of facts a caller has verified about cached files, kept in
 * CACHE/dss.counts.json beside the lock file: a JSON object mapping a
 * key (64 hex digits: a SHA-256 the caller makes of everything the fact
 * depends on, the hashes of the files included) to a count, one entry
 * per line, the last DSS_FETCH_MEMO_MAX entries put.  dss_dataset_fetch
 * keeps there the example counts it has checked against a manifest, so
 * that a later run over the same files need not count them first.
 *
 * dss_fetch_memo_get returns 1 with *value set when key is recorded, 0
 * when it is not (or the memo is missing or unreadable: a memo is only
 * ever a shortcut).  dss_fetch_memo_put records key -> value, replacing
 * the file atomically under an flock of the cache directory; it returns
 * 0, or -1 with err set.
 */
#define DSS_FETCH_MEMO_MAX 256
int dss_fetch_memo_get(const char *cache, const char *key, long long *value);
int dss_fetch_memo_put(const char *cache, const char *key, long long value,
    struct dss_err *err);

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
 * The hash recorded for url in the lock file of cache, in out, and, with
 * origin not NULL, its origin in *origin (malloc'd, caller frees; NULL
 * when the entry records none).  Returns 1 when found, 0 when not
 * recorded (or there is no lock file yet), -1 on a read or parse error.
 */
int dss_fetch_lock_get(const char *cache, const char *url, char out[65], char **origin,
    struct dss_err *err);

/*
 * Formats a one-line progress bar for name (now of total bytes; total <= 0
 * when unknown) into buf of size n, without a newline or carriage return,
 * at most width columns wide (width < 20 means 80).  Returns buf.
 */
char *dss_progress_format(char *buf, size_t n, const char *name, long long now, long long total, int width);

#endif
