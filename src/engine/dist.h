/*
 * dist.h - a random quantity (SPEC 1.5): a duration (in us) or a size (in
 * bytes), by context, drawn with GSL.  The parameters are plain data: the
 * scenario loader fills them, the model draws from them.
 */
#ifndef ESMSIM_DIST_H
#define ESMSIM_DIST_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

enum dist_kind {
    DIST_CONSTANT,     /* value */
    DIST_UNIFORM,      /* min, max */
    DIST_NORMAL,       /* mean, stddev (truncated at min, default 0) */
    DIST_LOGNORMAL,    /* median, sigma */
    DIST_GAMMA,        /* shape, scale */
    DIST_EXPONENTIAL,  /* mean */
    DIST_EMPIRICAL,    /* percentile points, linear in between */
};

struct dist {
    enum dist_kind kind;
    double value;          /* constant */
    double min, max;       /* uniform bounds; min also floors normal draws */
    double mean, stddev;   /* normal; mean also for exponential */
    double median, sigma;  /* lognormal */
    double shape, scale;   /* gamma */
    size_t n_points;       /* empirical: points sorted by percentile */
    double *pct;           /* empirical: percentiles, 0..100, ascending */
    double *val;           /* empirical: value at each percentile, ascending */
};

/* A draw from d, never negative (durations and sizes). */
double dist_draw(const struct dist *d, gsl_rng *r);

/* The distribution's mean when it is cheap to know (constant, uniform,
 * normal untruncated, lognormal, gamma, exponential, empirical). */
double dist_mean(const struct dist *d);

#endif
