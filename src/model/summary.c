/*
 * summary.c - the figures of a run's summary by name: what an `expect` block
 * bounds (SPEC 2), what runs.summary_json keeps (SPEC 3) and what a sweep
 * reads back.  A figure is a count the summary prints ("messages_lost",
 * "invocations_error", "redelivered_records" ...) or a measure in ms.  The
 * scenario loader validates an expect block's names against summary_names(),
 * so a typo is a load error, not a silent pass.
 */
#include "summary.h"

#include <string.h>

#include "lambda_event.h"

enum source { MESSAGES, FATE, INVOCATIONS, OUTCOME, COUNTER, AGE_MAX };

struct metric {
    const char *name;
    enum source source;
    int index;                 /* FATE, OUTCOME: the enum; COUNTER: the field */
};

enum counter {
    C_RECORDS_WRITTEN, C_PUT_ENTRIES_FAILED, C_PUT_RESENT, C_PRODUCER_DUPLICATES,
    C_DELIVERIES, C_REDELIVERED, C_REPROCESSED, C_BISECTS, C_DISCARDS, C_DISCARDED_RECORDS,
    C_OVERSIZED_INVOCATIONS, C_EXPIRED_RECORDS,
    C_MISSED_RECORDS, C_PEAK_CONCURRENCY, C_ORDER_VIOLATIONS, C_WINDOWS, C_READ_DELAY_MEAN,
    C_READ_DELAY_MAX, C_READ_THROTTLES, C_RECORDS_INSERT, C_RECORDS_MODIFY, C_RECORDS_REMOVE,
    C_ON_DEMAND_SPLITS,
};

static const struct metric metrics[] = {
    { "messages", MESSAGES, 0 },
    { "messages_processed", FATE, FATE_PROCESSED },
    { "messages_pending", FATE, FATE_PENDING },
    { "messages_lost", FATE, FATE_LOST },
    { "messages_discarded", FATE, FATE_DISCARDED },
    { "messages_expired", FATE, FATE_EXPIRED },
    { "messages_missed", FATE, FATE_MISSED },
    { "messages_rejected", FATE, FATE_REJECTED },
    { "invocations", INVOCATIONS, 0 },
    { "invocations_success", OUTCOME, OUTCOME_SUCCESS },
    { "invocations_partial", OUTCOME, OUTCOME_PARTIAL },
    { "invocations_error", OUTCOME, OUTCOME_ERROR },
    { "invocations_timeout", OUTCOME, OUTCOME_TIMEOUT },
    { "invocations_throttled", OUTCOME, OUTCOME_THROTTLED },
    { "records_written", COUNTER, C_RECORDS_WRITTEN },
    { "put_entries_failed", COUNTER, C_PUT_ENTRIES_FAILED },
    { "put_resent", COUNTER, C_PUT_RESENT },
    { "producer_duplicates", COUNTER, C_PRODUCER_DUPLICATES },
    { "deliveries", COUNTER, C_DELIVERIES },
    { "redelivered_records", COUNTER, C_REDELIVERED },
    { "reprocessed_records", COUNTER, C_REPROCESSED },
    { "bisects", COUNTER, C_BISECTS },
    { "discards", COUNTER, C_DISCARDS },                    /* OnFailure messages (R6, R8) */
    { "discarded_records", COUNTER, C_DISCARDED_RECORDS },  /* the records they describe */
    { "oversized_invocations", COUNTER, C_OVERSIZED_INVOCATIONS },
    { "expired_records", COUNTER, C_EXPIRED_RECORDS },
    { "missed_records", COUNTER, C_MISSED_RECORDS },
    { "peak_concurrency", COUNTER, C_PEAK_CONCURRENCY },
    { "order_violations", COUNTER, C_ORDER_VIOLATIONS },
    { "windows", COUNTER, C_WINDOWS },
    { "read_delay_mean_ms", COUNTER, C_READ_DELAY_MEAN },
    { "read_delay_max_ms", COUNTER, C_READ_DELAY_MAX },
    { "read_throttles", COUNTER, C_READ_THROTTLES },
    { "records_insert", COUNTER, C_RECORDS_INSERT },
    { "records_modify", COUNTER, C_RECORDS_MODIFY },
    { "records_remove", COUNTER, C_RECORDS_REMOVE },
    { "on_demand_splits", COUNTER, C_ON_DEMAND_SPLITS },    /* shards an on-demand stream split */
    { "iterator_age_max_ms", AGE_MAX, 0 },
};
#define N_METRICS (sizeof metrics / sizeof metrics[0])

const char *const *summary_names(void)
{
    static const char *names[N_METRICS + 1];
    if (!names[0])
        for (size_t i = 0; i < N_METRICS; i++)
            names[i] = metrics[i].name;
    return names;
}

bool summary_is_count(const char *metric)
{
    size_t n = strlen(metric);
    return n < 3 || strcmp(metric + n - 3, "_ms") != 0;
}

static double counter(enum counter c, const struct sim_summary *s)
{
    const struct esm_stats *m = &s->mapping;
    switch (c) {
    case C_RECORDS_WRITTEN: return (double)s->stream.records_written;
    case C_PUT_ENTRIES_FAILED: return (double)s->put_entries_failed;
    case C_PUT_RESENT: return (double)s->put_resent;
    case C_PRODUCER_DUPLICATES: return (double)s->producer_duplicates;
    case C_DELIVERIES: return (double)m->deliveries;
    case C_REDELIVERED: return (double)m->redelivered;
    case C_REPROCESSED: return (double)m->reprocessed;
    case C_BISECTS: return (double)m->bisects;
    case C_DISCARDS: return (double)m->discards;
    case C_DISCARDED_RECORDS: return (double)m->discarded_records;
    case C_OVERSIZED_INVOCATIONS: return (double)m->refused;
    case C_EXPIRED_RECORDS: return (double)m->expired_records;
    case C_MISSED_RECORDS: return (double)m->missed_records;
    case C_PEAK_CONCURRENCY: return (double)s->peak_concurrency;
    case C_ORDER_VIOLATIONS: return (double)m->order_violations;
    case C_WINDOWS: return (double)m->windows;
    case C_READ_DELAY_MEAN: return m->read_delay_mean_ms;
    case C_READ_DELAY_MAX: return m->read_delay_max_ms;
    case C_READ_THROTTLES: return (double)m->read_throttles;
    case C_RECORDS_INSERT: return (double)s->stream.item_events[LEV_DDB_INSERT];
    case C_RECORDS_MODIFY: return (double)s->stream.item_events[LEV_DDB_MODIFY];
    case C_RECORDS_REMOVE: return (double)s->stream.item_events[LEV_DDB_REMOVE];
    case C_ON_DEMAND_SPLITS: return (double)s->stream.on_demand_splits;
    }
    return 0;
}

double summary_value(const char *metric, const struct sim_summary *s)
{
    const struct metric *mt = NULL;
    for (size_t i = 0; i < N_METRICS && !mt; i++)
        if (strcmp(metrics[i].name, metric) == 0)
            mt = &metrics[i];
    if (!mt)
        return 0;
    double v = 0;
    switch (mt->source) {
    case MESSAGES: return (double)s->messages;
    case FATE: return (double)s->fates[mt->index];
    case INVOCATIONS:
        for (int o = 0; o < OUTCOME_COUNT; o++)
            v += (double)s->mapping.invocations[o];
        return v;
    case OUTCOME: return (double)s->mapping.invocations[mt->index];
    case COUNTER: return counter((enum counter)mt->index, s);
    case AGE_MAX:
        for (size_t i = 0; i < s->mapping.n_shards; i++)
            if (s->mapping.shards[i].age_max_ms > v)
                v = s->mapping.shards[i].age_max_ms;
        return v;
    }
    return 0;
}

