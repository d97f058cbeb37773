/* SPDX-License-Identifier: MIT */
/*
 * A streaming reader for CSV as RFC 4180 defines it: fields separated by
 * commas, records by LF or CRLF, fields optionally enclosed in double
 * quotes, inside which commas, newlines and doubled quotes ("") stand for
 * themselves.  Like Python's csv module, a quote inside an unquoted field
 * is taken literally and blank lines are skipped.  One record is held in
 * memory at a time, each field at most a fixed size, and every record
 * knows the physical line it starts on, so errors can name it.
 */
#ifndef DSS_CSV_H
#define DSS_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

#define DSS_CSV_FIELD_MAX ((size_t)1 << 20)	/* 1 MiB per field */

struct dss_csv;

/*
 * Starts reading CSV from fp, which stays the caller's (it is not closed).
 * name is used in messages and must outlive the reader.  Returns NULL
 * with err set when out of memory.  Free with dss_csv_close.
 */
struct dss_csv *dss_csv_open(FILE *fp, const char *name, struct dss_err *err);
void dss_csv_close(struct dss_csv *c);

/*
 * Limits the fields kept: from now on field i (i < n) of each record is
 * still parsed but reads as empty unless keep[i] is nonzero; fields from
 * n on are kept.  keep is copied.  This saves copying columns nobody
 * reads.  Returns 0, or -1 with err set when out of memory.
 */
int dss_csv_keep(struct dss_csv *c, const unsigned char *keep, size_t n,
    struct dss_err *err);

/* Sets the largest field accepted, in bytes (0 restores the default). */
void dss_csv_set_field_max(struct dss_csv *c, size_t max);

/*
 * Reads the next record.  Returns 1 on a record, 0 at end of input, -1
 * on a read error, a field over the limit or end of input inside quotes;
 * err then names the line ("line 12: unterminated quoted field").
 */
int dss_csv_next(struct dss_csv *c, struct dss_err *err);

/* The number of fields in the current record. */
size_t dss_csv_count(const struct dss_csv *c);

/*
 * Field i of the current record, NUL-terminated, valid until the next
 * dss_csv_next; its length (fields may hold NUL bytes) goes to *len when
 * len is non-NULL.  Returns NULL when the record has no field i.
 */
const char *dss_csv_field(const struct dss_csv *c, size_t i, size_t *len);

/* The physical line number (1-based) on which the current record starts. */
unsigned long dss_csv_lineno(const struct dss_csv *c);

/*
 * Reads the first record as the header (a leading UTF-8 byte-order mark
 * is dropped) and keeps its names for dss_csv_column.  Returns 0, or -1
 * with err set, also when the input is empty ("'NAME' has no header").
 */
int dss_csv_read_header(struct dss_csv *c, struct dss_err *err);

/* The index of the header column called name, or -1 when there is none. */
int dss_csv_column(const struct dss_csv *c, const char *name);

#endif
