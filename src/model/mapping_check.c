/*
 * mapping_check.c - the mapping's invariants (issue 13 item 5), in the
 * checking build only (meson -Dinvariants=true, see mapping.h): after each
 * of its events the mapping checks its shards, and a violation aborts with
 * one line naming the shard, the lane, the sequence numbers and the
 * invariant.
 */
#include "mapping_int.h"

#ifdef ESMSIM_INVARIANTS
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* A violation: one line naming the time, shard, lane (-1: the shard's) and
 * the invariant, then abort: the state is wrong, going on would hide where. */
static void violated(const struct shardc *sc, int64_t lane, const char *invariant,
                     const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "esmsim: invariant violated at %lld us: shard %s lane %lld: %s: ",
            (long long)eng_now(sc->m->e), sc->shard_id, (long long)lane, invariant);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

void esm_resolved_twice(const struct shardc *sc, const struct stm_record *r)
{
    violated(sc, -1, "nothing resolved twice", "record %llu (message %llu) resolved again",
             (unsigned long long)r->seq, (unsigned long long)r->message_id);
}

/* One record the lane holds (in its batch or queue) at index idx, after the
 * index prev it holds before it (UINT64_MAX: none): unread records are not
 * held, resolved ones neither, every one is above the checkpoint, in shard
 * order, in the lane its key maps to (R10). */
static void check_held(const struct lane *l, uint64_t idx, uint64_t prev)
{
    const struct shardc *sc = l->sc;
    struct stm_record *r = shardc_at((struct shardc *)sc, idx);
    if (idx < sc->done_pos || idx >= sc->read_pos)
        violated(sc, l->no, "a lane holds only records read and not checkpointed",
                 "record %llu at index %llu, outside [%llu, %llu)", (unsigned long long)r->seq,
                 (unsigned long long)idx, (unsigned long long)sc->done_pos,
                 (unsigned long long)sc->read_pos);
    if (r->resolved)
        violated(sc, l->no, "a lane holds only unresolved records",
                 "record %llu (index %llu) is resolved", (unsigned long long)r->seq,
                 (unsigned long long)idx);
    if (sc->checkpointed && sc->checkpoint_seq >= r->seq)
        violated(sc, l->no, "the checkpoint is below every unresolved record",
                 "checkpoint %llu, unresolved record %llu (index %llu)",
                 (unsigned long long)sc->checkpoint_seq, (unsigned long long)r->seq,
                 (unsigned long long)idx);
    if (prev != UINT64_MAX && prev >= idx)
        violated(sc, l->no, "a lane holds its records in shard order",
                 "record %llu (index %llu) after index %llu", (unsigned long long)r->seq,
                 (unsigned long long)idx, (unsigned long long)prev);
    uint32_t lane = esm_lane_of(sc, keytab_hashes(sc->m->keys), r);
    if (lane != l->no)
        violated(sc, l->no, "a key's records are in its lane (R10)",
                 "record %llu belongs to lane %u", (unsigned long long)r->seq, lane);
}

/* A lane's state and timers agree: a backoff has a timer of the lane's
 * generation still to run (else the lane would wait for ever), an
 * invocation in flight has its completion still to run, and nothing else
 * does; its batch fits its buffers. */
static uint64_t check_lane(const struct lane *l)
{
    const struct shardc *sc = l->sc;
    const struct batch *b = &l->batch;
    if (l->state == LANE_BACKOFF && (!l->backoff_armed || l->backoff_gen != l->gen))
        violated(sc, l->no, "a backoff waits for a timer of the lane's generation",
                 "gen %llu, last timer of gen %llu%s", (unsigned long long)l->gen,
                 (unsigned long long)l->backoff_gen, l->backoff_armed ? "" : ", already run");
    if ((l->state == LANE_IN_FLIGHT) != l->completion_pending)
        violated(sc, l->no, "an invocation is in flight exactly when its completion is due",
                 "state %d, completion %s, gen %llu", (int)l->state,
                 l->completion_pending ? "due" : "not due", (unsigned long long)l->gen);
    if (l->state == LANE_IN_FLIGHT && b->n == 0 && !l->win.final)
        violated(sc, l->no, "an invocation carries records or closes a window",
                 "gen %llu", (unsigned long long)l->gen);
    uint32_t total = esm_batch_total(b);
    if (total > l->batch_cap || b->n_waiting > MAX_WAITING_SETS || (b->n == 0 && b->n_waiting))
        violated(sc, l->no, "a batch fits its buffers",
                 "%u records (current set %u, %u sets waiting), room for %u", total, b->n,
                 b->n_waiting, l->batch_cap);
    uint64_t prev = UINT64_MAX;
    for (uint32_t i = 0; i < total; i++, prev = esm_batch_at(b, i - 1))
        check_held(l, esm_batch_at(b, i), prev);
    uint64_t bytes = 0;
    for (uint64_t i = 0; i < l->queue.len; i++, prev = idxq_at(&l->queue, i - 1)) {
        check_held(l, idxq_at(&l->queue, i), prev);
        struct stm_record *r = shardc_at((struct shardc *)sc, idxq_at(&l->queue, i));
        bytes += lev_shard_record_bytes(&sc->lev, sc->m->stream, r);   /* no memo */
    }
    if (bytes != l->queue.bytes)
        violated(sc, l->no, "a lane's queued bytes are its queued records' (R2)",
                 "running total %llu, the %llu records' sum %llu",
                 (unsigned long long)l->queue.bytes, (unsigned long long)l->queue.len,
                 (unsigned long long)bytes);
    return total + l->queue.len;
}

/*
 * The shard's state, after a mapping event: its checkpoint is the end of
 * the resolved prefix and below every unresolved record; every unresolved
 * record read is held by exactly one lane (none lost, none twice); each
 * lane's state agrees with its timers; lanes beyond the factor in use are
 * idle and empty.  A stopped run (out of memory, a failed handler) may have
 * left work half done: it is not checked.
 */
void esm_check_shard(const struct shardc *sc)
{
    const struct esm *m = sc->m;
    if (eng_stopped(m->e) || !sc->polling)
        return;
    if (sc->done_pos > sc->read_pos || sc->n_lanes == 0 || sc->n_lanes > m->max_lanes)
        violated(sc, -1, "checkpoint <= read position, lanes within the largest factor",
                 "checkpoint index %llu, read index %llu, %u lanes of %u",
                 (unsigned long long)sc->done_pos, (unsigned long long)sc->read_pos,
                 sc->n_lanes, m->max_lanes);
    if (sc->done_pos < sc->read_pos && shardc_at((struct shardc *)sc, sc->done_pos)->resolved)
        violated(sc, -1, "the checkpoint is at the end of the resolved prefix",
                 "record %llu at index %llu, next to the checkpoint, is resolved",
                 (unsigned long long)shardc_at((struct shardc *)sc, sc->done_pos)->seq,
                 (unsigned long long)sc->done_pos);
    uint64_t held = 0, unresolved = 0;
    for (uint32_t i = 0; i < m->max_lanes; i++) {
        const struct lane *l = &sc->lanes[i];
        /* (one may still be pausing after its last batch: R16 waits for batches only) */
        if (i >= sc->n_lanes && (l->state == LANE_IN_FLIGHT || l->batch.n || l->queue.len))
            violated(sc, i, "lanes beyond the factor in use hold no records",
                     "state %d, %u records in its batch, %llu queued", (int)l->state,
                     l->batch.n, (unsigned long long)l->queue.len);
        held += check_lane(l);
    }
    for (uint64_t i = sc->done_pos; i < sc->read_pos; i++)
        unresolved += !shardc_at((struct shardc *)sc, i)->resolved;
    if (held != unresolved)
        violated(sc, -1, "every unresolved record read is in exactly one lane",
                 "%llu unresolved in [%llu, %llu), the lanes hold %llu",
                 (unsigned long long)unresolved, (unsigned long long)sc->done_pos,
                 (unsigned long long)sc->read_pos, (unsigned long long)held);
}

void esm_check_all(const struct esm *m)
{
    for (uint32_t s = 0; s < m->n_shards; s++)
        esm_check_shard(m->shards[s]);
}
#endif
