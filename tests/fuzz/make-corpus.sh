#!/usr/bin/env bash
# make-corpus.sh ESMSIM - write the run-log seeds of fuzz_runlog (issue 11 item
# 19) to tests/fuzz/corpus/runlog: short runs of bundled and test scenarios
# (a few records, a sample every two minutes), the hand-made run log of tests/report.sh,
# and a merged log of two runs; each rewritten with 512-byte pages and a
# rollback journal so that a seed is a few KB (a run log is WAL with 4 KB
# pages).  Run it again when the run log's schema changes, and commit.
set -euo pipefail
esmsim=$(realpath "$1")
src=$(cd "$(dirname "$0")/../.." && pwd)
out="$src/tests/fuzz/corpus/runlog"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
rm -f "$out"/*.db

small() {   # small NAME SCENARIO ARGS...: a short run, as a seed
  local name=$1 scn=$2
  shift 2
  "$esmsim" run "$scn" -o "$work/$name.db" -q --set model.sample_interval=2m --set 'expect={}' "$@" \
    >/dev/null
  sqlite3 "$work/$name.db" "PRAGMA journal_mode=DELETE; PRAGMA page_size=512; VACUUM;" >/dev/null
  cp "$work/$name.db" "$out/$name.db"
}

# R8: bisection down to a poisoned record, a discard with its OnFailure record
small bisect "$src/tests/data/trace/bisect.json"
# R12: a split while a backlog drains (children wait for their parent)
small split "$src/scenarios/split-during-backlog.json" --set duration=3m \
  --set 'producers[0].rate=0.1' --set 'stream.reshard[0].at=1m'
# a DynamoDB stream: INSERT/MODIFY/REMOVE, shard rollover
small ddb "$src/scenarios/ddb-three-readers.json" --set duration=2m --set 'producers[0].rate=0.1'
# R15: tumbling windows and their final states
small window "$src/scenarios/tumbling-window-counts.json" --set duration=3m \
  --set 'producers[0].rate=0.05'
# R16: a scheduled outage (plot's outage marks come from runs.scenario_json)
small outage "$src/scenarios/dependency-outage.json" --no-record-tables \
  --set 'producers[0].rate=0.02'
# a run interrupted: complete = 0, no end_ms
small poison "$src/scenarios/poison-pill.json" --set duration=2m --set 'producers[0].rate=0.05' \
  --set 'records[0].at=30s'
sqlite3 "$out/poison.db" "UPDATE runs SET complete = 0, end_ms = NULL"

# every figure of report known by hand (tests/report.sh): four runs
"$esmsim" run "$src/scenarios/steady-state.json" -o "$work/hm.db" -q --set duration=1s >/dev/null
sqlite3 "$work/hm.db" < "$src/tests/data/report/handmade.sql"
sqlite3 "$work/hm.db" "PRAGMA journal_mode=DELETE; PRAGMA page_size=512; VACUUM;" >/dev/null
cp "$work/hm.db" "$out/handmade.db"

# two runs in one log, as merge and sweep leave them
"$esmsim" merge "$work/merged.db" "$out/bisect.db" "$out/window.db" >/dev/null
sqlite3 "$work/merged.db" "PRAGMA journal_mode=DELETE; PRAGMA page_size=512; VACUUM;" >/dev/null
cp "$work/merged.db" "$out/merged.db"
ls -l "$out"
