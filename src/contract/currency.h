/* currency.h — ISO 4217 currency codes and their minor units (contracts.md `currency`). */
#ifndef RAAS_CONTRACT_CURRENCY_H
#define RAAS_CONTRACT_CURRENCY_H

#include <stddef.h>

#include "raas/error.h"

/* A known code that has no minor unit (XAU, XDR, ...): a contract needs currency_exponent. */
#define RAAS_CURRENCY_NO_MINOR_UNIT (-1)

/* Looks up the len bytes at code. RAAS_OK and *exponent = 0..4 or RAAS_CURRENCY_NO_MINOR_UNIT
 * for a known code; RAAS_E_INPUT for a code raas does not know. */
RAAS_WUR raas_rc raas_currency_exponent(const char *code, size_t len, int *exponent);

/* Number of known codes, and the i-th (sorted) with its exponent, NULL past the end. */
size_t raas_currency_count(void);
const char *raas_currency_code_at(size_t i, int *exponent);

#endif
