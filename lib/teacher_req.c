/* SPDX-License-Identifier: MIT */
/* Building a teacher's HTTP request: headers and the JSON body. */
#include <stdlib.h>
#include <string.h>

#include "teacher_impl.h"

int
dss_teacher_header(struct dss_http_req *req, const char *name,
    const char *value, struct dss_err *err)
{
	struct dss_buf b = DSS_BUF_INIT;
	struct curl_slist *l;

	if (dss_buf_addf(&b, "%s: %s", name, value) < 0 ||
	    (l = curl_slist_append(req->headers, b.data)) == NULL) {
		dss_buf_free(&b);
		return dss_err_set(err, "out of memory");
	}
	req->headers = l;
	memset(b.data, 0, b.len);	/* it may hold the key */
	dss_buf_free(&b);
	return 0;
}

int
dss_teacher_finish(struct dss_http_req *req, const struct dss_teacher *t,
    const char *path, cJSON *body, struct dss_err *err)
{
	struct dss_buf url = DSS_BUF_INIT;
	char *s = NULL;
	int r = -1;

	if (body == NULL || (s = cJSON_PrintUnformatted(body)) == NULL ||
	    dss_buf_addf(&url, "%s%s", t->base_url, path) < 0 ||
	    dss_teacher_header(req, "Content-Type", "application/json", err) < 0 ||
	    dss_teacher_header(req, "Expect", "", err) < 0) {
		dss_err_set(err, "out of memory");
		goto out;
	}
	free(req->url);
	free(req->body);
	req->url = dss_buf_detach(&url, NULL);
	req->body = s;
	req->body_len = strlen(s);
	s = NULL;
	r = req->url ? 0 : dss_err_set(err, "out of memory");
out:
	free(s);
	cJSON_Delete(body);
	dss_buf_free(&url);
	return r;
}
