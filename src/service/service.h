/* service.h — operations on an open tenant store that both front ends offer: the command
 * line (src/cli) and the HTTP API (src/server). Each takes what the caller parsed, does the
 * work through the engine, and writes the documents of cli.md and server.md; the front ends
 * only read arguments and print or send.
 */
#ifndef RAAS_SERVICE_SERVICE_H
#define RAAS_SERVICE_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "contract/contract.h"
#include "raas/error.h"
#include "settle/settle.h"
#include "store/store.h"

/* ---- contracts (contracts.md "Versions") ---- */

struct raas_apply_result {
	uint32_t version;
	bool unchanged;     /* identical to the latest version: nothing was stored */
	char effective[16]; /* YYYY-MM-DD: the start of the version's effective period */
};

/* Applies contract next (parsed and valid) at clock now: a new contract, a new version
 * governing from the period containing effective_day (when has_effective) or now, or nothing
 * when it is identical to the latest version. The version rules and the clock rule are
 * checked: RAAS_E_INPUT with every problem in problems (the clock rule: err only). On
 * success the version is durable. */
RAAS_WUR raas_rc raas_svc_apply(struct raas_store *store, const struct raas_contract *next,
                                bool has_effective, const char *effective_date, int64_t now,
                                struct raas_apply_result *out, struct raas_problems *problems,
                                struct raas_err *err);
/* Appends {"id","version"} (the answer to an apply). */
RAAS_WUR raas_rc raas_svc_write_applied(struct raas_buf *b, const char *id, uint32_t version);
/* Appends {"id","version","customer","effective","applied","document"} of one version. */
RAAS_WUR raas_rc raas_svc_write_version(struct raas_store *store,
                                        const struct raas_store_contract *meta, struct raas_buf *b,
                                        struct raas_err *err);
/* The latest version of every contract (of customer, when not NULL), sorted by id: *out is
 * new (free with raas_free), *n entries. */
RAAS_WUR raas_rc raas_svc_latest_versions(const struct raas_store *store, const char *customer,
                                          const struct raas_store_contract ***out, size_t *n);
/* Appends the listing line {"id","customer","version","effective","applied"} of meta. */
RAAS_WUR raas_rc raas_svc_write_listing(struct raas_buf *b, const struct raas_store_contract *meta);

/* ---- invoices ---- */

/* Appends the invoice of period p of ledger l at now: the stored document when `settle`
 * stored it, else computed (both give the same bytes). */
RAAS_WUR raas_rc raas_svc_invoice(struct raas_store *store, struct raas_ledger *l,
                                  const struct raas_period *p, int64_t now, struct raas_buf *out,
                                  struct raas_err *err);

/* ---- locked invoices and settling ---- */

struct raas_ledgers;

/* A locked invoice: its period, and its document at docs[off, off + len) of the buffer the
 * collecting call filled. */
struct raas_locked {
	int64_t lock_us, start_us;
	const char *contract;
	struct raas_ledger *ledger;
	struct raas_period period;
	bool stored; /* `settle` stored it already */
	size_t off, len;
};

/* The locked, non-empty invoices at now of every ledger of ls, ordered by lock time, then
 * contract id, then period start (cli.md `settle`); stored documents are read back, the
 * others computed. With only_new, those stored already are left out. *out is new (free
 * with raas_free). */
RAAS_WUR raas_rc raas_svc_collect_locked(struct raas_store *store, struct raas_ledgers *ls,
                                         int64_t now, bool only_new, struct raas_locked **out,
                                         size_t *n, struct raas_buf *docs, struct raas_err *err);
/* Stores the locked invoices v[0, *n) (collected with only_new at now, from store or from
 * a view of it) in one durable batch at clock now, recording the clock even when there is
 * none. Those store holds already (stored since they were collected) are dropped from v
 * and *n. */
RAAS_WUR raas_rc raas_svc_store_locked(struct raas_store *store, struct raas_locked *v, size_t *n,
                                       const struct raas_buf *docs, int64_t now,
                                       struct raas_err *err);
/* Signs a checkpoint of every customer with an invoice of v[0, n) (just stored), and of
 * those a failed or crashed settle left with invoices no checkpoint covers; store may be a
 * view taken after the invoices were stored. On failure the message says that the invoices
 * are stored and their checkpoints not. */
RAAS_WUR raas_rc raas_svc_sign_locked(struct raas_store *store, const struct raas_locked *v,
                                      size_t n, struct raas_err *err);
/* Settles at now (the store writable, its clock checked, ls every ledger): collects every
 * new locked invoice, stores them and signs their checkpoints (raas_svc_store_locked,
 * raas_svc_sign_locked). *out lists the new invoices (docs holds them). */
RAAS_WUR raas_rc raas_svc_settle(struct raas_store *store, struct raas_ledgers *ls, int64_t now,
                                 struct raas_locked **out, size_t *n, struct raas_buf *docs,
                                 struct raas_err *err);

/* ---- disputes (server.md "Disputes") ---- */

/* Why a dispute action was refused (with RAAS_E_INPUT): a broken rule, an unknown result or
 * dispute, or a conflict with the dispute's state (already disputed, resolved already). */
enum raas_dispute_refusal {
	RAAS_DISPUTE_INVALID,
	RAAS_DISPUTE_UNKNOWN,
	RAAS_DISPUTE_CONFLICT,
};

/* Opens a dispute on result (CONTRACT/NAME:ENTITY_TEXT) at now: reason one of not_achieved,
 * duplicate, not_attributable, already_reversed, other (other needs a note); the result
 * must be pending or confirmed at now, with no open dispute, before lock(P) + dispute_within
 * of the period P it is billed in. Stores the dispute leaf durably and appends the dispute
 * document (its id is RESULT#N, N counting the result's disputes). RAAS_E_INPUT with the
 * place (--reason, --note, the result id) for a broken rule. */
RAAS_WUR raas_rc raas_svc_dispute_open(struct raas_store *store, const char *result,
                                       const char *reason, const char *note, int64_t now,
                                       struct raas_buf *out, enum raas_dispute_refusal *why,
                                       struct raas_err *err);
/* Resolves the open dispute id at now (upheld, or voided); appends its document. *why says
 * why an action answered RAAS_E_INPUT was refused (both functions). */
RAAS_WUR raas_rc raas_svc_dispute_resolve(struct raas_store *store, const char *id, bool upheld,
                                          const char *note, int64_t now, struct raas_buf *out,
                                          enum raas_dispute_refusal *why, struct raas_err *err);
/* Appends one dispute document per line for the disputes opened at or before now, in the
 * order they were opened, filtered by status (open, upheld, voided), contract, customer. */
RAAS_WUR raas_rc raas_svc_disputes(struct raas_store *store, const char *status,
                                   const char *contract, const char *customer, int64_t now,
                                   struct raas_buf *out, struct raas_err *err);

/* ---- evidence (evidence.md) ---- */

/* Appends {"customer","index","size","leaf_hash","root","proof"}: the inclusion proof of
 * entry index in the tree of the first size entries of customer's log (UINT64_MAX: all).
 * RAAS_E_INPUT for an unknown customer, or naming index_name / size_name when out of
 * range. */
RAAS_WUR raas_rc raas_svc_proof(struct raas_store *s, const char *customer, uint64_t index,
                                uint64_t size, const char *index_name, const char *size_name,
                                struct raas_buf *out, struct raas_err *err);
/* Appends {"customer","size1","size2","root1","root2","proof"}: the consistency proof
 * between the first m and the first n entries (1 <= m <= n). */
RAAS_WUR raas_rc raas_svc_consistency(struct raas_store *s, const char *customer, uint64_t m,
                                      uint64_t n, const char *m_name, const char *n_name,
                                      struct raas_buf *out, struct raas_err *err);

#endif
