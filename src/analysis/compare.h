/*
 * compare.h - `esmsim compare RUN.db OBSERVED.json...` (SPEC section 5,
 * issue 14 item 3): a run beside what CloudWatch recorded (get-metric-data
 * output, metricdata.h), period by period on one time axis, with figures of
 * agreement per metric (the peak, its time, the area under the curve, the
 * mean absolute error), as text, JSON, and one chart (plots/compare.gp).
 *
 * `esmsim compare RUN.db --export OUT.json` writes the run's own metrics in
 * get-metric-data's format: compared with the run they match exactly, and
 * they show which query each comparison reads.
 */
#ifndef ESMSIM_COMPARE_H
#define ESMSIM_COMPARE_H

/* The command: argv[0] is "compare".  Returns the exit status: 0 done, 1 a
 * file or gnuplot failed, 2 bad input (options, the run log, the observed
 * files, no gnuplot). */
int compare_main(int argc, char **argv);

#endif
