/*
 * test_hist.c - the IteratorAge histogram (R14): a value goes into the bin
 * [edge_k, edge_k+1) that holds it, exactly at the edges too, where the
 * bin found from the value's logarithm could be one off (hist.c bin_of),
 * and just beyond where bin_of trusts the logarithm alone; a quantile is
 * its bin's upper edge, never above the maximum.
 */
#include <math.h>

#include "check.h"
#include "hist.h"

#define GROWTH 1.02   /* hist.c's edges: 0, 1, then each 2% above the last */
#define FAR 1e10      /* a value above every one tested, for the maximum */

/* The median of {v, FAR}: the upper edge of v's bin. */
static double upper_edge_of(double v)
{
    struct hist *h = hist_create();
    if (!h)
        return NAN;
    hist_add(h, v);
    hist_add(h, FAR);
    double q = hist_quantile(h, 0.5);
    hist_destroy(h);
    return q;
}

/* R14: each edge starts its own bin, and the value just below it is in
 * the bin before, across every bin up to FAR. */
static void test_edges(void)
{
    int wrong_at = 0, wrong_below = 0;
    double edge = 1, next = GROWTH;
    for (int k = 1; next < FAR; k++, edge = next, next *= GROWTH) {
        wrong_at += upper_edge_of(edge) != next;
        wrong_below += k > 1 && upper_edge_of(nextafter(edge, 0)) != edge;
    }
    CHECK_INT(wrong_at, 0);
    CHECK_INT(wrong_below, 0);
    /* 4e-11 of a value is 2e-9 of a bin: past hist.c's SURE, the
     * logarithm's bin is taken without the edges */
    int wrong_near = 0;
    edge = 1, next = GROWTH;
    for (int k = 1; next < FAR; k++, edge = next, next *= GROWTH) {
        wrong_near += upper_edge_of(edge * (1 + 4e-11)) != next;
        wrong_near += k > 1 && upper_edge_of(edge * (1 - 4e-11)) != edge;
    }
    CHECK_INT(wrong_near, 0);
    CHECK(upper_edge_of(0) == 1);
    CHECK(upper_edge_of(0.999) == 1);
    CHECK(upper_edge_of(-5) == 1);        /* a negative age counts as 0 */
}

/* R14: the q-quantile of 1..1000 ms lies in the bin of the exact value;
 * the maximum is exact and caps the top quantile. */
static void test_quantiles(void)
{
    struct hist *h = hist_create();
    CHECK(h != NULL);
    if (!h)
        return;
    for (int v = 1; v <= 1000; v++)
        hist_add(h, v);
    CHECK_INT(hist_count(h), 1000);
    CHECK(hist_max(h) == 1000);
    CHECK(hist_quantile(h, 1.0) == 1000);
    double p50 = hist_quantile(h, 0.5), p99 = hist_quantile(h, 0.99);
    CHECK(p50 > 500 && p50 <= 500 * GROWTH);
    CHECK(p99 > 990 && p99 <= 990 * GROWTH);
    hist_destroy(h);
}

/* R14 with hist_add holding values back (hist.c HIST_HELD): a quantile
 * asked after every add, which counts them, agrees with one asked once at
 * the end. */
static void test_held(void)
{
    struct hist *every = hist_create(), *once = hist_create();
    CHECK(every != NULL && once != NULL);
    if (!every || !once) {
        hist_destroy(every);
        hist_destroy(once);
        return;
    }
    int wrong = 0;
    for (int v = 1; v <= 300; v++) {
        double x = (double)(v * 37 % 301);
        hist_add(every, x);
        hist_add(once, x);
        wrong += hist_quantile(every, 0.5) > hist_max(every);
    }
    CHECK_INT(wrong, 0);
    CHECK_INT(hist_count(once), 300);
    for (double q = 0.01; q <= 1; q += 0.01)
        wrong += hist_quantile(every, q) != hist_quantile(once, q);
    CHECK_INT(wrong, 0);
    hist_destroy(every);
    hist_destroy(once);
}

int main(void)
{
    test_edges();
    test_quantiles();
    test_held();
    return check_done();
}
