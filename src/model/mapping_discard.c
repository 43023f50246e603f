/*
 * mapping_discard.c - discards (R6): a lane's records given up, their
 * OnFailure message (consolidated under R8), and the checks before every
 * invocation: records older than MaximumRecordAgeInSeconds are discarded,
 * those past the retention period expire (R17).
 */
#include <string.h>

#include "mapping_int.h"

/* The Invoke call's HTTP status in an OnFailure responseContext: Lambda
 * answers 200 when the function ran (whatever it did), 413 when it refused
 * an event over 6 MB (RequestEntityTooLargeException). */
#define STATUS_INVOKED 200
#define STATUS_TOO_LARGE 413

/* Write the lane's pending OnFailure message, if any, with its own
 * requestId: 128 bits of the mapping's stream `mapping/on-failure`, so that
 * every message has its own id and a run gives the same ids every time. */
void esm_send_pending(struct lane *l)
{
    struct esm *m = l->sc->m;
    struct slog_discard *d = &l->pending;
    if (d->record_count == 0)
        return;
    for (int i = 0; i < 2; i++)
        d->request_id[i] = (uint64_t)gsl_rng_get(m->rng_on_failure) << 32 |
                           gsl_rng_get(m->rng_on_failure);
    m->log->ops->discard(m->log->ctx, d);
    d->record_count = 0;
}

static bool same_text(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/*
 * Issue 11 item 4: with BisectBatchOnFunctionError, Lambda "consolidates
 * failed messages metadata", so an OnFailure message may hold more than one
 * record.  Choice: the discarded sets of one batch that follow one another
 * (no record of the batch checkpointed or expired between them) with the
 * same condition and responseContext make one message; it is written when
 * that run ends (a record of the batch is checkpointed or expires, a
 * discard of another kind comes, the batch is done, or the simulation
 * ends), with the time of its last discard.
 */
static bool consolidates(const struct lane *l, const struct slog_discard *d)
{
    const struct slog_discard *p = &l->pending;
    return l->sc->m->bisect && p->record_count > 0 && l->pending_batch == l->batch_no &&
           p->condition == d->condition && p->has_response == d->has_response &&
           p->status_code == d->status_code && same_text(p->function_error, d->function_error);
}

/*
 * Discard the first n records of the lane's current set: they are resolved,
 * the checkpoint moves past them, and the OnFailure message describes them
 * (alone, or consolidated with the sets discarded just before, above), with
 * function_error as responseContext.functionError (NULL: JSON null).
 * approximateInvokeCount counts the invocations that delivered the records
 * (issue 11 item 7b: those of the set and of the sets it was split from),
 * and is at least 1: AWS reports 1 for records that expire before any
 * invocation (item 5).
 */
void esm_discard_prefix(struct lane *l, uint32_t n, enum discard_condition cond,
                        const char *function_error)
{
    struct shardc *sc = l->sc;
    struct esm *m = sc->m;
    struct batch *b = &l->batch;
    const struct stm_record *first = shardc_at(sc, esm_batch_at(b, 0));
    const struct stm_record *last = shardc_at(sc, esm_batch_at(b, n - 1));
    bool invoked = b->attempts > 0 && cond == DISCARD_RETRIES_EXHAUSTED;
    uint32_t invocations = b->inherited + b->attempts;
    struct slog_discard d = {
        .at_us = eng_now(m->e),
        .shard_id = sc->shard_id,
        .condition = cond,
        .start_sequence_number = first->seq,
        .end_sequence_number = last->seq,
        .record_count = n,
        .first_arrival_us = first->arrival_us,
        .last_arrival_us = last->arrival_us,
        .invocation_id = l->invocation_id,
        .approximate_invoke_count = invocations > 0 ? invocations : 1,
        .has_response = invoked,
        .status_code = invoked ? (l->refused ? STATUS_TOO_LARGE : STATUS_INVOKED) : 0,
        .function_error = invoked ? function_error : NULL,
        .destination = m->cfg->on_failure_destination,
        .function_arn = m->cfg->function_arn,
        .stream_arn = stm_arn(m->stream),
        .epoch_ms = m->model->epoch_ms,
        .source_type = stm_source(m->stream),
    };
    if (consolidates(l, &d)) {
        struct slog_discard *p = &l->pending;
        p->at_us = d.at_us;
        p->end_sequence_number = d.end_sequence_number;
        p->last_arrival_us = d.last_arrival_us;
        p->record_count += n;
        p->invocation_id = d.invocation_id;
        if (d.approximate_invoke_count > p->approximate_invoke_count)
            p->approximate_invoke_count = d.approximate_invoke_count;
    } else {
        esm_send_pending(l);
        l->pending = d;
        l->pending_batch = l->batch_no;
    }
    if (!m->bisect)
        esm_send_pending(l);         /* nothing to consolidate */

    esm_resolve_set(sc, esm_set_records(l), n, FATE_DISCARDED);
    esm_advance_over(sc, b, n, CKPT_DISCARDED);
    esm_batch_drop(b, n);
    if (b->n == 0)
        esm_send_pending(l);         /* the batch is done */
}

/* Before every invocation: records older than MaximumRecordAgeInSeconds
 * (a prefix, since arrival times grow along the shard) are discarded. */
void esm_discard_too_old(struct lane *l)
{
    struct shardc *sc = l->sc;
    int64_t max_age = sc->m->cfg->max_record_age_us;
    if (max_age < 0)
        return;
    int64_t now = eng_now(sc->m->e);
    uint32_t old = 0;
    while (old < l->batch.n && now - shardc_at(sc, esm_batch_at(&l->batch, old))->arrival_us > max_age)
        old++;
    if (old > 0)
        esm_discard_prefix(l, old, DISCARD_RECORD_AGE, NULL);
}

/* Before every invocation: records of the set past the retention period
 * expire now, even if the stream could not trim them while they were in
 * flight.  Nothing is sent anywhere for them (R17). */
void esm_expire_stale(struct lane *l)
{
    struct shardc *sc = l->sc;
    struct esm *m = sc->m;
    struct batch *b = &l->batch;
    int64_t oldest_kept = eng_now(m->e) - stm_retention(m->stream);
    uint32_t stale = 0;
    while (stale < b->n && shardc_at(sc, esm_batch_at(b, stale))->arrival_us <= oldest_kept)
        esm_resolve(sc, shardc_at(sc, esm_batch_at(b, stale++)), FATE_EXPIRED);
    if (stale == 0)
        return;
    esm_send_pending(l);             /* expired records end a run of discards */
    m->stats.expired_records += stale;
    esm_advance(sc, CKPT_EXPIRED);
    esm_batch_drop(b, stale);
}
