/* SPDX-License-Identifier: MIT */
/*
 * dss-export's release layout: the examples of each split the official
 * trainer reads as the release's rows, the picked rationales as
 * completions its parser reads back, in batch files of the release's
 * sizes (every one its loader opens), the upstream rows the manifest's
 * release section names (SVAMP.json) when they can be rebuilt,
 * all in a temporary directory renamed into place when complete.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "export_impl.h"
#include "jscan.h"
#include "mt19937.h"

void
dss_export_release_clean(struct release_out *r)
{
	size_t i;

	if (r->ex != NULL)
		fclose(r->ex);
	if (r->cot != NULL)
		fclose(r->cot);
	r->ex = r->cot = NULL;
	free(r->expath);
	free(r->cotpath);
	r->expath = r->cotpath = NULL;
	for (i = 0; r->problems != NULL && i < r->nproblems; i++)
		cJSON_Delete(r->problems[i]);
	free(r->problems);
	r->problems = NULL;
}

/* Removes the temporary release directory and what was written in it. */
void
dss_export_release_remove_tmp(struct release_out *r)
{
	struct dss_buf p = DSS_BUF_INIT;
	const char *sub[] = { "/llm", "", NULL };
	struct dirent *de;
	DIR *d;
	int i;

	if (r->tmp == NULL)
		return;
	for (i = 0; sub[i] != NULL; i++) {
		dss_buf_reset(&p);
		if (dss_buf_addf(&p, "%s%s", r->tmp, sub[i]) < 0 ||
		    (d = opendir(p.data)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			size_t n = p.len;

			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if (dss_buf_addf(&p, "/%s", de->d_name) == 0)
				unlink(p.data);
			dss_buf_truncate(&p, n);
		}
		closedir(d);
		rmdir(p.data);
	}
	dss_buf_free(&p);
	free(r->tmp);
	r->tmp = NULL;
}

/* Opens path for writing, readable as umask allows. */
static FILE *
create(const char *path, struct dss_err *err)
{
	FILE *fp = fopen(path, "wx");

	if (fp == NULL)
		dss_err_errno(err, errno, "cannot create '%s'", path);
	return fp;
}

/* Flushes, syncs and closes *fpp (named path). */
int
dss_export_finish_file(FILE **fpp, const char *path, struct dss_err *err)
{
	FILE *fp = *fpp;
	int bad;

	if (fp == NULL)
		return 0;
	*fpp = NULL;
	bad = fflush(fp) == EOF || ferror(fp) || fsync(fileno(fp)) < 0;
	if (fclose(fp) == EOF)
		bad = 1;
	if (bad)
		return dss_err_errno(err, errno ? errno : EIO, "cannot write '%s'",
		    path);
	return 0;
}

int
dss_export_sync_dir(const char *path, struct dss_err *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY), rc = 0;

	if (fd < 0 || fsync(fd) < 0)
		rc = dss_err_errno(err, errno, "cannot sync '%s'", path);
	if (fd >= 0)
		close(fd);
	return rc;
}

static char *
path_join(const char *a, const char *b)
{
	struct dss_buf p = DSS_BUF_INIT;

	if (dss_buf_addf(&p, "%s/%s", a, b) < 0)
		return NULL;
	return dss_buf_detach(&p, NULL);
}

/* mkdir that is content with a directory already there. */
static int
make_dir(const char *path, struct dss_err *err)
{
	struct stat st;

	if (mkdir(path, 0777) == 0)
		return 0;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	return dss_err_errno(err, errno, "cannot create directory '%s'", path);
}

/*
 * Makes DIR and DIR/datasets as needed, refuses an existing
 * DIR/datasets/DATASET, and creates the temporary directory (with llm/)
 * the files are written in.
 */
int
dss_export_release_begin(struct dss_export *x, struct dss_err *err)
{
	struct release_out *r = &x->rel;
	struct dss_buf p = DSS_BUF_INIT;
	char *base = NULL, *llm = NULL;
	struct stat st;
	int rc = -1;

	if (make_dir(x->o.out, err) < 0)
		goto out;
	if ((base = path_join(x->o.out, "datasets")) == NULL ||
	    (r->dir = path_join(base, x->o.dataset)) == NULL) {
		dss_export_nomem(err);
		goto out;
	}
	if (make_dir(base, err) < 0)
		goto out;
	if (lstat(r->dir, &st) == 0) {
		dss_err_set(err, "'%s' exists; remove it or export to another "
		    "--out", r->dir);
		goto out;
	}
	if (dss_buf_addf(&p, "%s/.%s.tmp.XXXXXX", base, x->o.dataset) < 0) {
		dss_export_nomem(err);
		goto out;
	}
	if (mkdtemp(p.data) == NULL) {
		dss_err_errno(err, errno, "cannot create a directory in '%s'", base);
		goto out;
	}
	if ((r->tmp = dss_buf_detach(&p, NULL)) == NULL ||
	    (llm = path_join(r->tmp, "llm")) == NULL) {
		dss_export_nomem(err);
		goto out;
	}
	if (mkdir(llm, 0777) < 0) {
		dss_err_errno(err, errno, "cannot create directory '%s'", llm);
		goto out;
	}
	if (x->form->manifest->release.problems != NULL) {
		const struct dss_manifest *m = x->form->manifest;
		size_t i;

		for (i = 0; i < m->nsplits; i++)
			if (m->splits[i].permuted &&
			    (size_t)m->splits[i].end > r->nproblems)
				r->nproblems = (size_t)m->splits[i].end;
		r->problems = calloc(r->nproblems ? r->nproblems : 1,
		    sizeof(*r->problems));
		if (r->problems == NULL) {
			dss_export_nomem(err);
			goto out;
		}
		r->problems_ok = x->o.subset == NULL && r->nproblems > 0;
	}
	rc = 0;
out:
	free(base);
	free(llm);
	dss_buf_free(&p);
	return rc;
}

/* Opens batch file number b of the current split. */
static int
batch_open(struct dss_export *x, long b, struct dss_err *err)
{
	struct release_out *r = &x->rel;
	struct dss_buf p = DSS_BUF_INIT;

	if (dss_buf_addf(&p, "%s/llm/%s_CoT_%ld.json", r->tmp, x->split, b) < 0)
		return dss_export_nomem(err);
	free(r->cotpath);
	r->cotpath = dss_buf_detach(&p, NULL);
	if (r->cotpath == NULL)
		return dss_export_nomem(err);
	if ((r->cot = create(r->cotpath, err)) == NULL)
		return -1;
	r->batch = b;
	r->inbatch = 0;
	return fputc('[', r->cot) == EOF ? dss_err_errno(err, errno,
	    "cannot write '%s'", r->cotpath) : 0;
}

static int
batch_close(struct dss_export *x, struct dss_err *err)
{
	struct release_out *r = &x->rel;

	if (r->cot == NULL)
		return 0;
	if (fputs("]\n", r->cot) == EOF)
		return dss_err_errno(err, errno, "cannot write '%s'", r->cotpath);
	return dss_export_finish_file(&r->cot, r->cotpath, err);
}

int
dss_export_release_split_begin(struct dss_export *x, struct dss_err *err)
{
	struct release_out *r = &x->rel;
	struct dss_buf p = DSS_BUF_INIT;

	if (dss_buf_addf(&p, "%s/%s_%s.json", r->tmp, x->o.dataset, x->split) < 0)
		return dss_export_nomem(err);
	free(r->expath);
	if ((r->expath = dss_buf_detach(&p, NULL)) == NULL)
		return dss_export_nomem(err);
	if ((r->ex = create(r->expath, err)) == NULL)
		return -1;
	r->n = 0;
	return batch_open(x, 0, err);
}

/*
 * Ends a split: the last batch, and the empty batches up to the number
 * the official loader opens (it opens every one whatever the split's size).
 */
int
dss_export_release_split_end(struct dss_export *x, struct dss_err *err)
{
	struct release_out *r = &x->rel;
	long b;

	if (dss_export_finish_file(&r->ex, r->expath, err) < 0 || batch_close(x, err) < 0)
		return -1;
	for (b = r->batch + 1; b < x->form->batches[x->s]; b++)
		if (batch_open(x, b, err) < 0 || batch_close(x, err) < 0)
			return -1;
	return 0;
}

/*
 * Keeps the upstream row of the example rec at r->n of split s, which the
 * split's permutation took from position start + n: the manifest's
 * problem keys, each from its field.
 */
static void
problem_keep(struct dss_export *x, const cJSON *rec)
{
	struct release_out *r = &x->rel;
	const struct dss_manifest *m = x->form->manifest;
	const struct dss_manifest_release *rel = &m->release;
	const struct dss_manifest_split *sp = dss_manifest_split(m,
	    dss_release_split_name(x->s));
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(rec, "fields");
	size_t k, i;
	cJSON *o;

	if (!r->problems_ok)
		return;
	if (sp == NULL || !sp->permuted || sp->start + r->n >= sp->end ||
	    (k = (size_t)(sp->start + r->n)) >= r->nproblems ||
	    (o = cJSON_CreateObject()) == NULL) {
		r->problems_ok = 0;
		return;
	}
	cJSON_Delete(r->problems[k]);
	r->problems[k] = o;
	for (i = 0; i < rel->nkeys; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(f,
		    m->fields[rel->key_fields[i]].name);
		cJSON *c = cJSON_IsString(v) || cJSON_IsNumber(v) ?
		    cJSON_Duplicate(v, 0) : NULL;

		if (c == NULL) {
			r->problems_ok = 0;
			return;
		}
		cJSON_AddItemToObject(o, rel->keys[i], c);	/* takes ownership */
	}
}

/*
 * Writes the upstream rows when every one was exported: row k of the
 * permutation the manifest's splits are cut from is problem
 * permutation[k], so the file is rebuilt in its original order
 * (SVAMP.json: 800 train and 200 test of 1,000 problems, RandomState(0)).
 */
static int
problems_write(struct dss_export *x, struct dss_err *err)
{
	struct release_out *r = &x->rel;
	const struct dss_manifest *m = x->form->manifest;
	size_t *perm = NULL, *at = NULL, k;
	unsigned long seed = 0;
	cJSON *arr = NULL;
	char *text = NULL, *path = NULL;
	FILE *fp = NULL;
	int rc = -1;

	if (r->problems == NULL || !r->problems_ok)
		return 0;
	for (k = 0; k < r->nproblems; k++)
		if (r->problems[k] == NULL)
			return 0;
	for (k = 0; k < m->nsplits; k++)
		if (m->splits[k].permuted) {
			seed = m->splits[k].seed;
			break;
		}
	if ((perm = calloc(r->nproblems, sizeof(*perm))) == NULL ||
	    (at = calloc(r->nproblems, sizeof(*at))) == NULL ||
	    (arr = cJSON_CreateArray()) == NULL)
		goto oom;
	dss_mt19937_permutation(seed, perm, r->nproblems);
	for (k = 0; k < r->nproblems; k++)
		at[perm[k]] = k;
	for (k = 0; k < r->nproblems; k++) {
		cJSON_AddItemToArray(arr, r->problems[at[k]]);	/* takes ownership */
		r->problems[at[k]] = NULL;
	}
	if ((text = cJSON_PrintUnformatted(arr)) == NULL ||
	    (path = path_join(r->tmp, m->release.problems)) == NULL)
		goto oom;
	if ((fp = create(path, err)) == NULL)
		goto out;
	if (fputs(text, fp) == EOF || fputc('\n', fp) == EOF) {
		dss_err_errno(err, errno, "cannot write '%s'", path);
		goto out;
	}
	if (dss_export_finish_file(&fp, path, err) < 0)
		goto out;
	r->problems_written = 1;
	rc = 0;
	goto out;
oom:
	dss_export_nomem(err);
out:
	if (fp != NULL)
		fclose(fp);
	free(path);
	free(text);
	free(perm);
	free(at);
	cJSON_Delete(arr);
	return rc;
}

/* Moves the finished temporary directory into place. */
int
dss_export_release_commit(struct dss_export *x, struct dss_err *err)
{
	struct release_out *r = &x->rel;
	char *llm = path_join(r->tmp, "llm"), *base = path_join(x->o.out,
	    "datasets");
	int rc = -1;

	if (llm == NULL || base == NULL) {
		dss_export_nomem(err);
		goto out;
	}
	if (problems_write(x, err) < 0 || dss_export_sync_dir(llm, err) < 0 ||
	    dss_export_sync_dir(r->tmp, err) < 0)
		goto out;
	if (rename(r->tmp, r->dir) < 0) {
		dss_err_errno(err, errno, "cannot rename '%s' to '%s'", r->tmp,
		    r->dir);
		goto out;
	}
	free(r->tmp);
	r->tmp = NULL;
	rc = dss_export_sync_dir(base, err);
out:
	free(llm);
	free(base);
	return rc;
}

/* 1 when the n bytes at s hold the string t. */
static int
holds(const char *s, size_t n, const char *t)
{
	size_t k = strlen(t), i;

	for (i = 0; k <= n && i <= n - k; i++)
		if (s[i] == t[0] && memcmp(s + i, t, k) == 0)
			return 1;
	return 0;
}

/* 1 when s (n bytes) holds a text the official parser splits at. */
int
dss_export_unreadable(const struct dss_release_form *f, const char *s, size_t n)
{
	int i;

	for (i = 0; f->splits_at[i] != NULL; i++)
		if (holds(s, n, f->splits_at[i]))
			return 1;
	return 0;
}

/* Writes the example's release row and its completion (or blank). */
int
dss_export_release_example(struct dss_export *x, int with, struct dss_err *err)
{
	struct release_out *r = &x->rel;
	cJSON *rec, *row = NULL;
	char *line = NULL;
	const char *cot;
	int rc = -1;

	if ((rec = cJSON_ParseWithLength(x->e.record.data, x->e.record.len))
	    == NULL) {
		dss_err_set(err, "example '%s': its stored record is not JSON",
		    x->e.id.data);
		return -1;
	}
	if ((row = dss_release_row(x->o.dataset, rec, err)) == NULL) {
		dss_err_prefix(err, "example '%s'", x->e.id.data);
		goto out;
	}
	if ((line = cJSON_PrintUnformatted(row)) == NULL) {
		dss_export_nomem(err);
		goto out;
	}
	if (fputs(line, r->ex) == EOF || fputc('\n', r->ex) == EOF) {
		dss_err_errno(err, errno, "cannot write '%s'", r->expath);
		goto out;
	}
	if (with) {
		if (dss_export_render_answer(x, x->form->cot, x->e.teacher_label.data,
		    x->e.teacher_label.len, x->e.rationale.data,
		    x->e.rationale.len, err) < 0)
			goto out;
		cot = x->phrase.data;
	} else {
		cot = x->form->blank;
	}
	if (r->inbatch == x->form->batch &&
	    (batch_close(x, err) < 0 || batch_open(x, r->batch + 1, err) < 0))
		goto out;
	dss_buf_reset(&x->scratch);
	if ((r->inbatch > 0 && dss_buf_addch(&x->scratch, ',') < 0) ||
	    dss_jscan_quote(&x->scratch, cot, strlen(cot)) < 0) {
		dss_export_nomem(err);
		goto out;
	}
	if (fwrite(x->scratch.data, 1, x->scratch.len, r->cot) !=
	    x->scratch.len) {
		dss_err_errno(err, errno ? errno : EIO, "cannot write '%s'",
		    r->cotpath);
		goto out;
	}
	if (r->problems != NULL)
		problem_keep(x, rec);
	r->inbatch++;
	r->n++;
	x->split_counts[x->s].records++;
	rc = 0;
out:
	free(line);
	cJSON_Delete(row);
	cJSON_Delete(rec);
	return rc;
}
