#!/usr/bin/env python3
"""crash_ingest.py RAAS [ROUNDS] — the crash test of the store (events.md "An event is
acknowledged only after it is durably stored ... re-sending the whole batch is always safe",
evidence.md "Durability").

A large NDJSON file (200,000 events of 50 customers, ids reused across customers, a few
exact and equivalent repeats) is ingested again and again into one data directory with
`raas ingest FILE --now T --batch 1000`, each run SIGKILLed at a random moment (mostly while
it is writing new events) or sometimes left to finish; a fifth of the kills are followed by
a second writer killed within 30 ms (during its open, which recovers). A real kill rarely
lands inside a write, so in some kills the test then also cuts the log at a random byte
inside the batch that no derived state reflects yet — what a kill inside its write leaves.
After every kill, `raas ingest /dev/null --now T` opens the store (which must recover: cut
a torn tail, index what the derived state never saw) and the store is checked:

- the recovery run succeeds and reports nothing;
- the tenant's log, read by an independent reader of the record format of src/store/log.c
  (magic, lengths, zero padding, XXH3 checksums through libxxhash when it can be loaded,
  each leaf parsed as JSON), holds valid records only and ends exactly after the last one;
  its events are the first K distinct events of the file in file order, each exactly once,
  with the content of the file's event, consecutive per-customer sequence numbers and
  dense customer numbers; K never decreases (nothing that survived a recovery is lost);
- the derived state agrees: `covered` in state/ids.tbl is the log's end, state/customers
  lists every customer with its number of entries;
- a run that printed a report (acknowledged) accepted exactly the events not yet stored,
  counted the rest as duplicates, and left all of them stored.

A run that finishes ends an epoch: the file is re-ingested (accepted 0) and the next round
starts from a new data directory, so that most rounds write. At the end the last store is
re-ingested in full: accepted = the events never stored, duplicates = the rest, no
conflicts or rejections; then once more: accepted 0. Fixed seed; exit 1 on any violation.
Environment: CRASH_EVENTS overrides the number of events; CRASH_SECONDS (default 45) is the
time after which no new round starts, so the test stays under about a minute.
"""
import calendar
import ctypes
import hashlib
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

RAAS = sys.argv[1]
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 30
EVENTS = int(os.environ.get("CRASH_EVENTS", "200000"))
CUSTOMERS = 50
SEED = 20260105
BATCH = 1000
DEADLINE = float(os.environ.get("CRASH_SECONDS", "45"))  # no new round after this
NOW0 = 1769904000  # 2026-02-01T00:00:00Z; round r runs at NOW0 + r seconds

rng = random.Random(SEED)
violations = []


def violation(msg):
    violations.append(msg)
    print("VIOLATION: " + msg, flush=True)


def iso(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


# ---- the input ----


def make_events():
    """Returns (lines, unique): the NDJSON lines, and the distinct events in the order of
    their first line, as (customer, id, type, time, properties)."""
    per_customer = [0] * CUSTOMERS
    unique = []
    lines = []
    for _ in range(EVENTS):
        c = rng.randrange(CUSTOMERS)
        per_customer[c] += 1
        cust = "cust-%02d" % c
        ev_id = "ev-%d" % per_customer[c]  # the same ids recur for every customer
        t = NOW0 - 86400 * 30 + rng.randrange(86400 * 29)
        props = {"score": rng.randrange(100), "amount": "%d.%02d" % (rng.randrange(1000),
                                                                    rng.randrange(100)),
                 "source": rng.choice(["vendor", "web", "partner"]),
                 "utm": {"campaign": rng.choice(["spring", "fall"])}}
        typ = rng.choice(["lead.created", "lead.qualified", "hire.made"])
        unique.append((cust, ev_id, typ, iso(t), props))
        lines.append(json.dumps({"id": ev_id, "customer": cust, "type": typ, "time": iso(t),
                                 "properties": props}, separators=(",", ":")))
    # A few repeats later in the file: the same line, or the same content written otherwise
    # (another key order, the instant with an offset, a number as 1e1 for 10).
    repeats = []
    for _ in range(max(1, EVENTS // 500)):
        i = rng.randrange(len(unique))
        cust, ev_id, typ, t, props = unique[i]
        kind = rng.randrange(3)
        if kind == 0:
            text = lines[i]
        elif kind == 1:
            local = time.strftime("%Y-%m-%dT%H:%M:%S+01:00",
                                  time.gmtime(calendar.timegm(time.strptime(
                                      t, "%Y-%m-%dT%H:%M:%SZ")) + 3600))
            text = json.dumps({"properties": dict(reversed(list(props.items()))), "time": local,
                               "type": typ, "customer": cust, "id": ev_id},
                              separators=(",", ":"))
        else:
            s = props["score"]
            body = json.dumps(props, separators=(",", ":"))
            body = body.replace('{"score":%d,' % s, '{"score":%d.%de1,' % (s // 10, s % 10), 1)
            text = ('{"id":%s,"customer":%s,"type":%s,"time":%s,"properties":%s}'
                    % (json.dumps(ev_id), json.dumps(cust), json.dumps(typ), json.dumps(t), body))
        repeats.append((rng.randrange(i + 1, len(lines) + 1), text))
    for at, text in sorted(repeats, key=lambda r: -r[0]):
        lines.insert(at, text)
    return lines, unique


# ---- an independent reader of the log (src/store/log.c) ----

HDR = struct.Struct("<IIQBBHIQq")  # magic, length, checksum, kind, 0, 0, customer, seq, clock
MAGIC = 0x31524C52
SEG_SHIFT = 30
LEAF_KEYS = ["kind", "customer", "id", "type", "time", "received", "properties"]


def load_xxh3():
    try:
        import xxhash  # noqa: F401
        return lambda data, seed=0: xxhash.xxh3_64_intdigest(data, seed)
    except ImportError:
        pass
    for name in ("libxxhash.so.0", "libxxhash.so"):
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        lib.XXH3_64bits_withSeed.restype = ctypes.c_uint64
        lib.XXH3_64bits_withSeed.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint64]
        return lambda data, seed=0: lib.XXH3_64bits_withSeed(data, len(data), seed)
    return None


XXH3 = load_xxh3()


def segments(logdir):
    segs = []
    while os.path.exists(os.path.join(logdir, "%08d.seg" % len(segs))):
        segs.append(os.path.join(logdir, "%08d.seg" % len(segs)))
    return segs


def log_end(logdir):
    segs = segments(logdir)
    return ((len(segs) - 1) << SEG_SHIFT) | os.path.getsize(segs[-1])


def parse_records(data, start, strict, out):
    """Appends (offset, length, kind, customer_no, seq, clock, leaf) of the records of data
    from start to out; returns the offset where the valid records end. strict: a record that
    is not valid is a violation, and so is anything after the last record."""
    off = start
    while off < len(data):
        if len(data) - off < 40:
            break
        magic, length, csum, kind, r1, r2, cust_no, seq, clock = HDR.unpack_from(data, off)
        size = (40 + length + 7) & ~7
        if magic != MAGIC or length > (64 << 20) or off + size > len(data):
            break
        if kind < 1 or kind > 5 or r1 or r2 or any(data[off + 40 + length:off + size]):
            break
        leaf = bytes(data[off + 40:off + 40 + length])
        if XXH3 and csum != XXH3(leaf, XXH3(bytes(data[off + 16:off + 40]))):
            break
        out.append((off, length, kind, cust_no, seq, clock, leaf))
        off += size
    if strict and off != len(data):
        violation("log: %d bytes after the last valid record at offset %d"
                  % (len(data) - off, off))
    return off


def read_u64(path, off):
    with open(path, "rb") as f:
        f.seek(off)
        return struct.unpack("<Q", f.read(8))[0]


class Checker:
    """What the store must hold, checked incrementally after each recovery."""

    def __init__(self, datadir, unique, lines_count):
        self.datadir = datadir
        self.tdir = os.path.join(datadir, "tenants", "t-default")
        self.logdir = os.path.join(self.tdir, "log")
        self.unique = unique
        self.index = {(u[0], u[1]): n for n, u in enumerate(unique)}
        self.lines = lines_count
        self.verified = 0  # bytes of segment 0 verified
        self.digest = hashlib.sha1()
        self.stored = 0  # K: events in the log
        self.customer_no = {}  # customer -> number
        self.entries = []  # per customer number
        self.clocks = set()

    def reflected_end(self):
        """Before recovery: the offset after the last record the customer list counts (the
        derived state is saved only once a batch is durable: never past the log's records).
        None when the list counts more records than the log holds."""
        path = os.path.join(self.tdir, "state", "customers")
        counted = 0
        if os.path.exists(path):
            for line in open(path):
                counted += int(line.split(" ", 1)[0])
        with open(segments(self.logdir)[0], "rb") as f:
            data = f.read()
        if counted < self.stored:
            violation("state/customers counts %d entries, fewer than the %d recovered before"
                      % (counted, self.stored))
            return None
        off, n = self.verified, self.stored
        while n < counted:
            if len(data) - off < 40:
                return None
            length = struct.unpack_from("<I", data, off + 4)[0]
            off += (40 + length + 7) & ~7
            n += 1
        return off if off <= len(data) else None

    def tail_state(self):
        """Before recovery: (records past `covered`, torn bytes after them)."""
        covered = read_u64(os.path.join(self.tdir, "state", "ids.tbl"), 24)
        end = log_end(self.logdir)
        if covered > end:
            violation("ids.tbl covers %d bytes of a %d-byte log" % (covered, end))
            return 0, 0
        segs = segments(self.logdir)
        with open(segs[-1], "rb") as f:
            data = f.read()
        base = (len(segs) - 1) << SEG_SHIFT
        start = max(covered - base, 0)
        recs = []
        valid_end = parse_records(data, start, False, recs)
        return len(recs), len(data) - valid_end

    def check(self, now_max):
        segs = segments(self.logdir)
        if len(segs) != 1:
            violation("the log has %d segments" % len(segs))
            return
        with open(segs[0], "rb") as f:
            data = f.read()
        if len(data) < self.verified:
            violation("the log shrank from %d to %d bytes: acknowledged or recovered records "
                      "were lost" % (self.verified, len(data)))
            return
        if hashlib.sha1(data[:self.verified]).digest() != self.digest.digest():
            violation("the log's first %d bytes (verified before) changed" % self.verified)
            return
        recs = []
        parse_records(data, self.verified, True, recs)
        for off, length, kind, cust_no, seq, clock, leaf in recs:
            where = "log record at %d" % off
            if kind != 1:
                violation("%s: kind %d, not an event" % (where, kind))
                continue
            try:
                doc = json.loads(leaf.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                violation("%s: leaf is not JSON: %s" % (where, e))
                continue
            if list(doc.keys()) != LEAF_KEYS or doc["kind"] != "event":
                violation("%s: leaf keys %s" % (where, list(doc.keys())))
                continue
            key = (doc["customer"], doc["id"])
            n = self.index.get(key)
            if n is None:
                violation("%s: event %s is not in the input" % (where, key))
                continue
            if n != self.stored:
                if n < self.stored:
                    violation("%s: event %s stored twice" % (where, key))
                else:
                    violation("%s: event %s (#%d of the file) stored in place of #%d: the log "
                              "is not the file's events in order" % (where, key, n, self.stored))
                continue
            cust, ev_id, typ, t, props = self.unique[n]
            if doc["type"] != typ or doc["time"] != t or doc["properties"] != props:
                violation("%s: event %s stored with other content: %s" % (where, key, doc))
            if doc["received"] != iso(clock // 1000000) or clock % 1000000:
                violation("%s: received %s but record clock %d" % (where, doc["received"], clock))
            if clock // 1000000 > now_max or clock // 1000000 < NOW0:
                violation("%s: clock %d outside the rounds' clocks" % (where, clock))
            self.clocks.add(clock)
            no = self.customer_no.get(cust)
            if no is None:
                if cust_no != len(self.entries):
                    violation("%s: new customer %s numbered %d, expected %d"
                              % (where, cust, cust_no, len(self.entries)))
                    continue
                self.customer_no[cust] = no = cust_no
                self.entries.append(0)
            elif no != cust_no:
                violation("%s: customer %s numbered %d, before %d" % (where, cust, cust_no, no))
                continue
            if seq != self.entries[no]:
                violation("%s: %s entry sequence %d, expected %d"
                          % (where, cust, seq, self.entries[no]))
            self.entries[no] += 1
            self.stored += 1
        self.digest.update(data[self.verified:])
        self.verified = len(data)
        # The derived state agrees with the log.
        covered = read_u64(os.path.join(self.tdir, "state", "ids.tbl"), 24)
        if covered != len(data):
            violation("ids.tbl covers %d bytes, the log has %d" % (covered, len(data)))
        want = "".join("%d %s\n" % (self.entries[no], c)
                       for c, no in sorted(self.customer_no.items(), key=lambda x: x[1]))
        path = os.path.join(self.tdir, "state", "customers")
        have = open(path).read() if os.path.exists(path) else ""
        if have != want:
            violation("state/customers is %r, the log says %r" % (have[:200], want[:200]))


# ---- running raas ----


def raas(*args, timeout=120):
    return subprocess.run([RAAS, *args], capture_output=True, text=True, timeout=timeout)


def report_of(p, what):
    if p.returncode != 0:
        violation("%s: exit %d, stderr %r" % (what, p.returncode, p.stderr[-500:]))
        return None
    try:
        return json.loads(p.stdout)
    except json.JSONDecodeError:
        violation("%s: stdout is not a report: %r" % (what, p.stdout[:300]))
        return None


def expect_report(rep, what, accepted, duplicates, unmatched_customers=None):
    if rep is None:
        return
    want = {"accepted": accepted, "duplicates": duplicates, "rejected": [], "conflicts": [],
            "unmatched": {"count": accepted, "customers": unmatched_customers or []}}
    if unmatched_customers is None:
        want["unmatched"]["customers"] = [] if accepted == 0 else \
            rep.get("unmatched", {}).get("customers")
    if rep != want:
        short = {k: (v if k != "unmatched" else {"count": v.get("count")})
                 for k, v in rep.items()}
        violation("%s: report %s, expected accepted %d duplicates %d"
                  % (what, json.dumps(short)[:400], accepted, duplicates))


def new_store(workdir, epoch):
    datadir = os.path.join(workdir, "data-%d" % epoch)
    p = raas("init", datadir)
    if p.returncode != 0:
        violation("raas init: exit %d %s" % (p.returncode, p.stderr))
    return datadir


def ingest(datadir, path, now, batch=True):
    args = [RAAS, "ingest", path, "-d", datadir, "--now", iso(now)]
    if batch:
        args += ["--batch", str(BATCH)]
    return args


def main():
    started = time.time()
    workdir = tempfile.mkdtemp(prefix="raas-crash-")
    lines, unique = make_events()
    nlines, nunique = len(lines), len(unique)
    path = os.path.join(workdir, "events.ndjson")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("crash_ingest: %d lines, %d distinct events of %d customers, %d repeats; checksums %s"
          % (nlines, nunique, CUSTOMERS, nlines - nunique,
             "checked (XXH3)" if XXH3 else "not checked (no xxhash)"), flush=True)

    # Calibration: one whole run and one re-run into a scratch store (also a baseline).
    scratch = new_store(workdir, 999)
    t0 = time.time()
    rep = report_of(raas(*ingest(scratch, path, NOW0)[1:]), "baseline ingest")
    t_fresh = time.time() - t0
    expect_report(rep, "baseline ingest", nunique, nlines - nunique,
                  sorted({u[0] for u in unique}))
    t0 = time.time()
    rep = report_of(raas(*ingest(scratch, path, NOW0)[1:]), "baseline re-ingest")
    t_dup = time.time() - t0
    expect_report(rep, "baseline re-ingest", 0, nlines)
    shutil.rmtree(scratch)

    print("crash_ingest: calibration: a whole run %.2f s, a run of repeats only %.2f s"
          % (t_fresh, t_dup), flush=True)
    stats = {"cut": 0, "kills": 0, "finished": 0, "double": 0, "unindexed": 0, "torn": 0,
             "epochs": 1, "max_unindexed": 0}
    epoch = 0
    datadir = new_store(workdir, epoch)
    chk = Checker(datadir, unique, nlines)
    rounds_run = 0
    for r in range(ROUNDS):
        now = NOW0 + 1 + r
        last = r == ROUNDS - 1
        if time.time() - started > DEADLINE:
            print("crash_ingest: time budget reached after %d rounds" % r, flush=True)
            rounds_run = r
            break
        rounds_run = r + 1
        finish = not last and (rng.random() < 0.1)
        k_before = chk.stored
        dup_part = t_dup * k_before / nunique
        new_part = t_fresh * (nunique - k_before) / nunique
        size_before = os.path.getsize(segments(chk.logdir)[-1])
        proc = subprocess.Popen(ingest(datadir, path, now), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        t_start = time.time()
        killed = False
        if not finish:
            if rng.random() < 0.75:
                # Inside the writing part: once the log grows (the repeats of what is stored
                # already are behind), then at a random moment.
                while proc.poll() is None and time.time() - t_start < 30 and \
                        os.path.getsize(segments(chk.logdir)[-1]) == size_before:
                    time.sleep(0.002)
                extra = rng.uniform(0, new_part)
            else:
                extra = rng.uniform(0, dup_part + new_part)  # anywhere, the open included
            try:
                proc.wait(timeout=extra)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                killed = True
        delay = time.time() - t_start
        out, err = proc.communicate(timeout=300)
        what = "round %d" % r
        if killed and proc.returncode == -signal.SIGKILL:
            stats["kills"] += 1
            if rng.random() < 0.2:
                # Crash again, early: during the next writer's open (its recovery) or soon
                # after.
                stats["double"] += 1
                p2 = subprocess.Popen(ingest(datadir, path, now), stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE)
                time.sleep(rng.uniform(0, 0.03))
                p2.send_signal(signal.SIGKILL)
                p2.communicate(timeout=300)
            unindexed, torn = chk.tail_state()
            reflected = chk.reflected_end()
            if reflected is None:
                violation("%s: before recovery, state/customers counts records the log does "
                          "not hold" % what)
            if unindexed and not torn and reflected is not None and rng.random() < 0.4:
                # What a kill inside a write leaves: a prefix of the bytes of a batch that
                # no derived state reflects yet (not acknowledged: the report comes after
                # the whole run).
                segs = segments(chk.logdir)
                covered = read_u64(os.path.join(chk.tdir, "state", "ids.tbl"), 24)
                floor = max(covered - ((len(segs) - 1) << SEG_SHIFT), reflected)
                size = os.path.getsize(segs[-1])
                if floor < size:
                    os.truncate(segs[-1], rng.randrange(floor + 1, size))
                    stats["cut"] += 1
                    unindexed, torn = chk.tail_state()
            stats["unindexed"] += unindexed > 0
            stats["torn"] += torn > 0
            stats["max_unindexed"] = max(stats["max_unindexed"], unindexed)
            rec = raas("ingest", "/dev/null", "-d", datadir, "--now", iso(now))
            rep = report_of(rec, what + " recovery")
            expect_report(rep, what + " recovery", 0, 0, [])
            if rec.stderr:
                violation("%s recovery: stderr %r" % (what, rec.stderr[:300]))
            chk.check(now)
            # evidence.md: the recovered store verifies (checksums, sequences, checkpoints).
            ver = raas("verify", "-d", datadir)
            if ver.returncode != 0:
                violation("%s: raas verify of the recovered store: exit %d, %r"
                          % (what, ver.returncode, ver.stderr[-300:]))
            print("round %2d: killed after %4.0f ms; tail: %4d unindexed records, %5d torn "
                  "bytes; stored %6d of %d" % (r, delay * 1000, unindexed, torn, chk.stored,
                                               nunique), flush=True)
            if chk.stored < k_before:
                violation("%s: %d events stored before, %d now" % (what, k_before, chk.stored))
            continue
        # The run finished (or ended before the kill): its report is an acknowledgement.
        stats["finished"] += 1
        p = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
        rep = report_of(p, what)
        new = unique[k_before:]
        expect_report(rep, what, nunique - k_before, nlines - (nunique - k_before),
                      sorted({u[0] for u in new}))
        chk.check(now)
        if chk.stored != nunique:
            violation("%s: the run was acknowledged but %d of %d events are stored"
                      % (what, chk.stored, nunique))
        print("round %2d: finished; accepted %d; stored %d of %d"
              % (r, rep["accepted"] if rep else -1, chk.stored, nunique), flush=True)
        # End of the epoch: nothing more to accept; a new store for the next rounds.
        rep = report_of(raas(*ingest(datadir, path, now)[1:]), what + " re-ingest")
        expect_report(rep, what + " re-ingest", 0, nlines)
        if not last:
            epoch += 1
            stats["epochs"] += 1
            datadir = new_store(workdir, epoch)
            chk = Checker(datadir, unique, nlines)

    # The last store: everything never stored is accepted now, the rest are duplicates.
    now = NOW0 + 1 + ROUNDS
    k = chk.stored
    rep = report_of(raas(*ingest(datadir, path, now)[1:]), "final ingest")
    expect_report(rep, "final ingest", nunique - k, nlines - (nunique - k),
                  sorted({u[0] for u in unique[k:]}))
    chk.check(now)
    if chk.stored != nunique:
        violation("final ingest: %d of %d events stored" % (chk.stored, nunique))
    rep = report_of(raas(*ingest(datadir, path, now)[1:]), "final re-ingest")
    expect_report(rep, "final re-ingest", 0, nlines)
    ver = raas("verify", "-d", datadir)
    if ver.returncode != 0 or not ver.stdout.endswith("verified: %s\n" % datadir):
        violation("final store: raas verify: exit %d, %r" % (ver.returncode, ver.stderr[-300:]))
    # A fresh reader of the whole log, from scratch, agrees.
    full = Checker(datadir, unique, nlines)
    full.check(now)
    if full.stored != nunique:
        violation("final log: %d of %d events" % (full.stored, nunique))
    # The recorded clock never goes back.
    p = raas("ingest", "/dev/null", "-d", datadir, "--now", iso(NOW0))
    if p.returncode != 2 or p.stdout:
        violation("an ingest with an earlier clock: exit %d (expected 2)" % p.returncode)

    print("crash_ingest: %d rounds (%d epochs): %d SIGKILLs (%d followed by a second early "
          "kill), %d finished; %d kills left unindexed records (at most %d), %d left a torn "
          "tail (%d of them cut by the test inside the unindexed batch); final store holds %d of %d events; %d violations; %.1f s"
          % (rounds_run, stats["epochs"], stats["kills"], stats["double"], stats["finished"],
             stats["unindexed"], stats["max_unindexed"], stats["torn"], stats["cut"], full.stored, nunique,
             len(violations), time.time() - started), flush=True)
    if violations:
        print("crash_ingest: FAILED (data kept in %s)" % workdir)
        return 1
    shutil.rmtree(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
