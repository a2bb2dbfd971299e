/* test_currency.c — the ISO 4217 table against ../shared/vectors/iso4217.json, and lookups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "contract/currency.h"

static void lookup(void **state)
{
	int e = 99;

	(void)state;
	assert_int_equal(raas_currency_exponent("CNY", 3, &e), RAAS_OK);
	assert_int_equal(e, 2);
	assert_int_equal(raas_currency_exponent("JPY", 3, &e), RAAS_OK);
	assert_int_equal(e, 0);
	assert_int_equal(raas_currency_exponent("KWD", 3, &e), RAAS_OK);
	assert_int_equal(e, 3);
	assert_int_equal(raas_currency_exponent("CLF", 3, &e), RAAS_OK);
	assert_int_equal(e, 4);
	assert_int_equal(raas_currency_exponent("XAU", 3, &e), RAAS_OK);
	assert_int_equal(e, RAAS_CURRENCY_NO_MINOR_UNIT);
	assert_int_equal(raas_currency_exponent("AED", 3, &e), RAAS_OK); /* first */
	assert_int_equal(raas_currency_exponent("ZWL", 3, &e), RAAS_OK); /* last */
	assert_int_equal(raas_currency_exponent("ABC", 3, &e), RAAS_E_INPUT);
	assert_int_equal(raas_currency_exponent("cny", 3, &e), RAAS_E_INPUT);
	assert_int_equal(raas_currency_exponent("CN", 2, &e), RAAS_E_INPUT);
	assert_int_equal(raas_currency_exponent("CNYY", 4, &e), RAAS_E_INPUT);
}

/* Reads the vector file with a tiny line scanner: it is one `"CODE": N|null,` per line. */
static void matches_shared_vectors(void **state)
{
	const char *shared = getenv("RAAS_SHARED_DIR");
	char path[1024], line[256];
	size_t seen = 0;
	FILE *f;

	(void)state;
	assert_non_null(shared);
	snprintf(path, sizeof path, "%s/vectors/iso4217.json", shared);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f)) {
		char *q = strchr(line, '"');
		int want, got = 99;
		if (!q)
			continue;
		assert_int_equal(q[4], '"');
		want = strstr(q, "null") ? RAAS_CURRENCY_NO_MINOR_UNIT
		                         : (int)strtol(q + 6, NULL, 10);
		assert_int_equal(raas_currency_exponent(q + 1, 3, &got), RAAS_OK);
		assert_int_equal(got, want);
		seen++;
	}
	fclose(f);
	assert_int_equal(seen, 181);
	assert_int_equal(raas_currency_count(), 181);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(lookup),
	        cmocka_unit_test(matches_shared_vectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
