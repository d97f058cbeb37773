/* SPDX-License-Identifier: MIT */
/* Finding, loading and checking dataset manifests (see man/dss-manifest.5). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "file.h"
#include "jscan.h"
#include "manifest.h"

#ifndef DSS_PREFIX
#define DSS_PREFIX "/usr/local"
#endif

#define MANIFEST_MAX ((size_t)16 << 20)

char *
dss_manifest_dir(void)
{
	const char *env = getenv("DSS_DATASETS");
	char exe[PATH_MAX], *slash;
	struct dss_buf b = DSS_BUF_INIT;
	ssize_t n;

	if (env != NULL && *env != '\0')
		return strdup(env);
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			dss_buf_addf(&b, "%s/../datasets", exe);
			if (access(b.data, R_OK | X_OK) == 0)
				return dss_buf_detach(&b, NULL);
			dss_buf_reset(&b);
			dss_buf_addf(&b, "%s/../share/dss/datasets", exe);
			if (access(b.data, R_OK | X_OK) == 0)
				return dss_buf_detach(&b, NULL);
			dss_buf_free(&b);
		}
	}
	return strdup(DSS_PREFIX "/share/dss/datasets");
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the manifests in dir (at most max), sorted, into names; each malloc'd. */
static size_t
list_names(const char *dir, char **names, size_t max)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	size_t n = 0;

	if (dp != NULL) {
		while ((d = readdir(dp)) != NULL && n < max) {
			size_t len = strlen(d->d_name);

			if (len > 5 && d->d_name[0] != '.' &&
			    strcmp(d->d_name + len - 5, ".json") == 0 &&
			    (names[n] = strndup(d->d_name, len - 5)) != NULL)
				n++;
		}
		closedir(dp);
	}
	qsort(names, n, sizeof *names, cmpstr);
	return n;
}

/* "a, b, c": the manifests in dir, for messages.  Caller frees. */
static char *
known(const char *dir)
{
	struct dss_buf b = DSS_BUF_INIT;
	char *names[256];
	size_t n = list_names(dir, names, 256), i;

	for (i = 0; i < n; i++) {
		dss_buf_addf(&b, "%s%s", b.len ? ", " : "", names[i]);
		free(names[i]);
	}
	return dss_buf_detach(&b, NULL);
}

size_t
dss_manifest_names(char **names, size_t max)
{
	char *dir = dss_manifest_dir();
	size_t n = dir != NULL ? list_names(dir, names, max) : 0;

	free(dir);
	return n;
}

static int
valid_name(const char *s)
{
	if (*s == '\0' || *s == '.')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return 0;
	return 1;
}

struct dss_manifest *
dss_manifest_load(const char *dataset, struct dss_err *err)
{
	struct dss_buf path = DSS_BUF_INIT, text = DSS_BUF_INIT;
	struct dss_manifest *m = NULL;
	char *dir = NULL, *list = NULL;

	if (strchr(dataset, '/') != NULL) {
		dss_buf_adds(&path, dataset);
	} else {
		if ((dir = dss_manifest_dir()) == NULL) {
			dss_err_errno(err, ENOMEM, "cannot find manifests");
			goto out;
		}
		if (!valid_name(dataset)) {
			dss_err_set(err, "invalid dataset name '%s'", dataset);
			if (err != NULL)
				err->code = DSS_MANIFEST_UNKNOWN;
			goto out;
		}
		dss_buf_addf(&path, "%s/%s.json", dir, dataset);
		if (access(path.data, F_OK) != 0) {
			list = known(dir);
			if (list != NULL && *list)
				dss_err_set(err, "unknown dataset '%s' (known: %s)",
				    dataset, list);
			else
				dss_err_set(err, "unknown dataset '%s' (no manifests in '%s')",
				    dataset, dir);
			if (err != NULL)
				err->code = DSS_MANIFEST_UNKNOWN;
			goto out;
		}
	}
	if (dss_file_read(path.data, &text, MANIFEST_MAX, err) < 0)
		goto out;
	m = dss_manifest_parse(text.data, path.data, err);
out:
	free(dir);
	free(list);
	dss_buf_free(&path);
	dss_buf_free(&text);
	return m;
}

static const char *
opt_str(const cJSON *o, const char *key, int *bad)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	if (it == NULL || cJSON_IsNull(it))
		return NULL;
	if (!cJSON_IsString(it)) {
		*bad = 1;
		return NULL;
	}
	return it->valuestring;
}

static int
is_hex64(const char *s)
{
	int i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

static int
parse_format(const char *s, enum dss_format *f)
{
	if (strcmp(s, "csv") == 0)
		*f = DSS_FORMAT_CSV;
	else if (strcmp(s, "jsonl") == 0)
		*f = DSS_FORMAT_JSONL;
	else if (strcmp(s, "json-array") == 0)
		*f = DSS_FORMAT_JSON_ARRAY;
	else
		return -1;
	return 0;
}

static int
get_int(const cJSON *o, const char *key, long long *out, int *present)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	*present = it != NULL;
	if (it == NULL)
		return 0;
	if (!cJSON_IsNumber(it) || it->valuedouble < 0 ||
	    it->valuedouble > 9e15 || it->valuedouble != (double)(long long)it->valuedouble)
		return -1;
	*out = (long long)it->valuedouble;
	return 0;
}

static int
parse_sources(struct dss_manifest *m, enum dss_format deffmt, int have_fmt,
    struct dss_err *err)
{
	const cJSON *srcs = cJSON_GetObjectItemCaseSensitive(m->root, "sources"), *s;
	size_t i = 0;
	int bad = 0, present;

	if (!cJSON_IsObject(srcs) || cJSON_GetArraySize(srcs) == 0)
		return dss_err_set(err, "key 'sources' must be a non-empty object");
	m->nsources = (size_t)cJSON_GetArraySize(srcs);
	if ((m->sources = calloc(m->nsources, sizeof *m->sources)) == NULL)
		return dss_err_errno(err, ENOMEM, "sources");
	cJSON_ArrayForEach(s, srcs) {
		struct dss_manifest_source *src = &m->sources[i++];
		const char *fmt;

		src->name = s->string;
		if (!cJSON_IsObject(s))
			return dss_err_set(err, "source '%s' is not an object", s->string);
		src->url = opt_str(s, "url", &bad);
		src->member = opt_str(s, "member", &bad);
		src->sha256 = opt_str(s, "sha256", &bad);
		fmt = opt_str(s, "format", &bad);
		if (bad)
			return dss_err_set(err, "source '%s': 'url', 'member', 'sha256' "
			    "and 'format' must be strings", s->string);
		if (src->url == NULL)
			return dss_err_set(err, "source '%s' has no 'url'", s->string);
		if (strncmp(src->url, "https://", 8) != 0 &&
		    strncmp(src->url, "http://", 7) != 0 &&
		    strncmp(src->url, "file://", 7) != 0)
			return dss_err_set(err, "source '%s': url '%s' is not http, https or file",
			    s->string, src->url);
		if (*(strstr(src->url, "://") + 3) == '/' || *(strstr(src->url, "://") + 3) == '\0')
			return dss_err_set(err, "source '%s': url '%s' has no host "
			    "(for a local file write file://localhost/PATH)",
			    s->string, src->url);
		if (src->sha256 != NULL && !is_hex64(src->sha256))
			return dss_err_set(err, "source '%s': 'sha256' is not 64 lowercase hex digits",
			    s->string);
		if (src->member != NULL && *src->member == '\0')
			return dss_err_set(err, "source '%s': 'member' is empty", s->string);
		if (get_int(s, "max_bytes", &src->max_bytes, &present) < 0 ||
		    (present && src->max_bytes == 0))
			return dss_err_set(err, "source '%s': 'max_bytes' is not a positive integer",
			    s->string);
		if (fmt != NULL) {
			if (parse_format(fmt, &src->format) < 0)
				return dss_err_set(err, "source '%s': unknown format '%s'",
				    s->string, fmt);
		} else if (have_fmt) {
			src->format = deffmt;
		} else {
			return dss_err_set(err, "source '%s' has no 'format' and there is "
			    "no top-level 'format'", s->string);
		}
	}
	return 0;
}

static const struct dss_manifest_source *
find_source(const struct dss_manifest *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nsources; i++)
		if (strcmp(m->sources[i].name, name) == 0)
			return &m->sources[i];
	return NULL;
}

static int
parse_splits(struct dss_manifest *m, struct dss_err *err)
{
	const cJSON *splits = cJSON_GetObjectItemCaseSensitive(m->root, "splits"), *s;
	size_t i = 0;

	if (!cJSON_IsObject(splits) || cJSON_GetArraySize(splits) == 0)
		return dss_err_set(err, "key 'splits' must be a non-empty object");
	m->nsplits = (size_t)cJSON_GetArraySize(splits);
	if ((m->splits = calloc(m->nsplits, sizeof *m->splits)) == NULL)
		return dss_err_errno(err, ENOMEM, "splits");
	cJSON_ArrayForEach(s, splits) {
		struct dss_manifest_split *sp = &m->splits[i++];
		const cJSON *list = cJSON_GetObjectItemCaseSensitive(s, "sources");
		const cJSON *perm = cJSON_GetObjectItemCaseSensitive(s, "permutation");
		const cJSON *it;
		long long seed = 0;
		int present;
		size_t k = 0;

		sp->name = s->string;
		sp->count = -1;
		if (!cJSON_IsObject(s))
			return dss_err_set(err, "split '%s' is not an object", s->string);
		if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0)
			return dss_err_set(err, "split '%s': 'sources' must be a non-empty array",
			    s->string);
		sp->nsources = (size_t)cJSON_GetArraySize(list);
		if ((sp->sources = calloc(sp->nsources, sizeof *sp->sources)) == NULL)
			return dss_err_errno(err, ENOMEM, "splits");
		cJSON_ArrayForEach(it, list) {
			if (!cJSON_IsString(it))
				return dss_err_set(err, "split '%s': 'sources' must hold strings",
				    s->string);
			if ((sp->sources[k] = find_source(m, it->valuestring)) == NULL)
				return dss_err_set(err, "split '%s' names unknown source '%s'",
				    s->string, it->valuestring);
			k++;
		}
		if (get_int(s, "count", &sp->count, &present) < 0)
			return dss_err_set(err, "split '%s': 'count' is not a non-negative integer",
			    s->string);
		if (perm == NULL)
			continue;
		if (!cJSON_IsObject(perm))
			return dss_err_set(err, "split '%s': 'permutation' is not an object",
			    s->string);
		sp->permuted = 1;
		if (get_int(perm, "seed", &seed, &present) < 0 || seed > 0xffffffffLL)
			return dss_err_set(err, "split '%s': permutation 'seed' is not an "
			    "integer in [0, 2^32)", s->string);
		sp->seed = (unsigned long)seed;
		if (get_int(perm, "start", &sp->start, &present) < 0 || !present ||
		    get_int(perm, "end", &sp->end, &present) < 0 || !present ||
		    sp->end < sp->start)
			return dss_err_set(err, "split '%s': permutation needs integers "
			    "'start' <= 'end'", s->string);
		for (k = 0; k < sp->nsources; k++)
			if (sp->sources[k]->format == DSS_FORMAT_CSV)
				return dss_err_set(err, "split '%s': a permutation needs "
				    "jsonl or json-array sources", s->string);
	}
	return 0;
}

static int
parse_fields(struct dss_manifest *m, struct dss_err *err)
{
	const cJSON *fields = cJSON_GetObjectItemCaseSensitive(m->root, "fields"), *f;
	size_t i = 0;

	if (!cJSON_IsObject(fields))
		return dss_err_set(err, "key 'fields' must be an object");
	m->nfields = (size_t)cJSON_GetArraySize(fields);
	if (m->nfields && (m->fields = calloc(m->nfields, sizeof *m->fields)) == NULL)
		return dss_err_errno(err, ENOMEM, "fields");
	cJSON_ArrayForEach(f, fields) {
		struct dss_manifest_field *fd = &m->fields[i++];
		const cJSON *it;
		size_t k = 0;

		fd->name = f->string;
		if (cJSON_IsString(f)) {
			fd->npaths = 1;
			fd->list = strstr(f->valuestring, "[]") != NULL;
		} else if (cJSON_IsArray(f) && cJSON_GetArraySize(f) > 0) {
			fd->npaths = (size_t)cJSON_GetArraySize(f);
			fd->list = 1;
		} else {
			return dss_err_set(err, "field '%s' must be a path or an array of paths",
			    f->string);
		}
		if ((fd->paths = calloc(fd->npaths, sizeof *fd->paths)) == NULL)
			return dss_err_errno(err, ENOMEM, "fields");
		if (cJSON_IsString(f)) {
			fd->paths[0] = f->valuestring;
		} else {
			cJSON_ArrayForEach(it, f) {
				if (!cJSON_IsString(it) || strstr(it->valuestring, "[]"))
					return dss_err_set(err, "field '%s': each path in the "
					    "array must be a string without '[]'", f->string);
				fd->paths[k++] = it->valuestring;
			}
		}
		for (k = 0; k < fd->npaths; k++)
			if (*fd->paths[k] == '\0')
				return dss_err_set(err, "field '%s' has an empty path", f->string);
	}
	return 0;
}

static int
parse_label(struct dss_manifest *m, struct dss_err *err)
{
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(m->root, "label"), *it;
	const cJSON *choose;
	int bad = 0;

	if (!cJSON_IsObject(l))
		return dss_err_set(err, "key 'label' must be an object");
	m->label_from = opt_str(l, "from", &bad);
	if (bad || m->label_from == NULL || *m->label_from == '\0')
		return dss_err_set(err, "label: 'from' must be a path");
	m->label_map = cJSON_GetObjectItemCaseSensitive(l, "map");
	if (m->label_map != NULL) {
		if (!cJSON_IsObject(m->label_map))
			return dss_err_set(err, "label: 'map' must be an object");
		cJSON_ArrayForEach(it, m->label_map)
			if (!cJSON_IsString(it))
				return dss_err_set(err, "label: map value for '%s' is not a string",
				    it->string);
	}
	choose = cJSON_GetObjectItemCaseSensitive(l, "choose");
	if (choose != NULL) {
		if (!cJSON_IsObject(choose))
			return dss_err_set(err, "label: 'choose' must be an object");
		m->choose_keys = opt_str(choose, "keys", &bad);
		m->choose_values = opt_str(choose, "values", &bad);
		if (bad || m->choose_keys == NULL || m->choose_values == NULL)
			return dss_err_set(err, "label: 'choose' needs 'keys' and 'values' paths");
		if (m->label_map != NULL)
			return dss_err_set(err, "label: 'map' and 'choose' exclude each other");
	}
	return 0;
}

static int
add_piece(struct dss_manifest *m, const struct dss_manifest_piece *p, size_t *cap,
    struct dss_err *err)
{
	if (m->npieces == *cap) {
		size_t n = *cap ? *cap * 2 : 8;
		struct dss_manifest_piece *np = realloc(m->pieces, n * sizeof *np);

		if (np == NULL)
			return dss_err_errno(err, ENOMEM, "input");
		m->pieces = np;
		*cap = n;
	}
	m->pieces[m->npieces++] = *p;
	return 0;
}

static int
parse_input(struct dss_manifest *m, struct dss_err *err)
{
	const cJSON *in = cJSON_GetObjectItemCaseSensitive(m->root, "input");
	const char *s, *lit;
	size_t cap = 0;

	if (!cJSON_IsString(in))
		return dss_err_set(err, "key 'input' must be a template string");
	s = lit = in->valuestring;
	while (*s) {
		struct dss_manifest_piece p = { NULL, 0, 0, NULL, 0 };
		const char *end, *colon;
		int idx;

		if ((*s == '{' && s[1] == '{') || (*s == '}' && s[1] == '}')) {
			p.text = lit;
			p.len = (size_t)(s - lit) + 1;
			if (add_piece(m, &p, &cap, err) < 0)
				return -1;
			s += 2;
			lit = s;
			continue;
		}
		if (*s == '}')
			return dss_err_set(err, "input: unmatched '}'");
		if (*s != '{') {
			s++;
			continue;
		}
		if (s > lit) {
			p.text = lit;
			p.len = (size_t)(s - lit);
			if (add_piece(m, &p, &cap, err) < 0)
				return -1;
			p.text = NULL;
			p.len = 0;
		}
		if ((end = strchr(s, '}')) == NULL)
			return dss_err_set(err, "input: unmatched '{'");
		colon = memchr(s, ':', (size_t)(end - s));
		{
			char name[128];
			size_t n = (size_t)((colon ? colon : end) - s - 1);

			if (n == 0 || n >= sizeof name)
				return dss_err_set(err, "input: empty or overlong field name");
			memcpy(name, s + 1, n);
			name[n] = '\0';
			if ((idx = dss_manifest_field(m, name)) < 0)
				return dss_err_set(err, "input: unknown field '%s'", name);
			p.field = (size_t)idx;
			if (colon != NULL) {
				p.fmt = colon + 1;
				p.fmtlen = (size_t)(end - colon - 1);
			}
			if (m->fields[idx].list && p.fmt == NULL)
				return dss_err_set(err, "input: list field '%s' needs an item "
				    "format, as in {%s:%%s}", name, name);
			if (!m->fields[idx].list && p.fmt != NULL)
				return dss_err_set(err, "input: field '%s' is not a list and "
				    "takes no item format", name);
		}
		if (add_piece(m, &p, &cap, err) < 0)
			return -1;
		s = lit = end + 1;
	}
	if (s > lit) {
		struct dss_manifest_piece p = { lit, (size_t)(s - lit), 0, NULL, 0 };

		if (add_piece(m, &p, &cap, err) < 0)
			return -1;
	}
	return 0;
}

/* A whole number in [min, max] at key of o; -1 when it is another value. */
static int
get_long(const cJSON *o, const char *key, long min, long max, long *out,
    int *present)
{
	long long v = 0;

	if (get_int(o, key, &v, present) < 0 || (*present && (v < min || v > max)))
		return -1;
	if (*present)
		*out = (long)v;
	return 0;
}

/* The label set of the index columns: the label map's values, each once. */
static int
release_labels(struct dss_manifest *m, struct dss_err *err)
{
	struct dss_manifest_release *r = &m->release;
	const cJSON *it;
	size_t i;

	if (m->label_map == NULL)
		return dss_err_set(err, "key 'release.columns': a label index needs "
		    "a label map");
	r->labels = calloc((size_t)cJSON_GetArraySize(m->label_map) + 1,
	    sizeof *r->labels);
	if (r->labels == NULL)
		return dss_err_errno(err, ENOMEM, "release");
	cJSON_ArrayForEach(it, m->label_map) {
		for (i = 0; i < r->nlabels; i++)
			if (strcmp(r->labels[i], it->valuestring) == 0)
				break;
		if (i == r->nlabels)
			r->labels[r->nlabels++] = it->valuestring;
	}
	return 0;
}

static int
parse_column(struct dss_manifest *m, const cJSON *c, size_t i,
    struct dss_manifest_column *col, struct dss_err *err)
{
	const char *field, *label;
	const cJSON *input = cJSON_GetObjectItemCaseSensitive(c, "input");
	const cJSON *cval = cJSON_GetObjectItemCaseSensitive(c, "const");
	const cJSON *req = cJSON_GetObjectItemCaseSensitive(c, "required");
	const cJSON *write = cJSON_GetObjectItemCaseSensitive(c, "write");
	int bad = 0, f, has_item, has_count;

	if (!cJSON_IsObject(c))
		return dss_err_set(err, "key 'release.columns[%zu]' is not an object", i);
	col->name = opt_str(c, "name", &bad);
	field = opt_str(c, "field", &bad);
	label = opt_str(c, "label", &bad);
	col->keys = opt_str(c, "keys", &bad);
	if (bad || col->name == NULL || col->name[0] == '\0' ||
	    strpbrk(col->name, "\"\\") != NULL)
		return dss_err_set(err, "key 'release.columns[%zu]' needs a 'name' "
		    "without quotes or backslashes", i);
	if ((req != NULL && !cJSON_IsBool(req)) ||
	    (write != NULL && !cJSON_IsBool(write)))
		return dss_err_set(err, "key 'release.columns[%zu]': 'required' and "
		    "'write' are true or false", i);
	col->write = write == NULL || cJSON_IsTrue(write);
	if (get_long(c, "item", 0, 999, &col->item, &has_item) < 0 ||
	    get_long(c, "count", 1, 999, &col->count, &has_count) < 0)
		return dss_err_set(err, "key 'release.columns[%zu]': 'item' and "
		    "'count' are whole numbers below 1000 ('count' from 1)", i);
	if ((field != NULL) + (label != NULL) + (input != NULL) + (cval != NULL) != 1)
		return dss_err_set(err, "key 'release.columns[%zu]' needs one of "
		    "'field', 'label', 'input' and 'const'", i);
	if (field != NULL) {
		if ((f = dss_manifest_field(m, field)) < 0)
			return dss_err_set(err, "key 'release.columns[%zu]' names "
			    "unknown field '%s'", i, field);
		col->field = (size_t)f;
		col->kind = has_count ? DSS_COLUMN_LIST : has_item ?
		    DSS_COLUMN_ITEM : DSS_COLUMN_FIELD;
		col->required = cJSON_IsTrue(req);
		if (has_count && has_item)
			return dss_err_set(err, "key 'release.columns[%zu]': 'item' "
			    "and 'count' exclude each other", i);
		if (col->keys != NULL && (!has_count ||
		    strlen(col->keys) != (size_t)col->count))
			return dss_err_set(err, "key 'release.columns[%zu]': 'keys' "
			    "needs 'count' and one character per item", i);
		return 0;
	}
	if (label != NULL && strcmp(label, "index") == 0) {
		col->kind = DSS_COLUMN_LABEL_INDEX;
		return m->release.labels == NULL ? release_labels(m, err) : 0;
	}
	if (label != NULL && strcmp(label, "text") == 0) {
		col->kind = DSS_COLUMN_LABEL_TEXT;
		return 0;
	}
	if (label != NULL)
		return dss_err_set(err, "key 'release.columns[%zu]': 'label' is "
		    "'%s', not index or text", i, label);
	if (input != NULL) {
		if (!cJSON_IsTrue(input))
			return dss_err_set(err, "key 'release.columns[%zu]': 'input' "
			    "must be true", i);
		col->kind = DSS_COLUMN_INPUT;
		return 0;
	}
	if (!cJSON_IsString(cval))
		return dss_err_set(err, "key 'release.columns[%zu]': 'const' is not "
		    "a string", i);
	col->kind = DSS_COLUMN_CONST;
	col->value = cval->valuestring;
	return 0;
}

/*
 * "problems": {"file": NAME, "keys": [PATH, ...]}: the file of upstream
 * rows a release holds beside the examples, and the keys of its rows in
 * order, each the path of a field.
 */
static int
parse_problems(struct dss_manifest *m, const cJSON *p, struct dss_err *err)
{
	struct dss_manifest_release *r = &m->release;
	const cJSON *keys = cJSON_GetObjectItemCaseSensitive(p, "keys"), *it;
	int bad = 0;
	size_t f;

	if (p == NULL)
		return 0;
	if (!cJSON_IsObject(p) || (r->problems = opt_str(p, "file", &bad)) == NULL ||
	    bad || strchr(r->problems, '/') != NULL || !cJSON_IsArray(keys) ||
	    cJSON_GetArraySize(keys) == 0)
		return dss_err_set(err, "key 'release.problems' must be an object of "
		    "a 'file' name and a non-empty array of 'keys'");
	r->keys = calloc((size_t)cJSON_GetArraySize(keys), sizeof *r->keys);
	r->key_fields = calloc((size_t)cJSON_GetArraySize(keys),
	    sizeof *r->key_fields);
	if (r->keys == NULL || r->key_fields == NULL)
		return dss_err_errno(err, ENOMEM, "release");
	cJSON_ArrayForEach(it, keys) {
		if (!cJSON_IsString(it))
			return dss_err_set(err, "key 'release.problems.keys' must hold "
			    "strings");
		for (f = 0; f < m->nfields; f++)
			if (!m->fields[f].list && m->fields[f].npaths == 1 &&
			    strcmp(m->fields[f].paths[0], it->valuestring) == 0)
				break;
		if (f == m->nfields)
			return dss_err_set(err, "key 'release.problems.keys': no field "
			    "has the path '%s'", it->valuestring);
		r->keys[r->nkeys] = it->valuestring;
		r->key_fields[r->nkeys++] = f;
	}
	return 0;
}

static int
parse_release(struct dss_manifest *m, struct dss_err *err)
{
	static const char *const split_names[3] = { "train", "valid", "test" };
	struct dss_manifest_release *r = &m->release;
	const cJSON *rel = cJSON_GetObjectItemCaseSensitive(m->root, "release");
	const cJSON *batches, *at, *cols, *it;
	int bad = 0, present;
	size_t i = 0;

	if (rel == NULL)
		return 0;
	if (!cJSON_IsObject(rel))
		return dss_err_set(err, "key 'release' is not an object");
	r->present = 1;
	if (get_long(rel, "order", 0, 9999, &r->order, &present) < 0 || !present)
		return dss_err_set(err, "key 'release.order' must be a whole number "
		    "from 0 to 9999");
	if (get_long(rel, "batch", 1, 100000000, &r->batch, &present) < 0 || !present)
		return dss_err_set(err, "key 'release.batch' must be a whole number "
		    "from 1 to 100000000");
	batches = cJSON_GetObjectItemCaseSensitive(rel, "batches");
	if (!cJSON_IsObject(batches))
		return dss_err_set(err, "key 'release.batches' must be an object of "
		    "train, valid and test");
	cJSON_ArrayForEach(it, batches) {
		for (i = 0; i < 3; i++)
			if (strcmp(it->string, split_names[i]) == 0)
				break;
		if (i == 3 || get_long(batches, it->string, 0, 100000,
		    &r->batches[i], &present) < 0)
			return dss_err_set(err, "key 'release.batches.%s' must be train, "
			    "valid or test, a whole number from 0 to 100000", it->string);
	}
	r->cot = opt_str(rel, "cot", &bad);
	r->blank = opt_str(rel, "blank", &bad);
	if (bad || r->cot == NULL || r->blank == NULL)
		return dss_err_set(err, "key 'release': 'cot' and 'blank' must be "
		    "strings");
	if (parse_problems(m, cJSON_GetObjectItemCaseSensitive(rel, "problems"),
	    err) < 0)
		return -1;
	at = cJSON_GetObjectItemCaseSensitive(rel, "splits_at");
	if (!cJSON_IsArray(at) || cJSON_GetArraySize(at) >= DSS_MANIFEST_SPLITS_AT)
		return dss_err_set(err, "key 'release.splits_at' must be an array of "
		    "at most %d strings", DSS_MANIFEST_SPLITS_AT - 1);
	i = 0;
	cJSON_ArrayForEach(it, at) {
		if (!cJSON_IsString(it))
			return dss_err_set(err, "key 'release.splits_at' must be an "
			    "array of at most %d strings", DSS_MANIFEST_SPLITS_AT - 1);
		r->splits_at[i++] = it->valuestring;
	}
	cols = cJSON_GetObjectItemCaseSensitive(rel, "columns");
	if (!cJSON_IsArray(cols) || cJSON_GetArraySize(cols) == 0 ||
	    cJSON_GetArraySize(cols) > DSS_MANIFEST_COLUMNS)
		return dss_err_set(err, "key 'release.columns' must be an array of "
		    "1 to %d columns", DSS_MANIFEST_COLUMNS);
	r->list = -1;
	r->ncolumns = (size_t)cJSON_GetArraySize(cols);
	if ((r->columns = calloc(r->ncolumns, sizeof *r->columns)) == NULL)
		return dss_err_errno(err, ENOMEM, "release");
	i = 0;
	cJSON_ArrayForEach(it, cols) {
		if (parse_column(m, it, i, &r->columns[i], err) < 0)
			return -1;
		if (r->columns[i].kind == DSS_COLUMN_LIST) {
			if (r->list >= 0)
				return dss_err_set(err, "key 'release.columns[%zu]': "
				    "one column at most has a 'count'", i);
			r->list = (int)i;
		}
		i++;
	}
	return 0;
}

/*
 * Appends what the list item format at *f gives for item k, moving *f
 * past a %-escape: %a and %A the item's letter, %n its number, %s its
 * value, anything else itself.
 */
static int
put_item(struct dss_buf *out, const char **f, const char *e, size_t k,
    dss_manifest_value_fn *value, void *arg, size_t field,
    dss_manifest_text_fn *lit)
{
	char num[24];

	if (**f != '%' || *f + 1 == e)
		return lit(out, *f, 1);
	switch (*++*f) {
	case 'a':
	case 'A':
		num[0] = k < 26 ? (char)(**f + (int)k) : '?';
		return dss_buf_add(out, num, 1);
	case 'n':
		snprintf(num, sizeof num, "%zu", k + 1);
		return dss_buf_adds(out, num);
	case 's':
		return value(arg, field, k, out);
	default:
		return lit(out, *f, 1);
	}
}

int
dss_manifest_render(const struct dss_manifest *m, struct dss_buf *out,
    dss_manifest_values_fn *count, dss_manifest_value_fn *value, void *arg,
    dss_manifest_text_fn *lit, size_t *missing)
{
	size_t i, k, n;

	for (i = 0; i < m->npieces; i++) {
		const struct dss_manifest_piece *p = &m->pieces[i];

		if (p->text != NULL) {
			if (lit(out, p->text, p->len) < 0)
				return -1;
			continue;
		}
		if ((n = count(arg, p->field)) == (size_t)-1)
			return -1;
		if (!m->fields[p->field].list) {
			if (n == 0) {
				*missing = p->field;
				return -2;
			}
			if (value(arg, p->field, 0, out) < 0)
				return -1;
			continue;
		}
		for (k = 0; k < n; k++) {
			const char *f = p->fmt, *e = p->fmt + p->fmtlen;

			for (; f < e; f++)
				if (put_item(out, &f, e, k, value, arg, p->field,
				    lit) < 0)
					return -1;
		}
	}
	return 0;
}

struct dss_manifest *
dss_manifest_parse(const char *text, const char *path, struct dss_err *err)
{
	struct dss_manifest *m = calloc(1, sizeof *m);
	const char *fmt;
	size_t len;
	enum dss_format deffmt = DSS_FORMAT_CSV;
	int bad = 0;

	if (m == NULL || (m->path = strdup(path)) == NULL) {
		free(m);
		dss_err_errno(err, ENOMEM, "'%s'", path);
		return NULL;
	}
	len = strlen(text);
	if (dss_jscan_document(&text, &len, err) < 0)
		goto out;
	if ((m->root = cJSON_ParseWithLength(text, len)) == NULL) {
		dss_err_set(err, "out of memory");
		goto out;
	}
	if (!cJSON_IsObject(m->root)) {
		dss_err_set(err, "not a JSON object");
		goto out;
	}
	m->name = opt_str(m->root, "name", &bad);
	m->description = opt_str(m->root, "description", &bad);
	fmt = opt_str(m->root, "format", &bad);
	if (bad || m->name == NULL || !valid_name(m->name)) {
		dss_err_set(err, "key 'name' must be a name of letters, digits, '_', '-' and '.'");
		goto out;
	}
	if (fmt != NULL && parse_format(fmt, &deffmt) < 0) {
		dss_err_set(err, "unknown format '%s' (csv, jsonl or json-array)", fmt);
		goto out;
	}
	if (parse_sources(m, deffmt, fmt != NULL, err) < 0 ||
	    parse_splits(m, err) < 0 || parse_fields(m, err) < 0 ||
	    parse_label(m, err) < 0 || parse_input(m, err) < 0 ||
	    parse_release(m, err) < 0)
		goto out;
	return m;
out:
	dss_err_prefix(err, "'%s'", path);
	dss_manifest_free(m);
	return NULL;
}

void
dss_manifest_free(struct dss_manifest *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; m->splits != NULL && i < m->nsplits; i++)
		free(m->splits[i].sources);
	for (i = 0; m->fields != NULL && i < m->nfields; i++)
		free(m->fields[i].paths);
	free(m->splits);
	free(m->fields);
	free(m->sources);
	free(m->pieces);
	free(m->release.columns);
	free(m->release.labels);
	free(m->release.keys);
	free(m->release.key_fields);
	cJSON_Delete(m->root);
	free(m->path);
	free(m);
}

const cJSON *
dss_manifest_json(const struct dss_manifest *m)
{
	return m->root;
}

const struct dss_manifest_split *
dss_manifest_split(const struct dss_manifest *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nsplits; i++)
		if (strcmp(m->splits[i].name, name) == 0)
			return &m->splits[i];
	return NULL;
}

int
dss_manifest_field(const struct dss_manifest *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nfields; i++)
		if (strcmp(m->fields[i].name, name) == 0)
			return (int)i;
	return -1;
}
