/* tree.h — the Merkle trees of a store's customer logs (evidence.md "One log per customer",
 * "Hashing"): each customer's entries, in the order accepted, are the leaves of one RFC 6962
 * tree. Roots come from a frontier cached per customer (state/merkle/c-CUSTOMER), brought up to
 * date by hashing only the entries appended since; leaves and leaf hashes are read back from
 * the log for proofs and bundles.
 */
#ifndef RAAS_EVIDENCE_TREE_H
#define RAAS_EVIDENCE_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "evidence/merkle.h"
#include "raas/error.h"
#include "store/store.h"

struct raas_tree_root {
	uint32_t customer_no;
	uint64_t size; /* entries in the customer's log */
	struct raas_hash root;
};

/* The current root of each of the n customers' logs (out[i] for customers[i]). One scan of
 * the log written since the oldest of their caches; the caches are refreshed (up to the
 * durable mark). RAAS_E_STORAGE when the log and the store disagree on a customer's size. */
RAAS_WUR raas_rc raas_tree_roots(struct raas_store *s, const uint32_t *customers, size_t n,
                                 struct raas_tree_root *out, struct raas_err *err);

/* Calls fn for each of the first max entries of the customer's log, in order, with its index
 * and leaf bytes (borrowed for the call). */
RAAS_WUR raas_rc raas_tree_leaves(struct raas_store *s, uint32_t customer_no, uint64_t max,
                                  raas_rc (*fn)(void *ctx, uint64_t index, const char *leaf,
                                                size_t len),
                                  void *ctx, struct raas_err *err);

/* The leaf hashes of the first max entries of the customer's log: *out is new (raas_free),
 * *n how many there are (fewer than max when the log is shorter). */
RAAS_WUR raas_rc raas_tree_leaf_hashes(struct raas_store *s, uint32_t customer_no, uint64_t max,
                                       struct raas_hash **out, uint64_t *n, struct raas_err *err);

#endif
