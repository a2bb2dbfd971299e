/* disputes.c — opening, resolving and listing disputes (server.md "Disputes"): the rules a
 * dispute action must follow, its leaf in the customer's log (docs/formats/leaves.md), and
 * the dispute document both front ends show:
 * {"id","result","contract","customer","reason","note","opened","status","resolved",
 *  "resolved_by","resolution_note"}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/json.h"
#include "raas/time.h"
#include "service/service.h"
#include "settle/load.h"

static const char *const reasons[] = {"not_achieved", "duplicate", "not_attributable",
                                      "already_reversed", "other"};

/* One dispute as read from its leaves. */
struct dispute {
	char *id, *result, *contract, *customer, *reason, *note;
	int64_t opened;
	bool resolved; /* by a person, at or before the clock */
	int64_t resolved_at;
	char *outcome, *resolution_note;
};

static void dispute_free(struct dispute *d)
{
	raas_free(d->id);
	raas_free(d->result);
	raas_free(d->contract);
	raas_free(d->customer);
	raas_free(d->reason);
	raas_free(d->note);
	raas_free(d->outcome);
	raas_free(d->resolution_note);
	memset(d, 0, sizeof *d);
}

static char *dup_field(const struct raas_json *leaf, const char *key)
{
	const struct raas_json *v = raas_json_get(leaf, key);

	if (!v || v->type != RAAS_JSON_STRING)
		return NULL;
	return raas_strndup(v->u.str, v->len);
}

/* Reads the leaf of store dispute entry i. */
static raas_rc read_leaf(struct raas_store *store, size_t i, struct raas_arena *arena,
                         struct raas_json **leaf, struct raas_err *err)
{
	const struct raas_store_dispute *d = raas_store_dispute_at(store, i);
	struct raas_log_record rec;
	struct raas_buf scratch;
	struct raas_err e;
	raas_rc rc;

	raas_buf_init(&scratch, (size_t)RAAS_LOG_MAX_LEAF + 64);
	rc = raas_store_read(store, d->pos, &rec, &scratch, err);
	raas_arena_reset(arena);
	if (!rc && raas_json_parse(arena, rec.leaf, rec.leaf_len, NULL, leaf, &e) != RAAS_OK)
		rc = raas_err_set(err, RAAS_E_STORAGE, NULL,
		                  "damaged dispute entry at log position %llu",
		                  (unsigned long long)d->pos);
	raas_buf_free(&scratch);
	return rc;
}

/* Reads every dispute visible at now (of contract when not NULL) with its resolution by a
 * person, if one was taken at or before now. *out is new (free each with dispute_free and
 * the array with raas_free). */
static raas_rc read_disputes(struct raas_store *store, const char *contract, int64_t now,
                             struct dispute **out, size_t *n, struct raas_err *err)
{
	struct raas_arena arena;
	struct dispute *v = NULL;
	size_t k = 0, cap = 0;
	raas_rc rc = RAAS_OK;

	*out = NULL;
	*n = 0;
	raas_arena_init(&arena, 0);
	for (size_t i = 0; i < raas_store_dispute_count(store) && !rc; i++) {
		const struct raas_store_dispute *m = raas_store_dispute_at(store, i);
		struct raas_json *leaf;
		if ((contract && strcmp(m->contract, contract)) || m->at_us > now)
			continue;
		if ((rc = read_leaf(store, i, &arena, &leaf, err)))
			break;
		if (m->kind == RAAS_ENTRY_DISPUTE) {
			struct dispute *d;
			const struct raas_json *note = raas_json_get(leaf, "note");
			if (k == cap) {
				struct dispute *p =
				        raas_realloc(v, (cap = cap ? 2 * cap : 16) * sizeof *p);
				if (!p) {
					rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
					break;
				}
				v = p;
			}
			d = &v[k++];
			memset(d, 0, sizeof *d);
			d->opened = m->at_us;
			d->id = dup_field(leaf, "id");
			d->result = dup_field(leaf, "result");
			d->contract = dup_field(leaf, "contract");
			d->customer = dup_field(leaf, "customer");
			d->reason = dup_field(leaf, "reason");
			d->note = note && note->type == RAAS_JSON_STRING ? dup_field(leaf, "note")
			                                                 : NULL;
			if (!d->id || !d->result || !d->contract || !d->customer || !d->reason)
				rc = raas_err_set(err, RAAS_E_STORAGE, NULL,
				                  "damaged dispute entry at log position %llu",
				                  (unsigned long long)m->pos);
		} else {
			char *id = dup_field(leaf, "dispute");
			for (size_t j = 0; id && j < k; j++)
				if (!strcmp(v[j].id, id) && !v[j].resolved) {
					const struct raas_json *note = raas_json_get(leaf, "note");
					v[j].resolved = true;
					v[j].resolved_at = m->at_us;
					v[j].outcome = dup_field(leaf, "outcome");
					v[j].resolution_note =
					        note && note->type == RAAS_JSON_STRING
					                ? dup_field(leaf, "note")
					                : NULL;
					if (!v[j].outcome)
						rc = raas_err_set(
						        err, RAAS_E_STORAGE, NULL,
						        "damaged resolution at log position %llu",
						        (unsigned long long)m->pos);
					break;
				}
			raas_free(id);
		}
	}
	raas_arena_free(&arena);
	if (rc) {
		for (size_t i = 0; i < k; i++)
			dispute_free(&v[i]);
		raas_free(v);
		return rc;
	}
	*out = v;
	*n = k;
	return RAAS_OK;
}

/* The dispute rules of contract id's newest version visible at now. */
static raas_rc terms(struct raas_store *store, const char *id, int64_t now, int64_t *resolve_within,
                     enum raas_dispute_default *dflt, struct raas_err *err)
{
	const struct raas_store_contract *best = NULL;
	struct raas_contract *c = NULL;
	raas_rc rc;

	for (uint32_t v = 1;; v++) {
		const struct raas_store_contract *m = raas_store_contract_version(store, id, v);
		if (!m)
			break;
		if (m->applied_us <= now)
			best = m;
	}
	if (!best)
		return raas_err_set(err, RAAS_E_INPUT, id, "no such contract at this clock");
	if ((rc = raas_load_version(store, best, &c, err)))
		return rc;
	*resolve_within = c->resolve_within_us;
	*dflt = c->dispute_default;
	raas_contract_free(c);
	return RAAS_OK;
}

static raas_rc put_time_or_null(struct raas_buf *b, bool have, int64_t us)
{
	char t[RAAS_TIME_FORMAT_MAX];

	if (!have)
		return raas_buf_puts(b, "null");
	raas_time_format(us, 0, t);
	return raas_buf_printf(b, "\"%s\"", t);
}

static raas_rc put_str_or_null(struct raas_buf *b, const char *s)
{
	return s ? raas_json_write_string(b, s, strlen(s)) : raas_buf_puts(b, "null");
}

/* Where d stands at now: "open", or its outcome, by a person or by the clock and when. */
struct standing {
	const char *status;
	bool by_person, automatic;
	int64_t at;
};

static struct standing standing_of(const struct dispute *d, int64_t now, int64_t resolve_within,
                                   enum raas_dispute_default dflt)
{
	int64_t auto_at =
	        d->opened > INT64_MAX - resolve_within ? INT64_MAX : d->opened + resolve_within;
	struct standing st = {.status = "open"};

	st.by_person = d->resolved && d->resolved_at < auto_at;
	st.automatic = !st.by_person && now >= auto_at;
	if (st.by_person) {
		st.status = d->outcome;
		st.at = d->resolved_at;
	} else if (st.automatic) {
		st.status = dflt == RAAS_DISPUTE_UPHELD ? "upheld" : "voided";
		st.at = auto_at;
	}
	return st;
}

/* The document of d at now. */
static raas_rc write_dispute(struct raas_buf *b, const struct dispute *d, int64_t now,
                             int64_t resolve_within, enum raas_dispute_default dflt)
{
	struct standing st = standing_of(d, now, resolve_within, dflt);
	bool by_person = st.by_person, automatic = st.automatic;
	const char *status = st.status;
	raas_rc rc;

	if ((rc = raas_buf_puts(b, "{\"id\":")) || (rc = put_str_or_null(b, d->id)) ||
	    (rc = raas_buf_puts(b, ",\"result\":")) || (rc = put_str_or_null(b, d->result)) ||
	    (rc = raas_buf_puts(b, ",\"contract\":")) || (rc = put_str_or_null(b, d->contract)) ||
	    (rc = raas_buf_puts(b, ",\"customer\":")) || (rc = put_str_or_null(b, d->customer)) ||
	    (rc = raas_buf_puts(b, ",\"reason\":")) || (rc = put_str_or_null(b, d->reason)) ||
	    (rc = raas_buf_puts(b, ",\"note\":")) || (rc = put_str_or_null(b, d->note)) ||
	    (rc = raas_buf_puts(b, ",\"opened\":")) ||
	    (rc = put_time_or_null(b, true, d->opened)) ||
	    (rc = raas_buf_printf(b, ",\"status\":\"%s\",\"resolved\":", status)) ||
	    (rc = put_time_or_null(b, by_person || automatic, st.at)) ||
	    (rc = raas_buf_puts(b, ",\"resolved_by\":")) ||
	    (rc = raas_buf_puts(b, by_person   ? "\"person\""
	                           : automatic ? "\"automatic\""
	                                       : "null")) ||
	    (rc = raas_buf_puts(b, ",\"resolution_note\":")) ||
	    (rc = put_str_or_null(b, by_person ? d->resolution_note : NULL)) ||
	    (rc = raas_buf_putc(b, '}')))
		return rc;
	return RAAS_OK;
}

/* The leaf of a dispute action; a note that is not UTF-8 text is refused here (the leaf
 * must parse back). */
static raas_rc action_leaf(struct raas_buf *b, bool open, const char *customer,
                           const char *contract, const char *id, const char *result,
                           const char *word, const char *note, int64_t now, struct raas_err *err)
{
	char t[RAAS_TIME_FORMAT_MAX];
	struct raas_arena arena;
	struct raas_json *doc;
	struct raas_err e;
	raas_rc rc;

	raas_time_format(now, 0, t);
	if ((rc = raas_buf_printf(
	             b, "{\"kind\":\"%s\",\"customer\":", open ? "dispute" : "resolution")) ||
	    (rc = raas_json_write_string(b, customer, strlen(customer))) ||
	    (rc = raas_buf_puts(b, ",\"contract\":")) ||
	    (rc = raas_json_write_string(b, contract, strlen(contract))) ||
	    (rc = raas_buf_puts(b, open ? ",\"id\":" : ",\"dispute\":")) ||
	    (rc = raas_json_write_string(b, id, strlen(id))) ||
	    (rc = raas_buf_puts(b, ",\"result\":")) ||
	    (rc = raas_json_write_string(b, result, strlen(result))) ||
	    (rc = raas_buf_puts(b, open ? ",\"reason\":" : ",\"outcome\":")) ||
	    (rc = raas_json_write_string(b, word, strlen(word))) ||
	    (rc = raas_buf_puts(b, ",\"note\":")) || (rc = put_str_or_null(b, note)) ||
	    (rc = raas_buf_printf(b, ",\"%s\":\"%s\"}", open ? "opened" : "resolved", t)))
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	raas_arena_init(&arena, 0);
	rc = raas_json_parse(&arena, b->data, b->len, NULL, &doc, &e);
	raas_arena_free(&arena);
	if (rc)
		return raas_err_set(err, RAAS_E_INPUT, "--note", "not valid UTF-8 text");
	return RAAS_OK;
}

/* Takes back what a failed action appended to out. */
static void take_back(struct raas_buf *out, size_t len)
{
	out->len = len;
	if (out->data)
		out->data[len] = '\0';
}

raas_rc raas_svc_dispute_open(struct raas_store *store, const char *result, const char *reason,
                              const char *note, int64_t now, struct raas_buf *out,
                              enum raas_dispute_refusal *why, struct raas_err *err)
{
	const char *slash = strchr(result, '/');
	char contract[256], id[512], when[RAAS_TIME_FORMAT_MAX];
	struct raas_ledgers ls = {0};
	struct raas_result_info info;
	struct raas_dispute_state ds;
	struct raas_buf leaf;
	struct raas_store_dispute meta = {0};
	struct dispute d = {0};
	int64_t rw;
	enum raas_dispute_default dflt;
	bool known = false;
	size_t out_len = out->len;
	raas_rc rc;

	*why = RAAS_DISPUTE_INVALID;
	raas_buf_init(&leaf, (size_t)RAAS_LOG_MAX_LEAF);
	for (size_t i = 0; i < sizeof reasons / sizeof *reasons && !known; i++)
		known = !strcmp(reason, reasons[i]);
	if (!known) {
		rc = raas_err_set(err, RAAS_E_INPUT, "--reason",
		                  "one of not_achieved, duplicate, not_attributable, "
		                  "already_reversed, other");
		goto out;
	}
	if (!strcmp(reason, "other") && (!note || !*note)) {
		rc = raas_err_set(err, RAAS_E_INPUT, "--note", "the reason other needs a note");
		goto out;
	}
	if (note && strlen(note) > 2000) {
		rc = raas_err_set(err, RAAS_E_INPUT, "--note", "at most 2000 bytes");
		goto out;
	}
	if (!slash || (size_t)(slash - result) >= sizeof contract || strlen(result) > 400) {
		*why = RAAS_DISPUTE_UNKNOWN;
		rc = raas_err_set(err, RAAS_E_INPUT, result, "no such result");
		goto out;
	}
	memcpy(contract, result, (size_t)(slash - result));
	contract[slash - result] = '\0';
	if ((rc = raas_store_check_clock(store, now, err)) ||
	    (rc = raas_ledgers_load(store, contract, NULL, &ls, err)))
		goto out;
	if (ls.n != 1 || raas_ledger_result_at(ls.v[0], result, now, &info, err) != RAAS_OK) {
		*why = RAAS_DISPUTE_UNKNOWN;
		rc = raas_err_set(err, RAAS_E_INPUT, result, "no such result");
		goto out;
	}
	raas_ledger_dispute_state(ls.v[0], result, now, &ds);
	if (info.status == RAAS_RESULT_DISPUTED) {
		*why = RAAS_DISPUTE_CONFLICT;
		rc = raas_err_set(err, RAAS_E_INPUT, result,
		                  "already disputed (dispute %s is open)", ds.dispute);
		goto out;
	}
	if (info.status != RAAS_RESULT_PENDING && info.status != RAAS_RESULT_CONFIRMED) {
		rc = raas_err_set(err, RAAS_E_INPUT, result,
		                  "is %s: only a pending or confirmed result can be disputed",
		                  raas_result_status_name(info.status));
		goto out;
	}
	if (now >= info.dispute_until_us) {
		raas_time_format(info.dispute_until_us, 0, when);
		rc = raas_err_set(err, RAAS_E_INPUT, result,
		                  "the dispute window closed at %s (lock of its period + "
		                  "dispute_within)",
		                  when);
		goto out;
	}
	snprintf(id, sizeof id, "%s#%zu", result, ds.count + 1);
	meta.contract = contract;
	meta.kind = RAAS_ENTRY_DISPUTE;
	meta.at_us = now;
	if ((rc = raas_store_customer(store, raas_ledger_customer(ls.v[0]),
	                              strlen(raas_ledger_customer(ls.v[0])), true,
	                              &meta.customer_no))) {
		rc = raas_err_set(err, rc, NULL, "out of memory");
		goto out;
	}
	if ((rc = terms(store, contract, now, &rw, &dflt, err)))
		goto out;
	d.id = id;
	d.result = (char *)result;
	d.contract = contract;
	d.customer = (char *)raas_ledger_customer(ls.v[0]);
	d.reason = (char *)reason;
	d.note = (char *)note;
	d.opened = now;
	/* The document before the commit, so that a hook of the commit can use it (the
	 * server holds its webhook deliveries there); taken back if the commit fails. */
	if (write_dispute(out, &d, now, rw, dflt)) {
		rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
		goto out;
	}
	if ((rc = action_leaf(&leaf, true, raas_ledger_customer(ls.v[0]), contract, id, result,
	                      reason, note, now, err)) ||
	    (rc = raas_store_add_dispute(store, &meta, leaf.data, leaf.len, err)) ||
	    (rc = raas_store_commit(store, now, err)))
		goto out;
out:
	if (rc)
		take_back(out, out_len);
	raas_ledgers_free(&ls);
	raas_buf_free(&leaf);
	return rc;
}

raas_rc raas_svc_dispute_resolve(struct raas_store *store, const char *id, bool upheld,
                                 const char *note, int64_t now, struct raas_buf *out,
                                 enum raas_dispute_refusal *why, struct raas_err *err)
{
	struct dispute *v = NULL, *d = NULL;
	size_t n = 0;
	struct raas_buf leaf;
	struct raas_store_dispute meta = {0};
	int64_t rw;
	enum raas_dispute_default dflt;
	size_t out_len = out->len;
	raas_rc rc;

	*why = RAAS_DISPUTE_INVALID;
	raas_buf_init(&leaf, (size_t)RAAS_LOG_MAX_LEAF);
	if (note && strlen(note) > 2000) {
		rc = raas_err_set(err, RAAS_E_INPUT, "--note", "at most 2000 bytes");
		goto out;
	}
	if ((rc = raas_store_check_clock(store, now, err)) ||
	    (rc = read_disputes(store, NULL, now, &v, &n, err)))
		goto out;
	for (size_t i = 0; i < n && !d; i++)
		if (!strcmp(v[i].id, id))
			d = &v[i];
	if (!d) {
		*why = RAAS_DISPUTE_UNKNOWN;
		rc = raas_err_set(err, RAAS_E_INPUT, id, "no such dispute");
		goto out;
	}
	if ((rc = terms(store, d->contract, now, &rw, &dflt, err)))
		goto out;
	{
		struct standing st = standing_of(d, now, rw, dflt);
		if (strcmp(st.status, "open")) {
			char when[RAAS_TIME_FORMAT_MAX];
			raas_time_format(st.at, 0, when);
			*why = RAAS_DISPUTE_CONFLICT;
			rc = raas_err_set(err, RAAS_E_INPUT, id, "resolved already: %s (%s at %s)",
			                  st.status, st.by_person ? "by a person" : "automatically",
			                  when);
			goto out;
		}
	}
	meta.contract = d->contract;
	meta.kind = RAAS_ENTRY_RESOLUTION;
	meta.at_us = now;
	if ((rc = raas_store_customer(store, d->customer, strlen(d->customer), false,
	                              &meta.customer_no))) {
		rc = raas_err_set(err, RAAS_E_STORAGE, NULL, "the dispute's customer is unknown");
		goto out;
	}
	d->resolved = true;
	d->resolved_at = now;
	/* The document first, as in raas_svc_dispute_open. */
	if (!(d->outcome = raas_strdup(upheld ? "upheld" : "voided")) ||
	    (note && !(d->resolution_note = raas_strdup(note))) ||
	    write_dispute(out, d, now, rw, dflt)) {
		rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
		goto out;
	}
	if ((rc = action_leaf(&leaf, false, d->customer, d->contract, d->id, d->result,
	                      upheld ? "upheld" : "voided", note, now, err)) ||
	    (rc = raas_store_add_dispute(store, &meta, leaf.data, leaf.len, err)) ||
	    (rc = raas_store_commit(store, now, err)))
		goto out;
out:
	if (rc)
		take_back(out, out_len);
	for (size_t i = 0; i < n; i++)
		dispute_free(&v[i]);
	raas_free(v);
	raas_buf_free(&leaf);
	return rc;
}

raas_rc raas_svc_disputes(struct raas_store *store, const char *status, const char *contract,
                          const char *customer, int64_t now, struct raas_buf *out,
                          struct raas_err *err)
{
	struct dispute *v = NULL;
	size_t n = 0;
	struct raas_buf one;
	raas_rc rc;

	if (status && strcmp(status, "open") && strcmp(status, "upheld") &&
	    strcmp(status, "voided"))
		return raas_err_set(err, RAAS_E_INPUT, "--status", "one of open, upheld, voided");
	if ((rc = read_disputes(store, contract, now, &v, &n, err)))
		return rc;
	raas_buf_init(&one, 1 << 20);
	for (size_t i = 0; i < n && !rc; i++) {
		int64_t rw;
		enum raas_dispute_default dflt;
		if (customer && strcmp(v[i].customer, customer))
			continue;
		raas_buf_reset(&one);
		if ((rc = terms(store, v[i].contract, now, &rw, &dflt, err)) ||
		    (rc = write_dispute(&one, &v[i], now, rw, dflt)))
			break;
		if (status && strcmp(standing_of(&v[i], now, rw, dflt).status, status))
			continue;
		if ((rc = raas_buf_append(out, one.data, one.len)) ||
		    (rc = raas_buf_putc(out, '\n')))
			rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		dispute_free(&v[i]);
	raas_free(v);
	raas_buf_free(&one);
	return rc;
}
