/* SPDX-License-Identifier: MIT */
/*
 * The reports of dss-stats: text tables, one JSON object, and an SVG
 * chart of agreement and of kept and rejected completions.  See stats.h.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "jscan.h"
#include "stats.h"
#include "svg.h"
#include "table.h"

static const char *
or_dash(const char *s)
{
	return s ? s : "-";
}

static double
agreement(const struct dss_stats_filter *f)
{
	return f->judged ? (double)f->agree / (double)f->judged : NAN;
}

static const char *const qnames[6] = { "min", "p25", "median", "p75", "p90",
	"max" };

/* ---- text ---- */

static int
filter_lines(const struct dss_stats_filter *f, struct dss_buf *out)
{
	const char *name = or_dash(f->filter);
	size_t i;
	int bad = 0;

	if (f->kept) {
		bad |= dss_buf_addf(out, "    %s: rationale characters", name);
		for (i = 0; i < 6; i++)
			bad |= dss_buf_addf(out, "%s %s %lu", i ? "," : "", qnames[i],
			    f->rationale_q[i]);
		bad |= dss_buf_addf(out, "\n    %s: %lu label%s", name,
		    f->label_distinct, f->label_distinct == 1 ? "" : "s");
		for (i = 0; i < f->nlabels; i++)
			bad |= dss_buf_addf(out, "%s %s %lu", i ? "," : ":",
			    f->labels[i].name, f->labels[i].n);
		if (f->label_other)
			bad |= dss_buf_addf(out, ", others %lu", f->label_other);
		bad |= dss_buf_addch(out, '\n');
	}
	if (f->nvotes) {
		bad |= dss_buf_addf(out, "    %s: votes of the kept prompts", name);
		for (i = 0; i < f->nvotes; i++)
			bad |= dss_buf_addf(out, "%s %ld of %ld: %lu", i ? "," : "",
			    f->votes[i].win, f->votes[i].total, f->votes[i].prompts);
		bad |= dss_buf_addch(out, '\n');
	}
	return bad ? -1 : 0;
}

static int
teacher_text(const struct dss_stats_teacher *t, struct dss_buf *out)
{
	struct dss_table tb;
	struct dss_buf reasons = DSS_BUF_INIT;
	size_t i, k;
	int bad = 0;

	bad |= dss_buf_addf(out, "  teacher %s: %lu completion%s", or_dash(t->teacher),
	    t->completions, t->completions == 1 ? "" : "s");
	if (t->samples > 1)
		bad |= dss_buf_addf(out, " (%lu samples a prompt)", t->samples);
	bad |= dss_buf_addf(out, ", %lu cached response%s, %llu prompt and %llu "
	    "completion tokens, $%.4f\n", t->responses, t->responses == 1 ? "" :
	    "s", t->prompt_tokens, t->completion_tokens, t->cost_usd);
	if (t->nfilters == 0)
		return bad ? -1 : 0;
	dss_table_init(&tb, 6, "lrrrrl");
	dss_table_add(&tb, "filter");
	dss_table_add(&tb, "kept");
	dss_table_add(&tb, "rejected");
	dss_table_add(&tb, "parse failures");
	dss_table_add(&tb, "agreement");
	dss_table_add(&tb, "rejects by reason");
	for (i = 0; i < t->nfilters; i++) {
		const struct dss_stats_filter *f = &t->filters[i];
		double a = agreement(f);

		dss_table_add(&tb, or_dash(f->filter));
		dss_table_addf(&tb, "%lu", f->kept);
		dss_table_addf(&tb, "%lu", f->rejected);
		dss_table_addf(&tb, "%lu", f->parse_failures);
		if (isnan(a))
			dss_table_add(&tb, "-");
		else
			dss_table_addf(&tb, "%.2f%%", a * 100);
		dss_buf_reset(&reasons);
		for (k = 0; k < f->nreasons; k++)
			bad |= dss_buf_addf(&reasons, "%s%s %lu", k ? ", " : "",
			    f->reasons[k].name, f->reasons[k].n);
		dss_table_add(&tb, f->nreasons ? reasons.data : "-");
	}
	bad |= dss_table_render(&tb, out, "    ");
	dss_table_free(&tb);
	dss_buf_free(&reasons);
	for (i = 0; i < t->nfilters && !bad; i++)
		bad |= filter_lines(&t->filters[i], out);
	return bad ? -1 : 0;
}

int
dss_stats_text(const struct dss_stats *s, struct dss_buf *out,
    struct dss_err *err)
{
	size_t i, j;
	int bad = 0;

	bad |= dss_buf_addf(out, "database '%s' (schema version %d): %lu "
	    "examples, %lu prompts, %lu completions, %lu triples, %lu rejects, "
	    "%lu cached responses, %lu subsets\n", s->path, s->version,
	    s->examples, s->prompts, s->completions, s->triples, s->rejects,
	    s->responses, s->subsets);
	for (i = 0; i < s->nsplits && !bad; i++) {
		const struct dss_stats_split *sp = &s->splits[i];

		bad |= dss_buf_addf(out, "\n%s %s: %lu example%s, %lu prompt%s\n",
		    sp->dataset, sp->split ? sp->split : "(examples not stored)",
		    sp->examples, sp->examples == 1 ? "" : "s", sp->prompts,
		    sp->prompts == 1 ? "" : "s");
		for (j = 0; j < sp->nteachers && !bad; j++)
			bad |= teacher_text(&sp->teachers[j], out);
		for (j = 0; j < sp->nsubsets && !bad; j++) {
			const struct dss_stats_subset *u = &sp->subsets[j];

			bad |= dss_buf_addf(out, "%s %s (%s %s, seed %lld, ",
			    j ? "," : "  subsets:", u->name, u->kind, u->role, u->seed);
			if (isnan(u->fraction))
				bad |= dss_buf_addf(out, "%lu examples)", u->size);
			else
				bad |= dss_buf_addf(out, "%.4g%%, %lu examples)",
				    u->fraction * 100, u->size);
		}
		if (sp->nsubsets)
			bad |= dss_buf_addch(out, '\n');
	}
	if (bad)
		return dss_err_errno(err, ENOMEM, "report");
	return 0;
}

/* ---- JSON ---- */

static cJSON *
num(double v)
{
	struct dss_buf b = DSS_BUF_INIT;
	cJSON *n;

	if (dss_jscan_number(&b, v) < 0)
		return NULL;
	n = cJSON_CreateRaw(b.data);
	dss_buf_free(&b);
	return n;
}

static cJSON *
str_or_null(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* cJSON_AddItemTo* below take ownership of the item they are given. */
static cJSON *
filter_json(const struct dss_stats_filter *f)
{
	cJSON *o = cJSON_CreateObject(), *r, *l, *top, *v, *q;
	size_t i;

	cJSON_AddItemToObject(o, "filter", str_or_null(f->filter));
	cJSON_AddItemToObject(o, "kept", num((double)f->kept));
	cJSON_AddItemToObject(o, "rejected", num((double)f->rejected));
	cJSON_AddItemToObject(o, "parse_failures", num((double)f->parse_failures));
	cJSON_AddItemToObject(o, "agreement", num(agreement(f)));
	cJSON_AddItemToObject(o, "agree", num((double)f->agree));
	cJSON_AddItemToObject(o, "judged", num((double)f->judged));
	r = cJSON_AddObjectToObject(o, "rejects");
	for (i = 0; i < f->nreasons; i++)
		cJSON_AddItemToObject(r, f->reasons[i].name,
		    num((double)f->reasons[i].n));
	l = cJSON_AddObjectToObject(o, "labels");
	cJSON_AddItemToObject(l, "distinct", num((double)f->label_distinct));
	top = cJSON_AddArrayToObject(l, "top");
	for (i = 0; i < f->nlabels; i++) {
		cJSON *pair = cJSON_CreateArray();

		cJSON_AddItemToArray(pair, cJSON_CreateString(f->labels[i].name));
		cJSON_AddItemToArray(pair, num((double)f->labels[i].n));
		cJSON_AddItemToArray(top, pair);
	}
	cJSON_AddItemToObject(l, "others", num((double)f->label_other));
	v = cJSON_AddArrayToObject(o, "votes");
	for (i = 0; i < f->nvotes; i++) {
		cJSON *x = cJSON_CreateObject();

		cJSON_AddItemToObject(x, "win", num((double)f->votes[i].win));
		cJSON_AddItemToObject(x, "of", num((double)f->votes[i].total));
		cJSON_AddItemToObject(x, "prompts", num((double)f->votes[i].prompts));
		cJSON_AddItemToArray(v, x);
	}
	if (f->kept) {
		q = cJSON_AddObjectToObject(o, "rationale_chars");
		for (i = 0; i < 6; i++)
			cJSON_AddItemToObject(q, qnames[i],
			    num((double)f->rationale_q[i]));
	} else
		cJSON_AddNullToObject(o, "rationale_chars");
	return o;
}

static cJSON *
teacher_json(const struct dss_stats_teacher *t)
{
	cJSON *o = cJSON_CreateObject(), *fs;
	size_t i;

	cJSON_AddItemToObject(o, "teacher", str_or_null(t->teacher));
	cJSON_AddItemToObject(o, "completions", num((double)t->completions));
	cJSON_AddItemToObject(o, "samples", num((double)t->samples));
	cJSON_AddItemToObject(o, "responses", num((double)t->responses));
	cJSON_AddItemToObject(o, "prompt_tokens", num((double)t->prompt_tokens));
	cJSON_AddItemToObject(o, "completion_tokens",
	    num((double)t->completion_tokens));
	cJSON_AddItemToObject(o, "cost_usd", num(t->cost_usd));
	fs = cJSON_AddArrayToObject(o, "filters");
	for (i = 0; i < t->nfilters; i++)
		cJSON_AddItemToArray(fs, filter_json(&t->filters[i]));
	return o;
}

int
dss_stats_json(const struct dss_stats *s, struct dss_buf *out,
    struct dss_err *err)
{
	cJSON *o = cJSON_CreateObject(), *splits;
	size_t i, j;
	char *text;
	int r = 0;

	cJSON_AddStringToObject(o, "database", s->path);
	cJSON_AddItemToObject(o, "schema_version", num(s->version));
	cJSON_AddItemToObject(o, "examples", num((double)s->examples));
	cJSON_AddItemToObject(o, "prompts", num((double)s->prompts));
	cJSON_AddItemToObject(o, "completions", num((double)s->completions));
	cJSON_AddItemToObject(o, "triples", num((double)s->triples));
	cJSON_AddItemToObject(o, "rejects", num((double)s->rejects));
	cJSON_AddItemToObject(o, "responses", num((double)s->responses));
	cJSON_AddItemToObject(o, "subsets", num((double)s->subsets));
	splits = cJSON_AddArrayToObject(o, "splits");
	for (i = 0; i < s->nsplits; i++) {
		const struct dss_stats_split *sp = &s->splits[i];
		cJSON *x = cJSON_CreateObject(), *ts, *us;

		cJSON_AddStringToObject(x, "dataset", sp->dataset);
		cJSON_AddItemToObject(x, "split", str_or_null(sp->split));
		cJSON_AddItemToObject(x, "examples", num((double)sp->examples));
		cJSON_AddItemToObject(x, "prompts", num((double)sp->prompts));
		ts = cJSON_AddArrayToObject(x, "teachers");
		for (j = 0; j < sp->nteachers; j++)
			cJSON_AddItemToArray(ts, teacher_json(&sp->teachers[j]));
		us = cJSON_AddArrayToObject(x, "subsets");
		for (j = 0; j < sp->nsubsets; j++) {
			const struct dss_stats_subset *u = &sp->subsets[j];
			cJSON *y = cJSON_CreateObject();

			cJSON_AddStringToObject(y, "name", u->name);
			cJSON_AddStringToObject(y, "kind", u->kind);
			cJSON_AddStringToObject(y, "role", u->role);
			cJSON_AddItemToObject(y, "seed", num((double)u->seed));
			cJSON_AddItemToObject(y, "fraction", num(u->fraction));
			cJSON_AddItemToObject(y, "size", num((double)u->size));
			cJSON_AddItemToArray(us, y);
		}
		cJSON_AddItemToArray(splits, x);
	}
	if ((text = cJSON_PrintUnformatted(o)) == NULL ||
	    dss_buf_adds(out, text) < 0 || dss_buf_addch(out, '\n') < 0)
		r = dss_err_errno(err, ENOMEM, "report");
	cJSON_free(text);
	cJSON_Delete(o);
	return r;
}

/* ---- SVG ---- */

#define ROW_H 26.0
#define LABEL_W 380.0
#define AGREE_W 170.0
#define GAP 40.0
#define BAR_W 380.0
#define TOP 110.0
#define KEPT_COLOR "#009E73"

/* The color of the k-th reason: the palette without the kept color. */
static const char *
reason_color(size_t k)
{
	static const size_t order[] = { 1, 3, 4, 5, 0, 7, 6 };

	return dss_svg_color(order[k % (sizeof(order) / sizeof(order[0]))]);
}

/* The reasons of every filter, each once, in order of name. */
static size_t
all_reasons(const struct dss_stats *s, const char **names, size_t max)
{
	size_t i, j, k, m, n = 0;

	for (i = 0; i < s->nsplits; i++)
		for (j = 0; j < s->splits[i].nteachers; j++)
			for (k = 0; k < s->splits[i].teachers[j].nfilters; k++) {
				const struct dss_stats_filter *f =
				    &s->splits[i].teachers[j].filters[k];

				for (m = 0; m < f->nreasons; m++) {
					size_t x;

					for (x = 0; x < n && strcmp(names[x],
					    f->reasons[m].name); x++)
						;
					if (x == n && n < max)
						names[n++] = f->reasons[m].name;
				}
			}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			const char *t = names[j];

			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	return n;
}

static void
row_svg(struct dss_svg *s, const struct dss_stats_split *sp,
    const struct dss_stats_teacher *t, const struct dss_stats_filter *f,
    double y, const char *const *reasons, size_t nreasons)
{
	const char *attrs[9] = { "dataset", sp->dataset, "split", sp->split,
		"teacher", t->teacher, "filter", f->filter, NULL };
	char label[512], val[64], title[600];
	double a = agreement(f), total = (double)(f->kept + f->rejected), x;
	struct dss_svg_scale as = { 0, 100, LABEL_W, LABEL_W + AGREE_W };
	struct dss_svg_scale bs = { 0, total, LABEL_W + AGREE_W + GAP,
		LABEL_W + AGREE_W + GAP + BAR_W };
	size_t i, k;

	dss_svg_group(s, "row", attrs);
	snprintf(label, sizeof(label), "%s %s · %s · %s", sp->dataset,
	    or_dash(sp->split), or_dash(t->teacher), or_dash(f->filter));
	dss_svg_text(s, LABEL_W - 8, y + 17, "end", 11, 0, "row-label", label);
	if (!isnan(a)) {
		snprintf(val, sizeof(val), "%.10g", a * 100);
		snprintf(title, sizeof(title), "agreement %.2f%% (%lu of %lu)",
		    a * 100, f->agree, f->judged);
		dss_svg_rect(s, LABEL_W, y + 5, dss_svg_map(&as, a * 100) - LABEL_W,
		    ROW_H - 10, "#0072B2", "agreement", title, val);
		snprintf(label, sizeof(label), "%.1f%%", a * 100);
		dss_svg_text(s, dss_svg_map(&as, a * 100) + 4, y + 17, "start", 10,
		    0, "agreement-label", label);
	}
	if (total > 0) {
		x = bs.from;
		snprintf(val, sizeof(val), "%lu", f->kept);
		snprintf(title, sizeof(title), "kept %lu", f->kept);
		dss_svg_rect(s, x, y + 5, dss_svg_map(&bs, (double)f->kept) - x,
		    ROW_H - 10, KEPT_COLOR, "kept", title, val);
		x = dss_svg_map(&bs, (double)f->kept);
		for (k = 0; k < nreasons; k++)
			for (i = 0; i < f->nreasons; i++) {
				const char *ra[3] = { "reason", reasons[k], NULL };
				double w;

				if (strcmp(f->reasons[i].name, reasons[k]) != 0)
					continue;
				w = dss_svg_map(&bs, (double)f->reasons[i].n) - bs.from;
				snprintf(val, sizeof(val), "%lu", f->reasons[i].n);
				snprintf(title, sizeof(title), "%s %lu", reasons[k],
				    f->reasons[i].n);
				dss_svg_group(s, "reject", ra);
				dss_svg_rect(s, x, y + 5, w, ROW_H - 10,
				    reason_color(k), "reject-bar", title, val);
				dss_svg_group_end(s);
				x += w;
			}
	}
	dss_svg_group_end(s);
}

int
dss_stats_svg(const struct dss_stats *s, struct dss_buf *out,
    struct dss_err *err)
{
	struct dss_svg svg = DSS_SVG_INIT;
	const char *reasons[32], *names[33], *colors[33];
	size_t nreasons = all_reasons(s, reasons, 32), nrows = 0, i, j, k;
	double y = TOP, w = LABEL_W + AGREE_W + GAP + BAR_W + 40;
	int r;

	for (i = 0; i < s->nsplits; i++)
		for (j = 0; j < s->splits[i].nteachers; j++)
			nrows += s->splits[i].teachers[j].nfilters;
	dss_svg_begin(&svg, w, TOP + ROW_H * (double)(nrows ? nrows : 1) + 40,
	    "dss-stats: agreement and rejects");
	dss_svg_text(&svg, w / 2, 26, "middle", 15, 1, "title",
	    "agreement with the gold label, and completions kept and rejected");
	dss_svg_text(&svg, LABEL_W + AGREE_W / 2, TOP - 10, "middle", 11, 1,
	    "axis-title", "agreement (%)");
	dss_svg_text(&svg, LABEL_W + AGREE_W + GAP + BAR_W / 2, TOP - 10,
	    "middle", 11, 1, "axis-title", "completions: kept, rejected by reason");
	names[0] = "kept";
	colors[0] = KEPT_COLOR;
	for (k = 0; k < nreasons; k++) {
		names[k + 1] = reasons[k];
		colors[k + 1] = reason_color(k);
	}
	for (k = 0; k <= nreasons; k++) {
		const char *one[1] = { names[k] }, *c1[1] = { colors[k] };

		dss_svg_legend(&svg, LABEL_W + AGREE_W + GAP + (double)(k % 3) * 130,
		    44 + 16 * (double)(k / 3), one, c1, NULL, 1, 1);
	}
	if (nrows == 0)
		dss_svg_text(&svg, w / 2, TOP + 20, "middle", 12, 0, "empty",
		    "no completions filtered");
	for (i = 0; i < s->nsplits; i++)
		for (j = 0; j < s->splits[i].nteachers; j++)
			for (k = 0; k < s->splits[i].teachers[j].nfilters; k++) {
				row_svg(&svg, &s->splits[i], &s->splits[i].teachers[j],
				    &s->splits[i].teachers[j].filters[k], y, reasons,
				    nreasons);
				y += ROW_H;
			}
	r = dss_svg_finish(&svg, err);
	if (r == 0 && dss_buf_add(out, svg.b.data, svg.b.len) < 0)
		r = dss_err_errno(err, ENOMEM, "chart");
	dss_svg_free(&svg);
	return r;
}
