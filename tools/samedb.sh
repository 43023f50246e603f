#!/usr/bin/env bash
# tools/samedb.sh BASE_BINARY [NEW_BINARY] - a check for speed work (issue 15), not a test: runs 17
# cases (the bench with the tables off and on, --threads 1 and 2, and 13 bundled scenarios) with a
# base binary (main before the change, built elsewhere) and a new one (default build/esmsim), and
# compares every table of the two databases (the runs table without its wall-clock columns).
# Prints "same: CASE" or "DIFF: CASE table T"; exits 1 on any difference.  About 3 minutes.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: tools/samedb.sh BASE_BINARY [NEW_BINARY]" >&2; exit 2; }
base=$(realpath "$1")
new=$(realpath "${2:-$root/build/esmsim}")
bench=$root/bench/bench-16x1000.json
scen=$root/scenarios
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cases=(
  "bench5m-t2|$bench --set duration=5m --no-record-tables --threads 2"
  "bench5m-t1|$bench --set duration=5m --no-record-tables --threads 1"
  "bench30s-tables-t2|$bench --set duration=30s --threads 2"
  "bench30s-tables-t1|$bench --set duration=30s --threads 1"
  "steady|$scen/steady-state.json"
  "hot|$scen/hot-shard.json"
  "retries|$scen/producer-retries.json"
  "retries-t1|$scen/producer-retries.json --threads 1"
  "split|$scen/split-during-backlog.json"
  "poison-bisect|$scen/poison-pill-bisect.json"
  "partial|$scen/partial-first-failure.json"
  "ddb|$scen/ddb-three-readers.json"
  "ondemand|$scen/on-demand-spike.json"
  "pf10|$scen/pf10-two-keys.json"
  "falls-behind|$scen/falls-behind.json --threads 1"
  "windows|$scen/tumbling-window-counts.json"
  "throttled|$scen/throttled-concurrency.json"
)
runs_cols="run_id,scenario,seed,scenario_json,duration_ms,complete,end_ms,per_record_tables,summary_json,handler,reproducible"
status=0
for c in "${cases[@]}"; do
  name=${c%%|*} args=${c#*|}
  for who in base new; do
    bin=$base
    [ "$who" = new ] && bin=$new
    # shellcheck disable=SC2086
    "$bin" run $args -o "$tmp/$who.db" --quiet >/dev/null 2>"$tmp/$who.err" ||
      echo "($who exited $? on $name: $(head -c 300 "$tmp/$who.err"))"
  done
  same=1
  for t in $(sqlite3 "$tmp/base.db" "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"); do
    q="SELECT * FROM $t"
    [ "$t" = runs ] && q="SELECT $runs_cols FROM runs"
    if [ "$(sqlite3 "$tmp/base.db" "$q" | md5sum)" != "$(sqlite3 "$tmp/new.db" "$q" 2>&1 | md5sum)" ]; then
      echo "DIFF: $name table $t"
      same=0 status=1
    fi
  done
  [ $same = 1 ] && echo "same: $name"
  rm -f "$tmp"/base.db* "$tmp"/new.db*
done
exit $status
