/*
 * engine.c - virtual clock, pending-event set and named random streams
 * (SPEC section 6).
 *
 * The pending set is a binary min-heap of small tags ordered by (time, key),
 * where key packs the event class above a counter of scheduled events: equal
 * times leave by class, then first scheduled first out.  A heap costs
 * O(log n) per event and stays compact with millions of pending events.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define CLASS_SHIFT 56

struct event {
    int64_t at_us;     /* when it runs */
    uint64_t key;      /* class << 56 | schedule counter: the tie-break */
    eng_handler fn;
    void *ctx;
    uint64_t arg;
};

struct eng {
    int64_t now_us;
    uint64_t seed;
    uint64_t scheduled;   /* events ever scheduled: the tie-break counter */
    struct event *heap;
    size_t n, cap;
    bool stop;
};

struct eng *eng_create(uint64_t seed)
{
    struct eng *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->seed = seed;
    e->cap = 1024;
    e->heap = malloc(e->cap * sizeof *e->heap);
    if (!e->heap) {
        free(e);
        return NULL;
    }
    return e;
}

void eng_destroy(struct eng *e)
{
    if (!e)
        return;
    free(e->heap);
    free(e);
}

int64_t eng_now(const struct eng *e) { return e->now_us; }
size_t eng_pending(const struct eng *e) { return e->n; }
void eng_stop(struct eng *e) { e->stop = true; }
bool eng_stopped(const struct eng *e) { return e->stop; }

static inline bool before(const struct event *a, const struct event *b)
{
    return a->at_us < b->at_us || (a->at_us == b->at_us && a->key < b->key);
}

int eng_schedule(struct eng *e, int64_t at_us, enum eng_class cls,
                 eng_handler fn, void *ctx, uint64_t arg)
{
    if (e->n == e->cap) {
        size_t cap = e->cap * 2;
        struct event *h = realloc(e->heap, cap * sizeof *h);
        if (!h)
            return -1;
        e->heap = h;
        e->cap = cap;
    }
    struct event ev = {
        .at_us = at_us < e->now_us ? e->now_us : at_us,
        .key = (uint64_t)cls << CLASS_SHIFT | e->scheduled++,
        .fn = fn, .ctx = ctx, .arg = arg,
    };
    /* Sift up: move parents down until ev fits. */
    size_t i = e->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&ev, &e->heap[parent]))
            break;
        e->heap[i] = e->heap[parent];
        i = parent;
    }
    e->heap[i] = ev;
    return 0;
}

/* Remove the root: move the last tag down from the top. */
static void pop_root(struct eng *e)
{
    struct event last = e->heap[--e->n];
    size_t i = 0, n = e->n;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && before(&e->heap[child + 1], &e->heap[child]))
            child++;
        if (!before(&e->heap[child], &last))
            break;
        e->heap[i] = e->heap[child];
        i = child;
    }
    if (n > 0)
        e->heap[i] = last;
}

uint64_t eng_run_bounded(struct eng *e, int64_t end_us, uint64_t max_events,
                         const volatile sig_atomic_t *interrupt)
{
    uint64_t ran = 0;
    e->stop = false;
    while (ran < max_events && e->n > 0 && !e->stop && e->heap[0].at_us <= end_us) {
        struct event ev = e->heap[0];
        pop_root(e);
        e->now_us = ev.at_us;
        ev.fn(ev.ctx, ev.arg);
        ran++;
        if (interrupt && *interrupt)
            break;
    }
    return ran;
}

uint64_t eng_run_until(struct eng *e, int64_t end_us)
{
    return eng_run_bounded(e, end_us, UINT64_MAX, NULL);
}

int64_t eng_next_at(const struct eng *e)
{
    return e->n > 0 ? e->heap[0].at_us : INT64_MAX;
}

/* splitmix64: a well-mixed 64-bit step, to spread seed and name bits. */
static uint64_t mix64(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

uint64_t eng_seed_for(uint64_t seed, const char *name)
{
    /* FNV-1a over the name, mixed with the scenario seed. */
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * UINT64_C(0x100000001b3);
    return mix64(seed ^ mix64(h));
}

/*
 * taus2 (L'Ecuyer's maximally equidistributed combined Tausworthe, period
 * 2^88, in GSL's list for simulation): 24 bytes of state and all 32 bits a
 * draw, so dist.c's uniform fast path holds.  GSL's mt19937 (5 KB) takes
 * a branch per word that goes either way at random, half mispredicted: on
 * the bench (5 min, 9.6 M draws) 373 M of 4,326 M instructions and ~11% of
 * the cycles; taus2 ran it in 0.87x the wall, 0.90x the CPU (30 min:
 * 0.81x).  gfsr4 is as fast but keeps 64 KB a stream.
 */
gsl_rng *eng_rng_create(const struct eng *e, const char *name)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    if (r)
        gsl_rng_set(r, (unsigned long)eng_seed_for(e->seed, name));
    return r;
}
