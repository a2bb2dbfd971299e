/* load.c — reading ledgers out of a store (load.h).
 *
 * One scan of the tenant's log feeds every ledger: an event record is handed to the ledgers
 * of its customer that name its type. The type is read from the leaf's fixed prefix
 * (docs/formats/leaves.md: kind, customer, id, type come first) so that events no contract
 * looks at are never parsed. A ledger whose facts were cached (cache.c) reads only the log
 * after the position its cache covers; the caches are refreshed after the scan.
 */
#include "settle/load.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/json.h"
#include "ingest/event.h"
#include "raas/time.h"
#include "settle/ledger_impl.h"

raas_rc raas_load_version(struct raas_store *store, const struct raas_store_contract *meta,
                          struct raas_contract **out, struct raas_err *err)
{
	struct raas_problems problems = {0};
	struct raas_log_record rec;
	struct raas_arena arena;
	struct raas_json *leaf;
	struct raas_buf scratch, doc;
	raas_rc rc;

	raas_buf_init(&scratch, (size_t)RAAS_LOG_MAX_LEAF + 64);
	raas_buf_init(&doc, (size_t)RAAS_LOG_MAX_LEAF);
	raas_arena_init(&arena, 0);
	rc = raas_store_read(store, meta->pos, &rec, &scratch, err);
	if (rc)
		goto out;
	if (raas_json_parse(&arena, rec.leaf, rec.leaf_len, NULL, &leaf, err) ||
	    !raas_json_get(leaf, "document") ||
	    raas_json_write(&doc, raas_json_get(leaf, "document")) ||
	    raas_contract_parse(doc.data, doc.len, out, &problems)) {
		rc = raas_err_set(err, RAAS_E_STORAGE, NULL,
		                  "stored version %u of contract %s cannot be read back",
		                  meta->version, meta->id);
		goto out;
	}
out:
	raas_problems_free(&problems);
	raas_arena_free(&arena);
	raas_buf_free(&scratch);
	raas_buf_free(&doc);
	return rc;
}

void raas_ledgers_free(struct raas_ledgers *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		raas_ledger_free(ls->v[i]);
	raas_free(ls->v);
	ls->v = NULL;
	ls->n = 0;
}

/* The ledgers of one customer number. */
struct customer_ledgers {
	struct raas_ledger **v;
	size_t n, cap;
};

struct scan {
	struct raas_store *store;
	struct raas_ledgers *ledgers;
	uint64_t durable;
	struct customer_ledgers *by_customer; /* indexed by customer number */
	size_t ncustomers;
	struct raas_arena arena;
	struct raas_err *err;
	bool actions; /* dispute and resolution records go to the ledgers too */
};

/* The type of an event leaf read from its fixed prefix
 * {"kind":"event","customer":"C","id":"I","type":"T",...; false when the bytes do not have
 * that shape (the caller then parses the whole leaf). */
static bool peek_type(const char *leaf, size_t len, const char **type, size_t *tlen)
{
	static const char head[] = "{\"kind\":\"event\",\"customer\":\"";
	static const char mid[] = ",\"id\":\"";
	static const char tail[] = ",\"type\":\"";
	const char *p = leaf, *end = leaf + len, *q;

	if (len < sizeof head || memcmp(p, head, sizeof head - 1))
		return false;
	p += sizeof head - 1;
	if (!(q = memchr(p, '"', (size_t)(end - p)))) /* customer ids hold no escapes */
		return false;
	p = q + 1;
	if ((size_t)(end - p) < sizeof mid || memcmp(p, mid, sizeof mid - 1))
		return false;
	for (p += sizeof mid - 1; p < end && *p != '"'; p++)
		if (*p == '\\')
			p++;
	if (p >= end)
		return false;
	p++;
	if ((size_t)(end - p) < sizeof tail || memcmp(p, tail, sizeof tail - 1))
		return false;
	p += sizeof tail - 1;
	if (!(q = memchr(p, '"', (size_t)(end - p)))) /* types hold no escapes */
		return false;
	*type = p;
	*tlen = (size_t)(q - p);
	return true;
}

raas_rc raas_dispute_action_read(const struct raas_json *leaf, struct raas_dispute_action *out,
                                 const char **contract)
{
	const struct raas_json *k = raas_json_get(leaf, "kind"),
	                       *c = raas_json_get(leaf, "contract");
	bool open;
	const struct raas_json *d, *r, *t, *o;
	struct raas_err e;

	if (!k || k->type != RAAS_JSON_STRING || !c || c->type != RAAS_JSON_STRING)
		return RAAS_E_INPUT;
	if (!strcmp(k->u.str, "dispute"))
		open = true;
	else if (!strcmp(k->u.str, "resolution"))
		open = false;
	else
		return RAAS_E_INPUT;
	d = raas_json_get(leaf, open ? "id" : "dispute");
	r = raas_json_get(leaf, "result");
	t = raas_json_get(leaf, open ? "opened" : "resolved");
	o = open ? NULL : raas_json_get(leaf, "outcome");
	if (!d || d->type != RAAS_JSON_STRING || !r || r->type != RAAS_JSON_STRING || !t ||
	    t->type != RAAS_JSON_STRING || (!open && (!o || o->type != RAAS_JSON_STRING)))
		return RAAS_E_INPUT;
	memset(out, 0, sizeof *out);
	out->kind = open ? RAAS_DISPUTE_OPEN : RAAS_DISPUTE_RESOLVE;
	out->dispute = d->u.str;
	out->result = r->u.str;
	if (o && !strcmp(o->u.str, "upheld"))
		out->outcome = RAAS_DISPUTE_UPHELD;
	else if (o && !strcmp(o->u.str, "voided"))
		out->outcome = RAAS_DISPUTE_VOIDED;
	else if (o)
		return RAAS_E_INPUT;
	if (raas_time_parse(t->u.str, t->len, &out->at_us, &e) != RAAS_OK)
		return RAAS_E_INPUT;
	*contract = c->u.str;
	return RAAS_OK;
}

/* Adds the dispute action of a dispute or resolution record to the ledger of its contract
 * (when loaded). RAAS_E_STORAGE for a leaf that is not one. */
static raas_rc add_action(struct raas_ledgers *ls, struct raas_arena *arena,
                          const struct raas_log_record *rec, struct raas_err *err)
{
	struct raas_json *leaf;
	struct raas_err e;
	struct raas_dispute_action a;
	const char *contract;
	size_t lo = 0, hi = ls->n;

	raas_arena_reset(arena);
	if (raas_json_parse(arena, rec->leaf, rec->leaf_len, NULL, &leaf, &e) != RAAS_OK ||
	    raas_dispute_action_read(leaf, &a, &contract) != RAAS_OK)
		return raas_err_set(err, RAAS_E_STORAGE, NULL,
		                    "damaged dispute entry at log position %llu",
		                    (unsigned long long)rec->pos);
	while (lo < hi) { /* the ledgers are in contract id order */
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(raas_ledger_contract(ls->v[mid]), contract);
		if (!c)
			return raas_ledger_add_dispute_action(ls->v[mid], &a, err);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return RAAS_OK; /* not a loaded contract */
}

static raas_rc scan_record(void *ctx, const struct raas_log_record *rec)
{
	struct scan *sc = ctx;
	struct customer_ledgers *cl;
	struct raas_event ev;
	int64_t received;
	const char *type;
	size_t tlen;
	bool wanted = false, peeked;
	raas_rc rc;

	if (rec->pos >= sc->durable)
		for (size_t i = 0; i < sc->ledgers->n; i++) {
			struct raas_ledger *l = sc->ledgers->v[i];
			if (!l->past_durable) {
				l->durable_facts = l->nfacts;
				l->past_durable = true;
			}
		}
	if ((rec->kind == RAAS_ENTRY_DISPUTE || rec->kind == RAAS_ENTRY_RESOLUTION) && sc->actions)
		return add_action(sc->ledgers, &sc->arena, rec, sc->err);
	if (rec->kind != RAAS_ENTRY_EVENT || rec->customer_no >= sc->ncustomers)
		return RAAS_OK;
	cl = &sc->by_customer[rec->customer_no];
	if (!cl->n)
		return RAAS_OK;
	peeked = peek_type(rec->leaf, rec->leaf_len, &type, &tlen);
	for (size_t i = 0; i < cl->n && peeked && !wanted; i++)
		wanted = rec->pos >= cl->v[i]->covered && raas_ledger_wants(cl->v[i], type, tlen);
	if (peeked && !wanted)
		return RAAS_OK;
	raas_arena_reset(&sc->arena);
	if (raas_event_read_leaf(&sc->arena, rec->leaf, rec->leaf_len, &ev, &received, sc->err))
		return raas_err_set(sc->err, RAAS_E_STORAGE, NULL,
		                    "damaged event entry at log position %llu",
		                    (unsigned long long)rec->pos);
	for (size_t i = 0; i < cl->n; i++)
		if (rec->pos >= cl->v[i]->covered &&
		    raas_ledger_wants(cl->v[i], ev.type, ev.type_len) &&
		    (rc = raas_ledger_add_event(cl->v[i], &ev, received, sc->err)))
			return rc;
	return RAAS_OK;
}

static raas_rc attach(struct scan *sc, uint32_t no, struct raas_ledger *l)
{
	struct customer_ledgers *cl = &sc->by_customer[no];

	if (cl->n == cl->cap) {
		size_t cap = cl->cap ? 2 * cl->cap : 2;
		struct raas_ledger **p = raas_realloc(cl->v, cap * sizeof *p);
		if (!p)
			return RAAS_E_NOMEM;
		cl->v = p;
		cl->cap = cap;
	}
	cl->v[cl->n++] = l;
	return RAAS_OK;
}

/* What a cache of contract m's facts must match: its first version, in this log. */
static uint64_t fingerprint(const struct raas_store_contract *first)
{
	char buf[300];
	int n = snprintf(buf, sizeof buf, "settle-facts/1 %s %llu %lld", first->id,
	                 (unsigned long long)first->pos, (long long)first->applied_us);

	return XXH3_64bits(buf, n > 0 ? (size_t)n : 0);
}

/* Starts ledger l from its cache when there is a valid one. */
static raas_rc read_cache(struct raas_store *store, struct raas_ledger *l, uint64_t fp,
                          uint64_t durable)
{
	struct raas_buf b;
	struct raas_err ignored;
	uint64_t covered = 0;
	raas_rc rc = RAAS_OK;

	raas_buf_init(&b, (size_t)1 << 36);
	l->covered = 0;
	if (raas_store_get_cache(store, "facts", raas_ledger_contract(l), &b, &ignored) ==
	    RAAS_OK) {
		rc = ledger_cache_read(l, b.data, b.len, fp, &covered);
		if (rc == RAAS_OK && covered > durable) {
			l->nfacts = 0; /* from another log, or one that lost its tail: rebuild */
			covered = 0;
		}
		if (rc == RAAS_OK)
			l->covered = covered;
		if (rc == RAAS_E_INPUT)
			rc = RAAS_OK; /* not a cache for this log: rebuild it */
	}
	raas_buf_free(&b);
	return rc;
}

/* Replaces the cache of l when the scan moved its durable part on. A cache that cannot be
 * written (a read-only directory) only costs speed: the log is read again next time. */
static void write_cache(struct raas_store *store, struct raas_ledger *l, uint64_t fp,
                        uint64_t durable)
{
	struct raas_buf b;
	struct raas_err ignored;

	if (!l->past_durable)
		l->durable_facts = l->nfacts;
	if (durable <= l->covered)
		return;
	raas_buf_init(&b, (size_t)1 << 36);
	if (ledger_cache_write(l, l->durable_facts, durable, fp, &b) == RAAS_OK) {
		raas_rc rc = raas_store_put_cache(store, "facts", raas_ledger_contract(l), b.data,
		                                  b.len, &ignored);
		(void)rc;
	}
	raas_buf_free(&b);
}

static int meta_cmp(const void *pa, const void *pb)
{
	const struct raas_store_contract *a = *(const struct raas_store_contract *const *)pa;
	const struct raas_store_contract *b = *(const struct raas_store_contract *const *)pb;
	int r = strcmp(a->id, b->id);

	return r ? r : (a->version > b->version) - (a->version < b->version);
}

static raas_rc load(struct raas_store *store, const char *contract, const char *customer,
                    bool caches, struct raas_ledgers *out, struct raas_err *err);

raas_rc raas_ledgers_load(struct raas_store *store, const char *contract, const char *customer,
                          struct raas_ledgers *out, struct raas_err *err)
{
	return load(store, contract, customer, true, out, err);
}

raas_rc raas_ledgers_load_from_log(struct raas_store *store, const char *contract,
                                   const char *customer, struct raas_ledgers *out,
                                   struct raas_err *err)
{
	return load(store, contract, customer, false, out, err);
}

static raas_rc load(struct raas_store *store, const char *contract, const char *customer,
                    bool caches, struct raas_ledgers *out, struct raas_err *err)
{
	size_t nmeta = raas_store_contract_count(store), nl = 0;
	const struct raas_store_contract **metas = NULL;
	/* Without caches the scan reads the whole log, dispute actions included; with them it
	 * reads a tail, and the actions come from the store's list of them. */
	struct scan sc = {.store = store, .err = err, .ledgers = out, .actions = !caches};
	struct raas_contract *c = NULL;
	uint64_t *fps = NULL, from = UINT64_MAX;
	raas_rc rc = RAAS_OK;

	out->v = NULL;
	out->n = 0;
	raas_arena_init(&sc.arena, 0);
	sc.ncustomers = raas_store_customer_count(store);
	metas = raas_calloc(nmeta + 1, sizeof *metas);
	sc.by_customer = raas_calloc(sc.ncustomers + 1, sizeof *sc.by_customer);
	out->v = raas_calloc(nmeta + 1, sizeof *out->v);
	fps = raas_calloc(nmeta + 1, sizeof *fps);
	if (!metas || !sc.by_customer || !out->v || !fps) {
		rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nmeta; i++) {
		const struct raas_store_contract *m = raas_store_contract_at(store, i);
		if ((contract && strcmp(m->id, contract)) ||
		    (customer && strcmp(m->customer, customer)))
			continue;
		metas[nl++] = m;
	}
	if (nl)
		qsort(metas, nl, sizeof *metas, meta_cmp);
	for (size_t i = 0; i < nl; i++) {
		const struct raas_store_contract *m = metas[i];
		struct raas_ledger *l;
		uint32_t no;
		if (i == 0 || strcmp(metas[i - 1]->id, m->id)) {
			if (raas_ledger_new(m->id, &l) != RAAS_OK) {
				rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
				goto out;
			}
			fps[out->n] = fingerprint(m);
			out->v[out->n++] = l;
			if (raas_store_customer(store, m->customer, strlen(m->customer), false,
			                        &no) == RAAS_OK &&
			    attach(&sc, no, l) != RAAS_OK) {
				rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
				goto out;
			}
		}
		if ((rc = raas_load_version(store, m, &c, err)) ||
		    (rc = raas_ledger_add_version(out->v[out->n - 1], c, m->version, m->applied_us,
		                                  m->effective_us, err)))
			goto out;
	}
	sc.durable = raas_store_durable(store);
	for (size_t i = 0; i < out->n && !rc; i++) {
		if (caches && (rc = read_cache(store, out->v[i], fps[i], sc.durable)))
			rc = raas_err_set(err, rc, NULL, "out of memory");
		else if (out->v[i]->covered < from)
			from = out->v[i]->covered;
	}
	if (out->n && !rc) {
		rc = raas_store_scan(store, from, scan_record, &sc, err);
		if (rc && rc != RAAS_E_NOMEM && from > 0) {
			/* A cache from another log may start mid-record: rebuild from the log. */
			for (size_t i = 0; i < out->n; i++) {
				out->v[i]->nfacts = 0;
				out->v[i]->covered = 0;
				out->v[i]->past_durable = false;
			}
			raas_err_clear(err);
			rc = raas_store_scan(store, 0, scan_record, &sc, err);
		}
	}
	for (size_t i = 0; i < raas_store_dispute_count(store) && !rc && caches && out->n; i++) {
		const struct raas_store_dispute *d = raas_store_dispute_at(store, i);
		struct raas_log_record rec;
		struct raas_buf scratch;
		if (contract && strcmp(d->contract, contract))
			continue;
		raas_buf_init(&scratch, (size_t)RAAS_LOG_MAX_LEAF + 64);
		if (!(rc = raas_store_read(store, d->pos, &rec, &scratch, err)))
			rc = add_action(out, &sc.arena, &rec, err);
		raas_buf_free(&scratch);
	}
	for (size_t i = 0; i < out->n && !rc && caches; i++)
		write_cache(store, out->v[i], fps[i], sc.durable);
out:
	raas_free(fps);
	for (size_t i = 0; sc.by_customer && i < sc.ncustomers; i++)
		raas_free(sc.by_customer[i].v);
	raas_free(sc.by_customer);
	raas_free(metas);
	raas_arena_free(&sc.arena);
	if (rc)
		raas_ledgers_free(out);
	return rc;
}

raas_rc raas_invoice_write_leaf(struct raas_buf *b, const char *customer, const char *contract,
                                int64_t period_start_us, int64_t lock_us, const char *doc,
                                size_t len)
{
	char t1[RAAS_TIME_FORMAT_MAX], t2[RAAS_TIME_FORMAT_MAX];
	raas_rc rc;

	raas_time_format(period_start_us, 0, t1);
	raas_time_format(lock_us, 0, t2);
	if ((rc = raas_buf_puts(b, "{\"kind\":\"invoice\",\"customer\":")) ||
	    (rc = raas_json_write_string(b, customer, strlen(customer))) ||
	    (rc = raas_buf_puts(b, ",\"contract\":")) ||
	    (rc = raas_json_write_string(b, contract, strlen(contract))) ||
	    (rc = raas_buf_printf(
	             b, ",\"period_start\":\"%s\",\"locked_at\":\"%s\",\"invoice\":", t1, t2)) ||
	    (rc = raas_buf_append(b, doc, len)) || (rc = raas_buf_putc(b, '}')))
		return rc;
	return RAAS_OK;
}

raas_rc raas_load_invoice(struct raas_store *store, const struct raas_store_invoice *inv,
                          struct raas_buf *doc, struct raas_err *err)
{
	static const char key[] = ",\"invoice\":";
	struct raas_log_record rec;
	struct raas_buf scratch;
	const char *p = NULL;
	raas_rc rc;

	raas_buf_init(&scratch, (size_t)RAAS_LOG_MAX_LEAF + 64);
	rc = raas_store_read(store, inv->pos, &rec, &scratch, err);
	/* The document is the leaf's last member, written verbatim: the bytes between the
	 * first ,"invoice": (ids and times before it cannot hold that text unescaped) and the
	 * closing brace. */
	for (size_t i = 0; !rc && i + sizeof key - 1 < rec.leaf_len && !p; i++)
		if (!memcmp(rec.leaf + i, key, sizeof key - 1))
			p = rec.leaf + i + sizeof key - 1;
	if (!rc && (!p || rec.leaf[rec.leaf_len - 1] != '}' || *p != '{'))
		rc = raas_err_set(err, RAAS_E_STORAGE, NULL,
		                  "damaged invoice entry at log position %llu",
		                  (unsigned long long)inv->pos);
	if (!rc && raas_buf_append(doc, p, (size_t)(rec.leaf + rec.leaf_len - 1 - p)))
		rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	raas_buf_free(&scratch);
	return rc;
}
