/* event.h — one tracked event as events.md defines it: parsing and validating an NDJSON line
 * (or an element of a JSON array), idempotency comparison, and the canonical leaf bytes an
 * accepted event is stored as in its customer's log (docs/formats/leaves.md).
 */
#ifndef RAAS_INGEST_EVENT_H
#define RAAS_INGEST_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/json.h"
#include "raas/error.h"

#define RAAS_EVENT_MAX_BYTES (64 * 1024)                    /* default limit of one event */
#define RAAS_EVENT_MAX_DEPTH 16                             /* default nesting limit */
#define RAAS_EVENT_MAX_TEXT 128                             /* id, customer, type: 1–128 bytes */
#define RAAS_EVENT_FUTURE_US (INT64_C(24) * 3600 * 1000000) /* time ≤ received + 24 h */

struct raas_event_limits {
	size_t max_bytes;   /* default RAAS_EVENT_MAX_BYTES */
	uint32_t max_depth; /* default RAAS_EVENT_MAX_DEPTH */
};

struct raas_event {
	const char *id; /* NUL-terminated; id_len bytes */
	uint32_t id_len;
	const char *customer;
	uint32_t customer_len;
	const char *type;
	uint32_t type_len;
	int64_t time_us; /* event time, UTC microseconds */
	const struct raas_json
	        *properties; /* an object; never NULL (an empty object when absent) */
};

/* Parses one event from the len bytes at text (one NDJSON line, without its newline) into
 * *out, whose strings live in arena. limits may be NULL (the defaults). On a problem returns
 * RAAS_E_INPUT (RAAS_E_NOMEM when out of memory) with err->path the field ("time",
 * "properties.x", "" for the whole line) and a message a person can act on ("time: not an
 * RFC 3339 timestamp", "source: unknown field", "properties.x: number out of range",
 * "event longer than 65536 bytes"); *id_out is then the event's id when the text had a
 * string `id` that could be read (for the report), else NULL; *id_len_out (when not NULL)
 * is its length in bytes (an id may hold an escaped NUL, which makes it invalid but is
 * still reported as written). Does not check the 24-hour
 * rule (that needs the received time: raas_event_check_clock). */
RAAS_WUR raas_rc raas_event_parse(struct raas_arena *arena, const char *text, size_t len,
                                  const struct raas_event_limits *limits, struct raas_event *out,
                                  const char **id_out, size_t *id_len_out, struct raas_err *err);

/* The id of an event that cannot be parsed (a line too long, not JSON, or only its first
 * len bytes): the top-level "id" member's decoded string (in arena, *id_len bytes) when the
 * members before it can be walked and the string is valid JSON, else NULL. For reports. */
const char *raas_event_recover_id(struct raas_arena *arena, const char *text, size_t len,
                                  size_t *id_len);

/* The 24-hour rule: RAAS_E_INPUT ("time: more than 24 hours after the received time ...")
 * when ev->time_us > received_us + 24 h. */
RAAS_WUR raas_rc raas_event_check_clock(const struct raas_event *ev, int64_t received_us,
                                        struct raas_err *err);

/* Same content (events.md "Idempotency"): same type, same instant, properties equal as JSON
 * values. The ids and customers are not compared (the caller matched them). */
bool raas_event_same_content(const struct raas_event *a, const struct raas_event *b);

/* Appends the canonical leaf bytes of an accepted event (docs/formats/leaves.md):
 * {"kind":"event","customer":…,"id":…,"type":…,"time":…,"received":…,"properties":{…}}
 * compact, keys in that order, strings escaped minimally, times in UTC in the invoice form
 * of settlement.md, properties as received (key order and number text kept). */
RAAS_WUR raas_rc raas_event_write_leaf(struct raas_buf *b, const struct raas_event *ev,
                                       int64_t received_us);

/* raas_event_parse + raas_event_write_leaf in one pass for the common shape of an event
 * (compact or not, strings without escapes or control characters, numbers without
 * exponent, a `time` string): returns true when it took the line, with *out filled — id,
 * customer and type point into text and are not NUL-terminated, properties is NULL — and
 * the leaf bytes for received_us appended to b. Returns false, b unchanged, for any other
 * line, which raas_event_parse then reads; for a line both take, both give the same event
 * and the same leaf bytes. */
bool raas_event_parse_fast(const char *text, size_t len, const struct raas_event_limits *limits,
                           int64_t received_us, struct raas_event *out, struct raas_buf *b);

/* Parses leaf bytes written by raas_event_write_leaf back into an event and its received
 * time (strings in arena). RAAS_E_INPUT with err when the bytes are not such a leaf. */
RAAS_WUR raas_rc raas_event_parse_leaf(struct raas_arena *arena, const char *leaf, size_t len,
                                       struct raas_event *out, int64_t *received_us,
                                       struct raas_err *err);

/* Like raas_event_parse_leaf without the check that the bytes are in canonical form: for
 * leaves read back from the store's checksummed log, which wrote them. */
RAAS_WUR raas_rc raas_event_read_leaf(struct raas_arena *arena, const char *leaf, size_t len,
                                      struct raas_event *out, int64_t *received_us,
                                      struct raas_err *err);

#endif
