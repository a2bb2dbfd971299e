/* merkle.c — RFC 6962 §2.1 Merkle trees for the evidence log (evidence.md "Hashing"): the
 * Merkle Tree Hash of any number of leaves, the frontier the store keeps so that an append
 * costs O(log n), inclusion and consistency proofs as RFC 6962 §2.1.1 PATH and §2.1.2
 * PROOF/SUBPROOF define them, and their verification with the algorithms of RFC 9162
 * §2.1.3.2 and §2.1.4.2. Recursion only ever splits a tree in two, so it is never deeper
 * than 64 levels; proof generation walks down the tree iteratively.
 */
#include "evidence/merkle.h"

#include <string.h>

void raas_merkle_leaf_hash(const void *leaf, size_t len, struct raas_hash *out)
{
	static const unsigned char prefix = 0x00;

	raas_sha256_2(&prefix, 1, leaf, len, out);
}

void raas_merkle_node_hash(const struct raas_hash *left, const struct raas_hash *right,
                           struct raas_hash *out)
{
	unsigned char buf[1 + 2 * RAAS_HASH_BYTES];

	buf[0] = 0x01;
	memcpy(buf + 1, left->b, RAAS_HASH_BYTES);
	memcpy(buf + 1 + RAAS_HASH_BYTES, right->b, RAAS_HASH_BYTES);
	raas_sha256(buf, sizeof buf, out);
}

static bool hash_equal(const struct raas_hash *a, const struct raas_hash *b)
{
	return memcmp(a->b, b->b, RAAS_HASH_BYTES) == 0;
}

/* The largest power of two smaller than n (n >= 2): RFC 6962's k. */
static uint64_t split_point(uint64_t n)
{
	return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

/* MTH of the n leaf hashes at leaves (RFC 6962 §2.1). The left part is a perfect tree of
 * k >= n / 2 leaves and the right one has n - k <= n / 2, so every call works on a tree at
 * least one level lower than its caller's: the recursion is at most 64 deep. */
static void mth(const struct raas_hash *leaves, uint64_t n, struct raas_hash *out)
{
	struct raas_hash left, right;
	uint64_t k;

	if (n == 0) {
		raas_sha256("", 0, out);
		return;
	}
	if (n == 1) {
		*out = leaves[0];
		return;
	}
	k = split_point(n);
	mth(leaves, k, &left);
	mth(leaves + k, n - k, &right);
	raas_merkle_node_hash(&left, &right, out);
}

void raas_merkle_root(const struct raas_hash *leaves, uint64_t n, struct raas_hash *out)
{
	mth(leaves, n, out);
}

/* ---- frontier ---- */

void raas_merkle_frontier_init(struct raas_merkle_frontier *f)
{
	memset(f, 0, sizeof *f);
}

void raas_merkle_frontier_append(struct raas_merkle_frontier *f, const struct raas_hash *leaf)
{
	struct raas_hash h = *leaf;
	unsigned i = 0;

	/* A tree of 2^64 - 1 leaves cannot grow in a uint64_t size (and no log gets there). */
	if (f->size == UINT64_MAX)
		return;
	/* carry: each set low bit is a perfect subtree of the same size that merges with h */
	while (f->size >> i & 1) {
		raas_merkle_node_hash(&f->nodes[i], &h, &h);
		i++;
	}
	f->nodes[i] = h;
	f->size++;
}

void raas_merkle_frontier_root(const struct raas_merkle_frontier *f, struct raas_hash *out)
{
	unsigned i;

	if (f->size == 0) {
		raas_sha256("", 0, out);
		return;
	}
	/* the smallest subtree is the rightmost; fold the larger ones in from the left */
	i = (unsigned)__builtin_ctzll(f->size);
	*out = f->nodes[i];
	for (i++; i < 64; i++)
		if (f->size >> i & 1)
			raas_merkle_node_hash(&f->nodes[i], out, out);
}

/* ---- proofs ---- */

raas_rc raas_merkle_inclusion_proof(const struct raas_hash *leaves, uint64_t size, uint64_t index,
                                    struct raas_hash *proof, size_t *len)
{
	struct raas_hash down[64]; /* siblings from the root down */
	uint64_t off = 0, m = index, n = size;
	size_t count = 0;

	*len = 0;
	if (index >= size)
		return RAAS_E_INPUT;
	/* PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) when m < k,
	 *                 PATH(m - k, D[k:n]) : MTH(D[0:k]) otherwise */
	while (n > 1) {
		uint64_t k = split_point(n);
		if (m < k) {
			mth(leaves + off + k, n - k, &down[count++]);
			n = k;
		} else {
			mth(leaves + off, k, &down[count++]);
			off += k;
			m -= k;
			n -= k;
		}
	}
	for (size_t i = 0; i < count; i++)
		proof[i] = down[count - 1 - i];
	*len = count;
	return RAAS_OK;
}

bool raas_merkle_verify_inclusion(const struct raas_hash *leaf, uint64_t index, uint64_t size,
                                  const struct raas_hash *proof, size_t len,
                                  const struct raas_hash *root)
{
	uint64_t fn = index, sn;
	struct raas_hash r = *leaf;

	if (index >= size || len > RAAS_MERKLE_MAX_PROOF)
		return false;
	sn = size - 1;
	for (size_t i = 0; i < len; i++) {
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn) {
			raas_merkle_node_hash(&proof[i], &r, &r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			raas_merkle_node_hash(&r, &proof[i], &r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && hash_equal(&r, root);
}

raas_rc raas_merkle_consistency_proof(const struct raas_hash *leaves, uint64_t m, uint64_t n,
                                      struct raas_hash *proof, size_t *len)
{
	struct raas_hash down[64]; /* siblings from the root down */
	uint64_t off = 0, mm = m, sz = n;
	size_t count = 0, o = 0;
	bool whole = true; /* SUBPROOF's b: the old tree is a whole subtree seen so far */

	*len = 0;
	if (m == 0 || m > n)
		return RAAS_E_INPUT;
	/* SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) when m <= k,
	 *                        SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]) otherwise;
	 * it ends when m == n with [] if b, else [MTH(D[n])] */
	while (mm != sz) {
		uint64_t k = split_point(sz);
		if (mm <= k) {
			mth(leaves + off + k, sz - k, &down[count++]);
			sz = k;
		} else {
			mth(leaves + off, k, &down[count++]);
			off += k;
			mm -= k;
			sz -= k;
			whole = false;
		}
	}
	if (!whole)
		mth(leaves + off, sz, &proof[o++]);
	for (size_t i = 0; i < count; i++)
		proof[o++] = down[count - 1 - i];
	*len = o;
	return RAAS_OK;
}

bool raas_merkle_verify_consistency(uint64_t m, uint64_t n, const struct raas_hash *root_m,
                                    const struct raas_hash *root_n, const struct raas_hash *proof,
                                    size_t len)
{
	struct raas_hash fr, sr;
	uint64_t fn, sn;
	size_t i = 0;

	if (m > n || len > RAAS_MERKLE_MAX_PROOF)
		return false;
	if (m == n)
		return len == 0 && hash_equal(root_m, root_n);
	if (m == 0) {
		/* the empty tree is a prefix of every tree; there is nothing to prove */
		struct raas_hash empty;
		raas_sha256("", 0, &empty);
		return len == 0 && hash_equal(root_m, &empty);
	}
	if (len == 0)
		return false;
	/* RFC 9162 §2.1.4.2: when m is a power of two the old root is the proof's implied
	 * first element */
	if ((m & (m - 1)) == 0) {
		fr = *root_m;
	} else {
		fr = proof[0];
		i = 1;
	}
	sr = fr;
	fn = m - 1;
	sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < len; i++) {
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn) {
			raas_merkle_node_hash(&proof[i], &fr, &fr);
			raas_merkle_node_hash(&proof[i], &sr, &sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			raas_merkle_node_hash(&sr, &proof[i], &sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && hash_equal(&fr, root_m) && hash_equal(&sr, root_n);
}
