/*
 * hist.c - log-binned histogram for IteratorAge percentiles (R14).
 *
 * A value's bin is computed from its logarithm and settled against the
 * edges (bin_of), where gsl_histogram_increment searches 1,280 edges: a
 * dozen cache misses an invocation on the simulation's thread (issue 15).
 */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_histogram.h>

#include "hist.h"

#define GROWTH 1.02
#define TOP    1e11     /* ms: about three years, past any retention */

struct hist {
    gsl_histogram *g;
    uint64_t count;
    double max;
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
 * The bin of v (0 <= v below the top edge): bin i >= 1 starts at
 * GROWTH^(i-1), so the logarithm lands on it or, through the rounding of
 * the edges' products, next to it; the edges decide, as the binary search
 * of gsl_histogram_find would.
 */
static size_t bin_of(const gsl_histogram *g, double v)
{
    if (v < g->range[1])
        return 0;
    double guess = 1 + floor(log(v) / log(GROWTH));
    size_t i = guess < (double)g->n ? (size_t)guess : g->n - 1;
    while (i > 1 && v < g->range[i])
        i--;
    while (i + 1 < g->n && v >= g->range[i + 1])
        i++;
    return i;
}

void hist_add(struct hist *h, double value)
{
    if (value < 0)
        value = 0;
    double top = gsl_histogram_max(h->g);
    h->g->bin[bin_of(h->g, value < top ? value : top * 0.999999)] += 1;
    if (h->count++ == 0 || value > h->max)
        h->max = value;
}

uint64_t hist_count(const struct hist *h) { return h->count; }
double hist_max(const struct hist *h) { return h->count ? h->max : 0; }

double hist_quantile(const struct hist *h, double q)
{
    if (h->count == 0)
        return 0;
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
