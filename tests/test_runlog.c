/*
 * test_runlog.c - the SQLite run log (SPEC section 3): every callback of the
 * sink lands in its table with the contract's columns, times in ms, NULL for
 * what is absent; runs are numbered 1, 2 within a file and marked complete
 * only when ended so; per_record=false writes no per-record rows; errors
 * (unwritable path, foreign database, a write failing mid-run, another
 * writer's lock) are clear and latched, and leave a valid file, as does a
 * process killed mid-run; a refused file is left as it was; rows are
 * committed at sync points only, by row count or wall time, with end_ms.
 */
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "awsjson.h"
#include "check.h"
#include "runlog.h"
#include "scenario.h"

static char dir[64];

static const char *path_in_dir(const char *name)
{
    static char buf[4][128];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

static void remove_db(const char *path)
{
    char side[160];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-journal", path);
    unlink(side);
}

/* ---- reading the database back, with a connection of our own ---------- */

static sqlite3 *db_open(const char *path)
{
    sqlite3 *db = NULL;
    /* read-write, so that it may recover the WAL of a killed writer */
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        fprintf(stderr, "open %s: %s\n", path, sqlite3_errmsg(db));
    return db;
}

static long long q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long v = -999;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
    else if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The text of the first column of the first row ("(null)" for NULL); the
 * result lives until the next call. */
static const char *q_text(sqlite3 *db, const char *sql)
{
    static char buf[4096];
    sqlite3_stmt *st = NULL;
    snprintf(buf, sizeof buf, "(no row)");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
    else if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(buf, sizeof buf, "%s", t ? (const char *)t : "(null)");
    }
    sqlite3_finalize(st);
    return buf;
}

/* ---- a small run, through every callback -------------------------------- */

static struct scenario test_scenario(void)
{
    static char name[] = "unit-run", json[] = "{\"name\":\"unit-run\",\"duration\":\"2h\"}";
    return (struct scenario){ .name = name, .json = json, .cfg.duration_us = INT64_C(7200000000) };
}

/* A run log at path with run 1 of the test scenario begun; NULL (checked)
 * when that fails. */
static struct runlog *open_run(const char *path)
{
    char err[256] = "";
    struct scenario scn = test_scenario();
    struct runlog *rl = runlog_open(path, err, sizeof err);
    CHECK(rl && runlog_begin_run(rl, &scn, 1, true, NULL, err, sizeof err) == 0);
    if (err[0])
        fprintf(stderr, "%s\n", err);
    return rl;
}

/* Past the commit policy's wall-time bound. */
static void sleep_past_commit_ms(void)
{
    struct timespec wait = { RUNLOG_COMMIT_MS / 1000, RUNLOG_COMMIT_MS % 1000 * 1000000 + 50000000 };
    nanosleep(&wait, NULL);
}

static struct slog_discard test_discard(const char *destination)
{
    return (struct slog_discard){
        .at_us = 829717999, .shard_id = "shardId-000000000001",
        .condition = DISCARD_RETRIES_EXHAUSTED, .start_sequence_number = 10,
        .end_sequence_number = 12, .record_count = 3, .first_arrival_us = 799000000,
        .last_arrival_us = 799580000, .invocation_id = 3, .approximate_invoke_count = 2,
        .has_response = true, .function_error = "Unhandled", .destination = destination,
        .function_arn = "arn:aws:lambda:us-east-1:123456789012:function:f",
        .stream_arn = "arn:aws:kinesis:us-east-1:123456789012:stream/s",
        .epoch_ms = INT64_C(1767225600000),
    };
}

/* Everything a run can say, once or twice per callback. */
static void write_small_run(struct slog log)
{
    const struct slog_ops *o = log.ops;
    void *c = log.ctx;
    struct slog_shard parent = { .shard_id = "shardId-000000000001", .starting_hash_key = "0",
        .ending_hash_key = "340282366920938463463374607431768211455", .opened_us = 0,
        .closed_us = -1 };
    o->shard(c, &parent);
    struct slog_shard child = { .shard_id = "shardId-000000000002",
        .parent_shard_id = "shardId-000000000001", .adjacent_parent_shard_id = NULL,
        .starting_hash_key = "0", .ending_hash_key = "170141183460469231731687303715884105727",
        .opened_us = 1800000000, .closed_us = -1 };
    o->shard(c, &child);
    parent.closed_us = 1800000999;   /* closed at the split: the same row, updated */
    o->shard(c, &parent);

    struct slog_message m = { .message_id = 77, .producer = "api", .partition_key = "user-7",
                              .created_us = 1999, .bytes = 900, .fate = FATE_DISCARDED };
    o->message(c, &m);
    struct slog_record r = { .shard_id = "shardId-000000000001", .sequence_number = 10,
                             .message_id = 77, .partition_key = "user-7", .arrival_us = 1234567,
                             .bytes = 900 };   /* its message's size, as the model gives it */
    o->record(c, &r);
    r.sequence_number = 11;   /* a producer duplicate of the same message */
    r.arrival_us = 2000000;
    o->record(c, &r);

    struct slog_invocation inv = { .invocation_id = 3, .shard_id = "shardId-000000000001",
        .lane = 0, .start_us = 2500000, .end_us = 2540999, .record_count = 3,
        .payload_bytes = 4321, .first_sequence_number = 10, .last_sequence_number = 12,
        .attempt = 2, .outcome = OUTCOME_ERROR, .iterator_age_us = 540999, .cold_start = true,
        .error = "poison record", .iterator_age_at_send_us = 500000 };
    o->invocation(c, &inv);
    struct slog_invocation throttled = { .invocation_id = 4, .shard_id = "shardId-000000000002",
        .lane = 1, .start_us = 3000000, .end_us = 3000000, .outcome = OUTCOME_THROTTLED,
        .iterator_age_us = -1, .iterator_age_at_send_us = -1 };
    o->invocation(c, &throttled);

    o->deliveries(c, 3, "shardId-000000000001", (const uint64_t[]){ 10 }, 1, true);
    o->deliveries(c, 3, "shardId-000000000001", (const uint64_t[]){ 11 }, 1, false);
    o->checkpoint(c, "shardId-000000000001", 2541000, 12, CKPT_DISCARDED);
    struct slog_discard d = test_discard("arn:aws:sqs:us-east-1:123456789012:dlq");
    o->discard(c, &d);
    d = test_discard(NULL);
    d.condition = DISCARD_RECORD_AGE;
    d.has_response = false;
    o->discard(c, &d);
    o->metric(c, 60000000, "IteratorAge", NULL, 540.5);
    o->metric(c, 60000000, "OldestUnprocessedAge", "shardId-000000000001", 12.25);
    /* issue 12 item 4: a real handler's log, a row per line */
    struct slog_line line = { .invocation_id = 3, .request_id = "rid-3", .line = 0,
                              .at_us = 2500999, .kind = "start", .text = "START RequestId: rid-3" };
    o->log_line(c, &line);
    line = (struct slog_line){ .invocation_id = 3, .request_id = "rid-3", .line = 1,
                               .at_us = 2540999, .kind = "output", .text = "handled\t10" };
    o->log_line(c, &line);
}

static void test_full_run(void)
{
    const char *path = path_in_dir("run.db");
    char err[256] = "";
    struct scenario scn = test_scenario();
    struct runlog *rl = runlog_open(path, err, sizeof err);
    CHECK(rl != NULL);
    if (!rl) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    /* a new file is made with synchronous OFF (runlog_open.c), its rows
     * written with NORMAL, in WAL */
    CHECK_INT(q_int(runlog_db(rl), "PRAGMA synchronous"), 1);
    CHECK_STR(q_text(runlog_db(rl), "PRAGMA journal_mode"), "wal");
    int64_t run_id = 0;
    CHECK_INT(runlog_begin_run(rl, &scn, 42, true, &run_id, err, sizeof err), 0);
    CHECK_INT(run_id, 1);
    struct slog log = runlog_sink(rl);
    CHECK(log.per_record);
    write_small_run(log);
    CHECK(!log.ops->failed(log.ctx));
    CHECK(runlog_error(rl) == NULL);
    CHECK_INT(runlog_end_run(rl, true, 7200000999, 1.5, "{\"messages\":1}", err, sizeof err), 0);
    runlog_close(rl);

    sqlite3 *db = db_open(path);
    CHECK_STR(q_text(db, "PRAGMA integrity_check"), "ok");
    /* runs */
    CHECK_INT(q_int(db, "SELECT count(*) FROM runs"), 1);
    CHECK_STR(q_text(db, "SELECT scenario FROM runs"), "unit-run");
    CHECK_STR(q_text(db, "SELECT scenario_json FROM runs"), scn.json);
    CHECK_INT(q_int(db, "SELECT seed FROM runs"), 42);
    CHECK_INT(q_int(db, "SELECT duration_ms FROM runs"), 7200000);
    CHECK_STR(q_text(db, "SELECT esmsim_version FROM runs"), ESMSIM_VERSION);
    CHECK_INT(q_int(db, "SELECT complete FROM runs"), 1);
    CHECK_INT(q_int(db, "SELECT end_ms FROM runs"), 7200000);
    CHECK_INT(q_int(db, "SELECT per_record_tables FROM runs"), 1);
    CHECK_STR(q_text(db, "SELECT summary_json FROM runs"), "{\"messages\":1}");
    CHECK_STR(q_text(db, "SELECT wall_seconds FROM runs"), "1.5");
    /* shards: upserted, NULL for what is absent */
    CHECK_INT(q_int(db, "SELECT count(*) FROM shards"), 2);
    CHECK_INT(q_int(db, "SELECT closed_ms FROM shards WHERE shard_id = 'shardId-000000000001'"), 1800000);
    CHECK_INT(q_int(db, "SELECT closed_ms IS NULL FROM shards WHERE shard_id = 'shardId-000000000002'"), 1);
    CHECK_INT(q_int(db, "SELECT parent_shard_id IS NULL AND adjacent_parent_shard_id IS NULL"
                        " FROM shards WHERE shard_id = 'shardId-000000000001'"), 1);
    CHECK_STR(q_text(db, "SELECT parent_shard_id FROM shards WHERE shard_id = 'shardId-000000000002'"),
              "shardId-000000000001");
    CHECK_INT(q_int(db, "SELECT opened_ms FROM shards WHERE shard_id = 'shardId-000000000002'"), 1800000);
    CHECK_STR(q_text(db, "SELECT ending_hash_key FROM shards WHERE shard_id = 'shardId-000000000001'"),
              "340282366920938463463374607431768211455");
    /* messages and records */
    CHECK_STR(q_text(db, "SELECT run_id || '|' || message_id || '|' || producer || '|' || partition_key"
                         " || '|' || created_ms || '|' || bytes || '|' || fate FROM messages"),
              "1|77|api|user-7|1|900|discarded");
    CHECK_INT(q_int(db, "SELECT count(*) FROM records WHERE message_id = 77"), 2);
    CHECK_STR(q_text(db, "SELECT shard_id || '|' || sequence_number || '|' || partition_key || '|'"
                         " || arrival_ms || '|' || bytes FROM records ORDER BY sequence_number"),
              "shardId-000000000001|10|user-7|1234|900");
    CHECK_INT(q_int(db, "SELECT typeof(sequence_number) = 'integer' FROM records LIMIT 1"), 1);
    /* invocations */
    CHECK_INT(q_int(db, "SELECT count(*) FROM invocations"), 2);
    CHECK_STR(q_text(db, "SELECT invocation_id || '|' || shard_id || '|' || lane || '|' || start_ms"
                         " || '|' || end_ms || '|' || record_count || '|' || payload_bytes || '|'"
                         " || first_sequence_number || '|' || last_sequence_number || '|' || attempt"
                         " || '|' || outcome || '|' || iterator_age_ms || '|' || cold_start || '|'"
                         " || error || '|' || iterator_age_at_send_ms"
                         " FROM invocations WHERE invocation_id = 3"),
              "3|shardId-000000000001|0|2500|2540|3|4321|10|12|2|error|540|1|poison record|500");
    CHECK_STR(q_text(db, "SELECT outcome FROM invocations WHERE invocation_id = 4"), "throttled");
    /* issue 11 item 8: NULL where R14's IteratorAge is NULL */
    CHECK_INT(q_int(db, "SELECT iterator_age_ms IS NULL AND error IS NULL"
                        " AND iterator_age_at_send_ms IS NULL FROM invocations"
                        " WHERE invocation_id = 4"), 1);
    CHECK_INT(q_int(db, "SELECT typeof(iterator_age_at_send_ms) = 'integer' FROM invocations"
                        " WHERE invocation_id = 3"), 1);
    CHECK_INT(q_int(db, "PRAGMA user_version"), RUNLOG_SCHEMA_VERSION);
    CHECK_INT(RUNLOG_SCHEMA_VERSION, 8);
    /* logs (issue 12 item 4), and the runs row without a handler (SPEC section 4) */
    CHECK_STR(q_text(db, "SELECT group_concat(invocation_id || '|' || request_id || '|' || line || '|'"
                         " || at_ms || '|' || kind || '|' || text, ';') FROM logs"),
              "3|rid-3|0|2500|start|START RequestId: rid-3;3|rid-3|1|2540|output|handled\t10");
    CHECK_STR(q_text(db, "SELECT handler || '|' || reproducible FROM runs"), "0|1");
    /* deliveries, checkpoints */
    CHECK_INT(q_int(db, "SELECT count(*) FROM deliveries WHERE run_id = 1 AND invocation_id = 3"), 2);
    CHECK_INT(q_int(db, "SELECT sum(sequence_number) FROM deliveries"), 21);
    CHECK_INT(q_int(db, "SELECT sequence_number FROM deliveries WHERE handled = 1"), 10);
    CHECK_STR(q_text(db, "SELECT shard_id || '|' || at_ms || '|' || sequence_number || '|' || reason"
                         " FROM checkpoints"), "shardId-000000000001|2541|12|discarded");
    /* discards: the AWS invocation record as awsjson builds it */
    CHECK_INT(q_int(db, "SELECT count(*) FROM discards"), 2);
    struct slog_discard d = test_discard("arn:aws:sqs:us-east-1:123456789012:dlq");
    char *want = awsjson_invocation_record(&d);
    CHECK_STR(q_text(db, "SELECT invocation_record FROM discards WHERE condition = 'RetryAttemptsExhausted'"),
              want);
    free(want);
    CHECK_STR(q_text(db, "SELECT at_ms || '|' || shard_id || '|' || start_sequence_number || '|'"
                         " || end_sequence_number || '|' || record_count || '|' || destination"
                         " FROM discards WHERE condition = 'RetryAttemptsExhausted'"),
              "829717|shardId-000000000001|10|12|3|arn:aws:sqs:us-east-1:123456789012:dlq");
    CHECK_INT(q_int(db, "SELECT destination IS NULL FROM discards WHERE condition = 'RecordAgeExceeded'"), 1);
    CHECK_INT(q_int(db, "SELECT instr(invocation_record, 'responseContext') FROM discards"
                        " WHERE condition = 'RecordAgeExceeded'"), 0);
    /* metrics */
    CHECK_INT(q_int(db, "SELECT count(*) FROM metrics WHERE at_ms = 60000"), 2);
    CHECK_STR(q_text(db, "SELECT value FROM metrics WHERE shard_id IS NULL AND name = 'IteratorAge'"),
              "540.5");
    CHECK_STR(q_text(db, "SELECT value FROM metrics WHERE shard_id = 'shardId-000000000001'"), "12.25");
    /* every table carries run_id; the indexes the reports need exist */
    CHECK_INT(q_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
                        " AND sql NOT LIKE '%run_id%'"), 0);
    CHECK_INT(q_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
                        " AND name IN ('message_rows_unwritten', 'invocations_by_shard')"), 2);
    sqlite3_close(db);
}

/*
 * Issue 13 item 4: the per-record tables are compact rows of integers
 * (WITHOUT ROWID, shard, key and producer ids, fate numbers), and the SPEC's
 * tables are views that show the names, readable and writable by ad-hoc SQL
 * as before.
 */
static void test_compact_rows(void)
{
    const char *path = path_in_dir("run.db");   /* test_full_run's */
    sqlite3 *db = db_open(path);
    CHECK_STR(q_text(db, "SELECT group_concat(name || ':' || type || ':' || wr, ' ') FROM"
                         " (SELECT * FROM pragma_table_list WHERE schema = 'main' AND name IN"
                         " ('messages', 'records', 'deliveries', 'message_rows', 'record_rows',"
                         " 'delivery_rows', 'shard_names', 'key_names') ORDER BY name)"),
              "deliveries:view:0 delivery_rows:table:1 key_names:table:1 message_rows:table:1"
              " messages:view:0 record_rows:table:1 records:view:0 shard_names:table:1");
    /* names once, ids in the rows: the first shard seen is 1 */
    CHECK_STR(q_text(db, "SELECT group_concat(shard_no || '=' || shard_id, ' ') FROM shard_names"),
              "1=shardId-000000000001");
    CHECK_STR(q_text(db, "SELECT group_concat(key_no || '=' || partition_key, ' ') FROM key_names"),
              "1=user-7");
    /* issue 13 item 4, schema 8: a record's message id is its difference
     * from the sequence number (message 77 of records 10 and 11), and its key
     * and size are its message's, not repeated */
    CHECK_STR(q_text(db, "SELECT group_concat(sequence_number || ':' || shard_no || ':'"
                         " || message_delta || ':' || typeof(shard_no), ' ') FROM record_rows"),
              "10:1:67:integer 11:1:66:integer");
    CHECK_STR(q_text(db, "SELECT group_concat(name, ' ') FROM pragma_table_info('record_rows')"),
              "run_id sequence_number shard_no message_delta arrival_ms key_gap");
    CHECK_STR(q_text(db, "SELECT producer_no || ':' || key_no || ':' || fate FROM message_rows"),
              "1:1:3");
    /* issue 13 item 4: a key's records are a chain (key_gap: the sequence
     * number less the key's record's before, NULL for its first; schema 8)
     * from its head (last_seq, the end of a complete run), not an index of
     * every record */
    CHECK_STR(q_text(db, "SELECT group_concat(sequence_number || ':' || coalesce(key_gap, '-'),"
                         " ' ') FROM record_rows"), "10:- 11:1");
    CHECK_STR(q_text(db, "SELECT group_concat(key_no || ':' || last_seq, ' ') FROM key_names"),
              "1:11");
    CHECK_INT(q_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'record_rows_by_key'"), 0);
    /* issue 13 item 4, schema 8: a delivery's invocation id times 2, plus 1
     * when handled (invocation 3 handled record 10, not 11) */
    CHECK_STR(q_text(db, "SELECT group_concat(shard_no || ':' || sequence_number || ':'"
                         " || invocation_handled, ' ') FROM delivery_rows"),
              "1:10:7 1:11:6");
    CHECK_STR(q_text(db, "SELECT group_concat(invocation_id || ':' || sequence_number || ':'"
                         " || handled, ' ') FROM deliveries"), "3:10:1 3:11:0");
    /* the views show the SPEC's columns */
    CHECK_STR(q_text(db, "SELECT group_concat(shard_id || ':' || partition_key, ' ') FROM records"),
              "shardId-000000000001:user-7 shardId-000000000001:user-7");
    CHECK_STR(q_text(db, "SELECT producer || ':' || partition_key || ':' || fate FROM messages"),
              "api:user-7:discarded");
    /* ad-hoc SQL writes through them: new names get the next ids, a fate
     * its number (one esmsim does not know stays a text) */
    CHECK_INT(sqlite3_exec(db, "INSERT INTO messages (run_id, message_id, producer, partition_key,"
                           " created_ms, bytes, fate) VALUES (1, 78, 'api', 'user-8', 5, 9,"
                           " 'missed'), (1, 79, 'p2', 'user-7', 6, 9, 'odd')", NULL, NULL, NULL),
              SQLITE_OK);
    CHECK_INT(q_int(db, "SELECT count(*) FROM message_rows"), 3);
    CHECK_STR(q_text(db, "SELECT group_concat(message_id || ':' || producer_no || ':' || key_no"
                         " || ':' || fate, ' ') FROM message_rows WHERE message_id > 77"),
              "78:1:2:5 79:2:1:odd");
    CHECK_STR(q_text(db, "SELECT group_concat(fate, ' ') FROM messages WHERE message_id > 77"),
              "missed odd");
    CHECK_INT(sqlite3_exec(db, "INSERT INTO records VALUES (1, 'shardId-000000000009', 12, 78,"
                           " 'user-8', 7, 9)", NULL, NULL, NULL), SQLITE_OK);
    CHECK_INT(q_int(db, "SELECT shard_no FROM record_rows WHERE sequence_number = 12"), 2);
    /* a record written through the view breaks the run's chains: no head
     * left, so trace reads every record of the run (issue 13 item 4) */
    CHECK_INT(q_int(db, "SELECT count(*) FROM key_names WHERE last_seq IS NOT NULL"), 0);
    CHECK_INT(q_int(db, "SELECT key_gap IS NULL FROM record_rows WHERE sequence_number = 12"), 1);
    CHECK_INT(q_int(db, "SELECT message_delta FROM record_rows WHERE sequence_number = 12"), 66);
    /* a message that may have no record (rejected, pending) is found by its
     * key in message_rows_unwritten, which holds only those */
    CHECK_INT(sqlite3_exec(db, "INSERT INTO messages (run_id, message_id, producer, partition_key,"
                           " created_ms, bytes, fate) VALUES (1, 80, 'api', 'user-8', 5, 9,"
                           " 'rejected')", NULL, NULL, NULL), SQLITE_OK);
    CHECK_STR(q_text(db, "SELECT group_concat(message_id, ' ') FROM message_rows INDEXED BY"
                         " message_rows_unwritten WHERE run_id = 1 AND key_no = 2"
                         " AND fate IN (1, 6)"), "80");
    CHECK_INT(sqlite3_exec(db, "UPDATE deliveries SET handled = 1 WHERE sequence_number = 11",
                           NULL, NULL, NULL), SQLITE_OK);
    CHECK_INT(q_int(db, "SELECT sum(invocation_handled & 1) FROM delivery_rows"), 2);
    CHECK_STR(q_text(db, "SELECT group_concat(invocation_handled, ' ') FROM delivery_rows"),
              "7 7");
    /* a delivery written without handled is one not handled */
    CHECK_INT(sqlite3_exec(db, "INSERT INTO deliveries (run_id, invocation_id, shard_id,"
                           " sequence_number) VALUES (1, 4, 'shardId-000000000001', 10)",
                           NULL, NULL, NULL), SQLITE_OK);
    CHECK_STR(q_text(db, "SELECT group_concat(invocation_id || ':' || handled, ' ') FROM"
                         " deliveries WHERE sequence_number = 10"), "3:1 4:0");
    CHECK_INT(sqlite3_exec(db, "DELETE FROM deliveries WHERE invocation_id = 4", NULL, NULL,
                           NULL), SQLITE_OK);
    CHECK_INT(q_int(db, "SELECT count(*) FROM delivery_rows"), 2);
    CHECK_INT(sqlite3_exec(db, "DELETE FROM records WHERE sequence_number = 12", NULL, NULL, NULL),
              SQLITE_OK);
    CHECK_INT(q_int(db, "SELECT count(*) FROM record_rows"), 2);
    CHECK_INT(sqlite3_exec(db, "DELETE FROM messages WHERE message_id > 77", NULL, NULL, NULL),
              SQLITE_OK);
    CHECK_INT(q_int(db, "SELECT count(*) FROM message_rows"), 1);
    sqlite3_close(db);
}

/*
 * Issue 13 item 4, schema 8: records of messages 5 (records 1 and 3), 6
 * (record 2, settled: its row) and 7 (record 4), keys k-a and k-b; messages 5
 * and 7 still in flight when the run stops.
 */
static void write_unsettled_run(struct slog log)
{
    const struct slog_ops *o = log.ops;
    static const struct { uint64_t seq, msg; uint32_t key_id; const char *key; uint32_t bytes; }
    recs[] = { { 1, 5, 0, "k-a", 100 }, { 2, 6, 1, "k-b", 120 }, { 3, 5, 0, "k-a", 100 },
               { 4, 7, 0, "k-a", 100 } };
    for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) {
        struct slog_record r = { .shard_id = "shardId-000000000000",
            .sequence_number = recs[i].seq, .message_id = recs[i].msg,
            .partition_key = recs[i].key, .key_id = recs[i].key_id,
            .arrival_us = (int64_t)recs[i].seq * 1000, .bytes = recs[i].bytes };
        o->record(log.ctx, &r);
    }
    struct slog_message m = { .message_id = 6, .producer = "api", .partition_key = "k-b",
                              .key_id = 1, .created_us = 1000, .bytes = 120,
                              .fate = FATE_PROCESSED };
    o->message(log.ctx, &m);
}

/*
 * Issue 13 item 4, schema 8: a record's message id is stored as its
 * difference from the sequence number and its key chain as a gap, and its
 * key and size are its message's, which the records view adds back: a run
 * stopped early writes its messages in flight as rows without a fate (not
 * messages: the view leaves them out) so that their records keep key and
 * size; a killed run cannot, and its records of messages in flight have
 * none.  Ad-hoc SQL through the views keeps a record's key its message's.
 */
/* Issue 15 item 1: a run of an invocation's deliveries in one call is a row
 * per record, each with the run's handled flag. */
static void test_delivery_runs(void)
{
    const char *path = path_in_dir("runs.db");
    char err[256] = "";
    struct runlog *rl = open_run(path);
    if (!rl)
        return;
    struct slog log = runlog_sink(rl);
    log.ops->deliveries(log.ctx, 5, "shardId-000000000003", (const uint64_t[]){ 30, 31, 33 }, 3,
                        false);
    log.ops->deliveries(log.ctx, 5, "shardId-000000000003", (const uint64_t[]){ 34 }, 1, true);
    log.ops->deliveries(log.ctx, 6, "shardId-000000000004", (const uint64_t[]){ 7, 8, 9 }, 3,
                        true);
    CHECK_INT(runlog_end_run(rl, true, 1000, 0.1, NULL, err, sizeof err), 0);
    runlog_close(rl);
    sqlite3 *db = db_open(path);
    CHECK_STR(q_text(db, "SELECT group_concat(shard_no || ':' || sequence_number || ':'"
                         " || invocation_handled, ' ') FROM delivery_rows"),
              "1:30:10 1:31:10 1:33:10 1:34:11 2:7:13 2:8:13 2:9:13");
    CHECK_STR(q_text(db, "SELECT group_concat(invocation_id || ':' || shard_id || ':'"
                         " || sequence_number || ':' || handled, ' ') FROM deliveries"),
              "5:shardId-000000000003:30:0 5:shardId-000000000003:31:0"
              " 5:shardId-000000000003:33:0 5:shardId-000000000003:34:1"
              " 6:shardId-000000000004:7:1 6:shardId-000000000004:8:1"
              " 6:shardId-000000000004:9:1");
    sqlite3_close(db);
    remove_db(path);
}

/*
 * Shard and producer ids (issue 15, the run log's cost a row): found by the
 * name's address before its string is hashed, so the same address must
 * give a shard's id as a shard and a producer's as a producer, 100 names
 * (more than the cache holds) must each keep their own id, and a second
 * run's name at the address of the first run's gets its own row.
 */
static void test_named_ids(void)
{
    const char *path = path_in_dir("named.db");
    char err[256] = "";
    struct scenario scn = test_scenario();
    struct runlog *rl = open_run(path);
    if (!rl)
        return;
    static char names[100][24];
    for (int i = 0; i < 100; i++)
        snprintf(names[i], sizeof names[i], "shardId-%012d", i);
    struct slog log = runlog_sink(rl);
    for (uint64_t i = 0; i < 1000; i++) {
        const char *name = names[i * 37 % 100];
        struct slog_record r = { .shard_id = name, .sequence_number = i + 1, .message_id = i + 1,
                                 .bytes = 10 };
        log.ops->record(log.ctx, &r);
        struct slog_message m = { .message_id = i + 1, .producer = names[i % 3], .bytes = 10 };
        log.ops->message(log.ctx, &m);
    }
    CHECK_INT(runlog_end_run(rl, true, 1000, 0.1, NULL, err, sizeof err), 0);
    snprintf(names[0], sizeof names[0], "another");   /* the same address, another name */
    CHECK_INT(runlog_begin_run(rl, &scn, 1, true, NULL, err, sizeof err), 0);
    log = runlog_sink(rl);
    struct slog_record r = { .shard_id = names[37], .sequence_number = 1, .message_id = 1 };
    log.ops->record(log.ctx, &r);
    r = (struct slog_record){ .shard_id = names[0], .sequence_number = 2, .message_id = 2 };
    log.ops->record(log.ctx, &r);
    struct slog_message m = { .message_id = 1, .producer = names[0] };
    log.ops->message(log.ctx, &m);
    CHECK_INT(runlog_end_run(rl, true, 1000, 0.1, NULL, err, sizeof err), 0);
    runlog_close(rl);

    sqlite3 *db = db_open(path);
    /* each record's shard is its own name, each message's producer its own */
    CHECK_INT(q_int(db, "SELECT count(*) FROM records WHERE run_id = 1 AND shard_id ="
                        " printf('shardId-%012d', (sequence_number - 1) * 37 % 100)"), 1000);
    CHECK_INT(q_int(db, "SELECT count(*) FROM shard_names WHERE run_id = 1"), 100);
    CHECK_INT(q_int(db, "SELECT count(*) FROM messages WHERE run_id = 1 AND producer ="
                        " printf('shardId-%012d', (message_id - 1) % 3)"), 1000);
    CHECK_STR(q_text(db, "SELECT group_concat(producer_no || ':' || producer, ' ') FROM"
                         " producer_names WHERE run_id = 1"),
              "1:shardId-000000000000 2:shardId-000000000001 3:shardId-000000000002");
    CHECK_STR(q_text(db, "SELECT group_concat(sequence_number || ':' || shard_id, ' ') FROM records"
                         " WHERE run_id = 2"), "1:shardId-000000000037 2:another");
    CHECK_STR(q_text(db, "SELECT group_concat(producer_no || ':' || producer, ' ') FROM"
                         " producer_names WHERE run_id = 2"), "1:another");
    sqlite3_close(db);
    remove_db(path);
}

static void test_record_key_of_message(void)
{
    const char *path = path_in_dir("unsettled.db");
    char err[256] = "";
    struct runlog *rl = open_run(path);
    if (!rl)
        return;
    write_unsettled_run(runlog_sink(rl));
    CHECK_INT(runlog_end_run(rl, false, 5000, 0.1, NULL, err, sizeof err), 0);   /* stopped */
    /* killed: committed by the wall-time bound, never ended */
    int64_t run_id = 0;
    struct scenario scn = test_scenario();
    CHECK_INT(runlog_begin_run(rl, &scn, 1, true, &run_id, err, sizeof err), 0);
    struct slog log = runlog_sink(rl);
    write_unsettled_run(log);
    sleep_past_commit_ms();
    log.ops->sync(log.ctx, 5000000);
    runlog_close(rl);

    sqlite3 *db = db_open(path);
    const char *rows = "SELECT group_concat(sequence_number || ':' || message_delta || ':'"
                       " || coalesce(key_gap, '-'), ' ') FROM record_rows WHERE run_id = %d";
    char sql[256];
    for (int run = 1; run <= 2; run++) {
        snprintf(sql, sizeof sql, rows, run);
        CHECK_STR(q_text(db, sql), "1:4:- 2:4:- 3:2:2 4:3:1");
    }
    /* stopped: the view gives every record its message id, key and size */
    CHECK_STR(q_text(db, "SELECT group_concat(sequence_number || ':' || message_id || ':'"
                         " || partition_key || ':' || bytes || ':' || arrival_ms, ' ')"
                         " FROM records WHERE run_id = 1"),
              "1:5:k-a:100:1 2:6:k-b:120:2 3:5:k-a:100:3 4:7:k-a:100:4");
    CHECK_STR(q_text(db, "SELECT group_concat(message_id || ':' || coalesce(fate, '-') || ':'"
                         " || key_no || ':' || bytes || ':' || coalesce(producer_no, '-'), ' ')"
                         " FROM message_rows WHERE run_id = 1"), "5:-:1:100:- 6:0:2:120:1 7:-:1:100:-");
    CHECK_STR(q_text(db, "SELECT group_concat(message_id || ':' || fate, ' ') FROM messages"
                         " WHERE run_id = 1"), "6:processed");
    /* killed: no row for messages 5 and 7, so their records have no key */
    CHECK_STR(q_text(db, "SELECT group_concat(sequence_number || ':' || message_id || ':'"
                         " || coalesce(partition_key, '-') || ':' || coalesce(bytes, '-'), ' ')"
                         " FROM records WHERE run_id = 2"),
              "1:5:-:- 2:6:k-b:120 3:5:-:- 4:7:-:-");
    /* ad-hoc SQL: a record of a message without a row keeps its key and size
     * in a row without a fate, which the message replaces; a record whose
     * key or size is not its message's is refused */
    CHECK_INT(sqlite3_exec(db, "INSERT INTO records VALUES (2, 'shardId-000000000000', 9, 8,"
                           " 'k-c', 7, 30)", NULL, NULL, NULL), SQLITE_OK);
    CHECK_STR(q_text(db, "SELECT partition_key || ':' || bytes || ':' || message_id FROM records"
                         " WHERE run_id = 2 AND sequence_number = 9"), "k-c:30:8");
    CHECK_INT(q_int(db, "SELECT count(*) FROM messages WHERE run_id = 2 AND message_id = 8"), 0);
    CHECK_INT(sqlite3_exec(db, "INSERT INTO messages VALUES (2, 8, 'api', 'k-c', 6, 30,"
                           " 'processed')", NULL, NULL, NULL), SQLITE_OK);
    CHECK_STR(q_text(db, "SELECT producer || ':' || fate FROM messages WHERE run_id = 2"
                         " AND message_id = 8"), "api:processed");
    CHECK_INT(sqlite3_exec(db, "INSERT INTO records VALUES (2, 'shardId-000000000000', 10, 8,"
                           " 'k-a', 7, 30)", NULL, NULL, NULL), SQLITE_CONSTRAINT);
    CHECK_STR(sqlite3_errmsg(db), "records: a record's partition_key and bytes are its message's");
    CHECK_INT(q_int(db, "SELECT count(*) FROM record_rows WHERE run_id = 2"), 5);
    sqlite3_close(db);
    remove_db(path);
}

/* A second run in the same file: run_id 2, no per-record rows, and ended
 * incomplete (Ctrl-C). */
static void test_second_run(void)
{
    const char *path = path_in_dir("run.db");
    char err[256] = "";
    struct scenario scn = test_scenario();
    struct runlog *rl = runlog_open(path, err, sizeof err);
    CHECK(rl != NULL);
    if (!rl) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK_INT(q_int(runlog_db(rl), "PRAGMA synchronous"), 1);   /* an existing file: NORMAL */
    int64_t run_id = 0;
    CHECK_INT(runlog_begin_run(rl, &scn, UINT64_MAX, false, &run_id, err, sizeof err), 0);
    CHECK_INT(run_id, 2);
    struct slog log = runlog_sink(rl);
    CHECK(!log.per_record);
    write_small_run(log);   /* the core would not call message/record/delivery; if it did... */
    CHECK_INT(runlog_end_run(rl, false, 60000000, 0.25, NULL, err, sizeof err), 0);
    CHECK(runlog_end_run(rl, false, 0, 0, NULL, err, sizeof err) != 0);   /* no run open */
    CHECK_CONTAINS(err, "no run is open");
    runlog_close(rl);

    sqlite3 *db = db_open(path);
    CHECK_INT(q_int(db, "SELECT count(*) FROM runs"), 2);
    CHECK_INT(q_int(db, "SELECT complete FROM runs WHERE run_id = 1"), 1);
    CHECK_INT(q_int(db, "SELECT complete FROM runs WHERE run_id = 2"), 0);
    CHECK_INT(q_int(db, "SELECT per_record_tables FROM runs WHERE run_id = 2"), 0);
    CHECK_INT(q_int(db, "SELECT end_ms FROM runs WHERE run_id = 2"), 60000);
    CHECK_INT(q_int(db, "SELECT summary_json IS NULL FROM runs WHERE run_id = 2"), 1);
    CHECK_INT(q_int(db, "SELECT seed FROM runs WHERE run_id = 2"), -1);   /* 2^64-1 as a bit pattern */
    CHECK_INT(q_int(db, "SELECT count(*) FROM messages WHERE run_id = 2"), 0);
    CHECK_INT(q_int(db, "SELECT count(*) FROM records WHERE run_id = 2"), 0);
    CHECK_INT(q_int(db, "SELECT count(*) FROM deliveries WHERE run_id = 2"), 0);
    CHECK_INT(q_int(db, "SELECT count(*) FROM invocations WHERE run_id = 2"), 2);
    CHECK_INT(q_int(db, "SELECT count(*) FROM shards WHERE run_id = 2"), 2);
    CHECK_INT(q_int(db, "SELECT count(*) FROM discards WHERE run_id = 2"), 2);
    CHECK_INT(q_int(db, "SELECT count(*) FROM messages WHERE run_id = 1"), 1);
    sqlite3_close(db);
}

/*
 * SPEC 3 (a run is marked complete only once whole; a run log's file stands
 * alone): a complete run ends in two transactions, its rows' pages
 * checkpointed on a thread of their own while the indexes are built
 * (runlog_run.c): the thread is joined at the next run and at close, so that
 * two complete runs of one runlog are whole and the close, the last
 * connection, leaves no WAL beside the file.
 */
static void test_two_complete_runs(void)
{
    const char *path = path_in_dir("two.db");
    char err[256] = "";
    struct scenario scn = test_scenario();
    struct runlog *rl = open_run(path);
    if (!rl)
        return;
    write_small_run(runlog_sink(rl));
    CHECK_INT(runlog_end_run(rl, true, 7200000999, 1.5, NULL, err, sizeof err), 0);
    int64_t run_id = 0;
    CHECK_INT(runlog_begin_run(rl, &scn, 1, true, &run_id, err, sizeof err), 0);
    CHECK_INT(run_id, 2);
    write_small_run(runlog_sink(rl));
    CHECK_INT(runlog_end_run(rl, true, 7200000999, 1.5, NULL, err, sizeof err), 0);
    runlog_close(rl);
    struct stat st;
    CHECK(stat(path_in_dir("two.db-wal"), &st) != 0);
    sqlite3 *db = db_open(path);
    CHECK_STR(q_text(db, "PRAGMA integrity_check"), "ok");
    CHECK_INT(q_int(db, "SELECT count(*) FROM runs WHERE complete = 1 AND end_ms = 7200000"), 2);
    CHECK_INT(q_int(db, "SELECT count(DISTINCT run_id) FROM invocations"), 2);
    CHECK_INT(q_int(db, "SELECT count(*) FROM key_names WHERE last_seq IS NOT NULL"),
              2 * q_int(db, "SELECT count(*) FROM key_names WHERE run_id = 1"
                            " AND last_seq IS NOT NULL"));
    CHECK_INT(q_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
                        " AND name IN ('message_rows_unwritten', 'invocations_by_shard')"), 2);
    sqlite3_close(db);
    remove_db(path);
}

/*
 * Issue 11 items 14 and 16: a sync commits only when due
 * (RUNLOG_ROWS_PER_COMMIT rows or RUNLOG_COMMIT_MS): a writer of few rows
 * commits after RUNLOG_COMMIT_MS of wall time, with end_ms, so that it does
 * not hold the write lock for minutes; before that, another connection sees
 * nothing.  A run never ended stays complete = 0 with what its last commit
 * holds: later rows may stop inside an event, and are not kept.
 */
static void test_commit_on_time(void)
{
    const char *path = path_in_dir("slow.db");
    struct runlog *rl = open_run(path);
    if (!rl)
        return;
    struct slog log = runlog_sink(rl);
    write_small_run(log);
    log.ops->sync(log.ctx, 61000000);   /* a few rows, at once: no commit due */
    sqlite3 *db = db_open(path);
    CHECK_INT(q_int(db, "SELECT count(*) FROM invocations"), 0);
    CHECK_INT(q_int(db, "SELECT end_ms FROM runs"), -1);   /* NULL */
    sleep_past_commit_ms();
    log.ops->sync(log.ctx, 62000000);
    CHECK_INT(q_int(db, "SELECT count(*) FROM invocations"), 2);
    CHECK_INT(q_int(db, "SELECT end_ms FROM runs"), 62000);
    write_small_run(log);
    log.ops->sync(log.ctx, 63000000);
    runlog_close(rl);   /* without end_run */
    CHECK_INT(q_int(db, "SELECT complete FROM runs"), 0);
    CHECK_INT(q_int(db, "SELECT end_ms FROM runs"), 62000);
    CHECK_INT(q_int(db, "SELECT count(*) FROM invocations"), 2);
    sqlite3_close(db);
    remove_db(path);
}

/*
 * SPEC 3 (a row per invocation, checkpoint and metric sample; rows committed
 * at sync points only): these rows go in RUNLOG_BATCH at a time (runlog.c),
 * in the order given, so that rowids follow it: across full batches, a row
 * whose texts outgrow the batch's room (it goes in alone, after the rows
 * before it) and the rows of a batch not full, put in by the commit.  A
 * text of the sink lasts for the call only: the buffer is overwritten after
 * each call, and every row keeps its own.
 */
static void test_batched_rows(void)
{
    const char *path = path_in_dir("batched.db");
    struct runlog *rl = open_run(path);
    if (!rl)
        return;
    struct slog log = runlog_sink(rl);
    static char long_error[6000];
    memset(long_error, 'x', sizeof long_error - 1);
    char error[32], shard[32];
    for (int i = 1; i <= 70; i++) {   /* two batches and 6 rows */
        snprintf(error, sizeof error, "error %d", i);
        snprintf(shard, sizeof shard, "shardId-%012d", i % 3);
        struct slog_invocation inv = { .invocation_id = (uint64_t)i, .shard_id = shard,
            .lane = 0, .start_us = 1000 * i, .end_us = 1000 * i + 500, .record_count = 1,
            .outcome = OUTCOME_ERROR, .iterator_age_us = -1, .iterator_age_at_send_us = -1,
            .error = i == 40 ? long_error : i % 2 ? error : NULL };
        log.ops->invocation(log.ctx, &inv);
        log.ops->checkpoint(log.ctx, shard, 1000 * i, (uint64_t)i, CKPT_SUCCESS);
        log.ops->metric(log.ctx, 1000 * i, i % 2 ? "iterator_age_ms" : "concurrent_executions",
                        i % 2 ? shard : NULL, i + 0.5);
        memset(error, '?', sizeof error - 1);
        memset(shard, '?', sizeof shard - 1);
    }
    sqlite3 *db = db_open(path);
    CHECK_INT(q_int(db, "SELECT count(*) FROM invocations"), 0);   /* nothing committed yet */
    sleep_past_commit_ms();
    log.ops->sync(log.ctx, 71000);
    CHECK_INT(q_int(db, "SELECT end_ms FROM runs"), 71);
    CHECK_INT(q_int(db, "SELECT count(*) FROM invocations"), 70);
    CHECK_INT(q_int(db, "SELECT count(*) FROM invocations WHERE rowid != invocation_id"), 0);
    CHECK_INT(q_int(db, "SELECT count(*) FROM checkpoints WHERE rowid != sequence_number"), 0);
    CHECK_INT(q_int(db, "SELECT count(*) FROM metrics WHERE rowid != CAST(value AS INTEGER)"), 0);
    CHECK_STR(q_text(db, "SELECT error FROM invocations WHERE invocation_id = 69"), "error 69");
    CHECK_INT(q_int(db, "SELECT count(*) FROM invocations WHERE error IS NULL"), 34);
    CHECK_INT(q_int(db, "SELECT length(error) FROM invocations WHERE invocation_id = 40"), 5999);
    CHECK_STR(q_text(db, "SELECT shard_id FROM invocations WHERE invocation_id = 70"),
              "shardId-000000000001");
    CHECK_STR(q_text(db, "SELECT group_concat(shard_id || ' ' || reason, ',') FROM"
                         " (SELECT * FROM checkpoints WHERE rowid IN (32, 33) ORDER BY rowid)"),
              "shardId-000000000002 success,shardId-000000000000 success");
    CHECK_STR(q_text(db, "SELECT name || ' ' || coalesce(shard_id, '-') || ' ' || value FROM"
                         " metrics WHERE rowid = 65"), "iterator_age_ms shardId-000000000002 65.5");
    CHECK_STR(q_text(db, "SELECT name || ' ' || coalesce(shard_id, '-') FROM metrics"
                         " WHERE rowid = 66"), "concurrent_executions -");
    sqlite3_close(db);
    char err[256] = "";
    CHECK_INT(runlog_end_run(rl, true, 71000, 0.1, NULL, err, sizeof err), 0);
    runlog_close(rl);
    remove_db(path);
}

/* ---- statement journals, counted by a VFS over the default one ---------- */

static sqlite3_vfs *real_vfs;
static int subjournal_opens;

static int counting_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags,
                         int *out_flags)
{
    (void)vfs;
    subjournal_opens += (flags & SQLITE_OPEN_SUBJOURNAL) != 0;
    return real_vfs->xOpen(real_vfs, name, f, flags, out_flags);
}

/* Every statement journal to a file from its first page on (no spill
 * threshold), through counting_open; before SQLite is initialised. */
static void count_statement_journals(void)
{
    static sqlite3_vfs counting;
    if (sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, 0) != SQLITE_OK || sqlite3_initialize()
        || !(real_vfs = sqlite3_vfs_find(NULL))) {
        fprintf(stderr, "cannot set up the counting VFS\n");
        exit(1);
    }
    counting = *real_vfs;
    counting.zName = "esmsim-counting";
    counting.xOpen = counting_open;
    sqlite3_vfs_register(&counting, 1);
}

/*
 * README (the run log, issue 15): the rows of invocations, checkpoints and
 * metrics go in RUNLOG_BATCH at a time with no statement journal (INSERT OR
 * FAIL: a failed insert rolls the whole transaction back), in a new file and
 * in one that has invocations_by_shard already (a second run), whose batches
 * change the index's pages of every shard: with the default ABORT, SQLite
 * copied those pages to a temporary file before each batch (262,660 writes
 * in 30 simulated minutes of the bench, tables off).
 */
static void test_no_statement_journal(void)
{
    const char *path = path_in_dir("journal.db");
    char err[256] = "";
    struct scenario scn = test_scenario();
    struct runlog *rl = runlog_open(path, err, sizeof err);
    CHECK(rl != NULL);
    if (!rl)
        return;
    for (int run = 1; run <= 2; run++) {
        const int before = subjournal_opens;
        CHECK_INT(runlog_begin_run(rl, &scn, 1, false, NULL, err, sizeof err), 0);
        struct slog log = runlog_sink(rl);
        char shard[32];
        for (int i = 1; i <= 3000; i++) {
            snprintf(shard, sizeof shard, "shardId-%012d", i % 16);
            struct slog_invocation inv = { .invocation_id = (uint64_t)i, .shard_id = shard,
                .start_us = 1000 * i, .end_us = 1000 * i + 500, .record_count = 1,
                .outcome = OUTCOME_SUCCESS, .iterator_age_us = -1,
                .iterator_age_at_send_us = -1 };
            log.ops->invocation(log.ctx, &inv);
            log.ops->checkpoint(log.ctx, shard, 1000 * i, (uint64_t)i, CKPT_SUCCESS);
            log.ops->metric(log.ctx, 1000 * i, "iterator_age_ms", shard, i);
        }
        CHECK_INT(subjournal_opens - before, 0);   /* the end's index build may keep one */
        CHECK_INT(runlog_end_run(rl, true, 3001000, 0.1, NULL, err, sizeof err), 0);
    }
    runlog_close(rl);
    sqlite3 *db = db_open(path);
    CHECK_INT(q_int(db, "SELECT count(*) FROM invocations WHERE run_id = 2"), 3000);
    CHECK_INT(q_int(db, "SELECT count(*) FROM invocations WHERE rowid - 3000 * (run_id - 1)"
                        " != invocation_id"), 0);
    CHECK_INT(q_int(db, "SELECT count(*) FROM checkpoints"), 6000);
    CHECK_INT(q_int(db, "SELECT count(*) FROM metrics"), 6000);
    CHECK_STR(q_text(db, "PRAGMA integrity_check"), "ok");
    sqlite3_close(db);
    remove_db(path);
}

/*
 * Another connection holds the write lock: opening waits the busy timeout
 * (ESMSIM_BUSY_TIMEOUT_MS, set short here), then says what happened; nothing
 * is written (issue 11 item 19, a locked database).
 */
static void test_locked(void)
{
    const char *path = path_in_dir("locked.db");
    char err[256] = "";
    struct runlog *a = open_run(path);
    if (!a)
        return;
    write_small_run(runlog_sink(a));   /* a transaction open: the lock is a's */
    setenv("ESMSIM_BUSY_TIMEOUT_MS", "200", 1);
    err[0] = 0;
    struct runlog *b = runlog_open(path, err, sizeof err);
    CHECK(b == NULL);
    CHECK_CONTAINS(err, "locked.db: begin transaction: database is locked (another process held"
                        " its write lock for more than 200 ms)");
    runlog_close(b);
    unsetenv("ESMSIM_BUSY_TIMEOUT_MS");
    runlog_close(a);
    remove_db(path);
}

/*
 * SIGKILL in the middle of a run: the file is still a valid database, the
 * run says complete = 0, and what is there is exactly what came before the
 * last sync that committed, whose time is end_ms (issue 11 item 14): here
 * one record per virtual millisecond, a sync after each.
 */
static void test_killed_process(void)
{
    const char *path = path_in_dir("sigkill.db");
    pid_t pid = fork();
    if (pid == 0) {
        char err[256];
        struct scenario scn = test_scenario();
        struct runlog *rl = runlog_open(path, err, sizeof err);
        if (!rl || runlog_begin_run(rl, &scn, 1, true, NULL, err, sizeof err) != 0)
            _exit(3);
        struct slog log = runlog_sink(rl);
        struct slog_record r = { .shard_id = "shardId-000000000000", .partition_key = "k",
                                 .bytes = 100 };
        for (uint64_t n = 1; !log.ops->failed(log.ctx); n++) {   /* until killed */
            r.sequence_number = n;
            r.arrival_us = (int64_t)n * 1000;
            log.ops->record(log.ctx, &r);
            log.ops->sync(log.ctx, r.arrival_us);
        }
        _exit(4);
    }
    CHECK(pid > 0);
    if (pid <= 0)
        return;
    /* Wait for a first commit to be visible, then kill. */
    long long rows = 0;
    for (int i = 0; i < 2000 && rows <= 0; i++) {
        struct timespec ms10 = { 0, 10000000 };
        nanosleep(&ms10, NULL);
        sqlite3 *db = NULL;
        if (access(path, F_OK) == 0
            && sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK
            && sqlite3_table_column_metadata(db, NULL, "records", NULL, NULL, NULL, NULL, NULL,
                                             NULL) == SQLITE_OK)   /* the tables exist */
            rows = q_int(db, "SELECT count(*) FROM records");
        sqlite3_close(db);
    }
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    sqlite3 *db = db_open(path);
    CHECK_STR(q_text(db, "PRAGMA integrity_check"), "ok");
    CHECK_INT(q_int(db, "SELECT count(*) FROM runs"), 1);
    CHECK_INT(q_int(db, "SELECT complete FROM runs"), 0);
    rows = q_int(db, "SELECT count(*) FROM records");
    CHECK(rows > 0);
    CHECK_INT(q_int(db, "SELECT end_ms FROM runs"), rows);
    CHECK_INT(q_int(db, "SELECT max(arrival_ms) FROM records"), rows);
    sqlite3_close(db);
    remove_db(path);
}

/* What a refused file must keep: its size, bytes (a hash), mtime, and
 * whether a -wal or -shm file is beside it. */
struct file_state {
    long long size, mtime_ns;
    uint64_t hash;
    bool wal, shm;
};

static struct file_state file_state(const char *path)
{
    struct file_state fs = { .size = -1 };
    struct stat st;
    char side[160];
    if (stat(path, &st) == 0) {
        fs.size = (long long)st.st_size;
        fs.mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    }
    FILE *f = fopen(path, "rb");
    fs.hash = UINT64_C(0xcbf29ce484222325);
    for (int c; f && (c = fgetc(f)) != EOF;)
        fs.hash = (fs.hash ^ (uint64_t)c) * UINT64_C(0x100000001b3);
    if (f)
        fclose(f);
    snprintf(side, sizeof side, "%s-wal", path);
    fs.wal = access(side, F_OK) == 0;
    snprintf(side, sizeof side, "%s-shm", path);
    fs.shm = access(side, F_OK) == 0;
    return fs;
}

static void check_unchanged(const char *path, struct file_state before)
{
    struct file_state after = file_state(path);
    CHECK_INT(after.size, before.size);
    CHECK_INT(after.hash, before.hash);
    CHECK_INT(after.mtime_ns, before.mtime_ns);
    CHECK_INT(after.wal, before.wal);
    CHECK_INT(after.shm, before.shm);
}

/*
 * Issue 11 item 12: a file runlog_open refuses (somebody else's database, a
 * run log of another schema version) is checked before anything changes:
 * same bytes, same mtime, same journal mode, no side files left.
 */
static void test_refused_unchanged(void)
{
    char err[256] = "";
    const char *other = path_in_dir("invoices.db");
    sqlite3 *db = NULL;
    sqlite3_open(other, &db);
    sqlite3_exec(db, "CREATE TABLE invoices (id INTEGER); INSERT INTO invoices VALUES (1)",
                 NULL, NULL, NULL);
    sqlite3_close(db);
    struct file_state before = file_state(other);
    struct timespec later = { 0, 20000000 };   /* a rewrite would show in the mtime */
    nanosleep(&later, NULL);
    CHECK(runlog_open(other, err, sizeof err) == NULL);
    CHECK_CONTAINS(err, "invoices.db: not an esmsim run log (a SQLite database with other tables)");
    check_unchanged(other, before);
    db = db_open(other);
    CHECK_STR(q_text(db, "PRAGMA journal_mode"), "delete");
    sqlite3_close(db);
    remove_db(other);

    /* a run log of schema version 2, taken out of WAL mode (as for a copy
     * on read-only media) */
    const char *old = path_in_dir("old.db");
    struct runlog *rl = runlog_open(old, err, sizeof err);
    CHECK(rl != NULL);
    runlog_close(rl);
    db = db_open(old);
    sqlite3_exec(db, "PRAGMA user_version = 2; PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
    sqlite3_close(db);
    before = file_state(old);
    CHECK(!before.wal && !before.shm);
    nanosleep(&later, NULL);
    err[0] = 0;
    CHECK(runlog_open(old, err, sizeof err) == NULL);
    CHECK_CONTAINS(err, "old.db: run log schema version 2, this esmsim writes version");
    check_unchanged(old, before);
    db = db_open(old);
    CHECK_STR(q_text(db, "PRAGMA journal_mode"), "delete");
    sqlite3_close(db);
    remove_db(old);
}

static void test_open_errors(void)
{
    char err[256] = "";
    /* an unwritable place */
    struct runlog *rl = runlog_open("/nonexistent-esmsim-dir/run.db", err, sizeof err);
    CHECK(rl == NULL);
    CHECK_CONTAINS(err, "/nonexistent-esmsim-dir/run.db: cannot write to its directory /nonexistent-esmsim-dir: ");
    CHECK_CONTAINS(err, "No such file or directory");

    /* a file that is not a database */
    const char *text = path_in_dir("notes.txt");
    FILE *f = fopen(text, "w");
    fputs("these are not the pages you are looking for, not a SQLite header at all\n", f);
    fclose(f);
    err[0] = 0;
    rl = runlog_open(text, err, sizeof err);
    CHECK(rl == NULL);
    CHECK_CONTAINS(err, "notes.txt: open: file is not a database");
    unlink(text);
    /* somebody else's database: test_refused_unchanged */
}

/*
 * A write failing in the middle of a run (here the file size limit stands
 * for a full disk): the failure is latched with the file and the step, every
 * later row is dropped, end_run reports it, and the file stays valid with the
 * run marked incomplete, holding exactly the rows up to end_ms, that of the
 * last commit (issue 11 item 14).
 */
static void test_write_failure(void)
{
    const char *path = path_in_dir("full.db");
    char err[256] = "";
    struct runlog *rl = open_run(path);
    if (!rl)
        return;
    struct slog log = runlog_sink(rl);

    /* 1,000 rows committed by the time bound first, then the disk fills */
    struct slog_record r = { .shard_id = "shardId-000000000000", .partition_key = "k",
                             .bytes = 100 };
    uint64_t n = 0;
    while (n < 1000) {
        r.sequence_number = ++n;
        r.arrival_us = (int64_t)n * 1000;
        log.ops->record(log.ctx, &r);
    }
    sleep_past_commit_ms();
    log.ops->sync(log.ctx, r.arrival_us);

    struct rlimit old, small;
    getrlimit(RLIMIT_FSIZE, &old);
    small = old;
    small.rlim_cur = 2u << 20;   /* 2 MiB */
    signal(SIGXFSZ, SIG_IGN);    /* a failed write(2), not a dead process */
    setrlimit(RLIMIT_FSIZE, &small);

    /* a new long key for every record (a new key id: a row of key_names
     * each): the disk fills within a few thousand rows, long before a commit
     * is due, even under the sanitizers (a key is stored once, in key_names,
     * and a record in some 20 bytes) */
    char key[600];
    r.partition_key = key;
    while (!log.ops->failed(log.ctx) && n < 10 * RUNLOG_ROWS_PER_COMMIT) {
        r.sequence_number = ++n;
        r.key_id = (uint32_t)n;
        r.arrival_us = (int64_t)n * 1000;
        snprintf(key, sizeof key, "%0100llu", (unsigned long long)n);
        log.ops->record(log.ctx, &r);
        log.ops->sync(log.ctx, r.arrival_us);
    }
    CHECK(log.ops->failed(log.ctx));
    /* the step that met the full disk: the commit, or an insert when SQLite
     * wrote pages out before it */
    const char *latched = runlog_error(rl) ? runlog_error(rl) : "";
    CHECK(strstr(latched, "full.db: commit: ") || strstr(latched, "full.db: insert into "));
    err[0] = 0;
    CHECK(runlog_end_run(rl, true, 1000, 0, NULL, err, sizeof err) != 0);
    CHECK(strstr(err, "full.db: commit: ") || strstr(err, "full.db: insert into "));
    runlog_close(rl);

    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_DFL);
    sqlite3 *db = db_open(path);
    CHECK_STR(q_text(db, "PRAGMA integrity_check"), "ok");
    CHECK_INT(q_int(db, "SELECT complete FROM runs"), 0);
    long long rows = q_int(db, "SELECT count(*) FROM records");
    CHECK_INT(rows, 1000);
    CHECK_INT(q_int(db, "SELECT end_ms FROM runs"), rows);
    CHECK_INT(q_int(db, "SELECT max(arrival_ms) FROM records"), rows);
    sqlite3_close(db);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/esmsim-runlog-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    count_statement_journals();
    test_full_run();
    test_compact_rows();
    test_record_key_of_message();
    test_delivery_runs();
    test_named_ids();
    test_second_run();
    test_two_complete_runs();
    test_commit_on_time();
    test_batched_rows();
    test_no_statement_journal();
    test_locked();
    test_killed_process();
    test_open_errors();
    test_refused_unchanged();
    test_write_failure();

    remove_db(path_in_dir("run.db"));
    remove_db(path_in_dir("full.db"));
    rmdir(dir);
    return check_done();
}
