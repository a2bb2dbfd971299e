#!/usr/bin/env python3
"""settle_compare.py — the check of the settlement benchmark (bench/settle.sh): compares the
invoices `raas settle` printed (NDJSON, one invoice document per line) with those the PostgreSQL
baseline computed (bench/settle_pg.sql, the same format). Invoices are matched by (contract,
period start); for each pair it compares the own lines (result, fee, minimum, cap), the adjustment
lines, the total and the other fields, and counts the byte-identical documents. Prints the number
compared and the mismatches (the first few in detail); exit 0 when every invoice matches, 1 when
not, 2 on unreadable input.

usage: bench/settle_compare.py RAAS.ndjson PG.ndjson [--json OUT] [--show K]
"""
import argparse
import json
import sys

OWN = ("result", "fee", "minimum", "cap")


def load(path, who):
    """Returns {(contract, period start): (document, raw line)} and the duplicate keys."""
    docs, dups = {}, []
    try:
        fh = open(path, encoding="utf-8")
    except OSError as e:
        sys.exit(f"settle_compare.py: {who}: {e}")
    with fh:
        for no, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            try:
                doc = json.loads(line)
                key = (doc["contract"], doc["period"]["start"])
            except (ValueError, KeyError, TypeError) as e:
                print(f"settle_compare.py: {path}:{no}: not an invoice document: {e}", file=sys.stderr)
                sys.exit(2)
            if key in docs:
                dups.append(key)
            docs[key] = (doc, line)
    return docs, dups


def differences(a, b):
    """The parts in which invoice a (raas) and b (PostgreSQL) differ, as readable strings."""
    out = []
    own_a = [l for l in a.get("lines", []) if l.get("type") in OWN]
    own_b = [l for l in b.get("lines", []) if l.get("type") in OWN]
    if own_a != own_b:
        out.append(f"own lines: raas {json.dumps(own_a)} / pg {json.dumps(own_b)}")
    adj_a = [l for l in a.get("lines", []) if l.get("type") not in OWN]
    adj_b = [l for l in b.get("lines", []) if l.get("type") not in OWN]
    if adj_a != adj_b:
        out.append(f"adjustment lines: raas {json.dumps(adj_a)} / pg {json.dumps(adj_b)}")
    if a.get("total") != b.get("total"):
        out.append(f"total: raas {a.get('total')} / pg {b.get('total')}")
    for k in sorted(set(a) | set(b)):
        if k not in ("lines", "total") and a.get(k) != b.get(k):
            out.append(f"{k}: raas {json.dumps(a.get(k))} / pg {json.dumps(b.get(k))}")
    if a.get("lines") != b.get("lines") and own_a == own_b and adj_a == adj_b:
        out.append("line order differs")
    return out


def main():
    ap = argparse.ArgumentParser(description="compare raas settle invoices with the PostgreSQL baseline")
    ap.add_argument("raas")
    ap.add_argument("pg")
    ap.add_argument("--json", help="write the summary here")
    ap.add_argument("--show", type=int, default=5, help="mismatches shown in detail (default 5)")
    args = ap.parse_args()
    ra, ra_dups = load(args.raas, "raas")
    pg, pg_dups = load(args.pg, "pg")
    common = sorted(set(ra) & set(pg))
    only_raas = sorted(set(ra) - set(pg))
    only_pg = sorted(set(pg) - set(ra))
    bad, identical = [], 0
    kinds = {"own lines": 0, "adjustment lines": 0, "total": 0}
    for key in common:
        (a, la), (b, lb) = ra[key], pg[key]
        identical += la == lb
        diff = differences(a, b)
        if diff:
            bad.append((key, diff))
            for k in kinds:
                kinds[k] += any(d.startswith(k) for d in diff)
    print(f"compared {len(common):,} invoices (raas {len(ra):,}, PostgreSQL {len(pg):,}): "
          f"{len(bad):,} mismatch ({kinds['own lines']:,} in own lines, {kinds['adjustment lines']:,} in "
          f"adjustments, {kinds['total']:,} in the total), {identical:,} byte-identical")
    if only_raas:
        print(f"only in raas: {len(only_raas):,}, first {only_raas[:args.show]}")
    if only_pg:
        print(f"only in PostgreSQL: {len(only_pg):,}, first {only_pg[:args.show]}")
    for who, d in (("raas", ra_dups), ("PostgreSQL", pg_dups)):
        if d:
            print(f"{who} printed {len(d)} invoices twice, first {d[:args.show]}")
    for key, diff in bad[: args.show]:
        print(f"  {key[0]} {key[1]}:")
        for d in diff:
            print(f"    {d}")
    summary = {"compared": len(common), "raas_invoices": len(ra), "pg_invoices": len(pg),
               "mismatches": len(bad), "mismatch_kinds": kinds, "byte_identical": identical,
               "only_raas": len(only_raas), "only_pg": len(only_pg),
               "duplicates": len(ra_dups) + len(pg_dups),
               "first_mismatches": [{"contract": k[0], "period_start": k[1], "differences": d}
                                    for k, d in bad[: args.show]]}
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(summary, fh, indent=2)
            fh.write("\n")
    ok = not bad and not only_raas and not only_pg and not ra_dups and not pg_dups
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
