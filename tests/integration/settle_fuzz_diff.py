#!/usr/bin/env python3
"""settle_fuzz_diff.py — randomized differential test of settlement: the real `raas results`,
`raas invoice`, `raas invoices` and `raas settle` against settle_reference.py (an independent
implementation of ../shared/spec/settlement.md), byte for byte.

usage: settle_fuzz_diff.py [RAAS] [--raas PATH] [--seed S] [--cases N] [--seconds T]
                           [--jobs J] [--case I] [--show K] [--no-shrink] [--self-test]
                           [--dispute-share F]

Each case is a random scenario in a fresh `raas init` directory: 1-3 contracts (currencies
with 0-6 minor digits, zones from -12:00 to +14:00 incl. +05:45, week/month/quarter/year
periods, start and end on or off the grid or no end, lock_after, corrections_within, 1-3
result definitions with random where / entity / value / hold / reversed_by / clawback_within /
requires and every price model, fees, minimum, cap, amounts with many fractional digits),
sometimes a second version (prices, fees, minimum, cap, end; with or without --effective)
applied later; events over several `ingest` steps with increasing --now clocks (duplicates in
other notations, conflicts, reversals, attributions, late arrivals after locks, events up to
24 h ahead and beyond, entities as numbers and strings, missing or bad entities and values);
`settle` at some writing clocks; and, between the writing steps, `invoice C DATE`, `results C
[--status S | --period D]` and `invoices [--contract C | --customer C]` at past, present,
future and boundary clocks. Some cases (--dispute-share, default 0.35, drawn from a random
stream of their own so that the other cases stay as they were) also get dispute terms
(resolve_within, dispute_default, dispute_within, also changed by a second version) and
dispute actions between the writing steps: `dispute open` on a result the reference finds
open to dispute at that clock (pending or confirmed, inside the window) or, now and then, on
one it must refuse, and `dispute resolve --upheld|--voided` of an open dispute (or of one
resolved already), with `disputes [--status S | --contract C | --customer C]` and `results
--status disputed|voided` among the reads; the target is chosen when the step first runs and
then written into the step (so reproductions name it). Every command's exit code is compared, and its stdout byte for
byte (the ingest report on its keys, results' `reason` texts only for being non-null). A
writing step that disagrees ends its case (the two states would differ from then on).

Without --cases it runs cases for --seconds (default 60) on --jobs (default 2) processes.
Case I of seed S is reproducible alone with --seed S --case I. A mismatch prints the command,
the first difference, and a shell script that reproduces it by hand, shrunk (fewer steps and
event lines) unless --no-shrink. Ends with one summary line; exits 0 only when every compared
command agrees.

--self-test runs only the reference against ../shared/vectors/engine-basic.json (no binary).
"""

import argparse
import concurrent.futures
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import settle_reference as ref  # noqa: E402

US = ref.US
DAY = ref.DAY
HOUR = ref.HOUR
MIN = 60 * US


# ================================================================== JSON text building

class Raw:
    """A JSON token written exactly as given (a number in a chosen notation)."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


def dump(v, rng=None):
    if isinstance(v, Raw):
        return v.text
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=bool(rng and rng.random() < 0.2))
    if isinstance(v, (int, Decimal)):
        return str(v)
    if isinstance(v, list):
        return "[" + ",".join(dump(x, rng) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k) + ":" + dump(x, rng) for k, x in v.items()) + "}"
    raise TypeError(v)


def dur_text(rng, us):
    """A duration string for us (a multiple of seconds), in a unit that divides it."""
    units = [(u, n) for u, n in (("d", DAY), ("h", HOUR), ("m", MIN), ("s", US)) if us % n == 0]
    u, n = units[0] if rng.random() < 0.7 else rng.choice(units)
    return "%d%s" % (us // n, u)


def date_text(day):
    y, m, d = ref.civil_from_days(day)
    return "%04d-%02d-%02d" % (y, m, d)


def local_day(t, off_min):
    return (t + off_min * MIN) // DAY


# ================================================================== contracts

ZONES = ["Z", "Z", "+08:00", "-05:00", "+05:45", "-09:30", "+14:00", "-12:00", "+00:00",
         "-03:30", "+01:00", "-00:00"]
CURRENCIES = [("CNY", None), ("USD", None), ("JPY", None), ("BHD", None), ("KWD", None),
              ("CLF", None), ("EUR", None), ("XAU", 2), ("USD", 0), ("JPY", 3), ("XTS", 6),
              ("USD", None), ("JPY", None), ("BHD", None)]
KINDS = ["week"] * 3 + ["month"] * 4 + ["quarter"] * 2 + ["year"]
LEN = {"week": 7, "month": 30, "quarter": 91, "year": 365}
ACHIEVE_TYPES = ["lead.created", "order.paid", "hire.started"]
REVERSE_TYPES = ["lead.rejected", "order.refunded", "employee.left"]
REQUIRE_TYPES = ["ad.click", "visit"]
NAMES = ["lead", "sale", "hire", "bonus_2", "x"]
ENTITY_PATHS = ["lead_id", "lead_id", "ref.id"]
VALUE_PATHS = ["amount", "amount", "deal.value"]
CONTRACT_IDS = ["c1", "acme.leads:2026", "B-2", "a_3", "Z9", "c-10"]
CUSTOMERS = ["acme", "beta"]

WHERE_ATOMS = [
    "score >= 60", "score > 59.5", "60 <= score", "score == 60", "score != 60", "score < 90",
    "score >= -2.5", "source == 'vendor'", "source != 'vendor'",
    "source in ['vendor', 'partner']", "startswith(source, 'ven')", "flag == true",
    "flag != false", "flag == null", "exists(flag)", "utm.campaign == 'spring-2026'",
    "startswith(utm.campaign, 'spring')", "exists(utm.campaign)",
    "utm.campaign in [\"summer\", 'spring-2026']", "amount > 10", "amount <= 100.5",
    "amount in [100, 12.5]", "true", "false", "tag == \"a\\\"b\"", "tag == 'it\\'s'",
    "score == '60'", "score in [60, 70, '75']", "name < 'b'", "name >= 'é'",
    "tag != null", "deal.value >= 0",
]
NEGATABLE = [a for a in WHERE_ATOMS if a.startswith(("exists", "startswith", "true", "false"))]
REV_WHERE = ["reason == 'fraud'", "!(reason == 'test')", "exists(reason)",
             "reason in ['fraud', 'dup'] || !exists(reason)"]
REQ_WHERE = ["channel in ['ads', 'seo']", "channel != 'tv'", "!(channel == 'tv')"]


def gen_where(rng, depth=0):
    r = rng.random()
    if depth >= 2 or r < 0.5:
        a = rng.choice(WHERE_ATOMS)
        x = rng.random()
        if x < 0.12:
            return "!(" + a + ")"
        if x < 0.2:
            return "!" + rng.choice(NEGATABLE)
        if x < 0.25:
            return "(" + a + ")"
        return a
    parts = [gen_where(rng, depth + 1) for _ in range(rng.randint(2, 3))]
    e = (" && " if r < 0.75 else " || ").join(parts)
    if rng.random() < 0.3:
        e = "(" + e + ")"
    if rng.random() < 0.1:
        e = "!" + ("(" + e + ")" if not e.startswith("(") else e)
    return e


def rand_amount(rng, lo_exp=-1, hi_exp=3, frac=None):
    """An amount string [0-9]+(.[0-9]{1,12})? of moderate size."""
    r = rng.random()
    if r < 0.05:
        return "0"
    if frac is None:
        frac = rng.choice([0, 2, 2, 2, 1, 3, 5, 12])
    ip = rng.randint(0, 10 ** rng.randint(max(lo_exp, 0), hi_exp))
    s = str(ip)
    if frac:
        s += "." + "".join(rng.choice("0123456789") for _ in range(frac))
        if rng.random() < 0.2:
            s = s[:-1] + "5"  # a half somewhere
    return s


def bound_text(rng, d, count):
    """up_to / size / free as a JSON number or a decimal string."""
    s = ref.fmt_plain12(Decimal(d))
    r = rng.random()
    if r < 0.3:
        return s
    if count and r < 0.4:
        return Raw(s + ".0")
    return Raw(s)


def gen_price(rng, has_value):
    models = ["unit", "graduated", "volume", "package"] + (["percentage"] * 2 if has_value
                                                           else [])
    model = rng.choice(models)
    p = {"model": model}
    if model == "percentage":
        if rng.random() < 0.3:
            p["measure"] = "value"
        count = False
    else:
        m = rng.choice(["count", None, "value"] if has_value else ["count", None])
        if m:
            p["measure"] = m
        count = m != "value"
    if model == "unit":
        p["amount"] = rand_amount(rng)
    elif model in ("graduated", "volume"):
        n = rng.randint(1, 4)
        cur = Decimal(0)
        tiers = []
        for i in range(n):
            t = {}
            if i < n - 1:
                cur += rng.randint(1, 4) if count else Decimal(rand_amount(rng, 0, 3, 2)) + 1
                t["up_to"] = bound_text(rng, cur, count)
            else:
                t["up_to"] = None
            t["amount"] = rand_amount(rng)
            if rng.random() < 0.3:
                t["flat"] = rand_amount(rng)
            tiers.append(t)
        p["tiers"] = tiers
    elif model == "package":
        p["size"] = bound_text(rng, rng.randint(1, 4) if count else
                               Decimal(rand_amount(rng, 0, 2, 1)) + 1, count)
        p["amount"] = rand_amount(rng)
        if rng.random() < 0.5:
            p["free"] = bound_text(rng, rng.randint(0, 3) if count else
                                   Decimal(rand_amount(rng, 0, 2, 1)), count)
    else:
        p["rate"] = rng.choice(["0.013", "0.5", "1", "1.5", "0.000000000001", "0.1234567",
                                "0.05", "0"])
        lo = hi = None
        if rng.random() < 0.4:
            lo = rand_amount(rng, 0, 1)
            p["min"] = lo
        if rng.random() < 0.4:
            hi = rand_amount(rng, 0, 3)
            if lo is not None and Decimal(hi) < Decimal(lo):
                hi = lo
            p["max"] = hi
    return p


def gen_result(rng, name, used_on):
    d = {"name": name}
    d["on"] = rng.choice(ACHIEVE_TYPES if rng.random() < 0.7 or not used_on else used_on)
    if rng.random() < 0.6:
        d["where"] = gen_where(rng)
    has_entity = rng.random() < 0.75
    if has_entity:
        d["entity"] = rng.choice(ENTITY_PATHS)
    has_value = rng.random() < 0.5
    if has_value:
        d["value"] = rng.choice(VALUE_PATHS)
    hold = rng.choice([0, 0, 90 * MIN, 36 * HOUR, DAY, 3 * DAY, 7 * DAY, 14 * DAY, 30 * DAY,
                       45 * US])
    if hold or rng.random() < 0.3:
        d["hold"] = dur_text(rng, hold)
    if has_entity and rng.random() < 0.55:
        rb = {"on": rng.choice(REVERSE_TYPES)}
        if rng.random() < 0.3:
            rb["where"] = rng.choice(REV_WHERE)
        d["reversed_by"] = rb
        if rng.random() < 0.5:
            d["clawback_within"] = dur_text(rng, hold + rng.choice(
                [US, HOUR, 2 * DAY, 30 * DAY, 90 * DAY]))
    if has_entity and rng.random() < 0.25:
        rq = {"on": rng.choice(REQUIRE_TYPES),
              "within": dur_text(rng, rng.choice([0, HOUR, DAY, 7 * DAY, 30 * DAY]))}
        if rng.random() < 0.3:
            rq["where"] = rng.choice(REQ_WHERE)
        d["requires"] = rq
    d["price"] = gen_price(rng, has_value)
    return d


def gen_fees_min_cap(rng, doc):
    for k in ("fees", "minimum", "cap"):
        doc.pop(k, None)
    if rng.random() < 0.5:
        names = rng.sample(["platform", "support", "base_2"], rng.randint(1, 2))
        doc["fees"] = [{"name": n, "amount": rand_amount(rng, 1, 3)} for n in names]
    mn = None
    if rng.random() < 0.35:
        mn = rand_amount(rng, 1, 4)
        doc["minimum"] = mn
    if rng.random() < 0.35:
        cap = rand_amount(rng, 1, 4)
        if mn is not None and Decimal(cap) < Decimal(mn):
            cap = ref.fmt_plain12(Decimal(mn) + Decimal(rand_amount(rng, 0, 2)))
        doc["cap"] = cap


def grid_start_day(kind, day):
    return ref._grid_start_day(kind, day)


def gen_contract(rng, cid, customer, base_day):
    kind = rng.choice(KINDS)
    tz = rng.choice(ZONES)
    cur, exp = rng.choice(CURRENCIES)
    L = LEN[kind]
    sday = base_day + rng.randint(-L // 2 - 3, L // 2 + 3)
    if rng.random() < 0.5:
        sday = grid_start_day(kind, sday)
    doc = {"id": cid, "customer": customer, "currency": cur}
    if exp is not None:
        doc["currency_exponent"] = exp
    if tz != "Z" or rng.random() < 0.5:
        doc["timezone"] = tz
    doc["period"] = kind
    doc["start"] = date_text(sday)
    if rng.random() < 0.6:
        eday = sday + rng.randint(1, int(L * rng.choice([0.5, 1.5, 2.5, 3.5])) + 1)
        if rng.random() < 0.5:
            g = grid_start_day(kind, eday)
            eday = g if g > sday else eday
        doc["end"] = date_text(eday)
    la = rng.choice([0, 0, DAY, 36 * HOUR, 5 * DAY, 90 * MIN, 45 * US])
    if la or rng.random() < 0.3:
        doc["lock_after"] = dur_text(rng, la)
    if rng.random() < 0.7:
        doc["corrections_within"] = dur_text(rng, la + rng.choice([0, DAY, 7 * DAY, 30 * DAY]))
    if rng.random() < 0.2:
        doc["dispute_within"] = rng.choice(["14d", "3d"])
    results = []
    used_on = []
    for name in rng.sample(NAMES, rng.randint(1, 3)):
        d = gen_result(rng, name, used_on)
        used_on.append(d["on"])
        results.append(d)
    doc["results"] = results
    gen_fees_min_cap(rng, doc)
    return doc


def gen_version2(rng, doc1):
    """A later version: new prices, fees, minimum, cap or end (the caller checks end)."""
    for _ in range(10):
        doc = copy_doc(doc1)
        for d in doc["results"]:
            if rng.random() < 0.6:
                d["price"] = gen_price(rng, "value" in d)
        if rng.random() < 0.5:
            gen_fees_min_cap(rng, doc)
        if rng.random() < 0.35:
            sday = ref.parse_date(doc["start"])
            L = LEN[doc["period"]]
            if rng.random() < 0.2:
                doc.pop("end", None)
            else:
                doc["end"] = date_text(sday + rng.randint(1, int(L * 3)))
            # keep key order: end right after start
            doc = reorder(doc)
        if dump(doc) != dump(doc1):
            return doc
    return None


KEY_ORDER = ["id", "customer", "currency", "currency_exponent", "timezone", "period", "start",
             "end", "lock_after", "corrections_within", "dispute_within", "resolve_within",
             "dispute_default", "results", "fees",
             "minimum", "cap"]


def reorder(doc):
    return {k: doc[k] for k in KEY_ORDER if k in doc}


def copy_doc(v):
    if isinstance(v, dict):
        return {k: copy_doc(x) for k, x in v.items()}
    if isinstance(v, list):
        return [copy_doc(x) for x in v]
    return v


# ================================================================== events

STR_ENTITIES = ["L1", "L2", "L3", "L4", "L5", "@L1", "ü-1", 'q"1', "07", "7", "x\ny", "t\\1",
                "\u0001c", "del\u007f", "1.5"]
NUM_ENTITIES = ["7", "7.0", "7e0", "70e-1", "77", "1.50", "-0", "0.0", "1E3", "1000", "-4.25"]
BAD_ENTITIES = [None, True, {"a": 1}, [1]]


def entity_value(rng):
    r = rng.random()
    if r < 0.55:
        return rng.choice(STR_ENTITIES[:6] * 3 + STR_ENTITIES[6:])
    if r < 0.93:
        return Raw(rng.choice(NUM_ENTITIES))
    return rng.choice(BAD_ENTITIES)


def alt_entity(rng, v):
    """The same entity in another notation (number <-> string) when there is one."""
    if isinstance(v, Raw):
        t = ref.entity_text(Decimal(v.text))
        return t if rng.random() < 0.5 else Raw(t)
    if isinstance(v, str):
        try:
            if ref.VALUE_STR_RE.match(v) and ref.entity_text(Decimal(v)) == v:
                return Raw(v)
        except Exception:
            pass
    return v


def value_value(rng, positive_only, huge_ok):
    r = rng.random()
    if huge_ok and r < 0.03:
        return Raw(rng.choice(["5e25", "1e26", "99999999999999999999999999.9999999999999",
                               "60000000000000000000000000"]))
    if r < 0.55:
        return Raw(rand_amount(rng, 0, 3, rng.choice([0, 1, 2, 2, 5, 13, 15])) or "1")
    if r < 0.65:
        return rng.choice(["12.5", "1e2", "0.5E+1", "250"])
    if r < 0.72:
        return Raw(rng.choice(["1e2", "12.50", "3.000000000000499", "0.0000000000005",
                               "2.9999999999995"]))
    if r < 0.76:
        return rng.choice(["abc", "", None, True, "1,5", "0x10", " 1"])
    if r < 0.79:
        return None if rng.random() < 0.5 else "missing"
    if not positive_only:
        return Raw(rng.choice(["-3.25", "0", "-0.000000000001", "-100"]))
    return Raw("42")


def set_path(props, path, v):
    segs = path.split(".")
    cur = props
    for s in segs[:-1]:
        if not isinstance(cur.get(s), dict):
            cur[s] = {}
        cur = cur[s]
    cur[segs[-1]] = v


def where_props(rng, props):
    if rng.random() < 0.85:
        props["score"] = rng.choice([Raw("60"), Raw("59"), Raw("60.0"), Raw("6e1"), Raw("75"),
                                     Raw("59.999999999999999"), "60", Raw("90"), Raw("-2.5"),
                                     Raw("100"), Raw("61")])
    if rng.random() < 0.8:
        props["source"] = rng.choice(["vendor", "vendor", "partner", "Vendor", "ven", Raw("5")])
    if rng.random() < 0.5:
        props["flag"] = rng.choice([True, False, None, "true"])
    if rng.random() < 0.5:
        props["utm"] = rng.choice([{"campaign": "spring-2026"}, {"campaign": "summer"},
                                   {"campaign": Raw("1")}, "spring", {}])
    if rng.random() < 0.2:
        props["tag"] = rng.choice(['a"b', "it's", None, "x"])
    if rng.random() < 0.3:
        props["name"] = rng.choice(["abc", "b", "é", "Z", ""])


class Gen:
    def __init__(self, rng):
        self.rng = rng
        self.serial = 0
        self.sent = []          # (customer, id, obj) of lines that were accepted or may be
        self.achieved = []      # (contract doc, def, entity value, time)
        self.entities = []      # entity values used
        self.later = []         # events to send in a later batch

    def new_id(self):
        self.serial += 1
        r = self.rng.random()
        if r < 0.02:
            return "@e%d" % self.serial
        if r < 0.05:
            return "E_%d~x" % self.serial
        return "e%d" % self.serial

    def time_value(self, t):
        rng = self.rng
        if t % US == 0 and rng.random() < 0.12:
            return Raw(str(t // US))
        off = rng.choice([0, 0, 0, 480, -300, 345, -570, 60])
        s = ref.fmt_time(t, off)
        if "." in s and rng.random() < 0.3:
            head, rest = s.split(".", 1)
            frac, zone = rest[:6], rest[6:]
            s = head + "." + (frac.rstrip("0") or "0") + zone
        if s.endswith("Z") and rng.random() < 0.15:
            s = s[:-1] + "+00:00"
        return s

    def line(self, obj):
        rng = self.rng
        items = list(obj.items())
        if rng.random() < 0.1:
            rng.shuffle(items)
        return dump(dict(items), rng)


def follow_ups(g, doc, d, ev, at):
    """Sometimes an attribution (requires) or a reversal for a new achieving event, sent in
    this batch or a later one (a late arrival)."""
    rng = g.rng
    rq = d.get("requires")
    if rq and rng.random() < 0.6:
        within = ref.parse_duration(rq["within"])
        t = rng.choice([at, at - within, at - within // 2, at - within - 1, at + 1])
        props = {}
        set_path(props, d["entity"], alt_entity(rng, ev))
        if rng.random() < 0.5:
            props["channel"] = rng.choice(["ads", "seo", "tv"])
        g.later.append({"id": g.new_id(), "customer": doc["customer"], "type": rq["on"],
                        "time": g.time_value(t), "properties": props})
    rb = d.get("reversed_by")
    if rb and rng.random() < 0.35:
        hold = ref.parse_duration(d.get("hold", "0s"))
        claw = ref.parse_duration(d["clawback_within"]) if "clawback_within" in d else None
        targets = [at, at + hold // 2, at + hold - 1, at + hold]
        if claw is not None:
            targets += [at + claw - 1, at + claw, at + hold + (claw - hold) // 3] * 2
        props = {}
        set_path(props, d["entity"], alt_entity(rng, ev))
        if rng.random() < 0.4:
            props["reason"] = rng.choice(["fraud", "test", "dup"])
        g.later.append({"id": g.new_id(), "customer": doc["customer"], "type": rb["on"],
                        "time": g.time_value(rng.choice(targets)), "properties": props})


def pick_time(rng, now, anchors, L, t_lo):
    """An event time: mostly recent, some late, some ahead (<= 24 h), some on boundaries."""
    r = rng.random()
    near = [a for a in anchors if a <= now + 24 * HOUR]
    if r < 0.25 and near:
        a = rng.choice(near)
        t = a + rng.choice([0, 0, -1, 1, -US, US, -HOUR])
    elif r < 0.35:
        t = now + rng.randint(1, 24 * 3600) * US
    elif r < 0.45:
        t = now - rng.randint(0, 2 * 86400) * US
    elif r < 0.55:
        t = now - rng.randint(0, int(L * 2.5 * 86400)) * US
    else:
        t = now - rng.randint(0, int(L * 86400)) * US
    if rng.random() < 0.3:
        t += rng.randint(0, US - 1)
    t = max(t, t_lo)
    return min(t, now + 24 * HOUR)


def contract_anchors(doc, now, horizon_end):
    """Interesting instants of a contract: period bounds, locks, correction deadlines."""
    d = ref.Doc(ref.parse_json(dump(doc)))
    out = [d.start]
    if d.end is not None:
        out.append(d.end)
    p = d.period_at(d.start)
    n = 0
    while p is not None and p.start <= horizon_end and n < 60:
        out += [p.start, p.end, p.end + d.lock_after, p.end + d.cw]
        for r in d.results:
            out.append(p.end - r.hold)
        p = d.period_at(p.end)
        n += 1
    return out


def gen_events(g, contracts, now, anchors, L, t_lo, positive_only, huge_ok):
    """One ingest batch at clock now: NDJSON text."""
    rng = g.rng
    lines = []
    keep = []
    for obj in g.later:
        t = old_time_us(obj["time"])
        if t is not None and t <= now + 24 * HOUR and rng.random() < 0.8:
            lines.append(g.line(obj))
            g.sent.append((obj["customer"], obj["id"], obj))
        else:
            keep.append(obj)
    g.later = keep
    for _ in range(rng.randint(2, 18)):
        r = rng.random()
        if r < 0.5 or not g.achieved:
            doc = rng.choice(contracts)
            d = rng.choice(doc["results"])
            same_on = [x for c in contracts if c["customer"] == doc["customer"]
                       for x in c["results"] if x["on"] == d["on"] and x is not d]
            expr = ref.compile_where(d["where"]) if "where" in d else None
            picky = rng.random() < 0.75
            for attempt in range(6):
                props = {}
                where_props(rng, props)
                if "entity" in d:
                    if rng.random() < 0.03:
                        pass  # missing entity
                    else:
                        v = entity_value(rng) if rng.random() < 0.7 or not g.entities else \
                            alt_entity(rng, rng.choice(g.entities))
                        set_path(props, d["entity"], v)
                        for x in same_on:
                            if "entity" in x and rng.random() < 0.8 and \
                                    lookup_path(props, x["entity"]) is MISSING_:
                                set_path(props, x["entity"], alt_entity(rng, v))
                if "value" in d or rng.random() < 0.3:
                    v = value_value(rng, positive_only, huge_ok)
                    if v != "missing":
                        set_path(props, d.get("value", "amount"), v)
                if expr is None or not picky or ref.evaluate(expr, ref.parse_json(dump(props))):
                    break
            if "entity" in d:
                ev = lookup_path(props, d["entity"])
                if ev is not MISSING_:
                    g.entities.append(ev)
            t = pick_time(rng, now, anchors, L, t_lo)
            pd = ref.Doc(ref.parse_json(dump(doc)))
            lo = max(pd.start, now - int(L * 2.5 * DAY))
            hi = now + 24 * HOUR if pd.end is None else min(pd.end - 1, now + 24 * HOUR)
            if lo <= hi and not (pd.start <= t and (pd.end is None or t < pd.end)) and \
                    rng.random() < 0.8:
                t = rng.randint(lo, hi) if rng.random() < 0.7 else rng.choice([lo, hi])
            obj = {"id": g.new_id(), "customer": doc["customer"], "type": d["on"],
                   "time": g.time_value(t)}
            if props or rng.random() < 0.5:
                obj["properties"] = props
            if "entity" in d:
                ev = lookup_path(props, d["entity"])
                g.achieved.append((doc, d, ev, t))
                if ev is not MISSING_:
                    follow_ups(g, doc, d, ev, t)
        elif r < 0.64:
            withrb = [a for a in g.achieved if "reversed_by" in a[1]]
            doc, d, ev, at = rng.choice(withrb if withrb and rng.random() < 0.85
                                        else g.achieved)
            rb = d.get("reversed_by")
            typ = rb["on"] if rb else rng.choice(REVERSE_TYPES)
            hold = ref.parse_duration(d.get("hold", "0s"))
            claw = ref.parse_duration(d["clawback_within"]) if "clawback_within" in d else None
            targets = [at, at + hold - 1, at + hold, at - 1, at + rng.randint(0, 40) * DAY]
            if claw is not None:
                targets += [at + claw - 1, at + claw, at + hold + (claw - hold) // 2]
            t = rng.choice(targets)
            if t > now + 24 * HOUR:
                t = pick_time(rng, now, anchors, L, t_lo)
            props = {}
            if "entity" in d and ev is not MISSING_:
                set_path(props, d["entity"], alt_entity(rng, ev))
            if rng.random() < 0.5:
                props["reason"] = rng.choice(["fraud", "test", "dup"])
            obj = {"id": g.new_id(), "customer": doc["customer"], "type": typ,
                   "time": g.time_value(t), "properties": props}
        elif r < 0.72:
            doc = rng.choice(contracts)
            d = rng.choice(doc["results"])
            rq = d.get("requires")
            typ = rq["on"] if rq else rng.choice(REQUIRE_TYPES)
            props = {}
            path = d.get("entity", "lead_id")
            withrq = [a for a in g.achieved if "requires" in a[1]]
            if withrq and rng.random() < 0.8:
                doc, d, ev, at = rng.choice(withrq)
                rq = d["requires"]
                typ = rq["on"]
            if g.achieved and rng.random() < 0.7:
                _, d2, ev, at = rng.choice(withrq if withrq and rq else g.achieved)
                within = ref.parse_duration(rq["within"]) if rq else DAY
                t = rng.choice([at, at - within, at - within - 1, at + 1, at - within // 2])
                if ev is not MISSING_:
                    set_path(props, d2.get("entity", path), alt_entity(rng, ev))
            else:
                t = pick_time(rng, now, anchors, L, t_lo)
                set_path(props, path, entity_value(rng))
            t = min(t, now + 24 * HOUR)
            if rng.random() < 0.6:
                props["channel"] = rng.choice(["ads", "seo", "tv"])
            obj = {"id": g.new_id(), "customer": doc["customer"], "type": typ,
                   "time": g.time_value(t), "properties": props}
        elif r < 0.77:
            obj = {"id": g.new_id(), "customer": rng.choice(CUSTOMERS + ["other"]),
                   "type": rng.choice(["page.view"] + ACHIEVE_TYPES),
                   "time": g.time_value(pick_time(rng, now, anchors, L, t_lo)),
                   "properties": {"lead_id": "L1", "score": Raw("99")}}
        elif r < 0.86 and g.sent:
            cust, eid, old = rng.choice(g.sent)
            obj = dict(old)
            if rng.random() < 0.5:
                # the same content in another notation
                t = old_time_us(old["time"])
                if t is not None:
                    obj["time"] = g.time_value(t)
            lines.append(g.line(obj))
            continue
        elif r < 0.9 and g.sent:
            cust, eid, old = rng.choice(g.sent)
            obj = dict(old)
            obj["type"] = "changed.type" if rng.random() < 0.5 else old["type"]
            obj["properties"] = {"conflict": Raw(str(rng.randint(1, 99)))}
            lines.append(g.line(obj))
            continue
        elif r < 0.95:
            obj = {"id": g.new_id(), "customer": rng.choice(contracts)["customer"],
                   "type": rng.choice(ACHIEVE_TYPES)}
            x = rng.random()
            if x < 0.4:
                obj["time"] = ref.fmt_time(now + 24 * HOUR + rng.choice([1, US, DAY]), 0)
            elif x < 0.7:
                obj["time"] = ref.fmt_time(now + 24 * HOUR, rng.choice([0, 480]))  # accepted
                obj["properties"] = {"lead_id": "L2", "amount": Raw("5")}
            elif x < 0.85:
                obj["time"] = rng.choice(["2026-01-05 10:00", "2026-02-30T00:00:00Z",
                                          "2026-01-05T10:00:00-00:00", "2026-01-05T10:00:60Z"])
            else:
                obj.pop("id")
                obj["time"] = ref.fmt_time(now, 0)
        else:
            lines.append("")  # a blank line
            continue
        text = g.line(obj)
        lines.append(text)
        if "id" in obj and isinstance(obj.get("time"), (str, Raw)):
            g.sent.append((obj["customer"], obj["id"], obj))
    return "\n".join(lines) + "\n"


class _Missing:
    pass


MISSING_ = _Missing()


def lookup_path(props, path):
    if path is None:
        return None
    cur = props
    for s in path.split("."):
        if not isinstance(cur, dict) or s not in cur:
            return MISSING_
        cur = cur[s]
    return cur


def old_time_us(v):
    try:
        if isinstance(v, Raw):
            return int(v.text) * US
        return ref.parse_time(v)
    except Exception:
        return None


# ================================================================== scenarios

def gen_case(seed, index):
    rng = random.Random("%s:%d" % (seed, index))
    g = Gen(rng)
    base_day = ref.days_from_civil(2026, 1, 1) + rng.randint(-200, 400)
    ncon = rng.choice([1, 1, 2, 2, 3])
    ids = rng.sample(CONTRACT_IDS, ncon)
    docs = [gen_contract(rng, cid, rng.choice(CUSTOMERS), base_day) for cid in ids]
    # disputes come from a random stream of their own, so that the other cases (and the
    # other steps of a dispute case) stay what they were
    drng = random.Random("%s:%d:disputes" % (seed, index))
    dcase = drng.random() < DISPUTE_SHARE
    if dcase:
        docs = [dispute_terms(drng, d) for d in docs]
    parsed = [ref.Doc(ref.parse_json(dump(d))) for d in docs]
    any_end = any("end" in d for d in docs)
    huge_ok = rng.random() < 0.08
    L = max(LEN[d["period"]] for d in docs)
    t0 = min(p.start for p in parsed) - rng.randint(0, 10) * DAY - rng.randint(0, 86399) * US
    horizon = t0 + int(L * rng.uniform(1.6, 3.2) * DAY) + max(p.lock_after for p in parsed)
    steps = []
    anchors = []
    for d in docs:
        anchors += contract_anchors(d, t0, horizon + 120 * DAY)
    anchors = sorted(set(anchors))

    # writing clocks
    n_writes = rng.randint(4, 9)
    clocks = sorted(t0 + rng.randint(0, horizon - t0) for _ in range(n_writes))
    for i in range(len(clocks)):
        if rng.random() < 0.3:
            near = [a for a in anchors if t0 <= a <= horizon]
            if near:
                clocks[i] = rng.choice(near) + rng.choice([0, 0, -1, 1, -US])
    clocks = sorted(max(c, t0) for c in clocks)
    # first versions: contract 0 at t0, the others at t0 or at a later clock before their
    # first lock
    apply_at = []
    for k, (d, p) in enumerate(zip(docs, parsed)):
        first = p.period_at(p.start)
        limit = first.end + p.lock_after
        cands = [c for c in clocks if c < limit]
        at = t0 if k == 0 or not cands or rng.random() < 0.5 else rng.choice(cands)
        apply_at.append(min(at, limit - 1))
    writes = [("apply", docs[k], apply_at[k], None) for k in range(ncon)]
    for c in clocks:
        writes.append(("settle" if rng.random() < 0.2 else "ingest", None, c, None))
    # a second version of some contracts
    for k in range(ncon):
        if rng.random() < 0.35:
            in_term = [c for c in clocks if c >= apply_at[k] and
                       (parsed[k].end is None or c < parsed[k].end)]
            at = rng.choice(in_term if in_term and rng.random() < 0.8 else clocks)
            if at < apply_at[k]:
                continue
            v2 = gen_version2(rng, docs[k])
            if v2 is None:
                continue
            if dcase and drng.random() < 0.4:
                v2 = dispute_terms(drng, v2)  # other dispute terms from this version on
            eff = None
            d2 = ref.Doc(ref.parse_json(dump(v2)))
            if rng.random() < 0.35:
                day = local_day(at, d2.off) + rng.randint(-LEN[v2["period"]], LEN[v2["period"]])
                eff = date_text(day)
                p = d2.apply_period(day * DAY - d2.off * MIN)
            else:
                p = d2.apply_period(at)
            if not end_change_ok(parsed[k], d2, at, p.start):
                v2.pop("end", None)
                if "end" in docs[k]:
                    v2["end"] = docs[k]["end"]
                v2 = reorder(v2)
                if dump(v2) == dump(docs[k]):
                    continue
            writes.append(("apply", v2, at, eff))
            if rng.random() < 0.2:
                writes.append(("apply", v2, at, None))  # identical: the same version
    writes.sort(key=lambda w: (w[2], 0 if w[0] == "apply" else 1))
    last_clock = writes[-1][2]
    future_end = last_clock + int(L * 2 * DAY) + 100 * DAY
    if rng.random() < 0.6:
        writes.append(("settle", None, last_clock + rng.randint(0, int(L * 1.5 * 86400)) * US,
                       None))
    recorded = None
    for w in writes:
        op, doc, at, eff = w
        if op == "apply":
            steps.append({"op": "apply", "doc": dump(doc), "now": at, "effective": eff})
        elif op == "ingest":
            steps.append({"op": "ingest", "text": gen_events(
                g, docs, at, anchors, L, t0 - L * DAY, any_end, huge_ok), "now": at})
        else:
            steps.append({"op": "settle", "now": at})
        recorded = at if recorded is None else max(recorded, at)
        if rng.random() < 0.06:
            steps.append({"op": "settle", "now": at - rng.randint(1, 10 * 86400) * US})  # exit 2
        for _ in range(rng.randint(1, 4)):
            steps.append(gen_read(rng, docs, parsed, t0, recorded, future_end, anchors))
    for _ in range(rng.randint(2, 5)):
        steps.append(gen_read(rng, docs, parsed, t0, recorded, future_end, anchors))
    if dcase:
        steps = add_disputes(drng, steps, docs, parsed, t0, future_end, anchors, L)
    return steps


# ================================================================== disputes

DISPUTE_SHARE = 0.35   # the share of cases with disputes
REASONS = ["not_achieved", "duplicate", "not_attributable", "already_reversed", "other"]
NOTES = ["checked", "never heard of them", "ü \"quoted\"", "a\\b"]


def dispute_terms(drng, doc):
    """resolve_within / dispute_default / dispute_within, sometimes."""
    doc = copy_doc(doc)
    if drng.random() < 0.7:
        doc["resolve_within"] = drng.choice(["12h", "1d", "3d", "10d", "30d", "45s"])
    if drng.random() < 0.6:
        doc["dispute_default"] = drng.choice(["voided", "upheld"])
    if drng.random() < 0.3:
        doc["dispute_within"] = drng.choice(["0d", "1d", "14d", "40d"])
    return reorder(doc)


def add_disputes(drng, steps, docs, parsed, t0, future_end, anchors, L):
    """Dispute actions between the writing steps, at clocks between theirs: opening one on
    a result (chosen when the step runs, see pick_dispute_target) and resolving one, and
    reads that look at them."""
    wi = [i for i, s in enumerate(steps) if s["op"] in WRITES]
    out = []
    rec = None
    for n, s in enumerate(steps):
        out.append(s)
        if s["op"] not in WRITES:
            continue
        if rec is not None and s["now"] < rec:
            continue  # a write refused for its clock
        rec = s["now"]
        if drng.random() < (0.2 if s["op"] == "ingest" else 0.6):
            continue
        later = [steps[j]["now"] for j in wi if j > n and steps[j]["now"] >= s["now"]]
        hi = min(later) if later else s["now"] + L * DAY
        if n == max(wi):
            hi = s["now"] + int(L * 1.5 * DAY)
        t = s["now"]
        for _ in range(drng.randint(1, 4)):
            t = drng.randint(t, hi) if drng.random() < 0.7 else t
            r = drng.random()
            if r < 0.55:
                reason = drng.choice(REASONS)
                st = {"op": "dispute_open", "pick": drng.random(), "reason": reason,
                      "now": t}
                if reason == "other" or drng.random() < 0.3:
                    st["note"] = drng.choice(NOTES)
                if drng.random() < 0.03:
                    st.pop("note", None)
                    st["reason"] = "other"  # exit 2: other needs a note
            else:
                st = {"op": "dispute_resolve", "pick": drng.random(),
                      "how": "--upheld" if drng.random() < 0.5 else "--voided", "now": t}
                if drng.random() < 0.3:
                    st["note"] = drng.choice(NOTES)
            out.append(st)
        for _ in range(drng.randint(1, 3)):
            out.append(gen_dispute_read(drng, docs, parsed, t0, t, max(future_end, t + DAY),
                                        anchors))
    return out


def gen_dispute_read(drng, docs, parsed, t0, recorded, future_end, anchors):
    x = drng.random()
    if x < 0.25:
        now = recorded + drng.choice([0, 0, 1, HOUR, DAY, 10 * DAY, 31 * DAY, -HOUR,
                                      -5 * DAY])
        st = {"op": "disputes", "now": now}
        y = drng.random()
        if y < 0.3:
            st["status"] = drng.choice(["open", "upheld", "voided"])
        elif y < 0.4:
            st["contract"] = drng.choice(docs)["id"]
        elif y < 0.5:
            st["customer"] = drng.choice(docs)["customer"]
        return st
    st = gen_read(drng, docs, parsed, t0, recorded, future_end, anchors)
    if st["op"] == "results" and drng.random() < 0.3:
        st.pop("period", None)
        st["status"] = drng.choice(["disputed", "voided"])
    return st


def pick_dispute_target(store, step):
    """Makes a dispute step concrete (at its first run, from the reference's state): the
    result to open a dispute on (mostly one that can be disputed) or the dispute to
    resolve (mostly an open one). Without such a target the step is mostly dropped
    (step["skip"]), else it aims at something the command must refuse."""
    if "skip" in step or "result" in step or "dispute" in step:
        return
    now = step["now"]
    if step["op"] == "dispute_open":
        aim(step, "result", store.disputable(now),
            lambda: sorted(r.id for led in store.ledgers.values()
                           if led.view(now, True).doc is not None
                           for r in led.view(now, True).results()), "c1/lead:none")
    else:
        aim(step, "dispute", store.open_disputes(now), lambda: [d.id for d in store.disputes],
            "c1/lead:none#1")


def aim(step, key, ok, every, nothing):
    """Sets step[key] from step["pick"]: mostly one of ok (targets the command takes); when
    there is none, mostly drops the step; else one of every() (to be refused), or nothing."""
    pick = step["pick"]
    if ok and pick < 0.9:
        step[key] = ok[int(pick / 0.9 * len(ok))]
    elif not ok and pick < 0.85:
        step["skip"] = True
    else:
        all_ = every()
        step[key] = all_[int(pick * len(all_))] if all_ else nothing


def end_change_ok(d1, d2, at, eff_start):
    """A change of `end` that cannot alter a period locked before the version (or one that
    an older version would already have locked): both ends after the apply clock, and the
    grid period of the earlier one starting at or after the effective period."""
    e1, e2 = d1.end, d2.end
    if e1 == e2:
        return True
    m = min(x for x in (e1, e2) if x is not None)
    if m <= at:
        return False
    return ref.grid(d1.kind, d1.off, m)[0] >= eff_start


def read_clock(rng, t0, recorded, future_end, anchors):
    r = rng.random()
    if r < 0.25:
        return recorded + rng.choice([0, 0, 1, HOUR])
    if r < 0.3:
        return rng.randint(t0 - 5 * DAY, recorded)
    if r < 0.45:
        return rng.randint((t0 + recorded) // 2, recorded)
    if r < 0.65:
        return rng.randint(recorded, future_end)
    near = [a for a in anchors if a <= future_end]
    return rng.choice(near) + rng.choice([0, 0, -1, 1])


def gen_read(rng, docs, parsed, t0, recorded, future_end, anchors):
    now = read_clock(rng, t0, recorded, future_end, anchors)
    r = rng.random()
    k = rng.randrange(len(docs))
    d, p = docs[k], parsed[k]
    if r < 0.5:
        x = rng.random()
        hi = future_end if p.end is None else min(future_end, p.end + (
            LEN[d["period"]] * DAY if rng.random() < 0.3 else 0))
        near = [a for a in anchors if p.start - DAY <= a <= hi]
        if x < 0.45 and near:
            t = rng.choice(near) + rng.choice([0, -1])
        elif x < 0.85:
            t = rng.randint(p.start, hi)
        else:
            t = rng.randint(p.start - 40 * DAY, future_end)
        day = local_day(t, p.off)
        date = date_text(day)
        if rng.random() < 0.2:
            date = date[:7]
        return {"op": "invoice", "contract": d["id"], "date": date, "now": now}
    if r < 0.82:
        step = {"op": "results", "contract": d["id"], "now": now}
        x = rng.random()
        if x < 0.15:
            step["status"] = rng.choice(["confirmed", "pending", "invalid", "reversed",
                                         "voided"])
        elif x < 0.3:
            hi = p.end if p.end is not None else p.start + 200 * DAY
            step["period"] = date_text(local_day(rng.randint(p.start, hi - 1), p.off))
        return step
    step = {"op": "invoices", "now": now}
    x = rng.random()
    if x < 0.15:
        step["contract"] = d["id"]
    elif x < 0.25:
        step["customer"] = d["customer"]
    return step


# ================================================================== running

def cmd_of(step, files):
    """The raas arguments of a step (after -d DIR); files: step -> file path."""
    op, now = step["op"], ref.fmt_utc(step["now"])
    if op == "apply":
        c = ["contract", "apply", files, "--now", now]
        if step.get("effective"):
            c += ["--effective", step["effective"]]
        return c
    if op == "ingest":
        return ["ingest", files, "--now", now]
    if op == "settle":
        return ["settle", "--now", now]
    if op == "invoice":
        return ["invoice", step["contract"], step["date"], "--now", now]
    if op == "dispute_open":
        c = ["dispute", "open", step["result"], "--reason", step["reason"]]
        if "note" in step:
            c += ["--note", step["note"]]
        return c + ["--now", now]
    if op == "dispute_resolve":
        c = ["dispute", "resolve", step["dispute"], step["how"]]
        if "note" in step:
            c += ["--note", step["note"]]
        return c + ["--now", now]
    if op == "disputes":
        c = ["disputes", "--now", now]
        for k in ("status", "contract", "customer"):
            if k in step:
                c += ["--" + k, step[k]]
        return c
    if op == "results":
        c = ["results", step["contract"], "--now", now]
        if "status" in step:
            c += ["--status", step["status"]]
        if "period" in step:
            c += ["--period", step["period"]]
        return c
    c = ["invoices", "--now", now]
    if "contract" in step:
        c += ["--contract", step["contract"]]
    if "customer" in step:
        c += ["--customer", step["customer"]]
    return c


def expected(store, step):
    """(exit, stdout or report) of the reference for a step; updates store for writes."""
    op, now = step["op"], step["now"]
    if op == "apply":
        return store.apply(step["doc"], now, step.get("effective"))
    if op == "ingest":
        return store.ingest(step["text"], now)
    if op == "settle":
        return store.settle(now)
    if op == "invoice":
        return store.invoice(step["contract"], step["date"], now)
    if op == "dispute_open":
        return store.dispute_open(step["result"], step["reason"], step.get("note"), now)
    if op == "dispute_resolve":
        return store.dispute_resolve(step["dispute"], step["how"][2:], step.get("note"), now)
    if op == "disputes":
        return store.disputes_listing(now, step.get("status"), step.get("contract"),
                                      step.get("customer"))
    if op == "results":
        return store.results(step["contract"], now, step.get("period"), step.get("status"))
    return store.invoices(now, step.get("contract"), step.get("customer"))


WRITES = ("apply", "ingest", "settle", "dispute_open", "dispute_resolve")
FEATURES = [("adjustment", '"type":"adjustment"'), ("credit_note", '"kind":"credit_note"'),
            ("minimum", '"type":"minimum"'), ("cap", '"type":"cap"'),
            ("locked", '"status":"locked"'), ("draft", '"status":"draft"'),
            ("late", '"late":true'), ("reversed", '"status":"reversed"'),
            ("pending", '"status":"pending"'), ("confirmed", '"status":"confirmed"'),
            ("attributed", '"attributed":["'), ("ignored", '"ignored":["'),
            ("disputed", '"status":"disputed"'), ("voided", '"status":"voided"'),
            ("dispute_open", '"status":"open"'), ("dispute_auto", '"resolved_by":"automatic"'),
            ("dispute_person", '"resolved_by":"person"')]


def features(out):
    """How often each feature of FEATURES appears in an expected output."""
    return {name: out.count(pat) for name, pat in FEATURES if pat in out}


def compare(step, exp, got):
    """None when raas agrees with the reference, else a description."""
    erc, eout = exp
    grc, gout, gerr = got
    if erc != grc:
        return "exit %d, expected %d (stderr: %s)" % (grc, erc, gerr.strip()[:300])
    if grc != 0:
        if gout and step["op"] != "ingest":
            return "exit %d with stdout %r" % (grc, gout[:200])
        return None
    if step["op"] == "ingest":
        try:
            rep = json.loads(gout)
        except ValueError:
            return "the ingest report is not JSON: %r" % gout[:200]
        prob = ref.report_equal(rep, eout)
        return None if prob is None else "ingest report: " + prob
    if step["op"] == "results":
        eout, gout = ref.normalise_reasons(eout), ref.normalise_reasons(gout)
    if eout == gout:
        return None
    return first_difference(eout, gout)


def first_difference(e, g):
    el, gl = e.splitlines(), g.splitlines()
    if len(el) > 1 or len(gl) > 1:
        only_e = [x for x in el if x not in gl]
        only_g = [x for x in gl if x not in el]
        out = ["%d line(s) expected, %d printed" % (len(el), len(gl))]
        for x in only_e[:4]:
            out.append("  expected only: " + x)
        for x in only_g[:4]:
            out.append("  printed only:  " + x)
        if not only_e and not only_g:
            out.append("  same lines, different order")
        return "\n".join(out)
    i = 0
    while i < min(len(e), len(g)) and e[i] == g[i]:
        i += 1
    return "stdout differs at byte %d\n  expected: %s\n  printed:  %s" % (i, e.rstrip("\n"),
                                                                          g.rstrip("\n"))


class Runner:
    def __init__(self, raas, work):
        self.raas = raas
        self.work = work
        self.n = 0

    def fresh(self):
        self.n += 1
        d = os.path.join(self.work, "d%d" % self.n)
        p = subprocess.run([self.raas, "init", d], capture_output=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError("raas init: %s" % p.stderr.decode("utf-8", "replace"))
        return d

    def run(self, data, step):
        self.n += 1
        path = None
        if step["op"] in ("apply", "ingest"):
            path = os.path.join(self.work, "f%d.%s" % (self.n, "json" if step["op"] == "apply"
                                                        else "ndjson"))
            with open(path, "w", encoding="utf-8") as f:
                f.write(step["doc"] if step["op"] == "apply" else step["text"])
        p = subprocess.run([self.raas, "-d", data] + cmd_of(step, path), capture_output=True,
                           timeout=120, stdin=subprocess.DEVNULL)
        return (p.returncode, p.stdout.decode("utf-8", "surrogateescape"),
                p.stderr.decode("utf-8", "replace"))


def play(runner, steps, stop_at=None, stats=None):
    """Runs steps on raas and the reference. Returns (list of (index, problem), compared,
    diverged_at or None)."""
    store = ref.Store()
    data = runner.fresh()
    problems = []
    compared = 0
    for i, step in enumerate(steps):
        if stop_at is not None and i > stop_at:
            break
        try:
            if step["op"] in ("dispute_open", "dispute_resolve"):
                pick_dispute_target(store, step)
                if step.get("skip"):
                    continue
            exp = expected(store, step)
        except Exception:
            problems.append((i, "REFERENCE ERROR\n" + traceback.format_exc()))
            return problems, compared, i
        got = runner.run(data, step)
        compared += 1
        if stats is not None:
            k = "%s:%d" % (step["op"], exp[0])
            stats[k] = stats.get(k, 0) + 1
            if exp[0] == 0 and step["op"] in ("invoice", "invoices", "settle", "results",
                                              "dispute_open", "dispute_resolve",
                                              "disputes"):
                for feat, n in features(exp[1]).items():
                    stats["+" + feat] = stats.get("+" + feat, 0) + n
        prob = compare(step, exp, got)
        if prob:
            problems.append((i, prob))
            if step["op"] in WRITES:
                return problems, compared, i
    return problems, compared, None


def repro_script(raas, steps, k):
    """A shell script: the writing steps before step k, then step k."""
    out = ['D=$(mktemp -d)/data && %s init "$D"' % shlex.quote(raas)]
    n = 0
    for i, s in enumerate(steps[:k + 1]):
        if i < k and (s["op"] not in WRITES or s.get("skip")):
            continue
        path = None
        if s["op"] in ("apply", "ingest"):
            n += 1
            path = "s%d.%s" % (n, "json" if s["op"] == "apply" else "ndjson")
            body = s["doc"] + "\n" if s["op"] == "apply" else s["text"]
            out.append("cat > %s <<'EOF'\n%sEOF" % (path, body))
        out.append("%s -d \"$D\" %s" % (shlex.quote(raas), shlex.join(cmd_of(s, path))))
    return "\n".join(out)


def shrink(runner, steps, k, budget_s=25.0, max_trials=200):
    """Fewer writing steps and event lines that still make step k disagree."""
    t_end = time.time() + budget_s
    cur = [s for i, s in enumerate(steps[:k + 1])
           if i == k or (s["op"] in WRITES and not s.get("skip"))]
    trials = 0

    def fails(cand):
        nonlocal trials
        trials += 1
        probs, _, div = play(runner, cand)
        return div is None and any(i == len(cand) - 1 for i, _ in probs)

    if not fails(cur):
        return None
    # whole steps
    i = 0
    while i < len(cur) - 1 and time.time() < t_end and trials < max_trials:
        cand = cur[:i] + cur[i + 1:]
        if fails(cand):
            cur = cand
        else:
            i += 1
    # event lines, in halving chunks
    for si in range(len(cur) - 1):
        if cur[si]["op"] != "ingest":
            continue
        lines = cur[si]["text"].split("\n")[:-1]
        chunk = max(1, len(lines) // 2)
        while chunk >= 1 and time.time() < t_end and trials < max_trials:
            j = 0
            while j < len(lines) and time.time() < t_end and trials < max_trials:
                cand_lines = lines[:j] + lines[j + chunk:]
                st = dict(cur[si])
                st["text"] = "\n".join(cand_lines) + "\n"
                cand = cur[:si] + [st] + cur[si + 1:]
                if cand_lines and fails(cand):
                    cur, lines = cand, cand_lines
                else:
                    j += chunk
            chunk //= 2
    return cur


def reference_only(seed, index):
    """Runs a case through the reference alone: (steps, [(step, exit, seconds)])."""
    steps = gen_case(seed, index)
    store = ref.Store()
    out = []
    for st in steps:
        t = time.time()
        if st["op"] in ("dispute_open", "dispute_resolve"):
            pick_dispute_target(store, st)
            if st.get("skip"):
                continue
        rc = expected(store, st)[0]
        out.append((st, rc, time.time() - t))
    return steps, out


def run_case(args):
    raas, shown_raas, seed, index, do_shrink, work_root, only_ops = args
    t_start = time.time()
    work = tempfile.mkdtemp(prefix="settle-fuzz-", dir=work_root)
    runner = Runner(raas, work)
    report = {"index": index, "compared": 0, "mismatches": [], "diverged": False,
              "error": None, "seconds": 0.0, "stats": {}}
    try:
        steps = gen_case(seed, index)
        if only_ops:
            steps = [st for st in steps if st["op"] in only_ops]
        problems, compared, div = play(runner, steps, stats=report["stats"])
        report["compared"] = compared
        report["diverged"] = div is not None
        shrunk_one = False
        for i, prob in problems:
            cmd = "raas " + shlex.join(cmd_of(steps[i], "FILE"))
            text = "MISMATCH --seed %s --case %d, step %d: %s\n%s" % (
                seed, index, i, cmd, "\n".join("  " + x for x in prob.splitlines()))
            if not shrunk_one:
                shrunk_one = True
                script_steps, note = steps[:i + 1], ""
                if do_shrink and not prob.startswith("REFERENCE ERROR") and \
                        steps[i]["op"] not in WRITES:
                    s = shrink(runner, steps, i)
                    if s is not None:
                        script_steps, note = s, " (shrunk)"
                        sp, _, _ = play(runner, s)
                        last = [x for j, x in sp if j == len(s) - 1]
                        if last:
                            note += ", where it gives:\n%s\n" % "\n".join(
                                "    " + x for x in last[0].splitlines())
                text += "\n  reproduction%s:\n%s" % (note, "\n".join(
                    "    " + x for x in repro_script(shown_raas, script_steps,
                                                     len(script_steps) - 1).splitlines()))
            report["mismatches"].append(text)
    except Exception:
        report["error"] = traceback.format_exc()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report["seconds"] = time.time() - t_start
    return report


def has_settlement(raas):
    p = subprocess.run([raas, "help"], capture_output=True, text=True, timeout=30)
    return all(c in p.stdout for c in ("invoice", "results", "settle"))


def main(argv=None):
    global DISPUTE_SHARE
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("raas_pos", nargs="?", metavar="RAAS", help="the raas binary")
    ap.add_argument("--raas", help="the raas binary (default: build/src/raas)")
    ap.add_argument("--seed", default="20260101")
    ap.add_argument("--cases", type=int, help="number of cases (default: as many as fit in "
                                               "--seconds)")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--case", type=int, help="run only this case index")
    ap.add_argument("--show", type=int, default=10, help="mismatches printed in full")
    ap.add_argument("--no-shrink", action="store_true")
    ap.add_argument("--ops", help="run only the steps of these ops (comma-separated, e.g. "
                                  "apply,ingest for a raas without settlement)")
    ap.add_argument("--self-test", action="store_true",
                    help="only check the reference against engine-basic.json")
    ap.add_argument("--vectors", default=None, help="engine-basic.json for --self-test")
    ap.add_argument("--reference-only", action="store_true",
                    help="run the cases through the reference alone (no binary): a check of "
                         "the generator, with the exit codes it expects")
    ap.add_argument("--dispute-share", type=float, default=None,
                    help="the share of cases with disputes (default %.2f)" % DISPUTE_SHARE)
    a = ap.parse_args(argv)
    if a.dispute_share is not None:
        DISPUTE_SHARE = a.dispute_share

    if a.self_test:
        path = a.vectors or ref.default_vectors()
        c, f = ref.self_test(path)
        print("settle_fuzz_diff --self-test: %d/%d steps of %s pass" % (
            c - f, c, os.path.basename(path)))
        return 1 if f else 0

    if a.reference_only:
        stats, slow, n = {}, [], a.cases or 50
        for i in ([a.case] if a.case is not None else range(n)):
            steps, out = reference_only(a.seed, i)
            for st, rc, sec in out:
                k = "%s:%d" % (st["op"], rc)
                stats[k] = stats.get(k, 0) + 1
                slow.append((sec, i, st["op"]))
        slow.sort(reverse=True)
        print("(expected exits: %s)" % ", ".join("%s %d" % kv for kv in sorted(stats.items())))
        print("slowest reference steps: %s" % ", ".join(
            "%.2fs case %d %s" % x for x in slow[:5]))
        print("settle_fuzz_diff --reference-only: %d cases" % n)
        return 0

    raas = a.raas or a.raas_pos or os.path.join(HERE, "..", "..", "build", "src", "raas")
    raas = os.path.abspath(raas)
    if not os.access(raas, os.X_OK):
        print("settle_fuzz_diff: no raas binary at %s" % raas)
        return 2
    only_ops = set(a.ops.split(",")) if a.ops else None
    if not has_settlement(raas) and not (only_ops and only_ops <= {"apply", "ingest"}):
        print("settle_fuzz_diff: %s has no results/invoice/settle commands yet" % raas)
        return 1
    work_root = tempfile.mkdtemp(prefix="settle-fuzz-diff-")
    # a private copy, so that a rebuild during the run cannot mix two binaries
    exe = os.path.join(work_root, "raas")
    shutil.copy2(raas, exe)
    if a.case is not None:
        indices = iter([a.case])
    elif a.cases is not None:
        indices = iter(range(a.cases))
    else:
        indices = None
    t_end = time.time() + a.seconds
    reports = []
    shown = 0
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        pending = set()
        nxt = 0

        def submit():
            nonlocal nxt
            if indices is not None:
                i = next(indices, None)
                if i is None:
                    return False
            else:
                if time.time() >= t_end:
                    return False
                i = nxt
                nxt += 1
            pending.add(ex.submit(run_case, (exe, raas, a.seed, i, not a.no_shrink and shown < 3,
                                             work_root, only_ops)))
            return True

        for _ in range(max(1, a.jobs) * 2):
            if not submit():
                break
        while pending:
            done, _ = concurrent.futures.wait(pending,
                                              return_when=concurrent.futures.FIRST_COMPLETED)
            for fut in done:
                pending.discard(fut)
                rep = fut.result()
                reports.append(rep)
                if rep["error"]:
                    print("ERROR in case %d:\n%s" % (rep["index"], rep["error"]))
                for m in rep["mismatches"]:
                    if shown < a.show:
                        print(m)
                        print()
                    shown += 1
                submit()
    shutil.rmtree(work_root, ignore_errors=True)
    n = len(reports)
    compared = sum(r["compared"] for r in reports)
    mism = sum(len(r["mismatches"]) for r in reports)
    bad_cases = sum(1 for r in reports if r["mismatches"] or r["error"])
    diverged = sum(1 for r in reports if r["diverged"])
    errors = sum(1 for r in reports if r["error"])
    stats = {}
    for r in reports:
        for k, v in r["stats"].items():
            stats[k] = stats.get(k, 0) + v
    print("(expected exits: %s)" % ", ".join(
        "%s %d" % kv for kv in sorted(stats.items()) if not kv[0].startswith("+")))
    print("(features in expected outputs: %s)" % ", ".join(
        "%s %d" % (k[1:], v) for k, v in sorted(stats.items()) if k.startswith("+")))
    if mism > a.show:
        print("(%d more mismatches not shown)" % (mism - a.show))
    print("settle_fuzz_diff: %d cases, %d commands compared, %d mismatches in %d cases "
          "(%d ended early by a disagreeing write, %d errors), seed %s" % (
              n, compared, mism, bad_cases, diverged, errors, a.seed))
    return 1 if mism or errors or n == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
