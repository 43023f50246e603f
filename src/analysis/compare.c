/*
 * compare.c - `esmsim compare`: see compare.h (SPEC section 5, issue 14 item 3).
 *
 * The run's side of each metric is a figure per minute of simulated time:
 * IteratorAge (maximum per minute of the invocations' ages at completion,
 * R14), concurrency (maximum of the per-second samples) and records written
 * are plot.c's own queries (plot_chart_sql), from the summary tables when
 * the run has them as plot reads them, so the comparison shows what
 * `esmsim plot` draws (records written too for a run with
 * --no-record-tables: the observer counts them); invocations, errors,
 * throttles and the mean duration are counted here.  The minutes are then gathered into the observed
 * series' periods as CloudWatch gathers its datapoints: the maximum, the sum
 * or the mean of the period.
 *
 * The time axis: an observed timestamp T is the run's time T -
 * model.start_time (what esmsim import writes: its first datapoint), so a
 * scenario imported from the metrics lines up exactly.  When no observed
 * datapoint falls within the run that way (a scenario written by hand), the
 * first observed timestamp is the run's 0, and compare says so; --align
 * chooses either.  Only periods where both sides have a value are measured:
 * a Sum without a datapoint is 0 (CloudWatch: no data), any other statistic
 * without one is unknown, as is a minute without an invocation for the
 * run's IteratorAge.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "awsjson.h"
#include "compare.h"
#include "errmsg.h"
#include "fmt.h"
#include "fileout.h"
#include "gnuplot.h"
#include "metricdata.h"
#include "plot.h"
#include "runread.h"
#include "scenario.h"

#define MS_PER_MINUTE INT64_C(60000)
#define MAX_PANELS 8

enum agg { AGG_MAX, AGG_SUM, AGG_MEAN };

/* What is compared: a CloudWatch metric and statistic, and the run's figure. */
static const struct cmp_metric {
    enum mdata_metric metric;
    const char *stat;
    const char *chart;      /* plot.c's chart giving the run's minutes (series, minute, value) */
    const char *series;     /* its series */
    const char *sql;        /* else compare's own: minute, value[, weight] (?1 the run id) */
    enum agg agg;           /* how minutes make a period */
    const char *unit;       /* for people */
    const char *id;         /* the Id of --export */
} CMP[] = {
    { MD_ITERATOR_AGE, "Maximum", "iterator-age", "all", NULL, AGG_MAX, "ms", "iterator_age_max" },
    { MD_CONCURRENT_EXECUTIONS, "Maximum", "concurrency", "max", NULL, AGG_MAX, "",
      "concurrent_executions_max" },
    { MD_INCOMING_RECORDS, "Sum", "throughput", "written", NULL, AGG_SUM, "records",
      "incoming_records_sum" },
    /* Lambda counts an invocation when it starts; a throttled one is not one. */
    { MD_INVOCATIONS, "Sum", NULL, NULL,
      "SELECT start_ms / 60000, count(*) FROM invocations WHERE run_id = ?1"
      " AND outcome <> 'throttled' GROUP BY 1 ORDER BY 1", AGG_SUM, "", "invocations_sum" },
    /* Errors: a function error or a timeout (a partial response is a success to Lambda). */
    { MD_ERRORS, "Sum", NULL, NULL,
      "SELECT start_ms / 60000, count(*) FROM invocations WHERE run_id = ?1"
      " AND outcome IN ('error', 'timeout') GROUP BY 1 ORDER BY 1", AGG_SUM, "", "errors_sum" },
    { MD_THROTTLES, "Sum", NULL, NULL,
      "SELECT start_ms / 60000, count(*) FROM invocations WHERE run_id = ?1"
      " AND outcome = 'throttled' GROUP BY 1 ORDER BY 1", AGG_SUM, "", "throttles_sum" },
    { MD_DURATION, "Average", NULL, NULL,
      "SELECT start_ms / 60000, sum(end_ms - start_ms), count(*) FROM invocations WHERE run_id = ?1"
      " AND outcome <> 'throttled' GROUP BY 1 ORDER BY 1", AGG_MEAN, "ms", "duration_average" },
};
#define N_CMP (sizeof CMP / sizeof CMP[0])

/* ---- the run's minutes --------------------------------------------------------- */

struct minutes {
    int64_t n;              /* minutes of the run: 0 .. n-1 */
    double *v, *w;          /* value (a sum for AGG_MEAN) and weight (a count) */
    bool *has;              /* a row for the minute */
    bool available;         /* the run has the figure (IncomingRecords: its summary or records table) */
};

struct run {
    struct runread rr;
    int64_t end_ms;
    bool per_record;
    bool observed;          /* plot's series are in its summary tables (runread_has_summary) */
    int64_t epoch_ms;       /* model.start_time of its scenario */
    bool has_epoch;
    struct minutes m[N_CMP];
};

static int run_read(struct run *r, char *err, size_t errlen)
{
    sqlite3_stmt *st = runread_prepare(&r->rr, "SELECT coalesce(end_ms, duration_ms),"
                                       " per_record_tables, scenario_json FROM runs WHERE run_id = ?1",
                                       "read the run");
    if (runread_row(&r->rr, st, "read the run")) {
        r->end_ms = sqlite3_column_int64(st, 0);
        r->per_record = sqlite3_column_int(st, 1) != 0;
        const char *json = (const char *)sqlite3_column_text(st, 2);
        char serr[1024];
        struct scenario *s = json ? scn_parse("runs.scenario_json", json, NULL, 0, serr, sizeof serr)
                                  : NULL;
        if (s) {
            r->epoch_ms = s->cfg.model.epoch_ms;
            r->has_epoch = true;
        }
        scn_free(s);
    }
    sqlite3_finalize(st);
    r->observed = runread_has_summary(&r->rr);
    /* the tables the minutes are summed from (a text would be summed as 0):
     * plot's series from summary_series or from the tables behind them */
    static const struct runread_rows tables[] = {
        { "invocations", NULL }, { "metrics", NULL }, { "record_rows", NULL }, { NULL, NULL }
    }, obs_tables[] = { { "invocations", NULL }, { "summary_series", NULL }, { NULL, NULL } };
    runread_check_tables(&r->rr, r->observed ? obs_tables : tables);
    if (r->rr.failed) {
        errmsg_set(err, errlen, "%s", r->rr.err);
        return -1;
    }
    return 0;
}

/* The run's minutes of metric c. */
static int minutes_read(struct run *r, size_t c, char *err, size_t errlen)
{
    struct minutes *m = &r->m[c];
    m->n = r->end_ms > 0 ? (r->end_ms - 1) / MS_PER_MINUTE + 1 : 0;
    m->available = CMP[c].metric != MD_INCOMING_RECORDS || r->observed || r->per_record;
    if (!(m->v = calloc((size_t)m->n + 1, sizeof *m->v)) ||
        !(m->w = calloc((size_t)m->n + 1, sizeof *m->w)) ||
        !(m->has = calloc((size_t)m->n + 1, sizeof *m->has))) {
        errmsg_set(err, errlen, "out of memory");
        return -1;
    }
    const char *sql = CMP[c].chart ? plot_chart_sql(CMP[c].chart, r->observed) : CMP[c].sql;
    sqlite3_stmt *st = runread_prepare(&r->rr, sql, CMP[c].id);
    if (st && sqlite3_bind_parameter_count(st) >= 2)
        sqlite3_bind_int64(st, 2, m->n ? m->n - 1 : 0);
    int col = CMP[c].chart ? 1 : 0;   /* plot's rows start with the series */
    while (runread_row(&r->rr, st, CMP[c].id)) {
        if (CMP[c].chart) {
            const char *series = (const char *)sqlite3_column_text(st, 0);
            if (!series || strcmp(series, CMP[c].series))
                continue;
        }
        int64_t minute = sqlite3_column_int64(st, col);
        int type = sqlite3_column_type(st, col + 1);
        if (minute < 0 || minute >= m->n || (type != SQLITE_INTEGER && type != SQLITE_FLOAT))
            continue;   /* outside the run, or not a number: an untrusted log's row */
        m->v[minute] = sqlite3_column_double(st, col + 1);
        m->w[minute] = CMP[c].agg == AGG_MEAN ? sqlite3_column_double(st, col + 2) : 1;
        m->has[minute] = true;
    }
    sqlite3_finalize(st);
    if (r->rr.failed) {
        errmsg_set(err, errlen, "%s", r->rr.err);
        return -1;
    }
    return 0;
}

/* The run's figure for the period of len_ms from the run's time from_ms
 * (a whole minute): false when it has none. */
static bool run_period(const struct minutes *m, enum agg agg, int64_t from_ms, int64_t len_ms,
                       double *out)
{
    double v = 0, w = 0;
    bool any = false;
    int64_t a = from_ms / MS_PER_MINUTE, b = (from_ms + len_ms) / MS_PER_MINUTE;
    if (from_ms < 0 || a >= m->n)
        return false;
    for (int64_t k = a; k < b && k < m->n; k++) {
        if (!m->has[k])
            continue;
        if (agg == AGG_MAX)
            v = any && v > m->v[k] ? v : m->v[k];
        else
            v += m->v[k], w += m->w[k];
        any = true;
    }
    if (agg == AGG_SUM) {
        *out = v;   /* a count: 0 where nothing happened */
        return true;
    }
    if (!any || (agg == AGG_MEAN && w <= 0))
        return false;
    *out = agg == AGG_MEAN ? v / w : v;
    return true;
}

/* ---- the comparison ------------------------------------------------------------- */

struct figures {
    size_t cmp;                         /* index in CMP */
    const struct mdata_series *obs;
    size_t periods;                     /* where both have a value */
    double run_peak, obs_peak;
    int64_t run_peak_ms, obs_peak_ms;   /* the run's time of each peak's period */
    double run_area, obs_area;
    double abs_err;                     /* the sum of |run - observed| */
};

/* Walk the observed series' periods within the run: each calls fn with the
 * run's time of the period and the two values (has_* false when unknown). */
typedef void (*period_fn)(void *arg, int64_t at_ms, bool has_run, double run, bool has_obs,
                          double obs);

static void each_period(const struct run *r, size_t c, const struct mdata_series *s,
                        int64_t offset_ms, period_fn fn, void *arg)
{
    if (!s->n)
        return;
    /* From the first period at or after the run's 0: the observed series may
     * start long before the run. */
    int64_t first = s->t_ms[0];
    if (first < offset_ms)
        first += (offset_ms - first + s->period_ms - 1) / s->period_ms * s->period_ms;
    for (int64_t t = first; t <= s->t_ms[s->n - 1]; t += s->period_ms) {
        int64_t at = t - offset_ms;   /* a whole minute of the run (compare_show) */
        if (at >= r->end_ms)
            break;
        double run = 0, obs = 0;
        bool hr = r->m[c].available && run_period(&r->m[c], CMP[c].agg, at, s->period_ms, &run);
        bool ho = mdata_at(s, t, &obs);
        fn(arg, at, hr, run, ho, obs);
    }
}

static void add_figures(void *arg, int64_t at_ms, bool has_run, double run, bool has_obs, double obs)
{
    struct figures *f = arg;
    if (!has_run || !has_obs)
        return;
    if (!f->periods || run > f->run_peak)
        f->run_peak = run, f->run_peak_ms = at_ms;
    if (!f->periods || obs > f->obs_peak)
        f->obs_peak = obs, f->obs_peak_ms = at_ms;
    f->run_area += run;
    f->obs_area += obs;
    f->abs_err += fabs(run - obs);
    f->periods++;
}

/* Does any observed datapoint of a compared metric fall within the run at offset? */
static bool overlaps(const struct run *r, const struct mdata_set *set, int64_t offset_ms)
{
    for (size_t c = 0; c < N_CMP; c++) {
        const struct mdata_series *s = mdata_find(set, CMP[c].metric, CMP[c].stat);
        for (size_t i = 0; s && i < s->n; i++)
            if (s->t_ms[i] - offset_ms >= 0 && s->t_ms[i] - offset_ms < r->end_ms)
                return true;
    }
    return false;
}

/* A ratio, or NAN when the denominator is 0 (JSON null, "-" in text). */
static double ratio(double a, double b)
{
    return b != 0 ? a / b : NAN;
}

static cJSON *number_or_null(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

static void figures_json(cJSON *list, const struct figures *f)
{
    const struct cmp_metric *m = &CMP[f->cmp];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToArray(list, o);
    cJSON_AddStringToObject(o, "metric", mdata_metric_name(m->metric));
    cJSON_AddStringToObject(o, "stat", m->stat);
    cJSON_AddStringToObject(o, "observed_id", f->obs->id);
    cJSON_AddNumberToObject(o, "period_s", (double)f->obs->period_ms / 1000);
    cJSON_AddNumberToObject(o, "periods", (double)f->periods);
    if (!f->periods)
        return;
    cJSON_AddNumberToObject(o, "run_peak", f->run_peak);
    cJSON_AddNumberToObject(o, "run_peak_at_s", (double)f->run_peak_ms / 1000);
    cJSON_AddNumberToObject(o, "observed_peak", f->obs_peak);
    cJSON_AddNumberToObject(o, "observed_peak_at_s", (double)f->obs_peak_ms / 1000);
    cJSON_AddItemToObject(o, "peak_error", number_or_null(ratio(f->run_peak - f->obs_peak, f->obs_peak)));
    cJSON_AddNumberToObject(o, "peak_time_difference_s",
                            (double)(f->run_peak_ms - f->obs_peak_ms) / 1000);
    cJSON_AddItemToObject(o, "area_ratio", number_or_null(ratio(f->run_area, f->obs_area)));
    cJSON_AddNumberToObject(o, "mean_absolute_error", f->abs_err / (double)f->periods);
    cJSON_AddItemToObject(o, "relative_mean_absolute_error",
                          number_or_null(ratio(f->abs_err, f->obs_area)));
}

static const char *num_text(double v, char *buf, size_t len)
{
    if (!isfinite(v))
        snprintf(buf, len, "-");
    else if (fabs(v) >= 1000 && fabs(v) < 1e15 && v == floor(v))
        fmt_count((int64_t)v, buf);
    else
        snprintf(buf, len, "%.4g", v);
    return buf;
}

static void figures_text(FILE *out, const struct figures *f)
{
    const struct cmp_metric *m = &CMP[f->cmp];
    char name[80], a[32], b[32], c[32], d[32], e[32], g[32], h[32];
    snprintf(name, sizeof name, "%s %s%s%s%s", mdata_metric_name(m->metric), m->stat,
             m->unit[0] ? " (" : "", m->unit, m->unit[0] ? ")" : "");
    if (!f->periods) {
        fprintf(out, "%-34s %7s   no period where both have a value\n", name, "0");
        return;
    }
    double pe = ratio(f->run_peak - f->obs_peak, f->obs_peak);
    double rm = ratio(f->abs_err, f->obs_area);
    snprintf(d, sizeof d, isfinite(pe) ? "%+.1f %%" : "-", 100 * pe);
    snprintf(e, sizeof e, "%+.0f s", (double)(f->run_peak_ms - f->obs_peak_ms) / 1000);
    snprintf(g, sizeof g, isfinite(rm) ? "%.1f %%" : "-", 100 * rm);
    fprintf(out, "%-34s %7zu %11s %11s %10s %10s %7s %11s %8s\n", name, f->periods,
            num_text(f->run_peak, a, sizeof a), num_text(f->obs_peak, b, sizeof b), d, e,
            num_text(ratio(f->run_area, f->obs_area), c, sizeof c),
            num_text(f->abs_err / (double)f->periods, h, sizeof h), g);
}

/* ---- the chart ----------------------------------------------------------------- */

struct chart_data {
    FILE *f;
    bool first;             /* no point yet in this block */
    double ymax;
};

struct chart_side {
    struct chart_data *d;
    bool run;               /* the run's line, else the observed one */
    bool gap;               /* the last period had no value */
};

static void chart_row(void *arg, int64_t at_ms, bool has_run, double run, bool has_obs, double obs)
{
    struct chart_side *s = arg;
    bool has = s->run ? has_run : has_obs;
    double v = s->run ? run : obs;
    if (!has) {
        if (!s->d->first && !s->gap)
            fputc('\n', s->d->f);   /* one blank line: a gap in the line */
        s->gap = true;
        return;
    }
    fprintf(s->d->f, "%s %.6f %.17g\n", s->run ? "run" : "observed", (double)at_ms / MS_PER_MINUTE, v);
    s->d->first = false;
    s->gap = false;
    s->d->ymax = v > s->d->ymax ? v : s->d->ymax;
}

/* The chart at out (SVG or PNG by its extension) of the metrics compared. */
static int chart(const struct run *r, const struct figures *figs, size_t n, int64_t offset_ms,
                 const char *out, const char *title, char *err, size_t errlen)
{
    const char *dot = strrchr(out, '.'), *slash = strrchr(out, '/');
    if (!dot || (slash && dot < slash) || (strcasecmp(dot, ".svg") && strcasecmp(dot, ".png"))) {
        errmsg_set(err, errlen, "-o %s: expected a file name ending in .svg or .png", out);
        return -2;
    }
    const char *tmp = getenv("TMPDIR");
    char data[4096], temp[4096];
    snprintf(data, sizeof data, "%s/esmsim-compare-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (fileout_temp(out, temp, sizeof temp) < 0) {
        errmsg_set(err, errlen, "-o %s: cannot create: %s", out, strerror(errno));
        return -2;
    }
    int dfd = mkstemp(data);
    FILE *f = dfd >= 0 ? fdopen(dfd, "w") : NULL;
    if (!f) {
        errmsg_set(err, errlen, "%s: cannot create the data file: %s", data, strerror(errno));
        if (dfd >= 0)
            close(dfd), unlink(data);
        unlink(temp);
        return -1;
    }
    struct chart_data d = { .f = f };
    char labels[MAX_PANELS][96], ymax[MAX_PANELS][32], names[MAX_PANELS][3][16];
    size_t panels = 0;
    for (size_t i = 0; i < n && panels < MAX_PANELS; i++, panels++) {
        const struct cmp_metric *m = &CMP[figs[i].cmp];
        d.ymax = 0;
        for (int side = 1; side >= 0; side--) {   /* the run's block, then the observed */
            struct chart_side s = { &d, side == 1, false };
            if (i || side == 0)
                fputs("\n\n", f);
            d.first = true;
            each_period(r, figs[i].cmp, figs[i].obs, offset_ms, chart_row, &s);
            if (d.first)   /* an empty block would end gnuplot's index early */
                fprintf(f, "%s NaN NaN\n", side ? "run" : "observed");
        }
        snprintf(labels[panels], sizeof labels[panels], "%s %s", mdata_metric_name(m->metric), m->stat);
        snprintf(ymax[panels], sizeof ymax[panels], "%.17g", d.ymax);
    }
    bool bad = ferror(f) != 0;
    bad |= fclose(f) != 0;
    if (bad) {
        errmsg_set(err, errlen, "%s: cannot write the data file: %s", data, strerror(errno));
        unlink(data), unlink(temp);
        return -1;
    }
    char npanels[16], xmax[32], start[40];
    snprintf(npanels, sizeof npanels, "%zu", panels);
    snprintf(xmax, sizeof xmax, "%.6f", (double)r->end_ms / MS_PER_MINUTE);
    awsjson_iso_time(offset_ms, 0, start);
    struct gp_var vars[7 + 3 * MAX_PANELS] = {
        { "format", !strcasecmp(dot, ".png") ? "png" : "svg" }, { "out", temp },
        { "data", data }, { "title", title }, { "panels", npanels }, { "xmax", xmax },
        { "start", start },
    };
    size_t nv = 7;
    for (size_t i = 0; i < panels; i++) {
        snprintf(names[i][0], sizeof names[i][0], "label%zu", i + 1);
        snprintf(names[i][1], sizeof names[i][1], "ymax%zu", i + 1);
        snprintf(names[i][2], sizeof names[i][2], "unit%zu", i + 1);
        vars[nv++] = (struct gp_var){ names[i][0], labels[i] };
        vars[nv++] = (struct gp_var){ names[i][1], ymax[i] };
        vars[nv++] = (struct gp_var){ names[i][2], CMP[figs[i].cmp].unit };
    }
    int rc = gp_run("compare.gp", vars, nv, err, errlen);
    unlink(data);
    if (rc == 0)
        rc = gp_output_done(temp, out, err, errlen);
    if (rc != 0)
        unlink(temp);
    return rc == 0 ? 0 : !strncmp(err, "gnuplot not found", 17) ? -2 : -1;
}

/* ---- --export ------------------------------------------------------------------ */

/* The run's metrics as get-metric-data prints them, periods of period_ms
 * from model.start_time. */
static int export_run(const struct run *r, int64_t period_ms, const char *path, char *err,
                      size_t errlen)
{
    struct mdata_series s[N_CMP];
    size_t n = 0;
    int64_t periods = r->end_ms > 0 ? (r->end_ms - 1) / period_ms + 1 : 0;
    int rc = -1;
    char *text = NULL;
    for (size_t c = 0; c < N_CMP; c++) {
        if (!r->m[c].available)
            continue;
        struct mdata_series *x = &s[n++];
        *x = (struct mdata_series){ .metric = CMP[c].metric, .id = (char *)CMP[c].id };
        snprintf(x->stat, sizeof x->stat, "%s", CMP[c].stat);
        x->t_ms = malloc(((size_t)periods + 1) * sizeof *x->t_ms);
        x->v = malloc(((size_t)periods + 1) * sizeof *x->v);
        if (!x->t_ms || !x->v)
            goto nomem;
        for (int64_t k = 0; k < periods; k++) {
            double v;
            if (run_period(&r->m[c], CMP[c].agg, k * period_ms, period_ms, &v)) {
                x->t_ms[x->n] = r->epoch_ms + k * period_ms;
                x->v[x->n++] = v;
            }
        }
    }
    if (!(text = mdata_export(s, n)))
        goto nomem;
    size_t len = strlen(text);
    char *line = malloc(len + 2);   /* the JSON and a newline */
    if (!line)
        goto nomem;
    memcpy(line, text, len);
    memcpy(line + len, "\n", 2);
    char why[1024];
    rc = fileout_write(path, line, why, sizeof why);
    free(line);
    if (rc < 0)
        errmsg_set(err, errlen, "--export %s", why);
    goto out;
nomem:
    errmsg_set(err, errlen, "out of memory");
out:
    for (size_t i = 0; i < n; i++)
        free(s[i].t_ms), free(s[i].v);
    cJSON_free(text);
    return rc;
}

/* ---- the command ---------------------------------------------------------------- */

/* What o asks for, checked before anything is read: a message on stderr
 * and false when it asks for what compare cannot do. */
static bool compare_check(const struct compare_opts *o)
{
    if (o->align && strcmp(o->align, "start-time") && strcmp(o->align, "first")) {
        fprintf(stderr, "esmsim compare: --align: expected start-time or first, got \"%s\"\n",
                o->align);
        return false;
    }
    if (o->export && (o->n_observed || o->json || o->chart || o->align)) {
        fprintf(stderr, "esmsim compare: --export writes the run's metrics: it takes no OBSERVED.json, "
                "--json, -o or --align\n");
        return false;
    }
    if (!o->export && !o->n_observed) {
        fprintf(stderr, "esmsim compare: missing OBSERVED.json (what aws cloudwatch get-metric-data "
                "prints)\n");
        return false;
    }
    /* An output is renamed over its path: never over an input, nor over
     * what is not a file. */
    const char *out = o->export && strcmp(o->export, "-") ? o->export : o->chart;
    const char *what = o->export ? "the metrics" : "the chart";
    const char *kind = out ? fileout_unfit(out) : NULL;
    if (kind) {
        fprintf(stderr, "esmsim compare: %s %s: not a regular file (%s): write %s to a file%s\n",
                o->export ? "--export" : "-o", out, kind, what, o->export ? " (- is standard output)" : "");
        return false;
    }
    const char *input = out && fileout_same(out, o->db) ? o->db : NULL;
    for (size_t i = 0; out && !input && i < o->n_observed; i++)
        if (fileout_same(out, o->observed[i]))
            input = o->observed[i];
    if (input) {
        fprintf(stderr, "esmsim compare: %s %s: is the %s %s: write %s to another file\n",
                o->export ? "--export" : "-o", out, input == o->db ? "run log" : "observed file",
                input, what);
        return false;
    }
    return true;
}

/* The observed files into set. */
static int read_observed(const struct compare_opts *o, struct mdata_set *set, char *err, size_t errlen)
{
    for (size_t i = 0; i < o->n_observed; i++) {
        size_t len;
        char *text = scn_read_text(o->observed[i], &len, err, errlen);
        if (!text)
            return -1;
        cJSON *root = scn_json_parse(o->observed[i], text, len, err, errlen);
        free(text);
        if (!root)
            return -1;
        int rc = mdata_is(root) ? mdata_add(set, o->observed[i], root, err, errlen) : -2;
        cJSON_Delete(root);
        if (rc == -2)
            errmsg_set(err, errlen, "%s: not get-metric-data output (expected an object with "
                       "MetricDataResults, as aws cloudwatch get-metric-data prints it)",
                       o->observed[i]);
        if (rc < 0)
            return -1;
    }
    if (mdata_finish(set, err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < set->n; i++)
        if (set->s[i].period_ms % MS_PER_MINUTE) {
            errmsg_set(err, errlen, "%s: %s (%s %s): a period of %lld s: compare reads whole "
                       "minutes (a period of 60 s or a multiple)", set->s[i].file, set->s[i].where,
                       mdata_metric_name(set->s[i].metric), set->s[i].stat,
                       (long long)set->s[i].period_ms / 1000);
            return -1;
        }
    return 0;
}

/* What the observed files hold that is not compared, on stderr. */
static void say_not_compared(const struct mdata_set *set, const struct run *r)
{
    char buf[MDATA_WHY_LEN];
    for (size_t i = 0; i < set->n_unknown; i++) {
        const char *why = mdata_unread_stat(&set->unknown[i], buf);
        fprintf(stderr, "esmsim compare: not compared: %s: %s (Id %s): %s\n", set->unknown[i].file,
                set->unknown[i].where, set->unknown[i].id, why ? why : "not a metric esmsim knows");
    }
    for (size_t i = 0; i < set->n; i++) {
        const struct mdata_series *s = &set->s[i];
        size_t c = 0;
        while (c < N_CMP && !(CMP[c].metric == s->metric && !strcmp(CMP[c].stat, s->stat)))
            c++;
        if (c == N_CMP)
            fprintf(stderr, "esmsim compare: not compared: %s: %s (%s %s): the run has no such "
                    "figure\n", s->file, s->where, mdata_metric_name(s->metric), s->stat);
        else if (!r->m[c].available)
            fprintf(stderr, "esmsim compare: not compared: %s: %s (%s %s): the run has no records "
                    "table (--no-record-tables) and no summary tables (it never ended, or an older "
                    "esmsim wrote it)\n", s->file, s->where,
                    mdata_metric_name(s->metric), s->stat);
    }
}

int compare_show(const struct compare_opts *opts)
{
    struct compare_opts o = *opts;
    struct mdata_set set = { 0 };
    struct run r = { 0 };
    struct figures figs[N_CMP];
    size_t n = 0;
    char err[2048];
    if (!compare_check(&o))
        return ERRMSG_BAD_INPUT;
    if (!o.period_ms)
        o.period_ms = MS_PER_MINUTE;
    int rc = ERRMSG_BAD_INPUT;
    gp_catch_signals();   /* a Ctrl-C from here on leaves no temporary file */
    if ((!o.export && read_observed(&o, &set, err, sizeof err) < 0) ||
        runread_open(&r.rr, o.db, o.run_id, err, sizeof err) < 0)
        goto fail;
    runread_stop_when(&r.rr, gp_stopped_by);
    if (run_read(&r, err, sizeof err) < 0)
        goto fail;
    for (size_t c = 0; c < N_CMP; c++)
        if (minutes_read(&r, c, err, sizeof err) < 0)
            goto fail;
    if (o.export) {
        rc = export_run(&r, o.period_ms, o.export, err, sizeof err) < 0 ? ERRMSG_FAILED : 0;
        if (rc)
            goto fail;
        goto out;
    }

    /* The time axis. */
    int64_t offset = r.epoch_ms;
    const char *align = "start_time";
    if (o.align && !strcmp(o.align, "first")) {
        offset = set.start_ms;
        align = "first";
    } else if (set.n && (!r.has_epoch || !overlaps(&r, &set, offset))) {   /* none: said below */
        if (o.align) {
            errmsg_set(err, sizeof err, "--align start-time: no observed datapoint falls within run "
                       "%lld of %s from its model.start_time", (long long)r.rr.run_id, o.db);
            goto fail;
        }
        char when[40];
        awsjson_iso_time(set.start_ms, 0, when);
        fprintf(stderr, "esmsim compare: no observed datapoint falls within the run from its "
                "model.start_time: the first observed time, %s, is taken as the run's 0\n", when);
        offset = set.start_ms;
        align = "first";
    }
    for (size_t c = 0; c < N_CMP; c++) {
        const struct mdata_series *s = mdata_find(&set, CMP[c].metric, CMP[c].stat);
        if (!s || !r.m[c].available)
            continue;
        /* The run's figures are per minute of its time (the summary tables
         * keep no finer one): a period that starts within a minute cannot be
         * summed from them exactly, and is not shifted to one. */
        int64_t into = s->n ? ((s->t_ms[0] - offset) % MS_PER_MINUTE + MS_PER_MINUTE) % MS_PER_MINUTE
                            : 0;
        if (into) {
            char at[40], zero[40];
            awsjson_iso_time(s->t_ms[0], 0, at);
            awsjson_iso_time(offset, 0, zero);
            errmsg_set(err, sizeof err, "%s: %s (%s %s): its periods start %lld.%03lld s into a "
                       "minute of the run (%s, the run's 0 being %s): compare sums the run's whole "
                       "minutes; expected periods on whole minutes from the run's 0 (model.start_time, "
                       "or with --align first the first observed time)", s->file,
                       s->where, mdata_metric_name(s->metric), s->stat, (long long)(into / 1000),
                       (long long)(into % 1000), at, zero);
            goto fail;
        }
        figs[n] = (struct figures){ .cmp = c, .obs = s };
        each_period(&r, c, s, offset, add_figures, &figs[n]);
        n++;
    }
    say_not_compared(&set, &r);
    if (!n) {
        errmsg_set(err, sizeof err, "nothing to compare: the observed files hold none of IteratorAge "
                   "Maximum, ConcurrentExecutions Maximum, IncomingRecords Sum, Invocations Sum, "
                   "Errors Sum, Throttles Sum, Duration Average (named in each result's Label or Id)");
        goto fail;
    }

    char start[40], title[600], safe[FMT_TEXT_MAX];
    awsjson_iso_time(offset, 0, start);
    snprintf(title, sizeof title, "%s, run %lld, beside %s%s", r.rr.scenario, (long long)r.rr.run_id,
             fmt_text(o.observed[0], safe, 200), o.n_observed > 1 ? " and more" : "");
    if (o.json) {
        cJSON *root = cJSON_CreateObject(), *files, *list;
        cJSON_AddStringToObject(root, "run_log", fmt_text(o.db, safe, sizeof safe));
        cJSON_AddNumberToObject(root, "run_id", (double)r.rr.run_id);
        cJSON_AddStringToObject(root, "scenario", r.rr.scenario);
        files = cJSON_AddArrayToObject(root, "observed");
        for (size_t i = 0; i < o.n_observed; i++)
            cJSON_AddItemToArray(files, cJSON_CreateString(fmt_text(o.observed[i], safe, sizeof safe)));
        cJSON_AddStringToObject(root, "align", align);
        cJSON_AddStringToObject(root, "start_time", start);
        list = cJSON_AddArrayToObject(root, "metrics");
        for (size_t i = 0; i < n; i++)
            figures_json(list, &figs[i]);
        char *text = cJSON_Print(root);
        cJSON_Delete(root);
        if (!text) {
            errmsg_set(err, sizeof err, "out of memory");
            rc = ERRMSG_FAILED;
            goto fail;
        }
        puts(text);
        cJSON_free(text);
    } else {
        printf("compare: run %lld of %s (%s) beside %s%s; CloudWatch's time = the run's time + %s "
               "(%s)\n\n", (long long)r.rr.run_id, fmt_text(o.db, safe, sizeof safe), r.rr.scenario,
               o.observed[0], o.n_observed > 1 ? " and more" : "", start,
               !strcmp(align, "first") ? "the first observed time" : "model.start_time");
        printf("%-34s %7s %11s %11s %10s %10s %7s %11s %8s\n", "metric", "periods", "run peak",
               "obs. peak", "peak err", "peak time", "area", "MAE", "MAE/mean");
        for (size_t i = 0; i < n; i++)
            figures_text(stdout, &figs[i]);
        printf("\npeak err: (run peak - observed peak) / observed peak; peak time: the run's peak "
               "minus the observed one; area: run / observed; MAE: the mean absolute error per "
               "period, and over the observed mean\n");
    }
    if (o.chart) {
        int c = chart(&r, figs, n, offset, o.chart, title, err, sizeof err);
        if (c < 0) {
            rc = c == -2 ? ERRMSG_BAD_INPUT : ERRMSG_FAILED;
            goto fail;
        }
        fprintf(o.json ? stderr : stdout, "wrote %s\n", o.chart);
    }
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "esmsim compare: %s\n", err);
out:
    for (size_t c = 0; c < N_CMP; c++)
        free(r.m[c].v), free(r.m[c].w), free(r.m[c].has);
    if (r.rr.db)
        runread_close(&r.rr);
    mdata_free(&set);
    return rc;
}
