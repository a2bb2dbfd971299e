/* crypto.c — the evidence log's primitives on OpenSSL 3 libcrypto: SHA-256 (one per log entry
 * at ingest, so the digest is fetched once per process and each thread reuses its own digest
 * context), Ed25519 keys, signatures and verification, random bytes, and strict base64 and hex
 * for the checkpoint, verifier key and proof formats (evidence.md).
 */
#include "evidence/crypto.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "base/json.h"

/* ---- SHA-256 ---- */

static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md;                    /* fetched once, kept for the life of the process */
static pthread_key_t sha256_key;             /* frees a thread's context when the thread ends */
static int sha256_key_ok;                    /* 1 when sha256_key exists */
static _Thread_local EVP_MD_CTX *sha256_ctx; /* this thread's context, NULL until first use */

/* Runs when a thread that hashed ends. A later destructor of that thread may hash again: it
 * then gets a new context (and this runs again for it). */
static void sha256_thread_end(void *ctx)
{
	EVP_MD_CTX_free(ctx);
	sha256_ctx = NULL;
}

static void sha256_setup(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	sha256_key_ok = pthread_key_create(&sha256_key, sha256_thread_end) == 0;
}

/* raas_sha256 cannot report an error (it hashes every entry and its callers have nothing to
 * do about a broken libcrypto), and after the first call in a thread nothing in it can fail:
 * the only failures are OpenSSL's own setup, so they end the process with a message. */
static void sha256_fail(const char *what)
{
	char reason[256];

	ERR_error_string_n(ERR_get_error(), reason, sizeof reason);
	fprintf(stderr, "raas: SHA-256 is unavailable (%s: %s)\n", what, reason);
	abort();
}

/* Returns this thread's context, initialised for a new SHA-256 computation. */
static EVP_MD_CTX *sha256_begin(void)
{
	EVP_MD_CTX *ctx = sha256_ctx;

	if (!ctx) {
		if (pthread_once(&sha256_once, sha256_setup) != 0 || !sha256_md)
			sha256_fail("EVP_MD_fetch");
		ctx = EVP_MD_CTX_new();
		if (!ctx)
			sha256_fail("EVP_MD_CTX_new");
		if (sha256_key_ok)
			(void)pthread_setspecific(sha256_key, ctx);
		sha256_ctx = ctx;
	}
	if (EVP_DigestInit_ex2(ctx, sha256_md, NULL) != 1)
		sha256_fail("EVP_DigestInit_ex2");
	return ctx;
}

static void sha256_update(EVP_MD_CTX *ctx, const void *data, size_t len)
{
	if (len && EVP_DigestUpdate(ctx, data, len) != 1)
		sha256_fail("EVP_DigestUpdate");
}

static void sha256_end(EVP_MD_CTX *ctx, struct raas_hash *out)
{
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(ctx, out->b, &n) != 1 || n != RAAS_HASH_BYTES)
		sha256_fail("EVP_DigestFinal_ex");
}

void raas_sha256(const void *data, size_t len, struct raas_hash *out)
{
	EVP_MD_CTX *ctx = sha256_begin();

	sha256_update(ctx, data, len);
	sha256_end(ctx, out);
}

void raas_sha256_2(const void *a, size_t alen, const void *b, size_t blen, struct raas_hash *out)
{
	EVP_MD_CTX *ctx = sha256_begin();

	sha256_update(ctx, a, alen);
	sha256_update(ctx, b, blen);
	sha256_end(ctx, out);
}

void raas_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                      struct raas_hash *out)
{
	unsigned int n = 0;

	if (keylen > INT_MAX || !HMAC(EVP_sha256(), key, (int)keylen, data, len, out->b, &n) ||
	    n != RAAS_HASH_BYTES)
		sha256_fail("HMAC");
}

bool raas_equal_secret(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

/* ---- random ---- */

raas_rc raas_random_bytes(void *buf, size_t n, struct raas_err *err)
{
	unsigned char *p = buf;

	while (n > 0) {
		int chunk = n > (size_t)INT_MAX ? INT_MAX : (int)n;
		if (RAND_bytes(p, chunk) != 1) {
			char reason[256];
			ERR_error_string_n(ERR_get_error(), reason, sizeof reason);
			return raas_err_set(err, RAAS_E_STORAGE, NULL,
			                    "no random source available (%s)", reason);
		}
		p += chunk;
		n -= (size_t)chunk;
	}
	return RAAS_OK;
}

/* ---- Ed25519 ---- */

/* Fills err with what OpenSSL said about the failed step and returns RAAS_E_STORAGE. */
static raas_rc openssl_error(struct raas_err *err, const char *what)
{
	char reason[256];

	ERR_error_string_n(ERR_get_error(), reason, sizeof reason);
	ERR_clear_error();
	return raas_err_set(err, RAAS_E_STORAGE, NULL, "Ed25519: %s failed (%s)", what, reason);
}

/* OpenSSL wants a non-NULL message pointer even for an empty message. */
static const unsigned char *msg_ptr(const void *msg, size_t len)
{
	static const unsigned char empty[1];

	return (len == 0 || !msg) ? empty : msg;
}

raas_rc raas_ed25519_public(const unsigned char seed[RAAS_ED25519_SEED_BYTES],
                            unsigned char pub[RAAS_ED25519_PUBLIC_BYTES], struct raas_err *err)
{
	EVP_PKEY *key =
	        EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, RAAS_ED25519_SEED_BYTES);
	size_t n = RAAS_ED25519_PUBLIC_BYTES;
	raas_rc rc = RAAS_OK;

	if (!key)
		return openssl_error(err, "loading the secret key");
	if (EVP_PKEY_get_raw_public_key(key, pub, &n) != 1 || n != RAAS_ED25519_PUBLIC_BYTES)
		rc = openssl_error(err, "deriving the public key");
	EVP_PKEY_free(key);
	return rc;
}

raas_rc raas_ed25519_sign(const unsigned char seed[RAAS_ED25519_SEED_BYTES], const void *msg,
                          size_t len, unsigned char sig[RAAS_ED25519_SIGNATURE_BYTES],
                          struct raas_err *err)
{
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *ctx = NULL;
	size_t n = RAAS_ED25519_SIGNATURE_BYTES;
	raas_rc rc = RAAS_OK;

	key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, RAAS_ED25519_SEED_BYTES);
	if (!key) {
		rc = openssl_error(err, "loading the secret key");
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx) {
		rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
		goto out;
	}
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &n, msg_ptr(msg, len), len) != 1 ||
	    n != RAAS_ED25519_SIGNATURE_BYTES) {
		rc = openssl_error(err, "signing");
		goto out;
	}
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return rc;
}

bool raas_ed25519_verify(const unsigned char pub[RAAS_ED25519_PUBLIC_BYTES], const void *msg,
                         size_t len, const unsigned char sig[RAAS_ED25519_SIGNATURE_BYTES])
{
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *ctx = NULL;
	bool ok = false;

	key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, RAAS_ED25519_PUBLIC_BYTES);
	if (!key)
		goto out;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		goto out;
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) != 1)
		goto out;
	ok = EVP_DigestVerify(ctx, sig, RAAS_ED25519_SIGNATURE_BYTES, msg_ptr(msg, len), len) == 1;
out:
	/* a rejected signature leaves reasons on OpenSSL's queue; they are not errors here */
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return ok;
}

/* ---- base64 (RFC 4648 §4) ---- */

static const char b64_alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t raas_base64_encode(const void *in, size_t n, char *out)
{
	const unsigned char *p = in;
	size_t o = 0, i = 0;

	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = b64_alphabet[v >> 18];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = b64_alphabet[(v >> 6) & 63];
		out[o++] = b64_alphabet[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;
		out[o++] = b64_alphabet[v >> 18];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[o++] = b64_alphabet[v >> 18];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = b64_alphabet[(v >> 6) & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

/* The 6-bit value of a base64 digit, or -1. */
static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

raas_rc raas_base64_decode(const char *in, size_t n, unsigned char *out, size_t cap, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;

	*outlen = 0;
	if (n % 4 != 0)
		return RAAS_E_INPUT;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		size_t pad = 0, bytes;
		uint32_t w;

		for (int j = 0; j < 4; j++)
			v[j] = b64_value(p[i + (size_t)j]);
		/* '=' only in the last group, as "xx==" or "xxx=" */
		if (i + 4 == n && p[i + 3] == '=')
			pad = p[i + 2] == '=' ? 2 : 1;
		if (v[0] < 0 || v[1] < 0 || (pad < 2 && v[2] < 0) || (pad < 1 && v[3] < 0))
			return RAAS_E_INPUT;
		if (pad == 2)
			v[2] = 0;
		if (pad >= 1)
			v[3] = 0;
		w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
		    (uint32_t)v[3];
		/* the bits the padding leaves over must be zero (RFC 4648 §3.5 canonical form) */
		if ((pad == 2 && (w & 0xffff) != 0) || (pad == 1 && (w & 0xff) != 0))
			return RAAS_E_INPUT;
		bytes = 3 - pad;
		if (cap - o < bytes)
			return RAAS_E_INPUT;
		out[o++] = (unsigned char)(w >> 16);
		if (bytes > 1)
			out[o++] = (unsigned char)(w >> 8);
		if (bytes > 2)
			out[o++] = (unsigned char)w;
	}
	*outlen = o;
	return RAAS_OK;
}

/* ---- hex ---- */

void raas_hex_encode(const void *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = in;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

raas_rc raas_hex_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)in;

	if (cap > SIZE_MAX / 2 || n != 2 * cap)
		return RAAS_E_INPUT;
	for (size_t i = 0; i < cap; i++) {
		int hi = raas_hex_digit(p[2 * i]), lo = raas_hex_digit(p[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return RAAS_E_INPUT;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return RAAS_OK;
}
