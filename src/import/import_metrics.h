/*
 * import_metrics.h - CloudWatch get-metric-data as parts of a scenario
 * (import_metrics.c): traffic, durations, failures, throttles.
 */
#ifndef ESMSIM_IMPORT_METRICS_H
#define ESMSIM_IMPORT_METRICS_H

#include <stddef.h>

#include "import_set.h"

struct mdata_set;

/* The metric data of every get-metric-data file, read last (it fills what
 * the other inputs leave: traffic, durations, failures). */
int imp_metrics_read(struct imp *im, const struct mdata_set *set);

/*
 * A lognormal fitted to duration statistics: n (>= 2) points, each a
 * percentile pct[i] in (0, 100) with its value x[i] > 0, or the mean (pct
 * -1), by least squares on the logarithms of the statistics (GSL's
 * nonlinear least squares when the mean is among them: ln mean = mu +
 * sigma^2 / 2).  Returns 0 with *median = e^mu, *sigma >= 0, and *worst the
 * largest relative error of a fitted statistic (its index in *worst_i), or
 * -1 when no lognormal fits (fewer than two distinct statistics).
 */
int imp_fit_lognormal(const double *pct, const double *x, size_t n, double *median,
                      double *sigma, double *worst, size_t *worst_i);

#endif
