/* merkle.h — RFC 6962 §2.1 Merkle trees over a customer's log (evidence.md "Hashing"):
 * leaf and node hashes, the root of any number of leaves, an incremental frontier so that
 * appending a leaf costs O(log n) and never reads old leaves, and inclusion and consistency
 * proofs (§2.1.1, §2.1.2) with their verification.
 */
#ifndef RAAS_EVIDENCE_MERKLE_H
#define RAAS_EVIDENCE_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evidence/crypto.h"
#include "raas/error.h"

#define RAAS_MERKLE_MAX_PROOF 128 /* hashes in any proof of a tree of < 2^64 leaves */

/* SHA-256(0x00 || leaf). */
void raas_merkle_leaf_hash(const void *leaf, size_t len, struct raas_hash *out);
/* SHA-256(0x01 || left || right). */
void raas_merkle_node_hash(const struct raas_hash *left, const struct raas_hash *right,
                           struct raas_hash *out);

/* The root (MTH) of the n leaf hashes at leaves; n = 0 gives SHA-256(""). */
void raas_merkle_root(const struct raas_hash *leaves, uint64_t n, struct raas_hash *out);

/* The right edge of a tree: nodes[i] is the root of the perfect subtree of 2^i leaves that
 * bit i of size stands for (the other entries are unused). */
struct raas_merkle_frontier {
	uint64_t size;
	struct raas_hash nodes[64];
};

/* An empty tree. */
void raas_merkle_frontier_init(struct raas_merkle_frontier *f);
/* Appends one leaf hash. */
void raas_merkle_frontier_append(struct raas_merkle_frontier *f, const struct raas_hash *leaf);
/* The root of the tree the frontier stands for (equal to raas_merkle_root of its leaves). */
void raas_merkle_frontier_root(const struct raas_merkle_frontier *f, struct raas_hash *out);

/* The audit path of leaf index in the tree of the first size leaf hashes at leaves
 * (index < size), into proof (RAAS_MERKLE_MAX_PROOF entries); *len its length.
 * RAAS_E_INPUT when index >= size. */
RAAS_WUR raas_rc raas_merkle_inclusion_proof(const struct raas_hash *leaves, uint64_t size,
                                             uint64_t index, struct raas_hash *proof, size_t *len);
/* True when proof shows that leaf (a leaf hash) is at index of a tree of size leaves whose
 * root is root (RFC 9162 §2.1.3.2). */
bool raas_merkle_verify_inclusion(const struct raas_hash *leaf, uint64_t index, uint64_t size,
                                  const struct raas_hash *proof, size_t len,
                                  const struct raas_hash *root);

/* The consistency proof between the trees of the first m and the first n leaf hashes
 * (0 < m <= n). RAAS_E_INPUT otherwise. */
RAAS_WUR raas_rc raas_merkle_consistency_proof(const struct raas_hash *leaves, uint64_t m,
                                               uint64_t n, struct raas_hash *proof, size_t *len);
/* True when proof shows the tree of size m with root root_m is a prefix of the tree of size n
 * with root root_n (RFC 9162 §2.1.4.2; m == n needs an empty proof and equal roots). */
bool raas_merkle_verify_consistency(uint64_t m, uint64_t n, const struct raas_hash *root_m,
                                    const struct raas_hash *root_n, const struct raas_hash *proof,
                                    size_t len);

#endif
