-- issue 11 item 19: a finding of fuzz_runlog, fixed (item 9): plot's throughput query
-- counted the minutes up to an end_ms of 1e15 (hours; libFuzzer: timeout).
INSERT INTO runs (run_id, scenario, seed, duration_ms, complete, end_ms, per_record_tables)
 VALUES (1, 't', 1, 120000, 1, 1000000000000000, 1);
