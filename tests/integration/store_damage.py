#!/usr/bin/env python3
"""store_damage.py RAAS — damage is reported, never repaired away.

A data directory whose id index cannot be trusted (modified in another boot, as after a power
cut) is rebuilt from the log on open. If the log itself is damaged *before* the last batch
known to be durable, that is not a torn tail: the open must fail with exit 3, name the
damage, and leave the log untouched. A damaged or unreadable index, by contrast, is derived
state: it is rebuilt and nothing is lost.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

RAAS = sys.argv[1]
failures = []


def run(*args):
    return subprocess.run([RAAS, *args], capture_output=True, text=True, timeout=60)


def events(n, prefix="e"):
    return "".join(json.dumps({"id": f"{prefix}{i}", "customer": "c1", "type": "t",
                               "time": "2026-01-01T00:00:00Z"}) + "\n" for i in range(n))


def setup():
    work = tempfile.mkdtemp(prefix="raas-damage-")
    data = os.path.join(work, "data")
    run("init", data)
    path = os.path.join(work, "events.ndjson")
    with open(path, "w") as f:
        f.write(events(300))
    p = run("-d", data, "ingest", path, "--now", "2026-01-02T00:00:00Z", "--batch", "100")
    assert json.loads(p.stdout)["accepted"] == 300, p.stdout
    tdir = os.path.join(data, "tenants", "t-default")
    return data, path, os.path.join(tdir, "log", "00000000.seg"), os.path.join(tdir, "state", "ids.tbl")


def mark_untrusted(ids):
    # Header: magic[8] capacity[8] count[8] covered[8] clock[8] dirty[4] boot_id[40].
    with open(ids, "r+b") as f:
        f.seek(40)
        f.write(struct.pack("<I", 1) + b"another-boot".ljust(40, b"\0"))


# 1. Damage in the middle of the log, index untrusted: exit 3, log unchanged.
data, path, seg, ids = setup()
size = os.path.getsize(seg)
with open(seg, "r+b") as f:
    f.seek(size // 2)
    b = f.read(1)
    f.seek(size // 2)
    f.write(bytes([b[0] ^ 0xFF]))
mark_untrusted(ids)
p = run("-d", data, "ingest", "/dev/null", "--now", "2026-01-03T00:00:00Z")
if p.returncode != 3 or "damaged" not in p.stderr or p.stdout:
    failures.append(f"damaged log: exit {p.returncode}, stdout {p.stdout!r}, stderr {p.stderr!r}")
if os.path.getsize(seg) != size:
    failures.append(f"damaged log was cut: {size} -> {os.path.getsize(seg)} bytes")

# 2. Untrusted but whole: rebuilt, every event still known (a re-send is all duplicates).
data, path, seg, ids = setup()
mark_untrusted(ids)
p = run("-d", data, "ingest", path, "--now", "2026-01-03T00:00:00Z")
r = json.loads(p.stdout or "{}")
if p.returncode != 0 or r.get("accepted") != 0 or r.get("duplicates") != 300:
    failures.append(f"untrusted rebuild: exit {p.returncode}, report {p.stdout!r} {p.stderr!r}")

# 3. An unreadable index file: made anew, rebuilt, nothing lost.
data, path, seg, ids = setup()
with open(ids, "wb") as f:
    f.write(b"garbage")
p = run("-d", data, "ingest", path, "--now", "2026-01-03T00:00:00Z")
r = json.loads(p.stdout or "{}")
if p.returncode != 0 or r.get("accepted") != 0 or r.get("duplicates") != 300:
    failures.append(f"garbage index: exit {p.returncode}, report {p.stdout!r} {p.stderr!r}")

# 4. A torn tail after the last durable batch is cut, and its events are simply new again.
data, path, seg, ids = setup()
with open(seg, "ab") as f:
    f.write(b"RLR1\x10\x00\x00\x00partial")
p = run("-d", data, "ingest", path, "--now", "2026-01-03T00:00:00Z")
r = json.loads(p.stdout or "{}")
if p.returncode != 0 or r.get("duplicates") != 300:
    failures.append(f"torn tail: exit {p.returncode}, report {p.stdout!r} {p.stderr!r}")

for f in failures:
    print("FAIL", f)
print(f"store_damage: {4 - len(failures)}/4 cases pass")
sys.exit(1 if failures else 0)
