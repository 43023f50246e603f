/*
 * gnuplot.h - running one of the gnuplot scripts of plots/ (the plot and
 * sweep commands): the script reads the data files the caller wrote and
 * writes the chart; variables are passed with gnuplot's -e.
 */
#ifndef ESMSIM_GNUPLOT_H
#define ESMSIM_GNUPLOT_H

#include <stddef.h>

/* One variable for the script: name='value' (value is quoted for gnuplot). */
struct gp_var {
    const char *name;
    const char *value;
};

/*
 * Run plots/SCRIPT (found in $ESMSIM_PLOTS, else in the source tree's
 * plots/ the binary was built from) with vars[0..n) set.  Returns 0, or -1
 * with a message: gnuplot missing ("gnuplot not found: install it, e.g.
 * apt-get install gnuplot-nox"), the script missing, or gnuplot failing
 * (its exit status; its own messages went to stderr), or a stop signal
 * (gp_catch_signals) meanwhile: gnuplot is stopped and reaped, and
 * from then on gp_run starts none ("interrupted: ...").
 */
int gp_run(const char *script, const struct gp_var *vars, size_t n, char *err, size_t errlen);

/* Whether gp_run would find gnuplot, looked for as execvp does (PATH),
 * without running it: 0, or -1 with gp_run's message for a missing one.  A
 * command that draws only after long work (sweep) asks first. */
int gp_find(char *err, size_t errlen);

/* gnuplot succeeded: the chart it drew into temp (made by fileout_temp, so
 * that a failure or a Ctrl-C never leaves half a chart at path) becomes
 * path, when it is whole (an SVG to its </svg>, a PNG to its IEND chunk;
 * gnuplot exits 0 even when a full disk cut its output short).  Returns 0,
 * or -1 with a message, temp left for the caller to remove. */
int gp_output_done(const char *temp, const char *path, char *err, size_t errlen);

/* From now on a stop signal (stopsig.h: SIGINT and SIGTERM, even when
 * ignored, as in a script's background job; SIGHUP unless nohup ignores it)
 * stops the command rather than kill it: gp_stopped_by() says so, no
 * gnuplot starts, and the command cleans up (its temporary files) and ends
 * with 130; it reads its run log with runread_stop_when(rr, gp_stopped_by). */
void gp_catch_signals(void);

/* The signal that stopped a gnuplot of this process, or 0: the command
 * that ran it ends with exit status 130 (cli.c). */
int gp_stopped_by(void);

#endif
