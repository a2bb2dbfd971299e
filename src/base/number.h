/* number.h — exact comparison and plain form of any JSON number an event may carry.
 *
 * Event properties keep their numbers as the original text (json.h). This module turns
 * such text into a normalized exact decimal of up to 128 significant digits with an
 * arbitrary exponent, for `where` comparisons (`59.9999999999999 >= 60` is false,
 * `1e30 > 5` is true), entity text (`1e3` → "1000", `7.50` → "7.5") and duplicate
 * detection (`1e3` equals `1000`). events.md bounds a number's *plain form* (the
 * exponent-free form Python's format(Decimal(x), 'f') writes, sign included) to 128
 * characters; longer numbers are rejected as "number out of range".
 */
#ifndef RAAS_BASE_NUMBER_H
#define RAAS_BASE_NUMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raas/decimal.h"
#include "raas/error.h"

#define RAAS_NUM_MAX_PLAIN 128

/* value = sign × 0.d[0]d[1]…d[ndigits-1] × 10^exp, with d[0] and d[ndigits-1] non-zero
 * digits ('1'..'9'); zero has sign 0 and ndigits 0 (and -0 is zero). */
struct raas_num {
	int8_t sign;
	uint8_t ndigits;
	int32_t exp;
	char digits[RAAS_NUM_MAX_PLAIN];
};

enum raas_num_syntax {
	RAAS_NUM_JSON, /* RFC 8259 number grammar exactly */
	RAAS_NUM_TEXT, /* [+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)? (a string holding a decimal) */
};

/* Length of the plain form of the number text (see above), or SIZE_MAX when the text is
 * not a number in the given syntax. Never overflows, whatever the exponent. */
size_t raas_num_plain_length(const char *s, size_t len, enum raas_num_syntax syntax);

/* Parses number text into its normalized form. RAAS_E_INPUT when the text is not a
 * number ("not a number") or its plain form is longer than 128 characters ("number out
 * of range"); err's path is left empty. */
RAAS_WUR raas_rc raas_num_parse(const char *s, size_t len, enum raas_num_syntax syntax,
                                struct raas_num *out, struct raas_err *err);

/* Exact comparison: -1, 0 or 1. */
int raas_num_cmp(const struct raas_num *a, const struct raas_num *b);

/* Writes the plain form without exponent and without trailing zeros ("1000", "7.5",
 * "-0.001", "0") and a NUL into buf; returns its length, or 0 if cap is too small
 * (RAAS_NUM_MAX_PLAIN + 2 always suffices). */
size_t raas_num_format(const struct raas_num *n, char *buf, size_t cap);

/* Converts to a raas_dec rounded to 12 fractional digits, half away from zero;
 * RAAS_E_OVERFLOW when the magnitude reaches 10^26. */
RAAS_WUR raas_rc raas_num_to_dec(const struct raas_num *n, struct raas_dec *out);

#endif
