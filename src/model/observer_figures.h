/*
 * observer_figures.h - the observer's other figures (observer_figures.c):
 * the events the tee hands them.  The end of a run (obs_finish) and the
 * spans are observer.h's.  Only the observer's files include it.
 */
#ifndef ESMSIM_OBSERVER_FIGURES_H
#define ESMSIM_OBSERVER_FIGURES_H

#include "observer_int.h"

void obs_on_shard(void *ctx, const struct slog_shard *s);
void obs_on_discard(void *ctx, const struct slog_discard *d);
void obs_on_metric(void *ctx, int64_t at_us, const char *name, const char *shard_id,
                   double value);
void obs_on_read(void *ctx, const struct slog_read *rd);

#endif
