/* SPDX-License-Identifier: MIT */
/* Plain text tables with aligned columns. */
#include <stdarg.h>
#include <string.h>

#include "table.h"

void
dss_table_init(struct dss_table *t, size_t ncols, const char *align)
{
	struct dss_buf empty = DSS_BUF_INIT;

	t->ncols = ncols > DSS_TABLE_MAX_COLS ? DSS_TABLE_MAX_COLS : ncols;
	t->align = align;
	t->cells = empty;
	t->ncells = 0;
	t->failed = 0;
}

void
dss_table_add(struct dss_table *t, const char *cell)
{
	if (dss_buf_add(&t->cells, cell, strlen(cell) + 1) < 0)
		t->failed = 1;
	else
		t->ncells++;
}

void
dss_table_addf(struct dss_table *t, const char *fmt, ...)
{
	va_list ap;
	size_t len = t->cells.len;

	va_start(ap, fmt);
	if (dss_buf_vaddf(&t->cells, fmt, ap) < 0 ||
	    dss_buf_addch(&t->cells, 0) < 0) {
		dss_buf_truncate(&t->cells, len);
		t->failed = 1;
	} else
		t->ncells++;
	va_end(ap);
}

/* Characters, not bytes, of UTF-8 text. */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static int
pad(struct dss_buf *out, size_t n)
{
	while (n--)
		if (dss_buf_addch(out, ' ') < 0)
			return -1;
	return 0;
}

int
dss_table_render(struct dss_table *t, struct dss_buf *out, const char *indent)
{
	size_t w[DSS_TABLE_MAX_COLS] = { 0 }, i, col;
	const char *c;

	if (t->failed)
		return -1;
	for (i = 0, c = t->cells.data; i < t->ncells; i++, c += strlen(c) + 1)
		if (width(c) > w[i % t->ncols])
			w[i % t->ncols] = width(c);
	for (i = 0, c = t->cells.data; i < t->ncells; i++, c += strlen(c) + 1) {
		size_t cw = width(c);
		int right, last;

		col = i % t->ncols;
		right = t->align != NULL && t->align[col] == 'r';
		last = col == t->ncols - 1 || i == t->ncells - 1;
		if (col == 0 && dss_buf_adds(out, indent) < 0)
			return -1;
		if (right && pad(out, w[col] - cw) < 0)
			return -1;
		if (dss_buf_adds(out, c) < 0)
			return -1;
		if (last) {
			if (dss_buf_addch(out, '\n') < 0)
				return -1;
		} else if (pad(out, (right ? 0 : w[col] - cw) + 2) < 0)
			return -1;
	}
	return 0;
}

void
dss_table_free(struct dss_table *t)
{
	dss_buf_free(&t->cells);
	t->ncells = 0;
}
