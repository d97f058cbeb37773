/* SPDX-License-Identifier: MIT */
/*
 * Plain text tables for the reports of dss-eval and dss-stats: cells
 * added row by row, then rendered with each column as wide as its widest
 * cell (counted in UTF-8 characters), two spaces apart, numbers aligned
 * right where the column says so.
 */
#ifndef DSS_TABLE_H
#define DSS_TABLE_H

#include <stddef.h>

#include "buf.h"

struct dss_table {
	size_t ncols;
	const char *align;	/* a letter per column: 'l' or 'r' */
	struct dss_buf cells;	/* every cell, NUL-terminated, row by row */
	size_t ncells;
	int failed;		/* an append failed */
};

#define DSS_TABLE_MAX_COLS 64

/* Starts a table of ncols columns aligned as align says ("llrr..."). */
void dss_table_init(struct dss_table *t, size_t ncols, const char *align);
/* Adds the next cell (rows fill left to right). */
void dss_table_add(struct dss_table *t, const char *cell);
void dss_table_addf(struct dss_table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * Appends the table to out, each line starting with indent.  Returns 0,
 * or -1 when an append failed here or before.
 */
int dss_table_render(struct dss_table *t, struct dss_buf *out,
    const char *indent);
void dss_table_free(struct dss_table *t);

#endif
