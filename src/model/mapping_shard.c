/*
 * mapping_shard.c - the mapping's view of one shard (struct shardc): its
 * checkpoint, the end of the resolved prefix (R4, R10), moved as records
 * get their fates (R17: checkpointed, discarded, expired, skipped by the
 * starting position, R13); and its life: made with its lanes idle and
 * empty, retired once finished (R12), freed.  A set handled whole, the
 * common end of an invocation, is resolved here in one walk (esm_take_whole).
 */
#include <stdlib.h>

#include "mapping_int.h"
#include "msgtab.h"

/* ---- its records' fates (R17) and its checkpoint (R4, R10) --------------- */

/* The records of the lane's current set, in the mapping's scratch array.
 * Valid during the event that looked them up, until the checkpoint moves
 * (stm_release): only a write moves records, and none comes meanwhile.
 * A set of consecutive indexes (one lane: every set but a bisection's
 * halves after a gap) is a piece or two of the shard's ring, their
 * records' addresses a step apart: no index read nor masked. */
struct stm_record **esm_set_records(struct lane *l)
{
    struct shardc *sc = l->sc;
    struct stm_record **recs = sc->m->scratch;
    const struct batch *b = &l->batch;
    uint32_t n = b->n;
    if (n > 0 && (!b->listed || b->idx[n - 1] - b->idx[0] == n - 1)) {   /* consecutive */
        struct stm_record **out = recs;
        for (uint64_t i = esm_batch_at(b, 0), to = i + n, k; i < to; i += k) {
            struct stm_record *r = stm_piece(sc->m->stream, sc->shard, i, to, &k);
#pragma GCC unroll 4
            for (uint64_t j = 0; j < k; j++)
                out[j] = r + j;
            out += k;
        }
        return recs;
    }
    for (uint32_t i = 0; i < n; i++)
        recs[i] = shardc_at(sc, b->idx[i]);
    return recs;
}

/* The record has its fate: processed if the function handled it, else
 * unhandled (R17). */
static inline enum fate mark_resolved(struct shardc *sc, struct stm_record *r, enum fate unhandled)
{
#ifdef ESMSIM_INVARIANTS
    if (r->resolved)
        esm_resolved_twice(sc, r);   /* aborts */
#else
    (void)sc;
#endif
    r->resolved = 1;
    return r->handled ? FATE_PROCESSED : unhandled;
}

/* The record leaves the stream: its message learns the fate (R17). */
void esm_resolve(struct shardc *sc, struct stm_record *r, enum fate unhandled)
{
    msg_record_done(sc->m->msgs, r->message_id, mark_resolved(sc, r, unhandled));
}

/* esm_resolve for the records recs[0, n) in order, with one call of the
 * message table for each run of records of one fate (issue 15 item 1). */
void esm_resolve_set(struct shardc *sc, struct stm_record *const *recs, uint32_t n,
                     enum fate unhandled)
{
    struct esm *m = sc->m;
    enum fate run = FATE_PROCESSED;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct stm_record *r = recs[i];
        enum fate f = mark_resolved(sc, r, unhandled);
        if (f != run && k > 0) {
            msg_records_done(m->msgs, m->ids, k, run);
            k = 0;
        }
        run = f;
        m->ids[k++] = r->message_id;
    }
    if (k > 0)
        msg_records_done(m->msgs, m->ids, k, run);
}

/* The first n records of batch b (ascending) are those right after the
 * checkpoint, with no gap (one lane, R10): once resolved, the checkpoint
 * moves past them. */
static inline bool follows_checkpoint(const struct shardc *sc, const struct batch *b, uint32_t n)
{
    return n > 0 && esm_batch_at(b, 0) == sc->done_pos &&
           (!b->listed || b->idx[n - 1] - b->idx[0] == n - 1);
}

bool esm_set_at_checkpoint(const struct lane *l)
{
    return follows_checkpoint(l->sc, &l->batch, l->batch.n);
}

/*
 * The common end of an invocation (complete): the function handled the
 * whole set, which is checkpointed whole.  Its records in one walk, while
 * they are in the cache (the log's calls in between push them out): each
 * counted handled and resolved, so processed (R17), its sequence number
 * gathered for the deliveries log (m->seqs; not for a log that takes a set
 * at the checkpoint as a run, delivery_run) and its message id for the
 * message table (m->ids, which checkpoint_prefix then tells).
 * A set at the checkpoint (esm_set_at_checkpoint: one lane, nearly every
 * set) is walked in the shard's ring, a piece at a time, recs unused (NULL
 * then): the checkpoint moves past it and releases it (esm_advance_over),
 * so no one reads its records' marks again, and they are not written
 * (callgrind, 5 minutes of the bench: esm_take_whole and esm_set_records
 * 73 M to 30 M instructions).
 */
/* esm_take_whole's walk of a set at the checkpoint, in the shard's ring
 * from index at: each record's message id into ids, and its sequence
 * number into seqs unless NULL (a run logged by its ends:
 * esm_log_deliveries).  Inline, seqs a constant at each call: a loop
 * without the test. */
static inline __attribute__((always_inline)) void take_ring(struct shardc *sc, uint64_t at,
                                                            uint32_t n, uint64_t *seqs,
                                                            uint64_t *ids)
{
    for (uint64_t i = at, to = i + n, k; i < to; i += k) {
        const struct stm_record *r = stm_piece(sc->m->stream, sc->shard, i, to, &k);
#pragma GCC unroll 4
        for (uint64_t j = 0; j < k; j++) {
            if (seqs)
                seqs[j] = r[j].seq;
            ids[j] = r[j].message_id;
        }
        if (seqs)
            seqs += k;
        ids += k;
    }
}

void esm_take_whole(struct lane *l, struct stm_record *const *recs)
{
    struct shardc *sc = l->sc;
    /* in locals: the records' byte stores could alias the mapping's fields */
    uint64_t *seqs = sc->m->seqs, *ids = sc->m->ids;
    uint32_t n = l->batch.n;
    if (esm_set_at_checkpoint(l)) {
        if (sc->m->log->ops->delivery_run)
            take_ring(sc, esm_batch_at(&l->batch, 0), n, NULL, ids);
        else
            take_ring(sc, esm_batch_at(&l->batch, 0), n, seqs, ids);
        return;
    }
#pragma GCC unroll 4
    for (uint32_t i = 0; i < n; i++) {
        struct stm_record *r = recs[i];
        r->handled += r->handled < UINT8_MAX;
        mark_resolved(sc, r, FATE_PROCESSED);
        seqs[i] = r->seq;
        ids[i] = r->message_id;
    }
}

void esm_log_checkpoint(struct shardc *sc, uint64_t seq, enum ckpt_reason why)
{
    const struct slog *log = sc->m->log;
    sc->checkpointed = true;
    sc->checkpoint_seq = seq;
    log->ops->checkpoint(log->ctx, sc->shard_id, eng_now(sc->m->e), seq, why);
}

/* Move the checkpoint to the end of the resolved prefix (R10: every record
 * below it is processed or discarded) and release what it passed; the
 * records of [done_pos, from) are known to be resolved. */
static void advance_from(struct shardc *sc, uint64_t from, enum ckpt_reason why)
{
    uint64_t upto = from;
    while (upto < sc->read_pos && shardc_at(sc, upto)->resolved)
        upto++;
    if (upto == sc->done_pos)
        return;
    esm_log_checkpoint(sc, shardc_at(sc, upto - 1)->seq, why);
    sc->done_pos = upto;
    stm_release(sc->m->stream, sc->shard, upto);
}

void esm_advance(struct shardc *sc, enum ckpt_reason why)
{
    advance_from(sc, sc->done_pos, why);
}

/* esm_advance after the first n records of batch b (ascending) were
 * resolved: when they start at the checkpoint with no gap (one lane, R10),
 * the scan starts past them. */
void esm_advance_over(struct shardc *sc, const struct batch *b, uint32_t n, enum ckpt_reason why)
{
    advance_from(sc, follows_checkpoint(sc, b, n) ? esm_batch_at(b, n - 1) + 1 : sc->done_pos, why);
}

/* Give fate f to the records of [done_pos, upto) that have none yet (they
 * are in no batch) and move past them; returns how many got it. */
uint64_t esm_skip_to(struct shardc *sc, uint64_t upto, enum fate f, enum ckpt_reason why)
{
    uint64_t n = 0;
    for (uint64_t i = sc->done_pos; i < upto; i++) {
        struct stm_record *r = shardc_at(sc, i);
        if (!r->resolved) {
            esm_resolve(sc, r, f);
            n++;
        }
    }
    if (sc->read_pos < upto)
        sc->read_pos = upto;
    esm_advance(sc, why);
    return n;
}

/* ---- its life: made, retired once finished (R12), freed ----------------- */

/* The mapping's side of shard s, its lanes idle and empty; NULL when out of
 * memory.  Polling starts with esm_start_shard(). */
struct shardc *esm_shardc_create(struct esm *m, uint32_t s)
{
    struct shardc *sc = calloc(1, sizeof *sc);
    if (!sc)
        return NULL;
    sc->m = m;
    sc->shard = s;
    sc->shard_id = stm_shard_id(m->stream, s);
    lev_shard_init(&sc->lev, &m->lev_template, sc->shard_id,
                   stm_source(m->stream) == SLOG_SOURCE_DYNAMODB);
    sc->n_lanes = m->cfg->parallelization_factor;
    sc->metrics = mtr_shard_create(sc->shard_id);
    sc->lanes = calloc(m->max_lanes, sizeof *sc->lanes);
    if (!sc->metrics || !sc->lanes) {
        mtr_shard_destroy(sc->metrics);
        free(sc->lanes);
        free(sc);
        return NULL;
    }
    for (uint32_t i = 0; i < m->max_lanes; i++) {
        struct lane *l = &sc->lanes[i];
        l->sc = sc;
        l->no = i;
        l->window_start_us = -1;
        l->throttle_wait_us = m->model->throttle_backoff_us;
        l->win.k = WIN_NONE;
        if (esm_windowed(m) && !(l->win.state = win_state_create())) {
            esm_shardc_destroy(sc);
            return NULL;
        }
    }
    return sc;
}

/* Free what the lanes hold (their lanes stay, idle and empty). */
static void lanes_free(struct shardc *sc)
{
    for (uint32_t i = 0; i < sc->m->max_lanes; i++) {
        struct lane *l = &sc->lanes[i];
        free(l->queue.v);
        free(l->batch.idx);
        free(l->scratch.failed);
        free(l->scratch.items);
        win_state_destroy(l->win.state);
        /* a newer gen: a timer still pending for the lane is stale */
        *l = (struct lane){ .sc = sc, .no = i, .gen = l->gen + 1, .win = { .k = WIN_NONE },
                            .window_start_us = -1 };
    }
}

/* A finished shard keeps its figures and frees the rest, so that memory
 * follows the shards open, not every shard a long run of reshards made. */
void esm_shardc_retire(struct shardc *sc)
{
    mtr_retire(sc->metrics);
    lanes_free(sc);
}

void esm_shardc_destroy(struct shardc *sc)
{
    if (!sc)
        return;
    lanes_free(sc);
    free(sc->lanes);
    mtr_shard_destroy(sc->metrics);
    free(sc);
}
