/* map.h — small open-addressing hash maps used across modules: byte-string keys to
 * 32-bit values (customers by id, types by name) and 64-bit keys to 32-bit values (the
 * ids of a pending batch). Keys of a string map are borrowed: they must outlive the map.
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

struct raas_u64map_slot {
	uint64_t key; /* 0: empty (callers use non-zero keys) */
	uint32_t value;
};

/* A multimap: several values may share a key (a 64-bit hash collision). */
struct raas_u64map {
	struct raas_u64map_slot *slots;
	size_t cap;
	size_t count;
};

/* Writes up to max values stored under key into values; returns how many there are. */
size_t raas_u64map_get(const struct raas_u64map *m, uint64_t key, uint32_t *values, size_t max);
/* Adds key → value (key must not be 0). */
RAAS_WUR raas_rc raas_u64map_add(struct raas_u64map *m, uint64_t key, uint32_t value);
/* Empties the map, keeping its memory. */
void raas_u64map_clear(struct raas_u64map *m);
void raas_u64map_free(struct raas_u64map *m);

#endif
