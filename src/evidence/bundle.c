/* bundle.c — checkpoints, evidence bundles and offline verification (bundle.h). */
#include "evidence/bundle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/json.h"
#include "evidence/note.h"
#include "evidence/tree.h"
#include "ingest/event.h"
#include "raas/time.h"
#include "settle/load.h"
#include "settle/settle.h"

#define BUNDLE_FORMAT "raas-evidence-bundle/1"

void raas_evidence_key_name(const struct raas_store *s, char *buf, size_t cap)
{
	snprintf(buf, cap, "raas/%s", raas_store_tenant(s));
}

/* The tenant's seed and public key. */
static raas_rc tenant_key(struct raas_store *s, unsigned char seed[32], unsigned char pub[32],
                          struct raas_err *err)
{
	raas_rc rc = raas_store_signing_seed(s, seed, err);

	return rc ? rc : raas_ed25519_public(seed, pub, err);
}

raas_rc raas_evidence_verifier_key(struct raas_store *s, struct raas_buf *out, struct raas_err *err)
{
	unsigned char seed[32], pub[32];
	char name[RAAS_NOTE_NAME_MAX + 1];
	raas_rc rc = tenant_key(s, seed, pub, err);

	memset(seed, 0, sizeof seed);
	if (rc)
		return rc;
	raas_evidence_key_name(s, name, sizeof name);
	if (raas_note_verifier_key(out, name, pub))
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	return RAAS_OK;
}

/* The note of the customer's latest stored checkpoint (appended to note), or nothing. */
static raas_rc latest_checkpoint(struct raas_store *s, const char *customer, struct raas_buf *note,
                                 uint64_t *size, struct raas_err *err)
{
	struct raas_buf lines;
	struct raas_arena arena;
	struct raas_json *j;
	const char *last = NULL, *p;
	raas_rc rc;

	*size = 0;
	raas_buf_init(&lines, (size_t)1 << 30);
	raas_arena_init(&arena, 0);
	rc = raas_store_checkpoints(s, customer, &lines, err);
	for (p = lines.data; !rc && p && p < lines.data + lines.len;) {
		const char *nl = memchr(p, '\n', (size_t)(lines.data + lines.len - p));
		if (!nl)
			break; /* a line cut by a crash while it was appended: not stored */
		last = p;
		p = nl + 1;
	}
	if (!rc && last) {
		const char *nl = memchr(last, '\n', (size_t)(lines.data + lines.len - last));
		const struct raas_json *sz, *n;
		if (raas_json_parse(&arena, last, (size_t)(nl - last), NULL, &j, err) ||
		    !(sz = raas_json_get(j, "size")) || sz->type != RAAS_JSON_NUMBER ||
		    !(n = raas_json_get(j, "note")) || n->type != RAAS_JSON_STRING)
			rc = raas_err_set(err, RAAS_E_STORAGE, customer, "damaged checkpoint list");
		else {
			*size = strtoull(sz->u.str, NULL, 10);
			if (raas_buf_append(note, n->u.str, n->len))
				rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
		}
	}
	raas_arena_free(&arena);
	raas_buf_free(&lines);
	return rc;
}

raas_rc raas_evidence_checkpoint(struct raas_store *s, const uint32_t *customers, size_t n,
                                 struct raas_buf *out, struct raas_err *err)
{
	struct raas_tree_root *roots = raas_calloc(n + 1, sizeof *roots);
	struct raas_store_checkpoint *fresh = raas_calloc(n + 1, sizeof *fresh);
	size_t *note_off = raas_calloc(n + 1, sizeof *note_off), nfresh = 0;
	unsigned char seed[32], pub[32];
	char name[RAAS_NOTE_NAME_MAX + 1], origin[2 * RAAS_NOTE_NAME_MAX + 2];
	char root64[64];
	struct raas_buf note, old, notes;
	raas_rc rc;

	if (!roots || !fresh || !note_off) {
		raas_free(roots);
		raas_free(fresh);
		raas_free(note_off);
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	}
	raas_buf_init(&note, 1 << 16);
	raas_buf_init(&old, 1 << 16);
	raas_buf_init(&notes, (size_t)1 << 30);
	raas_evidence_key_name(s, name, sizeof name);
	rc = tenant_key(s, seed, pub, err);
	if (!rc)
		rc = raas_tree_roots(s, customers, n, roots, err);
	for (size_t i = 0; i < n && !rc; i++) {
		const char *customer = raas_store_customer_id(s, roots[i].customer_no);
		uint64_t old_size;
		bool is_new;
		raas_buf_reset(&note);
		raas_buf_reset(&old);
		snprintf(origin, sizeof origin, "%s/%s", name, customer);
		if ((rc = raas_checkpoint_write(&note, origin, roots[i].size, &roots[i].root, name,
		                                seed, err)) ||
		    (rc = latest_checkpoint(s, customer, &old, &old_size, err)))
			break;
		/* Ed25519 signatures are deterministic: the same size and root give the same note.
		 */
		is_new = old.len != note.len || memcmp(old.data, note.data, note.len);
		for (size_t j = 0; j < nfresh && is_new; j++)
			if (fresh[j].customer == customer) /* named twice: stored once */
				goto listed;
		if (is_new) {
			fresh[nfresh] = (struct raas_store_checkpoint){
			        .customer = customer, .size = roots[i].size, .len = note.len};
			note_off[nfresh++] = notes.len;
			if (raas_buf_append(&notes, note.data, note.len))
				rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
		}
	listed:
		raas_base64_encode(roots[i].root.b, 32, root64);
		if (rc || raas_buf_puts(out, "{\"customer\":") ||
		    raas_json_write_string(out, customer, strlen(customer)) ||
		    raas_buf_printf(
		            out, ",\"size\":%llu,\"root\":\"%s\",\"new\":%s,\"checkpoint\":",
		            (unsigned long long)roots[i].size, root64, is_new ? "true" : "false") ||
		    raas_json_write_string(out, note.data, note.len) || raas_buf_puts(out, "}\n"))
			rc = rc ? rc : raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	}
	/* The new ones stored together: one sync for all (raas_store_add_checkpoints). */
	for (size_t i = 0; i < nfresh && !rc; i++)
		fresh[i].note = notes.data + note_off[i];
	if (!rc && nfresh)
		rc = raas_store_add_checkpoints(s, fresh, nfresh, err);
	memset(seed, 0, sizeof seed);
	raas_buf_free(&note);
	raas_buf_free(&old);
	raas_buf_free(&notes);
	raas_free(roots);
	raas_free(fresh);
	raas_free(note_off);
	return rc;
}

raas_rc raas_evidence_uncovered(struct raas_store *s, uint32_t *out, size_t *n,
                                struct raas_err *err)
{
	size_t nc = raas_store_customer_count(s);
	uint64_t *last = raas_calloc(nc + 1, sizeof *last); /* latest invoice pos + 1 */
	struct raas_log_record rec;
	struct raas_buf scratch, note;
	raas_rc rc = RAAS_OK;

	*n = 0;
	if (!last)
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	for (size_t i = 0; i < raas_store_invoice_count(s); i++) {
		const struct raas_store_invoice *inv = raas_store_invoice_at(s, i);
		if (inv->customer_no < nc && inv->pos + 1 > last[inv->customer_no])
			last[inv->customer_no] = inv->pos + 1;
	}
	raas_buf_init(&scratch, (size_t)RAAS_LOG_MAX_LEAF + 64);
	raas_buf_init(&note, 1 << 16);
	for (size_t c = 0; c < nc && !rc; c++) {
		uint64_t size;
		if (!last[c])
			continue;
		raas_buf_reset(&note);
		if ((rc = raas_store_read(s, last[c] - 1, &rec, &scratch, err)) ||
		    (rc = latest_checkpoint(s, raas_store_customer_id(s, (uint32_t)c), &note, &size,
		                            err)))
			break;
		if (size <= rec.customer_seq)
			out[(*n)++] = (uint32_t)c;
	}
	raas_buf_free(&scratch);
	raas_buf_free(&note);
	raas_free(last);
	return rc;
}

/* ---- bundles ---- */

struct bundle_scan {
	struct raas_buf *out;
	const char *contract;
	int64_t period_start;
	struct raas_buf *invoices; /* the invoices vouched for, comma-separated */
	size_t ninvoices;
	bool found; /* the named period's invoice */
	struct raas_arena arena;
	raas_rc rc;
};

static raas_rc bundle_leaf(void *ctx, uint64_t index, const char *leaf, size_t len)
{
	struct bundle_scan *b = ctx;
	static const char head[] = "{\"kind\":\"invoice\",";
	struct raas_json *j;
	struct raas_err err;
	const struct raas_json *c, *start, *doc;
	int64_t t;

	if ((index && raas_buf_putc(b->out, ',')) || raas_json_write_string(b->out, leaf, len))
		return RAAS_E_NOMEM;
	if (len < sizeof head || memcmp(leaf, head, sizeof head - 1))
		return RAAS_OK;
	raas_arena_reset(&b->arena);
	if (raas_json_parse(&b->arena, leaf, len, NULL, &j, &err) ||
	    !(c = raas_json_get(j, "contract")) || c->type != RAAS_JSON_STRING ||
	    !(start = raas_json_get(j, "period_start")) || start->type != RAAS_JSON_STRING ||
	    !(doc = raas_json_get(j, "invoice")) ||
	    raas_time_parse(start->u.str, start->len, &t, &err))
		return RAAS_E_STORAGE;
	if (strcmp(c->u.str, b->contract) || t < b->period_start)
		return RAAS_OK;
	if (t == b->period_start)
		b->found = true;
	if ((b->ninvoices++ && raas_buf_putc(b->invoices, ',')) ||
	    raas_json_write(b->invoices, doc))
		return RAAS_E_NOMEM;
	return RAAS_OK;
}

raas_rc raas_evidence_bundle(struct raas_store *s, const char *contract, int64_t t,
                             struct raas_buf *out, struct raas_err *err)
{
	const struct raas_store_contract *meta = raas_store_contract_latest(s, contract);
	struct raas_ledgers ls = {0};
	struct raas_period p;
	struct raas_buf note, vkey, invoices;
	struct bundle_scan b = {.out = out, .contract = contract};
	const struct raas_store_invoice *inv;
	struct raas_contract *doc = NULL;
	uint64_t size = 0;
	uint32_t no;
	int64_t y;
	unsigned m, d;
	raas_rc rc;

	if (!meta)
		return raas_err_set(err, RAAS_E_INPUT, contract, "no such contract");
	raas_buf_init(&note, 1 << 16);
	raas_buf_init(&vkey, 1 << 12);
	raas_buf_init(&invoices, (size_t)1 << 32);
	raas_arena_init(&b.arena, 0);
	if ((rc = raas_load_version(s, meta, &doc, err)) ||
	    (rc = raas_ledgers_load(s, contract, NULL, &ls, err)) ||
	    (rc = raas_ledger_period(ls.v[0], t, raas_store_clock(s), &p, err)))
		goto out;
	if (!(inv = raas_store_invoice_find(s, contract, p.start_us))) {
		char when[RAAS_TIME_FORMAT_MAX];
		raas_time_format(p.lock_us, doc->tz_offset_min, when);
		rc = raas_err_set(
		        err, RAAS_E_INPUT, NULL,
		        "the period is not locked and stored yet (it locks at %s; run raas "
		        "settle)",
		        when);
		goto out;
	}
	if (raas_store_customer(s, meta->customer, strlen(meta->customer), false, &no)) {
		rc = raas_err_set(err, RAAS_E_STORAGE, meta->customer,
		                  "a customer with a stored invoice is not in the store");
		goto out;
	}
	if ((rc = latest_checkpoint(s, meta->customer, &note, &size, err)))
		goto out;
	b.period_start = p.start_us;
	b.invoices = &invoices;
	if ((rc = raas_evidence_verifier_key(s, &vkey, err)))
		goto out;
	raas_civil_from_days(raas_date_of(p.start_us, doc->tz_offset_min), &y, &m, &d);
	if (raas_buf_printf(out, "{\"format\":\"%s\",\"tenant\":", BUNDLE_FORMAT) ||
	    raas_json_write_string(out, raas_store_tenant(s), strlen(raas_store_tenant(s))) ||
	    raas_buf_puts(out, ",\"customer\":") ||
	    raas_json_write_string(out, meta->customer, strlen(meta->customer)) ||
	    raas_buf_puts(out, ",\"contract\":") ||
	    raas_json_write_string(out, contract, strlen(contract)) ||
	    raas_buf_printf(out, ",\"period\":\"%04lld-%02u-%02u\",\"verifier_key\":", (long long)y,
	                    m, d) ||
	    raas_json_write_string(out, vkey.data, vkey.len) ||
	    raas_buf_puts(out, ",\"checkpoint\":") ||
	    raas_json_write_string(out, note.data ? note.data : "", note.len) ||
	    raas_buf_puts(out, ",\"leaves\":[")) {
		rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
		goto out;
	}
	rc = raas_tree_leaves(s, no, size, bundle_leaf, &b, err);
	if (rc == RAAS_E_NOMEM)
		rc = raas_err_set(err, rc, NULL, "out of memory");
	else if (rc == RAAS_E_STORAGE && !err->message[0])
		rc = raas_err_set(err, rc, NULL, "a damaged invoice entry in the log");
	if (rc)
		goto out;
	if (!b.found) {
		rc = raas_err_set(err, RAAS_E_INPUT, NULL,
		                  "no checkpoint of customer %s covers this invoice yet (run raas "
		                  "evidence checkpoint %s)",
		                  meta->customer, meta->customer);
		goto out;
	}
	if (raas_buf_puts(out, "],\"invoices\":[") ||
	    raas_buf_append(out, invoices.data, invoices.len) || raas_buf_puts(out, "]}"))
		rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
out:
	raas_contract_free(doc);
	raas_ledgers_free(&ls);
	raas_arena_free(&b.arena);
	raas_buf_free(&note);
	raas_buf_free(&vkey);
	raas_buf_free(&invoices);
	return rc;
}

/* ---- verification ---- */

static raas_rc fail(struct raas_err *err, const char *fmt, const char *a, const char *b)
{
	return raas_err_set(err, RAAS_E_VERIFY, NULL, fmt, a, b);
}

static raas_rc report(struct raas_buf *r, const char *line)
{
	return raas_buf_puts(r, line) || raas_buf_putc(r, '\n') ? RAAS_E_NOMEM : RAAS_OK;
}

/* Replaces err by a verification failure whose message is prefix followed by err as it
 * would be printed (copied first: the two share the buffer). */
static raas_rc rewrap(struct raas_err *err, const char *prefix)
{
	char was[RAAS_ERR_MESSAGE_MAX];

	raas_err_format(err, was, sizeof was); /* with its place: path, line and column */
	return raas_err_set(err, RAAS_E_VERIFY, NULL, "%s%s", prefix, was);
}

static const char *str(const struct raas_json *obj, const char *key, uint32_t *len)
{
	const struct raas_json *v = raas_json_get(obj, key);

	if (!v || v->type != RAAS_JSON_STRING)
		return NULL;
	if (len)
		*len = v->len;
	return v->u.str;
}

/* Adds a contract leaf to the ledger (in version order, as the log holds them). */
static raas_rc replay_contract(struct raas_ledger **l, const char *contract,
                               const struct raas_json *leaf, uint64_t index, struct raas_err *err)
{
	struct raas_problems problems = {0};
	const struct raas_json *doc = raas_json_get(leaf, "document"), *ver;
	struct raas_contract *c = NULL;
	struct raas_buf text;
	const char *id = str(leaf, "id", NULL), *eff = str(leaf, "effective_at", NULL),
	           *app = str(leaf, "applied", NULL);
	int64_t eff_us, app_us;
	char where[32];
	raas_rc rc;

	snprintf(where, sizeof where, "%llu", (unsigned long long)index);
	if (!id || strcmp(id, contract))
		return RAAS_OK;
	ver = raas_json_get(leaf, "version");
	raas_buf_init(&text, (size_t)1 << 24);
	if (!doc || !eff || !app || !ver || ver->type != RAAS_JSON_NUMBER ||
	    raas_time_parse(eff, strlen(eff), &eff_us, err) ||
	    raas_time_parse(app, strlen(app), &app_us, err) || raas_json_write(&text, doc) ||
	    raas_contract_parse(text.data, text.len, &c, &problems)) {
		raas_buf_free(&text);
		raas_problems_free(&problems);
		return fail(err, "leaf %s: not a valid contract leaf%s", where, "");
	}
	raas_buf_free(&text);
	raas_problems_free(&problems);
	/* The leaf agrees with its document (leaves.md "Contract leaves"): the same id and
	 * customer, and effective_at the midnight that starts `effective` in its zone. */
	{
		const char *day = str(leaf, "effective", NULL), *cust = str(leaf, "customer", NULL);
		int64_t d;
		struct raas_err e;
		size_t have = *l ? raas_ledger_version_count(*l) : 0;
		if (strcmp(c->id, id) || !cust || strcmp(c->customer, cust) || !day ||
		    raas_date_parse(day, strlen(day), &d, &e) ||
		    raas_date_midnight(d, c->tz_offset_min) != eff_us ||
		    strtoul(ver->u.str, NULL, 10) != have + 1 ||
		    (have == 0 && eff_us != c->start_us)) {
			raas_contract_free(c);
			return fail(err,
			            "leaf %s: the contract leaf does not agree with its document "
			            "(id, customer, effective, effective_at)%s",
			            where, "");
		}
	}
	if (!*l && (rc = raas_ledger_new(contract, l))) {
		raas_contract_free(c);
		return raas_err_set(err, rc, NULL, "out of memory");
	}
	rc = raas_ledger_add_version(*l, c, (uint32_t)strtoul(ver->u.str, NULL, 10), app_us, eff_us,
	                             err);
	if (rc == RAAS_E_INPUT) {
		char prefix[48];
		snprintf(prefix, sizeof prefix, "leaf %s: ", where);
		rc = rewrap(err, prefix);
	}
	return rc;
}

/* Writes an invoice object with its keys in settlement.md's order (the order of
 * "The invoice document"), whatever order the bundle holds them in; keys settlement.md does
 * not know are written after the known ones, so such a document can never match. */
static raas_rc write_member(struct raas_buf *b, bool *first, const struct raas_json_member *m)
{
	if ((!*first && raas_buf_putc(b, ',')) || raas_json_write_string(b, m->key, m->key_len) ||
	    raas_buf_putc(b, ':'))
		return RAAS_E_NOMEM;
	*first = false;
	return RAAS_OK;
}

static raas_rc write_ordered(struct raas_buf *b, const struct raas_json *obj,
                             const char *const *order, size_t norder, int depth);

static raas_rc write_value(struct raas_buf *b, const char *key, const struct raas_json *v,
                           int depth)
{
	static const char *const period[] = {"start", "end"};
	static const char *const line[] = {"type", "name", "period_start", "quantity", "amount"};

	if (depth == 0 && !strcmp(key, "period") && v->type == RAAS_JSON_OBJECT)
		return write_ordered(b, v, period, 2, depth + 1);
	if (depth == 0 && !strcmp(key, "lines") && v->type == RAAS_JSON_ARRAY) {
		if (raas_buf_putc(b, '['))
			return RAAS_E_NOMEM;
		for (uint32_t i = 0; i < v->len; i++) {
			raas_rc rc = (i && raas_buf_putc(b, ',')) ? RAAS_E_NOMEM : RAAS_OK;
			if (!rc)
				rc = v->u.items[i].type == RAAS_JSON_OBJECT
				             ? write_ordered(b, &v->u.items[i], line, 5, depth + 1)
				             : raas_json_write(b, &v->u.items[i]);
			if (rc)
				return rc;
		}
		return raas_buf_putc(b, ']') ? RAAS_E_NOMEM : RAAS_OK;
	}
	return raas_json_write(b, v);
}

static raas_rc write_ordered(struct raas_buf *b, const struct raas_json *obj,
                             const char *const *order, size_t norder, int depth)
{
	bool first = true;
	raas_rc rc;

	if (raas_buf_putc(b, '{'))
		return RAAS_E_NOMEM;
	for (size_t k = 0; k < norder; k++)
		for (uint32_t i = 0; i < obj->len; i++) {
			const struct raas_json_member *m = &obj->u.members[i];
			if (m->key_len != strlen(order[k]) || memcmp(m->key, order[k], m->key_len))
				continue;
			if ((rc = write_member(b, &first, m)) ||
			    (rc = write_value(b, order[k], &m->value, depth)))
				return rc;
		}
	for (uint32_t i = 0; i < obj->len; i++) {
		const struct raas_json_member *m = &obj->u.members[i];
		bool known = false;
		for (size_t k = 0; k < norder && !known; k++)
			known = m->key_len == strlen(order[k]) &&
			        !memcmp(m->key, order[k], m->key_len);
		if (!known &&
		    ((rc = write_member(b, &first, m)) || (rc = raas_json_write(b, &m->value))))
			return rc;
	}
	return raas_buf_putc(b, '}') ? RAAS_E_NOMEM : RAAS_OK;
}

static raas_rc write_invoice(struct raas_buf *b, const struct raas_json *inv)
{
	static const char *const order[] = {"contract", "customer", "currency", "period", "status",
	                                    "kind",     "as_of",    "lines",    "total"};

	if (inv->type != RAAS_JSON_OBJECT)
		return raas_json_write(b, inv);
	return write_ordered(b, inv, order, sizeof order / sizeof *order, 0);
}

/* An invoice leaf of the bundle's contract: its period start and its document (canonical, in
 * a shared buffer). */
struct stored_invoice {
	int64_t start;
	uint32_t leaf;
	size_t off, len;
};

/* Compares a replayed invoice with the bundle's and names the first difference. */
static raas_rc compare_invoice(const char *want, size_t wlen, const char *got, size_t glen,
                               const char *period, struct raas_err *err)
{
	struct raas_arena arena;
	struct raas_json *w, *g;
	struct raas_err e;
	const struct raas_json *wl, *gl;
	char what[300];
	raas_rc rc;

	if (wlen == glen && !memcmp(want, got, wlen))
		return RAAS_OK;
	raas_arena_init(&arena, 0);
	rc = fail(err, "invoice %s: the leaves give another document%s", period, "");
	if (raas_json_parse(&arena, want, wlen, NULL, &w, &e) == RAAS_OK &&
	    raas_json_parse(&arena, got, glen, NULL, &g, &e) == RAAS_OK &&
	    (wl = raas_json_get(w, "lines")) && (gl = raas_json_get(g, "lines")) &&
	    wl->type == RAAS_JSON_ARRAY && gl->type == RAAS_JSON_ARRAY) {
		uint32_t n = wl->len > gl->len ? wl->len : gl->len;
		for (uint32_t i = 0; i < n; i++) {
			const struct raas_json *a = i < wl->len ? &wl->u.items[i] : NULL;
			const struct raas_json *b = i < gl->len ? &gl->u.items[i] : NULL;
			if (a && b && raas_json_equal(a, b))
				continue;
			snprintf(what, sizeof what,
			         "line %u (%s%s%s): the bundle says %s, the leaves give %s", i + 1,
			         a ? str(a, "type", NULL) ? str(a, "type", NULL) : "?" : "-",
			         a && str(a, "name", NULL) ? " " : "",
			         a && str(a, "name", NULL) ? str(a, "name", NULL) : "",
			         a && str(a, "amount", NULL) ? str(a, "amount", NULL) : "no line",
			         b && str(b, "amount", NULL) ? str(b, "amount", NULL) : "no line");
			rc = fail(err, "invoice %s: %s", period, what);
			break;
		}
		if (!raas_json_equal(raas_json_get(w, "total"), raas_json_get(g, "total")) &&
		    err->message[0] && strstr(err->message, "another document"))
			rc = fail(err, "invoice %s: the total differs (the leaves give %s)", period,
			          str(g, "total", NULL) ? str(g, "total", NULL) : "?");
	}
	raas_arena_free(&arena);
	return rc;
}

raas_rc raas_evidence_verify(const char *text, size_t len, const char *vkey, struct raas_buf *rep,
                             struct raas_err *err)
{
	static const struct raas_json_limits limits = {(size_t)1 << 34, 80, 0};
	struct raas_arena arena, scratch;
	struct raas_json *b;
	const struct raas_json *leaves, *invoices, *fmt;
	const char *tenant, *customer, *contract, *bkey, *note;
	uint32_t bkey_len = 0, note_len = 0;
	struct raas_checkpoint cp;
	struct raas_hash *hashes = NULL, root;
	struct raas_ledger *l = NULL;
	struct raas_buf line, got, want;
	char origin[2 * RAAS_NOTE_NAME_MAX + 8], idx[32];
	int64_t last_clock = INT64_MIN, prev_start = INT64_MIN;
	struct stored_invoice *stored = NULL;
	size_t nstored = 0, cap_stored = 0;
	struct raas_buf stored_docs;
	raas_rc rc;

	raas_buf_init(&stored_docs, (size_t)1 << 34);
	raas_arena_init(&arena, 0);
	raas_arena_init(&scratch, 0);
	raas_buf_init(&line, 1 << 16);
	raas_buf_init(&got, (size_t)1 << 30);
	raas_buf_init(&want, (size_t)1 << 30);
	if ((rc = raas_json_parse(&arena, text, len, &limits, &b, err)))
		goto out;
	fmt = raas_json_get(b, "format");
	tenant = str(b, "tenant", NULL);
	customer = str(b, "customer", NULL);
	contract = str(b, "contract", NULL);
	bkey = str(b, "verifier_key", &bkey_len);
	note = str(b, "checkpoint", &note_len);
	leaves = raas_json_get(b, "leaves");
	invoices = raas_json_get(b, "invoices");
	if (!fmt || fmt->type != RAAS_JSON_STRING || strcmp(fmt->u.str, BUNDLE_FORMAT) || !tenant ||
	    !customer || !contract || !bkey || !note || !str(b, "period", NULL) || !leaves ||
	    leaves->type != RAAS_JSON_ARRAY || !invoices || invoices->type != RAAS_JSON_ARRAY) {
		rc = raas_err_set(err, RAAS_E_INPUT, NULL,
		                  "not a %s bundle (format, tenant, customer, contract, period, "
		                  "verifier_key, checkpoint, leaves and invoices are required)",
		                  BUNDLE_FORMAT);
		goto out;
	}
	/* 1. the key is the published one */
	if (bkey_len != strlen(vkey) || memcmp(bkey, vkey, bkey_len)) {
		rc = fail(err, "verifier key: the bundle carries %s, not the published key %s",
		          bkey, vkey);
		goto out;
	}
	if ((rc = report(rep, "ok: the bundle's verifier key is the published key")))
		goto oom;
	/* 2. the signature */
	if ((rc = raas_checkpoint_verify(note, note_len, vkey, strlen(vkey), &cp, err))) {
		if (rc == RAAS_E_INPUT)
			rc = rewrap(err, ""); /* note.c's errors name the checkpoint */
		goto out;
	}
	snprintf(origin, sizeof origin, "raas/%s/%s", tenant, customer);
	if (strcmp(cp.origin, origin)) {
		rc = fail(err, "checkpoint: it is of log %s, not %s", cp.origin, origin);
		goto out;
	}
	if ((rc = report(rep, "ok: the checkpoint is signed by that key")))
		goto oom;
	/* 3. the leaves: their number and root, and each one well formed and in order */
	if (leaves->len != cp.size) {
		char a[24], c[24];
		snprintf(a, sizeof a, "%llu", (unsigned long long)cp.size);
		snprintf(c, sizeof c, "%u", leaves->len);
		rc = fail(err, "leaves: the checkpoint covers %s leaves, the bundle holds %s", a,
		          c);
		goto out;
	}
	if (!(hashes = raas_calloc((size_t)leaves->len + 1, sizeof *hashes)))
		goto oom;
	for (uint32_t i = 0; i < leaves->len; i++) {
		const struct raas_json *v = &leaves->u.items[i];
		struct raas_json *leaf;
		const char *kind, *lc;
		struct raas_err e;
		int64_t clock = INT64_MIN;
		snprintf(idx, sizeof idx, "%u", i);
		if (v->type != RAAS_JSON_STRING) {
			rc = fail(err, "leaf %s: not a JSON string%s", idx, "");
			goto out;
		}
		raas_merkle_leaf_hash(v->u.str, v->len, &hashes[i]);
		raas_arena_reset(&scratch);
		if (raas_json_parse(&scratch, v->u.str, v->len, NULL, &leaf, &e) ||
		    !(kind = str(leaf, "kind", NULL)) || !(lc = str(leaf, "customer", NULL))) {
			rc = fail(err,
			          "leaf %s: not a leaf (a JSON object with kind and customer)%s",
			          idx, "");
			goto out;
		}
		if (strcmp(lc, customer)) {
			rc = fail(err, "leaf %s: an entry of customer %s in this customer's log",
			          idx, lc);
			goto out;
		}
		if (!strcmp(kind, "event")) {
			struct raas_event ev;
			int64_t received;
			if (raas_event_parse_leaf(&scratch, v->u.str, v->len, &ev, &received, &e)) {
				rc = fail(err, "leaf %s: not a canonical event leaf: %s", idx,
				          e.message);
				goto out;
			}
			clock = received;
		} else if (!strcmp(kind, "contract")) {
			const char *app = str(leaf, "applied", NULL);
			if (!app || raas_time_parse(app, strlen(app), &clock, &e)) {
				rc = fail(err,
				          "leaf %s: a contract leaf without its applied time%s",
				          idx, "");
				goto out;
			}
		} else if (!strcmp(kind, "invoice")) {
			const char *ic = str(leaf, "contract", NULL),
			           *ps = str(leaf, "period_start", NULL);
			const struct raas_json *doc = raas_json_get(leaf, "invoice");
			int64_t start;
			if (!ic || !ps || !doc || raas_time_parse(ps, strlen(ps), &start, &e)) {
				rc = fail(err, "leaf %s: not an invoice leaf%s", idx, "");
				goto out;
			}
			if (!strcmp(ic, contract)) {
				if (nstored == cap_stored) {
					size_t nc = cap_stored ? 2 * cap_stored : 16;
					struct stored_invoice *q =
					        raas_realloc(stored, nc * sizeof *q);
					if (!q)
						goto oom;
					stored = q;
					cap_stored = nc;
				}
				stored[nstored] = (struct stored_invoice){
				        .start = start, .leaf = i, .off = stored_docs.len};
				if (write_invoice(&stored_docs, doc))
					goto oom;
				stored[nstored].len = stored_docs.len - stored[nstored].off;
				nstored++;
			}
		} else if (!strcmp(kind, "dispute") || !strcmp(kind, "resolution")) {
			struct raas_dispute_action a;
			const char *dc;
			if (raas_dispute_action_read(leaf, &a, &dc)) {
				rc = fail(err, "leaf %s: not a %s leaf", idx, kind);
				goto out;
			}
			clock = a.at_us;
		} else {
			rc = fail(err, "leaf %s: unknown kind %s", idx, kind);
			goto out;
		}
		/* Entries are appended in the order accepted, and the clock never goes back. */
		if (clock != INT64_MIN) {
			if (clock < last_clock) {
				rc = fail(err,
				          "leaf %s: received before the leaf before it (leaves "
				          "reordered?)%s",
				          idx, "");
				goto out;
			}
			last_clock = clock;
		}
	}
	raas_merkle_root(hashes, leaves->len, &root);
	if (memcmp(root.b, cp.root.b, 32)) {
		rc = fail(err,
		          "root: the leaves do not hash to the checkpoint's root (a leaf was "
		          "changed, added, dropped or reordered)%s%s",
		          "", "");
		goto out;
	}
	if ((rc = report(rep, "ok: the leaves hash to the checkpoint's root")))
		goto oom;
	/* 4. the replay: the contract's versions, then its customer's events, then every
	 * invoice, byte for byte. */
	for (uint32_t i = 0; i < leaves->len; i++) {
		const struct raas_json *v = &leaves->u.items[i];
		struct raas_json *leaf;
		struct raas_err e;
		raas_arena_reset(&scratch);
		if (raas_json_parse(&scratch, v->u.str, v->len, NULL, &leaf, &e))
			continue;
		if (!strcmp(str(leaf, "kind", NULL), "contract") &&
		    (rc = replay_contract(&l, contract, leaf, i, err)))
			goto out;
	}
	if (!l) {
		rc = fail(err, "replay: no version of contract %s among the leaves%s", contract,
		          "");
		goto out;
	}
	for (uint32_t i = 0; i < leaves->len; i++) {
		const struct raas_json *v = &leaves->u.items[i];
		struct raas_event ev;
		int64_t received;
		struct raas_err e;
		raas_arena_reset(&scratch);
		if (raas_event_parse_leaf(&scratch, v->u.str, v->len, &ev, &received, &e) ==
		            RAAS_OK &&
		    raas_ledger_wants(l, ev.type, ev.type_len) &&
		    (rc = raas_ledger_add_event(l, &ev, received, err)))
			goto out;
	}
	/* ... and the dispute actions on the contract's results. */
	for (uint32_t i = 0; i < leaves->len; i++) {
		const struct raas_json *v = &leaves->u.items[i];
		struct raas_json *leaf;
		struct raas_dispute_action a;
		const char *dc;
		struct raas_err e;
		raas_arena_reset(&scratch);
		if (raas_json_parse(&scratch, v->u.str, v->len, NULL, &leaf, &e) == RAAS_OK &&
		    raas_dispute_action_read(leaf, &a, &dc) == RAAS_OK && !strcmp(dc, contract) &&
		    (rc = raas_ledger_add_dispute_action(l, &a, err)))
			goto out;
	}
	for (uint32_t i = 0; i < invoices->len; i++) {
		const struct raas_json *inv = &invoices->u.items[i];
		const struct raas_json *period = raas_json_get(inv, "period");
		const char *start = str(period, "start", NULL), *as_of = str(inv, "as_of", NULL);
		int64_t t, at;
		struct raas_period p;
		bool locked;
		if (!start || !as_of || raas_time_parse(start, strlen(start), &t, err) ||
		    raas_time_parse(as_of, strlen(as_of), &at, err)) {
			snprintf(idx, sizeof idx, "%u", i);
			rc = fail(err, "invoice %s: not an invoice document%s", idx, "");
			goto out;
		}
		raas_buf_reset(&want);
		raas_buf_reset(&got);
		if (write_invoice(&want, inv))
			goto oom;
		/* The invoices the bundle vouches for: from its period on, oldest first, once
		 * each. */
		if (i == 0 && strncmp(start, str(b, "period", NULL), 10)) {
			rc = fail(err,
			          "invoice %s: the bundle is of the period starting %s, its first "
			          "invoice is not",
			          start, str(b, "period", NULL));
			goto out;
		}
		if (t <= prev_start) {
			rc = fail(err,
			          "invoice %s: not after the invoice before it (invoices must be "
			          "oldest first, once each)%s",
			          start, "");
			goto out;
		}
		prev_start = t;
		rc = raas_ledger_period(l, t, at, &p, err);
		if (!rc)
			rc = raas_ledger_invoice(l, &p, at, &got, &locked, err);
		if (rc == RAAS_E_INPUT) {
			char prefix[RAAS_ERR_MESSAGE_MAX];
			snprintf(prefix, sizeof prefix,
			         "invoice %s: the leaves give no invoice for this period: ", start);
			rc = rewrap(err, prefix);
			goto out;
		}
		if (rc)
			goto out;
		if (!locked) {
			rc = fail(err, "invoice %s: as_of %s is before the period's lock time",
			          start, as_of);
			goto out;
		}
		if ((rc = compare_invoice(want.data, want.len, got.data, got.len, start, err)))
			goto out;
		/* ... and it is the invoice the log stored when the period locked. */
		{
			const struct stored_invoice *si = NULL;
			for (size_t k = 0; k < nstored && !si; k++)
				if (stored[k].start == t)
					si = &stored[k];
			if (!si) {
				rc = fail(err,
				          "invoice %s: no invoice leaf of contract %s stores it",
				          start, contract);
				goto out;
			}
			if (si->len != want.len ||
			    memcmp(stored_docs.data + si->off, want.data, want.len)) {
				snprintf(idx, sizeof idx, "%u", si->leaf);
				rc = fail(err,
				          "invoice %s: differs from the invoice stored in leaf %s",
				          start, idx);
				goto out;
			}
		}
		raas_buf_reset(&line);
		if (raas_buf_printf(&line, "ok: invoice %s (total %s) replays byte for byte", start,
		                    str(inv, "total", NULL) ? str(inv, "total", NULL) : "?") ||
		    report(rep, line.data))
			goto oom;
	}
	/* Every stored invoice of the contract from the bundle's period on is in the bundle. */
	if (invoices->len == 0) {
		rc = fail(err, "invoices: the bundle vouches for no invoice%s%s", "", "");
		goto out;
	}
	for (size_t k = 0; k < nstored; k++) {
		const struct raas_json *first = raas_json_get(&invoices->u.items[0], "period");
		int64_t t0;
		if (raas_time_parse(str(first, "start", NULL), strlen(str(first, "start", NULL)),
		                    &t0, err) == RAAS_OK &&
		    stored[k].start >= t0) {
			bool in = false;
			for (uint32_t i = 0; i < invoices->len && !in; i++) {
				int64_t ti;
				const char *si = str(raas_json_get(&invoices->u.items[i], "period"),
				                     "start", NULL);
				in = raas_time_parse(si, strlen(si), &ti, err) == RAAS_OK &&
				     ti == stored[k].start;
			}
			if (!in) {
				snprintf(idx, sizeof idx, "%u", stored[k].leaf);
				rc = fail(err,
				          "invoices: the invoice stored in leaf %s is missing from "
				          "the "
				          "bundle%s",
				          idx, "");
				goto out;
			}
		}
	}
	if ((rc = report(rep, "ok: the bundle holds every stored invoice from its period on")))
		goto oom;
	rc = RAAS_OK;
	goto out;
oom:
	rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
out:
	raas_free(stored);
	raas_buf_free(&stored_docs);
	raas_ledger_free(l);
	raas_free(hashes);
	raas_arena_free(&arena);
	raas_arena_free(&scratch);
	raas_buf_free(&line);
	raas_buf_free(&got);
	raas_buf_free(&want);
	return rc;
}

/* ---- the whole store ---- */

struct store_scan {
	struct raas_store *s;
	struct raas_hash **hashes; /* per customer */
	uint64_t *n, *cap;
	size_t ncustomers;
	struct raas_err *err;
};

static raas_rc store_record(void *ctx, const struct raas_log_record *rec)
{
	struct store_scan *sc = ctx;
	uint32_t c = rec->customer_no;

	if (c >= sc->ncustomers)
		return raas_err_set(
		        sc->err, RAAS_E_VERIFY, NULL,
		        "log position %llu: an entry of an unknown customer (number %u)",
		        (unsigned long long)rec->pos, c);
	if (rec->customer_seq != sc->n[c])
		return raas_err_set(
		        sc->err, RAAS_E_VERIFY, NULL,
		        "log position %llu: entry %llu of customer %s where entry %llu was "
		        "expected",
		        (unsigned long long)rec->pos, (unsigned long long)rec->customer_seq,
		        raas_store_customer_id(sc->s, c), (unsigned long long)sc->n[c]);
	if (sc->n[c] == sc->cap[c]) {
		uint64_t cap = sc->cap[c] ? 2 * sc->cap[c] : 64;
		struct raas_hash *p = raas_realloc(sc->hashes[c], (size_t)cap * sizeof *p);
		if (!p)
			return raas_err_set(sc->err, RAAS_E_NOMEM, NULL, "out of memory");
		sc->hashes[c] = p;
		sc->cap[c] = cap;
	}
	raas_merkle_leaf_hash(rec->leaf, rec->leaf_len, &sc->hashes[c][sc->n[c]++]);
	return RAAS_OK;
}

/* Checks every stored checkpoint of customer c against its leaf hashes. */
static raas_rc check_checkpoints(struct raas_store *s, struct store_scan *sc, uint32_t c,
                                 const char *vkey, size_t *count, struct raas_err *err)
{
	const char *customer = raas_store_customer_id(s, c);
	struct raas_buf lines;
	struct raas_arena arena;
	uint64_t prev_size = 0;
	struct raas_hash prev_root;
	size_t k = 0;
	raas_rc rc;

	raas_buf_init(&lines, (size_t)1 << 30);
	raas_arena_init(&arena, 0);
	rc = raas_store_checkpoints(s, customer, &lines, err);
	for (const char *p = lines.data; !rc && p && p < lines.data + lines.len; k++) {
		const char *nl = memchr(p, '\n', (size_t)(lines.data + lines.len - p));
		const struct raas_json *n;
		struct raas_checkpoint cp;
		struct raas_json *j;
		struct raas_hash root, proof[RAAS_MERKLE_MAX_PROOF];
		size_t len;
		if (!nl)
			break; /* cut by a crash while appended: never stored */
		raas_arena_reset(&arena);
		if (raas_json_parse(&arena, p, (size_t)(nl - p), NULL, &j, err) ||
		    !(n = raas_json_get(j, "note")) || n->type != RAAS_JSON_STRING) {
			rc = raas_err_set(
			        err, RAAS_E_VERIFY, NULL,
			        "customer %s: checkpoint %zu is not a stored checkpoint line",
			        customer, k + 1);
			break;
		}
		if ((rc = raas_checkpoint_verify(n->u.str, n->len, vkey, strlen(vkey), &cp, err))) {
			char prefix[RAAS_ERR_MESSAGE_MAX];
			snprintf(prefix, sizeof prefix, "customer %s: checkpoint %zu: ", customer,
			         k + 1);
			rc = rewrap(err, prefix);
			break;
		}
		{
			char origin[2 * RAAS_NOTE_NAME_MAX + 8];
			snprintf(origin, sizeof origin, "raas/%s/%s", raas_store_tenant(s),
			         customer);
			if (strcmp(cp.origin, origin)) {
				rc = raas_err_set(err, RAAS_E_VERIFY, NULL,
				                  "customer %s: checkpoint %zu is of log %s",
				                  customer, k + 1, cp.origin);
				break;
			}
		}
		if (cp.size > sc->n[c]) {
			rc = raas_err_set(
			        err, RAAS_E_VERIFY, NULL,
			        "customer %s: checkpoint %zu covers %llu entries, the log holds "
			        "%llu",
			        customer, k + 1, (unsigned long long)cp.size,
			        (unsigned long long)sc->n[c]);
			break;
		}
		raas_merkle_root(sc->hashes[c], cp.size, &root);
		if (memcmp(root.b, cp.root.b, 32)) {
			rc = raas_err_set(
			        err, RAAS_E_VERIFY, NULL,
			        "customer %s: checkpoint %zu (size %llu): the log's first %llu "
			        "entries have another root",
			        customer, k + 1, (unsigned long long)cp.size,
			        (unsigned long long)cp.size);
			break;
		}
		/* Successive checkpoints are consistent: the proof between them verifies. */
		if (k && prev_size &&
		    (cp.size < prev_size ||
		     raas_merkle_consistency_proof(sc->hashes[c], prev_size, cp.size, proof,
		                                   &len) ||
		     !raas_merkle_verify_consistency(prev_size, cp.size, &prev_root, &cp.root,
		                                     proof, len))) {
			rc = raas_err_set(err, RAAS_E_VERIFY, NULL,
			                  "customer %s: checkpoints %zu and %zu are not consistent",
			                  customer, k, k + 1);
			break;
		}
		prev_size = cp.size;
		prev_root = cp.root;
		(*count)++;
		p = nl + 1;
	}
	raas_arena_free(&arena);
	raas_buf_free(&lines);
	return rc;
}

raas_rc raas_evidence_verify_store(struct raas_store *s, struct raas_buf *rep, struct raas_err *err)
{
	struct store_scan sc = {.s = s, .ncustomers = raas_store_customer_count(s), .err = err};
	struct raas_ledgers ls = {0};
	struct raas_buf vkey, doc, stored, line;
	size_t ncheckpoints = 0, ninvoices = 0;
	uint64_t entries = 0;
	raas_rc rc;

	raas_buf_init(&vkey, 4096);
	raas_buf_init(&doc, (size_t)1 << 30);
	raas_buf_init(&stored, (size_t)1 << 30);
	raas_buf_init(&line, 4096);
	sc.hashes = raas_calloc(sc.ncustomers + 1, sizeof *sc.hashes);
	sc.n = raas_calloc(sc.ncustomers + 1, sizeof *sc.n);
	sc.cap = raas_calloc(sc.ncustomers + 1, sizeof *sc.cap);
	if (!sc.hashes || !sc.n || !sc.cap) {
		rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
		goto out;
	}
	/* 1. every record and its checksum, every customer's entries in sequence */
	raas_err_clear(err);
	if ((rc = raas_store_scan(s, 0, store_record, &sc, err))) {
		if (rc == RAAS_E_STORAGE)
			rc = rewrap(err, "log: ");
		goto out;
	}
	for (size_t c = 0; c < sc.ncustomers; c++) {
		entries += sc.n[c];
		if (sc.n[c] != raas_store_customer_entries(s, (uint32_t)c)) {
			rc = raas_err_set(
			        err, RAAS_E_VERIFY, NULL,
			        "customer %s: the log holds %llu entries, the store counts %llu",
			        raas_store_customer_id(s, (uint32_t)c), (unsigned long long)sc.n[c],
			        (unsigned long long)raas_store_customer_entries(s, (uint32_t)c));
			goto out;
		}
	}
	if (raas_buf_printf(&line,
	                    "ok: %llu log entries of %zu customers, every checksum and "
	                    "sequence",
	                    (unsigned long long)entries, sc.ncustomers) ||
	    report(rep, line.data))
		goto oom;
	/* 2. every stored checkpoint against the recomputed roots, and between themselves */
	if ((rc = raas_evidence_verifier_key(s, &vkey, err)))
		goto out;
	for (size_t c = 0; c < sc.ncustomers; c++)
		if ((rc = check_checkpoints(s, &sc, (uint32_t)c, vkey.data, &ncheckpoints, err)))
			goto out;
	raas_buf_reset(&line);
	if (raas_buf_printf(&line, "ok: %zu checkpoints: signatures, roots and consistency",
	                    ncheckpoints) ||
	    report(rep, line.data))
		goto oom;
	/* 3. every stored locked invoice, replayed from the log alone (no caches) */
	if ((rc = raas_ledgers_load_from_log(s, NULL, NULL, &ls, err)))
		goto out;
	for (size_t i = 0; i < raas_store_invoice_count(s); i++) {
		const struct raas_store_invoice *inv = raas_store_invoice_at(s, i);
		struct raas_ledger *l = NULL;
		struct raas_period p;
		char when[RAAS_TIME_FORMAT_MAX];
		bool locked;
		for (size_t k = 0; k < ls.n && !l; k++)
			if (!strcmp(raas_ledger_contract(ls.v[k]), inv->contract))
				l = ls.v[k];
		raas_time_format(inv->period_start_us, 0, when);
		raas_buf_reset(&doc);
		raas_buf_reset(&stored);
		if (!l || raas_ledger_period(l, inv->period_start_us, inv->lock_us, &p, err) ||
		    raas_ledger_invoice(l, &p, inv->lock_us, &doc, &locked, err)) {
			rc = raas_err_set(
			        err, RAAS_E_VERIFY, NULL,
			        "invoice of %s for the period starting %s: the log gives no "
			        "such invoice",
			        inv->contract, when);
			goto out;
		}
		if ((rc = raas_load_invoice(s, inv, &stored, err)))
			goto out;
		if ((rc = compare_invoice(stored.data, stored.len, doc.data, doc.len, when, err))) {
			char prefix[RAAS_ERR_MESSAGE_MAX];
			snprintf(prefix, sizeof prefix, "contract %s: ", inv->contract);
			rc = rewrap(err, prefix);
			goto out;
		}
		ninvoices++;
	}
	raas_buf_reset(&line);
	if (raas_buf_printf(&line, "ok: %zu stored invoices replay byte for byte", ninvoices) ||
	    report(rep, line.data))
		goto oom;
	rc = RAAS_OK;
	goto out;
oom:
	rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
out:
	for (size_t c = 0; sc.hashes && c < sc.ncustomers; c++)
		raas_free(sc.hashes[c]);
	raas_free(sc.hashes);
	raas_free(sc.n);
	raas_free(sc.cap);
	raas_ledgers_free(&ls);
	raas_buf_free(&vkey);
	raas_buf_free(&doc);
	raas_buf_free(&stored);
	raas_buf_free(&line);
	return rc;
}
