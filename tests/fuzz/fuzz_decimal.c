/* fuzz_decimal.c — libFuzzer target for the exact-decimal module (src/base/decimal.c).
 *
 * The input is split at its first newline into two operands (without a newline both are the
 * whole input); each is parsed as TEXT and as AMOUNT. Beyond "never crashes", it checks
 * properties that hold exactly: AMOUNT values are TEXT values, format and format_fixed(12)
 * re-parse to the same raw value, format_fixed(p) re-parses to round(p), round is idempotent,
 * multiplying or dividing by 1 is the identity, add/sub invert each other, cmp agrees with
 * the sign of the difference, mul commutes, mul and div agree with muldiv (a × b.raw / 10^12,
 * a × 10^12 / b.raw, and a × n / 1, a × 1 / n for integers), ceil_div brackets the quotient,
 * and both parses agree with an independent position-based reading of the text. The first
 * input byte picks the rounding places.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raas/decimal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                             \
	do {                                                                                    \
		if (!(cond)) {                                                                  \
			fprintf(stderr, "fuzz_decimal: %s:%d: property failed: %s\n", __FILE__, \
			        __LINE__, #cond);                                               \
			abort();                                                                \
		}                                                                               \
	} while (0)

static struct raas_dec from_raw(raas_i128 raw)
{
	struct raas_dec d = {raw};
	return d;
}

static bool same(struct raas_dec a, struct raas_dec b)
{
	return a.raw == b.raw;
}

/* Re-parses formatted text; returns the code. */
static raas_rc reparse(const char *buf, size_t len, enum raas_dec_syntax syn, struct raas_dec *out)
{
	struct raas_err err;

	CHECK(len == strlen(buf) && len < RAAS_DEC_FORMAT_MAX);
	return raas_dec_parse(buf, len, syn, out, &err);
}

/* Properties of one parsed value. */
static void check_one(struct raas_dec a, int places)
{
	char buf[RAAS_DEC_FORMAT_MAX];
	struct raas_dec one, r, r2, t;
	raas_rc rc;
	size_t n;
	int p;

	n = raas_dec_format(a, buf);
	CHECK(reparse(buf, n, RAAS_DEC_TEXT, &r) == RAAS_OK && same(r, a));
	if (raas_dec_sign(a) >= 0)
		CHECK(reparse(buf, n, RAAS_DEC_AMOUNT, &r) == RAAS_OK && same(r, a));
	n = raas_dec_format_fixed(a, 12, buf);
	CHECK(reparse(buf, n, RAAS_DEC_TEXT, &r) == RAAS_OK && same(r, a));

	for (p = 0; p <= RAAS_DEC_SCALE; p++) {
		n = raas_dec_format_fixed(a, p, buf);
		rc = raas_dec_round(a, p, &r);
		CHECK(rc == RAAS_OK || rc == RAAS_E_OVERFLOW);
		CHECK(reparse(buf, n, RAAS_DEC_TEXT, &t) == rc);
		if (rc != RAAS_OK)
			continue;
		CHECK(same(t, r));
		CHECK(buf[0] != '-' || raas_dec_sign(r) < 0); /* never "-0" */
		CHECK(raas_dec_round(r, p, &r2) == RAAS_OK && same(r2, r));
	}
	CHECK(raas_dec_round(a, 12, &r) == RAAS_OK && same(r, a));

	CHECK(raas_dec_from_int(1, &one) == RAAS_OK);
	CHECK(raas_dec_mul(a, one, &r) == RAAS_OK && same(r, a));
	CHECK(raas_dec_div(a, one, &r) == RAAS_OK && same(r, a));
	CHECK(raas_dec_mul(a, from_raw(-one.raw), &r) == RAAS_OK && r.raw == -a.raw);
	CHECK(raas_dec_muldiv(a, 1, 1, 12, &r) == RAAS_OK && same(r, a));
	CHECK(raas_dec_muldiv(a, -1, -1, 12, &r) == RAAS_OK && same(r, a));
	CHECK(raas_dec_muldiv(a, INT64_MIN, INT64_MIN, 12, &r) == RAAS_OK && same(r, a));
	CHECK(raas_dec_muldiv(a, 1, 0, 12, &r) == RAAS_E_INPUT);
	CHECK(raas_dec_div(a, raas_dec_zero(), &r) == RAAS_E_INPUT);
	rc = raas_dec_round(a, places, &r);
	CHECK(raas_dec_muldiv(a, 7, 7, places, &r2) == rc);
	if (rc == RAAS_OK)
		CHECK(same(r, r2));
	CHECK(raas_dec_is_integer(a) == (raas_dec_round(a, 0, &r) == RAAS_OK && same(r, a)));

	/* ceil(a / 1): the smallest integer ≥ a */
	rc = raas_dec_ceil_div(a, one, &r);
	CHECK(rc == RAAS_OK || rc == RAAS_E_OVERFLOW);
	if (rc == RAAS_OK) {
		CHECK(raas_dec_is_integer(r) && raas_dec_cmp(r, a) >= 0);
		if (raas_dec_sub(r, one, &t) == RAAS_OK) /* r - 1 may be -10^26 */
			CHECK(raas_dec_cmp(t, a) < 0);
	} else {
		CHECK(raas_dec_sign(a) > 0 && !raas_dec_is_integer(a));
	}
}

/* The integer value of b if it is one and fits int64_t. */
static bool as_int64(struct raas_dec b, int64_t *v)
{
	raas_i128 q;

	if (!raas_dec_is_integer(b))
		return false;
	q = b.raw / 1000000000000;
	if (q < INT64_MIN || q > INT64_MAX)
		return false;
	*v = (int64_t)q;
	return true;
}

/* Properties of a pair of values. */
static void check_pair(struct raas_dec a, struct raas_dec b)
{
	struct raas_dec s, s2, t, m, m2, n, one;
	raas_rc rc, rc2;
	int64_t bi;

	rc = raas_dec_add(a, b, &s);
	rc2 = raas_dec_add(b, a, &s2);
	CHECK(rc == rc2 && (rc == RAAS_OK || rc == RAAS_E_OVERFLOW));
	if (rc == RAAS_OK) {
		CHECK(same(s, s2));
		CHECK(raas_dec_sub(s, b, &t) == RAAS_OK && same(t, a));
	}
	rc = raas_dec_sub(a, b, &s);
	CHECK(rc == RAAS_OK || rc == RAAS_E_OVERFLOW);
	if (rc == RAAS_OK) {
		CHECK(raas_dec_add(s, b, &t) == RAAS_OK && same(t, a));
		CHECK(raas_dec_cmp(a, b) == raas_dec_sign(s));
		CHECK(raas_dec_sub(b, a, &t) == RAAS_OK && t.raw == -s.raw);
	}
	CHECK(raas_dec_cmp(a, b) == -raas_dec_cmp(b, a));

	rc = raas_dec_mul(a, b, &m);
	rc2 = raas_dec_mul(b, a, &m2);
	CHECK(rc == rc2 && (rc == RAAS_OK || rc == RAAS_E_OVERFLOW));
	if (rc == RAAS_OK) {
		CHECK(same(m, m2));
		CHECK(raas_dec_sign(m) == 0 ||
		      raas_dec_sign(m) == raas_dec_sign(a) * raas_dec_sign(b));
	}
	rc2 = raas_dec_div(a, b, &t);
	if (b.raw == 0)
		CHECK(rc2 == RAAS_E_INPUT);
	else
		CHECK(rc2 == RAAS_OK || rc2 == RAAS_E_OVERFLOW);
	if (b.raw >= INT64_MIN && b.raw <= INT64_MAX) {
		/* b = b.raw / 10^12 exactly: the same product and quotient through muldiv's
		 * general division instead of mul's division by 10^12 and div's by |b| */
		CHECK(raas_dec_muldiv(a, (int64_t)b.raw, 1000000000000, 12, &m2) == rc);
		if (rc == RAAS_OK)
			CHECK(same(m, m2));
		if (b.raw != 0) {
			CHECK(raas_dec_muldiv(a, 1000000000000, (int64_t)b.raw, 12, &m2) == rc2);
			if (rc2 == RAAS_OK)
				CHECK(same(t, m2));
		}
	}
	if (as_int64(b, &bi)) {
		/* two independent code paths: the 256-bit product vs a × bi / 1 */
		CHECK(raas_dec_muldiv(a, bi, 1, 12, &m2) == rc);
		if (rc == RAAS_OK)
			CHECK(same(m, m2));
		if (bi != 0) {
			CHECK(raas_dec_muldiv(a, 1, bi, 12, &m2) == rc2);
			if (rc2 == RAAS_OK)
				CHECK(same(t, m2));
		}
	}

	/* ceil_div: n × b ≥ a > (n - 1) × b, exact products of an integer and b */
	rc = raas_dec_ceil_div(a, b, &n);
	if (b.raw <= 0) {
		CHECK(rc == RAAS_E_INPUT);
		return;
	}
	CHECK(rc == RAAS_OK || rc == RAAS_E_OVERFLOW);
	if (rc != RAAS_OK)
		return;
	CHECK(raas_dec_is_integer(n));
	CHECK(raas_dec_from_int(1, &one) == RAAS_OK);
	if (raas_dec_mul(n, b, &m) == RAAS_OK)
		CHECK(raas_dec_cmp(m, a) >= 0);
	if (raas_dec_sub(n, one, &s) == RAAS_OK && raas_dec_mul(s, b, &m) == RAAS_OK)
		CHECK(raas_dec_cmp(m, a) < 0);
}

/* An independent, position-based reading of TEXT for comparison with raas_dec_parse: every
 * digit is placed at its power of ten (digit i of "int‖frac" has power nint - 1 - i + exp);
 * powers 25..-12 form the raw value, power -13 decides the rounding, any non-zero digit at
 * 26 or above is an overflow. *amount_ok tells whether the text is also a valid AMOUNT. */
static raas_rc ref_parse(const char *s, size_t len, raas_i128 *raw, bool *amount_ok)
{
	size_t i = 0, int0, int1, frac0 = 0, frac1 = 0, d;
	bool neg = false, has_sign = false, has_exp = false, exp_neg = false;
	raas_i128 exp = 0, pw, m = 0;
	char digit[39]; /* digit[k] is the digit at power 25 - k, k = 0..38 */

	*amount_ok = false;
	if (i < len && (s[i] == '+' || s[i] == '-')) {
		has_sign = true;
		neg = s[i++] == '-';
	}
	int0 = i;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	int1 = i;
	if (int1 == int0)
		return RAAS_E_INPUT;
	if (i < len && s[i] == '.') {
		frac0 = ++i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		frac1 = i;
		if (frac1 == frac0)
			return RAAS_E_INPUT;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t e0;

		has_exp = true;
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			exp_neg = s[i++] == '-';
		e0 = i;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (exp < (raas_i128)1 << 80)
				exp = exp * 10 + (s[i] - '0');
			i++;
		}
		if (i == e0)
			return RAAS_E_INPUT;
	}
	if (i != len)
		return RAAS_E_INPUT;
	*amount_ok = !has_sign && !has_exp && frac1 - frac0 <= 12;
	if (exp_neg)
		exp = -exp;
	memset(digit, 0, sizeof digit);
	for (d = 0; d < (int1 - int0) + (frac1 - frac0); d++) {
		char c = d < int1 - int0 ? s[int0 + d] : s[frac0 + d - (int1 - int0)];

		pw = (raas_i128)(int1 - int0) - 1 - (raas_i128)d + exp;
		if (c == '0' || pw < -13)
			continue;
		if (pw >= 26)
			return RAAS_E_OVERFLOW;
		digit[25 - (int)pw] = (char)(c - '0');
	}
	for (d = 0; d < 38; d++)
		m = m * 10 + digit[d];
	if (digit[38] >= 5)
		m++;
	if (m >= (raas_i128)10000000000000000000ULL * 10000000000000000000ULL)
		return RAAS_E_OVERFLOW;
	*raw = neg ? -m : m;
	return RAAS_OK;
}

/* Parses one operand both ways; returns whether TEXT accepted it. */
static bool parse_both(const char *s, size_t len, struct raas_dec *out)
{
	struct raas_dec t = {0}, am = {0};
	struct raas_err et, ea;
	raas_rc rt, ra, ref_rc;
	raas_i128 ref_raw = 0;
	bool amount_ok;

	raas_err_clear(&et);
	raas_err_clear(&ea);
	rt = raas_dec_parse(s, len, RAAS_DEC_TEXT, &t, &et);
	ra = raas_dec_parse(s, len, RAAS_DEC_AMOUNT, &am, &ea);
	CHECK(rt == RAAS_OK || rt == RAAS_E_INPUT || rt == RAAS_E_OVERFLOW);
	CHECK(ra == RAAS_OK || ra == RAAS_E_INPUT || ra == RAAS_E_OVERFLOW);
	if (rt != RAAS_OK)
		CHECK(et.code == rt && et.path[0] == '\0' && et.message[0] != '\0');
	if (ra != RAAS_OK)
		CHECK(ea.code == ra && ea.path[0] == '\0' && ea.message[0] != '\0');
	/* every amount is a TEXT number with the same value; a malformed TEXT is never an
	 * amount, and an amount overflows exactly when its TEXT reading does */
	if (ra == RAAS_OK)
		CHECK(rt == RAAS_OK && same(t, am) && raas_dec_sign(am) >= 0);
	ref_rc = ref_parse(s, len, &ref_raw, &amount_ok);
	CHECK(rt == ref_rc);
	if (rt == RAAS_OK)
		CHECK(t.raw == ref_raw);
	CHECK(ra == (amount_ok ? ref_rc : RAAS_E_INPUT));
	if (rt == RAAS_E_INPUT)
		CHECK(ra == RAAS_E_INPUT);
	if (ra == RAAS_E_OVERFLOW)
		CHECK(rt == RAAS_E_OVERFLOW);
	if (rt == RAAS_OK)
		*out = t;
	return rt == RAAS_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const char *nl = memchr(s, '\n', size);
	size_t la = nl ? (size_t)(nl - s) : size;
	const char *bs = nl ? nl + 1 : s;
	size_t lb = nl ? size - la - 1 : size;
	int places = size ? data[0] % (RAAS_DEC_SCALE + 1) : 0;
	struct raas_dec a, b;
	bool ok_a, ok_b;

	ok_a = parse_both(s, la, &a);
	ok_b = parse_both(bs, lb, &b);
	if (ok_a)
		check_one(a, places);
	if (ok_b)
		check_one(b, places);
	if (ok_a && ok_b) {
		check_pair(a, b);
		check_pair(b, a);
	}
	return 0;
}
