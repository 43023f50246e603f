/*
 * observer_deliveries.h - invocations, the reorder buffer and deliveries
 * (observer_deliveries.c): what the end of a run and the tee call.  Only the
 * observer's files include it.
 */
#ifndef ESMSIM_OBSERVER_DELIVERIES_H
#define ESMSIM_OBSERVER_DELIVERIES_H

#include "observer_int.h"

void obs_inv_release(struct obs *o, bool all);
void obs_rest_flush(struct obs *o);
void obs_rest_checkpoint(struct obs *o, struct oshard *sh);
void obs_name_examples(struct obs *o);
void obs_on_invocation(void *ctx, const struct slog_invocation *inv);
void obs_on_deliveries(void *ctx, uint64_t invocation_id, const char *shard_id,
                       const uint64_t *sequence_numbers, uint32_t n, bool handled);
void obs_on_delivery_run(void *ctx, uint64_t invocation_id, const char *shard_id,
                         uint64_t first, uint64_t last, uint32_t n);
void obs_on_checkpoint(void *ctx, const char *shard_id, int64_t at_us,
                       uint64_t sequence_number, enum ckpt_reason reason);

#endif
