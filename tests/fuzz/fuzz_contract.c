/* fuzz_contract.c — libFuzzer target for contract validation.
 *
 * The input is a contract document. Whatever it is, parsing must end in OK (a contract and no
 * problem), INPUT (no contract and at least one problem, each with a path and a message) or
 * NOMEM. A valid contract must be a version of itself with no problem, the same document as
 * itself, and name its own result types; written back compactly and parsed again it must
 * give a contract that is the same document and a valid version of the first, in both
 * directions.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "contract/contract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct raas_problems problems = {0};
	struct raas_contract *c = NULL, *again = NULL;
	struct raas_buf b;
	raas_rc rc;

	raas_buf_init(&b, RAAS_CONTRACT_MAX_BYTES);
	rc = raas_contract_parse((const char *)data, size, &c, &problems);
	check(rc == RAAS_OK || rc == RAAS_E_INPUT || rc == RAAS_E_NOMEM);
	check((rc == RAAS_OK) == (c != NULL));
	check((rc == RAAS_E_INPUT) == (raas_problems_total(&problems) > 0));
	for (size_t i = 0; i < problems.count; i++)
		check(problems.items[i].path != NULL && problems.items[i].message[0] != '\0');
	raas_problems_free(&problems);
	if (rc != RAAS_OK)
		goto out;

	check(raas_contract_check_version(c, c, &problems) == RAAS_OK && problems.count == 0);
	check(raas_contract_same_document(c, c));
	check(c->nresults >= 1 && c->nresults <= RAAS_CONTRACT_MAX_RESULTS);
	for (uint32_t i = 0; i < c->nresults; i++) {
		const struct raas_result_def *r = &c->results[i];
		check(raas_contract_names_type(c, r->on, strlen(r->on)));
		check(!r->reversed_by.present || r->has_entity);
		check(!r->requires.present || r->has_entity);
		check(!r->has_clawback || (r->reversed_by.present && r->clawback_us > r->hold_us));
	}
	check(c->corrections_within_us >= c->lock_after_us);
	check(!c->has_end || c->end_day > c->start_day);
	check(!c->has_cap || !c->has_minimum || raas_dec_cmp(c->cap, c->minimum) >= 0);
	check(c->exponent >= 0 && c->exponent <= 6);

	/* The compact form of the document is the same contract. */
	check(raas_json_write(&b, c->doc) == RAAS_OK);
	rc = raas_contract_parse(b.data, b.len, &again, &problems);
	check(rc == RAAS_OK || rc == RAAS_E_NOMEM);
	if (rc == RAAS_OK) {
		check(raas_contract_same_document(c, again));
		check(raas_contract_check_version(c, again, &problems) == RAAS_OK);
		check(raas_contract_check_version(again, c, &problems) == RAAS_OK);
		check(problems.count == 0);
	}
out:
	raas_problems_free(&problems);
	raas_contract_free(c);
	raas_contract_free(again);
	raas_buf_free(&b);
	return 0;
}
