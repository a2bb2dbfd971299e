/* map.c — linear-probing hash maps with power-of-two capacities and a 0.5 load limit. */
#include "base/map.h"

#include <string.h>

#include <xxhash.h>

#include "base/alloc.h"

bool raas_strmap_get(const struct raas_strmap *m, const char *key, size_t len, uint32_t *value)
{
	uint64_t h;

	if (!m->cap)
		return false;
	h = XXH3_64bits(key, len);
	for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		const struct raas_strmap_slot *s = &m->slots[i];
		if (!s->key)
			return false;
		if (s->hash == h && s->len == len && !memcmp(s->key, key, len)) {
			*value = s->value;
			return true;
		}
	}
}

static void strmap_place(struct raas_strmap_slot *slots, size_t cap,
                         const struct raas_strmap_slot *e)
{
	for (size_t i = e->hash & (cap - 1);; i = (i + 1) & (cap - 1)) {
		if (!slots[i].key) {
			slots[i] = *e;
			return;
		}
	}
}

raas_rc raas_strmap_put(struct raas_strmap *m, const char *key, size_t len, uint32_t value)
{
	struct raas_strmap_slot e;

	if (len > UINT32_MAX)
		return RAAS_E_INPUT;
	e.key = key;
	e.len = (uint32_t)len;
	e.value = value;
	e.hash = XXH3_64bits(key, len);
	if (m->cap) {
		for (size_t i = e.hash & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
			struct raas_strmap_slot *s = &m->slots[i];
			if (!s->key)
				break;
			if (s->hash == e.hash && s->len == len && !memcmp(s->key, key, len)) {
				s->value = value;
				return RAAS_OK;
			}
		}
	}
	if ((m->count + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct raas_strmap_slot *slots = raas_calloc(cap, sizeof *slots);
		if (!slots)
			return RAAS_E_NOMEM;
		for (size_t i = 0; i < m->cap; i++)
			if (m->slots[i].key)
				strmap_place(slots, cap, &m->slots[i]);
		raas_free(m->slots);
		m->slots = slots;
		m->cap = cap;
	}
	strmap_place(m->slots, m->cap, &e);
	m->count++;
	return RAAS_OK;
}

void raas_strmap_free(struct raas_strmap *m)
{
	raas_free(m->slots);
	memset(m, 0, sizeof *m);
}
