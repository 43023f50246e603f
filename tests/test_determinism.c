/*
 * test_determinism.c - SPEC section 6: the same scenario and seed give an
 * identical database, table by table, apart from wall-time fields; another
 * seed gives another run (so the comparison can fail).  A run interrupted
 * part way logs a prefix of the complete run (issue 11).  The same for a
 * DynamoDB table's stream (SPEC 1.2): item deletes drawn, shards rolled over.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"
#include "runlog.h"
#include "scenario.h"
#include "sim.h"

static const char *const tables[] = {
    "shards", "messages", "records", "invocations", "deliveries",
    "checkpoints", "discards", "metrics",
};

/* Raises the interrupt flag once the run reaches stop_us (as Ctrl-C would,
 * between two events). */
struct stop_at {
    int64_t stop_us;
    volatile sig_atomic_t flag;
};

static void stop_when_reached(void *ctx, int64_t now_us, int64_t end_us, uint64_t records)
{
    struct stop_at *s = ctx;
    (void)end_us;
    (void)records;
    if (now_us >= s->stop_us)
        s->flag = 1;
}

/* Run the scenario at path with these overrides into db as run 1, stopped
 * (interrupted) once it reaches stop_us. */
static int run_until(const char *db, const char *path, const char *const *sets, size_t n,
                     int64_t stop_us)
{
    char err[1024];
    unlink(db);
    struct scenario *scn = scn_load(path, sets, n, err, sizeof err);
    if (!scn) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    struct runlog *rl = runlog_open(db, err, sizeof err);
    int64_t run_id;
    int rc = -1;
    if (rl && runlog_begin_run(rl, scn, scn->cfg.seed, true, &run_id, err, sizeof err) == 0) {
        struct slog sink = runlog_sink(rl);
        struct sim *sim = sim_create(&scn->cfg, &sink, err, sizeof err);
        if (sim) {
            struct stop_at stop = { .stop_us = stop_us };
            enum sim_status st = sim_run(sim, &stop.flag, stop_when_reached, &stop);
            struct sim_summary sum;
            sim_summary(sim, &sum);
            rc = runlog_end_run(rl, st == SIM_COMPLETE, sum.simulated_us, 0.5, NULL, err, sizeof err);
            sim_destroy(sim);
        }
    }
    if (rc < 0)
        fprintf(stderr, "%s\n", err);
    runlog_close(rl);
    scn_free(scn);
    return rc;
}

static int run_into(const char *db, const char *path, const char *const *sets, size_t n)
{
    return run_until(db, path, sets, n, INT64_MAX);
}

static int64_t scalar(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    else
        fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return v;
}

/* Rows of a in table t that b lacks, plus the other way round. */
static int64_t differences(sqlite3 *db, const char *t)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT (SELECT count(*) FROM (SELECT * FROM main.%s EXCEPT SELECT * FROM other.%s))"
             " + (SELECT count(*) FROM (SELECT * FROM other.%s EXCEPT SELECT * FROM main.%s))",
             t, t, t, t);
    return scalar(db, sql);
}

static sqlite3 *open_pair(const char *a, const char *b)
{
    sqlite3 *db;
    char sql[512];
    sqlite3_open(a, &db);
    snprintf(sql, sizeof sql, "ATTACH '%s' AS other", b);
    sqlite3_exec(db, sql, NULL, NULL, NULL);
    return db;
}

int main(void)
{
    const char *path = SRCDIR "/scenarios/producer-retries.json";
    /* Throttled writes, retries of both kinds, transient function failures,
     * partial responses, bisection, lanes (ParallelizationFactor),
     * concurrency throttles (with jittered backoff) and discards: every
     * random stream is exercised. */
    const char *sets[] = {
        "duration=90s",
        "function.failures=[{\"match\":{\"probability\":0.05}}]",
        "event_source_mapping.MaximumRetryAttempts=0",
        "event_source_mapping.BisectBatchOnFunctionError=true",
        "event_source_mapping.FunctionResponseTypes=[\"ReportBatchItemFailures\"]",
        "function.report=all-failures",
        "function.reserved_concurrency=3",
        "event_source_mapping.ParallelizationFactor=3",
    };
    size_t n_sets = sizeof sets / sizeof *sets;
    CHECK_INT(run_into("det-a.db", path, sets, n_sets), 0);
    CHECK_INT(run_into("det-b.db", path, sets, n_sets), 0);
    const char *other_seed[sizeof sets / sizeof *sets + 1];
    memcpy(other_seed, sets, sizeof sets);
    other_seed[n_sets] = "seed=4";
    CHECK_INT(run_into("det-c.db", path, other_seed, n_sets + 1), 0);

    sqlite3 *db = open_pair("det-a.db", "det-b.db");
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM main.%s", tables[i]);
        CHECK(scalar(db, sql) > 0 || i == 6);   /* discards may be empty */
        int64_t d = differences(db, tables[i]);
        if (d != 0)
            fprintf(stderr, "table %s differs in %lld rows\n", tables[i], (long long)d);
        CHECK_INT(d, 0);
    }
    CHECK(scalar(db, "SELECT count(*) FROM main.discards") > 0);
    CHECK(scalar(db, "SELECT count(*) FROM main.invocations WHERE outcome = 'partial'") > 0);
    CHECK(scalar(db, "SELECT count(*) FROM main.invocations WHERE outcome = 'throttled'") > 0);
    CHECK(scalar(db, "SELECT count(DISTINCT lane) FROM main.invocations") == 3);
    /* runs: everything but the wall-time fields. */
    CHECK_INT(scalar(db, "SELECT count(*) FROM main.runs a JOIN other.runs b USING"
                         " (run_id, scenario, seed, scenario_json, duration_ms, esmsim_version)"), 1);
    sqlite3_close(db);

    /*
     * Issue 11 items 11 and 14: a run interrupted at 45 s logs a prefix of
     * the complete run: every row it has is the complete run's, every row
     * the complete run has before the interrupted run's end_ms is there, and
     * the messages still in flight have no row (no fate: not pending).
     */
    CHECK_INT(run_until("det-i.db", path, sets, n_sets, 45000000), 0);
    db = open_pair("det-a.db", "det-i.db");
    int64_t end_ms = scalar(db, "SELECT end_ms FROM other.runs");
    CHECK(end_ms >= 45000 && end_ms < 90000);   /* flag raised at the first sync from 45 s */
    CHECK_INT(scalar(db, "SELECT complete FROM other.runs"), 0);
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM (SELECT * FROM other.%s"
                 " EXCEPT SELECT * FROM main.%s)", tables[i], tables[i]);
        int64_t extra = scalar(db, sql);
        if (extra != 0)
            fprintf(stderr, "interrupted: table %s has %lld rows of its own\n", tables[i],
                    (long long)extra);
        CHECK_INT(extra, 0);
    }
    static const char *const before_end[][2] = {
        { "records", "arrival_ms" }, { "invocations", "end_ms" }, { "checkpoints", "at_ms" },
        { "metrics", "at_ms" }, { "discards", "at_ms" },
    };
    for (size_t i = 0; i < sizeof before_end / sizeof *before_end; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT (SELECT count(*) FROM main.%s WHERE %s < %lld)"
                 " - (SELECT count(*) FROM other.%s WHERE %s < %lld)", before_end[i][0],
                 before_end[i][1], (long long)end_ms, before_end[i][0], before_end[i][1],
                 (long long)end_ms);
        CHECK_INT(scalar(db, sql), 0);
    }
    CHECK(scalar(db, "SELECT count(*) FROM other.records WHERE arrival_ms < 45000") > 0);
    CHECK_INT(scalar(db, "SELECT count(*) FROM other.messages WHERE fate = 'pending'"), 0);
    CHECK(scalar(db, "SELECT count(DISTINCT message_id) FROM other.records WHERE message_id"
                     " NOT IN (SELECT message_id FROM other.messages)") > 0);
    sqlite3_close(db);

    db = open_pair("det-a.db", "det-c.db");
    CHECK(differences(db, "invocations") > 0);
    CHECK(differences(db, "records") > 0);
    sqlite3_close(db);

    const char *ddb = SRCDIR "/scenarios/ddb-three-readers.json";
    const char *ddb_sets[] = { "duration=25m", "stream.shard_lifetime=10m", "expect={}" };
    CHECK_INT(run_into("det-d.db", ddb, ddb_sets, 3), 0);
    CHECK_INT(run_into("det-e.db", ddb, ddb_sets, 3), 0);
    db = open_pair("det-d.db", "det-e.db");
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
        int64_t d = differences(db, tables[i]);
        if (d != 0)
            fprintf(stderr, "dynamodb: table %s differs in %lld rows\n", tables[i], (long long)d);
        CHECK_INT(d, 0);
    }
    CHECK_INT(scalar(db, "SELECT count(*) FROM main.shards WHERE parent_shard_id IS NOT NULL"), 4);
    sqlite3_close(db);
    return check_done();
}
