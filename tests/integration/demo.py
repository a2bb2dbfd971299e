#!/usr/bin/env python3
"""demo.py RAAS — checks `raas demo`, the main job (cli.md, issue 5).

The demo is seeded, so its figures are fixed: this test pins the facts its summary promises
(the planted late arrival's adjustment, the planted clawback, every bad line reported with its
line number), checks that two runs in two directories write byte-identical invoices, that the
invoices `settle` stored are exactly what `raas invoices` and `raas invoice` print later (stored
documents are read back, computed ones agree with them), and that a second run into the same
directory is refused.
"""
import json
import os
import subprocess
import sys
import tempfile

failures = []


def check(what, ok, detail=""):
    if not ok:
        failures.append(f"{what}: {detail}")


def run(raas, *args):
    return subprocess.run([raas, *args], capture_output=True, text=True)


def main():
    raas = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        a, b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
        pa, pb = run(raas, "demo", a), run(raas, "demo", b)
        check("demo exit", pa.returncode == 0 and pb.returncode == 0, pa.stderr + pb.stderr)
        inv_a = open(os.path.join(a, "invoices.ndjson")).read()
        inv_b = open(os.path.join(b, "invoices.ndjson")).read()
        check("seeded: identical invoices in two runs", inv_a == inv_b)
        check("seeded: identical summaries", pa.stdout.replace(a, "DIR") == pb.stdout.replace(b, "DIR"))
        docs = [json.loads(l) for l in inv_a.splitlines()]
        check("128 invoices (32 contracts x 4 months)", len(docs) == 128, str(len(docs)))
        out = pa.stdout
        for want in [
            "5 lines rejected and 1 conflict",
            "events/2026-w06.ndjson line 2374 (id s03-bad-1): time: -00:00",
            "events/2026-w06.ndjson line 2375 (id s03-bad-2): source: unknown field",
            "events/2026-w06.ndjson line 2379 (id s03-lead-00042): id already used with different content",
            "line: adjustment for the period starting 2026-01-01T00:00:00+08:00: 750.00 CNY",
            "line: adjustment for the period starting 2026-01-01T00:00:00Z: -3000.00 USD",
            '"id":"firm-01-hires/hire:C-01-007","name":"hire","status":"reversed"',
        ]:
            check("summary mentions", want in out, want)
        feb = [d for d in docs if d["contract"] == "shop-02-leads" and d["period"]["start"].startswith("2026-02")]
        # 15 late January leads, all in the first tier: 15 x 50.00 = 750.00.
        check("shop-02 February adjustment", len(feb) == 1 and feb[0]["lines"][-1] ==
              {"type": "adjustment", "period_start": "2026-01-01T00:00:00+08:00", "amount": "750.00"},
              str(feb))
        data = os.path.join(a, "data")
        listed = run(raas, "-d", data, "invoices", "--now", "2026-05-10T00:00:00Z")
        check("invoices lists what settle stored, in settle's order", listed.stdout == inv_a,
              listed.stderr)
        one = run(raas, "-d", data, "invoice", "shop-02-leads", "2026-02", "--now", "2026-05-10T00:00:00Z")
        check("invoice prints the stored document", one.stdout == json.dumps(feb[0], separators=(",", ":"), ensure_ascii=False) + "\n" if feb else False, one.stdout)
        # The facts caches (state/facts/) are derived: damaged, truncated or removed, they are
        # rebuilt from the log and the invoices do not change.
        facts = os.path.join(data, "tenants", "t-default", "state", "facts")
        names = sorted(os.listdir(facts))
        check("a facts cache per contract", len(names) == 32, str(names))
        for i, name in enumerate(names):
            path = os.path.join(facts, name)
            blob = bytearray(open(path, "rb").read())
            if i % 3 == 0:
                blob[len(blob) // 2] ^= 0x40
            elif i % 3 == 1:
                blob = blob[: len(blob) // 2]
            else:
                blob = b""
            open(path, "wb").write(bytes(blob))
        relisted = run(raas, "-d", data, "invoices", "--now", "2026-05-10T00:00:00Z")
        check("damaged caches are rebuilt, invoices unchanged", relisted.stdout == inv_a,
              relisted.stderr)
        for name in names:
            os.unlink(os.path.join(facts, name))
        relisted = run(raas, "-d", data, "results", "shop-07-leads", "--now", "2026-05-10T00:00:00Z")
        fresh = run(raas, "-d", data, "results", "shop-07-leads", "--now", "2026-05-10T00:00:00Z")
        check("results from the log and from the rebuilt cache agree",
              relisted.stdout == fresh.stdout and relisted.stdout.count("\n") > 100,
              relisted.stderr)
        again = run(raas, "demo", a)
        check("a second run into the same directory exits 2", again.returncode == 2, again.stderr)
        check("... and says why", "holds data already" in again.stderr, again.stderr)
    for f in failures:
        print("FAIL", f)
    print(f"demo: {'all checks pass' if not failures else str(len(failures)) + ' failures'}")
    sys.exit(1 if failures else 0)


main()
