/*
 * ahead.c - blocks of values computed ahead (issue 15 item 2): see ahead.h.
 *
 * A sequence's blocks form a ring: the one the consumer holds, the ready
 * ones after it, then the one being filled, if any.  The worker's lock
 * guards every sequence's counters; a block itself belongs to whoever the
 * counters give it to (the filler, then the consumer), so its contents
 * pass between the threads through the lock.  The consumer wakes a
 * sleeping worker only once half its queue is free: a wake-up (a system
 * call) per AHD_DEPTH / 2 blocks, not per block, and as many left ready
 * while the worker gets a core.
 */
#include <pthread.h>
#include <stdlib.h>

#include "ahead.h"

struct ahd_seq {
    ahd_fill_fn fill;
    void *ctx;
    size_t block_bytes;
    void *blocks[AHD_DEPTH];
    unsigned depth;           /* blocks in the ring: 1 alone, AHD_DEPTH attached */
    unsigned take;            /* the next block the consumer takes */
    unsigned ready;           /* filled blocks from take on */
    bool held;                /* the consumer holds the block before take */
    bool filling;             /* the block after the ready ones is being filled */
    bool ended;               /* the last block is filled: no more fills */
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
    bool idle, stop;
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

/* Fill the block after the ready ones.  Attached, called and returning
 * with the worker's lock held, which the fill itself runs without. */
static void fill_one(struct ahd_seq *q)
{
    struct ahd *w = q->w;
    void *block = q->blocks[(q->take + q->ready) % q->depth];
    q->filling = true;
    if (w)
        pthread_mutex_unlock(&w->lock);
    bool more = q->fill(q->ctx, block);
    if (w)
        pthread_mutex_lock(&w->lock);
    q->filling = false;
    q->ready++;
    q->ended = !more;
    if (w)
        pthread_cond_broadcast(&w->done);
}

const void *ahd_next(struct ahd_seq *q)
{
    struct ahd *w = q->w;
    if (w)
        pthread_mutex_lock(&w->lock);
    q->held = false;
    /* Nothing ready: fill it here, unless the worker is at it. */
    while (!q->ready && !q->ended) {
        if (!q->filling)
            fill_one(q);
        else
            pthread_cond_wait(&w->done, &w->lock);
    }
    const void *block = NULL;
    if (q->ready) {
        block = q->blocks[q->take];
        q->take = (q->take + 1) % q->depth;
        q->ready--;
        q->held = true;
    }
    if (w) {
        /* Signalled after the unlock, so the woken worker does not block
         * again at once on the lock this thread still holds. */
        bool wake = w->idle && !q->ended && q->ready < AHD_DEPTH / 2;
        pthread_mutex_unlock(&w->lock);
        if (wake)
            pthread_cond_signal(&w->work);
    }
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

/* The sequence with room for a block and the fewest ready (a consumer
 * about to run dry first), or NULL. */
static struct ahd_seq *pick(struct ahd *w)
{
    struct ahd_seq *best = NULL;
    for (struct ahd_seq *q = w->seqs; q; q = q->next)
        if (!q->ended && !q->filling && q->held + q->ready < q->depth && (!best || q->ready < best->ready))
            best = q;
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
        } else {
            w->idle = true;
            pthread_cond_wait(&w->work, &w->lock);
            w->idle = false;
        }
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
    /* Alone, nothing is ready between two calls and the held block is the
     * ring's first: the next one to take follows it. */
    q->depth = AHD_DEPTH;
    q->take = q->held;
    q->w = w;
    q->next = w->seqs;
    w->seqs = q;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->lock);
    return 0;
}
