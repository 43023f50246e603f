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

/*
 * The command: argv[0] is "plot", the rest its options (see usage in
 * plot.c).  Returns the exit status: 0 the charts are written, 1 gnuplot or
 * a data file failed, 2 bad input (options, the run log, the output name,
 * no gnuplot).
 */
int plot_main(int argc, char **argv);

/*
 * The query behind a chart's lines ("iterator-age", "oldest",
 * "concurrency", "throughput"; IteratorAge at completion): ?1 the run id, ?2
 * the last minute the run covers; rows SERIES, MINUTE, VALUE, by series then
 * minute.  NULL for another name.  For esmsim compare, which sets the same
 * figures beside CloudWatch's.
 */
const char *plot_chart_sql(const char *chart);

#endif
