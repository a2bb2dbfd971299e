#!/bin/bash
# ingest.sh — the ingest benchmark (bench/README.md): durable ingest of the seeded workload
# (bench/gen_workload.c) by raas, and in the same run the baselines PostgreSQL 15 (COPY into
# jsonb, then a typed table with a unique (customer, id) index) and SQLite (the same two
# stages). Prints events/s, peak RSS and size on disk with the ratios raas/baseline and the
# targets, and writes the figures to WORK/bench-ingest.json.
#
# Run as root on Debian 12 from the repo root:  bench/ingest.sh [--events N] [options]
set -euo pipefail

usage() {
	cat <<'EOF'
usage: bench/ingest.sh [--events N] [--customers N] [--seed S] [--work DIR] [--port P]
                       [--only raas,pg,sqlite]
  --events N     events in the workload (default 5000000; the targets are for 5000000)
  --customers N  customers (default 1000)
  --seed S       generator seed (default 1)
  --work DIR     scratch directory (default /tmp/raas-bench-ingest); holds the workload,
                 the raas data directory, the SQLite database and bench-ingest.json
  --port P       port of the throw-away PostgreSQL cluster (default 54329, Unix socket only)
  --only LIST    run only these systems (comma-separated: raas, pg, sqlite)
Environment: RAAS=/path/to/raas uses that binary instead of building build/src/raas.
EOF
}

EVENTS=5000000
CUSTOMERS=1000
SEED=1
WORK=/tmp/raas-bench-ingest
PGPORT=54329
ONLY=raas,pg,sqlite
while [ $# -gt 0 ]; do
	case "$1" in
	--events) EVENTS=${2:?--events needs N}; shift 2 ;;
	--customers) CUSTOMERS=${2:?--customers needs N}; shift 2 ;;
	--seed) SEED=${2:?--seed needs S}; shift 2 ;;
	--work) WORK=${2:?--work needs DIR}; shift 2 ;;
	--port) PGPORT=${2:?--port needs P}; shift 2 ;;
	--only) ONLY=${2:?--only needs a list}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "ingest.sh: unknown option: $1" >&2; usage >&2; exit 1 ;;
	esac
done
for v in "$EVENTS" "$CUSTOMERS" "$SEED" "$PGPORT"; do
	case "$v" in '' | *[!0-9]*) echo "ingest.sh: not a number: $v" >&2; exit 1 ;; esac
done
want() { case ",$ONLY," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
PROG=ingest.sh
# shellcheck source=bench/lib.sh
. bench/lib.sh # say die now_ns secs need_packages pg_start pg_sampler pg_cleanup psql
[ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and runs PostgreSQL as postgres)"

# ---- packages (idempotent: apt is not touched when everything is present) ----
need_packages postgresql-15 sqlite3 libsqlite3-dev time python3 procps gcc

# ---- builds ----
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
BIN=$WORK/bin
RESULTS=$WORK/results.txt
mkdir -p "$BIN"
: >"$RESULTS"
record() { printf '%s %s\n' "$1" "$2" >>"$RESULTS"; }

CFLAGS="-O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wshadow -Wconversion
        -Wstrict-prototypes -Wmissing-prototypes -Werror -fno-strict-aliasing"
# shellcheck disable=SC2086
gcc $CFLAGS -o "$BIN/gen_workload" bench/gen_workload.c
# shellcheck disable=SC2086
gcc $CFLAGS -o "$BIN/sqlite_load" bench/sqlite_load.c -lsqlite3

raas_state=skipped
if want raas; then
	if [ -n "${RAAS:-}" ]; then
		raas_state=built
	else
		say "building raas (scripts/install-deps, scripts/build)"
		RAAS=$REPO/build/src/raas
		if scripts/install-deps >&2 && scripts/build >&2; then
			raas_state=built
		else
			echo "ingest.sh: raas did not build; its part is skipped" >&2
			raas_state=build-failed
		fi
	fi
fi

# ---- workload ----
W=$WORK/workload
say "generating $EVENTS events for $CUSTOMERS customers (seed $SEED) into $W"
rm -rf "$W"
t0=$(now_ns)
"$BIN/gen_workload" --events "$EVENTS" --customers "$CUSTOMERS" --seed "$SEED" --out "$W"
t1=$(now_ns)
record gen_seconds "$(secs "$t0" "$t1")"
N=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["events"])' "$W/workload.json")
NOISE=$(python3 -c 'import json,sys; b=json.load(open(sys.argv[1]))["by_type"]; print(b["page.view"]+b["email.open"])' "$W/workload.json")
record events "$N"
record bytes "$(du -sb "$W/events" | cut -f1)"
DAYS=("$W"/events/*.ndjson)
warm() { cat "${DAYS[@]}" >/dev/null; } # every system reads its input from the page cache

# ---- raas ----
if [ "$raas_state" = built ] && ! "$RAAS" help ingest >/dev/null 2>&1; then
	echo "raas ingest not available yet" >&2
	raas_state=unavailable
fi
record raas_state "$raas_state"
if [ "$raas_state" = built ]; then
	D=$WORK/raas-data
	R=$WORK/raas-reports
	say "raas: init and ${#DAYS[@]} chunks"
	rm -rf "$D" "$R"
	mkdir -p "$R"
	t0=$(now_ns)
	"$RAAS" init "$D" >/dev/null || die "raas init $D"
	for c in "$W"/contracts/*.json; do # setup, not timed
		"$RAAS" -d "$D" contract apply "$c" --now 2026-01-01T00:00:00Z >/dev/null ||
			die "raas contract apply $c"
	done
	t1=$(now_ns)
	record raas_setup_seconds "$(secs "$t0" "$t1")"
	# 10,000 events per durable batch: the default, pinned when the option exists.
	BATCH=()
	if "$RAAS" help ingest 2>/dev/null | grep -q -- '--batch'; then
		BATCH=(--batch 10000)
	fi
	NOWS=()
	for f in "${DAYS[@]}"; do
		day=$(basename "$f" .ndjson)
		NOWS+=("$(date -u -d "$day + 1 day" +%Y-%m-%dT%H:%M:%SZ)")
	done
	warm
	t0=$(now_ns)
	for i in "${!DAYS[@]}"; do
		/usr/bin/time -f %M -o "$R/$i.rss" "$RAAS" -d "$D" ingest "${DAYS[$i]}" \
			--now "${NOWS[$i]}" "${BATCH[@]}" >"$R/$i.json" ||
			die "raas ingest ${DAYS[$i]} --now ${NOWS[$i]} exited $? (report in $R/$i.json)"
	done
	t1=$(now_ns)
	/usr/bin/time -f %M -o "$R/reopen.rss" "$RAAS" -d "$D" ingest /dev/null \
		--now 2026-04-01T00:00:01Z >"$R/reopen.json" || die "raas reopen (empty ingest)"
	t2=$(now_ns)
	# For information: a reopen that must also look an id up (a duplicate of the first event).
	head -n 1 "${DAYS[0]}" >"$R/dup.ndjson"
	t3=$(now_ns)
	/usr/bin/time -f %M -o "$R/dup.rss" "$RAAS" -d "$D" ingest "$R/dup.ndjson" \
		--now 2026-04-01T00:00:02Z >"$R/dup.json" || die "raas reopen (one duplicate)"
	t4=$(now_ns)
	record raas_seconds "$(secs "$t0" "$t1")"
	record raas_reopen_seconds "$(secs "$t1" "$t2")"
	record raas_reopen_dup_seconds "$(secs "$t3" "$t4")"
	record raas_rss_kib "$(cat "$R"/[0-9]*.rss | sort -n | tail -1)"
	record raas_reopen_rss_kib "$(cat "$R/reopen.rss")"
	record raas_bytes "$(du -sb "$D" | cut -f1)"
	# The reports: every event accepted, none rejected, no conflict, no duplicate, and the
	# noise types (named by no contract) reported as unmatched.
	python3 - "$R" "${#DAYS[@]}" "$N" "$NOISE" <<'EOF' || die "raas ingest reports (in $R)"
import json, sys
r, days, n, noise = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
acc = dup = unm = 0
bad = []
for i in list(range(days)) + ["reopen"]:
    try:
        rep = json.load(open(f"{r}/{i}.json"))
    except ValueError as e:
        sys.exit(f"ingest.sh: {r}/{i}.json: not a JSON report: {e}")
    acc += rep["accepted"]; dup += rep["duplicates"]; unm += rep["unmatched"]["count"]
    if rep["rejected"] or rep["conflicts"]:
        bad.append(f"{r}/{i}.json: {len(rep['rejected'])} rejected, {len(rep['conflicts'])} "
                   f"conflicts, first: {(rep['rejected'] + rep['conflicts'])[0]}")
for b in bad:
    print("ingest.sh: " + b, file=sys.stderr)
if acc != n:
    bad.append(f"accepted {acc} events in total, the workload has {n}")
    print("ingest.sh: " + bad[-1], file=sys.stderr)
if dup:
    bad.append(f"{dup} duplicates reported, the workload has none")
    print("ingest.sh: " + bad[-1], file=sys.stderr)
dup_rep = json.load(open(f"{r}/dup.json"))
if (dup_rep["accepted"], dup_rep["duplicates"]) != (0, 1):
    bad.append(f"{r}/dup.json: re-sending the first event gave {dup_rep}, expected one duplicate")
    print("ingest.sh: " + bad[-1], file=sys.stderr)
if unm != noise:
    print(f"ingest.sh: WARNING: unmatched {unm}, expected {noise} (page.view + email.open)",
          file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
fi

# ---- PostgreSQL 15 ----
trap pg_cleanup EXIT
trap 'exit 130' INT TERM

if want pg; then
	say "PostgreSQL 15: throw-away cluster on port $PGPORT"
	pg_start
	psql -d postgres -c "CREATE DATABASE bench"
	psql -d bench -c "CREATE TABLE events_raw(doc jsonb NOT NULL)"
	psql -d bench -c "CREATE TABLE events_typed(customer text NOT NULL, id text NOT NULL,
		type text NOT NULL, time timestamptz NOT NULL, properties jsonb NOT NULL,
		UNIQUE (customer, id))"
	pg_sampler "$PM" "$PGROOT/pss" &
	SAMPLER=$!
	warm
	say "PostgreSQL: COPY of ${#DAYS[@]} day files into events_raw (jsonb)"
	t0=$(now_ns)
	for f in "${DAYS[@]}"; do # one COPY, one commit, per chunk
		psql -d bench -c "COPY events_raw(doc) FROM STDIN WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')" <"$f"
	done
	t1=$(now_ns)
	record pg_copy_seconds "$(secs "$t0" "$t1")"
	sleep 0.3
	record pg_copy_rss_kib "$(cat "$PGROOT/pss" 2>/dev/null || echo 0)"
	psql -d bench -c CHECKPOINT
	record pg_copy_bytes "$(psql -d bench -At -c "SELECT pg_database_size('bench')")"
	record pg_copy_cluster_bytes "$(du -sb "$PGDATA" | cut -f1)"
	say "PostgreSQL: INSERT … SELECT into events_typed (unique (customer, id))"
	t0=$(now_ns)
	psql -d bench -c "INSERT INTO events_typed SELECT doc->>'customer', doc->>'id',
		doc->>'type', (doc->>'time')::timestamptz, doc->'properties' FROM events_raw
		ON CONFLICT DO NOTHING"
	t1=$(now_ns)
	record pg_typed_seconds "$(secs "$t0" "$t1")"
	sleep 0.3
	record pg_full_rss_kib "$(cat "$PGROOT/pss" 2>/dev/null || echo 0)"
	psql -d bench -c CHECKPOINT
	record pg_full_bytes "$(psql -d bench -At -c "SELECT pg_database_size('bench')")"
	record pg_full_cluster_bytes "$(du -sb "$PGDATA" | cut -f1)"
	rows=$(psql -d bench -At -c "SELECT (SELECT count(*) FROM events_raw) || ' ' || (SELECT count(*) FROM events_typed)")
	[ "$rows" = "$N $N" ] || die "PostgreSQL holds $rows rows (raw typed), expected $N"
	pg_cleanup
	SAMPLER=""
	PGROOT=""
fi

# ---- SQLite ----
if want sqlite; then
	S=$WORK/sqlite
	rm -rf "$S"
	mkdir -p "$S"
	DB=$S/events.db
	warm
	say "SQLite $(sqlite3 --version | cut -d' ' -f1): json() into events_raw, one transaction per day file"
	t0=$(now_ns)
	rows=$(/usr/bin/time -f %M -o "$S/raw.rss" "$BIN/sqlite_load" "$DB" raw "${DAYS[@]}")
	t1=$(now_ns)
	[ "$rows" = "$N" ] || die "SQLite stored $rows raw rows, expected $N"
	record sqlite_raw_seconds "$(secs "$t0" "$t1")"
	record sqlite_raw_rss_kib "$(cat "$S/raw.rss")"
	"$BIN/sqlite_load" "$DB" checkpoint
	record sqlite_raw_bytes "$(du -cb "$DB"* | tail -1 | cut -f1)"
	say "SQLite: INSERT OR IGNORE … SELECT into events_typed (unique (customer, id))"
	t0=$(now_ns)
	rows=$(/usr/bin/time -f %M -o "$S/typed.rss" "$BIN/sqlite_load" "$DB" typed)
	t1=$(now_ns)
	[ "$rows" = "$N" ] || die "SQLite stored $rows typed rows, expected $N"
	record sqlite_typed_seconds "$(secs "$t0" "$t1")"
	record sqlite_typed_rss_kib "$(cat "$S/typed.rss")"
	"$BIN/sqlite_load" "$DB" checkpoint
	record sqlite_full_bytes "$(du -cb "$DB"* | tail -1 | cut -f1)"
fi

# ---- report ----
python3 - "$RESULTS" "$WORK/bench-ingest.json" "$EVENTS" "$SEED" "$CUSTOMERS" <<'EOF'
import json, os, platform, sys
res, out = sys.argv[1], sys.argv[2]
f = {}
for line in open(res):
    k, v = line.split(" ", 1)
    v = v.strip()
    try:
        f[k] = int(v)
    except ValueError:
        try:
            f[k] = float(v)
        except ValueError:
            f[k] = v
n = f["events"]
GIB = 1024 ** 3
rows = []
def row(name, seconds, rss_kib, size):
    rows.append({"system": name, "seconds": seconds, "events_per_s": n / seconds if seconds else None,
                 "peak_rss_bytes": rss_kib * 1024 if rss_kib is not None else None,
                 "size_bytes": size})
if f.get("raas_state") == "built":
    row("raas ingest (durable)", f["raas_seconds"], f["raas_rss_kib"], f["raas_bytes"])
if "pg_copy_seconds" in f:
    row("PostgreSQL 15 COPY -> jsonb", f["pg_copy_seconds"], f["pg_copy_rss_kib"], f["pg_copy_bytes"])
    row("PostgreSQL 15 COPY + typed (unique)", f["pg_copy_seconds"] + f["pg_typed_seconds"],
        f["pg_full_rss_kib"], f["pg_full_bytes"])
if "sqlite_raw_seconds" in f:
    row("SQLite json() insert", f["sqlite_raw_seconds"], f["sqlite_raw_rss_kib"], f["sqlite_raw_bytes"])
    row("SQLite insert + typed (unique)", f["sqlite_raw_seconds"] + f["sqlite_typed_seconds"],
        max(f["sqlite_raw_rss_kib"], f["sqlite_typed_rss_kib"]), f["sqlite_full_bytes"])
raas = rows[0] if rows and rows[0]["system"].startswith("raas") else None
for r in rows:
    if raas and r is not raas:
        r["ratio_events_per_s"] = raas["events_per_s"] / r["events_per_s"]
        r["ratio_rss"] = raas["peak_rss_bytes"] / r["peak_rss_bytes"] if r["peak_rss_bytes"] else None
        r["ratio_size"] = raas["size_bytes"] / r["size_bytes"]

def mib(b):
    return "-" if b is None else f"{b / 2**20:,.0f} MiB"
def ratio(x):
    return "-" if x is None else f"{x:.2f}x"
print()
print(f"ingest benchmark: {n:,} events ({f['bytes'] / 2**20:,.0f} MiB of NDJSON) in 90 daily chunks, "
      f"seed {sys.argv[4]}, {sys.argv[5]} customers; generated in {f['gen_seconds']:.1f} s")
hdr = f"{'system':38} {'seconds':>9} {'events/s':>12} {'peak RSS':>10} {'on disk':>10}   raas/baseline: {'ev/s':>7} {'RSS':>7} {'size':>7}"
print(hdr)
print("-" * len(hdr))
for r in rows:
    print(f"{r['system']:38} {r['seconds']:9.2f} {r['events_per_s']:12,.0f} {mib(r['peak_rss_bytes']):>10} "
          f"{mib(r['size_bytes']):>10}   {'':14} {ratio(r.get('ratio_events_per_s')):>7} "
          f"{ratio(r.get('ratio_rss')):>7} {ratio(r.get('ratio_size')):>7}")
targets = []
state = f.get("raas_state")
if raas:
    targets = [
        ("durable ingest >= 1,000,000 events/s", f"{raas['events_per_s']:,.0f} events/s", raas["events_per_s"] >= 1e6),
        ("peak RSS < 1.5 GiB", mib(raas["peak_rss_bytes"]), raas["peak_rss_bytes"] < 1.5 * GIB),
        ("reopen < 5 s", f"{f['raas_reopen_seconds']:.3f} s", f["raas_reopen_seconds"] < 5),
    ]
    extra = (f"reopen with one duplicate lookup {f['raas_reopen_dup_seconds']:.3f} s; "
             f"setup (init + {2 * int(sys.argv[5])} contract applies, not timed) "
             f"{f['raas_setup_seconds']:.1f} s")
    print()
    print("raas targets" + ("" if n == 5000000 else f" (set for 5,000,000 events; this run has {n:,})") + ":")
    for name, got, ok in targets:
        print(f"  {name:38} {got:>18}   {'met' if ok else 'NOT met'}")
    print("  " + extra)
else:
    print()
    print({"unavailable": "raas: raas ingest not available yet (targets not measured)",
           "build-failed": "raas: did not build (targets not measured)",
           "skipped": "raas: not run (--only)"}.get(state, "raas: not measured"))
if "pg_copy_cluster_bytes" in f:
    print(f"\nPostgreSQL cluster directory (tables, indexes, WAL): {mib(f['pg_copy_cluster_bytes'])} after COPY, "
          f"{mib(f['pg_full_cluster_bytes'])} after the typed insert; typed insert alone "
          f"{n / f['pg_typed_seconds']:,.0f} events/s")
if "sqlite_typed_seconds" in f:
    print(f"SQLite typed insert alone {n / f['sqlite_typed_seconds']:,.0f} events/s")
doc = {"events": n, "seed": int(sys.argv[4]), "customers": int(sys.argv[5]), "ndjson_bytes": f["bytes"],
       "machine": {"cpus": os.cpu_count(), "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
                   "kernel": platform.release()},
       "raw": f, "systems": rows,
       "raas": {"state": state, "reopen_seconds": f.get("raas_reopen_seconds"),
                "reopen_duplicate_seconds": f.get("raas_reopen_dup_seconds"),
                "targets": [{"target": t, "measured": g, "met": ok} for t, g, ok in targets]}}
with open(out, "w") as fh:
    json.dump(doc, fh, indent=2)
    fh.write("\n")
print(f"\nfigures: {out}")
EOF
