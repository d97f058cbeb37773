/* SPDX-License-Identifier: MIT */
/* The streaming RFC 4180 CSV reader: a small state machine over a block buffer. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csv.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define INBUF (256 * 1024)

struct dss_csv {
	FILE *fp;
	const char *name;
	char *in;		/* read buffer of INBUF bytes */
	size_t in_len, in_pos;
	int eof;
	struct dss_buf rec;	/* the fields, each followed by a NUL */
	size_t *off, *len;	/* per field: offset in rec and length */
	size_t nf, capf;
	unsigned long line;	/* physical line of the next byte */
	unsigned long rec_line;
	size_t field_max;
	char **header;
	size_t nheader;
	unsigned char *keep;	/* per field: store it (dss_csv_keep) */
	size_t nkeep;
};

struct dss_csv *
dss_csv_open(FILE *fp, const char *name, struct dss_err *err)
{
	struct dss_csv *c = calloc(1, sizeof *c);

	if (c == NULL || (c->in = malloc(INBUF)) == NULL) {
		free(c);
		dss_err_errno(err, ENOMEM, "cannot read '%s'", name);
		return NULL;
	}
	c->fp = fp;
	c->name = name;
	c->rec = (struct dss_buf)DSS_BUF_INIT;
	c->line = 1;
	c->field_max = DSS_CSV_FIELD_MAX;
	return c;
}

void
dss_csv_close(struct dss_csv *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nheader; i++)
		free(c->header[i]);
	free(c->header);
	free(c->keep);
	free(c->off);
	free(c->len);
	free(c->in);
	dss_buf_free(&c->rec);
	free(c);
}

int
dss_csv_keep(struct dss_csv *c, const unsigned char *keep, size_t n,
    struct dss_err *err)
{
	unsigned char *k = malloc(n ? n : 1);

	if (k == NULL)
		return dss_err_errno(err, ENOMEM, "'%s'", c->name);
	memcpy(k, keep, n);
	free(c->keep);
	c->keep = k;
	c->nkeep = n;
	return 0;
}

void
dss_csv_set_field_max(struct dss_csv *c, size_t max)
{
	c->field_max = max ? max : DSS_CSV_FIELD_MAX;
}

/* Returns 1 with data available, 0 at end of input, -1 on a read error. */
static int
fill(struct dss_csv *c, struct dss_err *err)
{
	if (c->in_pos < c->in_len)
		return 1;
	if (c->eof)
		return 0;
	c->in_len = fread(c->in, 1, INBUF, c->fp);
	c->in_pos = 0;
	if (c->in_len == 0) {
		if (ferror(c->fp))
			return dss_err_errno(err, errno ? errno : EIO,
			    "cannot read '%s'", c->name);
		c->eof = 1;
		return 0;
	}
	return 1;
}

static int
add(struct dss_csv *c, const char *p, size_t n, size_t start,
    struct dss_err *err)
{
	if (c->nf < c->nkeep && !c->keep[c->nf])
		return 0;
	if (c->rec.len - start + n > c->field_max)
		return dss_err_set(err, "line %lu: field %zu is longer than %zu bytes",
		    c->rec_line, c->nf + 1, c->field_max);
	if (dss_buf_add_fast(&c->rec, p, n) < 0)
		return dss_err_errno(err, errno, "line %lu", c->rec_line);
	return 0;
}

static int
end_field(struct dss_csv *c, size_t start, struct dss_err *err)
{
	if (c->nf == c->capf) {
		size_t n = c->capf ? c->capf * 2 : 32;
		size_t *o = realloc(c->off, n * sizeof *o), *l;

		if (o == NULL)
			return dss_err_errno(err, ENOMEM, "line %lu", c->rec_line);
		c->off = o;
		if ((l = realloc(c->len, n * sizeof *l)) == NULL)
			return dss_err_errno(err, ENOMEM, "line %lu", c->rec_line);
		c->len = l;
		c->capf = n;
	}
	c->off[c->nf] = start;
	c->len[c->nf] = c->rec.len - start;
	c->nf++;
	if (dss_buf_addch_fast(&c->rec, '\0') < 0)
		return dss_err_errno(err, errno, "line %lu", c->rec_line);
	return 0;
}

enum { START, UNQUOTED, QUOTED, QUOTE };

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static inline uint64_t
has_byte(uint64_t w, unsigned char c)
{
	uint64_t x = w ^ (ONES * c);

	return (x - ONES) & ~x & HIGHS;
}

/* The first ',', LF or CR in [p, e), or e; 16 or 8 bytes at a time. */
static const char *
scan_plain(const char *p, const char *e)
{
#ifdef __SSE2__
	const __m128i comma = _mm_set1_epi8(','), lf = _mm_set1_epi8('\n');
	const __m128i cr = _mm_set1_epi8('\r');

	for (; e - p >= 16; p += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)p);
		int bits = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, lf)),
		    _mm_cmpeq_epi8(v, cr)));

		if (bits != 0)
			return p + __builtin_ctz((unsigned)bits);
	}
#endif
	for (; e - p >= 8; p += 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		if (has_byte(w, ',') | has_byte(w, '\n') | has_byte(w, '\r'))
			break;
	}
	while (p < e && *p != ',' && *p != '\n' && *p != '\r')
		p++;
	return p;
}

/*
 * The first '"' in [p, e), or e, counting the LFs before it into *lines:
 * one pass over a quoted field.
 */
static const char *
scan_quoted(const char *p, const char *e, unsigned long *lines)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), lf = _mm_set1_epi8('\n');

	for (; e - p >= 16; p += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)p);
		unsigned q = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote));
		unsigned l = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf));

		if (q != 0) {
			/* the LFs before the quote */
			if ((l &= (q & -q) - 1) != 0)
				*lines += (unsigned long)__builtin_popcount(l);
			return p + __builtin_ctz(q);
		}
		if (l != 0)
			*lines += (unsigned long)__builtin_popcount(l);
	}
#endif
	for (; p < e && *p != '"'; p++)
		*lines += *p == '\n';
	return p;
}

/* Where the reader of a record stands. */
struct rd {
	int state;		/* START, UNQUOTED, QUOTED, QUOTE */
	int quoted;		/* the current field began with a quote */
	int started;		/* a byte of the record was read */
	size_t start;		/* the current field's offset in c->rec */
};

/* The input ended (after the record, if any, that rd began): 1 with the
 * last field ended, 0 when there was no record, or -1. */
static int
at_end(struct dss_csv *c, const struct rd *rd, struct dss_err *err)
{
	if (rd->state == QUOTED)
		return dss_err_set(err, "line %lu: unterminated quoted field",
		    c->rec_line);
	if (!rd->started)
		return 0;
	return end_field(c, rd->start, err) < 0 ? -1 : 1;
}

/*
 * At the start of a field or inside an unquoted one: takes the plain
 * bytes in [p, e).  Returns 1 with *ch the comma or line end that ends
 * the field, 0 to read on, or -1.
 */
static int
in_plain(struct dss_csv *c, struct rd *rd, const char *p, const char *e,
    char *ch, struct dss_err *err)
{
	const char *q;

	if (rd->state == START && *p == '"') {
		rd->state = QUOTED;
		rd->quoted = 1;
		c->in_pos++;
		return 0;
	}
	rd->state = UNQUOTED;
	q = scan_plain(p, e);
	if (q > p && add(c, p, (size_t)(q - p), rd->start, err) < 0)
		return -1;
	c->in_pos += (size_t)(q - p);
	if (q == e)
		return 0;
	*ch = *q;
	c->in_pos++;
	return 1;
}

/* Inside a quoted field: takes the bytes in [p, e) up to a quote.  0 to
 * read on, or -1. */
static int
in_quoted(struct dss_csv *c, struct rd *rd, const char *p, const char *e,
    struct dss_err *err)
{
	const char *q = scan_quoted(p, e, &c->line);

	if (q > p && add(c, p, (size_t)(q - p), rd->start, err) < 0)
		return -1;
	c->in_pos += (size_t)(q - p);
	if (q < e) {
		c->in_pos++;
		rd->state = QUOTE;
	}
	return 0;
}

/*
 * Just after a quote inside a quoted field: a second quote is one quote
 * of the field, a comma or line end (*ch, 1) ends it, anything else is
 * taken as it is.  0 to read on, 1, or -1.
 */
static int
after_quote(struct dss_csv *c, struct rd *rd, char *ch, struct dss_err *err)
{
	*ch = c->in[c->in_pos++];
	if (*ch == '"') {
		rd->state = QUOTED;
		return add(c, "\"", 1, rd->start, err) < 0 ? -1 : 0;
	}
	if (*ch != ',' && *ch != '\n' && *ch != '\r') {
		rd->state = UNQUOTED;
		return add(c, ch, 1, rd->start, err) < 0 ? -1 : 0;
	}
	return 1;
}

/*
 * ch ends a field: after a comma the next field starts (0); at the end
 * of a line the record ends (1), or, when the line was empty, the next
 * record is to be read instead (2).  -1 on error.
 */
static int
at_separator(struct dss_csv *c, struct rd *rd, char ch, struct dss_err *err)
{
	int r;

	if (ch == ',') {
		if (end_field(c, rd->start, err) < 0)
			return -1;
		rd->start = c->rec.len;
		rd->state = START;
		rd->quoted = 0;
		return 0;
	}
	if (ch == '\r') {
		if ((r = fill(c, err)) < 0)
			return -1;
		if (r && c->in[c->in_pos] == '\n')
			c->in_pos++;
	}
	c->line++;
	if (c->nf == 0 && !rd->quoted && c->rec.len == 0)
		return 2;
	return end_field(c, rd->start, err) < 0 ? -1 : 1;
}

/* Reads one record into c->rec: 1, 0 at the end, 2 for an empty line
 * (nothing read), -1. */
static int
read_record(struct dss_csv *c, struct dss_err *err)
{
	struct rd rd = { START, 0, 0, 0 };
	int r;

	dss_buf_reset(&c->rec);
	c->nf = 0;
	c->rec_line = c->line;
	for (;;) {
		const char *p, *e;
		char ch;

		if ((r = fill(c, err)) <= 0)
			return r < 0 ? -1 : at_end(c, &rd, err);
		rd.started = 1;
		p = c->in + c->in_pos;
		e = c->in + c->in_len;
		if (rd.state == UNQUOTED || rd.state == START)
			r = in_plain(c, &rd, p, e, &ch, err);
		else if (rd.state == QUOTED)
			r = in_quoted(c, &rd, p, e, err);
		else
			r = after_quote(c, &rd, &ch, err);
		if (r == 1)
			r = at_separator(c, &rd, ch, err);
		if (r != 0)
			return r;
	}
}

int
dss_csv_next(struct dss_csv *c, struct dss_err *err)
{
	int r;

	while ((r = read_record(c, err)) == 2)
		;
	return r;
}

size_t
dss_csv_count(const struct dss_csv *c)
{
	return c->nf;
}

const char *
dss_csv_field(const struct dss_csv *c, size_t i, size_t *len)
{
	if (i >= c->nf)
		return NULL;
	if (len != NULL)
		*len = c->len[i];
	return c->rec.data + c->off[i];
}

unsigned long
dss_csv_lineno(const struct dss_csv *c)
{
	return c->rec_line;
}

int
dss_csv_read_header(struct dss_csv *c, struct dss_err *err)
{
	size_t i;
	int r;

	if ((r = dss_csv_next(c, err)) < 0)
		return -1;
	if (r == 0)
		return dss_err_set(err, "'%s' has no header", c->name);
	if ((c->header = calloc(c->nf, sizeof *c->header)) == NULL)
		return dss_err_errno(err, ENOMEM, "'%s'", c->name);
	for (i = 0; i < c->nf; i++) {
		const char *f = dss_csv_field(c, i, NULL);

		if (i == 0 && strncmp(f, "\xef\xbb\xbf", 3) == 0)
			f += 3;
		if ((c->header[i] = strdup(f)) == NULL)
			return dss_err_errno(err, ENOMEM, "'%s'", c->name);
		c->nheader = i + 1;
	}
	return 0;
}

int
dss_csv_column(const struct dss_csv *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nheader; i++)
		if (strcmp(c->header[i], name) == 0)
			return (int)i;
	return -1;
}
