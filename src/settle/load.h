/* load.h — building ledgers (settle.h) from a store (store.h): the versions of each contract
 * and the events of its customer, read from the tenant's log in one pass; and the leaf of a
 * locked invoice, the entry `raas settle` appends to the customer's log
 * (docs/formats/leaves.md).
 */
#ifndef RAAS_SETTLE_LOAD_H
#define RAAS_SETTLE_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "contract/contract.h"
#include "settle/settle.h"
#include "base/json.h"
#include "store/store.h"

struct raas_ledgers {
	struct raas_ledger **v; /* in contract id order */
	size_t n;
};

/* Parses the document of a stored contract version into a new contract (free with
 * raas_contract_free). RAAS_E_STORAGE when it cannot be read back. */
RAAS_WUR raas_rc raas_load_version(struct raas_store *store, const struct raas_store_contract *meta,
                                   struct raas_contract **out, struct raas_err *err);

/* Loads the ledgers of the store's contracts, only contract `contract` and/or only those of
 * customer `customer` when not NULL (out->n may be 0). */
RAAS_WUR raas_rc raas_ledgers_load(struct raas_store *store, const char *contract,
                                   const char *customer, struct raas_ledgers *out,
                                   struct raas_err *err);
/* The same without reading or writing the facts caches: everything from the log (what a
 * verification that trusts nothing derived needs). */
RAAS_WUR raas_rc raas_ledgers_load_from_log(struct raas_store *store, const char *contract,
                                            const char *customer, struct raas_ledgers *out,
                                            struct raas_err *err);
/* Reads a dispute or resolution leaf (docs/formats/leaves.md, parsed) into *out and its
 * contract id into *contract (strings borrowed from leaf). RAAS_E_INPUT when it is not a
 * well-formed one. */
RAAS_WUR raas_rc raas_dispute_action_read(const struct raas_json *leaf,
                                          struct raas_dispute_action *out, const char **contract);
/* Frees the ledgers (ls itself is the caller's). */
void raas_ledgers_free(struct raas_ledgers *ls);

/* Appends the leaf of a locked invoice: {"kind":"invoice","customer":C,"contract":ID,
 * "period_start":TS,"locked_at":TS,"invoice":DOC}, times in UTC, DOC the document's bytes. */
RAAS_WUR raas_rc raas_invoice_write_leaf(struct raas_buf *b, const char *customer,
                                         const char *contract, int64_t period_start_us,
                                         int64_t lock_us, const char *doc, size_t len);

/* Appends the document held by a stored invoice's leaf (the bytes written by raas settle). */
RAAS_WUR raas_rc raas_load_invoice(struct raas_store *store, const struct raas_store_invoice *inv,
                                   struct raas_buf *doc, struct raas_err *err);

#endif
