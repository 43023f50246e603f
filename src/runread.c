/*
 * runread.c - reading a run log back: see runread.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "runlog.h"
#include "runread.h"

/* One integer from a one-row query; -1 when it fails or has no row. */
static int query_int(sqlite3 *db, const char *sql, int64_t arg, int64_t *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (strchr(sql, '?'))
        sqlite3_bind_int64(st, 1, arg);
    int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
    if (rc == 0)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc;
}

int runread_open(struct runread *rr, const char *path, int64_t run_id,
                 char *err, size_t errlen)
{
    *rr = (struct runread){ .path = path };
    int64_t app = 0, version = 0, first = 0, last = 0, complete = 0;
    if (sqlite3_open_v2(path, &rr->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        errmsg_set(err, errlen, "%s: cannot open: %s", path,
                   rr->db ? sqlite3_errmsg(rr->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(rr->db, 5000);   /* a sweep may be appending */
    if (query_int(rr->db, "PRAGMA application_id", 0, &app) < 0) {
        errmsg_set(err, errlen, "%s: cannot read: %s", path, sqlite3_errmsg(rr->db));
        goto fail;
    }
    if (app != RUNLOG_APPLICATION_ID) {
        errmsg_set(err, errlen, "%s: not an esmsim run log", path);
        goto fail;
    }
    if (query_int(rr->db, "PRAGMA user_version", 0, &version) < 0 ||
        version < RUNLOG_SCHEMA_VERSION_READ || version > RUNLOG_SCHEMA_VERSION) {
        errmsg_set(err, errlen, "%s: run log schema version %lld, this esmsim reads versions"
                   " %d to %d", path, (long long)version, RUNLOG_SCHEMA_VERSION_READ,
                   RUNLOG_SCHEMA_VERSION);
        goto fail;
    }
    if (query_int(rr->db, "SELECT min(run_id) FROM runs", 0, &first) < 0 ||
        query_int(rr->db, "SELECT max(run_id) FROM runs", 0, &last) < 0 || last == 0) {
        errmsg_set(err, errlen, "%s: the run log holds no run", path);
        goto fail;
    }
    rr->run_id = run_id ? run_id : last;
    if (query_int(rr->db, "SELECT complete FROM runs WHERE run_id = ?", rr->run_id, &complete) < 0) {
        errmsg_set(err, errlen, "%s: no run %lld (the runs are %lld to %lld)", path,
                   (long long)run_id, (long long)first, (long long)last);
        goto fail;
    }
    rr->complete = complete != 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rr->db, "SELECT scenario FROM runs WHERE run_id = ?", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, rr->run_id);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            snprintf(rr->scenario, sizeof rr->scenario, "%s",
                     (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    return 0;
fail:
    runread_close(rr);
    return -1;
}

void runread_close(struct runread *rr)
{
    sqlite3_close(rr->db);
    rr->db = NULL;
}

int runread_parse_run_id(const char *text, int64_t *run_id, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long long v = text[0] >= '0' && text[0] <= '9' ? strtoll(text, &end, 10) : 0;
    if (v <= 0 || errno || *end) {
        errmsg_set(err, errlen, "--run: expected a run id, a positive integer, got \"%s\"", text);
        return -1;
    }
    *run_id = v;
    return 0;
}

void runread_fail(struct runread *rr, const char *what)
{
    runread_failf(rr, "%s: %s", what, sqlite3_errmsg(rr->db));
}

void runread_failf(struct runread *rr, const char *fmt, ...)
{
    if (rr->failed)
        return;
    rr->failed = true;
    int n = snprintf(rr->err, sizeof rr->err, "%s: ", rr->path);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < sizeof rr->err)
        vsnprintf(rr->err + n, sizeof rr->err - (size_t)n, fmt, ap);
    va_end(ap);
}

sqlite3_stmt *runread_prepare(struct runread *rr, const char *sql, const char *what)
{
    sqlite3_stmt *st = NULL;
    if (rr->failed)
        return NULL;
    if (sqlite3_prepare_v2(rr->db, sql, -1, &st, NULL) != SQLITE_OK) {
        runread_fail(rr, what);
        sqlite3_finalize(st);
        return NULL;
    }
    if (sqlite3_bind_parameter_count(st) > 0)
        sqlite3_bind_int64(st, 1, rr->run_id);
    return st;
}

bool runread_row(struct runread *rr, sqlite3_stmt *st, const char *what)
{
    if (!st)
        return false;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return true;
    if (rc != SQLITE_DONE)
        runread_fail(rr, what);
    return false;
}
