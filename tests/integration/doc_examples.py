#!/usr/bin/env python3
"""doc_examples.py RAAS EXPR_DRIVER README.md DOCS_DIR — runs every example of the user docs.

In README.md and docs/*.md, a fenced block whose info string is `console` holds examples:
a line `$ raas ...` is run by /bin/sh with `raas` being the binary under test; the lines up to
the next `$ ` line (or the end of the block) are its expected output, stdout then stderr,
exactly. A last expected line `[exit N]` gives a non-zero exit code. A fenced block whose info
string is `where` holds expression examples, one per line: `EXPRESSION # PROPERTIES → RESULT`
(split at the last " # " and the last " → "), evaluated by tests/tools/expr_driver.c.
Documentation that shows a command or an expression therefore cannot drift from the code.
"""
import glob
import os
import re
import subprocess
import sys
import tempfile


def where_examples(path):
    in_block = False
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f.read().split("\n"), 1):
            if line.startswith("```"):
                in_block = line.strip() == "```where"
                continue
            if in_block and line.strip():
                expr, _, rest = line.rpartition(" # ")
                props, _, result = rest.rpartition(" → ")
                yield {"where": f"{path}:{n}", "expr": expr, "props": props, "want": result}


def run_where(driver, cases):
    """Evaluates every case with one driver process; returns the number of failures."""
    text = "".join(f"{c['expr']}\t{c['props']}\n" for c in cases)
    p = subprocess.run([driver], input=text, capture_output=True, text=True, timeout=60)
    got = p.stdout.split("\n")
    failures = 0
    for i, c in enumerate(cases):
        g = got[i] if i < len(got) else "(no output)"
        if g != c["want"]:
            failures += 1
            print(f"FAIL {c['where']}: {c['expr']}  with {c['props']}: got {g!r}, "
                  f"expected {c['want']!r}")
    return failures


def examples(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    in_block = False
    current = None
    for n, line in enumerate(lines, 1):
        if line.startswith("```"):
            if in_block and current:
                yield current
            current = None
            in_block = line.strip() == "```console"
            continue
        if not in_block:
            continue
        if line.startswith("$ "):
            if current:
                yield current
            current = {"where": f"{path}:{n}", "cmd": line[2:], "out": []}
        elif current is not None:
            current["out"].append(line)


def main():
    raas, driver, readme, docs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    bindir = os.path.dirname(os.path.abspath(raas))
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
    files = [readme] + sorted(glob.glob(os.path.join(docs, "*.md")))
    total = failures = 0
    for path in files:
        # Each document's examples run in order in a fresh working directory of their own,
        # so an example may create a data directory or a file that the next one uses.
        cwd = tempfile.mkdtemp(prefix="raas-doc-")
        for ex in examples(path):
            total += 1
            want = ex["out"]
            code = 0
            if want and re.fullmatch(r"\[exit \d+\]", want[-1]):
                code = int(want[-1][6:-1])
                want = want[:-1]
            p = subprocess.run(["/bin/sh", "-c", ex["cmd"]], capture_output=True, text=True,
                               env=env, timeout=60, cwd=cwd)
            got = (p.stdout + p.stderr).rstrip("\n").split("\n") if (p.stdout + p.stderr) else []
            if got != want or p.returncode != code:
                failures += 1
                print(f"FAIL {ex['where']}: $ {ex['cmd']}")
                print("  expected (exit %d):\n    %s" % (code, "\n    ".join(want)))
                print("  got (exit %d):\n    %s" % (p.returncode, "\n    ".join(got)))
    cases = [c for path in files for c in where_examples(path)]
    total += len(cases)
    failures += run_where(driver, cases)
    print(f"{total - failures}/{total} documentation examples pass")
    return 1 if failures or total == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
