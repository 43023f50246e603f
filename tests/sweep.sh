#!/usr/bin/env bash
# tests/sweep.sh ESMSIM SRCDIR - `esmsim sweep` and `esmsim merge` end to end
# (SPEC section 5 sweep, section 3 runs in one database, section 6 determinism):
# a 2x2 grid gives 4 sweep_results rows whose figures equal those of separate
# `esmsim run`s with the same --set (counts from their printed summaries,
# IteratorAge, drain and GB-seconds from SQL written here); the ranking order;
# -j 1 and -j 2 write identical rows; --print-runs gives the runs of a cluster,
# which `esmsim merge` combines (distinct run ids, rows intact) into a database
# that the same sweep then ranks without simulating anything; --keep-runs,
# --drain-below, function.memory_mb; a failing or stopped chart leaves no half chart; a sweep
# stopped by SIGHUP or killed (SIGKILL) leaves no run going and no run's database; the run files a
# sweep killed outright left are removed by the next (only those no one holds, never the user's);
# bad --vary and bad merge inputs exit 2.
. "$(dirname "$0")/lib.sh"
q() { sqlite3 "$1" "$2"; }

cd "$work" || exit 1
scn="$src/scenarios/poison-pill-bounded.json"
# 12 minutes: the poison record comes at 10m.  Without the scenario's expect
# block, which describes its own settings, every run exits 0.
fixed=(--set duration=12m --set 'expect={}')
grid=(--vary event_source_mapping.BatchSize=10,100 --vary event_source_mapping.MaximumRetryAttempts=-1,2)
bs=(10 10 100 100)
mra=(-1 2 -1 2)

# ---- the grid, -j 1 and -j 2 -------------------------------------------------------
out=$("$esmsim" sweep "$scn" "${fixed[@]}" "${grid[@]}" -j 1 -o j1.db 2>j1.err); rc=$?
expect_eq "$rc" 0 "sweep -j 1 exit status: $(cat j1.err)"
"$esmsim" sweep "$scn" "${fixed[@]}" "${grid[@]}" -j 2 --no-chart -o j2.db >j2.out 2>&1; rc=$?
expect_eq "$rc" 0 "sweep -j 2 exit status: $(cat j2.out)"
expect_eq "$(q j1.db 'SELECT count(*) FROM sweep_results')" 4 "4 rows, one per setting"
expect_eq "$(q j1.db 'SELECT count(*) FROM runs WHERE complete = 1')" 4 "4 complete runs"
expect_in "$out" "4 settings x 1 seed = 4 runs: 4 simulated, 0 used again" "sweep says what it ran"
rows="SELECT * FROM sweep_results ORDER BY run_id"
expect_eq "$(q j2.db "$rows")" "$(q j1.db "$rows")" "SPEC 6: -j 1 and -j 2 give identical rows"
runs="SELECT run_id, scenario, seed, scenario_json, complete FROM runs ORDER BY run_id"
expect_eq "$(q j2.db "$runs")" "$(q j1.db "$runs")" "-j 1 and -j 2 give identical runs"
# Without --keep-runs only runs and sweep_results rows are kept.
expect_eq "$(q j1.db 'SELECT count(*) FROM invocations')" 0 "no per-run tables without --keep-runs"
expect_eq "$(q j1.db 'SELECT sum(run_tables) FROM sweep_results')" 0 "run_tables 0"
expect_eq "$(q j1.db 'SELECT sum(per_record_tables) FROM runs')" 0 "a sweep's runs write no per-record tables"
# README Sweeps: --keep-runs keeps every table "for report, plot and trace"; without it they say
# so, exit 2, rather than show a run of zeros (before: report exit 0, "invocations 0", and a note
# that the run log was an older esmsim's; plot an empty chart; compare --export empty series).
for cmd in "report j1.db" "report j1.db --run 2 --json" "trace j1.db --key k --run 1" "plot j1.db -o j1-run.svg" \
           "compare j1.db --export j1-run.json"; do
  msg=$("$esmsim" $cmd 2>&1 >/dev/null); rc=$?
  expect_eq "$rc" 2 "$cmd of a run kept without its tables: exit status"
  run=$(case "$cmd" in *--run*) echo "$cmd" | sed 's/.*--run \([0-9]*\).*/\1/' ;; *) echo 4 ;; esac)
  expect_eq "$msg" "esmsim ${cmd%% *}: j1.db: run $run has only its runs row (without --keep-runs, a sweep keeps no more of a run): its figures are in sweep_results, and the same sweep with --keep-runs simulates it again with every table" \
    "$cmd of a run kept without its tables: message"
done
expect_eq "$(ls | grep -c '^j1-run')" 0 "no chart, no export of a run kept without its tables"
# Grid order: the last --vary changes fastest.
expect_eq "$(q j1.db "SELECT group_concat(setting, ' ') FROM sweep_results")" \
  '{"event_source_mapping.BatchSize":10,"event_source_mapping.MaximumRetryAttempts":-1} {"event_source_mapping.BatchSize":10,"event_source_mapping.MaximumRetryAttempts":2} {"event_source_mapping.BatchSize":100,"event_source_mapping.MaximumRetryAttempts":-1} {"event_source_mapping.BatchSize":100,"event_source_mapping.MaximumRetryAttempts":2}' \
  "setting column in grid order"
[ -s j1.svg ] && ok || ko "chart j1.svg written next to j1.db"
expect_in "$(cat j1.svg)" "event_source_mapping.MaximumRetryAttempts=2" "chart has one line per retry setting"
expect_in "$out" "chart: j1.svg" "sweep names its chart"
# README, Sweeps: Chart: times in the unit of plot's ages (plots/axes.gp), milliseconds under 2 s:
# p99 IteratorAge of 563 and 480 ms (before: 0 to 0.6 seconds); seconds in j1.svg (up to 80 s)
"$esmsim" sweep "$scn" "${fixed[@]}" --set event_source_mapping.MaximumRetryAttempts=2 \
  --vary event_source_mapping.BatchSize=10,100 -o ms.db >/dev/null 2>&1 || ko "sweep in milliseconds"
expect_eq "$(svg_texts ms.svg | cut -d'|' -f1-10)" \
  "0|100|200|300|400|500|600|10|100|p99 IteratorAge (milliseconds)" "chart: the Y axis in milliseconds"
expect_eq "$(svg_texts j1.svg | cut -d'|' -f1-6)" "1|10|100|10|100|p99 IteratorAge (seconds)" \
  "chart: the Y axis in seconds, logarithmic"

# ---- each row equals a separate esmsim run with the same --set ----------------------------
# Counts from the run's printed summary; percentiles, drain and cost by SQL here.
summary_count() {   # summary text, line pattern -> the number on that line (no commas)
  printf '%s\n' "$1" | grep -E "$2" | head -1 | sed -E 's/^[a-z]* *//; s/ .*//; s/,//g'
}
fate_count() {      # summary text, fate -> its count on the messages line, 0 when absent
  local n
  n=$(printf '%s\n' "$1" | grep '^messages' | grep -oE "  $2 [0-9,]+" | sed -E 's/.* //; s/,//g')
  echo "${n:-0}"
}
for i in 0 1 2 3; do
  id=$((i + 1)) db="run-$id.db"
  sum=$("$esmsim" run "$scn" "${fixed[@]}" --set "event_source_mapping.BatchSize=${bs[$i]}" \
        --set "event_source_mapping.MaximumRetryAttempts=${mra[$i]}" -o "$db" 2>&1); rc=$?
  expect_eq "$rc" 0 "separate run $id exit status"
  row() { q j1.db "SELECT $1 FROM sweep_results WHERE run_id = $id"; }
  what="row $id (BatchSize ${bs[$i]}, MaximumRetryAttempts ${mra[$i]})"
  expect_eq "$(q j1.db "SELECT scenario_json FROM runs WHERE run_id = $id")" \
            "$(q "$db" 'SELECT scenario_json FROM runs')" "$what: the same effective scenario"
  expect_eq "$(row invocations)" "$(summary_count "$sum" '^invocations')" "$what: invocations"
  expect_eq "$(row redelivered_records)" "$(summary_count "$sum" 'records delivered more than once')" \
            "$what: redelivered records"
  expect_eq "$(row producer_duplicates)" "$(summary_count "$sum" 'messages written more than once')" \
            "$what: producer duplicates"
  for fate in discarded expired lost; do
    expect_eq "$(row "messages_$fate")" "$(fate_count "$sum" "$fate")" "$what: messages $fate"
  done
  # nearest rank: the smallest age with at least p% of the ages at or below it
  for p in 50 99; do
    expect_eq "$(row "iterator_age_p${p}_ms")" "$(q "$db" "SELECT min(a) FROM (SELECT iterator_age_ms a,
      row_number() OVER (ORDER BY iterator_age_ms) k, count(*) OVER () n FROM invocations
      WHERE iterator_age_ms IS NOT NULL) WHERE k * 100 >= $p * n")" "$what: p$p IteratorAge"
  done
  expect_eq "$(row iterator_age_max_ms)" "$(q "$db" 'SELECT max(iterator_age_ms) FROM invocations')" \
            "$what: max IteratorAge"
  expect_eq "$(row memory_mb)" 128 "$what: memory_mb default"
  expect_eq "$(row gb_seconds)" "$(q "$db" "SELECT sum(end_ms - start_ms) * 128 / 1024000.0
      FROM invocations WHERE outcome <> 'throttled'")" "$what: GB-seconds"
  # the producers never stop: the oldest unprocessed record is never 0 ms old at the end
  expect_eq "$(row 'drain_ms IS NULL')" 1 "$what: never drained below 0 ms"
done
# The retries: -1 never discards (the poison record blocks its shard), 2 discards it.
expect_eq "$(q j1.db 'SELECT group_concat(messages_discarded) FROM sweep_results')" "0,1,0,1" \
          "discards follow MaximumRetryAttempts"

# ---- the ranking ---------------------------------------------------------------------------
# Printed order: no message lost first, each group by p99 (then grid order).
ranked() { printf '%s\n' "$1" | awk '$1 ~ /^[0-9]+$/ && NF > 5 { print $2 "/" $3 }' | paste -sd' '; }
want=$(q j1.db "SELECT group_concat(b || '/' || m, ' ') FROM (SELECT
  json_extract(setting, '$.\"event_source_mapping.BatchSize\"') b,
  json_extract(setting, '$.\"event_source_mapping.MaximumRetryAttempts\"') m
  FROM sweep_results ORDER BY messages_discarded + messages_expired + messages_lost > 0,
  iterator_age_p99_ms, run_id)")
expect_eq "$(ranked "$out")" "$want" "ranking by p99, nothing lost first"
expect_eq "${want%% *}" "10/-1" "best p99 among settings that lose nothing"
cost=$("$esmsim" sweep "$scn" "${fixed[@]}" "${grid[@]}" --objective cost --no-chart -o j1.db 2>&1)
want=$(q j1.db "SELECT group_concat(b || '/' || m, ' ') FROM (SELECT
  json_extract(setting, '$.\"event_source_mapping.BatchSize\"') b,
  json_extract(setting, '$.\"event_source_mapping.MaximumRetryAttempts\"') m
  FROM sweep_results ORDER BY messages_discarded + messages_expired + messages_lost > 0,
  gb_seconds, run_id)")
expect_eq "$(ranked "$cost")" "$want" "--objective cost ranking"
expect_in "$cost" "0 simulated, 4 used again" "a second sweep uses the runs again"
case "$cost" in *"at most"*) ko "issue 11 item 18d: a process count although nothing ran: $cost" ;; *) ok ;; esac
expect_eq "$(q j1.db "$rows")" "$(q j2.db "$rows")" "rows unchanged by a second sweep"
# A sweep_results row used again holding a text where a figure belongs (ad-hoc SQL) is a
# damaged run log: refused before anything is run (exit 2, naming table and column), never
# ranked as 0 (it ranked that setting first).
cp j1.db dmg.db && sqlite3 dmg.db "UPDATE sweep_results SET iterator_age_p99_ms = 'abc'
  WHERE run_id = (SELECT min(run_id) FROM sweep_results)" || ko "damaged: crafting"
msg=$("$esmsim" sweep "$scn" "${fixed[@]}" "${grid[@]}" --no-chart -o dmg.db 2>&1); rc=$?
expect_eq "$rc" 2 "a damaged sweep_results row: exit status"
expect_eq "$msg" "esmsim sweep: dmg.db: sweep_results.iterator_age_p99_ms of run $(q dmg.db 'SELECT min(run_id) FROM sweep_results') holds the text \"abc\", expected an integer: the run log is damaged" \
  "a damaged sweep_results row: the message, nothing ranked"

# ---- merge -------------------------------------------------------------------------------
msg=$("$esmsim" merge m.db run-1.db run-2.db 2>&1); rc=$?
expect_eq "$rc" 0 "merge exit status: $msg"
expect_in "$msg" "run-2.db: 1 run appended to m.db as run 2" "merge says the new ids"
expect_eq "$(q m.db 'SELECT group_concat(run_id) FROM runs')" "1,2" "merge: both runs, distinct ids"
for t in shards messages records invocations deliveries checkpoints discards metrics; do
  for id in 1 2; do
    expect_eq "$(q m.db "SELECT count(*) FROM $t WHERE run_id = $id")" \
              "$(q "run-$id.db" "SELECT count(*) FROM $t")" "merge: $t rows of run $id"
  done
done
cols="invocation_id, shard_id, lane, start_ms, end_ms, record_count, payload_bytes,
      first_sequence_number, last_sequence_number, attempt, outcome, iterator_age_ms, error"
expect_eq "$(q m.db "SELECT $cols FROM invocations WHERE run_id = 2 ORDER BY rowid")" \
          "$(q run-2.db "SELECT $cols FROM invocations ORDER BY rowid")" "merge: invocations intact"
expect_eq "$(q m.db "SELECT shard_id, start_sequence_number, invocation_record FROM discards WHERE run_id = 2")" \
          "$(q run-2.db "SELECT shard_id, start_sequence_number, invocation_record FROM discards")" \
          "merge: the discard and its invocation record intact"
"$esmsim" merge m.db run-3.db run-4.db >/dev/null 2>&1; rc=$?
expect_eq "$rc" 0 "merge into a database that has runs"
expect_eq "$(q m.db 'SELECT group_concat(run_id) FROM runs')" "1,2,3,4" "merge appends after the last id"
# A sweep database: its sweep_results rows follow their runs to the new ids.
"$esmsim" merge m2.db run-4.db j1.db >/dev/null 2>&1
expect_eq "$(q m2.db 'SELECT group_concat(run_id) FROM sweep_results')" "2,3,4,5" "merge renumbers sweep rows"
expect_eq "$(q m2.db 'SELECT count(*) FROM sweep_results s JOIN runs r USING (run_id)
    WHERE r.scenario_json = (SELECT scenario_json FROM runs WHERE run_id = 5) AND s.run_id = 5')" 1 \
          "merge: a sweep row stays with its run"

# Bad inputs: exit 2, nothing written.
sqlite3 other.db 'CREATE TABLE t (a); INSERT INTO t VALUES (1)'
echo "not a database" > text.db
for bad in other.db text.db missing.db; do
  msg=$("$esmsim" merge out.db run-1.db "$bad" 2>&1); rc=$?
  expect_eq "$rc" 2 "merge $bad exit status"
  expect_in "$msg" "$bad" "merge $bad names the file"
done
expect_in "$("$esmsim" merge out.db other.db 2>&1)" "not an esmsim run log" "merge refuses a non run log"
sqlite3 killed.db "PRAGMA journal_mode=WAL" > /dev/null   # what a run killed as it began leaves
expect_in "$("$esmsim" merge out.db run-1.db killed.db 2>&1)" \
  "killed.db: an empty database, no run in it (a run killed as it began leaves one)" \
  "merge names an empty database as one"
[ ! -e out.db ] && ok || ko "merge wrote a database from bad input"
msg=$("$esmsim" merge m.db m.db 2>&1); rc=$?
expect_eq "$rc" 2 "merge of the output into itself"
msg=$("$esmsim" merge m.db run-1.db ./run-1.db 2>&1); rc=$?
expect_eq "$rc" 2 "merge of one input twice"
expect_eq "$(q m.db 'SELECT count(*) FROM runs')" 4 "refused merges left the output alone"
"$esmsim" merge m.db >/dev/null 2>&1; rc=$?
expect_eq "$rc" 2 "merge without inputs"

# ---- a cluster: --print-runs, one esmsim run each, merge, the sweep ranks -------------------
"$esmsim" sweep "$scn" "${fixed[@]}" "${grid[@]}" --print-runs parts >runs.txt 2>&1; rc=$?
expect_eq "$rc" 0 "--print-runs exit status"
expect_eq "$(sed -n 2p runs.txt)" "esmsim run $scn --set duration=12m --set 'expect={}' --set event_source_mapping.BatchSize=10 --set event_source_mapping.MaximumRetryAttempts=2 --no-record-tables --quiet -o parts/run-0002.db" \
          "--print-runs: the esmsim run of the second setting"
expect_eq "$(wc -l < runs.txt)" 4 "--print-runs: one command per run"
mkdir -p parts bin
ln -s "$esmsim" bin/esmsim
PATH="$work/bin:$PATH" sh -e runs.txt; rc=$?
expect_eq "$rc" 0 "the printed runs run"
"$esmsim" merge cluster.db parts/run-*.db >/dev/null 2>&1
expect_eq "$(q cluster.db 'SELECT count(*) > 0 FROM invocations WHERE run_id = 4')" 1 \
          "the merged runs come with their invocations"
cp cluster.db cluster-kept.db
out=$("$esmsim" sweep "$scn" "${fixed[@]}" "${grid[@]}" --no-chart -o cluster.db 2>&1); rc=$?
expect_eq "$rc" 0 "sweep over the merged runs"
expect_in "$out" "0 simulated, 4 used again" "the merged runs are not simulated again"
# issue 11 item 18d: nothing was simulated, so no process count
case "$out" in *"at most"*) ko "a sweep that simulated nothing gives a process count: $out" ;; *) ok ;; esac
# issue 11 item 18b: once their sweep_results rows are computed, the merged runs' own tables are
# dropped (the database is VACUUMed), as in a local sweep: the two databases are then the same
expect_eq "$(q cluster.db "$rows")" "$(q j1.db "$rows")" "a merged cluster sweep equals the local sweep"
expect_eq "$(q cluster.db "$runs")" "$(q j1.db "$runs")" "merged runs rows equal the local sweep's"
for t in shards records messages invocations deliveries checkpoints discards metrics windows; do
  expect_eq "$(q cluster.db "SELECT count(*) FROM $t")" 0 "the merged runs' $t rows are dropped"
done
expect_eq "$(q cluster.db 'PRAGMA freelist_count')" 0 "the sweep database is vacuumed"
[ "$(q cluster.db 'PRAGMA page_count')" -le $(($(q j1.db 'PRAGMA page_count') + 3)) ] && ok ||
  ko "the merged sweep database ($(q cluster.db 'PRAGMA page_count') pages) is bigger than the local one ($(q j1.db 'PRAGMA page_count') pages) plus its 3 empty indexes"
expect_in "$out" "cluster.db: dropped the invocations, metrics and other rows of the 4 runs used again" \
          "the sweep says it dropped the merged runs' tables"
# --keep-runs keeps them, rows computed from them
out=$("$esmsim" sweep "$scn" "${fixed[@]}" "${grid[@]}" --keep-runs --no-chart -o cluster-kept.db 2>&1)
expect_in "$out" "0 simulated, 4 used again" "--keep-runs: the merged runs used again"
expect_eq "$(q cluster-kept.db 'SELECT sum(run_tables) FROM sweep_results')" 4 "--keep-runs: merged runs keep their tables"
n=0
for f in parts/run-*.db; do n=$((n + $(q "$f" 'SELECT count(*) FROM invocations'))); done
expect_eq "$(q cluster-kept.db 'SELECT count(*) FROM invocations')" "$n" "--keep-runs: every merged invocation kept"
rows_but_tables="SELECT run_id, setting, seed, iterator_age_p50_ms, iterator_age_p99_ms,
  iterator_age_max_ms, drain_ms, redelivered_records, producer_duplicates, messages_discarded,
  messages_expired, messages_lost, invocations, memory_mb, gb_seconds FROM sweep_results ORDER BY run_id"
expect_eq "$(q cluster-kept.db "$rows_but_tables")" "$(q j1.db "$rows_but_tables")" \
          "--keep-runs: the rows of the local sweep"
# The same for the tables a kept run's row is computed from again.
cp cluster-kept.db dmg.db && sqlite3 dmg.db "UPDATE invocations SET iterator_age_ms = 'abc'
  WHERE rowid = (SELECT min(rowid) FROM invocations WHERE run_id = 2 AND iterator_age_ms IS NOT NULL)" \
  || ko "damaged tables: crafting"
msg=$("$esmsim" sweep "$scn" "${fixed[@]}" "${grid[@]}" --keep-runs --no-chart -o dmg.db 2>&1); rc=$?
expect_eq "$rc" 2 "a kept run's damaged invocations: exit status"
expect_eq "$msg" "esmsim sweep: dmg.db: invocations.iterator_age_ms of run 2 holds the text \"abc\", expected an integer: the run log is damaged" \
  "a kept run's damaged invocations: the message"

# ---- issue 11 item 10 and 18a: --print-runs, one line per run whatever the values hold ------
# Values with newlines (JSON whitespace), tabs, quotes, backslashes, $ and backticks; no
# --set 'expect={}': the printed runs add it, so each exits 0 although the scenario's expect
# block fails for most settings.  Each line run alone by bash, as a Slurm task does, makes the
# run of the local sweep: the same runs.scenario_json.
odd=(--set duration=12m --set $'description=\n"it\'s \\"odd\\" $HOME `id` \\\\ "\n'
     --vary $'function.failures=[\n\t{"match": {"data_contains": "poison"}, "effect": "fail"}\n],[]'
     --vary 'name="a \"$x\" `y` \\ '"'z'"'",plain')
"$esmsim" sweep "$scn" "${odd[@]}" --print-runs 'odd parts' >odd.txt 2>odd.err; rc=$?
expect_eq "$rc" 0 "--print-runs of odd values: $(cat odd.err)"
expect_eq "$(wc -l < odd.txt)" 4 "--print-runs: one line per run, newlines in values or not"
expect_in "$(sed -n 1p odd.txt)" "esmsim run $scn --set 'expect={}' --set duration=12m --set \$'description" \
          "--print-runs adds expect={} first; \$'...' for a word with a newline"
mkdir -p 'odd parts'
for i in 1 2 3 4; do
  PATH="$work/bin:$PATH" bash -c "$(sed -n "${i}p" odd.txt)" 2>&1; rc=$?
  expect_eq "$rc" 0 "printed run $i exits 0: the scenario's expect block is not checked"
done
"$esmsim" sweep "$scn" "${odd[@]}" --no-chart -o odd.db >odd.out 2>&1; rc=$?
expect_eq "$rc" 0 "the local sweep of odd values: $(cat odd.out)"
for i in 1 2 3 4; do
  expect_eq "$(q "odd parts/run-000$i.db" 'SELECT scenario_json FROM runs')" \
            "$(q odd.db "SELECT scenario_json FROM runs WHERE run_id = $i")" \
            "printed run $i is the local sweep's run $i"
done
expect_eq "$(q odd.db "SELECT json_extract(scenario_json, '\$.description') FROM runs WHERE run_id = 1")" \
          "it's \"odd\" \$HOME \`id\` \\ " "the description went through as given"
expect_eq "$(q odd.db "SELECT json_extract(scenario_json, '\$.name') FROM runs WHERE run_id = 1")" \
          "a \"\$x\" \`y\` \\ 'z'" "the name went through as given"
expect_eq "$(q odd.db "SELECT json_extract(scenario_json, '\$.expect') FROM runs WHERE run_id = 1")" \
          "{}" "a sweep's runs have no expect block"
"$esmsim" merge odd-cluster.db "odd parts"/run-*.db >/dev/null 2>&1
out=$("$esmsim" sweep "$scn" "${odd[@]}" --no-chart -o odd-cluster.db 2>&1)
expect_in "$out" "0 simulated, 4 used again" "the printed runs of odd values are the sweep's runs"

# ---- issue 11 item 18c: the default -j is the CPUs the process may run on -------------------
if command -v taskset >/dev/null && [ "$(nproc --all)" -gt 1 ]; then
  out=$(taskset -c 0 "$esmsim" sweep "$scn" "${fixed[@]}" "${grid[@]}" --no-chart -o affinity.db 2>&1)
  expect_in "$out" "4 simulated, 0 used again from affinity.db, 0 failed, in" "sweep under taskset -c 0"
  expect_in "$out" "wall with at most 1 process" "taskset -c 0: one process at a time"
  out=$(taskset -c 0 "$esmsim" sweep "$scn" "${fixed[@]}" "${grid[@]}" -j 2 --no-chart -o affinity2.db 2>&1)
  expect_in "$out" "wall with at most 2 processes" "-j 2 under taskset -c 0: -j wins"
else
  echo "sweep: no taskset or one CPU: the affinity check is skipped"
fi

# ---- --keep-runs, --drain-below, function.memory_mb ------------------------------------------
# MaximumRecordAgeInSeconds 60 and infinite retries: the poison record blocks its shard for a
# minute, is discarded as too old, and the shard catches up.
"$esmsim" sweep "$scn" --set duration=15m --set 'expect={}' --set function.memory_mb=1769 \
  --set event_source_mapping.MaximumRetryAttempts=-1 --vary event_source_mapping.MaximumRecordAgeInSeconds=60 \
  --drain-below 5s --keep-runs --no-chart -o keep.db >keep.out 2>&1; rc=$?
expect_eq "$rc" 0 "--keep-runs sweep exit status: $(cat keep.out)"
expect_eq "$(q keep.db 'SELECT run_tables FROM sweep_results')" 1 "--keep-runs: run_tables 1"
expect_eq "$(q keep.db 'SELECT count(*) > 0 FROM invocations WHERE run_id = 1')" 1 "--keep-runs keeps invocations"
expect_eq "$(q keep.db 'SELECT count(*) FROM records') $(q keep.db 'SELECT count(*) FROM messages')" \
          "$(q keep.db 'SELECT count(*) FROM records WHERE run_id = 1') $(q keep.db 'SELECT count(*) FROM messages WHERE run_id = 1')" \
          "--keep-runs keeps the per-record tables"
drain=$(q keep.db "SELECT min(m.at_ms) FROM metrics m WHERE m.name = 'oldest_unprocessed_age_ms'
  AND NOT EXISTS (SELECT 1 FROM metrics x WHERE x.name = 'oldest_unprocessed_age_ms'
                  AND x.at_ms >= m.at_ms AND x.value > 5000)")
expect_eq "$(q keep.db 'SELECT drain_ms FROM sweep_results')" "$drain" "drain time below 5 s"
expect_eq "$(q keep.db 'SELECT drain_ms > 600000 AND drain_ms < 900000 FROM sweep_results')" 1 \
          "drained after the poison record's minute"
expect_eq "$(q keep.db 'SELECT memory_mb FROM sweep_results')" 1769 "function.memory_mb in the row"
expect_eq "$(q keep.db 'SELECT gb_seconds FROM sweep_results')" \
          "$(q keep.db "SELECT sum(end_ms - start_ms) * 1769 / 1024000.0 FROM invocations
              WHERE outcome <> 'throttled'")" "GB-seconds with 1769 MB"

# ---- the chart: drawn beside, renamed when gnuplot succeeds (SPEC 5: exit 1 a chart failed,
# 130 interrupted): a failing or stopped gnuplot leaves no half chart, no temporary file, and
# gnuplot never outlives esmsim.  A copy of j1.db: its 4 runs are used again, only the chart is
# drawn. ----
mkdir -p "$work/badplots" "$work/slowgp" "$work/charttmp"
printf 'set terminal svg\nset output out\nplot 1 with lines\nthis is not gnuplot\n' >"$work/badplots/sweep.gp"
cp j1.db broken.db
msg=$(TMPDIR="$work/charttmp" ESMSIM_PLOTS="$work/badplots" "$esmsim" sweep "$scn" "${fixed[@]}" "${grid[@]}" \
      -o broken.db 2>&1); rc=$?
expect_eq "$rc" 1 "a failing chart: exit status"
expect_in "$msg" "4 settings x 1 seed = 4 runs: 0 simulated, 4 used again" "a failing chart: runs used again"
expect_in "$msg" "sweep.gp: gnuplot failed" "a failing chart: the message names the script"
expect_eq "$(ls | grep -c '^broken\.svg')" 0 "a failing chart: no chart, no temporary file beside it"
expect_eq "$(q broken.db 'SELECT count(*) FROM sweep_results')" 4 "a failing chart: the rows kept"
# a gnuplot that starts its chart (half an SVG into out='...' of its -e), then hangs
cat >"$work/slowgp/gnuplot" <<EOF
#!/bin/sh
out=\$(printf '%s' "\$2" | sed -n "s/.*out='\\([^']*\\)'.*/\\1/p")
printf '<svg>half' >"\$out"
echo \$\$ >"$work/gnuplot.pid"
exec sleep 60
EOF
chmod +x "$work/slowgp/gnuplot"
cp j1.db stopped.db
TMPDIR="$work/charttmp" PATH="$work/slowgp:$PATH" env --default-signal=INT \
  "$esmsim" sweep "$scn" "${fixed[@]}" "${grid[@]}" -o stopped.db >stopped.out 2>&1 & pid=$!
wait_until 60 test -s "$work/gnuplot.pid" || ko "the sweep's gnuplot never started"
gp=$(cat "$work/gnuplot.pid" 2>/dev/null)
kill -TERM "$pid"
wait_within "$pid" 30; rc=$?
expect_eq "$rc" 130 "SIGTERM while gnuplot draws the sweep's chart: exit status"
kill -0 "$gp" 2>/dev/null && { ko "the sweep's gnuplot (pid $gp) outlived esmsim"; kill "$gp"; } || ok
expect_eq "$(ls | grep -c '^stopped\.svg')" 0 "SIGTERM while gnuplot draws: no chart, no temporary file"
expect_eq "$(q stopped.db 'SELECT count(*) FROM sweep_results')" 4 "SIGTERM while gnuplot draws: the rows kept"
expect_eq "$(ls -A "$work/charttmp" | wc -l)" 0 "the chart's data files removed"
# A Ctrl-C once the runs are done, while gnuplot draws (c6415ff; README, plot's exit status: "a
# sweep stopped while gnuplot draws its chart also ends with 130, its runs and rows kept, no chart
# left"), in a script's background job, which starts with SIGINT ignored: gnuplot stopped and
# reaped, no process left in esmsim's session, exit 130, the runs simulated kept.  gnuplot itself
# sends the SIGINT: it comes after the runs, whatever the machine's speed.
ctrl_c_gnuplot "$work/ctrlcgp"
TMPDIR="$work/charttmp" PATH="$work/ctrlcgp:$PATH" setsid -w env --ignore-signal=INT \
  "$esmsim" sweep "$scn" "${fixed[@]}" "${grid[@]}" -j 2 -o ctrlc.db >ctrlc.out 2>ctrlc.err & pid=$!
wait_within "$pid" 120; rc=$?
expect_eq "$rc" 130 "Ctrl-C while gnuplot draws the sweep's chart: exit status"
expect_eq "$(cat ctrlc.err)" "esmsim sweep: chart: interrupted: gnuplot stopped, sweep.gp not drawn" \
  "Ctrl-C while gnuplot draws the sweep's chart: message"
expect_in "$(cat ctrlc.out)" "4 settings x 1 seed = 4 runs: 4 simulated, 0 used again" \
  "Ctrl-C while gnuplot draws the sweep's chart: the runs were done"
no_gnuplot_left "$work/ctrlcgp" "Ctrl-C while gnuplot draws the sweep's chart"
expect_eq "$(ls | grep -c '^ctrlc\.svg')" 0 "Ctrl-C while gnuplot draws: no chart, no temporary file"
expect_eq "$(q ctrlc.db 'SELECT count(*) FROM runs WHERE complete = 1')" 4 "Ctrl-C while gnuplot draws: the runs kept"
expect_eq "$(q ctrlc.db "$rows")" "$(q j1.db "$rows")" "Ctrl-C while gnuplot draws: the rows kept, as -j 1 wrote them"
expect_eq "$(ls | grep -c '^ctrlc\.db\.run-')" 0 "Ctrl-C while gnuplot draws: no run's database left"
expect_eq "$(ls -A "$work/charttmp" | wc -l)" 0 "Ctrl-C while gnuplot draws: the chart's data file removed"
rm -f "$work/charttmp"/* ctrlc.svg.*   # (when esmsim was killed) not to fail the cases below
# A Ctrl-C after the runs, before gnuplot starts (while they are ranked: c6415ff; before, the
# sweep went on, drew its chart and exited 0): exit 130, no gnuplot started.  esmsim is held
# there by its standard output, a pipe the test filled: the first write of its buffered output
# is gp_run's fflush before gnuplot's fork, and the chart's temporary file beside SWEEP.svg,
# made just before, says it got there.  The pipe is drained once the signal is sent.
mkdir -p "$work/startgp"
cat >"$work/startgp/gnuplot" <<EOF
#!/bin/sh
echo started >"$work/startgp/started"
out=\$(printf '%s' "\$2" | sed -n "s/.*out='\\([^']*\\)'.*/\\1/p")
printf '<svg></svg>\n' >"\$out"
EOF
chmod +x "$work/startgp/gnuplot"
cp j1.db held.db
mkfifo held.fifo
exec 3<>held.fifo   # a reader, so that esmsim's writes block rather than fail (EPIPE)
dd if=/dev/zero of=held.fifo bs=4096 oflag=nonblock 2>/dev/null   # until the pipe is full
chart_begun() { ls | grep -q '^held\.svg\.'; }
TMPDIR="$work/charttmp" PATH="$work/startgp:$PATH" env --ignore-signal=INT \
  "$esmsim" sweep "$scn" "${fixed[@]}" "${grid[@]}" -o held.db >held.fifo 2>held.err 3>&- & pid=$!
wait_until 120 chart_begun || ko "Ctrl-C before gnuplot starts: the chart's temporary file never came"
kill -INT "$pid"
cat held.fifo >held.out 3>&- & drain=$!
wait_within "$pid" 60; rc=$?
exec 3>&-   # the last writer gone with esmsim: the drain ends
wait_within "$drain" 10
expect_eq "$rc" 130 "Ctrl-C before the sweep's gnuplot starts: exit status"
expect_eq "$(cat held.err)" "esmsim sweep: chart: interrupted: sweep.gp not drawn" \
  "Ctrl-C before the sweep's gnuplot starts: message (no gnuplot said stopped: none started)"
[ -e "$work/startgp/started" ] && ko "Ctrl-C before the sweep's gnuplot starts: gnuplot started" || ok
expect_eq "$(ls | grep -c '^held\.svg')" 0 "Ctrl-C before the sweep's gnuplot starts: no chart, no temporary file"
expect_eq "$(q held.db 'SELECT count(*) FROM sweep_results')" 4 "Ctrl-C before the sweep's gnuplot starts: the rows kept"
expect_eq "$(ls -A "$work/charttmp" | wc -l)" 0 "Ctrl-C before the sweep's gnuplot starts: the chart's data file removed"
rm -f "$work/charttmp"/* held.svg*   # (when it drew) not to fail the cases below
# A chart gnuplot could not write in full (a full disk; gnuplot exits 0): exit 1, nothing kept.
cut_gnuplot "$work/cutgp"
cp j1.db cut.db
msg=$(TMPDIR="$work/charttmp" PATH="$work/cutgp:$PATH" "$esmsim" sweep "$scn" "${fixed[@]}" "${grid[@]}" \
      -o cut.db 2>&1 >/dev/null); rc=$?
expect_eq "$rc" 1 "a sweep's chart cut short: exit status"
expect_eq "$msg" "esmsim sweep: chart: cut.svg: the chart gnuplot wrote is cut short (is the disk full?): not kept" \
  "a sweep's chart cut short: message"
expect_eq "$(ls | grep -c '^cut\.svg')" 0 "a sweep's chart cut short: no chart, no temporary file"
expect_eq "$(ls -A "$work/charttmp" | wc -l)" 0 "a sweep's chart cut short: the data file removed"
# No gnuplot on PATH: refused before anything is run, exit 2 with plot's message (README, sweep:
# the chart is drawn by gnuplot, "none is needed with --no-chart"; exit status 2 bad input,
# "nothing is run"): it ran every run, then failed the chart with exit 1.
mkdir -p "$work/nognuplot"
msg=$(PATH="$work/nognuplot" "$esmsim" sweep "$scn" "${fixed[@]}" "${grid[@]}" -o nogp.db 2>&1); rc=$?
expect_eq "$rc:$msg" "2:esmsim sweep: gnuplot not found: install it, e.g. apt-get install gnuplot-nox" \
  "no gnuplot: exit status and message"
expect_eq "$(ls | grep -c '^nogp')" 0 "no gnuplot: nothing run, no database"
cp j1.db nogp-nochart.db
out=$(PATH="$work/nognuplot" "$esmsim" sweep "$scn" "${fixed[@]}" "${grid[@]}" --no-chart -o nogp-nochart.db 2>&1)
expect_eq "$?" 0 "no gnuplot, --no-chart: exit status: $out"
expect_in "$out" "4 settings x 1 seed = 4 runs: 0 simulated, 4 used again" "no gnuplot, --no-chart: ranked"
out=$(PATH="$work/nognuplot" "$esmsim" sweep "$scn" "${fixed[@]}" "${grid[@]}" --print-runs parts 2>&1)
expect_eq "$?:$out" "0:$(cat runs.txt)" "no gnuplot, --print-runs: the same runs printed"
# A reader gone (`esmsim sweep ... | head -1`): esmsim finishes before SIGPIPE ends it, so the
# chart is drawn whole and nothing temporary is left (the write before gnuplot started used to
# kill it there, leaving SWEEP.svg.XXXXXX beside the chart and the data file in TMPDIR).
cp j1.db piped.db
st=$(TMPDIR="$work/charttmp" closed_pipe "$esmsim" sweep "$scn" "${fixed[@]}" "${grid[@]}" -o piped.db 2>/dev/null)
expect_eq "$st" -13 "sweep into a closed pipe: ended by SIGPIPE"
expect_eq "$(ls | grep '^piped\.svg')" "piped.svg" "sweep into a closed pipe: the chart, no temporary file"
expect_eq "$(grep -c '</svg>' piped.svg 2>/dev/null)" 1 "sweep into a closed pipe: the chart drawn whole"
expect_eq "$(ls -A "$work/charttmp" | wc -l)" 0 "sweep into a closed pipe: the chart's data file removed"

# ---- SIGHUP (the terminal closed) while the runs go on: as SIGTERM, exit 130, the runs stopped and
# their databases removed, no process left (before, esmsim died of it and its runs went on without
# it, each leaving its SWEEP.db.run-XXXXXX); ignored, as nohup leaves it, the sweep goes on. ----
running() { [ "$(pgrep -P "$1" | wc -l)" -eq 2 ]; }
long=(--set 'expect={}' --set duration=3h --vary event_source_mapping.BatchSize=10,100 -j 2 --no-chart)
env --default-signal=INT,HUP "$esmsim" sweep "$scn" "${long[@]}" -o hup.db >hup.out 2>&1 & pid=$!
wait_until 60 running "$pid" || ko "SIGHUP: the sweep's two runs never started"
kids=$(pgrep -P "$pid")
kill -HUP "$pid"
wait_within "$pid" 30; rc=$?
expect_eq "$rc" 130 "SIGHUP while the sweep's runs go on: exit status"
for k in $kids; do
  kill -0 "$k" 2>/dev/null && { ko "SIGHUP: the sweep's run (pid $k) outlived esmsim"; kill "$k"; } || ok
done
expect_in "$(cat hup.out)" "esmsim sweep: interrupted: 0 of 2 runs are in hup.db" "SIGHUP: the message"
expect_eq "$(ls | grep -c '^hup\.db\.run-')" 0 "SIGHUP: no run's database left"
env --ignore-signal=HUP "$esmsim" sweep "$scn" "${long[@]}" -o nohup.db >nohup.out 2>&1 & pid=$!
wait_until 60 running "$pid" || ko "SIGHUP ignored: the sweep's two runs never started"
kill -HUP "$pid"
wait_within "$pid" 120; rc=$?
expect_eq "$rc" 0 "SIGHUP ignored (nohup): the sweep goes on, exit status"
expect_eq "$(q nohup.db 'SELECT count(*) FROM sweep_results')" 2 "SIGHUP ignored (nohup): its 2 runs"

# SIGKILL, which esmsim cannot catch: its runs stop all the same (PR_SET_PDEATHSIG, the last
# resort) and remove their databases (before, they went on for as long as their runs took, here
# minutes, and left them).  A run that ended shows as a zombie while no one reaps it.
ended() { ! ps -o stat= -p "$(echo $kids | tr ' ' ,)" | grep -qv '^Z'; }
"$esmsim" sweep "$scn" "${long[@]}" --set duration=10d -o killed.db >killed.out 2>&1 & pid=$!
wait_until 60 running "$pid" || ko "SIGKILL: the sweep's two runs never started"
kids=$(pgrep -P "$pid")
kill -KILL "$pid"
wait "$pid" 2>/dev/null
wait_until 10 ended || { ko "SIGKILL: the sweep's runs outlived it by 10 s"; kill $kids; }
expect_eq "$(ls | grep -c '^killed\.db\.run-')" 0 "SIGKILL: no run's database left"

# README Sweeps: a sweep killed outright while a run that had finished waits to be appended leaves
# that run's files (SWEEP.db.run-XXXXXX and its .lock); the same sweep again removes them, says so,
# and simulates the run anew (before, the run's database stayed forever: no sweep could tell it from
# a run of another sweep still going).  The sweep is held stopped with a child, which ends while no
# one appends its run, and only then killed: no timing guessed.
stopped() { [ "$(ps -o stat= -p "$1" | cut -c1)" = T ]; }
stop_with_child() {   # PID: stopped with a child, or continued and status 1
  kill -STOP "$1"
  wait_until 10 stopped "$1" && pgrep -P "$1" >/dev/null && return 0
  kill -CONT "$1"
  return 1
}
children_ended() { ! ps -o stat= --ppid "$1" | grep -qv '^Z'; }
one=(--set 'expect={}' --set duration=1h --vary seed=1,2 -j 1 --no-chart)
"$esmsim" sweep "$scn" "${one[@]}" -o orphan.db >orphan.out 2>&1 & pid=$!
wait_until 60 stop_with_child "$pid" || ko "SIGKILL with a run waiting: the sweep never had a run going"
wait_until 60 children_ended "$pid" || ko "SIGKILL with a run waiting: the run never ended"
waiting=$(ls | grep -E '^orphan\.db\.run-[A-Za-z0-9]{6}$')
expect_eq "$(q "$waiting" 'SELECT complete FROM runs' 2>&1)" 1 "SIGKILL with a run waiting: the run is complete"
{ kill -KILL "$pid"; wait "$pid"; } 2>/dev/null   # (bash's "Killed" notice too)
expect_eq "$(ls | grep -c '^orphan\.db\.run-')" 2 "SIGKILL with a run waiting: its database and lock file left"
"$esmsim" sweep "$scn" "${one[@]}" -o orphan.db >orphan.out 2>orphan.err; rc=$?
expect_eq "$rc" 0 "the same sweep after a SIGKILL: exit status: $(cat orphan.err)"
expect_eq "$(cat orphan.err)" "esmsim sweep: removed the files of 1 run a killed sweep left beside orphan.db" \
  "the same sweep after a SIGKILL: says what it removed"
expect_eq "$(ls | grep -c '^orphan\.db\.run-')" 0 "the same sweep after a SIGKILL: no run file left"
expect_eq "$(q orphan.db 'SELECT count(*) FROM runs r JOIN sweep_results USING (run_id) WHERE r.complete = 1')" 2 \
  "the same sweep after a SIGKILL: both runs complete, with their rows"
# A run file whose lock another process holds (a sweep still running) is left, as are the files the
# user made: a symlink, a name sweep does not make, a database whose lock file is a symlink.
: > held.db.run-abc123.lock; : > held.db.run-abc123
ln -s held.db.run-abc123 held.db.run-lnk456.lock; : > held.db.run-lnk456
: > held.db.run-notes; : > held.db.run-abc12.lock; : > held.db.run-abc1234.lock
flock --no-fork held.db.run-abc123.lock sleep 60 & holder=$!
locked() { ! flock -n "$1" true; }
wait_until 10 locked held.db.run-abc123.lock || ko "flock never took held.db.run-abc123.lock"
before=$(ls -l | grep 'held\.db\.run-')
"$esmsim" sweep "$scn" --set 'expect={}' --set duration=12m --vary seed=1 --no-chart -o held.db >held.out 2>held.err
expect_eq "$?:$(cat held.err)" "0:" "a run file locked by another process: exit status, nothing said"
expect_eq "$(ls -l | grep 'held\.db\.run-')" "$before" "a run file locked by another process, and the user's files: left"
kill "$holder"
wait "$holder" 2>/dev/null

# ---- bad input: exit 2, nothing run, nothing written ------------------------------------------
msg=$("$esmsim" sweep "$scn" --vary event_source_mapping.BatchSize=0,10 -o bad.db 2>&1); rc=$?
expect_eq "$rc" 2 "bad --vary value exit status"
expect_in "$msg" "--vary event_source_mapping.BatchSize=0,10" "bad --vary value names the --vary"
expect_in "$msg" 'setting {"event_source_mapping.BatchSize":0}' "bad --vary value names the setting"
expect_in "$msg" "expected an integer from 1 to 10000, got 0" "bad --vary value says what was expected"
msg=$("$esmsim" sweep "$scn" --vary event_source_mapping.BatchSzie=10 -o bad.db 2>&1); rc=$?
expect_eq "$rc" 2 "bad --vary path exit status"
expect_in "$msg" "BatchSzie: unknown key" "bad --vary path named"
msg=$("$esmsim" sweep "$scn" --vary function.reserved_concurrency=5,200 \
      --vary function.account_concurrency=1000,100 -o bad.db 2>&1); rc=$?
expect_eq "$rc" 2 "a refused combination exit status"
expect_in "$msg" '{"function.reserved_concurrency":200,"function.account_concurrency":100}' \
          "a refused combination names the setting"
# README, Sweeps: --seeds N runs seeds S to S+N-1, and a seed is at most 2^64 - 1 (docs/scenario.md):
# past it the seeds would wrap to 0, another sweep than the one asked for.
msg=$("$esmsim" sweep "$scn" --set 'seed="18446744073709551614"' --vary event_source_mapping.BatchSize=10 \
      --seeds 3 -o bad.db 2>&1); rc=$?
expect_eq "$rc" 2 "--seeds past the largest seed exit status"
expect_eq "$msg" 'esmsim sweep: --seeds 3: setting {"event_source_mapping.BatchSize":10}: 3 seeds from 18446744073709551614 pass the largest seed, 18446744073709551615' \
          "--seeds past the largest seed: the message"
"$esmsim" sweep "$scn" --set 'seed="18446744073709551614"' --vary event_source_mapping.BatchSize=10 \
  --seeds 2 --print-runs p >seeds.txt 2>&1; rc=$?
expect_eq "$rc" 0 "--seeds up to the largest seed exit status"
expect_in "$(cat seeds.txt)" "--seed 18446744073709551615 " "--seeds up to the largest seed: its run"
for args in "--vary x" "--vary event_source_mapping.BatchSize=1,,2" "--vary event_source_mapping.BatchSize=1,1" \
            "--objective fastest --vary duration=1m" "--seeds 0 --vary duration=1m" "-j x --vary duration=1m" \
            "--frobnicate --vary duration=1m" ""; do
  # shellcheck disable=SC2086
  "$esmsim" sweep "$scn" $args -o bad.db >/dev/null 2>&1; rc=$?
  expect_eq "$rc" 2 "sweep $args exit status"
done
[ ! -e bad.db ] && ok || ko "a refused sweep wrote a database"

finish
