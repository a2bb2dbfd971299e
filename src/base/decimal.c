/* decimal.c — exact fixed-point decimals for every amount, rate, quantity and value raas
 * computes (raw = value × 10^12 in a signed 128-bit integer, |value| < 10^26): parsing of
 * contract amounts and decimal text, shortest and fixed formatting, and arithmetic that is
 * exact or rounds once, half away from zero, with overflow reported, never wrapped. It sits
 * under the pricing engine and settlement, which call it millions of times: nothing here
 * allocates, operands that fit in 64 or 128 bits take plain integer paths, division by
 * 10^12 is done as a shift by 12 and four 64-bit divisions by the constant 5^12, and only
 * products and quotients that need it go through a 256-bit intermediate. Every successful
 * result is inside the range (raw values outside it, which no parse produces, still cause no
 * undefined behaviour), and on failure *out is left untouched.
 */
#include "raas/decimal.h"

#include <string.h>

__extension__ typedef unsigned __int128 u128;

#define P12 1000000000000ULL /* 10^12 */
#define FIVE12 244140625ULL  /* 5^12: 10^12 = 2^12 × 5^12 */
#define P19 10000000000000000000ULL
#define RAW_LIMIT ((u128)P19 * P19)    /* 10^38: |raw| must stay below */
#define EXP_CAP 1000000000000000000ULL /* exponents saturate here (far beyond any effect) */

static const char MSG_EMPTY[] = "empty";
static const char MSG_NOT_NUMBER[] = "not a decimal number";
static const char MSG_NEGATIVE[] = "must not be negative";
static const char MSG_SIGN[] = "must not have a sign";
static const char MSG_EXPONENT[] = "must not have an exponent";
static const char MSG_FRACTION[] = "more than 12 fractional digits";
static const char MSG_RANGE[] = "number out of range (magnitude must be below 10^26)";

/* clang-format off */
static const uint64_t pow10_64[20] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
	100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
	10000000000000ULL, 100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
	100000000000000000ULL, 1000000000000000000ULL, 10000000000000000000ULL,
};
/* clang-format on */

/* 10^k for 0 ≤ k ≤ 38. */
static u128 pow10_128(int k)
{
	if (k <= 19)
		return pow10_64[k];
	return (u128)pow10_64[k - 19] * P19;
}

/* |x| as an unsigned number; defined for every x, INT128_MIN included. */
static u128 magnitude(raas_i128 x)
{
	return x < 0 ? (u128)0 - (u128)x : (u128)x;
}

/* The signed value of magnitude m (m < 10^38, so the negation cannot overflow). */
static raas_i128 with_sign(u128 m, bool neg)
{
	return neg ? -(raas_i128)m : (raas_i128)m;
}

static bool fits64(u128 x)
{
	return (x >> 64) == 0;
}

/* Divides (r × 2^128 + y) by 5^12, where r < 5^12, using four 64-bit divisions by a
 * constant (the compiler turns them into multiplications). The quotient fits 128 bits
 * because r < 5^12; the remainder goes to *rem. */
static u128 div_five12(u128 y, uint64_t r, uint64_t *rem)
{
	uint64_t q[4];
	uint64_t cur;

	for (int i = 3; i >= 0; i--) {
		cur = (r << 32) | (uint64_t)(uint32_t)(y >> (32 * i));
		q[i] = cur / FIVE12;
		r = cur % FIVE12;
	}
	*rem = r;
	return ((u128)((q[3] << 32) | q[2]) << 64) | ((q[1] << 32) | q[0]);
}

/* x / 10^12 with the remainder in *rem. */
static u128 div_p12(u128 x, uint64_t *rem)
{
	uint64_t r5;
	u128 q;

	if (fits64(x)) {
		*rem = (uint64_t)x % P12;
		return (uint64_t)x / P12;
	}
	/* x = 2^12 × y + low, y = 5^12 × q + r5  ⇒  x = 10^12 × q + (2^12 × r5 + low). */
	q = div_five12(x >> 12, 0, &r5);
	*rem = (r5 << 12) | ((uint64_t)x & 4095U);
	return q;
}

/* (hi × 2^128 + lo) / 10^12 for hi < 10^12 (so that the quotient fits 128 bits). */
static u128 div_p12_wide(u128 hi, u128 lo, uint64_t *rem)
{
	uint64_t r5;
	u128 q;

	/* Shift the 256-bit number right by 12: its top part hi >> 12 < 5^12 becomes the
	 * initial remainder of the division by 5^12. */
	q = div_five12((hi << 116) | (lo >> 12), (uint64_t)(hi >> 12), &r5);
	*rem = (r5 << 12) | ((uint64_t)lo & 4095U);
	return q;
}

/* The exact 256-bit product a × b as hi × 2^128 + lo. */
static void mul_wide(u128 a, u128 b, u128 *hi, u128 *lo)
{
	uint64_t a0 = (uint64_t)a, a1 = (uint64_t)(a >> 64);
	uint64_t b0 = (uint64_t)b, b1 = (uint64_t)(b >> 64);
	u128 p00 = (u128)a0 * b0, p01 = (u128)a0 * b1;
	u128 p10 = (u128)a1 * b0, p11 = (u128)a1 * b1;
	u128 mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10; /* < 3 × 2^64 */

	*lo = (mid << 64) | (uint64_t)p00;
	*hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
}

static int clz128(u128 v)
{
	uint64_t h = (uint64_t)(v >> 64);

	return h ? __builtin_clzll(h) : 64 + __builtin_clzll((uint64_t)v);
}

/* (u1 × 2^128 + u0) / v with the remainder in *rem, for v > 0 and u1 < v (so that the
 * quotient fits 128 bits). Knuth's algorithm D with two 64-bit digits (Hacker's Delight
 * divlu, widened): every step is a 128-by-64-bit division. */
static u128 div_wide(u128 u1, u128 u0, u128 v, u128 *rem)
{
	const u128 b = (u128)1 << 64;
	u128 vn1, vn0, un32, un10, un1, un0, q1, q0, rhat, un21;
	int s;

	if (u1 == 0) {
		*rem = u0 % v;
		return u0 / v;
	}
	s = clz128(v);
	v <<= s;
	vn1 = v >> 64;
	vn0 = (uint64_t)v;
	un32 = s ? (u1 << s) | (u0 >> (128 - s)) : u1;
	un10 = u0 << s;
	un1 = un10 >> 64;
	un0 = (uint64_t)un10;

	q1 = un32 / vn1;
	rhat = un32 - q1 * vn1;
	while (q1 >= b || q1 * vn0 > ((rhat << 64) | un1)) {
		q1--;
		rhat += vn1;
		if (rhat >= b)
			break;
	}
	un21 = (un32 << 64) + un1 - q1 * v; /* modulo 2^128: the true value is < v */

	q0 = un21 / vn1;
	rhat = un21 - q0 * vn1;
	while (q0 >= b || q0 * vn0 > ((rhat << 64) | un0)) {
		q0--;
		rhat += vn1;
		if (rhat >= b)
			break;
	}
	*rem = ((un21 << 64) + un0 - q0 * v) >> s;
	return (q1 << 64) | q0;
}

/* n / d and n % d, with 64-bit instructions when both fit. */
static u128 divmod(u128 n, u128 d, u128 *rem)
{
	u128 q;

	if (fits64(n) && fits64(d)) {
		*rem = (uint64_t)n % (uint64_t)d;
		return (uint64_t)n / (uint64_t)d;
	}
	q = n / d;
	*rem = n - q * d;
	return q;
}

/* ---- parsing ---- */

/* The parts of [+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)? text. */
struct dec_text {
	bool has_sign, neg, has_exp, exp_neg;
	const char *ip; /* integer digits */
	size_t nint;
	const char *fp; /* fractional digits (after the point) */
	size_t nfrac;
	uint64_t exp; /* |exponent|, saturated at EXP_CAP */
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Splits s into its parts; returns NULL or the message saying what is wrong. */
static const char *scan_text(const char *s, size_t len, struct dec_text *t)
{
	size_t i = 0, start;

	memset(t, 0, sizeof *t);
	if (len == 0)
		return MSG_EMPTY;
	if (s[0] == '+' || s[0] == '-') {
		t->has_sign = true;
		t->neg = s[0] == '-';
		i++;
	}
	start = i;
	while (i < len && is_digit(s[i]))
		i++;
	if (i == start)
		return MSG_NOT_NUMBER;
	t->ip = s + start;
	t->nint = i - start;
	if (i < len && s[i] == '.') {
		start = ++i;
		while (i < len && is_digit(s[i]))
			i++;
		if (i == start)
			return MSG_NOT_NUMBER;
		t->fp = s + start;
		t->nfrac = i - start;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		t->has_exp = true;
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-')) {
			t->exp_neg = s[i] == '-';
			i++;
		}
		start = i;
		while (i < len && is_digit(s[i])) {
			if (t->exp < EXP_CAP)
				t->exp = t->exp * 10 + (uint64_t)(s[i] - '0');
			i++;
		}
		if (i == start)
			return MSG_NOT_NUMBER;
	}
	if (i != len)
		return MSG_NOT_NUMBER;
	return NULL;
}

/* Digit idx (0-based) of the digit string "integer digits ‖ fractional digits". */
static unsigned text_digit(const struct dec_text *t, size_t idx)
{
	char c = idx < t->nint ? t->ip[idx] : t->fp[idx - t->nint];

	return (unsigned)(c - '0');
}

/* Rounds the scanned number half away from zero to 12 fractional digits: writes the raw
 * magnitude to *out, or returns false when it reaches 10^26. */
static bool text_to_raw(const struct dec_text *t, u128 *out)
{
	size_t ns = t->nint + t->nfrac, k = 0, nd, take, i;
	raas_i128 x;
	u128 m = 0;
	uint64_t chunk = 0;
	unsigned chunk_len = 0;

	while (k < ns && text_digit(t, k) == 0)
		k++;
	*out = 0;
	if (k == ns)
		return true; /* zero, whatever the sign and exponent */
	nd = ns - k;
	/* value = 0.D × 10^x with D the nd significant digits (the first non-zero); raw is
	 * 0.D × 10^(x + 12). The sizes are bounded by len and the exponent by EXP_CAP, so
	 * 128 bits hold x exactly. */
	x = (raas_i128)nd - (raas_i128)t->nfrac + 12;
	x += t->exp_neg ? -(raas_i128)t->exp : (raas_i128)t->exp;
	if (x < 0)
		return true; /* below 0.05 × 10^-12: rounds to zero */
	if (x > 38)
		return false; /* at least 10^38 × 10^-12 */
	take = (size_t)x;
	for (i = 0; i < take && i < nd; i++) {
		chunk = chunk * 10 + text_digit(t, k + i);
		if (++chunk_len == 19) {
			m = m * P19 + chunk;
			chunk = 0;
			chunk_len = 0;
		}
	}
	m = m * pow10_64[chunk_len] + chunk;
	if (take > nd)
		m *= pow10_128((int)(take - nd));
	if (take < nd && text_digit(t, k + take) >= 5)
		m++;
	if (m >= RAW_LIMIT)
		return false;
	*out = m;
	return true;
}

/* Scans the text once, applies the AMOUNT restrictions (sign, exponent, at most 12
 * fractional digits: syntax problems are reported before range problems), then rounds to
 * 12 fractional digits and decides overflow on the rounded value. */
raas_rc raas_dec_parse(const char *s, size_t len, enum raas_dec_syntax syntax, struct raas_dec *out,
                       struct raas_err *err)
{
	struct dec_text t;
	const char *msg;
	u128 m;

	msg = scan_text(s, len, &t);
	if (msg)
		return raas_err_set(err, RAAS_E_INPUT, NULL, "%s", msg);
	if (syntax == RAAS_DEC_AMOUNT) {
		if (t.has_sign)
			return raas_err_set(err, RAAS_E_INPUT, NULL, "%s",
			                    t.neg ? MSG_NEGATIVE : MSG_SIGN);
		if (t.has_exp)
			return raas_err_set(err, RAAS_E_INPUT, NULL, "%s", MSG_EXPONENT);
		if (t.nfrac > RAAS_DEC_SCALE)
			return raas_err_set(err, RAAS_E_INPUT, NULL, "%s", MSG_FRACTION);
	}
	if (!text_to_raw(&t, &m))
		return raas_err_set(err, RAAS_E_OVERFLOW, NULL, "%s", MSG_RANGE);
	out->raw = with_sign(m, t.neg);
	return RAAS_OK;
}

/* ---- formatting ---- */

/* Writes the decimal digits of v (no leading zeros, "0" for 0); returns their count. */
static size_t put_u64(uint64_t v, char *p)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

/* Writes exactly width digits of v (v < 10^width), with leading zeros. */
static void put_padded(uint64_t v, unsigned width, char *p)
{
	while (width--) {
		p[width] = (char)('0' + v % 10);
		v /= 10;
	}
}

static size_t put_u128(u128 v, char *p)
{
	size_t n;

	if (fits64(v))
		return put_u64((uint64_t)v, p);
	n = put_u128(v / P19, p);
	put_padded((uint64_t)(v % P19), 19, p + n);
	return n + 19;
}

/* Integer part, then the 12 fractional digits without their trailing zeros. */
size_t raas_dec_format(struct raas_dec d, char *buf)
{
	u128 m = magnitude(d.raw), ip;
	uint64_t frac;
	size_t n = 0;
	unsigned width = RAAS_DEC_SCALE;

	if (d.raw < 0)
		buf[n++] = '-';
	ip = div_p12(m, &frac);
	n += put_u128(ip, buf + n);
	if (frac) {
		while (frac % 10 == 0) {
			frac /= 10;
			width--;
		}
		buf[n++] = '.';
		put_padded(frac, width, buf + n);
		n += width;
	}
	buf[n] = '\0';
	return n;
}

/* Rounds the magnitude to places (clamped to 0..12), then prints the sign only if the
 * rounded magnitude is not zero. Values that round up to 10^26 still print (27 digits). */
size_t raas_dec_format_fixed(struct raas_dec d, int places, char *buf)
{
	u128 m = magnitude(d.raw), q, r, p;
	size_t n = 0;

	if (places < 0)
		places = 0;
	if (places > RAAS_DEC_SCALE)
		places = RAAS_DEC_SCALE;
	p = pow10_64[RAAS_DEC_SCALE - places];
	q = divmod(m, p, &r);
	if (r >= p - r)
		q++; /* half away from zero; m ≤ 2^127, so no wrap */
	if (d.raw < 0 && q != 0)
		buf[n++] = '-';
	if (places == 0) {
		n += put_u128(q, buf + n);
	} else {
		p = pow10_64[places];
		n += put_u128(q / p, buf + n);
		buf[n++] = '.';
		put_padded((uint64_t)(q % p), (unsigned)places, buf + n);
		n += (size_t)places;
	}
	buf[n] = '\0';
	return n;
}

/* ---- arithmetic ---- */

/* Exact; the builtins catch a wrap of out-of-range operands, the limit the rest. */
raas_rc raas_dec_add(struct raas_dec a, struct raas_dec b, struct raas_dec *out)
{
	raas_i128 s;

	if (__builtin_add_overflow(a.raw, b.raw, &s) || magnitude(s) >= RAW_LIMIT)
		return RAAS_E_OVERFLOW;
	out->raw = s;
	return RAAS_OK;
}

raas_rc raas_dec_sub(struct raas_dec a, struct raas_dec b, struct raas_dec *out)
{
	raas_i128 s;

	if (__builtin_sub_overflow(a.raw, b.raw, &s) || magnitude(s) >= RAW_LIMIT)
		return RAAS_E_OVERFLOW;
	out->raw = s;
	return RAAS_OK;
}

/* raw(a × b) = round(|a.raw| × |b.raw| / 10^12). */
raas_rc raas_dec_mul(struct raas_dec a, struct raas_dec b, struct raas_dec *out)
{
	bool neg = (a.raw < 0) != (b.raw < 0);
	u128 x = magnitude(a.raw), y = magnitude(b.raw), q, hi, lo;
	uint64_t r;

	if (fits64(x) && fits64(y)) {
		q = div_p12((u128)(uint64_t)x * (uint64_t)y, &r);
	} else {
		mul_wide(x, y, &hi, &lo);
		if (hi >= P12)
			return RAAS_E_OVERFLOW; /* quotient ≥ 2^128 */
		q = div_p12_wide(hi, lo, &r);
	}
	if (r >= P12 / 2)
		q++;
	if (q >= RAW_LIMIT)
		return RAAS_E_OVERFLOW;
	out->raw = with_sign(q, neg);
	return RAAS_OK;
}

/* raw(a / b) = round(|a.raw| × 10^12 / |b.raw|). */
raas_rc raas_dec_div(struct raas_dec a, struct raas_dec b, struct raas_dec *out)
{
	bool neg = (a.raw < 0) != (b.raw < 0);
	u128 x = magnitude(a.raw), y = magnitude(b.raw), q, r, hi, lo;

	if (y == 0)
		return RAAS_E_INPUT;
	if ((x >> 88) == 0) { /* x × 10^12 < 2^128 */
		q = divmod(x * P12, y, &r);
	} else {
		mul_wide(x, P12, &hi, &lo);
		if (hi >= y)
			return RAAS_E_OVERFLOW; /* quotient ≥ 2^128 */
		q = div_wide(hi, lo, y, &r);
	}
	if (r >= y - r)
		q++;
	if (q >= RAW_LIMIT)
		return RAAS_E_OVERFLOW;
	out->raw = with_sign(q, neg);
	return RAAS_OK;
}

/* round(|a.raw| × |num| / (|den| × 10^(12 - places))) × 10^(12 - places): the product
 * needs at most 190 bits and the divisor at most 103, so one 256-by-128 division is exact.
 * RAAS_E_INPUT for den = 0 or places outside 0..12. */
raas_rc raas_dec_muldiv(struct raas_dec a, int64_t num, int64_t den, int places,
                        struct raas_dec *out)
{
	bool neg = ((a.raw < 0) != (num < 0)) != (den < 0);
	u128 x = magnitude(a.raw), q, r, d, hi, lo;
	uint64_t n = num < 0 ? 0 - (uint64_t)num : (uint64_t)num;
	uint64_t dm = den < 0 ? 0 - (uint64_t)den : (uint64_t)den;

	if (den == 0 || places < 0 || places > RAAS_DEC_SCALE)
		return RAAS_E_INPUT;
	d = (u128)dm * pow10_64[RAAS_DEC_SCALE - places]; /* < 2^103 */
	if (fits64(x)) {
		q = divmod((u128)(uint64_t)x * n, d, &r);
	} else {
		mul_wide(x, n, &hi, &lo);
		if (hi >= d)
			return RAAS_E_OVERFLOW;
		q = div_wide(hi, lo, d, &r);
	}
	if (r >= d - r)
		q++;
	if (q >= pow10_128(RAAS_DEC_INT_DIGITS + places))
		return RAAS_E_OVERFLOW;
	out->raw = with_sign(q * pow10_64[RAAS_DEC_SCALE - places], neg);
	return RAAS_OK;
}

/* ceil(a.raw / b.raw), exact in 128 bits whatever the magnitudes; the result is an integer
 * n, so it overflows when |n| ≥ 10^26. */
raas_rc raas_dec_ceil_div(struct raas_dec a, struct raas_dec b, struct raas_dec *out)
{
	u128 x = magnitude(a.raw), q, r;

	if (b.raw <= 0)
		return RAAS_E_INPUT;
	q = divmod(x, (u128)b.raw, &r);
	if (a.raw > 0 && r != 0)
		q++; /* ceil; for a negative a, ceil(a / b) = -floor(|a| / b) */
	if (q >= pow10_128(RAAS_DEC_INT_DIGITS))
		return RAAS_E_OVERFLOW;
	out->raw = with_sign(q * P12, a.raw < 0);
	return RAAS_OK;
}

/* Half away from zero on the magnitude; RAAS_E_INPUT for places outside 0..12,
 * RAAS_E_OVERFLOW when the rounded value reaches 10^26. */
raas_rc raas_dec_round(struct raas_dec a, int places, struct raas_dec *out)
{
	u128 x = magnitude(a.raw), q, r, p;

	if (places < 0 || places > RAAS_DEC_SCALE)
		return RAAS_E_INPUT;
	p = pow10_64[RAAS_DEC_SCALE - places];
	q = divmod(x, p, &r);
	if (r >= p - r)
		q++;
	if (q >= pow10_128(RAAS_DEC_INT_DIGITS + places))
		return RAAS_E_OVERFLOW;
	out->raw = with_sign(q * p, a.raw < 0);
	return RAAS_OK;
}

int raas_dec_cmp(struct raas_dec a, struct raas_dec b)
{
	return (a.raw > b.raw) - (a.raw < b.raw);
}

int raas_dec_sign(struct raas_dec a)
{
	return (a.raw > 0) - (a.raw < 0);
}

bool raas_dec_is_integer(struct raas_dec a)
{
	uint64_t r;

	(void)div_p12(magnitude(a.raw), &r);
	return r == 0;
}

raas_rc raas_dec_from_int(int64_t v, struct raas_dec *out)
{
	/* |v| < 2^63 < 10^19, far inside the range: always exact. */
	out->raw = (raas_i128)v * (raas_i128)P12;
	return RAAS_OK;
}
