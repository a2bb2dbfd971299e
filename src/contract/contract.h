/* contract.h — contract documents (contracts.md): validation that lists every problem with
 * its JSON path, the parsed form the engine evaluates, and the rules between versions.
 *
 * A contract is parsed from its JSON text once, when it is applied or loaded from the log;
 * the parsed form owns everything it points to (one arena) and its expressions are
 * compiled. Settlement and ingestion read it; nothing modifies it after parsing.
 */
#ifndef RAAS_CONTRACT_CONTRACT_H
#define RAAS_CONTRACT_CONTRACT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/json.h"
#include "contract/expr.h"
#include "contract/price.h"
#include "raas/decimal.h"
#include "raas/error.h"
#include "raas/time.h"

#define RAAS_CONTRACT_MAX_RESULTS 64
#define RAAS_CONTRACT_MAX_BYTES ((size_t)1 << 20) /* a contract document is at most 1 MiB */

/* A property path such as "utm.campaign": segments of [A-Za-z0-9_]+ joined by dots. */
struct raas_path {
	const char *text; /* NUL-terminated, owned by the contract */
	uint32_t len;
};

/* An optional event matcher: `reversed_by` or `requires`. */
struct raas_matcher {
	bool present;
	const char *on;          /* event type */
	struct raas_expr *where; /* NULL when absent */
	const char *where_text;  /* NULL when absent */
	int64_t within_us;       /* requires.within; 0 for reversed_by */
};

struct raas_result_def {
	const char *name;
	const char *on;          /* achieving event type */
	struct raas_expr *where; /* NULL when absent */
	const char *where_text;
	bool has_entity;
	struct raas_path entity;
	bool has_value;
	struct raas_path value;
	int64_t hold_us; /* default 0 */
	bool has_clawback;
	int64_t clawback_us; /* clawback_within, longer than hold */
	struct raas_matcher reversed_by;
	struct raas_matcher requires;
	struct raas_price price;
};

struct raas_fee {
	const char *name;
	struct raas_dec amount;
};

enum raas_dispute_default { RAAS_DISPUTE_VOIDED, RAAS_DISPUTE_UPHELD };

struct raas_contract {
	struct raas_arena arena;     /* owns every string and array below */
	const struct raas_json *doc; /* the document as applied (in arena) */
	const char *id;
	const char *customer;
	char currency[4];
	int exponent;      /* minor-unit digits: currency_exponent or the ISO table */
	int tz_offset_min; /* minutes east of UTC */
	enum raas_period_kind period;
	int64_t start_day; /* civil day number of `start` */
	int64_t start_us;  /* midnight of start in the zone */
	bool has_end;
	int64_t end_day;
	int64_t end_us;                            /* exclusive */
	int64_t lock_after_us;                     /* default 0 */
	int64_t corrections_within_us;             /* default 90d */
	int64_t dispute_within_us;                 /* default 14d */
	int64_t resolve_within_us;                 /* default 30d */
	enum raas_dispute_default dispute_default; /* default voided */
	uint32_t nresults;
	struct raas_result_def *results;
	uint32_t nfees;
	struct raas_fee *fees;
	bool has_minimum, has_cap;
	struct raas_dec minimum, cap;
};

/* Parses and validates the len bytes at text as a contract document. On success *out is new
 * (free with raas_contract_free). On invalid input returns RAAS_E_INPUT with every problem
 * in problems, each with its JSON path ("results[0].price.tiers[2].up_to",
 * "clawback_whithin": "unknown field"); a JSON syntax error is one problem whose path is
 * "line L, column C" of the text. RAAS_E_NOMEM on allocation failure. */
RAAS_WUR raas_rc raas_contract_parse(const char *text, size_t len, struct raas_contract **out,
                                     struct raas_problems *problems);

/* Takes c (NULL is fine). */
void raas_contract_free(struct raas_contract *c);

/* The rules between versions (contracts.md "Versions"): a later version may change only
 * prices, fees, minimum, cap, end and the dispute fields (dispute_within, resolve_within,
 * dispute_default). Adds one problem per other difference, with its path and the words
 * "cannot change" ("results[0].hold: cannot change in a new version (it was 0s); use a
 * new contract id"), and returns RAAS_E_INPUT when there was any. Fields compare by meaning
 * (a default equals its explicit value: absent lock_after equals "0d"). */
RAAS_WUR raas_rc raas_contract_check_version(const struct raas_contract *prev,
                                             const struct raas_contract *next,
                                             struct raas_problems *problems);

/* True when the two documents are equal as JSON values (re-applying an identical document
 * creates no version). */
bool raas_contract_same_document(const struct raas_contract *a, const struct raas_contract *b);

/* True when type (len bytes) is named by the contract: in some result's `on`,
 * `reversed_by.on` or `requires.on`. */
bool raas_contract_names_type(const struct raas_contract *c, const char *type, size_t len);

#endif
