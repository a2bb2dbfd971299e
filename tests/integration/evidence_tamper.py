#!/usr/bin/env python3
"""evidence_tamper.py RAAS — evidence bundles end to end (evidence.md, issue 6): a bundle made by
`raas evidence bundle` verifies with `raas verify` after the data directory is gone, and every
tampering is caught with exit 4 and a message that names what broke: one byte of one leaf (in
a number, and in the syntax), a dropped leaf, two leaves swapped, an invoice amount changed, a
checkpoint signed with another key, a bundle carrying another key. A file that is not a bundle
exits 2.

The data is `raas demo`'s (seeded): shop-02's February invoice carries an adjustment for
January, so the replay covers locked invoices with adjustment lines.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

failures = []
checks = 0


def check(what, ok, detail=""):
    global checks
    checks += 1
    if not ok:
        failures.append(f"{what}: {detail}")


def run(raas, *args):
    return subprocess.run([raas, *args], capture_output=True, text=True)


def verify(raas, bundle, key, path):
    with open(path, "w") as f:
        json.dump(bundle, f, ensure_ascii=False)
    return run(raas, "verify", path, "--key", key)


def main():
    raas = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="raas-evidence-")
    try:
        a, b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
        for d in (a, b):
            p = run(raas, "demo", d)
            if p.returncode:
                print(f"FAIL demo: {p.stderr}")
                return 1
        key_a = run(raas, "-d", os.path.join(a, "data"), "evidence", "key").stdout.strip()
        key_b = run(raas, "-d", os.path.join(b, "data"), "evidence", "key").stdout.strip()
        check("two directories have two keys", key_a != key_b and key_a.startswith("raas/default+"),
              f"{key_a} {key_b}")
        out = os.path.join(tmp, "shop-02.json")
        p = run(raas, "-d", os.path.join(a, "data"), "evidence", "bundle", "shop-02-leads",
                "2026-01", "-o", out)
        check("bundle exit 0", p.returncode == 0, p.stderr)
        p = run(raas, "-d", os.path.join(b, "data"), "evidence", "bundle", "shop-02-leads",
                "2026-01", "-o", out + ".b")
        check("bundle of the other directory", p.returncode == 0, p.stderr)
        # The whole store verifies; one flipped byte in the log, or a stored checkpoint
        # whose root was changed, does not.
        data = os.path.join(a, "data")
        p = run(raas, "verify", "-d", data)
        check("verify --data: exit 0", p.returncode == 0 and p.stdout.endswith(f"verified: {data}\n"),
              p.stdout + p.stderr)
        check("verify --data: reports 128 stored invoices",
              "ok: 128 stored invoices replay byte for byte" in p.stdout, p.stdout)
        flipped = os.path.join(tmp, "flipped")
        shutil.copytree(data, flipped)
        seg = os.path.join(flipped, "tenants", "t-default", "log")
        seg = os.path.join(seg, sorted(os.listdir(seg))[0])
        blob = bytearray(open(seg, "rb").read())
        blob[len(blob) // 2] ^= 0x01
        open(seg, "wb").write(bytes(blob))
        p = run(raas, "verify", "-d", flipped)
        check("a flipped log byte: exit 4", p.returncode == 4, p.stdout + p.stderr)
        check("... named as log damage", "log: damaged log record at position" in p.stderr, p.stderr)
        shutil.rmtree(flipped)
        shutil.copytree(data, flipped)
        cps = os.path.join(flipped, "tenants", "t-default", "checkpoints", "c-shop-05")
        lines = open(cps).read().splitlines(True)
        cp = json.loads(lines[1])
        body = cp["note"].split("\n")
        body[2] = ("A" if body[2][0] != "A" else "B") + body[2][1:]
        cp["note"] = "\n".join(body)
        lines[1] = json.dumps(cp, ensure_ascii=False) + "\n"
        open(cps, "w").write("".join(lines))
        p = run(raas, "verify", "-d", flipped)
        check("a changed checkpoint: exit 4", p.returncode == 4, p.stdout + p.stderr)
        check("... named", "customer shop-05: checkpoint 2:" in p.stderr, p.stderr)
        shutil.rmtree(flipped)
        # A machine that never saw the data directory: only the bundle and the key.
        shutil.rmtree(a)
        shutil.rmtree(b)
        good = json.load(open(out))
        other = json.load(open(out + ".b"))
        check("bundle shape", list(good)[:9] == ["format", "tenant", "customer", "contract",
                                                   "period", "verifier_key", "checkpoint",
                                                   "leaves", "invoices"], str(list(good)))
        check("four invoices from January on", [i["period"]["start"][:7] for i in good["invoices"]]
              == ["2026-01", "2026-02", "2026-03", "2026-04"], str(good["invoices"])[:200])
        p = run(raas, "verify", out, "--key", key_a)
        check("a good bundle verifies", p.returncode == 0, p.stderr)
        check("each check reported", p.stdout.count("\nok: ") + p.stdout.startswith("ok: ") == 8
              and p.stdout.endswith(f"verified: {out}\n"), p.stdout)
        t = os.path.join(tmp, "t.json")

        def expect_fail(what, bundle, key, words):
            p = verify(raas, bundle, key, t)
            check(f"{what}: exit 4", p.returncode == 4, f"exit {p.returncode}: {p.stderr}")
            check(f"{what}: names it", all(w in p.stderr for w in words), p.stderr)

        # One byte of one leaf: a digit of an event's score (still canonical JSON).
        k = next(i for i, l in enumerate(good["leaves"]) if '"score":7' in l)
        bad = json.loads(json.dumps(good))
        bad["leaves"][k] = bad["leaves"][k].replace('"score":7', '"score":8', 1)
        expect_fail("a changed number", bad, key_a, ["root: the leaves do not hash"])
        # ... and a byte that breaks the leaf's form: named by its index.
        bad = json.loads(json.dumps(good))
        bad["leaves"][k] = bad["leaves"][k].replace('"type":', '"typ\\u0065":', 1)
        bad["leaves"][k] = bad["leaves"][k].replace('"typ\\u0065":', '"tyqe":', 1)
        expect_fail("a changed key", bad, key_a, [f"leaf {k}: not a canonical event leaf"])
        # A dropped leaf.
        bad = json.loads(json.dumps(good))
        del bad["leaves"][k]
        n = len(good["leaves"])
        expect_fail("a dropped leaf", bad, key_a,
                    [f"the checkpoint covers {n} leaves, the bundle holds {n - 1}"])
        # Two leaves swapped (with different received times).
        recv = [json.loads(l).get("received") or json.loads(l).get("applied") for l in good["leaves"]]
        j = next(i for i in range(1, n) if recv[i] and recv[i - 1] and recv[i] > recv[i - 1]
                 and json.loads(good["leaves"][i])["kind"] == "event")
        bad = json.loads(json.dumps(good))
        bad["leaves"][j - 1], bad["leaves"][j] = bad["leaves"][j], bad["leaves"][j - 1]
        expect_fail("two leaves swapped", bad, key_a, [f"leaf {j}: received before the leaf before it"])
        # An invoice amount changed.
        bad = json.loads(json.dumps(good))
        feb = bad["invoices"][1]
        line = feb["lines"][0]
        line["amount"] = "%.2f" % (float(line["amount"]) + 50)
        expect_fail("an invoice amount", bad, key_a,
                    ["invoice 2026-02-01T00:00:00+08:00: line 1 (result qualified_lead)",
                     f"the bundle says {line['amount']}"])
        # The checkpoint signed with another key (the other directory's, same log).
        bad = json.loads(json.dumps(good))
        bad["checkpoint"] = other["checkpoint"]
        expect_fail("a checkpoint signed by another key", bad, key_a, ["checkpoint:", "signature"])
        # A whole bundle made under another key, checked against the published one.
        expect_fail("another key", other, key_a, ["verifier key: the bundle carries", key_b])
        # ... which is fine against its own key: the data is the same.
        p = verify(raas, other, key_b, t)
        check("the other bundle verifies against its own key", p.returncode == 0, p.stderr)
        # Not a bundle at all.
        with open(t, "w") as f:
            f.write('{"format":"something else"}')
        p = run(raas, "verify", t, "--key", key_a)
        check("not a bundle: exit 2", p.returncode == 2, p.stderr)
        p = run(raas, "verify", out)
        check("no --key: exit 1", p.returncode == 1 and p.stderr.startswith("--key:"), p.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL", f)
    print(f"evidence tamper: {checks - len(failures)}/{checks} checks pass")
    return 1 if failures else 0


sys.exit(main())
