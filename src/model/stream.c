/*
 * stream.c - a Kinesis data stream (SPEC 1.1): shards with hash-key ranges,
 * MD5 routing, sequence numbers, per-shard write limits, PutRecords with
 * per-entry results in request order, shared read limits (R1), retention,
 * and resharding (SplitShard, MergeShards, UpdateShardCount; the consumer's
 * side of it is R12).  The stream of a DynamoDB table (SPEC 1.2) is the same
 * machinery with the table's rules, at the end of this comment.
 *
 * Choices (AWS leaves them open or the model needs them fixed):
 * - Hash ranges: shard i of N starts at floor(i * 2^128 / N) and ends one
 *   below the next start; the last ends at 2^128 - 1.  That is what
 *   CreateStream gives (AWS CLI describe-stream example, 3 shards: 0,
 *   113427455640312821154458202477256070485, 226854911280625642308916404954512140970;
 *   a 20-shard stream shows it is not i * floor(2^128 / N)).
 * - Sequence numbers: one counter for the whole stream, starting at 1, so a
 *   number is unique in the stream and increases within each shard.
 * - Write limits (records/s and bytes/s per shard, data + partition key):
 *   fixed one-second windows aligned on whole virtual seconds [k s, (k+1) s).
 *   An entry over a limit is refused (ProvisionedThroughputExceeded) and uses
 *   no capacity, so later smaller entries of the same request may pass.
 *   InternalFailure is drawn first, per entry, and uses no capacity either.
 * - Read limits, shared throughput: per shard and per whole-second window,
 *   C GetRecords calls (Kinesis 5) and 2 MiB (data + key).  Each of the n
 *   other_consumers other readers asks for r calls a second (Kinesis 1).
 *   While they all fit, n r + r <= C, they take theirs and the mapping has
 *   the rest, C - n r calls a second; when they do not, every reader gets
 *   the same share, C / (n + 1) calls a second, which window k of the
 *   mapping holds exactly over time as floor(C (k + 1) / (n + 1)) -
 *   floor(C k / (n + 1)) calls.  The other readers read what was written to
 *   the shard in the previous second.  A call passes while the window has
 *   calls and bytes left, and then returns up to max_records and 10 MiB
 *   whatever remains: bytes read over the budget are a debt carried into
 *   the next windows (so 2 MiB/s holds on average), and a call cut by the
 *   10 MiB cap throttles the shard's calls for 5 seconds (the documented
 *   rule).  Enhanced fan-out does not come here: the mapping's pushes
 *   have their own 2 MiB/s per shard (mapping.c).
 * - Retention: a trim pass runs on a whole virtual second, only when a held
 *   record may be due: it is scheduled at the first whole second at or
 *   after (oldest held arrival + retention), or one second later while the
 *   consumer pins a due record.  So a record is trimmed at most one second
 *   after it expires, and an idle stream has no trim events at all.
 * - Memory: each shard keeps its held records in a ring addressed by
 *   absolute index (index & mask), doubled when full; it follows the records
 *   held, never the records ever written.
 *
 * Resharding:
 * - Planned whole at create time (the plan depends on the config only), so
 *   that a bad operation is an error before the run (stm_check_reshard), and
 *   every shard the stream will have is known: the shard table never moves.
 *   A shard's index never changes; children are appended.  Ids go on with the
 *   next integers, as AWS numbers new shards: a split's lower child first.
 * - An operation happens at its instant, whole (AWS takes seconds in the
 *   UPDATING state): an event of ENG_CLASS_TOPOLOGY, the class that runs
 *   before the writes of the same instant, so that a write at `at` already
 *   goes to the children.  Operations of the same instant run in file order.
 * - SplitShard: the parent, open, is closed; child 1 gets [start, key - 1]
 *   and child 2 [key, end], key being NewStartingHashKey (first < key <=
 *   end).  Without a key: the midpoint start + ceil((end - start) / 2), which
 *   halves an even-sized range exactly (so splitting CreateStream's single
 *   shard gives CreateStream's two; AWS's sample code rounds down instead).
 * - MergeShards: two open shards whose ranges touch become one child with
 *   the union; its parent is ShardToMerge and its adjacent parent
 *   AdjacentShardToMerge, whichever of the two ranges is the lower.
 * - UpdateShardCount (UNIFORM_SCALING) to N: the open shards end up with
 *   exactly the ranges CreateStream gives N shards, boundaries
 *   floor(i * 2^128 / N).  First each missing boundary, lowest first, splits
 *   the open shard holding it there; then, lowest first, each open shard
 *   merges with the next one (the lower is the parent, the upper the
 *   adjacent parent) while that one starts below the next boundary.  From N shards, doubling is one
 *   split per shard and halving one merge per pair; other counts go through
 *   temporary shards, opened and closed at the same instant, as AWS warns
 *   UpdateShardCount may.  AWS's limits are checked: N at most twice and at
 *   least half the open shards, at most 10 UpdateShardCount per rolling 24 h.
 * - A closed parent keeps its records, readable until retention trims them.
 *   Write windows are per shard, so children start with empty ones.
 * - Routing: a key's cached shard is checked at each write against the
 *   shard's closed mark (on the cache line the write touches anyway), and a
 *   key of a closed shard is routed again then: no scan of the cache at a
 *   reshard, no cost on the common path.
 * - A closed shard emptied (released or trimmed to its end) frees its ring:
 *   a long run leaves many closed shards behind, and memory still follows
 *   the records held.
 *
 * On-demand capacity mode (SPEC 1.1 Capacity modes): no planned operation
 * (AWS refuses SplitShard, MergeShards and UpdateShardCount on such a
 * stream); the scaler of ondemand.c decides splits as the traffic calls for
 * them and makes them with stm_split_evenly(), a SplitShard step at the
 * middle of the parent's range appended to the topology then.  The shard
 * table is made at create time for the most shards the stream may make
 * (stm_on_demand_max_made), so it never moves either.
 *
 * DynamoDB Streams (SPEC 1.2):
 * - The table is on demand and takes every write: the loader gives the
 *   stream no write limits and no InternalFailure, and one item (at most
 *   400 KB) per write.  A real on-demand table throttles a partition past
 *   1,000 write units a second, or a table past twice its previous peak;
 *   the model leaves that out, so a run shows the stream and the mapping,
 *   not the table's capacity.
 * - Items: one bit per key id says whether the item exists (memory: a bit
 *   per distinct key), which makes each write an INSERT, a MODIFY or a
 *   REMOVE as stream.h (enum stm_item_op) says; the record keeps its event.
 * - Rollover: every shard_lifetime each open shard is closed and a child
 *   with its hash-key range continues it: a plan step with one parent and
 *   one child, beside splits and merges.  All shards open at 0, so they roll
 *   over together, at k * shard_lifetime for each k >= 1 before the end of
 *   the run (rollover_until_us).  Ids go on as for Kinesis (AWS's carry a
 *   creation time and a random suffix; nothing in the model reads them).
 * - Reads: a shard serves C = 8 GetRecords a second, an assumption: AWS
 *   says no more than two processes should read a shard at once, and a
 *   mapping polls 4 times a second (R1), so two readers' worth.  Each other
 *   reader polls like the mapping, r = 4, so with two of them every reader,
 *   the mapping too, gets 8/3 calls a second, and its other calls are
 *   throttled.  There is no byte rate; a call returns at most 1,000 records
 *   and 1 MB of SizeBytes (LEV_DDB_GET_RECORDS_MAX_*), without a penalty.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "engine.h"
#include "keytab.h"
#include "lambda_event.h"
#include "config.h"
#include "stream.h"
#include "grow.h"
#include "prefetch.h"

#define MIB (UINT64_C(1) << 20)
#define RING_MIN 16u                     /* first ring size of a shard */

/* A service's read limits per shard (R1). */
struct read_limits {
    uint32_t calls_per_sec;       /* GetRecords a shard serves a second, all readers */
    uint32_t other_calls_per_sec; /* what each other reader asks a second */
    uint64_t bytes_per_sec;       /* read a second, all readers; UINT64_MAX: no limit */
    uint32_t max_records;         /* one call */
    uint64_t max_bytes;           /* one call: data + key (Kinesis), SizeBytes (DynamoDB) */
    int64_t penalty_us;           /* calls throttled this long after one cut at max_bytes */
};

static const struct read_limits KINESIS_READS = {
    .calls_per_sec = 5, .other_calls_per_sec = 1, .bytes_per_sec = 2 * MIB,
    .max_records = 10000, .max_bytes = 10 * MIB, .penalty_us = 5 * ENG_US_PER_SEC,
};
static const struct read_limits DYNAMODB_READS = {
    .calls_per_sec = 8, .other_calls_per_sec = 4, .bytes_per_sec = UINT64_MAX,
    .max_records = LEV_DDB_GET_RECORDS_MAX_RECORDS, .max_bytes = LEV_DDB_GET_RECORDS_MAX_BYTES,
    .penalty_us = 0,
};

_Static_assert(sizeof(struct stm_record) == 40, "a held record stays 40 bytes");

#define PREFETCH_AHEAD 16         /* records between a key's prefetch and its use */

/* What a shard is apart from its records, fixed by the reshard plan. */
struct shard_def {
    struct hashkey first_key, last_key;  /* hash-key range, both inclusive */
    uint32_t parent, adjacent;    /* shards it came from; UINT32_MAX: none */
};

/* Every shard the stream will have, and the ones open now. */
struct topo {
    struct shard_def *def;        /* by shard index */
    uint32_t n_def;
    uint32_t *open;               /* open shards, sorted by starting hash key */
    uint32_t n_open;
    uint32_t max_open;            /* the most open at any time */
    size_t cap_def, cap_open;     /* allocated */
};

enum step_kind {
    STEP_SPLIT,                   /* open[pos] -> 2 children */
    STEP_MERGE,                   /* open[pos], open[pos + 1] -> 1 child */
    STEP_ROLLOVER,                /* open[pos] -> 1 child with its range (DynamoDB) */
};

/* One SplitShard, MergeShards or rollover, the unit of every operation. */
struct reshard_step {
    uint32_t pos;                 /* the parent's place in the open list (a merge: the lower one's) */
    uint32_t child;               /* first child's index; a split's second follows */
    enum step_kind kind;
};

static uint32_t step_parents(enum step_kind k) { return k == STEP_MERGE ? 2 : 1; }
static uint32_t step_children(enum step_kind k) { return k == STEP_SPLIT ? 2 : 1; }

/* The reshard operations (DynamoDB: the rollovers) of a config as steps,
 * built at create time. */
struct plan {
    struct topo t;
    struct reshard_step *steps;
    size_t n_steps, cap_steps;
    size_t n_ops;
    size_t *op_end;               /* operation i is steps [op_end[i - 1] or 0, op_end[i]) */
    int64_t *op_at;               /* operation i happens at op_at[i] */
};

/* A shard but its records: those are in the stream's rings (stream.h,
 * struct stm_ring), by the same index, apart so that the consumer's reads
 * of records touch 32 bytes a shard, not this. */
struct shard {
    char id[24];                  /* shardId-000000000000: 21 bytes at most (%012u) */
    int64_t opened_us, closed_us; /* closed_us -1 while open */

    /* Write window: the virtual second w_sec. */
    int64_t w_sec;
    uint64_t w_records, w_bytes;  /* used in w_sec (bytes: data + key) */
    uint64_t w_total;             /* bytes (data + key) of every record ever written:
                                     a read's bytes are a difference (struct read_mark) */
    uint64_t w_prev_bytes;        /* written in w_sec - 1 */
    int64_t put_sec;              /* w_sec while open, -1 once closed: a put
                                     compares this one field per entry */

    /* Read window: the virtual second r_sec. */
    int64_t r_sec;
    uint32_t r_calls;             /* GetRecords calls passed in r_sec */
    uint64_t r_bytes;             /* bytes read in r_sec, debt included */
    uint64_t r_budget;            /* bytes the mapping may read in r_sec */
    int64_t r_blocked_until_us;   /* calls throttled before this (10 MiB rule) */
};

_Static_assert(sizeof(struct shard) == 128, "a shard stays 128 bytes: a put indexes "
               "shards with a shift");

/* A point of a shard's records and the bytes (data + key) of every record
 * before it: record index at, total.  A Kinesis read leaves it where it
 * ended, where the next read starts: when that one goes to the end, its
 * bytes are w_total - total, with no pass over its records.  True for ever
 * once known (indexes never move). */
struct read_mark {
    uint64_t at;
    uint64_t total;
};

/* What a write needs of a key, 8 bytes: with a million keys a write
 * costs one cache miss here, and the record it makes carries the lengths
 * on, so that reads and event sizes come back to no per-key table. */
struct key_info {
    uint32_t shard;               /* open shard of the key; UINT32_MAX: not known yet */
    uint16_t bytes;               /* key length, counted by the limits; STM_KEY_BYTES_FAR:
                                     that long or longer, keytab_len() has it */
    uint16_t plain;               /* 1: its JSON-escaped length is bytes (R2 event size) */
};

/* key id -> key_info, filled on first use; separate so stm_route stays
 * const.  It covers every key of the table (cache_cover) before a lookup,
 * so that a lookup checks no bound. */
struct route_cache {
    struct key_info *info;
    size_t n;
};

struct stm {
    struct stm_view view;         /* first: stream.h's inline stm_at() reads it */
    struct eng *e;
    struct keytab *keys;
    const struct slog *log;       /* may be NULL: nothing logged */
    struct stm_consumer consumer;
    bool has_consumer;
    char *name, *arn;
    gsl_rng *rng;                 /* "stream/<name>": InternalFailure draws */
    uint64_t ring_bytes;          /* the record rings' room, every shard's (stm_ring_bytes) */

    /* limits, copied from the config */
    uint64_t w_records_limit;     /* per shard per second */
    uint64_t w_bytes_limit;       /* per shard per second, data + key */
    uint64_t max_record_bytes;    /* one entry, data + key */
    uint64_t max_request_bytes;   /* one request, data + key */
    uint32_t max_request_records;
    double failure_rate;          /* chance of InternalFailure per entry */
    int64_t retention_us;
    uint32_t other_consumers;
    bool ddb;                     /* a DynamoDB table's stream, else Kinesis */
    const struct read_limits *reads;
    uint64_t read_num, read_den;  /* the mapping's GetRecords a second: read_num / read_den */
    struct lev_source size_src;   /* DynamoDB: the view, for SizeBytes */
    uint64_t *items;              /* DynamoDB: bit k set while the item of key id k exists */
    size_t n_item_words;

    struct shard *shards;         /* cap_shards of them; the first n_shards exist */
    uint32_t n_shards, cap_shards;
    struct topo topo;             /* the plan's shards; open: as of now */
    struct reshard_step *steps;   /* the plan's steps ... */
    size_t *op_end;               /* ... by operation ... */
    int64_t *op_at;               /* ... and their times */
    size_t n_ops;
    struct route_cache *cache;
    struct read_mark *marks;      /* by shard index */

    uint64_t next_seq;            /* next sequence number (from 1) */
    uint64_t held;                /* records held, all shards */
    bool trim_scheduled;          /* a trim event is pending */
    char **data;                  /* data_id - 1 -> explicit data */
    size_t n_data, cap_data;
    struct stm_stats stats;
};

/* ---- hash keys --------------------------------------------------------- */

static int hashkey_cmp(struct hashkey a, struct hashkey b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    return a.lo < b.lo ? -1 : a.lo > b.lo;
}

/* floor(i * 2^128 / n) for i < n: long division of the 160-bit number
 * i:0:0:0:0 (32-bit limbs) by n; the quotient fits in 128 bits. */
static struct hashkey split_point(uint32_t i, uint32_t n)
{
    uint32_t num[5] = { i, 0, 0, 0, 0 }, q[5];
    uint64_t rem = 0;
    for (int k = 0; k < 5; k++) {
        uint64_t cur = rem << 32 | num[k];
        q[k] = (uint32_t)(cur / n);
        rem = cur % n;
    }
    return (struct hashkey){ (uint64_t)q[1] << 32 | q[2], (uint64_t)q[3] << 32 | q[4] };
}

static struct hashkey hashkey_pred(struct hashkey h)
{
    if (h.lo == 0)
        h.hi--;
    h.lo--;
    return h;
}

/* first + ceil((last - first) / 2) for first < last: where the upper half
 * of the range starts. */
static struct hashkey hashkey_midpoint(struct hashkey first, struct hashkey last)
{
    struct hashkey d = { last.hi - first.hi - (last.lo < first.lo), last.lo - first.lo };
    uint64_t odd = d.lo & 1;
    struct hashkey half = { d.hi >> 1, (d.lo >> 1 | d.hi << 63) + odd };
    half.hi += odd && half.lo == 0;   /* carry of the rounding up */
    struct hashkey m = { first.hi + half.hi, first.lo + half.lo };
    m.hi += m.lo < first.lo;
    return m;
}

/* A hash key written in decimal: -1 when text is empty, not all digits, or
 * above 2^128 - 1. */
static int hashkey_parse(const char *text, struct hashkey *out)
{
    uint32_t limb[4] = { 0 };   /* most significant first */
    if (!*text)
        return -1;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        uint64_t carry = (uint64_t)(*p - '0');
        for (int i = 3; i >= 0; i--) {
            uint64_t cur = (uint64_t)limb[i] * 10 + carry;
            limb[i] = (uint32_t)cur;
            carry = cur >> 32;
        }
        if (carry)
            return -1;
    }
    *out = (struct hashkey){ (uint64_t)limb[0] << 32 | limb[1], (uint64_t)limb[2] << 32 | limb[3] };
    return 0;
}

/* ---- the shards' topology ---------------------------------------------- */

/* The place in the open list of the shard whose range holds h: the last
 * open shard starting at or below h (the open ranges tile the key space). */
static uint32_t route_pos(const struct topo *t, struct hashkey h)
{
    uint32_t lo = 0, hi = t->n_open;   /* answer in [lo, hi) */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (hashkey_cmp(t->def[t->open[mid]].first_key, h) <= 0)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Put the n_in shards numbered from first in place of the n_out open shards
 * at pos: they cover the same keys, so the list stays sorted.  The caller
 * made room. */
static void open_replace(struct topo *t, uint32_t pos, uint32_t n_out, uint32_t first, uint32_t n_in)
{
    memmove(t->open + pos + n_in, t->open + pos + n_out,
            (t->n_open - pos - n_out) * sizeof *t->open);
    for (uint32_t k = 0; k < n_in; k++)
        t->open[pos + k] = first + k;
    t->n_open = t->n_open - n_out + n_in;
    if (t->n_open > t->max_open)
        t->max_open = t->n_open;
}

/* ---- the reshard plan -------------------------------------------------- */

/* The shards CreateStream makes: equal splits of the key space. */
static int plan_init(struct plan *p, uint32_t shards, size_t n_ops)
{
    struct topo *t = &p->t;
    *p = (struct plan){ .n_ops = n_ops };
    if (grow_array(&t->def, &t->cap_def, shards, sizeof *t->def) < 0 ||
        grow_array(&t->open, &t->cap_open, shards, sizeof *t->open) < 0 ||
        !(p->op_end = calloc(n_ops + 1, sizeof *p->op_end)) ||
        !(p->op_at = calloc(n_ops + 1, sizeof *p->op_at)))
        return -1;
    for (uint32_t i = 0; i < shards; i++) {
        t->def[i] = (struct shard_def){
            .first_key = split_point(i, shards),
            .last_key = i + 1 < shards ? hashkey_pred(split_point(i + 1, shards))
                                       : (struct hashkey){ UINT64_MAX, UINT64_MAX },
            .parent = UINT32_MAX, .adjacent = UINT32_MAX,
        };
        t->open[i] = i;
    }
    t->n_def = t->n_open = t->max_open = shards;
    return 0;
}

static void plan_free(struct plan *p)
{
    free(p->t.def);
    free(p->t.open);
    free(p->steps);
    free(p->op_end);
    free(p->op_at);
}

/* Append the children of a step of this kind (two for a split, else one)
 * and the step that makes them of the open shards at pos. */
static int plan_step(struct plan *p, uint32_t pos, enum step_kind kind,
                     const struct shard_def *children)
{
    struct topo *t = &p->t;
    uint32_t n = step_children(kind);
    if (t->n_def > UINT32_MAX - 3 ||   /* UINT32_MAX means "no shard" */
        grow_array(&t->def, &t->cap_def, (size_t)t->n_def + n, sizeof *t->def) < 0 ||
        grow_array(&t->open, &t->cap_open, (size_t)t->n_open + 1, sizeof *t->open) < 0 ||
        grow_array(&p->steps, &p->cap_steps, p->n_steps + 1, sizeof *p->steps) < 0)
        return -1;
    p->steps[p->n_steps++] = (struct reshard_step){ .pos = pos, .child = t->n_def, .kind = kind };
    memcpy(t->def + t->n_def, children, n * sizeof *children);
    open_replace(t, pos, step_parents(kind), t->n_def, n);
    t->n_def += n;
    return 0;
}

/* SplitShard of the open shard at pos, the second child starting at key. */
static int plan_split(struct plan *p, uint32_t pos, struct hashkey key)
{
    uint32_t parent = p->t.open[pos];
    struct shard_def d = p->t.def[parent];
    struct shard_def children[2] = {
        { d.first_key, hashkey_pred(key), parent, UINT32_MAX },
        { key, d.last_key, parent, UINT32_MAX },
    };
    return plan_step(p, pos, STEP_SPLIT, children);
}

/* MergeShards of the open shards at pos and pos + 1, which are parent and
 * adjacent in some order. */
static int plan_merge(struct plan *p, uint32_t pos, uint32_t parent, uint32_t adjacent)
{
    const struct topo *t = &p->t;
    struct shard_def child = {
        t->def[t->open[pos]].first_key, t->def[t->open[pos + 1]].last_key, parent, adjacent,
    };
    return plan_step(p, pos, STEP_MERGE, &child);
}

/* UpdateShardCount to target, UNIFORM_SCALING (the file header says how). */
static int plan_uniform(struct plan *p, uint32_t target)
{
    const struct topo *t = &p->t;
    for (uint32_t i = 1; i < target; i++) {
        struct hashkey b = split_point(i, target);
        uint32_t pos = route_pos(t, b);
        if (hashkey_cmp(t->def[t->open[pos]].first_key, b) != 0 && plan_split(p, pos, b) < 0)
            return -1;
    }
    /* Every boundary starts a shard now: the shard at pos takes in its
     * neighbours up to boundary i. */
    for (uint32_t pos = 0, i = 1; pos < t->n_open; pos++, i++)
        while (pos + 1 < t->n_open &&
               (i == target || hashkey_cmp(t->def[t->open[pos + 1]].first_key, split_point(i, target)) < 0))
            if (plan_merge(p, pos, t->open[pos], t->open[pos + 1]) < 0)
                return -1;
    return 0;
}

/* Where the shard called id is in the open list at at_us; -1 with a message
 * when it does not exist or is closed then. */
static int plan_find(const struct plan *p, const char *id, int64_t at_us, uint32_t *pos,
                     char *err, size_t errlen)
{
    const struct topo *t = &p->t;
    const char *d = id + 8;
    uint64_t n = 0;
    bool ok = strncmp(id, "shardId-", 8) == 0 && *d;
    for (; ok && *d; d++) {
        ok = *d >= '0' && *d <= '9' && n < UINT32_MAX;
        n = n * 10 + (uint64_t)(*d - '0');
    }
    if (!ok || n >= t->n_def) {
        snprintf(err, errlen, "%s does not exist at %.3f s (the stream has shardId-000000000000 "
                 "to shardId-%012u then)", id, (double)at_us / ENG_US_PER_SEC, t->n_def - 1);
        return -1;
    }
    *pos = route_pos(t, t->def[n].first_key);
    if (t->open[*pos] != n) {
        snprintf(err, errlen, "%s is closed at %.3f s: an earlier reshard replaced it",
                 id, (double)at_us / ENG_US_PER_SEC);
        return -1;
    }
    return 0;
}

static int plan_split_op(struct plan *p, const struct cfg_reshard *r, const char **key,
                         char *err, size_t errlen)
{
    uint32_t pos;
    *key = "split";
    if (plan_find(p, r->shard, r->at_us, &pos, err, errlen) < 0)
        return -1;
    const struct shard_def *d = &p->t.def[p->t.open[pos]];
    if (hashkey_cmp(d->first_key, d->last_key) == 0) {
        snprintf(err, errlen, "%s owns a single hash key: it cannot be split", r->shard);
        return -1;
    }
    struct hashkey at = hashkey_midpoint(d->first_key, d->last_key);
    if (r->hash_key) {
        *key = "hash_key";
        if (hashkey_parse(r->hash_key, &at) < 0 || hashkey_cmp(at, d->first_key) <= 0 ||
            hashkey_cmp(at, d->last_key) > 0) {
            char lo[40], hi[40];
            hashkey_format(d->first_key, lo);
            hashkey_format(d->last_key, hi);
            snprintf(err, errlen, "expected a hash key > %s and <= %s (the range of %s at %.3f s), "
                     "got %s", lo, hi, r->shard, (double)r->at_us / ENG_US_PER_SEC, r->hash_key);
            return -1;
        }
    }
    return plan_split(p, pos, at);
}

static int plan_merge_op(struct plan *p, const struct cfg_reshard *r, const char **key,
                         char *err, size_t errlen)
{
    uint32_t pos, adj;
    *key = "merge";
    if (plan_find(p, r->shard, r->at_us, &pos, err, errlen) < 0 ||
        plan_find(p, r->adjacent, r->at_us, &adj, err, errlen) < 0)
        return -1;
    if (pos + 1 != adj && adj + 1 != pos) {
        snprintf(err, errlen, "%s and %s are not adjacent at %.3f s: their hash-key ranges do "
                 "not touch", r->shard, r->adjacent, (double)r->at_us / ENG_US_PER_SEC);
        return -1;
    }
    return plan_merge(p, pos < adj ? pos : adj, p->t.open[pos], p->t.open[adj]);
}

/* AWS's UpdateShardCount limits: at most double and at least half the open
 * shards, 10,000 shards, 10 calls in a rolling 24 hours. */
static int plan_target_op(struct plan *p, const struct cfg_stream *cfg, size_t i,
                          const char **key, char *err, size_t errlen)
{
    const struct cfg_reshard *r = &cfg->reshard[i];
    uint32_t open = p->t.n_open, lo = open / 2 + open % 2, hi = open > 5000 ? 10000 : 2 * open;
    *key = "target_shard_count";
    if (r->target < lo || r->target > hi) {
        snprintf(err, errlen, "expected %u to %u (at most double and at least half the %u shards "
                 "open at %.3f s), got %u", lo, hi, open, (double)r->at_us / ENG_US_PER_SEC, r->target);
        return -1;
    }
    unsigned recent = 0;
    for (size_t j = 0; j < i; j++)
        recent += cfg->reshard[j].kind == CFG_RESHARD_TARGET &&
                  cfg->reshard[j].at_us > r->at_us - 24 * 3600 * ENG_US_PER_SEC;
    if (recent >= 10) {
        snprintf(err, errlen, "an 11th UpdateShardCount within 24 hours: AWS allows 10 in any "
                 "rolling 24 hours");
        return -1;
    }
    return plan_uniform(p, r->target);
}

static bool is_dynamodb(const struct cfg_stream *cfg)
{
    return cfg->type == CFG_STREAM_DYNAMODB;
}

/* DynamoDB: the rollovers before rollover_until_us, k * lifetime for k >= 1. */
static size_t rollover_count(const struct cfg_stream *cfg)
{
    if (cfg->shard_lifetime_us <= 0 || cfg->rollover_until_us <= 0)
        return 0;
    return (size_t)((cfg->rollover_until_us - 1) / cfg->shard_lifetime_us);
}

/* DynamoDB: operation i closes every open shard at (i + 1) * lifetime, a
 * child with its range continuing each, in key order. */
static int plan_rollovers(struct plan *p, const struct cfg_stream *cfg)
{
    for (size_t i = 0; i < p->n_ops; i++) {
        p->op_at[i] = (int64_t)(i + 1) * cfg->shard_lifetime_us;
        for (uint32_t pos = 0; pos < p->t.n_open; pos++) {
            uint32_t parent = p->t.open[pos];
            struct shard_def child = p->t.def[parent];
            child.parent = parent;
            child.adjacent = UINT32_MAX;
            if (plan_step(p, pos, STEP_ROLLOVER, &child) < 0)
                return -1;
        }
        p->op_end[i] = p->n_steps;
    }
    return 0;
}

/* The steps of cfg's operations; -1 with *op, *key and err as
 * stm_check_reshard says. */
static int plan_build(struct plan *p, const struct cfg_stream *cfg, size_t *op, const char **key,
                      char *err, size_t errlen)
{
    assert(cfg->shards >= 1);
    bool ddb = is_dynamodb(cfg);
    *op = 0;
    *key = NULL;
    if (plan_init(p, cfg->shards, ddb ? rollover_count(cfg) : cfg->n_reshard) < 0 ||
        (ddb && plan_rollovers(p, cfg) < 0))
        goto nomem;
    for (size_t i = 0; !ddb && i < cfg->n_reshard; i++) {
        const struct cfg_reshard *r = &cfg->reshard[i];
        int rc;
        *op = i;
        *key = "at";
        if (i > 0 && r->at_us < r[-1].at_us) {
            snprintf(err, errlen, "expected operations in time order: at or after the previous "
                     "one's %.3f s", (double)r[-1].at_us / ENG_US_PER_SEC);
            return -1;
        }
        err[0] = '\0';
        rc = r->kind == CFG_RESHARD_SPLIT ? plan_split_op(p, r, key, err, errlen)
           : r->kind == CFG_RESHARD_MERGE ? plan_merge_op(p, r, key, err, errlen)
           : plan_target_op(p, cfg, i, key, err, errlen);
        if (rc < 0 && !err[0])   /* the checks passed: a step found no memory */
            goto nomem;
        if (rc < 0)
            return -1;
        p->op_end[i] = p->n_steps;
        p->op_at[i] = r->at_us;
    }
    return 0;
nomem:
    *key = NULL;
    snprintf(err, errlen, "out of memory");
    return -1;
}

int stm_check_reshard(const struct cfg_stream *cfg, size_t *op, const char **key,
                      char *err, size_t errlen)
{
    struct plan p;
    int rc = plan_build(&p, cfg, op, key, err, errlen);
    plan_free(&p);
    return rc;
}

/* ---- creation and resharding ------------------------------------------- */

static void log_shard(const struct stm *s, uint32_t i)
{
    if (!s->log || !s->log->ops->shard)
        return;
    const struct shard *sh = &s->shards[i];
    const struct shard_def *d = &s->topo.def[i];
    char start[40], end[40];
    hashkey_format(d->first_key, start);
    hashkey_format(d->last_key, end);
    struct slog_shard row = {
        .shard_id = sh->id, .starting_hash_key = start, .ending_hash_key = end,
        .parent_shard_id = d->parent != UINT32_MAX ? s->shards[d->parent].id : NULL,
        .adjacent_parent_shard_id = d->adjacent != UINT32_MAX ? s->shards[d->adjacent].id : NULL,
        .opened_us = sh->opened_us, .closed_us = sh->closed_us,
    };
    s->log->ops->shard(s->log->ctx, &row);
}

/* The records of sh. */
static inline struct stm_ring *ring_of(const struct stm *s, const struct shard *sh)
{
    return &s->view.rings[sh - s->shards];
}

/* A closed shard that holds nothing will never hold a record again. */
static void free_if_done(struct stm *s, struct shard *sh)
{
    struct stm_ring *rg = ring_of(s, sh);
    if (sh->closed_us >= 0 && rg->begin == rg->end && rg->slots) {
        s->ring_bytes -= rg->cap * sizeof *rg->slots;
        free(rg->slots);
        rg->slots = NULL;
        rg->cap = 0;
    }
}

/* Shard i comes into being now, empty and open. */
static void open_shard(struct stm *s, uint32_t i, int64_t now)
{
    struct shard *sh = &s->shards[i];
    sh->opened_us = now;
    sh->closed_us = -1;
    sh->w_sec = sh->put_sec = sh->r_sec = now / ENG_US_PER_SEC;
    sh->r_budget = s->reads->bytes_per_sec;
    log_shard(s, i);
}

/* One step of the plan, now: the parents close, the children open, then
 * the consumer hears of it (stream.h says in what order). */
static void reshard_step(struct stm *s, const struct reshard_step *st)
{
    int64_t now = eng_now(s->e);
    uint32_t n = step_children(st->kind);
    const struct shard_def *d = &s->topo.def[st->child];
    uint32_t parents[2] = { d->parent, d->adjacent };   /* only a merge has an adjacent parent */
    uint32_t n_parents = step_parents(st->kind);
    for (uint32_t k = 0; k < n_parents; k++) {
        s->shards[parents[k]].closed_us = now;
        s->shards[parents[k]].put_sec = -1;
        free_if_done(s, &s->shards[parents[k]]);
        log_shard(s, parents[k]);
    }
    for (uint32_t c = st->child; c < st->child + n; c++)
        open_shard(s, c, now);
    s->n_shards = st->child + n;
    open_replace(&s->topo, st->pos, n_parents, st->child, n);
    if (!s->has_consumer)
        return;
    for (uint32_t k = 0; k < n_parents && s->consumer.shard_closed; k++)
        s->consumer.shard_closed(s->consumer.ctx, parents[k]);
    for (uint32_t c = st->child; c < st->child + n && s->consumer.shard_opened; c++)
        s->consumer.shard_opened(s->consumer.ctx, c);
}

int stm_split_evenly(struct stm *s, uint32_t shard)
{
    struct topo *t = &s->topo;
    const struct shard_def d = t->def[shard];
    uint32_t pos = route_pos(t, d.first_key);
    assert(s->shards[shard].closed_us < 0 && t->open[pos] == shard);
    if (hashkey_cmp(d.first_key, d.last_key) == 0)
        return 1;
    if (t->n_def + 2 > s->cap_shards ||
        grow_array(&t->def, &t->cap_def, (size_t)t->n_def + 2, sizeof *t->def) < 0 ||
        grow_array(&t->open, &t->cap_open, (size_t)t->n_open + 1, sizeof *t->open) < 0)
        return -1;
    struct hashkey mid = hashkey_midpoint(d.first_key, d.last_key);
    struct reshard_step st = { .pos = pos, .child = t->n_def, .kind = STEP_SPLIT };
    t->def[st.child] = (struct shard_def){ d.first_key, hashkey_pred(mid), shard, UINT32_MAX };
    t->def[st.child + 1] = (struct shard_def){ mid, d.last_key, shard, UINT32_MAX };
    t->n_def += 2;
    for (uint32_t c = st.child; c < st.child + 2; c++)
        snprintf(s->shards[c].id, sizeof s->shards[c].id, "shardId-%012u", c);
    reshard_step(s, &st);
    s->stats.on_demand_splits++;
    return 0;
}

/* Reshard operation op of the config, all its steps at this instant. */
static void on_reshard(void *ctx, uint64_t op)
{
    struct stm *s = ctx;
    for (size_t k = op ? s->op_end[op - 1] : 0; k < s->op_end[op]; k++)
        reshard_step(s, &s->steps[k]);
}

static char *dup_str(const char *src)
{
    size_t n = strlen(src) + 1;
    char *d = malloc(n);
    return d ? memcpy(d, src, n) : NULL;
}

static void read_share(struct stm *s);

/* ---- on-demand capacity: the most shards -------------------------------- */

uint32_t stm_on_demand_max_open(const struct cfg_stream *cfg)
{
    const struct cfg_on_demand *o = &cfg->on_demand;
    uint64_t by_bytes = o->max_write_bytes_per_sec / cfg->write_bytes_per_sec;
    uint64_t by_records = o->max_write_records_per_sec / cfg->write_records_per_sec;
    uint64_t n = by_bytes < by_records ? by_bytes : by_records;
    return n > STM_ON_DEMAND_MAX_OPEN ? STM_ON_DEMAND_MAX_OPEN : (uint32_t)n;
}

uint32_t stm_on_demand_max_made(const struct cfg_stream *cfg)
{
    uint32_t open = stm_on_demand_max_open(cfg);
    return open > cfg->shards ? cfg->shards + 2 * (open - cfg->shards) : cfg->shards;
}

/* ---- life cycle -------------------------------------------------------------- */

struct stm *stm_create(struct eng *e, const struct cfg_stream *cfg,
                       struct keytab *keys, const struct slog *log,
                       char *err, size_t errlen)
{
    const char *name = cfg->name ? cfg->name : "stream";
    if (cfg->shards < 1) {
        snprintf(err, errlen, "stream %s: %u shards, expected at least 1", name, cfg->shards);
        return NULL;
    }
    if (cfg->retention_us <= 0) {
        snprintf(err, errlen, "stream %s: retention %lld us, expected > 0", name,
                 (long long)cfg->retention_us);
        return NULL;
    }
    struct plan plan;
    size_t op;
    const char *key;
    char msg[400];
    bool ddb = is_dynamodb(cfg);
    bool on_demand = !ddb && cfg->capacity_mode == CFG_CAPACITY_ON_DEMAND;
    if (on_demand && (cfg->n_reshard > 0 || cfg->shards > stm_on_demand_max_open(cfg))) {
        snprintf(err, errlen, "stream %s: on demand, AWS makes the shards: %s", name,
                 cfg->n_reshard ? "no reshard" : "more shards than the maximum throughput needs");
        return NULL;
    }
    if (plan_build(&plan, cfg, &op, &key, msg, sizeof msg) < 0) {
        if (key)
            snprintf(err, errlen, "stream %s: reshard[%zu].%s: %s", name, op, key, msg);
        else
            snprintf(err, errlen, "stream %s: %s", name, msg);
        plan_free(&plan);
        return NULL;
    }
    struct stm *s = calloc(1, sizeof *s);
    if (!s) {
        plan_free(&plan);
        goto nomem;
    }
    *s = (struct stm){
        .e = e, .keys = keys, .log = log,
        .w_records_limit = cfg->write_records_per_sec,
        .w_bytes_limit = cfg->write_bytes_per_sec,
        .max_record_bytes = cfg->max_record_bytes,
        .max_request_bytes = cfg->max_request_bytes,
        .max_request_records = cfg->max_request_records,
        .failure_rate = cfg->internal_failure_rate,
        .retention_us = cfg->retention_us,
        .other_consumers = cfg->other_consumers,
        .ddb = ddb,
        .reads = ddb ? &DYNAMODB_READS : &KINESIS_READS,
        .size_src = { .view = cfg->view_type },
        .n_shards = cfg->shards,
        .topo = plan.t, .steps = plan.steps, .op_end = plan.op_end, .op_at = plan.op_at,
        .n_ops = plan.n_ops,
        .next_seq = 1,
    };
    read_share(s);
    /* The plan's open list is as the last operation left it: replay from
     * CreateStream's, with room for the most ever open. */
    struct topo *t = &s->topo;
    if (grow_array(&t->open, &t->cap_open, t->max_open, sizeof *t->open) < 0)
        goto nomem;
    for (uint32_t i = 0; i < cfg->shards; i++)
        t->open[i] = i;
    t->n_open = cfg->shards;
    s->name = dup_str(name);
    s->cap_shards = on_demand ? stm_on_demand_max_made(cfg) : t->n_def;
    s->shards = calloc(s->cap_shards, sizeof *s->shards);
    s->view.rings = calloc(s->cap_shards, sizeof *s->view.rings);
    s->cache = calloc(1, sizeof *s->cache);
    s->marks = calloc(s->cap_shards, sizeof *s->marks);   /* an empty shard: 0 bytes at 0 */
    if (!s->name || !s->shards || !s->view.rings || !s->cache || !s->marks)
        goto nomem;
    size_t n = strlen(name);
    char *rng_name = malloc(n + sizeof "stream/");
    if (!rng_name)
        goto nomem;
    memcpy(rng_name, "stream/", 7);
    memcpy(rng_name + 7, name, n + 1);
    s->rng = eng_rng_create(e, rng_name);
    free(rng_name);
    if (!s->rng || stm_set_arn(s, NULL) < 0)
        goto nomem;

    for (uint32_t i = 0; i < t->n_def; i++)
        snprintf(s->shards[i].id, sizeof s->shards[i].id, "shardId-%012u", i);
    for (uint32_t i = 0; i < cfg->shards; i++)
        open_shard(s, i, eng_now(e));
    for (size_t i = 0; i < s->n_ops; i++)
        if (eng_schedule(e, s->op_at[i], ENG_CLASS_TOPOLOGY, on_reshard, s, i) < 0)
            goto nomem;
    return s;
nomem:
    stm_destroy(s);
    snprintf(err, errlen, "stream %s: out of memory", name);
    return NULL;
}

void stm_destroy(struct stm *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; s->view.rings && i < s->n_shards; i++)
        free(s->view.rings[i].slots);
    free(s->view.rings);
    for (size_t i = 0; i < s->n_data; i++)
        free(s->data[i]);
    free(s->data);
    if (s->cache)
        free(s->cache->info);
    free(s->cache);
    free(s->marks);
    free(s->topo.def);
    free(s->topo.open);
    free(s->steps);
    free(s->op_end);
    free(s->op_at);
    free(s->items);
    free(s->shards);
    if (s->rng)
        gsl_rng_free(s->rng);
    free(s->arn);
    free(s->name);
    free(s);
}

int stm_set_arn(struct stm *s, const char *arn)
{
    char *copy;
    if (arn) {
        copy = dup_str(arn);
    } else {
        const char *prefix = s->ddb ? "arn:aws:dynamodb:us-east-1:123456789012:table/"
                                    : "arn:aws:kinesis:us-east-1:123456789012:stream/";
        const char *suffix = s->ddb ? "/stream/1970-01-01T00:00:00.000" : "";
        size_t lp = strlen(prefix), ln = strlen(s->name), ls = strlen(suffix);
        copy = malloc(lp + ln + ls + 1);
        if (copy) {
            memcpy(copy, prefix, lp);
            memcpy(copy + lp, s->name, ln);
            memcpy(copy + lp + ln, suffix, ls + 1);
        }
    }
    if (!copy)
        return -1;
    free(s->arn);
    s->arn = copy;
    return 0;
}

void stm_set_consumer(struct stm *s, const struct stm_consumer *c)
{
    s->has_consumer = c != NULL;
    if (c)
        s->consumer = *c;
}

enum slog_source_type stm_source(const struct stm *s)
{
    return s->ddb ? SLOG_SOURCE_DYNAMODB : SLOG_SOURCE_KINESIS;
}

uint32_t stm_shard_count(const struct stm *s) { return s->n_shards; }
const char *stm_shard_id(const struct stm *s, uint32_t shard) { return s->shards[shard].id; }
uint32_t stm_shard_parent(const struct stm *s, uint32_t shard) { return s->topo.def[shard].parent; }
bool stm_shard_closed(const struct stm *s, uint32_t shard) { return s->shards[shard].closed_us >= 0; }

uint32_t stm_shard_adjacent_parent(const struct stm *s, uint32_t shard)
{
    return s->topo.def[shard].adjacent;
}
const char *stm_arn(const struct stm *s) { return s->arn; }
int64_t stm_retention(const struct stm *s) { return s->retention_us; }
void stm_stats(const struct stm *s, struct stm_stats *out) { *out = s->stats; }
uint64_t stm_ring_bytes(const struct stm *s) { return s->ring_bytes; }

void stm_put_limits(const struct stm *s, struct stm_put_limits *out)
{
    *out = (struct stm_put_limits){
        .max_request_records = s->max_request_records,
        .max_request_bytes = s->max_request_bytes,
        .max_record_bytes = s->max_record_bytes,
    };
}

/* ---- routing ----------------------------------------------------------- */

/* The open shard whose range holds the key's hash. */
static uint32_t route_key(const struct stm *s, uint32_t key_id)
{
    return s->topo.open[route_pos(&s->topo, keytab_hash(s->keys, key_id))];
}

/* Make the route cache cover every key of the table: 0, or -1 when out
 * of memory. */
static int cache_cover(const struct stm *s)
{
    struct route_cache *c = s->cache;
    size_t n = keytab_count(s->keys);
    if (n <= c->n)
        return 0;
    if (n < 2 * c->n)
        n = 2 * c->n;
    struct key_info *grown = realloc(c->info, n * sizeof *grown);
    if (!grown)
        return -1;
    for (size_t i = c->n; i < n; i++)
        grown[i].shard = UINT32_MAX;
    c->info = grown;
    c->n = n;
    return 0;
}

/* key_info() of a key seen for the first time: route it and cache it. */
static COLD struct key_info key_learn(const struct stm *s, uint32_t key_id)
{
    uint32_t len = keytab_len(s->keys, key_id);
    bool near = len < STM_KEY_BYTES_FAR;
    struct key_info ki = {
        .shard = route_key(s, key_id),
        .bytes = near ? (uint16_t)len : STM_KEY_BYTES_FAR,
        .plain = near && keytab_json_len(s->keys, key_id) == len,
    };
    s->cache->info[key_id] = ki;
    return ki;
}

/* The key's shard as last routed, and its lengths, computed on first use:
 * the same key is routed millions of times.  The shard may have closed
 * since (a reshard): who routes checks, and reroute() mends the entry.
 * The cache covers the key (cache_cover); info is its table, which a
 * caller's loop keeps in a register. */
static inline struct key_info key_info(const struct stm *s, const struct key_info *info,
                                       uint32_t key_id)
{
    assert(info == s->cache->info && key_id < s->cache->n);
    if (info[key_id].shard != UINT32_MAX)
        return info[key_id];
    return key_learn(s, key_id);
}

/* The key's shard now, for a key whose cached shard has closed. */
static COLD uint32_t reroute(const struct stm *s, uint32_t key_id)
{
    uint32_t shard = route_key(s, key_id);
    s->cache->info[key_id].shard = shard;
    return shard;
}

/* The key's length counted by the limits, whatever it is. */
static inline uint32_t key_bytes(const struct stm *s, struct key_info ki, uint32_t key_id)
{
    return ki.bytes != STM_KEY_BYTES_FAR ? ki.bytes : keytab_len(s->keys, key_id);
}

uint32_t stm_key_json_len(const struct stm *s, uint32_t key_id)
{
    return keytab_json_len(s->keys, key_id);
}

uint32_t stm_key_bytes(const struct stm *s, uint32_t key_id)
{
    return keytab_len(s->keys, key_id);
}

uint32_t stm_route(const struct stm *s, uint32_t key_id)
{
    if (cache_cover(s) < 0)
        return route_key(s, key_id);   /* no cache, still the right answer */
    uint32_t shard = key_info(s, s->cache->info, key_id).shard;
    return s->shards[shard].closed_us < 0 ? shard : reroute(s, key_id);
}

/* ---- storage ----------------------------------------------------------- */

static int ring_grow(struct stm *s, struct stm_ring *rg)
{
    uint64_t cap = rg->cap ? 2 * rg->cap : RING_MIN;
    struct stm_record *slots = malloc(cap * sizeof *slots);
    if (!slots)
        return -1;
    for (uint64_t i = rg->begin; i < rg->end; i++)
        slots[i & (cap - 1)] = rg->slots[i & (rg->cap - 1)];
    s->ring_bytes += (cap - rg->cap) * sizeof *slots;
    free(rg->slots);
    rg->slots = slots;
    rg->cap = cap;
    return 0;
}

static inline struct stm_record *slot(const struct stm_ring *rg, uint64_t index)
{
    return &rg->slots[index & (rg->cap - 1)];
}

/* Forget the records of sh below upto. */
static void drop(struct stm *s, struct shard *sh, uint64_t upto)
{
    struct stm_ring *rg = ring_of(s, sh);
    if (upto > rg->end)
        upto = rg->end;
    if (upto > rg->begin) {
        s->held -= upto - rg->begin;
        rg->begin = upto;
        free_if_done(s, sh);
    }
}

void stm_release(struct stm *s, uint32_t shard, uint64_t upto)
{
    drop(s, &s->shards[shard], upto);
}

const char *stm_data(const struct stm *s, uint32_t data_id)
{
    return data_id >= 1 && data_id <= s->n_data ? s->data[data_id - 1] : NULL;
}

uint32_t stm_add_data(struct stm *s, const char *data)
{
    if (s->n_data >= UINT32_MAX - 1)
        return 0;
    if (s->n_data == s->cap_data) {
        size_t cap = s->cap_data ? 2 * s->cap_data : 16;
        char **grown = realloc(s->data, cap * sizeof *grown);
        if (!grown)
            return 0;
        s->data = grown;
        s->cap_data = cap;
    }
    char *copy = dup_str(data);
    if (!copy)
        return 0;
    s->data[s->n_data++] = copy;
    return (uint32_t)s->n_data;
}

/* ---- retention --------------------------------------------------------- */

/* The first whole second at or after due, and after now. */
static int64_t next_tick(int64_t due, int64_t now)
{
    int64_t at = due <= 0 ? 0 : (due + ENG_US_PER_SEC - 1) / ENG_US_PER_SEC * ENG_US_PER_SEC;
    if (at <= now)
        at = (now / ENG_US_PER_SEC + 1) * ENG_US_PER_SEC;
    return at;
}

static void on_trim(void *ctx, uint64_t arg);

static void schedule_trim(struct stm *s, int64_t due)
{
    int64_t now = eng_now(s->e);
    if (eng_schedule(s->e, next_tick(due, now), ENG_CLASS_TOPOLOGY, on_trim, s, 0) < 0) {
        eng_stop(s->e);   /* out of memory: stop, the run is incomplete */
        return;
    }
    s->trim_scheduled = true;
}

/* Trim the due records of one shard below what the consumer pins. */
static void trim_shard(struct stm *s, uint32_t shard, int64_t now)
{
    struct shard *sh = &s->shards[shard];
    const struct stm_ring *rg = ring_of(s, sh);
    if (rg->begin == rg->end)
        return;
    uint64_t pin = s->has_consumer ? s->consumer.pinned(s->consumer.ctx, shard) : UINT64_MAX;
    uint64_t from = rg->begin, to = from, unhandled = 0;
    for (; to < rg->end && to < pin && slot(rg, to)->arrival_us + s->retention_us <= now; to++)
        unhandled += !slot(rg, to)->handled;
    if (to == from)
        return;
    /* The consumer may release [from, to) itself while it resolves them. */
    if (s->has_consumer)
        s->consumer.expire(s->consumer.ctx, shard, from, to);
    s->stats.records_trimmed += unhandled;   /* handled ones were not lost */
    drop(s, sh, to);
}

static void on_trim(void *ctx, uint64_t arg)
{
    struct stm *s = ctx;
    int64_t now = eng_now(s->e);
    s->trim_scheduled = false;
    int64_t due = INT64_MAX;
    for (uint32_t i = 0; i < s->n_shards; i++) {
        const struct stm_ring *rg = &s->view.rings[i];
        trim_shard(s, i, now);
        if (rg->begin < rg->end && slot(rg, rg->begin)->arrival_us + s->retention_us < due)
            due = slot(rg, rg->begin)->arrival_us + s->retention_us;
    }
    if (due != INT64_MAX)
        schedule_trim(s, due);
}

/* ---- writes ------------------------------------------------------------ */

static void write_roll(struct shard *sh, int64_t sec)
{
    if (sh->w_sec == sec)
        return;
    sh->w_prev_bytes = sh->w_sec == sec - 1 ? sh->w_bytes : 0;
    sh->w_sec = sh->put_sec = sec;
    sh->w_records = sh->w_bytes = 0;
}

void stm_shard_written(const struct stm *s, uint32_t shard, int64_t sec,
                       uint64_t *records, uint64_t *bytes)
{
    const struct shard *sh = &s->shards[shard];
    bool known = sh->w_sec == sec;
    *records = known ? sh->w_records : 0;
    *bytes = known ? sh->w_bytes : 0;
}

/* Bytes written to sh in the virtual second sec (0 when not tracked: only
 * the current and previous write windows are, which is all reads need). */
static uint64_t written_in(const struct shard *sh, int64_t sec)
{
    if (sec == sh->w_sec)
        return sh->w_bytes;
    if (sec == sh->w_sec - 1)
        return sh->w_prev_bytes;
    return 0;
}

/* Check the request as AWS does before taking any entry. */
static int validate(const struct stm *s, const struct stm_put_entry *entries, size_t n,
                    char *err, size_t errlen)
{
    if (n == 0 || n > s->max_request_records) {
        snprintf(err, errlen, "stream %s: PutRecords with %zu records, expected 1 to %u",
                 s->name, n, s->max_request_records);
        return -1;
    }
    /* With the longest key of the table every entry fits: no key looked up
     * (with many keys each is a cache miss).  No entry has more data than
     * the request, so a request whose data fits in one record needs no
     * entry's own size (its largest costs this pass a compare an entry). */
    uint64_t data = 0, key_max = keytab_max_len(s->keys);
    size_t k = 0;
    for (; k + 4 <= n; k += 4)   /* four at a time: the loop's own steps are most of it */
        data += (uint64_t)entries[k].bytes + entries[k + 1].bytes + entries[k + 2].bytes +
                entries[k + 3].bytes;
    for (; k < n; k++)
        data += entries[k].bytes;
    if (data + key_max <= s->max_record_bytes && data + n * key_max <= s->max_request_bytes)
        return 0;
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t b = (uint64_t)entries[i].bytes + keytab_len(s->keys, entries[i].key_id);
        if (b > s->max_record_bytes) {
            snprintf(err, errlen, "stream %s: PutRecords entry %zu (message %llu) has %llu bytes "
                     "(data + partition key), at most %llu", s->name, i,
                     (unsigned long long)entries[i].message_id, (unsigned long long)b,
                     (unsigned long long)s->max_record_bytes);
            return -1;
        }
        total += b;
    }
    if (total > s->max_request_bytes) {
        snprintf(err, errlen, "stream %s: PutRecords request of %llu bytes "
                 "(data + partition keys), at most %llu", s->name,
                 (unsigned long long)total, (unsigned long long)s->max_request_bytes);
        return -1;
    }
    return 0;
}

/* DynamoDB: the event of the item write en, the table's item updated
 * (stream.h, enum stm_item_op); -1 when out of memory. */
static int item_event(struct stm *s, const struct stm_put_entry *en)
{
    size_t w = en->key_id / 64;
    if (w >= s->n_item_words) {
        size_t n = keytab_count(s->keys) / 64 + 1;
        if (n <= w)
            n = w + 1;
        if (n < 2 * s->n_item_words)
            n = 2 * s->n_item_words;
        uint64_t *grown = realloc(s->items, n * sizeof *grown);
        if (!grown)
            return -1;
        memset(grown + s->n_item_words, 0, (n - s->n_item_words) * sizeof *grown);
        s->items = grown;
        s->n_item_words = n;
    }
    assert(en->item_op <= STM_ITEM_REMOVE);
    uint64_t bit = UINT64_C(1) << (en->key_id % 64);
    bool exists = (s->items[w] & bit) != 0;
    enum lev_ddb_event ev = en->item_op >= STM_ITEM_INSERT
                                ? (enum lev_ddb_event)(en->item_op - STM_ITEM_INSERT)
                          : !exists ? LEV_DDB_INSERT
                          : en->item_op == STM_ITEM_DELETE ? LEV_DDB_REMOVE : LEV_DDB_MODIFY;
    if (ev == LEV_DDB_REMOVE)
        s->items[w] &= ~bit;
    else
        s->items[w] |= bit;
    s->stats.item_events[ev]++;
    return (int)ev;
}

/* Accepted records logged a call at most (slog_ops.records): a run of
 * rows kept on the stack, 4 KB, in the cache when they are logged. */
#define PUT_LOG_RUN 64

/* The rows of a request's accepted records not logged yet: a request's
 * records are logged a run at a time, with nothing logged in between, so
 * the sink sees the calls it would see a record at a time. */
struct put_rows {
    struct slog_record row[PUT_LOG_RUN];
};

/* What an entry's put does beyond the write limits and the ring: whether
 * InternalFailure is drawn, the item's event made (DynamoDB), the accepted
 * record logged (per_record changes only between the engine's runs,
 * sim.c), the consumer told.  Passed by value to the inline put_one: a
 * constant in the common loop (PUT_PLAIN), which then tests none of them
 * an entry. */
struct put_kind {
    bool draws;
    bool ddb;
    bool log;
    bool written;                 /* the consumer wants each write (consumer.written) */
};

/* A logged Kinesis stream without InternalFailure whose consumer polls:
 * the bench's and most runs' kind. */
static const struct put_kind PUT_PLAIN = { .log = true };

/* What a PutRecords reads once for all its entries, and what it counts
 * entry by entry: the instant, the limits, the tables, its kind; the next
 * sequence number and the rows pending.  A local whose address never
 * leaves the request (put_one is inline, log_run takes the rows alone):
 * no store through another pointer can change its fields, so the compiler
 * keeps them in registers or its own stack slots, where the stream's
 * would be loaded again through s after each store (they might alias). */
struct put_ctx {
    int64_t now, sec;
    uint64_t w_records_limit, w_bytes_limit;
    struct shard *shards;
    struct stm_ring *rings;
    const struct key_info *info;  /* the route cache, covering every key */
    uint64_t seq;                 /* s->next_seq, stored back after the request: the
                                     records accepted are its increase */
    uint32_t n_rows;
    struct put_kind kind;
    bool key_names;               /* the rows carry the keys' names */
    struct put_rows *rows;
};

/* The n > 0 rows pending go to the sink: one call, or one a row when the
 * sink takes them one at a time.  Apart from put_one: once a run. */
static __attribute__((noinline)) void log_run(const struct stm *s, const struct put_rows *rows,
                                              uint32_t n)
{
    slog_records(s->log->ops, s->log->ctx, rows->row, n);
}

/* put_one's shard when the one the key was routed to has put_sec != sec:
 * its write window is of an earlier second (rolled now), or it has closed
 * since (a reshard: the key is routed again). */
static COLD uint32_t put_shard(struct stm *s, uint32_t shard, uint32_t key_id, int64_t sec)
{
    if (s->shards[shard].closed_us >= 0)
        shard = reroute(s, key_id);
    write_roll(&s->shards[shard], sec);
    return shard;
}

/* put_one's end when its record cannot be stored: out of memory. */
static COLD enum stm_put_result put_failed(struct stm *s)
{
    eng_stop(s->e);   /* out of memory: stop, the run is incomplete */
    s->stats.put_internal_failures++;
    return STM_PUT_INTERNAL_FAILURE;
}

/* The accepted record r goes to the log's pending run. */
static inline void put_log(struct stm *s, struct put_ctx *pc, const struct shard *sh,
                           const struct stm_record *r, int64_t created_us)
{
    pc->rows->row[pc->n_rows++] = (struct slog_record){
        .shard_id = sh->id, .sequence_number = r->seq, .message_id = r->message_id,
        .partition_key = pc->key_names ? keytab_key(s->keys, r->key_id) : NULL,
        .key_id = r->key_id, .arrival_us = r->arrival_us,
        .bytes = r->bytes, .created_us = created_us,
    };
    if (pc->n_rows == PUT_LOG_RUN) {
        log_run(s, pc->rows, pc->n_rows);
        pc->n_rows = 0;
    }
}

/* One entry: its fate, and the record when accepted.  Per entry, so kept
 * to the lines it must touch: the key's route cache entry, asked for by
 * the caller; the shard's write window and ring by index, both hot; the
 * ring's next slot, asked for one put ahead.  A full shard (the common
 * refusal) is known before the entry's bytes are counted.  Counted by the
 * caller once a request: the throttled entries and the records held. */
static inline enum stm_put_result put_one(struct stm *s, struct put_ctx *pc,
                                          const struct stm_put_entry *en, struct put_kind k)
{
    if (k.draws && gsl_rng_uniform(s->rng) < s->failure_rate) {
        s->stats.put_internal_failures++;
        return STM_PUT_INTERNAL_FAILURE;
    }
    struct key_info ki = key_info(s, pc->info, en->key_id);
    uint32_t shard = ki.shard;
    if (pc->shards[shard].put_sec != pc->sec)
        shard = put_shard(s, shard, en->key_id, pc->sec);
    struct shard *sh = &pc->shards[shard];
    if (sh->w_records >= pc->w_records_limit)
        return STM_PUT_THROTTLED;
    uint64_t b = (uint64_t)en->bytes + key_bytes(s, ki, en->key_id);
    if (sh->w_bytes + b > pc->w_bytes_limit)
        return STM_PUT_THROTTLED;
    int event = 0;
    struct stm_ring *rg = &pc->rings[shard];
    if ((rg->end - rg->begin == rg->cap && ring_grow(s, rg) < 0) ||
        (k.ddb && (event = item_event(s, en)) < 0))
        return put_failed(s);
    uint64_t mask = rg->cap - 1, at = rg->end++;
    struct stm_record *r = &rg->slots[at & mask];
    *r = (struct stm_record){
        .seq = pc->seq++, .message_id = en->message_id, .arrival_us = pc->now,
        .bytes = en->bytes, .key_id = en->key_id, .data_id = en->data_id,
        .event = (unsigned)event,
        .key_plain = ki.plain, .key_bytes = ki.bytes,
    };
    sh->w_records++;
    sh->w_bytes += b;
    sh->w_total += b;
    if (k.log)
        put_log(s, pc, sh, r, en->created_us);
    if (k.written)
        s->consumer.written(s->consumer.ctx, shard);
    return STM_PUT_OK;
}

/* The n entries in request order, their fates in results; k is pc->kind,
 * or PUT_PLAIN when that is it.  Each entry's key_info is asked
 * for PREFETCH_AHEAD entries before its use (the caller asked for the
 * first ones). */
static inline void put_entries(struct stm *s, struct put_ctx *pc,
                               const struct stm_put_entry *entries, size_t n, uint8_t *results,
                               struct put_kind k)
{
    size_t i = 0;
    for (; i + PREFETCH_AHEAD < n; i++) {
        PREFETCH(&pc->info[entries[i + PREFETCH_AHEAD].key_id]);
        results[i] = (uint8_t)put_one(s, pc, &entries[i], k);
    }
    for (; i < n; i++)
        results[i] = (uint8_t)put_one(s, pc, &entries[i], k);
}

int stm_put_records(struct stm *s, const struct stm_put_entry *entries,
                    size_t n, uint8_t *results, char *err, size_t errlen)
{
    if (validate(s, entries, n, err, errlen) < 0)
        return -1;
    if (cache_cover(s) < 0) {
        eng_stop(s->e);   /* out of memory: stop, the run is incomplete */
        memset(results, STM_PUT_INTERNAL_FAILURE, n);
        s->stats.put_internal_failures += n;
        return (int)n;
    }
    struct put_rows rows;   /* written before they are read */
    struct put_ctx pc = {
        .now = eng_now(s->e),
        .w_records_limit = s->w_records_limit, .w_bytes_limit = s->w_bytes_limit,
        .shards = s->shards, .rings = s->view.rings, .info = s->cache->info,
        .seq = s->next_seq,
        .kind = {
            .draws = s->failure_rate > 0, .ddb = s->ddb,
            .log = s->log && s->log->per_record,
            .written = s->consumer.written != NULL,
        },
        .rows = &rows,
    };
    pc.sec = pc.now / ENG_US_PER_SEC;
    pc.key_names = pc.kind.log && !s->log->no_key_names;
    uint64_t internal = s->stats.put_internal_failures;
    /* With many keys each entry's key_info is a cache miss: ask for each
     * PREFETCH_AHEAD entries before its use so that the misses overlap
     * (an entry's put is long enough for a line to come meanwhile); the
     * last ones were asked for by then.  The cache does not move during a
     * request (covered already). */
    for (size_t i = 0; i < n && i < PREFETCH_AHEAD; i++)
        PREFETCH(&pc.info[entries[i].key_id]);
    /* Two copies of the loop: the common kind's tests nothing of it an
     * entry. */
    if (memcmp(&pc.kind, &PUT_PLAIN, sizeof PUT_PLAIN) == 0)
        put_entries(s, &pc, entries, n, results, PUT_PLAIN);
    else
        put_entries(s, &pc, entries, n, results, pc.kind);
    if (pc.n_rows > 0)
        log_run(s, &rows, pc.n_rows);
    size_t accepted = pc.seq - s->next_seq;
    s->next_seq = pc.seq;
    internal = s->stats.put_internal_failures - internal;
    s->stats.put_throttled += n - accepted - internal;
    s->stats.records_written += accepted;
    s->held += accepted;   /* nothing is released during a put */
    if (s->held > s->stats.peak_records_held)
        s->stats.peak_records_held = s->held;
    /* An empty stream has no trim pending: the first record arms it. */
    if (!s->trim_scheduled && s->held > 0)
        schedule_trim(s, pc.now + s->retention_us);
    return (int)(n - accepted);
}

/* ---- reads ------------------------------------------------------------- */

/* The mapping's share of the shard's GetRecords calls, read_num / read_den
 * a second (the header says how it is shared). */
static void read_share(struct stm *s)
{
    const struct read_limits *l = s->reads;
    uint64_t n = s->other_consumers, others = n * l->other_calls_per_sec;
    if (others + l->other_calls_per_sec <= l->calls_per_sec) {
        s->read_num = l->calls_per_sec - others;
        s->read_den = 1;
    } else {
        s->read_num = l->calls_per_sec;
        s->read_den = n + 1;
    }
}

/* The mapping's GetRecords calls in second sec (>= 0): its share, exact
 * over the seconds. */
static uint32_t read_calls(const struct stm *s, int64_t sec)
{
    uint64_t k = (uint64_t)sec;
    return (uint32_t)(s->read_num * (k + 1) / s->read_den - s->read_num * k / s->read_den);
}

/* Bytes the mapping may read from sh in second sec: the shard's rate (2 MiB
 * for Kinesis), less what the other consumers read (each reads what was
 * written the second before). */
static uint64_t read_budget(const struct stm *s, const struct shard *sh, int64_t sec)
{
    uint64_t limit = s->reads->bytes_per_sec;
    if (limit == UINT64_MAX)
        return limit;
    uint64_t others = (uint64_t)s->other_consumers * written_in(sh, sec - 1);
    return others >= limit ? 0 : limit - others;
}

/* The bytes a read of r counts: data + key (Kinesis), SizeBytes (DynamoDB). */
static uint64_t read_bytes(const struct stm *s, const struct stm_record *r)
{
    uint32_t key_len = stm_record_key_bytes(s, r);
    if (!s->ddb)
        return (uint64_t)r->bytes + key_len;
    struct lev_ddb_record item = {
        .key_len = key_len, .kind = (enum lev_ddb_event)r->event, .item_bytes = r->bytes,
    };
    return lev_ddb_size_bytes(&s->size_src, &item);
}

/* The bytes a Kinesis read of records [from, last) of shard counts, summed
 * a piece at a time (stm_piece), when at most max: the read returns them
 * all (the common case); else UINT64_MAX, and the caller cuts the read.
 * No key is STM_KEY_BYTES_FAR long (the caller checked): each record has
 * its key's length. */
static uint64_t kinesis_read_bytes(struct stm *s, uint32_t shard, uint64_t from, uint64_t last,
                                   uint64_t max)
{
    uint64_t sum = 0;
    for (uint64_t n; from < last; from += n) {
        const struct stm_record *r = stm_piece(s, shard, from, last, &n);
        for (const struct stm_record *end = r + n; r < end; r++) {
            sum += (uint64_t)r->bytes + r->key_bytes;
            if (sum > max)
                return UINT64_MAX;
        }
    }
    return sum;
}

/* Open the read window sec, carrying over what was read beyond the budgets
 * of the windows in between (approximate for windows without any call:
 * their budgets use the write history still known). */
static void read_roll(const struct stm *s, struct shard *sh, int64_t sec)
{
    if (sh->r_sec == sec)
        return;
    uint64_t debt = sh->r_bytes > sh->r_budget ? sh->r_bytes - sh->r_budget : 0;
    for (int64_t w = sh->r_sec + 1; w < sec && debt > 0; w++) {
        uint64_t b = read_budget(s, sh, w);
        debt = debt > b ? debt - b : 0;
    }
    sh->r_sec = sec;
    sh->r_calls = 0;
    sh->r_bytes = debt;
    sh->r_budget = read_budget(s, sh, sec);
}

enum stm_read_result stm_get_records(struct stm *s, uint32_t shard,
                                     uint64_t from, uint32_t max_records,
                                     uint64_t *to, int64_t *retry_at_us)
{
    struct shard *sh = &s->shards[shard];
    const struct read_limits *l = s->reads;
    int64_t now = eng_now(s->e), sec = now / ENG_US_PER_SEC;
    read_roll(s, sh, sec);
    int64_t retry = -1;
    if (now < sh->r_blocked_until_us)
        retry = sh->r_blocked_until_us;
    else if (sh->r_calls >= read_calls(s, sec) || sh->r_bytes >= sh->r_budget)
        retry = (sec + 1) * ENG_US_PER_SEC;
    if (retry >= 0) {
        s->stats.read_throttles++;
        *retry_at_us = retry;
        return STM_READ_THROTTLED;
    }
    sh->r_calls++;
    s->stats.reads++;

    const struct stm_ring *rg = &s->view.rings[shard];
    assert(from >= rg->begin && from <= rg->end);
    if (max_records == 0 || max_records > l->max_records)
        max_records = l->max_records;
    uint64_t i = from, last = rg->end - from > max_records ? from + max_records : rg->end;
    struct read_mark *m = &s->marks[shard];
    bool kinesis = !s->ddb, marked = kinesis && from == m->at;
    uint64_t bytes = UINT64_MAX;
    if (marked && last == rg->end)
        bytes = sh->w_total - m->total;
    else if (kinesis && keytab_max_len(s->keys) < STM_KEY_BYTES_FAR)
        bytes = kinesis_read_bytes(s, shard, from, last, l->max_bytes);
    if (bytes <= l->max_bytes)
        i = last;   /* all of them, no cut */
    else
        bytes = 0;
    for (; i < last; i++) {
        uint64_t b = read_bytes(s, slot(rg, i));
        if (bytes + b > l->max_bytes) {
            if (l->penalty_us > 0)
                sh->r_blocked_until_us = now + l->penalty_us;
            break;
        }
        bytes += b;
    }
    if (kinesis && i == rg->end)
        *m = (struct read_mark){ i, sh->w_total };
    else if (marked)
        *m = (struct read_mark){ i, m->total + bytes };
    sh->r_bytes += bytes;
    *to = i;
    *retry_at_us = now;
    return STM_READ_OK;
}
