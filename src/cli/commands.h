/*
 * commands.h - every esmsim command's entry point (SPEC section 5): argv[0]
 * is the command's name, the rest its options and arguments, read with its
 * table (opt.h); each returns the process exit status (exit.h).
 *
 *   run.c       run, check            a scenario simulated, or validated
 *   sweep.c     sweep                 a grid of runs, ranked
 *   commands.c  report, trace, logs,  what a run log says, its charts,
 *               plot, compare, merge, run logs merged, a scenario imported
 *               import
 */
#ifndef ESMSIM_COMMANDS_H
#define ESMSIM_COMMANDS_H

#include <stdio.h>

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_import(int argc, char **argv);

/* How to use esmsim: every command, and run's and check's options (what
 * `esmsim help`, `run --help` and `check --help` print). */
void run_usage(FILE *out);

#endif
