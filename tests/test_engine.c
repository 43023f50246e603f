/*
 * test_engine.c - the event engine (SPEC section 6): time order, the fixed
 * order of simultaneous events, bounded runs (an interrupt flag read after
 * every event), a large pending set, and seeded streams.
 */
#include <stdlib.h>

#include "check.h"
#include "engine.h"

struct trace {
    struct eng *e;
    uint64_t seen[64];
    int64_t at[64];
    int n;
};

static void record(void *ctx, uint64_t arg)
{
    struct trace *t = ctx;
    t->at[t->n] = eng_now(t->e);
    t->seen[t->n++] = arg;
}

/* Events leave by time, then class, then the order they were scheduled. */
static void test_order(void)
{
    struct trace t = { .e = eng_create(1) };
    eng_schedule(t.e, 50, ENG_CLASS_POLL, record, &t, 1);
    eng_schedule(t.e, 50, ENG_CLASS_WRITE, record, &t, 2);
    eng_schedule(t.e, 10, ENG_CLASS_SAMPLE, record, &t, 3);
    eng_schedule(t.e, 50, ENG_CLASS_POLL, record, &t, 4);
    eng_schedule(t.e, 50, ENG_CLASS_TOPOLOGY, record, &t, 5);
    eng_schedule(t.e, 50, ENG_CLASS_COMPLETE, record, &t, 6);
    eng_schedule(t.e, 99, ENG_CLASS_TOPOLOGY, record, &t, 7);
    CHECK_INT(eng_pending(t.e), 7);
    CHECK_INT(eng_run_until(t.e, 60), 6);
    uint64_t want[] = { 3, 5, 2, 6, 1, 4 };
    for (int i = 0; i < 6; i++)
        CHECK_INT(t.seen[i], want[i]);
    CHECK_INT(t.at[0], 10);
    CHECK_INT(t.at[5], 50);
    CHECK_INT(eng_now(t.e), 50);
    /* The bound is inclusive; what is later stays queued. */
    CHECK_INT(eng_run_until(t.e, 99), 1);
    CHECK_INT(t.at[6], 99);
    CHECK_INT(eng_pending(t.e), 0);
    eng_destroy(t.e);
}

/* Scheduling in the past runs at the present, after what is already there. */
static void past_then_stop(void *ctx, uint64_t arg)
{
    struct trace *t = ctx;
    record(ctx, arg);
    if (arg == 1)
        eng_schedule(t->e, 0, ENG_CLASS_TOPOLOGY, record, t, 9);
    if (arg == 2)
        eng_stop(t->e);
}

static void test_past_and_stop(void)
{
    struct trace t = { .e = eng_create(1) };
    eng_schedule(t.e, 100, ENG_CLASS_POLL, past_then_stop, &t, 1);
    eng_schedule(t.e, 200, ENG_CLASS_POLL, past_then_stop, &t, 2);
    eng_schedule(t.e, 300, ENG_CLASS_POLL, past_then_stop, &t, 3);
    CHECK_INT(eng_run_until(t.e, 1000), 3);   /* 1, 9 (at 100), 2 then stop */
    CHECK_INT(t.seen[1], 9);
    CHECK_INT(t.at[1], 100);
    CHECK(eng_stopped(t.e));
    CHECK_INT(eng_pending(t.e), 1);
    CHECK_INT(eng_run_until(t.e, 1000), 1);   /* a new run goes on */
    eng_destroy(t.e);
}

/*
 * Issue 11 item 11: eng_run_bounded returns between two events, after
 * max_events or once the interrupt flag is up (read after every event, so a
 * handler that raises it stops the run at once, here at the same instant as
 * events still queued); what runs, in what order, is the same however the
 * run is cut.
 */
static volatile sig_atomic_t test_flag;

static void raise_flag(void *ctx, uint64_t arg)
{
    record(ctx, arg);
    if (arg == 3)
        test_flag = 1;
}

static void test_bounded(void)
{
    struct trace t = { .e = eng_create(1) };
    for (uint64_t i = 1; i <= 6; i++)
        eng_schedule(t.e, i <= 3 ? 10 : 20 * (int64_t)i, ENG_CLASS_POLL, raise_flag, &t, i);
    test_flag = 0;
    CHECK_INT(eng_next_at(t.e), 10);
    CHECK_INT(eng_run_bounded(t.e, 1000, 2, &test_flag), 2);
    CHECK_INT(eng_run_bounded(t.e, 1000, 100, &test_flag), 1);   /* event 3 raised the flag */
    CHECK_INT(t.n, 3);
    CHECK_INT(eng_now(t.e), 10);
    CHECK_INT(eng_next_at(t.e), 80);
    CHECK_INT(eng_run_bounded(t.e, 1000, 100, &test_flag), 1);   /* still up: one event a call */
    test_flag = 0;
    CHECK_INT(eng_run_bounded(t.e, 100, 100, &test_flag), 1);    /* 5 at 100; 6 at 120 waits */
    CHECK_INT(eng_run_bounded(t.e, 1000, 100, NULL), 1);
    CHECK_INT(eng_next_at(t.e), INT64_MAX);
    for (int i = 0; i < 6; i++)
        CHECK_INT(t.seen[i], (uint64_t)i + 1);
    CHECK_INT(t.at[5], 120);
    eng_destroy(t.e);
}

struct heap_check {
    struct eng *e;
    int64_t last_at;
    uint64_t last_arg, ran;
    int bad;
};

static void monotone(void *ctx, uint64_t arg)
{
    struct heap_check *h = ctx;
    int64_t now = eng_now(h->e);
    /* arg = (time << 24 | insertion number): equal times keep insertion order */
    if (now < h->last_at || (now == h->last_at && arg < h->last_arg))
        h->bad++;
    h->last_at = now;
    h->last_arg = arg;
    h->ran++;
}

/* A million pending events come out sorted, ties in insertion order. */
static void test_large_heap(void)
{
    struct heap_check h = { .e = eng_create(7) };
    gsl_rng *r = eng_rng_create(h.e, "test/heap");
    const uint64_t n = 1000000;
    for (uint64_t i = 0; i < n; i++) {
        int64_t at = (int64_t)gsl_rng_uniform_int(r, 5000);
        eng_schedule(h.e, at, ENG_CLASS_POLL, monotone, &h, (uint64_t)at << 24 | i);
    }
    CHECK_INT(eng_pending(h.e), n);
    eng_run_until(h.e, INT64_MAX);
    CHECK_INT(h.ran, n);
    CHECK_INT(h.bad, 0);
    gsl_rng_free(r);
    eng_destroy(h.e);
}

/* SPEC 6: streams depend on the seed and the name only. */
static void test_streams(void)
{
    struct eng *a = eng_create(42), *b = eng_create(42), *c = eng_create(43);
    gsl_rng *a1 = eng_rng_create(a, "producer/api");
    gsl_rng *other = eng_rng_create(b, "producer/other");   /* made first: no effect */
    gsl_rng *b1 = eng_rng_create(b, "producer/api");
    gsl_rng *c1 = eng_rng_create(c, "producer/api");
    gsl_rng *a2 = eng_rng_create(a, "producer/api2");
    int same_b = 0, same_c = 0, same_name = 0;
    for (int i = 0; i < 100; i++) {
        unsigned long x = gsl_rng_get(a1), y = gsl_rng_get(b1);
        same_b += x == y;
        same_c += x == gsl_rng_get(c1);
        same_name += x == gsl_rng_get(a2);
    }
    CHECK_INT(same_b, 100);
    CHECK(same_c < 5);
    CHECK(same_name < 5);
    CHECK(eng_seed_for(42, "a") != eng_seed_for(42, "b"));
    CHECK(eng_seed_for(42, "a") == eng_seed_for(42, "a"));
    CHECK(eng_seed_for(1, "a") != eng_seed_for(2, "a"));
    gsl_rng *all[] = { a1, other, b1, c1, a2 };
    for (int i = 0; i < 5; i++)
        gsl_rng_free(all[i]);
    eng_destroy(a);
    eng_destroy(b);
    eng_destroy(c);
}

int main(void)
{
    test_order();
    test_past_and_stop();
    test_bounded();
    test_large_heap();
    test_streams();
    return check_done();
}
