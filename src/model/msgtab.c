/*
 * msgtab.c - produced messages and their fates (R17).
 *
 * Each entry counts its holders: the producer, until it lets go, and every
 * stream record made of it, until the record leaves the stream.  Entries
 * sit in a ring indexed by message id; the ring's base moves past finished
 * messages, so memory follows the oldest message still in flight.
 */
#include <stdlib.h>

#include "keytab.h"
#include "msgtab.h"

#define FATE_NONE FATE_COUNT

struct msg {
    int64_t created_us;
    const char *producer;  /* borrowed from the producer's config */
    uint32_t key_id;
    uint32_t bytes;
    uint32_t holds;        /* producer (1 until released) + records in the stream */
    uint32_t written;      /* records of it that reached the stream */
    uint8_t best;          /* best fate among its finished records, or FATE_NONE */
    uint8_t done;
};

struct msgtab {
    const struct slog *log;
    const struct keytab *keys;
    struct msg *ring;      /* ring[id & mask] for ids in [base, next) */
    uint64_t mask;
    uint64_t base, next;   /* ids: oldest unfinished, next to give */
    uint64_t counts[FATE_COUNT];
    uint64_t duplicated;
    bool finished;         /* msg_finish ran: later calls are ignored */
};

struct msgtab *msg_create(const struct slog *log, const struct keytab *keys)
{
    struct msgtab *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->log = log;
    t->keys = keys;
    t->mask = 1023;
    t->ring = malloc((t->mask + 1) * sizeof *t->ring);
    if (!t->ring) {
        free(t);
        return NULL;
    }
    t->base = t->next = 1;
    return t;
}

void msg_destroy(struct msgtab *t)
{
    if (!t)
        return;
    free(t->ring);
    free(t);
}

static struct msg *entry(struct msgtab *t, uint64_t id)
{
    if (t->finished || id < t->base || id >= t->next)
        return NULL;
    return &t->ring[id & t->mask];
}

/* Double the ring, keeping every live id at id & mask. */
static int grow(struct msgtab *t)
{
    uint64_t cap = (t->mask + 1) * 2;
    struct msg *ring = malloc(cap * sizeof *ring);
    if (!ring)
        return -1;
    for (uint64_t id = t->base; id < t->next; id++)
        ring[id & (cap - 1)] = t->ring[id & t->mask];
    free(t->ring);
    t->ring = ring;
    t->mask = cap - 1;
    return 0;
}

uint64_t msg_new(struct msgtab *t, const char *producer, uint32_t key_id,
                 uint32_t bytes, int64_t created_us)
{
    if (t->next - t->base > t->mask && grow(t) < 0)
        return 0;
    uint64_t id = t->next++;
    t->ring[id & t->mask] = (struct msg){
        .created_us = created_us, .producer = producer, .key_id = key_id,
        .bytes = bytes, .holds = 1, .best = FATE_NONE,
    };
    return id;
}

static void settle(struct msgtab *t, uint64_t id, struct msg *m, enum fate f)
{
    m->done = 1;
    t->counts[f]++;
    if (t->log->per_record) {
        struct slog_message row = {
            .message_id = id, .producer = m->producer,
            .partition_key = keytab_key(t->keys, m->key_id), .key_id = m->key_id,
            .created_us = m->created_us, .bytes = m->bytes, .fate = f,
        };
        t->log->ops->message(t->log->ctx, &row);
    }
    while (t->base < t->next && t->ring[t->base & t->mask].done)
        t->base++;
}

/* The fate of a message nobody holds any more. */
static void release(struct msgtab *t, uint64_t id, struct msg *m)
{
    if (--m->holds == 0)
        settle(t, id, m, m->written ? (enum fate)m->best : FATE_REJECTED);
}

void msg_written(struct msgtab *t, uint64_t id)
{
    struct msg *m = entry(t, id);
    if (!m)
        return;
    m->holds++;
    if (++m->written == 2)
        t->duplicated++;
}

void msg_delivered(struct msgtab *t, uint64_t id)
{
    struct msg *m = entry(t, id);
    if (m && ++m->written == 2)   /* holds: +1 for the record, -1 for the producer */
        t->duplicated++;
}

void msg_released(struct msgtab *t, uint64_t id)
{
    struct msg *m = entry(t, id);
    if (m)
        release(t, id, m);
}

void msg_record_done(struct msgtab *t, uint64_t id, enum fate f)
{
    struct msg *m = entry(t, id);
    if (!m)
        return;
    if (f < m->best)
        m->best = (uint8_t)f;
    release(t, id, m);
}

void msg_finish(struct msgtab *t)
{
    for (uint64_t id = t->base; id < t->next && !t->finished; id++) {
        struct msg *m = &t->ring[id & t->mask];
        if (!m->done)
            settle(t, id, m, m->best < FATE_PENDING ? (enum fate)m->best : FATE_PENDING);
    }
    t->finished = true;
}

void msg_counts(const struct msgtab *t, uint64_t counts[FATE_COUNT])
{
    for (int f = 0; f < FATE_COUNT; f++)
        counts[f] = t->counts[f];
}

uint64_t msg_created(const struct msgtab *t) { return t->next - 1; }

uint64_t msg_oldest(const struct msgtab *t) { return t->base; }

int64_t msg_created_us(const struct msgtab *t, uint64_t id)
{
    if (id < t->base || id >= t->next)
        return -1;
    return t->ring[id & t->mask].created_us;
}
uint64_t msg_duplicated(const struct msgtab *t) { return t->duplicated; }

uint64_t msg_ring_bytes(const struct msgtab *t)
{
    return (t->mask + 1) * sizeof *t->ring;
}
