/* SPDX-License-Identifier: MIT */
/*
 * Exemplar files and prompt rendering.  A loaded exemplar file keeps each
 * exemplar's rendered query and answer text, so that a prompt is only
 * concatenation, and so that a record whose query equals an exemplar's is
 * recognised.  The template hash covers the file's canonical JSON, the
 * number of shots, the style and the rendering format version.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "jscan.h"
#include "jsonl.h"
#include "manifest.h"
#include "prompt.h"
#include "sha256.h"

#define EXEMPLAR_FILE_MAX ((size_t)4 << 20)

struct dss_exemplars {
	char *path;
	cJSON *root;
	char *canonical;	/* root printed unformatted */
	const char *dataset, *system, *query, *cue, *answer;	/* in root */
	size_t n;
	char **queries;		/* the rendered query of each exemplar */
	char **outputs;		/* rationale, a space, the answer sentence */
};

struct set {
	struct dss_exemplars *ex;
	size_t shots;
	char template[DSS_SHA256_HEX];
	struct set *next;
};

struct dss_prompter {
	char *path;		/* the one exemplar file, or NULL */
	int shots;		/* -1: all */
	enum dss_prompt_style style;
	char *dir;		/* the datasets directory, found when needed */
	struct set *sets;
};

const char *
dss_prompt_style_name(enum dss_prompt_style style)
{
	return style == DSS_PROMPT_COMPLETION ? "completion" : "chat";
}

static int
add_value(struct dss_buf *out, const cJSON *v, int lower, const char *where,
    const char *name, struct dss_err *err)
{
	const cJSON *it;
	size_t start = out->len, i;
	int k = 0;

	if (v == NULL)
		return dss_err_set(err, "field '%s%s' is missing", where, name);
	if (cJSON_IsString(v)) {
		if (dss_buf_adds(out, v->valuestring) < 0)
			return dss_err_set(err, "out of memory");
	} else if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach(it, v) {
			if (!cJSON_IsString(it))
				return dss_err_set(err, "field '%s%s' holds a "
				    "value that is not a string", where, name);
			if (k >= 26)
				return dss_err_set(err, "field '%s%s' holds more "
				    "than 26 choices", where, name);
			if (dss_buf_addf(out, "%s(%c) %s", k ? "\n" : "", 'a' + k,
			    it->valuestring) < 0)
				return dss_err_set(err, "out of memory");
			k++;
		}
		if (k == 0)
			return dss_err_set(err, "field '%s%s' is empty", where, name);
	} else {
		return dss_err_set(err, "field '%s%s' is not a string", where, name);
	}
	if (lower)
		for (i = start; i < out->len; i++)
			out->data[i] = (char)tolower((unsigned char)out->data[i]);
	return 0;
}

int
dss_prompt_render(struct dss_buf *out, const char *tmpl, const cJSON *obj,
    const char *where, struct dss_err *err)
{
	const char *p = tmpl, *close;
	char name[128];

	while (*p) {
		size_t n, len;
		int lower = 0;

		if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
			if (dss_buf_addch(out, *p) < 0)
				return dss_err_set(err, "out of memory");
			p += 2;
			continue;
		}
		if (*p == '}')
			return dss_err_set(err, "template has an unmatched '}'");
		if (*p != '{') {
			n = strcspn(p, "{}");
			if (dss_buf_add(out, p, n) < 0)
				return dss_err_set(err, "out of memory");
			p += n;
			continue;
		}
		if ((close = strchr(p, '}')) == NULL)
			return dss_err_set(err, "template has an unmatched '{'");
		len = (size_t)(close - p - 1);
		if (len == 0 || len >= sizeof(name))
			return dss_err_set(err, "template has a bad field name");
		memcpy(name, p + 1, len);
		name[len] = '\0';
		if (len > 6 && strcmp(name + len - 6, ":lower") == 0) {
			name[len - 6] = '\0';
			lower = 1;
		}
		if (strspn(name, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(name) ||
		    name[0] == '\0')
			return dss_err_set(err, "template has a bad field name '%s'",
			    name);
		if (add_value(out, cJSON_GetObjectItemCaseSensitive(obj, name),
		    lower, where, name, err) < 0)
			return -1;
		p = close + 1;
	}
	return 0;
}

void
dss_exemplars_free(struct dss_exemplars *ex)
{
	size_t i;

	if (ex == NULL)
		return;
	for (i = 0; i < ex->n; i++) {
		if (ex->queries)
			free(ex->queries[i]);
		if (ex->outputs)
			free(ex->outputs[i]);
	}
	free(ex->queries);
	free(ex->outputs);
	free(ex->canonical);
	cJSON_Delete(ex->root);
	free(ex->path);
	free(ex);
}

size_t
dss_exemplars_count(const struct dss_exemplars *ex)
{
	return ex->n;
}

const char *
dss_exemplars_dataset(const struct dss_exemplars *ex)
{
	return ex->dataset;
}

const char *
dss_exemplars_path(const struct dss_exemplars *ex)
{
	return ex->path;
}

const char *
dss_exemplars_answer(const struct dss_exemplars *ex)
{
	return ex->answer;
}

/* A required string key of the file, or NULL with err set. */
static const char *
file_str(const cJSON *root, const char *key, int required, struct dss_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);

	if (v == NULL && !required)
		return NULL;
	if (v == NULL) {
		dss_err_set(err, "key '%s' is missing", key);
		return NULL;
	}
	if (!cJSON_IsString(v)) {
		dss_err_set(err, "key '%s' is not a string", key);
		return NULL;
	}
	return v->valuestring;
}

static int
check_exemplar(struct dss_exemplars *ex, size_t i, const cJSON *e,
    struct dss_err *err)
{
	struct dss_buf b = DSS_BUF_INIT;
	const char *rationale;
	int r = -1;

	if (!cJSON_IsObject(e)) {
		dss_err_set(err, "exemplar %zu is not an object", i + 1);
		goto out;
	}
	if (dss_prompt_render(&b, ex->query, e, "", err) < 0)
		goto fail;
	if ((ex->queries[i] = dss_buf_detach(&b, NULL)) == NULL) {
		dss_err_set(err, "out of memory");
		goto out;
	}
	if ((rationale = dss_json_str(e, "rationale", err)) == NULL)
		goto fail;
	if (*rationale == '\0') {
		dss_err_set(err, "field 'rationale' is empty");
		goto fail;
	}
	if (dss_buf_adds(&b, rationale) < 0 || dss_buf_addch(&b, ' ') < 0) {
		dss_err_set(err, "out of memory");
		goto out;
	}
	if (dss_json_str(e, "answer", err) == NULL ||
	    dss_prompt_render(&b, ex->answer, e, "", err) < 0)
		goto fail;
	if ((ex->outputs[i] = dss_buf_detach(&b, NULL)) == NULL) {
		dss_err_set(err, "out of memory");
		goto out;
	}
	r = 0;
	goto out;
fail:
	dss_err_prefix(err, "exemplar %zu", i + 1);
out:
	dss_buf_free(&b);
	return r;
}

struct dss_exemplars *
dss_exemplars_load(const char *path, struct dss_err *err)
{
	struct dss_buf text = DSS_BUF_INIT;
	struct dss_exemplars *ex;
	const cJSON *list, *e, *format;
	const char *doc;
	size_t i = 0, len;
	int ok = 0;

	if ((ex = calloc(1, sizeof(*ex))) == NULL ||
	    (ex->path = strdup(path)) == NULL) {
		dss_err_set(err, "out of memory");
		free(ex);
		return NULL;
	}
	if (dss_file_read(path, &text, EXEMPLAR_FILE_MAX, err) < 0)
		goto out;
	doc = text.data;
	len = text.len;
	if (dss_jscan_document(&doc, &len, err) < 0) {
		dss_err_prefix(err, "'%s'", path);
		goto out;
	}
	if ((ex->root = cJSON_ParseWithLength(doc, len)) == NULL) {
		dss_err_set(err, "'%s': out of memory", path);
		goto out;
	}
	if (!cJSON_IsObject(ex->root)) {
		dss_err_set(err, "'%s': not a JSON object", path);
		goto out;
	}
	format = cJSON_GetObjectItemCaseSensitive(ex->root, "format");
	if (!cJSON_IsNumber(format) || format->valuedouble != DSS_PROMPT_FORMAT) {
		dss_err_set(err, "'%s': key 'format' is not %d", path,
		    DSS_PROMPT_FORMAT);
		goto out;
	}
	if ((ex->dataset = file_str(ex->root, "dataset", 1, err)) == NULL ||
	    (ex->query = file_str(ex->root, "query", 1, err)) == NULL ||
	    (ex->cue = file_str(ex->root, "cue", 1, err)) == NULL ||
	    (ex->answer = file_str(ex->root, "answer", 1, err)) == NULL) {
		dss_err_prefix(err, "'%s'", path);
		goto out;
	}
	ex->system = file_str(ex->root, "system", 0, err);
	if (ex->system == NULL &&
	    cJSON_GetObjectItemCaseSensitive(ex->root, "system") != NULL) {
		dss_err_prefix(err, "'%s'", path);
		goto out;
	}
	list = cJSON_GetObjectItemCaseSensitive(ex->root, "exemplars");
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0) {
		dss_err_set(err, "'%s': key 'exemplars' is not a non-empty array",
		    path);
		goto out;
	}
	ex->n = (size_t)cJSON_GetArraySize(list);
	if ((ex->queries = calloc(ex->n, sizeof(char *))) == NULL ||
	    (ex->outputs = calloc(ex->n, sizeof(char *))) == NULL) {
		dss_err_set(err, "out of memory");
		goto out;
	}
	cJSON_ArrayForEach(e, list) {
		if (check_exemplar(ex, i++, e, err) < 0) {
			dss_err_prefix(err, "'%s'", path);
			goto out;
		}
	}
	if ((ex->canonical = cJSON_PrintUnformatted(ex->root)) == NULL) {
		dss_err_set(err, "out of memory");
		goto out;
	}
	ok = 1;
out:
	dss_buf_free(&text);
	if (!ok) {
		dss_exemplars_free(ex);
		return NULL;
	}
	return ex;
}

static void
template_hash(const struct dss_exemplars *ex, size_t shots,
    enum dss_prompt_style style, char out[DSS_SHA256_HEX])
{
	struct dss_sha256 *s = dss_sha256_new();
	char tail[128];

	if (s == NULL) {
		out[0] = '\0';
		return;
	}
	snprintf(tail, sizeof(tail), "dss-prompt format %d\n", DSS_PROMPT_FORMAT);
	dss_sha256_update(s, tail, strlen(tail));
	dss_sha256_update(s, ex->canonical, strlen(ex->canonical));
	snprintf(tail, sizeof(tail), "\nshots %zu\nstyle %s\n", shots,
	    dss_prompt_style_name(style));
	dss_sha256_update(s, tail, strlen(tail));
	dss_sha256_final(s, out);
}

/* Loads ex into a new set of p, checking the number of shots. */
static struct set *
add_set(struct dss_prompter *p, struct dss_exemplars *ex, struct dss_err *err)
{
	struct set *s;

	if (p->shots >= 0 && (size_t)p->shots > ex->n) {
		dss_err_set(err, "'%s' holds %zu exemplars, fewer than --shots %d",
		    ex->path, ex->n, p->shots);
		dss_exemplars_free(ex);
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		dss_err_set(err, "out of memory");
		dss_exemplars_free(ex);
		return NULL;
	}
	s->ex = ex;
	s->shots = p->shots >= 0 ? (size_t)p->shots : ex->n;
	template_hash(ex, s->shots, p->style, s->template);
	if (s->template[0] == '\0') {
		dss_err_set(err, "out of memory");
		dss_exemplars_free(ex);
		free(s);
		return NULL;
	}
	s->next = p->sets;
	p->sets = s;
	return s;
}

struct dss_prompter *
dss_prompter_new(const char *path, int shots, enum dss_prompt_style style,
    struct dss_err *err)
{
	struct dss_prompter *p;
	struct dss_exemplars *ex;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		dss_err_set(err, "out of memory");
		return NULL;
	}
	p->shots = shots;
	p->style = style;
	if (path != NULL) {
		if ((p->path = strdup(path)) == NULL) {
			dss_err_set(err, "out of memory");
			goto fail;
		}
		if ((ex = dss_exemplars_load(path, err)) == NULL ||
		    add_set(p, ex, err) == NULL)
			goto fail;
	}
	return p;
fail:
	dss_prompter_free(p);
	return NULL;
}

void
dss_prompter_free(struct dss_prompter *p)
{
	struct set *s, *next;

	if (p == NULL)
		return;
	for (s = p->sets; s != NULL; s = next) {
		next = s->next;
		dss_exemplars_free(s->ex);
		free(s);
	}
	free(p->dir);
	free(p->path);
	free(p);
}

static struct set *
find_set(struct dss_prompter *p, const char *dataset, struct dss_err *err)
{
	struct dss_buf path = DSS_BUF_INIT;
	struct dss_exemplars *ex;
	struct set *s;

	for (s = p->sets; s != NULL; s = s->next)
		if (strcmp(s->ex->dataset, dataset) == 0)
			return s;
	if (p->path != NULL) {
		dss_err_set(err, "no exemplars for dataset '%s' in '%s' (it is for "
		    "'%s')", dataset, p->path, p->sets->ex->dataset);
		return NULL;
	}
	if (*dataset == '\0' || *dataset == '.' || strspn(dataset,
	    "abcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen(dataset)) {
		dss_err_set(err, "field 'dataset' is not a dataset name");
		return NULL;
	}
	if (p->dir == NULL && (p->dir = dss_manifest_dir()) == NULL) {
		dss_err_set(err, "out of memory");
		return NULL;
	}
	if (dss_buf_addf(&path, "%s/exemplars/%s.json", p->dir, dataset) < 0) {
		dss_err_set(err, "out of memory");
		return NULL;
	}
	if (access(path.data, F_OK) != 0) {
		dss_err_set(err, "no exemplars for dataset '%s' (no file '%s')",
		    dataset, path.data);
		dss_buf_free(&path);
		return NULL;
	}
	ex = dss_exemplars_load(path.data, err);
	dss_buf_free(&path);
	if (ex == NULL)
		return NULL;
	if (strcmp(ex->dataset, dataset) != 0) {
		dss_err_set(err, "'%s' is for dataset '%s', not '%s'", ex->path,
		    ex->dataset, dataset);
		dss_exemplars_free(ex);
		return NULL;
	}
	return add_set(p, ex, err);
}

static int
add_message(cJSON *msgs, const char *role, const char *content)
{
	cJSON *m = cJSON_CreateObject();

	if (m == NULL || cJSON_AddStringToObject(m, "role", role) == NULL ||
	    cJSON_AddStringToObject(m, "content", content) == NULL) {
		cJSON_Delete(m);
		return -1;
	}
	cJSON_AddItemToArray(msgs, m);	/* takes m */
	return 0;
}

static int
put(cJSON *rec, const char *key, cJSON *v)
{
	if (v == NULL)
		return -1;
	cJSON_DeleteItemFromObjectCaseSensitive(rec, key);
	return cJSON_AddItemToObject(rec, key, v) ? 0 : -1;	/* takes v */
}

int
dss_prompter_apply(struct dss_prompter *p, cJSON *rec, struct dss_err *err)
{
	struct dss_buf query = DSS_BUF_INIT, prompt = DSS_BUF_INIT;
	const char *dataset;
	const cJSON *fields;
	cJSON *msgs = NULL;
	struct set *s;
	size_t i;
	int r = -1;

	if ((dataset = dss_json_str(rec, "dataset", err)) == NULL ||
	    dss_json_str(rec, "id", err) == NULL ||
	    (fields = dss_json_obj(rec, "fields", err)) == NULL ||
	    (s = find_set(p, dataset, err)) == NULL)
		goto out;
	if (dss_prompt_render(&query, s->ex->query, fields, "fields.", err) < 0)
		goto out;
	for (i = 0; i < s->shots; i++)
		if (strcmp(query.data, s->ex->queries[i]) == 0) {
			dss_err_set(err, "its query is exemplar %zu of '%s'", i + 1,
			    s->ex->path);
			r = 0;
			goto out;
		}
	if ((msgs = cJSON_CreateArray()) == NULL)
		goto oom;
	if (s->ex->system != NULL && *s->ex->system &&
	    add_message(msgs, "system", s->ex->system) < 0)
		goto oom;
	for (i = 0; i < s->shots; i++) {
		if (dss_buf_addf(&prompt, "%s\n%s %s\n\n", s->ex->queries[i],
		    s->ex->cue, s->ex->outputs[i]) < 0 ||
		    add_message(msgs, "user", s->ex->queries[i]) < 0 ||
		    add_message(msgs, "assistant", s->ex->outputs[i]) < 0)
			goto oom;
	}
	if (dss_buf_addf(&prompt, "%s\n%s", query.data, s->ex->cue) < 0 ||
	    add_message(msgs, "user", query.data) < 0)
		goto oom;
	if (put(rec, "prompt", cJSON_CreateString(prompt.data)) < 0)
		goto oom;
	r = put(rec, "messages", msgs);
	msgs = NULL;
	if (r < 0 ||
	    put(rec, "template", cJSON_CreateString(s->template)) < 0 ||
	    put(rec, "style", cJSON_CreateString(
	    dss_prompt_style_name(p->style))) < 0)
		goto oom;
	r = 1;
	goto out;
oom:
	r = dss_err_set(err, "out of memory");
out:
	cJSON_Delete(msgs);
	dss_buf_free(&query);
	dss_buf_free(&prompt);
	return r;
}
