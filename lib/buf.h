/* SPDX-License-Identifier: MIT */
/*
 * The one growable byte buffer of libdss.  A struct dss_buf is never NULL
 * inside (an empty buffer points at a static empty string), is always
 * NUL-terminated, and refuses to grow past its limit, so that a hostile
 * 10 GB line fails cleanly instead of exhausting memory.
 */
#ifndef DSS_BUF_H
#define DSS_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define DSS_BUF_DEFAULT_MAX ((size_t)256 << 20)	/* 256 MiB */

struct dss_buf {
	char *data;	/* NUL-terminated; owned unless it is the static "" */
	size_t len;	/* bytes in use, not counting the NUL */
	size_t cap;	/* bytes allocated, 0 while data is the static "" */
	size_t max;	/* hard limit on len; 0 means DSS_BUF_DEFAULT_MAX */
};

extern char dss_buf_empty[];
#define DSS_BUF_INIT { dss_buf_empty, 0, 0, 0 }

/* Makes room for extra more bytes.  Returns -1 (ENOMEM or over max). */
int dss_buf_grow(struct dss_buf *b, size_t extra);
int dss_buf_add(struct dss_buf *b, const void *p, size_t n);
int dss_buf_adds(struct dss_buf *b, const char *s);
int dss_buf_addch(struct dss_buf *b, int c);
int dss_buf_addf(struct dss_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int dss_buf_vaddf(struct dss_buf *b, const char *fmt, va_list ap);
/*
 * Appends code point cp (at most 0x10FFFF, the caller's check) as 1 to 4
 * bytes of UTF-8.  Surrogates are encoded as they come: replacing lone
 * ones is the caller's business.
 */
int dss_buf_add_utf8(struct dss_buf *b, unsigned long cp);
/*
 * Appends the rest of fp to b.  Returns 0 at end of file, -1 (errno set)
 * on a read error, or -2 when b cannot hold it all (over its max, or out
 * of memory).  The caller closes fp.
 */
int dss_buf_read(struct dss_buf *b, FILE *fp);
/* Sets len to 0, keeping the allocation. */
void dss_buf_reset(struct dss_buf *b);
/* Shortens to n bytes (n <= len). */
void dss_buf_truncate(struct dss_buf *b, size_t n);
/* Frees the allocation and returns b to DSS_BUF_INIT (max is kept). */
void dss_buf_free(struct dss_buf *b);
/*
 * Hands the data to the caller, who frees it with free(); b is left
 * empty.  Returns NULL only when allocation fails.
 */
char *dss_buf_detach(struct dss_buf *b, size_t *len);

/*
 * Inline fast paths of dss_buf_add, dss_buf_grow and dss_buf_addch for hot loops: they
 * append without a call while the allocation already has room, and fall
 * back to the functions above otherwise.  Same result and return value.
 */
static inline int
dss_buf_add_fast(struct dss_buf *b, const void *p, size_t n)
{
	if (b->len + n < b->cap) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
		b->data[b->len] = '\0';
		return 0;
	}
	return dss_buf_add(b, p, n);
}

/* The same for dss_buf_grow: no call while the allocation has room. */
static inline int
dss_buf_grow_fast(struct dss_buf *b, size_t extra)
{
	if (b->cap > b->len && extra < b->cap - b->len)
		return 0;
	return dss_buf_grow(b, extra);
}

static inline int
dss_buf_addch_fast(struct dss_buf *b, char c)
{
	if (b->len + 1 < b->cap) {
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
		return 0;
	}
	return dss_buf_addch(b, c);
}

#endif
