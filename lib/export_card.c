/* SPDX-License-Identifier: MIT */
/*
 * dss-export's data card: a short Markdown description of a finished
 * export (its source, the options in force, the counts, the command
 * line), written atomically.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export_impl.h"

/* Appends s to b for a Markdown table cell ('|' escaped, no newlines). */
static int
cell(struct dss_buf *b, const char *s)
{
	int r = 0;

	for (; *s; s++)
		r |= *s == '|' ? dss_buf_adds(b, "\\|") :
		    dss_buf_addch(b, *s == '\n' || *s == '\r' ? ' ' : *s);
	return r;
}

/* n with thousands separators. */
static const char *
num(char *out, size_t size, unsigned long long n)
{
	char d[32];
	size_t len, i, j = 0;

	snprintf(d, sizeof(d), "%llu", n);
	len = strlen(d);
	for (i = 0; i < len && j + 2 < size; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			out[j++] = ',';
		out[j++] = d[i];
	}
	out[j] = '\0';
	return out;
}

static int
card_templates(struct dss_export *x, struct dss_buf *b, struct dss_err *err)
{
	sqlite3_stmt *st;
	char n[40];
	int rc, k = 0;

	if ((st = dss_export_query(x, "SELECT template, count(*) FROM prompts WHERE "
	    "dataset = ?1 GROUP BY template ORDER BY 2 DESC, 1 LIMIT 8", err,
	    x->o.dataset, NULL)) == NULL)
		return -1;
	dss_buf_adds(b, "| Prompt templates | ");
	while ((rc = dss_export_step(x, st, err)) == 1) {
		const char *t = (const char *)sqlite3_column_text(st, 0);

		dss_buf_addf(b, "%s`", k++ ? ", " : "");
		cell(b, t ? t : "");
		dss_buf_addf(b, "` (%s prompts)", num(n, sizeof(n),
		    (unsigned long long)sqlite3_column_int64(st, 1)));
	}
	sqlite3_finalize(st);
	if (rc < 0)
		return -1;
	if (k == 0)
		dss_buf_adds(b, "none stored (imported completions have no "
		    "prompts)");
	return dss_buf_adds(b, " |\n");
}

/* One row of the options table: the option, its value, default or set. */
static int
card_option(struct dss_buf *b, const char *opt, const char *value,
    const char *def)
{
	dss_buf_addf(b, "| `%s` | `", opt);
	cell(b, value);
	return dss_buf_addf(b, "` | %s |\n", strcmp(value, def) == 0 ?
	    "default" : "set");
}

static void
card_count(struct dss_export *x, struct dss_buf *b, const char *what,
    size_t off)
{
	char n[40];
	int s;

	dss_buf_addf(b, "| %s |", what);
	for (s = 0; s < 3; s++) {
		if (x->form == NULL ? s != 0 : x->form->batches[s] == 0)
			continue;
		dss_buf_addf(b, " %s |", num(n, sizeof(n),
		    *(const unsigned long long *)((const char *)&x->split_counts[s] +
		    off)));
	}
	if (x->form != NULL)
		dss_buf_addf(b, " %s |", num(n, sizeof(n),
		    *(const unsigned long long *)((const char *)&x->total + off)));
	dss_buf_adds(b, "\n");
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The title and the table of where the records come from. */
static int
card_source(struct dss_export *x, struct dss_buf *b, struct dss_err *err)
{
	const struct dss_export_opts *o = &x->o;
	const char *byname[MAX_TEACHERS];
	char n[40];
	size_t i, k;
	int s;

	dss_buf_addf(b, "# Data card: %s %s, format %s\n\n", o->dataset,
	    x->form != NULL ? "(the official release layout)" : o->split,
	    dss_export_format_name(o->format));
	dss_buf_adds(b, "Written by dss-export from the database `");
	cell(b, x->path);
	dss_buf_adds(b, "`.\n\n## Source\n\n| | |\n|---|---|\n");
	dss_buf_addf(b, "| Dataset | %s |\n", o->dataset);
	if (x->form != NULL) {
		dss_buf_adds(b, "| Splits |");
		for (s = 0; s < 3; s++)
			if (x->form->batches[s] > 0)
				dss_buf_addf(b, " %s", dss_release_split_name(s));
		dss_buf_addf(b, " (written to `");
		cell(b, x->rel.dir ? x->rel.dir : o->out);
		dss_buf_adds(b, "`) |\n");
	} else {
		dss_buf_addf(b, "| Split | %s |\n", o->split);
	}
	if (o->subset != NULL) {
		dss_buf_adds(b, "| Subset | `");
		cell(b, o->subset);
		dss_buf_addf(b, "`: %s, seed %lld", x->sub.kind, x->sub.seed);
		if (x->sub.has_fraction)
			dss_buf_addf(b, ", fraction %g", x->sub.fraction);
		dss_buf_addf(b, ", %s examples of split %s%s; parameters `",
		    num(n, sizeof(n), (unsigned long long)x->sub.size),
		    x->sub.split, x->form != NULL ? " (valid and test whole)" : "");
		cell(b, x->sub.params);
		dss_buf_adds(b, "` |\n");
	} else {
		dss_buf_adds(b, "| Subset | none: the whole split |\n");
	}
	/* By name: the order they were met in depends on the scan. */
	dss_buf_adds(b, "| Teachers | ");
	for (i = 0, k = 0; i < x->nteachers; i++)
		if (x->card_teachers & (1u << i))
			byname[k++] = x->teachers[i];
	qsort(byname, k, sizeof(*byname), cmp_names);
	for (i = 0; i < k; i++) {
		dss_buf_adds(b, i ? ", `" : "`");
		cell(b, byname[i]);
		dss_buf_adds(b, "`");
	}
	if (x->card_other)
		dss_buf_addf(b, " and %llu more", x->card_other);
	if (k == 0 && x->card_other == 0)
		dss_buf_adds(b, "none (no rationale was exported)");
	dss_buf_adds(b, " |\n");
	if (card_templates(x, b, err) < 0)
		return -1;
	if (x->need_triples) {
		dss_buf_adds(b, "| Filter | `");
		cell(b, o->filter);
		dss_buf_addf(b, "`: the triples of dss-filter --agree %.*s",
		    (int)strcspn(o->filter, ","), o->filter);
		if (strchr(o->filter, ',') != NULL) {
			dss_buf_adds(b, " with the options ");
			cell(b, strchr(o->filter, ',') + 1);
		}
		dss_buf_addf(b, "; %s |\n", o->rationales == DSS_EXPORT_AGREE ?
		    "only rationales whose answer agrees with the gold label" :
		    "every rationale it kept");
	} else {
		dss_buf_adds(b, "| Filter | not used: this export has no "
		    "rationales |\n");
	}
	return 0;
}

/* The options, marked default or set. */
static void
card_options(struct dss_export *x, struct dss_buf *b)
{
	const struct dss_export_opts *o = &x->o;

	dss_buf_adds(b, "\n## Options\n\n| Option | Value | |\n|---|---|---|\n");
	card_option(b, "--format", dss_export_format_name(o->format), "t5");
	if (x->form == NULL)
		card_option(b, "--labels", dss_export_labels_name(o->labels), "gold");
	card_option(b, "--rationales", dss_export_rationales_name(o->rationales), "agree");
	card_option(b, "--filter", o->filter, "gold");
	card_option(b, "--pick", dss_export_pick_name(o->pick), "first");
	card_option(b, "--missing", dss_export_missing_name(o->missing), "label-only");
	if (o->format == DSS_EXPORT_T5)
		card_option(b, "--prefixes", o->prefixes, DSS_EXPORT_PREFIXES);
	dss_buf_addf(b, "\nThe defaults are `--format t5 --labels gold "
	    "--rationales agree --filter gold --pick first --missing label-only "
	    "--prefixes '%s'`: gold labels, as the official code's "
	    "`--label_type gt`.\n", DSS_EXPORT_PREFIXES);
	if (x->form != NULL)
		dss_buf_adds(b, "In the release layout the subset and `--missing` "
		    "apply to train; valid and test are written whole, an example "
		    "without a rationale getting a completion the official parser "
		    "reads as empty.\n");
}

/* The counts, a column per split of a release. */
static void
card_counts(struct dss_export *x, struct dss_buf *b)
{
	const struct dss_export_opts *o = &x->o;
	int s;

	dss_buf_adds(b, "\n## Counts\n\n|");
	for (s = 0; s < 3; s++)
		if (x->form == NULL ? s == 0 : x->form->batches[s] > 0)
			dss_buf_addf(b, " | %s", x->form == NULL ? o->split :
			    dss_release_split_name(s));
	dss_buf_addf(b, "%s |\n|---|", x->form != NULL ? " | total" : "");
	for (s = 0; s < 3; s++)
		if (x->form == NULL ? s == 0 : x->form->batches[s] > 0)
			dss_buf_adds(b, "---:|");
	dss_buf_adds(b, x->form != NULL ? "---:|\n" : "\n");
#define COUNT(what, field) card_count(x, b, what, \
	offsetof(struct dss_export_counts, field))
	COUNT("examples", examples);
	COUNT("kept rationales found", rationales);
	COUNT("exported with a rationale", with_rationale);
	COUNT("exported without one (label only)", label_only);
	COUNT("left out (no rationale to use)", dropped);
	if (x->form != NULL)
		COUNT("rationales the official parser would misread (not used)",
		    unreadable);
	COUNT(x->form != NULL ? "examples written" : "records", records);
	if (o->format == DSS_EXPORT_T5) {
		COUNT("predict records", predict);
		COUNT("explain records", explain);
	}
#undef COUNT
	if (x->rel.problems != NULL) {
		char n[32];

		num(n, sizeof(n), x->rel.nproblems);
		dss_buf_addf(b, "\n`%s` %s %s problems%s.\n",
		    x->form->manifest->release.problems, x->rel.problems_written ?
		    "was rebuilt from the" : "was not written: it needs all", n,
		    x->rel.problems_written ? "" : " with their fields");
	}
}

static int
card_text(struct dss_export *x, const char *cmdline, struct dss_buf *b,
    struct dss_err *err)
{
	if (card_source(x, b, err) < 0)
		return -1;
	card_options(x, b);
	card_counts(x, b);
	dss_buf_adds(b, "\n## Command\n\n```\n");
	dss_buf_adds(b, cmdline);
	if (dss_buf_adds(b, "\n```\n") < 0)
		return dss_export_nomem(err);
	return 0;
}

int
dss_export_card(struct dss_export *x, const char *path, const char *cmdline,
    struct dss_err *err)
{
	struct dss_buf b = DSS_BUF_INIT, tmp = DSS_BUF_INIT;
	char *dir = NULL, *slash;
	FILE *fp = NULL;
	mode_t um;
	int fd, rc = -1;

	if (!x->ran)
		return dss_err_set(err, "the export has not run");
	/* The one subset of a JSON Lines export is described in x->subs. */
	if (x->form == NULL && x->nsubs == 1 && x->sub.name == NULL)
		return dss_export_subset_card(x, 0, path, cmdline, err);
	if (x->nsubs == 0 || x->sub.name == NULL) {
		/* every teacher of the run */
		x->card_teachers = (1u << x->nteachers) - 1;
		x->card_other = x->other_teachers;
	}
	if (card_text(x, cmdline, &b, err) < 0)
		goto out;
	if (dss_buf_addf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
		dss_export_nomem(err);
		goto out;
	}
	if ((fd = mkstemp(tmp.data)) < 0) {
		dss_err_errno(err, errno, "cannot create '%s'", path);
		goto out;
	}
	um = umask(0);
	umask(um);
	(void)fchmod(fd, 0666 & ~um);
	if ((fp = fdopen(fd, "w")) == NULL) {
		dss_err_errno(err, errno, "cannot create '%s'", path);
		close(fd);
		unlink(tmp.data);
		goto out;
	}
	if (fwrite(b.data, 1, b.len, fp) != b.len) {
		dss_err_errno(err, errno ? errno : EIO, "cannot write '%s'", path);
		fclose(fp);
		unlink(tmp.data);
		goto out;
	}
	if (dss_export_finish_file(&fp, path, err) < 0) {
		unlink(tmp.data);
		goto out;
	}
	if (rename(tmp.data, path) < 0) {
		dss_err_errno(err, errno, "cannot rename '%s' to '%s'", tmp.data,
		    path);
		unlink(tmp.data);
		goto out;
	}
	if ((dir = strdup(path)) == NULL) {
		dss_export_nomem(err);
		goto out;
	}
	slash = strrchr(dir, '/');
	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	rc = dss_export_sync_dir(dir, err);
out:
	free(dir);
	dss_buf_free(&b);
	dss_buf_free(&tmp);
	return rc;
}

int
dss_export_subset_card(struct dss_export *x, size_t i, const char *path,
    const char *cmdline, struct dss_err *err)
{
	struct export_subset keep = x->sub;
	struct dss_export_counts total = x->total;
	const char *subset = x->o.subset;
	int rc;

	if (i >= x->nsubs)
		return dss_err_set(err, "no subset %zu in the export", i);
	/* The card of one subset: its description and counts as the run's. */
	x->sub = x->subs[i].info;
	x->o.subset = x->subs[i].info.name;
	x->total = x->subs[i].c;
	x->card_teachers = x->subs[i].teachers;
	x->card_other = x->subs[i].other;
	rc = dss_export_card(x, path, cmdline, err);
	x->sub = keep;
	x->o.subset = subset;
	x->total = total;
	return rc;
}
