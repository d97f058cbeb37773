/* SPDX-License-Identifier: MIT */
/*
 * A small writer of plain SVG charts, shared by dss-eval and dss-stats:
 * text, lines, polylines, circles, rectangles (bars), axes with ticks
 * and labels, and legends, appended to a buffer that is then written
 * to a file atomically.  The output is SVG 1.1 that browsers and XML
 * parsers read; every element carries a class naming what it is, and
 * data points their values in data-* attributes, so that tests and
 * scripts can read a chart back.  Text is escaped for XML, with
 * control characters and invalid UTF-8 replaced.
 *
 * Drawing calls never fail one by one: a failure to grow the buffer is
 * remembered, and dss_svg_finish reports it.
 */
#ifndef DSS_SVG_H
#define DSS_SVG_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

struct dss_svg {
	struct dss_buf b;
	int failed;		/* a buffer append failed */
};

#define DSS_SVG_INIT { DSS_BUF_INIT, 0 }

/* A linear map of the values lo..hi onto the coordinates from..to. */
struct dss_svg_scale {
	double lo, hi;
	double from, to;
};

/* Starts a document of width x height pixels with a title. */
void dss_svg_begin(struct dss_svg *s, double width, double height,
    const char *title);
/* Opens and closes a group (<g class=... data-NAME=VALUE ...>); attrs is
 * NULL or pairs of name and value ending in NULL. */
void dss_svg_group(struct dss_svg *s, const char *cls,
    const char *const *attrs);
void dss_svg_group_end(struct dss_svg *s);
/* anchor is "start", "middle" or "end"; bold is 0 or 1. */
void dss_svg_text(struct dss_svg *s, double x, double y, const char *anchor,
    double size, int bold, const char *cls, const char *text);
/* dash is 0 for a solid line, else the dash length. */
void dss_svg_line(struct dss_svg *s, double x1, double y1, double x2,
    double y2, const char *color, double width, double dash, const char *cls);
/* xy holds n points as x0, y0, x1, y1, ... */
void dss_svg_polyline(struct dss_svg *s, const double *xy, size_t n,
    const char *color, double width, double dash, const char *cls);
/* A circle; x_value and y_value (may be NULL) become data-x and data-y. */
void dss_svg_point(struct dss_svg *s, double x, double y, double r,
    const char *color, const char *cls, const char *x_value,
    const char *y_value);
/* A filled rectangle (a bar) with a tooltip (title, may be NULL) and
 * data-value (may be NULL). */
void dss_svg_rect(struct dss_svg *s, double x, double y, double w, double h,
    const char *color, const char *cls, const char *title, const char *value);
/*
 * An axis: along x at the height y = at (vertical 0), or along y at
 * x = at (vertical 1), over the scale's coordinates, with a tick and a
 * label at each of the n positions (values on the scale; labels[i] is
 * its text, or NULL for the value printed shortest), then the axis
 * title.  Ticks have the class "xtick" or "ytick" and data-value; their
 * labels "xtick-label" or "ytick-label".
 */
void dss_svg_axis(struct dss_svg *s, const struct dss_svg_scale *sc,
    int vertical, double at, const double *ticks, const char *const *labels,
    size_t n, const char *title);
/*
 * A legend box at (x, y): one row per name, a line (dashed where
 * dash[i] is non-zero; dash may be NULL) or a square (square 1) in
 * colors[i].
 */
void dss_svg_legend(struct dss_svg *s, double x, double y,
    const char *const *names, const char *const *colors, const int *dash,
    size_t n, int square);
/* Ends the document.  Returns 0, or -1 with err set when a call failed. */
int dss_svg_finish(struct dss_svg *s, struct dss_err *err);
/* Writes the finished document to path atomically.  Returns 0 or -1. */
int dss_svg_write(const struct dss_svg *s, const char *path,
    struct dss_err *err);
void dss_svg_free(struct dss_svg *s);

/* The coordinate of v on the scale. */
double dss_svg_map(const struct dss_svg_scale *sc, double v);
/*
 * Up to max "nice" tick values (steps of 1, 2 or 5 times a power of ten)
 * covering lo..hi, widening lo and hi to whole steps.  Returns how many
 * were stored in out (at least 2 when max >= 2 and lo < hi).
 */
size_t dss_svg_ticks(double *lo, double *hi, size_t max, double *out);
/* The i-th color of a palette that color-blind readers can tell apart. */
const char *dss_svg_color(size_t i);
/* Appends text to b escaped for XML (see above). */
int dss_svg_escape(struct dss_buf *b, const char *text);

#endif
