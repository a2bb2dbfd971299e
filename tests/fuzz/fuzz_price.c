/* fuzz_price.c — libFuzzer target for price validation and computation.
 *
 * The input is a price document. Whatever it is, validation must end in OK, INPUT or NOMEM
 * with problems listed. For a valid price, amounts are computed for quantities derived from
 * the input and checked against invariants that hold for every model: q = 0 costs 0, and
 * (all amounts being non-negative) unit, graduated and package prices never decrease as q
 * grows; percentage commissions stay within [min, max].
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "base/json.h"
#include "contract/price.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct raas_problems problems = {0};
	struct raas_arena arena;
	struct raas_json *doc = NULL;
	struct raas_price p;
	struct raas_err err;
	raas_rc rc;

	raas_arena_init(&arena, (size_t)16 << 20);
	if (raas_json_parse(&arena, (const char *)data, size, NULL, &doc, &err) != RAAS_OK)
		goto out;
	rc = raas_price_parse(doc, "price", &p, &problems);
	check(rc == RAAS_OK || rc == RAAS_E_INPUT || rc == RAAS_E_NOMEM);
	check((rc == RAAS_E_INPUT) == (problems.count > 0));
	if (rc != RAAS_OK)
		goto out;

	if (p.model == RAAS_PRICE_PERCENTAGE) {
		struct raas_dec v, c;
		for (size_t i = 0; i + 8 <= size && i < 64; i += 8) {
			int64_t raw;
			memcpy(&raw, data + i, sizeof raw);
			v.raw = (raas_i128)raw * 1000;
			if (raas_price_commission(&p, v, &c) == RAAS_OK) {
				check(!p.has_min || raas_dec_cmp(c, p.min) >= 0);
				check(!p.has_max || raas_dec_cmp(c, p.max) <= 0);
			}
		}
	} else {
		struct raas_dec prev = raas_dec_zero(), a, q = raas_dec_zero();
		check(raas_price_amount(&p, q, &a) == RAAS_OK && raas_dec_sign(a) == 0);
		for (size_t i = 0; i < size && i < 256; i++) {
			struct raas_dec step;
			step.raw = (raas_i128)data[i] *
			           (p.measure == RAAS_MEASURE_COUNT ? 1000000000000 : 1000000000);
			if (raas_dec_add(q, step, &q) != RAAS_OK)
				break;
			rc = raas_price_amount(&p, q, &a);
			if (rc == RAAS_E_OVERFLOW)
				break;
			check(rc == RAAS_OK);
			check(raas_dec_sign(a) >= 0);
			if (p.model != RAAS_PRICE_VOLUME)
				check(raas_dec_cmp(a, prev) >= 0);
			prev = a;
		}
	}
out:
	raas_problems_free(&problems);
	raas_arena_free(&arena);
	return 0;
}
