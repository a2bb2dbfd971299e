/* test_settle.c — settle/settle.h in memory: the invoice and the listing do not depend on the
 * order events are added in (shuffled three ways, compared byte for byte at many clocks),
 * proration of a partial first period by whole days, an overflow reported with the contract
 * and the period (exit 3), and a clock before the first version knowing no contract. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/buf.h"
#include "contract/contract.h"
#include "ingest/event.h"
#include "raas/time.h"
#include "settle/settle.h"

#define DAY_US (INT64_C(86400) * RAAS_US_PER_SEC)

static int64_t at(const char *s)
{
	int64_t us = 0;
	struct raas_err err;

	assert_int_equal(raas_time_parse(s, strlen(s), &us, &err), RAAS_OK);
	return us;
}

static struct raas_ledger *ledger_for(const char *doc, int64_t applied)
{
	struct raas_problems problems = {0};
	struct raas_contract *c = NULL;
	struct raas_ledger *l = NULL;
	struct raas_err err;

	assert_int_equal(raas_contract_parse(doc, strlen(doc), &c, &problems), RAAS_OK);
	raas_problems_free(&problems);
	assert_int_equal(raas_ledger_new(c->id, &l), RAAS_OK);
	assert_int_equal(raas_ledger_add_version(l, c, 1, applied, c->start_us, &err), RAAS_OK);
	return l;
}

static void add(struct raas_ledger *l, const char *line, int64_t received)
{
	struct raas_arena arena;
	struct raas_event ev;
	struct raas_err err;
	const char *id;

	raas_arena_init(&arena, 0);
	assert_int_equal(raas_event_parse(&arena, line, strlen(line), NULL, &ev, &id, NULL, &err),
	                 RAAS_OK);
	assert_int_equal(raas_ledger_add_event(l, &ev, received, &err), RAAS_OK);
	raas_arena_free(&arena);
}

/* The invoice of the period containing t at now, as a new string (or the error message). */
static char *invoice(struct raas_ledger *l, int64_t t, int64_t now)
{
	struct raas_period p;
	struct raas_buf b;
	struct raas_err err;
	bool locked;
	char *s;

	raas_buf_init(&b, 1 << 20);
	raas_err_clear(&err);
	if (raas_ledger_period(l, t, now, &p, &err) != RAAS_OK ||
	    raas_ledger_invoice(l, &p, now, &b, &locked, &err) != RAAS_OK) {
		raas_buf_free(&b);
		return raas_strdup(err.message);
	}
	s = raas_strdup(b.data);
	raas_buf_free(&b);
	return s;
}

static char *listing(struct raas_ledger *l, int64_t now)
{
	struct raas_buf b;
	struct raas_err err;
	char *s;

	raas_buf_init(&b, 1 << 24);
	assert_int_equal(raas_ledger_results(l, now, NULL, &b, &err), RAAS_OK);
	s = raas_strdup(b.data ? b.data : "");
	raas_buf_free(&b);
	return s;
}

static const char *const leads_contract =
        "{\"id\":\"leads\",\"customer\":\"acme\",\"currency\":\"CNY\",\"timezone\":\"+08:00\","
        "\"period\":\"month\",\"start\":\"2026-01-01\",\"end\":\"2026-03-01\","
        "\"lock_after\":\"5d\",\"corrections_within\":\"40d\",\"results\":[{\"name\":\"lead\","
        "\"on\":\"lead.created\",\"where\":\"score >= 60\",\"entity\":\"lead_id\",\"hold\":"
        "\"7d\",\"reversed_by\":{\"on\":\"lead.rejected\"},\"price\":{\"model\":\"graduated\","
        "\"tiers\":[{\"up_to\":20,\"amount\":\"50.00\"},{\"up_to\":null,\"amount\":\"30.00\"}]}}],"
        "\"fees\":[{\"name\":\"base\",\"amount\":\"100.00\"}],\"minimum\":\"400.00\","
        "\"cap\":\"1500.00\"}";

struct ev {
	char line[512];
	int64_t received;
};

/* A seeded history: leads (some repeated per entity, some failing where), rejections inside
 * and after the hold, late arrivals after a lock. */
static size_t history(struct ev *v, size_t max)
{
	uint64_t x = 12345;
	int64_t jan1 = at("2026-01-01T00:00:00+08:00");
	size_t n = 0;

	for (int i = 0; i < 120 && n + 2 < max; i++) {
		x = x * 6364136223846793005u + 1442695040888963407u;
		int64_t t =
		        jan1 + (int64_t)((x >> 33) % 70) * DAY_US + (int64_t)(x % 86400) * 1000000;
		int64_t rec = t + (i % 9 == 0 ? 30 * DAY_US : 3600 * INT64_C(1000000));
		char when[RAAS_TIME_FORMAT_MAX];
		raas_time_format(t, 0, when);
		snprintf(v[n].line, sizeof v[n].line,
		         "{\"id\":\"e%d\",\"customer\":\"acme\",\"type\":\"lead.created\",\"time\":"
		         "\"%s\",\"properties\":{\"lead_id\":%d,\"score\":%d}}",
		         i, when, i % 90, (int)(40 + (x >> 20) % 60));
		v[n++].received = rec;
		if (i % 7 == 0) {
			raas_time_format(t + (i % 2 ? 2 : 9) * DAY_US, 0, when);
			snprintf(v[n].line, sizeof v[n].line,
			         "{\"id\":\"r%d\",\"customer\":\"acme\",\"type\":\"lead.rejected\","
			         "\"time\":\"%s\",\"properties\":{\"lead_id\":\"%d\"}}",
			         i, when, i % 90);
			v[n].received = t + (i % 2 ? 2 : 9) * DAY_US + 60 * INT64_C(1000000);
			n++;
		}
	}
	return n;
}

static void shuffled_arrival_gives_identical_bytes(void **state)
{
	static struct ev v[400];
	struct raas_ledger *l[3];
	size_t n = history(v, 400), documents = 0;
	const char *clocks[] = {"2026-01-20T00:00:00Z", "2026-02-06T00:00:00Z",
	                        "2026-03-01T00:00:00Z", "2026-03-20T00:00:00Z",
	                        "2026-05-01T00:00:00Z"};
	const char *dates[] = {"2026-01-01T00:00:00+08:00", "2026-02-01T00:00:00+08:00",
	                       "2026-03-01T00:00:00+08:00"};

	(void)state;
	for (int k = 0; k < 3; k++)
		l[k] = ledger_for(leads_contract, at("2025-12-01T00:00:00Z"));
	for (size_t i = 0; i < n; i++) {
		add(l[0], v[i].line, v[i].received);
		add(l[1], v[n - 1 - i].line, v[n - 1 - i].received);
		add(l[2], v[(i * 7) % n].line,
		    v[(i * 7) % n].received); /* n is not a multiple of 7 */
	}
	for (size_t c = 0; c < sizeof clocks / sizeof *clocks; c++) {
		char *want = listing(l[0], at(clocks[c]));
		for (int k = 1; k < 3; k++) {
			char *got = listing(l[k], at(clocks[c]));
			assert_string_equal(got, want);
			raas_free(got);
		}
		assert_true(strlen(want) > 1000);
		raas_free(want);
		for (size_t d = 0; d < sizeof dates / sizeof *dates; d++) {
			want = invoice(l[0], at(dates[d]), at(clocks[c]));
			documents += strstr(want, "\"total\":") != NULL;
			for (int k = 1; k < 3; k++) {
				char *got = invoice(l[k], at(dates[d]), at(clocks[c]));
				assert_string_equal(got, want);
				raas_free(got);
			}
			raas_free(want);
		}
	}
	/* 5 clocks × 3 periods: March is a run-off period (end 1 March) that is empty at the two
	 * earliest clocks, when no hold has crossed the end yet. */
	assert_int_equal(documents, 13);
	for (int k = 0; k < 3; k++)
		raas_ledger_free(l[k]);
}

static void partial_first_period_prorates_by_days(void **state)
{
	/* Starts on 10 January: 22 of January's 31 days. fee 100.00 × 22/31 = 70.967… → 70.97;
	 * minimum 400.00 × 22/31 = 283.870… → 283.87, so the true-up is 283.87 − 70.97 = 212.90. */
	struct raas_ledger *l = ledger_for(
	        "{\"id\":\"p\",\"customer\":\"acme\",\"currency\":\"CNY\",\"period\":\"month\","
	        "\"start\":\"2026-01-10\",\"results\":[{\"name\":\"lead\",\"on\":\"lead.created\","
	        "\"price\":{\"model\":\"unit\",\"amount\":\"1.00\"}}],\"fees\":[{\"name\":\"base\","
	        "\"amount\":\"100.00\"}],\"minimum\":\"400.00\"}",
	        at("2026-01-01T00:00:00Z"));
	char *s = invoice(l, at("2026-01-15T00:00:00Z"), at("2026-01-20T00:00:00Z"));

	(void)state;
	assert_string_equal(
	        s,
	        "{\"contract\":\"p\",\"customer\":\"acme\",\"currency\":\"CNY\",\"period\":{"
	        "\"start\":\"2026-01-10T00:00:00Z\",\"end\":\"2026-02-01T00:00:00Z\"},\"status\":"
	        "\"draft\",\"kind\":\"invoice\",\"as_of\":\"2026-01-20T00:00:00Z\",\"lines\":[{"
	        "\"type\":\"result\",\"name\":\"lead\",\"quantity\":\"0\",\"amount\":\"0.00\"},{"
	        "\"type\":\"fee\",\"name\":\"base\",\"amount\":\"70.97\"},{\"type\":\"minimum\","
	        "\"amount\":\"212.90\"}],\"total\":\"283.87\"}");
	raas_free(s);
	/* Before 10 January there is no period: */
	s = invoice(l, at("2026-01-09T00:00:00Z"), at("2026-01-20T00:00:00Z"));
	assert_string_equal(s, "no invoice for this period: it is before the start of contract p");
	raas_free(s);
	raas_ledger_free(l);
}

static void overflow_names_contract_and_period(void **state)
{
	/* 10 results at 10^25 each reach 10^26. */
	struct raas_ledger *l = ledger_for(
	        "{\"id\":\"big\",\"customer\":\"acme\",\"currency\":\"USD\",\"period\":\"month\","
	        "\"start\":\"2026-01-01\",\"results\":[{\"name\":\"r\",\"on\":\"x\",\"price\":{"
	        "\"model\":\"unit\",\"amount\":\"10000000000000000000000000\"}}]}",
	        at("2026-01-01T00:00:00Z"));
	struct raas_period p;
	struct raas_buf b;
	struct raas_err err;
	bool locked;
	char line[256];

	(void)state;
	for (int i = 0; i < 10; i++) {
		snprintf(line, sizeof line,
		         "{\"id\":\"e%d\",\"customer\":\"acme\",\"type\":\"x\",\"time\":"
		         "\"2026-01-%02dT00:00:00Z\"}",
		         i, i + 1);
		add(l, line, at("2026-01-12T00:00:00Z"));
	}
	raas_buf_init(&b, 1 << 20);
	assert_int_equal(raas_ledger_period(l, at("2026-01-05T00:00:00Z"),
	                                    at("2026-01-20T00:00:00Z"), &p, &err),
	                 RAAS_OK);
	assert_int_equal(raas_ledger_invoice(l, &p, at("2026-01-20T00:00:00Z"), &b, &locked, &err),
	                 RAAS_E_STORAGE);
	assert_string_equal(err.message, "arithmetic overflow (10^26) in contract big, period "
	                                 "starting 2026-01-01T00:00:00Z");
	assert_int_equal(raas_rc_exit_code(err.code), 3);
	raas_buf_free(&b);
	raas_ledger_free(l);
}

static void act(struct raas_ledger *l, enum raas_dispute_kind kind, const char *dispute,
                const char *result, enum raas_dispute_default outcome, int64_t at_us)
{
	struct raas_dispute_action a = {kind, dispute, result, outcome, at_us};
	struct raas_err err;

	assert_int_equal(raas_ledger_add_dispute_action(l, &a, &err), RAAS_OK);
}

/* The status the listing at now gives result id. */
static char *status_of(struct raas_ledger *l, const char *id, int64_t now)
{
	char *all = listing(l, now), *p, *q, key[128], *out;

	snprintf(key, sizeof key, "{\"id\":\"%s\",\"name\":\"lead\",\"status\":\"", id);
	p = strstr(all, key);
	assert_non_null(p);
	p += strlen(key);
	q = strchr(p, '"');
	out = raas_strndup(p, (size_t)(q - p));
	raas_free(all);
	return out;
}

static void expect_status(struct raas_ledger *l, const char *id, const char *when, const char *want)
{
	char *got = status_of(l, id, at(when));
	assert_string_equal(got, want);
	raas_free(got);
}

/* The invoice's "total" at now for the period containing t. */
static void expect_total(struct raas_ledger *l, const char *t, const char *now, const char *want)
{
	char *doc = invoice(l, at(t), at(now)), key[64];

	snprintf(key, sizeof key, "\"total\":\"%s\"", want);
	if (!strstr(doc, key))
		fail_msg("invoice of %s at %s: want total %s in %s", t, now, want, doc);
	raas_free(doc);
}

/* Disputes (server.md, settlement.md): an open dispute stops a result from being billed, an
 * upheld one restores it, a voided one (by a person or at opened + resolve_within, the
 * default outcome) removes it for good; on a locked period they act through adjustments, and
 * every action is seen by its clock like an event by its received time. */
static void disputes_change_status_and_billing(void **state)
{
	static const char doc[] =
	        "{\"id\":\"leads\",\"customer\":\"acme\",\"currency\":\"USD\",\"period\":"
	        "\"month\",\"start\":\"2026-01-01\",\"lock_after\":\"5d\",\"corrections_within\":"
	        "\"90d\",\"dispute_within\":\"14d\",\"resolve_within\":\"10d\",\"results\":[{"
	        "\"name\":\"lead\",\"on\":\"lead.created\",\"entity\":\"lead_id\",\"price\":{"
	        "\"model\":\"unit\",\"amount\":\"10.00\"}}]}";
	struct raas_ledger *l = ledger_for(doc, at("2026-01-01T00:00:00Z"));
	struct raas_dispute_state ds;
	const char *l1 = "leads/lead:L1", *l2 = "leads/lead:L2";

	(void)state;
	add(l,
	    "{\"id\":\"e1\",\"customer\":\"acme\",\"type\":\"lead.created\",\"time\":"
	    "\"2026-01-05T00:00:00Z\",\"properties\":{\"lead_id\":\"L1\"}}",
	    at("2026-01-07T00:00:00Z"));
	add(l,
	    "{\"id\":\"e2\",\"customer\":\"acme\",\"type\":\"lead.created\",\"time\":"
	    "\"2026-01-06T00:00:00Z\",\"properties\":{\"lead_id\":\"L2\"}}",
	    at("2026-01-07T00:00:00Z"));
	expect_status(l, l1, "2026-01-08T00:00:00Z", "confirmed");
	expect_total(l, "2026-01-15T00:00:00Z", "2026-01-08T00:00:00Z", "20.00");

	/* Open, then upheld: not billed while open, billed again after. */
	act(l, RAAS_DISPUTE_OPEN, "leads/lead:L1#1", l1, RAAS_DISPUTE_VOIDED,
	    at("2026-01-09T00:00:00Z"));
	expect_status(l, l1, "2026-01-08T23:59:59Z", "confirmed");
	expect_status(l, l1, "2026-01-09T00:00:00Z", "disputed");
	expect_total(l, "2026-01-15T00:00:00Z", "2026-01-10T00:00:00Z", "10.00");
	act(l, RAAS_DISPUTE_RESOLVE, "leads/lead:L1#1", l1, RAAS_DISPUTE_UPHELD,
	    at("2026-01-12T00:00:00Z"));
	expect_status(l, l1, "2026-01-11T00:00:00Z", "disputed");
	expect_status(l, l1, "2026-01-12T00:00:00Z", "confirmed");
	expect_total(l, "2026-01-15T00:00:00Z", "2026-01-13T00:00:00Z", "20.00");
	raas_ledger_dispute_state(l, l1, at("2026-01-13T00:00:00Z"), &ds);
	assert_int_equal(ds.count, 1);
	assert_false(ds.open);
	assert_false(ds.automatic);
	assert_int_equal(ds.outcome, RAAS_DISPUTE_UPHELD);

	/* Never resolved by a person: at opened + resolve_within the default (voided). */
	act(l, RAAS_DISPUTE_OPEN, "leads/lead:L2#1", l2, RAAS_DISPUTE_VOIDED,
	    at("2026-01-14T00:00:00Z"));
	expect_status(l, l2, "2026-01-23T23:59:59Z", "disputed");
	expect_status(l, l2, "2026-01-24T00:00:00Z", "voided");
	raas_ledger_dispute_state(l, l2, at("2026-01-24T00:00:00Z"), &ds);
	assert_true(ds.automatic);
	assert_true(ds.resolved_us == at("2026-01-24T00:00:00Z"));
	assert_string_equal(ds.dispute, "leads/lead:L2#1");
	/* A resolution a person gives after the instant changes nothing. */
	act(l, RAAS_DISPUTE_RESOLVE, "leads/lead:L2#1", l2, RAAS_DISPUTE_UPHELD,
	    at("2026-01-25T00:00:00Z"));
	expect_status(l, l2, "2026-01-26T00:00:00Z", "voided");
	/* The locked January invoice bills L1 only. */
	expect_total(l, "2026-01-15T00:00:00Z", "2026-02-05T00:00:00Z", "10.00");

	/* On a locked period: a dispute is a negative adjustment on the next invoice, and an
	 * upheld resolution takes it back; the locked invoice itself never changes. */
	act(l, RAAS_DISPUTE_OPEN, "leads/lead:L1#2", l1, RAAS_DISPUTE_VOIDED,
	    at("2026-02-07T00:00:00Z"));
	expect_total(l, "2026-02-15T00:00:00Z", "2026-02-08T00:00:00Z", "-10.00");
	expect_total(l, "2026-01-15T00:00:00Z", "2026-02-08T00:00:00Z", "10.00");
	act(l, RAAS_DISPUTE_RESOLVE, "leads/lead:L1#2", l1, RAAS_DISPUTE_UPHELD,
	    at("2026-02-10T00:00:00Z"));
	expect_total(l, "2026-02-15T00:00:00Z", "2026-02-11T00:00:00Z", "0.00");
	raas_ledger_dispute_state(l, l1, at("2026-02-11T00:00:00Z"), &ds);
	assert_int_equal(ds.count, 2);
	raas_ledger_free(l);
}

static void no_contract_before_its_first_version(void **state)
{
	struct raas_ledger *l = ledger_for(leads_contract, at("2026-01-05T00:00:00Z"));
	struct raas_buf b;
	struct raas_err err;
	char *s;

	(void)state;
	raas_buf_init(&b, 1 << 20);
	assert_int_equal(raas_ledger_results(l, at("2026-01-04T00:00:00Z"), NULL, &b, &err),
	                 RAAS_E_INPUT);
	assert_string_equal(err.message, "contract leads was not applied yet at this clock");
	s = invoice(l, at("2026-01-05T00:00:00Z"), at("2026-01-04T23:59:59Z"));
	assert_string_equal(s, "contract leads was not applied yet at this clock");
	raas_free(s);
	/* At the clock it was applied, it is known (a draft sees what is at or before now). */
	assert_int_equal(raas_ledger_results(l, at("2026-01-05T00:00:00Z"), NULL, &b, &err),
	                 RAAS_OK);
	assert_int_equal((int)b.len, 0);
	raas_buf_free(&b);
	raas_ledger_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(shuffled_arrival_gives_identical_bytes),
	        cmocka_unit_test(partial_first_period_prorates_by_days),
	        cmocka_unit_test(overflow_names_contract_and_period),
	        cmocka_unit_test(no_contract_before_its_first_version),
	        cmocka_unit_test(disputes_change_status_and_billing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
