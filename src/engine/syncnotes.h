/*
 * syncnotes.h - figures one thread notes at each sync point and another
 * reads SYNC_NOTES_LAG sync points later (the run's memory budget, sim.c:
 * the observer's tables, the message table's ring).  The reader waits for
 * the note rather than read the figure live, so what it reads is the same
 * however far the writer's thread got, and with no thread at all.  One
 * writer, one reader: a note is written, then published by a release of
 * the count the reader acquires.
 */
#ifndef ESMSIM_SYNCNOTES_H
#define ESMSIM_SYNCNOTES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define SYNC_NOTES_LAG 64         /* sync points a note is kept, the last ones */
#define SYNC_NOTE_FIGURES 2       /* figures a note holds */

struct sync_notes {
    uint64_t at[SYNC_NOTES_LAG][SYNC_NOTE_FIGURES];   /* the i-th note at [i % LAG] */
    _Atomic uint64_t count;       /* notes made */
};

static inline void sync_notes_init(struct sync_notes *n)
{
    atomic_init(&n->count, 0);
}

/* The writer's note of this sync point: figures a and b. */
static inline void sync_note(struct sync_notes *n, uint64_t a, uint64_t b)
{
    uint64_t k = atomic_load_explicit(&n->count, memory_order_relaxed);
    n->at[k % SYNC_NOTES_LAG][0] = a;
    n->at[k % SYNC_NOTES_LAG][1] = b;
    atomic_store_explicit(&n->count, k + 1, memory_order_release);
}

/* The note of sync point k (0, 1, ...) into out; false when it is not
 * made yet.  The caller asks for one of the last SYNC_NOTES_LAG. */
static inline bool sync_noted(const struct sync_notes *n, uint64_t k,
                              uint64_t out[SYNC_NOTE_FIGURES])
{
    if (atomic_load_explicit(&n->count, memory_order_acquire) <= k)
        return false;
    out[0] = n->at[k % SYNC_NOTES_LAG][0];
    out[1] = n->at[k % SYNC_NOTES_LAG][1];
    return true;
}

#endif
