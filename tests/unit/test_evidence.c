/* test_evidence.c — the evidence log's primitives: evidence/crypto.h (SHA-256 known answers
 * and across threads, Ed25519 against RFC 8032 §7.1, strict base64 and hex), evidence/merkle.h
 * (every RFC 6962 vector of ../shared/vectors/crypto.json: roots, inclusion and consistency
 * proofs generated equal to the vectors, verified, and rejected after every one-byte change,
 * with a wrong index or a wrong size; frontier against root against an independent bottom-up
 * reference for 0..300 leaves; every proof of every tree up to 64 leaves) and evidence/note.h
 * (the c2sp_checkpoint vector byte for byte, verifier keys, and every way a signed note can be
 * wrong). The vectors are read from $RAAS_SHARED_DIR/vectors/crypto.json; when the variable is
 * set the file must be there, when it is not set the vector tests are skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <pthread.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/json.h"
#include "evidence/crypto.h"
#include "evidence/merkle.h"
#include "evidence/note.h"

/* ---- helpers ---- */

static struct raas_arena arena;
static const struct raas_json *vectors; /* NULL when RAAS_SHARED_DIR is not set */

static int setup(void **state)
{
	const char *dir = getenv("RAAS_SHARED_DIR");
	static char text[1 << 20];
	struct raas_json *doc = NULL;
	struct raas_err err;
	char path[1024];
	size_t n;
	FILE *f;

	(void)state;
	raas_arena_init(&arena, 0);
	if (!dir) {
		fprintf(stderr, "RAAS_SHARED_DIR is not set: skipping the crypto.json vectors\n");
		return 0;
	}
	snprintf(path, sizeof path, "%s/vectors/crypto.json", dir);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return -1;
	}
	n = fread(text, 1, sizeof text, f);
	fclose(f);
	if (n == sizeof text || raas_json_parse(&arena, text, n, NULL, &doc, &err) != RAAS_OK) {
		fprintf(stderr, "%s: unreadable or too long\n", path);
		return -1;
	}
	vectors = doc;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	raas_arena_free(&arena);
	return 0;
}

static const struct raas_json *get(const struct raas_json *obj, const char *key)
{
	const struct raas_json *v = raas_json_get(obj, key);

	assert_non_null(v);
	return v;
}

static uint64_t get_u64(const struct raas_json *obj, const char *key)
{
	const struct raas_json *v = get(obj, key);

	assert_int_equal(v->type, RAAS_JSON_NUMBER);
	return strtoull(v->u.str, NULL, 10);
}

/* Decodes a hex string of the vectors into out (at most cap bytes); returns its length. */
static size_t unhex(const struct raas_json *v, unsigned char *out, size_t cap)
{
	assert_int_equal(v->type, RAAS_JSON_STRING);
	assert_true(v->len % 2 == 0 && v->len / 2 <= cap);
	assert_int_equal(raas_hex_decode(v->u.str, v->len, out, v->len / 2), RAAS_OK);
	return v->len / 2;
}

static void unhex_hash(const struct raas_json *v, struct raas_hash *h)
{
	assert_int_equal(unhex(v, h->b, RAAS_HASH_BYTES), RAAS_HASH_BYTES);
}

static void hash_of_hex(const char *hex, struct raas_hash *h)
{
	assert_int_equal(raas_hex_decode(hex, strlen(hex), h->b, RAAS_HASH_BYTES), RAAS_OK);
}

#define STRINGIFY2(x) #x
#define STRINGIFY(x) STRINGIFY2(x)
#define NAME_MAX_TEXT STRINGIFY(RAAS_NOTE_NAME_MAX)

#define assert_hash_equal(x, y) assert_memory_equal((x)->b, (y)->b, RAAS_HASH_BYTES)

/* A small deterministic generator, so that "random" cases are reproducible. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

static void random_hash(struct raas_hash *h)
{
	for (size_t i = 0; i < RAAS_HASH_BYTES; i += 8) {
		uint64_t v = rng();
		memcpy(h->b + i, &v, 8);
	}
}

/* The eight RFC 6962 test leaves' hashes, from the vectors. */
static void vector_leaves(struct raas_hash leaves[8])
{
	const struct raas_json *list = get(get(vectors, "rfc6962"), "leaves");
	unsigned char bytes[64];

	assert_int_equal(list->len, 8);
	for (uint32_t i = 0; i < 8; i++) {
		size_t n = unhex(&list->u.items[i], bytes, sizeof bytes);
		raas_merkle_leaf_hash(bytes, n, &leaves[i]);
	}
}

#define SKIP_WITHOUT_VECTORS()  \
	do {                    \
		if (!vectors)   \
			skip(); \
	} while (0)

/* ---- SHA-256 ---- */

static void sha256_known_answers(void **state)
{
	struct raas_hash h, h2, want;
	static unsigned char big[1000000];

	(void)state;
	raas_sha256("", 0, &h);
	hash_of_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", &want);
	assert_hash_equal(&h, &want);
	raas_sha256("abc", 3, &h);
	hash_of_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", &want);
	assert_hash_equal(&h, &want);
	raas_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, &h);
	hash_of_hex("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", &want);
	assert_hash_equal(&h, &want);
	memset(big, 'a', sizeof big);
	raas_sha256(big, sizeof big, &h);
	hash_of_hex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", &want);
	assert_hash_equal(&h, &want);
	/* the two-part form is the hash of the concatenation, for every split */
	for (size_t k = 0; k <= 3; k++) {
		raas_sha256_2("abc", k, &"abc"[k], 3 - k, &h2);
		hash_of_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		            &want);
		assert_hash_equal(&h2, &want);
	}
	raas_sha256_2("", 0, "", 0, &h2);
	raas_sha256("", 0, &h);
	assert_hash_equal(&h2, &h);
}

struct thread_job {
	unsigned seed;
	struct raas_hash got, want;
};

static void *hash_in_thread(void *arg)
{
	struct thread_job *job = arg;
	unsigned char data[250];

	for (int round = 0; round < 1000; round++) {
		memset(data, (int)(job->seed + (unsigned)round), sizeof data);
		raas_sha256(data, sizeof data, &job->got);
	}
	return NULL;
}

/* Each thread has its own digest context (and it is freed when the thread ends: ASan's leak
 * check sees it); concurrent hashing gives the same results as sequential hashing. */
static void sha256_in_threads(void **state)
{
	struct thread_job jobs[4];
	pthread_t t[4];

	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		unsigned char data[250];
		jobs[i].seed = i * 7;
		memset(data, (int)(jobs[i].seed + 999), sizeof data);
		raas_sha256(data, sizeof data, &jobs[i].want);
	}
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hash_in_thread, &jobs[i]), 0);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_hash_equal(&jobs[i].got, &jobs[i].want);
	}
}

/* ---- base64 and hex ---- */

static void base64_encode_rfc4648(void **state)
{
	static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const out[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
	                                  "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	char buf[16];
	unsigned char back[8];
	size_t n;

	(void)state;
	for (size_t i = 0; i < 7; i++) {
		memset(buf, 'x', sizeof buf);
		assert_int_equal(raas_base64_encode(in[i], strlen(in[i]), buf), strlen(out[i]));
		assert_string_equal(buf, out[i]);
		n = 99;
		assert_int_equal(raas_base64_decode(out[i], strlen(out[i]), back, sizeof back, &n),
		                 RAAS_OK);
		assert_int_equal(n, strlen(in[i]));
		assert_memory_equal(back, in[i], n);
	}
	/* every byte value, and the two characters beyond the alphanumerics */
	{
		unsigned char all[256], again[256];
		char text[4 * 86 + 1];
		for (int i = 0; i < 256; i++)
			all[i] = (unsigned char)i;
		assert_int_equal(raas_base64_encode(all, 256, text), 344);
		assert_int_equal(raas_base64_decode(text, 344, again, sizeof again, &n), RAAS_OK);
		assert_int_equal(n, 256);
		assert_memory_equal(all, again, 256);
		assert_int_equal(raas_base64_encode("\xfb\xff", 2, buf), 4);
		assert_string_equal(buf, "+/8=");
	}
}

static void base64_decode_is_strict(void **state)
{
	static const char *const bad[] = {
	        "Zg",       /* no padding */
	        "Zg=",      /* short padding */
	        "Zg===",    /* too much */
	        "Z===",     /* one digit cannot make a byte */
	        "====",     /* padding only */
	        "Zm9v=",    /* not a multiple of 4 */
	        "Zh==",     /* non-zero trailing bits (h = 100001) */
	        "Zm9=",     /* non-zero trailing bits (9 = 111101) */
	        "Zg==Zg==", /* padding before the end */
	        "Zm=v",     /* '=' inside a group */
	        "Zm 9v",    /* whitespace */
	        "Zm9v\n",   /* newline */
	        "Zm9-",     /* base64url digit */
	        "Zm9_",     /* base64url digit */
	        "Zm9\x80",  /* non-ASCII */
	};
	unsigned char out[16];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		n = 99;
		assert_int_equal(raas_base64_decode(bad[i], strlen(bad[i]), out, sizeof out, &n),
		                 RAAS_E_INPUT);
		assert_int_equal(n, 0);
	}
	/* a NUL inside the length given */
	assert_int_equal(raas_base64_decode("Zm\0v", 4, out, sizeof out, &n), RAAS_E_INPUT);
	/* empty is the empty string */
	n = 99;
	assert_int_equal(raas_base64_decode("", 0, out, 0, &n), RAAS_OK);
	assert_int_equal(n, 0);
	/* the capacity is a hard limit, exact fit is fine */
	assert_int_equal(raas_base64_decode("Zm9v", 4, out, 2, &n), RAAS_E_INPUT);
	assert_int_equal(raas_base64_decode("Zm9v", 4, out, 3, &n), RAAS_OK);
	assert_int_equal(n, 3);
	assert_int_equal(raas_base64_decode("Zm8=", 4, out, 1, &n), RAAS_E_INPUT);
	assert_int_equal(raas_base64_decode("Zm8=", 4, out, 2, &n), RAAS_OK);
	assert_int_equal(n, 2);
	assert_int_equal(raas_base64_decode("Zm9vYmFy", 8, out, 5, &n), RAAS_E_INPUT);
	/* zero trailing bits are the canonical form */
	assert_int_equal(raas_base64_decode("Zg==", 4, out, sizeof out, &n), RAAS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 'f');
}

static void hex_encode_and_decode(void **state)
{
	unsigned char out[4];
	char text[9];

	(void)state;
	raas_hex_encode("\x00\x01\xab\xff", 4, text);
	assert_string_equal(text, "0001abff");
	raas_hex_encode("", 0, text);
	assert_string_equal(text, "");
	assert_int_equal(raas_hex_decode("0001abff", 8, out, 4), RAAS_OK);
	assert_memory_equal(out, "\x00\x01\xab\xff", 4);
	assert_int_equal(raas_hex_decode("0001ABFF", 8, out, 4), RAAS_OK);
	assert_memory_equal(out, "\x00\x01\xab\xff", 4);
	assert_int_equal(raas_hex_decode("aCf695F6", 8, out, 4), RAAS_OK);
	assert_memory_equal(out, "\xac\xf6\x95\xf6", 4);
	assert_int_equal(raas_hex_decode("", 0, out, 0), RAAS_OK);
	/* exactly 2 * cap digits */
	assert_int_equal(raas_hex_decode("0001abf", 7, out, 4), RAAS_E_INPUT);
	assert_int_equal(raas_hex_decode("0001abff00", 10, out, 4), RAAS_E_INPUT);
	assert_int_equal(raas_hex_decode("0001ab", 6, out, 4), RAAS_E_INPUT);
	assert_int_equal(raas_hex_decode("", 0, out, 1), RAAS_E_INPUT);
	/* digits only */
	assert_int_equal(raas_hex_decode("0001abfg", 8, out, 4), RAAS_E_INPUT);
	assert_int_equal(raas_hex_decode("0x01abff", 8, out, 4), RAAS_E_INPUT);
	assert_int_equal(raas_hex_decode(" 001abff", 8, out, 4), RAAS_E_INPUT);
	assert_int_equal(raas_hex_decode("0001ab\0f", 8, out, 4), RAAS_E_INPUT);
}

static void random_bytes(void **state)
{
	unsigned char a[32], b[32];
	struct raas_err err;

	(void)state;
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	assert_int_equal(raas_random_bytes(a, sizeof a, &err), RAAS_OK);
	assert_int_equal(raas_random_bytes(b, sizeof b, &err), RAAS_OK);
	assert_memory_not_equal(a, b, sizeof a);
	assert_int_equal(raas_random_bytes(a, 0, &err), RAAS_OK);
}

/* ---- Ed25519 (RFC 8032 §7.1) ---- */

static void ed25519_rfc8032(void **state)
{
	const struct raas_json *cases;

	(void)state;
	SKIP_WITHOUT_VECTORS();
	cases = get(vectors, "ed25519_rfc8032");
	assert_int_equal(cases->len, 3);
	for (uint32_t c = 0; c < cases->len; c++) {
		const struct raas_json *v = &cases->u.items[c];
		unsigned char seed[32], pub[32], want_pub[32], sig[64], want_sig[64], msg[8],
		        longer[9];
		struct raas_err err;
		size_t mlen;

		assert_int_equal(unhex(get(v, "seed"), seed, 32), 32);
		assert_int_equal(unhex(get(v, "public"), want_pub, 32), 32);
		assert_int_equal(unhex(get(v, "signature"), want_sig, 64), 64);
		mlen = unhex(get(v, "message"), msg, sizeof msg);
		assert_int_equal(mlen, c); /* 0, 1 and 2 bytes */

		assert_int_equal(raas_ed25519_public(seed, pub, &err), RAAS_OK);
		assert_memory_equal(pub, want_pub, 32);
		assert_int_equal(raas_ed25519_sign(seed, msg, mlen, sig, &err), RAAS_OK);
		assert_memory_equal(sig, want_sig, 64);
		assert_true(raas_ed25519_verify(pub, msg, mlen, sig));
		if (mlen == 0)
			assert_true(raas_ed25519_verify(pub, NULL, 0, sig));

		/* every flipped bit of the signature, the message and the key is rejected */
		for (size_t i = 0; i < 64 * 8; i++) {
			sig[i / 8] ^= (unsigned char)(1u << (i % 8));
			assert_false(raas_ed25519_verify(pub, msg, mlen, sig));
			sig[i / 8] ^= (unsigned char)(1u << (i % 8));
		}
		for (size_t i = 0; i < mlen * 8; i++) {
			msg[i / 8] ^= (unsigned char)(1u << (i % 8));
			assert_false(raas_ed25519_verify(pub, msg, mlen, sig));
			msg[i / 8] ^= (unsigned char)(1u << (i % 8));
		}
		for (size_t i = 0; i < 32 * 8; i++) {
			pub[i / 8] ^= (unsigned char)(1u << (i % 8));
			assert_false(raas_ed25519_verify(pub, msg, mlen, sig));
			pub[i / 8] ^= (unsigned char)(1u << (i % 8));
		}
		/* nor is the message with one more byte or one less */
		memcpy(longer, msg, mlen);
		longer[mlen] = 0;
		assert_false(raas_ed25519_verify(pub, longer, mlen + 1, sig));
		if (mlen > 0)
			assert_false(raas_ed25519_verify(pub, msg, mlen - 1, sig));
		assert_true(raas_ed25519_verify(pub, msg, mlen, sig));
	}
}

/* ---- Merkle trees: the RFC 6962 vectors ---- */

static void rfc6962_roots(void **state)
{
	const struct raas_json *r, *roots;
	struct raas_hash leaves[8], got, want;
	struct raas_merkle_frontier f;

	(void)state;
	SKIP_WITHOUT_VECTORS();
	r = get(vectors, "rfc6962");
	vector_leaves(leaves);
	/* the leaf hash of the empty leaf is SHA-256(0x00) */
	hash_of_hex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", &want);
	assert_hash_equal(&leaves[0], &want);

	unhex_hash(get(r, "empty_root"), &want);
	raas_merkle_root(leaves, 0, &got);
	assert_hash_equal(&got, &want);
	raas_merkle_root(NULL, 0, &got);
	assert_hash_equal(&got, &want);
	raas_merkle_frontier_init(&f);
	raas_merkle_frontier_root(&f, &got);
	assert_hash_equal(&got, &want);

	roots = get(r, "roots");
	assert_int_equal(roots->len, 8);
	for (uint32_t i = 0; i < roots->len; i++) {
		uint64_t size = get_u64(&roots->u.items[i], "size");
		assert_int_equal(size, i + 1);
		unhex_hash(get(&roots->u.items[i], "root"), &want);
		raas_merkle_root(leaves, size, &got);
		assert_hash_equal(&got, &want);
		raas_merkle_frontier_append(&f, &leaves[i]);
		assert_int_equal(f.size, size);
		raas_merkle_frontier_root(&f, &got);
		assert_hash_equal(&got, &want);
	}
}

/* RFC 6962's k for n >= 2, computed the slow way. */
static uint64_t largest_power_below(uint64_t n)
{
	uint64_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

/* The shape of the audit path of leaf index in a tree of size leaves, from RFC 6962's PATH
 * recursion: a 1 bit, then one bit per level from the root down, set when the path goes
 * right. Two sizes with the same shape give proofs with the same steps. */
static uint64_t path_shape(uint64_t index, uint64_t size)
{
	uint64_t shape = 1;

	while (size > 1) {
		uint64_t k = largest_power_below(size);
		shape <<= 1;
		if (index >= k) {
			shape |= 1;
			index -= k;
			size -= k;
		} else {
			size = k;
		}
	}
	return shape;
}

/* The same for a consistency proof from RFC 6962's SUBPROOF recursion, with a last bit for
 * whether the proof starts with the hash of the subtree the recursion ends at. */
static uint64_t consistency_shape(uint64_t m, uint64_t n)
{
	uint64_t shape = 1;
	bool whole = true;

	while (m != n) {
		uint64_t k = largest_power_below(n);
		shape <<= 1;
		if (m > k) {
			shape |= 1;
			m -= k;
			n -= k;
			whole = false;
		} else {
			n = k;
		}
	}
	return shape << 1 | whole;
}

/* The vector root of a tree of size (1..8). */
static void vector_root(uint64_t size, struct raas_hash *out)
{
	const struct raas_json *roots = get(get(vectors, "rfc6962"), "roots");

	assert_true(size >= 1 && size <= roots->len);
	unhex_hash(get(&roots->u.items[size - 1], "root"), out);
}

static void rfc6962_inclusion(void **state)
{
	const struct raas_json *list;
	struct raas_hash leaves[8];
	size_t checked = 0, wrong_sizes = 0;

	(void)state;
	SKIP_WITHOUT_VECTORS();
	vector_leaves(leaves);
	list = get(get(vectors, "rfc6962"), "inclusion");
	assert_int_equal(list->len, 36); /* every (index, size) of sizes 1..8 */
	for (uint32_t c = 0; c < list->len; c++) {
		const struct raas_json *v = &list->u.items[c], *pv = get(v, "proof");
		uint64_t index = get_u64(v, "index"), size = get_u64(v, "size");
		struct raas_hash want[RAAS_MERKLE_MAX_PROOF], got[RAAS_MERKLE_MAX_PROOF], root,
		        leaf = leaves[index];
		size_t len = 99;

		vector_root(size, &root);
		for (uint32_t i = 0; i < pv->len; i++)
			unhex_hash(&pv->u.items[i], &want[i]);
		assert_int_equal(raas_merkle_inclusion_proof(leaves, size, index, got, &len),
		                 RAAS_OK);
		assert_int_equal(len, pv->len);
		assert_memory_equal(got, want, len * sizeof got[0]);
		assert_true(raas_merkle_verify_inclusion(&leaf, index, size, want, len, &root));

		/* every one-byte change of the proof, the leaf and the root */
		for (size_t i = 0; i < len; i++)
			for (size_t b = 0; b < RAAS_HASH_BYTES; b++) {
				want[i].b[b] ^= 0x01;
				assert_false(raas_merkle_verify_inclusion(&leaf, index, size, want,
				                                          len, &root));
				want[i].b[b] ^= 0x01;
			}
		for (size_t b = 0; b < RAAS_HASH_BYTES; b++) {
			leaf.b[b] ^= 0x80;
			assert_false(
			        raas_merkle_verify_inclusion(&leaf, index, size, want, len, &root));
			leaf.b[b] ^= 0x80;
			root.b[b] ^= 0x80;
			assert_false(
			        raas_merkle_verify_inclusion(&leaf, index, size, want, len, &root));
			root.b[b] ^= 0x80;
		}
		/* every other index, an index past the end, other sizes */
		for (uint64_t j = 0; j < size + 2; j++)
			if (j != index)
				assert_false(raas_merkle_verify_inclusion(&leaf, j, size, want, len,
				                                          &root));
		/* a proof lists hashes, not sizes: another size is rejected exactly when its
		 * path has another shape (the signed size is what pins the size down) */
		for (uint64_t s = 0; s <= 40; s++) {
			bool same = s > index && path_shape(index, s) == path_shape(index, size);
			if (s == size)
				continue;
			assert_int_equal(
			        raas_merkle_verify_inclusion(&leaf, index, s, want, len, &root),
			        same);
			wrong_sizes += !same;
		}
		assert_false(
		        raas_merkle_verify_inclusion(&leaf, index, UINT64_MAX, want, len, &root));
		/* a shorter or a longer proof */
		if (len > 0)
			assert_false(raas_merkle_verify_inclusion(&leaf, index, size, want, len - 1,
			                                          &root));
		want[len] = root;
		assert_false(
		        raas_merkle_verify_inclusion(&leaf, index, size, want, len + 1, &root));
		/* the right proof still verifies after all that */
		assert_true(raas_merkle_verify_inclusion(&leaf, index, size, want, len, &root));
		checked++;
	}
	assert_int_equal(checked, 36);
	assert_int_equal(wrong_sizes,
	                 1384); /* of 36 * 40 other sizes, the rest have equal shapes */
}

static void rfc6962_consistency(void **state)
{
	const struct raas_json *list;
	struct raas_hash leaves[8], proof[RAAS_MERKLE_MAX_PROOF];
	size_t len, wrong_sizes = 0;

	(void)state;
	SKIP_WITHOUT_VECTORS();
	vector_leaves(leaves);
	list = get(get(vectors, "rfc6962"), "consistency");
	assert_int_equal(list->len, 28); /* every 1 <= m < n <= 8 */
	for (uint32_t c = 0; c < list->len; c++) {
		const struct raas_json *v = &list->u.items[c], *pv = get(v, "proof");
		uint64_t m = get_u64(v, "size1"), n = get_u64(v, "size2");
		struct raas_hash want[RAAS_MERKLE_MAX_PROOF], got[RAAS_MERKLE_MAX_PROOF], rm, rn;

		vector_root(m, &rm);
		vector_root(n, &rn);
		for (uint32_t i = 0; i < pv->len; i++)
			unhex_hash(&pv->u.items[i], &want[i]);
		len = 99;
		assert_int_equal(raas_merkle_consistency_proof(leaves, m, n, got, &len), RAAS_OK);
		assert_int_equal(len, pv->len);
		assert_memory_equal(got, want, len * sizeof got[0]);
		assert_true(raas_merkle_verify_consistency(m, n, &rm, &rn, want, len));

		for (size_t i = 0; i < len; i++)
			for (size_t b = 0; b < RAAS_HASH_BYTES; b++) {
				want[i].b[b] ^= 0x01;
				assert_false(
				        raas_merkle_verify_consistency(m, n, &rm, &rn, want, len));
				want[i].b[b] ^= 0x01;
			}
		for (size_t b = 0; b < RAAS_HASH_BYTES; b++) {
			rm.b[b] ^= 0x40;
			assert_false(raas_merkle_verify_consistency(m, n, &rm, &rn, want, len));
			rm.b[b] ^= 0x40;
			rn.b[b] ^= 0x40;
			assert_false(raas_merkle_verify_consistency(m, n, &rm, &rn, want, len));
			rn.b[b] ^= 0x40;
		}
		/* the roots swapped, other sizes, a shorter, longer or empty proof */
		assert_false(raas_merkle_verify_consistency(m, n, &rn, &rm, want, len));
		/* other sizes: rejected exactly when the proof would have another shape */
		for (uint64_t s = 0; s <= 40; s++) {
			if (s != m) {
				bool same = s > 0 && s < n &&
				            consistency_shape(s, n) == consistency_shape(m, n);
				assert_int_equal(
				        raas_merkle_verify_consistency(s, n, &rm, &rn, want, len),
				        same);
				wrong_sizes += !same;
			}
			if (s != n) {
				bool same =
				        s > m && consistency_shape(m, s) == consistency_shape(m, n);
				assert_int_equal(
				        raas_merkle_verify_consistency(m, s, &rm, &rn, want, len),
				        same);
				wrong_sizes += !same;
			}
		}
		assert_false(raas_merkle_verify_consistency(m, UINT64_MAX, &rm, &rn, want, len));
		assert_false(raas_merkle_verify_consistency(m, n, &rm, &rn, want, len - 1));
		assert_false(raas_merkle_verify_consistency(m, n, &rm, &rn, want, 0));
		want[len] = rn;
		assert_false(raas_merkle_verify_consistency(m, n, &rm, &rn, want, len + 1));
		assert_true(raas_merkle_verify_consistency(m, n, &rm, &rn, want, len));
	}
	assert_int_equal(wrong_sizes,
	                 2184); /* of 28 * 80 other sizes, the rest have equal shapes */
	/* m == n: the empty proof and equal roots */
	for (uint64_t m = 1; m <= 8; m++) {
		struct raas_hash r, other;
		vector_root(m, &r);
		len = 99;
		assert_int_equal(raas_merkle_consistency_proof(leaves, m, m, proof, &len), RAAS_OK);
		assert_int_equal(len, 0);
		assert_true(raas_merkle_verify_consistency(m, m, &r, &r, proof, 0));
		proof[0] = r;
		assert_false(raas_merkle_verify_consistency(m, m, &r, &r, proof, 1));
		other = r;
		other.b[0] ^= 1;
		assert_false(raas_merkle_verify_consistency(m, m, &r, &other, proof, 0));
	}
}

static void proof_arguments(void **state)
{
	struct raas_hash leaves[8], proof[RAAS_MERKLE_MAX_PROOF], empty, r;
	size_t len;

	(void)state;
	for (int i = 0; i < 8; i++)
		random_hash(&leaves[i]);
	len = 99;
	assert_int_equal(raas_merkle_inclusion_proof(leaves, 8, 8, proof, &len), RAAS_E_INPUT);
	assert_int_equal(len, 0);
	assert_int_equal(raas_merkle_inclusion_proof(leaves, 0, 0, proof, &len), RAAS_E_INPUT);
	assert_int_equal(raas_merkle_inclusion_proof(leaves, 1, 0, proof, &len), RAAS_OK);
	assert_int_equal(len, 0);
	len = 99;
	assert_int_equal(raas_merkle_consistency_proof(leaves, 0, 8, proof, &len), RAAS_E_INPUT);
	assert_int_equal(len, 0);
	assert_int_equal(raas_merkle_consistency_proof(leaves, 0, 0, proof, &len), RAAS_E_INPUT);
	assert_int_equal(raas_merkle_consistency_proof(leaves, 5, 4, proof, &len), RAAS_E_INPUT);
	/* a tree of one leaf: the leaf hash is the root, the proof is empty */
	assert_true(raas_merkle_verify_inclusion(&leaves[0], 0, 1, proof, 0, &leaves[0]));
	assert_false(raas_merkle_verify_inclusion(&leaves[0], 0, 0, proof, 0, &leaves[0]));
	/* the empty tree is a prefix of every tree, with an empty proof */
	raas_sha256("", 0, &empty);
	raas_merkle_root(leaves, 8, &r);
	assert_true(raas_merkle_verify_consistency(0, 8, &empty, &r, proof, 0));
	assert_true(raas_merkle_verify_consistency(0, 0, &empty, &empty, proof, 0));
	assert_false(raas_merkle_verify_consistency(0, 8, &r, &r, proof, 0));
	proof[0] = r;
	assert_false(raas_merkle_verify_consistency(0, 8, &empty, &r, proof, 1));
	assert_false(raas_merkle_verify_consistency(9, 8, &r, &r, proof, 0));
	/* more hashes than any proof can have */
	assert_false(raas_merkle_verify_inclusion(&leaves[0], 0, 2, proof,
	                                          RAAS_MERKLE_MAX_PROOF + 1, &r));
}

/* ---- Merkle trees: random ones ---- */

/* An independent root: hash pairs level by level, an odd last node moves up unchanged. */
static void reference_root(const struct raas_hash *leaves, size_t n, struct raas_hash *out)
{
	static struct raas_hash level[512];
	size_t count = n;

	if (n == 0) {
		raas_sha256("", 0, out);
		return;
	}
	assert_true(n <= 512);
	memcpy(level, leaves, n * sizeof level[0]);
	while (count > 1) {
		size_t next = 0;
		for (size_t i = 0; i + 1 < count; i += 2)
			raas_merkle_node_hash(&level[i], &level[i + 1], &level[next++]);
		if (count % 2)
			level[next++] = level[count - 1];
		count = next;
	}
	*out = level[0];
}

static void frontier_equals_root(void **state)
{
	static struct raas_hash leaves[301];
	struct raas_merkle_frontier f;
	struct raas_hash a, b, c;

	(void)state;
	for (int i = 0; i < 301; i++)
		random_hash(&leaves[i]);
	raas_merkle_frontier_init(&f);
	for (uint64_t n = 0; n <= 300; n++) {
		if (n > 0)
			raas_merkle_frontier_append(&f, &leaves[n - 1]);
		assert_int_equal(f.size, n);
		raas_merkle_frontier_root(&f, &a);
		raas_merkle_root(leaves, n, &b);
		reference_root(leaves, (size_t)n, &c);
		assert_hash_equal(&a, &b);
		assert_hash_equal(&b, &c);
	}
	/* the frontier holds exactly the perfect subtrees of the size's bits */
	for (unsigned i = 0; i < 9; i++) {
		uint64_t start = (uint64_t)300 >> (i + 1) << (i + 1), width = (uint64_t)1 << i;
		if (!(300 >> i & 1))
			continue;
		raas_merkle_root(leaves + start, width, &a);
		assert_hash_equal(&f.nodes[i], &a);
	}
}

/* Every inclusion and consistency proof of every tree up to 64 leaves verifies, has at most
 * the RFC's length, and fails for the wrong leaf or root. */
static void every_proof_up_to_64(void **state)
{
	struct raas_hash leaves[64], roots[65], proof[RAAS_MERKLE_MAX_PROOF];
	size_t len;

	(void)state;
	for (int i = 0; i < 64; i++)
		random_hash(&leaves[i]);
	for (uint64_t n = 0; n <= 64; n++)
		raas_merkle_root(leaves, n, &roots[n]);
	for (uint64_t n = 1; n <= 64; n++) {
		unsigned depth = 0;
		while (((uint64_t)1 << depth) < n)
			depth++;
		for (uint64_t i = 0; i < n; i++) {
			assert_int_equal(raas_merkle_inclusion_proof(leaves, n, i, proof, &len),
			                 RAAS_OK);
			assert_true(len <= depth);
			assert_true(raas_merkle_verify_inclusion(&leaves[i], i, n, proof, len,
			                                         &roots[n]));
			assert_false(raas_merkle_verify_inclusion(&leaves[(i + 1) % 64], i, n,
			                                          proof, len, &roots[n]));
			if (n > 1)
				assert_false(raas_merkle_verify_inclusion(&leaves[i], i, n, proof,
				                                          len, &roots[n - 1]));
		}
		for (uint64_t m = 1; m <= n; m++) {
			assert_int_equal(raas_merkle_consistency_proof(leaves, m, n, proof, &len),
			                 RAAS_OK);
			assert_true(len <= 2 * (size_t)depth);
			assert_true(raas_merkle_verify_consistency(m, n, &roots[m], &roots[n],
			                                           proof, len));
			if (m < n) {
				assert_false(raas_merkle_verify_consistency(m, n, &roots[m - 1],
				                                            &roots[n], proof, len));
				assert_false(raas_merkle_verify_consistency(
				        m, n, &roots[m], &roots[n - 1], proof, len));
			}
		}
	}
}

/* ---- notes: verifier keys ---- */

static const char *const vkey_example =
        "raas/example+acf695f6+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";

static void seed_of(uint32_t c, unsigned char seed[32])
{
	const struct raas_json *cases = get(vectors, "ed25519_rfc8032");

	assert_int_equal(unhex(get(&cases->u.items[c], "seed"), seed, 32), 32);
}

static void c2sp_verifier_key(void **state)
{
	const struct raas_json *v;
	unsigned char seed[32], pub[32], id[4], got_pub[32];
	char name[RAAS_NOTE_NAME_MAX + 1];
	struct raas_err err;
	struct raas_buf b;

	(void)state;
	SKIP_WITHOUT_VECTORS();
	v = get(vectors, "c2sp_checkpoint");
	unhex(get(v, "seed"), seed, 32);
	assert_string_equal(get(v, "key_name")->u.str, "raas/example");
	assert_string_equal(get(v, "verifier_key")->u.str, vkey_example);
	assert_int_equal(raas_ed25519_public(seed, pub, &err), RAAS_OK);
	raas_note_key_id("raas/example", pub, id);
	assert_memory_equal(id, "\xac\xf6\x95\xf6", 4);

	raas_buf_init(&b, 1 << 10);
	assert_int_equal(raas_buf_puts(&b, "key: "), RAAS_OK);
	assert_int_equal(raas_note_verifier_key(&b, "raas/example", pub), RAAS_OK);
	assert_string_equal(
	        b.data, "key: raas/example+acf695f6+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea");
	assert_string_equal(b.data + 5, get(v, "verifier_key")->u.str);

	assert_int_equal(raas_note_parse_verifier_key(b.data + 5, b.len - 5, name, got_pub, &err),
	                 RAAS_OK);
	assert_string_equal(name, "raas/example");
	assert_memory_equal(got_pub, pub, 32);

	/* names the format does not allow are refused and nothing is written */
	raas_buf_reset(&b);
	assert_int_equal(raas_note_verifier_key(&b, "", pub), RAAS_E_INPUT);
	assert_int_equal(raas_note_verifier_key(&b, "a+b", pub), RAAS_E_INPUT);
	assert_int_equal(raas_note_verifier_key(&b, "a b", pub), RAAS_E_INPUT);
	assert_int_equal(raas_note_verifier_key(&b, "a\nb", pub), RAAS_E_INPUT);
	assert_int_equal(raas_note_verifier_key(&b,
	                                        "a\xc2\xa0"
	                                        "b",
	                                        pub),
	                 RAAS_E_INPUT);
	assert_int_equal(b.len, 0);
	/* a buffer too small keeps what it had */
	raas_buf_free(&b);
	raas_buf_init(&b, 20);
	assert_int_equal(raas_buf_puts(&b, "x"), RAAS_OK);
	assert_int_equal(raas_note_verifier_key(&b, "raas/example", pub), RAAS_E_INPUT);
	assert_string_equal(b.data, "x");
	raas_buf_free(&b);
}

/* Parses vkey, which must be rejected with message. */
static void vkey_rejected(const char *vkey, size_t len, const char *message)
{
	char name[RAAS_NOTE_NAME_MAX + 1];
	unsigned char pub[32];
	struct raas_err err;

	raas_err_clear(&err);
	name[0] = 'x';
	if (len == SIZE_MAX)
		len = strlen(vkey);
	assert_int_equal(raas_note_parse_verifier_key(vkey, len, name, pub, &err), RAAS_E_INPUT);
	assert_int_equal(err.code, RAAS_E_INPUT);
	assert_string_equal(err.path, "verifier key");
	assert_string_equal(err.message, message);
	assert_string_equal(name, "");
}

static void verifier_key_parsing(void **state)
{
	char name[RAAS_NOTE_NAME_MAX + 1], long_key[RAAS_NOTE_NAME_MAX + 100];
	unsigned char pub[32], seed[32], pub2[32], key[33], id[4];
	struct raas_err err;
	struct raas_buf b;
	const char *k = vkey_example;

	(void)state;
	/* either case of hex digits */
	assert_int_equal(
	        raas_note_parse_verifier_key(
	                "raas/example+ACF695F6+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea",
	                strlen(k), name, pub, &err),
	        RAAS_OK);
	assert_string_equal(name, "raas/example");
	vkey_rejected("raas/example", 12,
	              "expected <key name>+<key id>+<public key>: there is no '+'");
	vkey_rejected(k + 12, strlen(k) - 12, "the key name is empty");
	vkey_rejected("raas/example+acf695f6", 21,
	              "expected <key name>+<key id>+<public key>: the second '+' is missing");
	vkey_rejected("raas/example+acf695f+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea",
	              strlen(k) - 1, "the key id (after the first '+') must be 8 hex digits");
	vkey_rejected("raas/example+acf695fg+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea",
	              strlen(k), "the key id (after the first '+') must be 8 hex digits");
	vkey_rejected("raas/example+acf695f6+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1E*",
	              SIZE_MAX, "the public key (after the second '+') is not valid base64");
	vkey_rejected("raas/example+acf695f6+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1E=",
	              SIZE_MAX, "an Ed25519 public key is 32 bytes, this one has 31");
	vkey_rejected("raas/example+acf695f6+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea\n",
	              strlen(k) + 1, "the public key (after the second '+') is not valid base64");
	vkey_rejected("raas/example+acf695f6+", 22, "the key type is missing, not 0x01 (Ed25519)");
	vkey_rejected("raas/example+acf695f6+AtdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea",
	              strlen(k), "the key type is 0x02 (ECDSA), not 0x01 (Ed25519)");
	vkey_rejected("raas/example+acf695f6+BNdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea",
	              strlen(k), "the key type is not supported, not 0x01 (Ed25519)");
	vkey_rejected("raas/example+acf695f6+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1E",
	              strlen(k) - 1, "the public key (after the second '+') is not valid base64");
	vkey_rejected("raas/example+acf695f6+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3", SIZE_MAX,
	              "an Ed25519 public key is 32 bytes, this one has 29");
	vkey_rejected("raas/example+acf695f6+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1EaAAAA",
	              strlen(k) + 4, "an Ed25519 public key is 32 bytes, this one has 35");
	vkey_rejected("raas/exampl+acf695f6+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea",
	              strlen(k) - 1,
	              "the key id acf695f6 does not match the name and key (which give 49ed5726)");
	vkey_rejected("raas/example+acf695f7+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea",
	              strlen(k),
	              "the key id acf695f7 does not match the name and key (which give acf695f6)");
	vkey_rejected("raas example+acf695f6+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea",
	              strlen(k), "the key name contains a space");
	vkey_rejected("raas\texample+acf695f6+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea",
	              strlen(k), "the key name contains a control character");
	vkey_rejected("raas\nexample+acf695f6+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea",
	              strlen(k), "the key name contains a newline");
	vkey_rejected(
	        "raas\xe2\x80\x83xample+acf695f6+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea",
	        strlen(k), "the key name contains a space"); /* U+2003 EM SPACE */
	vkey_rejected("raas\xc3xample+acf695f6+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea",
	              strlen(k), "the key name is not valid UTF-8");
	vkey_rejected("raas/example\0+acf695f6+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea",
	              strlen(k) + 1, "the key name contains a control character");
	vkey_rejected(
	        "raas/"
	        "example+acf695f6+AddamAGCsQq31Uv+"
	        "08lkBzoO4XLz2qYjJa8CGmj3B1EaAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	        strlen(k) + 128,
	        "the public key (after the second '+') is too long for an Ed25519 key");

	/* names of RAAS_NOTE_NAME_MAX bytes are fine, one more is not */
	memset(seed, 7, sizeof seed);
	assert_int_equal(raas_ed25519_public(seed, pub2, &err), RAAS_OK);
	for (size_t n = RAAS_NOTE_NAME_MAX - 1; n <= RAAS_NOTE_NAME_MAX + 1; n++) {
		char nm[RAAS_NOTE_NAME_MAX + 2];
		memset(nm, 'n', n);
		nm[n] = '\0';
		raas_buf_init(&b, 1 << 12);
		if (n <= RAAS_NOTE_NAME_MAX) {
			assert_int_equal(raas_note_verifier_key(&b, nm, pub2), RAAS_OK);
			assert_int_equal(
			        raas_note_parse_verifier_key(b.data, b.len, name, pub, &err),
			        RAAS_OK);
			assert_string_equal(name, nm);
			assert_memory_equal(pub, pub2, 32);
		} else {
			assert_int_equal(raas_note_verifier_key(&b, nm, pub2), RAAS_E_INPUT);
			/* built by hand: name, id, key */
			raas_note_key_id(nm, pub2, id);
			key[0] = 0x01;
			memcpy(key + 1, pub2, 32);
			{
				char hex[9], key64[45];
				raas_hex_encode(id, 4, hex);
				raas_base64_encode(key, 33, key64);
				snprintf(long_key, sizeof long_key, "%s+%s+%s", nm, hex, key64);
			}
			vkey_rejected(long_key, strlen(long_key),
			              "the key name is longer than " NAME_MAX_TEXT " bytes");
		}
		raas_buf_free(&b);
	}
}

/* ---- notes: checkpoints ---- */

static const char *const note_example =
        "raas/example/acme\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n"
        "\xe2\x80\x94 raas/example "
        "rPaV9m13SsvQANOSBSsx6q8NrC4dL602JVpwxvP7UhVTn5UK9ZeSaaleDrwZhc3opziWs+"
        "qVaCDQFL3RtUIuQSJYQws=\n";

static unsigned char example_seed[32];
static struct raas_hash example_root;

static void load_example(void)
{
	const struct raas_json *v = get(vectors, "c2sp_checkpoint");
	struct raas_hash leaves[8];

	unhex(get(v, "seed"), example_seed, 32);
	vector_leaves(leaves);
	raas_merkle_root(leaves, 8, &example_root);
	assert_int_equal(get(v, "leaves")->len, 8);
	for (uint32_t i = 0; i < 8; i++)
		assert_string_equal(get(v, "leaves")->u.items[i].u.str,
		                    get(get(vectors, "rfc6962"), "leaves")->u.items[i].u.str);
}

/* Verifies note (len bytes) against vkey, expecting rc; for failures the error's message, line
 * and column too. */
static void verify_expect_at(const char *file, int at, const char *note, size_t len,
                             const char *vkey, raas_rc rc, const char *message, uint32_t line,
                             uint32_t column)
{
	struct raas_checkpoint cp;
	struct raas_err err;
	raas_rc got;

	raas_err_clear(&err);
	memset(&cp, 0x55, sizeof cp);
	got = raas_checkpoint_verify(note, len, vkey, strlen(vkey), &cp, &err);
	_assert_int_equal((uintmax_t)got, (uintmax_t)rc, file, at);
	if (rc == RAAS_OK)
		return;
	_assert_int_equal((uintmax_t)err.code, (uintmax_t)rc, file, at);
	_assert_string_equal(err.message, message, file, at);
	_assert_int_equal(err.line, line, file, at);
	_assert_int_equal(err.column, column, file, at);
	/* nothing of a rejected note is handed out */
	assert_string_equal(cp.origin, "");
	assert_int_equal(cp.size, 0);
}

#define verify_expect(...) verify_expect_at(__FILE__, __LINE__, __VA_ARGS__)

/* A note over body signed by the example key, plus extra after the signature line. */
static size_t sign_body(const char *body, const char *extra_before, const char *extra_after,
                        char *out, size_t cap)
{
	unsigned char pub[32], blob[68];
	char sig64[93];
	struct raas_err err;
	int n;

	assert_int_equal(raas_ed25519_public(example_seed, pub, &err), RAAS_OK);
	raas_note_key_id("raas/example", pub, blob);
	assert_int_equal(raas_ed25519_sign(example_seed, body, strlen(body), blob + 4, &err),
	                 RAAS_OK);
	raas_base64_encode(blob, 68, sig64);
	n = snprintf(out, cap, "%s\n%s\xe2\x80\x94 raas/example %s\n%s", body, extra_before, sig64,
	             extra_after);
	assert_true(n > 0 && (size_t)n < cap);
	return (size_t)n;
}

static void c2sp_checkpoint_vector(void **state)
{
	struct raas_checkpoint cp;
	struct raas_err err;
	struct raas_buf b;

	(void)state;
	SKIP_WITHOUT_VECTORS();
	load_example();
	assert_string_equal(get(get(vectors, "c2sp_checkpoint"), "note")->u.str, note_example);

	raas_buf_init(&b, 1 << 12);
	assert_int_equal(raas_checkpoint_write(&b, "raas/example/acme", 8, &example_root,
	                                       "raas/example", example_seed, &err),
	                 RAAS_OK);
	assert_string_equal(b.data, note_example);
	assert_int_equal(b.len, strlen(note_example));

	memset(&cp, 0x55, sizeof cp);
	assert_int_equal(raas_checkpoint_verify(b.data, b.len, vkey_example, strlen(vkey_example),
	                                        &cp, &err),
	                 RAAS_OK);
	assert_string_equal(cp.origin, "raas/example/acme");
	assert_int_equal(cp.size, 8);
	assert_hash_equal(&cp.root, &example_root);
	raas_buf_free(&b);
}

static void checkpoint_rejections(void **state)
{
	char note[2048], other_vkey[256];
	unsigned char seed2[32], pub2[32], pub[32];
	struct raas_err err;
	struct raas_buf b;
	size_t n = strlen(note_example);

	(void)state;
	SKIP_WITHOUT_VECTORS();
	load_example();

	/* another key: a different public key under the same name, the same key under another
	 * name */
	seed_of(1, seed2);
	assert_int_equal(raas_ed25519_public(seed2, pub2, &err), RAAS_OK);
	raas_buf_init(&b, 1 << 10);
	assert_int_equal(raas_note_verifier_key(&b, "raas/example", pub2), RAAS_OK);
	snprintf(other_vkey, sizeof other_vkey, "%s", b.data);
	verify_expect(note_example, n, other_vkey, RAAS_E_VERIFY,
	              "no signature by raas/example+5c6a9af2", 0, 0);
	raas_buf_reset(&b);
	assert_int_equal(raas_ed25519_public(example_seed, pub, &err), RAAS_OK);
	assert_int_equal(raas_note_verifier_key(&b, "raas/other", pub), RAAS_OK);
	verify_expect(note_example, n, b.data, RAAS_E_VERIFY, "no signature by raas/other+59af70be",
	              0, 0);
	raas_buf_free(&b);

	/* a changed size line, a changed root */
	memcpy(note, note_example, n + 1);
	note[18] = '9';
	verify_expect(note, n, vkey_example, RAAS_E_VERIFY,
	              "the signature by raas/example+acf695f6 does not verify", 5, 1);
	memcpy(note, note_example, n + 1);
	note[20] = 'Y';
	verify_expect(note, n, vkey_example, RAAS_E_VERIFY,
	              "the signature by raas/example+acf695f6 does not verify", 5, 1);
	memcpy(note, note_example, n + 1);
	note[0] = 'R';
	verify_expect(note, n, vkey_example, RAAS_E_VERIFY,
	              "the signature by raas/example+acf695f6 does not verify", 5, 1);
	/* a size line that is not even a number is still first a signature failure */
	memcpy(note, note_example, n + 1);
	note[18] = 'x';
	verify_expect(note, n, vkey_example, RAAS_E_VERIFY,
	              "the signature by raas/example+acf695f6 does not verify", 5, 1);

	/* a truncated signature: 4 base64 digits less is 66 bytes, 1 less is not base64 */
	memcpy(note, note_example, n + 1);
	memcpy(note + n - 5, "\n", 2);
	verify_expect(note, n - 4, vkey_example, RAAS_E_VERIFY,
	              "the signature by raas/example+acf695f6 does not verify", 5, 1);
	memcpy(note, note_example, n + 1);
	memcpy(note + n - 2, "\n", 2);
	verify_expect(note, n - 1, vkey_example, RAAS_E_INPUT, "the signature is not valid base64",
	              5, 18);
	/* a signature of only 4 bytes, or 5 */
	{
		static const char head[] =
		        "raas/example/acme\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n"
		        "\xe2\x80\x94 raas/example ";
		snprintf(note, sizeof note, "%srPaV9g==\n", head);
		verify_expect(note, strlen(note), vkey_example, RAAS_E_INPUT,
		              "the signature is shorter than 5 bytes", 5, 18);
		snprintf(note, sizeof note, "%srPaV9m0=\n", head);
		verify_expect(note, strlen(note), vkey_example, RAAS_E_VERIFY,
		              "the signature by raas/example+acf695f6 does not verify", 5, 1);
		snprintf(note, sizeof note, "%s\n", head);
		verify_expect(note, strlen(note), vkey_example, RAAS_E_INPUT,
		              "the signature is not valid base64", 5, 18);
	}

	/* bad base64: a digit that is not one, padding inside, a space */
	memcpy(note, note_example, n + 1);
	note[93] = '*';
	verify_expect(note, n, vkey_example, RAAS_E_INPUT, "the signature is not valid base64", 5,
	              18);
	memcpy(note, note_example, n + 1);
	note[n - 9] = '=';
	verify_expect(note, n, vkey_example, RAAS_E_INPUT, "the signature is not valid base64", 5,
	              18);
	memcpy(note, note_example, n + 1);
	note[n - 2] = 'w'; /* "Qws=" -> "Qwsw": 69 bytes, wrong length */
	verify_expect(note, n, vkey_example, RAAS_E_VERIFY,
	              "the signature by raas/example+acf695f6 does not verify", 5, 1);
	memcpy(note, note_example, n + 1);
	note[n - 3] = 't'; /* "Qws=" -> "Qwt=": non-zero trailing bits */
	verify_expect(note, n, vkey_example, RAAS_E_INPUT, "the signature is not valid base64", 5,
	              18);

	/* the blank line missing, or a second one at the end */
	memcpy(note, note_example, 65);
	memcpy(note + 65, note_example + 66, n - 65);
	verify_expect(note, n - 1, vkey_example, RAAS_E_INPUT,
	              "no empty line before the signature lines", 0, 0);
	memcpy(note, note_example, n + 1);
	memcpy(note + n, "\n", 2);
	verify_expect(note, n + 1, vkey_example, RAAS_E_INPUT,
	              "no signature lines after the empty line", 7, 1);
	/* no newline after the signature */
	verify_expect(note_example, n - 1, vkey_example, RAAS_E_INPUT,
	              "the last signature line does not end in a newline", 0, 0);
	/* the body only, and nothing */
	verify_expect(note_example, 65, vkey_example, RAAS_E_INPUT,
	              "no empty line before the signature lines", 0, 0);
	verify_expect("", 0, vkey_example, RAAS_E_INPUT, "no empty line before the signature lines",
	              0, 0);
	verify_expect("\n\n", 2, vkey_example, RAAS_E_INPUT,
	              "no signature lines after the empty line", 3, 1);

	/* signature lines that are not: a hyphen for the dash, two spaces, no space, a name
	 * that no key may have */
	snprintf(note, sizeof note, "%.66s- raas/example x\n", note_example);
	verify_expect(note, strlen(note), vkey_example, RAAS_E_INPUT,
	              "a signature line must start with U+2014 EM DASH and a space", 5, 1);
	snprintf(note, sizeof note, "%.66s\xe2\x80\x94raas/example x\n", note_example);
	verify_expect(note, strlen(note), vkey_example, RAAS_E_INPUT,
	              "a signature line must start with U+2014 EM DASH and a space", 5, 1);
	snprintf(note, sizeof note, "%.70s %s", note_example, note_example + 70);
	verify_expect(note, strlen(note), vkey_example, RAAS_E_INPUT, "the key name is empty", 5,
	              5);
	snprintf(note, sizeof note, "%.82s%s", note_example, note_example + 83);
	verify_expect(note, strlen(note), vkey_example, RAAS_E_INPUT,
	              "expected a key name, a space and a signature", 5, 109);
	snprintf(note, sizeof note, "%.70sraas/exa+mple %s", note_example, note_example + 83);
	verify_expect(note, strlen(note), vkey_example, RAAS_E_INPUT, "the key name contains '+'",
	              5, 5);
	snprintf(note, sizeof note, "%.82s %s", note_example, note_example + 82);
	verify_expect(note, strlen(note), vkey_example, RAAS_E_INPUT,
	              "the signature is not valid base64", 5, 18);

	/* control characters and bad UTF-8 anywhere */
	memcpy(note, note_example, n + 1);
	note[4] = '\t';
	verify_expect(note, n, vkey_example, RAAS_E_INPUT, "a control character is not allowed", 1,
	              5);
	memcpy(note, note_example, n + 1);
	note[17] = '\r';
	verify_expect(note, n, vkey_example, RAAS_E_INPUT, "a control character is not allowed", 1,
	              18);
	memcpy(note, note_example, n + 1);
	note[0] = '\0';
	verify_expect(note, n, vkey_example, RAAS_E_INPUT, "a control character is not allowed", 1,
	              1);
	memcpy(note, note_example, n + 1);
	note[67] = 'A'; /* inside the em dash */
	verify_expect(note, n, vkey_example, RAAS_E_INPUT, "invalid UTF-8", 5, 1);
	memcpy(note, note_example, n + 1);
	memcpy(note + 2, "\xc0\xa1", 2); /* overlong '!' */
	verify_expect(note, n, vkey_example, RAAS_E_INPUT, "invalid UTF-8", 1, 3);
	memcpy(note, note_example, n + 1);
	memcpy(note + 2, "\xed\xa0\x80", 3); /* a surrogate */
	verify_expect(note, n, vkey_example, RAAS_E_INPUT, "invalid UTF-8", 1, 3);

	/* a malformed verifier key is the key's problem */
	{
		struct raas_checkpoint cp;
		assert_int_equal(
		        raas_checkpoint_verify(note_example, n, "raas/example", 12, &cp, &err),
		        RAAS_E_INPUT);
		assert_string_equal(err.path, "verifier key");
	}
	/* the right one still verifies */
	verify_expect(note_example, n, vkey_example, RAAS_OK, NULL, 0, 0);
}

static void checkpoint_other_signatures(void **state)
{
	static char note[16384];
	unsigned char seed2[32], pub[32], blob[68];
	char bad64[93];
	char other[512];
	struct raas_checkpoint cp;
	struct raas_err err;
	struct raas_buf b;
	size_t n = strlen(note_example), len;
	const char *sigline = note_example + 66;

	(void)state;
	SKIP_WITHOUT_VECTORS();
	load_example();

	/* a second signature by another key, before or after ours, is ignored */
	seed_of(1, seed2);
	raas_buf_init(&b, 1 << 12);
	assert_int_equal(raas_checkpoint_write(&b, "raas/example/acme", 8, &example_root,
	                                       "witness.example/w1", seed2, &err),
	                 RAAS_OK);
	snprintf(other, sizeof other, "%s", b.data + 66);
	len = (size_t)snprintf(note, sizeof note, "%s%s", note_example, other);
	verify_expect(note, len, vkey_example, RAAS_OK, NULL, 0, 0);
	len = (size_t)snprintf(note, sizeof note, "%.66s%s%s", note_example, other, sigline);
	verify_expect(note, len, vkey_example, RAAS_OK, NULL, 0, 0);
	/* and that note verifies for the witness's key as well */
	assert_int_equal(raas_ed25519_public(seed2, pub, &err), RAAS_OK);
	raas_buf_reset(&b);
	assert_int_equal(raas_note_verifier_key(&b, "witness.example/w1", pub), RAAS_OK);
	verify_expect(note, len, b.data, RAAS_OK, NULL, 0, 0);
	raas_buf_free(&b);

	/* a line with our name but another key id, or our key id under another name, is
	 * another key's: ignored, even when its signature is garbage */
	len = (size_t)snprintf(note, sizeof note,
	                       "%.66s\xe2\x80\x94 raas/example AAAAAAAAAAA=\n"
	                       "\xe2\x80\x94 raas/examplf rPaV9gAAAAA=\n%s",
	                       note_example, sigline);
	verify_expect(note, len, vkey_example, RAAS_OK, NULL, 0, 0);
	/* a long signature of an unknown kind (a post-quantum one, say) is fine */
	{
		char big[4 * 1700 + 1];
		unsigned char junk[5100];
		memset(junk, 0xa5, sizeof junk);
		raas_base64_encode(junk, sizeof junk, big);
		len = (size_t)snprintf(note, sizeof note, "%s\xe2\x80\x94 pq.example %s\n",
		                       note_example, big);
		assert_true(len < sizeof note);
		verify_expect(note, len, vkey_example, RAAS_OK, NULL, 0, 0);
	}
	/* our signature twice: the repeat decides nothing */
	len = (size_t)snprintf(note, sizeof note, "%s%s", note_example, sigline);
	verify_expect(note, len, vkey_example, RAAS_OK, NULL, 0, 0);
	/* but a bad signature of our key rejects the note even when a good one follows */
	memset(blob, 0, sizeof blob);
	memcpy(blob, "\xac\xf6\x95\xf6", 4);
	raas_base64_encode(blob, sizeof blob, bad64);
	len = (size_t)snprintf(note, sizeof note, "%.66s\xe2\x80\x94 raas/example %s\n%s",
	                       note_example, bad64, sigline);
	verify_expect(note, len, vkey_example, RAAS_E_VERIFY,
	              "the signature by raas/example+acf695f6 does not verify", 5, 1);
	/* a malformed line anywhere rejects the note, even after our good signature */
	len = (size_t)snprintf(note, sizeof note, "%s\xe2\x80\x94 x.example not*base64\n",
	                       note_example);
	verify_expect(note, len, vkey_example, RAAS_E_INPUT, "the signature is not valid base64", 6,
	              15);
	/* at most 100 signature lines */
	{
		size_t pos = (size_t)snprintf(note, sizeof note, "%s", note_example);
		for (int i = 0; i < 99; i++)
			pos += (size_t)snprintf(note + pos, sizeof note - pos,
			                        "\xe2\x80\x94 o AAAAAAA=\n");
		verify_expect(note, pos, vkey_example, RAAS_OK, NULL, 0, 0);
		pos += (size_t)snprintf(note + pos, sizeof note - pos, "\xe2\x80\x94 o AAAAAAA=\n");
		verify_expect(note, pos, vkey_example, RAAS_E_INPUT,
		              "more than 100 signature lines", 105, 1);
	}
	/* the note itself is untouched by all this */
	assert_int_equal(raas_checkpoint_verify(note_example, n, vkey_example, strlen(vkey_example),
	                                        &cp, &err),
	                 RAAS_OK);
}

static void checkpoint_bodies(void **state)
{
	char note[4096], body[RAAS_NOTE_NAME_MAX + 100];
	struct raas_checkpoint cp;
	struct raas_err err;
	size_t len;

	(void)state;
	SKIP_WITHOUT_VECTORS();
	load_example();

	/* extension lines are accepted and ignored */
	len = sign_body("raas/example/acme\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
	                "ext one\n\xe2\x80\x94 ext two\n",
	                "", "", note, sizeof note);
	assert_int_equal(
	        raas_checkpoint_verify(note, len, vkey_example, strlen(vkey_example), &cp, &err),
	        RAAS_OK);
	assert_string_equal(cp.origin, "raas/example/acme");
	assert_int_equal(cp.size, 8);
	assert_hash_equal(&cp.root, &example_root);
	/* the note text may hold an empty line (the last one splits), a checkpoint may not */
	len = sign_body(
	        "raas/example/acme\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\next\n", "",
	        "", note, sizeof note);
	verify_expect(note, len, vkey_example, RAAS_E_INPUT, "an extension line must not be empty",
	              4, 1);
	len = sign_body("raas/example/acme\n\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n", "",
	                "", note, sizeof note);
	verify_expect(note, len, vkey_example, RAAS_E_INPUT, "the tree size line is empty", 2, 1);
	len = sign_body("\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n", "", "", note,
	                sizeof note);
	verify_expect(note, len, vkey_example, RAAS_E_INPUT, "the origin line is empty", 1, 1);

	/* sizes: no leading zero, decimal digits, at most 2^64 - 1 */
	len = sign_body("o\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n", "", "", note,
	                sizeof note);
	verify_expect(note, len, vkey_example, RAAS_E_INPUT, "the tree size has a leading zero", 2,
	              1);
	len = sign_body("o\n00\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n", "", "", note,
	                sizeof note);
	verify_expect(note, len, vkey_example, RAAS_E_INPUT, "the tree size has a leading zero", 2,
	              1);
	len = sign_body("o\n+8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n", "", "", note,
	                sizeof note);
	verify_expect(note, len, vkey_example, RAAS_E_INPUT,
	              "the tree size must be a decimal number", 2, 1);
	len = sign_body("o\n8 \nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n", "", "", note,
	                sizeof note);
	verify_expect(note, len, vkey_example, RAAS_E_INPUT,
	              "the tree size must be a decimal number", 2, 2);
	len = sign_body("o\n18446744073709551616\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
	                "", "", note, sizeof note);
	verify_expect(note, len, vkey_example, RAAS_E_INPUT,
	              "the tree size is larger than 2^64 - 1", 2, 20);
	len = sign_body("o\n18446744073709551615\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
	                "", "", note, sizeof note);
	assert_int_equal(
	        raas_checkpoint_verify(note, len, vkey_example, strlen(vkey_example), &cp, &err),
	        RAAS_OK);
	assert_int_equal(cp.size, UINT64_MAX);
	assert_string_equal(cp.origin, "o");
	len = sign_body("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", "", "", note,
	                sizeof note);
	assert_int_equal(
	        raas_checkpoint_verify(note, len, vkey_example, strlen(vkey_example), &cp, &err),
	        RAAS_OK);
	assert_int_equal(cp.size, 0);

	/* roots: base64 of exactly 32 bytes */
	len = sign_body("o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQw==\n", "", "", note,
	                sizeof note);
	verify_expect(note, len, vkey_example, RAAS_E_INPUT,
	              "the root hash must be the base64 of 32 bytes", 3, 1);
	len = sign_body("o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg\n", "", "", note,
	                sizeof note);
	verify_expect(note, len, vkey_example, RAAS_E_INPUT,
	              "the root hash must be the base64 of 32 bytes", 3, 1);
	len = sign_body("o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=AAAA\n", "", "", note,
	                sizeof note);
	verify_expect(note, len, vkey_example, RAAS_E_INPUT,
	              "the root hash must be the base64 of 32 bytes", 3, 1);
	/* too few lines */
	len = sign_body("o\n8\n", "", "", note, sizeof note);
	verify_expect(note, len, vkey_example, RAAS_E_INPUT,
	              "a checkpoint needs three lines: origin, tree size and root hash", 3, 1);
	/* origins up to RAAS_NOTE_NAME_MAX bytes */
	memset(body, 'o', RAAS_NOTE_NAME_MAX);
	snprintf(body + RAAS_NOTE_NAME_MAX, sizeof body - RAAS_NOTE_NAME_MAX,
	         "\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");
	len = sign_body(body, "", "", note, sizeof note);
	assert_int_equal(
	        raas_checkpoint_verify(note, len, vkey_example, strlen(vkey_example), &cp, &err),
	        RAAS_OK);
	assert_int_equal(strlen(cp.origin), RAAS_NOTE_NAME_MAX);
	memset(body, 'o', RAAS_NOTE_NAME_MAX + 1);
	snprintf(body + RAAS_NOTE_NAME_MAX + 1, sizeof body - RAAS_NOTE_NAME_MAX - 1,
	         "\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");
	len = sign_body(body, "", "", note, sizeof note);
	verify_expect(note, len, vkey_example, RAAS_E_INPUT,
	              "the origin is longer than " NAME_MAX_TEXT " bytes", 1,
	              RAAS_NOTE_NAME_MAX + 1);
}

static void checkpoint_write_arguments(void **state)
{
	struct raas_hash root;
	struct raas_checkpoint cp;
	struct raas_err err;
	struct raas_buf b;
	char origin[RAAS_NOTE_NAME_MAX + 2];
	unsigned char seed[32];

	(void)state;
	memset(seed, 3, sizeof seed);
	random_hash(&root);
	raas_buf_init(&b, 1 << 12);
#define WRITE_REJECTED(o, k, p, m)                                                      \
	do {                                                                            \
		raas_err_clear(&err);                                                   \
		assert_int_equal(raas_checkpoint_write(&b, o, 1, &root, k, seed, &err), \
		                 RAAS_E_INPUT);                                         \
		assert_string_equal(err.path, p);                                       \
		assert_string_equal(err.message, m);                                    \
		assert_int_equal(b.len, 0);                                             \
	} while (0)
	WRITE_REJECTED("", "k", "origin", "is empty");
	WRITE_REJECTED("a\nb", "k", "origin", "byte 2: a newline is not allowed");
	WRITE_REJECTED("a\tb", "k", "origin", "byte 2: a control character is not allowed");
	WRITE_REJECTED("ab\xff", "k", "origin", "byte 3: invalid UTF-8");
	WRITE_REJECTED("o", "", "key name", "is empty");
	WRITE_REJECTED("o", "k k", "key name", "contains a space");
	WRITE_REJECTED("o", "k+k", "key name", "contains '+'");
	WRITE_REJECTED("o", "k\nk", "key name", "contains a newline");
	memset(origin, 'o', RAAS_NOTE_NAME_MAX + 1);
	origin[RAAS_NOTE_NAME_MAX + 1] = '\0';
	WRITE_REJECTED(origin, "k", "origin", "is longer than " NAME_MAX_TEXT " bytes");
	WRITE_REJECTED("o", origin, "key name", "is longer than " NAME_MAX_TEXT " bytes");
	/* origins may hold what the format allows: '+', spaces, non-ASCII */
	assert_int_equal(
	        raas_checkpoint_write(&b, "raas/t/cust+1 \xc3\xa9", 0, &root, "raas/t", seed, &err),
	        RAAS_OK);
	{
		unsigned char pub[32];
		char vkey[128];
		struct raas_buf vb;
		assert_int_equal(raas_ed25519_public(seed, pub, &err), RAAS_OK);
		raas_buf_init(&vb, 128);
		assert_int_equal(raas_note_verifier_key(&vb, "raas/t", pub), RAAS_OK);
		snprintf(vkey, sizeof vkey, "%s", vb.data);
		raas_buf_free(&vb);
		assert_int_equal(
		        raas_checkpoint_verify(b.data, b.len, vkey, strlen(vkey), &cp, &err),
		        RAAS_OK);
		assert_string_equal(cp.origin, "raas/t/cust+1 \xc3\xa9");
		assert_int_equal(cp.size, 0);
		assert_hash_equal(&cp.root, &root);
		assert_memory_equal(b.data, "raas/t/cust+1 \xc3\xa9\n0\n", 19);
	}
	/* a buffer too small keeps what it had */
	raas_buf_free(&b);
	raas_buf_init(&b, 100);
	assert_int_equal(raas_buf_puts(&b, "kept"), RAAS_OK);
	assert_int_equal(raas_checkpoint_write(&b, "o", 1, &root, "k", seed, &err), RAAS_E_INPUT);
	assert_string_equal(err.message, "the checkpoint does not fit in the buffer");
	assert_string_equal(b.data, "kept");
	raas_buf_free(&b);
#undef WRITE_REJECTED
}

/* Checkpoints of random trees verify, and every single-byte change of them fails, except
 * those that keep the note meaning the same thing. */
static void checkpoint_random_round_trips(void **state)
{
	unsigned char seed[32], pub[32];
	struct raas_checkpoint cp;
	struct raas_err err;
	struct raas_buf b, vb;

	(void)state;
	for (int round = 0; round < 20; round++) {
		struct raas_hash root;
		uint64_t size = round == 0 ? 0 : round == 1 ? UINT64_MAX : rng() >> (rng() % 64);
		char origin[64];
		snprintf(origin, sizeof origin, "raas/t%d/c%d", round, round * 7);
		for (int i = 0; i < 32; i += 8) {
			uint64_t v = rng();
			memcpy(seed + i, &v, 8);
		}
		random_hash(&root);
		assert_int_equal(raas_ed25519_public(seed, pub, &err), RAAS_OK);
		raas_buf_init(&b, 1 << 12);
		raas_buf_init(&vb, 1 << 10);
		assert_int_equal(raas_note_verifier_key(&vb, "raas/t", pub), RAAS_OK);
		assert_int_equal(
		        raas_checkpoint_write(&b, origin, size, &root, "raas/t", seed, &err),
		        RAAS_OK);
		assert_int_equal(raas_checkpoint_verify(b.data, b.len, vb.data, vb.len, &cp, &err),
		                 RAAS_OK);
		assert_string_equal(cp.origin, origin);
		assert_int_equal(cp.size, size);
		assert_hash_equal(&cp.root, &root);
		for (size_t i = 0; i < b.len; i++) {
			char keep = b.data[i];
			b.data[i] = (char)(keep ^ (1 << (rng() % 8)));
			assert_int_not_equal(
			        raas_checkpoint_verify(b.data, b.len, vb.data, vb.len, &cp, &err),
			        RAAS_OK);
			b.data[i] = keep;
		}
		raas_buf_free(&b);
		raas_buf_free(&vb);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(sha256_known_answers),
	        cmocka_unit_test(sha256_in_threads),
	        cmocka_unit_test(base64_encode_rfc4648),
	        cmocka_unit_test(base64_decode_is_strict),
	        cmocka_unit_test(hex_encode_and_decode),
	        cmocka_unit_test(random_bytes),
	        cmocka_unit_test(ed25519_rfc8032),
	        cmocka_unit_test(rfc6962_roots),
	        cmocka_unit_test(rfc6962_inclusion),
	        cmocka_unit_test(rfc6962_consistency),
	        cmocka_unit_test(proof_arguments),
	        cmocka_unit_test(frontier_equals_root),
	        cmocka_unit_test(every_proof_up_to_64),
	        cmocka_unit_test(c2sp_verifier_key),
	        cmocka_unit_test(verifier_key_parsing),
	        cmocka_unit_test(c2sp_checkpoint_vector),
	        cmocka_unit_test(checkpoint_rejections),
	        cmocka_unit_test(checkpoint_other_signatures),
	        cmocka_unit_test(checkpoint_bodies),
	        cmocka_unit_test(checkpoint_write_arguments),
	        cmocka_unit_test(checkpoint_random_round_trips),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
