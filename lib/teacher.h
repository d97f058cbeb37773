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
#include "teacher_parse.h"

struct dss_teacher_params {
	int samples;		/* K completions per prompt, >= 1 */
	double temperature;	/* < 0: not sent (provider default) */
	long max_tokens;	/* 0: the provider's default_max_tokens */
	char **stop;		/* nstop stop sequences; not owned */
	int nstop;
};

#define DSS_TEACHER_PARAMS_INIT { 1, -1, 0, NULL, 0 }

struct dss_teacher;

struct dss_teacher_ops {
	const char *provider;	/* "openai", "anthropic", ... */
	const char *key_env;	/* usual API key variable, NULL for replay */
	const char *default_base;
	int multi_sample;	/* takes n (or candidateCount) per request */
	int chat;		/* sends messages, else a prompt string */
	/*
	 * The max_tokens sent (and keyed) when none is given; 0 means none
	 * is sent.  Anthropic requires one.
	 */
	long default_max_tokens;
	/*
	 * Local teachers only (NULL otherwise): prepares t after
	 * dss_teacher_open has set t->spec and t->model (replay loads its
	 * file).  Remote teachers get their base URL and key instead.
	 */
	int (*open)(struct dss_teacher *t, struct dss_err *err);
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
 * (its kind DSS_ERR_USAGE for a malformed spec, an unknown
 * provider or a base URL that is not http:// or https://).  Close with dss_teacher_close.
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

#endif
