/*
 * report.h - `esmsim report RUN.db [--run ID] [--json]` (SPEC section 5):
 * what happened to one run's messages, computed with SQL over its run log:
 * fates, consumer and producer duplicates, per-key ordering violations,
 * discards, records lost to retention, IteratorAge percentiles, throttles.
 */
#ifndef ESMSIM_REPORT_H
#define ESMSIM_REPORT_H

/* The command: argv[0] is "report".  Returns the exit status: 0, or 2 for
 * bad input (bad option, unreadable file, not a run log, unknown run). */
int report_main(int argc, char **argv);

#endif
