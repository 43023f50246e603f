/*
 * runread.h - reading a run log back, for the commands that analyse one
 * (report, trace, plot) and for merge: open the database read-only, check
 * that it is an esmsim run log of this schema, and pick one of its runs.
 *
 * A run log is untrusted input (it may come from another host, or be
 * crafted): nothing read from it is ever executed (SQLite runs no SQL of its
 * schema: trusted_schema off, defensive on), its tables must be esmsim's,
 * and the values the commands compute with are checked (run ids, the run's
 * times, and that each number is one: runread_row, runread_check_tables).  A
 * log on read-only media is read as it is (see runread_media).
 */
#ifndef ESMSIM_RUNREAD_H
#define ESMSIM_RUNREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

struct runlog;

/* Run ids: an esmsim run log numbers its runs 1, 2, ...; up to 2^53 - 1,
 * which JSON (report --json) holds exactly. */
#define RUNREAD_MAX_RUN_ID ((INT64_C(1) << 53) - 1)
/* The longest virtual time a run covers, in ms: the scenario loader's
 * longest duration (100,000 days). */
#define RUNREAD_MAX_MS (INT64_C(100000) * 24 * 3600 * 1000)

struct runread {
    sqlite3 *db;            /* read-only; owned until runread_close() */
    const char *path;       /* borrowed from the caller */
    int64_t run_id;         /* the run chosen */
    bool complete;          /* runs.complete: false for an interrupted run */
    char scenario[256];     /* runs.scenario */
    bool failed;            /* latched by runread_fail(): the first error is in err */
    char err[1024];
    int (*stopped)(void);   /* runread_stop_when(): nonzero interrupts the queries */
};

/*
 * Open path read-only and choose run run_id, or the latest run when run_id
 * is 0.  Returns 0, or -1 with a message naming the file ("run.db: no run 7
 * (the runs are 1 to 3)", "x.db: not an esmsim run log", "x.db: table
 * invocations has no column end_ms"); rr is then closed.  Checked: the
 * schema (runread_check_schema, not strict), every run id (an integer from
 * 1 to RUNREAD_MAX_RUN_ID), and the chosen run's duration_ms and end_ms
 * (0 to RUNREAD_MAX_MS; end_ms may be NULL).  rr->scenario is safe to print
 * (fmt_text).
 */
int runread_open(struct runread *rr, const char *path, int64_t run_id,
                 char *err, size_t errlen);
void runread_close(struct runread *rr);

/* From now on rr's queries fail ("interrupted") once stopped() returns
 * nonzero, within a few thousand steps of SQLite's: a command that cleans up
 * on a signal (gp_catch_signals) does not read a large run log to its end
 * first. */
void runread_stop_when(struct runread *rr, int (*stopped)(void));

/* The queries of a command share one latched error: the first failure is
 * kept ("RUN.db: WHAT: sqlite's message") and every later query is skipped. */
void runread_fail(struct runread *rr, const char *what);
/* The same with a message of the caller's (printf-like, after "RUN.db: "). */
void runread_failf(struct runread *rr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* sql prepared, ?1 bound to the run id when it has parameters; NULL once
 * anything has failed (the caller finalizes a non-NULL statement). */
sqlite3_stmt *runread_prepare(struct runread *rr, const char *sql, const char *what);
/* Whether the chosen run has the summary tables' rows its observer wrote
 * (issue 13 item 3: report and plot read them); false for a log of an older
 * esmsim, or a run whose log failed (or on an error, latched). */
bool runread_has_summary(struct runread *rr);
/* Step to the next row: false at the end, or on an error (latched). */
bool runread_row(struct runread *rr, sqlite3_stmt *st, const char *what);

/*
 * The numbers of table's rows of run run_id in db (path for messages), those
 * of them where rows holds when it is not NULL (an SQL condition of the
 * caller's): each column that ref (runread_reference) declares INTEGER
 * holds integers or NULL, each one it declares REAL numbers or NULL.  A
 * value of ad-hoc SQL or of a crafted file may be anything, and SQL reads a
 * text as 0, or leaves its row out of a join.  One pass over those rows.
 * Returns 0, or -1 with a message ("r.db: invocations.record_count of run 1
 * holds the text \"x\", expected an integer: the run log is damaged").
 */
int runread_check_numbers(sqlite3 *db, sqlite3 *ref, const char *table, const char *rows,
                          int64_t run_id, const char *path, char *err, size_t errlen);
/* Rows of a table to check: all of the chosen run's (where NULL), or those
 * where the condition holds. */
struct runread_rows {
    const char *table;
    const char *where;
};
/* runread_check_numbers of each of rows (ended by a NULL table) for the
 * chosen run, for a command that computes with SQL over them (sums, joins)
 * rather than reading them through runread_row, which checks each value it
 * steps to; false on an error (latched). */
bool runread_check_tables(struct runread *rr, const struct runread_rows rows[]);

/*
 * Parse the value of --run: a positive integer.  Returns 0, or -1 with a
 * message ("--run: expected a run id, a positive integer, got \"x\"").
 */
int runread_parse_run_id(const char *text, int64_t *run_id, char *err, size_t errlen);

/*
 * How SQLite can read path without writing anything beside it: normally,
 * or, when its directory is not writable (read-only media) so that SQLite
 * cannot create the -shm file a WAL database needs, as an immutable file
 * (*immutable true: no locks, no -shm).  That is exact when no write-ahead
 * log holds commits the file lacks; a non-empty PATH-wal (or hot PATH-journal)
 * without PATH-shm there cannot be read, and is an error (-1) that says so.
 * With PATH-shm present, SQLite reads through it as it is.
 */
int runread_media(const char *path, bool *immutable, char *err, size_t errlen);

/*
 * "file:PATH" with PATH percent-encoded, then "?query" when query is not
 * NULL, for sqlite3_open_v2 with SQLITE_OPEN_URI or ATTACH on a connection
 * opened so (any file name, even one that starts with "file:" or holds
 * "?", stays a file name).  malloc'd; NULL when out of memory.
 */
char *runread_uri(const char *path, const char *query);

/*
 * The URI that opens the run log at path read-only: mode=ro, and
 * immutable=1 on read-only media (runread_media).  malloc'd; NULL with a
 * message.
 */
char *runread_read_uri(const char *path, char *err, size_t errlen);

/* What every connection to a run log sets: SQLite executes no SQL text of
 * the file's schema that is not harmless (views, triggers, generated
 * columns may not call functions with side effects) and lets nothing
 * change the schema behind its back. */
void runread_harden(sqlite3 *db);

/*
 * The message for schema of db, whose application id app is not a run
 * log's: "x.db: not an esmsim run log", or, for a database with no
 * application id and nothing in it (a run killed between creating its file
 * and committing its tables leaves one, of a page or none), "x.db: an empty
 * database, no run in it (a run killed as it began leaves one)".
 */
void runread_not_run_log(sqlite3 *db, const char *schema, int64_t app, const char *path,
                         char *err, size_t errlen);

/*
 * The schema versions (PRAGMA user_version) the readers and merge take: 0,
 * or -1 with a message ("x.db: run log schema version 2, this esmsim reads
 * version 3").  The one place that says which; a choice: only this
 * version's, whose tables runread_check_schema knows (an older log lacks
 * columns the reports read: deliveries.handled since version 3).
 */
int runread_check_version(int64_t version, const char *path, char *err, size_t errlen);

/*
 * The tables of a run log of this esmsim, and sweep_results, as
 * runlog_open(":memory:") makes them (so the checks never lag behind the
 * writer): what files are checked against, and what merge copies.  The
 * caller closes it with runlog_close(); NULL with a message.
 */
struct runlog *runread_reference(char *err, size_t errlen);

/*
 * Check the tables of schema ("main", or an ATTACHed name) of db, the file
 * path (for messages), against those of ref (runread_reference): every
 * table (sweep_results only if present) is an ordinary table with a rowid
 * that has each of esmsim's columns, none of them generated or hidden.
 * strict (merge, which copies the file): nothing else either, no other
 * column, table, view or trigger (indexes are allowed: they run nothing
 * when read).  Returns 0, or -1 with a message naming the file and what is
 * wrong.
 */
int runread_check_schema(sqlite3 *db, const char *schema, sqlite3 *ref, int64_t version,
                         const char *path, bool strict, char *err, size_t errlen);

/*
 * The runs of schema in db: at least one, every run id an integer from 1 to
 * RUNREAD_MAX_RUN_ID (the first that is not is named).  *n_runs (may be
 * NULL) gets their number.  Returns 0, or -1 with a message.
 */
int runread_check_runs(sqlite3 *db, const char *schema, const char *path, int64_t *n_runs,
                       char *err, size_t errlen);

#endif
