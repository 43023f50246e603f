#!/usr/bin/env bash
# tests/examples.sh ESMSIM SRCDIR - the handler examples of examples/handlers/
# against the model (issue 12 item 6):
# - AWS's samples of a partial batch response (Python, Node.js): the files are
#   AWS's byte for byte; run unmodified they answer success to every batch,
#   the model's run with no failing record, table for table; with their
#   placeholder filled in (three lines added, nothing else) they give the
#   model's `first-failure` run: the same invocations, deliveries,
#   checkpoints and discards; they differ only where SPEC section 4 says a
#   handler's answer cannot tell: the records after the failing one in its
#   batch count as handled (the sample never reached them), so they are
#   `processed` where the model has them `discarded`;
# - the classic handler bugs (examples/handlers/bug-*): what each costs;
# - every other example that needs no installation: its expect block holds
#   (python-first-failure and node-all-failures: tests/handler.sh; those
#   with a package-lock.json: tests/powertools.sh and tests/ric.sh).
. "$(dirname "$0")/lib.sh"
q() { sqlite3 -separator ' ' "$1" "$2"; }

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
cd "$work" || exit 1
ex=$src/examples/handlers

# The model in place of the handler: the scenario's timing, its failures,
# its report style (and its timeout: 30s unless given).
model() {  # FAILURES REPORT [TIMEOUT]
  printf '{"name":"orders-consumer","timeout":"%s","duration":{"per_invoke":"40ms","per_record":"0ms"},"failures":%s,"report":"%s"}' \
    "${3:-30s}" "$1" "$2"
}
poison_rule='[{"match":{"data_contains":"poison"}}]'
# The deliveries of the records of SHARD from FIRST to LAST (sequence
# numbers) in the invocations that delivered SEQ.
around() {  # SHARD SEQ FIRST LAST
  echo "shard_id = '$1' AND sequence_number BETWEEN $3 AND $4 AND invocation_id IN
        (SELECT invocation_id FROM deliveries WHERE shard_id = '$1' AND sequence_number = $2)"
}
# Message fates that differ between two run logs: "FATE/FATE|count" lines.
fate_changes() {  # DB MODEL-DB
  sqlite3 "$1" "ATTACH '$2' AS m; SELECT a.fate || '/' || b.fate, count(*) FROM messages a
                JOIN m.messages b USING (message_id) WHERE a.fate <> b.fate GROUP BY 1"
}

# ---- AWS's samples (issue 12 item 6) -----------------------------------------
for lang in python node; do
  dir=$ex/aws-sample-$lang
  case $lang in
    python) ext=py; runtime='"python3", "../../../tools/runtimes/python/bootstrap"' ;;
    node) ext=js; runtime='"node", "../../../tools/runtimes/node/bootstrap.mjs"' ;;
  esac
  what="aws-sample-$lang"
  # AWS's file, byte for byte: the checksum SOURCE.md gives
  want=$(grep -o 'sha256 `[0-9a-f]*`' "$dir/SOURCE.md" | tr -d '`' | cut -d' ' -f2)
  expect_eq "$(sha256sum < "$dir/example.$ext" | cut -d' ' -f1)" "$want" "$what: example.$ext is AWS's sample"
  # the handler: the sample with three lines added, nothing changed or removed
  d=$(diff "$dir/example.$ext" "$dir/handler.$ext")
  expect_eq "$(printf '%s\n' "$d" | grep -c '^>')" 3 "$what: handler.$ext adds three lines"
  expect_eq "$(printf '%s\n' "$d" | grep -c '^<')" 0 "$what: handler.$ext removes or changes none"

  # unmodified: it processes nothing, so even the poison order succeeds
  "$esmsim" run "$dir/scenario.json" -o "$lang-sample.db" -q --set 'expect={}' \
    --set "function.handler.command=[$runtime, \"example.handler\"]"; rc=$?
  expect_eq "$rc" 0 "$what unmodified: exit status"
  expect_eq "$(q "$lang-sample.db" "SELECT outcome, count(*) FROM invocations GROUP BY outcome")" \
    "success $(q "$lang-sample.db" "SELECT count(*) FROM invocations")" "$what unmodified: every invocation a success"
  "$esmsim" run "$dir/scenario.json" -o "$lang-none.db" -q --set 'expect={}' \
    --set "function=$(model '[]' first-failure)" || ko "$what: the model with no failing record"
  for t in invocations deliveries checkpoints discards messages; do
    same_rows "$lang-sample.db" "$lang-none.db" "* FROM $t" && ok ||
      ko "$what unmodified and the model with no failing record: $t differ"
  done

  # filled in: the scenario's story, and the model's first-failure
  "$esmsim" run "$dir/scenario.json" -o "$lang.db" -q; rc=$?
  expect_eq "$rc" 0 "$what: exit status (its expect block holds)"
  "$esmsim" run "$dir/scenario.json" -o "$lang-model.db" -q --set 'expect={}' \
    --set "function=$(model "$poison_rule" first-failure)" || ko "$what: the model's first-failure"
  for t in '* FROM invocations' '* FROM checkpoints' '* FROM discards' \
           'invocation_id, shard_id, sequence_number FROM deliveries'; do
    same_rows "$lang.db" "$lang-model.db" "$t" && ok || ko "$what and the model's first-failure: $t differ"
  done
  # SPEC 4's "handled" rule: the records after the poison one in the
  # invocations that delivered it count as handled; the model knows the
  # sample never reached them
  shard=$(q "$lang.db" "SELECT shard_id FROM discards")
  poison=$(q "$lang.db" "SELECT start_sequence_number FROM discards")
  after=$(around "$shard" "$poison" "$((poison + 1))" 9223372036854775807)
  expect_eq "$(q "$lang.db" "SELECT count(*), sum(handled) FROM deliveries WHERE $after")" "16 16" \
    "$what: the 4 records after the poison one, 4 invocations: handled"
  expect_eq "$(q "$lang-model.db" "SELECT count(*), sum(handled) FROM deliveries WHERE $after")" "16 0" \
    "$what: the model's first-failure: not handled"
  same_rows "$lang.db" "$lang-model.db" "* FROM deliveries WHERE NOT ($after)" && ok ||
    ko "$what and the model's first-failure: the other deliveries differ"
  expect_eq "$(fate_changes "$lang.db" "$lang-model.db")" "processed/discarded|4" \
    "$what and the model: only those 4 messages' fates differ"
  expect_eq "$(q "$lang.db" "SELECT m.fate FROM messages m JOIN records r USING (message_id)
      WHERE r.shard_id = '$shard' AND r.sequence_number = $poison")" discarded \
    "$what: the poison order is discarded"
done

# ---- the classic bugs (issue 12 item 6): what each costs ----------------------
# Each runs its scenario (its expect block holds), then the model's report
# style that imitates it on the same scenario.
bug() {  # NAME MODEL-FUNCTION
  "$esmsim" run "$ex/$1/scenario.json" -o "$1.db" -q; rc=$?
  expect_eq "$rc" 0 "$1: exit status (its expect block holds)"
  "$esmsim" run "$ex/$1/scenario.json" -o "$1-model.db" -q --set 'expect={}' --set "function=$2" ||
    ko "$1: the model"
}
same_tables() {  # NAME MODEL-NAME TABLE...
  local db=$1 t; shift
  local what=$1; shift
  for t in "$@"; do
    same_rows "$db.db" "$db-model.db" "* FROM $t" && ok || ko "$db and the model's $what: $t differ"
  done
}
# The poison order: the scenario's one explicit record, the only one under
# 100 bytes (generated records have 200).
poison_message() { q "$1" "SELECT m.fate FROM messages m JOIN records r USING (message_id) WHERE r.bytes < 100"; }
poison_seq() { q "$1" "SELECT sequence_number FROM records WHERE bytes < 100"; }

# The list under "BatchItemFailures": the model's wrong-list-key, table for
# table; the poison order is lost.
bug bug-wrong-key "$(model "$poison_rule" wrong-list-key)"
same_tables bug-wrong-key wrong-list-key invocations deliveries checkpoints discards messages windows
expect_eq "$(poison_message bug-wrong-key.db)" lost "bug-wrong-key: the poison order's fate"

# The error swallowed: the model with no failing record, table for table;
# only the log tells.
bug bug-swallowed-error "$(model '[]' first-failure)"
same_tables bug-swallowed-error "run with no failure" invocations deliveries checkpoints discards messages
expect_eq "$(poison_message bug-swallowed-error.db)" processed "bug-swallowed-error: the poison order's fate"
expect_in "$("$esmsim" logs bug-swallowed-error.db --key customer-7)" \
  "ERROR	could not save order: order o-1042 cannot be processed" "bug-swallowed-error: the log says it"

# itemIdentifier "": the model's empty-identifier; the response names no
# record, so the poison order and those after it count as handled (SPEC 4)
# where the model knows they were not: 5 records x 3 invocations.
bug bug-empty-identifier "$(model "$poison_rule" empty-identifier)"
same_tables bug-empty-identifier empty-identifier invocations checkpoints discards
shard=$(q bug-empty-identifier.db "SELECT shard_id FROM discards")
read -r first last <<< "$(q bug-empty-identifier.db "SELECT start_sequence_number, end_sequence_number FROM discards")"
poison=$(poison_seq bug-empty-identifier.db)
changed=$(around "$shard" "$poison" "$poison" "$last")
expect_eq "$(q bug-empty-identifier.db "SELECT count(*), sum(handled) FROM deliveries WHERE $changed")" "15 15" \
  "bug-empty-identifier: the poison record and those after it: handled"
expect_eq "$(q bug-empty-identifier-model.db "SELECT count(*), sum(handled) FROM deliveries WHERE $changed")" "15 0" \
  "bug-empty-identifier: the model: not handled"
same_rows bug-empty-identifier.db bug-empty-identifier-model.db "* FROM deliveries WHERE NOT ($changed)" && ok ||
  ko "bug-empty-identifier and the model: the other deliveries differ"
expect_eq "$(fate_changes bug-empty-identifier.db bug-empty-identifier-model.db)" "processed/discarded|5" \
  "bug-empty-identifier and the model: the fates that differ"
expect_eq "$(q bug-empty-identifier.db "SELECT count(*) FROM logs WHERE text = 'failed order o-1042'")" 3 \
  "bug-empty-identifier: the poison order failed at each of the 3 attempts"

# Thrown after partial work: the model's throw, but for the error's type and
# what was handled: a failed invocation handled nothing that can be seen
# (SPEC 4), where the model knows the 7 records before the poison one were;
# the handler's log shows them saved 3 times.
bug bug-throw-after-partial-work "$(model "$poison_rule" throw)"
same_tables bug-throw-after-partial-work throw checkpoints discards
cols="invocation_id, shard_id, lane, start_ms, end_ms, record_count, payload_bytes, first_sequence_number,
      last_sequence_number, attempt, outcome, iterator_age_ms, cold_start, iterator_age_at_send_ms FROM invocations"
same_rows bug-throw-after-partial-work.db bug-throw-after-partial-work-model.db "$cols" && ok ||
  ko "bug-throw-after-partial-work and the model's throw: invocations differ"
expect_eq "$(q bug-throw-after-partial-work.db "SELECT error, count(*) FROM invocations WHERE outcome = 'error' GROUP BY 1")" \
  "Error 3" "bug-throw-after-partial-work: the handler's error type, 3 attempts"
db=bug-throw-after-partial-work
shard=$(q $db.db "SELECT shard_id FROM discards")
read -r first last <<< "$(q $db.db "SELECT start_sequence_number, end_sequence_number FROM discards")"
poison=$(poison_seq $db.db)
changed=$(around "$shard" "$poison" "$first" "$((poison - 1))")
expect_eq "$(q $db.db "SELECT count(*), sum(handled) FROM deliveries WHERE $changed")" "21 0" \
  "$db: the 7 records before the poison one, 3 invocations: not handled"
expect_eq "$(q $db-model.db "SELECT count(*), sum(handled) FROM deliveries WHERE $changed")" "21 21" \
  "$db: the model's throw: handled"
same_rows $db.db $db-model.db "* FROM deliveries WHERE NOT ($changed)" && ok ||
  ko "$db and the model: the other deliveries differ"
expect_eq "$(fate_changes $db.db $db-model.db)" "discarded/processed|7" "$db and the model: the fates that differ"
expect_eq "$(q $db.db "SELECT count(DISTINCT l.text), count(*) FROM logs l JOIN invocations i USING (run_id, invocation_id)
                       WHERE i.shard_id = '$shard' AND l.text LIKE 'saved %'
                       AND CAST(substr(l.text, 7) AS INTEGER) BETWEEN $first AND $last")" \
  "7 21" "$db: each of the 7 orders before the poison one saved 3 times"

# process.exit(1): Runtime.ExitError at each attempt and a new process
# (a cold start, which the model adds its Init to) after each; the batch
# discarded as the model's throw discards it.
bug bug-exit "$(model "$poison_rule" throw)"
expect_eq "$(q bug-exit.db "SELECT attempt, error FROM invocations WHERE outcome <> 'success' ORDER BY attempt" | paste -sd,)" \
  "1 Runtime.ExitError,2 Runtime.ExitError,3 Runtime.ExitError" "bug-exit: Runtime.ExitError at each attempt"
expect_eq "$(q bug-exit.db "SELECT sum(cold_start) FROM invocations")" 5 "bug-exit: 2 + 3 cold starts"
expect_in "$("$esmsim" run "$ex/bug-exit/scenario.json" -o bug-exit-2.db 2>&1)" \
  "handler                 5   processes started (node)" "bug-exit: 5 processes started"
same_rows bug-exit.db bug-exit-model.db \
  "shard_id, condition, start_sequence_number, end_sequence_number, record_count FROM discards" && ok ||
  ko "bug-exit and the model's throw: a different discard"
expect_eq "$(q bug-exit.db "SELECT count(*) FROM logs WHERE text LIKE '%Error: Runtime exited with error: exit status 1'")" 3 \
  "bug-exit: Lambda's line for each exit"

# A hang past the timeout: the poison record's shard as the model with the
# slow rule alone (the same timeouts and retries), but the killed processes
# end their environments: 4 new processes, cold starts on the other shard.
bug bug-timeout "$(model '[{"match":{"data_contains":"poison"},"effect":"slow","extra":"1h"}]' first-failure 10s)"
cols="start_ms, end_ms, record_count, first_sequence_number, last_sequence_number, attempt, outcome, error
      FROM invocations WHERE shard_id = 'shardId-000000000000'"
same_rows bug-timeout.db bug-timeout-model.db "$cols" && ok || ko "bug-timeout and the model: the stuck shard differs"
expect_eq "$(q bug-timeout.db "SELECT count(*) FROM logs WHERE text LIKE '% Task timed out after 10.00 seconds'")" 4 \
  "bug-timeout: Lambda's timeout line at each attempt"
expect_eq "$(q bug-timeout.db "SELECT sum(cold_start) FROM invocations")" 6 "bug-timeout: 2 + 4 cold starts"
expect_eq "$(q bug-timeout-model.db "SELECT sum(cold_start) FROM invocations")" 2 "bug-timeout: the model's 2"

# ---- every other example -----------------------------------------------------
for s in "$ex"/*/scenario.json; do
  d=$(dirname "$s"); name=$(basename "$d")
  case $name in aws-sample-*|bug-*|python-first-failure|node-all-failures) continue ;; esac
  [ -e "$d/package-lock.json" ] && continue
  "$esmsim" run "$s" -o other.db -q; rc=$?
  expect_eq "$rc" 0 "$name: exit status (its expect block holds)"
done

finish
