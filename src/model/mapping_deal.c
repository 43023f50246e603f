/*
 * mapping_deal.c - the records a poll read, dealt out to the shard's lanes
 * by the hash of their key (R10; the choice of lane: mapping_int.h,
 * esm_lane_of), each queued with its bytes in the event (R2), and the read
 * logged with its propagation delay (R1); AT_TIMESTAMP skips the older ones
 * (R13).  A new ParallelizationFactor deals the queued records again
 * (R16).  The loop over every record read is here: deal_records.
 */
#include <stdlib.h>

#include "mapping_int.h"

/* Records deal() looks ahead for their keys' hashes (R10 lanes): far
 * enough for a load from memory to arrive. */
#define LANE_AHEAD 16

/* ---- a lane's queue grows (R10): records are queued here only ----------- */

/* Double the queue's room; false when out of memory.  Out of line: rare,
 * and the pushes of every record read stay short. */
COLD static bool idxq_grow(struct idxq *q)
{
    uint64_t cap = q->cap ? q->cap * 2 : 64;
    uint64_t *v = malloc(cap * sizeof *v), *sz = malloc(cap * sizeof *sz);
    if (!v || !sz) {
        free(v);
        free(sz);
        return false;
    }
    for (uint64_t i = 0; i < q->len; i++) {
        v[i] = idxq_at(q, i);
        sz[i] = idxq_size(q, i);
    }
    free(q->v);
    free(q->size);
    q->v = v;
    q->size = sz;
    q->cap = cap;
    q->head = 0;
    return true;
}

/* Room in the queue for n more records; false when out of memory. */
static inline bool idxq_reserve(struct idxq *q, uint64_t n)
{
    while (q->cap - q->len < n)
        if (!idxq_grow(q))
            return false;
    return true;
}

/* Queue record idx, whose bytes in the event are size, in room reserved. */
static inline void idxq_put(struct idxq *q, uint64_t idx, uint64_t size)
{
    uint64_t j = (q->head + q->len++) & (q->cap - 1);
    q->v[j] = idx;
    q->size[j] = size;
    q->bytes += size;
}

/* ---- dealing (R1, R10, R13) -------------------------------------------- */

/* With one lane, room in its queue for n records at once (enqueue then
 * checks none); false (the run stopped) when out of memory. */
static bool reserve_one_lane(struct shardc *sc, uint64_t n)
{
    if (sc->n_lanes > 1 || idxq_reserve(&sc->lanes[0].queue, n))
        return true;
    eng_stop(sc->m->e);          /* out of memory: stop, the run is incomplete */
    return false;
}

/* Queue record i (r) in its lane, sized with memo (the shard's, or the
 * caller's copy of it); false (the run stopped) when out of memory.  With
 * one lane, the caller reserved the room (reserve_one_lane), and one, when
 * not NULL, is its copy of that lane's queue, to queue into instead. */
static inline bool enqueue(struct shardc *sc, const struct stm *stream,
                           const struct hashkey *hashes, struct lev_size_memo *memo, uint64_t i,
                           const struct stm_record *r, struct idxq *one)
{
    uint64_t size = lev_shard_record_bytes_memo(&sc->lev, memo, stream, r);
    if (one) {
        idxq_put(one, i, size);
        return true;
    }
    struct lane *l = &sc->lanes[esm_lane_of(sc, hashes, r)];
    if (sc->n_lanes > 1 && !idxq_reserve(&l->queue, 1)) {
        eng_stop(sc->m->e);      /* out of memory: stop, the run is incomplete */
        return false;
    }
    idxq_put(&l->queue, i, size);
    return true;
}

/* The sum of the delays of records [from, to) read at at_us, as doubles
 * added up record by record make it: the integer sum sum when every delay
 * is non-negative (neg >= 0; a record is read after its arrival) and the
 * n of them at most max each stay below 2^53 (then each partial sum is an
 * integer a double holds, so each addition was exact, and sum did not
 * overflow), else the doubles added in order. */
static double delay_sum(struct shardc *sc, uint64_t from, uint64_t to, int64_t at_us,
                        uint64_t sum, int64_t neg, int64_t max)
{
    uint64_t n = to - from;
    if (neg >= 0 && (n == 0 || (uint64_t)max <= ((UINT64_C(1) << 53) - 1) / n))
        return (double)sum;
    double d = 0;
    for (uint64_t i = from; i < to; i++)
        d += (double)(at_us - shardc_at(sc, i)->arrival_us);
    return d;
}

/* What deal adds up of the delays of the records it reads (R1). */
struct delays {
    uint64_t sum;                /* wraps only when delay_sum does not use it */
    int64_t neg;                 /* the delays or'ed: negative when one is */
    int64_t max;                 /* the largest, or 0 */
};

/* deal's loop: records [from, to) queued in their lanes, or, with one (a
 * copy of the single lane's queue, in room reserved), in it, and their
 * delays added to *d.  Inline in two copies: the one-lane loop keeps the
 * queue's fields in registers, which the stores of its slots would
 * otherwise make it load again record after record.  False when the run
 * stopped. */
static inline __attribute__((always_inline)) bool
deal_records(struct shardc *sc, uint64_t from, uint64_t to, int64_t at_us,
             struct idxq *one, struct lev_size_memo *memo, struct delays *d)
{
    struct esm *m = sc->m;
    struct stm *stream = m->stream;   /* in a register: the memo's refill is a call */
    const struct hashkey *hashes = keytab_hashes(m->keys);
    uint64_t sum = 0;
    int64_t neg = 0, max = 0;
    for (uint64_t i = from, n; i < to; ) {
        const struct stm_record *r = stm_piece(stream, sc->shard, i, to, &n);
        for (uint64_t end = i + n; i < end; i++, r++) {
            /* R10: the key's hash a few records on, asked for now (issue 15 item 1) */
            if (!one && i + LANE_AHEAD < to)
                PREFETCH(&hashes[shardc_at(sc, i + LANE_AHEAD)->key_id]);
            int64_t delay = at_us - r->arrival_us;
            sum += (uint64_t)delay;
            neg |= delay;
            if (delay > max)
                max = delay;
            if (!enqueue(sc, stream, hashes, memo, i, r, one))
                return false;
        }
    }
    *d = (struct delays){ .sum = sum, .neg = neg, .max = max };
    return true;
}

/* Records [from, to) were read now: deal them out to their lanes, and log
 * the read with how long they took to get here (R1's propagation delay).
 * The delays are added as integers: a chain of double additions, a record
 * each, was most of the loop's time (issue 15 item 1). */
static void deal(struct shardc *sc, uint64_t from, uint64_t to)
{
    struct esm *m = sc->m;
    struct slog_read rd = { .shard_id = sc->shard_id, .at_us = eng_now(m->e) };
    struct delays d;
    if (!reserve_one_lane(sc, to - from))
        return;                  /* the run stopped */
    /* The memo in a local: the queues' stores might alias the shard's, which
     * the loop would then read again record after record. */
    struct lev_size_memo memo = sc->size_memo;
    if (sc->n_lanes == 1) {
        struct idxq one = sc->lanes[0].queue;
        deal_records(sc, from, to, rd.at_us, &one, &memo, &d);   /* in room reserved: true */
        sc->lanes[0].queue = one;
    } else if (!deal_records(sc, from, to, rd.at_us, NULL, &memo, &d)) {
        return;                  /* the run stopped */
    }
    sc->size_memo = memo;
    rd.records = (uint32_t)(to - from);
    rd.delay_max_us = d.max;
    rd.delay_sum_us = delay_sum(sc, from, to, rd.at_us, d.sum, d.neg, d.max);
    if (m->log->ops->read)
        m->log->ops->read(m->log->ctx, &rd);
}

/* R16: once no lane of the shard holds a batch, its queued records are
 * dealt again to the lanes of the new factor. */
void esm_relane(struct shardc *sc)
{
    uint32_t factor = sc->m->cfg->parallelization_factor;
    for (uint32_t i = 0; i < sc->n_lanes; i++) {
        const struct lane *l = &sc->lanes[i];
        if (l->batch.n > 0 || l->state == LANE_IN_FLIGHT)
            return;
    }
    for (uint32_t i = 0; i < sc->n_lanes; i++)
        idxq_clear(&sc->lanes[i].queue);
    sc->n_lanes = factor;
    /* Everything fetched and not resolved was queued. */
    const struct hashkey *hashes = keytab_hashes(sc->m->keys);
    if (!reserve_one_lane(sc, sc->read_pos - sc->done_pos))
        return;
    for (uint64_t i = sc->done_pos; i < sc->read_pos; i++) {
        const struct stm_record *r = shardc_at(sc, i);
        if (!r->resolved && !enqueue(sc, sc->m->stream, hashes, &sc->size_memo, i, r, NULL))
            return;
    }
}

/* Some idle lane has too few records queued for a full batch. */
bool esm_wants_records(const struct shardc *sc)
{
    for (uint32_t i = 0; i < sc->n_lanes; i++) {
        const struct lane *l = &sc->lanes[i];
        if (l->state == LANE_IDLE && l->queue.len < sc->m->cfg->batch_size)
            return true;
    }
    return false;
}

/* Records [read_pos, to) are read now: AT_TIMESTAMP skips those before its
 * timestamp (R13), the others go to their lanes. */
void esm_take_read(struct shardc *sc, uint64_t to)
{
    struct esm *m = sc->m;
    uint64_t from = sc->read_pos;
    sc->read_pos = to;
    if (sc->skip_before_ts) {
        while (from < to && shardc_at(sc, from)->arrival_us < m->cfg->starting_timestamp_us)
            from++;
        m->stats.missed_records += esm_skip_to(sc, from, FATE_MISSED, CKPT_STARTING_POSITION);
        sc->skip_before_ts = from == to;
    }
    deal(sc, from, to);
}
