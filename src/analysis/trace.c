/*
 * trace.c - `esmsim trace RUN.db --key KEY | --sequence N [--shard ID]
 * [--run ID]` (SPEC section 5, over the tables of section 3): the timeline
 * of one partition key, or of one record, told from the run log alone.
 * What it shows, and how each item is derived, is the README's `trace`
 * section; the rules it makes visible are R3/R10/R12 (per-key order), R4/R7
 * (checkpoints), R5 (attempts), R6 (discards), R8 (bisect depth), R17
 * (fates) and the producer retries of SPEC 1.3.
 *
 * Every step is SQL with the run id bound as ?1, the key as ?2, and in
 * --sequence mode the record's sequence number and shard as ?3 and ?4 (NULL
 * for a whole key).  The key's messages, records, deliveries, invocations
 * and the checkpoints of its shards are first copied into small TEMP tables
 * (records down the key's chain, messages by id and in
 * message_rows_unwritten, deliveries by sequence number: runlog.c), then
 * each kind of event is written into trace_line, which one ordered SELECT
 * prints.  The cost follows the key, not the run: a few lookups by primary
 * key per record and delivery of the key, the shards' invocations (by
 * invocations_by_shard) and one scan of checkpoints.  A run log without its
 * indexes and heads (a killed run) still works, more slowly: every record is
 * read for the key's, and SQLite builds automatic indexes for the joins.
 *
 * The order of the timeline: virtual time (ms); within one millisecond,
 * message lines, writes, discards, checkpoints, then deliveries (the engine
 * runs producer writes, then invocation completions, then polls and retries:
 * README "Model choices"); then by invocation id (the order of invoking),
 * sequence number and message id.
 */
#include "trace.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "fmt.h"
#include "logs.h"
#include "runread.h"

#define TRACE_WIDTH_MAX 40   /* a column's width: a longer (crafted) value is not padded for */

struct trace {
    struct runread rr;
    char *key;          /* the partition key traced (owned) */
    int64_t seq;        /* --sequence: the record traced; 0: the whole key */
    char *shard;        /* --sequence: the record's shard (owned); NULL: the whole key */
};

/* ---- SQL ------------------------------------------------------------------ */

/* sql prepared with its parameters bound: ?1 run id, ?2 key, ?3 and ?4
 * the record of --sequence (NULL for a whole key); NULL once anything has
 * failed. */
static sqlite3_stmt *tr_prepare(struct trace *t, const char *sql, const char *what)
{
    sqlite3_stmt *st = runread_prepare(&t->rr, sql, what);
    int n = st ? sqlite3_bind_parameter_count(st) : 0;
    if (n >= 2)
        sqlite3_bind_text(st, 2, t->key ? t->key : "", -1, SQLITE_STATIC);
    if (n >= 3 && t->seq)
        sqlite3_bind_int64(st, 3, t->seq);
    if (n >= 4 && t->shard)
        sqlite3_bind_text(st, 4, t->shard, -1, SQLITE_STATIC);
    return st;
}


/* A statement run for its effect (the TEMP tables). */
static void tr_exec(struct trace *t, const char *sql, const char *what)
{
    sqlite3_stmt *st = tr_prepare(t, sql, what);
    while (runread_row(&t->rr, st, what))
        ;
    sqlite3_finalize(st);
}

/* A copy of a text column, or NULL (latched out of memory). */
static char *tr_strdup(struct trace *t, sqlite3_stmt *st, int col)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    char *copy = strdup(s ? s : "");
    if (!copy)
        runread_failf(&t->rr, "out of memory");
    return copy;
}

/* ---- what can be traced ----------------------------------------------------- */

/* The run must have its per-record tables (not --no-record-tables). */
static void tr_check_per_record(struct trace *t)
{
    const char *what = "reading the runs row";
    sqlite3_stmt *st = tr_prepare(t, "SELECT coalesce(per_record_tables, 1) FROM runs"
                                     " WHERE run_id = ?1", what);
    if (runread_row(&t->rr, st, what) && sqlite3_column_int(st, 0) == 0)
        runread_failf(&t->rr, "run %" PRId64 " was written with --no-record-tables: it has no"
                      " messages, records or deliveries to trace", t->rr.run_id);
    sqlite3_finalize(st);
}

/* --sequence: find the record (sequence numbers are unique in the stream:
 * record_rows' primary key) and take its key and
 * shard; with --shard, the record must be on that shard. */
static void tr_find_record(struct trace *t, const char *want_shard)
{
    const char *what = "finding the record";
    sqlite3_stmt *st = tr_prepare(t, "SELECT partition_key, shard_id FROM records"
                                     " WHERE run_id = ?1 AND sequence_number = ?3", what);
    bool found = runread_row(&t->rr, st, what);
    if (found && sqlite3_column_type(st, 0) == SQLITE_NULL) {
        /* a record's key is its message's (runlog.c) */
        runread_failf(&t->rr, "run %" PRId64 ": the key of record %" PRId64 " is not in the"
                      " log (its message was in flight when the run was killed)",
                      t->rr.run_id, t->seq);
    } else if (found) {
        t->key = tr_strdup(t, st, 0);
        t->shard = tr_strdup(t, st, 1);
        char a[FMT_TEXT_MAX], b[FMT_TEXT_MAX];
        if (t->shard && want_shard && strcmp(t->shard, want_shard) != 0)
            runread_failf(&t->rr, "run %" PRId64 ": record %" PRId64 " is on %s, not on %s",
                          t->rr.run_id, t->seq, fmt_text(t->shard, a, sizeof a),
                          fmt_text(want_shard, b, sizeof b));
    } else {
        runread_failf(&t->rr, "run %" PRId64 " has no record with sequence number %" PRId64,
                      t->rr.run_id, t->seq);
    }
    sqlite3_finalize(st);
}

/* ---- the timeline -------------------------------------------------------------- */

/* A record's message id (record_rows r: its difference from the sequence
 * number added back), and its key, its message's (runlog.c). */
#define TRACE_REC_MSG "(r.sequence_number + r.message_delta)"
#define TRACE_REC_KEY "(SELECT key_no FROM message_rows WHERE run_id = ?1" \
    " AND message_id = " TRACE_REC_MSG ")"

/* The messages the timeline is about: all of the key's, or the message of
 * the record of --sequence. */
#define TRACE_SHOWN_MSG \
    "(?3 IS NULL OR message_id IN (SELECT message_id FROM trace_rec WHERE subject))"

/*
 * The TEMP tables, in order.  trace_rec.subject marks what the timeline is
 * about: every record of the key, or the record of --sequence (whose
 * message's other records, producer duplicates, are shown as writes).  The
 * rest of the key is context: per-key order is judged against all its
 * records.
 */
static const char *const trace_keyed_steps[][2] = {
    /* the key's records: its chain (record_rows.key_gap: the sequence number
     * less the key's record before) from its head down, each by primary
     * key, strictly down and on the key (its message's: so that a chain of
     * a log that does not add up ends); every record of the run read when
     * the key has no head (a run stopped early, or changed by ad-hoc SQL) */
    { "CREATE TEMP TABLE trace_key AS SELECT key_no AS no, last_seq AS head FROM key_names"
      " WHERE run_id = ?1 AND partition_key = ?2", "reading the key" },
    { "CREATE TEMP TABLE trace_seq AS WITH RECURSIVE chain (seq, prev) AS ("
      "  SELECT r.sequence_number, r.sequence_number - r.key_gap FROM trace_key k"
      "   JOIN record_rows r ON r.run_id = ?1 AND r.sequence_number = k.head"
      "   AND " TRACE_REC_KEY " = k.no"
      "  UNION ALL SELECT r.sequence_number, r.sequence_number - r.key_gap FROM chain c"
      "   JOIN record_rows r ON r.run_id = ?1 AND r.sequence_number = c.prev"
      "   AND " TRACE_REC_KEY " = (SELECT no FROM trace_key) WHERE c.prev < c.seq),"
      " keyed (seq) AS (SELECT seq FROM chain UNION ALL SELECT r.sequence_number"
      "  FROM trace_key k CROSS JOIN record_rows r ON r.run_id = ?1"
      "  AND " TRACE_REC_KEY " = k.no WHERE k.head IS NULL)"
      " SELECT seq FROM keyed", "reading the key's records" },
};

/* Then, those records' rows checked (tr_build), the rest. */
static const char *const trace_steps[][2] = {
    { "CREATE TEMP TABLE trace_rec (shard_id TEXT, seq INTEGER, message_id INTEGER,"
      " arrival_ms INTEGER, subject INTEGER, shard_no INTEGER, PRIMARY KEY (shard_id, seq))"
      " WITHOUT ROWID", "creating trace_rec" },
    { "INSERT INTO trace_rec SELECT s.shard_id, r.sequence_number, " TRACE_REC_MSG ", r.arrival_ms,"
      "  ?3 IS NULL OR (r.sequence_number = ?3 AND s.shard_id = ?4), r.shard_no"
      " FROM trace_seq x JOIN record_rows r ON r.run_id = ?1 AND r.sequence_number = x.seq"
      " LEFT JOIN shard_names s ON s.run_id = ?1 AND s.shard_no = r.shard_no",
      "reading the key's records" },
    { "CREATE INDEX temp.trace_rec_by_message ON trace_rec (message_id)", "indexing trace_rec" },
    /* the key's messages, ranked in producer order (created_ms, message_id:
     * the order of report's "producer order"): those of its records, by
     * primary key, and those that may have none (R17: rejected, or pending
     * with the producer at the end), in message_rows_unwritten */
    { "CREATE TEMP TABLE trace_msg (message_id INTEGER PRIMARY KEY, producer TEXT,"
      " created_ms INTEGER, fate TEXT, prank INTEGER)", "creating trace_msg" },
    { "INSERT INTO trace_msg (message_id, producer, created_ms, fate, prank)"
      " SELECT message_id, producer, created_ms, fate,"
      "  row_number() OVER (ORDER BY created_ms, message_id)"
      " FROM messages WHERE run_id = ?1 AND partition_key = ?2 AND message_id IN"
      "  (SELECT message_id FROM trace_rec UNION SELECT message_id FROM message_rows"
      "   WHERE +run_id = ?1 AND key_no = (SELECT no FROM trace_key) AND fate IN (1, 6))",
      "reading the key's messages" },
    { "CREATE INDEX temp.trace_msg_by_rank ON trace_msg (prank)", "indexing trace_msg" },
    /* its deliveries, and the invocations they were in, with those of the
     * discards on its shards (for their lanes) */
    { "CREATE TEMP TABLE trace_dlv (shard_id TEXT, seq INTEGER, invocation_id INTEGER,"
      " shard_no INTEGER, pos INTEGER, PRIMARY KEY (shard_id, seq, invocation_id)) WITHOUT ROWID",
      "creating trace_dlv" },
    { "INSERT INTO trace_dlv (shard_id, seq, invocation_id, shard_no)"
      " SELECT r.shard_id, d.sequence_number, d.invocation_handled >> 1, d.shard_no"
      " FROM trace_rec r CROSS JOIN delivery_rows d ON d.run_id = ?1 AND d.shard_no = r.shard_no"
      "  AND d.sequence_number = r.seq", "reading the key's deliveries" },
    { "CREATE INDEX temp.trace_dlv_by_inv ON trace_dlv (invocation_id)", "indexing trace_dlv" },
    { "CREATE TEMP TABLE trace_inv (invocation_id INTEGER PRIMARY KEY, shard_id TEXT,"
      " lane INTEGER, start_ms INTEGER, end_ms INTEGER, record_count INTEGER,"
      " first_seq INTEGER, last_seq INTEGER, attempt INTEGER, outcome TEXT)",
      "creating trace_inv" },
    /* outcome 'refused': an error that is Lambda refusing an event over
     * R2's 6 MB (RequestEntityTooLargeException, issue 11 item 2) */
    { "INSERT INTO trace_inv SELECT invocation_id, shard_id, lane, start_ms, end_ms,"
      "  record_count, first_sequence_number, last_sequence_number, attempt,"
      "  CASE WHEN outcome = 'error' AND payload_bytes > 6291456 THEN 'refused' ELSE outcome END"
      " FROM invocations WHERE run_id = ?1 AND shard_id IN (SELECT shard_id FROM trace_rec)"
      "  AND (invocation_id IN (SELECT invocation_id FROM trace_dlv)"
      "   OR invocation_id IN (SELECT invocation_id FROM discards WHERE run_id = ?1))",
      "reading the key's invocations" },
    /* the record's place in its batch.  A batch goes in sequence order, so
     * the place is the number of the invocation's deliveries of the shard
     * from the batch's first sequence number up to the record's (read in
     * delivery_rows' key, a range of the shard).  Checked: the record lies
     * in the batch's range and the place within its size; NULL otherwise
     * (a log whose rows do not add up). */
    { "UPDATE trace_dlv SET pos = (SELECT n FROM (SELECT count(*) AS n, i.record_count AS size"
      "  FROM trace_inv i JOIN delivery_rows d ON d.run_id = ?1"
      "   AND d.shard_no = trace_dlv.shard_no"
      "   AND d.sequence_number BETWEEN i.first_seq AND trace_dlv.seq"
      "   AND d.invocation_handled >> 1 = i.invocation_id"
      "  WHERE i.invocation_id = trace_dlv.invocation_id AND trace_dlv.seq <= i.last_seq)"
      "  WHERE n BETWEEN 1 AND size)",
      "placing the key's records in their batches" },
    /* per-key order (R10, R12), on first deliveries as the run's own check
     * does: before is the highest sequence number of the key delivered
     * earlier (invocation ids grow in the order of invoking; within one,
     * records go in sequence order) */
    { "CREATE TEMP TABLE trace_first (shard_id TEXT, seq INTEGER, first_inv INTEGER,"
      " before INTEGER, PRIMARY KEY (shard_id, seq)) WITHOUT ROWID", "creating trace_first" },
    { "INSERT INTO trace_first SELECT shard_id, seq, first_inv, max(seq) OVER (ORDER BY"
      "  first_inv, seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
      " FROM (SELECT shard_id, seq, min(invocation_id) AS first_inv FROM trace_dlv"
      "  GROUP BY shard_id, seq)", "finding first deliveries" },
    /* the checkpoints of the shards (rowid: the order they were written) */
    { "CREATE TEMP TABLE trace_ck (ord INTEGER PRIMARY KEY, shard_id TEXT, at_ms INTEGER,"
      " seq INTEGER, reason TEXT)", "creating trace_ck" },
    { "INSERT INTO trace_ck SELECT rowid, shard_id, at_ms, sequence_number, reason"
      " FROM checkpoints WHERE run_id = ?1"
      "  AND shard_id IN (SELECT shard_id FROM trace_rec WHERE subject)",
      "reading the checkpoints" },
    { "CREATE INDEX temp.trace_ck_by_seq ON trace_ck (shard_id, seq, at_ms, ord)",
      "indexing trace_ck" },

    /* The timeline.  rank orders events of the same millisecond: 0 message
     * without a record, 1 write, 2 discard, 3 checkpoint, 4 delivery.
     * after: the later item that went first (a message id for a write, a
     * sequence number for a delivery), NULL when in order. */
    { "CREATE TEMP TABLE trace_line (t_ms INTEGER, rank INTEGER, shard_id TEXT, seq INTEGER,"
      " invocation_id INTEGER, message_id INTEGER, producer TEXT, created_ms INTEGER,"
      " fate TEXT, write_no INTEGER, writes INTEGER, lane INTEGER, end_ms INTEGER,"
      " outcome TEXT, attempt INTEGER, pos INTEGER, batch INTEGER, depth INTEGER,"
      " reason TEXT, first_seq INTEGER, last_seq INTEGER, n INTEGER, condition TEXT,"
      " end_seq INTEGER, record_count INTEGER, invoke_count INTEGER, destination TEXT,"
      " after INTEGER)", "creating trace_line" },
    /* messages that no record of reached the stream (rejected, or still
     * with the producer at the end): only when tracing a whole key */
    { "INSERT INTO trace_line (t_ms, rank, message_id, producer, fate)"
      " SELECT created_ms, 0, message_id, producer, fate FROM trace_msg m WHERE ?3 IS NULL"
      "  AND NOT EXISTS (SELECT 1 FROM trace_rec r WHERE r.message_id = m.message_id)",
      "listing messages without records" },
    /* writes: the k-th record of its message, and the producer order at
     * write: a message created later already written before it */
    { "INSERT INTO trace_line (t_ms, rank, shard_id, seq, message_id, producer, created_ms,"
      "  fate, write_no, writes, after)"
      " SELECT w.arrival_ms, 1, w.shard_id, w.seq, w.message_id, w.producer, w.created_ms,"
      "  w.fate, w.write_no, w.writes, CASE WHEN w.before > w.prank THEN"
      "   (SELECT message_id FROM trace_msg WHERE prank = w.before) END"
      " FROM (SELECT r.shard_id, r.seq, r.message_id, r.arrival_ms, m.producer, m.created_ms,"
      "   m.fate, m.prank,"
      "   row_number() OVER (PARTITION BY r.message_id ORDER BY r.seq) AS write_no,"
      "   count(*) OVER (PARTITION BY r.message_id) AS writes,"
      "   max(m.prank) OVER (ORDER BY r.seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
      "    AS before"
      "  FROM trace_rec r LEFT JOIN trace_msg m ON m.message_id = r.message_id) w"
      " WHERE " TRACE_SHOWN_MSG, "listing writes" },
    /* deliveries, with the bisect depth: the splits (R8) the record's set
     * went through, each seen as a first attempt of fewer records than the
     * record's previous delivery.  An invocation still in flight when the
     * run ended has its deliveries but no invocations row (it is written
     * when the invocation completes): shown at the end of the run, outcome
     * NULL. */
    { "INSERT INTO trace_line (t_ms, rank, shard_id, seq, invocation_id, lane, end_ms,"
      "  outcome, attempt, pos, batch, depth, after)"
      " SELECT coalesce(x.start_ms, (SELECT coalesce(end_ms, duration_ms) FROM runs"
      "   WHERE run_id = ?1)), 4, x.shard_id, x.seq, x.invocation_id, x.lane, x.end_ms,"
      "  x.outcome, x.attempt, x.pos, x.record_count, x.depth,"
      "  CASE WHEN x.invocation_id = f.first_inv AND f.before > x.seq THEN f.before END"
      " FROM (SELECT *, sum(split) OVER (PARTITION BY shard_id, seq ORDER BY invocation_id)"
      "   AS depth"
      "  FROM (SELECT d.shard_id, d.seq, d.invocation_id, d.pos, i.lane, i.start_ms,"
      "    i.end_ms, i.outcome, i.attempt, i.record_count, i.attempt = 1 AND coalesce(lag("
      "     i.record_count) OVER (PARTITION BY d.shard_id, d.seq ORDER BY d.invocation_id),"
      "     0) > i.record_count AS split"
      "   FROM trace_dlv d LEFT JOIN trace_inv i ON i.invocation_id = d.invocation_id)) x"
      " JOIN trace_first f ON f.shard_id = x.shard_id AND f.seq = x.seq"
      " JOIN trace_rec r ON r.shard_id = x.shard_id AND r.seq = x.seq WHERE r.subject",
      "listing deliveries" },
    /* the checkpoint that passes each record: the first at or above its
     * sequence number (a shard's checkpoint only moves up) */
    { "INSERT INTO trace_line (t_ms, rank, shard_id, seq, reason, first_seq, last_seq, n)"
      " SELECT c.at_ms, 3, c.shard_id, c.seq, c.reason, min(p.seq), max(p.seq), count(*)"
      " FROM (SELECT r.seq, (SELECT c.ord FROM trace_ck c WHERE c.shard_id = r.shard_id"
      "   AND c.seq >= r.seq ORDER BY c.seq, c.at_ms, c.ord LIMIT 1) AS ord"
      "  FROM trace_rec r WHERE r.subject) p"
      " JOIN trace_ck c ON c.ord = p.ord GROUP BY c.ord", "listing checkpoints" },
    /* discards holding a record: by range, on the lane of the key when the
     * log tells both lanes (R10: the lane of discards.invocation_id).  A
     * lane's records in a message's range are all in it: its sets follow
     * one another in the lane's batch (R8 consolidation, issue 11 item 4),
     * and RecordAgeExceeded may discard a set never invoked. */
    { "INSERT INTO trace_line (t_ms, rank, shard_id, seq, end_seq, record_count, condition,"
      "  invocation_id, invoke_count, destination, first_seq, last_seq, n)"
      " SELECT d.at_ms, 2, d.shard_id, d.start_sequence_number, d.end_sequence_number,"
      "  d.record_count, d.condition, d.invocation_id, d.approximate_invoke_count,"
      "  d.destination, min(r.seq), max(r.seq), count(*)"
      " FROM discards d JOIN trace_rec r ON r.subject AND r.shard_id = d.shard_id"
      "  AND r.seq BETWEEN d.start_sequence_number AND d.end_sequence_number"
      " LEFT JOIN trace_inv i ON i.invocation_id = d.invocation_id"
      " WHERE d.run_id = ?1 AND (i.lane IS NULL OR coalesce((SELECT max(y.lane = i.lane)"
      "  FROM trace_dlv x JOIN trace_inv y ON y.invocation_id = x.invocation_id"
      "  WHERE x.shard_id = d.shard_id), 1))"
      " GROUP BY d.rowid", "listing discards" },
};

/* The columns of trace_line as the printing reads them, in this order. */
static const char trace_lines_sql[] =
    "SELECT t_ms, rank, shard_id, seq, invocation_id, message_id, producer, created_ms, fate,"
    " write_no, writes, lane, end_ms, outcome, attempt, pos, batch, depth, reason, first_seq,"
    " last_seq, n, condition, end_seq, record_count, invoke_count, destination, after"
    " FROM trace_line ORDER BY t_ms, rank, invocation_id, seq, message_id";
enum {
    L_T, L_RANK, L_SHARD, L_SEQ, L_INV, L_MSG, L_PRODUCER, L_CREATED, L_FATE,
    L_WRITE_NO, L_WRITES, L_LANE, L_END, L_OUTCOME, L_ATTEMPT, L_POS, L_BATCH, L_DEPTH,
    L_REASON, L_FIRST, L_LAST, L_N, L_CONDITION, L_END_SEQ, L_RECORDS, L_INVOKES, L_DEST,
    L_AFTER
};
enum { RANK_MESSAGE, RANK_WRITE, RANK_DISCARD, RANK_CHECKPOINT, RANK_DELIVERY };
static const char *const trace_event_names[] = {
    [RANK_MESSAGE] = "message", [RANK_WRITE] = "write", [RANK_DISCARD] = "discard",
    [RANK_CHECKPOINT] = "checkpoint", [RANK_DELIVERY] = "deliver",
};

/* ---- printing --------------------------------------------------------------- */


static int64_t col_int(sqlite3_stmt *st, int col)
{
    return sqlite3_column_int64(st, col);
}

/* A text column made safe to print in buf (the run log is untrusted). */
static const char *col_text(sqlite3_stmt *st, int col, char buf[FMT_TEXT_MAX])
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    return fmt_text(s ? s : "?", buf, FMT_TEXT_MAX);
}

/* Column widths of the timeline, from its rows. */
struct widths {
    int clock;          /* the longest time, "600.042" */
    int time, shard, seq, inv, batch;   /* columns, at least as wide as their headings */
};

static void tr_widths(struct trace *t, struct widths *w)
{
    static const char sql[] =
        "SELECT max(length(max(t_ms, coalesce(end_ms, 0)) / 1000)) + 4, max(length(shard_id)),"
        " max(length(seq)), max(length(invocation_id)), max(length(batch)) FROM trace_line";
    const char *what = "measuring the timeline";
    *w = (struct widths){ 0 };
    sqlite3_stmt *st = tr_prepare(t, sql, what);
    if (runread_row(&t->rr, st, what)) {
        w->clock = w->time = sqlite3_column_int(st, 0);
        w->shard = sqlite3_column_int(st, 1);
        w->seq = sqlite3_column_int(st, 2);
        w->inv = sqlite3_column_int(st, 3);
        w->batch = sqlite3_column_int(st, 4);
    }
    sqlite3_finalize(st);
    /* no wider than TRACE_WIDTH_MAX: a crafted value does not pad every line */
    int *cols[] = { &w->clock, &w->time, &w->shard, &w->seq, &w->inv, &w->batch };
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        *cols[i] = *cols[i] > TRACE_WIDTH_MAX ? TRACE_WIDTH_MAX : *cols[i];
    /* at least as wide as the headings */
    if (w->time < 8)
        w->time = 8;
    if (w->shard < 5)
        w->shard = 5;
    if (w->seq < 3)
        w->seq = 3;
}

/* The detail of one timeline row, after its common columns. */
static void print_detail(FILE *out, sqlite3_stmt *st, const struct widths *w)
{
    char a[32], b[FMT_TEXT_MAX], c[FMT_TEXT_MAX];
    int64_t late;
    switch (col_int(st, L_RANK)) {
    case RANK_MESSAGE:
        fprintf(out, "message %" PRId64 " (%s) created: no record reached the stream, fate %s",
                col_int(st, L_MSG), col_text(st, L_PRODUCER, b), col_text(st, L_FATE, c));
        break;
    case RANK_WRITE:
        if (sqlite3_column_type(st, L_CREATED) == SQLITE_NULL) {
            fprintf(out, "message %" PRId64 " (not in the messages table)", col_int(st, L_MSG));
        } else {
            fprintf(out, "message %" PRId64 " (%s) created %s", col_int(st, L_MSG),
                    col_text(st, L_PRODUCER, b), fmt_seconds(col_int(st, L_CREATED), a));
            if (!__builtin_sub_overflow(col_int(st, L_T), col_int(st, L_CREATED), &late))
                fprintf(out, " (+%" PRId64 " ms)", late);
            if (col_int(st, L_WRITES) > 1)
                fprintf(out, ", write %" PRId64 " of %" PRId64, col_int(st, L_WRITE_NO),
                        col_int(st, L_WRITES));
            fprintf(out, ", fate %s", col_text(st, L_FATE, b));
        }
        if (sqlite3_column_type(st, L_AFTER) != SQLITE_NULL)
            fprintf(out, "  ! after message %" PRId64 ", created later", col_int(st, L_AFTER));
        break;
    case RANK_DISCARD: {
        int64_t records = col_int(st, L_RECORDS);
        fprintf(out, "%s: %" PRId64 "-%" PRId64 " (%" PRId64 " record%s), invoked %" PRId64
                " time%s, ", col_text(st, L_CONDITION, b), col_int(st, L_SEQ),
                col_int(st, L_END_SEQ), records, records == 1 ? "" : "s",
                col_int(st, L_INVOKES), col_int(st, L_INVOKES) == 1 ? "" : "s");
        if (sqlite3_column_type(st, L_DEST) == SQLITE_NULL)
            fputs("dropped (no OnFailure destination)", out);
        else
            fprintf(out, "sent to %s", col_text(st, L_DEST, b));
        break;
    }
    case RANK_CHECKPOINT:
        if (col_int(st, L_N) == 1)
            fprintf(out, "%s, passes %" PRId64, col_text(st, L_REASON, b), col_int(st, L_FIRST));
        else
            fprintf(out, "%s, passes %" PRId64 "-%" PRId64 " (%" PRId64 " records of the key)",
                    col_text(st, L_REASON, b), col_int(st, L_FIRST), col_int(st, L_LAST),
                    col_int(st, L_N));
        break;
    case RANK_DELIVERY:
        if (sqlite3_column_type(st, L_OUTCOME) == SQLITE_NULL)
            fprintf(out, "invocation %-*" PRId64 "  in flight when the run ended (no invocations"
                    " row)", w->inv, col_int(st, L_INV));
        else
            fprintf(out, "invocation %-*" PRId64 "  lane %" PRId64 "  ends %*s  %-7s  attempt %"
                    PRId64 "  record %*s/%-*" PRId64 "  depth %" PRId64,
                    w->inv, col_int(st, L_INV), col_int(st, L_LANE),
                    w->clock, fmt_seconds(col_int(st, L_END), a), col_text(st, L_OUTCOME, b),
                    col_int(st, L_ATTEMPT), w->batch, col_text(st, L_POS, c), w->batch,
                    col_int(st, L_BATCH), col_int(st, L_DEPTH));
        if (sqlite3_column_type(st, L_AFTER) != SQLITE_NULL)
            fprintf(out, "  ! first delivered after %" PRId64, col_int(st, L_AFTER));
        break;
    }
}

/* One count per fate of the messages shown, in the order of precedence. */
static void print_fates(struct trace *t, FILE *out)
{
    static const char sql[] =
        "SELECT fate, count(*) FROM trace_msg WHERE " TRACE_SHOWN_MSG " GROUP BY fate"
        " ORDER BY CASE fate"
        " WHEN 'processed' THEN 0 WHEN 'pending' THEN 1 WHEN 'lost' THEN 2"
        " WHEN 'discarded' THEN 3 WHEN 'expired' THEN 4 WHEN 'missed' THEN 5"
        " WHEN 'rejected' THEN 6 ELSE 7 END, fate";
    const char *what = "counting fates";
    char b[FMT_TEXT_MAX];
    sqlite3_stmt *st = tr_prepare(t, sql, what);
    while (runread_row(&t->rr, st, what))
        fprintf(out, "  %s %" PRId64, col_text(st, 0, b), col_int(st, 1));
    sqlite3_finalize(st);
}

/* The heading: what is traced, and its counts. */
static void print_head(struct trace *t, FILE *out)
{
    static const char sql[] =
        "SELECT (SELECT count(*) FROM trace_msg WHERE " TRACE_SHOWN_MSG "),"
        " (SELECT count(*) FROM trace_line WHERE rank = 1),"
        " (SELECT group_concat(shard_id, ', ') FROM"
        "  (SELECT DISTINCT shard_id FROM trace_line WHERE rank = 1 ORDER BY shard_id)),"
        " (SELECT count(*) FROM trace_line WHERE rank = 4),"
        " (SELECT count(DISTINCT invocation_id) FROM trace_line WHERE rank = 4),"
        " (SELECT count(DISTINCT invocation_id) FROM trace_line"
        "  WHERE rank = 4 AND outcome <> 'success'),"
        " (SELECT count(DISTINCT invocation_id) FROM trace_line"
        "  WHERE rank = 4 AND outcome IS NULL),"
        " (SELECT count(*) FROM trace_line WHERE rank = 2),"
        " (SELECT count(*) FROM trace_line WHERE rank = 4 AND after IS NOT NULL),"
        " (SELECT count(*) FROM trace_line WHERE rank = 1 AND after IS NOT NULL)";
    const char *what = "counting the timeline";
    char a[FMT_TEXT_MAX], b[FMT_TEXT_MAX];
    if (t->shard)
        fprintf(out, "trace of record %" PRId64 " of %s, partition key \"%s\"", t->seq,
                fmt_text(t->shard, a, sizeof a), fmt_text(t->key, b, sizeof b));
    else
        fprintf(out, "trace of partition key \"%s\"", fmt_text(t->key, b, sizeof b));
    fprintf(out, ": run %" PRId64 " of %s (%s)%s\n\n", t->rr.run_id, t->rr.path, t->rr.scenario,
            t->rr.complete ? "" : " [INCOMPLETE]");
    sqlite3_stmt *st = tr_prepare(t, sql, what);
    if (runread_row(&t->rr, st, what)) {
        fprintf(out, "messages    %8" PRId64 " ", col_int(st, 0));
        print_fates(t, out);
        fprintf(out, "\nwrites      %8" PRId64 "   to the stream%s%s\n", col_int(st, 1),
                col_int(st, 1) ? ", on " : "", col_int(st, 1) ? col_text(st, 2, a) : "");
        fprintf(out, "deliveries  %8" PRId64 "   in %" PRId64 " invocations, %" PRId64
                " not a success", col_int(st, 3), col_int(st, 4), col_int(st, 5));
        if (col_int(st, 6))
            fprintf(out, ", %" PRId64 " in flight when the run ended", col_int(st, 6));
        fprintf(out, "\ndiscards    %8" PRId64 "\n", col_int(st, 7));
        fprintf(out, "order       %8" PRId64 "   first deliveries after a later record of the"
                " key (marked !)\n", col_int(st, 8));
        fprintf(out, "            %8" PRId64 "   writes after a message of the key created"
                " later (marked !)\n", col_int(st, 9));
    }
    sqlite3_finalize(st);
}

static void print_timeline(struct trace *t, FILE *out)
{
    struct widths w;
    tr_widths(t, &w);
    print_head(t, out);
    fprintf(out, "\n  %*s  %-10s  %-*s  %*s  %s\n", w.time, "time (s)", "event", w.shard, "shard",
            w.seq, "seq", "detail");
    const char *what = "reading the timeline";
    sqlite3_stmt *st = tr_prepare(t, trace_lines_sql, what);
    while (runread_row(&t->rr, st, what)) {
        char a[32], b[FMT_TEXT_MAX], c[FMT_TEXT_MAX];
        int64_t rank = col_int(st, L_RANK);
        bool broken = sqlite3_column_type(st, L_AFTER) != SQLITE_NULL;
        fprintf(out, "%c %*s  %-10s  %-*s  %*s  ", broken ? '!' : ' ', w.time,
                fmt_seconds(col_int(st, L_T), a), trace_event_names[rank], w.shard,
                rank == RANK_MESSAGE ? "-" : col_text(st, L_SHARD, b), w.seq,
                rank == RANK_MESSAGE ? "-" : col_text(st, L_SEQ, c));
        print_detail(out, st, &w);
        fputc('\n', out);
    }
    sqlite3_finalize(st);
    /* SPEC section 4: what a real handler printed in the invocations above */
    logs_print(&t->rr, "SELECT invocation_id FROM trace_line WHERE rank = 4",
               "\nlog lines of these invocations (esmsim logs):\n\n", out);
}

/* Build the timeline; fails (exit 2) when the key has no message or record. */
static void tr_build(struct trace *t)
{
    /* the rows the timeline is made of, found as the steps find them (by
     * primary key; the shards' invocations by invocations_by_shard; one scan
     * of checkpoints and of discards): a number edited into a text would
     * break the key's chain, leave a row out of a join or show as 0, unseen */
    static const struct runread_rows keyed[] = {
        { "key_names", "key_no IN (SELECT no FROM temp.trace_key)" },
        { "record_rows", "sequence_number IN (SELECT seq FROM temp.trace_seq)" },
        { NULL, NULL }
    }, rows[] = {
        { "message_rows", "message_id IN (SELECT message_id FROM temp.trace_rec"
                          " UNION SELECT message_id FROM temp.trace_msg)" },
        { "delivery_rows", "shard_no IN (SELECT shard_no FROM temp.trace_rec)"
                           " AND sequence_number IN (SELECT seq FROM temp.trace_rec)" },
        { "invocations", "shard_id IN (SELECT shard_id FROM temp.trace_rec)" },
        { "checkpoints", "shard_id IN (SELECT shard_id FROM temp.trace_rec WHERE subject)" },
        { "discards", NULL },
        { NULL, NULL }
    };
    for (size_t i = 0; i < sizeof trace_keyed_steps / sizeof trace_keyed_steps[0]; i++)
        tr_exec(t, trace_keyed_steps[i][0], trace_keyed_steps[i][1]);
    /* before trace_rec, whose shard_id a record's shard_no that is not a
     * number, or names no shard, would leave NULL (a constraint's message,
     * not the column's) */
    runread_check_tables(&t->rr, keyed);
    const char *what = "reading the key's records";
    sqlite3_stmt *st = tr_prepare(t, "SELECT r.shard_no FROM trace_seq x JOIN record_rows r"
                                     " ON r.run_id = ?1 AND r.sequence_number = x.seq"
                                     " WHERE NOT EXISTS (SELECT 1 FROM shard_names s"
                                     " WHERE s.run_id = ?1 AND s.shard_no = r.shard_no)"
                                     " LIMIT 1", what);
    if (runread_row(&t->rr, st, what))
        runread_failf(&t->rr, "record_rows.shard_no of run %" PRId64 " is %" PRId64 ", a shard"
                      " shard_names has not: the run log is damaged", t->rr.run_id,
                      col_int(st, 0));
    sqlite3_finalize(st);
    for (size_t i = 0; i < sizeof trace_steps / sizeof trace_steps[0]; i++)
        tr_exec(t, trace_steps[i][0], trace_steps[i][1]);
    runread_check_tables(&t->rr, rows);
    what = "counting the key's messages";
    st = tr_prepare(t, "SELECT (SELECT count(*) FROM trace_msg)"
                                     " + (SELECT count(*) FROM trace_rec)", what);
    char key[FMT_TEXT_MAX];
    if (runread_row(&t->rr, st, what) && col_int(st, 0) == 0)
        runread_failf(&t->rr, "run %" PRId64 " has no message or record with partition key \"%s\"",
                      t->rr.run_id, fmt_text(t->key, key, sizeof key));
    sqlite3_finalize(st);
}

/* ---- the command ------------------------------------------------------------------ */

int trace_show(const char *path, int64_t run_id, const char *key, int64_t seq,
               const char *shard)
{
    char err[1024];
    struct trace t = { .seq = seq };
    if (runread_open(&t.rr, path, run_id, err, sizeof err) < 0) {
        fprintf(stderr, "esmsim trace: %s\n", err);
        return ERRMSG_BAD_INPUT;
    }
    /* TEMP tables and sorts on disk, whatever SQLite was built with. */
    tr_exec(&t, "PRAGMA temp_store = FILE", "setting temp_store");
    tr_check_per_record(&t);
    if (seq)
        tr_find_record(&t, shard);
    else if (!(t.key = strdup(key)))
        runread_failf(&t.rr, "out of memory");
    tr_build(&t);
    if (!t.rr.failed)
        print_timeline(&t, stdout);
    int rc = 0;
    if (t.rr.failed) {
        fprintf(stderr, "esmsim trace: %s\n", t.rr.err);
        rc = ERRMSG_BAD_INPUT;
    } else if (!t.rr.complete) {
        fprintf(stderr, "esmsim trace: warning: %s run %" PRId64 " is incomplete\n",
                path, t.rr.run_id);
    }
    runread_close(&t.rr);
    free(t.key);
    free(t.shard);
    return rc;
}
