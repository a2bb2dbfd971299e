#!/usr/bin/env python3
"""dispute_rules.py RAAS — the dispute rules of server.md and their effects of settlement.md,
driven through `raas dispute open|resolve` and `raas disputes`, each case in a fresh data
directory: the reasons and the note of `other`, one open dispute per result, the window
(lock of the period + dispute_within), which statuses can be disputed, resolution by a person
(upheld, voided) and by the clock (resolve_within, dispute_default), the effect on results,
drafts, locked invoices and adjustments, `late`, the listing and its filters, the clock rule
of writing commands, and that `raas verify` replays what disputes did.

Every check compares the exit code, stdout byte for byte and stderr. The expected invoice
totals are worked out by hand in the comments (unit price 10.00, monthly UTC periods,
lock_after 5d: January locks 2026-02-06, February 2026-03-06). Exits 1 if any case fails.
"""
import json
import sys

from raas_cases import Suite, compact

S = Suite("dispute rules", "raas-dispute-rules-")
case = S.case
expect = S.expect
run = S.run

CONTRACT = {"id": "leads", "customer": "acme", "currency": "USD", "period": "month",
            "start": "2026-01-01", "lock_after": "5d", "corrections_within": "90d",
            "dispute_within": "14d", "resolve_within": "10d",
            "results": [{"name": "lead", "on": "lead.created", "entity": "lead_id",
                         "hold": "2d", "reversed_by": {"on": "lead.rejected"},
                         "price": {"model": "unit", "amount": "10.00"}}]}
L1, L2 = "leads/lead:L1", "leads/lead:L2"


def lead(i, lead_id, time_):
    return compact({"id": f"e{i}", "customer": "acme", "type": "lead.created", "time": time_,
                    "properties": {"lead_id": lead_id}})


def setup(contract=CONTRACT):
    """L1 achieved 2026-01-05, L2 2026-01-06 (both confirmed two days later), received
    2026-01-07."""
    d = S.fresh()
    expect("apply", S.apply(d, contract, "2026-01-01T00:00:00Z"), 0)
    expect("ingest", S.ingest(d, [lead(1, "L1", "2026-01-05T00:00:00Z"),
                                  lead(2, "L2", "2026-01-06T00:00:00Z")],
                              "2026-01-07T00:00:00Z"), 0)
    return d


def doc(id_, result, reason, opened, status="open", resolved=None, by=None, note=None,
        rnote=None, contract="leads", customer="acme"):
    return compact({"id": id_, "result": result, "contract": contract, "customer": customer,
                    "reason": reason, "note": note, "opened": opened, "status": status,
                    "resolved": resolved, "resolved_by": by, "resolution_note": rnote}) + "\n"


def open_(d, result, now, reason="duplicate", *extra):
    return run(d, "dispute", "open", result, "--reason", reason, "--now", now, *extra)


def resolve(d, dispute, how, now, *extra):
    return run(d, "dispute", "resolve", dispute, how, "--now", now, *extra)


def status(d, result, now):
    rc, out, err = run(d, "results", "leads", "--now", now)
    for line in out.splitlines():
        r = json.loads(line)
        if r["id"] == result:
            return r["status"], r["late"]
    return None


def total(d, date, now):
    rc, out, err = run(d, "invoice", "leads", date, "--now", now)
    if rc != 0:
        return f"exit {rc}: {err.strip()}"
    inv = json.loads(out)
    return inv["total"], [(ln["type"], ln["amount"]) for ln in inv["lines"]
                          if ln["type"] == "adjustment"]


check = S.check  # GOT must equal WANT (raas_cases.Suite.check)


@case
def open_then_upheld():
    d = setup()
    expect("open", open_(d, L1, "2026-01-09T00:00:00Z"), 0,
           doc("leads/lead:L1#1", L1, "duplicate", "2026-01-09T00:00:00Z"), "")
    check("disputed from its opening on", [status(d, L1, t) for t in (
        "2026-01-08T23:59:59Z", "2026-01-09T00:00:00Z")],
        [("confirmed", False), ("disputed", False)])
    # January draft: L2 only while L1 is disputed: 10.00.
    check("a disputed result is not billed", total(d, "2026-01", "2026-01-10T00:00:00Z"),
          ("10.00", []))
    expect("a second open dispute on the same result", open_(d, L1, "2026-01-10T00:00:00Z"),
           2, "", f"{L1}: already disputed (dispute leads/lead:L1#1 is open)\n")
    expect("upheld, with a note", resolve(d, "leads/lead:L1#1", "--upheld",
                                          "2026-01-12T00:00:00Z", "--note", "checked: real"),
           0, doc("leads/lead:L1#1", L1, "duplicate", "2026-01-09T00:00:00Z", "upheld",
                  "2026-01-12T00:00:00Z", "person", rnote="checked: real"), "")
    check("upheld: confirmed and billed again", (status(d, L1, "2026-01-13T00:00:00Z"),
                                                 total(d, "2026-01", "2026-01-13T00:00:00Z")),
          (("confirmed", False), ("20.00", [])))
    expect("resolving twice", resolve(d, "leads/lead:L1#1", "--voided",
                                      "2026-01-13T00:00:00Z"), 2, "",
           "leads/lead:L1#1: resolved already: upheld (by a person at 2026-01-12T00:00:00Z)\n")
    expect("a later dispute of the same result is #2", open_(d, L1, "2026-01-14T00:00:00Z",
                                                             "not_achieved"), 0,
           doc("leads/lead:L1#2", L1, "not_achieved", "2026-01-14T00:00:00Z"), "")
    expect("the listing", run(d, "disputes", "--now", "2026-01-15T00:00:00Z"), 0,
           doc("leads/lead:L1#1", L1, "duplicate", "2026-01-09T00:00:00Z", "upheld",
               "2026-01-12T00:00:00Z", "person", rnote="checked: real") +
           doc("leads/lead:L1#2", L1, "not_achieved", "2026-01-14T00:00:00Z"), "")
    rc, out, err = run(d, "verify")
    check("raas verify", rc, 0)


@case
def voided_by_a_person_and_by_the_clock():
    d = setup()
    expect("open L1", open_(d, L1, "2026-01-09T00:00:00Z"), 0)
    expect("voided by a person", resolve(d, "leads/lead:L1#1", "--voided",
                                         "2026-01-10T00:00:00Z"), 0,
           doc("leads/lead:L1#1", L1, "duplicate", "2026-01-09T00:00:00Z", "voided",
               "2026-01-10T00:00:00Z", "person"), "")
    check("voided for good", status(d, L1, "2026-03-01T00:00:00Z"), ("voided", False))
    expect("a voided result cannot be disputed", open_(d, L1, "2026-01-11T00:00:00Z"), 2, "",
           f"{L1}: is voided: only a pending or confirmed result can be disputed\n")
    expect("open L2 (reason other with a note)", open_(
        d, L2, "2026-01-14T00:00:00Z", "other", "--note", "never heard of them"), 0,
        doc("leads/lead:L2#1", L2, "other", "2026-01-14T00:00:00Z", note="never heard of them"),
        "")
    # resolve_within 10d: at 2026-01-24T00:00:00Z the default (voided) applies.
    check("open until its resolve_within", [status(d, L2, t) for t in (
        "2026-01-23T23:59:59Z", "2026-01-24T00:00:00Z")],
        [("disputed", False), ("voided", False)])
    expect("the listing shows the automatic resolution", run(
        d, "disputes", "--status", "voided", "--now", "2026-01-24T00:00:00Z"), 0,
        doc("leads/lead:L1#1", L1, "duplicate", "2026-01-09T00:00:00Z", "voided",
            "2026-01-10T00:00:00Z", "person") +
        doc("leads/lead:L2#1", L2, "other", "2026-01-14T00:00:00Z", "voided",
            "2026-01-24T00:00:00Z", "automatic", note="never heard of them"), "")
    expect("a dispute resolved by the clock cannot be resolved by a person", resolve(
        d, "leads/lead:L2#1", "--upheld", "2026-01-25T00:00:00Z"), 2, "",
        "leads/lead:L2#1: resolved already: voided (automatically at 2026-01-24T00:00:00Z)\n")
    # Nothing billed in January: 0.00 (no fee, minimum or cap).
    check("the locked January invoice bills neither", total(d, "2026-01",
                                                            "2026-02-06T00:00:00Z"),
          ("0.00", []))
    expect("--status open now lists nothing", run(
        d, "disputes", "--status", "open", "--now", "2026-01-25T00:00:00Z"), 0, "", "")


@case
def default_upheld():
    c = dict(CONTRACT, dispute_default="upheld")
    d = setup(c)
    expect("open", open_(d, L1, "2026-01-09T00:00:00Z"), 0)
    check("upheld by the clock: billed again", (status(d, L1, "2026-01-19T00:00:00Z"),
                                                total(d, "2026-01", "2026-01-19T00:00:00Z")),
          (("confirmed", False), ("20.00", [])))


@case
def locked_periods_through_adjustments():
    d = setup()
    rc, out, err = run(d, "settle", "--now", "2026-02-06T00:00:00Z")
    check("January locks with both leads: 20.00", json.loads(out)["total"] if rc == 0 else err,
          "20.00")
    expect("open on a result of the locked January", open_(d, L1, "2026-02-07T00:00:00Z"), 0)
    # February's draft re-rates January without L1: 10.00 - 20.00 = -10.00.
    check("a negative adjustment on the next invoice", total(d, "2026-02",
                                                             "2026-02-08T00:00:00Z"),
          ("-10.00", [("adjustment", "-10.00")]))
    check("the locked invoice never changes", total(d, "2026-01", "2026-02-08T00:00:00Z"),
          ("20.00", []))
    expect("upheld", resolve(d, "leads/lead:L1#1", "--upheld", "2026-02-10T00:00:00Z"), 0)
    check("upheld takes the adjustment back", total(d, "2026-02", "2026-02-11T00:00:00Z"),
          ("0.00", []))
    # The window: January locked 2026-02-06, + dispute_within 14d = 2026-02-20.
    expect("the window closes at lock + dispute_within", open_(d, L2, "2026-02-20T00:00:00Z"),
           2, "", f"{L2}: the dispute window closed at 2026-02-20T00:00:00Z (lock of its "
                  "period + dispute_within)\n")
    expect("one second before", open_(d, L2, "2026-02-19T23:59:59Z"), 0)
    # Not resolved: voided at 2026-03-01T23:59:59Z; February locks 2026-03-06 with
    # -10.00 for January.
    rc, out, err = run(d, "settle", "--now", "2026-03-06T00:00:00Z")
    check("February locks with the adjustment", json.loads(out)["total"] if rc == 0 else err,
          "-10.00")
    rc, out, err = run(d, "verify")
    check(f"raas verify replays the stored invoices ({err[-200:]!r})", rc, 0)


@case
def late_when_after_corrections_within():
    c = dict(CONTRACT, corrections_within="10d", dispute_within="20d")
    d = setup(c)
    # January ends 2026-02-01: changes from 2026-02-11 on are late. Opened 2026-02-12 (the
    # window runs to 2026-02-26): disputed now, late, never an adjustment.
    expect("open after corrections_within", open_(d, L1, "2026-02-12T00:00:00Z"), 0)
    check("disputed and late", status(d, L1, "2026-02-13T00:00:00Z"), ("disputed", True))
    check("no adjustment", total(d, "2026-02", "2026-02-13T00:00:00Z"), ("0.00", []))


@case
def rules_of_opening():
    d = setup()
    expect("an unknown reason", open_(d, L1, "2026-01-09T00:00:00Z", "too_expensive"), 2, "",
           "--reason: one of not_achieved, duplicate, not_attributable, already_reversed, "
           "other\n")
    expect("other without a note", open_(d, L1, "2026-01-09T00:00:00Z", "other"), 2, "",
           "--note: the reason other needs a note\n")
    expect("no --reason", run(d, "dispute", "open", L1, "--now", "2026-01-09T00:00:00Z"), 1,
           "", "--reason: required (not_achieved, duplicate, not_attributable, "
           "already_reversed, other)\n")
    expect("an unknown result", open_(d, "leads/lead:L9", "2026-01-09T00:00:00Z"), 2, "",
           "leads/lead:L9: no such result\n")
    expect("an unknown contract", open_(d, "nope/lead:L1", "2026-01-09T00:00:00Z"), 2, "",
           "nope/lead:L1: no such result\n")
    expect("a clock before the directory's", open_(d, L1, "2026-01-06T00:00:00Z"), 2, "",
           "--now: 2026-01-06T00:00:00Z is before the data directory's clock "
           "2026-01-07T00:00:00Z (a data directory's clock never goes backwards)\n")
    expect("ingest a reversal of L2", S.ingest(d, [compact({
        "id": "r2", "customer": "acme", "type": "lead.rejected", "time": "2026-01-07T00:00:00Z",
        "properties": {"lead_id": "L2"}})], "2026-01-07T00:00:01Z"), 0)
    expect("a reversed result cannot be disputed", open_(d, L2, "2026-01-08T00:00:00Z"), 2,
           "", f"{L2}: is reversed: only a pending or confirmed result can be disputed\n")
    expect("resolve an unknown dispute", resolve(d, "leads/lead:L1#7", "--upheld",
                                                 "2026-01-08T00:00:00Z"), 2, "",
           "leads/lead:L1#7: no such dispute\n")
    expect("both --upheld and --voided", run(d, "dispute", "resolve", "leads/lead:L1#1",
                                              "--upheld", "--voided"), 1, "",
           "--upheld, --voided: give exactly one of them\n")
    expect("a failed command records no clock: an earlier one still works",
           open_(d, L1, "2026-01-07T12:00:00Z"), 0,
           doc("leads/lead:L1#1", L1, "duplicate", "2026-01-07T12:00:00Z"), "")
    check("the result is disputed from then on", status(d, L1, "2026-01-07T12:00:00Z"),
          ("disputed", False))


if __name__ == "__main__":
    sys.exit(S.main())
