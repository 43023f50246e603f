/*
 * memlog.h - a log sink for tests: keeps every row in memory so that a test
 * can assert the exact sequence of invocations, checkpoints, discards and
 * fates of a run.
 */
#ifndef ESMSIM_MEMLOG_H
#define ESMSIM_MEMLOG_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simlog.h"

struct mem_invocation {
    struct slog_invocation v;
    char shard_id[32];
    char error[128];         /* "" when none */
};

struct mem_checkpoint {
    char shard_id[32];
    int64_t at_us;
    uint64_t seq;
    enum ckpt_reason reason;
};

struct mem_discard {
    struct slog_discard v;
    char shard_id[32];
    char destination[128];   /* "" when none */
};

struct mem_message {
    uint64_t id;
    enum fate fate;
    char key[64];
    int64_t created_us;
};

struct mem_record {
    uint64_t seq, message_id;
    char shard_id[32];
    char key[64];
    int64_t arrival_us;
};

/* A shards row: one when the shard opens, another when it closes. */
struct mem_shard {
    char id[32], parent[32], adjacent[32];   /* "" for none */
    char start[48], end[48];                 /* hash keys, decimal */
    int64_t opened_us, closed_us;            /* closed -1 while open */
};

struct mem_window {
    struct slog_window v;   /* shard_id, keys, counts and state_json: NULL; see the copies */
    char shard_id[32];
    char state[256];        /* {"key":count,...} of the first keys, as the function returned it */
};

/* A delivery row, kept when keep_deliveries is set. */
struct mem_delivery {
    uint64_t invocation_id, seq;
    bool handled;
};

struct memlog {
    struct mem_invocation *inv;
    size_t n_inv, cap_inv;
    struct mem_checkpoint *ckpt;
    size_t n_ckpt, cap_ckpt;
    struct mem_discard *disc;
    size_t n_disc, cap_disc;
    struct mem_message *msg;
    size_t n_msg, cap_msg;
    struct mem_record *rec;
    size_t n_rec, cap_rec;
    struct mem_window *win;
    size_t n_win, cap_win;
    bool keep_deliveries;   /* set by the test: keep every delivery row in dlv */
    struct mem_delivery *dlv;
    size_t n_dlv, cap_dlv;
    char *lines;            /* a real handler's log lines, "INVOCATION|KIND|TEXT\n" each */
    size_t lines_len, lines_cap;
    struct mem_shard *shard;
    size_t n_shard, cap_shard;
    uint64_t deliveries, handled, metrics;
    uint64_t fates[FATE_COUNT];
};

#define MEMLOG_PUSH(arr, n, cap) \
    ((n) == (cap) ? ((cap) = (cap) ? 2 * (cap) : 64, \
                     (arr) = realloc((arr), (cap) * sizeof *(arr))) : (arr), &(arr)[(n)++])

static inline void memlog_copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static void ml_shard(void *ctx, const struct slog_shard *s)
{
    struct memlog *ml = ctx;
    struct mem_shard *row = MEMLOG_PUSH(ml->shard, ml->n_shard, ml->cap_shard);
    memlog_copy(row->id, sizeof row->id, s->shard_id);
    memlog_copy(row->parent, sizeof row->parent, s->parent_shard_id);
    memlog_copy(row->adjacent, sizeof row->adjacent, s->adjacent_parent_shard_id);
    memlog_copy(row->start, sizeof row->start, s->starting_hash_key);
    memlog_copy(row->end, sizeof row->end, s->ending_hash_key);
    row->opened_us = s->opened_us;
    row->closed_us = s->closed_us;
}

static void ml_message(void *ctx, const struct slog_message *m)
{
    struct memlog *ml = ctx;
    struct mem_message *row = MEMLOG_PUSH(ml->msg, ml->n_msg, ml->cap_msg);
    row->id = m->message_id;
    row->fate = m->fate;
    row->created_us = m->created_us;
    memlog_copy(row->key, sizeof row->key, m->partition_key);
    ml->fates[m->fate]++;
}

static void ml_record(void *ctx, const struct slog_record *r)
{
    struct memlog *ml = ctx;
    struct mem_record *row = MEMLOG_PUSH(ml->rec, ml->n_rec, ml->cap_rec);
    row->seq = r->sequence_number;
    row->message_id = r->message_id;
    row->arrival_us = r->arrival_us;
    memlog_copy(row->shard_id, sizeof row->shard_id, r->shard_id);
    memlog_copy(row->key, sizeof row->key, r->partition_key);
}

static void ml_invocation(void *ctx, const struct slog_invocation *inv)
{
    struct memlog *ml = ctx;
    struct mem_invocation *row = MEMLOG_PUSH(ml->inv, ml->n_inv, ml->cap_inv);
    row->v = *inv;
    memlog_copy(row->shard_id, sizeof row->shard_id, inv->shard_id);
    memlog_copy(row->error, sizeof row->error, inv->error ? inv->error : "");
    row->v.shard_id = NULL;
    row->v.error = NULL;
}

static void ml_deliveries(void *ctx, uint64_t id, const char *shard, const uint64_t *seqs,
                          uint32_t n, bool handled)
{
    struct memlog *ml = ctx;
    (void)shard;
    ml->deliveries += n;
    ml->handled += handled ? n : 0;
    for (uint32_t i = 0; ml->keep_deliveries && i < n; i++)
        *MEMLOG_PUSH(ml->dlv, ml->n_dlv, ml->cap_dlv) = (struct mem_delivery){ id, seqs[i], handled };
}

static void ml_checkpoint(void *ctx, const char *shard, int64_t at, uint64_t seq, enum ckpt_reason why)
{
    struct memlog *ml = ctx;
    struct mem_checkpoint *row = MEMLOG_PUSH(ml->ckpt, ml->n_ckpt, ml->cap_ckpt);
    memlog_copy(row->shard_id, sizeof row->shard_id, shard);
    row->at_us = at;
    row->seq = seq;
    row->reason = why;
}

static void ml_discard(void *ctx, const struct slog_discard *d)
{
    struct memlog *ml = ctx;
    struct mem_discard *row = MEMLOG_PUSH(ml->disc, ml->n_disc, ml->cap_disc);
    row->v = *d;
    memlog_copy(row->shard_id, sizeof row->shard_id, d->shard_id);
    memlog_copy(row->destination, sizeof row->destination, d->destination);
    row->v.shard_id = NULL;
    /* Pointers into the sim or this array would dangle: keep copies only. */
    row->v.destination = row->v.function_arn = row->v.stream_arn = NULL;
}

static void ml_metric(void *ctx, int64_t at, const char *name, const char *shard, double v)
{
    (void)at; (void)name; (void)shard; (void)v;
    ((struct memlog *)ctx)->metrics++;
}

static void ml_window(void *ctx, const struct slog_window *w)
{
    struct memlog *ml = ctx;
    struct mem_window *row = MEMLOG_PUSH(ml->win, ml->n_win, ml->cap_win);
    row->v = *w;
    memlog_copy(row->shard_id, sizeof row->shard_id, w->shard_id);
    row->v.shard_id = NULL;
    row->v.keys = NULL;
    row->v.counts = NULL;
    row->v.state_json = NULL;
    if (w->state_json) {      /* a real handler's, as it returned it */
        memlog_copy(row->state, sizeof row->state, w->state_json);
        return;
    }
    size_t len = (size_t)snprintf(row->state, sizeof row->state, "{");
    for (uint32_t i = 0; i < w->n_keys && len < sizeof row->state; i++)
        len += (size_t)snprintf(row->state + len, sizeof row->state - len, "%s\"%s\":%llu",
                                i ? "," : "", w->keys[i], (unsigned long long)w->counts[i]);
    if (len < sizeof row->state)
        snprintf(row->state + len, sizeof row->state - len, "}");
}

static void ml_log_line(void *ctx, const struct slog_line *l)
{
    struct memlog *ml = ctx;
    size_t need = strlen(l->kind) + strlen(l->text) + 32;
    if (ml->lines_len + need >= ml->lines_cap) {
        ml->lines_cap = 2 * (ml->lines_len + need);
        ml->lines = realloc(ml->lines, ml->lines_cap);
    }
    ml->lines_len += (size_t)snprintf(ml->lines + ml->lines_len, ml->lines_cap - ml->lines_len,
                                      "%llu|%s|%s\n", (unsigned long long)l->invocation_id,
                                      l->kind, l->text);
}

static bool ml_failed(void *ctx) { (void)ctx; return false; }

static const struct slog_ops memlog_ops = {
    .shard = ml_shard, .message = ml_message, .record = ml_record,
    .invocation = ml_invocation, .deliveries = ml_deliveries, .checkpoint = ml_checkpoint,
    .discard = ml_discard, .metric = ml_metric, .window = ml_window, .log_line = ml_log_line,
    .failed = ml_failed,
};

static inline void memlog_free(struct memlog *ml)
{
    free(ml->inv);
    free(ml->ckpt);
    free(ml->disc);
    free(ml->msg);
    free(ml->rec);
    free(ml->win);
    free(ml->dlv);
    free(ml->lines);
    free(ml->shard);
    memset(ml, 0, sizeof *ml);
}

#endif
