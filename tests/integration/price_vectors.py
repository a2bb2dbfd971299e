#!/usr/bin/env python3
"""price_vectors.py RAAS FILE.jsonl [FILE.jsonl ...] — runs `raas price` on every case.

Each line is {"name", "price", "args", "exit", "amount" | "message_names_one_of"} as
../shared/vectors/README.md defines it. Exit 0 cases must print exactly {"amount":"..."} and a
newline with nothing on stderr; failing cases must print nothing on stdout and, on stderr, a
line "PATH: ..." for one of the paths listed (any message when the list is empty).
"""
import json
import subprocess
import sys


def check(raas, case):
    p = subprocess.run([raas, "price", case["price"], *case["args"]],
                       capture_output=True, text=True, timeout=30)
    if p.returncode not in case["exit"]:
        return f"exit {p.returncode}, expected {case['exit']} (stderr: {p.stderr.strip()})"
    if p.returncode == 0:
        want = json.dumps({"amount": case["amount"]}, separators=(",", ":")) + "\n"
        if p.stdout != want:
            return f"stdout {p.stdout!r}, expected {want!r}"
        if p.stderr:
            return f"unexpected stderr {p.stderr!r}"
        return None
    if p.stdout:
        return f"stdout must be empty on failure, got {p.stdout!r}"
    lines = p.stderr.splitlines()
    if not lines:
        return "no message on stderr"
    names = case.get("message_names_one_of", [])
    if names and not any(l.startswith(n + ":") for l in lines for n in names):
        return f"no message names one of {names}: {p.stderr!r}"
    return None


def main():
    raas, files = sys.argv[1], sys.argv[2:]
    failures = total = 0
    for path in files:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                case = json.loads(line)
                total += 1
                problem = check(raas, case)
                if problem:
                    failures += 1
                    print(f"FAIL {path}:{n} {case['name']}: {problem}")
    print(f"{total - failures}/{total} price cases pass")
    return 1 if failures or total == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
