/* store.h — the embedded store: one data directory, many tenants, per-customer logs.
 *
 * The tenant's log (log.h) is the source of truth; everything else in the directory is
 * derived state that can be rebuilt from it (docs/internals/store.md): the id index
 * (idtable.h), the customers with the length of their logs, the contract versions, and the
 * recorded clock. A writer appends a batch of entries, commits it (one fdatasync), then
 * updates the derived state; opening the store replays the log tail the derived state has
 * not seen, so a crash at any instant loses nothing acknowledged and leaves both consistent.
 * One writer per tenant at a time (an exclusive lock on the tenant's directory); readers
 * take a shared lock.
 */
#ifndef RAAS_STORE_STORE_H
#define RAAS_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "raas/error.h"
#include "store/log.h"

#define RAAS_STORE_NO_CLOCK INT64_MIN

/* One contract version as stored (the document itself is in the log at pos). */
struct raas_store_contract {
	char *id;
	uint32_t version;
	char *customer;
	char *effective;      /* YYYY-MM-DD: the start of its effective period, in its zone */
	int64_t effective_us; /* that instant */
	int64_t applied_us;   /* the clock it was applied at */
	uint64_t pos;         /* its log record */
	char **types;         /* event types the version names (on, reversed_by.on, requires.on) */
	uint32_t ntypes;
};

/* One stored locked invoice (its document is in the log at pos). */
struct raas_store_invoice {
	char *contract;
	int64_t period_start_us;
	int64_t lock_us;
	uint32_t customer_no;
	uint64_t pos; /* its log record */
};

/* One stored dispute action (its leaf is in the log at pos): opening (RAAS_ENTRY_DISPUTE)
 * or resolving (RAAS_ENTRY_RESOLUTION) a dispute on a result of contract. */
struct raas_store_dispute {
	char *contract;
	enum raas_entry_kind kind;
	int64_t at_us; /* the clock it was taken at */
	uint32_t customer_no;
	uint64_t pos;
};

struct raas_store;

/* Creates a data directory for one tenant (name: 1–128 bytes of A-Z a-z 0-9 . _ : -). The
 * directory may exist if it is empty. RAAS_E_INPUT when it holds data already. */
RAAS_WUR raas_rc raas_store_init(const char *dir, const char *tenant, struct raas_err *err);

/* Adds a tenant to an initialised data directory. RAAS_E_INPUT when the name is not valid
 * or the tenant exists already. */
RAAS_WUR raas_rc raas_store_create_tenant(const char *dir, const char *tenant,
                                          struct raas_err *err);
/* RAAS_OK when dir is a data directory with that tenant, else RAAS_E_INPUT saying which is
 * missing; takes no lock (a running server may hold the tenant). */
RAAS_WUR raas_rc raas_store_check_tenant(const char *dir, const char *tenant, struct raas_err *err);
/* The tenants of dir, sorted by name: *names is new (free each and the array with
 * raas_free). */
RAAS_WUR raas_rc raas_store_tenants(const char *dir, char ***names, size_t *count,
                                    struct raas_err *err);

/* Opens a tenant of the data directory for reading or writing (a writer waits for the
 * tenant's exclusive lock); NULL is the directory's tenant (the one `init` created).
 * RAAS_E_INPUT when dir is not a data directory or has no such tenant. *out is new (free
 * with raas_store_close). */
RAAS_WUR raas_rc raas_store_open_tenant(const char *dir, const char *tenant, bool writable,
                                        struct raas_store **out, struct raas_err *err);
/* Opens a read-only view of the writer's store s as it is now: every committed entry and
 * the derived state up to them, nothing added or committed after. Another thread may read
 * the view (scan, read, load ledgers, write caches) while s goes on adding and committing:
 * they share no memory, and the view's log ends where s's committed log ends now (appends
 * never change a byte before that). Only s's thread may open it, between commits (no
 * raas_store_commit_begin without its wait); the view does not need s to stay open.
 * A view looks no event ids up (raas_store_find_event finds nothing); besides caches it
 * may append checkpoints (raas_store_add_checkpoint[s]: files beside the log, whose readers
 * skip a last line still being written), which one thread at a time may do. *out is new (free
 * with raas_store_close). RAAS_E_STORAGE when s is read-only or a commit is running. */
RAAS_WUR raas_rc raas_store_view(const struct raas_store *s, struct raas_store **out,
                                 struct raas_err *err);
/* raas_store_open_tenant(dir, NULL, ...). */
RAAS_WUR raas_rc raas_store_open(const char *dir, bool writable, struct raas_store **out,
                                 struct raas_err *err);
/* Moves the recent part of the id index into the older part when it has grown large (what
 * every writing open does), between batches. It changes the part raas_store_find_event_older
 * reads: no other thread may look ids up meanwhile (a long-running writer, the server,
 * calls it while it holds the tenant alone). */
RAAS_WUR raas_rc raas_store_merge_recent(struct raas_store *s, struct raas_err *err);
/* Takes s (NULL is fine); an uncommitted batch is dropped. */
void raas_store_close(struct raas_store *s);

const char *raas_store_tenant(const struct raas_store *s);
/* The recorded clock (RAAS_STORE_NO_CLOCK before the first write). */
int64_t raas_store_clock(const struct raas_store *s);
/* RAAS_E_INPUT (path "--now") when now is before the recorded clock: clocks never go back. */
RAAS_WUR raas_rc raas_store_check_clock(const struct raas_store *s, int64_t now,
                                        struct raas_err *err);

/* ---- customers ---- */

/* The number of customer id (len bytes); with create, a customer not seen before gets the
 * next number (made permanent by the next commit). RAAS_E_INPUT when unknown and !create. */
RAAS_WUR raas_rc raas_store_customer(struct raas_store *s, const char *id, size_t len, bool create,
                                     uint32_t *no);
size_t raas_store_customer_count(const struct raas_store *s);
const char *raas_store_customer_id(const struct raas_store *s, uint32_t no);
/* Entries in the customer's log, committed and pending. */
uint64_t raas_store_customer_entries(const struct raas_store *s, uint32_t no);

/* ---- contracts ---- */

size_t raas_store_contract_count(const struct raas_store *s);
/* Versions in the order applied. */
const struct raas_store_contract *raas_store_contract_at(const struct raas_store *s, size_t i);
/* The newest version of contract id, or NULL. */
const struct raas_store_contract *raas_store_contract_latest(const struct raas_store *s,
                                                             const char *id);
/* Version `version` of contract id, or NULL. */
const struct raas_store_contract *raas_store_contract_version(const struct raas_store *s,
                                                              const char *id, uint32_t version);
/* True when some version of some contract of the customer names the event type. Only
 * adding a contract version changes what it reads: other threads may call it while the
 * writer adds and commits events. */
bool raas_store_type_is_named(const struct raas_store *s, const char *customer, size_t clen,
                              const char *type, size_t tlen);

/* ---- invoices ---- */

size_t raas_store_invoice_count(const struct raas_store *s);
/* Stored invoices in the order stored. */
const struct raas_store_invoice *raas_store_invoice_at(const struct raas_store *s, size_t i);
/* The stored invoice of the contract's period starting at period_start_us, or NULL. */
const struct raas_store_invoice *
raas_store_invoice_find(const struct raas_store *s, const char *contract, int64_t period_start_us);

/* ---- dispute actions ---- */

size_t raas_store_dispute_count(const struct raas_store *s);
/* The i-th dispute action, in log order. */
const struct raas_store_dispute *raas_store_dispute_at(const struct raas_store *s, size_t i);
/* Adds a dispute action (its leaf bytes) of meta->customer_no to the batch, at clock
 * meta->at_us; meta is copied (its pos is filled in). */
RAAS_WUR raas_rc raas_store_add_dispute(struct raas_store *s, const struct raas_store_dispute *meta,
                                        const char *leaf, size_t len, struct raas_err *err);

/* ---- reading entries ---- */

/* The log position up to which the log is known durable (what a cache of derived facts may
 * cover: a power cut cannot take it back). */
uint64_t raas_store_durable(const struct raas_store *s);

/* An entry of the log named by its position and its record's checksum (docs/formats/
 * log.md): what a webhook held for a commit remembers (server/webhooks.h), so that after a
 * crash it can tell whether the commit happened without trusting positions alone (a torn
 * batch is cut, and later entries may take its place). */
struct raas_store_mark {
	uint64_t pos;
	uint64_t checksum;
};
enum raas_mark_state {
	RAAS_MARK_STORED,  /* the entry is durable */
	RAAS_MARK_WAITING, /* added or being committed, not yet durable */
	RAAS_MARK_LOST,    /* not in the log: its batch failed or was torn off by a crash */
};
/* The last entry added and not yet committed; false when nothing is pending. */
bool raas_store_last_pending(const struct raas_store *s, struct raas_store_mark *m);
enum raas_mark_state raas_store_mark_state(struct raas_store *s, const struct raas_store_mark *m);
/* fn(ctx, last) is called by every commit (raas_store_commit_begin) just before a batch
 * with entries is written, with the batch's last entry; NULL turns it off. The server sets
 * it around a single request's commit to hold that request's webhook deliveries
 * (server/api.c). */
void raas_store_before_commit(struct raas_store *s,
                              void (*fn)(void *ctx, const struct raas_store_mark *last), void *ctx);

/* Calls fn for every record of the log from position from (a record boundary: 0, or a
 * record's next) to its end, in order (raas_log_scan); damage below the durable mark is
 * RAAS_E_STORAGE. */
RAAS_WUR raas_rc raas_store_scan(struct raas_store *s, uint64_t from,
                                 raas_rc (*fn)(void *ctx, const struct raas_log_record *rec),
                                 void *ctx, struct raas_err *err);

/* ---- the signing key and checkpoints (evidence.md) ---- */

/* Reads the tenant's Ed25519 secret seed (DIR/tenants/t-NAME/signing.key, created with the
 * directory, mode 0600). RAAS_E_STORAGE when it cannot be read. */
RAAS_WUR raas_rc raas_store_signing_seed(const struct raas_store *s, unsigned char seed[32],
                                         struct raas_err *err);
/* Appends a signed checkpoint of customer's log (size entries) durably to
 * checkpoints/c-CUSTOMER: one line {"size":N,"note":"…"} per checkpoint, oldest first. */
RAAS_WUR raas_rc raas_store_add_checkpoint(struct raas_store *s, const char *customer,
                                           uint64_t size, const char *note, size_t len,
                                           struct raas_err *err);
/* A checkpoint to append: customer's log at size entries, its signed note (len bytes). */
struct raas_store_checkpoint {
	const char *customer;
	uint64_t size;
	const char *note;
	size_t len;
};
/* Appends n checkpoints (of n customers) as raas_store_add_checkpoint does, made durable
 * together by one sync of the file system. On failure some may be stored: a checkpoint
 * only states what the log holds, and the next settle signs any invoice left uncovered. */
RAAS_WUR raas_rc raas_store_add_checkpoints(struct raas_store *s,
                                            const struct raas_store_checkpoint *cps, size_t n,
                                            struct raas_err *err);
/* Appends the checkpoint lines of customer to out (nothing when it has none). */
RAAS_WUR raas_rc raas_store_checkpoints(struct raas_store *s, const char *customer,
                                        struct raas_buf *out, struct raas_err *err);

/* ---- a tenant's own files ---- */

/* Files of a tenant that are neither log nor derived state (its API keys, webhook
 * endpoints): DIR/tenants/t-TENANT/NAME, read whole; written atomically and durably (a
 * temporary file, fsync, rename, fsync of the directory). The caller serialises writers.
 * RAAS_E_INPUT when the file does not exist (read) or a name is not valid. */
RAAS_WUR raas_rc raas_store_read_tenant_file(const char *dir, const char *tenant, const char *name,
                                             struct raas_buf *out, struct raas_err *err);
RAAS_WUR raas_rc raas_store_write_tenant_file(const char *dir, const char *tenant, const char *name,
                                              const char *data, size_t len, struct raas_err *err);

/* Serialises read-modify-write cycles of a tenant file across processes (the server and
 * the operator's commands): an exclusive flock on NAME.lock beside it, released by
 * raas_store_unlock_tenant_file(*fd). */
RAAS_WUR raas_rc raas_store_lock_tenant_file(const char *dir, const char *tenant, const char *name,
                                             int *fd, struct raas_err *err);
void raas_store_unlock_tenant_file(int fd);
/* Identifies the current content of a tenant file (inode, size, modification time; zeros
 * when it does not exist): a changed stamp means it was rewritten. */
void raas_store_tenant_file_stamp(const char *dir, const char *tenant, const char *name,
                                  uint64_t stamp[3]);

/* ---- caches ---- */

/* Caches are derived files that any command, reader or writer, may replace at any time
 * (atomically) and that can always be rebuilt from the log: state/KIND/c-NAME (both names of
 * 1–200 characters A-Z a-z 0-9 . _ : -). get appends the cache's bytes to out, RAAS_E_INPUT
 * when there is none; the caller checks what it reads. */
RAAS_WUR raas_rc raas_store_get_cache(struct raas_store *s, const char *kind, const char *name,
                                      struct raas_buf *out, struct raas_err *err);
RAAS_WUR raas_rc raas_store_put_cache(struct raas_store *s, const char *kind, const char *name,
                                      const char *data, size_t len, struct raas_err *err);

/* Reads the record at pos (its leaf in scratch), pending records included; any failure is
 * RAAS_E_STORAGE (a position the store handed out must hold a record). */
RAAS_WUR raas_rc raas_store_read(struct raas_store *s, uint64_t pos, struct raas_log_record *rec,
                                 struct raas_buf *scratch, struct raas_err *err);

/* Like raas_store_read for a position that is only a hint (raas_store_find_event):
 * RAAS_E_INPUT when no valid record starts at pos, RAAS_E_STORAGE when the log cannot be
 * read. */
RAAS_WUR raas_rc raas_store_probe(struct raas_store *s, uint64_t pos, struct raas_log_record *rec,
                                  struct raas_buf *scratch, struct raas_err *err);

/* ---- writing: add entries to a batch, then commit ---- */

/* Writes up to max log positions of events with this (customer, id) key into positions and
 * returns how many there are (raas_idtable_key). Events of the pending batch are included.
 * The positions are hints: read each back (raas_store_probe) and compare; a position where
 * no such event is found (RAAS_E_INPUT from the read, or another id) is no match. */
size_t raas_store_find_event(const struct raas_store *s, uint64_t key, uint64_t *positions,
                             size_t max);
/* The two parts of raas_store_find_event. _older covers the ids indexed before the store
 * was opened, in a part of the index nothing changes while it is open: other threads may
 * call it while the writer adds and commits. _recent covers the rest (pending included)
 * and belongs to the writer's thread. */
size_t raas_store_find_event_older(const struct raas_store *s, uint64_t key, uint64_t *positions,
                                   size_t max);
size_t raas_store_find_event_recent(const struct raas_store *s, uint64_t key, uint64_t *positions,
                                    size_t max);
/* Starts loading what a lookup of key in one part will read (a hint, for a lookup soon
 * after); the same threads as the lookups. */
void raas_store_prefetch_event(const struct raas_store *s, uint64_t key, bool older);
/* Adds an event (its leaf bytes) of customer no, received at clock, to the batch. */
RAAS_WUR raas_rc raas_store_add_event(struct raas_store *s, uint32_t customer_no, uint64_t key,
                                      int64_t clock_us, const char *leaf, size_t len,
                                      struct raas_err *err);
/* Adds a contract version to the batch; meta is copied (its pos is filled in). */
RAAS_WUR raas_rc raas_store_add_contract(struct raas_store *s, uint32_t customer_no,
                                         const struct raas_store_contract *meta, const char *leaf,
                                         size_t len, struct raas_err *err);
/* Adds a locked invoice (its leaf bytes) of meta->customer_no to the batch; meta is copied
 * (its pos is filled in). clock_us is the writer's clock. */
RAAS_WUR raas_rc raas_store_add_invoice(struct raas_store *s, const struct raas_store_invoice *meta,
                                        int64_t clock_us, const char *leaf, size_t len,
                                        struct raas_err *err);
/* Number of entries in the batch. */
size_t raas_store_pending(const struct raas_store *s);
/* Says that batches of about events events will follow (raas_log_expect: room made and
 * mapped at once). */
void raas_store_expect_batch(struct raas_store *s, size_t events);
/* Makes the batch durable, updates the derived state and records clock (which may be the
 * only change). On failure nothing of the batch remains and RAAS_E_STORAGE says why. */
RAAS_WUR raas_rc raas_store_commit(struct raas_store *s, int64_t clock_us, struct raas_err *err);
/* Group commit: writes the batch (its records become readable) and makes it durable in a
 * background thread, so the caller can prepare the next batch meanwhile. The previous
 * background batch, if any, is completed first; its failure is returned here. Nothing of a
 * batch may be acknowledged before raas_store_commit_wait (or a later begin) returned OK. */
RAAS_WUR raas_rc raas_store_commit_begin(struct raas_store *s, int64_t clock_us,
                                         struct raas_err *err);
/* Waits until the background batch's write and sync are over without touching anything
 * else, so that other threads may meanwhile add to the next batch and read (under the
 * caller's lock, which it may release for this wait); raas_store_commit_wait then completes
 * it. */
void raas_store_commit_join(struct raas_store *s);
/* Waits for the background batch and brings the derived state up to it. On failure the log
 * is cut back to its durable end and everything not durable is dropped (RAAS_E_STORAGE). */
RAAS_WUR raas_rc raas_store_commit_wait(struct raas_store *s, struct raas_err *err);
/* Drops the batch (a background batch is completed first). */
void raas_store_discard(struct raas_store *s);

#endif
