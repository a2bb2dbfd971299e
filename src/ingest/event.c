/* event.c — one tracked event (events.md): the ingest path's parser and validator of an
 * NDJSON line, the idempotency comparison, and the canonical leaf bytes an accepted event is
 * stored as in its customer's evidence log (docs/formats/leaves.md), with their strict reader.
 *
 * Events arrive first (data flows events → evidence log → engine → settlement), so this runs
 * once per event at ingest speed: the line is parsed once by json.c into the caller's arena,
 * the top-level members are classified in one loop, and nothing here allocates outside the
 * arena or formats with printf unless an error is being reported.
 */
#include "ingest/event.h"

#include <string.h>

#include "base/number.h"
#include "raas/time.h"

/* Supported instants: 0000-01-01T00:00:00Z <= us < 10000-01-01T00:00:00Z (time.h). */
#define TIME_MIN_US (INT64_C(-719528) * RAAS_US_PER_DAY)
#define TIME_END_US (INT64_C(2932897) * RAAS_US_PER_DAY)

/* Leaves are read with these limits: whatever an event could hold at the default limits,
 * with room for deployments that raise max_depth (up to 64). */
#define LEAF_MAX_BYTES ((size_t)16 * 1024 * 1024)
#define LEAF_MAX_DEPTH 64

/* Byte classes for the three text fields. */
#define C_ID 1   /* id: printable ASCII without space, 0x21-0x7e */
#define C_NAME 2 /* customer, type: A-Z a-z 0-9 . _ : - */

static const unsigned char text_class[256] = {
        /* 0x21-0x2f: ! " # $ % & ' ( ) * + , - . / */
        ['!'] = C_ID,          ['"'] = C_ID,          ['#'] = C_ID,          ['$'] = C_ID,
        ['%'] = C_ID,          ['&'] = C_ID,          ['\''] = C_ID,         ['('] = C_ID,
        [')'] = C_ID,          ['*'] = C_ID,          ['+'] = C_ID,          [','] = C_ID,
        ['-'] = C_ID | C_NAME, ['.'] = C_ID | C_NAME, ['/'] = C_ID,          ['0'] = C_ID | C_NAME,
        ['1'] = C_ID | C_NAME, ['2'] = C_ID | C_NAME, ['3'] = C_ID | C_NAME, ['4'] = C_ID | C_NAME,
        ['5'] = C_ID | C_NAME, ['6'] = C_ID | C_NAME, ['7'] = C_ID | C_NAME, ['8'] = C_ID | C_NAME,
        ['9'] = C_ID | C_NAME, [':'] = C_ID | C_NAME, [';'] = C_ID,          ['<'] = C_ID,
        ['='] = C_ID,          ['>'] = C_ID,          ['?'] = C_ID,          ['@'] = C_ID,
        ['A'] = C_ID | C_NAME, ['B'] = C_ID | C_NAME, ['C'] = C_ID | C_NAME, ['D'] = C_ID | C_NAME,
        ['E'] = C_ID | C_NAME, ['F'] = C_ID | C_NAME, ['G'] = C_ID | C_NAME, ['H'] = C_ID | C_NAME,
        ['I'] = C_ID | C_NAME, ['J'] = C_ID | C_NAME, ['K'] = C_ID | C_NAME, ['L'] = C_ID | C_NAME,
        ['M'] = C_ID | C_NAME, ['N'] = C_ID | C_NAME, ['O'] = C_ID | C_NAME, ['P'] = C_ID | C_NAME,
        ['Q'] = C_ID | C_NAME, ['R'] = C_ID | C_NAME, ['S'] = C_ID | C_NAME, ['T'] = C_ID | C_NAME,
        ['U'] = C_ID | C_NAME, ['V'] = C_ID | C_NAME, ['W'] = C_ID | C_NAME, ['X'] = C_ID | C_NAME,
        ['Y'] = C_ID | C_NAME, ['Z'] = C_ID | C_NAME, ['['] = C_ID,          ['\\'] = C_ID,
        [']'] = C_ID,          ['^'] = C_ID,          ['_'] = C_ID | C_NAME, ['`'] = C_ID,
        ['a'] = C_ID | C_NAME, ['b'] = C_ID | C_NAME, ['c'] = C_ID | C_NAME, ['d'] = C_ID | C_NAME,
        ['e'] = C_ID | C_NAME, ['f'] = C_ID | C_NAME, ['g'] = C_ID | C_NAME, ['h'] = C_ID | C_NAME,
        ['i'] = C_ID | C_NAME, ['j'] = C_ID | C_NAME, ['k'] = C_ID | C_NAME, ['l'] = C_ID | C_NAME,
        ['m'] = C_ID | C_NAME, ['n'] = C_ID | C_NAME, ['o'] = C_ID | C_NAME, ['p'] = C_ID | C_NAME,
        ['q'] = C_ID | C_NAME, ['r'] = C_ID | C_NAME, ['s'] = C_ID | C_NAME, ['t'] = C_ID | C_NAME,
        ['u'] = C_ID | C_NAME, ['v'] = C_ID | C_NAME, ['w'] = C_ID | C_NAME, ['x'] = C_ID | C_NAME,
        ['y'] = C_ID | C_NAME, ['z'] = C_ID | C_NAME, ['{'] = C_ID,          ['|'] = C_ID,
        ['}'] = C_ID,          ['~'] = C_ID,
};

/* properties when the event has none: an empty object that lives forever. */
static const struct raas_json empty_properties = {RAAS_JSON_OBJECT, 0, 0, 0, {NULL}};

/* ---- field checks (shared by the line parser and the leaf reader) ---- */

/* Checks that v is a string of 1-RAAS_EVENT_MAX_TEXT bytes of class cls; on success points
 * *s / *len at it (borrowed from the tree). field is the error path. */
static raas_rc check_text(const struct raas_json *v, unsigned cls, const char *field,
                          const char **s, uint32_t *len, struct raas_err *err)
{
	const char *rule =
	        cls == C_ID ? "printable ASCII without spaces" : "only A-Z a-z 0-9 . _ : -";
	const unsigned char *p;

	if (v->type != RAAS_JSON_STRING)
		return raas_err_set(err, RAAS_E_INPUT, field, "must be a string");
	if (v->len == 0 || v->len > RAAS_EVENT_MAX_TEXT)
		return raas_err_set(err, RAAS_E_INPUT, field,
		                    "must be 1 to %d bytes long (it is %u)", RAAS_EVENT_MAX_TEXT,
		                    v->len);
	p = (const unsigned char *)v->u.str;
	for (uint32_t i = 0; i < v->len; i++) {
		unsigned char c = p[i];

		if (text_class[c] & cls)
			continue;
		if (c >= 0x20 && c < 0x7f)
			return raas_err_set(err, RAAS_E_INPUT, field,
			                    "'%c' at position %u is not allowed (%s)", c, i + 1,
			                    rule);
		return raas_err_set(err, RAAS_E_INPUT, field,
		                    "byte 0x%02x at position %u is not allowed (%s)", c, i + 1,
		                    rule);
	}
	*s = v->u.str;
	*len = v->len;
	return RAAS_OK;
}

/* Reads the `time` value: an RFC 3339 string or a JSON integer of Unix seconds, giving an
 * instant inside the supported years (so that its leaf form reads back). */
static raas_rc check_time(const struct raas_json *v, int64_t *us, struct raas_err *err)
{
	if (v->type == RAAS_JSON_STRING) {
		if (raas_time_parse(v->u.str, v->len, us, err) != RAAS_OK) {
			memcpy(err->path, "time", 5);
			err->line = 0;
			err->column = 0;
			return RAAS_E_INPUT;
		}
		if (*us < TIME_MIN_US || *us >= TIME_END_US)
			return raas_err_set(err, RAAS_E_INPUT, "time",
			                    "outside the years 0000-9999 once converted to UTC");
		return RAAS_OK;
	}
	if (v->type == RAAS_JSON_NUMBER) {
		const char *s = v->u.str;
		uint32_t i = s[0] == '-', n = v->len;
		int64_t secs = 0;

		for (uint32_t k = i; k < n; k++)
			if (s[k] < '0' || s[k] > '9')
				return raas_err_set(
				        err, RAAS_E_INPUT, "time",
				        "Unix seconds must be an integer (no fraction or "
				        "exponent)");
		/* JSON integers have no leading zeros: 18 digits always fit in int64. */
		if (n - i > 18)
			return raas_err_set(err, RAAS_E_INPUT, "time",
			                    "Unix time %s is outside the years 0000-9999", s);
		for (uint32_t k = i; k < n; k++)
			secs = secs * 10 + (s[k] - '0');
		if (i)
			secs = -secs;
		if (raas_time_from_unix(secs, us, err) != RAAS_OK) {
			memcpy(err->path, "time", 5);
			return RAAS_E_INPUT;
		}
		return RAAS_OK;
	}
	return raas_err_set(err, RAAS_E_INPUT, "time",
	                    "must be an RFC 3339 timestamp string or an integer of Unix seconds");
}

/* ---- the reported id when the line is not valid JSON ---- */

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/* p is at '"': returns the byte after the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '"')
			return p + 1;
		if (*p == '\\' && ++p == end)
			return NULL;
	}
	return NULL;
}

/* Skips one value tolerantly (brackets are counted, not matched); NULL when it ends early. */
static const char *skip_value(const char *p, const char *end)
{
	const char *start = p;
	size_t depth = 0;

	if (p < end && *p == '"')
		return skip_string(p, end);
	if (p < end && (*p == '{' || *p == '[')) {
		while (p < end) {
			if (*p == '"') {
				p = skip_string(p, end);
				if (!p)
					return NULL;
				continue;
			}
			if (*p == '{' || *p == '[')
				depth++;
			else if ((*p == '}' || *p == ']') && --depth == 0)
				return p + 1;
			p++;
		}
		return NULL;
	}
	while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' &&
	       *p != '\r' && *p != '\n')
		p++;
	return p == start ? NULL : p;
}

/* For a line the JSON parser rejected: the top-level "id" member's string, when the members
 * before it can be walked and the string itself is valid JSON; else NULL. Error path only. */
static const char *recover_id(struct raas_arena *arena, const char *text, size_t len,
                              size_t *id_len)
{
	return raas_event_recover_id(arena, text, len, id_len);
}

const char *raas_event_recover_id(struct raas_arena *arena, const char *text, size_t len,
                                  size_t *id_len)
{
	const char *p = text, *end = text + len;

	p = skip_ws(p, end);
	if (p == end || *p != '{')
		return NULL;
	p++;
	for (;;) {
		const char *key, *key_end, *val_end;
		int is_id;

		p = skip_ws(p, end);
		if (p == end || *p != '"')
			return NULL;
		key = p;
		key_end = skip_string(p, end);
		if (!key_end)
			return NULL;
		is_id = key_end - key == 4 && memcmp(key, "\"id\"", 4) == 0;
		p = skip_ws(key_end, end);
		if (p == end || *p != ':')
			return NULL;
		p = skip_ws(p + 1, end);
		if (is_id) {
			struct raas_json *v;
			struct raas_err e;

			if (p == end || *p != '"')
				return NULL;
			val_end = skip_string(p, end);
			if (!val_end || raas_json_parse(arena, p, (size_t)(val_end - p), NULL, &v,
			                                &e) != RAAS_OK)
				return NULL;
			*id_len = v->len;
			return v->u.str;
		}
		p = skip_value(p, end);
		if (!p)
			return NULL;
		p = skip_ws(p, end);
		if (p == end || *p != ',')
			return NULL;
		p++;
	}
}

/* Turns a JSON parser error into the one-string form of the ingest report: a whole-line
 * error (empty path) gets its position folded into the message ("column 17: expected ','
 * or '}'"); an error inside a field keeps its path ("properties.x: number out of range").
 * line and column are cleared so that raas_err_format gives exactly that string. */
static void fold_position(struct raas_err *err)
{
	char msg[RAAS_ERR_MESSAGE_MAX];
	uint32_t line = err->line, column = err->column;

	if (!err->path[0] && column) {
		memcpy(msg, err->message, sizeof msg);
		msg[sizeof msg - 1] = '\0';
		if (line > 1)
			raas_err_set(err, err->code, NULL, "line %u, column %u: %s", line, column,
			             msg);
		else
			raas_err_set(err, err->code, NULL, "column %u: %s", column, msg);
	}
	err->line = 0;
	err->column = 0;
}

/* ---- parsing a line ---- */

enum field { F_ID, F_CUSTOMER, F_TYPE, F_TIME, F_PROPERTIES, F_UNKNOWN };

static enum field classify(const char *k, uint32_t n)
{
	switch (n) {
	case 2:
		return memcmp(k, "id", 2) == 0 ? F_ID : F_UNKNOWN;
	case 4:
		if (memcmp(k, "type", 4) == 0)
			return F_TYPE;
		return memcmp(k, "time", 4) == 0 ? F_TIME : F_UNKNOWN;
	case 8:
		return memcmp(k, "customer", 8) == 0 ? F_CUSTOMER : F_UNKNOWN;
	case 10:
		return memcmp(k, "properties", 10) == 0 ? F_PROPERTIES : F_UNKNOWN;
	default:
		return F_UNKNOWN;
	}
}

static raas_rc unknown_field(const struct raas_json_member *m, struct raas_err *err)
{
	char path[RAAS_ERR_PATH_MAX];

	if (m->key_len == 0)
		return raas_err_set(err, RAAS_E_INPUT, NULL, "unknown field \"\" (an empty key)");
	raas_escape(path, sizeof path, m->key, m->key_len, 200);
	return raas_err_set(err, RAAS_E_INPUT, path, "unknown field");
}

/* Checks one top-level member and stores it in *ev. */
static raas_rc check_member(const struct raas_json_member *m, enum field f, struct raas_event *ev,
                            struct raas_err *err)
{
	switch (f) {
	case F_ID:
		return check_text(&m->value, C_ID, "id", &ev->id, &ev->id_len, err);
	case F_CUSTOMER:
		return check_text(&m->value, C_NAME, "customer", &ev->customer, &ev->customer_len,
		                  err);
	case F_TYPE:
		return check_text(&m->value, C_NAME, "type", &ev->type, &ev->type_len, err);
	case F_TIME:
		return check_time(&m->value, &ev->time_us, err);
	case F_PROPERTIES:
		if (m->value.type != RAAS_JSON_OBJECT)
			return raas_err_set(err, RAAS_E_INPUT, "properties", "must be an object");
		ev->properties = &m->value;
		return RAAS_OK;
	case F_UNKNOWN:
		break;
	}
	return unknown_field(m, err);
}

/* One loop over the members in document order: the first problem decides the message, but
 * the loop goes on far enough to find a string `id` for the report (and a line that is not
 * JSON is scanned for one by recover_id). Details the header leaves open: a zero field in
 * limits means its default; a trailing '\r' is not counted against max_bytes; max_depth
 * counts the event object as level 1, so properties may nest max_depth - 1 levels including
 * itself; errors never carry line/column, raas_err_format(err) is the report's string. */
raas_rc raas_event_parse(struct raas_arena *arena, const char *text, size_t len,
                         const struct raas_event_limits *limits, struct raas_event *out,
                         const char **id_out, size_t *id_len_out, struct raas_err *err)
{
	struct raas_json_limits jl;
	struct raas_json *root = NULL;
	struct raas_event ev;
	const struct raas_json *id_value = NULL;
	unsigned seen = 0;
	size_t max_bytes = limits && limits->max_bytes ? limits->max_bytes : RAAS_EVENT_MAX_BYTES;
	size_t counted = len;
	struct raas_err local;
	size_t id_len = 0;
	raas_rc rc = RAAS_OK;

	if (!err)
		err = &local;
	if (!text)
		text = ""; /* len is 0 then */
	if (id_len_out)
		*id_len_out = 0;
	memset(out, 0, sizeof *out);
	memset(&ev, 0, sizeof ev);
	if (id_out)
		*id_out = NULL;
	/* A CRLF line's '\r' is not counted, so CRLF and LF files take the same events. */
	if (counted > 0 && text[counted - 1] == '\r')
		counted--;
	if (counted > max_bytes) {
		if (id_out) {
			/* From the first max_bytes + 1 bytes only, as for a line too long to be
			 * read whole (ingest.c): the same line gets the same report either way. */
			*id_out = recover_id(arena, text, max_bytes + 1, &id_len);
			if (id_len_out)
				*id_len_out = *id_out ? id_len : 0;
		}
		return raas_err_set(err, RAAS_E_INPUT, NULL, "event longer than %zu bytes",
		                    max_bytes);
	}
	jl.max_bytes = 0;
	jl.max_depth = limits && limits->max_depth ? limits->max_depth : RAAS_EVENT_MAX_DEPTH;
	jl.max_number_plain = RAAS_NUM_MAX_PLAIN;
	rc = raas_json_parse(arena, text, len, &jl, &root, err);
	if (rc != RAAS_OK) {
		if (rc == RAAS_E_INPUT) {
			fold_position(err);
			if (id_out) {
				*id_out = recover_id(arena, text, len, &id_len);
				if (id_len_out)
					*id_len_out = *id_out ? id_len : 0;
			}
		}
		return rc;
	}
	if (root->type != RAAS_JSON_OBJECT)
		return raas_err_set(err, RAAS_E_INPUT, NULL, "an event must be a JSON object");

	ev.properties = &empty_properties;
	for (uint32_t i = 0; i < root->len; i++) {
		const struct raas_json_member *m = &root->u.members[i];
		enum field f = classify(m->key, m->key_len);

		if (f == F_ID)
			id_value = &m->value;
		if (rc == RAAS_OK) {
			rc = check_member(m, f, &ev, err);
			seen |= 1u << f;
		} else if (id_value) {
			break; /* the message is decided and the id is found */
		}
	}
	if (id_out && id_value && id_value->type == RAAS_JSON_STRING) {
		*id_out = id_value->u.str;
		id_len = id_value->len;
	}
	if (id_len_out)
		*id_len_out = id_out && *id_out ? id_len : 0;
	if (rc != RAAS_OK)
		return rc;
	if (!(seen & (1u << F_ID)))
		return raas_err_set(err, RAAS_E_INPUT, "id", "required field is missing");
	if (!(seen & (1u << F_CUSTOMER)))
		return raas_err_set(err, RAAS_E_INPUT, "customer", "required field is missing");
	if (!(seen & (1u << F_TYPE)))
		return raas_err_set(err, RAAS_E_INPUT, "type", "required field is missing");
	if (!(seen & (1u << F_TIME)))
		return raas_err_set(err, RAAS_E_INPUT, "time", "required field is missing");
	*out = ev;
	return RAAS_OK;
}

/* ---- the 24-hour rule and idempotency ---- */

raas_rc raas_event_check_clock(const struct raas_event *ev, int64_t received_us,
                               struct raas_err *err)
{
	char when[RAAS_TIME_FORMAT_MAX];

	/* received_us + 24 h would overflow only for instants no event can be after. */
	if (received_us > INT64_MAX - RAAS_EVENT_FUTURE_US ||
	    ev->time_us <= received_us + RAAS_EVENT_FUTURE_US)
		return RAAS_OK;
	raas_time_format(received_us, 0, when);
	return raas_err_set(err, RAAS_E_INPUT, "time",
	                    "more than 24 hours after the received time (received %s)", when);
}

bool raas_event_same_content(const struct raas_event *a, const struct raas_event *b)
{
	return a->type_len == b->type_len && memcmp(a->type, b->type, a->type_len) == 0 &&
	       a->time_us == b->time_us && raas_json_equal(a->properties, b->properties);
}

/* ---- leaf bytes ---- */

/* Writes `"<time>"` in the leaf form (UTC, settlement.md's invoice form) at p and returns its
 * length. Leaves are written at ingest speed and a file's events mostly share a few days:
 * the date part is formatted once per day and thread, the time of day by hand. */
static size_t put_time(char *p, int64_t us)
{
	static _Thread_local struct {
		int64_t day;
		char text[16]; /* "YYYY-MM-DDT": years are 0000-9999 */
	} date = {INT64_MIN, ""};
	int64_t day = us / RAAS_US_PER_DAY, rem = us % RAAS_US_PER_DAY;
	unsigned sec, micro;
	char *o = p;

	if (rem < 0) {
		rem += RAAS_US_PER_DAY;
		day--;
	}
	if (day != date.day) {
		char t[RAAS_TIME_FORMAT_MAX];
		raas_time_format(day * RAAS_US_PER_DAY, 0, t);
		memcpy(date.text, t, 11);
		date.day = day;
	}
	sec = (unsigned)(rem / 1000000);
	micro = (unsigned)(rem % 1000000);
	*o++ = '"';
	memcpy(o, date.text, 11);
	o += 11;
	*o++ = (char)('0' + sec / 36000);
	*o++ = (char)('0' + sec / 3600 % 10);
	*o++ = ':';
	*o++ = (char)('0' + sec / 600 % 6);
	*o++ = (char)('0' + sec / 60 % 10);
	*o++ = ':';
	*o++ = (char)('0' + sec % 60 / 10);
	*o++ = (char)('0' + sec % 10);
	if (micro) {
		*o++ = '.';
		for (unsigned div = 100000; div; div /= 10)
			*o++ = (char)('0' + micro / div % 10);
	}
	*o++ = 'Z';
	*o++ = '"';
	return (size_t)(o - p);
}

#define K_HEAD "{\"kind\":\"event\",\"customer\":"
#define K_ID ",\"id\":"
#define K_TYPE ",\"type\":"
#define K_TIME ",\"time\":"
#define K_RECEIVED ",\"received\":"
#define K_PROPERTIES ",\"properties\":"
#define LIT(p, k) (memcpy((p), k, sizeof k - 1), sizeof k - 1)

/* Everything before the properties value. (Building the three strings on the stack too was
 * measured: no faster, the time goes into raas_json_write's appends for the properties.) */
static raas_rc write_head(struct raas_buf *b, const struct raas_event *ev, int64_t received_us)
{
	char tail[sizeof K_TIME + sizeof K_RECEIVED + sizeof K_PROPERTIES +
	          2 * (RAAS_TIME_FORMAT_MAX + 2)];
	size_t n = 0;
	raas_rc rc;

	rc = raas_buf_append(b, K_HEAD, sizeof K_HEAD - 1);
	if (rc == RAAS_OK)
		rc = raas_json_write_string(b, ev->customer, ev->customer_len);
	if (rc == RAAS_OK)
		rc = raas_buf_append(b, K_ID, sizeof K_ID - 1);
	if (rc == RAAS_OK)
		rc = raas_json_write_string(b, ev->id, ev->id_len);
	if (rc == RAAS_OK)
		rc = raas_buf_append(b, K_TYPE, sizeof K_TYPE - 1);
	if (rc == RAAS_OK)
		rc = raas_json_write_string(b, ev->type, ev->type_len);
	if (rc)
		return rc;
	n += LIT(tail + n, K_TIME);
	n += put_time(tail + n, ev->time_us);
	n += LIT(tail + n, K_RECEIVED);
	n += put_time(tail + n, received_us);
	n += LIT(tail + n, K_PROPERTIES);
	return raas_buf_append(b, tail, n);
}

raas_rc raas_event_write_leaf(struct raas_buf *b, const struct raas_event *ev, int64_t received_us)
{
	size_t start = b->len;
	raas_rc rc;

	if (ev->time_us < TIME_MIN_US || ev->time_us >= TIME_END_US || received_us < TIME_MIN_US ||
	    received_us >= TIME_END_US)
		return RAAS_E_INPUT;
	rc = write_head(b, ev, received_us);
	if (rc == RAAS_OK)
		rc = raas_json_write(b, ev->properties);
	if (rc == RAAS_OK)
		rc = raas_buf_putc(b, '}');
	if (rc && b->data) {
		/* Leave the buffer as it was, never with half a leaf. */
		b->len = start;
		b->data[start] = '\0';
	}
	return rc;
}

/* Compares leaf bytes with what the writer produces for a tree, without writing it: the
 * cursor moves over bytes that match and stops (ok = false) at the first that does not. */
struct canon {
	const char *p, *end;
};

static bool canon_lit(struct canon *c, const char *s, size_t n)
{
	size_t have = (size_t)(c->end - c->p);

	if (have >= n && memcmp(c->p, s, n) == 0) {
		c->p += n;
		return true;
	}
	/* Stop at the first byte that differs, for the error message. */
	for (size_t i = 0; i < n && i < have && c->p[0] == s[i]; i++)
		c->p++;
	return false;
}

static bool canon_char(struct canon *c, char ch)
{
	if (c->p == c->end || *c->p != ch)
		return false;
	c->p++;
	return true;
}

/* The string s as raas_json_write_string escapes it (minimal escaping, settlement.md). One
 * byte-by-byte loop: the strings are short, and calls per run cost more than they save. */
static bool canon_string(struct canon *c, const char *s, size_t len)
{
	const char *p = c->p, *end = c->end;
	bool ok = false;

	if (p == end || *p != '"')
		goto out;
	p++;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		char esc[6];
		size_t n;

		if (ch >= 0x20 && ch != '"' && ch != '\\') {
			if (p == end || *p != (char)ch)
				goto out;
			p++;
			continue;
		}
		n = raas_json_escape(ch, esc);
		for (size_t k = 0; k < n; k++, p++)
			if (p == end || *p != esc[k])
				goto out;
	}
	if (p == end || *p != '"')
		goto out;
	p++;
	ok = true;
out:
	c->p = p;
	return ok;
}

/* The value as raas_json_write writes it. Recursion depth is bounded by LEAF_MAX_DEPTH. */
static bool canon_value(struct canon *c, const struct raas_json *v)
{
	switch (v->type) {
	case RAAS_JSON_NULL:
		return canon_lit(c, "null", 4);
	case RAAS_JSON_FALSE:
		return canon_lit(c, "false", 5);
	case RAAS_JSON_TRUE:
		return canon_lit(c, "true", 4);
	case RAAS_JSON_NUMBER:
		return canon_lit(c, v->u.str, v->len);
	case RAAS_JSON_STRING:
		return canon_string(c, v->u.str, v->len);
	case RAAS_JSON_ARRAY:
		if (!canon_char(c, '['))
			return false;
		for (uint32_t i = 0; i < v->len; i++)
			if ((i && !canon_char(c, ',')) || !canon_value(c, &v->u.items[i]))
				return false;
		return canon_char(c, ']');
	case RAAS_JSON_OBJECT:
		if (!canon_char(c, '{'))
			return false;
		for (uint32_t i = 0; i < v->len; i++) {
			const struct raas_json_member *m = &v->u.members[i];
			if ((i && !canon_char(c, ',')) || !canon_string(c, m->key, m->key_len) ||
			    !canon_char(c, ':') || !canon_value(c, &m->value))
				return false;
		}
		return canon_char(c, '}');
	}
	return false;
}

/* A leaf time: a string in exactly the form raas_time_format(us, 0) writes. */
static raas_rc leaf_time(const struct raas_json *v, const char *field, int64_t *us,
                         struct raas_err *err)
{
	char canon[RAAS_TIME_FORMAT_MAX];

	if (v->type != RAAS_JSON_STRING || raas_time_parse(v->u.str, v->len, us, err) != RAAS_OK ||
	    *us < TIME_MIN_US || *us >= TIME_END_US || raas_time_format(*us, 0, canon) != v->len ||
	    memcmp(canon, v->u.str, v->len) != 0)
		return raas_err_set(err, RAAS_E_INPUT, field,
		                    "not a leaf timestamp (UTC, YYYY-MM-DDTHH:MM:SS[.ffffff]Z)");
	return RAAS_OK;
}

/* Strict: the keys in their order, each value valid as raas_event_parse would accept it, and
 * the bytes exactly those raas_event_write_leaf writes for the result (so one event has one
 * leaf, and a leaf that was re-encoded in any way is refused). */
static raas_rc parse_leaf(struct raas_arena *arena, const char *leaf, size_t len,
                          struct raas_event *out, int64_t *received_us, bool strict,
                          struct raas_err *err)
{
	static const char *const keys[] = {"kind", "customer", "id",        "type",
	                                   "time", "received", "properties"};
	static const struct raas_json_limits jl = {LEAF_MAX_BYTES, LEAF_MAX_DEPTH,
	                                           RAAS_NUM_MAX_PLAIN};
	struct raas_json *root = NULL;
	const struct raas_json_member *m;
	struct raas_event ev;
	struct canon c;
	struct raas_err local;
	int64_t received;
	raas_rc rc;

	if (!err)
		err = &local;
	memset(out, 0, sizeof *out);
	memset(&ev, 0, sizeof ev);
	rc = raas_json_parse(arena, leaf, len, &jl, &root, err);
	if (rc)
		return rc;
	if (root->type != RAAS_JSON_OBJECT)
		return raas_err_set(err, RAAS_E_INPUT, NULL, "an event leaf must be a JSON object");
	m = root->u.members;
	for (uint32_t i = 0; i < 7; i++) {
		size_t klen = strlen(keys[i]);

		if (i >= root->len || m[i].key_len != klen || memcmp(m[i].key, keys[i], klen) != 0)
			return raas_err_set(err, RAAS_E_INPUT, NULL,
			                    "member %u of an event leaf must be \"%s\"", i + 1,
			                    keys[i]);
	}
	if (root->len != 7)
		return raas_err_set(err, RAAS_E_INPUT, NULL,
		                    "unexpected member after \"properties\" (an event leaf has 7)");
	if (m[0].value.type != RAAS_JSON_STRING || m[0].value.len != 5 ||
	    memcmp(m[0].value.u.str, "event", 5) != 0)
		return raas_err_set(err, RAAS_E_INPUT, "kind", "must be \"event\"");
	rc = check_text(&m[1].value, C_NAME, "customer", &ev.customer, &ev.customer_len, err);
	if (rc == RAAS_OK)
		rc = check_text(&m[2].value, C_ID, "id", &ev.id, &ev.id_len, err);
	if (rc == RAAS_OK)
		rc = check_text(&m[3].value, C_NAME, "type", &ev.type, &ev.type_len, err);
	if (rc == RAAS_OK)
		rc = leaf_time(&m[4].value, "time", &ev.time_us, err);
	if (rc == RAAS_OK)
		rc = leaf_time(&m[5].value, "received", &received, err);
	if (rc)
		return rc;
	if (m[6].value.type != RAAS_JSON_OBJECT)
		return raas_err_set(err, RAAS_E_INPUT, "properties", "must be an object");
	ev.properties = &m[6].value;

	c.p = leaf;
	c.end = leaf + len;
	if (strict &&
	    (!canon_lit(&c, K_HEAD, sizeof K_HEAD - 1) ||
	     !canon_string(&c, ev.customer, ev.customer_len) ||
	     !canon_lit(&c, K_ID, sizeof K_ID - 1) || !canon_string(&c, ev.id, ev.id_len) ||
	     !canon_lit(&c, K_TYPE, sizeof K_TYPE - 1) || !canon_string(&c, ev.type, ev.type_len) ||
	     !canon_lit(&c, K_TIME, sizeof K_TIME - 1) ||
	     !canon_string(&c, m[4].value.u.str, m[4].value.len) ||
	     !canon_lit(&c, K_RECEIVED, sizeof K_RECEIVED - 1) ||
	     !canon_string(&c, m[5].value.u.str, m[5].value.len) ||
	     !canon_lit(&c, K_PROPERTIES, sizeof K_PROPERTIES - 1) ||
	     !canon_value(&c, ev.properties) || !canon_char(&c, '}') || c.p != c.end))
		return raas_err_set(err, RAAS_E_INPUT, NULL,
		                    "not in canonical leaf form from byte %zu on (compact, keys "
		                    "in order, minimal escaping)",
		                    (size_t)(c.p - leaf) + 1);
	*out = ev;
	*received_us = received;
	return RAAS_OK;
}

raas_rc raas_event_parse_leaf(struct raas_arena *arena, const char *leaf, size_t len,
                              struct raas_event *out, int64_t *received_us, struct raas_err *err)
{
	return parse_leaf(arena, leaf, len, out, received_us, true, err);
}

raas_rc raas_event_read_leaf(struct raas_arena *arena, const char *leaf, size_t len,
                             struct raas_event *out, int64_t *received_us, struct raas_err *err)
{
	return parse_leaf(arena, leaf, len, out, received_us, false, err);
}

/* ---- the fast path: parsing and leaf writing in one pass ----
 *
 * Most events are compact JSON with plain strings. For them raas_event_parse_fast does the
 * work of raas_event_parse + raas_event_write_leaf in one pass over the bytes, with no
 * parse tree: the text fields and the properties are copied as they are, since a string
 * without escapes or control characters is already in its minimal form. It takes a line
 * only when the full parser would accept it and write the same leaf; everything else — an
 * escape, a control character, a number with an exponent or longer than FAST_NUMBER bytes,
 * more than FAST_KEYS keys in the properties, a `time` given as a number, an unknown,
 * repeated or missing field, nesting beyond the limit, any error — is left to the full
 * parser, which then gives the answer and the message (tests/unit/test_event_fast.c runs
 * both on every line and compares). */

#define FAST_KEYS 64    /* keys of the properties, all levels, for the repeated-key check */
#define FAST_NUMBER 100 /* longest number taken: its plain form is at most 128 bytes */
#define FAST_LEVELS 64  /* containers open at once, properties included */

struct fast {
	const unsigned char *p, *end;
	bool ws; /* whitespace was skipped inside the properties */
};

static int fast_peek(const struct fast *f)
{
	return f->p < f->end ? *f->p : -1;
}

static void fast_ws_skip(struct fast *f)
{
	const unsigned char *p = f->p;

	while (p < f->end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	if (p != f->p)
		f->ws = true;
	f->p = p;
}

static inline void fast_ws(struct fast *f)
{
	if (f->p < f->end && *f->p <= ' ')
		fast_ws_skip(f); /* (compact JSON has none) */
}

/* The string at f->p (its opening quote): its bytes between the quotes in *s, *n. */
static bool fast_string(struct fast *f, const unsigned char **s, size_t *n)
{
	const unsigned char *p = f->p + 1, *end = f->end;

	*s = p;
	while (p < end) {
		unsigned char c;
		/* Eight bytes at a time up to the first that is '"', '\\', below 0x20 or above
		 * 0x7f (a borrow in these subtractions only ever marks bytes after a marked one,
		 * so the lowest mark is exact; the bytes are read little-endian). */
		while (end - p >= 8) {
			uint64_t w, q, b, m;
			memcpy(&w, p, 8);
			q = w ^ UINT64_C(0x2222222222222222);
			b = w ^ UINT64_C(0x5c5c5c5c5c5c5c5c);
			m = ((q - UINT64_C(0x0101010101010101)) & ~q) |
			    ((b - UINT64_C(0x0101010101010101)) & ~b) |
			    (w - UINT64_C(0x2020202020202020)) | w;
			m &= UINT64_C(0x8080808080808080);
			if (m) {
				p += (unsigned)__builtin_ctzll(m) >> 3;
				break;
			}
			p += 8;
		}
		if (p == end)
			break;
		c = *p;
		if (c == '"') {
			*n = (size_t)(p - *s);
			f->p = p + 1;
			return true;
		}
		if (c < 0x20 || c == '\\')
			return false;
		if (c < 0x80) {
			p++;
		} else {
			size_t k = raas_utf8_sequence(p, end);
			if (!k)
				return false;
			p += k;
		}
	}
	return false;
}

static bool fast_digits(struct fast *f)
{
	const unsigned char *p = f->p;

	while (p < f->end && *p >= '0' && *p <= '9')
		p++;
	if (p == f->p)
		return false;
	f->p = p;
	return true;
}

/* A number without exponent: -?(0|[1-9][0-9]*)(.[0-9]+)? (what may follow it is checked by
 * the caller: only whitespace, ',' or a closing bracket). */
static bool fast_number(struct fast *f)
{
	const unsigned char *s = f->p;

	if (fast_peek(f) == '-')
		f->p++;
	if (fast_peek(f) == '0')
		f->p++;
	else if (fast_peek(f) < '1' || fast_peek(f) > '9' || !fast_digits(f))
		return false;
	if (fast_peek(f) == '.') {
		f->p++;
		if (!fast_digits(f))
			return false;
	}
	return f->p - s <= FAST_NUMBER && fast_peek(f) != 'e' && fast_peek(f) != 'E';
}

static bool fast_literal(struct fast *f, const char *lit, size_t n)
{
	if ((size_t)(f->end - f->p) < n || memcmp(f->p, lit, n) != 0)
		return false;
	f->p += n;
	return true;
}

/* The properties object at f->p (its '{'), which is at nesting level 2; max_depth as in
 * raas_event_parse. */
static bool fast_properties(struct fast *f, uint32_t max_depth)
{
	struct {
		const unsigned char *s;
		size_t n;
	} keys[FAST_KEYS];
	size_t nkeys = 0, key_base[FAST_LEVELS];
	bool is_object[FAST_LEVELS];
	size_t top = 0; /* levels open, properties being the first */
	bool first = true;

	if (max_depth < 2)
		return false;
	f->p++;
	is_object[0] = true;
	key_base[0] = 0;
	top = 1;
	for (;;) {
		const unsigned char *s;
		size_t n;
		int c;

		/* At a member (object) or an element (array), or a bracket closing an empty one. */
		fast_ws(f);
		c = fast_peek(f);
		if (!(first && c == (is_object[top - 1] ? '}' : ']'))) {
			if (is_object[top - 1]) {
				if (c != '"' || !fast_string(f, &s, &n) || nkeys == FAST_KEYS)
					return false;
				for (size_t k = key_base[top - 1]; k < nkeys; k++)
					if (keys[k].n == n && memcmp(keys[k].s, s, n) == 0)
						return false;
				keys[nkeys].s = s;
				keys[nkeys++].n = n;
				fast_ws(f);
				if (fast_peek(f) != ':')
					return false;
				f->p++;
				fast_ws(f);
				c = fast_peek(f);
			}
			if (c == '{' || c == '[') {
				/* The event object is level 1, properties level 2. */
				if (top + 2 > max_depth || top == FAST_LEVELS)
					return false;
				is_object[top] = c == '{';
				key_base[top] = nkeys;
				top++;
				f->p++;
				first = true;
				continue;
			}
			if (c == '"'   ? !fast_string(f, &s, &n)
			    : c == 't' ? !fast_literal(f, "true", 4)
			    : c == 'f' ? !fast_literal(f, "false", 5)
			    : c == 'n' ? !fast_literal(f, "null", 4)
			               : !fast_number(f))
				return false;
			fast_ws(f);
			c = fast_peek(f);
		} else {
			first = false;
		}
		/* After a value: a comma, or the brackets that close here. */
		for (;;) {
			if (c == ',') {
				f->p++;
				break;
			}
			if (c != (is_object[top - 1] ? '}' : ']'))
				return false;
			f->p++;
			nkeys = key_base[top - 1];
			if (--top == 0)
				return true;
			fast_ws(f);
			c = fast_peek(f);
		}
		first = false;
	}
}

/* The text field at f->p: a string of 1-RAAS_EVENT_MAX_TEXT bytes of class cls. */
static bool fast_text(struct fast *f, unsigned cls, const char **s, uint32_t *len)
{
	const unsigned char *t;
	size_t n;

	if (fast_peek(f) != '"' || !fast_string(f, &t, &n) || n == 0 || n > RAAS_EVENT_MAX_TEXT)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(text_class[t[i]] & cls))
			return false;
	*s = (const char *)t;
	*len = (uint32_t)n;
	return true;
}

static char *fast_put(char *o, const char *s, size_t n)
{
	memcpy(o, s, n);
	return o + n;
}

static char *fast_put_quoted(char *o, const char *s, size_t n)
{
	*o++ = '"';
	o = fast_put(o, s, n);
	*o++ = '"';
	return o;
}

bool raas_event_parse_fast(const char *text, size_t len, const struct raas_event_limits *limits,
                           int64_t received_us, struct raas_event *out, struct raas_buf *b)
{
	size_t max_bytes = limits && limits->max_bytes ? limits->max_bytes : RAAS_EVENT_MAX_BYTES;
	uint32_t max_depth = limits && limits->max_depth ? limits->max_depth : RAAS_EVENT_MAX_DEPTH;
	const unsigned char *props = NULL, *props_end = NULL;
	struct fast f = {(const unsigned char *)text, (const unsigned char *)text + len, false};
	struct raas_event ev;
	unsigned seen = 0;
	bool props_ws = false;
	char *o, *o0;

	if (len > max_bytes || received_us < TIME_MIN_US || received_us >= TIME_END_US)
		return false;
	memset(&ev, 0, sizeof ev);
	fast_ws(&f);
	if (fast_peek(&f) != '{')
		return false;
	f.p++;
	for (;;) {
		const unsigned char *k;
		size_t n;
		enum field fld;

		fast_ws(&f);
		if (fast_peek(&f) != '"' || !fast_string(&f, &k, &n))
			return false;
		fld = classify((const char *)k, (uint32_t)n);
		if (fld == F_UNKNOWN || (seen & (1u << fld)))
			return false;
		seen |= 1u << fld;
		fast_ws(&f);
		if (fast_peek(&f) != ':')
			return false;
		f.p++;
		fast_ws(&f);
		switch (fld) {
		case F_ID:
			if (!fast_text(&f, C_ID, &ev.id, &ev.id_len))
				return false;
			break;
		case F_CUSTOMER:
			if (!fast_text(&f, C_NAME, &ev.customer, &ev.customer_len))
				return false;
			break;
		case F_TYPE:
			if (!fast_text(&f, C_NAME, &ev.type, &ev.type_len))
				return false;
			break;
		case F_TIME: {
			struct raas_err ignored;
			const unsigned char *t;
			if (fast_peek(&f) != '"' || !fast_string(&f, &t, &n) ||
			    raas_time_parse((const char *)t, n, &ev.time_us, &ignored) != RAAS_OK ||
			    ev.time_us < TIME_MIN_US || ev.time_us >= TIME_END_US)
				return false;
			break;
		}
		case F_PROPERTIES:
			if (fast_peek(&f) != '{')
				return false;
			props = f.p;
			f.ws = false;
			if (!fast_properties(&f, max_depth))
				return false;
			props_end = f.p;
			props_ws = f.ws;
			break;
		case F_UNKNOWN:
			return false;
		}
		fast_ws(&f);
		if (fast_peek(&f) == ',') {
			f.p++;
			continue;
		}
		if (fast_peek(&f) != '}')
			return false;
		f.p++;
		break;
	}
	fast_ws(&f);
	if (f.p != f.end || seen != ((1u << F_ID) | (1u << F_CUSTOMER) | (1u << F_TYPE) |
	                             (1u << F_TIME) | (props ? 1u << F_PROPERTIES : 0)))
		return false;

	/* The leaf: the head, then the properties without their whitespace. */
	if (raas_buf_reserve(b, len + 2 * RAAS_TIME_FORMAT_MAX + 128) != RAAS_OK)
		return false;
	o = o0 = b->data + b->len;
	o = fast_put(o, K_HEAD, sizeof K_HEAD - 1);
	o = fast_put_quoted(o, ev.customer, ev.customer_len);
	o = fast_put(o, K_ID, sizeof K_ID - 1);
	o = fast_put_quoted(o, ev.id, ev.id_len);
	o = fast_put(o, K_TYPE, sizeof K_TYPE - 1);
	o = fast_put_quoted(o, ev.type, ev.type_len);
	o = fast_put(o, K_TIME, sizeof K_TIME - 1);
	o += put_time(o, ev.time_us);
	o = fast_put(o, K_RECEIVED, sizeof K_RECEIVED - 1);
	o += put_time(o, received_us);
	o = fast_put(o, K_PROPERTIES, sizeof K_PROPERTIES - 1);
	if (!props) {
		o = fast_put(o, "{}", 2);
	} else if (!props_ws) {
		o = fast_put(o, (const char *)props, (size_t)(props_end - props));
	} else {
		/* No string here holds an escaped quote: the quotes toggle strings exactly. */
		bool in_string = false;
		for (const unsigned char *q = props; q < props_end; q++) {
			unsigned char c = *q;
			if (c == '"')
				in_string = !in_string;
			else if (!in_string && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
				continue;
			*o++ = (char)c;
		}
	}
	*o++ = '}';
	b->len += (size_t)(o - o0);
	b->data[b->len] = '\0';
	ev.properties = NULL;
	*out = ev;
	return true;
}
