/* test_number.c — number.h: plain-form lengths (events.md's 128-character bound), parsing
 * into the normalized exact form, exact comparison, plain formatting (entity text,
 * contracts.md) and conversion to raas_dec. Expected plain forms were checked against
 * Python's format(Decimal(x), 'f'). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/number.h"

static size_t plen(const char *s, enum raas_num_syntax syntax)
{
	return raas_num_plain_length(s, strlen(s), syntax);
}

/* A string of n copies of c after prefix, in buf. */
static const char *repeat(char *buf, const char *prefix, char c, size_t n, const char *suffix)
{
	size_t p = strlen(prefix);

	memcpy(buf, prefix, p);
	memset(buf + p, c, n);
	memcpy(buf + p + n, suffix, strlen(suffix) + 1);
	return buf;
}

static void plain_length_vectors(void **state)
{
	static const struct {
		const char *text;
		size_t len; /* of Python's format(Decimal(text), 'f') */
	} v[] = {
	        {"1e3", 4},      /* 1000 */
	        {"1.50", 4},     /* 1.50 */
	        {"1E-5", 7},     /* 0.00001 */
	        {"-0", 2},       /* -0 */
	        {"0e5", 1},      /* 0 */
	        {"0.000", 5},    /* 0.000 */
	        {"1.0e1", 2},    /* 10 */
	        {"-0.0e-3", 7},  /* -0.0000 */
	        {"1.50e1", 4},   /* 15.0 */
	        {"123e-2", 4},   /* 1.23 */
	        {"0E-1", 3},     /* 0.0 */
	        {"-0e-2", 5},    /* -0.00 */
	        {"100e-2", 4},   /* 1.00 */
	        {"0.00e2", 1},   /* 0 */
	        {"12.5e-1", 4},  /* 1.25 */
	        {"12.5e-3", 6},  /* 0.0125 */
	        {"-1.5e+2", 4},  /* -150 */
	        {"0.1", 3},      /* 0.1 */
	        {"1e0", 1},      /* 1 */
	        {"1e-0", 1},     /* 1 */
	        {"5e-1", 3},     /* 0.5 */
	        {"0.0001e4", 1}, /* 1 */
	        {"1e000000000000000000000000003", 4},
	};

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		assert_int_equal(plen(v[i].text, RAAS_NUM_JSON), v[i].len);
		assert_int_equal(plen(v[i].text, RAAS_NUM_TEXT), v[i].len);
	}
	/* TEXT syntax only: leading zeros and '+' */
	assert_int_equal(plen("007", RAAS_NUM_TEXT), 1);
	assert_int_equal(plen("007", RAAS_NUM_JSON), SIZE_MAX);
	assert_int_equal(plen("+5", RAAS_NUM_TEXT), 1);
	assert_int_equal(plen("+5", RAAS_NUM_JSON), SIZE_MAX);
	assert_int_equal(plen("-007.50", RAAS_NUM_TEXT), 5);
	assert_int_equal(plen("00", RAAS_NUM_TEXT), 1);
	assert_int_equal(plen("0", RAAS_NUM_JSON), 1);
	assert_int_equal(plen("-0.0", RAAS_NUM_JSON), 4);
}

static void plain_length_not_a_number(void **state)
{
	static const char *bad[] = {
	        "",    "-",     "+",  "1.",  ".5",   "1e",   "1e+",  "1E-",  "--1",
	        "-+1", "1.5.2", " 1", "1 ",  "0x10", "1e5e", "1e5.", "inf",  "NaN",
	        "1,5", "1_0",   "e5", "-e5", "+-",   "1ee",  "1.e5", "1e+-", "--",
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(plen(bad[i], RAAS_NUM_JSON), SIZE_MAX);
		assert_int_equal(plen(bad[i], RAAS_NUM_TEXT), SIZE_MAX);
	}
	assert_int_equal(raas_num_plain_length(NULL, 0, RAAS_NUM_JSON), SIZE_MAX);
	/* the length bounds the text: "12" read as 1 byte is "1" */
	assert_int_equal(raas_num_plain_length("12", 1, RAAS_NUM_JSON), 1);
	/* an embedded NUL is not a digit */
	assert_int_equal(raas_num_plain_length("1\0", 2, RAAS_NUM_JSON), SIZE_MAX);
}

static void plain_length_huge_exponents(void **state)
{
	(void)state;
	/* never wraps: saturates at SIZE_MAX - 1 (SIZE_MAX means "not a number") */
	assert_int_equal(plen("1e99999999999999999999", RAAS_NUM_JSON), SIZE_MAX - 1);
	assert_int_equal(plen("1e-99999999999999999999", RAAS_NUM_JSON), SIZE_MAX - 1);
	assert_int_equal(plen("-9.9e99999999999999999999999999999999999", RAAS_NUM_JSON),
	                 SIZE_MAX - 1);
	assert_int_equal(plen("0e-99999999999999999999", RAAS_NUM_JSON), SIZE_MAX - 1);
	/* zero with a huge positive exponent is just "0" */
	assert_int_equal(plen("0e99999999999999999999", RAAS_NUM_JSON), 1);
	assert_int_equal(plen("-0.000e99999999999999999999", RAAS_NUM_JSON), 2);
	/* exponents up to 10^18 are exact */
	assert_int_equal(plen("1e1000000000000000000", RAAS_NUM_JSON),
	                 (size_t)1000000000000000001u);
	assert_int_equal(plen("-1e-1000000000000000000", RAAS_NUM_JSON),
	                 (size_t)1000000000000000003u);
	assert_int_equal(plen("1e1000000000000000001", RAAS_NUM_JSON), SIZE_MAX - 1);
	assert_int_equal(plen("1e99999999", RAAS_NUM_JSON), 100000000);
}

static void plain_length_boundary(void **state)
{
	char buf[512];
	struct raas_num n;
	struct raas_err err;
	const char *s;

	(void)state;
	/* 1e127 is "1" and 127 zeros: 128 characters, accepted; 1e128 is 129, rejected */
	assert_int_equal(plen("1e127", RAAS_NUM_JSON), 128);
	assert_int_equal(raas_num_parse("1e127", 5, RAAS_NUM_JSON, &n, &err), RAAS_OK);
	assert_int_equal(n.sign, 1);
	assert_int_equal(n.ndigits, 1);
	assert_int_equal(n.exp, 128);
	assert_int_equal(plen("1e128", RAAS_NUM_JSON), 129);
	assert_int_equal(raas_num_parse("1e128", 5, RAAS_NUM_JSON, &n, &err), RAAS_E_INPUT);
	assert_int_equal(err.code, RAAS_E_INPUT);
	assert_string_equal(err.message, "number out of range");
	assert_string_equal(err.path, "");
	/* the sign counts */
	assert_int_equal(raas_num_parse("-1e126", 6, RAAS_NUM_JSON, &n, &err), RAAS_OK);
	assert_int_equal(raas_num_parse("-1e127", 6, RAAS_NUM_JSON, &n, &err), RAAS_E_INPUT);
	/* small numbers: 1e-126 is "0." + 125 zeros + "1" */
	assert_int_equal(plen("1e-126", RAAS_NUM_JSON), 128);
	assert_int_equal(raas_num_parse("1e-126", 6, RAAS_NUM_JSON, &n, &err), RAAS_OK);
	assert_int_equal(n.exp, -125);
	assert_int_equal(raas_num_parse("1e-127", 6, RAAS_NUM_JSON, &n, &err), RAAS_E_INPUT);
	assert_string_equal(err.message, "number out of range");
	/* written out: 128 digits accepted, 129 rejected */
	s = repeat(buf, "", '7', 128, "");
	assert_int_equal(plen(s, RAAS_NUM_JSON), 128);
	assert_int_equal(raas_num_parse(s, strlen(s), RAAS_NUM_JSON, &n, &err), RAAS_OK);
	assert_int_equal(n.ndigits, 128);
	assert_int_equal(n.exp, 128);
	s = repeat(buf, "", '7', 129, "");
	assert_int_equal(raas_num_parse(s, strlen(s), RAAS_NUM_JSON, &n, &err), RAAS_E_INPUT);
	assert_string_equal(err.message, "number out of range");
	/* trailing zeros count in the plain form: "1." + 126 zeros is 128 */
	s = repeat(buf, "1.", '0', 126, "");
	assert_int_equal(raas_num_parse(s, strlen(s), RAAS_NUM_JSON, &n, &err), RAAS_OK);
	assert_int_equal(n.ndigits, 1);
	assert_int_equal(n.exp, 1);
	s = repeat(buf, "1.", '0', 127, "");
	assert_int_equal(raas_num_parse(s, strlen(s), RAAS_NUM_JSON, &n, &err), RAAS_E_INPUT);
	/* ... but TEXT leading zeros do not: "0000…1" is "1" */
	s = repeat(buf, "", '0', 300, "1");
	assert_int_equal(plen(s, RAAS_NUM_TEXT), 1);
	assert_int_equal(raas_num_parse(s, strlen(s), RAAS_NUM_TEXT, &n, &err), RAAS_OK);
	/* a long coefficient brought back by the exponent: 200 digits e-150 */
	s = repeat(buf, "", '3', 200, "e-150");
	assert_int_equal(plen(s, RAAS_NUM_JSON), 201);
	s = repeat(buf, "0.", '0', 120, "5e120"); /* 0.5 written long: plain "0.5" */
	assert_int_equal(plen(s, RAAS_NUM_JSON), 3);
	assert_int_equal(raas_num_parse(s, strlen(s), RAAS_NUM_JSON, &n, &err), RAAS_OK);
	assert_int_equal(n.exp, 0);
}

static void parse_normalizes(void **state)
{
	struct raas_num n;
	struct raas_err err;

	(void)state;
	assert_int_equal(raas_num_parse("1.50", 4, RAAS_NUM_JSON, &n, &err), RAAS_OK);
	assert_int_equal(n.sign, 1);
	assert_int_equal(n.ndigits, 2);
	assert_memory_equal(n.digits, "15", 2);
	assert_int_equal(n.exp, 1);

	assert_int_equal(raas_num_parse("-0.00120e2", 10, RAAS_NUM_JSON, &n, &err), RAAS_OK);
	assert_int_equal(n.sign, -1);
	assert_int_equal(n.ndigits, 2);
	assert_memory_equal(n.digits, "12", 2);
	assert_int_equal(n.exp, 0); /* -0.12 */

	assert_int_equal(raas_num_parse("1e3", 3, RAAS_NUM_JSON, &n, &err), RAAS_OK);
	assert_int_equal(n.ndigits, 1);
	assert_int_equal(n.digits[0], '1');
	assert_int_equal(n.exp, 4);

	assert_int_equal(raas_num_parse("1000", 4, RAAS_NUM_JSON, &n, &err), RAAS_OK);
	assert_int_equal(n.ndigits, 1);
	assert_int_equal(n.exp, 4);

	assert_int_equal(raas_num_parse("+007.0", 6, RAAS_NUM_TEXT, &n, &err), RAAS_OK);
	assert_int_equal(n.sign, 1);
	assert_int_equal(n.ndigits, 1);
	assert_int_equal(n.digits[0], '7');
	assert_int_equal(n.exp, 1);

	assert_int_equal(raas_num_parse("0.000305", 8, RAAS_NUM_JSON, &n, &err), RAAS_OK);
	assert_int_equal(n.ndigits, 3);
	assert_memory_equal(n.digits, "305", 3);
	assert_int_equal(n.exp, -3);

	/* every zero is sign 0, no digits, exp 0 */
	static const char *zeros[] = {"0", "-0", "0.000", "-0.0e-3", "0e5", "0E-100"};
	for (size_t i = 0; i < sizeof zeros / sizeof zeros[0]; i++) {
		memset(&n, 0x55, sizeof n);
		assert_int_equal(
		        raas_num_parse(zeros[i], strlen(zeros[i]), RAAS_NUM_JSON, &n, &err),
		        RAAS_OK);
		assert_int_equal(n.sign, 0);
		assert_int_equal(n.ndigits, 0);
		assert_int_equal(n.exp, 0);
	}
}

static void parse_errors(void **state)
{
	struct raas_num n;
	struct raas_err err;

	(void)state;
	raas_err_clear(&err);
	assert_int_equal(raas_num_parse("1.", 2, RAAS_NUM_JSON, &n, &err), RAAS_E_INPUT);
	assert_int_equal(err.code, RAAS_E_INPUT);
	assert_string_equal(err.message, "not a number");
	assert_string_equal(err.path, "");
	assert_int_equal(raas_num_parse("007", 3, RAAS_NUM_JSON, &n, &err), RAAS_E_INPUT);
	assert_string_equal(err.message, "not a number");
	assert_int_equal(raas_num_parse("007", 3, RAAS_NUM_TEXT, &n, &err), RAAS_OK);
	assert_int_equal(raas_num_parse("abc", 3, RAAS_NUM_TEXT, &n, &err), RAAS_E_INPUT);
	assert_string_equal(err.message, "not a number");
	assert_int_equal(raas_num_parse("1e99999999", 10, RAAS_NUM_JSON, &n, &err), RAAS_E_INPUT);
	assert_string_equal(err.message, "number out of range");
	assert_int_equal(raas_num_parse("1e99999999999999999999", 22, RAAS_NUM_JSON, &n, &err),
	                 RAAS_E_INPUT);
	assert_string_equal(err.message, "number out of range");
	/* works without an err */
	assert_int_equal(raas_num_parse("x", 1, RAAS_NUM_JSON, &n, NULL), RAAS_E_INPUT);
}

static int cmp_text(const char *a, const char *b)
{
	struct raas_num x, y;
	struct raas_err err;

	assert_int_equal(raas_num_parse(a, strlen(a), RAAS_NUM_TEXT, &x, &err), RAAS_OK);
	assert_int_equal(raas_num_parse(b, strlen(b), RAAS_NUM_TEXT, &y, &err), RAAS_OK);
	return raas_num_cmp(&x, &y);
}

static void compare(void **state)
{
	static const struct {
		const char *a, *b;
		int want;
	} v[] = {
	        {"59.9999999999999", "60", -1},
	        {"60", "59.9999999999999", 1},
	        {"1e30", "5", 1},
	        {"60", "60.0", 0},
	        {"60", "6e1", 0},
	        {"60.0", "6e1", 0},
	        {"-0", "0", 0},
	        {"-0.0", "0e7", 0},
	        {"-5", "-4", -1},
	        {"-4", "-5", 1},
	        {"-1e30", "-5", -1},
	        {"-0.001", "0", -1},
	        {"0", "0.001", -1},
	        {"-1", "1", -1},
	        {"1.5", "1.45", 1},
	        {"1.45", "1.5", -1},
	        {"12", "1.2e1", 0},
	        {"12", "12.0000000000000000000001", -1},
	        {"-12", "-12.0000000000000000000001", 1},
	        {"12345678901234567890.5", "12345678901234567890.49", 1},
	        {"0.1", "0.10", 0},
	        {"9", "10", -1},
	        {"0.09", "0.1", -1},
	        {"7.5", "75e-1", 0},
	        {"1", "1.000000000000000000000000000000000001", -1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		assert_int_equal(cmp_text(v[i].a, v[i].b), v[i].want);
}

static void format(void **state)
{
	static const struct {
		const char *in, *out;
	} v[] = {
	        {"1e3", "1000"},
	        {"7.50", "7.5"},
	        {"-1e-3", "-0.001"},
	        {"0", "0"},
	        {"-0", "0"},
	        {"-0.000e5", "0"},
	        {"77", "77"},
	        {"1.0e1", "10"},
	        {"123e-2", "1.23"},
	        {"0.000305", "0.000305"},
	        {"12345678901234567890.5", "12345678901234567890.5"},
	        {"-2.5", "-2.5"},
	        {"+007.100", "7.1"},
	        {"1E-5", "0.00001"},
	        {"5e-1", "0.5"},
	        {"1.50e1", "15"},
	};
	struct raas_num n;
	struct raas_err err;
	char buf[RAAS_NUM_MAX_PLAIN + 2];
	char big[256];

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		assert_int_equal(raas_num_parse(v[i].in, strlen(v[i].in), RAAS_NUM_TEXT, &n, &err),
		                 RAAS_OK);
		assert_int_equal(raas_num_format(&n, buf, sizeof buf), strlen(v[i].out));
		assert_string_equal(buf, v[i].out);
	}
	/* the longest forms fit in RAAS_NUM_MAX_PLAIN + 2 */
	assert_int_equal(raas_num_parse("-1e126", 6, RAAS_NUM_JSON, &n, &err), RAAS_OK);
	assert_int_equal(raas_num_format(&n, buf, sizeof buf), 128);
	assert_int_equal(buf[0], '-');
	assert_int_equal(buf[1], '1');
	assert_int_equal(buf[127], '0');
	assert_int_equal(buf[128], '\0');
	/* too small a buffer: 0 */
	assert_int_equal(raas_num_parse("1000", 4, RAAS_NUM_JSON, &n, &err), RAAS_OK);
	assert_int_equal(raas_num_format(&n, buf, 4), 0);
	assert_int_equal(raas_num_format(&n, buf, 5), 4);
	assert_string_equal(buf, "1000");
	assert_int_equal(raas_num_parse("0", 1, RAAS_NUM_JSON, &n, &err), RAAS_OK);
	assert_int_equal(raas_num_format(&n, buf, 1), 0);
	/* 1e-126 */
	assert_int_equal(raas_num_parse("1e-126", 6, RAAS_NUM_JSON, &n, &err), RAAS_OK);
	assert_int_equal(raas_num_format(&n, big, sizeof big), 128);
	assert_memory_equal(big, "0.0000", 6);
	assert_int_equal(big[127], '1');
}

static void to_dec(void **state)
{
	static const struct {
		const char *in, *out;
	} v[] = {
	        {"1.5", "1.5"},
	        {"1e3", "1000"},
	        {"-2.50", "-2.5"},
	        {"0", "0"},
	        {"0.0000000000005", "0.000000000001"},   /* half away from zero */
	        {"-0.0000000000005", "-0.000000000001"}, /* half away from zero */
	        {"0.00000000000049", "0"},               /* below half */
	        {"1.0000000000004999", "1"},
	        {"2.9999999999995", "3"},
	        {"1e-20", "0"},
	        {"-1e-13", "0"},
	        {"99999999999999999999999999", "99999999999999999999999999"},
	        {"9999999999999999999999999.9999999999995", "10000000000000000000000000"},
	        {"12345678901234567890.5", "12345678901234567890.5"},
	};
	static const char *overflow[] = {
	        "1e26",
	        "-1e26",
	        "1e100",
	        "99999999999999999999999999.9999999999995",
	        "100000000000000000000000000",
	};
	struct raas_num n;
	struct raas_dec d;
	struct raas_err err;
	char buf[RAAS_DEC_FORMAT_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		assert_int_equal(raas_num_parse(v[i].in, strlen(v[i].in), RAAS_NUM_TEXT, &n, &err),
		                 RAAS_OK);
		assert_int_equal(raas_num_to_dec(&n, &d), RAAS_OK);
		raas_dec_format(d, buf);
		assert_string_equal(buf, v[i].out);
	}
	for (size_t i = 0; i < sizeof overflow / sizeof overflow[0]; i++) {
		assert_int_equal(
		        raas_num_parse(overflow[i], strlen(overflow[i]), RAAS_NUM_TEXT, &n, &err),
		        RAAS_OK);
		assert_int_equal(raas_num_to_dec(&n, &d), RAAS_E_OVERFLOW);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(plain_length_vectors),
	        cmocka_unit_test(plain_length_not_a_number),
	        cmocka_unit_test(plain_length_huge_exponents),
	        cmocka_unit_test(plain_length_boundary),
	        cmocka_unit_test(parse_normalizes),
	        cmocka_unit_test(parse_errors),
	        cmocka_unit_test(compare),
	        cmocka_unit_test(format),
	        cmocka_unit_test(to_dec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
