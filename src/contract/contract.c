/* contract.c — validating contract documents (contracts.md) into the parsed form the engine
 * evaluates, and the rules between versions of one contract.
 *
 * Parsing walks every object's members in document order and reports each problem with its
 * JSON path as it meets it; a rule that relates two fields (end after start, cap at least
 * minimum, clawback_within longer than hold) is reported on the later-named field of the
 * rule, using a quiet first look at the other one. Problems that have no member to sit on
 * (a missing required field, a value that the price needs) come after the members of their
 * object. Nothing is returned unless the whole document is valid. The contract owns one arena
 * holding the JSON tree and every array; compiled expressions are heap objects it frees.
 */
#include "contract/contract.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/number.h"
#include "contract/currency.h"

#define PATH_LEN RAAS_ERR_PATH_MAX
#define QUOTE_MAX 40 /* input bytes a message quotes */
#define QUOTE_BUF (6 * QUOTE_MAX + 16)
#define KEY_MAX 64 /* bytes of an unknown key written into a path */
#define TEXT_MAX 128
#define NAME_MAX_LEN 64
#define CURRENCY_EXPONENT_MAX 6

/* Durations beyond 10000 years are refused so that sums of an instant (years up to 9999)
 * and a few durations can never overflow int64 microseconds in settlement. */
#define DURATION_MAX_DAYS INT64_C(3650000)
#define DURATION_MAX_US (DURATION_MAX_DAYS * RAAS_US_PER_DAY)

#define DEFAULT_CORRECTIONS_US (INT64_C(90) * RAAS_US_PER_DAY)
#define DEFAULT_DISPUTE_US (INT64_C(14) * RAAS_US_PER_DAY)
#define DEFAULT_RESOLVE_US (INT64_C(30) * RAAS_US_PER_DAY)

static const struct raas_json_limits contract_limits = {
        RAAS_CONTRACT_MAX_BYTES, /* max_bytes (checked before parsing, with its own message) */
        64,                      /* max_depth */
        0,                       /* numbers are checked by the field that reads them */
};

struct ctx {
	struct raas_contract *c;
	struct raas_problems *problems;
	bool quiet;    /* a first look at a field: validate, report nothing */
	raas_rc nomem; /* RAAS_E_NOMEM once an allocation failed */
};

/* ---- reporting ---- */

/* Adds one problem unless the context is quiet. */
RAAS_PRINTF(3, 4) static void report(struct ctx *x, const char *path, const char *fmt, ...)
{
	char text[RAAS_ERR_MESSAGE_MAX];
	va_list ap;

	if (x->quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	raas_problems_add(x->problems, path, "%s", text);
}

/* snprintf into a PATH_LEN buffer; a path too long is cut, never overflowed. */
RAAS_PRINTF(2, 3) static void pathf(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, PATH_LEN, fmt, ap);
	va_end(ap);
}

/* The value's text quoted for a message (escaped, cut at QUOTE_MAX bytes). */
static const char *quote(char *buf, const struct raas_json *v)
{
	return raas_escape(buf, QUOTE_BUF, v->u.str, v->len, QUOTE_MAX);
}

/* "null", "a boolean", ...: what a value of the wrong type was. */
static const char *type_name(const struct raas_json *v)
{
	switch (v->type) {
	case RAAS_JSON_NULL:
		return "null";
	case RAAS_JSON_FALSE:
	case RAAS_JSON_TRUE:
		return "a boolean";
	case RAAS_JSON_NUMBER:
		return "a number";
	case RAAS_JSON_STRING:
		return "a string";
	case RAAS_JSON_ARRAY:
		return "a list";
	case RAAS_JSON_OBJECT:
		return "an object";
	}
	return "a value of another type";
}

static bool key_is(const struct raas_json_member *m, const char *name)
{
	return m->key_len == strlen(name) && memcmp(m->key, name, m->key_len) == 0;
}

static bool string_is(const struct raas_json *v, const char *text)
{
	return v && v->type == RAAS_JSON_STRING && v->len == strlen(text) &&
	       memcmp(v->u.str, text, v->len) == 0;
}

/* Optimal string alignment distance between a (≤ KEY_MAX bytes) and b, for suggestions. */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
	size_t d[KEY_MAX + 1][KEY_MAX + 1];

	if (la > KEY_MAX || lb > KEY_MAX)
		return SIZE_MAX;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

/* Reports the member m of the object at prefix as an unknown field, suggesting the closest
 * of the object's known field names (NULL-terminated) when it is a likely misspelling. */
static void unknown_field(struct ctx *x, const char *prefix, const struct raas_json_member *m,
                          const char *const *known)
{
	char key[6 * KEY_MAX + 16], path[PATH_LEN];
	const char *best = NULL;
	size_t best_d = SIZE_MAX;

	raas_escape(key, sizeof key, m->key, m->key_len, KEY_MAX);
	if (prefix[0])
		pathf(path, "%s.%s", prefix, key);
	else
		pathf(path, "%s", key);
	/* Suggestions cost a little; a problem that will be dropped needs none. */
	if (!x->quiet && x->problems->count < RAAS_PROBLEMS_MAX) {
		for (size_t i = 0; known[i]; i++) {
			size_t len = strlen(known[i]);
			size_t d = edit_distance(m->key, m->key_len, known[i], len);
			size_t limit = len <= 4 ? 1 : 2;
			if (d <= limit && d < best_d) {
				best = known[i];
				best_d = d;
			}
		}
	}
	if (best)
		report(x, path, "unknown field (did you mean \"%s\"?)", best);
	else
		report(x, path, "unknown field");
}

/* ---- scalar fields ---- */

enum charset {
	CS_TEXT, /* ids, customers, event types: A-Z a-z 0-9 . _ : - */
	CS_NAME, /* result and fee names: a-z 0-9 _ */
};

static bool in_charset(unsigned char ch, enum charset cs)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')
		return true;
	if (cs == CS_NAME)
		return false;
	return (ch >= 'A' && ch <= 'Z') || ch == '.' || ch == ':' || ch == '-';
}

/* Writes "character 'x'" for a printable ASCII byte, "byte 0xHH" otherwise. */
static void describe_byte(char *buf, unsigned char ch)
{
	if (ch >= 0x20 && ch < 0x7f)
		snprintf(buf, 32, "character '%c'", ch);
	else
		snprintf(buf, 32, "byte 0x%02x", ch);
}

/* Checks a string of 1..max bytes from the charset. Returns true when valid. */
static bool read_token(struct ctx *x, const struct raas_json *v, const char *path, enum charset cs,
                       uint32_t max)
{
	char rule[64], q[QUOTE_BUF], what[32];

	snprintf(rule, sizeof rule, "1 to %u bytes of %s", max,
	         cs == CS_NAME ? "a-z 0-9 _" : "A-Z a-z 0-9 . _ : -");
	if (v->type != RAAS_JSON_STRING) {
		report(x, path, "must be a string of %s, not %s", rule, type_name(v));
		return false;
	}
	if (v->len == 0) {
		report(x, path, "must not be empty (%s)", rule);
		return false;
	}
	if (v->len > max) {
		report(x, path, "is %u bytes long (expected %s)", v->len, rule);
		return false;
	}
	for (uint32_t i = 0; i < v->len; i++) {
		unsigned char ch = (unsigned char)v->u.str[i];
		if (in_charset(ch, cs))
			continue;
		describe_byte(what, ch);
		report(x, path, "\"%s\": %s at byte %u is not allowed (expected %s)", quote(q, v),
		       what, i + 1, rule);
		return false;
	}
	return true;
}

/* Writes a duration in its shortest exact unit ("14d", "36h", "0s"); buf holds 32 bytes. */
static const char *format_duration(int64_t us, char *buf)
{
	static const struct {
		int64_t unit;
		char name;
	} units[] = {
	        {RAAS_US_PER_DAY, 'd'},
	        {3600 * RAAS_US_PER_SEC, 'h'},
	        {60 * RAAS_US_PER_SEC, 'm'},
	        {RAAS_US_PER_SEC, 's'},
	};

	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (us != 0 && us % units[i].unit == 0) {
			snprintf(buf, 32, "%lld%c", (long long)(us / units[i].unit), units[i].name);
			return buf;
		}
	}
	snprintf(buf, 32, "%llds", (long long)(us / RAAS_US_PER_SEC));
	return buf;
}

/* Reads a duration string ("90d") of at most 10000 years. Returns true when *us was set. */
static bool read_duration(struct ctx *x, const struct raas_json *v, const char *path, int64_t *us)
{
	char q[QUOTE_BUF];
	struct raas_err err;
	int64_t val;
	raas_rc rc;

	if (v->type != RAAS_JSON_STRING) {
		report(x, path,
		       "must be a duration string such as \"14d\" (units d, h, m, s), not %s",
		       type_name(v));
		return false;
	}
	rc = raas_duration_parse(v->u.str, v->len, &val, &err);
	if (rc == RAAS_E_OVERFLOW || (rc == RAAS_OK && val > DURATION_MAX_US)) {
		report(x, path, "\"%s\" is too long: at most %lldd (10000 years)", quote(q, v),
		       (long long)DURATION_MAX_DAYS);
		return false;
	}
	if (rc != RAAS_OK) {
		report(x, path, "\"%s\": %s", quote(q, v), err.message);
		return false;
	}
	*us = val;
	return true;
}

/* Reads a date "YYYY-MM-DD". Returns true when *day was set. */
static bool read_date(struct ctx *x, const struct raas_json *v, const char *path, int64_t *day)
{
	char q[QUOTE_BUF];
	struct raas_err err;

	if (v->type != RAAS_JSON_STRING) {
		report(x, path, "must be a date string \"YYYY-MM-DD\", not %s", type_name(v));
		return false;
	}
	if (raas_date_parse(v->u.str, v->len, day, &err) != RAAS_OK) {
		report(x, path, "\"%s\": %s", quote(q, v), err.message);
		return false;
	}
	return true;
}

/* Reads an amount: a JSON string [0-9]+(\.[0-9]{1,12})?. Returns true when *out was set. */
static bool read_amount(struct ctx *x, const struct raas_json *v, const char *path,
                        struct raas_dec *out)
{
	char q[QUOTE_BUF];
	struct raas_err err;

	if (v->type != RAAS_JSON_STRING) {
		report(x, path, "must be a decimal string such as \"12.50\", not %s", type_name(v));
		return false;
	}
	switch (raas_dec_parse(v->u.str, v->len, RAAS_DEC_AMOUNT, out, &err)) {
	case RAAS_OK:
		return true;
	case RAAS_E_OVERFLOW:
		report(x, path, "\"%s\" is out of range (must be below 10^26)", quote(q, v));
		return false;
	default:
		report(x, path,
		       "\"%s\" is not an amount: write digits with an optional point and 1 to 12 "
		       "decimals (\"12.50\", \"0.000125\"), no sign or exponent",
		       quote(q, v));
		return false;
	}
}

/* Reads currency_exponent: a JSON number holding a whole number 0..6 (by exact value, so
 * 2.0 is 2). Returns true when *out was set. */
static bool read_exponent(struct ctx *x, const struct raas_json *v, const char *path, int *out)
{
	char q[QUOTE_BUF];
	struct raas_num n;

	if (v->type != RAAS_JSON_NUMBER) {
		report(x, path, "must be a whole number from 0 to 6 (a JSON number), not %s",
		       type_name(v));
		return false;
	}
	if (raas_num_parse(v->u.str, v->len, RAAS_NUM_JSON, &n, NULL) == RAAS_OK) {
		if (n.sign == 0) {
			*out = 0;
			return true;
		}
		/* value = 0.d × 10^1 = d: a single digit 1..9 */
		if (n.sign > 0 && n.ndigits == 1 && n.exp == 1 &&
		    n.digits[0] - '0' <= CURRENCY_EXPONENT_MAX) {
			*out = n.digits[0] - '0';
			return true;
		}
	}
	report(x, path, "must be a whole number from 0 to 6 (got %s)", quote(q, v));
	return false;
}

/* Reads a property path: segments of [A-Za-z0-9_]+ joined by '.'. */
static bool read_path(struct ctx *x, const struct raas_json *v, const char *path,
                      struct raas_path *out)
{
	char q[QUOTE_BUF];
	bool seg_empty = true;

	if (v->type != RAAS_JSON_STRING) {
		report(x, path,
		       "must be a property path string such as \"lead_id\" or "
		       "\"utm.campaign\", not %s",
		       type_name(v));
		return false;
	}
	for (uint32_t i = 0; i <= v->len; i++) {
		unsigned char ch = i < v->len ? (unsigned char)v->u.str[i] : '.';
		if (ch == '.') {
			if (seg_empty) {
				report(x, path,
				       "\"%s\" is not a property path: a segment is empty "
				       "(expected segments of A-Z a-z 0-9 _ joined by '.')",
				       quote(q, v));
				return false;
			}
			seg_empty = true;
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		           (ch >= '0' && ch <= '9') || ch == '_') {
			seg_empty = false;
		} else {
			char what[32];
			describe_byte(what, ch);
			report(x, path,
			       "\"%s\" is not a property path: %s at byte %u is not allowed "
			       "(expected segments of A-Z a-z 0-9 _ joined by '.')",
			       quote(q, v), what, i + 1);
			return false;
		}
	}
	out->text = v->u.str;
	out->len = v->len;
	return true;
}

/* Compiles a `where` expression; on success *expr is new (owned by the contract) and *text
 * points at the document's string. */
static void read_where(struct ctx *x, const struct raas_json *v, const char *path,
                       struct raas_expr **expr, const char **text)
{
	struct raas_err err;
	raas_rc rc;

	if (v->type != RAAS_JSON_STRING) {
		report(x, path,
		       "must be a string holding an expression such as \"score >= 60\", "
		       "not %s",
		       type_name(v));
		return;
	}
	raas_err_clear(&err);
	rc = raas_expr_compile(v->u.str, v->len, expr, &err);
	if (rc == RAAS_E_NOMEM || err.code == RAAS_E_NOMEM) {
		x->nomem = RAAS_E_NOMEM;
		return;
	}
	if (rc != RAAS_OK) {
		report(x, path, "column %u: %s", err.column, err.message);
		return;
	}
	*text = v->u.str;
}

/* ---- result definitions ---- */

static const char *const result_fields[] = {
        "name",     "on",    "where", "entity", "value", "hold", "reversed_by", "clawback_within",
        "requires", "price", NULL,
};
static const char *const reversed_by_fields[] = {"on", "where", NULL};
static const char *const requires_fields[] = {"on", "within", "where", NULL};

/* Reads `reversed_by` (within == false) or `requires` (within == true) of the result object r
 * at path. */
static void read_matcher(struct ctx *x, const struct raas_json *r, const struct raas_json *v,
                         const char *path, bool within, struct raas_matcher *m)
{
	char sub[PATH_LEN];
	bool has_on = false, has_within = false;

	if (v->type != RAAS_JSON_OBJECT) {
		report(x, path, "must be an object %s, not %s",
		       within ? "{\"on\": TYPE, \"within\": DURATION, \"where\": EXPR}"
		              : "{\"on\": TYPE, \"where\": EXPR}",
		       type_name(v));
		return;
	}
	m->present = true;
	for (uint32_t k = 0; k < v->len; k++) {
		const struct raas_json_member *mem = &v->u.members[k];
		if (key_is(mem, "on")) {
			has_on = true;
			pathf(sub, "%s.on", path);
			if (read_token(x, &mem->value, sub, CS_TEXT, TEXT_MAX))
				m->on = mem->value.u.str;
		} else if (key_is(mem, "where")) {
			pathf(sub, "%s.where", path);
			read_where(x, &mem->value, sub, &m->where, &m->where_text);
		} else if (within && key_is(mem, "within")) {
			has_within = true;
			pathf(sub, "%s.within", path);
			read_duration(x, &mem->value, sub, &m->within_us);
		} else {
			unknown_field(x, path, mem, within ? requires_fields : reversed_by_fields);
		}
	}
	if (!has_on) {
		pathf(sub, "%s.on", path);
		report(x, sub, "required: the event type %s",
		       within ? "that attributes the result" : "that reverses the result");
	}
	if (within && !has_within) {
		pathf(sub, "%s.within", path);
		report(x, sub,
		       "required: how long before the result the attribution event may "
		       "be, a duration such as \"30d\"");
	}
	if (!raas_json_get(r, "entity"))
		report(x, path,
		       "requires entity: %s event is matched to its result by the entity value",
		       within ? "an attribution" : "a reversal");
}

/* Reads the result definition r (results[i]) into *def. names[0..nnames) are the valid names
 * of the earlier definitions (for uniqueness). */
static void read_result(struct ctx *x, const struct raas_json *r, uint32_t i,
                        struct raas_result_def *def, const char *const *names, uint32_t nnames)
{
	char prefix[PATH_LEN], path[PATH_LEN], q[QUOTE_BUF];
	const struct raas_json *v, *price;
	bool hold_known = true, has_name = false, has_on = false;
	int64_t hold_us = 0;

	pathf(prefix, "results[%u]", i);
	if (r->type != RAAS_JSON_OBJECT) {
		report(x, prefix,
		       "must be an object (a result definition with name, on and price), "
		       "not %s",
		       type_name(r));
		return;
	}
	/* A quiet first look at hold, so clawback_within can be compared with it wherever
	 * it sits. */
	if ((v = raas_json_get(r, "hold"))) {
		x->quiet = true;
		hold_known = read_duration(x, v, "", &hold_us);
		x->quiet = false;
	}
	for (uint32_t k = 0; k < r->len; k++) {
		const struct raas_json_member *mem = &r->u.members[k];
		v = &mem->value;
		if (key_is(mem, "name")) {
			has_name = true;
			pathf(path, "%s.name", prefix);
			if (!read_token(x, v, path, CS_NAME, NAME_MAX_LEN))
				continue;
			for (uint32_t j = 0; j < nnames; j++) {
				if (names[j] && strlen(names[j]) == v->len &&
				    memcmp(names[j], v->u.str, v->len) == 0) {
					report(x, path, "repeats results[%u].name \"%s\"", j,
					       quote(q, v));
					break;
				}
			}
			def->name = v->u.str;
		} else if (key_is(mem, "on")) {
			has_on = true;
			pathf(path, "%s.on", prefix);
			if (read_token(x, v, path, CS_TEXT, TEXT_MAX))
				def->on = v->u.str;
		} else if (key_is(mem, "where")) {
			pathf(path, "%s.where", prefix);
			read_where(x, v, path, &def->where, &def->where_text);
		} else if (key_is(mem, "entity")) {
			pathf(path, "%s.entity", prefix);
			def->has_entity = read_path(x, v, path, &def->entity);
		} else if (key_is(mem, "value")) {
			pathf(path, "%s.value", prefix);
			def->has_value = read_path(x, v, path, &def->value);
		} else if (key_is(mem, "hold")) {
			pathf(path, "%s.hold", prefix);
			read_duration(x, v, path, &def->hold_us);
		} else if (key_is(mem, "reversed_by")) {
			pathf(path, "%s.reversed_by", prefix);
			read_matcher(x, r, v, path, false, &def->reversed_by);
		} else if (key_is(mem, "clawback_within")) {
			char held[32];
			pathf(path, "%s.clawback_within", prefix);
			if (!read_duration(x, v, path, &def->clawback_us))
				continue;
			def->has_clawback = true;
			if (hold_known && def->clawback_us <= hold_us)
				report(x, path, "must be longer than hold (%s)",
				       format_duration(hold_us, held));
			if (!raas_json_get(r, "reversed_by"))
				report(x, path,
				       "requires reversed_by: without it nothing can claw "
				       "a result back");
		} else if (key_is(mem, "requires")) {
			pathf(path, "%s.requires", prefix);
			read_matcher(x, r, v, path, true, &def->requires);
		} else if (key_is(mem, "price")) {
			pathf(path, "%s.price", prefix);
			if (raas_price_parse(v, path, &def->price, x->problems) == RAAS_E_NOMEM)
				x->nomem = RAAS_E_NOMEM;
		} else {
			unknown_field(x, prefix, mem, result_fields);
		}
	}
	if (!has_name) {
		pathf(path, "%s.name", prefix);
		report(x, path, "required: the result's name (1 to 64 bytes of a-z 0-9 _)");
	}
	if (!has_on) {
		pathf(path, "%s.on", prefix);
		report(x, path, "required: the event type that achieves the result");
	}
	price = raas_json_get(r, "price");
	if (!price) {
		pathf(path, "%s.price", prefix);
		report(x, path,
		       "required: the result's price, such as "
		       "{\"model\":\"unit\",\"amount\":\"10.00\"}");
	} else if (!raas_json_get(r, "value")) {
		pathf(path, "%s.value", prefix);
		if (string_is(raas_json_get(price, "model"), "percentage"))
			report(x, path,
			       "required by the percentage model: the property path that "
			       "holds each result's value");
		else if (string_is(raas_json_get(price, "measure"), "value"))
			report(x, path,
			       "required by measure \"value\": the property path that "
			       "holds each result's value");
	}
}

/* Frees the compiled expressions of def (the rest lives in the arena). */
static void free_result_exprs(struct raas_result_def *def)
{
	raas_expr_free(def->where);
	raas_expr_free(def->reversed_by.where);
	raas_expr_free(def->requires.where);
	def->where = def->reversed_by.where = def->requires.where = NULL;
}

static void read_results(struct ctx *x, const struct raas_json *v)
{
	struct raas_contract *c = x->c;
	const char *names[RAAS_CONTRACT_MAX_RESULTS];
	uint32_t kept;

	if (v->type != RAAS_JSON_ARRAY) {
		report(x, "results", "must be a list of 1 to 64 result definitions, not %s",
		       type_name(v));
		return;
	}
	if (v->len == 0 || v->len > RAAS_CONTRACT_MAX_RESULTS)
		report(x, "results", "must hold 1 to 64 result definitions (got %u)", v->len);
	if (v->len == 0)
		return;
	/* Definitions past the 64th are still validated, one at a time in a scratch slot. */
	kept = v->len < RAAS_CONTRACT_MAX_RESULTS ? v->len : RAAS_CONTRACT_MAX_RESULTS;
	c->results = raas_arena_alloc(&c->arena, (size_t)(kept + 1) * sizeof *c->results);
	if (!c->results) {
		x->nomem = RAAS_E_NOMEM;
		return;
	}
	memset(c->results, 0, (size_t)(kept + 1) * sizeof *c->results);
	c->nresults = kept;
	for (uint32_t i = 0; i < v->len && !x->nomem; i++) {
		struct raas_result_def *def = &c->results[i < kept ? i : kept];
		uint32_t nnames = i < kept ? i : kept;

		read_result(x, &v->u.items[i], i, def, names, nnames);
		if (i < kept)
			names[i] = def->name;
		else
			free_result_exprs(def);
	}
}

/* ---- fees ---- */

static const char *const fee_fields[] = {"name", "amount", NULL};

struct fee_key {
	const char *name;
	uint32_t len;
	uint32_t index;
};

/* By name bytes, then by position: the first of equal names sorts first. */
static int fee_key_order(const void *pa, const void *pb)
{
	const struct fee_key *a = pa, *b = pb;
	int r = memcmp(a->name, b->name, a->len < b->len ? a->len : b->len);

	if (r)
		return r;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

/* Fills first[i] with the index of the first fee whose valid name equals fee i's (i itself
 * when it is the first or its name is not valid). Sorting keeps long fee lists O(n log n).
 * Returns false when out of memory. */
static bool find_repeated_fees(struct ctx *x, const struct raas_json *v, uint32_t *first)
{
	struct fee_key *keys = raas_calloc(v->len, sizeof *keys);
	uint32_t n = 0;

	if (!keys)
		return false;
	x->quiet = true;
	for (uint32_t i = 0; i < v->len; i++) {
		const struct raas_json *name = raas_json_get(&v->u.items[i], "name");
		first[i] = i;
		if (name && read_token(x, name, "", CS_NAME, NAME_MAX_LEN)) {
			keys[n].name = name->u.str;
			keys[n].len = name->len;
			keys[n].index = i;
			n++;
		}
	}
	x->quiet = false;
	if (n > 1)
		qsort(keys, n, sizeof *keys, fee_key_order);
	for (uint32_t k = 1; k < n; k++) {
		const struct fee_key *a = &keys[k - 1], *b = &keys[k];
		if (a->len == b->len && memcmp(a->name, b->name, a->len) == 0)
			first[b->index] = first[a->index];
	}
	raas_free(keys);
	return true;
}

static void read_fees(struct ctx *x, const struct raas_json *v)
{
	struct raas_contract *c = x->c;
	char prefix[PATH_LEN], path[PATH_LEN], q[QUOTE_BUF];
	uint32_t *first = NULL;

	if (v->type != RAAS_JSON_ARRAY) {
		report(x, "fees", "must be a list of {\"name\", \"amount\"} objects, not %s",
		       type_name(v));
		return;
	}
	if (v->len == 0)
		return;
	c->fees = raas_arena_alloc(&c->arena, (size_t)v->len * sizeof *c->fees);
	first = raas_calloc(v->len, sizeof *first);
	if (!c->fees || !first || !find_repeated_fees(x, v, first)) {
		x->nomem = RAAS_E_NOMEM;
		goto out;
	}
	memset(c->fees, 0, (size_t)v->len * sizeof *c->fees);
	c->nfees = v->len;
	for (uint32_t i = 0; i < v->len; i++) {
		const struct raas_json *f = &v->u.items[i];
		struct raas_fee *fee = &c->fees[i];
		bool has_name = false, has_amount = false;

		pathf(prefix, "fees[%u]", i);
		if (f->type != RAAS_JSON_OBJECT) {
			report(x, prefix,
			       "must be an object {\"name\": NAME, \"amount\": AMOUNT}, not %s",
			       type_name(f));
			continue;
		}
		for (uint32_t k = 0; k < f->len; k++) {
			const struct raas_json_member *mem = &f->u.members[k];
			if (key_is(mem, "name")) {
				has_name = true;
				pathf(path, "%s.name", prefix);
				if (!read_token(x, &mem->value, path, CS_NAME, NAME_MAX_LEN))
					continue;
				if (first[i] != i)
					report(x, path, "repeats fees[%u].name \"%s\"", first[i],
					       quote(q, &mem->value));
				fee->name = mem->value.u.str;
			} else if (key_is(mem, "amount")) {
				has_amount = true;
				pathf(path, "%s.amount", prefix);
				read_amount(x, &mem->value, path, &fee->amount);
			} else {
				unknown_field(x, prefix, mem, fee_fields);
			}
		}
		if (!has_name) {
			pathf(path, "%s.name", prefix);
			report(x, path, "required: the fee's name (1 to 64 bytes of a-z 0-9 _)");
		}
		if (!has_amount) {
			pathf(path, "%s.amount", prefix);
			report(x, path,
			       "required: the amount charged every period, a decimal "
			       "string such as \"500.00\"");
		}
	}
out:
	raas_free(first);
}

/* ---- the document ---- */

/* The top-level fields, in the order of contracts.md; top_fields[f] names field f. */
enum top_field {
	F_ID,
	F_CUSTOMER,
	F_CURRENCY,
	F_CURRENCY_EXPONENT,
	F_TIMEZONE,
	F_PERIOD,
	F_START,
	F_END,
	F_LOCK_AFTER,
	F_CORRECTIONS_WITHIN,
	F_DISPUTE_WITHIN,
	F_RESOLVE_WITHIN,
	F_DISPUTE_DEFAULT,
	F_RESULTS,
	F_FEES,
	F_MINIMUM,
	F_CAP,
	F_UNKNOWN, /* also the number of known fields */
};

static const char *const top_fields[F_UNKNOWN + 1] = {
        "id",
        "customer",
        "currency",
        "currency_exponent",
        "timezone",
        "period",
        "start",
        "end",
        "lock_after",
        "corrections_within",
        "dispute_within",
        "resolve_within",
        "dispute_default",
        "results",
        "fees",
        "minimum",
        "cap",
        NULL,
};

/* What the quiet first look learnt about the fields that other fields are checked against. */
struct peek {
	bool start_ok;
	int64_t start_day;
	int64_t lock_after_us; /* the default 0 unless lock_after is valid */
	bool minimum_ok;
	struct raas_dec minimum;
	const struct raas_json *minimum_v;
	bool exponent_present; /* currency_exponent is in the document */
	bool exponent_ok;
	int exponent;
};

static void peek_fields(struct ctx *x, const struct raas_json *doc, struct peek *p)
{
	const struct raas_json *v;

	memset(p, 0, sizeof *p);
	x->quiet = true;
	if ((v = raas_json_get(doc, "start")))
		p->start_ok = read_date(x, v, "", &p->start_day);
	if ((v = raas_json_get(doc, "lock_after")))
		read_duration(x, v, "", &p->lock_after_us);
	if ((v = raas_json_get(doc, "minimum"))) {
		p->minimum_ok = read_amount(x, v, "", &p->minimum);
		p->minimum_v = v;
	}
	if ((v = raas_json_get(doc, "currency_exponent"))) {
		p->exponent_present = true;
		p->exponent_ok = read_exponent(x, v, "", &p->exponent);
	}
	x->quiet = false;
}

static void read_currency(struct ctx *x, const struct raas_json *v, const struct peek *p,
                          int *table_exponent)
{
	char q[QUOTE_BUF];
	int e;

	if (v->type != RAAS_JSON_STRING) {
		report(x, "currency",
		       "must be a string of three upper-case letters (an ISO 4217 "
		       "code such as \"USD\"), not %s",
		       type_name(v));
		return;
	}
	if (v->len != 3 || v->u.str[0] < 'A' || v->u.str[0] > 'Z' || v->u.str[1] < 'A' ||
	    v->u.str[1] > 'Z' || v->u.str[2] < 'A' || v->u.str[2] > 'Z') {
		report(x, "currency",
		       "\"%s\" is not three upper-case letters (an ISO 4217 code such as \"USD\")",
		       quote(q, v));
		return;
	}
	memcpy(x->c->currency, v->u.str, 3);
	x->c->currency[3] = '\0';
	if (raas_currency_exponent(v->u.str, 3, &e) != RAAS_OK) {
		if (!p->exponent_present)
			report(x, "currency",
			       "\"%s\" is not a currency raas knows: add \"currency_exponent\" (0 "
			       "to 6) to say how many decimals its amounts have",
			       quote(q, v));
		return;
	}
	if (e == RAAS_CURRENCY_NO_MINOR_UNIT) {
		if (!p->exponent_present)
			report(x, "currency",
			       "\"%s\" has no minor unit: add \"currency_exponent\" (0 to 6) to "
			       "say "
			       "how many decimals its amounts have",
			       quote(q, v));
		return;
	}
	*table_exponent = e;
}

/* Validates every member of the object doc into x->c. */
static void read_document(struct ctx *x, const struct raas_json *doc)
{
	struct raas_contract *c = x->c;
	struct peek p;
	bool seen[F_UNKNOWN] = {false};
	int table_exponent = -1;
	char q[QUOTE_BUF], buf[32];

	peek_fields(x, doc, &p);
	for (uint32_t k = 0; k < doc->len && !x->nomem; k++) {
		const struct raas_json_member *mem = &doc->u.members[k];
		const struct raas_json *v = &mem->value;
		enum top_field f;

		for (f = F_ID; f < F_UNKNOWN; f++)
			if (key_is(mem, top_fields[f]))
				break;
		if (f < F_UNKNOWN)
			seen[f] = true;
		switch (f) {
		case F_ID:
			if (read_token(x, v, "id", CS_TEXT, TEXT_MAX))
				c->id = v->u.str;
			break;
		case F_CUSTOMER:
			if (read_token(x, v, "customer", CS_TEXT, TEXT_MAX))
				c->customer = v->u.str;
			break;
		case F_CURRENCY:
			read_currency(x, v, &p, &table_exponent);
			break;
		case F_CURRENCY_EXPONENT:
			read_exponent(x, v, "currency_exponent", &c->exponent);
			break;
		case F_TIMEZONE:
			if (v->type != RAAS_JSON_STRING) {
				report(x, "timezone",
				       "must be a string \"Z\" or \"+HH:MM\" / \"-HH:MM\", not %s",
				       type_name(v));
			} else {
				struct raas_err err;
				if (raas_tz_parse(v->u.str, v->len, &c->tz_offset_min, &err))
					report(x, "timezone", "\"%s\": %s", quote(q, v),
					       err.message);
			}
			break;
		case F_PERIOD:
			if (v->type != RAAS_JSON_STRING) {
				report(x, "period",
				       "must be a string \"week\", \"month\", \"quarter\" or "
				       "\"year\", "
				       "not %s",
				       type_name(v));
			} else {
				struct raas_err err;
				if (raas_period_kind_parse(v->u.str, v->len, &c->period, &err))
					report(x, "period", "\"%s\": %s", quote(q, v), err.message);
			}
			break;
		case F_START:
			read_date(x, v, "start", &c->start_day);
			break;
		case F_END:
			if (!read_date(x, v, "end", &c->end_day))
				break;
			c->has_end = true;
			if (p.start_ok && c->end_day <= p.start_day) {
				int64_t y;
				unsigned mo, d;
				raas_civil_from_days(p.start_day, &y, &mo, &d);
				report(x, "end",
				       "must be after start (%04lld-%02u-%02u); end is exclusive",
				       (long long)y, mo, d);
			}
			break;
		case F_LOCK_AFTER:
			read_duration(x, v, "lock_after", &c->lock_after_us);
			break;
		case F_CORRECTIONS_WITHIN:
			if (read_duration(x, v, "corrections_within", &c->corrections_within_us) &&
			    c->corrections_within_us < p.lock_after_us)
				report(x, "corrections_within", "must be at least lock_after (%s)",
				       format_duration(p.lock_after_us, buf));
			break;
		case F_DISPUTE_WITHIN:
			read_duration(x, v, "dispute_within", &c->dispute_within_us);
			break;
		case F_RESOLVE_WITHIN:
			read_duration(x, v, "resolve_within", &c->resolve_within_us);
			break;
		case F_DISPUTE_DEFAULT:
			if (string_is(v, "voided"))
				c->dispute_default = RAAS_DISPUTE_VOIDED;
			else if (string_is(v, "upheld"))
				c->dispute_default = RAAS_DISPUTE_UPHELD;
			else if (v->type == RAAS_JSON_STRING)
				report(x, "dispute_default",
				       "\"%s\": must be \"voided\" or \"upheld\"", quote(q, v));
			else
				report(x, "dispute_default",
				       "must be a string \"voided\" or \"upheld\", not %s",
				       type_name(v));
			break;
		case F_RESULTS:
			read_results(x, v);
			break;
		case F_FEES:
			read_fees(x, v);
			break;
		case F_MINIMUM:
			c->has_minimum = read_amount(x, v, "minimum", &c->minimum);
			break;
		case F_CAP:
			c->has_cap = read_amount(x, v, "cap", &c->cap);
			if (c->has_cap && p.minimum_ok && raas_dec_cmp(c->cap, p.minimum) < 0)
				report(x, "cap", "must be at least minimum (\"%s\")",
				       quote(q, p.minimum_v));
			break;
		case F_UNKNOWN:
			unknown_field(x, "", mem, top_fields);
			break;
		}
	}
	if (x->nomem)
		return;
	if (!seen[F_ID])
		report(x, "id",
		       "required: the contract's id (1 to 128 bytes of A-Z a-z 0-9 . _ : -)");
	if (!seen[F_CUSTOMER])
		report(x, "customer", "required: the customer id its events carry");
	if (!seen[F_CURRENCY])
		report(x, "currency", "required: an ISO 4217 code such as \"USD\"");
	if (!seen[F_PERIOD])
		report(x, "period", "required: \"week\", \"month\", \"quarter\" or \"year\"");
	if (!seen[F_START])
		report(x, "start", "required: the first day of the contract, \"YYYY-MM-DD\"");
	if (!seen[F_CORRECTIONS_WITHIN] && p.lock_after_us > DEFAULT_CORRECTIONS_US)
		report(x, "corrections_within",
		       "must be at least lock_after (%s); it is 90d when absent, so set it",
		       format_duration(p.lock_after_us, buf));
	if (!seen[F_RESULTS])
		report(x, "results", "required: a list of 1 to 64 result definitions");
	c->exponent = p.exponent_ok ? p.exponent : table_exponent;
}

/* Sets the defaults that absent fields stand for. */
static void set_defaults(struct raas_contract *c)
{
	c->tz_offset_min = 0;
	c->lock_after_us = 0;
	c->corrections_within_us = DEFAULT_CORRECTIONS_US;
	c->dispute_within_us = DEFAULT_DISPUTE_US;
	c->resolve_within_us = DEFAULT_RESOLVE_US;
	c->dispute_default = RAAS_DISPUTE_VOIDED;
}

raas_rc raas_contract_parse(const char *text, size_t len, struct raas_contract **out,
                            struct raas_problems *problems)
{
	struct raas_contract *c = NULL;
	struct raas_json *doc = NULL;
	struct raas_err err;
	struct ctx x;
	size_t before = raas_problems_total(problems);
	raas_rc rc;

	*out = NULL;
	if (len > RAAS_CONTRACT_MAX_BYTES) {
		raas_problems_add(
		        problems, "",
		        "the document is %zu bytes; a contract is at most %zu bytes (1 MiB)", len,
		        RAAS_CONTRACT_MAX_BYTES);
		rc = problems->out_of_memory ? RAAS_E_NOMEM : RAAS_E_INPUT;
		goto out;
	}
	c = raas_calloc(1, sizeof *c);
	if (!c) {
		rc = RAAS_E_NOMEM;
		goto out;
	}
	raas_arena_init(&c->arena, 0); /* bounded by the input's 1 MiB */
	set_defaults(c);

	raas_err_clear(&err);
	rc = raas_json_parse(&c->arena, text, len, &contract_limits, &doc, &err);
	if (rc == RAAS_E_NOMEM || err.code == RAAS_E_NOMEM) {
		rc = RAAS_E_NOMEM;
		goto out;
	}
	if (rc != RAAS_OK) {
		char where[64];
		snprintf(where, sizeof where, "line %u, column %u", err.line, err.column);
		raas_problems_add(problems, where, "%s", err.message);
		rc = problems->out_of_memory ? RAAS_E_NOMEM : RAAS_E_INPUT;
		goto out;
	}
	c->doc = doc;

	memset(&x, 0, sizeof x);
	x.c = c;
	x.problems = problems;
	if (doc->type != RAAS_JSON_OBJECT)
		report(&x, "",
		       "a contract must be a JSON object {\"id\": ..., \"results\": [...], ...}, "
		       "not %s",
		       type_name(doc));
	else
		read_document(&x, doc);

	if (x.nomem || problems->out_of_memory) {
		rc = RAAS_E_NOMEM;
		goto out;
	}
	if (raas_problems_total(problems) > before) {
		rc = RAAS_E_INPUT;
		goto out;
	}
	c->start_us = raas_date_midnight(c->start_day, c->tz_offset_min);
	if (c->has_end)
		c->end_us = raas_date_midnight(c->end_day, c->tz_offset_min);
	*out = c;
	c = NULL;
	rc = RAAS_OK;
out:
	raas_contract_free(c);
	return rc;
}

void raas_contract_free(struct raas_contract *c)
{
	if (!c)
		return;
	for (uint32_t i = 0; i < c->nresults; i++)
		free_result_exprs(&c->results[i]);
	raas_arena_free(&c->arena);
	raas_free(c);
}

/* ---- versions ---- */

/* The JSON string value at results[i].<field>[.<sub>] of the document, or NULL. */
static const struct raas_json *result_member(const struct raas_contract *c, uint32_t i,
                                             const char *field, const char *sub)
{
	const struct raas_json *v = raas_json_get(c->doc, "results");

	if (!v || v->type != RAAS_JSON_ARRAY || i >= v->len)
		return NULL;
	v = raas_json_get(&v->u.items[i], field);
	if (v && sub)
		v = raas_json_get(v, sub);
	return v;
}

static bool same_string(const struct raas_json *a, const struct raas_json *b)
{
	if (!a || !b)
		return a == b;
	return a->len == b->len && memcmp(a->u.str, b->u.str, a->len) == 0;
}

/* Describes an optional string value for a message: "\"x\"" or "not set". */
static const char *describe(char *buf, const struct raas_json *v)
{
	char q[QUOTE_BUF];

	if (!v)
		snprintf(buf, QUOTE_BUF + 4, "not set");
	else
		snprintf(buf, QUOTE_BUF + 4, "\"%s\"", quote(q, v));
	return buf;
}

struct differ {
	struct raas_problems *problems; /* NULL: only count */
	size_t count;
};

RAAS_PRINTF(4, 5)
static void differs(struct differ *d, const char *path, const char *field, const char *fmt, ...)
{
	char what[RAAS_ERR_MESSAGE_MAX], full[PATH_LEN];
	va_list ap;

	d->count++;
	if (!d->problems)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (field)
		pathf(full, "%s.%s", path, field);
	else
		pathf(full, "%s", path);
	raas_problems_add(d->problems, full,
	                  "cannot change in a new version (%s); use a new contract id", what);
}

static void diff_duration(struct differ *d, const char *path, const char *field, int64_t a,
                          int64_t b)
{
	char x[32], y[32];

	if (a != b)
		differs(d, path, field, "it was %s, now %s", format_duration(a, x),
		        format_duration(b, y));
}

static void diff_text(struct differ *d, const char *path, const char *field,
                      const struct raas_json *a, const struct raas_json *b)
{
	char x[QUOTE_BUF + 4], y[QUOTE_BUF + 4];

	if (!same_string(a, b))
		differs(d, path, field, "it was %s, now %s", describe(x, a), describe(y, b));
}

static void diff_optional_duration(struct differ *d, const char *path, const char *field, bool ha,
                                   int64_t a, bool hb, int64_t b)
{
	char x[32], y[32];

	if (ha != hb || (ha && a != b))
		differs(d, path, field, "it was %s, now %s", ha ? format_duration(a, x) : "not set",
		        hb ? format_duration(b, y) : "not set");
}

/* Compares one matcher (reversed_by or requires) of result i. */
static void diff_matcher(struct differ *d, const struct raas_contract *prev,
                         const struct raas_contract *next, uint32_t i, const char *path,
                         const char *field, const struct raas_matcher *a,
                         const struct raas_matcher *b)
{
	char sub[PATH_LEN];

	if (a->present != b->present) {
		differs(d, path, field, "it was %s, now %s", a->present ? "set" : "not set",
		        b->present ? "set" : "not set");
		return;
	}
	if (!a->present)
		return;
	pathf(sub, "%s.%s", path, field);
	diff_text(d, sub, "on", result_member(prev, i, field, "on"),
	          result_member(next, i, field, "on"));
	diff_duration(d, sub, "within", a->within_us, b->within_us);
	diff_text(d, sub, "where", result_member(prev, i, field, "where"),
	          result_member(next, i, field, "where"));
}

/* Compares every field of result i but its price. */
static void diff_result(struct differ *d, const struct raas_contract *prev,
                        const struct raas_contract *next, uint32_t i)
{
	const struct raas_result_def *a = &prev->results[i], *b = &next->results[i];
	char path[PATH_LEN];

	pathf(path, "results[%u]", i);
	diff_text(d, path, "on", result_member(prev, i, "on", NULL),
	          result_member(next, i, "on", NULL));
	diff_text(d, path, "where", result_member(prev, i, "where", NULL),
	          result_member(next, i, "where", NULL));
	diff_text(d, path, "entity", result_member(prev, i, "entity", NULL),
	          result_member(next, i, "entity", NULL));
	diff_text(d, path, "value", result_member(prev, i, "value", NULL),
	          result_member(next, i, "value", NULL));
	diff_duration(d, path, "hold", a->hold_us, b->hold_us);
	diff_matcher(d, prev, next, i, path, "reversed_by", &a->reversed_by, &b->reversed_by);
	diff_optional_duration(d, path, "clawback_within", a->has_clawback, a->clawback_us,
	                       b->has_clawback, b->clawback_us);
	diff_matcher(d, prev, next, i, path, "requires", &a->requires, &b->requires);
}

/* Writes the names of c's results, "a, b, c", cut to fit cap. */
static void list_names(const struct raas_contract *c, char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < c->nresults && n < cap; i++) {
		int w = snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", c->results[i].name);
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

raas_rc raas_contract_check_version(const struct raas_contract *prev,
                                    const struct raas_contract *next,
                                    struct raas_problems *problems)
{
	struct differ d = {problems, 0};
	bool same_list;

	if (strcmp(prev->id, next->id) != 0)
		differs(&d, "id", NULL, "it was \"%s\"", prev->id);
	if (strcmp(prev->customer, next->customer) != 0)
		differs(&d, "customer", NULL, "it was \"%s\", now \"%s\"", prev->customer,
		        next->customer);
	if (strcmp(prev->currency, next->currency) != 0)
		differs(&d, "currency", NULL, "it was %s, now %s", prev->currency, next->currency);
	else if (prev->exponent != next->exponent)
		differs(&d, "currency_exponent", NULL, "it was %d, now %d", prev->exponent,
		        next->exponent);
	if (prev->tz_offset_min != next->tz_offset_min) {
		char a[8], b[8];
		raas_tz_format(prev->tz_offset_min, a);
		raas_tz_format(next->tz_offset_min, b);
		differs(&d, "timezone", NULL, "it was %s, now %s", a, b);
	}
	if (prev->period != next->period) {
		static const char *const kinds[] = {"week", "month", "quarter", "year"};
		differs(&d, "period", NULL, "it was %s, now %s", kinds[prev->period],
		        kinds[next->period]);
	}
	if (prev->start_day != next->start_day)
		diff_text(&d, "start", NULL, raas_json_get(prev->doc, "start"),
		          raas_json_get(next->doc, "start"));
	diff_duration(&d, "lock_after", NULL, prev->lock_after_us, next->lock_after_us);
	diff_duration(&d, "corrections_within", NULL, prev->corrections_within_us,
	              next->corrections_within_us);

	same_list = prev->nresults == next->nresults;
	for (uint32_t i = 0; same_list && i < prev->nresults; i++)
		same_list = strcmp(prev->results[i].name, next->results[i].name) == 0;
	if (!same_list) {
		char a[RAAS_ERR_MESSAGE_MAX / 3], b[RAAS_ERR_MESSAGE_MAX / 3];
		list_names(prev, a, sizeof a);
		list_names(next, b, sizeof b);
		differs(&d, "results", NULL,
		        "the list of results was [%s], now [%s]; only prices may change", a, b);
	} else {
		/* One problem on "results" says that the definitions differ, then one per
		 * differing field names it. */
		struct differ count = {NULL, 0};
		for (uint32_t i = 0; i < prev->nresults; i++)
			diff_result(&count, prev, next, i);
		if (count.count) {
			differs(&d, "results", NULL,
			        "a result definition changed, and only its price may");
			for (uint32_t i = 0; i < prev->nresults; i++)
				diff_result(&d, prev, next, i);
		}
	}
	if (problems->out_of_memory)
		return RAAS_E_NOMEM;
	return d.count ? RAAS_E_INPUT : RAAS_OK;
}

bool raas_contract_same_document(const struct raas_contract *a, const struct raas_contract *b)
{
	return raas_json_equal(a->doc, b->doc);
}

static bool on_is(const char *on, const char *type, size_t len)
{
	return on && strlen(on) == len && memcmp(on, type, len) == 0;
}

bool raas_contract_names_type(const struct raas_contract *c, const char *type, size_t len)
{
	for (uint32_t i = 0; i < c->nresults; i++) {
		const struct raas_result_def *r = &c->results[i];
		if (on_is(r->on, type, len) ||
		    (r->reversed_by.present && on_is(r->reversed_by.on, type, len)) ||
		    (r->requires.present && on_is(r->requires.on, type, len)))
			return true;
	}
	return false;
}
