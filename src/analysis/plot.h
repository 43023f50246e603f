/*
 * plot.h - `esmsim plot RUN.db` (SPEC section 5, R14): the charts of a run
 * as CloudWatch would show them, per minute of simulated time, drawn by
 * gnuplot with the scripts of plots/:
 *
 *   iterator-age   IteratorAge, maximum per minute, per shard and overall
 *   oldest         age of the oldest unprocessed record, maximum per minute
 *   concurrency    concurrent executions, maximum and mean per minute
 *   throughput     records written, delivered and succeeded per minute
 *
 * each with the run's events marked: reshards, discarded batches, retention
 * expiries, and the scenario's outages (mapping disabled, function failing).
 */
#ifndef ESMSIM_PLOT_H
#define ESMSIM_PLOT_H

#include <stdbool.h>
#include <stdint.h>

/* What to draw, as `esmsim plot` is asked (its usage says more). */
struct plot_opts {
    const char *db;           /* the run log */
    int64_t run_id;           /* 0: the latest */
    const char *output;       /* the chart's file, SVG or PNG by its extension; NULL: CHART.svg */
    const char *chart;        /* a chart above, or "all" (then FILE-CHART.svg); NULL: iterator-age */
    const char *keep_dir;     /* an existing directory to keep the data files in; NULL: none */
    const char *at;           /* IteratorAge at "completion" (NULL: the same) or "send" */
};

/*
 * Draw the charts o asks for, each written whole or not at all ("wrote
 * FILE" on stdout).  0, ERRMSG_FAILED when gnuplot or a data file failed,
 * or ERRMSG_BAD_INPUT (errmsg.h): what o asks for, the run log, the output
 * name, no gnuplot; the message on stderr.
 */
int plot_draw(const struct plot_opts *o);

/*
 * The query behind a chart's lines ("iterator-age", "oldest",
 * "concurrency", "throughput"; IteratorAge at completion): ?1 the run id, ?2
 * the last minute the run covers; rows SERIES, MINUTE, VALUE, by series then
 * minute.  NULL for another name.  observed: the same rows from the run's
 * summary table summary_series (runread_has_summary), what plot itself
 * reads when the run has it (records written included, with or without the
 * records table).  For esmsim compare, which sets the same figures beside
 * CloudWatch's.
 */
const char *plot_chart_sql(const char *chart, bool observed);

#endif
