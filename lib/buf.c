/* SPDX-License-Identifier: MIT */
/* The growable, always NUL-terminated byte buffer with a hard size limit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

char dss_buf_empty[1];

int
dss_buf_grow(struct dss_buf *b, size_t extra)
{
	size_t max = b->max ? b->max : DSS_BUF_DEFAULT_MAX;
	size_t want, ncap;
	char *p;

	if (extra > max || b->len > max - extra) {
		errno = EFBIG;
		return -1;
	}
	want = b->len + extra + 1;
	if (want <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < want)
		ncap = ncap < ((size_t)1 << 62) ? ncap * 2 : want;
	/* Never more than max + 1, so that the inline fast appends of buf.h,
	 * which check only cap, cannot pass max either. */
	if (ncap > max + 1)
		ncap = max + 1;
	p = realloc(b->cap ? b->data : NULL, ncap);
	if (p == NULL)
		return -1;
	if (b->cap == 0)
		p[0] = '\0';
	b->data = p;
	b->cap = ncap;
	return 0;
}

int
dss_buf_add(struct dss_buf *b, const void *p, size_t n)
{
	if (dss_buf_grow_fast(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
dss_buf_adds(struct dss_buf *b, const char *s)
{
	return dss_buf_add(b, s, strlen(s));
}

int
dss_buf_addch(struct dss_buf *b, int c)
{
	char ch = (char)c;

	return dss_buf_add(b, &ch, 1);
}

int
dss_buf_vaddf(struct dss_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(b->data + b->len, b->cap ? b->cap - b->len : 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return -1;
	if (b->cap == 0 || (size_t)n >= b->cap - b->len) {
		if (dss_buf_grow(b, (size_t)n) < 0)
			return -1;
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t)n;
	return 0;
}

int
dss_buf_addf(struct dss_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = dss_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return r;
}

void
dss_buf_reset(struct dss_buf *b)
{
	dss_buf_truncate(b, 0);
}

void
dss_buf_truncate(struct dss_buf *b, size_t n)
{
	if (n > b->len)
		return;
	b->len = n;
	if (b->cap)
		b->data[n] = '\0';
}

void
dss_buf_free(struct dss_buf *b)
{
	if (b->cap)
		free(b->data);
	b->data = dss_buf_empty;
	b->len = b->cap = 0;
}

char *
dss_buf_detach(struct dss_buf *b, size_t *len)
{
	char *p;

	if (b->cap == 0) {
		p = malloc(1);
		if (p == NULL)
			return NULL;
		p[0] = '\0';
	} else
		p = b->data;
	if (len)
		*len = b->len;
	b->data = dss_buf_empty;
	b->len = b->cap = 0;
	return p;
}

int
dss_buf_add_utf8(struct dss_buf *b, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return dss_buf_add(b, u, n);
}

int
dss_buf_read(struct dss_buf *b, FILE *fp)
{
	char chunk[65536];
	size_t n;

	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		if (dss_buf_add(b, chunk, n) < 0)
			return -2;
	return ferror(fp) ? -1 : 0;
}
