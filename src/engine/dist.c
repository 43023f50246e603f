/*
 * dist.c - draws from the distributions of SPEC 1.5 (durations and sizes),
 * and the blocks of a Poisson process (SPEC 1.3 arrivals, issue 15 item 1).
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

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

double dist_draw_random(const struct dist *d, gsl_rng *r)
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

int dist_uint_init(struct dist_uint *u, const gsl_rng *r, unsigned long n)
{
    unsigned long offset = gsl_rng_min(r), range = gsl_rng_max(r) - offset;
    if (n == 0 || n > range)
        return -1;
    unsigned long scale = range / n;
    *u = (struct dist_uint){
        .get = r->type->get, .state = r->state, .offset = offset, .scale = scale, .n = n,
        .limit = n * scale,   /* <= range */
        /* floor((2^64 - 1) / scale) + 1 = ceil(2^64 / scale); 2^64 itself for scale 1 */
        .magic = range <= UINT32_MAX && scale > 1 ? UINT64_MAX / scale + 1 : 0,
    };
    return 0;
}

static inline __attribute__((always_inline)) void fill_run(const struct dist_uint *v, uint32_t *out,
                                                           size_t n)
{
    for (uint32_t *end = out + n; out < end; out++)
        *out = (uint32_t)dist_uint_draw(v);
}

void dist_uint_fill(const struct dist_uint *u, uint32_t *out, size_t n)
{
    const struct dist_uint v = *u;   /* a local: the stores to out could alias *u */
    if (v.magic)   /* two copies of the loop: each without the test */
        fill_run(&v, out, n);
    else
        fill_run(&v, out, n);
}

/* ---- Poisson blocks ---------------------------------------------------- */

struct dist_poisson {
    uint32_t *times;      /* the block's times, ascending (us from its start) */
    uint32_t *drawn;      /* the same times in the order drawn */
    uint32_t *slot;       /* bucket b's first slot in times, then its next free one */
    size_t cap_times, cap_drawn, cap_slot;   /* slots of each */
};

struct dist_poisson *dist_poisson_create(void)
{
    return calloc(1, sizeof(struct dist_poisson));
}

void dist_poisson_destroy(struct dist_poisson *p)
{
    if (!p)
        return;
    free(p->times);
    free(p->drawn);
    free(p->slot);
    free(p);
}

/* *buf holds at least n uint32_t (its capacity *cap); false when out of memory. */
static bool reserve(uint32_t **buf, size_t *cap, size_t n)
{
    if (n <= *cap)
        return true;
    size_t want = *cap ? *cap : 64;
    while (want < n)
        want *= 2;
    uint32_t *grown = realloc(*buf, want * sizeof *grown);
    if (!grown)
        return false;
    *buf = grown;
    *cap = want;
    return true;
}

/* Bits needed to write x (0 for 0). */
static unsigned bit_length(uint64_t x)
{
    unsigned b = 0;
    for (; x; x >>= 1)
        b++;
    return b;
}

/*
 * n uniform integers in [0, len) into out, exactly: a 32-bit draw times
 * len, whose high half is the value, rejected when its low half is below
 * (2^32 - len) mod len (Lemire's method: a multiply where
 * gsl_rng_uniform_int divides).  taus2, the engine's generator, gives
 * all 32 bits: its get function is read once and called directly in the
 * loop (gsl_rng_get is a call that makes that call); another generator
 * goes through gsl_rng_uniform_int.
 */
static void uniform_below(gsl_rng *r, uint32_t len, uint32_t *out, size_t n)
{
    if (gsl_rng_min(r) != 0 || gsl_rng_max(r) != UINT32_MAX) {
        for (size_t i = 0; i < n; i++)
            out[i] = (uint32_t)gsl_rng_uniform_int(r, len);
        return;
    }
    unsigned long (*get)(void *state) = r->type->get;
    void *state = r->state;
    uint32_t reject_below = (uint32_t)(0u - len) % len;
    for (size_t i = 0; i < n; i++) {
        uint64_t m;
        do
            m = (uint64_t)get(state) * len;
        while ((uint32_t)m < reject_below);
        out[i] = (uint32_t)(m >> 32);
    }
}

/* Sorts the n times in p->drawn into p->times, by buckets of 2^shift:
 * a pass on their high bits into about one bucket a time (at most two on
 * average), then an insertion sort that moves each time within its bucket
 * only: linear on average, against n log n compares for qsort.  A time
 * sharing its bucket costs a branch mispredicted half the time. */
static void bucket_sort(struct dist_poisson *p, size_t n, unsigned shift, size_t buckets)
{
    memset(p->slot, 0, (buckets + 1) * sizeof *p->slot);
    for (size_t i = 0; i < n; i++)
        p->slot[(p->drawn[i] >> shift) + 1]++;
    for (size_t b = 1; b <= buckets; b++)
        p->slot[b] += p->slot[b - 1];
    uint32_t *out = p->times;
    for (size_t i = 0; i < n; i++)
        out[p->slot[p->drawn[i] >> shift]++] = p->drawn[i];
    for (size_t i = 1; i < n; i++) {
        uint32_t t = out[i];
        size_t j = i;
        for (; j > 0 && out[j - 1] > t; j--)
            out[j] = out[j - 1];
        out[j] = t;
    }
}

/* Sorts the n times in p->drawn, each below 2^(2 digit), by two counting
 * passes on their low then high digit (LSD radix: each pass keeps the
 * order of the one before), no compare at all; the result in p->drawn,
 * p->times the pass between.  p->slot holds 2 x 2^digit counts.  The
 * arrays in locals: the stores to them could alias p's fields.  The loops
 * over the times unrolled: their own steps were a third of their
 * instructions (callgrind: 213 -> 181 M in 5 minutes of the bench). */
static void radix_sort(struct dist_poisson *p, size_t n, unsigned digit)
{
    size_t digits = (size_t)1 << digit;
    uint32_t mask = (uint32_t)digits - 1, *low = p->slot, *high = p->slot + digits;
    uint32_t *drawn = p->drawn, *times = p->times;
    memset(low, 0, 2 * digits * sizeof *low);
#pragma GCC unroll 4
    for (size_t i = 0; i < n; i++) {
        uint32_t t = drawn[i];
        low[t & mask]++;
        high[t >> digit]++;
    }
    uint32_t sum_low = 0, sum_high = 0;
    for (size_t b = 0; b < digits; b++) {
        uint32_t c = low[b];
        low[b] = sum_low;
        sum_low += c;
        c = high[b];
        high[b] = sum_high;
        sum_high += c;
    }
#pragma GCC unroll 4
    for (size_t i = 0; i < n; i++) {
        uint32_t t = drawn[i];
        times[low[t & mask]++] = t;
    }
#pragma GCC unroll 4
    for (size_t i = 0; i < n; i++) {
        uint32_t t = times[i];
        drawn[high[t >> digit]++] = t;
    }
}

#define RADIX_MAX_DIGIT 11   /* radix sort: times below 2^22 */

int64_t dist_poisson_block(struct dist_poisson *p, gsl_rng *r, double mu, uint32_t len,
                           const uint32_t **times)
{
    if (!(mu >= 0 && mu <= DIST_POISSON_MAX_MEAN))
        return -1;
    size_t n = gsl_ran_poisson(r, mu);
    unsigned bits = n > 1 ? bit_length(n - 1) : 0;          /* 2^bits >= n */
    unsigned value_bits = bit_length(len - 1);             /* times < 2^value_bits */
    unsigned shift = value_bits > bits ? value_bits - bits : 0;
    size_t buckets = ((size_t)(len - 1) >> shift) + 1;     /* <= 2^bits, > n / 2 when shift > 0 */
    /* Radix when its two passes' counts are no more than the times:
     * the bucket pass's mispredicted compares cost more. */
    unsigned digit = (value_bits + 1) / 2;
    bool radix = shift > 0 && digit <= RADIX_MAX_DIGIT && ((size_t)1 << digit) <= n;
    size_t slots = radix ? (size_t)2 << digit : buckets + 1;
    if (!reserve(&p->times, &p->cap_times, n ? n : 1) || !reserve(&p->drawn, &p->cap_drawn, n ? n : 1) ||
        !reserve(&p->slot, &p->cap_slot, slots))
        return -1;
    uniform_below(r, len, p->drawn, n);
    if (radix) {
        radix_sort(p, n, digit);
        *times = p->drawn;
    } else {
        bucket_sort(p, n, shift, buckets);
        *times = p->times;
    }
    return (int64_t)n;
}
