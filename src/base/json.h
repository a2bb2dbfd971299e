/* json.h — JSON documents with exact numbers.
 *
 * A project-owned parser (jansson and cJSON turn numbers into double, which changes 0.1
 * and large values). Numbers keep their original text; strings are unescaped, UTF-8
 * validated and carry their length (they may contain U+0000). Repeated keys in an
 * object are rejected, as raas rejects them everywhere. The tree lives in a caller's
 * arena. Errors carry the line and column of the offending byte and the JSON path of the
 * value being read ("results[0].price.tiers[2]").
 */
#ifndef RAAS_BASE_JSON_H
#define RAAS_BASE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "raas/error.h"

enum raas_json_type {
	RAAS_JSON_NULL,
	RAAS_JSON_FALSE,
	RAAS_JSON_TRUE,
	RAAS_JSON_NUMBER,
	RAAS_JSON_STRING,
	RAAS_JSON_ARRAY,
	RAAS_JSON_OBJECT,
};

struct raas_json_member;

struct raas_json {
	enum raas_json_type type;
	uint32_t len;    /* STRING: bytes; NUMBER: text bytes; ARRAY/OBJECT: element count */
	uint32_t line;   /* 1-based position of the value's first byte in the input */
	uint32_t column; /* 1-based, counted in bytes */
	union {
		const char *str;         /* STRING: unescaped bytes; NUMBER: the original text; both
		                            NUL-terminated */
		struct raas_json *items; /* ARRAY: len elements in order */
		struct raas_json_member *members; /* OBJECT: len members in input order */
	} u;
};

struct raas_json_member {
	const char *key; /* unescaped, NUL-terminated, may contain NUL */
	uint32_t key_len;
	struct raas_json value;
};

struct raas_json_limits {
	size_t max_bytes;          /* longest accepted input; 0: no limit */
	uint32_t max_depth;        /* deepest nesting of arrays/objects (1 = a flat object) */
	uint32_t max_number_plain; /* longest plain form of a number (number.h); 0: no limit */
};

/* Limits used when raas_json_parse gets NULL: 16 MiB, depth 64, no number limit. */
extern const struct raas_json_limits raas_json_default_limits;

/* Parses exactly one JSON value (surrounded by optional whitespace) from the len bytes at
 * text into a tree owned by arena; *out borrows from the arena. On error returns
 * RAAS_E_INPUT (or RAAS_E_NOMEM) and fills err: line/column of the offending byte, path of
 * the value being read (empty at the top level), and a message such as
 * "expected ',' or '}'", "repeated key \"id\"", "nesting deeper than 16",
 * "number out of range", "invalid UTF-8". */
RAAS_WUR raas_rc raas_json_parse(struct raas_arena *arena, const char *text, size_t len,
                                 const struct raas_json_limits *limits, struct raas_json **out,
                                 struct raas_err *err);

/* The member value named key (NUL-terminated) of an object, or NULL when absent or when
 * obj is not an object. */
const struct raas_json *raas_json_get(const struct raas_json *obj, const char *key);
/* Same with an explicit key length (keys may contain NUL). */
const struct raas_json *raas_json_getn(const struct raas_json *obj, const char *key, size_t len);

/* JSON-value equality as events.md defines "same content": objects equal with key order
 * ignored, arrays element by element, numbers as exact decimals (1e3 equals 1000), strings
 * byte for byte after unescaping. Numbers that cannot be parsed compare by text. */
bool raas_json_equal(const struct raas_json *a, const struct raas_json *b);

/* The minimal escape of byte c (settlement.md) written into esc, and its length: 2 for
 * \" \\ \n \r \t \b \f, 6 for \u00XX (other bytes below 0x20), 0 for a byte written as is. */
size_t raas_json_escape(unsigned char c, char esc[6]);

/* The value of hex digit c (either case), or -1. */
int raas_hex_digit(unsigned char c);

/* Length of the well-formed UTF-8 sequence (Unicode table 3-7) starting with the byte
 * q[0] >= 0x80 and ending before end, or 0 when it is not one (overlong, surrogate, above
 * U+10FFFF, truncated): the test the parser applies to every byte of a string. */
size_t raas_utf8_sequence(const unsigned char *q, const unsigned char *end);

/* Appends s as a JSON string literal escaped minimally (settlement.md): `\"`, `\\`,
 * \n \r \t \b \f, and \u00XX (lowercase hex) for other bytes below 0x20; everything else,
 * non-ASCII UTF-8 included, as is. */
RAAS_WUR raas_rc raas_json_write_string(struct raas_buf *b, const char *s, size_t len);

/* Like raas_json_write_string for text that may not be UTF-8 (a request path, a header):
 * every byte that does not belong to a well-formed UTF-8 sequence becomes U+FFFD, so the
 * output is always valid JSON. */
RAAS_WUR raas_rc raas_json_write_text(struct raas_buf *b, const char *s, size_t len);

/* Appends the value compactly (no whitespace), keys in their stored order, strings as
 * raas_json_write_string writes them, numbers as their original text. */
RAAS_WUR raas_rc raas_json_write(struct raas_buf *b, const struct raas_json *v);

#endif
