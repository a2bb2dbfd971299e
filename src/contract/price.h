/* price.h — the pricing engine of contracts.md "Prices".
 *
 * A price is parsed (with every problem reported by JSON path) into a struct raas_price,
 * then turns a period's quantity (count of results or sum of values) into an amount. All
 * arithmetic is exact decimal with 12 fractional digits; each product (a tier's part ×
 * its amount, a result's value × rate) is rounded once, half away from zero. Rounding to
 * the currency's minor unit is the invoice line's business, not the price's.
 */
#ifndef RAAS_CONTRACT_PRICE_H
#define RAAS_CONTRACT_PRICE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/json.h"
#include "raas/decimal.h"
#include "raas/error.h"

#define RAAS_PRICE_MAX_TIERS 64

enum raas_price_model {
	RAAS_PRICE_UNIT,
	RAAS_PRICE_GRADUATED,
	RAAS_PRICE_VOLUME,
	RAAS_PRICE_PACKAGE,
	RAAS_PRICE_PERCENTAGE,
};

enum raas_measure {
	RAAS_MEASURE_COUNT, /* the number of results */
	RAAS_MEASURE_VALUE, /* the sum of the results' values */
};

struct raas_tier {
	bool unbounded;         /* up_to null (only the last tier) */
	struct raas_dec up_to;  /* inclusive upper bound when bounded */
	struct raas_dec amount; /* unit amount */
	struct raas_dec flat;   /* flat amount, 0 when absent */
};

struct raas_price {
	enum raas_price_model model;
	enum raas_measure measure;
	struct raas_dec amount; /* unit, package */
	struct raas_dec size;   /* package */
	struct raas_dec free;   /* package, 0 when absent */
	struct raas_dec rate;   /* percentage */
	bool has_min, has_max;  /* percentage */
	struct raas_dec min, max;
	uint32_t ntiers; /* graduated, volume */
	struct raas_tier tiers[RAAS_PRICE_MAX_TIERS];
};

/* Validates the JSON value doc as a price and fills *out. Every problem is added to
 * problems with its path: path_prefix (e.g. "results[0].price", or "" for a bare price)
 * joined with the field ("tiers[2].up_to"). Returns RAAS_OK, RAAS_E_INPUT when any problem
 * was found, or RAAS_E_NOMEM. */
RAAS_WUR raas_rc raas_price_parse(const struct raas_json *doc, const char *path_prefix,
                                  struct raas_price *out, struct raas_problems *problems);

/* The amount of a non-percentage price for quantity q (the count of results as an integer
 * decimal, or the sum of their values). RAAS_E_OVERFLOW when an intermediate reaches 10^26;
 * RAAS_E_INPUT for a percentage price (use raas_price_commission per result). */
RAAS_WUR raas_rc raas_price_amount(const struct raas_price *price, struct raas_dec q,
                                   struct raas_dec *out);

/* One result's commission under a percentage price: value × rate rounded to 12 digits,
 * clamped to [min, max]. The period's amount is the sum over its results. */
RAAS_WUR raas_rc raas_price_commission(const struct raas_price *price, struct raas_dec value,
                                       struct raas_dec *out);

#endif
