/* test_json.c — json.h: the RFC 8259 parser (values, exact number text, escapes and UTF-8,
 * every rejection with its line, column, path and message, repeated keys, limits,
 * out-of-memory behaviour), lookups, "same content" equality (events.md) and the minimal
 * escaping writer (settlement.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/json.h"

static struct raas_arena arena;

static int setup(void **state)
{
	(void)state;
	raas_arena_init(&arena, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	raas_arena_free(&arena);
	return 0;
}

/* Parses len bytes that must be accepted. */
static struct raas_json *parse_n(const char *text, size_t len)
{
	struct raas_json *v = NULL;
	struct raas_err err;

	raas_err_clear(&err);
	if (raas_json_parse(&arena, text, len, NULL, &v, &err) != RAAS_OK)
		fail_msg("rejected %s: %s: %u:%u %s", text, err.path, err.line, err.column,
		         err.message);
	assert_non_null(v);
	return v;
}

static struct raas_json *parse(const char *text)
{
	return parse_n(text, strlen(text));
}

/* Parses len bytes that must be rejected with exactly this error. */
static void reject_n(const char *text, size_t len, const struct raas_json_limits *lim,
                     uint32_t line, uint32_t column, const char *path, const char *message)
{
	struct raas_json *v = (struct raas_json *)&v;
	struct raas_err err;
	raas_rc rc;

	raas_err_clear(&err);
	rc = raas_json_parse(&arena, text, len, lim, &v, &err);
	if (rc != RAAS_E_INPUT)
		fail_msg("accepted or wrong code %d: %s", rc, text);
	assert_null(v);
	if (err.code != RAAS_E_INPUT || strcmp(err.message, message) != 0 ||
	    strcmp(err.path, path) != 0 || err.line != line || err.column != column)
		fail_msg("%s: got %s: %u:%u %s; want %s: %u:%u %s", text, err.path, err.line,
		         err.column, err.message, path, line, column, message);
}

static void reject(const char *text, uint32_t line, uint32_t column, const char *path,
                   const char *message)
{
	reject_n(text, strlen(text), NULL, line, column, path, message);
}

/* The compact form raas_json_write gives, in a static buffer. */
static const char *written(const struct raas_json *v)
{
	static char out[8192];
	struct raas_buf b;

	raas_buf_init(&b, sizeof out - 1);
	assert_int_equal(raas_json_write(&b, v), RAAS_OK);
	memcpy(out, b.data, b.len + 1);
	raas_buf_free(&b);
	return out;
}

/* ---- accepted documents ---- */

static void scalars(void **state)
{
	struct raas_json *v;

	(void)state;
	v = parse("null");
	assert_int_equal(v->type, RAAS_JSON_NULL);
	assert_int_equal(v->line, 1);
	assert_int_equal(v->column, 1);
	assert_int_equal(parse("true")->type, RAAS_JSON_TRUE);
	assert_int_equal(parse("false")->type, RAAS_JSON_FALSE);
	v = parse(" \t\r\n 42 \n");
	assert_int_equal(v->type, RAAS_JSON_NUMBER);
	assert_int_equal(v->len, 2);
	assert_string_equal(v->u.str, "42");
	assert_int_equal(v->line, 2);
	assert_int_equal(v->column, 2);
	v = parse("\"hi\"");
	assert_int_equal(v->type, RAAS_JSON_STRING);
	assert_int_equal(v->len, 2);
	assert_string_equal(v->u.str, "hi");
	v = parse("\"\"");
	assert_int_equal(v->type, RAAS_JSON_STRING);
	assert_int_equal(v->len, 0);
	assert_string_equal(v->u.str, "");
}

static void exact_number_text(void **state)
{
	static const char *nums[] = {
	        "0.1",      "12345678901234567890.5",
	        "1e3",      "-0",
	        "0",        "-0.0e-0",
	        "1E+2",     "2.50",
	        "-12.5e-7", "123456789012345678901234567890",
	};
	char doc[128];

	(void)state;
	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		struct raas_json *v = parse(nums[i]);
		assert_int_equal(v->type, RAAS_JSON_NUMBER);
		assert_int_equal(v->len, strlen(nums[i]));
		assert_string_equal(v->u.str, nums[i]);
		snprintf(doc, sizeof doc, "[%s]", nums[i]);
		v = parse(doc);
		assert_string_equal(v->u.items[0].u.str, nums[i]);
		assert_string_equal(written(v), doc);
	}
}

static void containers(void **state)
{
	const char *text =
	        "{\"id\":\"evt_1\",\n \"properties\":{\"score\":72,\"tags\":[\"a\",[],{}],"
	        "\"ok\":true,\"none\":null}}";
	const struct raas_json *v, *props, *tags;

	(void)state;
	v = parse(text);
	assert_int_equal(v->type, RAAS_JSON_OBJECT);
	assert_int_equal(v->len, 2);
	assert_string_equal(v->u.members[0].key, "id");
	assert_int_equal(v->u.members[0].key_len, 2);
	assert_string_equal(v->u.members[1].key, "properties");
	props = raas_json_get(v, "properties");
	assert_ptr_equal(props, &v->u.members[1].value);
	assert_int_equal(props->type, RAAS_JSON_OBJECT);
	assert_int_equal(props->len, 4);
	assert_int_equal(props->line, 2);
	assert_int_equal(props->column, 15);
	assert_string_equal(raas_json_get(props, "score")->u.str, "72");
	assert_int_equal(raas_json_get(props, "score")->line, 2);
	assert_int_equal(raas_json_get(props, "score")->column, 24);
	tags = raas_json_get(props, "tags");
	assert_int_equal(tags->type, RAAS_JSON_ARRAY);
	assert_int_equal(tags->len, 3);
	assert_int_equal(tags->u.items[0].type, RAAS_JSON_STRING);
	assert_int_equal(tags->u.items[1].type, RAAS_JSON_ARRAY);
	assert_int_equal(tags->u.items[1].len, 0);
	assert_int_equal(tags->u.items[2].type, RAAS_JSON_OBJECT);
	assert_int_equal(tags->u.items[2].len, 0);
	assert_int_equal(raas_json_get(props, "ok")->type, RAAS_JSON_TRUE);
	assert_int_equal(raas_json_get(props, "none")->type, RAAS_JSON_NULL);
	assert_null(raas_json_get(props, "missing"));
	assert_null(raas_json_get(tags, "a")); /* not an object */
	assert_null(raas_json_get(NULL, "a"));
	assert_null(raas_json_getn(props, "scorex", 5 + 1));
	assert_non_null(raas_json_getn(props, "scorex", 5));
	assert_string_equal(written(v), "{\"id\":\"evt_1\",\"properties\":{\"score\":72,\"tags\":"
	                                "[\"a\",[],{}],\"ok\":true,\"none\":null}}");
	/* whitespace everywhere it may be */
	v = parse(" { \"a\" : [ 1 , 2.50 , true , null , \"x\\u0001\" ] , \"b\" : { } , "
	          "\"c\" : [ ] } ");
	assert_string_equal(written(v),
	                    "{\"a\":[1,2.50,true,null,\"x\\u0001\"],\"b\":{},\"c\":[]}");
	/* a long array grows past the scratch stack's first buffer */
	{
		char big[4096];
		size_t n = 0;
		big[n++] = '[';
		for (int i = 0; i < 500; i++)
			n += (size_t)snprintf(big + n, sizeof big - n, "%s%d", i ? "," : "",
			                      i % 10);
		big[n++] = ']';
		big[n] = '\0';
		v = parse(big);
		assert_int_equal(v->len, 500);
		assert_string_equal(v->u.items[499].u.str, "9");
		assert_string_equal(written(v), big);
	}
}

static void strings_and_escapes(void **state)
{
	struct raas_json *v;

	(void)state;
	v = parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"");
	assert_int_equal(v->len, 8);
	assert_memory_equal(v->u.str, "\"\\/\b\f\n\r\t", 9);
	v = parse("\"\\u00e9\\u20AC\\uD83D\\uDE00\\u0041\"");
	assert_int_equal(v->len, 2 + 3 + 4 + 1);
	assert_string_equal(v->u.str, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	                              "A");
	/* U+0000 is allowed: strings carry their length */
	v = parse("\"a\\u0000b\"");
	assert_int_equal(v->len, 3);
	assert_memory_equal(v->u.str, "a\0b", 4);
	/* raw UTF-8 of every length, DEL as is */
	v = parse("\"\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"");
	assert_int_equal(v->len, 14);
	assert_memory_equal(v->u.str, "\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf",
	                    14);
	/* the highest pair, U+10FFFF */
	v = parse("\"\\uDBFF\\uDFFF\"");
	assert_string_equal(v->u.str, "\xf4\x8f\xbf\xbf");
	/* U+FFFF and U+E000 are not surrogates */
	v = parse("\"\\uFFFF\\ue000\\ud7ff\"");
	assert_string_equal(v->u.str, "\xef\xbf\xbf\xee\x80\x80\xed\x9f\xbf");
	/* keys are unescaped too, and may hold NUL */
	v = parse("{\"\\u0061\\u0000b\":1}");
	assert_int_equal(v->u.members[0].key_len, 3);
	assert_memory_equal(v->u.members[0].key, "a\0b", 4);
	assert_non_null(raas_json_getn(v, "a\0b", 3));
	assert_null(raas_json_get(v, "a"));
}

/* ---- rejections ---- */

static void syntax_errors(void **state)
{
	(void)state;
	reject("", 1, 1, "", "expected a value");
	reject("   ", 1, 4, "", "expected a value");
	reject("\n\n", 3, 1, "", "expected a value");
	reject("[1,]", 1, 4, "[1]", "expected a value");
	reject("{\"a\":1,}", 1, 8, "", "expected a string key");
	reject("{,}", 1, 2, "", "expected a string key or '}'");
	reject("{1:2}", 1, 2, "", "expected a string key or '}'");
	reject("{'a':1}", 1, 2, "", "expected a string key or '}'");
	reject("{\"a\" 1}", 1, 6, "", "expected ':'");
	reject("{\"a\"", 1, 5, "", "expected ':'");
	reject("{\"a\":}", 1, 6, "a", "expected a value");
	reject("{\"a\":1 \"b\":2}", 1, 8, "", "expected ',' or '}'");
	reject("{\"a\":{\"b\":1 \"c\":2}}", 1, 13, "a", "expected ',' or '}'");
	reject("[1 2]", 1, 4, "", "expected ',' or ']'");
	reject("[1,2", 1, 5, "", "expected ',' or ']'");
	reject("[", 1, 2, "[0]", "expected a value");
	reject("{", 1, 2, "", "expected a string key or '}'");
	reject("[}", 1, 2, "[0]", "expected a value");
	reject("{]", 1, 2, "", "expected a string key or '}'");
	reject("[1]]", 1, 4, "", "trailing characters after the JSON value");
	reject("1 2", 1, 3, "", "trailing characters after the JSON value");
	reject("{} x", 1, 4, "", "trailing characters after the JSON value");
	reject("nullx", 1, 5, "", "trailing characters after the JSON value");
	reject("[1]\n\n  //", 3, 3, "", "trailing characters after the JSON value");
	reject("/* c */ 1", 1, 1, "", "expected a value");
	reject("[1, // c\n 2]", 1, 5, "[1]", "expected a value");
	/* literal names: lower-case and complete */
	reject("True", 1, 1, "", "expected a value");
	reject("NULL", 1, 1, "", "expected a value");
	reject("tru", 1, 1, "", "expected a value");
	reject("[nul]", 1, 2, "[0]", "expected a value");
	reject("NaN", 1, 1, "", "expected a value");
	reject("Infinity", 1, 1, "", "expected a value");
	reject("undefined", 1, 1, "", "expected a value");
	/* whitespace is space, tab, LF, CR only */
	reject("\v1", 1, 1, "", "expected a value");
	reject("\f1", 1, 1, "", "expected a value");
	reject("\xc2\xa0"
	       "1",
	       1, 1, "", "expected a value");
	reject("\xef\xbb\xbf"
	       "1",
	       1, 1, "", "expected a value"); /* no byte order mark */
	reject_n("1\0", 2, NULL, 1, 2, "", "trailing characters after the JSON value");
	reject_n("\0", 1, NULL, 1, 1, "", "expected a value");
}

static void number_errors(void **state)
{
	(void)state;
	reject("01", 1, 1, "", "invalid number");
	reject("-01", 1, 1, "", "invalid number");
	reject("1.", 1, 1, "", "invalid number");
	reject("1.e5", 1, 1, "", "invalid number");
	reject("1e", 1, 1, "", "invalid number");
	reject("1e+", 1, 1, "", "invalid number");
	reject("-", 1, 1, "", "invalid number");
	reject("--1", 1, 1, "", "invalid number");
	reject("-Infinity", 1, 1, "", "invalid number");
	reject("1.5.2", 1, 1, "", "invalid number");
	reject("1e5e5", 1, 1, "", "invalid number");
	reject("[1-2]", 1, 2, "[0]", "invalid number");
	reject("{\"x\":[0, 00]}", 1, 10, "x[1]", "invalid number");
	reject(".5", 1, 1, "", "expected a value");
	reject("+1", 1, 1, "", "expected a value");
	reject("0x10", 1, 2, "", "trailing characters after the JSON value");
	reject("[1,\r\n x]", 2, 2, "[1]", "expected a value");
}

static void string_errors(void **state)
{
	(void)state;
	reject("\"abc", 1, 1, "", "unterminated string");
	reject("{\"a\":\"xyz", 1, 6, "a", "unterminated string");
	reject("\"abc\\", 1, 1, "", "unterminated string");
	reject("\"\\u12", 1, 1, "", "unterminated string");
	reject("{\"ab", 1, 2, "", "unterminated string");
	reject("\"\\q\"", 1, 2, "", "invalid escape \\q");
	reject("[\"ok\",\"a\\x\"]", 1, 9, "[1]", "invalid escape \\x");
	reject("\"\\U0041\"", 1, 2, "", "invalid escape \\U");
	reject("\"\\'\"", 1, 2, "", "invalid escape \\'");
	reject("\"\\ \"", 1, 2, "", "invalid escape");
	reject("\"\\\xc3\xa9\"", 1, 2, "", "invalid escape");
	reject("\"\\u12G4\"", 1, 2, "", "invalid \\u escape");
	reject("\"\\u-123\"", 1, 2, "", "invalid \\u escape");
	/* surrogates must pair, high then low */
	reject("\"\\ud83d\"", 1, 2, "", "lone surrogate \\ud83d");
	reject("\"ab\\uD800x\"", 1, 4, "", "lone surrogate \\uD800");
	reject("\"\\uD800\\u0041\"", 1, 2, "", "lone surrogate \\uD800");
	reject("\"\\uD800\\uD800\"", 1, 2, "", "lone surrogate \\uD800");
	reject("\"\\uDC00\"", 1, 2, "", "lone surrogate \\uDC00");
	reject("\"\\uDFFF\\uDC00\"", 1, 2, "", "lone surrogate \\uDFFF");
	reject("\"\\uD800\\n\"", 1, 2, "", "lone surrogate \\uD800");
	reject("\"\\uD800\\uZZZZ\"", 1, 8, "", "invalid \\u escape");
	/* raw control bytes */
	reject("\"a\tb\"", 1, 3, "", "control character in string");
	reject("\"a\nb\"", 1, 3, "", "control character in string");
	reject("{\"k\":\"\x1f\"}", 1, 7, "k", "control character in string");
	reject_n("\"a\0\"", 4, NULL, 1, 3, "", "control character in string");
	reject("{\"a\x01\":1}", 1, 4, "", "control character in string");
	/* invalid UTF-8 */
	reject("\"\xc0\x80\"", 1, 2, "", "invalid UTF-8");         /* overlong NUL */
	reject("\"\xc1\xbf\"", 1, 2, "", "invalid UTF-8");         /* overlong */
	reject("\"\xe0\x80\xaf\"", 1, 2, "", "invalid UTF-8");     /* overlong 3-byte */
	reject("\"\xf0\x8f\xbf\xbf\"", 1, 2, "", "invalid UTF-8"); /* overlong 4-byte */
	reject("\"\xed\xa0\x80\"", 1, 2, "", "invalid UTF-8");     /* U+D800 in UTF-8 */
	reject("\"\xed\xbf\xbf\"", 1, 2, "", "invalid UTF-8");     /* U+DFFF in UTF-8 */
	reject("\"\xf4\x90\x80\x80\"", 1, 2, "", "invalid UTF-8"); /* U+110000 */
	reject("\"\xf5\x80\x80\x80\"", 1, 2, "", "invalid UTF-8");
	reject("\"\xff\"", 1, 2, "", "invalid UTF-8");
	reject("\"ab\x80\"", 1, 4, "", "invalid UTF-8");   /* lone continuation */
	reject("\"\xe2\x82\"", 1, 2, "", "invalid UTF-8"); /* truncated */
	reject("\"\xe2\x82", 1, 2, "", "invalid UTF-8");   /* truncated at the end */
	reject("\"\xf0\x9f\x98\"", 1, 2, "", "invalid UTF-8");
	reject("\"\xc3\"", 1, 2, "", "invalid UTF-8");
	reject("\"\xc3\xc3\xa9\"", 1, 2, "", "invalid UTF-8");
	reject("[\"\xc3\xa9\", \"x\xe9\"]", 1, 10, "[1]", "invalid UTF-8"); /* Latin-1 */
	/* the first problem in the string wins */
	reject("\"\\q\x01\"", 1, 2, "", "invalid escape \\q");
	reject("\"\x01\\q\"", 1, 2, "", "control character in string");
}

static void positions_and_paths(void **state)
{
	(void)state;
	reject("{\n  \"a\": 1,\n  \"b\": x\n}", 3, 8, "b", "expected a value");
	reject("{\"results\":[{\"price\":{\"tiers\":[{},{},{\"up_to\":tru}]}}]}", 1, 47,
	       "results[0].price.tiers[2].up_to", "expected a value");
	reject("{\"results\":[{\"price\":{\"tiers\":[{},{},{\"up_to\":1 ]}}]}", 1, 49,
	       "results[0].price.tiers[2]", "expected ',' or '}'");
	reject("[[1,2],[3,[4,\"\\z\"]]]", 1, 15, "[1][1][1]", "invalid escape \\z");
	reject("{\"a\":[{\"b\":{}}, {\"c\": [true, fals]}]}", 1, 30, "a[1].c[1]",
	       "expected a value");
	/* a key with a control character shows it as '?' in the path */
	reject("{\"a\\nb\":[x]}", 1, 10, "a?b[0]", "expected a value");
	/* CR LF counts as one line break; a lone CR does not break lines */
	reject("[\r\n1,\r\n\r\n x]", 4, 2, "[1]", "expected a value");
	reject("[1,\r x]", 1, 6, "[1]", "expected a value");
	/* columns count bytes, not characters */
	reject("[\"\xc3\xa9\xc3\xa9\", x]", 1, 10, "[1]", "expected a value");
}

static void repeated_keys(void **state)
{
	char big[8192];
	size_t n;

	(void)state;
	reject("{\"a\":1,\"a\":2}", 1, 8, "", "repeated key \"a\"");
	reject("{\"a\":1,\"b\":2,\"a\":3}", 1, 14, "", "repeated key \"a\"");
	reject("{\"x\":{\"y\":1,\"y\":2}}", 1, 13, "x", "repeated key \"y\"");
	reject("[{},{\"id\":1},{\"id\":1,\"id\":2}]", 1, 22, "[2]", "repeated key \"id\"");
	/* compared after unescaping */
	reject("{\"a\":1,\"\\u0061\":2}", 1, 8, "", "repeated key \"a\"");
	reject("{\"\\\"\\\\\":1,\"\\\"\\\\\":2}", 1, 11, "", "repeated key \"\\\"\\\\\"");
	reject("{\"\\u0000\":1,\"\\u0000\":2}", 1, 13, "", "repeated key \"\\u0000\"");
	/* not repeats: other objects, other lengths, bytes after NUL */
	parse("{\"a\":{\"a\":{\"a\":1}},\"b\":[{\"a\":1},{\"a\":2}]}");
	parse("{\"a\":1,\"a\\u0000\":2,\"a\\u0000b\":3,\"a\\u0000c\":4,\"A\":5}");
	/* a large object: the repeat is found by the hash table */
	n = 0;
	big[n++] = '{';
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(big + n, sizeof big - n, "%s\"k%d\":%d", i ? "," : "", i, i);
	big[n++] = '}';
	big[n] = '\0';
	{
		struct raas_json *v = parse(big);
		assert_int_equal(v->len, 300);
		assert_string_equal(v->u.members[299].key, "k299");
		assert_string_equal(raas_json_get(v, "k123")->u.str, "123");
		assert_string_equal(written(v), big);
	}
	/* ... a repeat of an early key late in the object */
	n--;
	n += (size_t)snprintf(big + n, sizeof big - n, ",\"k7\":0}");
	reject(big, 1, (uint32_t)(n - 6), "", "repeated key \"k7\"");
	/* ... and a repeat of a late key, inside a nested large object */
	n = (size_t)snprintf(big, sizeof big, "{\"outer\":{");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(big + n, sizeof big - n, "\"key_%02d\":[],", i);
	n += (size_t)snprintf(big + n, sizeof big - n, "\"key_39\":1}}");
	reject(big, 1, (uint32_t)(n - 12 + 1), "outer", "repeated key \"key_39\"");
	/* exactly at the switch from linear search to the table */
	for (int count = 15; count <= 18; count++) {
		n = (size_t)snprintf(big, sizeof big, "{");
		for (int i = 0; i < count; i++)
			n += (size_t)snprintf(big + n, sizeof big - n, "\"%c\":0,", 'a' + i);
		n += (size_t)snprintf(big + n, sizeof big - n, "\"%c\":1}", 'a' + count - 1);
		reject(big, 1, (uint32_t)(n - 5), "",
		       count == 15   ? "repeated key \"o\""
		       : count == 16 ? "repeated key \"p\""
		       : count == 17 ? "repeated key \"q\""
		                     : "repeated key \"r\"");
		big[n - 5] = 'z'; /* the last key is new now */
		parse(big);
	}
}

/* The document {"KEY":1,"KEY":2} (KEY written as esc, JSON escapes allowed) is rejected at
 * the second key with message want. */
static void reject_repeat(const char *esc, const char *want)
{
	char doc[2 * 1024 + 16];
	size_t len = strlen(esc);

	snprintf(doc, sizeof doc, "{\"%s\":1,\"%s\":2}", esc, esc);
	reject(doc, 1, (uint32_t)(len + 7), "", want);
}

/* s repeated n times, in one of 4 static buffers used in turn. */
static const char *times(const char *s, int n)
{
	static char bufs[4][1024];
	static int next;
	char *b = bufs[next++ % 4];
	size_t len = strlen(s), pos = 0;

	for (int i = 0; i < n; i++, pos += len)
		memcpy(b + pos, s, len);
	b[pos] = '\0';
	return b;
}

/* The message quotes a long key shortened to fit 200 bytes (the quotes included), cut only
 * between characters; an escape near the cut once wrote two bytes past the buffer. */
static void repeated_long_keys(void **state)
{
	char esc[1024], want[1200];

	(void)state;
	/* 194 bytes fit whole; a 195th does not, and "..." takes its place */
	snprintf(esc, sizeof esc, "%s", times("a", 194));
	snprintf(want, sizeof want, "repeated key \"%s\"", times("a", 194));
	reject_repeat(esc, want);
	snprintf(esc, sizeof esc, "%s", times("a", 195));
	snprintf(want, sizeof want, "repeated key \"%s...\"", times("a", 194));
	reject_repeat(esc, want);
	/* a control character is written as \u00XX (6 bytes) whole or not at all, wherever it
	 * falls around the cut */
	for (int before = 186; before <= 192; before++) {
		snprintf(esc, sizeof esc, "%s\\u0001%s", times("a", before), times("b", 100));
		if (before <= 188)
			snprintf(want, sizeof want, "repeated key \"%s\\u0001%s...\"",
			         times("a", before), times("b", 188 - before));
		else
			snprintf(want, sizeof want, "repeated key \"%s...\"", times("a", before));
		reject_repeat(esc, want);
	}
	/* an escaped quote or backslash is two bytes, kept together */
	snprintf(esc, sizeof esc, "%s\\\"%s", times("a", 193), times("b", 10));
	snprintf(want, sizeof want, "repeated key \"%s...\"", times("a", 193));
	reject_repeat(esc, want);
	/* a UTF-8 sequence is not split: e (2 bytes) and a 4-byte emoji */
	snprintf(esc, sizeof esc, "%s\xc3\xa9", times("a", 193));
	snprintf(want, sizeof want, "repeated key \"%s...\"", times("a", 193));
	reject_repeat(esc, want);
	snprintf(esc, sizeof esc, "%s\xf0\x9f\x98\x80", times("a", 191));
	snprintf(want, sizeof want, "repeated key \"%s...\"", times("a", 191));
	reject_repeat(esc, want);
	snprintf(esc, sizeof esc, "%s\xf0\x9f\x98\x80", times("a", 190));
	snprintf(want, sizeof want, "repeated key \"%s\xf0\x9f\x98\x80\"", times("a", 190));
	reject_repeat(esc, want);
}

static void depth_limit(void **state)
{
	struct raas_json_limits lim = {0, 3, 0};
	char deep[200];
	struct raas_json *v;
	struct raas_err err;
	size_t i;

	(void)state;
	assert_int_equal(raas_json_parse(&arena, "[[[1]]]", 7, &lim, &v, &err), RAAS_OK);
	reject_n("[[[[1]]]]", 9, &lim, 1, 4, "[0][0][0]", "nesting deeper than 3");
	assert_int_equal(raas_json_parse(&arena, "{\"a\":{\"b\":{\"c\":1}}}", 19, &lim, &v, &err),
	                 RAAS_OK);
	reject_n("{\"a\":{\"b\":{\"c\":{}}}}", 20, &lim, 1, 16, "a.b.c", "nesting deeper than 3");
	reject_n("[1,{\"x\":[[2]]}]", 15, &lim, 1, 10, "[1].x[0]", "nesting deeper than 3");
	/* siblings do not add up */
	assert_int_equal(raas_json_parse(&arena, "[[[]],[[]],[[1],[2]]]", 21, &lim, &v, &err),
	                 RAAS_OK);
	/* depth 0: scalars only */
	lim.max_depth = 0;
	assert_int_equal(raas_json_parse(&arena, "7", 1, &lim, &v, &err), RAAS_OK);
	reject_n("[]", 2, &lim, 1, 1, "", "nesting deeper than 0");
	/* the default: 64 accepted, 65 rejected */
	for (i = 0; i < 64; i++) {
		deep[i] = '[';
		deep[64 + i] = ']';
	}
	deep[128] = '\0';
	v = parse(deep);
	assert_int_equal(v->type, RAAS_JSON_ARRAY);
	assert_int_equal(v->u.items[0].u.items[0].len, 1);
	for (i = 0; i < 65; i++) {
		deep[i] = '[';
		deep[65 + i] = ']';
	}
	deep[130] = '\0';
	{
		char path[256];
		size_t n = 0;
		for (i = 0; i < 64; i++)
			n += (size_t)snprintf(path + n, sizeof path - n, "[0]");
		reject(deep, 1, 65, path, "nesting deeper than 64");
	}
}

/* The parser keeps an explicit stack: a very deep document needs no deep recursion. */
static void very_deep_without_recursion(void **state)
{
	const size_t depth = 200000;
	struct raas_json_limits lim = {0, (uint32_t)depth, 0};
	char *text = malloc(2 * depth);
	struct raas_json *v;
	struct raas_err err;

	(void)state;
	assert_non_null(text);
	memset(text, '[', depth);
	memset(text + depth, ']', depth);
	assert_int_equal(raas_json_parse(&arena, text, 2 * depth, &lim, &v, &err), RAAS_OK);
	assert_int_equal(v->type, RAAS_JSON_ARRAY);
	lim.max_depth = (uint32_t)depth - 1;
	assert_int_equal(raas_json_parse(&arena, text, 2 * depth, &lim, &v, &err), RAAS_E_INPUT);
	assert_string_equal(err.message, "nesting deeper than 199999");
	assert_int_equal(err.column, depth);
	free(text);
}

static void number_limit(void **state)
{
	struct raas_json_limits lim = {0, 64, 128};
	char text[512];
	struct raas_json *v;
	struct raas_err err;

	(void)state;
	reject_n("{\"properties\":{\"x\":1e200}}", 26, &lim, 1, 20, "properties.x",
	         "number out of range");
	reject_n("[0,1e128]", 9, &lim, 1, 4, "[1]", "number out of range");
	reject_n("-1e-127", 7, &lim, 1, 1, "", "number out of range");
	reject_n("1e99999999999999999999999", 25, &lim, 1, 1, "", "number out of range");
	assert_int_equal(raas_json_parse(&arena, "[1e127,-1e126,1e-126]", 21, &lim, &v, &err),
	                 RAAS_OK);
	assert_string_equal(v->u.items[0].u.str, "1e127");
	/* 128 written digits are fine, 129 are not */
	memset(text, '9', 128);
	assert_int_equal(raas_json_parse(&arena, text, 128, &lim, &v, &err), RAAS_OK);
	memset(text, '9', 129);
	reject_n(text, 129, &lim, 1, 1, "", "number out of range");
	/* a smaller limit */
	lim.max_number_plain = 4;
	assert_int_equal(raas_json_parse(&arena, "[1e3,-0.1,0.000e9]", 18, &lim, &v, &err),
	                 RAAS_OK);
	reject_n("[1e3,1e4]", 9, &lim, 1, 6, "[1]", "number out of range");
	reject_n("[1.000]", 7, &lim, 1, 2, "[0]", "number out of range");
	/* without a limit (the default), anything the grammar allows */
	v = parse("1e99999999999999999999999");
	assert_string_equal(v->u.str, "1e99999999999999999999999");
}

static void size_limit(void **state)
{
	struct raas_json_limits lim = {10, 64, 0};
	struct raas_json *v;
	struct raas_err err;

	(void)state;
	assert_int_equal(raas_json_parse(&arena, "[1,2,3,45]", 10, &lim, &v, &err), RAAS_OK);
	reject_n("[1,2,3,456]", 11, &lim, 1, 1, "", "document larger than 10 bytes");
	reject_n("[1,2,3,4]  ", 11, &lim, 1, 1, "", "document larger than 10 bytes");
	assert_int_equal(raas_json_default_limits.max_bytes, 16 * 1024 * 1024);
	assert_int_equal(raas_json_default_limits.max_depth, 64);
	assert_int_equal(raas_json_default_limits.max_number_plain, 0);
}

/* ---- memory ---- */

/* A document that needs many allocations: scratch stacks that outgrow their first
 * buffers, a large object's key table, a string big enough for its own arena chunk, more
 * than one arena chunk. Failing each allocation in turn gives RAAS_E_NOMEM every time,
 * until there are no more allocations to fail (leaks show up under LeakSanitizer). */
static void out_of_memory_injection(void **state)
{
	struct raas_buf doc;
	struct raas_json *v;
	struct raas_err err;
	long n;
	raas_rc rc;

	(void)state;
	raas_buf_init(&doc, (size_t)1 << 24);
	assert_int_equal(raas_buf_puts(&doc, "{\"deep\":"), RAAS_OK);
	for (int i = 0; i < 30; i++) /* depth 61 */
		assert_int_equal(raas_buf_puts(&doc, "[{\"a\":"), RAAS_OK);
	assert_int_equal(raas_buf_puts(&doc, "1"), RAAS_OK);
	for (int i = 0; i < 30; i++)
		assert_int_equal(raas_buf_puts(&doc, "}]"), RAAS_OK);
	assert_int_equal(raas_buf_puts(&doc, ",\"list\":["), RAAS_OK);
	for (int i = 0; i < 3000; i++)
		assert_int_equal(raas_buf_printf(&doc, "%s\"item %d\"", i ? "," : "", i), RAAS_OK);
	assert_int_equal(raas_buf_puts(&doc, "],\"wide\":{"), RAAS_OK);
	for (int i = 0; i < 200; i++)
		assert_int_equal(raas_buf_printf(&doc, "%s\"m%d\":[%d]", i ? "," : "", i, i),
		                 RAAS_OK);
	assert_int_equal(raas_buf_puts(&doc, "},\"text\":\""), RAAS_OK);
	for (int i = 0; i < 40000; i++)
		assert_int_equal(raas_buf_putc(&doc, (char)('a' + i % 26)), RAAS_OK);
	assert_int_equal(raas_buf_puts(&doc, "\\u00e9\"}"), RAAS_OK);

	for (n = 1;; n++) {
		raas_alloc_fail_at(n);
		raas_err_clear(&err);
		rc = raas_json_parse(&arena, doc.data, doc.len, NULL, &v, &err);
		raas_alloc_fail_at(0);
		raas_arena_reset(&arena);
		if (rc == RAAS_OK)
			break;
		assert_int_equal(rc, RAAS_E_NOMEM);
		assert_int_equal(err.code, RAAS_E_NOMEM);
		assert_string_equal(err.message, "out of memory");
		assert_null(v);
		assert_true(n < 1000);
	}
	/* chunks (at least 2 + the big string), 3 scratch stacks, key tables */
	assert_true(n > 8);
	raas_buf_free(&doc);
}

static void arena_limit_is_out_of_memory(void **state)
{
	struct raas_arena small;
	struct raas_json *v;
	struct raas_err err;
	char text[300];

	(void)state;
	raas_arena_init(&small, 256);
	assert_int_equal(raas_json_parse(&small, "[\"a\",\"b\"]", 9, NULL, &v, &err), RAAS_OK);
	raas_arena_reset(&small);
	/* a 250-byte string fits the limit, but not with the array and the root */
	text[0] = '[';
	text[1] = '"';
	memset(text + 2, 'a', 250);
	memcpy(text + 252, "\"]", 2);
	assert_int_equal(raas_json_parse(&small, text, 254, NULL, &v, &err), RAAS_E_NOMEM);
	assert_int_equal(err.code, RAAS_E_NOMEM);
	assert_string_equal(err.message, "out of memory");
	assert_string_equal(err.path, "");
	assert_null(v);
	raas_arena_free(&small);
}

/* ---- equality ---- */

static int same(const char *a, const char *b)
{
	return raas_json_equal(parse(a), parse(b));
}

static void equality(void **state)
{
	char a[4096], b[4096];
	size_t na, nb;

	(void)state;
	assert_true(same("{\"a\":1,\"b\":[1,2]}", "{\"b\":[1,2],\"a\":1}"));
	assert_true(same("1e3", "1000"));
	assert_true(same("1000.000", "1E3"));
	assert_true(same("-0", "0"));
	assert_true(same("0.0e5", "-0.000"));
	assert_true(same("1.50", "1.5"));
	assert_true(same("\"\\u0041\\n\"", "\"A\\u000a\""));
	assert_true(same("{\"x\":{\"y\":[{\"z\":1e1},null,true,false]}}",
	                 "{\"x\":{\"y\":[{\"z\":10},null,true,false]}}"));
	assert_true(same("[]", "[ ]"));
	assert_true(same("{}", "{ }"));
	assert_true(same("12345678901234567890.5", "1234567890123456789050e-2"));
	assert_false(same("12345678901234567890.5", "12345678901234567890.50000000000001"));
	assert_false(same("[1,2]", "[2,1]"));
	assert_false(same("[1,2]", "[1,2,3]"));
	assert_false(same("{\"a\":1}", "{\"a\":1,\"b\":2}"));
	assert_false(same("{\"a\":1}", "{\"b\":1}"));
	assert_false(same("{\"a\":1}", "{\"a\":2}"));
	assert_false(same("1", "\"1\""));
	assert_false(same("true", "false"));
	assert_false(same("null", "false"));
	assert_false(same("0", "false"));
	assert_false(same("[]", "{}"));
	assert_false(same("\"a\"", "\"A\""));
	assert_false(same("\"a\\u0000\"", "\"a\""));
	assert_false(same("{\"x\":{\"y\":[1e1]}}", "{\"x\":{\"y\":[11]}}"));
	/* numbers too long to parse compare by text */
	assert_true(same("1e200", "1e200"));
	assert_false(same("1e200", "10e199"));
	assert_true(raas_json_equal(NULL, NULL));
	assert_false(raas_json_equal(parse("1"), NULL));
	/* large objects (sorted comparison), in another order */
	na = (size_t)snprintf(a, sizeof a, "{");
	nb = (size_t)snprintf(b, sizeof b, "{");
	for (int i = 0; i < 100; i++) {
		na += (size_t)snprintf(a + na, sizeof a - na, "%s\"k%d\":[%d,{\"v\":\"x\"}]",
		                       i ? "," : "", i, i);
		nb += (size_t)snprintf(b + nb, sizeof b - nb, "%s\"k%d\":[%de0,{\"v\":\"x\"}]",
		                       i ? "," : "", 99 - i, 99 - i);
	}
	snprintf(a + na, sizeof a - na, "}");
	snprintf(b + nb, sizeof b - nb, "}");
	assert_true(same(a, b));
	assert_true(same(b, a));
	b[nb - 4] = 'y'; /* the last value differs: "x" → "y" */
	assert_false(same(a, b));
	b[nb - 4] = 'x';
	b[2] = 'j'; /* a key differs: "k99" → "j99" */
	assert_false(same(a, b));
	/* a value equals itself */
	{
		struct raas_json *v = parse(a);
		assert_true(raas_json_equal(v, v));
	}
	/* with allocation failing, the large comparison falls back to the linear one */
	{
		struct raas_json *x = parse(a);
		b[2] = 'k';
		struct raas_json *y = parse(b);
		raas_alloc_fail_at(1);
		assert_true(raas_json_equal(x, y));
		raas_alloc_fail_at(0);
	}
}

/* ---- writing ---- */

static const char *ws(const char *s, size_t len)
{
	static char out[256];
	struct raas_buf b;

	raas_buf_init(&b, 200);
	assert_int_equal(raas_json_write_string(&b, s, len), RAAS_OK);
	memcpy(out, b.data, b.len + 1);
	raas_buf_free(&b);
	return out;
}

static void write_string_escaping(void **state)
{
	struct raas_buf b;

	(void)state;
	assert_string_equal(ws("", 0), "\"\"");
	assert_string_equal(ws("plain", 5), "\"plain\"");
	assert_string_equal(ws("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
	assert_string_equal(ws("\n\r\t\b\f", 5), "\"\\n\\r\\t\\b\\f\"");
	assert_string_equal(ws("\x01\x1f\x0b\x00", 4), "\"\\u0001\\u001f\\u000b\\u0000\"");
	assert_string_equal(ws("\x1a", 1), "\"\\u001a\"");
	assert_string_equal(ws("/", 1), "\"/\"");
	assert_string_equal(ws("\x7f", 1), "\"\x7f\"");
	assert_string_equal(ws("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14),
	                    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	assert_string_equal(ws("x\ny", 3), "\"x\\ny\"");
	/* the length counts, not a NUL */
	assert_string_equal(ws("abc", 2), "\"ab\"");
	/* the buffer's maximum is respected */
	raas_buf_init(&b, 4);
	assert_int_equal(raas_json_write_string(&b, "abcd", 4), RAAS_E_INPUT);
	raas_buf_free(&b);
	raas_buf_init(&b, 4);
	assert_int_equal(raas_json_write_string(&b, "ab", 2), RAAS_OK);
	assert_string_equal(b.data, "\"ab\"");
	raas_buf_free(&b);
}

static void write_round_trip(void **state)
{
	const char *in = "{ \"b\" : [ -0 , 1E+2 , 0.10 ] ,\n\"a\\u00e9\":\"x\\ty\\u001F\\/\","
	                 "\"e\":{},\"n\":[null,true,false,[]]}";
	const char *out = "{\"b\":[-0,1E+2,0.10],\"a\xc3\xa9\":\"x\\ty\\u001f/\",\"e\":{},"
	                  "\"n\":[null,true,false,[]]}";
	struct raas_json *v, *w;

	(void)state;
	v = parse(in);
	assert_string_equal(written(v), out);
	w = parse(out);
	assert_true(raas_json_equal(v, w));
	assert_string_equal(written(w), out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(scalars, setup, teardown),
	        cmocka_unit_test_setup_teardown(exact_number_text, setup, teardown),
	        cmocka_unit_test_setup_teardown(containers, setup, teardown),
	        cmocka_unit_test_setup_teardown(strings_and_escapes, setup, teardown),
	        cmocka_unit_test_setup_teardown(syntax_errors, setup, teardown),
	        cmocka_unit_test_setup_teardown(number_errors, setup, teardown),
	        cmocka_unit_test_setup_teardown(string_errors, setup, teardown),
	        cmocka_unit_test_setup_teardown(positions_and_paths, setup, teardown),
	        cmocka_unit_test_setup_teardown(repeated_keys, setup, teardown),
	        cmocka_unit_test_setup_teardown(repeated_long_keys, setup, teardown),
	        cmocka_unit_test_setup_teardown(depth_limit, setup, teardown),
	        cmocka_unit_test_setup_teardown(very_deep_without_recursion, setup, teardown),
	        cmocka_unit_test_setup_teardown(number_limit, setup, teardown),
	        cmocka_unit_test_setup_teardown(size_limit, setup, teardown),
	        cmocka_unit_test_setup_teardown(out_of_memory_injection, setup, teardown),
	        cmocka_unit_test_setup_teardown(arena_limit_is_out_of_memory, setup, teardown),
	        cmocka_unit_test_setup_teardown(equality, setup, teardown),
	        cmocka_unit_test_setup_teardown(write_string_escaping, setup, teardown),
	        cmocka_unit_test_setup_teardown(write_round_trip, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
