/* SPDX-License-Identifier: MIT */
/*
 * The safe arithmetic evaluator: recursive descent over + - * /, unary
 * signs, parentheses and numbers with optional thousands separators,
 * computed in doubles with every non-finite intermediate an error.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

#define NUM_MAX 400

struct parser {
	const char *s;
	size_t n, i;
	int depth;
	struct dss_err *err;
};

static int expr(struct parser *p, double *out);

static void
skip_space(struct parser *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' ||
	    p->s[p->i] == '\n' || p->s[p->i] == '\r'))
		p->i++;
}

static int
isdig(int c)
{
	return c >= '0' && c <= '9';
}

static int
number(struct parser *p, double *out)
{
	char num[NUM_MAX + 1];
	size_t len = 0, start = p->i, group = 0;
	int commas = 0, digits = 0;

	while (p->i < p->n) {
		int c = (unsigned char)p->s[p->i];

		if (isdig(c)) {
			group++;
			digits++;
		} else if (c == ',') {
			/* A separator needs 1-3 digits before the first one,
			 * and exactly three digits after every one. */
			if (group == 0 || group > 3 || (commas && group != 3))
				break;
			if (p->i + 3 >= p->n || !isdig(p->s[p->i + 1]) ||
			    !isdig(p->s[p->i + 2]) || !isdig(p->s[p->i + 3]))
				break;
			commas++;
			group = 0;
			p->i++;
			continue;
		} else
			break;
		if (len >= NUM_MAX)
			return dss_err_set(p->err, "byte %zu: number too long", start);
		num[len++] = (char)c;
		p->i++;
	}
	if (commas && group != 3)
		return dss_err_set(p->err,
		    "byte %zu: malformed thousands separator", start);
	if (p->i < p->n && p->s[p->i] == ',' && digits)
		return dss_err_set(p->err,
		    "byte %zu: malformed thousands separator", p->i);
	if (p->i < p->n && p->s[p->i] == '.') {
		if (len >= NUM_MAX)
			return dss_err_set(p->err, "byte %zu: number too long", start);
		num[len++] = '.';
		p->i++;
		while (p->i < p->n && isdig(p->s[p->i])) {
			if (len >= NUM_MAX)
				return dss_err_set(p->err,
				    "byte %zu: number too long", start);
			num[len++] = p->s[p->i++];
			digits++;
		}
	}
	if (digits == 0)
		return dss_err_set(p->err, "byte %zu: expected a number", start);
	num[len] = '\0';
	errno = 0;
	*out = strtod(num, NULL);
	if (!isfinite(*out))
		return dss_err_set(p->err, "byte %zu: number out of range", start);
	return 0;
}

static int
primary(struct parser *p, double *out)
{
	skip_space(p);
	if (p->i >= p->n)
		return dss_err_set(p->err, "byte %zu: unexpected end of expression",
		    p->i);
	if (p->s[p->i] == '(') {
		size_t open = p->i;

		if (++p->depth > DSS_EXPR_MAX_DEPTH)
			return dss_err_set(p->err,
			    "byte %zu: parentheses nested deeper than %d", p->i,
			    DSS_EXPR_MAX_DEPTH);
		p->i++;
		if (expr(p, out) < 0)
			return -1;
		skip_space(p);
		if (p->i >= p->n || p->s[p->i] != ')')
			return dss_err_set(p->err,
			    "byte %zu: unbalanced parenthesis", open);
		p->i++;
		p->depth--;
		return 0;
	}
	if (isdig(p->s[p->i]) || p->s[p->i] == '.')
		return number(p, out);
	return dss_err_set(p->err, "byte %zu: unexpected '%c'", p->i,
	    p->s[p->i]);
}

static int
unary(struct parser *p, double *out)
{
	skip_space(p);
	if (p->i < p->n && (p->s[p->i] == '-' || p->s[p->i] == '+')) {
		int neg = p->s[p->i] == '-';

		if (++p->depth > DSS_EXPR_MAX_DEPTH)
			return dss_err_set(p->err,
			    "byte %zu: signs nested deeper than %d", p->i,
			    DSS_EXPR_MAX_DEPTH);
		p->i++;
		if (unary(p, out) < 0)
			return -1;
		p->depth--;
		if (neg)
			*out = -*out;
		return 0;
	}
	return primary(p, out);
}

static int
term(struct parser *p, double *out)
{
	double v, r;

	if (unary(p, &v) < 0)
		return -1;
	for (;;) {
		char op;
		size_t at;

		skip_space(p);
		if (p->i >= p->n || (p->s[p->i] != '*' && p->s[p->i] != '/'))
			break;
		op = p->s[p->i];
		at = p->i++;
		if (unary(p, &r) < 0)
			return -1;
		if (op == '/') {
			if (r == 0)
				return dss_err_set(p->err,
				    "byte %zu: division by zero", at);
			v /= r;
		} else
			v *= r;
		if (!isfinite(v))
			return dss_err_set(p->err, "byte %zu: overflow", at);
	}
	*out = v;
	return 0;
}

static int
expr(struct parser *p, double *out)
{
	double v, r;

	if (term(p, &v) < 0)
		return -1;
	for (;;) {
		char op;
		size_t at;

		skip_space(p);
		if (p->i >= p->n || (p->s[p->i] != '+' && p->s[p->i] != '-'))
			break;
		op = p->s[p->i];
		at = p->i++;
		if (term(p, &r) < 0)
			return -1;
		v = op == '+' ? v + r : v - r;
		if (!isfinite(v))
			return dss_err_set(p->err, "byte %zu: overflow", at);
	}
	*out = v;
	return 0;
}

int
dss_expr_evaln(const char *s, size_t n, double *out, struct dss_err *err)
{
	struct parser p = { s, n, 0, 0, err };
	double v;

	skip_space(&p);
	if (p.i >= p.n)
		return dss_err_set(err, "empty expression");
	if (expr(&p, &v) < 0)
		return -1;
	skip_space(&p);
	if (p.i < p.n) {
		if (p.s[p.i] == ')')
			return dss_err_set(err, "byte %zu: unbalanced parenthesis",
			    p.i);
		return dss_err_set(err, "byte %zu: trailing '%c'", p.i, p.s[p.i]);
	}
	*out = v;
	return 0;
}

int
dss_expr_eval(const char *s, double *out, struct dss_err *err)
{
	return dss_expr_evaln(s, strlen(s), out, err);
}

int
dss_expr_equal(double a, double b, double rel_tol)
{
	double m;

	if (!isfinite(a) || !isfinite(b))
		return 0;
	if (a == b)
		return 1;
	m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
	return fabs(a - b) <= rel_tol * m;
}
