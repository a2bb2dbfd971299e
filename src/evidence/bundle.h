/* bundle.h — checkpoints, evidence bundles and their offline verification (evidence.md
 * "Checkpoints", "Evidence bundles and verification"; docs/formats/bundle.md).
 *
 * A checkpoint signs the size and root of one customer's log with the tenant's key. A bundle
 * carries a customer's leaves up to its latest checkpoint and the locked invoices it vouches
 * for; verifying it needs nothing but the bundle and the published verifier key: the key, the
 * signature, the root, then a replay of the leaves through the settlement engine that must
 * give every invoice byte for byte.
 */
#ifndef RAAS_EVIDENCE_BUNDLE_H
#define RAAS_EVIDENCE_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "raas/error.h"
#include "store/store.h"

/* The key name of the tenant ("raas/<tenant>") into buf (RAAS_NOTE_NAME_MAX + 1 bytes). */
void raas_evidence_key_name(const struct raas_store *s, char *buf, size_t cap);

/* Appends the tenant's verifier key string. */
RAAS_WUR raas_rc raas_evidence_verifier_key(struct raas_store *s, struct raas_buf *out,
                                            struct raas_err *err);

/* Signs and stores a checkpoint of each of the n customers' logs whose latest stored
 * checkpoint does not already state its current size and root (the store must be writable),
 * and appends one JSON line per customer to out:
 * {"customer","size","root" (base64),"new" (bool),"checkpoint" (the signed note)}. */
RAAS_WUR raas_rc raas_evidence_checkpoint(struct raas_store *s, const uint32_t *customers, size_t n,
                                          struct raas_buf *out, struct raas_err *err);

/* The customers (into out, room for every customer of the store; *n of them) whose latest
 * stored invoice is not covered by their latest checkpoint: what a settle that failed or
 * crashed after storing invoices left to sign. */
RAAS_WUR raas_rc raas_evidence_uncovered(struct raas_store *s, uint32_t *out, size_t *n,
                                         struct raas_err *err);

/* Appends the evidence bundle of contract's period containing instant t (evidence.md).
 * RAAS_E_INPUT when the contract is unknown, the period is not locked and stored, or no
 * checkpoint covers its invoice. */
RAAS_WUR raas_rc raas_evidence_bundle(struct raas_store *s, const char *contract, int64_t t,
                                      struct raas_buf *out, struct raas_err *err);

/* Verifies the bundle text against the published verifier key vkey, appending one line per
 * check passed to report ("ok: ..."). RAAS_E_INPUT when the text is not a bundle;
 * RAAS_E_VERIFY, with the first failure named (which check, which leaf, which invoice and
 * line), when a check fails. */
RAAS_WUR raas_rc raas_evidence_verify(const char *text, size_t len, const char *vkey,
                                      struct raas_buf *report, struct raas_err *err);

/* Checks the whole store (raas verify --data): every log record's checksum and every
 * customer's entries in sequence, every stored checkpoint (signature, root recomputed from
 * the log, consistency with the one before), and every stored locked invoice replayed from
 * the log alone. Appends one "ok: ..." line per check passed to report; RAAS_E_VERIFY with
 * the first failure named. */
RAAS_WUR raas_rc raas_evidence_verify_store(struct raas_store *s, struct raas_buf *report,
                                            struct raas_err *err);

#endif
