/*
 * engine.h - the discrete-event core: a virtual clock in integer microseconds,
 * a pending-event set, and named random streams (SPEC section 6).
 *
 * Simultaneous events leave the queue in a fixed order: first by time, then by
 * their class (enum eng_class, lowest first), then in the order they were
 * scheduled. Nothing else (addresses, wall clock) ever breaks a tie.
 */
#ifndef ESMSIM_ENGINE_H
#define ESMSIM_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#define ENG_US_PER_MS  INT64_C(1000)
#define ENG_US_PER_SEC INT64_C(1000000)

/*
 * Event classes: the order in which events of the same instant run.  Stream
 * changes come first so that writes see the new topology; writes land before
 * any read of the same instant; function completions free concurrency before
 * polls try to use it; samples see the state once everything else is done.
 */
enum eng_class {
    ENG_CLASS_TOPOLOGY = 0,  /* reshard, retention trim, mapping updates */
    ENG_CLASS_WRITE    = 1,  /* producer flushes and retries */
    ENG_CLASS_COMPLETE = 2,  /* function invocations ending */
    ENG_CLASS_POLL     = 3,  /* mapping polls, batch windows, retries */
    ENG_CLASS_SAMPLE   = 4,  /* metric samples */
};

struct eng;

/* An event handler: ctx is the component, arg is the component's own tag. */
typedef void (*eng_handler)(void *ctx, uint64_t arg);

/* Create an engine at virtual time 0; NULL when out of memory. */
struct eng *eng_create(uint64_t seed);
void eng_destroy(struct eng *e);

/* Current virtual time in microseconds. */
int64_t eng_now(const struct eng *e);

/*
 * Schedule fn(ctx, arg) at absolute time at_us (clamped to now if earlier).
 * Returns 0, or -1 when out of memory.  There is no cancellation: a component
 * that may change its mind keeps a generation counter in arg and ignores
 * stale events, which is cheaper than a heap with handles.
 */
int eng_schedule(struct eng *e, int64_t at_us, enum eng_class cls,
                 eng_handler fn, void *ctx, uint64_t arg);

/*
 * Run events in order while their time is <= end_us, or until eng_stop().
 * Returns the number of events run.  Time is left at the last event run.
 */
uint64_t eng_run_until(struct eng *e, int64_t end_us);

/*
 * eng_run_until, in bounded steps: also return after max_events events, or
 * as soon as *interrupt (may be NULL) is non-zero, read after every event
 * (a volatile load, nothing on the hot path).  The caller gets control back
 * between two events only, never inside one: the place to commit a log or
 * to stop, however long a stretch of virtual time the events cover.  Where
 * it returns changes nothing of what the events do.
 */
uint64_t eng_run_bounded(struct eng *e, int64_t end_us, uint64_t max_events,
                         const volatile sig_atomic_t *interrupt);

/* The time of the next pending event, INT64_MAX when none is pending. */
int64_t eng_next_at(const struct eng *e);

/* Ask eng_run_until to return after the current event (out of memory). */
void eng_stop(struct eng *e);
bool eng_stopped(const struct eng *e);

/* Events waiting in the queue (for tests and progress). */
size_t eng_pending(const struct eng *e);

/*
 * A new random stream for the component called name, seeded from the engine
 * seed and the name only, so that adding a component never shifts another's
 * draws.  The caller owns the result: free it with gsl_rng_free().
 */
gsl_rng *eng_rng_create(const struct eng *e, const char *name);

/* The 64-bit seed eng_rng_create derives for name (exposed for tests). */
uint64_t eng_seed_for(uint64_t seed, const char *name);

#endif
