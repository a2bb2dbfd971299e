/* log.h — the physical append-only log of one tenant (docs/formats/log.md).
 *
 * Every entry of every customer of a tenant (events, contract versions, later invoices and
 * dispute actions) is one record, in the order it was accepted; a customer's log is the
 * subsequence of its records. One physical log means one fsync per batch whatever the
 * number of customers. Records carry a checksum; a batch is acknowledged only after its
 * bytes are written and fdatasync'ed. The log is split into segment files of at most
 * RAAS_LOG_SEGMENT_MAX bytes; a record's position is segment << 30 | offset.
 */
#ifndef RAAS_STORE_LOG_H
#define RAAS_STORE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "raas/error.h"

#define RAAS_LOG_SEGMENT_SHIFT 30
#define RAAS_LOG_SEGMENT_MAX ((uint64_t)1 << RAAS_LOG_SEGMENT_SHIFT)
#define RAAS_LOG_HEADER_BYTES 40
#define RAAS_LOG_MAX_LEAF ((uint32_t)64 << 20)

enum raas_entry_kind {
	RAAS_ENTRY_EVENT = 1,
	RAAS_ENTRY_CONTRACT = 2,
	RAAS_ENTRY_INVOICE = 3,
	RAAS_ENTRY_DISPUTE = 4,
	RAAS_ENTRY_RESOLUTION = 5,
};

struct raas_log_record {
	uint64_t pos;  /* where the record starts */
	uint64_t next; /* where the next record starts */
	enum raas_entry_kind kind;
	uint32_t customer_no;  /* the tenant's customer number (store.h) */
	uint64_t customer_seq; /* index of this entry in its customer's log */
	int64_t clock_us;      /* the writer's clock: received time, applied time */
	const char *leaf;      /* the leaf bytes (borrowed; valid until the next read) */
	uint32_t leaf_len;
	uint64_t checksum; /* the header's checksum (verified by every read) */
};

struct raas_log;

/* Opens the log in directory dir (created by raas_log_create). A writable log appends
 * after the end of its last segment. *out is new (free with raas_log_close). */
RAAS_WUR raas_rc raas_log_open(const char *dir, bool writable, struct raas_log **out,
                               struct raas_err *err);
/* Creates the directory's first, empty segment (dir must exist). */
RAAS_WUR raas_rc raas_log_create(const char *dir, struct raas_err *err);
/* Takes log (NULL is fine); pending records are dropped. */
void raas_log_close(struct raas_log *log);

/* Makes a read-only log end at position end (a record boundary its files hold): scans
 * and reads see nothing after it, whatever a writer appends to the files meanwhile. A
 * store's view (raas_store_view) reads its log so, from another thread than the writer's,
 * and no byte before end ever changes in an append-only log. */
void raas_log_limit(struct raas_log *log, uint64_t end);

/* Position after the last committed record. */
uint64_t raas_log_end(const struct raas_log *log);

/* Calls fn for every valid record from position from to the end, in order. Stops at the
 * first record that is incomplete or fails its checksum: with truncate_torn (a writable
 * log) the log is cut there — a torn tail left by a crash — and the end moves back; without
 * it the scan just ends there. Such a record before position keep (known durable) is damage:
 * RAAS_E_STORAGE, and nothing is cut. A non-zero return of fn stops the scan and is
 * returned. A batch written but not synced is put into the files first, so the scan must
 * not run while raas_log_sync does. */
RAAS_WUR raas_rc raas_log_scan(struct raas_log *log, uint64_t from, uint64_t keep,
                               raas_rc (*fn)(void *ctx, const struct raas_log_record *rec),
                               void *ctx, bool truncate_torn, struct raas_err *err);

/* Reads and verifies the record at pos — written or still pending — and sets rec->leaf to
 * point into scratch. RAAS_E_INPUT when no record starts at pos (bad magic or length, past
 * the end), RAAS_E_VERIFY when one does but fails its checksum (damage), RAAS_E_STORAGE
 * when the file cannot be read. */
RAAS_WUR raas_rc raas_log_read(struct raas_log *log, uint64_t pos, struct raas_log_record *rec,
                               struct raas_buf *scratch, struct raas_err *err);

/* Adds a record to the pending batch and sets *pos to the position it will have. Nothing
 * reaches the disk before raas_log_commit. */
RAAS_WUR raas_rc raas_log_add(struct raas_log *log, enum raas_entry_kind kind, uint32_t customer_no,
                              uint64_t customer_seq, int64_t clock_us, const char *leaf, size_t len,
                              uint64_t *pos);
/* The position and checksum of the last record added to the pending batch; false when the
 * batch is empty. */
bool raas_log_last_pending(const struct raas_log *log, uint64_t *pos, uint64_t *checksum);
/* Bytes pending in the current batch. */
size_t raas_log_pending(const struct raas_log *log);
/* Prepares room for batches of about bytes bytes (both the pending batch and the one being
 * written), with their pages mapped at once: a batch buffer grown a page fault at a time
 * cost a writer about 1,200 faults per run. Best effort: nothing fails if memory is short. */
void raas_log_expect(struct raas_log *log, size_t bytes);
/* Writes the pending batch and makes it durable: raas_log_write then raas_log_sync. */
RAAS_WUR raas_rc raas_log_commit(struct raas_log *log, struct raas_err *err);
/* Ends the pending batch: its records get their place in the files (segments are created
 * here) and stay readable from memory; raas_log_sync writes and syncs them, so that the
 * copy into the page cache happens wherever the sync runs. A batch written but never
 * synced is written to the files first. On failure the log is cut back to its durable end
 * — nothing half-written stays — and RAAS_E_STORAGE says what failed. */
RAAS_WUR raas_rc raas_log_write(struct raas_log *log, struct raas_err *err);
/* Puts the written batch into the files and makes everything written so far durable
 * (fdatasync of the segments written since the last sync). It may run in another thread
 * while the writer only adds records (raas_log_add) and reads them (raas_log_read); on
 * failure the writer must then call raas_log_abort. */
RAAS_WUR raas_rc raas_log_sync(struct raas_log *log, struct raas_err *err);
/* Makes everything from position from to the end durable (recovery: a tail written by a
 * process that died before its sync); everything before from must be durable already. With
 * nothing after from it syncs nothing. */
RAAS_WUR raas_rc raas_log_sync_from(struct raas_log *log, uint64_t from, struct raas_err *err);
/* Cuts the log back to its durable end and drops the pending batch (after a failed sync). */
void raas_log_abort(struct raas_log *log);
/* Bytes written to the files with O_DIRECT so far: the whole 4 KiB blocks of each run of a
 * batch that holds at least 64 KiB of them go from its memory to the device, not through the page
 * cache (docs/internals/store.md); the rest, and everything on a file system without O_DIRECT, is
 * written normally. The file bytes are the same either way. */
uint64_t raas_log_direct_bytes(const struct raas_log *log);
/* Position up to which the log is durable. */
uint64_t raas_log_durable(const struct raas_log *log);
/* Drops the pending batch. */
void raas_log_discard(struct raas_log *log);

#endif
