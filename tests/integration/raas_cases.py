"""raas_cases.py — the shared runner of the case-driven integration tests (ingest_rules.py,
contract_rules.py, settle_rules.py).

A test script makes one Suite, registers its cases with @suite.case and ends with
sys.exit(suite.main()). Each case gets fresh data directories from suite.fresh() (a new
`raas init` directory under one temporary work directory), drives the real binary through
suite.run() / suite.apply() / suite.ingest(), and checks every command with suite.expect():
the exit code, stdout byte for byte (or a compiled regular expression that must match all of
it) and stderr exactly (or its start, for the `PATH: ` of a problem line). A mismatch is
recorded as a failure of the current case and the case goes on; an exception ends the case
(suite.fail() for a precondition, anything else is reported with its traceback as a bug in
the test). main() prints every failure (`FAIL case: what: ...`), then the summary line
`TITLE: X/N cases pass, Y/M checks pass`, removes the work directory and returns 1 if
anything failed, else 0.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import traceback


class Failed(Exception):
    """Ends the current case: a step the rest of the case depends on did not work."""


class Suite:
    def __init__(self, title, prefix, raas=None):
        self.title = title
        self.raas = raas if raas is not None else sys.argv[1]
        self.work = tempfile.TemporaryDirectory(prefix=prefix)
        self.cases = []
        self.failures = []
        self.checks = 0
        self.serial = 0
        self.current = ""

    # ------------------------------------------------------------ registration and failures

    def case(self, fn):
        self.cases.append(fn)
        return fn

    def fail(self, msg):
        raise Failed(msg)

    def note(self, msg):
        """Records a failure of the current case that is not a command's check."""
        self.failures.append(f"{self.current}: {msg}")

    def check(self, what, got, want):
        """One value check: GOT must equal WANT; a mismatch is a failure of the current case
        (and the case goes on). Returns whether it held."""
        self.checks += 1
        if got != want:
            self.note(f"{what}\n      got  {got!r}\n      want {want!r}")
            return False
        return True

    # ------------------------------------------------------------ files and directories

    def path(self, stem, ext=""):
        """A new, unused path in the work directory: STEM, a serial number, EXT."""
        self.serial += 1
        return os.path.join(self.work.name, f"{stem}{self.serial}{ext}")

    def fresh(self):
        """A new initialised data directory."""
        d = self.path("d")
        p = subprocess.run([self.raas, "init", d], capture_output=True, timeout=30)
        if p.returncode != 0:
            self.fail(f"raas init {d}: exit {p.returncode}: {p.stderr!r}")
        return d

    def write(self, content, stem="in", ext=".ndjson"):
        """Writes CONTENT (str or bytes) to a new file and returns its path."""
        path = self.path(stem, ext)
        with open(path, "wb") as f:
            f.write(content if isinstance(content, bytes) else content.encode("utf-8"))
        return path

    # ------------------------------------------------------------ commands

    def run(self, data, *args, stdin=None):
        """`raas -d DATA ARGS...`: (exit code, stdout, stderr) as text."""
        p = subprocess.run([self.raas, "-d", data, *args], capture_output=True, input=stdin,
                           timeout=60)
        return (p.returncode, p.stdout.decode("utf-8", "replace"),
                p.stderr.decode("utf-8", "replace"))

    def apply(self, data, doc, now, *extra):
        """Writes DOC (a dict, written with json.dumps, or the exact text) to a file and
        applies it: `contract apply FILE --now NOW EXTRA...`."""
        path = self.write(doc if isinstance(doc, str) else json.dumps(doc), "c", ".json")
        return self.run(data, "contract", "apply", path, "--now", now, *extra)

    def ingest(self, data, lines, now, *extra, raw=None):
        """Ingests LINES (a list of strings, each followed by a newline) or RAW bytes:
        `ingest FILE --now NOW EXTRA...`."""
        content = raw if raw is not None else lines_bytes(lines)
        return self.run(data, "ingest", self.write(content), "--now", now, *extra)

    # ------------------------------------------------------------ checks

    def expect(self, what, got, code, stdout=None, stderr=None, stderr_prefix=None):
        """Checks one command's exit code, stdout (exact text, or a compiled pattern that must
        match all of it) and stderr (exact text; or with STDERR_PREFIX, one line that starts
        with it). Returns True when everything matched."""
        self.checks += 1
        rc, out, err = got
        problems = []
        if rc != code:
            problems.append(f"exit {rc} != {code}")
        if isinstance(stdout, re.Pattern):
            if not stdout.fullmatch(out):
                problems.append(f"stdout\n      got  {out!r}\n      want /{stdout.pattern}/")
        elif stdout is not None and out != stdout:
            problems.append(f"stdout\n      got  {out!r}\n      want {stdout!r}")
        if stderr is not None and err != stderr:
            problems.append(f"stderr\n      got  {err!r}\n      want {stderr!r}")
        if stderr_prefix is not None and not (err.startswith(stderr_prefix)
                                              and err.endswith("\n") and err.count("\n") == 1):
            problems.append(f"stderr\n      got  {err!r}\n      want one line starting "
                            f"{stderr_prefix!r}")
        if problems:
            self.failures.append(f"{self.current}: {what}: " + "; ".join(problems))
            return False
        return True

    # ------------------------------------------------------------ the run

    def main(self):
        failed_cases = 0
        for fn in self.cases:
            self.current = fn.__name__
            before = len(self.failures)
            try:
                fn()
            except Failed as e:
                self.failures.append(f"{fn.__name__}: {e}")
            except Exception:  # a bug in the test itself
                self.failures.append(f"{fn.__name__}: {traceback.format_exc()}")
            failed_cases += len(self.failures) > before
        for f in self.failures:
            print("FAIL", f)
        print(f"{self.title}: {len(self.cases) - failed_cases}/{len(self.cases)} cases pass, "
              f"{self.checks - len(self.failures)}/{self.checks} checks pass")
        self.work.cleanup()
        return 1 if self.failures else 0


def lines_bytes(lines):
    """LINES as NDJSON bytes: each line followed by a newline."""
    return ("".join(l + "\n" for l in lines)).encode("utf-8")


def compact(doc):
    """DOC as compact JSON (no whitespace, non-ASCII as is)."""
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
