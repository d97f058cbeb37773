/* SPDX-License-Identifier: MIT */
/*
 * Reading the official Distilling Step-by-Step release (datasets.zip or
 * its unpacked directory) as example and completion records: indexing the
 * members of the release layout, checking that the teacher's batch files
 * line up with the examples of each split, and building records that
 * follow the record contract.
 */
#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "archive.h"
#include "jscan.h"
#include "jsonl.h"
#include "mt19937.h"
#include "release.h"
#include "sha256.h"

#define NDATASETS 4
#define NSPLITS 3
#define MAX_BATCHES 100000	/* far above the 100 of esnli train */
#define SVAMP_JSON_MAX ((size_t)64 << 20)	/* the real one is 340 kB */
#define SVAMP_TRAIN 800		/* the official code's cut */

static const char *const splits[NSPLITS] = { "train", "valid", "test" };

/*
 * The official loaders: batch files per split (esnli's full training set,
 * not its "small" one), and the answer sentence each one's parser splits
 * a completion at: esnli "Answer: ", anli1 "So the answer is" with the
 * last character (the full stop) dropped, cqa "So the answer is" then the
 * text after a "(x)" letter, svamp "The answer is" then the outermost
 * parentheses.  cqa and anli1 cut at "Q:" and "Premise:" first, svamp at
 * "Q:".  cqa's parser fails outright on a completion without "So the
 * answer is", hence its blank.
 */
static const struct dss_release_form datasets[NDATASETS] = {
	{ "esnli", 5500, { 100, 2, 2 }, "{rationale}\nAnswer: {answer}", "",
	    { "Answer:", NULL } },
	{ "anli1", 5000, { 4, 1, 1 }, "{rationale} So the answer is {answer}.", "",
	    { "Premise:", "So the answer is", NULL } },
	{ "cqa", 1000, { 10, 0, 2 },
	    "{rationale} So the answer is ({answer_key:lower}) {answer}.",
	    "So the answer is", { "Q:", "So the answer is", NULL } },
	{ "svamp", 500, { 2, 0, 1 }, "{rationale} The answer is ({answer}).", "",
	    { "Q:", "The answer is", NULL } },
};

static const char *const nli_labels[3] = {
	"entailment", "neutral", "contradiction"
};

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

struct dss_release {
	char *path;		/* as given, for messages */
	char *root;		/* directory mode: the datasets directory */
	int found[NDATASETS];	/* any member under datasets/DS/ */
	struct split_index idx[NDATASETS][NSPLITS];
	struct ref svamp_ref;	/* datasets/svamp/SVAMP.json */
	cJSON *svamp;		/* its problems, once loaded */
	size_t *svamp_perm;	/* RandomState(0).permutation of them */
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
find_dataset(const char *name, size_t len)
{
	int i;

	for (i = 0; i < NDATASETS; i++)
		if (strlen(datasets[i].name) == len &&
		    memcmp(datasets[i].name, name, len) == 0)
			return i;
	return -1;
}

static int
find_split(const char *name, size_t len)
{
	int i;

	for (i = 0; i < NSPLITS; i++)
		if (strlen(splits[i]) == len && memcmp(splits[i], name, len) == 0)
			return i;
	return -1;
}

int
dss_release_dataset_known(const char *name)
{
	return find_dataset(name, strlen(name)) >= 0;
}

int
dss_release_split_known(const char *name)
{
	return find_split(name, strlen(name)) >= 0;
}

int
dss_release_has_split(const char *dataset, const char *split)
{
	int d = find_dataset(dataset, strlen(dataset));
	int s = find_split(split, strlen(split));

	if (d < 0 || s < 0)
		return 0;
	return s != 1 || datasets[d].batches[1] > 0;
}

const struct dss_release_form *
dss_release_form(const char *dataset)
{
	int d = find_dataset(dataset, strlen(dataset));

	return d < 0 ? NULL : &datasets[d];
}

const char *
dss_release_split_name(int s)
{
	return s >= 0 && s < NSPLITS ? splits[s] : "?";
}

long
dss_release_batch_size(const char *dataset)
{
	int d = find_dataset(dataset, strlen(dataset));

	return d < 0 ? 0 : datasets[d].batch;
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
	if ((d = find_dataset(p, dlen)) < 0)
		return 0;
	r->found[d] = 1;
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
		si = &r->idx[d][s];
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
	if (strcmp(rest, "SVAMP.json") == 0 && strcmp(datasets[d].name, "svamp") == 0)
		return set_ref(&r->svamp_ref, name, ord, err);
	/* DS_SPLIT.json directly under datasets/DS/ */
	if (strchr(rest, '/') != NULL || strncmp(rest, p, dlen) != 0 ||
	    rest[dlen] != '_')
		return 0;
	base = rest + dlen + 1;
	blen = strlen(base);
	if (blen < 6 || strcmp(base + blen - 5, ".json") != 0 ||
	    (s = find_split(base, blen - 5)) < 0)
		return 0;
	return set_ref(&r->idx[d][s].examples, name, ord, err);
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
	char sub[64];
	int d;

	for (d = 0; d < NDATASETS; d++) {
		snprintf(sub, sizeof(sub), "%s", datasets[d].name);
		if (index_dir(r, sub, err) < 0)
			return -1;
		snprintf(sub, sizeof(sub), "%s/llm", datasets[d].name);
		if (index_dir(r, sub, err) < 0)
			return -1;
	}
	return 0;
}

struct dss_release *
dss_release_open(const char *path, struct dss_err *err)
{
	struct dss_release *r;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->path = strdup(path)) == NULL) {
		dss_err_errno(err, errno, "cannot open '%s'", path);
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
	int d, s;
	size_t i;

	if (r == NULL)
		return;
	for (d = 0; d < NDATASETS; d++)
		for (s = 0; s < NSPLITS; s++) {
			struct split_index *si = &r->idx[d][s];

			free(si->examples.name);
			for (i = 0; i < si->nbatches; i++)
				free(si->batches[i].name);
			free(si->batches);
		}
	free(r->svamp_ref.name);
	cJSON_Delete(r->svamp);
	free(r->svamp_perm);
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

/*
 * A number as cJSON_PrintUnformatted writes it: an integral value in the
 * range of an int as such, else 15 significant digits when they read
 * back as the value (to within a relative DBL_EPSILON), else 17.
 */
static int
put_number(struct dss_buf *out, double d)
{
	char num[64];
	double back;
	int vi = d >= (double)INT_MAX ? INT_MAX : d <= (double)INT_MIN ?
	    INT_MIN : (int)d;

	if (isnan(d) || isinf(d))
		return dss_buf_adds(out, "null");
	if (d == (double)vi)
		snprintf(num, sizeof(num), "%d", vi);
	else {
		double most;

		snprintf(num, sizeof(num), "%1.15g", d);
		back = strtod(num, NULL);
		most = fabs(back) > fabs(d) ? fabs(back) : fabs(d);
		if (!(fabs(back - d) <= most * DBL_EPSILON))
			snprintf(num, sizeof(num), "%1.17g", d);
	}
	return dss_buf_adds(out, num);
}

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

/* The label of an NLI row: 0, 1, 2, a label name or its initial. */
static const char *
nli_label(const struct dss_jscan *js, struct dss_buf *t, struct dss_err *err)
{
	const struct dss_jscan_member *m = dss_jscan_get(js, "label");
	int i;

	if (m == NULL) {
		dss_err_set(err, "field 'label' is missing");
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
		for (i = 0; i < 3; i++)
			if (v == (double)i)
				return nli_labels[i];
	} else if (m->type == DSS_JSCAN_STRING) {
		if (decode(m, t) < 0) {
			nomem(err);
			return NULL;
		}
		for (i = 0; i < 3; i++)
			if (strcmp(t->data, nli_labels[i]) == 0 ||
			    (t->data[0] == nli_labels[i][0] && t->data[1] == '\0'))
				return nli_labels[i];
	}
	dss_err_set(err, "field 'label' is not 0, 1 or 2");
	return NULL;
}

static int
build_nli(struct scratch *x, int d, struct dss_buf *out, struct dss_err *err)
{
	const struct dss_jscan *js = &x->js;
	const struct dss_jscan_member *premise, *hypothesis, *id, *reason = NULL;
	static const char *const explanation[3] = {
		"explanation_1", "explanation_2", "explanation_3"
	};
	const struct dss_jscan_member *ex[3];
	const char *label;
	int i, n = 0;

	if ((premise = req_str(js, "premise", err)) == NULL ||
	    (hypothesis = req_str(js, "hypothesis", err)) == NULL ||
	    (label = nli_label(js, &x->t[0], err)) == NULL ||
	    opt_str(js, d == 0 ? "pairID" : "uid", &id, err) < 0 ||
	    (d != 0 && opt_str(js, "reason", &reason, err) < 0))
		return -1;
	for (i = 1; d == 0 && i <= 3; i++) {
		if (opt_str(js, explanation[i - 1], &ex[n], err) < 0)
			return -1;
		if (ex[n] != NULL && ex[n]->vallen > 2)	/* not "" */
			n++;
	}
	if (put_key(out, "input") < 0 || dss_buf_addch(out, '"') < 0 ||
	    put_inner(out, premise, &x->t[0]) < 0 ||
	    dss_buf_adds(out, "</s>") < 0 ||
	    put_inner(out, hypothesis, &x->t[0]) < 0 ||
	    dss_buf_addch(out, '"') < 0 ||
	    put_key_str(out, "label", label) < 0 ||
	    put_key(out, "fields") < 0 || dss_buf_addch(out, '{') < 0 ||
	    put_key_member(out, "premise", premise, &x->t[0]) < 0 ||
	    put_key_member(out, "hypothesis", hypothesis, &x->t[0]) < 0 ||
	    (id != NULL && put_key_member(out, "source_id", id, &x->t[0]) < 0))
		return nomem(err);
	if (d == 0) {
		if (put_key(out, "explanations") < 0 || dss_buf_addch(out, '[') < 0)
			return nomem(err);
		for (i = 0; i < n; i++)
			if ((i > 0 && dss_buf_addch(out, ',') < 0) ||
			    put_string(out, ex[i], &x->t[0]) < 0)
				return nomem(err);
		if (dss_buf_addch(out, ']') < 0)
			return nomem(err);
	}
	if ((reason != NULL && put_key_member(out, "reason", reason, &x->t[0]) < 0) ||
	    dss_buf_addch(out, '}') < 0)
		return nomem(err);
	return 0;
}

static int
build_cqa(struct scratch *x, struct dss_buf *out, struct dss_err *err)
{
	static const char *const lead[5] = {
		"\\nAnswer Choices:\\n(a) ", "\\n(b) ", "\\n(c) ", "\\n(d) ",
		"\\n(e) "
	};
	const struct dss_jscan *js = &x->js;
	const struct dss_jscan_member *question, *answer, *id, *choices;
	const struct dss_jscan_member *c[5];
	char letter[2] = { 0, 0 };
	int i, key = -1;

	if ((question = req_str(js, "question", err)) == NULL)
		return -1;
	if ((choices = dss_jscan_get(js, "choices")) == NULL)
		return dss_err_set(err, "field 'choices' is missing");
	if (choices->type != DSS_JSCAN_ARRAY ||
	    dss_jscan_array(&x->sub, choices->val, choices->vallen, err) < 0 ||
	    x->sub.n != 5)
		return dss_err_set(err, "field 'choices' is not an array of 5 strings");
	for (i = 0; i < 5; i++) {
		c[i] = &x->sub.m[i];
		if (c[i]->type != DSS_JSCAN_STRING)
			return dss_err_set(err, "field 'choices' is not an array "
			    "of 5 strings");
	}
	if ((answer = req_str(js, "answer", err)) == NULL ||
	    opt_str(js, "id", &id, err) < 0)
		return -1;
	if (decode(answer, &x->t[5]) < 0)
		return nomem(err);
	for (i = 0; i < 5; i++) {
		if (decode(c[i], &x->t[i]) < 0)
			return nomem(err);
		if (strcmp(x->t[i].data, x->t[5].data) == 0)
			key = key == -1 ? i : -2;	/* -2: ambiguous */
	}
	if (key >= 0)
		letter[0] = (char)('A' + key);
	if (put_key(out, "input") < 0 || dss_buf_addch(out, '"') < 0 ||
	    put_inner(out, question, &x->t[6]) < 0)
		return nomem(err);
	for (i = 0; i < 5; i++)
		if (dss_buf_adds(out, lead[i]) < 0 ||
		    put_inner(out, c[i], &x->t[6]) < 0)
			return nomem(err);
	if (dss_buf_addch(out, '"') < 0 ||
	    put_key_member(out, "label", answer, &x->t[6]) < 0 ||
	    put_key(out, "fields") < 0 || dss_buf_addch(out, '{') < 0 ||
	    put_key_member(out, "question", question, &x->t[6]) < 0 ||
	    put_key(out, "choices") < 0 || dss_buf_addch(out, '[') < 0)
		return nomem(err);
	for (i = 0; i < 5; i++)
		if ((i > 0 && dss_buf_addch(out, ',') < 0) ||
		    put_string(out, c[i], &x->t[6]) < 0)
			return nomem(err);
	if (dss_buf_addch(out, ']') < 0 ||
	    (key >= 0 && put_key_str(out, "answer_key", letter) < 0) ||
	    (id != NULL && put_key_member(out, "source_id", id, &x->t[6]) < 0) ||
	    dss_buf_addch(out, '}') < 0)
		return nomem(err);
	return 0;
}

/*
 * The fields of an svamp example from its own input and label: body and
 * question split at the last newline, and the equation.
 */
static int
svamp_fields(const char *input, size_t ilen, const char *label, size_t llen,
    struct dss_buf *out)
{
	const char *nl = NULL, *p;

	for (p = input; p < input + ilen; p++)
		if (*p == '\n')
			nl = p;

	if (put_key(out, "fields") < 0 || dss_buf_addch(out, '{') < 0)
		return -1;
	if (nl != NULL && (put_key(out, "body") < 0 ||
	    dss_jscan_quote(out, input, (size_t)(nl - input)) < 0 ||
	    put_key(out, "question") < 0 ||
	    dss_jscan_quote(out, nl + 1, ilen - (size_t)(nl + 1 - input)) < 0))
		return -1;
	if (put_key(out, "equation") < 0 ||
	    dss_jscan_quote(out, label, llen) < 0)
		return -1;
	return dss_buf_addch(out, '}');
}

/* An svamp problem's string field, or NULL. */
static const char *
problem_str(const cJSON *p, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(p, name);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

/*
 * The fields of svamp example (split s, at index) from its SVAMP.json
 * problem: the official code put problem permutation[index] at train
 * index and permutation[800 + index] at test index.  The problem must be
 * the same text and equation.
 */
static int
svamp_problem(const struct dss_release *r, int s, long long index,
    const char *input, const char *label, struct dss_buf *out,
    struct dss_err *err)
{
	long long k = s == 0 ? index : SVAMP_TRAIN + index;
	const char *body, *question, *equation, *type, *id;
	const cJSON *p, *answer;
	size_t blen;

	if ((s == 0 && k >= SVAMP_TRAIN) || k >= cJSON_GetArraySize(r->svamp))
		return dss_err_set(err, "no problem for it in '%s'",
		    r->svamp_ref.name);
	p = cJSON_GetArrayItem(r->svamp, (int)r->svamp_perm[k]);
	body = problem_str(p, "Body");
	question = problem_str(p, "Question");
	equation = problem_str(p, "Equation");
	answer = cJSON_GetObjectItemCaseSensitive(p, "Answer");
	type = problem_str(p, "Type");
	id = problem_str(p, "ID");
	if (body == NULL || question == NULL || equation == NULL ||
	    strncmp(input, body, blen = strlen(body)) != 0 ||
	    input[blen] != '\n' || strcmp(input + blen + 1, question) != 0 ||
	    strcmp(label, equation) != 0)
		return dss_err_set(err, "differs from problem %zu of '%s', which "
		    "the official split puts at %s index %lld", r->svamp_perm[k],
		    r->svamp_ref.name, splits[s], index);
	if (put_key(out, "fields") < 0 || dss_buf_addch(out, '{') < 0 ||
	    put_key_str(out, "body", body) < 0 ||
	    put_key_str(out, "question", question) < 0 ||
	    put_key_str(out, "equation", equation) < 0 ||
	    (cJSON_IsNumber(answer) && (put_key(out, "answer") < 0 ||
	    put_number(out, answer->valuedouble) < 0)) ||
	    (type != NULL && put_key_str(out, "type", type) < 0) ||
	    (id != NULL && put_key_str(out, "source_id", id) < 0) ||
	    dss_buf_addch(out, '}') < 0)
		return nomem(err);
	return 0;
}

/*
 * svamp: the input and the label as they are, then the fields, from
 * SVAMP.json's problem when r has it loaded (r may be NULL).
 */
static int
build_svamp(struct scratch *x, const struct dss_release *r, int s,
    long long index, struct dss_buf *out, struct dss_err *err)
{
	const struct dss_jscan_member *input, *label;
	struct dss_buf *in = &x->t[0], *lb = &x->t[1];

	if ((input = req_str(&x->js, "input", err)) == NULL ||
	    (label = req_str(&x->js, "label", err)) == NULL)
		return -1;
	if (decode(input, in) < 0 || decode(label, lb) < 0 ||
	    put_key(out, "input") < 0 || dss_jscan_quote(out, in->data, in->len) < 0 ||
	    put_key(out, "label") < 0 || dss_jscan_quote(out, lb->data, lb->len) < 0)
		return nomem(err);
	if (r != NULL && r->svamp != NULL)
		return svamp_problem(r, s, index, in->data, lb->data, out, err);
	if (svamp_fields(in->data, in->len, lb->data, lb->len, out) < 0)
		return nomem(err);
	return 0;
}

/*
 * Writes the example record of the row scanned into x->js (split s of
 * dataset d, at index) to out, replacing what it held.  r, when not
 * NULL, gives svamp its SVAMP.json problems.
 */
static int
example_text(struct scratch *x, const struct dss_release *r, int d, int s,
    const char *split, long long index, struct dss_buf *out,
    struct dss_err *err)
{
	char num[32], num6[32];
	int rc;

	decimal(num, index, 1);
	decimal(num6, index, 6);
	dss_buf_reset(out);
	/* The id is DATASET-SPLIT-INDEX, the index in six digits at least. */
	if (dss_buf_addch(out, '{') < 0 ||
	    put_key_str(out, "dataset", datasets[d].name) < 0 ||
	    put_key_str(out, "split", split) < 0 ||
	    put_key(out, "id") < 0 || dss_buf_addch(out, '"') < 0 ||
	    dss_jscan_escape(out, datasets[d].name, strlen(datasets[d].name)) < 0 ||
	    dss_buf_addch(out, '-') < 0 ||
	    dss_jscan_escape(out, split, strlen(split)) < 0 ||
	    dss_buf_addch(out, '-') < 0 || dss_buf_adds(out, num6) < 0 ||
	    dss_buf_addch(out, '"') < 0 ||
	    put_key(out, "index") < 0 || dss_buf_adds(out, num) < 0)
		return nomem(err);
	/* The builders add input, label and the fields, and close the record. */
	if (d <= 1)
		rc = build_nli(x, d, out, err);
	else if (d == 2)
		rc = build_cqa(x, out, err);
	else
		rc = build_svamp(x, r, s, index, out, err);
	if (rc == 0 && dss_buf_addch(out, '}') < 0)
		rc = nomem(err);
	return rc;
}

int
dss_release_example(const char *dataset, const char *split, long long index,
    const char *row, size_t len, struct dss_buf *out, struct dss_err *err)
{
	int d = find_dataset(dataset, strlen(dataset)), rc = -1;
	struct scratch x;
	struct dss_buf rec = DSS_BUF_INIT;

	if (d < 0)
		return dss_err_set(err, "unknown dataset '%s'", dataset);
	scratch_init(&x);
	if (dss_jscan_object(&x.js, row, len, err) == 0 &&
	    example_text(&x, NULL, d, -1, split, index, &rec, err) == 0)
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

/* Adds key: [v[0], ..., v[n-1]] to obj, or fails with "out of memory". */
static int
add_strs(cJSON *obj, const char *key, const char *const *v, int n,
    struct dss_err *err)
{
	cJSON *arr = cJSON_CreateStringArray(v, n);

	if (arr == NULL)
		return dss_err_set(err, "out of memory");
	cJSON_AddItemToObject(obj, key, arr);	/* takes ownership */
	return 0;
}

/* fields.name of an example as a string, "" when absent or not a string. */
static const char *
field_str(const cJSON *fields, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(fields, name);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* Adds key: n to obj, or fails with "out of memory". */
static int
add_num(cJSON *obj, const char *key, double n, struct dss_err *err)
{
	if (cJSON_AddNumberToObject(obj, key, n) == NULL)
		return dss_err_set(err, "out of memory");
	return 0;
}

static int
row_nli(int d, const cJSON *ex, const cJSON *fields, cJSON *row,
    struct dss_err *err)
{
	const char *label = dss_json_str(ex, "label", err);
	const cJSON *expl = cJSON_GetObjectItemCaseSensitive(fields,
	    "explanations");
	char key[32];
	int i, k = -1;

	if (label == NULL)
		return -1;
	for (i = 0; i < 3; i++)
		if (strcmp(label, nli_labels[i]) == 0)
			k = i;
	if (k < 0)
		return dss_err_set(err, "field 'label' is not entailment, neutral "
		    "or contradiction");
	if ((d == 1 && add_str(row, "uid", field_str(fields, "source_id"),
	    err) < 0) ||
	    add_str(row, "premise", field_str(fields, "premise"), err) < 0 ||
	    add_str(row, "hypothesis", field_str(fields, "hypothesis"), err) < 0 ||
	    add_num(row, "label", k, err) < 0)
		return -1;
	if (d == 1)
		return add_str(row, "reason", field_str(fields, "reason"), err);
	for (i = 0; i < 3; i++) {
		const cJSON *e = cJSON_GetArrayItem(expl, i);

		snprintf(key, sizeof(key), "explanation_%d", i + 1);
		if (add_str(row, key, cJSON_IsString(e) ? e->valuestring : "",
		    err) < 0)
			return -1;
	}
	return 0;
}

static int
row_cqa(const cJSON *ex, const cJSON *fields, cJSON *row, struct dss_err *err)
{
	const cJSON *choices = cJSON_GetObjectItemCaseSensitive(fields, "choices");
	const char *c[5], *label;
	int i;

	for (i = 0; i < 5; i++) {
		const cJSON *it = cJSON_GetArrayItem(choices, i);

		if (!cJSON_IsArray(choices) || cJSON_GetArraySize(choices) != 5 ||
		    !cJSON_IsString(it))
			return dss_err_set(err, "field 'fields.choices' is not an "
			    "array of 5 strings");
		c[i] = it->valuestring;
	}
	if ((label = dss_json_str(ex, "label", err)) == NULL)
		return -1;
	if (add_str(row, "id", field_str(fields, "source_id"), err) < 0 ||
	    add_str(row, "question", field_str(fields, "question"), err) < 0 ||
	    add_strs(row, "choices", c, 5, err) < 0 ||
	    add_str(row, "answer", label, err) < 0 ||
	    add_str(row, "abstractive_explanation", "", err) < 0 ||
	    add_str(row, "extractive_explanation", "", err) < 0)
		return -1;
	return 0;
}

cJSON *
dss_release_row(const char *dataset, const cJSON *example, struct dss_err *err)
{
	int d = find_dataset(dataset, strlen(dataset)), rc = -1;
	const cJSON *fields = cJSON_GetObjectItemCaseSensitive(example, "fields");
	const char *input, *label;
	cJSON *row;

	if (d < 0) {
		dss_err_set(err, "unknown dataset '%s'", dataset);
		return NULL;
	}
	if ((row = cJSON_CreateObject()) == NULL) {
		dss_err_set(err, "out of memory");
		return NULL;
	}
	if (d <= 1)
		rc = row_nli(d, example, fields, row, err);
	else if (d == 2)
		rc = row_cqa(example, fields, row, err);
	else if ((input = dss_json_str(example, "input", err)) != NULL &&
	    (label = dss_json_str(example, "label", err)) != NULL)
		rc = add_str(row, "input", input, err) < 0 ||
		    add_str(row, "label", label, err) < 0 ? -1 : 0;
	if (rc < 0) {
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

/* Gives back the byte (not EOF) that jnext just returned. */
static void
junget(struct dss_jstrings *j)
{
	j->bpos--;
	j->offset--;
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

static int
hex4(struct dss_jstrings *j, unsigned long *out, struct dss_err *err)
{
	unsigned long v = 0;
	int i, c;

	for (i = 0; i < 4; i++) {
		c = jnext(j);
		if (c >= '0' && c <= '9')
			v = v * 16 + (unsigned long)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (unsigned long)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (unsigned long)(c - 'A' + 10);
		else
			return jerr(j, c, "invalid \\u escape", err);
	}
	*out = v;
	return 0;
}

#define REPLACEMENT 0xFFFDUL

/*
 * Reads a string body after its opening quote into j->s.  The text is a
 * teacher's: what is not valid UTF-8, and escapes of NUL or of a lone
 * surrogate, become U+FFFD (counted in j->repaired), never an error.
 */
static int
jstring(struct dss_jstrings *j, struct dss_err *err)
{
	unsigned long cp, lo;
	size_t bad = 0;
	int c, replaced = 0;

	dss_buf_reset(&j->s);
	for (;;) {
		c = jnext(j);
		if (c == '"') {
			if (dss_utf8_repair(&j->s, &bad) < 0)
				goto nomem;
			j->repaired += bad > 0 || replaced;
			return 0;
		}
		if (c == EOF)
			return jerr(j, c, "unterminated string", err);
		if (c < 0x20)
			return jerr(j, c, "control character in string", err);
		if (c != '\\') {
			/* Plain bytes: c and the run after it in the block. */
			size_t n = dss_jscan_plain(j->blk + j->bpos, j->bend - j->bpos);

			if (dss_buf_addch_fast(&j->s, (char)c) < 0 ||
			    dss_buf_add_fast(&j->s, j->blk + j->bpos, n) < 0)
				goto nomem;
			j->bpos += n;
			j->offset += n;
			continue;
		}
		c = jnext(j);
escape:
		switch (c) {
		case '"': case '\\': case '/':
			break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u':
			if (hex4(j, &cp, err) < 0)
				return -1;
surrogate:
			if (cp >= 0xDC00 && cp <= 0xDFFF) {
				cp = REPLACEMENT;
				replaced = 1;
			}
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				c = jnext(j);
				if (c != '\\') {
					replaced = 1;
					if (dss_buf_add_utf8(&j->s, REPLACEMENT) < 0)
						goto nomem;
					if (c != EOF)
						junget(j);
					continue;
				}
				c = jnext(j);
				if (c != 'u') {
					replaced = 1;
					if (dss_buf_add_utf8(&j->s, REPLACEMENT) < 0)
						goto nomem;
					goto escape;
				}
				if (hex4(j, &lo, err) < 0)
					return -1;
				if (lo < 0xDC00 || lo > 0xDFFF) {
					replaced = 1;
					if (dss_buf_add_utf8(&j->s, REPLACEMENT) < 0)
						goto nomem;
					cp = lo;
					goto surrogate;
				}
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			}
			if (cp == 0) {
				cp = REPLACEMENT;	/* records are C strings */
				replaced = 1;
			}
			if (dss_buf_add_utf8(&j->s, cp) < 0)
				goto nomem;
			continue;
		default:
			return jerr(j, c, "invalid escape", err);
		}
		if (dss_buf_addch(&j->s, c) < 0)
			goto nomem;
	}
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
	free(j->blk);
	j->blk = NULL;
	j->bpos = j->bend = 0;
}

/* ---- svamp: the fields SVAMP.json adds ---- */

/*
 * Loads datasets/svamp/SVAMP.json, when the release has it, and the
 * official permutation of its problems, once.
 */
static int
svamp_load(struct dss_release *r, struct dss_err *err)
{
	struct member m = MEMBER_INIT;
	struct dss_buf b = DSS_BUF_INIT;
	char chunk[65536];
	const char *doc;
	size_t n, i, len;
	int rc = -1;

	if (r->svamp != NULL || r->svamp_ref.name == NULL)
		return 0;
	b.max = SVAMP_JSON_MAX;
	if (member_open(r, &m, &r->svamp_ref, err) < 0)
		goto out;
	while ((n = fread(chunk, 1, sizeof(chunk), m.fp)) > 0)
		if (dss_buf_add(&b, chunk, n) < 0) {
			dss_err_set(err, "'%s': longer than %zu bytes",
			    m.name, SVAMP_JSON_MAX);
			goto out;
		}
	if (ferror(m.fp)) {
		dss_err_set(err, "read error");
		member_error(&m, err);
		goto out;
	}
	doc = b.data;
	len = b.len;
	if (dss_jscan_document(&doc, &len, err) < 0) {
		dss_err_prefix(err, "'%s'", m.name);
		goto out;
	}
	r->svamp = cJSON_ParseWithLength(doc, len);
	if (!cJSON_IsArray(r->svamp)) {
		dss_err_set(err, "'%s': not a JSON array", m.name);
		goto out;
	}
	n = (size_t)cJSON_GetArraySize(r->svamp);
	if ((r->svamp_perm = calloc(n ? n : 1, sizeof(size_t))) == NULL) {
		dss_err_errno(err, errno, "'%s'", m.name);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (!cJSON_IsObject(cJSON_GetArrayItem(r->svamp, (int)i))) {
			dss_err_set(err, "'%s': element %zu is not an object",
			    m.name, i);
			goto out;
		}
	dss_mt19937_permutation(0, r->svamp_perm, n);
	rc = 0;
out:
	if (rc < 0) {
		cJSON_Delete(r->svamp);
		r->svamp = NULL;
		free(r->svamp_perm);
		r->svamp_perm = NULL;
	}
	member_close(&m);
	dss_buf_free(&b);
	return rc;
}

/* ---- checking and emitting a split ---- */

/*
 * Reads the next example row of m and writes its record to x->ex; 1, 0
 * at end, -1.
 */
static int
next_example(struct dss_release *r, int d, int s, struct member *m,
    struct dss_lines *l, long long index, struct scratch *x,
    struct dss_err *err)
{
	int rc;

	rc = dss_jsonl_scan(l, &x->js, err);
	if (rc < 0) {
		if (ferror(m->fp))
			return member_error(m, err);
		return dss_err_prefix(err, "'%s'", m->name);
	}
	if (rc == 0)
		return 0;
	if (example_text(x, r, d, s, splits[s], index, &x->ex, err) < 0)
		return dss_err_prefix(err, "'%s': line %lu", m->name, l->lineno);
	return 1;
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
check_split(struct dss_release *r, int d, int s, int what,
    struct dss_err *err)
{
	struct split_index *si = &r->idx[d][s];
	struct member em = MEMBER_INIT, bm = MEMBER_INIT;
	struct dss_lines l = DSS_LINES_INIT(NULL, si->examples.name);
	long long n = 0, nb, b, got, want, B = datasets[d].batch;
	struct scratch x;
	int rc = -1, k;

	scratch_init(&x);
	if (member_open(r, &em, &si->examples, err) < 0)
		goto out;
	l.fp = em.fp;
	while ((k = next_example(r, d, s, &em, &l, n, &x, err)) == 1)
		n++;
	if (k < 0)
		goto out;
	member_close(&em);
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
			    "in '%s': expected %lld completions", datasets[d].name,
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
	scratch_free(&x);
	dss_lines_free(&l);
	member_close(&em);
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
emit_split(struct dss_release *r, int d, int s, int what,
    dss_release_emit_fn *emit, void *arg, struct dss_err *err)
{
	struct split_index *si = &r->idx[d][s];
	struct member em = MEMBER_INIT, bm = MEMBER_INIT;
	struct dss_lines l = DSS_LINES_INIT(NULL, si->examples.name);
	struct dss_jstrings j = DSS_JSTRINGS_INIT(NULL);
	long long n = 0, B = datasets[d].batch;
	const struct ref *cur = NULL;
	struct scratch x;
	int rc = -1, k;

	scratch_init(&x);
	if (member_open(r, &em, &si->examples, err) < 0)
		goto out;
	l.fp = em.fp;
	while ((k = next_example(r, d, s, &em, &l, n, &x, err)) == 1) {
		if (what & DSS_RELEASE_EXAMPLES) {
			int e;

			if (dss_buf_addch(&x.ex, '\n') < 0) {
				nomem(err);
				goto out;
			}
			e = emit(arg, x.ex.data, x.ex.len, err);
			dss_buf_truncate(&x.ex, x.ex.len - 1);
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
					    datasets[d].name, splits[s], b, r->path);
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
			if (completion_text(x.ex.data, x.ex.len, datasets[d].name,
			    splits[s], n, j.s.data, j.s.len, &x.out) < 0 ||
			    dss_buf_addch(&x.out, '\n') < 0) {
				nomem(err);
				goto out;
			}
			if (emit(arg, x.out.data, x.out.len, err) < 0)
				goto out;
		}
		n++;
	}
	if (k < 0)
		goto out;
	if (cur != NULL && batch_step(&bm, &j, cur, 0, err) < 0)
		goto out;
	rc = 0;
out:
	r->repaired += j.repaired;
	scratch_free(&x);
	dss_jstrings_free(&j);
	dss_lines_free(&l);
	member_close(&em);
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
	int d, s, dsel = -1, ssel = -1, any = 0;

	if (o->dataset != NULL &&
	    (dsel = find_dataset(o->dataset, strlen(o->dataset))) < 0)
		return dss_err_set(err, "unknown dataset '%s'", o->dataset);
	if (o->split != NULL &&
	    (ssel = find_split(o->split, strlen(o->split))) < 0)
		return dss_err_set(err, "unknown split '%s'", o->split);
	if (dsel >= 0 && !r->found[dsel])
		return dss_err_set(err, "no dataset '%s' in '%s'", o->dataset,
		    r->path);
	for (d = 0; d < NDATASETS; d++) {
		if (!r->found[d] || (dsel >= 0 && d != dsel))
			continue;
		for (s = 0; s < NSPLITS; s++) {
			struct split_index *si = &r->idx[d][s];

			if ((ssel >= 0 && s != ssel) ||
			    (s == 1 && !(datasets[d].batches[1] > 0)))
				continue;
			any = 1;
			if (si->examples.name == NULL)
				return dss_err_set(err, "no member "
				    "'datasets/%s/%s_%s.json' in '%s'",
				    datasets[d].name, datasets[d].name, splits[s],
				    r->path);
			if (d == 3 && svamp_load(r, err) < 0)
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
