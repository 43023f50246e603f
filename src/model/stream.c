/*
 * stream.c - a Kinesis data stream (SPEC 1.1) or a DynamoDB table's stream
 * (SPEC 1.2): its life cycle, its shards as they open and close (the
 * reshard steps done at their instants; the consumer's side of it is R12),
 * the records held, and retention.  The stream's other files:
 * stream_plan.c (hash-key ranges, the reshard plan), stream_write.c
 * (PutRecords: routing, write limits) and stream_read.c (GetRecords, shared
 * read limits, R1); stream_impl.h is what they share, and stream.h the
 * stream's face for the rest of the model.
 *
 * Choices (AWS leaves them open or the model needs them fixed):
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
 * - An operation happens at its instant, whole (AWS takes seconds in the
 *   UPDATING state): an event of ENG_CLASS_TOPOLOGY, the class that runs
 *   before the writes of the same instant, so that a write at `at` already
 *   goes to the children.  Operations of the same instant run in file order.
 * - A closed parent keeps its records, readable until retention trims them.
 *   Write windows are per shard, so children start with empty ones.
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
 * DynamoDB Streams (SPEC 1.2): the same machinery with the table's rules,
 * told in stream_write.c (items), stream_read.c (reads) and stream_plan.c
 * (rollovers).
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
#include "stream_impl.h"
#include "grow.h"

#define RING_MIN 16u                     /* first ring size of a shard */

_Static_assert(sizeof(struct stm_record) == 40, "a held record stays 40 bytes");

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
    assert(st->child == s->n_shards);   /* a step appends: stm_put_stamp relies on it */
    for (uint32_t k = 0; k < n_parents; k++) {
        s->shards[parents[k]].closed_us = now;
        s->shards[parents[k]].put_sec = -1;
        free_if_done(s, &s->shards[parents[k]]);
        log_shard(s, parents[k]);
    }
    for (uint32_t c = st->child; c < st->child + n; c++)
        open_shard(s, c, now);
    s->n_shards = st->child + n;
    stm_open_replace(&s->topo, st->pos, n_parents, st->child, n);
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
    uint32_t pos = stm_route_pos(t, d.first_key);
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

int stm_check_reshard(const struct cfg_stream *cfg, size_t *op, const char **key,
                      char *err, size_t errlen)
{
    struct plan p;
    int rc = stm_plan_build(&p, cfg, op, key, err, errlen);
    stm_plan_free(&p);
    return rc;
}

static char *dup_str(const char *src)
{
    size_t n = strlen(src) + 1;
    char *d = malloc(n);
    return d ? memcpy(d, src, n) : NULL;
}

/* ---- read limits (stream_read.c applies them) -------------------------- */

#define MIB (UINT64_C(1) << 20)

static const struct read_limits KINESIS_READS = {
    .calls_per_sec = 5, .other_calls_per_sec = 1, .bytes_per_sec = 2 * MIB,
    .max_records = 10000, .max_bytes = 10 * MIB, .penalty_us = 5 * ENG_US_PER_SEC,
};
static const struct read_limits DYNAMODB_READS = {
    .calls_per_sec = 8, .other_calls_per_sec = 4, .bytes_per_sec = UINT64_MAX,
    .max_records = LEV_DDB_GET_RECORDS_MAX_RECORDS, .max_bytes = LEV_DDB_GET_RECORDS_MAX_BYTES,
    .penalty_us = 0,
};

/* The mapping's share of the shard's GetRecords calls, read_num / read_den
 * a second (stream_read.c says how it is shared). */
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
    bool ddb = stm_is_dynamodb(cfg);
    bool on_demand = !ddb && cfg->capacity_mode == CFG_CAPACITY_ON_DEMAND;
    if (on_demand && (cfg->n_reshard > 0 || cfg->shards > stm_on_demand_max_open(cfg))) {
        snprintf(err, errlen, "stream %s: on demand, AWS makes the shards: %s", name,
                 cfg->n_reshard ? "no reshard" : "more shards than the maximum throughput needs");
        return NULL;
    }
    if (stm_plan_build(&plan, cfg, &op, &key, msg, sizeof msg) < 0) {
        if (key)
            snprintf(err, errlen, "stream %s: reshard[%zu].%s: %s", name, op, key, msg);
        else
            snprintf(err, errlen, "stream %s: %s", name, msg);
        stm_plan_free(&plan);
        return NULL;
    }
    struct stm *s = calloc(1, sizeof *s);
    if (!s) {
        stm_plan_free(&plan);
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

/* ---- storage ----------------------------------------------------------- */

int stm_ring_grow(struct stm *s, struct stm_ring *rg)
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

uint32_t stm_key_json_len(const struct stm *s, uint32_t key_id)
{
    return keytab_json_len(s->keys, key_id);
}

uint32_t stm_key_bytes(const struct stm *s, uint32_t key_id)
{
    return keytab_len(s->keys, key_id);
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

void stm_schedule_trim(struct stm *s, int64_t due)
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
    for (; to < rg->end && to < pin && stm_slot(rg, to)->arrival_us + s->retention_us <= now; to++)
        unhandled += !stm_slot(rg, to)->handled;
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
        if (rg->begin < rg->end && stm_slot(rg, rg->begin)->arrival_us + s->retention_us < due)
            due = stm_slot(rg, rg->begin)->arrival_us + s->retention_us;
    }
    if (due != INT64_MAX)
        stm_schedule_trim(s, due);
}
