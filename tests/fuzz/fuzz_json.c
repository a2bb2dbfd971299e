/* fuzz_json.c — libFuzzer target for src/base/json.c.
 *
 * Every input is parsed twice: with the default limits and with small ones (depth 8,
 * numbers of at most 128 plain characters). An accepted document must write back
 * compactly, re-parse, be raas_json_equal to the original (and to itself), and write
 * again byte for byte the same; its compact form is never longer than the input. A
 * rejection must be RAAS_E_INPUT with a position inside the input (line and column of an
 * existing byte, or just past the last one) and a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

/* Whether (line, column) names a byte of the input, or the position just after it. */
static int position_ok(const char *text, size_t len, uint32_t line, uint32_t column)
{
	size_t start = 0, end;
	uint32_t l = 1;

	for (size_t i = 0; i < len && l < line; i++) {
		if (text[i] == '\n') {
			l++;
			start = i + 1;
		}
	}
	if (l != line || column == 0)
		return 0;
	end = start;
	while (end < len && text[end] != '\n')
		end++;
	/* the offending byte may be the newline itself, or the end of the input */
	return start + column - 1 <= end;
}

static void check(const char *text, size_t len, const struct raas_json_limits *lim)
{
	struct raas_arena arena;
	struct raas_json *v = NULL, *w = NULL;
	struct raas_err err;
	struct raas_buf b1, b2;
	raas_rc rc;

	raas_arena_init(&arena, 0);
	raas_buf_init(&b1, len + 16);
	raas_buf_init(&b2, len + 16);
	rc = raas_json_parse(&arena, text, len, lim, &v, &err);
	if (rc != RAAS_OK) {
		CHECK(rc == RAAS_E_INPUT);
		CHECK(v == NULL);
		CHECK(err.code == RAAS_E_INPUT);
		CHECK(err.message[0] != '\0');
		CHECK(position_ok(text, len, err.line, err.column));
		goto out;
	}
	CHECK(v != NULL);
	CHECK(raas_json_equal(v, v));
	CHECK(raas_json_write(&b1, v) == RAAS_OK);
	CHECK(b1.len <= len);
	rc = raas_json_parse(&arena, b1.data, b1.len, lim, &w, &err);
	CHECK(rc == RAAS_OK);
	CHECK(raas_json_equal(v, w));
	CHECK(raas_json_equal(w, v));
	CHECK(raas_json_write(&b2, w) == RAAS_OK);
	CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
out:
	raas_buf_free(&b1);
	raas_buf_free(&b2);
	raas_arena_free(&arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct raas_json_limits small = {0, 8, 128};

	check((const char *)data, size, NULL);
	check((const char *)data, size, &small);
	return 0;
}
