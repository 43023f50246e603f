/*
 * expect.h - a scenario's `expect` block: bounds on the counts of a run's
 * summary, checked after the run (exit status 1 when one is violated, SPEC 5).
 * Bundled scenarios use it to state their story as numbers.
 */
#ifndef ESMSIM_EXPECT_H
#define ESMSIM_EXPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct sim_summary;
struct scn_expect;

/* The metric names an expect block may use, NULL-terminated (static). */
const char *const *expect_metric_names(void);

/* Whether metric is a count (an integer); the others, in ms ("_ms"), are
 * measures that may have a fraction. */
bool expect_metric_is_count(const char *metric);

/* The value of metric (one of expect_metric_names) in sum. */
double expect_metric_value(const char *metric, const struct sim_summary *sum);

/* Check each expectation against sum; print one line per violation to out.
 * Returns the number violated. */
size_t expect_check(const struct scn_expect *ex, size_t n, const struct sim_summary *sum,
                    FILE *out);

#endif
