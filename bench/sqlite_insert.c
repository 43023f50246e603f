/*
 * sqlite_insert.c - how fast this machine inserts the run log's per-record
 * rows (records, deliveries, messages: SPEC section 3), first with plain
 * SQLite, then through the run log's sink, so the sink's overhead is measured
 * against the best plain approach on the same rows.
 *
 * Plain: one prepared statement per table, a commit every
 * RUNLOG_ROWS_PER_COMMIT rows, the run log's own pragmas and indexes (see
 * runlog.h), and its schema (the file is created by runlog_open, so the
 * columns are the same by construction): the compact rows of schema
 * version 8 (record_rows, delivery_rows, message_rows with integer shard,
 * key and producer ids, a record's message id and key chain as differences
 * from its sequence number, a delivery's invocation id and handled flag in
 * one integer, and the lookup rows of the names, each written
 * once when first used), the ids known to the program, as the best plain
 * approach would have them; the sink maps the model's key ids (an array)
 * and finds shards and producers by name (nameids.c).
 *
 *   bench_sqlite_insert [--plain-only] [--keys K] [N | RECORDS DELIVERIES MESSAGES [DB]]
 *
 * N rows of each table (default 1,000,000), or as many of each as given
 * (bench/run.sh passes the counts of a real run); DB is the scratch file
 * (default $TMPDIR/bench_sqlite_insert.PID.db), removed at the end.
 * --plain-only skips the run log's half.  --keys K names K partition keys
 * (default 1,000): the scripts pass a run's count of key_names rows, so that
 * the same rows means the same names too (the bench scenario has 100,000).
 */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runlog.h"
#include "scenario.h"

#define SHARDS 4

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void remove_db(const char *path)
{
    char side[600];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* How many rows of each table. */
struct counts {
    uint64_t records, deliveries, messages;
};

static uint64_t counts_max(struct counts c)
{
    uint64_t m = c.records > c.deliveries ? c.records : c.deliveries;
    return m > c.messages ? m : c.messages;
}

/* The rows, the same for both ways: row i is message i, written as record
 * i + 1 (sequence numbers are unique in the stream) of shard i % SHARDS,
 * delivered by invocation i / 100, with key i % keys; shard and key ids as
 * the sink gives them (1, 2, ... in the order first seen).  Names are
 * scrambled by a factor prime to the key count, so that they reach the
 * unique index on partition_key out of order, as a run's keys do. */
#define KEY_SCRAMBLE 7919
static uint64_t keys = 1000;

struct row {
    char shard[24], key[32];
    int64_t seq, msg, at_ms, invocation, shard_no, key_no;
    int64_t key_prev;   /* the key's record before (the chain, key_gap), 0: none */
    int bytes;
};

static void make_row(uint64_t i, struct row *r)
{
    snprintf(r->shard, sizeof r->shard, "shardId-%012llu", (unsigned long long)(i % SHARDS));
    snprintf(r->key, sizeof r->key, "user-%llu", (unsigned long long)(i * KEY_SCRAMBLE % keys));
    r->shard_no = (int64_t)(i % SHARDS) + 1;
    r->key_no = (int64_t)(i % keys) + 1;   /* the scramble is prime to keys: rows 0..keys-1 differ */
    r->seq = (int64_t)(i + 1);
    r->key_prev = i >= keys ? r->seq - (int64_t)keys : 0;
    r->msg = (int64_t)i;
    r->at_ms = (int64_t)i;   /* 1000 records/s */
    r->invocation = (int64_t)(i / 100);
    r->bytes = 900 + (int)(i % 200);
}

static int exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", sql, msg);
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int step(sqlite3 *db, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "insert: %s\n", sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

/* Plain SQLite into a file whose schema runlog_open made; returns seconds. */
static double bench_plain(const char *path, struct counts c, double *index_s)
{
    char err[256];
    struct runlog *rl = runlog_open(path, err, sizeof err);   /* the schema, nothing else */
    if (!rl) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    runlog_close(rl);

    sqlite3 *db = NULL;
    sqlite3_stmt *rec = NULL, *del = NULL, *msg = NULL, *name = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK || exec(db, RUNLOG_PRAGMAS) != 0
        || sqlite3_prepare_v2(db, "INSERT INTO record_rows (run_id, sequence_number, shard_no,"
                              " message_delta, arrival_ms, key_gap) VALUES (1,?,?,?,?,?)",
                              -1, &rec, NULL) != SQLITE_OK
        || sqlite3_prepare_v2(db, "INSERT INTO delivery_rows (run_id, shard_no, sequence_number,"
                              " invocation_handled) VALUES (1,?,?,?)", -1, &del,
                              NULL) != SQLITE_OK
        || sqlite3_prepare_v2(db, "INSERT INTO message_rows (run_id, message_id, producer_no,"
                              " key_no, created_ms, bytes, fate) VALUES (1,?,1,?,?,?,?)", -1, &msg,
                              NULL) != SQLITE_OK
        || sqlite3_prepare_v2(db, "INSERT INTO key_names (run_id, key_no, partition_key)"
                              " VALUES (1,?,?)", -1, &name, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", path, sqlite3_errmsg(db));
        return -1;
    }

    double t0 = now_s();
    uint64_t in_txn = 0;
    int rc = exec(db, "BEGIN");
    /* the names of the shards and the producer, each once */
    for (int k = 0; k < SHARDS && rc == 0; k++) {
        char sql[128];
        snprintf(sql, sizeof sql, "INSERT INTO shard_names VALUES (1, %d, 'shardId-%012d')",
                 k + 1, k);
        rc = exec(db, sql);
    }
    if (rc == 0)
        rc = exec(db, "INSERT INTO producer_names VALUES (1, 1, 'api')");
    uint64_t n = counts_max(c);
    for (uint64_t i = 0; i < n && rc == 0; i++) {
        struct row r;
        make_row(i, &r);
        if (i < keys) {   /* a key's name when first used */
            sqlite3_bind_int64(name, 1, r.key_no);
            sqlite3_bind_text(name, 2, r.key, -1, SQLITE_STATIC);
            rc |= step(db, name);
        }
        if (i < c.records) {
            sqlite3_bind_int64(rec, 1, r.seq);
            sqlite3_bind_int64(rec, 2, r.shard_no);
            sqlite3_bind_int64(rec, 3, r.msg - r.seq);
            sqlite3_bind_int64(rec, 4, r.at_ms);
            if (r.key_prev)
                sqlite3_bind_int64(rec, 5, r.seq - r.key_prev);
            else
                sqlite3_bind_null(rec, 5);
            rc |= step(db, rec);
            in_txn++;
        }
        if (i < c.deliveries) {
            sqlite3_bind_int64(del, 1, r.shard_no);
            sqlite3_bind_int64(del, 2, r.seq);
            sqlite3_bind_int64(del, 3, r.invocation * 2 + 1);   /* handled */
            rc |= step(db, del);
            in_txn++;
        }
        if (i < c.messages) {
            sqlite3_bind_int64(msg, 1, r.msg);
            sqlite3_bind_int64(msg, 2, r.key_no);
            sqlite3_bind_int64(msg, 3, r.at_ms);
            sqlite3_bind_int(msg, 4, r.bytes);
            sqlite3_bind_int(msg, 5, FATE_PROCESSED);
            rc |= step(db, msg);
            in_txn++;
        }
        if (in_txn >= RUNLOG_ROWS_PER_COMMIT && rc == 0) {
            rc = exec(db, "COMMIT") | exec(db, "BEGIN");
            in_txn = 0;
        }
    }
    if (rc == 0)
        rc = exec(db, "COMMIT");
    double t1 = now_s();
    if (rc == 0)
        rc = exec(db, "BEGIN") | exec(db, RUNLOG_INDEXES);
    /* the heads of the keys' chains (key_names.last_seq), as runlog_end_run
     * writes them: the last record of key k is the last row i with i % keys
     * == k - 1 */
    sqlite3_stmt *head = NULL;
    if (rc == 0 && sqlite3_prepare_v2(db, "UPDATE key_names SET last_seq = ? WHERE run_id = 1"
                                      " AND key_no = ?", -1, &head, NULL) != SQLITE_OK)
        rc = -1;
    for (uint64_t k = 0; rc == 0 && k < keys && k < c.records; k++) {
        uint64_t last = (c.records - 1 - k) / keys * keys + k;
        sqlite3_bind_int64(head, 1, (int64_t)last + 1);
        sqlite3_bind_int64(head, 2, (int64_t)k + 1);
        rc = step(db, head);
    }
    sqlite3_finalize(head);
    if (rc == 0)
        rc = exec(db, "COMMIT");
    *index_s = now_s() - t1;
    sqlite3_finalize(rec);
    sqlite3_finalize(del);
    sqlite3_finalize(msg);
    sqlite3_finalize(name);
    sqlite3_close(db);
    return rc == 0 ? t1 - t0 : -1;
}

/* The same rows through the run log's sink, end_run (commit + indexes) included. */
static double bench_runlog(const char *path, struct counts c)
{
    char err[256];
    struct scenario scn = { .name = "bench", .json = "{}" };
    struct runlog *rl = runlog_open(path, err, sizeof err);
    if (!rl || runlog_begin_run(rl, &scn, 1, true, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        runlog_close(rl);
        return -1;
    }
    struct slog log = runlog_sink(rl);
    double t0 = now_s();
    uint64_t n = counts_max(c);
    for (uint64_t i = 0; i < n && !log.ops->failed(log.ctx); i++) {
        struct row r;
        make_row(i, &r);
        if (i < c.records) {
            struct slog_record rec = { .shard_id = r.shard, .sequence_number = (uint64_t)r.seq,
                .message_id = (uint64_t)r.msg, .partition_key = r.key,
                .key_id = (uint32_t)(r.key_no - 1), .arrival_us = r.at_ms * 1000, .bytes = (uint32_t)r.bytes };
            log.ops->record(log.ctx, &rec);
        }
        if (i < c.deliveries) {
            uint64_t seq = (uint64_t)r.seq;
            log.ops->deliveries(log.ctx, (uint64_t)r.invocation, r.shard, &seq, 1, true);
        }
        if (i < c.messages) {
            struct slog_message m = { .message_id = (uint64_t)r.msg, .producer = "api",
                .partition_key = r.key, .key_id = (uint32_t)(r.key_no - 1),
                .created_us = r.at_ms * 1000,
                .bytes = (uint32_t)r.bytes, .fate = FATE_PROCESSED };
            log.ops->message(log.ctx, &m);
        }
        log.ops->sync(log.ctx, r.at_ms * 1000);   /* where the simulation may commit */
    }
    int rc = runlog_end_run(rl, true, (int64_t)n * 1000, 0, NULL, err, sizeof err);
    double t = now_s() - t0;
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    runlog_close(rl);
    return rc == 0 ? t : -1;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_sqlite_insert [--plain-only] [--keys K]"
                    " [N | RECORDS DELIVERIES MESSAGES [DB]]\n"
                    "  (K > 0 and not a multiple of %d)\n", KEY_SCRAMBLE);
    return 2;
}

static int parse_count(const char *text, uint64_t *out)
{
    char *end = NULL;
    *out = strtoull(text, &end, 10);
    return end != text && *end == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    char **arg = argv + 1;
    int nargs = argc - 1;
    bool plain_only = nargs > 0 && strcmp(arg[0], "--plain-only") == 0;
    arg += plain_only;
    nargs -= plain_only;
    if (nargs > 0 && strcmp(arg[0], "--keys") == 0) {
        if (nargs < 2 || parse_count(arg[1], &keys) != 0 || keys == 0 || keys % KEY_SCRAMBLE == 0)
            return usage();
        arg += 2;
        nargs -= 2;
    }
    struct counts c = { 1000000, 1000000, 1000000 };
    if (nargs == 1) {
        if (parse_count(arg[0], &c.records) != 0)
            return usage();
        c.deliveries = c.messages = c.records;
    } else if (nargs == 3 || nargs == 4) {
        if (parse_count(arg[0], &c.records) != 0 || parse_count(arg[1], &c.deliveries) != 0
            || parse_count(arg[2], &c.messages) != 0)
            return usage();
    } else if (nargs != 0) {
        return usage();
    }
    uint64_t rows = c.records + c.deliveries + c.messages;
    if (rows == 0)
        return usage();

    char path[512];
    if (nargs == 4) {
        snprintf(path, sizeof path, "%s", arg[3]);
    } else {
        const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(path, sizeof path, "%s/bench_sqlite_insert.%ld.db", tmp, (long)getpid());
    }

    remove_db(path);
    double index_s = 0;
    double plain = bench_plain(path, c, &index_s);
    remove_db(path);
    if (plain < 0)
        return 1;
    printf("sqlite %s: %llu records + %llu deliveries + %llu messages = %llu rows\n",
           sqlite3_libversion(), (unsigned long long)c.records,
           (unsigned long long)c.deliveries, (unsigned long long)c.messages,
           (unsigned long long)rows);
    printf("plain inserts:       %8.3f s  %10.0f rows/s\n", plain, (double)rows / plain);
    printf("plain + indexes:     %8.3f s  %10.0f rows/s\n", plain + index_s,
           (double)rows / (plain + index_s));
    if (plain_only)
        return 0;
    double sink = bench_runlog(path, c);
    remove_db(path);
    if (sink < 0)
        return 1;
    printf("run log sink (all):  %8.3f s  %10.0f rows/s  %.2fx plain + indexes\n", sink,
           (double)rows / sink, sink / (plain + index_s));
    return 0;
}
