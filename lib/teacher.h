/* SPDX-License-Identifier: MIT */
/*
 * Teachers: the models dss-teach asks for rationales.  A teacher is named
 * by a SPEC, "PROVIDER:MODEL" (openai, openai-completions, anthropic,
 * gemini) or "replay:FILE".  Each provider is one struct dss_teacher_ops:
 * it turns a prompt record and the sampling parameters into an HTTP
 * request (URL, headers, JSON body) and the provider's response body back
 * into completions, finish reasons and token usage.  Replay answers from
 * a file of recorded completions without the network.
 *
 * Every request is keyed by the SHA-256 of canonical JSON (object keys
 * sorted, no spaces) of the provider, model, prompt or messages, the
 * parameters and the sample index.  The key never includes the API key
 * or the base URL.
 */
#ifndef DSS_TEACHER_H
#define DSS_TEACHER_H

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"
#include "http.h"
#include "jsonl.h"
#include "sha256.h"

struct dss_teacher_params {
	int samples;		/* K completions per prompt, >= 1 */
	double temperature;	/* < 0: not sent (provider default) */
	long max_tokens;	/* 0: not sent (anthropic needs one: 1024) */
	char **stop;		/* nstop stop sequences; not owned */
	int nstop;
};

#define DSS_TEACHER_PARAMS_INIT { 1, -1, 0, NULL, 0 }

struct dss_teacher_choice {
	char *text;		/* owned; never NULL after a parse */
	char *finish_reason;	/* owned; NULL when the provider gave none */
};

/* A parsed response; release with dss_teacher_result_free. */
struct dss_teacher_result {
	struct dss_teacher_choice *choices;	/* n of them, in order */
	int n;
	int has_usage;
	long prompt_tokens;	/* 0..DSS_TEACHER_USAGE_MAX when has_usage */
	long completion_tokens;
	int bad_usage;		/* usage was sent but out of range: ignored */
	char *teacher;		/* replay: the recorded teacher name or NULL */
};

#define DSS_TEACHER_RESULT_INIT { NULL, 0, 0, 0, 0, 0, NULL }

/* The most tokens one response may report for its prompt or completion. */
#define DSS_TEACHER_USAGE_MAX 100000000L

struct dss_teacher;

struct dss_teacher_ops {
	const char *provider;	/* "openai", "anthropic", ... */
	const char *key_env;	/* usual API key variable, NULL for replay */
	const char *default_base;
	int multi_sample;	/* takes n (or candidateCount) per request */
	int chat;		/* sends messages, else a prompt string */
	/*
	 * Fills req->url, req->headers and req->body for a request of n
	 * samples of input (from dss_teacher_input).  The req owns them.
	 */
	int (*request)(const struct dss_teacher *t, const cJSON *input,
	    const struct dss_teacher_params *p, int n, struct dss_http_req *req,
	    struct dss_err *err);
	/* Parses a 2xx body into res (choices in order). */
	int (*parse)(const struct dss_teacher *t, const char *body, size_t len,
	    struct dss_teacher_result *res, struct dss_err *err);
	/*
	 * Local teachers only (NULL otherwise): answers sample of the
	 * prompt record without the network.  Returns 0, or -1 when there
	 * is no answer (err says why).
	 */
	int (*answer)(const struct dss_teacher *t, const cJSON *record,
	    int sample, struct dss_teacher_result *res, struct dss_err *err);
	void (*close)(struct dss_teacher *t);
};

struct dss_teacher {
	const struct dss_teacher_ops *ops;
	char *spec;		/* as given; the "teacher" of records */
	char *model;		/* after the colon (replay: the file) */
	char *base_url;		/* without a trailing slash */
	char *key;		/* the API key or NULL; never logged or stored */
	char source[DSS_SHA256_HEX];	/* replay: hash of the file */
	void *priv;		/* provider state */
};

/*
 * Opens the teacher named by spec.  base_url NULL means the provider's
 * public endpoint.  The API key comes from the environment variable
 * key_env, or the provider's usual one when key_env is NULL; a missing
 * key is an error unless the base URL's host is loopback (127.0.0.0/8,
 * [::1], localhost) or the teacher is replay.  Returns 0, or -1 with err set
 * (err->code is 2 for a malformed spec).  Close with dss_teacher_close.
 */
int dss_teacher_open(struct dss_teacher *t, const char *spec,
    const char *base_url, const char *key_env, struct dss_err *err);
/* True when url's host is 127.0.0.0/8, [::1] or localhost. */
int dss_teacher_loopback(const char *url);
void dss_teacher_close(struct dss_teacher *t);

/*
 * The part of a prompt record that the teacher is sent, as a new cJSON
 * value the caller deletes: the messages array for chat providers (a
 * lone "prompt" becomes one user message), the prompt string for
 * completion providers (messages are joined by blank lines).  Replay
 * takes the record's id, since it answers by id.  NULL with err naming
 * the field.
 */
cJSON *dss_teacher_input(const struct dss_teacher *t, const cJSON *record,
    struct dss_err *err);

/*
 * Writes the canonical JSON of v into out: object keys sorted bytewise,
 * no insignificant space.  Returns -1 on allocation failure.
 */
int dss_teacher_canonical(const cJSON *v, struct dss_buf *out);

/* The request key of sample of input under params p, as 64 hex digits. */
int dss_teacher_key(const struct dss_teacher *t, const cJSON *input,
    const struct dss_teacher_params *p, int sample, char out[DSS_SHA256_HEX]);

/*
 * Pulls a human-readable message out of an error body ({"error":
 * {"message": ...}} and the like) into out (at most outsz - 1 bytes and a
 * NUL); falls back to the start of the body.  The key is masked (as by
 * dss_teacher_mask) before the text is cut to fit, so no fragment of it
 * survives the cut; control characters become spaces.
 */
void dss_teacher_error_message(const struct dss_teacher *t, const char *body,
    size_t len, char *out, size_t outsz);

/*
 * Overwrites with '*', in place, every run of DSS_TEACHER_MASK_RUN or
 * more consecutive characters of s[0..len) that is also a run of t's API
 * key (the whole key when it is shorter), so that neither the key nor a
 * telling fragment of it survives in text a server sent back.  The
 * length is kept, so masked JSON stays JSON.  Returns the number of
 * bytes masked (0 when t has no key).
 */
#define DSS_TEACHER_MASK_RUN 8
size_t dss_teacher_mask(const struct dss_teacher *t, char *s, size_t len);
/*
 * The same for JSON text such as a response body: each string literal
 * holding an escape is decoded and masked as text, so that a key written
 * with escapes (\u0073\u006b...) is caught too, then the raw bytes are
 * masked as above; every escape that decodes to a masked character is
 * overwritten with as many '*' as it is long, so the length is kept and
 * JSON stays JSON.  Returns the number of bytes masked.
 */
size_t dss_teacher_mask_json(const struct dss_teacher *t, char *s, size_t len);

/* Appends s to out as a JSON string (quoted, escaped). */
int dss_teacher_quote(struct dss_buf *out, const char *s);

void dss_teacher_result_free(struct dss_teacher_result *res);

/* Provider tables, for dss_teacher_open. */
extern const struct dss_teacher_ops dss_teacher_openai;
extern const struct dss_teacher_ops dss_teacher_openai_completions;
extern const struct dss_teacher_ops dss_teacher_anthropic;
extern const struct dss_teacher_ops dss_teacher_gemini;
extern const struct dss_teacher_ops dss_teacher_replay;

/* Helpers shared by the providers. */
int dss_teacher_finish(struct dss_http_req *req, const struct dss_teacher *t,
    const char *path, cJSON *body, struct dss_err *err);	/* takes body */
int dss_teacher_header(struct dss_http_req *req, const char *name,
    const char *value, struct dss_err *err);
int dss_teacher_add_choice(struct dss_teacher_result *res, const char *text,
    const char *finish_reason);
/*
 * Takes the token counts a server reported into res.  Usage numbers are
 * not trusted: each must be a whole number from 0 to
 * DSS_TEACHER_USAGE_MAX.  Both valid: has_usage is set.  Either sent but
 * out of range (negative, fractional, huge, not a number): the usage is
 * rejected whole, has_usage stays 0 and bad_usage is set.  Both absent:
 * nothing is set.  ct may be absent (NULL) when completion_optional.
 */
void dss_teacher_set_usage(struct dss_teacher_result *res, const cJSON *pt,
    const cJSON *ct, int completion_optional);
/*
 * Parses a response body as a JSON object for a provider's parse.
 * Returns the object (the caller deletes it) or NULL with err set and
 * its kind: DSS_ERR_TOO_DEEP (nested deeper than cJSON parses),
 * DSS_ERR_NOMEM, DSS_ERR_PARSE (not JSON, or not an object).
 */
cJSON *dss_teacher_parse_body(const char *body, size_t len,
    struct dss_err *err);
/*
 * Makes cJSON count its failed allocations (once per process; harmless
 * to call again), so that a parse that failed for want of memory can be
 * told from one of bad JSON.
 */
void dss_teacher_json_hooks(void);
/* Failed cJSON allocations so far (0 unless the hooks are installed). */
unsigned long dss_teacher_json_nomem(void);
/* Parses an OpenAI chat or text completion body already parsed. */
int dss_teacher_openai_parse_json(const cJSON *j,
    struct dss_teacher_result *res, struct dss_err *err);
/* Opens the replay file named by t->model; used by dss_teacher_open. */
int dss_teacher_replay_load(struct dss_teacher *t, struct dss_err *err);

#endif
