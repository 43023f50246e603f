/*
 * mapping_stream.c - the mapping as the stream's consumer (stm_consumer):
 * what the stream tells it (a child shard opened, started when its parents
 * are finished, and a parent closed, R12; a record written, which a reader
 * that pushes, enhanced fan-out, hears of) and what it asks (what the
 * mapping holds in flight, which it must not trim, and the records it trims
 * unprocessed, which expire wherever the mapping holds them, R17).
 */
#include <assert.h>
#include <stdlib.h>

#include "mapping_int.h"
#include "reader.h"

/* ---- resharding and writes (the stream tells, R12) ---------------------- */

/* A child shard opened: the mapping's side of it, started now if its
 * parents are finished (or the consumer does not wait). */
void esm_shard_opened(void *ctx, uint32_t shard)
{
    struct esm *m = ctx;
    uint32_t n = stm_shard_count(m->stream);
    struct shardc **shards = realloc(m->shards, n * sizeof *shards);
    if (shards)
        m->shards = shards;
    struct mtr_shard_stats *stats = realloc(m->shard_stats, n * sizeof *stats);
    if (stats)
        m->shard_stats = stats;
    if (!shards || !stats || rdr_grow(m->reader, n) < 0) {
        eng_stop(m->e);          /* out of memory: stop, the run is incomplete */
        return;
    }
    while (m->n_shards < n) {
        uint32_t s = m->n_shards;
        if (!(m->shards[s] = esm_shardc_create(m, s))) {
            eng_stop(m->e);
            return;
        }
        m->n_shards++;
        uint32_t parents[2] = { stm_shard_parent(m->stream, s), stm_shard_adjacent_parent(m->stream, s) };
        for (int i = 0; i < 2; i++) {
            if (parents[i] == UINT32_MAX)
                continue;
            struct shardc *p = m->shards[parents[i]];
            assert(p->n_children < 2);   /* a split makes two children, a merge one */
            p->children[p->n_children++] = s;
        }
    }
    if (esm_can_start(m->shards[shard]))
        esm_start_shard(m->shards[shard]);
    esm_check_all(m);
}

/* A record was written: a reader that pushes (enhanced fan-out) hears of it
 * while the shard is read. */
void esm_written(void *ctx, uint32_t shard)
{
    struct esm *m = ctx;
    if (shard < m->n_shards && m->shards[shard]->polling)   /* else out of memory */
        rdr_written(m->reader, shard);
}

/* A parent closed: once read to its end it is finished. */
void esm_shard_closed(void *ctx, uint32_t shard)
{
    struct esm *m = ctx;
    if (shard < m->n_shards) {   /* else out of memory: the run is stopping */
        esm_maybe_end(m->shards[shard]);
        esm_check_shard(m->shards[shard]);
    }
}

/* ---- retention (the stream asks, R17) ----------------------------------- */

/* The lowest record the mapping holds in flight on shard: the stream trims
 * nothing from there on. */
uint64_t esm_pinned(void *ctx, uint32_t shard)
{
    struct esm *m = ctx;
    const struct shardc *sc = m->shards[shard];
    uint64_t lowest = UINT64_MAX;
    for (uint32_t i = 0; i < sc->n_lanes; i++) {
        const struct lane *l = &sc->lanes[i];
        if (l->state == LANE_IN_FLIGHT && l->batch.n > 0 && esm_batch_at(&l->batch, 0) < lowest)
            lowest = esm_batch_at(&l->batch, 0);
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
        idxq_pop(&l->queue, queued, esm_queued_bytes(l->sc, &l->queue, queued));

    struct batch *b = &l->batch;
    bool set_gone = false;
    if (b->n > 0 && esm_batch_at(b, 0) < to)
        esm_send_pending(l);         /* expired records end a run of discards (R8) */
    while (b->n > 0 && esm_batch_at(b, 0) < to) {
        uint32_t gone = 1;
        while (gone < b->n && esm_batch_at(b, gone) < to)
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
