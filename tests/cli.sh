#!/usr/bin/env bash
# tests/cli.sh ESMSIM SRCDIR - the command line end to end (SPEC section 5):
# bad input exits 2 with a message naming file and path and writes nothing;
# every bundled scenario checks; a run writes a complete database; an
# interrupted run leaves a valid database marked incomplete; runs append;
# --dump-events writes each invocation's event and response as JSON files.
. "$(dirname "$0")/lib.sh"

# Every bad scenario fixture: `check` and `run` exit 2, say what and where, write nothing.
for bad in "$src"/tests/data/bad/*.json; do
  name=$(basename "$bad" .json)
  want=$(cat "${bad%.json}.expect")
  msg=$("$esmsim" check "$bad" 2>&1 >/dev/null); rc=$?
  expect_eq "$rc" 2 "check $name exit status"
  expect_in "$msg" "$want" "check $name message"
  expect_in "$msg" "$name.json" "check $name names the file"
  "$esmsim" run "$bad" -o "$work/bad.db" >/dev/null 2>&1; rc=$?
  expect_eq "$rc" 2 "run $name exit status"
  [ ! -e "$work/bad.db" ] && ok || ko "run $name wrote a database"
  rm -f "$work"/bad.db*   # so that one failure does not fail the next fixtures
done

msg=$("$esmsim" check "$work/missing.json" 2>&1); rc=$?
expect_eq "$rc" 2 "unreadable file exit status"
expect_in "$msg" "missing.json: cannot read" "unreadable file message"
msg=$("$esmsim" run "$src/scenarios/steady-state.json" --frobnicate 2>&1); rc=$?
expect_eq "$rc" 2 "unknown option exit status"
expect_in "$msg" "--frobnicate" "unknown option message"
msg=$("$esmsim" check "$src/scenarios/steady-state.json" --set event_source_mapping.BatchSize=0 2>&1); rc=$?
expect_eq "$rc" 2 "--set out of range exit status"
expect_in "$msg" "BatchSize" "--set out of range names the key"
msg=$("$esmsim" frob 2>&1); rc=$?
expect_eq "$rc" 2 "unknown command"

# Issue 11 item 17: an unknown command is named as one, with the list, even before an option.
for args in "replay" "replay --help" "replay x.json -o out.json"; do
  msg=$("$esmsim" $args 2>&1); rc=$?
  expect_eq "$rc" 2 "esmsim $args: exit status"
  expect_eq "$msg" "esmsim: unknown command 'replay' (the commands are: run, check, report, trace, plot, sweep, merge, logs, import, compare, help, version; esmsim help shows how to use them)" \
    "esmsim $args: message"
done
out=$("$esmsim" run --help 2>&1); rc=$?
expect_eq "$rc" 0 "run --help exit status"
expect_in "$out" "usage: esmsim run SCENARIO" "run --help prints the usage"
# Issue 13 item 1: one option table parser for every command: the same words for the same
# mistakes, exit status 2, nothing on stdout; --help prints the usage on stdout, exit 0.
for cmd in run check report trace logs plot compare merge import sweep; do
  out=$("$esmsim" $cmd --frobnicate x 2>"$work/err"); rc=$?
  expect_eq "$rc:$out:$(cat "$work/err")" "2::esmsim $cmd: unknown option: --frobnicate" "$cmd: an unknown option"
  out=$("$esmsim" $cmd --help 2>"$work/err"); rc=$?
  expect_eq "$rc:$(cat "$work/err")" "0:" "$cmd --help: exit status, nothing on stderr"
  expect_in "$out" "usage: esmsim $cmd " "$cmd --help: the usage on stdout"
done
# README, Commands: `esmsim help` and "each command's own options are in `esmsim COMMAND --help`":
# `esmsim help COMMAND` prints the same (it printed the general usage whatever COMMAND was); an
# unknown one is an unknown command, and help and --version refuse what they do not take.
for cmd in run check report trace logs plot compare merge import sweep; do
  out=$("$esmsim" help $cmd 2>"$work/err"); rc=$?
  expect_eq "$rc:$(cat "$work/err")" "0:" "help $cmd: exit status, nothing on stderr"
  expect_eq "$out" "$("$esmsim" $cmd --help)" "help $cmd: what $cmd --help prints"
done
out=$("$esmsim" help 2>"$work/err"); rc=$?
expect_eq "$rc:$(cat "$work/err")" "0:" "help: exit status, nothing on stderr"
expect_in "$out" "usage: esmsim run SCENARIO" "help: the general usage"
for args in "--help" "-h" "help help" "help version" "help --help" "version --help"; do
  expect_eq "$("$esmsim" $args 2>&1):$?" "$out:0" "esmsim $args: the general usage"
done
for args in "help replay:esmsim: unknown command 'replay' (the commands are: run, check, report, trace, plot, sweep, merge, logs, import, compare, help, version; esmsim help shows how to use them)" \
            "help sweep extra:esmsim help: unexpected argument: extra" \
            "help --json:esmsim help: unknown option: --json" \
            "--version extra:esmsim --version: unexpected argument: extra" \
            "version extra:esmsim version: unexpected argument: extra" \
            "version --json:esmsim version: unknown option: --json"; do
  out=$("$esmsim" ${args%%:*} 2>"$work/err"); rc=$?
  expect_eq "$rc:$out:$(cat "$work/err")" "2::${args#*:}" "esmsim ${args%%:*}: refused"
done
# Every option word a command accepts (its option table: long names and short aliases) is
# named in its --help, so that none works unseen (README, Commands: each command's own
# options are in `esmsim COMMAND --help`).
for entry in "run:--set --seed -o --output --no-record-tables --dump-events --dump-limit -q --quiet --threads" \
             "check:--set --seed" "report:--run --json --recompute" "trace:--key --sequence --shard --run" \
             "logs:--invocation --key --run" "plot:-o --output --run --chart --keep-data --at" \
             "compare:--json -o --output --run --align --export --period" \
             "import:-o --output --mapping --parameter" \
             "sweep:--vary --set -o --output --seeds -j --jobs --objective --drain-below --print-runs --keep-runs --no-chart"; do
  cmd=${entry%%:*}
  help=$("$esmsim" "$cmd" --help)
  for word in ${entry#*:}; do
    case " $(printf '%s' "$help" | tr -s '[](),|\n' '      ') " in
      *" $word "*) ok ;;
      *) ko "$cmd --help names $word" ;;
    esac
  done
done
for words in "run x.json -o:-o needs a file name" "check x.json --set:--set needs path=value" \
             "report x.db --run:--run needs a run id" "trace x.db --key:--key needs a partition key" \
             "logs x.db --invocation:--invocation needs an invocation id" \
             "compare x.db --period:--period needs a number of seconds" \
             "import x.json --mapping:--mapping needs a mapping's name" \
             "sweep x.json --vary:--vary needs path=v1,v2,..." \
             "report x.db y.db:unexpected argument: y.db" "sweep x.json y.json:unexpected argument: y.json" \
             "merge out.db:missing OUT.db or IN.db (usage: esmsim merge OUT.db IN.db...)" \
             "report:missing RUN.db (usage: esmsim report RUN.db [--run ID] [--json] [--recompute])" \
             "run:missing SCENARIO"; do
  args=${words%%:*} want=${words#*:}
  # shellcheck disable=SC2086
  out=$("$esmsim" $args 2>"$work/err"); rc=$?
  expect_eq "$rc:$out:$(cat "$work/err")" "2::esmsim ${args%% *}: $want" "esmsim $args"
done
rm -f "$work/err"
# -o '' is not the default database: SQLite would make it a temporary one and the run would vanish.
msg=$(cd "$work" && "$esmsim" run "$src/scenarios/latest-start.json" -o '' -q 2>&1); rc=$?
expect_eq "$rc" 2 "-o '' exit status"
expect_eq "$msg" "esmsim run: -o takes a file name, not an empty string" "-o '' message"
expect_eq "$(ls "$work")" "" "-o '' wrote nothing"
# --set '$.=5' names no key: a path error, not "out of memory".
msg=$("$esmsim" check "$src/scenarios/latest-start.json" --set '$.=5' 2>&1); rc=$?
expect_eq "$rc" 2 "--set \$.=5 exit status"
expect_in "$msg" "latest-start.json: --set \$.=5: expected path=value" "--set \$.=5 message"
# 300 --set options: --seed still applies (there is no fixed-size list to fall off).
sets=()
for i in $(seq 300); do sets+=(--set duration=1m); done
"$esmsim" run "$src/scenarios/latest-start.json" -o "$work/many.db" --seed 9 "${sets[@]}" \
  --set 'expect={}' --no-record-tables -q; rc=$?
expect_eq "$rc" 0 "300 --set options: exit status"
expect_eq "$(sqlite3 "$work/many.db" 'SELECT seed, duration_ms FROM runs')" "9|60000" "300 --set options keep --seed"
# A scenario is a regular file or a pipe, of at most 64 MiB: /dev/zero is refused unread.
msg=$(timeout 20 "$esmsim" check /dev/zero 2>&1); rc=$?
expect_eq "$rc" 2 "check /dev/zero exit status"
expect_eq "$msg" "esmsim: /dev/zero: cannot read: not a regular file (a character device)" "check /dev/zero message"
head -c $((64 * 1048576 + 1)) /dev/zero | tr '\0' ' ' > "$work/big.json"
msg=$("$esmsim" check "$work/big.json" 2>&1); rc=$?
expect_eq "$rc" 2 "a 64 MiB + 1 byte scenario: exit status"
expect_in "$msg" "big.json: cannot read: larger than 64 MiB, the most a scenario file may hold" "too large a scenario"
rm -f "$work/big.json"
out=$("$esmsim" check <(cat "$src/scenarios/latest-start.json") 2>&1); rc=$?
expect_eq "$rc" 0 "a scenario from a pipe: $out"

# 200,000 producers are checked at once (their names were compared pairwise: 100,000 took
# 25 s); the last one's name is the first's.
python3 -c 'import json; p = [{"name": "p%d" % i, "rate": 1, "keys": {"count": 1}} for i in range(200000)]
p.append(dict(p[0])); print(json.dumps({"name": "many", "duration": "1m", "producers": p,
  "event_source_mapping": {"StartingPosition": "LATEST"}}))' > "$work/many-producers.json"
msg=$("$esmsim" check "$work/many-producers.json" 2>&1); rc=$?
expect_eq "$rc:$msg" "2:esmsim: $work/many-producers.json: \$.producers[200000].name: a producer named \"p0\" comes before: names must be unique" \
  "200,000 producers: the duplicate name"
rm -f "$work/many-producers.json"

# Issue 11 item 15: a rate of 10^12 records a second is refused before anything runs
# (it grew by 400 MB/s until the kernel killed the process), whatever the machine.
msg=$(timeout 20 "$esmsim" run "$src/scenarios/steady-state.json" -o "$work/huge.db" \
      --set 'producers[0].rate=1e12' 2>&1); rc=$?
expect_eq "$rc" 2 "rate 1e12: exit status"
expect_in "$msg" "steady-state.json: --set producers[0].rate=1e12: \$.producers[0].rate: this run needs 3.7 PiB of memory even if the mapping keeps up" \
  "rate 1e12: the estimate"
[ ! -e "$work/huge.db" ] && ok || ko "rate 1e12 wrote a database"
# The estimate is honest: a run that reaches the bound (the mapping disabled, every record
# held) peaks below it, and not far below. Not under AddressSanitizer, whose memory is its own.
# MALLOC_PERTURB_ set here, as meson sets it: every allocated byte resident, so that the peak
# is what the run allocated however the test is started (by hand, without it, 132 MiB fell
# just under a third of 401).
if ! ldd "$esmsim" 2>/dev/null | grep -q libasan; then
  stalled=(--set duration=10m --set event_source_mapping.Enabled=false --set 'expect={}' --no-record-tables)
  est=$("$esmsim" check "$src/scenarios/steady-state.json" "${stalled[@]:0:6}" |
        sed -n 's/^memory: .* up to \([0-9.]*\) MiB if it stops reading.*/\1/p')
  peak=$(MALLOC_PERTURB_=165 "$esmsim" run "$src/scenarios/steady-state.json" -o "$work/stalled.db" "${stalled[@]}" |
         sed -n 's/.*peak memory \([0-9]*\) MiB.*/\1/p')
  awk -v e="$est" -v p="$peak" 'BEGIN { exit !(e > 0 && p > 0 && p <= e && p >= e / 3) }' && ok ||
    ko "a stalled run's peak memory ($peak MiB) within the estimate ($est MiB) and a third of it"
  # By default the limit is the machine's memory, or less: here ulimit -v.  A healthy
  # run of steady-state needs a few MiB: accepted, with the stalled bound over the limit.
  msg=$( (ulimit -v 1000000; "$esmsim" check "$src/scenarios/steady-state.json" 2>&1) ); rc=$?
  expect_eq "$rc" 0 "steady-state under ulimit -v 1000000: exit status"
  expect_in "$msg" "(allowed: 977 MiB, this process's address-space limit (ulimit -v); a run that gets there is stopped)" \
    "the limit from ulimit -v"
  msg=$( (ulimit -v 1000000; "$esmsim" check "$src/scenarios/steady-state.json" --set producers[0].rate=3e7 2>&1) ); rc=$?
  expect_eq "$rc" 2 "steady-state at 3e7 records/s under ulimit -v 1000000: exit status"
  expect_in "$msg" "more than the 977 MiB allowed (this process's address-space limit (ulimit -v); model.memory_limit sets it)" \
    "the limit from ulimit -v, refused"
  rm -f "$work"/stalled.db*
fi
# Issue 11 item 15: a run whose mapping stalls holds every record it is given; past
# model.memory_limit it stops as it goes (exit 1, the log whole and incomplete), at the
# same virtual time on every machine, with its peak memory within the limit: its own
# memory, without the MALLOC_PERTURB_ meson sets, which makes every byte allocated
# resident (the rings' doubled room, the threads' queues: 165 MiB then, 96 without).
stall=(--set duration=1h --set event_source_mapping.Enabled=false --set 'expect={}' --set model.memory_limit=160MiB)
for i in 1 2; do
  msg=$(env -u MALLOC_PERTURB_ "$esmsim" run "$src/scenarios/steady-state.json" -o "$work/budget$i.db" "${stall[@]}" 2>&1); rc=$?
  expect_eq "$rc" 1 "stalled past model.memory_limit: exit status"
  expect_in "$msg" "esmsim: run stopped: at " "stalled past model.memory_limit: said"
  expect_in "$msg" "would pass the run's memory budget of" "stalled past model.memory_limit: why"
  expect_eq "$(sqlite3 "$work/budget$i.db" "SELECT complete, end_ms < 3600000, end_ms > 0 FROM runs")" "0|1|1" \
    "stalled past model.memory_limit: incomplete, stopped on the way"
  expect_eq "$(sqlite3 "$work/budget$i.db" "PRAGMA integrity_check")" ok "stalled past model.memory_limit: integrity"
done
expect_eq "$(sqlite3 "$work/budget1.db" "SELECT end_ms FROM runs")" "$(sqlite3 "$work/budget2.db" "SELECT end_ms FROM runs")" \
  "stalled past model.memory_limit: stops at the same virtual time"
if ! ldd "$esmsim" 2>/dev/null | grep -q libasan; then
  peak=$(printf '%s\n' "$msg" | sed -n 's/.*peak memory \([0-9]*\) MiB.*/\1/p')
  [ -n "$peak" ] && [ "$peak" -le 160 ] && ok || ko "stalled past model.memory_limit: peak memory $peak MiB within 160 MiB"
fi
rm -f "$work"/budget*.db*

# Every bundled scenario is valid, and each one's run meets its expect block.
for s in "$src"/scenarios/*.json "$src"/bench/*.json; do
  "$esmsim" check "$s" >/dev/null 2>&1; rc=$?
  expect_eq "$rc" 0 "check $(basename "$s")"
done
for s in "$src"/scenarios/*.json; do
  msg=$("$esmsim" run "$s" -o "$work/scenario.db" --no-record-tables -q 2>&1); rc=$?
  expect_eq "$rc" 0 "run $(basename "$s") meets its expect block: $msg"
  rm -f "$work"/scenario.db*
done

# A violated expectation: exit status 1, each violation named; the run is still logged.
msg=$("$esmsim" run "$src/scenarios/poison-pill-bounded.json" -o "$work/expect.db" -q \
      --set expect.discards=2 --set 'expect.invocations_error={"min":4}' 2>&1); rc=$?
expect_eq "$rc" 1 "violated expect exit status"
expect_in "$msg" "expect: discards is 1, expected 2" "violated exact expectation"
expect_in "$msg" "expect: invocations_error is 3, expected at least 4" "violated min expectation"
expect_eq "$(sqlite3 "$work/expect.db" 'SELECT complete FROM runs')" 1 "violated expect run still complete"

# A run writes a complete database; a second run appends as run 2.
db="$work/run.db"
out=$("$esmsim" run "$src/scenarios/latest-start.json" -o "$db" 2>&1); rc=$?
expect_eq "$rc" 0 "run exit status"
expect_in "$out" "missed" "summary shows missed messages"
expect_in "$out" "IteratorAge" "summary shows IteratorAge"
expect_eq "$(sqlite3 "$db" 'SELECT complete FROM runs WHERE run_id = 1')" 1 "run complete"
expect_eq "$(sqlite3 "$db" 'SELECT count(*) > 0 FROM invocations')" 1 "invocations written"
expect_eq "$(sqlite3 "$db" "SELECT count(*) > 0 FROM messages WHERE fate = 'missed'")" 1 "missed rows"
expect_eq "$(sqlite3 "$db" "SELECT count(*) FROM messages WHERE fate NOT IN ('missed','processed','pending')")" 0 \
          "latest-start fates"
"$esmsim" run "$src/scenarios/latest-start.json" -o "$db" --seed 9 --no-record-tables -q; rc=$?
expect_eq "$rc" 0 "second run exit status"
expect_eq "$(sqlite3 "$db" 'SELECT group_concat(run_id) FROM runs')" "1,2" "runs append"
expect_eq "$(sqlite3 "$db" 'SELECT seed FROM runs WHERE run_id = 2')" 9 "--seed is recorded"
expect_eq "$(sqlite3 "$db" 'SELECT count(*) FROM records WHERE run_id = 2')" 0 "--no-record-tables"
expect_eq "$(sqlite3 "$db" 'SELECT count(*) > 0 FROM invocations WHERE run_id = 2')" 1 "run 2 invocations"

# The run's first line says the span simulated as a scenario's duration is written
# (docs/scenario.md, Types: a number with one unit, up to d), which reads back as the same
# span: "1d", not "24h" nor "1d2h"; 26 hours in hours, not "26h0m".
quiet=(--set producers[0].stop=1s --set event_source_mapping.Enabled=false --set 'expect={}' --no-record-tables)
for span in 1d 26h 90m; do
  out=$("$esmsim" run "$src/scenarios/steady-state.json" -o "$work/span.db" --set duration=$span "${quiet[@]}" 2>&1); rc=$?
  expect_eq "$rc" 0 "run --set duration=$span: exit status"
  expect_in "$out" "steady-state (seed 42): $span simulated in " "run --set duration=$span: the span as written"
done
rm -f "$work"/span.db*

# Ctrl-C: exit 130, the database is valid and says the run is incomplete.
db="$work/int.db"
"$esmsim" run "$src/scenarios/poison-pill.json" -o "$db" -q --set duration=30d \
    --set stream.retention=8760h >/dev/null 2>&1 &
pid=$!
wait_end "$db" 60000 || ko "interrupted run: no commit seen"
kill -INT "$pid"
wait_within "$pid" 60 2>/dev/null; rc=$?
expect_eq "$rc" 130 "interrupted exit status"
expect_eq "$(sqlite3 "$db" 'PRAGMA integrity_check')" ok "interrupted database integrity"
expect_eq "$(sqlite3 "$db" 'SELECT complete FROM runs')" 0 "interrupted run marked incomplete"
# A message has a row once its fate is final: an interrupted run logs none as pending (issue 11 item 14).
expect_eq "$(sqlite3 "$db" "SELECT count(*) FROM messages WHERE fate = 'pending'")" 0 \
          "interrupted run logs no message in flight"

# R6/R8 end to end: the OnFailure invocation record in discards, as AWS shapes it.
"$esmsim" run "$src/scenarios/poison-pill-bisect.json" -o "$work/bisect.db" -q; rc=$?
expect_eq "$rc" 0 "poison-pill-bisect exit status"
q() { sqlite3 "$1" "$2"; }
rec="json_extract(invocation_record, '\$.%s')"
j() { printf "$rec" "$1"; }
expect_eq "$(q "$work/bisect.db" "SELECT count(*), record_count, condition FROM discards")" \
  "1|1|RetryAttemptsExhausted" "R8 bisect to the poison record: one discard of one record"
expect_eq "$(q "$work/bisect.db" "SELECT $(j requestContext.condition), $(j requestContext.approximateInvokeCount),
    $(j responseContext.functionError), $(j KinesisBatchInfo.batchSize), $(j version)
    FROM discards")" "RetryAttemptsExhausted|7|Unhandled|1|1.0" \
  "R6 invocation record: condition, approximateInvokeCount (issue 11 item 7b: 4 invocations of the sets it was split from, of 11, 6, 3 and 2 records, then 1 + MaximumRetryAttempts 2), functionError"
expect_eq "$(q "$work/bisect.db" "SELECT $(j KinesisBatchInfo.startSequenceNumber) = CAST(start_sequence_number AS TEXT)
    AND $(j KinesisBatchInfo.endSequenceNumber) = CAST(end_sequence_number AS TEXT)
    AND $(j KinesisBatchInfo.shardId) = shard_id FROM discards")" 1 \
  "R6 invocation record: KinesisBatchInfo sequence numbers and shard match the row"
expect_eq "$(q "$work/bisect.db" "SELECT count(*) FROM messages m JOIN records r USING (run_id, message_id)
    JOIN discards d ON r.sequence_number = d.start_sequence_number WHERE m.fate = 'discarded'")" 1 \
  "R17 the discarded record's message has fate discarded"
expect_eq "$(q "$work/bisect.db" "SELECT count(*) FROM messages WHERE fate = 'discarded'")" 1 \
  "R17 only the poison record's message is discarded"
"$esmsim" run "$src/scenarios/buggy-empty-identifier.json" -o "$work/empty-id.db" -q; rc=$?
expect_eq "$rc" 0 "buggy-empty-identifier exit status"
expect_eq "$(q "$work/empty-id.db" "SELECT count(*) > 0, min(json_type(invocation_record, '\$.responseContext.functionError')),
    max(json_type(invocation_record, '\$.responseContext.functionError')),
    min($(j requestContext.approximateInvokeCount)), max($(j requestContext.approximateInvokeCount)),
    sum($(j KinesisBatchInfo.batchSize) = record_count) = count(*) FROM discards")" "1|null|null|3|3|1" \
  "R6/R7 a batch failed by an empty itemIdentifier: functionError null, 3 invocations, batchSize = records"

# R15 end to end: each window's final state counts exactly the records that arrived in it.
"$esmsim" run "$src/scenarios/tumbling-window-counts.json" -o "$work/windows.db" -q; rc=$?
expect_eq "$rc" 0 "tumbling-window-counts exit status"
expect_eq "$(q "$work/windows.db" "SELECT count(*) FROM windows w WHERE w.records !=
    (SELECT sum(value) FROM json_each(w.state))")" 0 "R15 each state's counts add up to its records"
expect_eq "$(q "$work/windows.db" "SELECT count(*) FROM windows w WHERE w.records !=
    (SELECT count(*) FROM records r WHERE r.shard_id = w.shard_id
       AND r.arrival_ms >= w.start_ms AND r.arrival_ms < w.end_ms)")" 0 \
  "R15 each window counts the records that arrived in it, once"
expect_eq "$(q "$work/windows.db" "SELECT count(*) FROM windows w WHERE NOT EXISTS (SELECT 1 FROM
    invocations i WHERE i.invocation_id = w.final_invocation_id AND i.record_count = 0
    AND i.first_sequence_number IS NULL AND i.outcome = 'success')")" 0 \
  "R15 each window is closed by a successful final invocation without records"

# --dump-events: the first invocations' exact events and responses, listed in index.jsonl.
dump="$work/events"
msg=$("$esmsim" run "$src/scenarios/poison-pill-bounded.json" -o "$work/dump.db" \
      --dump-events "$dump" --dump-limit 5 -q 2>&1); rc=$?
expect_eq "$rc" 0 "--dump-events exit status: $msg"
expect_eq "$(ls "$dump" | grep -c '\.event\.json$')" 5 "--dump-limit 5: event files"
expect_eq "$(ls "$dump" | grep -c '\.response\.json$')" 5 "--dump-limit 5: response files"
expect_eq "$(wc -l < "$dump/index.jsonl" | tr -d ' ')" 5 "--dump-limit 5: index.jsonl lines"
# Every dumped event of DIR parses, has its index's record count, and is the
# exact event the mapping sized for R2 (payload_bytes in DB, and a newline).
# One python process checks a whole directory: prints one line per failure.
check_dump() {
  local bad
  bad=$(python3 - "$1" "$2" <<'PY'
import json, os, sqlite3, sys
d, db = sys.argv[1], sqlite3.connect(sys.argv[2])
for line in open(os.path.join(d, "index.jsonl")):
    entry = json.loads(line)
    for f in (entry["event_file"], entry["response_file"]):
        try:
            json.load(open(os.path.join(d, f)))
        except ValueError as e:
            print("%s does not parse: %s" % (f, e))
    event = os.path.join(d, entry["event_file"])
    n = len(json.load(open(event))["Records"])
    if n != entry["record_count"]:
        print("%s: %d Records, index says %d" % (event, n, entry["record_count"]))
    want, = db.execute("SELECT payload_bytes + 1 FROM invocations WHERE invocation_id = ?"
                       " AND outcome != 'throttled'", (entry["invocation_id"],)).fetchone()
    if os.path.getsize(event) != want:
        print("%s: %d bytes, payload_bytes + 1 is %d" % (event, os.path.getsize(event), want))
PY
)
  expect_eq "$bad" "" "every event in $1 parses, has its record_count and payload_bytes"
}
check_dump "$dump" "$work/dump.db"
# R15: windowed events carry the window, the state given, and the flags; the
# final one of a window has no records and the whole state.
"$esmsim" run "$src/scenarios/tumbling-window-counts.json" -o "$work/wdump.db" --no-record-tables \
  --set duration=3m --set 'expect={}' --dump-events "$work/wevents" -q; rc=$?
expect_eq "$rc" 0 "--dump-events with windows: exit status"
check_dump "$work/wevents" "$work/wdump.db"
finals=$(python3 - "$work/wevents" <<'PY'
import json, os, sys
d = sys.argv[1]
out = []
for line in open(os.path.join(d, "index.jsonl")):
    e = json.load(open(os.path.join(d, json.loads(line)["event_file"])))
    assert set(e) == {"Records", "window", "state", "shardId", "eventSourceARN",
                      "isFinalInvokeForWindow", "isWindowTerminatedEarly"}, sorted(e)
    if e["isFinalInvokeForWindow"]:
        out.append("%s %s %d %d" % (e["shardId"], e["window"]["start"], len(e["Records"]),
                                    sum(e["state"].values())))
print("\n".join(sorted(out)))
PY
)
want=$(sqlite3 -separator ' ' "$work/wdump.db" "SELECT shard_id, strftime('%Y-%m-%dT%H:%M:%SZ', '2026-01-01', '+' || (start_ms / 1000) || ' seconds'), 0, records FROM windows ORDER BY 1, 2")
expect_eq "$finals" "$want" "R15 final events: no records, the window's whole state, as in the windows table"
# R15: the model's answer in a window is AWS's TimeWindowEventResponse: {"state": ...}, the state it
# was given with the records it handled counted (here every record), in first-counted order; a
# final invocation returns the state it was given.  (The answer was dumped as null.)
bad=$(python3 - "$work/wevents" <<'PY'
import json, os, sys
d = sys.argv[1]
for line in open(os.path.join(d, "index.jsonl")):
    i = json.loads(line)
    e = json.load(open(os.path.join(d, i["event_file"])))
    r = json.load(open(os.path.join(d, i["response_file"])))
    want = dict(e["state"])
    for rec in e["Records"]:
        want[rec["kinesis"]["partitionKey"]] = want.get(rec["kinesis"]["partitionKey"], 0) + 1
    if i["outcome"] == "success" and (not isinstance(r, dict) or list(r) != ["state"]
                                      or list(r["state"].items()) != list(want.items())):
        print("%s: %s, want {\"state\": %s}" % (i["response_file"], json.dumps(r), json.dumps(want)))
        break
PY
)
expect_eq "$bad" "" "R15 a windowed invocation's dumped response is {\"state\": the state it returned}"
out=$("$esmsim" run "$src/scenarios/poison-pill-bounded.json" -o "$work/dump.db" --no-record-tables \
      --dump-events "$work/events2" --dump-limit 2 2>&1); rc=$?
expect_eq "$rc" 0 "--dump-events with a summary: exit status"
expect_in "$out" "events: 2 invocations written to $work/events2 (" "--dump-events summary line"
expect_in "$out" "more not written: --dump-limit)" "--dump-events summary counts the rest"
msg=$("$esmsim" run "$src/scenarios/poison-pill-bounded.json" -o "$work/nodump.db" \
      --dump-events "$work/events3" --dump-limit 0 2>&1); rc=$?
expect_eq "$rc" 2 "--dump-limit 0 exit status"
expect_in "$msg" "--dump-limit takes a positive integer, not '0'" "--dump-limit 0 message"
[ ! -e "$work/nodump.db" ] && ok || ko "--dump-limit 0 wrote a database"
# Issue 11 item 17: a link among the dump's file names is refused before anything runs;
# its target is left as it was.
mkdir "$work/linked" && echo precious > "$work/target"
ln -s "$work/target" "$work/linked/000000001.event.json"
msg=$("$esmsim" run "$src/scenarios/poison-pill-bounded.json" -o "$work/nodump.db" \
      --dump-events "$work/linked" 2>&1); rc=$?
expect_eq "$rc" 2 "--dump-events with a symbolic link: exit status"
expect_eq "$msg" "esmsim: --dump-events: $work/linked/000000001.event.json: a symbolic link: esmsim does not write through links (remove it, or dump to another directory)" \
  "--dump-events with a symbolic link: message"
expect_eq "$(cat "$work/target")" precious "--dump-events left the link's target alone"
[ ! -e "$work/nodump.db" ] && ok || ko "--dump-events with a symbolic link wrote a database"
msg=$("$esmsim" run "$src/scenarios/poison-pill-bounded.json" -o "$work/nodump.db" \
      --dump-events "$work/missing/events" 2>&1); rc=$?
expect_eq "$rc" 2 "--dump-events in a missing directory: exit status"
expect_in "$msg" "$work/missing/events: cannot create directory" "--dump-events unusable directory message"
[ ! -e "$work/nodump.db" ] && ok || ko "--dump-events unusable directory wrote a database"
# SPEC section 5 (bad input: exit 2, nothing written): a run refused for its run log leaves the
# dump directory as it was: the last dump's index.jsonl whole, a new directory not made.
# Before, the dump was opened first: index.jsonl was emptied (the 5 invocations above no longer
# listed), and a new directory made with an empty index.jsonl.
echo "not a run log" > "$work/text.db"
before=$(cat "$dump/index.jsonl")
msg=$("$esmsim" run "$src/scenarios/poison-pill-bounded.json" -o "$work/text.db" --dump-events "$dump" 2>&1); rc=$?
expect_eq "$rc:$msg" "2:esmsim: $work/text.db: open: file is not a database" "--dump-events, the run log refused"
expect_eq "$(cat "$dump/index.jsonl")" "$before" "--dump-events, the run log refused: the last dump's index kept"
"$esmsim" run "$src/scenarios/poison-pill-bounded.json" -o "$work/text.db" --dump-events "$work/new-events" 2>/dev/null
[ ! -e "$work/new-events" ] && ok || ko "--dump-events, the run log refused: a new directory made"
# The run log is one of the dump's files (-o DIR/index.jsonl): refused before anything runs.
# Before, it was accepted (exit 0): the dump's index and the run log were the same file.
mkdir "$work/same"
for name in index.jsonl 000000001.event.json; do
  msg=$("$esmsim" run "$src/scenarios/poison-pill-bounded.json" -o "$work/same/$name" \
        --dump-events "$work/same/" 2>&1); rc=$?
  expect_eq "$rc:$msg" "2:esmsim: --dump-events: $work/same/$name: is the run log -o $work/same/$name: dump to another directory" \
    "--dump-events with the run log $name among its files"
  expect_eq "$(ls "$work/same")" "" "--dump-events with the run log $name among its files: nothing written"
done

# SPEC 1.2 DynamoDB Streams end to end (ddb-three-readers.json): the events have the table's
# shape and exactly the size the mapping counted (R2); the stream ARN has DynamoDB's label.
ddb="$src/scenarios/ddb-three-readers.json"
arn="arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000"
"$esmsim" run "$ddb" -o "$work/ddb.db" -q --dump-events "$work/ddbevents" --dump-limit 300; rc=$?
expect_eq "$rc" 0 "ddb-three-readers exit status"
check_dump "$work/ddbevents" "$work/ddb.db"
bad=$(python3 - "$work/ddbevents" "$arn" <<'PY'
import json, os, sys
d, arn = sys.argv[1], sys.argv[2]
seen = set()
for line in open(os.path.join(d, "index.jsonl")):
    for r in json.load(open(os.path.join(d, json.loads(line)["event_file"])))["Records"]:
        name, ddb = r["eventName"], r["dynamodb"]
        seen.add(name)
        images = ("NewImage" in ddb, "OldImage" in ddb)
        want = {"INSERT": (True, False), "MODIFY": (True, True), "REMOVE": (False, True)}[name]
        if (images != want or r["eventSource"] != "aws:dynamodb" or r["eventSourceARN"] != arn
                or ddb["StreamViewType"] != "NEW_AND_OLD_IMAGES" or "order-" not in ddb["Keys"]["pk"]["S"]):
            print("bad record: %s" % json.dumps(r)[:300])
if seen != {"INSERT", "MODIFY", "REMOVE"}:
    print("event names seen: %s" % sorted(seen))
PY
)
expect_eq "$bad" "" "SPEC 1.2 dumped DynamoDB records: eventName, images of NEW_AND_OLD_IMAGES, ARN"
# R6 on a table: the OnFailure record of a discarded batch has DDBStreamBatchInfo.
"$esmsim" run "$ddb" -o "$work/ddbfail.db" -q --set 'expect={}' --set duration=2m \
  --set 'records=[{"at":"30s","partition_key":"order-7","data":"poison","event":"REMOVE"}]' \
  --set 'function.failures=[{"match":{"data_contains":"poison"}}]' \
  --set 'event_source_mapping.DestinationConfig={"OnFailure":{"Destination":"arn:aws:sqs:us-east-1:123456789012:dlq"}}'
rc=$?
expect_eq "$rc" 0 "ddb-three-readers with a poison item: exit status"
expect_eq "$(q "$work/ddbfail.db" "SELECT count(*) > 0, min($(j DDBStreamBatchInfo.streamArn)),
    sum($(j DDBStreamBatchInfo.batchSize) = record_count) = count(*),
    count($(j KinesisBatchInfo)) FROM discards")" "1|$arn|1|0" \
  "R6 a table's discarded batch: DDBStreamBatchInfo with the stream ARN, no KinesisBatchInfo"
expect_eq "$(q "$work/ddbfail.db" "SELECT count(*) FROM discards d JOIN records r
    ON r.sequence_number BETWEEN d.start_sequence_number AND d.end_sequence_number
    AND r.shard_id = d.shard_id JOIN messages m USING (run_id, message_id)
    WHERE m.producer = 'records' AND m.fate = 'discarded'")" 1 \
  "R17 the poison item's REMOVE record is in the discarded batch"
# SPEC 1.2 rollover, R12/R3: every 10 minutes each shard closes and a child with its range
# continues it; the mapping finishes the parent first: no record out of its key's order.
"$esmsim" run "$ddb" -o "$work/roll.db" -q --set duration=25m --set stream.shard_lifetime=10m \
  --set 'expect={"order_violations":0,"messages_lost":0,"messages_expired":0,"messages_pending":{"max":50}}'
rc=$?
expect_eq "$rc" 0 "ddb-three-readers with rollovers every 10m: exit status"
expect_eq "$(q "$work/roll.db" "SELECT group_concat(shard_id || '<' || coalesce(parent_shard_id, '') || '@'
    || opened_ms || '-' || coalesce(closed_ms, ''), ' ') FROM (SELECT * FROM shards ORDER BY shard_id)")" \
  "shardId-000000000000<@0-600000 shardId-000000000001<@0-600000 shardId-000000000002<shardId-000000000000@600000-1200000 shardId-000000000003<shardId-000000000001@600000-1200000 shardId-000000000004<shardId-000000000002@1200000- shardId-000000000005<shardId-000000000003@1200000-" \
  "SPEC 1.2 rollover lineage in the shards table"
expect_eq "$(q "$work/roll.db" "SELECT count(DISTINCT shard_id) FROM invocations")" 6 \
  "R12 every rolled-over shard is read"
# R1 read sharing: alone on its shards the mapping keeps to its own 4 calls a second
# (re-polls after a batch included), within the shard's 8: never throttled, and its
# records wait less than with two other readers (286 ms).
"$esmsim" run "$ddb" -o "$work/alone.db" -q --set stream.other_consumers=0 \
  --set 'expect={"read_throttles":0,"read_delay_mean_ms":{"max":200}}'; rc=$?
expect_eq "$rc" 0 "ddb-three-readers alone on its shards: no throttles, shorter read delay"

# ---- standard output (SPEC 5: exit 1 what could not be written in full) -----------------------
# A report that never reached its reader is a failure, said on stderr: a full disk (/dev/full)
# or a closed descriptor; the figures are still in the run log.
"$esmsim" run "$src/scenarios/steady-state.json" -o "$work/out.db" -q --set duration=2s || ko "out.db"
if [ -w /dev/full ]; then
  for args in "report $work/out.db" "report $work/out.db --json" "--version"; do
    msg=$("$esmsim" $args 2>&1 >/dev/full); rc=$?
    expect_eq "$rc" 1 "esmsim $args >/dev/full: exit status"
    expect_eq "$msg" "esmsim ${args%% *}: standard output: No space left on device" \
      "esmsim $args >/dev/full: message"
  done
  # a run's summary: the run itself is in its database, complete
  msg=$("$esmsim" run "$src/scenarios/steady-state.json" -o "$work/full.db" --set duration=2s 2>&1 >/dev/full); rc=$?
  expect_eq "$rc" 1 "run >/dev/full: exit status"
  expect_eq "$msg" "esmsim run: standard output: No space left on device" "run >/dev/full: message"
  expect_eq "$(sqlite3 "$work/full.db" 'SELECT complete FROM runs')" 1 "run >/dev/full: the run complete"
fi
msg=$("$esmsim" report "$work/out.db" 2>&1 >&-); rc=$?
expect_eq "$rc" 1 "report with standard output closed: exit status"
expect_eq "$msg" "esmsim report: standard output: Bad file descriptor" \
  "report with standard output closed: message"
# A reader gone (`| head -1`): esmsim ends as SIGPIPE ends a program, once done, saying nothing.
msg=$(closed_pipe "$esmsim" report "$work/out.db" 2>&1)
expect_eq "$msg" "-13" "report into a closed pipe: ended by SIGPIPE, nothing said"
"$esmsim" report "$work/out.db" >/dev/null; rc=$?
expect_eq "$rc" 0 "report into /dev/null: exit status"
# A stop signal while esmsim waits for a reader that does not read (README, Exit status): it
# stops, as asked, with 130 and says what it could not write; the run log is as it was, the
# run complete.  Before, a run's summary ended 1 ("standard output: Interrupted system
# call"), and one longer than stdio's buffer (300 shards) blocked again at its next write:
# the signal was lost.  (A command that does not catch them, as report, dies of the signal.)
for sig in INT TERM HUP; do
  for shards in 4 300; do
    rm -f "$work/full-pipe.db"
    status=$(full_pipe $sig "$esmsim" run "$src/scenarios/steady-state.json" -o "$work/full-pipe.db" \
      --set duration=2s --set stream.shards=$shards 2>"$work/err")
    expect_eq "$status:$(cat "$work/err")" "130:esmsim run: interrupted: standard output not written in full (its reader was not reading)" \
      "SIG$sig while the summary of $shards shards waits for a reader that does not read"
    expect_eq "$(q "$work/full-pipe.db" 'SELECT complete FROM runs')" 1 "SIG$sig, full pipe, $shards shards: the run complete"
  done
done

finish
