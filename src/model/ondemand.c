/*
 * ondemand.c - the capacity of a Kinesis stream in on-demand mode (SPEC 1.1
 * Capacity modes, issue 14 item 2).
 *
 * What AWS documents (Kinesis Data Streams Developer Guide, "Choose the
 * data stream capacity mode", and "Quotas and limits"):
 * - a new on-demand stream has 4 MB/s and 4,000 records/s of write capacity;
 *   a shard takes 1 MB/s and 1,000 records/s in either mode, so that is 4
 *   shards;
 * - it "accommodates up to double the peak write throughput observed in
 *   the previous 30 days", and scales as the throughput reaches new peaks;
 * - "Kinesis Data Streams monitors traffic for each shard.  When the
 *   incoming traffic exceeds 500 KB/s per shard, it splits the shard within
 *   15 minutes.  The parent shard's hash key values are redistributed evenly
 *   across child shards";
 * - throttling can occur when the traffic grows past double the previous
 *   peak within 15 minutes (for "about 15 minutes");
 * - it scales up to 200 MB/s and 200,000 records/s of writes by default.
 *
 * The model, every second (an event of ENG_CLASS_TOPOLOGY at each whole
 * second k >= 1, looking at the second k - 1 that just ended):
 * - Traffic is what the shards accepted (what CloudWatch's IncomingRecords
 *   and IncomingBytes count), records and bytes (data + key, as the limits
 *   count them), from the stream's write windows.
 * - Peak: the stream's highest second of the trailing peak window (30 d),
 *   records and bytes apart; before the run, the stream's starting capacity
 *   (choice: the run starts with no history, and the stream was made, or
 *   scaled, for that much).
 * - A shard is hot when its accepted traffic, summed over the scale window
 *   (60 s, choice: CloudWatch's one-minute period), passes split_threshold
 *   (0.5: AWS's 500 KB/s of a shard's 1 MB/s; choice: records count the
 *   same way, 500 a second) of its limits times the window, in records or
 *   in bytes.  A shard is judged only once it has been open for a whole
 *   window.
 * - The ceiling: as many shards as carry twice the peak,
 *   ceil(2 peak / limit) in records and in bytes, whichever is more, and at
 *   most the stream's maximum (stm_on_demand_max_open); never fewer than are open.
 *   The hot shards are split, the hottest first (ties: the lower index),
 *   while the open shards plus the splits under way stay within it.  Each
 *   split happens scale_delay (15 min: the documented bound, choice: the
 *   worst case is the one a capacity plan must survive) after it is decided,
 *   at the middle of the shard's hash-key range (stm_split_evenly): a reshard
 *   like a scheduled SplitShard, logged with its lineage, read by the
 *   mapping parents first (R12).
 * - Nothing else: no merges (AWS documents no scale-down rule for on-demand
 *   Standard streams), and a split decided is never called off.
 *
 * So a spike up to the current capacity passes; beyond it the shards
 * throttle, the peak rises to the capacity, and a scale delay later the hot
 * shards split, up to twice the peak: a doubling is absorbed in one delay,
 * more takes one delay per doubling, as AWS warns.
 *
 * Memory: a ring of the scale window's seconds per open shard, and two
 * monotonic queues of (second, value) for the peaks, each at most the peak
 * window long (footprint.c counts both).
 */
#include "ondemand.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine.h"
#include "config.h"
#include "stream.h"

/* What a shard accepted in one second. */
struct sec_writes {
    uint64_t records, bytes;
};

struct oshard {
    struct sec_writes *ring;      /* the scale window's seconds: second t at t % window; NULL: closed */
    uint64_t sum_records, sum_bytes;   /* over the ring */
    int64_t since_sec;            /* the first whole second it was open for */
    bool pending;                 /* a split of it is scheduled */
    bool whole;                   /* it owns a single hash key: it cannot be split */
};

/* The highest value of the seconds of a trailing window: a queue of
 * (second, value) with values decreasing from the front, so the front is
 * the highest; a second enters at the back, after dropping the lower
 * values before it, and leaves at the front when it is out of the window. */
struct peak_entry {
    int64_t sec;
    uint64_t value;
};

struct peak {
    struct peak_entry *q;         /* ring of cap entries, doubled when full */
    size_t head, n, cap;
};

/* A hot shard of a tick, and its load. */
struct hot {
    double load;
    uint32_t shard;
};

struct odm {
    struct eng *e;
    struct stm *s;
    struct cfg_on_demand cfg;
    uint64_t records_limit, bytes_limit;   /* a shard's, per second */
    uint32_t max_open;            /* stm_on_demand_max_open */
    struct oshard *sh;            /* by shard index, stm_on_demand_max_made of them */
    uint32_t n_sh;                /* shards known */
    uint32_t n_open, n_pending;   /* open shards; splits decided, not done */
    struct hot *hot;              /* scratch: the hot shards of a tick */
    struct peak peak_records, peak_bytes;
};

/* ---- peaks ----------------------------------------------------------------- */

static struct peak_entry *peak_at(const struct peak *p, size_t i)
{
    return &p->q[(p->head + i) % p->cap];
}

/* Second sec had value; the window is the last `window` seconds to sec.
 * -1 when out of memory. */
static int peak_push(struct peak *p, int64_t sec, uint64_t value, int64_t window)
{
    while (p->n > 0 && peak_at(p, p->n - 1)->value <= value)
        p->n--;
    while (p->n > 0 && peak_at(p, 0)->sec <= sec - window) {
        p->head = (p->head + 1) % p->cap;
        p->n--;
    }
    if (p->n == p->cap) {   /* a falling traffic keeps every second: at most the window */
        size_t cap = p->cap ? 2 * p->cap : 64;
        struct peak_entry *q = malloc(cap * sizeof *q);
        if (!q)
            return -1;
        for (size_t i = 0; i < p->n; i++)
            q[i] = *peak_at(p, i);
        free(p->q);
        *p = (struct peak){ .q = q, .head = 0, .n = p->n, .cap = cap };
    }
    *peak_at(p, p->n++) = (struct peak_entry){ sec, value };
    return 0;
}

static uint64_t peak_value(const struct peak *p)
{
    return peak_at(p, 0)->value;
}

/* Shards that carry twice `peak` at `limit` a shard: ceil(2 peak / limit),
 * without overflow. */
static uint64_t shards_for_twice(uint64_t peak, uint64_t limit)
{
    uint64_t q = peak / limit, r = peak % limit;
    return 2 * q + (2 * r + limit - 1) / limit;
}

/* ---- shards ---------------------------------------------------------------- */

/* Shard i opens now: an empty window, judged from its first whole second. */
static int shard_open(struct odm *o, uint32_t i)
{
    int64_t now = eng_now(o->e);
    struct oshard *sh = &o->sh[i];
    *sh = (struct oshard){ .since_sec = (now + ENG_US_PER_SEC - 1) / ENG_US_PER_SEC };
    if (!(sh->ring = calloc((size_t)o->cfg.scale_window_s, sizeof *sh->ring)))
        return -1;
    o->n_open++;
    if (i >= o->n_sh)
        o->n_sh = i + 1;
    return 0;
}

static void shard_close(struct odm *o, uint32_t i)
{
    free(o->sh[i].ring);
    o->sh[i].ring = NULL;
    o->n_open--;
}

/* A split decided scale_delay ago: the shard arg splits now. */
static void on_split(void *ctx, uint64_t arg)
{
    struct odm *o = ctx;
    uint32_t shard = (uint32_t)arg, first_child = stm_shard_count(o->s);
    o->sh[shard].pending = false;
    o->n_pending--;
    int rc = stm_split_evenly(o->s, shard);
    if (rc > 0) {   /* halved down to one hash key: a hot key no split can spread */
        o->sh[shard].whole = true;
        return;
    }
    if (rc == 0)
        shard_close(o, shard);
    if (rc < 0 || shard_open(o, first_child) < 0 || shard_open(o, first_child + 1) < 0)
        eng_stop(o->e);   /* out of memory: stop, the run is incomplete */
}

/* A shard's share of its limits over the window, in its busier dimension. */
static double load(const struct odm *o, const struct oshard *sh)
{
    double w = (double)o->cfg.scale_window_s;
    double r = (double)sh->sum_records / (w * (double)o->records_limit);
    double b = (double)sh->sum_bytes / (w * (double)o->bytes_limit);
    return r > b ? r : b;
}

/* The hottest first, then the lower index. */
static int hotter(const void *a, const void *b)
{
    const struct hot *x = a, *y = b;
    if (x->load != y->load)
        return x->load > y->load ? -1 : 1;
    return (x->shard > y->shard) - (x->shard < y->shard);
}

/* The second that just ended into every open shard's window and the peaks;
 * then the splits it calls for. */
static void on_tick(void *ctx, uint64_t arg)
{
    struct odm *o = ctx;
    int64_t k = (int64_t)arg, sec = k - 1, w = o->cfg.scale_window_s;
    uint64_t records = 0, bytes = 0;
    uint32_t n_hot = 0;
    for (uint32_t i = 0; i < o->n_sh; i++) {
        uint64_t r, b;
        stm_shard_written(o->s, i, sec, &r, &b);   /* closed shards count their last second too */
        records += r;
        bytes += b;
        struct oshard *sh = &o->sh[i];
        if (!sh->ring)
            continue;
        struct sec_writes *slot = &sh->ring[sec % w];
        sh->sum_records += r - slot->records;
        sh->sum_bytes += b - slot->bytes;
        *slot = (struct sec_writes){ r, b };
        double l = load(o, sh);
        if (!sh->pending && !sh->whole && k - sh->since_sec >= w && l > o->cfg.split_threshold)
            o->hot[n_hot++] = (struct hot){ l, i };
    }
    if (peak_push(&o->peak_records, sec, records, o->cfg.peak_window_s) < 0 ||
        peak_push(&o->peak_bytes, sec, bytes, o->cfg.peak_window_s) < 0) {
        eng_stop(o->e);   /* out of memory: stop, the run is incomplete */
        return;
    }

    uint64_t ceiling = shards_for_twice(peak_value(&o->peak_records), o->records_limit);
    uint64_t by_bytes = shards_for_twice(peak_value(&o->peak_bytes), o->bytes_limit);
    if (by_bytes > ceiling)
        ceiling = by_bytes;
    if (ceiling > o->max_open)
        ceiling = o->max_open;
    uint64_t planned = (uint64_t)o->n_open + o->n_pending;
    uint64_t room = ceiling > planned ? ceiling - planned : 0;
    if (room > 0 && n_hot > 0) {
        qsort(o->hot, n_hot, sizeof *o->hot, hotter);
        for (uint32_t j = 0; j < n_hot && j < room; j++) {
            o->sh[o->hot[j].shard].pending = true;
            o->n_pending++;
            if (eng_schedule(o->e, eng_now(o->e) + o->cfg.scale_delay_us, ENG_CLASS_TOPOLOGY,
                             on_split, o, o->hot[j].shard) < 0)
                eng_stop(o->e);
        }
    }
    if (eng_schedule(o->e, (k + 1) * ENG_US_PER_SEC, ENG_CLASS_TOPOLOGY, on_tick, o, (uint64_t)k + 1) < 0)
        eng_stop(o->e);
}

/* ---- life cycle ------------------------------------------------------------- */

struct odm *odm_create(struct eng *e, struct stm *s, const struct cfg_stream *cfg,
                       char *err, size_t errlen)
{
    struct odm *o = calloc(1, sizeof *o);
    uint32_t made = stm_on_demand_max_made(cfg);
    if (!o)
        goto nomem;
    *o = (struct odm){
        .e = e, .s = s, .cfg = cfg->on_demand,
        .records_limit = cfg->write_records_per_sec, .bytes_limit = cfg->write_bytes_per_sec,
        .max_open = stm_on_demand_max_open(cfg),
    };
    /* before the run: the starting capacity, as if seen the second before */
    if (!(o->sh = calloc(made, sizeof *o->sh)) || !(o->hot = malloc(made * sizeof *o->hot)) ||
        peak_push(&o->peak_records, -1, (uint64_t)cfg->shards * o->records_limit, o->cfg.peak_window_s) < 0 ||
        peak_push(&o->peak_bytes, -1, (uint64_t)cfg->shards * o->bytes_limit, o->cfg.peak_window_s) < 0)
        goto nomem;
    for (uint32_t i = 0; i < cfg->shards; i++)
        if (shard_open(o, i) < 0)
            goto nomem;
    if (eng_schedule(e, ENG_US_PER_SEC, ENG_CLASS_TOPOLOGY, on_tick, o, 1) < 0)
        goto nomem;
    return o;
nomem:
    odm_destroy(o);
    snprintf(err, errlen, "stream %s: out of memory", cfg->name ? cfg->name : "stream");
    return NULL;
}

void odm_destroy(struct odm *o)
{
    if (!o)
        return;
    for (uint32_t i = 0; o->sh && i < o->n_sh; i++)
        free(o->sh[i].ring);
    free(o->sh);
    free(o->hot);
    free(o->peak_records.q);
    free(o->peak_bytes.q);
    free(o);
}
