/* SPDX-License-Identifier: MIT */
/*
 * The rationale filter: validates completion records, extracts answers,
 * decides keep or reject by gold label, majority vote or not at all, and
 * builds triple and reject records.  See filter.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "buf.h"
#include "expr.h"
#include "filter.h"
#include "jsonl.h"

#define MAX_CHOICES 26

struct item {
	cJSON *rec;		/* owned */
	unsigned long lineno;
	struct dss_answer a;
	const char *gold;	/* in rec, or NULL */
	double gold_value;
	int cls;		/* vote class, -1 when the answer was not read */
};

struct vclass {
	size_t item;		/* the first item that gave this answer */
	unsigned long count;
};

struct dss_filter {
	struct dss_filter_opts o;
	struct dss_answer_cache *cache;
	struct dss_answer_config *config;	/* of the pending group */
	struct item *items;
	size_t nitems, cap;
	struct vclass *classes;
	struct dss_buf key;		/* dataset NUL id NUL teacher */
	struct dss_buf next;		/* the same for the record being added */
	uint64_t *seen;			/* open addressing, 0 = empty */
	size_t nseen, seencap;
	unsigned long nread, nkept, nrej[DSS_REJECT_NREASONS];
};

static const char *const reason_names[DSS_REJECT_NREASONS] = {
	"no_answer", "truncated", "disagree", "ambiguous", "tie",
	"empty_rationale"
};

const char *
dss_filter_reason_name(enum dss_filter_reason r)
{
	return (unsigned)r < DSS_REJECT_NREASONS ? reason_names[r] : "unknown";
}

unsigned long
dss_filter_read(const struct dss_filter *f)
{
	return f->nread;
}

unsigned long
dss_filter_kept(const struct dss_filter *f)
{
	return f->nkept;
}

unsigned long
dss_filter_rejected(const struct dss_filter *f, enum dss_filter_reason r)
{
	return (unsigned)r < DSS_REJECT_NREASONS ? f->nrej[r] : 0;
}

struct dss_filter *
dss_filter_new(const struct dss_filter_opts *opts)
{
	struct dss_filter *f = calloc(1, sizeof *f);
	struct dss_buf init = DSS_BUF_INIT;

	if (f == NULL)
		return NULL;
	f->o = *opts;
	f->key = init;
	f->next = init;
	if ((f->cache = dss_answer_cache_new()) == NULL) {
		free(f);
		return NULL;
	}
	return f;
}

static void
clear_items(struct dss_filter *f)
{
	size_t i;

	for (i = 0; i < f->nitems; i++) {
		cJSON_Delete(f->items[i].rec);
		f->items[i].rec = NULL;
	}
	f->nitems = 0;
}

void
dss_filter_free(struct dss_filter *f)
{
	size_t i;

	if (f == NULL)
		return;
	clear_items(f);
	for (i = 0; i < f->cap; i++)
		dss_answer_free(&f->items[i].a);
	free(f->items);
	free(f->classes);
	free(f->seen);
	dss_buf_free(&f->key);
	dss_buf_free(&f->next);
	dss_answer_cache_free(f->cache);
	free(f);
}

static uint64_t
hash_key(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h ? h : 1;
}

/* Returns 1 if h was already present, 0 after adding it, -1 on ENOMEM. */
static int
seen_add(struct dss_filter *f, uint64_t h, int add)
{
	size_t i, mask;

	if (add && (f->nseen + 1) * 2 > f->seencap) {
		size_t ncap = f->seencap ? f->seencap * 2 : 1024, j;
		uint64_t *n = calloc(ncap, sizeof *n);

		if (n == NULL)
			return -1;
		for (j = 0; j < f->seencap; j++) {
			if (f->seen[j] == 0)
				continue;
			for (i = f->seen[j] & (ncap - 1); n[i]; i = (i + 1) & (ncap - 1))
				;
			n[i] = f->seen[j];
		}
		free(f->seen);
		f->seen = n;
		f->seencap = ncap;
	}
	if (f->seencap == 0)
		return 0;
	mask = f->seencap - 1;
	for (i = h & mask; f->seen[i]; i = (i + 1) & mask)
		if (f->seen[i] == h)
			return 1;
	if (add) {
		f->seen[i] = h;
		f->nseen++;
	}
	return 0;
}

static enum dss_filter_reason
reason_of(enum dss_answer_status s)
{
	switch (s) {
	case DSS_ANSWER_TRUNCATED:
		return DSS_REJECT_TRUNCATED;
	case DSS_ANSWER_AMBIGUOUS:
		return DSS_REJECT_AMBIGUOUS;
	default:
		return DSS_REJECT_NO_ANSWER;
	}
}

static int
nomem(struct dss_err *err)
{
	return dss_err_errno(err, ENOMEM, "filter");
}

static int
add_string(cJSON *o, const char *key, const char *s)
{
	cJSON *v = s != NULL ? cJSON_CreateString(s) : cJSON_CreateNull();

	if (v == NULL)
		return -1;
	cJSON_AddItemToObject(o, key, v);	/* takes ownership */
	return 0;
}

static int
emit_reject(struct dss_filter *f, struct item *it, enum dss_filter_reason r,
    const char *detail, const cJSON *votes, struct dss_err *err)
{
	cJSON *rec = it->rec, *v;

	f->nrej[r]++;
	if (f->o.reject == NULL)
		return 0;
	/* A reject is a completion, never mistaken for a triple. */
	cJSON_DeleteItemFromObjectCaseSensitive(rec, "rationale");
	cJSON_DeleteItemFromObjectCaseSensitive(rec, "teacher_label");
	cJSON_DeleteItemFromObjectCaseSensitive(rec, "reason");
	cJSON_DeleteItemFromObjectCaseSensitive(rec, "detail");
	cJSON_DeleteItemFromObjectCaseSensitive(rec, "votes");
	if ((it->a.status == DSS_ANSWER_OK &&
	    add_string(rec, "teacher_label", it->a.answer.data) < 0) ||
	    add_string(rec, "reason", dss_filter_reason_name(r)) < 0 ||
	    add_string(rec, "detail", detail) < 0)
		return nomem(err);
	if (votes != NULL) {
		if ((v = cJSON_Duplicate(votes, 1)) == NULL)
			return nomem(err);
		cJSON_AddItemToObject(rec, "votes", v);	/* takes ownership */
	}
	return f->o.reject(f->o.arg, rec, err);
}

static int
emit_triple(struct dss_filter *f, struct item *it, const char *label,
    int agree, const cJSON *votes, struct dss_err *err)
{
	static const char *const carried[] = {
		"dataset", "split", "id", "index", "input", "fields", "teacher",
		"sample", "request", NULL
	};
	cJSON *t = cJSON_CreateObject(), *v;
	size_t i;
	int r;

	if (t == NULL)
		return nomem(err);
	for (i = 0; carried[i]; i++) {
		v = cJSON_DetachItemFromObjectCaseSensitive(it->rec, carried[i]);
		if (v != NULL)
			cJSON_AddItemToObject(t, carried[i], v);	/* takes ownership */
	}
	if (add_string(t, "rationale", it->a.rationale.data) < 0 ||
	    add_string(t, "teacher_label", it->a.answer.data) < 0 ||
	    add_string(t, "label", label) < 0 ||
	    add_string(t, "gold", it->gold) < 0)
		goto oom;
	v = agree < 0 ? cJSON_CreateNull() : cJSON_CreateBool(agree);
	if (v == NULL)
		goto oom;
	cJSON_AddItemToObject(t, "agree", v);	/* takes ownership */
	if (votes != NULL) {
		if ((v = cJSON_Duplicate(votes, 1)) == NULL)
			goto oom;
		cJSON_AddItemToObject(t, "votes", v);	/* takes ownership */
	}
	f->nkept++;
	r = f->o.keep(f->o.arg, t, err);
	cJSON_Delete(t);
	return r;
oom:
	cJSON_Delete(t);
	return nomem(err);
}

/* 1 when the answers of items a and b are the same, by value for equations. */
static int
same_answer(const struct dss_filter *f, const struct item *a,
    const struct item *b)
{
	if (dss_answer_config_kindof(f->config) == DSS_ANSWER_EQUATION)
		return dss_expr_equal(a->a.value, b->a.value, DSS_EXPR_REL_TOL);
	return dss_answer_same(dss_answer_config_kindof(f->config),
	    a->a.answer.data, b->a.answer.data);
}

/* Whether the item's answer equals its gold label; -1 without gold. */
static int
gold_agrees(const struct dss_filter *f, const struct item *it)
{
	if (it->gold == NULL)
		return -1;
	if (dss_answer_config_kindof(f->config) == DSS_ANSWER_EQUATION)
		return dss_expr_equal(it->a.value, it->gold_value, DSS_EXPR_REL_TOL);
	return dss_answer_same(dss_answer_config_kindof(f->config),
	    it->a.answer.data, it->gold);
}

static int
decide_one(struct dss_filter *f, struct item *it, struct dss_err *err)
{
	char detail[512];
	int agree;

	if (it->a.status != DSS_ANSWER_OK)
		return emit_reject(f, it, reason_of(it->a.status), it->a.reason,
		    NULL, err);
	agree = gold_agrees(f, it);
	if (f->o.agree == DSS_FILTER_GOLD && agree != 1) {
		snprintf(detail, sizeof detail,
		    "teacher says '%.200s', gold is '%.200s'", it->a.answer.data,
		    it->gold);
		return emit_reject(f, it, DSS_REJECT_DISAGREE, detail, NULL, err);
	}
	if (it->a.rationale.len < f->o.min_rationale_chars) {
		snprintf(detail, sizeof detail,
		    "rationale has %zu bytes, fewer than %zu", it->a.rationale.len,
		    f->o.min_rationale_chars);
		return emit_reject(f, it, DSS_REJECT_EMPTY_RATIONALE, detail, NULL,
		    err);
	}
	return emit_triple(f, it, f->o.agree == DSS_FILTER_GOLD ? it->gold :
	    it->a.answer.data, agree, NULL, err);
}

static int
decide_group(struct dss_filter *f, struct dss_err *err)
{
	struct vclass *cl;
	cJSON *votes = NULL;
	size_t i, j, ncl = 0, best = 0, nbest = 0;
	char detail[512];
	int r = -1;

	if (f->nitems == 0)
		return 0;
	cl = realloc(f->classes, f->nitems * sizeof *cl);
	if (cl == NULL)
		return nomem(err);
	f->classes = cl;
	for (i = 0; i < f->nitems; i++) {
		struct item *it = &f->items[i];

		it->cls = -1;
		if (it->a.status != DSS_ANSWER_OK)
			continue;
		for (j = 0; j < ncl; j++)
			if (same_answer(f, &f->items[cl[j].item], it))
				break;
		if (j == ncl) {
			cl[ncl].item = i;
			cl[ncl++].count = 0;
		}
		cl[j].count++;
		it->cls = (int)j;
	}
	if (ncl > 0) {
		if ((votes = cJSON_CreateObject()) == NULL)
			return nomem(err);
		for (j = 0; j < ncl; j++) {
			cJSON *n = cJSON_CreateNumber((double)cl[j].count);

			if (n == NULL)
				goto oom;
			cJSON_AddItemToObject(votes,
			    f->items[cl[j].item].a.answer.data, n);	/* takes ownership */
			if (cl[j].count > cl[best].count)
				best = j;
		}
		for (j = 0; j < ncl; j++)
			nbest += cl[j].count == cl[best].count;
	}
	for (i = 0; i < f->nitems; i++) {
		struct item *it = &f->items[i];
		const char *label;

		if (it->cls < 0)
			r = emit_reject(f, it, reason_of(it->a.status), it->a.reason,
			    votes, err);
		else if (nbest > 1) {
			snprintf(detail, sizeof detail,
			    "no single most frequent answer among %zu samples",
			    f->nitems);
			r = emit_reject(f, it, DSS_REJECT_TIE, detail, votes, err);
		} else if ((size_t)it->cls != best) {
			snprintf(detail, sizeof detail,
			    "teacher says '%.200s', majority is '%.200s'",
			    it->a.answer.data, f->items[cl[best].item].a.answer.data);
			r = emit_reject(f, it, DSS_REJECT_DISAGREE, detail, votes, err);
		} else if (it->a.rationale.len < f->o.min_rationale_chars) {
			snprintf(detail, sizeof detail,
			    "rationale has %zu bytes, fewer than %zu",
			    it->a.rationale.len, f->o.min_rationale_chars);
			r = emit_reject(f, it, DSS_REJECT_EMPTY_RATIONALE, detail,
			    votes, err);
		} else {
			label = f->items[cl[best].item].a.answer.data;
			r = emit_triple(f, it, label, gold_agrees(f, it), votes, err);
		}
		if (r < 0)
			goto out;
	}
	r = 0;
	goto out;
oom:
	r = nomem(err);
out:
	cJSON_Delete(votes);
	clear_items(f);
	return r;
}

static int
flush_group(struct dss_filter *f, struct dss_err *err)
{
	int r;

	if (f->nitems == 0)
		return 0;
	r = decide_group(f, err);
	if (seen_add(f, hash_key(f->key.data, f->key.len), 1) < 0)
		return nomem(err);
	return r;
}

int
dss_filter_finish(struct dss_filter *f, struct dss_err *err)
{
	return flush_group(f, err);
}

static const char *
opt_string(const cJSON *rec, const char *name, int *bad)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(rec, name);

	if (it == NULL || cJSON_IsNull(it))
		return NULL;
	if (!cJSON_IsString(it))
		*bad = 1;
	return it->valuestring;
}

int
dss_filter_add(struct dss_filter *f, cJSON *rec, unsigned long lineno,
    struct dss_err *err)
{
	const char *dataset, *id, *completion, *teacher, *finish, *gold;
	const char *choices[MAX_CHOICES];
	struct dss_answer_config *config;
	struct item *it;
	size_t nch = 0;
	int bad = 0, prefix = 1, r = -1;

	f->nread++;
	if ((dataset = dss_json_str(rec, "dataset", err)) == NULL ||
	    (id = dss_json_str(rec, "id", err)) == NULL ||
	    (completion = dss_json_str(rec, "completion", err)) == NULL)
		goto out;
	teacher = opt_string(rec, "teacher", &bad);
	if (bad) {
		dss_err_set(err, "field 'teacher' is not a string");
		goto out;
	}
	finish = opt_string(rec, "finish_reason", &bad);
	if (bad) {
		dss_err_set(err, "field 'finish_reason' is not a string");
		goto out;
	}
	gold = opt_string(rec, "label", &bad);
	if (bad || (gold == NULL && f->o.agree == DSS_FILTER_GOLD)) {
		dss_err_set(err, bad ? "field 'label' is not a string" :
		    "field 'label' is missing");
		goto out;
	}
	if ((config = dss_answer_cache_get(f->cache, dataset, err)) == NULL)
		goto out;
	if (dss_answer_config_kindof(config) == DSS_ANSWER_CHOICE) {
		const cJSON *fields = dss_json_obj(rec, "fields", err), *ch, *c;

		if (fields == NULL)
			goto out;
		ch = cJSON_GetObjectItemCaseSensitive(fields, "choices");
		if (ch == NULL) {
			dss_err_set(err, "field 'fields.choices' is missing");
			goto out;
		}
		if (!cJSON_IsArray(ch) || cJSON_GetArraySize(ch) == 0 ||
		    cJSON_GetArraySize(ch) > MAX_CHOICES) {
			dss_err_set(err, "field 'fields.choices' is not an array of "
			    "1 to %d strings", MAX_CHOICES);
			goto out;
		}
		cJSON_ArrayForEach(c, ch) {
			if (!cJSON_IsString(c)) {
				dss_err_set(err, "field 'fields.choices' holds a value "
				    "that is not a string");
				goto out;
			}
			choices[nch++] = c->valuestring;
		}
	}

	if (f->o.agree == DSS_FILTER_MAJORITY) {
		struct dss_buf *k = &f->next;

		dss_buf_reset(k);
		if (dss_buf_adds(k, dataset) < 0 || dss_buf_addch(k, 0) < 0 ||
		    dss_buf_adds(k, id) < 0 || dss_buf_addch(k, 0) < 0 ||
		    dss_buf_adds(k, teacher ? teacher : "") < 0) {
			nomem(err);
			goto out;
		}
		if (f->nitems > 0 && (k->len != f->key.len ||
		    memcmp(k->data, f->key.data, k->len) != 0)) {
			prefix = 0;
			if (flush_group(f, err) < 0)
				goto out;
			prefix = 1;
		}
		if (f->nitems == 0) {
			struct dss_buf t = f->key;

			f->key = f->next;
			f->next = t;
			if (seen_add(f, hash_key(f->key.data, f->key.len), 0) == 1) {
				dss_err_set(err, "prompt '%.200s' of teacher '%.100s' "
				    "reappears after other prompts (its samples must "
				    "be adjacent)", id, teacher ? teacher : "");
				goto out;
			}
		} else if (f->nitems >= DSS_FILTER_MAX_GROUP) {
			dss_err_set(err, "more than %d samples of prompt '%.200s'",
			    DSS_FILTER_MAX_GROUP, id);
			goto out;
		}
	} else
		clear_items(f);
	f->config = config;
	if (f->nitems == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 8, i;
		struct item *n = realloc(f->items, ncap * sizeof *n);

		if (n == NULL) {
			nomem(err);
			goto out;
		}
		for (i = f->cap; i < ncap; i++) {
			struct dss_answer init = DSS_ANSWER_INIT;

			n[i].a = init;
			n[i].rec = NULL;
		}
		f->items = n;
		f->cap = ncap;
	}
	it = &f->items[f->nitems];
	it->rec = rec;
	it->lineno = lineno;
	it->gold = gold;
	it->gold_value = 0;
	it->cls = -1;
	f->nitems++;
	rec = NULL;	/* owned by the item now */
	if (gold != NULL && dss_answer_config_kindof(config) ==
	    DSS_ANSWER_EQUATION) {
		struct dss_err e = DSS_ERR_INIT;

		if (dss_expr_eval(gold, &it->gold_value, &e) < 0) {
			dss_err_set(err, "field 'label' is not an equation: %s",
			    e.msg);
			goto out;
		}
	}
	if (dss_answer_extract(config, completion, strlen(completion), finish,
	    choices, nch, &it->a, err) < 0)
		goto out;
	if (f->o.agree != DSS_FILTER_MAJORITY) {
		prefix = 0;
		r = decide_one(f, it, err);
		clear_items(f);
		goto out;
	}
	r = 0;
out:
	if (r < 0 && prefix)
		dss_err_prefix(err, "line %lu", lineno);
	cJSON_Delete(rec);
	return r;
}
