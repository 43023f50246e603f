/*
 * mapping_event.c - what an invocation tells: its rows in the run log
 * (invocations: records, payload, outcome, IteratorAge, R14; deliveries:
 * each record and whether it was handled) and its event, as --dump-events
 * writes it and a real handler gets it (SPEC section 4; with tumbling
 * windows the state it is given, R15).
 */
#include <stdlib.h>

#include "mapping_int.h"

/*
 * The lane's invocation's event, as --dump-events and a real handler get it:
 * *ev (its records in m->event_records) and, with windows, *w with the state
 * the invocation is given, whose arrays *keys and *counts the caller frees.
 * False, with the run stopped, when out of memory.
 */
bool esm_build_event(struct lane *l, struct slog_event *ev, struct slog_event_window *w,
                     const char ***keys, uint64_t **counts)
{
    struct shardc *sc = l->sc;
    struct esm *m = sc->m;
    *keys = NULL;
    *counts = NULL;
    if (!m->event_records &&
        !(m->event_records = malloc(m->max_batch * sizeof *m->event_records))) {
        eng_stop(m->e);          /* out of memory: stop, the run is incomplete */
        return false;
    }
    esm_batch_list(&l->batch);
    lev_shard_records(m->stream, m->keys, sc->shard, l->batch.idx, l->batch.n, m->event_records);
    *ev = (struct slog_event){
        .source = &sc->lev.src,
        .records = m->event_records,
        .n_records = l->batch.n,
        .source_type = stm_source(m->stream),
    };
    /* R15: the window and the state the function is given */
    if (esm_windowed(m)) {
        struct win_clock c = esm_window_clock(m);
        if (win_lane_event(&l->win, &c, m->keys, w, keys, counts) < 0) {
            eng_stop(m->e);      /* out of memory: stop, the run is incomplete */
            return false;
        }
        ev->window = w;
    }
    return true;
}

/*
 * R15: the state the model's function returned, for its answer: the state
 * it was given (still the lane's: the invocation is not counted in yet)
 * with the records it handled counted, whatever the mapping makes of the
 * answer (AWS's TimeWindowEventResponse carries it beside
 * batchItemFailures).  *out's state only, in arrays *keys and *counts the
 * caller frees.  -1 when out of memory.
 */
static int returned_state(struct lane *l, struct slog_event_window *out,
                          const char ***keys, uint64_t **counts)
{
    struct shardc *sc = l->sc;
    const struct esm *m = sc->m;
    struct win_state *st = win_state_copy(l->win.state, m->keys);
    int rc = st ? 0 : -1;
    for (uint32_t i = 0, k = 0; rc == 0 && i < l->batch.n; i++)
        if (esm_handled(&l->res, i, &k))
            rc = win_state_add(st, m->keys, shardc_at(sc, esm_batch_at(&l->batch, i))->key_id, 1);
    if (rc == 0 && (rc = win_state_entries(st, m->keys, keys, counts)) == 0)
        *out = (struct slog_event_window){ .n_keys = win_state_keys(st), .keys = *keys,
                                           .counts = *counts };
    win_state_destroy(st);
    return rc;
}

/* The invocation's event and answer, for a sink that wants them. */
static void log_event(struct lane *l, const struct slog_invocation *inv)
{
    struct esm *m = l->sc->m;
    if (l->refused)
        return;                  /* the function never got this event */
    struct slog_event ev;
    struct slog_event_window w, returned;
    const char **keys, **returned_keys = NULL;
    uint64_t *counts, *returned_counts = NULL;
    if (!esm_build_event(l, &ev, &w, &keys, &counts))
        return;
    ev.inv = inv;
    ev.response = l->res.outcome == OUTCOME_SUCCESS ? &l->res.response : NULL;
    ev.timeout_us = l->res.timeout_us;
    ev.answer = l->res.answer;
    ev.answer_len = l->res.answer_len;
    /* a real handler's state is in its answer, dumped as it posted it */
    bool model_state = ev.window && ev.response && !fn_real(m->fn) && l->res.returned_state;
    if (model_state && returned_state(l, &returned, &returned_keys, &returned_counts) < 0) {
        eng_stop(m->e);          /* out of memory: stop, the run is incomplete */
    } else {
        ev.returned = model_state ? &returned : NULL;
        m->log->event(m->log->event_ctx, &ev);
    }
    free(keys);
    free(counts);
    free(returned_keys);
    free(returned_counts);
}

void esm_log_invocation(struct lane *l, int64_t end_us, enum outcome outcome,
                        int64_t age_us, const char *error)
{
    struct shardc *sc = l->sc;
    struct esm *m = sc->m;
    struct batch *b = &l->batch;
    bool throttled = outcome == OUTCOME_THROTTLED;
    /* AWS's metrics page: the age of the last record "when the event source
     * mapping sends the event to the function"; R14's age_us is at the end. */
    int64_t at_send_us = age_us < 0 ? -1 : l->start_us - shardc_at(sc, esm_batch_at(b, b->n - 1))->arrival_us;
    struct slog_invocation inv = {
        .invocation_id = l->invocation_id,
        .shard_id = sc->shard_id,
        .lane = l->no,
        .start_us = l->start_us,
        .end_us = end_us,
        .record_count = b->n,
        .payload_bytes = b->payload_bytes,
        .first_sequence_number = b->n ? shardc_at(sc, esm_batch_at(b, 0))->seq : 0,   /* 0: a final */
        .last_sequence_number = b->n ? shardc_at(sc, esm_batch_at(b, b->n - 1))->seq : 0, /* window call */
        .attempt = b->attempts + (throttled ? 1 : 0),
        .outcome = outcome,
        .iterator_age_us = age_us,
        .iterator_age_at_send_us = at_send_us,
        .cold_start = !throttled && l->res.cold_start,
        .error = error,
    };
    m->log->ops->invocation(m->log->ctx, &inv);
    if (m->log->event && !throttled)
        log_event(l, &inv);
}

/* Each record of the lane's invocation, and whether the function handled it
 * ([0, reached) but the failed positions, ascending): one call per run of
 * records of the same flag, their sequence numbers in the mapping's seqs
 * (free once the verdict is judged; with taken, esm_take_whole put them
 * there, and recs may be NULL).  Logged once the result is known: at the
 * end (a real handler answers then), or when the run ends with the
 * invocation in flight. */
void esm_log_deliveries(const struct lane *l, struct stm_record *const *recs, bool taken)
{
    const struct shardc *sc = l->sc;
    const struct slog *log = sc->m->log;
    const struct fn_result *res = &l->res;
    uint64_t *seqs = sc->m->seqs;
    if (!log->per_record)
        return;
    if (taken && log->ops->delivery_run && esm_set_at_checkpoint(l)) {
        /* the set walked whole in the shard's ring (esm_take_whole): its
         * ends alone */
        uint64_t at = esm_batch_at(&l->batch, 0);
        struct stm *st = sc->m->stream;
        log->ops->delivery_run(log->ctx, l->invocation_id, sc->shard_id,
                               stm_at(st, sc->shard, at)->seq,
                               stm_at(st, sc->shard, at + l->batch.n - 1)->seq, l->batch.n);
        return;
    }
    if (res->n_failed == 0 && res->reached >= l->batch.n) {
        /* the common end, the whole set handled: one run (with taken, its
         * sequence numbers are in seqs already: esm_take_whole) */
        if (!taken)
            for (uint32_t i = 0; i < l->batch.n; i++)
                seqs[i] = recs[i]->seq;
        if (l->batch.n > 0)
            log->ops->deliveries(log->ctx, l->invocation_id, sc->shard_id, seqs, l->batch.n, true);
        return;
    }
    uint32_t from = 0;
    bool run_handled = false;
    for (uint32_t i = 0, f = 0; i < l->batch.n; i++) {
        bool handled = esm_handled(res, i, &f);
        if (i > from && handled != run_handled) {
            log->ops->deliveries(log->ctx, l->invocation_id, sc->shard_id, seqs + from,
                                 i - from, run_handled);
            from = i;
        }
        run_handled = handled;
        seqs[i] = recs[i]->seq;
    }
    if (l->batch.n > from)
        log->ops->deliveries(log->ctx, l->invocation_id, sc->shard_id, seqs + from,
                             l->batch.n - from, run_handled);
}
