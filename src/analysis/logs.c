/*
 * logs.c - `esmsim logs` (see logs.h): a real handler's log lines, read
 * back from the `logs` table of a run log (one row per line: the output
 * printed before the invocation was fetched, START, the invocation's output,
 * Lambda's lines about a failure, END, REPORT), grouped by invocation in
 * invocation order, each group headed by its invocations row.  A line's time
 * is virtual, as in `trace`: the invocation's start, or its end for the
 * lines written when it ended.
 */
#include "logs.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "fmt.h"
#include "runread.h"

/* The run log has a logs table (schema 5 and later). */
static bool has_logs_table(struct runread *rr)
{
    const char *what = "looking for the logs table";
    sqlite3_stmt *st = runread_prepare(rr, "SELECT count(*) FROM sqlite_schema"
                                           " WHERE type = 'table' AND name = 'logs'", what);
    bool found = runread_row(rr, st, what) && sqlite3_column_int(st, 0) > 0;
    sqlite3_finalize(st);
    return found;
}

/* Text read from the run log (a program's output, or a crafted log's)
 * shown safely: each tab-separated part through fmt_text (control
 * characters and bytes that are not UTF-8 as \xNN), the tabs kept, as
 * the REPORT line has them; NULL as "?". */
static void put_text(FILE *out, const char *s)
{
    char small[FMT_TEXT_MAX];
    if (!s) {
        fputc('?', out);
        return;
    }
    for (;;) {
        size_t n = strcspn(s, "\t"), room = 4 * n + 4;
        char *part = strndup(s, n);
        char *buf = room <= sizeof small ? small : malloc(room);
        if (part && buf)
            fputs(fmt_text(part, buf, room), out);
        else
            fputs("(out of memory)", out);
        if (buf != small)
            free(buf);
        free(part);
        if (!s[n])
            return;
        fputc('\t', out);
        s += n + 1;
    }
}

int64_t logs_print(struct runread *rr, const char *invocations_sql, const char *heading,
                   FILE *out)
{
    if (!has_logs_table(rr))
        return 0;
    char *sql = NULL;
    size_t len = strlen(invocations_sql) + 1024;
    if (!(sql = malloc(len))) {
        runread_failf(rr, "out of memory");
        return 0;
    }
    snprintf(sql, len,
             "SELECT l.invocation_id, l.at_ms, l.text, i.shard_id, i.start_ms, i.end_ms,"
             " i.outcome, i.attempt, i.record_count, i.error"
             " FROM logs l LEFT JOIN invocations i"
             "  ON i.run_id = l.run_id AND i.invocation_id = l.invocation_id"
             " WHERE l.run_id = ?1 AND l.invocation_id IN (%s)"
             " ORDER BY l.invocation_id, l.line", invocations_sql);
    const char *what = "reading the log lines";
    sqlite3_stmt *st = runread_prepare(rr, sql, what);
    free(sql);
    int64_t lines = 0, current = -1;
    while (runread_row(rr, st, what)) {
        char a[32], b[32];
        int64_t inv = sqlite3_column_int64(st, 0);
        if (lines == 0 && heading)
            fputs(heading, out);
        if (inv != current) {
            const char *outcome = (const char *)sqlite3_column_text(st, 6);
            const char *error = (const char *)sqlite3_column_text(st, 9);
            bool failed = outcome && (!strcmp(outcome, "error") || !strcmp(outcome, "timeout"));
            int64_t records = sqlite3_column_int64(st, 8);
            fprintf(out, "%sinvocation %" PRId64 "  ", lines ? "\n" : "", inv);
            put_text(out, (const char *)sqlite3_column_text(st, 3));
            fprintf(out, "  %s-%s s  ", fmt_seconds(sqlite3_column_int64(st, 4), a),
                    fmt_seconds(sqlite3_column_int64(st, 5), b));
            put_text(out, outcome);
            if (failed && error) {
                fputc(' ', out);
                put_text(out, error);
            }
            fprintf(out, "  attempt %" PRId64 "  %" PRId64 " record%s\n",
                    (int64_t)sqlite3_column_int64(st, 7), records, records == 1 ? "" : "s");
            current = inv;
        }
        fprintf(out, "  %10s  ", fmt_seconds(sqlite3_column_int64(st, 1), a));
        put_text(out, (const char *)sqlite3_column_text(st, 2));
        fputc('\n', out);
        lines++;
    }
    sqlite3_finalize(st);
    return lines;
}

/* ---- the command ------------------------------------------------------------------ */

/* Whether the run ran a real handler (runs.handler, schema 5). */
static bool ran_handler(struct runread *rr)
{
    const char *what = "reading the runs row";
    if (!has_logs_table(rr))
        return false;
    sqlite3_stmt *st = runread_prepare(rr, "SELECT coalesce(handler, 0) FROM runs WHERE run_id = ?1",
                                       what);
    bool handler = runread_row(rr, st, what) && sqlite3_column_int(st, 0) != 0;
    sqlite3_finalize(st);
    return handler;
}

/* The invocations asked for, into TEMP table logs_asked: all with log lines,
 * --invocation's, those that delivered a record of --key (needs the
 * per-record tables), or both at once. */
static void select_invocations(struct runread *rr, int64_t invocation, const char *key)
{
    const char *what = "selecting the invocations";
    sqlite3_stmt *st = runread_prepare(
        rr, "CREATE TEMP TABLE logs_asked AS SELECT DISTINCT l.invocation_id FROM logs l"
            " WHERE l.run_id = ?1 AND (?2 IS NULL OR l.invocation_id = ?2) AND (?3 IS NULL OR"
            "  l.invocation_id IN (SELECT d.invocation_id FROM deliveries d JOIN records r"
            "   ON r.run_id = d.run_id AND r.shard_id = d.shard_id"
            "   AND r.sequence_number = d.sequence_number"
            "   WHERE d.run_id = ?1 AND r.partition_key = ?3))", what);
    if (st && invocation)
        sqlite3_bind_int64(st, 2, invocation);
    if (st && key)
        sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
    while (runread_row(rr, st, what))
        ;
    sqlite3_finalize(st);
}

int logs_show(const char *path, int64_t run_id, int64_t invocation, const char *key)
{
    char err[1024];
    struct runread rr;
    if (runread_open(&rr, path, run_id, err, sizeof err) < 0) {
        fprintf(stderr, "esmsim logs: %s\n", err);
        return ERRMSG_BAD_INPUT;
    }
    if (!ran_handler(&rr))
        runread_failf(&rr, "run %" PRId64 " ran the function model, not a handler program"
                      " (function.handler): it has no log lines", rr.run_id);
    if (key && !rr.failed) {
        const char *what = "reading the runs row";
        sqlite3_stmt *st = runread_prepare(&rr, "SELECT coalesce(per_record_tables, 1) FROM runs"
                                                " WHERE run_id = ?1", what);
        if (runread_row(&rr, st, what) && sqlite3_column_int(st, 0) == 0)
            runread_failf(&rr, "run %" PRId64 " was written with --no-record-tables: --key needs"
                          " its deliveries and records", rr.run_id);
        sqlite3_finalize(st);
    }
    select_invocations(&rr, invocation, key);
    int64_t lines = rr.failed ? 0 : logs_print(&rr, "SELECT invocation_id FROM logs_asked", NULL,
                                             stdout);
    if (!rr.failed && lines == 0) {
        char asked[64] = "", shown[256];
        if (invocation)
            snprintf(asked, sizeof asked, " invocation %" PRId64, invocation);
        runread_failf(&rr, "run %" PRId64 " has no log lines%s%s%s%s%s", rr.run_id,
                      invocation || key ? " for" : "", asked, invocation && key ? " and" : "",
                      key ? " key " : "", key ? fmt_text(key, shown, sizeof shown) : "");
    }
    int rc = 0;
    if (rr.failed) {
        fprintf(stderr, "esmsim logs: %s\n", rr.err);
        rc = ERRMSG_BAD_INPUT;
    } else if (!rr.complete) {
        fprintf(stderr, "esmsim logs: warning: %s run %" PRId64 " is incomplete\n", path,
                rr.run_id);
    }
    runread_close(&rr);
    return rc;
}
