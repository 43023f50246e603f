/*
 * observer_int.h - what the observer's files share (observer_tee.c,
 * observer_figures.c, observer_deliveries.c, observer_held.c,
 * observer_index.c): struct obs and what it holds, the time rounding of
 * every figure, a chart's point.  Only they include it: outside, struct obs
 * stays opaque (observer.h).  What one of them calls in another is in that
 * one's own header (observer_held.h, ...).
 */
#ifndef ESMSIM_OBSERVER_INT_H
#define ESMSIM_OBSERVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "observer_counts.h"
#include "observer.h"
#include "observer_points.h"
#include "simlog.h"

#define OBS_SHARD_CACHE 256       /* entries of the shard cache (a power of 2) */

/* ---- what is held ------------------------------------------------------------- */

/* A record written and not yet let go (OBS_RECORD_BYTES: keep it small,
 * a stalled mapping holds every record of the retention period, and every
 * record's is written, then read a second later when it is delivered).
 * created_us: its message's creation, from the message table while the
 * record is in the stream, in microseconds (prod_order: issue 15, its
 * millisecond cost 6 instructions a record written). */
struct orec {
    uint64_t seq, message_id;
    int64_t arrival_ms, created_us;
    uint32_t key;
    uint32_t n;                /* deliveries */
    uint16_t starts;           /* runs of deliveries waiting in the reorder buffer that start
                                  at it (struct odeliv): it and the records after it wait for
                                  them (issue 15: a count a record delivered, 4 instructions a
                                  record both ways, where a run's first record is enough) */
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
    struct orec *tail, *last; /* the slot of ordinal head + n, the next written; the ring's
                                  last (issue 15: a slot from its ordinal cost 4 instructions
                                  a record written) */
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
 * A side's first delivery is one word (okey_first): a run's records all
 * store the same, one store a side (issue 15).
 */
struct okey {
    /* struct orec's first four words, in its order: a record's first
     * delivery copies them whole (let_go_plain), the sequence number the
     * producer side's, the arrival the sequence side's */
    uint64_t prod_sequence, prod_message;
    int64_t seq_time_ms, prod_time_us;
    uint64_t seq_sequence;
    int64_t seq_first, prod_first;   /* okey_first */
    uint64_t spare;                  /* to the line */
};
/* Sequence number 0 is above none; creation INT64_MIN is below every
 * record's (obs_ms takes none within a millisecond of it), message id 0
 * then breaking no tie. */
#define OKEY_NONE ((struct okey){ .prod_time_us = INT64_MIN })

/* An obs_side's has_first and first_delivered_ms in one word: twice the
 * millisecond, plus 1 when it has it (milliseconds are far below 2^62). */
static inline int64_t okey_first(bool has_first, int64_t first_delivered_ms)
{
    return (int64_t)((uint64_t)first_delivered_ms << 1) + has_first;
}

static inline bool okey_has_first(int64_t first)
{
    return first & 1;
}

static inline int64_t okey_first_ms(int64_t first)
{
    return first >> 1;   /* arithmetic: the floor, the millisecond's sign kept */
}
_Static_assert(sizeof(struct okey) == 64, "struct okey: one cache line");
_Static_assert(offsetof(struct okey, prod_sequence) == offsetof(struct orec, seq) &&
               offsetof(struct okey, prod_message) == offsetof(struct orec, message_id) &&
               offsetof(struct okey, seq_time_ms) == offsetof(struct orec, arrival_ms) &&
               offsetof(struct okey, prod_time_us) == offsetof(struct orec, created_us) &&
               offsetof(struct orec, created_us) == 3 * sizeof(uint64_t),
               "struct okey: struct orec's first four words, in its order");

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

/* A run of deliveries as its release walks it: records of a shard from
 * ordinal to end, handled or not, by an invocation counted (ended and not
 * throttled), started at start_ms, that settled them or not. */
struct orun {
    uint32_t shard;
    bool handled, counted, settled;
    uint64_t ordinal, end;
    int64_t start_ms;
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
                                  an id comes at a new address (obs_shard_of) */
    struct oshard *shards;
    size_t shards_cap;
    /* shard ids' addresses to their shards (pointers: an index cost a
     * multiply and an add a record; obs_shard_of_slow moves them with the
     * array) */
    struct { const char *str; struct oshard *sh; } shard_cache[OBS_SHARD_CACHE], last_shard;
    struct okey *keys;         /* by key_id, [0, keys_n) initialised, 64-byte aligned */
    size_t keys_n, keys_cap;
    struct counts ages;
    struct points points;
    struct { int64_t us, ms; uint64_t n; } written;   /* obs_written_flush; ms is obs_ms(us), the
                                                         last record's arrival */
    int64_t *reshards;         /* opened_ms of children, as they came */
    size_t n_reshards, reshards_cap;
    bool enabled;              /* the mapping's Enabled now */
    int64_t since_us;          /* when it or the function last changed */
    int64_t fn_since_us;
    const struct cfg_function *fn;
    struct obs_span *spans[2]; /* disabled, failing */
    size_t n_spans[2], spans_cap[2];
    uint8_t *msgs_ring;        /* ids [msgs_base, msgs_end) at msgs_ring[id & msgs_mask]: OM_*;
                                  the rest 0, the flags of the ids to come (issue 15: a
                                  record's id past the end zeroed those it skipped, 20 M
                                  instructions in 5 minutes) */
    uint64_t msgs_base, msgs_end, msgs_mask;
    struct omulti *multi;      /* open addressing by id */
    size_t n_multi, multi_cap;
    struct oinv *invs;         /* ring: id -> invs[id & inv_mask], ids [inv_base, inv_end) */
    uint64_t inv_base, inv_end, inv_mask;
    struct orun rest;          /* when rest_on: the records of the last invocation released
                                  that stay held, not yet walked, the ended ones after it
                                  waiting with them (obs_rest_flush) */
    bool rest_on;
    struct {                   /* the records read (R1), for the read delay */
        double delay_sum_us;
        int64_t delay_max_us;
    } reads;
    /* the examples' keys by key_id, named by obs_finish */
    uint32_t example_keys[2][OBS_EXAMPLES];
    /* obs_bytes() at each sync point (written by the observer's thread,
     * read by the simulation's, obs_bytes_at) */
    struct sync_notes notes;
};

static inline int64_t obs_ms(int64_t us)
{
    /* as the run log stores it (runlogi_ms, runlog_int.h); unsigned, a
     * division by a multiply without the sign's fix-up */
    return us >= 0 ? (int64_t)((uint64_t)us / 1000) : -((-us + 999) / 1000);
}

static inline void obs_add_point(struct obs *o, enum obs_chart chart, uint32_t series,
                                 int64_t ms, double v)
{
    if (points_add(&o->points, chart, series, ms, v, 1) < 0)
        o->oom = true;
}

#endif
