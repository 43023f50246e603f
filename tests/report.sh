#!/usr/bin/env bash
# tests/report.sh ESMSIM SRCDIR - `esmsim report` (SPEC section 5, over the run log of
# section 3): bad input exits 2 with one clear line; on a hand-made run log
# (tests/data/report/handmade.sql) every figure is the one worked out by hand there:
# R17 fates, consumer and producer duplicates, per-key order (R10/R12, SPEC 1.3),
# R6 discards, retention, R14 IteratorAge nearest-rank percentiles, R9 throttles,
# a run without the per-record tables, an incomplete run; on bundled scenarios every
# figure the run's summary also prints is equal (counts through the run's own
# `expect` block, IteratorAge from its table), and a run without the per-record
# tables gives the same invocation, discard, checkpoint and shard figures.
. "$(dirname "$0")/lib.sh"

# check_json FILE WHAT: each line of stdin is "PATH VALUE" (PATH dotted, array
# indexes as numbers; VALUE JSON); one assertion per line.
check_json() {
  local line
  while IFS= read -r line; do
    case "$line" in ok*) ok ;; *) ko "$2: $line" ;; esac
  done < <(python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
for line in sys.stdin:
    if not line.strip():
        continue
    path, want = line.split(None, 1)
    v = doc
    try:
        for p in path.split("."):
            v = v[int(p)] if isinstance(v, list) else v[p]
    except (KeyError, IndexError, TypeError):
        print("%s: missing" % path)
        continue
    print("ok" if v == json.loads(want) else "%s: got %s, expected %s" % (path, json.dumps(v), want.strip()))
' "$1")
}

# ---- bad input: exit 2, one line on stderr, nothing on stdout ------------------------------

db="$work/hm.db"
"$esmsim" run "$src/scenarios/steady-state.json" -o "$db" --set duration=1s -q || ko "schema run"
sqlite3 "$db" < "$src/tests/data/report/handmade.sql" || ko "hand-made run log"
echo "not a database" > "$work/text.db"
sqlite3 "$work/other.db" "CREATE TABLE t (a)"
bad() {   # bad WANT-MESSAGE ARGS...
  local want=$1 out err rc
  shift
  out=$("$esmsim" report "$@" 2>"$work/err"); rc=$?
  err=$(cat "$work/err")
  expect_eq "$rc" 2 "report $* exit status"
  expect_eq "$out" "" "report $* prints nothing on stdout"
  expect_in "$err" "$want" "report $* message"
}
bad "missing RUN.db"
bad "unknown option: --frob" "$db" --frob
bad "--run needs a run id" "$db" --run
bad '--run: expected a run id, a positive integer, got "x"' "$db" --run x
bad '--run: expected a run id, a positive integer, got "0"' "$db" --run 0
bad "unexpected argument: extra" "$db" extra
bad "$work/missing.db: cannot open" "$work/missing.db"
bad "$work/text.db: cannot read" "$work/text.db"
bad "$work/other.db: not an esmsim run log" "$work/other.db"
# A run killed between creating its file and committing its tables (SIGKILL in its first
# milliseconds) leaves a database of one page in WAL mode and no table, or an empty file:
# said to be that, not "not an esmsim run log" (SPEC section 5: exit 2, the file named).
sqlite3 "$work/killed.db" "PRAGMA journal_mode=WAL" > /dev/null || ko "killed: make"
: > "$work/zero.db"
bad "$work/killed.db: an empty database, no run in it (a run killed as it began leaves one)" "$work/killed.db"
bad "$work/zero.db: an empty database, no run in it (a run killed as it began leaves one)" "$work/zero.db"
bad "$db: no run 9 (the runs are 1 to 4)" "$db" --run 9
# A number edited into a text or a blob (ad-hoc SQL: SQLite stores what it is given) is a
# damaged run log, refused naming its table and column (SPEC section 5: bad input, exit
# 2), never read as 0.
damaged="$work/damaged.db"
"$esmsim" run "$src/scenarios/steady-state.json" -o "$damaged" --set duration=1m -q || ko "damaged: run"
sqlite3 "$damaged" "UPDATE summary_figures SET value = 'abc' WHERE name = 'invocations.total';
  UPDATE summary_shards SET throttled = x'01' WHERE shard_id = 'shardId-000000000001'" \
  || ko "damaged: edit"
# (a figure is a number: reads.delay_mean_ms is a mean)
bad "$damaged: reading the summary tables: summary_figures.value of run 1 holds the text \"abc\", expected a number: the run log is damaged" \
  "$damaged"
bad "$damaged: reading the summary tables: summary_figures.value of run 1 holds the text \"abc\", expected a number: the run log is damaged" \
  "$damaged" --json
sqlite3 "$damaged" "DELETE FROM summary_figures WHERE name = 'invocations.total'" || ko "damaged: edit"
bad "$damaged: reading the summary tables: summary_shards.throttled of run 1 holds a blob, expected an integer: the run log is damaged" \
  "$damaged"
# The same for what report --recompute sums and joins with SQL over whole tables (a text was
# summed as 0, or left its row out of a join; a real in an integer column was summed as it
# is): each number of the run's rows is checked first, and the first that is not one named.
# The runs row is checked by every reader.
damaged_recompute() {   # damaged_recompute SQL WANT: the hand-made run 1 edited by SQL
  cp "$db" "$work/dmg.db" && sqlite3 "$work/dmg.db" "$1" || ko "damaged: $1"
  bad "$work/dmg.db: $2, expected $3: the run log is damaged" "$work/dmg.db" --run 1 --recompute
}
damaged_recompute "UPDATE delivery_rows SET invocation_handled = 'abc' WHERE run_id = 1 AND sequence_number = 5
  AND invocation_handled = (SELECT min(invocation_handled) FROM delivery_rows WHERE run_id = 1 AND sequence_number = 5)" \
  'delivery_rows.invocation_handled of run 1 holds the text "abc"' "an integer"
damaged_recompute "UPDATE discards SET record_count = 1.5 WHERE run_id = 1" \
  "discards.record_count of run 1 holds the number 1.5" "an integer"
damaged_recompute "UPDATE metrics SET value = x'01' WHERE rowid = (SELECT min(rowid) FROM metrics WHERE run_id = 1)" \
  "metrics.value of run 1 holds a blob" "a number"
damaged_recompute "UPDATE runs SET per_record_tables = 'yes' WHERE run_id = 1" \
  'runs.per_record_tables of run 1 holds the text "yes"' "an integer"
# NULL where esmsim always writes a number (runlog_schema.c: runlog_filled) is damaged too:
# a NULL record_count was left out of the discarded records' sum, a NULL arrival_ms dropped
# its record from "written", a NULL start_ms its invocation; a NULL where esmsim writes one
# (end_ms of a killed run, closed_ms, iterator_age_ms) is read as it is.
damaged_recompute "UPDATE discards SET record_count = NULL WHERE run_id = 1" \
  "discards.record_count of run 1 is NULL" "an integer"
damaged_recompute "UPDATE record_rows SET arrival_ms = NULL WHERE run_id = 1 AND sequence_number = 5" \
  "record_rows.arrival_ms of run 1 is NULL" "an integer"
damaged_recompute "UPDATE invocations SET start_ms = NULL WHERE rowid = (SELECT min(rowid) FROM invocations WHERE run_id = 1)" \
  "invocations.start_ms of run 1 is NULL" "an integer"
out=$("$esmsim" report --help); rc=$?
expect_eq "$rc" 0 "report --help exit status"
expect_in "$out" "usage: esmsim report RUN.db [--run ID] [--json]" "report --help"

# ---- the hand-made run log: every figure known (see handmade.sql) ---------------------------

"$esmsim" report "$db" --run 1 --json --recompute > "$work/run1.json"; rc=$?
expect_eq "$rc" 0 "report --run 1 --json exit status"
check_json "$work/run1.json" "hand-made run 1" <<'EOF'
run.run_id 1
run.scenario "handmade"
run.complete true
run.per_record_tables true
unavailable []
messages {"total": 15, "processed": 10, "pending": 1, "lost": 0, "discarded": 2, "expired": 1, "missed": 0, "rejected": 1}
invocations {"total": 9, "success": 4, "partial": 1, "error": 0, "timeout": 3, "throttled": 1, "deliveries": 18, "oversized": 0, "concurrent_executions_max": 2}
duplicates.redelivered_records 4
duplicates.redeliveries 6
duplicates.reprocessed_records 1
duplicates.producer_duplicates 2
duplicates.producer_duplicate_records 2
order.by_sequence.violations 1
order.by_sequence.examples [{"partition_key": "d", "sequence_number": 11, "arrival_ms": 1500, "first_delivered_ms": 7600, "after_sequence_number": 12, "after_arrival_ms": 1510, "after_first_delivered_ms": 3300}]
order.by_producer.violations 2
order.by_producer.examples.0 {"partition_key": "a", "message_id": 1, "sequence_number": 2, "created_ms": 1000, "first_delivered_ms": 2000, "after_message_id": 2, "after_sequence_number": 1, "after_created_ms": 1010, "after_first_delivered_ms": 2000}
order.by_producer.examples.1 {"partition_key": "d", "message_id": 12, "sequence_number": 11, "created_ms": 1100, "first_delivered_ms": 7600, "after_message_id": 13, "after_sequence_number": 12, "after_created_ms": 1110, "after_first_delivered_ms": 3300}
retention {"expired_records": {"value": null, "min": 1, "max": 2}, "expired_messages": 1}
discards.messages {"total": 2, "RetryAttemptsExhausted": 1, "RecordAgeExceeded": 1}
discards.records {"total": 3, "RetryAttemptsExhausted": 2, "RecordAgeExceeded": 1}
discards.first.0 {"at_ms": 7500, "shard_id": "shardId-000000000000", "condition": "RetryAttemptsExhausted", "start_sequence_number": 5, "end_sequence_number": 6, "record_count": 2, "approximate_invoke_count": 3, "destination": "arn:aws:sqs:us-east-1:123456789012:dlq"}
discards.first.1.destination null
discards.first.1.condition "RecordAgeExceeded"
checkpoints {"total": 8, "success": 4, "partial": 1, "discarded": 2, "expired": 1, "shard_end": 0, "starting_position": 0}
shards.0.shard_id "shardId-000000000000"
shards.0.invocations 5
shards.0.throttled 1
shards.0.iterator_age_ms {"count": 5, "p50": 3880, "p90": 6180, "p99": 6180, "max": 6180}
shards.0.oldest_unprocessed_age_max_ms 58400
shards.1.invocations 3
shards.1.throttled 0
shards.1.iterator_age_ms {"count": 3, "p50": 1780, "p90": 1830, "p99": 1830, "max": 1830}
shards.1.oldest_unprocessed_age_max_ms 1590
shards.2.shard_id "shardId-000000000002"
shards.2.invocations 0
shards.2.iterator_age_ms {"count": 0, "p50": null, "p90": null, "p99": null, "max": null}
shards.2.oldest_unprocessed_age_max_ms 86398670
iterator_age_ms {"count": 8, "p50": 1830, "p90": 6180, "p99": 6180, "max": 6180}
reads {"get_records_throttled": 3, "delay_mean_ms": 123.5, "delay_max_ms": 400.25}
EOF
# The same rows with an all-failures function: the partial invocation may have handled
# the records it redelivered, so seq 9 and 10 may have been handled twice.
"$esmsim" report "$db" --run 2 --json --recompute > "$work/run2.json"
check_json "$work/run2.json" "hand-made run 2 (all-failures)" <<'EOF'
duplicates.reprocessed_records 2
order.by_sequence.violations 1
iterator_age_ms.p50 1830
reads {"get_records_throttled": null, "delay_mean_ms": null, "delay_max_ms": null}
EOF
# Without the per-record tables: null and named, the rest the same as run 1.
"$esmsim" report "$db" --run 3 --json --recompute > "$work/run3.json"
check_json "$work/run3.json" "hand-made run 3 (no per-record tables)" <<'EOF'
run.per_record_tables false
unavailable ["messages", "duplicates", "order", "retention"]
messages null
duplicates null
order null
retention null
invocations.deliveries 18
discards.records.total 3
checkpoints.total 8
shards.2.oldest_unprocessed_age_max_ms 86398670
iterator_age_ms {"count": 8, "p50": 1830, "p90": 6180, "p99": 6180, "max": 6180}
EOF
expect_eq "$(python3 -c 'import json, sys; a, b = (json.load(open(f)) for f in sys.argv[1:])
print(list(a) == list(b) and all(a[k] == b[k] for k in ("invocations", "discards", "checkpoints", "shards", "iterator_age_ms")))' \
  "$work/run1.json" "$work/run3.json")" True "no per-record tables: the same keys, and figures from the other tables"
out=$("$esmsim" report "$db" --run 3 --recompute); rc=$?
expect_eq "$rc" 0 "report of a run without per-record tables exit status"
expect_in "$out" "NOTE: this run was made with --no-record-tables" "says the per-record figures are unavailable"
# Text: the same figures for people.
out=$("$esmsim" report "$db" --run 1 --recompute 2>"$work/err"); rc=$?
expect_eq "$rc" 0 "report --run 1 exit status"
expect_eq "$(cat "$work/err")" "" "report of a complete run: nothing on stderr"
# Issue 13 item 3: a run without summary tables' rows (as in a log of an older esmsim)
# is recomputed, and report says so on stderr.
"$esmsim" report "$db" --run 1 --json > "$work/run1-default.json" 2>"$work/err"
expect_eq "$(cat "$work/err")" "esmsim report: note: $db run 1 has no summary tables (a run log of an older esmsim): its figures are recomputed from the per-record tables" \
  "no summary tables: recomputed, with a note"
expect_eq "$(cmp -s "$work/run1.json" "$work/run1-default.json" && echo same)" same \
  "no summary tables: the figures of --recompute"
# The header's times have days, as the run's own line has (fmt_span_ms), not "25h00m00.000s".
expect_in "$out" "$db, run 1: handmade (seed 1), 1d01h00m00.000s of 1d01h00m00.000s simulated" "text: header"
expect_in "$out" "messages               15   processed 10  pending 1  discarded 2  expired 1  rejected 1" "text: fates"
expect_in "$out" "duplicates              4   records delivered more than once" "text: redelivered"
expect_in "$out" "1   records the function handled more than once (side effects twice)" "text: handled twice"
expect_in "$out" "2   messages written more than once (producer duplicates, 2 extra records)" "text: producer duplicates"
expect_in "$out" "d: seq 11 (arrived 1.500s, first delivered 7.600s) after seq 12 (arrived 1.510s, first delivered 3.300s)" \
  "text: sequence-order example"
expect_in "$out" "a: message 1 (created 1.000s, seq 2, first delivered 2.000s) after message 2 (created 1.010s, seq 1, first delivered 2.000s)" \
  "text: producer-order example"
expect_in "$out" "1m01.600s shardId-000000000000 RecordAgeExceeded: seq 15 to 15, 1 record, 0 invocations, dropped (no OnFailure destination)" \
  "text: a discarded batch"
expect_in "$out" "1 to 2   records lost to retention" "text: retention, bounded"
expect_in "$out" "throttles               1   invocations throttled (R9: not attempts); 3 GetRecords calls throttled" "text: throttles"
expect_in "$out" "read delay         124 ms mean, 400 ms max, from arrival to GetRecords" "text: read delay"
expect_in "$out" "all shards                       8         1     1,830     6,180     6,180     6,180" "text: IteratorAge of all shards"
# An incomplete run, the latest, is the default: warned about on stdout and stderr.
out=$("$esmsim" report "$db" 2>"$work/err"); rc=$?
expect_eq "$rc" 0 "report of an incomplete run exit status"
expect_in "$out" "$db, run 4:" "the latest run by default"
expect_in "$out" "WARNING: this run is incomplete" "incomplete run: warning in the report"
expect_in "$(cat "$work/err")" "warning: $db run 4 is incomplete" "incomplete run: warning on stderr"
case "$out" in *"killed (or still running) at"*) ko "an interrupted run (wall_seconds set) is not said to be killed" ;; *) ok ;; esac
"$esmsim" report "$db" --json > "$work/run4.json" 2>/dev/null
check_json "$work/run4.json" "hand-made run 4 (incomplete)" <<'EOF'
run.run_id 4
run.complete false
order.by_producer.violations 2
EOF

# The seed is 0 to 2^64 - 1 (docs/scenario.md, top level; the run's summary prints it so);
# the run log stores one from 2^63 up as its 64-bit pattern (negative). report prints it
# as the scenario gave it, and in JSON a seed above 2^53 - 1 as a string of digits, the
# scenario's own form for it (a JSON number there would be rounded: 2^53 + 1 reads 2^53).
"$esmsim" run "$src/scenarios/steady-state.json" --set duration=1s --seed 18446744073709551615 -q \
  -o "$work/seed.db" || ko "run with the largest seed"
"$esmsim" run "$src/scenarios/steady-state.json" --set duration=1s --seed 9007199254740993 -q \
  -o "$work/seed.db" || ko "run with a seed of 2^53 + 1"
"$esmsim" run "$src/scenarios/steady-state.json" --set duration=1s --seed 9007199254740991 -q \
  -o "$work/seed.db" || ko "run with a seed of 2^53 - 1"
# README, report --json: numbers exact up to 2^53; cJSON alone prints 2^53 - 1 with 15
# digits (9.00719925474099e+15), so report prints integers from 10^15 up itself.
expect_in "$("$esmsim" report "$work/seed.db" --run 1)" "run 1: steady-state (seed 18446744073709551615)," \
  "text: the largest seed as given, not its bit pattern"
"$esmsim" report "$work/seed.db" --run 1 --json > "$work/seed1.json"
"$esmsim" report "$work/seed.db" --run 2 --json > "$work/seed2.json"
"$esmsim" report "$work/seed.db" --run 3 --json > "$work/seed3.json"
check_json "$work/seed1.json" "the largest seed" <<'EOS'
run.seed "18446744073709551615"
EOS
check_json "$work/seed2.json" "a seed of 2^53 + 1" <<'EOS'
run.seed "9007199254740993"
EOS
check_json "$work/seed3.json" "a seed of 2^53 - 1, a number" <<'EOS'
run.seed 9007199254740991
EOS

# runs.scenario_json is the effective scenario (README, the runs table): run again, it is
# the same run, whatever the seed (SPEC 6).  It held 2^53 - 1 as 9.00719925474099e+15, a
# run of seed 9007199254740990.
for r in 1 2 3; do
  sqlite3 "$work/seed.db" "SELECT scenario_json FROM runs WHERE run_id = $r" > "$work/again$r.json"
  "$esmsim" run "$work/again$r.json" -q -o "$work/again.db" || ko "run $r's scenario_json: run"
done
expect_eq "$(sqlite3 "$work/again.db" "SELECT group_concat(seed, ' ') FROM runs")" \
  "$(sqlite3 "$work/seed.db" "SELECT group_concat(seed, ' ') FROM runs")" \
  "scenario_json run again: the seeds of the runs it came from"

# ---- bundled scenarios: the report's figures are the run summary's --------------------------

# same_as_summary NAME ARGS...: run the scenario, report it; then run it again (the same
# run, SPEC 6) with an expect block made of the report's figures: the run checks each
# against its own count.  IteratorAge: the summary's percentiles are the upper edges of
# 2% bins of exact ages, the run log's ages are whole ms (floored): report <= summary
# <= (report + 1) x 1.02, and the maximum within 1 ms (the summary rounds it).
same_as_summary() {
  local name=$1 expect msg rc
  shift
  "$esmsim" run "$@" -o "$work/$name.db" --set 'expect={}' > "$work/$name.summary"; rc=$?
  expect_eq "$rc" 0 "$name: run exit status"
  "$esmsim" report "$work/$name.db" --json > "$work/$name.json"; rc=$?
  expect_eq "$rc" 0 "$name: report exit status"
  expect=$(python3 - "$work/$name.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
def bounded(b):
    return b["value"] if b["value"] is not None else {"min": b["min"], "max": b["max"]}
e = {"messages": r["messages"]["total"], "invocations": r["invocations"]["total"],
     "deliveries": r["invocations"]["deliveries"]}
for fate in ("processed", "pending", "lost", "discarded", "expired", "missed", "rejected"):
    e["messages_" + fate] = r["messages"][fate]
for outcome in ("success", "partial", "error", "timeout", "throttled"):
    e["invocations_" + outcome] = r["invocations"][outcome]
d = r["duplicates"]
e["redelivered_records"] = d["redelivered_records"]
e["reprocessed_records"] = d["reprocessed_records"]
e["producer_duplicates"] = d["producer_duplicates"]
e["discards"] = r["discards"]["messages"]["total"]
e["oversized_invocations"] = r["invocations"]["oversized"]
e["discarded_records"] = r["discards"]["records"]["total"]
e["expired_records"] = bounded(r["retention"]["expired_records"])
e["order_violations"] = r["order"]["by_sequence"]["violations"]
age = r["iterator_age_ms"]["max"]
e["iterator_age_max_ms"] = {"min": age, "max": age + 1}
# issue 13 item 3: the reads (R1, R9), the observer's, as the summary has them; the JSON
# holds 15 significant digits (cJSON), so the mean is within 1e-12 of it, not always equal
for k, name in (("get_records_throttled", "read_throttles"), ("delay_mean_ms", "read_delay_mean_ms"),
                ("delay_max_ms", "read_delay_max_ms")):
    v = r["reads"][k]
    e[name] = {"min": v, "max": v} if isinstance(v, int) else {"min": v * (1 - 1e-12), "max": v * (1 + 1e-12)}
print(json.dumps(e))
PY
)
  msg=$("$esmsim" run "$@" -o "$work/$name-again.db" -q --set "expect=$expect" 2>&1); rc=$?
  expect_eq "$rc" 0 "$name: the summary's counts equal the report's: $msg"
  msg=$(python3 - "$work/$name.json" "$work/$name.summary" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
shards = {s["shard_id"]: s for s in r["shards"]}
rows = [l.split() for l in open(sys.argv[2]) if l.startswith("shardId-")]
if not rows:
    print("no IteratorAge rows in the summary")
for sid, n, p50, p99, mx in rows:
    s = shards[sid]
    a = s["iterator_age_ms"]
    n, p50, p99, mx = (float(x.replace(",", "")) for x in (n, p50, p99, mx))
    if n != s["invocations"]:
        print("%s: %d invocations in the summary, %d in the report" % (sid, n, s["invocations"]))
    if not a["count"]:
        continue
    if abs(mx - a["max"]) > 1:
        print("%s: max %g in the summary, %d in the report" % (sid, mx, a["max"]))
    for key, v in (("p50", p50), ("p99", p99)):
        if not a[key] - 0.5 <= v <= (a[key] + 1) * 1.02 + 0.5:
            print("%s: %s %g in the summary, %d in the report" % (sid, key, v, a[key]))
PY
)
  expect_eq "$msg" "" "$name: R14 IteratorAge per shard as in the summary"
}

sc="$src/scenarios"
same_as_summary first-failure "$sc/partial-first-failure.json" --set duration=5m
check_json "$work/first-failure.json" "partial-first-failure" <<'EOF'
duplicates.reprocessed_records 0
EOF
expect_eq "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["duplicates"]["redelivered_records"] > 500)' \
  "$work/first-failure.json")" True "partial-first-failure: redelivered, never handled twice"
same_as_summary all-failures "$sc/partial-all-failures.json" --set duration=5m
# producer-retries with its burst over the write limit early, so that a minute shows it.
burst='[{"at":"20s","for":"30s","multiplier":2}]'
same_as_summary producer-retries "$sc/producer-retries.json" --set duration=60s \
  --set "producers[0].bursts=$burst" --set "producers[1].bursts=$burst"
check_json "$work/producer-retries.json" "producer-retries" <<'EOF'
duplicates.redelivered_records 0
order.by_sequence.violations 0
EOF
# (a message may be written three times: it succeeded in two attempts of a request resent whole)
expect_eq "$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))["duplicates"]
print(d["producer_duplicates"] > 100, d["producer_duplicates"], d["producer_duplicate_records"])' \
  "$work/producer-retries.json")" \
  "True $(sqlite3 "$work/producer-retries.db" "SELECT count(*), sum(n - 1) FROM (SELECT count(*) AS n
     FROM records GROUP BY message_id HAVING n > 1)" | tr '|' ' ')" \
  "SPEC 1.3 retry mode all: messages written more than once, and their records beyond the first"
expect_eq "$(python3 -c 'import json, sys; o = json.load(open(sys.argv[1]))["order"]["by_producer"]
print(o["violations"] > 1000, len(o["examples"]))' "$work/producer-retries.json")" "True 5" \
  "SPEC 1.3 producer retries reorder: messages out of producer order, 5 examples"
# Producer order by hand: a message first delivered after a later-created one of its key.
expect_eq "$(sqlite3 "$work/producer-retries.db" "
  WITH f AS (SELECT r.message_id, r.partition_key AS k, m.created_ms AS c, i.invocation_id AS inv,
                    r.sequence_number AS seq,
                    row_number() OVER (PARTITION BY r.message_id ORDER BY i.invocation_id, r.sequence_number) AS j
             FROM records r JOIN deliveries d ON d.run_id = r.run_id AND d.shard_id = r.shard_id
                                              AND d.sequence_number = r.sequence_number
             JOIN invocations i ON i.run_id = d.run_id AND i.invocation_id = d.invocation_id
             JOIN messages m ON m.run_id = r.run_id AND m.message_id = r.message_id),
       g AS (SELECT *, max(c * 10000000 + message_id) OVER (PARTITION BY k ORDER BY inv, seq
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS b FROM f WHERE j = 1)
  SELECT count(*) FROM g WHERE b > c * 10000000 + message_id")" \
  "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["order"]["by_producer"]["violations"])' "$work/producer-retries.json")" \
  "SPEC 1.3 producer-order violations equal a hand-written query"
same_as_summary poison-pill "$sc/poison-pill-bounded.json" --set duration=12m
check_json "$work/poison-pill.json" "poison-pill-bounded" <<'EOF'
discards.messages {"total": 1, "RetryAttemptsExhausted": 1, "RecordAgeExceeded": 0}
discards.first.0.approximate_invoke_count 3
discards.first.0.destination "arn:aws:sqs:us-east-1:123456789012:order-dlq"
EOF
same_as_summary split-no-wait "$sc/split-no-wait.json" --set duration=6m \
  --set 'function.failures=[{"match":{"from":"1m","to":"3m"},"effect":"fail"}]' \
  --set 'stream.reshard=[{"at":"4m","target_shard_count":4}]'
expect_eq "$(python3 -c 'import json, sys; o = json.load(open(sys.argv[1]))["order"]["by_sequence"]
print(o["violations"] > 1000, len(o["examples"]))' "$work/split-no-wait.json")" "True 5" \
  "R12 a consumer that does not wait for parents: records out of sequence order, 5 examples"
same_as_summary latest-start "$sc/latest-start.json"
# Issue 11 item 2: invocations Lambda refused (an event over 6 MB), counted
# from the run log as the summary counts them.
same_as_summary oversized "$sc/oversized-record.json" --set duration=16m
check_json "$work/oversized.json" "oversized-record" <<'EOF'
invocations.oversized 300
invocations.error 300
discards.messages {"total": 2, "RetryAttemptsExhausted": 0, "RecordAgeExceeded": 2}
discards.first.0.approximate_invoke_count 300
EOF

# Issue 13 item 3: the same run without the per-record tables has every figure (the
# observer's, from the summary tables), the same as with them; --recompute can only tell
# what the other tables allow (and counts deliveries from the invocations that completed).
"$esmsim" run "$sc/poison-pill-bounded.json" --set duration=12m --no-record-tables -q \
  -o "$work/poison-pill-nrt.db" || ko "poison-pill-bounded --no-record-tables run"
"$esmsim" report "$work/poison-pill-nrt.db" --json > "$work/poison-pill-nrt.json"
expect_eq "$(python3 -c 'import json, sys; a, b = (json.load(open(f)) for f in sys.argv[1:])
print(a["run"].pop("per_record_tables"), b["run"].pop("per_record_tables"), a == b)' \
  "$work/poison-pill.json" "$work/poison-pill-nrt.json")" "True False True" \
  "--no-record-tables: every figure, equal to those of the run with the tables"
"$esmsim" report "$work/poison-pill-nrt.db" --json --recompute > "$work/poison-pill-nrt-sql.json"
expect_eq "$(python3 -c 'import json, sys; a, b = (json.load(open(f)) for f in sys.argv[1:])
da, db = a["invocations"].pop("deliveries"), b["invocations"].pop("deliveries")
print(b["unavailable"], all(a[k] == b[k] for k in ("invocations", "discards", "checkpoints", "shards", "iterator_age_ms", "reads")),
      0 < da - db <= 100)' "$work/poison-pill.json" "$work/poison-pill-nrt-sql.json")" \
  "['messages', 'duplicates', 'order', 'retention'] True True" \
  "--no-record-tables --recompute: invocations, discards, checkpoints, shards, IteratorAge and reads unchanged"
out=$("$esmsim" report "$work/poison-pill-nrt.db"); rc=$?
expect_eq "$rc" 0 "report of a run without per-record tables, from its summary tables"
expect_in "$out" "NOTE: this run was made with --no-record-tables (no messages, records or deliveries rows): the figures are those its observer computed as it ran" \
  "says where the figures come from"
expect_in "$out" "messages " "the fates of a run without per-record tables"

finish
