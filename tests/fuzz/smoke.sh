#!/bin/sh
# smoke.sh FUZZER SEED_CORPUS SECONDS [GROWN] — a bounded libFuzzer run over the committed
# seeds, and over GROWN when given: inputs a longer campaign found (tests/fuzz/grown/NAME,
# minimized with -merge=1), kept apart from the reviewed seeds. New inputs go to a throw-away
# directory so the committed corpora stay as they are. On a crash the log (which holds the
# input in Base64) is printed and the test fails.
set -u
fuzzer=$1
seeds=$2
seconds=$3
grown=${4:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
mkdir new
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	new "$seeds" ${grown:+"$grown"} >log 2>&1
rc=$?
if [ $rc -ne 0 ]; then
	cat log
	echo "fuzzer $fuzzer failed (exit $rc)"
	exit 1
fi
tail -n 12 log
