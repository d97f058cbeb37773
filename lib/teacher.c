/* SPDX-License-Identifier: MIT */
/*
 * What all teachers share: opening one by its SPEC, the canonical JSON
 * and request key, the input taken from a prompt record, and error-body
 * messages with the API key masked.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "teacher_impl.h"

int
dss_teacher_loopback(const char *url)
{
	const char *h = strstr(url, "://"), *at, *p;
	size_t n;
	int dots = 0, digits = 0;

	h = h ? h + 3 : url;
	n = strcspn(h, "/?#");
	/* userinfo@ is not the host */
	for (at = h; (p = memchr(at, '@', n - (size_t)(at - h))) != NULL; at = p + 1)
		;
	n -= (size_t)(at - h);
	h = at;
	if (n >= 5 && strncmp(h, "[::1]", 5) == 0)
		return n == 5 || h[5] == ':';
	n = strcspn(h, ":/?#");
	if (n == 9 && strncasecmp(h, "localhost", 9) == 0)
		return 1;
	/* a dotted quad 127.a.b.c, nothing else */
	if (n < 7 || strncmp(h, "127.", 4) != 0)
		return 0;
	for (p = h + 4; p < h + n; p++) {
		if (*p == '.') {
			if (digits == 0)
				return 0;
			dots++;
			digits = 0;
		} else if (*p >= '0' && *p <= '9' && digits < 3) {
			digits++;
		} else {
			return 0;
		}
	}
	return dots == 2 && digits > 0;
}

int
dss_teacher_open(struct dss_teacher *t, const char *spec,
    const char *base_url, const char *key_env, struct dss_err *err)
{
	const char *colon = strchr(spec, ':'), *key;
	size_t plen, n;

	memset(t, 0, sizeof(*t));
	if (colon == NULL || colon[1] == '\0') {
		dss_err_set(err, "teacher '%s' is not PROVIDER:MODEL", spec);
		return dss_err_kind(err, DSS_ERR_USAGE);
	}
	plen = (size_t)(colon - spec);
	if ((t->ops = dss_teacher_provider(spec, plen)) == NULL) {
		dss_err_set(err, "teacher '%s': unknown provider '%.*s'", spec,
		    (int)plen, spec);
		return dss_err_kind(err, DSS_ERR_USAGE);
	}
	if ((t->spec = strdup(spec)) == NULL || (t->model = strdup(colon + 1)) == NULL)
		goto nomem;
	if (t->ops->open != NULL) {
		if (t->ops->open(t, err) < 0)
			goto fail;
		return 0;
	}
	if ((t->base_url = strdup(base_url ? base_url : t->ops->default_base)) == NULL)
		goto nomem;
	n = strlen(t->base_url);
	while (n > 0 && t->base_url[n - 1] == '/')
		t->base_url[--n] = '\0';
	if (strncmp(t->base_url, "http://", 7) != 0 &&
	    strncmp(t->base_url, "https://", 8) != 0) {
		dss_err_set(err, "base URL '%s' is not http:// or https://", t->base_url);
		dss_err_kind(err, DSS_ERR_USAGE);
		goto fail;
	}
	if (key_env == NULL)
		key_env = t->ops->key_env;
	key = getenv(key_env);
	if (key != NULL && *key != '\0') {
		if ((t->key = strdup(key)) == NULL)
			goto nomem;
	} else if (!dss_teacher_loopback(t->base_url)) {
		dss_err_set(err, "environment variable '%s' is not set: an API "
		    "key is needed for '%s' (only a loopback base URL may go "
		    "without one)", key_env, t->base_url);
		goto fail;
	}
	return 0;
nomem:
	dss_err_set(err, "out of memory");
fail:
	dss_teacher_close(t);
	return -1;
}

void
dss_teacher_close(struct dss_teacher *t)
{
	if (t->ops != NULL && t->ops->close != NULL)
		t->ops->close(t);
	free(t->spec);
	free(t->model);
	free(t->base_url);
	if (t->key != NULL) {
		memset(t->key, 0, strlen(t->key));
		free(t->key);
	}
	memset(t, 0, sizeof(*t));
}

cJSON *
dss_teacher_input(const struct dss_teacher *t, const cJSON *record,
    struct dss_err *err)
{
	const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(record, "messages");
	const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(record, "prompt");
	const cJSON *m;
	cJSON *out;

	if (msgs != NULL && !cJSON_IsArray(msgs)) {
		dss_err_set(err, "field 'messages' is not an array");
		return NULL;
	}
	if (prompt != NULL && !cJSON_IsString(prompt)) {
		dss_err_set(err, "field 'prompt' is not a string");
		return NULL;
	}
	cJSON_ArrayForEach(m, msgs) {
		const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");

		if (!cJSON_IsObject(m) || !cJSON_IsString(role) ||
		    cJSON_GetObjectItemCaseSensitive(m, "content") == NULL) {
			dss_err_set(err, "field 'messages' holds an entry without "
			    "'role' and 'content'");
			return NULL;
		}
	}
	if (t->ops->answer != NULL) {
		/* replay answers by example id, whatever the prompt says */
		if (dss_json_str(record, "id", err) == NULL)
			return NULL;
		return cJSON_CreateString(dss_json_str_opt(record, "id"));
	}
	if (t->ops->chat) {
		cJSON *one;

		if (msgs != NULL && cJSON_GetArraySize(msgs) > 0)
			return cJSON_Duplicate(msgs, 1);
		if (prompt == NULL) {
			dss_err_set(err, "field 'messages' is missing");
			return NULL;
		}
		if ((out = cJSON_CreateArray()) == NULL ||
		    (one = cJSON_CreateObject()) == NULL) {
			cJSON_Delete(out);
			dss_err_set(err, "out of memory");
			return NULL;
		}
		cJSON_AddItemToArray(out, one);		/* takes one */
		cJSON_AddStringToObject(one, "role", "user");
		cJSON_AddStringToObject(one, "content", prompt->valuestring);
		return out;
	}
	if (prompt != NULL)
		return cJSON_CreateString(prompt->valuestring);
	if (msgs != NULL && cJSON_GetArraySize(msgs) > 0) {
		struct dss_buf b = DSS_BUF_INIT;

		cJSON_ArrayForEach(m, msgs) {
			const cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "content");

			if (!cJSON_IsString(c))
				continue;
			if (b.len)
				dss_buf_adds(&b, "\n\n");
			dss_buf_adds(&b, c->valuestring);
		}
		out = cJSON_CreateString(b.data);
		dss_buf_free(&b);
		return out;
	}
	dss_err_set(err, "field 'prompt' is missing");
	return NULL;
}

static int
add_string(struct dss_buf *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	if (dss_buf_addch(out, '"') < 0)
		return -1;
	for (; *p; p++) {
		const char *esc = NULL;
		char u[7];

		switch (*p) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			if (*p < 0x20) {
				memcpy(u, "\\u00", 4);
				u[4] = hex[*p >> 4];
				u[5] = hex[*p & 15];
				u[6] = '\0';
				esc = u;
			}
		}
		if (esc ? dss_buf_adds(out, esc) < 0 : dss_buf_addch(out, *p) < 0)
			return -1;
	}
	return dss_buf_addch(out, '"');
}

int
dss_teacher_quote(struct dss_buf *out, const char *s)
{
	return add_string(out, s);
}

/* The shortest of %.15g, %.16g, %.17g that reads back as d. */
static int
add_number(struct dss_buf *out, double d)
{
	char s[40];
	int prec;

	if (d > -1e15 && d < 1e15 && d == (double)(long long)d)
		return dss_buf_addf(out, "%lld", (long long)d);
	for (prec = 15; prec < 17; prec++) {
		snprintf(s, sizeof(s), "%.*g", prec, d);
		if (strtod(s, NULL) == d)
			break;
	}
	snprintf(s, sizeof(s), "%.*g", prec, d);
	return dss_buf_adds(out, s);
}

static int
cmp_keys(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	return strcmp(x->string, y->string);
}

int
dss_teacher_canonical(const cJSON *v, struct dss_buf *out)
{
	const cJSON *c;
	int i, n, r = 0;

	if (cJSON_IsString(v))
		return add_string(out, v->valuestring);
	if (cJSON_IsNumber(v))
		return add_number(out, v->valuedouble);
	if (cJSON_IsTrue(v))
		return dss_buf_adds(out, "true");
	if (cJSON_IsFalse(v))
		return dss_buf_adds(out, "false");
	if (cJSON_IsArray(v)) {
		if (dss_buf_addch(out, '[') < 0)
			return -1;
		i = 0;
		cJSON_ArrayForEach(c, v) {
			if ((i++ && dss_buf_addch(out, ',') < 0) ||
			    dss_teacher_canonical(c, out) < 0)
				return -1;
		}
		return dss_buf_addch(out, ']');
	}
	if (cJSON_IsObject(v)) {
		const cJSON **kids;

		n = cJSON_GetArraySize(v);
		if ((kids = malloc((n ? n : 1) * sizeof(*kids))) == NULL)
			return -1;
		i = 0;
		cJSON_ArrayForEach(c, v)
			kids[i++] = c;
		qsort(kids, n, sizeof(*kids), cmp_keys);
		r = dss_buf_addch(out, '{');
		for (i = 0; i < n && r == 0; i++) {
			if ((i && dss_buf_addch(out, ',') < 0) ||
			    add_string(out, kids[i]->string) < 0 ||
			    dss_buf_addch(out, ':') < 0 ||
			    dss_teacher_canonical(kids[i], out) < 0)
				r = -1;
		}
		free(kids);
		return r < 0 ? -1 : dss_buf_addch(out, '}');
	}
	return dss_buf_adds(out, "null");
}

int
dss_teacher_key(const struct dss_teacher *t, const cJSON *input,
    const struct dss_teacher_params *p, int sample, char out[DSS_SHA256_HEX])
{
	struct dss_buf b = DSS_BUF_INIT;
	long max_tokens = p->max_tokens;
	int i, r = -1;

	if (max_tokens == 0)
		max_tokens = t->ops->default_max_tokens;
	/* keys in sorted order, so this is canonical JSON */
	if (dss_buf_adds(&b, "{\"input\":") < 0 ||
	    dss_teacher_canonical(input, &b) < 0 ||
	    dss_buf_adds(&b, ",\"model\":") < 0 ||
	    add_string(&b, t->ops->answer ? t->source : t->model) < 0 ||
	    dss_buf_adds(&b, ",\"params\":{") < 0)
		goto out;
	if (max_tokens > 0 && dss_buf_addf(&b, "\"max_tokens\":%ld", max_tokens) < 0)
		goto out;
	if (p->nstop > 0) {
		if (dss_buf_adds(&b, max_tokens > 0 ? ",\"stop\":[" : "\"stop\":[") < 0)
			goto out;
		for (i = 0; i < p->nstop; i++)
			if ((i && dss_buf_addch(&b, ',') < 0) ||
			    add_string(&b, p->stop[i]) < 0)
				goto out;
		if (dss_buf_addch(&b, ']') < 0)
			goto out;
	}
	if (p->temperature >= 0 && (dss_buf_addf(&b, "%s\"temperature\":",
	    max_tokens > 0 || p->nstop > 0 ? "," : "") < 0 ||
	    add_number(&b, p->temperature) < 0))
		goto out;
	if (dss_buf_addf(&b, "},\"provider\":") < 0 ||
	    add_string(&b, t->ops->provider) < 0 ||
	    dss_buf_addf(&b, ",\"sample\":%d}", sample) < 0)
		goto out;
	dss_sha256_hex(b.data, b.len, out);
	r = 0;
out:
	dss_buf_free(&b);
	return r;
}

/*
 * Finds in s[0..len) every run of DSS_TEACHER_MASK_RUN or more characters
 * (the whole key when it is shorter) that is also a run of t's key, and
 * either overwrites it with '*' (hit NULL) or sets hit[i] to 1 for each
 * byte of it.  Returns the number of bytes found, or (size_t)-1 when the
 * key cannot be indexed (out of memory).
 */
static size_t
find_key(const struct dss_teacher *t, char *s, size_t len, unsigned char *hit)
{
	const unsigned char *key;
	size_t k, m, i, j, run, masked = 0, first[256], *next;

	if (t == NULL || t->key == NULL || (k = strlen(t->key)) == 0)
		return 0;
	key = (const unsigned char *)t->key;
	m = k < DSS_TEACHER_MASK_RUN ? k : DSS_TEACHER_MASK_RUN;
	if ((next = malloc(k * sizeof(*next))) == NULL)
		return (size_t)-1;
	/* the key positions where a run of m can start, by their byte */
	for (i = 0; i < 256; i++)
		first[i] = k;
	for (j = k - m + 1; j-- > 0;) {
		next[j] = first[key[j]];
		first[key[j]] = j;
	}
	for (i = 0; i + m <= len; i++) {
		/* the longest run of key characters starting at s + i */
		run = 0;
		for (j = first[(unsigned char)s[i]]; j < k; j = next[j]) {
			size_t n = 1;

			while (j + n < k && i + n < len && key[j + n] == (unsigned char)s[i + n])
				n++;
			if (n > run)
				run = n;
		}
		if (run >= m) {
			if (hit != NULL)
				memset(hit + i, 1, run);
			else
				memset(s + i, '*', run);
			masked += run;
			i += run - 1;
		}
	}
	free(next);
	return masked;
}

size_t
dss_teacher_mask(const struct dss_teacher *t, char *s, size_t len)
{
	size_t n = find_key(t, s, len, NULL);

	if (n == (size_t)-1) {
		/* cannot index the key: hide everything rather than risk it */
		memset(s, '*', len);
		return len;
	}
	return n;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The code unit of the \uXXXX escape at p (6 bytes there), or -1. */
static long
escape_unit(const char *p)
{
	long u = 0;
	int i, h;

	if (p[0] != '\\' || p[1] != 'u')
		return -1;
	for (i = 2; i < 6; i++) {
		if ((h = hexval((unsigned char)p[i])) < 0)
			return -1;
		u = u * 16 + h;
	}
	return u;
}

/*
 * Decodes the string literal body s[0..n) (between its quotes) into dec,
 * with from[i] the offset in s of the escape (or byte) that decoded byte
 * i came from.  Lenient: it reads any bytes, decoding what it can.
 * Returns the decoded length.
 */
static size_t
decode_literal(const char *s, size_t n, unsigned char *dec, uint32_t *from)
{
	size_t i = 0, d = 0;

	while (i < n) {
		unsigned char b[4];
		size_t w = 1, nb = 1, k;
		long u;

		if (s[i] != '\\' || i + 1 >= n) {
			b[0] = (unsigned char)s[i];
		} else if (s[i + 1] == 'u' && i + 6 <= n &&
		    (u = escape_unit(s + i)) >= 0) {
			long lo;

			w = 6;
			if (u >= 0xd800 && u <= 0xdbff && i + 12 <= n &&
			    (lo = escape_unit(s + i + 6)) >= 0xdc00 && lo <= 0xdfff) {
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
				w = 12;
			}
			if (u < 0x80) {
				b[0] = (unsigned char)u;
			} else if (u < 0x800) {
				b[0] = (unsigned char)(0xc0 | u >> 6);
				b[1] = (unsigned char)(0x80 | (u & 0x3f));
				nb = 2;
			} else if (u < 0x10000) {
				b[0] = (unsigned char)(0xe0 | u >> 12);
				b[1] = (unsigned char)(0x80 | ((u >> 6) & 0x3f));
				b[2] = (unsigned char)(0x80 | (u & 0x3f));
				nb = 3;
			} else {
				b[0] = (unsigned char)(0xf0 | u >> 18);
				b[1] = (unsigned char)(0x80 | ((u >> 12) & 0x3f));
				b[2] = (unsigned char)(0x80 | ((u >> 6) & 0x3f));
				b[3] = (unsigned char)(0x80 | (u & 0x3f));
				nb = 4;
			}
		} else {
			w = 2;
			switch (s[i + 1]) {
			case 'b': b[0] = '\b'; break;
			case 'f': b[0] = '\f'; break;
			case 'n': b[0] = '\n'; break;
			case 'r': b[0] = '\r'; break;
			case 't': b[0] = '\t'; break;
			default: b[0] = (unsigned char)s[i + 1]; break;
			}
		}
		for (k = 0; k < nb; k++) {
			dec[d] = b[k];
			from[d++] = (uint32_t)i;
		}
		i += w;
	}
	return d;
}

size_t
dss_teacher_mask_json(const struct dss_teacher *t, char *s, size_t len)
{
	size_t masked = 0, i = 0, cap = 0;
	unsigned char *dec = NULL, *hit = NULL;
	uint32_t *from = NULL;

	/* string literals with escapes first, as they decode, then the rest */
	if (t == NULL || t->key == NULL || memchr(s, '\\', len) == NULL ||
	    len > UINT32_MAX)
		return dss_teacher_mask(t, s, len);
	while (i < len) {
		size_t start, end, n, d, k;
		int esc = 0;

		if (s[i++] != '"')
			continue;
		for (start = end = i; end < len && s[end] != '"'; end++)
			if (s[end] == '\\') {
				esc = 1;
				end++;
			}
		if (end > len)
			end = len;
		i = end + 1;
		if (!esc)
			continue;	/* as raw as decoded: masked already */
		n = end - start;
		if (n > cap) {
			free(dec);
			free(hit);
			free(from);
			dec = malloc(n);
			hit = malloc(n);
			from = malloc(n * sizeof(*from));
			cap = n;
			if (dec == NULL || hit == NULL || from == NULL) {
				/* cannot look inside: hide the whole literal */
				memset(s + start, '*', n);
				masked += n;
				cap = 0;
				continue;
			}
		}
		d = decode_literal(s + start, n, dec, from);
		memset(hit, 0, d);
		if (find_key(t, (char *)dec, d, hit) == (size_t)-1) {
			memset(s + start, '*', n);
			masked += n;
			continue;
		}
		/* every escape that decoded to a masked byte becomes '*'s */
		for (k = 0; k < d; k++) {
			size_t a, b;

			if (!hit[k])
				continue;
			a = from[k];
			for (b = k + 1; b < d && from[b] == from[k]; b++)
				;
			b = b < d ? from[b] : n;
			if (s[start + a] != '*' || b - a > 1) {
				memset(s + start + a, '*', b - a);
				masked += b - a;
			}
		}
	}
	free(dec);
	free(hit);
	free(from);
	return masked + dss_teacher_mask(t, s, len);
}

void
dss_teacher_error_message(const struct dss_teacher *t, const char *body,
    size_t len, char *out, size_t outsz)
{
	cJSON *j = cJSON_ParseWithLength(body, len);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
	const char *src = body;
	size_t n = len, keep, i;
	char *tmp;

	if (outsz == 0)
		goto out;
	out[0] = '\0';
	if (cJSON_IsString(m) || cJSON_IsString(m = e) ||
	    cJSON_IsString(m = cJSON_GetObjectItemCaseSensitive(j, "message"))) {
		src = m->valuestring;
		n = strlen(src);
	}
	/*
	 * Mask before cutting: a run of the key that crosses the cut is
	 * found only in the text beyond it, so mask up to a key's length
	 * past the cut and cut afterwards.
	 */
	keep = outsz - 1;
	if (n > keep + (t && t->key ? strlen(t->key) : 0))
		n = keep + (t && t->key ? strlen(t->key) : 0);
	if ((tmp = malloc(n + 1)) == NULL)
		goto out;
	memcpy(tmp, src, n);
	tmp[n] = '\0';
	dss_teacher_mask(t, tmp, n);
	if (n > keep)
		n = keep;
	for (i = 0; i < n; i++)
		out[i] = (unsigned char)tmp[i] < 0x20 ? ' ' : tmp[i];
	out[n] = '\0';
	memset(tmp, 0, n);
	free(tmp);
out:
	cJSON_Delete(j);
}
