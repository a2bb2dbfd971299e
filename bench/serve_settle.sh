#!/bin/bash
# serve_settle.sh — ingest latency while the server settles (bench/README.md). `raas serve` runs
# on a copy of the ingest benchmark's store (bench/ingest.sh: 5,000,000 events, 1,000 customers,
# 2,000 contracts) with its clock after January–March have locked, so that its first settling
# pass starts cold (no caches) and locks, stores and checkpoints 6,000 invoices, and the later
# passes (every --interval seconds) find nothing new. Meanwhile a separate load process
# (bench/http_load.c --rate) sends paced `POST /v1/events` batches of new events; a request's
# latency counts from when it was due, so a stalled tenant is charged for every request queued
# behind the stall. Baseline in the same run: the same load against the same store with settling
# off (--settle-interval 0). Prints p50/p99/max latency of both next to the target (p99 < 50 ms,
# the server's latency target), each pass's length and how long it held the tenant (the access
# log's "settled" lines), and writes WORK/bench-serve-settle.json.
#
# Run as root on Debian 12 from the repo root:  bench/serve_settle.sh [options]
set -euo pipefail

usage() {
	cat <<'EOF'
usage: bench/serve_settle.sh [--seconds S] [--rate R] [--batch N] [--interval I] [--work DIR]
                             [--events N] [--customers N] [--seed S]
  --seconds S    how long each run sends (default 40)
  --rate R       requests a second (default 100)
  --batch N      events per request (default 100)
  --interval I   --settle-interval of the settling run (default 15: passes at 0 s, 15 s, 30 s)
  --work DIR     the ingest benchmark's scratch directory (default /tmp/raas-bench-ingest); its
                 store is reused when it was made with these options, else bench/ingest.sh
                 --only raas makes it first. This benchmark's files go to DIR/serve-settle.
  --events N, --customers N, --seed S
                 the ingest benchmark's workload (defaults 5000000, 1000, 1)
Environment: RAAS=/path/to/raas uses that binary instead of building build/src/raas.
EOF
}

SECONDS_RUN=40
RATE=100
BATCH=100
INTERVAL=15
WORK=/tmp/raas-bench-ingest
EVENTS=5000000
CUSTOMERS=1000
SEED=1
while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) SECONDS_RUN=${2:?--seconds needs S}; shift 2 ;;
	--rate) RATE=${2:?--rate needs R}; shift 2 ;;
	--batch) BATCH=${2:?--batch needs N}; shift 2 ;;
	--interval) INTERVAL=${2:?--interval needs I}; shift 2 ;;
	--work) WORK=${2:?--work needs DIR}; shift 2 ;;
	--events) EVENTS=${2:?--events needs N}; shift 2 ;;
	--customers) CUSTOMERS=${2:?--customers needs N}; shift 2 ;;
	--seed) SEED=${2:?--seed needs S}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "serve_settle.sh: unknown option: $1" >&2; usage >&2; exit 1 ;;
	esac
done
for v in "$SECONDS_RUN" "$RATE" "$BATCH" "$INTERVAL" "$EVENTS" "$CUSTOMERS" "$SEED"; do
	case "$v" in '' | *[!0-9]*) echo "serve_settle.sh: not a number: $v" >&2; exit 1 ;; esac
done
for v in "$SECONDS_RUN" "$RATE" "$BATCH" "$INTERVAL"; do
	[ "$v" -ge 1 ] || { echo "serve_settle.sh: --seconds, --rate, --batch and --interval must be at least 1" >&2; exit 1; }
done

REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
PROG=serve_settle.sh
# shellcheck source=bench/lib.sh
. bench/lib.sh # say die now_ns secs need_packages workload_ok raas_data_ok serve_start serve_stop
[ "$(id -u)" -eq 0 ] || die "run as root (it may install packages)"
need_packages gcc python3 procps

# The server's clock: every period of January–March 2026 has locked by then (March ends at
# 2026-04-01T00:00:00+08:00, plus lock_after 3d), April has not; the load's events are of
# 4 April (the 24-hour rule holds).
NOW=2026-04-05T00:00:00Z

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
W=$WORK/workload
D=$WORK/raas-data
R=$WORK/raas-reports
S=$WORK/serve-settle
BIN=$S/bin
rm -rf "$S"
mkdir -p "$BIN"

gcc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wshadow -Wconversion -Werror -D_GNU_SOURCE \
	-o "$BIN/http_load" bench/http_load.c -lpthread
if [ -z "${RAAS:-}" ]; then
	say "building raas (scripts/install-deps, scripts/build)"
	scripts/install-deps >&2 && scripts/build >&2 || die "raas did not build"
	RAAS=$REPO/build/src/raas
fi
if raas_data_ok; then
	say "reusing the ingested store $D"
else
	say "no raas data directory for these options in $WORK: bench/ingest.sh --only raas"
	RAAS=$RAAS bench/ingest.sh --events "$EVENTS" --customers "$CUSTOMERS" --seed "$SEED" \
		--work "$WORK" --only raas >&2 || die "bench/ingest.sh --only raas"
	raas_data_ok || die "bench/ingest.sh did not leave a complete store in $D"
fi

# ---- the load: new qualified leads of April for every customer, in paced batches ----
REQUESTS=$((SECONDS_RUN * RATE))
python3 - "$S/load.ndjson" "$REQUESTS" "$BATCH" "$CUSTOMERS" <<'EOF'
import sys
out, requests, batch, customers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
with open(out, "w") as f:
    for i in range(requests * batch):
        c = i % customers + 1
        f.write('{"id":"load-%d","customer":"c%04d","type":"lead.created",'
                '"time":"2026-04-04T12:00:00Z","properties":{"lead_id":"load-%d",'
                '"source":"vendor","score":80}}\n' % (i, c, i))
EOF

trap serve_stop EXIT
trap 'exit 130' INT TERM

# run NAME INTERVAL: a fresh copy of the store (not timed), the server, the load.
run() {
	local name=$1 interval=$2 data=$S/data-$1 key
	say "run '$name': --settle-interval $interval, $RATE requests/s of $BATCH events for $SECONDS_RUN s"
	rm -rf "$data" && cp -a "$D" "$data"
	sync
	key=$("$RAAS" -d "$data" tenant key default --role ingest --now "$NOW" 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])') || die "raas tenant key"
	serve_start "$data" "$S/serve-$name.out" "$S/serve-$name.err" --now "$NOW" \
		--settle-interval "$interval" --rate-limit 0 --access-log "$S/access-$name.log"
	"$BIN/http_load" --port "$PORT" --key "$key" --connections 4 --batch "$BATCH" --rate "$RATE" \
		"$S/load.ndjson" >"$S/load-$name.json" || die "the load of run '$name' failed (see above)"
	serve_stop
	rm -rf "$data"
}
run baseline 0
run settling "$INTERVAL"

python3 - "$S" "$SECONDS_RUN" "$RATE" "$BATCH" "$INTERVAL" "$WORK/bench-serve-settle.json" <<'EOF'
import json, sys
s, seconds, rate, batch, interval, out = sys.argv[1], *map(int, sys.argv[2:6]), sys.argv[6]
base = json.load(open(f"{s}/load-baseline.json"))
sett = json.load(open(f"{s}/load-settling.json"))
passes = []
for line in open(f"{s}/access-settling.log"):
    if line.startswith('{"settled"') or line.startswith('{"settle_failed"'):
        passes.append(json.loads(line))
failed = [p for p in passes if "settle_failed" in p]
if failed:
    sys.exit("serve_settle.sh: FAILED: a settling pass failed: %s" % failed[0])
if not passes or passes[0]["invoices"] != 6000:
    sys.exit("serve_settle.sh: FAILED: the first pass did not lock 6,000 invoices: %s" % passes[:1])
print()
print("ingest while settling: %d requests/s of %d events (%d events/s) for %d s, passes every %d s"
      % (rate, batch, rate * batch, seconds, interval))
print("%-34s %9s %9s %9s %9s" % ("run", "p50 ms", "p99 ms", "max ms", "errors"))
print("-" * 74)
for name, r in (("baseline (no settling)", base), ("settling", sett)):
    print("%-34s %9.2f %9.2f %9.2f %9d" % (name, r["p50_ms"], r["p99_ms"], r["max_ms"], r["errors"]))
print()
print("settling passes (access log):")
for i, p in enumerate(passes):
    if "seconds" in p:
        print("  pass %d: %5d invoices, %7.3f s, holding the tenant %.3f s"
              % (i + 1, p["invoices"], p["seconds"], p["held_seconds"]))
    else:  # a binary from before the pass timed itself
        print("  pass %d: %5d invoices" % (i + 1, p["invoices"]))
print()
verdict = "met" if sett["p99_ms"] < 50 else "NOT met"
print("target: p99 < 50 ms while settling: %.2f ms  %s (baseline %.2f ms, ratio %.2f)"
      % (sett["p99_ms"], verdict, base["p99_ms"], sett["p99_ms"] / base["p99_ms"] if base["p99_ms"] else 0))
json.dump({"seconds": seconds, "rate": rate, "batch": batch, "interval": interval,
           "baseline": base, "settling": sett, "passes": passes}, open(out, "w"), indent=1)
print("\nfigures: " + out)
EOF
