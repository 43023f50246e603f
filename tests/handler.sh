#!/usr/bin/env bash
# tests/handler.sh ESMSIM SRCDIR - real handler programs through `esmsim run`
# (issue 12 items 3-6, SPEC section 4):
# - the bundled examples (examples/handlers/: Python and Node.js) run
#   unmodified from any directory, their expect blocks hold, and the runs
#   row says a handler ran, reproducibly;
# - determinism: the same database (every table; wall-time fields out, the
#   REPORT lines' figures masked) with 1 and 4 instances, and with 4 on a
#   loaded machine (two busy loops);
# - the Node handler that reports every failure gives the model's
#   all-failures run: the same invocations, deliveries (handled flags too),
#   checkpoints, discards and fates;
# - `esmsim logs` and `esmsim trace` show what the handler printed;
# - --dump-events writes the handler's own answers;
# - "duration": "measured" marks the run not reproducible;
# - SIGINT and SIGTERM in the middle of a hung handler: exit 130 at once, the
#   run marked incomplete, no handler process left;
# - a program that cannot run is bad input: exit 2, nothing written.
. "$(dirname "$0")/lib.sh"
q() { sqlite3 -separator ' ' "$1" "$2"; }
# The whole output of a command equals the expected text (a diff on failure).
expect_text() {
  if [ "$1" = "$2" ]; then ok; else
    ko "$3"; diff <(printf '%s\n' "$2") <(printf '%s\n' "$1") >&2
  fi
}

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
cd "$work" || exit 1
py=$src/examples/handlers/python-first-failure/scenario.json
node=$src/examples/handlers/node-all-failures/scenario.json
bootstrap=$src/tools/runtimes/python/bootstrap
handlers=$src/tests/handlers/python

# ---- the examples, from another directory (SPEC section 4) ----------------
out=$("$esmsim" run "$py" -o py.db 2>&1); rc=$?
expect_eq "$rc" 0 "python example: exit status (its expect block holds)"
expect_in "$out" "handler                 2   processes started (python3); durations from the model: reproducible" \
  "python example: the summary's handler line"
expect_eq "$(q py.db 'SELECT handler, reproducible, complete FROM runs')" "1 1 1" "python example: runs row"
"$esmsim" run "$node" -o node.db -q; rc=$?
expect_eq "$rc" 0 "node example: exit status (its expect block holds)"
# (every other example: tests/examples.sh, powertools.sh, ric.sh)

# ---- standard descriptors closed at start (`esmsim run ... <&- >&- 2>&-`) -------------
# The run log is the same as with them open, and the handler gets its three; a summary
# for a closed stdout still fails (exit 1).  (Which descriptors esmsim holds: the hang
# tests below.)
cat > fds.json <<EOF
{"name": "fds", "seed": 1, "duration": "10s", "stream": {"shards": 1},
 "records": [{"at": "1s", "partition_key": "k", "data": "ok"}],
 "event_source_mapping": {"StartingPosition": "TRIM_HORIZON"},
 "function": {"handler": {"command": ["sh", "-c",
   "for fd in 0 1 2; do [ -e /proc/\$\$/fd/\$fd ] && echo fd \$fd open || echo fd \$fd closed; done; exec python3 \"\$0\" esm.report",
   "$bootstrap"], "cwd": "$handlers"}}}
EOF
"$esmsim" run fds.json -o fds-open.db -q; rc=$?
expect_eq "$rc" 0 "fds open: exit status"
"$esmsim" run fds.json -o fds-closed.db -q <&- >&- 2>&-; rc=$?
expect_eq "$rc" 0 "fds closed: exit status"
expect_eq "$(q fds-closed.db "SELECT group_concat(text, ', ') FROM logs WHERE kind = 'init'")" \
  "fd 0 open, fd 1 open, fd 2 open" "fds closed: the handler starts with its three descriptors"
expect_eq "$(q fds-closed.db 'PRAGMA integrity_check')" ok "fds closed: integrity"
same_rows fds-open.db fds-closed.db 'complete, summary_json FROM runs' && ok \
  || ko "fds closed: the runs row differs from a run with them open"
same_rows fds-open.db fds-closed.db "invocation_id, line, kind, text FROM logs WHERE kind <> 'report'" \
  && ok || ko "fds closed: the handler's log differs from a run with them open"
"$esmsim" run "$py" -o py-closed.db <&- >&- 2>&-; rc=$?
expect_eq "$rc" 1 "fds closed, summary to a closed stdout: exit status (standard output: Bad file descriptor)"
expect_eq "$(q py-closed.db 'PRAGMA integrity_check')" ok "fds closed, summary: integrity"
same_rows py.db py-closed.db 'complete, summary_json FROM runs' && ok \
  || ko "fds closed, summary: the runs row differs from a run with them open"

# ---- esmsim logs (issue 12 item 4) -----------------------------------------
# the poison order's first invocation: the records before it processed, then
# its failure; REPORT's figures are the handler's wall time: masked
# (20 ms + 14 records x 1 ms, the poison order tenth)
inv=$(q py.db "SELECT min(invocation_id) FROM invocations WHERE outcome = 'partial'")
poison=$(q py.db "SELECT start_sequence_number FROM discards")
rid=$(q py.db "SELECT DISTINCT request_id FROM logs WHERE invocation_id = $inv")
out=$("$esmsim" logs py.db --invocation "$inv" | sed 's/\tDuration: .*/\t.../')
expect_eq "$(printf '%s\n' "$out" | grep -c '^ *[0-9.]*  processed ')" 9 "logs: records processed before the poison one"
expect_text "$(printf '%s\n' "$out" | grep -v '^ *[0-9.]*  processed ')" \
"invocation $inv  shardId-000000000000  31.000-31.034 s  partial  attempt 1  14 records
      31.000  START RequestId: $rid Version: \$LATEST
      31.000  failed $poison order o-1042 cannot be processed
      31.034  END RequestId: $rid
      31.034  REPORT RequestId: $rid	..." "logs --invocation: the poison order's first invocation"
out=$("$esmsim" logs py.db --key customer-7 | grep -c '^invocation ')
expect_eq "$out" "$(q py.db "SELECT count(DISTINCT d.invocation_id) FROM deliveries d JOIN records r
  ON r.run_id = d.run_id AND r.sequence_number = d.sequence_number WHERE r.partition_key = 'customer-7'")" \
  "logs --key: the invocations that delivered the key's records"
out=$("$esmsim" logs py.db --invocation 99999 2>&1); rc=$?
expect_eq "$rc" 2 "logs: an invocation without lines exits 2"
expect_in "$out" "run 1 has no log lines for invocation 99999" "logs: its message names the invocation"
"$esmsim" run "$src/scenarios/latest-start.json" -o model.db -q --set duration=1m
out=$("$esmsim" logs model.db 2>&1); rc=$?
expect_eq "$rc" 2 "logs of a model run exits 2"
expect_in "$out" "ran the function model, not a handler program" "logs of a model run: its message"
out=$("$esmsim" trace py.db --sequence "$poison")
expect_in "$out" "log lines of these invocations (esmsim logs):" "trace: the log section"
expect_in "$out" "failed $poison order o-1042 cannot be processed" "trace: the handler's line"
expect_eq "$(printf '%s\n' "$out" | grep -c '^invocation .* attempt [123]  ')" 4 \
  "trace: the log lines of the four invocations it lists (the batch, then the rest as its own set, R7)"

# ---- determinism (issue 12 item 3) ------------------------------------------
# Every table, rows sorted; runs without its wall-time fields; logs with the
# REPORT figures masked.  all_but_init also leaves out the lines printed
# before START (a new process's init: where they fall follows the real
# processes, so the instance count) and the line numbers they shift.
dump() {
  local db=$1 mode=$2 t
  q "$db" "SELECT scenario, seed, duration_ms, esmsim_version, complete, end_ms, per_record_tables,
             summary_json, handler, reproducible FROM runs"
  for t in shards messages records invocations deliveries checkpoints discards metrics windows; do
    echo "== $t"; q "$db" "SELECT * FROM $t" | sort
  done
  echo "== logs"
  if [ "$mode" = all ]; then
    q "$db" "SELECT invocation_id, request_id, line, at_ms, kind,
               CASE kind WHEN 'report' THEN substr(text, 1, instr(text, char(9))) ELSE text END
             FROM logs ORDER BY invocation_id, line"
  else
    q "$db" "SELECT invocation_id, request_id, at_ms, kind,
               CASE kind WHEN 'report' THEN substr(text, 1, instr(text, char(9))) ELSE text END
             FROM logs WHERE kind <> 'init' ORDER BY invocation_id, line"
  fi
}
"$esmsim" run "$py" -o one.db -q --set function.handler.instances=1 || ko "python example, 1 instance"
"$esmsim" run "$py" -o four.db -q --set function.handler.instances=4 || ko "python example, 4 instances"
busy() { timeout 120 sh -c 'while :; do :; done' >/dev/null 2>&1 & }
busy; b1=$!; busy; b2=$!
"$esmsim" run "$py" -o loaded.db -q --set function.handler.instances=4 || ko "python example, loaded"
"$esmsim" run "$node" -o node-one.db -q --set function.handler.instances=1 || ko "node example, 1 instance"
kill "$b1" "$b2" 2>/dev/null; wait "$b1" "$b2" 2>/dev/null
expect_eq "$(dump four.db all | md5sum)" "$(dump loaded.db all | md5sum)" \
  "determinism: 4 instances, the machine idle or loaded: the same database"
expect_eq "$(dump one.db some | md5sum)" "$(dump four.db some | md5sum)" \
  "determinism: 1 or 4 instances: the same database"
expect_eq "$(dump node.db some | md5sum)" "$(dump node-one.db some | md5sum)" \
  "determinism: node, 2 or 1 instances: the same database"
expect_eq "$(q four.db "SELECT count(*) FROM logs l JOIN invocations i USING (run_id, invocation_id)
                        WHERE l.kind = 'output' AND i.outcome = 'success'")" \
  "$(q four.db "SELECT sum(record_count) FROM invocations WHERE outcome = 'success'")" \
  "logs: one output line per record of a successful invocation"
# the runs do differ where they must: the processes behind them
expect_eq "$(q one.db "SELECT count(*) FROM logs WHERE kind = 'report' AND text LIKE '%Init Duration%'")" 1 \
  "1 instance: one process, one real init"

# ---- the model's all-failures, with a real handler (issue 12 item 6) -----------
model='{"name":"orders-consumer","timeout":"30s","duration":{"per_invoke":"20ms","per_record":"1ms"},
        "failures":[{"match":{"data_contains":"poison"}}],"report":"all-failures"}'
"$esmsim" run "$node" -o as-model.db -q --set "function=$model" || ko "node example as the model"
for t in invocations deliveries checkpoints discards messages windows; do
  expect_eq "$(q node.db "SELECT * FROM $t" | sort | md5sum)" "$(q as-model.db "SELECT * FROM $t" | sort | md5sum)" \
    "node all-failures handler and the model's all-failures: the same $t"
done

# ---- --dump-events: the handler's own answers ---------------------------------
"$esmsim" run "$py" -o dump.db -q --dump-events events || ko "python example with --dump-events"
file=$(printf 'events/%09d.response.json' "$inv")
expect_eq "$(cat "$file")" "{\"batchItemFailures\": [{\"itemIdentifier\": \"$poison\"}]}" \
  "dump: the poison invocation's response, as the handler posted it"
expect_eq "$(cat events/000000001.response.json)" '{"batchItemFailures": []}' "dump: a success"
expect_eq "$(($(wc -c < "$(printf 'events/%09d.event.json' "$inv")") - 1))" \
  "$(q dump.db "SELECT payload_bytes FROM invocations WHERE invocation_id = $inv")" \
  "dump: the event the handler got is payload_bytes long (R2)"

# ---- measured durations -----------------------------------------------------------
cat > measured.json <<EOF
{"name": "measured", "seed": 1, "duration": "10s", "stream": {"shards": 1},
 "records": [{"at": "1s", "partition_key": "k", "data": "ok"}],
 "event_source_mapping": {"StartingPosition": "TRIM_HORIZON"},
 "function": {"handler": {"command": ["python3", "$bootstrap", "esm.report"], "cwd": "$handlers",
                          "duration": "measured"}}}
EOF
out=$("$esmsim" run measured.json -o measured.db); rc=$?
expect_eq "$rc" 0 "measured: exit status"
expect_in "$out" "durations measured: this run is NOT reproducible" "measured: the summary says so"
expect_eq "$(q measured.db 'SELECT handler, reproducible FROM runs')" "1 0" "measured: runs row"
expect_eq "$(q measured.db "SELECT end_ms - start_ms > 0 FROM invocations")" 1 \
  "measured: the invocation took the handler's wall time"

# ---- SIGINT and SIGTERM while a handler hangs (issue 12 items 2 and 4) -------------
marker=esmsim-handler-test-$$
cat > hang.json <<EOF
{"name": "hang", "seed": 1, "duration": "1h", "stream": {"shards": 1},
 "records": [{"at": "1s", "partition_key": "k", "data": "poison"}],
 "event_source_mapping": {"StartingPosition": "TRIM_HORIZON"},
 "function": {"handler": {"command": ["python3", "$bootstrap", "esm.hang", "$marker"],
                          "cwd": "$handlers", "wall_timeout": "1h"}}}
EOF
# hung PATTERN: the handler process (PATTERN in its command line) sleeps in esm.hang's
# time.sleep, so it got its event: its wait channel a nanosleep, where the kernel shows
# one (/proc/PID/wchan; our own shell's is then a name, not 0).
hung() {
  local p w
  p=$(pgrep -o -f "$1") || return 1
  w=$(cat "/proc/$p/wchan" 2>/dev/null)
  case $w in *nanosleep*) return 0 ;; esac
  case $(cat /proc/$$/wchan 2>/dev/null) in [a-z_]*) return 1 ;; esac
  sleep 0.5   # no wait channel names: a pause for the handler to get its event
}
for sig in INT TERM; do
  "$esmsim" run hang.json -o "hang-$sig.db" -q 2> "hang-$sig.err" & pid=$!
  wait_until 60 hung "$marker" || ko "SIG$sig: the handler never hung on its event"
  expect_eq "$(pgrep -f "$marker" | wc -l)" 1 "SIG$sig: the handler runs"
  start=$(date +%s%N)
  kill -"$sig" "$pid"
  wait_within "$pid" 60; rc=$?
  elapsed_ms=$((($(date +%s%N) - start) / 1000000))
  expect_eq "$rc" 130 "SIG$sig: exit status"
  # the handler hangs for its hour-long wall timeout: a stop within 10 s did not wait it
  # out (a bound far from any machine's timing, not a speed check)
  [ "$elapsed_ms" -lt 10000 ] && ok || ko "SIG$sig: took $elapsed_ms ms to stop, expected at once (the handler hangs 1 h)"
  expect_eq "$(pgrep -f "$marker" | wc -l)" 0 "SIG$sig: no handler process left"
  expect_eq "$(q "hang-$sig.db" 'SELECT complete FROM runs')" 0 "SIG$sig: the run is marked incomplete"
  expect_in "$(cat "hang-$sig.err")" "interrupted" "SIG$sig: the message"
done

# Started with its standard descriptors closed, esmsim holds /dev/null on each (opened
# first thing in main, as daemons do), so that nothing it opens later takes 0, 1 or 2:
# before, the handler pool's wake-up eventfd became its stdout (`<&-` too: its stdin),
# into which the summary was written.
"$esmsim" run hang.json -o hang-fds.db -q <&- >&- 2>&- & pid=$!
wait_until 60 hung "$marker" || ko "fds closed: the handler never hung on its event"
expect_eq "$(readlink "/proc/$pid/fd/0") $(readlink "/proc/$pid/fd/1") $(readlink "/proc/$pid/fd/2")" \
  "/dev/null /dev/null /dev/null" "fds closed: esmsim's descriptors 0, 1 and 2"
kill -TERM "$pid"
wait_within "$pid" 60; rc=$?
expect_eq "$rc" 130 "fds closed, SIGTERM: exit status"
expect_eq "$(q hang-fds.db 'PRAGMA integrity_check')" ok "fds closed, SIGTERM: integrity"
expect_eq "$(q hang-fds.db 'SELECT complete FROM runs')" 0 "fds closed, SIGTERM: the run is marked incomplete"

# ---- bad input: nothing runs, nothing is written ------------------------------------
out=$("$esmsim" run "$py" -o bad.db --dump-events bad-events \
        --set 'function.handler.command=["esmsim-no-such-program","x"]' 2>&1); rc=$?
expect_eq "$rc" 2 "a program not found: exit status"
# the key as the loader names it, with the --set that wrote it (docs/scenario.md, Overrides)
expect_in "$out" "esmsim: $py: --set function.handler.command=[\"esmsim-no-such-program\",\"x\"]: \$.function.handler.command: program 'esmsim-no-such-program' not found in PATH" \
  "a program not found: the message"
[ ! -e bad.db ] && [ ! -e bad-events ] && ok || ko "a program not found: something was written"
out=$("$esmsim" run "$py" -o bad.db --set function.handler.cwd=no-such-dir 2>&1); rc=$?
expect_eq "$rc" 2 "a cwd that is no directory: exit status"
expect_in "$out" "esmsim: $py: --set function.handler.cwd=no-such-dir: \$.function.handler.cwd: '" \
  "a cwd that is no directory: the key and its --set"
expect_in "$out" "no-such-dir' is not a directory" "a cwd that is no directory: the message"
[ ! -e bad.db ] && ok || ko "a cwd that is no directory: bad.db was written"
out=$("$esmsim" check "$py" --set function.handler.cwd=no-such-dir 2>&1); rc=$?
expect_eq "$rc" 2 "check: a cwd that is no directory: exit status"
expect_in "$out" "no-such-dir' is not a directory" "check: a cwd that is no directory: the message"
out=$("$esmsim" check "$py" --set function.report=throw 2>&1); rc=$?
expect_eq "$rc" 2 "a model report with a handler: exit status"
expect_in "$out" "\$.function.report: not with a handler" "a model report with a handler: the message"

finish
