/* fuzz_json_jansson.c — differential libFuzzer target: src/base/json.c against jansson.
 *
 * jansson (json_loadb with JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL) must
 * make the same accept/reject decision as raas_json_parse, and for accepted documents
 * build the same structure: the same types, array lengths, object sizes and keys, and
 * string values byte for byte (numbers: only that both are numbers, since jansson turns
 * them into int64/double). raas is given a depth limit far beyond any fuzz input, and no
 * size or number limit.
 *
 * Exclusions — inputs jansson rejects by design and raas accepts on purpose; the target
 * skips a document when jansson's error code (json_error_code) is one of:
 *   - json_error_numeric_overflow: an integer outside int64 ("too big integer", "too big
 *     negative integer") or a real whose strtod overflows ("real number overflow"); raas
 *     keeps every number as exact text.
 *   - json_error_null_byte_in_key: "\u0000" inside an object key ("NUL byte in object key
 *     not supported"); raas keys carry their length.
 *   - json_error_stack_overflow: more than JSON_PARSER_MAX_DEPTH (2048) nested values;
 *     raas's depth is a limit of the caller's choosing (64 by default).
 * and, whatever jansson says, a document holding a raw NUL byte: jansson's reader drops a
 * NUL that directly follows a number or a literal (it ungets the byte and then takes the
 * NUL in its one-character buffer for "empty"), so it accepts `[1\0]` and `true\0`. A raw
 * NUL is never valid JSON (outside strings it is no token, inside it is a control
 * character), so for these documents the target checks that raas rejects them instead.
 * Nothing else is excluded: whitespace, literals, number grammar, escapes, surrogates,
 * UTF-8 validity, control characters, repeated keys and trailing data must all agree.
 * (When jansson stops at an excluded reason, the document may hold another error further
 * on; skipping it entirely claims nothing either way.)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/arena.h"
#include "base/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

/* Whether our tree r and jansson's j have the same structure. */
static int same_structure(const struct raas_json *r, const json_t *j)
{
	switch (r->type) {
	case RAAS_JSON_NULL:
		return json_is_null(j);
	case RAAS_JSON_TRUE:
		return json_is_true(j);
	case RAAS_JSON_FALSE:
		return json_is_false(j);
	case RAAS_JSON_NUMBER:
		return json_is_number(j);
	case RAAS_JSON_STRING:
		return json_is_string(j) && json_string_length(j) == r->len &&
		       memcmp(json_string_value(j), r->u.str, r->len) == 0;
	case RAAS_JSON_ARRAY:
		if (!json_is_array(j) || json_array_size(j) != r->len)
			return 0;
		for (uint32_t i = 0; i < r->len; i++)
			if (!same_structure(&r->u.items[i], json_array_get(j, i)))
				return 0;
		return 1;
	case RAAS_JSON_OBJECT:
		if (!json_is_object(j) || json_object_size(j) != r->len)
			return 0;
		for (uint32_t i = 0; i < r->len; i++) {
			const struct raas_json_member *m = &r->u.members[i];
			const json_t *jv = json_object_getn(j, m->key, m->key_len);
			if (!jv || !same_structure(&m->value, jv))
				return 0;
		}
		return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct raas_json_limits lim = {0, 1u << 20, 0};
	const size_t flags = JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL;
	struct raas_arena arena;
	struct raas_json *ours = NULL;
	struct raas_err err;
	json_error_t jerr;
	json_t *theirs;
	raas_rc rc;

	if (memchr(data, 0, size)) {
		raas_arena_init(&arena, 0);
		rc = raas_json_parse(&arena, (const char *)data, size, &lim, &ours, &err);
		CHECK(rc == RAAS_E_INPUT);
		raas_arena_free(&arena);
		return 0;
	}
	theirs = json_loadb((const char *)data, size, flags, &jerr);
	if (!theirs) {
		enum json_error_code code = json_error_code(&jerr);
		if (code == json_error_numeric_overflow || code == json_error_null_byte_in_key ||
		    code == json_error_stack_overflow)
			return 0;
	}
	raas_arena_init(&arena, 0);
	rc = raas_json_parse(&arena, (const char *)data, size, &lim, &ours, &err);
	CHECK(rc == RAAS_OK || rc == RAAS_E_INPUT);
	CHECK((rc == RAAS_OK) == (theirs != NULL));
	if (theirs)
		CHECK(same_structure(ours, theirs));
	json_decref(theirs);
	raas_arena_free(&arena);
	return 0;
}
