#!/usr/bin/env python3
"""settle_rules.py RAAS — the settlement rules of settlement.md (and the lead's settlement
decisions where it is silent) driven through `raas results`, `raas invoice`, `raas settle`
and `raas invoices`, one case per rule, each case in fresh `raas init` directories: holds and
reversals on half-open intervals, clawbacks (negative adjustments, a credit note), late
achieving events and late earlier events (adjustments), changes after corrections_within
(never billed, `late`), drafts at past and future clocks, minimum and cap lines (both in one
period through rounding), proration (mid-month start and end, a week contract at -09:30, a
quarter at +05:45, a year) with half-away-from-zero rounding, run-off periods (billing,
adjustments, empty ones), JPY and BHD, versions (prices, a moved end), arrival order, entity
texts and result ids, where, requires, values and invalid results, an overflow, and
settle's order, storage, clock and filters.

Every expected invoice document, results line and listing is written out whole and was
computed by hand from the spec; the comment next to each number shows the arithmetic.
Invoice documents are compared byte for byte (one trailing newline), results lines whole
(the free-text `reason` of an invalid result excepted: it must be a non-empty string).
Errors compare the exit code, an empty stdout and the stderr line's `PATH: ` prefix where
the problem has a place. Exits 1 if any check fails.
"""
import json
import re
import sys
from decimal import Decimal

from raas_cases import Suite, compact

S = Suite("settle rules", "raas-settle-rules-")
case = S.case
expect = S.expect
JAN1 = "2026-01-01T00:00:00Z"

# ---------------------------------------------------------------- building inputs


def contract(id_, results, customer="cust", currency="USD", period="month",
             start="2026-01-01", **extra):
    doc = {"id": id_, "customer": customer, "currency": currency, "period": period,
           "start": start}
    doc.update(extra)
    doc["results"] = results
    return doc


def unit(amount, **extra):
    return dict({"model": "unit", "amount": amount}, **extra)


def ev(id_, type_, time, customer="cust", **props):
    """An event line; PROPS values are JSON values, or Raw(text) for an exact number."""
    body = ",".join(f"{json.dumps(k)}:{v.text if isinstance(v, Raw) else compact(v)}"
                    for k, v in props.items())
    return ('{"id":%s,"customer":%s,"type":%s,"time":%s,"properties":{%s}}'
            % (json.dumps(id_), json.dumps(customer), json.dumps(type_), json.dumps(time), body))


class Raw:
    def __init__(self, text):
        self.text = text


def report(accepted, duplicates=0):
    return ('{"accepted":%d,"duplicates":%d,"rejected":[],"conflicts":[],'
            '"unmatched":{"count":0,"customers":[]}}\n' % (accepted, duplicates))


def apply_ok(d, doc, now, version=1, *extra):
    expect(f"apply {doc['id']} v{version} at {now}", S.apply(d, doc, now, *extra), 0,
           '{"id":%s,"version":%d}\n' % (json.dumps(doc["id"]), version), "")


def ingest_ok(d, lines, now):
    expect(f"ingest {len(lines)} events at {now}", S.ingest(d, lines, now), 0,
           report(len(lines)), "")


# ---------------------------------------------------------------- building expectations


def R(name, quantity, amount):
    return ('{"type":"result","name":"%s","quantity":"%s","amount":"%s"}'
            % (name, quantity, amount))


def FEE(name, amount):
    return '{"type":"fee","name":"%s","amount":"%s"}' % (name, amount)


def MIN(amount):
    return '{"type":"minimum","amount":"%s"}' % amount


def CAP(amount):
    return '{"type":"cap","amount":"%s"}' % amount


def ADJ(period_start, amount):
    return '{"type":"adjustment","period_start":"%s","amount":"%s"}' % (period_start, amount)


def doc(contract_, start, end, status, as_of, lines, total, customer="cust", currency="USD"):
    """One invoice document and its newline. The kind follows the total's sign; the total,
    written by hand, must be the sum of the lines (a check of the test's own arithmetic)."""
    amounts = [Decimal(re.search(r'"amount":"([^"]*)"', l).group(1)) for l in lines]
    if sum(amounts, Decimal(0)) != Decimal(total):
        raise AssertionError(f"test bug: {contract_} {start}: lines sum to "
                             f"{sum(amounts, Decimal(0))}, total written {total}")
    kind = "credit_note" if total.startswith("-") else "invoice"
    return ('{"contract":"%s","customer":"%s","currency":"%s","period":{"start":"%s",'
            '"end":"%s"},"status":"%s","kind":"%s","as_of":"%s","lines":[%s],"total":"%s"}\n'
            % (contract_, customer, currency, start, end, status, kind, as_of, ",".join(lines),
               total))


REASON = "\x00REASON\x00"  # any non-empty JSON string: the reason is free text


def res(id_, name, status, achieved, confirmed, achieved_by, value=None, reason=None,
        reversed_=(), attributed=(), ignored=(), late=False):
    """One results line (without its newline). VALUE is the exact decimal text or None."""
    return ('{"id":%s,"name":"%s","status":"%s","late":%s,"achieved_at":"%s","confirmed_at":%s,'
            '"value":%s,"reason":%s,"events":{"achieved":%s,"reversed":%s,"attributed":%s,'
            '"ignored":%s}}'
            % (compact(id_), name, status, "true" if late else "false", achieved,
               "null" if confirmed is None else f'"{confirmed}"',
               "null" if value is None else f'"{value}"',
               "null" if reason is None else (REASON if reason is REASON else json.dumps(reason)),
               compact([achieved_by]), compact(list(reversed_)), compact(list(attributed)),
               compact(list(ignored))))


def listing(*lines):
    """The whole stdout of a listing: exact text, or a pattern when a line has a REASON."""
    text = "".join(l + "\n" for l in lines)
    if REASON not in text:
        return text
    parts = text.split(REASON)
    return re.compile(r'"(?:[^"\\\x00-\x1f]|\\.)+"'.join(re.escape(p) for p in parts), re.S)


# ---------------------------------------------------------------- commands


def invoice(d, c, date, now):
    return S.run(d, "invoice", c, date, "--now", now)


def results(d, c, now, *extra):
    return S.run(d, "results", c, "--now", now, *extra)


def settle(d, now):
    return S.run(d, "settle", "--now", now)


def invoices(d, now, *extra):
    return S.run(d, "invoices", "--now", now, *extra)


def no_invoice(what, got):
    """exit 2, nothing on stdout, one problem line on stderr."""
    expect(what, got, 2, "", stderr_prefix="")


# ================================================================ holds and reversals

HOLD = contract("hold", [{"name": "lead", "on": "lead.created", "entity": "lead_id",
                          "hold": "10d", "reversed_by": {"on": "lead.rejected"},
                          "price": unit("25.00")}], lock_after="2d")
H_JAN = ("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")
H_FEB = ("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z")


@case
def hold_reversal_inside_and_at_the_end():
    d = S.fresh()
    apply_ok(d, HOLD, JAN1)
    ingest_ok(d, [
        ev("a1", "lead.created", "2026-01-05T00:00:00Z", lead_id="L1"),  # confirmed_at 01-15
        ev("r1", "lead.rejected", "2026-01-14T23:59:59Z", lead_id="L1"),  # in [01-05, 01-15)
        ev("a2", "lead.created", "2026-01-05T00:00:00Z", lead_id="L2"),  # confirmed_at 01-15
        ev("r2", "lead.rejected", "2026-01-15T00:00:00Z", lead_id="L2"),  # = achieved + hold
        ev("a3", "lead.created", "2026-01-06T12:00:00Z", lead_id="L3"),  # confirmed_at 01-16 12h
        ev("r3", "lead.rejected", "2026-01-06T11:59:59Z", lead_id="L3"),  # before achieved_at
        ev("a4", "lead.created", "2026-01-07T00:00:00Z", lead_id="L4"),  # confirmed_at 01-17
        ev("r4", "lead.rejected", "2026-01-07T00:00:00Z", lead_id="L4"),  # = achieved_at
        ev("a7", "lead.created", "2026-01-20T00:00:00Z", lead_id="L7"),  # confirmed_at 01-30
        ev("r7", "lead.rejected", "2026-01-26T12:00:00Z", lead_id="L7"),  # after the clock
        ev("a6", "lead.created", "2026-01-22T00:00:00Z", lead_id="L6"),  # 01-22 + 10d = 02-01
        ev("a5", "lead.created", "2026-01-25T00:00:00Z", lead_id="L5"),  # 01-25 + 10d = 02-04
    ], "2026-01-26T00:00:00Z")

    def lead(n, status, achieved, confirmed, **kw):
        return res(f"hold/lead:L{n}", "lead", status, achieved, confirmed, f"a{n}", **kw)

    l1 = lead(1, "reversed", "2026-01-05T00:00:00Z", "2026-01-15T00:00:00Z", reversed_=["r1"])
    l2 = lead(2, "confirmed", "2026-01-05T00:00:00Z", "2026-01-15T00:00:00Z", reversed_=["r2"])
    l3 = lead(3, "confirmed", "2026-01-06T12:00:00Z", "2026-01-16T12:00:00Z")
    l4 = lead(4, "reversed", "2026-01-07T00:00:00Z", "2026-01-17T00:00:00Z", reversed_=["r4"])
    l7 = lead(7, "reversed", "2026-01-20T00:00:00Z", "2026-01-30T00:00:00Z", reversed_=["r7"])
    l6p = lead(6, "pending", "2026-01-22T00:00:00Z", "2026-02-01T00:00:00Z")
    l6 = lead(6, "confirmed", "2026-01-22T00:00:00Z", "2026-02-01T00:00:00Z")
    l5p = lead(5, "pending", "2026-01-25T00:00:00Z", "2026-02-04T00:00:00Z")
    l5 = lead(5, "confirmed", "2026-01-25T00:00:00Z", "2026-02-04T00:00:00Z")
    expect("results at the ingest clock: r7 (event time 12 h later) already reverses L7",
           results(d, "hold", "2026-01-26T00:00:00Z"), 0,
           listing(l1, l2, l3, l4, l7, l6p, l5p), "")
    expect("results at 02-03 23:59:59 (L5 still pending)",
           results(d, "hold", "2026-02-03T23:59:59Z"), 0, listing(l1, l2, l3, l4, l7, l6, l5p), "")
    expect("results at 02-10 (a future clock: L5 confirmed)",
           results(d, "hold", "2026-02-10T00:00:00Z"), 0, listing(l1, l2, l3, l4, l7, l6, l5), "")
    expect("--status reversed", results(d, "hold", "2026-02-10T00:00:00Z", "--status", "reversed"),
           0, listing(l1, l4, l7), "")
    expect("--status pending at 02-03", results(d, "hold", "2026-02-03T00:00:00Z", "--status",
                                                 "pending"), 0, listing(l5p), "")
    expect("--period 2026-01 (confirmed_at in January, whatever the status)",
           results(d, "hold", "2026-02-10T00:00:00Z", "--period", "2026-01"), 0,
           listing(l1, l2, l3, l4, l7), "")
    expect("--period 2026-02-14 (L6 confirmed at 02-01 00:00 is February's)",
           results(d, "hold", "2026-02-10T00:00:00Z", "--period", "2026-02-14"), 0,
           listing(l6, l5), "")
    jan = [R("lead", "2", "50.00")]  # L2 + L3 = 2 × 25.00 = 50.00
    expect("January locked (lock 02-01 + 2d = 02-03)",
           invoice(d, "hold", "2026-01", "2026-02-10T00:00:00Z"), 0,
           doc("hold", *H_JAN, "locked", "2026-02-03T00:00:00Z", jan, "50.00"), "")
    expect("January draft 1 s before it locks",
           invoice(d, "hold", "2026-01-31", "2026-02-02T23:59:59Z"), 0,
           doc("hold", *H_JAN, "draft", "2026-02-02T23:59:59Z", jan, "50.00"), "")
    expect("February draft at 01-31 23:59:59: L6 not confirmed yet",
           invoice(d, "hold", "2026-02", "2026-01-31T23:59:59Z"), 0,
           doc("hold", *H_FEB, "draft", "2026-01-31T23:59:59Z", [R("lead", "0", "0.00")], "0.00"),
           "")
    expect("February draft at 02-03 23:59:59: L6 only",
           invoice(d, "hold", "2026-02", "2026-02-03T23:59:59Z"), 0,
           doc("hold", *H_FEB, "draft", "2026-02-03T23:59:59Z", [R("lead", "1", "25.00")],
               "25.00"), "")  # L6: 1 × 25.00
    expect("February draft at 02-04: L5 confirmed at the clock",
           invoice(d, "hold", "2026-02", "2026-02-04T00:00:00Z"), 0,
           doc("hold", *H_FEB, "draft", "2026-02-04T00:00:00Z", [R("lead", "2", "50.00")],
               "50.00"), "")  # L6 + L5: 2 × 25.00
    expect("February locked (03-01 + 2d)", invoice(d, "hold", "2026-02", "2026-03-03T00:00:00Z"), 0,
           doc("hold", *H_FEB, "locked", "2026-03-03T00:00:00Z", [R("lead", "2", "50.00")],
               "50.00"), "")  # L6 + L5: 2 × 25.00
    no_invoice("a clock before the contract's first version",
               invoice(d, "hold", "2026-01", "2025-12-31T23:59:59Z"))
    no_invoice("a date before the start", invoice(d, "hold", "2025-12-31", "2026-02-10T00:00:00Z"))
    no_invoice("results at a clock before the contract's first version",
               results(d, "hold", "2025-12-31T23:59:59Z"))
    expect("an unknown contract", invoice(d, "nope", "2026-01", "2026-02-10T00:00:00Z"), 2, "",
           stderr_prefix="nope: ")
    expect("results of an unknown contract", results(d, "nope", "2026-02-10T00:00:00Z"), 2, "",
           stderr_prefix="nope: ")
    no_invoice("a date that does not exist",
               invoice(d, "hold", "2026-02-30", "2026-02-10T00:00:00Z"))
    expect("an unknown --status", results(d, "hold", "2026-02-10T00:00:00Z", "--status", "billed"),
           2, "", stderr_prefix="--status: ")
    expect("a bad --now", invoice(d, "hold", "2026-01", "2026-02-10"), 2, "",
           stderr_prefix="--now: ")


# ================================================================ clawbacks

CLAW = contract("claw", [{"name": "hire", "on": "hire.started", "entity": "cand", "hold": "0s",
                          "clawback_within": "60d", "reversed_by": {"on": "employee.left"},
                          "price": unit("1000.00")}])
Z_JAN = ("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")
Z_FEB = ("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z")
Z_MAR = ("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")
Z_APR = ("2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z")


@case
def clawback_adjustments_and_credit_note():
    d = S.fresh()
    apply_ok(d, CLAW, JAN1)
    ingest_ok(d, [ev("h1", "hire.started", "2026-01-10T09:00:00Z", cand="C1"),  # claw to 03-11 09h
                  ev("h2", "hire.started", "2026-01-20T00:00:00Z", cand="C2"),  # claw to 03-21
                  ev("h4", "hire.started", "2026-01-25T00:00:00Z", cand="C4")],  # claw to 03-26
              "2026-01-26T00:00:00Z")
    ingest_ok(d, [ev("left1", "employee.left", "2026-02-15T00:00:00Z", cand="C1"),
                  ev("h3", "hire.started", "2026-02-18T00:00:00Z", cand="C3")],  # claw to 04-19
              "2026-02-18T00:00:00Z")
    jan = doc("claw", *Z_JAN, "locked", "2026-02-01T00:00:00Z",
              [R("hire", "3", "3000.00")], "3000.00")  # C1, C2, C4: 3 × 1000.00
    expect("January as locked", invoice(d, "claw", "2026-01", "2026-02-20T00:00:00Z"), 0, jan, "")
    # Draft of February at 02-20: January re-rated at min(T, 05-02) = T: C2 + C4 = 2000.00,
    # billed 3000.00 → -1000.00; own C3 1000.00; total 0.00 (zero is an invoice).
    expect("February draft: the clawback of C1 as an adjustment",
           invoice(d, "claw", "2026-02", "2026-02-20T00:00:00Z"), 0,
           doc("claw", *Z_FEB, "draft", "2026-02-20T00:00:00Z",
               [R("hire", "1", "1000.00"), ADJ("2026-01-01T00:00:00Z", "-1000.00")], "0.00"), "")
    ingest_ok(d, [ev("left2", "employee.left", "2026-03-05T00:00:00Z", cand="C2"),  # < 03-21
                  ev("left3", "employee.left", "2026-03-10T00:00:00Z", cand="C3"),  # < 04-19
                  ev("left4", "employee.left", "2026-03-26T00:00:00Z", cand="C4")],  # = 01-25 + 60d
              "2026-03-27T00:00:00Z")
    expect("March draft at 03-27: billed so far counts February's adjustment",
           invoice(d, "claw", "2026-03", "2026-03-27T00:00:00Z"), 0,
           doc("claw", *Z_MAR, "draft", "2026-03-27T00:00:00Z",
               [R("hire", "0", "0.00"),
                ADJ("2026-01-01T00:00:00Z", "-1000.00"),  # C4 1000.00 − (3000.00 − 1000.00)
                ADJ("2026-02-01T00:00:00Z", "-1000.00")],  # 0.00 − 1000.00
               "-2000.00"), "")
    feb = doc("claw", *Z_FEB, "locked", "2026-03-01T00:00:00Z",
              [R("hire", "1", "1000.00"),  # C3
               ADJ("2026-01-01T00:00:00Z", "-1000.00")],  # cutoff 03-01: 2000.00 − 3000.00
              "0.00")  # 1000.00 − 1000.00
    # March: January re-rated at min(04-01, 05-02) = 04-01: C4 only = 1000.00, billed so far
    # 3000.00 − 1000.00 = 2000.00 → -1000.00; February re-rated at min(04-01, 05-30): C3
    # clawed back = 0.00, billed 1000.00 → -1000.00; total -2000.00: a credit note.
    mar = doc("claw", *Z_MAR, "locked", "2026-04-01T00:00:00Z",
              [R("hire", "0", "0.00"), ADJ("2026-01-01T00:00:00Z", "-1000.00"),
               ADJ("2026-02-01T00:00:00Z", "-1000.00")], "-2000.00")
    # April: January 1000.00 = 3000 − 1000 − 1000 billed; February 0.00 = 1000 − 1000; March
    # 0.00: no adjustment.
    apr = doc("claw", *Z_APR, "locked", "2026-05-01T00:00:00Z", [R("hire", "0", "0.00")], "0.00")
    expect("February locked", invoice(d, "claw", "2026-02-28", "2026-05-01T00:00:00Z"), 0, feb, "")
    expect("March: a credit note", invoice(d, "claw", "2026-03", "2026-05-01T00:00:00Z"), 0, mar,
           "")
    expect("invoices at 05-01", invoices(d, "2026-05-01T00:00:00Z"), 0, jan + feb + mar + apr, "")
    expect("results at 05-01", results(d, "claw", "2026-05-01T00:00:00Z"), 0, listing(
        res("claw/hire:C1", "hire", "reversed", "2026-01-10T09:00:00Z", "2026-01-10T09:00:00Z",
            "h1", reversed_=["left1"]),
        res("claw/hire:C2", "hire", "reversed", "2026-01-20T00:00:00Z", "2026-01-20T00:00:00Z",
            "h2", reversed_=["left2"]),
        res("claw/hire:C4", "hire", "confirmed", "2026-01-25T00:00:00Z", "2026-01-25T00:00:00Z",
            "h4", reversed_=["left4"]),
        res("claw/hire:C3", "hire", "reversed", "2026-02-18T00:00:00Z", "2026-02-18T00:00:00Z",
            "h3", reversed_=["left3"])), "")


# ================================================================ late events

LATE = contract("late", [{"name": "sale", "on": "sale", "price": unit("10.00")}],
                lock_after="3d", corrections_within="30d")
# January locks 02-01 + 3d = 02-04; corrections until 02-01 + 30d = 03-03.
# February locks 03-04; corrections until 03-01 + 30d = 03-31. March locks 04-04.


@case
def late_events_adjust_until_corrections_within():
    d = S.fresh()
    apply_ok(d, LATE, JAN1)
    ingest_ok(d, [ev("s1", "sale", "2026-01-10T00:00:00Z")], "2026-01-10T00:00:00Z")
    ingest_ok(d, [ev("s2", "sale", "2026-01-31T23:00:00.5Z")], "2026-02-03T12:00:00Z")  # grace
    ingest_ok(d, [ev("s7", "sale", "2026-01-15T00:00:00Z")], "2026-02-04T00:00:00Z")  # = lock
    ingest_ok(d, [ev("s3", "sale", "2026-01-20T00:00:00Z")], "2026-02-05T00:00:00Z")  # after lock
    ingest_ok(d, [ev("s5", "sale", "2026-02-10T00:00:00Z")], "2026-02-10T00:00:00Z")
    ingest_ok(d, [ev("s4", "sale", "2026-01-25T00:00:00Z")], "2026-03-03T00:00:00Z")  # too late
    ingest_ok(d, [ev("s6", "sale", "2026-02-20T00:00:00Z")], "2026-03-30T23:59:59Z")  # just in
    jan = ("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")
    feb = ("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z")
    mar = ("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")
    # Drafts read at past clocks say what they said then.
    expect("January draft at 01-15 (a past clock)",
           invoice(d, "late", "2026-01", "2026-01-15T00:00:00Z"),
           0, doc("late", *jan, "draft", "2026-01-15T00:00:00Z", [R("sale", "1", "10.00")],
                  "10.00"), "")  # s1: 1 × 10.00
    expect("January draft 1 s before s2 was received",
           invoice(d, "late", "2026-01", "2026-02-03T11:59:59Z"), 0,
           doc("late", *jan, "draft", "2026-02-03T11:59:59Z", [R("sale", "1", "10.00")], "10.00"),
           "")
    expect("January draft at the instant s2 was received (at or before T)",
           invoice(d, "late", "2026-01", "2026-02-03T12:00:00Z"), 0,
           doc("late", *jan, "draft", "2026-02-03T12:00:00Z", [R("sale", "2", "20.00")], "20.00"),
           "")  # s1 + s2: 2 × 10.00
    expect("January draft 1 us before it locks",
           invoice(d, "late", "2026-01", "2026-02-03T23:59:59.999999Z"), 0,
           doc("late", *jan, "draft", "2026-02-03T23:59:59.999999Z", [R("sale", "2", "20.00")],
               "20.00"), "")
    jan_locked = doc("late", *jan, "locked", "2026-02-04T00:00:00Z", [R("sale", "2", "20.00")],
                     "20.00")  # s7 (received at the lock) and s3 (after it) are not in it
    expect("January locked, read at its lock time",
           invoice(d, "late", "2026-01", "2026-02-04T00:00:00Z"),
           0, jan_locked, "")
    expect("January locked, read at 04-10",
           invoice(d, "late", "2026-01", "2026-04-10T00:00:00Z"), 0,
           jan_locked, "")
    expect("February draft at January's lock time: s7, received at that instant, adjusts it",
           invoice(d, "late", "2026-02", "2026-02-04T00:00:00Z"), 0,
           doc("late", *feb, "draft", "2026-02-04T00:00:00Z",
               [R("sale", "0", "0.00"),
                ADJ("2026-01-01T00:00:00Z", "10.00")],  # cutoff T: s1+s2+s7 = 30.00 − 20.00
               "10.00"), "")
    expect("February draft at 02-10: s7 and s3 adjust January",
           invoice(d, "late", "2026-02", "2026-02-10T00:00:00Z"), 0,
           doc("late", *feb, "draft", "2026-02-10T00:00:00Z",
               [R("sale", "1", "10.00"),  # s5
                ADJ("2026-01-01T00:00:00Z", "20.00")],  # s1+s2+s7+s3 = 40.00 − 20.00
               "30.00"), "")
    expect("February locked: +20.00 for January, s4 (received 03-03 = 02-01 + 30d) not billed",
           invoice(d, "late", "2026-02", "2026-04-10T00:00:00Z"), 0,
           doc("late", *feb, "locked", "2026-03-04T00:00:00Z",
               [R("sale", "1", "10.00"),
                ADJ("2026-01-01T00:00:00Z", "20.00")],  # cutoff min(03-04, 03-03): 40.00 − 20.00
               "30.00"), "")
    # March: January at min(04-04, 03-03) = 40.00 = 20.00 + 20.00 billed, no line; February at
    # min(04-04, 03-31): s5 + s6 = 20.00 − 10.00 = +10.00.
    expect("March locked: +10.00 for February (s6 received 03-30 23:59:59 < 03-31)",
           invoice(d, "late", "2026-03", "2026-04-10T00:00:00Z"), 0,
           doc("late", *mar, "locked", "2026-04-04T00:00:00Z",
               [R("sale", "0", "0.00"), ADJ("2026-02-01T00:00:00Z", "10.00")], "10.00"), "")

    def sale(i, t, late=False):
        return res(f"late/sale:s{i}", "sale", "confirmed", t, t, f"s{i}", late=late)

    expect("results at 04-10: s4 is late", results(d, "late", "2026-04-10T00:00:00Z"), 0, listing(
        sale(1, "2026-01-10T00:00:00Z"), sale(7, "2026-01-15T00:00:00Z"),
        sale(3, "2026-01-20T00:00:00Z"),
        sale(4, "2026-01-25T00:00:00Z", late=True), sale(2, "2026-01-31T23:00:00.500000Z"),
        sale(5, "2026-02-10T00:00:00Z"), sale(6, "2026-02-20T00:00:00Z")), "")


LATECLAW = contract("lateclaw", [{"name": "hire", "on": "hire", "entity": "c", "hold": "0s",
                                  "clawback_within": "120d", "reversed_by": {"on": "left"},
                                  "price": unit("100.00")}], corrections_within="30d")
# January locks 02-01; changes to it count until 02-01 + 30d = 03-03.


@case
def late_clawback_is_listed_not_billed():
    d = S.fresh()
    apply_ok(d, LATECLAW, JAN1)
    ingest_ok(d, [ev("h1", "hire", "2026-01-10T00:00:00Z", c="C1"),
                  ev("h2", "hire", "2026-01-11T00:00:00Z", c="C2"),
                  ev("h3", "hire", "2026-01-12T00:00:00Z", c="C3")], "2026-01-20T00:00:00Z")
    ingest_ok(d, [ev("l2", "left", "2026-03-02T23:59:59Z", c="C2")], "2026-03-02T23:59:59Z")
    ingest_ok(d, [ev("l3", "left", "2026-03-03T00:00:00Z", c="C3")], "2026-03-03T00:00:00Z")
    ingest_ok(d, [ev("l1", "left", "2026-03-05T00:00:00Z", c="C1")], "2026-03-05T00:00:00Z")
    # (A draft of March at exactly 03-03T00:00Z is left out: see the report — the cutoff is
    # both "T" (inclusive) and "P.end + corrections_within" (strict) at that instant.)
    expect("January", invoice(d, "lateclaw", "2026-01", "2026-04-02T00:00:00Z"), 0,
           doc("lateclaw", *Z_JAN, "locked", "2026-02-01T00:00:00Z", [R("hire", "3", "300.00")],
               "300.00"), "")  # 3 × 100.00
    expect("February: no change was visible before its lock",
           invoice(d, "lateclaw", "2026-02", "2026-04-02T00:00:00Z"), 0,
           doc("lateclaw", *Z_FEB, "locked", "2026-03-01T00:00:00Z", [R("hire", "0", "0.00")],
               "0.00"), "")
    mar_lines = [R("hire", "0", "0.00"),
                 ADJ("2026-01-01T00:00:00Z", "-100.00")]  # C1 + C3 = 200.00 − 300.00
    expect("March draft 1 s before l2 arrived", invoice(d, "lateclaw", "2026-03",
                                                        "2026-03-02T23:59:58Z"), 0,
           doc("lateclaw", *Z_MAR, "draft", "2026-03-02T23:59:58Z", [R("hire", "0", "0.00")],
               "0.00"), "")
    expect("March draft at the instant l2 arrived (cutoff T, inclusive)",
           invoice(d, "lateclaw", "2026-03", "2026-03-02T23:59:59Z"), 0,
           doc("lateclaw", *Z_MAR, "draft", "2026-03-02T23:59:59Z", mar_lines, "-100.00"), "")
    expect("March draft at 03-10 (cutoff 03-03, strict: l3 and l1 not counted)",
           invoice(d, "lateclaw", "2026-03", "2026-03-10T00:00:00Z"), 0,
           doc("lateclaw", *Z_MAR, "draft", "2026-03-10T00:00:00Z", mar_lines, "-100.00"), "")
    expect("March locked: a credit note", invoice(d, "lateclaw", "2026-03", "2026-04-02T00:00:00Z"),
           0, doc("lateclaw", *Z_MAR, "locked", "2026-04-01T00:00:00Z", mar_lines, "-100.00"), "")
    expect("April: January re-rated 200.00 = 300.00 − 100.00 billed: no line",
           invoice(d, "lateclaw", "2026-04", "2026-05-01T00:00:00Z"), 0,
           doc("lateclaw", *Z_APR, "locked", "2026-05-01T00:00:00Z", [R("hire", "0", "0.00")],
               "0.00"), "")
    expect("results: C1 and C3 reversed late, C2 reversed in time",
           results(d, "lateclaw", "2026-04-02T00:00:00Z"), 0, listing(
               res("lateclaw/hire:C1", "hire", "reversed", "2026-01-10T00:00:00Z",
                   "2026-01-10T00:00:00Z", "h1", reversed_=["l1"], late=True),
               res("lateclaw/hire:C2", "hire", "reversed", "2026-01-11T00:00:00Z",
                   "2026-01-11T00:00:00Z", "h2", reversed_=["l2"]),
               res("lateclaw/hire:C3", "hire", "reversed", "2026-01-12T00:00:00Z",
                   "2026-01-12T00:00:00Z", "h3", reversed_=["l3"], late=True)), "")


EARLY = contract("early", [{"name": "r", "on": "r", "entity": "k", "price": unit("10.00")}],
                 corrections_within="30d")


@case
def an_earlier_event_arriving_late():
    # The earliest event of an entity decides, whenever it arrives: one before the start makes
    # the entity invalid (a negative adjustment while January can still be corrected, until
    # 02-01 + 30d = 03-03; after that only `late`).
    d = S.fresh()
    apply_ok(d, EARLY, JAN1)
    ingest_ok(d, [ev("e2", "r", "2026-01-20T00:00:00Z", k="A"),
                  ev("e3", "r", "2026-01-21T00:00:00Z", k="B"),
                  ev("e4", "r", "2026-01-22T00:00:00Z", k="C")], "2026-01-22T00:00:00Z")
    ingest_ok(d, [ev("e0", "r", "2025-12-31T12:00:00Z", k="A")], "2026-02-10T00:00:00Z")
    ingest_ok(d, [ev("e00", "r", "2025-12-30T00:00:00Z", k="B"),
                  ev("e01", "r", "2026-01-05T00:00:00Z", k="C")], "2026-03-05T00:00:00Z")
    now = "2026-04-02T00:00:00Z"
    expect("January", invoice(d, "early", "2026-01", now), 0,
           doc("early", *Z_JAN, "locked", "2026-02-01T00:00:00Z", [R("r", "3", "30.00")],
               "30.00"), "")  # A, B, C: 3 × 10.00
    expect("February: A became invalid", invoice(d, "early", "2026-02", now), 0,
           doc("early", *Z_FEB, "locked", "2026-03-01T00:00:00Z",
               [R("r", "0", "0.00"), ADJ("2026-01-01T00:00:00Z", "-10.00")],  # 20.00 − 30.00
               "-10.00"), "")
    expect("March: the changes to B and C came after 03-03", invoice(d, "early", "2026-03", now),
           0, doc("early", *Z_MAR, "locked", "2026-04-01T00:00:00Z", [R("r", "0", "0.00")],
                  "0.00"), "")
    expect("results", results(d, "early", now), 0, listing(
        # billed in January, invalid through e00 received after 03-03: late
        res("early/r:B", "r", "invalid", "2025-12-30T00:00:00Z", None, "e00", reason=REASON,
            ignored=["e3"], late=True),
        res("early/r:A", "r", "invalid", "2025-12-31T12:00:00Z", None, "e0", reason=REASON,
            ignored=["e2"]),
        # achieved_at moved from 01-22 to 01-05 by e01, received after 03-03: late
        res("early/r:C", "r", "confirmed", "2026-01-05T00:00:00Z", "2026-01-05T00:00:00Z", "e01",
            ignored=["e4"], late=True)), "")


# ================================================================ minimum and cap

FLOOR = contract("floor", [{"name": "task", "on": "task.done", "price": unit("50.00")}],
                 fees=[{"name": "base", "amount": "100.00"}], minimum="500.00", cap="800.00")


def tasks(month, n):
    return [ev(f"t{month}-{i}", "task.done", f"2026-{month:02d}-01T{i:02d}:00:00Z")
            for i in range(n)]


@case
def minimum_and_cap_lines():
    d = S.fresh()
    apply_ok(d, FLOOR, JAN1)
    for month, n in ((1, 2), (2, 8), (3, 14), (4, 15)):
        ingest_ok(d, tasks(month, n), f"2026-{month:02d}-28T00:00:00Z")
    want = (
        doc("floor", *Z_JAN, "locked", "2026-02-01T00:00:00Z",
            [R("task", "2", "100.00"),  # 2 × 50.00
             FEE("base", "100.00"),
             MIN("300.00")],  # subtotal 200.00 < 500.00: 500.00 − 200.00
            "500.00")
        + doc("floor", *Z_FEB, "locked", "2026-03-01T00:00:00Z",
              [R("task", "8", "400.00"),  # 8 × 50.00; subtotal 500.00 = minimum: no line
               FEE("base", "100.00")], "500.00")
        + doc("floor", *Z_MAR, "locked", "2026-04-01T00:00:00Z",
              [R("task", "14", "700.00"),  # 14 × 50.00; subtotal 800.00 = cap: no line
               FEE("base", "100.00")], "800.00")
        + doc("floor", *Z_APR, "locked", "2026-05-01T00:00:00Z",
              [R("task", "15", "750.00"),  # 15 × 50.00
               FEE("base", "100.00"),
               CAP("-50.00")],  # subtotal 850.00 > 800.00: 800.00 − 850.00
              "800.00"))
    expect("four months", invoices(d, "2026-05-01T00:00:00Z", "--contract", "floor"), 0, want, "")


@case
def minimum_and_cap_in_one_period():
    # A period cannot have both lines with whole-cent amounts (cap >= minimum); with more
    # digits than the currency has, the rounded minimum line can push the sum over the cap.
    d = S.fresh()
    both = contract("both", [{"name": "task", "on": "task.done", "price": unit("1.00")}],
                    minimum="100.005", cap="100.005")
    apply_ok(d, both, JAN1)
    expect("minimum and cap lines in one invoice",
           invoice(d, "both", "2026-01", "2026-02-01T00:00:00Z"),
           0, doc("both", *Z_JAN, "locked", "2026-02-01T00:00:00Z",
                  [R("task", "0", "0.00"),
                   MIN("100.01"),  # 0.00 < 100.005: round(100.005 − 0.00) = 100.01 (half away)
                   CAP("-0.01")],  # 100.01 > 100.005: round(100.005 − 100.01 = -0.005) = -0.01
                  "100.00"), "")
    zero = contract("zero-min", [{"name": "task", "on": "task.done", "price": unit("1.00")}],
                    fees=[{"name": "base", "amount": "100.00"}], minimum="100.001")
    apply_ok(d, zero, JAN1)
    expect("a 0.00 minimum line", invoice(d, "zero-min", "2026-01", "2026-02-01T00:00:00Z"), 0,
           doc("zero-min", *Z_JAN, "locked", "2026-02-01T00:00:00Z",
               [R("task", "0", "0.00"), FEE("base", "100.00"),
                MIN("0.00")],  # 100.00 < 100.001: round(0.001) = 0.00
               "100.00"), "")
    negzero = contract("negzero-cap", [{"name": "task", "on": "task.done", "price": unit("1.00")}],
                       fees=[{"name": "base", "amount": "100.00"}], cap="99.999")
    apply_ok(d, negzero, JAN1)
    expect("a cap line of -0.001 is written 0.00", invoice(d, "negzero-cap", "2026-01",
                                                           "2026-02-01T00:00:00Z"), 0,
           doc("negzero-cap", *Z_JAN, "locked", "2026-02-01T00:00:00Z",
               [R("task", "0", "0.00"), FEE("base", "100.00"),
                CAP("0.00")],  # 100.00 > 99.999: round(99.999 − 100.00 = -0.001) = 0.00
               "100.00"), "")


# ================================================================ proration

PRORATE = contract("prorate", [{"name": "visit", "on": "visit", "price": unit("70.00")}],
                   start="2026-02-15", end="2026-04-10",
                   fees=[{"name": "base", "amount": "100.01"}], minimum="300.01", cap="500.15")


@case
def proration_mid_month_start_and_end():
    d = S.fresh()
    apply_ok(d, PRORATE, JAN1)
    ingest_ok(d, [ev("v0", "visit", "2026-02-14T23:59:59Z"),  # before start: invalid
                  ev("v1", "visit", "2026-02-20T00:00:00Z")], "2026-02-28T00:00:00Z")
    ingest_ok(d, [ev(f"v1{i}", "visit", f"2026-03-0{i + 1}T00:00:00Z") for i in range(6)]
              + [ev("v2", "visit", "2026-02-25T00:00:00Z")],  # February's, after its lock
              "2026-03-28T00:00:00Z")
    ingest_ok(d, [ev("v20", "visit", "2026-04-02T00:00:00Z"),
                  ev("v21", "visit", "2026-04-09T23:59:59Z"),
                  ev("v22", "visit", "2026-04-10T00:00:00Z")],  # at end: invalid
              "2026-04-09T23:00:00Z")
    # April re-rated with v23: 3 × 70.00 + 30.00 = 240.00, capped at 150.05 = billed: the
    # run-off period [04-10, 05-01) gets no adjustment and stays empty.
    ingest_ok(d, [ev("v23", "visit", "2026-04-05T00:00:00Z")], "2026-04-20T00:00:00Z")
    feb = doc("prorate", "2026-02-15T00:00:00Z", "2026-03-01T00:00:00Z", "locked",
              "2026-03-01T00:00:00Z",
              [R("visit", "1", "70.00"),  # 1 × 70.00
               FEE("base", "50.01"),  # 100.01 × 14/28 = 50.005 → 50.01
               MIN("30.00")],  # 300.01 × 14/28 = 150.005 → 150.01; 150.01 − 120.01
              "150.01")  # cap 500.15 × 14/28 = 250.075 → 250.08, not reached
    mar = doc("prorate", *Z_MAR, "locked", "2026-04-01T00:00:00Z",
              [R("visit", "6", "420.00"),  # 6 × 70.00
               FEE("base", "100.01"),
               CAP("-19.86"),  # 500.15 − (420.00 + 100.01 = 520.01)
               # February re-rated: 2 × 70.00 + 50.01 = 190.01 >= 150.01 (no minimum line)
               # − 150.01 billed; the cap does not apply to adjustments
               ADJ("2026-02-15T00:00:00Z", "40.00")],
              "540.15")  # 420.00 + 100.01 − 19.86 + 40.00
    apr = doc("prorate", "2026-04-01T00:00:00Z", "2026-04-10T00:00:00Z", "locked",
              "2026-04-10T00:00:00Z",
              [R("visit", "2", "140.00"),  # 2 × 70.00
               FEE("base", "30.00"),  # 100.01 × 9/30 = 30.003 → 30.00
               CAP("-19.95")],  # 500.15 × 9/30 = 150.045 → 150.05; 150.05 − 170.00
              "150.05")  # minimum 300.01 × 9/30 = 90.003 → 90.00, not reached
    expect("February (14 of 28 days)", invoice(d, "prorate", "2026-02-20", "2026-05-01T00:00:00Z"),
           0, feb, "")
    expect("April (9 of 30 days)", invoice(d, "prorate", "2026-04-09", "2026-05-01T00:00:00Z"), 0,
           apr, "")
    no_invoice("the empty run-off period [04-10, 05-01)",
               invoice(d, "prorate", "2026-04-10", "2026-05-01T00:00:00Z"))
    no_invoice("a date before the start",
               invoice(d, "prorate", "2026-02-14", "2026-05-01T00:00:00Z"))
    expect("settle: the run-off period locks empty and is not printed",
           settle(d, "2026-05-01T00:00:00Z"), 0, feb + mar + apr, "")
    expect("results --status invalid", results(d, "prorate", "2026-05-01T00:00:00Z", "--status",
                                               "invalid"), 0, listing(
        res("prorate/visit:v0", "visit", "invalid", "2026-02-14T23:59:59Z", None, "v0",
            reason=REASON),
        res("prorate/visit:v22", "visit", "invalid", "2026-04-10T00:00:00Z", None, "v22",
            reason=REASON)), "")


WEEKLY = contract("weekly", [{"name": "job", "on": "job", "price": unit("30.00")},
                            {"name": "review", "on": "review", "hold": "2d",
                             "price": unit("1.00")}],
                  currency="EUR", timezone="-09:30", period="week", start="2026-01-07",
                  end="2026-01-16", fees=[{"name": "weekly", "amount": "100.00"}],
                  minimum="210.00875", cap="350.00")
# 2026-01-07 is a Wednesday: the first ISO week [Mon 01-05, Mon 01-12) is clipped to 5 of 7
# days; the second [01-12, 01-19) to [01-12, Fri 01-16): 4 of 7. Midnight at -09:30 is
# 09:30Z.
W1 = ("2026-01-07T00:00:00-09:30", "2026-01-12T00:00:00-09:30")
W2 = ("2026-01-12T00:00:00-09:30", "2026-01-16T00:00:00-09:30")


@case
def proration_week_contract_at_minus_0930():
    d = S.fresh()
    apply_ok(d, WEEKLY, JAN1)
    ingest_ok(d, [ev("j1", "job", "2026-01-12T08:00:00Z")],  # Sun 01-11 22:30 local: week 1
              "2026-01-12T09:00:00Z")
    ingest_ok(d, [ev("j2", "job", "2026-01-12T09:30:00Z"),  # Mon 00:00 local: week 2
                  ev("j3", "job", "2026-01-13T00:00:00Z"), ev("j4", "job", "2026-01-14T00:00:00Z"),
                  ev("j5", "job", "2026-01-15T00:00:00Z"), ev("j6", "job", "2026-01-16T00:00:00Z"),
                  ev("j7", "job", "2026-01-16T09:29:59Z"),  # Thu 23:59:59 local
                  ev("j8", "job", "2026-01-16T09:30:00Z"),  # Fri 00:00 local = end: invalid
                  # Thu 01-15 12:00 local, confirmed Sat 01-17 12:00 local: run-off
                  ev("rv1", "review", "2026-01-15T21:30:00Z")],
              "2026-01-16T09:00:00Z")
    w1 = doc("weekly", *W1, "locked", "2026-01-12T00:00:00-09:30",
             [R("job", "1", "30.00"), R("review", "0", "0.00"),
              FEE("weekly", "71.43"),  # 100.00 × 5/7 = 71.428571… → 71.43
              MIN("48.58")],  # 210.00875 × 5/7 = 150.00625 → 150.01; 150.01 − 101.43
             "150.01", currency="EUR")  # cap 350.00 × 5/7 = 250.00
    w2 = doc("weekly", *W2, "locked", "2026-01-16T00:00:00-09:30",
             [R("job", "6", "180.00"),  # j2..j7: 6 × 30.00
              R("review", "0", "0.00"),
              FEE("weekly", "57.14"),  # 100.00 × 4/7 = 57.142857… → 57.14
              CAP("-37.14")],  # 350.00 × 4/7 = 200.00; 200.00 − 237.14
             "200.00", currency="EUR")  # minimum 210.00875 × 4/7 = 120.005 → 120.01
    expect("week 1 (a date on its Sunday)",
           invoice(d, "weekly", "2026-01-11", "2026-01-20T00:00:00Z"),
           0, w1, "")
    expect("week 2 (its Monday)", invoice(d, "weekly", "2026-01-12", "2026-01-20T00:00:00Z"), 0, w2,
           "")
    # A draft of week 2 at 01-14T00:00Z (= 01-13 14:30 local), before its events arrived.
    expect("week 2 draft at a past clock",
           invoice(d, "weekly", "2026-01-15", "2026-01-14T00:00:00Z"),
           0, doc("weekly", *W2, "draft", "2026-01-13T14:30:00-09:30",
                  [R("job", "0", "0.00"), R("review", "0", "0.00"), FEE("weekly", "57.14"),
                   MIN("62.87")],  # 120.01 − 57.14
                  "120.01", currency="EUR"), "")
    expect("the first run-off period, clipped to [Fri 01-16, Mon 01-19)",
           invoice(d, "weekly", "2026-01-17", "2026-01-20T00:00:00Z"), 0,
           doc("weekly", "2026-01-16T00:00:00-09:30", "2026-01-19T00:00:00-09:30", "locked",
               "2026-01-19T00:00:00-09:30",
               [R("job", "0", "0.00"), R("review", "1", "1.00")],  # rv1; no fee, minimum, cap
               "1.00", currency="EUR"), "")
    no_invoice("the empty run-off week after it",
               invoice(d, "weekly", "2026-01-20", "2026-01-20T00:00:00Z"))
    no_invoice("before the start (Tuesday of week 1)",
               invoice(d, "weekly", "2026-01-06", "2026-01-20T00:00:00Z"))
    expect("j8 at the end is invalid", results(d, "weekly", "2026-01-20T00:00:00Z", "--status",
                                               "invalid"), 0, listing(
        res("weekly/job:j8", "job", "invalid", "2026-01-16T00:00:00-09:30", None, "j8",
            reason=REASON)), "")


ANNUAL = contract("annual", [{"name": "r", "on": "r.x", "price": unit("1.00")}], period="year",
                  start="2026-03-01", fees=[{"name": "licence", "amount": "1001.0125"}])


@case
def proration_of_a_year():
    d = S.fresh()
    apply_ok(d, ANNUAL, JAN1)
    expect("2026 from 03-01 (306 of 365 days)",
           invoice(d, "annual", "2026-06", "2027-01-02T00:00:00Z"),
           0, doc("annual", "2026-03-01T00:00:00Z", "2027-01-01T00:00:00Z", "locked",
                  "2027-01-01T00:00:00Z",
                  [R("r", "0", "0.00"),
                   FEE("licence", "839.21")],  # 1001.0125 × 306/365 = 839.205 → 839.21
                  "839.21"), "")
    expect("2027 draft (a whole year)", invoice(d, "annual", "2027-12-31", "2027-01-02T00:00:00Z"),
           0, doc("annual", "2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z", "draft",
                  "2027-01-02T00:00:00Z",
                  [R("r", "0", "0.00"), FEE("licence", "1001.01")],  # 1001.0125 → 1001.01
                  "1001.01"), "")


# ================================================================ run-off periods

RUNOFF = contract("runoff", [
    {"name": "lead", "on": "lead", "entity": "k", "hold": "10d", "price": unit("20.00")},
    {"name": "bonus", "on": "bonus", "price": unit("5.00")}],
    end="2026-03-01", fees=[{"name": "base", "amount": "50.00"}], minimum="100.00")


@case
def run_off_periods():
    d = S.fresh()
    apply_ok(d, RUNOFF, JAN1)
    ingest_ok(d, [ev("a2", "lead", "2026-02-10T00:00:00Z", k="B")],  # confirmed 02-20
              "2026-02-10T00:00:00Z")
    ingest_ok(d, [ev("a1", "lead", "2026-02-25T00:00:00Z", k="A"),  # confirmed 03-07 >= end
                  ev("a4", "lead", "2026-02-28T23:59:59Z", k="D"),  # confirmed 03-10 23:59:59
                  ev("a3", "lead", "2026-03-01T00:00:00Z", k="C")],  # at end: invalid
              "2026-03-01T00:00:00Z")
    jan = doc("runoff", *Z_JAN, "locked", "2026-02-01T00:00:00Z",
              [R("lead", "0", "0.00"), R("bonus", "0", "0.00"), FEE("base", "50.00"),
               MIN("50.00")],  # 100.00 − 50.00
              "100.00")
    feb = doc("runoff", *Z_FEB, "locked", "2026-03-01T00:00:00Z",
              [R("lead", "1", "20.00"), R("bonus", "0", "0.00"), FEE("base", "50.00"),
               MIN("30.00")],  # 100.00 − (20.00 + 50.00)
              "100.00")
    mar = doc("runoff", *Z_MAR, "locked", "2026-04-01T00:00:00Z",
              [R("lead", "2", "40.00"),  # A + D: 2 × 20.00; no fee, minimum or cap
               R("bonus", "0", "0.00")], "40.00")
    expect("run-off draft at 03-08: A confirmed, D pending",
           invoice(d, "runoff", "2026-03-31", "2026-03-08T00:00:00Z"), 0,
           doc("runoff", *Z_MAR, "draft", "2026-03-08T00:00:00Z",
               [R("lead", "1", "20.00"), R("bonus", "0", "0.00")], "20.00"), "")
    no_invoice("the empty run-off April as a draft",
               invoice(d, "runoff", "2026-04-15", "2026-04-15T00:00:00Z"))
    no_invoice("the empty run-off April locked",
               invoice(d, "runoff", "2026-04", "2026-05-01T00:00:00Z"))
    expect("settle at 05-01", settle(d, "2026-05-01T00:00:00Z"), 0, jan + feb + mar, "")
    expect("settle again: nothing new", settle(d, "2026-05-01T00:00:00Z"), 0, "", "")
    expect("invoices at 06-01: no empty run-off period", invoices(d, "2026-06-01T00:00:00Z"), 0,
           jan + feb + mar, "")
    expect("the run-off invoice printed again by invoice",
           invoice(d, "runoff", "2026-03-01", "2026-06-01T00:00:00Z"), 0, mar, "")
    expect("results", results(d, "runoff", "2026-05-01T00:00:00Z"), 0, listing(
        res("runoff/lead:B", "lead", "confirmed", "2026-02-10T00:00:00Z", "2026-02-20T00:00:00Z",
            "a2"),
        res("runoff/lead:A", "lead", "confirmed", "2026-02-25T00:00:00Z", "2026-03-07T00:00:00Z",
            "a1"),
        res("runoff/lead:D", "lead", "confirmed", "2026-02-28T23:59:59Z", "2026-03-10T23:59:59Z",
            "a4"),
        res("runoff/lead:C", "lead", "invalid", "2026-03-01T00:00:00Z", None, "a3",
            reason=REASON)), "")
    expect("--period 2026-03 (the run-off period)",
           results(d, "runoff", "2026-05-01T00:00:00Z", "--period", "2026-03"), 0, listing(
               res("runoff/lead:A", "lead", "confirmed", "2026-02-25T00:00:00Z",
                   "2026-03-07T00:00:00Z", "a1"),
               res("runoff/lead:D", "lead", "confirmed", "2026-02-28T23:59:59Z",
                   "2026-03-10T23:59:59Z", "a4")), "")


RUNADJ = contract("runadj", RUNOFF["results"], end="2026-03-01",
                  fees=[{"name": "base", "amount": "50.00"}], minimum="100.00")


@case
def run_off_period_with_an_adjustment():
    d = S.fresh()
    apply_ok(d, RUNADJ, JAN1)
    ingest_ok(d, [ev("a1", "lead", "2026-02-10T00:00:00Z", k="A")],  # confirmed 02-20
              "2026-02-10T00:00:00Z")
    ingest_ok(d, [ev("a5", "lead", "2026-02-19T00:00:00Z", k="E")],  # confirmed 03-01 = end
              "2026-02-19T00:00:00Z")
    ingest_ok(d, [ev(f"b{i}", "bonus", f"2026-02-15T0{i}:00:00Z") for i in (1, 2, 3)],
              "2026-04-10T00:00:00Z")
    jan = doc("runadj", *Z_JAN, "locked", "2026-02-01T00:00:00Z",
              [R("lead", "0", "0.00"), R("bonus", "0", "0.00"), FEE("base", "50.00"),
               MIN("50.00")], "100.00")  # 100.00 − 50.00
    feb = doc("runadj", *Z_FEB, "locked", "2026-03-01T00:00:00Z",
              [R("lead", "1", "20.00"), R("bonus", "0", "0.00"), FEE("base", "50.00"),
               MIN("30.00")], "100.00")  # 100.00 − (20.00 + 50.00)
    mar = doc("runadj", *Z_MAR, "locked", "2026-04-01T00:00:00Z",
              [R("lead", "1", "20.00"),  # E, confirmed at the end: run-off
               R("bonus", "0", "0.00")], "20.00")
    # February re-rated with b1-b3: 20.00 + 15.00 + 50.00 = 85.00 < 100.00, minimum 15.00:
    # still 100.00, so no adjustment and April stays empty.
    no_invoice("April with 3 late bonuses: the minimum absorbs them",
               invoice(d, "runadj", "2026-04", "2026-04-15T00:00:00Z"))
    ingest_ok(d, [ev(f"b{i}", "bonus", f"2026-02-15T0{i}:00:00Z") for i in (4, 5, 6, 7)],
              "2026-04-20T00:00:00Z")
    apr_lines = [R("lead", "0", "0.00"), R("bonus", "0", "0.00"),
                 ADJ("2026-02-01T00:00:00Z",
                     "5.00")]  # 20.00 + 7 × 5.00 + 50.00 = 105.00 (no minimum) − 100.00
    expect("April draft with 7 late bonuses",
           invoice(d, "runadj", "2026-04", "2026-04-20T00:00:00Z"),
           0, doc("runadj", *Z_APR, "draft", "2026-04-20T00:00:00Z", apr_lines, "5.00"), "")
    apr = doc("runadj", *Z_APR, "locked", "2026-05-01T00:00:00Z", apr_lines, "5.00")
    no_invoice("May: nothing left to adjust",
               invoice(d, "runadj", "2026-05", "2026-06-01T00:00:00Z"))
    expect("invoices", invoices(d, "2026-06-01T00:00:00Z"), 0, jan + feb + mar + apr, "")
    expect("--period 2026-03: E, confirmed exactly at 03-01",
           results(d, "runadj", "2026-06-01T00:00:00Z", "--period", "2026-03"), 0, listing(
               res("runadj/lead:E", "lead", "confirmed", "2026-02-19T00:00:00Z",
                   "2026-03-01T00:00:00Z", "a5")), "")


# ================================================================ currencies

YEN = contract("yen", [{"name": "order", "on": "order", "value": "amount",
                        "price": {"model": "percentage", "rate": "0.05"}}],
               currency="JPY", timezone="+09:00", start="2026-01-16",
               fees=[{"name": "base", "amount": "1000"}], minimum="5000")
DINAR = contract("dinar", [{"name": "unit", "on": "unit.sold", "price": {
    "model": "graduated", "tiers": [{"up_to": 2, "amount": "10.125"},
                                    {"up_to": None, "amount": "5.0615"}]}}],
    currency="BHD", timezone="+05:45", period="quarter", start="2026-02-01", lock_after="36h",
    fees=[{"name": "quarterly", "amount": "100.035"}])


@case
def jpy_without_minor_unit():
    d = S.fresh()
    apply_ok(d, YEN, JAN1)
    ingest_ok(d, [ev("o0", "order", "2026-01-15T14:59:59Z", amount=999),  # 01-15 23:59:59 local
                  ev("o1", "order", "2026-01-15T15:00:00Z", amount=1250),  # = start, 01-16 00:00
                  ev("o2", "order", "2026-01-20T00:00:00Z", amount=1000)], "2026-01-20T00:00:00Z")
    expect("January (16 of 31 days)", invoice(d, "yen", "2026-01-16", "2026-02-05T00:00:00Z"), 0,
           doc("yen", "2026-01-16T00:00:00+09:00", "2026-02-01T00:00:00+09:00", "locked",
               "2026-02-01T00:00:00+09:00",
               [R("order", "2250",  # 1250 + 1000
                  "113"),  # 1250 × 0.05 + 1000 × 0.05 = 62.5 + 50 = 112.5 → 113
                FEE("base", "516"),  # 1000 × 16/31 = 516.13 → 516
                MIN("1952")],  # 5000 × 16/31 = 2580.65 → 2581; 2581 − (113 + 516)
               "2581", currency="JPY"), "")
    expect("February draft (a whole month)",
           invoice(d, "yen", "2026-02", "2026-02-05T00:00:00Z"), 0,
           doc("yen", "2026-02-01T00:00:00+09:00", "2026-03-01T00:00:00+09:00", "draft",
               "2026-02-05T09:00:00+09:00",
               [R("order", "0", "0"), FEE("base", "1000"), MIN("4000")],  # 5000 − 1000
               "5000", currency="JPY"), "")
    expect("results", results(d, "yen", "2026-02-05T00:00:00Z"), 0, listing(
        res("yen/order:o0", "order", "invalid", "2026-01-15T23:59:59+09:00", None, "o0",
            reason=REASON),
        res("yen/order:o1", "order", "confirmed", "2026-01-16T00:00:00+09:00",
            "2026-01-16T00:00:00+09:00", "o1", value="1250"),
        res("yen/order:o2", "order", "confirmed", "2026-01-20T09:00:00+09:00",
            "2026-01-20T09:00:00+09:00", "o2", value="1000")), "")


@case
def bhd_three_digits_quarter_at_plus_0545():
    d = S.fresh()
    apply_ok(d, DINAR, JAN1)
    ingest_ok(d, [ev("u1", "unit.sold", "2026-01-31T18:15:00Z"),  # 02-01 00:00 local = start
                  ev("u2", "unit.sold", "2026-02-10T00:00:00Z"),
                  ev("u3", "unit.sold", "2026-03-01T00:00:00Z"),
                  ev("u4", "unit.sold", "2026-03-20T00:00:00Z"),
                  ev("u5", "unit.sold", "2026-03-31T18:14:59Z"),  # 03-31 23:59:59 local
                  ev("u6", "unit.sold", "2026-03-31T18:15:00Z")],  # 04-01 00:00 local: Q2
              "2026-03-31T18:00:00Z")
    q1 = doc("dinar", "2026-02-01T00:00:00+05:45", "2026-04-01T00:00:00+05:45", "locked",
             "2026-04-02T12:00:00+05:45",  # the end + 36h
             [R("unit", "5",
                "35.435"),  # 2 × 10.125 + 3 × 5.0615 = 20.25 + 15.1845 = 35.4345 → 35.435
              FEE("quarterly", "65.579")],  # 100.035 × 59/90 (Feb, Mar) = 65.5785 → 65.579
             "101.014", currency="BHD")  # 35.435 + 65.579
    expect("Q1 clipped to [02-01, 04-01)",
           invoice(d, "dinar", "2026-03-31", "2026-04-10T00:00:00Z"),
           0, q1, "")
    expect("Q2 draft", invoice(d, "dinar", "2026-04-01", "2026-04-10T00:00:00Z"), 0,
           doc("dinar", "2026-04-01T00:00:00+05:45", "2026-07-01T00:00:00+05:45", "draft",
               "2026-04-10T05:45:00+05:45",
               [R("unit", "1", "10.125"),  # u6: 1 × 10.125
                FEE("quarterly", "100.035")], "110.160", currency="BHD"), "")


# ================================================================ versions

VER1 = contract("ver", [{"name": "call", "on": "call", "price": unit("10.00")}],
                fees=[{"name": "base", "amount": "5.00"}])
VER2 = contract("ver", [{"name": "call", "on": "call", "price": unit("12.00")}],
                fees=[{"name": "base", "amount": "6.00"}])
VER2B = contract("ver", [{"name": "call", "on": "call", "price": unit("13.00")}],
                 fees=[{"name": "base", "amount": "6.00"}])
VER3 = contract("ver", [{"name": "call", "on": "call", "price": unit("15.00")}],
                fees=[{"name": "base", "amount": "6.00"}])


@case
def versions_price_their_periods():
    d = S.fresh()
    apply_ok(d, VER1, JAN1)
    ingest_ok(d, [ev(f"c1{i}", "call", f"2026-01-1{i}T00:00:00Z") for i in range(3)],
              "2026-01-20T00:00:00Z")
    ingest_ok(d, [ev(f"c2{i}", "call", f"2026-02-0{i + 1}T00:00:00Z") for i in range(2)],
              "2026-02-10T00:00:00Z")
    apply_ok(d, VER2, "2026-02-15T00:00:00Z", 2, "--effective", "2026-03-01")
    expect("--effective in locked January", S.apply(d, VER2B, "2026-02-15T00:00:00Z",
                                                     "--effective", "2026-01-20"),
           2, "", stderr_prefix="--effective: ")
    ingest_ok(d, [ev(f"c3{i}", "call", f"2026-03-0{i + 2}T00:00:00Z") for i in range(4)],
              "2026-03-06T00:00:00Z")
    apply_ok(d, VER3, "2026-03-10T00:00:00Z", 3)  # effective: March, the clock's period
    now = "2026-04-05T00:00:00Z"
    jan = doc("ver", *Z_JAN, "locked", "2026-02-01T00:00:00Z",
              [R("call", "3", "30.00"), FEE("base", "5.00")], "35.00")  # v1: 3 × 10.00 + 5.00
    feb = doc("ver", *Z_FEB, "locked", "2026-03-01T00:00:00Z",
              [R("call", "2", "20.00"), FEE("base", "5.00")], "25.00")  # v1: 2 × 10.00 + 5.00
    mar = doc("ver", *Z_MAR, "locked", "2026-04-01T00:00:00Z",
              [R("call", "4", "60.00"), FEE("base", "6.00")], "66.00")  # v3: 4 × 15.00 + 6.00
    expect("each period priced by its version", invoices(d, now), 0, jan + feb + mar, "")
    expect("March draft before v2 was applied (v1)",
           invoice(d, "ver", "2026-03", "2026-02-14T00:00:00Z"),
           0, doc("ver", *Z_MAR, "draft", "2026-02-14T00:00:00Z",
                  [R("call", "0", "0.00"), FEE("base", "5.00")], "5.00"), "")
    expect("March draft before v3 was applied (v2)",
           invoice(d, "ver", "2026-03", "2026-03-09T23:59:59Z"), 0,
           doc("ver", *Z_MAR, "draft", "2026-03-09T23:59:59Z",
               [R("call", "4", "48.00"), FEE("base", "6.00")], "54.00"), "")  # 4 × 12.00 + 6.00
    expect("March draft at the instant v3 was applied (v3)",
           invoice(d, "ver", "2026-03", "2026-03-10T00:00:00Z"), 0,
           doc("ver", *Z_MAR, "draft", "2026-03-10T00:00:00Z",
               [R("call", "4", "60.00"), FEE("base", "6.00")], "66.00"), "")  # 4 × 15.00 + 6.00
    expect("April draft (v3)", invoice(d, "ver", "2026-04", now), 0,
           doc("ver", *Z_APR, "draft", now, [R("call", "0", "0.00"), FEE("base", "6.00")], "6.00"),
           "")


TERM1 = contract("term", [{"name": "r", "on": "r.x", "price": unit("1.00")}], end="2026-04-01",
                 fees=[{"name": "base", "amount": "10.00"}])
TERM2 = dict(TERM1, end="2026-03-01")


@case
def a_version_moves_the_end():
    d = S.fresh()
    apply_ok(d, TERM1, JAN1)
    ingest_ok(d, [ev("r1", "r.x", "2026-01-15T00:00:00Z")], "2026-01-15T00:00:00Z")
    apply_ok(d, TERM2, "2026-02-10T00:00:00Z", 2)  # effective February
    ingest_ok(d, [ev("r2", "r.x", "2026-03-05T00:00:00Z")], "2026-03-05T00:00:00Z")
    jan = doc("term", *Z_JAN, "locked", "2026-02-01T00:00:00Z",
              [R("r", "1", "1.00"), FEE("base", "10.00")], "11.00")  # 1 × 1.00 + 10.00
    feb = doc("term", *Z_FEB, "locked", "2026-03-01T00:00:00Z",
              [R("r", "0", "0.00"), FEE("base", "10.00")], "10.00")
    expect("March draft before version 2: in the term, with its fee",
           invoice(d, "term", "2026-03", "2026-02-09T00:00:00Z"), 0,
           doc("term", *Z_MAR, "draft", "2026-02-09T00:00:00Z",
               [R("r", "0", "0.00"), FEE("base", "10.00")], "10.00"), "")
    no_invoice("March after version 2: an empty run-off period",
               invoice(d, "term", "2026-03", "2026-04-05T00:00:00Z"))
    expect("invoices", invoices(d, "2026-04-05T00:00:00Z"), 0, jan + feb, "")
    expect("r2 is after the new end", results(d, "term", "2026-04-05T00:00:00Z"), 0, listing(
        res("term/r:r1", "r", "confirmed", "2026-01-15T00:00:00Z", "2026-01-15T00:00:00Z", "r1"),
        res("term/r:r2", "r", "invalid", "2026-03-05T00:00:00Z", None, "r2", reason=REASON)), "")


EXT1 = contract("ext", [{"name": "r", "on": "r.x", "price": unit("1.00")}], end="2026-03-01",
                fees=[{"name": "base", "amount": "10.00"}])
EXT2 = dict(EXT1, end="2026-06-01")


@case
def a_version_extends_the_end_after_a_run_off_period_locked():
    # March [03-01, 04-01) is a run-off period under version 1 and locks empty at 04-01.
    # Version 2, applied 04-15 (effective April, the run-off period of its clock), moves the
    # end to 06-01. A locked invoice is computed from what was visible before its lock, so
    # March stays an empty run-off period; the change reaches it only as an adjustment.
    d = S.fresh()
    apply_ok(d, EXT1, JAN1)
    ingest_ok(d, [ev("x1", "r.x", "2026-03-10T00:00:00Z")], "2026-03-10T00:00:00Z")  # after end
    jan = doc("ext", *Z_JAN, "locked", "2026-02-01T00:00:00Z",
              [R("r", "0", "0.00"), FEE("base", "10.00")], "10.00")
    feb = doc("ext", *Z_FEB, "locked", "2026-03-01T00:00:00Z",
              [R("r", "0", "0.00"), FEE("base", "10.00")], "10.00")
    expect("settle at 04-02: March is an empty run-off period", settle(d, "2026-04-02T00:00:00Z"),
           0, jan + feb, "")
    apply_ok(d, EXT2, "2026-04-15T00:00:00Z", 2)
    for now in ("2026-04-10T00:00:00Z", "2026-05-02T00:00:00Z"):
        no_invoice(f"March read at {now}: still the empty run-off period it locked as",
                   invoice(d, "ext", "2026-03", now))
    expect("invoices at 04-10 (before version 2 existed)", invoices(d, "2026-04-10T00:00:00Z"), 0,
           jan + feb, "")
    # April: in the term now, priced by version 2 (fee 10.00). March re-rated at
    # min(05-01, 04-01 + 90d) = 05-01: in the term, governed by version 1: x1 1.00 + fee
    # 10.00 = 11.00, billed so far 0.00 (it locked empty) → +11.00.
    apr = doc("ext", *Z_APR, "locked", "2026-05-01T00:00:00Z",
              [R("r", "0", "0.00"), FEE("base", "10.00"), ADJ("2026-03-01T00:00:00Z", "11.00")],
              "21.00")  # 0.00 + 10.00 + 11.00
    expect("settle at 05-02", settle(d, "2026-05-02T00:00:00Z"), 0, apr, "")
    no_invoice("March read at 04-10 after that settle", invoice(d, "ext", "2026-03",
                                                                "2026-04-10T00:00:00Z"))
    expect("invoices at 05-02", invoices(d, "2026-05-02T00:00:00Z"), 0, jan + feb + apr, "")


@case
def overflow_in_settlement_exits_3():
    d = S.fresh()
    apply_ok(d, contract("huge", [{"name": "v", "on": "v", "value": "x",
                                   "price": unit("1", measure="value")}]), JAN1)
    ingest_ok(d, [ev("v1", "v", "2026-01-05T00:00:00Z", x=Raw("6e25")),
                  ev("v2", "v", "2026-01-06T00:00:00Z", x=Raw("6e25"))], "2026-01-10T00:00:00Z")
    got = invoice(d, "huge", "2026-01", "2026-02-05T00:00:00Z")  # 6e25 + 6e25 = 1.2e26 >= 10^26
    if expect("1.2e26 overflows", got, 3, ""):
        if "huge" not in got[2] or "2026-01-01" not in got[2]:
            S.note(f"the overflow message does not name the contract and period: {got[2]!r}")


# ================================================================ arrival order

SHUF = contract("shuf", [{"name": "lead", "on": "lead", "entity": "k", "value": "v", "hold": "1d",
                          "reversed_by": {"on": "lead.lost"},
                          "price": unit("2.00", measure="value")}])
SHUF_EVENTS = {
    "e9": ev("e9", "lead", "2026-01-05T00:00:00Z", k="A", v=5),
    "e10": ev("e10", "lead", "2026-01-05T00:00:00Z", k="A", v=7),  # "e10" < "e9": decides
    "e2": ev("e2", "lead", "2026-01-06T00:00:00Z", k="B", v=3),
    "e1": ev("e1", "lead", "2026-01-07T00:00:00Z", k="B", v=100),  # later: ignored
    "e3": ev("e3", "lead", "2026-01-04T00:00:00Z", k="C", v=Raw("1.50")),
    "e4": ev("e4", "lead", "2026-01-08T00:00:00Z", k="D", v=50),
    "x4": ev("x4", "lead.lost", "2026-01-08T12:00:00Z", k="D"),  # inside the hold
    "e5": ev("e5", "lead", "2026-01-31T12:00:00Z", k="E", v=0.25),  # confirmed 02-01 12:00
}


@case
def arrival_order_does_not_matter():
    end = "2026-01-31T12:00:00Z"
    a, b, c = S.fresh(), S.fresh(), S.fresh()
    for x in (a, b, c):
        apply_ok(x, SHUF, JAN1)
    ingest_ok(a, list(SHUF_EVENTS.values()), end)
    ingest_ok(b, [SHUF_EVENTS[i] for i in ("x4", "e1", "e9")], "2026-01-09T00:00:00Z")
    ingest_ok(b, [SHUF_EVENTS["e3"]], "2026-01-20T00:00:00Z")
    ingest_ok(b, [SHUF_EVENTS[i] for i in ("e5", "e10", "e4", "e2")], end)
    for i in ("e2", "e5", "x4", "e10", "e3", "e1", "e4", "e9"):
        ingest_ok(c, [SHUF_EVENTS[i]], end)
    now = "2026-03-01T00:00:00Z"
    want_invoices = (
        doc("shuf", *Z_JAN, "locked", "2026-02-01T00:00:00Z",
            [R("lead", "11.5",  # C 1.5 + A 7 + B 3 (D reversed)
               "23.00")], "23.00")  # 11.5 × 2.00
        + doc("shuf", *Z_FEB, "locked", "2026-03-01T00:00:00Z",
              [R("lead", "0.25", "0.50")], "0.50"))  # E: 0.25 × 2.00
    want_results = listing(
        res("shuf/lead:C", "lead", "confirmed", "2026-01-04T00:00:00Z", "2026-01-05T00:00:00Z",
            "e3", value="1.5"),
        res("shuf/lead:A", "lead", "confirmed", "2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z",
            "e10", value="7", ignored=["e9"]),
        res("shuf/lead:B", "lead", "confirmed", "2026-01-06T00:00:00Z", "2026-01-07T00:00:00Z",
            "e2", value="3", ignored=["e1"]),
        res("shuf/lead:D", "lead", "reversed", "2026-01-08T00:00:00Z", "2026-01-09T00:00:00Z",
            "e4", value="50", reversed_=["x4"]),
        res("shuf/lead:E", "lead", "confirmed", "2026-01-31T12:00:00Z", "2026-02-01T12:00:00Z",
            "e5", value="0.25"))
    outs = {}
    for name, x in (("one batch", a), ("three batches, other order", b),
                    ("one event per batch, shuffled", c)):
        inv, rs = invoices(x, now), results(x, "shuf", now)
        expect(f"{name}: invoices", inv, 0, want_invoices, "")
        expect(f"{name}: results", rs, 0, want_results, "")
        outs[name] = (inv, rs)
    if len(set(outs.values())) != 1:
        S.note("the three directories do not print byte-identical invoices and results")


# ================================================================ entities, ids, values

ENT = contract("ent", [
    {"name": "lead", "on": "lead", "entity": "lead_id", "price": unit("1.00")},
    {"name": "click", "on": "click", "price": unit("0.10")},
    {"name": "deal", "on": "deal", "entity": "k", "value": "amt",
     "requires": {"on": "touch", "within": "2d"},
     "price": {"model": "percentage", "rate": "0.1", "min": "1.00", "max": "50.00"}},
    {"name": "rev", "on": "sale", "value": "revenue", "price": unit("0.50", measure="value")}])


@case
def entities_ids_requires_and_values():
    d = S.fresh()
    apply_ok(d, ENT, JAN1)
    events = [
        ev("x1", "lead", "2026-01-05T00:00:00Z", lead_id=77),
        ev("x2", "lead", "2026-01-06T00:00:00Z", lead_id="77"),  # the same entity as 77
        ev("x3", "lead", "2026-01-07T00:00:00Z", lead_id=Raw("1e3")),  # text 1000
        ev("x4", "lead", "2026-01-08T00:00:00Z", lead_id="1000"),
        ev("x5", "lead", "2026-01-09T00:00:00Z"),  # no entity: ent/lead:@x5
        ev("x6", "lead", "2026-01-09T01:00:00Z", lead_id=True),  # not a string or number
        ev("x7", "lead", "2026-01-10T00:00:00Z", lead_id="@home"),  # ent/lead:@@home
        ev("x8", "lead", "2025-12-31T23:59:59Z", lead_id=88),  # before start: invalid
        ev("x9", "lead", "2026-01-02T00:00:00Z", lead_id=Raw("88.0")),  # 88: never bills
        ev("x10", "lead", "2026-01-03T00:00:00Z", lead_id=Raw("7.50")),  # text 7.5
        ev("@c1", "click", "2026-01-11T00:00:00Z"),  # ent/click:@@c1
        ev("c2", "click", "2026-01-11T00:00:00Z"),
        ev("t1", "touch", "2026-01-08T00:00:00Z", k="D1"),  # = achieved − 2d: counts
        ev("d1", "deal", "2026-01-10T00:00:00Z", k="D1", amt=100),
        ev("t2", "touch", "2026-01-12T00:00:00Z", k="D2"),  # = achieved: counts
        ev("d2", "deal", "2026-01-12T00:00:00Z", k="D2", amt=5),
        ev("t3", "touch", "2026-01-07T23:59:59Z", k="D3"),  # 1 s before the window
        ev("t3b", "touch", "2026-01-10T00:00:01Z", k="D3"),  # 1 s after it
        ev("d3", "deal", "2026-01-10T00:00:00Z", k="D3", amt=100),
        ev("t4", "touch", "2026-01-14T00:00:00Z", k="D4"),
        ev("d4", "deal", "2026-01-15T00:00:00Z", k="D4", amt=1000),
        ev("t5", "touch", "2026-01-15T00:00:00Z", k="D5"),
        ev("d5", "deal", "2026-01-15T01:00:00Z", k="D5", amt="abc"),  # not a number
        ev("t6", "touch", "2026-01-15T00:00:00Z", k="D6"),
        ev("d6", "deal", "2026-01-15T02:00:00Z", k="D6"),  # no value
        ev("t7", "touch", "2026-01-15T00:00:00Z", k="D7"),
        ev("d7", "deal", "2026-01-15T03:00:00Z", k="D7", amt="12.5"),  # a string holding one
        ev("t8", "touch", "2026-01-15T00:00:00Z", k="D8"),
        ev("d8", "deal", "2026-01-15T04:00:00Z", k="D8", amt=Raw("1e30")),  # >= 10^26
        ev("t9", "touch", "2026-01-15T00:00:00Z", k="9"),  # matches the number 9
        ev("d9", "deal", "2026-01-16T00:00:00Z", k=9, amt=20),
        ev("s1", "sale", "2026-01-16T00:00:00Z", revenue=Raw("0.1234567890125")),
        ev("s2", "sale", "2026-01-16T01:00:00Z", revenue="10"),
        ev("s3", "sale", "2026-01-16T02:00:00Z", revenue=Raw("-2.5")),
    ]
    ingest_ok(d, events, "2026-01-20T00:00:00Z")
    now = "2026-02-05T00:00:00Z"
    expect("January", invoice(d, "ent", "2026-01", now), 0, doc(
        "ent", *Z_JAN, "locked", "2026-02-01T00:00:00Z",
        [R("lead", "4", "4.00"),  # 7.5, 77, 1000, @home: 4 × 1.00
         R("click", "2", "0.20"),  # @c1, c2: 2 × 0.10
         R("deal", "1137.5",  # 100 + 5 + 1000 + 12.5 + 20
           "64.25"),  # 10 + max(0.5, 1.00) + min(100, 50.00) + 1.25 + 2 = 64.25
         R("rev", "7.623456789013",  # 0.123456789013 + 10 − 2.5
           "3.81")],  # × 0.50 = 3.8117… → 3.81
        "72.26"), "")  # 4.00 + 0.20 + 64.25 + 3.81

    def ok(id_, name, t, by, **kw):
        return res(id_, name, "confirmed", t, t, by, **kw)

    def bad(id_, name, t, by, **kw):
        return res(id_, name, "invalid", t, None, by, reason=REASON, **kw)

    expect("results", results(d, "ent", now), 0, listing(
        bad("ent/lead:88", "lead", "2025-12-31T23:59:59Z", "x8", ignored=["x9"]),
        ok("ent/lead:7.5", "lead", "2026-01-03T00:00:00Z", "x10"),
        ok("ent/lead:77", "lead", "2026-01-05T00:00:00Z", "x1", ignored=["x2"]),
        ok("ent/lead:1000", "lead", "2026-01-07T00:00:00Z", "x3", ignored=["x4"]),
        bad("ent/lead:@x5", "lead", "2026-01-09T00:00:00Z", "x5"),
        bad("ent/lead:@x6", "lead", "2026-01-09T01:00:00Z", "x6"),
        ok("ent/deal:D1", "deal", "2026-01-10T00:00:00Z", "d1", value="100", attributed=["t1"]),
        bad("ent/deal:D3", "deal", "2026-01-10T00:00:00Z", "d3"),
        ok("ent/lead:@@home", "lead", "2026-01-10T00:00:00Z", "x7"),
        ok("ent/click:@@c1", "click", "2026-01-11T00:00:00Z", "@c1"),
        ok("ent/click:c2", "click", "2026-01-11T00:00:00Z", "c2"),
        ok("ent/deal:D2", "deal", "2026-01-12T00:00:00Z", "d2", value="5", attributed=["t2"]),
        ok("ent/deal:D4", "deal", "2026-01-15T00:00:00Z", "d4", value="1000", attributed=["t4"]),
        bad("ent/deal:D5", "deal", "2026-01-15T01:00:00Z", "d5", attributed=["t5"]),
        bad("ent/deal:D6", "deal", "2026-01-15T02:00:00Z", "d6", attributed=["t6"]),
        ok("ent/deal:D7", "deal", "2026-01-15T03:00:00Z", "d7", value="12.5", attributed=["t7"]),
        bad("ent/deal:D8", "deal", "2026-01-15T04:00:00Z", "d8", attributed=["t8"]),
        ok("ent/deal:9", "deal", "2026-01-16T00:00:00Z", "d9", value="20", attributed=["t9"]),
        ok("ent/rev:s1", "rev", "2026-01-16T00:00:00Z", "s1",
           value="0.123456789013"),  # 0.1234567890125 rounded to 12 digits, half away
        ok("ent/rev:s2", "rev", "2026-01-16T01:00:00Z", "s2", value="10"),
        ok("ent/rev:s3", "rev", "2026-01-16T02:00:00Z", "s3", value="-2.5")), "")


FLT = contract("flt", [{"name": "lead", "on": "lead", "where": "score >= 60", "entity": "k",
                         "hold": "1d", "reversed_by": {"on": "lost", "where": "reason == 'spam'"},
                         "price": unit("1.00")}])


@case
def where_filters_and_other_customers():
    d = S.fresh()
    apply_ok(d, FLT, JAN1)
    expect("ingest", S.ingest(d, [
        ev("f1", "lead", "2026-01-05T00:00:00Z", k="A", score=50),  # fails where: no candidate
        ev("f2", "lead", "2026-01-06T00:00:00Z", k="A", score=70),  # decides A
        ev("f3", "lead", "2026-01-07T00:00:00Z", k="A", score=80),  # ignored
        ev("f4", "lead", "2026-01-05T00:00:00Z", k="B", score=Raw("60.0")),  # 60.0 >= 60
        ev("g1", "lost", "2026-01-05T12:00:00Z", k="B", reason="dup"),  # fails where
        ev("f5", "lead", "2026-01-05T00:00:00Z", k="C", score="90"),  # a string: false
        ev("f6", "lead", "2026-01-08T00:00:00Z", k="D", score=65),
        ev("g2", "lost", "2026-01-08T01:00:00Z", k="D", reason="spam"),  # reverses D
        ev("f7", "lead", "2026-01-08T00:00:00Z", customer="other", k="E", score=99),
    ], "2026-01-20T00:00:00Z"), 0, '{"accepted":9,"duplicates":0,"rejected":[],"conflicts":[],'
           '"unmatched":{"count":1,"customers":["other"]}}\n', "")
    expect("January", invoice(d, "flt", "2026-01", "2026-02-01T00:00:00Z"), 0,
           doc("flt", *Z_JAN, "locked", "2026-02-01T00:00:00Z", [R("lead", "2", "2.00")],  # A, B
               "2.00"), "")
    expect("results", results(d, "flt", "2026-02-01T00:00:00Z"), 0, listing(
        res("flt/lead:B", "lead", "confirmed", "2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z",
            "f4"),
        res("flt/lead:A", "lead", "confirmed", "2026-01-06T00:00:00Z", "2026-01-07T00:00:00Z",
            "f2", ignored=["f3"]),
        res("flt/lead:D", "lead", "reversed", "2026-01-08T00:00:00Z", "2026-01-09T00:00:00Z",
            "f6", reversed_=["g2"])), "")  # g2 in [01-08, 01-09)


# ================================================================ settle

def flat_contract(id_, customer, fee, period="month", start="2026-01-01", **extra):
    return contract(id_, [{"name": "r", "on": "r.x", "price": unit("1.00")}], customer=customer,
                    period=period, start=start, fees=[{"name": "base", "amount": fee}], **extra)


SETTLE = [flat_contract("a-month", "alpha", "1.00", lock_after="1d"),
          flat_contract("b-week", "beta", "2.00", period="week", start="2026-01-05"),
          flat_contract("c-month", "alpha", "3.00"),
          flat_contract("d-month", "beta", "4.00", timezone="+08:00"),
          flat_contract("Z-month", "alpha", "5.00", lock_after="1d")]


def flat_doc(c, customer, fee, start, end, as_of):
    return doc(c, start, end, "locked", as_of, [R("r", "0", "0.00"), FEE("base", fee)], fee,
               customer=customer)


def week(start, end):
    return flat_doc("b-week", "beta", "2.00", f"2026-{start}T00:00:00Z", f"2026-{end}T00:00:00Z",
                    f"2026-{end}T00:00:00Z")


@case
def settle_order_storage_and_filters():
    d = S.fresh()
    for c in SETTLE:
        apply_ok(d, c, JAN1)
    b1, b2, b3 = week("01-05", "01-12"), week("01-12", "01-19"), week("01-19", "01-26")
    b4, b5, b6 = week("01-26", "02-02"), week("02-02", "02-09"), week("02-09", "02-16")
    a = flat_doc("a-month", "alpha", "1.00", *Z_JAN, "2026-02-02T00:00:00Z")  # 02-01 + 1d
    c = flat_doc("c-month", "alpha", "3.00", *Z_JAN, "2026-02-01T00:00:00Z")
    z = flat_doc("Z-month", "alpha", "5.00", *Z_JAN, "2026-02-02T00:00:00Z")
    dm = flat_doc("d-month", "beta", "4.00", "2026-01-01T00:00:00+08:00",
                  "2026-02-01T00:00:00+08:00", "2026-02-01T00:00:00+08:00")  # = 01-31T16:00Z
    expect("settle at 01-31", settle(d, "2026-01-31T00:00:00Z"), 0, b1 + b2 + b3, "")
    expect("settle again at the same clock: nothing new", settle(d, "2026-01-31T00:00:00Z"), 0, "",
           "")
    # Lock times: d-month 01-31T16:00Z, c-month 02-01; Z-month, a-month and b-week's 01-26
    # week all 02-02 (a tie: contract ids byte-wise, "Z" < "a" < "b"); b-week's 02-02 week
    # 02-09.
    expect("settle at 02-10: ordered by lock time, then contract id",
           settle(d, "2026-02-10T00:00:00Z"), 0, dm + c + z + a + b4 + b5, "")
    expect("settle at an earlier clock", settle(d, "2026-02-09T23:59:59Z"), 2, "",
           stderr_prefix="--now: ")
    expect("settle later still prints only the new ones", settle(d, "2026-02-10T00:00:00Z"), 0,
           "", "")
    expect("settle recorded its clock: an earlier ingest is refused",
           S.ingest(d, [ev("late1", "r.x", "2026-02-09T00:00:00Z", customer="alpha")],
                    "2026-02-09T12:00:00Z"), 2, "", stderr_prefix="--now: ")
    for what, date, c_, want in (("b-week 01-05", "2026-01-05", "b-week", b1),
                                 ("d-month January", "2026-01-31", "d-month", dm),
                                 ("a-month January", "2026-01", "a-month", a)):
        expect(f"{what} printed again by invoice", invoice(d, c_, date, "2026-03-01T00:00:00Z"), 0,
               want, "")
    every = b1 + b2 + b3 + dm + c + z + a + b4 + b5
    expect("invoices", invoices(d, "2026-02-10T00:00:00Z"), 0, every, "")
    expect("invoices --contract a-month", invoices(d, "2026-02-10T00:00:00Z", "--contract",
                                                   "a-month"), 0, a, "")
    expect("invoices --customer beta", invoices(d, "2026-02-10T00:00:00Z", "--customer", "beta"), 0,
           b1 + b2 + b3 + dm + b4 + b5, "")
    expect("invoices --customer alpha", invoices(d, "2026-02-10T00:00:00Z", "--customer", "alpha"),
           0, c + z + a, "")
    expect("invoices --customer alpha --contract b-week (nothing)",
           invoices(d, "2026-02-10T00:00:00Z", "--customer", "alpha", "--contract", "b-week"), 0,
           "", "")
    expect("invoices at a past clock", invoices(d, "2026-01-12T00:00:00Z"), 0, b1, "")
    expect("invoices at a later clock, including one settle did not store",
           invoices(d, "2026-02-16T00:00:00Z", "--contract", "b-week"), 0,
           b1 + b2 + b3 + b4 + b5 + b6, "")


if __name__ == "__main__":
    sys.exit(S.main())
