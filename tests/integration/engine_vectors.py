#!/usr/bin/env python3
"""engine_vectors.py RAAS VECTORS.json [OP,OP...] — runs the steps of an engine vector file
(../shared/vectors/engine-basic.json; README.md there defines the format) against one fresh
data directory and checks each step's exit code and output.

The optional third argument lists the ops whose expectations are checked (default: all).
Steps of other ops are still run when they write (apply, ingest, settle), so later steps see
the same directory, but their expectations are not checked — this is how a release that
does not implement settlement yet runs the apply and ingest steps.
"""
import json
import os
import subprocess
import sys
import tempfile


def report_matches(got, want):
    """Compares ingest reports: rejections and conflicts by line and id only."""
    for key in ("accepted", "duplicates", "unmatched"):
        if got.get(key) != want.get(key):
            return f"{key}: {got.get(key)!r} != {want.get(key)!r}"
    for key in ("rejected", "conflicts"):
        g = [(x.get("line"), x.get("id")) for x in got.get(key, [])]
        w = [(x.get("line"), x.get("id")) for x in want.get(key, [])]
        if g != w:
            return f"{key}: {g} != {w}"
        for x in got.get(key, []):
            if not isinstance(x.get("error"), str) or not x["error"]:
                return f"{key}: entry without an error text: {x}"
    if list(got.keys()) != ["accepted", "duplicates", "rejected", "conflicts", "unmatched"]:
        return f"report keys out of order: {list(got.keys())}"
    return None


def check(step, p):
    exp = step["expect"]
    if p.returncode != exp["exit"]:
        return f"exit {p.returncode} != {exp['exit']} (stderr: {p.stderr.strip()[:300]})"
    if "stdout" in exp and p.stdout.rstrip("\n") != exp["stdout"]:
        return f"stdout {p.stdout!r} != {exp['stdout']!r}"
    if "output" in exp:
        try:
            got = json.loads(p.stdout)
        except ValueError:
            return f"stdout is not JSON: {p.stdout!r}"
        if got != exp["output"]:
            return f"output {got} != {exp['output']}"
    if "problems_mention" in exp:
        lines = p.stderr.splitlines()
        for path, words in exp["problems_mention"]:
            if not any(l.startswith(path + ":") and words in l for l in lines):
                return f"no problem '{path}: ...{words}...' in {p.stderr!r}"
        if p.stdout:
            return f"stdout must be empty: {p.stdout!r}"
    if "report" in exp:
        try:
            got = json.loads(p.stdout)
        except ValueError:
            return f"stdout is not a report: {p.stdout!r}"
        problem = report_matches(got, exp["report"])
        if problem:
            return problem
    if "results" in exp:
        got = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
        if len(got) != len(exp["results"]):
            return f"{len(got)} results != {len(exp['results'])}"
        for g, w in zip(got, exp["results"]):
            for k, v in w.items():
                if k == "events":
                    if g.get("events", {}).get("achieved") != v.get("achieved"):
                        return f"{w['id']}: events.achieved {g.get('events')} != {v}"
                elif g.get(k) != v:
                    return f"{w['id']}: {k} {g.get(k)!r} != {v!r}"
    return None


def main():
    raas, vectors = sys.argv[1], sys.argv[2]
    ops = set(sys.argv[3].split(",")) if len(sys.argv) > 3 else None
    with open(vectors, encoding="utf-8") as f:
        steps = json.load(f)["steps"]
    work = tempfile.mkdtemp(prefix="raas-vectors-")
    data = os.path.join(work, "data")
    subprocess.run([raas, "init", data], check=True, capture_output=True)
    failures = checked = 0
    for n, step in enumerate(steps):
        op = step["op"]
        if op == "apply":
            path = os.path.join(work, f"step{n}.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(step["doc"], f)
            cmd = ["contract", "apply", path, "--now", step["now"]]
            if step.get("effective"):
                cmd += ["--effective", step["effective"]]
        elif op == "ingest":
            path = os.path.join(work, f"step{n}.ndjson")
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(step["lines"]) + "\n")
            cmd = ["ingest", path, "--now", step["now"]] + (["--atomic"] if step.get("atomic") else [])
        elif op == "invoice":
            cmd = ["invoice", step["contract"], step["date"], "--now", step["now"]]
        elif op == "settle":
            cmd = ["settle", "--now", step["now"]]
        elif op == "results":
            cmd = ["results", step["contract"], "--now", step["now"]]
        else:
            print(f"FAIL step {n}: unknown op {op}")
            failures += 1
            continue
        if ops is not None and op not in ops and op not in ("apply", "ingest", "settle"):
            continue
        p = subprocess.run([raas, "-d", data, *cmd], capture_output=True, text=True, timeout=120)
        if ops is not None and op not in ops:
            continue
        checked += 1
        problem = check(step, p)
        if problem:
            failures += 1
            print(f"FAIL step {n} ({op}): {problem}")
    print(f"engine vectors: {checked - failures}/{checked} checked steps pass")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
