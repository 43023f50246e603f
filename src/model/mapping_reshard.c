/*
 * mapping_reshard.c - resharding, as the stream tells (stm_consumer, R12):
 * a child shard opened (the mapping's side of it, started when its parents
 * are finished), a parent closed, and a record written, which a reader that
 * pushes (enhanced fan-out) hears of.
 */
#include <assert.h>
#include <stdlib.h>

#include "mapping_int.h"
#include "reader.h"

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
