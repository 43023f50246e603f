/*
 * ahead.c - blocks of values computed ahead (issue 15 item 2): see ahead.h.
 *
 * A sequence's blocks form a ring, counted from where it was set up: block
 * k lies in blocks[k % depth].  The filler (the worker, or the consumer
 * when nothing is ready and the worker is not at it) publishes a block by
 * its count filled, and the consumer gives a block back by its count let
 * go, each a release that the other side acquires: so the consumer takes a
 * ready block, the common case, with no lock.  The worker's lock guards
 * who fills (filling, the worker's choice among its sequences) and the
 * sleeps: the consumer takes it only when nothing is ready, or to wake the
 * worker.  (With the lock on every block, the simulation's thread waited
 * on it tens of times a 5-minute run: the worker held it when it lost its
 * core.)  The worker sleeps when every sequence is full, and the consumer
 * wakes it once half a queue is free: a wake-up (a system call) per
 * AHD_DEPTH / 2 blocks, not per block, and as many left ready while the
 * worker gets a core.  No wake-up is lost: the worker says it is idle,
 * then looks at the counts let go once more before it sleeps; the
 * consumer lets a block go, then looks whether the worker is idle; both
 * sequentially consistent, so one of the two sees the other.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "ahead.h"

_Static_assert((AHD_DEPTH & (AHD_DEPTH - 1)) == 0, "block k % depth goes on across the counts' wrap");

struct ahd_seq {
    ahd_fill_fn fill;
    void *ctx;
    size_t block_bytes;
    void *blocks[AHD_DEPTH];
    unsigned depth;           /* blocks in the ring: 1 alone, AHD_DEPTH attached */
    atomic_uint filled;       /* blocks filled (the filler's; a release publishes one) */
    atomic_uint let_go;       /* blocks the consumer is done with (its own) */
    unsigned taken;           /* blocks the consumer took: it holds block taken - 1 */
    atomic_bool ended;        /* the last block is filled: no more fills */
    bool filling;             /* under the lock: block filled is being filled */
    struct ahd *w;            /* the worker filling ahead, or NULL */
    struct ahd_seq *next;     /* the worker's sequences */
};

struct ahd {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t work;      /* to the worker: room to fill, or stop */
    pthread_cond_t done;      /* to the consumer: a fill has finished */
    struct ahd_seq *seqs;
    bool started;             /* the thread runs: from the first attach */
    bool stop;
    atomic_bool idle;         /* the worker sleeps, or is about to, on work */
};

struct ahd_seq *ahd_seq_create(size_t block_bytes, ahd_fill_fn fill, void *ctx)
{
    struct ahd_seq *q = calloc(1, sizeof *q);
    if (!q || !(q->blocks[0] = malloc(block_bytes))) {
        free(q);
        return NULL;
    }
    q->fill = fill;
    q->ctx = ctx;
    q->block_bytes = block_bytes;
    q->depth = 1;
    return q;
}

/* Fill block filled (its slot free: the caller made sure).  Attached,
 * called and returning with the worker's lock held, which the fill itself
 * runs without. */
static void fill_one(struct ahd_seq *q)
{
    struct ahd *w = q->w;
    unsigned k = atomic_load_explicit(&q->filled, memory_order_relaxed);   /* ours to change */
    q->filling = true;
    if (w)
        pthread_mutex_unlock(&w->lock);
    bool more = q->fill(q->ctx, q->blocks[k % q->depth]);
    if (w)
        pthread_mutex_lock(&w->lock);
    q->filling = false;
    atomic_store_explicit(&q->ended, !more, memory_order_relaxed);   /* published with it: */
    atomic_store_explicit(&q->filled, k + 1, memory_order_release);
    if (w)
        pthread_cond_broadcast(&w->done);
}

/* Nothing ready: fill the next block here, unless the worker is at it
 * (then wait for it); the blocks ready then, 0 after the last one. */
static unsigned fill_or_wait(struct ahd_seq *q)
{
    struct ahd *w = q->w;
    unsigned ready;
    if (w)
        pthread_mutex_lock(&w->lock);
    while (!(ready = atomic_load_explicit(&q->filled, memory_order_acquire) - q->taken)
           && !atomic_load_explicit(&q->ended, memory_order_relaxed)) {
        if (!q->filling)
            fill_one(q);
        else
            pthread_cond_wait(&w->done, &w->lock);
    }
    if (w)
        pthread_mutex_unlock(&w->lock);
    return ready;
}

/* Wake the worker, idle a moment ago.  Its lock taken first: then it is in
 * its wait, not between its last look and the wait (where a signal would
 * be lost); signalled after the unlock, so that it does not wake to find
 * the lock still held and sleep on it once more. */
static void wake(struct ahd *w)
{
    pthread_mutex_lock(&w->lock);
    pthread_mutex_unlock(&w->lock);
    pthread_cond_signal(&w->work);
}

const void *ahd_next(struct ahd_seq *q)
{
    struct ahd *w = q->w;
    /* The held block goes back; sequentially consistent: before the look
     * at idle below (the sleep's protocol, above). */
    atomic_store(&q->let_go, q->taken);
    unsigned ready = atomic_load_explicit(&q->filled, memory_order_acquire) - q->taken;
    if (!ready && !(ready = fill_or_wait(q)))
        return NULL;
    const void *block = q->blocks[q->taken % q->depth];
    q->taken++;
    if (w && ready - 1 < AHD_DEPTH / 2 && !atomic_load_explicit(&q->ended, memory_order_relaxed)
        && atomic_load(&w->idle) && atomic_exchange(&w->idle, false))
        wake(w);   /* once a sleep: it was idle, now it is being woken */
    return block;
}

void ahd_seq_destroy(struct ahd_seq *q)
{
    if (!q)
        return;
    struct ahd *w = q->w;
    if (w) {
        pthread_mutex_lock(&w->lock);
        while (q->filling)
            pthread_cond_wait(&w->done, &w->lock);
        struct ahd_seq **link = &w->seqs;
        while (*link != q)
            link = &(*link)->next;
        *link = q->next;
        pthread_mutex_unlock(&w->lock);
    }
    for (unsigned i = 0; i < AHD_DEPTH; i++)
        free(q->blocks[i]);
    free(q);
}

/* The sequence with room for a block and the fewest in use (a consumer
 * about to run dry first), or NULL.  Under the lock. */
static struct ahd_seq *pick(struct ahd *w)
{
    struct ahd_seq *best = NULL;
    unsigned best_used = 0;
    for (struct ahd_seq *q = w->seqs; q; q = q->next) {
        if (q->filling || atomic_load_explicit(&q->ended, memory_order_relaxed))
            continue;
        unsigned used = atomic_load_explicit(&q->filled, memory_order_relaxed) - atomic_load(&q->let_go);
        if (used < q->depth && (!best || used < best_used)) {
            best = q;
            best_used = used;
        }
    }
    return best;
}

static void *worker(void *arg)
{
    struct ahd *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        struct ahd_seq *q = pick(w);
        if (q) {
            fill_one(q);
            continue;
        }
        atomic_store(&w->idle, true);   /* then one more look (the protocol, above) */
        if (!pick(w))
            pthread_cond_wait(&w->work, &w->lock);
        atomic_store(&w->idle, false);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

struct ahd *ahd_create(void)
{
    struct ahd *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    if (pthread_mutex_init(&w->lock, NULL) != 0)
        goto no_lock;
    if (pthread_cond_init(&w->work, NULL) != 0)
        goto no_work;
    if (pthread_cond_init(&w->done, NULL) != 0)
        goto no_done;
    return w;
no_done:
    pthread_cond_destroy(&w->work);
no_work:
    pthread_mutex_destroy(&w->lock);
no_lock:
    free(w);
    return NULL;
}

void ahd_destroy(struct ahd *w)
{
    if (!w)
        return;
    if (w->started) {
        pthread_mutex_lock(&w->lock);
        w->stop = true;
        pthread_cond_signal(&w->work);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
    }
    for (struct ahd_seq *q = w->seqs; q; q = q->next)
        q->w = NULL;   /* no fill in progress: the worker is gone */
    pthread_cond_destroy(&w->done);
    pthread_cond_destroy(&w->work);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

/* Back to the one block a sequence has alone. */
static void free_extra(struct ahd_seq *q)
{
    for (unsigned i = 1; i < AHD_DEPTH; i++) {
        free(q->blocks[i]);
        q->blocks[i] = NULL;
    }
}

int ahd_attach(struct ahd *w, struct ahd_seq *q)
{
    for (unsigned i = 1; i < AHD_DEPTH; i++) {
        if (!(q->blocks[i] = malloc(q->block_bytes))) {
            free_extra(q);
            return -1;
        }
    }
    if (!w->started && pthread_create(&w->thread, NULL, worker, w) != 0) {
        free_extra(q);
        return -1;
    }
    w->started = true;
    pthread_mutex_lock(&w->lock);
    /* Alone, nothing is ready between two calls and every block lies in
     * the ring's first slot: counted again from there, the block held (if
     * any) block 0. */
    unsigned held = q->taken > 0;
    atomic_store_explicit(&q->filled, held, memory_order_relaxed);
    atomic_store_explicit(&q->let_go, 0, memory_order_relaxed);
    q->taken = held;
    q->depth = AHD_DEPTH;
    q->w = w;
    q->next = w->seqs;
    w->seqs = q;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->lock);
    return 0;
}
