#!/usr/bin/env bash
# The run log's benchmark (issue 13 item 4; not a test: it prints figures).
#   bench/runlog.sh [DURATION]    default 5m of bench/bench-16x1000.json (16,000 records/s)
# Prints, for that run: the run log's bytes per record (per-record tables on; the
# file after the run, indexes included), the run's time with the tables on beside the
# raw SQLite insert of the same rows (build/bench/bench_sqlite_insert --plain-only with
# the run's counts, key names included: the same compact rows and indexes, ids known), the run's time with
# the tables off, `report --json` and `trace --key`.  Times are farm-bench's medians
# (RUNS runs each, default 3; RUNS=1 for long runs), whole processes.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-5m}
runs=${RUNS:-3}
ninja -C build esmsim bench/bench_sqlite_insert >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
db=$out/run.db
esmsim=$PWD/build/esmsim
scen=$PWD/bench/bench-16x1000.json
fb() { farm-bench -n "$runs" --warmup 0 --timeout 3600 "$@" | grep -E 'wall s|cpu s|A/B' || true; }

echo "== esmsim $("$esmsim" --version | cut -d' ' -f2), $duration of bench-16x1000, $(date -u '+%F %H:%M'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$esmsim" run "$scen" -o "$db" --set duration="$duration" | head -n 1
set -- $(sqlite3 "$db" "SELECT (SELECT count(*) FROM record_rows), (SELECT count(*) FROM delivery_rows), (SELECT count(*) FROM message_rows), (SELECT count(*) FROM key_names)" | tr '|' ' ')
bytes=$(stat -c %s "$db")
echo "rows: $1 records, $2 deliveries, $3 messages; file $bytes bytes: $((bytes / $1)) bytes a record"
sqlite3 "$db" "SELECT '  ' || name || ': ' || (sum(pgsize) / $1) || ' bytes a record' FROM dbstat GROUP BY name HAVING sum(pgsize) > $bytes / 100 ORDER BY sum(pgsize) DESC"
key=$(sqlite3 "$db" "SELECT partition_key FROM key_names LIMIT 1 OFFSET 4242")

echo "-- run, tables on (A) vs the raw insert of the same rows (B)"
fb --vs "sh -c 'rm -f $out/raw.db*; exec $PWD/build/bench/bench_sqlite_insert --plain-only --keys $4 $1 $2 $3 $out/raw.db'" \
   -- sh -c "rm -f $out/a.db*; exec $esmsim run $scen -o $out/a.db --set duration=$duration -q"
echo "-- run, tables off"
fb -- sh -c "rm -f $out/b.db*; exec $esmsim run $scen -o $out/b.db --set duration=$duration -q --no-record-tables"
echo "-- report --json"
fb -- "$esmsim" report "$db" --json
echo "-- trace --key $key"
fb -- "$esmsim" trace "$db" --key "$key"
