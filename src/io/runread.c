/*
 * runread.c - reading a run log back: see runread.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
#include "fmt.h"
#include "runlog.h"
#include "runread.h"

#define RUNREAD_MAX_COLUMNS 64   /* of one table of esmsim's */

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

/* ---- opening: read-only media, URIs ------------------------------------------ */

/* path followed by ext ("-wal") exists and is not empty. */
static bool side_file(const char *path, const char *ext, bool nonempty)
{
    char side[4200];
    struct stat st;
    snprintf(side, sizeof side, "%s%s", path, ext);
    return stat(side, &st) == 0 && (!nonempty || st.st_size > 0);
}

int runread_media(const char *path, bool *immutable, char *err, size_t errlen)
{
    *immutable = false;
    char dir[4200];
    if (access(fmt_dir(path, dir, sizeof dir), W_OK) == 0)
        return 0;   /* SQLite makes -shm if it needs one */
    const char *why = strerror(errno);
    if (side_file(path, "-shm", false))
        return 0;   /* SQLite reads through the one there */
    const char *pending = side_file(path, "-wal", true) ? "-wal"
                          : side_file(path, "-journal", true) ? "-journal" : NULL;
    if (pending) {
        errmsg_set(err, errlen, "%s: the directory %s is not writable (%s), and %s%s holds"
                   " commits that SQLite can only read by writing beside the file: copy %s and"
                   " %s%s to a writable directory and read the copy", path, dir, why, path,
                   pending, path, path, pending);
        return -1;
    }
    *immutable = true;
    return 0;
}

char *runread_uri(const char *path, const char *query)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t len = strlen(path);
    char *uri = malloc(3 * len + (query ? strlen(query) : 0) + 16);
    if (!uri)
        return NULL;
    /* "file:///abs" (an empty authority) or "file:rel", every byte but the
     * unreserved ones and '/' encoded */
    size_t o = (size_t)sprintf(uri, path[0] == '/' ? "file://" : "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p)) {
            uri[o++] = (char)*p;
        } else {
            uri[o++] = '%';
            uri[o++] = hex[*p >> 4];
            uri[o++] = hex[*p & 15];
        }
    }
    sprintf(uri + o, "%s%s", query ? "?" : "", query ? query : "");
    return uri;
}

char *runread_read_uri(const char *path, char *err, size_t errlen)
{
    bool immutable;
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {   /* SQLite's open of a FIFO waits for ever */
        errmsg_set(err, errlen, "%s: cannot read: not a regular file (%s)", path, fmt_file_kind(st.st_mode));
        return NULL;
    }
    if (runread_media(path, &immutable, err, errlen) < 0)
        return NULL;
    char *uri = runread_uri(path, immutable ? "mode=ro&immutable=1" : "mode=ro");
    if (!uri)
        errmsg_set(err, errlen, "%s: out of memory", path);
    return uri;
}

void runread_harden(sqlite3 *db)
{
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
}

/* ---- the schema ------------------------------------------------------------------ */

/* Names read from a file, for messages. */
#define SAFE(s, buf) fmt_text((const char *)(s), buf, sizeof buf)

/* The columns of table in the reference schema (main of ref). */
static int ref_columns(sqlite3 *ref, const char *table, char *names[], size_t *n)
{
    sqlite3_stmt *st;
    *n = 0;
    if (sqlite3_prepare_v2(ref, "SELECT name FROM pragma_table_xinfo(?1) ORDER BY cid", -1, &st,
                           NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < RUNREAD_MAX_COLUMNS)
        if (!(names[(*n)++] = strdup((const char *)sqlite3_column_text(st, 0))))
            break;
    sqlite3_finalize(st);
    return rc == SQLITE_DONE && (*n == 0 || names[*n - 1]) ? 0 : -1;
}

/* Table of schema in db against ref's: 1 when absent, 0 when it matches,
 * -1 with a message. */
static int check_table(sqlite3 *db, const char *schema, sqlite3 *ref, const char *table,
                       const char *path, bool strict, char *err, size_t errlen)
{
    char *names[RUNREAD_MAX_COLUMNS];
    size_t n = 0;
    char a[128], b[128];
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (ref_columns(ref, table, names, &n) < 0) {
        errmsg_set(err, errlen, "%s: the columns of %s: %s", path, table, sqlite3_errmsg(ref));
        goto out;
    }
    /* its kind: table, view, virtual, shadow; wr: WITHOUT ROWID */
    if (sqlite3_prepare_v2(db, "SELECT type, wr FROM pragma_table_list(?1) WHERE schema = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        goto sql_error;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, schema, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        rc = 1;
        goto out;
    }
    if (step != SQLITE_ROW)
        goto sql_error;
    if (strcmp((const char *)sqlite3_column_text(st, 0), "table") != 0) {
        errmsg_set(err, errlen, "%s: %s is a %s, not a table: not an esmsim run log", path, table,
                   SAFE(sqlite3_column_text(st, 0), a));
        goto out;
    }
    int ref_wr = -1;
    sqlite3_stmt *rst;
    if (sqlite3_prepare_v2(ref, "SELECT wr FROM pragma_table_list(?1) WHERE schema = 'main'", -1,
                           &rst, NULL) == SQLITE_OK) {
        sqlite3_bind_text(rst, 1, table, -1, SQLITE_STATIC);
        if (sqlite3_step(rst) == SQLITE_ROW)
            ref_wr = sqlite3_column_int(rst, 0);
    }
    sqlite3_finalize(rst);
    if (sqlite3_column_int(st, 1) != ref_wr) {
        errmsg_set(err, errlen, "%s: table %s is %sWITHOUT ROWID: not an esmsim run log", path,
                   table, ref_wr ? "not " : "");
        goto out;
    }
    sqlite3_finalize(st);
    /* every column of the file's table: esmsim's (strict), none generated */
    if (sqlite3_prepare_v2(db, "SELECT name, hidden FROM pragma_table_xinfo(?1, ?2)", -1, &st,
                           NULL) != SQLITE_OK)
        goto sql_error;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, schema, -1, SQLITE_STATIC);
    size_t found = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *col = (const char *)sqlite3_column_text(st, 0);
        size_t k = 0;
        while (k < n && sqlite3_stricmp(names[k], col ? col : "") != 0)
            k++;
        if (k < n && sqlite3_column_int(st, 1) != 0) {
            errmsg_set(err, errlen, "%s: column %s.%s is generated or hidden: esmsim's columns"
                       " hold values only", path, table, SAFE(col, a));
            goto out;
        }
        if (k == n && strict) {
            errmsg_set(err, errlen, "%s: table %s has a column %s that esmsim's has not", path,
                       table, SAFE(col, a));
            goto out;
        }
        found += k < n;
    }
    if (step != SQLITE_DONE)
        goto sql_error;
    if (found != n) {
        /* which one: the first of esmsim's the file lacks */
        for (size_t k = 0; k < n; k++) {
            sqlite3_reset(st);
            int64_t has = 0;
            while (sqlite3_step(st) == SQLITE_ROW)
                has |= sqlite3_stricmp(names[k], (const char *)sqlite3_column_text(st, 0)) == 0;
            if (!has) {
                errmsg_set(err, errlen, "%s: table %s has no column %s: not an esmsim run log of"
                           " this version", path, table, SAFE(names[k], b));
                goto out;
            }
        }
    }
    rc = 0;
    goto out;
sql_error:
    errmsg_set(err, errlen, "%s: reading the schema: %s", path, sqlite3_errmsg(db));
out:
    sqlite3_finalize(st);
    for (size_t k = 0; k < n; k++)
        free(names[k]);
    return rc;
}

/* strict: every object of schema but indexes and SQLite's own tables is one
 * of ref's tables. */
static int check_objects(sqlite3 *db, const char *schema, sqlite3 *ref, const char *path,
                         char *err, size_t errlen)
{
    char sql[200], a[128], b[128];
    sqlite3_stmt *st, *known;
    snprintf(sql, sizeof sql, "SELECT type, name, sql FROM \"%s\".sqlite_schema WHERE type <> 'index'"
             " AND name NOT LIKE 'sqlite\\_%%' ESCAPE '\\' ORDER BY rowid", schema);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        errmsg_set(err, errlen, "%s: reading the schema: %s", path, sqlite3_errmsg(db));
        return -1;
    }
    /* a table of esmsim's, or one of its views or triggers, word for word */
    if (sqlite3_prepare_v2(ref, "SELECT 1 FROM sqlite_schema WHERE type = ?2 AND name = ?1"
                           " COLLATE NOCASE AND (type = 'table' OR sql IS ?3)", -1, &known,
                           NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        errmsg_set(err, errlen, "%s: reading esmsim's schema: %s", path, sqlite3_errmsg(ref));
        return -1;
    }
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        sqlite3_bind_text(known, 1, name ? name : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(known, 2, type ? type : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(known, 3, (const char *)sqlite3_column_text(st, 2), -1,
                          SQLITE_TRANSIENT);
        bool ok = type && sqlite3_step(known) == SQLITE_ROW;
        sqlite3_reset(known);
        if (!ok) {
            errmsg_set(err, errlen, "%s: holds %s %s, which an esmsim run log has not", path,
                       SAFE(type, a), SAFE(name, b));
            rc = -1;
        }
    }
    if (rc == 0 && step != SQLITE_DONE) {
        errmsg_set(err, errlen, "%s: reading the schema: %s", path, sqlite3_errmsg(db));
        rc = -1;
    }
    sqlite3_finalize(st);
    sqlite3_finalize(known);
    return rc;
}

struct runlog *runread_reference(char *err, size_t errlen)
{
    struct runlog *rl = runlog_open(":memory:", err, errlen);
    if (rl && sqlite3_exec(runlog_db(rl), RUNLOG_SWEEP_RESULTS_TABLE, NULL, NULL, NULL) != SQLITE_OK) {
        errmsg_set(err, errlen, "esmsim's schema: %s", sqlite3_errmsg(runlog_db(rl)));
        runlog_close(rl);
        rl = NULL;
    }
    return rl;
}

/* Every view and trigger of ref is in schema of db, word for word: the
 * readers read the SPEC's tables through these views. */
static int check_views(sqlite3 *db, const char *schema, sqlite3 *ref, const char *path,
                       char *err, size_t errlen)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT sql IS ?3 FROM \"%s\".sqlite_schema WHERE type = ?1"
             " AND name = ?2", schema);
    sqlite3_stmt *st = NULL, *mine = NULL;
    int rc = -1, step;
    if (sqlite3_prepare_v2(ref, "SELECT type, name, sql FROM sqlite_schema WHERE type IN"
                           " ('view', 'trigger') ORDER BY rowid", -1, &mine, NULL) != SQLITE_OK
        || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        errmsg_set(err, errlen, "%s: reading the schema: %s", path, sqlite3_errmsg(db));
        goto out;
    }
    while ((step = sqlite3_step(mine)) == SQLITE_ROW) {
        for (int k = 0; k < 3; k++)
            sqlite3_bind_text(st, k + 1, (const char *)sqlite3_column_text(mine, k), -1,
                              SQLITE_TRANSIENT);
        int found = sqlite3_step(st);
        if (found != SQLITE_ROW || !sqlite3_column_int(st, 0)) {
            errmsg_set(err, errlen, "%s: %s %s %s: not an esmsim run log of this version", path,
                       found == SQLITE_ROW ? "has another" : "has no",
                       (const char *)sqlite3_column_text(mine, 0),
                       (const char *)sqlite3_column_text(mine, 1));
            goto out;
        }
        sqlite3_reset(st);
    }
    rc = step == SQLITE_DONE ? 0 : -1;
    if (rc < 0)
        errmsg_set(err, errlen, "%s: esmsim's schema: %s", path, sqlite3_errmsg(ref));
out:
    sqlite3_finalize(st);
    sqlite3_finalize(mine);
    return rc;
}

int runread_check_schema(sqlite3 *db, const char *schema, sqlite3 *ref, int64_t version,
                         const char *path, bool strict, char *err, size_t errlen)
{
    (void)version;   /* runread_check_version took this one only */
    sqlite3_stmt *st = NULL;
    int rc = -1, step;
    if (sqlite3_prepare_v2(ref, "SELECT name FROM sqlite_schema WHERE type = 'table'"
                           " ORDER BY name <> 'runs', rowid", -1, &st, NULL) != SQLITE_OK) {
        errmsg_set(err, errlen, "%s: esmsim's schema: %s", path, sqlite3_errmsg(ref));
        goto out;
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *table = (const char *)sqlite3_column_text(st, 0);
        int found = check_table(db, schema, ref, table, path, strict, err, errlen);
        if (found < 0)
            goto out;
        if (found > 0 && strcmp(table, "sweep_results") != 0) {
            errmsg_set(err, errlen, "%s: has no table %s: not an esmsim run log of this version",
                       path, table);
            goto out;
        }
    }
    if (step != SQLITE_DONE) {
        errmsg_set(err, errlen, "%s: esmsim's schema: %s", path, sqlite3_errmsg(ref));
        goto out;
    }
    rc = check_views(db, schema, ref, path, err, errlen) < 0 ? -1
         : strict ? check_objects(db, schema, ref, path, err, errlen) : 0;
out:
    sqlite3_finalize(st);
    return rc;
}

void runread_not_run_log(sqlite3 *db, const char *schema, int64_t app, const char *path,
                         char *err, size_t errlen)
{
    char sql[96];
    int64_t objects = -1;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\".sqlite_schema", schema);
    if (app == 0 && query_int(db, sql, 0, &objects) == 0 && objects == 0)
        errmsg_set(err, errlen, "%s: an empty database, no run in it (a run killed as it began"
                   " leaves one)", path);
    else
        errmsg_set(err, errlen, "%s: not an esmsim run log", path);
}

int runread_check_version(int64_t version, const char *path, char *err, size_t errlen)
{
    if (version >= RUNLOG_SCHEMA_VERSION_READ && version <= RUNLOG_SCHEMA_VERSION)
        return 0;
    if (version >= 0 && version < RUNLOG_SCHEMA_VERSION_READ)
        errmsg_set(err, errlen, "%s: run log schema version %lld, this esmsim reads version %d"
                   " only: the log was made by an older esmsim, whose per-record tables this one"
                   " stores anew; run the scenario again with this esmsim to make a new log",
                   path, (long long)version, RUNLOG_SCHEMA_VERSION);
    else
        errmsg_set(err, errlen, "%s: run log schema version %lld, this esmsim reads version %d"
                   " only: read the log with the newer esmsim that made it, or run the scenario"
                   " again with this one", path, (long long)version, RUNLOG_SCHEMA_VERSION);
    return -1;
}

/* ---- runs ------------------------------------------------------------------------ */

int runread_check_runs(sqlite3 *db, const char *schema, const char *path, int64_t *n_runs,
                       char *err, size_t errlen)
{
    char sql[200], a[64];
    snprintf(sql, sizeof sql, "SELECT count(*), (SELECT quote(run_id) FROM \"%s\".runs"
             " WHERE typeof(run_id) <> 'integer' OR run_id < 1 OR run_id > ?1 LIMIT 1)"
             " FROM \"%s\".runs", schema, schema);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        errmsg_set(err, errlen, "%s: cannot read: %s", path, sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_int64(st, 1, RUNREAD_MAX_RUN_ID);
    int rc = -1;
    if (sqlite3_step(st) != SQLITE_ROW)
        errmsg_set(err, errlen, "%s: cannot read: %s", path, sqlite3_errmsg(db));
    else if (sqlite3_column_type(st, 1) != SQLITE_NULL)
        errmsg_set(err, errlen, "%s: a run has the id %s: expected an integer from 1 to %lld"
                   " (an esmsim run log numbers its runs 1, 2, ...)", path,
                   SAFE(sqlite3_column_text(st, 1), a), (long long)RUNREAD_MAX_RUN_ID);
    else if (sqlite3_column_int64(st, 0) == 0)
        errmsg_set(err, errlen, "%s: the run log holds no run", path);
    else
        rc = 0;
    if (rc == 0 && n_runs)
        *n_runs = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc;
}

/* The chosen run's row: its times in range, its scenario's name. */
static int read_run(struct runread *rr, char *err, size_t errlen)
{
    static const char *const cols[] = { "duration_ms", "end_ms" };
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rr->db, "SELECT duration_ms, end_ms, complete, scenario,"
                           " EXISTS (SELECT 1 FROM shards WHERE run_id = ?1) FROM runs"
                           " WHERE run_id = ?1", -1, &st, NULL) != SQLITE_OK) {
        errmsg_set(err, errlen, "%s: cannot read: %s", rr->path, sqlite3_errmsg(rr->db));
        return -1;
    }
    sqlite3_bind_int64(st, 1, rr->run_id);
    int rc = -1;
    if (sqlite3_step(st) != SQLITE_ROW) {
        errmsg_set(err, errlen, "%s: cannot read run %lld: %s", rr->path, (long long)rr->run_id,
                   sqlite3_errmsg(rr->db));
        goto out;
    }
    for (int c = 0; c < 2; c++) {
        int type = sqlite3_column_type(st, c);
        int64_t v = sqlite3_column_int64(st, c);
        if ((type == SQLITE_NULL && c == 1) ||
            (type == SQLITE_INTEGER && v >= 0 && v <= RUNREAD_MAX_MS))
            continue;
        char a[64];
        errmsg_set(err, errlen, "%s: run %lld: runs.%s is %s: expected a time from 0 to %lld ms",
                   rr->path, (long long)rr->run_id, cols[c],
                   type == SQLITE_NULL ? "NULL" : SAFE(sqlite3_column_text(st, c), a),
                   (long long)RUNREAD_MAX_MS);
        goto out;
    }
    rr->complete = sqlite3_column_int64(st, 2) != 0;
    /* A stream has a shard from the start: a complete run without one has
     * lost its tables (a sweep's run, without --keep-runs), and its figures
     * would all read 0. */
    if (rr->complete && !sqlite3_column_int(st, 4)) {
        errmsg_set(err, errlen, "%s: run %lld has only its runs row (without --keep-runs, a"
                   " sweep keeps no more of a run): its figures are in sweep_results, and the same"
                   " sweep with --keep-runs simulates it again with every table", rr->path,
                   (long long)rr->run_id);
        goto out;
    }
    fmt_text((const char *)sqlite3_column_text(st, 3), rr->scenario, sizeof rr->scenario);
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

int runread_open(struct runread *rr, const char *path, int64_t run_id,
                 char *err, size_t errlen)
{
    *rr = (struct runread){ .path = path };
    int64_t app = 0, version = 0, first = 0, last = 0, exists = 0;
    struct runlog *ref = NULL;
    char *uri = runread_read_uri(path, err, errlen);
    if (!uri)
        return -1;
    int rc = sqlite3_open_v2(uri, &rr->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    free(uri);
    if (rc != SQLITE_OK) {
        int sys = rr->db ? sqlite3_system_errno(rr->db) : 0;
        errmsg_set(err, errlen, "%s: cannot open: %s%s%s%s", path,
                   rr->db ? sqlite3_errmsg(rr->db) : sqlite3_errstr(rc),
                   sys ? " (" : "", sys ? strerror(sys) : "", sys ? ")" : "");
        goto fail;
    }
    runread_harden(rr->db);
    sqlite3_busy_timeout(rr->db, 5000);   /* a sweep may be appending */
    if (query_int(rr->db, "PRAGMA application_id", 0, &app) < 0) {
        errmsg_set(err, errlen, "%s: cannot read: %s", path, sqlite3_errmsg(rr->db));
        goto fail;
    }
    if (app != RUNLOG_APPLICATION_ID) {
        runread_not_run_log(rr->db, "main", app, path, err, errlen);
        goto fail;
    }
    if (query_int(rr->db, "PRAGMA user_version", 0, &version) < 0)
        version = -1;
    if (runread_check_version(version, path, err, errlen) < 0)
        goto fail;
    ref = runread_reference(err, errlen);
    if (!ref || runread_check_schema(rr->db, "main", runlog_db(ref), version, path, false, err,
                                     errlen) < 0 ||
        runread_check_runs(rr->db, "main", path, NULL, err, errlen) < 0)
        goto fail;
    if (query_int(rr->db, "SELECT min(run_id) FROM runs", 0, &first) < 0 ||
        query_int(rr->db, "SELECT max(run_id) FROM runs", 0, &last) < 0) {
        errmsg_set(err, errlen, "%s: cannot read: %s", path, sqlite3_errmsg(rr->db));
        goto fail;
    }
    rr->run_id = run_id ? run_id : last;
    if (query_int(rr->db, "SELECT count(*) FROM runs WHERE run_id = ?", rr->run_id, &exists) < 0 ||
        !exists) {
        errmsg_set(err, errlen, "%s: no run %lld (the runs are %lld to %lld)", path,
                   (long long)run_id, (long long)first, (long long)last);
        goto fail;
    }
    /* the run's times, then each number of its row (runs.complete,
     * per_record_tables...: every command reads them) */
    if (read_run(rr, err, errlen) < 0 ||
        runread_check_numbers(rr->db, runlog_db(ref), "runs", NULL, rr->run_id, path, err,
                              errlen) < 0)
        goto fail;
    runlog_close(ref);
    return 0;
fail:
    runlog_close(ref);
    runread_close(rr);
    return -1;
}

static int runread_progress(void *ctx)
{
    const struct runread *rr = ctx;
    return rr->stopped() != 0;
}

void runread_stop_when(struct runread *rr, int (*stopped)(void))
{
    rr->stopped = stopped;
    sqlite3_progress_handler(rr->db, 4096, runread_progress, rr);
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

bool runread_has_summary(struct runread *rr)
{
    static const char schema_sql[] =
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('summary_figures',"
        " 'summary_shards', 'summary_examples', 'summary_discards', 'summary_series')";
    static const char rows_sql[] = "SELECT count(*) FROM summary_figures WHERE run_id = ?1";
    const char *what = "looking for the summary tables";
    int64_t n = 0;
    sqlite3_stmt *st = runread_prepare(rr, schema_sql, what);
    if (runread_row(rr, st, what))
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (n != 5)
        return false;
    n = 0;
    st = runread_prepare(rr, rows_sql, what);
    if (runread_row(rr, st, what))
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n > 0;
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

/* Whether column of table, which esmsim declares decl (INTEGER or REAL),
 * may hold a number with a fraction: a REAL, and summary_figures.value,
 * declared INTEGER, where a figure may be a mean (reads.delay_mean_ms). */
static bool holds_reals(const char *table, const char *column, const char *decl)
{
    return !strcasecmp(decl, "REAL") || (table && column && !strcmp(table, "summary_figures") &&
                                         !strcmp(column, "value"));
}

/*
 * A number of the run log that is not one: column c of st, which esmsim
 * declares INTEGER (real false) or REAL, holds a text, a blob, (INTEGER) a
 * number with a fraction, or (filled: runlog_filled_column) NULL.  Ad-hoc
 * SQL or a crafted file can put any value anywhere (SQLite stores what it
 * is given), and SQL reads a text as 0 or leaves its row out of a join or a
 * sum: such a value is refused, never computed with.  Returns false with
 * "TABLE.COLUMN of run N holds the text "x", expected an integer: the run
 * log is damaged" in buf, true for a sound one.
 */
static bool number_sound(sqlite3_stmt *st, int c, bool real, bool filled, const char *table,
                         const char *column, int64_t run_id, char *buf, size_t len)
{
    int type = sqlite3_column_type(st, c);
    if ((type == SQLITE_NULL && !filled) || type == SQLITE_INTEGER ||
        (type == SQLITE_FLOAT && real))
        return true;
    if (type == SQLITE_NULL) {
        snprintf(buf, len, "%s.%s of run %" PRId64 " is NULL, expected %s: the run log is"
                 " damaged", table, column, run_id, real ? "a number" : "an integer");
        return false;
    }
    char shown[64];
    snprintf(buf, len, "%s.%s of run %" PRId64 " holds %s%s%s%s, expected %s: the run log is"
             " damaged", table ? table : "?", column ? column : "?", run_id,
             type == SQLITE_BLOB ? "a blob" : type == SQLITE_TEXT ? "the text" : "the number",
             type == SQLITE_TEXT ? " \"" : type == SQLITE_FLOAT ? " " : "",
             type == SQLITE_BLOB ? "" : fmt_text((const char *)sqlite3_column_text(st, c),
                                                 shown, sizeof shown),
             type == SQLITE_TEXT ? "\"" : "", real ? "a number" : "an integer");
    return false;
}

/* Each value of a row read whose column the table declares INTEGER or REAL
 * (number_sound).  The declared type is looked at only for a value that is
 * not an integer, the rarer values of a row. */
static bool runread_row_sound(struct runread *rr, sqlite3_stmt *st, const char *what)
{
    for (int c = 0, n = sqlite3_column_count(st); c < n; c++) {
        int type = sqlite3_column_type(st, c);
        const char *decl = type == SQLITE_INTEGER || type == SQLITE_NULL ? NULL
                           : sqlite3_column_decltype(st, c);
        if (!decl || (strcasecmp(decl, "INTEGER") && strcasecmp(decl, "REAL")))
            continue;
        char why[256];
        const char *table = sqlite3_column_table_name(st, c);
        const char *column = sqlite3_column_origin_name(st, c);
        if (!number_sound(st, c, holds_reals(table, column, decl), false, table, column,
                          rr->run_id, why, sizeof why)) {
            runread_failf(rr, "%s: %s", what, why);
            return false;
        }
    }
    return true;
}

int runread_check_numbers(sqlite3 *db, sqlite3 *ref, const char *table, const char *rows,
                          int64_t run_id, const char *path, char *err, size_t errlen)
{
    bool real[RUNREAD_MAX_COLUMNS], filled[RUNREAD_MAX_COLUMNS];
    int n = 0, rc = -1;
    sqlite3_stmt *cols = NULL, *st = NULL;
    sqlite3_str *select = sqlite3_str_new(NULL), *where = sqlite3_str_new(NULL);
    /* esmsim's number columns of table, and the run's first row where one
     * holds something else, or NULL where esmsim writes none (NOT IN: its
     * type, not its value) */
    if (sqlite3_prepare_v2(ref, "SELECT name, type FROM pragma_table_info(?1)"
                           " WHERE upper(type) IN ('INTEGER', 'REAL') AND name <> 'run_id'"
                           " ORDER BY cid", -1, &cols, NULL) != SQLITE_OK) {
        errmsg_set(err, errlen, "%s: esmsim's schema: %s", path, sqlite3_errmsg(ref));
        goto out;
    }
    sqlite3_bind_text(cols, 1, table, -1, SQLITE_STATIC);
    while (sqlite3_step(cols) == SQLITE_ROW && n < RUNREAD_MAX_COLUMNS) {
        const char *name = (const char *)sqlite3_column_text(cols, 0);
        real[n] = holds_reals(table, name, (const char *)sqlite3_column_text(cols, 1));
        filled[n] = runlog_filled_column(table, name);
        sqlite3_str_appendf(select, "%s\"%w\"", n ? ", " : "", name);
        sqlite3_str_appendf(where, "%stypeof(\"%w\") NOT IN ('integer'%s%s)",
                            n ? " OR " : "", name, real[n] ? ", 'real'" : "",
                            filled[n] ? "" : ", 'null'");
        n++;
    }
    char *a = sqlite3_str_finish(select), *b = sqlite3_str_finish(where);
    select = where = NULL;
    char *sql = a && b ? sqlite3_mprintf("SELECT %s FROM main.\"%w\" WHERE run_id = ?1 AND (%s)"
                                         "%s%s LIMIT 1", a, table, b, rows ? " AND " : "",
                                         rows ? rows : "") : NULL;
    sqlite3_free(a);
    sqlite3_free(b);
    if (n == 0) {
        rc = 0;   /* a table of texts */
    } else if (!sql) {
        errmsg_set(err, errlen, "%s: out of memory", path);
    } else if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        errmsg_set(err, errlen, "%s: reading %s: %s", path, table, sqlite3_errmsg(db));
    } else {
        sqlite3_bind_int64(st, 1, run_id);
        int step = sqlite3_step(st);
        rc = step == SQLITE_DONE ? 0 : -1;
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            errmsg_set(err, errlen, "%s: reading %s: %s", path, table, sqlite3_errmsg(db));
        for (int c = 0; step == SQLITE_ROW && c < n; c++) {
            char why[256];
            if (!number_sound(st, c, real[c], filled[c], table, sqlite3_column_name(st, c),
                              run_id, why, sizeof why)) {
                errmsg_set(err, errlen, "%s: %s", path, why);
                break;
            }
        }
    }
    sqlite3_free(sql);
out:
    sqlite3_free(sqlite3_str_finish(select));
    sqlite3_free(sqlite3_str_finish(where));
    sqlite3_finalize(cols);
    sqlite3_finalize(st);
    return rc;
}

bool runread_check_tables(struct runread *rr, const struct runread_rows rows[])
{
    char err[1024];
    if (rr->failed)
        return false;
    struct runlog *ref = runread_reference(err, sizeof err);
    int rc = ref ? 0 : -1;
    for (size_t t = 0; rc == 0 && rows[t].table; t++)
        rc = runread_check_numbers(rr->db, runlog_db(ref), rows[t].table, rows[t].where,
                                   rr->run_id, rr->path, err, sizeof err);
    runlog_close(ref);
    if (rc < 0) {
        rr->failed = true;
        snprintf(rr->err, sizeof rr->err, "%s", err);
    }
    return rc == 0;
}

bool runread_row(struct runread *rr, sqlite3_stmt *st, const char *what)
{
    if (!st)
        return false;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return runread_row_sound(rr, st, what);
    if (rc != SQLITE_DONE)
        runread_fail(rr, what);
    return false;
}
