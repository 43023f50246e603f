/*
 * mapping_int.h - what the parts of the event source mapping (mapping.h)
 * share, and only they include: the mapping's structs (the mapping, its view
 * of a shard, a lane, the lane's queue and batch), the small helpers that
 * their hot loops inline, and the functions one part calls in another.
 *
 * The Lambda event source mapping on a Kinesis stream or a
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
 * array of indexes (or a run of consecutive ones), so that it can be cut
 * (age check, partial response) or split (bisect); an event that works
 * through a set looks its records up once (esm_set_records), and its
 * messages learn their fates a run of one fate at a time (esm_resolve_set).
 * Lanes finish records out of shard order, so each record says when it has
 * its fate (`resolved`), and the shard's checkpoint is the end of the
 * resolved prefix (R10).
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
 *
 * The parts, from the top down (each calls only those below it):
 *
 *   mapping_life.c       life cycle, beginning (R13), updates (R16), the
 *                        metrics sample (R14), the summary's figures
 *   mapping_stream.c     the stream's consumer: a child shard opened, a parent
 *                        closed (R12), a record written; what the mapping
 *                        pins, what expires (R17)
 *   mapping_lane.c       a shard's poll loop and its lanes at work: batches
 *                        (R2), invocations, completion (R4, R5, R7, R8),
 *                        throttles (R9), windows (R15), a shard's end (R12)
 *   mapping_deal.c       records read dealt to their lanes (R1, R10, R13)
 *   mapping_event.c      an invocation's row in the log and its event
 *   mapping_discard.c    discards and OnFailure messages (R6, R8), records
 *                        too old or past retention before an invocation
 *   mapping_shard.c      a shard's checkpoint and its records' fates (R4,
 *                        R10, R17); its making, retiring and freeing
 *   mapping_check.c      the invariants, in the checking build (issue 13)
 *   mapping_batch.c      the sets of a lane's batch (R8)
 *
 * Names: esm_ for the public face and for the functions one part calls in
 * another (esm_batch_* and esm_shardc_* for those of a batch and of a
 * shard's view) and for the inline helpers below (esm_lane_of,
 * esm_window_of ...); idxq_ and shardc_at for the queue's and the shard's
 * inline helpers.
 */
#ifndef ESMSIM_MAPPING_INT_H
#define ESMSIM_MAPPING_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "engine.h"
#include "function.h"
#include "keytab.h"
#include "lambda_event_shard.h"
#include "mapping.h"
#include "metrics.h"
#include "prefetch.h"
#include "stream.h"
#include "window.h"

/* Bisect halves waiting behind the current set: each split of a set of n
 * records adds one, and BatchSize <= 10,000 allows 14 splits in a row. */
#define MAX_WAITING_SETS 32

/*
 * The records a lane holds: the current set idx[0..n) (invoked, retried,
 * discarded as one), then the sets that bisection left waiting behind it
 * (R8), in order.  Attempts count the invocations of the current set (R5).
 */
struct batch {
    uint64_t *idx;          /* listed: record indexes in the shard, in sequence order */
    uint64_t first;         /* not listed: the first set's first index */
    bool listed;            /* the indexes are in idx; false: consecutive from first
                               (esm_batch_at), taken from a queue that was a run */
    uint32_t n;             /* records in the current set */
    uint32_t attempts;      /* invocations of the current set so far (R5) */
    uint32_t inherited;     /* invocations of the sets it was split from (R8): with
                               attempts, what its records went through */
    uint64_t payload_bytes; /* event JSON size of the current set (R2); 0: to compute */
    uint32_t waiting[MAX_WAITING_SETS];   /* sizes of the sets behind it, next first */
    uint32_t waiting_inherited[MAX_WAITING_SETS];   /* and their inherited counts */
    uint32_t n_waiting;
};

/* The index of the batch's i-th record (the current set's first, then the
 * sets waiting).  A batch taken from a queue of consecutive indexes (not
 * listed, struct idxq) is first, first + 1 ...: its indexes are not copied
 * (callgrind, 5 minutes of the bench: the copy was ~12 M instructions). */
static inline uint64_t esm_batch_at(const struct batch *b, uint32_t i)
{
    return b->listed ? b->idx[i] : b->first + i;
}

/* A lane's fetched records not yet in its batch: record indexes in shard
 * order, in a ring that doubles when full, and the running total of their
 * bytes in the event (R2), each record sized once when queued: the next
 * batch's extent is then the whole queue's in one step, however many polls
 * look at it before it is taken (a batching window).  A record's own size
 * is worked out again only when a batch takes part of the queue (its
 * record by record steps, batch_extent): not kept per record, the sizes of
 * a put's run of records (one arrival, as many data bytes) add up a run at
 * a time (mapping_deal.c, kinesis_sizes).  While the indexes are
 * consecutive (a lane alone in its shard queues each read's stretch whole,
 * after the last), they are first, first + 1 ... and the ring of indexes is
 * not written (listed false): the batch's are not copied (the same
 * instructions, callgrind; a stream of memory less: esm_poll_shard 8.8% to
 * 8.1% of the simulation thread's cpu-clock samples, 5 minutes of the
 * bench, 8 runs each). */
struct idxq {
    uint64_t *v;             /* listed: the indexes */
    uint64_t cap;            /* a power of two, or 0 */
    uint64_t head, len;
    uint64_t bytes;          /* the sum of the queued records' sizes */
    uint64_t first;          /* not listed: the first queued index */
    bool listed;             /* the indexes are in v; false: consecutive from first */
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
    /* What the checker (mapping_check.c) needs to know of the lane's timers */
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
    struct stm_record **scratch;     /* a lane's current set's records (esm_set_records) */
    uint64_t *seqs;                  /* a set's sequence numbers, for R7 and esm_log_deliveries */
    uint64_t *ids;                   /* a set's message ids, for esm_resolve_set */
    uint32_t max_batch;              /* the largest BatchSize of the run (R16) */
    uint32_t max_lanes;              /* the largest ParallelizationFactor of the run */
    struct slog_event_record *event_records;   /* when the log wants events or a real
                                                  handler gets them; made on first use */
    uint64_t next_invocation_id;
    bool bisect;                     /* BisectBatchOnFunctionError (R8) */
    gsl_rng *rng_throttle;           /* jitter of the throttle backoff (R9) */
    gsl_rng *rng_on_failure;         /* requestIds of the OnFailure messages (R6) */
    struct esm_stats stats;
    struct mtr_shard_stats *shard_stats;
};

#ifdef ESMSIM_INVARIANTS
void esm_check_shard(const struct shardc *sc);
void esm_check_all(const struct esm *m);
void esm_resolved_twice(const struct shardc *sc, const struct stm_record *r);
#else
/* The optimised build checks nothing: these cost nothing. */
static inline void esm_check_shard(const struct shardc *sc) { (void)sc; }
static inline void esm_check_all(const struct esm *m) { (void)m; }
#endif

static inline struct stm_record *shardc_at(struct shardc *sc, uint64_t idx)
{
    return stm_at(sc->m->stream, sc->shard, idx);
}

/* ---- a lane's queue (R10) ----------------------------------------------- */

/* Records are queued only where they are dealt (mapping_deal.c), which
 * grows the queue; the rest of its operations are these. */

static inline uint64_t idxq_at(const struct idxq *q, uint64_t i)
{
    return q->listed ? q->v[(q->head + i) & (q->cap - 1)] : q->first + i;
}

/* The indexes written out into v: the next one queued does not follow
 * them, or a caller reads v. */
static inline void idxq_list(struct idxq *q)
{
    if (q->listed)
        return;
    for (uint64_t i = 0; i < q->len; i++)
        q->v[(q->head + i) & (q->cap - 1)] = q->first + i;
    q->listed = true;
}

/* The first n queued record indexes into out (listed: the ring's two
 * pieces). */
static inline void idxq_copy(const struct idxq *q, uint64_t n, uint64_t *out)
{
    uint64_t first = q->cap - q->head < n ? q->cap - q->head : n;
    memcpy(out, q->v + q->head, first * sizeof *out);
    memcpy(out + first, q->v, (n - first) * sizeof *out);
}

/* Remove the first n queued records, whose bytes in the event add up to
 * bytes; an emptied queue takes a run again. */
static inline void idxq_pop(struct idxq *q, uint64_t n, uint64_t bytes)
{
    q->bytes -= bytes;
    q->head = (q->head + n) & (q->cap - 1);
    q->len -= n;
    q->first += n;
    if (q->len == 0)
        q->listed = false;
}

static inline void idxq_clear(struct idxq *q)
{
    q->head = q->len = q->bytes = 0;
    q->listed = false;
}

/* Whether the invocation whose result is res handled its set's record i:
 * reached and not failed.  Ask for i = 0, 1, ... in turn, *k 0 at first (it
 * walks res->failed, ascending). */
static inline bool esm_handled(const struct fn_result *res, uint32_t i, uint32_t *k)
{
    if (*k < res->n_failed && res->failed[*k] == i) {
        (*k)++;
        return false;
    }
    return i < res->reached;
}

/* ---- tumbling windows (R15) -------------------------------------------- */

static inline bool esm_windowed(const struct esm *m)
{
    return m->cfg->tumbling_window_us > 0;
}

static inline struct win_clock esm_window_clock(const struct esm *m)
{
    return (struct win_clock){ .epoch_ms = m->model->epoch_ms,
                               .width_us = m->cfg->tumbling_window_us };
}

static inline int64_t esm_window_of(const struct shardc *sc, const struct stm_record *r)
{
    const struct esm *m = sc->m;
    return win_index(m->model->epoch_ms, m->cfg->tumbling_window_us, r->arrival_us);
}

/* What the window adds to the lane's next event (0 without windows). */
static inline uint64_t esm_window_event_bytes(const struct lane *l, bool final)
{
    const struct shardc *sc = l->sc;
    if (!esm_windowed(sc->m))
        return 0;
    return win_lane_event_bytes(&l->win, strlen(sc->shard_id), sc->lev.arn_json_len, final);
}

/* Record r's bytes in the event (R2), sized with the shard's memo: in
 * shard order, mostly, the memo spares most of the digit counts. */
static inline uint64_t esm_record_bytes(struct shardc *sc, const struct stm_record *r)
{
    return lev_shard_record_bytes_memo(&sc->lev, &sc->size_memo, sc->m->stream, r);
}

/* The bytes in the event of the first n records queued in q, a lane's of
 * shard sc. */
static inline uint64_t esm_queued_bytes(struct shardc *sc, const struct idxq *q, uint64_t n)
{
    uint64_t bytes = 0;
    for (uint64_t i = 0; i < n; i++)
        bytes += esm_record_bytes(sc, shardc_at(sc, idxq_at(q, i)));
    return bytes;
}

/* The lane of a record (R10; see the Choice about lanes above), hashes being
 * keytab_hashes(): a read of the key table, at random, unless one lane. */
static inline uint32_t esm_lane_of(const struct shardc *sc, const struct hashkey *hashes,
                               const struct stm_record *r)
{
    if (sc->n_lanes == 1)
        return 0;
    return (uint32_t)(hashes[r->key_id].lo % sc->n_lanes);
}

/* ---- the functions of one part that another calls ------------------------ */

/* mapping_batch.c: the sets of a batch (R8) */
uint32_t esm_batch_total(const struct batch *b);
void esm_batch_drop(struct batch *b, uint32_t k);
void esm_batch_list(struct batch *b);
bool esm_batch_split(struct batch *b);

/* mapping_shard.c */
bool esm_set_at_checkpoint(const struct lane *l);
void esm_take_whole(struct lane *l, struct stm_record *const *recs);
struct stm_record **esm_set_records(struct lane *l);
void esm_resolve(struct shardc *sc, struct stm_record *r, enum fate unhandled);
void esm_resolve_set(struct shardc *sc, struct stm_record *const *recs, uint32_t n,
                     enum fate unhandled);
void esm_log_checkpoint(struct shardc *sc, uint64_t seq, enum ckpt_reason why);
void esm_advance(struct shardc *sc, enum ckpt_reason why);
void esm_advance_over(struct shardc *sc, const struct batch *b, uint32_t n, enum ckpt_reason why);
uint64_t esm_skip_to(struct shardc *sc, uint64_t upto, enum fate f, enum ckpt_reason why);
struct shardc *esm_shardc_create(struct esm *m, uint32_t s);
void esm_shardc_retire(struct shardc *sc);
void esm_shardc_destroy(struct shardc *sc);

/* mapping_discard.c */
void esm_send_pending(struct lane *l);
void esm_discard_prefix(struct lane *l, uint32_t n, enum discard_condition cond,
                        const char *function_error);
void esm_discard_too_old(struct lane *l);
void esm_expire_stale(struct lane *l);

/* mapping_event.c */
bool esm_build_event(struct lane *l, struct slog_event *ev, struct slog_event_window *w,
                     const char ***keys, uint64_t **counts);
void esm_log_invocation(struct lane *l, int64_t end_us, enum outcome outcome,
                        int64_t age_us, const char *error);
void esm_log_deliveries(const struct lane *l, struct stm_record *const *recs, bool taken);

/* mapping_deal.c */
void esm_relane(struct shardc *sc);
bool esm_wants_records(const struct shardc *sc);
void esm_take_read(struct shardc *sc, uint64_t to);

/* mapping_lane.c */
void esm_poll_shard(struct shardc *sc, bool tick);
void esm_start_shard(struct shardc *sc);
bool esm_can_start(const struct shardc *sc);
void esm_maybe_end(struct shardc *sc);

/* mapping_stream.c: the stream's consumer (stm_consumer) */
void esm_shard_opened(void *ctx, uint32_t shard);
void esm_written(void *ctx, uint32_t shard);
void esm_shard_closed(void *ctx, uint32_t shard);
uint64_t esm_pinned(void *ctx, uint32_t shard);
void esm_expire(void *ctx, uint32_t shard, uint64_t from, uint64_t to);

#endif
