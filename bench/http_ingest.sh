#!/bin/bash
# http_ingest.sh — the HTTP ingest benchmark (bench/README.md): the seeded workload
# (bench/gen_workload.c) sent as `POST /v1/events` batches of 1,000 NDJSON events by a separate
# load process (bench/http_load.c) over loopback keep-alive connections to `raas serve`, on the
# same machine. Baseline in the same run: the same events through `raas ingest` (one process,
# no HTTP), so the figure shows what the HTTP layer costs. Prints events/s and p50/p99 request
# latency next to the targets (>= 400,000 events/s, p99 < 50 ms) and writes the figures to
# WORK/bench-http.json.
#
# Run as root on Debian 12 from the repo root:  bench/http_ingest.sh [--events N] [options]
set -euo pipefail

usage() {
	cat <<'USAGE'
usage: bench/http_ingest.sh [--events N] [--connections N] [--batch N] [--runs N] [--work DIR]
  --events N       events sent (default 1000000: the first days of the 5M-event workload)
  --connections N  concurrent keep-alive connections of the load process (default 4)
  --batch N        events per request (default 1000)
  --runs N         HTTP runs, each into a fresh copy of the store; the median is reported
                   (default 3)
  --work DIR       scratch directory (default /tmp/raas-bench-http)
Environment: RAAS=/path/to/raas uses that binary instead of building build/src/raas.
USAGE
}

EVENTS=1000000
CONNS=4
BATCH=1000
RUNS=3
WORK=/tmp/raas-bench-http
while [ $# -gt 0 ]; do
	case "$1" in
	--events) EVENTS=${2:?--events needs N}; shift 2 ;;
	--connections) CONNS=${2:?--connections needs N}; shift 2 ;;
	--batch) BATCH=${2:?--batch needs N}; shift 2 ;;
	--runs) RUNS=${2:?--runs needs N}; shift 2 ;;
	--work) WORK=${2:?--work needs DIR}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "http_ingest.sh: unknown option: $1" >&2; usage >&2; exit 1 ;;
	esac
done
for v in "$EVENTS" "$CONNS" "$BATCH" "$RUNS"; do
	case "$v" in '' | *[!0-9]* | 0) echo "http_ingest.sh: not a positive number: $v" >&2; exit 1 ;; esac
done

REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
PROG=http_ingest.sh
# shellcheck source=bench/lib.sh
. bench/lib.sh # say die now_ns secs need_packages serve_start serve_stop
need_packages gcc python3 procps

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
BIN=$WORK/bin
mkdir -p "$BIN"
CFLAGS="-O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wshadow -Wconversion -Werror"
# shellcheck disable=SC2086
gcc $CFLAGS -o "$BIN/gen_workload" bench/gen_workload.c
# shellcheck disable=SC2086
gcc $CFLAGS -D_GNU_SOURCE -o "$BIN/http_load" bench/http_load.c -lpthread
if [ -z "${RAAS:-}" ]; then
	say "building raas (scripts/install-deps, scripts/build)"
	scripts/install-deps >&2 && scripts/build >&2 || die "raas did not build"
	RAAS=$REPO/build/src/raas
fi

# ---- workload: whole days, enough of them for EVENTS ----
W=$WORK/workload
say "generating the workload (5,000,000 events, seed 1) into $W"
rm -rf "$W"
"$BIN/gen_workload" --events 5000000 --customers 1000 --seed 1 --out "$W" >/dev/null 2>&1 ||
	die "gen_workload"
FILES=()
n=0
for f in "$W"/events/*.ndjson; do
	FILES+=("$f")
	n=$((n + $(wc -l <"$f")))
	[ "$n" -ge "$EVENTS" ] && break
done
[ "$n" -ge "$EVENTS" ] || die "the workload has only $n events"
NOW=2026-04-01T00:00:00Z # after every event: the 24-hour rule holds for all

# ---- one store with the contracts, copied for every run (setup, not timed) ----
SEED=$WORK/seed-data
say "setup: init and 2000 contract applies"
rm -rf "$SEED"
"$RAAS" init "$SEED" >/dev/null 2>&1 || die "raas init"
for c in "$W"/contracts/*.json; do
	"$RAAS" -d "$SEED" contract apply "$c" --now 2026-01-01T00:00:00Z >/dev/null ||
		die "raas contract apply $c"
done
KEY=$("$RAAS" -d "$SEED" tenant key default --role ingest --now 2026-01-01T00:00:00Z 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])') || die "raas tenant key"

# ---- baseline: the same events through raas ingest, one process ----
say "baseline: raas ingest of the same $EVENTS events (one process, no HTTP)"
D=$WORK/cli-data
rm -rf "$D" && cp -a "$SEED" "$D"
awk -v n="$EVENTS" 'NR > n { exit } { print }' "${FILES[@]}" >"$WORK/events.ndjson"
cat "$WORK/events.ndjson" >/dev/null
t0=$(now_ns)
"$RAAS" -d "$D" ingest "$WORK/events.ndjson" --now "$NOW" >"$WORK/cli-report.json" ||
	die "raas ingest"
t1=$(now_ns)
CLI_SECS=$(secs "$t0" "$t1")
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["accepted"]==int(sys.argv[2]) and not r["rejected"] and not r["conflicts"] else 1)' \
	"$WORK/cli-report.json" "$EVENTS" || die "the CLI did not accept every event ($WORK/cli-report.json)"

# ---- HTTP runs ----
trap serve_stop EXIT
trap 'exit 130' INT TERM
: >"$WORK/http-runs.jsonl"
for run in $(seq "$RUNS"); do
	say "HTTP run $run of $RUNS: $CONNS connections, $BATCH events per request"
	D=$WORK/http-data
	rm -rf "$D" && cp -a "$SEED" "$D"
	serve_start "$D" "$WORK/serve.out" "$WORK/serve.err" --now "$NOW" --access-log none \
		--settle-interval 0 --rate-limit 0
	"$BIN/http_load" --port "$PORT" --key "$KEY" --connections "$CONNS" --batch "$BATCH" \
		--max-events "$EVENTS" "${FILES[@]}" >>"$WORK/http-runs.jsonl" ||
		die "the load failed (see above)"
	serve_stop
	tail -n 1 "$WORK/http-runs.jsonl" >&2
done

python3 - "$WORK" "$EVENTS" "$CLI_SECS" <<'PY'
import json, statistics, sys
work, events, cli_secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
runs = [json.loads(l) for l in open(f"{work}/http-runs.jsonl")]
med = sorted(runs, key=lambda r: r["events_per_s"])[len(runs) // 2]
cli_eps = events / cli_secs
out = {"events": events, "runs": runs, "median": med, "cli_seconds": cli_secs,
       "cli_events_per_s": round(cli_eps)}
json.dump(out, open(f"{work}/bench-http.json", "w"), indent=1)
def met(ok): return "met" if ok else "NOT met"
print(f"\nHTTP ingest benchmark: {events:,} events, batches of {med['batch']}, "
      f"{med['connections']} connections, median of {len(runs)} runs")
print(f"{'':40} {'events/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
for i, r in enumerate(runs):
    print(f"{'raas serve, run ' + str(i + 1):40} {r['events_per_s']:>10,.0f} {r['p50_ms']:>8.2f} "
          f"{r['p99_ms']:>8.2f} {r['max_ms']:>8.2f}")
print(f"{'baseline: raas ingest (one process)':40} {cli_eps:>10,.0f}")
print(f"\nHTTP / CLI: {med['events_per_s'] / cli_eps:.2f}")
print(f"targets:\n  >= 400,000 events/s over HTTP        {med['events_per_s']:>10,.0f}   "
      f"{met(med['events_per_s'] >= 400000)}\n"
      f"  p99 request latency < 50 ms           {med['p99_ms']:>10.2f}   {met(med['p99_ms'] < 50)}")
print(f"figures: {work}/bench-http.json")
PY
