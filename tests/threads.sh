#!/usr/bin/env bash
# tests/threads.sh ESMSIM SRCDIR - `esmsim run --threads N` (issue 15 item 2): the run
# log written by a thread of its own holds the same rows as the one written between
# events, table for table, on scenarios with shards opened and closed, discards, windows,
# DynamoDB records and per-record tables; an interrupted run with a writer thread is
# marked incomplete and passes PRAGMA integrity_check; bad --threads values are bad input.
. "$(dirname "$0")/lib.sh"
cd "$work" || exit 1
scn="$src/scenarios"
tables="shards messages records invocations deliveries checkpoints discards metrics windows logs"

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

# Interrupted with the writer thread: exit 130, complete = 0, a valid database whose
# messages are no more than its runs row says were created.
"$esmsim" run "$src/bench/bench-16x1000.json" -q -o int.db --threads 2 &
pid=$!
for i in $(seq 100); do [ -s int.db ] && [ "$(sqlite3 int.db 'SELECT count(*) FROM records' 2>/dev/null)" -gt 0 ] 2>/dev/null && break; sleep 0.1; done
kill -INT "$pid"
wait "$pid"
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
