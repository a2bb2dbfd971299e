/* test_price.c — the pricing engine: validation with every problem and its path, and exact
 * amounts for every model, boundary and rounding rule (contracts.md "Prices"). The CLI
 * conformance cases (../shared/vectors/price.jsonl) run in tests/integration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/json.h"
#include "contract/price.h"

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

static const struct raas_json *parse(const char *text)
{
	struct raas_json *doc = NULL;
	struct raas_err err;

	assert_int_equal(raas_json_parse(&arena, text, strlen(text), NULL, &doc, &err), RAAS_OK);
	return doc;
}

static struct raas_dec dec(const char *s)
{
	struct raas_dec d;
	struct raas_err err;

	assert_int_equal(raas_dec_parse(s, strlen(s), RAAS_DEC_TEXT, &d, &err), RAAS_OK);
	return d;
}

/* The amount of price for quantity q, formatted; "OVERFLOW" on overflow. */
static const char *amount(const char *price, const char *q)
{
	static char out[RAAS_DEC_FORMAT_MAX];
	struct raas_problems problems = {0};
	struct raas_price p;
	struct raas_dec a;
	raas_rc rc;

	assert_int_equal(raas_price_parse(parse(price), "", &p, &problems), RAAS_OK);
	rc = raas_price_amount(&p, dec(q), &a);
	if (rc == RAAS_E_OVERFLOW)
		return "OVERFLOW";
	assert_int_equal(rc, RAAS_OK);
	raas_dec_format(a, out);
	return out;
}

/* The problems of price, one "path: message" per line. */
static const char *problems_of(const char *price, const char *prefix)
{
	static char out[4096];
	struct raas_problems problems = {0};
	struct raas_price p;
	size_t n = 0;

	assert_int_equal(raas_price_parse(parse(price), prefix, &p, &problems), RAAS_E_INPUT);
	out[0] = '\0';
	for (size_t i = 0; i < problems.count; i++)
		n += (size_t)snprintf(out + n, sizeof out - n, "%s: %s\n", problems.items[i].path,
		                      problems.items[i].message);
	raas_problems_free(&problems);
	return out;
}

#define STRIPE                                                                       \
	"{\"model\":\"%s\",\"tiers\":[{\"up_to\":5,\"amount\":\"7\"},{\"up_to\":10," \
	"\"amount\":\"6.5\"},{\"up_to\":null,\"amount\":\"6\"}]}"

static void tiers(void **state)
{
	char grad[256], vol[256];

	(void)state;
	snprintf(grad, sizeof grad, STRIPE, "graduated");
	snprintf(vol, sizeof vol, STRIPE, "volume");
	assert_string_equal(amount(grad, "0"), "0");
	assert_string_equal(amount(grad, "5"), "35");
	assert_string_equal(amount(grad, "6"), "41.5");
	assert_string_equal(amount(grad, "10"), "67.5");
	assert_string_equal(amount(grad, "20"), "127.5");
	assert_string_equal(amount(grad, "25"), "157.5");
	assert_string_equal(amount(vol, "0"), "0");
	assert_string_equal(amount(vol, "1"), "7");
	assert_string_equal(amount(vol, "5"), "35");
	assert_string_equal(amount(vol, "6"), "39");
	assert_string_equal(amount(vol, "10"), "65");
	assert_string_equal(amount(vol, "11"), "66");
	assert_string_equal(amount(vol, "25"), "150");
	assert_string_equal(amount("{\"model\":\"graduated\",\"tiers\":[{\"up_to\":10,\"amount\":"
	                           "\"50\"},{\"up_to\":20,\"amount\":\"40\"},{\"up_to\":null,"
	                           "\"amount\":\"30\"}]}",
	                           "25"),
	                    "1050");
	/* decimal up_to with measure value: the boundary belongs to the lower tier */
	assert_string_equal(
	        amount("{\"model\":\"volume\",\"measure\":\"value\",\"tiers\":[{\"up_to\":"
	               "2.5,\"amount\":\"10\"},{\"up_to\":null,\"amount\":\"1\"}]}",
	               "2.5"),
	        "25");
	assert_string_equal(
	        amount("{\"model\":\"volume\",\"measure\":\"value\",\"tiers\":[{\"up_to\":"
	               "2.5,\"amount\":\"10\"},{\"up_to\":null,\"amount\":\"1\"}]}",
	               "2.500000000001"),
	        "2.500000000001");
	/* flat only for tiers that hold part of q */
	assert_string_equal(
	        amount("{\"model\":\"graduated\",\"tiers\":[{\"up_to\":5,\"amount\":\"1\","
	               "\"flat\":\"10\"},{\"up_to\":null,\"amount\":\"2\",\"flat\":"
	               "\"100\"}]}",
	               "5"),
	        "15");
	/* each tier's product is rounded to 12 digits on its own */
	assert_string_equal(amount("{\"model\":\"graduated\",\"measure\":\"value\",\"tiers\":[{"
	                           "\"up_to\":0.5,\"amount\":\"0.000000000001\"},{\"up_to\":null,"
	                           "\"amount\":\"0.000000000001\"}]}",
	                           "1"),
	                    "0.000000000002");
}

static void unit_and_package(void **state)
{
	(void)state;
	assert_string_equal(amount("{\"model\":\"unit\",\"amount\":\"12.5\"}", "0"), "0");
	assert_string_equal(amount("{\"model\":\"unit\",\"amount\":\"0.000125\"}", "3"),
	                    "0.000375");
	assert_string_equal(amount("{\"model\":\"unit\",\"amount\":\"1234567.890123456789\","
	                           "\"measure\":\"value\"}",
	                           "12345678901.234567890123"),
	                    "15241578753238836.750342371838");
	assert_string_equal(
	        amount("{\"model\":\"unit\",\"amount\":\"2\"}", "60000000000000000000000000"),
	        "OVERFLOW");
	assert_string_equal(amount("{\"model\":\"package\",\"size\":10,\"amount\":\"100\"}", "121"),
	                    "1300");
	assert_string_equal(amount("{\"model\":\"package\",\"size\":10,\"amount\":\"100\","
	                           "\"free\":10}",
	                           "121"),
	                    "1200");
	assert_string_equal(amount("{\"model\":\"package\",\"size\":10,\"amount\":\"100\","
	                           "\"free\":200}",
	                           "121"),
	                    "0");
	assert_string_equal(amount("{\"model\":\"package\",\"size\":10,\"amount\":\"100\"}", "10"),
	                    "100");
	assert_string_equal(amount("{\"model\":\"package\",\"size\":10,\"amount\":\"100\"}", "11"),
	                    "200");
	assert_string_equal(amount("{\"model\":\"package\",\"size\":4,\"amount\":\"3\","
	                           "\"measure\":\"value\"}",
	                           "8.1"),
	                    "9");
}

static void commission(void **state)
{
	struct raas_problems problems = {0};
	struct raas_price p;
	struct raas_dec c, sum = raas_dec_zero();
	char out[RAAS_DEC_FORMAT_MAX];
	const char *values[] = {"5", "30", "100"};

	(void)state;
	assert_int_equal(
	        raas_price_parse(parse("{\"model\":\"percentage\",\"rate\":\"0.1\",\"min\":"
	                               "\"1\",\"max\":\"5\"}"),
	                         "", &p, &problems),
	        RAAS_OK);
	assert_int_equal(p.measure, RAAS_MEASURE_VALUE);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(raas_price_commission(&p, dec(values[i]), &c), RAAS_OK);
		assert_int_equal(raas_dec_add(sum, c, &sum), RAAS_OK);
	}
	raas_dec_format(sum, out);
	assert_string_equal(out, "9"); /* 1 (min) + 3 + 5 (max) */
	assert_int_equal(raas_price_amount(&p, dec("1"), &c), RAAS_E_INPUT);

	assert_int_equal(raas_price_parse(parse("{\"model\":\"percentage\",\"rate\":"
	                                        "\"0.000000000001\"}"),
	                                  "", &p, &problems),
	                 RAAS_OK);
	assert_int_equal(raas_price_commission(&p, dec("0.5"), &c), RAAS_OK);
	raas_dec_format(c, out);
	assert_string_equal(out, "0.000000000001"); /* 5e-13 rounds half away from zero */
}

static void validation(void **state)
{
	(void)state;
	assert_string_equal(problems_of("[\"unit\"]", ""),
	                    ": a price must be a JSON object such as "
	                    "{\"model\":\"unit\",\"amount\":\"10.00\"}\n");
	assert_string_equal(problems_of("{\"amount\":\"1\"}", "results[0].price"),
	                    "results[0].price.model: required: unit, graduated, volume, package or "
	                    "percentage\n");
	assert_string_equal(
	        problems_of("{\"model\":\"tiered\",\"amont\":\"1\"}", ""),
	        "model: unknown model (expected unit, graduated, volume, package or percentage)\n"
	        "amont: unknown field\n");
	assert_string_equal(problems_of("{\"model\":\"unit\",\"amount\":\"1\",\"size\":3}", ""),
	                    "size: not a field of the unit model\n");
	assert_string_equal(problems_of("{\"model\":\"percentage\",\"measure\":\"count\",\"rate\":"
	                                "\"0.1\",\"min\":\"5\",\"max\":\"1\"}",
	                                ""),
	                    "measure: the percentage model works on values: use \"value\" or "
	                    "leave measure out\n"
	                    "min: must not be greater than max (5 > 1)\n");
	assert_string_equal(
	        problems_of("{\"model\":\"graduated\",\"tiers\":[{\"up_to\":5,\"amount\":\"1\"},"
	                    "{\"up_to\":5,\"amount\":\"2\"},{\"up_to\":2.5,\"amount\":\"1\"},"
	                    "{\"up_to\":null,\"amount\":\"1e2\"},{\"up_to\":7,\"amount\":\"1\"}]}",
	                    "p"),
	        "p.tiers[1].up_to: must be greater than tiers[0].up_to (5)\n"
	        "p.tiers[2].up_to: must be a whole number with measure \"count\" (got 2.5)\n"
	        "p.tiers[3].amount: \"1e2\" is not an amount: write digits with an optional point "
	        "and 1 to 12 decimals (\"12.50\", \"0.000125\"), no sign or exponent\n"
	        "p.tiers[3].up_to: only the last tier may have up_to null\n"
	        "p.tiers[4].up_to: the last tier must have up_to null (unbounded)\n");
	assert_string_equal(problems_of("{\"model\":\"package\",\"amount\":\"1\",\"size\":0,"
	                                "\"free\":-1}",
	                                ""),
	                    "size: must be greater than 0\nfree: must not be negative\n");
	assert_string_equal(problems_of("{\"model\":\"volume\",\"tiers\":[]}", ""),
	                    "tiers: must hold 1 to 64 tiers (got 0)\n");
	assert_string_equal(problems_of("{\"model\":\"volume\"}", ""),
	                    "tiers: required: a list of 1 to 64 tiers\n");
	assert_string_equal(
	        problems_of("{\"model\":\"unit\",\"amount\":\"0.0000000000001\"}", ""),
	        "amount: \"0.0000000000001\" is not an amount: write digits with an "
	        "optional point and 1 to 12 decimals (\"12.50\", \"0.000125\"), no sign "
	        "or exponent\n");
	assert_string_equal(problems_of("{\"model\":\"unit\",\"amount\":"
	                                "\"100000000000000000000000000\"}",
	                                ""),
	                    "amount: \"100000000000000000000000000\" is out of range (must be "
	                    "below 10^26)\n");
}

/* Every allocation failure during validation of a bad price is reported, never a crash. */
static void out_of_memory(void **state)
{
	const struct raas_json *doc =
	        parse("{\"model\":\"graduated\",\"tiers\":[{\"up_to\":0,\"amount\":1},{\"up_to\":"
	              "null}],\"x\":1}");
	struct raas_price p;

	(void)state;
	for (long n = 1;; n++) {
		struct raas_problems problems = {0};
		raas_rc rc;
		raas_alloc_fail_at(n);
		rc = raas_price_parse(doc, "", &p, &problems);
		raas_alloc_fail_at(0);
		raas_problems_free(&problems);
		if (rc == RAAS_E_INPUT)
			break;
		assert_int_equal(rc, RAAS_E_NOMEM);
		assert_true(n < 100);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(tiers),         cmocka_unit_test(unit_and_package),
	        cmocka_unit_test(commission),    cmocka_unit_test(validation),
	        cmocka_unit_test(out_of_memory),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
