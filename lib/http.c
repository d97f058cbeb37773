/* SPDX-License-Identifier: MIT */
/* The libcurl multi engine behind dss-teach. */
#include <ctype.h>
#include <math.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <poll.h>
#include <time.h>

#include "http.h"
#include "clock.h"
#include "retry.h"

struct dss_http {
	CURLM *multi;
	CURL **pool;		/* idle easy handles, reused across requests */
	int npool, cappool;
	int running;		/* requests added and not yet reported */
	struct pollfd *fds;	/* the sockets libcurl wants watched */
	int nfds, capfds;
	struct pollfd *ready;	/* a copy of fds taken after poll */
	int capready;
	double timer;		/* when libcurl wants a timeout call; < 0 none */
	int added;		/* requests added since the last poll */
	char *cacert;		/* PEM file of trusted CAs, or NULL: system's */
};

/* CURLMOPT_SOCKETFUNCTION: keeps h->fds in step with libcurl's wishes. */
static int
on_socket(CURL *e, curl_socket_t s, int what, void *arg, void *sockp)
{
	struct dss_http *h = arg;
	short ev = 0;
	int i;

	for (i = 0; i < h->nfds; i++)
		if (h->fds[i].fd == s)
			break;
	if (what == CURL_POLL_REMOVE) {
		if (i < h->nfds)
			h->fds[i] = h->fds[--h->nfds];
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= POLLIN;
	if (what & CURL_POLL_OUT)
		ev |= POLLOUT;
	if (i == h->nfds) {
		if (h->nfds == h->capfds) {
			int cap = h->capfds ? h->capfds * 2 : 64;
			struct pollfd *p = realloc(h->fds, cap * sizeof(*p));

			if (p == NULL)
				return -1;
			h->fds = p;
			h->capfds = cap;
		}
		h->fds[h->nfds].fd = s;
		h->nfds++;
	}
	h->fds[i].events = ev;
	h->fds[i].revents = 0;
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: remembers when libcurl wants to be called. */
static int
on_timer(CURLM *m, long timeout_ms, void *arg)
{
	struct dss_http *h = arg;

	h->timer = timeout_ms < 0 ? -1 : dss_clock_now() + timeout_ms / 1000.0;
	return 0;
}

struct dss_http *
dss_http_new(int max_conns, struct dss_err *err)
{
	static int inited;
	struct dss_http *h;

	if (!inited) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			dss_err_set(err, "cannot initialise libcurl");
			return NULL;
		}
		inited = 1;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->multi = curl_multi_init()) == NULL) {
		free(h);
		dss_err_set(err, "out of memory");
		return NULL;
	}
	if (max_conns < 1)
		max_conns = 1;
	h->timer = -1;
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)max_conns + 8);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)max_conns);
	return h;
}

void
dss_http_free(struct dss_http *h)
{
	int i;

	if (h == NULL)
		return;
	for (i = 0; i < h->npool; i++)
		curl_easy_cleanup(h->pool[i]);
	free(h->pool);
	curl_multi_cleanup(h->multi);
	free(h->cacert);
	free(h->fds);
	free(h->ready);
	free(h);
}

int
dss_http_set_cacert(struct dss_http *h, const char *path, struct dss_err *err)
{
	char *s = strdup(path);

	if (s == NULL)
		return dss_err_set(err, "out of memory");
	free(h->cacert);
	h->cacert = s;
	return 0;
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct dss_http_req *req = arg;
	long status = 0;

	if (req->sink != NULL && req->easy != NULL &&
	    curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
	    status >= 200 && status <= 299) {
		if (req->sunk + size * n > DSS_HTTP_FILE_MAX) {
			req->fail_kind = DSS_ERR_TOO_LARGE;
			snprintf(req->fail_msg, sizeof(req->fail_msg),
			    "download exceeded %zu bytes", DSS_HTTP_FILE_MAX);
			return 0;
		}
		if (fwrite(data, 1, size * n, req->sink) != size * n) {
			req->fail_kind = DSS_ERR_SYSTEM;
			snprintf(req->fail_msg, sizeof(req->fail_msg),
			    "cannot write the download: %s", strerror(errno));
			return 0;
		}
		req->sunk += size * n;
		return size * n;
	}

	if (dss_buf_add(&req->resp, data, size * n) < 0) {
		/* curl then fails with CURLE_WRITE_ERROR: say why */
		if (req->resp.len + size * n > req->resp.max) {
			req->fail_kind = DSS_ERR_TOO_LARGE;
			snprintf(req->fail_msg, sizeof(req->fail_msg),
			    "response body exceeded %zu bytes", req->resp.max);
		} else {
			req->fail_kind = DSS_ERR_NOMEM;
			snprintf(req->fail_msg, sizeof(req->fail_msg),
			    "out of memory for a response body of %zu bytes",
			    req->resp.len + size * n);
		}
		return 0;
	}
	return size * n;
}

/* Copies the trimmed value of header line data (length n) into out. */
static int
header_value(const char *data, size_t n, const char *name, char *out,
    size_t outsz)
{
	size_t len = strlen(name), v;

	if (n <= len || strncasecmp(data, name, len) != 0 || data[len] != ':')
		return 0;
	data += len + 1;
	n -= len + 1;
	while (n && isspace((unsigned char)*data))
		data++, n--;
	while (n && isspace((unsigned char)data[n - 1]))
		n--;
	v = n < outsz - 1 ? n : outsz - 1;
	memcpy(out, data, v);
	out[v] = '\0';
	return 1;
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct dss_http_req *req = arg;
	char v[128];
	double s;
	time_t now = time(NULL);

	n *= size;
	req->header_bytes += n;
	if (req->header_bytes > DSS_HTTP_HEADERS_MAX) {
		req->fail_kind = DSS_ERR_TOO_LARGE;
		snprintf(req->fail_msg, sizeof(req->fail_msg),
		    "response headers exceeded %zu bytes", DSS_HTTP_HEADERS_MAX);
		return 0;
	}
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* a new response (after 100 Continue, say): forget the last */
		req->retry_after = req->reset_requests = req->reset_tokens = -1;
		req->remaining_requests = req->remaining_tokens = -1;
		req->location[0] = '\0';
		return n;
	}
	if (header_value(data, n, "location", req->location, sizeof(req->location)))
		return n;
	if (header_value(data, n, "retry-after", v, sizeof(v))) {
		if (dss_retry_after(v, now, &s) == 0 &&
		    req->retry_after < 0)
			req->retry_after = s;
	} else if (header_value(data, n, "retry-after-ms", v, sizeof(v))) {
		char *end;

		s = strtod(v, &end);
		if (end != v && s >= 0)
			req->retry_after = s / 1000.0;
	} else if (header_value(data, n, "x-ratelimit-reset-requests", v, sizeof(v))) {
		if (dss_retry_duration(v, &s) == 0)
			req->reset_requests = s;
	} else if (header_value(data, n, "x-ratelimit-reset-tokens", v, sizeof(v))) {
		if (dss_retry_duration(v, &s) == 0)
			req->reset_tokens = s;
	} else if (header_value(data, n, "anthropic-ratelimit-requests-reset", v, sizeof(v))) {
		if (dss_retry_rfc3339(v, now, &s) == 0)
			req->reset_requests = s;
	} else if (header_value(data, n, "anthropic-ratelimit-tokens-reset", v, sizeof(v))) {
		if (dss_retry_rfc3339(v, now, &s) == 0)
			req->reset_tokens = s;
	} else if (header_value(data, n, "x-ratelimit-remaining-requests", v, sizeof(v)) ||
	    header_value(data, n, "anthropic-ratelimit-requests-remaining", v, sizeof(v))) {
		req->remaining_requests = strtol(v, NULL, 10);
	} else if (header_value(data, n, "x-ratelimit-remaining-tokens", v, sizeof(v)) ||
	    header_value(data, n, "anthropic-ratelimit-tokens-remaining", v, sizeof(v))) {
		req->remaining_tokens = strtol(v, NULL, 10);
	}
	return n;
}

int
dss_http_add(struct dss_http *h, struct dss_http_req *req, struct dss_err *err)
{
	CURL *e;

	if (h->npool > 0) {
		e = h->pool[--h->npool];
	} else if ((e = curl_easy_init()) == NULL) {
		return dss_err_set(err, "out of memory");
	}
	dss_buf_reset(&req->resp);
	req->resp.max = DSS_HTTP_BODY_MAX;
	req->curl_code = 0;
	req->error[0] = '\0';
	req->status = 0;
	req->retry_after = req->reset_requests = req->reset_tokens = -1;
	req->remaining_requests = req->remaining_tokens = -1;
	req->started = dss_clock_now();
	req->elapsed = 0;
	req->location[0] = '\0';
	req->header_bytes = 0;
	req->fail_kind = DSS_ERR_OTHER;
	req->fail_msg[0] = '\0';
	req->sunk = 0;

	curl_easy_setopt(e, CURLOPT_URL, req->url);
	if (req->get) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->body_len);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, req);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, req->error);
	curl_easy_setopt(e, CURLOPT_PRIVATE, req);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    req->timeout_ms > 0 && req->timeout_ms < 30000 ? req->timeout_ms : 30000L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "dss-teach/0.1");
	/* libcurl's defaults, said out loud: TLS peers are verified */
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	if (h->cacert != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, h->cacert);
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		return dss_err_set(err, "cannot start request to '%s'", req->url);
	}
	req->easy = e;
	h->running++;
	h->added = 1;
	return 0;
}

static int
grow_pool(struct dss_http *h)
{
	int cap = h->cappool ? h->cappool * 2 : 16;
	CURL **p;

	if (cap > 4096 || (p = realloc(h->pool, cap * sizeof(*p))) == NULL)
		return -1;
	h->pool = p;
	h->cappool = cap;
	return 0;
}

/*
 * Words the failure of a finished transfer: curl's own message, unless
 * the engine knows better (a limit it enforced), or curl's would mislead.
 */
static void
describe_failure(struct dss_http_req *req)
{
	char curl_msg[CURL_ERROR_SIZE];

	if (req->curl_code == CURLE_OK) {
		req->fail_kind = DSS_ERR_OTHER;
		return;
	}
	if (req->fail_kind != DSS_ERR_OTHER) {
		/* on_body or on_header said why; curl's buffer has its own words */
		snprintf(req->error, sizeof(req->error), "%s", req->fail_msg);
		return;
	}
	snprintf(curl_msg, sizeof(curl_msg), "%s", req->error[0] ? req->error :
	    curl_easy_strerror((CURLcode)req->curl_code));
	switch (req->curl_code) {
	case CURLE_OUT_OF_MEMORY:
		/* libcurl says this of a header line over its own limit too */
		if (req->resp.len == 0 && req->header_bytes > 0) {
			req->fail_kind = DSS_ERR_TOO_LARGE;
			snprintf(req->error, sizeof(req->error), "response headers "
			    "too large for libcurl (a header line over %d bytes)",
			    CURL_MAX_HTTP_HEADER);
			return;
		}
		req->fail_kind = DSS_ERR_NOMEM;
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
		req->fail_kind = DSS_ERR_TLS;
		break;
	default:
		break;
	}
	snprintf(req->error, sizeof(req->error), "%s", curl_msg);
}

/* Reports the finished transfers.  Returns how many there were. */
static int
collect(struct dss_http *h, dss_http_done_fn *done, void *arg)
{
	CURLMsg *msg;
	int left, n = 0;

	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
		struct dss_http_req *req = NULL;
		CURL *e = msg->easy_handle;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&req);
		req->curl_code = (int)msg->data.result;
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &req->status);
		curl_multi_remove_handle(h->multi, e);
		req->easy = NULL;
		req->elapsed = dss_clock_now() - req->started;
		describe_failure(req);
		h->running--;
		if (h->npool < h->cappool ||
		    (h->npool == h->cappool && grow_pool(h) == 0))
			h->pool[h->npool++] = e;
		else
			curl_easy_cleanup(e);
		done(req, arg);
		n++;
	}
	return n;
}

static int
on_timeout(struct dss_http *h, struct dss_err *err)
{
	CURLMcode mc;
	int still;

	h->timer = -1;
	mc = curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &still);
	if (mc != CURLM_OK)
		return dss_err_set(err, "libcurl: %s", curl_multi_strerror(mc));
	return 0;
}

int
dss_http_start(struct dss_http *h, struct dss_err *err)
{
	if (!h->added)
		return 0;
	h->added = 0;
	return on_timeout(h, err);
}

int
dss_http_poll(struct dss_http *h, int timeout_ms, dss_http_done_fn *done,
    void *arg, struct dss_err *err)
{
	double now = dss_clock_now();
	int i, n, still, wait = timeout_ms < 0 ? 0 : timeout_ms;

	/* start new transfers at once, whatever the timer says */
	if ((h->added || (h->timer >= 0 && h->timer <= now)) &&
	    on_timeout(h, err) < 0)
		return -1;
	h->added = 0;
	if (collect(h, done, arg) > 0)
		return 0;
	if (h->timer >= 0) {
		int t = (int)ceil((h->timer - now) * 1000);

		if (t < wait)
			wait = t < 0 ? 0 : t;
	}
	n = poll(h->fds, (nfds_t)h->nfds, wait);
	if (n < 0 && errno != EINTR)
		return dss_err_errno(err, errno, "poll");
	if (n > 0) {
		/* libcurl changes h->fds as we call it: work from a copy */
		if (h->capready < h->nfds) {
			struct pollfd *p = realloc(h->ready, h->nfds * sizeof(*p));

			if (p == NULL)
				return dss_err_set(err, "out of memory");
			h->ready = p;
			h->capready = h->nfds;
		}
		n = 0;
		for (i = 0; i < h->nfds; i++)
			if (h->fds[i].revents)
				h->ready[n++] = h->fds[i];
		for (i = 0; i < n; i++) {
			int bits = 0;
			CURLMcode mc;

			if (h->ready[i].revents & (POLLIN | POLLHUP))
				bits |= CURL_CSELECT_IN;
			if (h->ready[i].revents & POLLOUT)
				bits |= CURL_CSELECT_OUT;
			if (h->ready[i].revents & (POLLERR | POLLNVAL))
				bits |= CURL_CSELECT_ERR;
			mc = curl_multi_socket_action(h->multi, h->ready[i].fd, bits,
			    &still);
			if (mc != CURLM_OK)
				return dss_err_set(err, "libcurl: %s",
				    curl_multi_strerror(mc));
		}
	}
	if (h->timer >= 0 && h->timer <= dss_clock_now() && on_timeout(h, err) < 0)
		return -1;
	collect(h, done, arg);
	return 0;
}

int
dss_http_running(const struct dss_http *h)
{
	return h->running;
}

void
dss_http_req_free(struct dss_http_req *req)
{
	free(req->url);
	free(req->body);
	curl_slist_free_all(req->headers);
	dss_buf_free(&req->resp);
	req->url = req->body = NULL;
	req->headers = NULL;
	req->body_len = 0;
}
