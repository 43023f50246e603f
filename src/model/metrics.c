/*
 * metrics.c - a shard's IteratorAge (R14), see metrics.h: a histogram of
 * every invocation's age in ms and the largest since the last sample.
 */
#include <stdlib.h>

#include "engine.h"
#include "hist.h"
#include "metrics.h"
#include "simlog.h"

struct mtr_shard {
    const char *shard_id;
    struct hist *age;              /* IteratorAge in ms; NULL once retired */
    struct mtr_shard_stats final;  /* once retired: its figures */
    uint64_t invocations;
    double interval_age_max_ms;    /* max IteratorAge since the last sample, or -1 */
};

struct mtr_shard *mtr_shard_create(const char *shard_id)
{
    struct mtr_shard *ms = calloc(1, sizeof *ms);
    if (!ms)
        return NULL;
    ms->shard_id = shard_id;
    ms->interval_age_max_ms = -1;
    if (!(ms->age = hist_create())) {
        free(ms);
        return NULL;
    }
    return ms;
}

void mtr_shard_destroy(struct mtr_shard *ms)
{
    if (!ms)
        return;
    hist_destroy(ms->age);
    free(ms);
}

void mtr_invocation(struct mtr_shard *ms, int64_t age_us)
{
    if (age_us >= 0) {
        double age_ms = (double)age_us / ENG_US_PER_MS;
        hist_add(ms->age, age_ms);
        if (age_ms > ms->interval_age_max_ms)
            ms->interval_age_max_ms = age_ms;
    }
    ms->invocations++;
}

void mtr_stats(const struct mtr_shard *ms, struct mtr_shard_stats *out)
{
    if (!ms->age) {
        *out = ms->final;
        return;
    }
    *out = (struct mtr_shard_stats){
        .shard_id = ms->shard_id,
        .invocations = ms->invocations,
        .age_p50_ms = hist_quantile(ms->age, 0.50),
        .age_p99_ms = hist_quantile(ms->age, 0.99),
        .age_max_ms = hist_max(ms->age),
    };
}

void mtr_retire(struct mtr_shard *ms)
{
    mtr_stats(ms, &ms->final);
    hist_destroy(ms->age);
    ms->age = NULL;
}

void mtr_sample(struct mtr_shard *ms, const struct slog *log, int64_t now_us, double oldest_ms,
                bool ended)
{
    if (ended && ms->interval_age_max_ms < 0)
        return;                  /* R12: a finished parent has nothing more to say */
    log->ops->metric(log->ctx, now_us, "oldest_unprocessed_age_ms", ms->shard_id, oldest_ms);
    if (ms->interval_age_max_ms >= 0)
        log->ops->metric(log->ctx, now_us, "iterator_age_ms", ms->shard_id,
                         ms->interval_age_max_ms);
    ms->interval_age_max_ms = -1;
}
