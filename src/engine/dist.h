/*
 * dist.h - a random quantity (SPEC 1.5): a duration (in us) or a size (in
 * bytes), by context, drawn with GSL.  The parameters are plain data: the
 * scenario loader fills them, the model draws from them.
 */
#ifndef ESMSIM_DIST_H
#define ESMSIM_DIST_H

#include <stddef.h>
#include <stdint.h>

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

/* dist_draw for a distribution that is not constant. */
double dist_draw_random(const struct dist *d, gsl_rng *r);

/* A draw from d, never negative (durations and sizes).  A constant takes
 * no draw and no call (a record's size or duration: issue 15 item 1). */
static inline double dist_draw(const struct dist *d, gsl_rng *r)
{
    return d->kind == DIST_CONSTANT ? d->value : dist_draw_random(d, r);
}

/* The distribution's mean when it is cheap to know (constant, uniform,
 * normal untruncated, lognormal, gamma, exponential, empirical). */
double dist_mean(const struct dist *d);

/*
 * A uniform integer in [0, n): the very draws and values of
 * gsl_rng_uniform_int(r, n) (gsl_rng.h: a draw less the generator's
 * minimum, divided by scale = range / n, drawn again while >= n), without
 * its two calls through the library a draw: the generator's get function
 * and state are read once, the scale worked out once (issue 15 item 1: a
 * key a record).  A draw x is kept when x < limit = n x scale, which is
 * x / scale < n: the test waits on the draw alone, not on the division
 * too.  Draws of 32 bits divide by a multiply: with
 * magic = ceil(2^64 / scale), x / scale is the high 64 bits of x * magic
 * for every x < 2^32 and scale < 2^32 (Lemire, Kaser and Kurz, "Faster
 * remainder by direct computation", 2019, theorem 1: F = 64 >= N + L with
 * N = 32 bits of x and L <= 32 of scale).  The generator must outlive it.
 */
struct dist_uint {
    unsigned long (*get)(void *state);   /* the generator's own draw */
    void *state;
    unsigned long offset, scale, n;
    unsigned long limit;                 /* n x scale: the draws (less offset) kept are below it */
    uint64_t magic;                      /* ceil(2^64 / scale); 0: divide (scale 1, or draws past 32 bits) */
};

/* 0, or -1 when n is 0 or above the generator's range (where
 * gsl_rng_uniform_int reports an error). */
int dist_uint_init(struct dist_uint *u, const gsl_rng *r, unsigned long n);

static inline unsigned long dist_uint_draw(const struct dist_uint *u)
{
    uint64_t x;
    do
        x = u->get(u->state) - u->offset;
    while (x >= u->limit);
    if (u->magic) {   /* x < 2^32: the high half of x * magic, in two 32 x 64-bit products */
        uint64_t low = x * (uint32_t)u->magic;
        return (unsigned long)((x * (u->magic >> 32) + (low >> 32)) >> 32);
    }
    return x / u->scale;
}

/* n draws of dist_uint_draw into out, in order: the same values, with
 * u's fields in registers across the generator's calls (a key a record).
 * u->n must be at most 2^32. */
void dist_uint_fill(const struct dist_uint *u, uint32_t *out, size_t n);

/*
 * A Poisson process drawn a block of time at a time (issue 15 item 1): the
 * count, then the times.  Opaque; it owns the buffers a block's times live
 * in, reused from block to block.
 */
struct dist_poisson;

/* NULL when out of memory. */
struct dist_poisson *dist_poisson_create(void);
void dist_poisson_destroy(struct dist_poisson *p);

/*
 * The arrivals of a Poisson process of mean count mu (rate x len) over
 * [0, len) us, 1 <= len <= DIST_POISSON_MAX_LEN: their number, drawn with
 * gsl_ran_poisson(r, mu), then that many times uniform on the integer
 * microseconds of [0, len), in ascending order (*times, owned by p, valid
 * until the next call).  A Poisson process conditioned on its count has
 * i.i.d. uniform times, so this is the process of exponential gaps read at
 * whole microseconds, without a logarithm per arrival.  Returns the count,
 * or -1 when out of memory or mu is not from 0 to DIST_POISSON_MAX_MEAN
 * (GSL's Poisson counts in an unsigned int; a block of 1 us at a rate
 * over 2 x 10^15 a second has more arrivals than memory anyway).
 */
#define DIST_POISSON_MAX_LEN UINT32_MAX
#define DIST_POISSON_MAX_MEAN 2147483648.0
int64_t dist_poisson_block(struct dist_poisson *p, gsl_rng *r, double mu, uint32_t len,
                           const uint32_t **times);

#endif
