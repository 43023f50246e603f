/*
 * mapping_deal.c - the records a poll read, dealt out to the shard's lanes
 * by the hash of their key (R10; the choice of lane: mapping_int.h,
 * esm_lane_of), each queued with its bytes in the event (R2), and the read
 * logged with its propagation delay (R1); AT_TIMESTAMP skips the older ones
 * (R13).  A new ParallelizationFactor deals the queued records again
 * (R16).  The loops over every record read are here: deal_one, deal_lanes.
 */
#include <assert.h>
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
    uint64_t *v = malloc(cap * sizeof *v);
    if (!v)
        return false;
    for (uint64_t i = 0; i < q->len; i++)
        v[i] = idxq_at(q, i);
    free(q->v);
    q->v = v;
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
    if (q->len == 0 && !q->listed)
        q->first = idx;
    else if (idx != q->first + q->len)
        idxq_list(q);            /* not the run's next: listed from now on */
    uint64_t j = (q->head + q->len++) & (q->cap - 1);
    if (q->listed)
        q->v[j] = idx;
    q->bytes += size;
}

/* ---- dealing (R1, R10, R13) -------------------------------------------- */

/* With one lane, room in its queue for n records at once (deal_one then
 * checks none); false (the run stopped) when out of memory. */
static bool reserve_one_lane(struct shardc *sc, uint64_t n)
{
    if (sc->n_lanes > 1 || idxq_reserve(&sc->lanes[0].queue, n))
        return true;
    eng_stop(sc->m->e);          /* out of memory: stop, the run is incomplete */
    return false;
}

/* Record r's bytes in the event, sized with memo (the shard's, or the
 * caller's copy of it).  With kinesis (the shard's records take Kinesis's
 * shape), the Kinesis arm of lev_shard_record_bytes_memo with the shard's
 * constants in the caller's registers, where the shared function reads
 * them from the shard record after record (the memo's refill, a call,
 * could change them). */
static inline __attribute__((always_inline)) uint64_t
record_bytes(const struct shardc *sc, bool kinesis, size_t source_bytes, int64_t epoch_ms,
             struct lev_size_memo *memo, const struct stm *stream, const struct stm_record *r)
{
    if (!kinesis)
        return lev_shard_record_bytes_memo(&sc->lev, memo, stream, r);
    return lev_record_bytes_memo(memo, source_bytes, epoch_ms, stm_record_key_json_len(stream, r),
                                 r->seq, r->bytes, r->arrival_us);
}

/* Queue record i (r), of size bytes in the event, in its lane, among
 * several; false (the run stopped) when out of memory. */
static inline bool enqueue(struct shardc *sc, const struct hashkey *hashes, uint64_t i,
                           const struct stm_record *r, uint64_t size)
{
    struct lane *l = &sc->lanes[esm_lane_of(sc, hashes, r)];
    if (!idxq_reserve(&l->queue, 1)) {
        eng_stop(sc->m->e);      /* out of memory: stop, the run is incomplete */
        return false;
    }
    idxq_put(&l->queue, i, size);
    return true;
}

/* The sum of the delays of records [from, to) read at at_us, as doubles
 * added up record by record make it: the integer sum sum when every delay
 * is non-negative (the least, least >= 0; a record is read after its
 * arrival) and the n of them at most max each stay below 2^53 (then each
 * partial sum is an integer a double holds, so each addition was exact, and
 * sum did not overflow), else the doubles added in order. */
static double delay_sum(struct shardc *sc, uint64_t from, uint64_t to, int64_t at_us,
                        uint64_t sum, int64_t least, int64_t max)
{
    uint64_t n = to - from;
    if (least >= 0 && (n == 0 || (uint64_t)max <= ((UINT64_C(1) << 53) - 1) / n))
        return (double)sum;
    double d = 0;
    for (uint64_t i = from; i < to; i++)
        d += (double)(at_us - shardc_at(sc, i)->arrival_us);
    return d;
}

/* The sizes of the n Kinesis records r[0, n) (record_bytes' values) added
 * up into *bytes, their arrival times added to *arrivals, and true; false,
 * nothing done, unless the memo's sequence numbers hold them all (the first
 * and the last: a shard's numbers increase).  A put's records share its
 * arrival time (about 30 in a row in a shard of the bench) and, mostly,
 * their data bytes: the records of such a run differ in their keys alone.
 * The timestamp's part of the size (the memo's second and its decimals)
 * and the data's base64 length are worked out once a run, and added, with
 * the arrival time, once for the run's records after its first, whose
 * loop reads their keys' lengths alone: 11 instructions a record, where
 * one size a record, stored, took 20 (callgrind, 5 minutes of the bench:
 * esm_take_read 109 M to 70 M). */
static inline __attribute__((always_inline)) bool
kinesis_sizes(const struct stm *stream, size_t source_bytes, int64_t epoch_ms,
              struct lev_size_memo *memo, const struct stm_record *r, uint64_t n,
              uint64_t *bytes, uint64_t *arrivals)
{
    if (r[0].seq - memo->seq_lo >= memo->seq_span || r[n - 1].seq - memo->seq_lo >= memo->seq_span)
        return false;
    /* A refill below, by a record of the memo's sequence numbers, keeps
     * them: they are those of as many digits. */
    int64_t run_at = -1;         /* arrival times are >= 0: no run yet */
    uint64_t run_base = 0, run_part = 0, sum = 0, arr = *arrivals;
    for (const struct stm_record *end = r + n; r < end; ) {
        /* r: the first of a run, or a record of its own */
        uint64_t key = stm_record_key_json_len(stream, r);
        if (r->arrival_us == run_at) {
            run_part = run_base + lev_base64_len(r->bytes);   /* other data bytes */
            sum += run_part + key;
        } else {
            sum += lev_record_bytes_memo(memo, source_bytes, epoch_ms, key, r->seq, r->bytes,
                                         r->arrival_us);
            uint64_t frac = (uint64_t)epoch_ms + (uint64_t)r->arrival_us / 1000 - memo->sec_ms;
            run_at = -1;
            if (frac < memo->sec_span) {   /* the memo holds its second: a run starts */
                run_at = r->arrival_us;
                run_base = memo->shared + lev_frac_len((unsigned)frac);
                run_part = run_base + lev_base64_len(r->bytes);
            }
        }
        arr += (uint64_t)r->arrival_us;
        /* the rest of the run: none when there is none (run_at -1) */
        uint32_t data = r->bytes;
        const struct stm_record *rest = ++r;
        uint64_t keys = 0;
        while (r < end && r->arrival_us == run_at && r->bytes == data) {
            keys += stm_record_key_json_len(stream, r);
            r++;
        }
        uint64_t k = (uint64_t)(r - rest);
        sum += k * run_part + keys;
        arr += k * (uint64_t)run_at;
    }
    *bytes = sum;
    *arrivals = arr;
    return true;
}

/* deal's loop with one lane: records [from, to) queued in q (a copy of the
 * lane's queue, with room reserved), their arrival times added to
 * *arrivals.  A stretch of records contiguous in the shard's ring and in
 * the queue's takes two plain loops, the indexes (consecutive; none while
 * the queue is a run, struct idxq) and the sizes' sum, each with its few
 * values in registers: in one loop with the lanes' choice and the queue's
 * fields, they had more values live than x86-64 has registers, and
 * spilled.  Inline in two copies, kinesis (record_bytes, kinesis_sizes)
 * and not. */
static inline __attribute__((always_inline)) void
deal_one(struct shardc *sc, uint64_t from, uint64_t to, struct idxq *q, bool kinesis,
         struct lev_size_memo *memo, uint64_t *arrivals)
{
    struct stm *stream = sc->m->stream;
    size_t source_bytes = sc->lev.source_bytes;
    int64_t epoch_ms = sc->lev.src.epoch_ms;
    uint64_t arr = *arrivals;
    if (q->len == 0 && !q->listed)
        q->first = from;
    else if (from != q->first + q->len)
        idxq_list(q);            /* not the run's next: listed from now on */
    for (uint64_t i = from, n; i < to; i += n) {
        const struct stm_record *r = stm_piece(stream, sc->shard, i, to, &n);
        uint64_t bytes = 0;
        if (q->listed) {
            uint64_t j = (q->head + q->len) & (q->cap - 1);
            if (n > q->cap - j)
                n = q->cap - j;      /* the rest after the queue's ring wraps */
            uint64_t *v = q->v + j;
#pragma GCC unroll 4
            for (uint64_t k = 0; k < n; k++)
                v[k] = i + k;
        }
        if (!kinesis || !kinesis_sizes(stream, source_bytes, epoch_ms, memo, r, n, &bytes, &arr)) {
            for (uint64_t k = 0; k < n; k++, r++) {
                bytes += record_bytes(sc, kinesis, source_bytes, epoch_ms, memo, stream, r);
                arr += (uint64_t)r->arrival_us;
            }
        }
        q->len += n;
        q->bytes += bytes;
    }
    *arrivals = arr;
}

/* deal's loop with several lanes: records [from, to) queued in their
 * lanes, their arrival times added to *arrivals; false when the run
 * stopped. */
static bool deal_lanes(struct shardc *sc, uint64_t from, uint64_t to,
                       struct lev_size_memo *memo, uint64_t *arrivals)
{
    struct stm *stream = sc->m->stream;
    const struct hashkey *hashes = keytab_hashes(sc->m->keys);
    for (uint64_t i = from, n; i < to; ) {
        const struct stm_record *r = stm_piece(stream, sc->shard, i, to, &n);
        for (uint64_t end = i + n; i < end; i++, r++) {
            /* R10: the key's hash a few records on, asked for now (issue 15 item 1) */
            if (i + LANE_AHEAD < to)
                PREFETCH(&hashes[shardc_at(sc, i + LANE_AHEAD)->key_id]);
            *arrivals += (uint64_t)r->arrival_us;
            if (!enqueue(sc, hashes, i, r, lev_shard_record_bytes_memo(&sc->lev, memo, stream, r)))
                return false;
        }
    }
    return true;
}

/* Records [from, to) arrived in index order (deal counts on it). */
static inline bool arrivals_in_order(struct shardc *sc, uint64_t from, uint64_t to)
{
    for (uint64_t i = from; i + 1 < to; i++)
        if (shardc_at(sc, i)->arrival_us > shardc_at(sc, i + 1)->arrival_us)
            return false;
    return true;
}

/*
 * Records [from, to) were read now: deal them out to their lanes, and log
 * the read with how long they took to get here (R1's propagation delay).
 * A shard's records arrive in index order (each is written at the time of
 * its put, appended), so the first has the largest delay and the last the
 * smallest, and the delays' sum is n now less the arrivals' sum: the loops
 * add the arrival times alone (a loop of its own for the delays was 9
 * instructions a record, issue 15 item 1).  The sum is an integer, then
 * exact as a double where delay_sum says so.
 */
static void deal(struct shardc *sc, uint64_t from, uint64_t to)
{
    struct esm *m = sc->m;
    struct slog_read rd = { .shard_id = sc->shard_id, .at_us = eng_now(m->e) };
    uint64_t arrivals = 0;       /* wraps as the delays' sum does */
    if (!reserve_one_lane(sc, to - from))
        return;                  /* the run stopped */
    /* The memo and the queue in locals: the queues' stores might alias the
     * shard's, which the loop would then read again record after record. */
    struct lev_size_memo memo = sc->size_memo;
    if (sc->n_lanes == 1) {
        struct idxq one = sc->lanes[0].queue;
        if (sc->lev.ddb)
            deal_one(sc, from, to, &one, false, &memo, &arrivals);
        else
            deal_one(sc, from, to, &one, true, &memo, &arrivals);
        sc->lanes[0].queue = one;
    } else if (!deal_lanes(sc, from, to, &memo, &arrivals)) {
        return;                  /* the run stopped */
    }
    sc->size_memo = memo;
    int64_t most = 0, least = 0;
    if (from < to) {
        most = rd.at_us - shardc_at(sc, from)->arrival_us;
        least = rd.at_us - shardc_at(sc, to - 1)->arrival_us;
    }
    assert(arrivals_in_order(sc, from, to));
    rd.records = (uint32_t)(to - from);
    rd.delay_max_us = most > 0 ? most : 0;
    rd.delay_sum_us = delay_sum(sc, from, to, rd.at_us,
                                (to - from) * (uint64_t)rd.at_us - arrivals, least, rd.delay_max_us);
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
    for (uint64_t i = sc->done_pos; i < sc->read_pos; i++) {
        const struct stm_record *r = shardc_at(sc, i);
        if (!r->resolved &&
            !enqueue(sc, hashes, i, r,
                     lev_shard_record_bytes_memo(&sc->lev, &sc->size_memo, sc->m->stream, r)))
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
