/*
 * expect.c - a scenario's `expect` block checked against the run's summary:
 * each bound on a figure of summary.h.
 */
#include "expect.h"

#include "scenario.h"
#include "summary.h"

size_t expect_check(const struct scn_expect *ex, size_t n, const struct sim_summary *sum,
                    FILE *out)
{
    size_t violated = 0;
    for (size_t i = 0; i < n; i++) {
        double v = summary_value(ex[i].metric, sum);
        if (v >= ex[i].min && v <= ex[i].max)
            continue;
        violated++;
        if (ex[i].min == ex[i].max)
            fprintf(out, "expect: %s is %.15g, expected %.15g\n", ex[i].metric, v, ex[i].min);
        else if (v < ex[i].min)
            fprintf(out, "expect: %s is %.15g, expected at least %.15g\n", ex[i].metric, v,
                    ex[i].min);
        else
            fprintf(out, "expect: %s is %.15g, expected at most %.15g\n", ex[i].metric, v,
                    ex[i].max);
    }
    return violated;
}
