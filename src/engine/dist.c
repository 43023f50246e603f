/*
 * dist.c - draws from the distributions of SPEC 1.5 (durations and sizes).
 */
#include <math.h>

#include <gsl/gsl_randist.h>

#include "dist.h"

/* Inverse CDF of the empirical distribution: linear between the points,
 * the pair found by binary search (a scenario may give many points). */
static double empirical_at(const struct dist *d, double pct)
{
    if (pct <= d->pct[0])
        return d->val[0];
    if (pct > d->pct[d->n_points - 1])
        return d->val[d->n_points - 1];
    size_t lo = 1, hi = d->n_points - 1;   /* the first i with pct <= pct[i] is in [lo, hi] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pct <= d->pct[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    double span = d->pct[lo] - d->pct[lo - 1];
    double t = span > 0 ? (pct - d->pct[lo - 1]) / span : 1.0;
    return d->val[lo - 1] + t * (d->val[lo] - d->val[lo - 1]);
}

double dist_draw(const struct dist *d, gsl_rng *r)
{
    double x = 0;
    switch (d->kind) {
    case DIST_CONSTANT:
        return d->value;
    case DIST_UNIFORM:
        x = gsl_ran_flat(r, d->min, d->max);
        break;
    case DIST_NORMAL:
        x = d->mean + gsl_ran_gaussian_ziggurat(r, d->stddev);
        if (x < d->min)
            x = d->min;
        break;
    case DIST_LOGNORMAL:
        x = gsl_ran_lognormal(r, log(d->median), d->sigma);
        break;
    case DIST_GAMMA:
        x = gsl_ran_gamma(r, d->shape, d->scale);
        break;
    case DIST_EXPONENTIAL:
        x = gsl_ran_exponential(r, d->mean);
        break;
    case DIST_EMPIRICAL:
        x = empirical_at(d, 100.0 * gsl_rng_uniform(r));
        break;
    }
    return x > 0 ? x : 0;
}

double dist_mean(const struct dist *d)
{
    switch (d->kind) {
    case DIST_CONSTANT:
        return d->value;
    case DIST_UNIFORM:
        return (d->min + d->max) / 2;
    case DIST_NORMAL:
        return d->mean;
    case DIST_LOGNORMAL:
        return d->median * exp(d->sigma * d->sigma / 2);
    case DIST_GAMMA:
        return d->shape * d->scale;
    case DIST_EXPONENTIAL:
        return d->mean;
    case DIST_EMPIRICAL: {
        double sum = 0;
        for (int i = 0; i < 100; i++)
            sum += empirical_at(d, i + 0.5);
        return sum / 100;
    }
    }
    return 0;
}
