/* SPDX-License-Identifier: MIT */
/* The plain SVG writer: elements appended to a buffer, written atomically. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "file.h"
#include "svg.h"

#define FONT "font-family=\"Helvetica, Arial, sans-serif\""

/* The Okabe-Ito palette, without its yellow (too pale on white). */
static const char *const palette[] = {
	"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
	"#000000", "#999999"
};

const char *
dss_svg_color(size_t i)
{
	return palette[i % (sizeof(palette) / sizeof(palette[0]))];
}

static void
addf(struct dss_svg *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
addf(struct dss_svg *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (dss_buf_vaddf(&s->b, fmt, ap) < 0)
		s->failed = 1;
	va_end(ap);
}

static void
esc(struct dss_svg *s, const char *text)
{
	if (dss_svg_escape(&s->b, text) < 0)
		s->failed = 1;
}

/* The length of the valid UTF-8 sequence at p (n bytes left), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned long cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
	    cp == 0xfffe || cp == 0xffff)
		return 0;
	return len;
}

int
dss_svg_escape(struct dss_buf *b, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t n = strlen(text);

	while (n > 0) {
		size_t len = utf8_len(p, n);
		int r;

		if (len == 0) {
			r = dss_buf_adds(b, "\xef\xbf\xbd");	/* U+FFFD */
			len = 1;
		} else if (*p == '&')
			r = dss_buf_adds(b, "&amp;");
		else if (*p == '<')
			r = dss_buf_adds(b, "&lt;");
		else if (*p == '>')
			r = dss_buf_adds(b, "&gt;");
		else if (*p == '"')
			r = dss_buf_adds(b, "&quot;");
		else if (*p == '\'')
			r = dss_buf_adds(b, "&apos;");
		else if (*p < 0x20 || *p == 0x7f)
			r = dss_buf_addch(b, ' ');
		else
			r = dss_buf_add(b, p, len);
		if (r < 0)
			return -1;
		p += len;
		n -= len;
	}
	return 0;
}

double
dss_svg_map(const struct dss_svg_scale *sc, double v)
{
	if (sc->hi == sc->lo)
		return (sc->from + sc->to) / 2;
	return sc->from + (v - sc->lo) / (sc->hi - sc->lo) * (sc->to - sc->from);
}

void
dss_svg_begin(struct dss_svg *s, double width, double height,
    const char *title)
{
	addf(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
	    "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n"
	    "<title>", width, height, width, height);
	esc(s, title);
	addf(s, "</title>\n<rect class=\"background\" x=\"0\" y=\"0\" "
	    "width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", width, height);
}

void
dss_svg_group(struct dss_svg *s, const char *cls, const char *const *attrs)
{
	addf(s, "<g class=\"%s\"", cls);
	for (; attrs != NULL && attrs[0] != NULL; attrs += 2) {
		addf(s, " data-%s=\"", attrs[0]);
		esc(s, attrs[1] ? attrs[1] : "");
		addf(s, "\"");
	}
	addf(s, ">\n");
}

void
dss_svg_group_end(struct dss_svg *s)
{
	addf(s, "</g>\n");
}

void
dss_svg_text(struct dss_svg *s, double x, double y, const char *anchor,
    double size, int bold, const char *cls, const char *text)
{
	addf(s, "<text class=\"%s\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"%s\" "
	    FONT " font-size=\"%.1f\"%s fill=\"#222222\">", cls, x, y, anchor,
	    size, bold ? " font-weight=\"bold\"" : "");
	esc(s, text);
	addf(s, "</text>\n");
}

static void
dash_attr(struct dss_svg *s, double dash)
{
	if (dash > 0)
		addf(s, " stroke-dasharray=\"%.1f %.1f\"", dash, dash * 0.6);
}

void
dss_svg_line(struct dss_svg *s, double x1, double y1, double x2, double y2,
    const char *color, double width, double dash, const char *cls)
{
	addf(s, "<line class=\"%s\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" "
	    "y2=\"%.2f\" stroke=\"%s\" stroke-width=\"%.1f\"", cls, x1, y1, x2,
	    y2, color, width);
	dash_attr(s, dash);
	addf(s, "/>\n");
}

void
dss_svg_polyline(struct dss_svg *s, const double *xy, size_t n,
    const char *color, double width, double dash, const char *cls)
{
	size_t i;

	addf(s, "<polyline class=\"%s\" fill=\"none\" stroke=\"%s\" "
	    "stroke-width=\"%.1f\"", cls, color, width);
	dash_attr(s, dash);
	addf(s, " points=\"");
	for (i = 0; i < n; i++)
		addf(s, "%s%.2f,%.2f", i ? " " : "", xy[2 * i], xy[2 * i + 1]);
	addf(s, "\"/>\n");
}

void
dss_svg_point(struct dss_svg *s, double x, double y, double r,
    const char *color, const char *cls, const char *x_value,
    const char *y_value)
{
	addf(s, "<circle class=\"%s\" cx=\"%.2f\" cy=\"%.2f\" r=\"%.1f\" "
	    "fill=\"%s\"", cls, x, y, r, color);
	if (x_value != NULL) {
		addf(s, " data-x=\"");
		esc(s, x_value);
		addf(s, "\"");
	}
	if (y_value != NULL) {
		addf(s, " data-y=\"");
		esc(s, y_value);
		addf(s, "\"");
	}
	addf(s, "/>\n");
}

void
dss_svg_rect(struct dss_svg *s, double x, double y, double w, double h,
    const char *color, const char *cls, const char *title, const char *value)
{
	addf(s, "<rect class=\"%s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
	    "height=\"%.2f\" fill=\"%s\"", cls, x, y, w, h, color);
	if (value != NULL) {
		addf(s, " data-value=\"");
		esc(s, value);
		addf(s, "\"");
	}
	if (title == NULL) {
		addf(s, "/>\n");
		return;
	}
	addf(s, "><title>");
	esc(s, title);
	addf(s, "</title></rect>\n");
}

void
dss_svg_axis(struct dss_svg *s, const struct dss_svg_scale *sc, int vertical,
    double at, const double *ticks, const char *const *labels, size_t n,
    const char *title)
{
	const char *axis = vertical ? "ytick" : "xtick";
	char num[64], cls[32];
	size_t i;

	if (vertical)
		dss_svg_line(s, at, sc->from, at, sc->to, "#444444", 1, 0, "axis");
	else
		dss_svg_line(s, sc->from, at, sc->to, at, "#444444", 1, 0, "axis");
	snprintf(cls, sizeof(cls), "%s-label", axis);
	for (i = 0; i < n; i++) {
		double p = dss_svg_map(sc, ticks[i]);

		snprintf(num, sizeof(num), "%.10g", ticks[i]);
		if (vertical) {
			addf(s, "<line class=\"%s\" data-value=\"%s\" x1=\"%.2f\" "
			    "y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#444444\" "
			    "stroke-width=\"1\"/>\n", axis, num, at - 5, p, at, p);
			dss_svg_text(s, at - 8, p + 4, "end", 11, 0, cls,
			    labels && labels[i] ? labels[i] : num);
		} else {
			addf(s, "<line class=\"%s\" data-value=\"%s\" x1=\"%.2f\" "
			    "y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#444444\" "
			    "stroke-width=\"1\"/>\n", axis, num, p, at, p, at + 5);
			dss_svg_text(s, p, at + 18, "middle", 11, 0, cls,
			    labels && labels[i] ? labels[i] : num);
		}
	}
	if (title == NULL)
		return;
	if (vertical) {
		double mid = (sc->from + sc->to) / 2;

		addf(s, "<text class=\"axis-title\" transform=\"translate(%.2f,%.2f) "
		    "rotate(-90)\" text-anchor=\"middle\" " FONT " font-size=\"12\" "
		    "fill=\"#222222\">", at - 42, mid);
		esc(s, title);
		addf(s, "</text>\n");
	} else
		dss_svg_text(s, (sc->from + sc->to) / 2, at + 38, "middle", 12, 0,
		    "axis-title", title);
}

void
dss_svg_legend(struct dss_svg *s, double x, double y,
    const char *const *names, const char *const *colors, const int *dash,
    size_t n, int square)
{
	size_t i;

	if (n == 0)
		return;
	dss_svg_group(s, "legend", NULL);
	for (i = 0; i < n; i++) {
		double ry = y + 18.0 * (double)i;

		if (square)
			dss_svg_rect(s, x, ry - 9, 12, 12, colors[i], "legend-key",
			    NULL, NULL);
		else
			dss_svg_line(s, x, ry - 3, x + 24, ry - 3, colors[i], 2.5,
			    dash && dash[i] ? 6 : 0, "legend-key");
		dss_svg_text(s, x + (square ? 18 : 30), ry + 1, "start", 11, 0,
		    "legend-label", names[i]);
	}
	dss_svg_group_end(s);
}

int
dss_svg_finish(struct dss_svg *s, struct dss_err *err)
{
	addf(s, "</svg>\n");
	if (s->failed)
		return dss_err_set(err, "out of memory drawing a chart");
	return 0;
}

int
dss_svg_write(const struct dss_svg *s, const char *path, struct dss_err *err)
{
	return dss_file_replace(path, s->b.data, s->b.len, err);
}

void
dss_svg_free(struct dss_svg *s)
{
	dss_buf_free(&s->b);
	s->failed = 0;
}

size_t
dss_svg_ticks(double *lo, double *hi, size_t max, double *out)
{
	static const double steps[] = { 1, 2, 5 };
	double span, mag, step = 0, a, b;
	size_t n = 0, i;

	if (max < 2 || !(*lo < *hi) || !isfinite(*lo) || !isfinite(*hi))
		return 0;
	span = *hi - *lo;
	mag = pow(10, floor(log10(span / (double)(max - 1))));
	for (i = 0; step == 0; i++) {
		double st = steps[i % 3] * mag * pow(10, (double)(i / 3));

		if (ceil(*hi / st - 1e-9) - floor(*lo / st + 1e-9) + 1 <=
		    (double)max)
			step = st;
	}
	a = floor(*lo / step + 1e-9) * step;
	b = ceil(*hi / step - 1e-9) * step;
	for (n = 0; n < max; n++) {
		double v = a + step * (double)n;

		if (v > b + step * 1e-9)
			break;
		out[n] = fabs(v) < step * 1e-9 ? 0 : v;
	}
	*lo = a;
	*hi = b;
	return n;
}
