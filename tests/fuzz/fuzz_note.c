/* fuzz_note.c — libFuzzer target for src/evidence/note.c and src/evidence/merkle.c.
 *
 * The input is split at its first NUL into a verifier key and a signed note (without a NUL,
 * the whole input is the note, checked against the key of the c2sp_checkpoint vector, whose
 * seed is known here). Both parsers must return an error with a message or a result that
 * holds: a parsed verifier key is written back as the same string (the key id's hex digits
 * lowercased); a verified note starts with exactly the canonical body of what it says (origin,
 * size without leading zeros, strict base64 root), and under the known key the same checkpoint
 * written again verifies to the same values.
 *
 * The note part is also signed by the example key as it is, so that the checkpoint body reader
 * sees arbitrary text behind a valid signature (when the text ends in a newline): it accepts it
 * (and the properties above hold) or says what is malformed, never that the signature failed.
 *
 * Every input also drives two properties. Checkpoints: an origin, size, root and seed taken
 * from the input are written, the note verifies to those values, a few single-byte changes of
 * it (positions and bits from the input) are all rejected, another key's signature line added
 * changes nothing, and the input itself used as the origin is either refused by
 * raas_checkpoint_write or round-trips. Merkle trees: up to 64 leaves from the input; the
 * frontier equals the root at every size, and an inclusion and a consistency proof chosen by
 * the input verify and stop verifying when one byte of them or of a root changes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "evidence/crypto.h"
#include "evidence/merkle.h"
#include "evidence/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

/* RFC 8032's first test seed, the c2sp_checkpoint vector's key "raas/example". */
static const unsigned char example_seed[32] = {0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60,
                                               0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
                                               0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19,
                                               0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60};
static const char example_vkey[] =
        "raas/example+acf695f6+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";

static bool same_checkpoint(const struct raas_checkpoint *a, const struct raas_checkpoint *b)
{
	return strcmp(a->origin, b->origin) == 0 && a->size == b->size &&
	       memcmp(a->root.b, b->root.b, RAAS_HASH_BYTES) == 0;
}

/* ---- parsing arbitrary keys and notes ---- */

static void check_vkey(const char *vkey, size_t len)
{
	char name[RAAS_NOTE_NAME_MAX + 1];
	unsigned char pub[RAAS_ED25519_PUBLIC_BYTES];
	struct raas_err err;
	struct raas_buf b;
	raas_rc rc;

	raas_err_clear(&err);
	rc = raas_note_parse_verifier_key(vkey, len, name, pub, &err);
	if (rc != RAAS_OK) {
		CHECK(rc == RAAS_E_INPUT && err.code == RAAS_E_INPUT && err.message[0]);
		CHECK(name[0] == '\0');
		return;
	}
	size_t n = strlen(name);
	CHECK(n > 0 && n <= RAAS_NOTE_NAME_MAX && !strchr(name, '+') && !strchr(name, ' '));
	raas_buf_init(&b, 4096);
	CHECK(raas_note_verifier_key(&b, name, pub) == RAAS_OK);
	CHECK(b.len == len);
	for (size_t i = 0; i < len; i++) {
		char c = vkey[i];
		if (i > n && i <= n + 8 && c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		CHECK(b.data[i] == c);
	}
	raas_buf_free(&b);
}

static void check_note(const char *note, size_t len, const char *vkey, size_t vkey_len,
                       bool known_seed)
{
	struct raas_checkpoint cp, again;
	char name[RAAS_NOTE_NAME_MAX + 1], root64[45], size_text[24];
	unsigned char pub[RAAS_ED25519_PUBLIC_BYTES];
	struct raas_err err;
	struct raas_buf b;
	size_t n;
	raas_rc rc;

	raas_err_clear(&err);
	rc = raas_checkpoint_verify(note, len, vkey, vkey_len, &cp, &err);
	if (rc != RAAS_OK) {
		CHECK((rc == RAAS_E_INPUT || rc == RAAS_E_VERIFY) && err.code == rc);
		CHECK(err.message[0] != '\0');
		CHECK(cp.origin[0] == '\0' && cp.size == 0);
		return;
	}
	/* the body is exactly the canonical text of what was read */
	n = strlen(cp.origin);
	CHECK(n > 0 && n <= RAAS_NOTE_NAME_MAX && !memchr(cp.origin, '\n', n));
	raas_base64_encode(cp.root.b, RAAS_HASH_BYTES, root64);
	snprintf(size_text, sizeof size_text, "%llu", (unsigned long long)cp.size);
	CHECK(len > n + strlen(size_text) + 44 + 3);
	CHECK(memcmp(note, cp.origin, n) == 0 && note[n] == '\n');
	CHECK(memcmp(note + n + 1, size_text, strlen(size_text)) == 0);
	CHECK(note[n + 1 + strlen(size_text)] == '\n');
	CHECK(memcmp(note + n + 2 + strlen(size_text), root64, 44) == 0);
	CHECK(note[n + 2 + strlen(size_text) + 44] == '\n');
	if (!known_seed)
		return;
	/* written again by the key that signed it, it says the same */
	CHECK(raas_note_parse_verifier_key(vkey, vkey_len, name, pub, &err) == RAAS_OK);
	raas_buf_init(&b, 4096);
	CHECK(raas_checkpoint_write(&b, cp.origin, cp.size, &cp.root, name, example_seed, &err) ==
	      RAAS_OK);
	CHECK(raas_checkpoint_verify(b.data, b.len, vkey, vkey_len, &again, &err) == RAAS_OK);
	CHECK(same_checkpoint(&cp, &again));
	raas_buf_free(&b);
}

/* True when text holds two newlines in a row. */
static bool has_empty_line(const char *text, size_t len)
{
	for (size_t i = 1; i < len; i++)
		if (text[i] == '\n' && text[i - 1] == '\n')
			return true;
	return false;
}

/* The input as the text of a note signed by the example key. When the text ends in a newline
 * the signature verifies, so the body reader sees arbitrary text; it accepts (and check_note's
 * properties hold) or says what is malformed, never that the signature failed. */
static void check_signed_body(const char *text, size_t len)
{
	unsigned char pub[RAAS_ED25519_PUBLIC_BYTES], blob[68];
	char sig64[93];
	struct raas_checkpoint cp;
	struct raas_err err;
	struct raas_buf b;
	raas_rc rc;

	CHECK(raas_ed25519_public(example_seed, pub, &err) == RAAS_OK);
	raas_note_key_id("raas/example", pub, blob);
	CHECK(raas_ed25519_sign(example_seed, text, len, blob + 4, &err) == RAAS_OK);
	raas_base64_encode(blob, sizeof blob, sig64);
	raas_buf_init(&b, len + 256);
	CHECK(raas_buf_append(&b, text, len) == RAAS_OK);
	CHECK(raas_buf_puts(&b, "\n\xe2\x80\x94 raas/example ") == RAAS_OK);
	CHECK(raas_buf_puts(&b, sig64) == RAAS_OK);
	CHECK(raas_buf_putc(&b, '\n') == RAAS_OK);
	raas_err_clear(&err);
	rc = raas_checkpoint_verify(b.data, b.len, example_vkey, sizeof example_vkey - 1, &cp,
	                            &err);
	if (len > 0 && text[len - 1] == '\n')
		/* then the empty line after the text is the last one: the signed text is ours */
		CHECK(rc == RAAS_OK || (rc == RAAS_E_INPUT && err.message[0]));
	else if (!has_empty_line(text, len))
		/* no empty line after the text, nor in it: no text our signature could cover */
		CHECK(rc == RAAS_E_VERIFY || (rc == RAAS_E_INPUT && err.message[0]));
	else
		/* the note's text ends at the text's own last empty line: whatever follows it in
		 * the input may be an earlier, valid signature of that shorter text (a signed note
		 * that lost its final newline), which then decides; ours is a repeat */
		CHECK(rc == RAAS_OK || rc == RAAS_E_VERIFY ||
		      (rc == RAAS_E_INPUT && err.message[0]));
	if (rc == RAAS_OK)
		check_note(b.data, b.len, example_vkey, sizeof example_vkey - 1, true);
	raas_buf_free(&b);
}

/* ---- what raas_checkpoint_write writes verifies, and changes of it do not ---- */

static void check_write(const uint8_t *data, size_t size)
{
	struct raas_hash h, root;
	unsigned char seed[32], pub[32];
	char origin[64], vkey[128];
	struct raas_checkpoint want, got;
	struct raas_err err;
	struct raas_buf b, vb, more, witness;
	uint64_t tree_size;
	size_t n = 0;

	/* everything derived from the input through SHA-256, so that all of it varies */
	raas_sha256(data, size, &h);
	memcpy(seed, h.b, 32);
	raas_sha256(h.b, 32, &root);
	memcpy(&tree_size, root.b, 8);
	tree_size >>= (h.b[0] % 64);
	memcpy(origin, "raas/t/", 7);
	n = 7;
	for (size_t i = 0; i < size && n < 40; i++)
		if (data[i] > 0x20 && data[i] < 0x7f)
			origin[n++] = (char)data[i];
	origin[n] = '\0';

	CHECK(raas_ed25519_public(seed, pub, &err) == RAAS_OK);
	raas_buf_init(&vb, 256);
	CHECK(raas_note_verifier_key(&vb, "raas/t", pub) == RAAS_OK);
	snprintf(vkey, sizeof vkey, "%s", vb.data);
	raas_buf_free(&vb);
	raas_buf_init(&b, 4096);
	CHECK(raas_checkpoint_write(&b, origin, tree_size, &root, "raas/t", seed, &err) == RAAS_OK);
	CHECK(raas_checkpoint_verify(b.data, b.len, vkey, strlen(vkey), &want, &err) == RAAS_OK);
	CHECK(strcmp(want.origin, origin) == 0 && want.size == tree_size &&
	      memcmp(want.root.b, root.b, RAAS_HASH_BYTES) == 0);

	/* single-byte changes: the note has no ignored line, so each one breaks it */
	for (size_t k = 0; k < 3 && k < size; k++) {
		size_t pos = (size_t)h.b[8 + 2 * k] << 8 | h.b[9 + 2 * k];
		unsigned char bit = (unsigned char)(data[k] ? data[k] : 0x01);
		pos %= b.len;
		b.data[pos] = (char)(b.data[pos] ^ bit);
		raas_rc rc = raas_checkpoint_verify(b.data, b.len, vkey, strlen(vkey), &got, &err);
		CHECK(rc == RAAS_E_INPUT || rc == RAAS_E_VERIFY);
		b.data[pos] = (char)(b.data[pos] ^ bit);
	}
	/* another key's signature line, after ours, is ignored */
	raas_buf_init(&witness, 4096);
	CHECK(raas_checkpoint_write(&witness, origin, tree_size, &root, "witness", example_seed,
	                            &err) == RAAS_OK);
	raas_buf_init(&more, 8192);
	CHECK(raas_buf_append(&more, b.data, b.len) == RAAS_OK);
	CHECK(raas_buf_puts(&more, strstr(witness.data, "\n\n") + 2) == RAAS_OK);
	CHECK(raas_checkpoint_verify(more.data, more.len, vkey, strlen(vkey), &got, &err) ==
	      RAAS_OK);
	CHECK(same_checkpoint(&want, &got));
	/* and it is no signature by the example key: same seed, another name */
	CHECK(raas_checkpoint_verify(more.data, more.len, example_vkey, strlen(example_vkey), &got,
	                             &err) == RAAS_E_VERIFY);
	raas_buf_free(&witness);
	raas_buf_free(&more);

	/* the raw input as the origin: refused, or read back as written */
	if (size <= RAAS_NOTE_NAME_MAX + 8) {
		char raw[RAAS_NOTE_NAME_MAX + 9];
		memcpy(raw, data, size);
		raw[size] = '\0';
		raas_buf_reset(&b);
		raas_err_clear(&err);
		raas_rc rc = raas_checkpoint_write(&b, raw, tree_size, &root, "raas/t", seed, &err);
		if (rc == RAAS_OK) {
			CHECK(strlen(raw) <= RAAS_NOTE_NAME_MAX && raw[0] != '\0');
			CHECK(raas_checkpoint_verify(b.data, b.len, vkey, strlen(vkey), &got,
			                             &err) == RAAS_OK);
			CHECK(strcmp(got.origin, raw) == 0 && got.size == tree_size);
		} else {
			CHECK(rc == RAAS_E_INPUT && err.message[0] && b.len == 0);
		}
	}
	raas_buf_free(&b);
}

/* ---- Merkle trees ---- */

static void check_merkle(const uint8_t *data, size_t size)
{
	struct raas_hash leaves[64], roots[65], proof[RAAS_MERKLE_MAX_PROOF], r;
	struct raas_merkle_frontier f;
	uint64_t n, index, m;
	size_t len;

	if (size < 4)
		return;
	n = data[0] % 65;
	raas_merkle_frontier_init(&f);
	raas_merkle_root(leaves, 0, &roots[0]);
	for (uint64_t i = 0; i < n; i++) {
		size_t off = (size_t)(i % size);
		size_t l = size - off < 16 ? size - off : 16;
		raas_merkle_leaf_hash(data + off, l, &leaves[i]);
		raas_merkle_frontier_append(&f, &leaves[i]);
		raas_merkle_frontier_root(&f, &r);
		raas_merkle_root(leaves, i + 1, &roots[i + 1]);
		CHECK(memcmp(r.b, roots[i + 1].b, RAAS_HASH_BYTES) == 0);
	}
	if (n == 0)
		return;

	index = data[1] % n;
	CHECK(raas_merkle_inclusion_proof(leaves, n, index, proof, &len) == RAAS_OK);
	CHECK(len <= 6); /* ceil(log2 64) */
	CHECK(raas_merkle_verify_inclusion(&leaves[index], index, n, proof, len, &roots[n]));
	if (len > 0) {
		size_t which = data[2] % len, byte = data[3] % RAAS_HASH_BYTES;
		proof[which].b[byte] ^= 0x01;
		CHECK(!raas_merkle_verify_inclusion(&leaves[index], index, n, proof, len,
		                                    &roots[n]));
		proof[which].b[byte] ^= 0x01;
	}
	r = roots[n];
	r.b[data[3] % RAAS_HASH_BYTES] ^= 0x80;
	CHECK(!raas_merkle_verify_inclusion(&leaves[index], index, n, proof, len, &r));
	CHECK(!raas_merkle_verify_inclusion(&leaves[index], index + n, n, proof, len, &roots[n]));

	m = 1 + data[2] % n;
	CHECK(raas_merkle_consistency_proof(leaves, m, n, proof, &len) == RAAS_OK);
	CHECK(len <= 7); /* ceil(log2 64) + 1 */
	CHECK(raas_merkle_verify_consistency(m, n, &roots[m], &roots[n], proof, len));
	CHECK(m == n ? len == 0 : len > 0);
	if (len > 0) {
		size_t which = data[1] % len, byte = data[3] % RAAS_HASH_BYTES;
		proof[which].b[byte] ^= 0x01;
		CHECK(!raas_merkle_verify_consistency(m, n, &roots[m], &roots[n], proof, len));
		proof[which].b[byte] ^= 0x01;
	}
	r = roots[m];
	r.b[data[1] % RAAS_HASH_BYTES] ^= 0x02;
	CHECK(!raas_merkle_verify_consistency(m, n, &r, &roots[n], proof, len));
	r = roots[n];
	r.b[data[1] % RAAS_HASH_BYTES] ^= 0x02;
	CHECK(!raas_merkle_verify_consistency(m, n, &roots[m], &r, proof, len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nul = memchr(text, '\0', size);

	if (size > ((size_t)1 << 16))
		return 0;
	if (nul) {
		size_t vlen = (size_t)(nul - text);
		check_vkey(text, vlen);
		check_note(nul + 1, size - vlen - 1, text, vlen,
		           vlen == sizeof example_vkey - 1 &&
		                   memcmp(text, example_vkey, vlen) == 0);
	} else {
		check_note(text, size, example_vkey, sizeof example_vkey - 1, true);
	}
	check_signed_body(nul ? nul + 1 : text, nul ? size - (size_t)(nul - text) - 1 : size);
	check_write(data, size);
	check_merkle(data, size);
	return 0;
}
