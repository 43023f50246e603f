/*
 * observer_held.h - the records and messages the observer holds until it
 * lets them go (observer_held.c): the ring's and the flags' inline readers,
 * the let-go, and the events that feed them.  Only the observer's files
 * include it.
 */
#ifndef ESMSIM_OBSERVER_HELD_H
#define ESMSIM_OBSERVER_HELD_H

#include "observer_int.h"

/* Message id's flags, or NULL when out of the ring (let go, or no record
 * of it came). */
static inline uint8_t *obs_msg_flags(struct obs *o, uint64_t id)
{
    return id >= o->msgs_base && id < o->msgs_end ? &o->msgs_ring[id & o->msgs_mask] : NULL;
}

static inline struct orec *obs_rec_at(struct oshard *sh, size_t i)
{
    return &sh->ring[(sh->head + i) & sh->mask];
}

void obs_shard_let_go(struct obs *o, struct oshard *sh, bool all);
void obs_written_flush(struct obs *o);
void obs_on_message(void *ctx, const struct slog_message *msg);
void obs_on_record(void *ctx, const struct slog_record *r);
void obs_on_records(void *ctx, const struct slog_record *rows, uint32_t n);
void obs_on_checkpoint(void *ctx, const char *shard_id, int64_t at_us,
                       uint64_t sequence_number, enum ckpt_reason reason);

#endif
