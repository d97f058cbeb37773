/* SPDX-License-Identifier: MIT */
/*
 * The download cache of dss-fetch.  A URL is mapped to a sanitized path
 * under the cache, fetched with libcurl (optionally through a mirror) into
 * a .part file that is locked against concurrent writers, resumed with a
 * byte range after an interruption, retried with exponential backoff and
 * jitter on transient failures, held to a size limit and a deadline,
 * verified against a pinned SHA-256 or the hash the cache's lock file
 * records for the same origin, and only then fsynced and renamed into
 * place; a download nothing vouches for waits at its .part name until the
 * caller has read it and commits it.  Every failure leaves the cache as
 * it was.
 */
/* For sync_file_range, on the systems that have it. */
#ifdef __linux__
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "buf.h"
#include "clock.h"
#include "fetch.h"
#include "file.h"
#include "retry.h"
#include "sha256.h"

#define LOCK_NAME "dss.lock.json"
#define MEMO_NAME "dss.counts.json"
#define LOCK_MAX ((size_t)16 << 20)
#define PATH_LIMIT 4000
#define COMPONENT_LIMIT 255
#define RETRY_AFTER_MAX 300	/* seconds: a longer Retry-After is cut to this */
#define BACKOFF_MAX 60		/* seconds: the longest backoff */
#define MKDIR_MAX 64
#define PROGRESS_MS 200	/* at most five progress reports a second */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void
curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *
xstrdup(const char *s, struct dss_err *err)
{
	char *p = strdup(s);

	if (p == NULL)
		dss_err_set(err, "out of memory");
	return p;
}

char *
dss_fetch_cache_dir(void)
{
	struct dss_buf b = DSS_BUF_INIT;
	const char *e;
	struct passwd *pw;

	if ((e = getenv("DSS_CACHE")) != NULL && *e != '\0')
		return strdup(e);
	if ((e = getenv("XDG_CACHE_HOME")) != NULL && *e != '\0')
		dss_buf_addf(&b, "%s/dss", e);
	else if ((e = getenv("HOME")) != NULL && *e != '\0')
		dss_buf_addf(&b, "%s/.cache/dss", e);
	else if ((pw = getpwuid(getuid())) != NULL && pw->pw_dir != NULL)
		dss_buf_addf(&b, "%s/.cache/dss", pw->pw_dir);
	if (b.len == 0)
		return NULL;
	return dss_buf_detach(&b, NULL);
}

/* Returns the part of url after "SCHEME://", or NULL when the scheme is not ours. */
static const char *
after_scheme(const char *url)
{
	static const char *schemes[] = { "https://", "http://", "file://" };
	size_t i, n;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		n = strlen(schemes[i]);
		if (strncmp(url, schemes[i], n) == 0)
			return url + n;
	}
	return NULL;
}

static int
safe_char(int c, int host)
{
	if (isascii(c) && isalnum(c))
		return 1;
	if (host)
		return c == '.' || c == '-' || c == '_' || c == ':';
	return c != '\0' && strchr("._~+=,@-", c) != NULL;
}

/* Checks one component of the cache path; host says it is the first. */
static int
check_component(const char *url, const char *s, size_t n, int host, struct dss_err *err)
{
	size_t i;

	if (n == 0)
		return dss_err_set(err, "cannot cache '%s': empty %s", url,
		    host ? "host" : "path component");
	if (n > COMPONENT_LIMIT)
		return dss_err_set(err, "cannot cache '%s': path component too long", url);
	if (s[0] == '.')
		return dss_err_set(err, "cannot cache '%s': component '%.*s' starts with '.'",
		    url, (int)n, s);
	for (i = 0; i < n; i++)
		if (!safe_char((unsigned char)s[i], host))
			return dss_err_set(err, "cannot cache '%s': character '%c' is not allowed",
			    url, isprint((unsigned char)s[i]) ? s[i] : '?');
	if (n >= 5 && memcmp(s + n - 5, ".part", 5) == 0)
		return dss_err_set(err, "cannot cache '%s': component '%.*s' ends in '.part'",
		    url, (int)n, s);
	return 0;
}

char *
dss_fetch_cache_path(const char *cache, const char *url, struct dss_err *err)
{
	struct dss_buf b = DSS_BUF_INIT;
	const char *rest, *s, *slash;
	char *ret = NULL;
	int host = 1, files = 0;

	for (s = url; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			dss_err_set(err, "cannot cache '%.*s...': control character in the URL",
			    (int)(s - url), url);
			return NULL;
		}
	rest = after_scheme(url);
	if (rest == NULL) {
		dss_err_set(err, "cannot cache '%s': not an http, https or file URL", url);
		return NULL;
	}
	if (strlen(url) > PATH_LIMIT) {
		dss_err_set(err, "cannot cache '%.64s...': URL too long", url);
		return NULL;
	}
	dss_buf_adds(&b, cache);
	while (b.len > 1 && b.data[b.len - 1] == '/')
		dss_buf_truncate(&b, b.len - 1);
	for (s = rest;; s = slash + 1) {
		size_t n;

		slash = strchr(s, '/');
		n = slash != NULL ? (size_t)(slash - s) : strlen(s);
		if (check_component(url, s, n, host, err) == -1)
			goto out;
		if (dss_buf_addch(&b, '/') == -1 || dss_buf_add(&b, s, n) == -1) {
			dss_err_set(err, "out of memory");
			goto out;
		}
		if (!host)
			files++;
		host = 0;
		if (slash == NULL)
			break;
	}
	if (files == 0) {
		dss_err_set(err, "cannot cache '%s': no file name in the URL", url);
		goto out;
	}
	ret = dss_buf_detach(&b, NULL);
	if (ret == NULL)
		dss_err_set(err, "out of memory");
out:
	dss_buf_free(&b);
	return ret;
}

char *
dss_fetch_source_url(const char *mirror, const char *url, struct dss_err *err)
{
	struct dss_buf b = DSS_BUF_INIT;
	const char *rest;
	size_t n;

	rest = after_scheme(url);
	if (rest == NULL) {
		dss_err_set(err, "cannot fetch '%s': not an http, https or file URL", url);
		return NULL;
	}
	if (mirror == NULL || *mirror == '\0')
		return xstrdup(url, err);
	if (mirror[0] == '/')
		dss_buf_adds(&b, "file://");
	else if (after_scheme(mirror) == NULL) {
		dss_err_set(err, "invalid mirror '%s': not an http://, https:// or file:// URL "
		    "or an absolute path", mirror);
		return NULL;
	}
	n = strlen(mirror);
	while (n > 0 && mirror[n - 1] == '/')
		n--;
	dss_buf_add(&b, mirror, n);
	dss_buf_addch(&b, '/');
	if (dss_buf_adds(&b, rest) == -1) {
		dss_buf_free(&b);
		dss_err_set(err, "out of memory");
		return NULL;
	}
	return dss_buf_detach(&b, NULL);
}

/* Lowercases a 64-hex-digit string into out; -1 when it is not one. */
static int
parse_hex(const char *s, char out[DSS_SHA256_HEX])
{
	int i;

	for (i = 0; i < 64; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -1;
		out[i] = (char)tolower((unsigned char)s[i]);
	}
	if (s[64] != '\0')
		return -1;
	out[64] = '\0';
	return 0;
}

static char *
join_path(const char *dir, const char *name)
{
	struct dss_buf b = DSS_BUF_INIT;

	if (dss_buf_addf(&b, "%s/%s", dir, name) == -1)
		return NULL;
	return dss_buf_detach(&b, NULL);
}

/* Reads the lock file of cache into *out (an object; empty when absent). */
static int
lock_read(const char *cache, cJSON **out, struct dss_err *err)
{
	struct dss_buf b = DSS_BUF_INIT;
	char *path = join_path(cache, LOCK_NAME);
	char tmp[8192];
	FILE *fp = NULL;
	size_t n;
	int ret = -1;

	*out = NULL;
	if (path == NULL)
		return dss_err_set(err, "out of memory");
	b.max = LOCK_MAX;
	fp = fopen(path, "rb");
	if (fp == NULL) {
		if (errno != ENOENT) {
			dss_err_errno(err, errno, "cannot open '%s'", path);
			goto out;
		}
		*out = cJSON_CreateObject();
		ret = *out != NULL ? 0 : dss_err_set(err, "out of memory");
		goto out;
	}
	while ((n = fread(tmp, 1, sizeof(tmp), fp)) > 0)
		if (dss_buf_add(&b, tmp, n) == -1) {
			dss_err_set(err, "cannot read '%s': file too large", path);
			goto out;
		}
	if (ferror(fp)) {
		dss_err_errno(err, errno, "cannot read '%s'", path);
		goto out;
	}
	*out = cJSON_ParseWithLength(b.data, b.len);
	if (*out == NULL || !cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		dss_err_set(err, "cannot parse lock file '%s': not a JSON object", path);
		goto out;
	}
	ret = 0;
out:
	if (fp != NULL)
		fclose(fp);
	dss_buf_free(&b);
	free(path);
	return ret;
}

/*
 * The entry for url in lock: 1 with out (its hash) and *origin (malloc'd,
 * NULL when not recorded) filled, 0 when there is none.
 */
static int
lock_lookup(const char *cache, const cJSON *lock, const char *url,
    char out[DSS_SHA256_HEX], char **origin, struct dss_err *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(lock, url), *h, *o;

	if (origin != NULL)
		*origin = NULL;
	if (it == NULL)
		return 0;
	h = cJSON_IsObject(it) ? cJSON_GetObjectItemCaseSensitive(it, "sha256") : it;
	o = cJSON_IsObject(it) ? cJSON_GetObjectItemCaseSensitive(it, "origin") : NULL;
	if (!cJSON_IsString(h) || parse_hex(h->valuestring, out) == -1)
		return dss_err_set(err, "lock file '%s/%s': entry for '%s' is not a SHA-256",
		    cache, LOCK_NAME, url);
	if (o != NULL && !cJSON_IsString(o))
		return dss_err_set(err, "lock file '%s/%s': origin of '%s' is not a string",
		    cache, LOCK_NAME, url);
	if (o != NULL && origin != NULL && (*origin = strdup(o->valuestring)) == NULL)
		return dss_err_set(err, "out of memory");
	return 1;
}

int
dss_fetch_lock_get(const char *cache, const char *url, char out[65], char **origin,
    struct dss_err *err)
{
	cJSON *lock;
	int r;

	if (origin != NULL)
		*origin = NULL;
	if (lock_read(cache, &lock, err) == -1)
		return -1;
	r = lock_lookup(cache, lock, url, out, origin, err);
	cJSON_Delete(lock);
	return r;
}

static int
cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1)
		return -1;
	fsync(fd);
	close(fd);
	return 0;
}

/* Ends the JSON object in b and puts it in place of path, atomically. */
static int
object_close_replace(const char *path, struct dss_buf *b, struct dss_err *err)
{
	if (dss_buf_adds(b, "}\n") == -1)
		return dss_err_set(err, "out of memory");
	return dss_file_replace(path, b->data, b->len, err);
}

/* Writes lock as sorted "url": "hex" lines, replacing the file atomically. */
static int
lock_write(const char *cache, cJSON *lock, struct dss_err *err)
{
	struct dss_buf b = DSS_BUF_INIT;
	char *path = join_path(cache, LOCK_NAME);
	const char **keys = NULL;
	cJSON *it;
	size_t n = 0, i;
	int ret = -1;

	if (path == NULL)
		return dss_err_set(err, "out of memory");
	for (it = lock->child; it != NULL; it = it->next)
		n++;
	keys = calloc(n + 1, sizeof(*keys));
	if (keys == NULL) {
		dss_err_set(err, "out of memory");
		goto out;
	}
	n = 0;
	for (it = lock->child; it != NULL; it = it->next)
		keys[n++] = it->string;
	qsort(keys, n, sizeof(*keys), cmp_keys);
	dss_buf_adds(&b, "{\n");
	for (i = 0; i < n; i++) {
		cJSON *k = cJSON_CreateString(keys[i]);
		char *ks = k != NULL ? cJSON_PrintUnformatted(k) : NULL;
		char *vs = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(lock, keys[i]));

		if (ks != NULL && vs != NULL)
			dss_buf_addf(&b, "  %s: %s%s\n", ks, vs, i + 1 < n ? "," : "");
		cJSON_Delete(k);
		free(ks);
		if (ks == NULL || vs == NULL) {
			free(vs);
			dss_err_set(err, "out of memory");
			goto out;
		}
		free(vs);
	}
	ret = object_close_replace(path, &b, err);
out:
	free(keys);
	free(path);
	dss_buf_free(&b);
	return ret;
}

/* Rewrites entries of the older form, URL -> HEX, as {"sha256": HEX}: origin unknown. */
static int
lock_migrate(cJSON *lock)
{
	char hex[DSS_SHA256_HEX];
	cJSON *it, *o;

	for (it = lock->child; it != NULL; it = it->next) {
		if (!cJSON_IsString(it) || parse_hex(it->valuestring, hex) == -1)
			continue;
		if ((o = cJSON_CreateObject()) == NULL ||
		    cJSON_AddStringToObject(o, "sha256", hex) == NULL) {
			cJSON_Delete(o);
			return -1;
		}
		/* takes o, with a copy of the key; it is freed, so go on from o */
		if (!cJSON_ReplaceItemInObjectCaseSensitive(lock, it->string, o))
			return -1;
		it = o;
	}
	return 0;
}

/*
 * Opens the cache directory and takes an exclusive flock on it, so that
 * concurrent fetches do not lose each other's updates.  Returns the
 * descriptor (closing it drops the lock), or -1 with err set.
 */
static int
lock_dir(const char *cache, struct dss_err *err)
{
	int dfd = open(cache, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd == -1)
		return dss_err_errno(err, errno, "cannot open '%s'", cache);
	while (flock(dfd, LOCK_EX) == -1)
		if (errno != EINTR) {
			dss_err_errno(err, errno, "cannot lock '%s'", cache);
			close(dfd);
			return -1;
		}
	return dfd;
}

/*
 * Records url -> {hex, origin} in the lock file.  Holds an exclusive flock
 * on the cache directory while it reads, updates and replaces the file, so
 * that concurrent fetches do not lose each other's entries.
 */
static int
lock_put(const char *cache, const char *url, const char *hex, const char *origin,
    struct dss_err *err)
{
	cJSON *lock = NULL, *v;
	int dfd, ret = -1;

	if ((dfd = lock_dir(cache, err)) == -1)
		return -1;
	if (lock_read(cache, &lock, err) == -1)
		goto out;
	v = cJSON_CreateObject();
	if (v == NULL || cJSON_AddStringToObject(v, "sha256", hex) == NULL ||
	    cJSON_AddStringToObject(v, "origin", origin) == NULL || lock_migrate(lock) == -1) {
		cJSON_Delete(v);
		dss_err_set(err, "out of memory");
		goto out;
	}
	if (cJSON_GetObjectItemCaseSensitive(lock, url) != NULL)
		cJSON_ReplaceItemInObjectCaseSensitive(lock, url, v);	/* takes v */
	else
		cJSON_AddItemToObject(lock, url, v);	/* takes v */
	ret = lock_write(cache, lock, err);
out:
	cJSON_Delete(lock);
	close(dfd);	/* releases the flock */
	return ret;
}

/* Reads the memo of cache: an object, empty when absent or unreadable. */
static cJSON *
memo_read(const char *cache)
{
	struct dss_buf b = DSS_BUF_INIT;
	char *path = join_path(cache, MEMO_NAME), tmp[8192];
	cJSON *memo = NULL;
	FILE *fp;
	size_t n;

	b.max = LOCK_MAX;
	if (path != NULL && (fp = fopen(path, "rb")) != NULL) {
		while ((n = fread(tmp, 1, sizeof(tmp), fp)) > 0)
			if (dss_buf_add(&b, tmp, n) == -1)
				break;
		if (!ferror(fp) && !feof(fp))
			b.len = 0;	/* too large: start again */
		if (!ferror(fp) && b.len > 0)
			memo = cJSON_ParseWithLength(b.data, b.len);
		fclose(fp);
	}
	free(path);
	dss_buf_free(&b);
	if (!cJSON_IsObject(memo)) {
		cJSON_Delete(memo);
		memo = cJSON_CreateObject();
	}
	return memo;
}

int
dss_fetch_memo_get(const char *cache, const char *key, long long *value)
{
	cJSON *memo = memo_read(cache);
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(memo, key);
	int found = cJSON_IsNumber(it) && it->valuedouble >= 0 &&
	    it->valuedouble <= 9.0e15;

	if (found)
		*value = (long long)it->valuedouble;
	cJSON_Delete(memo);
	return found;
}

/* Writes memo to MEMO_NAME in cache, replacing the file atomically. */
static int
memo_write(const char *cache, const cJSON *memo, struct dss_err *err)
{
	struct dss_buf b = DSS_BUF_INIT;
	char *path = join_path(cache, MEMO_NAME);
	const cJSON *it;
	int ret = -1;

	if (path == NULL || dss_buf_adds(&b, "{\n") == -1) {
		dss_err_set(err, "out of memory");
		goto out;
	}
	for (it = memo->child; it != NULL; it = it->next)
		if (dss_buf_addf(&b, "  \"%s\": %lld%s\n", it->string,
		    (long long)it->valuedouble, it->next != NULL ? "," : "") == -1) {
			dss_err_set(err, "out of memory");
			goto out;
		}
	ret = object_close_replace(path, &b, err);
out:
	free(path);
	dss_buf_free(&b);
	return ret;
}

/* A key of 64 lowercase hex digits. */
static int
memo_key_ok(const char *key)
{
	char hex[DSS_SHA256_HEX];

	return parse_hex(key, hex) == 0 && strcmp(hex, key) == 0;
}

int
dss_fetch_memo_put(const char *cache, const char *key, long long value,
    struct dss_err *err)
{
	cJSON *memo = NULL, *it, *v;
	int dfd, ret = -1, n = 0;

	if (!memo_key_ok(key))
		return dss_err_set(err, "invalid memo key '%s'", key);
	if ((dfd = lock_dir(cache, err)) == -1)
		return -1;
	if ((memo = memo_read(cache)) == NULL) {
		dss_err_set(err, "out of memory");
		goto out;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(memo, key);
	/* Entries that are not key -> count, and the oldest past the limit, go. */
	for (it = memo->child; it != NULL; ) {
		cJSON *next = it->next;

		if (!cJSON_IsNumber(it) || !memo_key_ok(it->string))
			cJSON_Delete(cJSON_DetachItemViaPointer(memo, it));
		else
			n++;
		it = next;
	}
	for (; n >= DSS_FETCH_MEMO_MAX && memo->child != NULL; n--)
		cJSON_Delete(cJSON_DetachItemViaPointer(memo, memo->child));
	if ((v = cJSON_CreateNumber((double)value)) == NULL) {
		dss_err_set(err, "out of memory");
		goto out;
	}
	cJSON_AddItemToObject(memo, key, v);	/* takes v */
	ret = memo_write(cache, memo, err);
out:
	cJSON_Delete(memo);
	close(dfd);	/* releases the flock */
	return ret;
}

int
dss_fetch_lock_urls(const char *cache, char ***urls, size_t *n, struct dss_err *err)
{
	cJSON *lock, *it;
	char **v = NULL;
	size_t k = 0, cap = 0;
	int ret = -1;

	*urls = NULL;
	*n = 0;
	if (lock_read(cache, &lock, err) == -1)
		return -1;
	for (it = lock->child; it != NULL; it = it->next)
		cap++;
	if ((v = calloc(cap + 1, sizeof *v)) == NULL) {
		dss_err_set(err, "out of memory");
		goto out;
	}
	for (it = lock->child; it != NULL; it = it->next)
		if ((v[k++] = strdup(it->string)) == NULL) {
			dss_err_set(err, "out of memory");
			goto out;
		}
	qsort(v, k, sizeof *v, cmp_keys);
	*urls = v;
	*n = k;
	v = NULL;
	ret = 0;
out:
	if (v != NULL)
		while (k > 0)
			free(v[--k]);
	free(v);
	cJSON_Delete(lock);
	return ret;
}

/*
 * Creates the directories of path's parent.  The ones it had to create are
 * recorded in made (deepest last) so that a failure can remove them again.
 */
struct made_dirs {
	char *dir[MKDIR_MAX];
	int n;
};

static int
mkdirs(const char *path, size_t from, struct made_dirs *made, struct dss_err *err)
{
	struct stat st;
	char *p = strdup(path), *s, c;
	int ret = -1;

	if (p == NULL)
		return dss_err_set(err, "out of memory");
	s = strrchr(p, '/');
	if (s == NULL || s == p) {
		ret = 0;
		goto out;
	}
	*s = '\0';
	for (s = p + from;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		c = *s;
		*s = '\0';
		if (mkdir(p, 0777) == 0) {
			if (made->n < MKDIR_MAX)
				made->dir[made->n++] = strdup(p);
		} else if (errno != EEXIST) {
			dss_err_errno(err, errno, "cannot create '%s'", p);
			goto out;
		} else if (stat(p, &st) == -1 || !S_ISDIR(st.st_mode)) {
			dss_err_errno(err, ENOTDIR, "cannot create '%s'", p);
			goto out;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	ret = 0;
out:
	free(p);
	return ret;
}

static void
made_undo(struct made_dirs *made)
{
	while (made->n > 0) {
		char *d = made->dir[--made->n];

		if (d != NULL)
			rmdir(d);	/* fails harmlessly when someone else filled it */
		free(d);
	}
}

static void
made_free(struct made_dirs *made)
{
	while (made->n > 0)
		free(made->dir[--made->n]);
}

/* One transfer's state, shared with the libcurl callbacks. */
struct xfer {
	const struct dss_fetch_opts *o;
	const char *name;	/* for the progress callback */
	const char *part;	/* the file behind fd, for messages */
	int fd;
	long long offset;	/* bytes already in the .part file */
	long status;		/* of the last response, 0 before one (and for file://) */
	double retry_after;	/* seconds from Retry-After, -1 when absent */
	long long received;	/* bytes of this transfer's body so far */
	long long announced;	/* its Content-Length when it was too large, else -1 */
	int too_big;		/* the file would pass o->max_bytes */
	int write_errno;
	long long last_ms;	/* when progress was last reported */
	long long deadline_ms;	/* now_ms() by which the file must be done; 0: none */
	size_t wlen;		/* bytes waiting in wbuf */
	/*
	 * The SHA-256 of the .part file's bytes [0, hashed), taken as they
	 * arrive, so that a finished download is not read again to be
	 * hashed; NULL when it could not be kept (the file is then hashed
	 * after the transfer).
	 */
	struct dss_sha256 *sha;
	long long hashed;
	char wbuf[256 * 1024];	/* libcurl hands over 16 KiB at a time */
};

static long long
now_ms(void)
{
	return (long long)(dss_clock_now() * 1000);
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	char line[256];

	if (len >= sizeof(line))
		return len;
	memcpy(line, p, len);
	line[len] = '\0';
	if (strncmp(line, "HTTP/", 5) == 0) {
		const char *sp = strchr(line, ' ');

		x->status = sp != NULL ? strtol(sp + 1, NULL, 10) : 0;
		x->retry_after = -1;
	} else if (strncasecmp(line, "content-length:", 15) == 0 &&
	    (x->status == 200 || x->status == 206) && x->o->max_bytes > 0) {
		char *end;
		long long n = strtoll(line + 15, &end, 10);

		if (end != line + 15 && n > x->o->max_bytes - x->offset) {
			x->too_big = 1;
			x->announced = n;
			return 0;	/* stops the transfer before its body */
		}
	} else if (strncasecmp(line, "retry-after:", 12) == 0) {
		char *v = line + 12;
		double s;

		v[strcspn(v, "\r\n")] = '\0';
		if (dss_retry_after(v, time(NULL), &s) == 0)
			x->retry_after = s;
	}
	return len;
}

static int
good_status(long status)
{
	return status == 0 || status == 200 || status == 206;
}

/* Writes len bytes at p to the .part file.  Returns -1 with write_errno. */
static int
write_all(struct xfer *x, const char *p, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t w = write(x->fd, p + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			x->write_errno = errno;
			return -1;
		}
		done += (size_t)w;
	}
	return 0;
}

/* Writes out what waits in wbuf; called before the file is looked at. */
static int
flush_write(struct xfer *x)
{
	size_t n = x->wlen;

	x->wlen = 0;
	return write_all(x, x->wbuf, n);
}

static size_t
on_write(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;

	if (!good_status(x->status))
		return len;	/* an error page: drop it */
	if (x->o->max_bytes > 0 &&
	    (long long)len > x->o->max_bytes - x->offset - x->received) {
		x->too_big = 1;
		return 0;
	}
	x->received += (long long)len;
	if (x->sha != NULL) {
		dss_sha256_update(x->sha, p, len);
		x->hashed += (long long)len;
	}
	if (x->wlen + len > sizeof(x->wbuf) && flush_write(x) == -1)
		return 0;
	if (len >= sizeof(x->wbuf))
		return write_all(x, p, len) == -1 ? 0 : len;
	memcpy(x->wbuf + x->wlen, p, len);
	x->wlen += len;
	return len;
}

static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = arg;
	long long t;

	if (!good_status(x->status) || (dlnow <= 0 && dltotal <= 0))
		return 0;
	t = now_ms();
	if (t - x->last_ms < PROGRESS_MS)
		return 0;
	x->last_ms = t;
	x->o->progress(x->o->progress_arg, x->name, x->offset + (long long)dlnow,
	    dltotal > 0 ? x->offset + (long long)dltotal : -1);
	return 0;
}

enum outcome { DONE, TRANSIENT, PERMANENT, NO_RANGE, TOO_BIG, LATE };

static void
describe(struct dss_err *err, const char *url, const char *src, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
describe(struct dss_err *err, const char *url, const char *src, const char *fmt, ...)
{
	char what[DSS_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (strcmp(url, src) == 0)
		dss_err_set(err, "cannot download '%s': %s", url, what);
	else
		dss_err_set(err, "cannot download '%s' from '%s': %s", url, src, what);
}

static int
transient_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* One attempt at appending src to the file open at x->fd. */
static enum outcome
transfer(struct xfer *x, const char *url, const char *src, struct dss_err *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	enum outcome res = PERMANENT;
	CURLcode rc;
	CURL *h;

	x->status = 0;
	x->retry_after = -1;
	x->write_errno = 0;
	x->received = 0;
	x->announced = -1;
	x->too_big = 0;
	if (x->deadline_ms > 0 && now_ms() >= x->deadline_ms)
		return LATE;
	h = curl_easy_init();
	if (h == NULL) {
		dss_err_set(err, "cannot download '%s': cannot start libcurl", url);
		return PERMANENT;
	}
	curl_easy_setopt(h, CURLOPT_URL, src);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS | CURLPROTO_FILE));
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "dss-fetch/1");
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	if (x->o->connect_timeout > 0)
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, x->o->connect_timeout);
	if (x->o->low_speed_time > 0) {
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, x->o->low_speed_time);
	}
	if (x->deadline_ms > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(x->deadline_ms - now_ms()));
	if (x->offset > 0)
		curl_easy_setopt(h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)x->offset);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	/* Large datasets: 512 KiB writes instead of 16 KiB ones. */
	curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
	if (x->o->progress != NULL) {
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	}
	rc = curl_easy_perform(h);
	if (flush_write(x) == -1 && rc == CURLE_OK)
		rc = CURLE_WRITE_ERROR;
	if (x->too_big) {
		res = TOO_BIG;
	} else if (x->status >= 400 && !(x->status == 416 && x->offset > 0)) {
		long s = x->status;

		describe(err, url, src, "HTTP %ld", s);
		res = dss_retry_status(s) ? TRANSIENT : PERMANENT;
	} else if (rc == CURLE_RANGE_ERROR && x->offset > 0) {
		res = NO_RANGE;
	} else if (rc == CURLE_WRITE_ERROR && x->write_errno != 0) {
		dss_err_errno(err, x->write_errno, "cannot write '%s'", x->part);
	} else if (rc == CURLE_OPERATION_TIMEDOUT && x->deadline_ms > 0 &&
	    now_ms() >= x->deadline_ms) {
		res = LATE;
	} else if (rc != CURLE_OK) {
		describe(err, url, src, "%s", errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
		res = transient_curl(rc) ? TRANSIENT : PERMANENT;
	} else if (x->status != 0 && (x->status < 200 || x->status >= 300) && x->status != 416) {
		describe(err, url, src, "HTTP %ld", x->status);
	} else {
		res = DONE;
	}
	curl_easy_cleanup(h);
	return res;
}

/* The first backoff in seconds: 1, or DSS_FETCH_BACKOFF_MS / 1000. */
static double
backoff_base(void)
{
	const char *e = getenv("DSS_FETCH_BACKOFF_MS");
	char *end;
	long v;

	if (e == NULL || *e == '\0')
		return 1;
	v = strtol(e, &end, 10);
	return *end == '\0' && v >= 0 && v <= BACKOFF_MAX * 1000 ? v / 1000.0 : 1;
}

/* Size of the open file fd, or -1. */
static long long
fd_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? (long long)st.st_size : -1;
}

static int
restart_part(int fd)
{
	if (ftruncate(fd, 0) == -1 || lseek(fd, 0, SEEK_SET) == -1)
		return -1;
	return 0;
}

static int
set_code(struct dss_err *err, int code)
{
	if (err != NULL)
		err->code = code;
	return -1;
}

/* Drops x's running hash. */
static void
hash_drop(struct xfer *x)
{
	char dummy[DSS_SHA256_HEX];

	if (x->sha != NULL)
		dss_sha256_final(x->sha, dummy);
	x->sha = NULL;
	x->hashed = 0;
}

/*
 * Makes x's running hash cover the first len bytes of the .part file (a
 * resumed transfer appends to them), reading them only when it does not
 * already.  Without memory or on a read error the hash is dropped: the
 * file is then hashed whole after the transfer, as the last resort.
 */
static void
hash_prefix(struct xfer *x, long long len)
{
	char buf[65536];
	long long at = 0;
	ssize_t n;

	if (x->sha != NULL && x->hashed == len)
		return;
	hash_drop(x);
	if ((x->sha = dss_sha256_new()) == NULL)
		return;
	while (at < len) {
		size_t want = len - at < (long long)sizeof(buf) ?
		    (size_t)(len - at) : sizeof(buf);

		n = pread(x->fd, buf, want, (off_t)at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			hash_drop(x);
			return;
		}
		dss_sha256_update(x->sha, buf, (size_t)n);
		at += n;
	}
	x->hashed = len;
}

/*
 * Downloads src into the .part file open at fd, resuming from its current
 * size.  With fresh set, starts from zero whatever is there.  On success
 * got holds the SHA-256 of the whole file, hashed as it arrived (empty
 * when it could not be: the caller hashes the file).  A failure past
 * o->max_bytes or o->deadline sets err->code.
 */
static int
download(const struct dss_fetch_opts *o, const char *url, const char *src,
    const char *name, int fd, const char *part, int fresh,
    char got[DSS_SHA256_HEX], struct dss_err *err)
{
	struct xfer x = { .o = o, .name = name, .part = part, .fd = fd, .retry_after = -1 };
	unsigned seed = (unsigned)time(NULL) ^ ((unsigned)getpid() << 16);
	const struct dss_retry policy = { o->retries, backoff_base(), BACKOFF_MAX,
	    RETRY_AFTER_MAX, 1 };
	int attempt = 0, no_range = 0;
	enum outcome r;
	double wait;

	got[0] = '\0';
	if (o->deadline > 0)
		x.deadline_ms = now_ms() + o->deadline * 1000LL;
	for (;;) {
		if ((fresh || no_range) && restart_part(fd) == -1) {
			hash_drop(&x);
			return dss_err_errno(err, errno, "cannot truncate '%s'", part);
		}
		fresh = 0;
		x.offset = fd_size(fd);
		if (x.offset < 0 || lseek(fd, 0, SEEK_END) == -1) {
			hash_drop(&x);
			return dss_err_errno(err, errno, "cannot read '%s'", part);
		}
		hash_prefix(&x, x.offset);
		r = transfer(&x, url, src, err);
		if (r == DONE) {
			long long size = fd_size(fd);

			if (x.sha != NULL && x.hashed == size) {
				dss_sha256_final(x.sha, got);
				x.sha = NULL;
			}
			hash_drop(&x);
			if (o->progress != NULL && size >= 0)
				o->progress(o->progress_arg, name, size, size);
			return 0;
		}
		if (r == TOO_BIG) {
			hash_drop(&x);
			if (x.announced >= 0)
				describe(err, url, src, "it announces %lld bytes, more than the "
				    "limit of %lld bytes", x.offset + x.announced, o->max_bytes);
			else
				describe(err, url, src, "larger than the limit of %lld bytes",
				    o->max_bytes);
			return set_code(err, DSS_FETCH_ETOOBIG);
		}
		if (r == NO_RANGE && !no_range) {
			no_range = 1;	/* the server ignores Range: start over, once for free */
			continue;
		}
		if (r == NO_RANGE)
			describe(err, url, src, "the server does not resume transfers");
		if (r == TRANSIENT && dss_retry_next(&policy, attempt + 1,
		    x.retry_after, &seed, &wait) == DSS_RETRY_WAIT) {
			attempt++;
			if (x.deadline_ms == 0 || now_ms() + wait * 1000 < x.deadline_ms) {
				dss_clock_sleep(wait);
				continue;
			}
			r = LATE;	/* the wait alone would pass the deadline */
		}
		hash_drop(&x);
		if (r == LATE) {
			describe(err, url, src, "not complete within the deadline of %ld s",
			    o->deadline);
			return set_code(err, DSS_FETCH_EDEADLINE);
		}
		return -1;
	}
}

/*
 * Starts writing the bytes of fd to disk without waiting for them, so
 * that the fsync that puts the file in place, after the caller has read
 * it, finds most of them written.  Only a hint: nothing where the system
 * has no way to give it.
 */
static void
start_writeback(int fd)
{
#ifdef SYNC_FILE_RANGE_WRITE
	(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#else
	(void)fd;
#endif
}

/* Opens and locks path.part, making sure the lock is on the file still at that name. */
static int
open_part(const char *part, struct dss_err *err)
{
	struct stat a, b;
	int fd;

	for (;;) {
		fd = open(part, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
		if (fd == -1)
			return dss_err_errno(err, errno, "cannot create '%s'", part);
		while (flock(fd, LOCK_EX) == -1)
			if (errno != EINTR) {
				dss_err_errno(err, errno, "cannot lock '%s'", part);
				close(fd);
				return -1;
			}
		if (fstat(fd, &a) == 0 && stat(part, &b) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return fd;
		close(fd);	/* renamed into place by another process meanwhile */
	}
}

static int
hash_fd(int fd, const char *path, char out[DSS_SHA256_HEX], struct dss_err *err)
{
	struct dss_sha256 *s;
	char buf[65536];
	ssize_t n;
	off_t at = 0;

	s = dss_sha256_new();
	if (s == NULL)
		return dss_err_set(err, "out of memory");
	while ((n = pread(fd, buf, sizeof(buf), at)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			dss_sha256_final(s, out);
			return dss_err_errno(err, e, "cannot read '%s'", path);
		}
		dss_sha256_update(s, buf, (size_t)n);
		at += n;
	}
	dss_sha256_final(s, out);
	return 0;
}

/*
 * The cached file at dest, if any: 1 when it is there and matches want
 * (or want is empty, in which case got holds its hash), 0 when it is
 * absent, 2 when it is there but does not match (got holds its hash).
 */
static int
check_cached(const char *dest, const char *want, char got[DSS_SHA256_HEX], struct dss_err *err)
{
	struct stat st;

	if (stat(dest, &st) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return dss_err_errno(err, errno, "cannot stat '%s'", dest);
	}
	if (!S_ISREG(st.st_mode))
		return dss_err_set(err, "cannot use '%s': not a regular file", dest);
	if (dss_sha256_file(dest, got, err) == -1)
		return -1;
	return want[0] == '\0' || strcmp(want, got) == 0 ? 1 : 2;
}

static const char *
base_name(const char *url)
{
	const char *s = strrchr(url, '/');

	return s != NULL ? s + 1 : url;
}

struct dss_fetched {
	char *url, *cache, *dest, *origin;
	char *part;		/* dest.part while a download is open, else NULL */
	const char *path;	/* where to read the file: dest, or part while unvouched */
	char sha256[DSS_SHA256_HEX];	/* of the file at path */
	int fd;			/* the locked .part, or -1 */
	int unvouched;		/* a download waiting for dss_fetch_commit */
	int pinned;		/* verified against a pin: not recorded in the lock file */
	int discard;		/* delete the download on close unless committed */
	struct made_dirs made;	/* directories made for the download */
};

const char *
dss_fetched_path(const struct dss_fetched *f)
{
	return f->path;
}

const char *
dss_fetched_sha256(const struct dss_fetched *f)
{
	return f->sha256;
}

int
dss_fetched_unvouched(const struct dss_fetched *f)
{
	return f->unvouched;
}

/*
 * The hash that vouches for f's cached copy, in want: the pin, else the
 * lock entry's hash when its origin is f's (with refresh set, none but the
 * pin).  *vouch says whether there is one; the origin of the entry, when
 * there is one and it is another, is left in *other (caller frees).
 */
static int
voucher(const struct dss_fetch_opts *o, struct dss_fetched *f, const char *pin,
    char want[DSS_SHA256_HEX], int *vouch, char **other, struct dss_err *err)
{
	char *origin = NULL;
	int r;

	*other = NULL;
	if (pin != NULL) {
		memcpy(want, pin, DSS_SHA256_HEX);
		*vouch = 1;
		return 0;
	}
	r = dss_fetch_lock_get(f->cache, f->url, want, &origin, err);
	if (r == -1)
		return -1;
	*vouch = r == 1 && !o->refresh && origin != NULL && strcmp(origin, f->origin) == 0;
	if (!*vouch)
		want[0] = '\0';
	if (r == 1 && !*vouch)
		*other = origin != NULL ? origin : strdup("");
	else
		free(origin);
	return 0;
}

/* Says where a cached file came from, for messages: upstream, 'URL' or an unrecorded origin. */
static void
name_origin(char *buf, size_t n, const char *origin)
{
	if (origin == NULL || *origin == '\0')
		snprintf(buf, n, "an unrecorded origin");
	else if (strcmp(origin, "upstream") == 0)
		snprintf(buf, n, "upstream");
	else
		snprintf(buf, n, "'%s'", origin);
}

/* Makes the download at f->part (hash in f->sha256) the cached file. */
static int
put_in_place(struct dss_fetched *f, int record, struct dss_err *err)
{
	if (fsync(f->fd) == -1)
		return dss_err_errno(err, errno, "cannot write '%s'", f->part);
	if (record && lock_put(f->cache, f->url, f->sha256, f->origin, err) == -1)
		return -1;
	if (rename(f->part, f->dest) == -1)
		return dss_err_errno(err, errno, "cannot rename '%s' to '%s'", f->part, f->dest);
	fsync_dir(f->cache);
	free(f->part);
	f->part = NULL;
	f->path = f->dest;
	f->unvouched = 0;
	close(f->fd);	/* releases the flock */
	f->fd = -1;
	made_free(&f->made);
	return 0;
}

/*
 * Downloads f->url from src into f->dest's .part file and verifies it
 * against want (empty: nothing vouches for it).  A download that matches
 * want is put in place; one with want empty stays at the .part, locked,
 * unvouched.  On failure the .part is kept only when it holds bytes worth
 * resuming, and directories made for it are removed again.
 */
static int
fill(const struct dss_fetch_opts *o, struct dss_fetched *f, const char *src,
    const char *pin, char want[DSS_SHA256_HEX], struct dss_err *err)
{
	char got[DSS_SHA256_HEX] = "", *other = NULL;
	int fd = -1, ret = -1, drop_part = 0, r, tries, resumed, vouch;
	long long had;

	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		dss_err_set(err, "cannot start libcurl: %s", curl_easy_strerror(curl_init_rc));
		goto out;
	}
	if (mkdirs(f->dest, 1, &f->made, err) == -1)
		goto out;
	if ((f->part = malloc(strlen(f->dest) + sizeof(".part"))) == NULL) {
		dss_err_set(err, "out of memory");
		goto out;
	}
	strcpy(f->part, f->dest);
	strcat(f->part, ".part");
	fd = open_part(f->part, err);
	if (fd == -1)
		goto out;

	/* Another process may have put a good copy in place while we waited for the lock. */
	if (!o->refresh) {
		if (voucher(o, f, pin, want, &vouch, &other, err) == -1)
			goto out;
		r = check_cached(f->dest, want, got, err);
		if (r == -1)
			goto out;
		if (r == 1 && vouch) {
			memcpy(f->sha256, got, DSS_SHA256_HEX);
			f->path = f->dest;
			drop_part = 1;
			ret = 0;
			goto out;
		}
	}

	had = fd_size(fd);
	for (tries = 0;; tries++) {
		resumed = tries == 0 && had > 0 && !o->refresh;
		if (download(o, f->url, src, base_name(f->url), fd, f->part,
		    tries > 0 || o->refresh, got, err) == -1) {
			/* keep only what is worth resuming */
			drop_part = fd_size(fd) <= 0 ||
			    (err != NULL && err->code == DSS_FETCH_ETOOBIG);
			goto out;
		}
		drop_part = 1;
		if (got[0] == '\0' && hash_fd(fd, f->part, got, err) == -1)
			goto out;
		start_writeback(fd);
		if (want[0] == '\0' || strcmp(want, got) == 0)
			break;
		/* Stale bytes from an earlier, interrupted transfer: try once afresh. */
		if (!resumed) {
			dss_err_set(err, "checksum mismatch for '%s': expected %s, got %s",
			    f->url, want, got);
			set_code(err, DSS_FETCH_EMISMATCH);
			goto out;
		}
	}
	memcpy(f->sha256, got, DSS_SHA256_HEX);
	f->fd = fd;
	fd = -1;
	drop_part = 0;
	if (want[0] != '\0') {
		/* vouched for by the pin or the lock entry of this origin, which stays as it is */
		if (put_in_place(f, 0, err) == -1) {
			drop_part = 1;
			fd = f->fd;
			f->fd = -1;
			goto out;
		}
	} else {
		f->unvouched = 1;
		f->path = f->part;
	}
	ret = 0;
out:
	if (drop_part && f->part != NULL)
		unlink(f->part);
	if (fd != -1)
		close(fd);	/* releases the flock */
	if (ret == -1 || !f->unvouched) {
		free(f->part);
		f->part = NULL;
	}
	if (ret == -1)
		made_undo(&f->made);
	else if (!f->unvouched)
		made_free(&f->made);
	free(other);
	return ret;
}

int
dss_fetch_open(const struct dss_fetch_opts *o, const char *url, const char *sha256,
    struct dss_fetched **fp, struct dss_err *err)
{
	static const struct dss_fetch_opts defaults = DSS_FETCH_OPTS_INIT;
	char pin[DSS_SHA256_HEX] = "", want[DSS_SHA256_HEX] = "", got[DSS_SHA256_HEX] = "";
	char a[DSS_ERR_MAX / 2], b[DSS_ERR_MAX / 2];
	char *src = NULL, *other = NULL;
	struct dss_fetched *f;
	int ret = -1, r = 0, vouch;

	*fp = NULL;
	if (err != NULL)
		err->code = 0;
	if (o == NULL)
		o = &defaults;
	if (sha256 != NULL && parse_hex(sha256, pin) == -1)
		return dss_err_set(err, "invalid SHA-256 '%s' for '%s'", sha256, url);
	if (o->refresh && o->offline)
		return dss_err_set(err, "cannot refresh '%s' with --offline set", url);
	if ((f = calloc(1, sizeof *f)) == NULL)
		return dss_err_set(err, "out of memory");
	f->fd = -1;
	f->pinned = sha256 != NULL;
	f->cache = o->cache != NULL ? strdup(o->cache) : dss_fetch_cache_dir();
	if (f->cache == NULL) {
		dss_err_set(err, "cannot find a cache directory: set DSS_CACHE or HOME");
		goto out;
	}
	if ((f->url = xstrdup(url, err)) == NULL ||
	    (f->dest = dss_fetch_cache_path(f->cache, url, err)) == NULL ||
	    (src = dss_fetch_source_url(o->mirror, url, err)) == NULL)
		goto out;
	f->origin = xstrdup(o->mirror != NULL && *o->mirror != '\0' ? src : "upstream", err);
	if (f->origin == NULL ||
	    voucher(o, f, f->pinned ? pin : NULL, want, &vouch, &other, err) == -1)
		goto out;

	if (!o->refresh && (r = check_cached(f->dest, want, got, err)) == -1)
		goto out;
	if (r == 1 && vouch) {
		memcpy(f->sha256, got, DSS_SHA256_HEX);
		f->path = f->dest;
		ret = 0;
		goto out;
	}
	if (o->offline) {
		if (r == 2 && vouch) {
			dss_err_set(err, "checksum mismatch for '%s' (cached as '%s'): expected %s, got %s",
			    url, f->dest, want, got);
			set_code(err, DSS_FETCH_EMISMATCH);
		} else if (r == 0) {
			dss_err_set(err, "'%s' is not in the cache (%s) and --offline is set",
			    url, f->dest);
			set_code(err, DSS_FETCH_EOFFLINE);
		} else {
			name_origin(a, sizeof a, other);
			name_origin(b, sizeof b, f->origin);
			dss_err_set(err, "'%s' is cached from %s, not from %s, and --offline is set",
			    url, a, b);
			set_code(err, DSS_FETCH_EOFFLINE);
		}
		goto out;
	}
	ret = fill(o, f, src, f->pinned ? pin : NULL, want, err);
out:
	free(src);
	free(other);
	if (ret == 0)
		*fp = f;
	else
		dss_fetch_close(f);
	return ret;
}

int
dss_fetch_commit(struct dss_fetched *f, struct dss_err *err)
{
	if (!f->unvouched)
		return 0;
	return put_in_place(f, !f->pinned, err);
}

/* Removes the directories of path below cache that are left empty. */
static void
prune_dirs(const char *cache, const char *path)
{
	size_t top = strlen(cache);
	char *p = strdup(path), *s;

	while (p != NULL && (s = strrchr(p, '/')) != NULL && (size_t)(s - p) > top) {
		*s = '\0';
		if (rmdir(p) == -1)
			break;	/* not empty: someone else's files are there */
	}
	free(p);
}

void
dss_fetch_discard(struct dss_fetched *f)
{
	f->discard = 1;
}

void
dss_fetch_close(struct dss_fetched *f)
{
	if (f == NULL)
		return;
	if (f->part != NULL && f->unvouched && f->discard) {
		unlink(f->part);	/* read and found wanting */
		prune_dirs(f->cache, f->dest);
	}
	if (f->fd != -1)
		close(f->fd);	/* releases the flock */
	made_free(&f->made);
	free(f->url);
	free(f->cache);
	free(f->dest);
	free(f->origin);
	free(f->part);
	free(f);
}

int
dss_fetch(const struct dss_fetch_opts *o, const char *url, const char *sha256,
    char **path, struct dss_err *err)
{
	struct dss_fetched *f = NULL;
	int ret = -1;

	*path = NULL;
	if (dss_fetch_open(o, url, sha256, &f, err) == -1)
		return -1;
	if (dss_fetch_commit(f, err) == 0 && (*path = xstrdup(f->path, err)) != NULL)
		ret = 0;
	dss_fetch_close(f);
	return ret;
}

int
dss_fetch_verify(const char *cache, const char *url, const char *sha256,
    char want[65], char got[65], struct dss_err *err)
{
	char *dest;
	int r;

	want[0] = got[0] = '\0';
	if (sha256 != NULL && parse_hex(sha256, want) == -1)
		return dss_err_set(err, "invalid SHA-256 '%s' for '%s'", sha256, url);
	if (sha256 == NULL && (r = dss_fetch_lock_get(cache, url, want, NULL, err)) != 1)
		return r == 0 ? DSS_FETCH_ABSENT : -1;
	if ((dest = dss_fetch_cache_path(cache, url, err)) == NULL)
		return -1;
	r = check_cached(dest, want, got, err);
	free(dest);
	if (r == -1)
		return -1;
	return r == 0 ? DSS_FETCH_ABSENT : r == 1 ? DSS_FETCH_MATCHES : DSS_FETCH_DIFFERS;
}

static void
human(char *buf, size_t n, long long v)
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double d = (double)v;
	int u = 0;

	if (v < 1024) {
		snprintf(buf, n, "%lld B", v);
		return;
	}
	while (d >= 1024 && u < 4) {
		d /= 1024;
		u++;
	}
	snprintf(buf, n, "%.1f %s", d, units[u]);
}

char *
dss_progress_format(char *buf, size_t n, const char *name, long long now, long long total, int width)
{
	char right[64], a[24], b[24], nm[64];
	int room, bar, fill, i, namew, len;
	size_t at;

	if (n == 0)
		return buf;
	if (width < 20)
		width = 80;
	if ((size_t)width >= n)
		width = (int)n - 1;
	if (now < 0)
		now = 0;
	human(a, sizeof(a), now);
	if (total > 0) {
		if (now > total)
			now = total;
		human(b, sizeof(b), total);
		snprintf(right, sizeof(right), " %3d%% %s / %s",
		    (int)(now * 100 / total), a, b);
	} else {
		snprintf(right, sizeof(right), " %s", a);
	}
	namew = width / 3;
	if (namew > (int)sizeof(nm) - 1)
		namew = (int)sizeof(nm) - 1;
	len = (int)strlen(name);
	if (len > namew && namew > 3)
		snprintf(nm, sizeof(nm), "%.*s...", namew - 3, name);
	else
		snprintf(nm, sizeof(nm), "%.*s", namew, name);
	room = width - 1 - (int)strlen(nm) - (int)strlen(right);
	at = (size_t)snprintf(buf, n, "%s", nm);
	bar = room - 3;
	if (total > 0 && bar >= 10) {
		fill = (int)(now * bar / total);
		buf[at++] = ' ';
		buf[at++] = '[';
		for (i = 0; i < bar; i++)
			buf[at++] = i < fill ? '#' : (i == fill ? '>' : ' ');
		if (fill >= bar)
			buf[at - 1] = '#';
		buf[at++] = ']';
		buf[at] = '\0';
	}
	if (at + strlen(right) < n) {
		strcpy(buf + at, right);
		at += strlen(right);
	}
	while (at + 1 < n && (int)at < width - 1)
		buf[at++] = ' ';
	buf[at] = '\0';
	return buf;
}
