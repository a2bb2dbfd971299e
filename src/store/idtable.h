/* idtable.h — the on-disk index of event ids of one tenant, and the header of its derived
 * state (docs/internals/store.md).
 *
 * An open-addressing hash table in one memory-mapped file: slot = (64-bit key of
 * customer + id, log position of the event). Opening it costs nothing but the mapping, so
 * each `raas ingest` starts at once however large the store is. The table is derived
 * state: it is rebuilt from the log whenever it cannot be trusted. Its header also holds
 * what the rest of the derived state needs: the log position up to which everything is
 * indexed (`covered`), the recorded clock, and the boot in which it was last modified
 * (a table modified in another boot may have lost pages in a power cut: not trusted).
 */
#ifndef RAAS_STORE_IDTABLE_H
#define RAAS_STORE_IDTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raas/error.h"

struct raas_idtable;

/* Opens (creating when missing and writable) the table file at path. *out is new (free
 * with raas_idtable_close). */
RAAS_WUR raas_rc raas_idtable_open(const char *path, bool writable, struct raas_idtable **out,
                                   struct raas_err *err);
/* Whether a table exists at path: the file, or the old one that raas_idtable_open takes
 * back when a replacement stopped between its two renames. */
bool raas_idtable_exists(const char *path);
/* Takes t (NULL is fine). */
void raas_idtable_close(struct raas_idtable *t);

/* False when the table was modified in an earlier boot and never synced since: pages may
 * have been lost, so the caller must reset it and rebuild the derived state from the log. */
bool raas_idtable_trusted(const struct raas_idtable *t);
/* For a writable table: maps every page writable at once (MADV_POPULATE_WRITE), so that the
 * inserts of a run neither fault nor, after a lookup mapped a page read-only, fault again
 * with a TLB flush of the other threads. Costs a pass over the table: for the hot table
 * only. Runs in a background thread, joined before the table is replaced or closed; best
 * effort (a kernel without it just faults as before). */
void raas_idtable_populate(struct raas_idtable *t);
/* Gives a writable table a filter (a one-byte-per-slot Bloom filter in its file, kept
 * through growth) if it has none yet, by rewriting it: lookups of ids it does not hold then
 * mostly read one cache line of the filter instead of a random page of the slots. For the
 * large cold table. */
RAAS_WUR raas_rc raas_idtable_use_filter(struct raas_idtable *t, struct raas_err *err);
/* False when the filter proves key was never added (always true without a filter). */
bool raas_idtable_may_contain(const struct raas_idtable *t, uint64_t key);
/* Empties the table (covered = 0, clock = INT64_MIN). */
RAAS_WUR raas_rc raas_idtable_reset(struct raas_idtable *t, struct raas_err *err);
/* Empties the table in place, keeping its capacity and header (covered, clock). A crash in
 * the middle leaves any subset of the entries: for a table whose entries are all in another
 * one (the hot table after a merge), that loses nothing. */
RAAS_WUR raas_rc raas_idtable_clear(struct raas_idtable *t, struct raas_err *err);

uint64_t raas_idtable_covered(const struct raas_idtable *t);
void raas_idtable_set_covered(struct raas_idtable *t, uint64_t pos);
int64_t raas_idtable_clock(const struct raas_idtable *t);
void raas_idtable_set_clock(struct raas_idtable *t, int64_t clock_us);
size_t raas_idtable_count(const struct raas_idtable *t);

/* The key of (customer, id): a 64-bit hash, never 0. */
uint64_t raas_idtable_key(const char *customer, size_t clen, const char *id, size_t idlen);

/* Writes into positions (up to max) the log positions stored under key and returns how many
 * there are (usually 0 or 1; more only on a 64-bit hash collision). */
size_t raas_idtable_find(const struct raas_idtable *t, uint64_t key, uint64_t *positions,
                         size_t max);
/* Starts loading the slot where key's entries begin into the cache (a hint: a lookup soon
 * after does not wait for memory). */
void raas_idtable_prefetch(const struct raas_idtable *t, uint64_t key);
/* Makes room for n more entries without further growth (may rewrite the file). */
RAAS_WUR raas_rc raas_idtable_reserve(struct raas_idtable *t, size_t n, struct raas_err *err);
/* Adds (key, pos); adding an entry that is already there changes nothing, so replaying the
 * log tail after a crash is safe. The caller reserved room. */
void raas_idtable_insert(struct raas_idtable *t, uint64_t key, uint64_t pos);
/* Adds every entry of src to dst (idempotent, so a crash halfway is harmless). */
RAAS_WUR raas_rc raas_idtable_merge_into(const struct raas_idtable *src, struct raas_idtable *dst,
                                         struct raas_err *err);
/* Removes (key, pos) if it is there (a batch that was dropped before it became durable). */
void raas_idtable_remove(struct raas_idtable *t, uint64_t key, uint64_t pos);
/* Marks the table as modified in this boot; call before the first change of a session. */
RAAS_WUR raas_rc raas_idtable_begin(struct raas_idtable *t, struct raas_err *err);
/* Writes the header (covered, clock) to disk. */
RAAS_WUR raas_rc raas_idtable_sync_header(struct raas_idtable *t, struct raas_err *err);
/* Writes every change to disk and marks the table clean (msync; used by `raas verify`
 * and tests — ingest leaves write-back to the kernel). */
RAAS_WUR raas_rc raas_idtable_sync(struct raas_idtable *t, struct raas_err *err);

#endif
