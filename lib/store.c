/* SPDX-License-Identifier: MIT */
/*
 * Upserting records into the dss database, and merging shard databases.
 * Each table is described once (its columns, which record field fills
 * each, and its key); the SQL for inserting, updating and merging is
 * built from that description.  A record is first inserted with ON
 * CONFLICT DO NOTHING (a run of records of one type by one INSERT of
 * many rows); only when its key is already taken is the stored row
 * updated, and only where the stored record differs, so that the counts
 * of inserted, updated and unchanged rows are exact and an identical
 * second run writes nothing.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "db.h"
#include "jscan.h"
#include "store.h"

enum kind {
	REQ_STR,	/* a string, required */
	OPT_STR,	/* a string, null or absent */
	REQ_INT,	/* an integer, required */
	OPT_INT,	/* an integer, null or absent */
	OPT_BOOL,	/* true, false, null or absent */
	FILTER,		/* a string; inferred when null or absent */
};

struct column {
	const char *name;	/* the column */
	enum kind kind;
	const char *field;	/* the record field that fills it, if not name */
};

#define MAXCOLS 16

struct table {
	const char *name;
	int nkey;		/* the first nkey columns are the primary key */
	int ncols;		/* not counting "record", which comes last */
	struct column cols[MAXCOLS];
};

/* A column filled by the field of its name. */
#define COL(name, kind) { (name), (kind), NULL }

/* What triples and rejects, the two outputs of dss-filter, begin with. */
#define FILTERED \
	COL("filter", FILTER), COL("request", REQ_STR), COL("dataset", REQ_STR), \
	COL("id", REQ_STR), COL("teacher", OPT_STR), COL("sample", OPT_INT)

static const struct table tables[DSS_RECORD_NTYPES] = {
	[DSS_RECORD_EXAMPLE] = { "examples", 2, 6, {
		COL("dataset", REQ_STR), COL("id", REQ_STR), COL("split", REQ_STR),
		{ "idx", REQ_INT, "index" }, COL("input", REQ_STR),
		COL("label", REQ_STR),
	} },
	[DSS_RECORD_PROMPT] = { "prompts", 3, 3, {
		COL("dataset", REQ_STR), COL("id", REQ_STR), COL("template", REQ_STR),
	} },
	[DSS_RECORD_COMPLETION] = { "completions", 3, 7, {
		COL("request", REQ_STR), COL("dataset", REQ_STR), COL("id", REQ_STR),
		COL("teacher", REQ_STR), COL("sample", REQ_INT),
		COL("completion", OPT_STR), COL("finish_reason", OPT_STR),
	} },
	[DSS_RECORD_TRIPLE] = { "triples", 4, 10, {
		FILTERED, COL("rationale", REQ_STR), COL("teacher_label", OPT_STR),
		COL("label", REQ_STR), COL("agree", OPT_BOOL),
	} },
	[DSS_RECORD_REJECT] = { "rejects", 4, 8, {
		FILTERED, COL("reason", REQ_STR), COL("teacher_label", OPT_STR),
	} },
	/* Merged only, never read from a record: see merge_cache. */
	[DSS_RECORD_TEACH_CACHE] = { "teach_cache", 1, 14, {
		COL("request", REQ_STR), COL("provider", REQ_STR),
		COL("model", REQ_STR), COL("dataset", OPT_STR), COL("id", OPT_STR),
		COL("sample", REQ_INT), COL("completion", OPT_STR),
		COL("finish_reason", OPT_STR), COL("prompt_tokens", OPT_INT),
		COL("completion_tokens", OPT_INT), COL("cost_usd", OPT_INT),
		COL("latency_ms", OPT_INT), COL("response", OPT_STR),
		COL("created", REQ_STR),
	} },
};

const char *
dss_record_table(int type)
{
	return type >= 0 && type < DSS_RECORD_NTYPES ? tables[type].name : "?";
}

/* Appends "a, b, c" (with prefix before each name) for columns. */
static int
add_cols(struct dss_buf *b, const struct table *t, int from, const char *prefix,
    const char *sep)
{
	int i, r = 0;

	for (i = from; i < t->ncols; i++)
		r |= dss_buf_addf(b, "%s%s%s", i > from ? sep : "", prefix,
		    t->cols[i].name);
	return r;
}

/*
 * Records of one type that follow each other are inserted GROUP at a
 * time, by one INSERT of GROUP rows: SQLite keeps its cursors open from
 * row to row of one statement, so a run of keys in order costs a fraction
 * of the seeks and statement setup of GROUP inserts.
 */
#define GROUP 64

struct store {
	sqlite3_stmt *insert[DSS_RECORD_TEACH_CACHE];
	sqlite3_stmt *insert_group[DSS_RECORD_TEACH_CACHE];	/* GROUP rows */
	sqlite3_stmt *update[DSS_RECORD_TEACH_CACHE];
};

static void
store_free(struct store *s)
{
	int i;

	for (i = 0; i < DSS_RECORD_TEACH_CACHE; i++) {
		sqlite3_finalize(s->insert[i]);
		sqlite3_finalize(s->insert_group[i]);
		sqlite3_finalize(s->update[i]);
	}
}

/* Prepares the INSERT of rows rows into table t, in b. */
static sqlite3_stmt *
prepare_insert(sqlite3 *db, struct dss_buf *b, const struct table *t, int rows,
    struct dss_err *err)
{
	int row, i;

	dss_buf_reset(b);
	dss_buf_addf(b, "INSERT INTO %s (", t->name);
	add_cols(b, t, 0, "", ", ");
	dss_buf_adds(b, ", record) VALUES ");
	for (row = 0; row < rows; row++)
		for (i = 0; i <= t->ncols; i++)
			dss_buf_addf(b, "%s?", i > 0 ? ", " : row > 0 ? "), (" :
			    "(");
	if (dss_buf_adds(b, ") ON CONFLICT DO NOTHING") < 0) {
		dss_err_set(err, "out of memory");
		return NULL;
	}
	return dss_db_prepare(db, b->data, err);
}

static int
store_prepare(struct store *s, sqlite3 *db, struct dss_err *err)
{
	struct dss_buf b = DSS_BUF_INIT;
	int type, i, r = -1;

	memset(s, 0, sizeof(*s));
	for (type = 0; type < DSS_RECORD_TEACH_CACHE; type++) {
		const struct table *t = &tables[type];

		if (t->name == NULL)
			continue;	/* rejects: stored as completions */
		if ((s->insert[type] = prepare_insert(db, &b, t, 1, err)) == NULL ||
		    (s->insert_group[type] = prepare_insert(db, &b, t, GROUP,
		    err)) == NULL)
			goto out;

		dss_buf_reset(&b);
		dss_buf_addf(&b, "UPDATE %s SET ", t->name);
		for (i = t->nkey; i < t->ncols; i++)
			dss_buf_addf(&b, "%s = ?%d, ", t->cols[i].name, i + 1);
		dss_buf_addf(&b, "record = ?%d WHERE ", t->ncols + 1);
		for (i = 0; i < t->nkey; i++)
			dss_buf_addf(&b, "%s = ?%d AND ", t->cols[i].name, i + 1);
		if (dss_buf_addf(&b, "record IS NOT ?%d", t->ncols + 1) < 0) {
			dss_err_set(err, "out of memory");
			goto out;
		}
		if ((s->update[type] = dss_db_prepare(db, b.data, err)) == NULL)
			goto out;
	}
	r = 0;
out:
	dss_buf_free(&b);
	if (r < 0)
		store_free(s);
	return r;
}

/*
 * A load runs in two threads: a reader that reads, scans and checks
 * records and copies the values of their columns into chunks, and the
 * calling thread, which binds those values and writes them, committing
 * every batch records.  Two chunks go back and forth between them, so
 * memory does not grow with the input or the batch size: each holds at
 * most CHUNK_RECORDS records, and takes no more once CHUNK_BYTES of
 * values are in it.
 */
#define CHUNK_RECORDS 1024
#define CHUNK_BYTES ((size_t)4 << 20)

enum { CELL_NULL, CELL_TEXT, CELL_INT };

struct cell {
	int tag;
	size_t off, len;	/* CELL_TEXT: bytes in the arena */
	sqlite3_int64 i;	/* CELL_INT */
};

struct entry {
	int type;
	unsigned long lineno;
	size_t off, len;	/* the record text in the arena */
	struct cell cells[MAXCOLS];
};

struct chunk {
	struct dss_buf arena;
	struct entry *e;
	size_t n, cap;
	int eof;		/* the input ends after this chunk */
	int failed;		/* the reader stopped at a bad record: err */
	struct dss_err err;
};

struct pipe {
	struct dss_lines *l;
	struct chunk chunk[2];
	int full[2];		/* filled by the reader, not yet written */
	int stop;		/* the writer gave up */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct dss_jscan scan;	/* the reader's */
};

/*
 * The filter that must have made a triple or reject record that does not
 * say (see dss_record_type), as schemas/migrate-003.sql infers it.
 */
static const char *
infer_filter(const struct dss_jscan *j, int type)
{
	const struct dss_jscan_member *agree = dss_jscan_get(j, "agree");

	if (dss_jscan_get(j, "votes") != NULL)
		return "majority";
	if (type == DSS_RECORD_TRIPLE &&
	    (agree == NULL || agree->type != DSS_JSCAN_TRUE))
		return "none";
	return "gold";
}

/* Copies field c of the scanned record into cell, checking its type. */
static int
extract(const struct dss_jscan *j, int type, const struct column *c,
    struct cell *cell, struct dss_buf *arena, struct dss_err *err)
{
	const char *field = c->field != NULL ? c->field : c->name;
	const struct dss_jscan_member *m = dss_jscan_get(j, field);
	char num[64];
	double d;
	char *end;

	if (c->kind == FILTER && (m == NULL || m->type == DSS_JSCAN_NULL)) {
		const char *f = infer_filter(j, type);

		cell->tag = CELL_TEXT;
		cell->off = arena->len;
		cell->len = strlen(f);
		if (dss_buf_add(arena, f, cell->len) < 0)
			return dss_err_set(err, "field '%s': out of memory", field);
		return 0;
	}
	if (m == NULL || m->type == DSS_JSCAN_NULL) {
		if (c->kind == REQ_STR || c->kind == REQ_INT)
			return dss_err_set(err, "field '%s' is %s", field,
			    m == NULL ? "missing" : "null");
		cell->tag = CELL_NULL;
		return 0;
	}
	switch (c->kind) {
	case REQ_STR:
	case OPT_STR:
	case FILTER:
		if (m->type != DSS_JSCAN_STRING)
			return dss_err_set(err, "field '%s' is not a string", field);
		if (c->kind == FILTER && m->vallen == 2)
			return dss_err_set(err, "field '%s' is empty", field);
		cell->tag = CELL_TEXT;
		cell->off = arena->len;
		if ((memchr(m->val + 1, '\\', m->vallen - 2) == NULL ?
		    dss_buf_add(arena, m->val + 1, m->vallen - 2) :
		    dss_jscan_unquote(arena, m->val, m->vallen)) < 0)
			return dss_err_set(err, "field '%s': out of memory", field);
		cell->len = arena->len - cell->off;
		break;
	case REQ_INT:
	case OPT_INT:
		if (m->type != DSS_JSCAN_NUMBER)
			return dss_err_set(err, "field '%s' is not a number", field);
		if (m->vallen >= sizeof(num))
			return dss_err_set(err, "field '%s' is not an integer",
			    field);
		memcpy(num, m->val, m->vallen);
		num[m->vallen] = '\0';
		d = strtod(num, &end);
		if (*end != '\0' || d != floor(d) || d < -9.0e15 || d > 9.0e15)
			return dss_err_set(err, "field '%s' is not an integer",
			    field);
		cell->tag = CELL_INT;
		cell->i = (sqlite3_int64)d;
		break;
	case OPT_BOOL:
		if (m->type != DSS_JSCAN_TRUE && m->type != DSS_JSCAN_FALSE)
			return dss_err_set(err, "field '%s' is not a boolean",
			    field);
		cell->tag = CELL_INT;
		cell->i = m->type == DSS_JSCAN_TRUE;
		break;
	}
	return 0;
}

/* Extracts the record just scanned from the current line into ch. */
static int
add_entry(struct pipe *p, struct chunk *ch, struct dss_err *err)
{
	struct dss_lines *l = p->l;
	const struct table *t;
	struct entry *e;
	int i;

	if (ch->n == ch->cap) {
		size_t ncap = ch->cap ? ch->cap * 2 : 256;
		struct entry *ne = realloc(ch->e, ncap * sizeof(*ne));

		if (ne == NULL)
			return dss_err_set(err, "out of memory");
		ch->e = ne;
		ch->cap = ncap;
	}
	e = &ch->e[ch->n];
	e->lineno = l->lineno;
	if ((e->type = dss_record_type_scan(&p->scan, err)) < 0)
		return -1;
	t = &tables[e->type];
	for (i = 0; i < t->ncols; i++)
		if (extract(&p->scan, e->type, &t->cols[i], &e->cells[i],
		    &ch->arena, err) < 0)
			return -1;
	e->off = ch->arena.len;
	if (dss_buf_add(&ch->arena, l->line.data, l->line.len) < 0)
		return dss_err_set(err, "out of memory");
	e->len = l->line.len;
	ch->n++;
	return 0;
}

static void
fill(struct pipe *p, struct chunk *ch)
{
	int rc;

	dss_buf_reset(&ch->arena);
	ch->n = 0;
	ch->eof = ch->failed = 0;
	while (ch->n < CHUNK_RECORDS && ch->arena.len < CHUNK_BYTES) {
		if ((rc = dss_jsonl_scan(p->l, &p->scan, &ch->err)) <= 0) {
			ch->eof = 1;
			ch->failed = rc < 0;
			return;
		}
		if (add_entry(p, ch, &ch->err) < 0) {
			dss_err_prefix(&ch->err, "line %lu", p->l->lineno);
			ch->failed = 1;
			return;
		}
	}
}

static void *
reader_main(void *arg)
{
	struct pipe *p = arg;
	int k = 0;

	for (;;) {
		struct chunk *ch = &p->chunk[k];

		pthread_mutex_lock(&p->lock);
		while (p->full[k] && !p->stop)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->stop) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		pthread_mutex_unlock(&p->lock);
		fill(p, ch);
		pthread_mutex_lock(&p->lock);
		p->full[k] = 1;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		if (ch->eof || ch->failed)
			break;
		k ^= 1;
	}
	return NULL;
}

/*
 * Runs a bound write statement; returns the rows it changed, -1 on a
 * database error, or -2 when the record broke a constraint (the record's
 * fault, so that its line is named; a read-only or full database is not).
 */
static int
step(sqlite3 *db, sqlite3_stmt *st, struct dss_err *err)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		dss_err_set(err, "database '%s': %s",
		    sqlite3_db_filename(db, "main"), sqlite3_errmsg(db));
		return (rc & 0xff) == SQLITE_CONSTRAINT ? -2 : -1;
	}
	return sqlite3_changes(db);
}

/* Binds e's values to the parameters of st from base + 1 on. */
static void
bind_entry(sqlite3_stmt *st, const struct table *t, const struct chunk *ch,
    const struct entry *e, int base)
{
	int i;

	for (i = 0; i < t->ncols; i++) {
		const struct cell *c = &e->cells[i];

		if (c->tag == CELL_TEXT)
			sqlite3_bind_text(st, base + i + 1, ch->arena.data +
			    c->off, (int)c->len, SQLITE_STATIC);
		else if (c->tag == CELL_INT)
			sqlite3_bind_int64(st, base + i + 1, c->i);
		else
			sqlite3_bind_null(st, base + i + 1);
	}
	sqlite3_bind_text(st, base + t->ncols + 1, ch->arena.data + e->off,
	    (int)e->len, SQLITE_STATIC);
}

/* Upserts one extracted record.  Returns 0, or -1 or -2 as step(). */
static int
put(sqlite3 *db, struct store *s, const struct chunk *ch,
    const struct entry *e, struct dss_store_counts *c, struct dss_err *err)
{
	const struct table *t = &tables[e->type];
	int n;

	bind_entry(s->insert[e->type], t, ch, e, 0);
	if ((n = step(db, s->insert[e->type], err)) < 0)
		return n;
	c->records++;
	c->by_type[e->type]++;
	if (n > 0) {
		c->inserted++;
		return 0;
	}
	bind_entry(s->update[e->type], t, ch, e, 0);
	if ((n = step(db, s->update[e->type], err)) < 0)
		return n;
	if (n > 0)
		c->updated++;
	else
		c->unchanged++;
	return 0;
}

/*
 * Upserts GROUP extracted records of one type, e[0] to e[GROUP - 1], as
 * put() would one after the other.  The one INSERT stores the first
 * record of each key not yet stored and skips the rest; when it skipped
 * any, each record in turn then updates its row where the stored record
 * differs.  For a record the INSERT stored, that UPDATE finds its own
 * text and changes nothing, so the rows and the counts end as after
 * GROUP calls of put().  Returns 0, -1, or -2 when a constraint failed:
 * the statement then changed nothing, and put() of each record finds the
 * one that fails.
 */
static int
put_group(sqlite3 *db, struct store *s, const struct chunk *ch,
    const struct entry *e, struct dss_store_counts *c, struct dss_err *err)
{
	const struct table *t = &tables[e->type];
	sqlite3_stmt *st = s->insert_group[e->type];
	int n, k, updated = 0, inserted;

	for (k = 0; k < GROUP; k++)
		bind_entry(st, t, ch, &e[k], k * (t->ncols + 1));
	if ((inserted = step(db, st, err)) < 0)
		return inserted;
	for (k = 0; inserted < GROUP && k < GROUP; k++) {
		bind_entry(s->update[e->type], t, ch, &e[k], 0);
		if ((n = step(db, s->update[e->type], err)) < 0)
			return n;
		updated += n > 0;
	}
	c->records += GROUP;
	c->by_type[e->type] += GROUP;
	c->inserted += (unsigned long long)inserted;
	c->updated += (unsigned long long)updated;
	c->unchanged += (unsigned long long)(GROUP - inserted - updated);
	return 0;
}

/*
 * How many records from e[0] on (at most max) put_group() can take: GROUP
 * of one type, or 0.
 */
static size_t
group_at(const struct entry *e, size_t max)
{
	size_t k;

	if (max < GROUP)
		return 0;
	for (k = 1; k < GROUP; k++)
		if (e[k].type != e[0].type)
			return 0;
	return GROUP;
}

static void
counts_add(struct dss_store_counts *to, const struct dss_store_counts *from)
{
	int i;

	to->records += from->records;
	to->inserted += from->inserted;
	to->updated += from->updated;
	to->unchanged += from->unchanged;
	for (i = 0; i < DSS_RECORD_NTYPES; i++)
		to->by_type[i] += from->by_type[i];
	to->subsets += from->subsets;
}


/* Writes the chunks the reader fills; returns 0 or -1 with err set. */
static int
write_chunks(sqlite3 *db, struct store *s, struct pipe *p,
    struct dss_db_checkpointer *ck, size_t batch, struct dss_store_counts *c,
    struct dss_err *err)
{
	struct dss_store_counts pending;
	size_t inbatch = 0, i, j, g;
	int k = 0, eof = 0, rc;

	memset(&pending, 0, sizeof(pending));
	while (!eof) {
		struct chunk *ch = &p->chunk[k];

		pthread_mutex_lock(&p->lock);
		while (!p->full[k])
			pthread_cond_wait(&p->cond, &p->lock);
		pthread_mutex_unlock(&p->lock);
		for (i = 0; i < ch->n; i += g) {
			size_t room = ch->n - i < batch - inbatch ?
			    ch->n - i : batch - inbatch;

			if (inbatch == 0) {
				dss_db_checkpointer_throttle(ck);
				if (dss_db_begin(db, err) < 0)
					return -1;
			}
			g = s->insert_group[ch->e[i].type] != NULL ?
			    group_at(&ch->e[i], room) : 0;
			if (g > 0 && (rc = put_group(db, s, ch, &ch->e[i],
			    &pending, err)) != -2) {
				if (rc < 0)
					return -1;
			} else
				for (g = g > 0 ? g : 1, j = i; j < i + g; j++)
					if ((rc = put(db, s, ch, &ch->e[j],
					    &pending, err)) < 0) {
						if (rc == -2)
							dss_err_prefix(err,
							    "line %lu",
							    ch->e[j].lineno);
						return -1;
					}
			if ((inbatch += g) == batch) {
				if (dss_db_commit(db, err) < 0)
					return -1;
				counts_add(c, &pending);
				memset(&pending, 0, sizeof(pending));
				inbatch = 0;
			}
		}
		if (ch->failed) {
			*err = ch->err;
			return -1;
		}
		eof = ch->eof;
		pthread_mutex_lock(&p->lock);
		p->full[k] = 0;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		k ^= 1;
	}
	if (inbatch > 0) {
		if (dss_db_commit(db, err) < 0)
			return -1;
		counts_add(c, &pending);
	}
	return 0;
}

int
dss_store_load(sqlite3 *db, struct dss_lines *l, size_t batch,
    struct dss_store_counts *c, struct dss_err *err)
{
	struct dss_db_checkpointer ck;
	struct pipe p;
	struct store s;
	pthread_t reader;
	int r = -1, k;

	memset(c, 0, sizeof(*c));
	if (batch == 0)
		batch = DSS_STORE_BATCH;
	/*
	 * A 16 MiB page cache holds the pages a batch of records in key order
	 * touches; a larger one made no load faster and held 64 MiB.
	 */
	if (dss_db_exec(db, "PRAGMA cache_size = -16384", err) < 0 ||
	    store_prepare(&s, db, err) < 0)
		return -1;
	memset(&p, 0, sizeof(p));
	memset(&ck, 0, sizeof(ck));
	p.l = l;
	for (k = 0; k < 2; k++)
		p.chunk[k].arena = (struct dss_buf)DSS_BUF_INIT;
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.cond, NULL);
	if (pthread_create(&reader, NULL, reader_main, &p) != 0) {
		dss_err_set(err, "cannot start a thread");
		goto out;
	}
	dss_db_checkpointer_start(&ck, db);
	r = write_chunks(db, &s, &p, &ck, batch, c, err);
	pthread_mutex_lock(&p.lock);
	p.stop = 1;
	pthread_cond_broadcast(&p.cond);
	pthread_mutex_unlock(&p.lock);
	pthread_join(reader, NULL);
out:
	if (r < 0)
		dss_db_rollback(db);
	dss_db_checkpointer_stop(&ck, db);
	for (k = 0; k < 2; k++) {
		dss_buf_free(&p.chunk[k].arena);
		free(p.chunk[k].e);
	}
	dss_jscan_free(&p.scan);
	pthread_mutex_destroy(&p.lock);
	pthread_cond_destroy(&p.cond);
	store_free(&s);
	return r;
}

/* Runs a query returning one integer. */
static int
query_int(sqlite3 *db, const char *sql, long long *out, struct dss_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = dss_db_prepare(db, sql, err)) == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return dss_err_set(err, "database: %s", sqlite3_errmsg(db));
	return 0;
}

/* Writes the SQL fmt makes into the scratch buffer b, emptied first. */
static int
vsql(struct dss_buf *b, struct dss_err *err, const char *fmt, va_list ap)
{
	dss_buf_reset(b);
	if (dss_buf_vaddf(b, fmt, ap) < 0)
		return dss_err_set(err, "out of memory");
	return 0;
}

/* query_int of the query fmt makes, written into the scratch buffer b. */
static int __attribute__((format(printf, 5, 6)))
query_intf(sqlite3 *db, struct dss_buf *b, long long *out,
    struct dss_err *err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsql(b, err, fmt, ap);
	va_end(ap);
	return r < 0 ? -1 : query_int(db, b->data, out, err);
}

/* dss_db_exec of the statement fmt makes, written into b. */
static int __attribute__((format(printf, 4, 5)))
execf(sqlite3 *db, struct dss_buf *b, struct dss_err *err, const char *fmt,
    ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsql(b, err, fmt, ap);
	va_end(ap);
	return r < 0 ? -1 : dss_db_exec(db, b->data, err);
}

/* Copies table type from src into main, counting. */
static int
merge_table(sqlite3 *db, int type, struct dss_store_counts *c,
    struct dss_err *err)
{
	const struct table *t = &tables[type];
	int cache = type == DSS_RECORD_TEACH_CACHE;
	struct dss_buf match = DSS_BUF_INIT, b = DSS_BUF_INIT;
	long long total, fresh, same;
	int i, r = -1;

	for (i = 0; i < t->nkey; i++)
		dss_buf_addf(&match, "%sm.%s = s.%s", i ? " AND " : "",
		    t->cols[i].name, t->cols[i].name);
	if (match.len == 0 || query_intf(db, &b, &total, err,
	    "SELECT count(*) FROM dss_merge_src.%s", t->name) < 0 ||
	    query_intf(db, &b, &fresh, err, "SELECT count(*) FROM "
	    "dss_merge_src.%s s WHERE NOT EXISTS (SELECT 1 FROM main.%s m "
	    "WHERE %s)", t->name, t->name, match.data) < 0)
		goto out;
	same = total - fresh;
	if (!cache && query_intf(db, &b, &same, err, "SELECT count(*) FROM "
	    "dss_merge_src.%s s JOIN main.%s m ON %s WHERE m.record IS "
	    "s.record", t->name, t->name, match.data) < 0)
		goto out;

	dss_buf_reset(&b);
	dss_buf_addf(&b, "INSERT INTO main.%s (", t->name);
	add_cols(&b, t, 0, "", ", ");
	dss_buf_adds(&b, cache ? ") SELECT " : ", record) SELECT ");
	add_cols(&b, t, 0, "", ", ");
	dss_buf_addf(&b, "%s FROM dss_merge_src.%s WHERE true ON CONFLICT DO ",
	    cache ? "" : ", record", t->name);
	if (cache) {
		dss_buf_adds(&b, "NOTHING");
	} else {
		dss_buf_adds(&b, "UPDATE SET ");
		for (i = t->nkey; i < t->ncols; i++)
			dss_buf_addf(&b, "%s = excluded.%s, ", t->cols[i].name,
			    t->cols[i].name);
		dss_buf_adds(&b, "record = excluded.record "
		    "WHERE record IS NOT excluded.record");
	}
	if (b.data[0] == '\0' || dss_db_exec(db, b.data, err) < 0)
		goto out;
	c->records += (unsigned long long)total;
	c->by_type[type] += (unsigned long long)total;
	c->inserted += (unsigned long long)fresh;
	c->unchanged += (unsigned long long)same;
	c->updated += (unsigned long long)(total - fresh - same);
	r = 0;
out:
	if (r < 0 && err->msg[0] == '\0')
		dss_err_set(err, "out of memory");
	dss_buf_free(&match);
	dss_buf_free(&b);
	return r;
}

/*
 * Copies the subsets of the attached database: each new one with its
 * members; one already stored must have the same members in the same
 * order, and is left alone.
 */
static int
merge_subsets(sqlite3 *db, struct dss_store_counts *c, struct dss_err *err)
{
	/*
	 * Equal sizes give equal chunk numbers; a chunk holds the same ids
	 * when its text is the same or, written with other escapes, its ids
	 * are one by one.
	 */
	static const char conflict[] = "SELECT s.dataset, s.name FROM "
	    "dss_merge_src.subsets s JOIN main.subsets m USING (dataset, name) "
	    "WHERE m.size IS NOT s.size OR EXISTS (SELECT 1 FROM "
	    "dss_merge_src.subset_chunks x LEFT JOIN main.subset_chunks y ON "
	    "y.dataset = x.dataset AND y.name = x.name AND y.chunk = x.chunk "
	    "WHERE x.dataset = s.dataset AND x.name = s.name AND (y.ids IS NULL "
	    "OR (y.ids <> x.ids AND (json_array_length(x.ids) <> "
	    "json_array_length(y.ids) OR EXISTS (SELECT 1 FROM json_each(x.ids) a "
	    "LEFT JOIN json_each(y.ids) b ON b.key = a.key WHERE b.value IS NOT "
	    "a.value))))) ORDER BY 1, 2 LIMIT 1";
	static const char fresh_where[] = "WHERE NOT EXISTS (SELECT 1 FROM "
	    "main.subsets m WHERE m.dataset = s.dataset AND m.name = s.name)";
	struct dss_buf b = DSS_BUF_INIT;
	sqlite3_stmt *st;
	long long total = 0, fresh = 0;
	int rc, r = -1;

	if ((st = dss_db_prepare(db, conflict, err)) == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		dss_err_set(err, "subset '%s' of dataset '%s' has other members "
		    "than the one in the output database",
		    (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 0));
	else if (rc != SQLITE_DONE)
		dss_err_set(err, "database: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	if (query_int(db, "SELECT count(*) FROM dss_merge_src.subsets", &total,
	    err) < 0 || query_intf(db, &b, &fresh, err, "SELECT count(*) FROM "
	    "dss_merge_src.subsets s %s", fresh_where) < 0)
		goto out;
	/* Members first: the test for new subsets looks at main.subsets. */
	if (execf(db, &b, err, "INSERT INTO main.subset_chunks (dataset, "
	    "name, chunk, ids) SELECT x.dataset, x.name, x.chunk, x.ids FROM "
	    "dss_merge_src.subset_chunks x JOIN dss_merge_src.subsets s USING "
	    "(dataset, name) %s", fresh_where) < 0 ||
	    execf(db, &b, err, "INSERT INTO main.subsets (dataset, name, split, "
	    "kind, role, seed, fraction, size, params, created) SELECT "
	    "s.dataset, s.name, s.split, s.kind, s.role, s.seed, s.fraction, "
	    "s.size, s.params, s.created FROM dss_merge_src.subsets s %s",
	    fresh_where) < 0)
		goto out;
	c->records += (unsigned long long)total;
	c->subsets += (unsigned long long)total;
	c->inserted += (unsigned long long)fresh;
	c->unchanged += (unsigned long long)(total - fresh);
	r = 0;
out:
	dss_buf_free(&b);
	return r;
}

int
dss_store_merge(sqlite3 *db, const char *path, struct dss_store_counts *c,
    struct dss_err *err)
{
	struct dss_store_counts mine;
	struct dss_buf uri = DSS_BUF_INIT;
	struct stat in, out;
	const char *main_path = sqlite3_db_filename(db, "main");
	sqlite3_stmt *st = NULL;
	long long version = 0;
	int type, attached = 0, r = -1, rc;

	memset(&mine, 0, sizeof(mine));
	if (stat(path, &in) < 0)
		return dss_err_errno(err, errno, "cannot open database '%s'", path);
	if (!S_ISREG(in.st_mode))
		return dss_err_set(err, "cannot open database '%s': not a regular "
		    "file", path);
	if (main_path != NULL && *main_path && stat(main_path, &out) == 0 &&
	    in.st_dev == out.st_dev && in.st_ino == out.st_ino)
		return dss_err_set(err, "database '%s' is the output database", path);
	if ((st = dss_db_prepare(db, "ATTACH DATABASE ?1 AS dss_merge_src",
	    err)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		attached = 1;
		rc = query_int(db, "PRAGMA dss_merge_src.user_version", &version,
		    err) < 0 ? sqlite3_extended_errcode(db) : SQLITE_OK;
	}
	if (rc != SQLITE_OK && dss_db_refused_readonly(rc) &&
	    dss_db_immutable_uri(path, &uri) == 0) {
		/* a shard in a directory this process cannot write: read as
		 * immutable, as dss_db_open reads one */
		if (attached)
			sqlite3_exec(db, "DETACH DATABASE dss_merge_src", NULL,
			    NULL, NULL);
		attached = 0;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, uri.data, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
			attached = 1;
			rc = query_int(db, "PRAGMA dss_merge_src.user_version",
			    &version, err) < 0 ? sqlite3_extended_errcode(db) :
			    SQLITE_OK;
		}
	}
	if (rc != SQLITE_OK) {
		dss_err_set(err, "cannot %s database '%s': %s", attached ? "read" :
		    "open", path, sqlite3_errmsg(db));
		goto out;
	}
	if (version == 0) {
		dss_err_set(err, "'%s' is not a dss database", path);
		goto out;
	}
	if (version > DSS_DB_VERSION) {
		dss_err_set(err, "database '%s' has schema version %lld, newer "
		    "than this dss (%d)", path, version, DSS_DB_VERSION);
		goto out;
	}
	if (version < DSS_DB_VERSION) {
		dss_err_set(err, "database '%s' has the older schema version %lld; "
		    "open it with this dss first (dss-store '%s' </dev/null)", path,
		    version, path);
		goto out;
	}
	if (dss_db_begin(db, err) < 0)
		goto out;
	for (type = 0; type < DSS_RECORD_NTYPES; type++)
		if (tables[type].name != NULL &&
		    merge_table(db, type, &mine, err) < 0)
			break;
	if (type < DSS_RECORD_NTYPES || merge_subsets(db, &mine, err) < 0) {
		dss_db_rollback(db);
		dss_err_prefix(err, "merging '%s'", path);
		goto out;
	}
	if (dss_db_commit(db, err) < 0) {
		dss_db_rollback(db);
		goto out;
	}
	counts_add(c, &mine);
	r = 0;
out:
	sqlite3_finalize(st);
	if (attached)
		sqlite3_exec(db, "DETACH DATABASE dss_merge_src", NULL, NULL, NULL);
	dss_buf_free(&uri);
	return r;
}
