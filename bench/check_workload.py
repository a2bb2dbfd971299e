#!/usr/bin/env python3
"""check_workload.py — checks a workload written by gen_workload against events.md and
contracts.md and against what the generator promises (bench/README.md).

Usage: bench/check_workload.py DIR [--sample K]

Every line: the 24-hour rule (time <= the day file's end + 24 h), ids unique per customer,
rejections naming an earlier lead of the same customer, the type mix, the late share (event
time in a month whose lock, end + lock_after, is at or before the chunk's --now). Every K-th
line (default 7) also gets the full events.md validation (fields, characters, RFC 3339,
repeated keys, depth, number length). Exits 1 with the problems listed, 0 when all hold.
"""
import datetime as dt
import json
import os
import re
import sys
from decimal import Decimal

ID_RE = re.compile(r"[\x21-\x7e]{1,128}\Z")
NAME_RE = re.compile(r"[A-Za-z0-9._:-]{1,128}\Z")
TIME_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})\Z")
MIX = {"page.view": 0.35, "email.open": 0.35, "lead.created": 0.20,
       "lead.rejected": 0.05, "order.paid": 0.05}
TZ = dt.timezone(dt.timedelta(hours=8))
LOCK_AFTER = dt.timedelta(days=3)


def parse_time(s):
    m = TIME_RE.match(s)
    if not m:
        raise ValueError("time: not an RFC 3339 timestamp")
    if m.group(8) == "-00:00":
        raise ValueError("time: -00:00 is rejected")
    if int(m.group(6)) > 59:
        raise ValueError("time: seconds out of range")
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def no_dups(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError("repeated key " + k)
        d[k] = v
    return d


def depth(v):
    if isinstance(v, dict):
        return 1 + max((depth(x) for x in v.values()), default=0)
    if isinstance(v, list):
        return 1 + max((depth(x) for x in v), default=0)
    return 0


def numbers(v):
    if isinstance(v, dict):
        for x in v.values():
            yield from numbers(x)
    elif isinstance(v, list):
        for x in v:
            yield from numbers(x)
    elif isinstance(v, (Decimal, int)) and not isinstance(v, bool):
        yield v


def validate(line):
    """Full events.md validation of one NDJSON line; raises ValueError."""
    if len(line.encode()) > 64 * 1024:
        raise ValueError("line longer than 64 KiB")
    ev = json.loads(line, object_pairs_hook=no_dups, parse_float=Decimal, parse_int=Decimal)
    if not isinstance(ev, dict):
        raise ValueError("not an object")
    extra = set(ev) - {"id", "customer", "type", "time", "properties"}
    if extra:
        raise ValueError("unknown field " + ",".join(sorted(extra)))
    for f in ("id", "customer", "type", "time"):
        if f not in ev:
            raise ValueError(f + ": required")
    if not isinstance(ev["id"], str) or not ID_RE.match(ev["id"]):
        raise ValueError("id: bad")
    for f in ("customer", "type"):
        if not isinstance(ev[f], str) or not NAME_RE.match(ev[f]):
            raise ValueError(f + ": bad")
    if not isinstance(ev["time"], str):
        raise ValueError("time: the generator writes strings")
    parse_time(ev["time"])
    props = ev.get("properties", {})
    if not isinstance(props, dict):
        raise ValueError("properties: not an object")
    if depth(ev) > 16:
        raise ValueError("nesting deeper than 16")
    for n in numbers(props):
        if len(format(Decimal(n), "f")) > 128:
            raise ValueError("number out of range")


def month_lock(t):
    """The lock instant of the +08:00 month that contains t."""
    local = t.astimezone(TZ)
    y, m = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return dt.datetime(y, m, 1, tzinfo=TZ) + LOCK_AFTER


def main():
    args = sys.argv[1:]
    sample = 7
    if "--sample" in args:
        i = args.index("--sample")
        sample = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 1
    root = args[0]
    problems = []

    def problem(msg):
        if len(problems) < 50:
            problems.append(msg)
        elif len(problems) == 50:
            problems.append("... more problems left out")

    summary = json.load(open(os.path.join(root, "workload.json")))

    # Contracts: two per customer, the documented fields.
    cdir = os.path.join(root, "contracts")
    names = sorted(os.listdir(cdir))
    if len(names) != 2 * summary["customers"]:
        problem(f"contracts: {len(names)} files, expected {2 * summary['customers']}")
    for name in names:
        c = json.load(open(os.path.join(cdir, name)), object_pairs_hook=no_dups)
        num = name.split("-")[0]
        kind = "leads" if name.endswith("-leads.json") else "comm"
        if c["id"] != f"{kind}-c{num}" or c["customer"] != f"c{num}":
            problem(f"{name}: id/customer {c['id']}/{c['customer']}")
        if (c["currency"], c["timezone"], c["period"], c["start"], c["lock_after"]) != (
                "CNY", "+08:00", "month", "2026-01-01", "3d"):
            problem(f"{name}: header fields")

    edir = os.path.join(root, "events")
    days = sorted(os.listdir(edir))
    first = dt.date(2026, 1, 1)
    expected_days = [(first + dt.timedelta(days=i)).isoformat() + ".ndjson" for i in range(90)]
    if days != expected_days:
        problem("events/: not the 90 day files 2026-01-01 … 2026-03-31")

    counts = {t: 0 for t in MIX}
    seen_ids = {}
    leads = {}
    late = 0
    total = 0
    rejected_unknown = 0
    rejected_before_lead = 0
    max_ahead = dt.timedelta(0)
    fmt = {"Z": 0, "+08:00": 0}
    for name in days:
        day = dt.datetime.fromisoformat(name[:10]).replace(tzinfo=dt.timezone.utc)
        now = day + dt.timedelta(days=1)  # the chunk's --now, the events' received time
        with open(os.path.join(edir, name), encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                line = line.rstrip("\n")
                where = f"{name}:{lineno}"
                if total % sample == 0:
                    try:
                        validate(line)
                    except (ValueError, json.JSONDecodeError) as e:
                        problem(f"{where}: {e}")
                total += 1
                ev = json.loads(line)
                t = parse_time(ev["time"])
                fmt["Z" if ev["time"].endswith("Z") else "+08:00"] += 1
                if t > now + dt.timedelta(hours=24):
                    problem(f"{where}: time more than 24 h after the chunk's end")
                if t - now > max_ahead:
                    max_ahead = t - now
                lock = month_lock(t)
                if lock <= day:
                    late += 1  # received after its period locked
                elif lock <= now:
                    problem(f"{where}: its period locks during the day it is received")
                elif t < day - dt.timedelta(hours=36):
                    problem(f"{where}: more than 36 h before it was received, yet not late")
                cu = ev["customer"]
                key = (cu, ev["id"])
                if key in seen_ids:
                    problem(f"{where}: id {ev['id']} repeated for {cu} (first {seen_ids[key]})")
                seen_ids[key] = where
                ty = ev["type"]
                if ty not in counts:
                    problem(f"{where}: unexpected type {ty}")
                    continue
                counts[ty] += 1
                p = ev["properties"]
                if ty == "lead.created":
                    if not (p["source"] in ("vendor", "organic") and 0 <= p["score"] <= 100
                            and isinstance(p["utm"]["campaign"], str)):
                        problem(f"{where}: lead properties")
                    leads[(cu, p["lead_id"])] = t
                elif ty == "lead.rejected":
                    lt = leads.get((cu, p["lead_id"]))
                    if lt is None:
                        rejected_unknown += 1
                    elif lt > t:
                        rejected_before_lead += 1
                elif ty == "order.paid":
                    if not re.fullmatch(r"\d+\.\d\d", line.split('"amount":')[1].rstrip("}")):
                        problem(f"{where}: amount not a 2-decimal number")

    if total != summary["events"]:
        problem(f"{total} events, workload.json says {summary['events']}")
    for ty, share in MIX.items():
        got = counts[ty] / total if total else 0
        if abs(got - share) > 0.01:
            problem(f"{ty}: {got:.4f} of the events, expected {share:.2f} ± 0.01")
        if counts[ty] != summary["by_type"][ty]:
            problem(f"{ty}: {counts[ty]} counted, workload.json says {summary['by_type'][ty]}")
    if late != summary["late"]:
        problem(f"late: {late} counted, workload.json says {summary['late']}")
    if total and abs(late / total - 0.01) > 0.002:
        problem(f"late share {late / total:.4f}, expected about 0.01")
    if rejected_unknown:
        problem(f"{rejected_unknown} rejections name a lead not created before them")

    print(f"check_workload: {total} events, {len(names)} contracts, mix "
          + ", ".join(f"{t} {counts[t] / max(total, 1):.4f}" for t in MIX)
          + f"; late {late} ({late / max(total, 1):.4%}); rejections before their lead's time "
          f"{rejected_before_lead}; latest time {max_ahead} after the chunk's end; "
          f"time formats {fmt}; fully validated every {sample}th line")
    for p in problems:
        print("check_workload: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
