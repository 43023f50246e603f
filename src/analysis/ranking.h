/*
 * ranking.h - the settings of a sweep ranked by an objective, and charted
 * (SPEC section 5, `esmsim sweep`): each run summed up in one row of the
 * sweep_results table (IteratorAge p50/p99/max, time to drain, duplicates,
 * messages discarded, expired and lost, invocations, GB-seconds), computed
 * with SQL from its run log; the settings printed best first, those that
 * lose no message first, then by the objective; and plots/sweep.gp charting
 * the objective against the first varied parameter.
 */
#ifndef ESMSIM_RANKING_H
#define ESMSIM_RANKING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/* What a setting is ranked by, lowest first: "p99" (IteratorAge, the
 * default), "max", "drain", "cost" (GB-seconds) or "duplicates"; NULL for
 * another name. */
struct rank_objective;
const struct rank_objective *rank_objective(const char *name);

/*
 * The sweep_results row of run run_id (setting: the setting's JSON; drained
 * means the oldest unprocessed record stays at most drain_below_ms old to
 * the end; run_tables: whether the run keeps its own tables), computed
 * with SQL over its tables in db.  0, or -1 with a message in err.
 */
int rank_summarize(sqlite3 *db, int64_t run_id, const char *setting, int64_t drain_below_ms,
                   bool run_tables, char *err, size_t errlen);

/* One varied parameter: its path and its values, in the order given. */
#define RANK_MAX_PARAMS 16
struct rank_param {
    const char *path;
    char *const *values;
    size_t n_values;
};

/*
 * A sweep as the ranking reads it.  Its settings are every combination of
 * the parameters' values, in grid order (the last parameter changing
 * fastest); db holds each run's sweep_results row and the table
 * temp.sweep_grid (run_id, setting: the setting's index) of the runs to rank.
 */
struct rank_sweep {
    sqlite3 *db;
    const char *output;                   /* db's file: messages, and the chart beside it */
    const char *name;                     /* the scenario's, in the chart's title */
    const struct rank_param *params;      /* at most RANK_MAX_PARAMS */
    size_t n_params;
    size_t n_settings;
    uint64_t seeds;                       /* runs per setting: figures are means over them */
    const struct rank_objective *objective;
    bool chart;                           /* chart it too: OUTPUT.svg (SWEEP.db -> SWEEP.svg) */
};

/* Print the ranking on stdout, and draw the chart.  0, or ERRMSG_FAILED
 * (errmsg.h) when the ranking or the chart failed, said on stderr. */
int rank_show(const struct rank_sweep *sw);

#endif
