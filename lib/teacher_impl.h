/* SPDX-License-Identifier: MIT */
/*
 * Private to lib/: what the teacher providers are built from.  The
 * provider table (teacher_table.c) lists every struct dss_teacher_ops;
 * teacher.c looks a provider up there and never names one.  Providers
 * build requests with the helpers below (teacher_req.c) and read
 * responses with teacher_parse.h; none of them calls back into
 * teacher.c, so dependencies point down:
 *
 *	teacher.c -> teacher_table.c -> teacher_{openai,anthropic,gemini,replay}.c
 *	    -> teacher_req.c, teacher_parse.c
 */
#ifndef DSS_TEACHER_IMPL_H
#define DSS_TEACHER_IMPL_H

#include "http.h"
#include "teacher.h"
#include "teacher_parse.h"

/* The providers, each defined in its own teacher_NAME.c. */
extern const struct dss_teacher_ops dss_teacher_openai;
extern const struct dss_teacher_ops dss_teacher_openai_completions;
extern const struct dss_teacher_ops dss_teacher_anthropic;
extern const struct dss_teacher_ops dss_teacher_gemini;
extern const struct dss_teacher_ops dss_teacher_replay;

/* The provider whose name is name[0..len), or NULL. */
const struct dss_teacher_ops *dss_teacher_provider(const char *name,
    size_t len);

/*
 * Sets req's URL to t's base URL followed by path and its body to body
 * printed as JSON, with the Content-Type header.  Takes ownership of body
 * (deleted whatever happens; NULL is taken as out of memory).
 */
int dss_teacher_finish(struct dss_http_req *req, const struct dss_teacher *t,
    const char *path, cJSON *body, struct dss_err *err);
/*
 * Appends the header "name: value" to req.  The formatted copy is wiped
 * before it is freed, since value may be the API key.
 */
int dss_teacher_header(struct dss_http_req *req, const char *name,
    const char *value, struct dss_err *err);

#endif
