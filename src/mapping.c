/*
 * mapping.c - the Lambda event source mapping on a Kinesis stream.
 *
 * Per shard, a poller reads with GetRecords (R1: a tick every poll interval,
 * and again at once after a batch completes while records are waiting) into
 * the shard's fetched range [next_pos, read_pos).  A lane (R10; one per shard
 * while ParallelizationFactor is 1) takes its batch from there (R2: BatchSize,
 * batching window, 6 MB of event JSON), invokes the function and, when it
 * completes, checkpoints (R4) or retries the same records (R5) until the
 * retries run out and the batch is discarded (R6).  A ReportBatchItemFailures
 * response checkpoints before the lowest failure and retries from it (R7);
 * BisectBatchOnFunctionError splits a failed batch into sets retried one
 * after the other, first half first (R8).  MaximumRecordAgeInSeconds is
 * checked before every invocation.  Records leave the stream with a fate
 * (R17): checkpointed, discarded, expired by retention, or skipped by the
 * starting position (R13).
 *
 * Records are always read through their index in the shard: a batch is an
 * array of indexes, so that it can be cut (age check, partial response) or
 * split (bisect).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "function.h"
#include "hist.h"
#include "keytab.h"
#include "lambda_event.h"
#include "mapping.h"
#include "msgtab.h"
#include "response.h"
#include "scenario.h"
#include "stream.h"

#define GETRECORDS_MAX_RECORDS 10000

/* Bisect halves waiting behind the current set: each split of a set of n
 * records adds one, and BatchSize <= 10,000 allows 14 splits in a row. */
#define MAX_WAITING_SETS 32

/*
 * The records a lane holds: the current set idx[0..n) (invoked, retried,
 * discarded as one), then the sets that bisection left waiting behind it
 * (R8), in order.  Attempts count the invocations of the current set (R5).
 */
struct batch {
    uint64_t *idx;          /* record indexes in the shard, in sequence order */
    uint32_t n;             /* records in the current set */
    uint32_t attempts;      /* invocations of the current set so far (R5) */
    uint64_t payload_bytes; /* event JSON size of the current set (R2); 0: to compute */
    uint32_t waiting[MAX_WAITING_SETS];   /* sizes of the sets behind it, next first */
    uint32_t n_waiting;
};

enum lane_state {
    LANE_IDLE,       /* may start a batch */
    LANE_IN_FLIGHT,  /* an invocation runs */
    LANE_BACKOFF,    /* waiting to retry its batch (error or throttle) */
};

struct shardc;

struct lane {
    struct shardc *sc;
    uint32_t no;                 /* lane number in the shard */
    enum lane_state state;
    uint64_t gen;                /* tags timers: a timer of an older gen is stale */
    struct batch batch;          /* n > 0: the records to (re)invoke */
    int64_t window_start_us;     /* batching window opened at, or -1 */
    bool window_timer;           /* a timer for the window's end is pending */
    uint64_t invocation_id;      /* in flight */
    int64_t start_us;            /* in flight: started at */
    struct fn_result res;        /* in flight: what the function will do */
    struct fn_scratch scratch;   /* what res points into */
    uint64_t *seqs;              /* the current set's sequence numbers, for R7 */
    struct slog_event_record *event_records;   /* only when the log wants events */
    int64_t throttle_wait_us;    /* next wait after a concurrency throttle */
};

/* The mapping's view of one shard. */
struct shardc {
    struct esm *m;
    uint32_t shard;
    const char *shard_id;
    struct lev_source lev;       /* for event sizes */
    size_t lev_source_bytes;     /* the part of a record's JSON that is the shard's */
    bool polling;                /* started (R13) */
    uint64_t read_pos;           /* next index GetRecords returns */
    uint64_t next_pos;           /* next fetched index not yet in a batch */
    uint64_t done_pos;           /* every index below is resolved and released */
    bool skip_before_ts;         /* AT_TIMESTAMP: still skipping older records */
    int64_t read_blocked_until_us;
    struct lane lane;
    struct hist *age;            /* IteratorAge in ms (R14) */
    uint64_t invocations;
    double interval_age_max_ms;  /* max IteratorAge since the last sample, or -1 */
};

struct esm {
    struct eng *e;
    const struct scn_mapping *cfg;
    const struct scn_model *model;
    struct stm *stream;
    struct fn *fn;
    struct msgtab *msgs;
    const struct keytab *keys;
    const struct slog *log;
    char *role_arn;
    struct shardc *shards;
    uint32_t n_shards;
    struct stm_record **scratch;     /* batch records for fn_invoke */
    uint64_t next_invocation_id;
    bool bisect;                     /* BisectBatchOnFunctionError (R8) */
    gsl_rng *rng_throttle;           /* jitter of the throttle backoff (R9) */
    int64_t fn_timeout_us;           /* for the timeout text of dumped events */
    struct esm_stats stats;
    struct esm_shard_stats *shard_stats;
};

static void poll_shard(struct shardc *sc);
static void dispatch(struct lane *l);
static void on_window(void *ctx, uint64_t gen);
static void expire(void *ctx, uint32_t shard, uint64_t from, uint64_t to);

static inline struct stm_record *rec_at(struct shardc *sc, uint64_t idx)
{
    return stm_at(sc->m->stream, sc->shard, idx);
}

/* The record leaves the stream: its message learns the fate (R17). */
static void resolve(struct esm *m, const struct stm_record *r, enum fate unhandled)
{
    if (r->deliveries > 1)
        m->stats.redelivered++;
    if (r->handled > 1)
        m->stats.reprocessed++;
    msg_record_done(m->msgs, r->message_id, r->handled ? FATE_PROCESSED : unhandled);
}

static void log_checkpoint(struct shardc *sc, uint64_t seq, enum ckpt_reason why)
{
    const struct slog *log = sc->m->log;
    log->ops->checkpoint(log->ctx, sc->shard_id, eng_now(sc->m->e), seq, why);
}

/* Records [done_pos, upto) are resolved: checkpoint after them, release. */
static void advance(struct shardc *sc, uint64_t upto, enum ckpt_reason why)
{
    if (upto <= sc->done_pos)
        return;
    log_checkpoint(sc, rec_at(sc, upto - 1)->seq, why);
    sc->done_pos = upto;
    if (sc->next_pos < upto)
        sc->next_pos = upto;
    if (sc->read_pos < upto)
        sc->read_pos = upto;
    stm_release(sc->m->stream, sc->shard, upto);
}

/* Resolve records [done_pos, upto) with fate f and move past them. */
static void skip_to(struct shardc *sc, uint64_t upto, enum fate f, enum ckpt_reason why)
{
    for (uint64_t i = sc->done_pos; i < upto; i++)
        resolve(sc->m, rec_at(sc, i), f);
    advance(sc, upto, why);
}

/* ---- the sets of a batch (R8) ------------------------------------------ */

static uint32_t batch_total(const struct batch *b)
{
    uint32_t total = b->n;
    for (uint32_t i = 0; i < b->n_waiting; i++)
        total += b->waiting[i];
    return total;
}

/* Remove the first k records of the current set; an emptied current set
 * gives way to the next waiting one, which has not been invoked yet. */
static void batch_drop(struct batch *b, uint32_t k)
{
    memmove(b->idx, b->idx + k, (batch_total(b) - k) * sizeof *b->idx);
    b->n -= k;
    b->payload_bytes = 0;
    if (b->n == 0 && b->n_waiting > 0) {
        b->n = b->waiting[0];
        b->n_waiting--;
        memmove(b->waiting, b->waiting + 1, b->n_waiting * sizeof *b->waiting);
        b->attempts = 0;
    }
}

/* Split the current set in two halves, the first (n/2 records) to go
 * first; the split is not an attempt of either half (R8). */
static bool batch_split(struct batch *b)
{
    if (b->n < 2 || b->n_waiting == MAX_WAITING_SETS)
        return false;
    memmove(b->waiting + 1, b->waiting, b->n_waiting * sizeof *b->waiting);
    b->waiting[0] = b->n - b->n / 2;
    b->n_waiting++;
    b->n /= 2;
    b->attempts = 0;
    b->payload_bytes = 0;
    return true;
}

static void schedule(struct lane *l, int64_t at_us, enum eng_class cls, eng_handler fn)
{
    if (eng_schedule(l->sc->m->e, at_us, cls, fn, l, l->gen) < 0)
        eng_stop(l->sc->m->e);   /* out of memory: stop, the run is incomplete */
}

/* ---- discards (R6) ---------------------------------------------------- */

/*
 * Discard the first n records of the lane's current set: they are resolved,
 * the checkpoint moves past them, and the OnFailure record is logged with
 * function_error as responseContext.functionError (NULL: JSON null).
 */
static void discard_prefix(struct lane *l, uint32_t n, enum discard_condition cond,
                           const char *function_error)
{
    struct shardc *sc = l->sc;
    struct esm *m = sc->m;
    struct batch *b = &l->batch;
    const struct stm_record *first = rec_at(sc, b->idx[0]);
    const struct stm_record *last = rec_at(sc, b->idx[n - 1]);
    bool invoked = b->attempts > 0 && cond == DISCARD_RETRIES_EXHAUSTED;
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
        .approximate_invoke_count = b->attempts,
        .has_response = invoked,
        .function_error = invoked ? function_error : NULL,
        .destination = m->cfg->on_failure_destination,
        .function_arn = m->cfg->function_arn,
        .stream_arn = stm_arn(m->stream),
        .epoch_ms = m->model->epoch_ms,
    };
    m->log->ops->discard(m->log->ctx, &d);
    m->stats.discards++;
    m->stats.discarded_records += n;

    for (uint32_t i = 0; i < n; i++)
        resolve(m, rec_at(sc, b->idx[i]), FATE_DISCARDED);
    advance(sc, b->idx[n - 1] + 1, CKPT_DISCARDED);
    batch_drop(b, n);
}

/* Before every invocation: records older than MaximumRecordAgeInSeconds
 * (a prefix, since arrival times grow along the shard) are discarded. */
static void discard_too_old(struct lane *l)
{
    struct shardc *sc = l->sc;
    int64_t max_age = sc->m->cfg->max_record_age_us;
    if (max_age < 0)
        return;
    int64_t now = eng_now(sc->m->e);
    uint32_t old = 0;
    while (old < l->batch.n && now - rec_at(sc, l->batch.idx[old])->arrival_us > max_age)
        old++;
    if (old > 0)
        discard_prefix(l, old, DISCARD_RECORD_AGE, NULL);
}

/* Before every invocation: records past the retention period expire now,
 * even if the stream could not trim them while they were in flight. */
static void expire_stale(struct lane *l)
{
    struct shardc *sc = l->sc;
    int64_t oldest_kept = eng_now(sc->m->e) - stm_retention(sc->m->stream);
    uint32_t stale = 0;
    while (stale < l->batch.n && rec_at(sc, l->batch.idx[stale])->arrival_us <= oldest_kept)
        stale++;
    if (stale > 0)
        expire(sc->m, sc->shard, sc->done_pos, l->batch.idx[stale - 1] + 1);
}

/* ---- batches (R2) ----------------------------------------------------- */

static uint64_t record_event_bytes(struct shardc *sc, const struct stm_record *r)
{
    return lev_record_bytes_from(sc->lev_source_bytes, sc->lev.epoch_ms,
                                 keytab_json_len(sc->m->keys, r->key_id),
                                 r->seq, r->bytes, r->arrival_us);
}

/*
 * How many fetched records the next batch takes, and its payload: up to
 * BatchSize, cut before the event JSON would pass 6 MB.  *full says that the
 * batch cannot grow: waiting for the window would not change it.
 */
static uint32_t batch_extent(struct shardc *sc, uint64_t *payload, bool *full)
{
    uint32_t limit = sc->m->cfg->batch_size;
    uint64_t avail = sc->read_pos - sc->next_pos;
    uint64_t bytes = lev_envelope_bytes();
    uint32_t n = 0;
    *full = false;
    while (n < limit && n < avail) {
        uint64_t add = record_event_bytes(sc, rec_at(sc, sc->next_pos + n)) + (n > 0);
        if (bytes + add > LEV_MAX_PAYLOAD_BYTES) {
            *full = true;
            break;
        }
        bytes += add;
        n++;
    }
    if (n == limit)
        *full = true;
    *payload = bytes;
    return n;
}

/* Take the fetched records into the lane's batch, if it is time (R2). */
static bool take_batch(struct lane *l)
{
    struct shardc *sc = l->sc;
    struct esm *m = sc->m;
    int64_t now = eng_now(m->e), window = m->cfg->batching_window_us;
    bool full;
    uint64_t payload;
    uint32_t n = batch_extent(sc, &payload, &full);

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
    for (uint32_t i = 0; i < n; i++)
        l->batch.idx[i] = sc->next_pos + i;
    l->batch.n = n;
    l->batch.attempts = 0;
    l->batch.payload_bytes = payload;
    sc->next_pos += n;
    l->window_start_us = -1;
    return true;
}

static uint64_t batch_payload(struct lane *l)
{
    uint64_t bytes = lev_envelope_bytes();
    for (uint32_t i = 0; i < l->batch.n; i++)
        bytes += record_event_bytes(l->sc, rec_at(l->sc, l->batch.idx[i])) + (i > 0);
    return bytes;
}

/* ---- invocations ------------------------------------------------------ */

static void on_complete(void *ctx, uint64_t gen);
static void on_wake(void *ctx, uint64_t gen);
static void on_reinvoke(void *ctx, uint64_t gen);

/* The invocation's event and answer, for a sink that wants them. */
static void log_event(struct lane *l, const struct slog_invocation *inv)
{
    struct shardc *sc = l->sc;
    struct esm *m = sc->m;
    for (uint32_t i = 0; i < l->batch.n; i++) {
        const struct stm_record *r = rec_at(sc, l->batch.idx[i]);
        const char *data = r->data_id ? stm_data(m->stream, r->data_id) : NULL;
        l->event_records[i] = (struct slog_event_record){
            .partition_key = keytab_key(m->keys, r->key_id),
            .sequence_number = r->seq,
            .data = (const unsigned char *)data,
            .data_len = r->bytes,
            .arrival_us = r->arrival_us,
        };
    }
    struct slog_event ev = {
        .inv = inv,
        .source = &sc->lev,
        .records = l->event_records,
        .n_records = l->batch.n,
        .response = l->res.outcome == OUTCOME_SUCCESS ? &l->res.response : NULL,
        .timeout_us = m->fn_timeout_us,
    };
    m->log->event(m->log->event_ctx, &ev);
}

static void log_invocation(struct lane *l, int64_t end_us, enum outcome outcome,
                           int64_t age_us, const char *error)
{
    struct shardc *sc = l->sc;
    struct esm *m = sc->m;
    struct batch *b = &l->batch;
    bool throttled = outcome == OUTCOME_THROTTLED;
    struct slog_invocation inv = {
        .invocation_id = l->invocation_id,
        .shard_id = sc->shard_id,
        .lane = l->no,
        .start_us = l->start_us,
        .end_us = end_us,
        .record_count = b->n,
        .payload_bytes = b->payload_bytes,
        .first_sequence_number = rec_at(sc, b->idx[0])->seq,
        .last_sequence_number = rec_at(sc, b->idx[b->n - 1])->seq,
        .attempt = b->attempts + (throttled ? 1 : 0),
        .outcome = outcome,
        .iterator_age_us = age_us,
        .cold_start = !throttled && l->res.cold_start,
        .error = error,
    };
    m->log->ops->invocation(m->log->ctx, &inv);
    m->stats.invocations[outcome]++;
    if (m->log->event && !throttled)
        log_event(l, &inv);
}

/* Invoke the function with the lane's current set, or back off on a throttle. */
static void invoke(struct lane *l)
{
    struct shardc *sc = l->sc;
    struct esm *m = sc->m;
    struct batch *b = &l->batch;
    int64_t now = eng_now(m->e);
    bool cold;

    l->invocation_id = ++m->next_invocation_id;
    l->start_us = now;
    if (!fn_acquire(m->fn, &cold)) {
        /* R9/R11: a throttle is not an attempt; wait longer each time, by
         * half the wait plus a random part of the other half: lanes that
         * were throttled together must not all come back at the instant
         * the lanes holding the concurrency poll again. */
        log_invocation(l, now, OUTCOME_THROTTLED, -1, "Rate Exceeded.");
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
    for (uint32_t i = 0; i < b->n; i++) {
        struct stm_record *r = rec_at(sc, b->idx[i]);
        m->scratch[i] = r;
        r->deliveries++;
        if (m->log->per_record)
            m->log->ops->delivery(m->log->ctx, l->invocation_id, sc->shard_id, r->seq);
    }
    m->stats.deliveries += b->n;
    fn_invoke(m->fn, now, cold, m->scratch, b->n, &l->scratch, &l->res);
    l->state = LANE_IN_FLIGHT;
    schedule(l, now + l->res.duration_us, ENG_CLASS_COMPLETE, on_complete);
}

/* Resolve the first n records of the current set as checkpointed (R4, R7):
 * a record the function failed but the mapping took as done is lost. */
static void checkpoint_prefix(struct lane *l, uint32_t n, enum ckpt_reason why)
{
    struct shardc *sc = l->sc;
    struct batch *b = &l->batch;
    for (uint32_t i = 0; i < n; i++)
        resolve(sc->m, rec_at(sc, b->idx[i]), FATE_LOST);
    advance(sc, b->idx[n - 1] + 1, why);
    batch_drop(b, n);
}

/* The records the invocation handled: those it reached and did not fail. */
static void mark_handled(struct lane *l)
{
    const struct fn_result *res = &l->res;
    for (uint32_t i = 0, k = 0; i < res->reached; i++) {
        if (k < res->n_failed && res->failed[k] == i) {
            k++;
            continue;
        }
        struct stm_record *r = rec_at(l->sc, l->batch.idx[i]);
        if (r->handled < UINT8_MAX)
            r->handled++;
    }
}

/*
 * How the mapping takes the invocation's end (R4, R7): a function error or
 * timeout fails the whole set; a returned value is a full success unless
 * FunctionResponseTypes holds ReportBatchItemFailures, when R7 judges it.
 */
static enum rsp_verdict verdict(struct lane *l, uint32_t *first_failed, const char **why)
{
    struct esm *m = l->sc->m;
    const struct batch *b = &l->batch;
    *why = l->res.error;
    if (l->res.outcome != OUTCOME_SUCCESS)
        return RSP_FULL_FAILURE;
    if (!m->cfg->report_batch_item_failures)
        return RSP_FULL_SUCCESS;
    for (uint32_t i = 0; i < b->n; i++)
        l->seqs[i] = rec_at(l->sc, b->idx[i])->seq;
    return rsp_judge(&l->res.response, l->seqs, b->n, first_failed, why);
}

/* The lane is done with a set (checkpointed or discarded): it reads and
 * invokes again (R1) after model.reinvoke_delay, the time a poller takes to
 * checkpoint and fetch.  That pause also frees its unit of concurrency for a
 * moment, which is when throttled lanes can get it (R9). */
static void next_batch(struct lane *l)
{
    struct esm *m = l->sc->m;
    if (m->model->reinvoke_delay_us == 0) {
        poll_shard(l->sc);
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
        discard_prefix(l, b->n, DISCARD_RETRIES_EXHAUSTED, function_error);
        next_batch(l);
        return;
    }
    l->state = LANE_BACKOFF;
    schedule(l, eng_now(m->e) + m->model->retry_delay_us, ENG_CLASS_POLL, on_wake);
}

static void on_complete(void *ctx, uint64_t gen)
{
    struct lane *l = ctx;
    struct shardc *sc = l->sc;
    struct esm *m = sc->m;
    struct batch *b = &l->batch;
    int64_t now = eng_now(m->e);
    (void)gen;   /* an invocation in flight is never cancelled */

    fn_release(m->fn);
    mark_handled(l);
    b->attempts++;

    /* R14: completion time minus arrival of the set's last record. */
    int64_t age_us = now - rec_at(sc, b->idx[b->n - 1])->arrival_us;
    double age_ms = (double)age_us / ENG_US_PER_MS;
    hist_add(sc->age, age_ms);
    if (age_ms > sc->interval_age_max_ms)
        sc->interval_age_max_ms = age_ms;
    sc->invocations++;

    uint32_t first_failed = 0;
    const char *why;
    enum rsp_verdict v = verdict(l, &first_failed, &why);
    enum outcome shown = l->res.outcome;
    if (shown == OUTCOME_SUCCESS && v != RSP_FULL_SUCCESS)
        shown = v == RSP_PARTIAL ? OUTCOME_PARTIAL : OUTCOME_ERROR;
    log_invocation(l, now, shown, age_us, shown == OUTCOME_SUCCESS ? NULL : why);

    l->state = LANE_IDLE;
    l->gen++;
    switch (v) {
    case RSP_FULL_SUCCESS:
        checkpoint_prefix(l, b->n, CKPT_SUCCESS);
        if (b->n == 0 && m->cfg->batching_window_us > 0)
            l->window_start_us = now;   /* the next window starts now (R2) */
        next_batch(l);
        return;
    case RSP_PARTIAL:
        /* R7: checkpoint before the lowest failure, retry from it.  With
         * bisect that is a split (R8): the rest is a new set, not a retry. */
        if (first_failed > 0) {
            uint32_t attempts = b->attempts;
            checkpoint_prefix(l, first_failed, CKPT_PARTIAL);
            b->attempts = m->bisect ? 0 : attempts;
            b->payload_bytes = 0;
        }
        retry_or_discard(l, NULL);
        return;
    case RSP_FULL_FAILURE:
        /* R8: halves instead of a retry, down to a single record. */
        if (m->bisect && batch_split(b)) {
            m->stats.bisects++;
            l->state = LANE_BACKOFF;
            schedule(l, now + m->model->retry_delay_us, ENG_CLASS_POLL, on_wake);
            return;
        }
        retry_or_discard(l, l->res.outcome == OUTCOME_SUCCESS ? NULL : "Unhandled");
        return;
    }
}

/* The pause after a success is over: read again (R1). */
static void on_reinvoke(void *ctx, uint64_t gen)
{
    struct lane *l = ctx;
    if (gen != l->gen || l->state != LANE_BACKOFF)
        return;
    l->state = LANE_IDLE;
    poll_shard(l->sc);
}

/* A retry or throttle backoff is over. */
static void on_wake(void *ctx, uint64_t gen)
{
    struct lane *l = ctx;
    if (gen != l->gen || l->state != LANE_BACKOFF)
        return;
    l->state = LANE_IDLE;
    dispatch(l);
}

/* The end of a batching window. */
static void on_window(void *ctx, uint64_t gen)
{
    struct lane *l = ctx;
    l->window_timer = false;
    if (gen == l->gen)
        dispatch(l);
}

/* Start the lane's next invocation if it is idle and has records for it. */
static void dispatch(struct lane *l)
{
    struct batch *b = &l->batch;
    while (l->state == LANE_IDLE) {
        if (b->n == 0 && !take_batch(l))
            return;
        uint32_t before = batch_total(b);
        expire_stale(l);
        discard_too_old(l);
        if (batch_total(b) != before)
            continue;            /* look again at what is left, or what follows */
        if (b->payload_bytes == 0)
            b->payload_bytes = batch_payload(l);
        invoke(l);
    }
}

/* ---- polling (R1) and starting positions (R13) ------------------------- */

static void poll_shard(struct shardc *sc)
{
    struct esm *m = sc->m;
    struct lane *l = &sc->lane;
    int64_t now = eng_now(m->e);

    if (!sc->polling || l->state != LANE_IDLE)
        return;
    /* Read only when the fetched records do not make a full batch. */
    if (sc->read_pos - sc->next_pos < m->cfg->batch_size && now >= sc->read_blocked_until_us) {
        uint64_t to;
        int64_t retry_at;
        if (stm_get_records(m->stream, sc->shard, sc->read_pos, GETRECORDS_MAX_RECORDS,
                            &to, &retry_at) == STM_READ_THROTTLED) {
            m->stats.read_throttles++;
            sc->read_blocked_until_us = retry_at;
        } else {
            sc->read_pos = to;
        }
    }
    if (sc->skip_before_ts) {
        uint64_t i = sc->next_pos;
        while (i < sc->read_pos && rec_at(sc, i)->arrival_us < m->cfg->starting_timestamp_us)
            i++;
        m->stats.missed_records += i - sc->next_pos;
        skip_to(sc, i, FATE_MISSED, CKPT_STARTING_POSITION);
        if (i < sc->read_pos)
            sc->skip_before_ts = false;
    }
    dispatch(l);
}

static void on_tick(void *ctx, uint64_t arg)
{
    struct shardc *sc = ctx;
    struct esm *m = sc->m;
    poll_shard(sc);
    if (eng_schedule(m->e, eng_now(m->e) + m->model->poll_interval_us, ENG_CLASS_POLL,
                     on_tick, sc, arg) < 0)
        eng_stop(m->e);
}

/* Polling begins (R13): LATEST skips what is already in the shard. */
static void on_start(void *ctx, uint64_t arg)
{
    struct shardc *sc = ctx;
    struct esm *m = sc->m;
    sc->polling = true;
    sc->done_pos = sc->next_pos = sc->read_pos = stm_begin(m->stream, sc->shard);
    if (m->cfg->starting_position == SCN_START_LATEST) {
        uint64_t end = stm_end(m->stream, sc->shard);
        m->stats.missed_records += end - sc->done_pos;
        skip_to(sc, end, FATE_MISSED, CKPT_STARTING_POSITION);
    }
    sc->skip_before_ts = m->cfg->starting_position == SCN_START_AT_TIMESTAMP;
    on_tick(sc, arg);
}

/* ---- retention (the stream asks) -------------------------------------- */

static uint64_t pinned(void *ctx, uint32_t shard)
{
    struct esm *m = ctx;
    const struct lane *l = &m->shards[shard].lane;
    return l->state == LANE_IN_FLIGHT ? l->batch.idx[0] : UINT64_MAX;
}

/* Records [from, to) are trimmed unprocessed: they expire (R17). */
static void expire(void *ctx, uint32_t shard, uint64_t from, uint64_t to)
{
    struct esm *m = ctx;
    struct shardc *sc = &m->shards[shard];
    struct lane *l = &sc->lane;

    if (to <= sc->done_pos)
        return;
    if (!sc->polling) {
        /* Not reading yet (LATEST delay): they would have been skipped. */
        sc->done_pos = sc->next_pos = sc->read_pos = to;
    }
    /* Drop them from a batch waiting to be retried, set by set. */
    struct batch *b = &l->batch;
    bool set_gone = false;
    while (b->n > 0 && b->idx[0] < to) {
        uint32_t gone = 1;
        while (gone < b->n && b->idx[gone] < to)
            gone++;
        set_gone = gone == b->n;
        batch_drop(b, gone);
        if (!set_gone)
            break;
    }
    if (set_gone && l->state == LANE_BACKOFF) {
        l->state = LANE_IDLE;    /* nothing left to retry: the next set may go */
        l->gen++;
    }
    uint64_t lo = from > sc->done_pos ? from : sc->done_pos;
    m->stats.expired_records += to - lo;
    skip_to(sc, to, FATE_EXPIRED, CKPT_EXPIRED);
}

/* ---- metrics (R14) ---------------------------------------------------- */

static void on_sample(void *ctx, uint64_t arg)
{
    struct esm *m = ctx;
    int64_t now = eng_now(m->e);
    const struct slog *log = m->log;
    for (uint32_t s = 0; s < m->n_shards; s++) {
        struct shardc *sc = &m->shards[s];
        double oldest = 0;
        if (sc->done_pos < stm_end(m->stream, s))
            oldest = (double)(now - rec_at(sc, sc->done_pos)->arrival_us) / ENG_US_PER_MS;
        log->ops->metric(log->ctx, now, "oldest_unprocessed_age_ms", sc->shard_id, oldest);
        if (sc->interval_age_max_ms >= 0)
            log->ops->metric(log->ctx, now, "iterator_age_ms", sc->shard_id,
                             sc->interval_age_max_ms);
        sc->interval_age_max_ms = -1;
    }
    log->ops->metric(log->ctx, now, "concurrent_executions", NULL, fn_running(m->fn));
    if (eng_schedule(m->e, now + m->model->sample_interval_us, ENG_CLASS_SAMPLE,
                     on_sample, m, arg) < 0)
        eng_stop(m->e);
}

/* ---- life cycle ------------------------------------------------------- */

struct esm *esm_create(struct eng *e, const struct scenario *scn,
                       struct stm *stream, struct fn *function,
                       struct msgtab *msgs, const struct keytab *keys,
                       const struct slog *log, char *err, size_t errlen)
{
    const struct scn_mapping *cfg = &scn->mapping;
    struct esm *m = calloc(1, sizeof *m);
    if (!m)
        goto nomem;
    *m = (struct esm){
        .e = e, .cfg = cfg, .model = &scn->model, .stream = stream,
        .fn = function, .msgs = msgs, .keys = keys, .log = log,
        .bisect = cfg->bisect_on_error, .fn_timeout_us = scn->function.timeout_us,
    };
    m->n_shards = stm_shard_count(stream);
    m->shards = calloc(m->n_shards, sizeof *m->shards);
    m->rng_throttle = eng_rng_create(e, "mapping/throttle");
    m->shard_stats = calloc(m->n_shards, sizeof *m->shard_stats);
    m->scratch = malloc(cfg->batch_size * sizeof *m->scratch);
    size_t role_len = strlen(scn->model.account) + strlen(scn->function.name) + 32;
    m->role_arn = malloc(role_len);
    if (!m->shards || !m->shard_stats || !m->scratch || !m->role_arn || !m->rng_throttle)
        goto nomem;
    snprintf(m->role_arn, role_len, "arn:aws:iam::%s:role/%s-role",
             scn->model.account, scn->function.name);

    for (uint32_t s = 0; s < m->n_shards; s++) {
        struct shardc *sc = &m->shards[s];
        sc->m = m;
        sc->shard = s;
        sc->shard_id = stm_shard_id(stream, s);
        sc->lev = (struct lev_source){
            .shard_id = sc->shard_id, .event_source_arn = stm_arn(stream),
            .invoke_identity_arn = m->role_arn, .region = scn->model.region,
            .epoch_ms = scn->model.epoch_ms,
        };
        sc->lev_source_bytes = lev_source_bytes(&sc->lev);
        sc->interval_age_max_ms = -1;
        sc->age = hist_create();
        struct lane *l = &sc->lane;
        l->sc = sc;
        l->window_start_us = -1;
        l->throttle_wait_us = scn->model.throttle_backoff_us;
        l->batch.idx = malloc(cfg->batch_size * sizeof *l->batch.idx);
        l->scratch.failed = malloc(cfg->batch_size * sizeof *l->scratch.failed);
        l->scratch.items = malloc(cfg->batch_size * sizeof *l->scratch.items);
        l->seqs = malloc(cfg->batch_size * sizeof *l->seqs);
        if (log->event)
            l->event_records = malloc(cfg->batch_size * sizeof *l->event_records);
        if (!sc->age || !l->batch.idx || !l->scratch.failed || !l->scratch.items || !l->seqs ||
            (log->event && !l->event_records))
            goto nomem;
        int64_t start = cfg->starting_position == SCN_START_LATEST
                            ? scn->model.latest_start_delay_us : 0;
        if (cfg->enabled && eng_schedule(e, start, ENG_CLASS_POLL, on_start, sc, 0) < 0)
            goto nomem;
    }
    if (eng_schedule(e, scn->model.sample_interval_us, ENG_CLASS_SAMPLE, on_sample, m, 0) < 0)
        goto nomem;
    struct stm_consumer consumer = { .ctx = m, .pinned = pinned, .expire = expire };
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
    for (uint32_t s = 0; m->shards && s < m->n_shards; s++) {
        struct lane *l = &m->shards[s].lane;
        hist_destroy(m->shards[s].age);
        free(l->batch.idx);
        free(l->scratch.failed);
        free(l->scratch.items);
        free(l->seqs);
        free(l->event_records);
    }
    free(m->shards);
    free(m->shard_stats);
    free(m->scratch);
    free(m->role_arn);
    if (m->rng_throttle)
        gsl_rng_free(m->rng_throttle);
    free(m);
}

void esm_finish(struct esm *m)
{
    for (uint32_t s = 0; s < m->n_shards; s++) {
        struct shardc *sc = &m->shards[s];
        uint64_t end = stm_end(m->stream, s);
        for (uint64_t i = stm_begin(m->stream, s); i < end; i++)
            resolve(m, rec_at(sc, i), FATE_PENDING);
    }
}

void esm_stats(struct esm *m, struct esm_stats *out)
{
    for (uint32_t s = 0; s < m->n_shards; s++) {
        const struct shardc *sc = &m->shards[s];
        m->shard_stats[s] = (struct esm_shard_stats){
            .shard_id = sc->shard_id,
            .invocations = sc->invocations,
            .age_p50_ms = hist_quantile(sc->age, 0.50),
            .age_p99_ms = hist_quantile(sc->age, 0.99),
            .age_max_ms = hist_max(sc->age),
        };
    }
    *out = m->stats;
    out->n_shards = m->n_shards;
    out->shards = m->shard_stats;
}
