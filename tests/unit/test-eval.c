/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the scoring rules of dss-eval (folding, labels,
 * equations with thousands separators, the tolerance, division by zero,
 * text around an equation, where the official rule differs from the
 * folded one) and for the bootstrap (deterministic with a seed,
 * binomial draws with the right mean and spread).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/eval.h"
#include "tap.h"

/* s with its newlines written as \n, for test names. */
static const char *
show(const char *s)
{
	static char out[2][256];
	static int k;
	size_t n = 0;

	k ^= 1;
	for (; *s && n + 3 < sizeof(out[k]); s++) {
		if (*s == '\n') {
			out[k][n++] = '\\';
			out[k][n++] = 'n';
		} else
			out[k][n++] = *s;
	}
	out[k][n] = '\0';
	return out[k];
}

static void
fold(const char *s, const char *want)
{
	struct dss_buf b = DSS_BUF_INIT;

	dss_eval_fold(&b, s, strlen(s));
	is_str(b.data, want, "fold");
	dss_buf_free(&b);
}

/* want: folded right, official right, folded unparsable, official unparsable */
static void
eq(const char *pred, const char *gold, int f, int o, int fu, int ou)
{
	struct dss_eval_verdict v;

	dss_eval_score_equation(pred, strlen(pred), gold, &v);
	if (!ok(v.folded == f && v.official == o && v.folded_unparsable == fu &&
	    v.official_unparsable == ou, "equation '%s' against '%s': %d %d %d %d",
	    show(pred), gold, f, o, fu, ou))
		printf("#   got %d %d %d %d\n", v.folded, v.official,
		    v.folded_unparsable, v.official_unparsable);
}

static const char *const nli[] = { "entailment", "neutral", "contradiction" };

static void
lab(const char *pred, const char *gold, const char *const *valid, size_t nvalid,
    int f, int o, int fu, int ou)
{
	struct dss_eval_verdict v;

	dss_eval_score_label(pred, strlen(pred), gold, valid, nvalid, &v);
	if (!ok(v.folded == f && v.official == o && v.folded_unparsable == fu &&
	    v.official_unparsable == ou, "label '%s' against '%s': %d %d %d %d",
	    show(pred), gold, f, o, fu, ou))
		printf("#   got %d %d %d %d\n", v.folded, v.official,
		    v.folded_unparsable, v.official_unparsable);
}

static void
bootstrap(void)
{
	double lo, hi, lo2, hi2, sum = 0, sq = 0, mean, var;
	struct dss_mt19937 m;
	unsigned long i, k;
	const unsigned long draws = 20000;

	dss_eval_bootstrap(200, 120, 1000, 7, &lo, &hi);
	dss_eval_bootstrap(200, 120, 1000, 7, &lo2, &hi2);
	ok(lo == lo2 && hi == hi2, "the same seed gives the same interval");
	ok(lo < 0.6 && hi > 0.6, "the interval holds the accuracy: [%g, %g]",
	    lo, hi);
	/* binomial(200, 0.6) has sd 0.0346: the interval spans about 4 sd */
	ok(hi - lo > 0.11 && hi - lo < 0.16, "its width is about 4 sd: %g",
	    hi - lo);
	dss_eval_bootstrap(200, 120, 1000, 8, &lo2, &hi2);
	ok(lo != lo2 || hi != hi2, "another seed gives another interval");
	dss_eval_bootstrap(50, 50, 1000, 1, &lo, &hi);
	ok(lo == 1 && hi == 1, "all right: [1, 1]");
	dss_eval_bootstrap(50, 0, 1000, 1, &lo, &hi);
	ok(lo == 0 && hi == 0, "all wrong: [0, 0]");
	dss_eval_bootstrap(0, 0, 1000, 1, &lo, &hi);
	ok(isnan(lo) && isnan(hi), "no predictions: no interval");
	dss_eval_bootstrap(549367, 500000, 1000, 3, &lo, &hi);
	ok(lo < 500000.0 / 549367 && hi > 500000.0 / 549367 && hi - lo < 0.002,
	    "549,367 predictions: a narrow interval [%g, %g]", lo, hi);

	dss_mt19937_seed(&m, 42);
	for (i = 0; i < draws; i++) {
		k = dss_eval_binomial(&m, 1000, 0.3);
		sum += (double)k;
		sq += (double)k * (double)k;
	}
	mean = sum / draws;
	var = sq / draws - mean * mean;
	/* mean 300, variance 210; standard error of the mean 0.10 */
	ok(fabs(mean - 300) < 0.5, "binomial(1000, 0.3) mean %g is 300", mean);
	ok(fabs(var - 210) < 10, "binomial(1000, 0.3) variance %g is 210", var);
	sum = 0;
	for (i = 0; i < draws; i++)
		sum += (double)dss_eval_binomial(&m, 3, 0.5);
	ok(fabs(sum / draws - 1.5) < 0.03, "binomial(3, 0.5) mean %g is 1.5",
	    sum / draws);
	k = 0;
	for (i = 0; i < 1000; i++)
		k += dss_eval_binomial(&m, 10, 0.999) > 10;
	ok(k == 0, "a draw never exceeds n");
	is_int((long long)dss_eval_binomial(&m, 10, 0), 0, "p 0 draws 0");
	is_int((long long)dss_eval_binomial(&m, 10, 1), 10, "p 1 draws n");
}

int
main(void)
{
	fold("Entailment", "entailment");
	fold("  NEUTRAL \t", "neutral");
	fold("kitchen\n  Sink", "kitchen sink");
	fold("a\t\tb  c", "a b c");
	fold("", "");
	fold(" \t\n ", "");
	fold("Café ÉTÉ", "café ÉtÉ");	/* ASCII letters only */

	/* labels: folded forgives case and spaces, official does not */
	lab("entailment", "entailment", nli, 3, 1, 1, 0, 0);
	lab("Entailment", "entailment", nli, 3, 1, 0, 0, 1);
	lab(" neutral\n", "neutral", nli, 3, 1, 0, 0, 1);
	lab("contra diction", "contradiction", nli, 3, 0, 0, 1, 1);
	lab("neutral", "contradiction", nli, 3, 0, 0, 0, 0);
	lab("Neutral", "contradiction", nli, 3, 0, 0, 0, 1);
	lab("entailment.", "entailment", nli, 3, 0, 0, 1, 1);
	lab("", "entailment", nli, 3, 0, 0, 1, 1);
	lab("maybe", "entailment", NULL, 0, 0, 0, 0, 0);
	{
		static const char *const ch[] = { "porch", "kitchen sink", "oven" };

		lab("Kitchen  sink", "kitchen sink", ch, 3, 1, 0, 0, 1);
		lab("oven", "kitchen sink", ch, 3, 0, 0, 0, 0);
		lab("(c) oven", "kitchen sink", ch, 3, 0, 0, 1, 1);
	}

	/* equations */
	eq("( 84.0 / 2.0 )", "( 84.0 / 2.0 )", 1, 1, 0, 0);
	eq("84 / 2", "( 84.0 / 2.0 )", 1, 1, 0, 0);
	eq("42", "( 84.0 / 2.0 )", 1, 1, 0, 0);
	eq(" (84/2) \n", "( 84.0 / 2.0 )", 1, 1, 0, 0);
	eq("43", "( 84.0 / 2.0 )", 0, 0, 0, 0);
	/* thousands separators: the official eval() makes a tuple of them */
	eq("1,234", "( 1234.0 )", 1, 0, 0, 1);
	eq("1,234.5 - 0.5", "1234", 1, 0, 0, 1);
	eq("1,23", "123", 0, 0, 1, 1);
	/* the tolerance: 1e-6 of the gold value, and at least 1e-6 */
	eq("0.1 + 0.2", "0.3", 1, 0, 0, 0);
	eq("0.5000009", "0.5", 1, 0, 0, 0);
	eq("0.500002", "0.5", 0, 0, 0, 0);
	eq("1000000.9", "1000000", 1, 0, 0, 0);
	eq("1000002", "1000000", 0, 0, 0, 0);
	eq("-3.0000001", "( 2.0 - 5.0 )", 1, 0, 0, 0);
	/* division by zero and text around the equation */
	eq("5 / 0", "5", 0, 0, 1, 1);
	eq("5 / (2 - 2)", "5", 0, 0, 1, 1);
	eq("The answer is 5", "5", 0, 0, 1, 1);
	eq("5 apples", "5", 0, 0, 1, 1);
	eq("(5", "5", 0, 0, 1, 1);
	eq("", "5", 0, 0, 1, 1);
	/* Python operators: only the official rule takes them */
	eq("2 ** 3", "8", 0, 1, 1, 0);
	eq("7 // 2", "3", 0, 1, 1, 0);
	eq("7 % 4", "3", 0, 1, 1, 0);
	eq("1e3", "1000", 0, 1, 1, 0);
	eq("05", "5", 1, 0, 0, 1);
	/* a gold that does not evaluate is never matched */
	eq("5", "five", 0, 0, 0, 0);
	eq("5", "5 / 0", 0, 0, 0, 0);

	ok(dss_eval_size_value("220M") == 220e6, "size 220M");
	ok(dss_eval_size_value("11B") == 11e9, "size 11B");
	ok(dss_eval_size_value("770m") == 770e6, "size 770m");
	ok(dss_eval_size_value("60000") == 60000, "size 60000");
	ok(isnan(dss_eval_size_value("large")), "size large is no number");
	ok(isnan(dss_eval_size_value("3Mx")), "size 3Mx is no number");

	bootstrap();
	return done();
}
