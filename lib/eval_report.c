/* SPDX-License-Identifier: MIT */
/*
 * The reports of dss-eval, built from the public results of lib/eval:
 * the text table and ablation tables, JSON Lines, and the SVG chart.
 * The ablation table and the chart share one layout of each dataset and
 * split: columns (or x positions) are the percentages of training data
 * when any group has a fraction, else the model sizes; rows (or lines)
 * are methods; groups with neither are references.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "jscan.h"
#include "jsonw.h"
#include "svg.h"
#include "table.h"

enum { BY_NONE, BY_FRACTION, BY_SIZE };

/* The layout of the groups [a, b) of one dataset and split. */
struct panel {
	size_t a, b;
	int by;
	size_t nx, nrows;
	double *x;		/* BY_FRACTION: the fractions, ascending */
	const char **xs;	/* BY_SIZE: the sizes, ascending */
	size_t *row_first;	/* the first group of each row */
	long *row, *col;	/* by group - a: row and column, -1 for a reference */
};

static const struct dss_eval_group *
G(const struct dss_eval *e, size_t i)
{
	return dss_eval_group(e, i);
}

static int
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static int
cmp_size(const void *pa, const void *pb)
{
	const char *a = *(const char *const *)pa, *b = *(const char *const *)pb;
	double x = dss_eval_size_value(a), y = dss_eval_size_value(b);

	if (isnan(x) || isnan(y)) {
		if (isnan(x) != isnan(y))
			return isnan(x) ? 1 : -1;
		return strcmp(a, b);
	}
	return x < y ? -1 : x > y;
}

static void
panel_free(struct panel *p)
{
	free(p->x);
	free(p->xs);
	free(p->row_first);
	free(p->row);
	free(p->col);
}

/* Lays out the groups from a to the end of their dataset and split. */
static int
panel_make(const struct dss_eval *e, size_t a, struct panel *p)
{
	size_t n = dss_eval_ngroups(e), i, j, k;

	memset(p, 0, sizeof(*p));
	p->a = a;
	for (p->b = a + 1; p->b < n && strcmp(G(e, p->b)->dataset,
	    G(e, a)->dataset) == 0 && strcmp(G(e, p->b)->split,
	    G(e, a)->split) == 0; p->b++)
		;
	k = p->b - a;
	p->x = calloc(k, sizeof(*p->x));
	p->xs = calloc(k, sizeof(*p->xs));
	p->row_first = calloc(k, sizeof(*p->row_first));
	p->row = calloc(k, sizeof(*p->row));
	p->col = calloc(k, sizeof(*p->col));
	if (!p->x || !p->xs || !p->row_first || !p->row || !p->col)
		return -1;
	p->by = BY_NONE;
	for (i = a; i < p->b; i++) {
		if (!isnan(G(e, i)->fraction))
			p->by = BY_FRACTION;
		else if (G(e, i)->size != NULL && p->by == BY_NONE)
			p->by = BY_SIZE;
	}
	for (i = a; i < p->b; i++) {
		const struct dss_eval_group *g = G(e, i);
		int in = p->by == BY_FRACTION ? !isnan(g->fraction) :
		    p->by == BY_SIZE ? g->size != NULL : 0;

		p->row[i - a] = p->col[i - a] = -1;
		if (!in)
			continue;
		for (j = 0; j < p->nrows; j++) {
			const struct dss_eval_group *r = G(e, p->row_first[j]);

			if (strcmp(r->method, g->method) == 0 &&
			    (p->by == BY_SIZE || same_str(r->size, g->size)))
				break;
		}
		if (j == p->nrows)
			p->row_first[p->nrows++] = i;
		p->row[i - a] = (long)j;
		if (p->by == BY_FRACTION) {
			for (j = 0; j < p->nx && p->x[j] != g->fraction; j++)
				;
			if (j == p->nx)
				p->x[p->nx++] = g->fraction;
		} else {
			for (j = 0; j < p->nx && strcmp(p->xs[j], g->size); j++)
				;
			if (j == p->nx)
				p->xs[p->nx++] = g->size;
		}
	}
	if (p->by == BY_FRACTION) {
		/* insertion sort: a handful of fractions */
		for (i = 1; i < p->nx; i++)
			for (j = i; j > 0 && p->x[j - 1] > p->x[j]; j--) {
				double t = p->x[j];

				p->x[j] = p->x[j - 1];
				p->x[j - 1] = t;
			}
	} else if (p->by == BY_SIZE)
		qsort(p->xs, p->nx, sizeof(*p->xs), cmp_size);
	for (i = a; i < p->b; i++) {
		const struct dss_eval_group *g = G(e, i);

		if (p->row[i - a] < 0)
			continue;
		for (j = 0; j < p->nx; j++)
			if (p->by == BY_FRACTION ? p->x[j] == g->fraction :
			    strcmp(p->xs[j], g->size) == 0)
				break;
		p->col[i - a] = (long)j;
	}
	return 0;
}

/* The label of a row or reference: its method, and its size when the
 * columns are fractions. */
static void
row_label(char *b, size_t n, const struct dss_eval_group *g, int by)
{
	if (g->size != NULL && by != BY_SIZE)
		snprintf(b, n, "%s (%s)", g->method, g->size);
	else
		snprintf(b, n, "%s", g->method);
}

static void
fraction_text(char *b, size_t n, double f)
{
	if (isnan(f))
		snprintf(b, n, "-");
	else
		snprintf(b, n, "%.4g", f * 100);
}

static void
pct(char *b, size_t n, double v, int digits)
{
	if (isnan(v))
		snprintf(b, n, "-");
	else
		snprintf(b, n, "%.*f", digits, v * 100);
}

/* ---- text ---- */

static int
ablation_text(const struct dss_eval *e, const struct panel *p,
    struct dss_buf *out)
{
	struct dss_table t;
	char align[DSS_TABLE_MAX_COLS + 1], cell[512];
	size_t ncols = p->nx + 1, r, c, i;
	int refs = 0, rc;

	if (p->by == BY_NONE || p->b - p->a < 2)
		return 0;
	if (ncols > DSS_TABLE_MAX_COLS)
		ncols = DSS_TABLE_MAX_COLS;
	memset(align, 'r', ncols);
	align[0] = 'l';
	align[ncols] = '\0';
	if (dss_buf_addf(out, "\n%s %s: accuracy (%%) by %s\n", G(e, p->a)->dataset,
	    G(e, p->a)->split, p->by == BY_FRACTION ?
	    "% of training data" : "model size") < 0)
		return -1;
	dss_table_init(&t, ncols, align);
	dss_table_add(&t, "method");
	for (c = 0; c + 1 < ncols; c++) {
		if (p->by == BY_FRACTION)
			fraction_text(cell, sizeof(cell), p->x[c]);
		else
			snprintf(cell, sizeof(cell), "%s", p->xs[c]);
		dss_table_add(&t, cell);
	}
	for (r = 0; r < p->nrows; r++) {
		row_label(cell, sizeof(cell), G(e, p->row_first[r]), p->by);
		dss_table_add(&t, cell);
		for (c = 0; c + 1 < ncols; c++) {
			for (i = p->a; i < p->b; i++)
				if (p->row[i - p->a] == (long)r &&
				    p->col[i - p->a] == (long)c)
					break;
			if (i < p->b)
				pct(cell, sizeof(cell), G(e, i)->accuracy, 1);
			else
				snprintf(cell, sizeof(cell), "-");
			dss_table_add(&t, cell);
		}
	}
	rc = dss_table_render(&t, out, "  ");
	dss_table_free(&t);
	if (rc < 0)
		return -1;
	for (i = p->a; i < p->b; i++) {
		char acc[32];

		if (p->row[i - p->a] >= 0)
			continue;
		row_label(cell, sizeof(cell), G(e, i), p->by);
		pct(acc, sizeof(acc), G(e, i)->accuracy, 1);
		if (dss_buf_addf(out, "%s%s %s", refs++ ? ", " : "  reference: ",
		    cell, acc) < 0)
			return -1;
	}
	if (refs && dss_buf_addch(out, '\n') < 0)
		return -1;
	return 0;
}

int
dss_eval_text(const struct dss_eval *e, struct dss_buf *out,
    struct dss_err *err)
{
	size_t n = dss_eval_ngroups(e), i, ncols;
	int any_size = 0, any_diff = 0, official = 0, r = -1;
	struct dss_table t;
	char align[16], a[64], b[64], c[64];

	for (i = 0; i < n; i++) {
		const struct dss_eval_group *g = G(e, i);

		any_size |= g->size != NULL;
		any_diff |= g->folded_correct != g->official_correct;
	}
	official = dss_eval_official(e);
	snprintf(align, sizeof(align), "lll%srrrlrr%s", any_size ? "l" : "",
	    any_diff ? "r" : "");
	ncols = strlen(align);
	dss_table_init(&t, ncols, align);
	dss_table_add(&t, "dataset");
	dss_table_add(&t, "split");
	dss_table_add(&t, "method");
	if (any_size)
		dss_table_add(&t, "size");
	dss_table_add(&t, "train %");
	dss_table_add(&t, "n");
	dss_table_add(&t, official ? "accuracy (official)" : "accuracy");
	dss_table_add(&t, "95% CI");
	dss_table_add(&t, "unparsable");
	dss_table_add(&t, "missing");
	if (any_diff)
		dss_table_add(&t, official ? "folded" : "official");
	for (i = 0; i < n; i++) {
		const struct dss_eval_group *g = G(e, i);

		dss_table_add(&t, g->dataset);
		dss_table_add(&t, g->split);
		dss_table_add(&t, g->method);
		if (any_size)
			dss_table_add(&t, g->size ? g->size : "-");
		fraction_text(a, sizeof(a), g->fraction);
		dss_table_add(&t, a);
		dss_table_addf(&t, "%lu", g->n);
		pct(a, sizeof(a), g->accuracy, 2);
		dss_table_add(&t, a);
		pct(b, sizeof(b), g->ci_low, 2);
		pct(c, sizeof(c), g->ci_high, 2);
		if (isnan(g->ci_low))
			dss_table_add(&t, "-");
		else
			dss_table_addf(&t, "[%s, %s]", b, c);
		dss_table_addf(&t, "%lu", g->unparsable);
		dss_table_addf(&t, "%lu", g->missing);
		if (any_diff) {
			pct(a, sizeof(a), official ? g->folded_accuracy :
			    g->official_accuracy, 2);
			dss_table_add(&t, a);
		}
	}
	if (dss_table_render(&t, out, "") < 0)
		goto out;
	for (i = 0; i < n; ) {
		struct panel p;
		int rc = panel_make(e, i, &p);

		if (rc == 0)
			rc = ablation_text(e, &p, out);
		i = p.b;
		panel_free(&p);
		if (rc < 0)
			goto out;
	}
	r = 0;
out:
	dss_table_free(&t);
	if (r < 0)
		dss_err_errno(err, ENOMEM, "report");
	return r;
}

/* ---- JSON ---- */

/* ,"key": and a NUL-terminated string, or null. */
#define STR(b, key, v) DSS_JSONW_STR((b), key, (v), (v) ? strlen(v) : 0)

int
dss_eval_json(const struct dss_eval *e, struct dss_buf *out,
    struct dss_err *err)
{
	size_t n = dss_eval_ngroups(e), i;
	int official = dss_eval_official(e), bad = 0;

	for (i = 0; i < n && !bad; i++) {
		const struct dss_eval_group *g = G(e, i);
		size_t start = out->len;

		bad |= DSS_JSONW_STR(out, "dataset", g->dataset,
		    strlen(g->dataset)) < 0 ||
		    STR(out, "split", g->split) < 0 ||
		    STR(out, "method", g->method) < 0 ||
		    DSS_JSONW_NUM(out, "fraction", g->fraction) < 0 ||
		    STR(out, "size", g->size) < 0 ||
		    STR(out, "rule", official ? "official" : "folded") < 0 ||
		    DSS_JSONW_NUM(out, "n", (double)g->n) < 0 ||
		    DSS_JSONW_NUM(out, "correct", (double)g->correct) < 0 ||
		    DSS_JSONW_NUM(out, "accuracy", g->accuracy) < 0;
		if (isnan(g->ci_low))
			bad |= DSS_JSONW_RAW(out, "ci95", "null", 4) < 0;
		else
			bad |= DSS_JSONW_KEY(out, "ci95") < 0 ||
			    dss_buf_addch(out, '[') < 0 ||
			    dss_jscan_number(out, g->ci_low) < 0 ||
			    dss_buf_addch(out, ',') < 0 ||
			    dss_jscan_number(out, g->ci_high) < 0 ||
			    dss_buf_addch(out, ']') < 0;
		bad |= DSS_JSONW_NUM(out, "unparsable", (double)g->unparsable) < 0 ||
		    DSS_JSONW_NUM(out, "official_accuracy",
		    g->official_accuracy) < 0 ||
		    DSS_JSONW_NUM(out, "folded_accuracy", g->folded_accuracy) < 0 ||
		    DSS_JSONW_NUM(out, "missing", (double)g->missing) < 0 ||
		    dss_jsonw_end(out, start) < 0;
	}
	if (bad)
		return dss_err_errno(err, ENOMEM, "report");
	return 0;
}

/* ---- SVG ---- */

#define PANEL_W 760.0
#define PANEL_H 400.0
#define PLOT_L 80.0
#define PLOT_R 540.0
#define PLOT_T 56.0
#define PLOT_B 330.0

/*
 * Fills pts with the groups (their indices) of row r of p that have an
 * accuracy, column by column; returns how many.  pts holds p->b - p->a.
 */
static size_t
row_points(const struct dss_eval *e, const struct panel *p, size_t r,
    size_t *pts)
{
	size_t c, i, np = 0;

	for (c = 0; c < p->nx; c++)
		for (i = p->a; i < p->b; i++)
			if (p->row[i - p->a] == (long)r &&
			    p->col[i - p->a] == (long)c &&
			    !isnan(G(e, i)->accuracy))
				pts[np++] = i;
	return np;
}

/* The legend of a panel: a name, a colour and a dash for each line. */
struct legend {
	const char *names[64], *colors[64];
	char labels[64][128];
	int dash[64];
	size_t n;
};

static void
legend_add(struct legend *l, const struct dss_eval_group *g, int by,
    const char *color, int dash)
{
	row_label(l->labels[l->n], sizeof(l->labels[l->n]), g, by);
	l->names[l->n] = l->labels[l->n];
	l->colors[l->n] = color;
	l->dash[l->n++] = dash;
}

/* The accuracy scale of a panel: the range of its values and their
 * intervals (in %), at least 2 points wide, within 0 to 100. */
static struct dss_svg_scale
y_scale(const struct dss_eval *e, const struct panel *p, double top)
{
	double lo = INFINITY, hi = -INFINITY;
	size_t i, k;

	for (i = p->a; i < p->b; i++) {
		const struct dss_eval_group *g = G(e, i);
		double v[3] = { g->accuracy, g->ci_low, g->ci_high };

		for (k = 0; k < 3; k++)
			if (!isnan(v[k])) {
				lo = fmin(lo, v[k] * 100);
				hi = fmax(hi, v[k] * 100);
			}
	}
	if (!(lo <= hi))
		lo = 0, hi = 100;
	if (hi - lo < 2) {
		lo -= 1;
		hi += 1;
	}
	return (struct dss_svg_scale){ fmax(0, lo), fmin(100, hi),
	    top + PLOT_B, top + PLOT_T };
}

/* Draws the panel's title and axes; *xs gets the x scale. */
static void
panel_axes(const struct dss_eval *e, const struct panel *p, struct dss_svg *s,
    double top, struct dss_svg_scale *ys, struct dss_svg_scale *xs)
{
	double ticks[16];
	const char *tlabels[16];
	char title[512];
	size_t i, nt;

	nt = dss_svg_ticks(&ys->lo, &ys->hi, 8, ticks);
	snprintf(title, sizeof(title), "%s %s: accuracy by %s",
	    G(e, p->a)->dataset, G(e, p->a)->split,
	    p->by == BY_SIZE ? "model size" : "% of training data");
	dss_svg_text(s, PANEL_W / 2, top + 28, "middle", 15, 1, "title", title);
	dss_svg_axis(s, ys, 1, PLOT_L, ticks, NULL, nt, "accuracy (%)");
	if (p->by == BY_SIZE) {
		*xs = (struct dss_svg_scale){ 0, (double)p->nx, PLOT_L, PLOT_R };
		for (i = 0; i < p->nx && i < 16; i++) {
			ticks[i] = (double)i + 0.5;
			tlabels[i] = p->xs[i];
		}
		dss_svg_axis(s, xs, 0, top + PLOT_B, ticks, tlabels, i,
		    "model size");
	} else {
		*xs = (struct dss_svg_scale){ 0, 100, PLOT_L, PLOT_R };
		for (i = 0; i < p->nx && i < 16; i++)
			ticks[i] = p->x[i] * 100;
		if (i == 0) {
			ticks[0] = 0;
			ticks[1] = 100;
			i = 2;
		}
		dss_svg_axis(s, xs, 0, top + PLOT_B, ticks, NULL, i,
		    "% of training data");
	}
}

/*
 * Draws row r of the panel as a series: its line, and each point with
 * its interval.  xy and pts are scratch space for every group of the
 * panel.
 */
static void
panel_series(const struct dss_eval *e, const struct panel *p,
    struct dss_svg *s, const struct dss_svg_scale *xs,
    const struct dss_svg_scale *ys, size_t r, double *xy, size_t *pts,
    const char *color)
{
	const struct dss_eval_group *first = G(e, p->row_first[r]);
	const char *sa[5] = { "method", first->method, "size", first->size,
	    NULL };
	char yv[64], xv[64];
	size_t np, k;

	if (first->size == NULL || p->by == BY_SIZE)
		sa[2] = NULL;
	dss_svg_group(s, "series", sa);
	np = row_points(e, p, r, pts);
	for (k = 0; k < np; k++) {
		const struct dss_eval_group *g = G(e, pts[k]);

		xy[2 * k] = dss_svg_map(xs, p->by == BY_SIZE ?
		    (double)p->col[pts[k] - p->a] + 0.5 : g->fraction * 100);
		xy[2 * k + 1] = dss_svg_map(ys, g->accuracy * 100);
	}
	if (np > 1)
		dss_svg_polyline(s, xy, np, color, 2.5, 0, "line");
	for (k = 0; k < np; k++) {
		const struct dss_eval_group *g = G(e, pts[k]);

		if (!isnan(g->ci_low))
			dss_svg_line(s, xy[2 * k], dss_svg_map(ys,
			    g->ci_low * 100), xy[2 * k], dss_svg_map(ys,
			    g->ci_high * 100), color, 1.2, 0, "ci");
		if (p->by == BY_SIZE)
			snprintf(xv, sizeof(xv), "%s", g->size);
		else
			snprintf(xv, sizeof(xv), "%.10g", g->fraction * 100);
		snprintf(yv, sizeof(yv), "%.10g", g->accuracy * 100);
		dss_svg_point(s, xy[2 * k], xy[2 * k + 1], 4, color,
		    "point", xv, yv);
	}
	dss_svg_group_end(s);
}

/* Draws each reference group of the panel (one in no row) as a dashed
 * line across it, and adds it to the legend. */
static void
panel_references(const struct dss_eval *e, const struct panel *p,
    struct dss_svg *s, const struct dss_svg_scale *ys, struct legend *l)
{
	char yv[64];
	size_t i;

	for (i = p->a; i < p->b && l->n < 64; i++) {
		const struct dss_eval_group *g = G(e, i);
		const char *ra[7] = { "y", yv, "method", g->method, "size",
		    g->size, NULL };
		double y;

		if (p->row[i - p->a] >= 0 || isnan(g->accuracy))
			continue;
		if (g->size == NULL)
			ra[4] = NULL;
		y = dss_svg_map(ys, g->accuracy * 100);
		snprintf(yv, sizeof(yv), "%.10g", g->accuracy * 100);
		dss_svg_group(s, "reference", ra);
		dss_svg_line(s, PLOT_L, y, PLOT_R, y, "#555555", 1.8, 7, "line");
		dss_svg_group_end(s);
		legend_add(l, g, p->by, "#555555", 1);
	}
}

static void
panel_svg(const struct dss_eval *e, const struct panel *p, struct dss_svg *s,
    double top)
{
	struct dss_svg_scale xs, ys = y_scale(e, p, top);
	struct legend l;
	const char *attrs[5] = { "dataset", G(e, p->a)->dataset, "split",
	    G(e, p->a)->split, NULL };
	double *xy;
	size_t *pts, r;

	l.n = 0;
	dss_svg_group(s, "panel", attrs);
	panel_axes(e, p, s, top, &ys, &xs);
	xy = calloc(2 * (p->b - p->a + 1), sizeof(*xy));
	pts = calloc(p->b - p->a + 1, sizeof(*pts));
	if (xy == NULL || pts == NULL) {
		free(xy);
		free(pts);
		s->failed = 1;
		dss_svg_group_end(s);
		return;
	}
	for (r = 0; r < p->nrows && l.n < 64; r++) {
		const char *color = dss_svg_color(l.n);

		panel_series(e, p, s, &xs, &ys, r, xy, pts, color);
		legend_add(&l, G(e, p->row_first[r]), p->by, color, 0);
	}
	panel_references(e, p, s, &ys, &l);
	free(xy);
	free(pts);
	dss_svg_legend(s, PLOT_R + 24, top + PLOT_T + 10, l.names, l.colors,
	    l.dash, l.n, 0);
	dss_svg_group_end(s);
}

int
dss_eval_svg(const struct dss_eval *e, struct dss_buf *out,
    struct dss_err *err)
{
	struct dss_svg s = DSS_SVG_INIT;
	size_t n = dss_eval_ngroups(e), i, npanels = 0;
	double top = 0;
	int r = -1;

	for (i = 0; i < n; npanels++) {
		struct panel p;

		if (panel_make(e, i, &p) < 0) {
			panel_free(&p);
			return dss_err_errno(err, ENOMEM, "chart");
		}
		i = p.b;
		panel_free(&p);
	}
	dss_svg_begin(&s, PANEL_W, PANEL_H * (double)(npanels ? npanels : 1),
	    "dss-eval: accuracy");
	for (i = 0; i < n; top += PANEL_H) {
		struct panel p;

		if (panel_make(e, i, &p) < 0) {
			panel_free(&p);
			goto out;
		}
		panel_svg(e, &p, &s, top);
		i = p.b;
		panel_free(&p);
	}
	if (dss_svg_finish(&s, err) < 0)
		goto out;
	if (dss_buf_add(out, s.b.data, s.b.len) < 0) {
		dss_err_errno(err, ENOMEM, "chart");
		goto out;
	}
	r = 0;
out:
	if (r < 0 && err != NULL && err->msg[0] == '\0')
		dss_err_errno(err, ENOMEM, "chart");
	dss_svg_free(&s);
	return r;
}
