/*
 * metrics.h - a shard's IteratorAge as the mapping measures it (R14): the
 * age of each invocation, kept for the summary's percentiles, and the
 * samples the run log's metrics table gets every model.sample_interval
 * (oldest_unprocessed_age_ms and iterator_age_ms, per shard).
 */
#ifndef ESMSIM_METRICS_H
#define ESMSIM_METRICS_H

#include <stdbool.h>
#include <stdint.h>

struct slog;
struct mtr_shard;

/* A shard's figures for the summary (esm_stats, mapping.h). */
struct mtr_shard_stats {
    const char *shard_id;
    uint64_t invocations;
    double age_p50_ms, age_p99_ms, age_max_ms;   /* IteratorAge (R14) */
};

/* The figures of shard shard_id (borrowed); NULL when out of memory. */
struct mtr_shard *mtr_shard_create(const char *shard_id);
void mtr_shard_destroy(struct mtr_shard *ms);

/* An invocation of the shard ended; age_us is its IteratorAge (completion
 * minus the arrival of its last record), -1 when it had no records (a final
 * window invocation). */
void mtr_invocation(struct mtr_shard *ms, int64_t age_us);

/* The shard finished (R12): its figures are final; the histogram is freed,
 * so that memory follows the shards open. */
void mtr_retire(struct mtr_shard *ms);

/* Its figures for the summary. */
void mtr_stats(const struct mtr_shard *ms, struct mtr_shard_stats *out);

/* The sample at now_us: oldest_ms is the age of its oldest unprocessed
 * record (0: none), iterator_age_ms the largest IteratorAge since the last
 * sample, if any.  A finished shard with nothing since says nothing. */
void mtr_sample(struct mtr_shard *ms, const struct slog *log, int64_t now_us, double oldest_ms,
                bool ended);

#endif
