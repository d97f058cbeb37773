/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the pieces the reports of dss-eval and dss-stats share:
 * the table of distinct strings (lib/idtab), text tables (lib/table),
 * the SVG writer's escaping, scales and ticks (lib/svg), and replacing a
 * file whole (lib/file).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/file.h"
#include "../../lib/idtab.h"
#include "../../lib/svg.h"
#include "../../lib/table.h"
#include "tap.h"

static void
idtab(void)
{
	struct dss_idtab t = DSS_IDTAB_INIT;
	char key[32];
	uint32_t i, bad = 0;
	int added;

	ok(dss_idtab_find(&t, "x", 1, dss_idtab_hash("x", 1)) == DSS_IDTAB_NONE,
	    "an empty table finds nothing");
	for (i = 0; i < 100000; i++) {
		snprintf(key, sizeof(key), "esnli-train-%06u", i);
		if (dss_idtab_add(&t, key, strlen(key), dss_idtab_hash(key,
		    strlen(key)), &added) != i || !added)
			bad++;
	}
	is_int(bad, 0, "100,000 keys numbered in order");
	for (i = 0; i < 100000; i += 7) {
		snprintf(key, sizeof(key), "esnli-train-%06u", i);
		if (dss_idtab_find(&t, key, strlen(key), dss_idtab_hash(key,
		    strlen(key))) != i || strcmp(dss_idtab_key(&t, i), key) != 0)
			bad++;
	}
	is_int(bad, 0, "each found again, its key kept");
	is_int(dss_idtab_add(&t, "esnli-train-000042", 18,
	    dss_idtab_hash("esnli-train-000042", 18), &added), 42,
	    "adding a key again gives its number");
	is_int(added, 0, "  and adds nothing");
	ok(dss_idtab_find(&t, "esnli-train-00004", 17,
	    dss_idtab_hash("esnli-train-00004", 17)) == DSS_IDTAB_NONE,
	    "a prefix is another key");
	i = dss_idtab_add(&t, "a\0b", 3, dss_idtab_hash("a\0b", 3), NULL);
	ok(i == 100000 && t.len[i] == 3 && memcmp(dss_idtab_key(&t, i), "a\0b",
	    4) == 0, "a key with a NUL byte");
	ok(dss_idtab_find(&t, "a", 1, dss_idtab_hash("a", 1)) == DSS_IDTAB_NONE,
	    "  is not its first part");
	ok(dss_idtab_prefetch(&t, 12345) == 0, "prefetch");
	dss_idtab_free(&t);
	is_int((long long)t.n, 0, "freed");
}

static void
table(void)
{
	struct dss_table t;
	struct dss_buf b = DSS_BUF_INIT;

	dss_table_init(&t, 3, "lrl");
	dss_table_add(&t, "name");
	dss_table_add(&t, "n");
	dss_table_add(&t, "note");
	dss_table_add(&t, "café");
	dss_table_addf(&t, "%d", 12345);
	dss_table_add(&t, "");
	dss_table_add(&t, "x");
	dss_table_addf(&t, "%d", 7);
	dss_table_add(&t, "last");
	ok(dss_table_render(&t, &b, "> ") == 0, "a table renders");
	is_str(b.data, "> name      n  note\n> café  12345  \n> x         7  last\n",
	    "columns as wide as their widest cell, in characters");
	dss_table_free(&t);
	dss_buf_free(&b);
}

static void
svg(void)
{
	struct dss_buf b = DSS_BUF_INIT;
	struct dss_svg s = DSS_SVG_INIT;
	struct dss_svg_scale sc = { 0, 100, 80, 540 };
	struct dss_err err = DSS_ERR_INIT;
	double t[16], lo, hi;
	size_t n;

	dss_svg_escape(&b, "a<b> & \"c\" 'd'\x01\xff\xc3\xa9");
	is_str(b.data, "a&lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; \xef\xbf\xbd\xc3\xa9",
	    "XML escapes; control characters and bad UTF-8 replaced");
	dss_buf_reset(&b);
	dss_svg_escape(&b, "\xed\xa0\x80 \xc0\xaf");
	is_str(b.data, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd",
	    "surrogates and overlong forms replaced byte by byte");
	ok(dss_svg_map(&sc, 50) == 310 && dss_svg_map(&sc, 0) == 80,
	    "a scale maps linearly");
	lo = 43.2, hi = 71.5;
	n = dss_svg_ticks(&lo, &hi, 8, t);
	ok(n == 8 && lo == 40 && hi == 75 && t[0] == 40 && t[1] == 45 &&
	    t[7] == 75, "ticks of 43.2..71.5: %zu from %g to %g by %g", n, lo, hi,
	    t[1] - t[0]);
	lo = 0.3, hi = 0.7;
	n = dss_svg_ticks(&lo, &hi, 5, t);
	ok(n == 5 && fabs(lo - 0.3) < 1e-12 && fabs(hi - 0.7) < 1e-12 &&
	    fabs(t[1] - t[0] - 0.1) < 1e-12, "ticks of 0.3..0.7 by 0.1: %zu", n);
	lo = hi = 5;
	is_int((long long)dss_svg_ticks(&lo, &hi, 5, t), 0, "no ticks of an empty range");
	dss_svg_begin(&s, 100, 50, "t & t");
	dss_svg_point(&s, 1, 2, 3, "#000000", "point", "12.5", "60");
	ok(dss_svg_finish(&s, &err) == 0, "a document");
	ok(strstr(s.b.data, "<title>t &amp; t</title>") != NULL &&
	    strstr(s.b.data, "data-x=\"12.5\" data-y=\"60\"") != NULL &&
	    strcmp(s.b.data + s.b.len - 7, "</svg>\n") == 0, "  with its parts");
	dss_svg_free(&s);
	dss_buf_free(&b);
}

static void
file(void)
{
	char dir[] = "/tmp/dss-test-file.XXXXXX", path[128], buf[64];
	struct dss_err err = DSS_ERR_INIT;
	FILE *fp;
	size_t n;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/out.svg", dir);
	ok(dss_file_replace(path, "old\n", 4, &err) == 0, "a file is written");
	ok(dss_file_replace(path, "new\n", 4, &err) == 0, "  and replaced");
	fp = fopen(path, "r");
	n = fp ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;
	buf[n] = '\0';
	if (fp)
		fclose(fp);
	is_str(buf, "new\n", "  whole");
	snprintf(path, sizeof(path), "%s/no/out.svg", dir);
	ok(dss_file_replace(path, "x", 1, &err) == -1 &&
	    strstr(err.msg, "cannot create '") != NULL &&
	    strstr(err.msg, "No such file or directory") != NULL,
	    "a missing directory: %s", err.msg);
	snprintf(path, sizeof(path), "%s/out.svg", dir);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	idtab();
	table();
	svg();
	file();
	return done();
}
