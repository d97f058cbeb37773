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
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

void
dss_release_request(const char *teacher, const char *dataset,
    const char *split, long long index, int sample, char out[65])
{
	char key[512];
	int n;

	n = snprintf(key, sizeof(key), "[\"%s\",\"%s\",\"%s\",%lld,%d]",
	    teacher, dataset, split, index, sample);
	if (n < 0 || (size_t)n >= sizeof(key))
		n = (int)strlen(key);
	dss_sha256_hex(key, (size_t)n, out);
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

/* ---- example records ---- */

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

/* An optional string field: NULL when absent or null, -1 when another type. */
static int
opt_str(const cJSON *row, const char *name, const char **out,
    struct dss_err *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(row, name);

	*out = NULL;
	if (it == NULL || cJSON_IsNull(it))
		return 0;
	if (!cJSON_IsString(it))
		return dss_err_set(err, "field '%s' is not a string", name);
	*out = it->valuestring;
	return 0;
}

/* The label of an NLI row: 0, 1, 2, a label name or its initial. */
static const char *
nli_label(const cJSON *row, struct dss_err *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(row, "label");
	int i;

	if (it == NULL) {
		dss_err_set(err, "field 'label' is missing");
		return NULL;
	}
	if (cJSON_IsNumber(it)) {
		for (i = 0; i < 3; i++)
			if (it->valuedouble == (double)i)
				return nli_labels[i];
	} else if (cJSON_IsString(it)) {
		for (i = 0; i < 3; i++)
			if (strcmp(it->valuestring, nli_labels[i]) == 0 ||
			    (it->valuestring[0] == nli_labels[i][0] &&
			    it->valuestring[1] == '\0'))
				return nli_labels[i];
	}
	dss_err_set(err, "field 'label' is not 0, 1 or 2");
	return NULL;
}

static int
build_nli(int d, const cJSON *row, cJSON *rec, cJSON *fields,
    struct dss_err *err)
{
	const char *premise, *hypothesis, *label, *id, *reason = NULL, *ex[3];
	struct dss_buf input = DSS_BUF_INIT;
	char key[32];
	int i, n = 0, rc = -1;

	if ((premise = dss_json_str(row, "premise", err)) == NULL ||
	    (hypothesis = dss_json_str(row, "hypothesis", err)) == NULL ||
	    (label = nli_label(row, err)) == NULL ||
	    opt_str(row, d == 0 ? "pairID" : "uid", &id, err) < 0 ||
	    (d != 0 && opt_str(row, "reason", &reason, err) < 0))
		goto out;
	for (i = 1; d == 0 && i <= 3; i++) {
		snprintf(key, sizeof(key), "explanation_%d", i);
		if (opt_str(row, key, &ex[n], err) < 0)
			goto out;
		if (ex[n] != NULL && ex[n][0] != '\0')
			n++;
	}
	if (dss_buf_addf(&input, "%s</s>%s", premise, hypothesis) < 0) {
		dss_err_errno(err, errno, "field 'premise'");
		goto out;
	}
	if (add_str(rec, "input", input.data, err) < 0 ||
	    add_str(rec, "label", label, err) < 0 ||
	    add_str(fields, "premise", premise, err) < 0 ||
	    add_str(fields, "hypothesis", hypothesis, err) < 0 ||
	    (id != NULL && add_str(fields, "source_id", id, err) < 0) ||
	    (d == 0 && add_strs(fields, "explanations", ex, n, err) < 0) ||
	    (reason != NULL && add_str(fields, "reason", reason, err) < 0))
		goto out;
	rc = 0;
out:
	dss_buf_free(&input);
	return rc;
}

static int
build_cqa(const cJSON *row, cJSON *rec, cJSON *fields, struct dss_err *err)
{
	const char *question, *answer, *id, *c[5];
	const cJSON *choices = cJSON_GetObjectItemCaseSensitive(row, "choices");
	struct dss_buf input = DSS_BUF_INIT;
	char letter[2] = { 0, 0 };
	int i, key = -1, rc = -1;

	if ((question = dss_json_str(row, "question", err)) == NULL)
		goto out;
	if (choices == NULL) {
		dss_err_set(err, "field 'choices' is missing");
		goto out;
	}
	for (i = 0; i < 5; i++) {
		const cJSON *it = cJSON_GetArrayItem(choices, i);

		if (!cJSON_IsArray(choices) || cJSON_GetArraySize(choices) != 5 ||
		    !cJSON_IsString(it)) {
			dss_err_set(err, "field 'choices' is not an array of 5 strings");
			goto out;
		}
		c[i] = it->valuestring;
	}
	if ((answer = dss_json_str(row, "answer", err)) == NULL ||
	    opt_str(row, "id", &id, err) < 0)
		goto out;
	for (i = 0; i < 5; i++)
		if (strcmp(c[i], answer) == 0)
			key = key == -1 ? i : -2;	/* -2: ambiguous */
	if (dss_buf_addf(&input,
	    "%s\nAnswer Choices:\n(a) %s\n(b) %s\n(c) %s\n(d) %s\n(e) %s",
	    question, c[0], c[1], c[2], c[3], c[4]) < 0) {
		dss_err_errno(err, errno, "field 'question'");
		goto out;
	}
	if (key >= 0)
		letter[0] = (char)('A' + key);
	if (add_str(rec, "input", input.data, err) < 0 ||
	    add_str(rec, "label", answer, err) < 0 ||
	    add_str(fields, "question", question, err) < 0 ||
	    add_strs(fields, "choices", c, 5, err) < 0 ||
	    (key >= 0 && add_str(fields, "answer_key", letter, err) < 0) ||
	    (id != NULL && add_str(fields, "source_id", id, err) < 0))
		goto out;
	rc = 0;
out:
	dss_buf_free(&input);
	return rc;
}

static int
build_svamp(const cJSON *row, cJSON *rec, cJSON *fields, struct dss_err *err)
{
	const char *input, *label, *nl;
	char *body = NULL;
	int rc = -1;

	if ((input = dss_json_str(row, "input", err)) == NULL ||
	    (label = dss_json_str(row, "label", err)) == NULL ||
	    add_str(rec, "input", input, err) < 0 ||
	    add_str(rec, "label", label, err) < 0)
		goto out;
	/* The body is everything before the last newline, the question after. */
	if ((nl = strrchr(input, '\n')) != NULL &&
	    ((body = strndup(input, (size_t)(nl - input))) == NULL ||
	    add_str(fields, "body", body, err) < 0 ||
	    add_str(fields, "question", nl + 1, err) < 0)) {
		dss_err_set(err, "out of memory");
		goto out;
	}
	if (add_str(fields, "equation", label, err) < 0)
		goto out;
	rc = 0;
out:
	free(body);
	return rc;
}

cJSON *
dss_release_example(const char *dataset, const char *split, long long index,
    const cJSON *row, struct dss_err *err)
{
	int d = find_dataset(dataset, strlen(dataset)), rc = -1;
	cJSON *rec = NULL, *fields = NULL;
	char id[128];

	if (d < 0) {
		dss_err_set(err, "unknown dataset '%s'", dataset);
		goto out;
	}
	if (!cJSON_IsObject(row)) {
		dss_err_set(err, "record is not a JSON object");
		goto out;
	}
	snprintf(id, sizeof(id), "%s-%s-%06lld", dataset, split, index);
	if ((rec = cJSON_CreateObject()) == NULL ||
	    (fields = cJSON_CreateObject()) == NULL) {
		dss_err_set(err, "out of memory");
		goto out;
	}
	if (add_str(rec, "dataset", dataset, err) < 0 ||
	    add_str(rec, "split", split, err) < 0 ||
	    add_str(rec, "id", id, err) < 0)
		goto out;
	if (cJSON_AddNumberToObject(rec, "index", (double)index) == NULL) {
		dss_err_set(err, "out of memory");
		goto out;
	}
	/* The builders add input and label; fields come last. */
	if (d <= 1)
		rc = build_nli(d, row, rec, fields, err);
	else if (d == 2)
		rc = build_cqa(row, rec, fields, err);
	else
		rc = build_svamp(row, rec, fields, err);
	if (rc == 0) {
		cJSON_AddItemToObject(rec, "fields", fields);	/* takes ownership */
		fields = NULL;
	}
out:
	cJSON_Delete(fields);
	if (rc < 0) {
		cJSON_Delete(rec);
		rec = NULL;
	}
	return rec;
}

/* ---- release rows from example records ---- */

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

/* Appends the completion keys to example record rec.  Returns 0 or -1. */
static int
add_completion(cJSON *rec, const char *text)
{
	const cJSON *ds = cJSON_GetObjectItemCaseSensitive(rec, "dataset");
	const cJSON *sp = cJSON_GetObjectItemCaseSensitive(rec, "split");
	const cJSON *ix = cJSON_GetObjectItemCaseSensitive(rec, "index");
	char req[DSS_SHA256_HEX];

	if (!cJSON_IsString(ds) || !cJSON_IsString(sp) || !cJSON_IsNumber(ix))
		return -1;
	dss_release_request(DSS_RELEASE_TEACHER, ds->valuestring,
	    sp->valuestring, (long long)ix->valuedouble, 0, req);
	if (add_str(rec, "teacher", DSS_RELEASE_TEACHER, NULL) < 0 ||
	    cJSON_AddNumberToObject(rec, "sample", 0) == NULL ||
	    add_str(rec, "completion", text, NULL) < 0 ||
	    cJSON_AddNullToObject(rec, "finish_reason") == NULL ||
	    cJSON_AddNullToObject(rec, "usage") == NULL ||
	    cJSON_AddNullToObject(rec, "latency_ms") == NULL ||
	    add_str(rec, "request", req, NULL) < 0)
		return -1;
	return 0;
}

cJSON *
dss_release_completion(const cJSON *example, const char *text)
{
	cJSON *rec = cJSON_Duplicate(example, 1);

	if (rec != NULL && add_completion(rec, text) < 0) {
		cJSON_Delete(rec);
		rec = NULL;
	}
	return rec;
}

/* ---- batch files: a JSON array of strings, streamed ---- */

static int
jnext(struct dss_jstrings *j)
{
	int c = getc_unlocked(j->fp);

	if (c != EOF)
		j->offset++;
	return c;
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
			char run[512];
			size_t n = 0;

			/* Plain bytes, taken a run at a time. */
			for (;;) {
				run[n++] = (char)c;
				if (n == sizeof(run))
					break;
				c = jnext(j);
				if (c == '"' || c == '\\' || c < 0x20) {
					if (c != EOF) {
						ungetc(c, j->fp);
						j->offset--;
					}
					break;
				}
			}
			if (dss_buf_add(&j->s, run, n) < 0)
				goto nomem;
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
					if (c != EOF) {
						ungetc(c, j->fp);
						j->offset--;
					}
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

/*
 * Replaces the derived fields of svamp example rec (split s, at index)
 * with those of its SVAMP.json problem: the official code put problem
 * permutation[index] at train index and permutation[800 + index] at test
 * index.  The problem must be the same text and equation.
 */
static int
svamp_enrich(struct dss_release *r, int s, long long index, cJSON *rec,
    struct dss_err *err)
{
	long long k = s == 0 ? index : SVAMP_TRAIN + index;
	const cJSON *p, *body, *question, *equation, *answer, *type, *id;
	const char *input = cJSON_GetObjectItemCaseSensitive(rec, "input")->valuestring;
	const char *label = cJSON_GetObjectItemCaseSensitive(rec, "label")->valuestring;
	size_t blen;
	cJSON *f;

	if (r->svamp == NULL)
		return 0;
	if ((s == 0 && k >= SVAMP_TRAIN) || k >= cJSON_GetArraySize(r->svamp))
		return dss_err_set(err, "no problem for it in '%s'",
		    r->svamp_ref.name);
	p = cJSON_GetArrayItem(r->svamp, (int)r->svamp_perm[k]);
	body = cJSON_GetObjectItemCaseSensitive(p, "Body");
	question = cJSON_GetObjectItemCaseSensitive(p, "Question");
	equation = cJSON_GetObjectItemCaseSensitive(p, "Equation");
	answer = cJSON_GetObjectItemCaseSensitive(p, "Answer");
	type = cJSON_GetObjectItemCaseSensitive(p, "Type");
	id = cJSON_GetObjectItemCaseSensitive(p, "ID");
	if (!cJSON_IsString(body) || !cJSON_IsString(question) ||
	    !cJSON_IsString(equation) ||
	    strncmp(input, body->valuestring, blen = strlen(body->valuestring)) != 0 ||
	    input[blen] != '\n' || strcmp(input + blen + 1, question->valuestring) != 0 ||
	    strcmp(label, equation->valuestring) != 0)
		return dss_err_set(err, "differs from problem %zu of '%s', which "
		    "the official split puts at %s index %lld", r->svamp_perm[k],
		    r->svamp_ref.name, splits[s], index);
	if ((f = cJSON_CreateObject()) == NULL ||
	    add_str(f, "body", body->valuestring, NULL) < 0 ||
	    add_str(f, "question", question->valuestring, NULL) < 0 ||
	    add_str(f, "equation", equation->valuestring, NULL) < 0 ||
	    (cJSON_IsNumber(answer) &&
	    cJSON_AddNumberToObject(f, "answer", answer->valuedouble) == NULL) ||
	    (cJSON_IsString(type) && add_str(f, "type", type->valuestring, NULL) < 0) ||
	    (cJSON_IsString(id) && add_str(f, "source_id", id->valuestring, NULL) < 0)) {
		cJSON_Delete(f);
		return dss_err_set(err, "out of memory");
	}
	cJSON_ReplaceItemInObjectCaseSensitive(rec, "fields", f);	/* takes ownership */
	return 0;
}

/* ---- checking and emitting a split ---- */

/* Reads the next example row of m as a record; 1, 0 at end, -1. */
static int
next_example(struct dss_release *r, int d, int s, struct member *m,
    struct dss_lines *l, long long index, cJSON **rec, struct dss_err *err)
{
	cJSON *row = NULL;
	int rc;

	*rec = NULL;
	rc = dss_jsonl_next(l, &row, err);
	if (rc < 0) {
		if (ferror(m->fp))
			return member_error(m, err);
		return dss_err_prefix(err, "'%s'", m->name);
	}
	if (rc == 0)
		return 0;
	*rec = dss_release_example(datasets[d].name, splits[s], index, row, err);
	cJSON_Delete(row);
	if (*rec != NULL && d == 3 && svamp_enrich(r, s, index, *rec, err) < 0) {
		cJSON_Delete(*rec);
		*rec = NULL;
	}
	if (*rec == NULL)
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
	cJSON *rec;
	int rc = -1, k;

	if (member_open(r, &em, &si->examples, err) < 0)
		goto out;
	l.fp = em.fp;
	while ((k = next_example(r, d, s, &em, &l, n, &rec, err)) == 1) {
		cJSON_Delete(rec);
		n++;
	}
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
	cJSON *rec = NULL;
	const struct ref *cur = NULL;
	int rc = -1, k;

	if (member_open(r, &em, &si->examples, err) < 0)
		goto out;
	l.fp = em.fp;
	while ((k = next_example(r, d, s, &em, &l, n, &rec, err)) == 1) {
		if ((what & DSS_RELEASE_EXAMPLES) && emit(arg, rec, err) < 0)
			goto out;
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
			if (add_completion(rec, j.s.data) < 0) {
				dss_err_set(err, "out of memory");
				goto out;
			}
			if (emit(arg, rec, err) < 0)
				goto out;
		}
		cJSON_Delete(rec);
		rec = NULL;
		n++;
	}
	if (k < 0)
		goto out;
	if (cur != NULL && batch_step(&bm, &j, cur, 0, err) < 0)
		goto out;
	rc = 0;
out:
	r->repaired += j.repaired;
	cJSON_Delete(rec);
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
