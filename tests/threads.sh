#!/usr/bin/env bash
# tests/threads.sh ESMSIM SRCDIR - `esmsim run --threads N` (issue 15 item 2): the
# observer on a thread of its own and the run log on another behind it give the same
# database as between events, table for table (the observer's summary tables too), on scenarios with shards
# opened and closed, discards, windows, DynamoDB records, with per-record tables and
# without, and for a run stopped by its memory budget (the same stop point); an
# interrupted run with the thread is marked incomplete and passes PRAGMA
# integrity_check; bad --threads values are bad input.
. "$(dirname "$0")/lib.sh"
cd "$work" || exit 1
scn="$src/scenarios"
tables="shards messages records invocations deliveries checkpoints discards metrics windows logs
        summary_figures summary_series summary_shards summary_discards summary_examples"

# Every table but runs (whose wall_seconds differ run to run), in the order written,
# and the runs rows without their wall time.
dump() {
  local t
  for t in $tables; do sqlite3 "$1" "SELECT * FROM $t ORDER BY rowid"; done
  sqlite3 "$1" "SELECT run_id, scenario, seed, complete, end_ms, summary_json FROM runs"
}

for case in "ddb-three-readers.json" "timeout-large-batches.json" "latest-start.json" \
            "oversized-record.json" "poison-pill-bounded.json" "tumbling-window-counts.json" \
            "split-no-wait.json --set duration=21m"; do
  set -- $case
  f=$1; shift
  for n in 1 2 3; do   # a run cut short may miss its expect block (exit 1): the same for every n
    "$esmsim" run "$scn/$f" "$@" -q -o "t$n.db" --threads "$n" 2>/dev/null
    echo $? >"rc$n"
  done
  expect_eq "$(cat rc2) $(cat rc3)" "$(cat rc1) $(cat rc1)" "$f: the same exit status whatever --threads"
  rows=$(dump t1.db | wc -l)
  [ "$rows" -gt 10 ] && ok || ko "$f: only $rows rows"
  expect_eq "$(dump t2.db | md5sum)" "$(dump t1.db | md5sum)" "$f: --threads 2 writes the rows of --threads 1"
  expect_eq "$(dump t3.db | md5sum)" "$(dump t1.db | md5sum)" "$f: --threads 3 writes the rows of --threads 1"
  rm -f t?.db*
done

# The bench scenario with its per-record tables: rows by the hundred thousand, many
# chunks through the writer's queue.
for n in 1 2; do
  "$esmsim" run "$src/bench/bench-16x1000.json" --set duration=15s -q -o "b$n.db" --threads "$n"
done
expect_eq "$(sqlite3 b1.db 'SELECT count(*) > 200000 FROM records')" 1 "bench: per-record rows written"
expect_eq "$(dump b2.db | md5sum)" "$(dump b1.db | md5sum)" "bench: --threads 2 writes the rows of --threads 1"

# issue 15 item 2: tables off (the mode of long runs), every figure from the observer on
# its thread: the summary tables and the runs row as between events.
for n in 1 2 3; do
  "$esmsim" run "$src/bench/bench-16x1000.json" --set duration=15s --no-record-tables -q -o "o$n.db" --threads "$n"
done
expect_eq "$(sqlite3 o1.db 'SELECT (SELECT count(*) FROM summary_figures) > 10 AND (SELECT count(*) FROM summary_series) > 10')" 1 \
  "bench, tables off: summary rows written"
expect_eq "$(dump o2.db | md5sum)" "$(dump o1.db | md5sum)" "issue 15 item 2: bench, tables off: --threads 2 writes the rows of --threads 1"
expect_eq "$(dump o3.db | md5sum)" "$(dump o1.db | md5sum)" "issue 15 item 2: bench, tables off: --threads 3 writes the rows of --threads 1"

# issue 15 item 2: a run stopped by its memory budget (a stalled mapping past
# model.memory_limit) stops at the same event whatever the thread count, tables on and
# off: the observer's part of the budget is a figure of the events, not of how far its
# thread got.
stall=(--set duration=1h --set event_source_mapping.Enabled=false --set 'expect={}' --set model.memory_limit=160MiB)
for mode in "" --no-record-tables; do
  for n in 1 2; do
    "$esmsim" run "$scn/steady-state.json" "${stall[@]}" $mode -o "m$n.db" --threads "$n" >"m$n.out" 2>&1
    echo $? >"rc$n"
  done
  expect_eq "$(cat rc1) $(cat rc2)" "1 1" "issue 15 item 2: memory budget ${mode:-tables on}: stopped, exit status"
  expect_in "$(cat m2.out)" "would pass the run's memory budget of" "issue 15 item 2: memory budget ${mode:-tables on}: said"
  expect_eq "$(grep 'run stopped' m2.out)" "$(grep 'run stopped' m1.out)" \
    "issue 15 item 2: memory budget ${mode:-tables on}: the same stop message"
  expect_eq "$(sqlite3 m1.db 'SELECT complete, end_ms > 0, end_ms < 3600000 FROM runs')" "0|1|1" \
    "issue 15 item 2: memory budget ${mode:-tables on}: stopped on the way"
  expect_eq "$(dump m2.db | md5sum)" "$(dump m1.db | md5sum)" \
    "issue 15 item 2: memory budget ${mode:-tables on}: --threads 2 writes the rows of --threads 1"
  rm -f m?.db* m?.out
done

# Interrupted with the writer thread: exit 130, complete = 0, a valid database whose
# messages are no more than its runs row says were created.
"$esmsim" run "$src/bench/bench-16x1000.json" -q -o int.db --threads 2 &
pid=$!
has_records() { [ -s "$1" ] && [ "$(sqlite3 "$1" 'SELECT count(*) FROM records' 2>/dev/null)" -gt 0 ] 2>/dev/null; }
wait_until 60 has_records int.db || ko "interrupted with --threads 2: no records committed within 60 s"
kill -INT "$pid"
wait_within "$pid" 60
expect_eq "$?" 130 "interrupted with --threads 2: exit status"
expect_eq "$(sqlite3 int.db 'SELECT complete FROM runs')" 0 "interrupted with --threads 2: marked incomplete"
expect_eq "$(sqlite3 int.db 'PRAGMA integrity_check')" ok "interrupted with --threads 2: integrity"

for bad in 0 -1 x 1025 ""; do
  out=$("$esmsim" run "$scn/latest-start.json" -o bad.db --threads "$bad" 2>&1)
  expect_eq "$?" 2 "--threads '$bad': exit status"
  expect_in "$out" "--threads" "--threads '$bad': message"
done
[ ! -e bad.db ] && ok || ko "bad --threads: nothing written"
finish
