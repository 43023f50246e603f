#!/usr/bin/env bash
# tests/powertools.sh ESMSIM SRCDIR - a handler on Powertools for AWS Lambda's
# batch processor (npm @aws-lambda-powertools/batch, processPartialResponse
# with BatchProcessor(EventType.KinesisDataStreams)), installed by the
# project's own tools/install-handler.sh from the example's lockfile
# (issue 12 item 6): it gives the model's `all-failures` run table for table,
# its full-batch failures included (Powertools throws FullBatchFailureError,
# the model throws too: issue 11), but for the error's type.
# Skipped (exit 77, the reason printed) only when npm cannot be reached.
. "$(dirname "$0")/lib.sh"
q() { sqlite3 -separator ' ' "$1" "$2"; }

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
dir=$src/examples/handlers/node-powertools
"$src/tools/install-handler.sh" "$dir"; rc=$?
if [ "$rc" -eq 77 ]; then
  echo "SKIP: Powertools cannot be installed: npm cannot be reached (the reason above)" >&2
  exit 77
fi
expect_eq "$rc" 0 "tools/install-handler.sh $dir: exit status"
cd "$work" || exit 1

"$esmsim" run "$dir/scenario.json" -o pt.db -q; rc=$?
expect_eq "$rc" 0 "node-powertools: exit status (its expect block holds)"
model='{"name":"orders-consumer","timeout":"30s","duration":{"per_invoke":"20ms","per_record":"1ms"},
        "failures":[{"match":{"data_contains":"poison"}}],"report":"all-failures"}'
"$esmsim" run "$dir/scenario.json" -o model.db -q --set "function=$model" --set 'expect={}' ||
  ko "node-powertools: the model's all-failures"
for t in deliveries checkpoints discards messages windows; do
  same_rows pt.db model.db "* FROM $t" && ok || ko "Powertools and the model's all-failures: $t differ"
done
cols="invocation_id, shard_id, lane, start_ms, end_ms, record_count, payload_bytes, first_sequence_number,
      last_sequence_number, attempt, outcome, iterator_age_ms, cold_start, iterator_age_at_send_ms FROM invocations"
same_rows pt.db model.db "$cols" && ok || ko "Powertools and the model's all-failures: invocations differ"
# the error's type: Powertools' own where the model says Unhandled
expect_eq "$(q pt.db "SELECT outcome, first_sequence_number, attempt, error FROM invocations
                      WHERE outcome <> 'success' ORDER BY invocation_id" | paste -sd,)" \
  "partial 577 1 batchItemFailures,partial 593 1 batchItemFailures,partial 593 2 batchItemFailures,partial 593 3 batchItemFailures,error 2356 1 FullBatchFailureError,error 2356 2 FullBatchFailureError,error 2356 3 FullBatchFailureError" \
  "Powertools: a partial response, then FullBatchFailureError for the lone poison order"
expect_eq "$(q model.db "SELECT DISTINCT error FROM invocations WHERE outcome = 'error'")" Unhandled \
  "the model's all-failures: Unhandled"
# R6: functionError null after partial responses, "Unhandled" after the throw
expect_eq "$(q pt.db "SELECT start_sequence_number, record_count,
                      ifnull(json_extract(invocation_record, '$.responseContext.functionError'), 'null')
                      FROM discards ORDER BY at_ms" | paste -sd,)" "593 5 null,2356 1 Unhandled" \
  "Powertools: the OnFailure records"
expect_in "$("$esmsim" logs pt.db --invocation "$(q pt.db "SELECT min(invocation_id) FROM invocations WHERE outcome = 'error'")")" \
  "Invoke Error 	{\"errorType\":\"FullBatchFailureError\",\"errorMessage\":\"All records failed processing. See individual errors below.\"" \
  "Powertools: the error in the log"

finish
