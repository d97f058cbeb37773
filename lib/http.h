/* SPDX-License-Identifier: MIT */
/*
 * A small engine over the libcurl multi interface: many POST requests in
 * flight on one thread, with keep-alive connections, HTTP/2 multiplexing
 * where the server offers it, a per-request timeout, and the throttling
 * headers (Retry-After, OpenAI and Anthropic rate-limit resets) captured
 * as the response arrives.  dss_http_poll waits for network activity
 * without busy-polling and calls back once for each finished request.
 */
#ifndef DSS_HTTP_H
#define DSS_HTTP_H

#include <stddef.h>
#include <stdio.h>

#include <curl/curl.h>

#include "buf.h"
#include "err.h"

#define DSS_HTTP_BODY_MAX ((size_t)64 << 20)
#define DSS_HTTP_HEADERS_MAX ((size_t)256 << 10)	/* all of a response's */
#define DSS_HTTP_FILE_MAX ((size_t)4 << 30)	/* a download to a sink */

/*
 * One request and, once finished, its response.  The caller allocates
 * it, fills the request part and keeps it alive until its callback has
 * run; dss_http_req_free releases what the engine filled in.
 */
struct dss_http_req {
	/* request: all owned by the req and freed by dss_http_req_free */
	char *url;
	char *body;
	size_t body_len;
	struct curl_slist *headers;
	long timeout_ms;		/* whole-transfer limit; 0 = none */
	void *user;			/* not touched by the engine */

	/* response */
	int curl_code;			/* CURLcode; 0 = transfer completed */
	char error[CURL_ERROR_SIZE];	/* curl's message when curl_code != 0 */
	long status;			/* HTTP status, 0 if none */
	struct dss_buf resp;		/* body, at most DSS_HTTP_BODY_MAX */
	double retry_after;		/* seconds, -1 when not sent */
	double reset_requests;		/* seconds, -1 when not sent */
	double reset_tokens;		/* seconds, -1 when not sent */
	long remaining_requests;	/* -1 when not sent */
	long remaining_tokens;		/* -1 when not sent */
	double started;			/* dss_clock_now() when added */
	double elapsed;			/* seconds from add to finish */
	char location[256];		/* Location of a 3xx, cut to fit */
	size_t header_bytes;		/* response header bytes seen */
	/*
	 * Why the transfer failed, when curl_code alone would mislead:
	 * DSS_ERR_TOO_LARGE when the body passed DSS_HTTP_BODY_MAX or the
	 * headers DSS_HTTP_HEADERS_MAX (error then says which, with the
	 * limit), DSS_ERR_TLS when the server's certificate could not be
	 * verified; DSS_ERR_OTHER otherwise.
	 */
	enum dss_err_kind fail_kind;
	char fail_msg[128];		/* the engine's words for fail_kind */

	CURL *easy;			/* engine's; NULL when not in flight */

	/* set before dss_http_add; zero by DSS_HTTP_REQ_INIT */
	int get;			/* 1: a GET (body unused), else a POST */
	/*
	 * When not NULL, a 2xx body goes to this file instead of resp (at
	 * most DSS_HTTP_FILE_MAX bytes), so that a large download needs no
	 * memory; resp still takes the body of any other status.
	 */
	FILE *sink;
	size_t sunk;			/* bytes written to sink */
};

#define DSS_HTTP_REQ_INIT { NULL, NULL, 0, NULL, 0, NULL, 0, { 0 }, 0, \
	DSS_BUF_INIT, -1, -1, -1, -1, -1, 0, 0, { 0 }, 0, DSS_ERR_OTHER, { 0 }, NULL, \
	0, NULL, 0 }

struct dss_http;

/*
 * A new engine that keeps up to max_conns connections open.  Returns
 * NULL with err set; the caller frees it with dss_http_free.
 */
struct dss_http *dss_http_new(int max_conns, struct dss_err *err);
void dss_http_free(struct dss_http *h);

/*
 * Trusts the CA certificates of the PEM file path (copied) instead of the
 * system's for the requests added after the call.  TLS peers are always
 * verified (certificate and host name); this only says against what.
 */
int dss_http_set_cacert(struct dss_http *h, const char *path,
    struct dss_err *err);

/*
 * Starts req (a POST of req->body to req->url with req->headers, or a
 * GET when req->get).  The response part of req is reset first.  Returns -1 with err set when the
 * transfer could not be started.
 */
int dss_http_add(struct dss_http *h, struct dss_http_req *req,
    struct dss_err *err);

/*
 * Sends the requests added since the last call at once, without waiting
 * for dss_http_poll, so that they are on the wire while the caller does
 * other work.  Returns -1 only on an engine failure.
 */
int dss_http_start(struct dss_http *h, struct dss_err *err);

/* Called for each finished request; req is no longer in the engine. */
typedef void dss_http_done_fn(struct dss_http_req *req, void *arg);

/*
 * Drives the transfers: waits up to timeout_ms for activity (returning
 * early when there is any), advances every transfer, then calls done for
 * each one that finished, successfully or not.  Returns -1 only on an
 * engine failure.
 */
int dss_http_poll(struct dss_http *h, int timeout_ms, dss_http_done_fn *done,
    void *arg, struct dss_err *err);

/* The number of requests in flight. */
int dss_http_running(const struct dss_http *h);

/* Frees the request's URL, body, headers and response buffer. */
void dss_http_req_free(struct dss_http_req *req);

#endif
