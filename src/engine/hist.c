/*
 * hist.c - log-binned histogram for IteratorAge percentiles (R14).
 *
 * A value's bin is computed from its logarithm and settled against the
 * edges (bin_of), where gsl_histogram_increment searches 1,280 edges: a
 * dozen cache misses an invocation on the simulation's thread (issue 15).
 * The edges are read only for a logarithm next to one.  The values are
 * held, HIST_HELD of them, and counted in their bins together: an add
 * touches the struct alone, and the bins' cache misses, one a value when
 * each was counted at once (after the struct's, which its address waited
 * for), overlap.
 */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_histogram.h>

#include "hist.h"

#define GROWTH 1.02
#define TOP    1e11     /* ms: about three years, past any retention */

/* Values held before they are counted in their bins: 512 bytes (perf,
 * 5 minutes of the bench, 8 alternating runs, main thread, mtr_invocation
 * with the histogram: 48.5 -> 15.5 samples a run holding 16, 12.8 -> 8.9
 * from 16 to 64). */
#define HIST_HELD 64

struct hist {
    uint32_t n_held;    /* values in held, not yet in their bins */
    double *bin;        /* g->bin: the counts */
    size_t n;           /* g->n: the bins */
    double top;         /* g->range[n]: a value above counts in the last bin */
    uint64_t count;     /* values added, held ones too */
    double max;
    gsl_histogram *g;
    double held[HIST_HELD];
};

struct hist *hist_create(void)
{
    size_t n = 1 + (size_t)ceil(log(TOP) / log(GROWTH));
    double *edges = malloc((n + 1) * sizeof *edges);
    struct hist *h = calloc(1, sizeof *h);
    if (!edges || !h)
        goto fail;
    /* [0, 1) then [1, 1.02), [1.02, 1.0404) ... */
    edges[0] = 0;
    edges[1] = 1;
    for (size_t i = 2; i <= n; i++)
        edges[i] = edges[i - 1] * GROWTH;
    h->g = gsl_histogram_alloc(n);
    if (!h->g || gsl_histogram_set_ranges(h->g, edges, n + 1) != 0)
        goto fail;
    h->bin = h->g->bin;
    h->n = n;
    h->top = gsl_histogram_max(h->g);
    free(edges);
    return h;
fail:
    free(edges);
    hist_destroy(h);
    return NULL;
}

void hist_destroy(struct hist *h)
{
    if (!h)
        return;
    if (h->g)
        gsl_histogram_free(h->g);
    free(h);
}

/*
 * Where the logarithm may be, at most, in bins, from an edge's own: edge i
 * is GROWTH^(i-1) rounded at each of its products, a relative error below
 * 1,280 * 2^-53 = 1.5e-13, 7.2e-12 of a bin (a bin is log(GROWTH) = 0.0198
 * wide); the logarithm of a value and its division, a few ulps of numbers
 * below 1,300, 1e-12 more.  A guess SURE of a bin or farther from an edge
 * has no edge between it and the value: 100 times the margin.
 */
#define SURE 1e-9

/*
 * The bin of v (0 <= v below the top edge): bin i >= 1 starts at
 * GROWTH^(i-1) (edge 1 is 1 exactly), so the logarithm lands on it or,
 * through the rounding of the edges' products, next to it; next to an
 * edge (SURE), the edges decide, as the binary search of
 * gsl_histogram_find would.
 */
static size_t bin_of(const struct hist *h, double v)
{
    if (v < 1)
        return 0;
    double x = log(v) / log(GROWTH), whole = floor(x), part = x - whole;
    size_t i = 1 + whole < (double)h->n ? (size_t)(1 + whole) : h->n - 1;
    if (part >= SURE && part <= 1 - SURE && i + 1 < h->n)
        return i;
    const double *range = h->g->range;
    while (i > 1 && v < range[i])
        i--;
    while (i + 1 < h->n && v >= range[i + 1])
        i++;
    return i;
}

/* The held values counted in their bins: their bins found first, then
 * counted, so that the counts' loads go out together. */
static void count_held(struct hist *h)
{
    size_t at[HIST_HELD];
    uint32_t n = h->n_held;
    for (uint32_t i = 0; i < n; i++)
        at[i] = bin_of(h, h->held[i] < h->top ? h->held[i] : h->top * 0.999999);
    for (uint32_t i = 0; i < n; i++)
        h->bin[at[i]] += 1;
    h->n_held = 0;
}

void hist_add(struct hist *h, double value)
{
    if (value < 0)
        value = 0;
    h->held[h->n_held++] = value;
    if (h->count++ == 0 || value > h->max)
        h->max = value;
    if (h->n_held == HIST_HELD)
        count_held(h);
}

uint64_t hist_count(const struct hist *h) { return h->count; }
double hist_max(const struct hist *h) { return h->count ? h->max : 0; }

double hist_quantile(struct hist *h, double q)
{
    if (h->count == 0)
        return 0;
    count_held(h);
    double want = ceil(q * (double)h->count), seen = 0;
    for (size_t i = 0; i < gsl_histogram_bins(h->g); i++) {
        seen += gsl_histogram_get(h->g, i);
        if (seen >= want) {
            double lo, hi;
            gsl_histogram_get_range(h->g, i, &lo, &hi);
            return hi < h->max ? hi : h->max;
        }
    }
    return h->max;
}
