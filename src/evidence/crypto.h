/* crypto.h — the cryptographic primitives of the evidence log (evidence.md), on OpenSSL's
 * libcrypto: SHA-256 (which uses the CPU's SHA extensions where there are some), Ed25519
 * keys and signatures (RFC 8032), random seeds, and the text encodings the log's formats use
 * (standard base64 with padding, lowercase hex).
 */
#ifndef RAAS_EVIDENCE_CRYPTO_H
#define RAAS_EVIDENCE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raas/error.h"

#define RAAS_HASH_BYTES 32
#define RAAS_ED25519_SEED_BYTES 32
#define RAAS_ED25519_PUBLIC_BYTES 32
#define RAAS_ED25519_SIGNATURE_BYTES 64

struct raas_hash {
	unsigned char b[RAAS_HASH_BYTES];
};

/* SHA-256 of the len bytes at data. */
void raas_sha256(const void *data, size_t len, struct raas_hash *out);
/* SHA-256 of the concatenation of two byte strings (a may be a one-byte prefix). */
void raas_sha256_2(const void *a, size_t alen, const void *b, size_t blen, struct raas_hash *out);

/* Fills buf with n bytes from the system's random source. RAAS_E_STORAGE when none. */
/* HMAC-SHA256 of data under key. */
void raas_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                      struct raas_hash *out);
/* Whether the n bytes at a and b are equal, in time that does not depend on where they
 * differ (secrets). */
bool raas_equal_secret(const void *a, const void *b, size_t n);
RAAS_WUR raas_rc raas_random_bytes(void *buf, size_t n, struct raas_err *err);

/* The Ed25519 public key of a 32-byte secret seed (RFC 8032 §5.1.5). */
RAAS_WUR raas_rc raas_ed25519_public(const unsigned char seed[RAAS_ED25519_SEED_BYTES],
                                     unsigned char pub[RAAS_ED25519_PUBLIC_BYTES],
                                     struct raas_err *err);
/* Signs the len bytes at msg (RFC 8032 §5.1.6, deterministic). */
RAAS_WUR raas_rc raas_ed25519_sign(const unsigned char seed[RAAS_ED25519_SEED_BYTES],
                                   const void *msg, size_t len,
                                   unsigned char sig[RAAS_ED25519_SIGNATURE_BYTES],
                                   struct raas_err *err);
/* True when sig is a valid signature of msg under pub. */
bool raas_ed25519_verify(const unsigned char pub[RAAS_ED25519_PUBLIC_BYTES], const void *msg,
                         size_t len, const unsigned char sig[RAAS_ED25519_SIGNATURE_BYTES]);

/* Standard base64 (RFC 4648 §4) with padding; out holds 4 * ((n + 2) / 3) + 1 bytes (NUL
 * added). Returns the length written (without the NUL). */
size_t raas_base64_encode(const void *in, size_t n, char *out);
/* Decodes standard base64 with padding (no whitespace, no missing or extra padding, no
 * non-zero trailing bits) into out (at most cap bytes). RAAS_E_INPUT when malformed or too
 * long. */
RAAS_WUR raas_rc raas_base64_decode(const char *in, size_t n, unsigned char *out, size_t cap,
                                    size_t *outlen);
/* Lowercase hex; out holds 2n + 1 bytes (NUL added). */
void raas_hex_encode(const void *in, size_t n, char *out);
/* Decodes exactly 2 * cap hex digits (either case) into out. RAAS_E_INPUT otherwise. */
RAAS_WUR raas_rc raas_hex_decode(const char *in, size_t n, unsigned char *out, size_t cap);

#endif
