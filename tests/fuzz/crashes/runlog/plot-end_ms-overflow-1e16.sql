-- issue 11 item 19: a finding of fuzz_runlog, fixed (item 9): plot.c end_ms * 1000
-- overflowed for an end_ms of 1e16 (UBSan signed-integer-overflow).
INSERT INTO runs (run_id, scenario, seed, scenario_json, duration_ms, complete, end_ms,
                  per_record_tables)
 VALUES (1, 't', 1, '{"name":"t","duration":"2m","event_source_mapping":{"StartingPosition":"LATEST"}}',
         120000, 1, 10000000000000000, 1);
