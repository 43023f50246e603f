/*
 * producer.c - writers to the stream (SPEC 1.3): an arrival process
 * (constant or Poisson, with bursts and off periods), keys (uniform, Zipf or
 * a fixed list), record sizes, buffering into PutRecords requests (full, or
 * the oldest record has waited linger_us: the KPL's RecordMaxBufferedTime),
 * and the retry policies of the seeds' PutRecords thread.
 *
 * Cost: one engine event per request, not per record.  After each flush the
 * producer draws the arrivals that go into the next request (up to
 * max_records, until the first one's linger runs out, or until the request
 * bytes would pass the stream's limit) and schedules that request's flush at
 * the moment the KPL would send it.  Messages are created when they are
 * drawn, with their true created time (which is at or before the flush), so
 * a run cut at stop_us counts exactly the messages created before it; a stop
 * beyond the run's end would count the last request's messages created
 * after the end (the loader keeps stop within the duration).
 *
 * Record sizes are drawn, rounded, at least 1 byte, and capped so that data
 * + partition key fit the stream's per-record limit: a real producer does
 * not keep sending a record that makes every request invalid.  A request
 * also never passes the stream's request byte limit: the record that would
 * not fit is sent in the next one.
 *
 * Retries (SPEC 1.3):
 * - failed-only: the next attempt sends only the entries that failed, found
 *   by their position in the result array;
 * - all: the next attempt sends the whole original request again, so entries
 *   that had succeeded are written again (producer duplicates);
 * - none: no retry.
 * Attempts in all <= max_attempts.  The wait before attempt k+1 (k attempts
 * made) is base (constant), base * k (linear, the thread's wait * attempt)
 * or base * 2^(k-1) (exponential, full jitter when asked: uniform in
 * [0, wait]); every wait is capped at max_us when max_us > 0.  While a
 * request waits for its retry the producer goes on with new requests, so a
 * retried record lands behind newer records of its key: producer-side
 * reordering, as in real life.
 *
 * Messages (msgtab): msg_written once per record of the message the stream
 * accepted; msg_released exactly once, when the producer is done with it
 * (written and no attempt pending, or given up: then rejected if no record
 * of it made it).
 *
 * DynamoDB (SPEC 1.2): the same producers write a table's items, the key
 * being the item's key and the size its payload's.  The loader makes each
 * write its own request at its created time (an item write is PutItem,
 * UpdateItem or DeleteItem, one item, sent at once; the table never
 * refuses one, so nothing is retried).  With remove_share, each write is
 * drawn a delete with that chance; the table makes it a REMOVE when the
 * item exists, and a write (INSERT) when it does not (stream.h, enum
 * stm_item_op).  Explicit records carry their event when the scenario
 * gives one.
 *
 * Rate: a number, or a piecewise-constant series (issue 14 item 1: traffic
 * as CloudWatch recorded it), each piece a segment of its own; bursts and
 * start/stop apply to either alike.  A constant rate has no piece edge, so
 * its segments are those of its bursts, as before the series existed.
 *
 * Poisson arrivals come a block of time at a time (issue 15 item 1): the
 * span in which 1,024 arrivals are expected (at most an hour), cut at the
 * segment's end so that a block never spans a rate change; its count is
 * drawn, then that many uniform times in it, sorted (dist_poisson_block).
 * Given its count a Poisson process's times are i.i.d. uniform, so this is
 * the same process as exponential gaps, at a uniform draw a record instead
 * of a logarithm.
 *
 * Random streams: "producer/<name>" for arrivals and "producer/<name>/keys",
 * "/bytes", "/backoff", "/table" (deletes) for the rest, so changing one
 * distribution never shifts the draws of another.
 *
 * Drawn ahead (issue 15 item 2): the arrival times, key indexes, sizes and
 * deletes depend on nothing the simulation does, and each stream serves
 * nothing else, so they are drawn AHEAD_ARRIVALS at a time (fill_arrivals,
 * ahead.h), on a worker thread when sim has one (prd_draw_ahead): the same
 * values in the same order.  The fill also works out what depends on
 * the key alone: its facts (hash-key, lengths: keytab.h) on its first
 * draw, its rank (the place of its first draw among the producer's keys')
 * and its length at each draw, and hands them over with the block.  The
 * simulation's thread reads them, interns the keys with those facts (the
 * keytab is its: ids in the order of first use, as without), finds a
 * key's id by its rank and caps the sizes by key length; backoff jitter
 * depends on the throttling, so it is drawn there when needed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "ahead.h"
#include "dist.h"
#include "engine.h"
#include "keytab.h"
#include "msgtab.h"
#include "producer.h"
#include "config.h"
#include "stream.h"
#include "prefetch.h"

#define NONE UINT32_MAX           /* no slot / key not interned yet */
#define KEY_AHEAD 64              /* arrivals whose key's slot is prefetched ahead */
#define FRESH_AHEAD 8             /* first uses whose keytab slot is prefetched ahead */
#define AHEAD_ARRIVALS 2048       /* arrivals in a block drawn ahead (ahead.h) */

#define EXPLICIT_NAME "records"   /* producer of a scenario's explicit records */
#define BLOCK_ARRIVALS 1024.0     /* Poisson: arrivals expected in a block (a choice: README) */
#define BLOCK_MAX_US (3600 * ENG_US_PER_SEC)   /* Poisson: a block's longest span */

/* A request: being filled, in flight, or waiting for its retry. */
struct preq {
    struct stm_put_entry *e;      /* entries in request order (max_records slots, and one for plan) */
    uint8_t *written;             /* mode all: entry i reached the stream once at least */
    uint64_t refused_at;          /* stm_put_stamp when the entries were all refused by the
                                     write limits, else 0 */
    uint32_t n;                   /* entries */
    uint32_t attempts;            /* attempts made */
    uint32_t next_free;           /* free-list link */
    bool busy;                    /* holds messages */
};

/* A block of arrivals drawn ahead (fill_arrivals), in order: what no state
 * of the simulation decides. */
struct arrivals {
    uint32_t n;                   /* arrivals */
    uint32_t n_fresh;             /* facts in fresh */
    bool failed;                  /* out of memory after them: the run stops there */
    int64_t at_us[AHEAD_ARRIVALS];    /* created times */
    uint32_t rank[AHEAD_ARRIVALS + KEY_AHEAD];  /* their keys' ranks (pdraws.rank_of), then 0s */
    uint32_t key_len[AHEAD_ARRIVALS]; /* their keys' bytes, when pdraws.lens */
    double bytes[AHEAD_ARRIVALS];     /* sizes drawn, when not constant */
    uint8_t op[AHEAD_ARRIVALS];       /* enum stm_item_op: DynamoDB deletes, else writes; when
                                         pdraws.lens */
    /* the keys drawn here for the first time, in the order of their
     * arrivals, their indexes and facts (hash-key and lengths): the
     * simulation's thread takes them in that order, on each key's first
     * use (key_add) */
    uint32_t fresh_key[AHEAD_ARRIVALS];
    struct key_facts fresh[AHEAD_ARRIVALS];
};

/* The open-loop draws: the arrival process and each record's key index,
 * size and delete.  Only fill_arrivals touches them, on the ahead worker's
 * thread when there is one. */
struct pdraws {
    const struct cfg_producer *cfg;
    gsl_rng *rng_arrival, *rng_keys, *rng_bytes, *rng_table;
    gsl_ran_discrete_t *zipf;     /* Zipf alias table, or NULL: uniform */
    struct dist_uint key_uniform; /* uniform: the keys stream's draws of an index */
    /* a block's key indexes, drawn here (rank_keys reads them KEY_AHEAD
     * ahead: any index of an earlier block past the last), not in the
     * block, whose other side reads only those of fresh_key: 8 KiB a
     * block less written and passed between the threads */
    uint32_t *key;

    /* arrival process: a segment of constant rate [seg_start, seg_end) */
    int64_t seg_start, seg_end;   /* us */
    size_t piece_next;            /* rate series: the first piece starting after seg_start */
    double seg_rate;              /* records per second, 0: off */
    uint64_t k;                   /* constant: arrivals drawn in the segment */
    struct dist_poisson *blocks;  /* Poisson: the block draws' buffers */
    const uint32_t *blk_times;    /* Poisson: the block's times, us from blk_start, ascending */
    uint32_t blk_n, blk_next;     /* times in the block; the next one to use */
    int64_t blk_start, blk_end;   /* the block's span [blk_start, blk_end), us */

    /* keys drawn so far, whose facts went out with their blocks: a key's
     * rank is its place in the order of first draws, the order in which
     * the simulation's thread interns them */
    uint32_t *rank_of;            /* key index -> rank + 1, 0 never drawn */
    uint32_t n_ranked;            /* keys drawn */
    char *keybuf;                 /* a key's text: prefix + room for a decimal index */
    size_t prefix_len;            /* set up before any draw, then read by both threads */
    size_t prefix_json_len;       /* the prefix's bytes once JSON-escaped (digits need none) */
    bool lens;                    /* the arrivals' key lengths and deletes wanted (not whole_bytes,
                                     which draws no delete) */
};

struct prd {
    struct eng *e;
    const struct cfg_producer *cfg;   /* NULL for the explicit writer */
    const char *name;             /* borrowed: messages keep it */
    struct stm *stream;
    struct keytab *keys;
    struct msgtab *msgs;
    struct stm_put_limits lim;

    /* what to do on failure */
    enum cfg_retry_mode mode;
    uint32_t max_attempts;
    struct cfg_retry retry;
    uint32_t max_records;         /* per request (1 for PutRecord) */
    uint32_t whole_bytes;         /* every record's bytes when that is one constant, any
                                     max_records entries fit the request byte limit and no
                                     delete is drawn, else 0 */
    int64_t linger_us;
    gsl_rng *rng_backoff;

    /* key space */
    uint32_t *id_of_rank;         /* key rank (pdraws.rank_of) -> key id */
    uint32_t n_ranked;            /* keys interned: ranks 0 to n_ranked - 1 */
    uint32_t id_base;             /* rank 0's key id */
    bool ids_in_row;              /* rank r's id is id_base + r (no other producer interned
                                     keys in between, none of them before) */
    uint32_t n_keys;
    char *keybuf;                 /* as draws.keybuf, the simulation thread's */
    uint32_t *fixed_bytes;        /* constant record size: bytes by key length (up to the
                                     key space's longest), 0 not yet known */

    /* arrivals: drawn ahead in blocks, read in order */
    struct pdraws draws;          /* set up here, then fill_arrivals' alone */
    struct ahd_seq *ahead;
    const struct arrivals *arr;   /* the block being read, or NULL */
    uint32_t arr_next;            /* its next arrival */
    uint32_t fresh_next;          /* its next facts of a key drawn first (arr->fresh) */
    bool has_next;
    struct stm_put_entry next;    /* the next record to create, read ahead (it decides when to flush) */
    uint32_t next_key_len;        /* its key's bytes */

    /* requests, by slot index (stable across growth) */
    struct preq *req;
    uint32_t n_req, cap_req;
    uint32_t free_head;
    uint8_t *results;             /* max_records per-entry results */
    uint64_t *delivered;          /* max_records message ids: attempt's scratch */

    /* explicit records */
    const struct cfg_record *recs;
    uint32_t *rec_key, *rec_data; /* key id and data id of each */

    bool finished;
    struct prd_stats stats;
};

static void on_plan(void *ctx, uint64_t arg);
static void on_flush(void *ctx, uint64_t slot);
static void on_retry(void *ctx, uint64_t slot);
static void on_explicit(void *ctx, uint64_t index);

static int64_t add_sat(int64_t a, int64_t b)
{
    return b > INT64_MAX - a ? INT64_MAX : a + b;
}

static void schedule(struct prd *p, int64_t at_us, eng_handler fn, uint64_t arg)
{
    if (eng_schedule(p->e, at_us, ENG_CLASS_WRITE, fn, p, arg) < 0)
        eng_stop(p->e);   /* out of memory: stop, the run is incomplete */
}

/* ---- request slots ----------------------------------------------------- */

static uint32_t req_alloc(struct prd *p)
{
    uint32_t slot = p->free_head;
    if (slot != NONE) {
        p->free_head = p->req[slot].next_free;
    } else {
        if (p->n_req == p->cap_req) {
            uint32_t cap = p->cap_req ? 2 * p->cap_req : 4;
            struct preq *grown = realloc(p->req, cap * sizeof *grown);
            if (!grown)
                return NONE;
            p->req = grown;
            p->cap_req = cap;
        }
        struct preq *q = &p->req[p->n_req];
        *q = (struct preq){ 0 };
        q->e = malloc((p->max_records + 1) * sizeof *q->e);
        q->written = p->mode == CFG_RETRY_ALL ? malloc(p->max_records) : NULL;
        if (!q->e || (p->mode == CFG_RETRY_ALL && !q->written)) {
            free(q->e);
            free(q->written);
            return NONE;
        }
        /* With whole_bytes every entry's bytes, data and operation are
         * these, whatever is later drawn, moved or kept here: set once,
         * plan then stores a record's time and key alone. */
        for (uint32_t i = 0; p->whole_bytes && i <= p->max_records; i++)
            q->e[i] = (struct stm_put_entry){ .bytes = p->whole_bytes, .item_op = STM_ITEM_WRITE };
        slot = p->n_req++;
    }
    struct preq *q = &p->req[slot];
    q->n = q->attempts = 0;
    q->refused_at = 0;
    q->busy = true;
    return slot;
}

static void req_free(struct prd *p, uint32_t slot)
{
    p->req[slot].busy = false;
    p->req[slot].n = 0;
    p->req[slot].next_free = p->free_head;
    p->free_head = slot;
}

/* The messages of q's entries (filled but for their message_id, unless
 * numbered: plan's): one call a request, not one a record (issue 15 item
 * 1).  False when out of memory: q then ends at the last one made. */
static bool req_messages(struct prd *p, struct preq *q, bool numbered)
{
    uint32_t made = numbered ? msg_new_numbered(p->msgs, p->name, q->e, q->n)
                             : msg_new_request(p->msgs, p->name, q->e, q->n);
    if (q->written)
        memset(q->written, 0, made);
    p->stats.messages += made;
    bool all = made == q->n;
    q->n = made;
    return all;
}

/* ---- retries ----------------------------------------------------------- */

/* The wait before attempt k + 1, k attempts made. */
static int64_t backoff_us(struct prd *p, uint32_t k)
{
    const struct cfg_retry *r = &p->retry;
    int64_t base = r->base_us > 0 ? r->base_us : 0, w = base;
    switch (r->backoff) {
    case CFG_BACKOFF_CONSTANT:
        break;
    case CFG_BACKOFF_LINEAR:
        w = base > INT64_MAX / k ? INT64_MAX : base * (int64_t)k;
        break;
    case CFG_BACKOFF_EXPONENTIAL: {
        uint32_t shift = k - 1;
        w = shift >= 62 || base > (INT64_MAX >> shift) ? INT64_MAX : base << shift;
        break;
    }
    }
    if (r->max_us > 0 && w > r->max_us)
        w = r->max_us;
    if (r->backoff == CFG_BACKOFF_EXPONENTIAL && r->jitter)
        w = (int64_t)(gsl_rng_uniform(p->rng_backoff) * ((double)w + 1.0));  /* [0, w] */
    return w;
}

/* Whether q's entries, all refused by the write limits last time, would be
 * refused again now (stream.h, stm_put_stamp): then they are counted so,
 * with their results, and not sent.  A retry into the second that refused
 * it, before a reshard: 12,745 of the bench's requests and 2.28 M entries
 * in 5 minutes, a put and its checks of each entry saved. */
static bool refused_again(struct prd *p, const struct preq *q)
{
    if (q->refused_at == 0 || q->refused_at != stm_put_stamp(p->stream))
        return false;
    stm_put_refused(p->stream, q->n);
    memset(p->results, STM_PUT_THROTTLED, q->n);
    return true;
}

/*
 * Send request slot once more and apply the retry policy to the results:
 * settle the messages that are done, keep what must be sent again, and
 * schedule the retry or free the slot.
 */
static void attempt(struct prd *p, uint32_t slot)
{
    struct preq *q = &p->req[slot];
    q->attempts++;
    p->stats.requests++;
    if (q->attempts > 1)
        p->stats.resent += q->n;
    /* A failure will be retried, the failed entries alone: the put keeps
     * them in place and gives the accepted ones' ids (p->delivered), no
     * results. */
    bool keep = p->mode == CFG_RETRY_FAILED_ONLY && q->attempts < p->max_attempts;
    char err[256];
    int failed = refused_again(p, q) ? (int)q->n
                 : keep ? stm_put_records_keep(p->stream, q->e, q->n, p->delivered, err, sizeof err)
                        : stm_put_records(p->stream, q->e, q->n, p->results, err, sizeof err);
    bool invalid = failed < 0;
    if (invalid) {
        /* Refused as a whole (cannot happen with capped sizes): every entry
         * failed; the policy decides as for any failure. */
        p->stats.invalid_requests++;
        memset(p->results, STM_PUT_INTERNAL_FAILURE, q->n);
        failed = (int)q->n;
    }
    p->stats.entries_failed += (uint64_t)failed;
    bool again = failed > 0 && p->mode != CFG_RETRY_NONE && q->attempts < p->max_attempts;

    if (p->mode == CFG_RETRY_ALL) {
        for (uint32_t i = 0; i < q->n; i++) {
            if (p->results[i] == STM_PUT_OK) {
                msg_written(p->msgs, q->e[i].message_id);
                q->written[i] = 1;
            }
        }
        if (!again) {
            for (uint32_t i = 0; i < q->n; i++) {
                msg_released(p->msgs, q->e[i].message_id);
                p->stats.rejected += !q->written[i];
            }
        }
    } else if (failed == 0 && q->n > 0 && q->e[q->n - 1].message_id - q->e[0].message_id == q->n - 1) {
        /* All accepted, the messages in a row (a request's ids only grow,
         * so first and last tell): the common case, in one call. */
        msg_delivered_run(p->msgs, q->e[0].message_id, q->n);
        q->n = 0;
    } else if (keep) {
        /* The accepted ones delivered, in request order, in one call, the
         * others kept for the retry (the put moved them down): none when
         * every entry was refused, a retry sent into the second that filled
         * its shards (14,700 of the bench's 31,300 requests, 2.5 M of its
         * 9.5 M entries, in 5 minutes). */
        uint32_t n_ids = q->n - (uint32_t)failed;
        q->n = (uint32_t)failed;
        if (n_ids > 0)
            msg_delivered_ids(p->msgs, p->delivered, n_ids);
    } else {
        /* Each entry settled: given up (in order: it may settle, rejected),
         * or delivered, which settles none: those in one call after.
         * Pointers and the msgtab in locals, which the calls keep in
         * registers. */
        struct msgtab *msgs = p->msgs;
        uint64_t *ids = p->delivered;
        uint32_t n_ids = 0;
        const uint8_t *res = p->results;
        for (const struct stm_put_entry *x = q->e, *end = q->e + q->n; x < end; x++, res++) {
            if (*res == STM_PUT_OK) {
                ids[n_ids++] = x->message_id;
            } else {
                msg_released(msgs, x->message_id);
                p->stats.rejected++;
            }
        }
        msg_delivered_ids(msgs, ids, n_ids);
        q->n = 0;
    }
    /* The entries kept were all refused by the write limits, unless the
     * request was invalid, the stream draws InternalFailure (stamp 0), or
     * mode all resends some it accepted. */
    if (again && !invalid && (p->mode != CFG_RETRY_ALL || (uint32_t)failed == q->n))
        q->refused_at = stm_put_stamp(p->stream);
    else
        q->refused_at = 0;
    if (again)
        schedule(p, add_sat(eng_now(p->e), backoff_us(p, q->attempts)), on_retry, slot);
    else
        req_free(p, slot);
}

static void on_retry(void *ctx, uint64_t slot)
{
    struct prd *p = ctx;
    if (!p->finished)
        attempt(p, (uint32_t)slot);
}

/* ---- the open-loop draws --------------------------------------------------- */

/* Start the segment of constant rate that begins at t (segments come in
 * time order): the base rate (the series' piece holding t) times the
 * multipliers of the bursts covering t (overlapping bursts multiply), until
 * the next piece, the next burst edge or stop. */
static void segment_at(struct pdraws *d, int64_t t)
{
    const struct cfg_producer *c = d->cfg;
    double mult = 1, base = c->rate;
    int64_t end = c->stop_us;
    if (c->series) {
        while (d->piece_next < c->n_series && c->series[d->piece_next].at_us <= t)
            d->piece_next++;
        base = c->series[d->piece_next - 1].rate;   /* the first piece starts at 0 */
        if (d->piece_next < c->n_series && c->series[d->piece_next].at_us < end)
            end = c->series[d->piece_next].at_us;
    }
    for (size_t i = 0; i < c->n_bursts; i++) {
        int64_t from = c->bursts[i].at_us, to = add_sat(from, c->bursts[i].for_us);
        if (from <= t && t < to) {
            mult *= c->bursts[i].multiplier;
            if (to < end)
                end = to;
        } else if (from > t && from < end) {
            end = from;
        }
    }
    d->seg_start = t;
    d->seg_end = end;
    d->seg_rate = base * mult;
    d->k = 0;
    d->blk_start = d->blk_end = t;
    d->blk_n = d->blk_next = 0;
}

/*
 * Draw the Poisson arrivals of the next block of the segment, from the end
 * of the last one: the span in which BLOCK_ARRIVALS are expected, at most
 * BLOCK_MAX_US, cut at the segment's end (a block never spans a rate
 * change).  False when out of memory (or at a rate of over 2 x 10^15 a
 * second: dist_poisson_block).
 */
static bool next_block(struct pdraws *d)
{
    double want = ceil(BLOCK_ARRIVALS * 1e6 / d->seg_rate);
    int64_t len = want < (double)BLOCK_MAX_US ? (int64_t)want : BLOCK_MAX_US;
    if (len > d->seg_end - d->blk_end)
        len = d->seg_end - d->blk_end;
    int64_t n = dist_poisson_block(d->blocks, d->rng_arrival, d->seg_rate * (double)len / 1e6,
                                   (uint32_t)len, &d->blk_times);
    if (n < 0)
        return false;
    d->blk_start = d->blk_end;
    d->blk_end += len;
    d->blk_n = (uint32_t)n;
    d->blk_next = 0;
    return true;
}

/*
 * The created time of the next record: 1, or 0 when the producer has
 * stopped, -1 when out of memory.
 * Constant: the k-th arrival of a segment is at start + k * 1e6 / rate,
 * computed from k (no accumulated rounding: rate * duration records exactly).
 * Poisson: a block at a time (next_block), each block's times in order.
 */
static int next_arrival(struct pdraws *d, int64_t *at_us)
{
    for (;;) {
        if (d->cfg->arrival == CFG_ARRIVAL_CONSTANT) {
            double pos = d->seg_rate > 0 ? (double)d->seg_start + (double)d->k * 1e6 / d->seg_rate
                                         : (double)d->seg_end;
            if (pos < (double)d->seg_end) {
                d->k++;
                *at_us = (int64_t)floor(pos);
                return 1;
            }
        } else if (d->blk_next < d->blk_n) {
            *at_us = d->blk_start + d->blk_times[d->blk_next++];
            return 1;
        } else if (d->seg_rate > 0 && d->blk_end < d->seg_end) {
            if (!next_block(d))
                return -1;
            continue;
        }
        if (d->seg_end >= d->cfg->stop_us)
            return 0;
        segment_at(d, d->seg_end);
    }
}

/* The text of key index idx: the list's, or the prefix (already in buf) and
 * the index in decimal, as "%zu" writes it (snprintf, once a key, was 7% of
 * a 1-minute run's simulation thread at 100,000 keys); its digits' count
 * into *digits (0 for the list's). */
static const char *key_name(const struct cfg_keys *ks, char *buf, size_t prefix_len, uint32_t idx,
                            size_t *digits)
{
    *digits = 0;
    if (ks->list)
        return ks->list[idx];
    char rev[16];
    size_t n = 0;
    for (uint32_t v = idx; n == 0 || v > 0; v /= 10)
        rev[n++] = (char)('0' + v % 10);
    *digits = n;
    char *out = buf + prefix_len;
    while (n)
        *out++ = rev[--n];
    *out = '\0';
    return buf;
}

/* The length of key index idx's text, key_name's without writing it. */
static size_t key_name_len(const struct cfg_keys *ks, size_t prefix_len, uint32_t idx)
{
    if (ks->list)
        return strlen(ks->list[idx]);
    size_t n = prefix_len + 1;
    for (uint32_t v = idx; v >= 10; v /= 10)
        n++;
    return n;
}

/* The facts of key index idx: a generated key's length and escaped length
 * are its prefix's and its digits', not counted again (strlen and
 * json_escaped_len were 10% of the bench's key facts, callgrind). */
static struct key_facts fresh_facts(struct pdraws *d, uint32_t idx)
{
    size_t digits;
    const char *name = key_name(&d->cfg->keys, d->keybuf, d->prefix_len, idx, &digits);
    if (!digits)
        return key_facts(name, strlen(name));
    return key_facts_escaped(name, d->prefix_len + digits, d->prefix_json_len + digits);
}

/* The ranks of the keys of a's n arrivals into a->rank, and the facts
 * of those drawn for the first time, in order, into a->fresh: what the
 * simulation's thread wants when it interns the key (key_add), worked out
 * here, on the worker's thread when there is one (the bench's 100,000
 * keys' MD5 was 2.6% of its samples on the simulation thread).  A rank
 * takes the simulation's thread to its key id without a look at a table
 * by key index (draw_at). */
static void rank_keys(struct pdraws *d, struct arrivals *a, uint32_t n)
{
    uint32_t *rank_of = d->rank_of, *key = d->key, ranked = d->n_ranked, m = 0;   /* in registers:
                                                                     the stores could alias d */
    for (uint32_t i = 0; i < n; i++) {
        PREFETCH(&rank_of[key[i + KEY_AHEAD]]);
        uint32_t k = key[i], r = rank_of[k];
        if (!r) {
            r = rank_of[k] = ++ranked;
            a->fresh_key[m] = k;
            a->fresh[m++] = fresh_facts(d, k);
        }
        a->rank[i] = r - 1;
    }
    d->n_ranked = ranked;
    a->n_fresh = m;
}

/*
 * The ahead fill (ahead.h): the next AHEAD_ARRIVALS arrivals, or those left
 * before the producer stops or runs out of memory (then false, the block
 * the last).  Each stream draws its own part, a loop each: the arrival
 * times, the key indexes (their ranks, the facts of those drawn first,
 * their lengths when plan counts bytes), the sizes when not constant, the
 * deletes when the table asks for them.
 */
static bool fill_arrivals(void *ctx, void *block)
{
    struct pdraws *d = ctx;
    struct arrivals *a = block;
    const struct cfg_producer *c = d->cfg;
    uint32_t n = 0;
    int got = 1;
    while (n < AHEAD_ARRIVALS) {
        if (d->blk_next < d->blk_n) {
            /* the rest of a Poisson block's times that fit, in one loop
             * (the stores to at_us could alias d's fields) */
            uint32_t run = d->blk_n - d->blk_next < AHEAD_ARRIVALS - n ? d->blk_n - d->blk_next
                                                                       : AHEAD_ARRIVALS - n;
            const uint32_t *t = d->blk_times + d->blk_next;
            int64_t start = d->blk_start, *out = a->at_us + n;
            for (uint32_t j = 0; j < run; j++)
                out[j] = start + t[j];
            d->blk_next += run;
            n += run;
        } else if ((got = next_arrival(d, &a->at_us[n])) > 0) {
            n++;
        } else {
            break;
        }
    }
    if (d->zipf)
        for (uint32_t i = 0; i < n; i++)
            d->key[i] = (uint32_t)gsl_ran_discrete(d->rng_keys, d->zipf);
    else
        dist_uint_fill(&d->key_uniform, d->key, n);   /* gsl_rng_uniform_int's */
    rank_keys(d, a, n);
    memset(a->rank + n, 0, KEY_AHEAD * sizeof a->rank[0]);
    if (d->lens)
        for (uint32_t i = 0; i < n; i++)
            a->key_len[i] = (uint32_t)key_name_len(&c->keys, d->prefix_len, d->key[i]);
    if (c->record_bytes.kind != DIST_CONSTANT)
        for (uint32_t i = 0; i < n; i++)
            a->bytes[i] = dist_draw_random(&c->record_bytes, d->rng_bytes);
    /* deletes drawn when asked for, so that a share of 0 draws nothing */
    for (uint32_t i = 0; d->lens && i < n; i++)
        a->op[i] = c->remove_share > 0 && gsl_rng_uniform(d->rng_table) < c->remove_share
                       ? STM_ITEM_DELETE : STM_ITEM_WRITE;
    a->n = n;
    a->failed = got < 0;
    return got > 0;
}

/* ---- keys and sizes ---------------------------------------------------- */

/* The id of the key of the record being read, drawn for the first time:
 * added to the keytab (out of the per-record path) with the index and
 * facts its block brought, the block's next ones, as the simulation's
 * thread reads the arrivals in the order they were drawn, so that a key's
 * first use is its first draw and its rank the next one. */
static COLD uint32_t key_add(struct prd *p)
{
    const struct arrivals *a = p->arr;
    uint32_t f = p->fresh_next++, rank = p->n_ranked++;
    if (f + FRESH_AHEAD < a->n_fresh)
        keytab_prefetch(p->keys, a->fresh[f + FRESH_AHEAD].hash);
    size_t digits;   /* not wanted: the facts have the lengths */
    const char *name = key_name(&p->cfg->keys, p->keybuf, p->draws.prefix_len, a->fresh_key[f], &digits);
    uint32_t id = keytab_add_facts(p->keys, name, &a->fresh[f]);
    p->id_of_rank[rank] = id;   /* NONE when out of memory: the run stops */
    if (rank == 0)
        p->id_base = id;
    else if (id != p->id_base + rank)
        p->ids_in_row = false;
    return id;
}

/* Data bytes of arrival i of a, its size drawn: rounded, at least 1, and
 * capped so that data + key fit the stream's record limit (an oversized
 * record would make the whole request invalid, which no real producer
 * keeps sending).  A constant size gives the same bytes for the same key
 * length: kept by length (issue 15 item 1: a key space's keys have a few
 * lengths), fixed_bytes all 0 for a size drawn. */
static uint64_t size_cap(const struct prd *p, size_t key_len)
{
    uint64_t cap = p->lim.max_record_bytes > (uint64_t)key_len + 1
                       ? p->lim.max_record_bytes - key_len : 1;
    return cap > UINT32_MAX ? UINT32_MAX : cap;
}

static uint32_t size_bytes(const struct prd *p, double x, size_t key_len)
{
    uint64_t cap = size_cap(p, key_len);
    uint64_t b = x >= (double)cap ? cap : (uint64_t)(x + 0.5);
    return b < 1 ? 1 : (uint32_t)b;
}

static COLD uint32_t record_bytes_slow(struct prd *p, uint32_t key_len, const struct arrivals *a, uint32_t i)
{
    const struct dist *size = &p->cfg->record_bytes;
    bool fixed = size->kind == DIST_CONSTANT;
    uint32_t bytes = size_bytes(p, fixed ? size->value : a->bytes[i], key_len);
    if (fixed)
        p->fixed_bytes[key_len] = bytes;
    return bytes;
}

/* fixed is p->fixed_bytes, which has a slot for every key's length. */
static inline uint32_t record_bytes(struct prd *p, const uint32_t *fixed, uint32_t key_len,
                                    const struct arrivals *a, uint32_t i)
{
    uint32_t b = fixed[key_len];
    return b ? b : record_bytes_slow(p, key_len, a, i);
}

/* ---- the next record --------------------------------------------------- */

/* The arrivals being read, kept in plan's locals through its loop (stores
 * to the entries could alias p's fields), its address never taken by a
 * call (it stays in registers): the block (p->arr), its next arrival
 * (p->arr_next) and its count, 0 before the first block, both 64-bit (an
 * index of 32 bits is widened again at each use); and what each record
 * reads, p->fixed_bytes and how a key's rank gives its id (a load of p's
 * field a record, else). */
struct cursor {
    const struct arrivals *a;
    size_t i, n;
    const uint32_t *fixed;
    uint32_t known;               /* p->n_ranked */
    uint32_t base;                /* p->id_base */
    const uint32_t *ids;          /* p->id_of_rank, NULL while p->ids_in_row */
};

/* c's keys as p has them: after a key's first use. */
static inline void cursor_keys(const struct prd *p, struct cursor *c)
{
    c->known = p->n_ranked;
    c->base = p->id_base;
    c->ids = p->ids_in_row ? NULL : p->id_of_rank;
}

static struct cursor cursor_of(const struct prd *p)
{
    struct cursor c = { p->arr, p->arr_next, p->arr ? p->arr->n : 0, p->fixed_bytes, 0, 0, NULL };
    cursor_keys(p, &c);
    return c;
}

/*
 * Take the next block of arrivals, its first keys' slots prefetched;
 * false at the end, when the engine stops if the draws ran out of memory.
 */
static COLD bool next_arrivals(struct prd *p)
{
    if (p->arr && p->arr->failed) {
        eng_stop(p->e);
        return false;
    }
    const struct arrivals *a = ahd_next(p->ahead);
    p->arr = a;
    p->arr_next = 0;
    p->fresh_next = 0;
    if (!a)
        return false;
    for (uint32_t i = 0; !p->ids_in_row && i < a->n && i < KEY_AHEAD; i++)
        PREFETCH(&p->id_of_rank[a->rank[i]]);
    for (uint32_t i = 0; i < a->n_fresh && i < FRESH_AHEAD; i++)
        keytab_prefetch(p->keys, a->fresh[i].hash);
    return true;
}

/*
 * Read the block's next record (c->i < c->n) into *to: time, key, size,
 * and on a table whether it is a delete, with message id msg_id (the one
 * it gets if it goes into the request being filled: plan), its
 * key's length into *key_len; false when out of memory (the engine then
 * stops).  With whole (p->whole_bytes), the time and key alone: the
 * entry's size, data and write are there already (req_alloc), and
 * *key_len is left alone (plan reads it only to count a request's bytes,
 * which it then does not): no key length, size or delete looked up, no
 * store of them.
 * Its key's id: the rank's place from the first one's id while the ids
 * come in a row (a producer of keys of its own: no table looked up; with
 * a table by key index, 400 KB at 100,000 keys, plan's loop waited on its
 * loads, plan 7.1% -> 4.0% of the bench's simulation thread without), else
 * from the table by rank, its slot prefetched KEY_AHEAD arrivals earlier
 * (every key a cache miss with 100,000 keys or more: the distance lets the
 * misses overlap).
 */
static inline bool draw_at(struct prd *p, struct cursor *c, struct stm_put_entry *to, uint64_t msg_id,
                           uint32_t *key_len, bool whole)
{
    const struct arrivals *a = c->a;
    size_t i = c->i++;
    uint32_t rank = a->rank[i], id;
    if (c->ids)
        PREFETCH(&c->ids[a->rank[i + KEY_AHEAD]]);
    if (rank < c->known) {
        id = c->ids ? c->ids[rank] : c->base + rank;
    } else {
        id = key_add(p);
        cursor_keys(p, c);
    }
    if (id == NONE) {
        eng_stop(p->e);   /* out of memory */
        return false;
    }
    to->created_us = a->at_us[i];
    to->key_id = id;
    to->message_id = msg_id;
    if (!whole) {
        uint32_t len = a->key_len[i];
        to->bytes = record_bytes(p, c->fixed, len, a, (uint32_t)i);
        to->data_id = 0;
        to->item_op = a->op[i];
        *key_len = len;
    }
    return true;
}

/* draw_at of the next record, the next block taken first when this one is
 * done; false at the end (or out of memory: then the engine stops). */
static inline bool draw_next(struct prd *p, struct cursor *c, struct stm_put_entry *to, uint64_t msg_id,
                             uint32_t *key_len, bool whole)
{
    while (c->i == c->n) {
        if (!next_arrivals(p))
            return false;
        *c = cursor_of(p);
    }
    return draw_at(p, c, to, msg_id, key_len, whole);
}

/* What plan's loop reads and leaves, in plan's locals (fill is inline):
 * the arrivals, the entry being drawn and its message id, its key's
 * length, whether there is one, and the flush's time (the first record's
 * deadline until the loop sets it). */
struct plan_fill {
    struct cursor c;
    struct stm_put_entry *to;
    uint64_t msg_id;
    uint32_t key_len;
    bool more;
    int64_t flush_at;
};

/* plan's loop: the entries from f->to on, up to end, until the request is
 * full (flush at the last one's arrival), the next record passes the
 * first one's deadline, or (count) the next record would take the
 * request over its byte limit (flush at its arrival).  Two copies: with
 * count false (whole_bytes) no entry's bytes are added up nor looked up,
 * and the block's records up to the request's last slot come in a run that
 * checks neither end (the step after the run takes the last slot or the
 * next block). */
static inline __attribute__((always_inline)) void
fill(struct prd *p, struct plan_fill *f, const struct stm_put_entry *end, bool count)
{
    uint64_t bytes = 0, max_bytes = p->lim.max_request_bytes;
    uint64_t b = (uint64_t)f->to->bytes + f->key_len;   /* the first goes in whatever its bytes */
    int64_t deadline = f->flush_at;
    for (;;) {
        size_t run = f->c.n - f->c.i, room = (size_t)(end - f->to) - 1;
        size_t stop = f->c.i + (count ? 0 : run < room ? run : room);
        if (stop != f->c.i && f->c.a->at_us[stop - 1] <= deadline) {
            /* a block's arrivals increase: the run's last in time, all are */
            while (f->c.i != stop)   /* to an arrival, not a count: 2 instructions a record fewer */
                if (!(f->more = draw_at(p, &f->c, ++f->to, ++f->msg_id, &f->key_len, !count)))
                    return;
        } else {
            while (f->c.i != stop)
                if (!(f->more = draw_at(p, &f->c, ++f->to, ++f->msg_id, &f->key_len, !count)) ||
                    f->to->created_us > deadline)
                    return;
        }
        bytes += b;
        f->more = draw_next(p, &f->c, ++f->to, ++f->msg_id, &f->key_len, !count);
        if (f->to == end) {
            f->flush_at = f->to[-1].created_us;
            return;
        }
        if (!f->more || f->to->created_us > deadline)
            return;
        if (count) {
            b = (uint64_t)f->to->bytes + f->key_len;
            if (bytes + b > max_bytes) {
                f->flush_at = f->to->created_us;
                return;
            }
        }
    }
}

/*
 * Fill the next request and schedule its flush: when it holds max_records
 * (at the last one's arrival), when the next record would take it over the
 * request byte limit (at that record's arrival), or when its first record
 * has waited linger_us.
 */
static void plan(struct prd *p)
{
    if (!p->has_next || p->finished)
        return;
    uint32_t slot = req_alloc(p);
    if (slot == NONE) {
        eng_stop(p->e);
        return;
    }
    /* The request in locals, so that the loop keeps it in registers
     * (stores to the entries could alias p's fields). */
    struct preq *q = &p->req[slot];
    struct plan_fill f = { .c = cursor_of(p), .to = q->e, .msg_id = msg_next_id(p->msgs),
                           .key_len = p->next_key_len };
    /* The record read ahead (*to) is drawn into the entry after the last
     * one taken (the slot past max_records for the last), and moved to
     * p->next when it does not go in this request.  The entries are
     * numbered as they are drawn (msg_new_numbered). */
    *f.to = p->next;
    f.to->message_id = f.msg_id;
    f.flush_at = add_sat(f.to->created_us, p->linger_us);
    if (p->whole_bytes)
        fill(p, &f, q->e + p->max_records, false);
    else
        fill(p, &f, q->e + p->max_records, true);
    q->n = (uint32_t)(f.to - q->e);
    p->arr_next = (uint32_t)f.c.i;
    p->next = *f.to;
    p->next_key_len = f.key_len;
    p->has_next = f.more;
    if (!req_messages(p, q, true))
        eng_stop(p->e);
    schedule(p, f.flush_at, on_flush, slot);
}

static void on_plan(void *ctx, uint64_t arg)
{
    plan(ctx);
}

static void on_flush(void *ctx, uint64_t slot)
{
    struct prd *p = ctx;
    if (p->finished)
        return;
    attempt(p, (uint32_t)slot);
    plan(p);
}

/* ---- creation ---------------------------------------------------------- */

static struct prd *prd_alloc(struct eng *e, struct stm *stream, struct keytab *keys,
                             struct msgtab *msgs)
{
    struct prd *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->e = e;
    p->stream = stream;
    p->keys = keys;
    p->msgs = msgs;
    p->free_head = NONE;
    stm_put_limits(stream, &p->lim);
    return p;
}

/* A random stream named prefix + name + suffix. */
static gsl_rng *rng_named(struct eng *e, const char *name, const char *suffix)
{
    size_t n = strlen("producer/") + strlen(name) + strlen(suffix) + 1;
    char *full = malloc(n);
    if (!full)
        return NULL;
    snprintf(full, n, "producer/%s%s", name, suffix);
    gsl_rng *r = eng_rng_create(e, full);
    free(full);
    return r;
}

/* A rate series the arrivals can follow: pieces from 0, in time order. */
static bool series_ok(const struct cfg_rate_point *pts, size_t n)
{
    if (n == 0 || pts[0].at_us != 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((i > 0 && pts[i].at_us <= pts[i - 1].at_us) || !(pts[i].rate >= 0) || !isfinite(pts[i].rate))
            return false;
    return true;
}

/* Check cfg; 0, or -1 with err set. */
static int check_cfg(const struct cfg_producer *cfg, const struct stm_put_limits *lim,
                     char *err, size_t errlen)
{
    const char *name = cfg->name;
    const struct cfg_keys *k = &cfg->keys;
    const char *why = NULL;
    if (!(cfg->rate >= 0) || !isfinite(cfg->rate))
        why = "rate must be a finite number >= 0";
    else if (cfg->series && !series_ok(cfg->series, cfg->n_series))
        why = "rate.series must start at 0, go strictly forward and hold finite rates >= 0";
    else if (k->list ? k->n_list == 0 || k->n_list >= NONE : k->count == 0 || k->count == NONE)
        why = "the key space is empty";
    else if (k->distribution == CFG_KEYS_ZIPF && !(k->zipf_s > 0))
        why = "keys.s (Zipf exponent) must be > 0";
    else if (cfg->api == CFG_PUT_RECORDS &&
             (cfg->max_records < 1 || cfg->max_records > lim->max_request_records))
        why = "put.max_records must be between 1 and the stream's records per request";
    else if (cfg->retry.max_attempts < 1)
        why = "put.retry.max_attempts must be >= 1";
    else if (cfg->linger_us < 0)
        why = "linger must be >= 0";
    else if (!(cfg->remove_share >= 0 && cfg->remove_share <= 1))
        why = "table.remove_share must be from 0 to 1";
    if (why) {
        snprintf(err, errlen, "producer %s: %s", name, why);
        return -1;
    }
    return 0;
}

/* The length of p's longest key: of the list's, or the prefix and the
 * last index's digits. */
static size_t key_max_len(const struct prd *p)
{
    const struct cfg_keys *k = &p->cfg->keys;
    size_t most = 0;
    for (uint32_t i = 0; k->list && i < p->n_keys; i++) {
        size_t len = strlen(k->list[i]);
        most = len > most ? len : most;
    }
    return k->list ? most : key_name_len(k, p->draws.prefix_len, p->n_keys - 1);
}

/* p->whole_bytes: a constant size's bytes when the longest key, key_max,
 * does not cap them (record_bytes: then no key does, and every record has
 * them), any p->max_records entries of them fit the request byte limit
 * (the bench: 500 x (100 + 7) bytes, 5 MiB allowed), which plan then need
 * not count, and every record is a write (no delete drawn: a stream's
 * producer); else 0. */
static uint32_t whole_bytes(const struct prd *p, size_t key_max)
{
    const struct dist *size = &p->cfg->record_bytes;
    if (size->kind != DIST_CONSTANT || p->cfg->remove_share > 0 ||
        !(size->value < (double)size_cap(p, key_max)))
        return 0;
    uint32_t b = size_bytes(p, size->value, key_max);
    double request = (double)p->max_records * ((double)b + (double)key_max);
    return request <= (double)p->lim.max_request_bytes ? b : 0;
}

/* The key space: the ids by rank, the ranks by index, and the Zipf alias table. */
static int init_keys(struct prd *p)
{
    const struct cfg_keys *k = &p->cfg->keys;
    p->n_keys = k->list ? (uint32_t)k->n_list : k->count;
    p->id_of_rank = malloc((size_t)p->n_keys * sizeof *p->id_of_rank);
    p->ids_in_row = true;
    if (!p->id_of_rank)
        return -1;
    keytab_reserve(p->keys, p->n_keys);   /* the keytab sized once, not doubled as keys come */
    if (dist_uint_init(&p->draws.key_uniform, p->draws.rng_keys, p->n_keys) < 0)
        return -1;   /* cannot happen: 1 <= n_keys < 2^32 - 1, the generator's 32-bit range */
    struct pdraws *d = &p->draws;
    d->rank_of = calloc(p->n_keys, sizeof *d->rank_of);
    d->key = calloc(AHEAD_ARRIVALS + KEY_AHEAD, sizeof *d->key);   /* 0s: indexes to prefetch */
    if (!d->rank_of || !d->key)
        return -1;
    if (!k->list) {
        const char *prefix = k->prefix ? k->prefix : "";
        d->prefix_len = strlen(prefix);
        p->keybuf = malloc(d->prefix_len + 16);
        d->keybuf = malloc(d->prefix_len + 16);
        if (!p->keybuf || !d->keybuf)
            return -1;
        memcpy(p->keybuf, prefix, d->prefix_len);
        memcpy(d->keybuf, prefix, d->prefix_len);
        d->prefix_json_len = json_escaped_len(prefix);
    }
    size_t key_max = key_max_len(p);
    p->whole_bytes = whole_bytes(p, key_max);
    d->lens = !p->whole_bytes;
    if (!(p->fixed_bytes = calloc(key_max + 1, sizeof *p->fixed_bytes)))
        return -1;
    if (k->distribution == CFG_KEYS_ZIPF) {
        /* P(index i) proportional to 1 / (i + 1)^s: index 0 is the hottest. */
        double *w = malloc((size_t)p->n_keys * sizeof *w);
        if (!w)
            return -1;
        for (uint32_t i = 0; i < p->n_keys; i++)
            w[i] = pow(i + 1.0, -k->zipf_s);
        p->draws.zipf = gsl_ran_discrete_preproc(p->n_keys, w);
        free(w);
        if (!p->draws.zipf)
            return -1;
    }
    return 0;
}

struct prd *prd_create(struct eng *e, const struct cfg_producer *cfg,
                       struct stm *stream, struct keytab *keys,
                       struct msgtab *msgs, char *err, size_t errlen)
{
    struct prd *p = prd_alloc(e, stream, keys, msgs);
    if (!p) {
        snprintf(err, errlen, "producer %s: out of memory", cfg->name);
        return NULL;
    }
    if (check_cfg(cfg, &p->lim, err, errlen) < 0) {
        prd_destroy(p);
        return NULL;
    }
    p->cfg = cfg;
    p->name = cfg->name;
    p->mode = cfg->retry.mode;
    p->max_attempts = cfg->retry.mode == CFG_RETRY_NONE ? 1 : cfg->retry.max_attempts;
    p->retry = cfg->retry;
    p->max_records = cfg->api == CFG_PUT_RECORD ? 1 : cfg->max_records;
    p->linger_us = cfg->linger_us;
    struct pdraws *d = &p->draws;
    d->cfg = cfg;
    d->rng_arrival = rng_named(e, cfg->name, "");
    d->rng_keys = rng_named(e, cfg->name, "/keys");
    d->rng_bytes = rng_named(e, cfg->name, "/bytes");
    p->rng_backoff = rng_named(e, cfg->name, "/backoff");
    d->rng_table = rng_named(e, cfg->name, "/table");
    p->results = malloc(p->max_records);
    p->delivered = malloc(p->max_records * sizeof *p->delivered);
    if (cfg->arrival == CFG_ARRIVAL_POISSON)
        d->blocks = dist_poisson_create();
    if (!d->rng_arrival || !d->rng_keys || !d->rng_bytes || !p->rng_backoff || !d->rng_table ||
        !p->results || !p->delivered || (cfg->arrival == CFG_ARRIVAL_POISSON && !d->blocks) ||
        init_keys(p) < 0 ||
        !(p->ahead = ahd_seq_create(sizeof(struct arrivals), fill_arrivals, d))) {
        prd_destroy(p);
        snprintf(err, errlen, "producer %s: out of memory", cfg->name);
        return NULL;
    }
    segment_at(d, cfg->start_us);
    struct cursor c = cursor_of(p);
    /* with whole_bytes the record's size, data and write are these, as
     * req_alloc sets its entries' (the arrivals bring no key lengths) */
    p->next = (struct stm_put_entry){ .bytes = p->whole_bytes, .item_op = STM_ITEM_WRITE };
    p->has_next = draw_next(p, &c, &p->next, 0, &p->next_key_len, p->whole_bytes != 0);
    p->arr_next = (uint32_t)c.i;
    if (p->has_next && eng_schedule(e, p->next.created_us, ENG_CLASS_WRITE, on_plan, p, 0) < 0) {
        prd_destroy(p);
        snprintf(err, errlen, "producer %s: out of memory", cfg->name);
        return NULL;
    }
    return p;
}

void prd_draw_ahead(struct prd *p, struct ahd *w)
{
    if (p->ahead)
        (void)ahd_attach(w, p->ahead);   /* when out of memory drawn here: the same draws */
}

/* ---- explicit records -------------------------------------------------- */

/* One explicit record: one PutRecord at its time, no retry. */
static void on_explicit(void *ctx, uint64_t index)
{
    struct prd *p = ctx;
    if (p->finished)
        return;
    uint32_t slot = req_alloc(p);
    if (slot == NONE) {
        eng_stop(p->e);
        return;
    }
    const struct cfg_record *r = &p->recs[index];
    size_t bytes = strlen(r->data);
    uint8_t op = r->has_event ? (uint8_t)(STM_ITEM_INSERT + r->event) : STM_ITEM_WRITE;
    struct preq *q = &p->req[slot];
    q->e[q->n++] = (struct stm_put_entry){
        .created_us = eng_now(p->e), .key_id = p->rec_key[index],
        .bytes = bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes,
        .data_id = p->rec_data[index], .item_op = op,
    };
    if (!req_messages(p, q, false)) {
        req_free(p, slot);
        eng_stop(p->e);
        return;
    }
    attempt(p, slot);
}

struct prd *prd_create_explicit(struct eng *e, const struct cfg_record *recs,
                                size_t n, struct stm *stream,
                                struct keytab *keys, struct msgtab *msgs,
                                char *err, size_t errlen)
{
    struct prd *p = prd_alloc(e, stream, keys, msgs);
    if (!p)
        goto nomem;
    p->name = EXPLICIT_NAME;
    p->mode = CFG_RETRY_NONE;
    p->max_attempts = 1;
    p->max_records = 1;
    p->recs = recs;
    p->results = malloc(1);
    p->delivered = malloc(sizeof *p->delivered);
    p->rec_key = malloc((n ? n : 1) * sizeof *p->rec_key);
    p->rec_data = malloc((n ? n : 1) * sizeof *p->rec_data);
    if (!p->results || !p->delivered || !p->rec_key || !p->rec_data)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        p->rec_key[i] = keytab_add(keys, recs[i].partition_key);
        p->rec_data[i] = stm_add_data(stream, recs[i].data);
        if (p->rec_key[i] == NONE || p->rec_data[i] == 0 ||
            eng_schedule(e, recs[i].at_us, ENG_CLASS_WRITE, on_explicit, p, i) < 0)
            goto nomem;
    }
    return p;
nomem:
    prd_destroy(p);
    snprintf(err, errlen, "explicit records: out of memory");
    return NULL;
}

/* ---- end --------------------------------------------------------------- */

void prd_destroy(struct prd *p)
{
    if (!p)
        return;
    for (uint32_t i = 0; i < p->n_req; i++) {
        free(p->req[i].e);
        free(p->req[i].written);
    }
    free(p->req);
    free(p->results);
    free(p->delivered);
    free(p->rec_key);
    free(p->rec_data);
    ahd_seq_destroy(p->ahead);   /* first: its worker may be drawing */
    struct pdraws *d = &p->draws;
    if (d->zipf)
        gsl_ran_discrete_free(d->zipf);
    free(p->id_of_rank);
    free(p->fixed_bytes);
    free(p->keybuf);
    free(d->rank_of);
    free(d->key);
    free(d->keybuf);
    dist_poisson_destroy(d->blocks);
    gsl_rng *rngs[] = { d->rng_arrival, d->rng_keys, d->rng_bytes, p->rng_backoff, d->rng_table };
    for (size_t i = 0; i < sizeof rngs / sizeof rngs[0]; i++)
        if (rngs[i])
            gsl_rng_free(rngs[i]);
    free(p);
}

void prd_stats(const struct prd *p, struct prd_stats *out) { *out = p->stats; }

/*
 * Let go of every message still held: buffered in the request being filled,
 * or waiting for a retry.  Called after msg_finish (as sim.c does), these
 * releases change nothing and the messages stay pending (or take the fate of
 * a record of theirs already written); called before it, a never-written
 * message would become rejected, which is not what a cut-off run means.
 */
void prd_finish(struct prd *p)
{
    if (p->finished)
        return;
    p->finished = true;
    for (uint32_t i = 0; i < p->n_req; i++) {
        struct preq *q = &p->req[i];
        if (!q->busy)
            continue;
        for (uint32_t j = 0; j < q->n; j++)
            msg_released(p->msgs, q->e[j].message_id);
        req_free(p, i);
    }
}
