/* fuzz_event.c — libFuzzer target for src/ingest/event.c.
 *
 * Every input is read twice: as an event line (with the default limits and with small ones)
 * and as leaf bytes. An accepted event must satisfy the field rules, write a leaf that
 * raas_event_parse_leaf reads back into an event with the same id, customer, type, received
 * time and content, and that leaf must write again byte for byte the same. A rejected line
 * must be RAAS_E_INPUT with a message, no line/column (the report's one-string form) and, if
 * an id is reported, a NUL-terminated one. Leaf bytes that raas_event_parse_leaf accepts must
 * be exactly what raas_event_write_leaf writes for the result (one event, one leaf).
 * raas_event_parse_fast runs on every line too: when it takes one, the full parser must have
 * accepted it with the same fields and the two leaves must be the same bytes; when it does
 * not, it must have left its buffer as it was.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/json.h"
#include "ingest/event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

static int text_ok(const char *s, uint32_t len, int id)
{
	if (len < 1 || len > RAAS_EVENT_MAX_TEXT || strlen(s) != len)
		return 0;
	for (uint32_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (id ? (c < 0x21 || c > 0x7e)
		       : !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' || c == '-'))
			return 0;
	}
	return 1;
}

static void check_event(const char *text, size_t len, const struct raas_event_limits *lim,
                        int64_t received)
{
	struct raas_arena arena;
	struct raas_event ev, back, again, quick;
	struct raas_err err;
	bool fast;
	struct raas_buf leaf, leaf2;
	const char *id = (const char *)&id;
	int64_t got = 0;
	raas_rc rc;

	raas_arena_init(&arena, 0);
	raas_buf_init(&leaf, (size_t)1 << 26);
	raas_buf_init(&leaf2, (size_t)1 << 26);
	raas_err_clear(&err);
	CHECK(raas_buf_append(&leaf2, "x", 1) == RAAS_OK);
	fast = raas_event_parse_fast(text, len, lim, received, &quick, &leaf2);
	if (!fast)
		CHECK(leaf2.len == 1 && leaf2.data[1] == '\0');
	rc = raas_event_parse(&arena, text, len, lim, &ev, &id, NULL, &err);
	CHECK(!fast || rc == RAAS_OK);
	if (fast) {
		CHECK(quick.id_len == ev.id_len && memcmp(quick.id, ev.id, ev.id_len) == 0);
		CHECK(quick.customer_len == ev.customer_len &&
		      memcmp(quick.customer, ev.customer, ev.customer_len) == 0);
		CHECK(quick.type_len == ev.type_len &&
		      memcmp(quick.type, ev.type, ev.type_len) == 0);
		CHECK(quick.time_us == ev.time_us && quick.properties == NULL);
		CHECK(raas_event_write_leaf(&leaf, &ev, received) == RAAS_OK);
		CHECK(leaf2.len == leaf.len + 1 &&
		      memcmp(leaf2.data + 1, leaf.data, leaf.len) == 0);
		raas_buf_reset(&leaf);
	}
	raas_buf_reset(&leaf2);
	if (rc != RAAS_OK) {
		CHECK(rc == RAAS_E_INPUT && err.code == RAAS_E_INPUT);
		CHECK(err.message[0] != '\0');
		CHECK(err.line == 0 && err.column == 0);
		CHECK(id != (const char *)&id);
		if (id)
			CHECK(strlen(id) <= len);
		goto out;
	}
	CHECK(id == ev.id);
	CHECK(text_ok(ev.id, ev.id_len, 1));
	CHECK(text_ok(ev.customer, ev.customer_len, 0));
	CHECK(text_ok(ev.type, ev.type_len, 0));
	CHECK(ev.properties && ev.properties->type == RAAS_JSON_OBJECT);
	CHECK(raas_event_same_content(&ev, &ev));
	rc = raas_event_check_clock(&ev, received, &err);
	CHECK(rc == RAAS_OK || (rc == RAAS_E_INPUT && ev.time_us > received));

	CHECK(raas_event_write_leaf(&leaf, &ev, received) == RAAS_OK);
	rc = raas_event_parse_leaf(&arena, leaf.data, leaf.len, &back, &got, &err);
	CHECK(rc == RAAS_OK);
	CHECK(got == received);
	CHECK(back.id_len == ev.id_len && memcmp(back.id, ev.id, ev.id_len) == 0);
	CHECK(back.customer_len == ev.customer_len &&
	      memcmp(back.customer, ev.customer, ev.customer_len) == 0);
	CHECK(back.type_len == ev.type_len && memcmp(back.type, ev.type, ev.type_len) == 0);
	CHECK(back.time_us == ev.time_us);
	CHECK(raas_event_same_content(&ev, &back) && raas_event_same_content(&back, &ev));
	CHECK(raas_event_write_leaf(&leaf2, &back, got) == RAAS_OK);
	CHECK(leaf2.len == leaf.len && memcmp(leaf2.data, leaf.data, leaf.len) == 0);
	/* the leaf is itself a line that parses as... not an event: "kind" is unknown there */
	rc = raas_event_parse(&arena, leaf.data, leaf.len, NULL, &again, &id, NULL, &err);
	CHECK(rc == RAAS_E_INPUT);
out:
	raas_buf_free(&leaf);
	raas_buf_free(&leaf2);
	raas_arena_free(&arena);
}

static void check_leaf(const char *text, size_t len)
{
	struct raas_arena arena;
	struct raas_event ev;
	struct raas_err err;
	struct raas_buf b;
	int64_t received = 0;
	raas_rc rc;

	raas_arena_init(&arena, 0);
	raas_buf_init(&b, len + 16);
	raas_err_clear(&err);
	rc = raas_event_parse_leaf(&arena, text, len, &ev, &received, &err);
	if (rc != RAAS_OK) {
		CHECK(rc == RAAS_E_INPUT && err.message[0] != '\0');
	} else {
		CHECK(raas_event_write_leaf(&b, &ev, received) == RAAS_OK);
		CHECK(b.len == len && memcmp(b.data, text, len) == 0);
	}
	raas_buf_free(&b);
	raas_arena_free(&arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct raas_event_limits small = {300, 4};
	const char *text = (const char *)data;
	/* a received time taken from the input's length, so both sides of the 24-hour rule
	 * and instants with microseconds get exercised */
	int64_t received = INT64_C(1767225600000000) + (int64_t)size * INT64_C(86400000123);

	check_event(text, size, NULL, received);
	check_event(text, size, &small, received);
	check_leaf(text, size);
	return 0;
}
