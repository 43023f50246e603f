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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What to compare, as `esmsim compare` is asked (its usage says more). */
struct compare_opts {
    const char *db;                 /* the run log */
    const char *const *observed;    /* get-metric-data outputs (borrowed) ... */
    size_t n_observed;              /* ... at least one, unless export */
    int64_t run_id;                 /* 0: the latest */
    bool json;                      /* the figures as one JSON object, not text */
    const char *chart;              /* a chart of both series (SVG or PNG), or NULL */
    const char *align;              /* "start-time", "first", or NULL: start-time, or
                                       first when nothing observed falls within the run */
    const char *export;             /* write the run's metrics there ("-": stdout) instead */
    int64_t period_ms;              /* export's period, a multiple of 60 s; 0: 60 s */
};

/*
 * The comparison o asks for, on stdout (or the export).  0, ERRMSG_FAILED
 * when a file or gnuplot failed, or ERRMSG_BAD_INPUT (errmsg.h): what o
 * asks for, the run log, the observed files, no gnuplot; the message on
 * stderr.
 */
int compare_show(const struct compare_opts *o);

#endif
