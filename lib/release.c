/* SPDX-License-Identifier: MIT */
/*
 * Reading the official Distilling Step-by-Step release (datasets.zip or
 * its unpacked directory) as example and completion records: indexing the
 * members of the release layout, checking that the teacher's batch files
 * line up with the examples of each split, and building records that
 * follow the record contract.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "archive.h"
#include "jscan.h"
#include "jsonl.h"
#include "manifest.h"
#include "mt19937.h"
#include "release.h"
#include "sha256.h"

#define NSPLITS 3
#define MAX_DATASETS 256	/* manifests looked at in the datasets directory */
#define MAX_BATCHES 100000	/* far above the 100 of esnli train */
#define PROBLEMS_MAX ((size_t)64 << 20)	/* SVAMP.json is 340 kB */

static const char *const splits[NSPLITS] = { "train", "valid", "test" };

/*
 * The datasets of the release: the manifests of dss_manifest_dir() that
 * have a "release" section, in its order.  Everything the reader knows of
 * a dataset (its batch files, the official loader's form, the columns of
 * its rows, how they become record fields) is in its manifest.
 */
struct rdataset {
	struct dss_manifest *m;
	struct dss_release_form form;
};

struct registry {
	char *dir;		/* where the manifests were read */
	size_t n;
	struct rdataset *v;
};

static int
by_order(const void *a, const void *b)
{
	const struct rdataset *x = a, *y = b;

	return x->m->release.order < y->m->release.order ? -1 :
	    x->m->release.order > y->m->release.order ? 1 :
	    strcmp(x->m->name, y->m->name);
}

static void
registry_free(struct registry *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		dss_manifest_free(g->v[i].m);
	free(g->v);
	free(g->dir);
	g->v = NULL;
	g->dir = NULL;
	g->n = 0;
}

/*
 * Reads the manifests with a release section.  One that does not load
 * is no dataset of the release (dss-fetch names its fault).
 */
static int
registry_load(struct registry *g, char *dir)
{
	char *names[MAX_DATASETS];
	size_t n = dss_manifest_names(names, MAX_DATASETS), i;
	int rc = 0;

	g->dir = dir;
	if ((g->v = calloc(n ? n : 1, sizeof *g->v)) == NULL)
		rc = -1;
	for (i = 0; i < n; i++) {
		struct dss_err err = DSS_ERR_INIT;
		struct dss_manifest *m = rc < 0 ? NULL :
		    dss_manifest_load(names[i], &err);
		struct dss_release_form *f;

		free(names[i]);
		if (m == NULL || !m->release.present) {
			dss_manifest_free(m);
			continue;
		}
		f = &g->v[g->n].form;
		g->v[g->n++].m = m;
		f->name = m->name;
		f->manifest = m;
		f->batch = m->release.batch;
		memcpy(f->batches, m->release.batches, sizeof f->batches);
		f->cot = m->release.cot;
		f->blank = m->release.blank;
		memcpy(f->splits_at, m->release.splits_at, sizeof f->splits_at);
	}
	if (g->n > 1)
		qsort(g->v, g->n, sizeof *g->v, by_order);
	return rc;
}

/*
 * The datasets of the manifests in dss_manifest_dir() now, read once and
 * again when $DSS_DATASETS names another directory.
 */
static const struct registry *
registry(void)
{
	static struct registry g;
	char *dir = dss_manifest_dir();

	if (dir != NULL && g.dir != NULL && strcmp(dir, g.dir) == 0) {
		free(dir);
		return &g;
	}
	registry_free(&g);
	if (dir != NULL)
		registry_load(&g, dir);
	return &g;
}

static int
find_in(const struct registry *g, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (strlen(g->v[i].m->name) == len &&
		    memcmp(g->v[i].m->name, name, len) == 0)
			return (int)i;
	return -1;
}

static const struct rdataset *
find_dataset(const char *name)
{
	const struct registry *g = registry();
	int d = find_in(g, name, strlen(name));

	return d < 0 ? NULL : &g->v[d];
}

/* One member of the release as found in the archive or directory. */
struct ref {
	char *name;	/* as stored in the archive; NULL when absent */
	long ord;	/* position among the archive's regular files */
};

struct split_index {
	struct ref examples;
	struct ref *batches;	/* indexed by batch number */
	size_t nbatches;	/* 1 + the highest batch number seen */
};

/* What the release holds of one dataset. */
struct rset {
	int found;		/* any member under datasets/DS/ */
	struct split_index idx[NSPLITS];
	struct ref problems;	/* the upstream rows (SVAMP.json), if any */
	cJSON *rows;		/* its rows, once loaded */
	size_t *perm;		/* RandomState(seed).permutation of them */
	unsigned long seed;
};

struct dss_release {
	char *path;		/* as given, for messages */
	char *root;		/* directory mode: the datasets directory */
	struct registry g;	/* its datasets, read when it was opened */
	struct rset *set;	/* one per dataset of g */
	unsigned long repaired;	/* completions written with U+FFFD put in */
};

/* An open member: a stream over an archive entry or a file. */
struct member {
	struct dss_archive *a;
	FILE *fp;
	long ord;		/* archive position of the current entry */
	const char *name;	/* release name, for messages; not owned */
};
#define MEMBER_INIT { NULL, NULL, -1, NULL }

static int
find_split(const char *name, size_t len)
{
	int i;

	for (i = 0; i < NSPLITS; i++)
		if (strlen(splits[i]) == len && memcmp(splits[i], name, len) == 0)
			return i;
	return -1;
}

size_t
dss_release_datasets(const char **names, size_t max)
{
	const struct registry *g = registry();
	size_t i;

	for (i = 0; i < g->n && i < max; i++)
		names[i] = g->v[i].m->name;
	return g->n;
}

int
dss_release_dataset_known(const char *name)
{
	return find_dataset(name) != NULL;
}

int
dss_release_split_known(const char *name)
{
	return find_split(name, strlen(name)) >= 0;
}

int
dss_release_has_split(const char *dataset, const char *split)
{
	const struct rdataset *d = find_dataset(dataset);
	int s = find_split(split, strlen(split));

	return d != NULL && s >= 0 && d->form.batches[s] > 0;
}

const struct dss_release_form *
dss_release_form(const char *dataset)
{
	const struct rdataset *d = find_dataset(dataset);

	return d == NULL ? NULL : &d->form;
}

const char *
dss_release_split_name(int s)
{
	return s >= 0 && s < NSPLITS ? splits[s] : "?";
}

long
dss_release_batch_size(const char *dataset)
{
	const struct rdataset *d = find_dataset(dataset);

	return d == NULL ? 0 : d->form.batch;
}

/*
 * Writes v in decimal to out (32 bytes), with leading zeros to width
 * digits at least (as printf's %0*lld does).
 */
static void
decimal(char out[32], long long v, int width)
{
	char tmp[24];
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v :
	    (unsigned long long)v;
	int n = 0, i = 0;

	do
		tmp[n++] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		out[i++] = '-';
	for (width -= v < 0; n < width && width < 24; width--)
		out[i++] = '0';
	while (n > 0)
		out[i++] = tmp[--n];
	out[i] = '\0';
}

/* Appends the n bytes at s to key (size bytes, *len used), cut at its end. */
static void
key_add(char *key, size_t size, size_t *len, const char *s, size_t n)
{
	if (n > size - 1 - *len)
		n = size - 1 - *len;
	memcpy(key + *len, s, n);
	*len += n;
	key[*len] = '\0';
}

void
dss_release_request(const char *teacher, const char *dataset,
    const char *split, long long index, int sample, char out[65])
{
	char key[512], num[32];
	size_t n = 0;

	/* ["TEACHER","DATASET","SPLIT",INDEX,SAMPLE], cut to 511 bytes */
	key_add(key, sizeof(key), &n, "[\"", 2);
	key_add(key, sizeof(key), &n, teacher, strlen(teacher));
	key_add(key, sizeof(key), &n, "\",\"", 3);
	key_add(key, sizeof(key), &n, dataset, strlen(dataset));
	key_add(key, sizeof(key), &n, "\",\"", 3);
	key_add(key, sizeof(key), &n, split, strlen(split));
	key_add(key, sizeof(key), &n, "\",", 2);
	decimal(num, index, 1);
	key_add(key, sizeof(key), &n, num, strlen(num));
	key_add(key, sizeof(key), &n, ",", 1);
	decimal(num, sample, 1);
	key_add(key, sizeof(key), &n, num, strlen(num));
	key_add(key, sizeof(key), &n, "]", 1);
	dss_sha256_hex(key, n, out);
}

/* Parses a batch number: plain decimal, no sign, no leading zero. */
static long
parse_batch(const char *s, size_t len)
{
	long v = 0;
	size_t i;

	if (len == 0 || len > 9 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int
set_ref(struct ref *ref, const char *name, long ord, struct dss_err *err)
{
	if (ref->name != NULL)
		return 0;	/* a duplicate member: the first one wins */
	if ((ref->name = strdup(name)) == NULL)
		return dss_err_errno(err, errno, "cannot index '%s'", name);
	ref->ord = ord;
	return 0;
}

/*
 * Records name if it belongs to the release layout:
 * [PREFIX/]datasets/DS/DS_SPLIT.json and [PREFIX/]datasets/DS/llm/SPLIT_CoT_I.json.
 * Anything else (__MACOSX/, other datasets, gpt-neox, SVAMP.json) only
 * marks its dataset as found, or is ignored.
 */
static int
index_name(struct dss_release *r, const char *name, long ord,
    struct dss_err *err)
{
	const char *p = name, *slash, *rest, *base;
	struct split_index *si;
	size_t dlen, blen;
	int d, s;
	long b;

	while (p[0] == '.' && p[1] == '/')
		p += 2;
	if (strstr(p, "__MACOSX") != NULL)
		return 0;
	if (strncmp(p, "datasets/", 9) != 0) {
		const char *q = strstr(p, "/datasets/");

		if (q == NULL)
			return 0;
		p = q + 1;
	}
	p += 9;
	if ((slash = strchr(p, '/')) == NULL)
		return 0;
	dlen = (size_t)(slash - p);
	if ((d = find_in(&r->g, p, dlen)) < 0)
		return 0;
	r->set[d].found = 1;
	rest = slash + 1;
	if (strncmp(rest, "llm/", 4) == 0) {
		const char *cot, *dot;

		base = rest + 4;
		if ((cot = strstr(base, "_CoT_")) == NULL ||
		    (s = find_split(base, (size_t)(cot - base))) < 0)
			return 0;
		dot = cot + 5;
		blen = strlen(dot);
		if (blen < 6 || strcmp(dot + blen - 5, ".json") != 0 ||
		    (b = parse_batch(dot, blen - 5)) < 0)
			return 0;
		if (b >= MAX_BATCHES)
			return dss_err_set(err, "'%s': batch number over %d", name,
			    MAX_BATCHES);
		si = &r->set[d].idx[s];
		if ((size_t)b >= si->nbatches) {
			struct ref *nb = realloc(si->batches,
			    ((size_t)b + 1) * sizeof(*nb));

			if (nb == NULL)
				return dss_err_errno(err, errno, "cannot index '%s'",
				    name);
			memset(nb + si->nbatches, 0,
			    ((size_t)b + 1 - si->nbatches) * sizeof(*nb));
			si->batches = nb;
			si->nbatches = (size_t)b + 1;
		}
		return set_ref(&si->batches[b], name, ord, err);
	}
	if (r->g.v[d].m->release.problems != NULL &&
	    strcmp(rest, r->g.v[d].m->release.problems) == 0)
		return set_ref(&r->set[d].problems, name, ord, err);
	/* DS_SPLIT.json directly under datasets/DS/ */
	if (strchr(rest, '/') != NULL || strncmp(rest, p, dlen) != 0 ||
	    rest[dlen] != '_')
		return 0;
	base = rest + dlen + 1;
	blen = strlen(base);
	if (blen < 6 || strcmp(base + blen - 5, ".json") != 0 ||
	    (s = find_split(base, blen - 5)) < 0)
		return 0;
	return set_ref(&r->set[d].idx[s].examples, name, ord, err);
}

static int
index_archive(struct dss_release *r, struct dss_err *err)
{
	struct dss_archive *a;
	const char *name;
	long ord = 0;
	int rc;

	if ((a = dss_archive_open(r->path, err)) == NULL)
		return -1;
	while ((rc = dss_archive_next(a, &name, err)) == 1)
		if (index_name(r, name, ord++, err) < 0) {
			rc = -1;
			break;
		}
	dss_archive_close(a);
	return rc;
}

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Indexes the regular files of ROOT/SUB as "datasets/SUB/NAME". */
static int
index_dir(struct dss_release *r, const char *sub, struct dss_err *err)
{
	struct dss_buf path = DSS_BUF_INIT, name = DSS_BUF_INIT;
	struct dirent *de;
	DIR *dir = NULL;
	int rc = -1;

	if (dss_buf_addf(&path, "%s/%s", r->root, sub) < 0) {
		dss_err_errno(err, ENOMEM, "cannot index '%s'", r->path);
		goto out;
	}
	if ((dir = opendir(path.data)) == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			rc = 0;
		else
			dss_err_errno(err, errno, "cannot read '%s'", path.data);
		goto out;
	}
	while ((errno = 0, de = readdir(dir)) != NULL) {
		struct stat st;
		size_t plen = path.len;

		if (de->d_name[0] == '.')
			continue;
		dss_buf_reset(&name);
		if (dss_buf_addf(&path, "/%s", de->d_name) < 0 ||
		    dss_buf_addf(&name, "datasets/%s/%s", sub, de->d_name) < 0) {
			dss_err_errno(err, ENOMEM, "cannot index '%s'", r->path);
			goto out;
		}
		if (stat(path.data, &st) == 0 && S_ISREG(st.st_mode) &&
		    index_name(r, name.data, 0, err) < 0)
			goto out;
		dss_buf_truncate(&path, plen);
	}
	if (errno != 0) {
		dss_err_errno(err, errno, "cannot read '%s'", path.data);
		goto out;
	}
	rc = 0;
out:
	if (dir != NULL)
		closedir(dir);
	dss_buf_free(&path);
	dss_buf_free(&name);
	return rc;
}

static int
index_tree(struct dss_release *r, struct dss_err *err)
{
	char sub[300];
	size_t d;

	for (d = 0; d < r->g.n; d++) {
		snprintf(sub, sizeof(sub), "%s", r->g.v[d].m->name);
		if (index_dir(r, sub, err) < 0)
			return -1;
		snprintf(sub, sizeof(sub), "%s/llm", r->g.v[d].m->name);
		if (index_dir(r, sub, err) < 0)
			return -1;
	}
	return 0;
}

struct dss_release *
dss_release_open(const char *path, struct dss_err *err)
{
	struct dss_release *r;
	char *dir = NULL;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->path = strdup(path)) == NULL) {
		dss_err_errno(err, errno, "cannot open '%s'", path);
		goto fail;
	}
	if ((dir = dss_manifest_dir()) == NULL || registry_load(&r->g, dir) < 0 ||
	    (r->set = calloc(r->g.n ? r->g.n : 1, sizeof(*r->set))) == NULL) {
		dss_err_errno(err, ENOMEM, "cannot open '%s'", path);
		goto fail;
	}
	if (is_dir(path)) {
		struct dss_buf b = DSS_BUF_INIT;

		if (dss_buf_addf(&b, "%s/datasets", path) < 0) {
			dss_err_errno(err, ENOMEM, "cannot open '%s'", path);
			goto fail;
		}
		if (!is_dir(b.data)) {
			dss_buf_reset(&b);
			if (dss_buf_adds(&b, path) < 0) {
				dss_buf_free(&b);
				dss_err_errno(err, ENOMEM, "cannot open '%s'", path);
				goto fail;
			}
		}
		r->root = dss_buf_detach(&b, NULL);
		if (r->root == NULL) {
			dss_err_errno(err, ENOMEM, "cannot open '%s'", path);
			goto fail;
		}
		if (index_tree(r, err) < 0)
			goto fail;
	} else if (index_archive(r, err) < 0)
		goto fail;
	return r;
fail:
	dss_release_close(r);
	return NULL;
}

void
dss_release_close(struct dss_release *r)
{
	size_t d, i;
	int s;

	if (r == NULL)
		return;
	for (d = 0; r->set != NULL && d < r->g.n; d++) {
		struct rset *rs = &r->set[d];

		for (s = 0; s < NSPLITS; s++) {
			struct split_index *si = &rs->idx[s];

			free(si->examples.name);
			for (i = 0; i < si->nbatches; i++)
				free(si->batches[i].name);
			free(si->batches);
		}
		free(rs->problems.name);
		cJSON_Delete(rs->rows);
		free(rs->perm);
	}
	free(r->set);
	registry_free(&r->g);
	free(r->path);
	free(r->root);
	free(r);
}

/* Closes whatever m has open. */
static void
member_close(struct member *m)
{
	if (m->a != NULL)
		dss_archive_close(m->a);
	else if (m->fp != NULL)
		fclose(m->fp);
	m->a = NULL;
	m->fp = NULL;
	m->ord = -1;
}

/*
 * Opens ref for reading.  In an archive, moves forward in the archive m
 * already has open when ref lies ahead, else opens the archive again.
 */
static int
member_open(struct dss_release *r, struct member *m, const struct ref *ref,
    struct dss_err *err)
{
	m->name = ref->name;
	if (r->root != NULL) {
		struct dss_buf p = DSS_BUF_INIT;
		int rc = 0;

		member_close(m);
		if (dss_buf_addf(&p, "%s/%s", r->root, ref->name + 9) < 0)
			return dss_err_errno(err, ENOMEM, "cannot open '%s'",
			    ref->name);
		if ((m->fp = fopen(p.data, "r")) == NULL)
			rc = dss_err_errno(err, errno, "cannot open '%s'", p.data);
		dss_buf_free(&p);
		return rc;
	}
	if (m->a == NULL || m->ord >= ref->ord) {
		member_close(m);
		if ((m->a = dss_archive_open(r->path, err)) == NULL)
			return -1;
	}
	if (dss_archive_find(m->a, ref->name, err) < 0) {
		member_close(m);
		return -1;
	}
	m->ord = ref->ord;
	if ((m->fp = dss_archive_stream(m->a)) == NULL) {
		member_close(m);
		return dss_err_set(err, "cannot read '%s' in '%s'", ref->name,
		    r->path);
	}
	return 0;
}

/*
 * Names the member in a read error, preferring the archive's own message,
 * which already names it ("cannot read 'M' in 'A': Truncated ZIP file").
 */
static int
member_error(const struct member *m, struct dss_err *err)
{
	const char *e = m->a != NULL ? dss_archive_error(m->a) : NULL;

	if (e != NULL)
		return dss_err_set(err, "%s", e);
	return dss_err_prefix(err, "'%s'", m->name);
}

/* ---- example records, written as compact JSON text ---- */

/*
 * Records are written straight from the row's text as the scanner found
 * it (jscan.h): a string value without a backslash is copied as it
 * stands, since it is then exactly what escaping its text gives; one
 * with escapes is decoded and escaped again.  The output is what
 * cJSON_PrintUnformatted printed for the same record, byte for byte.
 */
#define NSCRATCH 8

/* The writer's scratch space, kept from record to record. */
struct scratch {
	struct dss_jscan js, sub;	/* the row's members; an array's */
	struct dss_buf t[NSCRATCH];	/* decoded strings */
	struct dss_buf ex;		/* the example record */
	struct dss_buf out;		/* the record handed on */
};

static void
scratch_init(struct scratch *x)
{
	struct dss_jscan jinit = DSS_JSCAN_INIT;
	struct dss_buf binit = DSS_BUF_INIT;
	int i;

	x->js = x->sub = jinit;
	for (i = 0; i < NSCRATCH; i++)
		x->t[i] = binit;
	x->ex = x->out = binit;
}

static void
scratch_free(struct scratch *x)
{
	int i;

	dss_jscan_free(&x->js);
	dss_jscan_free(&x->sub);
	for (i = 0; i < NSCRATCH; i++)
		dss_buf_free(&x->t[i]);
	dss_buf_free(&x->ex);
	dss_buf_free(&x->out);
}

static int
nomem(struct dss_err *err)
{
	return dss_err_set(err, "out of memory");
}

/* Decodes string member m into t (NUL-terminated).  Returns 0 or -1. */
static int
decode(const struct dss_jscan_member *m, struct dss_buf *t)
{
	dss_buf_reset(t);
	return dss_jscan_unquote(t, m->val, m->vallen);
}

/*
 * Appends the inside of string member m as a JSON string literal holds
 * it (no quotes), through t when it must be decoded.
 */
static int
put_inner(struct dss_buf *out, const struct dss_jscan_member *m,
    struct dss_buf *t)
{
	if (!m->val_escaped)
		return dss_buf_add(out, m->val + 1, m->vallen - 2);
	if (decode(m, t) < 0)
		return -1;
	return dss_jscan_escape(out, t->data, t->len);
}

/* Appends string member m as a JSON string literal. */
static int
put_string(struct dss_buf *out, const struct dss_jscan_member *m,
    struct dss_buf *t)
{
	if (dss_buf_addch(out, '"') < 0 || put_inner(out, m, t) < 0)
		return -1;
	return dss_buf_addch(out, '"');
}

/* Appends ,"key": (or "key": first in an object); key is n plain bytes. */
static int
put_keyn(struct dss_buf *out, const char *key, size_t n)
{
	char *d;
	int first;

	if (dss_buf_grow_fast(out, n + 4) < 0)
		return -1;
	d = out->data + out->len;
	first = out->len == 0 || d[-1] == '{' || d[-1] == '[';
	if (!first)
		*d++ = ',';
	*d++ = '"';
	memcpy(d, key, n);
	d += n;
	*d++ = '"';
	*d++ = ':';
	*d = '\0';
	out->len = (size_t)(d - out->data);
	return 0;
}

/* The keys are string literals without characters to escape. */
#define put_key(out, key) put_keyn((out), (key), sizeof(key) - 1)

#define put_key_str(out, key, val) \
	(put_key((out), key) < 0 ? -1 : dss_jscan_quote((out), (val), strlen(val)))

#define put_key_member(out, key, m, t) \
	(put_key((out), key) < 0 ? -1 : put_string((out), (m), (t)))

/* A required string member, or NULL with "field 'F' is missing" or "is not a string". */
static const struct dss_jscan_member *
req_str(const struct dss_jscan *js, const char *name, struct dss_err *err)
{
	const struct dss_jscan_member *m = dss_jscan_get(js, name);

	if (m == NULL)
		dss_err_set(err, "field '%s' is missing", name);
	else if (m->type != DSS_JSCAN_STRING)
		dss_err_set(err, "field '%s' is not a string", name);
	else
		return m;
	return NULL;
}

/* An optional string field: NULL when absent or null, -1 when another type. */
static int
opt_str(const struct dss_jscan *js, const char *name,
    const struct dss_jscan_member **out, struct dss_err *err)
{
	const struct dss_jscan_member *m = dss_jscan_get(js, name);

	*out = NULL;
	if (m == NULL || m->type == DSS_JSCAN_NULL)
		return 0;
	if (m->type != DSS_JSCAN_STRING)
		return dss_err_set(err, "field '%s' is not a string", name);
	*out = m;
	return 0;
}

/* Appends "a, b or c" of the n words (words(i) gives word i). */
static int
either(struct dss_buf *b, size_t n, const char *(*word)(const void *, size_t,
    char[24]), const void *arg)
{
	char num[24];
	size_t i;

	for (i = 0; i < n; i++)
		if ((i > 0 && dss_buf_adds(b, i + 1 < n ? ", " : " or ") < 0) ||
		    dss_buf_adds(b, word(arg, i, num)) < 0)
			return -1;
	return 0;
}

static const char *
number_word(const void *arg, size_t i, char num[24])
{
	(void)arg;
	snprintf(num, 24, "%zu", i);
	return num;
}

static const char *
label_word(const void *arg, size_t i, char num[24])
{
	(void)num;
	return ((const struct dss_manifest_release *)arg)->labels[i];
}

/* "field 'F' is not 0, 1 or 2" (numbers) or "... entailment, neutral or contradiction". */
static int
not_a_label(const struct dss_manifest_release *rel, const char *field,
    int numbers, struct dss_err *err)
{
	struct dss_buf b = DSS_BUF_INIT;

	if (either(&b, rel->nlabels, numbers ? number_word : label_word, rel) < 0)
		dss_err_set(err, "out of memory");
	else
		dss_err_set(err, "field '%s' is not %s", field, b.data);
	dss_buf_free(&b);
	return -1;
}

/* The label of an index column: a number, a label of the set or its initial. */
static const char *
label_index(const struct dss_manifest_release *rel, const char *col,
    const struct dss_jscan *js, struct dss_buf *t, struct dss_err *err)
{
	const struct dss_jscan_member *m = dss_jscan_get(js, col);
	size_t i;

	if (m == NULL) {
		dss_err_set(err, "field '%s' is missing", col);
		return NULL;
	}
	if (m->type == DSS_JSCAN_NUMBER) {
		double v;

		dss_buf_reset(t);
		if (dss_buf_add(t, m->val, m->vallen) < 0) {
			nomem(err);
			return NULL;
		}
		v = strtod(t->data, NULL);
		for (i = 0; i < rel->nlabels; i++)
			if (v == (double)i)
				return rel->labels[i];
	} else if (m->type == DSS_JSCAN_STRING) {
		if (decode(m, t) < 0) {
			nomem(err);
			return NULL;
		}
		for (i = 0; i < rel->nlabels; i++)
			if (strcmp(t->data, rel->labels[i]) == 0 ||
			    (t->data[0] == rel->labels[i][0] && t->data[1] == '\0'))
				return rel->labels[i];
	}
	not_a_label(rel, col, 1, err);
	return NULL;
}

/*
 * A row read by the columns of its manifest: the member of each column
 * (NULL when absent), the items of the list column in x->sub, and the
 * label.
 */
struct row {
	struct scratch *x;
	const struct dss_manifest *m;
	const struct dss_jscan_member *mv[DSS_MANIFEST_COLUMNS];
	const char *label;	/* NUL-terminated */
	size_t llen;
};

static int
required(const struct dss_manifest_column *c)
{
	return c->kind == DSS_COLUMN_LIST || c->kind == DSS_COLUMN_LABEL_INDEX ||
	    c->kind == DSS_COLUMN_LABEL_TEXT || c->kind == DSS_COLUMN_INPUT ||
	    (c->kind == DSS_COLUMN_FIELD && c->required);
}

/* Reads column i of the row into w; pass 0 takes the required columns, 1 the rest. */
static int
read_column(struct row *w, size_t i, int pass, struct dss_err *err)
{
	const struct dss_manifest_column *c = &w->m->release.columns[i];
	const struct dss_jscan *js = &w->x->js;
	const struct dss_jscan_member *m;
	long k;

	if (required(c) != (pass == 0) || c->kind == DSS_COLUMN_CONST)
		return 0;
	switch (c->kind) {
	case DSS_COLUMN_LIST:
		if ((m = dss_jscan_get(js, c->name)) == NULL)
			return dss_err_set(err, "field '%s' is missing", c->name);
		w->mv[i] = m;
		if (m->type == DSS_JSCAN_ARRAY &&
		    dss_jscan_array(&w->x->sub, m->val, m->vallen, err) == 0 &&
		    w->x->sub.n == (size_t)c->count) {
			for (k = 0; k < c->count; k++)
				if (w->x->sub.m[k].type != DSS_JSCAN_STRING)
					break;
			if (k == c->count)
				return 0;
		}
		return dss_err_set(err, "field '%s' is not an array of %ld strings",
		    c->name, c->count);
	case DSS_COLUMN_LABEL_INDEX:
		if ((w->label = label_index(&w->m->release, c->name, js,
		    &w->x->t[0], err)) == NULL)
			return -1;
		w->llen = strlen(w->label);
		return 0;
	case DSS_COLUMN_LABEL_TEXT:
		if ((m = req_str(js, c->name, err)) == NULL)
			return -1;
		if (decode(m, &w->x->t[0]) < 0)
			return nomem(err);
		w->label = w->x->t[0].data;
		w->llen = w->x->t[0].len;
		return 0;
	case DSS_COLUMN_INPUT:
		return (w->mv[i] = req_str(js, c->name, err)) == NULL ? -1 : 0;
	default:
		if (required(c))
			return (w->mv[i] = req_str(js, c->name, err)) == NULL ? -1 : 0;
		return opt_str(js, c->name, &w->mv[i], err);
	}
}

/* The values of field f in the row, for the input template. */
static size_t
row_count(void *arg, size_t f)
{
	struct row *w = arg;
	const struct dss_manifest_release *rel = &w->m->release;
	size_t i, n = 0;

	for (i = 0; i < rel->ncolumns; i++) {
		const struct dss_manifest_column *c = &rel->columns[i];

		if (c->field != f || (c->kind != DSS_COLUMN_FIELD &&
		    c->kind != DSS_COLUMN_ITEM && c->kind != DSS_COLUMN_LIST))
			continue;
		if (c->kind == DSS_COLUMN_LIST)
			return w->x->sub.n;
		if (w->mv[i] != NULL && (c->kind == DSS_COLUMN_FIELD ||
		    w->mv[i]->vallen > 2))	/* items: not "" */
			n++;
	}
	return n;
}

static int
row_value(void *arg, size_t f, size_t k, struct dss_buf *out)
{
	struct row *w = arg;
	const struct dss_manifest_release *rel = &w->m->release;
	size_t i;

	for (i = 0; i < rel->ncolumns; i++) {
		const struct dss_manifest_column *c = &rel->columns[i];
		const struct dss_jscan_member *m = w->mv[i];

		if (c->field != f || (c->kind != DSS_COLUMN_FIELD &&
		    c->kind != DSS_COLUMN_ITEM && c->kind != DSS_COLUMN_LIST))
			continue;
		if (c->kind == DSS_COLUMN_LIST)
			m = &w->x->sub.m[k];
		else if (m == NULL || (c->kind == DSS_COLUMN_ITEM &&
		    m->vallen <= 2) || k-- > 0)
			continue;
		return dss_jscan_unquote(out, m->val, m->vallen);
	}
	return 0;
}

/* The column of field f (other than an item), or -1. */
static int
column_of(const struct dss_manifest_release *rel, size_t f)
{
	size_t i;

	for (i = 0; i < rel->ncolumns; i++)
		if (rel->columns[i].field == f &&
		    (rel->columns[i].kind == DSS_COLUMN_FIELD ||
		    rel->columns[i].kind == DSS_COLUMN_LIST))
			return (int)i;
	return -1;
}

/* 1 when field f is only read from items. */
static int
has_items(const struct dss_manifest_release *rel, size_t f)
{
	size_t i;

	for (i = 0; i < rel->ncolumns; i++)
		if (rel->columns[i].field == f &&
		    rel->columns[i].kind == DSS_COLUMN_ITEM)
			return 1;
	return 0;
}

/* 1 when field f is the upstream label's field (label.from). */
static int
is_label_field(const struct dss_manifest *m, size_t f)
{
	return m->label_from != NULL && !m->fields[f].list &&
	    m->fields[f].npaths == 1 &&
	    strcmp(m->fields[f].paths[0], m->label_from) == 0;
}

/*
 * The value of the label's field: with choose, the key of the one list
 * item that is the label (none when no item or several are); without a
 * map, the label itself; with a map, none.
 */
static int
put_label_field(struct row *w, const char *name, struct dss_buf *out)
{
	const struct dss_manifest *m = w->m;
	const struct dss_manifest_column *c;
	struct dss_buf *t = &w->x->t[2];
	char key[2] = { 0, 0 };
	size_t k;

	if (m->choose_keys == NULL) {
		if (m->label_map != NULL)
			return 0;
		return put_keyn(out, name, strlen(name)) < 0 ? -1 :
		    dss_jscan_quote(out, w->label, w->llen);
	}
	if (m->release.list < 0 ||
	    (c = &m->release.columns[m->release.list])->keys == NULL)
		return 0;
	for (k = 0; k < w->x->sub.n; k++) {
		if (decode(&w->x->sub.m[k], t) < 0)
			return -1;
		if (t->len == w->llen && memcmp(t->data, w->label, w->llen) == 0) {
			if (key[0] != '\0')
				return 0;	/* ambiguous */
			key[0] = c->keys[k];
		}
	}
	if (key[0] == '\0')
		return 0;
	return put_keyn(out, name, strlen(name)) < 0 ? -1 :
	    dss_jscan_quote(out, key, 1);
}

/*
 * The fields the input gives when it is a column: a template of a field,
 * text and a field is split at the text's last occurrence.  Returns 1
 * with the two fields and where they are, or 0.
 */
static int
invert_input(const struct dss_manifest *m, const char *in, size_t len,
    size_t *fa, size_t *fb, size_t *cut, size_t *seplen)
{
	const struct dss_manifest_piece *p = m->pieces;
	const char *q;

	if (m->npieces != 3 || p[0].text != NULL || p[1].text == NULL ||
	    p[2].text != NULL || p[1].len == 0 || m->fields[p[0].field].list ||
	    m->fields[p[2].field].list)
		return 0;
	for (q = in + len; q - in >= (ptrdiff_t)p[1].len; q--)
		if (memcmp(q - p[1].len, p[1].text, p[1].len) == 0) {
			*fa = p[0].field;
			*fb = p[2].field;
			*cut = (size_t)(q - p[1].len - in);
			*seplen = p[1].len;
			return 1;
		}
	return 0;
}

/* Appends the record's fields object, from the row's columns. */
static int
put_fields(struct row *w, const char *in, size_t ilen, struct dss_buf *out)
{
	const struct dss_manifest *m = w->m;
	const struct dss_manifest_release *rel = &m->release;
	size_t f, k, n, fa = 0, fb = 0, cut = 0, seplen = 0;
	int inv = in != NULL && invert_input(m, in, ilen, &fa, &fb, &cut, &seplen);

	if (put_key(out, "fields") < 0 || dss_buf_addch(out, '{') < 0)
		return -1;
	for (f = 0; f < m->nfields; f++) {
		const char *name = m->fields[f].name;
		int c = column_of(rel, f);

		if (inv && (f == fa || f == fb)) {
			if (put_keyn(out, name, strlen(name)) < 0 ||
			    (f == fa ? dss_jscan_quote(out, in, cut) :
			    dss_jscan_quote(out, in + cut + seplen,
			    ilen - cut - seplen)) < 0)
				return -1;
		} else if (c >= 0 && rel->columns[c].kind == DSS_COLUMN_LIST) {
			if (put_keyn(out, name, strlen(name)) < 0 ||
			    dss_buf_addch(out, '[') < 0)
				return -1;
			for (k = 0; k < w->x->sub.n; k++)
				if ((k > 0 && dss_buf_addch(out, ',') < 0) ||
				    put_string(out, &w->x->sub.m[k], &w->x->t[2]) < 0)
					return -1;
			if (dss_buf_addch(out, ']') < 0)
				return -1;
		} else if (c >= 0) {
			if (w->mv[c] != NULL && (put_keyn(out, name, strlen(name)) < 0 ||
			    put_string(out, w->mv[c], &w->x->t[2]) < 0))
				return -1;
		} else if (has_items(rel, f)) {
			if (put_keyn(out, name, strlen(name)) < 0 ||
			    dss_buf_addch(out, '[') < 0)
				return -1;
			n = row_count(w, f);
			for (k = 0; k < n; k++) {
				dss_buf_reset(&w->x->t[3]);
				if ((k > 0 && dss_buf_addch(out, ',') < 0) ||
				    row_value(w, f, k, &w->x->t[3]) < 0 ||
				    dss_jscan_quote(out, w->x->t[3].data,
				    w->x->t[3].len) < 0)
					return -1;
			}
			if (dss_buf_addch(out, ']') < 0)
				return -1;
		} else if (is_label_field(m, f) && put_label_field(w, name, out) < 0)
			return -1;
	}
	return dss_buf_addch(out, '}');
}

/* Template text taken as it stands (the renderer's literal writer). */
static int
plain(struct dss_buf *out, const char *s, size_t n)
{
	return dss_buf_add(out, s, n);
}

/* A string or number at a dotted path of a JSON object, or NULL. */
static const cJSON *
problem_value(const cJSON *p, const char *path)
{
	char key[256];
	const char *dot;

	while ((dot = strchr(path, '.')) != NULL) {
		if ((size_t)(dot - path) >= sizeof key)
			return NULL;
		memcpy(key, path, (size_t)(dot - path));
		key[dot - path] = '\0';
		p = cJSON_GetObjectItemCaseSensitive(p, key);
		path = dot + 1;
	}
	p = cJSON_GetObjectItemCaseSensitive(p, path);
	return cJSON_IsString(p) || cJSON_IsNumber(p) ? p : NULL;
}

/* The template's values from an upstream row (strings only). */
static size_t
problem_count(void *arg, size_t f)
{
	const void *const *a = arg;
	const struct dss_manifest *m = a[0];
	const cJSON *v;

	if (m->fields[f].list || m->fields[f].npaths != 1)
		return 0;
	v = problem_value(a[1], m->fields[f].paths[0]);
	return cJSON_IsString(v) ? 1 : 0;
}

static int
problem_text(void *arg, size_t f, size_t k, struct dss_buf *out)
{
	const void *const *a = arg;
	const struct dss_manifest *m = a[0];

	(void)k;
	return dss_buf_adds(out, problem_value(a[1],
	    m->fields[f].paths[0])->valuestring);
}

/*
 * The fields of the example at index of split s from the release's copy
 * of the upstream rows: the row the manifest's permutation puts there
 * (split.start + index), which must give the same input and label.
 */
static int
problem_fields(const struct dss_release *r, size_t d, int s, long long index,
    const char *input, const char *label, struct dss_buf *out,
    struct dss_err *err)
{
	const struct rset *rs = &r->set[d];
	const struct dss_manifest *m = r->g.v[d].m;
	const struct dss_manifest_split *sp = dss_manifest_split(m, splits[s]);
	long long start = sp != NULL && sp->permuted ? sp->start : 0;
	long long end = sp != NULL && sp->permuted ? sp->end : LLONG_MAX;
	long long k = start + index, size = cJSON_GetArraySize(rs->rows);
	struct dss_buf text = DSS_BUF_INIT;
	const void *arg[2];
	const cJSON *p, *lv;
	size_t f, missing;
	int same;

	if (k >= end || k >= size)
		return dss_err_set(err, "no problem for it in '%s'",
		    rs->problems.name);
	p = cJSON_GetArrayItem(rs->rows, (int)rs->perm[k]);
	arg[0] = m;
	arg[1] = p;
	lv = m->label_from != NULL ? problem_value(p, m->label_from) : NULL;
	same = dss_manifest_render(m, &text, problem_count, problem_text,
	    (void *)arg, plain, &missing) == 0 &&
	    strcmp(text.data, input) == 0 && cJSON_IsString(lv) &&
	    strcmp(lv->valuestring, label) == 0;
	dss_buf_free(&text);
	if (!same)
		return dss_err_set(err, "differs from problem %zu of '%s', which "
		    "the official split puts at %s index %lld", rs->perm[k],
		    rs->problems.name, splits[s], index);
	if (put_key(out, "fields") < 0 || dss_buf_addch(out, '{') < 0)
		return nomem(err);
	for (f = 0; f < m->nfields; f++) {
		const char *name = m->fields[f].name;
		const cJSON *v = m->fields[f].list || m->fields[f].npaths != 1 ?
		    NULL : problem_value(p, m->fields[f].paths[0]);

		if (v != NULL && (put_keyn(out, name, strlen(name)) < 0 ||
		    (cJSON_IsString(v) ? dss_jscan_quote(out, v->valuestring,
		    strlen(v->valuestring)) : dss_jscan_number_cjson(out,
		    v->valuedouble)) < 0))
			return nomem(err);
	}
	return dss_buf_addch(out, '}') < 0 ? nomem(err) : 0;
}

/*
 * Writes the example record of the row scanned into x->js (split s of
 * dataset d of g, at index) to out, replacing what it held.  r, when not
 * NULL, gives the dataset its upstream rows (problems).
 */
static int
example_text(struct scratch *x, const struct dss_release *r,
    const struct registry *g, size_t d, int s, const char *split,
    long long index, struct dss_buf *out, struct dss_err *err)
{
	const struct dss_manifest *m = g->v[d].m;
	const struct dss_manifest_release *rel = &m->release;
	struct row w;
	struct dss_buf *in = &x->t[1];
	char num[32], num6[32];
	size_t i, missing;
	int pass, incol = -1, rc;

	memset(&w, 0, sizeof w);
	w.x = x;
	w.m = m;
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < rel->ncolumns; i++)
			if (read_column(&w, i, pass, err) < 0)
				return -1;
	for (i = 0; i < rel->ncolumns; i++)
		if (rel->columns[i].kind == DSS_COLUMN_INPUT)
			incol = (int)i;
	dss_buf_reset(in);
	if (incol >= 0)
		rc = decode(w.mv[incol], in);
	else if ((rc = dss_manifest_render(m, in, row_count, row_value, &w,
	    plain, &missing)) == -2)
		return dss_err_set(err, "field '%s' is missing",
		    m->fields[missing].name);
	if (rc < 0)
		return nomem(err);
	decimal(num, index, 1);
	decimal(num6, index, 6);
	dss_buf_reset(out);
	/* The id is DATASET-SPLIT-INDEX, the index in six digits at least. */
	if (dss_buf_addch(out, '{') < 0 ||
	    put_key_str(out, "dataset", m->name) < 0 ||
	    put_key_str(out, "split", split) < 0 ||
	    put_key(out, "id") < 0 || dss_buf_addch(out, '"') < 0 ||
	    dss_jscan_escape(out, m->name, strlen(m->name)) < 0 ||
	    dss_buf_addch(out, '-') < 0 ||
	    dss_jscan_escape(out, split, strlen(split)) < 0 ||
	    dss_buf_addch(out, '-') < 0 || dss_buf_adds(out, num6) < 0 ||
	    dss_buf_addch(out, '"') < 0 ||
	    put_key(out, "index") < 0 || dss_buf_adds(out, num) < 0 ||
	    put_key(out, "input") < 0 || dss_jscan_quote(out, in->data, in->len) < 0 ||
	    put_key(out, "label") < 0 ||
	    dss_jscan_quote(out, w.label != NULL ? w.label : "", w.llen) < 0)
		return nomem(err);
	if (r != NULL && r->set[d].rows != NULL)
		rc = problem_fields(r, d, s, index, in->data, w.label, out, err);
	else
		rc = put_fields(&w, incol >= 0 ? in->data : NULL, in->len, out) < 0 ?
		    nomem(err) : 0;
	if (rc == 0 && dss_buf_addch(out, '}') < 0)
		rc = nomem(err);
	return rc;
}

int
dss_release_example(const char *dataset, const char *split, long long index,
    const char *row, size_t len, struct dss_buf *out, struct dss_err *err)
{
	const struct registry *g = registry();
	int d = find_in(g, dataset, strlen(dataset)), rc = -1;
	struct scratch x;
	struct dss_buf rec = DSS_BUF_INIT;

	if (d < 0)
		return dss_err_set(err, "unknown dataset '%s'", dataset);
	scratch_init(&x);
	if (dss_jscan_object(&x.js, row, len, err) == 0 &&
	    example_text(&x, NULL, g, (size_t)d, -1, split, index, &rec, err) == 0)
		rc = dss_buf_add(out, rec.data, rec.len) < 0 ? nomem(err) : 0;
	dss_buf_free(&rec);
	scratch_free(&x);
	return rc;
}

/* ---- release rows from example records ---- */

/* Adds key: val to obj, or fails with "out of memory". */
static int
add_str(cJSON *obj, const char *key, const char *val, struct dss_err *err)
{
	if (cJSON_AddStringToObject(obj, key, val) == NULL)
		return dss_err_set(err, "out of memory");
	return 0;
}

/* fields.name of an example as a string, "" when absent or not a string. */
static const char *
field_str(const cJSON *fields, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(fields, name);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* Adds column c of the row for example ex. */
static int
row_column(const struct dss_manifest *m, const struct dss_manifest_column *c,
    const cJSON *ex, const cJSON *fields, cJSON *row, struct dss_err *err)
{
	const char *fname = c->kind == DSS_COLUMN_FIELD || c->kind ==
	    DSS_COLUMN_ITEM || c->kind == DSS_COLUMN_LIST ?
	    m->fields[c->field].name : NULL;
	const cJSON *v, *it;
	const char *s;
	cJSON *arr;
	size_t k;

	switch (c->kind) {
	case DSS_COLUMN_FIELD:
		return add_str(row, c->name, field_str(fields, fname), err);
	case DSS_COLUMN_ITEM:
		it = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(fields,
		    fname), (int)c->item);
		return add_str(row, c->name, cJSON_IsString(it) ?
		    it->valuestring : "", err);
	case DSS_COLUMN_LIST:
		v = cJSON_GetObjectItemCaseSensitive(fields, fname);
		if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != c->count)
			return dss_err_set(err, "field 'fields.%s' is not an array "
			    "of %ld strings", fname, c->count);
		cJSON_ArrayForEach(it, v)
			if (!cJSON_IsString(it))
				return dss_err_set(err, "field 'fields.%s' is not an "
				    "array of %ld strings", fname, c->count);
		if ((arr = cJSON_Duplicate(v, 1)) == NULL)
			return dss_err_set(err, "out of memory");
		cJSON_AddItemToObject(row, c->name, arr);	/* takes ownership */
		return 0;
	case DSS_COLUMN_LABEL_INDEX:
		if ((s = dss_json_str(ex, "label", err)) == NULL)
			return -1;
		for (k = 0; k < m->release.nlabels; k++)
			if (strcmp(s, m->release.labels[k]) == 0)
				return cJSON_AddNumberToObject(row, c->name,
				    (double)k) == NULL ? dss_err_set(err,
				    "out of memory") : 0;
		return not_a_label(&m->release, "label", 0, err);
	case DSS_COLUMN_LABEL_TEXT:
	case DSS_COLUMN_INPUT:
		s = dss_json_str(ex, c->kind == DSS_COLUMN_INPUT ? "input" :
		    "label", err);
		return s == NULL ? -1 : add_str(row, c->name, s, err);
	case DSS_COLUMN_CONST:
		return add_str(row, c->name, c->value, err);
	}
	return 0;
}

cJSON *
dss_release_row(const char *dataset, const cJSON *example, struct dss_err *err)
{
	const struct rdataset *d = find_dataset(dataset);
	const cJSON *fields = cJSON_GetObjectItemCaseSensitive(example, "fields");
	cJSON *row;
	size_t i;

	if (d == NULL) {
		dss_err_set(err, "unknown dataset '%s'", dataset);
		return NULL;
	}
	if ((row = cJSON_CreateObject()) == NULL) {
		dss_err_set(err, "out of memory");
		return NULL;
	}
	for (i = 0; i < d->m->release.ncolumns; i++)
		if (d->m->release.columns[i].write &&
		    row_column(d->m, &d->m->release.columns[i], example, fields,
		    row, err) < 0) {
			cJSON_Delete(row);
			return NULL;
		}
	return row;
}


/*
 * Writes to out the completion record of the example record ex (len
 * bytes, as example_text wrote it, of split of dataset at index): its
 * keys, then the teacher's with text.
 */
static int
completion_text(const char *ex, size_t len, const char *dataset,
    const char *split, long long index, const char *text, size_t tlen,
    struct dss_buf *out)
{
	char req[DSS_SHA256_HEX];

	dss_release_request(DSS_RELEASE_TEACHER, dataset, split, index, 0, req);
	dss_buf_reset(out);
	if (len == 0 || dss_buf_add(out, ex, len - 1) < 0 ||
	    put_key_str(out, "teacher", DSS_RELEASE_TEACHER) < 0 ||
	    dss_buf_adds(out, ",\"sample\":0,\"completion\":") < 0 ||
	    dss_jscan_quote(out, text, tlen) < 0 ||
	    dss_buf_adds(out, ",\"finish_reason\":null,\"usage\":null,"
	    "\"latency_ms\":null,\"request\":\"") < 0 ||
	    dss_buf_adds(out, req) < 0 || dss_buf_adds(out, "\"}") < 0)
		return -1;
	return 0;
}

int
dss_release_completion(const char *example, size_t len, const char *dataset,
    const char *split, long long index, const char *text, size_t tlen,
    struct dss_buf *out)
{
	struct dss_buf rec = DSS_BUF_INIT;
	int rc = -1;

	if (completion_text(example, len, dataset, split, index, text, tlen,
	    &rec) == 0)
		rc = dss_buf_add(out, rec.data, rec.len);
	dss_buf_free(&rec);
	return rc;
}

/* ---- batch files: a JSON array of strings, streamed ---- */

#define JBLOCK ((size_t)1 << 16)	/* bytes read from the stream at once */

/* Reads the next block; 0 at end of input or on a read error (ferror says). */
static size_t
jfill(struct dss_jstrings *j)
{
	j->bpos = 0;
	j->bend = fread(j->blk, 1, JBLOCK, j->fp);
	return j->bend;
}

static int
jnext(struct dss_jstrings *j)
{
	if (j->bpos == j->bend && jfill(j) == 0)
		return EOF;
	j->offset++;
	return (unsigned char)j->blk[j->bpos++];
}

static int
jskip(struct dss_jstrings *j)
{
	int c;

	do
		c = jnext(j);
	while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
	return c;
}

/* An error at the character just read (or at end of input). */
static int
jerr(struct dss_jstrings *j, int c, const char *what, struct dss_err *err)
{
	if (c == EOF && ferror(j->fp))
		return dss_err_set(err, "read error");
	if (c == EOF)
		return dss_err_set(err, "byte %llu: %s", j->offset + 1, what);
	return dss_err_set(err, "byte %llu: %s", j->offset, what);
}

/*
 * Reads a string literal after its opening quote into j->raw, checking
 * its escapes, then decodes it into j->s with the scanner's decoder
 * (jscan.h).  The text is a teacher's: what is not valid UTF-8, and
 * escapes of NUL or of a lone surrogate, become U+FFFD (dss_jscan_repair;
 * counted in j->repaired), never an error.
 */
static int
jstring(struct dss_jstrings *j, struct dss_err *err)
{
	size_t bad = 0;
	int c, k, u = 0;

	dss_buf_reset(&j->raw);
	if (dss_buf_addch(&j->raw, '"') < 0)
		goto nomem;
	for (;;) {
		c = jnext(j);
		if (c == '"')
			break;
		if (c == EOF)
			return jerr(j, c, "unterminated string", err);
		if (c < 0x20)
			return jerr(j, c, "control character in string", err);
		if (c != '\\') {
			/* Plain bytes: c and the run after it in the block. */
			size_t n = dss_jscan_plain(j->blk + j->bpos, j->bend - j->bpos);

			if (dss_buf_addch_fast(&j->raw, (char)c) < 0 ||
			    dss_buf_add_fast(&j->raw, j->blk + j->bpos, n) < 0)
				goto nomem;
			j->bpos += n;
			j->offset += n;
			continue;
		}
		if (dss_buf_addch(&j->raw, '\\') < 0)
			goto nomem;
		c = jnext(j);
		if (c == EOF || strchr("\"\\/bfnrtu", c) == NULL)
			return jerr(j, c, "invalid escape", err);
		if (dss_buf_addch(&j->raw, (char)c) < 0)
			goto nomem;
		u |= c == 'u';
		for (k = 0; c == 'u' && k < 4; k++) {
			int h = jnext(j);

			if (h == EOF || !isxdigit(h))
				return jerr(j, h, "invalid \\u escape", err);
			if (dss_buf_addch(&j->raw, (char)h) < 0)
				goto nomem;
		}
	}
	dss_buf_reset(&j->s);
	if (dss_buf_addch(&j->raw, '"') < 0)
		goto nomem;
	/*
	 * Without a \u escape no escape can be a NUL or a surrogate, and
	 * the others decode to ASCII, which ends an ill-formed sequence as
	 * the backslash did: the decoded text is repaired as the literal
	 * would have been, in one pass less.
	 */
	if (u ? dss_jscan_repair(&j->raw, &bad) < 0 ||
	    dss_jscan_unquote(&j->s, j->raw.data, j->raw.len) < 0 :
	    dss_jscan_unquote(&j->s, j->raw.data, j->raw.len) < 0 ||
	    dss_utf8_repair(&j->s, &bad) < 0)
		goto nomem;
	j->repaired += bad > 0;
	return 0;
nomem:
	return dss_err_set(err, "byte %llu: string too long", j->offset);
}

/* After ']': only whitespace may follow. */
static int
jend(struct dss_jstrings *j, struct dss_err *err)
{
	int c = jskip(j);

	j->state = 2;
	if (c != EOF)
		return jerr(j, c, "data after the array", err);
	if (ferror(j->fp))
		return jerr(j, c, "", err);
	return 0;
}

int
dss_jstrings_next(struct dss_jstrings *j, struct dss_err *err)
{
	int c;

	if (j->state == 2)
		return 0;
	if (j->blk == NULL && (j->blk = malloc(JBLOCK)) == NULL)
		return dss_err_set(err, "out of memory");
	c = jskip(j);
	if (j->state == 0) {
		if (c != '[')
			return jerr(j, c, "not a JSON array", err);
		j->state = 1;
		c = jskip(j);
		if (c == ']')
			return jend(j, err);
	} else {
		if (c == ']')
			return jend(j, err);
		if (c != ',')
			return jerr(j, c, "expected ',' or ']'", err);
		c = jskip(j);
	}
	if (c != '"')
		return jerr(j, c, "array element is not a string", err);
	if (jstring(j, err) < 0)
		return -1;
	j->count++;
	return 1;
}

void
dss_jstrings_free(struct dss_jstrings *j)
{
	dss_buf_free(&j->s);
	dss_buf_free(&j->raw);
	free(j->blk);
	j->blk = NULL;
	j->bpos = j->bend = 0;
}

/* ---- the upstream rows a dataset's release holds beside its examples ---- */

/*
 * Loads the release's copy of dataset d's upstream rows (release
 * "problems": SVAMP.json), when it has one, and the permutation of them
 * the manifest's splits are cut from, once.
 */
static int
problems_load(struct dss_release *r, size_t d, struct dss_err *err)
{
	struct rset *rs = &r->set[d];
	const struct dss_manifest *m = r->g.v[d].m;
	struct member mb = MEMBER_INIT;
	struct dss_buf b = DSS_BUF_INIT;
	char chunk[65536];
	const char *doc;
	size_t n, i, len;
	int rc = -1;

	if (rs->rows != NULL || rs->problems.name == NULL)
		return 0;
	for (i = 0; i < m->nsplits; i++)
		if (m->splits[i].permuted) {
			rs->seed = m->splits[i].seed;
			break;
		}
	b.max = PROBLEMS_MAX;
	if (member_open(r, &mb, &rs->problems, err) < 0)
		goto out;
	while ((n = fread(chunk, 1, sizeof(chunk), mb.fp)) > 0)
		if (dss_buf_add(&b, chunk, n) < 0) {
			dss_err_set(err, "'%s': longer than %zu bytes",
			    mb.name, PROBLEMS_MAX);
			goto out;
		}
	if (ferror(mb.fp)) {
		dss_err_set(err, "read error");
		member_error(&mb, err);
		goto out;
	}
	doc = b.data;
	len = b.len;
	if (dss_jscan_document(&doc, &len, err) < 0) {
		dss_err_prefix(err, "'%s'", mb.name);
		goto out;
	}
	rs->rows = cJSON_ParseWithLength(doc, len);
	if (!cJSON_IsArray(rs->rows)) {
		dss_err_set(err, "'%s': not a JSON array", mb.name);
		goto out;
	}
	n = (size_t)cJSON_GetArraySize(rs->rows);
	if ((rs->perm = calloc(n ? n : 1, sizeof(size_t))) == NULL) {
		dss_err_errno(err, errno, "'%s'", mb.name);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (!cJSON_IsObject(cJSON_GetArrayItem(rs->rows, (int)i))) {
			dss_err_set(err, "'%s': element %zu is not an object",
			    mb.name, i);
			goto out;
		}
	dss_mt19937_permutation(rs->seed, rs->perm, n);
	rc = 0;
out:
	if (rc < 0) {
		cJSON_Delete(rs->rows);
		rs->rows = NULL;
		free(rs->perm);
		rs->perm = NULL;
	}
	member_close(&mb);
	dss_buf_free(&b);
	return rc;
}

/* ---- checking and emitting a split ---- */

/*
 * One split's example rows as they are read, with the scratch space
 * their records are written in.
 */
struct rows {
	struct dss_release *r;
	size_t d;
	int s;
	struct member m;
	struct dss_lines l;
	struct scratch x;
	long long index;	/* of the row just read */
	long long count;	/* rows read */
};

/* Opens the examples member of split s of dataset d.  0 or -1; either
 * way the caller calls rows_close. */
static int
rows_open(struct rows *w, struct dss_release *r, size_t d, int s,
    struct dss_err *err)
{
	const struct ref *ex = &r->set[d].idx[s].examples;

	w->r = r;
	w->d = d;
	w->s = s;
	w->m = (struct member)MEMBER_INIT;
	w->l = (struct dss_lines)DSS_LINES_INIT(NULL, ex->name);
	scratch_init(&w->x);
	w->index = -1;
	w->count = 0;
	if (member_open(r, &w->m, ex, err) < 0)
		return -1;
	w->l.fp = w->m.fp;
	return 0;
}

/* Reads the next row and writes its record to w->x.ex; 1, 0 at end, -1. */
static int
rows_next(struct rows *w, struct dss_err *err)
{
	int rc;

	rc = dss_jsonl_scan(&w->l, &w->x.js, err);
	if (rc < 0) {
		if (ferror(w->m.fp))
			return member_error(&w->m, err);
		return dss_err_prefix(err, "'%s'", w->m.name);
	}
	if (rc == 0)
		return 0;
	w->index = w->count;
	if (example_text(&w->x, w->r, &w->r->g, w->d, w->s, splits[w->s],
	    w->index, &w->x.ex, err) < 0)
		return dss_err_prefix(err, "'%s': line %lu", w->m.name,
		    w->l.lineno);
	w->count++;
	return 1;
}

static void
rows_close(struct rows *w)
{
	scratch_free(&w->x);
	dss_lines_free(&w->l);
	member_close(&w->m);
}

/* Counts the strings of one batch file, checking its syntax. */
static int
count_batch(struct dss_release *r, struct member *m, const struct ref *ref,
    long long *n, struct dss_err *err)
{
	struct dss_jstrings j = DSS_JSTRINGS_INIT(NULL);
	int rc;

	if (member_open(r, m, ref, err) < 0)
		return -1;
	j.fp = m->fp;
	while ((rc = dss_jstrings_next(&j, err)) == 1)
		;
	*n = j.count;
	dss_jstrings_free(&j);
	if (rc < 0)
		return ferror(m->fp) ? member_error(m, err) :
		    dss_err_prefix(err, "'%s'", ref->name);
	return 0;
}

static int
check_split(struct dss_release *r, size_t d, int s, int what,
    struct dss_err *err)
{
	struct split_index *si = &r->set[d].idx[s];
	struct member bm = MEMBER_INIT;
	struct rows w;
	long long n, nb, b, got, want, B = r->g.v[d].form.batch;
	int rc = -1, k;

	if (rows_open(&w, r, d, s, err) < 0)
		goto out;
	while ((k = rows_next(&w, err)) == 1)
		;
	if (k < 0)
		goto out;
	n = w.count;
	rows_close(&w);
	if (!(what & DSS_RELEASE_COMPLETIONS)) {
		rc = 0;
		goto out;
	}
	nb = (n + B - 1) / B;
	for (b = 0; b < nb || (size_t)b < si->nbatches; b++) {
		want = b < nb ? (b + 1 < nb ? B : n - b * B) : 0;
		if ((size_t)b >= si->nbatches || si->batches[b].name == NULL) {
			if (want == 0)
				continue;
			dss_err_set(err, "no member 'datasets/%s/llm/%s_CoT_%lld.json' "
			    "in '%s': expected %lld completions", r->g.v[d].m->name,
			    splits[s], b, r->path, want);
			goto out;
		}
		if (count_batch(r, &bm, &si->batches[b], &got, err) < 0)
			goto out;
		if (got != want) {
			dss_err_set(err, "'%s': %lld completions, expected %lld",
			    si->batches[b].name, got, want);
			goto out;
		}
	}
	rc = 0;
out:
	rows_close(&w);
	member_close(&bm);
	return rc;
}

/*
 * Reads on in batch cur: with want 1 the next completion must follow
 * (into j->s), with want 0 the batch must end.  Returns 0 or -1.
 */
static int
batch_step(struct member *bm, struct dss_jstrings *j, const struct ref *cur,
    int want, struct dss_err *err)
{
	int k = dss_jstrings_next(j, err);

	if (k == want)
		return 0;
	if (k < 0 && ferror(bm->fp))
		return member_error(bm, err);
	if (k < 0)
		return dss_err_prefix(err, "'%s'", cur->name);
	return dss_err_set(err, "'%s': completions do not line up with the "
	    "examples", cur->name);
}

static int
emit_split(struct dss_release *r, size_t d, int s, int what,
    dss_release_emit_fn *emit, void *arg, struct dss_err *err)
{
	struct split_index *si = &r->set[d].idx[s];
	struct member bm = MEMBER_INIT;
	struct dss_jstrings j = DSS_JSTRINGS_INIT(NULL);
	long long n, B = r->g.v[d].form.batch;
	const struct ref *cur = NULL;
	struct rows w;
	struct scratch *x = &w.x;
	int rc = -1, k;

	if (rows_open(&w, r, d, s, err) < 0)
		goto out;
	while ((k = rows_next(&w, err)) == 1) {
		n = w.index;
		if (what & DSS_RELEASE_EXAMPLES) {
			int e;

			if (dss_buf_addch(&x->ex, '\n') < 0) {
				nomem(err);
				goto out;
			}
			e = emit(arg, x->ex.data, x->ex.len, err);
			dss_buf_truncate(&x->ex, x->ex.len - 1);
			if (e < 0)
				goto out;
		}
		if (what & DSS_RELEASE_COMPLETIONS) {
			long long b = n / B;

			if (n % B == 0) {
				if (cur != NULL &&
				    batch_step(&bm, &j, cur, 0, err) < 0)
					goto out;
				if ((size_t)b >= si->nbatches ||
				    si->batches[b].name == NULL) {
					dss_err_set(err, "no member "
					    "'datasets/%s/llm/%s_CoT_%lld.json' in '%s'",
					    r->g.v[d].m->name, splits[s], b, r->path);
					goto out;
				}
				cur = &si->batches[b];
				if (member_open(r, &bm, cur, err) < 0)
					goto out;
				r->repaired += j.repaired;
				dss_jstrings_free(&j);
				j = (struct dss_jstrings)DSS_JSTRINGS_INIT(bm.fp);
			}
			if (batch_step(&bm, &j, cur, 1, err) < 0)
				goto out;
			/* The example was written: it becomes its completion. */
			if (completion_text(x->ex.data, x->ex.len, r->g.v[d].m->name,
			    splits[s], n, j.s.data, j.s.len, &x->out) < 0 ||
			    dss_buf_addch(&x->out, '\n') < 0) {
				nomem(err);
				goto out;
			}
			if (emit(arg, x->out.data, x->out.len, err) < 0)
				goto out;
		}
	}
	if (k < 0)
		goto out;
	if (cur != NULL && batch_step(&bm, &j, cur, 0, err) < 0)
		goto out;
	rc = 0;
out:
	r->repaired += j.repaired;
	rows_close(&w);
	dss_jstrings_free(&j);
	member_close(&bm);
	return rc;
}

unsigned long
dss_release_repaired(const struct dss_release *r)
{
	return r->repaired;
}

int
dss_release_run(struct dss_release *r, const struct dss_release_opts *o,
    dss_release_emit_fn *emit, void *arg, struct dss_err *err)
{
	int s, dsel = -1, ssel = -1, any = 0;
	size_t d;

	if (o->dataset != NULL &&
	    (dsel = find_in(&r->g, o->dataset, strlen(o->dataset))) < 0)
		return dss_err_set(err, "unknown dataset '%s'", o->dataset);
	if (o->split != NULL &&
	    (ssel = find_split(o->split, strlen(o->split))) < 0)
		return dss_err_set(err, "unknown split '%s'", o->split);
	if (dsel >= 0 && !r->set[dsel].found)
		return dss_err_set(err, "no dataset '%s' in '%s'", o->dataset,
		    r->path);
	for (d = 0; d < r->g.n; d++) {
		const char *name = r->g.v[d].m->name;

		if (!r->set[d].found || (dsel >= 0 && d != (size_t)dsel))
			continue;
		for (s = 0; s < NSPLITS; s++) {
			struct split_index *si = &r->set[d].idx[s];

			if ((ssel >= 0 && s != ssel) ||
			    r->g.v[d].form.batches[s] == 0)
				continue;
			any = 1;
			if (si->examples.name == NULL)
				return dss_err_set(err, "no member "
				    "'datasets/%s/%s_%s.json' in '%s'",
				    name, name, splits[s], r->path);
			if (problems_load(r, d, err) < 0)
				return -1;
			if (emit == NULL ?
			    check_split(r, d, s, o->what, err) < 0 :
			    emit_split(r, d, s, o->what, emit, arg, err) < 0)
				return -1;
		}
	}
	if (!any) {
		if (dsel >= 0)
			return dss_err_set(err, "dataset '%s' has no split '%s'",
			    o->dataset, o->split);
		if (ssel >= 0)
			return dss_err_set(err, "no dataset with split '%s' in '%s'",
			    o->split, r->path);
		return dss_err_set(err, "no datasets in '%s'", r->path);
	}
	return 0;
}
