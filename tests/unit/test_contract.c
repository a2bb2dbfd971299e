/* test_contract.c — contract documents (contracts.md): the parsed values of the engine-basic
 * contracts, one exact problem line for every rule, all problems of a document in document
 * order, the rules between versions, and allocation failure at every step of parsing.
 *
 * JSON in this file is written with ` for " (see J()) so that it stays readable. */
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
#include "contract/contract.h"

#define DAY_US (INT64_C(86400) * 1000000)

#define ACME                                                                                    \
	"{`id`:`acme-leads-2026`,`customer`:`acme`,`currency`:`CNY`,`timezone`:`+08:00`,"       \
	"`period`:`month`,`start`:`2026-01-01`,`end`:`2027-01-01`,`lock_after`:`5d`,"           \
	"`corrections_within`:`90d`,`dispute_within`:`14d`,`results`:[{`name`:`qualified_"      \
	"lead`,`on`:`lead.created`,`where`:`source == 'vendor' && score >= 60`,`entity`:`lead_" \
	"id`,`hold`:`14d`,`reversed_by`:{`on`:`lead.rejected`},`price`:{`model`:`graduated`,"   \
	"`tiers`:[{`up_to`:100,`amount`:`50.00`},{`up_to`:500,`amount`:`40.00`},{`up_to`:"      \
	"null,`amount`:`30.00`}]}}],`fees`:[{`name`:`platform`,`amount`:`500.00`}],`minimum`:"  \
	"`1000.00`,`cap`:`20000.00`}"

#define HIRECO                                                                                 \
	"{`id`:`hireco-2026`,`customer`:`hireco`,`currency`:`USD`,`period`:`month`,`start`:"   \
	"`2026-01-01`,`lock_after`:`0d`,`corrections_within`:`90d`,`results`:[{`name`:`hire`," \
	"`on`:`hire.started`,`entity`:`candidate_id`,`hold`:`0s`,`clawback_within`:`90d`,"     \
	"`reversed_by`:{`on`:`employee.left`},`price`:{`model`:`unit`,`amount`:`3000.00`}}]}"

/* Returns text with every ` turned into " (one of a few rotating static buffers). */
static const char *J(const char *text)
{
	static char bufs[4][65536];
	static int next;
	char *out = bufs[next++ % 4];
	size_t n = strlen(text);

	assert_true(n < sizeof bufs[0]);
	for (size_t i = 0; i <= n; i++)
		out[i] = text[i] == '`' ? '"' : text[i];
	return out;
}

/* ---- a document builder: a small valid contract with fields replaced, added, removed ---- */

struct member {
	const char *key;
	const char *value; /* JSON, with ` for " */
};

static const struct member base_top[] = {
        {"id", "`c1`"},        {"customer", "`acme`"},    {"currency", "`USD`"},
        {"period", "`month`"}, {"start", "`2026-01-01`"}, {"results", NULL}, /* RESULT */
};
static const struct member base_result[] = {
        {"name", "`lead`"},
        {"on", "`lead.created`"},
        {"entity", "`lead_id`"},
        {"price", "{`model`:`unit`,`amount`:`10.00`}"},
};

#define NBASE_TOP (sizeof base_top / sizeof base_top[0])
#define NBASE_RESULT (sizeof base_result / sizeof base_result[0])

static void put(char *buf, size_t cap, size_t *n, const char *fmt, ...) RAAS_PRINTF(4, 5);
static void put(char *buf, size_t cap, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int w;

	va_start(ap, fmt);
	w = vsnprintf(buf + *n, cap - *n, fmt, ap);
	va_end(ap);
	assert_true(w >= 0 && (size_t)w < cap - *n);
	*n += (size_t)w;
}

/* Writes the members of base (n of them) with the overrides whose key starts with prefix
 * ("" for the top level, "r." for the result): a listed key replaces the base member in
 * place (value NULL removes it), an unlisted one is appended. */
static void put_object(char *buf, size_t cap, size_t *n, const struct member *base, size_t nb,
                       const char *const *over, const char *prefix, const char *result)
{
	size_t plen = strlen(prefix);
	int first = 1;

	put(buf, cap, n, "{");
	for (size_t i = 0; i < nb; i++) {
		const char *value = base[i].value ? base[i].value : result;
		for (size_t k = 0; over[k]; k += 2) {
			if (!strncmp(over[k], prefix, plen) && !strcmp(over[k] + plen, base[i].key))
				value = over[k + 1];
		}
		if (!value)
			continue;
		put(buf, cap, n, "%s`%s`:%s", first ? "" : ",", base[i].key, value);
		first = 0;
	}
	for (size_t k = 0; over[k]; k += 2) {
		int known = 0;
		if (strncmp(over[k], prefix, plen) || (!plen && !strncmp(over[k], "r.", 2)))
			continue;
		for (size_t i = 0; i < nb; i++)
			known |= !strcmp(over[k] + plen, base[i].key);
		if (!known && over[k + 1]) {
			put(buf, cap, n, "%s`%s`:%s", first ? "" : ",", over[k] + plen,
			    over[k + 1]);
			first = 0;
		}
	}
	put(buf, cap, n, "}");
}

/* The base contract with overrides: pairs of key and JSON value, NULL-terminated. */
static const char *build(const char *const *over)
{
	char result[8192], doc[16384];
	size_t n = 0, m = 0;

	put(result, sizeof result, &m, "[");
	put_object(result, sizeof result, &m, base_result, NBASE_RESULT, over, "r.", NULL);
	put(result, sizeof result, &m, "]");
	put_object(doc, sizeof doc, &n, base_top, NBASE_TOP, over, "", result);
	return J(doc);
}

#define DOC(...) build((const char *const[]){__VA_ARGS__, NULL})

/* ---- helpers ---- */

static struct raas_contract *parse_ok(const char *text)
{
	struct raas_problems problems = {0};
	struct raas_contract *c = NULL;
	raas_rc rc = raas_contract_parse(text, strlen(text), &c, &problems);

	if (rc != RAAS_OK) {
		raas_problems_print(stderr, &problems);
		fprintf(stderr, "document: %s\n", text);
	}
	assert_int_equal(rc, RAAS_OK);
	assert_int_equal(problems.count, 0);
	assert_non_null(c);
	raas_problems_free(&problems);
	return c;
}

/* Joins problems as "path: message\n" lines (or "message\n" without a path). */
static const char *lines(const struct raas_problems *problems)
{
	static char out[65536];
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < problems->count; i++) {
		const struct raas_problem *p = &problems->items[i];
		if (p->path[0])
			put(out, sizeof out, &n, "%s: %s\n", p->path, p->message);
		else
			put(out, sizeof out, &n, "%s\n", p->message);
	}
	return out;
}

/* The problems of an invalid document of len bytes. */
static const char *problems_of_n(const char *text, size_t len)
{
	struct raas_problems problems = {0};
	struct raas_contract *c = (struct raas_contract *)1;
	const char *out;

	assert_int_equal(raas_contract_parse(text, len, &c, &problems), RAAS_E_INPUT);
	assert_null(c);
	assert_true(problems.count > 0);
	out = lines(&problems);
	raas_problems_free(&problems);
	return out;
}

static const char *problems_of(const char *text)
{
	return problems_of_n(text, strlen(text));
}

#define BAD(expected, ...) assert_string_equal(problems_of(DOC(__VA_ARGS__)), expected)

/* The problems check_version finds between two valid documents ("" when none). */
static const char *version_problems(const char *a, const char *b)
{
	struct raas_contract *prev = parse_ok(a), *next = parse_ok(b);
	struct raas_problems problems = {0};
	const char *out;
	raas_rc rc = raas_contract_check_version(prev, next, &problems);

	assert_int_equal(rc, problems.count ? RAAS_E_INPUT : RAAS_OK);
	out = lines(&problems);
	raas_problems_free(&problems);
	raas_contract_free(prev);
	raas_contract_free(next);
	return out;
}

static int same_document(const char *a, const char *b)
{
	struct raas_contract *x = parse_ok(a), *y = parse_ok(b);
	int same = raas_contract_same_document(x, y);

	raas_contract_free(x);
	raas_contract_free(y);
	return same;
}

static const char *dec_text(struct raas_dec d)
{
	static char buf[RAAS_DEC_FORMAT_MAX];

	raas_dec_format(d, buf);
	return buf;
}

static const struct raas_json *props(struct raas_arena *arena, const char *text)
{
	struct raas_json *doc = NULL;
	struct raas_err err;

	assert_int_equal(raas_json_parse(arena, text, strlen(text), NULL, &doc, &err), RAAS_OK);
	return doc;
}

/* ---- parsed values ---- */

static void acme_values(void **state)
{
	struct raas_contract *c = parse_ok(J(ACME));
	const struct raas_result_def *r;
	struct raas_arena arena;

	(void)state;
	assert_string_equal(c->id, "acme-leads-2026");
	assert_string_equal(c->customer, "acme");
	assert_string_equal(c->currency, "CNY");
	assert_int_equal(c->exponent, 2);
	assert_int_equal(c->tz_offset_min, 480);
	assert_int_equal(c->period, RAAS_PERIOD_MONTH);
	assert_int_equal(c->start_day, 20454); /* 2026-01-01 */
	assert_int_equal(c->start_us, 20454 * DAY_US - INT64_C(480) * 60 * 1000000);
	assert_true(c->has_end);
	assert_int_equal(c->end_day, 20819); /* 2027-01-01 */
	assert_int_equal(c->end_us, 20819 * DAY_US - INT64_C(480) * 60 * 1000000);
	assert_int_equal(c->lock_after_us, 5 * DAY_US);
	assert_int_equal(c->lock_after_us, INT64_C(432000000000));
	assert_int_equal(c->corrections_within_us, 90 * DAY_US);
	assert_int_equal(c->dispute_within_us, 14 * DAY_US);
	assert_int_equal(c->resolve_within_us, 30 * DAY_US);
	assert_int_equal(c->dispute_default, RAAS_DISPUTE_VOIDED);
	assert_int_equal(c->nresults, 1);
	r = &c->results[0];
	assert_string_equal(r->name, "qualified_lead");
	assert_string_equal(r->on, "lead.created");
	assert_string_equal(r->where_text, "source == 'vendor' && score >= 60");
	assert_non_null(r->where);
	assert_true(r->has_entity);
	assert_string_equal(r->entity.text, "lead_id");
	assert_int_equal(r->entity.len, 7);
	assert_false(r->has_value);
	assert_int_equal(r->hold_us, 14 * DAY_US);
	assert_false(r->has_clawback);
	assert_true(r->reversed_by.present);
	assert_string_equal(r->reversed_by.on, "lead.rejected");
	assert_null(r->reversed_by.where);
	assert_null(r->reversed_by.where_text);
	assert_int_equal(r->reversed_by.within_us, 0);
	assert_false(r->requires.present);
	assert_int_equal(r->price.model, RAAS_PRICE_GRADUATED);
	assert_int_equal(r->price.measure, RAAS_MEASURE_COUNT);
	assert_int_equal(r->price.ntiers, 3);
	assert_string_equal(dec_text(r->price.tiers[0].up_to), "100");
	assert_string_equal(dec_text(r->price.tiers[1].amount), "40");
	assert_true(r->price.tiers[2].unbounded);
	assert_int_equal(c->nfees, 1);
	assert_string_equal(c->fees[0].name, "platform");
	assert_string_equal(dec_text(c->fees[0].amount), "500");
	assert_true(c->has_minimum);
	assert_string_equal(dec_text(c->minimum), "1000");
	assert_true(c->has_cap);
	assert_string_equal(dec_text(c->cap), "20000");

	raas_arena_init(&arena, 0);
	assert_true(
	        raas_expr_eval(r->where, props(&arena, "{\"source\":\"vendor\",\"score\":60}")));
	assert_false(
	        raas_expr_eval(r->where, props(&arena, "{\"source\":\"vendor\",\"score\":59}")));
	raas_arena_free(&arena);

	assert_true(raas_contract_names_type(c, "lead.created", 12));
	assert_true(raas_contract_names_type(c, "lead.rejected", 13));
	assert_false(raas_contract_names_type(c, "lead.create", 11));
	assert_false(raas_contract_names_type(c, "lead.createdx", 13));
	assert_false(raas_contract_names_type(c, "hire.started", 12));
	raas_contract_free(c);
}

static void hireco_values_and_defaults(void **state)
{
	struct raas_contract *c = parse_ok(J(HIRECO));
	const struct raas_result_def *r = &c->results[0];

	(void)state;
	assert_string_equal(c->id, "hireco-2026");
	assert_string_equal(c->customer, "hireco");
	assert_string_equal(c->currency, "USD");
	assert_int_equal(c->exponent, 2);
	assert_int_equal(c->tz_offset_min, 0); /* default "Z" */
	assert_int_equal(c->start_us, 20454 * DAY_US);
	assert_false(c->has_end);
	assert_int_equal(c->lock_after_us, 0);
	assert_int_equal(c->corrections_within_us, 90 * DAY_US);
	assert_int_equal(c->dispute_within_us, 14 * DAY_US); /* default */
	assert_int_equal(c->resolve_within_us, 30 * DAY_US); /* default */
	assert_int_equal(c->dispute_default, RAAS_DISPUTE_VOIDED);
	assert_int_equal(c->nresults, 1);
	assert_string_equal(r->name, "hire");
	assert_null(r->where);
	assert_null(r->where_text);
	assert_string_equal(r->entity.text, "candidate_id");
	assert_int_equal(r->hold_us, 0);
	assert_true(r->has_clawback);
	assert_int_equal(r->clawback_us, 90 * DAY_US);
	assert_string_equal(r->reversed_by.on, "employee.left");
	assert_int_equal(r->price.model, RAAS_PRICE_UNIT);
	assert_string_equal(dec_text(r->price.amount), "3000");
	assert_int_equal(c->nfees, 0);
	assert_null(c->fees);
	assert_false(c->has_minimum);
	assert_false(c->has_cap);
	assert_true(raas_contract_names_type(c, "employee.left", 13));
	raas_contract_free(c);

	/* every other default, and the optional fields set */
	c = parse_ok(DOC("dispute_default", "`upheld`", "timezone", "`-09:30`", "end",
	                 "`2026-02-01`", "r.value", "`deal.amount`", "r.where", "`exists(x)`",
	                 "r.requires", "{`on`:`click`,`within`:`36h`,`where`:`a == 1`}", "r.hold",
	                 "`30m`"));
	r = &c->results[0];
	assert_int_equal(c->dispute_default, RAAS_DISPUTE_UPHELD);
	assert_int_equal(c->tz_offset_min, -570);
	assert_int_equal(c->start_us, 20454 * DAY_US + INT64_C(570) * 60 * 1000000);
	assert_int_equal(c->end_us, 20485 * DAY_US + INT64_C(570) * 60 * 1000000);
	assert_true(r->has_value);
	assert_string_equal(r->value.text, "deal.amount");
	assert_int_equal(r->value.len, 11);
	assert_int_equal(r->hold_us, INT64_C(30) * 60 * 1000000);
	assert_false(r->reversed_by.present);
	assert_true(r->requires.present);
	assert_string_equal(r->requires.on, "click");
	assert_int_equal(r->requires.within_us, INT64_C(36) * 3600 * 1000000);
	assert_string_equal(r->requires.where_text, "a == 1");
	assert_non_null(r->requires.where);
	assert_true(raas_contract_names_type(c, "click", 5));
	raas_contract_free(c);
}

static void currencies(void **state)
{
	struct raas_contract *c;

	(void)state;
	c = parse_ok(DOC("currency", "`JPY`"));
	assert_int_equal(c->exponent, 0);
	raas_contract_free(c);
	c = parse_ok(DOC("currency", "`KWD`"));
	assert_int_equal(c->exponent, 3);
	raas_contract_free(c);
	c = parse_ok(DOC("currency", "`XAU`", "currency_exponent", "4"));
	assert_string_equal(c->currency, "XAU");
	assert_int_equal(c->exponent, 4);
	raas_contract_free(c);
	c = parse_ok(DOC("currency", "`ZZZ`", "currency_exponent", "0"));
	assert_int_equal(c->exponent, 0);
	raas_contract_free(c);
	/* currency_exponent wins over the table, and is read by exact value */
	c = parse_ok(DOC("currency_exponent", "6"));
	assert_int_equal(c->exponent, 6);
	raas_contract_free(c);
	c = parse_ok(DOC("currency_exponent", "3.0"));
	assert_int_equal(c->exponent, 3);
	raas_contract_free(c);
	c = parse_ok(DOC("currency_exponent", "1e0"));
	assert_int_equal(c->exponent, 1);
	raas_contract_free(c);
}

/* ---- one problem per rule ---- */

#define TEXT_RULE "(expected 1 to 128 bytes of A-Z a-z 0-9 . _ : -)"
#define NAME_RULE "(expected 1 to 64 bytes of a-z 0-9 _)"
#define NOT_DURATION                                                                         \
	"not a duration: expected a non-negative integer and a unit d, h, m or s (\"90d\", " \
	"\"36h\", \"30m\", \"45s\")"

static char long_text[300];

/* A JSON string value (with `) of n copies of ch. */
static const char *repeat(char ch, size_t n)
{
	assert_true(n + 3 < sizeof long_text);
	long_text[0] = '`';
	memset(long_text + 1, ch, n);
	long_text[n + 1] = '`';
	long_text[n + 2] = '\0';
	return long_text;
}

static void top_level_rules(void **state)
{
	struct raas_contract *c;

	(void)state;
	BAD("id: required: the contract's id (1 to 128 bytes of A-Z a-z 0-9 . _ : -)\n", "id",
	    NULL);
	BAD("id: must be a string of 1 to 128 bytes of A-Z a-z 0-9 . _ : -, not a number\n", "id",
	    "7");
	BAD("id: \"a/b\": character '/' at byte 2 is not allowed " TEXT_RULE "\n", "id", "`a/b`");
	BAD("id: is 129 bytes long " TEXT_RULE "\n", "id", repeat('a', 129));
	c = parse_ok(DOC("id", repeat('A', 128)));
	assert_int_equal(strlen(c->id), 128);
	raas_contract_free(c);
	c = parse_ok(DOC("id", "`A.z_0:9-`", "customer", "`x.Y_1:2-z`"));
	raas_contract_free(c);

	BAD("customer: required: the customer id its events carry\n", "customer", NULL);
	BAD("customer: must not be empty (1 to 128 bytes of A-Z a-z 0-9 . _ : -)\n", "customer",
	    "``");
	BAD("customer: \"ac me\": character ' ' at byte 3 is not allowed " TEXT_RULE "\n",
	    "customer", "`ac me`");
	BAD("customer: \"\\u0000\": byte 0x00 at byte 1 is not allowed " TEXT_RULE "\n", "customer",
	    "`\\u0000`");
	BAD("customer: is 129 bytes long " TEXT_RULE "\n", "customer", repeat('c', 129));

	BAD("currency: required: an ISO 4217 code such as \"USD\"\n", "currency", NULL);
	BAD("currency: \"usd\" is not three upper-case letters (an ISO 4217 code such as "
	    "\"USD\")\n",
	    "currency", "`usd`");
	BAD("currency: \"USDT\" is not three upper-case letters (an ISO 4217 code such as "
	    "\"USD\")\n",
	    "currency", "`USDT`");
	BAD("currency: must be a string of three upper-case letters (an ISO 4217 code such as "
	    "\"USD\"), not null\n",
	    "currency", "null");
	BAD("currency: \"ABC\" is not a currency raas knows: add \"currency_exponent\" (0 to 6) "
	    "to say how many decimals its amounts have\n",
	    "currency", "`ABC`");
	BAD("currency: \"XAU\" has no minor unit: add \"currency_exponent\" (0 to 6) to say how "
	    "many decimals its amounts have\n",
	    "currency", "`XAU`");
	BAD("currency_exponent: must be a whole number from 0 to 6 (got 7)\n", "currency_exponent",
	    "7");
	BAD("currency_exponent: must be a whole number from 0 to 6 (got -1)\n", "currency_exponent",
	    "-1");
	BAD("currency_exponent: must be a whole number from 0 to 6 (got 1.5)\n",
	    "currency_exponent", "1.5");
	BAD("currency_exponent: must be a whole number from 0 to 6 (got 1e99999)\n",
	    "currency_exponent", "1e99999");
	BAD("currency_exponent: must be a whole number from 0 to 6 (a JSON number), not a "
	    "string\n",
	    "currency_exponent", "`2`");
	/* an invalid exponent is the only problem, not also the currency that needs it */
	BAD("currency_exponent: must be a whole number from 0 to 6 (got 9)\n", "currency", "`XAU`",
	    "currency_exponent", "9");

	BAD("timezone: \"+8\": not a time zone: expected \"Z\" or a fixed offset \"+HH:MM\" / "
	    "\"-HH:MM\"\n",
	    "timezone", "`+8`");
	BAD("timezone: must be a string \"Z\" or \"+HH:MM\" / \"-HH:MM\", not a number\n",
	    "timezone", "8");

	BAD("period: required: \"week\", \"month\", \"quarter\" or \"year\"\n", "period", NULL);
	BAD("period: \"monthly\": unknown period: expected \"week\", \"month\", \"quarter\" or "
	    "\"year\"\n",
	    "period", "`monthly`");
	BAD("period: must be a string \"week\", \"month\", \"quarter\" or \"year\", not a list\n",
	    "period", "[]");

	BAD("start: required: the first day of the contract, \"YYYY-MM-DD\"\n", "start", NULL);
	BAD("start: \"2026-1-1\": not a date: expected YYYY-MM-DD\n", "start", "`2026-1-1`");
	BAD("start: \"2026-02-29\": day 29 does not exist in 2026-02\n", "start", "`2026-02-29`");
	BAD("start: must be a date string \"YYYY-MM-DD\", not a number\n", "start", "20260101");
	BAD("end: must be after start (2026-01-01); end is exclusive\n", "end", "`2026-01-01`");
	BAD("end: must be after start (2026-01-01); end is exclusive\n", "end", "`2025-12-31`");
	BAD("end: \"2027\": not a date: expected YYYY-MM-DD\n", "end", "`2027`");
	/* end before start, whatever their order in the document */
	assert_string_equal(
	        problems_of(J("{`end`:`2025-01-01`,`id`:`c`,`customer`:`a`,`currency`:`USD`,"
	                      "`period`:`year`,`start`:`2026-01-01`,`results`:[{`name`:`r`,`on`:"
	                      "`t`,`price`:{`model`:`unit`,`amount`:`1`}}]}")),
	        "end: must be after start (2026-01-01); end is exclusive\n");

	BAD("lock_after: \"5w\": weeks, months and years are not durations: use d, h, m or s\n",
	    "lock_after", "`5w`");
	BAD("lock_after: \"\": " NOT_DURATION "\n", "lock_after", "``");
	BAD("lock_after: \"5\": " NOT_DURATION ": the unit is missing\n", "lock_after", "`5`");
	BAD("lock_after: \"99999999999d\" is too long: at most 3650000d (10000 years)\n",
	    "lock_after", "`99999999999d`");
	BAD("lock_after: \"3650001d\" is too long: at most 3650000d (10000 years)\n", "lock_after",
	    "`3650001d`", "corrections_within", "`3650000d`");
	BAD("corrections_within: must be at least lock_after (5d)\n", "lock_after", "`5d`",
	    "corrections_within", "`4d`");
	BAD("corrections_within: must be at least lock_after (5d)\n", "corrections_within",
	    "`119h`", "lock_after", "`5d`");
	BAD("corrections_within: must be at least lock_after (91d); it is 90d when absent, so "
	    "set it\n",
	    "lock_after", "`91d`");
	c = parse_ok(DOC("lock_after", "`90d`", "corrections_within", "`2160h`"));
	raas_contract_free(c);
	BAD("dispute_within: \"-1d\": " NOT_DURATION "\n", "dispute_within", "`-1d`");
	BAD("dispute_within: must be a duration string such as \"14d\" (units d, h, m, s), not a "
	    "number\n",
	    "dispute_within", "14");
	BAD("resolve_within: must be a duration string such as \"14d\" (units d, h, m, s), not a "
	    "boolean\n",
	    "resolve_within", "true");
	BAD("dispute_default: \"void\": must be \"voided\" or \"upheld\"\n", "dispute_default",
	    "`void`");
	BAD("dispute_default: must be a string \"voided\" or \"upheld\", not null\n",
	    "dispute_default", "null");

	BAD("fees: must be a list of {\"name\", \"amount\"} objects, not an object\n", "fees",
	    "{}");
	BAD("fees[0]: must be an object {\"name\": NAME, \"amount\": AMOUNT}, not a string\n",
	    "fees", "[`platform`]");
	BAD("fees[1].nme: unknown field (did you mean \"name\"?)\n"
	    "fees[1].name: required: the fee's name (1 to 64 bytes of a-z 0-9 _)\n",
	    "fees", "[{`name`:`a`,`amount`:`1`},{`nme`:`b`,`amount`:`1`}]");
	BAD("fees[0].amount: required: the amount charged every period, a decimal string such as "
	    "\"500.00\"\n",
	    "fees", "[{`name`:`a`}]");
	BAD("fees[0].name: \"Platform\": character 'P' at byte 1 is not allowed " NAME_RULE "\n",
	    "fees", "[{`name`:`Platform`,`amount`:`1`}]");
	BAD("fees[0].name: is 65 bytes long " NAME_RULE "\n", "fees",
	    J("[{`name`:`aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa`,"
	      "`amount`:`1`}]"));
	BAD("fees[2].name: repeats fees[0].name \"a\"\n", "fees",
	    "[{`name`:`a`,`amount`:`1`},{`name`:`b`,`amount`:`1`},{`name`:`a`,`amount`:`2`}]");
	BAD("fees[0].amount: \"1e2\" is not an amount: write digits with an optional point and 1 "
	    "to 12 decimals (\"12.50\", \"0.000125\"), no sign or exponent\n",
	    "fees", "[{`name`:`a`,`amount`:`1e2`}]");
	BAD("fees[0].amount: must be a decimal string such as \"12.50\", not a number\n", "fees",
	    "[{`name`:`a`,`amount`:1}]");
	/* a fee may share a result's name: invoice lines carry their type */
	c = parse_ok(DOC("fees", "[{`name`:`lead`,`amount`:`0`}]"));
	assert_int_equal(c->nfees, 1);
	raas_contract_free(c);

	BAD("minimum: \".5\" is not an amount: write digits with an optional point and 1 to 12 "
	    "decimals (\"12.50\", \"0.000125\"), no sign or exponent\n",
	    "minimum", "`.5`");
	BAD("minimum: must be a decimal string such as \"12.50\", not a number\n", "minimum", "5");
	BAD("cap: \"100000000000000000000000000\" is out of range (must be below 10^26)\n", "cap",
	    "`100000000000000000000000000`");
	BAD("cap: must be at least minimum (\"100.00\")\n", "minimum", "`100.00`", "cap",
	    "`99.99`");
	c = parse_ok(DOC("minimum", "`100.00`", "cap", "`100`"));
	raas_contract_free(c);

	BAD("clawback_whithin: unknown field\n", "clawback_whithin", "`30d`");
	BAD("currancy: unknown field (did you mean \"currency\"?)\n", "currancy", "`USD`");
	BAD("\\u0000x: unknown field\n", "\\u0000x", "1");
}

static void document_rules(void **state)
{
	static char big[RAAS_CONTRACT_MAX_BYTES + 2];

	(void)state;
	assert_string_equal(problems_of(""), "line 1, column 1: expected a value\n");
	assert_string_equal(problems_of("{\"id\": \"x\",\n  \"customer\" 1}"),
	                    "line 2, column 14: expected ':'\n");
	assert_string_equal(problems_of("{\"id\":\"x\",\"id\":\"y\"}"),
	                    "line 1, column 11: repeated key \"id\"\n");
	assert_string_equal(problems_of("[]"), "a contract must be a JSON object {\"id\": ..., "
	                                       "\"results\": [...], ...}, not a list\n");
	assert_string_equal(problems_of("\"x\""), "a contract must be a JSON object {\"id\": ..., "
	                                          "\"results\": [...], ...}, not a string\n");

	/* exactly 1 MiB is read (and here found to be a wrong document); one byte more is not */
	memset(big, ' ', sizeof big);
	big[0] = '7';
	assert_string_equal(problems_of_n(big, RAAS_CONTRACT_MAX_BYTES),
	                    "a contract must be a JSON object {\"id\": ..., \"results\": [...], "
	                    "...}, not a number\n");
	assert_string_equal(problems_of_n(big, RAAS_CONTRACT_MAX_BYTES + 1),
	                    "the document is 1048577 bytes; a contract is at most 1048576 bytes "
	                    "(1 MiB)\n");
}

static void result_rules(void **state)
{
	struct raas_contract *c;

	(void)state;
	BAD("results: required: a list of 1 to 64 result definitions\n", "results", NULL);
	BAD("results: must be a list of 1 to 64 result definitions, not an object\n", "results",
	    "{}");
	BAD("results: must hold 1 to 64 result definitions (got 0)\n", "results", "[]");
	BAD("results[0]: must be an object (a result definition with name, on and price), not "
	    "a string\n",
	    "results", "[`lead`]");

	BAD("results[0].name: required: the result's name (1 to 64 bytes of a-z 0-9 _)\n", "r.name",
	    NULL);
	BAD("results[0].name: \"Lead\": character 'L' at byte 1 is not allowed " NAME_RULE "\n",
	    "r.name", "`Lead`");
	BAD("results[0].name: \"a:b\": character ':' at byte 2 is not allowed " NAME_RULE "\n",
	    "r.name", "`a:b`");
	BAD("results[0].name: must not be empty (1 to 64 bytes of a-z 0-9 _)\n", "r.name", "``");
	BAD("results[0].name: is 65 bytes long " NAME_RULE "\n", "r.name", repeat('n', 65));
	c = parse_ok(DOC("r.name", repeat('n', 64)));
	raas_contract_free(c);
	BAD("results[0].name: must be a string of 1 to 64 bytes of a-z 0-9 _, not a number\n",
	    "r.name", "1");
	assert_string_equal(
	        problems_of(DOC("results", "[{`name`:`a`,`on`:`t`,`price`:{`model`:`unit`,`amount`:"
	                                   "`1`}},{`name`:`x`,`on`:`t`,`price`:{`model`:`unit`,"
	                                   "`amount`:`1`}},{`name`:`b`,`on`:`t`,`price`:{`model`:"
	                                   "`unit`,`amount`:`1`}},{`name`:`x`,`on`:`t`,`price`:{"
	                                   "`model`:`unit`,`amount`:`1`}}]")),
	        "results[3].name: repeats results[1].name \"x\"\n");

	BAD("results[0].on: required: the event type that achieves the result\n", "r.on", NULL);
	BAD("results[0].on: \"lead created\": character ' ' at byte 5 is not allowed " TEXT_RULE
	    "\n",
	    "r.on", "`lead created`");
	BAD("results[0].on: must be a string of 1 to 128 bytes of A-Z a-z 0-9 . _ : -, not an "
	    "object\n",
	    "r.on", "{}");
	BAD("results[0].on: is 129 bytes long " TEXT_RULE "\n", "r.on", repeat('e', 129));

	BAD("results[0].where: column 10: expected a property path or a literal after '==', found "
	    "the end of the "
	    "expression\n",
	    "r.where", "`source ==`");
	BAD("results[0].where: column 1: empty expression\n", "r.where", "``");
	BAD("results[0].where: must be a string holding an expression such as \"score >= 60\", "
	    "not a boolean\n",
	    "r.where", "true");

	BAD("results[0].entity: \"a..b\" is not a property path: a segment is empty (expected "
	    "segments of A-Z a-z 0-9 _ joined by '.')\n",
	    "r.entity", "`a..b`");
	BAD("results[0].entity: \".a\" is not a property path: a segment is empty (expected "
	    "segments of A-Z a-z 0-9 _ joined by '.')\n",
	    "r.entity", "`.a`");
	BAD("results[0].entity: \"a.\" is not a property path: a segment is empty (expected "
	    "segments of A-Z a-z 0-9 _ joined by '.')\n",
	    "r.entity", "`a.`");
	BAD("results[0].entity: \"\" is not a property path: a segment is empty (expected "
	    "segments of A-Z a-z 0-9 _ joined by '.')\n",
	    "r.entity", "``");
	BAD("results[0].entity: \"lead-id\" is not a property path: character '-' at byte 5 is "
	    "not allowed (expected segments of A-Z a-z 0-9 _ joined by '.')\n",
	    "r.entity", "`lead-id`");
	BAD("results[0].entity: must be a property path string such as \"lead_id\" or "
	    "\"utm.campaign\", not a number\n",
	    "r.entity", "5");
	BAD("results[0].value: \"deal amount\" is not a property path: character ' ' at byte 5 "
	    "is not allowed (expected segments of A-Z a-z 0-9 _ joined by '.')\n",
	    "r.value", "`deal amount`");
	c = parse_ok(DOC("r.entity", "`Lead_ID.x9._`"));
	assert_string_equal(c->results[0].entity.text, "Lead_ID.x9._");
	raas_contract_free(c);

	BAD("results[0].hold: \"14\": " NOT_DURATION ": the unit is missing\n", "r.hold", "`14`");
	BAD("results[0].hold: must be a duration string such as \"14d\" (units d, h, m, s), not a "
	    "number\n",
	    "r.hold", "14");

	BAD("results[0].reversed_by: must be an object {\"on\": TYPE, \"where\": EXPR}, not a "
	    "string\n",
	    "r.reversed_by", "`lead.rejected`");
	BAD("results[0].reversed_by.onn: unknown field (did you mean \"on\"?)\n"
	    "results[0].reversed_by.on: required: the event type that reverses the result\n",
	    "r.reversed_by", "{`onn`:`x`}");
	BAD("results[0].reversed_by.within: unknown field\n", "r.reversed_by",
	    "{`on`:`x`,`within`:`1d`}");
	BAD("results[0].reversed_by: requires entity: a reversal event is matched to its result "
	    "by the entity value\n",
	    "r.entity", NULL, "r.reversed_by", "{`on`:`x`}");
	BAD("results[0].reversed_by.on: \"a b\": character ' ' at byte 2 is not allowed " TEXT_RULE
	    "\n",
	    "r.reversed_by", "{`on`:`a b`}");
	BAD("results[0].reversed_by.where: column 1: a bare property path is not a condition "
	    "(write exists(ok) or ok == true)\n",
	    "r.reversed_by", "{`on`:`x`,`where`:`ok`}");

	BAD("results[0].clawback_within: requires reversed_by: without it nothing can claw a "
	    "result back\n",
	    "r.clawback_within", "`30d`");
	BAD("results[0].clawback_within: must be longer than hold (14d)\n", "r.hold", "`14d`",
	    "r.reversed_by", "{`on`:`x`}", "r.clawback_within", "`336h`");
	BAD("results[0].clawback_within: must be longer than hold (14d)\n", "r.clawback_within",
	    "`1d`", "r.reversed_by", "{`on`:`x`}", "r.hold", "`14d`");
	BAD("results[0].clawback_within: must be longer than hold (0s)\n", "r.clawback_within",
	    "`0d`", "r.reversed_by", "{`on`:`x`}");
	c = parse_ok(DOC("r.hold", "`14d`", "r.reversed_by", "{`on`:`x`}", "r.clawback_within",
	                 "`20161m`"));
	assert_int_equal(c->results[0].clawback_us, INT64_C(20161) * 60 * 1000000);
	raas_contract_free(c);

	BAD("results[0].requires: must be an object {\"on\": TYPE, \"within\": DURATION, "
	    "\"where\": EXPR}, not a list\n",
	    "r.requires", "[]");
	BAD("results[0].requires.within: required: how long before the result the attribution "
	    "event may be, a duration such as \"30d\"\n",
	    "r.requires", "{`on`:`click`}");
	BAD("results[0].requires.on: required: the event type that attributes the result\n",
	    "r.requires", "{`within`:`1d`}");
	BAD("results[0].requires.within: \"1 d\": " NOT_DURATION "\n", "r.requires",
	    "{`on`:`click`,`within`:`1 d`}");
	BAD("results[0].requires: requires entity: an attribution event is matched to its "
	    "result by the entity value\n",
	    "r.entity", NULL, "r.requires", "{`on`:`click`,`within`:`1d`}");
	BAD("results[0].requires.where: column 5: expected a property path or a literal after "
	    "'>=', found the end of "
	    "the expression\n",
	    "r.requires", "{`on`:`click`,`within`:`0s`,`where`:`a >=`}");
	BAD("results[0].requires.whre: unknown field (did you mean \"where\"?)\n", "r.requires",
	    "{`on`:`click`,`within`:`0s`,`whre`:`a`}");

	BAD("results[0].price: required: the result's price, such as "
	    "{\"model\":\"unit\",\"amount\":\"10.00\"}\n",
	    "r.price", NULL);
	BAD("results[0].price.amount: required (a decimal string such as \"12.50\")\n", "r.price",
	    "{`model`:`unit`}");
	BAD("results[0].price.tiers[1].up_to: must be greater than tiers[0].up_to (5)\n", "r.price",
	    "{`model`:`volume`,`tiers`:[{`up_to`:5,`amount`:`1`},{`up_to`:5,`amount`:`1`},{`up_"
	    "to`:null,`amount`:`1`}]}");
	BAD("results[0].value: required by measure \"value\": the property path that holds each "
	    "result's value\n",
	    "r.price", "{`model`:`unit`,`measure`:`value`,`amount`:`1`}");
	BAD("results[0].value: required by the percentage model: the property path that holds "
	    "each result's value\n",
	    "r.price", "{`model`:`percentage`,`rate`:`0.1`}");
	c = parse_ok(DOC("r.value", "`amount`", "r.price", "{`model`:`percentage`,`rate`:`0.1`}"));
	assert_int_equal(c->results[0].price.model, RAAS_PRICE_PERCENTAGE);
	raas_contract_free(c);

	BAD("results[0].colour: unknown field\n", "r.colour", "`red`");
	BAD("results[0].clawback_whithin: unknown field (did you mean \"clawback_within\"?)\n",
	    "r.clawback_whithin", "`30d`");
}

static void result_count_limits(void **state)
{
	char *doc = malloc(200000);
	size_t n = 0;
	struct raas_contract *c;

	(void)state;
	assert_non_null(doc);
	for (int count = 64; count <= 66; count++) {
		n = 0;
		put(doc, 200000, &n,
		    "{\"id\":\"c\",\"customer\":\"a\",\"currency\":\"USD\","
		    "\"period\":\"month\",\"start\":\"2026-01-01\",\"results\":[");
		for (int i = 0; i < count; i++)
			put(doc, 200000, &n,
			    "%s{\"name\":\"r%d\",\"on\":\"t\",\"where\":\"a == 1\","
			    "\"price\":{\"model\":\"unit\",\"amount\":\"1\"}}",
			    i ? "," : "", i == 65 ? 64 : i);
		put(doc, 200000, &n, "]}");
		if (count == 64) {
			c = parse_ok(doc);
			assert_int_equal(c->nresults, 64);
			assert_string_equal(c->results[63].name, "r63");
			raas_contract_free(c);
		} else if (count == 65) {
			assert_string_equal(
			        problems_of(doc),
			        "results: must hold 1 to 64 result definitions (got 65)\n");
		} else {
			/* definitions past the 64th are still validated */
			assert_string_equal(
			        problems_of(doc),
			        "results: must hold 1 to 64 result definitions (got 66)\n");
		}
	}
	/* a long fee list: repeats are found anywhere in it */
	n = 0;
	put(doc, 200000, &n,
	    "{\"id\":\"c\",\"customer\":\"a\",\"currency\":\"USD\","
	    "\"period\":\"month\",\"start\":\"2026-01-01\",\"results\":[{"
	    "\"name\":\"r\",\"on\":\"t\",\"price\":{\"model\":\"unit\",\"amount\":"
	    "\"1\"}}],\"fees\":[");
	for (int i = 0; i < 300; i++)
		put(doc, 200000, &n, "%s{\"name\":\"f%d\",\"amount\":\"1\"}", i ? "," : "",
		    i == 299 ? 200 : i);
	put(doc, 200000, &n, "]}");
	assert_string_equal(problems_of(doc), "fees[299].name: repeats fees[200].name \"f200\"\n");
	free(doc);
}

/* Every problem of a document, in document order. */
static void many_problems(void **state)
{
	(void)state;
	assert_string_equal(
	        problems_of(
	                J("{`id`:`a b`,`customer`:``,`currency`:`usd`,`currency_exponent`:7,"
	                  "`timezone`:`+8`,`period`:`monthly`,`start`:`2026-02-30`,`end`:`2025-01-"
	                  "01`,"
	                  "`lock_after`:`5w`,`corrections_within`:`1d`,`dispute_within`:3,"
	                  "`resolve_within`:`30d`,`dispute_default`:`maybe`,`results`:["
	                  "{`name`:`Lead`,`on`:`lead created`,`where`:`source == 'vendor' &&`,"
	                  "`entity`:`a..b`,`value`:`x-y`,`hold`:`14d`,`reversed_by`:{`onn`:`x`},"
	                  "`clawback_within`:`10d`,`requires`:{`on`:`t`},`price`:{`model`:"
	                  "`percentage`,`rate`:`0.1`,`min`:`2`,`max`:`1`},`colour`:1},"
	                  "{`name`:`x`,`on`:`e`,`price`:{`model`:`unit`,`amount`:`1`}},"
	                  "{`name`:`x`,`on`:`e`,`reversed_by`:{`on`:`r`},`requires`:{`on`:`a`,"
	                  "`within`:`1d`},`clawback_within`:`1d`,`price`:{`model`:`unit`,`measure`:"
	                  "`value`,`amount`:`1`}},5],"
	                  "`fees`:[{`name`:`p`,`amount`:`1`},{`nme`:`p`,`amount`:1},{`name`:`p`,"
	                  "`amount`:`2`}],`minimum`:`100`,`cap`:`50`,`clawback_whithin`:`3d`,"
	                  "`extra`:null}")),
	        "id: \"a b\": character ' ' at byte 2 is not allowed " TEXT_RULE "\n"
	        "customer: must not be empty (1 to 128 bytes of A-Z a-z 0-9 . _ : -)\n"
	        "currency: \"usd\" is not three upper-case letters (an ISO 4217 code such as "
	        "\"USD\")\n"
	        "currency_exponent: must be a whole number from 0 to 6 (got 7)\n"
	        "timezone: \"+8\": not a time zone: expected \"Z\" or a fixed offset \"+HH:MM\" / "
	        "\"-HH:MM\"\n"
	        "period: \"monthly\": unknown period: expected \"week\", \"month\", \"quarter\" or "
	        "\"year\"\n"
	        "start: \"2026-02-30\": day 30 does not exist in 2026-02\n"
	        "lock_after: \"5w\": weeks, months and years are not durations: use d, h, m or s\n"
	        "dispute_within: must be a duration string such as \"14d\" (units d, h, m, s), not "
	        "a number\n"
	        "dispute_default: \"maybe\": must be \"voided\" or \"upheld\"\n"
	        "results[0].name: \"Lead\": character 'L' at byte 1 is not allowed " NAME_RULE "\n"
	        "results[0].on: \"lead created\": character ' ' at byte 5 is not allowed " TEXT_RULE
	        "\n"
	        "results[0].where: column 22: expected a condition, found the end of the "
	        "expression\n"
	        "results[0].entity: \"a..b\" is not a property path: a segment is empty (expected "
	        "segments of A-Z a-z 0-9 _ joined by '.')\n"
	        "results[0].value: \"x-y\" is not a property path: character '-' at byte 2 is not "
	        "allowed (expected segments of A-Z a-z 0-9 _ joined by '.')\n"
	        "results[0].reversed_by.onn: unknown field (did you mean \"on\"?)\n"
	        "results[0].reversed_by.on: required: the event type that reverses the result\n"
	        "results[0].clawback_within: must be longer than hold (14d)\n"
	        "results[0].requires.within: required: how long before the result the attribution "
	        "event may be, a duration such as \"30d\"\n"
	        "results[0].price.min: must not be greater than max (2 > 1)\n"
	        "results[0].colour: unknown field\n"
	        "results[2].name: repeats results[1].name \"x\"\n"
	        "results[2].reversed_by: requires entity: a reversal event is matched to its "
	        "result "
	        "by the entity value\n"
	        "results[2].requires: requires entity: an attribution event is matched to its "
	        "result by the entity value\n"
	        "results[2].value: required by measure \"value\": the property path that holds "
	        "each "
	        "result's value\n"
	        "results[3]: must be an object (a result definition with name, on and price), not "
	        "a number\n"
	        "fees[1].nme: unknown field (did you mean \"name\"?)\n"
	        "fees[1].amount: must be a decimal string such as \"12.50\", not a number\n"
	        "fees[1].name: required: the fee's name (1 to 64 bytes of a-z 0-9 _)\n"
	        "fees[2].name: repeats fees[0].name \"p\"\n"
	        "cap: must be at least minimum (\"100\")\n"
	        "clawback_whithin: unknown field\n"
	        "extra: unknown field\n");
}

/* A hostile document with thousands of problems keeps the first RAAS_PROBLEMS_MAX. */
static void problem_limit(void **state)
{
	char *doc = malloc(100000);
	struct raas_problems problems = {0};
	struct raas_contract *c = NULL;
	size_t n = 0;

	(void)state;
	assert_non_null(doc);
	put(doc, 100000, &n, "{");
	for (int i = 0; i < 5000; i++)
		put(doc, 100000, &n, "%s\"k%d\":0", i ? "," : "", i);
	put(doc, 100000, &n, "}");
	assert_int_equal(raas_contract_parse(doc, n, &c, &problems), RAAS_E_INPUT);
	assert_null(c);
	assert_int_equal(problems.count, RAAS_PROBLEMS_MAX);
	assert_int_equal(raas_problems_total(&problems), 5006); /* + 6 required fields */
	assert_string_equal(problems.items[0].path, "k0");
	assert_string_equal(problems.items[0].message, "unknown field");
	raas_problems_free(&problems);
	free(doc);
}

/* ---- versions ---- */

#define CANNOT(path, what) \
	path ": cannot change in a new version (" what "); use a new contract id\n"
#define RESULTS_CHANGED                                                                       \
	"results: cannot change in a new version (a result definition changed, and only its " \
	"price may); use a new contract id\n"

static void versions_allowed(void **state)
{
	const char *base =
	        DOC("fees", "[{`name`:`platform`,`amount`:`5`}]", "minimum", "`1`", "cap", "`9`",
	            "end", "`2027-01-01`", "r.price", "{`model`:`unit`,`amount`:`10.00`}");
	static char prev[16384];

	(void)state;
	snprintf(prev, sizeof prev, "%s", base);
	assert_string_equal(version_problems(prev, prev), "");
	assert_true(same_document(prev, prev));
	/* each allowed change alone */
	assert_string_equal(
	        version_problems(prev, DOC("fees", "[{`name`:`platform`,`amount`:`6`}]", "minimum",
	                                   "`1`", "cap", "`9`", "end", "`2027-01-01`")),
	        "");
	assert_string_equal(
	        version_problems(prev, DOC("minimum", "`1`", "cap", "`9`", "end", "`2027-01-01`")),
	        ""); /* fees removed */
	assert_string_equal(
	        version_problems(prev, DOC("fees", "[{`name`:`platform`,`amount`:`5`}]", "minimum",
	                                   "`2`", "cap", "`9`", "end", "`2027-01-01`")),
	        "");
	assert_string_equal(version_problems(prev, DOC("fees", "[{`name`:`platform`,`amount`:`5`}]",
	                                               "cap", "`9`", "end", "`2027-01-01`")),
	                    ""); /* minimum removed */
	assert_string_equal(
	        version_problems(prev, DOC("fees", "[{`name`:`platform`,`amount`:`5`}]", "minimum",
	                                   "`1`", "cap", "`19`", "end", "`2027-01-01`")),
	        "");
	assert_string_equal(
	        version_problems(prev, DOC("fees", "[{`name`:`platform`,`amount`:`5`}]", "minimum",
	                                   "`1`", "cap", "`9`", "end", "`2026-07-01`")),
	        "");
	assert_string_equal(version_problems(prev, DOC("fees", "[{`name`:`platform`,`amount`:`5`}]",
	                                               "minimum", "`1`", "cap", "`9`")),
	                    ""); /* end removed */
	assert_string_equal(
	        version_problems(prev,
	                         DOC("fees", "[{`name`:`platform`,`amount`:`5`}]", "minimum", "`1`",
	                             "cap", "`9`", "end", "`2027-01-01`", "dispute_within", "`7d`",
	                             "resolve_within", "`10d`", "dispute_default", "`upheld`")),
	        "");
	assert_string_equal(
	        version_problems(prev, DOC("fees", "[{`name`:`platform`,`amount`:`5`}]", "minimum",
	                                   "`1`", "cap", "`9`", "end", "`2027-01-01`", "r.price",
	                                   "{`model`:`package`,`size`:10,`amount`:`90`}")),
	        "");
	assert_false(same_document(prev, DOC("fees", "[{`name`:`platform`,`amount`:`5`}]",
	                                     "minimum", "`1`", "cap", "`9`", "end", "`2027-01-01`",
	                                     "dispute_within", "`7d`")));

	/* defaults equal their explicit values */
	assert_string_equal(version_problems(DOC("id", "`c1`"),
	                                     DOC("timezone", "`+00:00`", "lock_after", "`0h`",
	                                         "corrections_within", "`2160h`",
	                                         "currency_exponent", "2", "r.hold", "`0s`")),
	                    "");
	assert_string_equal(version_problems(DOC("timezone", "`Z`", "r.hold", "`0d`"),
	                                     DOC("timezone", "`-00:00`", "r.hold", "`0m`")),
	                    "");
	assert_string_equal(
	        version_problems(DOC("r.where", "`a == 1`"), DOC("r.where", "`a == 1`")), "");
}

static void versions_forbidden(void **state)
{
	static char b[16384];

	(void)state;
	snprintf(b, sizeof b, "%s", DOC("id", "`c1`"));
	assert_string_equal(version_problems(b, DOC("id", "`c2`")), CANNOT("id", "it was \"c1\""));
	assert_string_equal(version_problems(b, DOC("customer", "`beta`")),
	                    CANNOT("customer", "it was \"acme\", now \"beta\""));
	assert_string_equal(version_problems(b, DOC("currency", "`EUR`")),
	                    CANNOT("currency", "it was USD, now EUR"));
	assert_string_equal(version_problems(b, DOC("currency_exponent", "3")),
	                    CANNOT("currency_exponent", "it was 2, now 3"));
	assert_string_equal(version_problems(b, DOC("timezone", "`+05:45`")),
	                    CANNOT("timezone", "it was Z, now +05:45"));
	assert_string_equal(version_problems(b, DOC("period", "`quarter`")),
	                    CANNOT("period", "it was month, now quarter"));
	assert_string_equal(version_problems(b, DOC("start", "`2026-01-02`")),
	                    CANNOT("start", "it was \"2026-01-01\", now \"2026-01-02\""));
	assert_string_equal(version_problems(b, DOC("lock_after", "`36h`")),
	                    CANNOT("lock_after", "it was 0s, now 36h"));
	assert_string_equal(version_problems(b, DOC("corrections_within", "`30d`")),
	                    CANNOT("corrections_within", "it was 90d, now 30d"));

	/* the list of results */
	assert_string_equal(version_problems(b, DOC("r.name", "`lead2`")),
	                    CANNOT("results", "the list of results was [lead], now [lead2]; only "
	                                      "prices may change"));
	assert_string_equal(
	        version_problems(b, DOC("results", "[{`name`:`lead`,`on`:`lead.created`,`entity`:"
	                                           "`lead_id`,`price`:{`model`:`unit`,`amount`:`1`"
	                                           "}},{`name`:`sale`,`on`:`s`,`price`:{`model`:"
	                                           "`unit`,`amount`:`1`}}]")),
	        CANNOT("results", "the list of results was [lead], now [lead, sale]; only prices "
	                          "may change"));

	/* every field of a result definition but its price */
	assert_string_equal(version_problems(b, DOC("r.on", "`lead.made`")),
	                    RESULTS_CHANGED CANNOT("results[0].on", "it was \"lead.created\", now "
	                                                            "\"lead.made\""));
	assert_string_equal(version_problems(b, DOC("r.where", "`a == 1`")),
	                    RESULTS_CHANGED CANNOT("results[0].where", "it was not set, now \"a == "
	                                                               "1\""));
	assert_string_equal(version_problems(DOC("r.where", "`a == 1`"), DOC("r.where", "`a==1`")),
	                    RESULTS_CHANGED CANNOT("results[0].where", "it was \"a == 1\", now "
	                                                               "\"a==1\""));
	assert_string_equal(version_problems(b, DOC("r.entity", "`lead.id`")),
	                    RESULTS_CHANGED CANNOT("results[0].entity", "it was \"lead_id\", now "
	                                                                "\"lead.id\""));
	assert_string_equal(version_problems(b, DOC("r.entity", NULL)),
	                    RESULTS_CHANGED CANNOT("results[0].entity", "it was \"lead_id\", now "
	                                                                "not set"));
	assert_string_equal(version_problems(b, DOC("r.value", "`amount`")),
	                    RESULTS_CHANGED CANNOT("results[0].value", "it was not set, now "
	                                                               "\"amount\""));
	assert_string_equal(version_problems(b, DOC("r.hold", "`7d`")),
	                    RESULTS_CHANGED CANNOT("results[0].hold", "it was 0s, now 7d"));
	assert_string_equal(version_problems(b, DOC("r.reversed_by", "{`on`:`x`}")),
	                    RESULTS_CHANGED CANNOT("results[0].reversed_by", "it was not set, now "
	                                                                     "set"));
	assert_string_equal(
	        version_problems(DOC("r.reversed_by", "{`on`:`x`}"),
	                         DOC("r.reversed_by", "{`on`:`y`,`where`:`a == 1`}")),
	        RESULTS_CHANGED CANNOT("results[0].reversed_by.on", "it was \"x\", now \"y\"")
	                CANNOT("results[0].reversed_by.where", "it was not set, now \"a == 1\""));
	assert_string_equal(
	        version_problems(DOC("r.reversed_by", "{`on`:`x`}", "r.clawback_within", "`30d`"),
	                         DOC("r.reversed_by", "{`on`:`x`}", "r.clawback_within", "`31d`")),
	        RESULTS_CHANGED CANNOT("results[0].clawback_within", "it was 30d, now 31d"));
	assert_string_equal(
	        version_problems(DOC("r.reversed_by", "{`on`:`x`}", "r.clawback_within", "`30d`"),
	                         DOC("r.reversed_by", "{`on`:`x`}")),
	        RESULTS_CHANGED CANNOT("results[0].clawback_within", "it was 30d, now not set"));
	assert_string_equal(version_problems(b, DOC("r.requires", "{`on`:`c`,`within`:`1d`}")),
	                    RESULTS_CHANGED CANNOT("results[0].requires", "it was not set, now "
	                                                                  "set"));
	assert_string_equal(
	        version_problems(DOC("r.requires", "{`on`:`c`,`within`:`1d`}"),
	                         DOC("r.requires", "{`on`:`d`,`within`:`2d`,`where`:"
	                                           "`exists(x)`}")),
	        RESULTS_CHANGED CANNOT("results[0].requires.on", "it was \"c\", now \"d\"")
	                CANNOT("results[0].requires.within", "it was 1d, now 2d") CANNOT(
	                        "results[0].requires.where", "it was not set, now \"exists(x)\""));

	/* several at once, each named, in order */
	assert_string_equal(version_problems(b, DOC("customer", "`beta`", "timezone", "`+01:00`",
	                                            "r.hold", "`1h`", "dispute_within", "`1d`")),
	                    CANNOT("customer", "it was \"acme\", now \"beta\"") CANNOT(
	                            "timezone", "it was Z, now +01:00")
	                            RESULTS_CHANGED CANNOT("results[0].hold", "it was 0s, now 1h"));
}

/* The engine-basic vectors: steps 0-2 and 16-19 as far as the contract module decides them. */
static void engine_basic_vectors(void **state)
{
	const char *dir = getenv("RAAS_SHARED_DIR");
	struct raas_arena arena;
	struct raas_json *file = NULL;
	const struct raas_json *steps;
	struct raas_contract *c[20] = {NULL};
	struct raas_err err;
	static char text[1 << 20];
	char path[1024];
	size_t n;
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
	raas_arena_init(&arena, 0);
	assert_int_equal(raas_json_parse(&arena, text, n, NULL, &file, &err), RAAS_OK);
	steps = raas_json_get(file, "steps");
	assert_non_null(steps);
	assert_true(steps->type == RAAS_JSON_ARRAY && steps->len >= 20);
	for (uint32_t i = 0; i < 20; i++) {
		const struct raas_json *doc = raas_json_get(&steps->u.items[i], "doc");
		struct raas_buf b;
		struct raas_problems problems = {0};
		raas_rc rc;

		if (!doc)
			continue;
		raas_buf_init(&b, RAAS_CONTRACT_MAX_BYTES);
		assert_int_equal(raas_json_write(&b, doc), RAAS_OK);
		rc = raas_contract_parse(b.data, b.len, &c[i], &problems);
		raas_buf_free(&b);
		if (i == 2) {
			assert_int_equal(rc, RAAS_E_INPUT);
			assert_string_equal(lines(&problems), "clawback_whithin: unknown field\n");
		} else {
			assert_int_equal(rc, RAAS_OK);
		}
		raas_problems_free(&problems);
	}
	assert_true(same_document(J(ACME), J(ACME)));
	{
		struct raas_contract *acme = parse_ok(J(ACME)), *hireco = parse_ok(J(HIRECO));
		struct raas_problems problems = {0};

		assert_true(raas_contract_same_document(c[0], acme));
		assert_true(raas_contract_same_document(c[1], hireco));
		/* 16: a price change alone is a valid version (--effective is the engine's) */
		assert_int_equal(raas_contract_check_version(c[1], c[16], &problems), RAAS_OK);
		/* 17: the hold changed */
		assert_int_equal(raas_contract_check_version(c[1], c[17], &problems), RAAS_E_INPUT);
		assert_string_equal(lines(&problems),
		                    RESULTS_CHANGED CANNOT("results[0].hold", "it was 0s, now 7d"));
		assert_string_equal(problems.items[0].path, "results");
		assert_non_null(strstr(problems.items[0].message, "cannot change"));
		raas_problems_free(&problems);
		/* 18: the price change; 19: the same document again */
		assert_int_equal(raas_contract_check_version(c[1], c[18], &problems), RAAS_OK);
		assert_false(raas_contract_same_document(c[1], c[18]));
		assert_true(raas_contract_same_document(c[18], c[19]));
		assert_int_equal(problems.count, 0);
		raas_contract_free(acme);
		raas_contract_free(hireco);
	}
	for (int i = 0; i < 20; i++)
		raas_contract_free(c[i]);
	raas_arena_free(&arena);
}

static void same_documents(void **state)
{
	(void)state;
	/* key order, number spelling and string escapes do not matter */
	assert_true(same_document(J("{`id`:`c`,`customer`:`a`,`currency`:`USD`,`period`:`month`,"
	                            "`start`:`2026-01-01`,`results`:[{`name`:`r`,`on`:`t`,`price`:"
	                            "{`model`:`package`,`size`:10,`amount`:`1`}}]}"),
	                          J("{`results`:[{`price`:{`amount`:`1`,`size`:1e1,`model`:"
	                            "`package`},`on`:`t`,`name`:`\\u0072`}],`start`:`2026-01-01`,"
	                            "`period`:`month`,`currency`:`USD`,`customer`:`a`,`id`:`c`}")));
	/* an explicit default is a different document (but the same version, see above) */
	assert_false(same_document(DOC("id", "`c1`"), DOC("lock_after", "`0d`")));
}

/* Every allocation of a parse fails once in turn: RAAS_E_NOMEM each time, nothing leaks. */
static void out_of_memory(void **state)
{
	const char *docs[3];

	(void)state;
	docs[0] = J(ACME);
	docs[1] = DOC("r.requires", "{`on`:`c`,`within`:`1d`,`where`:`a == 1`}", "r.where",
	              "`b in [1, 2]`", "fees",
	              "[{`name`:`a`,`amount`:`1`},{`name`:`b`,`amount`:`2`}]");
	docs[2] = DOC("id", "`a b`", "r.where", "`(`", "fees",
	              "[{`name`:`a`,`amount`:`1`},{`name`"
	              ":`a`,`amount`:`2`}]");
	for (int d = 0; d < 3; d++) {
		const char *text = docs[d];
		long n;
		for (n = 1;; n++) {
			struct raas_problems problems = {0};
			struct raas_contract *c = (struct raas_contract *)1;
			raas_rc rc;

			raas_alloc_fail_at(n);
			rc = raas_contract_parse(text, strlen(text), &c, &problems);
			raas_alloc_fail_at(0);
			raas_problems_free(&problems);
			if (rc != RAAS_E_NOMEM) {
				assert_int_equal(rc, d == 2 ? RAAS_E_INPUT : RAAS_OK);
				raas_contract_free(c);
				break;
			}
			assert_null(c);
			assert_true(n < 5000);
		}
		assert_true(n > 3); /* the loop did fail allocations */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(acme_values),         cmocka_unit_test(hireco_values_and_defaults),
	        cmocka_unit_test(currencies),          cmocka_unit_test(top_level_rules),
	        cmocka_unit_test(document_rules),      cmocka_unit_test(result_rules),
	        cmocka_unit_test(result_count_limits), cmocka_unit_test(many_problems),
	        cmocka_unit_test(problem_limit),       cmocka_unit_test(versions_allowed),
	        cmocka_unit_test(versions_forbidden),  cmocka_unit_test(engine_basic_vectors),
	        cmocka_unit_test(same_documents),      cmocka_unit_test(out_of_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
