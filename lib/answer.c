/* SPDX-License-Identifier: MIT */
/*
 * Answer extraction: run-on cutting and answer-statement finding with
 * compiled PCRE2 patterns, then a reader per kind (choice letter/text,
 * NLI label synonyms, equation) that either returns a normalized answer
 * or says why there is none.  See answer.h for the rules.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "answer.h"
#include "expr.h"
#include "jsonl.h"
#include "manifest.h"

#define MAX_STATEMENTS 64

/*
 * The bytes a match of a pattern can start with, when PCRE2 knows them
 * (its own start-of-match optimisation): find() skips to the first of
 * them itself, which is faster than the matcher's way for few bytes.
 */
#define START_MAX 4

struct start {
	int known;		/* studied */
	int n;			/* bytes in set; 0 when any may start a match */
	unsigned char set[START_MAX];
	size_t minlen;		/* the fewest characters a match takes */
	int nreq;		/* bytes in req: one of them follows a match's start */
	unsigned char req[2];
};

struct patterns {
	pcre2_code **v;
	struct start *st;	/* one per pattern, studied on first use */
	size_t n;
	struct dss_buf src;	/* "(?:p1)|(?:p2)|..." of the patterns added */
};

struct synonym {
	char *phrase;	/* normalized: lowercase, single spaces */
	char *label;
	size_t len;
};

struct dss_answer_config {
	enum dss_answer_kind kind;
	struct patterns cut, stmt;
	struct synonym *syn;
	size_t nsyn;
	pcre2_match_data *md;
	struct dss_buf norm, work;	/* scratch */
	struct dss_answer trial;	/* scratch: one statement's answer */
};

struct span {
	size_t start, end;	/* statement match */
};

void
dss_answer_free(struct dss_answer *a)
{
	dss_buf_free(&a->answer);
	dss_buf_free(&a->rationale);
}

const char *
dss_answer_status_name(enum dss_answer_status s)
{
	switch (s) {
	case DSS_ANSWER_OK: return "ok";
	case DSS_ANSWER_NO_ANSWER: return "no_answer";
	case DSS_ANSWER_TRUNCATED: return "truncated";
	case DSS_ANSWER_AMBIGUOUS: return "ambiguous";
	case DSS_ANSWER_MALFORMED: return "malformed";
	}
	return "unknown";
}

enum dss_answer_kind
dss_answer_config_kindof(const struct dss_answer_config *c)
{
	return c->kind;
}

void
dss_answer_config_free(struct dss_answer_config *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->cut.n; i++)
		pcre2_code_free(c->cut.v[i]);
	for (i = 0; i < c->stmt.n; i++)
		pcre2_code_free(c->stmt.v[i]);
	free(c->cut.v);
	free(c->stmt.v);
	free(c->cut.st);
	free(c->stmt.st);
	dss_buf_free(&c->cut.src);
	dss_buf_free(&c->stmt.src);
	for (i = 0; i < c->nsyn; i++) {
		free(c->syn[i].phrase);
		free(c->syn[i].label);
	}
	free(c->syn);
	pcre2_match_data_free(c->md);
	dss_buf_free(&c->norm);
	dss_buf_free(&c->work);
	dss_answer_free(&c->trial);
	free(c);
}

static int
add_pattern(struct patterns *p, const char *src, const char *what,
    struct dss_err *err)
{
	pcre2_code *code, **v;
	int ec;
	PCRE2_SIZE off;

	code = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &off, NULL);
	if (code == NULL) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(ec, msg, sizeof msg);
		return dss_err_set(err, "%s pattern '%s': %s at offset %zu", what,
		    src, (char *)msg, (size_t)off);
	}
	/* JIT is an optimisation: without it the interpreter still works. */
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	v = realloc(p->v, (p->n + 1) * sizeof *v);
	if (v == NULL) {
		pcre2_code_free(code);
		return dss_err_errno(err, ENOMEM, "%s pattern", what);
	}
	p->v = v;
	p->v[p->n++] = code;
	if ((p->src.len && dss_buf_addch(&p->src, '|') < 0) ||
	    dss_buf_adds(&p->src, "(?:") < 0 || dss_buf_adds(&p->src, src) < 0 ||
	    dss_buf_addch(&p->src, ')') < 0)
		return dss_err_errno(err, ENOMEM, "%s pattern", what);
	return 0;
}

/*
 * Replaces several patterns by their alternation, so that finding the
 * earliest match of any of them takes one pass.  Keeps them apart when
 * the alternation does not compile (a back reference, say).
 */
static void
join_patterns(struct patterns *p)
{
	pcre2_code *code;
	int ec;
	PCRE2_SIZE off;
	size_t i;

	if (p->n < 2)
		return;
	code = pcre2_compile((PCRE2_SPTR)p->src.data, p->src.len,
	    PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &off, NULL);
	if (code == NULL)
		return;
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	for (i = 0; i < p->n; i++)
		pcre2_code_free(p->v[i]);
	p->v[0] = code;
	p->n = 1;
}

/* Lowercases and collapses whitespace; used for synonyms and answers. */
static char *
normdup(const char *s)
{
	char *d = malloc(strlen(s) + 1), *q = d;
	int space = 0;

	if (d == NULL)
		return NULL;
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			space = 1;
			continue;
		}
		if (space && q != d)
			*q++ = ' ';
		space = 0;
		*q++ = (char)tolower((unsigned char)*s);
	}
	*q = '\0';
	return d;
}

static int
add_synonym(struct dss_answer_config *c, const char *phrase,
    const char *label, struct dss_err *err)
{
	struct synonym *v = realloc(c->syn, (c->nsyn + 1) * sizeof *v);
	struct synonym *s;
	size_t i;

	if (v == NULL)
		return dss_err_errno(err, ENOMEM, "synonyms");
	c->syn = v;
	s = &c->syn[c->nsyn];
	s->phrase = normdup(phrase);
	s->label = strdup(label);
	if (s->phrase == NULL || s->label == NULL) {
		free(s->phrase);
		free(s->label);
		return dss_err_errno(err, ENOMEM, "synonyms");
	}
	s->len = strlen(s->phrase);
	if (s->len == 0) {
		free(s->phrase);
		free(s->label);
		return dss_err_set(err, "empty synonym for '%s'", label);
	}
	c->nsyn++;
	/* Keep longest first, so "it is not possible to tell" beats "no". */
	for (i = c->nsyn - 1; i > 0 && c->syn[i - 1].len < c->syn[i].len; i--) {
		struct synonym t = c->syn[i];

		c->syn[i] = c->syn[i - 1];
		c->syn[i - 1] = t;
	}
	return 0;
}

static struct dss_answer_config *
config_alloc(enum dss_answer_kind kind, struct dss_err *err)
{
	struct dss_answer_config *c = calloc(1, sizeof *c);
	struct dss_buf init = DSS_BUF_INIT;

	if (c == NULL) {
		dss_err_errno(err, ENOMEM, "answer configuration");
		return NULL;
	}
	c->kind = kind;
	c->norm = init;
	c->work = init;
	c->trial.answer = init;
	c->trial.rationale = init;
	c->cut.src = init;
	c->stmt.src = init;
	c->md = pcre2_match_data_create(4, NULL);
	if (c->md == NULL) {
		free(c);
		dss_err_errno(err, ENOMEM, "answer configuration");
		return NULL;
	}
	return c;
}

static int
spec_patterns(struct patterns *p, const cJSON *spec, const char *key,
    struct dss_err *err)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(spec, key), *it;

	if (arr == NULL)
		return dss_err_set(err, "field 'answer.%s' is missing", key);
	if (!cJSON_IsArray(arr))
		return dss_err_set(err, "field 'answer.%s' is not an array", key);
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsString(it))
			return dss_err_set(err,
			    "field 'answer.%s' holds a value that is not a string",
			    key);
		if (add_pattern(p, it->valuestring, key, err) < 0)
			return -1;
	}
	return 0;
}

/*
 * Adds the synonyms of spec (its "synonyms" object, required for nli) to
 * c.  Returns 0, or -1 with err naming the field at fault.
 */
static int
spec_synonyms(struct dss_answer_config *c, const cJSON *spec,
    struct dss_err *err)
{
	const cJSON *syn = cJSON_GetObjectItemCaseSensitive(spec, "synonyms"), *it;

	if (syn == NULL && c->kind == DSS_ANSWER_NLI)
		return dss_err_set(err, "field 'answer.synonyms' is missing (nli "
		    "needs the phrases of its labels)");
	if (syn == NULL)
		return 0;
	if (!cJSON_IsObject(syn))
		return dss_err_set(err, "field 'answer.synonyms' is not an object");
	cJSON_ArrayForEach(it, syn) {
		if (!cJSON_IsString(it))
			return dss_err_set(err, "field 'answer.synonyms.%s' is not "
			    "a string", it->string);
		if (add_synonym(c, it->string, it->valuestring, err) < 0)
			return -1;
	}
	return 0;
}

struct dss_answer_config *
dss_answer_config_new(const cJSON *spec, struct dss_err *err)
{
	struct dss_answer_config *c;
	const char *kind;
	enum dss_answer_kind k;

	if (!cJSON_IsObject(spec)) {
		dss_err_set(err, "field 'answer' is not an object");
		return NULL;
	}
	kind = dss_json_str_opt(spec, "kind");
	if (kind == NULL) {
		dss_err_set(err, "field 'answer.kind' is missing");
		return NULL;
	}
	if (strcmp(kind, "choice") == 0)
		k = DSS_ANSWER_CHOICE;
	else if (strcmp(kind, "nli") == 0)
		k = DSS_ANSWER_NLI;
	else if (strcmp(kind, "equation") == 0)
		k = DSS_ANSWER_EQUATION;
	else {
		dss_err_set(err, "field 'answer.kind' is '%s', not choice, nli "
		    "or equation", kind);
		return NULL;
	}
	if ((c = config_alloc(k, err)) == NULL)
		return NULL;
	if (spec_patterns(&c->cut, spec, "cut", err) < 0 ||
	    spec_patterns(&c->stmt, spec, "statement", err) < 0)
		goto out;
	if (c->stmt.n == 0) {
		dss_err_set(err, "field 'answer.statement' is empty");
		goto out;
	}
	if (spec_synonyms(c, spec, err) < 0)
		goto out;
	join_patterns(&c->cut);
	return c;
out:
	dss_answer_config_free(c);
	return NULL;
}

/*
 * Normalizes n bytes of s into b: ASCII lowercased, markdown emphasis,
 * backquotes and double quotes (straight or curly) dropped, curly single
 * quotes made straight, whitespace collapsed to one space and trimmed.
 */
static int
norm_into(struct dss_buf *b, const char *s, size_t n)
{
	size_t i;
	int space = 0;

	dss_buf_reset(b);
	if (dss_buf_grow(b, n + 1) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '*' || ch == '_' || ch == '`' || ch == '"' || ch == '#')
			continue;
		if (ch == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80) {
			unsigned char t = (unsigned char)s[i + 2];

			if (t == 0x9C || t == 0x9D) {
				i += 2;
				continue;
			}
			if (t == 0x98 || t == 0x99) {
				i += 2;
				ch = '\'';
			}
		}
		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
		    ch == '\v' || ch == '\f') {
			space = 1;
			continue;
		}
		if (space && b->len)
			b->data[b->len++] = ' ';
		space = 0;
		b->data[b->len++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
	}
	b->data[b->len] = '\0';
	return 0;
}

static int
isalnum_c(int c)
{
	return isalnum((unsigned char)c);
}

static int
starts_wordn(const char *s, const char *w, size_t n)
{
	return s[0] == w[0] && strncmp(s, w, n) == 0 && !isalnum_c(s[n]);
}

static int
starts_word(const char *s, const char *w)
{
	return s[0] == w[0] && starts_wordn(s, w, strlen(w));
}

/* Length of the first clause: up to ". ", a final ".", "!", "?" or ";". */
static size_t
clause_len(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		if (s[i] == '!' || s[i] == '?' || s[i] == ';')
			return i;
		if (s[i] == '.' && (s[i + 1] == ' ' || s[i + 1] == '\0'))
			return i;
	}
	return i;
}

/* Cuts s in place to n bytes and strips trailing spaces and punctuation. */
static void
cut_trim(char *s, size_t n)
{
	s[n] = '\0';
	while (n > 0 && strchr(" .,:;!?'", s[n - 1]) != NULL)
		s[--n] = '\0';
}

static const char *
skip_article(const char *s)
{
	if (starts_word(s, "the"))
		return s + (s[3] == ' ' ? 4 : 3);
	if (starts_word(s, "an"))
		return s + (s[2] == ' ' ? 3 : 2);
	if (starts_word(s, "a") && s[1] == ' ')
		return s + 2;
	return s;
}

/* Equal but for a leading article or a plural "s"/"es". */
static int
loose_eq(const char *a, const char *b)
{
	size_t la, lb;

	a = skip_article(a);
	b = skip_article(b);
	la = strlen(a);
	lb = strlen(b);
	if (la < lb) {
		const char *t = a;
		size_t tl = la;

		a = b;
		la = lb;
		b = t;
		lb = tl;
	}
	if (lb == 0 || memcmp(a, b, lb) != 0)
		return 0;
	return la == lb || (la == lb + 1 && a[lb] == 's') ||
	    (la == lb + 2 && a[lb] == 'e' && a[lb + 1] == 's');
}

/*
 * The choice whose normalized text t names: an exact match wins, then a
 * loose one.  Returns its index, -1 when none matches, -2 when several
 * different texts match.
 */
static int
match_choice(const char *t, char *const *nc, size_t nch)
{
	int pass, found;
	size_t i;

	if (*t == '\0')
		return -1;
	for (pass = 0; pass < 2; pass++) {
		found = -1;
		for (i = 0; i < nch; i++) {
			int m = pass == 0 ? strcmp(t, nc[i]) == 0 : loose_eq(t, nc[i]);

			if (!m)
				continue;
			if (found >= 0 && strcmp(nc[found], nc[i]) != 0)
				return -2;
			if (found < 0)
				found = (int)i;
		}
		if (found >= 0)
			return found;
	}
	return -1;
}

/* Where an explanation starts after an answer text, or strlen(s). */
static size_t
tail_len(const char *s)
{
	static const char *const cuts[] = {
		",", " because ", " since ", " as ", " - ", " which ", " (", NULL
	};
	size_t best = strlen(s), i;

	for (i = 0; cuts[i]; i++) {
		const char *p = strstr(s, cuts[i]);

		if (p != NULL && (size_t)(p - s) < best)
			best = (size_t)(p - s);
	}
	return best;
}

/* Does the clause name two or more different choices, or "one of"? */
static int
names_several(const char *t, char *const *nc, size_t nch, int letter)
{
	static const char *const vague[] = {
		"one of", "all of", "none of", "any of", "either", "neither",
		"both", NULL
	};
	const char *p;
	int first = -1;
	size_t i;

	for (i = 0; vague[i]; i++) {
		p = strstr(t, vague[i]);
		if (p != NULL && (p == t || !isalnum_c(p[-1])) &&
		    !isalnum_c(p[strlen(vague[i])]))
			return 1;
	}
	for (p = t; (p = strchr(p, '(')) != NULL; p++)
		if (isalpha((unsigned char)p[1]) && p[2] == ')' && p[1] != letter)
			return 1;
	for (i = 0; i < nch; i++) {
		size_t n = strlen(nc[i]);

		if (n == 0)
			continue;
		for (p = t; (p = strstr(p, nc[i])) != NULL; p++) {
			if ((p != t && isalnum_c(p[-1])) || isalnum_c(p[n]))
				continue;
			if (first >= 0 && strcmp(nc[first], nc[i]) != 0)
				return 1;
			first = (int)i;
			break;
		}
	}
	return 0;
}

/*
 * Gives out the status st with the formatted reason (a reader's verdict on
 * an answer it could not accept).  Returns 0: a verdict is not an error.
 */
static int __attribute__((format(printf, 3, 4)))
verdict(struct dss_answer *out, enum dss_answer_status st, const char *fmt,
    ...)
{
	va_list ap;

	out->status = st;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof out->reason, fmt, ap);
	va_end(ap);
	return 0;
}

/*
 * Takes text as out's answer (its status stays ok).  Returns 0, or -1
 * with err set when out of memory.
 */
static int
accept(struct dss_answer *out, const char *text, struct dss_err *err)
{
	if (dss_buf_adds(&out->answer, text) < 0)
		return dss_err_errno(err, ENOMEM, "answer");
	return 0;
}

/* A record's answer choices, as given and normalized for matching. */
struct choices {
	const char *const *text;
	char **norm;	/* normdup'ed, trailing full stops dropped; NULL at first */
	size_t n;
};

/* Fills ch->norm.  Returns 0, or -1 when out of memory. */
static int
choices_norm(struct choices *ch)
{
	size_t i, l;

	if ((ch->norm = calloc(ch->n, sizeof *ch->norm)) == NULL)
		return -1;
	for (i = 0; i < ch->n; i++) {
		if ((ch->norm[i] = normdup(ch->text[i])) == NULL)
			return -1;
		l = strlen(ch->norm[i]);
		while (l > 0 && ch->norm[i][l - 1] == '.')
			ch->norm[i][--l] = '\0';
	}
	return 0;
}

/* Frees what choices_norm allocated, however far it got. */
static void
choices_free(struct choices *ch)
{
	size_t i;

	if (ch->norm != NULL)
		for (i = 0; i < ch->n; i++)
			free(ch->norm[i]);
	free(ch->norm);
	ch->norm = NULL;
}

/*
 * The choice letter a normalized answer starts with ("(b)", "b)", "b.",
 * "b"), after a leading "option" or "choice", which *sp is moved past.
 * Returns the letter with *rest at what follows it, or 0 when there is
 * none.
 */
static int
letter_at(char **sp, char **rest)
{
	char *s = *sp;

	if (starts_word(s, "option") || starts_word(s, "choice"))
		s += 6 + (s[6] == ' ');
	*sp = s;
	if (s[0] == '(' && isalpha((unsigned char)s[1]) && s[2] == ')') {
		*rest = s + 3;
		return s[1];
	}
	if (isalpha((unsigned char)s[0]) && s[1] == ')') {
		*rest = s + 2;
		return s[0];
	}
	if (isalpha((unsigned char)s[0]) && (s[1] == '\0' ||
	    (strchr(".:,", s[1]) != NULL && (s[2] == '\0' || s[2] == ' ')))) {
		*rest = s + 1 + (s[1] != '\0');
		return s[0];
	}
	return 0;
}

/*
 * Reads the answer after a choice letter: the rest of the clause must be
 * empty or name the same choice.  s is the whole answer, for messages.
 * Returns 0 with the choice's text or a verdict in out, or -1 with err
 * set when out of memory.
 */
static int
read_letter(char *rest, int letter, const struct choices *ch, const char *s,
    struct dss_answer *out, struct dss_err *err)
{
	size_t idx = (size_t)(letter - 'a');

	while (*rest == ' ')
		rest++;
	cut_trim(rest, clause_len(rest));
	if (idx >= ch->n)
		return verdict(out, DSS_ANSWER_MALFORMED,
		    "choice (%c) is not offered", letter);
	if (*rest == '\0' || match_choice(rest, ch->norm + idx, 1) == 0)
		return accept(out, ch->text[idx], err);
	if (starts_word(rest, "or") || starts_word(rest, "and") ||
	    names_several(rest, ch->norm, ch->n, letter))
		return verdict(out, DSS_ANSWER_AMBIGUOUS,
		    "names several choices: '%.200s'", s);
	rest[tail_len(rest)] = '\0';
	cut_trim(rest, strlen(rest));
	if (match_choice(rest, ch->norm + idx, 1) == 0)
		return accept(out, ch->text[idx], err);
	return verdict(out, DSS_ANSWER_AMBIGUOUS,
	    "choice (%c) is '%.100s' but the text says '%.100s'", letter,
	    ch->norm[idx], rest);
}

/*
 * The choice named by a text that names none as it stands: once a
 * trailing letter ("wooded area (c)") is taken off into *letter, or its
 * explanation ("sea, because ...") is cut off.  Sets *m as match_choice
 * returns, leaving it -1 when the text holds a letter elsewhere or names
 * several choices.  Returns 0, or -1 when out of memory.
 */
static int
text_then_letter(const char *s, const struct choices *ch, int *m,
    int *letter)
{
	char *t = strdup(s), *p;
	size_t tl;

	if (t == NULL)
		return -1;
	tl = strlen(t);
	if (tl >= 4 && t[tl - 1] == ')' && isalpha((unsigned char)t[tl - 2]) &&
	    t[tl - 3] == '(' && t[tl - 4] == ' ') {
		*letter = t[tl - 2];
		cut_trim(t, tl - 4);
	}
	for (p = t; (p = strchr(p, '(')) != NULL; p++)
		if (isalpha((unsigned char)p[1]) && p[2] == ')')
			break;
	if (p == NULL && !names_several(t, ch->norm, ch->n, 0)) {
		*m = match_choice(t, ch->norm, ch->n);
		if (*m == -1) {
			t[tail_len(t)] = '\0';
			cut_trim(t, strlen(t));
			*m = match_choice(t, ch->norm, ch->n);
		}
	}
	free(t);
	return 0;
}

/*
 * Reads a normalized answer s that does not start with a letter: the
 * text of one choice, perhaps followed by its letter.  Returns 0 with the
 * choice's text or a verdict in out, or -1 with err set when out of
 * memory.
 */
static int
read_text(char *s, const struct choices *ch, struct dss_answer *out,
    struct dss_err *err)
{
	int m, letter = 0;

	cut_trim(s, clause_len(s));
	m = match_choice(s, ch->norm, ch->n);
	if (m == -1 && text_then_letter(s, ch, &m, &letter) < 0)
		return dss_err_errno(err, ENOMEM, "answer");
	if (m >= 0 && letter && ((size_t)(letter - 'a') >= ch->n ||
	    strcmp(ch->norm[letter - 'a'], ch->norm[m]) != 0))
		return verdict(out, DSS_ANSWER_AMBIGUOUS,
		    "the text says '%.100s' but the letter is (%c)", ch->norm[m],
		    letter);
	if (m == -2 || (m == -1 && names_several(s, ch->norm, ch->n, 0)))
		return verdict(out, DSS_ANSWER_AMBIGUOUS,
		    "names several choices: '%.200s'", s);
	if (m == -1)
		return verdict(out, DSS_ANSWER_MALFORMED,
		    "'%.200s' is not one of the choices", s);
	return accept(out, ch->text[m], err);
}

/*
 * Reads the n bytes of a choice answer at span, by its letter or its
 * text.  Returns 0 with the choice's text (as given) or a verdict in out,
 * or -1 with err set when out of memory.
 */
static int
read_choice(struct dss_answer_config *c, const char *span, size_t n,
    const char *const *choices, size_t nch, struct dss_answer *out,
    struct dss_err *err)
{
	struct choices ch = { choices, NULL, nch };
	char *s, *rest = NULL;
	int letter, r;

	if (nch == 0)
		return verdict(out, DSS_ANSWER_MALFORMED, "no answer choices");
	if (norm_into(&c->norm, span, n) < 0 || choices_norm(&ch) < 0) {
		choices_free(&ch);
		return dss_err_errno(err, ENOMEM, "answer");
	}
	s = c->norm.data;
	if ((letter = letter_at(&s, &rest)) != 0)
		r = read_letter(rest, letter, &ch, s, out, err);
	else
		r = read_text(s, &ch, out, err);
	choices_free(&ch);
	return r;
}

/* The synonym that the normalized answer s starts with, or NULL. */
static const struct synonym *
synonym_at(const struct dss_answer_config *c, const char *s)
{
	size_t i;

	for (i = 0; i < c->nsyn; i++)
		if (starts_wordn(s, c->syn[i].phrase, c->syn[i].len))
			return &c->syn[i];
	return NULL;
}

/* Does s name synonyms of two different labels, at word starts? */
static int
several_labels(const struct dss_answer_config *c, const char *s)
{
	const char *p, *other = NULL;
	size_t i;

	for (p = s; *p; p++) {
		if (p != s && isalnum_c(p[-1]))
			continue;
		for (i = 0; i < c->nsyn; i++) {
			if (!starts_wordn(p, c->syn[i].phrase, c->syn[i].len))
				continue;
			if (other != NULL && strcmp(other, c->syn[i].label) != 0)
				return 1;
			other = c->syn[i].label;
			break;
		}
	}
	return 0;
}

/*
 * Reads the n bytes of an nli answer at span: a synonym of one label,
 * alone or followed by its explanation.  Returns 0 with the label or a
 * verdict in out, or -1 with err set when out of memory.
 */
static int
read_nli(struct dss_answer_config *c, const char *span, size_t n,
    struct dss_answer *out, struct dss_err *err)
{
	const struct synonym *syn;
	const char *s, *rest;

	if (norm_into(&c->norm, span, n) < 0)
		return dss_err_errno(err, ENOMEM, "answer");
	cut_trim(c->norm.data, c->norm.len);
	s = c->norm.data;
	if ((syn = synonym_at(c, s)) == NULL) {
		/* No label first: is it a vague or a negated one? */
		if (several_labels(c, s))
			return verdict(out, DSS_ANSWER_AMBIGUOUS,
			    "names several labels: '%.200s'", s);
		return verdict(out, DSS_ANSWER_MALFORMED,
		    "'%.200s' is not a label", s);
	}
	rest = s + syn->len;
	while (*rest && strchr(" .,:;!?)-", *rest) != NULL)
		rest++;
	if (starts_word(rest, "or") || starts_word(rest, "and") ||
	    starts_word(rest, "nor") || *rest == '/')
		return verdict(out, DSS_ANSWER_AMBIGUOUS,
		    "names several labels: '%.200s'", s);
	if (rest == s + syn->len && *rest != '\0' &&
	    !starts_word(rest, "because") && !starts_word(rest, "since") &&
	    !starts_word(rest, "as"))
		return verdict(out, DSS_ANSWER_MALFORMED,
		    "'%.200s' is not a label", s);
	return accept(out, syn->label, err);
}

/*
 * Copies the run of equation characters that starts span (n bytes) into
 * w, which has room for n + 1 bytes: digits, operators, parentheses,
 * points, commas and spaces, with markdown and TeX marks ('`', '$', "**")
 * dropped and U+00D7, U+00F7 and U+2212 read as '*', '/' and '-'.
 * Returns where in span the run stops.
 */
static size_t
equation_run(const char *span, size_t n, struct dss_buf *w)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)span[i];

		if (ch == '`' || ch == '$')
			continue;
		if (ch == '*' && ((i + 1 < n && span[i + 1] == '*') ||
		    (i > 0 && span[i - 1] == '*')))
			continue;
		if (ch == 0xC3 && i + 1 < n && ((unsigned char)span[i + 1] == 0x97 ||
		    (unsigned char)span[i + 1] == 0xB7)) {
			ch = (unsigned char)span[i + 1] == 0x97 ? '*' : '/';
			i++;
		} else if (ch == 0xE2 && i + 2 < n &&
		    (unsigned char)span[i + 1] == 0x88 &&
		    (unsigned char)span[i + 2] == 0x92) {
			ch = '-';
			i += 2;
		}
		if (strchr("0123456789.,+-*/() \t", ch) == NULL || ch == '\0')
			break;
		w->data[w->len++] = (char)ch;
	}
	w->data[w->len] = '\0';
	return i;
}

/*
 * Does the clause go on with more numbers after the run that stops at i
 * of span (n bytes): "10 x 45", "1/2 of 10"?  Not after an '='.
 */
static int
numbers_follow(const char *span, size_t n, size_t i)
{
	while (i < n && (span[i] == ' ' || span[i] == '\t'))
		i++;
	if (i == n || span[i] == '=')
		return 0;
	for (; i < n; i++) {
		if (span[i] == '.' && (i + 1 == n || span[i + 1] == ' '))
			return 0;
		if (span[i] >= '0' && span[i] <= '9')
			return 1;
	}
	return 0;
}

/*
 * Reads the n bytes of an equation answer at span: an expression or a bare
 * number, up to the end of its sentence.  Returns 0 with the equation as
 * stated and its value, or a verdict, in out; -1 with err set when out of
 * memory.
 */
static int
read_equation(struct dss_answer_config *c, const char *span, size_t n,
    struct dss_answer *out, struct dss_err *err)
{
	struct dss_buf *w = &c->work;
	struct dss_err e = DSS_ERR_INIT;
	size_t i, k, len, start = 0;
	int sentence_end = 0;

	dss_buf_reset(w);
	if (dss_buf_grow(w, n + 1) < 0)
		return dss_err_errno(err, ENOMEM, "answer");
	i = equation_run(span, n, w);
	len = w->len;
	/* A sentence that ends inside the run ends the equation: "30. Then". */
	for (k = 0; k + 1 < len; k++)
		if (w->data[k] == '.' && w->data[k + 1] == ' ') {
			len = k;
			sentence_end = 1;
			break;
		}
	if (!sentence_end && numbers_follow(span, n, i))
		return verdict(out, DSS_ANSWER_MALFORMED,
		    "the equation goes on after '%.100s': '%.100s'", w->data,
		    span + i);
	while (len > 0 && strchr(" \t.,*", w->data[len - 1]) != NULL)
		len--;
	while (start < len && (w->data[start] == ' ' || w->data[start] == '*'))
		start++;
	w->data[len] = '\0';
	if (start == len)
		return verdict(out, DSS_ANSWER_MALFORMED,
		    "no equation after the answer statement");
	if (dss_expr_evaln(w->data + start, len - start, &out->value, &e) < 0)
		return verdict(out, DSS_ANSWER_MALFORMED,
		    "equation '%.100s': %.120s", w->data + start, e.msg);
	if (dss_buf_add(&out->answer, w->data + start, len - start) < 0)
		return dss_err_errno(err, ENOMEM, "answer");
	return 0;
}

static int
is_length(const char *finish)
{
	return finish != NULL && strcmp(finish, "length") == 0;
}

/*
 * What may start a match of code: the bytes of PCRE2's first-code-unit
 * bitmap, or its single first code unit (with its other ASCII case: a
 * caseless first unit is one with a single other case), when there are
 * at most START_MAX of them; none for an anchored pattern.
 */
/*
 * An ASCII byte and its other case, for a code unit PCRE2 may match
 * caselessly: none for k and s, whose Unicode case sets hold characters
 * beyond ASCII (KELVIN SIGN, LONG S), nor for a byte from 0x80 up.
 * Returns how many bytes it put in set.
 */
static int
both_cases(uint32_t unit, unsigned char *set)
{
	uint32_t low = unit | 0x20;

	if (unit >= 0x80 || low == 'k' || low == 's')
		return 0;
	set[0] = (unsigned char)unit;
	if (low >= 'a' && low <= 'z') {
		set[1] = (unsigned char)(unit ^ 0x20);
		return 2;
	}
	return 1;
}

static void study_set(pcre2_code *code, struct start *st);

/*
 * Studies code into st, its start set padded to START_MAX bytes with
 * its last one, so that it is searched for with no loop over its size.
 */
static void
study(pcre2_code *code, struct start *st)
{
	int k;

	study_set(code, st);
	for (k = st->n; k > 0 && k < START_MAX; k++)
		st->set[k] = st->set[k - 1];
}

static void
study_set(pcre2_code *code, struct start *st)
{
	const uint8_t *bm = NULL;
	uint32_t type = 0, unit = 0, opts = 0, minlen = 0;
	int i;

	st->known = 1;
	st->n = 0;
	st->nreq = 0;
	st->minlen = 0;
	if (pcre2_pattern_info(code, PCRE2_INFO_ALLOPTIONS, &opts) != 0 ||
	    (opts & PCRE2_ANCHORED) != 0 ||
	    pcre2_pattern_info(code, PCRE2_INFO_FIRSTCODETYPE, &type) != 0)
		return;
	/* A match needs minlen characters (as many bytes at least). */
	if (pcre2_pattern_info(code, PCRE2_INFO_MINLENGTH, &minlen) == 0)
		st->minlen = minlen;
	/* ...and holds this code unit after its first. */
	if (pcre2_pattern_info(code, PCRE2_INFO_LASTCODETYPE, &unit) == 0 &&
	    unit == 1 &&
	    pcre2_pattern_info(code, PCRE2_INFO_LASTCODEUNIT, &unit) == 0)
		st->nreq = both_cases(unit, st->req);
	if (type == 1) {
		if (pcre2_pattern_info(code, PCRE2_INFO_FIRSTCODEUNIT, &unit) == 0)
			st->n = both_cases(unit, st->set);
		return;
	}
	if (type != 0 || pcre2_pattern_info(code, PCRE2_INFO_FIRSTBITMAP, &bm) != 0 ||
	    bm == NULL)
		return;
	for (i = 0; i < 256; i++)
		if (bm[i / 8] & (1u << (i % 8))) {
			if (st->n == START_MAX) {
				st->n = 0;	/* too many to be worth it */
				return;
			}
			st->set[st->n++] = (unsigned char)i;
		}
}

/* The first offset from i on whose byte is in st's set, or n. */
static size_t
skip_to_start(const struct start *st, const unsigned char *s, size_t i,
    size_t n)
{
	/* The set is padded to START_MAX bytes with its last one (study). */
	const unsigned char *w = st->set;

#ifdef __SSE2__
	const __m128i w0 = _mm_set1_epi8((char)w[0]), w1 = _mm_set1_epi8((char)w[1]);
	const __m128i w2 = _mm_set1_epi8((char)w[2]), w3 = _mm_set1_epi8((char)w[3]);

	while (i + 16 <= n) {
		__m128i v = _mm_loadu_si128((const __m128i *)(s + i));
		int bits = _mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(v, w0), _mm_cmpeq_epi8(v, w1)),
		    _mm_or_si128(_mm_cmpeq_epi8(v, w2), _mm_cmpeq_epi8(v, w3))));

		if (bits != 0)
			return i + (size_t)__builtin_ctz((unsigned)bits);
		i += 16;
	}
#endif
	for (; i < n; i++)
		if (s[i] == w[0] || s[i] == w[1] || s[i] == w[2] || s[i] == w[3])
			return i;
	return n;
}

/* The first offset from i on whose byte is one of st's required ones, or n. */
static size_t
find_required(const struct start *st, const unsigned char *s, size_t i,
    size_t n)
{
#ifdef __SSE2__
	__m128i a = _mm_set1_epi8((char)st->req[0]);
	__m128i b = _mm_set1_epi8((char)st->req[st->nreq - 1]);

	while (i + 16 <= n) {
		__m128i v = _mm_loadu_si128((const __m128i *)(s + i));
		int bits = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, a),
		    _mm_cmpeq_epi8(v, b)));

		if (bits != 0)
			return i + (size_t)__builtin_ctz((unsigned)bits);
		i += 16;
	}
#endif
	for (; i < n; i++)
		if (s[i] == st->req[0] || s[i] == st->req[st->nreq - 1])
			return i;
	return n;
}

/*
 * The first match of pattern k of p in s[off, n), or -1; -2 on a
 * matching error.
 */
static long
find(struct dss_answer_config *c, struct patterns *p, size_t k,
    const char *s, size_t n, size_t off, size_t *mend, struct dss_err *err)
{
	pcre2_code *code = p->v[k];
	PCRE2_SIZE *ov;
	size_t jit = 0;
	int rc;

	if (p->st == NULL && (p->st = calloc(p->n, sizeof *p->st)) == NULL) {
		dss_err_errno(err, ENOMEM, "patterns");
		return -2;
	}
	if (!p->st[k].known) {
		study(code, &p->st[k]);
		/* \G and backtracking verbs depend on where matching starts. */
		if (strstr(p->src.data, "\\G") != NULL ||
		    strstr(p->src.data, "(*") != NULL)
			p->st[k].n = 0;
	}
	if (p->st[k].n > 0) {
		/*
		 * No match starts before the first byte that can start one,
		 * with room for the fewest characters a match takes and the
		 * code unit every match holds after its start.
		 */
		const struct start *st = &p->st[k];
		const unsigned char *u = (const unsigned char *)s;

		off = skip_to_start(st, u, off, n);
		if (off >= n || n - off < st->minlen ||
		    (st->nreq > 0 && find_required(st, u, off + 1, n) >= n))
			return -1;	/* and none at a later start either */
	}
	/* Compiled by the JIT, the pattern runs without pcre2_match's checks. */
	if (pcre2_pattern_info(code, PCRE2_INFO_JITSIZE, &jit) == 0 && jit > 0)
		rc = pcre2_jit_match(code, (PCRE2_SPTR)s, n, off, 0, c->md, NULL);
	else
		rc = pcre2_match(code, (PCRE2_SPTR)s, n, off, 0, c->md, NULL);
	if (rc == PCRE2_ERROR_NOMATCH)
		return -1;
	if (rc < 0) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(rc, msg, sizeof msg);
		dss_err_set(err, "pattern matching failed: %s", (char *)msg);
		return -2;
	}
	ov = pcre2_get_ovector_pointer(c->md);
	*mend = ov[1];
	return (long)ov[0];
}

/*
 * Reads the n bytes of answer at s by the configuration's kind into out:
 * its status, with the answer when ok and the reason when not.  Returns 0
 * whatever the status, or -1 with err set when out of memory.
 */
static int
read_answer(struct dss_answer_config *c, const char *s, size_t n,
    const char *const *choices, size_t nch, struct dss_answer *out,
    struct dss_err *err)
{
	dss_buf_reset(&out->answer);
	out->status = DSS_ANSWER_OK;
	out->reason[0] = '\0';
	out->value = 0;
	switch (c->kind) {
	case DSS_ANSWER_CHOICE:
		return read_choice(c, s, n, choices, nch, out, err);
	case DSS_ANSWER_NLI:
		return read_nli(c, s, n, out, err);
	case DSS_ANSWER_EQUATION:
		return read_equation(c, s, n, out, err);
	}
	return verdict(out, DSS_ANSWER_MALFORMED, "unknown kind");
}

static int
trim_rationale(struct dss_buf *r, const char *s, size_t n)
{
	static const char *const labels[] = {
		"answer:", "a:", "explanation:", "rationale:", NULL
	};
	size_t i;

	while (n > 0 && strchr(" \t\r\n*#,;:-", s[n - 1]) != NULL)
		n--;
	while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
		s++;
		n--;
	}
	for (i = 0; labels[i]; i++) {
		size_t l = strlen(labels[i]);

		if (n >= l && (*s | 0x20) == labels[i][0] &&
		    strncasecmp(s, labels[i], l) == 0) {
			s += l;
			n -= l;
			while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\n')) {
				s++;
				n--;
			}
			break;
		}
	}
	dss_buf_reset(r);
	return dss_buf_add(r, s, n);
}

static int
fail(struct dss_answer *out, enum dss_answer_status st, const char *reason)
{
	out->status = st;
	dss_buf_reset(&out->answer);
	dss_buf_reset(&out->rationale);
	if (reason != out->reason)
		snprintf(out->reason, sizeof out->reason, "%s", reason);
	return 0;
}

/*
 * The word that ends s[0, at) after spaces, newlines, '*' and ',': its
 * start in *ws and its length, 0 when there is none.
 */
static size_t
word_before(const char *s, size_t at, size_t *ws)
{
	size_t i = at, e;

	while (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t' ||
	    s[i - 1] == '\n' || s[i - 1] == '*' || s[i - 1] == ','))
		i--;
	e = i;
	while (i > 0 && isalnum_c(s[i - 1]))
		i--;
	*ws = i;
	return e - i;
}

/* Is the n bytes at s (any case) one of the words of list? */
static int
word_in(const char *s, size_t n, const char *const *list)
{
	size_t i;

	for (i = 0; list[i]; i++)
		if (strlen(list[i]) == n && (s[0] | 0x20) == list[i][0] &&
		    strncasecmp(s, list[i], n) == 0)
			return 1;
	return 0;
}

/*
 * Moves the start of an answer statement back over its lead-in words:
 * "So the final answer is" starts at "So", so that the rationale ends
 * before it.
 */
static size_t
lead_in(const char *s, size_t at)
{
	static const char *const adjectives[] = {
		"final", "correct", "right", "best", NULL
	};
	static const char *const the[] = { "the", NULL };
	static const char *const connectives[] = {
		"so", "therefore", "thus", "hence", NULL
	};
	const char *const *steps[] = { adjectives, the, connectives };
	size_t i, n, ws;

	for (i = 0; i < 3; i++) {
		n = word_before(s, at, &ws);
		if (n > 0 && word_in(s + ws, n, steps[i]))
			at = ws;
	}
	return at;
}

/* The statements of a completion, sorted by start. */
struct statements {
	struct span v[MAX_STATEMENTS];
	size_t n;
	int too_many;	/* more than MAX_STATEMENTS matches: v is partial */
};

/* One completion being read. */
struct subject {
	const char *s;
	size_t len;
	size_t end;		/* where it runs on into a new block, or len */
	size_t tail;		/* len less trailing white space */
	const char *finish;	/* the finish reason, or NULL */
	const char *const *choices;
	size_t nch;
};

/*
 * Where the len bytes of s run on into a new few-shot block: sets *end to
 * the earliest match of a cut pattern, or to len when none matches.
 * Returns 0, or -1 with err set on a matching error.
 */
static int
cut_at(struct dss_answer_config *c, const char *s, size_t len, size_t *end,
    struct dss_err *err)
{
	size_t i, mend;
	long at;

	*end = len;
	for (i = 0; i < c->cut.n; i++) {
		at = find(c, &c->cut, i, s, len, 0, &mend, err);
		if (at == -2)
			return -1;
		if (at >= 0 && (size_t)at < *end)
			*end = (size_t)at;
	}
	return 0;
}

/* Merges each statement that starts inside the one before into it. */
static void
merge_overlaps(struct statements *sv)
{
	size_t i;

	for (i = 1; i < sv->n; ) {
		if (sv->v[i].start < sv->v[i - 1].end) {
			if (sv->v[i].end > sv->v[i - 1].end)
				sv->v[i - 1].end = sv->v[i].end;
			memmove(sv->v + i, sv->v + i + 1,
			    (sv->n - i - 1) * sizeof *sv->v);
			sv->n--;
		} else
			i++;
	}
}

/*
 * Finds the answer statements of s[0, end) into sv: every match of every
 * statement pattern, its start moved back over its lead-in words, sorted
 * by start and with overlaps merged; sv->too_many when there are more
 * than MAX_STATEMENTS.  Returns 0, or -1 with err set on a matching error.
 */
static int
find_statements(struct dss_answer_config *c, const char *s, size_t end,
    struct statements *sv, struct dss_err *err)
{
	size_t i, j, mend, off;
	long at;

	sv->n = 0;
	sv->too_many = 0;
	for (i = 0; i < c->stmt.n; i++) {
		off = 0;
		while (off <= end) {
			at = find(c, &c->stmt, i, s, end, off, &mend, err);
			if (at == -2)
				return -1;
			if (at < 0)
				break;
			if (sv->n == MAX_STATEMENTS) {
				sv->too_many = 1;
				return 0;
			}
			for (j = sv->n; j > 0 && sv->v[j - 1].start > (size_t)at; j--)
				sv->v[j] = sv->v[j - 1];
			sv->v[j].start = lead_in(s, (size_t)at);
			sv->v[j].end = mend;
			sv->n++;
			off = mend > (size_t)at ? mend : (size_t)at + 1;
		}
	}
	merge_overlaps(sv);
	return 0;
}

/*
 * Where the answer of statement i lies: from the end of the statement,
 * past white space, to the end of its line, but not past the next
 * statement or where the completion runs on.  Returns its start and sets
 * *b to its end (never before the start).
 */
static size_t
answer_span(const struct subject *sub, const struct statements *sv, size_t i,
    size_t *b)
{
	const char *s = sub->s;
	size_t a = sv->v[i].end, lim = sub->end;

	if (i + 1 < sv->n && sv->v[i + 1].start < lim)
		lim = sv->v[i + 1].start;
	while (a < lim && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r' ||
	    s[a] == '\n'))
		a++;
	*b = a;
	while (*b < lim && s[*b] != '\n')
		(*b)++;
	return a;
}

/*
 * Reads the answer of statement i into trial (read_answer), and calls it
 * truncated when the completion ends inside it at the token limit (or
 * with no finish reason) and it does not read, or when it is an equation
 * that stops on a digit at the token limit.  Returns 0 with trial's
 * status set, or -1 with err set when out of memory.
 */
static int
read_statement(struct dss_answer_config *c, const struct subject *sub,
    const struct statements *sv, size_t i, struct dss_answer *trial,
    struct dss_err *err)
{
	size_t a, b;
	int open;

	a = answer_span(sub, sv, i, &b);
	/* Open: the completion ends inside this answer. */
	open = sub->end == sub->len && b >= sub->tail && sub->tail > 0 &&
	    strchr(".!?", sub->s[sub->tail - 1]) == NULL;
	if (read_answer(c, sub->s + a, b - a, sub->choices, sub->nch, trial,
	    err) < 0)
		return -1;
	if (!open)
		return 0;
	if ((trial->status != DSS_ANSWER_OK &&
	    (sub->finish == NULL || is_length(sub->finish))) ||
	    (trial->status == DSS_ANSWER_OK && is_length(sub->finish) &&
	    c->kind == DSS_ANSWER_EQUATION &&
	    isdigit((unsigned char)sub->s[sub->tail - 1])))
		return verdict(trial, DSS_ANSWER_TRUNCATED,
		    "cut off by the token limit in the answer");
	return 0;
}

/*
 * Compares a later statement's answer, trial, with the first one, in
 * out.  Returns 1 with out's verdict ambiguous when trial does not read or
 * names another answer, 0 when they agree.
 */
static int
restated(const struct dss_answer_config *c, struct dss_answer *out,
    const struct dss_answer *trial)
{
	char why[sizeof out->reason];

	if (trial->status != DSS_ANSWER_OK)
		snprintf(why, sizeof why, "answer stated again: %.200s",
		    trial->reason);
	else if (!dss_answer_same(c->kind, out->answer.data, trial->answer.data))
		snprintf(why, sizeof why,
		    "answer stated twice: '%.100s' and '%.100s'",
		    out->answer.data, trial->answer.data);
	else
		return 0;
	fail(out, DSS_ANSWER_AMBIGUOUS, why);
	return 1;
}

/*
 * The verdict when no statement was found: truncated when the completion
 * stopped at the token limit without running on, no answer otherwise.
 * Returns 0.
 */
static int
no_statement(const struct subject *sub, struct dss_answer *out)
{
	if (sub->end == sub->len && is_length(sub->finish))
		return fail(out, DSS_ANSWER_TRUNCATED,
		    "cut off by the token limit before an answer");
	return fail(out, DSS_ANSWER_NO_ANSWER, "no answer statement");
}

int
dss_answer_extract(struct dss_answer_config *c, const char *completion,
    size_t len, const char *finish_reason, const char *const *choices,
    size_t nch, struct dss_answer *out, struct dss_err *err)
{
	struct subject sub = {
		completion, len, len, len, finish_reason, choices, nch
	};
	struct statements sv;
	struct dss_answer *trial = &c->trial;
	enum dss_answer_status last = DSS_ANSWER_NO_ANSWER;
	char last_reason[sizeof out->reason] = "";
	size_t i, first = SIZE_MAX;

	out->status = DSS_ANSWER_OK;
	out->reason[0] = '\0';
	out->value = 0;
	dss_buf_reset(&out->answer);
	dss_buf_reset(&out->rationale);
	if (cut_at(c, completion, len, &sub.end, err) < 0 ||
	    find_statements(c, completion, sub.end, &sv, err) < 0)
		return -1;
	if (sv.too_many)
		return fail(out, DSS_ANSWER_AMBIGUOUS, "too many answer statements");
	if (sv.n == 0)
		return no_statement(&sub, out);
	while (sub.tail > 0 && (completion[sub.tail - 1] == ' ' ||
	    completion[sub.tail - 1] == '\t' || completion[sub.tail - 1] == '\r' ||
	    completion[sub.tail - 1] == '\n'))
		sub.tail--;
	for (i = 0; i < sv.n; i++) {
		if (read_statement(c, &sub, &sv, i, trial, err) < 0)
			return -1;
		if (first != SIZE_MAX) {
			if (restated(c, out, trial))
				return 0;
		} else if (trial->status == DSS_ANSWER_OK) {
			first = i;
			if (dss_buf_add(&out->answer, trial->answer.data,
			    trial->answer.len) < 0)
				return dss_err_errno(err, ENOMEM, "answer");
			out->value = trial->value;
		} else {
			last = trial->status;
			memcpy(last_reason, trial->reason, sizeof last_reason);
		}
	}
	if (first == SIZE_MAX)
		return fail(out, last, last_reason);
	if (trim_rationale(&out->rationale, completion, sv.v[first].start) < 0)
		return dss_err_errno(err, ENOMEM, "rationale");
	return 0;
}

static int
ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Equal ignoring ASCII case and surrounding or repeated whitespace. */
static int
soft_eq(const char *a, const char *b)
{
	for (;;) {
		while (*a == ' ')
			a++;
		while (*b == ' ')
			b++;
		if (*a == '\0' || *b == '\0')
			return *a == *b;
		if (*a != *b && ascii_lower(*a) != ascii_lower(*b))
			return 0;
		a++;
		b++;
	}
}

int
dss_answer_same(enum dss_answer_kind kind, const char *a, const char *b)
{
	if (kind == DSS_ANSWER_EQUATION) {
		double x, y;

		if (dss_expr_eval(a, &x, NULL) == 0 &&
		    dss_expr_eval(b, &y, NULL) == 0)
			return dss_expr_equal(x, y, DSS_EXPR_REL_TOL);
		return strcmp(a, b) == 0;
	}
	return soft_eq(a, b);
}

struct cache_entry {
	char *dataset;
	struct dss_answer_config *config;
};

struct dss_answer_cache {
	struct cache_entry *v;
	size_t n;
};

struct dss_answer_cache *
dss_answer_cache_new(void)
{
	return calloc(1, sizeof(struct dss_answer_cache));
}

void
dss_answer_cache_free(struct dss_answer_cache *cache)
{
	size_t i;

	if (cache == NULL)
		return;
	for (i = 0; i < cache->n; i++) {
		free(cache->v[i].dataset);
		dss_answer_config_free(cache->v[i].config);
	}
	free(cache->v);
	free(cache);
}

struct dss_answer_config *
dss_answer_cache_get(struct dss_answer_cache *cache, const char *dataset,
    struct dss_err *err)
{
	struct dss_answer_config *c = NULL;
	struct dss_manifest *m = NULL;
	struct cache_entry *v;
	const cJSON *spec;
	size_t i;

	for (i = 0; i < cache->n; i++)
		if (strcmp(cache->v[i].dataset, dataset) == 0)
			return cache->v[i].config;
	if (*dataset == '\0' || strchr(dataset, '/') != NULL) {
		dss_err_set(err, "unknown dataset '%.100s'", dataset);
		return NULL;
	}
	if ((m = dss_manifest_load(dataset, err)) == NULL)
		return NULL;
	spec = cJSON_GetObjectItemCaseSensitive(dss_manifest_json(m), "answer");
	if (spec == NULL)
		dss_err_set(err, "field 'answer' is missing");
	else
		c = dss_answer_config_new(spec, err);
	if (c == NULL) {
		dss_err_prefix(err, "'%s'", m->path);
		goto out;
	}
	v = realloc(cache->v, (cache->n + 1) * sizeof *v);
	if (v == NULL || (v[cache->n].dataset = strdup(dataset)) == NULL) {
		if (v != NULL)
			cache->v = v;
		dss_answer_config_free(c);
		c = NULL;
		dss_err_errno(err, ENOMEM, "answer configuration");
		goto out;
	}
	cache->v = v;
	v[cache->n++].config = c;
out:
	dss_manifest_free(m);
	return c;
}
