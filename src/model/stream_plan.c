/*
 * stream_plan.c - a stream's shards as hash-key ranges (SPEC 1.1), and its
 * reshard plan: SplitShard, MergeShards and UpdateShardCount (Kinesis), the
 * shard rollovers (DynamoDB, SPEC 1.2), checked and made into steps from the
 * config alone; stream.c does the steps at their instants (the consumer's
 * side of it is R12).  stream_plan.h is its face, for the stream's files.
 *
 * Choices (AWS leaves them open or the model needs them fixed):
 * - Hash ranges: shard i of N starts at floor(i * 2^128 / N) and ends one
 *   below the next start; the last ends at 2^128 - 1.  That is what
 *   CreateStream gives (AWS CLI describe-stream example, 3 shards: 0,
 *   113427455640312821154458202477256070485, 226854911280625642308916404954512140970;
 *   a 20-shard stream shows it is not i * floor(2^128 / N)).
 *
 * Resharding:
 * - Planned whole at create time (the plan depends on the config only), so
 *   that a bad operation is an error before the run (stm_check_reshard), and
 *   every shard the stream will have is known: the shard table never moves.
 *   A shard's index never changes; children are appended.  Ids go on with the
 *   next integers, as AWS numbers new shards: a split's lower child first.
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
 *
 * DynamoDB Streams (SPEC 1.2):
 * - Rollover: every shard_lifetime each open shard is closed and a child
 *   with its hash-key range continues it: a plan step with one parent and
 *   one child, beside splits and merges.  All shards open at 0, so they roll
 *   over together, at k * shard_lifetime for each k >= 1 before the end of
 *   the run (rollover_until_us).  Ids go on as for Kinesis (AWS's carry a
 *   creation time and a random suffix; nothing in the model reads them).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "grow.h"
#include "stream_plan.h"

/* ---- hash keys --------------------------------------------------------- */

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

uint32_t stm_route_pos(const struct topo *t, struct hashkey h)
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

void stm_open_replace(struct topo *t, uint32_t pos, uint32_t n_out, uint32_t first, uint32_t n_in)
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

void stm_plan_free(struct plan *p)
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
    stm_open_replace(t, pos, step_parents(kind), t->n_def, n);
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
        uint32_t pos = stm_route_pos(t, b);
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
    *pos = stm_route_pos(t, t->def[n].first_key);
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

int stm_plan_build(struct plan *p, const struct cfg_stream *cfg, size_t *op, const char **key,
                   char *err, size_t errlen)
{
    assert(cfg->shards >= 1);
    bool ddb = stm_is_dynamodb(cfg);
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
