/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the download cache: mirror mapping, cache paths and
 * their sanitizing, the cache directory, file:// mirrors, cache hits,
 * lock-file recording and verification, checksum mismatches leaving the
 * cache as it was, --offline, the progress-bar formatter, and HTTP
 * transfers against tests/servers/mirror.py (resume, retries, 404, a
 * server that ignores Range, redirects).  Run from the top of the tree.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../lib/buf.h"
#include "../../lib/fetch.h"
#include "../../lib/sha256.h"
#include "tap.h"

#define EX "https://example.org/data/"
#define ZERO "0000000000000000000000000000000000000000000000000000000000000000"

static char top[] = "/tmp/dss-test-fetch.XXXXXX";
static char cache[300], mirror[300], murl[320];

static void
write_file(const char *path, const void *data, size_t n)
{
	char dir[600], *s;
	FILE *fp;

	snprintf(dir, sizeof(dir), "%s", path);
	for (s = dir + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(dir, 0777);
		*s = '/';
	}
	fp = fopen(path, "wb");
	if (fp == NULL) {
		perror(path);
		exit(1);
	}
	fwrite(data, 1, n, fp);
	fclose(fp);
}

/* The file's content (caller frees), or NULL when absent. */
static char *
read_file(const char *path, size_t *len)
{
	struct dss_buf b = DSS_BUF_INIT;
	char tmp[4096];
	FILE *fp = fopen(path, "rb");
	size_t n;

	if (fp == NULL)
		return NULL;
	while ((n = fread(tmp, 1, sizeof(tmp), fp)) > 0)
		dss_buf_add(&b, tmp, n);
	fclose(fp);
	return dss_buf_detach(&b, len);
}

static int
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static char *
cpath(const char *rel)
{
	static char buf[4][600];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", cache, rel);
	return buf[i];
}

static char *
mpath(const char *rel)
{
	static char buf[600];

	snprintf(buf, sizeof(buf), "%s/%s", mirror, rel);
	return buf;
}

static void
test_source_url(void)
{
	struct dss_err err = DSS_ERR_INIT;
	char *s;

	s = dss_fetch_source_url(NULL, "https://h.example.org/p/q.json", &err);
	is_str(s, "https://h.example.org/p/q.json", "no mirror: the URL itself");
	free(s);
	s = dss_fetch_source_url("http://127.0.0.1:8/m/",
	    "https://raw.githubusercontent.com/arkilpatel/SVAMP/main/SVAMP.json", &err);
	is_str(s, "http://127.0.0.1:8/m/raw.githubusercontent.com/arkilpatel/SVAMP/main/SVAMP.json",
	    "http mirror: trailing slash dropped, host kept");
	free(s);
	s = dss_fetch_source_url("file:///srv/mirror//", "https://dl.fbaipublicfiles.com/anli/anli_v1.0.zip", &err);
	is_str(s, "file:///srv/mirror/dl.fbaipublicfiles.com/anli/anli_v1.0.zip", "file:// mirror");
	free(s);
	s = dss_fetch_source_url("/srv/m", "http://h.example.org/x", &err);
	is_str(s, "file:///srv/m/h.example.org/x", "an absolute path is a file:// mirror");
	free(s);
	s = dss_fetch_source_url("", "http://h.example.org/x", &err);
	is_str(s, "http://h.example.org/x", "empty mirror is no mirror");
	free(s);
	s = dss_fetch_source_url("ftp://m.example.org", "http://h.example.org/x", &err);
	ok(s == NULL, "ftp mirror rejected");
	is_str(err.msg, "invalid mirror 'ftp://m.example.org': not an http://, https:// or file:// URL "
	    "or an absolute path", "bad mirror message");
	s = dss_fetch_source_url("http://m.example.org", "ftp://h.example.org/x", &err);
	ok(s == NULL && strstr(err.msg, "'ftp://h.example.org/x'") != NULL, "ftp URL rejected: %s", err.msg);
}

static void
test_cache_path(void)
{
	static const char *bad[] = {
		"https://h.example.org/../x", "https://h.example.org/a/./b", "https://h.example.org//x",
		"https://h.example.org/a/", "https://h.example.org", "https://h.example.org/", "https://../x",
		"https://h.example.org/x?y=1", "https://h.example.org/x#f", "https://h.example.org/a b",
		"https://h.example.org/.hidden", "https://h.example.org/x.json.part",
		"https://h.example.org/%2e%2e/x", "ftp://h.example.org/x", "https://h.example.org/a\\b",
		"file:///etc/passwd", "https://h.example.org/a/\xc3\xa9", "https://h.invalid/o/st/a\nb",
		"HTTPS://h.example.org/x", "https://user@h.example.org/x", "https://h.example.org/..",
	};
	struct dss_err err = DSS_ERR_INIT;
	char *s, big[5000];
	size_t i;

	s = dss_fetch_cache_path("/c", "https://raw.githubusercontent.com/arkilpatel/SVAMP/main/SVAMP.json", &err);
	is_str(s, "/c/raw.githubusercontent.com/arkilpatel/SVAMP/main/SVAMP.json", "cache path is CACHE/HOST/PATH");
	free(s);
	s = dss_fetch_cache_path("/c", "https://h.invalid/o/st/a\nb", &err);
	is_str(err.msg, "cannot cache 'https://h.invalid/o/st/a...': control character in the URL",
	    "a control character is not echoed");
	s = dss_fetch_cache_path("/c//", "http://127.0.0.1:8080/a/b_c~d+e=f,g@h-i.zip", &err);
	is_str(s, "/c/127.0.0.1:8080/a/b_c~d+e=f,g@h-i.zip", "port in host and safe punctuation kept");
	free(s);
	s = dss_fetch_cache_path("rel", "https://h.example.org/x", &err);
	is_str(s, "rel/h.example.org/x", "relative cache dir");
	free(s);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = dss_fetch_cache_path("/c", bad[i], &err);
		ok(s == NULL && strncmp(err.msg, "cannot cache '", 14) == 0,
		    "rejects unsafe URL #%zu: %s", i, err.msg);
		free(s);
	}
	s = dss_fetch_cache_path("/c", "https://h.example.org/../x", &err);
	is_str(err.msg, "cannot cache 'https://h.example.org/../x': component '..' starts with '.'", "'..' message");
	s = dss_fetch_cache_path("/c", "https://h.example.org/x?y=1", &err);
	is_str(err.msg, "cannot cache 'https://h.example.org/x?y=1': character '?' is not allowed", "'?' message");
	s = dss_fetch_cache_path("/c", "https://h.example.org//x", &err);
	is_str(err.msg, "cannot cache 'https://h.example.org//x': empty path component", "empty component message");
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "https://h.example.org/", 14);
	big[sizeof(big) - 1] = '\0';
	s = dss_fetch_cache_path("/c", big, &err);
	ok(s == NULL && strstr(err.msg, "URL too long") != NULL, "overlong URL rejected");
}

static void
test_cache_dir(void)
{
	char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	char *s;

	setenv("DSS_CACHE", "/d/c", 1);
	setenv("XDG_CACHE_HOME", "/x", 1);
	s = dss_fetch_cache_dir();
	is_str(s, "/d/c", "DSS_CACHE first");
	free(s);
	unsetenv("DSS_CACHE");
	s = dss_fetch_cache_dir();
	is_str(s, "/x/dss", "then XDG_CACHE_HOME/dss");
	free(s);
	setenv("XDG_CACHE_HOME", "", 1);
	setenv("HOME", "/home/u", 1);
	s = dss_fetch_cache_dir();
	is_str(s, "/home/u/.cache/dss", "then HOME/.cache/dss");
	free(s);
	unsetenv("XDG_CACHE_HOME");
	if (home != NULL)
		setenv("HOME", home, 1);
	free(home);
}

static void
hex_of(const char *s, char out[DSS_SHA256_HEX])
{
	dss_sha256_hex(s, strlen(s), out);
}

static void
test_file_mirror(void)
{
	struct dss_fetch_opts o = DSS_FETCH_OPTS_INIT;
	struct dss_err err = DSS_ERR_INIT;
	char ha[DSS_SHA256_HEX], hb[DSS_SHA256_HEX], hex[DSS_SHA256_HEX], want[2000];
	char *path = NULL, *s, *lock_before;
	int r;

	o.mirror = murl;
	o.cache = cache;
	write_file(mpath("example.org/data/a.txt"), "alpha\n", 6);
	write_file(mpath("example.org/data/b.txt"), "beta\n", 5);
	hex_of("alpha\n", ha);
	hex_of("beta\n", hb);

	r = dss_fetch(&o, EX "a.txt", NULL, &path, &err);
	ok(r == 0, "file:// mirror: fetched (%s)", r ? err.msg : "ok");
	is_str(path, cpath("example.org/data/a.txt"), "path is in the cache");
	s = read_file(cpath("example.org/data/a.txt"), NULL);
	is_str(s, "alpha\n", "cached content");
	free(s);
	free(path);
	ok(!exists(cpath("example.org/data/a.txt.part")), "no .part left");
	r = dss_fetch_lock_get(cache, EX "a.txt", hex, NULL, &err);
	ok(r == 1, "lock records the unpinned file");
	is_str(hex, ha, "lock holds its SHA-256");
	snprintf(want, sizeof(want), "{\n  \"%sa.txt\": {\"sha256\":\"%s\",\"origin\":"
	    "\"file://%s/example.org/data/a.txt\"}\n}\n", EX, ha, mirror);
	s = read_file(cpath("dss.lock.json"), NULL);
	is_str(s, want, "lock file format");
	free(s);
	r = dss_fetch_lock_get(cache, EX "nothing.txt", hex, NULL, &err);
	is_int(r, 0, "lock_get: 0 for an unrecorded URL");

	/* a cache hit needs no mirror */
	unlink(mpath("example.org/data/a.txt"));
	r = dss_fetch(&o, EX "a.txt", NULL, &path, &err);
	ok(r == 0 && path != NULL, "cache hit without the source (%s)", r ? err.msg : "ok");
	free(path);
	/* a cache hit with no options: the default cache ($DSS_CACHE here) and no
	 * mirror; pinned, as a file from a mirror is no hit without that mirror */
	setenv("DSS_CACHE", cache, 1);
	r = -1;
	if (exists(cpath("example.org/data/a.txt")))	/* never reach for the network */
		r = dss_fetch(NULL, EX "a.txt", ha, &path, &err);
	ok(r == 0 && path != NULL && strcmp(path, cpath("example.org/data/a.txt")) == 0,
	    "NULL options: default cache from DSS_CACHE (%s)", r ? err.msg : "ok");
	free(path);
	unsetenv("DSS_CACHE");

	o.offline = 1;
	r = dss_fetch(&o, EX "a.txt", NULL, &path, &err);
	ok(r == 0, "cache hit with offline set");
	free(path);
	r = dss_fetch(&o, EX "a.txt", ha, &path, &err);
	ok(r == 0, "cache hit pinned, offline");
	free(path);
	o.offline = 0;

	/* the lock is verified on a cache hit */
	write_file(cpath("example.org/data/a.txt"), "ALPHA\n", 6);
	r = dss_fetch(&o, EX "a.txt", NULL, &path, &err);
	ok(r == -1 && path == NULL, "tampered cached file, source gone: fails");
	ok(strncmp(err.msg, "cannot download '" EX "a.txt' from 'file://", 40) == 0,
	    "message names URL and source: %s", err.msg);
	s = read_file(cpath("example.org/data/a.txt"), NULL);
	is_str(s, "ALPHA\n", "tampered file left as it was");
	free(s);
	o.offline = 1;
	r = dss_fetch(&o, EX "a.txt", NULL, &path, &err);
	hex_of("ALPHA\n", hex);
	snprintf(want, sizeof(want), "checksum mismatch for '%sa.txt' (cached as '%s'): expected %s, got %s",
	    EX, cpath("example.org/data/a.txt"), ha, hex);
	ok(r == -1, "offline: tampered file fails");
	is_str(err.msg, want, "offline: mismatch message");
	o.offline = 0;
	write_file(mpath("example.org/data/a.txt"), "alpha\n", 6);
	r = dss_fetch(&o, EX "a.txt", NULL, &path, &err);
	ok(r == 0, "tampered file is repaired from the source");
	free(path);
	s = read_file(cpath("example.org/data/a.txt"), NULL);
	is_str(s, "alpha\n", "repaired content");
	free(s);

	/* pinned: verified, not recorded */
	r = dss_fetch(&o, EX "b.txt", hb, &path, &err);
	ok(r == 0, "pinned hash matches");
	free(path);
	ok(dss_fetch_lock_get(cache, EX "b.txt", hex, NULL, &err) == 0, "pinned files are not recorded");
	{
		char up[DSS_SHA256_HEX];
		size_t i;

		for (i = 0; i < 64; i++)
			up[i] = (char)(hb[i] >= 'a' ? hb[i] - 32 : hb[i]);
		up[64] = '\0';
		r = dss_fetch(&o, EX "b.txt", up, &path, &err);
		ok(r == 0, "uppercase pin accepted");
		free(path);
	}

	/* pinned mismatch leaves the cache as it was */
	lock_before = read_file(cpath("dss.lock.json"), NULL);
	write_file(mpath("example.org/new/dir/c.txt"), "gamma\n", 6);
	hex_of("gamma\n", hex);
	r = dss_fetch(&o, "https://example.org/new/dir/c.txt", ZERO, &path, &err);
	snprintf(want, sizeof(want), "checksum mismatch for 'https://example.org/new/dir/c.txt': "
	    "expected %s, got %s", ZERO, hex);
	ok(r == -1 && path == NULL, "pinned mismatch fails");
	is_str(err.msg, want, "mismatch message");
	ok(!exists(cpath("example.org/new")), "directories made for it are removed again");
	s = read_file(cpath("dss.lock.json"), NULL);
	is_str(s, lock_before, "lock file unchanged");
	free(s);

	/* a new version upstream does not replace a good cached file */
	write_file(mpath("example.org/data/b.txt"), "BETA\n", 5);
	r = dss_fetch(&o, EX "b.txt", hb, &path, &err);
	ok(r == 0, "good cached file wins over a changed source");
	free(path);
	unlink(cpath("example.org/data/b.txt"));
	r = dss_fetch(&o, EX "b.txt", hb, &path, &err);
	ok(r == -1 && strncmp(err.msg, "checksum mismatch for '" EX "b.txt': expected ", 51) == 0,
	    "changed source against the pin: %s", err.msg);
	ok(!exists(cpath("example.org/data/b.txt")) && !exists(cpath("example.org/data/b.txt.part")),
	    "nothing cached after the mismatch");

	/* TOFU: a changed source against the lock */
	write_file(mpath("example.org/data/a.txt"), "alpha 2\n", 8);
	unlink(cpath("example.org/data/a.txt"));
	r = dss_fetch(&o, EX "a.txt", NULL, &path, &err);
	ok(r == -1 && strstr(err.msg, "expected ") != NULL && strstr(err.msg, ha) != NULL,
	    "changed source against the lock: %s", err.msg);
	s = read_file(cpath("dss.lock.json"), NULL);
	is_str(s, lock_before, "lock file still unchanged");
	free(s);
	free(lock_before);

	/* offline with nothing cached */
	o.offline = 1;
	r = dss_fetch(&o, EX "z.txt", NULL, &path, &err);
	snprintf(want, sizeof(want), "'%sz.txt' is not in the cache (%s) and --offline is set",
	    EX, cpath("example.org/data/z.txt"));
	ok(r == -1, "offline, not cached: fails");
	is_str(err.msg, want, "offline message");
	o.offline = 0;

	/* bad arguments and a missing source */
	r = dss_fetch(&o, EX "a.txt", "xyz", &path, &err);
	is_str(err.msg, "invalid SHA-256 'xyz' for '" EX "a.txt'", "bad pin rejected");
	r = dss_fetch(&o, "https://example.org/../etc/passwd", NULL, &path, &err);
	ok(r == -1 && strncmp(err.msg, "cannot cache ", 13) == 0, "unsafe URL rejected by fetch");
	r = dss_fetch(&o, EX "missing.txt", NULL, &path, &err);
	ok(r == -1 && strncmp(err.msg, "cannot download '" EX "missing.txt' from 'file://", 46) == 0,
	    "missing source: %s", err.msg);
	ok(!exists(cpath("example.org/data/missing.txt.part")), "no empty .part left");
}

static void
test_lock_errors(void)
{
	struct dss_fetch_opts o = DSS_FETCH_OPTS_INIT;
	struct dss_err err = DSS_ERR_INIT;
	char c2[400], want[800], hex[DSS_SHA256_HEX], *path = NULL, lockp[500], c2path[500];
	int r;

	snprintf(c2, sizeof(c2), "%s/cache2", top);
	snprintf(c2path, sizeof(c2path), "%s/example.org/data/b.txt", c2);
	mkdir(c2, 0777);
	snprintf(lockp, sizeof(lockp), "%s/dss.lock.json", c2);
	o.mirror = murl;
	o.cache = c2;
	write_file(lockp, "[1, 2]\n", strlen("[1, 2]\n"));
	r = dss_fetch(&o, EX "b.txt", NULL, &path, &err);
	snprintf(want, sizeof(want), "cannot parse lock file '%s': not a JSON object", lockp);
	ok(r == -1, "corrupt lock file fails");
	is_str(err.msg, want, "corrupt lock message");
	write_file(lockp, "{\"" EX "b.txt\": \"abc\"}", strlen("{\"" EX "b.txt\": \"abc\"}"));
	r = dss_fetch_lock_get(c2, EX "b.txt", hex, NULL, &err);
	snprintf(want, sizeof(want), "lock file '%s/dss.lock.json': entry for '" EX "b.txt' is not a SHA-256", c2);
	ok(r == -1, "bad lock entry fails");
	is_str(err.msg, want, "bad lock entry message");
	write_file(lockp, "{\"" EX "b.txt\": {\"sha256\": \"" ZERO "\", \"origin\": 7}}",
	    strlen("{\"" EX "b.txt\": {\"sha256\": \"" ZERO "\", \"origin\": 7}}"));
	r = dss_fetch_lock_get(c2, EX "b.txt", hex, NULL, &err);
	snprintf(want, sizeof(want), "lock file '%s/dss.lock.json': origin of '" EX "b.txt' is not a string", c2);
	ok(r == -1, "a lock entry whose origin is not a string fails");
	is_str(err.msg, want, "its message");
	write_file(lockp, "{\"other\": 1}", strlen("{\"other\": 1}"));
	r = dss_fetch(&o, EX "b.txt", NULL, &path, &err);
	ok(r == 0, "other entries are kept (%s)", r ? err.msg : "ok");
	free(path);
	{
		char *s = read_file(lockp, NULL);

		dss_sha256_hex("BETA\n", 5, hex);
		snprintf(want, sizeof(want), "{\n  \"%sb.txt\": {\"sha256\":\"%s\",\"origin\":"
		    "\"file://%s/example.org/data/b.txt\"},\n  \"other\": 1\n}\n", EX, hex, mirror);
		is_str(s, want, "lock rewritten sorted, foreign entries kept");
		free(s);
	}
	/* a cached file without a lock entry is not trusted: it is fetched again */
	write_file(lockp, "{}", 2);
	write_file(c2path, "planted\n", 8);
	r = dss_fetch(&o, EX "b.txt", NULL, &path, &err);
	ok(r == 0 && dss_fetch_lock_get(c2, EX "b.txt", hex, NULL, &err) == 1,
	    "a cached file the lock lacks is fetched again and recorded (%s)", r ? err.msg : "ok");
	free(path);
	{
		char *s = read_file(c2path, NULL);

		is_str(s, "BETA\n", "the planted file is replaced by the source's");
		free(s);
	}
}

/* Where each file came from, what vouches for it, and the two-step open/commit. */
static void
test_trust(void)
{
	struct dss_fetch_opts o = DSS_FETCH_OPTS_INIT;
	struct dss_err err = DSS_ERR_INIT;
	struct dss_fetched *f = NULL;
	char c3[400], ma[400], mb[400], ua[450], ub[450], lockp[500], want[2000];
	char h1[DSS_SHA256_HEX], h2[DSS_SHA256_HEX], hex[DSS_SHA256_HEX], got[DSS_SHA256_HEX];
	char dest[600], *path = NULL, *origin = NULL, *s, **urls = NULL;
	size_t n = 0, i;
	int r;

	snprintf(c3, sizeof(c3), "%s/cache3", top);
	snprintf(ma, sizeof(ma), "%s/mirror-a", top);
	snprintf(mb, sizeof(mb), "%s/mirror-b", top);
	snprintf(ua, sizeof(ua), "file://%s", ma);
	snprintf(ub, sizeof(ub), "file://%s", mb);
	snprintf(lockp, sizeof(lockp), "%s/dss.lock.json", c3);
	snprintf(dest, sizeof(dest), "%s/example.org/data/t.txt", c3);
	snprintf(want, sizeof(want), "%s/example.org/data/t.txt", ma);
	write_file(want, "one\n", 4);
	snprintf(want, sizeof(want), "%s/example.org/data/t.txt", mb);
	write_file(want, "two\n", 4);
	hex_of("one\n", h1);
	hex_of("two\n", h2);
	o.cache = c3;

	/* the lock records the origin: the mirrored URL */
	o.mirror = ua;
	r = dss_fetch(&o, EX "t.txt", NULL, &path, &err);
	free(path);
	ok(r == 0 && dss_fetch_lock_get(c3, EX "t.txt", hex, &origin, &err) == 1,
	    "trust: fetched through mirror A and recorded (%s)", r ? err.msg : "ok");
	snprintf(want, sizeof(want), "%s/example.org/data/t.txt", ua);
	is_str(origin, want, "trust: the origin is the mirrored URL");
	is_str(hex, h1, "trust: and the hash is the file's");
	free(origin);
	/* another mirror is not satisfied by mirror A's file */
	o.mirror = ub;
	r = dss_fetch(&o, EX "t.txt", NULL, &path, &err);
	free(path);
	s = read_file(dest, NULL);
	ok(r == 0 && s != NULL && strcmp(s, "two\n") == 0,
	    "trust: mirror B replaces mirror A's file (%s)", r ? err.msg : "ok");
	free(s);
	dss_fetch_lock_get(c3, EX "t.txt", hex, &origin, &err);
	snprintf(want, sizeof(want), "%s/example.org/data/t.txt", ub);
	ok(origin != NULL && strcmp(origin, want) == 0 && strcmp(hex, h2) == 0,
	    "trust: the lock entry now names mirror B and its hash");
	free(origin);
	/* offline: only the same origin, or a pin, will do */
	o.offline = 1;
	o.mirror = NULL;
	r = dss_fetch(&o, EX "t.txt", NULL, &path, &err);
	snprintf(want, sizeof(want), "'%st.txt' is cached from '%s/example.org/data/t.txt', not from "
	    "upstream, and --offline is set", EX, ub);
	ok(r == -1 && err.code == DSS_FETCH_EOFFLINE, "trust: a mirror's file is no hit without it");
	is_str(err.msg, want, "trust: the message names both origins");
	o.mirror = ua;
	r = dss_fetch(&o, EX "t.txt", NULL, &path, &err);
	snprintf(want, sizeof(want), "'%st.txt' is cached from '%s/example.org/data/t.txt', not from "
	    "'%s/example.org/data/t.txt', and --offline is set", EX, ub, ua);
	ok(r == -1, "trust: nor through another mirror");
	is_str(err.msg, want, "trust: the message names both mirrors");
	o.mirror = ub;
	r = dss_fetch(&o, EX "t.txt", NULL, &path, &err);
	free(path);
	ok(r == 0, "trust: a hit through the same mirror (%s)", r ? err.msg : "ok");
	o.mirror = NULL;
	r = dss_fetch(&o, EX "t.txt", h2, &path, &err);
	free(path);
	ok(r == 0, "trust: a pinned file is a hit whatever its origin (%s)", r ? err.msg : "ok");

	/* a lock entry of the older form vouches for nothing, and is migrated */
	snprintf(want, sizeof(want), "{\"%st.txt\": \"%s\", \"%sold.txt\": \"%s\"}\n", EX, h2, EX, h1);
	write_file(lockp, want, strlen(want));
	o.mirror = ub;
	r = dss_fetch(&o, EX "t.txt", NULL, &path, &err);
	snprintf(want, sizeof(want), "'%st.txt' is cached from an unrecorded origin, not from "
	    "'%s/example.org/data/t.txt', and --offline is set", EX, ub);
	ok(r == -1, "trust: an old entry, offline: fails");
	is_str(err.msg, want, "trust: the origin is unrecorded");
	o.offline = 0;
	r = dss_fetch(&o, EX "t.txt", NULL, &path, &err);
	free(path);
	ok(r == 0, "trust: an old entry: fetched again (%s)", r ? err.msg : "ok");
	s = read_file(lockp, NULL);
	snprintf(want, sizeof(want), "{\n  \"%sold.txt\": {\"sha256\":\"%s\"},\n"
	    "  \"%st.txt\": {\"sha256\":\"%s\",\"origin\":\"%s/example.org/data/t.txt\"}\n}\n",
	    EX, h1, EX, h2, ub);
	is_str(s, want, "trust: old entries are written in the new form, without an origin");
	free(s);
	ok(dss_fetch_lock_get(c3, EX "old.txt", hex, &origin, &err) == 1 && origin == NULL &&
	    strcmp(hex, h1) == 0, "trust: an entry without an origin reads as one");

	/* open, then close without commit: nothing enters the cache */
	snprintf(want, sizeof(want), "%s/example.org/new/u.txt", ma);
	write_file(want, "new\n", 4);
	o.mirror = ua;
	r = dss_fetch_open(&o, "https://example.org/new/u.txt", NULL, &f, &err);
	ok(r == 0 && f != NULL && dss_fetched_unvouched(f) == 1,
	    "open: a new unpinned download is unvouched (%s)", r ? err.msg : "ok");
	snprintf(want, sizeof(want), "%s/example.org/new/u.txt.part", c3);
	ok(f != NULL && strcmp(dss_fetched_path(f), want) == 0 && exists(want),
	    "open: it is read at its .part name");
	dss_fetch_close(f);
	f = NULL;
	snprintf(want, sizeof(want), "%s/example.org/new/u.txt.part", c3);
	ok(exists(want), "close without commit: the .part stays, to be resumed");
	snprintf(want, sizeof(want), "%s/example.org/new/u.txt", c3);
	ok(!exists(want), "close without commit: nothing in place");
	ok(dss_fetch_lock_get(c3, "https://example.org/new/u.txt", hex, NULL, &err) == 0,
	    "close without commit: nothing in the lock file");
	r = dss_fetch_open(&o, "https://example.org/new/u.txt", NULL, &f, &err);
	ok(r == 0 && dss_fetched_unvouched(f) == 1,
	    "open again: the .part is taken up and unvouched still (%s)", r ? err.msg : "ok");
	dss_fetch_discard(f);
	dss_fetch_close(f);
	f = NULL;
	snprintf(want, sizeof(want), "%s/example.org/new", c3);
	ok(!exists(want), "discard: the .part and its directories are gone");
	ok(dss_fetch_lock_get(c3, "https://example.org/new/u.txt", hex, NULL, &err) == 0,
	    "discard: nothing in the lock file");
	/* open and commit */
	r = dss_fetch_open(&o, "https://example.org/new/u.txt", NULL, &f, &err);
	ok(r == 0 && dss_fetch_commit(f, &err) == 0, "commit (%s)", err.msg);
	snprintf(want, sizeof(want), "%s/example.org/new/u.txt", c3);
	ok(f != NULL && strcmp(dss_fetched_path(f), want) == 0 && exists(want) &&
	    dss_fetched_unvouched(f) == 0, "commit: the file is in place");
	ok(dss_fetch_commit(f, &err) == 0, "commit twice: a no-op");
	dss_fetch_close(f);
	f = NULL;
	ok(exists(want), "close after commit keeps the file");
	r = dss_fetch_open(&o, "https://example.org/new/u.txt", NULL, &f, &err);
	ok(r == 0 && dss_fetched_unvouched(f) == 0 && strcmp(dss_fetched_path(f), want) == 0,
	    "open: a vouched-for cached file is in place");
	dss_fetch_close(f);
	f = NULL;

	/* --refresh: a new copy replaces the old only when committed */
	snprintf(want, sizeof(want), "%s/example.org/new/u.txt", ma);
	write_file(want, "newer\n", 6);
	o.refresh = 1;
	r = dss_fetch_open(&o, "https://example.org/new/u.txt", NULL, &f, &err);
	ok(r == 0 && dss_fetched_unvouched(f) == 1, "refresh: downloaded again, unvouched");
	dss_fetch_discard(f);
	dss_fetch_close(f);
	f = NULL;
	snprintf(want, sizeof(want), "%s/example.org/new/u.txt", c3);
	s = read_file(want, NULL);
	is_str(s, "new\n", "refresh not committed: the cached file stays");
	free(s);
	r = dss_fetch(&o, "https://example.org/new/u.txt", NULL, &path, &err);
	free(path);
	s = read_file(want, NULL);
	ok(r == 0 && s != NULL && strcmp(s, "newer\n") == 0, "refresh committed: replaced");
	free(s);
	hex_of("newer\n", hex);
	ok(dss_fetch_lock_get(c3, "https://example.org/new/u.txt", got, NULL, &err) == 1 &&
	    strcmp(got, hex) == 0, "refresh committed: the lock entry too");
	r = dss_fetch(&o, "https://example.org/new/u.txt", h1, &path, &err);
	s = read_file(want, NULL);
	ok(r == -1 && err.code == DSS_FETCH_EMISMATCH && s != NULL && strcmp(s, "newer\n") == 0,
	    "refresh against a pin it does not match: the cache stays");
	free(s);
	o.offline = 1;
	r = dss_fetch(&o, "https://example.org/new/u.txt", NULL, &path, &err);
	is_str(err.msg, "cannot refresh 'https://example.org/new/u.txt' with --offline set",
	    "refresh and offline");
	o.offline = o.refresh = 0;

	/* the size limit, on a file:// mirror: counted as it arrives */
	snprintf(want, sizeof(want), "%s/example.org/data/big.txt", ma);
	write_file(want, "0123456789abcdefghij", 20);
	o.max_bytes = 10;
	r = dss_fetch(&o, EX "big.txt", NULL, &path, &err);
	snprintf(want, sizeof(want), "cannot download '%sbig.txt' from '%s/example.org/data/big.txt': "
	    "larger than the limit of 10 bytes", EX, ua);
	ok(r == -1 && err.code == DSS_FETCH_ETOOBIG, "max_bytes: a larger file fails");
	is_str(err.msg, want, "max_bytes: message");
	snprintf(want, sizeof(want), "%s/example.org/data/big.txt.part", c3);
	ok(!exists(want), "max_bytes: no .part left");
	o.max_bytes = 20;
	r = dss_fetch(&o, EX "big.txt", NULL, &path, &err);
	free(path);
	ok(r == 0, "max_bytes: a file of exactly the limit is fine (%s)", r ? err.msg : "ok");
	o.max_bytes = DSS_FETCH_MAX_BYTES;

	/* verify */
	r = dss_fetch_verify(c3, EX "t.txt", NULL, hex, got, &err);
	ok(r == DSS_FETCH_MATCHES && strcmp(hex, h2) == 0 && strcmp(got, h2) == 0,
	    "verify: matches its lock entry");
	r = dss_fetch_verify(c3, EX "t.txt", h1, hex, got, &err);
	ok(r == DSS_FETCH_DIFFERS && strcmp(hex, h1) == 0 && strcmp(got, h2) == 0,
	    "verify: differs from a pin");
	write_file(dest, "TWO\n", 4);
	hex_of("TWO\n", hex);
	r = dss_fetch_verify(c3, EX "t.txt", NULL, want, got, &err);
	ok(r == DSS_FETCH_DIFFERS && strcmp(got, hex) == 0 && strcmp(want, h2) == 0,
	    "verify: a damaged file differs from its lock entry");
	r = dss_fetch_verify(c3, EX "old.txt", NULL, want, got, &err);
	ok(r == DSS_FETCH_ABSENT, "verify: recorded, not cached");
	r = dss_fetch_verify(c3, EX "never.txt", NULL, want, got, &err);
	ok(r == DSS_FETCH_ABSENT, "verify: not recorded");
	ok(dss_fetch_lock_urls(c3, &urls, &n, &err) == 0 && n == 4 &&
	    strcmp(urls[0], EX "big.txt") == 0 && strcmp(urls[1], EX "old.txt") == 0 &&
	    strcmp(urls[2], EX "t.txt") == 0 && strcmp(urls[3], "https://example.org/new/u.txt") == 0,
	    "lock_urls: every URL, sorted");
	for (i = 0; i < n; i++)
		free(urls[i]);
	free(urls);
}

static void
test_progress_format(void)
{
	char buf[200], small[10];
	size_t n;

	dss_progress_format(buf, sizeof(buf), "SVAMP.json", 170000, 339970, 60);
	is_str(buf, "SVAMP.json [#########>         ]  50% 166.0 KiB / 332.0 KiB",
	    "bar at half");
	is_int((long long)strlen(buf), 59, "bar fills width - 1 columns");
	dss_progress_format(buf, sizeof(buf), "SVAMP.json", 339970, 339970, 60);
	ok(strstr(buf, "100% 332.0 KiB / 332.0 KiB") != NULL && strchr(buf, '>') == NULL, "bar full: %s", buf);
	dss_progress_format(buf, sizeof(buf), "anli_v1.0.zip", 5 << 20, -1, 40);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == ' ')
		buf[--n] = '\0';
	is_str(buf, "anli_v1.0.zip 5.0 MiB", "unknown total: just the count");
	dss_progress_format(buf, sizeof(buf), "a-very-long-file-name-that-goes-on-and-on.jsonl", 10, 100, 40);
	ok(strlen(buf) == 39 && strncmp(buf, "a-very-lon...  10% 10 B / 100 B ", 32) == 0, "long name shortened: %s", buf);
	dss_progress_format(buf, sizeof(buf), "x", 999, 1000, 0);
	is_int((long long)strlen(buf), 79, "width < 20 means 80");
	dss_progress_format(small, sizeof(small), "x", 999, 1000, 80);
	ok(strlen(small) <= 9, "never overruns the buffer");
	dss_progress_format(buf, sizeof(buf), "x", 2000, 1000, 60);
	ok(strstr(buf, "100%") != NULL, "now > total is clamped");
}

/* HTTP against tests/servers/mirror.py */

static pid_t server_pid;

static int
server_start(const char *args)
{
	char cmd[2000], line[64];
	int fds[2];
	FILE *fp;

	if (pipe(fds) == -1)
		return -1;
	server_pid = fork();
	if (server_pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		snprintf(cmd, sizeof(cmd), "exec python3 tests/servers/mirror.py --timeout 120 %s '%s'",
		    args, mirror);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	fp = fdopen(fds[0], "r");
	if (fgets(line, sizeof(line), fp) == NULL) {
		fclose(fp);
		return -1;
	}
	fclose(fp);
	return atoi(line);
}

static void
server_stop(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
		server_pid = 0;
	}
}

static char logp[400];

/*
 * Starts tests/servers/mirror.py afresh (the one before stopped), logging
 * to logp (emptied first), with the options opts; writes its URL into url
 * (of n bytes) and returns its port, or -1.
 */
static int
with_server(char *url, size_t n, const char *opts)
{
	char args[1400];
	int port;

	server_stop();
	unlink(logp);
	snprintf(args, sizeof(args), "--log '%s' %s", logp, opts);
	port = server_start(args);
	snprintf(url, n, "http://127.0.0.1:%d", port);
	return port;
}

static int
log_count(const char *needle)
{
	char *s = read_file(logp, NULL), *p;
	int n = 0;

	if (s == NULL)
		return 0;
	for (p = s; (p = strstr(p, needle)) != NULL; p++)
		n++;
	free(s);
	return n;
}

struct prog {
	int calls;
	long long now, total;
};

static void
on_progress(void *arg, const char *name, long long now, long long total)
{
	struct prog *p = arg;

	p->calls++;
	p->now = now;
	p->total = total;
}

static void
test_http(void)
{
	struct dss_fetch_opts o = DSS_FETCH_OPTS_INIT;
	struct dss_err err = DSS_ERR_INIT;
	char args[1000], url[300], hex[DSS_SHA256_HEX], want[1000], c3[400], *path = NULL, *s;
	struct prog prog = { 0, 0, 0 };
	struct dss_buf big = DSS_BUF_INIT;
	size_t len;
	int port, r, i;

	for (i = 0; i < 30000; i++)
		dss_buf_addf(&big, "line %d of the big file\n", i);
	write_file(mpath("h.example.com/big.txt"), big.data, big.len);
	dss_sha256_hex(big.data, big.len, hex);
	snprintf(c3, sizeof(c3), "%s/cache3", top);
	snprintf(logp, sizeof(logp), "%s/server.log", top);
	o.cache = c3;
	o.mirror = murl;
	setenv("DSS_FETCH_BACKOFF_MS", "0", 1);

	/* resume within one call after a cut connection */
	port = with_server(url, sizeof(url), "--truncate /h.example.com/big.txt");
	o.mirror = url;
	o.progress = on_progress;
	o.progress_arg = &prog;
	r = dss_fetch(&o, "https://h.example.com/big.txt", hex, &path, &err);
	ok(r == 0, "http: fetched after a cut transfer (%s)", r ? err.msg : "ok");
	free(path);
	s = read_file(cpath("../cache3/h.example.com/big.txt"), &len);
	ok(s != NULL && len == big.len && memcmp(s, big.data, len) == 0, "content intact");
	free(s);
	snprintf(want, sizeof(want), "GET /h.example.com/big.txt range=bytes=%zu- status=206", big.len / 2);
	is_int(log_count(want), 1, "second request resumes from the cut with Range");
	is_int(log_count("GET "), 2, "two requests in all");
	ok(prog.calls > 0 && prog.now == (long long)big.len && prog.total == (long long)big.len,
	    "progress ends at the full size (%d calls)", prog.calls);
	o.progress = NULL;
	server_stop();

	/* resume across calls */
	unlink(cpath("../cache3/h.example.com/big.txt"));
	port = with_server(url, sizeof(url), "--truncate /h.example.com/big.txt --truncate-all");
	o.retries = 0;
	r = dss_fetch(&o, "https://h.example.com/big.txt", hex, &path, &err);
	ok(r == -1, "cut transfer without retries fails");
	snprintf(want, sizeof(want), "cannot download 'https://h.example.com/big.txt' from '%s/h.example.com/big.txt': ", url);
	ok(strncmp(err.msg, want, strlen(want)) == 0, "message: %s", err.msg);
	ok(!exists(cpath("../cache3/h.example.com/big.txt")), "nothing in place after the failure");
	{
		struct stat st;

		ok(stat(cpath("../cache3/h.example.com/big.txt.part"), &st) == 0 &&
		    st.st_size == (off_t)(big.len / 2), "the .part keeps the half that came");
	}
	server_stop();
	port = with_server(url, sizeof(url), "");
	r = dss_fetch(&o, "https://h.example.com/big.txt", hex, &path, &err);
	ok(r == 0, "next call resumes (%s)", r ? err.msg : "ok");
	free(path);
	snprintf(want, sizeof(want), "GET /h.example.com/big.txt range=bytes=%zu- status=206", big.len / 2);
	is_int(log_count(want), 1, "...with a Range request");
	is_int(log_count("GET "), 1, "...and only that request");
	ok(!exists(cpath("../cache3/h.example.com/big.txt.part")), ".part gone after success");

	/* stale .part bytes: resumed file mismatches, so start over once */
	unlink(cpath("../cache3/h.example.com/big.txt"));
	write_file(cpath("../cache3/h.example.com/big.txt.part"), "garbage garbage", 15);
	unlink(logp);
	r = dss_fetch(&o, "https://h.example.com/big.txt", hex, &path, &err);
	ok(r == 0, "stale .part: recovered by a fresh transfer (%s)", r ? err.msg : "ok");
	free(path);
	is_int(log_count("range=bytes=15- status=206"), 1, "first resumed");
	is_int(log_count("range=- status=200"), 1, "then fetched whole");

	/* 404: no retry */
	o.retries = 3;
	unlink(logp);
	r = dss_fetch(&o, "https://h.example.com/absent.txt", NULL, &path, &err);
	snprintf(want, sizeof(want), "cannot download 'https://h.example.com/absent.txt' from '%s/h.example.com/absent.txt': HTTP 404", url);
	ok(r == -1, "404 fails");
	is_str(err.msg, want, "404 message");
	is_int(log_count("GET "), 1, "404 is not retried");
	ok(!exists(cpath("../cache3/h.example.com/absent.txt.part")), "no .part after 404");
	ok(!exists(cpath("../cache3/h.example.com/absent.txt")), "no file after 404");
	server_stop();

	/* whole transfers against a server's status answers, one server each */
	{
		static const struct {
			const char *what, *opts;
			int retries, fails, n503, n200;
		} cases[] = {
			{ "503 twice, then success", "--fail-first 2", 3, 0, 2, 1 },
			{ "persistent 503 fails after two retries",
			    "--status /h.example.com/big.txt=503", 2, 1, 3, 0 },
		};
		size_t k;

		for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
			unlink(cpath("../cache3/h.example.com/big.txt"));
			with_server(url, sizeof(url), cases[k].opts);
			o.retries = cases[k].retries;
			r = dss_fetch(&o, "https://h.example.com/big.txt", hex, &path,
			    &err);
			if (r == 0)
				free(path);
			ok(cases[k].fails ? r == -1 &&
			    strstr(err.msg, "': HTTP 503") != NULL : r == 0,
			    "%s (%s)", cases[k].what, r ? err.msg : "ok");
			is_int(log_count("status=503"), cases[k].n503, "  503s");
			is_int(log_count("status=200"), cases[k].n200, "  200s");
			server_stop();
		}
	}

	/* which statuses are retried (one server, a path per status) */
	{
		static const struct { int code, retried; } cases[] = {
			{ 408, 1 }, { 429, 1 }, { 500, 1 }, { 502, 1 }, { 504, 1 },
			{ 400, 0 }, { 401, 0 }, { 403, 0 }, { 410, 0 }, { 451, 0 },
		};
		size_t k, at;

		args[0] = '\0';
		for (k = 0, at = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
			at += (size_t)snprintf(args + at, sizeof(args) - at,
			    " --status /h.example.com/s%d.txt=%d", cases[k].code, cases[k].code);
		port = with_server(url, sizeof(url), args);
		o.retries = 1;
		for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
			char u[64], code[64], f[64];

			snprintf(u, sizeof(u), "https://h.example.com/s%d.txt", cases[k].code);
			r = dss_fetch(&o, u, NULL, &path, &err);
			snprintf(code, sizeof(code), "': HTTP %d", cases[k].code);
			snprintf(f, sizeof(f), "status=%d", cases[k].code);
			ok(r == -1 && strstr(err.msg, code) != NULL &&
			    log_count(f) == 1 + cases[k].retried,
			    "HTTP %d is %sretried", cases[k].code, cases[k].retried ? "" : "not ");
		}
		o.retries = 2;
		server_stop();
	}

	/* a server that ignores Range */
	write_file(cpath("../cache3/h.example.com/big.txt.part"), big.data, 1000);
	port = with_server(url, sizeof(url), "--no-range");
	r = dss_fetch(&o, "https://h.example.com/big.txt", hex, &path, &err);
	ok(r == 0, "no-range server: restarts cleanly (%s)", r ? err.msg : "ok");
	free(path);
	s = read_file(cpath("../cache3/h.example.com/big.txt"), &len);
	ok(s != NULL && len == big.len && memcmp(s, big.data, len) == 0, "no-range: content intact");
	free(s);
	is_int(log_count("range=bytes=1000- status=200"), 1, "range asked and ignored");
	is_int(log_count("GET /h.example.com/big.txt range=- status=200"), 1, "then a whole transfer");
	server_stop();

	/* corrupt bytes on the wire: pinned and recorded hashes */
	unlink(cpath("../cache3/h.example.com/big.txt"));
	port = with_server(url, sizeof(url), "--corrupt /h.example.com/big.txt --redirect r");
	r = dss_fetch(&o, "https://h.example.com/big.txt", hex, &path, &err);
	ok(r == -1 && strncmp(err.msg, "checksum mismatch for 'https://h.example.com/big.txt': expected ", 57) == 0,
	    "corrupt download fails: %s", err.msg);
	ok(!exists(cpath("../cache3/h.example.com/big.txt")) && !exists(cpath("../cache3/h.example.com/big.txt.part")),
	    "corrupt download leaves nothing");
	is_int(log_count("GET "), 1, "a mismatch is not retried");

	/* redirects are followed */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/r", port);
	write_file(mpath("h.example.com/small.txt"), "small\n", 6);
	r = dss_fetch(&o, "https://h.example.com/small.txt", NULL, &path, &err);
	ok(r == 0, "redirect followed (%s)", r ? err.msg : "ok");
	free(path);
	is_int(log_count("GET /r/h.example.com/small.txt range=- status=302"), 1, "302 seen");
	server_stop();

	/* nothing listening */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	o.retries = 1;
	r = dss_fetch(&o, "https://h.example.com/other.txt", NULL, &path, &err);
	ok(r == -1 && strstr(err.msg, "'https://h.example.com/other.txt' from 'http://127.0.0.1:") != NULL,
	    "connection refused: %s", err.msg);
	unsetenv("DSS_FETCH_BACKOFF_MS");
	dss_buf_free(&big);
}

/* Runs n children that each call dss_fetch for urls[i]; returns how many succeeded. */
static int
fetch_in_children(const struct dss_fetch_opts *o, const char **urls, int n, const char *sha)
{
	int i, good = 0, st;
	pid_t pids[64];

	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			struct dss_err err = DSS_ERR_INIT;
			char *path = NULL;
			int r = dss_fetch(o, urls[i], sha, &path, &err);

			if (r != 0)
				fprintf(stderr, "# child: %s\n", err.msg);
			_exit(r == 0 ? 0 : 1);
		}
	}
	for (i = 0; i < n; i++)
		if (waitpid(pids[i], &st, 0) == pids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			good++;
	return good;
}

static void
test_http_more(void)
{
	struct dss_fetch_opts o = DSS_FETCH_OPTS_INIT;
	struct dss_err err = DSS_ERR_INIT;
	char url[300], hex[DSS_SHA256_HEX], want[300], c4[400], *path = NULL, *s;
	char names[40][64];
	const char *urls[40];
	struct dss_buf big = DSS_BUF_INIT;
	size_t len;
	int r, i;

	for (i = 0; i < 30000; i++)
		dss_buf_addf(&big, "line %d of the big file\n", i);
	dss_sha256_hex(big.data, big.len, hex);
	snprintf(c4, sizeof(c4), "%s/cache4", top);
	o.cache = c4;
	o.mirror = url;
	setenv("DSS_FETCH_BACKOFF_MS", "0", 1);

	/* a complete .part that was never renamed: the server answers 416 */
	write_file(cpath("../cache4/h.example.com/big.txt.part"), big.data, big.len);
	with_server(url, sizeof(url), "");
	r = dss_fetch(&o, "https://h.example.com/big.txt", hex, &path, &err);
	ok(r == 0, "complete .part: 416 accepted (%s)", r ? err.msg : "ok");
	free(path);
	snprintf(want, sizeof(want), "range=bytes=%zu- status=416", big.len);
	is_int(log_count(want), 1, "one 416");
	is_int(log_count("GET "), 1, "and nothing more");

	/* a .part longer than the file: 416, mismatch, then a fresh transfer */
	unlink(cpath("../cache4/h.example.com/big.txt"));
	write_file(cpath("../cache4/h.example.com/big.txt.part"), big.data, big.len);
	{
		FILE *fp = fopen(cpath("../cache4/h.example.com/big.txt.part"), "ab");

		fputs("trailing junk\n", fp);
		fclose(fp);
	}
	unlink(logp);
	r = dss_fetch(&o, "https://h.example.com/big.txt", hex, &path, &err);
	ok(r == 0, "overlong .part: recovered (%s)", r ? err.msg : "ok");
	free(path);
	is_int(log_count("status=416"), 1, "416 first");
	is_int(log_count("range=- status=200"), 1, "then a whole transfer");
	s = read_file(cpath("../cache4/h.example.com/big.txt"), &len);
	ok(s != NULL && len == big.len && memcmp(s, big.data, len) == 0, "overlong .part: content intact");
	free(s);

	/* a stalled transfer: the low-speed limit gives up, the retry resumes */
	server_stop();
	unlink(cpath("../cache4/h.example.com/big.txt"));
	with_server(url, sizeof(url), "--stall /h.example.com/big.txt");
	o.low_speed_time = 1;
	r = dss_fetch(&o, "https://h.example.com/big.txt", hex, &path, &err);
	ok(r == 0, "stalled transfer: resumed after the low-speed timeout (%s)", r ? err.msg : "ok");
	free(path);
	snprintf(want, sizeof(want), "range=bytes=%zu- status=206", big.len / 2);
	if (!is_int(log_count(want), 1, "stalled transfer: second request resumes with Range")) {
		char *l = read_file(logp, NULL);

		printf("# log:\n%s", l ? l : "");
		free(l);
	}
	o.low_speed_time = 60;
	server_stop();

	/* two processes after one URL: one download, both succeed */
	unlink(cpath("../cache4/h.example.com/big.txt"));
	with_server(url, sizeof(url), "--delay 0.5");
	urls[0] = urls[1] = urls[2] = "https://h.example.com/big.txt";
	is_int(fetch_in_children(&o, urls, 3, hex), 3, "three concurrent fetches of one URL succeed");
	is_int(log_count("GET "), 1, "...with a single download");
	ok(!exists(cpath("../cache4/h.example.com/big.txt.part")), "...and no .part left");
	s = read_file(cpath("../cache4/h.example.com/big.txt"), &len);
	ok(s != NULL && len == big.len && memcmp(s, big.data, len) == 0, "...and the content intact");
	free(s);
	server_stop();

	/* concurrent lock-file updates lose no entry */
	for (i = 0; i < 40; i++) {
		char f[100], body[64];

		snprintf(names[i], sizeof(names[i]), "https://h.example.com/many/f%02d.txt", i);
		snprintf(f, sizeof(f), "h.example.com/many/f%02d.txt", i);
		snprintf(body, sizeof(body), "file %d\n", i);
		write_file(mpath(f), body, strlen(body));
		urls[i] = names[i];
	}
	o.mirror = murl;
	is_int(fetch_in_children(&o, urls, 40, NULL), 40, "40 concurrent unpinned fetches succeed");
	for (i = 0, r = 0; i < 40; i++) {
		char body[64], h[DSS_SHA256_HEX], got[DSS_SHA256_HEX];

		snprintf(body, sizeof(body), "file %d\n", i);
		dss_sha256_hex(body, strlen(body), h);
		if (dss_fetch_lock_get(c4, urls[i], got, NULL, &err) == 1 && strcmp(got, h) == 0)
			r++;
	}
	is_int(r, 40, "the lock file records all 40");

	/* a write error (file size limit) is reported against the .part */
	{
		char msg[DSS_ERR_MAX] = "", mp[400];
		pid_t pid;
		int st;

		snprintf(mp, sizeof(mp), "%s/child.msg", top);
		unlink(cpath("../cache4/h.example.com/big.txt"));
		pid = fork();
		if (pid == 0) {
			struct rlimit rl = { 4096, 4096 };
			char *p2 = NULL;

			signal(SIGXFSZ, SIG_IGN);
			setrlimit(RLIMIT_FSIZE, &rl);
			r = dss_fetch(&o, "https://h.example.com/big.txt", hex, &p2, &err);
			write_file(mp, err.msg, strlen(err.msg));
			_exit(r == 0 ? 0 : 1);
		}
		waitpid(pid, &st, 0);
		s = read_file(mp, NULL);
		snprintf(msg, sizeof(msg), "cannot write '%s/h.example.com/big.txt.part': File too large", c4);
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 1, "write error fails");
		is_str(s, msg, "write error message names the .part");
		free(s);
	}
	unsetenv("DSS_FETCH_BACKOFF_MS");
	dss_buf_free(&big);
}

/* The memo of verified counts: get, put, replace, the bound, bad keys, a bad file. */
static void
test_memo(void)
{
	struct dss_err err = DSS_ERR_INIT;
	char c4[400], path[500], key[DSS_SHA256_HEX], first[DSS_SHA256_HEX];
	long long v = -7;
	char *text;
	int i, ok_all = 1;

	snprintf(c4, sizeof(c4), "%s/cache4", top);
	mkdir(c4, 0777);
	snprintf(path, sizeof(path), "%s/dss.counts.json", c4);
	memset(key, 'a', 64);
	key[64] = '\0';
	is_int(dss_fetch_memo_get(c4, key, &v), 0, "memo: nothing recorded yet");
	is_int(v, -7, "memo: the value is left alone when absent");
	is_int(dss_fetch_memo_put(c4, key, 549367, &err), 0, "memo: a count is recorded");
	ok(dss_fetch_memo_get(c4, key, &v) == 1 && v == 549367, "memo: and read back");
	text = read_file(path, NULL);
	is_str(text, "{\n  \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": 549367\n}\n",
	    "memo: one key -> count per line");
	free(text);
	is_int(dss_fetch_memo_put(c4, key, 53, &err), 0, "memo: a count replaced");
	ok(dss_fetch_memo_get(c4, key, &v) == 1 && v == 53, "memo: the new count is read");
	is_int(dss_fetch_memo_put(c4, "not-a-key", 1, &err), -1, "memo: a bad key is refused");
	is_str(err.msg, "invalid memo key 'not-a-key'", "memo: bad key message");
	memcpy(first, key, sizeof key);
	for (i = 0; i < DSS_FETCH_MEMO_MAX + 10; i++) {
		snprintf(key, sizeof key, "%064x", i + 1);
		if (dss_fetch_memo_put(c4, key, i, &err) != 0)
			ok_all = 0;
	}
	ok(ok_all, "memo: %d more counts recorded", DSS_FETCH_MEMO_MAX + 10);
	is_int(dss_fetch_memo_get(c4, first, &v), 0, "memo: the oldest go past the limit");
	snprintf(key, sizeof key, "%064x", 10);
	is_int(dss_fetch_memo_get(c4, key, &v), 0, "memo: ...in the order they were put");
	snprintf(key, sizeof key, "%064x", DSS_FETCH_MEMO_MAX + 10);
	ok(dss_fetch_memo_get(c4, key, &v) == 1 && v == DSS_FETCH_MEMO_MAX + 9,
	    "memo: the newest stay");
	write_file(path, "[not json", strlen("[not json"));
	is_int(dss_fetch_memo_get(c4, key, &v), 0, "memo: an unreadable memo holds nothing");
	ok(dss_fetch_memo_put(c4, key, 5, &err) == 0 &&
	    dss_fetch_memo_get(c4, key, &v) == 1 && v == 5,
	    "memo: and is written anew by the next put");
}

int
main(void)
{
	char cmd[400];

	static const char *proxies[] = { "http_proxy", "https_proxy", "HTTP_PROXY",
		"HTTPS_PROXY", "ALL_PROXY", "all_proxy" };
	size_t i;

	/* loopback only, never through a proxy */
	for (i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
		unsetenv(proxies[i]);
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(top) == NULL)
		return 1;
	snprintf(cache, sizeof(cache), "%s/cache", top);
	snprintf(mirror, sizeof(mirror), "%s/mirror", top);
	snprintf(murl, sizeof(murl), "file://%s/", mirror);
	test_source_url();
	test_cache_path();
	test_cache_dir();
	test_file_mirror();
	test_lock_errors();
	test_memo();
	test_trust();
	test_progress_format();
	test_http();
	server_stop();
	test_http_more();
	server_stop();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		return 1;
	return done();
}
