/* expr_driver.c — evaluates `where` expressions for tests/integration/doc_examples.py.
 *
 * Reads lines "EXPRESSION<TAB>PROPERTIES_JSON" from stdin and prints one line per input:
 * "true", "false", "syntax error at column N" (compile error), or "bad properties: ..."
 * when the JSON does not parse.
 */
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/json.h"
#include "contract/expr.h"

int main(void)
{
	static char line[1 << 16];

	while (fgets(line, sizeof line, stdin)) {
		size_t len = strcspn(line, "\n");
		char *tab = memchr(line, '\t', len);
		struct raas_expr *expr = NULL;
		struct raas_json *props = NULL;
		struct raas_arena arena;
		struct raas_err err;

		line[len] = '\0';
		if (!tab) {
			printf("bad input line\n");
			continue;
		}
		*tab = '\0';
		raas_arena_init(&arena, 0);
		if (raas_json_parse(&arena, tab + 1, strlen(tab + 1), NULL, &props, &err)) {
			printf("bad properties: %s\n", err.message);
		} else if (raas_expr_compile(line, strlen(line), &expr, &err)) {
			printf("syntax error at column %u\n", err.column);
		} else {
			printf("%s\n", raas_expr_eval(expr, props) ? "true" : "false");
			raas_expr_free(expr);
		}
		raas_arena_free(&arena);
	}
	return 0;
}
