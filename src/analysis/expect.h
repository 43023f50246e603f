/*
 * expect.h - a scenario's `expect` block: bounds on the figures of a run's
 * summary (summary.h), checked after the run (exit status 1 when one is
 * violated, SPEC 5).  Bundled scenarios use it to state their story as
 * numbers.
 */
#ifndef ESMSIM_EXPECT_H
#define ESMSIM_EXPECT_H

#include <stddef.h>
#include <stdio.h>

struct sim_summary;
struct scn_expect;

/* Check each expectation against sum; print one line per violation to out.
 * Returns the number violated. */
size_t expect_check(const struct scn_expect *ex, size_t n, const struct sim_summary *sum,
                    FILE *out);

#endif
