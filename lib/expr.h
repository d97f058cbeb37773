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
/* Like dss_expr_evaln for a NUL-terminated string. */
int dss_expr_eval(const char *s, double *out, struct dss_err *err);

/*
 * True (1) when a and b are equal within relative tolerance rel_tol,
 * measured against the larger magnitude (and exactly equal when both are
 * zero); 0 otherwise, and always 0 when either is not finite.
 */
int dss_expr_equal(double a, double b, double rel_tol);

#endif
