/* SPDX-License-Identifier: MIT */
/*
 * The replay teacher: answers from recorded completions instead of a
 * model, for offline demos and for reusing outputs made elsewhere.  The
 * file is JSON Lines of either {"id", "completion"} records (optional
 * "sample", default 0, "finish_reason", "teacher", "usage") or OpenAI
 * Batch output lines {"custom_id": "ID" or "ID#SAMPLE", "response":
 * {"status_code", "body"}}.  The whole file is held in a hash table keyed
 * by "ID#SAMPLE"; the first record for a key wins.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "teacher_impl.h"

struct entry {
	char *key;		/* "ID#SAMPLE"; NULL for an empty slot */
	char *text;
	char *finish_reason;
	char *teacher;
	long prompt_tokens, completion_tokens;
	int has_usage, bad_usage;
};

struct table {
	struct entry *slots;
	size_t cap, n;
};

static size_t
hash(const char *s)
{
	size_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static struct entry *
find(struct table *tb, const char *key)
{
	size_t i;

	if (tb->cap == 0)
		return NULL;
	for (i = hash(key) & (tb->cap - 1); tb->slots[i].key != NULL;
	    i = (i + 1) & (tb->cap - 1))
		if (strcmp(tb->slots[i].key, key) == 0)
			return &tb->slots[i];
	return &tb->slots[i];
}

static int
grow(struct table *tb)
{
	struct table nt;
	size_t i;

	nt.cap = tb->cap ? tb->cap * 2 : 1024;
	nt.n = tb->n;
	if ((nt.slots = calloc(nt.cap, sizeof(*nt.slots))) == NULL)
		return -1;
	for (i = 0; i < tb->cap; i++)
		if (tb->slots[i].key != NULL)
			*find(&nt, tb->slots[i].key) = tb->slots[i];
	free(tb->slots);
	*tb = nt;
	return 0;
}

static void
free_entry(struct entry *e)
{
	free(e->key);
	free(e->text);
	free(e->finish_reason);
	free(e->teacher);
}

static int
put(struct table *tb, const char *id, long sample, const char *text,
    const char *fr, const char *teacher, const cJSON *usage, int share)
{
	struct entry e, *slot;
	char num[32];

	if ((tb->n + 1) * 2 > tb->cap && grow(tb) < 0)
		return -1;
	memset(&e, 0, sizeof(e));
	snprintf(num, sizeof(num), "#%ld", sample);
	if ((e.key = malloc(strlen(id) + strlen(num) + 1)) == NULL)
		return -1;
	strcpy(e.key, id);
	strcat(e.key, num);
	slot = find(tb, e.key);
	if (slot->key != NULL) {	/* first record wins */
		free(e.key);
		return 0;
	}
	e.text = strdup(text);
	e.finish_reason = fr ? strdup(fr) : NULL;
	e.teacher = teacher ? strdup(teacher) : NULL;
	if (e.text == NULL || (fr && !e.finish_reason) || (teacher && !e.teacher)) {
		free_entry(&e);
		return -1;
	}
	if (cJSON_IsObject(usage)) {
		const cJSON *pt = cJSON_GetObjectItemCaseSensitive(usage, "prompt_tokens");
		const cJSON *ct = cJSON_GetObjectItemCaseSensitive(usage, "completion_tokens");

		struct dss_teacher_result u = DSS_TEACHER_RESULT_INIT;

		dss_teacher_set_usage(&u, pt, ct, 0);
		e.has_usage = u.has_usage;
		e.bad_usage = u.bad_usage;
		e.prompt_tokens = u.prompt_tokens / share;
		e.completion_tokens = u.completion_tokens / share;
	}
	*slot = e;
	tb->n++;
	return 0;
}

static int
load_batch(struct table *tb, const cJSON *rec, const char *cid,
    struct dss_err *err)
{
	const cJSON *resp = cJSON_GetObjectItemCaseSensitive(rec, "response");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(resp, "status_code");
	const cJSON *body = cJSON_GetObjectItemCaseSensitive(resp, "body");
	struct dss_teacher_result res = DSS_TEACHER_RESULT_INIT;
	const char *hashp = strrchr(cid, '#');
	char *id, *end;
	long first = 0;
	int i, r = -1;

	if (!cJSON_IsObject(resp) || !cJSON_IsObject(body) ||
	    (cJSON_IsNumber(st) && st->valuedouble != 200))
		return 0;	/* a failed request: no answer recorded */
	if ((id = strdup(cid)) == NULL)
		return dss_err_set(err, "out of memory");
	if (hashp != NULL) {
		errno = 0;
		first = strtol(hashp + 1, &end, 10);
		if (end != hashp + 1 && *end == '\0' && first >= 0 && !errno)
			id[hashp - cid] = '\0';
		else
			first = 0;
	}
	if (dss_teacher_openai_parse_json(body, &res, err) < 0)
		goto out;
	for (i = 0; i < res.n; i++)
		if (put(tb, id, first + i, res.choices[i].text,
		    res.choices[i].finish_reason, dss_json_str_opt(body, "model"),
		    cJSON_GetObjectItemCaseSensitive(body, "usage"), res.n) < 0) {
			dss_err_set(err, "out of memory");
			goto out;
		}
	r = 0;
out:
	dss_teacher_result_free(&res);
	free(id);
	return r;
}

static int
load_line(struct table *tb, const cJSON *rec, struct dss_err *err)
{
	const char *cid = dss_json_str_opt(rec, "custom_id");
	const char *id, *text;
	long long sample = 0;

	if (cid != NULL)
		return load_batch(tb, rec, cid, err);
	if ((id = dss_json_str(rec, "id", err)) == NULL ||
	    (text = dss_json_str(rec, "completion", err)) == NULL)
		return -1;
	if (cJSON_GetObjectItemCaseSensitive(rec, "sample") != NULL &&
	    dss_json_int(rec, "sample", &sample, err) < 0)
		return -1;
	if (sample < 0)
		return dss_err_set(err, "field 'sample' is negative");
	if (put(tb, id, (long)sample, text, dss_json_str_opt(rec, "finish_reason"),
	    dss_json_str_opt(rec, "teacher"),
	    cJSON_GetObjectItemCaseSensitive(rec, "usage"), 1) < 0)
		return dss_err_set(err, "out of memory");
	return 0;
}

static void
replay_close(struct dss_teacher *t)
{
	struct table *tb = t->priv;
	size_t i;

	if (tb == NULL)
		return;
	for (i = 0; i < tb->cap; i++)
		if (tb->slots[i].key != NULL)
			free_entry(&tb->slots[i]);
	free(tb->slots);
	free(tb);
	t->priv = NULL;
}

static int
replay_open(struct dss_teacher *t, struct dss_err *err)
{
	struct dss_lines l = DSS_LINES_INIT(NULL, t->model);
	struct table *tb;
	cJSON *rec = NULL;
	FILE *fp;
	int r = -1, got;

	if ((fp = fopen(t->model, "r")) == NULL)
		return dss_err_errno(err, errno, "cannot open replay file '%s'", t->model);
	if ((tb = calloc(1, sizeof(*tb))) == NULL) {
		fclose(fp);
		return dss_err_set(err, "out of memory");
	}
	t->priv = tb;
	l.fp = fp;
	while ((got = dss_jsonl_next(&l, &rec, err)) == 1) {
		if (load_line(tb, rec, err) < 0) {
			dss_err_prefix(err, "replay file '%s': line %lu", t->model,
			    l.lineno);
			goto out;
		}
		cJSON_Delete(rec);
		rec = NULL;
	}
	if (got < 0) {
		dss_err_prefix(err, "replay file '%s'", t->model);
		goto out;
	}
	if (dss_sha256_file(t->model, t->source, err) < 0)
		goto out;
	r = 0;
out:
	cJSON_Delete(rec);
	dss_lines_free(&l);
	fclose(fp);
	return r;
}

static int
answer(const struct dss_teacher *t, const cJSON *record, int sample,
    struct dss_teacher_result *res, struct dss_err *err)
{
	struct table *tb = t->priv;
	const char *id = dss_json_str(record, "id", err);
	struct entry *e;
	struct dss_buf key = DSS_BUF_INIT;

	if (id == NULL)
		return -1;
	if (dss_buf_addf(&key, "%s#%d", id, sample) < 0) {
		dss_buf_free(&key);
		return dss_err_set(err, "out of memory");
	}
	e = find(tb, key.data);
	dss_buf_free(&key);
	if (e == NULL || e->key == NULL)
		return dss_err_set(err, "no recorded completion for '%s' sample %d",
		    id, sample);
	if (dss_teacher_add_choice(res, e->text, e->finish_reason) < 0 ||
	    (e->teacher && (res->teacher = strdup(e->teacher)) == NULL))
		return dss_err_set(err, "out of memory");
	res->has_usage = e->has_usage;
	res->bad_usage = e->bad_usage;
	res->prompt_tokens = e->prompt_tokens;
	res->completion_tokens = e->completion_tokens;
	return 0;
}

const struct dss_teacher_ops dss_teacher_replay = {
	.provider = "replay",
	.open = replay_open,
	.answer = answer,
	.close = replay_close,
};
