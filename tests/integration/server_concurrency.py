#!/usr/bin/env python3
"""server_concurrency.py RAAS [SECONDS] — `raas serve` under concurrent writers and log
readers stores every acknowledged event exactly once (server.md, events.md "acknowledged only
once durable"; the bug of 6d38077: a request scanning the log — GET /v1/invoices, customers,
results, evidence — while other requests' events waited for the group commit moved the log's
pending end back, later records overwrote the waiting ones and events answered 200 were lost).

The data directory: `raas init`, six customers with one monthly contract each (the beta-hire
contract of server_api.py, `lock_after` 0d), 20 events per customer in January and February,
then `raas settle` at NOW so that January and February are locked, with invoices and signed
checkpoints before the server starts (the evidence endpoints answer 200 from the first
request), and an admin key.

The server runs with a fixed clock (`--now NOW`, March 10th) and `--settle-interval 1`: the
settling passes run every second during the load (they take views of the store and hold the
tenant briefly) but have nothing new to lock, since every period whose lock time has come
is locked already and the clock does not move. So no entry appears in the store except the
events posted, and each customer's entry count afterwards is exactly its count before the load
plus its acknowledged events, on any machine and at any wall-clock time (with the real clock
the passes would lock March on April 1st and the counts would depend on the date).

For SECONDS (default 5.5) three writer threads POST NDJSON batches of new, unique events
(1 to 60 events, random customers, `hire.started` in March) on keep-alive connections, and
three reader threads GET /v1/invoices (most often: it scans the log), /v1/customers,
/v1/customers/{c}, /v1/results?contract=, /v1/contracts/{id}/invoices/2026-02,
/v1/evidence/{c}/checkpoint, /v1/evidence/{c}/proof?index=0 and the February bundle; every
answer must be 200. Every event of a batch answered 200 whose report accepts all of it is
acknowledged (the events are new: a duplicate, a rejection or a conflict is itself a failure).

Then the server gets SIGTERM (exit 0), and through raas's own interfaces:
- `raas -d DIR verify` exits 0 and counts exactly the entries before the load plus the
  acknowledged events;
- a new server over the directory lists (GET /v1/customers) every customer with exactly its
  entries before the load plus its acknowledged events (an event stored twice or lost changes
  the count);
- every acknowledged batch posted again comes back with all of its events duplicates and none
  accepted (an accepted one had been lost: the failure names the batch and how many);
- at least one event was acknowledged and the readers made requests, so the checks cannot
  pass on a run that did nothing.
Exits 1 (with FAIL lines saying what was lost) if any check fails.
"""
import collections
import http.client
import json
import random
import re
import select
import signal
import subprocess
import sys
import threading
import time

from raas_cases import Suite, compact

S = Suite("server concurrency", "raas-conc-")
RAAS = S.raas
LOAD = float(sys.argv[2]) if len(sys.argv) > 2 else 5.5
case = S.case
fail = S.fail

NOW = "2026-03-10T00:00:00Z"
CUSTOMERS = [f"cust{i}" for i in range(6)]
WRITERS = 3
READERS = 3


check = S.check  # GOT must equal WANT (raas_cases.Suite.check)


def contract(customer):
    return {
        "id": f"hire-{customer}", "customer": customer, "currency": "USD", "period": "month",
        "start": "2026-01-01", "lock_after": "0d", "corrections_within": "90d",
        "results": [{
            "name": "hire", "on": "hire.started", "entity": "candidate_id", "hold": "0s",
            "clawback_within": "90d", "reversed_by": {"on": "employee.left"},
            "price": {"model": "unit", "amount": "3000.00"},
        }],
    }


def hire(id_, customer, time_):
    return {"id": id_, "customer": customer, "type": "hire.started", "time": time_,
            "properties": {"candidate_id": f"cand-{id_}"}}


def ndjson(events):
    return "".join(compact(e) + "\n" for e in events).encode()


class Server:
    """One `raas serve --listen 127.0.0.1:0 --now NOW` process over DATA."""

    def __init__(self, data, *extra):
        self.errf = open(S.path("serve-stderr", ".txt"), "w+b")
        self.proc = subprocess.Popen(
            [RAAS, "-d", data, "serve", "--listen", "127.0.0.1:0", "--now", NOW,
             "--access-log", S.path("access", ".log"), "--rate-limit", "0", *extra],
            stdout=subprocess.PIPE, stderr=self.errf)
        r, _, _ = select.select([self.proc.stdout], [], [], 20)
        line = self.proc.stdout.readline().decode() if r else ""
        m = re.fullmatch(r'\{"listening":"127\.0\.0\.1:(\d+)"\}\n', line)
        if not m:
            self.kill()
            fail(f"serve did not announce its port: {line!r} {self.stderr()!r}")
        self.port = int(m.group(1))

    def connect(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def stderr(self):
        self.errf.flush()
        self.errf.seek(0)
        return self.errf.read()[-2000:]

    def stop(self):
        """SIGTERM and wait: the exit code (None if it had to be killed after 30 s)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            rc = None
        self.kill()
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.errf.close()


def request(conn, method, path, key, body=None):
    h = {"Authorization": "Bearer " + key}
    if body is not None:
        h["Content-Type"] = "application/x-ndjson"
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    return r.status, r.read()


def entries(srv, key):
    """GET /v1/customers: {customer: entries}."""
    c = srv.connect()
    try:
        status, body = request(c, "GET", "/v1/customers", key)
    finally:
        c.close()
    if status != 200:
        fail(f"GET /v1/customers: {status} {body[:300]!r}")
    return {d["id"]: d["entries"] for d in json.loads(body)}


def verify(data):
    """`raas verify`: (exit code, the log entries it counted or None, its output)."""
    rc, out, err = S.run(data, "verify")
    m = re.match(r"ok: (\d+) log entries of (\d+) customers", out)
    return rc, int(m.group(1)) if m else None, err + out


@case
def acknowledged_events_survive_log_readers():
    data = S.fresh()
    for cu in CUSTOMERS:
        rc, out, err = S.apply(data, compact(contract(cu)), "2026-01-01T00:00:00Z")
        if rc != 0:
            fail(f"contract apply hire-{cu}: exit {rc}: {err!r}")
    seed = [hire(f"seed-{cu}-{i}", cu, f"2026-0{1 + i % 2}-{1 + i:02d}T09:00:00Z")
            for cu in CUSTOMERS for i in range(20)]
    rc, out, err = S.ingest(data, [compact(e) for e in seed], "2026-02-27T00:00:00Z")
    if rc != 0:
        fail(f"ingest of the seed events: exit {rc}: {err!r}")
    rc, out, err = S.run(data, "settle", "--now", NOW)
    if rc != 0:
        fail(f"settle --now {NOW}: exit {rc}: {err!r}")
    rc, out, err = S.run(data, "tenant", "key", "default", "--role", "admin")
    if rc != 0:
        fail(f"tenant key: exit {rc}: {err!r}")
    key = json.loads(out)["key"]
    rc, total_before, why = verify(data)
    if rc != 0 or total_before is None:
        fail(f"raas verify before the load: exit {rc}: {why[-500:]!r}")

    srv = Server(data, "--settle-interval", "1")
    lock = threading.Lock()
    acked = []          # (batch name, [events]) answered 200 with every event accepted
    problems = []       # what went wrong in the threads (reported after the load)
    reads = collections.Counter()
    try:
        before = entries(srv, key)
        check("entries before the load: customers", sorted(before), CUSTOMERS)
        check("entries before the load: their sum is what raas verify counted",
              sum(before.values()), total_before)
        deadline = time.monotonic() + LOAD

        def writer(t):
            rnd = random.Random(t)
            conn = srv.connect()
            b = 0
            while time.monotonic() < deadline:
                name = f"w{t}-b{b}"
                evs = [hire(f"{name}-e{e}", rnd.choice(CUSTOMERS),
                            f"2026-03-{rnd.randint(1, 9):02d}T{rnd.randint(0, 23):02d}:00:00Z")
                       for e in range(rnd.choice([1, 2, 5, 10, 25, 40, 60]))]
                b += 1
                try:
                    status, body = request(conn, "POST", "/v1/events", key, ndjson(evs))
                except (OSError, http.client.HTTPException) as e:
                    with lock:
                        problems.append(f"POST {name}: {e!r}")
                    conn.close()
                    conn = srv.connect()
                    continue
                want = compact({"accepted": len(evs), "duplicates": 0, "rejected": [],
                                "conflicts": [], "unmatched": {"count": 0, "customers": []}})
                with lock:
                    if status == 200 and body.decode() == want:
                        acked.append((name, evs))
                    else:
                        problems.append(f"POST {name} ({len(evs)} new events): {status} "
                                        f"{body[:300]!r}")
            conn.close()

        def reader(t):
            rnd = random.Random(100 + t)
            conn = srv.connect()
            while time.monotonic() < deadline:
                cu = rnd.choice(CUSTOMERS)
                path = rnd.choice([
                    "/v1/invoices", "/v1/invoices", "/v1/invoices", f"/v1/invoices?customer={cu}",
                    "/v1/customers", f"/v1/customers/{cu}", f"/v1/results?contract=hire-{cu}",
                    f"/v1/contracts/hire-{cu}/invoices/2026-02",
                    f"/v1/evidence/{cu}/checkpoint", f"/v1/evidence/{cu}/proof?index=0",
                    f"/v1/evidence/{cu}/bundle?contract=hire-{cu}&date=2026-02"])
                try:
                    status, body = request(conn, "GET", path, key)
                except (OSError, http.client.HTTPException) as e:
                    with lock:
                        problems.append(f"GET {path}: {e!r}")
                    conn.close()
                    conn = srv.connect()
                    continue
                with lock:
                    reads[path.split("?")[0].split("/")[2]] += 1
                    if status != 200:
                        problems.append(f"GET {path}: {status} {body[:200]!r}")
            conn.close()

        threads = [threading.Thread(target=writer, args=(t,)) for t in range(WRITERS)]
        threads += [threading.Thread(target=reader, args=(t,)) for t in range(READERS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        rc = srv.stop()
    check("serve's exit code on SIGTERM after the load", rc, 0)
    check(f"answers during the load that were not 200 with every event accepted "
          f"({len(problems)}, the first 10)", problems[:10], [])

    n_acked = sum(len(evs) for _, evs in acked)
    per_customer = collections.Counter(e["customer"] for _, evs in acked for e in evs)
    print(f"load of {LOAD} s: {len(acked)} batches, {n_acked} events acknowledged; "
          f"{sum(reads.values())} reads {dict(sorted(reads.items()))}")
    if n_acked == 0:
        fail("no event was acknowledged: the test tested nothing")
    if sum(reads.values()) == 0:
        fail("the readers made no request: the test tested nothing")

    rc, total_after, why = verify(data)
    check("raas verify after the load: exit code", rc, 0)
    if rc != 0:
        fail(f"acknowledged events were lost: after the load raas verify finds the store "
             f"damaged ({why.strip()[-300:]}), so none of the {n_acked} acknowledged events "
             f"can be read back or counted")
    check(f"raas verify after the load: log entries ({total_before} before the load + "
          f"{n_acked} acknowledged events; fewer: events lost)",
          total_after, total_before + n_acked)

    srv = Server(data, "--settle-interval", "0")
    try:
        after = entries(srv, key)
        for cu in CUSTOMERS:
            check(f"{cu}: entries after a restart ({before.get(cu)} before the load + "
                  f"{per_customer[cu]} acknowledged events; fewer: events lost, more: stored "
                  f"twice)", after.get(cu), before.get(cu, 0) + per_customer[cu])
        # Every acknowledged event sent again: a duplicate, never accepted (= it was lost).
        conn = srv.connect()
        lost = []
        for name, evs in acked:
            status, body = request(conn, "POST", "/v1/events", key, ndjson(evs))
            if not check(f"POST {name} again: status ({body[:300]!r})", status, 200):
                continue
            rep = json.loads(body)
            if rep["accepted"] or rep["duplicates"] != len(evs) or rep["rejected"] or \
                    rep["conflicts"]:
                lost.append((name, len(evs), rep["accepted"], rep))
        conn.close()
        n_lost = sum(a for _, _, a, _ in lost)
        check(f"acknowledged events accepted again when sent after a restart (they had been "
              f"lost): {n_lost} of {n_acked}, in {len(lost)} of {len(acked)} batches (the first "
              f"8: batch, its events, accepted again, the report)", lost[:8], [])
        if not lost:
            print(f"all {n_acked} acknowledged events came back as duplicates")
    finally:
        check("serve's exit code on SIGTERM after the re-send", srv.stop(), 0)


if __name__ == "__main__":
    sys.exit(S.main())
