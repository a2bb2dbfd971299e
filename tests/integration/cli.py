#!/usr/bin/env python3
"""cli.py RAAS — the real binary's command-line contract (cli.md): exit codes, stdout empty
and one line per problem on stderr when a command fails, help for every command and option,
and options before or after the command."""
import subprocess
import sys

RAAS = sys.argv[1]
failures = []


def run(*args, env=None):
    return subprocess.run([RAAS, *args], capture_output=True, text=True, timeout=30, env=env)


def expect(name, p, code, stdout=None, stderr=None, stdout_has=None):
    problems = []
    if p.returncode != code:
        problems.append(f"exit {p.returncode} != {code}")
    if stdout is not None and p.stdout != stdout:
        problems.append(f"stdout {p.stdout!r} != {stdout!r}")
    if stderr is not None and p.stderr != stderr:
        problems.append(f"stderr {p.stderr!r} != {stderr!r}")
    for s in stdout_has or []:
        if s not in p.stdout:
            problems.append(f"stdout lacks {s!r}")
    if code in (1, 2) and p.stdout:
        problems.append(f"stdout must be empty on exit {code}: {p.stdout!r}")
    if problems:
        failures.append(f"{name}: " + "; ".join(problems))


UNIT = '{"model":"unit","amount":"2.50"}'

version = run("--version")
expect("--version", version, 0)
if not version.stdout.startswith("raas ") or version.stdout.count("\n") != 1:
    failures.append(f"--version prints {version.stdout!r}")

expect("help", run("help"), 0, stdout_has=["Commands:", "price", "--data DIR", "--format FORMAT",
                                            "Exit codes:"])
expect("no command", run(), 1, stdout="")
expect("unknown command", run("nope"), 1, stderr="nope: unknown command (see raas help)\n")
expect("help price", run("help", "price"), 0,
       stdout_has=["Usage: raas price [OPTIONS] PRICE_JSON Q [Q...]", "measure", "Exit codes:"])
expect("price --help", run("price", "--help"), 0, stdout=run("help", "price").stdout)
expect("price -h", run("price", "-h"), 0, stdout=run("help", "price").stdout)
expect("unknown option", run("price", "--nope", UNIT, "1"), 1,
       stderr="--nope: unknown option (see raas help)\n")
expect("missing argument", run("price", UNIT), 1,
       stderr="missing argument (usage: raas price PRICE_JSON Q [Q...]; see raas help price)\n")
expect("price ok", run("price", UNIT, "3"), 0, stdout='{"amount":"7.5"}\n', stderr="")
expect("-d before", run("-d", "/tmp/x", "price", UNIT, "3"), 0, stdout='{"amount":"7.5"}\n')
expect("--data after", run("price", UNIT, "3", "--data", "/tmp/x"), 0,
       stdout='{"amount":"7.5"}\n')
expect("--data=", run("price", "--data=/tmp/x", UNIT, "3"), 0, stdout='{"amount":"7.5"}\n')
expect("--format text", run("--format", "text", "price", UNIT, "3"), 0, stdout="7.5\n")
expect("bad --format", run("--format", "yaml", "price", UNIT, "3"), 2,
       stderr="--format: must be json or text\n")
expect("-- ends options", run("price", "--", UNIT, "3"), 0, stdout='{"amount":"7.5"}\n')
expect("invalid price", run("price", '{"model":"unit"}', "3"), 2,
       stderr='amount: required (a decimal string such as "12.50")\n')
expect("overflow", run("price", UNIT, "99999999999999999999999999"), 2,
       stderr="the amount reaches 10^26 (overflow)\n")
expect("no command", run(), 1, stderr="missing command (see raas help)\n")
full = subprocess.run(f"'{RAAS}' price '{UNIT}' 3 >/dev/full", shell=True, capture_output=True,
                      text=True, timeout=30)
expect("stdout full", full, 3, stderr="stdout: No space left on device\n")

for f in failures:
    print("FAIL", f)
print(f"cli: {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
