/* decimal.h — exact decimal numbers for money, rates, quantities and values.
 *
 * A struct raas_dec is a 128-bit fixed-point number with 12 fractional digits:
 * value = raw / 10^12, with |value| < 10^26 (contracts.md "Arithmetic and rounding").
 * Every operation is exact or rounds once, half away from zero, to 12 fractional digits
 * (or to the places asked for); a result whose magnitude reaches 10^26 is
 * RAAS_E_OVERFLOW, never a wrap. Products and quotients use 256-bit intermediates, so
 * they are exact before their single rounding.
 */
#ifndef RAAS_DECIMAL_H
#define RAAS_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raas/error.h"

#define RAAS_DEC_SCALE 12      /* fractional digits kept */
#define RAAS_DEC_INT_DIGITS 26 /* |value| < 10^26 */
#define RAAS_DEC_FORMAT_MAX 48 /* buffer size that fits any formatted raas_dec + NUL */

__extension__ typedef __int128 raas_i128;

struct raas_dec {
	raas_i128 raw; /* value × 10^12 */
};

enum raas_dec_syntax {
	/* contracts.md amounts: [0-9]+(\.[0-9]{1,12})? — no sign, no exponent, at most
	 * 12 fractional digits (more is an error, not a rounding). */
	RAAS_DEC_AMOUNT,
	/* any decimal number text: [+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)? — JSON number
	 * text, decimal strings, command-line values. Extra fractional digits are rounded to
	 * 12, half away from zero. */
	RAAS_DEC_TEXT,
};

/* Parses the len bytes at s. On failure returns RAAS_E_INPUT (malformed: the message says
 * what is wrong) or RAAS_E_OVERFLOW (magnitude reaches 10^26 after rounding) and fills
 * err (path left empty: the caller knows the place). */
RAAS_WUR raas_rc raas_dec_parse(const char *s, size_t len, enum raas_dec_syntax syntax,
                                struct raas_dec *out, struct raas_err *err);

/* Writes the shortest exact form: no exponent, no trailing fractional zeros, no trailing
 * point, "0" for zero ("1300", "10.4", "-0.000001"). Returns the length; buf must hold
 * RAAS_DEC_FORMAT_MAX bytes. */
size_t raas_dec_format(struct raas_dec d, char *buf);

/* Writes d rounded (half away from zero) to exactly places fractional digits, 0 ≤ places
 * ≤ 12 ("10520.00", JPY "300"); zero is never written with a minus sign. Returns the
 * length; buf must hold RAAS_DEC_FORMAT_MAX bytes. */
size_t raas_dec_format_fixed(struct raas_dec d, int places, char *buf);

/* Arithmetic: out may alias a or b. RAAS_E_OVERFLOW when the result reaches 10^26. */
RAAS_WUR raas_rc raas_dec_add(struct raas_dec a, struct raas_dec b, struct raas_dec *out);
RAAS_WUR raas_rc raas_dec_sub(struct raas_dec a, struct raas_dec b, struct raas_dec *out);
/* Exact product rounded once to 12 fractional digits, half away from zero. */
RAAS_WUR raas_rc raas_dec_mul(struct raas_dec a, struct raas_dec b, struct raas_dec *out);
/* Exact quotient rounded once to 12 fractional digits; RAAS_E_INPUT when b is zero. */
RAAS_WUR raas_rc raas_dec_div(struct raas_dec a, struct raas_dec b, struct raas_dec *out);
/* a × num / den computed exactly and rounded once to places (0..12) fractional digits,
 * half away from zero: proration (settlement.md). den must not be 0 (RAAS_E_INPUT). */
RAAS_WUR raas_rc raas_dec_muldiv(struct raas_dec a, int64_t num, int64_t den, int places,
                                 struct raas_dec *out);
/* ceil(a / b) as an integer-valued decimal; b must be positive (RAAS_E_INPUT otherwise). */
RAAS_WUR raas_rc raas_dec_ceil_div(struct raas_dec a, struct raas_dec b, struct raas_dec *out);
/* a rounded to places (0..12) fractional digits, half away from zero. */
RAAS_WUR raas_rc raas_dec_round(struct raas_dec a, int places, struct raas_dec *out);

/* -1, 0 or 1. */
int raas_dec_cmp(struct raas_dec a, struct raas_dec b);
/* -1, 0 or 1. */
int raas_dec_sign(struct raas_dec a);
bool raas_dec_is_integer(struct raas_dec a);
/* Exact conversion of an integer; RAAS_E_OVERFLOW beyond the range. */
RAAS_WUR raas_rc raas_dec_from_int(int64_t v, struct raas_dec *out);

static inline struct raas_dec raas_dec_zero(void)
{
	struct raas_dec z = {0};
	return z;
}

#endif
