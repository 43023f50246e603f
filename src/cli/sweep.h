/*
 * sweep.h - `esmsim sweep SCENARIO --vary path=v1,v2,... [--vary ...]`
 * (SPEC section 5, use 1 of the spec's introduction: tune the mapping
 * offline by sweeping its settings over a scenario).
 *
 * Every combination of the varied values (a setting), each with the same
 * seed or with --seeds N seeds, is one run of `esmsim run --set ...`,
 * simulated in a child process, at most -j at once.  Each run is summed up
 * in one row of the sweep_results table (IteratorAge p50/p99/max, time to
 * drain, duplicates, messages discarded, expired and lost, invocations,
 * GB-seconds), computed with SQL from its run log; the settings are printed
 * ranked by an objective, and plots/sweep.gp charts the objective against
 * the first varied parameter.  Runs already in the sweep database (same
 * effective scenario, seed and esmsim version, complete) are used again
 * instead of simulated: that is how a sweep resumes, and how the runs of a
 * cluster, merged with `esmsim merge`, become a sweep (docs/sweep.md);
 * without --keep-runs, their own tables are dropped once their rows are in.
 * Every run is made with expect={} (a sweep checks no expect block), the
 * runs printed by --print-runs too, one command per line.
 */
#ifndef ESMSIM_SWEEP_H
#define ESMSIM_SWEEP_H

/*
 * The command: argv[0] is "sweep", the rest its options (see usage in
 * sweep.c).  Returns the exit status: 0 done, 1 a run or the chart failed,
 * 2 bad input (options, a --vary value or combination the scenario refuses:
 * nothing is run), 130 interrupted (the runs finished are kept).
 */
int sweep_main(int argc, char **argv);

#endif
