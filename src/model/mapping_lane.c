/*
 * mapping_lane.c - a shard's poll loop and its lanes at work.  Per shard a
 * poller ticks every poll interval (R1) and reads when a lane wants records
 * (mapping_deal.c deals them); then every lane that can starts.  A lane
 * takes its batch from its queue (R2: BatchSize, batching window, 6 MB of
 * event JSON, one tumbling window, R15), invokes the function (or backs
 * off on a throttle, R9), and when the invocation completes, checkpoints
 * (R4, R7), retries (R5), splits (R8) or discards (R6), then polls again.
 * A closed shard whose records are all resolved ends here (R12), and its
 * children start.  The poll and the lanes call each other (a lane done
 * polls again; a poll starts the lanes), so both are in this file.
 */
#include <assert.h>
#include <stdlib.h>

#include "mapping_int.h"
#include "msgtab.h"
#include "reader.h"
#include "response.h"

static void dispatch(struct lane *l);
static void on_window(void *ctx, uint64_t gen);
static void on_complete(void *ctx, uint64_t gen);
static void on_wake(void *ctx, uint64_t gen);
static void on_reinvoke(void *ctx, uint64_t gen);

static void schedule(struct lane *l, int64_t at_us, enum eng_class cls, eng_handler fn)
{
#ifdef ESMSIM_INVARIANTS
    if (fn == on_complete)
        l->completion_pending = true;
    if (fn == on_wake || fn == on_reinvoke) {
        l->backoff_armed = true;
        l->backoff_gen = l->gen;
    }
#endif
    if (eng_schedule(l->sc->m->e, at_us, cls, fn, l, l->gen) < 0)
        eng_stop(l->sc->m->e);   /* out of memory: stop, the run is incomplete */
}

/* ---- tumbling windows (R15) -------------------------------------------- */

/* The open window is over for this lane (win_lane_ends): a final
 * invocation is due. */
static bool window_ends(const struct lane *l)
{
    const struct shardc *sc = l->sc;
    const struct esm *m = sc->m;
    if (!esm_windowed(m))
        return false;
    struct win_clock c = esm_window_clock(m);
    const int64_t *next = l->queue.len > 0
        ? &shardc_at((struct shardc *)sc, idxq_at(&l->queue, 0))->arrival_us : NULL;
    return win_lane_ends(&l->win, &c, next, sc->read_pos == stm_end(m->stream, sc->shard),
                         stm_shard_closed(m->stream, sc->shard), eng_now(m->e));
}

/* The final invocation succeeded: the window's result goes to the log. */
static void log_window(struct lane *l)
{
    struct esm *m = l->sc->m;
    struct win_clock c = esm_window_clock(m);
    if (win_lane_close(&l->win, &c, m->keys, m->log, l->sc->shard_id, l->no,
                       l->invocation_id) < 0)
        eng_stop(m->e);          /* out of memory: stop, the run is incomplete */
    m->stats.windows++;
}

/* ---- batches (R2) ----------------------------------------------------- */

/*
 * How many queued records the lane's next batch takes, its payload, and
 * *records the bytes of those records alone: up to BatchSize, cut before
 * the event JSON would pass 6 MB.  *full says that
 * the batch cannot grow: waiting for the window would not change it.  A
 * record whose event alone is over 6 MB (Kinesis records may be 10 MiB) is
 * a batch of its own, which Lambda refuses (invoke()): it must not stall
 * its lane unseen (issue 11 item 2).
 */
static uint32_t batch_extent(struct lane *l, uint64_t *payload, uint64_t *records, bool *full)
{
    struct shardc *sc = l->sc;
    uint32_t limit = sc->m->cfg->batch_size;
    uint64_t avail = l->queue.len;
    uint64_t bytes = lev_envelope_bytes() + esm_window_event_bytes(l, false);
    bool windows = esm_windowed(sc->m);
    int64_t k = windows && avail > 0 ? esm_window_of(sc, shardc_at(sc, idxq_at(&l->queue, 0))) : 0;
    uint32_t n = 0;
    *full = false;
    *records = 0;
    if (!windows && avail > 0 && avail <= limit &&
        (avail == 1 || bytes + l->queue.bytes + (avail - 1) <= LEV_MAX_PAYLOAD_BYTES)) {
        /* The whole queue fits, so every shorter batch does: what the
         * record by record steps below come to, from the running total. */
        n = (uint32_t)avail;
        *records = l->queue.bytes;
        bytes += l->queue.bytes + (avail - 1);
    } else {
        while (n < limit && n < avail) {
            if (windows && esm_window_of(sc, shardc_at(sc, idxq_at(&l->queue, n))) != k) {
                *full = true;        /* R15: a batch never spans two windows */
                break;
            }
            uint64_t size = esm_record_bytes(sc, shardc_at(sc, idxq_at(&l->queue, n)));
            uint64_t add = size + (n > 0);
            if (bytes + add > LEV_MAX_PAYLOAD_BYTES && n > 0) {
                *full = true;
                break;
            }
            bytes += add;
            *records += size;
            n++;
        }
    }
    if (n == limit || bytes > LEV_MAX_PAYLOAD_BYTES)
        *full = true;
    *payload = bytes;
    return n;
}

/* Room for a batch of n records in the lane's buffers, which grow with the
 * batches actually taken, not with BatchSize: many lanes of few records
 * cost little.  False when out of memory. */
static bool lane_reserve(struct lane *l, uint32_t n)
{
    if (n <= l->batch_cap)
        return true;
    uint32_t cap = l->batch_cap * 2 > n ? l->batch_cap * 2 : n;
    if (cap > l->sc->m->cfg->batch_size)
        cap = l->sc->m->cfg->batch_size;
    uint64_t *idx = realloc(l->batch.idx, cap * sizeof *idx);
    if (idx)
        l->batch.idx = idx;
    uint32_t *failed = realloc(l->scratch.failed, cap * sizeof *failed);
    if (failed)
        l->scratch.failed = failed;
    struct rsp_item *items = realloc(l->scratch.items, cap * sizeof *items);
    if (items)
        l->scratch.items = items;
    if (!idx || !failed || !items)
        return false;
    l->batch_cap = cap;
    return true;
}

/* Take queued records into the lane's batch, if it is time (R2). */
static bool take_batch(struct lane *l)
{
    struct shardc *sc = l->sc;
    struct esm *m = sc->m;
    int64_t now = eng_now(m->e), window = m->cfg->batching_window_us;
    bool full;
    uint64_t payload, records;
    if (sc->n_lanes != m->cfg->parallelization_factor)
        return false;            /* a new factor waits for the batches to finish */
    uint32_t n = batch_extent(l, &payload, &records, &full);

    if (window > 0 && l->window_start_us >= 0 && n == 0 &&
        now >= l->window_start_us + window)
        l->window_start_us = -1;            /* an empty window lapses */
    if (n == 0)
        return false;
    if (window > 0 && !full) {
        if (l->window_start_us < 0)
            l->window_start_us = now;
        int64_t end = l->window_start_us + window;
        if (now < end) {
            if (!l->window_timer) {
                l->window_timer = true;
                schedule(l, end, ENG_CLASS_POLL, on_window);
            }
            return false;
        }
    }
    if (!lane_reserve(l, n)) {
        eng_stop(m->e);          /* out of memory: stop, the run is incomplete */
        return false;
    }
    l->batch.listed = l->queue.listed;
    if (l->batch.listed)
        idxq_copy(&l->queue, n, l->batch.idx);
    else
        l->batch.first = l->queue.first;
    idxq_pop(&l->queue, n, records);
    l->batch.n = n;
    l->batch.attempts = l->batch.inherited = 0;
    l->batch.payload_bytes = payload;
    l->batch_no++;
    l->window_start_us = -1;
    if (esm_windowed(m) && l->win.k == WIN_NONE)
        l->win.k = esm_window_of(sc, shardc_at(sc, esm_batch_at(&l->batch, 0)));
    return true;
}

static uint64_t batch_payload(struct lane *l)
{
    uint64_t bytes = lev_envelope_bytes() + esm_window_event_bytes(l, l->win.final);
    for (uint32_t i = 0; i < l->batch.n; i++)
        bytes += esm_record_bytes(l->sc, shardc_at(l->sc, esm_batch_at(&l->batch, i))) + (i > 0);
    return bytes;
}

/* ---- invocations ------------------------------------------------------ */

/*
 * Issue 11 item 2: Lambda refuses an Invoke request over 6,291,456 bytes
 * before any function runs (RequestEntityTooLargeException, HTTP 413).  To
 * the mapping it is a failed invocation of the set, as a function error is
 * (R5, R6): an attempt, retried, aged out by MaximumRecordAgeInSeconds or
 * retention, discarded.  Choice: it ends at once and takes no concurrency
 * and no execution environment (no throttle, no cold start, no duration).
 */
static void refuse(struct lane *l)
{
    l->res = (struct fn_result){ .outcome = OUTCOME_ERROR, .error = ESM_PAYLOAD_ERROR,
                                 .failed = l->scratch.failed };
}

/* Invoke the function with the lane's current set, or back off on a throttle. */
static void invoke(struct lane *l)
{
    struct shardc *sc = l->sc;
    struct esm *m = sc->m;
    struct batch *b = &l->batch;
    int64_t now = eng_now(m->e);
    bool cold = false;

    l->invocation_id = ++m->next_invocation_id;
    l->start_us = now;
    l->refused = b->payload_bytes > LEV_MAX_PAYLOAD_BYTES;
    if (!l->refused && !fn_acquire(m->fn, &cold)) {
        /* R9/R11: a throttle is not an attempt; wait longer each time, by
         * half the wait plus a random part of the other half: lanes that
         * were throttled together must not all come back at the instant
         * the lanes holding the concurrency poll again. */
        esm_log_invocation(l, now, OUTCOME_THROTTLED, -1, "Rate Exceeded.");
        l->state = LANE_BACKOFF;
        int64_t half = l->throttle_wait_us / 2;
        schedule(l, now + half + (int64_t)gsl_rng_uniform_int(m->rng_throttle, (unsigned long)half + 1),
                 ENG_CLASS_POLL, on_wake);
        l->throttle_wait_us *= 2;
        if (l->throttle_wait_us > m->model->throttle_backoff_max_us)
            l->throttle_wait_us = m->model->throttle_backoff_max_us;
        return;
    }
    l->throttle_wait_us = m->model->throttle_backoff_us;
    if (l->refused) {
        refuse(l);
    } else if (fn_real(m->fn)) {
        /* SPEC section 4: the handler gets the event now and runs while
         * virtual time goes on; its answer is collected at the end. */
        struct slog_event ev;
        struct slog_event_window w;
        const char **keys;
        uint64_t *counts;
        bool built = esm_build_event(l, &ev, &w, &keys, &counts);
        int rc = built ? fn_submit(m->fn, l->invocation_id, now, cold, esm_set_records(l), b->n, &ev,
                                   &l->scratch, &l->res) : -1;
        free(keys);
        free(counts);
        if (rc < 0) {
            l->state = LANE_IN_FLIGHT;   /* never completes: its deliveries go at the end */
            eng_stop(m->e);      /* the handler failed: stop, the run is incomplete */
            return;
        }
    } else {
        /* the records looked up only for a model whose rules read them */
        fn_invoke(m->fn, now, cold, fn_reads_records(m->fn) ? esm_set_records(l) : NULL, b->n,
                  &l->scratch, &l->res);
    }
    l->state = LANE_IN_FLIGHT;
    schedule(l, now + l->res.duration_us, ENG_CLASS_COMPLETE, on_complete);
}

/* Resolve the first n records of the current set as checkpointed (R4, R7):
 * a record the function failed but the mapping took as done is lost.
 * taken: esm_take_whole resolved them, their message ids in m->ids (recs
 * unused, maybe NULL). */
static void checkpoint_prefix(struct lane *l, struct stm_record *const *recs, uint32_t n,
                              enum ckpt_reason why, bool taken)
{
    struct shardc *sc = l->sc;
    struct batch *b = &l->batch;
    esm_send_pending(l);             /* a checkpoint ends a run of discards (R8) */
    if (taken)
        msg_records_done(sc->m->msgs, sc->m->ids, n, FATE_PROCESSED);
    else
        esm_resolve_set(sc, recs, n, FATE_LOST);
    esm_advance_over(sc, b, n, why);
    esm_batch_drop(b, n);
}

/* The records the invocation handled: those it reached and did not fail.
 * With in_state, the function also counted them in the window's state
 * (R15: it returned a state, which the mapping keeps). */
static void mark_handled(struct lane *l, struct stm_record *const *recs, bool in_state)
{
    const struct fn_result *res = &l->res;
    struct esm *m = l->sc->m;
    uint64_t handled = 0;
    if (res->n_failed == 0 && !in_state) {
        /* the common end, every record reached handled: no failure to skip */
        for (uint32_t i = 0; i < res->reached; i++)
            recs[i]->handled += recs[i]->handled < UINT8_MAX;
        return;
    }
    for (uint32_t i = 0, k = 0; i < res->reached; i++) {
        if (!esm_handled(res, i, &k))
            continue;
        struct stm_record *r = recs[i];
        if (r->handled < UINT8_MAX)
            r->handled++;
        handled++;
        if (in_state && !res->state && win_state_add(l->win.state, m->keys, r->key_id, 1) < 0)
            eng_stop(m->e);      /* out of memory: stop, the run is incomplete */
    }
    if (in_state && win_lane_returned(&l->win, res->state, res->state_len, handled) < 0)
        eng_stop(m->e);          /* out of memory: stop, the run is incomplete */
}

/*
 * How the mapping takes the invocation's end (R4, R7): a function error or
 * timeout fails the whole set; a returned value is a full success unless
 * FunctionResponseTypes holds ReportBatchItemFailures, when R7 judges it.
 */
static enum rsp_verdict verdict(struct lane *l, struct stm_record *const *recs,
                                uint32_t *first_failed, const char **why)
{
    struct esm *m = l->sc->m;
    const struct batch *b = &l->batch;
    *why = l->res.error;
    if (l->res.outcome != OUTCOME_SUCCESS)
        return RSP_FULL_FAILURE;
    if (esm_windowed(m) && !l->res.returned_state) {
        *why = "the response has no state";   /* R15: a failed invocation */
        return RSP_FULL_FAILURE;
    }
    if (!m->cfg->report_batch_item_failures)
        return RSP_FULL_SUCCESS;
    for (uint32_t i = 0; i < b->n; i++)
        m->seqs[i] = recs[i]->seq;
    return rsp_judge(&l->res.response, m->seqs, b->n, first_failed, why);
}

/* The lane is done with a set (checkpointed or discarded): it reads and
 * invokes again (R1) after model.reinvoke_delay, the time a poller takes to
 * checkpoint and fetch.  That pause also frees its unit of concurrency for a
 * moment, which is when throttled lanes can get it (R9). */
static void next_batch(struct lane *l)
{
    struct esm *m = l->sc->m;
    if (m->model->reinvoke_delay_us == 0) {
        esm_poll_shard(l->sc, false);
        return;
    }
    l->state = LANE_BACKOFF;
    schedule(l, eng_now(m->e) + m->model->reinvoke_delay_us, ENG_CLASS_POLL, on_reinvoke);
}

/* The current set failed and is retried after the retry delay, unless its
 * retries are spent (R5) and it is discarded (R6). */
static void retry_or_discard(struct lane *l, const char *function_error)
{
    struct esm *m = l->sc->m;
    struct batch *b = &l->batch;
    if (m->cfg->max_retry_attempts >= 0 &&
        (int64_t)b->attempts > m->cfg->max_retry_attempts) {
        esm_discard_prefix(l, b->n, DISCARD_RETRIES_EXHAUSTED, function_error);
        next_batch(l);
        return;
    }
    l->state = LANE_BACKOFF;
    schedule(l, eng_now(m->e) + m->model->retry_delay_us, ENG_CLASS_POLL, on_wake);
}

/* The lane's invocation ends (R4-R8, R15). */
static void complete(struct lane *l)
{
    struct shardc *sc = l->sc;
    struct esm *m = sc->m;
    struct batch *b = &l->batch;
    int64_t now = eng_now(m->e);
#ifdef ESMSIM_INVARIANTS
    l->completion_pending = false;
#endif

    /* The set's records, looked up once for this event (issue 15 item 1),
     * but for the common end of a set at the checkpoint, which
     * esm_take_whole walks in the shard's ring and nothing else reads:
     * the function's model handled the set whole and no response is
     * judged (verdict: a success). */
    const struct fn_result *res = &l->res;
    bool ring_only = !fn_real(m->fn) && !m->cfg->report_batch_item_failures &&
                     res->outcome == OUTCOME_SUCCESS && res->n_failed == 0 &&
                     res->reached == b->n && !l->win.final && !esm_windowed(m) &&
                     esm_set_at_checkpoint(l);
    struct stm_record **recs = ring_only ? NULL : esm_set_records(l);
    if (!l->refused && fn_real(m->fn)) {
        if (fn_collect(m->fn, recs, b->n, &l->scratch, &l->res) < 0) {
            eng_stop(m->e);      /* interrupted, or the handler failed: the run ends */
            return;
        }
    }
    b->attempts++;
    uint32_t first_failed = 0;
    const char *why;
    enum rsp_verdict v = verdict(l, recs, &first_failed, &why);

    /* R14: completion time minus arrival of the set's last record (none for
     * a final window invocation, which has no records). */
    int64_t age_us = b->n > 0 ? now - shardc_at(sc, esm_batch_at(b, b->n - 1))->arrival_us : -1;
    mtr_invocation(sc->metrics, age_us);

    enum outcome shown = l->res.outcome;
    if (shown == OUTCOME_SUCCESS && v != RSP_FULL_SUCCESS)
        shown = v == RSP_PARTIAL ? OUTCOME_PARTIAL : OUTCOME_ERROR;
    /* The common end: every record handled, the set checkpointed whole
     * below; its records are counted handled and resolved now, in one walk
     * (nothing reads those marks in between). */
    bool handled_whole = v == RSP_FULL_SUCCESS && !l->win.final && !esm_windowed(m) &&
                         l->res.n_failed == 0 && l->res.reached == b->n;
    assert(handled_whole || !ring_only);
    if (handled_whole)
        esm_take_whole(l, recs);
    esm_log_deliveries(l, recs, handled_whole);
    esm_log_invocation(l, now, shown, age_us, shown == OUTCOME_SUCCESS ? NULL : why);
    /* after the log: a dumped event shows the state the function was given */
    if (!handled_whole)
        mark_handled(l, recs, esm_windowed(m) && v != RSP_FULL_FAILURE);
    if (!l->refused)
        fn_finish(m->fn, now, &l->res);   /* its environment back, its answer used */

    l->state = LANE_IDLE;
    l->gen++;
    if (l->win.final) {
        /* R15: the window's state is final once this succeeds; until then
         * the lane retries it and holds its next records back. */
        if (v == RSP_FULL_FAILURE) {
            l->state = LANE_BACKOFF;
            schedule(l, now + m->model->retry_delay_us, ENG_CLASS_POLL, on_wake);
            return;
        }
        l->win.final = false;
        log_window(l);
        next_batch(l);
        return;
    }
    switch (v) {
    case RSP_FULL_SUCCESS:
        checkpoint_prefix(l, recs, b->n, CKPT_SUCCESS, handled_whole);
        if (b->n == 0 && m->cfg->batching_window_us > 0)
            l->window_start_us = now;   /* the next window starts now (R2) */
        next_batch(l);
        return;
    case RSP_PARTIAL:
        /* R7: checkpoint before the lowest failure, retry from it.  The
         * rest is a new set (with bisect too, R8: split at the returned
         * record), whose MaximumRetryAttempts and approximateInvokeCount
         * start from none: AWS retried a record reported failed 1 + N times
         * after the partial response, and counted N + 1 (LocalStack's
         * AWS-validated snapshots test_kinesis_report_batch_item_failures,
         * test_dynamodb_report_batch_item_failures).  The set's own first
         * record reported: nothing moved, a retry of the same set. */
        if (first_failed > 0) {
            checkpoint_prefix(l, recs, first_failed, CKPT_PARTIAL, false);
            b->attempts = b->inherited = 0;
        }
        retry_or_discard(l, NULL);
        return;
    case RSP_FULL_FAILURE:
        /* R8: halves instead of a retry, down to a single record. */
        if (m->bisect && esm_batch_split(b)) {
            m->stats.bisects++;
            l->state = LANE_BACKOFF;
            schedule(l, now + m->model->retry_delay_us, ENG_CLASS_POLL, on_wake);
            return;
        }
        /* functionError: "Unhandled" for a throw or a timeout; null for a
         * response R7 rejected, or an event Lambda refused (no function ran) */
        retry_or_discard(l, l->res.outcome == OUTCOME_SUCCESS || l->refused ? NULL : "Unhandled");
        return;
    }
}

static void on_complete(void *ctx, uint64_t gen)
{
    struct lane *l = ctx;
    (void)gen;   /* an invocation in flight is never cancelled */
    complete(l);
    esm_check_shard(l->sc);
}

/* The lane's backoff timer of gen ran: false when it is stale. */
static bool backoff_over(struct lane *l, uint64_t gen)
{
#ifdef ESMSIM_INVARIANTS
    if (gen == l->backoff_gen)
        l->backoff_armed = false;
#endif
    if (gen != l->gen || l->state != LANE_BACKOFF)
        return false;
    l->state = LANE_IDLE;
    return true;
}

/* The pause after a success is over: read again (R1). */
static void on_reinvoke(void *ctx, uint64_t gen)
{
    struct lane *l = ctx;
    if (!backoff_over(l, gen))
        return;
    esm_poll_shard(l->sc, false);
    esm_check_shard(l->sc);
}

/* A retry or throttle backoff is over. */
static void on_wake(void *ctx, uint64_t gen)
{
    struct lane *l = ctx;
    if (!backoff_over(l, gen))
        return;
    dispatch(l);
    esm_check_shard(l->sc);
}

/* The end of a batching window. */
static void on_window(void *ctx, uint64_t gen)
{
    struct lane *l = ctx;
    l->window_timer = false;
    if (gen == l->gen)
        dispatch(l);
    esm_check_shard(l->sc);
}

/* Start the lane's next invocation if it is idle and has records for it.
 * Not on a finished shard: a lane before this one in a poll may have ended
 * it, and its lanes were freed (their windows' states too, R15). */
static void dispatch(struct lane *l)
{
    struct batch *b = &l->batch;
    while (l->state == LANE_IDLE && !l->sc->ended && l->sc->m->cfg->enabled) {
        if (b->n == 0 && !l->win.final) {
            if (window_ends(l)) {
                l->win.final = true;     /* R15: the final invocation, no records */
                b->attempts = b->inherited = 0;
                b->payload_bytes = 0;
            } else if (!take_batch(l)) {
                esm_maybe_end(l->sc);
                return;
            }
        }
        if (b->n > 0) {
            uint32_t before = esm_batch_total(b);
            esm_expire_stale(l);
            esm_discard_too_old(l);
            if (esm_batch_total(b) != before)
                continue;        /* look again at what is left, or what follows */
        }
        if (b->payload_bytes == 0)
            b->payload_bytes = batch_payload(l);
        invoke(l);
    }
}

/* ---- polling (R1) and a shard's start (R13) and end (R12) ---------------- */

/*
 * Read the shard if a lane wants records, then start every lane that can.
 * The tick is the base rate (R1; with EFO it reads what was pushed, no
 * call); between ticks a poll after a batch reads only while records are
 * waiting in the shard, so that fast lanes on a quiet shard do not spend
 * the shard's 5 GetRecords a second on empty calls.
 */
void esm_poll_shard(struct shardc *sc, bool tick)
{
    struct esm *m = sc->m;
    if (!sc->polling || sc->ended || !m->cfg->enabled)
        return;
    if (sc->n_lanes != m->cfg->parallelization_factor)
        esm_relane(sc);
    uint64_t to;
    enum rdr_result got = esm_wants_records(sc) ? rdr_read(m->reader, sc->shard, sc->read_pos, tick, &to)
                                            : RDR_NONE;
    if (got == RDR_READ) {
        esm_take_read(sc, to);
    } else if (got == RDR_THROTTLED && m->log->ops->read) {
        struct slog_read rd = { .shard_id = sc->shard_id, .at_us = eng_now(m->e), .throttled = true };
        m->log->ops->read(m->log->ctx, &rd);
    }
    for (uint32_t i = 0; i < sc->n_lanes; i++)
        dispatch(&sc->lanes[i]);
}

static void on_tick(void *ctx, uint64_t arg)
{
    struct shardc *sc = ctx;
    struct esm *m = sc->m;
    esm_poll_shard(sc, true);
    esm_check_shard(sc);
    if (sc->ended)
        return;                  /* R12: a finished shard is read no more */
    if (eng_schedule(m->e, eng_now(m->e) + m->model->poll_interval_us, ENG_CLASS_POLL,
                     on_tick, sc, arg) < 0)
        eng_stop(m->e);
}

/* Polling of the shard begins (R13): LATEST skips what is already in a
 * shard that existed when the mapping began (a child made later reads from
 * its first record, R12); AT_TIMESTAMP skips, in every shard, the records
 * older than its timestamp. */
void esm_start_shard(struct shardc *sc)
{
    struct esm *m = sc->m;
    sc->polling = true;
    sc->done_pos = sc->read_pos = stm_begin(m->stream, sc->shard);
    if (sc->shard < m->shards_at_begin && m->cfg->starting_position == CFG_START_LATEST)
        m->stats.missed_records += esm_skip_to(sc, stm_end(m->stream, sc->shard), FATE_MISSED,
                                           CKPT_STARTING_POSITION);
    sc->skip_before_ts = m->cfg->starting_position == CFG_START_AT_TIMESTAMP;
    on_tick(sc, 0);
}

/* The shard may start now: the mapping reads, and its parents are finished
 * unless the consumer does not wait for them (R12). */
bool esm_can_start(const struct shardc *sc)
{
    const struct esm *m = sc->m;
    if (sc->polling || !m->begun || !m->cfg->enabled)
        return false;
    if (!m->model->wait_for_parent_shards)
        return true;
    uint32_t parents[2] = { stm_shard_parent(m->stream, sc->shard),
                            stm_shard_adjacent_parent(m->stream, sc->shard) };
    for (int i = 0; i < 2; i++)
        if (parents[i] != UINT32_MAX && !m->shards[parents[i]]->ended)
            return false;
    return true;
}

/* Parent arg finished: its children may start, after the event that
 * finished it is over. */
static void on_parent_ended(void *ctx, uint64_t arg)
{
    struct esm *m = ctx;
    const struct shardc *parent = m->shards[arg];
    for (uint32_t i = 0; i < parent->n_children; i++) {
        struct shardc *child = m->shards[parent->children[i]];
        if (esm_can_start(child))
            esm_start_shard(child);
    }
    esm_check_all(m);
}

/* R12: once a closed shard is read to its end, every record resolved, its
 * lanes idle and its windows closed, it is finished; the checkpoint at its
 * last record says so (none for a shard that never had a record). */
void esm_maybe_end(struct shardc *sc)
{
    struct esm *m = sc->m;
    uint64_t end = stm_end(m->stream, sc->shard);
    if (sc->ended || !sc->polling || !stm_shard_closed(m->stream, sc->shard) ||
        sc->done_pos != end)
        return;
    for (uint32_t i = 0; i < sc->n_lanes; i++) {
        const struct lane *l = &sc->lanes[i];
        if (l->state != LANE_IDLE || l->win.final || l->win.k != WIN_NONE)
            return;
    }
    sc->ended = true;
    if (sc->checkpointed)
        esm_log_checkpoint(sc, sc->checkpoint_seq, CKPT_SHARD_END);
    esm_shardc_retire(sc);
    if (m->model->wait_for_parent_shards &&
        eng_schedule(m->e, eng_now(m->e), ENG_CLASS_POLL, on_parent_ended, m, sc->shard) < 0)
        eng_stop(m->e);
}
