/*
 * mapping_life.c - the event source mapping's life (mapping.h): made with a
 * view of each shard, begun at once or after LATEST's delay (R13), updated
 * (R16), sampled every model.sample_interval (R14), finished at the end of
 * the run, its figures counted (esm_stats), destroyed.  How the mapping
 * works, and its parts: mapping_int.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "mapping_int.h"
#include "reader.h"

/* ---- the mapping begins (R13) ------------------------------------------- */

/* Start every shard that can start, in index order (parents first). */
static void start_ready_shards(struct esm *m)
{
    for (uint32_t s = 0; s < m->n_shards; s++)
        if (esm_can_start(m->shards[s]))
            esm_start_shard(m->shards[s]);
}

/* The mapping begins polling (R13), at once or after LATEST's delay: the
 * shards there are now start at StartingPosition. */
static void begin(struct esm *m)
{
    if (m->begun || !m->cfg->enabled)
        return;
    m->begun = true;
    m->shards_at_begin = m->n_shards;   /* a reshard appends: indexes only grow */
    start_ready_shards(m);
}

static void on_begin(void *ctx, uint64_t arg)
{
    (void)arg;
    begin(ctx);
    esm_check_all(ctx);
}

/* ---- metrics (R14) ---------------------------------------------------- */

static void on_sample(void *ctx, uint64_t arg)
{
    struct esm *m = ctx;
    int64_t now = eng_now(m->e);
    const struct slog *log = m->log;
    for (uint32_t s = 0; s < m->n_shards; s++) {
        struct shardc *sc = m->shards[s];
        double oldest = 0;
        if (sc->done_pos < stm_end(m->stream, s))
            oldest = (double)(now - shardc_at(sc, sc->done_pos)->arrival_us) / ENG_US_PER_MS;
        mtr_sample(sc->metrics, log, now, oldest, sc->ended);
    }
    log->ops->metric(log->ctx, now, "concurrent_executions", NULL, fn_running(m->fn));
    esm_check_all(m);
    if (eng_schedule(m->e, now + m->model->sample_interval_us, ENG_CLASS_SAMPLE,
                     on_sample, m, arg) < 0)
        eng_stop(m->e);
}

/* ---- life cycle ------------------------------------------------------- */

/* The reader says records may be read now (enhanced fan-out's push). */
static void on_readable(void *ctx, uint32_t shard)
{
    struct esm *m = ctx;
    esm_poll_shard(m->shards[shard], false);
    esm_check_shard(m->shards[shard]);
}

struct esm *esm_create(struct eng *e, const struct esm_config *config,
                       struct stm *stream, struct fn *function,
                       struct msgtab *msgs, const struct keytab *keys,
                       const struct slog *log, char *err, size_t errlen)
{
    const struct cfg_mapping *cfg = config->mapping;
    const struct cfg_model *model = config->model;
    struct esm *m = calloc(1, sizeof *m);
    if (!m)
        goto nomem;
    *m = (struct esm){
        .e = e, .cfg = cfg, .model = model, .stream = stream,
        .fn = function, .msgs = msgs, .keys = keys, .log = log,
        .bisect = cfg->bisect_on_error,
    };
    m->max_batch = config->max_batch_size;
    m->max_lanes = config->max_parallelization;
    m->n_shards = stm_shard_count(stream);
    m->shards = calloc(m->n_shards, sizeof *m->shards);
    m->reader = rdr_create(e, stream, model, config->consumer, stm_source(stream),
                           m->n_shards, (struct rdr_host){ .ctx = m, .wake = on_readable });
    m->rng_throttle = eng_rng_create(e, "mapping/throttle");
    m->rng_on_failure = eng_rng_create(e, "mapping/on-failure");
    m->shard_stats = calloc(m->n_shards, sizeof *m->shard_stats);
    m->scratch = malloc(m->max_batch * sizeof *m->scratch);
    m->seqs = malloc(m->max_batch * sizeof *m->seqs);
    m->ids = malloc(m->max_batch * sizeof *m->ids);
    m->role_arn = role_arn_make(model->account, config->function_name);
    if (!m->shards || !m->reader || !m->shard_stats || !m->scratch || !m->seqs || !m->ids ||
        !m->role_arn ||
        !m->rng_throttle || !m->rng_on_failure)
        goto nomem;
    m->lev_template = (struct lev_source){
        .event_source_arn = stm_arn(stream), .invoke_identity_arn = m->role_arn,
        .region = model->region, .epoch_ms = model->epoch_ms,
        .view = config->view,
    };

    int64_t start = cfg->starting_position == CFG_START_LATEST ? model->latest_start_delay_us : 0;
    for (uint32_t s = 0; s < m->n_shards; s++)
        if (!(m->shards[s] = esm_shardc_create(m, s)))
            goto nomem;
    m->begin_at_us = start;
    if (eng_schedule(e, start, ENG_CLASS_POLL, on_begin, m, 0) < 0 ||
        eng_schedule(e, model->sample_interval_us, ENG_CLASS_SAMPLE, on_sample, m, 0) < 0)
        goto nomem;
    struct stm_consumer consumer = {
        .ctx = m, .pinned = esm_pinned, .expire = esm_expire,
        .shard_opened = esm_shard_opened, .shard_closed = esm_shard_closed,
        .written = rdr_wants_writes(m->reader) ? esm_written : NULL,
    };
    stm_set_consumer(stream, &consumer);
    return m;
nomem:
    esm_destroy(m);
    snprintf(err, errlen, "event source mapping: out of memory");
    return NULL;
}

void esm_destroy(struct esm *m)
{
    if (!m)
        return;
    for (uint32_t s = 0; m->shards && s < m->n_shards; s++)
        esm_shardc_destroy(m->shards[s]);
    free(m->shards);
    rdr_destroy(m->reader);
    free(m->shard_stats);
    free(m->scratch);
    free(m->seqs);
    free(m->ids);
    free(m->event_records);
    free(m->role_arn);
    if (m->rng_throttle)
        gsl_rng_free(m->rng_throttle);
    if (m->rng_on_failure)
        gsl_rng_free(m->rng_on_failure);
    free(m);
}

void esm_finish(struct esm *m)
{
    for (uint32_t s = 0; s < m->n_shards; s++) {
        struct shardc *sc = m->shards[s];
        for (uint32_t i = 0; sc->lanes && i < m->max_lanes; i++) {
            esm_send_pending(&sc->lanes[i]);   /* a run of discards ends with the run */
            if (sc->lanes[i].state == LANE_IN_FLIGHT)   /* delivered, never completed */
                esm_log_deliveries(&sc->lanes[i], esm_set_records(&sc->lanes[i]), false);
        }
        uint64_t end = stm_end(m->stream, s);
        for (uint64_t i = stm_begin(m->stream, s); i < end; i++) {
            struct stm_record *r = shardc_at(sc, i);
            if (!r->resolved)
                esm_resolve(sc, r, FATE_PENDING);
        }
    }
}

static void update(struct esm *m, const struct cfg_mapping *cfg)
{
    m->cfg = cfg;
    m->bisect = cfg->bisect_on_error;
    if (!cfg->enabled)
        return;
    /* Resume at once; a mapping created disabled begins now (not before
     * LATEST's delay), and children whose parents finished meanwhile start. */
    if (!m->begun) {
        if (eng_now(m->e) >= m->begin_at_us)
            begin(m);
        return;
    }
    for (uint32_t s = 0; s < m->n_shards; s++)
        if (m->shards[s]->polling)
            esm_poll_shard(m->shards[s], false);
    start_ready_shards(m);
}

void esm_update(struct esm *m, const struct cfg_mapping *cfg)
{
    update(m, cfg);
    esm_check_all(m);
}

void esm_stats(struct esm *m, struct esm_stats *out)
{
    for (uint32_t s = 0; s < m->n_shards; s++)
        mtr_stats(m->shards[s]->metrics, &m->shard_stats[s]);
    *out = m->stats;
    out->n_shards = m->n_shards;
    out->shards = m->shard_stats;
}

/* ---- fault injection (issue 13 item 5), in the checking build only ------- */

#ifdef ESMSIM_INVARIANTS
/* The first lane of shard 0 in use that fits the fault, or NULL. */
static struct lane *fault_lane(struct esm *m, enum esm_fault f)
{
    struct shardc *sc = m->n_shards ? m->shards[0] : NULL;
    for (uint32_t i = 0; sc && i < sc->n_lanes; i++) {
        struct lane *l = &sc->lanes[i];
        bool fits = f == ESM_FAULT_GENERATION ? l->state == LANE_BACKOFF
                  : f == ESM_FAULT_ORDER ? l->queue.len >= 2
                  : f == ESM_FAULT_LOST || f == ESM_FAULT_QUEUE_BYTES ? l->queue.len >= 1
                  : l->batch.n >= 1;
        if (fits)
            return l;
    }
    return NULL;
}

/* The fault's event: break the state as a bug would, then check as after
 * any mapping event. */
static void on_fault(void *ctx, uint64_t arg)
{
    struct esm *m = ctx;
    enum esm_fault f = (enum esm_fault)arg;
    struct lane *l = fault_lane(m, f);
    if (!l) {
        fprintf(stderr, "esm_inject_fault: no lane of shard 0 fits fault %d\n", (int)f);
        exit(3);
    }
    struct shardc *sc = l->sc;
    uint64_t tmp;
    switch (f) {
    case ESM_FAULT_CHECKPOINT:      /* the checkpoint passes a record still in a batch */
        sc->checkpointed = true;
        sc->checkpoint_seq = shardc_at(sc, esm_batch_at(&l->batch, l->batch.n - 1))->seq;
        break;
    case ESM_FAULT_RESOLVED_TWICE:  /* two paths give the same record its fate */
        esm_resolve(sc, shardc_at(sc, esm_batch_at(&l->batch, 0)), FATE_LOST);
        esm_resolve(sc, shardc_at(sc, esm_batch_at(&l->batch, 0)), FATE_DISCARDED);
        break;
    case ESM_FAULT_GENERATION:      /* a backoff's timer goes stale: the lane hangs */
        l->gen++;
        break;
    case ESM_FAULT_LOST:            /* a queued record falls out of its lane */
        idxq_pop(&l->queue, 1, esm_queued_bytes(sc, &l->queue, 1));
        break;
    case ESM_FAULT_QUEUE_BYTES:     /* the running total of the queue drifts */
        l->queue.bytes++;
        break;
    case ESM_FAULT_ORDER:           /* two queued records swap */
        idxq_list(&l->queue);
        tmp = l->queue.v[l->queue.head];
        l->queue.v[l->queue.head] = l->queue.v[(l->queue.head + 1) & (l->queue.cap - 1)];
        l->queue.v[(l->queue.head + 1) & (l->queue.cap - 1)] = tmp;
        break;
    }
    esm_check_all(m);
}

int esm_inject_fault(struct esm *m, int64_t at_us, enum esm_fault f)
{
    return eng_schedule(m->e, at_us, ENG_CLASS_TOPOLOGY, on_fault, m, (uint64_t)f);
}
#endif
