/* SPDX-License-Identifier: MIT */
/* Telling record types apart by their fields, and naming them.  See record.h. */
#include <stdio.h>
#include <string.h>

#include "record.h"

/* The fields that tell types apart, as bits. */
enum {
	F_RATIONALE = 1 << 0,
	F_COMPLETION = 1 << 1,	/* "completion" or "request" */
	F_REASON = 1 << 2,
	F_PROMPT = 1 << 3,	/* "prompt", "messages" or "template" */
	F_INPUT = 1 << 4,
	F_LABEL = 1 << 5
};

static const char *const names[DSS_RECORD_NTYPES] = {
	"example", "prompt", "completion", "triple", "reject", "teach_cache"
};

/* Which step writes each type, and the article of its name. */
static const char *const makers[DSS_RECORD_NTYPES] = {
	"dss-fetch or dss-import", "dss-prompt", "dss-teach or dss-import",
	"dss-filter", "dss-filter --rejects", "dss-teach"
};

/* The bit of the key of len bytes; a switch, as every record costs it. */
#if defined(__GNUC__)
static inline __attribute__((always_inline)) unsigned
#else
static inline unsigned
#endif
mark_of(const char *key, size_t len)
{
#define IS(word) (memcmp(key, word, sizeof(word) - 1) == 0)
	switch (len) {
	case 5:
		return IS("input") ? F_INPUT : IS("label") ? F_LABEL : 0;
	case 6:
		return IS("prompt") ? F_PROMPT : IS("reason") ? F_REASON : 0;
	case 7:
		return IS("request") ? F_COMPLETION : 0;
	case 8:
		return IS("messages") || IS("template") ? F_PROMPT : 0;
	case 9:
		return IS("rationale") ? F_RATIONALE : 0;
	case 10:
		return IS("completion") ? F_COMPLETION : 0;
	default:
		return 0;
	}
#undef IS
}

static int
type_of(unsigned f, struct dss_err *err)
{
	if (f & F_RATIONALE)
		return DSS_RECORD_TRIPLE;
	if (f & F_COMPLETION)
		return f & F_REASON ? DSS_RECORD_REJECT : DSS_RECORD_COMPLETION;
	if (f & F_PROMPT)
		return DSS_RECORD_PROMPT;
	if ((f & (F_INPUT | F_LABEL)) == (F_INPUT | F_LABEL))
		return DSS_RECORD_EXAMPLE;
	return dss_err_set(err, "record is of no known type (it has none of "
	    "the fields 'rationale', 'completion', 'request', 'prompt', "
	    "'messages', 'template', or 'input' with 'label')");
}

int
dss_record_type(const cJSON *rec, struct dss_err *err)
{
	const cJSON *it;
	unsigned f = 0;

	cJSON_ArrayForEach(it, rec)
		if (it->string != NULL && it->string[0] != '\0')
			f |= mark_of(it->string, strlen(it->string));
	return type_of(f, err);
}

/* The same for a key written with escapes, decoded first (rare). */
static unsigned
mark_of_escaped(const struct dss_jscan_member *m)
{
	struct dss_buf key = DSS_BUF_INIT;
	unsigned f = 0;

	if (dss_jscan_unquote(&key, m->key - 1, m->keylen + 2) == 0 &&
	    key.len > 0)
		f = mark_of(key.data, key.len);
	dss_buf_free(&key);
	return f;
}

int
dss_record_type_scan(const struct dss_jscan *j, struct dss_err *err)
{
	unsigned f = 0;
	size_t i;

	for (i = 0; i < j->n; i++) {
		const struct dss_jscan_member *m = &j->m[i];

		if (m->key == NULL)
			continue;
		if (m->key_escaped)
			f |= mark_of_escaped(m);
		else if (m->keylen - 5 <= 5)	/* keys of 5 to 10 bytes */
			f |= mark_of(m->key, m->keylen);
	}
	return type_of(f, err);
}

const char *
dss_record_name(int type)
{
	return type >= 0 && type < DSS_RECORD_NTYPES ? names[type] : "unknown";
}

int
dss_record_wrong(int got, int want, const char *reader, struct dss_err *err)
{
	/* The step that turns each type into the next one. */
	static const char *const next_step[] = {
		"dss-prompt", "dss-teach", "dss-filter"
	};
	const char *wname = dss_record_name(want);
	char steps[128] = "", why[DSS_ERR_MAX];
	int t;

	if (got < 0 || got >= DSS_RECORD_NTYPES || want < 0 ||
	    want >= DSS_RECORD_NTYPES) {
		snprintf(why, sizeof why, "%s", err != NULL ? err->msg : "");
		return dss_err_set(err, "%s; %s reads %s records", why, reader,
		    wname);
	}
	if (got < want && want <= DSS_RECORD_TRIPLE) {
		for (t = got; t < want; t++) {
			if (t > got)
				strcat(steps, " and ");
			strcat(steps, next_step[t]);
		}
		return dss_err_set(err, "%s %s record; %s reads %s records: run %s "
		    "first", got == DSS_RECORD_EXAMPLE ? "an" : "a", names[got],
		    reader, wname, steps);
	}
	return dss_err_set(err, "%s %s record; %s reads %s records, which %s "
	    "%s", got == DSS_RECORD_EXAMPLE ? "an" : "a", names[got], reader,
	    wname, makers[want], strstr(makers[want], " or ") != NULL ?
	    "write" : "writes");
}
