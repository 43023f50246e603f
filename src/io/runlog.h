/*
 * runlog.h - the run log: a SQLite database in the shape of SPEC section 3,
 * written through the slog interface of simlog.h.
 *
 * Life cycle: runlog_open() a file (created with its tables if missing; a
 * file may hold many runs, as a sweep does), then for each run
 * runlog_begin_run(), hand runlog_sink() to the simulation, and
 * runlog_end_run(); finally runlog_close().  Errors are a return code and a
 * message with context in the caller's buffer ("run.db: insert into
 * invocations: database or disk is full").  A failure while the simulation
 * writes is latched: the sink's failed() turns true, every later row is
 * dropped, and runlog_error() keeps the first message.
 *
 * Rows are committed only at the sink's sync points, between two events,
 * with runs.end_ms (the virtual time reached) in the same transaction: a
 * process killed at any moment leaves whole events, up to end_ms, in every
 * table.  A run is marked complete (runs.complete = 1) only by
 * runlog_end_run(rl, true, ...); a run stopped early, or a process killed in
 * the middle, leaves complete = 0 and a valid database.  An existing file is
 * checked before anything in it changes: one that is not a run log of this
 * schema keeps its bytes.
 *
 * Files: runlog.c (the row writer: the sink, transactions, bind and step),
 * runlog_schema.c (the tables), runlog_open.c (opening, claiming, creating,
 * closing), runlog_run.c (a run's begin and end), runlog_summary.c (the
 * summary tables); what they share is runlog_int.h.
 */
#ifndef ESMSIM_RUNLOG_H
#define ESMSIM_RUNLOG_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "simlog.h"

struct runlog;
struct scenario;
struct sqlite3;

/*
 * What every connection of the run log sets, shared with the raw-insert
 * benchmark (bench/sqlite_insert.c) so that both measure the same thing.
 * WAL with synchronous=NORMAL: a killed process (SIGKILL, crash) never
 * corrupts the file, and the WAL is replayed when the file is next opened; only
 * an OS crash or power loss may lose the last commits, never consistency
 * (but for a new file's first moments: runlog_open.c).
 * The cost of syncing hardly matters anyway, as rows are committed in large
 * transactions.  WAL also lets `esmsim report` read a database while a sweep
 * is still appending runs to it.
 */
#define RUNLOG_PRAGMAS \
    "PRAGMA synchronous=NORMAL;"   /* first: a new file's switch to WAL is then synced once \
                                    * less (7 fdatasyncs to create a run log, not 8) */ \
    RUNLOG_PRAGMAS_WAL
/* RUNLOG_PRAGMAS but synchronous. */
#define RUNLOG_PRAGMAS_WAL \
    "PRAGMA journal_mode=WAL;" \
    "PRAGMA cache_size=-8192;"     /* 8 MiB of page cache: rows are appended, so a bigger
                                      * cache buys nothing and memory grows with it */ \
    "PRAGMA temp_store=FILE;"      /* index builds sort on disk: memory stays flat */

/* The indexes runlog_end_run builds once the rows are in (cheaper than
 * keeping them up to date row by row), for the queries of report and trace;
 * shared with merge and the benchmark.  The per-record rows need no other:
 * they are stored in the order of their primary keys, and a key's records
 * are found by their chain (record_rows.key_gap, runlog.c), not by an index
 * of every record (issue 13 item 4: 12 bytes a record).  A message with no
 * record (rejected, or still with the producer at the end: fates 6 and 1)
 * is found by its key in message_rows_unwritten, which holds only those (on
 * key_no alone: with run_id first, SQLite, which has no statistics, prefers
 * the primary key's run_id, every message of the run).  invocations_by_shard
 * serves run_id (report, plot, compare, sweep's ranking) and run_id with
 * shard_id (trace); no query reads start_ms from it (their plans the same
 * without), and the sort that builds it compares every pair of rows past
 * run_id, equal in all: a column less, 5 simulated minutes of the bench
 * (tables off) end in 127.7 M instructions instead of 150.9 M (callgrind,
 * runlog_end_run). */
#define RUNLOG_INDEXES \
    "CREATE INDEX IF NOT EXISTS message_rows_unwritten ON message_rows (key_no)" \
    " WHERE fate IN (1, 6);" \
    "CREATE INDEX IF NOT EXISTS invocations_by_shard ON invocations (run_id, shard_id);"

/* Marks a file as an esmsim run log (PRAGMA application_id: "ESMS"), and
 * the version of its schema (PRAGMA user_version). */
#define RUNLOG_APPLICATION_ID 0x45534d53
#define RUNLOG_SCHEMA_VERSION 8   /* 2: the windows table; 3: deliveries.handled;
                                     4: invocations.iterator_age_at_send_ms;
                                     5: the logs table, runs.handler and reproducible;
                                     6: messages, records and deliveries are views over
                                        compact *_rows tables with shard, key and
                                        producer ids (issue 13 item 4);
                                     7: a key's records chained (record_rows.key_prev,
                                        key_names.last_seq) instead of an index on
                                        keys, message_rows_unwritten;
                                     8: record_rows without the key and size (its
                                        message's), message ids and key_prev as
                                        differences (message_delta, key_gap),
                                        delivery_rows.invocation_handled */
/* The oldest version the readers (report, trace, plot, merge) take: only
 * this one (the queries read the *_rows tables of version 8). */
#define RUNLOG_SCHEMA_VERSION_READ 8

/* The table a sweep adds to a run log (sweep.c fills it): one row per run.
 * Defined here with the others so that merge and the readers know every
 * table an esmsim run log may hold (runread_check_schema). */
#define RUNLOG_SWEEP_RESULTS_TABLE \
    "CREATE TABLE IF NOT EXISTS sweep_results (" \
    " run_id INTEGER PRIMARY KEY,"          /* runs.run_id */ \
    " setting TEXT NOT NULL,"               /* JSON object: varied path -> value */ \
    " seed INTEGER," \
    " iterator_age_p50_ms INTEGER, iterator_age_p99_ms INTEGER, iterator_age_max_ms INTEGER," \
    " drain_ms INTEGER, drain_below_ms INTEGER," \
    " redelivered_records INTEGER, producer_duplicates INTEGER," \
    " messages_discarded INTEGER, messages_expired INTEGER, messages_lost INTEGER," \
    " invocations INTEGER, memory_mb INTEGER, gb_seconds REAL," \
    " run_tables INTEGER NOT NULL)"         /* 1: the run's own tables are in this database */

/* Whether esmsim's writer always fills column of table, a number column
 * (runlog_schema.c): a NULL there is a damaged run log. */
bool runlog_filled_column(const char *table, const char *column);

/*
 * The commit policy (runlog.c): a commit at the first sync point (between two
 * events) after RUNLOG_ROWS_PER_COMMIT rows or RUNLOG_COMMIT_MS of wall time
 * in the transaction, or, written by a relay's thread (logthread.h), at the
 * last sync point when the thread has caught up and the transaction holds
 * RUNLOG_IDLE_COMMIT_ROWS rows; at most once per RUNLOG_COMMIT_MS,
 * RUNLOG_YIELD_MS with the write lock free for another process.  A writer waits
 * RUNLOG_BUSY_TIMEOUT_MS for another's lock (the environment variable
 * ESMSIM_BUSY_TIMEOUT_MS sets another wait, for the tests).
 */
#define RUNLOG_ROWS_PER_COMMIT 100000
#define RUNLOG_IDLE_COMMIT_ROWS 8192
#define RUNLOG_COMMIT_MS 1000
#define RUNLOG_YIELD_MS 5
#define RUNLOG_BUSY_TIMEOUT_MS 60000
#define RUNLOG_AUTOCHECKPOINT 1000   /* SQLite's default wal_autocheckpoint, in pages (the
                                        end of a run turns it off a while: runlog_run.c) */

/* The file at path (if there) and its directory can be written, as a
 * writer needs (SQLite makes -wal and -shm beside it): 0, or -1 with a
 * message that says which cannot and why ("OUT.db: cannot write to its
 * directory d: Read-only file system"). */
int runlog_writable(const char *path, char *err, size_t errlen);

/* Open (or create) the database at path.  NULL on error, with a message
 * (runlog_writable's when it says no).
 * A file the open (or runlog_open_now) created and failed to make whole, or
 * to begin its run in (a full disk), is removed at once (at runlog_close for
 * runlog_open_now), with its -wal and -shm, unless another process has it
 * open or it holds a run (another process's); a file that was there before
 * never is. */
struct runlog *runlog_open(const char *path, char *err, size_t errlen);

/* runlog_open, its wait for another process's write lock ended as soon as
 * *interrupt turns non-zero (runlog_set_interrupt's, from the start). */
struct runlog *runlog_open_watching(const char *path, const volatile sig_atomic_t *interrupt,
                                    char *err, size_t errlen);

/* Whether the open of rl created its file (it did not exist); *made then
 * has its st_dev and st_ino. */
bool runlog_made(const struct runlog *rl, struct stat *made);

/* Unlink the run log at path and what SQLite keeps beside it (-wal, -shm,
 * -journal, first): true when path itself was. */
bool runlog_unlink(const char *path);

/* runlog_unlink of name in the directory dir (an open descriptor), only
 * what is a regular file: never a symlink, nor anything else a user may
 * have given the name of a file esmsim removes unseen. */
bool runlog_unlink_regular(int dir, const char *name);

/* runlog_close, and its file removed if the open made it, as a failed open
 * removes it (runlog_open): for a caller whose use of a new file failed. */
void runlog_close_unmade(struct runlog *rl);

/*
 * runlog_open and then runlog_begin_run in two steps, for a caller that
 * builds the simulation meanwhile and opens the file on another thread
 * (simulation.c: the run log's own thread, as its first job, logthread.h):
 * runlog_open_later touches no file, and its runlog_sink is the run's at
 * once (per_record); runlog_open_now then opens the file and begins the
 * run, as runlog_open and runlog_begin_run do (the same errors).  After
 * runlog_open_now failed, rl is only to be closed.
 */
struct runlog *runlog_open_later(const char *path, bool per_record, char *err, size_t errlen);
int runlog_open_now(struct runlog *rl, const struct scenario *scn, uint64_t seed,
                    int64_t *run_id, char *err, size_t errlen);

/*
 * Start a run: insert its runs row (complete = 0) and return its id in
 * *run_id (1, 2, ... within a file).  seed is the seed actually used (after
 * --seed); per_record false means no messages, records or deliveries rows.
 * Only one run is open at a time on a runlog.
 */
int runlog_begin_run(struct runlog *rl, const struct scenario *scn, uint64_t seed,
                     bool per_record, int64_t *run_id, char *err, size_t errlen);

/* The sink the simulation writes the open run to (ctx is rl).  Take it after
 * runlog_begin_run: its per_record flag is the run's.  Rows given while no
 * run is open are dropped. */
struct slog runlog_sink(struct runlog *rl);

/*
 * The observer's figures of the open run (observer.h) into the summary
 * tables (summary_figures, summary_shards, summary_examples,
 * summary_discards, summary_series), before runlog_end_run commits them: what report and
 * plot read, with or without the per-record tables.  A failure is latched
 * and reported by runlog_end_run.
 */
struct obs_figures;
void runlog_write_summary(struct runlog *rl, const struct obs_figures *f);

/*
 * End the open run: commit the rows still pending, build the indexes the
 * reports need (complete runs only: the rows are committed first, and
 * their pages copied from the WAL on a thread meanwhile, joined at the next
 * run or at close), and fill in runs.complete, end_ms (virtual time
 * reached), wall_seconds and summary_json (may be NULL).  After
 * a failure the rows since the last commit are dropped and end_ms stays that
 * of the last commit.  Returns -1 with a message when the run could not be
 * written in full (the latched error, if any).
 */
int runlog_end_run(struct runlog *rl, bool complete, int64_t end_us, double wall_seconds,
                   const char *summary_json, char *err, size_t errlen);

/* A wait for another process's write lock ends as soon as *interrupt
 * (Ctrl-C) turns non-zero: the write fails then, as after the busy timeout,
 * so that an interrupted run never waits out the lock. */
void runlog_set_interrupt(struct runlog *rl, const volatile sig_atomic_t *interrupt);

/* The first error the sink met, or NULL. */
const char *runlog_error(const struct runlog *rl);

/* Close; a run left open stays complete = 0, with what its last sync
 * committed (later rows are rolled back: they may not be whole events). */
void runlog_close(struct runlog *rl);

/* The connection of rl (owned by rl).  runlog_open(":memory:") then gives
 * the tables of a new run log, exactly as this esmsim makes them: what the
 * readers and merge check other files against. */
struct sqlite3 *runlog_db(const struct runlog *rl);

#endif
