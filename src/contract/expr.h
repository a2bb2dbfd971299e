/* expr.h — the `where` expression language of contracts.md "Expressions".
 *
 * A contract's expressions are compiled once when the contract is applied (syntax errors
 * carry their 1-based byte column) and evaluated per event against the event's
 * `properties` object. Evaluation is total: it cannot fail, allocate or recurse deeper than
 * the compiled nesting (at most 64).
 */
#ifndef RAAS_CONTRACT_EXPR_H
#define RAAS_CONTRACT_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#include "base/json.h"
#include "raas/error.h"

#define RAAS_EXPR_MAX_BYTES 4096
#define RAAS_EXPR_MAX_DEPTH 64

struct raas_expr; /* opaque */

/* Compiles the len bytes at text. On success *out is new (free with raas_expr_free).
 * On a syntax error returns RAAS_E_INPUT and fills err: column = 1-based byte offset of
 * the problem (line 1), message such as "expected ')'", "a bare property path is not a
 * condition (write exists(is_test) or is_test == true)". path is left empty: the caller
 * knows where the expression sits. */
RAAS_WUR raas_rc raas_expr_compile(const char *text, size_t len, struct raas_expr **out,
                                   struct raas_err *err);

/* True when the expression holds for an event whose properties object is props (NULL or a
 * non-object: no properties). */
bool raas_expr_eval(const struct raas_expr *expr, const struct raas_json *props);

/* Takes expr (NULL is fine). */
void raas_expr_free(struct raas_expr *expr);

#endif
