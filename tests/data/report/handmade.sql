-- A hand-made run log for tests/report.sh: every figure of `esmsim report` is known.
-- Applied to a copy of a real run log (its schema, application_id and user_version)
-- after its rows are deleted.  Times in ms.  Three shards: S0, S1, S2 (never read).
--
-- Run 1 (function.report first-failure, retention 24 h, 25 h simulated):
--   messages 15: processed 10 (1-4, 9-14), discarded 2 (5, 15), expired 1 (6),
--                rejected 1 (7: no record), pending 1 (8)
--   records 16; message 3 written twice (seq 3, 4), message 14 twice (seq 13, 14):
--                producer duplicates 2, extra records 2
--   invocations 9: success 4, partial 1, timeout 3, throttled 1; deliveries 18
--   delivered records 12; redelivered 4 (seq 5, 6, 9, 10); redeliveries 18 - 12 = 6
--   handled more than once (deliveries.handled): seq 5, handled before each of its
--     three timeouts = 1; seq 6 never handled; seq 9 and 10 were redelivered after the
--     partial invocation 2, which (first-failure, reporting 9) handled only seq 8.
--     Run 2 (all-failures) handled seq 10 in invocation 2 too: 2.
--   order by sequence: seq 11 (key d, first delivered by invocation 9 at 7600) after
--     seq 12 (invocation 5 at 3300): 1
--   order by producer: message 1 (created 1000, seq 2) after message 2 (created 1010,
--     seq 1), both in invocation 1 at 2000; message 12 (created 1100, seq 11, at 7600)
--     after message 13 (created 1110, seq 12, at 3300): 2
--   retention: message 6 expired (1 record); message 14's seq 14 arrived more than 24 h
--     before the end and was never checkpointed: it may have expired too -> 1 to 2.
--     Message 3's two records were checkpointed by a success: not expired.
--   discards: RetryAttemptsExhausted 1 batch (seq 5-6, 2 records, 3 invocations),
--     RecordAgeExceeded 1 batch (seq 15, 1 record): 2 batches, 3 records
--   checkpoints 8: success 4, partial 1, discarded 2, expired 1
--   IteratorAge, nearest rank: S0 800 1880 3880 6150 6180 -> p50 3880, p90 6180,
--     p99 6180, max 6180; S1 680 1780 1830 -> 1780, 1830, 1830, 1830; S2 none;
--     all 8 -> p50 1830 (4th), p90 6180, p99 6180, max 6180
--   oldest_unprocessed_age_ms max: S0 58400, S1 1590, S2 86398670; concurrency max 2
-- Run 2: the same rows, function.report all-failures.
-- Run 3: the same without messages, records and deliveries (--no-record-tables).
-- Run 4: the same as run 1, interrupted (complete = 0).

DELETE FROM runs; DELETE FROM shards; DELETE FROM messages; DELETE FROM records;
DELETE FROM invocations; DELETE FROM deliveries; DELETE FROM checkpoints;
DELETE FROM discards; DELETE FROM metrics; DELETE FROM windows;
-- no summary tables' rows: the observer never saw these runs (report reads them with
-- --recompute, or falls back to it, as for a log of an older esmsim)
DELETE FROM summary_figures; DELETE FROM summary_shards; DELETE FROM summary_examples;
DELETE FROM summary_discards;

INSERT INTO runs (run_id, scenario, seed, scenario_json, duration_ms, esmsim_version, complete,
                  end_ms, per_record_tables, summary_json) VALUES
 (1, 'handmade', 1, '{"name":"handmade","seed":1,"duration":"25h","stream":{"type":"kinesis","name":"s","shards":3,"retention":"24h"},"producers":[{"name":"p","rate":1,"keys":{"list":["a"]},"record_bytes":10}],"event_source_mapping":{"StartingPosition":"TRIM_HORIZON","MaximumRetryAttempts":2,"MaximumRecordAgeInSeconds":60,"FunctionResponseTypes":["ReportBatchItemFailures"]},"function":{"name":"f","timeout":"1s","report":"first-failure"}}',
  90000000, 'handmade', 1, 90000000, 1,
  '{"messages":15,"read_throttles":3,"read_delay_mean_ms":123.5,"read_delay_max_ms":400.25}');

INSERT INTO shards (run_id, shard_id, opened_ms) VALUES
 (1, 'shardId-000000000000', 0), (1, 'shardId-000000000001', 0), (1, 'shardId-000000000002', 0);

INSERT INTO messages (run_id, message_id, producer, partition_key, created_ms, bytes, fate) VALUES
 (1, 1, 'p', 'a', 1000, 10, 'processed'),
 (1, 2, 'p', 'a', 1010, 10, 'processed'),
 (1, 3, 'p', 'a', 1020, 10, 'processed'),
 (1, 4, 'p', 'b', 1030, 10, 'processed'),
 (1, 5, 'p', 'b', 1040, 10, 'discarded'),
 (1, 15, 'p', 'b', 1045, 10, 'discarded'),
 (1, 6, 'p', 'c', 1050, 10, 'expired'),
 (1, 7, 'p', 'c', 1060, 10, 'rejected'),
 (1, 9, 'p', 'c', 1080, 10, 'processed'),
 (1, 10, 'p', 'c', 1090, 10, 'processed'),
 (1, 11, 'p', 'c', 1095, 10, 'processed'),
 (1, 14, 'p', 'c', 1098, 10, 'processed'),
 (1, 12, 'p', 'd', 1100, 10, 'processed'),
 (1, 13, 'p', 'd', 1110, 10, 'processed'),
 (1, 8, 'p', 'c', 89998900, 10, 'pending');

INSERT INTO records (run_id, shard_id, sequence_number, message_id, partition_key, arrival_ms, bytes) VALUES
 (1, 'shardId-000000000000', 1, 2, 'a', 1100, 10),
 (1, 'shardId-000000000000', 2, 1, 'a', 1200, 10),   -- message 1, retried, behind message 2
 (1, 'shardId-000000000000', 3, 3, 'a', 1210, 10),
 (1, 'shardId-000000000000', 4, 3, 'a', 1300, 10),   -- message 3 again: a producer duplicate
 (1, 'shardId-000000000000', 5, 4, 'b', 1310, 10),
 (1, 'shardId-000000000000', 6, 5, 'b', 1320, 10),   -- times out the function
 (1, 'shardId-000000000002', 7, 6, 'c', 1330, 10),   -- never read: expires
 (1, 'shardId-000000000001', 8, 9, 'c', 1400, 10),
 (1, 'shardId-000000000001', 9, 10, 'c', 1410, 10),  -- reported failed once
 (1, 'shardId-000000000001', 10, 11, 'c', 1420, 10),
 (1, 'shardId-000000000000', 11, 12, 'd', 1500, 10),
 (1, 'shardId-000000000001', 12, 13, 'd', 1510, 10),
 (1, 'shardId-000000000001', 13, 14, 'c', 1520, 10),
 (1, 'shardId-000000000001', 14, 14, 'c', 1530, 10), -- message 14 again, never delivered
 (1, 'shardId-000000000000', 15, 15, 'b', 1600, 10), -- discarded by age, never delivered
 (1, 'shardId-000000000001', 16, 8, 'c', 89999000, 10);

INSERT INTO invocations (run_id, invocation_id, shard_id, lane, start_ms, end_ms, record_count,
                         payload_bytes, first_sequence_number, last_sequence_number, attempt,
                         outcome, iterator_age_ms, cold_start, error) VALUES
 (1, 1, 'shardId-000000000000', 0, 2000, 2100, 4, 999, 1, 4, 1, 'success', 800, 1, NULL),
 (1, 2, 'shardId-000000000001', 0, 2000, 2100, 3, 999, 8, 10, 1, 'partial', 680, 1, 'batchItemFailures'),
 (1, 3, 'shardId-000000000000', 0, 2200, 3200, 2, 999, 5, 6, 1, 'timeout', 1880, 0, 'Task timed out'),
 (1, 4, 'shardId-000000000001', 0, 3100, 3200, 2, 999, 9, 10, 2, 'success', 1780, 0, NULL),
 (1, 5, 'shardId-000000000001', 0, 3300, 3350, 2, 999, 12, 13, 1, 'success', 1830, 0, NULL),
 (1, 6, 'shardId-000000000000', 0, 4200, 5200, 2, 999, 5, 6, 2, 'timeout', 3880, 0, 'Task timed out'),
 (1, 7, 'shardId-000000000000', 0, 6200, 6200, 2, 999, 5, 6, 3, 'throttled', NULL, 0, 'Rate Exceeded.'),
 (1, 8, 'shardId-000000000000', 0, 6500, 7500, 2, 999, 5, 6, 3, 'timeout', 6180, 0, 'Task timed out'),
 (1, 9, 'shardId-000000000000', 0, 7600, 7650, 1, 999, 11, 11, 1, 'success', 6150, 0, NULL);

INSERT INTO deliveries (run_id, invocation_id, shard_id, sequence_number, handled) VALUES
 (1, 1, 'shardId-000000000000', 1, 1), (1, 1, 'shardId-000000000000', 2, 1),
 (1, 1, 'shardId-000000000000', 3, 1), (1, 1, 'shardId-000000000000', 4, 1),
 (1, 2, 'shardId-000000000001', 8, 1), (1, 2, 'shardId-000000000001', 9, 0),
 (1, 2, 'shardId-000000000001', 10, 0),
 (1, 3, 'shardId-000000000000', 5, 1), (1, 3, 'shardId-000000000000', 6, 0),
 (1, 4, 'shardId-000000000001', 9, 1), (1, 4, 'shardId-000000000001', 10, 1),
 (1, 5, 'shardId-000000000001', 12, 1), (1, 5, 'shardId-000000000001', 13, 1),
 (1, 6, 'shardId-000000000000', 5, 1), (1, 6, 'shardId-000000000000', 6, 0),
 (1, 8, 'shardId-000000000000', 5, 1), (1, 8, 'shardId-000000000000', 6, 0),
 (1, 9, 'shardId-000000000000', 11, 1);

INSERT INTO checkpoints (run_id, shard_id, at_ms, sequence_number, reason) VALUES
 (1, 'shardId-000000000000', 2100, 4, 'success'),
 (1, 'shardId-000000000001', 2100, 8, 'partial'),
 (1, 'shardId-000000000001', 3200, 10, 'success'),
 (1, 'shardId-000000000001', 3350, 13, 'success'),
 (1, 'shardId-000000000000', 7500, 6, 'discarded'),
 (1, 'shardId-000000000000', 7650, 11, 'success'),
 (1, 'shardId-000000000000', 61600, 15, 'discarded'),
 (1, 'shardId-000000000002', 86401400, 7, 'expired');

INSERT INTO discards (run_id, at_ms, shard_id, condition, start_sequence_number,
                      end_sequence_number, record_count, invocation_record, destination,
                      invocation_id, approximate_invoke_count, first_arrival_ms, last_arrival_ms) VALUES
 (1, 7500, 'shardId-000000000000', 'RetryAttemptsExhausted', 5, 6, 2, '{}',
  'arn:aws:sqs:us-east-1:123456789012:dlq', 8, 3, 1310, 1320),
 (1, 61600, 'shardId-000000000000', 'RecordAgeExceeded', 15, 15, 1, '{}', NULL, 9, 0, 1600, 1600);

INSERT INTO metrics (run_id, at_ms, name, shard_id, value) VALUES
 (1, 1000, 'oldest_unprocessed_age_ms', 'shardId-000000000000', 0),
 (1, 2000, 'oldest_unprocessed_age_ms', 'shardId-000000000000', 900),
 (1, 60000, 'oldest_unprocessed_age_ms', 'shardId-000000000000', 58400),
 (1, 1000, 'oldest_unprocessed_age_ms', 'shardId-000000000001', 0),
 (1, 3000, 'oldest_unprocessed_age_ms', 'shardId-000000000001', 1590),
 (1, 1000, 'oldest_unprocessed_age_ms', 'shardId-000000000002', 0),
 (1, 86400000, 'oldest_unprocessed_age_ms', 'shardId-000000000002', 86398670),
 (1, 2000, 'iterator_age_ms', 'shardId-000000000000', 800),
 (1, 2000, 'concurrent_executions', NULL, 2),
 (1, 3000, 'concurrent_executions', NULL, 1);

-- Runs 2 to 4: copies of run 1; run 4 was interrupted (it ended: wall_seconds is set;
-- a killed run has none).
INSERT INTO runs (run_id, scenario, seed, scenario_json, duration_ms, esmsim_version, complete,
                  end_ms, per_record_tables, wall_seconds)
 SELECT 2, scenario, seed, replace(scenario_json, 'first-failure', 'all-failures'), duration_ms,
        esmsim_version, 1, end_ms, 1, wall_seconds FROM runs WHERE run_id = 1
 UNION ALL SELECT 3, scenario, seed, scenario_json, duration_ms, esmsim_version, 1, end_ms, 0,
        wall_seconds FROM runs WHERE run_id = 1
 UNION ALL SELECT 4, scenario, seed, scenario_json, duration_ms, esmsim_version, 0, end_ms, 1, 0.5
        FROM runs WHERE run_id = 1;
CREATE TEMP TABLE copies (run_id INTEGER, per_record INTEGER);
INSERT INTO copies VALUES (2, 1), (3, 0), (4, 1);
INSERT INTO shards SELECT c.run_id, shard_id, parent_shard_id, adjacent_parent_shard_id,
  starting_hash_key, ending_hash_key, opened_ms, closed_ms FROM shards, copies c WHERE shards.run_id = 1;
INSERT INTO invocations SELECT c.run_id, invocation_id, shard_id, lane, start_ms, end_ms,
  record_count, payload_bytes, first_sequence_number, last_sequence_number, attempt, outcome,
  iterator_age_ms, cold_start, error, iterator_age_at_send_ms
  FROM invocations, copies c WHERE invocations.run_id = 1;
INSERT INTO checkpoints SELECT c.run_id, shard_id, at_ms, sequence_number, reason
  FROM checkpoints, copies c WHERE checkpoints.run_id = 1;
INSERT INTO discards SELECT c.run_id, at_ms, shard_id, condition, start_sequence_number,
  end_sequence_number, record_count, invocation_record, destination, invocation_id,
  approximate_invoke_count, first_arrival_ms, last_arrival_ms FROM discards, copies c
  WHERE discards.run_id = 1;
INSERT INTO metrics SELECT c.run_id, at_ms, name, shard_id, value FROM metrics, copies c
  WHERE metrics.run_id = 1;
INSERT INTO messages SELECT c.run_id, message_id, producer, partition_key, created_ms, bytes, fate
  FROM messages, copies c WHERE messages.run_id = 1 AND c.per_record;
INSERT INTO records SELECT c.run_id, shard_id, sequence_number, message_id, partition_key,
  arrival_ms, bytes FROM records, copies c WHERE records.run_id = 1 AND c.per_record;
INSERT INTO deliveries SELECT c.run_id, invocation_id, shard_id, sequence_number, handled
  FROM deliveries, copies c WHERE deliveries.run_id = 1 AND c.per_record;
-- all-failures works through the whole batch: invocation 2 handled seq 10 as well
UPDATE deliveries SET handled = 1 WHERE run_id = 2 AND invocation_id = 2 AND sequence_number = 10;
