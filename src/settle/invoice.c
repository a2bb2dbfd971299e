/* invoice.c — periods, invoice lines, adjustments and the invoice document
 * (settlement.md "Periods", "The clock", "Adjustments", "Invoice lines, in order",
 * "The invoice document").
 *
 * A period's own total at a view is computed from that view's results (results.c): the
 * confirmed results whose confirmation falls in the period, priced by the version that
 * governs it, then fees, minimum and cap. An adjustment compares a re-rated own total with
 * what has been billed so far, which telescopes: after every locked invoice, the amount
 * billed for an earlier period equals its own total at that invoice's cutoff.
 */
#include <string.h>

#include "base/alloc.h"
#include "base/json.h"
#include "settle/ledger_impl.h"

/* ---- periods ---- */

int64_t ledger_period_start(const struct raas_contract *c, int64_t end, int64_t t)
{
	int64_t s = raas_period_floor(c->period, c->tz_offset_min, t);

	if (t < end)
		return s < c->start_us ? c->start_us : s;
	return s < end ? end : s;
}

void ledger_period_at(const struct raas_contract *c, int64_t end, int64_t start,
                      struct raas_period *out)
{
	int64_t e = raas_period_next(c->period, c->tz_offset_min, start);

	out->start_us = start;
	out->run_off = start >= end;
	out->end_us = !out->run_off && e > end ? end : e;
	out->lock_us = time_add(out->end_us, c->lock_after_us);
}

/* The view a draft at clock now sees. */
static struct view draft_view(int64_t now)
{
	return (struct view){.cutoff = now, .inclusive = true};
}

static struct view cutoff_view(int64_t x)
{
	return (struct view){.cutoff = x, .inclusive = false};
}

/* 10000-01-01T00:00:00Z: timestamps are written with four-digit years. */
#define YEAR_10000_US (INT64_C(253402300800) * RAAS_US_PER_SEC)

static int64_t term_end_of(const struct raas_contract *c)
{
	return c->has_end ? c->end_us : FOREVER;
}

/* The period containing t as the versions visible at v see it; false when none is. */
static bool period_seen(const struct raas_ledger *l, struct view v, int64_t t,
                        struct raas_period *out)
{
	const struct version *ver = ledger_newest(l, v);
	int64_t end;

	if (!ver)
		return false;
	end = term_end_of(ver->c);
	ledger_period_at(ver->c, end, ledger_period_start(ver->c, end, t), out);
	return true;
}

/* A period found at clock now, as it locked: once its lock time has passed, its bounds are
 * those the versions visible before the lock gave it (a later version that moves `end`
 * re-shapes only the periods it sees). */
static void as_locked(const struct raas_ledger *l, int64_t now, int64_t t, struct raas_period *p)
{
	struct raas_period q;

	if (p->lock_us <= now && period_seen(l, cutoff_view(p->lock_us), t, &q) && q.lock_us <= now)
		*p = q;
}

raas_rc raas_ledger_period(struct raas_ledger *l, int64_t t, int64_t now, struct raas_period *out,
                           struct raas_err *err)
{
	const struct version *v = ledger_newest(l, draft_view(now));

	if (!v)
		return raas_err_set(err, RAAS_E_INPUT, NULL,
		                    "contract %s was not applied yet at this clock", l->id);
	if (t < v->c->start_us)
		return raas_err_set(
		        err, RAAS_E_INPUT, NULL,
		        "no invoice for this period: it is before the start of contract %s", l->id);
	(void)period_seen(l, draft_view(now), t, out);
	as_locked(l, now, t, out);
	if (out->lock_us >= YEAR_10000_US)
		return raas_err_set(
		        err, RAAS_E_INPUT, NULL,
		        "no invoice for this period: it ends or locks after the year 9999");
	return RAAS_OK;
}

/* ---- own lines ---- */

/* The version that governs the period starting at start, among those e sees. */
static const struct raas_contract *governing(const struct raas_ledger *l, const struct eval *e,
                                             int64_t start)
{
	const struct raas_contract *best = l->versions[0].c;

	for (size_t i = 0; i < l->nversions; i++)
		if (view_sees(&e->view, l->versions[i].applied_us) &&
		    l->versions[i].effective_us <= start)
			best = l->versions[i].c;
	return best;
}

struct line {
	enum { LINE_RESULT, LINE_FEE, LINE_MINIMUM, LINE_CAP, LINE_ADJUSTMENT } type;
	const char *name;
	struct raas_dec quantity;
	struct raas_dec amount; /* rounded to the minor unit */
	int64_t period_start;   /* adjustments */
};

struct lines {
	struct line *v;
	size_t n, cap;
};

static raas_rc add_line(struct lines *ls, const struct line *ln)
{
	if (ls->n == ls->cap) {
		size_t cap = ls->cap ? 2 * ls->cap : 16;
		struct line *p = raas_realloc(ls->v, cap * sizeof *p);
		if (!p)
			return RAAS_E_NOMEM;
		ls->v = p;
		ls->cap = cap;
	}
	ls->v[ls->n++] = *ln;
	return RAAS_OK;
}

/* Prorates amount over the partial in-term period p: amount × covered / period days, rounded
 * once to the minor unit; the plain rounded amount in a whole period. */
static raas_rc prorate(const struct raas_contract *c, const struct raas_period *p,
                       struct raas_dec amount, struct raas_dec *out)
{
	int64_t gs = raas_period_floor(c->period, c->tz_offset_min, p->start_us);
	int64_t ge = raas_period_next(c->period, c->tz_offset_min, p->start_us);

	if (gs == p->start_us && ge == p->end_us)
		return raas_dec_round(amount, c->exponent, out);
	return raas_dec_muldiv(amount, raas_days_between(p->start_us, p->end_us, c->tz_offset_min),
	                       raas_days_between(gs, ge, c->tz_offset_min), c->exponent, out);
}

/* The own lines of period p at the view of e, and their sum. */
static raas_rc own_lines(const struct raas_ledger *l, const struct eval *e,
                         const struct raas_period *p, struct lines *ls, struct raas_dec *total)
{
	const struct raas_contract *g = governing(l, e, p->start_us);
	struct raas_dec sub = raas_dec_zero(), one, x;
	raas_rc rc;

	if ((rc = raas_dec_from_int(1, &one)))
		return rc;
	for (uint32_t d = 0; d < g->nresults; d++) {
		const struct raas_price *price = &g->results[d].price;
		struct line ln = {.type = LINE_RESULT, .name = g->results[d].name};
		struct raas_dec amount = raas_dec_zero();
		for (size_t i = 0; i < e->n; i++) {
			const struct result *r = &e->results[i];
			if (r->def != d || r->status != RAAS_RESULT_CONFIRMED ||
			    r->bill_start != p->start_us)
				continue;
			if (price->model == RAAS_PRICE_PERCENTAGE) {
				if ((rc = raas_dec_add(ln.quantity, r->value, &ln.quantity)) ||
				    (rc = raas_price_commission(price, r->value, &x)) ||
				    (rc = raas_dec_add(amount, x, &amount)))
					return rc;
			} else if ((rc = raas_dec_add(
			                    ln.quantity,
			                    price->measure == RAAS_MEASURE_VALUE ? r->value : one,
			                    &ln.quantity)))
				return rc;
		}
		if (price->model != RAAS_PRICE_PERCENTAGE &&
		    (rc = raas_price_amount(price, ln.quantity, &amount)))
			return rc;
		if ((rc = raas_dec_round(amount, g->exponent, &ln.amount)) ||
		    (rc = raas_dec_add(sub, ln.amount, &sub)) || (rc = add_line(ls, &ln)))
			return rc;
	}
	if (!p->run_off) {
		struct raas_dec min, cap, sum;
		for (uint32_t f = 0; f < g->nfees; f++) {
			struct line ln = {.type = LINE_FEE, .name = g->fees[f].name};
			if ((rc = prorate(g, p, g->fees[f].amount, &ln.amount)) ||
			    (rc = raas_dec_add(sub, ln.amount, &sub)) || (rc = add_line(ls, &ln)))
				return rc;
		}
		sum = sub;
		if (g->has_minimum) {
			bool whole;
			if ((rc = prorate(g, p, g->minimum, &min)))
				return rc;
			/* A whole period compares with the exact minimum (settlement.md step 4). */
			whole = raas_period_floor(g->period, g->tz_offset_min, p->start_us) ==
			                p->start_us &&
			        raas_period_next(g->period, g->tz_offset_min, p->start_us) ==
			                p->end_us;
			if (whole)
				min = g->minimum;
			if (raas_dec_cmp(sub, min) < 0) {
				struct line ln = {.type = LINE_MINIMUM};
				if ((rc = raas_dec_sub(min, sub, &x)) ||
				    (rc = raas_dec_round(x, g->exponent, &ln.amount)) ||
				    (rc = raas_dec_add(sum, ln.amount, &sum)) ||
				    (rc = add_line(ls, &ln)))
					return rc;
			}
		}
		if (g->has_cap) {
			bool whole = raas_period_floor(g->period, g->tz_offset_min, p->start_us) ==
			                     p->start_us &&
			             raas_period_next(g->period, g->tz_offset_min, p->start_us) ==
			                     p->end_us;
			if (whole)
				cap = g->cap;
			else if ((rc = prorate(g, p, g->cap, &cap)))
				return rc;
			if (raas_dec_cmp(sum, cap) > 0) {
				struct line ln = {.type = LINE_CAP};
				if ((rc = raas_dec_sub(cap, sum, &x)) ||
				    (rc = raas_dec_round(x, g->exponent, &ln.amount)) ||
				    (rc = raas_dec_add(sum, ln.amount, &sum)) ||
				    (rc = add_line(ls, &ln)))
					return rc;
			}
		}
		sub = sum;
	}
	*total = sub;
	return RAAS_OK;
}

/* The own total at view v of the period starting at start (its bounds as v sees them),
 * cached. */
static raas_rc own_total(struct raas_ledger *l, int64_t start, struct view v, struct raas_dec *out,
                         struct raas_err *err)
{
	const struct eval *e;
	struct lines ls = {0};
	struct raas_period pp, *p = &pp;
	raas_rc rc;

	for (size_t i = 0; i < l->nowns; i++)
		if (l->owns[i].period_start == start && l->owns[i].view.cutoff == v.cutoff &&
		    l->owns[i].view.inclusive == v.inclusive) {
			*out = l->owns[i].total;
			return RAAS_OK;
		}
	if ((rc = ledger_eval(l, v, &e, err)))
		return rc;
	if (!e->newest) {
		/* The period locked before the contract's first version: nothing was billed. */
		*out = raas_dec_zero();
		return RAAS_OK;
	}
	ledger_period_at(e->newest->c, ledger_term_end(e), start, p);
	rc = own_lines(l, e, p, &ls, out);
	raas_free(ls.v);
	if (rc)
		return rc;
	if (l->nowns == l->cap_owns) {
		size_t cap = l->cap_owns ? 2 * l->cap_owns : 32;
		struct own_total *o = raas_realloc(l->owns, cap * sizeof *o);
		if (!o)
			return RAAS_E_NOMEM;
		l->owns = o;
		l->cap_owns = cap;
	}
	l->owns[l->nowns++] =
	        (struct own_total){.period_start = p->start_us, .view = v, .total = *out};
	return RAAS_OK;
}

/* ---- the invoice ---- */

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* The adjustment lines of the invoice of q at view v (locked: v is q's lock; draft: the
 * clock), for every earlier period of the term seen at v. */
static raas_rc adjustments(struct raas_ledger *l, const struct eval *e, const struct raas_period *q,
                           bool locked, struct lines *ls, struct raas_err *err)
{
	const struct raas_contract *c = e->newest->c;
	int64_t end = ledger_term_end(e), now = e->view.cutoff;
	struct raas_period p, last = {0};
	bool have_last = false;
	raas_rc rc;

	/* The latest period before q that has locked at v: q's predecessor for a locked q,
	 * the latest locked one for a draft. */
	for (ledger_period_at(c, end, c->start_us, &p); p.start_us < q->start_us;
	     ledger_period_at(c, end, p.end_us, &p)) {
		if (locked || p.lock_us <= now) {
			last = p;
			have_last = true;
		}
	}
	if (!have_last)
		return RAAS_OK;
	for (ledger_period_at(c, end, c->start_us, &p); p.start_us <= last.start_us;
	     ledger_period_at(c, end, p.end_us, &p)) {
		int64_t limit = time_add(p.end_us, c->corrections_within_us);
		struct raas_dec rerated, billed, diff;
		struct view rv;
		if (!locked && p.lock_us > now)
			continue;
		/* Closed before the last invoice: re-rated and billed are the same view, so the
		 * difference is zero — once that own total is known to be computable (an overflow
		 * in it is still an error, as computing both would find). */
		if (last.start_us != p.start_us && limit <= last.lock_us) {
			struct raas_dec same;
			if ((rc = own_total(l, p.start_us, cutoff_view(limit), &same, err)))
				return rc;
			continue;
		}
		if (locked)
			rv = cutoff_view(min64(q->lock_us, limit));
		else
			rv = now <= limit ? draft_view(now) : cutoff_view(limit);
		if ((rc = own_total(l, p.start_us, rv, &rerated, err)))
			return rc;
		/* Billed so far: P's own total at the cutoff of the last invoice after it, or
		 * as P locked when there is none. */
		if ((rc = own_total(l, p.start_us,
		                    cutoff_view(last.start_us == p.start_us
		                                        ? p.lock_us
		                                        : min64(last.lock_us, limit)),
		                    &billed, err)) ||
		    (rc = raas_dec_sub(rerated, billed, &diff)))
			return rc;
		if (raas_dec_sign(diff) != 0) {
			struct line ln = {.type = LINE_ADJUSTMENT, .period_start = p.start_us};
			if ((rc = raas_dec_round(diff, c->exponent, &ln.amount)) ||
			    (rc = add_line(ls, &ln)))
				return rc;
		}
	}
	return RAAS_OK;
}

static raas_rc write_amount(struct raas_buf *b, struct raas_dec d, int places)
{
	char s[RAAS_DEC_FORMAT_MAX];
	size_t n = raas_dec_format_fixed(d, places, s);

	if (raas_buf_putc(b, '"') || raas_buf_append(b, s, n) || raas_buf_putc(b, '"'))
		return RAAS_E_NOMEM;
	return RAAS_OK;
}

static raas_rc write_ts(struct raas_buf *b, int64_t us, int tz)
{
	char t[RAAS_TIME_FORMAT_MAX];
	size_t n = raas_time_format(us, tz, t);

	if (raas_buf_putc(b, '"') || raas_buf_append(b, t, n) || raas_buf_putc(b, '"'))
		return RAAS_E_NOMEM;
	return RAAS_OK;
}

static raas_rc write_doc(struct raas_buf *b, const struct raas_contract *c,
                         const struct raas_period *p, bool locked, int64_t as_of,
                         const struct lines *ls, struct raas_dec total)
{
	int tz = c->tz_offset_min, x = c->exponent;
	char q[RAAS_DEC_FORMAT_MAX];

	if (raas_buf_puts(b, "{\"contract\":") || raas_json_write_string(b, c->id, strlen(c->id)) ||
	    raas_buf_puts(b, ",\"customer\":") ||
	    raas_json_write_string(b, c->customer, strlen(c->customer)) ||
	    raas_buf_printf(b, ",\"currency\":\"%s\",\"period\":{\"start\":", c->currency) ||
	    write_ts(b, p->start_us, tz) || raas_buf_puts(b, ",\"end\":") ||
	    write_ts(b, p->end_us, tz) ||
	    raas_buf_printf(b, "},\"status\":\"%s\",\"kind\":\"%s\",\"as_of\":",
	                    locked ? "locked" : "draft",
	                    raas_dec_sign(total) < 0 ? "credit_note" : "invoice") ||
	    write_ts(b, as_of, tz) || raas_buf_puts(b, ",\"lines\":["))
		return RAAS_E_NOMEM;
	for (size_t i = 0; i < ls->n; i++) {
		const struct line *ln = &ls->v[i];
		raas_rc rc = i ? raas_buf_putc(b, ',') : RAAS_OK;
		switch (ln->type) {
		case LINE_RESULT:
			rc = rc ? rc : raas_buf_puts(b, "{\"type\":\"result\",\"name\":");
			rc = rc ? rc : raas_json_write_string(b, ln->name, strlen(ln->name));
			if (!rc) {
				size_t n = raas_dec_format(ln->quantity, q);
				rc = raas_buf_puts(b, ",\"quantity\":\"");
				rc = rc ? rc : raas_buf_append(b, q, n);
				rc = rc ? rc : raas_buf_puts(b, "\",\"amount\":");
			}
			break;
		case LINE_FEE:
			rc = rc ? rc : raas_buf_puts(b, "{\"type\":\"fee\",\"name\":");
			rc = rc ? rc : raas_json_write_string(b, ln->name, strlen(ln->name));
			rc = rc ? rc : raas_buf_puts(b, ",\"amount\":");
			break;
		case LINE_MINIMUM:
			rc = rc ? rc : raas_buf_puts(b, "{\"type\":\"minimum\",\"amount\":");
			break;
		case LINE_CAP:
			rc = rc ? rc : raas_buf_puts(b, "{\"type\":\"cap\",\"amount\":");
			break;
		case LINE_ADJUSTMENT:
			rc = rc ? rc
			        : raas_buf_puts(b, "{\"type\":\"adjustment\",\"period_start\":");
			rc = rc ? rc : write_ts(b, ln->period_start, tz);
			rc = rc ? rc : raas_buf_puts(b, ",\"amount\":");
			break;
		}
		rc = rc ? rc : write_amount(b, ln->amount, x);
		rc = rc ? rc : raas_buf_putc(b, '}');
		if (rc)
			return rc;
	}
	if (raas_buf_puts(b, "],\"total\":") || write_amount(b, total, x) || raas_buf_putc(b, '}'))
		return RAAS_E_NOMEM;
	return RAAS_OK;
}

raas_rc raas_ledger_invoice(struct raas_ledger *l, const struct raas_period *p, int64_t now,
                            struct raas_buf *out, bool *locked, struct raas_err *err)
{
	const struct eval *e;
	struct lines ls = {0};
	struct raas_dec total = raas_dec_zero(), own;
	struct raas_period pp;
	bool lk = now >= p->lock_us, empty = true;
	char when[RAAS_TIME_FORMAT_MAX];
	raas_rc rc;

	if ((rc = ledger_eval(l, lk ? cutoff_view(p->lock_us) : draft_view(now), &e, err)))
		return rc;
	if (!e->newest)
		return raas_err_set(err, RAAS_E_INPUT, NULL,
		                    "contract %s was not applied yet at this clock", l->id);
	/* The bounds as this evaluation's versions give them. */
	ledger_period_at(e->newest->c, ledger_term_end(e), p->start_us, &pp);
	p = &pp;
	rc = own_lines(l, e, p, &ls, &own);
	if (!rc)
		rc = adjustments(l, e, p, lk, &ls, err);
	for (size_t i = 0; i < ls.n && !rc; i++) {
		if (ls.v[i].type == LINE_ADJUSTMENT ||
		    (ls.v[i].type == LINE_RESULT && raas_dec_sign(ls.v[i].quantity) > 0))
			empty = false;
		rc = raas_dec_add(total, ls.v[i].amount, &total);
	}
	if (rc == RAAS_E_OVERFLOW) {
		raas_time_format(p->start_us, e->newest->c->tz_offset_min, when);
		rc = raas_err_set(err, RAAS_E_STORAGE, NULL,
		                  "arithmetic overflow (10^26) in contract %s, period starting %s",
		                  l->id, when);
	} else if (rc && rc != RAAS_E_STORAGE && rc != RAAS_E_INPUT)
		rc = raas_err_set(err, rc, NULL, "out of memory");
	else if (!rc && p->run_off && empty)
		rc = raas_err_set(
		        err, RAAS_E_INPUT, NULL,
		        "no invoice for this period: an empty run-off period of contract %s",
		        l->id);
	else if (!rc && write_doc(out, e->newest->c, p, lk, lk ? p->lock_us : now, &ls, total))
		rc = raas_err_set(err, RAAS_E_NOMEM, NULL, "the invoice does not fit in memory");
	raas_free(ls.v);
	*locked = lk;
	return rc;
}

raas_rc raas_ledger_locked_periods(struct raas_ledger *l, int64_t now, struct raas_period **out,
                                   size_t *n, struct raas_err *err)
{
	const struct version *newest = ledger_newest(l, draft_view(now));
	const struct raas_contract *c;
	struct raas_period p, *v = NULL;
	size_t cap = 0;
	int64_t end, bound, hold = 0;

	*out = NULL;
	*n = 0;
	if (!newest)
		return RAAS_OK;
	c = newest->c;
	end = c->has_end ? c->end_us : FOREVER;
	/* Past this bound a run-off period can hold neither a confirmation (achieved before
	 * end, confirmed within the longest hold) nor an adjustment (a change to a period
	 * counts only until its end + corrections_within). */
	for (uint32_t d = 0; d < c->nresults; d++)
		if (c->results[d].hold_us > hold)
			hold = c->results[d].hold_us;
	bound = end == FOREVER ? FOREVER
	                       : time_add(raas_period_next(c->period, c->tz_offset_min,
	                                                   time_add(end, hold)),
	                                  c->corrections_within_us);
	for (ledger_period_at(c, end, c->start_us, &p);
	     p.lock_us <= now && p.start_us < bound && p.lock_us < YEAR_10000_US;
	     ledger_period_at(c, end, p.end_us, &p)) {
		as_locked(l, now, p.start_us, &p);
		if (*n == cap) {
			size_t nc = cap ? 2 * cap : 16;
			struct raas_period *q = raas_realloc(v, nc * sizeof *q);
			if (!q) {
				raas_free(v);
				return raas_err_set(err, RAAS_E_NOMEM, NULL, "out of memory");
			}
			v = q;
			cap = nc;
		}
		v[(*n)++] = p;
	}
	*out = v;
	return RAAS_OK;
}
