/*
 * merge.c - appending the runs of one run log to another: see merge.h.
 *
 * The input is ATTACHed to the output's connection and copied table by
 * table with INSERT ... SELECT, run_id shifted by a bound offset: SQLite
 * moves the rows itself, nothing is loaded into memory.  Tables and columns
 * are found by name in the input's schema, so a table added to the run log
 * later is merged too without a change here.
 */
#include "merge.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "errmsg.h"
#include "runlog.h"
#include "runread.h"

#define MERGE_MAX_TABLES 64
#define MERGE_SQL_MAX 8192

sqlite3 *merge_open(const char *path, char *err, size_t errlen)
{
    /* runlog_open creates the file and its tables, or checks that it is a
     * run log of this schema version; the copy then needs a plain
     * connection. */
    struct runlog *rl = runlog_open(path, err, errlen);
    if (!rl)
        return NULL;
    runlog_close(rl);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        errmsg_set(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 60000);   /* another esmsim may be appending */
    if (sqlite3_exec(db, RUNLOG_PRAGMAS, NULL, NULL, NULL) != SQLITE_OK) {
        errmsg_set(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
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

/* The tables of the input that have a run_id column, runs first. */
static int list_tables(sqlite3 *db, char *names[], char *sqls[], size_t *n)
{
    static const char sql[] =
        "SELECT t.name, t.sql FROM merge_in.sqlite_schema t WHERE t.type = 'table'"
        " AND EXISTS (SELECT 1 FROM pragma_table_info(t.name, 'merge_in') p"
        "             WHERE p.name = 'run_id')"
        " ORDER BY t.name <> 'runs', t.rowid";
    sqlite3_stmt *st;
    *n = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < MERGE_MAX_TABLES) {
        names[*n] = strdup((const char *)sqlite3_column_text(st, 0));
        sqls[*n] = strdup((const char *)sqlite3_column_text(st, 1));
        if (!names[*n] || !sqls[*n]) {
            free(names[*n]);
            free(sqls[*n]);
            break;
        }
        (*n)++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
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
 * INSERT INTO main.T (c1, ...) SELECT c1 (run_id + ?1), ... FROM merge_in.T,
 * creating T in the output from the input's CREATE TABLE when it is missing.
 */
static int copy_table(sqlite3 *db, const char *table, const char *create, int64_t offset)
{
    int64_t exists = 0;
    if (query_int(db, "SELECT count(*) FROM main.sqlite_schema WHERE type = 'table' AND name = ?",
                  table, &exists) < 0)
        return -1;
    if (!exists && sqlite3_exec(db, create, NULL, NULL, NULL) != SQLITE_OK)
        return -1;

    char cols[MERGE_SQL_MAX] = "", exprs[MERGE_SQL_MAX] = "";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info(?, 'merge_in') ORDER BY cid",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    bool ok = true;
    int rc;
    while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *col = (const char *)sqlite3_column_text(st, 0);
        ok = (!cols[0] || (append_text(cols, sizeof cols, ", ") &&
                           append_text(exprs, sizeof exprs, ", "))) &&
             append_ident(cols, sizeof cols, col) &&
             (!strcmp(col, "run_id") ? append_text(exprs, sizeof exprs, "run_id + ?1")
                                     : append_ident(exprs, sizeof exprs, col));
    }
    sqlite3_finalize(st);
    if (!ok)
        return -1;

    char sql[3 * MERGE_SQL_MAX] = "INSERT INTO main.";
    ok = append_ident(sql, sizeof sql, table) && append_text(sql, sizeof sql, " (") &&
         append_text(sql, sizeof sql, cols) && append_text(sql, sizeof sql, ") SELECT ") &&
         append_text(sql, sizeof sql, exprs) && append_text(sql, sizeof sql, " FROM merge_in.") &&
         append_ident(sql, sizeof sql, table) && append_text(sql, sizeof sql, " ORDER BY rowid");
    if (!ok || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, offset);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int merge_append(sqlite3 *out, const char *in_path, const char *const *tables,
                 int64_t *offset, int64_t *n_runs, char *err, size_t errlen)
{
    char *names[MERGE_MAX_TABLES], *sqls[MERGE_MAX_TABLES], copying[128];
    size_t n = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(out, "ATTACH DATABASE ? AS merge_in", -1, &st, NULL) != SQLITE_OK) {
        errmsg_set(err, errlen, "%s: attach: %s", in_path, sqlite3_errmsg(out));
        return -1;
    }
    sqlite3_bind_text(st, 1, in_path, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        errmsg_set(err, errlen, "%s: attach: %s", in_path, sqlite3_errmsg(out));
        return -1;
    }

    /* IMMEDIATE: the write lock at once, so that the offset stays right. */
    const char *what = "begin transaction";
    if (sqlite3_exec(out, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        goto done;
    what = "read the run ids";
    if (query_int(out, "SELECT coalesce(max(run_id), 0) FROM main.runs", NULL, offset) < 0 ||
        query_int(out, "SELECT count(*) FROM merge_in.runs", NULL, n_runs) < 0)
        goto done;
    what = "read the tables";
    if (list_tables(out, names, sqls, &n) < 0)
        goto done;
    for (size_t i = 0; i < n; i++) {
        if (!wanted(names[i], tables))
            continue;
        snprintf(copying, sizeof copying, "copy table %s", names[i]);
        what = copying;
        if (copy_table(out, names[i], sqls[i], *offset) < 0)
            goto done;
    }
    /* The indexes that reports use, as a run's end builds them. */
    what = "create indexes";
    if (!tables && sqlite3_exec(out, RUNLOG_INDEXES, NULL, NULL, NULL) != SQLITE_OK)
        goto done;
    what = "commit";
    if (sqlite3_exec(out, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        what = NULL;
done:
    if (what) {
        errmsg_set(err, errlen, "%s: %s: %s", in_path, what, sqlite3_errmsg(out));
        if (!sqlite3_get_autocommit(out))
            sqlite3_exec(out, "ROLLBACK", NULL, NULL, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
        free(sqls[i]);
    }
    sqlite3_exec(out, "DETACH DATABASE merge_in", NULL, NULL, NULL);
    return what ? -1 : 0;
}

/* ---- the command ------------------------------------------------------------ */

static void merge_usage(FILE *out)
{
    fprintf(out, "usage: esmsim merge OUT.db IN.db...\n"
                 "append every run of each IN.db (written by esmsim run -o or esmsim sweep -o)\n"
                 "to OUT.db (created if missing), with new run ids\n");
}

/* Two names of one file: the same device and inode. */
static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

int merge_main(int argc, char **argv)
{
    char err[1024];
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-') {
            if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
                merge_usage(stdout);
                return 0;
            }
            fprintf(stderr, "esmsim merge: unknown option: %s\n", argv[i]);
            return 2;
        }
    }
    if (argc < 3) {
        merge_usage(stderr);
        return 2;
    }
    const char *out_path = argv[1];
    int n_in = argc - 2;
    struct stat *seen = calloc((size_t)n_in + 1, sizeof *seen);
    if (!seen) {
        fprintf(stderr, "esmsim merge: out of memory\n");
        return 1;
    }
    bool out_exists = stat(out_path, &seen[0]) == 0;
    int rc = 0;
    /* Every input is checked before the output is touched. */
    for (int i = 0; i < n_in && rc == 0; i++) {
        const char *in = argv[2 + i];
        struct runread rr;
        if (runread_open(&rr, in, 0, err, sizeof err) < 0) {
            fprintf(stderr, "esmsim merge: %s\n", err);
            rc = 2;
            break;
        }
        runread_close(&rr);
        if (stat(in, &seen[1 + i]) != 0)
            continue;   /* runread_open read it: cannot happen but for a race */
        if (out_exists && same_file(&seen[1 + i], &seen[0])) {
            fprintf(stderr, "esmsim merge: %s: is the output %s\n", in, out_path);
            rc = 2;
        }
        for (int j = 0; j < i && rc == 0; j++)
            if (same_file(&seen[1 + i], &seen[1 + j])) {
                fprintf(stderr, "esmsim merge: %s: named twice (as %s)\n", in, argv[2 + j]);
                rc = 2;
            }
    }
    free(seen);
    if (rc)
        return rc;

    sqlite3 *db = merge_open(out_path, err, sizeof err);
    if (!db) {
        fprintf(stderr, "esmsim merge: %s\n", err);
        return 2;
    }
    for (int i = 0; i < n_in; i++) {
        const char *in = argv[2 + i];
        int64_t offset = 0, n_runs = 0, first = 0, last = 0, incomplete = 0;
        if (merge_append(db, in, NULL, &offset, &n_runs, err, sizeof err) < 0) {
            fprintf(stderr, "esmsim merge: %s (nothing of it was written to %s)\n", err, out_path);
            rc = 1;
            break;
        }
        /* The new ids, as committed: runs above the offset. */
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, "SELECT min(run_id), max(run_id), count(*) FILTER"
                               " (WHERE complete = 0) FROM runs WHERE run_id > ?", -1, &st,
                               NULL) == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, offset);
            if (sqlite3_step(st) == SQLITE_ROW) {
                first = sqlite3_column_int64(st, 0);
                last = sqlite3_column_int64(st, 1);
                incomplete = sqlite3_column_int64(st, 2);
            }
            sqlite3_finalize(st);
        }
        printf("%s: %" PRId64 " run%s appended to %s as run%s %" PRId64, in, n_runs,
               n_runs == 1 ? "" : "s", out_path, n_runs == 1 ? "" : "s", first);
        if (last != first)
            printf(" to %" PRId64, last);
        if (incomplete)
            printf(" (%" PRId64 " incomplete)", incomplete);
        putchar('\n');
    }
    sqlite3_close(db);
    return rc;
}
