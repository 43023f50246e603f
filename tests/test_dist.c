/*
 * test_dist.c - the blocks of a Poisson process (issue 15 item 1, SPEC 1.3
 * arrivals, SPEC 6 determinism): the count from gsl_ran_poisson, then that
 * many times uniform on the block's integer microseconds, in ascending
 * order, the same for the same seed.  The producer's own arrivals are
 * checked in test_producer.c.
 */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "check.h"
#include "dist.h"
#include "engine.h"

/* The block's times are ascending and below len. */
static bool in_order(const uint32_t *t, int64_t n, uint32_t len)
{
    for (int64_t i = 0; i < n; i++)
        if (t[i] >= len || (i > 0 && t[i] < t[i - 1]))
            return false;
    return true;
}

/* FNV-1a of a block's count and times. */
static uint64_t block_digest(uint64_t h, const uint32_t *t, int64_t n)
{
    h = (h ^ (uint64_t)n) * 1099511628211u;
    for (int64_t i = 0; i < n; i++)
        h = (h ^ t[i]) * 1099511628211u;
    return h;
}

/* SPEC 6, issue 15 item 1: the same stream gives the same counts and the
 * same times, block after block; another seed others. */
static void test_same_seed(void)
{
    struct eng *e1 = eng_create(1), *e2 = eng_create(1), *e3 = eng_create(2);
    gsl_rng *r[3] = { eng_rng_create(e1, "producer/api"), eng_rng_create(e2, "producer/api"),
                      eng_rng_create(e3, "producer/api") };
    struct dist_poisson *p[3] = { dist_poisson_create(), dist_poisson_create(), dist_poisson_create() };
    uint64_t d[3] = { 1469598103934665603u, 1469598103934665603u, 1469598103934665603u };
    int64_t total[3] = { 0 };
    bool ordered = true;
    for (int b = 0; b < 50; b++) {
        for (int k = 0; k < 3; k++) {
            const uint32_t *t;
            int64_t n = dist_poisson_block(p[k], r[k], 1024.0, 64000, &t);
            CHECK(n >= 0);
            ordered &= in_order(t, n, 64000);
            d[k] = block_digest(d[k], t, n);
            total[k] += n;
        }
    }
    CHECK(ordered);
    CHECK(d[0] == d[1]);
    CHECK_INT(total[0], total[1]);
    CHECK(d[0] != d[2]);
    CHECK_INT(total[0], 51173);   /* 50 blocks of mean 1,024 (51,200), seed 1 */
    for (int k = 0; k < 3; k++) {
        dist_poisson_destroy(p[k]);
        gsl_rng_free(r[k]);
    }
    eng_destroy(e1);
    eng_destroy(e2);
    eng_destroy(e3);
}

/*
 * Issue 15 item 1: the distribution.  10,000 blocks of 1 s at mean 100
 * (seed 1): the counts have mean and variance 100 (Poisson), each tenth of
 * the block holds a tenth of the arrivals (uniform times), and the gaps
 * between successive times, across blocks too, are exponential of mean
 * 10 ms: a share e^-1 of them is 10 ms or more (gaps within a block only
 * would be shorter: a long gap is likelier to cross a block's edge).  The exact figures are this seed's; the bounds
 * around them are 4 standard deviations of the true distribution.
 */
static void test_distribution(void)
{
    struct eng *e = eng_create(1);
    gsl_rng *r = eng_rng_create(e, "producer/api");
    struct dist_poisson *p = dist_poisson_create();
    const int blocks = 10000;
    const uint32_t len = 1000000;
    double sum = 0, sum2 = 0;
    uint64_t tenth[10] = { 0 }, gaps = 0, long_gaps = 0;
    int64_t last = -1;   /* the last time, us from the first block's start */
    bool ordered = true;
    for (int b = 0; b < blocks; b++) {
        const uint32_t *t;
        int64_t n = dist_poisson_block(p, r, 100.0, len, &t);
        ordered &= in_order(t, n, len);
        sum += (double)n;
        sum2 += (double)n * (double)n;
        for (int64_t i = 0; i < n; i++) {
            tenth[t[i] / (len / 10)]++;
            int64_t at = (int64_t)b * len + t[i];
            if (last >= 0) {
                gaps++;
                long_gaps += at - last >= 10000;
            }
            last = at;
        }
    }
    CHECK(ordered);
    double mean = sum / blocks, var = (sum2 - sum * sum / blocks) / (blocks - 1);
    CHECK_INT((int64_t)sum, 1000952);
    CHECK_INT(llround(var * 1000), 100887);
    CHECK(fabs(mean - 100) < 4 * sqrt(100.0 / blocks));
    CHECK(fabs(var - 100) < 4 * 100 * sqrt(2.0 / (blocks - 1)));
    bool even = true;
    for (int k = 0; k < 10; k++)
        even &= fabs((double)tenth[k] - sum / 10) < 4 * sqrt(sum / 10);
    CHECK(even);
    CHECK_INT(tenth[0], 100566);
    double share = (double)long_gaps / (double)gaps, want = exp(-1.0);
    CHECK(fabs(share - want) < 4 * sqrt(want * (1 - want) / (double)gaps));
    CHECK_INT(long_gaps, 368291);
    dist_poisson_destroy(p);
    gsl_rng_free(r);
    eng_destroy(e);
}

/* Issue 15 item 1: edges.  A block of 1 us puts every arrival at 0; a mean
 * of 0 gives none; a mean past DIST_POISSON_MAX_MEAN (or below 0) is
 * refused, not drawn; a block of 2^32 - 1 us and one with many times per
 * microsecond stay ordered; a generator of fewer than 32 bits (ranlxs0, 24)
 * goes through gsl_rng_uniform_int and is just as ordered. */
static void test_edges(void)
{
    struct eng *e = eng_create(7);
    gsl_rng *r = eng_rng_create(e, "edges");
    struct dist_poisson *p = dist_poisson_create();
    const uint32_t *t;
    int64_t n = dist_poisson_block(p, r, 50.0, 1, &t);
    CHECK(n > 0);
    CHECK(in_order(t, n, 1));
    CHECK_INT(dist_poisson_block(p, r, 0.0, 1000, &t), 0);
    CHECK_INT(dist_poisson_block(p, r, 1e300, 1, &t), -1);   /* beyond GSL's unsigned count */
    CHECK_INT(dist_poisson_block(p, r, -1.0, 1, &t), -1);
    n = dist_poisson_block(p, r, 5000.0, DIST_POISSON_MAX_LEN, &t);
    CHECK(fabs((double)n - 5000) < 4 * sqrt(5000.0));
    CHECK(in_order(t, n, DIST_POISSON_MAX_LEN));
    CHECK(t[n - 1] > DIST_POISSON_MAX_LEN / 2);   /* the high half is used */
    n = dist_poisson_block(p, r, 100000.0, 1000, &t);
    CHECK(fabs((double)n - 100000) < 4 * sqrt(100000.0));
    CHECK(in_order(t, n, 1000));
    CHECK(t[0] == 0 && t[n - 1] == 999);
    gsl_rng *small = gsl_rng_alloc(gsl_rng_ranlxs0);
    CHECK(gsl_rng_max(small) < UINT32_MAX);
    n = dist_poisson_block(p, small, 3000.0, 3000000, &t);
    CHECK(fabs((double)n - 3000) < 4 * sqrt(3000.0));
    CHECK(in_order(t, n, 3000000));
    gsl_rng_free(small);
    dist_poisson_destroy(p);
    gsl_rng_free(r);
    eng_destroy(e);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/*
 * Issue 15 item 1: a block's times are exactly its draws, sorted, whichever
 * sort the block takes (radix for many times in a short block: 2 digits of
 * 8, 10 and 11 bits; buckets for few times, for times past 22 bits, and
 * exact buckets for a block shorter than its count): a copy of the
 * generator draws the count with gsl_ran_poisson, then each time as a
 * 32-bit draw times len, high half, drawn again while the low half is
 * below (2^32 - len) mod len (taus2), or gsl_rng_uniform_int (ranlxs0,
 * 24 bits); qsort orders them.  Both generators end at the same place.
 */
static void test_sorted_as_drawn(void)
{
    struct { const gsl_rng_type *type; double mu; uint32_t len; } cases[] = {
        { gsl_rng_taus2, 1024.0, 64000 },        /* radix, 8-bit digits */
        { gsl_rng_taus2, 1200.0, 1024000 },      /* radix, 10 */
        { gsl_rng_taus2, 3000.0, 3000000 },      /* radix, 11 */
        { gsl_rng_taus2, 1024.0, 3000000 },      /* buckets: 2^11 counts > the times */
        { gsl_rng_taus2, 100.0, 1000000 },       /* buckets */
        { gsl_rng_taus2, 5000.0, DIST_POISSON_MAX_LEN },   /* buckets: past 22 bits */
        { gsl_rng_taus2, 20000.0, 1000 },        /* exact buckets */
        { gsl_rng_taus2, 3.0, 64000 },           /* a few times */
        { gsl_rng_ranlxs0, 3000.0, 3000000 },      /* radix, through gsl_rng_uniform_int */
        { gsl_rng_ranlxs0, 100.0, 1000000 },       /* buckets, the same */
    };
    struct dist_poisson *p = dist_poisson_create();
    uint32_t *want = NULL;
    size_t cap = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        gsl_rng *r = gsl_rng_alloc(cases[c].type), *copy = gsl_rng_alloc(cases[c].type);
        gsl_rng_set(r, 11 + c);
        gsl_rng_set(copy, 11 + c);
        bool full32 = gsl_rng_max(r) == UINT32_MAX;
        uint32_t len = cases[c].len, reject_below = (uint32_t)(0u - len) % len;
        bool same = true;
        for (int b = 0; b < 20; b++) {
            const uint32_t *t;
            int64_t n = dist_poisson_block(p, r, cases[c].mu, len, &t);
            size_t m = gsl_ran_poisson(copy, cases[c].mu);
            CHECK_INT(n, m);
            if (m > cap) {
                cap = m;
                want = realloc(want, cap * sizeof *want);
            }
            for (size_t i = 0; i < m; i++) {
                if (!full32) {
                    want[i] = (uint32_t)gsl_rng_uniform_int(copy, len);
                    continue;
                }
                uint64_t x;
                do x = (uint64_t)gsl_rng_get(copy) * len;
                while ((uint32_t)x < reject_below);
                want[i] = (uint32_t)(x >> 32);
            }
            qsort(want, m, sizeof *want, cmp_u32);
            for (size_t i = 0; i < m && (int64_t)m == n; i++)
                same &= t[i] == want[i];
        }
        CHECK(same);
        CHECK(gsl_rng_get(r) == gsl_rng_get(copy));
        gsl_rng_free(r);
        gsl_rng_free(copy);
    }
    free(want);
    dist_poisson_destroy(p);
}

/* Issue 15 item 1: dist_uint gives gsl_rng_uniform_int's values and takes
 * its draws, on the engine's taus2 and on generators with fewer bits
 * (ranlxs0, 24) or a minimum above 0 (ran0, from 1), over bounds where
 * draws are rejected (3 x 2^30: scale 1, a quarter drawn again; 2^31 + 1:
 * half), a small bound and the widest (the range itself, scale 1); the
 * generators are at the same place afterwards.  A bound of 0 or above the
 * range is refused, as gsl_rng_uniform_int refuses it. */
static void test_uniform_int(void)
{
    const gsl_rng_type *types[] = { gsl_rng_taus2, gsl_rng_ranlxs0, gsl_rng_ran0 };
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
        gsl_rng *a = gsl_rng_alloc(types[ti]), *b = gsl_rng_alloc(types[ti]), *raw = gsl_rng_alloc(types[ti]);
        unsigned long range = gsl_rng_max(a) - gsl_rng_min(a);
        unsigned long bounds[] = { 1, 100000, range / 4 * 3, range / 2 + 2, range };
        for (size_t bi = 0; bi < sizeof bounds / sizeof bounds[0]; bi++) {
            unsigned long n = bounds[bi];
            gsl_rng_set(a, 42 + bi);
            gsl_rng_set(b, 42 + bi);
            gsl_rng_set(raw, 42 + bi);
            struct dist_uint u;
            CHECK_INT(dist_uint_init(&u, b, n), 0);
            bool same = true;
            unsigned long draws = 0, scale = range / n;
            for (int i = 0; i < 20000; i++) {
                unsigned long want = gsl_rng_uniform_int(a, n);
                same &= dist_uint_draw(&u) == want;
                do draws++;
                while ((gsl_rng_get(raw) - gsl_rng_min(raw)) / scale >= n);
            }
            CHECK(same);
            CHECK(gsl_rng_get(a) == gsl_rng_get(b));   /* the same draws taken */
            if (bi == 2 || bi == 3)   /* the rejecting bounds did reject */
                CHECK(draws > 20000 + (bi == 2 ? 4000 : 8000));
        }
        struct dist_uint u;
        CHECK_INT(dist_uint_init(&u, a, 0), -1);
        CHECK_INT(dist_uint_init(&u, a, range + 1), -1);
        gsl_rng_free(a);
        gsl_rng_free(b);
        gsl_rng_free(raw);
    }
}

/* SPEC 6 (determinism): dist_uint_fill gives dist_uint_draw's values in
 * turn, and takes the same draws: on taus2 (a multiply) and ranlxs0 at
 * its widest bound (scale 1: a divide), 3,000 values each. */
static void test_uniform_fill(void)
{
    struct { const gsl_rng_type *type; unsigned long n; } cases[] = {
        { gsl_rng_taus2, 100000 }, { gsl_rng_taus2, 3 }, { gsl_rng_ranlxs0, (1ul << 24) - 1 },
    };
    enum { N = 3000 };
    uint32_t *got = malloc(N * sizeof *got);
    CHECK(got != NULL);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0] && got; c++) {
        gsl_rng *a = gsl_rng_alloc(cases[c].type), *b = gsl_rng_alloc(cases[c].type);
        gsl_rng_set(a, 7 + c);
        gsl_rng_set(b, 7 + c);
        struct dist_uint ua, ub;
        CHECK_INT(dist_uint_init(&ua, a, cases[c].n), 0);
        CHECK_INT(dist_uint_init(&ub, b, cases[c].n), 0);
        dist_uint_fill(&ua, got, N);
        dist_uint_fill(&ua, got, 0);   /* nothing drawn */
        bool same = true;
        for (int i = 0; i < N; i++)
            same &= got[i] == dist_uint_draw(&ub);
        CHECK(same);
        CHECK(gsl_rng_get(a) == gsl_rng_get(b));
        gsl_rng_free(a);
        gsl_rng_free(b);
    }
    free(got);
}

/* A generator of 32 bits that gives the values of a script, in turn, to
 * show dist_uint the draws where a division by multiply could go wrong. */
struct script {
    const uint32_t *x;
    size_t n, next;
};

static unsigned long script_get(void *state)
{
    struct script *s = state;
    return s->x[s->next++ % s->n];
}

static double script_get_double(void *state)
{
    return script_get(state) / 4294967296.0;
}

static void script_set(void *state, unsigned long seed)
{
    (void)state;
    (void)seed;
}

static const gsl_rng_type script_type = {
    "script", UINT32_MAX, 0, sizeof(struct script), script_set, script_get, script_get_double,
};

/* Issue 15 item 1: dist_uint's multiply gives x / scale exactly where the
 * quotient steps (x a multiple of scale, and one below), at 0 and 2^32 - 1,
 * for bounds from 1 to 2^32 - 1 (scales from 2^32 - 1 to 1) and bounds of
 * a 7-smooth, a prime and a power of two: the values gsl_rng_uniform_int
 * gives for the same draws, and the same draws taken. */
static void test_uniform_int_division(void)
{
    gsl_rng *r = gsl_rng_alloc(&script_type);
    unsigned long bounds[] = { 1, 2, 3, 7, 10, 1000, 65536, 65537, 100000, 1000003,
                               5040, 1u << 20, 2147483647, 2147483648u, 4294967295u };
    bool same = true;
    int cases = 0;
    for (size_t bi = 0; bi < sizeof bounds / sizeof bounds[0]; bi++) {
        unsigned long n = bounds[bi], scale = UINT32_MAX / n;
        uint32_t x[64];
        size_t m = 0;
        x[m++] = 0;
        x[m++] = UINT32_MAX;
        for (unsigned long q = 1; q < 30 && q * scale <= UINT32_MAX; q++) {
            unsigned long at = q == 29 ? (UINT32_MAX / scale) * scale : q * scale;   /* the last step too */
            x[m++] = (uint32_t)at;
            x[m++] = (uint32_t)(at - 1);
        }
        struct script *s = r->state;
        *s = (struct script){ .x = x, .n = m };
        struct dist_uint u;
        CHECK_INT(dist_uint_init(&u, r, n), 0);
        for (size_t i = 0; i < m; i++) {   /* m values of each, rejections taking the next one */
            s->next = i;
            unsigned long want = gsl_rng_uniform_int(r, n);
            size_t want_next = s->next;
            s->next = i;
            same &= dist_uint_draw(&u) == want && s->next == want_next;
            cases++;
        }
    }
    CHECK(same);
    CHECK_INT(cases, 656);   /* every case was drawn */
    gsl_rng_free(r);
}

/* Issue 15 item 1: dist_draw's inline constant gives the value without a
 * draw; every other kind goes to dist_draw_random, the same draws. */
static void test_draw_constant(void)
{
    gsl_rng *a = gsl_rng_alloc(gsl_rng_taus2), *b = gsl_rng_alloc(gsl_rng_taus2);
    struct dist c = { .kind = DIST_CONSTANT, .value = 100 };
    struct dist g = { .kind = DIST_GAMMA, .shape = 2, .scale = 50 };
    bool same = true;
    for (int i = 0; i < 1000; i++) {
        same &= dist_draw(&c, a) == 100.0;
        same &= dist_draw(&g, a) == dist_draw_random(&g, b);
    }
    CHECK(same);
    CHECK(gsl_rng_get(a) == gsl_rng_get(b));   /* the constant took no draw */
    gsl_rng_free(a);
    gsl_rng_free(b);
}

int main(void)
{
    test_draw_constant();
    test_uniform_int();
    test_uniform_int_division();
    test_uniform_fill();
    test_same_seed();
    test_distribution();
    test_edges();
    test_sorted_as_drawn();
    return check_done();
}
