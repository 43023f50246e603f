/*
 * ranking.c - a sweep's settings ranked, and charted (SPEC section 5, `esmsim
 * sweep`): see ranking.h.  Every figure is SQL over the run log: a run's
 * row of sweep_results from its own tables (rank_summarize), a setting's
 * figures as aggregates of its runs' rows.  plots/sweep.gp draws the chart.
 */
#include "ranking.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "errmsg.h"
#include "fileout.h"
#include "gnuplot.h"
#include "scenario.h"

/* What a setting is ranked by: an aggregate over its runs (sweep_results s),
 * lowest first. */
struct rank_objective {
    const char *name;       /* --objective NAME */
    const char *sql;
    const char *label;      /* the ranking's heading and the chart's Y axis */
    bool ms;                /* in milliseconds: the chart picks s, min or h */
};

static const struct rank_objective objectives[] = {
    { "p99", "avg(s.iterator_age_p99_ms)", "p99 IteratorAge", true },
    { "max", "avg(s.iterator_age_max_ms)", "maximum IteratorAge", true },
    { "drain", "CASE WHEN count(s.drain_ms) = count(*) THEN avg(s.drain_ms) END",
      "time to drain", true },
    { "cost", "avg(s.gb_seconds)", "cost (GB-seconds)", false },
    { "duplicates", "avg(s.redelivered_records + s.producer_duplicates)",
      "duplicates (records redelivered + messages written twice)", false },
    { NULL, NULL, NULL, false },
};

const struct rank_objective *rank_objective(const char *name)
{
    for (const struct rank_objective *o = objectives; o->name; o++)
        if (!strcmp(o->name, name))
            return o;
    return NULL;
}

/* ---- a run's row ------------------------------------------------------------ */

/* One integer from a one-row query with run_id as ?1; NULL reads as 0. */
static int query_run_int(sqlite3 *db, const char *sql, int64_t run_id, int64_t *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
    if (rc == 0)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc;
}

/* The memory size of the run's function, from its effective scenario. */
static int run_memory_mb(sqlite3 *db, int64_t run_id, int64_t *memory_mb, char *err,
                         size_t errlen)
{
    sqlite3_stmt *st;
    int rc = -1;
    if (sqlite3_prepare_v2(db, "SELECT scenario_json FROM runs WHERE run_id = ?", -1, &st,
                           NULL) != SQLITE_OK) {
        snprintf(err, errlen, "runs: %s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_int64(st, 1, run_id);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
        char name[64], why[768];
        snprintf(name, sizeof name, "run %" PRId64, run_id);
        struct scenario *scn = scn_parse(name, (const char *)sqlite3_column_text(st, 0), NULL, 0,
                                         why, sizeof why);
        if (scn) {
            *memory_mb = scn->cfg.function.memory_mb;
            scn_free(scn);
            rc = 0;
        } else {
            snprintf(err, errlen, "scenario_json: %s", why);
        }
    } else {
        snprintf(err, errlen, "no run %" PRId64 " with a scenario", run_id);
    }
    sqlite3_finalize(st);
    return rc;
}

/*
 * The sweep_results row of run run_id, all figures by SQL over its tables in
 * db.  IteratorAge percentiles are nearest-rank over every invocation that
 * emitted one (value of rank ceil(p% of n)).  drain_ms is the first sample
 * time from which the age of the oldest unprocessed record (every shard) stays
 * at most drain_below_ms to the end; 0 if it never was above, NULL if it is
 * above at the end.  Duplicates and fates are the counts of the run's summary
 * (runs.summary_json, kept with or without the per-record tables; NULL
 * without it).  GB-seconds: (end_ms - start_ms) of every invocation but
 * throttled attempts, times memory_mb / 1024, in seconds.
 */
int rank_summarize(sqlite3 *db, int64_t run_id, const char *setting, int64_t drain_below_ms,
                     bool run_tables, char *err, size_t errlen)
{
    static const char sql[] =
        "INSERT OR REPLACE INTO sweep_results (run_id, setting, seed, iterator_age_p50_ms,"
        " iterator_age_p99_ms, iterator_age_max_ms, drain_ms, drain_below_ms,"
        " redelivered_records, producer_duplicates, messages_discarded, messages_expired,"
        " messages_lost, invocations, memory_mb, gb_seconds, run_tables)"
        " SELECT ?1, ?2, r.seed,"
        "  (SELECT iterator_age_ms FROM invocations WHERE run_id = ?1"
        "   AND iterator_age_ms IS NOT NULL ORDER BY iterator_age_ms LIMIT 1 OFFSET ?4),"
        "  (SELECT iterator_age_ms FROM invocations WHERE run_id = ?1"
        "   AND iterator_age_ms IS NOT NULL ORDER BY iterator_age_ms LIMIT 1 OFFSET ?5),"
        "  (SELECT max(iterator_age_ms) FROM invocations WHERE run_id = ?1),"
        "  (SELECT CASE WHEN last_at IS NULL OR last_bad = last_at THEN NULL"
        "               WHEN last_bad IS NULL THEN 0"
        "               ELSE (SELECT min(at_ms) FROM metrics WHERE run_id = ?1"
        "                     AND name = 'oldest_unprocessed_age_ms' AND at_ms > last_bad) END"
        "   FROM (SELECT max(at_ms) AS last_at,"
        "                max(CASE WHEN value > ?6 THEN at_ms END) AS last_bad"
        "         FROM metrics WHERE run_id = ?1 AND name = 'oldest_unprocessed_age_ms')),"
        "  ?6,"
        "  json_extract(r.summary_json, '$.redelivered_records'),"
        "  json_extract(r.summary_json, '$.producer_duplicates'),"
        "  json_extract(r.summary_json, '$.messages_discarded'),"
        "  json_extract(r.summary_json, '$.messages_expired'),"
        "  json_extract(r.summary_json, '$.messages_lost'),"
        "  (SELECT count(*) FROM invocations WHERE run_id = ?1 AND outcome <> 'throttled'),"
        "  ?3,"
        "  (SELECT coalesce(sum(end_ms - start_ms), 0) FROM invocations"
        "   WHERE run_id = ?1 AND outcome <> 'throttled') * ?3 / 1024000.0,"
        "  ?7"
        " FROM runs r WHERE r.run_id = ?1";
    int64_t memory_mb = 0, n_ages = 0;
    if (run_memory_mb(db, run_id, &memory_mb, err, errlen) < 0)
        return -1;
    if (query_run_int(db, "SELECT count(iterator_age_ms) FROM invocations WHERE run_id = ?",
                      run_id, &n_ages) < 0)
        goto sql_error;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        goto sql_error;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, setting, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, memory_mb);
    /* nearest rank ceil(p * n / 100), as an offset from 0 */
    sqlite3_bind_int64(st, 4, n_ages ? (50 * n_ages + 99) / 100 - 1 : 0);
    sqlite3_bind_int64(st, 5, n_ages ? (99 * n_ages + 99) / 100 - 1 : 0);
    sqlite3_bind_int64(st, 6, drain_below_ms);
    sqlite3_bind_int(st, 7, run_tables);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return 0;
sql_error:
    snprintf(err, errlen, "sweep_results of run %" PRId64 ": %s", run_id, sqlite3_errmsg(db));
    return -1;
}

/* ---- the settings ranked ---------------------------------------------------- */

/* The value of parameter k in setting (grid order: the last parameter
 * changes fastest). */
static const char *value_of(const struct rank_sweep *sw, size_t setting, size_t k)
{
    size_t stride = 1;
    for (size_t j = k + 1; j < sw->n_params; j++)
        stride *= sw->params[j].n_values;
    return sw->params[k].values[setting / stride % sw->params[k].n_values];
}

enum { AG_P50, AG_P99, AG_MAX, AG_DRAIN, AG_REDELIVERED, AG_PRODUCER_DUPS, AG_LOST,
       AG_INVOCATIONS, AG_GB_S, AG_OBJECTIVE, AG_COUNT };

/* A setting's figures over its runs (means; lost: the sum). */
struct ranked {
    size_t setting;
    int64_t runs;
    double v[AG_COUNT];
    bool known[AG_COUNT];   /* false: NULL (never drained, no per-record tables, ...) */
};

/* The settings, best first: those that lose no message (lost known and 0),
 * then the others, each by the objective (unknown last), then grid order. */
static struct ranked *rank(const struct rank_sweep *sw, size_t *n)
{
    static const char fmt[] =
        "SELECT g.setting, count(*), avg(s.iterator_age_p50_ms), avg(s.iterator_age_p99_ms),"
        " avg(s.iterator_age_max_ms),"
        " CASE WHEN count(s.drain_ms) = count(*) THEN avg(s.drain_ms) END,"
        " avg(s.redelivered_records), avg(s.producer_duplicates),"
        " CASE WHEN count(s.messages_lost) = count(*) THEN"
        "  sum(s.messages_discarded + s.messages_expired + s.messages_lost) END AS lost,"
        " avg(s.invocations), avg(s.gb_seconds), %s AS objective"
        " FROM temp.sweep_grid g JOIN sweep_results s ON s.run_id = g.run_id"
        " GROUP BY g.setting"
        " ORDER BY coalesce(lost > 0, 1), objective IS NULL, objective, g.setting";
    char sql[2048];
    snprintf(sql, sizeof sql, fmt, sw->objective->sql);
    struct ranked *out = calloc(sw->n_settings, sizeof *out);
    sqlite3_stmt *st;
    *n = 0;
    if (!out || sqlite3_prepare_v2(sw->db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "esmsim sweep: %s: rank: %s\n", sw->output,
                out ? sqlite3_errmsg(sw->db) : "out of memory");
        free(out);
        return NULL;
    }
    while (sqlite3_step(st) == SQLITE_ROW && *n < sw->n_settings) {
        struct ranked *r = &out[(*n)++];
        r->setting = (size_t)sqlite3_column_int64(st, 0);
        r->runs = sqlite3_column_int64(st, 1);
        for (int a = 0; a < AG_COUNT; a++) {
            r->known[a] = sqlite3_column_type(st, 2 + a) != SQLITE_NULL;
            r->v[a] = sqlite3_column_double(st, 2 + a);
        }
    }
    sqlite3_finalize(st);
    return out;
}

/* The ranking's figure columns, in order. */
static const struct { int figure; const char *title; int width; const char *fmt; } rank_columns[] = {
    { AG_P50, "p50 ms", 8, "%*.0f" },
    { AG_P99, "p99 ms", 8, "%*.0f" },
    { AG_MAX, "max ms", 8, "%*.0f" },
    { AG_DRAIN, "drain ms", 9, "%*.0f" },
    { AG_REDELIVERED, "redelivered", 11, "%*.0f" },
    { AG_PRODUCER_DUPS, "prod.dups", 9, "%*.0f" },
    { AG_LOST, "lost", 7, "%*.0f" },
    { AG_INVOCATIONS, "invocations", 11, "%*.0f" },
    { AG_GB_S, "GB-s", 10, "%*.3f" },
};

static void print_ranking(const struct rank_sweep *sw, const struct ranked *rk, size_t n)
{
    int widths[RANK_MAX_PARAMS];
    printf("ranked by the lowest %s, settings that lose no message first (lost: messages"
           " discarded, expired or lost%s)\n\n", sw->objective->label,
           sw->seeds > 1 ? "; figures: means over the seeds, lost: the total" : "");
    printf("rank");
    for (size_t k = 0; k < sw->n_params; k++) {
        widths[k] = (int)strlen(sw->params[k].path);
        for (size_t v = 0; v < sw->params[k].n_values; v++)
            if ((int)strlen(sw->params[k].values[v]) > widths[k])
                widths[k] = (int)strlen(sw->params[k].values[v]);
        printf("  %-*s", widths[k], sw->params[k].path);
    }
    for (size_t c = 0; c < sizeof rank_columns / sizeof rank_columns[0]; c++)
        printf("  %*s", rank_columns[c].width, rank_columns[c].title);
    putchar('\n');
    for (size_t i = 0; i < n; i++) {
        const struct ranked *r = &rk[i];
        printf("%4zu", i + 1);
        for (size_t k = 0; k < sw->n_params; k++)
            printf("  %-*s", widths[k], value_of(sw, r->setting, k));
        for (size_t c = 0; c < sizeof rank_columns / sizeof rank_columns[0]; c++) {
            printf("  ");
            if (r->known[rank_columns[c].figure])
                printf(rank_columns[c].fmt, rank_columns[c].width, r->v[rank_columns[c].figure]);
            else
                printf("%*s", rank_columns[c].width, "-");
        }
        putchar('\n');
    }
}

/* ---- the chart ----------------------------------------------------------------- */

/* SWEEP.db -> SWEEP.svg (any other name: NAME.svg). */
static char *chart_path(const char *output)
{
    size_t len = strlen(output);
    char *out = malloc(len + 5);
    if (!out)
        return NULL;
    memcpy(out, output, len + 1);
    if (len > 3 && !strcmp(out + len - 3, ".db"))
        out[len - 3] = '\0';
    strcat(out, ".svg");
    return out;
}

/*
 * The objective against the values of the first --vary (the X axis, in
 * --vary order), one line per value of the second; with more, each point is
 * the best-ranked setting of its pair.  Data: a block per line, its title
 * first, then "X LABEL VALUE LOSES" rows.  Returns 0, or 1 when the chart
 * could not be drawn (said on stderr).
 */
static int chart(const struct rank_sweep *sw, const struct ranked *rk, size_t n)
{
    size_t nx = sw->params[0].n_values, nl = sw->n_params > 1 ? sw->params[1].n_values : 1;
    char err[1024], datapath[4096], temp[4096];
    const char *tmpdir = getenv("TMPDIR");
    snprintf(datapath, sizeof datapath, "%s/esmsim-sweep-XXXXXX",
             tmpdir && *tmpdir ? tmpdir : "/tmp");
    ssize_t *best = malloc(nx * nl * sizeof *best);
    char *svg = chart_path(sw->output);
    int fd = -1, rc = 1;
    bool made = false, drawing = false;
    FILE *f = NULL;
    if (!best || !svg) {
        fprintf(stderr, "esmsim sweep: chart: out of memory\n");
        goto out;
    }
    for (size_t i = 0; i < nx * nl; i++)
        best[i] = -1;
    size_t points = 0, losing = 0;
    double ymin = HUGE_VAL, ymax = 0;
    for (size_t i = 0; i < n; i++) {   /* rank order: the first of a pair is its best */
        size_t s = rk[i].setting, per_x = sw->n_settings / nx;
        size_t x = s / per_x, l = sw->n_params > 1 ? s % per_x / (per_x / nl) : 0;
        if (best[x * nl + l] < 0 && rk[i].known[AG_OBJECTIVE]) {
            best[x * nl + l] = (ssize_t)i;
            points++;
            ymin = fmin(ymin, rk[i].v[AG_OBJECTIVE]);
            ymax = fmax(ymax, rk[i].v[AG_OBJECTIVE]);
            losing += !(rk[i].known[AG_LOST] && rk[i].v[AG_LOST] == 0);
        }
    }
    if (points == 0) {
        fprintf(stderr, "esmsim sweep: no chart: no setting has a %s\n", sw->objective->label);
        rc = 0;
        goto out;
    }
    made = (fd = mkstemp(datapath)) >= 0;
    if (!made || !(f = fdopen(fd, "w"))) {
        fprintf(stderr, "esmsim sweep: chart: %s: %s\n", datapath, strerror(errno));
        goto out;
    }
    fd = -1;
    for (size_t l = 0; l < nl; l++) {
        if (sw->n_params > 1)
            fprintf(f, "\"%s=%s\"\n", sw->params[1].path, sw->params[1].values[l]);
        else
            fprintf(f, "\"%s\"\n", sw->objective->label);
        for (size_t x = 0; x < nx; x++) {
            ssize_t i = best[x * nl + l];
            fprintf(f, "%zu\t\"%s\"\t", x, sw->params[0].values[x]);
            if (i < 0)
                fprintf(f, "NaN\t0\n");
            else
                fprintf(f, "%.17g\t%d\n", rk[i].v[AG_OBJECTIVE],
                        !(rk[i].known[AG_LOST] && rk[i].v[AG_LOST] == 0));
        }
        fprintf(f, "\n\n");
    }
    if (fclose(f) != 0) {
        f = NULL;
        fprintf(stderr, "esmsim sweep: chart: %s: %s\n", datapath, strerror(errno));
        goto out;
    }
    f = NULL;
    /* gnuplot draws into a file beside the chart, renamed when it succeeds:
     * a failure or a Ctrl-C never leaves half a chart */
    const char *kind = fileout_unfit(svg);
    if (kind) {
        fprintf(stderr, "esmsim sweep: chart: %s: not a regular file (%s): not drawn\n", svg, kind);
        goto out;
    }
    if (fileout_temp(svg, temp, sizeof temp) < 0) {
        fprintf(stderr, "esmsim sweep: chart: %s: cannot create: %s\n", svg, strerror(errno));
        goto out;
    }
    drawing = true;
    char nlines[32], nlosing[32], lo[32], hi[32], title[512], ylabel[256];
    snprintf(nlines, sizeof nlines, "%zu", nl);
    snprintf(nlosing, sizeof nlosing, "%zu", losing);
    snprintf(lo, sizeof lo, "%.17g", ymin);
    snprintf(hi, sizeof hi, "%.17g", ymax);
    snprintf(title, sizeof title, "%s: %s by %s (%zu settings)", sw->name, sw->objective->label,
             sw->params[0].path, sw->n_settings);
    snprintf(ylabel, sizeof ylabel, "%s%s", sw->objective->label,
             sw->seeds > 1 ? ", mean over the seeds" : "");
    const struct gp_var vars[] = {
        { "data", datapath }, { "out", temp }, { "title", title }, { "xlabel", sw->params[0].path },
        { "ylabel", ylabel }, { "nlines", nlines }, { "nlosing", nlosing }, { "ymin", lo },
        { "ymax", hi }, { "ms", sw->objective->ms ? "1" : "0" },
    };
    if (gp_run("sweep.gp", vars, sizeof vars / sizeof vars[0], err, sizeof err) < 0 ||
        gp_output_done(temp, svg, err, sizeof err) < 0)
        fprintf(stderr, "esmsim sweep: chart: %s\n", err);
    else {
        drawing = false;
        printf("chart: %s\n", svg);
        rc = 0;
    }
out:
    if (f)
        fclose(f);
    if (fd >= 0)
        close(fd);
    if (made)
        unlink(datapath);
    if (drawing)
        unlink(temp);
    free(best);
    free(svg);
    return rc;
}

int rank_show(const struct rank_sweep *sw)
{
    size_t n = 0;
    struct ranked *rk = rank(sw, &n);
    if (!rk)
        return ERRMSG_FAILED;
    print_ranking(sw, rk, n);
    printf("\nrows: %s, table sweep_results\n", sw->output);
    int rc = sw->chart && n > 0 && chart(sw, rk, n) != 0 ? ERRMSG_FAILED : 0;
    free(rk);
    return rc;
}
