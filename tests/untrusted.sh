#!/usr/bin/env bash
# tests/untrusted.sh ESMSIM SRCDIR - a run log is untrusted input (issue 11 item 9; SPEC
# section 5: merge copies rows and executes nothing read from its inputs).  Run logs
# crafted here with the sqlite3 CLI: SQL smuggled into an input's schema never runs (the
# output and an unrelated SQLite file stay as they were); an input whose tables, columns,
# views, triggers, schema version, run ids or rows are not those of an esmsim run log is
# refused by merge with exit 2, naming the file, and nothing is written; merged runs are
# numbered 1, 2, ... whatever ids an input holds; report, trace and plot refuse run ids and
# run times out of range, return promptly on a run that claims to last 274 years, print no
# control character read from a file, and never overflow on crafted figures.
. "$(dirname "$0")/lib.sh"
q() { sqlite3 -separator ' ' "$1" "$2"; }

# Under UBSan, undefined behaviour stops the program (and fails a case).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
cd "$work" || exit 1

"$esmsim" run "$src/scenarios/steady-state.json" -o base.db --set duration=2s -q || ko "base run"
"$esmsim" run "$src/scenarios/steady-state.json" -o other.db --set duration=1s -q || ko "other run"
"$esmsim" sweep "$src/scenarios/steady-state.json" --set duration=1s --set 'expect={}' \
  --vary event_source_mapping.BatchSize=10 -j 1 --no-chart -o sw.db >/dev/null 2>&1 || ko "sweep"
# the key traced below: the first record's (the wide shard id of item 9 is that record's)
key=$(q base.db "SELECT partition_key FROM records WHERE sequence_number = 1")
# (the base tables: messages, records and deliveries are views over *_rows, issue 13 item 4)
per_run="shards message_rows record_rows invocations delivery_rows checkpoints discards metrics windows
  shard_names key_names producer_names
  summary_figures summary_shards summary_examples summary_discards summary_series"
# craft NAME SQL: NAME.db, a copy of base.db changed by SQL.
craft() { cp base.db "$1.db" && sqlite3 "$1.db" "$2" || ko "crafting $1"; }
# set_run_id DB ID: run 1 of DB becomes run ID in every table.
set_run_id() {
  local t sql="UPDATE runs SET run_id = $2;"
  for t in $per_run; do sql="$sql UPDATE $t SET run_id = $2;"; done
  sqlite3 "$1" "$sql" || ko "run id $2 in $1"
}
sum() { cksum < "$1"; }

# refused WHAT WANT ARGS...: `esmsim merge ARGS` exits 2 naming what was wrong, and out.db
# (made fresh from other.db) and victim.db are as they were.
refused() {
  local what=$1 want=$2 msg rc before victim
  shift 2
  cp other.db out.db
  before=$(sum out.db) victim=$(sum victim.db)
  msg=$("$esmsim" merge "$@" 2>&1); rc=$?
  expect_eq "$rc" 2 "$what: exit status ($msg)"
  expect_in "$msg" "$want" "$what: message"
  expect_eq "$(sum out.db)" "$before" "$what: out.db untouched"
  expect_eq "$(sum victim.db)" "$victim" "$what: the unrelated file untouched"
}
sqlite3 victim.db "CREATE TABLE t (a); INSERT INTO t VALUES (42)"

# ---- item 9: SQL smuggled into an input's schema is never executed ---------------------------
# The attack of the issue: a table whose CREATE TABLE text goes on with statements that
# empty the output's runs and, through ATTACH, drop a table of an unrelated file.
smuggled="DELETE FROM main.runs; ATTACH '$work/victim.db' AS v; DROP TABLE v.t"
craft smuggle "CREATE TABLE x (run_id INTEGER); PRAGMA writable_schema = ON;
  UPDATE sqlite_schema SET sql = 'CREATE TABLE x (run_id INTEGER); ' || '${smuggled//\'/\'\'}'
  WHERE name = 'x'"
expect_in "$(q smuggle.db "SELECT sql FROM sqlite_schema WHERE name = 'x'")" "DROP TABLE v.t" \
  "the crafted input carries the statements"
refused "issue 11 item 9: smuggled statements" "smuggle.db: holds table x, which an esmsim run log has not" \
  out.db smuggle.db
expect_eq "$(q out.db 'SELECT count(*) FROM runs')" 1 "item 9: the output keeps its run"
expect_eq "$(q victim.db 'SELECT a FROM t')" 42 "item 9: the unrelated file keeps its table"
# The same text behind a table esmsim has (sweep_results, which a plain output lacks): the
# input is a run log in shape, so it is merged, but its CREATE TABLE is never run: the
# output's table is esmsim's own.
cp sw.db smuggle-sweep.db
sqlite3 smuggle-sweep.db "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = sql || '; ' ||
  '${smuggled//\'/\'\'}' WHERE name = 'sweep_results'" || ko "crafting smuggle-sweep"
cp other.db out.db
msg=$("$esmsim" merge out.db smuggle-sweep.db 2>&1); rc=$?
expect_eq "$rc" 0 "item 9: a run log in shape is merged ($msg)"
expect_eq "$(q out.db 'SELECT group_concat(run_id) FROM runs')" "1,2" "item 9: the output keeps its run, the input's is run 2"
expect_eq "$(q out.db 'SELECT run_id FROM sweep_results')" 2 "item 9: the sweep row follows its run"
expect_eq "$(q out.db "SELECT sql FROM sqlite_schema WHERE name = 'sweep_results'")" \
  "$(q sw.db "SELECT sql FROM sqlite_schema WHERE name = 'sweep_results'")" \
  "item 9: the output's sweep_results is esmsim's definition"
expect_eq "$(q victim.db 'SELECT a FROM t')" 42 "item 9: the unrelated file keeps its table"

# ---- item 9: an input must be an esmsim run log in every table and column ---------------------
craft trigger "CREATE TRIGGER evil AFTER INSERT ON metrics BEGIN DELETE FROM runs; END"
refused "a trigger" "trigger.db: holds trigger evil, which an esmsim run log has not" out.db trigger.db
craft view "CREATE VIEW v AS SELECT 1"
refused "a view" "view.db: holds view v, which an esmsim run log has not" out.db view.db
craft extra "ALTER TABLE invocations ADD COLUMN evil TEXT"
refused "an unknown column" "extra.db: table invocations has a column evil that esmsim's has not" \
  out.db extra.db
craft nocol "ALTER TABLE invocations DROP COLUMN error"
refused "a missing column" "nocol.db: table invocations has no column error" out.db nocol.db
craft notable "DROP TABLE windows"
refused "a missing table" "notable.db: has no table windows" out.db notable.db
craft generated "CREATE TABLE m2 (run_id INTEGER NOT NULL, at_ms INTEGER, name TEXT, shard_id TEXT,
  value REAL GENERATED ALWAYS AS (at_ms * 2) VIRTUAL); DROP TABLE metrics; ALTER TABLE m2 RENAME TO metrics"
refused "a generated column" "generated.db: column metrics.value is generated or hidden" out.db generated.db
craft asview "DROP TABLE metrics; CREATE VIEW metrics AS SELECT 1 AS run_id, 2 AS at_ms, 3 AS name,
  4 AS shard_id, 5 AS value"
refused "a view for a table" "asview.db: metrics is a view, not a table" out.db asview.db
craft old "PRAGMA user_version = 2"
refused "an older schema version" "old.db: run log schema version 2, this esmsim reads version" out.db old.db
craft newer "PRAGMA user_version = 99"
refused "a newer schema version" "newer.db: run log schema version 99, this esmsim reads version" out.db newer.db
craft orphan "INSERT INTO checkpoints (run_id, shard_id, at_ms, sequence_number, reason)
  VALUES (7, 'shardId-000000000000', 0, 1, 'success')"
refused "rows of no run" "orphan.db: table checkpoints has 1 row of no run" out.db orphan.db
# A good input before a bad one: nothing is written either (every input is checked first).
refused "a good input then a bad one" "trigger.db: holds trigger evil" out.db base.db trigger.db
# An output with a trigger of its own (it would run on every insert).
cp other.db evil-out.db
sqlite3 evil-out.db "CREATE TRIGGER evil AFTER INSERT ON runs BEGIN DELETE FROM runs; END"
before=$(sum evil-out.db)
msg=$("$esmsim" merge evil-out.db base.db 2>&1); rc=$?
expect_eq "$rc" 2 "an output with a trigger: exit status"
expect_in "$msg" "evil-out.db: holds trigger evil" "an output with a trigger: message"
expect_eq "$(sum evil-out.db)" "$before" "an output with a trigger: untouched"
# The readers take a file with a table or column more (a user's own), not one with less.
"$esmsim" report extra.db >/dev/null 2>&1; rc=$?
expect_eq "$rc" 0 "report reads a log with a column more"
msg=$("$esmsim" report nocol.db 2>&1); rc=$?
expect_eq "$rc" 2 "report of a log without a column: exit status"
expect_in "$msg" "nocol.db: table invocations has no column error" "report of a log without a column: message"
msg=$("$esmsim" trace generated.db --key "$key" 2>&1); rc=$?
expect_eq "$rc" 2 "trace of a log with a generated column: exit status"
expect_in "$msg" "column metrics.value is generated or hidden" "trace of a log with a generated column: message"

# ---- item 9: run ids -----------------------------------------------------------------------------
# INT64_MAX: refused by every command; the output it would have taken stays open to merges.
cp base.db max.db
set_run_id max.db 9223372036854775807
rm -f fresh.db
msg=$("$esmsim" merge fresh.db max.db 2>&1); rc=$?
expect_eq "$rc" 2 "issue 11 item 9: run id INT64_MAX, merge exit status"
expect_in "$msg" "max.db: a run has the id 9223372036854775807: expected an integer from 1 to 9007199254740991" \
  "item 9: run id INT64_MAX, merge message"
[ ! -e fresh.db ] && ok || ko "item 9: no output written from a refused input"
msg=$("$esmsim" merge fresh.db base.db other.db 2>&1); rc=$?
expect_eq "$rc" 0 "item 9: later merges work ($msg)"
expect_eq "$(q fresh.db 'SELECT group_concat(run_id) FROM runs')" "1,2" "item 9: later merges number 1, 2"
for cmd in "report max.db" "trace max.db --key $key" "plot max.db -o max.svg"; do
  msg=$("$esmsim" $cmd 2>&1); rc=$?
  expect_eq "$rc" 2 "item 9: $cmd exit status"
  expect_in "$msg" "max.db: a run has the id 9223372036854775807" "item 9: $cmd message"
done
# A negative id (it read as run 0): refused.
cp base.db neg.db
set_run_id neg.db -3
refused "item 9: a negative run id" "neg.db: a run has the id -3: expected an integer from 1" out.db neg.db
msg=$("$esmsim" report neg.db 2>&1); rc=$?
expect_eq "$rc" 2 "item 9: report of a negative run id"
expect_in "$msg" "neg.db: a run has the id -3" "item 9: report names the id"
# Ids with gaps (5 and 9): merged as the next ids in their order, rows following.
"$esmsim" merge gaps.db base.db other.db >/dev/null 2>&1 || ko "gaps: merge"
set_run_id2() { local t sql="UPDATE runs SET run_id = $3 WHERE run_id = $2;"
  for t in $per_run; do sql="$sql UPDATE $t SET run_id = $3 WHERE run_id = $2;"; done
  sqlite3 "$1" "$sql"; }
set_run_id2 gaps.db 2 9 && set_run_id2 gaps.db 1 5 || ko "gaps: crafting"
cp other.db out.db
msg=$("$esmsim" merge out.db gaps.db 2>&1); rc=$?
expect_eq "$rc" 0 "item 9: ids with gaps, merge exit status ($msg)"
expect_in "$msg" "gaps.db: 2 runs appended to out.db as runs 2 to 3" "item 9: ids with gaps: the new ids"
expect_eq "$(q out.db 'SELECT group_concat(run_id) FROM runs')" "1,2,3" "item 9: runs numbered on"
for t in invocations records metrics; do
  expect_eq "$(q out.db "SELECT run_id, count(*) FROM $t WHERE run_id > 1 GROUP BY run_id")" \
    "$(q gaps.db "SELECT CASE run_id WHEN 5 THEN 2 ELSE 3 END, count(*) FROM $t GROUP BY run_id")" \
    "item 9: the rows of $t follow their runs"
done

# ---- item 9: run times; a run that claims to last 274 years -------------------------------------
craft far "UPDATE runs SET end_ms = 1000000000000000"
for cmd in "report far.db" "trace far.db --key $key" "plot far.db -o far.svg"; do
  msg=$(timeout 60 "$esmsim" $cmd 2>&1); rc=$?
  expect_eq "$rc" 2 "item 9: end_ms 1e15, $cmd exit status"
  expect_in "$msg" "far.db: run 1: runs.end_ms is 1000000000000000: expected a time from 0 to 8640000000000 ms" \
    "item 9: end_ms 1e15, $cmd message"
done
# The longest a run may be (100,000 days): the charts are bounded by the data, not the length.
craft long "UPDATE runs SET end_ms = 8640000000000, duration_ms = 8640000000000"
mkdir -p keep
msg=$(timeout 60 "$esmsim" plot long.db --chart all -o long.svg --keep-data keep 2>&1); rc=$?
expect_eq "$rc" 0 "item 9: plot of a 274-year run returns (exit status; $msg)"
last=$((8640000000000 / 60000 - 1))
expect_eq "$(grep -c . keep/throughput.dat)" 9 \
  "item 9: throughput: 3 points a series (minute 0, the one after, the last)"
expect_eq "$(awk '$1 == "delivered" { print $2, $3 }' keep/throughput.dat | tr '\n' ' ')" \
  "0 $(q long.db "SELECT sum(record_count) FROM invocations WHERE outcome <> 'throttled' AND start_ms < 60000") 1 0 $last 0 " \
  "item 9: throughput: the records delivered in minute 0, then 0 through to the last minute"
expect_eq "$(grep -c . keep/disabled.dat keep/failing.dat | tr '\n' ' ')" "keep/disabled.dat:0 keep/failing.dat:0 " \
  "item 9: no outage in 274 years (end_ms * 1000 is in range)"
"$esmsim" report long.db >/dev/null 2>&1; rc=$?
expect_eq "$rc" 0 "item 9: report of a 274-year run"

# ---- item 9: control characters and bytes that are not UTF-8 are never printed as they are ---------
esc="char(27) || '[31m'"
craft ctl "UPDATE runs SET scenario = 'evil' || $esc;
  UPDATE invocations SET shard_id = shard_id || $esc WHERE shard_id = 'shardId-000000000000';
  UPDATE shards SET shard_id = shard_id || $esc WHERE shard_id = 'shardId-000000000000';
  UPDATE records SET shard_id = shard_id || $esc WHERE shard_id = 'shardId-000000000000';
  UPDATE messages SET producer = 'p' || $esc;
  UPDATE checkpoints SET reason = 'success' || char(7) WHERE rowid = 1;
  INSERT INTO discards (run_id, at_ms, shard_id, condition, start_sequence_number,
    end_sequence_number, record_count, invocation_record, destination, invocation_id,
    approximate_invoke_count, first_arrival_ms, last_arrival_ms)
  VALUES (1, 500, 'shardId-000000000000' || $esc, 'RecordAgeExceeded' || char(155), 1, 1, 1, '{}',
    'arn:' || char(27) || ']0;title' || char(7) || CAST(x'ff' AS TEXT) || char(133), NULL, 1, 0, 0)"
controls() { LC_ALL=C grep -c $'[\x01-\x08\x0b-\x1f\x7f]\|\xc2[\x80-\x9f]\|\xff' "$1"; }
# (--recompute: the figures from the crafted tables, not from the summary tables)
"$esmsim" report ctl.db --recompute > ctl-report.txt 2>&1; rc=$?
expect_eq "$rc" 0 "item 9: report with control characters: exit status"
expect_eq "$(controls ctl-report.txt)" 0 "item 9: report prints no control character"
expect_in "$(cat ctl-report.txt)" 'ctl.db, run 1: evil\x1b[31m (seed' "item 9: report shows the scenario's escape as \\x1b"
expect_in "$(cat ctl-report.txt)" 'shardId-000000000000\x1b[31m' "item 9: report shows a shard's escape"
expect_in "$(cat ctl-report.txt)" 'RecordAgeExceeded\xc2\x9b' "item 9: report shows a C1 control as its bytes"
expect_in "$(cat ctl-report.txt)" 'sent to arn:\x1b]0;title\x07\xff\xc2\x85' \
  "item 9: report shows bytes that are not UTF-8"
"$esmsim" report ctl.db --json --recompute > ctl.json 2>&1; rc=$?
expect_eq "$rc" 0 "item 9: report --json with control characters: exit status"
expect_eq "$(controls ctl.json)" 0 "item 9: report --json has no control character"
expect_eq "$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1], encoding="utf-8"))
print(d["run"]["scenario"], d["discards"]["first"][0]["destination"])' ctl.json)" \
  'evil\x1b[31m arn:\x1b]0;title\x07\xff\xc2\x85' "item 9: report --json is valid UTF-8 JSON, escapes shown"
seq=$(q ctl.db "SELECT sequence_number FROM records WHERE shard_id LIKE 'shardId-000000000000%' LIMIT 1")
"$esmsim" trace ctl.db --sequence "$seq" > ctl-trace.txt 2>&1; rc=$?
expect_eq "$rc" 0 "item 9: trace with control characters: exit status"
expect_eq "$(controls ctl-trace.txt)" 0 "item 9: trace prints no control character"
expect_in "$(cat ctl-trace.txt)" "of shardId-000000000000\\x1b[31m, partition key" "item 9: trace heading"
# What the command line gives trace (a key, a shard) is shown escaped in its messages too: before,
# "--key ESC[31m" printed the escape itself.
"$esmsim" trace base.db --key $'k\e[31m\xff' > ctl-arg.txt 2>&1; rc=$?
expect_eq "$rc:$(controls ctl-arg.txt)" "2:0" "item 9: trace --key with control characters: exit 2, none printed"
expect_in "$(cat ctl-arg.txt)" 'no message or record with partition key "k\x1b[31m\xff"' "item 9: trace --key shown escaped"
"$esmsim" trace base.db --sequence 1 --shard $'s\e[31m' > ctl-arg.txt 2>&1; rc=$?
expect_eq "$rc:$(controls ctl-arg.txt)" "2:0" "item 9: trace --shard with control characters: exit 2, none printed"
expect_in "$(cat ctl-arg.txt)" 'not on s\x1b[31m' "item 9: trace --shard shown escaped"
expect_in "$(cat ctl-trace.txt)" '(p\x1b[31m) created' "item 9: trace shows a producer's escape"
"$esmsim" plot ctl.db --chart all -o ctl.svg --keep-data keep >/dev/null 2>&1; rc=$?
expect_eq "$rc" 0 "item 9: plot with control characters: exit status"
for f in ctl-iterator-age.svg keep/iterator-age.dat; do
  expect_eq "$(controls "$f")" 0 "item 9: $f has no control character"
done
expect_in "$(cat ctl-iterator-age.svg)" 'evilx1b[31m, run 1' "item 9: the chart's title shows the escape (gnuplot drops the backslash)"
expect_eq "$(awk '{ print NF }' keep/iterator-age.dat | sort -u | tr '\n' ' ')" "0 3 " \
  "item 9: a data file row is SERIES X VALUE, whatever the names"
# The logs of a real handler (issue 12): the program's output, or a crafted log's, is shown
# escaped, the REPORT line's tabs kept; an orphan line (no invocation row) does not crash.
inv=$(q ctl.db "SELECT invocation_id FROM invocations WHERE shard_id LIKE 'shardId-000000000000%' LIMIT 1")
sqlite3 ctl.db "UPDATE runs SET handler = 1; INSERT INTO logs (run_id, invocation_id, request_id, line, at_ms, kind, text)
  VALUES (1, $inv, 'r', 1, 0, 'output', 'hi ' || $esc || char(9) || 'tab' || CAST(x'ff' AS TEXT)),
         (1, 999999999, 'r', 1, 0, 'output', 'orphan' || char(27))" || ko "crafting logs"
"$esmsim" logs ctl.db > ctl-logs.txt 2>&1; rc=$?
expect_eq "$rc" 0 "item 9: logs with control characters: exit status"
expect_eq "$(controls ctl-logs.txt)" 0 "item 9: logs prints no control character"
expect_in "$(cat ctl-logs.txt)" "$(printf 'hi \\x1b[31m\ttab\\xff')" "item 9: logs shows the escape, keeps the tab"
expect_in "$(cat ctl-logs.txt)" "invocation 999999999  ?" "item 9: logs: a line of no invocation"
expect_in "$(cat ctl-logs.txt)" 'orphan\x1b' "item 9: logs: the orphan line, escaped"
# A text too long for where it is shown is cut, and says so with "...".
craft longname "UPDATE runs SET scenario = printf('%.300c', 'a') || char(27)"
expect_in "$("$esmsim" trace longname.db --key "$key" 2>&1 | head -1)" "($(printf 'a%.0s' $(seq 252))...)" \
  "item 9: trace's heading cuts a long scenario name with ..."
expect_eq "$("$esmsim" report longname.db --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["run"]["scenario"])')" \
  "$(printf 'a%.0s' $(seq 300))\\x1b" "item 9: report --json shows it whole, the escape as \\x1b"

# Issue 13 item 3: the summary tables are untrusted too: what report reads from them is shown
# escaped as well.
craft ctlsum "UPDATE summary_shards SET shard_id = shard_id || $esc WHERE shard_id = 'shardId-000000000000';
  UPDATE summary_figures SET name = 'messages.processed' || $esc WHERE name = 'messages.processed';
  INSERT INTO summary_discards (run_id, rank, at_ms, shard_id, condition, start_sequence_number,
    end_sequence_number, record_count, approximate_invoke_count, destination)
  VALUES (1, 99, 500, 'shardId-000000000000' || $esc, 'RecordAgeExceeded' || char(155), 1, 1, 1, 1,
    'arn:' || char(27) || ']0;title' || char(7) || CAST(x'ff' AS TEXT) || char(133))"
"$esmsim" report ctlsum.db > ctlsum-report.txt 2>&1; rc=$?
expect_eq "$rc" 0 "issue 13 item 3: report of crafted summary tables: exit status"
expect_eq "$(controls ctlsum-report.txt)" 0 "issue 13 item 3: report of crafted summary tables prints no control character"
expect_in "$(cat ctlsum-report.txt)" 'shardId-000000000000\x1b[31m' "issue 13 item 3: a summary shard's escape shown"
expect_in "$(cat ctlsum-report.txt)" 'sent to arn:\x1b]0;title\x07\xff\xc2\x85' \
  "issue 13 item 3: a summary discard's bytes that are not UTF-8 shown"

# ---- item 9: figures that would overflow ---------------------------------------------------------
craft big "UPDATE invocations SET record_count = 9223372036854775807
  WHERE rowid IN (SELECT min(rowid) FROM invocations GROUP BY outcome LIMIT 2);
  UPDATE invocations SET outcome = 'timeout' WHERE rowid = (SELECT min(rowid) FROM invocations)"
msg=$("$esmsim" report big.db --run 1 --recompute 2>&1); rc=$?
expect_eq "$rc" 2 "item 9: record counts past 2^63: exit status"
expect_in "$msg" "counting invocations: invocations.record_count adds up past 2^63" \
  "item 9: record counts past 2^63: message"
mid=$(q base.db "SELECT message_id FROM records WHERE sequence_number = 1")
craft early "UPDATE messages SET created_ms = -9223372036854775808 WHERE message_id = $mid;
  UPDATE records SET arrival_ms = 9223372036854775807 WHERE message_id = $mid"
out=$("$esmsim" trace early.db --sequence 1 2>&1); rc=$?
expect_eq "$rc" 0 "item 9: a write 2^64 ms after its message: exit status ($out)"
expect_in "$out" "created -9223372036854775.808, fate" "item 9: no delay is printed for it"
craft wide "UPDATE records SET shard_id = printf('%.5000c', 'x') WHERE sequence_number = 1"
"$esmsim" trace wide.db --key "$key" > wide.txt 2>&1 || ko "trace of a 5000-character shard id"
expect_eq "$(grep -v xxxxxxxxxx wide.txt | awk 'length > 300' | wc -l)" 0 \
  "item 9: a crafted long value does not pad the other lines"

# ---- a run log is a regular file: a FIFO or a device named as one is refused at once ----------
# (every reader and merge waited for ever on a FIFO, in SQLite's open; run -o /dev/null said
# "insert into runs: no such table: runs" and sweep -o FIFO "disk I/O error (Illegal seek)")
mkfifo pipe.db
for cmd in "report pipe.db" "trace pipe.db --key k" "plot pipe.db -o p.svg" "logs pipe.db" \
           "compare pipe.db $src/examples/production/metrics.json" "merge out.db pipe.db"; do
  msg=$(timeout 20 "$esmsim" $cmd 2>&1); rc=$?
  expect_eq "$rc:$msg" "2:esmsim ${cmd%% *}: pipe.db: cannot read: not a regular file (a FIFO)" "$cmd: refused at once"
done
msg=$(timeout 20 "$esmsim" report /dev/null 2>&1); rc=$?
expect_eq "$rc:$msg" "2:esmsim report: /dev/null: cannot read: not a regular file (a character device)" "report /dev/null"
# (a FIFO of its own, not /dev/null: the code before this opened the file, and a test run as
# root must leave the machine's devices alone)
msg=$(timeout 20 "$esmsim" run "$src/scenarios/latest-start.json" -q -o pipe.db 2>&1); rc=$?
expect_eq "$rc:$msg" "2:esmsim: pipe.db: not a regular file (a FIFO)" "run -o FIFO"
msg=$(timeout 20 "$esmsim" sweep "$src/scenarios/latest-start.json" --vary duration=1m,2m -o pipe.db 2>&1); rc=$?
expect_eq "$rc:$msg" "2:esmsim sweep: pipe.db: not a regular file (a FIFO)" "sweep -o FIFO"
rm -f pipe.db out.db

# ---- item 9: loops over what a log holds cost what its rows cost --------------------------------
# 50,000 shards (each made once, not looked up in the list for each figure) and 100,000 fates
# (32 names kept, the rest counted as "(other)").
craft many "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 50000)
  INSERT INTO shards (run_id, shard_id, opened_ms) SELECT 1, printf('shardId-9%011d', i), 0 FROM c;
  WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 50000)
  INSERT INTO invocations (run_id, invocation_id, shard_id, lane, start_ms, end_ms, record_count,
    payload_bytes, attempt, outcome, iterator_age_ms)
    SELECT 1, 1000000 + i, printf('shardId-9%011d', i), 0, 0, 1, 1, 1, 1, 'success', i FROM c;
  WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 100000)
  INSERT INTO messages (run_id, message_id, producer, partition_key, created_ms, bytes, fate)
    SELECT 1, 1000000 + i, 'p', 'k', 0, 1, 'fate-' || i FROM c"
# (a limit on CPU time, ulimit -t, which load does not stretch as it does wall time)
(ulimit -t 60; "$esmsim" report many.db --json --recompute) > many.json 2>&1; rc=$?
expect_eq "$rc" 0 "item 9: 50,000 shards, 100,000 fates: report within 60 s of CPU time (exit status)"
expect_eq "$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); m = d["messages"]
print(len(d["shards"]), d["shards"][-1]["iterator_age_ms"]["max"], len(m), m["(other)"], m["total"])' many.json 2>&1)" \
  "50004 50000 33 99976 $(( $(q base.db 'SELECT count(*) FROM messages') + 100000 ))" \
  "item 9: every shard listed with its figures; fates: 32 keys (total, 7 fates, 24 others), then (other)"

finish
