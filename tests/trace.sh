#!/usr/bin/env bash
# tests/trace.sh ESMSIM SRCDIR - `esmsim trace` (SPEC section 5: the timeline
# of one partition key; R4 checkpoints, R5 attempts, R6 discards, R8 bisect
# depth, R10/R12 per-key order, R17 fates, SPEC 1.3 producer retries):
# - a small scenario whose every timeline line is computed by hand;
# - a hand-made run log (sqlite3 INSERTs into the real schema): producer
#   retries and duplicates, a rejected message, records first delivered
#   after a later record of their key, a throttle, a RecordAgeExceeded
#   discard on another lane, --sequence with and without --shard;
# - real scenarios, against SQL written here and the run's own counters:
#   per-key order, producer order, duplicates, places in the batch, bisect
#   depth;
# - bad input exits 2 with a one-line message.
. "$(dirname "$0")/lib.sh"
# The whole output of a command equals the expected text (a diff on failure).
expect_text() {
  if [ "$1" = "$2" ]; then ok; else
    ko "$3"; diff <(printf '%s\n' "$2") <(printf '%s\n' "$1") >&2
  fi
}
q() { sqlite3 -separator ' ' "$1" "$2"; }
# The delivery lines of a timeline, unmarked, as fields: $4 sequence number,
# $6 invocation, $11 outcome, $13 attempt, $15 place/batch size, $17 depth.
deliveries() { sed 's/^!/ /' | awk '$2 == "deliver"'; }

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
cd "$work" || exit 1

# ---- a scenario computed by hand (R4, R5, R6, R8, R17) -------------------
# tests/data/trace/bisect.json: records 1-5 (keys a b a b a, the third
# poisoned) written at 0.5 s; per_invoke 10 ms + 1 ms per record reached,
# polls at 0, 1, 2 ... s, a failed set retried 1 s later, the next set 20 ms
# after a success or discard (README "Model choices").
#   1.000 invocation 1 [1-5]: the function reaches record 3 and throws:
#         10 + 3 ms, error; bisect: [1,2] then [3,4,5] (depth 1)
#   2.013 invocation 2 [1,2]: success after 12 ms, checkpoint 2
#   2.045 invocation 3 [3,4,5]: error after 11 ms; bisect: [3] then [4,5]
#   3.056 invocation 4 [3]: error, attempt 1 (a single record is not split)
#   4.067 invocation 5 [3]: error, attempt 2 > MaximumRetryAttempts 1:
#         discarded at 4.078, checkpoint 3 (discarded); invocations 1, 3, 4
#         and 5 delivered it: approximateInvokeCount 4 (issue 11 item 7b)
#   4.098 invocation 6 [4,5]: success after 12 ms, checkpoint 5
"$esmsim" run "$src/tests/data/trace/bisect.json" -o trace.db -q || ko "run bisect.json"
out=$("$esmsim" trace trace.db --key a 2>&1); rc=$?
expect_eq "$rc" 0 "trace --key a exit status"
expect_text "$out" 'trace of partition key "a": run 1 of trace.db (trace-bisect)

messages           3   processed 2  discarded 1
writes             3   to the stream, on shardId-000000000000
deliveries         9   in 6 invocations, 4 not a success
discards           1
order              0   first deliveries after a later record of the key (marked !)
                   0   writes after a message of the key created later (marked !)

  time (s)  event       shard                 seq  detail
     0.500  write       shardId-000000000000    1  message 1 (records) created 0.500 (+0 ms), fate processed
     0.500  write       shardId-000000000000    3  message 3 (records) created 0.500 (+0 ms), fate discarded
     0.500  write       shardId-000000000000    5  message 5 (records) created 0.500 (+0 ms), fate processed
     1.000  deliver     shardId-000000000000    1  invocation 1  lane 0  ends 1.013  error    attempt 1  record 1/5  depth 0
     1.000  deliver     shardId-000000000000    3  invocation 1  lane 0  ends 1.013  error    attempt 1  record 3/5  depth 0
     1.000  deliver     shardId-000000000000    5  invocation 1  lane 0  ends 1.013  error    attempt 1  record 5/5  depth 0
     2.013  deliver     shardId-000000000000    1  invocation 2  lane 0  ends 2.025  success  attempt 1  record 1/2  depth 1
     2.025  checkpoint  shardId-000000000000    2  success, passes 1
     2.045  deliver     shardId-000000000000    3  invocation 3  lane 0  ends 2.056  error    attempt 1  record 1/3  depth 1
     2.045  deliver     shardId-000000000000    5  invocation 3  lane 0  ends 2.056  error    attempt 1  record 3/3  depth 1
     3.056  deliver     shardId-000000000000    3  invocation 4  lane 0  ends 3.067  error    attempt 1  record 1/1  depth 2
     4.067  deliver     shardId-000000000000    3  invocation 5  lane 0  ends 4.078  error    attempt 2  record 1/1  depth 2
     4.078  discard     shardId-000000000000    3  RetryAttemptsExhausted: 3-3 (1 record), invoked 4 times, sent to arn:aws:sqs:us-east-1:123456789012:dlq
     4.078  checkpoint  shardId-000000000000    3  discarded, passes 3
     4.098  deliver     shardId-000000000000    5  invocation 6  lane 0  ends 4.110  success  attempt 1  record 2/2  depth 2
     4.110  checkpoint  shardId-000000000000    5  success, passes 5' \
  "R4/R5/R6/R8 the timeline of key a, computed by hand"
out=$("$esmsim" trace trace.db --sequence 4 2>&1); rc=$?
expect_eq "$rc" 0 "trace --sequence 4 exit status"
expect_in "$out" '     0.500  write       shardId-000000000000    4  message 4 (records) created 0.500 (+0 ms), fate processed
     1.000  deliver     shardId-000000000000    4  invocation 1  lane 0  ends 1.013  error    attempt 1  record 4/5  depth 0
     2.045  deliver     shardId-000000000000    4  invocation 3  lane 0  ends 2.056  error    attempt 1  record 2/3  depth 1
     4.098  deliver     shardId-000000000000    4  invocation 6  lane 0  ends 4.110  success  attempt 1  record 1/2  depth 2
     4.110  checkpoint  shardId-000000000000    5  success, passes 4' \
  "R8 --sequence 4: a record of key b in the second halves"

# ---- a hand-made run log: producer retries, order broken (R10, R12) -------
# Run 2 in the same file.  Shard 0 (a parent, two lanes: key k on lane 0,
# key x on lane 1) and shard 1 (its child, read at once: k's records 5 and
# 6 go before 1 and 3).  Message 2 failed its first write and was written
# after message 5 (created later); message 5 was written twice (an `all`
# retry); message 4 was rejected; record 8 was discarded by age, unread.
# Invocation 4 is a throttle (not a delivery: not shown); discard A (x's
# records 2-4 on lane 1) holds k's sequence number 3 in its range but not
# k's lane: not shown for k.
sqlite3 trace.db "
INSERT INTO runs (run_id, scenario, seed, scenario_json, duration_ms, esmsim_version, complete,
                  end_ms, per_record_tables) VALUES (2, 'hand-made', 1, '{}', 3000, 'test', 1, 3000, 1);
INSERT INTO shards (run_id, shard_id, parent_shard_id, opened_ms, closed_ms) VALUES
  (2, 'shardId-000000000000', NULL, 0, 500), (2, 'shardId-000000000001', 'shardId-000000000000', 500, NULL);
INSERT INTO messages (run_id, message_id, producer, partition_key, created_ms, bytes, fate) VALUES
  (2, 1, 'p', 'k', 100, 10, 'processed'), (2, 2, 'p', 'k', 200, 10, 'processed'),
  (2, 3, 'p', 'k', 300, 10, 'processed'), (2, 4, 'p', 'k', 400, 10, 'rejected'),
  (2, 5, 'p', 'k', 500, 10, 'processed'), (2, 6, 'p', 'k', 1100, 10, 'discarded'),
  (2, 10, 'p', 'x', 150, 10, 'discarded'), (2, 11, 'p', 'x', 350, 10, 'discarded');
INSERT INTO records (run_id, shard_id, sequence_number, message_id, partition_key, arrival_ms, bytes) VALUES
  (2, 'shardId-000000000000', 1, 1, 'k', 150, 10), (2, 'shardId-000000000000', 2, 10, 'x', 160, 10),
  (2, 'shardId-000000000000', 3, 3, 'k', 350, 10), (2, 'shardId-000000000000', 4, 11, 'x', 360, 10),
  (2, 'shardId-000000000001', 5, 5, 'k', 600, 10), (2, 'shardId-000000000001', 6, 2, 'k', 900, 10),
  (2, 'shardId-000000000001', 7, 5, 'k', 1010, 10), (2, 'shardId-000000000001', 8, 6, 'k', 1150, 10);
INSERT INTO invocations (run_id, invocation_id, shard_id, lane, start_ms, end_ms, record_count,
    payload_bytes, first_sequence_number, last_sequence_number, attempt, outcome) VALUES
  (2, 1, 'shardId-000000000001', 0, 1000, 1020, 2, 100, 5, 6, 1, 'success'),
  (2, 2, 'shardId-000000000000', 0, 1005, 1025, 2, 100, 1, 3, 1, 'error'),
  (2, 3, 'shardId-000000000001', 0, 1020, 1030, 1, 100, 7, 7, 1, 'success'),
  (2, 4, 'shardId-000000000000', 0, 1500, 1500, 2, 100, 1, 3, 2, 'throttled'),
  (2, 5, 'shardId-000000000000', 1, 1550, 1550, 2, 100, 2, 4, 1, 'throttled'),
  (2, 6, 'shardId-000000000000', 0, 2025, 2040, 2, 100, 1, 3, 2, 'success');
INSERT INTO deliveries (run_id, invocation_id, shard_id, sequence_number) VALUES
  (2, 1, 'shardId-000000000001', 5), (2, 1, 'shardId-000000000001', 6),
  (2, 2, 'shardId-000000000000', 1), (2, 2, 'shardId-000000000000', 3),
  (2, 3, 'shardId-000000000001', 7),
  (2, 6, 'shardId-000000000000', 1), (2, 6, 'shardId-000000000000', 3);
INSERT INTO checkpoints (run_id, shard_id, at_ms, sequence_number, reason) VALUES
  (2, 'shardId-000000000001', 1020, 6, 'success'), (2, 'shardId-000000000001', 1030, 7, 'success'),
  (2, 'shardId-000000000000', 2040, 4, 'success'), (2, 'shardId-000000000000', 2040, 4, 'shard_end'),
  (2, 'shardId-000000000001', 2500, 8, 'discarded');
INSERT INTO discards (run_id, at_ms, shard_id, condition, start_sequence_number, end_sequence_number,
    record_count, invocation_record, destination, invocation_id, approximate_invoke_count) VALUES
  (2, 1600, 'shardId-000000000000', 'RecordAgeExceeded', 2, 4, 2, '{}', NULL, 5, 0),
  (2, 2500, 'shardId-000000000001', 'RecordAgeExceeded', 8, 8, 1, '{}', NULL, 3, 0);
" || ko "building the hand-made run"
# Order by first delivery (invocation, then sequence number): 5 6 | 1 3 | 7:
# 1 and 3 come after 6 (!).  Producer order at write (created 100 ... 1100):
# sequence 6 holds message 2, written after message 5 (!).  The checkpoint
# passing 1 and 3 is the first of the two at 4 (success, then shard_end).
# Same millisecond (1.020): the checkpoint before the delivery.
out=$("$esmsim" trace trace.db --run 2 --key k 2>&1); rc=$?
expect_eq "$rc" 0 "hand-made trace exit status"
expect_text "$out" 'trace of partition key "k": run 2 of trace.db (hand-made)

messages           6   processed 4  discarded 1  rejected 1
writes             6   to the stream, on shardId-000000000000, shardId-000000000001
deliveries         7   in 4 invocations, 1 not a success
discards           1
order              2   first deliveries after a later record of the key (marked !)
                   1   writes after a message of the key created later (marked !)

  time (s)  event       shard                 seq  detail
     0.150  write       shardId-000000000000    1  message 1 (p) created 0.100 (+50 ms), fate processed
     0.350  write       shardId-000000000000    3  message 3 (p) created 0.300 (+50 ms), fate processed
     0.400  message     -                       -  message 4 (p) created: no record reached the stream, fate rejected
     0.600  write       shardId-000000000001    5  message 5 (p) created 0.500 (+100 ms), write 1 of 2, fate processed
!    0.900  write       shardId-000000000001    6  message 2 (p) created 0.200 (+700 ms), fate processed  ! after message 5, created later
     1.000  deliver     shardId-000000000001    5  invocation 1  lane 0  ends 1.020  success  attempt 1  record 1/2  depth 0
     1.000  deliver     shardId-000000000001    6  invocation 1  lane 0  ends 1.020  success  attempt 1  record 2/2  depth 0
!    1.005  deliver     shardId-000000000000    1  invocation 2  lane 0  ends 1.025  error    attempt 1  record 1/2  depth 0  ! first delivered after 6
!    1.005  deliver     shardId-000000000000    3  invocation 2  lane 0  ends 1.025  error    attempt 1  record 2/2  depth 0  ! first delivered after 6
     1.010  write       shardId-000000000001    7  message 5 (p) created 0.500 (+510 ms), write 2 of 2, fate processed
     1.020  checkpoint  shardId-000000000001    6  success, passes 5-6 (2 records of the key)
     1.020  deliver     shardId-000000000001    7  invocation 3  lane 0  ends 1.030  success  attempt 1  record 1/1  depth 0
     1.030  checkpoint  shardId-000000000001    7  success, passes 7
     1.150  write       shardId-000000000001    8  message 6 (p) created 1.100 (+50 ms), fate discarded
     2.025  deliver     shardId-000000000000    1  invocation 6  lane 0  ends 2.040  success  attempt 2  record 1/2  depth 0
     2.025  deliver     shardId-000000000000    3  invocation 6  lane 0  ends 2.040  success  attempt 2  record 2/2  depth 0
     2.040  checkpoint  shardId-000000000000    4  success, passes 1-3 (2 records of the key)
     2.500  discard     shardId-000000000001    8  RecordAgeExceeded: 8-8 (1 record), invoked 0 times, dropped (no OnFailure destination)
     2.500  checkpoint  shardId-000000000001    8  discarded, passes 8' \
  "R10/R12/R17 SPEC 1.3: the hand-made timeline of key k"
# --sequence: the record, and every write of its message (the duplicate).
out=$("$esmsim" trace trace.db --run 2 --sequence 7 2>&1); rc=$?
expect_eq "$rc" 0 "--sequence 7 exit status"
expect_text "$out" 'trace of record 7 of shardId-000000000001, partition key "k": run 2 of trace.db (hand-made)

messages           1   processed 1
writes             2   to the stream, on shardId-000000000001
deliveries         1   in 1 invocations, 0 not a success
discards           0
order              0   first deliveries after a later record of the key (marked !)
                   0   writes after a message of the key created later (marked !)

  time (s)  event       shard                 seq  detail
     0.600  write       shardId-000000000001    5  message 5 (p) created 0.500 (+100 ms), write 1 of 2, fate processed
     1.010  write       shardId-000000000001    7  message 5 (p) created 0.500 (+510 ms), write 2 of 2, fate processed
     1.020  deliver     shardId-000000000001    7  invocation 3  lane 0  ends 1.030  success  attempt 1  record 1/1  depth 0
     1.030  checkpoint  shardId-000000000001    7  success, passes 7' \
  "SPEC 1.3 --sequence 7: both writes of message 5"
out=$("$esmsim" trace trace.db --run 2 --sequence 3 --shard shardId-000000000000 2>&1); rc=$?
expect_eq "$rc" 0 "--sequence 3 --shard exit status"
expect_in "$out" 'order              1   first deliveries after a later record of the key (marked !)' \
  "R10 --sequence 3: its order is judged against the whole key"
expect_in "$out" '     0.350  write       shardId-000000000000    3  message 3 (p) created 0.300 (+50 ms), fate processed
!    1.005  deliver     shardId-000000000000    3  invocation 2  lane 0  ends 1.025  error    attempt 1  record 2/2  depth 0  ! first delivered after 6
     2.025  deliver     shardId-000000000000    3  invocation 6  lane 0  ends 2.040  success  attempt 2  record 2/2  depth 0
     2.040  checkpoint  shardId-000000000000    4  success, passes 3' \
  "R10 --sequence 3: the record's lines"
# Key x was never delivered: its lane is unknown, so discard A counts by range.
out=$("$esmsim" trace trace.db --run 2 --key x 2>&1)
expect_in "$out" '     1.600  discard     shardId-000000000000    2  RecordAgeExceeded: 2-4 (2 records), invoked 0 times, dropped (no OnFailure destination)' \
  "R6/R10 a discard of a key whose lane the log does not tell"

# ---- real scenarios, against SQL and the run's own counters ---------------
# R10/R12: per key, records first delivered after a later record of their
# key; the sum over every key equals the run's own count (summary "order").
out=$("$esmsim" run "$src/scenarios/split-no-wait.json" -o split.db --set duration=22m \
      --set 'producers[0].keys.count=20' --set 'producers[0].rate=100' \
      --set 'function.failures[0].match.to=1190' --set 'expect={}' 2>&1) || ko "run split-no-wait"
want=$(printf '%s\n' "$out" | awk '/^order/ { gsub(",", "", $2); print $2 }')
[ "${want:-0}" -gt 1000 ] && ok || ko "split-no-wait (shortened) breaks key order: '$want'"
sum=0
for k in $(q split.db "SELECT DISTINCT partition_key FROM messages"); do
  n=$("$esmsim" trace split.db --key "$k" | awk '/^order/ { print $2 }')
  sum=$((sum + ${n:-0}))
done
expect_eq "$sum" "$want" "R10/R12 order breaks of all keys = the run's own count"

# SPEC 1.3: writes after a message created later, producer duplicates and
# rejected messages of one key, against SQL over messages and records.
"$esmsim" run "$src/scenarios/producer-retries.json" -o retries.db -q --set duration=40s \
  --set 'producers[0].bursts[0].at=5s' --set 'producers[1].bursts[0].at=5s' --set 'expect={}' ||
  ko "run producer-retries"
out=$("$esmsim" trace retries.db --key order-0)
want=$(q retries.db "CREATE TEMP TABLE m AS SELECT message_id, created_ms FROM messages
    WHERE partition_key = 'order-0';
  CREATE INDEX temp.m_id ON m (message_id);
  SELECT count(*) FROM (SELECT m.created_ms, m.message_id, max(m.created_ms * 4294967296 + m.message_id)
      OVER (ORDER BY r.sequence_number ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS latest
    FROM records r JOIN m USING (message_id) WHERE r.partition_key = 'order-0')
  WHERE latest > created_ms * 4294967296 + message_id")
[ "$want" -gt 0 ] && ok || ko "producer-retries reorders order-0's writes"
expect_eq "$(printf '%s\n' "$out" | grep -c '^!.* write .* ! after message ')" "$want" \
  "SPEC 1.3 writes after a message created later"
want=$(q retries.db "SELECT count(*) FROM records WHERE partition_key = 'order-0' AND message_id IN
  (SELECT message_id FROM records WHERE partition_key = 'order-0' GROUP BY message_id HAVING count(*) > 1)")
[ "$want" -gt 0 ] && ok || ko "producer-retries duplicates order-0's messages"
expect_eq "$(printf '%s\n' "$out" | grep -c ' write .*, write [0-9]* of [0-9]*,')" "$want" \
  "SPEC 1.3 writes of messages written more than once"
want=$(q retries.db "SELECT count(*) FROM messages WHERE partition_key = 'order-0' AND message_id NOT IN
  (SELECT message_id FROM records WHERE partition_key = 'order-0')")
expect_eq "$(printf '%s\n' "$out" | grep -c ' message .*no record reached the stream, fate ')" "$want" \
  "SPEC 1.3 messages that never reached the stream"
# Issue 13 item 4: a key's records are read by their chain (record_rows.key_gap, from
# key_names.last_seq); a run without heads (stopped early, or changed through the views)
# is read whole, to the same timeline.
[ "$(q retries.db "SELECT count(*) FROM key_names WHERE last_seq IS NOT NULL")" -gt 0 ] && ok ||
  ko "issue 13 item 4: a complete run has the heads of its keys' chains"
cp retries.db noheads.db
q noheads.db "UPDATE key_names SET last_seq = NULL" >/dev/null
expect_eq "$("$esmsim" trace noheads.db --key order-0 | sed 1d | md5sum)" \
  "$(printf '%s\n' "$out" | sed 1d | md5sum)" "issue 13 item 4: the same trace without the chains' heads"
# Issue 13 item 4, schema 8: key_gap leads from each record to the key's record before it
# (NULL for a key's first), and the message id a record stores as a difference from its
# sequence number is that of a message of its key (its key and size are its message's).
expect_eq "$(q retries.db "WITH k AS (SELECT sequence_number AS seq, lag(sequence_number) OVER
    (PARTITION BY partition_key ORDER BY sequence_number) AS prev FROM records WHERE run_id = 1)
  SELECT count(*), sum(r.key_gap IS NOT NULL), sum(r.sequence_number - r.key_gap IS NOT k.prev)
  FROM k JOIN record_rows r ON r.run_id = 1 AND r.sequence_number = k.seq")" \
  "$(q retries.db "SELECT count(*), count(*) - count(DISTINCT partition_key), 0 FROM records")" \
  "issue 13 item 4: key_gap chains each key's records in sequence order"
expect_eq "$(q retries.db "SELECT count(*), sum(m.message_id IS NOT NULL AND m.partition_key IS r.partition_key
    AND m.bytes IS r.bytes AND r.partition_key IS NOT NULL), sum(r.message_id > r.sequence_number)
  FROM records r LEFT JOIN messages m USING (run_id, message_id)")" \
  "$(q retries.db "SELECT count(*), count(*), sum(sequence_number + message_delta > sequence_number)
  FROM record_rows")" "issue 13 item 4: a record's message id, key and size are its message's"
# Each delivery's place in its batch, against row_number() over the batch;
# the last batch was still in flight at the end: deliveries without an
# invocations row (written when an invocation completes).
key_deliveries="FROM deliveries d WHERE d.sequence_number IN
  (SELECT sequence_number FROM records WHERE partition_key = 'order-0')"
want=$(q retries.db "SELECT invocation_id, sequence_number, pos FROM (SELECT d.invocation_id,
    d.sequence_number, row_number() OVER (PARTITION BY d.invocation_id ORDER BY d.sequence_number) AS pos
  FROM deliveries d) WHERE sequence_number IN (SELECT sequence_number FROM records
    WHERE partition_key = 'order-0') AND invocation_id IN (SELECT invocation_id FROM invocations)
  ORDER BY 1, 2" | md5sum)
got=$(printf '%s\n' "$out" | deliveries | awk '$15 ~ /\// { split($15, p, "/"); print $6, $4, p[1] }' |
      sort -n -k1,1 -k2,2 | md5sum)
expect_eq "$got" "$want" "places in the batch = row_number() over each invocation's deliveries"
want=$(q retries.db "SELECT count(*) $key_deliveries
  AND d.invocation_id NOT IN (SELECT invocation_id FROM invocations)")
[ "$want" -gt 0 ] && ok || ko "producer-retries ends with a batch in flight"
expect_eq "$(printf '%s\n' "$out" | grep -c '    40.000  deliver .* in flight when the run ended')" "$want" \
  "deliveries of the invocation in flight at the end, at the end"

# R8: every split in poison-pill-bisect is of a set holding the poison
# record, so its last depth is the run's bisect count; its batch sizes halve.
out=$("$esmsim" run "$src/scenarios/poison-pill-bisect.json" -o bisect.db --set duration=11m \
      --set 'expect={}' 2>&1) || ko "run poison-pill-bisect"
want=$(printf '%s\n' "$out" | awk '/^bisects/ { print $2 }')
seq_no=$(q bisect.db "SELECT sequence_number FROM records r JOIN discards d
  ON r.sequence_number = d.start_sequence_number")
out=$("$esmsim" trace bisect.db --sequence "$seq_no")
expect_eq "$(printf '%s\n' "$out" | deliveries | awk '{ d = $17 } END { print d }')" "$want" \
  "R8 the poison record's depth = the run's bisects"
expect_eq "$(printf '%s\n' "$out" | deliveries | awk '{ split($15, p, "/"); printf "%s:%s ", p[2], $17 }')" \
  "$(q bisect.db "SELECT group_concat(record_count || ':' || depth, ' ') FROM (SELECT i.record_count,
     (SELECT count(*) FROM invocations j WHERE j.attempt = 1 AND j.outcome <> 'throttled'
        AND j.invocation_id > (SELECT min(invocation_id) FROM deliveries WHERE sequence_number = $seq_no)
        AND j.invocation_id <= i.invocation_id AND $seq_no BETWEEN j.first_sequence_number
        AND j.last_sequence_number AND j.shard_id = i.shard_id) AS depth
   FROM deliveries d JOIN invocations i USING (run_id, invocation_id)
   WHERE d.sequence_number = $seq_no ORDER BY i.invocation_id)") " \
  "R8 depth = the first attempts of smaller sets holding the record after its first delivery"
# The poison record is the last of a batch of 11: 4 splits (11, 6, 3, 2, 1; R8), then
# MaximumRetryAttempts 2 on it alone: 1 + 4 + 2 invocations.
expect_in "$out" "RetryAttemptsExhausted: $seq_no-$seq_no (1 record), invoked 7 times, sent to arn:aws:sqs:us-east-1:123456789012:order-dlq" \
  "R6 the poison record's discard"

# Issue 11 item 4: records 3 and 4 poisoned: [3] and then [4] (split from
# [4,5], no checkpoint between) are discarded one after the other: one
# OnFailure message 3-4, whose last invocation delivered 4 only; record 3
# shows it too.  approximateInvokeCount: record 4 went through [1-5],
# [3,4,5], [4,5] and [4] twice.
"$esmsim" run "$src/tests/data/trace/bisect.json" -o consolidated.db -q \
  --set 'records[3].data="poison"' || ko "run bisect.json, records 3 and 4 poisoned"
for seq in 3 4; do
  expect_in "$("$esmsim" trace consolidated.db --sequence $seq)" \
    "RetryAttemptsExhausted: 3-4 (2 records), invoked 5 times, sent to arn:aws:sqs:us-east-1:123456789012:dlq" \
    "R8 one consolidated OnFailure message holds record $seq"
done

# Issue 11 item 2: the 7 MB upload of oversized-record.json, its event over
# 6 MB: every try refused, then discarded (MaximumRetryAttempts 2).
"$esmsim" run "$src/scenarios/oversized-record.json" -o oversized.db -q --set duration=11m \
  --set event_source_mapping.MaximumRetryAttempts=2 --set 'expect={}' || ko "run oversized-record"
out=$("$esmsim" trace oversized.db --key doc-scan-7)
expect_eq "$(printf '%s\n' "$out" | deliveries | awk '{ print $11, $13 }' | tr '\n' ' ')" \
  "refused 1 refused 2 refused 3 " "R5 the refused invocations of an event over 6 MB, attempts 1 to 3"
expect_in "$out" "RetryAttemptsExhausted: " "R6 the refused record is discarded"
expect_in "$out" "(1 record), invoked 3 times, sent to arn:aws:sqs:us-east-1:123456789012:documents-dlq" \
  "R6 the refused record's OnFailure message"

# ---- bad input: exit 2, one line naming what is wrong --------------------
bad() {   # bad WANT_IN_MESSAGE DESCRIPTION ARGS...
  local want=$1 what=$2; shift 2
  local msg rc
  msg=$("$esmsim" trace "$@" 2>&1 >/dev/null); rc=$?
  expect_eq "$rc" 2 "$what: exit status"
  expect_in "$msg" "$want" "$what: message"
}
"$esmsim" run "$src/tests/data/trace/bisect.json" -o norec.db -q --no-record-tables || ko "run --no-record-tables"
echo "not a database" > junk.db
bad "missing RUN.db" "no arguments"
bad "give --key KEY or --sequence N" "no key" trace.db
bad "exclude each other" "--key and --sequence" trace.db --key a --sequence 1
bad "--shard goes with --sequence" "--shard alone" trace.db --key a --shard shardId-000000000000
# issue 13 item 1: one option parser for every command, one wording
bad "esmsim trace: unknown option: --frob" "unknown option" trace.db --key a --frob
bad "esmsim trace: --key needs a partition key" "--key without a value" trace.db --key
bad "--sequence: expected a sequence number" "--sequence x" trace.db --sequence x
bad "--sequence: expected a sequence number" "--sequence 0" trace.db --sequence 0
bad "unexpected argument: extra" "two databases" trace.db extra --key a
bad "--run: expected a run id" "--run x" trace.db --run x --key a
bad "no run 9" "unknown run" trace.db --run 9 --key a
bad "junk.db" "not a run log" junk.db --key a
bad "missing.db" "missing file" missing.db --key a
bad "run 1 has no message or record with partition key \"zz\"" "unknown key" trace.db --run 1 --key zz
bad "run 1 has no record with sequence number 99" "unknown sequence number" trace.db --run 1 --sequence 99
bad "record 3 is on shardId-000000000000, not on shardId-000000000001" "wrong --shard" \
  trace.db --run 2 --sequence 3 --shard shardId-000000000001
bad "--no-record-tables: it has no messages, records or deliveries to trace" "no per-record tables" \
  norec.db --key a
# A number edited into a text (or a real into an integer column) of a row the timeline is made
# of is a damaged run log (SPEC section 5: bad input, exit 2), named by its table and column:
# it broke the key's chain, or dropped a row from a join, unseen (exit 0), or was named by
# trace's own TEMP table (trace_line.attempt).
"$esmsim" run "$src/tests/data/trace/bisect.json" -o dmg-base.db -q || ko "run bisect.json"
damaged() {   # damaged SQL WANT: dmg-base.db edited by SQL, traced by key a
  cp dmg-base.db dmg.db && sqlite3 dmg.db "$1" || ko "damaged: $1"
  bad "esmsim trace: dmg.db: $2: the run log is damaged" "damaged: $1" dmg.db --key a
}
head_a="(SELECT last_seq FROM key_names WHERE partition_key = 'a')"
damaged "UPDATE record_rows SET key_gap = 'abc' WHERE sequence_number = $head_a" \
  'record_rows.key_gap of run 1 holds the text "abc", expected an integer'
damaged "UPDATE checkpoints SET sequence_number = 'abc' WHERE rowid = (SELECT max(rowid) FROM checkpoints)" \
  'checkpoints.sequence_number of run 1 holds the text "abc", expected an integer'
damaged "UPDATE delivery_rows SET invocation_handled = invocation_handled + 0.5 WHERE sequence_number = $head_a
  AND invocation_handled = (SELECT max(invocation_handled) FROM delivery_rows WHERE sequence_number = $head_a)" \
  "delivery_rows.invocation_handled of run 1 holds the number 13.5, expected an integer"
damaged "UPDATE invocations SET attempt = 'abc' WHERE rowid = (SELECT min(rowid) FROM invocations)" \
  'invocations.attempt of run 1 holds the text "abc", expected an integer'
# A record's shard that is not a number, or NULL, was named by trace's own TEMP table ("NOT
# NULL constraint failed: trace_rec.shard_id"): named by the user's table and column.
damaged "UPDATE record_rows SET shard_no = 'x'" \
  'record_rows.shard_no of run 1 holds the text "x", expected an integer'
damaged "UPDATE record_rows SET shard_no = NULL WHERE sequence_number = $head_a" \
  "record_rows.shard_no of run 1 is NULL, expected an integer"
damaged "UPDATE record_rows SET shard_no = 999 WHERE sequence_number = $head_a" \
  "record_rows.shard_no of run 1 is 999, a shard shard_names has not"
expect_eq "$("$esmsim" trace trace.db --run 1 --key zz 2>&1 | wc -l | tr -d ' ')" 1 "an error is one line"
expect_in "$("$esmsim" trace --help)" "usage: esmsim trace RUN.db --key KEY" "--help"

finish
