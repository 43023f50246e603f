/*
 * mapping.c - the Lambda event source mapping on a Kinesis stream or a
 * DynamoDB table's stream (SPEC 1.2: the same mapping; events, their sizes
 * and the OnFailure record take the table's shapes, and the stream applies
 * its own GetRecords caps and read sharing).
 *
 * Per shard, a poller reads with GetRecords (R1: a tick every poll interval,
 * and again at once after a batch completes while records are waiting) and
 * deals the records out to the shard's ParallelizationFactor lanes by the
 * hash of their partition key (R10), so that each key keeps its order.  A
 * lane takes its batch from its queue (R2: BatchSize, batching window, 6 MB
 * of event JSON), invokes the function and, when it
 * completes, checkpoints (R4) or retries the same records (R5) until the
 * retries run out and the batch is discarded (R6).  A ReportBatchItemFailures
 * response checkpoints before the lowest failure and retries from it (R7);
 * BisectBatchOnFunctionError splits a failed batch into sets retried one
 * after the other, first half first (R8), and the discarded sets of a batch
 * that follow one another make one OnFailure message.  A record whose event
 * alone is over 6 MB is a set of its own, which Lambda refuses: a failed
 * invocation (R5).  MaximumRecordAgeInSeconds is
 * checked before every invocation.  Records leave the stream with a fate
 * (R17): checkpointed, discarded, expired by retention, or skipped by the
 * starting position (R13).
 *
 * Records are always read through their index in the shard: a batch is an
 * array of indexes, so that it can be cut (age check, partial response) or
 * split (bisect); an event that works through a set looks its records up
 * once (set_records), and its messages learn their fates a run of one
 * fate at a time (resolve_set).  Lanes finish records out of shard order, so each record
 * says when it has its fate (`resolved`), and the shard's checkpoint is the
 * end of the resolved prefix (R10).
 *
 * A scheduled update (R16) swaps the configuration: Enabled false stops
 * polling and invoking (batches in flight finish; the checkpoint stays) and
 * true resumes from there; a new ParallelizationFactor takes effect on a
 * shard once its batches are done (no new batch is taken meanwhile), when
 * its queued records are dealt again, so that no key has records in two
 * lanes at once.
 *
 * How records are read (R1: shared-throughput GetRecords, enhanced fan-out,
 * or a DynamoDB stream's own pace) is the reader's (reader.h), chosen once
 * when the mapping is made: the mapping asks it what is read now.
 *
 * Resharding (R12): a child shard starts (at TRIM_HORIZON) only once its
 * parent, and a merge child's adjacent parent too, is finished: closed, read
 * to its end, every record resolved and its windows closed, which the
 * checkpoint reason `shard_end` marks.  A shard that exists when the mapping
 * begins uses the mapping's StartingPosition, one made later TRIM_HORIZON.
 * model.wait_for_parent_shards false models a consumer that reads a child as
 * soon as it opens, as a misconfigured custom consumer would: a key's newer
 * records in the child may then go before its older ones in the parent.
 *
 * Tumbling windows (R15): a batch holds records of one window; each
 * invocation gets the state the previous successful one returned, and once
 * the window has ended and its records are done, a final invocation without
 * records gets the state with isFinalInvokeForWindow (and
 * isWindowTerminatedEarly when the state passed 1 MB, after which the same
 * window goes on with a fresh state).  Choice: the final invocation is a
 * separate one with no records, it always succeeds unless the function
 * returns no state, and it is retried until it succeeds, as AWS says.
 * Choice: each lane keeps its own state and final invocation (R10 lanes are
 * ordered sequences of batches; AWS does not say how lanes share a state).
 *
 * A real handler (SPEC section 4): an invocation's event (the one
 * --dump-events writes) goes to the function's backend when it starts, and
 * its answer is collected when it ends, in virtual time order (fn_submit,
 * fn_collect), so the handlers run while virtual time goes on.  A
 * delivery's `handled` is known only then: deliveries are logged when an
 * invocation ends (or, in flight, when the run ends), for the model too.
 *
 * Choice: a record's lane is the low 64 bits of its key's MD5 hash-key
 * modulo the factor.  AWS does not document its assignment; any function of
 * the key keeps per-key order, and this one spreads keys evenly, so two keys
 * use at most two lanes (or one, when they collide) as in AWS.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "function.h"
#include "keytab.h"
#include "lambda_event_shard.h"
#include "mapping.h"
#include "metrics.h"
#include "msgtab.h"
#include "prefetch.h"
#include "reader.h"
#include "response.h"
#include "config.h"
#include "stream.h"
#include "window.h"

/* Records deal() looks ahead for their keys' hashes (R10 lanes): far
 * enough for a load from memory to arrive. */
#define LANE_AHEAD 16

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
    uint32_t inherited;     /* invocations of the sets it was split from (R8): with
                               attempts, what its records went through */
    uint64_t payload_bytes; /* event JSON size of the current set (R2); 0: to compute */
    uint32_t waiting[MAX_WAITING_SETS];   /* sizes of the sets behind it, next first */
    uint32_t waiting_inherited[MAX_WAITING_SETS];   /* and their inherited counts */
    uint32_t n_waiting;
};

/* A lane's fetched records not yet in its batch: record indexes in shard
 * order, in a ring that doubles when full, each with its record's bytes in
 * the event (R2), sized once when queued, and their running total: the
 * next batch's extent is then the whole queue's in one step, however many
 * polls look at it before it is taken (a batching window). */
struct idxq {
    uint64_t *v;
    uint64_t *size;          /* size[j]: the event bytes of the record in v[j] */
    uint64_t cap;            /* a power of two, or 0 */
    uint64_t head, len;
    uint64_t bytes;          /* the sum of the queued records' sizes */
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
    struct idxq queue;           /* fetched, for this lane, not yet batched */
    struct batch batch;          /* n > 0: the records to (re)invoke */
    uint32_t batch_cap;          /* room in batch.idx and scratch, grown on demand */
    int64_t window_start_us;     /* batching window opened at, or -1 */
    bool window_timer;           /* a timer for the window's end is pending */
    uint64_t invocation_id;      /* in flight */
    int64_t start_us;            /* in flight: started at */
    struct fn_result res;        /* in flight: what the function will do */
    struct fn_scratch scratch;   /* what res points into */
    int64_t throttle_wait_us;    /* next wait after a concurrency throttle */
    bool refused;                /* in flight: Lambda refused the invocation, its
                                    event being over 6 MB (R2, R5) */
    uint64_t batch_no;           /* batches taken so far: tells the batches apart */
    struct slog_discard pending; /* the OnFailure message being consolidated (R6, R8),
                                    of batch pending_batch; record_count 0: none */
    uint64_t pending_batch;
    struct win_lane win;         /* tumbling windows (R15), when TumblingWindowInSeconds is set */
#ifdef ESMSIM_INVARIANTS
    /* What esm_check_invariants needs to know of the lane's timers */
    bool completion_pending;     /* on_complete is scheduled */
    bool backoff_armed;          /* the last on_wake/on_reinvoke scheduled has not run */
    uint64_t backoff_gen;        /* and its gen */
#endif
};

/* The mapping's view of one shard. */
struct shardc {
    struct esm *m;
    uint32_t shard;
    const char *shard_id;
    struct lev_shard lev;        /* what its events share, for their sizes */
    struct lev_size_memo size_memo;   /* what its records' sizes share (record_event_bytes) */
    bool polling;                /* started (R13) */
    bool ended;                  /* closed and finished: its children may start (R12) */
    uint32_t children[2];        /* shards opened from it (R12: at most two) */
    uint32_t n_children;
    bool checkpointed;           /* checkpoint_seq holds the last checkpoint */
    uint64_t checkpoint_seq;     /* the last checkpoint's sequence number */
    uint64_t read_pos;           /* next index GetRecords returns */
    uint64_t done_pos;           /* every index below is resolved and released:
                                    the checkpoint (R10) */
    bool skip_before_ts;         /* AT_TIMESTAMP: still skipping older records */
    struct lane *lanes;          /* the largest ParallelizationFactor of the run */
    uint32_t n_lanes;            /* in use: the factor in effect on this shard */
    struct mtr_shard *metrics;   /* IteratorAge (R14) */
};

struct esm {
    struct eng *e;
    const struct cfg_mapping *cfg;
    const struct cfg_model *model;
    struct stm *stream;
    struct fn *fn;
    struct msgtab *msgs;
    const struct keytab *keys;
    const struct slog *log;
    char *role_arn;
    struct lev_source lev_template;  /* what every shard's event source shares */
    struct shardc **shards;          /* by the stream's shard index; grows (R12) */
    uint32_t n_shards;
    bool begun;                      /* polling has begun (R13) */
    uint32_t shards_at_begin;        /* shards [0, this) existed then: they start at
                                        StartingPosition, later ones at TRIM_HORIZON (R12) */
    int64_t begin_at_us;             /* when it begins: 0, or LATEST's delay */
    struct rdr *reader;              /* how shards are read (R1), chosen at creation */
    struct stm_record **scratch;     /* a lane's current set's records (set_records) */
    uint64_t *seqs;                  /* a set's sequence numbers, for R7 and log_deliveries */
    uint64_t *ids;                   /* a set's message ids, for resolve_set */
    uint32_t max_batch;              /* the largest BatchSize of the run (R16) */
    uint32_t max_lanes;              /* the largest ParallelizationFactor of the run */
    struct slog_event_record *event_records;   /* when the log wants events or a real
                                                  handler gets them; made on first use */
    uint64_t next_invocation_id;
    bool bisect;                     /* BisectBatchOnFunctionError (R8) */
    gsl_rng *rng_throttle;           /* jitter of the throttle backoff (R9) */
    gsl_rng *rng_on_failure;         /* requestIds of the OnFailure messages (R6) */
    struct esm_stats stats;
    struct esm_shard_stats *shard_stats;
};

static void poll_shard(struct shardc *sc, bool tick);
static void dispatch(struct lane *l);
static void maybe_end(struct shardc *sc);
static void shardc_retire(struct shardc *sc);
static void on_window(void *ctx, uint64_t gen);
static void expire(void *ctx, uint32_t shard, uint64_t from, uint64_t to);

#ifdef ESMSIM_INVARIANTS
static void check_shard(const struct shardc *sc);
static void check_all(const struct esm *m);
static void resolved_twice(const struct shardc *sc, const struct stm_record *r);
#else
/* The optimised build checks nothing: these cost nothing. */
static inline void check_shard(const struct shardc *sc) { (void)sc; }
static inline void check_all(const struct esm *m) { (void)m; }
#endif

static inline struct stm_record *rec_at(struct shardc *sc, uint64_t idx)
{
    return stm_at(sc->m->stream, sc->shard, idx);
}

/* The records of the lane's current set, in the mapping's scratch array.
 * Valid during the event that looked them up, until the checkpoint moves
 * (stm_release): only a write moves records, and none comes meanwhile. */
static struct stm_record **set_records(struct lane *l)
{
    struct stm_record **recs = l->sc->m->scratch;
    for (uint32_t i = 0; i < l->batch.n; i++)
        recs[i] = rec_at(l->sc, l->batch.idx[i]);
    return recs;
}

/* The record has its fate: processed if the function handled it, else
 * unhandled (R17). */
static inline enum fate mark_resolved(struct shardc *sc, struct stm_record *r, enum fate unhandled)
{
#ifdef ESMSIM_INVARIANTS
    if (r->resolved)
        resolved_twice(sc, r);   /* aborts */
#else
    (void)sc;
#endif
    r->resolved = 1;
    return r->handled ? FATE_PROCESSED : unhandled;
}

/* The record leaves the stream: its message learns the fate (R17). */
static void resolve(struct shardc *sc, struct stm_record *r, enum fate unhandled)
{
    msg_record_done(sc->m->msgs, r->message_id, mark_resolved(sc, r, unhandled));
}

/* resolve for the records recs[0, n) in order, with one call of the
 * message table for each run of records of one fate (issue 15 item 1). */
static void resolve_set(struct shardc *sc, struct stm_record *const *recs, uint32_t n,
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

/*
 * The common end of an invocation (complete): the function handled the
 * whole set, which is checkpointed whole.  Its records in one walk, while
 * they are in the cache (the log's calls in between push them out): each
 * counted handled and resolved, so processed (R17), its sequence number
 * gathered for the deliveries log (m->seqs) and its message id for the
 * message table (m->ids, which checkpoint_prefix then tells).
 */
static void take_whole(struct lane *l, struct stm_record *const *recs)
{
    struct shardc *sc = l->sc;
    /* in locals: the records' byte stores could alias the mapping's fields */
    uint64_t *seqs = sc->m->seqs, *ids = sc->m->ids;
    for (uint32_t i = 0, n = l->batch.n; i < n; i++) {
        struct stm_record *r = recs[i];
        r->handled += r->handled < UINT8_MAX;
        mark_resolved(sc, r, FATE_PROCESSED);
        seqs[i] = r->seq;
        ids[i] = r->message_id;
    }
}

static void log_checkpoint(struct shardc *sc, uint64_t seq, enum ckpt_reason why)
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
    while (upto < sc->read_pos && rec_at(sc, upto)->resolved)
        upto++;
    if (upto == sc->done_pos)
        return;
    log_checkpoint(sc, rec_at(sc, upto - 1)->seq, why);
    sc->done_pos = upto;
    stm_release(sc->m->stream, sc->shard, upto);
}

static void advance(struct shardc *sc, enum ckpt_reason why)
{
    advance_from(sc, sc->done_pos, why);
}

/* advance after the set idx[0, n) (ascending) was resolved: when it starts
 * at the checkpoint with no gap (one lane, R10), the scan starts past it. */
static void advance_over(struct shardc *sc, const uint64_t *idx, uint32_t n, enum ckpt_reason why)
{
    bool prefix = n > 0 && idx[0] == sc->done_pos && idx[n - 1] - idx[0] == n - 1;
    advance_from(sc, prefix ? idx[n - 1] + 1 : sc->done_pos, why);
}

/* Give fate f to the records of [done_pos, upto) that have none yet (they
 * are in no batch) and move past them; returns how many got it. */
static uint64_t skip_to(struct shardc *sc, uint64_t upto, enum fate f, enum ckpt_reason why)
{
    uint64_t n = 0;
    for (uint64_t i = sc->done_pos; i < upto; i++) {
        struct stm_record *r = rec_at(sc, i);
        if (!r->resolved) {
            resolve(sc, r, f);
            n++;
        }
    }
    if (sc->read_pos < upto)
        sc->read_pos = upto;
    advance(sc, why);
    return n;
}

/* ---- a lane's queue (R10) ----------------------------------------------- */

static inline uint64_t idxq_at(const struct idxq *q, uint64_t i)
{
    return q->v[(q->head + i) & (q->cap - 1)];
}

/* The event bytes of the i-th queued record. */
static inline uint64_t idxq_size(const struct idxq *q, uint64_t i)
{
    return q->size[(q->head + i) & (q->cap - 1)];
}

/* Double the queue's room; false when out of memory.  Out of line: rare,
 * and the pushes of every record read stay short. */
COLD static bool idxq_grow(struct idxq *q)
{
    uint64_t cap = q->cap ? q->cap * 2 : 64;
    uint64_t *v = malloc(cap * sizeof *v), *sz = malloc(cap * sizeof *sz);
    if (!v || !sz) {
        free(v);
        free(sz);
        return false;
    }
    for (uint64_t i = 0; i < q->len; i++) {
        v[i] = idxq_at(q, i);
        sz[i] = idxq_size(q, i);
    }
    free(q->v);
    free(q->size);
    q->v = v;
    q->size = sz;
    q->cap = cap;
    q->head = 0;
    return true;
}

/* Room in the queue for n more records; false when out of memory. */
static inline bool idxq_reserve(struct idxq *q, uint64_t n)
{
    while (q->cap - q->len < n)
        if (!idxq_grow(q))
            return false;
    return true;
}

/* Queue record idx, whose bytes in the event are size, in room reserved. */
static inline void idxq_put(struct idxq *q, uint64_t idx, uint64_t size)
{
    uint64_t j = (q->head + q->len++) & (q->cap - 1);
    q->v[j] = idx;
    q->size[j] = size;
    q->bytes += size;
}

/* The first n queued record indexes into out: the ring's two pieces. */
static void idxq_copy(const struct idxq *q, uint64_t n, uint64_t *out)
{
    uint64_t first = q->cap - q->head < n ? q->cap - q->head : n;
    memcpy(out, q->v + q->head, first * sizeof *out);
    memcpy(out + first, q->v, (n - first) * sizeof *out);
}

static void idxq_pop(struct idxq *q, uint64_t n)
{
    if (n == q->len)
        q->bytes = 0;            /* a batch took the whole queue */
    else
        for (uint64_t i = 0; i < n; i++)
            q->bytes -= idxq_size(q, i);
    q->head = (q->head + n) & (q->cap - 1);
    q->len -= n;
}

static void idxq_clear(struct idxq *q)
{
    q->head = q->len = q->bytes = 0;
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
        b->inherited = b->waiting_inherited[0];
        b->n_waiting--;
        memmove(b->waiting, b->waiting + 1, b->n_waiting * sizeof *b->waiting);
        memmove(b->waiting_inherited, b->waiting_inherited + 1,
                b->n_waiting * sizeof *b->waiting_inherited);
        b->attempts = 0;
    }
}

/* The current set becomes a new one (a split, R8): not an attempt, but
 * its records keep the count of the invocations they went through. */
static void batch_renew(struct batch *b)
{
    b->inherited += b->attempts;
    b->attempts = 0;
    b->payload_bytes = 0;
}

/* Split the current set in two halves, the first (n/2 records) to go
 * first; the split is not an attempt of either half (R8). */
static bool batch_split(struct batch *b)
{
    if (b->n < 2 || b->n_waiting == MAX_WAITING_SETS)
        return false;
    batch_renew(b);
    memmove(b->waiting + 1, b->waiting, b->n_waiting * sizeof *b->waiting);
    memmove(b->waiting_inherited + 1, b->waiting_inherited,
            b->n_waiting * sizeof *b->waiting_inherited);
    b->waiting[0] = b->n - b->n / 2;
    b->waiting_inherited[0] = b->inherited;
    b->n_waiting++;
    b->n /= 2;
    return true;
}

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

/* ---- discards (R6) ---------------------------------------------------- */

/* The Invoke call's HTTP status in an OnFailure responseContext: Lambda
 * answers 200 when the function ran (whatever it did), 413 when it refused
 * an event over 6 MB (RequestEntityTooLargeException). */
#define STATUS_INVOKED 200
#define STATUS_TOO_LARGE 413

/* Write the lane's pending OnFailure message, if any, with its own
 * requestId: 128 bits of the mapping's stream `mapping/on-failure`, so that
 * every message has its own id and a run gives the same ids every time. */
static void send_pending(struct lane *l)
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
static void discard_prefix(struct lane *l, uint32_t n, enum discard_condition cond,
                           const char *function_error)
{
    struct shardc *sc = l->sc;
    struct esm *m = sc->m;
    struct batch *b = &l->batch;
    const struct stm_record *first = rec_at(sc, b->idx[0]);
    const struct stm_record *last = rec_at(sc, b->idx[n - 1]);
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
        send_pending(l);
        l->pending = d;
        l->pending_batch = l->batch_no;
    }
    if (!m->bisect)
        send_pending(l);         /* nothing to consolidate */

    resolve_set(sc, set_records(l), n, FATE_DISCARDED);
    advance_over(sc, b->idx, n, CKPT_DISCARDED);
    batch_drop(b, n);
    if (b->n == 0)
        send_pending(l);         /* the batch is done */
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

/* Before every invocation: records of the set past the retention period
 * expire now, even if the stream could not trim them while they were in
 * flight.  Nothing is sent anywhere for them (R17). */
static void expire_stale(struct lane *l)
{
    struct shardc *sc = l->sc;
    struct esm *m = sc->m;
    struct batch *b = &l->batch;
    int64_t oldest_kept = eng_now(m->e) - stm_retention(m->stream);
    uint32_t stale = 0;
    while (stale < b->n && rec_at(sc, b->idx[stale])->arrival_us <= oldest_kept)
        resolve(sc, rec_at(sc, b->idx[stale++]), FATE_EXPIRED);
    if (stale == 0)
        return;
    send_pending(l);             /* expired records end a run of discards */
    m->stats.expired_records += stale;
    advance(sc, CKPT_EXPIRED);
    batch_drop(b, stale);
}

/* ---- tumbling windows (R15) -------------------------------------------- */

static inline bool windowed(const struct esm *m)
{
    return m->cfg->tumbling_window_us > 0;
}

static struct win_clock window_clock(const struct esm *m)
{
    return (struct win_clock){ .epoch_ms = m->model->epoch_ms,
                               .width_us = m->cfg->tumbling_window_us };
}

static int64_t window_of(const struct shardc *sc, const struct stm_record *r)
{
    const struct esm *m = sc->m;
    return win_index(m->model->epoch_ms, m->cfg->tumbling_window_us, r->arrival_us);
}

/* What the window adds to the lane's next event (0 without windows). */
static uint64_t window_event_bytes(const struct lane *l, bool final)
{
    const struct shardc *sc = l->sc;
    if (!windowed(sc->m))
        return 0;
    return win_lane_event_bytes(&l->win, strlen(sc->shard_id), sc->lev.arn_json_len, final);
}

/* The open window is over for this lane (win_lane_ends): a final
 * invocation is due. */
static bool window_ends(const struct lane *l)
{
    const struct shardc *sc = l->sc;
    const struct esm *m = sc->m;
    if (!windowed(m))
        return false;
    struct win_clock c = window_clock(m);
    const int64_t *next = l->queue.len > 0
        ? &rec_at((struct shardc *)sc, idxq_at(&l->queue, 0))->arrival_us : NULL;
    return win_lane_ends(&l->win, &c, next, sc->read_pos == stm_end(m->stream, sc->shard),
                         stm_shard_closed(m->stream, sc->shard), eng_now(m->e));
}

/* The final invocation succeeded: the window's result goes to the log. */
static void log_window(struct lane *l)
{
    struct esm *m = l->sc->m;
    struct win_clock c = window_clock(m);
    if (win_lane_close(&l->win, &c, m->keys, m->log, l->sc->shard_id, l->no,
                       l->invocation_id) < 0)
        eng_stop(m->e);          /* out of memory: stop, the run is incomplete */
    m->stats.windows++;
}

/* ---- batches (R2) ----------------------------------------------------- */

/* Sized in shard order, mostly: the memo spares most of the digit counts. */
static inline uint64_t record_event_bytes(struct shardc *sc, const struct stm_record *r)
{
    return lev_shard_record_bytes_memo(&sc->lev, &sc->size_memo, sc->m->stream, r);
}

/*
 * How many queued records the lane's next batch takes, and its payload: up
 * to BatchSize, cut before the event JSON would pass 6 MB.  *full says that
 * the batch cannot grow: waiting for the window would not change it.  A
 * record whose event alone is over 6 MB (Kinesis records may be 10 MiB) is
 * a batch of its own, which Lambda refuses (invoke()): it must not stall
 * its lane unseen (issue 11 item 2).
 */
static uint32_t batch_extent(struct lane *l, uint64_t *payload, bool *full)
{
    struct shardc *sc = l->sc;
    uint32_t limit = sc->m->cfg->batch_size;
    uint64_t avail = l->queue.len;
    uint64_t bytes = lev_envelope_bytes() + window_event_bytes(l, false);
    bool windows = windowed(sc->m);
    int64_t k = windows && avail > 0 ? window_of(sc, rec_at(sc, idxq_at(&l->queue, 0))) : 0;
    uint32_t n = 0;
    *full = false;
    if (!windows && avail > 0 && avail <= limit &&
        (avail == 1 || bytes + l->queue.bytes + (avail - 1) <= LEV_MAX_PAYLOAD_BYTES)) {
        /* The whole queue fits, so every shorter batch does: what the
         * record by record steps below come to, from the running total. */
        n = (uint32_t)avail;
        bytes += l->queue.bytes + (avail - 1);
    } else {
        while (n < limit && n < avail) {
            if (windows && window_of(sc, rec_at(sc, idxq_at(&l->queue, n))) != k) {
                *full = true;        /* R15: a batch never spans two windows */
                break;
            }
            uint64_t add = idxq_size(&l->queue, n) + (n > 0);
            if (bytes + add > LEV_MAX_PAYLOAD_BYTES && n > 0) {
                *full = true;
                break;
            }
            bytes += add;
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
    uint64_t payload;
    if (sc->n_lanes != m->cfg->parallelization_factor)
        return false;            /* a new factor waits for the batches to finish */
    uint32_t n = batch_extent(l, &payload, &full);

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
    idxq_copy(&l->queue, n, l->batch.idx);
    idxq_pop(&l->queue, n);
    l->batch.n = n;
    l->batch.attempts = l->batch.inherited = 0;
    l->batch.payload_bytes = payload;
    l->batch_no++;
    l->window_start_us = -1;
    if (windowed(m) && l->win.k == WIN_NONE)
        l->win.k = window_of(sc, rec_at(sc, l->batch.idx[0]));
    return true;
}

static uint64_t batch_payload(struct lane *l)
{
    uint64_t bytes = lev_envelope_bytes() + window_event_bytes(l, l->win.final);
    for (uint32_t i = 0; i < l->batch.n; i++)
        bytes += record_event_bytes(l->sc, rec_at(l->sc, l->batch.idx[i])) + (i > 0);
    return bytes;
}

/* ---- invocations ------------------------------------------------------ */

/*
 * The lane's invocation's event, as --dump-events and a real handler get it:
 * *ev (its records in m->event_records) and, with windows, *w with the state
 * the invocation is given, whose arrays *keys and *counts the caller frees.
 * False, with the run stopped, when out of memory.
 */
static bool build_event(struct lane *l, struct slog_event *ev, struct slog_event_window *w,
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
    lev_shard_records(m->stream, m->keys, sc->shard, l->batch.idx, l->batch.n, m->event_records);
    *ev = (struct slog_event){
        .source = &sc->lev.src,
        .records = m->event_records,
        .n_records = l->batch.n,
        .source_type = stm_source(m->stream),
    };
    /* R15: the window and the state the function is given */
    if (windowed(m)) {
        struct win_clock c = window_clock(m);
        if (win_lane_event(&l->win, &c, m->keys, w, keys, counts) < 0) {
            eng_stop(m->e);      /* out of memory: stop, the run is incomplete */
            return false;
        }
        ev->window = w;
    }
    return true;
}

/* The invocation's event and answer, for a sink that wants them. */
static void log_event(struct lane *l, const struct slog_invocation *inv)
{
    struct esm *m = l->sc->m;
    if (l->refused)
        return;                  /* the function never got this event */
    struct slog_event ev;
    struct slog_event_window w;
    const char **keys;
    uint64_t *counts;
    if (!build_event(l, &ev, &w, &keys, &counts))
        return;
    ev.inv = inv;
    ev.response = l->res.outcome == OUTCOME_SUCCESS ? &l->res.response : NULL;
    ev.timeout_us = l->res.timeout_us;
    ev.answer = l->res.answer;
    ev.answer_len = l->res.answer_len;
    m->log->event(m->log->event_ctx, &ev);
    free(keys);
    free(counts);
}

static void log_invocation(struct lane *l, int64_t end_us, enum outcome outcome,
                           int64_t age_us, const char *error)
{
    struct shardc *sc = l->sc;
    struct esm *m = sc->m;
    struct batch *b = &l->batch;
    bool throttled = outcome == OUTCOME_THROTTLED;
    /* AWS's metrics page: the age of the last record "when the event source
     * mapping sends the event to the function"; R14's age_us is at the end. */
    int64_t at_send_us = age_us < 0 ? -1 : l->start_us - rec_at(sc, b->idx[b->n - 1])->arrival_us;
    struct slog_invocation inv = {
        .invocation_id = l->invocation_id,
        .shard_id = sc->shard_id,
        .lane = l->no,
        .start_us = l->start_us,
        .end_us = end_us,
        .record_count = b->n,
        .payload_bytes = b->payload_bytes,
        .first_sequence_number = b->n ? rec_at(sc, b->idx[0])->seq : 0,   /* 0: a final */
        .last_sequence_number = b->n ? rec_at(sc, b->idx[b->n - 1])->seq : 0, /* window call */
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
    if (l->refused) {
        refuse(l);
    } else if (fn_real(m->fn)) {
        /* SPEC section 4: the handler gets the event now and runs while
         * virtual time goes on; its answer is collected at the end. */
        struct slog_event ev;
        struct slog_event_window w;
        const char **keys;
        uint64_t *counts;
        bool built = build_event(l, &ev, &w, &keys, &counts);
        int rc = built ? fn_submit(m->fn, l->invocation_id, now, cold, set_records(l), b->n, &ev,
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
        fn_invoke(m->fn, now, cold, fn_reads_records(m->fn) ? set_records(l) : NULL, b->n,
                  &l->scratch, &l->res);
    }
    l->state = LANE_IN_FLIGHT;
    schedule(l, now + l->res.duration_us, ENG_CLASS_COMPLETE, on_complete);
}

/* Resolve the first n records of the current set as checkpointed (R4, R7):
 * a record the function failed but the mapping took as done is lost.
 * taken: take_whole resolved them, their message ids in m->ids. */
static void checkpoint_prefix(struct lane *l, struct stm_record *const *recs, uint32_t n,
                              enum ckpt_reason why, bool taken)
{
    struct shardc *sc = l->sc;
    struct batch *b = &l->batch;
    send_pending(l);             /* a checkpoint ends a run of discards (R8) */
    if (taken)
        msg_records_done(sc->m->msgs, sc->m->ids, n, FATE_PROCESSED);
    else
        resolve_set(sc, recs, n, FATE_LOST);
    advance_over(sc, b->idx, n, why);
    batch_drop(b, n);
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
        if (k < res->n_failed && res->failed[k] == i) {
            k++;
            continue;
        }
        struct stm_record *r = recs[i];
        if (r->handled < UINT8_MAX)
            r->handled++;
        handled++;
        if (in_state && !res->state && win_state_add(l->win.state, m->keys, r->key_id) < 0)
            eng_stop(m->e);      /* out of memory: stop, the run is incomplete */
    }
    if (in_state && win_lane_returned(&l->win, res->state, res->state_len, handled) < 0)
        eng_stop(m->e);          /* out of memory: stop, the run is incomplete */
}

/* Each record of the lane's invocation, and whether the function handled it
 * ([0, reached) but the failed positions, ascending): one call per run of
 * records of the same flag, their sequence numbers in the mapping's seqs
 * (free once the verdict is judged; with taken, take_whole put them
 * there).  Logged once the result is known: at the end (a real handler
 * answers then), or when the run ends with the invocation in flight. */
static void log_deliveries(const struct lane *l, struct stm_record *const *recs, bool taken)
{
    const struct shardc *sc = l->sc;
    const struct slog *log = sc->m->log;
    const struct fn_result *res = &l->res;
    uint64_t *seqs = sc->m->seqs;
    if (!log->per_record)
        return;
    if (res->n_failed == 0 && res->reached >= l->batch.n) {
        /* the common end, the whole set handled: one run (with taken, its
         * sequence numbers are in seqs already: take_whole) */
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
        bool failed = f < res->n_failed && res->failed[f] == i;
        f += failed;
        bool handled = i < res->reached && !failed;
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
    if (windowed(m) && !l->res.returned_state) {
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
        poll_shard(l->sc, false);
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

    /* the set's records, looked up once for this event (issue 15 item 1) */
    struct stm_record **recs = set_records(l);
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
    int64_t age_us = b->n > 0 ? now - recs[b->n - 1]->arrival_us : -1;
    mtr_invocation(sc->metrics, age_us);

    enum outcome shown = l->res.outcome;
    if (shown == OUTCOME_SUCCESS && v != RSP_FULL_SUCCESS)
        shown = v == RSP_PARTIAL ? OUTCOME_PARTIAL : OUTCOME_ERROR;
    /* The common end: every record handled, the set checkpointed whole
     * below; its records are counted handled and resolved now, in one walk
     * (nothing reads those marks in between). */
    bool handled_whole = v == RSP_FULL_SUCCESS && !l->win.final && !windowed(m) &&
                         l->res.n_failed == 0 && l->res.reached == b->n;
    if (handled_whole)
        take_whole(l, recs);
    log_deliveries(l, recs, handled_whole);
    log_invocation(l, now, shown, age_us, shown == OUTCOME_SUCCESS ? NULL : why);
    /* after the log: a dumped event shows the state the function was given */
    if (!handled_whole)
        mark_handled(l, recs, windowed(m) && v != RSP_FULL_FAILURE);
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
        /* R7: checkpoint before the lowest failure, retry from it.  With
         * bisect that is a split (R8): the rest is a new set, not a retry. */
        if (first_failed > 0) {
            checkpoint_prefix(l, recs, first_failed, CKPT_PARTIAL, false);
            if (m->bisect)
                batch_renew(b);
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
    check_shard(l->sc);
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
    poll_shard(l->sc, false);
    check_shard(l->sc);
}

/* A retry or throttle backoff is over. */
static void on_wake(void *ctx, uint64_t gen)
{
    struct lane *l = ctx;
    if (!backoff_over(l, gen))
        return;
    dispatch(l);
    check_shard(l->sc);
}

/* The end of a batching window. */
static void on_window(void *ctx, uint64_t gen)
{
    struct lane *l = ctx;
    l->window_timer = false;
    if (gen == l->gen)
        dispatch(l);
    check_shard(l->sc);
}

/* Start the lane's next invocation if it is idle and has records for it. */
static void dispatch(struct lane *l)
{
    struct batch *b = &l->batch;
    while (l->state == LANE_IDLE && l->sc->m->cfg->enabled) {
        if (b->n == 0 && !l->win.final) {
            if (window_ends(l)) {
                l->win.final = true;     /* R15: the final invocation, no records */
                b->attempts = b->inherited = 0;
                b->payload_bytes = 0;
            } else if (!take_batch(l)) {
                maybe_end(l->sc);
                return;
            }
        }
        if (b->n > 0) {
            uint32_t before = batch_total(b);
            expire_stale(l);
            discard_too_old(l);
            if (batch_total(b) != before)
                continue;        /* look again at what is left, or what follows */
        }
        if (b->payload_bytes == 0)
            b->payload_bytes = batch_payload(l);
        invoke(l);
    }
}

/* ---- polling (R1) and starting positions (R13) ------------------------- */

/* The lane of a record (R10; see the choice in the header), hashes being
 * keytab_hashes(): a read of the key table, at random, unless one lane. */
static inline uint32_t lane_of(const struct shardc *sc, const struct hashkey *hashes,
                               const struct stm_record *r)
{
    if (sc->n_lanes == 1)
        return 0;
    return (uint32_t)(hashes[r->key_id].lo % sc->n_lanes);
}

/* With one lane, room in its queue for n records at once (enqueue then
 * checks none); false (the run stopped) when out of memory. */
static bool reserve_one_lane(struct shardc *sc, uint64_t n)
{
    if (sc->n_lanes > 1 || idxq_reserve(&sc->lanes[0].queue, n))
        return true;
    eng_stop(sc->m->e);          /* out of memory: stop, the run is incomplete */
    return false;
}

/* Queue record i (r) in its lane, sized with memo (the shard's, or the
 * caller's copy of it); false (the run stopped) when out of memory.  With
 * one lane, the caller reserved the room (reserve_one_lane), and one, when
 * not NULL, is its copy of that lane's queue, to queue into instead. */
static inline bool enqueue(struct shardc *sc, const struct stm *stream,
                           const struct hashkey *hashes, struct lev_size_memo *memo, uint64_t i,
                           const struct stm_record *r, struct idxq *one)
{
    uint64_t size = lev_shard_record_bytes_memo(&sc->lev, memo, stream, r);
    if (one) {
        idxq_put(one, i, size);
        return true;
    }
    struct lane *l = &sc->lanes[lane_of(sc, hashes, r)];
    if (sc->n_lanes > 1 && !idxq_reserve(&l->queue, 1)) {
        eng_stop(sc->m->e);      /* out of memory: stop, the run is incomplete */
        return false;
    }
    idxq_put(&l->queue, i, size);
    return true;
}

/* The sum of the delays of records [from, to) read at at_us, as doubles
 * added up record by record make it: the integer sum sum when every delay
 * is non-negative (neg >= 0; a record is read after its arrival) and the
 * n of them at most max each stay below 2^53 (then each partial sum is an
 * integer a double holds, so each addition was exact, and sum did not
 * overflow), else the doubles added in order. */
static double delay_sum(struct shardc *sc, uint64_t from, uint64_t to, int64_t at_us,
                        uint64_t sum, int64_t neg, int64_t max)
{
    uint64_t n = to - from;
    if (neg >= 0 && (n == 0 || (uint64_t)max <= ((UINT64_C(1) << 53) - 1) / n))
        return (double)sum;
    double d = 0;
    for (uint64_t i = from; i < to; i++)
        d += (double)(at_us - rec_at(sc, i)->arrival_us);
    return d;
}

/* What deal adds up of the delays of the records it reads (R1). */
struct delays {
    uint64_t sum;                /* wraps only when delay_sum does not use it */
    int64_t neg;                 /* the delays or'ed: negative when one is */
    int64_t max;                 /* the largest, or 0 */
};

/* deal's loop: records [from, to) queued in their lanes, or, with one (a
 * copy of the single lane's queue, in room reserved), in it, and their
 * delays added to *d.  Inline in two copies: the one-lane loop keeps the
 * queue's fields in registers, which the stores of its slots would
 * otherwise make it load again record after record.  False when the run
 * stopped. */
static inline __attribute__((always_inline)) bool
deal_records(struct shardc *sc, uint64_t from, uint64_t to, int64_t at_us,
             struct idxq *one, struct lev_size_memo *memo, struct delays *d)
{
    struct esm *m = sc->m;
    struct stm *stream = m->stream;   /* in a register: the memo's refill is a call */
    const struct hashkey *hashes = keytab_hashes(m->keys);
    uint64_t sum = 0;
    int64_t neg = 0, max = 0;
    for (uint64_t i = from, n; i < to; ) {
        const struct stm_record *r = stm_piece(stream, sc->shard, i, to, &n);
        for (uint64_t end = i + n; i < end; i++, r++) {
            /* R10: the key's hash a few records on, asked for now (issue 15 item 1) */
            if (!one && i + LANE_AHEAD < to)
                PREFETCH(&hashes[rec_at(sc, i + LANE_AHEAD)->key_id]);
            int64_t delay = at_us - r->arrival_us;
            sum += (uint64_t)delay;
            neg |= delay;
            if (delay > max)
                max = delay;
            if (!enqueue(sc, stream, hashes, memo, i, r, one))
                return false;
        }
    }
    *d = (struct delays){ .sum = sum, .neg = neg, .max = max };
    return true;
}

/* Records [from, to) were read now: deal them out to their lanes, and log
 * the read with how long they took to get here (R1's propagation delay).
 * The delays are added as integers: a chain of double additions, a record
 * each, was most of the loop's time (issue 15 item 1). */
static void deal(struct shardc *sc, uint64_t from, uint64_t to)
{
    struct esm *m = sc->m;
    struct slog_read rd = { .shard_id = sc->shard_id, .at_us = eng_now(m->e) };
    struct delays d;
    if (!reserve_one_lane(sc, to - from))
        return;                  /* the run stopped */
    /* The memo in a local: the queues' stores might alias the shard's, which
     * the loop would then read again record after record. */
    struct lev_size_memo memo = sc->size_memo;
    if (sc->n_lanes == 1) {
        struct idxq one = sc->lanes[0].queue;
        deal_records(sc, from, to, rd.at_us, &one, &memo, &d);   /* in room reserved: true */
        sc->lanes[0].queue = one;
    } else if (!deal_records(sc, from, to, rd.at_us, NULL, &memo, &d)) {
        return;                  /* the run stopped */
    }
    sc->size_memo = memo;
    rd.records = (uint32_t)(to - from);
    rd.delay_max_us = d.max;
    rd.delay_sum_us = delay_sum(sc, from, to, rd.at_us, d.sum, d.neg, d.max);
    if (m->log->ops->read)
        m->log->ops->read(m->log->ctx, &rd);
}

/* R16: once no lane of the shard holds a batch, its queued records are
 * dealt again to the lanes of the new factor. */
static void relane(struct shardc *sc)
{
    uint32_t factor = sc->m->cfg->parallelization_factor;
    for (uint32_t i = 0; i < sc->n_lanes; i++) {
        const struct lane *l = &sc->lanes[i];
        if (l->batch.n > 0 || l->state == LANE_IN_FLIGHT)
            return;
    }
    for (uint32_t i = 0; i < sc->n_lanes; i++)
        idxq_clear(&sc->lanes[i].queue);
    sc->n_lanes = factor;
    /* Everything fetched and not resolved was queued. */
    const struct hashkey *hashes = keytab_hashes(sc->m->keys);
    if (!reserve_one_lane(sc, sc->read_pos - sc->done_pos))
        return;
    for (uint64_t i = sc->done_pos; i < sc->read_pos; i++) {
        const struct stm_record *r = rec_at(sc, i);
        if (!r->resolved && !enqueue(sc, sc->m->stream, hashes, &sc->size_memo, i, r, NULL))
            return;
    }
}

/* Some idle lane has too few records queued for a full batch. */
static bool wants_records(const struct shardc *sc)
{
    for (uint32_t i = 0; i < sc->n_lanes; i++) {
        const struct lane *l = &sc->lanes[i];
        if (l->state == LANE_IDLE && l->queue.len < sc->m->cfg->batch_size)
            return true;
    }
    return false;
}

/* Records [read_pos, to) are read now: AT_TIMESTAMP skips those before its
 * timestamp (R13), the others go to their lanes. */
static void take_read(struct shardc *sc, uint64_t to)
{
    struct esm *m = sc->m;
    uint64_t from = sc->read_pos;
    sc->read_pos = to;
    if (sc->skip_before_ts) {
        while (from < to && rec_at(sc, from)->arrival_us < m->cfg->starting_timestamp_us)
            from++;
        m->stats.missed_records += skip_to(sc, from, FATE_MISSED, CKPT_STARTING_POSITION);
        sc->skip_before_ts = from == to;
    }
    deal(sc, from, to);
}

/*
 * Read the shard if a lane wants records, then start every lane that can.
 * The tick is the base rate (R1; with EFO it reads what was pushed, no
 * call); between ticks a poll after a batch reads only while records are
 * waiting in the shard, so that fast lanes on a quiet shard do not spend
 * the shard's 5 GetRecords a second on empty calls.
 */
static void poll_shard(struct shardc *sc, bool tick)
{
    struct esm *m = sc->m;
    if (!sc->polling || sc->ended || !m->cfg->enabled)
        return;
    if (sc->n_lanes != m->cfg->parallelization_factor)
        relane(sc);
    uint64_t to;
    enum rdr_result got = wants_records(sc) ? rdr_read(m->reader, sc->shard, sc->read_pos, tick, &to)
                                            : RDR_NONE;
    if (got == RDR_READ) {
        take_read(sc, to);
    } else if (got == RDR_THROTTLED && m->log->ops->read) {
        struct slog_read rd = { .shard_id = sc->shard_id, .at_us = eng_now(m->e), .throttled = true };
        m->log->ops->read(m->log->ctx, &rd);
    }
    for (uint32_t i = 0; i < sc->n_lanes; i++)
        dispatch(&sc->lanes[i]);
}

/* The reader says records may be read now (enhanced fan-out's push). */
static void on_readable(void *ctx, uint32_t shard)
{
    struct esm *m = ctx;
    poll_shard(m->shards[shard], false);
    check_shard(m->shards[shard]);
}

static void on_tick(void *ctx, uint64_t arg)
{
    struct shardc *sc = ctx;
    struct esm *m = sc->m;
    poll_shard(sc, true);
    check_shard(sc);
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
static void start_shard(struct shardc *sc)
{
    struct esm *m = sc->m;
    sc->polling = true;
    sc->done_pos = sc->read_pos = stm_begin(m->stream, sc->shard);
    if (sc->shard < m->shards_at_begin && m->cfg->starting_position == CFG_START_LATEST)
        m->stats.missed_records += skip_to(sc, stm_end(m->stream, sc->shard), FATE_MISSED,
                                           CKPT_STARTING_POSITION);
    sc->skip_before_ts = m->cfg->starting_position == CFG_START_AT_TIMESTAMP;
    on_tick(sc, 0);
}

/* The shard may start now: the mapping reads, and its parents are finished
 * unless the consumer does not wait for them (R12). */
static bool can_start(const struct shardc *sc)
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

/* Start every shard that can start, in index order (parents first). */
static void start_ready_shards(struct esm *m)
{
    for (uint32_t s = 0; s < m->n_shards; s++)
        if (can_start(m->shards[s]))
            start_shard(m->shards[s]);
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
    check_all(ctx);
}

/* Parent arg finished: its children may start, after the event that
 * finished it is over. */
static void on_parent_ended(void *ctx, uint64_t arg)
{
    struct esm *m = ctx;
    const struct shardc *parent = m->shards[arg];
    for (uint32_t i = 0; i < parent->n_children; i++) {
        struct shardc *child = m->shards[parent->children[i]];
        if (can_start(child))
            start_shard(child);
    }
    check_all(m);
}

/* R12: once a closed shard is read to its end, every record resolved, its
 * lanes idle and its windows closed, it is finished; the checkpoint at its
 * last record says so (none for a shard that never had a record). */
static void maybe_end(struct shardc *sc)
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
        log_checkpoint(sc, sc->checkpoint_seq, CKPT_SHARD_END);
    shardc_retire(sc);
    if (m->model->wait_for_parent_shards &&
        eng_schedule(m->e, eng_now(m->e), ENG_CLASS_POLL, on_parent_ended, m, sc->shard) < 0)
        eng_stop(m->e);
}

/* ---- retention (the stream asks) -------------------------------------- */

static uint64_t pinned(void *ctx, uint32_t shard)
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
        send_pending(l);         /* expired records end a run of discards (R8) */
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
}

/* Records [from, to) are trimmed unprocessed: they expire (R17).  None is
 * in flight: the stream does not trim what pinned() holds. */
static void expire(void *ctx, uint32_t shard, uint64_t from, uint64_t to)
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
                if (rec_at(sc, missed)->arrival_us >= m->cfg->starting_timestamp_us)
                    break;
        m->stats.missed_records += skip_to(sc, missed, FATE_MISSED, CKPT_STARTING_POSITION);
    }
    /* Read or not (a child waiting for its parent, R12), they are lost. */
    for (uint32_t i = 0; i < sc->n_lanes; i++)
        lane_forget(&sc->lanes[i], to);
    m->stats.expired_records += skip_to(sc, to, FATE_EXPIRED, CKPT_EXPIRED);
    maybe_end(sc);
    check_shard(sc);
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
            oldest = (double)(now - rec_at(sc, sc->done_pos)->arrival_us) / ENG_US_PER_MS;
        mtr_sample(sc->metrics, log, now, oldest, sc->ended);
    }
    log->ops->metric(log->ctx, now, "concurrent_executions", NULL, fn_running(m->fn));
    check_all(m);
    if (eng_schedule(m->e, now + m->model->sample_interval_us, ENG_CLASS_SAMPLE,
                     on_sample, m, arg) < 0)
        eng_stop(m->e);
}

/* ---- life cycle ------------------------------------------------------- */

static void shardc_destroy(struct shardc *sc);

/* The mapping's side of shard s, its lanes idle and empty; NULL when out of
 * memory.  Polling starts with start_shard(). */
static struct shardc *shardc_create(struct esm *m, uint32_t s)
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
        if (windowed(m) && !(l->win.state = win_state_create())) {
            shardc_destroy(sc);
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
        free(l->queue.size);
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
static void shardc_retire(struct shardc *sc)
{
    mtr_retire(sc->metrics);
    lanes_free(sc);
}

static void shardc_destroy(struct shardc *sc)
{
    if (!sc)
        return;
    lanes_free(sc);
    free(sc->lanes);
    mtr_shard_destroy(sc->metrics);
    free(sc);
}

/* ---- resharding (the stream tells, R12) --------------------------------- */

/* A child shard opened: the mapping's side of it, started now if its
 * parents are finished (or the consumer does not wait). */
static void shard_opened(void *ctx, uint32_t shard)
{
    struct esm *m = ctx;
    uint32_t n = stm_shard_count(m->stream);
    struct shardc **shards = realloc(m->shards, n * sizeof *shards);
    if (shards)
        m->shards = shards;
    struct esm_shard_stats *stats = realloc(m->shard_stats, n * sizeof *stats);
    if (stats)
        m->shard_stats = stats;
    if (!shards || !stats || rdr_grow(m->reader, n) < 0) {
        eng_stop(m->e);          /* out of memory: stop, the run is incomplete */
        return;
    }
    while (m->n_shards < n) {
        uint32_t s = m->n_shards;
        if (!(m->shards[s] = shardc_create(m, s))) {
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
    if (can_start(m->shards[shard]))
        start_shard(m->shards[shard]);
    check_all(m);
}

/* A record was written: a reader that pushes (enhanced fan-out) hears of it
 * while the shard is read. */
static void written(void *ctx, uint32_t shard)
{
    struct esm *m = ctx;
    if (shard < m->n_shards && m->shards[shard]->polling)   /* else out of memory */
        rdr_written(m->reader, shard);
}

/* A parent closed: once read to its end it is finished. */
static void shard_closed(void *ctx, uint32_t shard)
{
    struct esm *m = ctx;
    if (shard < m->n_shards) {   /* else out of memory: the run is stopping */
        maybe_end(m->shards[shard]);
        check_shard(m->shards[shard]);
    }
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
        if (!(m->shards[s] = shardc_create(m, s)))
            goto nomem;
    m->begin_at_us = start;
    if (eng_schedule(e, start, ENG_CLASS_POLL, on_begin, m, 0) < 0 ||
        eng_schedule(e, model->sample_interval_us, ENG_CLASS_SAMPLE, on_sample, m, 0) < 0)
        goto nomem;
    struct stm_consumer consumer = {
        .ctx = m, .pinned = pinned, .expire = expire,
        .shard_opened = shard_opened, .shard_closed = shard_closed,
        .written = rdr_wants_writes(m->reader) ? written : NULL,
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
        shardc_destroy(m->shards[s]);
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
            send_pending(&sc->lanes[i]);   /* a run of discards ends with the run */
            if (sc->lanes[i].state == LANE_IN_FLIGHT)   /* delivered, never completed */
                log_deliveries(&sc->lanes[i], set_records(&sc->lanes[i]), false);
        }
        uint64_t end = stm_end(m->stream, s);
        for (uint64_t i = stm_begin(m->stream, s); i < end; i++) {
            struct stm_record *r = rec_at(sc, i);
            if (!r->resolved)
                resolve(sc, r, FATE_PENDING);
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
            poll_shard(m->shards[s], false);
    start_ready_shards(m);
}

void esm_update(struct esm *m, const struct cfg_mapping *cfg)
{
    update(m, cfg);
    check_all(m);
}

void esm_stats(struct esm *m, struct esm_stats *out)
{
    for (uint32_t s = 0; s < m->n_shards; s++)
        mtr_stats(m->shards[s]->metrics, &m->shard_stats[s]);
    *out = m->stats;
    out->n_shards = m->n_shards;
    out->shards = m->shard_stats;
}

/* ---- invariants (issue 13 item 5), in the checking build only ------------ */

#ifdef ESMSIM_INVARIANTS
#include <stdarg.h>

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

static void resolved_twice(const struct shardc *sc, const struct stm_record *r)
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
    struct stm_record *r = rec_at((struct shardc *)sc, idx);
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
    uint32_t lane = lane_of(sc, keytab_hashes(sc->m->keys), r);
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
    uint32_t total = batch_total(b);
    if (total > l->batch_cap || b->n_waiting > MAX_WAITING_SETS || (b->n == 0 && b->n_waiting))
        violated(sc, l->no, "a batch fits its buffers",
                 "%u records (current set %u, %u sets waiting), room for %u", total, b->n,
                 b->n_waiting, l->batch_cap);
    uint64_t prev = UINT64_MAX;
    for (uint32_t i = 0; i < total; i++, prev = b->idx[i - 1])
        check_held(l, b->idx[i], prev);
    uint64_t bytes = 0;
    for (uint64_t i = 0; i < l->queue.len; i++, prev = idxq_at(&l->queue, i - 1)) {
        check_held(l, idxq_at(&l->queue, i), prev);
        uint64_t size = idxq_size(&l->queue, i);
        struct stm_record *r = rec_at((struct shardc *)sc, idxq_at(&l->queue, i));
        uint64_t want = lev_shard_record_bytes(&sc->lev, sc->m->stream, r);   /* no memo */
        if (size != want)
            violated(sc, l->no, "a queued record carries its bytes in the event (R2)",
                     "record %llu: %llu, its event object %llu", (unsigned long long)r->seq,
                     (unsigned long long)size, (unsigned long long)want);
        bytes += size;
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
static void check_shard(const struct shardc *sc)
{
    const struct esm *m = sc->m;
    if (eng_stopped(m->e) || !sc->polling)
        return;
    if (sc->done_pos > sc->read_pos || sc->n_lanes == 0 || sc->n_lanes > m->max_lanes)
        violated(sc, -1, "checkpoint <= read position, lanes within the largest factor",
                 "checkpoint index %llu, read index %llu, %u lanes of %u",
                 (unsigned long long)sc->done_pos, (unsigned long long)sc->read_pos,
                 sc->n_lanes, m->max_lanes);
    if (sc->done_pos < sc->read_pos && rec_at((struct shardc *)sc, sc->done_pos)->resolved)
        violated(sc, -1, "the checkpoint is at the end of the resolved prefix",
                 "record %llu at index %llu, next to the checkpoint, is resolved",
                 (unsigned long long)rec_at((struct shardc *)sc, sc->done_pos)->seq,
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
        unresolved += !rec_at((struct shardc *)sc, i)->resolved;
    if (held != unresolved)
        violated(sc, -1, "every unresolved record read is in exactly one lane",
                 "%llu unresolved in [%llu, %llu), the lanes hold %llu",
                 (unsigned long long)unresolved, (unsigned long long)sc->done_pos,
                 (unsigned long long)sc->read_pos, (unsigned long long)held);
}

static void check_all(const struct esm *m)
{
    for (uint32_t s = 0; s < m->n_shards; s++)
        check_shard(m->shards[s]);
}

void esm_check_invariants(const struct esm *m)
{
    check_all(m);
}

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
        sc->checkpoint_seq = rec_at(sc, l->batch.idx[l->batch.n - 1])->seq;
        break;
    case ESM_FAULT_RESOLVED_TWICE:  /* two paths give the same record its fate */
        resolve(sc, rec_at(sc, l->batch.idx[0]), FATE_LOST);
        resolve(sc, rec_at(sc, l->batch.idx[0]), FATE_DISCARDED);
        break;
    case ESM_FAULT_GENERATION:      /* a backoff's timer goes stale: the lane hangs */
        l->gen++;
        break;
    case ESM_FAULT_LOST:            /* a queued record falls out of its lane */
        idxq_pop(&l->queue, 1);
        break;
    case ESM_FAULT_QUEUE_BYTES:     /* the running total of the queue drifts */
        l->queue.bytes++;
        break;
    case ESM_FAULT_ORDER:           /* two queued records swap */
        for (uint64_t *a = l->queue.v; a; a = a == l->queue.v ? l->queue.size : NULL) {
            tmp = a[l->queue.head];
            a[l->queue.head] = a[(l->queue.head + 1) & (l->queue.cap - 1)];
            a[(l->queue.head + 1) & (l->queue.cap - 1)] = tmp;
        }
        break;
    }
    check_all(m);
}

int esm_inject_fault(struct esm *m, int64_t at_us, enum esm_fault f)
{
    return eng_schedule(m->e, at_us, ENG_CLASS_TOPOLOGY, on_fault, m, (uint64_t)f);
}
#endif
