/*
 * runlog_summary.c - the summary tables of the run log (runlog.h, SPEC
 * section 3; observer.h, issue 13 item 3): the observer's figures of a run,
 * one figure a row in summary_figures, and its shards, examples of order
 * violations, first discards and plot's series, written at the end of the
 * run: what `report` and `plot` read, with or without the per-record tables.
 */
#include "runlog.h"
#include "runlog_int.h"

#include <stdio.h>

#include "awsjson.h"
#include "observer.h"

static struct runlog_val rv_u(uint64_t v)
{
    return rv_int((int64_t)v);
}

/* A value that may be absent: NULL unless has. */
static struct runlog_val rv_opt(bool has, int64_t v)
{
    return has ? rv_int(v) : (struct runlog_val){ .type = RV_NULL };
}

static void runlog_figure(struct runlog *rl, const char *prefix, const char *name,
                          struct runlog_val v)
{
    char path[128];
    snprintf(path, sizeof path, "%s.%s", prefix, name);
    RUNLOG_INSERT(rl, RL_SUMMARY_FIGURES, rv_text(path), v);
}

/* An IteratorAge distribution: count, then p50 to max, NULL without values. */
static void runlog_age(struct runlog *rl, const char *prefix, const struct obs_age *a)
{
    runlog_figure(rl, prefix, "count", rv_u(a->count));
    runlog_figure(rl, prefix, "p50", rv_opt(a->count, a->p50));
    runlog_figure(rl, prefix, "p90", rv_opt(a->count, a->p90));
    runlog_figure(rl, prefix, "p99", rv_opt(a->count, a->p99));
    runlog_figure(rl, prefix, "max", rv_opt(a->count, a->max));
}

/* A count object: total, then each name's count. */
static void runlog_counts(struct runlog *rl, const char *prefix, const uint64_t *counts,
                          int n, const char *(*name)(int))
{
    uint64_t total = 0;
    for (int i = 0; i < n; i++)
        total += counts[i];
    runlog_figure(rl, prefix, "total", rv_u(total));
    for (int i = 0; i < n; i++)
        runlog_figure(rl, prefix, name(i), rv_u(counts[i]));
}

static const char *runlog_fate(int i) { return fate_name((enum fate)i); }
static const char *runlog_outcome(int i) { return outcome_name((enum outcome)i); }
static const char *runlog_reason(int i) { return ckpt_reason_name((enum ckpt_reason)i); }
static const char *runlog_condition(int i) { return awsjson_condition_name((enum discard_condition)i); }

static void runlog_examples(struct runlog *rl, const char *kind, const struct obs_example *x,
                            size_t n, bool by_message)
{
    for (size_t i = 0; i < n; i++, x++)
        RUNLOG_INSERT(rl, RL_SUMMARY_EXAMPLES, rv_text(kind), rv_u(i + 1),
                      rv_text(x->partition_key), rv_opt(by_message, (int64_t)x->late.message_id),
                      rv_u(x->late.sequence_number), rv_int(x->late.time_ms),
                      rv_opt(x->late.has_first, x->late.first_delivered_ms),
                      rv_opt(by_message, (int64_t)x->after.message_id),
                      rv_u(x->after.sequence_number), rv_int(x->after.time_ms),
                      rv_opt(x->after.has_first, x->after.first_delivered_ms));
}

static void runlog_spans(struct runlog *rl, const char *chart, const struct obs_span *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        RUNLOG_INSERT(rl, RL_SUMMARY_SERIES, rv_text(chart), rv_u(i + 1), rv_text(chart),
                      rv_int(v[i].from_us), rv_int(v[i].to_us));
}

static void runlog_series(struct runlog *rl, const struct obs_figures *f)
{
    uint64_t n = 0;
    for (size_t i = 0; i < f->n_points; i++) {
        const struct obs_point *p = &f->points[i];
        n = i > 0 && p->chart == f->points[i - 1].chart ? n + 1 : 1;
        RUNLOG_INSERT(rl, RL_SUMMARY_SERIES, rv_text(obs_chart_name(p->chart)), rv_u(n),
                      rv_text(p->series), rv_int(p->minute),
                      p->integer ? rv_int((int64_t)p->value) : rv_real(p->value));
    }
    for (size_t i = 0; i < f->n_reshards; i++)
        RUNLOG_INSERT(rl, RL_SUMMARY_SERIES, rv_text("reshards"), rv_u(i + 1), rv_text("reshard"),
                      rv_int(f->reshard_ms[i]), (struct runlog_val){ .type = RV_NULL });
    runlog_spans(rl, "disabled", f->disabled, f->n_disabled);
    runlog_spans(rl, "failing", f->failing, f->n_failing);
}

void runlog_write_summary(struct runlog *rl, const struct obs_figures *f)
{
    runlog_counts(rl, "messages", f->messages, FATE_COUNT, runlog_fate);
    runlog_counts(rl, "invocations", f->invocations, OUTCOME_COUNT, runlog_outcome);
    runlog_figure(rl, "invocations", "deliveries", rv_u(f->deliveries));
    runlog_figure(rl, "invocations", "oversized", rv_u(f->oversized));
    runlog_figure(rl, "invocations", "concurrent_executions_max",
                  rv_opt(f->has_concurrency, f->concurrency_max));
    runlog_figure(rl, "duplicates", "redelivered_records", rv_u(f->redelivered_records));
    runlog_figure(rl, "duplicates", "redeliveries", rv_u(f->redeliveries));
    runlog_figure(rl, "duplicates", "reprocessed_records", rv_u(f->reprocessed_records));
    runlog_figure(rl, "duplicates", "producer_duplicates", rv_u(f->producer_duplicates));
    runlog_figure(rl, "duplicates", "producer_duplicate_records",
                  rv_u(f->producer_duplicate_records));
    runlog_figure(rl, "order", "by_sequence.violations", rv_u(f->order_by_sequence));
    runlog_figure(rl, "order", "by_producer.violations", rv_u(f->order_by_producer));
    runlog_figure(rl, "retention", "expired_records.value",
                  rv_opt(f->expired_records_max == f->expired_messages,
                         (int64_t)f->expired_messages));
    runlog_figure(rl, "retention", "expired_records.min", rv_u(f->expired_messages));
    runlog_figure(rl, "retention", "expired_records.max", rv_u(f->expired_records_max));
    runlog_figure(rl, "retention", "expired_messages", rv_u(f->expired_messages));
    runlog_counts(rl, "discards.messages", f->discard_messages, 2, runlog_condition);
    runlog_counts(rl, "discards.records", f->discard_records, 2, runlog_condition);
    runlog_counts(rl, "checkpoints", f->checkpoints, CKPT_COUNT, runlog_reason);
    runlog_age(rl, "iterator_age_ms", &f->age);
    runlog_figure(rl, "reads", "get_records_throttled", rv_u(f->read_throttles));
    runlog_figure(rl, "reads", "delay_mean_ms", rv_real(f->read_delay_mean_ms));   /* REAL: a mean */
    runlog_figure(rl, "reads", "delay_max_ms", rv_real(f->read_delay_max_ms));
    for (size_t i = 0; i < f->n_shards; i++) {
        const struct obs_shard *s = &f->shards[i];
        const struct obs_age *a = &s->age;
        RUNLOG_INSERT(rl, RL_SUMMARY_SHARDS, rv_text(s->shard_id), rv_text(s->parent_shard_id),
                      rv_text(s->adjacent_parent_shard_id), rv_opt(s->has_row, s->opened_ms),
                      rv_opt(s->has_closed, s->closed_ms), rv_u(s->invocations),
                      rv_u(s->throttled), rv_u(a->count), rv_opt(a->count, a->p50),
                      rv_opt(a->count, a->p90), rv_opt(a->count, a->p99),
                      rv_opt(a->count, a->max),
                      rv_opt(s->has_oldest, s->oldest_unprocessed_age_max_ms));
    }
    runlog_examples(rl, "by_sequence", f->sequence_examples, f->n_sequence_examples, false);
    runlog_examples(rl, "by_producer", f->producer_examples, f->n_producer_examples, true);
    runlog_series(rl, f);
    for (size_t i = 0; i < f->n_discards_listed; i++) {
        const struct obs_discard *d = &f->discards_listed[i];
        RUNLOG_INSERT(rl, RL_SUMMARY_DISCARDS, rv_u(i + 1), rv_int(d->at_ms), rv_text(d->shard_id),
                      rv_text(awsjson_condition_name(d->condition)),
                      rv_u(d->start_sequence_number), rv_u(d->end_sequence_number),
                      rv_u(d->record_count), rv_u(d->approximate_invoke_count),
                      rv_text(d->destination));
    }
}
