/* SPDX-License-Identifier: MIT */
/*
 * The safe arithmetic evaluator: recursive descent over + - * /, unary
 * signs, parentheses and numbers with optional thousands separators,
 * computed in doubles with every non-finite intermediate an error.  The
 * Python dialect (dss_expr_evaln_python) shares the parser: its numbers
 * follow Python's literal grammar, it adds ** // and %, and newlines
 * separate tokens only inside parentheses.
 */
#include <ctype.h>
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
	int parens;		/* open parentheses */
	int python;		/* the Python dialect */
	struct dss_err *err;
};

static int expr(struct parser *p, double *out);
static int unary(struct parser *p, double *out);
static int power(struct parser *p, double *out);

static void
skip_space(struct parser *p)
{
	while (p->i < p->n) {
		char c = p->s[p->i];

		if (c == ' ' || c == '\t' ||
		    ((c == '\n' || c == '\r') && (!p->python || p->parens)) ||
		    (c == '\f' && p->python))
			p->i++;
		else
			break;
	}
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

/*
 * Python's decimal literal: digits with single underscores between them,
 * an optional fraction and exponent; an integer other than zero may not
 * begin with 0.  Imaginary, hexadecimal, octal and binary literals are
 * not taken (see expr.h).
 */
static size_t
py_digits(struct parser *p, char *num, size_t *len)
{
	size_t k = 0;

	while (p->i < p->n) {
		if (isdig(p->s[p->i])) {
			if (*len >= NUM_MAX)
				return (size_t)-1;
			num[(*len)++] = p->s[p->i++];
			k++;
		} else if (p->s[p->i] == '_' && k && p->i + 1 < p->n &&
		    isdig(p->s[p->i + 1]))
			p->i++;
		else
			break;
	}
	return k;
}

static int
py_number(struct parser *p, double *out)
{
	char num[NUM_MAX + 4];	/* digits, and room for '.', 'e' and a sign */
	size_t len = 0, start = p->i, intdigits, k;
	int isfloat = 0;

	if ((intdigits = py_digits(p, num, &len)) == (size_t)-1)
		goto toolong;
	if (p->i < p->n && p->s[p->i] == '.') {
		isfloat = 1;
		num[len++] = '.';
		p->i++;
		if ((k = py_digits(p, num, &len)) == (size_t)-1)
			goto toolong;
		if (intdigits == 0 && k == 0)
			return dss_err_set(p->err, "byte %zu: expected a number",
			    start);
	}
	if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E') &&
	    (intdigits || isfloat)) {
		size_t save = p->i;

		isfloat = 1;
		num[len++] = 'e';
		p->i++;
		if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			num[len++] = p->s[p->i++];
		if ((k = py_digits(p, num, &len)) == (size_t)-1)
			goto toolong;
		if (k == 0)
			return dss_err_set(p->err,
			    "byte %zu: malformed exponent", save);
	}
	if (p->i < p->n && (p->s[p->i] == '_' || isalpha((unsigned char)
	    p->s[p->i])))
		return dss_err_set(p->err, "byte %zu: invalid number literal",
		    start);
	num[len] = '\0';
	if (!isfloat && num[0] == '0' && strspn(num, "0") != len)
		return dss_err_set(p->err,
		    "byte %zu: leading zeros in an integer", start);
	*out = strtod(num, NULL);
	if (!isfinite(*out))
		return dss_err_set(p->err, "byte %zu: number out of range", start);
	return 0;
toolong:
	return dss_err_set(p->err, "byte %zu: number too long", start);
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
		p->parens++;
		if (expr(p, out) < 0)
			return -1;
		skip_space(p);
		if (p->i >= p->n || p->s[p->i] != ')')
			return dss_err_set(p->err,
			    "byte %zu: unbalanced parenthesis", open);
		p->parens--;
		p->i++;
		p->depth--;
		return 0;
	}
	if (isdig(p->s[p->i]) || p->s[p->i] == '.')
		return p->python ? py_number(p, out) : number(p, out);
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
	return p->python ? power(p, out) : primary(p, out);
}

/*
 * Python's power: a primary, then "**" and a signed operand, binding to
 * the right (2**3**2 is 512, -2**2 is -4, 2**-1 is 0.5).  A zero base
 * with a negative exponent fails as Python's ZeroDivisionError does; a
 * negative base with a fractional exponent, whose Python value is a
 * complex number, fails too.
 */
static int
power(struct parser *p, double *out)
{
	double b, e;
	size_t at;

	if (primary(p, &b) < 0)
		return -1;
	skip_space(p);
	if (p->i + 1 >= p->n || p->s[p->i] != '*' || p->s[p->i + 1] != '*') {
		*out = b;
		return 0;
	}
	at = p->i;
	p->i += 2;
	if (++p->depth > DSS_EXPR_MAX_DEPTH)
		return dss_err_set(p->err, "byte %zu: powers nested deeper than %d",
		    at, DSS_EXPR_MAX_DEPTH);
	if (unary(p, &e) < 0)
		return -1;
	p->depth--;
	if (b == 0 && e < 0)
		return dss_err_set(p->err, "byte %zu: division by zero", at);
	if (b < 0 && e != floor(e))
		return dss_err_set(p->err, "byte %zu: complex result", at);
	*out = pow(b, e);
	if (!isfinite(*out))
		return dss_err_set(p->err, "byte %zu: overflow", at);
	return 0;
}

/*
 * Python's floor division and modulo of doubles: the remainder takes the
 * sign of the divisor and the quotient is rounded towards minus infinity.
 */
static void
py_divmod(double a, double b, double *quot, double *rem)
{
	double mod = fmod(a, b), div = (a - mod) / b, fl;

	if (mod != 0) {
		if ((b < 0) != (mod < 0)) {
			mod += b;
			div -= 1.0;
		}
	} else
		mod = copysign(0.0, b);
	if (div != 0) {
		fl = floor(div);
		if (div - fl > 0.5)
			fl += 1.0;
	} else
		fl = copysign(0.0, a / b);
	*quot = fl;
	*rem = mod;
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
		if (p->i >= p->n || (p->s[p->i] != '*' && p->s[p->i] != '/' &&
		    (p->s[p->i] != '%' || !p->python)))
			break;
		op = p->s[p->i];
		at = p->i++;
		if (p->python && op == '/' && p->i < p->n && p->s[p->i] == '/') {
			op = 'f';
			p->i++;
		}
		if (unary(p, &r) < 0)
			return -1;
		if (op != '*' && r == 0)
			return dss_err_set(p->err, "byte %zu: division by zero", at);
		if (op == '/')
			v /= r;
		else if (op == '*')
			v *= r;
		else {
			double q, m;

			py_divmod(v, r, &q, &m);
			v = op == 'f' ? q : m;
		}
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

static int
py_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\f' || c == '\n' || c == '\r';
}

static int
evaluate(const char *s, size_t n, int python, double *out, struct dss_err *err)
{
	struct parser p = { s, n, 0, 0, 0, python, err };
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
dss_expr_evaln(const char *s, size_t n, double *out, struct dss_err *err)
{
	return evaluate(s, n, 0, out, err);
}

int
dss_expr_evaln_python(const char *s, size_t n, double *out,
    struct dss_err *err)
{
	/* eval() drops leading blanks, and blank lines around the expression
	 * are no tokens. */
	while (n && py_blank(s[n - 1]))
		n--;
	while (n && py_blank(*s)) {
		s++;
		n--;
	}
	return evaluate(s, n, 1, out, err);
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
