/*
 * stream_plan.h - a stream's shards as hash-key ranges, and its reshard
 * plan (stream_plan.c): what stream.c builds at create time and replays at
 * run time.  The stream's own: only its files include it (stream_impl.h).
 */
#ifndef ESMSIM_STREAM_PLAN_H
#define ESMSIM_STREAM_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "keytab.h"

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

static inline uint32_t step_parents(enum step_kind k) { return k == STEP_MERGE ? 2 : 1; }
static inline uint32_t step_children(enum step_kind k) { return k == STEP_SPLIT ? 2 : 1; }

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

/* ---- hash keys --------------------------------------------------------- */

static inline int hashkey_cmp(struct hashkey a, struct hashkey b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    return a.lo < b.lo ? -1 : a.lo > b.lo;
}

static inline struct hashkey hashkey_pred(struct hashkey h)
{
    if (h.lo == 0)
        h.hi--;
    h.lo--;
    return h;
}

/* first + ceil((last - first) / 2) for first < last: where the upper half
 * of the range starts. */
static inline struct hashkey hashkey_midpoint(struct hashkey first, struct hashkey last)
{
    struct hashkey d = { last.hi - first.hi - (last.lo < first.lo), last.lo - first.lo };
    uint64_t odd = d.lo & 1;
    struct hashkey half = { d.hi >> 1, (d.lo >> 1 | d.hi << 63) + odd };
    half.hi += odd && half.lo == 0;   /* carry of the rounding up */
    struct hashkey m = { first.hi + half.hi, first.lo + half.lo };
    m.hi += m.lo < first.lo;
    return m;
}

/* ---- the shards' topology ---------------------------------------------- */

/* The place in the open list of the shard whose range holds h: the last
 * open shard starting at or below h (the open ranges tile the key space). */
uint32_t stm_route_pos(const struct topo *t, struct hashkey h);

/* Put the n_in shards numbered from first in place of the n_out open shards
 * at pos: they cover the same keys, so the list stays sorted.  The caller
 * made room. */
void stm_open_replace(struct topo *t, uint32_t pos, uint32_t n_out, uint32_t first, uint32_t n_in);

/* ---- the reshard plan -------------------------------------------------- */

static inline bool stm_is_dynamodb(const struct cfg_stream *cfg)
{
    return cfg->type == CFG_STREAM_DYNAMODB;
}

/* The steps of cfg's operations; -1 with *op, *key and err as
 * stm_check_reshard says.  Free p with stm_plan_free either way. */
int stm_plan_build(struct plan *p, const struct cfg_stream *cfg, size_t *op, const char **key,
                   char *err, size_t errlen);
void stm_plan_free(struct plan *p);

#endif
