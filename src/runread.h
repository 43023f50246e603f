/*
 * runread.h - reading a run log back, for the commands that analyse one
 * (report, trace, plot): open the database read-only, check that it is an
 * esmsim run log of this schema, and pick one of its runs.
 */
#ifndef ESMSIM_RUNREAD_H
#define ESMSIM_RUNREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

struct runread {
    sqlite3 *db;            /* read-only; owned until runread_close() */
    const char *path;       /* borrowed from the caller */
    int64_t run_id;         /* the run chosen */
    bool complete;          /* runs.complete: false for an interrupted run */
    char scenario[256];     /* runs.scenario */
    bool failed;            /* latched by runread_fail(): the first error is in err */
    char err[1024];
};

/*
 * Open path read-only and choose run run_id, or the latest run when run_id
 * is 0.  Returns 0, or -1 with a message naming the file ("run.db: no run 7
 * (the runs are 1 to 3)", "x.db: not an esmsim run log"); rr is then closed.
 */
int runread_open(struct runread *rr, const char *path, int64_t run_id,
                 char *err, size_t errlen);
void runread_close(struct runread *rr);

/* The queries of a command share one latched error: the first failure is
 * kept ("RUN.db: WHAT: sqlite's message") and every later query is skipped. */
void runread_fail(struct runread *rr, const char *what);
/* The same with a message of the caller's (printf-like, after "RUN.db: "). */
void runread_failf(struct runread *rr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* sql prepared, ?1 bound to the run id when it has parameters; NULL once
 * anything has failed (the caller finalizes a non-NULL statement). */
sqlite3_stmt *runread_prepare(struct runread *rr, const char *sql, const char *what);
/* Step to the next row: false at the end, or on an error (latched). */
bool runread_row(struct runread *rr, sqlite3_stmt *st, const char *what);

/*
 * Parse the value of --run: a positive integer.  Returns 0, or -1 with a
 * message ("--run: expected a run id, a positive integer, got \"x\"").
 */
int runread_parse_run_id(const char *text, int64_t *run_id, char *err, size_t errlen);

#endif
