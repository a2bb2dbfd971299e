/* test_decimal.c — unit tests of the exact-decimal module (src/base/decimal.c): parsing in
 * both syntaxes, shortest and fixed formatting, every operation with its single rounding
 * half away from zero (exact halves at 0.5 × 10^-12 and negative halves included), the 10^26
 * boundary, division by zero, proration and package ceilings. Every expectation is an exact
 * string or code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "raas/decimal.h"

#define MAX "99999999999999999999999999.999999999999"
#define NEG_MAX "-99999999999999999999999999.999999999999"

/* Parses TEXT that the test knows to be valid. */
static struct raas_dec D(const char *s) {
	struct raas_dec d = {0};
	struct raas_err err;

	raas_err_clear(&err);
	if (raas_dec_parse(s, strlen(s), RAAS_DEC_TEXT, &d, &err) != RAAS_OK)
		fail_msg("cannot parse %s: %s", s, err.message);
	return d;
}

static struct raas_dec
RAW(raas_i128 raw) {
	struct raas_dec d = {raw};
	return d;
}

static void
assert_dec(struct raas_dec d, const char *want)
{
	char buf[RAAS_DEC_FORMAT_MAX];
	size_t n = raas_dec_format(d, buf);

	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

static void assert_fixed(const char *s, int places, const char *want)
{
	char buf[RAAS_DEC_FORMAT_MAX];
	size_t n = raas_dec_format_fixed(D(s), places, buf);

	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

/* Parses s (with its length, NULs allowed) and checks the formatted result. */
static void parse_ok(const char *s, size_t len, enum raas_dec_syntax syn, const char *want)
{
	struct raas_dec d = {0};
	struct raas_err err;

	raas_err_clear(&err);
	if (raas_dec_parse(s, len, syn, &d, &err) != RAAS_OK)
		fail_msg("cannot parse %.*s: %s", (int)len, s, err.message);
	assert_dec(d, want);
}

static void parse_fails(const char *s, size_t len, enum raas_dec_syntax syn, raas_rc rc,
                        const char *message)
{
	struct raas_dec d = {12345};
	struct raas_err err;

	raas_err_clear(&err);
	assert_int_equal(raas_dec_parse(s, len, syn, &d, &err), rc);
	assert_int_equal(err.code, rc);
	assert_string_equal(err.path, "");
	assert_string_equal(err.message, message);
	assert_true(d.raw == 12345); /* untouched on failure */
}

#define AMOUNT_OK(s, want) parse_ok(s, strlen(s), RAAS_DEC_AMOUNT, want)
#define TEXT_OK(s, want) parse_ok(s, strlen(s), RAAS_DEC_TEXT, want)
#define AMOUNT_BAD(s, msg) parse_fails(s, strlen(s), RAAS_DEC_AMOUNT, RAAS_E_INPUT, msg)
#define TEXT_BAD(s, msg) parse_fails(s, strlen(s), RAAS_DEC_TEXT, RAAS_E_INPUT, msg)
#define RANGE "number out of range (magnitude must be below 10^26)"
#define TEXT_RANGE(s) parse_fails(s, strlen(s), RAAS_DEC_TEXT, RAAS_E_OVERFLOW, RANGE)
#define AMOUNT_RANGE(s) parse_fails(s, strlen(s), RAAS_DEC_AMOUNT, RAAS_E_OVERFLOW, RANGE)

static char *repeat(char *p, char c, size_t n)
{
	memset(p, c, n);
	return p + n;
}

static void test_parse_amount(void **state)
{
	(void)state;
	AMOUNT_OK("0", "0");
	AMOUNT_OK("000", "0");
	AMOUNT_OK("0.0", "0");
	AMOUNT_OK("1300", "1300");
	AMOUNT_OK("10.40", "10.4");
	AMOUNT_OK("007.50", "7.5");
	AMOUNT_OK("0.000000000001", "0.000000000001");
	AMOUNT_OK("1.000000000000", "1");
	AMOUNT_OK("999999999.999999999999", "999999999.999999999999");
	AMOUNT_OK(MAX, MAX);
	AMOUNT_OK("00000000000000000000000000000000000000000000000000001", "1");
	AMOUNT_OK("18446744073709551616", "18446744073709551616"); /* 2^64 */
}

static void test_parse_amount_rejects(void **state)
{
	(void)state;
	AMOUNT_BAD("", "empty");
	AMOUNT_BAD(".5", "not a decimal number");
	AMOUNT_BAD("1.", "not a decimal number");
	AMOUNT_BAD(" 1", "not a decimal number");
	AMOUNT_BAD("1 ", "not a decimal number");
	AMOUNT_BAD("abc", "not a decimal number");
	AMOUNT_BAD("1,5", "not a decimal number");
	AMOUNT_BAD("0x10", "not a decimal number");
	AMOUNT_BAD("1..2", "not a decimal number");
	AMOUNT_BAD("+1", "must not have a sign");
	AMOUNT_BAD("-1", "must not be negative");
	AMOUNT_BAD("-0", "must not be negative");
	AMOUNT_BAD("1e2", "must not have an exponent");
	AMOUNT_BAD("1E-2", "must not have an exponent");
	AMOUNT_BAD("1.0000000000001", "more than 12 fractional digits");
	AMOUNT_BAD("0.0000000000000", "more than 12 fractional digits");
	AMOUNT_BAD("0.0000000000001", "more than 12 fractional digits");
	parse_fails("1\0", 2, RAAS_DEC_AMOUNT, RAAS_E_INPUT, "not a decimal number");
	AMOUNT_RANGE("100000000000000000000000000");
	AMOUNT_RANGE("100000000000000000000000000.0");
	AMOUNT_RANGE("0000123456789012345678901234567");
}

static void test_parse_text(void **state)
{
	char big[512], *p;

	(void)state;
	TEXT_OK("+1.5", "1.5");
	TEXT_OK("-0", "0");
	TEXT_OK("-0.000", "0");
	TEXT_OK("-0e5", "0");
	TEXT_OK("1E3", "1000");
	TEXT_OK("1e+3", "1000");
	TEXT_OK("1e-0", "1");
	TEXT_OK("007.50", "7.5");
	TEXT_OK("12345e-3", "12.345");
	TEXT_OK("1.5e1", "15");
	TEXT_OK("-0.000001", "-0.000001");
	TEXT_OK("1e-12", "0.000000000001");
	TEXT_OK("1e25", "10000000000000000000000000");
	TEXT_OK("0.01e27", "10000000000000000000000000");
	/* rounding to 12 fractional digits, half away from zero */
	TEXT_OK("0.5e-12", "0.000000000001");
	TEXT_OK("0.0000000000005", "0.000000000001");
	TEXT_OK("0.00000000000049999999", "0");
	TEXT_OK("-0.5e-12", "-0.000000000001");
	TEXT_OK("-0.4e-12", "0");
	TEXT_OK("2.5e-12", "0.000000000003");
	TEXT_OK("-2.5e-12", "-0.000000000003");
	TEXT_OK("0.1666666666665", "0.166666666667");
	TEXT_OK("-0.1666666666665", "-0.166666666667");
	TEXT_OK("0.1666666666664999", "0.166666666666");
	TEXT_OK("0.9999999999995", "1");
	TEXT_OK("5e-13", "0.000000000001");
	TEXT_OK("4.9e-13", "0");
	/* huge exponents, no integer overflow */
	TEXT_OK("1e-999999999999", "0");
	TEXT_OK("-1e-99999999999999999999999999999", "0");
	TEXT_OK("0e999999999999", "0");
	TEXT_OK("0.000e99999999999999999999999", "0");
	/* 200-digit numbers */
	p = repeat(big, '0', 100);
	*p++ = '1';
	p = repeat(p, '0', 199);
	memcpy(p, "e-199", 5);
	parse_ok(big, (size_t)(p + 5 - big), RAAS_DEC_TEXT, "1");
	p = big;
	*p++ = '0';
	*p++ = '.';
	p = repeat(p, '3', 200);
	parse_ok(big, (size_t)(p - big), RAAS_DEC_TEXT, "0.333333333333");
	p = big;
	*p++ = '-';
	*p++ = '0';
	*p++ = '.';
	p = repeat(p, '6', 200);
	parse_ok(big, (size_t)(p - big), RAAS_DEC_TEXT, "-0.666666666667");
	p = repeat(big, '9', 200);
	memcpy(p, "e-175", 5);
	parse_ok(big, (size_t)(p + 5 - big), RAAS_DEC_TEXT, "10000000000000000000000000");
}

static void test_parse_text_rejects(void **state)
{
	(void)state;
	TEXT_BAD("", "empty");
	TEXT_BAD("+", "not a decimal number");
	TEXT_BAD("-", "not a decimal number");
	TEXT_BAD("--1", "not a decimal number");
	TEXT_BAD(".5", "not a decimal number");
	TEXT_BAD("1.", "not a decimal number");
	TEXT_BAD("1.e5", "not a decimal number");
	TEXT_BAD("e5", "not a decimal number");
	TEXT_BAD("1e", "not a decimal number");
	TEXT_BAD("1e+", "not a decimal number");
	TEXT_BAD("1e5.5", "not a decimal number");
	TEXT_BAD("1.5.5", "not a decimal number");
	TEXT_BAD("1_000", "not a decimal number");
	TEXT_BAD("inf", "not a decimal number");
	TEXT_BAD("NaN", "not a decimal number");
	TEXT_BAD(" 1", "not a decimal number");
	TEXT_BAD("1 ", "not a decimal number");
	parse_fails("1\0"
	            "5",
	            3, RAAS_DEC_TEXT, RAAS_E_INPUT, "not a decimal number");
}

static void test_parse_boundary(void **state)
{
	char big[512], *p;

	(void)state;
	TEXT_OK(MAX, MAX);
	TEXT_OK("-" MAX, "-" MAX);
	TEXT_OK(MAX "4999999", MAX);
	TEXT_OK("9.9999999999999999999999999999999999999e25", MAX);
	TEXT_RANGE("9.99999999999999999999999999999999999995e25");
	TEXT_OK("9.99999999999999999999999999999999999994e25", MAX);
	TEXT_RANGE("100000000000000000000000000");
	TEXT_RANGE("-100000000000000000000000000");
	TEXT_RANGE("1e26");
	TEXT_RANGE("0.1e27");
	TEXT_RANGE(MAX "5"); /* rounds up into 10^26 */
	TEXT_RANGE("-" MAX "5");
	TEXT_RANGE("99999999999999999999999999.9999999999995e0");
	TEXT_RANGE("1e999999999999");
	TEXT_RANGE("-1e99999999999999999999999999999");
	TEXT_RANGE("123456789012345678901234567890");
	p = repeat(big, '1', 250);
	memcpy(p, "e-100", 5);
	parse_fails(big, (size_t)(p + 5 - big), RAAS_DEC_TEXT, RAAS_E_OVERFLOW, RANGE);
	/* 26 nines before the point and 174 after: rounds up into 10^26 */
	p = repeat(big, '9', 200);
	memcpy(p, "e-174", 5);
	parse_fails(big, (size_t)(p + 5 - big), RAAS_DEC_TEXT, RAAS_E_OVERFLOW, RANGE);
}

static void test_format(void **state)
{
	(void)state;
	assert_dec(raas_dec_zero(), "0");
	assert_dec(RAW(1), "0.000000000001");
	assert_dec(RAW(-1), "-0.000000000001");
	assert_dec(RAW(1000000000000), "1");
	assert_dec(RAW(-1000000), "-0.000001");
	assert_dec(RAW((raas_i128)1300 * 1000000000000), "1300");
	assert_dec(RAW((raas_i128)104 * 100000000000), "10.4");
	assert_dec(RAW((raas_i128)10000000000000000000ULL * 10000000000000000000ULL - 1), MAX);
	assert_dec(RAW(-((raas_i128)10000000000000000000ULL * 10000000000000000000ULL - 1)),
	           "-" MAX);
	assert_dec(RAW((raas_i128)18446744073709551615ULL), "18446744.073709551615");
	assert_dec(D("18446744073709551616"), "18446744073709551616");
}

static void test_format_fixed(void **state)
{
	char buf[RAAS_DEC_FORMAT_MAX];

	(void)state;
	assert_fixed("10520", 2, "10520.00");
	assert_fixed("300", 0, "300");
	assert_fixed("0", 2, "0.00");
	assert_fixed("0", 0, "0");
	assert_fixed("-0.004", 2, "0.00");
	assert_fixed("-0.4", 0, "0");
	assert_fixed("-0.000000000001", 11, "0.00000000000");
	assert_fixed("-0.005", 2, "-0.01");
	assert_fixed("0.005", 2, "0.01");
	assert_fixed("0.004999999999", 2, "0.00");
	assert_fixed("2.5", 0, "3");
	assert_fixed("-2.5", 0, "-3");
	assert_fixed("1.23456789012", 12, "1.234567890120");
	assert_fixed("-1.000000000001", 12, "-1.000000000001");
	assert_fixed("10.4", 3, "10.400");
	assert_fixed(MAX, 12, MAX);
	assert_fixed(MAX, 0, "100000000000000000000000000");
	assert_fixed("-" MAX, 2, "-100000000000000000000000000.00");
	/* places outside 0..12 are clamped */
	assert_fixed("1.5", -1, "2");
	assert_fixed("1.5", 13, "1.500000000000");
	/* raw values outside the range never overflow the buffer */
	assert_int_equal(
	        raas_dec_format_fixed(
	                RAW(-(raas_i128)((__extension__(unsigned __int128) 1 << 127) - 1) - 1), 0,
	                buf),
	        28);
	assert_string_equal(buf, "-170141183460469231731687304");
}

static void test_round_trip(void **state)
{
	static const char *const texts[] = {"0",
	                                    "1",
	                                    "-1",
	                                    "0.000000000001",
	                                    "-0.000000000001",
	                                    "123.456",
	                                    "1e20",
	                                    "18446744.073709551616",
	                                    "-9223372036854775808",
	                                    "340282366920938.463463374607",
	                                    MAX,
	                                    NEG_MAX,
	                                    "0.5",
	                                    "1234567890123456789012345.678901234567"};
	char buf[RAAS_DEC_FORMAT_MAX];
	struct raas_dec a, b;
	struct raas_err err;

	(void)state;
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		a = D(texts[i]);
		raas_dec_format(a, buf);
		assert_int_equal(raas_dec_parse(buf, strlen(buf), RAAS_DEC_TEXT, &b, &err),
		                 RAAS_OK);
		assert_true(a.raw == b.raw);
		raas_dec_format_fixed(a, 12, buf);
		assert_int_equal(raas_dec_parse(buf, strlen(buf), RAAS_DEC_TEXT, &b, &err),
		                 RAAS_OK);
		assert_true(a.raw == b.raw);
	}
}

/* Runs one binary operation on TEXT operands and checks its result or its code. */
typedef raas_rc (*binop)(struct raas_dec, struct raas_dec, struct raas_dec *);

static void check_op(binop f, const char *a, const char *b, const char *want)
{
	struct raas_dec r = {777};
	raas_rc rc = f(D(a), D(b), &r);

	if (!strcmp(want, "OVERFLOW") || !strcmp(want, "INPUT")) {
		assert_int_equal(rc, !strcmp(want, "OVERFLOW") ? RAAS_E_OVERFLOW : RAAS_E_INPUT);
		assert_true(r.raw == 777);
		return;
	}
	assert_int_equal(rc, RAAS_OK);
	assert_dec(r, want);
}

static void test_add_sub(void **state)
{
	struct raas_dec r;
	raas_i128 top = (raas_i128)(((__extension__(unsigned __int128) 1) << 127) - 1);

	(void)state;
	check_op(raas_dec_add, "1.5", "2.25", "3.75");
	check_op(raas_dec_add, "-1.5", "1.5", "0");
	check_op(raas_dec_add, "0.000000000001", "-0.000000000002", "-0.000000000001");
	check_op(raas_dec_add, MAX, "0", MAX);
	check_op(raas_dec_add, MAX, "0.000000000001", "OVERFLOW");
	check_op(raas_dec_add, "-" MAX, "-0.000000000001", "OVERFLOW");
	check_op(raas_dec_add, MAX, MAX, "OVERFLOW");
	check_op(raas_dec_add, MAX, "-" MAX, "0");
	check_op(raas_dec_sub, "10", "0.000000000001", "9.999999999999");
	check_op(raas_dec_sub, "-" MAX, "0.000000000001", "OVERFLOW");
	check_op(raas_dec_sub, MAX, "-0.000000000001", "OVERFLOW");
	check_op(raas_dec_sub, "-" MAX, "-" MAX, "0");
	check_op(raas_dec_sub, "0", MAX, "-" MAX);
	/* out-of-range raw operands overflow instead of wrapping (no UB) */
	assert_int_equal(raas_dec_add(RAW(top), RAW(1), &r), RAAS_E_OVERFLOW);
	assert_int_equal(raas_dec_sub(RAW(-top - 1), RAW(1), &r), RAAS_E_OVERFLOW);
	assert_int_equal(raas_dec_sub(RAW(0), RAW(-top - 1), &r), RAAS_E_OVERFLOW);
	/* out may alias an operand */
	r = D("2");
	assert_int_equal(raas_dec_add(r, r, &r), RAAS_OK);
	assert_dec(r, "4");
}

static void test_mul(void **state)
{
	(void)state;
	check_op(raas_dec_mul, "1234567.890123456789", "12345678901.234567890123",
	         "15241578753238836.750342371838");
	check_op(raas_dec_mul, "1234567.000000000001", "12345678901.5",
	         "15241567764388150.512345678902");
	check_op(raas_dec_mul, "999999999.999999999999", "100000000000", "99999999999999999999.9");
	check_op(raas_dec_mul, "-1234567.000000000001", "12345678901.5",
	         "-15241567764388150.512345678902");
	check_op(raas_dec_mul, "7", "6", "42");
	check_op(raas_dec_mul, "-7", "-6", "42");
	check_op(raas_dec_mul, "0", "-" MAX, "0");
	/* exact halves at 0.5 × 10^-12 go away from zero */
	check_op(raas_dec_mul, "0.000000000001", "0.5", "0.000000000001");
	check_op(raas_dec_mul, "0.000000000001", "-0.5", "-0.000000000001");
	check_op(raas_dec_mul, "-0.000000000003", "0.5", "-0.000000000002");
	check_op(raas_dec_mul, "0.000000000003", "0.4", "0.000000000001");
	check_op(raas_dec_mul, "0.333333333333", "0.5", "0.166666666667");
	check_op(raas_dec_mul, "-0.333333333333", "0.5", "-0.166666666667");
	check_op(raas_dec_mul, "0.000000000001", "0.499999999999", "0");
	check_op(raas_dec_mul, "0.000000000001", "0.000000000001", "0");
	/* 64-bit operands whose product needs 128 bits */
	check_op(raas_dec_mul, "18446744.073709551615", "18446744.073709551615",
	         "340282366920938.463426481119");
	/* the 10^26 boundary */
	check_op(raas_dec_mul, MAX, "1", MAX);
	check_op(raas_dec_mul, MAX, "-1", "-" MAX);
	check_op(raas_dec_mul, "9999999999999.999999999999", "10000000000000",
	         "99999999999999999999999990");
	check_op(raas_dec_mul, "10000000000000", "10000000000000", "OVERFLOW");
	check_op(raas_dec_mul, MAX, MAX, "OVERFLOW");
	check_op(raas_dec_mul, MAX, "1.000000000001", "OVERFLOW");
	/* exact product 10^26 - 0.1 × 10^-12 rounds up into 10^26 */
	check_op(raas_dec_mul, "10000000000001000000000000.1", "9.999999999999", "OVERFLOW");
	check_op(raas_dec_mul, "10000000000001000000000000.1", "9.999999999998",
	         "99999999999989999999999999");
}

static void test_div(void **state)
{
	(void)state;
	check_op(raas_dec_div, "1", "3", "0.333333333333");
	check_op(raas_dec_div, "2", "3", "0.666666666667");
	check_op(raas_dec_div, "-2", "3", "-0.666666666667");
	check_op(raas_dec_div, "2", "-3", "-0.666666666667");
	check_op(raas_dec_div, "-2", "-3", "0.666666666667");
	check_op(raas_dec_div, "10.4", "0.013", "800");
	check_op(raas_dec_div, "0.000000000001", "2", "0.000000000001");
	check_op(raas_dec_div, "-0.000000000001", "2", "-0.000000000001");
	check_op(raas_dec_div, "0.000000000003", "2", "0.000000000002");
	check_op(raas_dec_div, "0.000000000001", "3", "0");
	check_op(raas_dec_div, "0.000000000001", "2.000000000001", "0");
	check_op(raas_dec_div, "1", "0.000000000001", "1000000000000");
	check_op(raas_dec_div, "1", "0", "INPUT");
	check_op(raas_dec_div, "0", "0", "INPUT");
	check_op(raas_dec_div, "0", "7", "0");
	/* wide dividends (|a| × 10^12 ≥ 2^128) */
	check_op(raas_dec_div, MAX, "1", MAX);
	check_op(raas_dec_div, "-" MAX, "1", "-" MAX);
	check_op(raas_dec_div, MAX, MAX, "1");
	check_op(raas_dec_div, MAX, "-" MAX, "-1");
	check_op(raas_dec_div, "1", MAX, "0");
	check_op(raas_dec_div, MAX, "3", "33333333333333333333333333.333333333333");
	check_op(raas_dec_div, MAX, "2", "50000000000000000000000000");
	check_op(raas_dec_div, "12345678901234567890123.456789012345", "98765432109.876543210987",
	         "124999998860.937500014239");
	/* an exact half on the 256-bit path: 122070312500000000.0001220703125 */
	check_op(raas_dec_div, "1000001000000000.000001000001", "0.008192008192",
	         "122070312500000000.000122070313");
	check_op(raas_dec_div, "-1000001000000000.000001000001", "0.008192008192",
	         "-122070312500000000.000122070313");
	check_op(raas_dec_div, MAX, "0.999999999999", "OVERFLOW");
	check_op(raas_dec_div, "100000000000000", "0.000000000001", "OVERFLOW");
	check_op(raas_dec_div, "10000000000000", "0.1", "100000000000000");
}

static void check_muldiv(const char *a, int64_t num, int64_t den, int places, const char *want)
{
	struct raas_dec r = {777};
	raas_rc rc = raas_dec_muldiv(D(a), num, den, places, &r);

	if (!strcmp(want, "OVERFLOW") || !strcmp(want, "INPUT")) {
		assert_int_equal(rc, !strcmp(want, "OVERFLOW") ? RAAS_E_OVERFLOW : RAAS_E_INPUT);
		assert_true(r.raw == 777);
		return;
	}
	assert_int_equal(rc, RAAS_OK);
	assert_dec(r, want);
}

static void test_muldiv(void **state)
{
	(void)state;
	check_muldiv("500.00", 17, 31, 2, "274.19");
	check_muldiv("1000", 1, 3, 2, "333.33");
	check_muldiv("1000", 2, 3, 2, "666.67");
	check_muldiv("-1000", 2, 3, 2, "-666.67");
	check_muldiv("1000", -2, 3, 2, "-666.67");
	check_muldiv("1000", 2, -3, 2, "-666.67");
	check_muldiv("1000", -2, -3, 2, "666.67");
	check_muldiv("1000", 2, 3, 12, "666.666666666667");
	check_muldiv("1000", 2, 3, 0, "667");
	check_muldiv("0.01", 1, 2, 2, "0.01");
	check_muldiv("-0.01", 1, 2, 2, "-0.01");
	check_muldiv("0.01", 1, 3, 2, "0");
	check_muldiv("2.5", 1, 1, 0, "3");
	check_muldiv("-2.5", 1, 1, 0, "-3");
	check_muldiv("0.000000000001", 1, 2, 12, "0.000000000001");
	check_muldiv("0.000000000001", 1, 2, 11, "0");
	check_muldiv("100", 0, 31, 2, "0");
	check_muldiv("1", INT64_MIN, INT64_MIN, 12, "1");
	check_muldiv("1", INT64_MIN, 1, 0, "-9223372036854775808");
	check_muldiv("-1", INT64_MIN, 1, 0, "9223372036854775808");
	check_muldiv("1", INT64_MAX, INT64_MIN, 12, "-1");
	check_muldiv("1", INT64_MAX, INT64_MIN, 0, "-1");
	check_muldiv("1", 1, INT64_MAX, 12, "0");
	check_muldiv("10000000", 1, INT64_MAX, 12, "0.000000000001");
	check_muldiv(MAX, INT64_MAX, INT64_MAX, 12, MAX);
	check_muldiv(MAX, INT64_MIN, INT64_MIN, 12, MAX);
	check_muldiv(MAX, 1, 3, 12, "33333333333333333333333333.333333333333");
	/* wide quotients whose top 64-bit digit needs Knuth's correction step */
	check_muldiv("-99999999996352767679709389.238089635112", 8736891085856402023,
	             8866862580083011279, 11, "-98534188464393149729309245.6801945777");
	check_muldiv("-99999999999999999999203362.96520323351", 7986413866531056612,
	             8470059033495045643, 11, "-94289943375230291095305670.36962399296");
	check_muldiv(MAX, 1, 1, 11, "OVERFLOW");
	check_muldiv("99999999999999999999999999.5", 1, 1, 0, "OVERFLOW");
	check_muldiv("99999999999999999999999999.4", 1, 1, 0, "99999999999999999999999999");
	check_muldiv(MAX, 2, 1, 12, "OVERFLOW");
	check_muldiv("10000000", INT64_MAX, 1, 2, "92233720368547758070000000");
	check_muldiv("100000000", INT64_MAX, 1, 2, "OVERFLOW");
	check_muldiv("1", 1, 0, 2, "INPUT");
	check_muldiv("1", 1, 1, -1, "INPUT");
	check_muldiv("1", 1, 1, 13, "INPUT");
}

static void test_ceil_div(void **state)
{
	(void)state;
	check_op(raas_dec_ceil_div, "121", "10", "13");
	check_op(raas_dec_ceil_div, "120", "10", "12");
	check_op(raas_dec_ceil_div, "111", "10", "12");
	check_op(raas_dec_ceil_div, "8.1", "4", "3");
	check_op(raas_dec_ceil_div, "8", "4", "2");
	check_op(raas_dec_ceil_div, "0", "5", "0");
	check_op(raas_dec_ceil_div, "-121", "10", "-12");
	check_op(raas_dec_ceil_div, "-0.5", "1", "0");
	check_op(raas_dec_ceil_div, "0.000000000001", "1000", "1");
	check_op(raas_dec_ceil_div, "12.000000000001", "12", "2");
	check_op(raas_dec_ceil_div, "1", "0.000000000001", "1000000000000");
	check_op(raas_dec_ceil_div, "1.000000000001", "0.000000000001", "1000000000001");
	check_op(raas_dec_ceil_div, "0.3", "0.1", "3");
	check_op(raas_dec_ceil_div, "99999999999999999999999999", "1",
	         "99999999999999999999999999");
	check_op(raas_dec_ceil_div, MAX, MAX, "1");
	check_op(raas_dec_ceil_div, "-" MAX, "1", "-99999999999999999999999999");
	check_op(raas_dec_ceil_div, MAX, "1", "OVERFLOW"); /* ceil reaches 10^26 */
	check_op(raas_dec_ceil_div, "100000000000000", "0.000000000001", "OVERFLOW");
	check_op(raas_dec_ceil_div, "1", "0", "INPUT");
	check_op(raas_dec_ceil_div, "1", "-1", "INPUT");
}

static void check_round(const char *a, int places, const char *want)
{
	struct raas_dec r = {777};
	raas_rc rc = raas_dec_round(D(a), places, &r);

	if (!strcmp(want, "OVERFLOW") || !strcmp(want, "INPUT")) {
		assert_int_equal(rc, !strcmp(want, "OVERFLOW") ? RAAS_E_OVERFLOW : RAAS_E_INPUT);
		assert_true(r.raw == 777);
		return;
	}
	assert_int_equal(rc, RAAS_OK);
	assert_dec(r, want);
}

static void test_round(void **state)
{
	(void)state;
	check_round("2.5", 0, "3");
	check_round("-2.5", 0, "-3");
	check_round("2.499999999999", 0, "2");
	check_round("-2.499999999999", 0, "-2");
	check_round("1.005", 2, "1.01");
	check_round("-1.005", 2, "-1.01");
	check_round("-0.004", 2, "0");
	check_round("0.000000000005", 11, "0.00000000001");
	check_round("0.123456789012", 12, "0.123456789012");
	check_round("0.123456789012", 6, "0.123457");
	check_round(MAX, 12, MAX);
	check_round(MAX, 11, "OVERFLOW");
	check_round(MAX, 0, "OVERFLOW");
	check_round("-" MAX, 0, "OVERFLOW");
	check_round("99999999999999999999999999.4", 0, "99999999999999999999999999");
	check_round("1", -1, "INPUT");
	check_round("1", 13, "INPUT");
}

static void test_cmp_sign_int(void **state)
{
	struct raas_dec r;

	(void)state;
	assert_int_equal(raas_dec_cmp(D("1"), D("1.000000000000")), 0);
	assert_int_equal(raas_dec_cmp(D("1"), D("1.000000000001")), -1);
	assert_int_equal(raas_dec_cmp(D("-1"), D("-1.000000000001")), 1);
	assert_int_equal(raas_dec_cmp(D(MAX), D("-" MAX)), 1);
	assert_int_equal(raas_dec_sign(D("-0.000000000001")), -1);
	assert_int_equal(raas_dec_sign(D("-0")), 0);
	assert_int_equal(raas_dec_sign(D("0.000000000001")), 1);
	assert_true(raas_dec_is_integer(D("0")));
	assert_true(raas_dec_is_integer(D("-5")));
	assert_true(raas_dec_is_integer(D("99999999999999999999999999")));
	assert_false(raas_dec_is_integer(D("1.000000000001")));
	assert_false(raas_dec_is_integer(D(MAX)));
	assert_false(raas_dec_is_integer(D("-0.5")));
	assert_int_equal(raas_dec_from_int(INT64_MIN, &r), RAAS_OK);
	assert_dec(r, "-9223372036854775808");
	assert_int_equal(raas_dec_from_int(INT64_MAX, &r), RAAS_OK);
	assert_dec(r, "9223372036854775807");
	assert_int_equal(raas_dec_from_int(0, &r), RAAS_OK);
	assert_dec(r, "0");
	assert_dec(raas_dec_zero(), "0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_amount),
	        cmocka_unit_test(test_parse_amount_rejects),
	        cmocka_unit_test(test_parse_text),
	        cmocka_unit_test(test_parse_text_rejects),
	        cmocka_unit_test(test_parse_boundary),
	        cmocka_unit_test(test_format),
	        cmocka_unit_test(test_format_fixed),
	        cmocka_unit_test(test_round_trip),
	        cmocka_unit_test(test_add_sub),
	        cmocka_unit_test(test_mul),
	        cmocka_unit_test(test_div),
	        cmocka_unit_test(test_muldiv),
	        cmocka_unit_test(test_ceil_div),
	        cmocka_unit_test(test_round),
	        cmocka_unit_test(test_cmp_sign_int),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
