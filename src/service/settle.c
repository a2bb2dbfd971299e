/* settle.c — locked invoices as both front ends list them, and settling: locking every
 * period whose time has come, storing its invoice in the customer's log (one durable batch)
 * and signing the checkpoints that cover the new invoices (cli.md `settle`, evidence.md). */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "evidence/bundle.h"
#include "service/service.h"
#include "settle/load.h"

static int locked_cmp(const void *pa, const void *pb)
{
	const struct raas_locked *a = pa, *b = pb;
	int r;

	if (a->lock_us != b->lock_us)
		return a->lock_us < b->lock_us ? -1 : 1;
	if ((r = strcmp(a->contract, b->contract)))
		return r;
	return (a->start_us > b->start_us) - (a->start_us < b->start_us);
}

raas_rc raas_svc_collect_locked(struct raas_store *store, struct raas_ledgers *ls, int64_t now,
                                bool only_new, struct raas_locked **out, size_t *n,
                                struct raas_buf *docs, struct raas_err *err)
{
	struct raas_locked *v = NULL;
	size_t cap = 0;
	raas_rc rc = RAAS_OK;

	*n = 0;
	for (size_t i = 0; i < ls->n && !rc; i++) {
		struct raas_period *ps = NULL;
		size_t np = 0;
		if ((rc = raas_ledger_locked_periods(ls->v[i], now, &ps, &np, err)))
			break;
		for (size_t k = 0; k < np && !rc; k++) {
			const struct raas_store_invoice *inv = raas_store_invoice_find(
			        store, raas_ledger_contract(ls->v[i]), ps[k].start_us);
			size_t off = docs->len;
			bool locked;
			if (inv && only_new)
				continue;
			rc = inv ? raas_load_invoice(store, inv, docs, err)
			         : raas_ledger_invoice(ls->v[i], &ps[k], now, docs, &locked, err);
			if (rc == RAAS_E_INPUT) { /* an empty run-off period */
				docs->len = off;
				rc = RAAS_OK;
				continue;
			}
			if (rc)
				break;
			if (*n == cap) {
				size_t nc = cap ? 2 * cap : 64;
				struct raas_locked *q = raas_realloc(v, nc * sizeof *q);
				if (!q) {
					rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
					break;
				}
				v = q;
				cap = nc;
			}
			v[(*n)++] = (struct raas_locked){.lock_us = ps[k].lock_us,
			                                 .start_us = ps[k].start_us,
			                                 .contract = raas_ledger_contract(ls->v[i]),
			                                 .ledger = ls->v[i],
			                                 .period = ps[k],
			                                 .stored = inv != NULL,
			                                 .off = off,
			                                 .len = docs->len - off};
		}
		raas_free(ps);
	}
	if (!rc && *n)
		qsort(v, *n, sizeof *v, locked_cmp);
	if (rc) {
		raas_free(v);
		v = NULL;
		*n = 0;
	}
	*out = v;
	return rc;
}

/* The customers a settle signs a checkpoint of: every customer with an invoice of v, and
 * those a failed or crashed settle left with invoices no checkpoint covers. *nos is new. */
static raas_rc signing_customers(struct raas_store *store, const struct raas_locked *v, size_t n,
                                 uint32_t **nos, size_t *k, struct raas_err *err)
{
	raas_rc rc;

	*k = 0;
	*nos = raas_calloc(n + raas_store_customer_count(store) + 1, sizeof **nos);
	if (!*nos)
		return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
	if ((rc = raas_evidence_uncovered(store, *nos, k, err)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		uint32_t no;
		const char *customer = raas_ledger_customer(v[i].ledger);
		bool seen = false;
		if (raas_store_customer(store, customer, strlen(customer), false, &no))
			continue;
		for (size_t j = 0; j < *k && !seen; j++)
			seen = (*nos)[j] == no;
		if (!seen)
			(*nos)[(*k)++] = no;
	}
	return RAAS_OK;
}

static raas_rc sign_checkpoints(struct raas_store *store, const struct raas_locked *v, size_t n,
                                struct raas_err *err)
{
	uint32_t *nos;
	size_t k;
	struct raas_buf discard;
	raas_rc rc = signing_customers(store, v, n, &nos, &k, err);

	if (!rc && k) {
		raas_buf_init(&discard, (size_t)1 << 30);
		rc = raas_evidence_checkpoint(store, nos, k, &discard, err);
		raas_buf_free(&discard);
	}
	raas_free(nos);
	return rc;
}

raas_rc raas_svc_store_locked(struct raas_store *store, struct raas_locked *v, size_t *n,
                              const struct raas_buf *docs, int64_t now, struct raas_err *err)
{
	struct raas_buf leaf;
	size_t kept = 0;
	raas_rc rc = RAAS_OK;

	raas_buf_init(&leaf, (size_t)RAAS_LOG_MAX_LEAF);
	for (size_t i = 0; i < *n; i++) {
		const struct raas_locked *l = &v[i];
		const char *customer = raas_ledger_customer(l->ledger);
		struct raas_store_invoice meta = {.contract = (char *)l->contract,
		                                  .period_start_us = l->start_us,
		                                  .lock_us = l->lock_us};
		if (raas_store_invoice_find(store, l->contract, l->start_us))
			continue; /* stored since it was collected */
		raas_buf_reset(&leaf);
		if (raas_store_customer(store, customer, strlen(customer), true,
		                        &meta.customer_no) ||
		    raas_invoice_write_leaf(&leaf, customer, l->contract, l->start_us, l->lock_us,
		                            docs->data + l->off, l->len)) {
			rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
			goto out;
		}
		if ((rc = raas_store_add_invoice(store, &meta, now, leaf.data, leaf.len, err)))
			goto out;
		v[kept++] = v[i];
	}
	*n = kept;
	/* One durable batch; the clock is recorded even when nothing locked. */
	rc = raas_store_commit(store, now, err);
out:
	raas_buf_free(&leaf);
	return rc;
}

raas_rc raas_svc_sign_locked(struct raas_store *store, const struct raas_locked *v, size_t n,
                             struct raas_err *err)
{
	raas_rc rc = sign_checkpoints(store, v, n, err);

	if (rc) {
		char msg[2 * RAAS_ERR_MESSAGE_MAX];
		snprintf(msg, sizeof msg, "%s%s%s", err->path, err->path[0] ? ": " : "",
		         err->message);
		rc = raas_err_set(
		        err, rc, NULL,
		        "the invoices are stored, but their checkpoints are not (run raas "
		        "evidence checkpoint): %s",
		        msg);
	}
	return rc;
}

raas_rc raas_svc_settle(struct raas_store *store, struct raas_ledgers *ls, int64_t now,
                        struct raas_locked **out, size_t *n, struct raas_buf *docs,
                        struct raas_err *err)
{
	raas_rc rc = raas_svc_collect_locked(store, ls, now, true, out, n, docs, err);

	if (!rc)
		rc = raas_svc_store_locked(store, *out, n, docs, now, err);
	if (!rc)
		rc = raas_svc_sign_locked(store, *out, *n, err);
	if (rc) {
		raas_free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}
