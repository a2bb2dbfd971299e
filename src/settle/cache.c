/* cache.c — a ledger's facts saved as a derived file, so that loading a contract reads only
 * the log written since (docs/internals/store.md "Caches").
 *
 * Facts depend only on the events and on the first version's result definitions (later
 * versions may change prices only), so a cache stays valid for as long as the log it was
 * built from: it records the log position it covers (never beyond the durable mark) and a
 * fingerprint of the contract's first version. Its bytes are this machine's native layout
 * with a checksum; anything unexpected makes the loader ignore it and rebuild from the log.
 *
 * Layout: "RAASFCT1", then u64 fingerprint, covered, nfacts, strings_len, checksum (XXH3-64
 * of what follows the header), then nfacts records (struct disk_fact), then the strings.
 */
#include <string.h>
#include <xxhash.h>

#include "base/alloc.h"
#include "settle/ledger_impl.h"

#define MAGIC "RAASFCT1"

struct header {
	char magic[8];
	uint64_t fingerprint, covered, nfacts, strings_len, checksum;
};

struct disk_fact {
	int64_t time_us, received_us;
	uint64_t value_lo, value_hi;
	uint32_t id_off, id_len, entity_off, entity_len;
	uint16_t def;
	uint8_t role, estate, vstate, pad[3];
};

raas_rc ledger_cache_write(const struct raas_ledger *l, size_t n, uint64_t covered,
                           uint64_t fingerprint, struct raas_buf *out)
{
	struct header h = {.fingerprint = fingerprint, .covered = covered, .nfacts = n};
	size_t start = out->len, strings = 0;
	raas_rc rc;

	memcpy(h.magic, MAGIC, 8);
	for (size_t i = 0; i < n; i++)
		strings += l->facts[i].id_len + l->facts[i].entity_len;
	if (strings > UINT32_MAX)
		return RAAS_E_INPUT; /* too large to cache: the log is read instead */
	h.strings_len = strings;
	if ((rc = raas_buf_reserve(out, sizeof h + n * sizeof(struct disk_fact) + strings)) ||
	    (rc = raas_buf_append(out, &h, sizeof h)))
		return rc;
	strings = 0;
	for (size_t i = 0; i < n; i++) {
		const struct fact *f = &l->facts[i];
		struct disk_fact d;
		unsigned __int128 v = (unsigned __int128)f->value.raw;
		memset(&d, 0, sizeof d);
		d.time_us = f->time_us;
		d.received_us = f->received_us;
		d.value_lo = (uint64_t)v;
		d.value_hi = (uint64_t)(v >> 64);
		d.id_off = (uint32_t)strings;
		d.id_len = f->id_len;
		strings += f->id_len;
		d.entity_off = (uint32_t)strings;
		d.entity_len = f->entity_len;
		strings += f->entity_len;
		d.def = f->def;
		d.role = f->role;
		d.estate = f->estate;
		d.vstate = f->vstate;
		if ((rc = raas_buf_append(out, &d, sizeof d)))
			return rc;
	}
	for (size_t i = 0; i < n; i++) {
		const struct fact *f = &l->facts[i];
		if ((rc = raas_buf_append(out, f->event_id, f->id_len)) ||
		    (f->entity_len && (rc = raas_buf_append(out, f->entity, f->entity_len))))
			return rc;
	}
	h.checksum = XXH3_64bits(out->data + start + sizeof h, out->len - start - sizeof h);
	memcpy(out->data + start, &h, sizeof h);
	return RAAS_OK;
}

raas_rc ledger_cache_read(struct raas_ledger *l, const char *data, size_t len, uint64_t fingerprint,
                          uint64_t *covered)
{
	const struct raas_contract *c = l->nversions ? l->versions[0].c : NULL;
	struct header h;
	const char *strings;
	char *pool;

	if (!c || l->nfacts || len < sizeof h)
		return RAAS_E_INPUT;
	memcpy(&h, data, sizeof h);
	if (memcmp(h.magic, MAGIC, 8) || h.fingerprint != fingerprint ||
	    h.nfacts > (len - sizeof h) / sizeof(struct disk_fact) ||
	    h.strings_len != len - sizeof h - h.nfacts * sizeof(struct disk_fact) ||
	    h.checksum != XXH3_64bits(data + sizeof h, len - sizeof h))
		return RAAS_E_INPUT;
	strings = data + sizeof h + h.nfacts * sizeof(struct disk_fact);
	if (!(pool = raas_arena_alloc(&l->arena, h.strings_len + 1)))
		return RAAS_E_NOMEM;
	memcpy(pool, strings, h.strings_len);
	if (h.nfacts > l->cap_facts) {
		struct fact *p = raas_realloc(l->facts, h.nfacts * sizeof *p);
		if (!p)
			return RAAS_E_NOMEM;
		l->facts = p;
		l->cap_facts = h.nfacts;
	}
	for (size_t i = 0; i < h.nfacts; i++) {
		struct disk_fact d;
		struct fact *f = &l->facts[i];
		memcpy(&d, data + sizeof h + i * sizeof d, sizeof d);
		if ((uint64_t)d.id_off + d.id_len > h.strings_len ||
		    (uint64_t)d.entity_off + d.entity_len > h.strings_len || d.def >= c->nresults ||
		    d.role > ROLE_REQUIRE || d.estate > ENTITY_BAD || d.vstate > VALUE_RANGE) {
			l->nfacts = 0;
			return RAAS_E_INPUT;
		}
		f->time_us = d.time_us;
		f->received_us = d.received_us;
		f->value.raw = (raas_i128)(((unsigned __int128)d.value_hi << 64) | d.value_lo);
		f->event_id = pool + d.id_off;
		f->id_len = d.id_len;
		f->entity = pool + d.entity_off;
		f->entity_len = d.entity_len;
		f->def = d.def;
		f->role = d.role;
		f->estate = d.estate;
		f->vstate = d.vstate;
	}
	l->nfacts = h.nfacts;
	l->sorted = false;
	*covered = h.covered;
	return RAAS_OK;
}
