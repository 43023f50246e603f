/*
 * runlog_run.c - a run in the run log (runlog.h, SPEC section 3): its runs
 * row inserted and committed at once (complete = 0) when it begins; at its
 * end the rows still pending, the indexes and the heads of the keys' chains
 * of records (a complete run only, the rows' pages checkpointed on a thread
 * meanwhile), and the runs row filled in.
 */
#include "runlog.h"
#include "runlog_int.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errmsg.h"
#include "nameids.h"
#include "scenario.h"

#ifndef ESMSIM_VERSION
#define ESMSIM_VERSION "unknown"
#endif

/* The wall time a run started, the only field besides wall_seconds that may
 * differ between two runs of the same scenario and seed (SPEC section 6). */
static void runlog_wall_now(char *buf, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;
    if (!gmtime_r(&now, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, len, "?");
}

int runlog_begin_run(struct runlog *rl, const struct scenario *scn, uint64_t seed,
                     bool per_record, int64_t *run_id, char *err, size_t errlen)
{
    if (rl->run_id != 0) {
        errmsg_set(err, errlen, "%s: run %lld is still open", rl->path, (long long)rl->run_id);
        return -1;
    }
    runlogi_ckpt_join(rl);
    rl->failed = rl->locked = false;
    rl->error[0] = 0;
    nameids_clear(rl->shards);   /* ids are the run's own */
    if (rl->key)
        memset(rl->key, 0, rl->key_cap * sizeof *rl->key);
    rl->keys = 0;
    nameids_clear(rl->producers);
    memset(rl->named, 0, sizeof rl->named);   /* another run's names may be freed */
    if (rl->ring)
        memset(rl->ring, 0, rl->ring_cap * sizeof *rl->ring);
    rl->ring_base = rl->ring_end = 1;   /* message ids start at 1 */

    static const char sql[] =
        "INSERT INTO runs (scenario, seed, scenario_json, duration_ms, esmsim_version, complete,"
        " per_record_tables, started_at_wall, handler, reproducible) VALUES (?,?,?,?,?,0,?,?,?,?)";
    /* SPEC section 4: a real handler's measured durations are its wall time */
    const struct cfg_handler *handler = scn->cfg.function.handler;
    char wall[32];
    runlog_wall_now(wall, sizeof wall);
    if (runlogi_begin(rl) != 0)
        return runlogi_report(rl, err, errlen);
    /* seed as a bit pattern: seeds from 2^63 up read back negative */
    if (runlogi_run_once(rl, sql, "insert into runs",
                         RUNLOG_VALS(rv_text(scn->name), rv_int((int64_t)seed), rv_text(scn->json),
                                     rv_ms(scn->cfg.duration_us), rv_text(ESMSIM_VERSION),
                                     rv_int(per_record), rv_text(wall), rv_int(handler != NULL),
                                     rv_int(!handler || !handler->measured))) != 0) {
        runlogi_rollback(rl);
        return runlogi_report(rl, err, errlen);
    }
    int64_t id = sqlite3_last_insert_rowid(rl->db);
    /* Committed at once: the run exists, complete = 0, whatever happens next. */
    if (runlogi_commit(rl) != 0)
        return runlogi_report(rl, err, errlen);
    rl->run_id = id;
    rl->per_record = per_record;
    if (run_id)
        *run_id = rl->run_id;
    return 0;
}

/* key_names.last_seq of a key_no (esmsim_key_head(key_no) in SQL): its last
 * record's sequence number while runlog_write_heads runs, else NULL. */
static void runlog_key_head(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const struct runlog *rl = sqlite3_user_data(cx);
    sqlite3_int64 no = sqlite3_value_int64(argv[0]);
    if (rl->head && no > 0 && no <= rl->keys && rl->head[no])
        sqlite3_result_int64(cx, (sqlite3_int64)rl->head[no]);
    else
        sqlite3_result_null(cx);
}

/* Define esmsim_key_head on the run log's connection (at open,
 * runlog_open.c).  0, or -1 with the failure latched. */
int runlogi_define_key_head(struct runlog *rl)
{
    if (sqlite3_create_function_v2(rl->db, "esmsim_key_head", 1,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, rl,
                                   runlog_key_head, NULL, NULL, NULL) != SQLITE_OK) {
        runlogi_fail(rl, "define esmsim_key_head");
        return -1;
    }
    return 0;
}

/*
 * The head of each key's chain of records (key_names.last_seq), at the end
 * of a complete run only: a run stopped early has none, killed or not, and
 * trace reads its records without (as it reads a log without indexes).
 * They go in with the run's last rows, before the indexes, so that the
 * checkpointer copies their pages too (a run of 100,000 keys rewrites
 * key_names: 59 ms, 30 s of the bench with its tables); a process killed
 * between the two commits of the end leaves them with every row of the
 * run, complete = 0 all the same.
 * One UPDATE walks the run's rows in key_no order and asks runlog_key_head
 * for each: a statement a key would cost ten times as much (a run of
 * 100,000 keys writes them in a tenth of a second less).  A key without a
 * record keeps its NULL.
 */
static void runlog_write_heads(struct runlog *rl)
{
    static const char sql[] = "UPDATE key_names SET last_seq = coalesce(esmsim_key_head(key_no),"
                              " last_seq) WHERE run_id = ?";
    rl->head = calloc((size_t)rl->keys + 1, sizeof *rl->head);
    if (!rl->head) {
        if (!rl->failed) {
            rl->failed = true;
            snprintf(rl->error, sizeof rl->error, "%s: the heads of the keys' records:"
                     " out of memory", rl->path);
        }
        return;
    }
    for (uint32_t i = 0; i < rl->key_cap; i++)
        if (rl->key[i].no)
            rl->head[rl->key[i].no] = rl->key[i].last;
    runlogi_run_once(rl, sql, "write the heads of the keys' records",
                     RUNLOG_VALS(rv_int(rl->run_id)));
    free(rl->head);
    rl->head = NULL;
}

/*
 * The checkpointer of a run's end.  A complete run ends in two
 * transactions: its rows and the heads (with end_ms, as at a sync point),
 * then the indexes and the runs row.  Once the rows are committed, a
 * thread of its own, on a connection of its own, copies their pages from
 * the WAL into the database (a PASSIVE checkpoint: it takes no lock a
 * writer waits for) while this thread builds the indexes; the pages of the
 * second transaction are copied when the connection closes.  In one
 * transaction, the copy and its two fdatasyncs came after the indexes, as
 * SQLite checkpoints after a commit (wal_autocheckpoint), with nothing
 * else left to run: 5 simulated minutes of the bench, tables off, ended
 * with 8.7 ms of index, then 4.6 ms of commit and 11 ms of checkpoint.
 * SQLite's own checkpoint is off from the first commit (ckpt_off) until the
 * thread is joined (runlogi_ckpt_join: at the next run or at close), so
 * that no commit copies the pages on this thread meanwhile.  A checkpoint
 * that fails leaves its pages to the next one (at close at the latest).
 */
static void *runlog_ckpt_main(void *file)
{
    /* A read opens the WAL: user_version's, which needs no schema (parsing
     * it, as a pragma of RUNLOG_PRAGMAS would, takes 2 M instructions).  A
     * checkpoint syncs alike whether synchronous is NORMAL or FULL. */
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(file, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK
        && sqlite3_exec(db, "PRAGMA user_version", NULL, NULL, NULL) == SQLITE_OK)
        sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    sqlite3_close(db);
    return NULL;
}

/* Start the checkpointer of a file (not of a database in memory); it runs
 * without it when no thread can be made. */
static void runlog_ckpt_start(struct runlog *rl)
{
    const char *file = sqlite3_db_filename(rl->db, "main");   /* lives as long as rl->db */
    if (file && *file && !rl->ckpt_started)
        rl->ckpt_started = pthread_create(&rl->ckpt, NULL, runlog_ckpt_main, (void *)file) == 0;
}

void runlogi_ckpt_join(struct runlog *rl)
{
    if (rl->ckpt_started)
        pthread_join(rl->ckpt, NULL);
    rl->ckpt_started = false;
    if (rl->ckpt_off)
        sqlite3_wal_autocheckpoint(rl->db, RUNLOG_AUTOCHECKPOINT);
    rl->ckpt_off = false;
}

int runlog_end_run(struct runlog *rl, bool complete, int64_t end_us, double wall_seconds,
                   const char *summary_json, char *err, size_t errlen)
{
    if (rl->run_id == 0) {
        errmsg_set(err, errlen, "%s: no run is open", rl->path);
        return -1;
    }
    /*
     * The rows still pending and, for a complete run only, the heads, all
     * committed with end_ms first (runlog_ckpt_start); then the indexes
     * (a complete run only: an incomplete one stops at once, and report
     * and trace read it without them) and the runs row, in one
     * transaction.  After a failure the rows since the last commit may stop
     * in the middle of an event: they are rolled back, end_ms stays that of
     * the last commit, and the runs row is still tried (the disk may have
     * room for one row; not after waiting for a lock in vain), never
     * complete.  The first error is the one reported.
     */
    if (rl->per_record && !rl->failed)
        runlogi_write_unsettled(rl);
    if (complete && !rl->failed && (rl->in_txn || runlogi_begin(rl) == 0)) {
        runlog_write_heads(rl);
        rl->ckpt_off = true;
        sqlite3_wal_autocheckpoint(rl->db, 0);
        if (!rl->failed && runlogi_commit_at(rl, end_us) == 0)
            runlog_ckpt_start(rl);
    }
    if (complete && !rl->failed && runlogi_begin(rl) == 0)
        runlogi_exec(rl, RUNLOG_INDEXES, "create indexes");
    bool failed = rl->failed;
    if (failed)
        runlogi_rollback(rl);
    if (!rl->locked && (rl->in_txn || runlogi_begin(rl) == 0)) {
        static const char sql[] = "UPDATE runs SET complete = ?, end_ms = coalesce(?, end_ms),"
                                  " wall_seconds = ?, summary_json = ? WHERE run_id = ?";
        runlogi_run_once(rl, sql, "update runs",
                         RUNLOG_VALS(rv_int(complete && !failed),
                                     rv_opt_ms(failed ? -1 : end_us),   /* NULL: keep */
                                     rv_real(wall_seconds), rv_text(summary_json),
                                     rv_int(rl->run_id)));
        runlogi_commit(rl);
    }
    rl->run_id = 0;
    rl->per_record = false;
    return rl->failed ? runlogi_report(rl, err, errlen) : 0;
}
