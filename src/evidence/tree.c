/* tree.c — customer trees over the store's log (tree.h).
 *
 * The frontier cache of a customer (state/merkle/c-CUSTOMER; docs/internals/store.md
 * "Caches") holds the log position it covers, the number of the customer's entries below it
 * and the frontier of their tree, with a checksum. Like every cache it covers the log only up
 * to the durable mark and is ignored when anything about it is off; the root itself is always
 * computed from the frontier plus the leaves appended since.
 */
#include "evidence/tree.h"

#include <string.h>
#include <xxhash.h>

#include "base/alloc.h"
#include "base/buf.h"

#define MAGIC "RAASMKL1"

struct cache {
	char magic[8];
	uint64_t covered;
	struct raas_merkle_frontier f;
	uint64_t checksum;
};

struct want {
	uint32_t customer_no;
	struct raas_merkle_frontier f;       /* up to the end of the log */
	struct raas_merkle_frontier durable; /* up to the durable mark, for the cache */
	uint64_t covered;
	bool past_durable;
};

struct roots_scan {
	struct want *w;
	size_t n;
	size_t *by_customer; /* customer number → index in w + 1 (0: not wanted) */
	size_t ncustomers;
	uint64_t durable;
};

static raas_rc roots_record(void *ctx, const struct raas_log_record *rec)
{
	struct roots_scan *sc = ctx;
	struct raas_hash h;
	struct want *w;

	if (rec->pos >= sc->durable)
		for (size_t i = 0; i < sc->n; i++)
			if (!sc->w[i].past_durable) {
				sc->w[i].durable = sc->w[i].f;
				sc->w[i].past_durable = true;
			}
	if (rec->customer_no >= sc->ncustomers || !sc->by_customer[rec->customer_no])
		return RAAS_OK;
	w = &sc->w[sc->by_customer[rec->customer_no] - 1];
	if (rec->pos < w->covered)
		return RAAS_OK;
	if (rec->customer_seq != w->f.size)
		return RAAS_E_STORAGE; /* reported by the caller */
	raas_merkle_leaf_hash(rec->leaf, rec->leaf_len, &h);
	raas_merkle_frontier_append(&w->f, &h);
	return RAAS_OK;
}

static void cache_name(const struct raas_store *s, uint32_t no, const char **name)
{
	*name = raas_store_customer_id(s, no);
}

raas_rc raas_tree_roots(struct raas_store *s, const uint32_t *customers, size_t n,
                        struct raas_tree_root *out, struct raas_err *err)
{
	struct roots_scan sc = {.n = n, .ncustomers = raas_store_customer_count(s)};
	uint64_t from = UINT64_MAX;
	struct raas_buf b;
	raas_rc rc = RAAS_OK;

	sc.durable = raas_store_durable(s);
	sc.w = raas_calloc(n + 1, sizeof *sc.w);
	sc.by_customer = raas_calloc(sc.ncustomers + 1, sizeof *sc.by_customer);
	if (!sc.w || !sc.by_customer) {
		rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
		goto out;
	}
	raas_buf_init(&b, 1 << 20);
	for (size_t i = 0; i < n; i++) {
		struct want *w = &sc.w[i];
		struct raas_err ignored;
		const char *name;
		struct cache c;
		w->customer_no = customers[i];
		raas_merkle_frontier_init(&w->f);
		if (customers[i] >= sc.ncustomers) {
			rc = raas_err_set(err, RAAS_E_INPUT, NULL, "no customer number %u",
			                  customers[i]);
			break;
		}
		sc.by_customer[customers[i]] = i + 1;
		cache_name(s, customers[i], &name);
		raas_buf_reset(&b);
		if (raas_store_get_cache(s, "merkle", name, &b, &ignored) == RAAS_OK &&
		    b.len == sizeof c) {
			memcpy(&c, b.data, sizeof c);
			if (!memcmp(c.magic, MAGIC, 8) && c.covered <= sc.durable &&
			    c.checksum == XXH3_64bits(&c, offsetof(struct cache, checksum)) &&
			    c.f.size <= raas_store_customer_entries(s, customers[i])) {
				w->f = c.f;
				w->covered = c.covered;
			}
		}
		if (w->covered < from)
			from = w->covered;
	}
	raas_buf_free(&b);
	if (!rc && n && from > 0) {
		/* A cache copied from another log may start mid-record here: on any trouble,
		 * forget the caches and read the log from the start. */
		raas_err_clear(err);
		if (raas_store_scan(s, from, roots_record, &sc, err) != RAAS_OK) {
			for (size_t i = 0; i < n; i++) {
				raas_merkle_frontier_init(&sc.w[i].f);
				sc.w[i].covered = 0;
				sc.w[i].past_durable = false;
			}
			from = 0;
		} else
			from = UINT64_MAX; /* done */
	}
	if (!rc && n && from == 0) {
		raas_err_clear(err);
		rc = raas_store_scan(s, from, roots_record, &sc, err);
		if (rc == RAAS_E_STORAGE && !err->message[0])
			rc = raas_err_set(err, RAAS_E_STORAGE, NULL,
			                  "a customer's log entries are out of sequence");
	}
	for (size_t i = 0; i < n && !rc; i++) {
		struct want *w = &sc.w[i];
		struct raas_err ignored;
		const char *name;
		struct cache c;
		if (w->f.size != raas_store_customer_entries(s, w->customer_no)) {
			rc = raas_err_set(
			        err, RAAS_E_STORAGE, NULL,
			        "customer %s: the log holds %llu entries, the store %llu",
			        raas_store_customer_id(s, w->customer_no),
			        (unsigned long long)w->f.size,
			        (unsigned long long)raas_store_customer_entries(s, w->customer_no));
			break;
		}
		out[i].customer_no = w->customer_no;
		out[i].size = w->f.size;
		raas_merkle_frontier_root(&w->f, &out[i].root);
		if (!w->past_durable)
			w->durable = w->f;
		if (sc.durable <= w->covered)
			continue;
		memset(&c, 0, sizeof c);
		memcpy(c.magic, MAGIC, 8);
		c.covered = sc.durable;
		c.f = w->durable;
		c.checksum = XXH3_64bits(&c, offsetof(struct cache, checksum));
		cache_name(s, w->customer_no, &name);
		/* A cache that cannot be written only costs speed next time. */
		rc = raas_store_put_cache(s, "merkle", name, (const char *)&c, sizeof c, &ignored);
		rc = RAAS_OK;
	}
out:
	raas_free(sc.w);
	raas_free(sc.by_customer);
	return rc;
}

struct leaves_scan {
	uint32_t customer_no;
	uint64_t max, next;
	raas_rc (*fn)(void *ctx, uint64_t index, const char *leaf, size_t len);
	void *ctx;
};

static raas_rc leaves_record(void *ctx, const struct raas_log_record *rec)
{
	struct leaves_scan *sc = ctx;
	raas_rc rc;

	if (rec->customer_no != sc->customer_no || sc->next >= sc->max)
		return RAAS_OK;
	if (rec->customer_seq != sc->next)
		return RAAS_E_STORAGE;
	if ((rc = sc->fn(sc->ctx, sc->next, rec->leaf, rec->leaf_len)))
		return rc;
	sc->next++;
	return RAAS_OK;
}

raas_rc raas_tree_leaves(struct raas_store *s, uint32_t customer_no, uint64_t max,
                         raas_rc (*fn)(void *ctx, uint64_t index, const char *leaf, size_t len),
                         void *ctx, struct raas_err *err)
{
	struct leaves_scan sc = {.customer_no = customer_no, .max = max, .fn = fn, .ctx = ctx};
	raas_rc rc;

	raas_err_clear(err);
	rc = raas_store_scan(s, 0, leaves_record, &sc, err);
	if (rc == RAAS_E_STORAGE && !err->message[0])
		rc = raas_err_set(err, RAAS_E_STORAGE, NULL,
		                  "a customer's log entries are out of sequence");
	return rc;
}

struct hashes {
	struct raas_hash *v;
	uint64_t n, cap;
};

static raas_rc add_hash(void *ctx, uint64_t index, const char *leaf, size_t len)
{
	struct hashes *h = ctx;

	(void)index;
	if (h->n == h->cap) {
		uint64_t cap = h->cap ? 2 * h->cap : 1024;
		struct raas_hash *p = raas_realloc(h->v, (size_t)cap * sizeof *p);
		if (!p)
			return RAAS_E_NOMEM;
		h->v = p;
		h->cap = cap;
	}
	raas_merkle_leaf_hash(leaf, len, &h->v[h->n++]);
	return RAAS_OK;
}

raas_rc raas_tree_leaf_hashes(struct raas_store *s, uint32_t customer_no, uint64_t max,
                              struct raas_hash **out, uint64_t *n, struct raas_err *err)
{
	struct hashes h = {0};
	raas_rc rc = raas_tree_leaves(s, customer_no, max, add_hash, &h, err);

	if (rc == RAAS_E_NOMEM)
		rc = raas_err_set(err, rc, NULL, "out of memory");
	if (rc) {
		raas_free(h.v);
		return rc;
	}
	*out = h.v;
	*n = h.n;
	return RAAS_OK;
}
