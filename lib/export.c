/* SPDX-License-Identifier: MIT */
/*
 * Training files from a dss database: opening and checking the database
 * for an export, the one query that joins examples with their triples in
 * the order of the split or subset, and the writers of the JSON Lines
 * formats.  The release layout is in export_release.c, the data card in
 * export_card.c.  See export.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>
#include <cjson/cJSON.h>

#include "buf.h"
#include "db.h"
#include "export_impl.h"
#include "jscan.h"
#include "jsonw.h"
#include "manifest.h"

#define OUT_FLUSH ((size_t)1 << 17)	/* bytes of records written at once */
#define OUT_BUF ((size_t)1 << 18)	/* the stdio buffer of each file of --out */
#define MAX_LISTED 20			/* names listed in a message */

/* ---- option names ---- */

static const char *const format_names[DSS_EXPORT_NFORMATS] = {
	"t5", "pairs", "standard", "chat", "release"
};
static const char *const labels_names[] = { "gold", "teacher" };
static const char *const rationales_names[] = { "agree", "all" };
static const char *const pick_names[] = { "first", "shortest", "longest", "all" };
static const char *const missing_names[] = { "drop", "label-only" };

#define NAME(table, i) ((i) >= 0 && (size_t)(i) < sizeof(table) / \
	sizeof(table[0]) ? table[i] : NULL)

const char *dss_export_format_name(int v) { return NAME(format_names, v); }
const char *dss_export_labels_name(int v) { return NAME(labels_names, v); }
const char *dss_export_rationales_name(int v) { return NAME(rationales_names, v); }
const char *dss_export_pick_name(int v) { return NAME(pick_names, v); }
const char *dss_export_missing_name(int v) { return NAME(missing_names, v); }

int
dss_export_parse(const char *(*names)(int), const char *name)
{
	const char *n;
	int i;

	for (i = 0; (n = names(i)) != NULL; i++)
		if (strcmp(n, name) == 0)
			return i;
	return -1;
}

/*
 * Splits "P,E" into its two prefixes (pointers into p, lengths).
 * Returns 0, or -1 with err saying what is wrong.
 */
static int
split_prefixes(const char *p, const char **pre, size_t *len,
    struct dss_err *err)
{
	const char *comma = strchr(p, ',');

	if (comma == NULL || strchr(comma + 1, ',') != NULL)
		return dss_err_set(err, "bad --prefixes '%s': want two prefixes "
		    "separated by one comma, as '%s'", p, DSS_EXPORT_PREFIXES);
	pre[0] = p;
	len[0] = (size_t)(comma - p);
	pre[1] = comma + 1;
	len[1] = strlen(comma + 1);
	if (len[0] == 0 || len[1] == 0)
		return dss_err_set(err, "bad --prefixes '%s': a prefix is empty", p);
	if (len[0] == len[1] && memcmp(pre[0], pre[1], len[0]) == 0)
		return dss_err_set(err, "bad --prefixes '%s': the two prefixes are "
		    "the same, so the tasks could not be told apart", p);
	return 0;
}

/* "--format release is for a, b and c, not 'x'": the release's datasets. */
static int
not_in_release(const char *dataset, struct dss_err *err)
{
	const char *names[64];
	struct dss_buf b = DSS_BUF_INIT;
	size_t n = dss_release_datasets(names, 64), i;

	if (n > 64)
		n = 64;
	for (i = 0; i < n; i++)
		if ((i > 0 && dss_buf_adds(&b, i + 1 < n ? ", " : " and ") < 0) ||
		    dss_buf_adds(&b, names[i]) < 0)
			break;
	dss_err_set(err, "--format release is for %s, not '%s'",
	    n ? b.data : "the datasets whose manifests have a release section",
	    dataset);
	dss_buf_free(&b);
	return -1;
}

int
dss_export_check(const struct dss_export_opts *o, struct dss_err *err)
{
	const char *pre[2];
	size_t len[2];
	int release = o->format == DSS_EXPORT_RELEASE;

	if (o->dataset == NULL)
		return dss_err_set(err, "--dataset is missing");
	if (release && o->split != NULL)
		return dss_err_set(err, "--split is not for --format release: it "
		    "writes every split the official trainer reads");
	if (!release && o->split == NULL)
		return dss_err_set(err, "--split is missing");
	if (release && o->out == NULL)
		return dss_err_set(err, "--format release needs --out DIR");
	if (release && o->nsubsets > 0)
		return dss_err_set(err, "--format release takes one --subset");
	if (!release && o->nsubsets > 1 && o->out == NULL)
		return dss_err_set(err, "several subsets need --out DIR (each is "
		    "written to DIR/NAME.jsonl)");
	if (!release && o->out != NULL && o->subset == NULL && o->nsubsets == 0)
		return dss_err_set(err, "--out is for --format release or with "
		    "--subset (a whole split goes to standard output)");
	if (release && dss_release_form(o->dataset) == NULL)
		return not_in_release(o->dataset, err);
	if (release && (o->given & (1u << DSS_EXPORT_OPT_LABELS)))
		return dss_err_set(err, "--labels is not for --format release: "
		    "the examples carry the gold labels and the completions the "
		    "teacher's, and the official trainer's --label_type chooses");
	if ((o->given & (1u << DSS_EXPORT_OPT_PREFIXES)) &&
	    o->format != DSS_EXPORT_T5)
		return dss_err_set(err, "--prefixes is only for --format t5");
	if (o->pick == DSS_EXPORT_ALL && (release ||
	    o->format == DSS_EXPORT_STANDARD))
		return dss_err_set(err, "--pick all is not for --format %s, which "
		    "writes one record per example", format_names[o->format]);
	if (o->filter == NULL || o->filter[0] == '\0')
		return dss_err_set(err, "--filter is empty");
	return split_prefixes(o->prefixes, pre, len, err);
}

/* ---- the export ---- */

int
dss_export_nomem(struct dss_err *err)
{
	return dss_err_set(err, "out of memory");
}

/* Runs sql with text parameters (NULL-terminated) and returns the statement. */
sqlite3_stmt *
dss_export_query(struct dss_export *x, const char *sql, struct dss_err *err, ...)
{
	sqlite3_stmt *st;
	const char *v;
	va_list ap;
	int i = 1;

	if ((st = dss_db_prepare(x->db, sql, err)) == NULL)
		return NULL;
	va_start(ap, err);
	while ((v = va_arg(ap, const char *)) != NULL)
		sqlite3_bind_text(st, i++, v, -1, SQLITE_TRANSIENT);
	va_end(ap);
	return st;
}

/* Steps st once: 1 for a row, 0 when done, -1 with err set. */
int
dss_export_step(struct dss_export *x, sqlite3_stmt *st, struct dss_err *err)
{
	int rc;

	if (x->o.stop != NULL && *x->o.stop)
		return dss_err_set(err, "interrupted");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return dss_err_set(err, "database '%s': %s", x->path,
	    sqlite3_errmsg(x->db));
}

/*
 * Appends the first column of every row of st to b as "a, b, c", at most
 * MAX_LISTED of them.  Returns the number of rows, or -1.
 */
static long
list(struct dss_export *x, sqlite3_stmt *st, struct dss_buf *b,
    struct dss_err *err)
{
	long n = 0;
	int rc;

	while ((rc = dss_export_step(x, st, err)) == 1) {
		const char *v = (const char *)sqlite3_column_text(st, 0);

		if (n < MAX_LISTED)
			dss_buf_addf(b, "%s%s", n ? ", " : "", v ? v : "");
		else if (n == MAX_LISTED)
			dss_buf_adds(b, ", ...");
		n++;
	}
	sqlite3_finalize(st);
	return rc < 0 ? -1 : n;
}

/* 1 when sql (with params) gives a row, 0 when not, -1. */
static int
exists(struct dss_export *x, const char *sql, struct dss_err *err, ...)
{
	sqlite3_stmt *st;
	const char *v;
	va_list ap;
	int i = 1, rc;

	if ((st = dss_db_prepare(x->db, sql, err)) == NULL)
		return -1;
	va_start(ap, err);
	while ((v = va_arg(ap, const char *)) != NULL)
		sqlite3_bind_text(st, i++, v, -1, SQLITE_TRANSIENT);
	va_end(ap);
	rc = dss_export_step(x, st, err);
	sqlite3_finalize(st);
	return rc;
}

static int
check_version(struct dss_export *x, struct dss_err *err)
{
	sqlite3_stmt *st;
	long long v;
	int rc;

	if ((st = dss_db_prepare(x->db, "PRAGMA user_version", err)) == NULL)
		return dss_err_set(err, "cannot read database '%s': %s", x->path,
		    sqlite3_errmsg(x->db));
	rc = dss_export_step(x, st, err);
	v = rc == 1 ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc < 0)
		return dss_err_set(err, "cannot read database '%s': %s", x->path,
		    sqlite3_errmsg(x->db));
	if (v == 0)
		return dss_err_set(err, "'%s' is not a dss database", x->path);
	if (v > DSS_DB_VERSION)
		return dss_err_set(err, "database '%s' has schema version %lld, "
		    "newer than this dss (%d)", x->path, v, DSS_DB_VERSION);
	if (v < DSS_DB_VERSION)
		return dss_err_set(err, "database '%s' has the older schema "
		    "version %lld; open it with this dss first (dss-store '%s' "
		    "</dev/null)", x->path, v, x->path);
	return 0;
}

static int
check_dataset(struct dss_export *x, struct dss_err *err)
{
	struct dss_buf b = DSS_BUF_INIT;
	sqlite3_stmt *st;
	long n;
	int rc;

	rc = exists(x, "SELECT 1 FROM examples WHERE dataset = ?1 LIMIT 1", err,
	    x->o.dataset, NULL);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if ((st = dss_export_query(x, "SELECT DISTINCT dataset FROM examples ORDER BY 1",
	    err, NULL)) == NULL || (n = list(x, st, &b, err)) < 0) {
		dss_buf_free(&b);
		return -1;
	}
	if (n == 0)
		dss_err_set(err, "unknown dataset '%s' (the database '%s' holds no "
		    "examples)", x->o.dataset, x->path);
	else
		dss_err_set(err, "unknown dataset '%s' (datasets in '%s': %s)",
		    x->o.dataset, x->path, b.data);
	dss_buf_free(&b);
	return -1;
}

static int
has_split(struct dss_export *x, const char *split, struct dss_err *err)
{
	return exists(x, "SELECT 1 FROM examples WHERE dataset = ?1 AND "
	    "split = ?2 LIMIT 1", err, x->o.dataset, split, NULL);
}

static int
check_split(struct dss_export *x, struct dss_err *err)
{
	struct dss_buf b = DSS_BUF_INIT;
	sqlite3_stmt *st;
	int rc, s;

	if (x->form == NULL) {
		if ((rc = has_split(x, x->o.split, err)) != 0)
			return rc < 0 ? -1 : 0;
		if ((st = dss_export_query(x, "SELECT DISTINCT split FROM examples WHERE "
		    "dataset = ?1 ORDER BY 1", err, x->o.dataset, NULL)) == NULL ||
		    list(x, st, &b, err) < 0) {
			dss_buf_free(&b);
			return -1;
		}
		dss_err_set(err, "dataset '%s' has no split '%s' (splits: %s)",
		    x->o.dataset, x->o.split, b.data);
		dss_buf_free(&b);
		return -1;
	}
	for (s = 0; s < 3; s++) {
		if (x->form->batches[s] == 0)
			continue;
		if ((rc = has_split(x, dss_release_split_name(s), err)) < 0)
			return -1;
		if (rc == 0)
			return dss_err_set(err, "dataset '%s' has no '%s' examples in "
			    "'%s'; the official trainer reads its %s", x->o.dataset,
			    dss_release_split_name(s), x->path,
			    x->form->batches[1] ? "train, valid and test splits" :
			    "train and test splits");
	}
	return 0;
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	return strdup(v ? v : "");
}

static void
subset_free(struct export_subset *s)
{
	free(s->name);
	free(s->split);
	free(s->kind);
	free(s->params);
	memset(s, 0, sizeof(*s));
}

/* Looks up subset name into s, checking it is drawn from the split. */
static int
check_subset(struct dss_export *x, const char *name, struct export_subset *s,
    struct dss_err *err)
{
	const char *want = x->form != NULL ? "train" : x->o.split;
	struct dss_buf b = DSS_BUF_INIT;
	sqlite3_stmt *st;
	long n;
	int rc;

	if ((st = dss_export_query(x, "SELECT split, kind, seed, fraction, size, params "
	    "FROM subsets WHERE dataset = ?1 AND name = ?2", err, x->o.dataset,
	    name, NULL)) == NULL)
		return -1;
	if ((rc = dss_export_step(x, st, err)) == 1) {
		s->name = strdup(name);
		s->split = col_dup(st, 0);
		s->kind = col_dup(st, 1);
		s->params = col_dup(st, 5);
		s->seed = sqlite3_column_int64(st, 2);
		s->has_fraction = sqlite3_column_type(st, 3) != SQLITE_NULL;
		s->fraction = sqlite3_column_double(st, 3);
		s->size = sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		if (s->name == NULL || s->split == NULL || s->kind == NULL ||
		    s->params == NULL)
			return dss_export_nomem(err);
		if (strcmp(s->split, want) != 0)
			return dss_err_set(err, "subset '%s' of dataset '%s' is drawn "
			    "from split '%s', not '%s'", name, x->o.dataset,
			    s->split, want);
		return 0;
	}
	if ((st = dss_export_query(x, "SELECT name FROM subsets WHERE dataset = ?1 "
	    "ORDER BY name", err, x->o.dataset, NULL)) == NULL ||
	    (n = list(x, st, &b, err)) < 0) {
		dss_buf_free(&b);
		return -1;
	}
	if (n == 0)
		dss_err_set(err, "unknown subset '%s': dataset '%s' has no subsets "
		    "(make them with dss-sample)", name, x->o.dataset);
	else
		dss_err_set(err, "unknown subset '%s' of dataset '%s' (subsets: %s)",
		    name, x->o.dataset, b.data);
	dss_buf_free(&b);
	return -1;
}

/*
 * The subsets of a JSON Lines export: o.subset alone (to the stream
 * dss_export_run is given), or o.subsets (each to DIR/NAME.jsonl).
 */
static int
check_subsets(struct dss_export *x, struct dss_err *err)
{
	size_t i, j, n = x->o.nsubsets ? x->o.nsubsets : 1;

	if ((x->subs = calloc(n, sizeof(*x->subs))) == NULL)
		return dss_export_nomem(err);
	for (i = 0; i < n; i++) {
		const char *name = x->o.nsubsets ? x->o.subsets[i] : x->o.subset;

		for (j = 0; j < i; j++)
			if (strcmp(x->subs[j].info.name, name) == 0)
				return dss_err_set(err, "subset '%s' is given twice",
				    name);
		x->nsubs = i + 1;
		if (check_subset(x, name, &x->subs[i].info, err) < 0)
			return -1;
	}
	return 0;
}

static int
check_filter(struct dss_export *x, struct dss_err *err)
{
	struct dss_buf b = DSS_BUF_INIT;
	sqlite3_stmt *st;
	size_t mode = strcspn(x->o.filter, ",");
	long n;
	int rc;

	rc = exists(x, "SELECT 1 FROM triples WHERE filter = ?1 AND "
	    "dataset = ?2 LIMIT 1", err, x->o.filter, x->o.dataset, NULL);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if ((st = dss_export_query(x, "SELECT DISTINCT filter FROM triples WHERE "
	    "dataset = ?1 ORDER BY 1", err, x->o.dataset, NULL)) == NULL ||
	    (n = list(x, st, &b, err)) < 0) {
		dss_buf_free(&b);
		return -1;
	}
	dss_err_set(err, "no triples of dataset '%s' from filter '%s' in '%s' "
	    "(%s%s%s); make them with dss-filter --agree %.*s and store them "
	    "with dss-store", x->o.dataset, x->o.filter, x->path,
	    n ? "filters with triples: " : "it holds no triples of the dataset",
	    b.data, "", (int)mode, x->o.filter);
	dss_buf_free(&b);
	return -1;
}

static int
load_exemplars(struct dss_export *x, struct dss_err *err)
{
	struct dss_buf p = DSS_BUF_INIT;
	char *dir = dss_manifest_dir();
	int rc = -1;

	if (dir == NULL || dss_buf_addf(&p, "%s/exemplars/%s.json", dir,
	    x->o.dataset) < 0) {
		dss_export_nomem(err);
		goto out;
	}
	if ((x->ex = dss_exemplars_load(p.data, err)) == NULL) {
		dss_err_prefix(err, "--format chat takes the answer sentence of "
		    "dataset '%s' from its exemplars", x->o.dataset);
		goto out;
	}
	rc = 0;
out:
	free(dir);
	dss_buf_free(&p);
	return rc;
}

/* The example state's buffers. */
static void
example_init(struct example *e)
{
	struct dss_buf init = DSS_BUF_INIT;

	memset(e, 0, sizeof(*e));
	e->id = e->input = e->label = e->record = init;
	e->qid = e->qinput = e->qlabel = init;
	e->rationale = e->teacher_label = e->teacher = e->request = init;
}

static void
example_free(struct example *e)
{
	dss_buf_free(&e->id);
	dss_buf_free(&e->input);
	dss_buf_free(&e->label);
	dss_buf_free(&e->record);
	dss_buf_free(&e->qid);
	dss_buf_free(&e->qinput);
	dss_buf_free(&e->qlabel);
	dss_buf_free(&e->rationale);
	dss_buf_free(&e->teacher_label);
	dss_buf_free(&e->teacher);
	dss_buf_free(&e->request);
}

struct dss_export *
dss_export_open(const char *path, const struct dss_export_opts *o,
    struct dss_err *err)
{
	struct dss_export *x;
	struct stat st;
	const char *const *s[] = { &o->dataset, &o->split, &o->subset, &o->filter,
	    &o->prefixes, &o->out, NULL };
	int i;

	if (dss_export_check(o, err) < 0)
		return NULL;
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		dss_export_nomem(err);
		return NULL;
	}
	x->o = *o;
	x->qpre[0] = x->qpre[1] = (struct dss_buf)DSS_BUF_INIT;
	x->qdataset = x->qsplit = x->out = (struct dss_buf)DSS_BUF_INIT;
	x->scratch = x->phrase = (struct dss_buf)DSS_BUF_INIT;
	example_init(&x->e);
	if ((x->path = strdup(path)) == NULL)
		goto oom;
	/* Own copies of every string option. */
	for (i = 0; s[i] != NULL; i++) {
		const char *v = *s[i];

		if (v != NULL && (x->strs[i] = strdup(v)) == NULL)
			goto oom;
	}
	x->o.dataset = x->strs[0];
	x->o.split = x->strs[1];
	x->o.subset = x->strs[2];
	x->o.filter = x->strs[3];
	x->o.prefixes = x->strs[4];
	x->o.out = x->strs[5];
	if (split_prefixes(x->o.prefixes, x->pre, x->prelen, err) < 0)
		goto fail;
	for (i = 0; i < 2; i++)
		if (dss_jscan_escape(&x->qpre[i], x->pre[i], x->prelen[i]) < 0)
			goto oom;
	if (dss_jscan_quote(&x->qdataset, x->o.dataset, strlen(x->o.dataset)) < 0)
		goto oom;
	x->form = x->o.format == DSS_EXPORT_RELEASE ?
	    dss_release_form(x->o.dataset) : NULL;
	x->need_triples = x->o.format != DSS_EXPORT_STANDARD ||
	    x->o.labels == DSS_EXPORT_TEACHER || x->o.missing == DSS_EXPORT_DROP;
	x->need_record = x->o.format == DSS_EXPORT_CHAT || x->form != NULL;

	/* Never create a database: say so when there is none. */
	if (stat(path, &st) < 0) {
		dss_err_errno(err, errno, "cannot open database '%s'", path);
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		dss_err_set(err, "cannot open database '%s': it is a directory",
		    path);
		goto fail;
	}
	if ((x->db = dss_db_open(path, DSS_DB_READONLY, err)) == NULL)
		goto fail;
	/*
	 * Sorts spill to files, never to memory that grows with the corpus;
	 * a 16 MiB page cache serves the sequential scans.
	 */
	if (check_version(x, err) < 0 ||
	    dss_db_exec(x->db, "PRAGMA temp_store = FILE", err) < 0 ||
	    dss_db_exec(x->db, "PRAGMA cache_size = -16384", err) < 0 ||
	    check_dataset(x, err) < 0 || check_split(x, err) < 0 ||
	    (x->o.subset != NULL && x->form != NULL &&
	    check_subset(x, x->o.subset, &x->sub, err) < 0) ||
	    ((x->o.nsubsets > 0 || (x->o.subset != NULL && x->form == NULL)) &&
	    check_subsets(x, err) < 0) ||
	    (x->need_triples && check_filter(x, err) < 0) ||
	    (x->o.format == DSS_EXPORT_CHAT && load_exemplars(x, err) < 0))
		goto fail;
	return x;
oom:
	dss_export_nomem(err);
fail:
	dss_export_close(x);
	return NULL;
}

void
dss_export_close(struct dss_export *x)
{
	size_t i;

	if (x == NULL)
		return;
	dss_export_release_clean(&x->rel);
	dss_export_release_remove_tmp(&x->rel);
	free(x->rel.dir);
	dss_db_close(x->db);
	dss_exemplars_free(x->ex);
	for (i = 0; i < sizeof(x->strs) / sizeof(x->strs[0]); i++)
		free(x->strs[i]);
	for (i = 0; i < x->nteachers; i++)
		free(x->teachers[i]);
	subset_free(&x->sub);
	for (i = 0; i < x->nsubs; i++) {
		subset_free(&x->subs[i].info);
		if (x->subs[i].tmp != NULL)
			unlink(x->subs[i].tmp);
		if (x->subs[i].fp != NULL && x->subs[i].path != NULL)
			fclose(x->subs[i].fp);
		free(x->subs[i].path);
		free(x->subs[i].tmp);
		free(x->subs[i].fpbuf);
	}
	free(x->subs);
	free(x->path);
	dss_buf_free(&x->qpre[0]);
	dss_buf_free(&x->qpre[1]);
	dss_buf_free(&x->qdataset);
	dss_buf_free(&x->qsplit);
	dss_buf_free(&x->out);
	dss_buf_free(&x->scratch);
	dss_buf_free(&x->phrase);
	example_free(&x->e);
	free(x);
}

const struct dss_export_counts *
dss_export_total(const struct dss_export *x)
{
	return &x->total;
}

const struct dss_export_counts *
dss_export_split(const struct dss_export *x, int s)
{
	return &x->split_counts[s >= 0 && s < 3 ? s : 0];
}

/* ---- the query ---- */

/*
 * Columns: 0 id, 1 input, 2 label, 3 sample (NULL when the example has no
 * kept triple), 4 rationale, 5 teacher_label, 6 teacher, 7 record,
 * 8 request; an example's rows come together.
 *
 * The examples of a split are read in their order (idx), and for each one
 * its triples by the triples' key, (filter, dataset, id, request): the
 * triples of a filter and dataset lie in example id order, so that both
 * tables are read in step, page after page.  Within an example they come
 * by request; they are sorted by sample only for --pick all, which writes
 * them all (the other picks compare samples themselves).
 *
 * The examples of a subset of a release are joined in the subset's order
 * (the view subset_members) and sorted by position; JSON Lines exports
 * of subsets merge two reads in id order instead (export_subsets.c).
 */
static sqlite3_stmt *
prepare(struct dss_export *x, const char *split, int subset,
    struct dss_err *err)
{
	struct dss_buf q = DSS_BUF_INIT;
	sqlite3_stmt *st = NULL;
	int triples = x->need_triples, r;

	r = dss_buf_addf(&q, "SELECT e.id, e.input, e.label, %s, %s, %s FROM ",
	    triples ? "t.sample, t.rationale, t.teacher_label, t.teacher" :
	    "NULL, NULL, NULL, NULL", x->need_record ? "e.record" : "NULL",
	    triples ? "t.request" : "NULL");
	r |= dss_buf_adds(&q, subset ? "subset_members m CROSS JOIN examples e "
	    "ON e.dataset = m.dataset AND e.id = m.id " : "examples e ");
	/*
	 * A triple is found through the primary key of triples (filter,
	 * dataset, id, ...), which holds its columns: through the index
	 * triples_example, which the planner prefers, each one takes a
	 * second search.
	 */
	if (triples)
		r |= dss_buf_addf(&q, "LEFT JOIN triples t INDEXED BY "
		    "sqlite_autoindex_triples_1 ON t.filter = ?4 AND "
		    "t.dataset = e.dataset AND t.id = e.id%s ",
		    x->o.rationales == DSS_EXPORT_AGREE ? " AND t.agree = 1" : "");
	r |= dss_buf_adds(&q, subset ? "WHERE m.dataset = ?1 AND m.name = ?3 "
	    "AND e.split = ?2 ORDER BY m.pos" : "WHERE e.dataset = ?1 AND "
	    "e.split = ?2 ORDER BY e.idx");
	if (triples && x->o.pick == DSS_EXPORT_ALL)
		r |= dss_buf_adds(&q, ", t.sample, t.request");
	if (r < 0) {
		dss_export_nomem(err);
		goto out;
	}
	if ((st = dss_db_prepare(x->db, q.data, err)) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, x->o.dataset, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, split, -1, SQLITE_STATIC);
	if (subset)
		sqlite3_bind_text(st, 3, x->o.subset, -1, SQLITE_STATIC);
	if (triples)
		sqlite3_bind_text(st, 4, x->o.filter, -1, SQLITE_STATIC);
out:
	dss_buf_free(&q);
	return st;
}

/*
 * The examples of the split in id order, and the kept triples of the
 * filter in id order (by sample within an example for --pick all), with
 * the columns of prepare's query, for export_subsets.c to merge.
 */
sqlite3_stmt *
dss_export_prepare_examples(struct dss_export *x, struct dss_err *err)
{
	return dss_export_query(x, x->need_record ?
	    "SELECT id, input, label, NULL, NULL, NULL, NULL, record, NULL FROM "
	    "examples INDEXED BY sqlite_autoindex_examples_1 WHERE dataset = ?1 "
	    "AND split = ?2 ORDER BY id" :
	    "SELECT id, input, label, NULL, NULL, NULL, NULL, NULL, NULL FROM "
	    "examples INDEXED BY sqlite_autoindex_examples_1 WHERE dataset = ?1 "
	    "AND split = ?2 ORDER BY id", err, x->o.dataset, x->split, NULL);
}

int
dss_export_triples_sql(const struct dss_export *x, char *sql, size_t size)
{
	int n = snprintf(sql, size, "SELECT id, NULL, NULL, sample, rationale, "
	    "teacher_label, teacher, NULL, request FROM triples INDEXED BY "
	    "sqlite_autoindex_triples_1 WHERE filter = ?1 AND dataset = ?2%s "
	    "ORDER BY id%s", x->o.rationales == DSS_EXPORT_AGREE ?
	    " AND agree = 1" : "", x->o.pick == DSS_EXPORT_ALL ?
	    ", sample, request" : ", request");

	return n > 0 && (size_t)n < size ? 0 : -1;
}

/* ---- writing JSON Lines ---- */

static int
flush_out(struct dss_export *x, struct dss_err *err)
{
	if (x->out.len == 0)
		return 0;
	if (fwrite(x->out.data, 1, x->out.len, x->fp) != x->out.len)
		return dss_err_errno(err, errno ? errno : EIO, "cannot write '%s'",
		    x->fpname);
	dss_buf_reset(&x->out);
	return 0;
}

/*
 * Ends the record begun at start of the buffer (lib/jsonw): counts it,
 * and writes the buffer out when it is full.
 */
static int
end_record(struct dss_export *x, size_t start, int r, struct dss_err *err)
{
	if (r < 0 || dss_jsonw_end(&x->out, start) < 0)
		return dss_export_nomem(err);
	x->split_counts[x->s].records++;
	return x->out.len >= OUT_FLUSH && !x->hold ? flush_out(x, err) : 0;
}

/* ,"dataset":D,"split":S,"id":I */
static int
put_where(struct dss_export *x)
{
	struct dss_buf *b = &x->out;

	return DSS_JSONW_RAW(b, "dataset", x->qdataset.data, x->qdataset.len) |
	    DSS_JSONW_RAW(b, "split", x->qsplit.data, x->qsplit.len) |
	    DSS_JSONW_KEY(b, "id") | dss_jsonw_escaped(b, x->e.qid.data,
	    x->e.qid.len);
}

/* The label a record trains on, as a JSON string: the gold one, or the teacher's. */
static int
put_label(struct dss_export *x, const char *tl, size_t tlen)
{
	if (x->o.labels == DSS_EXPORT_TEACHER)
		return dss_jscan_quote(&x->out, tl, tlen);
	return dss_jsonw_escaped(&x->out, x->e.qlabel.data, x->e.qlabel.len);
}

/* ,"input":"PREFIX INPUT", both parts escaped already. */
static int
put_input(struct dss_buf *b, const struct dss_buf *pre,
    const struct dss_buf *input)
{
	return DSS_JSONW_LIT(b, ",\"input\":\"") |
	    dss_buf_add_fast(b, pre->data, pre->len) |
	    dss_buf_add_fast(b, input->data, input->len) |
	    dss_buf_addch_fast(b, '"');
}

static int
t5_predict(struct dss_export *x, const char *tl, size_t tlen,
    struct dss_err *err)
{
	struct dss_buf *b = &x->out;
	size_t start = b->len;
	int r;

	r = DSS_JSONW_LIT(b, ",\"task\":\"predict\"") |
	    put_input(b, &x->qpre[0], &x->e.qinput) |
	    DSS_JSONW_KEY(b, "target") | put_label(x, tl, tlen) | put_where(x);
	x->split_counts[x->s].predict++;
	return end_record(x, start, r, err);
}

static int
t5_explain(struct dss_export *x, const char *rationale, size_t rlen,
    struct dss_err *err)
{
	struct dss_buf *b = &x->out;
	size_t start = b->len;
	int r;

	r = DSS_JSONW_LIT(b, ",\"task\":\"explain\"") |
	    put_input(b, &x->qpre[1], &x->e.qinput) |
	    DSS_JSONW_STR(b, "target", rationale, rlen) | put_where(x);
	x->split_counts[x->s].explain++;
	return end_record(x, start, r, err);
}

/*
 * A pairs record (with the rationale and the teacher's label) when
 * rationale is not NULL, else a standard one: input and label.
 */
static int
plain_record(struct dss_export *x, const char *rationale, size_t rlen,
    const char *tl, size_t tlen, struct dss_err *err)
{
	struct dss_buf *b = &x->out;
	size_t start = b->len;
	int r;

	r = DSS_JSONW_KEY(b, "input") | dss_jsonw_escaped(b, x->e.qinput.data,
	    x->e.qinput.len) | DSS_JSONW_KEY(b, "label") |
	    put_label(x, tl, tlen);
	if (rationale != NULL)
		r |= DSS_JSONW_STR(b, "rationale", rationale, rlen) |
		    DSS_JSONW_STR(b, "teacher_label", tl, tlen);
	return end_record(x, start, r | put_where(x), err);
}

/*
 * 1 when s is wholly inside one pair of parentheses, as an equation label
 * "( 12.0 - 5.0 )" is: a template that puts the answer in parentheses
 * then takes what is inside, so that none are doubled.
 */
static int
wrapped(const char *s, size_t n)
{
	size_t i;
	int depth = 0;

	if (n < 2 || s[0] != '(' || s[n - 1] != ')')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && --depth == 0 && i != n - 1)
			return 0;
	}
	return depth == 0;
}

/*
 * Renders the answer sentence tmpl for label (n bytes) into x->phrase,
 * with the example's fields (from its record) and, for an example with
 * choices, answer_key, the letter of the label among them.  rationale,
 * when not NULL, is given as {rationale}.
 */
int
dss_export_render_answer(struct dss_export *x, const char *tmpl, const char *label,
    size_t n, const char *rationale, size_t rlen, struct dss_err *err)
{
	cJSON *rec = NULL, *obj = NULL;
	const cJSON *fields, *choices, *c;
	char key[2] = { 0, 0 };
	char *answer = NULL, *rat = NULL;
	int k = 0, rc = -1;

	if ((rec = cJSON_ParseWithLength(x->e.record.data, x->e.record.len))
	    == NULL) {
		dss_err_set(err, "example '%s': its stored record is not JSON",
		    x->e.id.data);
		goto out;
	}
	fields = cJSON_GetObjectItemCaseSensitive(rec, "fields");
	obj = cJSON_IsObject(fields) ? cJSON_Duplicate(fields, 1) :
	    cJSON_CreateObject();
	if (strstr(tmpl, "({answer})") != NULL && wrapped(label, n)) {
		label++;
		n -= 2;
	}
	if (obj == NULL || (answer = strndup(label, n)) == NULL ||
	    (rationale != NULL && (rat = strndup(rationale, rlen)) == NULL)) {
		dss_export_nomem(err);
		goto out;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "answer");
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "answer_key");
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "rationale");
	if (cJSON_AddStringToObject(obj, "answer", answer) == NULL ||
	    (rat != NULL && cJSON_AddStringToObject(obj, "rationale", rat) ==
	    NULL)) {
		dss_export_nomem(err);
		goto out;
	}
	choices = cJSON_GetObjectItemCaseSensitive(obj, "choices");
	cJSON_ArrayForEach(c, choices) {
		if (key[0] == '\0' && cJSON_IsString(c) && k < 26 &&
		    strlen(c->valuestring) == n &&
		    memcmp(c->valuestring, label, n) == 0)
			key[0] = (char)('A' + k);
		k++;
	}
	if (cJSON_IsArray(choices) && key[0] == '\0') {
		dss_err_set(err, "example '%s': label '%s' is not one of its "
		    "choices", x->e.id.data, answer);
		goto out;
	}
	if (key[0] != '\0' && cJSON_AddStringToObject(obj, "answer_key", key) ==
	    NULL) {
		dss_export_nomem(err);
		goto out;
	}
	dss_buf_reset(&x->phrase);
	if (dss_prompt_render(&x->phrase, tmpl, obj, "fields.", err) < 0) {
		dss_err_prefix(err, "example '%s'", x->e.id.data);
		goto out;
	}
	rc = 0;
out:
	free(answer);
	free(rat);
	cJSON_Delete(obj);
	cJSON_Delete(rec);
	return rc;
}

static int
chat_record(struct dss_export *x, const char *rationale, size_t rlen,
    const char *tl, size_t tlen, struct dss_err *err)
{
	struct dss_buf *b = &x->out;
	size_t start = b->len;
	const char *label;
	size_t n;
	int r;

	if (x->o.labels == DSS_EXPORT_TEACHER) {
		label = tl;
		n = tlen;
	} else {
		label = x->e.label.data;
		n = x->e.label.len;
	}
	if (dss_export_render_answer(x, dss_exemplars_answer(x->ex), label, n, NULL, 0,
	    err) < 0)
		return -1;
	r = DSS_JSONW_LIT(b, ",\"messages\":[{\"role\":\"user\",\"content\":") |
	    dss_jsonw_escaped(b, x->e.qinput.data, x->e.qinput.len) |
	    DSS_JSONW_LIT(b, "},{\"role\":\"assistant\",\"content\":\"");
	if (rationale != NULL && rlen > 0)
		r |= dss_jscan_escape(b, rationale, rlen) |
		    dss_buf_addch_fast(b, ' ');
	r |= dss_jscan_escape(b, x->phrase.data, x->phrase.len) |
	    DSS_JSONW_LIT(b, "\"}]");
	return end_record(x, start, r, err);
}

/* ---- the scan ---- */

static int
note_teacher(struct dss_export *x, const char *t)
{
	size_t i;

	if (t == NULL)
		return 0;
	for (i = 0; i < x->nteachers; i++)
		if (strcmp(x->teachers[i], t) == 0) {
			x->ex_teachers |= 1u << i;
			return 0;
		}
	if (x->nteachers == MAX_TEACHERS) {
		x->other_teachers++;
		x->ex_other++;
		return 0;
	}
	if ((x->teachers[x->nteachers] = strdup(t)) == NULL)
		return -1;
	x->ex_teachers |= 1u << x->nteachers;
	x->nteachers++;
	return 0;
}

/* Copies s (n bytes) into b, and its escaped form into q when not NULL. */
static int
take(const char *s, size_t n, struct dss_buf *b, struct dss_buf *q)
{
	dss_buf_reset(b);
	if (q != NULL)
		dss_buf_reset(q);
	if (s == NULL)
		return 0;
	return dss_buf_add(b, s, n) | (q != NULL ? dss_jscan_escape(q, s, n) : 0);
}

void
dss_export_cols_of(sqlite3_stmt *st, struct dss_export_cols *c)
{
	static const int col[DSS_EXPORT_NCOLS] = { 0, 1, 2, 7 };
	int i;

	for (i = 0; i < DSS_EXPORT_NCOLS; i++) {
		c->v[i] = (const char *)sqlite3_column_text(st, col[i]);
		c->n[i] = (size_t)sqlite3_column_bytes(st, col[i]);
	}
}

int
dss_export_begin_cols(struct dss_export *x, const struct dss_export_cols *c,
    struct dss_err *err)
{
	struct example *e = &x->e;
	int needq = x->form == NULL;

	if (take(c->v[DSS_EXPORT_COL_ID], c->n[DSS_EXPORT_COL_ID], &e->id,
	    &e->qid) < 0 ||
	    take(c->v[DSS_EXPORT_COL_INPUT], c->n[DSS_EXPORT_COL_INPUT],
	    &e->input, needq ? &e->qinput : NULL) < 0 ||
	    take(c->v[DSS_EXPORT_COL_LABEL], c->n[DSS_EXPORT_COL_LABEL],
	    &e->label, needq ? &e->qlabel : NULL) < 0 ||
	    (x->need_record && take(c->v[DSS_EXPORT_COL_RECORD],
	    c->n[DSS_EXPORT_COL_RECORD], &e->record, NULL) < 0))
		return dss_export_nomem(err);
	e->kept = 0;
	e->picked = 0;
	x->split_counts[x->s].examples++;
	return 0;
}

int
dss_export_begin_example(struct dss_export *x, sqlite3_stmt *st, struct dss_err *err)
{
	struct dss_export_cols c;

	dss_export_cols_of(st, &c);
	return dss_export_begin_cols(x, &c, err);
}

/* Characters (UTF-8 code points) in s. */
static size_t
chars(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xC0) != 0x80;
	return c;
}

/* Emits, for --pick all, what one kept rationale gives. */
static int
emit_each(struct dss_export *x, const char *rat, size_t rlen, const char *tl,
    size_t tlen, struct dss_err *err)
{
	switch (x->o.format) {
	case DSS_EXPORT_T5:
		if (x->e.kept == 1 && t5_predict(x, tl, tlen, err) < 0)
			return -1;
		return t5_explain(x, rat, rlen, err);
	case DSS_EXPORT_PAIRS:
		return plain_record(x, rat, rlen, tl, tlen, err);
	case DSS_EXPORT_CHAT:
		return chat_record(x, rat, rlen, tl, tlen, err);
	default:
		return 0;	/* dss_export_check refuses the others */
	}
}

/* One row with a kept triple: pick it, or emit it for --pick all. */
void
dss_export_triple_of(sqlite3_stmt *st, struct dss_export_triple *t)
{
	t->sample = sqlite3_column_int64(st, 3);
	t->rat = (const char *)sqlite3_column_text(st, 4);
	t->rlen = (size_t)sqlite3_column_bytes(st, 4);
	t->tl = (const char *)sqlite3_column_text(st, 5);
	t->tlen = (size_t)sqlite3_column_bytes(st, 5);
	t->teacher = (const char *)sqlite3_column_text(st, 6);
	t->teacherlen = (size_t)sqlite3_column_bytes(st, 6);
	t->req = (const char *)sqlite3_column_text(st, 8);
	t->reqlen = (size_t)sqlite3_column_bytes(st, 8);
}

/* Copies s (n bytes, or none when NULL) into b. */
static int
set_buf(struct dss_buf *b, const char *s, size_t n)
{
	dss_buf_reset(b);
	return s != NULL ? dss_buf_add(b, s, n) : 0;
}

int
dss_export_add_triple(struct dss_export *x, const struct dss_export_triple *t,
    struct dss_err *err)
{
	struct example *e = &x->e;
	const char *rat = t->rat, *tl = t->tl, *req = t->req;
	size_t rlen = t->rlen, tlen = t->tlen;
	long long sample = t->sample;
	size_t c = 0;
	int better, earlier;

	x->split_counts[x->s].rationales++;
	if (rat == NULL)
		rat = "";
	if (tl == NULL) {
		tl = "";
		tlen = 0;
		if (x->o.labels == DSS_EXPORT_TEACHER || x->form != NULL)
			return 0;	/* no teacher label to train on */
	}
	if (x->form != NULL && (dss_export_unreadable(x->form, rat, rlen) ||
	    dss_export_unreadable(x->form, tl, tlen))) {
		x->split_counts[x->s].unreadable++;
		return 0;
	}
	e->kept++;
	if (x->o.pick == DSS_EXPORT_ALL) {
		if (note_teacher(x, t->teacher) < 0)
			return dss_export_nomem(err);
		return emit_each(x, rat, rlen, tl, tlen, err);
	}
	if (x->o.pick != DSS_EXPORT_FIRST)
		c = chars(rat, rlen);
	/* Ties go to the lower sample index (then request), whatever the row order. */
	earlier = e->picked && (sample < e->sample || (sample == e->sample &&
	    strcmp(req ? req : "", e->request.data ? e->request.data : "") < 0));
	switch (x->o.pick) {
	case DSS_EXPORT_SHORTEST:
		better = !e->picked || c < e->chars || (c == e->chars && earlier);
		break;
	case DSS_EXPORT_LONGEST:
		better = !e->picked || c > e->chars || (c == e->chars && earlier);
		break;
	default:
		better = !e->picked || earlier;
	}
	if (!better)
		return 0;
	if (set_buf(&e->teacher, t->teacher, t->teacherlen) < 0 ||
	    set_buf(&e->request, req, t->reqlen) < 0 ||
	    set_buf(&e->rationale, rat, rlen) < 0 ||
	    set_buf(&e->teacher_label, tl, tlen) < 0)
		return dss_export_nomem(err);
	e->picked = 1;
	e->sample = sample;
	e->chars = c;
	return 0;
}

/* The example is complete: write what it gives. */
int
dss_export_end_example(struct dss_export *x, struct dss_err *err)
{
	struct example *e = &x->e;
	struct dss_export_counts *c = &x->split_counts[x->s];
	int with = e->kept > 0;
	const char *r = e->rationale.data, *tl = e->teacher_label.data;
	size_t rlen = e->rationale.len, tlen = e->teacher_label.len;

	if (!with && (x->missing == DSS_EXPORT_DROP ||
	    (x->o.labels == DSS_EXPORT_TEACHER && x->form == NULL))) {
		c->dropped++;
		return 0;
	}
	if (with)
		c->with_rationale++;
	else
		c->label_only++;
	if (with && x->o.pick != DSS_EXPORT_ALL &&
	    note_teacher(x, e->teacher.data) < 0)
		return dss_export_nomem(err);
	if (x->form != NULL)
		return dss_export_release_example(x, with, err);
	if (x->o.pick == DSS_EXPORT_ALL && with)
		return 0;	/* written as they came */
	if (!with) {
		r = tl = "";
		rlen = tlen = 0;
	}
	switch (x->o.format) {
	case DSS_EXPORT_T5:
		if (t5_predict(x, tl, tlen, err) < 0)
			return -1;
		return with ? t5_explain(x, r, rlen, err) : 0;
	case DSS_EXPORT_PAIRS:
		return plain_record(x, r, rlen, tl, tlen, err);
	case DSS_EXPORT_STANDARD:
		return plain_record(x, NULL, 0, tl, tlen, err);
	case DSS_EXPORT_CHAT:
		return chat_record(x, with ? r : NULL, rlen, tl, tlen, err);
	default:
		return 0;
	}
}

/* Exports one split s (its name split), with or without the subset. */
static int
scan(struct dss_export *x, int s, const char *split, int subset,
    enum dss_export_missing missing, struct dss_err *err)
{
	sqlite3_stmt *st;
	int rc, have = 0;

	x->s = s;
	x->split = split;
	x->missing = missing;
	dss_buf_reset(&x->qsplit);
	if (dss_jscan_quote(&x->qsplit, split, strlen(split)) < 0)
		return dss_export_nomem(err);
	if ((st = prepare(x, split, subset, err)) == NULL)
		return -1;
	if (x->form != NULL && dss_export_release_split_begin(x, err) < 0) {
		sqlite3_finalize(st);
		return -1;
	}
	while ((rc = dss_export_step(x, st, err)) == 1) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);

		if (!have || n != x->e.id.len || memcmp(id, x->e.id.data, n) != 0) {
			if ((have && dss_export_end_example(x, err) < 0) ||
			    dss_export_begin_example(x, st, err) < 0) {
				rc = -1;
				break;
			}
			have = 1;
		}
		if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
			struct dss_export_triple t;

			dss_export_triple_of(st, &t);
			if (dss_export_add_triple(x, &t, err) < 0) {
				rc = -1;
				break;
			}
		}
	}
	if (rc == 0 && have && dss_export_end_example(x, err) < 0)
		rc = -1;
	sqlite3_finalize(st);
	if (rc == 0 && x->form != NULL)
		rc = dss_export_release_split_end(x, err);
	return rc;
}

static void
add_counts(struct dss_export_counts *to, const struct dss_export_counts *c)
{
	to->examples += c->examples;
	to->rationales += c->rationales;
	to->with_rationale += c->with_rationale;
	to->label_only += c->label_only;
	to->dropped += c->dropped;
	to->unreadable += c->unreadable;
	to->records += c->records;
	to->predict += c->predict;
	to->explain += c->explain;
}

static int
run_release(struct dss_export *x, struct dss_err *err)
{
	int s;

	if (dss_export_release_begin(x, err) < 0)
		return -1;
	for (s = 0; s < 3; s++) {
		if (x->form->batches[s] == 0)
			continue;
		/* The subset and --missing shape train; valid and test stay whole. */
		if (scan(x, s, dss_release_split_name(s),
		    s == 0 && x->o.subset != NULL,
		    s == 0 ? x->o.missing : DSS_EXPORT_LABEL_ONLY, err) < 0)
			return -1;
	}
	return dss_export_release_commit(x, err);
}

/* With --out DIR: each subset to a temporary file beside DIR/NAME.jsonl. */
static int
open_outputs(struct dss_export *x, struct dss_err *err)
{
	mode_t um = umask(0);
	size_t i;

	umask(um);
	if (mkdir(x->o.out, 0777) < 0 && errno != EEXIST)
		return dss_err_errno(err, errno, "cannot create '%s'", x->o.out);
	for (i = 0; i < x->nsubs; i++) {
		struct export_sub *s = &x->subs[i];
		struct dss_buf b = DSS_BUF_INIT;
		int fd;

		if (dss_buf_addf(&b, "%s/%s.jsonl", x->o.out, s->info.name) < 0)
			return dss_export_nomem(err);
		s->path = dss_buf_detach(&b, NULL);
		if (s->path == NULL || dss_buf_addf(&b, "%s.tmp.XXXXXX", s->path) < 0)
			return dss_export_nomem(err);
		s->tmp = dss_buf_detach(&b, NULL);
		if (s->tmp == NULL)
			return dss_export_nomem(err);
		if ((fd = mkstemp(s->tmp)) < 0) {
			free(s->tmp);
			s->tmp = NULL;
			return dss_err_errno(err, errno, "cannot create '%s'",
			    s->path);
		}
		(void)fchmod(fd, 0666 & ~um);
		if ((s->fp = fdopen(fd, "w")) == NULL) {
			close(fd);
			return dss_err_errno(err, errno, "cannot create '%s'",
			    s->path);
		}
		/*
		 * Records of half a kilobyte each: fewer, larger writes.  The
		 * buffer is given, since glibc takes no size without one.
		 */
		if ((s->fpbuf = malloc(OUT_BUF)) != NULL)
			(void)setvbuf(s->fp, s->fpbuf, _IOFBF, OUT_BUF);
		s->fpname = s->path;
	}
	return 0;
}

/* Flushes, syncs and renames every output into place, then the directory. */
static int
commit_outputs(struct dss_export *x, struct dss_err *err)
{
	size_t i;
	int fd;

	for (i = 0; i < x->nsubs; i++) {
		struct export_sub *s = &x->subs[i];
		int bad = fflush(s->fp) != 0 || fsync(fileno(s->fp)) != 0;

		errno = bad ? errno : 0;
		if (fclose(s->fp) != 0 || bad) {
			s->fp = NULL;
			return dss_err_errno(err, errno ? errno : EIO, "cannot "
			    "write '%s'", s->path);
		}
		s->fp = NULL;
	}
	for (i = 0; i < x->nsubs; i++) {
		struct export_sub *s = &x->subs[i];

		if (rename(s->tmp, s->path) < 0)
			return dss_err_errno(err, errno, "cannot rename '%s' to "
			    "'%s'", s->tmp, s->path);
		free(s->tmp);
		s->tmp = NULL;
	}
	if ((fd = open(x->o.out, O_RDONLY | O_DIRECTORY)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	return 0;
}

static int
run_subsets(struct dss_export *x, FILE *out, const char *outname,
    struct dss_err *err)
{
	size_t i;

	x->s = 0;
	x->split = x->o.split;
	x->missing = x->o.missing;
	dss_buf_reset(&x->qsplit);
	if (dss_jscan_quote(&x->qsplit, x->split, strlen(x->split)) < 0)
		return dss_export_nomem(err);
	/* Two sequential reads (export_subsets.c): a small cache will do. */
	if (dss_db_exec(x->db, "PRAGMA cache_size = -4096", err) < 0)
		return -1;
	if (x->o.out == NULL) {
		x->subs[0].fp = out;
		x->subs[0].fpname = outname;
	} else if (open_outputs(x, err) < 0)
		return -1;
	if (dss_export_subsets(x, err) < 0)
		return -1;
	for (i = 0; i < x->nsubs; i++)
		add_counts(&x->split_counts[0], &x->subs[i].c);
	return x->o.out != NULL ? commit_outputs(x, err) : 0;
}

int
dss_export_run(struct dss_export *x, FILE *out, const char *outname,
    struct dss_err *err)
{
	int rc, s;

	if (x->ran)
		return dss_err_set(err, "the export has already run");
	x->ran = 1;
	x->fp = out;
	x->fpname = outname;
	memset(&x->total, 0, sizeof(x->total));
	memset(x->split_counts, 0, sizeof(x->split_counts));
	if (x->form != NULL)
		rc = run_release(x, err);
	else if (x->nsubs > 0)
		rc = run_subsets(x, out, outname, err);
	else if (scan(x, 0, x->o.split, 0, x->o.missing, err) < 0) {
		flush_out(x, NULL);	/* what came before the error stands */
		rc = -1;
	} else
		rc = flush_out(x, err);
	for (s = 0; s < 3; s++)
		add_counts(&x->total, &x->split_counts[s]);
	return rc;
}

size_t
dss_export_nsubsets(const struct dss_export *x)
{
	return x->nsubs;
}

const struct dss_export_counts *
dss_export_subset(const struct dss_export *x, size_t i, const char **name,
    const char **path)
{
	if (i >= x->nsubs)
		return NULL;
	*name = x->subs[i].info.name;
	*path = x->subs[i].path;
	return &x->subs[i].c;
}

