#!/bin/bash
# settle.sh — the settlement benchmark (bench/README.md): `raas settle` of every customer-month of
# the ingest benchmark's store (bench/ingest.sh, the workload of bench/gen_workload.c), and in the
# same run the PostgreSQL 15 baseline computing the same invoices in SQL (bench/settle_pg.sql)
# after ANALYZE. Checks with bench/settle_compare.py that both give the same invoices, prints the
# times, peak RSS and the ratio PG/raas against the targets, and writes WORK/bench-settle.json.
#
# Run as root on Debian 12 from the repo root:  bench/settle.sh [--events N] [options]
set -euo pipefail

usage() {
	cat <<'EOF'
usage: bench/settle.sh [--events N] [--customers N] [--seed S] [--work DIR] [--port P]
                       [--runs K] [--only raas,pg]
  --events N     events in the workload (default 5000000; the targets are for 5000000)
  --customers N  customers (default 1000)
  --seed S       generator seed (default 1)
  --work DIR     the ingest benchmark's scratch directory (default /tmp/raas-bench-ingest). Its
                 workload and raas data directory are reused when they were made with these
                 options; otherwise `bench/ingest.sh --only raas` makes them first. The settle
                 outputs and bench-settle.json go to DIR/settle and DIR.
  --port P       port of the throw-away PostgreSQL cluster (default 54329, Unix socket only)
  --runs K       timed runs of each system (default 3; the median is reported). raas settles
                 a fresh copy of the data directory each run (the copy is not timed).
  --only LIST    run only these systems (comma-separated: raas, pg); the comparison needs both
Environment: RAAS=/path/to/raas uses that binary instead of building build/src/raas.
EOF
}

EVENTS=5000000
CUSTOMERS=1000
SEED=1
WORK=/tmp/raas-bench-ingest
PGPORT=54329
RUNS=3
ONLY=raas,pg
while [ $# -gt 0 ]; do
	case "$1" in
	--events) EVENTS=${2:?--events needs N}; shift 2 ;;
	--customers) CUSTOMERS=${2:?--customers needs N}; shift 2 ;;
	--seed) SEED=${2:?--seed needs S}; shift 2 ;;
	--work) WORK=${2:?--work needs DIR}; shift 2 ;;
	--port) PGPORT=${2:?--port needs P}; shift 2 ;;
	--runs) RUNS=${2:?--runs needs K}; shift 2 ;;
	--only) ONLY=${2:?--only needs a list}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "settle.sh: unknown option: $1" >&2; usage >&2; exit 1 ;;
	esac
done
for v in "$EVENTS" "$CUSTOMERS" "$SEED" "$PGPORT" "$RUNS"; do
	case "$v" in '' | *[!0-9]*) echo "settle.sh: not a number: $v" >&2; exit 1 ;; esac
done
[ "$RUNS" -ge 1 ] || { echo "settle.sh: --runs must be at least 1" >&2; exit 1; }
want() { case ",$ONLY," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
PROG=settle.sh
# shellcheck source=bench/lib.sh
. bench/lib.sh # say die now_ns secs need_packages workload_ok raas_data_ok pg_start pg_sampler pg_cleanup psql
[ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and runs PostgreSQL as postgres)"

# The settle clock: every period of January–March 2026 (the workload's months) has locked by
# then (month end in +08:00 + lock_after 3d = 2026-04-04T00:00:00+08:00 for March); April has not.
SETTLE_NOW=2026-04-04T00:00:00Z

# ---- packages (idempotent: apt is not touched when everything is present) ----
need_packages postgresql-15 time python3 procps gcc

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
W=$WORK/workload
D=$WORK/raas-data
R=$WORK/raas-reports
S=$WORK/settle
RESULTS=$S/results.txt
rm -rf "$S"
mkdir -p "$S"
: >"$RESULTS"
record() { printf '%s %s\n' "$1" "$2" >>"$RESULTS"; }

# ---- raas: binary, and the ingested store ----
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
			echo "settle.sh: raas did not build; its part is skipped" >&2
			raas_state=build-failed
		fi
	fi
	if [ "$raas_state" = built ] && ! "$RAAS" help settle >/dev/null 2>&1; then
		echo "raas settle not available yet" >&2
		raas_state=unavailable
	fi
fi
OPTS=(--events "$EVENTS" --customers "$CUSTOMERS" --seed "$SEED" --work "$WORK" --port "$PGPORT")
if [ "$raas_state" = built ]; then
	if raas_data_ok; then
		say "reusing the ingested store $D"
	else
		say "no raas data directory for these options in $WORK: bench/ingest.sh --only raas"
		RAAS=$RAAS bench/ingest.sh "${OPTS[@]}" --only raas >&2 || die "bench/ingest.sh --only raas"
		raas_data_ok || die "bench/ingest.sh did not leave a complete store in $D"
	fi
elif ! workload_ok; then # the baseline alone needs only the workload
	say "generating $EVENTS events for $CUSTOMERS customers (seed $SEED) into $W"
	mkdir -p "$WORK/bin"
	gcc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -o "$WORK/bin/gen_workload" bench/gen_workload.c
	rm -rf "$W"
	"$WORK/bin/gen_workload" --events "$EVENTS" --customers "$CUSTOMERS" --seed "$SEED" --out "$W"
	workload_ok || die "no workload in $W"
fi
record raas_state "$raas_state"
N=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["events"])' "$W/workload.json")
record events "$N"
DAYS=("$W"/events/*.ndjson)
CONTRACTS=("$W"/contracts/*.json)
record contracts "${#CONTRACTS[@]}"

# ---- raas settle ----
if [ "$raas_state" = built ]; then
	BENCH_BIN=${SETTLE_BENCH:-$REPO/build/bench/settle_bench}
	[ -x "$BENCH_BIN" ] || die "no $BENCH_BIN (scripts/build makes it; SETTLE_BENCH=path overrides)"
	jget() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
	# Cold: a copy without the derived facts caches, so the ledgers come from the log alone.
	C=$S/raas-data.copy
	rm -rf "$C"
	cp -a "$D" "$C"
	rm -rf "$C"/tenants/*/state/facts
	sync
	"$BENCH_BIN" "$C" "$SETTLE_NOW" "$S/bench-cold.ndjson" >"$S/bench-cold.json" ||
		die "settle_bench (cold) failed"
	record raas_cold_load_seconds "$(jget "$S/bench-cold.json" load_seconds)"
	# The open store: its derived state (the facts caches) built, as any earlier read leaves it.
	"$BENCH_BIN" "$D" "$SETTLE_NOW" "$S/bench-warm.ndjson" >/dev/null || die "settle_bench (warm-up) failed"
	say "raas: settle --now $SETTLE_NOW, $RUNS runs, each on a fresh copy of $D"
	for i in $(seq 1 "$RUNS"); do
		C=$S/raas-data.copy
		rm -rf "$C"
		cp -a "$D" "$C"
		sync # the copy's writeback must not run during the timing
		find "$C" -type f -exec cat {} + >/dev/null # read from the page cache, as PostgreSQL is
		# The phases, read-only: open, load the ledgers, compute every locked invoice.
		"$BENCH_BIN" "$C" "$SETTLE_NOW" "$S/bench.$i.ndjson" >"$S/bench.$i.json" ||
			die "settle_bench failed"
		record raas_phase_run_seconds "$(jget "$S/bench.$i.json" settle_seconds)"
		record raas_load_run_seconds "$(jget "$S/bench.$i.json" load_seconds)"
		t0=$(now_ns)
		/usr/bin/time -f %M -o "$S/raas.$i.rss" "$RAAS" -d "$C" settle --now "$SETTLE_NOW" \
			>"$S/raas.$i.ndjson" 2>"$S/raas.$i.err" ||
			die "raas settle exited $? (stderr in $S/raas.$i.err)"
		[ -s "$S/raas.$i.ndjson" ] ||
			die "raas settle printed no invoice: were the periods of $D settled before?"
		t1=$(now_ns)
		record "raas_run_seconds" "$(secs "$t0" "$t1")"
		record "raas_run_rss_kib" "$(cat "$S/raas.$i.rss")"
		[ "$i" -eq 1 ] || cmp -s "$S/raas.1.ndjson" "$S/raas.$i.ndjson" ||
			die "raas settle printed different invoices in runs 1 and $i"
	done
	rm -rf "$S/raas-data.copy"
	record raas_invoices "$(wc -l <"$S/raas.1.ndjson")"
fi

# ---- PostgreSQL 15 ----
trap pg_cleanup EXIT
trap 'exit 130' INT TERM

if want pg; then
	say "PostgreSQL 15: throw-away cluster on port $PGPORT"
	pg_start
	psql -d postgres -c "CREATE DATABASE bench"
	# The schema a Postgres-based billing stack would have: the events as received (typed
	# columns, properties as jsonb, the received time, unique (customer, id)) and the contract
	# parameters as tables.
	psql -d bench <<'EOF'
SET TimeZone = 'UTC';
CREATE TABLE events_raw(doc jsonb NOT NULL,
	received timestamptz NOT NULL DEFAULT current_setting('bench.received')::timestamptz);
CREATE TABLE events(customer text NOT NULL, id text NOT NULL, type text NOT NULL,
	time timestamptz NOT NULL, received timestamptz NOT NULL, properties jsonb NOT NULL,
	PRIMARY KEY (customer, id));
CREATE TABLE contract_docs(doc jsonb NOT NULL);
-- "90d", "36h", "30m", "45s" (contracts.md) as an exact interval.
CREATE FUNCTION duration(d text) RETURNS interval IMMUTABLE STRICT LANGUAGE sql AS $$
	SELECT (substring(d FROM '^[0-9]+')::bigint
	        * CASE right(d, 1) WHEN 'd' THEN 86400 WHEN 'h' THEN 3600 WHEN 'm' THEN 60 ELSE 1 END
	        || ' seconds')::interval $$;
-- An instant as settlement.md writes it, in the contract's zone (offset off, written tz).
CREATE FUNCTION ts_text(t timestamptz, off interval, tz text) RETURNS text IMMUTABLE STRICT
LANGUAGE sql AS $$
	SELECT to_char((t AT TIME ZONE 'UTC') + off, 'YYYY-MM-DD"T"HH24:MI:SS')
	       || CASE WHEN extract(microseconds FROM t)::bigint % 1000000 <> 0
	               THEN '.' || to_char(t AT TIME ZONE 'UTC', 'US') ELSE '' END || tz $$;
EOF
	warm() { cat "${DAYS[@]}" >/dev/null; }
	warm
	say "PostgreSQL: load ${#DAYS[@]} day files (COPY, received = the chunk's end) and ${#CONTRACTS[@]} contracts"
	t0=$(now_ns)
	for f in "${DAYS[@]}"; do # one COPY per chunk, received at its end as raas was told
		day=$(basename "$f" .ndjson)
		psql -d bench -c "SET bench.received = '$(date -u -d "$day + 1 day" +%Y-%m-%dT%H:%M:%SZ)'" \
			-c "COPY events_raw(doc) FROM STDIN WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')" <"$f"
	done
	psql -d bench -c "INSERT INTO events SELECT doc->>'customer', doc->>'id', doc->>'type',
		(doc->>'time')::timestamptz, received, doc->'properties' FROM events_raw
		ON CONFLICT DO NOTHING" -c "DROP TABLE events_raw"
	python3 -c '
import json, sys
for p in sys.argv[1:]:
    print(json.dumps(json.load(open(p)), ensure_ascii=False, separators=(",", ":")))' "${CONTRACTS[@]}" |
		psql -d bench -c "COPY contract_docs(doc) FROM STDIN WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
	psql -d bench <<'EOF'
SET TimeZone = 'UTC';
-- The contract parameters, keyed by an integer cid (as a billing schema would key them).
CREATE TABLE contracts AS
SELECT (row_number() OVER (ORDER BY doc->>'id'))::int AS cid, doc->>'id' AS id,
       doc->>'customer' AS customer, doc->>'currency' AS currency,
       coalesce((doc->>'currency_exponent')::int, 2) AS minor,
       coalesce(doc->>'timezone', 'Z') AS timezone,
       CASE WHEN coalesce(doc->>'timezone', 'Z') = 'Z' THEN interval '0'
            ELSE (CASE left(doc->>'timezone', 1) WHEN '-' THEN -1 ELSE 1 END)
                 * (substr(doc->>'timezone', 2, 2)::int * interval '1 hour'
                    + substr(doc->>'timezone', 5, 2)::int * interval '1 minute') END AS tzoff,
       doc->>'period' AS period, (doc->>'start')::date AS start_date, (doc->>'end')::date AS end_date,
       duration(coalesce(doc->>'lock_after', '0d')) AS lock_after,
       duration(coalesce(doc->>'corrections_within', '90d')) AS corrections_within,
       (doc->>'minimum')::numeric AS minimum, (doc->>'cap')::numeric AS cap, doc
FROM contract_docs;
ALTER TABLE contracts ADD PRIMARY KEY (cid), ADD UNIQUE (id), ADD COLUMN tz_text text;
UPDATE contracts SET tz_text = CASE WHEN tzoff = interval '0' THEN 'Z' ELSE timezone END;
CREATE TABLE result_defs AS
SELECT c.cid, r.ord::int AS def_idx, r.d->>'name' AS name, r.d->>'on' AS on_type,
       r.d->>'where' AS where_expr, string_to_array(r.d->>'entity', '.') AS entity_path,
       string_to_array(r.d->>'value', '.') AS value_path,
       duration(coalesce(r.d->>'hold', '0s')) AS hold, r.d->'reversed_by'->>'on' AS rev_type,
       r.d->'price'->>'model' AS model, coalesce(r.d->'price'->>'measure', 'count') AS measure,
       (r.d->'price'->>'amount')::numeric AS unit_amount, (r.d->'price'->>'rate')::numeric AS rate,
       (r.d->'price'->>'min')::numeric AS pct_min, (r.d->'price'->>'max')::numeric AS pct_max, r.d
FROM contracts c, jsonb_array_elements(c.doc->'results') WITH ORDINALITY AS r(d, ord);
ALTER TABLE result_defs ADD PRIMARY KEY (cid, def_idx);
CREATE TABLE tiers AS
SELECT d.cid, d.def_idx, t.ord::int AS tier_idx, (t.t->>'up_to')::numeric AS up_to,
       coalesce(lag((t.t->>'up_to')::numeric) OVER (PARTITION BY d.cid, d.def_idx ORDER BY t.ord), 0) AS lower,
       (t.t->>'amount')::numeric AS amount, coalesce((t.t->>'flat')::numeric, 0) AS flat
FROM result_defs d, jsonb_array_elements(d.d->'price'->'tiers') WITH ORDINALITY AS t(t, ord);
ALTER TABLE tiers ADD PRIMARY KEY (cid, def_idx, tier_idx);
-- The event types each definition reads: its achieving type and its reversing type.
CREATE TABLE def_types AS
SELECT d.cid, c.customer, d.def_idx, d.on_type AS type, true AS achieving
FROM result_defs d JOIN contracts c USING (cid)
UNION ALL
SELECT d.cid, c.customer, d.def_idx, d.rev_type, false
FROM result_defs d JOIN contracts c USING (cid)
WHERE d.rev_type IS NOT NULL;
CREATE TABLE fees AS
SELECT c.cid, f.ord::int AS fee_idx, f.f->>'name' AS name, (f.f->>'amount')::numeric AS amount
FROM contracts c, jsonb_array_elements(coalesce(c.doc->'fees', '[]')) WITH ORDINALITY AS f(f, ord);
ALTER TABLE fees ADD PRIMARY KEY (cid, fee_idx);
-- What settle_pg.sql implements; anything else stops the benchmark rather than be mis-billed.
DO $$
DECLARE bad text;
BEGIN
	SELECT string_agg(DISTINCT why, '; ') INTO bad FROM (
		SELECT id || ': period ' || period AS why FROM contracts WHERE period <> 'month'
		UNION ALL SELECT id || ': has an end' FROM contracts WHERE end_date IS NOT NULL
		UNION ALL SELECT id || ': starts inside a month' FROM contracts WHERE extract(day FROM start_date) <> 1
		UNION ALL SELECT id || ': currency ' || currency FROM contracts
		          WHERE currency <> 'CNY' AND NOT doc ? 'currency_exponent'
		UNION ALL SELECT c.id || ': where ' || d.where_expr FROM result_defs d JOIN contracts c USING (cid)
		          WHERE d.where_expr <> 'source == ''vendor'' && score >= 60'
		UNION ALL SELECT c.id || ': requires/clawback_within/reversed_by.where' FROM result_defs d
		          JOIN contracts c USING (cid)
		          WHERE d.d ? 'requires' OR d.d ? 'clawback_within' OR d.d->'reversed_by' ? 'where'
		UNION ALL SELECT c.id || ': price model ' || d.model FROM result_defs d JOIN contracts c USING (cid)
		          WHERE d.model NOT IN ('unit', 'graduated', 'percentage')) w;
	IF bad IS NOT NULL THEN
		RAISE EXCEPTION 'settle_pg.sql does not implement: %', bad;
	END IF;
END $$;
EOF
	t1=$(now_ns)
	record pg_load_seconds "$(secs "$t0" "$t1")"
	t0=$(now_ns)
	psql -d bench -c "ANALYZE"
	t1=$(now_ns)
	record pg_analyze_seconds "$(secs "$t0" "$t1")"
	rows=$(psql -d bench -At -c "SELECT count(*) FROM events")
	[ "$rows" = "$N" ] || die "PostgreSQL holds $rows events, expected $N"
	psql -d bench -c CHECKPOINT
	record pg_bytes "$(psql -d bench -At -c "SELECT pg_database_size('bench')")"
	# The timed query, RUNS times. The backend's peak RSS is its VmHWM (it includes the shared
	# buffers it touched); the cluster's is the sampled sum of PSS (parallel workers included).
	say "PostgreSQL: settle_pg.sql at $SETTLE_NOW, $RUNS runs"
	for i in $(seq 1 "$RUNS"); do
		pg_sampler "$PM" "$PGROOT/pss.$i" &
		SAMPLER=$!
		t0=$(now_ns)
		psql -d bench -At -v now="$SETTLE_NOW" -v out="$S/pg.$i.ndjson" -v hwm="$S/pg.$i.hwm" <<'EOF'
SELECT pg_backend_pid() AS pid \gset
\o :out
\i bench/settle_pg.sql
\o
\setenv BACKEND :pid
\setenv HWM :hwm
\! sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$BACKEND/status >"$HWM"
EOF
		t1=$(now_ns)
		record pg_run_seconds "$(secs "$t0" "$t1")"
		record pg_run_backend_rss_kib "$(cat "$S/pg.$i.hwm")"
		sleep 0.3
		kill "$SAMPLER" 2>/dev/null || true
		wait "$SAMPLER" 2>/dev/null || true
		SAMPLER=""
		record pg_run_cluster_pss_kib "$(cat "$PGROOT/pss.$i" 2>/dev/null || echo 0)"
		[ "$i" -eq 1 ] || cmp -s "$S/pg.1.ndjson" "$S/pg.$i.ndjson" ||
			die "PostgreSQL gave different invoices in runs 1 and $i"
	done
	record pg_invoices "$(wc -l <"$S/pg.1.ndjson")"
	pg_cleanup
	SAMPLER=""
	PGROOT=""
fi

# ---- compare ----
compare_rc=skipped
if [ -f "$S/raas.1.ndjson" ] && [ -f "$S/pg.1.ndjson" ]; then
	say "comparing the invoices of raas and PostgreSQL"
	if python3 bench/settle_compare.py "$S/raas.1.ndjson" "$S/pg.1.ndjson" --json "$S/compare.json" \
		>"$S/compare.txt"; then
		compare_rc=0
	else
		compare_rc=$?
	fi
fi
record compare_rc "$compare_rc"

# ---- report ----
python3 - "$RESULTS" "$WORK/bench-settle.json" "$EVENTS" "$SEED" "$CUSTOMERS" "$S/compare.json" "$SETTLE_NOW" \
	"$S/compare.txt" <<'EOF'
import json, os, platform, statistics, sys
res, out, now = sys.argv[1], sys.argv[2], sys.argv[7]
f, runs = {}, {}
for line in open(res):
    k, v = line.split(" ", 1)
    v = v.strip()
    try:
        v = int(v)
    except ValueError:
        try:
            v = float(v)
        except ValueError:
            pass
    if k.endswith(("_run_seconds", "_run_rss_kib", "_run_backend_rss_kib", "_run_cluster_pss_kib")):
        runs.setdefault(k, []).append(v)
    else:
        f[k] = v
med = {k: statistics.median(v) for k, v in runs.items()}
n = f["events"]
compare = json.load(open(sys.argv[6])) if os.path.exists(sys.argv[6]) else None

def mib(kib):
    return "-" if kib is None else f"{kib / 1024:,.0f} MiB"
def times(k):
    return ", ".join(f"{t:.3f}" for t in runs.get(k, []))
print()
print(f"settlement benchmark: {n:,} events, {f['contracts']} contracts ({sys.argv[5]} customers, seed "
      f"{sys.argv[4]}), settle --now {now}; median of {len(runs.get('raas_run_seconds') or runs.get('pg_run_seconds') or [])} runs")
hdr = f"{'system':44} {'seconds':>9} {'invoices':>9} {'peak RSS':>10}   runs (s)"
print(hdr)
print("-" * len(hdr))
raas = pg = None
if "raas_run_seconds" in med:
    raas = {"system": "raas settle", "seconds": med["raas_run_seconds"],
            "seconds_runs": runs["raas_run_seconds"], "invoices": f.get("raas_invoices"),
            "peak_rss_bytes": max(runs["raas_run_rss_kib"]) * 1024}
    print(f"{raas['system']:44} {raas['seconds']:9.3f} {raas['invoices']:9,} {mib(max(runs['raas_run_rss_kib'])):>10}   {times('raas_run_seconds')}")
if "raas_phase_run_seconds" in med and raas:
    print(f"{'  of which computing the invoices (open store)':44} {med['raas_phase_run_seconds']:9.3f} {'':9} {'':>10}   {times('raas_phase_run_seconds')}")
    print(f"{'  of which loading the ledgers (facts caches)':44} {med['raas_load_run_seconds']:9.3f} {'':9} {'':>10}   {times('raas_load_run_seconds')}")
    print(f"  loading the ledgers from the log alone (no caches, once): {f['raas_cold_load_seconds']:.3f} s")
    raas["open_store_seconds"] = med["raas_phase_run_seconds"]
    raas["load_seconds"] = med["raas_load_run_seconds"]
    raas["cold_load_seconds"] = f["raas_cold_load_seconds"]
if "pg_run_seconds" in med:
    pg = {"system": "PostgreSQL 15 settle_pg.sql (after ANALYZE)", "seconds": med["pg_run_seconds"],
          "seconds_runs": runs["pg_run_seconds"], "invoices": f.get("pg_invoices"),
          "backend_peak_rss_bytes": max(runs["pg_run_backend_rss_kib"]) * 1024,
          "cluster_peak_pss_bytes": max(runs["pg_run_cluster_pss_kib"]) * 1024,
          "load_seconds": f["pg_load_seconds"], "analyze_seconds": f["pg_analyze_seconds"],
          "database_bytes": f["pg_bytes"]}
    print(f"{pg['system']:44} {pg['seconds']:9.3f} {pg['invoices']:9,} {mib(max(runs['pg_run_backend_rss_kib'])):>10}   {times('pg_run_seconds')}")
    print(f"  PostgreSQL peak RSS: backend VmHWM {mib(max(runs['pg_run_backend_rss_kib']))} (shared buffers it "
          f"touched included); whole cluster, sampled PSS, {mib(max(runs['pg_run_cluster_pss_kib']))}")
    print(f"  PostgreSQL load (not timed in the query): {f['pg_load_seconds']:.1f} s (COPY + typed insert + "
          f"contracts), ANALYZE {f['pg_analyze_seconds']:.1f} s, database {f['pg_bytes'] / 2**20:,.0f} MiB")
base = raas.get("open_store_seconds", raas["seconds"]) if raas else None
ratio = pg["seconds"] / base if raas and pg else None
if ratio is not None:
    print(f"  PostgreSQL / raas (open store): {ratio:.1f}x the time; PostgreSQL / raas settle end to end: "
          f"{pg['seconds'] / raas['seconds']:.1f}x")
if compare is not None:
    print(f"\ncomparison (bench/settle_compare.py): {compare['compared']:,} invoices compared, "
          f"{compare['mismatches']:,} mismatches, {compare['only_raas']:,} only in raas, "
          f"{compare['only_pg']:,} only in PostgreSQL; {compare['byte_identical']:,} byte-identical")
    if compare["mismatches"] or compare["only_raas"] or compare["only_pg"] or compare["duplicates"]:
        print(open(sys.argv[8]).read().rstrip())
targets = []
state = f.get("raas_state")
if raas:
    targets = [("all invoices from an open store < 0.5 s", f"{base:.3f} s", base < 0.5)]
    if ratio is not None:
        targets.append((">= 10x faster than PostgreSQL", f"{ratio:.1f}x", ratio >= 10))
    if compare is not None:
        targets.append(("same invoices as PostgreSQL", f"{compare['mismatches'] + compare['only_raas'] + compare['only_pg']} differ",
                        compare["mismatches"] + compare["only_raas"] + compare["only_pg"] == 0))
    print()
    print("raas targets" + ("" if n == 5000000 else f" (set for 5,000,000 events; this run has {n:,})") + ":")
    for name, got, ok in targets:
        print(f"  {name:38} {got:>18}   {'met' if ok else 'NOT met'}")
else:
    print()
    print({"unavailable": "raas: raas settle not available yet (targets not measured)",
           "build-failed": "raas: did not build (targets not measured)",
           "skipped": "raas: not run (--only)"}.get(state, "raas: not measured"))
doc = {"events": n, "seed": int(sys.argv[4]), "customers": int(sys.argv[5]), "settle_now": now,
       "machine": {"cpus": os.cpu_count(), "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
                   "kernel": platform.release()},
       "raw": f, "runs": runs, "systems": [s for s in (raas, pg) if s], "ratio_pg_over_raas": ratio,
       "compare": compare,
       "raas": {"state": state, "targets": [{"target": t, "measured": g, "met": ok} for t, g, ok in targets]}}
with open(out, "w") as fh:
    json.dump(doc, fh, indent=2)
    fh.write("\n")
print(f"\nfigures: {out}")
EOF
[ "$compare_rc" = 0 ] || [ "$compare_rc" = skipped ] || exit 1
