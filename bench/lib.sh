# lib.sh — shell functions shared by the benchmarks (bench/ingest.sh, bench/settle.sh,
# bench/serve_settle.sh, bench/http_ingest.sh): messages and timing, the package check, whether
# the ingest benchmark's workload and store can be reused, starting and stopping `raas serve`,
# and the throw-away PostgreSQL 15 cluster (initdb as postgres via
# runuser into a fresh /tmp/raas-bench-pg.*, its own port on a Unix socket only, stopped and
# removed by pg_cleanup) with its memory sampler. Sourced, never run; the sourcing script sets
# PROG (its name, for messages) and, for the cluster, PGPORT, and installs the traps itself:
#
#   trap pg_cleanup EXIT; trap 'exit 130' INT TERM
#
# Globals set here: PGBIN, and after pg_start PGROOT, PGDATA, PM (the postmaster's pid);
# SAMPLER is the pid of a running pg_sampler (the caller starts it with `pg_sampler PM FILE &`).

# shellcheck shell=bash
say() { printf '\n== %s\n' "$*" >&2; }
die() { printf '%s: FAILED: %s\n' "$PROG" "$*" >&2; exit 1; }
now_ns() { date +%s%N; }
secs() { python3 -c "import sys; print(f'{(int(sys.argv[2]) - int(sys.argv[1])) / 1e9:.3f}')" "$1" "$2"; }

# workload_ok: $W (WORK/workload) was generated with $EVENTS, $CUSTOMERS, $SEED. raas_data_ok: and
# $D (WORK/raas-data) holds all of it, ingested by bench/ingest.sh after that workload was
# generated (its reports in $R: every day file reported, the accepted events summing to the
# workload's, then the reopen).
workload_ok() {
	python3 - "$W" "$EVENTS" "$CUSTOMERS" "$SEED" <<'EOF'
import json, sys
w, ev, cu, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
try:
    doc = json.load(open(f"{w}/workload.json"))
except (OSError, ValueError):
    sys.exit(1)
sys.exit(0 if (doc["events"], doc["customers"], doc["seed"]) == (ev, cu, seed) else 1)
EOF
}
raas_data_ok() {
	workload_ok || return 1
	[ -d "$D" ] || return 1
	python3 - "$W" "$R" <<'EOF'
import json, os, sys
w, r = sys.argv[1], sys.argv[2]
try:
    doc = json.load(open(f"{w}/workload.json"))
    if os.path.getmtime(f"{r}/dup.json") < os.path.getmtime(f"{w}/workload.json"):
        sys.exit(1)
    acc = sum(json.load(open(f"{r}/{i}.json"))["accepted"] for i in range(doc["days"]))
except (OSError, ValueError, KeyError):
    sys.exit(1)
sys.exit(0 if acc == doc["events"] else 1)
EOF
}

# serve_start DATA OUT ERR ARGS...: starts `$RAAS -d DATA serve --listen 127.0.0.1:0 ARGS...`
# in the background with stdout to OUT and stderr to ERR, waits until it listens, and sets
# SERVER (its pid) and PORT. serve_stop stops it (SIGTERM, wait); the caller traps it on EXIT.
serve_start() {
	local data=$1 out=$2 err=$3
	shift 3
	"$RAAS" -d "$data" serve --listen 127.0.0.1:0 "$@" >"$out" 2>"$err" &
	SERVER=$!
	for _ in $(seq 200); do
		grep -q listening "$out" 2>/dev/null && break
		sleep 0.05
	done
	PORT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["listening"].rsplit(":",1)[1])' \
		"$out") || die "the server did not start ($err)"
}
serve_stop() {
	if [ -n "${SERVER:-}" ]; then
		kill -TERM "$SERVER" 2>/dev/null || true
		wait "$SERVER" 2>/dev/null || true
		SERVER=""
	fi
}

# need_packages P...: installs the Debian packages of the list that are missing (idempotent: apt
# is not touched when everything is present).
need_packages() {
	local missing="" p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		say "installing$missing"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q
		# shellcheck disable=SC2086
		apt-get install -y -q --no-install-recommends $missing
	fi
}
PGBIN=/usr/lib/postgresql/15/bin

PGROOT=""
PGDATA=""
# shellcheck disable=SC2034 # PM is read by the sourcing script
PM=""
SAMPLER=""

# pg_cleanup: stops the sampler and the throw-away cluster and removes its directory (both only
# when started; safe to call twice). The caller resets SAMPLER and PGROOT to "" after an explicit
# call.
pg_cleanup() {
	if [ -n "$SAMPLER" ]; then
		kill "$SAMPLER" 2>/dev/null || true
		wait "$SAMPLER" 2>/dev/null || true
	fi
	if [ -n "$PGROOT" ]; then
		if [ -f "$PGROOT/data/postmaster.pid" ]; then
			runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGROOT/data" -m fast -w stop \
				>/dev/null 2>&1 || true
		fi
		rm -rf "$PGROOT"
	fi
}

# pg_sampler PM OUT: peak memory of the whole cluster, the sum of PSS (shared buffers counted
# once, split among the processes that touched them) of the postmaster PM and its children,
# every 0.2 s, written to OUT (KiB) whenever it grows. Runs until PM exits; start it with &.
pg_sampler() {
	local pm=$1 out=$2 max=0 sum p k v _
	while kill -0 "$pm" 2>/dev/null; do
		sum=0
		for p in "$pm" $(ps -o pid= --ppid "$pm"); do
			while read -r k v _; do
				[ "$k" = "Pss:" ] && sum=$((sum + v))
			done 2>/dev/null <"/proc/$p/smaps_rollup" || true
		done
		if [ "$sum" -gt "$max" ]; then
			max=$sum
			echo "$max" >"$out.tmp" && mv "$out.tmp" "$out"
		fi
		sleep 0.2
	done
}

# pg_start: initdb and start a throw-away cluster on port PGPORT (Unix socket in PGROOT only),
# tuned as a bulk-loading server would be, durability as shipped. PG_EXTRA_CONF, when set, holds
# more postgresql.conf lines (appended: later lines win). Sets PGROOT, PGDATA and PM.
pg_start() {
	PGROOT=$(mktemp -d "${TMPDIR:-/tmp}/raas-bench-pg.XXXXXX")
	chown postgres:postgres "$PGROOT"
	PGDATA=$PGROOT/data
	runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 \
		--locale=C >"$PGROOT/initdb.log" 2>&1 || { cat "$PGROOT/initdb.log" >&2; die initdb; }
	# Durability as shipped (fsync, synchronous_commit, full_page_writes on; wal_level
	# replica), memory and checkpoint spacing as a bulk-loading server would be tuned.
	cat >>"$PGDATA/postgresql.conf" <<EOF
port = $PGPORT
listen_addresses = ''
unix_socket_directories = '$PGROOT'
fsync = on
synchronous_commit = on
full_page_writes = on
shared_buffers = 1GB
wal_buffers = 64MB
max_wal_size = 16GB
checkpoint_timeout = 30min
maintenance_work_mem = 1GB
work_mem = 64MB
EOF
	if [ -n "${PG_EXTRA_CONF:-}" ]; then
		printf '%s\n' "$PG_EXTRA_CONF" >>"$PGDATA/postgresql.conf"
	fi
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGROOT/server.log" -w start \
		>/dev/null || { cat "$PGROOT/server.log" >&2; die "postgres did not start"; }
	# shellcheck disable=SC2034 # read by the sourcing script
	PM=$(head -1 "$PGDATA/postmaster.pid")
}

# psql ARGS...: the cluster's psql, quiet, stopping at the first error.
psql() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGROOT" -p "$PGPORT" -U postgres "$@"; }
