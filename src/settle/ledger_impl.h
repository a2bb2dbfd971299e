/* ledger_impl.h — the inside of a ledger, shared by results.c (facts, the results of an
 * evaluation, the listing) and invoice.c (periods, invoice lines, adjustments). Not for use
 * outside src/settle/.
 *
 * Every evaluation is a view: the events and versions visible at a cutoff (received strictly
 * before it, or at or before it for a draft) evaluated at a clock equal to that cutoff.
 * Evaluations are pure, so each view's results are computed once per ledger and cached.
 */
#ifndef RAAS_SETTLE_LEDGER_IMPL_H
#define RAAS_SETTLE_LEDGER_IMPL_H

#include "base/arena.h"
#include "settle/settle.h"

#define NO_TIME INT64_MIN
#define FOREVER INT64_MAX

enum fact_role { ROLE_ACHIEVE, ROLE_REVERSE, ROLE_REQUIRE };
enum value_state { VALUE_NONE, VALUE_OK, VALUE_MISSING, VALUE_BAD, VALUE_RANGE };
enum entity_state { ENTITY_OK, ENTITY_NONE, ENTITY_MISSING, ENTITY_BAD };

/* What one event means to one result definition. */
struct fact {
	int64_t time_us;
	int64_t received_us;
	const char *event_id; /* in the ledger's arena */
	const char *entity;   /* entity text (ENTITY_OK only) */
	uint32_t id_len, entity_len;
	uint16_t def;
	uint8_t role;   /* enum fact_role */
	uint8_t estate; /* enum entity_state */
	uint8_t vstate; /* enum value_state (achieving facts) */
	struct raas_dec value;
};

/* A dispute action (settle.h struct raas_dispute_action), strings in the ledger's arena. */
struct action {
	int64_t at_us;
	const char *dispute, *result;
	uint32_t result_len;
	uint8_t kind;    /* enum raas_dispute_kind */
	uint8_t outcome; /* enum raas_dispute_default */
	size_t seq;      /* the order it was added in */
};

/* The disputes of one result as a view sees them. */
struct dstate {
	size_t count;
	bool open, voided;
	const char *dispute;
	int64_t opened_us, resolved_us;
	bool automatic;
	uint8_t outcome;
};

struct version {
	struct raas_contract *c;
	uint32_t no;
	int64_t applied_us;
	int64_t effective_us;
};

struct view {
	int64_t cutoff; /* also the clock */
	bool inclusive; /* received <= cutoff (a draft) rather than < */
};

struct result {
	const char *id; /* in the evaluation's arena */
	uint32_t id_len;
	uint16_t def;
	uint8_t status; /* enum raas_result_status */
	bool late;
	int64_t achieved_us;
	int64_t confirmed_us; /* NO_TIME for invalid results */
	int64_t bill_start;   /* start of the period containing confirmed_us (valid results) */
	bool has_value;
	struct raas_dec value;
	const char *reason; /* invalid results */
	size_t decider;     /* index of the deciding fact */
	size_t first, end;  /* the facts of its group (for the listing) */
};

struct eval {
	struct view view;
	const struct version *newest; /* the newest visible version; NULL: none */
	struct result *results;       /* sorted by achieved_at, then id */
	size_t n;
	const struct result **by_id; /* the results sorted by id (built on first lookup) */
	struct raas_arena arena;
};

/* An own total computed once per (period, view). */
struct own_total {
	int64_t period_start;
	struct view view;
	struct raas_dec total;
};

/* An event type some result definition looks at. */
struct wanted_type {
	const char *name; /* owned by the first version's contract */
	size_t len;
};

struct raas_ledger {
	char *id;
	struct wanted_type types[3 * RAAS_CONTRACT_MAX_RESULTS];
	size_t ntypes;
	struct version *versions;
	size_t nversions, cap_versions;
	struct fact *facts;
	size_t nfacts, cap_facts;
	bool sorted;
	struct action *actions; /* sorted by result, then time, then seq when actions_sorted */
	size_t nactions, cap_actions;
	bool actions_sorted;
	struct raas_arena arena; /* fact and action strings */
	struct eval **evals;
	size_t nevals, cap_evals;
	struct own_total *owns;
	size_t nowns, cap_owns;
	/* Loading (load.c): the log position its facts cover, and how many facts came from
	 * records below the durable mark (those a cache may keep). */
	uint64_t covered;
	size_t durable_facts;
	bool past_durable;
};

static inline bool view_sees(const struct view *v, int64_t t)
{
	return v->inclusive ? t <= v->cutoff : t < v->cutoff;
}

static inline int64_t time_add(int64_t a, int64_t b)
{
	return a > FOREVER - b ? FOREVER : a + b;
}

/* Appends the cache bytes of the facts [0, n) of l (in the order added; cache.c), covering the
 * log up to covered. RAAS_E_INPUT when they are too large to cache. */
RAAS_WUR raas_rc ledger_cache_write(const struct raas_ledger *l, size_t n, uint64_t covered,
                                    uint64_t fingerprint, struct raas_buf *out);
/* Adds the facts of a cache to l, which has versions and no facts yet, and sets *covered.
 * RAAS_E_INPUT (l unchanged) when the bytes are not a valid cache with this fingerprint. */
RAAS_WUR raas_rc ledger_cache_read(struct raas_ledger *l, const char *data, size_t len,
                                   uint64_t fingerprint, uint64_t *covered);

/* The newest version visible at view v, or NULL. */
const struct version *ledger_newest(const struct raas_ledger *l, struct view v);

/* The disputes of result id at view v, under contract c's resolve_within and
 * dispute_default. */
void ledger_disputes(struct raas_ledger *l, const struct raas_contract *c, const char *id,
                     size_t id_len, const struct view *v, struct dstate *out);

/* The evaluation of view v (computed on first use, then cached in l). */
RAAS_WUR raas_rc ledger_eval(struct raas_ledger *l, struct view v, const struct eval **out,
                             struct raas_err *err);

/* The start of the period (in-term clipped, or run-off) that contains instant t for a
 * contract whose term ends at end (FOREVER when open). */
int64_t ledger_period_start(const struct raas_contract *c, int64_t end, int64_t t);
/* The period starting at start (as ledger_period_start returns it). */
void ledger_period_at(const struct raas_contract *c, int64_t end, int64_t start,
                      struct raas_period *out);
/* The term end of an evaluation (FOREVER when open). */
int64_t ledger_term_end(const struct eval *e);

#endif
