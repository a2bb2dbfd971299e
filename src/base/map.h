/* map.h — a small open-addressing hash map from byte-string keys to 32-bit values
 * (customers by id, named event types, unmatched customers). Keys are borrowed: they must
 * outlive the map.
 */
#ifndef RAAS_BASE_MAP_H
#define RAAS_BASE_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raas/error.h"

struct raas_strmap_slot {
	const char *key; /* NULL: empty */
	uint32_t len;
	uint32_t value;
	uint64_t hash;
};

struct raas_strmap {
	struct raas_strmap_slot *slots;
	size_t cap; /* a power of two, or 0 */
	size_t count;
};

/* Sets *value and returns true when key is in the map. */
bool raas_strmap_get(const struct raas_strmap *m, const char *key, size_t len, uint32_t *value);
/* Adds or replaces key (borrowed) → value. RAAS_E_NOMEM on allocation failure. */
RAAS_WUR raas_rc raas_strmap_put(struct raas_strmap *m, const char *key, size_t len,
                                 uint32_t value);
void raas_strmap_free(struct raas_strmap *m);

#endif
