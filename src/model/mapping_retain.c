/*
 * mapping_retain.c - retention, as the stream asks (stm_consumer): what the
 * mapping holds in flight, which the stream must not trim, and the records
 * it trims unprocessed, which expire (R17) wherever the mapping holds them.
 */
#include "mapping_int.h"

uint64_t esm_pinned(void *ctx, uint32_t shard)
{
    struct esm *m = ctx;
    const struct shardc *sc = m->shards[shard];
    uint64_t lowest = UINT64_MAX;
    for (uint32_t i = 0; i < sc->n_lanes; i++) {
        const struct lane *l = &sc->lanes[i];
        if (l->state == LANE_IN_FLIGHT && l->batch.n > 0 && l->batch.idx[0] < lowest)
            lowest = l->batch.idx[0];
    }
    return lowest;
}

/* Drop the lane's records below index `to` from its queue and from a batch
 * waiting to be retried, set by set. */
static void lane_forget(struct lane *l, uint64_t to)
{
    uint64_t queued = 0;
    while (queued < l->queue.len && idxq_at(&l->queue, queued) < to)
        queued++;
    if (queued > 0)
        idxq_pop(&l->queue, queued);

    struct batch *b = &l->batch;
    bool set_gone = false;
    if (b->n > 0 && b->idx[0] < to)
        esm_send_pending(l);         /* expired records end a run of discards (R8) */
    while (b->n > 0 && b->idx[0] < to) {
        uint32_t gone = 1;
        while (gone < b->n && b->idx[gone] < to)
            gone++;
        set_gone = gone == b->n;
        esm_batch_drop(b, gone);
        if (!set_gone)
            break;
    }
    if (set_gone && l->state == LANE_BACKOFF) {
        l->state = LANE_IDLE;    /* nothing left to retry: the next set may go */
        l->gen++;
    }
}

/* Records [from, to) are trimmed unprocessed: they expire (R17).  None is
 * in flight: the stream does not trim what pinned() holds. */
void esm_expire(void *ctx, uint32_t shard, uint64_t from, uint64_t to)
{
    struct esm *m = ctx;
    struct shardc *sc = m->shards[shard];
    (void)from;   /* below done_pos all is resolved already */

    if (to <= sc->done_pos)
        return;
    if (!sc->polling && !m->begun && m->cfg->starting_position != CFG_START_TRIM_HORIZON) {
        /* Before the mapping begins, LATEST would skip them all, and
         * AT_TIMESTAMP those older than its timestamp (R13). */
        uint64_t missed = to;
        if (m->cfg->starting_position == CFG_START_AT_TIMESTAMP)
            for (missed = sc->done_pos; missed < to; missed++)
                if (shardc_at(sc, missed)->arrival_us >= m->cfg->starting_timestamp_us)
                    break;
        m->stats.missed_records += esm_skip_to(sc, missed, FATE_MISSED, CKPT_STARTING_POSITION);
    }
    /* Read or not (a child waiting for its parent, R12), they are lost. */
    for (uint32_t i = 0; i < sc->n_lanes; i++)
        lane_forget(&sc->lanes[i], to);
    m->stats.expired_records += esm_skip_to(sc, to, FATE_EXPIRED, CKPT_EXPIRED);
    esm_maybe_end(sc);
    esm_check_shard(sc);
}
