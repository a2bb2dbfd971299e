#!/usr/bin/env python3
"""crash_server.py RAAS [ROUNDS] — SIGKILL of `raas serve` under ingest load loses no
acknowledged event (server.md, events.md "acknowledged only once durable").

Each round starts a server on a random loopback port over the same data directory, lets three
client threads post batches of 200 NDJSON events with ids unique per (thread, batch, event),
and kills the server with SIGKILL at a random moment. Then a new server recovers the directory
and every batch is sent again: a batch that was answered 200 before the kill must come back
with all of its events duplicates; one that was not may come back partly stored (duplicates +
accepted = its size, never a conflict). At the end `raas verify` checks the whole store.
Exits 1 on the first violation.
"""
import http.client
import json
import os
import random
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time

RAAS = sys.argv[1]
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 6
NOW = "2026-04-01T00:00:00Z"
BATCH = 200


def die(msg):
    print(f"crash_server: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def run(*args):
    p = subprocess.run([RAAS, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def start(data):
    p = subprocess.Popen([RAAS, "-d", data, "serve", "--listen", "127.0.0.1:0", "--now", NOW,
                          "--access-log", "none", "--settle-interval", "0",
                          "--rate-limit", "0"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    r, _, _ = select.select([p.stdout], [], [], 20)
    line = p.stdout.readline().decode() if r else ""
    m = re.fullmatch(r'\{"listening":"127\.0\.0\.1:(\d+)"\}\n', line)
    if not m:
        p.kill()
        die(f"serve did not announce its port: {line!r} {p.stderr.read()!r}")
    return p, int(m.group(1))


def batch_body(rnd, thread, b):
    lines = []
    for e in range(BATCH):
        lines.append(json.dumps({
            "id": f"r{rnd}-t{thread}-b{b}-e{e}", "customer": f"c{(b * 7 + e) % 13}",
            "type": "lead.created", "time": "2026-03-30T10:00:00Z",
            "properties": {"lead_id": f"L{rnd}-{thread}-{b}-{e}", "score": e % 100}},
            separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode()


def post(port, key, body):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request("POST", "/v1/events", body=body, headers={
            "Authorization": "Bearer " + key, "Content-Type": "application/x-ndjson"})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def main():
    work = tempfile.mkdtemp(prefix="raas-crash-server-")
    data = os.path.join(work, "d")
    rc, out, err = run("init", data)
    if rc:
        die(f"init: {err}")
    rc, out, err = run("-d", data, "tenant", "key", "default", "--role", "ingest")
    if rc:
        die(f"tenant key: {err}")
    key = json.loads(out)["key"]
    rng = random.Random(7)
    acked_total = 0
    for rnd in range(ROUNDS):
        srv, port = start(data)
        sent = {}   # (thread, batch) -> body
        acked = set()
        stop = threading.Event()
        lock = threading.Lock()

        def client(t):
            b = 0
            while not stop.is_set():
                body = batch_body(rnd, t, b)
                with lock:
                    sent[(t, b)] = body
                try:
                    status, resp = post(port, key, body)
                except OSError:
                    return  # the server is gone
                if status == 200:
                    rep = json.loads(resp)
                    if rep["accepted"] != BATCH:
                        die(f"round {rnd}: batch {t}/{b} before the kill: {rep}")
                    with lock:
                        acked.add((t, b))
                elif status != 0:
                    die(f"round {rnd}: batch {t}/{b}: HTTP {status}: {resp[:300]!r}")
                b += 1

        threads = [threading.Thread(target=client, args=(t,)) for t in range(3)]
        for th in threads:
            th.start()
        time.sleep(rng.uniform(0.2, 1.2))
        srv.send_signal(signal.SIGKILL)
        srv.wait()
        stop.set()
        for th in threads:
            th.join()
        srv.stdout.close()
        srv.stderr.close()
        # Recovery: every acknowledged batch is all there; the others whole or in part.
        srv, port = start(data)
        try:
            for (t, b), body in sorted(sent.items()):
                status, resp = post(port, key, body)
                if status != 200:
                    die(f"round {rnd}: re-sending {t}/{b}: HTTP {status}: {resp[:300]!r}")
                rep = json.loads(resp)
                if rep["conflicts"] or rep["rejected"]:
                    die(f"round {rnd}: re-sending {t}/{b}: {rep}")
                if rep["accepted"] + rep["duplicates"] != BATCH:
                    die(f"round {rnd}: re-sending {t}/{b}: {rep}")
                if (t, b) in acked and rep["duplicates"] != BATCH:
                    die(f"round {rnd}: batch {t}/{b} was acknowledged before the kill but "
                        f"{rep['accepted']} of its events were missing after it")
        finally:
            srv.send_signal(signal.SIGTERM)
            if srv.wait(timeout=30) != 0:
                die(f"round {rnd}: serve did not exit 0 on SIGTERM")
            srv.stdout.close()
            srv.stderr.close()
        acked_total += len(acked)
        print(f"round {rnd}: {len(sent)} batches sent, {len(acked)} acknowledged before the "
              f"kill, all present after recovery")
    if acked_total == 0:
        die("no batch was ever acknowledged: the test tested nothing")
    rc, out, err = run("-d", data, "verify")
    if rc:
        die(f"raas verify after {ROUNDS} kills: {err[-500:]}")
    print(f"crash_server: {ROUNDS} rounds, {acked_total} acknowledged batches, none lost; "
          f"the store verifies")
    subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
