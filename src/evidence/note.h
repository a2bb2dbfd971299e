/* note.h — signed checkpoints in the C2SP tlog-checkpoint / signed-note format
 * (evidence.md "Checkpoints"): key ids, the verifier key string a vendor publishes, writing
 * a signed checkpoint, and verifying one against a verifier key.
 *
 * A checkpoint's body is three lines, each ending in "\n": the origin
 * ("raas/<tenant>/<customer>"), the tree size in decimal, the root in standard base64. The
 * signed note is the body, an empty line, and one signature line per key:
 * "\u2014 <key name> <base64(4-byte key id || 64-byte signature)>\n" (U+2014 EM DASH, one
 * space on each side). The key id is the first 4 bytes of
 * SHA-256(key name || 0x0A || 0x01 || public key); the verifier key string is
 * "<key name>+<8 lowercase hex digits of the key id>+<base64(0x01 || public key)>".
 */
#ifndef RAAS_EVIDENCE_NOTE_H
#define RAAS_EVIDENCE_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "evidence/crypto.h"
#include "raas/error.h"

/* The longest key name or origin accepted (raas/TENANT/CUSTOMER fits). */
#define RAAS_NOTE_NAME_MAX 512

/* The key id of key name (NUL-terminated) and public key. */
void raas_note_key_id(const char *name, const unsigned char pub[RAAS_ED25519_PUBLIC_BYTES],
                      unsigned char id[4]);
/* Appends the verifier key string of name and pub. */
RAAS_WUR raas_rc raas_note_verifier_key(struct raas_buf *b, const char *name,
                                        const unsigned char pub[RAAS_ED25519_PUBLIC_BYTES]);
/* Parses a verifier key string: the key name (a non-empty name without '+', spaces or
 * newlines, at most RAAS_NOTE_NAME_MAX bytes, copied NUL-terminated into name), the key id
 * (which must match the one computed from name and key) and the public key. RAAS_E_INPUT with a
 * message saying what is wrong. */
RAAS_WUR raas_rc raas_note_parse_verifier_key(const char *vkey, size_t len,
                                              char name[RAAS_NOTE_NAME_MAX + 1],
                                              unsigned char pub[RAAS_ED25519_PUBLIC_BYTES],
                                              struct raas_err *err);

/* Appends the signed checkpoint of a tree: body (origin, size, root) and one signature line
 * by key name with the secret seed. */
RAAS_WUR raas_rc raas_checkpoint_write(struct raas_buf *b, const char *origin, uint64_t size,
                                       const struct raas_hash *root, const char *key_name,
                                       const unsigned char seed[RAAS_ED25519_SEED_BYTES],
                                       struct raas_err *err);

struct raas_checkpoint {
	char origin[RAAS_NOTE_NAME_MAX + 1];
	uint64_t size;
	struct raas_hash root;
};

/* Parses the signed note at note (len bytes) and checks that it carries a valid signature by
 * the verifier key vkey (other signature lines are allowed and ignored, as the signed-note
 * format says). Fills *out from the body. RAAS_E_INPUT when the note is malformed (the
 * message says where), RAAS_E_VERIFY when no signature line of that key is valid ("no
 * signature by KEY", "the signature by KEY does not verify"). */
RAAS_WUR raas_rc raas_checkpoint_verify(const char *note, size_t len, const char *vkey,
                                        size_t vkey_len, struct raas_checkpoint *out,
                                        struct raas_err *err);

#endif
