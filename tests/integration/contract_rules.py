#!/usr/bin/env python3
"""contract_rules.py RAAS VECTORS.json — `raas contract apply|show|list` rule by rule
(contracts.md top-level fields, result definitions and Versions; cli.md exit codes, problem
lines and the clock), each case in a fresh `raas init` directory: the engine-basic documents
(VECTORS.json, ../shared/vectors/engine-basic.json), a sample of validation problems with
their exact `PATH: MESSAGE` lines, every problem listed at once, each allowed and each
forbidden change of a new version, identical re-applies, --effective, the end of a version,
show --version, show of an unknown id, the list output and the clock rule.

Every check compares the exit code, stdout byte for byte and stderr exactly where it is a
message. Exits 1 if any check fails.
"""
import copy
import json
import os
import sys

from raas_cases import Suite, compact

S = Suite("contract rules", "raas-contract-rules-")
RAAS = S.raas
VECTORS = sys.argv[2]
WORK = S.work
case = S.case
fresh = S.fresh
run = S.run
expect = S.expect

with open(VECTORS, encoding="utf-8") as f:
    STEPS = json.load(f)["steps"]
ACME = STEPS[0]["doc"]  # acme-leads-2026: +08:00, month, lock_after 5d, fees, minimum, cap
HIRE = STEPS[1]["doc"]  # hireco-2026: Z, month, lock_after 0d, clawback
JAN1 = "2026-01-01T00:00:00Z"
APR15 = "2026-04-15T00:00:00Z"
CANNOT = "cannot change in a new version"
NEW_ID = "use a new contract id"


def apply(data, doc, now=JAN1, *extra):
    """Writes DOC (a dict, or the exact text) to a file and applies it."""
    return S.apply(data, doc, now, *extra)


def ok(id_, version):
    return '{"id":%s,"version":%d}\n' % (json.dumps(id_), version)


def problems(*lines):
    return "".join(l + "\n" for l in lines)


def list_line(id_, customer, version, effective, applied):
    return compact({"id": id_, "customer": customer, "version": version,
                    "effective": effective, "applied": applied}) + "\n"


def show_doc(id_, version, customer, effective, applied, doc):
    return compact({"id": id_, "version": version, "customer": customer,
                    "effective": effective, "applied": applied, "document": doc}) + "\n"


def mutate(base, fn):
    doc = copy.deepcopy(base)
    fn(doc)
    return doc


def setf(key, value):
    return lambda d: d.__setitem__(key, value)


def drop(key):
    return lambda d: d.pop(key)


def res0(key, value):
    return lambda d: d["results"][0].__setitem__(key, value)


def res0_drop(*keys):
    def f(d):
        for k in keys:
            d["results"][0].pop(k)
    return f


def acme_v1(d):
    expect("apply acme v1", apply(d, ACME), 0, ok("acme-leads-2026", 1), "")


ACME_V1_LIST = list_line("acme-leads-2026", "acme", 1, "2026-01-01", JAN1)


# ---------------------------------------------------------------- engine-basic documents


@case
def engine_basic_documents():
    d = fresh()
    expect("step 0", apply(d, STEPS[0]["doc"], STEPS[0]["now"]), 0, ok("acme-leads-2026", 1), "")
    expect("step 1", apply(d, STEPS[1]["doc"], STEPS[1]["now"]), 0, ok("hireco-2026", 1), "")
    expect("step 2 (a misspelt field)", apply(d, STEPS[2]["doc"], STEPS[2]["now"]), 2, "",
           problems("clawback_whithin: unknown field"))
    expect("list", run(d, "contract", "list"), 0,
           ACME_V1_LIST + list_line("hireco-2026", "hireco", 1, "2026-01-01", JAN1), "")
    expect("show acme", run(d, "contract", "show", "acme-leads-2026"), 0,
           show_doc("acme-leads-2026", 1, "acme", "2026-01-01", JAN1, ACME), "")
    s = STEPS[16]
    expect("step 16 (--effective into a locked period)",
           apply(d, s["doc"], s["now"], "--effective", s["effective"]), 2, "",
           problems("--effective: the period containing 2026-03-10 is locked (since "
                    "2026-04-01T00:00:00Z): a new version can only govern periods that are "
                    "not locked yet"))
    s = STEPS[17]
    expect("step 17 (hold changed)", apply(d, s["doc"], s["now"]), 2, "",
           problems(f"results: {CANNOT} (a result definition changed, and only its price "
                    f"may); {NEW_ID}",
                    f"results[0].hold: {CANNOT} (it was 0s, now 7d); {NEW_ID}"))
    expect("step 18 (price changed)", apply(d, STEPS[18]["doc"], STEPS[18]["now"]), 0,
           ok("hireco-2026", 2), "")
    expect("step 19 (identical)", apply(d, STEPS[19]["doc"], STEPS[19]["now"]), 0,
           ok("hireco-2026", 2), "")
    expect("list after the versions", run(d, "contract", "list"), 0,
           ACME_V1_LIST + list_line("hireco-2026", "hireco", 2, "2026-04-01", APR15), "")
    expect("show hireco (latest)", run(d, "contract", "show", "hireco-2026"), 0,
           show_doc("hireco-2026", 2, "hireco", "2026-04-01", APR15, STEPS[18]["doc"]), "")


# ---------------------------------------------------------------- validation problems

AMOUNT_RULE = ('write digits with an optional point and 1 to 12 decimals ("12.50", '
               '"0.000125"), no sign or exponent')
DURATION_RULE = ('expected a non-negative integer and a unit d, h, m or s ("90d", "36h", '
                 '"30m", "45s")')
ID_CHARS = "1 to 128 bytes of A-Z a-z 0-9 . _ : -"
TZ_RULE = 'not a time zone: expected "Z" or a fixed offset "+HH:MM" / "-HH:MM"'

VALIDATION = [
    # unknown fields at several depths
    ("unknown top-level field", setf("foo", 1), "foo: unknown field"),
    ("misspelt top-level field", setf("corrections_whithin", "1d"),
     'corrections_whithin: unknown field (did you mean "corrections_within"?)'),
    ("unknown result field", res0("clawback_whithin", "30d"),
     'results[0].clawback_whithin: unknown field (did you mean "clawback_within"?)'),
    ("unknown reversed_by field", res0("reversed_by", {"on": "employee.left", "within": "3d"}),
     "results[0].reversed_by.within: unknown field"),
    ("unknown requires field", res0("requires", {"on": "x", "within": "1d", "wher": "a == 1"}),
     'results[0].requires.wher: unknown field (did you mean "where"?)'),
    ("field of another price model",
     res0("price", {"model": "unit", "amount": "1", "tiers": []}),
     "results[0].price.tiers: not a field of the unit model"),
    ("unknown tier field",
     res0("price", {"model": "graduated", "tiers": [{"up_to": None, "amount": "1", "x": 1}]}),
     "results[0].price.tiers[0].x: unknown field (a tier has up_to, amount and flat)"),
    ("unknown fee field", setf("fees", [{"name": "x", "amount": "1", "extra": 1}]),
     "fees[0].extra: unknown field"),
    # wrong types and values of top-level fields
    ("id a number", setf("id", 5), f"id: must be a string of {ID_CHARS}, not a number"),
    ("id with a slash", setf("id", "a/b"),
     f'id: "a/b": character \'/\' at byte 2 is not allowed (expected {ID_CHARS})'),
    ("id empty", setf("id", ""), f"id: must not be empty ({ID_CHARS})"),
    ("id of 129 bytes", setf("id", "a" * 129), f"id: is 129 bytes long (expected {ID_CHARS})"),
    ("customer with a space", setf("customer", "a b"),
     f'customer: "a b": character \' \' at byte 2 is not allowed (expected {ID_CHARS})'),
    ("currency lower-case", setf("currency", "usd"),
     'currency: "usd" is not three upper-case letters (an ISO 4217 code such as "USD")'),
    ("currency a number", setf("currency", 840),
     'currency: must be a string of three upper-case letters (an ISO 4217 code such as '
     '"USD"), not a number'),
    ("currency unknown", setf("currency", "ABC"),
     'currency: "ABC" is not a currency raas knows: add "currency_exponent" (0 to 6) to say '
     'how many decimals its amounts have'),
    ("currency without a minor unit", setf("currency", "XAU"),
     'currency: "XAU" has no minor unit: add "currency_exponent" (0 to 6) to say how many '
     'decimals its amounts have'),
    ("currency_exponent 7", setf("currency_exponent", 7),
     "currency_exponent: must be a whole number from 0 to 6 (got 7)"),
    ("timezone a zone name", setf("timezone", "Asia/Shanghai"), f'timezone: "Asia/Shanghai": {TZ_RULE}'),
    ("timezone +8:00", setf("timezone", "+8:00"), f'timezone: "+8:00": {TZ_RULE}'),
    ("period day", setf("period", "day"),
     'period: "day": unknown period: expected "week", "month", "quarter" or "year"'),
    ("period missing", drop("period"), 'period: required: "week", "month", "quarter" or "year"'),
    ("start Feb 30", setf("start", "2026-02-30"), 'start: "2026-02-30": day 30 does not exist in 2026-02'),
    ("start a timestamp", setf("start", "2026-01-01T00:00:00Z"),
     'start: "2026-01-01T00:00:00Z": not a date: expected YYYY-MM-DD (nothing after it)'),
    ("end before start", setf("end", "2025-12-31"),
     "end: must be after start (2026-01-01); end is exclusive"),
    ("end equal to start", setf("end", "2026-01-01"),
     "end: must be after start (2026-01-01); end is exclusive"),
    ("lock_after with words", setf("lock_after", "5 days"),
     f'lock_after: "5 days": not a duration: {DURATION_RULE}'),
    ("lock_after in months", setf("lock_after", "1mo"),
     f'lock_after: "1mo": not a duration: {DURATION_RULE}'),
    ("lock_after negative", setf("lock_after", "-1d"),
     f'lock_after: "-1d": not a duration: {DURATION_RULE}'),
    ("lock_after a number", setf("lock_after", 5),
     'lock_after: must be a duration string such as "14d" (units d, h, m, s), not a number'),
    ("dispute_within in weeks", setf("dispute_within", "2w"),
     'dispute_within: "2w": weeks, months and years are not durations: use d, h, m or s'),
    ("resolve_within bad", setf("resolve_within", "x"),
     f'resolve_within: "x": not a duration: {DURATION_RULE}'),
    ("dispute_default bad", setf("dispute_default", "rejected"),
     'dispute_default: "rejected": must be "voided" or "upheld"'),
    ("corrections_within < lock_after",
     lambda d: d.update(lock_after="10d", corrections_within="5d"),
     "corrections_within: must be at least lock_after (10d)"),
    ("cap < minimum", lambda d: d.update(minimum="100.00", cap="99.99"),
     'cap: must be at least minimum ("100.00")'),
    ("minimum a number", setf("minimum", 100),
     'minimum: must be a decimal string such as "12.50", not a number'),
    ("minimum .5", setf("minimum", ".5"), f'minimum: ".5" is not an amount: {AMOUNT_RULE}'),
    ("duplicate fee names", setf("fees", [{"name": "a", "amount": "1"}, {"name": "a", "amount": "2"}]),
     'fees[1].name: repeats fees[0].name "a"'),
    ("results empty", setf("results", []), "results: must hold 1 to 64 result definitions (got 0)"),
    ("results missing", drop("results"), "results: required: a list of 1 to 64 result definitions"),
    # result definitions
    ("duplicate result names", lambda d: d["results"].append(copy.deepcopy(d["results"][0])),
     'results[1].name: repeats results[0].name "hire"'),
    ("result name upper-case", res0("name", "Hire"),
     'results[0].name: "Hire": character \'H\' at byte 1 is not allowed (expected 1 to 64 '
     'bytes of a-z 0-9 _)'),
    ("on with a space", res0("on", "a b"),
     f'results[0].on: "a b": character \' \' at byte 2 is not allowed (expected {ID_CHARS})'),
    ("clawback_within without reversed_by", res0_drop("reversed_by"),
     "results[0].clawback_within: requires reversed_by: without it nothing can claw a result back"),
    ("clawback_within not longer than hold", res0("hold", "90d"),
     "results[0].clawback_within: must be longer than hold (90d)"),
    ("reversed_by without entity", res0_drop("entity", "clawback_within"),
     "results[0].reversed_by: requires entity: a reversal event is matched to its result by "
     "the entity value"),
    ("requires without entity",
     lambda d: (res0_drop("entity", "clawback_within", "reversed_by")(d),
                res0("requires", {"on": "click", "within": "7d"})(d)),
     "results[0].requires: requires entity: an attribution event is matched to its result by "
     "the entity value"),
    ("requires.within without a unit", res0("requires", {"on": "click", "within": "7"}),
     f'results[0].requires.within: "7": not a duration: {DURATION_RULE}: the unit is missing'),
    ("requires without within", res0("requires", {"on": "click"}),
     'results[0].requires.within: required: how long before the result the attribution event '
     'may be, a duration such as "30d"'),
    ("measure value without value",
     res0("price", {"model": "unit", "amount": "1", "measure": "value"}),
     'results[0].value: required by measure "value": the property path that holds each '
     "result's value"),
    ("percentage without value", res0("price", {"model": "percentage", "rate": "0.1"}),
     "results[0].value: required by the percentage model: the property path that holds each "
     "result's value"),
    ("price without amount", res0("price", {"model": "unit"}),
     'results[0].price.amount: required (a decimal string such as "12.50")'),
    ("where syntax error", res0("where", "score >= && x"),
     "results[0].where: column 10: expected a property path or a literal after '>=', found '&&'"),
    ("where a bare path", res0("where", "is_test"),
     "results[0].where: column 1: a bare property path is not a condition (write "
     "exists(is_test) or is_test == true)"),
    ("reversed_by.where syntax error", res0("reversed_by", {"on": "employee.left", "where": "a == "}),
     "results[0].reversed_by.where: column 6: expected a property path or a literal after "
     "'==', found the end of the expression"),
]


@case
def validation_problems():
    for name, fn, line in VALIDATION:
        d = fresh()
        expect(name, apply(d, mutate(HIRE, fn)), 2, "", problems(line))
        expect(f"{name}: nothing stored", run(d, "contract", "list"), 0, "", "")


@case
def valid_variants_are_accepted():
    for name, fn in (("currency XAU with currency_exponent", lambda d: d.update(currency="XAU", currency_exponent=3)),
                     ("timezone -00:00 (docs/decisions.md: UTC)", setf("timezone", "-00:00")),
                     ("corrections_within = lock_after", lambda d: d.update(lock_after="10d", corrections_within="240h")),
                     ("cap = minimum", lambda d: d.update(minimum="100.00", cap="100"))):
        d = fresh()
        expect(name, apply(d, mutate(HIRE, fn)), 0, ok("hireco-2026", 1), "")


@case
def every_problem_listed_at_once():
    def many(d):
        d.update(foo=1, currency="usd", period="day", lock_after="10d", corrections_within="5d",
                 minimum="10", cap="5")
        d["results"][0]["where"] = "a =="
        d["results"][0]["bogus"] = 1
        d["results"].append({"name": "hire", "on": "x", "price": {"model": "unit"}})
    d = fresh()
    expect("nine problems", apply(d, mutate(HIRE, many)), 2, "", problems(
        'currency: "usd" is not three upper-case letters (an ISO 4217 code such as "USD")',
        'period: "day": unknown period: expected "week", "month", "quarter" or "year"',
        "corrections_within: must be at least lock_after (10d)",
        "results[0].where: column 5: expected a property path or a literal after '==', found "
        "the end of the expression",
        "results[0].bogus: unknown field",
        'results[1].name: repeats results[0].name "hire"',
        'results[1].price.amount: required (a decimal string such as "12.50")',
        "foo: unknown field",
        'cap: must be at least minimum ("10")'))
    expect("an empty object", apply(fresh(), "{}"), 2, "", problems(
        f"id: required: the contract's id ({ID_CHARS})",
        "customer: required: the customer id its events carry",
        'currency: required: an ISO 4217 code such as "USD"',
        'period: required: "week", "month", "quarter" or "year"',
        'start: required: the first day of the contract, "YYYY-MM-DD"',
        "results: required: a list of 1 to 64 result definitions"))
    d = fresh()
    acme_v1(d)
    expect("every forbidden change at once", apply(d, mutate(ACME, lambda x: x.update(
        customer="beta", currency="USD", period="week", timezone="Z", start="2026-01-05",
        lock_after="1d", corrections_within="1d")), APR15), 2, "", problems(
        f'customer: {CANNOT} (it was "acme", now "beta"); {NEW_ID}',
        f"currency: {CANNOT} (it was CNY, now USD); {NEW_ID}",
        f"timezone: {CANNOT} (it was +08:00, now Z); {NEW_ID}",
        f"period: {CANNOT} (it was month, now week); {NEW_ID}",
        f'start: {CANNOT} (it was "2026-01-01", now "2026-01-05"); {NEW_ID}',
        f"lock_after: {CANNOT} (it was 5d, now 1d); {NEW_ID}",
        f"corrections_within: {CANNOT} (it was 90d, now 1d); {NEW_ID}"))


@case
def json_syntax():
    expect("malformed JSON", apply(fresh(), '{"id": "x",\n "customer": }'), 2, "",
           problems("line 2, column 14: expected a value"))
    s = compact(HIRE).replace('"amount":"3000.00"', '"amount":"3000.00","amount":"1"')
    col = s.index('"amount":"1"') + 1
    expect("a repeated key in a price", apply(fresh(), s), 2, "",
           problems(f'line 1, column {col}: repeated key "amount"'))
    s = compact(HIRE)[:-1] + ',"results":[]}'
    expect("a repeated top-level key", apply(fresh(), s), 2, "",
           problems(f'line 1, column {len(compact(HIRE)) + 1}: repeated key "results"'))
    expect("a string", apply(fresh(), '"x"'), 2, "", problems(
        'a contract must be a JSON object {"id": ..., "results": [...], ...}, not a string'))
    expect("a list", apply(fresh(), "[1]"), 2, "", problems(
        'a contract must be a JSON object {"id": ..., "results": [...], ...}, not a list'))


# ---------------------------------------------------------------- versions

ALLOWED = [
    ("price", res0("price", {"model": "unit", "amount": "45.00"})),
    ("measure stated", res0("price", {"model": "unit", "amount": "50.00", "measure": "count"})),
    ("fees", setf("fees", [{"name": "platform", "amount": "600.00"}, {"name": "support", "amount": "1"}])),
    ("fees removed", drop("fees")),
    ("minimum", setf("minimum", "900.00")),
    ("minimum removed", drop("minimum")),
    ("cap", setf("cap", "30000.00")),
    ("end later", setf("end", "2028-01-01")),
    ("end earlier", setf("end", "2026-05-01")),
    ("end removed", drop("end")),
    ("dispute_within", setf("dispute_within", "7d")),
    ("resolve_within", setf("resolve_within", "10d")),
    ("dispute_default", setf("dispute_default", "upheld")),
]


@case
def allowed_changes_create_version_2():
    for name, fn in ALLOWED:
        d = fresh()
        acme_v1(d)
        v2 = mutate(ACME, fn)
        expect(f"{name}: version 2", apply(d, v2, APR15), 0, ok("acme-leads-2026", 2), "")
        expect(f"{name}: show", run(d, "contract", "show", "acme-leads-2026"), 0,
               show_doc("acme-leads-2026", 2, "acme", "2026-04-01", APR15, v2), "")
        expect(f"{name}: list", run(d, "contract", "list"), 0,
               list_line("acme-leads-2026", "acme", 2, "2026-04-01", APR15), "")


RESULT_CHANGED = f"results: {CANNOT} (a result definition changed, and only its price may); {NEW_ID}"
WHERE0 = "source == 'vendor' && score >= 60"
FORBIDDEN = [
    ("customer", ACME, setf("customer", "beta"), [f'customer: {CANNOT} (it was "acme", now "beta"); {NEW_ID}']),
    ("currency", ACME, setf("currency", "USD"), [f"currency: {CANNOT} (it was CNY, now USD); {NEW_ID}"]),
    ("currency_exponent", ACME, setf("currency_exponent", 0),
     [f"currency_exponent: {CANNOT} (it was 2, now 0); {NEW_ID}"]),
    ("timezone", ACME, setf("timezone", "Z"), [f"timezone: {CANNOT} (it was +08:00, now Z); {NEW_ID}"]),
    ("period", ACME, setf("period", "quarter"), [f"period: {CANNOT} (it was month, now quarter); {NEW_ID}"]),
    ("start", ACME, setf("start", "2026-01-02"),
     [f'start: {CANNOT} (it was "2026-01-01", now "2026-01-02"); {NEW_ID}']),
    ("lock_after", ACME, setf("lock_after", "6d"), [f"lock_after: {CANNOT} (it was 5d, now 6d); {NEW_ID}"]),
    ("corrections_within", ACME, setf("corrections_within", "91d"),
     [f"corrections_within: {CANNOT} (it was 90d, now 91d); {NEW_ID}"]),
    ("result on", ACME, res0("on", "lead.made"),
     [RESULT_CHANGED, f'results[0].on: {CANNOT} (it was "lead.created", now "lead.made"); {NEW_ID}']),
    ("result where", ACME, res0("where", "source == 'vendor' && score >= 61"),
     [RESULT_CHANGED, f'results[0].where: {CANNOT} (it was "{WHERE0}", now "source == \'vendor\' '
                      f'&& score >= 61"); {NEW_ID}']),
    ("result where removed", ACME, res0_drop("where"),
     [RESULT_CHANGED, f'results[0].where: {CANNOT} (it was "{WHERE0}", now not set); {NEW_ID}']),
    ("result where respaced", ACME, res0("where", "source=='vendor' && score>=60"),
     [RESULT_CHANGED, f'results[0].where: {CANNOT} (it was "{WHERE0}", now '
                      f'"source==\'vendor\' && score>=60"); {NEW_ID}']),
    ("result entity", ACME, res0("entity", "lead"),
     [RESULT_CHANGED, f'results[0].entity: {CANNOT} (it was "lead_id", now "lead"); {NEW_ID}']),
    ("result value", ACME, res0("value", "amount"),
     [RESULT_CHANGED, f'results[0].value: {CANNOT} (it was not set, now "amount"); {NEW_ID}']),
    ("result hold", ACME, res0("hold", "15d"),
     [RESULT_CHANGED, f"results[0].hold: {CANNOT} (it was 14d, now 15d); {NEW_ID}"]),
    ("result reversed_by.on", ACME, res0("reversed_by", {"on": "lead.bad"}),
     [RESULT_CHANGED, f'results[0].reversed_by.on: {CANNOT} (it was "lead.rejected", now '
                      f'"lead.bad"); {NEW_ID}']),
    ("result reversed_by.where", ACME, res0("reversed_by", {"on": "lead.rejected", "where": "x == 1"}),
     [RESULT_CHANGED, f'results[0].reversed_by.where: {CANNOT} (it was not set, now "x == 1"); '
                      f'{NEW_ID}']),
    ("result reversed_by removed", HIRE, res0_drop("reversed_by", "clawback_within", "entity"),
     [RESULT_CHANGED, f'results[0].entity: {CANNOT} (it was "candidate_id", now not set); {NEW_ID}',
      f"results[0].reversed_by: {CANNOT} (it was set, now not set); {NEW_ID}",
      f"results[0].clawback_within: {CANNOT} (it was 90d, now not set); {NEW_ID}"]),
    ("result clawback_within", ACME, res0("clawback_within", "30d"),
     [RESULT_CHANGED, f"results[0].clawback_within: {CANNOT} (it was not set, now 30d); {NEW_ID}"]),
    ("result clawback_within changed", HIRE, res0("clawback_within", "60d"),
     [RESULT_CHANGED, f"results[0].clawback_within: {CANNOT} (it was 90d, now 60d); {NEW_ID}"]),
    ("result requires added", ACME, res0("requires", {"on": "e", "within": "1d"}),
     [RESULT_CHANGED, f"results[0].requires: {CANNOT} (it was not set, now set); {NEW_ID}"]),
    ("result added", ACME, lambda d: d["results"].append(
        {"name": "other", "on": "x.y", "price": {"model": "unit", "amount": "1"}}),
     [f"results: {CANNOT} (the list of results was [qualified_lead], now [qualified_lead, "
      f"other]; only prices may change); {NEW_ID}"]),
    ("result renamed", ACME, res0("name", "lead"),
     [f"results: {CANNOT} (the list of results was [qualified_lead], now [lead]; only prices "
      f"may change); {NEW_ID}"]),
]
ACME_REQ = mutate(ACME, res0("requires", {"on": "click", "within": "7d"}))
FORBIDDEN += [
    ("requires.within", ACME_REQ, res0("requires", {"on": "click", "within": "8d"}),
     [RESULT_CHANGED, f"results[0].requires.within: {CANNOT} (it was 7d, now 8d); {NEW_ID}"]),
    ("requires.on", ACME_REQ, res0("requires", {"on": "tap", "within": "7d"}),
     [RESULT_CHANGED, f'results[0].requires.on: {CANNOT} (it was "click", now "tap"); {NEW_ID}']),
    ("requires.where", ACME_REQ, res0("requires", {"on": "click", "within": "7d", "where": "a == 1"}),
     [RESULT_CHANGED, f'results[0].requires.where: {CANNOT} (it was not set, now "a == 1"); {NEW_ID}']),
    ("requires removed", ACME_REQ, res0_drop("requires"),
     [RESULT_CHANGED, f"results[0].requires: {CANNOT} (it was set, now not set); {NEW_ID}"]),
]


@case
def forbidden_changes_are_rejected():
    for name, base, fn, lines in FORBIDDEN:
        d = fresh()
        expect(f"{name}: version 1", apply(d, base), 0, ok(base["id"], 1), "")
        for l in lines:
            if CANNOT not in l:
                S.note(f"{name}: test line lacks {CANNOT!r}: {l}")
        expect(f"{name}: rejected", apply(d, mutate(base, fn), APR15), 2, "", problems(*lines))
        expect(f"{name}: nothing recorded", run(d, "contract", "list"), 0,
               list_line(base["id"], base["customer"], 1, "2026-01-01", JAN1), "")
    d = fresh()
    v1 = mutate(ACME, lambda x: x["results"].append(
        {"name": "other", "on": "x.y", "price": {"model": "unit", "amount": "1"}}))
    expect("result removed: version 1", apply(d, v1), 0, ok("acme-leads-2026", 1), "")
    expect("result removed: rejected", apply(d, ACME, APR15), 2, "", problems(
        f"results: {CANNOT} (the list of results was [qualified_lead, other], now "
        f"[qualified_lead]; only prices may change); {NEW_ID}"))


@case
def identical_reapply_records_nothing():
    reordered = dict(reversed(list(ACME.items())))
    reordered["results"] = [dict(reversed(list(ACME["results"][0].items())))]
    forms = {
        "the same text": json.dumps(ACME),
        "keys reordered": json.dumps(reordered),
        "pretty-printed": json.dumps(ACME, indent=2),
        "1e2 for 100": json.dumps(ACME).replace('"up_to": 100,', '"up_to": 1e2,'),
        "escaped characters": json.dumps(ACME).replace("'vendor'", "'\\u0076endor'"),
    }
    for name, text in forms.items():
        d = fresh()
        acme_v1(d)
        expect(f"{name}: same version", apply(d, text, "2026-03-01T00:00:00Z"), 0,
               ok("acme-leads-2026", 1), "")
        expect(f"{name}: list unchanged", run(d, "contract", "list"), 0, ACME_V1_LIST, "")
        expect(f"{name}: show unchanged", run(d, "contract", "show", "acme-leads-2026"), 0,
               show_doc("acme-leads-2026", 1, "acme", "2026-01-01", JAN1, ACME), "")
    # Nothing recorded, not even the clock: a later version at an earlier clock is fine.
    d = fresh()
    acme_v1(d)
    expect("re-apply at 2026-03-01", apply(d, ACME, "2026-03-01T00:00:00Z"), 0,
           ok("acme-leads-2026", 1), "")
    v2 = mutate(ACME, setf("cap", "30000.00"))
    expect("then a version at 2026-02-15", apply(d, v2, "2026-02-15T00:00:00Z"), 0,
           ok("acme-leads-2026", 2), "")
    expect("re-applying the latest", apply(d, v2, "2026-02-16T00:00:00Z"), 0,
           ok("acme-leads-2026", 2), "")
    expect("re-applying version 1's document is a change", apply(d, ACME, "2026-02-16T00:00:00Z"),
           0, ok("acme-leads-2026", 3), "")
    expect("list", run(d, "contract", "list"), 0,
           list_line("acme-leads-2026", "acme", 3, "2026-02-01", "2026-02-16T00:00:00Z"), "")


# ---------------------------------------------------------------- --effective and end

LOCKED = ("--effective: the period containing {date} is locked (since {since}): a new version "
          "can only govern periods that are not locked yet")
CAP2 = mutate(ACME, setf("cap", "30000.00"))


@case
def effective_rules():
    d = fresh()
    expect("--effective on a first version", apply(d, ACME, JAN1, "--effective", "2026-03-01"), 2,
           "", problems("--effective: the first version of a contract governs from its start; "
                        "--effective is for later versions"))
    expect("nothing stored", run(d, "contract", "list"), 0, "", "")

    # March (+08:00) ends 2026-04-01T00:00+08:00 and locks 5 days later, 2026-04-05T16:00Z.
    d = fresh()
    acme_v1(d)
    expect("into a locked period", apply(d, CAP2, "2026-04-05T16:00:00Z", "--effective", "2026-03-10"),
           2, "", problems(LOCKED.format(date="2026-03-10", since="2026-04-06T00:00:00+08:00")))
    expect("nothing recorded", run(d, "contract", "list"), 0, ACME_V1_LIST, "")
    expect("into a period 1 us before it locks",
           apply(d, CAP2, "2026-04-05T15:59:59.999999Z", "--effective", "2026-03-10"), 0,
           ok("acme-leads-2026", 2), "")
    expect("list shows the effective date", run(d, "contract", "list"), 0,
           list_line("acme-leads-2026", "acme", 2, "2026-03-01", "2026-04-05T15:59:59.999999Z"), "")
    expect("show shows it too", run(d, "contract", "show", "acme-leads-2026"), 0,
           show_doc("acme-leads-2026", 2, "acme", "2026-03-01", "2026-04-05T15:59:59.999999Z",
                    CAP2), "")

    d = fresh()
    acme_v1(d)
    v = mutate(ACME, setf("cap", "40000.00"))
    expect("into a future period", apply(d, v, APR15, "--effective", "2026-07-31"), 0,
           ok("acme-leads-2026", 2), "")
    expect("effective 2026-07-01", run(d, "contract", "list"), 0,
           list_line("acme-leads-2026", "acme", 2, "2026-07-01", APR15), "")

    # Without --effective: the period that contains the clock, in the contract's zone.
    for now, eff in (("2026-03-31T15:59:59Z", "2026-03-01"), ("2026-03-31T16:00:00Z", "2026-04-01")):
        d = fresh()
        acme_v1(d)
        expect(f"default at {now}", apply(d, CAP2, now), 0, ok("acme-leads-2026", 2), "")
        expect(f"default at {now}: effective {eff}", run(d, "contract", "list"), 0,
               list_line("acme-leads-2026", "acme", 2, eff, now), "")

    d = fresh()
    acme_v1(d)
    expect("--effective not a date", apply(d, CAP2, APR15, "--effective", "2026-3-01"), 2, "",
           problems("--effective: not a date: expected YYYY-MM-DD"))
    expect("--effective a timestamp", apply(d, CAP2, APR15, "--effective", "2026-04-01T00:00:00Z"),
           2, "", problems("--effective: not a date: expected YYYY-MM-DD (nothing after it)"))


@case
def end_after_the_effective_period():
    msg = "end: must be after the start of the version's effective period ({})"
    for end, eff_start in (("2026-04-01", "2026-04-01T00:00:00+08:00"),
                           ("2026-03-15", "2026-04-01T00:00:00+08:00")):
        d = fresh()
        acme_v1(d)
        expect(f"end {end} in April", apply(d, mutate(ACME, setf("end", end)), APR15), 2, "",
               problems(msg.format(eff_start)))
        expect(f"end {end}: nothing recorded", run(d, "contract", "list"), 0, ACME_V1_LIST, "")
    d = fresh()
    acme_v1(d)
    expect("end 2026-05-01 in April", apply(d, mutate(ACME, setf("end", "2026-05-01")), APR15), 0,
           ok("acme-leads-2026", 2), "")
    d = fresh()
    acme_v1(d)
    expect("end 2026-07-01 with --effective 2026-07-01",
           apply(d, mutate(ACME, setf("end", "2026-07-01")), APR15, "--effective", "2026-07-01"),
           2, "", problems(msg.format("2026-07-01T00:00:00+08:00")))
    expect("end 2026-07-02 with --effective 2026-06-30",
           apply(d, mutate(ACME, setf("end", "2026-07-02")), APR15, "--effective", "2026-06-30"),
           0, ok("acme-leads-2026", 2), "")


# ---------------------------------------------------------------- show and list


@case
def show_versions():
    d = fresh()
    acme_v1(d)
    expect("version 2", apply(d, CAP2, APR15), 0, ok("acme-leads-2026", 2), "")
    v1 = show_doc("acme-leads-2026", 1, "acme", "2026-01-01", JAN1, ACME)
    v2 = show_doc("acme-leads-2026", 2, "acme", "2026-04-01", APR15, CAP2)
    expect("show (latest)", run(d, "contract", "show", "acme-leads-2026"), 0, v2, "")
    expect("show --version 1", run(d, "contract", "show", "acme-leads-2026", "--version", "1"),
           0, v1, "")
    expect("show --version 2", run(d, "contract", "show", "acme-leads-2026", "--version", "2"),
           0, v2, "")
    expect("show --version=1", run(d, "contract", "show", "acme-leads-2026", "--version=1"),
           0, v1, "")
    expect("show --version 1 before the id",
           run(d, "contract", "show", "--version", "1", "acme-leads-2026"), 0, v1, "")
    expect("show --version 3", run(d, "contract", "show", "acme-leads-2026", "--version", "3"),
           2, "", "acme-leads-2026: no such contract version 3\n")
    expect("show --version x", run(d, "contract", "show", "acme-leads-2026", "--version", "x"),
           2, "", "--version: must be a version number (1, 2, ...)\n")
    expect("show --version 0", run(d, "contract", "show", "acme-leads-2026", "--version", "0"),
           2, "", "--version: must be a version number (1, 2, ...)\n")


@case
def show_unknown_and_usage():
    d = fresh()
    acme_v1(d)
    expect("show an unknown id", run(d, "contract", "show", "nope"), 2, "",
           "nope: no such contract\n")
    expect("show without an id", run(d, "contract", "show"), 1, "",
           "missing argument (usage: raas contract show ID; see raas help contract show)\n")
    expect("list with an argument", run(d, "contract", "list", "x"), 1, "",
           "x: unexpected extra argument (see raas help)\n")
    expect("contract without a subcommand", run(d, "contract"), 1, "",
           "contract: needs a subcommand: apply, show, list (see raas help contract)\n")


@case
def list_sorted_by_id():
    d = fresh()
    expect("an empty list", run(d, "contract", "list"), 0, "", "")
    ids = ["b", "a_b", "a:b", "A", "a.b", "a-b", "a"]
    for i in ids:
        doc = mutate(HIRE, lambda x: x.update(id=i, customer="cust-" + i.replace(":", "c")))
        expect(f"apply {i}", apply(d, doc), 0, ok(i, 1), "")
    v2 = mutate(HIRE, lambda x: x.update(id="a", customer="cust-a"))
    v2["results"][0]["price"] = {"model": "unit", "amount": "1.00"}
    expect("a version 2 of a", apply(d, v2, APR15), 0, ok("a", 2), "")
    want = ""
    for i in sorted(ids, key=lambda s: s.encode()):
        c = "cust-" + i.replace(":", "c")
        want += (list_line(i, c, 2, "2026-04-01", APR15) if i == "a"
                 else list_line(i, c, 1, "2026-01-01", JAN1))
    expect("one line per contract, byte-sorted by id, latest version", run(d, "contract", "list"),
           0, want, "")


# ---------------------------------------------------------------- clock, files, directories


def clock_msg(given, recorded):
    return (f"--now: {given} is before the data directory's clock {recorded} "
            f"(a data directory's clock never goes backwards)\n")


@case
def apply_clock_rule():
    d = fresh()
    expect("v1 at 2026-02-01", apply(d, ACME, "2026-02-01T00:00:00Z"), 0, ok("acme-leads-2026", 1), "")
    expect("an earlier clock", apply(d, CAP2, "2026-01-31T23:59:59Z"), 2, "",
           clock_msg("2026-01-31T23:59:59Z", "2026-02-01T00:00:00Z"))
    expect("an identical document at an earlier clock", apply(d, ACME, "2026-01-31T23:59:59Z"), 2,
           "", clock_msg("2026-01-31T23:59:59Z", "2026-02-01T00:00:00Z"))
    expect("a forbidden change at a later clock", apply(d, mutate(ACME, setf("currency", "USD")),
                                                        "2026-03-10T00:00:00Z"), 2, "",
           problems(f"currency: {CANNOT} (it was CNY, now USD); {NEW_ID}"))
    expect("an invalid document at a later clock", apply(d, mutate(ACME, setf("foo", 1)),
                                                         "2026-03-10T00:00:00Z"), 2, "",
           problems("foo: unknown field"))
    expect("a locked --effective at a later clock",
           apply(d, CAP2, "2026-03-10T00:00:00Z", "--effective", "2026-01-15"), 2, "",
           problems(LOCKED.format(date="2026-01-15", since="2026-02-06T00:00:00+08:00")))
    expect("the failed commands recorded no clock", apply(d, CAP2, "2026-03-05T00:00:00Z"), 0,
           ok("acme-leads-2026", 2), "")
    expect("the successful one did", apply(d, mutate(ACME, setf("cap", "1000.00")),
                                           "2026-03-04T00:00:00Z"), 2, "",
           clock_msg("2026-03-04T00:00:00Z", "2026-03-05T00:00:00Z"))


@case
def files_and_directories():
    d = fresh()
    missing = os.path.join(WORK.name, "no-such-contract.json")
    expect("a missing FILE", run(d, "contract", "apply", missing, "--now", JAN1), 2, "",
           f"{missing}: cannot open: No such file or directory\n")
    nodir = os.path.join(WORK.name, "never-initialised")
    msg = f"{nodir}: not a raas data directory (create one with: raas init {nodir})\n"
    expect("apply in an uninitialised directory", apply(nodir, ACME), 2, "", msg)
    expect("show in an uninitialised directory", run(nodir, "contract", "show", "a"), 2, "", msg)
    expect("list in an uninitialised directory", run(nodir, "contract", "list"), 2, "", msg)


if __name__ == "__main__":
    sys.exit(S.main())
