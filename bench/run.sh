#!/usr/bin/env bash
# The benchmark of issue 2 (not a test: it prints figures).
#   bench/run.sh [HOURS]    default 1 simulated hour (57.6 million records)
# For each case it runs `esmsim run` on bench/bench-16x1000.json and prints the
# simulated records per wall second and the peak memory (getrusage, from the
# summary); then it measures raw SQLite inserts of the same rows on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
hours=${1:-1}
tools/setup.sh
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

run_case() {   # label, duration, extra args
  local label=$1 duration=$2; shift 2
  rm -f "$out/run.db"*
  local line
  line=$(build/esmsim run bench/bench-16x1000.json -o "$out/run.db" \
         --set duration="$duration" "$@" | head -n 1)
  echo "$label: $line"
}

echo "== esmsim $(build/esmsim --version | cut -d' ' -f2) on $(nproc) cores, $(date -u +%F)"
run_case "per-record tables off, ${hours}h" "${hours}h" --no-record-tables
run_case "per-record tables off, $((2 * hours))h" "$((2 * hours))h" --no-record-tables
run_case "per-record tables on,  ${hours}h" "${hours}h"
rows=$(sqlite3 "$out/run.db" "SELECT (SELECT count(*) FROM records) || ' ' || (SELECT count(*) FROM deliveries) || ' ' || (SELECT count(*) FROM messages) || ' ' || (SELECT count(*) FROM key_names)")
echo "rows written with the tables on (records deliveries messages key_names): $rows"
ninja -C build bench/bench_sqlite_insert >/dev/null
set -- $rows
build/bench/bench_sqlite_insert --keys "$4" "$1" "$2" "$3" "$out/raw.db"
