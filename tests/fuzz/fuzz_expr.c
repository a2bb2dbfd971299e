/* fuzz_expr.c — libFuzzer target for the `where` expression compiler and evaluator.
 *
 * The input is an expression, optionally followed by a NUL byte and a properties JSON
 * document. Besides "never crash", it checks properties that must hold for every
 * expression E that compiles: evaluation is deterministic; `!(E)` evaluates to the
 * negation of E, and `(E)`, `E && true` and `false || E` to E itself (each of them may
 * only be rejected for the length or nesting limit); a syntax error always points inside
 * the text (or just past it) on line 1 and carries a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/json.h"
#include "contract/expr.h"
#include "raas/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_expr: %s\n", what);
		abort();
	}
}

static void check_error(const struct raas_err *err, size_t len)
{
	check(err->code == RAAS_E_INPUT, "error code");
	check(err->line == 1, "error line");
	check(err->path[0] == '\0', "error path");
	check(err->message[0] != '\0', "error message");
	if (len > RAAS_EXPR_MAX_BYTES)
		check(err->column == RAAS_EXPR_MAX_BYTES + 1, "length error column");
	else
		check(err->column >= 1 && err->column <= len + 1, "error column");
}

/* Compiles prefix‖E‖suffix and, if it compiles, returns its value through *value. It may
 * fail only for the length or nesting limit: returns 0 then. */
static int variant(const char *prefix, const char *e, size_t len, const char *suffix,
                   const struct raas_json *props, bool *value)
{
	static char buf[2 * RAAS_EXPR_MAX_BYTES];
	size_t pl = strlen(prefix), sl = strlen(suffix), n = pl + len + sl;
	struct raas_expr *x = NULL;
	struct raas_err err;
	raas_rc rc;

	if (n > sizeof buf)
		return 0;
	memcpy(buf, prefix, pl);
	memcpy(buf + pl, e, len);
	memcpy(buf + pl + len, suffix, sl);
	rc = raas_expr_compile(buf, n, &x, &err);
	if (rc != RAAS_OK) {
		check_error(&err, n);
		check(strstr(err.message, "nesting deeper than 64") != NULL ||
		              strstr(err.message, "expression longer than 4096 bytes") != NULL,
		      "a wrapped valid expression was rejected for a reason other than a limit");
		return 0;
	}
	*value = raas_expr_eval(x, props);
	raas_expr_free(x);
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const uint8_t *nul = memchr(data, 0, size);
	size_t len = nul ? (size_t)(nul - data) : size;
	struct raas_arena arena;
	struct raas_json *props = NULL;
	struct raas_expr *e = NULL;
	struct raas_err err;
	bool v, w;
	raas_rc rc;

	raas_err_clear(&err);
	rc = raas_expr_compile(text, len, &e, &err);
	if (rc != RAAS_OK) {
		check(e == NULL, "output set on error");
		check_error(&err, len);
		return 0;
	}
	raas_arena_init(&arena, 1u << 24);
	if (nul && raas_json_parse(&arena, (const char *)nul + 1, size - len - 1, NULL, &props,
	                           &err) != RAAS_OK)
		goto out;
	v = raas_expr_eval(e, props);
	check(v == raas_expr_eval(e, props), "evaluation is not deterministic");
	if (variant("!(", text, len, ")", props, &w))
		check(w == !v, "!(E) is not the negation of E");
	if (variant("(", text, len, ")", props, &w))
		check(w == v, "(E) differs from E");
	if (variant("", text, len, " && true", props, &w))
		check(w == v, "E && true differs from E");
	if (variant("false || ", text, len, "", props, &w))
		check(w == v, "false || E differs from E");
	if (variant(" \n", text, len, "\t", props, &w))
		check(w == v, "surrounding whitespace changes E");
out:
	raas_expr_free(e);
	raas_arena_free(&arena);
	return 0;
}
