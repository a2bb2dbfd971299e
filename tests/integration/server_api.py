#!/usr/bin/env python3
"""server_api.py RAAS — the HTTP API of `raas serve` (server.md, events.md, cli.md) driven over
real sockets: every server is a `raas -d DIR serve --listen 127.0.0.1:0 --now T --access-log
FILE` process on a fresh data directory, started with subprocess.Popen (its first stdout line
names the port, /healthz must answer before the case goes on) and stopped with SIGTERM in a
`finally`.

Cases:
- role_matrix: every endpoint x every role (admin, finance, csm, ingest, ingest bound to
  acme, client of acme, auditor) plus no key, an unknown key and a forged key (33 requests:
  events, contracts, invoices, results, customers, evidence, disputes, webhooks, keys): the exact
  status of each cell (the table ROLE_MATRIX), the error code of each refusal, the same body
  for every reader; a client sees only its customer (listing and results filtered, beta's
  contract, invoice and results answer 404 like what does not exist);
- tenant_isolation: a second tenant (made by `tenant create` while the server runs) sees none
  of the first tenant's contracts, results or keys: 404 with the body of an id that does not
  exist, empty listings; the same contract id in both tenants is two contracts;
- ingest_over_http: JSON array and NDJSON bodies and their exact ingest reports (0-based
  index, blank NDJSON lines counted), duplicates on re-send, conflicts, `?atomic=true` (422,
  nothing stored), --max-batch and --max-body (413, exact limits), malformed bodies (400),
  chunked uploads and keep-alive, concurrent copies of one batch (each event accepted once),
  the customer binding of an ingest key;
- http_matches_cli: invoices and results read over HTTP (server clock and ?as_of= in the past
  and the future) are what `raas invoice` / `raas results` print for the same clock once
  the server is stopped; an ?as_of= read stores no clock;
- keys: POST/GET/DELETE /v1/keys, a new key works at once, a revoked key gets 401 (also after
  a restart), invalid key requests are 422 / 400;
- http_robustness: unknown paths, 405 with the exact Allow header, bad percent-encoding, bad
  Authorization headers, bad query arguments, /metrics counters equal to what was answered;
- graceful_shutdown: SIGTERM with an idle keep-alive connection, with a stalled upload
  (--shutdown-timeout 1) and with batches in flight exits 0 within a few seconds; every batch
  answered 200 is there after a restart, one not answered is there whole or not at all;
- address_in_use: a second server on a running one's port exits 3 instead of sharing it;
- access_log: one JSON line per request with method, path, status, tenant and key id, and no
  key secret in the log, on stderr or anywhere in the data directory.

Every check compares exact values (statuses, JSON bodies, headers) through check(), which
counts into the Suite's checks. Exits 1 if any case fails.
"""
import collections
import hashlib
import hmac
import http.client
import http.server
import json
import os
import re
import select
import signal
import socket
import ssl
import struct
import subprocess
import threading
import time

from raas_cases import Suite, compact

S = Suite("server api", "raas-server-")
RAAS = S.raas
case = S.case
fail = S.fail

NOW = "2026-02-10T00:00:00Z"  # the server's clock (--now) unless a case says otherwise
CONFLICT = "id already used with different content (the stored event is kept)"
KEY_RE = re.compile(r"rk_([0-9a-f]{16})_([0-9a-f]{64})")

# The first versions of acme-leads-2026 and hireco-2026 of ../shared/vectors/engine-basic.json
# ("apply" steps); the second is given to customer beta as beta-hire-2026.
ACME = {
    "id": "acme-leads-2026", "customer": "acme", "currency": "CNY", "timezone": "+08:00",
    "period": "month", "start": "2026-01-01", "end": "2027-01-01", "lock_after": "5d",
    "corrections_within": "90d", "dispute_within": "14d",
    "results": [{
        "name": "qualified_lead", "on": "lead.created",
        "where": "source == 'vendor' && score >= 60", "entity": "lead_id", "hold": "14d",
        "reversed_by": {"on": "lead.rejected"},
        "price": {"model": "graduated", "tiers": [
            {"up_to": 100, "amount": "50.00"}, {"up_to": 500, "amount": "40.00"},
            {"up_to": None, "amount": "30.00"}]},
    }],
    "fees": [{"name": "platform", "amount": "500.00"}],
    "minimum": "1000.00", "cap": "20000.00",
}
BETA = {
    "id": "beta-hire-2026", "customer": "beta", "currency": "USD", "period": "month",
    "start": "2026-01-01", "lock_after": "0d", "corrections_within": "90d",
    "results": [{
        "name": "hire", "on": "hire.started", "entity": "candidate_id", "hold": "0s",
        "clawback_within": "90d", "reversed_by": {"on": "employee.left"},
        "price": {"model": "unit", "amount": "3000.00"},
    }],
}


# ---------------------------------------------------------------- checks and helpers


check = S.check  # GOT must equal WANT (raas_cases.Suite.check)


def err_body(code, message, details=()):
    return compact({"error": {"code": code, "message": message, "details": list(details)}})


def report(accepted=0, duplicates=0, rejected=(), conflicts=(), unmatched=(0, ())):
    """An HTTP ingest report: rejected/conflicts are (index, id, error)."""
    return compact({
        "accepted": accepted,
        "duplicates": duplicates,
        "rejected": [{"index": i, "id": d, "error": e} for i, d, e in rejected],
        "conflicts": [{"index": i, "id": d, "error": e} for i, d, e in conflicts],
        "unmatched": {"count": unmatched[0], "customers": list(unmatched[1])},
    })


def ev(id_, customer="acme", type_="lead.created", time_="2026-02-02T10:00:00+08:00", **props):
    e = {"id": id_, "customer": customer, "type": type_, "time": time_}
    if props:
        e["properties"] = props
    return e


def lead(id_, lead_id, score=70, time_="2026-02-02T10:00:00+08:00", customer="acme"):
    return ev(id_, customer, "lead.created", time_, lead_id=lead_id, source="vendor",
              score=score)


def hire(id_, cand, time_="2026-02-02T09:00:00Z"):
    return ev(id_, "beta", "hire.started", time_, candidate_id=cand)


def as_array(events):
    return compact(events)


def as_ndjson(events):
    return "".join((e if isinstance(e, str) else compact(e)) + "\n" for e in events)


def ordered(text):
    """JSON text parsed with key order kept (objects as lists of pairs)."""
    return json.loads(text, object_pairs_hook=lambda pairs: pairs)


def make_key(data, role="admin", customer=None, tenant="default"):
    """`raas tenant key TENANT --role ROLE [--customer C]`: (key text, info)."""
    args = ["tenant", "key", tenant, "--role", role]
    if customer:
        args += ["--customer", customer]
    rc, out, err = S.run(data, *args)
    if rc != 0:
        fail(f"tenant key {tenant} --role {role}: exit {rc}: {err!r}")
    doc = json.loads(out)
    return doc["key"], doc["info"]


def create_tenant(data, name):
    rc, out, err = S.run(data, "tenant", "create", name)
    if rc != 0:
        fail(f"tenant create {name}: exit {rc}: {err!r}")
    doc = json.loads(out)
    return doc["key"], doc["info"]


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # name (lower case) -> value
        self.body = body        # bytes

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


class Server:
    """One `raas serve` process; use as a context manager (stopped with SIGTERM at exit)."""

    def __init__(self, data, *extra, now=NOW, log=None):
        self.data = data
        self.log = log or S.path("access", ".log")
        self.err_path = S.path("serve-stderr", ".txt")
        self.statuses = []  # of every answer this test got from it
        args = [RAAS, "-d", data, "serve", "--listen", "127.0.0.1:0", "--access-log", self.log,
                *extra]
        if now:
            args += ["--now", now]
        self.errf = open(self.err_path, "wb")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.errf)
        try:
            self._announce()
            self._wait_healthy()
        except BaseException:
            self.kill()
            raise

    def _announce(self):
        fd = self.proc.stdout.fileno()
        buf = b""
        deadline = time.monotonic() + 10
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                fail(f"serve printed no first line within 10 s (got {buf!r})")
            r, _, _ = select.select([fd], [], [], left)
            if r:
                chunk = os.read(fd, 4096)
                if not chunk:
                    fail(f"serve exited before announcing (exit {self.proc.wait()}): "
                         f"{self.stderr()!r}")
                buf += chunk
        self.announce = buf.split(b"\n", 1)[0].decode()
        m = re.fullmatch(r'\{"listening":"127\.0\.0\.1:(\d+)"\}', self.announce)
        if not m:
            fail(f"serve's first line: {self.announce!r}")
        self.port = int(m.group(1))

    def _wait_healthy(self):
        deadline = time.monotonic() + 10
        while True:
            try:
                r = self.request("GET", "/healthz")
                if r.status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                fail("/healthz did not answer 200 within 10 s")
            time.sleep(0.02)

    def connect(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)

    def request(self, method, path, body=None, key=None, headers=None, ndjson=False,
                conn=None):
        h = dict(headers or {})
        if key is not None:
            h["Authorization"] = "Bearer " + key
        if ndjson:
            h["Content-Type"] = "application/x-ndjson"
        if isinstance(body, str):
            body = body.encode("utf-8")
        own = conn is None
        c = conn or self.connect()
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            resp = Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        finally:
            if own:
                c.close()
        self.statuses.append(resp.status)
        return resp

    def stderr(self):
        if not self.errf.closed:
            self.errf.flush()
        with open(self.err_path, "rb") as f:
            return f.read()

    def stop(self, timeout=10):
        """SIGTERM; returns (exit code or None after a timeout, seconds it took)."""
        if self.proc.poll() is not None:
            return self.proc.returncode, 0.0
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None, time.monotonic() - t0
        self._close()
        return rc, time.monotonic() - t0

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close()

    def _close(self):
        if self.proc.stdout:
            self.proc.stdout.close()
        self.errf.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            rc, _ = self.stop()
            if rc is None:
                S.note("serve did not stop within 10 s of SIGTERM (killed)")
        else:
            self._close()
        return False


def expect(what, resp, status, body=None, json_body=None):
    """Checks a response's status and (when given) its exact body text or parsed JSON."""
    ok = check(f"{what}: status (body {resp.body[:400]!r})", resp.status, status)
    if body is not None:
        ok &= check(f"{what}: body", resp.text, body)
    if json_body is not None:
        try:
            got = resp.json()
        except ValueError:
            got = resp.text
        ok &= check(f"{what}: body", got, json_body)
    return ok


def put_contract(srv, key, doc, status=201, version=1):
    r = srv.request("PUT", f"/v1/contracts/{doc['id']}", compact(doc), key)
    if not expect(f"PUT {doc['id']}", r, status, compact({"id": doc["id"], "version": version})):
        fail(f"cannot apply {doc['id']} over HTTP")


def post_events(srv, key, events, ndjson=False, query="", conn=None):
    body = as_ndjson(events) if ndjson else as_array(events)
    return srv.request("POST", "/v1/events" + query, body, key, ndjson=ndjson, conn=conn)


def listing(doc, version=1, applied=NOW, effective="2026-01-01"):
    return {"id": doc["id"], "customer": doc["customer"], "version": version,
            "effective": effective, "applied": applied}


# ---------------------------------------------------------------- 1. roles

ROLES = ["none", "unknown", "forged", "admin", "finance", "csm", "ingest", "ingest_acme",
         "client", "auditor"]


def row(admin, finance, csm, ingest, ingest_acme, client, auditor):
    """A row of the matrix: the status for each role; no key, an unknown key and a forged
    key (an existing id with another secret) are 401 everywhere."""
    return {"none": 401, "unknown": 401, "forged": 401, "admin": admin, "finance": finance,
            "csm": csm, "ingest": ingest, "ingest_acme": ingest_acme, "client": client,
            "auditor": auditor}


EVENT = lead("m-1", "L-M1")
# (method, path, body, statuses by role, same body for every 200)
ROLE_MATRIX = [
    ("GET", "/healthz", None, {r: 200 for r in ROLES}, True),
    ("GET", "/metrics", None, {r: 200 for r in ROLES}, False),
    ("GET", "/v1/contracts", None, row(200, 200, 200, 403, 403, 200, 200), False),
    ("GET", "/v1/contracts/acme-leads-2026", None, row(200, 200, 200, 403, 403, 200, 200), True),
    ("GET", "/v1/contracts/acme-leads-2026?version=1", None,
     row(200, 200, 200, 403, 403, 200, 200), True),
    ("GET", "/v1/contracts/beta-hire-2026", None, row(200, 200, 200, 403, 403, 404, 200), True),
    ("GET", "/v1/contracts/beta-hire-2026?version=1", None,
     row(200, 200, 200, 403, 403, 404, 200), True),
    ("PUT", "/v1/contracts/acme-leads-2026", compact(ACME),
     row(200, 200, 403, 403, 403, 403, 403), True),
    ("PUT", "/v1/contracts/beta-hire-2026", compact(BETA),
     row(200, 200, 403, 403, 403, 403, 403), True),
    ("GET", "/v1/contracts/acme-leads-2026/invoices/2026-02", None,
     row(200, 200, 200, 403, 403, 200, 200), True),
    ("GET", "/v1/contracts/acme-leads-2026/invoices/2026-02-15?as_of=2026-02-20T00:00:00Z",
     None, row(200, 200, 200, 403, 403, 200, 200), True),
    ("GET", "/v1/contracts/beta-hire-2026/invoices/2026-02", None,
     row(200, 200, 200, 403, 403, 404, 200), True),
    ("GET", "/v1/results", None, row(200, 200, 200, 403, 403, 200, 200), False),
    ("GET", "/v1/results?contract=acme-leads-2026", None,
     row(200, 200, 200, 403, 403, 200, 200), True),
    ("GET", "/v1/results?contract=beta-hire-2026", None,
     row(200, 200, 200, 403, 403, 404, 200), True),
    ("POST", "/v1/events", as_array([EVENT]), row(200, 403, 403, 200, 200, 403, 403), True),
    ("GET", "/v1/invoices", None, row(200, 200, 200, 403, 403, 200, 200), False),
    ("GET", "/v1/invoices?contract=beta-hire-2026", None,
     row(200, 200, 200, 403, 403, 404, 200), True),
    ("GET", "/v1/customers", None, row(200, 200, 200, 403, 403, 200, 200), False),
    ("GET", "/v1/customers/acme", None, row(200, 200, 200, 403, 403, 200, 200), True),
    ("GET", "/v1/customers/beta", None, row(200, 200, 200, 403, 403, 404, 200), True),
    ("GET", "/v1/evidence/key", None, row(200, 200, 200, 403, 403, 200, 200), True),
    ("GET", "/v1/evidence/acme/proof?index=0", None, row(200, 200, 200, 403, 403, 200, 200),
     True),
    ("GET", "/v1/evidence/beta/proof?index=0", None, row(200, 200, 200, 403, 403, 404, 200),
     True),
    ("GET", "/v1/evidence/acme/consistency?from=1&to=2", None,
     row(200, 200, 200, 403, 403, 200, 200), True),
    # Writes in role order: the admin opens the dispute, the client then finds it open;
    # the admin resolves it, finance then finds it resolved.
    ("POST", "/v1/results/acme-leads-2026%2Fqualified_lead%3AL-M1/disputes",
     compact({"reason": "duplicate"}), row(201, 403, 403, 403, 403, 409, 403), False),
    ("POST", "/v1/disputes/acme-leads-2026%2Fqualified_lead%3AL-M1%231/resolution",
     compact({"outcome": "upheld"}), row(200, 409, 403, 403, 403, 403, 403), False),
    ("GET", "/v1/disputes", None, row(200, 200, 200, 403, 403, 200, 200), True),
    ("GET", "/v1/webhooks", None, row(200, 200, 200, 403, 403, 403, 200), True),
    ("POST", "/v1/webhooks", compact({"url": "http://127.0.0.1:9/h",
                                      "events": ["invoice.locked"]}),
     row(201, 403, 403, 403, 403, 403, 403), False),
    ("GET", "/v1/keys", None, row(200, 200, 403, 403, 403, 403, 200), True),
    ("POST", "/v1/keys", compact({"role": "auditor"}), row(201, 403, 403, 403, 403, 403, 403),
     False),
    ("DELETE", "/v1/keys/{victim}", None, row(200, 403, 403, 403, 403, 403, 403), False),
]
ERROR_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found"}


@case
def role_matrix():
    d = S.fresh()
    keys, infos = {}, {}
    for name, role, customer in (("admin", "admin", None), ("finance", "finance", None),
                                 ("csm", "csm", None), ("ingest", "ingest", None),
                                 ("ingest_acme", "ingest", "acme"),
                                 ("client", "client", "acme"), ("auditor", "auditor", None),
                                 ("victim", "auditor", None)):
        keys[name], infos[name] = make_key(d, role, customer)
        check(f"tenant key --role {role}: info", infos[name]["role"], role)
        check(f"tenant key --role {role}: customer", infos[name]["customer"], customer)
        check(f"tenant key --role {role}: key text", KEY_RE.fullmatch(keys[name]).group(1),
              infos[name]["id"])
    keys["none"] = None
    keys["unknown"] = "rk_0123456789abcdef_" + "ab" * 32
    keys["forged"] = f"rk_{infos['admin']['id']}_" + "0" * 64
    with Server(d) as srv:
        admin = keys["admin"]
        put_contract(srv, admin, ACME)
        put_contract(srv, admin, BETA)
        expect("setup events", post_events(srv, admin, [EVENT, hire("m-2", "C-M2")]), 200,
               report(accepted=2))
        for method, path, body, statuses, same, in ROLE_MATRIX:
            path = path.replace("{victim}", infos["victim"]["id"])
            first_ok = None
            for role in ROLES:
                r = srv.request(method, path, body, keys[role])
                want = statuses[role]
                what = f"{method} {path} as {role}"
                check(f"{what}: status (body {r.body[:200]!r})", r.status, want)
                if r.status != want:
                    continue
                if want in ERROR_CODES:
                    doc = r.json()
                    check(f"{what}: error code", doc["error"]["code"], ERROR_CODES[want])
                    if want == 403:
                        role_name = "ingest" if role == "ingest_acme" else role
                        check(f"{what}: body", r.text,
                              err_body("forbidden", f"a {role_name} key may not do this"))
                elif same and first_ok is None:
                    first_ok = r.body
                elif same:
                    check(f"{what}: same body as the first role allowed", r.body, first_ok)

        # What a client of acme sees.
        client = keys["client"]
        r = srv.request("GET", "/v1/contracts", key=client)
        expect("client lists contracts", r, 200, json_body=[listing(ACME)])
        r = srv.request("GET", "/v1/contracts", key=admin)
        expect("admin lists contracts", r, 200, json_body=[listing(ACME), listing(BETA)])
        missing = err_body("not_found", "no such contract: beta-hire-2026")
        for path in ("/v1/contracts/beta-hire-2026", "/v1/contracts/beta-hire-2026?version=1",
                     "/v1/contracts/beta-hire-2026/invoices/2026-02",
                     "/v1/contracts/beta-hire-2026/invoices/2026-02?as_of=2026-03-01T00:00:00Z",
                     "/v1/results?contract=beta-hire-2026"):
            expect(f"client GET {path}", srv.request("GET", path, key=client), 404, missing)
        # ... exactly what an admin gets for a contract that does not exist
        r = srv.request("GET", "/v1/contracts/beta-hire-2026", key=admin)
        check("admin sees beta's contract", r.status, 200)
        r = srv.request("GET", "/v1/contracts/beta-hire-2027", key=admin)
        expect("admin GET a contract that does not exist", r, 404,
               err_body("not_found", "no such contract: beta-hire-2027"))
        acme_results = srv.request("GET", "/v1/results?contract=acme-leads-2026", key=admin)
        beta_results = srv.request("GET", "/v1/results?contract=beta-hire-2026", key=admin)
        check("acme has one result", len(acme_results.json()), 1)
        check("beta has one result", len(beta_results.json()), 1)
        r = srv.request("GET", "/v1/results", key=client)
        expect("client GET /v1/results: only acme's", r, 200, json_body=acme_results.json())
        r = srv.request("GET", "/v1/results", key=admin)
        check("admin GET /v1/results: both customers (in any order)",
              (r.status, sorted(r.json(), key=lambda x: x["id"]) if r.status == 200 else r.text),
              (200, sorted(acme_results.json() + beta_results.json(), key=lambda x: x["id"])))
        # The revoked victim key and the key the admin made in the matrix.
        r = srv.request("GET", "/v1/contracts", key=keys["victim"])
        expect("the key revoked in the matrix", r, 401,
               err_body("unauthorized", "the key is not valid"))
        r = srv.request("GET", "/v1/keys", key=admin)
        got = r.json()
        check("keys listed after the matrix: 8 made by the CLI + 1 by POST", len(got), 9)
        check("the victim is revoked at the server clock",
              [k["revoked"] for k in got if k["id"] == infos["victim"]["id"]], [NOW])
        check("no secret or hash in the listing",
              sorted({f for k in got for f in k}), ["created", "customer", "id", "revoked",
                                                    "role"])


# ---------------------------------------------------------------- 2. tenants


@case
def tenant_isolation():
    d = S.fresh()
    key_a, info_a = make_key(d)
    with Server(d) as srv:
        # A tenant made while the server runs (tenant create does not wait for it).
        key_b, info_b = create_tenant(d, "other")
        check("tenant create: the first key is an admin key", (info_b["role"],
                                                                info_b["customer"]),
              ("admin", None))
        r = srv.request("GET", "/v1/contracts", key=key_b)
        if not expect("the new tenant's key on its first request (made while the server "
                      "runs)", r, 200, "[]"):
            time.sleep(1.2)  # go on with the rest of the case
            r = srv.request("GET", "/v1/contracts", key=key_b)
            check("the new tenant's key a second later", r.status, 200)
        put_contract(srv, key_a, ACME)
        expect("events of tenant default",
               post_events(srv, key_a, [lead("t-1", "L-T1"), hire("t-2", "C-T2")]), 200,
               report(accepted=2, unmatched=(1, ["beta"])))
        # The other tenant does not see them: 404 exactly as for an id that does not exist.
        for path, what in (("/v1/contracts/acme-leads-2026", "contract"),
                           ("/v1/contracts/acme-leads-2026?version=1", "version"),
                           ("/v1/contracts/acme-leads-2026/invoices/2026-02", "invoice"),
                           ("/v1/results?contract=acme-leads-2026", "results")):
            ghost = path.replace("acme-leads-2026", "ghost-2026")
            mine = srv.request("GET", ghost, key=key_a)
            theirs = srv.request("GET", path, key=key_b)
            expect(f"tenant default, {what} of an id that does not exist", mine, 404,
                   err_body("not_found", "no such contract: ghost-2026"))
            expect(f"tenant other, {what} of tenant default's contract", theirs, 404,
                   mine.text.replace("ghost-2026", "acme-leads-2026"))
        expect("tenant other lists no contracts", srv.request("GET", "/v1/contracts",
                                                              key=key_b), 200, "[]")
        expect("tenant other has no results", srv.request("GET", "/v1/results", key=key_b),
               200, "[]")
        r = srv.request("GET", "/v1/keys", key=key_b)
        expect("tenant other lists only its own key", r, 200, json_body=[info_b])
        r = srv.request("DELETE", f"/v1/keys/{info_a['id']}", key=key_b)
        expect("tenant other cannot revoke tenant default's key", r, 404,
               err_body("not_found", f"no such key: {info_a['id']}"))
        expect("tenant default's key still works",
               srv.request("GET", "/v1/contracts", key=key_a), 200,
               json_body=[listing(ACME)])
        # The same ids in the other tenant are its own.
        other_doc = dict(ACME, currency="USD")
        put_contract(srv, key_b, other_doc)
        expect("the same event id in tenant other is new",
               post_events(srv, key_b, [lead("t-1", "L-T1", score=99)]), 200,
               report(accepted=1))
        r = srv.request("GET", "/v1/contracts/acme-leads-2026", key=key_a)
        check("tenant default's contract keeps its document",
              r.json()["document"]["currency"], "CNY")
        r = srv.request("GET", "/v1/contracts/acme-leads-2026", key=key_b)
        check("tenant other's contract has its own document", r.json()["document"]["currency"],
              "USD")
        r = srv.request("GET", "/v1/results", key=key_b)
        check("tenant other's results are its own",
              [(x["id"], x["events"]["achieved"]) for x in r.json()],
              [("acme-leads-2026/qualified_lead:L-T1", ["t-1"])])
        expect("tenant default re-sends t-1: a duplicate (not tenant other's t-1)",
               post_events(srv, key_a, [lead("t-1", "L-T1")]), 200, report(duplicates=1))


# ---------------------------------------------------------------- 3. ingest

E1 = lead("e1", "L-1", score=61)
E2 = ev("e2", "zed", "x.y", "2026-02-05T00:00:00Z")
E3 = ev("e3", "acme", "lead.created", "2026-02-05T00:00:00-00:00")
E3_ERR = "time: -00:00 (unknown offset) is not allowed: use 'Z' or +00:00"
E4 = {"customer": "acme", "type": "lead.created", "time": "2026-02-05T00:00:00Z"}
E4_ERR = "id: required field is missing"
FUTURE = ev("f1", "acme", "lead.created", "2026-02-11T00:00:01Z")
FUTURE_ERR = "time: more than 24 hours after the received time (received 2026-02-10T00:00:00Z)"


@case
def ingest_over_http():
    d = S.fresh()
    admin, _ = make_key(d)
    ingest, _ = make_key(d, "ingest")
    bound, _ = make_key(d, "ingest", "acme")
    with Server(d, "--max-batch", "5", "--max-body", "4096") as srv:
        put_contract(srv, admin, ACME)
        batch = [E1, E2, E3, E4]
        expect("JSON array", post_events(srv, ingest, batch), 200,
               report(accepted=2, rejected=[(2, "e3", E3_ERR), (3, None, E4_ERR)],
                      unmatched=(1, ["zed"])))
        expect("the same JSON array again", post_events(srv, ingest, batch), 200,
               report(duplicates=2, rejected=[(2, "e3", E3_ERR), (3, None, E4_ERR)]))
        expect("the same batch as NDJSON", post_events(srv, ingest, batch, ndjson=True), 200,
               report(duplicates=2, rejected=[(2, "e3", E3_ERR), (3, None, E4_ERR)]))
        # NDJSON: a conflict, a duplicate inside the batch, a blank line (counted as a
        # position, docs/decisions.md "Positions in an HTTP batch"), a customer without a
        # contract, a missing field, a trailing newline.
        changed = dict(E1, properties=dict(E1["properties"], score=62))
        lines = [changed, lead("e6", "L-6"), "", lead("e6", "L-6"), ev("e7", "beta", "x.y"),
                 ev("e8", "acme", "lead.created", ...)]
        lines[-1] = compact({k: v for k, v in lines[-1].items() if v is not ...})
        expect("NDJSON", post_events(srv, ingest, lines, ndjson=True), 200,
               report(accepted=2, duplicates=1,
                      rejected=[(5, "e8", "time: required field is missing")],
                      conflicts=[(0, "e1", CONFLICT)], unmatched=(1, ["beta"])))
        expect("a conflict in a JSON array", post_events(srv, ingest, [changed]), 200,
               report(conflicts=[(0, "e1", CONFLICT)]))
        expect("the same instant in another notation is a duplicate",
               post_events(srv, ingest, [dict(E1, time="2026-02-02T02:00:00Z")]), 200,
               report(duplicates=1))
        expect("an event more than 24 hours after the server clock",
               post_events(srv, ingest, [FUTURE]), 200, report(rejected=[(0, "f1", FUTURE_ERR)]))
        expect("elements that are not objects", srv.request("POST", "/v1/events",
                                                             '[5,"x",null]', ingest), 200,
               report(rejected=[(0, None, "an event must be a JSON object"),
                                (1, None, "an event must be a JSON object"),
                                (2, None, "an event must be a JSON object")]))
        expect("an empty array", srv.request("POST", "/v1/events", "[]", ingest), 200,
               report())
        expect("an empty array with spaces", srv.request("POST", "/v1/events", " [ ]\n",
                                                         ingest), 200, report())
        expect("an empty NDJSON body", srv.request("POST", "/v1/events", "", ingest,
                                                   ndjson=True), 200, report())
        expect("NDJSON with a charset parameter",
               srv.request("POST", "/v1/events", as_ndjson([E1]), ingest,
                           headers={"Content-Type": "application/x-ndjson; charset=utf-8"}),
               200, report(duplicates=1))

        # A chunked upload, and several requests on one keep-alive connection.
        conn = srv.connect()
        try:
            chunks = [as_ndjson([lead("k1", "L-K1")]).encode(),
                      as_ndjson([lead("k2", "L-K2"), E3]).encode()]
            conn.request("POST", "/v1/events", body=iter(chunks), encode_chunked=True,
                         headers={"Authorization": "Bearer " + ingest,
                                  "Content-Type": "application/x-ndjson"})
            r = conn.getresponse()
            expect("a chunked NDJSON upload", Resp(r.status, {}, r.read()), 200,
                   report(accepted=2, rejected=[(2, "e3", E3_ERR)]))
            for n in range(3):
                expect(f"request {n} on one connection", post_events(
                    srv, ingest, [lead("k1", "L-K1"), lead("k3", "L-K3")], conn=conn),
                    200, report(accepted=1 if n == 0 else 0, duplicates=1 if n == 0 else 2))
        finally:
            conn.close()

        # Concurrent requests with the same events (requests of a tenant share commits):
        # each event is accepted once, the rest are duplicates or conflicts.
        same = [lead(f"p{i}", f"L-P{i}") for i in range(5)]
        answers, barrier = [], threading.Barrier(8)

        def send(body):
            barrier.wait()
            answers.append(post_events(srv, ingest, body))
        threads = [threading.Thread(target=send, args=(same,)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        docs = [r.json() if r.status == 200 else r.status for r in answers]
        check("8 concurrent copies of one batch: statuses", [r.status for r in answers],
              [200] * 8)
        if all(isinstance(x, dict) for x in docs):
            check("8 concurrent copies of one batch: accepted once, duplicates otherwise",
                  (sum(x["accepted"] for x in docs), sum(x["duplicates"] for x in docs)),
                  (5, 35))
        answers, barrier = [], threading.Barrier(4)
        threads = [threading.Thread(target=send, args=([lead("p-x", "L-PX", score=60 + n)],))
                   for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        check("4 concurrent versions of one event: one accepted, three conflicts",
              sorted(r.text for r in answers),
              sorted([report(accepted=1)] + [report(conflicts=[(0, "p-x", CONFLICT)])] * 3))
        expect("the concurrent batch again", post_events(srv, ingest, same), 200,
               report(duplicates=5))

        # ?atomic=true: all or nothing.
        a1, a2 = lead("a1", "L-A1"), lead("a2", "L-A2")
        expect("atomic batch with a rejection",
               post_events(srv, ingest, [a1, a2, E3], query="?atomic=true"), 422,
               report(rejected=[(2, "e3", E3_ERR)]))
        expect("atomic NDJSON batch with a rejection and a duplicate",
               post_events(srv, ingest, [E1, a1, E3], ndjson=True, query="?atomic=true"), 422,
               report(duplicates=1, rejected=[(2, "e3", E3_ERR)]))
        expect("atomic batch with a conflict",
               post_events(srv, ingest, [a1, changed], query="?atomic=true"), 422,
               report(conflicts=[(1, "e1", CONFLICT)]))
        expect("the atomic batch without the bad line: nothing was stored before",
               post_events(srv, ingest, [a1, a2], query="?atomic=true"), 200,
               report(accepted=2))
        expect("atomic=false is the default behaviour",
               post_events(srv, ingest, [a1, lead("a3", "L-A3"), E3], query="?atomic=false"),
               200, report(accepted=1, duplicates=1, rejected=[(2, "e3", E3_ERR)]))
        expect("atomic=1", post_events(srv, ingest, [a1], query="?atomic=1"), 400,
               err_body("malformed", "atomic: must be true or false"))

        # --max-batch 5
        six = [lead(f"b{i}", f"L-B{i}") for i in range(6)]
        too_many = err_body("too_large", "a batch holds at most 5 events")
        expect("6 events in a JSON array", post_events(srv, ingest, six), 413, too_many)
        expect("6 events as NDJSON", post_events(srv, ingest, six, ndjson=True), 413, too_many)
        expect("5 events: nothing of the refused batches was stored",
               post_events(srv, ingest, six[:5]), 200, report(accepted=5))
        expect("5 NDJSON lines with blank lines between them",
               post_events(srv, ingest, [six[0], "", six[1], "", six[2], six[3], six[4]],
                           ndjson=True), 200, report(duplicates=5))

        # --max-body 4096: exactly the limit is served, one byte more is 413.
        body = as_array([lead("big", "L-BIG")])
        exact = body[:-1] + " " * (4096 - len(body)) + "]"
        over = body[:-1] + " " * (4097 - len(body)) + "]"
        too_big = err_body("too_large", "the body is larger than 4096 bytes")
        expect("a body of 4097 bytes", srv.request("POST", "/v1/events", over, ingest), 413,
               too_big)
        expect("a body of 100000 bytes", srv.request("POST", "/v1/events",
                                                     " " * 99998 + "[]", ingest), 413, too_big)
        check("the 4096-byte body is 4096 bytes", len(exact), 4096)
        expect("a body of exactly 4096 bytes", srv.request("POST", "/v1/events", exact,
                                                           ingest), 200, report(accepted=1))

        # Malformed bodies.
        def malformed(at):
            return err_body("malformed", "the body must be a JSON array of events (or NDJSON "
                                         "with Content-Type: application/x-ndjson); the "
                                         f"structure breaks at byte {at}")
        for body, at in (("[1,", 4), ('{"id":"x"}', 1), ("", 1), ("[] x", 4),
                         ('[{"id":"x"}', 12), ('["x]', 2)):
            expect(f"malformed JSON array {body!r}", srv.request("POST", "/v1/events", body,
                                                                  ingest), 400, malformed(at))

        # An ingest key bound to acme.
        b1, b2, b3 = lead("c1", "L-C1"), hire("c2", "C-2"), lead("c3", "L-C3")
        not_allowed = "customer: not allowed for this key"
        expect("bound key, JSON array", post_events(srv, bound, [b1, b2, b3]), 200,
               report(accepted=2, rejected=[(1, "c2", not_allowed)]))
        expect("bound key, NDJSON", post_events(srv, bound, [b2, b1, E2], ndjson=True), 200,
               report(duplicates=1, rejected=[(0, "c2", not_allowed), (2, "e2", not_allowed)]))
        expect("beta's event was not stored", post_events(srv, admin, [b2]), 200,
               report(accepted=1, unmatched=(1, ["beta"])))
        expect("bound key re-sends beta's stored event: still not allowed (not a duplicate)",
               post_events(srv, bound, [b2]), 200, report(rejected=[(0, "c2", not_allowed)]))
        expect("bound key, atomic with another customer's event",
               post_events(srv, bound, [lead("c4", "L-C4"), b2], query="?atomic=true"), 422,
               report(rejected=[(1, "c2", not_allowed)]))
        expect("unbound ingest key sends beta's events", post_events(srv, ingest, [b2,
               hire("c5", "C-5")]), 200, report(accepted=1, duplicates=1,
                                                unmatched=(1, ["beta"])))


# ---------------------------------------------------------------- 4. HTTP = CLI

JAN_CLI = [  # ingested by the CLI at 2026-01-07
    lead("lead-1", "L-1", 61, "2026-01-02T10:00:00+08:00"),
    lead("lead-2", "L-2", 90, "2026-01-03T10:00:00+08:00"),
    lead("lead-3", "L-3", 50, "2026-01-03T11:00:00+08:00"),
    hire("h-1", "C-1", "2026-01-05T09:00:00Z"),
]
FEB_HTTP = [  # posted to the server at 2026-02-10
    lead("lead-4", "L-4", 70, "2026-01-20T10:00:00+08:00"),  # late: January is locked
    ev("rej-2", "acme", "lead.rejected", "2026-01-10T10:00:00+08:00", lead_id="L-2"),
    lead("lead-5", "L-5", 80, "2026-02-03T10:00:00+08:00"),
    lead("lead-6", "L-6", 65, "2026-02-08T10:00:00+08:00"),
    hire("h-2", "C-2", "2026-02-02T09:00:00Z"),
    ev("left-1", "beta", "employee.left", "2026-02-08T09:00:00Z", candidate_id="C-1"),
]
# (contract, date, as_of or None for the server clock)
INVOICE_READS = [
    ("acme-leads-2026", "2026-01", None),
    ("acme-leads-2026", "2026-02", None),
    ("acme-leads-2026", "2026-02-14", "2026-03-10T00:00:00Z"),
    ("acme-leads-2026", "2026-01-31", "2026-01-20T00:00:00Z"),
    ("acme-leads-2026", "2026-03", "2026-04-10T00:00:00Z"),
    ("beta-hire-2026", "2026-01", None),
    ("beta-hire-2026", "2026-02-28", None),
    ("beta-hire-2026", "2026-02", "2026-03-05T00:00:00Z"),
]
# (query arguments, CLI arguments after CONTRACT)
RESULT_READS = [
    ({"contract": "acme-leads-2026"}, []),
    ({"contract": "acme-leads-2026", "as_of": "2026-03-10T00:00:00Z"}, []),
    ({"contract": "acme-leads-2026", "as_of": "2026-01-20T00:00:00Z"}, []),
    ({"contract": "acme-leads-2026", "period": "2026-01"}, ["--period", "2026-01"]),
    ({"contract": "acme-leads-2026", "status": "pending"}, ["--status", "pending"]),
    ({"contract": "acme-leads-2026", "status": "reversed", "as_of": "2026-03-10T00:00:00Z"},
     ["--status", "reversed"]),
    ({"contract": "beta-hire-2026"}, []),
    ({"contract": "beta-hire-2026", "period": "2026-02-14", "status": "confirmed"},
     ["--period", "2026-02-14", "--status", "confirmed"]),
]


@case
def http_matches_cli():
    d = S.fresh()
    for doc in (ACME, BETA):
        rc, out, err = S.apply(d, doc, "2026-01-01T00:00:00Z")
        if rc != 0:
            fail(f"contract apply {doc['id']}: {rc} {out!r} {err!r}")
    rc, out, err = S.ingest(d, [compact(e) for e in JAN_CLI], "2026-01-07T00:00:00Z")
    if rc != 0:
        fail(f"ingest: {rc} {out!r} {err!r}")
    admin, _ = make_key(d)
    invoices, results, everything = [], [], None
    with Server(d) as srv:
        expect("February's events over HTTP", post_events(srv, admin, FEB_HTTP, ndjson=True),
               200, report(accepted=6))
        # ?as_of= reads store no clock: a write at the server clock still works after one.
        r = srv.request("GET", "/v1/contracts/acme-leads-2026/invoices/2026-03?as_of="
                        "2026-06-01T00:00:00Z", key=admin)
        check("GET an invoice at a later clock", r.status, 200)
        r = srv.request("GET", "/v1/results?as_of=2026-06-01T00:00:00Z", key=admin)
        check("GET results at a later clock", r.status, 200)
        expect("a write after reads at a later as_of", post_events(srv, admin, [lead(
            "lead-7", "L-7", 61, "2026-02-09T10:00:00+08:00")]), 200, report(accepted=1))
        for contract, date, as_of in INVOICE_READS:
            path = f"/v1/contracts/{contract}/invoices/{date}"
            if as_of:
                path += f"?as_of={as_of}"
            r = srv.request("GET", path, key=admin)
            check(f"GET {path}: status (body {r.body[:300]!r})", r.status, 200)
            invoices.append((contract, date, as_of, path, r))
        for args, cli in RESULT_READS:
            path = "/v1/results?" + "&".join(f"{k}={v}" for k, v in args.items())
            r = srv.request("GET", path, key=admin)
            check(f"GET {path}: status (body {r.body[:300]!r})", r.status, 200)
            results.append((args, cli, path, r))
        everything = srv.request("GET", "/v1/results", key=admin)
        check("GET /v1/results: status", everything.status, 200)
        r = srv.request("GET", "/v1/contracts/acme-leads-2026/invoices/2025-12", key=admin)
        before_start = r
        rc, secs = srv.stop()
        check("serve exits 0 on SIGTERM", rc, 0)
    for contract, date, as_of, path, r in invoices:
        now = as_of or NOW
        rc, out, err = S.run(d, "invoice", contract, date, "--now", now)
        check(f"raas invoice {contract} {date} --now {now}: exit ({err!r})", rc, 0)
        check(f"GET {path} = raas invoice {contract} {date} --now {now} (bytes)",
              r.text + "\n", out)
    for args, cli, path, r in results:
        now = args.get("as_of", NOW)
        rc, out, err = S.run(d, "results", args["contract"], *cli, "--now", now)
        check(f"raas results {args['contract']} {' '.join(cli)} --now {now}: exit ({err!r})",
              rc, 0)
        lines = [ordered(l) for l in out.splitlines()]
        try:
            got = ordered(r.text)
        except ValueError:
            got = r.text
        check(f"GET {path} = raas results (the same objects, in the same order)", got, lines)
    all_cli = []
    for contract in ("acme-leads-2026", "beta-hire-2026"):
        rc, out, err = S.run(d, "results", contract, "--now", NOW)
        all_cli += [json.loads(l) for l in out.splitlines()]
    check("GET /v1/results = the results of every contract",
          sorted(everything.json(), key=lambda x: x["id"]),
          sorted(all_cli, key=lambda x: x["id"]))
    check("some results are pending, confirmed and reversed",
          sorted({x["status"] for x in all_cli}), ["confirmed", "pending", "reversed"])
    rc, out, err = S.run(d, "invoice", "acme-leads-2026", "2025-12", "--now", NOW)
    check("raas invoice before the start: exit 2", rc, 2)
    expect("GET an invoice before the contract's start: 404 with the CLI's message",
           before_start, 404, err_body("not_found", err.strip()))


@case
def evidence_and_customers():
    """A client reads its customer overview, its checkpoint, proofs and an evidence bundle
    over HTTP; the bundle is what `raas evidence bundle` writes and `raas verify` accepts it
    with the published key; another customer's evidence is 404 like what does not exist."""
    d = S.fresh()
    for doc in (ACME, BETA):
        rc, out, err = S.apply(d, doc, "2026-01-01T00:00:00Z")
        if rc != 0:
            fail(f"contract apply {doc['id']}: {rc} {out!r} {err!r}")
    rc, out, err = S.ingest(d, [compact(e) for e in JAN_CLI], "2026-01-07T00:00:00Z")
    if rc != 0:
        fail(f"ingest: {rc} {out!r} {err!r}")
    rc, out, err = S.run(d, "settle", "--now", NOW)
    if rc != 0 or not out:
        fail(f"settle: {rc} {out!r} {err!r}")
    rc, vkey, err = S.run(d, "evidence", "key")
    vkey = vkey.strip()
    client, _ = make_key(d, "client", "acme")
    admin, _ = make_key(d)
    with Server(d) as srv:
        r = srv.request("GET", "/v1/customers/acme", key=client)
        check("GET /v1/customers/acme: status", r.status, 200)
        doc = r.json() if r.status == 200 else {}
        check("the overview names the customer and its contract",
              (doc.get("id"), [c.get("id") for c in doc.get("contracts", [])]),
              ("acme", ["acme-leads-2026"]))
        check("the overview carries the current period's draft",
              sorted((doc.get("contracts") or [{}])[0].get("draft") or {}),
              ["currency", "period", "status", "total"])
        r = srv.request("GET", "/v1/customers", key=client)
        check("a client's customer listing is its customer only",
              [c["id"] for c in r.json()] if r.status == 200 else r.status, ["acme"])
        r = srv.request("GET", "/v1/customers", key=admin)
        check("an admin lists every customer",
              sorted(c["id"] for c in r.json()) if r.status == 200 else r.status,
              ["acme", "beta"])
        missing = srv.request("GET", "/v1/evidence/nobody/checkpoint", key=client)
        expect("an unknown customer's evidence", missing, 404,
               err_body("not_found", "no such customer: nobody"))
        for what in ("checkpoint", "proof?index=0", "consistency?from=1&to=2",
                     "bundle?contract=beta-hire-2026&date=2026-01"):
            expect(f"the client asks for beta's {what}",
                   srv.request("GET", f"/v1/evidence/beta/{what}", key=client), 404,
                   err_body("not_found", "no such customer: beta"))
        r = srv.request("GET", "/v1/evidence/key", key=client)
        check("GET /v1/evidence/key is the published key", r.json() if r.status == 200
              else r.status, {"verifier_key": vkey})
        cp = srv.request("GET", "/v1/evidence/acme/checkpoint", key=client)
        proof = srv.request("GET", "/v1/evidence/acme/proof?index=1", key=client)
        cons = srv.request("GET", "/v1/evidence/acme/consistency?from=1&to=2", key=client)
        bundle = srv.request("GET", "/v1/evidence/acme/bundle?contract=acme-leads-2026"
                             "&date=2026-01", key=client)
        check("GET bundle: status", bundle.status, 200)
        expect("an index beyond the log", srv.request(
            "GET", "/v1/evidence/acme/proof?index=99999", key=client), 422)
        expect("a proof without index", srv.request(
            "GET", "/v1/evidence/acme/proof", key=client), 400,
            err_body("malformed", "index: required"))
        expect("a bundle of a period not locked yet", srv.request(
            "GET", "/v1/evidence/acme/bundle?contract=acme-leads-2026&date=2026-02",
            key=client), 404)
        rc, _ = srv.stop()
        check("serve exits 0", rc, 0)
    rc, out, err = S.run(d, "evidence", "checkpoint", "acme")
    line = json.loads(out.splitlines()[0]) if rc == 0 and out else {}
    check("the checkpoint over HTTP is the latest stored one",
          cp.json() if cp.status == 200 else cp.status,
          {"size": line.get("size"), "note": line.get("checkpoint")})
    rc, out, err = S.run(d, "evidence", "proof", "acme", "1")
    check("the proof over HTTP = raas evidence proof", proof.text + "\n", out)
    rc, out, err = S.run(d, "evidence", "consistency", "acme", "1", "2")
    check("the consistency proof over HTTP = raas evidence consistency", cons.text + "\n", out)
    rc, out, err = S.run(d, "evidence", "bundle", "acme-leads-2026", "2026-01")
    check("the bundle over HTTP = raas evidence bundle (bytes)", bundle.text + "\n", out)
    path = S.write(bundle.body, "bundle", ".json")
    rc, out, err = S.run(d, "verify", path, "--key", vkey)
    check(f"raas verify accepts the bundle a client downloaded ({err!r})", rc, 0)


@case
def server_settles():
    """The server locks what is due by itself (at start, then every --settle-interval):
    GET /v1/invoices lists the locked invoices exactly as `raas invoices` prints them, a
    client sees its customer's only, a bundle is served without any CLI settle, and the
    store verifies afterwards."""
    d = S.fresh()
    for doc in (ACME, BETA):
        rc, out, err = S.apply(d, doc, "2026-01-01T00:00:00Z")
        if rc != 0:
            fail(f"contract apply {doc['id']}: {rc} {out!r} {err!r}")
    rc, out, err = S.ingest(d, [compact(e) for e in JAN_CLI], "2026-01-07T00:00:00Z")
    if rc != 0:
        fail(f"ingest: {rc} {out!r} {err!r}")
    admin, _ = make_key(d)
    client, _ = make_key(d, "client", "acme")
    with Server(d, "--settle-interval", "1") as srv:
        listed = None
        for _ in range(100):  # the settler runs right after the server starts
            r = srv.request("GET", "/v1/invoices", key=admin)
            if r.status == 200 and r.json():
                listed = r
                break
            time.sleep(0.05)
        if listed is None:
            fail("the server locked nothing within 5 s")
        mine = srv.request("GET", "/v1/invoices", key=client)
        other = srv.request("GET", "/v1/invoices?customer=beta", key=client)
        expect("a client asking for another customer's invoices", other, 200, "[]")
        expect("a client filtering by another customer's contract", srv.request(
            "GET", "/v1/invoices?contract=beta-hire-2026", key=client), 404,
            err_body("not_found", "no such contract: beta-hire-2026"))
        jan = srv.request("GET", "/v1/invoices?period=2026-01-15", key=admin)
        feb = srv.request("GET", "/v1/invoices?period=2026-02", key=admin)
        expect("no February invoice is locked yet", feb, 200, "[]")
        bundle = srv.request("GET", "/v1/evidence/acme/bundle?contract=acme-leads-2026"
                             "&date=2026-01", key=client)
        check(f"a bundle of what the server locked ({bundle.body[:200]!r})", bundle.status, 200)
        vkey = srv.request("GET", "/v1/evidence/key", key=client).json()["verifier_key"]
        m = re.search(rb"^raas_invoices_locked_total (\d+)$", srv.request(
            "GET", "/metrics").body, re.M)
        check("/metrics counts the invoices the server locked",
              int(m.group(1)) if m else None, len(listed.json()))
        rc, _ = srv.stop()
        check("serve exits 0", rc, 0)
    rc, out, err = S.run(d, "invoices", "--now", NOW)
    cli = [ordered(l) for l in out.splitlines()]
    check("GET /v1/invoices = raas invoices (same documents, same order)",
          ordered(listed.text), cli)
    rc, out, err = S.run(d, "invoices", "--customer", "acme", "--now", NOW)
    check("a client's GET /v1/invoices = raas invoices --customer acme",
          ordered(mine.text), [ordered(l) for l in out.splitlines()])
    check("?period= keeps the invoices of the period containing the date",
          ordered(jan.text), cli)
    rc, out, err = S.run(d, "settle", "--now", NOW)
    check("a CLI settle afterwards finds nothing left to lock", (rc, out), (0, ""))
    path = S.write(bundle.body, "bundle", ".json")
    rc, out, err = S.run(d, "verify", path, "--key", vkey)
    check(f"the bundle verifies offline ({err!r})", rc, 0)
    rc, out, err = S.run(d, "verify")
    check(f"raas verify of the whole store ({err[-300:]!r})", rc, 0)


class Receiver:
    """A local webhook receiver on a random port: answers 500 to the first attempt of each
    delivery id (so that every delivery is retried once), 200 after; keeps every request."""

    def __init__(self, port=0, tls=None):
        self.requests = []  # (headers dict, body bytes, status answered)
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    did = json.loads(body)["id"]
                except ValueError:
                    did = None
                with outer.lock:
                    seen = any(json.loads(b).get("id") == did for _, b, _ in outer.requests)
                    status = 200 if seen else 500
                    outer.requests.append((dict(self.headers), body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        if tls:  # (cert, key) files: https
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def wait(self, pred, seconds=15):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self.lock:
                if pred(self.requests):
                    return True
            time.sleep(0.05)
        return False


def delivered(reqs, type_):
    """The bodies (parsed) of the deliveries of type_ answered 200."""
    return [json.loads(b) for _, b, st in reqs if st == 200 and json.loads(b)["type"] == type_]


@case
def webhooks():
    """Subscriptions, signed deliveries retried with backoff until a 2xx, the delivery log,
    events.unmatched from ingest and invoice.locked from the server's own settling, and a
    pending delivery that survives a restart of the server."""
    d = S.fresh()
    for doc in (ACME, BETA):
        rc, out, err = S.apply(d, doc, "2026-01-01T00:00:00Z")
        if rc != 0:
            fail(f"contract apply {doc['id']}: {rc} {out!r} {err!r}")
    rc, out, err = S.ingest(d, [compact(e) for e in JAN_CLI], "2026-01-07T00:00:00Z")
    admin, _ = make_key(d)
    finance, _ = make_key(d, "finance")
    rcv = Receiver()
    url = f"http://127.0.0.1:{rcv.port}/hook"
    try:
        with Server(d, "--settle-interval", "0", "--webhook-backoff", "1") as srv:
            expect("finance may not subscribe", srv.request(
                "POST", "/v1/webhooks", compact({"url": url, "events": ["invoice.locked"]}),
                finance), 403)
            for body, detail in (
                    ({"url": "ftp://x", "events": ["invoice.locked"]}, "url"),
                    ({"url": url, "events": []}, "events"),
                    ({"url": url, "events": ["invoice.paid"]}, "events"),
                    ({"events": ["invoice.locked"]}, "url")):
                r = srv.request("POST", "/v1/webhooks", compact(body), admin)
                got = r.json()["error"]["details"][0]["path"] if r.status == 422 else r.status
                check(f"a webhook {body}: 422 naming {detail}", got, detail)
            r = srv.request("POST", "/v1/webhooks", compact(
                {"url": url, "events": ["events.unmatched", "invoice.locked"]}), admin)
            check(f"POST /v1/webhooks: 201 ({r.body[:200]!r})", r.status, 201)
            hook = r.json()
            check("the answer: id, url, events, created, and the secret (64 hex) once",
                  (sorted(hook), hook["url"], hook["events"], len(hook["secret"])),
                  (["created", "events", "id", "secret", "url"], url,
                   ["invoice.locked", "events.unmatched"], 64))
            secret = bytes.fromhex(hook["secret"])
            r = srv.request("GET", "/v1/webhooks", key=finance)
            check("GET /v1/webhooks lists it without its secret",
                  r.json() if r.status == 200 else r.status,
                  [{k: hook[k] for k in ("id", "url", "events", "created")}])
            expect("an event type no contract names", post_events(srv, admin, [ev(
                "u-1", type_="page.view")]), 200,
                report(accepted=1, unmatched=(1, ["acme"])))
            if not rcv.wait(lambda q: delivered(q, "events.unmatched")):
                fail(f"events.unmatched was not delivered: {rcv.requests!r}")
            with rcv.lock:
                attempts = [(h, b, st) for h, b, st in rcv.requests
                            if json.loads(b)["type"] == "events.unmatched"]
            check("the first attempt got 500, the retry 200",
                  [st for _, _, st in attempts], [500, 200])
            bodies = {b for _, b, _ in attempts}
            check("a retry sends the same bytes (the same delivery id)", len(bodies), 1)
            h, body, _ = attempts[-1]
            m = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", h.get("Raas-Signature", ""))
            check("Raas-Signature: t=<unix seconds>,v1=<hex>", bool(m), True)
            if m:
                want = hmac.new(secret, m.group(1).encode() + b"." + body,
                                hashlib.sha256).hexdigest()
                check("v1 is HMAC-SHA256(secret, t || '.' || body)", m.group(2), want)
                check("t is the time of sending", abs(int(m.group(1)) - time.time()) < 60,
                      True)
            doc = json.loads(body)
            check("the body: id, type, created, data = the report's unmatched object",
                  (sorted(doc), doc["type"], doc["created"], doc["data"]),
                  (["created", "data", "id", "type"], "events.unmatched", NOW,
                   {"count": 1, "customers": ["acme"]}))
            r = srv.request("GET", f"/v1/webhooks/{hook['id']}/deliveries", key=admin)
            log = r.json() if r.status == 200 else []
            check("the delivery log: delivered after two attempts",
                  [(x["id"], x["type"], x["status"], [a["result"] for a in x["attempts"]],
                    x["next_attempt"]) for x in log],
                  [(doc["id"], "events.unmatched", "delivered", ["HTTP 500", "HTTP 200"],
                    None)])
            rc, _ = srv.stop()
            check("serve exits 0", rc, 0)
        # The server settles at start: invoice.locked for every invoice it locks.
        with Server(d, "--settle-interval", "1", "--webhook-backoff", "1") as srv:
            r = None
            for _ in range(100):
                r = srv.request("GET", "/v1/invoices", key=admin)
                if r.status == 200 and r.json():
                    break
                time.sleep(0.05)
            locked = r.json() if r and r.status == 200 else []
            if not rcv.wait(lambda q: len(delivered(q, "invoice.locked")) >= len(locked) > 0):
                fail(f"invoice.locked not delivered for {len(locked)} invoices")
            check("one invoice.locked per locked invoice, its data the invoice document",
                  sorted(json.dumps(x["data"], sort_keys=True)
                         for x in delivered(rcv.requests, "invoice.locked")),
                  sorted(json.dumps(x, sort_keys=True) for x in locked))
            # A pending delivery survives a restart: nobody listens now.
            port = rcv.port
            rcv.close()
            expect("another unmatched event", post_events(srv, admin, [ev(
                "u-2", type_="page.view")]), 200, report(accepted=1, unmatched=(1, ["acme"])))
            time.sleep(0.5)
            r = srv.request("GET", f"/v1/webhooks/{hook['id']}/deliveries", key=admin)
            pending = [x for x in r.json() if x["status"] == "pending"]
            check("the delivery is pending after a failed attempt",
                  [(x["type"], len(x["attempts"]) >= 1) for x in pending],
                  [("events.unmatched", True)])
            rc, _ = srv.stop()
            check("serve exits 0", rc, 0)
        rcv = Receiver(port)
        with Server(d, "--settle-interval", "0", "--webhook-backoff", "1") as srv:
            ok = rcv.wait(lambda q: any(json.loads(b)["type"] == "events.unmatched"
                                        for _, b, _ in q), 20)
            check("after the restart the pending delivery is attempted again", ok, True)
            expect("DELETE the webhook", srv.request(
                "DELETE", f"/v1/webhooks/{hook['id']}", key=admin), 200,
                compact({"id": hook["id"], "deleted": True}))
            expect("its log is gone with it", srv.request(
                "GET", f"/v1/webhooks/{hook['id']}/deliveries", key=admin), 404)
            m = re.search(rb'^raas_webhook_deliveries_total\{result="delivered"\} (\d+)$',
                          srv.request("GET", "/metrics").body, re.M)
            check("/metrics counts webhook deliveries", m is not None, True)
    finally:
        rcv.close()


@case
def delivery_log_keeps_newest():
    """An endpoint's delivery log keeps its newest 100 finished deliveries (docs/server.md):
    105 events.unmatched delivered, the log lists the newest 100, newest first."""
    d = S.fresh()
    rc, out, err = S.apply(d, ACME, "2026-01-01T00:00:00Z")
    if rc != 0:
        fail(f"contract apply: {rc} {err!r}")
    admin, _ = make_key(d)
    rcv = Receiver()
    try:
        with Server(d, "--settle-interval", "0", "--webhook-backoff", "1") as srv:
            r = srv.request("POST", "/v1/webhooks", compact(
                {"url": f"http://127.0.0.1:{rcv.port}/hook", "events": ["events.unmatched"]}),
                admin)
            if r.status != 201:
                fail(f"POST /v1/webhooks: {r.status} {r.body[:200]!r}")
            hook = r.json()
            for i in range(105):
                post_events(srv, admin, [ev(f"keep-{i}", type_="page.view")])
            if not rcv.wait(lambda q: len(delivered(q, "events.unmatched")) >= 105, 60):
                fail(f"not every events.unmatched was delivered: "
                     f"{len(delivered(rcv.requests, 'events.unmatched'))}")
            r = srv.request("GET", f"/v1/webhooks/{hook['id']}/deliveries", key=admin)
            log = r.json() if r.status == 200 else []
            # Creation order: the order of first attempts (one deliverer, oldest due first).
            with rcv.lock:
                ids = [json.loads(b)["id"] for _, b, _ in rcv.requests]
            order = {i: k for k, i in enumerate(dict.fromkeys(ids))}
            check("the log: the newest 100 of 105 deliveries, newest first, all delivered",
                  ([x["status"] for x in log].count("delivered"), len(log),
                   [x["id"] for x in log] == sorted((x["id"] for x in log),
                                                      key=lambda i: -order.get(i, -1))),
                  (100, 100, True))
            check("the 5 oldest are gone from it",
                  sorted(set(order) - {x["id"] for x in log}, key=order.get),
                  sorted(order, key=order.get)[:5])
            rc, _ = srv.stop()
            check("serve exits 0", rc, 0)
    finally:
        rcv.close()


def self_signed(work, name, san):
    """A self-signed certificate for SAN (openssl req): (cert, key) file paths."""
    cert, key = os.path.join(work, name + ".pem"), os.path.join(work, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=" + name, "-addext",
                    "subjectAltName=" + san], check=True, capture_output=True)
    return cert, key


@case
def https_webhooks():
    """https:// endpoints: TLS with the certificate checked against --webhook-ca (or the
    system's certificates) and the URL's host name or IP address; a certificate for another
    name, or one nothing vouches for, is refused and the attempt's result says why."""
    d = S.fresh()
    rc, out, err = S.apply(d, ACME, "2026-01-01T00:00:00Z")
    if rc != 0:
        fail(f"contract apply: {rc} {out!r} {err!r}")
    admin, _ = make_key(d)
    work = os.path.dirname(d)
    good = self_signed(work, "good", "DNS:localhost,IP:127.0.0.1")
    other = self_signed(work, "other", "DNS:other.example")
    stranger = self_signed(work, "stranger", "DNS:localhost")
    ca = os.path.join(work, "ca.pem")
    with open(ca, "w") as f:
        f.write(open(good[0]).read() + open(other[0]).read())
    rc, out, err = S.run(d, "serve", "--webhook-ca", os.path.join(work, "missing.pem"))
    check("--webhook-ca of a missing file: exit 2, saying so",
          (rc, "--webhook-ca" in err and "missing.pem" in err), (2, True))
    rcv = {k: Receiver(tls=v) for k, v in
           (("good", good), ("other", other), ("stranger", stranger))}
    urls = {"by name": f"https://localhost:{rcv['good'].port}/hook",
            "by address": f"https://127.0.0.1:{rcv['good'].port}/hook",
            "another name": f"https://localhost:{rcv['other'].port}/hook",
            "nobody vouches": f"https://localhost:{rcv['stranger'].port}/hook"}
    try:
        with Server(d, "--settle-interval", "0", "--webhook-backoff", "1",
                    "--webhook-ca", ca) as srv:
            hooks = {}
            for k, url in urls.items():
                r = srv.request("POST", "/v1/webhooks", compact(
                    {"url": url, "events": ["events.unmatched"]}), admin)
                check(f"POST /v1/webhooks {url}: 201", r.status, 201)
                hooks[k] = r.json()
            expect("an unmatched event", post_events(srv, admin, [ev(
                "u-1", type_="page.view")]), 200, report(accepted=1, unmatched=(1, ["acme"])))
            ok = rcv["good"].wait(lambda q: len(delivered(q, "events.unmatched")) == 2)
            check("delivered over TLS to the endpoint by name and by address", ok, True)
            with rcv["good"].lock:
                for _, b, _ in rcv["good"].requests:
                    check("the body over TLS", json.loads(b)["data"],
                          {"count": 1, "customers": ["acme"]})

            def first_result(k):
                for _ in range(200):
                    r = srv.request("GET", f"/v1/webhooks/{hooks[k]['id']}/deliveries",
                                    key=admin)
                    log = r.json() if r.status == 200 else []
                    if log and log[0]["attempts"]:
                        return log[0]["status"], log[0]["attempts"][0]["result"]
                    time.sleep(0.05)
                return None
            got = first_result("another name")
            check("a certificate for another name: refused, pending, saying so",
                  (got[0], bool(re.fullmatch(r"TLS handshake: the certificate is not "
                                             r"accepted: (?i:hostname mismatch)", got[1])))
                  if got else got, ("pending", True))
            got = first_result("nobody vouches")
            check("a certificate nothing in --webhook-ca vouches for: refused, saying so",
                  (got[0], bool(re.fullmatch(r"TLS handshake: the certificate is not "
                                             r"accepted: self.signed certificate", got[1])))
                  if got else got, ("pending", True))
            with rcv["other"].lock, rcv["stranger"].lock:
                check("nothing reached the refused receivers",
                      (rcv["other"].requests, rcv["stranger"].requests), ([], []))
            rc, _ = srv.stop()
            check("serve exits 0", rc, 0)
    finally:
        for r in rcv.values():
            r.close()


def last_log_record(data):
    """(position, checksum) of the last record of the default tenant's first log segment
    (docs/formats/log.md: a 40-byte header — magic, leaf length, checksum, ... — then the
    leaf, padded to 8 bytes)."""
    seg = open(os.path.join(data, "tenants", "t-default", "log", "00000000.seg"), "rb").read()
    pos, last = 0, None
    while pos + 40 <= len(seg) and seg[pos:pos + 4] == b"RLR1":
        n, = struct.unpack_from("<I", seg, pos + 4)
        last = (pos, struct.unpack_from("<Q", seg, pos + 8)[0])
        pos += (40 + n + 7) & ~7
    return last


@case
def held_webhooks():
    """Deliveries held for a commit (server/webhooks.h): the state a server leaves when it
    dies between a commit and the release of its webhook events. At the next start, a held
    delivery whose entry is in the log is sent; one whose entry is not (a torn batch: the
    position is past the end, or another record took its place) is dropped unsent."""
    d = S.fresh()
    rc, out, err = S.apply(d, ACME, "2026-01-01T00:00:00Z")
    if rc != 0:
        fail(f"contract apply: {rc} {out!r} {err!r}")
    admin, _ = make_key(d)
    rcv = Receiver()
    url = f"http://127.0.0.1:{rcv.port}/hook"
    path = os.path.join(d, "tenants", "t-default", "deliveries")
    try:
        with Server(d, "--settle-interval", "0", "--webhook-backoff", "1") as srv:
            r = srv.request("POST", "/v1/webhooks", compact(
                {"url": url, "events": ["events.unmatched"]}), admin)
            check("POST /v1/webhooks: 201", r.status, 201)
            hook = r.json()
            expect("an unmatched event", post_events(srv, admin, [ev(
                "u-1", type_="page.view")]), 200, report(accepted=1, unmatched=(1, ["acme"])))
            if not rcv.wait(lambda q: delivered(q, "events.unmatched")):
                fail(f"events.unmatched was not delivered: {rcv.requests!r}")
            rc, _ = srv.stop()
            check("serve exits 0", rc, 0)
        with open(path) as f:
            rows = [json.loads(line) for line in f if line.strip()]
        check("the live path leaves nothing held: one delivery, delivered",
              [x["status"] for x in rows], ["delivered"])
        pos, checksum = last_log_record(d)

        def held(name, position, sum_):
            body = compact({"id": name, "type": "events.unmatched", "created": NOW,
                            "data": {"count": 1, "customers": ["acme"]}})
            return compact({"id": name, "endpoint": hook["id"], "type": "events.unmatched",
                            "created": NOW, "status": "held", "attempts": [],
                            "next_attempt": None, "first": None, "body": body,
                            "held_for": {"position": position, "checksum": f"{sum_:016x}"}})
        with open(path, "a") as f:
            f.write(held("dl_stored0000000000000000", pos, checksum) + "\n")
            f.write(held("dl_replaced000000000000000", pos, checksum ^ 1) + "\n")
            f.write(held("dl_torn00000000000000000000", pos + 4096, checksum) + "\n")
        with rcv.lock:
            rcv.requests.clear()
        with Server(d, "--settle-interval", "0", "--webhook-backoff", "1") as srv:
            ok = rcv.wait(lambda q: any(x["id"] == "dl_stored0000000000000000"
                                        for x in delivered(q, "events.unmatched")))
            check("the held delivery whose entry is stored is sent after the restart", ok, True)
            time.sleep(1.5)  # longer than a backoff: the dropped ones would be sent by now
            with rcv.lock:
                sent = sorted({json.loads(b)["id"] for _, b, _ in rcv.requests})
            check("only it: the others' entries are not in the log", sent,
                  ["dl_stored0000000000000000"])
            r = srv.request("GET", f"/v1/webhooks/{hook['id']}/deliveries", key=admin)
            check("the delivery log: the first delivery and the released one",
                  sorted((x["id"], x["status"]) for x in r.json()) if r.status == 200
                  else r.status,
                  sorted([(rows[0]["id"], "delivered"),
                          ("dl_stored0000000000000000", "delivered")]))
            rc, _ = srv.stop()
            check("serve exits 0", rc, 0)
        with open(path) as f:
            check("nothing is held any more",
                  sorted(json.loads(line)["status"] for line in f if line.strip()),
                  ["delivered", "delivered"])
    finally:
        rcv.close()


@case
def keys_from_cli_and_api_at_once():
    """The operator's `raas tenant key` and POST /v1/keys write the same keys file: made at
    the same time, every key is kept and works."""
    d = S.fresh()
    admin, _ = make_key(d)
    made_api, made_cli = [], []
    with Server(d) as srv:
        def api_side():
            for _ in range(12):
                r = srv.request("POST", "/v1/keys", compact({"role": "auditor"}), admin)
                if r.status == 201:
                    made_api.append(r.json()["key"])

        t = threading.Thread(target=api_side)
        t.start()
        for _ in range(12):
            rc, out, err = S.run(d, "tenant", "key", "default", "--role", "csm")
            if rc == 0:
                made_cli.append(json.loads(out)["key"])
        t.join()
        check("12 keys made each way", (len(made_api), len(made_cli)), (12, 12))
        r = srv.request("GET", "/v1/keys", key=admin)
        roles = collections.Counter(k["role"] for k in r.json()) if r.status == 200 else {}
        check("every key is listed", dict(roles), {"admin": 1, "auditor": 12, "csm": 12})
        bad = [k for k in made_api + made_cli
               if srv.request("GET", "/v1/contracts", key=k).status != 200]
        check("every key works", bad, [])


@case
def disputes_over_http():
    """A client opens a dispute on its result (percent-encoded id), finance resolves it;
    roles, 404 for another customer's result, 409 for a second open dispute, 422 for broken
    rules, the listing filtered for a client, and the same documents as the CLI."""
    d = S.fresh()
    for doc in (ACME, BETA):
        rc, out, err = S.apply(d, doc, "2026-01-01T00:00:00Z")
        if rc != 0:
            fail(f"contract apply {doc['id']}: {rc} {out!r} {err!r}")
    rc, out, err = S.ingest(d, [compact(e) for e in JAN_CLI], "2026-01-07T00:00:00Z")
    admin, _ = make_key(d)
    client, _ = make_key(d, "client", "acme")
    finance, _ = make_key(d, "finance")
    lead1 = "acme-leads-2026/qualified_lead:L-1"
    enc = "acme-leads-2026%2Fqualified_lead%3AL-1"
    beta = "beta-hire-2026%2Fhire%3AC-1"
    rcv = Receiver()
    with Server(d, "--settle-interval", "0", "--webhook-backoff", "1",
                now="2026-01-10T00:00:00Z") as srv:
        r = srv.request("POST", "/v1/webhooks", compact(
            {"url": f"http://127.0.0.1:{rcv.port}/hook",
             "events": ["dispute.opened", "dispute.resolved"]}), admin)
        check("a webhook for disputes: 201", r.status, 201)
        body = compact({"reason": "duplicate", "note": "we had this lead already"})
        expect("finance may not open a dispute", srv.request(
            "POST", f"/v1/results/{enc}/disputes", body, finance), 403)
        expect("the client, on another customer's result", srv.request(
            "POST", f"/v1/results/{beta}/disputes", body, client), 404,
            err_body("not_found", "no such result: beta-hire-2026/hire:C-1"))
        expect("an unknown reason", srv.request(
            "POST", f"/v1/results/{enc}/disputes", compact({"reason": "meh"}), client), 422,
            err_body("invalid", "the dispute breaks 1 rule", [
                {"path": "reason", "message": "one of not_achieved, duplicate, "
                                              "not_attributable, already_reversed, other"}]))
        opened = srv.request("POST", f"/v1/results/{enc}/disputes", body, client)
        want = {"id": lead1 + "#1", "result": lead1, "contract": "acme-leads-2026",
                "customer": "acme", "reason": "duplicate", "note": "we had this lead already",
                "opened": "2026-01-10T00:00:00Z", "status": "open", "resolved": None,
                "resolved_by": None, "resolution_note": None}
        expect("the client opens a dispute", opened, 201, json_body=want)
        expect("a second open dispute", srv.request(
            "POST", f"/v1/results/{enc}/disputes", body, client), 409)
        r = srv.request("GET", f"/v1/results?contract=acme-leads-2026", key=client)
        check("the result is disputed", [x["status"] for x in r.json() if x["id"] == lead1],
              ["disputed"])
        r = srv.request("GET", "/v1/disputes", key=client)
        check("GET /v1/disputes (client)", r.json() if r.status == 200 else r.status, [want])
        expect("the client may not resolve", srv.request(
            "POST", f"/v1/disputes/{enc}%231/resolution", compact({"outcome": "voided"}),
            client), 403)
        expect("an unknown outcome", srv.request(
            "POST", f"/v1/disputes/{enc}%231/resolution", compact({"outcome": "maybe"}),
            finance), 422)
        resolved = srv.request("POST", f"/v1/disputes/{enc}%231/resolution",
                               compact({"outcome": "voided", "note": "confirmed duplicate"}),
                               finance)
        expect("finance resolves it", resolved, 200, json_body=dict(
            want, status="voided", resolved="2026-01-10T00:00:00Z", resolved_by="person",
            resolution_note="confirmed duplicate"))
        expect("resolving again", srv.request(
            "POST", f"/v1/disputes/{enc}%231/resolution", compact({"outcome": "upheld"}),
            finance), 409)
        expect("an unknown dispute", srv.request(
            "POST", f"/v1/disputes/{enc}%239/resolution", compact({"outcome": "upheld"}),
            finance), 404)
        r = srv.request("GET", "/v1/disputes?customer=beta", key=client)
        check("a client asking for another customer's disputes", r.json(), [])
        r = srv.request("GET", "/v1/disputes?status=voided", key=admin)
        everything = r.json() if r.status == 200 else r.status
        ok = rcv.wait(lambda q: delivered(q, "dispute.opened") and
                      delivered(q, "dispute.resolved"))
        check("dispute.opened and dispute.resolved are delivered", ok, True)
        with rcv.lock:
            check("one of each (the failed actions send none), data = the answers",
                  ([x["data"] for x in delivered(rcv.requests, "dispute.opened")],
                   [x["data"] for x in delivered(rcv.requests, "dispute.resolved")]),
                  ([opened.json()], [resolved.json()]))
        rc, _ = srv.stop()
        check("serve exits 0", rc, 0)
    rcv.close()
    rc, out, err = S.run(d, "disputes", "--now", "2026-01-10T00:00:00Z")
    check("GET /v1/disputes = raas disputes", everything, [json.loads(l) for l in
                                                            out.splitlines()])
    rc, out, err = S.run(d, "results", "acme-leads-2026", "--now", "2026-01-10T00:00:00Z")
    check("voided in the CLI's listing too", [json.loads(l)["status"] for l in out.splitlines()
                                              if json.loads(l)["id"] == lead1], ["voided"])


@case
def result_webhooks():
    """result.confirmed and result.reversed: the server compares the results at its last
    look with the results now; only changes after a subscription are sent."""
    d = S.fresh()
    rc, out, err = S.apply(d, ACME, "2026-01-01T00:00:00Z")
    rc, out, err = S.ingest(d, [compact(e) for e in JAN_CLI[:2]], "2026-01-07T00:00:00Z")
    admin, _ = make_key(d)
    rcv = Receiver()
    try:
        with Server(d, "--settle-interval", "1", now="2026-01-10T00:00:00Z") as srv:
            r = srv.request("POST", "/v1/webhooks", compact({
                "url": f"http://127.0.0.1:{rcv.port}/h",
                "events": ["result.confirmed", "result.reversed"]}), admin)
            check("subscribed", r.status, 201)
            srv.stop()
        # L-2 rejected inside its hold: reversed; L-1 confirms on 2026-01-16 (hold 14d).
        rc, out, err = S.ingest(d, [compact({
            "id": "rej-2", "customer": "acme", "type": "lead.rejected",
            "time": "2026-01-08T10:00:00+08:00", "properties": {"lead_id": "L-2"}})],
            "2026-01-11T00:00:00Z")
        check("the rejection is accepted", rc, 0)
        with Server(d, "--settle-interval", "1", now="2026-02-10T00:00:00Z") as srv:
            ok = rcv.wait(lambda q: len({json.loads(b)["id"] for _, b, st in q
                                         if st == 200}) >= 2)
            check("two deliveries", ok, True)
            got = sorted((json.loads(b)["type"], json.loads(b)["data"]["id"],
                          json.loads(b)["data"]["status"])
                         for _, b, st in rcv.requests if st == 200)
            check("one result.confirmed and one result.reversed with the listing objects",
                  got, [("result.confirmed", "acme-leads-2026/qualified_lead:L-1", "confirmed"),
                        ("result.reversed", "acme-leads-2026/qualified_lead:L-2",
                         "reversed")])
            srv.stop()
    finally:
        rcv.close()


def log_clocks(data):
    """The record clocks (header bytes 32..39) of every customer's entries, in log order,
    read from the segments as docs/formats/log.md describes them."""
    import glob
    import struct
    out = collections.defaultdict(list)
    for seg in sorted(glob.glob(os.path.join(data, "tenants", "t-default", "log", "*.seg"))):
        with open(seg, "rb") as f:
            buf = f.read()
        off = 0
        while off + 40 <= len(buf) and buf[off:off + 4] == b"RLR1":
            length = struct.unpack_from("<I", buf, off + 4)[0]
            customer = struct.unpack_from("<I", buf, off + 20)[0]
            clock = struct.unpack_from("<q", buf, off + 32)[0]
            out[customer].append(clock)
            off += (40 + length + 7) & ~7
    return out


@case
def concurrent_ingest_keeps_received_order():
    """With the real clock, a large batch and small ones sent at once for one customer: the
    customer's log stays in received order (what bundles and their verifiers require)."""
    d = S.fresh()
    admin, _ = make_key(d)
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 3600))
    counter = [0]
    lock = threading.Lock()

    def batch(n):
        with lock:
            first = counter[0]
            counter[0] += n
        return "".join(compact({"id": f"x{i}", "customer": "c1", "type": "t.x",
                                "time": stamp}) + "\n" for i in range(first, first + n))

    with Server(d, "--settle-interval", "0", "--rate-limit", "0", now=None) as srv:
        stop = time.monotonic() + 3
        bad = []

        def sender(n):
            while time.monotonic() < stop:
                r = srv.request("POST", "/v1/events", batch(n), admin, ndjson=True)
                if r.status != 200:
                    bad.append(r.status)

        threads = [threading.Thread(target=sender, args=(n,)) for n in (4000, 1, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        check("every batch answered 200", bad, [])
        rc, _ = srv.stop()
        check("serve exits 0", rc, 0)
    clocks = log_clocks(d)
    inversions = sum(1 for v in clocks.values() for a, b in zip(v, v[1:]) if b < a)
    check(f"received times never go back along the log ({sum(map(len, clocks.values()))} "
          f"entries)", inversions, 0)


@case
def rate_limit():
    """--rate-limit N: a key gets N requests in a burst and N a second after; more answer
    429 with Retry-After; another key has its own budget; 0 turns it off."""
    d = S.fresh()
    a, _ = make_key(d)
    b, _ = make_key(d, "auditor")
    with Server(d, "--rate-limit", "5") as srv:
        conn = srv.connect()
        got = [srv.request("GET", "/v1/contracts", key=a, conn=conn) for _ in range(8)]
        check("5 pass, then 429", [r.status for r in got], [200] * 5 + [429] * 3)
        expect("the 429's body", got[-1], 429,
               err_body("rate_limited", "more than 5 requests a second with this key"))
        check("Retry-After", got[-1].headers.get("retry-after"), "1")
        check("another key has its own budget",
              srv.request("GET", "/v1/contracts", key=b).status, 200)
        time.sleep(1.1)
        check("a second later the budget is back",
              srv.request("GET", "/v1/contracts", key=a, conn=conn).status, 200)
        conn.close()
    with Server(d, "--rate-limit", "0") as srv:
        check("0: no limit", sorted({srv.request("GET", "/v1/contracts", key=a).status
                                     for _ in range(30)}), [200])


# ---------------------------------------------------------------- 5. keys


@case
def keys():
    d = S.fresh()
    admin, admin_info = make_key(d)
    with Server(d) as srv:
        r = srv.request("POST", "/v1/keys", compact({"role": "finance"}), admin)
        check(f"POST /v1/keys finance: status ({r.body!r})", r.status, 201)
        doc = r.json()
        m = KEY_RE.fullmatch(doc.get("key", ""))
        if not m:
            fail(f"POST /v1/keys: not a key: {doc!r}")
        fin_key, fin_id = doc["key"], m.group(1)
        fin_info = {"id": fin_id, "role": "finance", "customer": None, "created": NOW,
                    "revoked": None}
        check("POST /v1/keys: the document", ordered(r.text),
              ordered(compact({"key": fin_key, "info": fin_info})))
        expect("the new key reads at once", srv.request("GET", "/v1/contracts", key=fin_key),
               200, "[]")
        put_contract(srv, fin_key, ACME)
        expect("the finance key may not make keys",
               srv.request("POST", "/v1/keys", compact({"role": "admin"}), fin_key), 403,
               err_body("forbidden", "a finance key may not do this"))
        r = srv.request("GET", "/v1/keys", key=fin_key)
        expect("GET /v1/keys lists both", r, 200, json_body=[admin_info, fin_info])
        r = srv.request("POST", "/v1/keys", compact({"role": "client", "customer": "acme"}),
                        admin)
        check(f"POST /v1/keys client of acme: status ({r.body!r})", r.status, 201)
        client_key, client_info = r.json()["key"], r.json()["info"]
        check("client key info", {k: client_info[k] for k in ("role", "customer", "revoked")},
              {"role": "client", "customer": "acme", "revoked": None})
        r = srv.request("POST", "/v1/keys", compact({"role": "ingest", "customer": None}),
                        admin)
        check("POST /v1/keys ingest with customer null", (r.status, r.json()["info"]["customer"]
                                                          if r.status == 201 else r.text),
              (201, None))
        expect("the client key reads its customer's contract",
               srv.request("GET", "/v1/contracts/acme-leads-2026", key=client_key), 200)

        r = srv.request("DELETE", f"/v1/keys/{fin_id}", key=admin)
        revoked = dict(fin_info, revoked=NOW)
        expect("DELETE /v1/keys/{id}", r, 200, compact(revoked))
        invalid = err_body("unauthorized", "the key is not valid")
        expect("the revoked key", srv.request("GET", "/v1/contracts", key=fin_key), 401,
               invalid)
        expect("the revoked key may not write", srv.request(
            "PUT", "/v1/contracts/acme-leads-2026", compact(ACME), fin_key), 401, invalid)
        expect("DELETE again: the same document", srv.request(
            "DELETE", f"/v1/keys/{fin_id}", key=admin), 200, compact(revoked))
        r = srv.request("GET", "/v1/keys", key=admin)
        check("GET /v1/keys shows the revocation",
              [k for k in r.json() if k["id"] == fin_id], [revoked])
        expect("DELETE a key that does not exist", srv.request(
            "DELETE", "/v1/keys/0000000000000000", key=admin), 404,
            err_body("not_found", "no such key: 0000000000000000"))

        def invalid_req(path, message):
            return err_body("invalid", "the key request has 1 problem",
                            [{"path": path, "message": message}])
        for body, path, message in (
                ({"role": "boss"}, "role", "one of admin, finance, csm, ingest, client, auditor"),
                ({}, "role", "one of admin, finance, csm, ingest, client, auditor"),
                ({"role": 1}, "role", "one of admin, finance, csm, ingest, client, auditor"),
                ({"role": "client"}, "customer", "a client key needs a customer"),
                ({"role": "client", "customer": None}, "customer",
                 "a client key needs a customer"),
                ({"role": "finance", "customer": "acme"}, "customer",
                 "only client and ingest keys are bound to a customer"),
                ({"role": "client", "customer": "a b"}, "customer",
                 "a customer id is 1 to 128 characters A-Z a-z 0-9 . _ : -"),
                ({"role": "client", "customer": 5}, "customer",
                 "must be a customer id or null"),
                ({"role": "admin", "name": "x"}, "name", "unknown field")):
            expect(f"POST /v1/keys {compact(body)}", srv.request(
                "POST", "/v1/keys", compact(body), admin), 422, invalid_req(path, message))
        expect("POST /v1/keys with a body that is not JSON",
               srv.request("POST", "/v1/keys", "role=admin", admin), 400)
        expect("POST /v1/keys with an array", srv.request("POST", "/v1/keys", "[]", admin), 400,
               err_body("malformed", "the body must be {\"role\":R,\"customer\":C}"))
        r = srv.request("GET", "/v1/keys", key=admin)
        check("refused key requests made no key", len(r.json()), 4)
        r = srv.request("POST", "/v1/keys", compact({"role": "admin"}), admin)
        check("POST /v1/keys admin", r.status, 201)
        admin2, admin2_id = r.json()["key"], r.json()["info"]["id"]
        expect("an admin key revokes itself", srv.request(
            "DELETE", f"/v1/keys/{admin2_id}", key=admin2), 200)
        expect("the key that revoked itself", srv.request("GET", "/v1/keys", key=admin2),
               401, invalid)
        rc, _ = srv.stop()
        check("serve exits 0", rc, 0)
    with Server(d) as srv:  # the keys file is what the next server reads
        expect("after a restart: the revoked key", srv.request("GET", "/v1/contracts",
                                                               key=fin_key), 401, invalid)
        expect("after a restart: the client key made over HTTP",
               srv.request("GET", "/v1/contracts", key=client_key), 200,
               json_body=[listing(ACME)])


# ---------------------------------------------------------------- 6. robustness


def metrics(srv):
    r = srv.request("GET", "/metrics")
    check("GET /metrics: status", r.status, 200)
    check("GET /metrics: content type", r.headers.get("content-type"),
          "text/plain; version=0.0.4")
    values = {}
    for line in r.text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = value
    return values, r.text


@case
def http_robustness():
    d = S.fresh()
    admin, _ = make_key(d)
    with Server(d) as srv:
        put_contract(srv, admin, ACME)
        expect("HEAD /healthz", srv.request("HEAD", "/healthz"), 200)
        expect("GET /healthz", srv.request("GET", "/healthz"), 200, '{"status":"ok"}')
        for path in ("/nope", "/", "/v1", "/v2/contracts", "/healthz/x"):
            expect(f"GET {path}", srv.request("GET", path), 404,
                   err_body("not_found", f"no such endpoint: {path}"))
        for path in ("/v1/nope", "/v1/contracts/acme-leads-2026/x",
                     "/v1/contracts/acme-leads-2026/invoices", "/v1/keys/a/b",
                     "/v1/events/x"):
            expect(f"GET {path} with a key", srv.request("GET", path, key=admin), 404,
                   err_body("not_found", f"no such endpoint: {path}"))
        for method, path, allow in (
                ("POST", "/healthz", "GET, HEAD"), ("DELETE", "/metrics", "GET"),
                ("GET", "/v1/events", "POST"), ("PUT", "/v1/events", "POST"),
                ("DELETE", "/v1/contracts", "GET"), ("POST", "/v1/contracts", "GET"),
                ("POST", "/v1/contracts/acme-leads-2026", "GET, PUT"),
                ("DELETE", "/v1/contracts/acme-leads-2026", "GET, PUT"),
                ("POST", "/v1/contracts/acme-leads-2026/invoices/2026-02", "GET"),
                ("PATCH", "/v1/results", "GET"), ("PUT", "/v1/keys", "GET, POST"),
                ("DELETE", "/v1/keys", "GET, POST"), ("GET", "/v1/keys/0000000000000000",
                                                      "DELETE")):
            r = srv.request(method, path, key=admin)
            expect(f"{method} {path}", r, 405,
                   err_body("method_not_allowed", f"this path accepts {allow}"))
            check(f"{method} {path}: Allow", r.headers.get("allow"), allow)
        bad_target = err_body("malformed",
                              "the request target is not well-formed (bad percent-encoding?)")
        for path in ("/v1/contracts/%zz", "/v1/contracts/acme%2", "/v1/contracts/a%00b",
                     "/v1/results?contract=%G1", "/v1/contracts/%"):
            expect(f"GET {path}", srv.request("GET", path, key=admin), 400, bad_target)
        expect("a percent-encoded id", srv.request("GET", "/v1/contracts/acme%2Dleads%2d2026",
                                                   key=admin), 200)
        expect("'+' in a query argument is a space",
               srv.request("GET", "/v1/results?contract=acme+leads", key=admin), 404,
               err_body("not_found", "no such contract: acme leads"))
        expect("an encoded slash stays in its segment",
               srv.request("GET", "/v1/contracts/acme-leads-2026%2Finvoices%2F2026-02",
                           key=admin), 404,
               err_body("not_found", "no such contract: acme-leads-2026/invoices/2026-02"))
        for headers, message in (
                ({}, "an Authorization: Bearer KEY header is required"),
                ({"Authorization": "Basic x"}, "the Authorization header must be: Bearer KEY"),
                ({"Authorization": "Basic " + admin}, "the Authorization header must be: "
                                                      "Bearer KEY"),
                ({"Authorization": "bearer " + admin}, "the Authorization header must be: "
                                                       "Bearer KEY"),
                ({"Authorization": "Bearer nonsense"}, "not a raas key"),
                ({"Authorization": "Bearer " + admin[:-1]}, "not a raas key"),
                ({"Authorization": "Bearer " + admin.upper()}, "not a raas key"),
                ({"Authorization": "Bearer " + admin[:-1] + ("0" if admin[-1] != "0" else "1")},
                 "the key is not valid")):
            for method, path in (("GET", "/v1/contracts"), ("POST", "/v1/events"),
                                 ("GET", "/v1/nope"), ("DELETE", "/v1/contracts")):
                expect(f"{method} {path} with {headers}", srv.request(
                    method, path, "[]" if method == "POST" else None, headers=headers), 401,
                    err_body("unauthorized", message))
        for path, message in (
                ("/v1/contracts/acme-leads-2026?version=0",
                 "version: must be a version number (1, 2, ...)"),
                ("/v1/contracts/acme-leads-2026?version=x",
                 "version: must be a version number (1, 2, ...)"),
                ("/v1/results?status=bogus", "status: unknown status 'bogus' (one of invalid, "
                                             "reversed, voided, disputed, confirmed, pending)")):
            expect(f"GET {path}", srv.request("GET", path, key=admin), 400,
                   err_body("malformed", message))
        for path in ("/v1/contracts/acme-leads-2026/invoices/2026-02?as_of=yesterday",
                     "/v1/contracts/acme-leads-2026/invoices/2026-13",
                     "/v1/contracts/acme-leads-2026/invoices/Feb",
                     "/v1/contracts/acme-leads-2026/invoices/2026-02-30",
                     "/v1/results?as_of=2026-02-10", "/v1/results?period=2026/02"):
            r = srv.request("GET", path, key=admin)
            expect(f"GET {path}", r, 400)
            check(f"GET {path}: error code", r.json()["error"]["code"], "malformed")
        expect("GET a version that does not exist", srv.request(
            "GET", "/v1/contracts/acme-leads-2026?version=2", key=admin), 404,
            err_body("not_found", "contract acme-leads-2026 has no version 2"))
        r = srv.request("PUT", "/v1/contracts/acme-leads-2026", "{", admin)
        expect("PUT a broken document", r, 422)
        check("PUT a broken document: error code", r.json()["error"]["code"],
              "invalid_contract")
        wrong = srv.request("PUT", "/v1/contracts/other-id", compact(ACME), admin)
        expect("PUT a document whose id is not the path's", wrong, 422, err_body(
            "invalid_contract", "the contract has 1 problem",
            [{"path": "id", "message": "must be the id of the path (other-id)"}]))
        bad_tiers = dict(ACME, results=[dict(ACME["results"][0], price={
            "model": "graduated", "tiers": [{"up_to": 100, "amount": "50.00"},
                                            {"up_to": 200, "amount": "40.00"}]})])
        r = srv.request("PUT", "/v1/contracts/acme-leads-2026", compact(bad_tiers), admin)
        expect("PUT an invalid contract", r, 422)
        if r.status == 422:
            check("PUT an invalid contract: the detail of server.md's example (the message "
                  "of docs/pricing.md)",
                  r.json()["error"]["details"],
                  [{"path": "results[0].price.tiers[1].up_to",
                    "message": "the last tier must have up_to null (unbounded)"}])
        expect("PUT a new version", srv.request(
            "PUT", "/v1/contracts/acme-leads-2026", compact(dict(ACME, minimum="900.00")),
            admin), 201, compact({"id": "acme-leads-2026", "version": 2}))

        # Metrics count what was answered.
        expect("events for the metrics", post_events(srv, admin, [
            lead("x1", "L-X1"), lead("x2", "L-X2"), ev("x3", "zed", "z.z"), E3]), 200,
            report(accepted=3, rejected=[(3, "e3", E3_ERR)], unmatched=(1, ["zed"])))
        expect("again: duplicates", post_events(srv, admin, [lead("x1", "L-X1"),
                                                             lead("x4", "L-X4")]), 200,
               report(accepted=1, duplicates=1))
        time.sleep(0.05)  # the counters are updated right after an answer is sent
        answered = list(srv.statuses)
        values, text = metrics(srv)
        for cls in range(1, 6):
            check(f'raas_http_requests_total{{code="{cls}xx"}}',
                  values.get(f'raas_http_requests_total{{code="{cls}xx"}}'),
                  str(sum(1 for s in answered if s // 100 == cls)))
        check("raas_http_request_seconds_count", values.get("raas_http_request_seconds_count"),
              str(len(answered)))
        check("raas_http_request_seconds_bucket +Inf",
              values.get('raas_http_request_seconds_bucket{le="+Inf"}'), str(len(answered)))
        check("# TYPE raas_http_requests_total counter",
              "# TYPE raas_http_requests_total counter" in text.splitlines(), True)
        check('raas_events_total{outcome="accepted"}',
              values.get('raas_events_total{outcome="accepted"}'), "4")
        check('raas_events_total{outcome="duplicate"}',
              values.get('raas_events_total{outcome="duplicate"}'), "1")
        check("raas_events_unmatched_total", values.get("raas_events_unmatched_total"), "1")
        # server.md: "/metrics ... events accepted/rejected/unmatched"
        check('raas_events_total{outcome="rejected"} (server.md: events '
              'accepted/rejected/unmatched)',
              values.get('raas_events_total{outcome="rejected"}'), "1")


# ---------------------------------------------------------------- 7. shutdown


@case
def graceful_shutdown():
    d = S.fresh()
    admin, _ = make_key(d)
    batches = [[lead(f"s{b}-{i}", f"L-S{b}-{i}") for i in range(10)] for b in range(3)]
    with Server(d) as srv:
        put_contract(srv, admin, ACME)
        for n, b in enumerate(batches):
            expect(f"batch {n}", post_events(srv, admin, b), 200, report(accepted=10))
        idle = srv.connect()  # a keep-alive connection left open at SIGTERM
        expect("a request on the connection left open", srv.request(
            "GET", "/v1/contracts", key=admin, conn=idle), 200)
        rc, secs = srv.stop(timeout=10)
        check("SIGTERM with an idle connection: exit code", rc, 0)
        check(f"SIGTERM with an idle connection: exits within 5 s (took {secs:.2f} s)",
              secs < 5, True)
        idle.close()
    rc, out, err = S.run(d, "results", "acme-leads-2026", "--now", NOW)
    check("the CLI can use the tenant once the server is gone", (rc, len(out.splitlines())),
          (0, 30))

    # A request whose body stalls: it may run for --shutdown-timeout, not longer.
    with Server(d, "--shutdown-timeout", "1") as srv:
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        try:
            sock.sendall((f"POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                          f"{admin}\r\nContent-Length: 1000\r\n\r\n[").encode())
            time.sleep(0.2)
            rc, secs = srv.stop(timeout=10)
        finally:
            sock.close()
        check("SIGTERM with a stalled upload and --shutdown-timeout 1: exit code", rc, 0)
        check(f"SIGTERM with a stalled upload: exits after about 1 s (took {secs:.2f} s)",
              0.5 < secs < 4, True)

    # Batches in flight at SIGTERM: every one answered 200 is there after a restart; one
    # that was not answered was stored whole or not at all.
    acked, unanswered, stop = [], [], threading.Event()
    with Server(d) as srv:
        def writer(w):
            n = 0
            while not stop.is_set():
                b = [lead(f"w{w}.{n}-{i}", f"L-W{w}.{n}-{i}") for i in range(20)]
                n += 1
                try:
                    r = post_events(srv, admin, b)
                except (OSError, http.client.HTTPException):
                    unanswered.append(b)
                    return
                (acked if r.status == 200 else unanswered).append((b, r.text) if r.status ==
                                                                  200 else b)
        threads = [threading.Thread(target=writer, args=(w,)) for w in range(2)]
        for t in threads:
            t.start()
        time.sleep(0.4)
        rc, secs = srv.stop(timeout=10)
        stop.set()
        for t in threads:
            t.join(10)
        check("SIGTERM with batches in flight: exit code", rc, 0)
        check(f"SIGTERM with batches in flight: exits within 5 s (took {secs:.2f} s)",
              secs < 5, True)
    if not acked:
        fail("no batch was answered before SIGTERM")
    check("every acknowledged batch was accepted whole",
          sorted({t for _, t in acked}), [report(accepted=20)])
    with Server(d) as srv:
        for n, b in enumerate(batches):
            expect(f"after a restart, batch {n} again", post_events(srv, admin, b), 200,
                   report(duplicates=10))
        missing = 0
        for b, _ in acked:
            r = post_events(srv, admin, b)
            missing += r.text != report(duplicates=20)
        check(f"after a restart, the {len(acked)} batches acknowledged at SIGTERM are all "
              f"there (batches not fully stored)", missing, 0)
        for b in unanswered:
            r = post_events(srv, admin, b)
            check("after a restart, a batch not answered at SIGTERM: stored whole or not at all",
                  r.text in (report(duplicates=20), report(accepted=20)), True)
        r = srv.request("GET", "/v1/results?contract=acme-leads-2026", key=admin)
        check("results after the restart", len(r.json()),
              30 + 20 * (len(acked) + len(unanswered)))
        rc, _ = srv.stop()
        check("serve exits 0", rc, 0)


@case
def address_in_use():
    """A second server on the port of a running one must fail (server.h: "RAAS_E_STORAGE
    when the address cannot be bound"; cli.md: exit 3 for a storage error) rather than
    share the port and take some of the first server's connections."""
    d1, d2 = S.fresh(), S.fresh()
    key1, _ = make_key(d1)
    make_key(d2)
    with Server(d1) as srv:
        err_path = S.path("second-stderr", ".txt")
        with open(err_path, "wb") as errf:
            second = subprocess.Popen([RAAS, "-d", d2, "serve", "--listen",
                                       f"127.0.0.1:{srv.port}", "--access-log", "none"],
                                      stdout=subprocess.PIPE, stderr=errf)
        try:
            out = b""
            deadline = time.monotonic() + 5
            while second.poll() is None and time.monotonic() < deadline:
                r, _, _ = select.select([second.stdout.fileno()], [], [], 0.05)
                if r:
                    chunk = os.read(second.stdout.fileno(), 4096)
                    out += chunk
                    if not chunk or b"\n" in out:
                        break  # it announced that it listens: no need to wait longer
            time.sleep(0.05)
            rc = second.poll()
            check(f"a second serve on port {srv.port}: exit code", rc, 3)
            statuses = [srv.request("GET", "/v1/contracts", key=key1).status
                        for _ in range(20)]
            check("the first server answers every request on its port", statuses, [200] * 20)
        finally:
            if second.poll() is None:
                second.send_signal(signal.SIGTERM)
                try:
                    second.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    second.kill()
                    second.wait()
            out += second.stdout.read()
            second.stdout.close()
        with open(err_path, "rb") as f:
            err = f.read().decode("utf-8", "replace")
        check("a second serve prints nothing on stdout", out, b"")
        check("a second serve says why on stderr (a line --listen: cannot listen on ...)",
              any(l.startswith(f"--listen: cannot listen on 127.0.0.1:{srv.port}: ")
                  for l in err.splitlines()), True)


# ---------------------------------------------------------------- 8. access log


@case
def access_log():
    d = S.fresh()
    admin, admin_info = make_key(d)
    client, client_info = make_key(d, "client", "acme")
    secrets = [admin, client]
    log = S.path("access", ".log")
    sent = []  # (method, path, tenant, key id)
    with Server(d, log=log) as srv:
        def req(method, path, body=None, key=None, headers=None, tenant=None, key_id=None):
            r = srv.request(method, path, body, key, headers)
            sent.append((method, path.split("?")[0], r.status, tenant, key_id, len(r.body)))
            return r
        waited = len(srv.statuses)  # the /healthz requests of the start
        req("PUT", "/v1/contracts/acme-leads-2026", compact(ACME), admin, None, "default",
            admin_info["id"])
        req("POST", "/v1/keys", compact({"role": "auditor"}), admin, None, "default",
            admin_info["id"])
        made = json.loads(req("POST", "/v1/keys", compact({"role": "csm"}), admin, None,
                              "default", admin_info["id"]).body)
        secrets.append(made["key"])
        req("GET", "/v1/contracts", None, made["key"], None, "default", made["info"]["id"])
        req("GET", "/v1/contracts/acme-leads-2026", None, client, None, "default",
            client_info["id"])
        req("GET", "/v1/results?contract=acme-leads-2026", None, client, None, "default",
            client_info["id"])
        req("POST", "/v1/events", as_array([lead("l1", "L-1")]), admin, None, "default",
            admin_info["id"])
        req("GET", "/v1/keys", None, client, None, "default", client_info["id"])  # 403
        req("GET", "/v1/contracts")  # 401
        req("GET", "/v1/contracts", None, f"rk_{admin_info['id']}_" + "0" * 64)  # 401
        req("GET", "/v1/contracts", None, None, {"Authorization": "Basic " + admin})  # 401
        req("GET", "/nope")
        req("GET", "/metrics")
        req("DELETE", "/v1/contracts", None, admin, None, "default", admin_info["id"])  # 405
        req("GET", "/v1/contracts/%zz", None, admin)  # 400 before the key is looked at
        req("DELETE", f"/v1/keys/{made['info']['id']}", None, admin, None, "default",
            admin_info["id"])
        rc, _ = srv.stop()
        check("serve exits 0", rc, 0)
        stderr = srv.stderr()
    with open(log, "rb") as f:
        raw = f.read()
    lines = raw.decode("utf-8", "replace").splitlines()
    check("one line per request", len(lines), waited + len(sent))
    docs = []
    for l in lines:
        try:
            docs.append(json.loads(l, object_pairs_hook=collections.OrderedDict))
        except ValueError:
            check("an access log line is JSON", l, "JSON")
    check("the fields of every line",
          sorted({tuple(x.keys()) for x in docs}),
          [("time", "remote", "method", "path", "status", "bytes", "seconds", "tenant",
            "key")])
    check("remote", sorted({x.get("remote") for x in docs}), ["127.0.0.1"])
    got = collections.Counter((x.get("method"), x.get("path"), x.get("status"),
                               x.get("tenant"), x.get("key")) for x in docs)
    want = collections.Counter([("GET", "/healthz", 200, None, None)] * waited +
                               [s[:5] for s in sent])
    check("method, path, status, tenant and key of every request", got, want)
    got_bytes = collections.Counter((x.get("method"), x.get("path"), x.get("status"),
                                     x.get("bytes")) for x in docs)
    want_bytes = collections.Counter([("GET", "/healthz", 200, 15)] * waited +
                                     [(s[0], s[1], s[2], s[5]) for s in sent])
    check("bytes of every answer", got_bytes, want_bytes)
    for x in docs:
        if not (isinstance(x.get("seconds"), float) and 0 <= x["seconds"] < 10 and
                re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", x.get("time", ""))):
            check("time and seconds of a line", x, "an RFC 3339 time and seconds >= 0")
            break
    # No secret anywhere: the log, the server's stderr, the data directory.
    for secret in secrets:
        sec = KEY_RE.fullmatch(secret).group(2)
        check("no key secret in the access log", sec.encode() in raw, False)
        check("no key secret on the server's stderr", sec.encode() in stderr, False)
        found = []
        for root, _, files in os.walk(d):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    if sec.encode() in f.read():
                        found.append(os.path.relpath(os.path.join(root, name), d))
        check("no key secret in the data directory (only its hash)", found, [])


if __name__ == "__main__":
    raise SystemExit(S.main())
