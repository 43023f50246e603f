/*
 * merge.c - appending the runs of one run log to another: see merge.h.
 *
 * Inputs are untrusted files (SPEC section 5): nothing read from them is
 * executed.  An input is opened read-only (ATTACHed with mode=ro), checked
 * against the tables this esmsim makes (runread_check_schema, strict: no
 * table, column, view or trigger of its own), and its rows copied with
 * INSERT ... SELECT statements built from esmsim's table and column names
 * only; SQLite moves the rows itself, nothing is loaded into memory.  The
 * output's tables are esmsim's own too (runlog_open, and
 * RUNLOG_SWEEP_RESULTS_TABLE), never an input's CREATE TABLE.
 *
 * Run ids are given anew: the input's runs, in the order of their ids, get
 * the ids after the largest in the output, so that runs never collide, keep
 * their order, and the output's ids stay 1, 2, ... whatever an input holds.
 */
#include "merge.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "errmsg.h"
#include "leftover.h"
#include "runlog.h"
#include "runread.h"
#include "stopsig.h"

#define MERGE_SQL_MAX 8192

/* A new output is made as OUT.db.merge-XXXXXX (leftover.h). */
static const char merge_infix[] = ".merge-";

/* A connection to the run log at path (uri: runread_uri), hardened. */
static sqlite3 *merge_connect(const char *path, const char *uri, int flags, char *err,
                              size_t errlen)
{
    sqlite3 *db = NULL;
    if (!uri || sqlite3_open_v2(uri, &db, flags | SQLITE_OPEN_URI, NULL) != SQLITE_OK) {
        errmsg_set(err, errlen, "%s: cannot open: %s", path,
                   !uri ? "out of memory" : db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    runread_harden(db);
    return db;
}

/*
 * schema of db is a run log this esmsim may copy (path for messages):
 * its application id and version, its tables (strict), its run ids.
 * *n_runs gets the number of runs.  Returns 0, or -1 with a message.
 */
static int merge_check(sqlite3 *db, sqlite3 *ref, const char *schema, const char *path,
                       int64_t *n_runs, char *err, size_t errlen)
{
    char sql[64];
    int64_t v[2] = { 0, 0 };
    static const char *const pragmas[2] = { "application_id", "user_version" };
    for (int k = 0; k < 2; k++) {
        sqlite3_stmt *st;
        snprintf(sql, sizeof sql, "PRAGMA \"%s\".%s", schema, pragmas[k]);
        int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
                 sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
        if (rc == 0)
            v[k] = sqlite3_column_int64(st, 0);
        else
            errmsg_set(err, errlen, "%s: cannot read: %s", path, sqlite3_errmsg(db));
        sqlite3_finalize(st);
        if (rc < 0)
            return -1;
    }
    if (v[0] != RUNLOG_APPLICATION_ID) {
        runread_not_run_log(db, schema, v[0], path, err, errlen);
        return -1;
    }
    return runread_check_version(v[1], path, err, errlen) < 0 ||
           runread_check_schema(db, schema, ref, v[1], path, true, err, errlen) < 0 ||
           runread_check_runs(db, schema, path, n_runs, err, errlen) < 0 ? -1 : 0;
}

/* The same check of the file at path on a connection of its own, with
 * whether every row of the per-run tables belongs to one of its runs. */
static int merge_check_file(const char *path, sqlite3 *ref, char *err, size_t errlen)
{
    char *uri = runread_read_uri(path, err, errlen);
    if (!uri)
        return -1;
    sqlite3 *db = merge_connect(path, uri, SQLITE_OPEN_READONLY, err, errlen);
    free(uri);
    if (!db)
        return -1;
    sqlite3_busy_timeout(db, 5000);   /* a sweep may be appending */
    int64_t n_runs = 0;
    int rc = merge_check(db, ref, "main", path, &n_runs, err, errlen);
    sqlite3_stmt *tables = NULL;
    if (rc == 0 && sqlite3_prepare_v2(ref, "SELECT name FROM sqlite_schema WHERE type = 'table'"
                                      " AND name <> 'runs'", -1, &tables, NULL) != SQLITE_OK)
        rc = -1;
    while (rc == 0 && sqlite3_step(tables) == SQLITE_ROW) {
        char sql[256];
        const char *t = (const char *)sqlite3_column_text(tables, 0);
        sqlite3_stmt *st;
        snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\" WHERE run_id NOT IN"
                 " (SELECT run_id FROM runs)", t);
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
            sqlite3_finalize(st);
            continue;   /* sweep_results, absent: runread_check_schema allowed it */
        }
        int64_t orphans = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
        if (orphans != 0) {
            if (orphans > 0)
                errmsg_set(err, errlen, "%s: table %s has %" PRId64 " row%s of no run (a run_id"
                           " that runs has not)", path, t, orphans, orphans == 1 ? "" : "s");
            else
                errmsg_set(err, errlen, "%s: cannot read %s: %s", path, t, sqlite3_errmsg(db));
            rc = -1;
        }
        sqlite3_finalize(st);
    }
    sqlite3_finalize(tables);
    sqlite3_close(db);
    return rc;
}

/* The signal that stopped merge_runs, or 0. */
static volatile sig_atomic_t merge_stopped;

static void merge_on_signal(int sig)
{
    merge_stopped = sig;
}

/* SQLite's progress handler: a copy stops within a few thousand steps of
 * a signal (SQLITE_INTERRUPT), its transaction rolled back. */
static int merge_progress(void *ctx)
{
    (void)ctx;
    return merge_stopped != 0;
}

/* SQLite's busy handler of the output: another process's write lock is
 * waited for up to RUNLOG_BUSY_TIMEOUT_MS, looking every millisecond, as a
 * run waits, but not past a signal. */
static int merge_busy(void *ctx, int count)
{
    (void)ctx;
    static struct timespec since;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (count == 0)
        since = now;
    int64_t waited_ms = (int64_t)(now.tv_sec - since.tv_sec) * 1000
                        + (now.tv_nsec - since.tv_nsec) / 1000000;
    if (merge_stopped || waited_ms >= RUNLOG_BUSY_TIMEOUT_MS)
        return 0;
    sqlite3_sleep(1);
    return 1;
}

sqlite3 *merge_open(const char *path, char *err, size_t errlen)
{
    if (runlog_writable(path, err, errlen) < 0)
        return NULL;
    /* An existing run log is checked before anything is written to it: its
     * tables must be esmsim's (a trigger would run on every insert).  Any
     * other file is runlog_open's to judge. */
    struct stat stbuf;
    if (stat(path, &stbuf) == 0 && stbuf.st_size > 0) {
        char *uri = runread_read_uri(path, err, errlen);
        sqlite3 *db = uri ? merge_connect(path, uri, SQLITE_OPEN_READONLY, err, errlen) : NULL;
        struct runlog *ref = db ? runread_reference(err, errlen) : NULL;
        int64_t app = 0, version = 0;
        sqlite3_stmt *st;
        if (ref && sqlite3_prepare_v2(db, "SELECT application_id, user_version"
                                      " FROM pragma_application_id, pragma_user_version",
                                      -1, &st, NULL) == SQLITE_OK) {
            if (sqlite3_step(st) == SQLITE_ROW) {
                app = sqlite3_column_int64(st, 0);
                version = sqlite3_column_int64(st, 1);
            }
            sqlite3_finalize(st);
        }
        int rc = !ref ? -1 : app == RUNLOG_APPLICATION_ID && version == RUNLOG_SCHEMA_VERSION
                 ? runread_check_schema(db, "main", runlog_db(ref), version, path, true, err,
                                        errlen) : 0;
        runlog_close(ref);
        sqlite3_close(db);
        free(uri);
        if (rc < 0)
            return NULL;
    }
    /* runlog_open creates the file and its tables, or checks that it is a
     * run log of this schema version; the copy then needs a connection that
     * takes URIs (for ATTACH ... mode=ro). */
    struct runlog *rl = runlog_open_watching(path, &merge_stopped, err, errlen);
    if (!rl)
        return NULL;
    struct stat new_st;
    bool new_file = runlog_made(rl, &new_st);
    /* opened while rl holds the file, which no other process's failed open
     * can then remove (runlog_unmake) */
    char *uri = runread_uri(path, NULL);
    sqlite3 *db = merge_connect(path, uri, SQLITE_OPEN_READWRITE, err, errlen);
    free(uri);
    if (db) {
        sqlite3_busy_handler(db, merge_busy, NULL);   /* another esmsim may be appending */
        if (sqlite3_exec(db, RUNLOG_PRAGMAS, NULL, NULL, NULL) != SQLITE_OK) {
            errmsg_set(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
            sqlite3_close(db);
            db = NULL;
        }
    }
    if (!db && new_file)
        runlog_close_unmade(rl);   /* tables, no run yet */
    else
        runlog_close(rl);
    return db;
}

/* ---- the copy ------------------------------------------------------------ */

/* An identifier in double quotes (quotes doubled), appended to buf. */
static bool append_ident(char *buf, size_t len, const char *name)
{
    size_t o = strlen(buf);
    if (o + 1 >= len)
        return false;
    buf[o++] = '"';
    for (const char *p = name; *p; p++) {
        if (o + 3 >= len)
            return false;
        if (*p == '"')
            buf[o++] = '"';
        buf[o++] = *p;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return true;
}

static bool append_text(char *buf, size_t len, const char *text)
{
    size_t o = strlen(buf), n = strlen(text);
    if (o + n >= len)
        return false;
    memcpy(buf + o, text, n + 1);
    return true;
}

static bool wanted(const char *table, const char *const *tables)
{
    if (!tables)
        return true;
    for (; *tables; tables++)
        if (!strcmp(*tables, table))
            return true;
    return false;
}

/* One integer out of a one-row query with an optional text parameter. */
static int query_int(sqlite3 *db, const char *sql, const char *arg, int64_t *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
    if (rc == 0)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc;
}

/*
 * INSERT INTO main.T (run_id, c2, ...) SELECT m.new, t.c2, ... FROM
 * merge_in.T t JOIN temp.merge_map m ON m.old = t.run_id, every name from
 * esmsim's own table (ref), in the input's row order.  *copied: the rows
 * inserted.
 */
static int copy_table(sqlite3 *db, sqlite3 *ref, const char *table, int64_t *copied)
{
    char cols[MERGE_SQL_MAX] = "", exprs[MERGE_SQL_MAX] = "";
    sqlite3_stmt *st;
    sqlite3_stmt *has;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_xinfo(?1, 'merge_in')"
                           " WHERE name = ?2 COLLATE NOCASE", -1, &has, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_prepare_v2(ref, "SELECT name FROM pragma_table_xinfo(?1) ORDER BY cid", -1, &st,
                           NULL) != SQLITE_OK) {
        sqlite3_finalize(has);
        return -1;
    }
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(has, 1, table, -1, SQLITE_STATIC);
    /* a WITHOUT ROWID table is read in the order of its key, a rowid table
     * in the order it was written */
    bool rowless = false;
    sqlite3_stmt *wr;
    if (sqlite3_prepare_v2(ref, "SELECT wr FROM pragma_table_list(?1) WHERE schema = 'main'",
                           -1, &wr, NULL) == SQLITE_OK) {
        sqlite3_bind_text(wr, 1, table, -1, SQLITE_STATIC);
        rowless = sqlite3_step(wr) == SQLITE_ROW && sqlite3_column_int(wr, 0);
    }
    sqlite3_finalize(wr);
    bool ok = true;
    while (ok && sqlite3_step(st) == SQLITE_ROW) {
        const char *col = (const char *)sqlite3_column_text(st, 0);
        /* a column added since the input's version (runread_check_schema
         * allowed it) stays NULL */
        sqlite3_bind_text(has, 2, col, -1, SQLITE_TRANSIENT);
        bool in_input = sqlite3_step(has) == SQLITE_ROW;
        sqlite3_reset(has);
        if (!in_input)
            continue;
        ok = (!cols[0] || (append_text(cols, sizeof cols, ", ") &&
                           append_text(exprs, sizeof exprs, ", "))) &&
             append_ident(cols, sizeof cols, col) &&
             (!strcmp(col, "run_id") ? append_text(exprs, sizeof exprs, "m.new")
                                     : append_text(exprs, sizeof exprs, "t.") &&
                                       append_ident(exprs, sizeof exprs, col));
    }
    sqlite3_finalize(st);
    sqlite3_finalize(has);
    char sql[3 * MERGE_SQL_MAX] = "INSERT INTO main.";
    ok = ok && cols[0] && append_ident(sql, sizeof sql, table) &&
         append_text(sql, sizeof sql, " (") && append_text(sql, sizeof sql, cols) &&
         append_text(sql, sizeof sql, ") SELECT ") && append_text(sql, sizeof sql, exprs) &&
         append_text(sql, sizeof sql, " FROM merge_in.") && append_ident(sql, sizeof sql, table) &&
         append_text(sql, sizeof sql, " AS t JOIN temp.merge_map AS m ON m.old = t.run_id") &&
         (rowless || append_text(sql, sizeof sql, " ORDER BY t.rowid"));
    if (!ok || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    *copied = sqlite3_changes64(db);
    return rc == SQLITE_DONE ? 0 : -1;
}

int merge_append(sqlite3 *out, const char *in_path, const char *const *tables,
                 int64_t *offset, int64_t *n_runs, char *err, size_t errlen)
{
    char copying[128];
    struct runlog *rl = runread_reference(err, errlen);
    if (!rl)
        return -1;
    sqlite3 *ref = runlog_db(rl);
    sqlite3_stmt *st = NULL;
    char *uri = runread_read_uri(in_path, err, errlen);
    if (!uri) {
        runlog_close(rl);
        return ERRMSG_BAD_INPUT;
    }
    if (sqlite3_prepare_v2(out, "ATTACH DATABASE ? AS merge_in", -1, &st, NULL) != SQLITE_OK) {
        errmsg_set(err, errlen, "%s: attach: %s", in_path, sqlite3_errmsg(out));
        free(uri);
        runlog_close(rl);
        return -1;
    }
    sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    st = NULL;
    free(uri);
    if (rc != SQLITE_DONE) {
        errmsg_set(err, errlen, "%s: attach: %s", in_path, sqlite3_errmsg(out));
        runlog_close(rl);
        return ERRMSG_BAD_INPUT;
    }

    /* IMMEDIATE: the write lock at once, so that the offset stays right;
     * the input is checked in the snapshot that is copied. */
    const char *what = "begin transaction";
    int result = -1;
    if (sqlite3_exec(out, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        goto done;
    if (merge_check(out, ref, "merge_in", in_path, n_runs, err, errlen) < 0) {
        what = NULL;
        result = ERRMSG_BAD_INPUT;
        goto done;
    }
    what = "read the run ids";
    if (query_int(out, "SELECT coalesce(max(run_id), 0) FROM main.runs", NULL, offset) < 0)
        goto done;
    if (*offset < 0 || *offset > RUNREAD_MAX_RUN_ID - *n_runs) {
        errmsg_set(err, errlen, "%s: the output's run ids reach %" PRId64 ": no room for %" PRId64
                   " more (at most %lld)", in_path, *offset, *n_runs,
                   (long long)RUNREAD_MAX_RUN_ID);
        what = NULL;
        result = ERRMSG_BAD_INPUT;
        goto done;
    }
    what = "number the runs";
    if (sqlite3_exec(out, "CREATE TEMP TABLE merge_map (old INTEGER PRIMARY KEY,"
                     " new INTEGER NOT NULL)", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(out, "INSERT INTO temp.merge_map SELECT run_id,"
                           " ?1 + row_number() OVER (ORDER BY run_id) FROM merge_in.runs", -1,
                           &st, NULL) != SQLITE_OK)
        goto done;
    sqlite3_bind_int64(st, 1, *offset);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    st = NULL;
    if (rc != SQLITE_DONE)
        goto done;

    /* esmsim's tables, runs first */
    what = "read esmsim's tables";
    if (sqlite3_prepare_v2(ref, "SELECT name FROM sqlite_schema WHERE type = 'table'"
                           " ORDER BY name <> 'runs', rowid", -1, &st, NULL) != SQLITE_OK)
        goto done;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *table = (const char *)sqlite3_column_text(st, 0);
        int64_t in_input = 0, rows = 0, copied = 0;
        snprintf(copying, sizeof copying, "copy table %s", table);
        what = copying;
        if (query_int(out, "SELECT count(*) FROM merge_in.sqlite_schema WHERE type = 'table'"
                      " AND name = ?1 COLLATE NOCASE", table, &in_input) < 0)
            goto done;
        if (!in_input || !wanted(table, tables))
            continue;   /* sweep_results of a plain run log */
        /* the output has every table runlog_open makes, but sweep_results */
        if (!strcmp(table, "sweep_results") &&
            sqlite3_exec(out, RUNLOG_SWEEP_RESULTS_TABLE, NULL, NULL, NULL) != SQLITE_OK)
            goto done;
        char count_sql[128];
        snprintf(count_sql, sizeof count_sql, "SELECT count(*) FROM merge_in.\"%s\"", table);
        if (copy_table(out, ref, table, &copied) < 0 ||
            query_int(out, count_sql, NULL, &rows) < 0)
            goto done;
        if (copied != rows) {
            errmsg_set(err, errlen, "%s: table %s has %" PRId64 " row%s of no run (a run_id that"
                       " runs has not)", in_path, table, rows - copied,
                       rows - copied == 1 ? "" : "s");
            what = NULL;
            result = ERRMSG_BAD_INPUT;
            goto done;
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc != SQLITE_DONE)
        goto done;
    /* The indexes that reports use, as a run's end builds them. */
    what = "create indexes";
    if (!tables && sqlite3_exec(out, RUNLOG_INDEXES, NULL, NULL, NULL) != SQLITE_OK)
        goto done;
    what = "commit";
    if (sqlite3_exec(out, "DROP TABLE temp.merge_map", NULL, NULL, NULL) == SQLITE_OK &&
        sqlite3_exec(out, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        result = 0;
done:
    if (result == -1)
        errmsg_set(err, errlen, "%s: %s: %s", in_path, what, sqlite3_errmsg(out));
    sqlite3_finalize(st);
    if (!sqlite3_get_autocommit(out))
        sqlite3_exec(out, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_exec(out, "DROP TABLE IF EXISTS temp.merge_map", NULL, NULL, NULL);
    sqlite3_exec(out, "DETACH DATABASE merge_in", NULL, NULL, NULL);
    runlog_close(rl);
    return result;
}

/* ---- the command ------------------------------------------------------------ */

/* Two names of one file: the same device and inode. */
static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* What an input gave, said once it is in the output for good. */
struct merged {
    const char *in;
    int64_t n_runs, first, last, incomplete;
};

static void merge_say(const struct merged *m, const char *out_path, int64_t shift)
{
    printf("%s: %" PRId64 " run%s appended to %s as run%s %" PRId64, m->in, m->n_runs,
           m->n_runs == 1 ? "" : "s", out_path, m->n_runs == 1 ? "" : "s", m->first + shift);
    if (m->last != m->first)
        printf(" to %" PRId64, m->last + shift);
    if (m->incomplete)
        printf(" (%" PRId64 " incomplete)", m->incomplete);
    putchar('\n');
}

/* A message about tmp, the name of a new output while it is made, about
 * out_path, the name the user gave. */
static void merge_name_output(char *err, size_t errlen, const char *tmp, const char *out_path)
{
    size_t n = strlen(tmp);
    if (strncmp(err, tmp, n) == 0) {
        char rest[1024];
        snprintf(rest, sizeof rest, "%s", err + n);
        errmsg_set(err, errlen, "%s%s", out_path, rest);
    }
}

/*
 * The new output made whole under tmp (db, closed here) given its name
 * out_path: its WAL checkpointed into it and removed (the close), then
 * linked as out_path (the caller unlinks tmp), unless another process made
 * out_path meanwhile (a run into it): then tmp is appended to it as one
 * input, *shift then the ids it added to tmp's.  0, or an exit status with
 * a message.
 */
static int merge_publish(sqlite3 *db, const char *tmp, const char *out_path, int64_t *shift,
                         char *err, size_t errlen)
{
    *shift = 0;
    if (sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL)
        != SQLITE_OK) {
        errmsg_set(err, errlen, "%s: checkpoint: %s", out_path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return ERRMSG_FAILED;
    }
    sqlite3_close(db);
    if (link(tmp, out_path) == 0)   /* never replaces a file, as rename would */
        return 0;
    if (errno != EEXIST) {
        errmsg_set(err, errlen, "%s: cannot link %s to it: %s", out_path, tmp, strerror(errno));
        return ERRMSG_FAILED;
    }
    int64_t n_runs = 0;
    sqlite3 *out = merge_open(out_path, err, errlen);
    int rc = out ? merge_append(out, tmp, NULL, shift, &n_runs, err, errlen) : ERRMSG_BAD_INPUT;
    sqlite3_close(out);
    return rc < 0 ? rc : 0;
}

int merge_runs(const char *out_path, const char *const *in_paths, size_t n_in)
{
    char err[1024];
    struct stat *seen = calloc(n_in + 1, sizeof *seen);
    if (!seen) {
        fprintf(stderr, "esmsim merge: out of memory\n");
        return ERRMSG_FAILED;
    }
    bool out_exists = stat(out_path, &seen[0]) == 0;
    int rc = 0;
    /* Every input is checked before the output is touched. */
    struct runlog *ref = runread_reference(err, sizeof err);
    if (!ref) {
        fprintf(stderr, "esmsim merge: %s\n", err);
        free(seen);
        return ERRMSG_FAILED;
    }
    for (size_t i = 0; i < n_in && rc == 0; i++) {
        const char *in = in_paths[i];
        if (merge_check_file(in, runlog_db(ref), err, sizeof err) < 0) {
            fprintf(stderr, "esmsim merge: %s\n", err);
            rc = ERRMSG_BAD_INPUT;
            break;
        }
        if (stat(in, &seen[1 + i]) != 0)
            continue;   /* it was just read: cannot happen but for a race */
        if (out_exists && same_file(&seen[1 + i], &seen[0])) {
            fprintf(stderr, "esmsim merge: %s: is the output %s\n", in, out_path);
            rc = ERRMSG_BAD_INPUT;
        }
        for (size_t j = 0; j < i && rc == 0; j++)
            if (same_file(&seen[1 + i], &seen[1 + j])) {
                fprintf(stderr, "esmsim merge: %s: named twice (as %s)\n", in, in_paths[j]);
                rc = ERRMSG_BAD_INPUT;
            }
    }
    free(seen);
    runlog_close(ref);
    if (rc)
        return rc;

    /* From here a signal stops the merge between two steps of SQLite's: an
     * existing output keeps the inputs appended (each one transaction).  A
     * new one is made under a name of its own beside it (OUT.db.merge-XXXXXX)
     * and linked as OUT.db once whole, so that nothing, not even SIGKILL,
     * leaves a part of it under its name; its inputs are said once it is.
     * That name has a lock file, held until it is removed (leftover.h): a
     * merge killed outright leaves it unlocked, for the next merge into
     * OUT.db to remove. */
    struct stopsig_saved old;
    stopsig_catch(merge_on_signal, &old);   /* the stop signals, as they stop a run */
    struct leftover made = { .path = NULL };
    struct merged *said = calloc(n_in, sizeof *said);
    sqlite3 *db = NULL;
    if (!said) {
        fprintf(stderr, "esmsim merge: out of memory\n");
        rc = ERRMSG_FAILED;
        goto out;
    }
    if (!out_exists) {
        if (runlog_writable(out_path, err, sizeof err) < 0 ||
            leftover_make(&made, out_path, merge_infix, "the new output's temporary file", err,
                          sizeof err) < 0) {
            fprintf(stderr, "esmsim merge: %s\n", err);
            rc = ERRMSG_BAD_INPUT;
            goto out;
        }
    }
    if (!(db = merge_open(made.path ? made.path : out_path, err, sizeof err))) {
        if (made.path)
            merge_name_output(err, sizeof err, made.path, out_path);
        fprintf(stderr, "esmsim merge: %s\n", err);
        rc = merge_stopped ? ERRMSG_INTERRUPTED : ERRMSG_BAD_INPUT;
        goto out;
    }
    /* Once the output is open (OUT.db checked, or the new one made): the
     * files of killed merges, beside an existing OUT.db too (a run made it
     * after the kill, or the merge was killed once it had linked it). */
    size_t left = leftover_remove_unlocked(out_path, merge_infix);
    if (left == 1)
        fprintf(stderr, "esmsim merge: removed the temporary output a killed merge left beside"
                " %s\n", out_path);
    else if (left > 1)
        fprintf(stderr, "esmsim merge: removed the temporary outputs %zu killed merges left"
                " beside %s\n", left, out_path);
    sqlite3_progress_handler(db, 1000, merge_progress, NULL);
    size_t n_said = 0;
    for (size_t i = 0; i < n_in; i++) {
        const char *in = in_paths[i];
        int64_t offset = 0;
        struct merged *m = &said[n_said];
        int appended = merge_stopped ? ERRMSG_INTERRUPTED
                       : merge_append(db, in, NULL, &offset, &m->n_runs, err, sizeof err);
        if (appended < 0 && merge_stopped) {
            fprintf(stderr, "esmsim merge: interrupted: %s not appended (nothing of it was"
                    " written to %s)\n", in, out_path);
            rc = ERRMSG_INTERRUPTED;
            break;
        }
        if (appended < 0) {
            if (made.path)
                merge_name_output(err, sizeof err, made.path, out_path);
            fprintf(stderr, "esmsim merge: %s (nothing of it was written to %s)\n", err, out_path);
            rc = appended;   /* ERRMSG_FAILED or ERRMSG_BAD_INPUT */
            break;
        }
        m->in = in;
        /* The new ids, as committed: runs above the offset. */
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, "SELECT min(run_id), max(run_id), count(*) FILTER"
                               " (WHERE complete = 0) FROM runs WHERE run_id > ?", -1, &st,
                               NULL) == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, offset);
            if (sqlite3_step(st) == SQLITE_ROW) {
                m->first = sqlite3_column_int64(st, 0);
                m->last = sqlite3_column_int64(st, 1);
                m->incomplete = sqlite3_column_int64(st, 2);
            }
            sqlite3_finalize(st);
        }
        if (made.path)
            n_said++;
        else
            merge_say(m, out_path, 0);
    }
    sqlite3_progress_handler(db, 0, NULL, NULL);
    if (made.path && rc == 0) {
        int64_t shift = 0;
        rc = merge_publish(db, made.path, out_path, &shift, err, sizeof err);
        db = NULL;
        if (rc)
            fprintf(stderr, "esmsim merge: %s\n", err);
        for (size_t i = 0; rc == 0 && i < n_said; i++)
            merge_say(&said[i], out_path, shift);
    }
    if (made.path && rc)
        fprintf(stderr, "esmsim merge: %s not made (a new output is made whole or not at all)\n",
                out_path);
out:
    sqlite3_close(db);
    leftover_remove(&made);   /* its -wal and -shm, if any, and once linked, its name */
    free(said);
    stopsig_restore(&old);
    return rc;
}
