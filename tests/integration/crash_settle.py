#!/usr/bin/env python3
"""crash_settle.py RAAS [ROUNDS] — a crash at any moment of `raas settle` leaves a store that
`raas verify` accepts, and settling again gives exactly the invoices an uninterrupted settle
gives (evidence.md "Durability", issue 6).

The store is `raas demo`'s (seeded, settled up to 10 May 2026). Each round copies it, starts
`raas settle --now 2026-09-01T00:00:00Z` (which locks 104 invoices — May to July of the CNY
contracts, May to August of the USD ones — and signs a checkpoint per customer), SIGKILLs it after a random delay within its measured run time, then
checks: `raas verify` exits 0; a second `settle` exits 0; `raas invoices` prints the same
bytes as on the store settled without a crash; and `raas verify` exits 0 again.
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

NOW = "2026-09-01T00:00:00Z"


def run(raas, *args):
    return subprocess.run([raas, *args], capture_output=True, text=True)


def main():
    raas = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    rng = random.Random(20261201)
    failures = []
    tmp = tempfile.mkdtemp(prefix="raas-crash-settle-")
    try:
        demo = os.path.join(tmp, "demo")
        p = run(raas, "demo", demo)
        if p.returncode:
            print("FAIL demo:", p.stderr)
            return 1
        base = os.path.join(demo, "data")
        ref = os.path.join(tmp, "ref")
        shutil.copytree(base, ref)
        t0 = time.time()
        p = run(raas, "-d", ref, "settle", "--now", NOW)
        took = time.time() - t0
        if p.returncode or p.stdout.count("\n") != 104:
            print("FAIL reference settle:", p.returncode, p.stdout.count("\n"), p.stderr)
            return 1
        want = run(raas, "-d", ref, "invoices", "--now", NOW).stdout
        killed = 0
        for r in range(rounds):
            d = os.path.join(tmp, "r%d" % r)
            shutil.copytree(base, d)
            proc = subprocess.Popen([raas, "-d", d, "settle", "--now", NOW],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0, took * 1.1))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                killed += 1
            proc.wait()
            v = run(raas, "verify", "-d", d)
            if v.returncode:
                failures.append("round %d: verify after the crash: exit %d %s"
                                % (r, v.returncode, v.stderr[-300:]))
            s = run(raas, "-d", d, "settle", "--now", NOW)
            if s.returncode:
                failures.append("round %d: settle again: exit %d %s" % (r, s.returncode, s.stderr))
            got = run(raas, "-d", d, "invoices", "--now", NOW).stdout
            if got != want:
                failures.append("round %d: invoices differ from the uninterrupted settle" % r)
            v = run(raas, "verify", "-d", d)
            if v.returncode:
                failures.append("round %d: verify after settling again: exit %d %s"
                                % (r, v.returncode, v.stderr[-300:]))
            shutil.rmtree(d)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL", f)
    print("crash_settle: %d rounds, %d killed mid-run (settle takes %.2f s), %d violations"
          % (rounds, killed, took, len(failures)))
    return 1 if failures else 0


sys.exit(main())
