/* invoices.c — reading an invoice the way both front ends show it: the stored document of
 * a locked period that `settle` stored, else the one the settlement engine computes. */
#include "service/service.h"
#include "settle/load.h"

raas_rc raas_svc_invoice(struct raas_store *store, struct raas_ledger *l,
                         const struct raas_period *p, int64_t now, struct raas_buf *out,
                         struct raas_err *err)
{
	const struct raas_store_invoice *inv;
	bool locked;

	if (now >= p->lock_us &&
	    (inv = raas_store_invoice_find(store, raas_ledger_contract(l), p->start_us)))
		return raas_load_invoice(store, inv, out, err);
	return raas_ledger_invoice(l, p, now, out, &locked, err);
}
