/*
 * observer_figures.c - the observer's other figures, and the end of a run:
 * the shards' rows and reshards (R12), discards (R6), the concurrency and
 * oldest-record metrics, reads (R1, R9), the spans the mapping was disabled
 * or the function failing (R16), plot's charts; obs_finish lets go of what
 * is held and makes every figure final.
 */
#define _DEFAULT_SOURCE   /* strdup */
#include "observer_figures.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "keytab.h"
#include "observer_deliveries.h"
#include "observer_held.h"
#include "observer_index.h"

const char *obs_chart_name(enum obs_chart c)
{
    static const char *const names[OBS_CHART_COUNT] = {
        "iterator-age", "iterator-age-send", "oldest", "concurrency", "throughput",
        "discards", "expiries",
    };
    return (unsigned)c < OBS_CHART_COUNT ? names[c] : "?";
}

/* ---- the events ----------------------------------------------------------------- */

void obs_on_shard(void *ctx, const struct slog_shard *s)
{
    struct obs *o = ctx;
    o->next.ops->shard(o->next.ctx, s);
    struct oshard *sh = obs_shard_of(o, s->shard_id);
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

/* The first OnFailure messages by time, then in the order they came. */
void obs_on_discard(void *ctx, const struct slog_discard *d)
{
    struct obs *o = ctx;
    o->next.ops->discard(o->next.ctx, d);
    unsigned c = d->condition == DISCARD_RECORD_AGE;
    o->fig.discard_messages[c]++;
    o->fig.discard_records[c] += d->record_count;
    obs_add_point(o, OBS_CHART_DISCARDS, PS_MARK, obs_ms(d->at_us), 1);
    struct obs_figures *f = &o->fig;
    int64_t at_ms = obs_ms(d->at_us);
    size_t at = f->n_discards_listed;
    while (at > 0 && f->discards_listed[at - 1].at_ms > at_ms)
        at--;
    if (at == OBS_DISCARDS_LISTED)
        return;
    struct oshard *sh = obs_shard_of(o, d->shard_id);
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

void obs_on_metric(void *ctx, int64_t at_us, const char *name, const char *shard_id,
                   double value)
{
    struct obs *o = ctx;
    o->next.ops->metric(o->next.ctx, at_us, name, shard_id, value);
    /* The run log keeps the value as a REAL and report reads its maximum as
     * an integer: truncated toward zero. */
    if (!shard_id && strcmp(name, "concurrent_executions") == 0) {
        obs_add_point(o, OBS_CHART_CONCURRENCY, PS_MAX, obs_ms(at_us), value);
        if (!o->fig.has_concurrency || (int64_t)value > o->fig.concurrency_max)
            o->fig.concurrency_max = (int64_t)value;
        o->fig.has_concurrency = true;
    } else if (shard_id && strcmp(name, "oldest_unprocessed_age_ms") == 0) {
        struct oshard *sh = obs_shard_of(o, shard_id);
        if (sh && (!sh->row.has_oldest || (int64_t)value > sh->row.oldest_unprocessed_age_max_ms)) {
            sh->row.oldest_unprocessed_age_max_ms = (int64_t)value;
            sh->row.has_oldest = true;
        }
        if (sh) {
            sh->listed = true;
            obs_add_point(o, OBS_CHART_OLDEST, (uint32_t)(sh - o->shards), obs_ms(at_us), value);
            obs_add_point(o, OBS_CHART_OLDEST, PS_ALL, obs_ms(at_us), value);
        }
    }
}

/* ---- reads (R1, R9): the read delay and the GetRecords throttles ------------------- */

/* The mapping's reads: GetRecords calls throttled, and the propagation delay
 * of every record read, from its arrival to its read (or its push). */
void obs_on_read(void *ctx, const struct slog_read *rd)
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
    obs_written_flush(o);
    finish_series(o);
    reads_finish(o);
    obs_inv_release(o, true);
    obs_name_examples(o);
    for (size_t i = 0; i < keytab_count(o->shard_ids); i++)
        obs_shard_let_go(o, &o->shards[i], true);
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
