-- A seed of fuzz_runlog in SQL (run on an empty run log): one short run with a row
-- in every table, two records of key k on one shard, the second discarded (columns named, so
-- that a column added to the run log later leaves the seed valid).
INSERT INTO runs (run_id, scenario, seed, scenario_json, duration_ms, esmsim_version, complete,
                  end_ms, per_record_tables) VALUES
 (1, 't', 1, '{"name":"t","duration":"2m","records":[{"at":"1s","partition_key":"k","data":"a"},{"at":"2s","partition_key":"k","data":"poison"}],"event_source_mapping":{"StartingPosition":"TRIM_HORIZON","MaximumRetryAttempts":0},"function":{"failures":[{"match":{"data_contains":"poison"}}]},"schedule":[{"at":"1m","update_mapping":{"Enabled":false}}]}',
  120000, 'seed', 1, 120000, 1);
INSERT INTO shards (run_id, shard_id, parent_shard_id, adjacent_parent_shard_id, starting_hash_key,
                    ending_hash_key, opened_ms, closed_ms) VALUES (1, 'shardId-000000000000', NULL, NULL, '0', '340282366920938463463374607431768211455', 0, NULL);
INSERT INTO messages (run_id, message_id, producer, partition_key, created_ms, bytes, fate) VALUES
 (1, 1, 'records', 'k', 1000, 1, 'processed'), (1, 2, 'records', 'k', 2000, 6, 'discarded');
INSERT INTO records (run_id, shard_id, sequence_number, message_id, partition_key, arrival_ms, bytes)
 VALUES (1, 'shardId-000000000000', 1, 1, 'k', 1000, 2), (1, 'shardId-000000000000', 2, 2, 'k', 2000, 7);
INSERT INTO invocations (run_id, invocation_id, shard_id, lane, start_ms, end_ms, record_count,
  payload_bytes, first_sequence_number, last_sequence_number, attempt, outcome, iterator_age_ms,
  cold_start, error) VALUES (1, 1, 'shardId-000000000000', 0, 3000, 3010, 2, 900, 1, 2, 1, 'error', 2000, 1, 'Unhandled');
INSERT INTO deliveries (run_id, invocation_id, shard_id, sequence_number, handled) VALUES (1, 1, 'shardId-000000000000', 1, 1), (1, 1, 'shardId-000000000000', 2, 0);
INSERT INTO checkpoints (run_id, shard_id, at_ms, sequence_number, reason) VALUES (1, 'shardId-000000000000', 3010, 2, 'discarded');
INSERT INTO discards (run_id, at_ms, shard_id, condition, start_sequence_number,
  end_sequence_number, record_count, invocation_record, destination, invocation_id,
  approximate_invoke_count, first_arrival_ms, last_arrival_ms) VALUES (1, 3010, 'shardId-000000000000', 'RetryAttemptsExhausted', 1, 2, 2, '{}', NULL, 1, 1, 1000, 2000);
INSERT INTO metrics (run_id, at_ms, name, shard_id, value) VALUES (1, 60000, 'oldest_unprocessed_age_ms', 'shardId-000000000000', 0), (1, 60000, 'concurrent_executions', NULL, 0);
INSERT INTO windows (run_id, shard_id, lane, start_ms, end_ms, final_invocation_id,
  terminated_early, records, keys, state_bytes, state) VALUES (1, 'shardId-000000000000', 0, 0, 60000, 1, 0, 2, 1, 2, '{}');
