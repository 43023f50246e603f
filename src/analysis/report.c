/*
 * report.c - `esmsim report RUN.db [--run ID] [--json]` (SPEC section 5, over
 * the tables of section 3; R6 discards, R9 throttles, R10/R12 per-key order,
 * R14 IteratorAge, R17 fates): what happened to one run's messages, told from
 * its run log alone.
 *
 * Every figure is an SQL query with the run id bound as ?1.  The per-record
 * figures first gather each delivered record's key, message, first and last
 * delivery into TEMP tables (report_gather); SQLite keeps them, and the sorts
 * of the window functions, in temporary files behind a page cache of a fixed
 * size, so memory stays flat whatever the size of the run.  The cost is disk
 * and time: one pass over records, deliveries and messages each, and a few
 * sorts (about 8 s of CPU per million records).
 *
 * The figures go into one cJSON object: --json prints it, the text view reads
 * it, so the two can never disagree.  What the run log cannot tell exactly is
 * said, not guessed: a bounded figure is {"value", "min", "max"} with value
 * null unless min = max; a run without the per-record tables has null where
 * they were needed, listed under "unavailable".  The README's `report` section
 * defines every figure.
 */
#include "report.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "fmt.h"
#include "jsonexact.h"
#include "runread.h"
#include "scenario.h"

#define REPORT_EXAMPLES 5          /* ordering violations shown, of each kind */
#define REPORT_DISCARDS_LISTED 10  /* OnFailure messages listed, the first ones */
#define REPORT_NAMES_KEPT 32       /* keys of a count object (fates, outcomes...), then "(other)" */
#define REPORT_CACHE_KIB -32768    /* SQLite page cache of each database: 32 MiB */
#define REPORT_STR(x) #x
#define REPORT_XSTR(x) REPORT_STR(x)

/* Fates and outcomes in the order the run's summary prints them (simlog.h). */
static const char *const report_fate_names[] = {
    "processed", "pending", "lost", "discarded", "expired", "missed", "rejected", NULL
};
static const char *const report_outcome_names[] = {
    "success", "partial", "error", "timeout", "throttled", NULL
};
static const char *const report_reason_names[] = {
    "success", "partial", "discarded", "expired", "shard_end", "starting_position", NULL
};
static const char *const report_condition_names[] = {
    "RetryAttemptsExhausted", "RecordAgeExceeded", NULL
};

struct report {
    struct runread rr;
    cJSON *root;               /* the figures; the JSON output */
    bool per_record;           /* runs.per_record_tables */
    bool observed;             /* the figures come from the summary tables (the observer's) */
    bool killed;               /* incomplete and never ended (wall_seconds NULL) */
    int64_t expiry_before_ms;  /* only records that arrived before this can have expired */
};

/* ---- SQL ------------------------------------------------------------------ */

/* A statement run for its effect (the TEMP tables), with ?2 bound to arg
 * when it has that parameter. */
static void rpt_exec_with(struct report *r, const char *sql, const char *what, int64_t arg)
{
    sqlite3_stmt *st = runread_prepare(&r->rr, sql, what);
    if (st && sqlite3_bind_parameter_count(st) >= 2)
        sqlite3_bind_int64(st, 2, arg);
    while (runread_row(&r->rr, st, what))
        ;
    sqlite3_finalize(st);
}

static void rpt_exec(struct report *r, const char *sql, const char *what)
{
    rpt_exec_with(r, sql, what, 0);
}

/* ---- the figures as JSON ---------------------------------------------------- */

/* Put item in parent: under key, in the place of the item already there if
 * any, or at the end of the array when key is NULL.  On out-of-memory the
 * report fails and NULL is returned, which the later calls take as a parent
 * that drops what it is given. */
static cJSON *j_add(struct report *r, cJSON *parent, const char *key, cJSON *item)
{
    bool ok = item && parent &&
              (!key ? cJSON_AddItemToArray(parent, item) :
               cJSON_GetObjectItemCaseSensitive(parent, key)
               ? cJSON_ReplaceItemInObjectCaseSensitive(parent, key, item)
               : cJSON_AddItemToObject(parent, key, item));
    if (ok)
        return item;
    cJSON_Delete(item);
    if (parent)
        runread_failf(&r->rr, "out of memory");
    return NULL;
}

static cJSON *j_obj(struct report *r, cJSON *parent, const char *key)
{
    return j_add(r, parent, key, cJSON_CreateObject());
}

static cJSON *j_arr(struct report *r, cJSON *parent, const char *key)
{
    return j_add(r, parent, key, cJSON_CreateArray());
}

static void j_int(struct report *r, cJSON *parent, const char *key, int64_t v)
{
    j_add(r, parent, key, cJSON_CreateNumber((double)v));
}

/* A text of the run log, made safe to print (fmt_text: it is untrusted). */
static void j_str(struct report *r, cJSON *parent, const char *key, const char *s)
{
    char safe[FMT_TEXT_MAX];
    j_add(r, parent, key, s ? cJSON_CreateString(fmt_text(s, safe, sizeof safe))
                            : cJSON_CreateNull());
}

static void j_null(struct report *r, cJSON *parent, const char *key)
{
    j_add(r, parent, key, cJSON_CreateNull());
}

/* Column col of the row as an integer, or JSON null when it is NULL. */
static void j_col(struct report *r, cJSON *parent, const char *key, sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        j_null(r, parent, key);
    else
        j_int(r, parent, key, sqlite3_column_int64(st, col));
}

/* Column col as a number, its fraction kept when it has one (a mean), or
 * JSON null. */
static void j_col_number(struct report *r, cJSON *parent, const char *key, sqlite3_stmt *st,
                         int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_FLOAT)
        j_add(r, parent, key, cJSON_CreateNumber(sqlite3_column_double(st, col)));
    else
        j_col(r, parent, key, st, col);
}

/*
 * runs.seed, or JSON null.  The seed is 0 to 2^64 - 1 and the run log keeps
 * it as its 64-bit pattern (SQLite's integers are signed), so one from 2^63
 * up reads back negative.  It is given back as the scenario gave it: a number
 * up to 2^53 - 1 (RUNREAD_MAX_RUN_ID: what JSON holds exactly), above that a
 * string of digits, the scenario's own form for such a seed.
 */
static void j_col_seed(struct report *r, cJSON *parent, const char *key, sqlite3_stmt *st, int col)
{
    uint64_t seed = (uint64_t)sqlite3_column_int64(st, col);
    char digits[24];
    if (sqlite3_column_type(st, col) == SQLITE_NULL || seed <= (uint64_t)RUNREAD_MAX_RUN_ID) {
        j_col(r, parent, key, st, col);
        return;
    }
    snprintf(digits, sizeof digits, "%" PRIu64, seed);
    j_add(r, parent, key, cJSON_CreateString(digits));
}

static void j_col_text(struct report *r, cJSON *parent, const char *key, sqlite3_stmt *st, int col)
{
    j_str(r, parent, key, (const char *)sqlite3_column_text(st, col));
}

/* A figure the run log bounds: value is set only when min = max. */
static void j_bounded(struct report *r, cJSON *parent, const char *key, int64_t min, int64_t max)
{
    cJSON *o = j_obj(r, parent, key);
    if (min == max)
        j_int(r, o, "value", min);
    else
        j_null(r, o, "value");
    j_int(r, o, "min", min);
    j_int(r, o, "max", max);
}

/* An object of zeros under the given names, to be counted into. */
static cJSON *j_counts(struct report *r, cJSON *parent, const char *key,
                       const char *const *names)
{
    cJSON *o = j_obj(r, parent, key);
    j_int(r, o, "total", 0);
    for (const char *const *n = names; *n; n++)
        j_int(r, o, *n, 0);
    return o;
}

/* Add n to o[name] and o.total; a name outside the list is kept too, so a
 * value of a newer esmsim is shown rather than lost: up to
 * REPORT_NAMES_KEPT names, then "(other)" (a crafted log may have a
 * million, and each is looked up in the object). */
static void j_count(struct report *r, cJSON *o, const char *text, int64_t n)
{
    char name[FMT_TEXT_MAX];
    fmt_text(text, name, sizeof name);
    cJSON *total = cJSON_GetObjectItemCaseSensitive(o, "total");
    cJSON *item = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!total)
        return;
    if (!item && cJSON_GetArraySize(o) >= REPORT_NAMES_KEPT) {
        snprintf(name, sizeof name, "(other)");
        item = cJSON_GetObjectItemCaseSensitive(o, name);
    }
    cJSON_SetNumberValue(total, total->valuedouble + (double)n);
    if (item)
        cJSON_SetNumberValue(item, item->valuedouble + (double)n);
    else
        j_int(r, o, name, n);
}

/* Reading the tree back (the text view): 0 for a missing or null item.
 * Numbers are doubles there: kept within +-2^62, so that the conversion is
 * defined and the little arithmetic of the text view cannot overflow (only
 * a crafted run log has figures that large). */
static int64_t j_get(const cJSON *o, const char *key)
{
    const double lim = 4611686018427387904.0;   /* 2^62 */
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    double d = cJSON_IsNumber(v) ? v->valuedouble : 0;
    return d > lim ? (int64_t)lim : d < -lim ? -(int64_t)lim : (int64_t)d;
}

/* A string of the tree, or "" for a missing or null one. */
static const char *j_get_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static const cJSON *j_at(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNull(v) ? NULL : v;
}

/* ---- the run ------------------------------------------------------------------ */

/*
 * What the run's scenario (runs.scenario_json, the effective scenario) tells
 * the per-record figures; a scenario this esmsim cannot read leaves the
 * safe default (any record may have expired).
 *  - expiry_before_ms: a record expires once it is older than the retention
 *    period, so only records that arrived a retention period before the end
 *    of the run (end_ms) can have expired (1 ms of slack for the rounding of
 *    microseconds to milliseconds); a killed run without end_ms leaves any.
 */
static void report_scenario(struct report *r, const char *scenario_json, bool has_end,
                            int64_t end_ms)
{
    char err[256];
    r->expiry_before_ms = INT64_MAX;
    struct scenario *scn = scenario_json ? scn_parse(r->rr.path, scenario_json, NULL, 0, err,
                                                     sizeof err) : NULL;
    if (!scn)
        return;
    if (has_end)
        r->expiry_before_ms = end_ms - scn->cfg.stream.retention_us / 1000 + 1;
    scn_free(scn);
}

static void report_run(struct report *r)
{
    static const char sql[] =
        "SELECT scenario, seed, esmsim_version, duration_ms, end_ms, complete,"
        " coalesce(per_record_tables, 1), scenario_json, wall_seconds IS NULL"
        " FROM runs WHERE run_id = ?1";
    const char *what = "reading the runs row";
    sqlite3_stmt *st = runread_prepare(&r->rr, sql, what);
    cJSON *run = j_obj(r, r->root, "run");
    j_int(r, run, "run_id", r->rr.run_id);
    if (runread_row(&r->rr, st, what)) {
        j_col_text(r, run, "scenario", st, 0);
        j_col_seed(r, run, "seed", st, 1);
        j_col_text(r, run, "esmsim_version", st, 2);
        j_col(r, run, "duration_ms", st, 3);
        j_col(r, run, "end_ms", st, 4);
        j_add(r, run, "complete", cJSON_CreateBool(sqlite3_column_int(st, 5) != 0));
        r->per_record = sqlite3_column_int(st, 6) != 0;
        r->killed = sqlite3_column_int(st, 5) == 0 && sqlite3_column_int(st, 8) != 0;
        j_add(r, run, "per_record_tables", cJSON_CreateBool(r->per_record));
        report_scenario(r, (const char *)sqlite3_column_text(st, 7),
                        sqlite3_column_type(st, 4) != SQLITE_NULL, sqlite3_column_int64(st, 4));
    }
    sqlite3_finalize(st);
}

/* ---- invocations, checkpoints, discards: in every run -------------------------- */

/*
 * Invocations by outcome, and the records given to the function: the rows of
 * deliveries, or without them the record counts of the invocations (which
 * leaves out those still in flight at the end of the run: an invocation is
 * logged when it completes, its deliveries too, or when the run ends).
 */
static void report_invocations(struct report *r)
{
    static const char sql[] =
        "SELECT outcome, count(*), sum(CASE WHEN outcome <> 'throttled' THEN record_count END),"
        " sum(outcome <> 'throttled' AND payload_bytes > 6291456)"   /* refused: over R2's 6 MB */
        " FROM invocations WHERE run_id = ?1 GROUP BY outcome";
    static const char deliveries_sql[] = "SELECT count(*) FROM delivery_rows WHERE run_id = ?1";
    static const char peak_sql[] =
        "SELECT max(value) FROM metrics WHERE run_id = ?1 AND name = 'concurrent_executions'";
    const char *what = "counting invocations";
    cJSON *inv = j_counts(r, r->root, "invocations", report_outcome_names);
    int64_t deliveries = 0, oversized = 0;
    sqlite3_stmt *st = runread_prepare(&r->rr, sql, what);
    while (runread_row(&r->rr, st, what)) {
        j_count(r, inv, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1));
        if (__builtin_add_overflow(deliveries, sqlite3_column_int64(st, 2), &deliveries))
            runread_failf(&r->rr, "%s: invocations.record_count adds up past 2^63", what);
        if (__builtin_add_overflow(oversized, sqlite3_column_int64(st, 3), &oversized))
            runread_failf(&r->rr, "%s: refused invocations add up past 2^63", what);
    }
    sqlite3_finalize(st);
    if (r->per_record) {
        st = runread_prepare(&r->rr, deliveries_sql, what);
        if (runread_row(&r->rr, st, what))
            deliveries = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    j_int(r, inv, "deliveries", deliveries);
    j_int(r, inv, "oversized", oversized);
    st = runread_prepare(&r->rr, peak_sql, "reading concurrent_executions");
    if (runread_row(&r->rr, st, "reading concurrent_executions"))
        j_col(r, inv, "concurrent_executions_max", st, 0);
    sqlite3_finalize(st);
}

static void report_checkpoints(struct report *r)
{
    static const char sql[] =
        "SELECT reason, count(*) FROM checkpoints WHERE run_id = ?1 GROUP BY reason";
    const char *what = "counting checkpoints";
    cJSON *c = j_counts(r, r->root, "checkpoints", report_reason_names);
    sqlite3_stmt *st = runread_prepare(&r->rr, sql, what);
    while (runread_row(&r->rr, st, what))
        j_count(r, c, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1));
    sqlite3_finalize(st);
}

/* One OnFailure message of the list: at_ms, shard_id, condition, start and
 * end sequence numbers, record_count, approximate_invoke_count, destination. */
static void report_discard_row(struct report *r, cJSON *list, sqlite3_stmt *st)
{
    cJSON *b = j_obj(r, list, NULL);
    j_col(r, b, "at_ms", st, 0);
    j_col_text(r, b, "shard_id", st, 1);
    j_col_text(r, b, "condition", st, 2);
    j_col(r, b, "start_sequence_number", st, 3);
    j_col(r, b, "end_sequence_number", st, 4);
    j_col(r, b, "record_count", st, 5);
    j_col(r, b, "approximate_invoke_count", st, 6);
    j_col_text(r, b, "destination", st, 7);
}

static void report_discards(struct report *r)
{
    static const char by_sql[] =
        "SELECT condition, count(*), sum(record_count) FROM discards WHERE run_id = ?1"
        " GROUP BY condition";
    static const char list_sql[] =
        "SELECT at_ms, shard_id, condition, start_sequence_number, end_sequence_number,"
        " record_count, approximate_invoke_count, destination FROM discards WHERE run_id = ?1"
        " ORDER BY at_ms, rowid LIMIT " REPORT_XSTR(REPORT_DISCARDS_LISTED);
    const char *what = "reading discards";
    cJSON *d = j_obj(r, r->root, "discards");
    cJSON *messages = j_counts(r, d, "messages", report_condition_names);   /* OnFailure */
    cJSON *records = j_counts(r, d, "records", report_condition_names);
    sqlite3_stmt *st = runread_prepare(&r->rr, by_sql, what);
    while (runread_row(&r->rr, st, what)) {
        const char *cond = (const char *)sqlite3_column_text(st, 0);
        j_count(r, messages, cond, sqlite3_column_int64(st, 1));
        j_count(r, records, cond, sqlite3_column_int64(st, 2));
    }
    sqlite3_finalize(st);
    cJSON *list = j_arr(r, d, "first");
    st = runread_prepare(&r->rr, list_sql, what);
    while (runread_row(&r->rr, st, what))
        report_discard_row(r, list, st);
    sqlite3_finalize(st);
}

/* ---- per shard: IteratorAge, throttles, the oldest unprocessed record ---------- */

/* The columns col to col + 4 of a row of report_age_sql() (n, p50, p90,
 * p99, max) as an IteratorAge object; all null when st is NULL or they are
 * (no invocation had an age). */
static cJSON *report_age(sqlite3_stmt *st, int col)
{
    static const char *const keys[] = { "count", "p50", "p90", "p99", "max" };
    cJSON *a = cJSON_CreateObject();
    for (int k = 0; k < 5 && a; k++) {
        bool null = !st || sqlite3_column_type(st, col + k) == SQLITE_NULL;
        cJSON *v = null ? (k == 0 ? cJSON_CreateNumber(0) : cJSON_CreateNull())
                        : cJSON_CreateNumber((double)sqlite3_column_int64(st, col + k));
        if (!v || !cJSON_AddItemToObject(a, keys[k], v)) {
            cJSON_Delete(v);
            cJSON_Delete(a);
            a = NULL;
        }
    }
    return a;
}

/*
 * IteratorAge percentiles, nearest rank: the p-th percentile of n values is
 * the ceil(p * n / 100)-th smallest (one sort per group).  group is the
 * partition: "shard_id", or "NULL" for all shards at once.  Each row: g (the
 * group), n, p50, p90, p99, max.
 */
static void report_age_sql(const char *group, char sql[1024])
{
    snprintf(sql, 1024,
             "SELECT g, n, max(CASE WHEN rn = (50 * n + 99) / 100 THEN v END),"
             " max(CASE WHEN rn = (90 * n + 99) / 100 THEN v END),"
             " max(CASE WHEN rn = (99 * n + 99) / 100 THEN v END), max(v)"
             " FROM (SELECT %s AS g, iterator_age_ms AS v,"
             "  row_number() OVER (PARTITION BY %s ORDER BY iterator_age_ms) AS rn,"
             "  count(*) OVER (PARTITION BY %s) AS n"
             "  FROM invocations WHERE run_id = ?1 AND iterator_age_ms IS NOT NULL)"
             " GROUP BY g ORDER BY g", group, group, group);
}

/* One shard: shard_id, parent_shard_id, adjacent_parent_shard_id,
 * opened_ms, closed_ms, invocations, throttled, the oldest unprocessed
 * record's age, then IteratorAge's n, p50, p90, p99, max. */
static void report_shard_row(struct report *r, cJSON *shards, sqlite3_stmt *st)
{
    cJSON *s = j_obj(r, shards, NULL);
    j_col_text(r, s, "shard_id", st, 0);
    j_col_text(r, s, "parent_shard_id", st, 1);
    j_col_text(r, s, "adjacent_parent_shard_id", st, 2);
    j_col(r, s, "opened_ms", st, 3);
    j_col(r, s, "closed_ms", st, 4);
    j_col(r, s, "invocations", st, 5);
    j_col(r, s, "throttled", st, 6);
    j_add(r, s, "iterator_age_ms", report_age(st, 8));
    j_col(r, s, "oldest_unprocessed_age_max_ms", st, 7);
}

/*
 * Every shard the run names (a shards row, invocations, oldest-record
 * samples), in shard_id order, with its figures: one query joins them, so
 * that each shard's object is made once (finding it in the array for each
 * figure was quadratic in the shards: minutes for 20,000).
 */
static void report_shards(struct report *r)
{
    char age_sql[1024], sql[4096];
    report_age_sql("shard_id", age_sql);
    snprintf(sql, sizeof sql,
             "WITH a (g, n, p50, p90, p99, vmax) AS (%s)"
             " SELECT s.shard_id, sh.parent_shard_id, sh.adjacent_parent_shard_id, sh.opened_ms,"
             " sh.closed_ms, coalesce(i.invocations, 0), coalesce(i.throttled, 0), o.oldest,"
             " a.n, a.p50, a.p90, a.p99, a.vmax"
             " FROM (SELECT shard_id FROM shards WHERE run_id = ?1"
             "  UNION SELECT shard_id FROM invocations WHERE run_id = ?1"
             "  UNION SELECT shard_id FROM metrics WHERE run_id = ?1"
             "   AND name = 'oldest_unprocessed_age_ms') s"
             " LEFT JOIN shards sh ON sh.run_id = ?1 AND sh.shard_id = s.shard_id"
             " LEFT JOIN (SELECT shard_id, sum(outcome <> 'throttled') AS invocations,"
             "  sum(outcome = 'throttled') AS throttled FROM invocations WHERE run_id = ?1"
             "  GROUP BY shard_id) i ON i.shard_id = s.shard_id"
             " LEFT JOIN (SELECT shard_id, max(value) AS oldest FROM metrics WHERE run_id = ?1"
             "  AND name = 'oldest_unprocessed_age_ms' GROUP BY shard_id) o"
             "  ON o.shard_id = s.shard_id"
             " LEFT JOIN a ON a.g = s.shard_id"
             " ORDER BY s.shard_id", age_sql);
    const char *what = "reading shards";
    cJSON *shards = j_arr(r, r->root, "shards");
    sqlite3_stmt *st = runread_prepare(&r->rr, sql, what);
    while (runread_row(&r->rr, st, what))
        report_shard_row(r, shards, st);
    sqlite3_finalize(st);

    what = "IteratorAge percentiles";
    report_age_sql("NULL", age_sql);
    st = runread_prepare(&r->rr, age_sql, what);
    j_add(r, r->root, "iterator_age_ms", report_age(runread_row(&r->rr, st, what) ? st : NULL, 1));
    sqlite3_finalize(st);
}

/* ---- the per-record figures ------------------------------------------------------ */

/*
 * The TEMP tables of the per-record figures, each made in one pass:
 *   report_inv      the invocations that were given records and completed (one
 *                   still in flight at the end of the run has deliveries but no
 *                   row): id, start, outcome;
 *   report_first    each delivered record: its key, message, arrival, the
 *                   message's creation time, its first and last invocation,
 *                   its number of deliveries, whether its last invocation
 *                   succeeded (settled: it was checkpointed then, so it did
 *                   not expire), and prank, the rank of its message in
 *                   producer order (created_ms, then message_id: the records
 *                   of one message share it);
 *   report_dup      the messages written as more than one record: how many
 *                   records, and how many of them may have expired (arrived
 *                   before ?2, expiry_before_ms, and not settled);
 *   report_notfirst the records of such messages that are not the first of
 *                   their message to be delivered.
 * The big tables are read in their stored order (NOT INDEXED: one sequential
 * pass each, where an index would cost a random read per row), which reads
 * the rows of every run of the file.
 */
/* A record's message id (record_rows r: its difference from the sequence
 * number added back, runlog.c). */
#define REPORT_REC_MSG "(r.sequence_number + r.message_delta)"

static void report_gather(struct report *r)
{
    static const struct { const char *sql, *what; } steps[] = {
        { "CREATE TEMP TABLE report_inv (id INTEGER PRIMARY KEY, start_ms INTEGER, outcome TEXT)",
          "creating report_inv" },
        { "INSERT INTO report_inv SELECT invocation_id, start_ms, outcome FROM invocations"
          " WHERE run_id = ?1 AND outcome <> 'throttled'", "gathering invocations" },
        /* delivery_rows in the order of its key (run, shard, sequence number):
         * grouped as it is read, no sort */
        { "CREATE TEMP TABLE report_deliv (seq INTEGER, shard_no INTEGER, first_inv INTEGER,"
          " last_inv INTEGER, n INTEGER, handled INTEGER, PRIMARY KEY (seq, shard_no))"
          " WITHOUT ROWID", "creating report_deliv" },
        /* invocation_handled: the invocation id times 2, plus handled */
        { "INSERT INTO report_deliv SELECT sequence_number, shard_no,"
          " min(invocation_handled) >> 1, max(invocation_handled) >> 1, count(*),"
          " sum(invocation_handled & 1) FROM delivery_rows"
          " WHERE run_id = ?1 GROUP BY shard_no, sequence_number", "gathering deliveries" },
        /* keys as their ids (key_names): the same groups as the names */
        { "CREATE TEMP TABLE report_first (seq INTEGER, shard_no INTEGER, key_no INTEGER,"
          " message_id INTEGER, arrival_ms INTEGER, created_ms INTEGER, first_inv INTEGER,"
          " last_inv INTEGER, n INTEGER, handled INTEGER, settled INTEGER, prank INTEGER)",
          "creating report_first" },
        /* a record's key is its message's (a row without a fate: the key of
         * a message in flight when the run stopped, which has no rank) */
        { "INSERT INTO report_first SELECT r.sequence_number, r.shard_no, m.key_no,"
          " " REPORT_REC_MSG ", r.arrival_ms, m.created_ms, d.first_inv, d.last_inv, d.n,"
          " d.handled, coalesce(i.outcome = 'success', 0), CASE WHEN m.fate IS NOT NULL"
          "  THEN rank() OVER (ORDER BY m.created_ms, " REPORT_REC_MSG ") END"
          " FROM record_rows AS r JOIN report_deliv d ON d.seq = r.sequence_number"
          "  AND d.shard_no = r.shard_no"
          " LEFT JOIN report_inv i ON i.id = d.last_inv"
          " LEFT JOIN message_rows m ON m.run_id = ?1 AND m.message_id = " REPORT_REC_MSG
          " WHERE r.run_id = ?1", "joining deliveries to records and messages" },
        { "DROP TABLE report_deliv", "dropping report_deliv" },
        { "CREATE TEMP TABLE report_dup (message_id INTEGER PRIMARY KEY, n INTEGER,"
          " may_expire INTEGER)", "creating report_dup" },
        { "INSERT INTO report_dup SELECT " REPORT_REC_MSG ", count(*), sum(arrival_ms < ?2)"
          " FROM record_rows AS r WHERE run_id = ?1 GROUP BY 1 HAVING count(*) > 1",
          "finding producer duplicates" },
        { "UPDATE report_dup SET may_expire = may_expire - s.k FROM (SELECT message_id,"
          "  count(*) AS k FROM report_first WHERE settled AND arrival_ms < ?2"
          "  AND message_id IN (SELECT message_id FROM report_dup) GROUP BY message_id) AS s"
          " WHERE s.message_id = report_dup.message_id", "finding settled duplicates" },
        { "CREATE TEMP TABLE report_notfirst (seq INTEGER PRIMARY KEY)",
          "creating report_notfirst" },
        { "INSERT INTO report_notfirst SELECT seq FROM (SELECT seq, row_number() OVER"
          " (PARTITION BY message_id ORDER BY first_inv, seq) AS k FROM report_first"
          " WHERE message_id IN (SELECT message_id FROM report_dup)) WHERE k > 1",
          "finding the first delivery of each message written more than once" },
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        rpt_exec_with(r, steps[i].sql, steps[i].what, r->expiry_before_ms);
}

/*
 * Fates: message_rows.fate is the number of the fate (report_fate_names is
 * in the order of enum fate), counted in one pass without a sort; any other
 * value (a text ad-hoc SQL wrote, a number out of range) is counted by
 * itself, as the messages view shows it.
 */
static void report_message_fates(struct report *r)
{
    static const char known_sql[] =
        "SELECT sum(fate = 0), sum(fate = 1), sum(fate = 2), sum(fate = 3), sum(fate = 4),"
        " sum(fate = 5), sum(fate = 6) FROM message_rows WHERE run_id = ?1"
        " AND typeof(fate) = 'integer'";
    static const char other_sql[] =
        "SELECT fate, count(*) FROM message_rows WHERE run_id = ?1"
        " AND fate IS NOT NULL AND NOT (typeof(fate) = 'integer' AND fate BETWEEN 0 AND 6)"
        " GROUP BY fate";
    _Static_assert(sizeof report_fate_names / sizeof report_fate_names[0] == 7 + 1,
                   "known_sql counts 7 fates");
    const char *what = "counting fates";
    cJSON *m = j_counts(r, r->root, "messages", report_fate_names);
    sqlite3_stmt *st = runread_prepare(&r->rr, known_sql, what);
    if (runread_row(&r->rr, st, what))
        for (int f = 0; f < 7; f++)
            if (sqlite3_column_int64(st, f) > 0)
                j_count(r, m, report_fate_names[f], sqlite3_column_int64(st, f));
    sqlite3_finalize(st);
    st = runread_prepare(&r->rr, other_sql, what);
    while (runread_row(&r->rr, st, what))
        j_count(r, m, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1));
    sqlite3_finalize(st);
}

/*
 * Consumer duplicates: records delivered more than once, and records the
 * function handled more than once (deliveries.handled: its side effects
 * happened twice, whatever the invocations' outcomes).
 */
static void report_duplicates(struct report *r)
{
    static const char consumer_sql[] =
        "SELECT coalesce(sum(n > 1), 0), coalesce(sum(n) - count(*), 0), coalesce(sum(handled > 1), 0)"
        " FROM report_first";
    static const char producer_sql[] =
        "SELECT count(*), coalesce(sum(n - 1), 0) FROM report_dup";
    cJSON *d = j_obj(r, r->root, "duplicates");
    const char *what = "counting redeliveries";
    sqlite3_stmt *st = runread_prepare(&r->rr, consumer_sql, what);
    if (runread_row(&r->rr, st, what)) {
        j_col(r, d, "redelivered_records", st, 0);
        j_col(r, d, "redeliveries", st, 1);
        j_col(r, d, "reprocessed_records", st, 2);
    }
    sqlite3_finalize(st);

    what = "counting producer duplicates";
    st = runread_prepare(&r->rr, producer_sql, what);
    if (runread_row(&r->rr, st, what)) {
        j_col(r, d, "producer_duplicates", st, 0);
        j_col(r, d, "producer_duplicate_records", st, 1);
    }
    sqlite3_finalize(st);
}

/*
 * Records lost to retention.  The run log has fates per message, not per
 * record: a message whose fate is expired has at least one expired record
 * (exactly one unless it was written several times, when each of its records
 * that may have expired may have); a message written several times with a
 * better fate may have expired duplicates, as many as its records that may
 * have expired, and never all of its records.
 */
static void report_retention(struct report *r)
{
    static const char sql[] =
        /* fates by number (report_fate_names): 4 expired; 0 processed,
         * 1 pending, 2 lost, 3 discarded */
        "SELECT coalesce(sum(m.fate IS 4), 0),"
        " coalesce(sum(CASE WHEN m.fate IS 4 THEN max(d.may_expire - 1, 0)"
        "  WHEN typeof(m.fate) = 'integer' AND m.fate BETWEEN 0 AND 3"
        "  THEN min(d.may_expire, d.n - 1)"
        "  END), 0)"
        " FROM message_rows m LEFT JOIN report_dup d ON d.message_id = m.message_id"
        " WHERE m.run_id = ?1";
    const char *what = "counting expired records";
    cJSON *ret = j_obj(r, r->root, "retention");
    sqlite3_stmt *st = runread_prepare(&r->rr, sql, what);
    if (runread_row(&r->rr, st, what)) {
        int64_t expired = sqlite3_column_int64(st, 0);
        j_bounded(r, ret, "expired_records", expired, expired + sqlite3_column_int64(st, 1));
        j_int(r, ret, "expired_messages", expired);
    }
    sqlite3_finalize(st);
}

/*
 * Per-key order, judged on first deliveries (invocation ids grow in the
 * order the mapping invokes; within an invocation records go in sequence
 * order).  By sequence number: a record first delivered after a record of
 * its key with a higher sequence number (the run's own check, R10/R12).  By
 * producer order: a message first delivered after a message of its key that
 * was created later (SPEC 1.3: a retried record lands behind newer ones).
 * One window pass per key in delivery order keeps the running maxima of the
 * rows before; a row below them is a violation, and the maximum names the
 * later item of its first examples.  A record whose key is not in the log
 * (its message in flight when the run was killed) is left out.
 */
static const char *const report_order_steps[][2] = {
    { "CREATE TEMP TABLE report_viol AS SELECT *, seq_before > seq AS by_seq,"
      " prank_before > prank AND seq NOT IN (SELECT seq FROM report_notfirst) AS by_producer"
      " FROM (SELECT key_no, seq, message_id, arrival_ms, created_ms, first_inv, prank,"
      "  max(seq) OVER w AS seq_before, max(prank) OVER w AS prank_before FROM report_first"
      "  WHERE key_no IS NOT NULL WINDOW w AS (PARTITION BY key_no ORDER BY first_inv, seq"
      "   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING))"
      " WHERE seq_before > seq OR prank_before > prank", "finding records out of order" },
    { "CREATE TEMP TABLE report_seq_ex AS SELECT * FROM report_viol WHERE by_seq"
      " ORDER BY first_inv, seq LIMIT " REPORT_XSTR(REPORT_EXAMPLES), "choosing examples" },
    { "CREATE TEMP TABLE report_prod_ex AS SELECT * FROM report_viol WHERE by_producer"
      " ORDER BY first_inv, seq LIMIT " REPORT_XSTR(REPORT_EXAMPLES), "choosing examples" },
};

/*
 * Each example row: key, then (message id, seq, time, first delivery) of the
 * late item and of the later one delivered before it (time: arrival by
 * sequence, creation by producer order; no message id by sequence).  The
 * later one is found in one pass over report_first (CROSS JOIN keeps it the
 * outer loop; the examples are few).
 */
#define REPORT_KEY_NAME "(SELECT partition_key FROM key_names WHERE run_id = ?1 AND key_no = v.key_no)"
static const char report_seq_examples_sql[] =
    "SELECT " REPORT_KEY_NAME ", NULL, v.seq, v.arrival_ms, iv.start_ms,"
    " NULL, b.seq, b.arrival_ms, ib.start_ms FROM report_first b CROSS JOIN report_seq_ex v"
    " LEFT JOIN report_inv iv ON iv.id = v.first_inv LEFT JOIN report_inv ib ON ib.id = b.first_inv"
    " WHERE b.seq = v.seq_before ORDER BY v.first_inv, v.seq";
static const char report_prod_examples_sql[] =
    "SELECT " REPORT_KEY_NAME ", v.message_id, v.seq, v.created_ms, iv.start_ms,"
    " b.message_id, b.seq, b.created_ms, ib.start_ms FROM report_first b"
    " CROSS JOIN report_prod_ex v"
    " LEFT JOIN report_inv iv ON iv.id = v.first_inv LEFT JOIN report_inv ib ON ib.id = b.first_inv"
    " WHERE b.prank = v.prank_before AND b.seq NOT IN (SELECT seq FROM report_notfirst)"
    " ORDER BY v.first_inv, v.seq";

/* The JSON names of an example's columns 1 to 8; NULL: not shown. */
static const char *const report_seq_example_keys[8] = {
    NULL, "sequence_number", "arrival_ms", "first_delivered_ms",
    NULL, "after_sequence_number", "after_arrival_ms", "after_first_delivered_ms",
};
static const char *const report_prod_example_keys[8] = {
    "message_id", "sequence_number", "created_ms", "first_delivered_ms",
    "after_message_id", "after_sequence_number", "after_created_ms", "after_first_delivered_ms",
};

static void report_order_kind(struct report *r, cJSON *order, const char *key,
                              int64_t violations, const char *examples_sql,
                              const char *const names[8])
{
    cJSON *o = j_obj(r, order, key);
    j_int(r, o, "violations", violations);
    cJSON *list = j_arr(r, o, "examples");
    const char *what = "finding ordering examples";
    sqlite3_stmt *st = runread_prepare(&r->rr, examples_sql, what);
    while (runread_row(&r->rr, st, what)) {
        cJSON *e = j_obj(r, list, NULL);
        j_col_text(r, e, "partition_key", st, 0);
        for (int k = 0; k < 8; k++)
            if (names[k])
                j_col(r, e, names[k], st, 1 + k);
    }
    sqlite3_finalize(st);
}

static void report_order(struct report *r)
{
    static const char count_sql[] =
        "SELECT coalesce(sum(by_seq), 0), coalesce(sum(by_producer), 0) FROM report_viol";
    for (size_t i = 0; i < sizeof report_order_steps / sizeof report_order_steps[0]; i++)
        rpt_exec(r, report_order_steps[i][0], report_order_steps[i][1]);
    int64_t by_seq = 0, by_producer = 0;
    sqlite3_stmt *st = runread_prepare(&r->rr, count_sql, "counting ordering violations");
    if (runread_row(&r->rr, st, "counting ordering violations")) {
        by_seq = sqlite3_column_int64(st, 0);
        by_producer = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    cJSON *order = j_obj(r, r->root, "order");
    report_order_kind(r, order, "by_sequence", by_seq, report_seq_examples_sql,
                      report_seq_example_keys);
    report_order_kind(r, order, "by_producer", by_producer, report_prod_examples_sql,
                      report_prod_example_keys);
}

/* ---- the observer's figures: the summary tables ------------------------------------ */

/* The figure at a dotted path of the tree ("order.by_sequence.violations")
 * set to column col of the row; a path the tree has no place for (a figure
 * of a newer esmsim) is left out. */
static void report_set_path(struct report *r, const char *path, sqlite3_stmt *st, int col)
{
    char buf[128];
    if (!path || strlen(path) >= sizeof buf)
        return;
    strcpy(buf, path);
    cJSON *o = r->root;
    char *key = buf, *dot;
    while ((dot = strchr(key, '.')) && o) {
        *dot = 0;
        o = cJSON_GetObjectItemCaseSensitive(o, key);
        key = dot + 1;
    }
    if (cJSON_IsObject(o) && cJSON_GetObjectItemCaseSensitive(o, key))
        j_col_number(r, o, key, st, col);
}

/* The figures of the mapping's reads (R1, R9), in their order. */
static const char *const report_read_keys[] = {
    "get_records_throttled", "delay_mean_ms", "delay_max_ms", NULL
};

/* The reads object, its figures null until found. */
static cJSON *report_reads_null(struct report *r)
{
    cJSON *reads = j_obj(r, r->root, "reads");
    for (const char *const *k = report_read_keys; *k; k++)
        j_null(r, reads, *k);
    return reads;
}

/*
 * GetRecords throttles and the read delay: the run log keeps no row of a
 * read, so SQL cannot count them; they are the run's summary's (the
 * observer's, runs.summary_json), null without one (a run killed).
 */
static void report_reads(struct report *r)
{
    static const char sql[] =
        "SELECT json_extract(s, '$.read_throttles'), json_extract(s, '$.read_delay_mean_ms'),"
        " json_extract(s, '$.read_delay_max_ms') FROM (SELECT CASE WHEN json_valid(summary_json)"
        " THEN summary_json END AS s FROM runs WHERE run_id = ?1)";
    cJSON *reads = report_reads_null(r);
    const char *what = "reading the run's summary";
    sqlite3_stmt *st = runread_prepare(&r->rr, sql, what);
    if (runread_row(&r->rr, st, what))
        for (int k = 0; report_read_keys[k]; k++)
            j_col_number(r, reads, report_read_keys[k], st, k);
    sqlite3_finalize(st);
}

/* The tree of every figure, in the order report_compute makes it, with
 * zeros, nulls and empty lists to be filled in. */
static void report_skeleton(struct report *r)
{
    cJSON *root = r->root;
    j_arr(r, root, "unavailable");
    j_counts(r, root, "messages", report_fate_names);
    cJSON *inv = j_counts(r, root, "invocations", report_outcome_names);
    j_int(r, inv, "deliveries", 0);
    j_int(r, inv, "oversized", 0);
    j_null(r, inv, "concurrent_executions_max");
    static const char *const dup_keys[] = {
        "redelivered_records", "redeliveries", "reprocessed_records", "producer_duplicates",
        "producer_duplicate_records", NULL
    };
    cJSON *d = j_obj(r, root, "duplicates");
    for (const char *const *k = dup_keys; *k; k++)
        j_int(r, d, *k, 0);
    cJSON *order = j_obj(r, root, "order");
    for (int k = 0; k < 2; k++) {
        cJSON *o = j_obj(r, order, k ? "by_producer" : "by_sequence");
        j_int(r, o, "violations", 0);
        j_arr(r, o, "examples");
    }
    cJSON *ret = j_obj(r, root, "retention");
    j_bounded(r, ret, "expired_records", 0, 0);
    j_int(r, ret, "expired_messages", 0);
    cJSON *dis = j_obj(r, root, "discards");
    j_counts(r, dis, "messages", report_condition_names);
    j_counts(r, dis, "records", report_condition_names);
    j_arr(r, dis, "first");
    j_counts(r, root, "checkpoints", report_reason_names);
    j_arr(r, root, "shards");
    j_add(r, root, "iterator_age_ms", report_age(NULL, 0));
    report_reads_null(r);   /* null unless the summary tables have them */
}

/* An ordering example of the summary_examples row (columns from 1). */
static void report_observed_example(struct report *r, sqlite3_stmt *st)
{
    const char *kind = (const char *)sqlite3_column_text(st, 0);
    bool by_producer = kind && strcmp(kind, "by_producer") == 0;
    if (!kind || (!by_producer && strcmp(kind, "by_sequence") != 0))
        return;
    const char *const *names = by_producer ? report_prod_example_keys : report_seq_example_keys;
    cJSON *order = cJSON_GetObjectItemCaseSensitive(r->root, "order");
    cJSON *list = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(order, kind),
                                                   "examples");
    cJSON *e = j_obj(r, list, NULL);
    j_col_text(r, e, "partition_key", st, 1);
    for (int k = 0; k < 8; k++)
        if (names[k])
            j_col(r, e, names[k], st, 2 + k);
}

/*
 * Every figure from the summary tables the observer wrote at the end of the
 * run: the same tree as report_compute's, read at once, also for a run made
 * without the per-record tables.
 */
static void report_observed(struct report *r)
{
    static const char figures_sql[] =
        "SELECT name, value FROM summary_figures WHERE run_id = ?1";
    static const char examples_sql[] =
        "SELECT kind, partition_key, message_id, sequence_number, time_ms, first_delivered_ms,"
        " after_message_id, after_sequence_number, after_time_ms, after_first_delivered_ms"
        " FROM summary_examples WHERE run_id = ?1 ORDER BY kind, rank";
    static const char discards_sql[] =
        "SELECT at_ms, shard_id, condition, start_sequence_number, end_sequence_number,"
        " record_count, approximate_invoke_count, destination FROM summary_discards"
        " WHERE run_id = ?1 ORDER BY rank LIMIT " REPORT_XSTR(REPORT_DISCARDS_LISTED);
    static const char shards_sql[] =
        "SELECT shard_id, parent_shard_id, adjacent_parent_shard_id, opened_ms, closed_ms,"
        " invocations, throttled, oldest_unprocessed_age_max_ms, age_count, age_p50_ms,"
        " age_p90_ms, age_p99_ms, age_max_ms FROM summary_shards WHERE run_id = ?1"
        " ORDER BY shard_id";
    const char *what = "reading the summary tables";
    report_skeleton(r);
    sqlite3_stmt *st = runread_prepare(&r->rr, figures_sql, what);
    while (runread_row(&r->rr, st, what))
        report_set_path(r, (const char *)sqlite3_column_text(st, 0), st, 1);
    sqlite3_finalize(st);

    st = runread_prepare(&r->rr, examples_sql, what);
    while (runread_row(&r->rr, st, what))
        report_observed_example(r, st);
    sqlite3_finalize(st);

    cJSON *list = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(r->root, "discards"), "first");
    st = runread_prepare(&r->rr, discards_sql, what);
    while (runread_row(&r->rr, st, what))
        report_discard_row(r, list, st);
    sqlite3_finalize(st);

    list = cJSON_GetObjectItemCaseSensitive(r->root, "shards");
    st = runread_prepare(&r->rr, shards_sql, what);
    while (runread_row(&r->rr, st, what))
        report_shard_row(r, list, st);
    sqlite3_finalize(st);
}

/* A run without the per-record tables: the figures that needed them are
 * null and named. */
static void report_unavailable(struct report *r)
{
    static const char *const keys[] = { "messages", "duplicates", "order", "retention", NULL };
    cJSON *list = j_arr(r, r->root, "unavailable");
    for (const char *const *k = keys; *k; k++) {
        j_null(r, r->root, *k);
        j_add(r, list, NULL, cJSON_CreateString(*k));
    }
}

/* Every figure of the run into r->root, whose keys come in this order
 * whatever the run. */
static void report_compute(struct report *r)
{
    static const char *const keys[] = {
        "run", "unavailable", "messages", "invocations", "duplicates", "order", "retention",
        "discards", "checkpoints", "shards", "iterator_age_ms", "reads", NULL
    };
    for (const char *const *k = keys; *k; k++)
        j_null(r, r->root, *k);
    report_run(r);
    if (r->observed) {
        report_observed(r);
        return;
    }
    /* the tables the figures are summed from: a number edited into a text
     * would be summed as 0, or drop its row from a join, unseen */
    static const struct runread_rows tables[] = {
        { "shards", NULL }, { "invocations", NULL }, { "checkpoints", NULL },
        { "discards", NULL }, { "metrics", NULL }, { "shard_names", NULL }, { "key_names", NULL },
        { "message_rows", NULL }, { "record_rows", NULL }, { "delivery_rows", NULL }, { NULL, NULL }
    };
    if (!runread_check_tables(&r->rr, tables))
        return;
    if (r->per_record) {
        j_arr(r, r->root, "unavailable");
        report_gather(r);
        report_message_fates(r);
    } else {
        report_unavailable(r);
    }
    report_invocations(r);
    if (r->per_record) {
        report_duplicates(r);
        report_order(r);
        report_retention(r);
    }
    report_discards(r);
    report_checkpoints(r);
    report_shards(r);
    report_reads(r);
}

/* ---- the text view ------------------------------------------------------------------ */

/* The plural ending for n things. */
static const char *plural(int64_t n)
{
    return n == 1 ? "" : "s";
}

/* A nullable number of milliseconds, right-aligned in width. */
static void print_opt(FILE *out, const cJSON *o, const char *key, int width)
{
    char a[32];
    fprintf(out, " %*s", width, j_at(o, key) ? fmt_count(j_get(o, key), a) : "-");
}

/* "  name N" for each non-zero count of o, in the order of names. */
static void print_counts(FILE *out, const cJSON *o, const char *const *names)
{
    char a[32];
    for (const char *const *n = names; *n; n++)
        if (j_get(o, *n))
            fprintf(out, "  %s %s", *n, fmt_count(j_get(o, *n), a));
}

/* A bounded figure: "N", or "<= N" (at most N), or "N to M". */
static const char *fmt_bounded(const cJSON *o, char buf[80])
{
    char a[32], b[32];
    if (j_at(o, "value"))
        snprintf(buf, 80, "%s", fmt_count(j_get(o, "value"), a));
    else if (j_get(o, "min") == 0)
        snprintf(buf, 80, "<= %s", fmt_count(j_get(o, "max"), a));
    else
        snprintf(buf, 80, "%s to %s", fmt_count(j_get(o, "min"), a), fmt_count(j_get(o, "max"), b));
    return buf;
}

static void print_header(FILE *out, const struct report *r)
{
    const cJSON *run = j_at(r->root, "run");
    const cJSON *seed = j_at(run, "seed");
    char a[32], b[32], digits[24];
    if (cJSON_IsString(seed))   /* above 2^53 - 1: see j_col_seed */
        snprintf(digits, sizeof digits, "%s", seed->valuestring);
    else
        snprintf(digits, sizeof digits, "%" PRId64, j_get(run, "seed"));
    fprintf(out, "%s, run %" PRId64 ": %s (seed %s), %s%s of %s simulated%s\n",
            r->rr.path, r->rr.run_id, j_get_str(run, "scenario"), digits,
            r->killed ? "killed (or still running) at " : "", fmt_span_ms(j_get(run, "end_ms"), a),
            fmt_span_ms(j_get(run, "duration_ms"), b),
            r->killed ? "; the figures cover that prefix" : "");
    /* A run log commits whole events with end_ms (issue 11 item 14); a
     * message gets its row when its fate is final. */
    if (!r->rr.complete)
        fprintf(out, "WARNING: this run is incomplete (interrupted, killed, stopped by an"
                " error, or still running): the figures cover what was logged up to %s of virtual time;"
                " messages still in flight then have no row, so no fate\n",
                fmt_span_ms(j_get(run, "end_ms"), a));
    if (!r->per_record && r->observed)
        fprintf(out, "NOTE: this run was made with --no-record-tables (no messages, records or"
                " deliveries rows): the figures are those its observer computed as it ran\n");
    else if (!r->per_record)
        fprintf(out, "NOTE: this run was made with --no-record-tables (no messages, records or"
                " deliveries rows): fates, duplicates, ordering and records lost to retention"
                " are not available\n");
}

static void print_duplicates(FILE *out, const cJSON *d)
{
    char a[32], b[32], c[80];
    fprintf(out, "duplicates   %12s   records delivered more than once (consumer redeliveries,"
            " %s deliveries beyond the first)\n",
            fmt_count(j_get(d, "redelivered_records"), a), fmt_count(j_get(d, "redeliveries"), b));
    fprintf(out, "             %12s   records the function handled more than once (side effects"
            " twice)\n", fmt_count(j_get(d, "reprocessed_records"), c));
    fprintf(out, "             %12s   messages written more than once (producer duplicates,"
            " %s extra records)\n",
            fmt_count(j_get(d, "producer_duplicates"), a),
            fmt_count(j_get(d, "producer_duplicate_records"), b));
}

/* One side of an ordering example, prefix "" or "after_": "message 12
 * (created 1.000s, seq 34, first delivered 2.000s)" by producer order,
 * "seq 34 (arrived 1.000s, first delivered 2.000s)" by sequence. */
static void print_example_side(FILE *out, const cJSON *x, const char *prefix, bool by_message)
{
    char key[64], a[32], b[32], c[32], d[32];
#define SIDE(name) (snprintf(key, sizeof key, "%s%s", prefix, name), j_get(x, key))
    if (by_message)
        fprintf(out, "message %s (created %s, seq %s, ", fmt_count(SIDE("message_id"), a),
                fmt_span_ms(SIDE("created_ms"), b), fmt_count(SIDE("sequence_number"), c));
    else
        fprintf(out, "seq %s (arrived %s, ", fmt_count(SIDE("sequence_number"), a),
                fmt_span_ms(SIDE("arrival_ms"), b));
    SIDE("first_delivered_ms");
    fprintf(out, "first delivered %s)", j_at(x, key) ? fmt_span_ms(j_get(x, key), d)
                                                      : "by an invocation in flight at the end");
#undef SIDE
}

static void print_order_kind(FILE *out, const cJSON *o, const char *label, const char *what,
                             bool by_message)
{
    char a[32];
    fprintf(out, "%-12s %12s   %s\n", label, fmt_count(j_get(o, "violations"), a), what);
    const cJSON *x;
    cJSON_ArrayForEach(x, j_at(o, "examples")) {
        fprintf(out, "               %s: ", j_get_str(x, "partition_key"));
        print_example_side(out, x, "", by_message);
        fputs(" after ", out);
        print_example_side(out, x, "after_", by_message);
        fputc('\n', out);
    }
}

static void print_discards(FILE *out, const cJSON *d)
{
    char a[32], b[32], c[32], e[32], f[32];
    const cJSON *messages = j_at(d, "messages"), *records = j_at(d, "records");
    fprintf(out, "discards     %12s   OnFailure message%s, %s record%s",
            fmt_count(j_get(messages, "total"), a), plural(j_get(messages, "total")),
            fmt_count(j_get(records, "total"), b), plural(j_get(records, "total")));
    for (const char *const *n = report_condition_names; *n; n++)
        if (j_get(messages, *n))
            fprintf(out, "  %s %s (%s record%s)", *n, fmt_count(j_get(messages, *n), a),
                    fmt_count(j_get(records, *n), b), plural(j_get(records, *n)));
    fputc('\n', out);
    const cJSON *x;
    int64_t listed = 0;
    cJSON_ArrayForEach(x, j_at(d, "first")) {
        listed++;
        const char *dest = j_get_str(x, "destination");
        fprintf(out, "               %s %s %s: seq %s to %s, %s record%s, %s invocation%s, %s%s\n",
                fmt_span_ms(j_get(x, "at_ms"), a), j_get_str(x, "shard_id"), j_get_str(x, "condition"),
                fmt_count(j_get(x, "start_sequence_number"), b),
                fmt_count(j_get(x, "end_sequence_number"), c),
                fmt_count(j_get(x, "record_count"), e), plural(j_get(x, "record_count")),
                fmt_count(j_get(x, "approximate_invoke_count"), f),
                plural(j_get(x, "approximate_invoke_count")),
                dest[0] ? "sent to " : "dropped (no OnFailure destination)", dest);
    }
    if (j_get(messages, "total") > listed)
        fprintf(out, "               ... and %s more (the discards table)\n",
                fmt_count(j_get(messages, "total") - listed, a));
}

static void print_shard_row(FILE *out, const char *name, const cJSON *s, const cJSON *age)
{
    char a[32], b[32];
    fprintf(out, "%-22s %11s %9s", name, fmt_count(j_get(s, "invocations"), a),
            fmt_count(j_get(s, "throttled"), b));
    print_opt(out, age, "p50", 9);
    print_opt(out, age, "p90", 9);
    print_opt(out, age, "p99", 9);
    print_opt(out, age, "max", 9);
    print_opt(out, s, "oldest_unprocessed_age_max_ms", 19);
    fputc('\n', out);
}

static void report_print_text(FILE *out, const struct report *r)
{
    const cJSON *root = r->root;
    char a[32], b[32];
    print_header(out, r);

    fputc('\n', out);
    const cJSON *m = j_at(root, "messages");
    if (m) {
        fprintf(out, "messages     %12s ", fmt_count(j_get(m, "total"), a));
        print_counts(out, m, report_fate_names);
        fputc('\n', out);
    }
    const cJSON *inv = j_at(root, "invocations");
    fprintf(out, "invocations  %12s ", fmt_count(j_get(inv, "total"), a));
    print_counts(out, inv, report_outcome_names);
    fprintf(out, "\ndeliveries   %12s   records given to the function\n",
            fmt_count(j_get(inv, "deliveries"), a));
    if (j_get(inv, "oversized"))   /* issue 11 item 2 */
        fprintf(out, "oversized    %12s   invocations refused: an event over 6,291,456 bytes"
                " (RequestEntityTooLargeException)\n", fmt_count(j_get(inv, "oversized"), a));

    const cJSON *d = j_at(root, "duplicates");
    if (d)
        print_duplicates(out, d);
    const cJSON *order = j_at(root, "order");
    if (order) {
        print_order_kind(out, j_at(order, "by_sequence"), "order",
                         "records first delivered after a record of their key with a higher"
                         " sequence number", false);
        print_order_kind(out, j_at(order, "by_producer"), "",
                         "messages first delivered after a message of their key created later"
                         " (producer order)", true);
    }
    print_discards(out, j_at(root, "discards"));
    const cJSON *ret = j_at(root, "retention");
    if (ret) {
        char c[80];
        const cJSON *expired = j_at(ret, "expired_records");
        fprintf(out, "retention    %12s   records lost to retention (%s message%s expired%s)\n",
                fmt_bounded(expired, c), fmt_count(j_get(ret, "expired_messages"), a),
                plural(j_get(ret, "expired_messages")), j_at(expired, "value") ? "" :
                "; a message written several times may have lost a duplicate too");
    }
    const cJSON *reads = j_at(root, "reads");
    fprintf(out, "throttles    %12s   invocations throttled (R9: not attempts); %s GetRecords calls"
            " throttled (R1); PutRecords throttles are not in the run log\n",
            fmt_count(j_get(inv, "throttled"), a),
            j_at(reads, "get_records_throttled") ? fmt_count(j_get(reads, "get_records_throttled"), b)
                                                 : "-");
    if (j_at(reads, "delay_mean_ms") && j_at(reads, "delay_max_ms"))
        fprintf(out, "read delay   %9.0f ms mean, %.0f ms max, from arrival to GetRecords (propagation, R1)\n",
                j_at(reads, "delay_mean_ms")->valuedouble, j_at(reads, "delay_max_ms")->valuedouble);
    const cJSON *ck = j_at(root, "checkpoints");
    fprintf(out, "checkpoints  %12s ", fmt_count(j_get(ck, "total"), a));
    print_counts(out, ck, report_reason_names);
    fputc('\n', out);
    if (j_at(inv, "concurrent_executions_max"))
        fprintf(out, "concurrency  %12s   peak of concurrent_executions (sampled each interval)\n",
                fmt_count(j_get(inv, "concurrent_executions_max"), b));

    fprintf(out, "\nIteratorAge (ms; percentiles by nearest rank)\n"
            "%-22s %11s %9s %9s %9s %9s %9s %19s\n", "shard", "invocations", "throttled",
            "p50", "p90", "p99", "max", "oldest unprocessed");
    const cJSON *s;
    cJSON_ArrayForEach(s, j_at(root, "shards"))
        print_shard_row(out, j_get_str(s, "shard_id"), s, j_at(s, "iterator_age_ms"));
    const cJSON *age = j_at(root, "iterator_age_ms");
    fprintf(out, "%-22s %11s %9s", "all shards", fmt_count(j_get(age, "count"), a),
            fmt_count(j_get(inv, "throttled"), b));
    print_opt(out, age, "p50", 9);
    print_opt(out, age, "p90", 9);
    print_opt(out, age, "p99", 9);
    print_opt(out, age, "max", 9);
    fputc('\n', out);
}

/* ---- the command ------------------------------------------------------------------ */

int report_show(const char *path, int64_t run_id, bool json, bool recompute)
{
    char err[1024];
    struct report r = { .root = cJSON_CreateObject() };
    if (!r.root) {
        fprintf(stderr, "esmsim report: out of memory\n");
        return ERRMSG_BAD_INPUT;
    }
    if (runread_open(&r.rr, path, run_id, err, sizeof err) < 0) {
        fprintf(stderr, "esmsim report: %s\n", err);
        cJSON_Delete(r.root);
        return ERRMSG_BAD_INPUT;
    }
    /* TEMP tables and sorts on disk, whatever SQLite was built with, through
     * a page cache of a fixed size (which also caps a sort's memory). */
    rpt_exec(&r, "PRAGMA temp_store = FILE", "setting temp_store");
    rpt_exec(&r, "PRAGMA cache_size = " REPORT_XSTR(REPORT_CACHE_KIB), "setting cache_size");
    rpt_exec(&r, "PRAGMA temp.cache_size = " REPORT_XSTR(REPORT_CACHE_KIB), "setting cache_size");
    r.observed = !recompute && runread_has_summary(&r.rr);
    /* A run that did not end (killed, or its log failed) has no summary
     * tables either: recomputed too, its warning says it is incomplete. */
    if (!recompute && !r.observed && !r.rr.failed && r.rr.complete)
        fprintf(stderr, "esmsim report: note: %s run %" PRId64 " has no summary tables (a run log"
                " of an older esmsim): its figures are recomputed from the per-record tables\n",
                path, r.rr.run_id);
    report_compute(&r);
    int rc = 0;
    if (r.rr.failed) {
        fprintf(stderr, "esmsim report: %s\n", r.rr.err);
        rc = ERRMSG_BAD_INPUT;
    } else if (json) {
        char *text = jsonx_print(r.root, true);
        if (text) {
            puts(text);
            free(text);
        } else {
            fprintf(stderr, "esmsim report: out of memory\n");
            rc = ERRMSG_BAD_INPUT;
        }
    } else {
        report_print_text(stdout, &r);
    }
    if (!r.rr.complete)
        fprintf(stderr, "esmsim report: warning: %s run %" PRId64 " is incomplete\n",
                path, r.rr.run_id);
    runread_close(&r.rr);
    cJSON_Delete(r.root);
    return rc;
}
