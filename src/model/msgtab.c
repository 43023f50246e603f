/*
 * msgtab.c - produced messages and their fates (R17).
 *
 * Each entry counts its holders: the producer, until it lets go, and every
 * stream record made of it, until the record leaves the stream.  Entries
 * sit in a ring indexed by message id; the ring's base moves past finished
 * messages, so memory follows the oldest message still in flight.
 *
 * The ring is two arrays: what every write and every record's end updates
 * (holds, counts, best fate: 16 bytes) and what only a message's row needs
 * (created time, producer, key: 24 bytes).  A shard's batch finishes
 * messages that sit about one in every shard-count ids apart, so each is
 * a cache miss; the hot array alone is what those misses load, a
 * five-times smaller working set than the whole entry's.  A set of
 * records that leave the stream together (msg_records_done) asks for its
 * entries ahead of their use, so that those misses overlap.
 */
#include <stdlib.h>

#include "keytab.h"
#include "msgtab.h"
#include "prefetch.h"

#define FATE_NONE FATE_COUNT
/* Entries msg_records_done asks for ahead of their use: far enough for a
 * load from memory to arrive, near enough to stay in the cache. */
#define PREFETCH_AHEAD 16

/* What the producer's and the mapping's updates touch. */
struct msg {
    uint32_t holds;        /* producer (1 until released) + records in the stream */
    uint32_t written;      /* records of it that reached the stream */
    uint32_t bytes;
    uint8_t best;          /* best fate among its finished records, or FATE_NONE */
    uint8_t done;
};

/* What the message's row and its created time need. */
struct msg_cold {
    int64_t created_us;
    const char *producer;  /* borrowed from the producer's config */
    uint32_t key_id;
};

/* The ring's bytes a message, as when it was one 40-byte array (the memory
 * budget, sim.c, counts them). */
_Static_assert(sizeof(struct msg) + sizeof(struct msg_cold) == 40, "40 bytes a message");

struct msgtab {
    const struct slog *log;
    const struct keytab *keys;
    struct msg *ring;      /* ring[id & mask] for ids in [base, next) */
    struct msg_cold *cold; /* cold[id & mask], beside ring */
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
    t->cold = malloc((t->mask + 1) * sizeof *t->cold);
    if (!t->ring || !t->cold) {
        msg_destroy(t);
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
    free(t->cold);
    free(t);
}

static struct msg *entry(struct msgtab *t, uint64_t id)
{
    if (t->finished || id < t->base || id >= t->next)
        return NULL;
    return &t->ring[id & t->mask];
}

/* Double the ring, keeping every live id at id & mask.  Rare: kept out
 * of msg_new, whose every call would otherwise save the registers it uses. */
COLD static int grow(struct msgtab *t)
{
    uint64_t cap = (t->mask + 1) * 2;
    struct msg *ring = malloc(cap * sizeof *ring);
    struct msg_cold *cold = malloc(cap * sizeof *cold);
    if (!ring || !cold) {
        free(ring);
        free(cold);
        return -1;
    }
    for (uint64_t id = t->base; id < t->next; id++) {
        ring[id & (cap - 1)] = t->ring[id & t->mask];
        cold[id & (cap - 1)] = t->cold[id & t->mask];
    }
    free(t->ring);
    free(t->cold);
    t->ring = ring;
    t->cold = cold;
    t->mask = cap - 1;
    return 0;
}

uint64_t msg_new(struct msgtab *t, const char *producer, uint32_t key_id,
                 uint32_t bytes, int64_t created_us)
{
    if (t->next - t->base > t->mask && grow(t) < 0)
        return 0;
    uint64_t id = t->next++;
    t->ring[id & t->mask] = (struct msg){ .bytes = bytes, .holds = 1, .best = FATE_NONE };
    t->cold[id & t->mask] = (struct msg_cold){
        .created_us = created_us, .producer = producer, .key_id = key_id,
    };
    return id;
}

static void settle(struct msgtab *t, uint64_t id, struct msg *m, enum fate f)
{
    m->done = 1;
    t->counts[f]++;
    if (t->log->per_record) {
        const struct msg_cold *c = &t->cold[id & t->mask];
        struct slog_message row = {
            .message_id = id, .producer = c->producer,
            .partition_key = t->log->no_key_names ? NULL : keytab_key(t->keys, c->key_id),
            .key_id = c->key_id,
            .created_us = c->created_us, .bytes = m->bytes, .fate = f,
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

/* One more record of m's in the stream: its second makes it a producer
 * duplicate. */
static inline void count_written(struct msgtab *t, struct msg *m)
{
    if (++m->written == 2)
        t->duplicated++;
}

void msg_written(struct msgtab *t, uint64_t id)
{
    struct msg *m = entry(t, id);
    if (!m)
        return;
    m->holds++;
    count_written(t, m);
}

void msg_delivered(struct msgtab *t, uint64_t id)
{
    struct msg *m = entry(t, id);
    if (m)
        count_written(t, m);   /* holds: +1 for the record, -1 for the producer */
}

void msg_delivered_run(struct msgtab *t, uint64_t first, uint32_t n)
{
    if (t->finished || first < t->base || first + n > t->next) {   /* some unknown: one by one */
        for (uint32_t i = 0; i < n; i++)
            msg_delivered(t, first + i);
        return;
    }
    for (uint64_t id = first; id < first + n; id++)   /* every id known: no entry() check */
        count_written(t, &t->ring[id & t->mask]);
}

void msg_released(struct msgtab *t, uint64_t id)
{
    struct msg *m = entry(t, id);
    if (m)
        release(t, id, m);
}

/* msg_record_done's work, inline in msg_records_done's loop: a call a
 * record, and the registers it saves, are a good part of so small a job. */
static inline void record_done(struct msgtab *t, uint64_t id, enum fate f)
{
    struct msg *m = entry(t, id);
    if (!m)
        return;
    if (f < m->best)
        m->best = (uint8_t)f;
    release(t, id, m);
}

void msg_record_done(struct msgtab *t, uint64_t id, enum fate f)
{
    record_done(t, id, f);
}

void msg_records_done(struct msgtab *t, const uint64_t *ids, uint32_t n, enum fate f)
{
    /* A set's messages sit about a shard count of ids apart, each entry a
     * cache miss: ask for the entries (and the rows' halves, when rows are
     * logged) a few records ahead, so that the misses overlap. */
    bool rows = t->log->per_record;
    for (uint32_t i = 0; i < n + PREFETCH_AHEAD; i++) {
        if (i < n) {
            uint64_t ahead = ids[i] & t->mask;
            PREFETCH_W(&t->ring[ahead]);
            if (rows)
                PREFETCH(&t->cold[ahead]);
        }
        if (i >= PREFETCH_AHEAD)
            record_done(t, ids[i - PREFETCH_AHEAD], f);
    }
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
    return t->cold[id & t->mask].created_us;
}
uint64_t msg_duplicated(const struct msgtab *t) { return t->duplicated; }

uint64_t msg_ring_bytes(const struct msgtab *t)
{
    return (t->mask + 1) * (sizeof *t->ring + sizeof *t->cold);
}
