/*
 * observer_held.h - the records and messages the observer holds until it
 * lets them go (observer_held.c): the ring's and the flags' inline readers,
 * the let-go, and the events that feed them.  Only the observer's files
 * include it.
 */
#ifndef ESMSIM_OBSERVER_HELD_H
#define ESMSIM_OBSERVER_HELD_H

#include "observer_int.h"
#include "prefetch.h"   /* COLD */

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

/* What records let go add up to, summed in a local while a shard's are
 * (not a read-modify-write of the figures a record): delivery counts, and
 * messages written once whose record left. */
struct let_go_counts {
    uint64_t redelivered, redeliveries, reprocessed, gone;
};

static inline void obs_let_go_counts_add(struct obs *o, const struct let_go_counts *c)
{
    o->fig.redelivered_records += c->redelivered;
    o->fig.redeliveries += c->redeliveries;
    o->fig.reprocessed_records += c->reprocessed;
    o->msgs_n -= c->gone;
}

COLD void obs_multi_let_go(struct obs *o, uint8_t *flags, uint64_t id, bool may_expire);

/* A record leaves, the head of its shard's ring, delivered n times, in
 * handled of them (saturating at 2), its last invocation settled or not:
 * its delivery counts are final.  f: its message's flags (obs_msg_flags),
 * NULL when let go.  It may have expired when it arrived before
 * expiry_before_ms and its last delivery did not settle it (or none came). */
static inline void obs_rec_gone(struct obs *o, const struct orec *r, uint32_t n,
                                uint8_t handled, bool settled, uint8_t *f,
                                struct let_go_counts *c)
{
    if (n > 1) {   /* handled <= n: a record delivered once adds nothing */
        c->redelivered++;
        c->redeliveries += n - 1;
        c->reprocessed += handled > 1;
    }
    if (!f)
        return;
    const bool may_expire = r->arrival_ms < o->expiry_before_ms && !(n > 0 && settled);
    uint8_t flags = *f;
    if (!(flags & (OM_MULTI | OM_GONE))) {   /* written once: the common case */
        *f = flags | OM_GONE | (may_expire ? OM_GONE_MAY_EXPIRE : 0);
        c->gone++;
    } else if ((flags & (OM_MULTI | OM_DONE)) == OM_MULTI) {
        obs_multi_let_go(o, f, r->message_id, may_expire);
    }
}

/* obs_rec_gone with the counts the record holds. */
static inline void obs_rec_let_go(struct obs *o, const struct orec *r, uint8_t *f,
                                  struct let_go_counts *c)
{
    obs_rec_gone(o, r, r->n, r->handled, r->settled, f, c);
}

void obs_shard_let_go(struct obs *o, struct oshard *sh, bool all);
void obs_written_flush(struct obs *o);
void obs_on_message(void *ctx, const struct slog_message *msg);
void obs_on_record(void *ctx, const struct slog_record *r);
void obs_on_records(void *ctx, const struct slog_record *rows, uint32_t n);
void obs_on_checkpoint(void *ctx, const char *shard_id, int64_t at_us,
                       uint64_t sequence_number, enum ckpt_reason reason);

#endif
