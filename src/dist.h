/*
 * dist.h - drawing from a scenario distribution (SPEC 1.5) with GSL.
 */
#ifndef ESMSIM_DIST_H
#define ESMSIM_DIST_H

#include <gsl/gsl_rng.h>

#include "scenario.h"

/* A draw from d, never negative (durations and sizes). */
double dist_draw(const struct scn_dist *d, gsl_rng *r);

/* The distribution's mean when it is cheap to know (constant, uniform,
 * normal untruncated, lognormal, gamma, exponential, empirical). */
double dist_mean(const struct scn_dist *d);

#endif
