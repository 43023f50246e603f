/*
 * plot.c - `esmsim plot`: see plot.h (SPEC section 5, R14, R16, R6, R12).
 *
 * Every figure is an SQL aggregate per minute over the run log, one prepared
 * statement per data file; the rows go to data files (mkstemp in $TMPDIR, or
 * DIR with --keep-data) that plots/CHART.gp reads through gp_run, and the
 * files are removed afterwards.  Minute m holds the instants
 * [m * 60000, (m + 1) * 60000) ms, as a 60 s CloudWatch period does, and is
 * drawn at x = m; a minute without data has no point, as in CloudWatch.
 *
 * Data files have one row per point, "SERIES X VALUE" (the series a shard
 * id, "all", "max", "written", ...), series after series in blocks two
 * blank lines apart, so that gnuplot's `index i` is the i-th series.
 *
 * A run of this esmsim has every series in its summary table summary_series,
 * which the run's observer computed as it ran (observer.h, issue 13 item
 * 3): the same aggregates, the outages too (where the mapping was disabled,
 * R16; where the function failed every record), also for a run without the
 * per-record tables.  For a run log of an older esmsim the series are
 * computed from its tables, and the outages from the scenario the run stored
 * (runs.scenario_json) read back by the scenario loader, so that durations
 * and the schedule mean what they meant to the run: the mapping is disabled
 * from a scheduled `Enabled: false` (in effect model.mapping_update_delay
 * later, R16) until an `Enabled: true` takes effect; the function is failing
 * where a `fail` rule hits every record (`from`/`to`, `all`, probability 1)
 * in the function as the schedule left it.  A scenario that no longer loads
 * gives no outage marks and a warning.
 *
 * The chart itself is written to a temporary file beside the output and
 * renamed when gnuplot succeeds, so a failure never leaves half a chart.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "errmsg.h"
#include "fmt.h"
#include "fileout.h"
#include "gnuplot.h"
#include "observer.h"
#include "plot.h"
#include "runread.h"
#include "scenario.h"

#define MS_PER_MINUTE 60000.0

/* ---- what is drawn ------------------------------------------------------ */

/*
 * IteratorAge, CloudWatch's Maximum per minute, per shard, and over all
 * shards last: the column AGE of the invocations that have one (throttled
 * attempts and final window invocations have none), by the minute of TIME,
 * the instant it is emitted.
 */
#define PLOT_AGE_SQL(TIME, AGE) \
    "SELECT * FROM (" \
    " SELECT shard_id AS series, " TIME " / 60000 AS minute, max(" AGE ")" \
    " FROM invocations WHERE run_id = ?1 AND " AGE " IS NOT NULL GROUP BY 1, 2" \
    " UNION ALL" \
    " SELECT 'all', " TIME " / 60000, max(" AGE ")" \
    " FROM invocations WHERE run_id = ?1 AND " AGE " IS NOT NULL GROUP BY 2)" \
    " ORDER BY series = 'all', series, minute"

/*
 * Throughput's rows from T, the CTE t(series, o, minute, n, row) of the
 * counts, and NAMES, the series (series, o) drawn (o their order).  The
 * points: the first and last minute of the run (?2), and each minute with
 * data with the minutes either side (0 where none): a line through them is
 * the line of every minute, in rows that grow with the data, not with the
 * length of the run (which a run log may claim to be anything up to 274
 * years).  A minute's 0 comes from EXCEPT (a sort), not from a join of
 * every minute with every row: a month of minutes costs what its rows cost
 * (n log n).  A crafted log's rows of one series and minute are each a point,
 * in the log's order (row); compare keeps the last.
 */
#define PLOT_THROUGHPUT_SQL(T, NAMES) \
    "WITH " T "," \
    " names(series, o) AS (" NAMES ")," \
    " x(minute) AS (SELECT DISTINCT minute FROM t)," \
    " m(minute) AS (SELECT minute FROM (SELECT 0 AS minute UNION SELECT ?2" \
    "  UNION SELECT x.minute + k.k FROM x, (SELECT -1 AS k UNION ALL SELECT 0 UNION ALL SELECT 1) k)" \
    "  WHERE minute BETWEEN 0 AND ?2)" \
    "SELECT series, minute, n FROM (" \
    " SELECT series, o, minute, coalesce(n, 0) AS n, row FROM t" \
    "  WHERE o IN (SELECT o FROM names) AND minute BETWEEN 0 AND ?2" \
    " UNION ALL" \
    " SELECT *, 0, NULL FROM (SELECT series, o, minute FROM names, m" \
    "  EXCEPT SELECT series, o, minute FROM t))" \
    " ORDER BY o, minute, row"
#define PLOT_THROUGHPUT_NAMES "VALUES ('written', 0), ('delivered', 1), ('succeeded', 2)"

/*
 * The charts, in the order of --chart all.  Each query gives the rows
 * SERIES, MINUTE, VALUE ordered by series then minute (?1 is the run id,
 * ?2 the last minute the run covers).
 */
/* The same rows from summary_series (?1 the run, ?2 the last minute). */
#define PLOT_OBS_SQL(CHART, ORDER) \
    "SELECT series, x, value FROM summary_series WHERE run_id = ?1 AND chart = '" CHART "'" \
    " ORDER BY " ORDER ", n"
#define PLOT_OBS_SHARDS_SQL(CHART) PLOT_OBS_SQL(CHART, "series = 'all', series, x")

static const struct plot_chart {
    const char *name;      /* --chart NAME, plots/NAME.gp, the default file NAME.svg */
    const char *sql;
    const char *sql_send;  /* with --at send; NULL: --at does not apply */
    const char *obs_sql, *obs_sql_send;   /* the same from the summary tables */
} plot_charts[] = {
    /* R14: IteratorAge as emitted when an invocation completes; with
     * --at send, AWS's other definition, the age when the event is sent to
     * the function (the invocation's start). */
    { "iterator-age", PLOT_AGE_SQL("end_ms", "iterator_age_ms"),
      PLOT_AGE_SQL("start_ms", "iterator_age_at_send_ms"),
      PLOT_OBS_SHARDS_SQL("iterator-age"), PLOT_OBS_SHARDS_SQL("iterator-age-send") },
    /* R14: the per-second sample of the oldest record not yet checkpointed. */
    { "oldest",
      "SELECT * FROM ("
      " SELECT shard_id AS series, at_ms / 60000 AS minute, max(value) FROM metrics"
      " WHERE run_id = ?1 AND name = 'oldest_unprocessed_age_ms' GROUP BY 1, 2"
      " UNION ALL"
      " SELECT 'all', at_ms / 60000, max(value) FROM metrics"
      " WHERE run_id = ?1 AND name = 'oldest_unprocessed_age_ms' GROUP BY 2)"
      " ORDER BY series = 'all', series, minute", NULL, PLOT_OBS_SHARDS_SQL("oldest"), NULL },
    /* The per-second sample of the invocations running, stream-wide. */
    { "concurrency",
      "SELECT * FROM ("
      " SELECT 'max' AS series, at_ms / 60000 AS minute, max(value) FROM metrics"
      " WHERE run_id = ?1 AND name = 'concurrent_executions' GROUP BY 2"
      " UNION ALL"
      " SELECT 'mean', at_ms / 60000, avg(value) FROM metrics"
      " WHERE run_id = ?1 AND name = 'concurrent_executions' GROUP BY 2)"
      " ORDER BY series, minute", NULL, PLOT_OBS_SQL("concurrency", "series, x"), NULL },
    /* Records written to the stream (by arrival; none without the
     * per-record tables), given to the function (retries included, at the
     * invocation's start), and in invocations that succeeded (at the end):
     * counts, so a minute without any is a 0; from summary_series the same
     * points (records written are counted whether or not the records table
     * was kept). */
    { "throughput",
      PLOT_THROUGHPUT_SQL(
      "w(minute, n) AS (SELECT arrival_ms / 60000, count(*) FROM records"
      "  WHERE run_id = ?1 GROUP BY 1),"
      " d(minute, n) AS (SELECT start_ms / 60000, sum(record_count) FROM invocations"
      "  WHERE run_id = ?1 AND outcome <> 'throttled' GROUP BY 1),"
      " s(minute, n) AS (SELECT end_ms / 60000, sum(record_count) FROM invocations"
      "  WHERE run_id = ?1 AND outcome = 'success' GROUP BY 1),"
      " t(series, o, minute, n, row) AS (SELECT 'written', 0, minute, n, 0 FROM w"
      "  UNION ALL SELECT 'delivered', 1, minute, n, 0 FROM d"
      "  UNION ALL SELECT 'succeeded', 2, minute, n, 0 FROM s)",
      "SELECT 'written', 0 WHERE (SELECT per_record_tables FROM runs WHERE run_id = ?1)"
      " UNION ALL VALUES ('delivered', 1), ('succeeded', 2)"),
      NULL,
      PLOT_THROUGHPUT_SQL(
      "t(series, o, minute, n, row) AS (SELECT series, CASE series WHEN 'written' THEN 0"
      "  WHEN 'delivered' THEN 1 WHEN 'succeeded' THEN 2 END, x, value, n FROM summary_series"
      "  WHERE run_id = ?1 AND chart = 'throughput')", PLOT_THROUGHPUT_NAMES),
      NULL },
};
#define PLOT_CHARTS (sizeof plot_charts / sizeof plot_charts[0])

const char *plot_chart_sql(const char *chart, bool observed)
{
    for (size_t c = 0; c < PLOT_CHARTS; c++)
        if (!strcmp(chart, plot_charts[c].name))
            return observed ? plot_charts[c].obs_sql : plot_charts[c].sql;
    return NULL;
}

/*
 * The marks every chart carries: one data file each, and a gnuplot variable
 * of the same name (its path) with nNAME its number of rows.
 */
enum plot_mark { MARK_RESHARDS, MARK_DISCARDS, MARK_EXPIRIES, MARK_DISABLED, MARK_FAILING,
                 MARK_COUNT };
static const struct {
    const char *name;
    const char *sql;      /* NULL: computed from the scenario */
    const char *obs_sql;  /* from summary_series; NULL: spans (plot_outages_observed) */
} plot_marks[MARK_COUNT] = {
    /* R12: the instants children open (a split, merge, rescale or rollover). */
    [MARK_RESHARDS] = { "reshards",
        "SELECT 'reshard', opened_ms / 60000.0 FROM shards"
        " WHERE run_id = ?1 AND parent_shard_id IS NOT NULL GROUP BY opened_ms ORDER BY opened_ms",
        "SELECT series, x / 60000.0 FROM summary_series WHERE run_id = ?1 AND chart = 'reshards'"
        " ORDER BY x" },
    /* R6: OnFailure messages (discards) per minute. */
    [MARK_DISCARDS] = { "discards",
        "SELECT 'discard', at_ms / 60000 AS minute, count(*) FROM discards"
        " WHERE run_id = ?1 GROUP BY minute ORDER BY minute",
        PLOT_OBS_SQL("discards", "x") },
    /* Retention expiries: the checkpoint moves past expired records. */
    [MARK_EXPIRIES] = { "expiries",
        "SELECT 'expiry', at_ms / 60000 AS minute, count(*) FROM checkpoints"
        " WHERE run_id = ?1 AND reason = 'expired' GROUP BY minute ORDER BY minute",
        PLOT_OBS_SQL("expiries", "x") },
    /* R16 and the function's failure rules: "SERIES FROM TO" in minutes. */
    [MARK_DISABLED] = { "disabled", NULL, NULL },
    [MARK_FAILING] = { "failing", NULL, NULL },
};

/* ---- data files ------------------------------------------------------- */

struct pdata {
    const char *name;   /* NAME.dat with --keep-data */
    char *path;         /* malloc'd; NULL until opened */
    bool temp;          /* removed by pdata_free */
    FILE *f;
    long rows;          /* points written */
    double max;         /* the largest last column */
    double total;       /* the sum of the last column */
    char *series;       /* the series in order, space-separated (malloc'd) */
    size_t n_series;
    size_t len, cap;    /* of series: its length and its allocation */
    size_t last;        /* where the last series' name starts in series */
    char count[24];     /* rows as text, for gnuplot */
};

static int pdata_open(struct pdata *d, const char *name, const char *keep_dir,
                      char *err, size_t errlen)
{
    *d = (struct pdata){ .name = name };
    const char *tmp = getenv("TMPDIR");
    const char *dir = keep_dir ? keep_dir : tmp && *tmp ? tmp : "/tmp";
    size_t len = strlen(dir) + strlen(name) + 32;
    if (!(d->path = malloc(len)) || !(d->series = calloc(1, 1))) {   /* cap 0: grown at once */
        errmsg_set(err, errlen, "out of memory");
        return -1;
    }
    if (keep_dir) {
        snprintf(d->path, len, "%s/%s.dat", dir, name);
        d->f = fopen(d->path, "w");
    } else {
        snprintf(d->path, len, "%s/esmsim-plot-%s-XXXXXX", dir, name);
        int fd = mkstemp(d->path);
        d->temp = fd >= 0;
        d->f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (fd >= 0 && !d->f)
            close(fd);
    }
    if (!d->f) {
        errmsg_set(err, errlen, "%s: cannot create the data file: %s", d->path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Start a point of series; a new series begins a new gnuplot block.  The
 * names grow by doubling and the last is found by its offset, so that a run
 * of many shards costs what its rows cost. */
static int pdata_point(struct pdata *d, const char *series)
{
    if (d->n_series && !strcmp(d->series + d->last, series))
        return 0;
    size_t n = strlen(series) + 2;
    if (d->len + n > d->cap) {
        size_t cap = d->cap + n > 2 * d->cap ? d->cap + n : 2 * d->cap;
        char *grown = realloc(d->series, cap);
        if (!grown)
            return -1;
        d->series = grown;
        d->cap = cap;
    }
    d->last = d->len + (d->len ? 1 : 0);
    d->len += (size_t)sprintf(d->series + d->len, "%s%s", d->len ? " " : "", series);
    if (d->n_series++)
        fputs("\n\n", d->f);
    return 0;
}

static void pdata_value(struct pdata *d, double v)
{
    d->max = d->rows == 0 || v > d->max ? v : d->max;
    d->total += v;
    d->rows++;
}

/*
 * Write the rows of sql (?1 bound to the run's id, ?2 to last_minute): the first
 * column is the series; where an integer second column (the minute) skips
 * minutes, a blank line breaks the series' line (no data: no point), unless
 * zeros (the skipped minutes are 0: the line goes on).  What a run log holds
 * is untrusted: a series name is written as one safe word, and a value that
 * is not a number as NaN (no point).  Returns 0, -1 (out of memory) or -2
 * when SQLite cannot read it (a sum of crafted figures overflows, an I/O
 * error): the run log is bad input, exit 2.
 */
static int pdata_query(struct pdata *d, const struct runread *rr, const char *sql,
                       int64_t last_minute, bool zeros, char *err, size_t errlen)
{
    sqlite3 *db = rr->db;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        errmsg_set(err, errlen, "%s: reading %s: %s", rr->path, d->name, sqlite3_errmsg(db));
        return -2;
    }
    sqlite3_bind_int64(st, 1, rr->run_id);
    if (sqlite3_bind_parameter_count(st) >= 2)
        sqlite3_bind_int64(st, 2, last_minute);
    int rc, n = sqlite3_column_count(st);
    int64_t prev = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char series[FMT_TEXT_MAX];
        const char *text = (const char *)sqlite3_column_text(st, 0);
        fmt_text(text ? text : "?", series, sizeof series);
        for (char *p = series; *p; p++)
            *p = *p == ' ' ? '_' : *p;   /* one word of "SERIES X VALUE" and of series */
        size_t before = d->n_series;
        if (pdata_point(d, series) < 0) {
            sqlite3_finalize(st);
            errmsg_set(err, errlen, "out of memory");
            return -1;
        }
        bool minute = n >= 3 && sqlite3_column_type(st, 1) == SQLITE_INTEGER;
        int64_t x = sqlite3_column_int64(st, 1);
        if (minute && !zeros && d->n_series == before && x > prev + 1)
            fputc('\n', d->f);
        prev = x;
        fputs(series, d->f);
        bool number = false;
        for (int c = 1; c < n; c++) {
            int type = sqlite3_column_type(st, c);
            number = type == SQLITE_INTEGER || type == SQLITE_FLOAT;
            fprintf(d->f, " %s", number ? (const char *)sqlite3_column_text(st, c) : "NaN");
        }
        fputc('\n', d->f);
        if (number)
            pdata_value(d, sqlite3_column_double(st, n - 1));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        errmsg_set(err, errlen, "%s: reading %s: %s", rr->path, d->name, sqlite3_errmsg(db));
        return -2;
    }
    return 0;
}

/* Flush and close; the file stays until pdata_free. */
static int pdata_close(struct pdata *d, char *err, size_t errlen)
{
    snprintf(d->count, sizeof d->count, "%ld", d->rows);
    bool bad = ferror(d->f) != 0;
    bad |= fclose(d->f) != 0;
    d->f = NULL;
    if (bad)
        errmsg_set(err, errlen, "%s: cannot write the data file: %s", d->path, strerror(errno));
    return bad ? -1 : 0;
}

static void pdata_free(struct pdata *d)
{
    if (d->f)
        fclose(d->f);
    if (d->temp && d->path)
        unlink(d->path);
    free(d->path);
    free(d->series);
    *d = (struct pdata){ 0 };
}

/* ---- outages from the scenario ---------------------------------------- */

struct span {
    int64_t from_us, to_us;
};

struct spans {
    struct span *v;
    size_t n, cap;
};

static int spans_add(struct spans *s, int64_t from_us, int64_t to_us)
{
    if (from_us >= to_us)
        return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        struct span *grown = realloc(s->v, cap * sizeof *grown);
        if (!grown)
            return -1;
        s->v = grown;
        s->cap = cap;
    }
    s->v[s->n++] = (struct span){ from_us, to_us };
    return 0;
}

static int span_cmp(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    return (x->from_us > y->from_us) - (x->from_us < y->from_us);
}

/* Write the spans, sorted and merged where they overlap or touch. */
static int spans_write(struct spans *s, struct pdata *d)
{
    if (s->n)
        qsort(s->v, s->n, sizeof *s->v, span_cmp);
    for (size_t i = 0; i < s->n;) {
        struct span u = s->v[i];
        for (i++; i < s->n && s->v[i].from_us <= u.to_us; i++)
            u.to_us = s->v[i].to_us > u.to_us ? s->v[i].to_us : u.to_us;
        if (pdata_point(d, d->name) < 0)
            return -1;
        double to_min = (double)u.to_us / 1000 / MS_PER_MINUTE;
        fprintf(d->f, "%s %.3f %.3f\n", d->name, (double)u.from_us / 1000 / MS_PER_MINUTE, to_min);
        pdata_value(d, to_min);
    }
    return 0;
}

/* R16: where the mapping is disabled, up to end_us. */
static int outage_disabled(const struct scenario *scn, int64_t end_us, struct spans *out)
{
    bool enabled = scn->cfg.mapping.enabled;
    int64_t since_us = 0;
    for (size_t i = 0; i < scn->cfg.n_schedule; i++) {
        const struct cfg_change *c = &scn->cfg.schedule[i];
        int64_t at_us = c->at_us + scn->cfg.model.mapping_update_delay_us;
        if (!c->mapping || at_us >= end_us)
            continue;
        if (enabled && !c->mapping->enabled)
            since_us = at_us;
        else if (!enabled && c->mapping->enabled && spans_add(out, since_us, at_us) < 0)
            return -1;
        enabled = c->mapping->enabled;
    }
    return enabled ? 0 : spans_add(out, since_us, end_us);
}

/* Where fn, in effect over [from_us, to_us), fails every record (the
 * observer's definition, observer.h). */
static int outage_function(const struct cfg_function *fn, int64_t from_us, int64_t to_us,
                           struct spans *out)
{
    struct obs_span *v = malloc((fn->n_failures + 1) * sizeof *v);
    if (!v)
        return -1;
    size_t n = obs_failing_spans(fn, from_us, to_us, v);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = spans_add(out, v[i].from_us, v[i].to_us);
    free(v);
    return rc;
}

/* The function as the schedule changes it, up to end_us. */
static int outage_failing(const struct scenario *scn, int64_t end_us, struct spans *out)
{
    const struct cfg_function *fn = &scn->cfg.function;
    int64_t since_us = 0;
    for (size_t i = 0; i < scn->cfg.n_schedule; i++) {
        const struct cfg_change *c = &scn->cfg.schedule[i];
        if (!c->function || c->at_us >= end_us)
            continue;
        if (outage_function(fn, since_us, c->at_us, out) < 0)
            return -1;
        fn = c->function;
        since_us = c->at_us;
    }
    return outage_function(fn, since_us, end_us, out);
}

/* Fill the disabled and failing files from the run's scenario. */
static int plot_outages(const struct runread *rr, const char *json, int64_t end_ms,
                        struct pdata *disabled, struct pdata *failing)
{
    char err[1024];
    struct scenario *scn = json ? scn_parse("runs.scenario_json", json, NULL, 0, err, sizeof err)
                                : NULL;
    if (!scn) {
        fprintf(stderr, "esmsim plot: warning: %s run %lld: cannot read the scenario (%s): "
                "outages are not marked\n", rr->path, (long long)rr->run_id,
                json ? err : "none stored");
        return 0;
    }
    struct spans off = { 0 }, down = { 0 };
    int rc = -1;
    if (outage_disabled(scn, end_ms * 1000, &off) == 0 &&
        outage_failing(scn, end_ms * 1000, &down) == 0 &&
        spans_write(&off, disabled) == 0 && spans_write(&down, failing) == 0)
        rc = 0;
    free(off.v);
    free(down.v);
    scn_free(scn);
    return rc;
}

/* The disabled and failing spans the run's observer found (summary_series). */
static int plot_outages_observed(struct runread *rr, struct pdata *disabled, struct pdata *failing)
{
    static const char sql[] =
        "SELECT chart = 'failing', x, value FROM summary_series WHERE run_id = ?1"
        " AND chart IN ('disabled', 'failing') ORDER BY chart, n";
    const char *what = "reading the outages";
    struct spans sp[2] = { 0 };
    int rc = 0;
    sqlite3_stmt *st = runread_prepare(rr, sql, what);
    while (rc == 0 && runread_row(rr, st, what))
        rc = spans_add(&sp[sqlite3_column_int(st, 0) != 0], sqlite3_column_int64(st, 1),
                       sqlite3_column_int64(st, 2));
    sqlite3_finalize(st);
    if (rc == 0 && !rr->failed && spans_write(&sp[0], disabled) == 0 &&
        spans_write(&sp[1], failing) == 0)
        rc = 1;
    free(sp[0].v);
    free(sp[1].v);
    return rc == 1 ? 0 : -1;
}

/* ---- options ---------------------------------------------------------- */

/* What the options ask for, checked before the run log is opened: a
 * message on stderr and false when they ask for what plot cannot do. */
static bool plot_check(const struct plot_opts *o)
{
    bool known = !strcmp(o->chart, "all");
    for (size_t c = 0; c < PLOT_CHARTS; c++)
        known |= !strcmp(o->chart, plot_charts[c].name);
    if (!known) {
        fprintf(stderr, "esmsim plot: --chart: expected iterator-age, oldest, concurrency, "
                "throughput or all, got \"%s\"\n", o->chart);
        return false;
    }
    if (o->at && strcmp(o->at, "completion") && strcmp(o->at, "send")) {
        fprintf(stderr, "esmsim plot: --at: expected completion or send, got \"%s\"\n", o->at);
        return false;
    }
    if (o->at && strcmp(o->chart, "all") && strcmp(o->chart, "iterator-age")) {
        fprintf(stderr, "esmsim plot: --at: only for the iterator-age chart (--chart iterator-age"
                " or all), not %s\n", o->chart);
        return false;
    }
    struct stat stbuf;
    if (o->keep_dir && (stat(o->keep_dir, &stbuf) != 0 || !S_ISDIR(stbuf.st_mode))) {
        fprintf(stderr, "esmsim plot: --keep-data %s: expected an existing directory\n",
                o->keep_dir);
        return false;
    }
    /* The data files are written over: never over the run log.  Every
     * chart's file, whichever is drawn: one name more is refused at worst. */
    const char *names[MARK_COUNT + PLOT_CHARTS];
    size_t n = 0;
    for (size_t m = 0; m < MARK_COUNT; m++)
        names[n++] = plot_marks[m].name;
    for (size_t c = 0; c < PLOT_CHARTS; c++)
        names[n++] = plot_charts[c].name;
    for (size_t i = 0; o->keep_dir && i < n; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s.dat", o->keep_dir, names[i]);
        if (fileout_same(path, o->db)) {
            fprintf(stderr, "esmsim plot: --keep-data %s: %s is the run log %s: keep the data in "
                    "another directory\n", o->keep_dir, path, o->db);
            return false;
        }
    }
    return true;
}

/* ---- one chart file ---------------------------------------------------- */

struct plot_out {
    char *path;        /* the chart's file (malloc'd) */
    char *temp;        /* where gnuplot writes it, renamed to path at the end */
    const char *format;
};

/* The file of chart: -o (SVG or PNG by its extension) with "-CHART" before
 * the extension for --chart all, or CHART.svg without -o. */
static int plot_out_name(const struct plot_opts *o, const char *chart, struct plot_out *p,
                         char *err, size_t errlen)
{
    const char *given = o->output ? o->output : "";
    const char *dot = strrchr(given, '.'), *slash = strrchr(given, '/');
    if (dot && slash && dot < slash)
        dot = NULL;
    if (o->output && (!dot || (strcasecmp(dot, ".svg") && strcasecmp(dot, ".png")))) {
        errmsg_set(err, errlen, "-o %s: expected a file name ending in .svg or .png", given);
        return -1;
    }
    p->format = dot && !strcasecmp(dot, ".png") ? "png" : "svg";
    size_t stem = o->output ? (size_t)(dot - given) : 0;
    size_t len = strlen(given) + strlen(chart) + 8;
    if (!(p->path = malloc(len)) || !(p->temp = malloc(len + 8))) {
        errmsg_set(err, errlen, "out of memory");
        return -1;
    }
    if (!o->output)
        snprintf(p->path, len, "%s.svg", chart);
    else if (!strcmp(o->chart, "all"))
        snprintf(p->path, len, "%.*s-%s%s", (int)stem, given, chart, dot);
    else
        snprintf(p->path, len, "%s", given);
    /* The chart is renamed over path: never over the run log, nor over what
     * is not a file. */
    const char *kind = fileout_unfit(p->path);
    if (kind) {
        errmsg_set(err, errlen, "-o %s: not a regular file (%s): write the chart to a file", p->path, kind);
        return -1;
    }
    if (fileout_same(p->path, o->db)) {
        errmsg_set(err, errlen, "-o %s: is the run log %s: write the chart to another file",
                   p->path, o->db);
        return -1;
    }
    /* Created now, so that an unwritable place is bad input before any work. */
    if (fileout_temp(p->path, p->temp, len + 8) < 0) {
        errmsg_set(err, errlen, "-o %s: cannot create: %s", p->path, strerror(errno));
        free(p->temp);
        p->temp = NULL;
        return -1;
    }
    return 0;
}

static void plot_out_free(struct plot_out *p)
{
    if (p->temp)
        unlink(p->temp);
    free(p->temp);
    free(p->path);
    *p = (struct plot_out){ 0 };
}

/* What the run gives every chart. */
struct plot_run {
    struct runread rr;
    int64_t end_ms;           /* the simulated end (runs.end_ms, else duration_ms) */
    bool per_record;          /* the records table was written */
    bool observed;            /* the series are in summary_series (the observer's) */
    char *scenario_json;      /* malloc'd, NULL when none */
    char xmax[32];            /* end_ms in minutes, for gnuplot */
    char title[320];          /* "scenario, run N" */
    struct pdata marks[MARK_COUNT];
};

static int plot_run_read(struct plot_run *r, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(r->rr.db, "SELECT coalesce(end_ms, duration_ms), per_record_tables,"
                           " scenario_json FROM runs WHERE run_id = ?", -1, &st, NULL) != SQLITE_OK) {
        errmsg_set(err, errlen, "%s: %s", r->rr.path, sqlite3_errmsg(r->rr.db));
        return -1;
    }
    sqlite3_bind_int64(st, 1, r->rr.run_id);
    int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
    if (rc == 0) {
        const char *json = (const char *)sqlite3_column_text(st, 2);
        r->end_ms = sqlite3_column_int64(st, 0);
        r->per_record = sqlite3_column_int(st, 1) != 0;
        r->scenario_json = json ? strdup(json) : NULL;
    } else {
        errmsg_set(err, errlen, "%s: %s", r->rr.path, sqlite3_errmsg(r->rr.db));
    }
    sqlite3_finalize(st);
    snprintf(r->xmax, sizeof r->xmax, "%.3f", (double)r->end_ms / MS_PER_MINUTE);
    snprintf(r->title, sizeof r->title, "%s, run %lld%s", r->rr.scenario,
             (long long)r->rr.run_id, r->rr.complete ? "" : " (incomplete)");
    return rc;
}

/* The last minute the run covers (it ends at end_ms, exclusive). */
static int64_t plot_last_minute(const struct plot_run *r)
{
    return r->end_ms > 0 ? (r->end_ms - 1) / 60000 : 0;
}

/* The mark files, shared by every chart: 0, -1, or -2 when the run log
 * cannot be read (pdata_query). */
static int plot_marks_write(struct plot_run *r, const char *keep_dir, char *err, size_t errlen)
{
    for (int m = 0; m < MARK_COUNT; m++)
        if (pdata_open(&r->marks[m], plot_marks[m].name, keep_dir, err, errlen) < 0)
            return -1;
    for (int m = 0; m < MARK_COUNT; m++) {
        const char *sql = r->observed ? plot_marks[m].obs_sql : plot_marks[m].sql;
        int rc = sql ? pdata_query(&r->marks[m], &r->rr, sql, plot_last_minute(r), false, err,
                                   errlen) : 0;
        if (rc < 0)
            return rc;
    }
    if (r->observed && plot_outages_observed(&r->rr, &r->marks[MARK_DISABLED],
                                             &r->marks[MARK_FAILING]) < 0) {
        errmsg_set(err, errlen, "%s", r->rr.failed ? r->rr.err : "out of memory");
        return r->rr.failed ? -2 : -1;
    }
    if (!r->observed && plot_outages(&r->rr, r->scenario_json, r->end_ms,
                                     &r->marks[MARK_DISABLED], &r->marks[MARK_FAILING]) < 0) {
        errmsg_set(err, errlen, "out of memory");
        return -1;
    }
    for (int m = 0; m < MARK_COUNT; m++)
        if (pdata_close(&r->marks[m], err, errlen) < 0)
            return -1;
    return 0;
}

/* Write chart's data (IteratorAge at the send with at_send) and draw it
 * into out->temp.  Returns 0, -1 (exit 1) or -2 (no gnuplot, or a run log
 * SQLite cannot read: exit 2). */
static int plot_chart_draw(struct plot_run *r, const struct plot_chart *chart, bool at_send,
                           const struct plot_out *out, const char *keep_dir,
                           char *err, size_t errlen)
{
    struct pdata d;
    int rc = -1;
    const char *sql = at_send && chart->sql_send ? chart->sql_send : chart->sql;
    if (r->observed)
        sql = at_send && chart->obs_sql_send ? chart->obs_sql_send : chart->obs_sql;
    bool zeros = !strcmp(chart->name, "throughput");   /* counts: see its query */
    if (pdata_open(&d, chart->name, keep_dir, err, errlen) < 0 ||
        (rc = pdata_query(&d, &r->rr, sql, plot_last_minute(r), zeros, err, errlen)) < 0 ||
        (rc = pdata_close(&d, err, errlen)) < 0)
        goto out;
    rc = -1;
    char nseries[24], ymax[32], discarded[32], script[64], names[MARK_COUNT][32];
    snprintf(nseries, sizeof nseries, "%zu", d.n_series);
    snprintf(ymax, sizeof ymax, "%.17g", d.rows ? d.max : 0.0);
    snprintf(discarded, sizeof discarded, "%.0f", r->marks[MARK_DISCARDS].total);
    snprintf(script, sizeof script, "%s.gp", chart->name);
    struct gp_var vars[10 + 2 * MARK_COUNT] = {
        { "format", out->format }, { "out", out->temp }, { "run", r->title },
        { "xmax", r->xmax }, { "data", d.path }, { "series", d.series },
        { "nseries", nseries }, { "ymax", ymax }, { "discarded", discarded },
        { "age_at", at_send ? "send" : "completion" },
    };
    size_t n = 10;
    for (int m = 0; m < MARK_COUNT; m++) {
        snprintf(names[m], sizeof names[m], "n%s", plot_marks[m].name);
        vars[n++] = (struct gp_var){ plot_marks[m].name, r->marks[m].path };
        vars[n++] = (struct gp_var){ names[m], r->marks[m].count };
    }
    if (gp_run(script, vars, n, err, errlen) == 0)
        rc = 0;
    else if (!strncmp(err, "gnuplot not found", 17))
        rc = -2;
out:
    pdata_free(&d);
    return rc;
}

/* ---- the command -------------------------------------------------------- */

/* --at send reads invocations.iterator_age_at_send_ms, which run logs of
 * schema version 3 (older esmsim) do not have: bad input, said plainly. */
static int plot_check_at_send(const struct runread *rr, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(rr->db, "SELECT iterator_age_at_send_ms FROM invocations LIMIT 0",
                                -1, &st, NULL);
    sqlite3_finalize(st);
    if (rc == SQLITE_OK)
        return 0;
    errmsg_set(err, errlen, "%s: --at send: the run log has no invocations.iterator_age_at_send_ms"
               " (an older esmsim wrote it: %s); run the scenario again, or use --at completion",
               rr->path, sqlite3_errmsg(rr->db));
    return -1;
}

int plot_draw(const struct plot_opts *opts)
{
    struct plot_opts o = *opts;
    if (!o.chart)
        o.chart = "iterator-age";
    if (!plot_check(&o))
        return ERRMSG_BAD_INPUT;
    bool at_send = o.at && !strcmp(o.at, "send");
    char err[1024];
    struct plot_out outs[PLOT_CHARTS] = { 0 };
    struct plot_run r = { 0 };
    int rc = ERRMSG_BAD_INPUT;
    bool all = !strcmp(o.chart, "all");
    gp_catch_signals();   /* a Ctrl-C from here on leaves no temporary file */
    for (size_t c = 0; c < PLOT_CHARTS; c++)
        if ((all || !strcmp(o.chart, plot_charts[c].name)) &&
            plot_out_name(&o, plot_charts[c].name, &outs[c], err, sizeof err) < 0)
            goto fail;
    if (runread_open(&r.rr, o.db, o.run_id, err, sizeof err) < 0 ||
        (at_send && plot_check_at_send(&r.rr, err, sizeof err) < 0))
        goto fail;
    runread_stop_when(&r.rr, gp_stopped_by);
    r.observed = runread_has_summary(&r.rr);
    /* the tables the series are summed from (a text would be summed as 0) */
    static const struct runread_rows tables[] = {
        { "invocations", NULL }, { "metrics", NULL }, { "shards", NULL }, { "discards", NULL },
        { "checkpoints", NULL }, { "record_rows", NULL }, { NULL, NULL }
    }, obs_tables[] = { { "summary_series", NULL }, { NULL, NULL } };
    if (!runread_check_tables(&r.rr, r.observed ? obs_tables : tables)) {
        errmsg_set(err, sizeof err, "%s", r.rr.err);
        goto fail;
    }
    if (plot_run_read(&r, err, sizeof err) < 0)
        goto fail;
    int marks = plot_marks_write(&r, o.keep_dir, err, sizeof err);
    rc = marks == -2 ? ERRMSG_BAD_INPUT : ERRMSG_FAILED;
    if (marks < 0)
        goto fail;
    for (size_t c = 0; c < PLOT_CHARTS; c++) {
        if (!outs[c].path)
            continue;
        if (!strcmp(plot_charts[c].name, "throughput") && !r.per_record && !r.observed)
            fprintf(stderr, "esmsim plot: %s run %lld has no records table (--no-record-tables):"
                    " %s shows no records written\n", o.db, (long long)r.rr.run_id, outs[c].path);
        int drawn = plot_chart_draw(&r, &plot_charts[c], at_send, &outs[c], o.keep_dir, err,
                                    sizeof err);
        if (drawn < 0) {
            rc = drawn == -2 ? ERRMSG_BAD_INPUT : ERRMSG_FAILED;
            goto fail;
        }
        if (gp_output_done(outs[c].temp, outs[c].path, err, sizeof err) < 0)
            goto fail;
        free(outs[c].temp);
        outs[c].temp = NULL;
        printf("wrote %s\n", outs[c].path);
    }
    rc = 0;
fail:
    if (rc)
        fprintf(stderr, "esmsim plot: %s\n", err);
    for (size_t c = 0; c < PLOT_CHARTS; c++)
        plot_out_free(&outs[c]);
    for (int m = 0; m < MARK_COUNT; m++)
        pdata_free(&r.marks[m]);
    free(r.scenario_json);
    runread_close(&r.rr);
    return rc;
}
