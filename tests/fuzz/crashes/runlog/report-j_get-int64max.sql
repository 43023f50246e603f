-- issue 11 item 19: a finding of fuzz_runlog, fixed (item 9): report.c j_get cast an
-- end_sequence_number near 2^63 to int64 (UBSan float-cast-overflow).
INSERT INTO runs (run_id, scenario, seed, duration_ms, complete, end_ms, per_record_tables)
 VALUES (1, 't', 1, 120000, 1, 120000, 1);
INSERT INTO discards (run_id, at_ms, shard_id, condition, start_sequence_number,
  end_sequence_number, record_count, approximate_invoke_count)
 VALUES (1, 3010, 'shardId-000000000000', 'RetryAttemptsExhausted', 1, 9223372036854775807, 2, 1);
