-- issue 11 item 19: a finding of fuzz_runlog on main 25ab6bd, NOT fixed: report.c:757
-- print_opt casts an oldest_unprocessed_age_ms sample of 1e19 to int64 (UBSan
-- float-cast-overflow; print_shard_row, report.c:887).
INSERT INTO runs (run_id, scenario, seed, duration_ms, complete, end_ms, per_record_tables)
 VALUES (1, 't', 1, 120000, 1, 120000, 1);
INSERT INTO shards (run_id, shard_id, opened_ms) VALUES (1, 'shardId-000000000000', 0);
INSERT INTO metrics (run_id, at_ms, name, shard_id, value)
 VALUES (1, 60000, 'oldest_unprocessed_age_ms', 'shardId-000000000000', 1e19);
