/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the safe arithmetic evaluator: precedence, signs,
 * decimals, thousands separators, and every error it must report
 * instead of crashing or guessing.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/expr.h"
#include "tap.h"

static void
value(const char *s, double want)
{
	struct dss_err err = DSS_ERR_INIT;
	double v = NAN;
	int r = dss_expr_eval(s, &v, &err);

	if (!ok(r == 0 && dss_expr_equal(v, want, 1e-12), "'%s' is %g", s, want))
		printf("#   got %g (r=%d, %s)\n", v, r, err.msg);
}

static void
error(const char *s, const char *msg)
{
	struct dss_err err = DSS_ERR_INIT;
	double v = 0;
	int r = dss_expr_eval(s, &v, &err);

	if (!ok(r == -1 && strstr(err.msg, msg) != NULL, "'%s' fails: %s", s, msg))
		printf("#   got r=%d v=%g msg '%s'\n", r, v, err.msg);
}

/* s with its control characters written as escapes, for test names. */
static const char *
show(const char *s)
{
	static char out[1024];
	size_t n = 0;

	for (; *s && n + 3 < sizeof(out); s++) {
		const char *esc = *s == '\n' ? "\\n" : *s == '\t' ? "\\t" :
		    *s == '\f' ? "\\f" : *s == '\r' ? "\\r" : NULL;

		if (esc != NULL) {
			memcpy(out + n, esc, 2);
			n += 2;
		} else
			out[n++] = *s;
	}
	out[n] = '\0';
	return out;
}

/* The Python dialect: value exactly as Python's eval() gives it. */
static void
pyvalue(const char *s, double want)
{
	struct dss_err err = DSS_ERR_INIT;
	double v = NAN;
	int r = dss_expr_evaln_python(s, strlen(s), &v, &err);

	if (!ok(r == 0 && v == want, "python '%s' is %.17g", show(s), want))
		printf("#   got %.17g (r=%d, %s)\n", v, r, err.msg);
}

static void
pyerror(const char *s, const char *msg)
{
	struct dss_err err = DSS_ERR_INIT;
	double v = 0;
	int r = dss_expr_evaln_python(s, strlen(s), &v, &err);

	if (!ok(r == -1 && strstr(err.msg, msg) != NULL,
	    "python '%s' fails: %s", show(s), msg))
		printf("#   got r=%d v=%g msg '%s'\n", r, v, err.msg);
}

static void
python_dialect(void)
{
	char deep[512];
	size_t i;

	pyvalue("( 84.0 / 2.0 )", 42);
	pyvalue("(10 * 45)", 450);
	pyvalue("\n5", 5);
	pyvalue(" \t5 \n\n", 5);
	pyvalue("\f5", 5);
	pyvalue("(1\n+2)", 3);
	pyvalue("00", 0);
	pyvalue("0_0", 0);
	pyvalue("01.5", 1.5);
	pyvalue("01e1", 10);
	pyvalue("5.", 5);
	pyvalue("5.e3", 5000);
	pyvalue(".5", 0.5);
	pyvalue("1_000", 1000);
	pyvalue("1e1_0", 1e10);
	pyvalue("1.0_5", 1.05);
	pyvalue("2.5E-1", 0.25);
	pyvalue("-2**2", -4);
	pyvalue("2**-1", 0.5);
	pyvalue("2**3**2", 512);
	pyvalue("(-2)**2", 4);
	pyvalue("0**0", 1);
	pyvalue("2 ** 0.5", sqrt(2));
	pyvalue("7//2", 3);
	pyvalue("-7//2", -4);
	pyvalue("7.5//2", 3);
	pyvalue("-7%3", 2);
	pyvalue("7%-3", -2);
	pyvalue("7.5%2", 1.5);
	pyvalue("2 * 3 % 4", 2);
	pyvalue("10 - 2 // 3 * 4", 10);
	pyvalue("0.1 + 0.2", 0.1 + 0.2);
	pyvalue("(((1)))", 1);
	pyvalue("--3", 3);

	pyerror("1\n+2", "trailing");
	pyerror("01", "leading zeros");
	pyerror("007", "leading zeros");
	pyerror("1__0", "invalid number literal");
	pyerror("5_", "invalid number literal");
	pyerror("1_.5", "invalid number literal");
	pyerror("1e", "malformed exponent");
	pyerror("1,234", "trailing ','");
	pyerror("5%0", "division by zero");
	pyerror("5//0", "division by zero");
	pyerror("3 / 0", "division by zero");
	pyerror("0**-1", "division by zero");
	pyerror("(-8)**(1/3)", "complex result");
	pyerror("1e400", "out of range");
	pyerror("10.0**400", "overflow");
	pyerror("1j", "invalid number literal");
	pyerror("0x10", "invalid number literal");
	pyerror("~5", "unexpected '~'");
	pyerror("5 == 5", "trailing '='");
	pyerror("The answer is 5", "unexpected 'T'");
	pyerror("", "empty expression");
	pyerror(" \n ", "empty expression");
	pyerror(".", "expected a number");
	/* 2*2*...*2, a hundred factors, nests nothing ... */
	for (i = 0; i < 100; i++)
		memcpy(deep + 2 * i, "2*", 2);
	deep[199] = '\0';
	pyvalue(deep, ldexp(1, 100));
	/* ... but 1**1**...**1 nests its exponents */
	for (i = 0; i < 100; i++)
		memcpy(deep + 3 * i, "1**", 3);
	deep[298] = '\0';
	pyerror(deep, "nested deeper than");
	{
		struct dss_err err = DSS_ERR_INIT;
		double v = 0;

		is_int(dss_expr_evaln_python("(2 + 3) * 4 junk", 11, &v, &err), 0,
		    "python evaln stops at its length");
		is_int((long long)v, 20, "python evaln value");
		ok(dss_expr_eval("2 ** 3", &v, &err) == -1,
		    "the plain dialect has no **");
		ok(dss_expr_eval("7 % 2", &v, &err) == -1,
		    "the plain dialect has no %%");
	}
}

int
main(void)
{
	char deep[512];
	size_t i;

	value("( 10.0 * 45.0 )", 450);
	value("(10 * 45)", 450);
	value("1 + 2 * 3", 7);
	value("(1 + 2) * 3", 9);
	value("10 - 4 - 3", 3);
	value("48 / 4 / 2", 6);
	value("( ( 14.0 - 2.0 ) - 10.0 )", 2);
	value("45 - (-1)", 46);
	value("-3 * -2", 6);
	value("--3", 3);
	value("+4", 4);
	value("-(2 + 3)", -5);
	value("0.5 + .25", 0.75);
	value("7.", 7);
	value("322,775", 322775);
	value("1,234.5 * 2", 2469);
	value("1,000,000 - 1", 999999);
	value("91676 - 61619", 30057);
	value("  12  ", 12);
	value("1 / 3 * 3", 1);

	error("", "empty expression");
	error("   ", "empty expression");
	error("1 / 0", "division by zero");
	error("5 / (2 - 2)", "division by zero");
	error("(1 + 2", "unbalanced parenthesis");
	error("1 + 2)", "unbalanced parenthesis");
	error("(12 - 2) - 7)", "unbalanced parenthesis");
	error("1 +", "unexpected end");
	error("1 2", "trailing '2'");
	error("2 x 3", "trailing 'x'");
	error("1,23", "malformed thousands separator");
	error("1,2345", "malformed thousands separator");
	error("12345,678", "malformed thousands separator");
	error("3, 4", "malformed thousands separator");
	error("abc", "unexpected 'a'");
	error("()", "unexpected ')'");
	error("1e3", "trailing 'e'");
	error("import os", "unexpected 'i'");
	error("9999999999999999999999999999999999999999999999999999999999999999"
	    "9999999999999999999999999999999999999999999999999999999999999999"
	    "9999999999999999999999999999999999999999999999999999999999999999"
	    "9999999999999999999999999999999999999999999999999999999999999999"
	    "9999999999999999999999999999999999999999999999999999999999999999",
	    "number out of range");
	memset(deep, '9', 200);
	memcpy(deep + 200, " * ", 3);
	memset(deep + 203, '9', 200);
	deep[403] = '\0';
	error(deep, "overflow");
	for (i = 0; i < 100; i++)
		deep[i] = '(';
	deep[100] = '1';
	for (i = 0; i < 100; i++)
		deep[101 + i] = ')';
	deep[201] = '\0';
	error(deep, "nested deeper than");
	for (i = 0; i < 200; i++)
		deep[i] = '-';
	deep[200] = '1';
	deep[201] = '\0';
	error(deep, "nested deeper than");

	{
		struct dss_err err = DSS_ERR_INIT;
		double v = 0;

		is_int(dss_expr_evaln("(2 + 3) * 4 junk", 11, &v, &err), 0,
		    "evaln stops at its length");
		is_int((long long)v, 20, "evaln value");
		dss_expr_eval("1 / 0", &v, &err);
		is_str(err.msg, "byte 2: division by zero",
		    "the message names the byte");
		ok(dss_expr_eval("1 / 0", &v, NULL) == -1, "err may be NULL");
	}
	ok(dss_expr_equal(1.0, 1.0 + 1e-9, 1e-6), "equal within 1e-6");
	ok(!dss_expr_equal(1.0, 1.0 + 1e-5, 1e-6), "not equal beyond 1e-6");
	ok(dss_expr_equal(0, 0, 1e-6), "zero equals zero");
	ok(!dss_expr_equal(0, 1e-9, 1e-6), "zero is not 1e-9");
	ok(dss_expr_equal(-450, -450.0000001, 1e-6), "negative values");
	ok(!dss_expr_equal(NAN, NAN, 1e-6), "nan never equal");
	ok(!dss_expr_equal(INFINITY, INFINITY, 1e-6), "infinity never equal");
	python_dialect();
	return done();
}
