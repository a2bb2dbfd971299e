/* settle.h — results and settlement of one contract as a pure function (settlement.md).
 *
 * A ledger holds everything the invoices of one contract depend on: its versions (with the
 * clock each was applied at and its effective instant) and the facts extracted from its
 * customer's events (with their received times). From it, for any clock, it computes the
 * results listing, the invoice (draft or locked) of any period, and the list of locked
 * periods; nothing depends on the order events were added in, and nothing is stored here —
 * the caller (the CLI, the server) reads the inputs from the store and stores what locks.
 * Disputes are not modelled yet: the statuses `disputed` and `voided` exist in the
 * listing's vocabulary only. A ledger caches its evaluations as it is read: one ledger is for
 * one thread at a time (nothing here is global, so different ledgers may be used by
 * different threads).
 */
#ifndef RAAS_SETTLE_SETTLE_H
#define RAAS_SETTLE_SETTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "contract/contract.h"
#include "ingest/event.h"
#include "raas/error.h"

enum raas_result_status {
	RAAS_RESULT_INVALID,
	RAAS_RESULT_REVERSED,
	RAAS_RESULT_VOIDED,
	RAAS_RESULT_DISPUTED,
	RAAS_RESULT_CONFIRMED,
	RAAS_RESULT_PENDING,
};

/* "invalid", "reversed", ...; NULL for an unknown value. */
const char *raas_result_status_name(enum raas_result_status s);
/* Parses a status name; RAAS_E_INPUT when unknown. */
RAAS_WUR raas_rc raas_result_status_parse(const char *s, enum raas_result_status *out);

struct raas_ledger;

/* A new, empty ledger for the contract id (copied). RAAS_E_NOMEM on failure. */
RAAS_WUR raas_rc raas_ledger_new(const char *contract_id, struct raas_ledger **out);
/* Takes l (NULL is fine). */
void raas_ledger_free(struct raas_ledger *l);

/* Adds a version; versions are added in version order (1, 2, ...) and the first fixes the
 * result definitions. c is taken (freed with the ledger, or here on failure). */
RAAS_WUR raas_rc raas_ledger_add_version(struct raas_ledger *l, struct raas_contract *c,
                                         uint32_t version, int64_t applied_us, int64_t effective_us,
                                         struct raas_err *err);
/* The number of versions added. */
size_t raas_ledger_version_count(const struct raas_ledger *l);
/* True when the ledger may need events of this type (some result's on, reversed_by.on or
 * requires.on); false before the first version. */
bool raas_ledger_wants(const struct raas_ledger *l, const char *type, size_t len);
/* Adds one event of the contract's customer, received at received_us; only what the result
 * definitions look at is kept (the event may be freed afterwards). */
RAAS_WUR raas_rc raas_ledger_add_event(struct raas_ledger *l, const struct raas_event *ev,
                                       int64_t received_us, struct raas_err *err);

/* The contract's id and the customer of its first version (NULL before it). */
const char *raas_ledger_contract(const struct raas_ledger *l);
const char *raas_ledger_customer(const struct raas_ledger *l);

/* Filters of the results listing. */
struct raas_results_filter {
	bool by_period;
	int64_t period_instant; /* keep results whose confirmed_at is in the period containing it */
	bool by_status;
	enum raas_result_status status;
};

/* A dispute action taken by a person (server.md "Disputes"): opening a dispute on a result,
 * or resolving it. Automatic resolutions are not actions: they follow from the clock. */
enum raas_dispute_kind { RAAS_DISPUTE_OPEN, RAAS_DISPUTE_RESOLVE };

struct raas_dispute_action {
	enum raas_dispute_kind kind;
	const char *dispute;               /* the dispute's id */
	const char *result;                /* the result's id (CONTRACT/NAME:ENTITY_TEXT) */
	enum raas_dispute_default outcome; /* RESOLVE: upheld or voided */
	int64_t at_us;                     /* the clock it was taken at */
};

/* Adds a dispute action on a result of the ledger (copied). Like an event by its received
 * time, an action is visible at a cutoff by the clock it was taken at; a result with a
 * visible open dispute is `disputed`, one whose dispute was resolved `voided` (by a person,
 * or at opened + resolve_within to dispute_default) is `voided` (settlement.md). */
RAAS_WUR raas_rc raas_ledger_add_dispute_action(struct raas_ledger *l,
                                                const struct raas_dispute_action *a,
                                                struct raas_err *err);

/* What the disputes of one result are at clock now (everything taken at or before it). */
struct raas_dispute_state {
	size_t count;        /* disputes opened */
	bool open;           /* the last one is open */
	const char *dispute; /* the last one's id (NULL when count is 0); valid while l lives */
	int64_t opened_us;   /* when the last one was opened */
	int64_t resolved_us; /* when it was resolved (NO_TIME while open) */
	bool automatic;      /* resolved by the clock */
	enum raas_dispute_default outcome;
};
/* Fills *out for result (count 0 when it was never disputed). */
void raas_ledger_dispute_state(struct raas_ledger *l, const char *result, int64_t now,
                               struct raas_dispute_state *out);

/* One result as the clock now sees it, for the dispute rules (server.md "Disputes"). */
struct raas_result_info {
	enum raas_result_status status;
	int64_t confirmed_us;     /* NO confirmation time for invalid results: INT64_MIN */
	int64_t lock_us;          /* lock time of the period it is billed in (or would be) */
	int64_t dispute_until_us; /* lock_us + dispute_within: disputes must come before */
};
/* Fills *out for result id at now. RAAS_E_INPUT when the ledger has no such result at that
 * clock (or no version is visible). */
RAAS_WUR raas_rc raas_ledger_result_at(struct raas_ledger *l, const char *id, int64_t now,
                                       struct raas_result_info *out, struct raas_err *err);

/* Appends the results listing at clock now (settlement.md "The results listing"): one JSON
 * object and '\n' per result. RAAS_E_INPUT when no version is visible at now. */
RAAS_WUR raas_rc raas_ledger_results(struct raas_ledger *l, int64_t now,
                                     const struct raas_results_filter *filter, struct raas_buf *out,
                                     struct raas_err *err);

/* A period as settlement sees it. */
struct raas_period {
	int64_t start_us, end_us; /* clipped bounds */
	int64_t lock_us;          /* end + lock_after */
	bool run_off;
};

/* The period containing instant t at clock now (the term of the versions visible at now).
 * RAAS_E_INPUT ("no invoice for this period", or no version visible) when t is before the
 * contract's start. */
RAAS_WUR raas_rc raas_ledger_period(struct raas_ledger *l, int64_t t, int64_t now,
                                    struct raas_period *out, struct raas_err *err);

/* Appends the invoice document of period p at clock now (a draft when now < p->lock_us,
 * else locked) without a newline; *locked says which. RAAS_E_INPUT "no invoice for this
 * period" for an empty run-off period; RAAS_E_STORAGE naming the contract and period on an
 * arithmetic overflow. */
RAAS_WUR raas_rc raas_ledger_invoice(struct raas_ledger *l, const struct raas_period *p,
                                     int64_t now, struct raas_buf *out, bool *locked,
                                     struct raas_err *err);

/* The periods that have locked at clock now (lock_us <= now) and can hold an invoice, in
 * order (run-off periods after the last one that can bill anything are left out; an empty
 * one in between is listed: raas_ledger_invoice says it is empty). *out is new (raas_free);
 * *n may be 0. */
RAAS_WUR raas_rc raas_ledger_locked_periods(struct raas_ledger *l, int64_t now,
                                            struct raas_period **out, size_t *n,
                                            struct raas_err *err);

#endif
