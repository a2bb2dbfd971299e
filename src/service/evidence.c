/* evidence.c — inclusion and consistency proofs of a customer's log as both front ends show
 * them (evidence.md, RFC 6962 §2.1.1 and §2.1.2), hashes in lowercase hex. */
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"
#include "evidence/crypto.h"
#include "evidence/merkle.h"
#include "evidence/tree.h"
#include "service/service.h"

static raas_rc write_hashes(struct raas_buf *b, const struct raas_hash *h, size_t n)
{
	char hex[2 * RAAS_HASH_BYTES + 1];
	raas_rc rc = raas_buf_putc(b, '[');

	for (size_t i = 0; i < n && !rc; i++) {
		raas_hex_encode(h[i].b, RAAS_HASH_BYTES, hex);
		rc = raas_buf_printf(b, "%s\"%s\"", i ? "," : "", hex);
	}
	return rc ? rc : raas_buf_putc(b, ']');
}

/* The leaf hashes of the first want entries of customer's log (all: UINT64_MAX) into *leaves
 * (new) and *n; RAAS_E_INPUT naming want_name when the log holds fewer. */
static raas_rc customer_hashes(struct raas_store *s, const char *customer, uint64_t want,
                               const char *want_name, struct raas_hash **leaves, uint64_t *n,
                               struct raas_err *err)
{
	uint32_t no;
	raas_rc rc;

	*leaves = NULL;
	if (raas_store_customer(s, customer, strlen(customer), false, &no) != RAAS_OK)
		return raas_err_set(err, RAAS_E_INPUT, customer,
		                    "no such customer (it has no entry in this data directory)");
	if ((rc = raas_tree_leaf_hashes(s, no, want, leaves, n, err)))
		return rc;
	if (want != UINT64_MAX && *n < want)
		return raas_err_set(err, RAAS_E_INPUT, want_name,
		                    "the log of %s holds %llu entries", customer,
		                    (unsigned long long)*n);
	return RAAS_OK;
}

raas_rc raas_svc_proof(struct raas_store *s, const char *customer, uint64_t index, uint64_t size,
                       const char *index_name, const char *size_name, struct raas_buf *out,
                       struct raas_err *err)
{
	struct raas_hash *leaves = NULL, proof[RAAS_MERKLE_MAX_PROOF], root;
	char hex[2 * RAAS_HASH_BYTES + 1], rhex[2 * RAAS_HASH_BYTES + 1];
	uint64_t n = 0;
	size_t len;
	raas_rc rc;

	if ((rc = customer_hashes(s, customer, size, size_name, &leaves, &n, err)))
		goto out;
	if (index >= n) {
		rc = raas_err_set(err, RAAS_E_INPUT, index_name, "must be below the tree size %llu",
		                  (unsigned long long)n);
		goto out;
	}
	if (raas_merkle_inclusion_proof(leaves, n, index, proof, &len)) {
		rc = raas_err_set(err, RAAS_E_INPUT, index_name, "out of range");
		goto out;
	}
	raas_merkle_root(leaves, n, &root);
	raas_hex_encode(leaves[index].b, RAAS_HASH_BYTES, hex);
	raas_hex_encode(root.b, RAAS_HASH_BYTES, rhex);
	if ((rc = raas_buf_puts(out, "{\"customer\":")) ||
	    (rc = raas_json_write_string(out, customer, strlen(customer))) ||
	    (rc = raas_buf_printf(
	             out,
	             ",\"index\":%llu,\"size\":%llu,\"leaf_hash\":\"%s\",\"root\":\"%s\","
	             "\"proof\":",
	             (unsigned long long)index, (unsigned long long)n, hex, rhex)) ||
	    (rc = write_hashes(out, proof, len)) || (rc = raas_buf_putc(out, '}')))
		rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
out:
	raas_free(leaves);
	return rc;
}

raas_rc raas_svc_consistency(struct raas_store *s, const char *customer, uint64_t m, uint64_t n,
                             const char *m_name, const char *n_name, struct raas_buf *out,
                             struct raas_err *err)
{
	struct raas_hash *leaves = NULL, proof[RAAS_MERKLE_MAX_PROOF], r1, r2;
	char h1[2 * RAAS_HASH_BYTES + 1], h2[2 * RAAS_HASH_BYTES + 1];
	uint64_t got = 0;
	size_t len;
	raas_rc rc;

	if (m == 0 || m > n)
		return raas_err_set(err, RAAS_E_INPUT, m_name, "must be from 1 to %s", n_name);
	if ((rc = customer_hashes(s, customer, n, n_name, &leaves, &got, err)))
		goto out;
	if (raas_merkle_consistency_proof(leaves, m, n, proof, &len)) {
		rc = raas_err_set(err, RAAS_E_INPUT, m_name, "out of range");
		goto out;
	}
	raas_merkle_root(leaves, m, &r1);
	raas_merkle_root(leaves, n, &r2);
	raas_hex_encode(r1.b, RAAS_HASH_BYTES, h1);
	raas_hex_encode(r2.b, RAAS_HASH_BYTES, h2);
	if ((rc = raas_buf_puts(out, "{\"customer\":")) ||
	    (rc = raas_json_write_string(out, customer, strlen(customer))) ||
	    (rc = raas_buf_printf(
	             out,
	             ",\"size1\":%llu,\"size2\":%llu,\"root1\":\"%s\",\"root2\":\"%s\","
	             "\"proof\":",
	             (unsigned long long)m, (unsigned long long)n, h1, h2)) ||
	    (rc = write_hashes(out, proof, len)) || (rc = raas_buf_putc(out, '}')))
		rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
out:
	raas_free(leaves);
	return rc;
}
