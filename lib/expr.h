/* SPDX-License-Identifier: MIT */
/*
 * A small, safe arithmetic evaluator for the equations teachers state as
 * SVAMP answers.  It understands numbers (decimals, and thousands
 * separators only where well-formed: "1,234.5" but not "1,23"), the
 * binary operators + - * /, unary minus and plus, and parentheses nested
 * at most DSS_EXPR_MAX_DEPTH deep.  Nothing is executed: the input is
 * parsed by recursive descent and computed in doubles.  Division by zero,
 * a result that is not finite, trailing junk, unbalanced parentheses and
 * empty input are errors, reported in a struct dss_err.
 */
#ifndef DSS_EXPR_H
#define DSS_EXPR_H

#include <stddef.h>

#include "err.h"

#define DSS_EXPR_MAX_DEPTH 64
#define DSS_EXPR_REL_TOL 1e-6

/*
 * Evaluates the n bytes at s (which need not be NUL-terminated) and
 * stores the value in *out.  Returns 0, or -1 with err saying what is
 * wrong and at which byte offset.
 */
int dss_expr_evaln(const char *s, size_t n, double *out, struct dss_err *err);
/*
 * Evaluates the n bytes at s as Python's eval() would an arithmetic
 * expression, as the official Distilling Step-by-Step code scores SVAMP:
 * Python number literals ("1_000", "5.", "1e3"; no thousands separators,
 * so "1,234" fails, as Python makes a tuple of it; no leading zeros in an
 * integer, so "05" fails), + - * / // % and ** with Python's precedence
 * and signs, parentheses, and newlines only inside parentheses or around
 * the expression.  A failure is whatever Python's eval() would raise
 * (syntax, division or modulo by zero, 0 ** -1), and also where Python
 * would return a value that is not a finite real number: a complex power
 * of a negative base, an infinity from an overflow or a literal such as
 * 1e400.  The value is a double: integers beyond 2^53, which Python keeps
 * exact, are rounded.  Not taken, though Python takes them: names and
 * calls, comparisons, ~ and the bitwise operators, hexadecimal, octal,
 * binary and imaginary literals, and backslash continuations.
 */
int dss_expr_evaln_python(const char *s, size_t n, double *out,
    struct dss_err *err);
/* Like dss_expr_evaln for a NUL-terminated string. */
int dss_expr_eval(const char *s, double *out, struct dss_err *err);

/*
 * True (1) when a and b are equal within relative tolerance rel_tol,
 * measured against the larger magnitude (and exactly equal when both are
 * zero); 0 otherwise, and always 0 when either is not finite.
 */
int dss_expr_equal(double a, double b, double rel_tol);

#endif
