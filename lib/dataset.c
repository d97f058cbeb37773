/* SPDX-License-Identifier: MIT */
/* Turning upstream rows into example records as a manifest says (see dataset.h). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "buf.h"
#include "csv.h"
#include "dataset.h"
#include "jscan.h"
#include "jsonl.h"
#include "mt19937.h"
#include "sha256.h"

#define ARRAY_MAX ((size_t)256 << 20)

/* One upstream value: a string (s, n) or, for JSON, any other value j. */
struct val {
	const char *s;
	size_t n;
	const cJSON *j;
};

struct vals {
	struct val *v;
	size_t n, cap;
};

/*
 * CSV is read by two threads: a reader parses records into batches of
 * rows (the kept columns only) while the caller's thread turns the
 * previous batch into records, so that parsing and formatting overlap.
 */
#define BATCH_ROWS 2048
#define BATCH_BYTES ((size_t)1 << 20)
#define NONE ((size_t)-1)

struct batch {
	struct dss_buf data;	/* field bytes, each followed by a NUL */
	size_t *off, *len;	/* [row * ncols + col]; off NONE when absent */
	unsigned long *line;	/* physical line of each row */
	size_t nrows, ncols;
	int last;		/* no batch follows this one */
	int failed;		/* the reader failed after these rows */
};

struct reader {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch b[2];
	int full[2];		/* handed to the formatter, not yet given back */
	int stop;		/* the formatter gave up: stop reading */
	struct dss_csv *csv;
	const unsigned char *keep;
	struct dss_err err;	/* the reader's error, when a batch says failed */
};

struct ctx {
	const struct dss_manifest *m;
	const struct dss_manifest_split *sp;
	FILE *out;
	struct dss_dataset_stats *st;
	struct dss_buf rec, prefix;
	struct dss_buf input;	/* the input text, already JSON-escaped */
	struct vals a, b;
	const char *where;	/* source name for messages */
	const char *unit;	/* "line" or "element" */
	unsigned long pos;	/* line or element number */
	const struct batch *batch;	/* the CSV row: batch and row, or */
	size_t row;
	const cJSON *obj;	/* the JSON row */
	int *cols;		/* CSV: column per field path, flattened */
	size_t *colbase;	/* CSV: first entry in cols of each field */
	int label_col;
	unsigned long long index;
	char numkey[32];	/* a numeric label as text */
};

static int
push(struct vals *v, const char *s, size_t n, const cJSON *j)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		struct val *nv = realloc(v->v, cap * sizeof *nv);

		if (nv == NULL)
			return -1;
		v->v = nv;
		v->cap = cap;
	}
	v->v[v->n].s = s;
	v->v[v->n].n = n;
	v->v[v->n].j = j;
	v->n++;
	return 0;
}

/* Appends the values at path ("a.b[].c") under node to out; JSON null counts as absent. */
static int
walk(const cJSON *node, const char *path, struct vals *out)
{
	const char *end, *rest;
	char name[256];
	size_t n;
	int iter;
	const cJSON *child, *el;

	if (*path == '\0') {
		if (node == NULL || cJSON_IsNull(node))
			return 0;
		if (cJSON_IsString(node))
			return push(out, node->valuestring, strlen(node->valuestring), NULL);
		return push(out, NULL, 0, node);
	}
	end = strchr(path, '.');
	if (end == NULL)
		end = path + strlen(path);
	rest = *end == '.' ? end + 1 : end;
	n = (size_t)(end - path);
	iter = n >= 2 && path[n - 2] == '[' && path[n - 1] == ']';
	if (iter)
		n -= 2;
	if (n >= sizeof name)
		return 0;
	memcpy(name, path, n);
	name[n] = '\0';
	child = n ? cJSON_GetObjectItemCaseSensitive(node, name) : node;
	if (child == NULL)
		return 0;
	if (!iter)
		return walk(child, rest, out);
	if (!cJSON_IsArray(child))
		return 0;
	cJSON_ArrayForEach(el, child)
		if (walk(el, rest, out) < 0)
			return -1;
	return 0;
}

/* The values of path k of field f (f == -1: the label path) for the current row. */
static int
get(struct ctx *x, int f, size_t k, const char *path, struct vals *out)
{
	if (x->batch != NULL) {
		int col = f < 0 ? x->label_col : x->cols[x->colbase[f] + k];
		size_t at;

		if (col < 0 || (size_t)col >= x->batch->ncols)
			return 0;
		at = x->row * x->batch->ncols + (size_t)col;
		if (x->batch->off[at] == NONE)
			return 0;
		return push(out, x->batch->data.data + x->batch->off[at],
		    x->batch->len[at], NULL);
	}
	return walk(x->obj, path, out);
}

/*
 * Appends v as a JSON value (json set: strings quoted), or as the escaped
 * inside of a JSON string (json clear: for the input, which is built
 * escaped so that it is escaped once).
 */
static int
put_val(struct ctx *x, struct dss_buf *b, const struct val *v, int json)
{
	char *s;
	int r;

	if (v->s != NULL)
		return json ? dss_jscan_quote(b, v->s, v->n) : dss_jscan_escape(b, v->s, v->n);
	s = cJSON_PrintUnformatted(v->j);
	if (s == NULL)
		return -1;
	r = json ? dss_buf_adds(b, s) : dss_jscan_escape(b, s, strlen(s));
	cJSON_free(s);
	return r;
}

/* Writes v in six digits at least, then '","index":' and v: the id's end and the index. */
static int
put_index(struct dss_buf *b, unsigned long long v)
{
	static const char mid[] = "\",\"index\":";
	char tmp[24], *d;
	int n = 0, k;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (dss_buf_grow_fast(b, 2 * (size_t)n + 6 + sizeof mid) < 0)
		return -1;
	d = b->data + b->len;
	for (k = n; k < 6; k++)
		*d++ = '0';
	for (k = n; k > 0; k--)
		*d++ = tmp[k - 1];
	memcpy(d, mid, sizeof mid - 1);
	d += sizeof mid - 1;
	for (k = n; k > 0; k--)
		*d++ = tmp[k - 1];
	*d = '\0';
	b->len = (size_t)(d - b->data);
	return 0;
}

static int
row_error(struct ctx *x, struct dss_err *err, const char *fmt, const char *what)
{
	dss_err_set(err, fmt, what);
	return dss_err_prefix(err, "'%s': %s %lu", x->where, x->unit, x->pos);
}

/* The values of field f: its paths in order; for an array of paths, empty strings are dropped. */
static int
field_vals(struct ctx *x, size_t f, struct vals *out)
{
	const struct dss_manifest_field *fd = &x->m->fields[f];
	size_t k;

	out->n = 0;
	for (k = 0; k < fd->npaths; k++) {
		size_t before = out->n;

		if (get(x, (int)f, k, fd->paths[k], out) < 0)
			return -1;
		if (fd->npaths > 1 && out->n > before && out->v[before].s != NULL &&
		    out->v[before].n == 0)
			out->n = before;
	}
	return 0;
}

/* The template's values: field f's, held in x->a from count to value. */
static size_t
input_count(void *arg, size_t f)
{
	struct ctx *x = arg;

	return field_vals(x, f, &x->a) < 0 ? (size_t)-1 : x->a.n;
}

static int
input_value(void *arg, size_t f, size_t k, struct dss_buf *out)
{
	struct ctx *x = arg;

	(void)f;
	return put_val(x, out, &x->a.v[k], 0);
}

static int
build_input(struct ctx *x, struct dss_err *err)
{
	size_t missing = 0;
	int r;

	dss_buf_reset(&x->input);
	r = dss_manifest_render(x->m, &x->input, input_count, input_value, x,
	    dss_jscan_escape, &missing);
	if (r == -2)
		return row_error(x, err, "field '%s' is missing",
		    x->m->fields[missing].paths[0]);
	if (r < 0)
		return dss_err_errno(err, errno ? errno : ENOMEM, "'%s'", x->where);
	return 0;
}

/* What build_input would refuse, without building it: a field of the input that is missing. */
static int
check_input(struct ctx *x, struct dss_err *err)
{
	const struct dss_manifest *m = x->m;
	size_t i;

	for (i = 0; i < m->npieces; i++) {
		const struct dss_manifest_field *fd;

		if (m->pieces[i].text != NULL)
			continue;
		fd = &m->fields[m->pieces[i].field];
		if (fd->list)
			continue;
		if (field_vals(x, m->pieces[i].field, &x->a) < 0)
			return dss_err_errno(err, errno ? errno : ENOMEM, "'%s'", x->where);
		if (x->a.n == 0)
			return row_error(x, err, "field '%s' is missing", fd->paths[0]);
	}
	return 0;
}

static int
same(const struct val *v, const char *s, size_t n)
{
	return v->s != NULL && v->n == n && memcmp(v->s, s, n) == 0;
}

/* Finds the label: 1 with *out set, 0 when the row has none usable, -1 on error. */
static int
find_label(struct ctx *x, struct val *out)
{
	const struct dss_manifest *m = x->m;
	struct val key;
	size_t i;

	x->b.n = 0;
	if (get(x, -1, 0, m->label_from, &x->b) < 0)
		return -1;
	if (x->b.n != 1)
		return 0;
	key = x->b.v[0];
	if (key.s == NULL && cJSON_IsNumber(key.j)) {
		/* An integer label (0, 1, 2) reads as its decimal text. */
		double d = key.j->valuedouble;

		if (d != (double)(long long)d || d < -1e15 || d > 1e15)
			return 0;
		snprintf(x->numkey, sizeof x->numkey, "%lld", (long long)d);
		key.s = x->numkey;
		key.n = strlen(x->numkey);
	}
	if (key.s == NULL || key.n == 0 || memchr(key.s, '\0', key.n) != NULL)
		return 0;
	if (m->label_map != NULL) {
		const cJSON *it = cJSON_GetObjectItemCaseSensitive(m->label_map, key.s);

		if (it == NULL)
			return 0;
		out->s = it->valuestring;
		out->n = strlen(it->valuestring);
		out->j = NULL;
		return 1;
	}
	if (m->choose_keys != NULL) {
		x->a.n = 0;
		if (walk(x->obj, m->choose_keys, &x->a) < 0)
			return -1;
		x->b.n = 0;
		if (walk(x->obj, m->choose_values, &x->b) < 0)
			return -1;
		for (i = 0; i < x->a.n && i < x->b.n; i++)
			if (same(&x->a.v[i], key.s, key.n) && x->b.v[i].s != NULL) {
				*out = x->b.v[i];
				return 1;
			}
		return 0;
	}
	*out = key;
	return 1;
}

static int
write_row(struct ctx *x, struct dss_err *err)
{
	const struct dss_manifest *m = x->m;
	struct dss_buf *r = &x->rec;
	struct val label;
	size_t f, k;
	int got;

	if ((got = find_label(x, &label)) < 0)
		goto nomem;
	if (got == 0) {
		x->st->skipped++;
		return 0;
	}
	if (x->out == NULL) {
		/* counting: the row must be one that would be written */
		if (check_input(x, err) < 0)
			return -1;
		x->index++;
		x->st->count++;
		return 0;
	}
	if (build_input(x, err) < 0)
		return -1;
	dss_buf_reset(r);
	if (dss_buf_add_fast(r, x->prefix.data, x->prefix.len) < 0 ||
	    put_index(r, x->index) < 0 ||
	    dss_buf_adds(r, ",\"input\":") < 0 ||
	    dss_buf_addch_fast(r, '"') < 0 || dss_buf_add_fast(r, x->input.data, x->input.len) < 0 ||
	    dss_buf_addch_fast(r, '"') < 0 ||
	    dss_buf_adds(r, ",\"label\":") < 0 ||
	    dss_jscan_quote(r, label.s, label.n) < 0 ||
	    dss_buf_adds(r, ",\"fields\":{") < 0)
		goto nomem;
	for (f = 0; f < m->nfields; f++) {
		const struct dss_manifest_field *fd = &m->fields[f];

		if (field_vals(x, f, &x->a) < 0 ||
		    (f && dss_buf_addch_fast(r, ',') < 0) ||
		    dss_jscan_quote(r, fd->name, strlen(fd->name)) < 0 ||
		    dss_buf_addch_fast(r, ':') < 0)
			goto nomem;
		if (!fd->list) {
			if (x->a.n == 0 ? dss_buf_adds(r, "null") < 0 :
			    put_val(x, r, &x->a.v[0], 1) < 0)
				goto nomem;
			continue;
		}
		if (dss_buf_addch_fast(r, '[') < 0)
			goto nomem;
		for (k = 0; k < x->a.n; k++)
			if ((k && dss_buf_addch_fast(r, ',') < 0) ||
			    put_val(x, r, &x->a.v[k], 1) < 0)
				goto nomem;
		if (dss_buf_addch_fast(r, ']') < 0)
			goto nomem;
	}
	if (dss_buf_adds(r, "}}\n") < 0)
		goto nomem;
	if (fwrite(r->data, 1, r->len, x->out) != r->len)
		return dss_err_errno(err, errno ? errno : EIO, "cannot write records");
	x->index++;
	x->st->count++;
	return 0;
nomem:
	return dss_err_errno(err, errno ? errno : ENOMEM, "'%s'", x->where);
}

char *
dss_dataset_source_name(const struct dss_manifest_source *src)
{
	struct dss_buf b = DSS_BUF_INIT;
	const char *base = strrchr(src->url, '/');

	dss_buf_adds(&b, base ? base + 1 : src->url);
	if (src->member != NULL)
		dss_buf_addf(&b, ":%s", src->member);
	return dss_buf_detach(&b, NULL);
}

/* An open source: a plain file or an archive member, as a stdio stream. */
struct input {
	FILE *fp;
	FILE *plain;
	struct dss_archive *ar;
};

static int
input_open(struct input *in, const struct dss_manifest_source *src,
    const char *path, struct dss_err *err)
{
	memset(in, 0, sizeof *in);
	if (src->member == NULL) {
		if ((in->plain = fopen(path, "rb")) == NULL)
			return dss_err_errno(err, errno, "cannot open '%s'", path);
		in->fp = in->plain;
		return 0;
	}
	if ((in->ar = dss_archive_open(path, err)) == NULL)
		return -1;
	if (dss_archive_find(in->ar, src->member, err) < 0 ||
	    (in->fp = dss_archive_stream(in->ar)) == NULL) {
		if (in->fp == NULL && err->msg[0] == '\0')
			dss_err_set(err, "cannot read member '%s' of '%s'", src->member, path);
		dss_archive_close(in->ar);
		in->ar = NULL;
		return -1;
	}
	return 0;
}

/* Checks the stream for a read error once a reader has seen its end. */
static int
input_check(struct input *in, struct ctx *x, struct dss_err *err)
{
	if (in->fp != NULL && ferror(in->fp)) {
		if (in->ar != NULL && dss_archive_error(in->ar) != NULL)
			return dss_err_set(err, "%s", dss_archive_error(in->ar));
		return dss_err_errno(err, errno ? errno : EIO, "cannot read '%s'", x->where);
	}
	return 0;
}

static void
input_close(struct input *in)
{
	if (in->plain != NULL)
		fclose(in->plain);
	dss_archive_close(in->ar);
	memset(in, 0, sizeof *in);
}

static void
batch_free(struct batch *b)
{
	dss_buf_free(&b->data);
	free(b->off);
	free(b->len);
	free(b->line);
}

/* Appends the current record of csv to b.  Returns -1 on ENOMEM. */
static int
batch_add(struct batch *b, struct dss_csv *csv, const unsigned char *keep)
{
	size_t c, n, at = b->nrows * b->ncols;

	for (c = 0; c < b->ncols; c++) {
		const char *f = keep[c] ? dss_csv_field(csv, c, &n) : NULL;

		b->off[at + c] = NONE;
		if (f == NULL)
			continue;
		b->off[at + c] = b->data.len;
		b->len[at + c] = n;
		if (dss_buf_add_fast(&b->data, f, n + 1) < 0)
			return -1;
	}
	b->line[b->nrows++] = dss_csv_lineno(csv);
	return 0;
}

static void *
reader_main(void *arg)
{
	struct reader *rd = arg;
	int i = 0, st = 1;

	while (st == 1) {
		struct batch *b = &rd->b[i];

		pthread_mutex_lock(&rd->mu);
		while (rd->full[i] && !rd->stop)
			pthread_cond_wait(&rd->cv, &rd->mu);
		st = rd->stop ? 0 : 1;
		pthread_mutex_unlock(&rd->mu);
		if (st == 0)
			break;
		dss_buf_reset(&b->data);
		b->nrows = 0;
		while (b->nrows < BATCH_ROWS && b->data.len < BATCH_BYTES &&
		    (st = dss_csv_next(rd->csv, &rd->err)) == 1)
			if (batch_add(b, rd->csv, rd->keep) < 0) {
				dss_err_errno(&rd->err, ENOMEM, "line %lu",
				    dss_csv_lineno(rd->csv));
				st = -1;
			}
		b->last = st != 1;
		b->failed = st < 0;
		pthread_mutex_lock(&rd->mu);
		rd->full[i] = 1;
		pthread_cond_broadcast(&rd->cv);
		pthread_mutex_unlock(&rd->mu);
		i ^= 1;
	}
	return NULL;
}

/* Runs the reader thread over csv and writes the records of its batches. */
static int
format_batches(struct ctx *x, struct dss_csv *csv, const unsigned char *keep,
    size_t ncols, struct dss_err *err)
{
	struct reader rd;
	pthread_t th;
	int i = 0, r = -1, started = 0, last = 0, e;
	size_t k;

	memset(&rd, 0, sizeof rd);
	rd.csv = csv;
	rd.keep = keep;
	for (k = 0; k < 2; k++) {
		struct batch *b = &rd.b[k];

		b->data = (struct dss_buf)DSS_BUF_INIT;
		b->ncols = ncols;
		b->off = malloc(BATCH_ROWS * (ncols ? ncols : 1) * sizeof *b->off);
		b->len = malloc(BATCH_ROWS * (ncols ? ncols : 1) * sizeof *b->len);
		b->line = malloc(BATCH_ROWS * sizeof *b->line);
		if (b->off == NULL || b->len == NULL || b->line == NULL ||
		    dss_buf_grow(&b->data, BATCH_BYTES + 4096) < 0) {
			dss_err_errno(err, ENOMEM, "'%s'", x->where);
			goto out;
		}
	}
	pthread_mutex_init(&rd.mu, NULL);
	pthread_cond_init(&rd.cv, NULL);
	if ((e = pthread_create(&th, NULL, reader_main, &rd)) != 0) {
		dss_err_errno(err, e, "cannot start a reader for '%s'", x->where);
		goto done;
	}
	started = 1;
	x->unit = "line";
	while (!last) {
		struct batch *b = &rd.b[i];

		pthread_mutex_lock(&rd.mu);
		while (!rd.full[i])
			pthread_cond_wait(&rd.cv, &rd.mu);
		pthread_mutex_unlock(&rd.mu);
		x->batch = b;
		for (x->row = 0; x->row < b->nrows; x->row++) {
			x->pos = b->line[x->row];
			if (write_row(x, err) < 0)
				goto done;
		}
		last = b->last;
		if (b->failed) {
			*err = rd.err;
			dss_err_prefix(err, "'%s'", x->where);
			goto done;
		}
		pthread_mutex_lock(&rd.mu);
		rd.full[i] = 0;
		pthread_cond_broadcast(&rd.cv);
		pthread_mutex_unlock(&rd.mu);
		i ^= 1;
	}
	r = 0;
done:
	x->batch = NULL;
	if (started) {
		pthread_mutex_lock(&rd.mu);
		rd.stop = 1;
		pthread_cond_broadcast(&rd.cv);
		pthread_mutex_unlock(&rd.mu);
		pthread_join(th, NULL);
	}
	pthread_cond_destroy(&rd.cv);
	pthread_mutex_destroy(&rd.mu);
out:
	batch_free(&rd.b[0]);
	batch_free(&rd.b[1]);
	return r;
}

static int
read_csv(struct ctx *x, FILE *fp, struct dss_err *err)
{
	const struct dss_manifest *m = x->m;
	size_t f, k, total = 0;
	unsigned char *keep = NULL;
	struct dss_csv *csv;
	int r = -1;

	if ((csv = dss_csv_open(fp, x->where, err)) == NULL)
		return -1;
	x->unit = "line";
	if (dss_csv_read_header(csv, err) < 0)
		goto out;
	for (f = 0; f < m->nfields; f++)
		total += m->fields[f].npaths;
	x->cols = calloc(total ? total : 1, sizeof *x->cols);
	x->colbase = calloc(m->nfields ? m->nfields : 1, sizeof *x->colbase);
	if (x->cols == NULL || x->colbase == NULL) {
		dss_err_errno(err, ENOMEM, "'%s'", x->where);
		goto out;
	}
	total = 0;
	for (f = 0; f < m->nfields; f++) {
		x->colbase[f] = total;
		for (k = 0; k < m->fields[f].npaths; k++)
			x->cols[total++] = dss_csv_column(csv, m->fields[f].paths[k]);
	}
	for (k = 0; k < m->npieces; k++) {
		const struct dss_manifest_field *fd;

		if (m->pieces[k].text != NULL)
			continue;
		fd = &m->fields[m->pieces[k].field];
		if (!fd->list && x->cols[x->colbase[m->pieces[k].field]] < 0) {
			dss_err_set(err, "'%s': no column '%s'", x->where, fd->paths[0]);
			goto out;
		}
	}
	if (m->choose_keys != NULL) {
		dss_err_set(err, "'%s': label 'choose' needs a JSON format", x->where);
		goto out;
	}
	if ((x->label_col = dss_csv_column(csv, m->label_from)) < 0) {
		dss_err_set(err, "'%s': no column '%s'", x->where, m->label_from);
		goto out;
	}
	if ((keep = calloc(dss_csv_count(csv) + 1, 1)) == NULL) {
		dss_err_errno(err, ENOMEM, "'%s'", x->where);
		goto out;
	}
	for (k = 0; k < total; k++)
		if (x->cols[k] >= 0)
			keep[x->cols[k]] = 1;
	keep[x->label_col] = 1;
	if (dss_csv_keep(csv, keep, dss_csv_count(csv), err) < 0)
		goto out;
	r = format_batches(x, csv, keep, dss_csv_count(csv), err);
out:
	free(keep);
	dss_csv_close(csv);
	free(x->cols);
	free(x->colbase);
	x->cols = NULL;
	x->colbase = NULL;
	return r;
}

static int
read_jsonl(struct ctx *x, FILE *fp, cJSON *keep, struct dss_err *err)
{
	struct dss_lines l = DSS_LINES_INIT(fp, x->where);
	cJSON *obj;
	int st, r = -1;

	x->unit = "line";
	while ((st = dss_jsonl_next(&l, &obj, err)) == 1) {
		if (keep != NULL) {
			if (!cJSON_AddItemToArray(keep, obj)) {
				cJSON_Delete(obj);
				dss_err_errno(err, ENOMEM, "'%s'", x->where);
				goto out;
			}
			continue;
		}
		x->obj = obj;
		x->pos = l.lineno;
		st = write_row(x, err);
		x->obj = NULL;
		cJSON_Delete(obj);
		if (st < 0)
			goto out;
	}
	if (st < 0) {
		dss_err_prefix(err, "'%s'", x->where);
		goto out;
	}
	r = 0;
out:
	dss_lines_free(&l);
	return r;
}

static int
read_array(struct ctx *x, FILE *fp, cJSON **root, struct dss_err *err)
{
	struct dss_buf b = DSS_BUF_INIT;
	char chunk[65536];
	const cJSON *el;
	const char *doc;
	size_t n, len;

	b.max = ARRAY_MAX;
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		if (dss_buf_add_fast(&b, chunk, n) < 0) {
			dss_buf_free(&b);
			return dss_err_set(err, "'%s' is larger than %zu bytes", x->where,
			    ARRAY_MAX);
		}
	if (ferror(fp)) {
		dss_buf_free(&b);
		return 0;	/* input_check reports it */
	}
	doc = b.data;
	len = b.len;
	if (dss_jscan_document(&doc, &len, err) < 0) {
		dss_buf_free(&b);
		return dss_err_prefix(err, "'%s'", x->where);
	}
	if ((*root = cJSON_ParseWithLength(doc, len)) == NULL) {
		dss_buf_free(&b);
		return dss_err_set(err, "'%s': out of memory", x->where);
	}
	dss_buf_free(&b);
	if (!cJSON_IsArray(*root))
		return dss_err_set(err, "'%s': not a JSON array", x->where);
	n = 0;
	cJSON_ArrayForEach(el, *root) {
		n++;
		if (!cJSON_IsObject(el))
			return dss_err_set(err, "'%s': element %zu is not a JSON object",
			    x->where, n);
	}
	return 0;
}

/* Reads source i of the split: rows are written, or kept in *rows (a JSON array) when permuting. */
static int
read_source(struct ctx *x, const struct dss_manifest_source *src, const char *path,
    cJSON *rows, struct dss_err *err)
{
	struct input in;
	char *name = dss_dataset_source_name(src);
	cJSON *root = NULL, *el;
	int r = -1;

	if (name == NULL)
		return dss_err_errno(err, ENOMEM, "sources");
	x->where = name;
	if (input_open(&in, src, path, err) < 0)
		goto out;
	switch (src->format) {
	case DSS_FORMAT_CSV:
		r = read_csv(x, in.fp, err);
		break;
	case DSS_FORMAT_JSONL:
		r = read_jsonl(x, in.fp, rows, err);
		break;
	case DSS_FORMAT_JSON_ARRAY:
		if ((r = read_array(x, in.fp, &root, err)) < 0 || root == NULL)
			break;
		x->unit = "element";
		x->pos = 0;
		while (rows == NULL && (el = cJSON_DetachItemFromArray(root, 0)) != NULL) {
			x->pos++;
			x->obj = el;
			r = write_row(x, err);
			x->obj = NULL;
			cJSON_Delete(el);
			if (r < 0)
				break;
		}
		while (rows != NULL && r == 0 &&
		    (el = cJSON_DetachItemFromArray(root, 0)) != NULL)
			if (!cJSON_AddItemToArray(rows, el)) {
				cJSON_Delete(el);
				r = dss_err_errno(err, ENOMEM, "'%s'", x->where);
			}
		break;
	}
	/* A read error (a truncated archive, say) explains any failure best. */
	if (input_check(&in, x, err) < 0)
		r = -1;
	input_close(&in);
out:
	cJSON_Delete(root);
	x->where = NULL;
	free(name);
	return r;
}

/* Writes positions [start, end) of the permuted rows; where names them in messages. */
static int
write_permuted(struct ctx *x, cJSON *rows, const char *where, struct dss_err *err)
{
	const struct dss_manifest_split *sp = x->sp;
	size_t n = (size_t)cJSON_GetArraySize(rows), i, end;
	const cJSON **byidx = NULL;
	size_t *perm = NULL;
	const cJSON *el;
	int r = -1;

	if (n == 0)
		return 0;
	perm = malloc(n * sizeof *perm);
	byidx = malloc(n * sizeof *byidx);
	if (perm == NULL || byidx == NULL) {
		dss_err_errno(err, ENOMEM, "permutation");
		goto out;
	}
	i = 0;
	cJSON_ArrayForEach(el, rows)
		byidx[i++] = el;
	dss_mt19937_permutation((uint32_t)sp->seed, perm, n);
	end = (size_t)sp->end < n ? (size_t)sp->end : n;
	x->unit = sp->sources[0]->format == DSS_FORMAT_JSON_ARRAY ? "element" : "row";
	x->where = where;
	for (i = (size_t)sp->start; i < end; i++) {
		x->obj = byidx[perm[i]];
		x->pos = (unsigned long)perm[i] + 1;
		if (write_row(x, err) < 0)
			goto out;
	}
	r = 0;
out:
	x->obj = NULL;
	x->where = NULL;
	free(perm);
	free(byidx);
	return r;
}

int
dss_dataset_write(const struct dss_manifest *m,
    const struct dss_manifest_split *split, char *const *paths, FILE *out,
    struct dss_dataset_stats *st, struct dss_err *err)
{
	struct ctx x;
	cJSON *rows = NULL;
	size_t i;
	int r = -1;

	memset(&x, 0, sizeof x);
	x.m = m;
	x.sp = split;
	x.out = out;
	x.st = st;
	x.rec = x.input = x.prefix = (struct dss_buf)DSS_BUF_INIT;
	st->count = st->skipped = 0;
	if (dss_buf_adds(&x.prefix, "{\"dataset\":") < 0 ||
	    dss_jscan_quote(&x.prefix, m->name, strlen(m->name)) < 0 ||
	    dss_buf_adds(&x.prefix, ",\"split\":") < 0 ||
	    dss_jscan_quote(&x.prefix, split->name, strlen(split->name)) < 0 ||
	    dss_buf_adds(&x.prefix, ",\"id\":\"") < 0 ||
	    dss_jscan_escape(&x.prefix, m->name, strlen(m->name)) < 0 ||
	    dss_buf_addch_fast(&x.prefix, '-') < 0 ||
	    dss_jscan_escape(&x.prefix, split->name, strlen(split->name)) < 0 ||
	    dss_buf_addch_fast(&x.prefix, '-') < 0) {
		dss_err_errno(err, ENOMEM, "records");
		goto out;
	}
	if (split->permuted && (rows = cJSON_CreateArray()) == NULL) {
		dss_err_errno(err, ENOMEM, "records");
		goto out;
	}
	for (i = 0; i < split->nsources; i++) {
		const struct dss_manifest_source *src = split->sources[i];
		size_t si = (size_t)(src - m->sources);

		if (paths[si] == NULL) {
			dss_err_set(err, "no local copy of source '%s'", src->name);
			goto out;
		}
		if (read_source(&x, src, paths[si], rows, err) < 0)
			goto out;
	}
	if (rows != NULL) {
		char *where = split->nsources == 1 ?
		    dss_dataset_source_name(split->sources[0]) : NULL;
		int pr = write_permuted(&x, rows, where ? where : "rows", err);

		free(where);
		if (pr < 0)
			goto out;
	}
	r = 0;
out:
	cJSON_Delete(rows);
	free(x.a.v);
	free(x.b.v);
	dss_buf_free(&x.rec);
	dss_buf_free(&x.input);
	dss_buf_free(&x.prefix);
	return r;
}

/* The size limit of url: the largest max_bytes of the sources that read it, else dflt. */
static long long
limit_of(const struct dss_manifest *m, const char *url, long long dflt)
{
	long long max = 0;
	size_t i;

	for (i = 0; i < m->nsources; i++)
		if (strcmp(m->sources[i].url, url) == 0 && m->sources[i].max_bytes > max)
			max = m->sources[i].max_bytes;
	return max > 0 ? max : dflt;
}

/*
 * Adds to err's checksum mismatch what to do about a pinned file that the
 * mirror holds otherwise: the bundled mirror (DIR/mirror beside the
 * manifests) holds our own toy data, read with the manifests of DIR/demo.
 */
static void
mirror_advice(const struct dss_manifest *m, const char *mirror, struct dss_err *err)
{
	struct dss_buf b = DSS_BUF_INIT, demo = DSS_BUF_INIT;
	char *dir = dss_manifest_dir(), *bundled = NULL, *given = NULL;
	char *mpath = NULL, *dpath = NULL;
	const char *p = mirror;
	size_t len;

	if (err == NULL)
		goto out;
	if (strncmp(p, "file://", 7) == 0)
		p += strncmp(p + 7, "localhost/", 10) == 0 ? 16 : 7;
	if (dir != NULL && dss_buf_addf(&b, "%s/mirror", dir) == 0 &&
	    dss_buf_addf(&demo, "%s/demo/%s.json", dir, m->name) == 0) {
		bundled = realpath(b.data, NULL);
		given = p[0] == '/' ? realpath(p, NULL) : NULL;
	}
	len = strlen(err->msg);
	mpath = realpath(m->path, NULL);
	if (bundled != NULL && given != NULL && strcmp(bundled, given) == 0 &&
	    (dpath = realpath(demo.data, NULL)) != NULL)
		snprintf(err->msg + len, sizeof err->msg - len, "; the bundled mirror holds our "
		    "own toy data, which the hash pinned in '%s' rejects: use '%s', the "
		    "manifest written for that mirror", mpath ? mpath : m->path, dpath);
	else
		snprintf(err->msg + len, sizeof err->msg - len, "; the mirror '%s' holds other "
		    "data than '%s' pins: use a manifest written for that mirror", mirror,
		    mpath ? mpath : m->path);
out:
	free(mpath);
	free(dpath);
	dss_buf_free(&b);
	dss_buf_free(&demo);
	free(dir);
	free(bundled);
	free(given);
}

/* Says what to do about a checksum mismatch of src. */
static void
mismatch_advice(const struct dss_manifest *m, const struct dss_manifest_source *src,
    const struct dss_fetch_opts *fo, struct dss_err *err)
{
	size_t len = strlen(err->msg);

	if (src->sha256 != NULL && fo->mirror != NULL && *fo->mirror != '\0')
		mirror_advice(m, fo->mirror, err);
	else if (src->sha256 == NULL && !fo->offline)
		snprintf(err->msg + len, sizeof err->msg - len, "; if it changed at its "
		    "origin, --refresh downloads it anew");
}

/* The state of a dss_dataset_fetch: one open file per URL, owned by its first source. */
struct fetching {
	const struct dss_manifest *m;
	const struct dss_manifest_split *const *splits;
	size_t n;
	struct dss_fetched **files;	/* by source index: set for the owner of each URL */
	size_t *owner;			/* by source index: the index that owns its file */
	char **paths;			/* by source index: where to read it now */
	int *read;			/* by split: read without error */
};

static int
uses(const struct fetching *fe, const struct dss_manifest_split *sp, size_t k)
{
	size_t j;

	for (j = 0; j < sp->nsources; j++)
		if (fe->paths[sp->sources[j] - fe->m->sources] != NULL &&
		    fe->owner[sp->sources[j] - fe->m->sources] == k)
			return 1;
	return 0;
}

/* Has the unvouched files split i reads deleted: they did not read as the manifest says. */
static void
discard_read(struct fetching *fe, size_t i)
{
	const struct dss_manifest_split *sp = fe->splits[i];
	size_t j;

	for (j = 0; j < sp->nsources; j++)
		dss_fetch_discard(fe->files[fe->owner[sp->sources[j] - fe->m->sources]]);
}

/* Puts in place each unvouched file of split i that every split reading it has read. */
static int
commit_read(struct fetching *fe, size_t i, struct dss_err *err)
{
	const struct dss_manifest_split *sp = fe->splits[i];
	size_t j, t, k;

	fe->read[i] = 1;
	for (j = 0; j < sp->nsources; j++) {
		k = fe->owner[sp->sources[j] - fe->m->sources];
		if (!dss_fetched_unvouched(fe->files[k]))
			continue;
		for (t = 0; t < fe->n; t++)
			if (!fe->read[t] && uses(fe, fe->splits[t], k))
				break;
		if (t < fe->n)
			continue;
		if (dss_fetch_commit(fe->files[k], err) < 0)
			return -1;
	}
	for (j = 0; j < fe->m->nsources; j++)
		if (fe->paths[j] != NULL)
			fe->paths[j] = (char *)dss_fetched_path(fe->files[fe->owner[j]]);
	return 0;
}

/*
 * The memo key of split i's count (fetch.h): the SHA-256 of the
 * normalizer's revision, the whole manifest, the split's name and the
 * hashes of the files it reads, in order; anything else that could change
 * the count changes the key.  Returns 0, or -1 when out of memory.
 */
#define COUNT_MEMO_REV "dss-dataset count 1"

static int
count_key(const struct fetching *fe, size_t i, char key[DSS_SHA256_HEX])
{
	const struct dss_manifest_split *sp = fe->splits[i];
	struct dss_sha256 *h = dss_sha256_new();
	char *text = cJSON_PrintUnformatted(fe->m->root);
	size_t j;

	if (h == NULL || text == NULL) {
		if (h != NULL)
			dss_sha256_final(h, key);
		cJSON_free(text);
		return -1;
	}
	dss_sha256_update(h, COUNT_MEMO_REV "\n", sizeof(COUNT_MEMO_REV));
	dss_sha256_update(h, text, strlen(text) + 1);	/* with its NUL */
	dss_sha256_update(h, sp->name, strlen(sp->name) + 1);
	for (j = 0; j < sp->nsources; j++)
		dss_sha256_update(h, dss_fetched_sha256(fe->files[fe->owner[
		    sp->sources[j] - fe->m->sources]]), DSS_SHA256_HEX);
	dss_sha256_final(h, key);
	cJSON_free(text);
	return 0;
}

/* The count of split i as checked by an earlier run over the same files, or -1. */
static long long
count_memo(const struct fetching *fe, size_t i, const char *cache)
{
	char key[DSS_SHA256_HEX];
	long long v;

	if (cache == NULL || count_key(fe, i, key) < 0 ||
	    dss_fetch_memo_get(cache, key, &v) != 1)
		return -1;
	return v;
}

/* Notes that split i counted right: a memo, so a failure to keep it is no error. */
static void
count_remember(const struct fetching *fe, size_t i, const char *cache)
{
	char key[DSS_SHA256_HEX];

	if (cache != NULL && count_key(fe, i, key) == 0)
		(void)dss_fetch_memo_put(cache, key, fe->splits[i]->count, NULL);
}

/* Says that split i has a count other than the manifest's. */
static int
count_error(const struct fetching *fe, size_t i, unsigned long long got,
    struct dss_err *err)
{
	dss_err_set(err, "%s %s has %llu examples where the manifest expects %lld "
	    "(--allow-count-mismatch accepts that, for a deliberately partial "
	    "mirror)", fe->m->name, fe->splits[i]->name, got, fe->splits[i]->count);
	if (err != NULL)
		err->code = DSS_DATASET_ECOUNT;
	return -1;
}

/* Opens every file the splits read, each URL once.  0 or -1. */
static int
open_sources(struct fetching *fe, const struct dss_fetch_opts *fo,
    struct dss_err *err)
{
	const struct dss_manifest *m = fe->m;
	struct dss_fetch_opts so;
	size_t i, j, k;

	for (i = 0; i < fe->n; i++)
		for (j = 0; j < fe->splits[i]->nsources; j++) {
			const struct dss_manifest_source *src =
			    fe->splits[i]->sources[j];
			size_t si = (size_t)(src - m->sources);

			if (fe->paths[si] != NULL)
				continue;
			for (k = 0; k < m->nsources; k++)
				if (fe->files[k] != NULL &&
				    strcmp(m->sources[k].url, src->url) == 0)
					break;
			if (k == m->nsources) {
				so = *fo;
				so.max_bytes = limit_of(m, src->url, fo->max_bytes);
				if (dss_fetch_open(&so, src->url, src->sha256,
				    &fe->files[si], err) < 0) {
					if (err != NULL &&
					    err->code == DSS_FETCH_EMISMATCH)
						mismatch_advice(m, src, fo, err);
					return -1;
				}
				k = si;
			}
			fe->owner[si] = k;
			fe->paths[si] = (char *)dss_fetched_path(fe->files[k]);
		}
	return 0;
}

/*
 * The counts the manifest gives, before any record is written: each
 * split is read once to count it, unless an earlier run counted the
 * same files right (memo[i] set), in which case it is only checked
 * again as it is written.  0 or -1.
 */
static int
count_splits(struct fetching *fe, const char *cache, int *memo,
    struct dss_dataset_stats *st, struct dss_err *err)
{
	const struct dss_manifest_split *const *splits = fe->splits;
	size_t i;

	for (i = 0; i < fe->n; i++) {
		if (splits[i]->count < 0)
			continue;
		if (count_memo(fe, i, cache) == splits[i]->count) {
			memo[i] = 1;
			continue;
		}
		if (dss_dataset_write(fe->m, splits[i], fe->paths, NULL, &st[i],
		    err) < 0) {
			discard_read(fe, i);
			return -1;
		}
		if (st[i].count != (unsigned long long)splits[i]->count) {
			discard_read(fe, i);
			count_error(fe, i, st[i].count, err);
			return -1;
		}
		if (commit_read(fe, i, err) < 0)
			return -1;
		count_remember(fe, i, cache);
	}
	return 0;
}

/* Writes the records of every split to out.  0 or -1. */
static int
write_splits(struct fetching *fe, const int *memo, FILE *out,
    struct dss_dataset_stats *st, struct dss_err *err)
{
	const struct dss_manifest_split *const *splits = fe->splits;
	size_t i;

	for (i = 0; i < fe->n; i++) {
		if (dss_dataset_write(fe->m, splits[i], fe->paths, out, &st[i],
		    err) < 0) {
			if (!ferror(out))	/* not a write error: the data is at fault */
				discard_read(fe, i);
			return -1;
		}
		/* Cannot be, the files being the ones counted, but is checked. */
		if (memo[i] && st[i].count != (unsigned long long)splits[i]->count) {
			discard_read(fe, i);
			count_error(fe, i, st[i].count, err);
			return -1;
		}
		if (!fe->read[i] && commit_read(fe, i, err) < 0)
			return -1;
	}
	return 0;
}

int
dss_dataset_fetch(const struct dss_manifest *m,
    const struct dss_manifest_split *const *splits, size_t n,
    const struct dss_fetch_opts *fo, int allow_count_mismatch, FILE *out,
    struct dss_dataset_stats *st, struct dss_err *err)
{
	struct fetching fe = { m, splits, n, NULL, NULL, NULL, NULL };
	const char *cache;
	char *dflt = NULL;
	int *memo = NULL;
	size_t k;
	int ret = -1;

	fe.files = calloc(m->nsources, sizeof *fe.files);
	fe.owner = calloc(m->nsources, sizeof *fe.owner);
	fe.paths = calloc(m->nsources, sizeof *fe.paths);
	fe.read = calloc(n ? n : 1, sizeof *fe.read);
	memo = calloc(n ? n : 1, sizeof *memo);
	if (fe.files == NULL || fe.owner == NULL || fe.paths == NULL ||
	    fe.read == NULL || memo == NULL) {
		dss_err_errno(err, ENOMEM, "sources");
		goto out;
	}
	if (open_sources(&fe, fo, err) < 0)
		goto out;
	cache = fo->cache != NULL ? fo->cache : (dflt = dss_fetch_cache_dir());
	if ((!allow_count_mismatch &&
	    count_splits(&fe, cache, memo, st, err) < 0) ||
	    write_splits(&fe, memo, out, st, err) < 0)
		goto out;
	ret = 0;
out:
	if (fe.files != NULL)
		for (k = 0; k < m->nsources; k++)
			dss_fetch_close(fe.files[k]);
	free(fe.files);
	free(fe.owner);
	free(fe.paths);
	free(fe.read);
	free(memo);
	free(dflt);
	return ret;
}
