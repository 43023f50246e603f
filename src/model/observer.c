/*
 * observer.c - every figure of a run, computed once from its log events:
 * see observer.h (issue 13 item 3; R6, R9, R10, R12, R14, R17, SPEC 1.3).
 *
 * The figures are those of report.c's SQL over the per-record tables, event
 * by event:
 *  - per-key order is judged on first deliveries in invocation order (ids
 *    grow in the order the mapping invokes; within an invocation records go
 *    in sequence order).  Deliveries are logged when an invocation ends, so
 *    invocations end out of order: each one's deliveries wait in a reorder
 *    buffer until every invocation with a smaller id has ended (the buffer
 *    holds the invocations in flight, and the ended ones behind them);
 *  - a record is held from its write until the shard's checkpoint passes it
 *    and none of its deliveries waits in the buffer: then its delivery
 *    counts (redelivered, handled twice) are final, and it is let go;
 *  - a message written once is a byte of flags until its fate came; one
 *    written twice or more is held until its fate is final and every record
 *    of it is let go: then its part of the retention bounds is known.
 *    Creation times ride on the records (sim.c sets them);
 *  - keys and shards are known by number (the events' key_id; a shard by
 *    the address of its id), never by hashing a string per record.
 * It reads nothing of the core's but its events, so that it may run on a
 * thread of its own behind a relay (simlog.h, sim.c): the key table, for
 * the examples' names, only in obs_finish, once the relay is drained.
 * Times are virtual microseconds in the events and milliseconds in the
 * figures, rounded as the run log rounds them (runlog.c), so that both
 * definitions meet on the same integers.
 */
#define _DEFAULT_SOURCE   /* madvise */
#include "observer.h"

#include <stdlib.h>
#include <string.h>

#include <stdatomic.h>
#include <sys/mman.h>

#include "config.h"
#include "keytab.h"
#include "grow.h"
#include "prefetch.h"

#define OBS_PAYLOAD_MAX 6291456   /* R2: an event over this is refused */
#define OBS_SHARD_CACHE 256       /* entries of the shard cache (a power of 2) */
#define OBS_SHARD_PROBES 8        /* slots an address may take in it, from its own */
#define OBS_HUGE_PAGE ((size_t)2 << 20)   /* a key table this large asks for huge pages */
#define OBS_PREFETCH_AHEAD 16     /* records ahead whose key state is fetched early */
#define OBS_KEYS_HINT_MAX ((size_t)1 << 20)   /* obs_reserve_keys's room, at most */


/* ---- small tables ------------------------------------------------------------ */

/* A multiset of integers (IteratorAge in ms): value -> count, open
 * addressing; its size follows the distinct values, not the invocations. */
struct counts {
    int64_t *value;
    uint64_t *count;       /* 0: empty slot */
    size_t n, cap;
    uint64_t total;
};

static uint64_t int_hash(uint64_t v)
{
    v ^= v >> 33;
    v *= 0xff51afd7ed558ccdULL;
    v ^= v >> 33;
    return v;
}

static int counts_add(struct counts *c, int64_t v)
{
    if (2 * (c->n + 1) > c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        int64_t *value = malloc(cap * sizeof *value);
        uint64_t *count = calloc(cap, sizeof *count);
        if (!value || !count) {
            free(value);
            free(count);
            return -1;
        }
        for (size_t i = 0; i < c->cap; i++)
            if (c->count[i]) {
                size_t s = int_hash((uint64_t)c->value[i]) & (cap - 1);
                while (count[s])
                    s = (s + 1) & (cap - 1);
                value[s] = c->value[i];
                count[s] = c->count[i];
            }
        free(c->value);
        free(c->count);
        c->value = value;
        c->count = count;
        c->cap = cap;
    }
    size_t s = int_hash((uint64_t)v) & (c->cap - 1);
    while (c->count[s] && c->value[s] != v)
        s = (s + 1) & (c->cap - 1);
    if (!c->count[s]) {
        c->value[s] = v;
        c->n++;
    }
    c->count[s]++;
    c->total++;
    return 0;
}

static int cmp_pair(const void *a, const void *b)
{
    int64_t x = ((const int64_t *)a)[0], y = ((const int64_t *)b)[0];
    return (x > y) - (x < y);
}

/* Nearest-rank percentiles of c (the ceil(p * n / 100)-th smallest). */
static int counts_age(const struct counts *c, struct obs_age *out)
{
    *out = (struct obs_age){ .count = c->total };
    if (!c->total)
        return 0;
    int64_t (*pairs)[2] = malloc(c->n * sizeof *pairs);
    if (!pairs)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < c->cap; i++)
        if (c->count[i]) {
            pairs[k][0] = c->value[i];
            pairs[k++][1] = (int64_t)c->count[i];
        }
    qsort(pairs, k, sizeof *pairs, cmp_pair);
    const int pct[3] = { 50, 90, 99 };
    int64_t *dst[3] = { &out->p50, &out->p90, &out->p99 };
    for (int p = 0; p < 3; p++) {
        uint64_t rank = (pct[p] * c->total + 99) / 100, seen = 0;
        for (size_t i = 0; i < k; i++) {
            seen += (uint64_t)pairs[i][1];
            if (seen >= rank) {
                *dst[p] = pairs[i][0];
                break;
            }
        }
    }
    out->max = pairs[k - 1][0];
    free(pairs);
    return 0;
}

static void counts_free(struct counts *c)
{
    free(c->value);
    free(c->count);
}

/*
 * plot's points: (chart, series, minute) -> the max, or the sum and count,
 * of the values.  A series (a chart's shard, or one of PS_*) keeps a cell a
 * minute from its first minute to its last, in a doubling array: charts
 * have a point nearly every minute, so 24 bytes a point, where a hash of
 * the points took 4 to 8 times that and grew by 1 MiB a simulated hour for
 * 16 shards (issue 15).  A series is found by a small hash on (chart,
 * series); the one added to last first (records come minute by minute).
 */
struct pcell {
    double max, sum;
    uint64_t n;                /* 0: no point in this minute */
};
struct pseries {
    uint32_t chart, series;
    int64_t first;             /* the minute of cells[0] */
    struct pcell *cells;       /* [0, len) initialised */
    size_t len, cap;
};
struct points {
    struct pseries *s;         /* in the order they came */
    size_t n, cap;
    uint32_t *index;           /* open addressing: 1 + a series' place in s, 0: empty */
    size_t index_cap;
    size_t last;               /* 1 + the place of the series added to last, 0: none */
    size_t n_points, n_means;  /* cells with a point; of them PS_MAX's (two rows each) */
};

enum { PS_ALL = UINT32_MAX - 8, PS_MAX, PS_MEAN, PS_WRITTEN, PS_DELIVERED, PS_SUCCEEDED, PS_MARK };

static size_t series_slot(const struct points *p, uint32_t chart, uint32_t series)
{
    return (size_t)(int_hash((uint64_t)chart << 32 | series) & (p->index_cap - 1));
}

/* The series of (chart, series), added when new; NULL when out of memory. */
static struct pseries *series_of(struct points *p, uint32_t chart, uint32_t series)
{
    if (2 * (p->n + 1) > p->index_cap) {
        size_t cap = p->index_cap ? 2 * p->index_cap : 64;
        uint32_t *index = calloc(cap, sizeof *index);
        if (!index)
            return NULL;
        free(p->index);
        p->index = index;
        p->index_cap = cap;
        for (size_t i = 0; i < p->n; i++) {
            size_t s = series_slot(p, p->s[i].chart, p->s[i].series);
            while (index[s])
                s = (s + 1) & (cap - 1);
            index[s] = (uint32_t)(i + 1);
        }
    }
    size_t s = series_slot(p, chart, series);
    for (; p->index[s]; s = (s + 1) & (p->index_cap - 1)) {
        struct pseries *e = &p->s[p->index[s] - 1];
        if (e->chart == chart && e->series == series) {
            p->last = p->index[s];
            return e;
        }
    }
    if (grow_array(&p->s, &p->cap, p->n + 1, sizeof *p->s) < 0)
        return NULL;
    p->s[p->n] = (struct pseries){ .chart = chart, .series = series };
    p->index[s] = (uint32_t)++p->n;
    p->last = p->n;
    return &p->s[p->n - 1];
}

/* The cell of minute in e, its range grown to reach it (fresh cells: no
 * point); NULL when out of memory. */
static struct pcell *cell_of(struct pseries *e, int64_t minute)
{
    if (minute >= e->first && (uint64_t)(minute - e->first) < e->len)
        return &e->cells[minute - e->first];
    if (e->len == 0)
        e->first = minute;
    /* the new range [lo, lo + len): before the first cell, or past the last */
    int64_t lo = minute < e->first ? minute : e->first;
    size_t shift = (size_t)(e->first - lo);
    size_t len = minute < e->first ? shift + e->len : (size_t)(minute - e->first) + 1;
    if (len > e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 16;
        while (cap < len)
            cap *= 2;
        struct pcell *cells = realloc(e->cells, cap * sizeof *cells);
        if (!cells)
            return NULL;
        e->cells = cells;
        e->cap = cap;
    }
    if (shift) {
        memmove(e->cells + shift, e->cells, e->len * sizeof *e->cells);
        memset(e->cells, 0, shift * sizeof *e->cells);
    }
    memset(e->cells + shift + e->len, 0, (len - shift - e->len) * sizeof *e->cells);
    e->first = lo;
    e->len = len;
    return &e->cells[minute - lo];
}

/* Add n values v at ms (a run of records of one millisecond: one call, the
 * sum as exact as n additions of 1, its values being integers). */
static int points_add(struct points *p, uint32_t chart, uint32_t series, int64_t ms, double v,
                      uint64_t n)
{
    struct pseries *e = p->last ? &p->s[p->last - 1] : NULL;
    if (!e || e->chart != chart || e->series != series)
        e = series_of(p, chart, series);
    /* the minute of ms, floored as SQLite's integer division does for ms >= 0 */
    struct pcell *c = e ? cell_of(e, ms >= 0 ? ms / 60000 : -((-ms) / 60000)) : NULL;
    if (!c)
        return -1;
    if (!c->n) {
        *c = (struct pcell){ .max = v };
        p->n_points++;
        p->n_means += series == PS_MAX;
    }
    c->max = v > c->max ? v : c->max;
    c->sum += v * (double)n;
    c->n += n;
    return 0;
}

/* Bytes the points hold (obs_points_bytes). */
static size_t points_bytes(const struct points *p)
{
    size_t n = p->cap * sizeof *p->s + p->index_cap * sizeof *p->index;
    for (size_t i = 0; i < p->n; i++)
        n += p->s[i].cap * sizeof *p->s[i].cells;
    return n;
}

static void points_free(struct points *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->s[i].cells);
    free(p->s);
    free(p->index);
    *p = (struct points){ 0 };
}

/* ---- what is held ------------------------------------------------------------- */

/* A record written and not yet let go (OBS_RECORD_BYTES: keep it small,
 * a stalled mapping holds every record of the retention period, and every
 * record's is written, then read a second later when it is delivered).
 * created_ms: its message's creation, from the message table while the
 * record is in the stream. */
struct orec {
    uint64_t seq, message_id;
    int64_t arrival_ms, created_ms;
    uint32_t key;
    uint32_t n;                /* deliveries */
    uint16_t pending;          /* its deliveries waiting in the reorder buffer */
    uint8_t handled;           /* deliveries it was handled in, saturating at 2 */
    bool settled;              /* its last invocation succeeded */
};
_Static_assert(sizeof(struct orec) <= OBS_RECORD_BYTES, "observer.h's OBS_RECORD_BYTES");

struct oshard {
    struct obs_shard row;
    bool listed;               /* named by a shard row, an invocation or an oldest-record
                                  sample (report's list of shards) */
    struct counts ages;
    /* Records in sequence order: the i-th held is the shard's record number
     * head + i (its ordinal, counted from the shard's first), at
     * ring[ordinal & mask], where it stays while held. */
    struct orec *ring;
    uint64_t head;
    size_t n, mask;
    uint64_t hint;             /* the ordinal rec_find found last (may be let go since) */
    bool has_checkpoint;
    uint64_t checkpoint;
};

/*
 * Per partition key, at its key_id: the greatest first-delivered record so
 * far, by sequence number and by producer order (creation, then message id):
 * the two obs_side of the examples, packed into one cache line, since every
 * first delivery reads its key's at random among all keys.  The sequence
 * side has no message id (0 in its examples).  A side with no record yet
 * needs no flag: it compares below every record (OKEY_NONE; first_delivery).
 */
struct okey {
    uint64_t seq_sequence, prod_sequence, prod_message;
    int64_t seq_time_ms, seq_first_ms, prod_time_ms, prod_first_ms;
    bool seq_has_first, prod_has_first;
};
/* Sequence number 0 is above none; creation INT64_MIN is below every
 * record's (obs_ms never returns it), message id 0 then breaking no tie. */
#define OKEY_NONE ((struct okey){ .prod_time_ms = INT64_MIN })
_Static_assert(sizeof(struct okey) == 64, "struct okey: one cache line");

/*
 * Messages, in a ring of one byte per id, as the message table's (msgtab.c)
 * from the oldest one whose part of the figures is not in: whether a record
 * of it came, was delivered, was let go.  A message is mostly written once:
 * its one record then carries the rest, and its fate adds nothing but a
 * count.  One written twice or more (a producer duplicate, SPEC 1.3) gets
 * an entry in a hash table (struct omulti) until its fate is final and its
 * records are let go: then its part of the retention bounds is known.
 */
enum {
    OM_SEEN = 1,              /* a record of it came */
    OM_FIRST = 2,             /* a record of it was delivered */
    OM_GONE = 4,              /* written once: its record was let go ... */
    OM_GONE_MAY_EXPIRE = 8,   /* ... and may have expired */
    OM_MULTI = 16,            /* written twice or more: see its omulti */
    OM_DONE = 32,             /* written twice or more: settled, the omulti gone */
    OM_FATE = 64,             /* its fate came (its message event) */
};
_Static_assert(1 <= OBS_MESSAGE_BYTES, "observer.h's OBS_MESSAGE_BYTES");

struct omulti {
    uint64_t id;              /* 0: an empty slot (message ids start at 1) */
    uint32_t n, let_go, may_expire;
    bool has_fate;
    uint8_t fate;
};

/* Deliveries of an invocation: count records of a shard from ordinal on,
 * handled or not (a batch is mostly one such run). */
struct odeliv {
    uint64_t ordinal;
    uint32_t shard, count;
    bool handled;
};

/* An invocation id in the reorder buffer.  Its slot keeps d's buffer for
 * the ids that reuse the slot (no allocation per invocation). */
struct oinv {
    bool ended;
    bool counted;              /* ended and not throttled */
    uint8_t outcome;
    int64_t start_ms;
    struct odeliv *d;
    size_t n, cap;
};

struct obs {
    struct slog next;
    struct slog_ops ops;       /* the tee's, its optional entries as next has them */
    const struct keytab *key_table;   /* read only by obs_finish (the examples' names) */
    int64_t expiry_before_ms;
    bool oom;                  /* of the events' side */
    bool schedule_oom;         /* of the model's calls (obs_mapping_enabled, obs_function),
                                  made on the simulation's thread */
    bool finished;
    struct obs_figures fig;
    struct keytab *shard_ids;  /* shard ids to dense ids, each copied once: read only when
                                  an id comes at a new address (shard_of) */
    struct oshard *shards;
    size_t shards_cap;
    struct { const char *str; uint32_t id; } shard_cache[OBS_SHARD_CACHE], last_shard;
    struct okey *keys;         /* by key_id, [0, keys_n) initialised, 64-byte aligned */
    size_t keys_n, keys_cap;
    struct counts ages;
    struct points points;
    struct { int64_t us, ms; uint64_t n; } written;   /* written_flush; ms is obs_ms(us), the
                                                         last record's arrival */
    int64_t *reshards;         /* opened_ms of children, as they came */
    size_t n_reshards, reshards_cap;
    bool enabled;              /* the mapping's Enabled now */
    int64_t since_us;          /* when it or the function last changed */
    int64_t fn_since_us;
    const struct cfg_function *fn;
    struct obs_span *spans[2]; /* disabled, failing */
    size_t n_spans[2], spans_cap[2];
    uint8_t *msgs_ring;        /* ids [msgs_base, msgs_end) at msgs_ring[id & msgs_mask]: OM_* */
    uint64_t msgs_base, msgs_end, msgs_mask;
    size_t msgs_n;             /* with a record held, or an omulti */
    struct omulti *multi;      /* open addressing by id */
    size_t n_multi, multi_cap;
    struct oinv *invs;         /* ring: id -> invs[id & inv_mask], ids [inv_base, inv_end) */
    uint64_t inv_base, inv_end, inv_mask;
    struct {                   /* the records read (R1), for the read delay */
        double delay_sum_us;
        int64_t delay_max_us;
    } reads;
    /* the examples' keys by key_id, named by obs_finish */
    uint32_t example_keys[2][OBS_EXAMPLES];
    /* obs_bytes() at each sync point, the i-th at bytes_at[i % OBS_BYTES_LAG];
     * syncs: how many came (written by the observer's thread, read by the
     * simulation's, obs_bytes_at) */
    uint64_t bytes_at[OBS_BYTES_LAG];
    atomic_uint_fast64_t syncs;
};

static int64_t obs_ms(int64_t us)
{
    /* as runlog.c stores it; unsigned, a division by a multiply without the
     * sign's fix-up */
    return us >= 0 ? (int64_t)((uint64_t)us / 1000) : -((-us + 999) / 1000);
}

/* ---- messages ---------------------------------------------------------------------- */

/* Message id's flags, or NULL when out of the ring (let go, or no record
 * of it came). */
static uint8_t *msg_flags(struct obs *o, uint64_t id)
{
    return id >= o->msgs_base && id < o->msgs_end ? &o->msgs_ring[id & o->msgs_mask] : NULL;
}

/* The ring's base moves past messages whose fate came and which are let
 * go, or had no record (rejected: none will come).  Eight at a time where
 * all eight are the common case, written once, let go and fated (issue 15:
 * a byte at a time was 19 instructions a message). */
static void msg_advance(struct obs *o)
{
    const uint64_t ones = 0x0101010101010101ULL;
    const uint64_t need = (OM_FATE | OM_GONE) * ones, multi = OM_MULTI * ones;
    while (o->msgs_base < o->msgs_end) {
        uint64_t at = o->msgs_base & o->msgs_mask;
        if (o->msgs_end - o->msgs_base >= 8 && at + 8 <= o->msgs_mask + 1) {
            uint64_t w;
            memcpy(&w, &o->msgs_ring[at], sizeof w);
            if ((w & (need | multi)) == need) {
                o->msgs_base += 8;
                continue;
            }
        }
        uint8_t f = o->msgs_ring[at];
        if (!(f & OM_FATE) || ((f & OM_SEEN) && !(f & (f & OM_MULTI ? OM_DONE : OM_GONE))))
            break;
        o->msgs_base++;
    }
}

/* msg_add's every case but the two common ones. */
static COLD uint8_t *msg_add_slow(struct obs *o, uint64_t id)
{
    if (id < o->msgs_base)
        return NULL;
    if (!o->msgs_ring || (id >= o->msgs_end && id - o->msgs_base > o->msgs_mask)) {
        msg_advance(o);
        uint64_t cap = o->msgs_ring ? o->msgs_mask + 1 : 4096;
        while (id - o->msgs_base >= cap)
            cap *= 2;
        if (!o->msgs_ring || cap > o->msgs_mask + 1) {
            uint8_t *ring = malloc(cap);
            if (!ring)
                return NULL;
            for (uint64_t i = o->msgs_base; i < o->msgs_end; i++)
                ring[i & (cap - 1)] = o->msgs_ring[i & o->msgs_mask];
            free(o->msgs_ring);
            o->msgs_ring = ring;
            o->msgs_mask = cap - 1;
        }
    }
    for (; o->msgs_end <= id; o->msgs_end++)
        o->msgs_ring[o->msgs_end & o->msgs_mask] = 0;
    return &o->msgs_ring[id & o->msgs_mask];
}

/* Message id's flags, the ring grown to reach it (fresh ids: 0); NULL when
 * out of memory or already let go.  Inline: an id in the ring (a fate), or
 * a new one with room for it (a record of a new message). */
static inline uint8_t *msg_add(struct obs *o, uint64_t id)
{
    if (id - o->msgs_base < o->msgs_end - o->msgs_base)   /* in [base, end) */
        return &o->msgs_ring[id & o->msgs_mask];
    if (id >= o->msgs_end && o->msgs_ring && id - o->msgs_base <= o->msgs_mask) {
        /* in locals: a byte's store may alias the observer's fields */
        uint8_t *ring = o->msgs_ring;
        const uint64_t mask = o->msgs_mask;
        uint64_t end = o->msgs_end;
        for (; end <= id; end++)   /* mostly one */
            ring[end & mask] = 0;
        o->msgs_end = end;
        return &ring[id & mask];
    }
    return msg_add_slow(o, id);
}

static size_t multi_slot(const struct obs *o, uint64_t id)
{
    return (size_t)(int_hash(id) & (o->multi_cap - 1));
}

/* The entry of a message written more than once (its flags say so). */
static struct omulti *multi_find(struct obs *o, uint64_t id)
{
    size_t s = multi_slot(o, id);
    while (o->multi[s].id != id)
        s = (s + 1) & (o->multi_cap - 1);
    return &o->multi[s];
}

static struct omulti *multi_add(struct obs *o, uint64_t id)
{
    if (2 * (o->n_multi + 1) > o->multi_cap) {
        size_t cap = o->multi_cap ? 2 * o->multi_cap : 64;
        struct omulti *grown = calloc(cap, sizeof *grown), *old = o->multi;
        if (!grown)
            return NULL;
        size_t old_cap = o->multi_cap;
        o->multi = grown;
        o->multi_cap = cap;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].id) {
                size_t s = multi_slot(o, old[i].id);
                while (grown[s].id)
                    s = (s + 1) & (cap - 1);
                grown[s] = old[i];
            }
        free(old);
    }
    size_t s = multi_slot(o, id);
    while (o->multi[s].id)
        s = (s + 1) & (o->multi_cap - 1);
    o->n_multi++;
    o->multi[s] = (struct omulti){ .id = id };
    return &o->multi[s];
}

/* Remove e, shifting back the entries of its probe run behind it. */
static void multi_remove(struct obs *o, struct omulti *e)
{
    size_t mask = o->multi_cap - 1, hole = (size_t)(e - o->multi);
    for (size_t s = (hole + 1) & mask; o->multi[s].id; s = (s + 1) & mask) {
        size_t home = multi_slot(o, o->multi[s].id);
        if (((s - home) & mask) >= ((s - hole) & mask)) {   /* its home is not after the hole */
            o->multi[hole] = o->multi[s];
            hole = s;
        }
    }
    o->multi[hole].id = 0;
    o->n_multi--;
}

/*
 * The part of a message written several times in the retention bounds,
 * once its fate is final and its records are let go: it may have lost to
 * retention as many of its records as may have expired (arrived before
 * expiry_before_ms and not settled), never all of them unless its fate is
 * expired (then one is counted already).
 */
static void msg_settle(struct obs *o, uint8_t *flags, struct omulti *m)
{
    if (!m->has_fate || m->let_go < m->n)
        return;
    if (m->fate == FATE_EXPIRED)
        o->fig.expired_records_max += m->may_expire > 1 ? m->may_expire - 1 : 0;
    else if (m->fate <= FATE_DISCARDED)   /* processed, pending, lost, discarded */
        o->fig.expired_records_max += m->may_expire < m->n - 1 ? m->may_expire : m->n - 1;
    multi_remove(o, m);
    *flags |= OM_DONE;
    o->msgs_n--;
}

/* ---- records ---------------------------------------------------------------------- */

static struct orec *rec_at(struct oshard *sh, size_t i)
{
    return &sh->ring[(sh->head + i) & sh->mask];
}

/* The ordinal of sh's held record with sequence number seq, or UINT64_MAX.
 * A batch's records mostly follow each other: the one after the last found
 * first. */
static uint64_t rec_find(struct oshard *sh, uint64_t seq)
{
    uint64_t h = sh->hint + 1;
    if (h >= sh->head && h - sh->head < sh->n && sh->ring[h & sh->mask].seq == seq)
        return sh->hint = h;
    size_t lo = 0, hi = sh->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rec_at(sh, mid)->seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == sh->n || rec_at(sh, lo)->seq != seq)
        return UINT64_MAX;
    return sh->hint = sh->head + lo;
}

/* Double sh's ring, each held record keeping its ordinal; -1 when out of
 * memory.  Rare: apart from rec_push, which is inline in see_record. */
static COLD int rec_grow(struct oshard *sh)
{
    size_t cap = sh->ring ? 2 * (sh->mask + 1) : 64;
    struct orec *ring = malloc(cap * sizeof *ring);
    if (!ring)
        return -1;
    for (size_t i = 0; i < sh->n; i++)
        ring[(sh->head + i) & (cap - 1)] = *rec_at(sh, i);
    free(sh->ring);
    sh->ring = ring;
    sh->mask = cap - 1;
    return 0;
}

/* A new record's slot at the end of sh's ring (filled in place by the
 * caller); NULL when out of memory. */
static inline struct orec *rec_push(struct oshard *sh)
{
    if (sh->n == (sh->ring ? sh->mask + 1 : 0) && rec_grow(sh) < 0)
        return NULL;
    return rec_at(sh, sh->n++);
}

/* Delivery counts of records let go, summed in a local while a shard's
 * are (not a read-modify-write of the figures a record). */
struct let_go_counts {
    uint64_t redelivered, redeliveries, reprocessed;
};

/* A record of message id, written twice or more and not settled, leaves.
 * Apart from rec_let_go's loop: rare, and inline it took registers the
 * common path then spilled. */
static COLD void multi_let_go(struct obs *o, uint8_t *flags, uint64_t id, bool may_expire)
{
    struct omulti *m = multi_find(o, id);
    m->let_go++;
    m->may_expire += may_expire;
    msg_settle(o, flags, m);
}

/* A record leaves: its delivery counts are final. */
static inline void rec_let_go(struct obs *o, const struct orec *r, struct let_go_counts *c)
{
    if (r->n > 1) {   /* handled <= n: a record delivered once adds nothing */
        c->redelivered++;
        c->redeliveries += r->n - 1;
        c->reprocessed += r->handled > 1;
    }
    uint8_t *f = msg_flags(o, r->message_id);
    if (!f)
        return;
    bool may_expire = r->arrival_ms < o->expiry_before_ms && !(r->n > 0 && r->settled);
    uint8_t flags = *f;
    if (!(flags & (OM_MULTI | OM_GONE))) {   /* written once: the common case */
        *f = flags | OM_GONE | (may_expire ? OM_GONE_MAY_EXPIRE : 0);
        o->msgs_n--;
    } else if ((flags & (OM_MULTI | OM_DONE)) == OM_MULTI) {
        multi_let_go(o, f, r->message_id, may_expire);
    }
}

/* Let go of the records the checkpoint passed, in order, while none of
 * them waits for a delivery; all of them at the end of the run.  The
 * shard's fields in locals: the stores a record may alias them. */
static void shard_let_go(struct obs *o, struct oshard *sh, bool all)
{
    if (!all && !sh->has_checkpoint)
        return;
    const uint64_t checkpoint = all ? UINT64_MAX : sh->checkpoint;
    const struct orec *ring = sh->ring;
    const uint64_t mask = sh->mask;
    uint64_t head = sh->head, end = sh->head + sh->n;
    struct let_go_counts c = { 0 };
    for (; head < end; head++) {
        const struct orec *r = &ring[head & mask];
        if (!all && (r->seq > checkpoint || r->pending > 0))
            break;
        rec_let_go(o, r, &c);
    }
    sh->n = (size_t)(end - head);
    sh->head = head;
    o->fig.redelivered_records += c.redelivered;
    o->fig.redeliveries += c.redeliveries;
    o->fig.reprocessed_records += c.reprocessed;
}

/* ---- shards and keys ------------------------------------------------------------- */

/*
 * A shard by its id.  Known by the address of the string after the first
 * time, trusted without reading it (no string compare per record): the
 * strings the observer is given keep their content for the whole run (the
 * core passes the stream's own ids, stream.c, allocated once with the
 * stream).  A new address is looked up by content.
 */
static COLD struct oshard *shard_of_slow(struct obs *o, const char *shard_id, size_t home)
{
    /* a few slots from the address's own, or two shards whose addresses
     * meet in one (a run in three, by the addresses it was given) would
     * evict each other and hash their ids on every event */
    size_t c = home & (OBS_SHARD_CACHE - 1);
    for (size_t i = 0; i < OBS_SHARD_PROBES; i++) {
        size_t at = (home + i) & (OBS_SHARD_CACHE - 1);
        if (o->shard_cache[at].str == shard_id) {
            o->last_shard = o->shard_cache[at];
            return &o->shards[o->last_shard.id];
        }
        if (!o->shard_cache[at].str) {   /* free: the address's slot */
            c = at;
            break;
        }
    }
    size_t known = keytab_count(o->shard_ids);
    uint32_t id = keytab_add(o->shard_ids, shard_id);
    if (id == UINT32_MAX) {
        o->oom = true;
        return NULL;
    }
    if (id == known) {   /* new */
        if (id >= o->shards_cap) {
            size_t cap = o->shards_cap ? 2 * o->shards_cap : 16;
            struct oshard *grown = realloc(o->shards, cap * sizeof *grown);
            if (!grown) {
                o->oom = true;   /* the id stays in the map without its shard: stop here */
                return NULL;
            }
            o->shards = grown;
            o->shards_cap = cap;
        }
        o->shards[id] = (struct oshard){ .row.shard_id = keytab_key(o->shard_ids, id) };
    }
    o->shard_cache[c].str = shard_id;
    o->shard_cache[c].id = id;
    o->last_shard = o->shard_cache[c];
    return &o->shards[id];
}

/* An address's own slot in the shard cache: Fibonacci hashing, its top
 * bits (two instructions a record where int_hash took eight; a collision
 * costs a probe, not a wrong shard). */
static inline size_t shard_home(const char *shard_id)
{
    return (size_t)(((uint64_t)(uintptr_t)shard_id * 0x9e3779b97f4a7c15ULL) >> 56);
}
_Static_assert(OBS_SHARD_CACHE == 256, "shard_home: the top 8 bits");

/* Inline: the last shard (an invocation's deliveries come in a row), or
 * one in its address's own slot of the cache (records come of every shard
 * in turn). */
static inline struct oshard *shard_of(struct obs *o, const char *shard_id)
{
    if (o->last_shard.str == shard_id)
        return &o->shards[o->last_shard.id];
    size_t home = shard_home(shard_id);
    size_t at = home & (OBS_SHARD_CACHE - 1);
    if (o->shard_cache[at].str == shard_id) {
        uint32_t id = o->shard_cache[at].id;   /* not read back from last_shard: a load
                                                  across the copy's store, stalled */
        o->last_shard = o->shard_cache[at];
        return &o->shards[id];
    }
    return shard_of_slow(o, shard_id, home);
}

/* The key table moved to room for cap keys; -1 when out of memory.  A
 * first delivery reads its key's state at random among every key: a table
 * of megabytes is asked for huge pages (Linux's transparent ones, where
 * madvise has them), or most of those reads miss the TLB too. */
static int keys_resize(struct obs *o, size_t cap)
{
    size_t bytes = cap * sizeof(struct okey);
    bool huge = bytes >= OBS_HUGE_PAGE;
    struct okey *keys = aligned_alloc(huge ? OBS_HUGE_PAGE : 64, bytes);
    if (!keys)
        return -1;
#ifdef MADV_HUGEPAGE
    if (huge)
        madvise(keys, bytes, MADV_HUGEPAGE);
#endif
    if (o->keys_n)
        memcpy(keys, o->keys, o->keys_n * sizeof *keys);
    free(o->keys);
    o->keys = keys;
    o->keys_cap = cap;
    return 0;
}

/* The key table's capacity for want keys: its own, or 1,024, doubled
 * until it holds them (a power of 2: key_reserve, obs_reserve_keys). */
static size_t keys_cap_for(const struct obs *o, size_t want)
{
    size_t cap = o->keys_cap ? o->keys_cap : 1024;
    while (cap < want)
        cap *= 2;
    return cap;
}

/* Room for key_id's state, the keys up to it initialised; -1 when out of
 * memory.  Its size follows the keys (their ids are dense), not the
 * records: it doubles past obs_reserve_keys's room. */
static int key_reserve(struct obs *o, uint32_t key_id)
{
    if (key_id >= o->keys_cap && keys_resize(o, keys_cap_for(o, (size_t)key_id + 1)) < 0)
        return -1;
    for (; o->keys_n <= key_id; o->keys_n++)
        o->keys[o->keys_n] = OKEY_NONE;
    return 0;
}

/* ---- deliveries, in invocation order ------------------------------------------------ */

/* Keep the example, the first OBS_EXAMPLES of a kind (0: by sequence, 1:
 * by producer), and its key's id: obs_finish names it. */
static void example(struct obs *o, int kind, uint32_t key, const struct obs_side *late,
                    const struct obs_side *after)
{
    struct obs_figures *f = &o->fig;
    size_t *n = kind ? &f->n_producer_examples : &f->n_sequence_examples;
    if (*n == OBS_EXAMPLES)
        return;
    o->example_keys[kind][*n] = key;
    (kind ? f->producer_examples : f->sequence_examples)[(*n)++] =
        (struct obs_example){ .late = *late, .after = *after };
}

/* The examples' keys by name, copied (the examples outlive the key table). */
static void name_examples(struct obs *o)
{
    struct obs_figures *f = &o->fig;
    for (int kind = 0; kind < 2; kind++) {
        size_t n = kind ? f->n_producer_examples : f->n_sequence_examples;
        struct obs_example *list = kind ? f->producer_examples : f->sequence_examples;
        for (size_t i = 0; i < n; i++) {
            uint32_t key = o->example_keys[kind][i];
            const char *name = o->key_table && key < keytab_count(o->key_table)
                                   ? keytab_key(o->key_table, key) : "";
            if (!(list[i].partition_key = strdup(name)))
                o->oom = true;
        }
    }
}

/* Producer order: creation time, then message id. */
static bool prod_after(int64_t a_ms, uint64_t a_id, int64_t b_ms, uint64_t b_id)
{
    return a_ms != b_ms ? a_ms > b_ms : a_id > b_id;
}

/* An ordering violation by sequence (R10, R12), and by producer order
 * (SPEC 1.3): counted, kept as an example. */
static COLD void late_by_sequence(struct obs *o, const struct okey *k, const struct orec *r,
                                  const struct oinv *inv)
{
    o->fig.order_by_sequence++;
    struct obs_side late = { .sequence_number = r->seq, .time_ms = r->arrival_ms,
                             .has_first = inv->counted, .first_delivered_ms = inv->start_ms };
    struct obs_side after = { .sequence_number = k->seq_sequence, .time_ms = k->seq_time_ms,
                              .has_first = k->seq_has_first,
                              .first_delivered_ms = k->seq_first_ms };
    example(o, 0, r->key, &late, &after);
}

static COLD void late_by_producer(struct obs *o, const struct okey *k, const struct orec *r,
                                  const struct oinv *inv)
{
    o->fig.order_by_producer++;
    struct obs_side late = { .message_id = r->message_id, .sequence_number = r->seq,
                             .time_ms = r->created_ms, .has_first = inv->counted,
                             .first_delivered_ms = inv->start_ms };
    struct obs_side after = { .message_id = k->prod_message, .sequence_number = k->prod_sequence,
                              .time_ms = k->prod_time_ms, .has_first = k->prod_has_first,
                              .first_delivered_ms = k->prod_first_ms };
    example(o, 1, r->key, &late, &after);
}

/*
 * A record's first delivery, in the order of (first invocation, sequence
 * number): late by sequence when a record of its key with a higher sequence
 * number came first (R10, R12); late by producer order when a message of its
 * key created later came first (SPEC 1.3), counting only the first record of
 * a message delivered (a producer duplicate's other records are not late).
 * The violations go apart (late_by_*): rare, and inline they took registers
 * the common path then spilled.
 */
static void first_delivery(struct obs *o, struct orec *r, const struct oinv *inv)
{
    struct okey *k = &o->keys[r->key];
    if (k->seq_sequence > r->seq) {
        late_by_sequence(o, k, r, inv);
    } else {
        k->seq_sequence = r->seq;
        k->seq_time_ms = r->arrival_ms;
        k->seq_has_first = inv->counted;
        k->seq_first_ms = inv->start_ms;
    }
    uint8_t *f = msg_flags(o, r->message_id);
    if (!f)
        return;
    bool not_first = *f & OM_FIRST;
    *f |= OM_FIRST;
    if (prod_after(k->prod_time_ms, k->prod_message, r->created_ms, r->message_id)) {
        if (!not_first)
            late_by_producer(o, k, r, inv);
    } else if (prod_after(r->created_ms, r->message_id, k->prod_time_ms, k->prod_message)) {
        k->prod_message = r->message_id;
        k->prod_sequence = r->seq;
        k->prod_time_ms = r->created_ms;
        k->prod_has_first = inv->counted;
        k->prod_first_ms = inv->start_ms;
    }
}

/* settled: inv was counted and succeeded (worked out by the caller, once
 * an invocation). */
static void deliver(struct obs *o, struct orec *r, bool handled, bool settled,
                    const struct oinv *inv)
{
    r->pending--;
    r->n++;
    r->handled += handled && r->handled < 2;
    r->settled = settled;
    if (r->n == 1)
        first_delivery(o, r, inv);
}

static struct oinv *inv_at(struct obs *o, uint64_t id)
{
    return &o->invs[id & o->inv_mask];
}

/* The buffer's slot of invocation id (not yet released), or NULL. */
static struct oinv *inv_slot(struct obs *o, uint64_t id)
{
    if (id < o->inv_base)
        return NULL;
    while (id >= o->inv_end) {
        if (o->inv_end - o->inv_base == (o->invs ? o->inv_mask + 1 : 0)) {
            uint64_t cap = o->invs ? 2 * (o->inv_mask + 1) : 64;
            struct oinv *ring = calloc(cap, sizeof *ring);
            if (!ring) {
                o->oom = true;
                return NULL;
            }
            /* the ring is full: every slot is in flight and moves, buffer and all */
            for (uint64_t i = o->inv_base; i < o->inv_end; i++)
                ring[i & (cap - 1)] = *inv_at(o, i);
            free(o->invs);
            o->invs = ring;
            o->inv_mask = cap - 1;
        }
        struct oinv *slot = inv_at(o, o->inv_end++);
        *slot = (struct oinv){ .d = slot->d, .cap = slot->cap };
    }
    return inv_at(o, id);
}

/* Release the invocations at the head of the buffer that ended (all of
 * them at the end of the run), in id order. */
static void inv_release(struct obs *o, bool all)
{
    while (o->inv_base < o->inv_end) {
        struct oinv *inv = inv_at(o, o->inv_base);
        if (!inv->ended && !all)
            break;
        const bool settled = inv->counted && inv->outcome == OUTCOME_SUCCESS;
        for (size_t i = 0; i < inv->n; i++) {
            const struct odeliv *d = &inv->d[i];
            /* in locals: the stores a record may alias them */
            struct orec *ring = o->shards[d->shard].ring;
            const uint64_t mask = o->shards[d->shard].mask, end = d->ordinal + d->count;
            const struct okey *keys = o->keys;
            const bool handled = d->handled;
            /* a first delivery reads its key's state, asked for when its
             * deliveries came (obs_on_deliveries), again a little ahead:
             * a batch's keys outgrow the first-level cache meanwhile */
            for (uint64_t x = d->ordinal; x < end; x++) {
                if (x + OBS_PREFETCH_AHEAD < end)
                    PREFETCH(&keys[ring[(x + OBS_PREFETCH_AHEAD) & mask].key]);
                deliver(o, &ring[x & mask], handled, settled, inv);
            }
        }
        for (size_t i = 0; i < inv->n; i++)   /* an invocation is of one shard: once */
            if (i == 0 || inv->d[i].shard != inv->d[i - 1].shard)
                shard_let_go(o, &o->shards[inv->d[i].shard], false);
        inv->n = 0;
        o->inv_base++;
    }
}

const char *obs_chart_name(enum obs_chart c)
{
    static const char *const names[OBS_CHART_COUNT] = {
        "iterator-age", "iterator-age-send", "oldest", "concurrency", "throughput",
        "discards", "expiries",
    };
    return (unsigned)c < OBS_CHART_COUNT ? names[c] : "?";
}

static void point(struct obs *o, enum obs_chart chart, uint32_t series, int64_t ms, double v)
{
    if (points_add(&o->points, chart, series, ms, v, 1) < 0)
        o->oom = true;
}

/* The records written at written.ms not yet counted in the throughput
 * chart: a PutRecords call's records arrive in the same millisecond. */
static void written_flush(struct obs *o)
{
    if (o->written.n &&
        points_add(&o->points, OBS_CHART_THROUGHPUT, PS_WRITTEN, o->written.ms, 1, o->written.n) < 0)
        o->oom = true;
    o->written.n = 0;
}

/* ---- the tee ---------------------------------------------------------------------- */

static void obs_on_shard(void *ctx, const struct slog_shard *s)
{
    struct obs *o = ctx;
    o->next.ops->shard(o->next.ctx, s);
    struct oshard *sh = shard_of(o, s->shard_id);
    if (!sh)
        return;
    struct obs_shard *row = &sh->row;
    free((char *)row->parent_shard_id);
    free((char *)row->adjacent_parent_shard_id);
    row->parent_shard_id = s->parent_shard_id ? strdup(s->parent_shard_id) : NULL;
    row->adjacent_parent_shard_id = s->adjacent_parent_shard_id ? strdup(s->adjacent_parent_shard_id)
                                                                : NULL;
    if ((s->parent_shard_id && !row->parent_shard_id) ||
        (s->adjacent_parent_shard_id && !row->adjacent_parent_shard_id))
        o->oom = true;
    if (s->parent_shard_id && !row->has_row) {   /* a child opens (R12) */
        if (o->n_reshards == o->reshards_cap) {
            size_t cap = o->reshards_cap ? 2 * o->reshards_cap : 16;
            int64_t *grown = realloc(o->reshards, cap * sizeof *grown);
            if (!grown) {
                o->oom = true;
                return;
            }
            o->reshards = grown;
            o->reshards_cap = cap;
        }
        o->reshards[o->n_reshards++] = obs_ms(s->opened_us);
    }
    row->has_row = true;
    sh->listed = true;
    row->opened_ms = obs_ms(s->opened_us);
    row->has_closed = s->closed_us >= 0;
    row->closed_ms = row->has_closed ? obs_ms(s->closed_us) : 0;
}

/* The flags of message id, whose fate came, when it is not in the ring
 * (no record of it came: rejected); NULL when out of memory, or never: let
 * go (the base passes only ids whose fate came). */
static COLD uint8_t *fate_flags_slow(struct obs *o, uint64_t id)
{
    if (id < o->msgs_base)
        return NULL;
    uint8_t *f = msg_add(o, id);
    if (!f)
        o->oom = true;
    return f;
}

/* The fate of message id, written twice or more and not settled. */
static COLD void multi_fate(struct obs *o, uint8_t *f, uint64_t id, enum fate fate)
{
    struct omulti *m = multi_find(o, id);
    m->has_fate = true;
    m->fate = (uint8_t)fate;
    msg_settle(o, f, m);
}

/* A message's fate: mostly of one whose record came (in the ring, written
 * once), a count and a flag; the other cases apart (a call a message, its
 * registers saved, cost more than the common path). */
static void obs_on_message(void *ctx, const struct slog_message *msg)
{
    struct obs *o = ctx;
    if (o->next.per_record)
        o->next.ops->message(o->next.ctx, msg);
    if ((unsigned)msg->fate >= FATE_COUNT)
        return;
    o->fig.messages[msg->fate]++;   /* expired_messages: obs_finish */
    const uint64_t id = msg->message_id;
    uint8_t *f;
    if (id - o->msgs_base < o->msgs_end - o->msgs_base)   /* in [base, end) */
        f = &o->msgs_ring[id & o->msgs_mask];
    else if (!(f = fate_flags_slow(o, id)))
        return;
    const uint8_t flags = *f | OM_FATE;
    *f = flags;
    if ((flags & (OM_MULTI | OM_DONE)) == OM_MULTI)
        multi_fate(o, f, id, msg->fate);
}

/* Another record of message id, whose flags are *f: a producer duplicate
 * (SPEC 1.3).  Apart from see_record: rare, and inline it took registers
 * the common path then spilled.  -1 when out of memory. */
static COLD int duplicate_record(struct obs *o, uint8_t *f, uint64_t id)
{
    if (!(*f & OM_MULTI)) {   /* its second record */
        struct omulti *m = multi_add(o, id);
        if (!m)
            return -1;
        m->n = 2;
        m->let_go = (*f & OM_GONE) != 0;
        m->may_expire = (*f & OM_GONE_MAY_EXPIRE) != 0;
        o->msgs_n += (*f & OM_GONE) != 0;
        *f |= OM_MULTI;
        o->fig.producer_duplicates++;
        o->fig.producer_duplicate_records++;
    } else if (!(*f & OM_DONE)) {
        multi_find(o, id)->n++;
        o->fig.producer_duplicate_records++;
    }
    return 0;
}

/* What a record tells the observer (next is told apart).  Always inline:
 * a call a record, and the registers it saves, cost more than its body's
 * common path. */
static inline __attribute__((always_inline)) void see_record(struct obs *o,
                                                             const struct slog_record *r)
{
    struct oshard *sh = shard_of(o, r->shard_id);
    if (!sh)
        return;
    if (r->key_id >= o->keys_n && key_reserve(o, r->key_id) < 0) {
        o->oom = true;
        return;
    }
    uint8_t *f = msg_add(o, r->message_id);
    if (!f) {
        o->oom = true;
        return;
    }
    if (!(*f & OM_SEEN)) {
        *f = OM_SEEN;
        o->msgs_n++;
    } else if (duplicate_record(o, f, r->message_id) < 0) {
        o->oom = true;
        return;
    }
    if (r->arrival_us != o->written.us) {   /* a PutRecords call's records share it */
        int64_t arrival_ms = obs_ms(r->arrival_us);
        if (arrival_ms != o->written.ms) {
            written_flush(o);
            o->written.ms = arrival_ms;
        }
        o->written.us = r->arrival_us;
    }
    o->written.n++;
    struct orec *rec = rec_push(sh);
    if (!rec) {
        o->oom = true;
        return;
    }
    /* The shard's next slot, written a shard-count of records later: its
     * lines come in meanwhile (the ring is far larger than the cache).  Its
     * last byte's line is enough, as stream.c's put_one says. */
    PREFETCH_W((const char *)(rec_at(sh, sh->n) + 1) - 1);
    rec->seq = r->sequence_number;
    rec->message_id = r->message_id;
    rec->arrival_ms = o->written.ms;
    rec->created_ms = obs_ms(r->created_us);
    rec->key = r->key_id;
    rec->n = 0;
    rec->pending = 0;
    rec->handled = 0;
    rec->settled = false;
}

static void obs_on_record(void *ctx, const struct slog_record *r)
{
    struct obs *o = ctx;
    if (o->next.per_record)
        o->next.ops->record(o->next.ctx, r);
    see_record(o, r);
}

/* A run of records: next gets them first, as a run when it takes one (it
 * keeps nothing of the observer's, so each sink sees its calls in the
 * order of n calls of obs_on_record). */
static void obs_on_records(void *ctx, const struct slog_record *rows, uint32_t n)
{
    struct obs *o = ctx;
    if (o->next.per_record)
        slog_records(o->next.ops, o->next.ctx, rows, n);
    for (uint32_t i = 0; i < n; i++)
        see_record(o, &rows[i]);
}

/* The observer reads nothing by key per record: the hint is next's. */
static void obs_on_key_ahead(void *ctx, uint32_t key_id)
{
    struct obs *o = ctx;
    o->next.ops->key_ahead(o->next.ctx, key_id);
}

static void obs_on_invocation(void *ctx, const struct slog_invocation *inv)
{
    struct obs *o = ctx;
    o->next.ops->invocation(o->next.ctx, inv);
    if ((unsigned)inv->outcome >= OUTCOME_COUNT)
        return;
    bool throttled = inv->outcome == OUTCOME_THROTTLED;
    o->fig.invocations[inv->outcome]++;
    o->fig.oversized += !throttled && inv->payload_bytes > OBS_PAYLOAD_MAX;
    struct oshard *sh = shard_of(o, inv->shard_id);
    if (!sh)
        return;
    sh->listed = true;
    sh->row.invocations += !throttled;
    sh->row.throttled += throttled;
    if (inv->iterator_age_us >= 0 && (counts_add(&sh->ages, obs_ms(inv->iterator_age_us)) < 0 ||
                                      counts_add(&o->ages, obs_ms(inv->iterator_age_us)) < 0))
        o->oom = true;
    uint32_t shard = (uint32_t)(sh - o->shards);
    if (inv->iterator_age_us >= 0) {
        double age = (double)obs_ms(inv->iterator_age_us);
        point(o, OBS_CHART_AGE, shard, obs_ms(inv->end_us), age);
        point(o, OBS_CHART_AGE, PS_ALL, obs_ms(inv->end_us), age);
    }
    if (inv->iterator_age_at_send_us >= 0) {
        double age = (double)obs_ms(inv->iterator_age_at_send_us);
        point(o, OBS_CHART_AGE_SEND, shard, obs_ms(inv->start_us), age);
        point(o, OBS_CHART_AGE_SEND, PS_ALL, obs_ms(inv->start_us), age);
    }
    if (!throttled)
        point(o, OBS_CHART_THROUGHPUT, PS_DELIVERED, obs_ms(inv->start_us), inv->record_count);
    if (inv->outcome == OUTCOME_SUCCESS)
        point(o, OBS_CHART_THROUGHPUT, PS_SUCCEEDED, obs_ms(inv->end_us), inv->record_count);
    struct oinv *slot = inv_slot(o, inv->invocation_id);
    if (!slot)
        return;
    slot->ended = true;
    slot->counted = !throttled;
    slot->outcome = (uint8_t)inv->outcome;
    slot->start_ms = obs_ms(inv->start_us);
    inv_release(o, false);
}

/* A run of an invocation's deliveries: the shard and the invocation's slot
 * looked up once, the first record found, then each next one read from the
 * ring when it is the record after the last (a batch mostly is), else
 * found; consecutive records make one odeliv, grown in a loop of its own. */
static void obs_on_deliveries(void *ctx, uint64_t invocation_id, const char *shard_id,
                              const uint64_t *sequence_numbers, uint32_t n, bool handled)
{
    struct obs *o = ctx;
    if (o->next.per_record)
        o->next.ops->deliveries(o->next.ctx, invocation_id, shard_id, sequence_numbers, n,
                                handled);
    o->fig.deliveries += n;
    struct oshard *sh = n ? shard_of(o, shard_id) : NULL;
    struct oinv *slot = sh ? inv_slot(o, invocation_id) : NULL;
    if (!slot)
        return;
    uint32_t shard = (uint32_t)(sh - o->shards);
    uint64_t ordinal = UINT64_MAX;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t next = ordinal + 1;   /* the record after the last one found */
        if (ordinal != UINT64_MAX && next - sh->head < sh->n &&
            sh->ring[next & sh->mask].seq == sequence_numbers[i])
            ordinal = sh->hint = next;
        else if ((ordinal = rec_find(sh, sequence_numbers[i])) == UINT64_MAX)
            continue;   /* its record was never logged (a run stopped early) */
        struct orec *r = &sh->ring[ordinal & sh->mask];
        /* its first delivery reads its key's state, at random among every
         * key, when the invocation is released (mostly just after this):
         * ask for it now, the batch's misses overlapping */
        PREFETCH(&o->keys[r->key]);
        if (r->pending == UINT16_MAX) {   /* never: a record is in few invocations at once */
            o->oom = true;
            continue;
        }
        struct odeliv *run = slot->n ? &slot->d[slot->n - 1] : NULL;
        if (!run || run->shard != shard || run->handled != handled ||
            run->ordinal + run->count != ordinal || run->count == UINT32_MAX) {
            if (slot->n == slot->cap) {
                size_t cap = slot->cap ? 2 * slot->cap : 16;
                struct odeliv *d = realloc(slot->d, cap * sizeof *d);
                if (!d) {
                    o->oom = true;
                    continue;   /* as each record alone would */
                }
                slot->d = d;
                slot->cap = cap;
            }
            run = &slot->d[slot->n++];
            *run = (struct odeliv){ .ordinal = ordinal, .shard = shard, .handled = handled };
        }
        r->pending++;
        /* the records after it while they follow it in the ring: the run
         * grows without the tests above (issue 15: a batch is mostly one),
         * the shard's and the run's fields in locals (a record's store may
         * alias them: they were read again each record) */
        struct orec *const ring = sh->ring;
        const uint64_t mask = sh->mask, held_end = sh->head + sh->n;
        const struct okey *const keys = o->keys;
        uint32_t count = run->count + 1;
        for (; i + 1 < n && count < UINT32_MAX; i++) {
            uint64_t after = ordinal + 1;
            if (after >= held_end)
                break;
            struct orec *q = &ring[after & mask];
            if (q->seq != sequence_numbers[i + 1] || q->pending == UINT16_MAX)
                break;
            PREFETCH(&keys[q->key]);
            q->pending++;
            count++;
            ordinal = after;
        }
        run->count = count;
        sh->hint = ordinal;
    }
}

static void obs_on_checkpoint(void *ctx, const char *shard_id, int64_t at_us,
                              uint64_t sequence_number, enum ckpt_reason reason)
{
    struct obs *o = ctx;
    o->next.ops->checkpoint(o->next.ctx, shard_id, at_us, sequence_number, reason);
    if ((unsigned)reason < CKPT_COUNT)
        o->fig.checkpoints[reason]++;
    if (reason == CKPT_EXPIRED)
        point(o, OBS_CHART_EXPIRIES, PS_MARK, obs_ms(at_us), 1);
    struct oshard *sh = shard_of(o, shard_id);
    if (!sh)
        return;
    if (!sh->has_checkpoint || sequence_number > sh->checkpoint)
        sh->checkpoint = sequence_number;
    sh->has_checkpoint = true;
    shard_let_go(o, sh, false);
}

/* The first OnFailure messages by time, then in the order they came. */
static void obs_on_discard(void *ctx, const struct slog_discard *d)
{
    struct obs *o = ctx;
    o->next.ops->discard(o->next.ctx, d);
    unsigned c = d->condition == DISCARD_RECORD_AGE;
    o->fig.discard_messages[c]++;
    o->fig.discard_records[c] += d->record_count;
    point(o, OBS_CHART_DISCARDS, PS_MARK, obs_ms(d->at_us), 1);
    struct obs_figures *f = &o->fig;
    int64_t at_ms = obs_ms(d->at_us);
    size_t at = f->n_discards_listed;
    while (at > 0 && f->discards_listed[at - 1].at_ms > at_ms)
        at--;
    if (at == OBS_DISCARDS_LISTED)
        return;
    struct oshard *sh = shard_of(o, d->shard_id);
    char *dest = d->destination ? strdup(d->destination) : NULL;
    if (!sh || (d->destination && !dest)) {
        free(dest);
        o->oom = true;
        return;
    }
    if (f->n_discards_listed == OBS_DISCARDS_LISTED)
        free((char *)f->discards_listed[--f->n_discards_listed].destination);
    memmove(&f->discards_listed[at + 1], &f->discards_listed[at],
            (f->n_discards_listed - at) * sizeof f->discards_listed[0]);
    f->n_discards_listed++;
    f->discards_listed[at] = (struct obs_discard){
        .at_ms = at_ms, .shard_id = sh->row.shard_id, .condition = d->condition,
        .start_sequence_number = d->start_sequence_number,
        .end_sequence_number = d->end_sequence_number, .record_count = d->record_count,
        .approximate_invoke_count = d->approximate_invoke_count, .destination = dest,
    };
}

static void obs_on_metric(void *ctx, int64_t at_us, const char *name, const char *shard_id,
                          double value)
{
    struct obs *o = ctx;
    o->next.ops->metric(o->next.ctx, at_us, name, shard_id, value);
    /* The run log keeps the value as a REAL and report reads its maximum as
     * an integer: truncated toward zero. */
    if (!shard_id && strcmp(name, "concurrent_executions") == 0) {
        point(o, OBS_CHART_CONCURRENCY, PS_MAX, obs_ms(at_us), value);
        if (!o->fig.has_concurrency || (int64_t)value > o->fig.concurrency_max)
            o->fig.concurrency_max = (int64_t)value;
        o->fig.has_concurrency = true;
    } else if (shard_id && strcmp(name, "oldest_unprocessed_age_ms") == 0) {
        struct oshard *sh = shard_of(o, shard_id);
        if (sh && (!sh->row.has_oldest || (int64_t)value > sh->row.oldest_unprocessed_age_max_ms)) {
            sh->row.oldest_unprocessed_age_max_ms = (int64_t)value;
            sh->row.has_oldest = true;
        }
        if (sh) {
            sh->listed = true;
            point(o, OBS_CHART_OLDEST, (uint32_t)(sh - o->shards), obs_ms(at_us), value);
            point(o, OBS_CHART_OLDEST, PS_ALL, obs_ms(at_us), value);
        }
    }
}

static void obs_on_window(void *ctx, const struct slog_window *w)
{
    struct obs *o = ctx;
    o->next.ops->window(o->next.ctx, w);
}

static void obs_on_log_line(void *ctx, const struct slog_line *l)
{
    struct obs *o = ctx;
    o->next.ops->log_line(o->next.ctx, l);
}

/* A sync point: what the observer holds now, for the simulation's memory
 * budget (obs_bytes_at). */
static void obs_on_sync(void *ctx, int64_t reached_us)
{
    struct obs *o = ctx;
    if (o->next.ops->sync)
        o->next.ops->sync(o->next.ctx, reached_us);
    uint64_t n = atomic_load_explicit(&o->syncs, memory_order_relaxed);
    o->bytes_at[n % OBS_BYTES_LAG] = obs_bytes(o);
    atomic_store_explicit(&o->syncs, n + 1, memory_order_release);
}

bool obs_bytes_at(struct obs *o, uint64_t sync, uint64_t *bytes)
{
    if (atomic_load_explicit(&o->syncs, memory_order_acquire) <= sync)
        return false;
    *bytes = o->bytes_at[sync % OBS_BYTES_LAG];
    return true;
}

static bool obs_on_failed(void *ctx)
{
    struct obs *o = ctx;
    return o->oom || o->next.ops->failed(o->next.ctx);
}

/* ---- reads (R1, R9): the read delay and the GetRecords throttles ------------------- */

/* The mapping's reads: GetRecords calls throttled, and the propagation delay
 * of every record read, from its arrival to its read (or its push). */
static void obs_on_read(void *ctx, const struct slog_read *rd)
{
    struct obs *o = ctx;
    if (o->next.ops->read)
        o->next.ops->read(o->next.ctx, rd);
    o->fig.read_throttles += rd->throttled;
    o->fig.records_read += rd->records;
    o->reads.delay_sum_us += rd->delay_sum_us;
    if (rd->records && rd->delay_max_us > o->reads.delay_max_us)
        o->reads.delay_max_us = rd->delay_max_us;
}

/* The mean and the maximum in ms (0 when nothing was read), as the summary
 * has always given them. */
static void reads_finish(struct obs *o)
{
    struct obs_figures *f = &o->fig;
    f->read_delay_mean_ms = f->records_read ? o->reads.delay_sum_us / (double)f->records_read / 1000
                                            : 0;
    f->read_delay_max_ms = (double)o->reads.delay_max_us / 1000;
}

/* ---- life cycle -------------------------------------------------------------------- */

struct obs *obs_create(const struct slog *next, int64_t expiry_before_ms)
{
    struct obs *o = calloc(1, sizeof *o);
    if (!o || !(o->shard_ids = keytab_create())) {
        free(o);
        return NULL;
    }
    o->next = *next;
    o->expiry_before_ms = expiry_before_ms;
    o->inv_base = o->inv_end = 1;   /* the mapping's ids start at 1, */
    o->msgs_base = o->msgs_end = 1; /* the message table's too */
    o->enabled = true;
    atomic_init(&o->syncs, 0);
    o->ops = (struct slog_ops){
        .shard = obs_on_shard, .message = obs_on_message, .record = obs_on_record,
        .records = obs_on_records,
        .invocation = obs_on_invocation, .deliveries = obs_on_deliveries,
        .checkpoint = obs_on_checkpoint, .discard = obs_on_discard, .metric = obs_on_metric,
        .window = next->ops->window ? obs_on_window : NULL,
        .log_line = next->ops->log_line ? obs_on_log_line : NULL,
        .sync = obs_on_sync,       /* always: it counts them */
        .read = obs_on_read,       /* always: the observer's figures need it */
        .key_ahead = next->per_record && next->ops->key_ahead ? obs_on_key_ahead : NULL,
        .failed = obs_on_failed,
    };
    return o;
}

void obs_set_keys(struct obs *o, const struct keytab *keys)
{
    o->key_table = keys;
}

/*
 * Issue 15: growing by doubling copied the table at each step into fresh
 * pages the kernel zeroed first (the bench's 100,000 keys: 2, 4, then 8
 * MiB).  A state is still initialised as its key comes, in id order, so
 * only the pages keys reached are touched: a hint larger than the keys
 * that come costs address space, not memory.  OBS_KEYS_HINT_MAX bounds
 * that address space (64 MiB) for a key space of millions or billions,
 * which would otherwise ask gigabytes that overcommit may refuse; past
 * it the table doubles as before.  Failing, the table grows as before.
 */
void obs_reserve_keys(struct obs *o, size_t n)
{
    size_t cap = keys_cap_for(o, n < OBS_KEYS_HINT_MAX ? n : OBS_KEYS_HINT_MAX);
    if (cap > o->keys_cap)
        (void)keys_resize(o, cap);
}

/* Every record is seen, whatever next keeps: next gets messages, records
 * and deliveries only when it wants them (its per_record).  The observer
 * knows keys by key_id: names are looked up only for a next that reads them;
 * of a message it reads the id and fate alone (obs_on_message) but for such
 * a next. */
struct slog obs_sink(struct obs *o)
{
    return (struct slog){ .ops = &o->ops, .ctx = o, .per_record = true,
                          .no_key_names = !o->next.per_record || o->next.no_key_names,
                          .fates_only = !o->next.per_record,
                          .event = o->next.event, .event_ctx = o->next.event_ctx };
}

/* ---- what the model tells: the mapping's Enabled, the function (R16) ---------------- */

static void span(struct obs *o, int which, int64_t from_us, int64_t to_us)
{
    if (from_us >= to_us)
        return;
    if (o->n_spans[which] == o->spans_cap[which]) {
        size_t cap = o->spans_cap[which] ? 2 * o->spans_cap[which] : 8;
        struct obs_span *grown = realloc(o->spans[which], cap * sizeof *grown);
        if (!grown) {
            o->schedule_oom = true;
            return;
        }
        o->spans[which] = grown;
        o->spans_cap[which] = cap;
    }
    o->spans[which][o->n_spans[which]++] = (struct obs_span){ from_us, to_us };
}

void obs_mapping_enabled(struct obs *o, int64_t at_us, bool enabled)
{
    if (o->enabled && !enabled)
        o->since_us = at_us;
    else if (!o->enabled && enabled)
        span(o, 0, o->since_us, at_us);
    o->enabled = enabled;
}

size_t obs_failing_spans(const struct cfg_function *fn, int64_t from_us, int64_t to_us,
                         struct obs_span *out)
{
    size_t n = 0;
    for (size_t i = 0; i < fn->n_failures; i++) {
        const struct cfg_failure *r = &fn->failures[i];
        if (r->effect != CFG_EFFECT_FAIL)
            continue;
        int64_t a = from_us, b = to_us;
        if (r->match == CFG_MATCH_INTERVAL) {
            a = r->from_us > a ? r->from_us : a;
            b = r->to_us < b ? r->to_us : b;
        } else if (r->match != CFG_MATCH_ALL &&
                   !(r->match == CFG_MATCH_PROBABILITY && r->probability >= 1)) {
            continue;
        }
        out[n++] = (struct obs_span){ a, b };
    }
    return n;
}

static void failing(struct obs *o, const struct cfg_function *fn, int64_t from_us, int64_t to_us)
{
    struct obs_span *v = malloc((fn->n_failures + 1) * sizeof *v);
    if (!v) {
        o->schedule_oom = true;
        return;
    }
    size_t n = obs_failing_spans(fn, from_us, to_us, v);
    for (size_t i = 0; i < n; i++)
        span(o, 1, v[i].from_us, v[i].to_us);
    free(v);
}

void obs_function(struct obs *o, int64_t at_us, const struct cfg_function *fn)
{
    if (o->fn)
        failing(o, o->fn, o->fn_since_us, at_us);
    o->fn = fn;
    o->fn_since_us = at_us;
}

/* ---- the end ------------------------------------------------------------------------- */

static const char *point_series(const struct obs *o, const struct pseries *k, bool mean)
{
    switch (k->series) {
    case PS_ALL: return "all";
    case PS_MAX: return mean ? "mean" : "max";
    case PS_WRITTEN: return "written";
    case PS_DELIVERED: return "delivered";
    case PS_SUCCEEDED: return "succeeded";
    case PS_MARK: return k->chart == OBS_CHART_DISCARDS ? "discard" : "expiry";
    default: return keytab_key(o->shard_ids, k->series);
    }
}

static int cmp_point(const void *a, const void *b)
{
    const struct obs_point *x = a, *y = b;
    if (x->chart != y->chart)
        return x->chart < y->chart ? -1 : 1;
    int c = strcmp(x->series, y->series);
    if (c)
        return c;
    return (x->minute > y->minute) - (x->minute < y->minute);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

_Static_assert(sizeof(struct obs_point) <= 32, "struct obs_point: the rows are held until written");

/* plot's points, sorted; the reshard instants, distinct and ascending.
 * The points' cells are let go here: the rows hold them now. */
static void finish_series(struct obs *o)
{
    struct obs_figures *f = &o->fig;
    f->points = malloc((o->points.n_points + o->points.n_means + 1) * sizeof *f->points);
    if (!f->points) {
        o->oom = true;
        return;
    }
    for (size_t i = 0; i < o->points.n; i++) {
        const struct pseries *e = &o->points.s[i];
        bool sample = e->chart == OBS_CHART_OLDEST || e->chart == OBS_CHART_CONCURRENCY;
        bool count = e->chart >= OBS_CHART_THROUGHPUT;
        for (size_t m = 0; m < e->len; m++) {
            const struct pcell *v = &e->cells[m];
            if (!v->n)
                continue;
            f->points[f->n_points++] = (struct obs_point){
                .chart = (enum obs_chart)e->chart, .series = point_series(o, e, false),
                .minute = e->first + (int64_t)m, .value = count ? v->sum : v->max,
                .integer = !sample,
            };
            if (e->series == PS_MAX)   /* the mean of the samples, as SQL's avg sums them */
                f->points[f->n_points++] = (struct obs_point){
                    .chart = OBS_CHART_CONCURRENCY, .series = point_series(o, e, true),
                    .minute = e->first + (int64_t)m, .value = v->sum / (double)v->n,
                };
        }
    }
    points_free(&o->points);
    qsort(f->points, f->n_points, sizeof *f->points, cmp_point);
    if (o->n_reshards)   /* qsort wants an array, even of none */
        qsort(o->reshards, o->n_reshards, sizeof *o->reshards, cmp_i64);
    for (size_t i = 0; i < o->n_reshards; i++)
        if (i == 0 || o->reshards[i] != o->reshards[f->n_reshards - 1])
            o->reshards[f->n_reshards++] = o->reshards[i];
    f->reshard_ms = o->reshards;
    f->disabled = o->spans[0];
    f->n_disabled = o->n_spans[0];
    f->failing = o->spans[1];
    f->n_failing = o->n_spans[1];
}

static int cmp_shard(const void *a, const void *b)
{
    return strcmp(((const struct obs_shard *)a)->shard_id, ((const struct obs_shard *)b)->shard_id);
}

void obs_finish(struct obs *o, int64_t end_us)
{
    if (o->finished)
        return;
    o->finished = true;
    obs_mapping_enabled(o, end_us, true);   /* a span still open ends with the run */
    obs_function(o, end_us, NULL);
    written_flush(o);
    finish_series(o);
    reads_finish(o);
    inv_release(o, true);
    name_examples(o);
    for (size_t i = 0; i < keytab_count(o->shard_ids); i++)
        shard_let_go(o, &o->shards[i], true);
    o->fig.expired_messages = o->fig.messages[FATE_EXPIRED];
    o->fig.expired_records_max += o->fig.expired_messages;
    o->fig.shards = calloc(keytab_count(o->shard_ids) ? keytab_count(o->shard_ids) : 1, sizeof *o->fig.shards);
    if (!o->fig.shards) {
        o->oom = true;
        return;
    }
    for (size_t i = 0; i < keytab_count(o->shard_ids); i++) {
        if (!o->shards[i].listed)
            continue;
        if (counts_age(&o->shards[i].ages, &o->shards[i].row.age) < 0)
            o->oom = true;
        o->fig.shards[o->fig.n_shards++] = o->shards[i].row;
    }
    qsort(o->fig.shards, o->fig.n_shards, sizeof *o->fig.shards, cmp_shard);
    if (counts_age(&o->ages, &o->fig.age) < 0)
        o->oom = true;
}

const struct obs_figures *obs_figures(const struct obs *o)
{
    return &o->fig;
}

size_t obs_records_held(const struct obs *o)
{
    size_t n = 0;
    for (size_t i = 0; i < keytab_count(o->shard_ids); i++)
        n += o->shards[i].n;
    return n;
}

size_t obs_messages_held(const struct obs *o)
{
    return o->msgs_n;
}

uint64_t obs_bytes(const struct obs *o)
{
    uint64_t n = (o->msgs_ring ? o->msgs_mask + 1 : 0) + o->multi_cap * sizeof(struct omulti);
    for (size_t i = 0; i < keytab_count(o->shard_ids); i++)
        n += o->shards[i].ring ? (o->shards[i].mask + 1) * sizeof(struct orec) : 0;
    return n + (o->invs ? (o->inv_mask + 1) * sizeof(struct oinv) : 0);
}

size_t obs_points_bytes(const struct obs *o)
{
    return points_bytes(&o->points);
}

bool obs_failed(const struct obs *o)
{
    return o->oom || o->schedule_oom;
}

void obs_destroy(struct obs *o)
{
    if (!o)
        return;
    for (uint64_t i = 0; o->invs && i <= o->inv_mask; i++)   /* each slot keeps its buffer */
        free(o->invs[i].d);
    free(o->invs);
    for (size_t i = 0; i < keytab_count(o->shard_ids); i++) {
        free((char *)o->shards[i].row.parent_shard_id);
        free((char *)o->shards[i].row.adjacent_parent_shard_id);
        free(o->shards[i].ring);
        counts_free(&o->shards[i].ages);
    }
    for (size_t i = 0; i < o->fig.n_discards_listed; i++)
        free((char *)o->fig.discards_listed[i].destination);
    for (size_t i = 0; i < o->fig.n_sequence_examples; i++)
        free((char *)o->fig.sequence_examples[i].partition_key);
    for (size_t i = 0; i < o->fig.n_producer_examples; i++)
        free((char *)o->fig.producer_examples[i].partition_key);
    free(o->fig.shards);
    free(o->fig.points);
    points_free(&o->points);
    free(o->reshards);
    free(o->spans[0]);
    free(o->spans[1]);
    free(o->shards);
    free(o->keys);
    free(o->multi);
    free(o->msgs_ring);
    counts_free(&o->ages);
    keytab_destroy(o->shard_ids);
    free(o);
}
