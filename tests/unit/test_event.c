/* test_event.c — ingest/event.h: every field rule of events.md accepted and rejected with its
 * exact path and message (and the id the report shows), both sides of every limit (64 KiB,
 * depth 16, 128-byte texts, 128-character numbers, years 0000-9999), the 24-hour rule, "same
 * content", the leaf bytes byte for byte, the strict leaf reader, out-of-memory behaviour,
 * and the engine-basic vectors' ingest steps 3 and 4 as far as this module decides them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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
#include "ingest/event.h"
#include "raas/time.h"

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

/* 2026-01-01T00:00:00Z, 2026-01-07T00:00:00Z and 2026-01-10T12:00:00Z */
#define T_2026 INT64_C(1767225600000000)
#define T_0107 INT64_C(1767744000000000)
#define T_0110_12 INT64_C(1768046400000000)

#define HEAD "{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"x\",\"time\":1,"

static const char *const typical =
        "{\"id\":\"evt_1029\",\"customer\":\"acme\",\"type\":\"lead.created\","
        "\"time\":\"2026-01-05T10:00:00Z\",\"properties\":{\"lead_id\":\"L-77\",\"source\":"
        "\"vendor\",\"score\":72,\"utm\":{\"campaign\":\"spring\"}}}";

/* Parses len bytes that must be accepted, with the given limits. */
static struct raas_event accept_lim(const char *text, size_t len,
                                    const struct raas_event_limits *lim)
{
	struct raas_event ev;
	struct raas_err err;
	const char *id = (const char *)&id;

	raas_err_clear(&err);
	if (raas_event_parse(&arena, text, len, lim, &ev, &id, NULL, &err) != RAAS_OK)
		fail_msg("rejected %.200s: [%s] %s", text, err.path, err.message);
	assert_non_null(ev.properties);
	assert_int_equal(ev.properties->type, RAAS_JSON_OBJECT);
	assert_ptr_equal(id, ev.id); /* the id is reported on success too */
	assert_int_equal(strlen(ev.id), ev.id_len);
	assert_int_equal(strlen(ev.customer), ev.customer_len);
	assert_int_equal(strlen(ev.type), ev.type_len);
	return ev;
}

static struct raas_event accept(const char *text)
{
	return accept_lim(text, strlen(text), NULL);
}

/* Like reject, for an id that holds NUL bytes: the reported id must be exactly these
 * id_len bytes. */
static void reject_id_bytes(const char *text, const char *path, const char *message, const char *id,
                            size_t id_len)
{
	struct raas_event ev;
	struct raas_err err;
	const char *got = NULL;
	size_t got_len = 99;

	raas_err_clear(&err);
	assert_int_equal(
	        raas_event_parse(&arena, text, strlen(text), NULL, &ev, &got, &got_len, &err),
	        RAAS_E_INPUT);
	assert_string_equal(err.path, path);
	assert_string_equal(err.message, message);
	assert_non_null(got);
	assert_int_equal(got_len, id_len);
	assert_memory_equal(got, id, id_len);
}

/* Parses len bytes that must be rejected with exactly this path and message (and so this
 * one-string report form), reporting id (NULL: no id). */
static void reject_lim(const char *text, size_t len, const struct raas_event_limits *lim,
                       const char *path, const char *message, const char *id)
{
	struct raas_event ev;
	struct raas_err err;
	const char *got = (const char *)&got;
	char want[1024], line[1024];
	raas_rc rc;

	raas_err_clear(&err);
	rc = raas_event_parse(&arena, text, len, lim, &ev, &got, NULL, &err);
	if (rc != RAAS_E_INPUT)
		fail_msg("accepted or wrong code %d: %.200s", rc, text);
	if (strcmp(err.path, path) != 0 || strcmp(err.message, message) != 0)
		fail_msg("%.200s: got [%s] %s; want [%s] %s", text, err.path, err.message, path,
		         message);
	assert_int_equal(err.code, RAAS_E_INPUT);
	assert_int_equal(err.line, 0);
	assert_int_equal(err.column, 0);
	snprintf(want, sizeof want, "%s%s%s", path, path[0] ? ": " : "", message);
	raas_err_format(&err, line, sizeof line);
	assert_string_equal(line, want);
	if (!id && got)
		fail_msg("%.200s: reported id %s, want none", text, got);
	if (id && (!got || strcmp(got, id) != 0))
		fail_msg("%.200s: reported id %s, want %s", text, got ? got : "(none)", id);
}

static void reject(const char *text, const char *path, const char *message, const char *id)
{
	reject_lim(text, strlen(text), NULL, path, message, id);
}

/* The leaf bytes of ev, in a static buffer. */
static const char *leaf_of(const struct raas_event *ev, int64_t received)
{
	static char out[1 << 17];
	struct raas_buf b;

	raas_buf_init(&b, sizeof out - 1);
	assert_int_equal(raas_event_write_leaf(&b, ev, received), RAAS_OK);
	assert_int_equal(strlen(b.data), b.len);
	memcpy(out, b.data, b.len + 1);
	raas_buf_free(&b);
	return out;
}

/* a and b have the same id, customer, type and time (the properties are compared apart). */
static void same_fields(const struct raas_event *a, const struct raas_event *b)
{
	assert_int_equal(a->id_len, b->id_len);
	assert_memory_equal(a->id, b->id, b->id_len);
	assert_int_equal(a->customer_len, b->customer_len);
	assert_memory_equal(a->customer, b->customer, b->customer_len);
	assert_int_equal(a->type_len, b->type_len);
	assert_memory_equal(a->type, b->type, b->type_len);
	assert_true(a->time_us == b->time_us);
}

/* The leaf of the event in text, received at 2026-01-01T00:00:00Z. */
static const char *leaf_text(const char *text)
{
	struct raas_event ev = accept(text);
	return leaf_of(&ev, T_2026);
}

static int64_t time_of(const char *value)
{
	char text[512];

	snprintf(text, sizeof text,
	         "{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"x\",\"time\":%s}", value);
	return accept(text).time_us;
}

static void reject_time(const char *value, const char *message)
{
	char text[512];

	snprintf(text, sizeof text,
	         "{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"x\",\"time\":%s}", value);
	reject(text, "time", message, "a");
}

/* ---- accepted events ---- */

static void typical_event(void **state)
{
	struct raas_event ev;
	const struct raas_json *p;

	(void)state;
	ev = accept(typical);
	assert_string_equal(ev.id, "evt_1029");
	assert_int_equal(ev.id_len, 8);
	assert_string_equal(ev.customer, "acme");
	assert_int_equal(ev.customer_len, 4);
	assert_string_equal(ev.type, "lead.created");
	assert_int_equal(ev.type_len, 12);
	assert_true(ev.time_us == INT64_C(1767607200000000));
	p = ev.properties;
	assert_int_equal(p->len, 4);
	assert_string_equal(p->u.members[0].key, "lead_id");
	assert_string_equal(raas_json_get(p, "score")->u.str, "72");
	assert_string_equal(raas_json_get(raas_json_get(p, "utm"), "campaign")->u.str, "spring");
	assert_string_equal(
	        leaf_of(&ev, T_2026),
	        "{\"kind\":\"event\",\"customer\":\"acme\",\"id\":\"evt_1029\",\"type\":"
	        "\"lead.created\",\"time\":\"2026-01-05T10:00:00Z\",\"received\":"
	        "\"2026-01-01T00:00:00Z\",\"properties\":{\"lead_id\":\"L-77\","
	        "\"source\":\"vendor\",\"score\":72,\"utm\":{\"campaign\":\"spring\"}}}");
}

static void fields_in_any_order_and_whitespace(void **state)
{
	struct raas_event ev;

	(void)state;
	ev = accept(" {\"properties\" : {\"b\":1, \"a\":[true,false,null]} ,\t\"time\":0,"
	            "\"type\":\"t\",\"customer\":\"c\",\"id\":\"i\"} ");
	assert_string_equal(
	        leaf_of(&ev, T_2026),
	        "{\"kind\":\"event\",\"customer\":\"c\",\"id\":\"i\",\"type\":\"t\","
	        "\"time\":\"1970-01-01T00:00:00Z\",\"received\":\"2026-01-01T00:00:00Z\","
	        "\"properties\":{\"b\":1,\"a\":[true,false,null]}}");
	/* an event over several lines (an element of a pretty-printed JSON array) */
	ev = accept("{\n  \"id\": \"i\",\n  \"customer\": \"c\",\n  \"type\": \"t\",\n  \"time\": "
	            "0\n}");
	assert_string_equal(ev.id, "i");
}

static void properties_absent_or_empty(void **state)
{
	struct raas_event a, b;
	static const char *const want =
	        "{\"kind\":\"event\",\"customer\":\"acme\",\"id\":\"a\",\"type\":\"x\",\"time\":"
	        "\"1970-01-01T00:00:01Z\",\"received\":\"2026-01-01T00:00:00Z\",\"properties\":{}}";

	(void)state;
	a = accept("{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"x\",\"time\":1}");
	b = accept(HEAD "\"properties\":{}}");
	assert_int_equal(a.properties->len, 0);
	assert_int_equal(b.properties->len, 0);
	assert_true(raas_event_same_content(&a, &b));
	assert_string_equal(leaf_of(&a, T_2026), want);
	assert_string_equal(leaf_of(&b, T_2026), want);
}

static void properties_kept_as_received(void **state)
{
	(void)state;
	/* key order, number text, nesting; strings re-escaped minimally */
	assert_string_equal(
	        leaf_text(HEAD "\"properties\":{\"z\":1.50,\"y\":1E+2,\"x\":-0,\"w\":0.1,"
	                       "\"v\":12345678901234567890.5,\"u\":[{},[],[1,{\"k\":\"v\"}]],"
	                       "\"s\":\"q\\\"b\\\\s\\/\\u0041\\u00e9\\ud83d\\ude00\\n\\r\\t\\b\\f"
	                       "\\u0001\\u001F\\u007f\"}}"),
	        "{\"kind\":\"event\",\"customer\":\"acme\",\"id\":\"a\",\"type\":\"x\",\"time\":"
	        "\"1970-01-01T00:00:01Z\",\"received\":\"2026-01-01T00:00:00Z\",\"properties\":"
	        "{\"z\":1.50,\"y\":1E+2,\"x\":-0,\"w\":0.1,\"v\":12345678901234567890.5,"
	        "\"u\":[{},[],[1,{\"k\":\"v\"}]],\"s\":\"q\\\"b\\\\s/A\xc3\xa9\xf0\x9f\x98\x80"
	        "\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\"}}");
	/* keys are escaped the same way; U+0000 survives */
	assert_string_equal(leaf_text(HEAD "\"properties\":{\"a\\u0000b\\\"\":\"\\u0000\"}}"),
	                    "{\"kind\":\"event\",\"customer\":\"acme\",\"id\":\"a\",\"type\":\"x\","
	                    "\"time\":\"1970-01-01T00:00:01Z\",\"received\":"
	                    "\"2026-01-01T00:00:00Z\",\"properties\":{\"a\\u0000b\\\"\":"
	                    "\"\\u0000\"}}");
}

static void trailing_carriage_return(void **state)
{
	struct raas_event ev;
	struct raas_event_limits lim = {0, 0};
	char text[200];
	size_t n;

	(void)state;
	ev = accept("{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"x\",\"time\":1}\r");
	assert_string_equal(ev.id, "a");
	/* a CRLF line's '\r' is not counted against the limit */
	n = (size_t)snprintf(text, sizeof text, "%s\r",
	                     "{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"x\",\"time\":1}");
	lim.max_bytes = n - 1;
	ev = accept_lim(text, n, &lim);
	assert_string_equal(ev.customer, "acme");
	lim.max_bytes = n - 2;
	reject_lim(text, n, &lim, "", "event longer than 47 bytes", "a");
}

/* ---- the whole line ---- */

/* A valid event of exactly len bytes (len >= 80), padded inside a property string. */
static char *event_of_length(size_t len)
{
	static const char head[] = HEAD "\"properties\":{\"pad\":\"";
	char *text = malloc(len + 1);

	assert_non_null(text);
	memcpy(text, head, sizeof head - 1);
	memset(text + sizeof head - 1, 'p', len - (sizeof head - 1) - 3);
	memcpy(text + len - 3, "\"}}", 4);
	return text;
}

static void length_limit(void **state)
{
	char *text;
	struct raas_event_limits lim = {100, 0};

	(void)state;
	text = event_of_length(RAAS_EVENT_MAX_BYTES);
	assert_int_equal(strlen(text), 65536);
	(void)accept(text);
	free(text);
	text = event_of_length(RAAS_EVENT_MAX_BYTES + 1);
	reject(text, "", "event longer than 65536 bytes", "a");
	free(text);
	/* a configured limit, and its message */
	text = event_of_length(100);
	(void)accept_lim(text, 100, &lim);
	free(text);
	text = event_of_length(101);
	reject_lim(text, 101, &lim, "", "event longer than 100 bytes", "a");
	free(text);
	/* a raised limit */
	lim.max_bytes = 200000;
	text = event_of_length(150000);
	(void)accept_lim(text, 150000, &lim);
	free(text);
	/* zero fields mean the defaults */
	lim.max_bytes = 0;
	text = event_of_length(RAAS_EVENT_MAX_BYTES + 1);
	reject_lim(text, RAAS_EVENT_MAX_BYTES + 1, &lim, "", "event longer than 65536 bytes", "a");
	free(text);
}

static void not_json(void **state)
{
	(void)state;
	reject("{\"id\":\"a\",\"customer\":\"acme\" \"type\":\"x\"}", "",
	       "column 29: expected ',' or '}'", "a");
	reject("", "", "column 1: expected a value", NULL);
	reject("   ", "", "column 4: expected a value", NULL);
	reject("{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"x\",\"time\":1} x", "",
	       "column 50: trailing characters after the JSON value", "a");
	reject("{\"id\":\"a\",", "", "column 11: expected a string key", "a");
	/* an error inside a field's value names the field instead of the column */
	reject("{\"id\":\"a", "id", "unterminated string", NULL);
	reject("{\"id\":\"a\xff\"}", "id", "invalid UTF-8", NULL);
	reject("{\"id\":\"x-2\",\"customer\":\"acme\",\"time\":tru}", "time", "expected a value",
	       "x-2");
	/* on several lines the line is named too */
	reject("{\"id\":\"a\",\n \"time\":1 \"type\":\"x\"}", "",
	       "line 2, column 11: expected ',' or '}'", "a");
	/* an error inside a field keeps the field's path */
	reject(HEAD "\"properties\":{\"a\":1 \"b\":2}}", "properties", "expected ',' or '}'", "a");
	reject(HEAD "\"properties\":{\"a\":[1 2]}}", "properties.a", "expected ',' or ']'", "a");
	/* the id is found before the problem, or not at all */
	reject("{\"a\":[1,{\"b\":\"}\"}],\"id\":\"r\\u0041\",\"c\" 1}", "",
	       "column 39: expected ':'", "rA");
	reject("{\"customer\":\"acme\" \"id\":\"a\"}", "", "column 20: expected ',' or '}'", NULL);
	reject("{\"id\":7,\"x\":}", "x", "expected a value", NULL);
	reject_id_bytes("{\"id\":\"\\u0000\",\"x\":}", "x", "expected a value", "", 1);
	reject("{\"id\":\"\\q\",\"x\":}", "id", "invalid escape \\q", NULL);
}

static void not_an_object(void **state)
{
	(void)state;
	reject("[{\"id\":\"a\"}]", "", "an event must be a JSON object", NULL);
	reject("\"id\"", "", "an event must be a JSON object", NULL);
	reject("null", "", "an event must be a JSON object", NULL);
	reject("17", "", "an event must be a JSON object", NULL);
}

/* ---- the fields ---- */

static void required_fields(void **state)
{
	(void)state;
	reject("{}", "id", "required field is missing", NULL);
	reject("{\"customer\":\"acme\",\"type\":\"x\",\"time\":1}", "id",
	       "required field is missing", NULL);
	reject("{\"id\":\"a\",\"type\":\"x\",\"time\":1}", "customer", "required field is missing",
	       "a");
	reject("{\"id\":\"a\",\"customer\":\"acme\",\"time\":1}", "type",
	       "required field is missing", "a");
	reject("{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"x\"}", "time",
	       "required field is missing", "a");
	reject("{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"x\",\"properties\":{}}", "time",
	       "required field is missing", "a");
}

static void id_rule(void **state)
{
	char text[600], id[200];
	struct raas_event ev;

	(void)state;
	/* every printable ASCII byte but space */
	{
		size_t n = 0;
		for (int c = 0x21; c <= 0x7e; c++) {
			if (c == '"' || c == '\\')
				id[n++] = '\\';
			id[n++] = (char)c;
		}
		id[n] = '\0';
	}
	snprintf(text, sizeof text,
	         "{\"id\":\"%s\",\"customer\":\"acme\",\"type\":\"x\",\"time\":1}", id);
	ev = accept(text);
	assert_int_equal(ev.id_len, 94);
	assert_int_equal(ev.id[0], '!');
	assert_int_equal(ev.id[93], '~');
	assert_string_equal(
	        leaf_of(&ev, T_2026),
	        "{\"kind\":\"event\",\"customer\":\"acme\",\"id\":\"!\\\"#$%&'()*+,-./"
	        "0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_`abcdefghijklmnopqrs"
	        "tuvwxyz{|}~\",\"type\":\"x\",\"time\":\"1970-01-01T00:00:01Z\","
	        "\"received\":\"2026-01-01T00:00:00Z\",\"properties\":{}}");
	/* 1 and 128 bytes; 0 and 129 */
	ev = accept("{\"id\":\"z\",\"customer\":\"acme\",\"type\":\"x\",\"time\":1}");
	assert_int_equal(ev.id_len, 1);
	memset(id, 'i', 128);
	id[128] = '\0';
	snprintf(text, sizeof text,
	         "{\"id\":\"%s\",\"customer\":\"acme\",\"type\":\"x\",\"time\":1}", id);
	assert_int_equal(accept(text).id_len, 128);
	id[128] = 'i';
	id[129] = '\0';
	snprintf(text, sizeof text,
	         "{\"id\":\"%s\",\"customer\":\"acme\",\"type\":\"x\",\"time\":1}", id);
	reject(text, "id", "must be 1 to 128 bytes long (it is 129)", id);
	reject("{\"id\":\"\",\"customer\":\"acme\",\"type\":\"x\",\"time\":1}", "id",
	       "must be 1 to 128 bytes long (it is 0)", "");
	/* the length is of the unescaped bytes: 128 escaped characters are 128 bytes */
	{
		size_t n = 0;
		for (int i = 0; i < 128; i++)
			n += (size_t)snprintf(id + n, sizeof id - n, "%s",
			                      i < 10 ? "\\u0041" : "B");
		(void)n;
		snprintf(text, sizeof text,
		         "{\"id\":\"%s\",\"customer\":\"acme\",\"type\":\"x\",\"time\":1}", id);
		assert_int_equal(accept(text).id_len, 128);
	}
	reject("{\"id\":\"a b\",\"customer\":\"acme\",\"type\":\"x\",\"time\":1}", "id",
	       "' ' at position 2 is not allowed (printable ASCII without spaces)", "a b");
	reject("{\"id\":\"ab\\t\",\"customer\":\"acme\",\"type\":\"x\",\"time\":1}", "id",
	       "byte 0x09 at position 3 is not allowed (printable ASCII without spaces)", "ab\t");
	reject("{\"id\":\"\\u007f\",\"customer\":\"acme\",\"type\":\"x\",\"time\":1}", "id",
	       "byte 0x7f at position 1 is not allowed (printable ASCII without spaces)", "\x7f");
	reject("{\"id\":\"caf\\u00e9\",\"customer\":\"acme\",\"type\":\"x\",\"time\":1}", "id",
	       "byte 0xc3 at position 4 is not allowed (printable ASCII without spaces)",
	       "caf\xc3\xa9");
	/* an id holding U+0000 is reported as written, with its length */
	reject_id_bytes("{\"id\":\"x\\u0000y\",\"customer\":\"acme\",\"type\":\"x\",\"time\":1}",
	                "id",
	                "byte 0x00 at position 2 is not allowed (printable ASCII without spaces)",
	                "x\0y", 3);
	reject("{\"id\":7,\"customer\":\"acme\",\"type\":\"x\",\"time\":1}", "id",
	       "must be a string", NULL);
	reject("{\"id\":null,\"customer\":\"acme\",\"type\":\"x\",\"time\":1}", "id",
	       "must be a string", NULL);
	reject("{\"id\":[\"a\"],\"customer\":\"acme\",\"type\":\"x\",\"time\":1}", "id",
	       "must be a string", NULL);
}

static void customer_and_type_rule(void **state)
{
	static const char allowed[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-";
	static const char forbidden[] = " !\"#$%&'()*+,/;<=>?@[\\]^`{|}~";
	char text[600], name[200];
	struct raas_event ev;

	(void)state;
	snprintf(text, sizeof text, "{\"id\":\"a\",\"customer\":\"%s\",\"type\":\"%s\",\"time\":1}",
	         allowed, allowed);
	ev = accept(text);
	assert_string_equal(ev.customer, allowed);
	assert_string_equal(ev.type, allowed);
	for (const char *f = forbidden; *f; f++) {
		char esc[3] = {*f, 0, 0}, msg[200];
		if (*f == '"' || *f == '\\') {
			esc[0] = '\\';
			esc[1] = *f;
		}
		snprintf(msg, sizeof msg,
		         "'%c' at position 3 is not allowed (only A-Z a-z 0-9 . _ : -)", *f);
		snprintf(text, sizeof text,
		         "{\"id\":\"a\",\"customer\":\"ab%scd\",\"type\":\"x\",\"time\":1}", esc);
		reject(text, "customer", msg, "a");
		snprintf(text, sizeof text,
		         "{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"ab%scd\",\"time\":1}",
		         esc);
		reject(text, "type", msg, "a");
	}
	reject("{\"id\":\"a\",\"customer\":\"acm\xc3\xa9\",\"type\":\"x\",\"time\":1}", "customer",
	       "byte 0xc3 at position 4 is not allowed (only A-Z a-z 0-9 . _ : -)", "a");
	reject("{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"x\\n\",\"time\":1}", "type",
	       "byte 0x0a at position 2 is not allowed (only A-Z a-z 0-9 . _ : -)", "a");
	memset(name, 'c', 128);
	name[128] = '\0';
	snprintf(text, sizeof text, "{\"id\":\"a\",\"customer\":\"%s\",\"type\":\"%s\",\"time\":1}",
	         name, name);
	ev = accept(text);
	assert_int_equal(ev.customer_len, 128);
	assert_int_equal(ev.type_len, 128);
	name[128] = 'c';
	name[129] = '\0';
	snprintf(text, sizeof text, "{\"id\":\"a\",\"customer\":\"%s\",\"type\":\"x\",\"time\":1}",
	         name);
	reject(text, "customer", "must be 1 to 128 bytes long (it is 129)", "a");
	snprintf(text, sizeof text,
	         "{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"%s\",\"time\":1}", name);
	reject(text, "type", "must be 1 to 128 bytes long (it is 129)", "a");
	reject("{\"id\":\"a\",\"customer\":\"\",\"type\":\"x\",\"time\":1}", "customer",
	       "must be 1 to 128 bytes long (it is 0)", "a");
	reject("{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"\",\"time\":1}", "type",
	       "must be 1 to 128 bytes long (it is 0)", "a");
	reject("{\"id\":\"a\",\"customer\":1,\"type\":\"x\",\"time\":1}", "customer",
	       "must be a string", "a");
	reject("{\"id\":\"a\",\"customer\":\"acme\",\"type\":{},\"time\":1}", "type",
	       "must be a string", "a");
}

static void time_forms(void **state)
{
	struct raas_event ev;

	(void)state;
	/* RFC 3339 with Z, offsets, fractions: stored as UTC microseconds */
	assert_true(time_of("\"2026-01-05T10:00:00Z\"") == INT64_C(1767607200000000));
	assert_true(time_of("\"2026-01-05T18:00:00+08:00\"") == INT64_C(1767607200000000));
	assert_true(time_of("\"2026-01-05T04:30:00-05:30\"") == INT64_C(1767607200000000));
	assert_true(time_of("\"2026-01-05T10:00:00+00:00\"") == INT64_C(1767607200000000));
	assert_true(time_of("\"2026-01-05T10:00:00.5Z\"") == INT64_C(1767607200500000));
	assert_true(time_of("\"2026-01-05T10:00:00.000001Z\"") == INT64_C(1767607200000001));
	assert_true(time_of("\"2026-01-05T10:00:00.123456+01:00\"") == INT64_C(1767603600123456));
	assert_true(time_of("\"0000-01-01T00:00:00Z\"") == INT64_C(-62167219200000000));
	assert_true(time_of("\"9999-12-31T23:59:59.999999Z\"") == INT64_C(253402300799999999));
	assert_true(time_of("\"0000-01-01T00:59:00+00:59\"") == INT64_C(-62167219200000000));
	/* Unix seconds */
	assert_true(time_of("1767225600") == T_2026);
	assert_true(time_of("0") == 0);
	assert_true(time_of("-0") == 0);
	assert_true(time_of("-1") == -RAAS_US_PER_SEC);
	assert_true(time_of("-62167219200") == INT64_C(-62167219200000000));
	assert_true(time_of("253402300799") == INT64_C(253402300799000000));
	/* the leaf writes UTC, microseconds only when not zero */
	ev = accept("{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"x\","
	            "\"time\":\"2026-01-05T18:00:00.120000+08:00\"}");
	assert_string_equal(leaf_of(&ev, T_2026 + 7),
	                    "{\"kind\":\"event\",\"customer\":\"acme\",\"id\":\"a\",\"type\":\"x\","
	                    "\"time\":\"2026-01-05T10:00:00.120000Z\",\"received\":"
	                    "\"2026-01-01T00:00:00.000007Z\",\"properties\":{}}");
	ev = accept("{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"x\",\"time\":-1}");
	assert_string_equal(leaf_of(&ev, T_2026),
	                    "{\"kind\":\"event\",\"customer\":\"acme\",\"id\":\"a\",\"type\":\"x\","
	                    "\"time\":\"1969-12-31T23:59:59Z\",\"received\":"
	                    "\"2026-01-01T00:00:00Z\",\"properties\":{}}");

	/* rejected */
	reject_time("\"2026-01-05 10:00\"",
	            "a space is not allowed: separate date and time with 'T'");
	reject_time("\"2026-01-05t10:00:00Z\"",
	            "lower-case 't' is not allowed: separate date and time with 'T'");
	reject_time("\"2026-01-05T10:00:00z\"", "lower-case 'z' is not allowed: use 'Z'");
	reject_time("\"2026-01-05T10:00:00-00:00\"",
	            "-00:00 (unknown offset) is not allowed: use 'Z' or +00:00");
	reject_time("\"2026-01-05T10:00:60Z\"",
	            "second 60 is out of range (00-59; leap seconds are not allowed)");
	reject_time("\"2026-01-05T10:00:00.1234567Z\"",
	            "more than 6 fractional digits (microseconds at most)");
	reject_time("\"2026-01-05T10:00:00\"",
	            "not an RFC 3339 timestamp: the time zone ('Z' or +HH:MM / -HH:MM) is missing");
	reject_time("\"2026-02-30T10:00:00Z\"", "day 30 does not exist in 2026-02");
	reject_time("\"\"", "not an RFC 3339 timestamp: it is empty");
	reject_time("\"yesterday\"", "not an RFC 3339 timestamp");
	reject_time("\"0000-01-01T00:00:00+00:01\"",
	            "outside the years 0000-9999 once converted to UTC");
	reject_time("\"9999-12-31T23:59:59-00:01\"",
	            "outside the years 0000-9999 once converted to UTC");
	reject_time("1.5", "Unix seconds must be an integer (no fraction or exponent)");
	reject_time("1767225600.0", "Unix seconds must be an integer (no fraction or exponent)");
	reject_time("1e9", "Unix seconds must be an integer (no fraction or exponent)");
	reject_time("-62167219201", "Unix time -62167219201 is outside the years 0000-9999");
	reject_time("253402300800", "Unix time 253402300800 is outside the years 0000-9999");
	reject_time("999999999999999999",
	            "Unix time 999999999999999999 is outside the years 0000-9999");
	reject_time("-9223372036854775809",
	            "Unix time -9223372036854775809 is outside the years 0000-9999");
	reject_time("99999999999999999999999",
	            "Unix time 99999999999999999999999 is outside the years 0000-9999");
	reject_time("true", "must be an RFC 3339 timestamp string or an integer of Unix seconds");
	reject_time("null", "must be an RFC 3339 timestamp string or an integer of Unix seconds");
	reject_time("{}", "must be an RFC 3339 timestamp string or an integer of Unix seconds");
}

static void properties_rule(void **state)
{
	(void)state;
	reject(HEAD "\"properties\":[]}", "properties", "must be an object", "a");
	reject(HEAD "\"properties\":\"{}\"}", "properties", "must be an object", "a");
	reject(HEAD "\"properties\":null}", "properties", "must be an object", "a");
	reject(HEAD "\"properties\":0}", "properties", "must be an object", "a");
}

static void unknown_fields(void **state)
{
	(void)state;
	/* engine-basic step 4, line 10 */
	reject("{\"id\":\"x-1\",\"customer\":\"acme\",\"type\":\"page.view\","
	       "\"time\":\"2026-01-09T00:00:00Z\",\"source\":\"crm\"}",
	       "source", "unknown field", "x-1");
	reject("{\"zzz\":1,\"id\":5}", "zzz", "unknown field", NULL);
	reject("{\"ID\":\"a\"}", "ID", "unknown field", NULL);
	reject("{\"kind\":\"event\",\"id\":\"a\"}", "kind", "unknown field", "a");
	reject("{\"received\":1,\"id\":\"a\",\"customer\":\"acme\",\"type\":\"x\",\"time\":1}",
	       "received", "unknown field", "a");
	reject("{\"\":1,\"id\":\"q\"}", "", "unknown field \"\" (an empty key)", "q");
	reject("{\"a\\u0001\\\"b\":1,\"id\":\"q\"}", "a\\u0001\\\"b", "unknown field", "q");
}

static void first_problem_decides(void **state)
{
	(void)state;
	/* document order; the id is found even after the problem */
	reject("{\"time\":\"bad\",\"id\":\"q\",\"customer\":\"acme\",\"type\":\"x\"}", "time",
	       "not an RFC 3339 timestamp", "q");
	reject("{\"type\":\"x y\",\"extra\":1,\"id\":\"q\"}", "type",
	       "' ' at position 2 is not allowed (only A-Z a-z 0-9 . _ : -)", "q");
	reject("{\"extra\":1,\"type\":\"x y\",\"id\":\"q\"}", "extra", "unknown field", "q");
	reject("{\"customer\":\"a/b\",\"id\":\"q r\"}", "customer",
	       "'/' at position 2 is not allowed (only A-Z a-z 0-9 . _ : -)", "q r");
	/* a field problem comes before a missing field */
	reject("{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"x\",\"properties\":1}", "properties",
	       "must be an object", "a");
}

static void repeated_keys(void **state)
{
	(void)state;
	reject("{\"id\":\"a\",\"id\":\"b\",\"customer\":\"acme\",\"type\":\"x\",\"time\":1}", "",
	       "column 11: repeated key \"id\"", "a");
	reject(HEAD "\"time\":2}", "", "column 49: repeated key \"time\"", "a");
	reject(HEAD "\"properties\":{\"x\":1,\"x\":1}}", "properties", "repeated key \"x\"", "a");
	reject(HEAD "\"properties\":{\"utm\":{\"c\":\"s\",\"c\":\"s\"}}}", "properties.utm",
	       "repeated key \"c\"", "a");
	reject(HEAD "\"properties\":{\"l\":[1,{\"k\":1,\"k\":2}]}}", "properties.l[1]",
	       "repeated key \"k\"", "a");
	/* unescaped keys are compared: "\u0078" is "x" */
	reject(HEAD "\"properties\":{\"x\":1,\"\\u0078\":1}}", "properties", "repeated key \"x\"",
	       "a");
}

/* HEAD "properties": holding k objects nested inside it, then "}" */
static char *nested(unsigned k, char open, char close)
{
	static char text[4096];
	size_t n = (size_t)snprintf(text, sizeof text, "%s\"properties\":{", HEAD);

	for (unsigned i = 0; i < k; i++) {
		if (open == '{')
			n += (size_t)snprintf(text + n, sizeof text - n, "\"a\":{");
		else
			n += (size_t)snprintf(text + n, sizeof text - n, "%s[", i ? "" : "\"a\":");
	}
	for (unsigned i = 0; i < k; i++)
		text[n++] = close;
	text[n++] = '}';
	text[n++] = '}';
	text[n] = '\0';
	return text;
}

/* The event object is depth 1 and properties depth 2: with the default 16, properties
 * holds 14 more levels (15 levels of its own). */
static void depth_limit(void **state)
{
	struct raas_event_limits lim = {0, 2};
	char path[200];
	size_t n;

	(void)state;
	(void)accept(nested(14, '{', '}'));
	n = (size_t)snprintf(path, sizeof path, "properties");
	for (int i = 0; i < 15; i++)
		n += (size_t)snprintf(path + n, sizeof path - n, ".a");
	reject(nested(15, '{', '}'), path, "nesting deeper than 16", "a");
	(void)accept(nested(14, '[', ']'));
	reject(nested(15, '[', ']'), "properties.a[0][0][0][0][0][0][0][0][0][0][0][0][0][0]",
	       "nesting deeper than 16", "a");
	/* configured: 2 allows properties but nothing inside it */
	{
		const char *t = HEAD "\"properties\":{\"a\":1}}";
		(void)accept_lim(t, strlen(t), &lim);
		t = HEAD "\"properties\":{\"a\":{}}}";
		reject_lim(t, strlen(t), &lim, "properties.a", "nesting deeper than 2", "a");
		t = HEAD "\"properties\":{\"a\":[]}}";
		reject_lim(t, strlen(t), &lim, "properties.a", "nesting deeper than 2", "a");
		lim.max_depth = 1;
		t = HEAD "\"properties\":{}}";
		reject_lim(t, strlen(t), &lim, "properties", "nesting deeper than 1", "a");
		t = "{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"x\",\"time\":1}";
		(void)accept_lim(t, strlen(t), &lim);
		lim.max_depth = 17;
		(void)accept_lim(nested(15, '{', '}'), strlen(nested(15, '{', '}')), &lim);
	}
}

static void number_limit(void **state)
{
	char text[600], digits[200];

	(void)state;
	(void)accept(HEAD "\"properties\":{\"x\":1e127}}");
	reject(HEAD "\"properties\":{\"x\":1e128}}", "properties.x", "number out of range", "a");
	/* the sign counts: "-1" and 126 zeros is 128 characters */
	(void)accept(HEAD "\"properties\":{\"x\":-1e126}}");
	reject(HEAD "\"properties\":{\"a\":{\"b\":-1e127}}}", "properties.a.b",
	       "number out of range", "a");
	reject(HEAD "\"properties\":{\"list\":[1,2,[3,{\"y\":1e99999999}]]}}",
	       "properties.list[2][1].y", "number out of range", "a");
	/* 0.000…1: "0." and 126 digits is 128 characters */
	(void)accept(HEAD "\"properties\":{\"x\":1e-126}}");
	reject(HEAD "\"properties\":{\"x\":1e-127}}", "properties.x", "number out of range", "a");
	/* 128 and 129 digits written out */
	memset(digits, '7', 128);
	digits[128] = '\0';
	snprintf(text, sizeof text, HEAD "\"properties\":{\"n\":%s}}", digits);
	assert_int_equal(raas_json_get(accept(text).properties, "n")->len, 128);
	digits[128] = '7';
	digits[129] = '\0';
	snprintf(text, sizeof text, HEAD "\"properties\":{\"n\":%s}}", digits);
	reject(text, "properties.n", "number out of range", "a");
	/* a number for time is bounded the same way */
	reject("{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"x\",\"time\":1e999}", "time",
	       "number out of range", "a");
}

static void optional_out_parameters(void **state)
{
	struct raas_event ev;

	(void)state;
	assert_int_equal(raas_event_parse(&arena, "{\"id\":1}", 8, NULL, &ev, NULL, NULL, NULL),
	                 RAAS_E_INPUT);
	assert_int_equal(raas_event_parse(&arena, "[", 1, NULL, &ev, NULL, NULL, NULL),
	                 RAAS_E_INPUT);
	assert_int_equal(raas_event_parse(&arena, HEAD "\"p\":1}", strlen(HEAD) + 6, NULL, &ev,
	                                  NULL, NULL, NULL),
	                 RAAS_E_INPUT);
}

/* ---- the 24-hour rule ---- */

static void clock_rule(void **state)
{
	struct raas_event ev;
	struct raas_err err;

	(void)state;
	ev = accept("{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"x\","
	            "\"time\":\"2026-01-08T00:00:00Z\"}");
	raas_err_clear(&err);
	assert_int_equal(raas_event_check_clock(&ev, T_0107, &err), RAAS_OK);
	assert_int_equal(raas_event_check_clock(&ev, T_0107 + 1, &err), RAAS_OK);
	assert_int_equal(raas_event_check_clock(&ev, INT64_C(4000000000000000), &err), RAAS_OK);
	assert_int_equal(raas_event_check_clock(&ev, INT64_MAX, &err), RAAS_OK);
	assert_int_equal(err.code, RAAS_OK);
	ev.time_us += 1;
	assert_int_equal(raas_event_check_clock(&ev, T_0107, &err), RAAS_E_INPUT);
	assert_int_equal(err.code, RAAS_E_INPUT);
	assert_string_equal(err.path, "time");
	assert_string_equal(err.message, "more than 24 hours after the received time (received "
	                                 "2026-01-07T00:00:00Z)");
	assert_int_equal(raas_event_check_clock(&ev, T_0107 - 1, &err), RAAS_E_INPUT);
	assert_string_equal(err.message, "more than 24 hours after the received time (received "
	                                 "2026-01-06T23:59:59.999999Z)");
	assert_int_equal(raas_event_check_clock(&ev, INT64_MIN, NULL), RAAS_E_INPUT);
	/* the past is never a problem */
	ev.time_us = INT64_C(-62167219200000000);
	assert_int_equal(raas_event_check_clock(&ev, T_0107, &err), RAAS_OK);
}

/* ---- same content ---- */

/* engine-basic step 3, lines 1 and 2, and step 4, lines 6 and 7 */
static const char *const s3_lead1 =
        "{\"id\":\"lead-1\",\"customer\":\"acme\",\"type\":\"lead.created\",\"time\":"
        "\"2026-01-02T10:00:00+08:00\",\"properties\":{\"lead_id\":\"L-1\",\"source\":\"vendor\","
        "\"score\":61,\"utm\":{\"campaign\":\"spring\"}}}";
static const char *const s3_lead2 =
        "{\"id\":\"lead-2\",\"customer\":\"acme\",\"type\":\"lead.created\",\"time\":"
        "\"2026-01-02T11:00:00+08:00\",\"properties\":{\"lead_id\":\"L-2\",\"source\":\"vendor\","
        "\"score\":62,\"utm\":{\"campaign\":\"spring\"}}}";
static const char *const s4_lead1 =
        "{\"id\":\"lead-1\",\"customer\":\"acme\",\"type\":\"lead.created\",\"time\":"
        "\"2026-01-02T10:00:00+08:00\",\"properties\":{\"lead_id\":\"L-1\",\"source\":\"vendor\","
        "\"score\":99}}";
static const char *const s4_lead2 =
        "{\"id\":\"lead-2\",\"customer\":\"acme\",\"type\":\"lead.created\",\"time\":"
        "\"2026-01-02T03:00:00Z\",\"properties\":{\"utm\":{\"campaign\":\"spring\"},\"score\":62.0,"
        "\"source\":\"vendor\",\"lead_id\":\"L-2\"}}";

static bool same(const char *x, const char *y)
{
	struct raas_event a = accept(x), b = accept(y);
	bool r = raas_event_same_content(&a, &b);

	assert_true(raas_event_same_content(&b, &a) == r);
	assert_true(raas_event_same_content(&a, &a));
	return r;
}

#define EV(t, p) "{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"x\",\"time\":" t p "}"

static void same_content(void **state)
{
	(void)state;
	/* reordered keys, another offset for the same instant, 62.0 for 62 */
	assert_true(same(s3_lead2, s4_lead2));
	/* score 99 and no utm */
	assert_false(same(s3_lead1, s4_lead1));
	assert_false(same(s3_lead1, s3_lead2));
	/* numbers as exact decimals */
	assert_true(same(EV("1", ",\"properties\":{\"n\":62}"),
	                 EV("1", ",\"properties\":{\"n\":6.2e1}")));
	assert_true(same(EV("1", ",\"properties\":{\"n\":1e3}"),
	                 EV("1", ",\"properties\":{\"n\":1000.000}")));
	assert_false(same(EV("1", ",\"properties\":{\"n\":0.1}"),
	                  EV("1", ",\"properties\":{\"n\":0.10000000000000001}")));
	assert_false(same(EV("1", ",\"properties\":{\"n\":62}"),
	                  EV("1", ",\"properties\":{\"n\":\"62\"}")));
	/* strings after unescaping */
	assert_true(same(EV("1", ",\"properties\":{\"s\":\"A\\/\"}"),
	                 EV("1", ",\"properties\":{\"s\":\"\\u0041/\"}")));
	assert_false(same(EV("1", ",\"properties\":{\"s\":\"a\"}"),
	                  EV("1", ",\"properties\":{\"s\":\"A\"}")));
	/* absent and empty properties; a property more or less */
	assert_true(same(EV("1", ""), EV("1", ",\"properties\":{}")));
	assert_false(same(EV("1", ""), EV("1", ",\"properties\":{\"a\":null}")));
	/* the instant: Unix seconds or a string, to the microsecond */
	assert_true(same(EV("1767225600", ""), EV("\"2026-01-01T08:00:00+08:00\"", "")));
	assert_false(same(EV("\"2026-01-01T00:00:00Z\"", ""),
	                  EV("\"2026-01-01T00:00:00.000001Z\"", "")));
	/* the type */
	assert_false(same("{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"x\",\"time\":1}",
	                  "{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"xx\",\"time\":1}"));
	assert_false(same("{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"x\",\"time\":1}",
	                  "{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"y\",\"time\":1}"));
	/* id and customer are the caller's to match */
	assert_true(same("{\"id\":\"a\",\"customer\":\"acme\",\"type\":\"x\",\"time\":1}",
	                 "{\"id\":\"b\",\"customer\":\"beta\",\"type\":\"x\",\"time\":1}"));
}

/* ---- leaves ---- */

/* Reads a leaf that must be accepted, and checks that it writes back byte for byte. */
static struct raas_event read_leaf(const char *leaf, int64_t *received)
{
	struct raas_event ev;
	struct raas_err err;

	raas_err_clear(&err);
	if (raas_event_parse_leaf(&arena, leaf, strlen(leaf), &ev, received, &err) != RAAS_OK)
		fail_msg("leaf rejected %.200s: [%s] %u:%u %s", leaf, err.path, err.line,
		         err.column, err.message);
	assert_string_equal(leaf_of(&ev, *received), leaf);
	return ev;
}

static void reject_leaf(const char *leaf, const char *path, const char *message)
{
	struct raas_event ev;
	struct raas_err err;
	int64_t received = 12345;

	raas_err_clear(&err);
	if (raas_event_parse_leaf(&arena, leaf, strlen(leaf), &ev, &received, &err) != RAAS_E_INPUT)
		fail_msg("leaf accepted: %.200s", leaf);
	if (strcmp(err.path, path) != 0 || strcmp(err.message, message) != 0)
		fail_msg("%.200s: got [%s] %s; want [%s] %s", leaf, err.path, err.message, path,
		         message);
	assert_true(received == 12345);
}

#define LEAF_A "{\"kind\":\"event\",\"customer\":\"acme\",\"id\":\"a\",\"type\":\"x\","
#define LEAF_T "\"time\":\"2026-01-05T10:00:00Z\",\"received\":\"2026-01-01T00:00:00Z\","

static void leaf_round_trip(void **state)
{
	static const char *const events[] = {
	        NULL, /* typical */
	        "{\"id\":\"a\\\"b\\\\c\",\"customer\":\"c\",\"type\":\"t\",\"time\":-62167219200}",
	        "{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\",\"time\":"
	        "\"9999-12-31T23:59:59.999999Z\",\"properties\":{\"\":\"\",\"s\":\"\\u0000\\u001f"
	        "\\n\\u00e9\\/\",\"n\":[-0.0e-0,1E+2,{\"d\":{\"e\":[[]]}}],\"t\":true,\"f\":false,"
	        "\"z\":null}}",
	        "{\"id\":\"x\",\"customer\":\"c\",\"type\":\"t\",\"time\":"
	        "\"2026-03-01T00:00:00.000001-23:59\"}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
		struct raas_event ev = accept(events[i] ? events[i] : typical), back;
		const int64_t received = T_0110_12 + (int64_t)i * 7;
		char leaf[4096];
		int64_t got = 0;

		snprintf(leaf, sizeof leaf, "%s", leaf_of(&ev, received));
		back = read_leaf(leaf, &got);
		assert_true(got == received);
		same_fields(&back, &ev);
		assert_true(raas_event_same_content(&ev, &back));
		assert_true(raas_json_equal(ev.properties, back.properties));
	}
	/* the example of docs/formats/leaves.md */
	{
		int64_t got;
		struct raas_event ev = read_leaf(
		        "{\"kind\":\"event\",\"customer\":\"acme\",\"id\":\"evt_1029\",\"type\":"
		        "\"lead.created\",\"time\":\"2026-01-05T10:00:00Z\",\"received\":"
		        "\"2026-01-05T10:00:03.250000Z\",\"properties\":{\"lead_id\":\"L-77\","
		        "\"note\":\"caf\xc3\xa9 "
		        "\\\"A\\\"\\n\",\"score\":7.50,\"utm\":{\"campaign\":"
		        "\"spring\"}}}",
		        &got);
		assert_true(got == INT64_C(1767607203250000));
		assert_string_equal(raas_json_get(ev.properties, "note")->u.str,
		                    "caf\xc3\xa9 \"A\"\n");
		assert_string_equal(raas_json_get(ev.properties, "score")->u.str, "7.50");
		/* ... and the event it comes from */
		ev = accept("{\"id\":\"evt_1029\",\"customer\":\"acme\",\"type\":\"lead.created\","
		            "\"time\":\"2026-01-05T18:00:00+08:00\",\"properties\":{\"lead_id\":"
		            "\"L-77\",\"note\":\"caf\\u00e9 \\\"A\\\"\\n\",\"score\":7.50,\"utm\":{"
		            "\"campaign\":\"spring\"}}}");
		assert_string_equal(
		        leaf_of(&ev, INT64_C(1767607203250000)),
		        "{\"kind\":\"event\",\"customer\":\"acme\",\"id\":\"evt_1029\",\"type\":"
		        "\"lead.created\",\"time\":\"2026-01-05T10:00:00Z\",\"received\":"
		        "\"2026-01-05T10:00:03.250000Z\",\"properties\":{\"lead_id\":\"L-77\","
		        "\"note\":\"caf\xc3\xa9 "
		        "\\\"A\\\"\\n\",\"score\":7.50,\"utm\":{\"campaign\":"
		        "\"spring\"}}}");
		assert_int_equal(strlen(leaf_of(&ev, INT64_C(1767607203250000))), 239);
	}
}

static void leaf_strict(void **state)
{
	(void)state;
	reject_leaf(LEAF_A LEAF_T "\"properties\":{}", "", "expected ',' or '}'");
	/* the parser's own errors keep their line and column */
	{
		struct raas_event ev;
		struct raas_err err;
		int64_t r;
		assert_int_equal(raas_event_parse_leaf(&arena, "{\"kind\" 1}", 10, &ev, &r, &err),
		                 RAAS_E_INPUT);
		assert_string_equal(err.message, "expected ':'");
		assert_int_equal(err.line, 1);
		assert_int_equal(err.column, 9);
	}
	reject_leaf("[]", "", "an event leaf must be a JSON object");
	reject_leaf("{}", "", "member 1 of an event leaf must be \"kind\"");
	reject_leaf("{\"kind\":\"event\",\"id\":\"a\",\"customer\":\"acme\",\"type\":\"x\"," LEAF_T
	            "\"properties\":{}}",
	            "", "member 2 of an event leaf must be \"customer\"");
	reject_leaf(LEAF_A "\"time\":\"2026-01-05T10:00:00Z\",\"properties\":{}}", "",
	            "member 6 of an event leaf must be \"received\"");
	reject_leaf(LEAF_A LEAF_T "\"properties\":{},\"extra\":1}", "",
	            "unexpected member after \"properties\" (an event leaf has 7)");
	reject_leaf(
	        "{\"kind\":\"contract\",\"customer\":\"acme\",\"id\":\"a\",\"type\":\"x\"," LEAF_T
	        "\"properties\":{}}",
	        "kind", "must be \"event\"");
	reject_leaf("{\"kind\":\"event\",\"customer\":\"a b\",\"id\":\"a\",\"type\":\"x\"," LEAF_T
	            "\"properties\":{}}",
	            "customer", "' ' at position 2 is not allowed (only A-Z a-z 0-9 . _ : -)");
	reject_leaf("{\"kind\":\"event\",\"customer\":\"acme\",\"id\":\"\",\"type\":\"x\"," LEAF_T
	            "\"properties\":{}}",
	            "id", "must be 1 to 128 bytes long (it is 0)");
	reject_leaf("{\"kind\":\"event\",\"customer\":\"acme\",\"id\":\"a\",\"type\":1," LEAF_T
	            "\"properties\":{}}",
	            "type", "must be a string");
	reject_leaf(LEAF_A LEAF_T "\"properties\":[]}", "properties", "must be an object");
	/* times only in the leaf form: UTC with Z, six fraction digits only when not zero */
	reject_leaf(LEAF_A "\"time\":\"2026-01-05T18:00:00+08:00\",\"received\":"
	                   "\"2026-01-01T00:00:00Z\",\"properties\":{}}",
	            "time", "not a leaf timestamp (UTC, YYYY-MM-DDTHH:MM:SS[.ffffff]Z)");
	reject_leaf(LEAF_A "\"time\":\"2026-01-05T10:00:00.5Z\",\"received\":"
	                   "\"2026-01-01T00:00:00Z\",\"properties\":{}}",
	            "time", "not a leaf timestamp (UTC, YYYY-MM-DDTHH:MM:SS[.ffffff]Z)");
	reject_leaf(LEAF_A "\"time\":\"2026-01-05T10:00:00.000000Z\",\"received\":"
	                   "\"2026-01-01T00:00:00Z\",\"properties\":{}}",
	            "time", "not a leaf timestamp (UTC, YYYY-MM-DDTHH:MM:SS[.ffffff]Z)");
	reject_leaf(LEAF_A "\"time\":1767225600,\"received\":\"2026-01-01T00:00:00Z\","
	                   "\"properties\":{}}",
	            "time", "not a leaf timestamp (UTC, YYYY-MM-DDTHH:MM:SS[.ffffff]Z)");
	reject_leaf(LEAF_A "\"time\":\"2026-01-05T10:00:00Z\",\"received\":\"2026-01-01\","
	                   "\"properties\":{}}",
	            "received", "not a leaf timestamp (UTC, YYYY-MM-DDTHH:MM:SS[.ffffff]Z)");
	/* bytes other than the writer's: whitespace, escapes that are not minimal */
	reject_leaf(LEAF_A LEAF_T "\"properties\":{} }", "",
	            "not in canonical leaf form from byte 134 on (compact, keys in order, minimal "
	            "escaping)");
	reject_leaf("{\"kind\": \"event\",\"customer\":\"acme\",\"id\":\"a\",\"type\":\"x\"," LEAF_T
	            "\"properties\":{}}",
	            "",
	            "not in canonical leaf form from byte 9 on (compact, keys in order, minimal "
	            "escaping)");
	reject_leaf(LEAF_A LEAF_T "\"properties\":{\"s\":\"\\u0041\"}}", "",
	            "not in canonical leaf form from byte 138 on (compact, keys in order, minimal "
	            "escaping)");
	reject_leaf(LEAF_A LEAF_T "\"properties\":{\"s\":\"\\u001F\"}}", "",
	            "not in canonical leaf form from byte 143 on (compact, keys in order, minimal "
	            "escaping)");
	reject_leaf(LEAF_A LEAF_T "\"properties\":{\"s\":\"\\/\"}}", "",
	            "not in canonical leaf form from byte 138 on (compact, keys in order, minimal "
	            "escaping)");
	reject_leaf(LEAF_A LEAF_T "\"properties\":{\"s\":\"\\u000a\"}}", "",
	            "not in canonical leaf form from byte 139 on (compact, keys in order, minimal "
	            "escaping)");
	reject_leaf("{\"kind\":\"event\",\"customer\":\"acme\",\"id\":\"\\u0061\",\"type\":"
	            "\"x\"," LEAF_T "\"properties\":{}}",
	            "",
	            "not in canonical leaf form from byte 41 on (compact, keys in order, minimal "
	            "escaping)");
	reject_leaf(LEAF_A LEAF_T "\"properties\":{\"a\":[1, 2]}}", "",
	            "not in canonical leaf form from byte 140 on (compact, keys in order, minimal "
	            "escaping)");
	/* a number an event could not hold */
	reject_leaf(LEAF_A LEAF_T "\"properties\":{\"x\":1e128}}", "properties.x",
	            "number out of range");
}

static void write_leaf_errors(void **state)
{
	struct raas_event ev;
	struct raas_buf b;
	char *full;
	size_t full_len;

	(void)state;
	ev = accept(typical);
	/* instants outside the years 0000-9999 have no leaf form */
	raas_buf_init(&b, 4096);
	assert_int_equal(raas_event_write_leaf(&b, &ev, INT64_C(253402300800000000)), RAAS_E_INPUT);
	assert_int_equal(raas_event_write_leaf(&b, &ev, INT64_C(-62167219200000001)), RAAS_E_INPUT);
	ev.time_us = INT64_MIN;
	assert_int_equal(raas_event_write_leaf(&b, &ev, T_2026), RAAS_E_INPUT);
	assert_int_equal(b.len, 0);
	raas_buf_free(&b);
	/* a buffer too small for the leaf is left as it was */
	ev = accept(typical);
	full_len = strlen(leaf_of(&ev, T_2026));
	full = malloc(full_len + 1);
	assert_non_null(full);
	memcpy(full, leaf_of(&ev, T_2026), full_len + 1);
	for (size_t max = 3; max < full_len + 3; max++) {
		raas_buf_init(&b, max);
		assert_int_equal(raas_buf_append(&b, "ab", 2), RAAS_OK);
		if (max < full_len + 2) {
			assert_int_equal(raas_event_write_leaf(&b, &ev, T_2026), RAAS_E_INPUT);
			assert_int_equal(b.len, 2);
			assert_string_equal(b.data, "ab");
		} else {
			assert_int_equal(raas_event_write_leaf(&b, &ev, T_2026), RAAS_OK);
			assert_int_equal(b.len, full_len + 2);
			assert_string_equal(b.data + 2, full);
		}
		raas_buf_free(&b);
	}
	free(full);
}

/* ---- out of memory ---- */

/* Failing each allocation in turn gives RAAS_E_NOMEM ("out of memory") or success, never a
 * crash or a leak (the sanitizer build checks the leaks). */
static void out_of_memory(void **state)
{
	char *big = event_of_length(60000);
	const char *texts[] = {typical, big, "{\"id\":\"x-2\",\"customer\":\"acme\",\"time\":tru}"};

	(void)state;
	for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
		int done = 0;
		for (long n = 1; n < 100 && !done; n++) {
			struct raas_arena a;
			struct raas_event ev, back;
			struct raas_err err;
			struct raas_buf b;
			const char *id;
			int64_t received;
			raas_rc rc;

			raas_arena_init(&a, 0);
			raas_buf_init(&b, 1 << 20);
			raas_err_clear(&err);
			raas_alloc_fail_at(n);
			rc = raas_event_parse(&a, texts[t], strlen(texts[t]), NULL, &ev, &id, NULL,
			                      &err);
			if (rc == RAAS_OK)
				rc = raas_event_write_leaf(&b, &ev, T_2026);
			if (rc == RAAS_OK)
				rc = raas_event_parse_leaf(&a, b.data, b.len, &back, &received,
				                           &err);
			raas_alloc_fail_at(0);
			if (rc == RAAS_E_NOMEM) {
				/* the leaf writer has no err; the parsers say it */
				if (err.code)
					assert_string_equal(err.message, "out of memory");
			} else if (t == 2) {
				assert_int_equal(rc, RAAS_E_INPUT);
				assert_string_equal(err.path, "time");
				assert_string_equal(err.message, "expected a value");
				done = 1;
			} else {
				assert_int_equal(rc, RAAS_OK);
				assert_true(raas_event_same_content(&ev, &back));
				done = 1;
			}
			raas_buf_free(&b);
			raas_arena_free(&a);
		}
		assert_true(done);
	}
	/* an arena limit stops a large event the same way */
	{
		struct raas_arena small;
		struct raas_event ev;
		struct raas_err err;

		raas_arena_init(&small, 4096);
		assert_int_equal(
		        raas_event_parse(&small, big, strlen(big), NULL, &ev, NULL, NULL, &err),
		        RAAS_E_NOMEM);
		assert_int_equal(err.code, RAAS_E_NOMEM);
		raas_arena_free(&small);
	}
	free(big);
}

/* ---- engine-basic steps 3 and 4 ---- */

struct stored {
	struct raas_event ev;
};

struct outcome {
	int accepted, duplicates;
	char rejected[256], conflicts[256]; /* "line:id;" each */
};

/* Runs the lines of one ingest step through parse, the 24-hour rule and the idempotency rule
 * against the events stored so far (as the engine will). */
static void ingest(const struct raas_json *lines, int64_t received, struct stored *store,
                   size_t *nstore, struct outcome *o)
{
	memset(o, 0, sizeof *o);
	for (uint32_t i = 0; i < lines->len; i++) {
		const struct raas_json *l = &lines->u.items[i];
		struct raas_event ev;
		struct raas_err err;
		const char *id;
		size_t k;
		char *list;

		if (l->len == 0)
			continue; /* blank lines are skipped but counted */
		if (raas_event_parse(&arena, l->u.str, l->len, NULL, &ev, &id, NULL, &err) !=
		            RAAS_OK ||
		    raas_event_check_clock(&ev, received, &err) != RAAS_OK) {
			list = o->rejected;
			goto note;
		}
		for (k = 0; k < *nstore; k++)
			if (store[k].ev.id_len == ev.id_len &&
			    memcmp(store[k].ev.id, ev.id, ev.id_len) == 0 &&
			    strcmp(store[k].ev.customer, ev.customer) == 0)
				break;
		if (k == *nstore) {
			store[(*nstore)++].ev = ev;
			o->accepted++;
			continue;
		}
		if (raas_event_same_content(&store[k].ev, &ev)) {
			o->duplicates++;
			continue;
		}
		list = o->conflicts;
	note:
		snprintf(list + strlen(list), 256 - strlen(list), "%u:%s;", i + 1,
		         id ? id : "null");
	}
}

static void engine_basic_vectors(void **state)
{
	const char *dir = getenv("RAAS_SHARED_DIR");
	static char text[1 << 20];
	static struct stored store[300];
	struct raas_json *file = NULL;
	const struct raas_json *steps;
	struct raas_err err;
	struct outcome o;
	size_t n, nstore = 0;
	char path[1024];
	FILE *f;

	(void)state;
	if (!dir) {
		fprintf(stderr, "RAAS_SHARED_DIR is not set: skipping engine-basic.json\n");
		return;
	}
	snprintf(path, sizeof path, "%s/vectors/engine-basic.json", dir);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(text, 1, sizeof text, f);
	fclose(f);
	assert_int_equal(raas_json_parse(&arena, text, n, NULL, &file, &err), RAAS_OK);
	steps = raas_json_get(file, "steps");
	assert_non_null(steps);
	assert_true(steps->len > 4);

	/* step 3 at 2026-01-07T00:00:00Z: 118 accepted, lead-1 again is a duplicate, bad-1's
	 * time has a space */
	assert_string_equal(raas_json_get(&steps->u.items[3], "now")->u.str,
	                    "2026-01-07T00:00:00Z");
	ingest(raas_json_get(&steps->u.items[3], "lines"), T_0107, store, &nstore, &o);
	assert_int_equal(o.accepted, 118);
	assert_int_equal(o.duplicates, 1);
	assert_string_equal(o.rejected, "120:bad-1;");
	assert_string_equal(o.conflicts, "");

	/* step 4 at 2026-01-10T12:00:00Z: lead-1 with score 99 conflicts, lead-2 reordered
	 * with another offset and 62.0 is a duplicate, x-1 has an unknown field */
	assert_string_equal(raas_json_get(&steps->u.items[4], "now")->u.str,
	                    "2026-01-10T12:00:00Z");
	ingest(raas_json_get(&steps->u.items[4], "lines"), T_0110_12, store, &nstore, &o);
	assert_int_equal(o.accepted, 6);
	assert_int_equal(o.duplicates, 1);
	assert_string_equal(o.rejected, "10:x-1;");
	assert_string_equal(o.conflicts, "6:lead-1;");
	/* and the error texts the report will show */
	{
		const struct raas_json *lines = raas_json_get(&steps->u.items[4], "lines");
		const struct raas_json *l = &lines->u.items[9];
		reject_lim(l->u.str, l->len, NULL, "source", "unknown field", "x-1");
		lines = raas_json_get(&steps->u.items[3], "lines");
		l = &lines->u.items[119];
		reject_lim(l->u.str, l->len, NULL, "time",
		           "a space is not allowed: separate date and time with 'T'", "bad-1");
	}
}

/* ---- the fast path ---- */

/* Runs raas_event_parse_fast on text and asserts that it takes the line exactly when
 * `taken`, and that what it gives is what the full parser and leaf writer give. */
static void fast(const char *text, const struct raas_event_limits *lim, bool taken)
{
	struct raas_event quick, ev;
	struct raas_err err;
	struct raas_buf b;
	size_t len = strlen(text);
	raas_rc rc;

	raas_buf_init(&b, (size_t)1 << 20);
	assert_int_equal(raas_buf_append(&b, "<", 1), RAAS_OK);
	assert_int_equal(raas_event_parse_fast(text, len, lim, T_0107, &quick, &b), taken);
	raas_err_clear(&err);
	rc = raas_event_parse(&arena, text, len, lim, &ev, NULL, NULL, &err);
	if (!taken) {
		assert_int_equal(b.len, 1);
		assert_string_equal(b.data, "<");
	} else {
		assert_int_equal(rc, RAAS_OK);
		same_fields(&quick, &ev);
		assert_null(quick.properties);
		assert_string_equal(b.data + 1, leaf_of(&ev, T_0107));
	}
	raas_buf_free(&b);
}

static void fast_path(void **state)
{
	static const struct raas_event_limits depth4 = {0, 4}, short_lines = {100, 0};
	char num[160], many[2048];
	size_t n;

	(void)state;
	/* Taken: compact or not, fields in any order, every kind of plain value. */
	fast(typical, NULL, true);
	fast(" { \"properties\" : { \"a\" : [ 1 , { } , [ ] , \"x y\" ] , \"b\" : null } ,\r\n"
	     "\t\"time\" : \"2026-01-05T18:00:00.5+08:00\" , \"type\" : \"t\" , \"customer\" :"
	     " \"c\" , \"id\" : \"i\" }\r",
	     NULL, true);
	fast(HEAD "\"properties\":{}}", NULL, false); /* a number time: left to the parser */
	fast("{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"2026-01-01T00:00:00Z\"}",
	     NULL, true);
	fast("{\"id\":\"!#$%&'()*+,-./"
	     ":;<=>?@[]^_`{|}~\",\"customer\":\"A-Z.a_z:09\",\"type\":\"t\","
	     "\"time\":\"2026-01-01T00:00:00Z\",\"properties\":{\"note\":\"caf\xc3\xa9 "
	     "\xf0\x9f\x98\x80"
	     " / \x7f\",\"n\":[-0,0.5,7.50,-12.000,true,false,null],\"a\":{\"a\":{\"a\":1}},"
	     "\"x\":{\"k\":1},\"y\":{\"k\":2}}}",
	     NULL, true);
	/* a number of 100 bytes is taken, one of 101 left to the parser */
	n = (size_t)snprintf(num, sizeof num, "0.");
	while (n < 100)
		num[n++] = '5';
	num[n] = '\0';
	snprintf(
	        many, sizeof many,
	        "{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"2026-01-01T00:00:00Z\","
	        "\"properties\":{\"n\":%s}}",
	        num);
	fast(many, NULL, true);
	snprintf(
	        many, sizeof many,
	        "{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"2026-01-01T00:00:00Z\","
	        "\"properties\":{\"n\":%s5}}",
	        num);
	fast(many, NULL, false);
	/* nesting up to the limit is taken, beyond it left to the parser (which rejects it) */
	fast("{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"2026-01-01T00:00:00Z\","
	     "\"properties\":{\"a\":{\"b\":[]}}}",
	     &depth4, true);
	fast("{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"2026-01-01T00:00:00Z\","
	     "\"properties\":{\"a\":{\"b\":[[]]}}}",
	     &depth4, false);
	fast(typical, &short_lines, false); /* longer than the limit */
	/* times on both sides of 1970, with and without a fraction, at the ends of the years */
	fast("{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"1969-12-31T23:59:59."
	     "999999Z\"}",
	     NULL, true);
	fast("{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"0000-01-01T00:00:00Z\"}",
	     NULL, true);
	fast("{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"0001-02-03T04:05:06."
	     "000007Z\"}",
	     NULL, true);
	fast("{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"9999-12-31T23:59:59.5-00:"
	     "30\"}",
	     NULL, false); /* beyond the years once in UTC */
	fast("{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"9999-12-31T12:00:00+01:"
	     "00\"}",
	     NULL, true);

	/* Left to the parser: escapes, control characters, exponents, number times, unknown,
	 * repeated and missing fields, invalid UTF-8, bad numbers, anything after the object. */
	fast("{\"id\":\"a\\u0041\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"2026-01-01T00:00:"
	     "00Z\"}",
	     NULL, false);
	fast("{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"2026-01-01T00:00:00Z\","
	     "\"properties\":{\"q\":\"\\\"\"}}",
	     NULL, false);
	fast("{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"2026-01-01T00:00:00Z\","
	     "\"properties\":{\"q\":\"a\tb\"}}",
	     NULL, false);
	fast("{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"2026-01-01T00:00:00Z\","
	     "\"properties\":{\"n\":1e3}}",
	     NULL, false);
	fast("{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"2026-01-01T00:00:00Z\","
	     "\"properties\":{\"n\":01}}",
	     NULL, false);
	fast("{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"2026-01-01T00:00:00Z\","
	     "\"properties\":{\"n\":-}}",
	     NULL, false);
	fast("{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"2026-01-01T00:00:00Z\","
	     "\"properties\":{\"n\":1,}}",
	     NULL, false);
	fast("{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"2026-01-01T00:00:00Z\","
	     "\"properties\":{\"n\":1,\"n\":2}}",
	     NULL, false);
	fast("{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"2026-01-01T00:00:00Z\","
	     "\"properties\":{\"n\":\"\xc3\"}}",
	     NULL, false);
	fast("{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"2026-01-01T00:00:00Z\","
	     "\"properties\":[]}",
	     NULL, false);
	fast("{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"2026-01-01T00:00:00Z\","
	     "\"source\":\"x\"}",
	     NULL, false);
	fast("{\"id\":\"a\",\"id\":\"b\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"2026-01-"
	     "01T00:00:00Z\"}",
	     NULL, false);
	fast("{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\"}", NULL, false);
	fast("{\"id\":\"\xc3\xa9\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"2026-01-01T00:00:"
	     "00Z\"}",
	     NULL, false);
	fast("{\"id\":\"a\",\"customer\":\"c d\",\"type\":\"t\",\"time\":\"2026-01-01T00:00:00Z\"}",
	     NULL, false);
	fast("{\"id\":\"\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"2026-01-01T00:00:00Z\"}",
	     NULL, false);
	fast("{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"2026-01-01 00:00:00Z\"}",
	     NULL, false);
	fast("{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"2026-01-01T00:00:00Z\"} x",
	     NULL, false);
	fast("[{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\",\"time\":\"2026-01-01T00:00:00Z\"}]",
	     NULL, false);
	/* more than 64 keys in the properties: valid, but left to the parser */
	n = (size_t)snprintf(many, sizeof many,
	                     "{\"id\":\"a\",\"customer\":\"c\",\"type\":\"t\","
	                     "\"time\":\"2026-01-01T00:00:00Z\",\"properties\":{");
	for (int k = 0; k < 65; k++)
		n += (size_t)snprintf(many + n, sizeof many - n, "%s\"k%d\":%d", k ? "," : "", k,
		                      k);
	snprintf(many + n, sizeof many - n, "}}");
	fast(many, NULL, false);
	accept(many);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(typical_event),
	        cmocka_unit_test(fields_in_any_order_and_whitespace),
	        cmocka_unit_test(properties_absent_or_empty),
	        cmocka_unit_test(properties_kept_as_received),
	        cmocka_unit_test(trailing_carriage_return),
	        cmocka_unit_test(length_limit),
	        cmocka_unit_test(not_json),
	        cmocka_unit_test(not_an_object),
	        cmocka_unit_test(required_fields),
	        cmocka_unit_test(id_rule),
	        cmocka_unit_test(customer_and_type_rule),
	        cmocka_unit_test(time_forms),
	        cmocka_unit_test(properties_rule),
	        cmocka_unit_test(unknown_fields),
	        cmocka_unit_test(first_problem_decides),
	        cmocka_unit_test(repeated_keys),
	        cmocka_unit_test(depth_limit),
	        cmocka_unit_test(number_limit),
	        cmocka_unit_test(optional_out_parameters),
	        cmocka_unit_test(clock_rule),
	        cmocka_unit_test(same_content),
	        cmocka_unit_test(leaf_round_trip),
	        cmocka_unit_test(leaf_strict),
	        cmocka_unit_test(write_leaf_errors),
	        cmocka_unit_test(out_of_memory),
	        cmocka_unit_test(engine_basic_vectors),
	        cmocka_unit_test(fast_path),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
