/*
 * observer_held.h - the records and messages the observer holds until it
 * lets them go (observer_held.c): the ring's and the flags' inline readers,
 * the let-go, and what the events that feed them call.  Only the
 * observer's files include it.
 */
#ifndef ESMSIM_OBSERVER_HELD_H
#define ESMSIM_OBSERVER_HELD_H

#include "observer_int.h"
#include "prefetch.h"   /* COLD */

/* The message ring's bounds, read once where records are let go, which
 * moves neither (issue 15: a flag's store may alias the observer's fields,
 * which were read again for each record). */
struct msgs_view {
    uint8_t *ring;
    uint64_t base, span, mask;
};

static inline struct msgs_view obs_msgs_view(const struct obs *o)
{
    return (struct msgs_view){ .ring = o->msgs_ring, .base = o->msgs_base,
                               .span = o->msgs_end - o->msgs_base, .mask = o->msgs_mask };
}

/* Message id's flags, or NULL when out of the ring (let go, or no record
 * of it came). */
static inline uint8_t *obs_msg_flags(const struct msgs_view *v, uint64_t id)
{
    return id - v->base < v->span ? &v->ring[id & v->mask] : NULL;
}

static inline struct orec *obs_rec_at(struct oshard *sh, size_t i)
{
    return &sh->ring[(sh->head + i) & sh->mask];
}

/* A shard's held records are walked by address in pieces, each as far as
 * the ring goes without wrapping (issue 15: a slot's pointer tested for the
 * wrap at each step, and another for the slot whose key is asked for ahead,
 * took 16 instructions a record with the prefetch).  Of the slots from
 * ordinal x to end, how many follow ring[x & mask] by address. */
static inline uint64_t obs_piece(uint64_t x, uint64_t end, uint64_t mask)
{
    uint64_t n = mask + 1 - (x & mask);
    return n < end - x ? n : end - x;
}

/* The first ordinal of sh's held records [x, end) (x < end) that the
 * checkpoint has not passed, or end: the sequence numbers grow with the
 * ordinals.  Mostly it passed them all (issue 15: a test a record let go,
 * 3 instructions). */
static inline uint64_t obs_rec_passed(const struct oshard *sh, uint64_t x, uint64_t end,
                                      uint64_t checkpoint)
{
    if (sh->ring[(end - 1) & sh->mask].seq <= checkpoint)
        return end;
    while (x < end) {
        uint64_t mid = x + (end - x) / 2;
        if (sh->ring[mid & sh->mask].seq <= checkpoint)
            x = mid + 1;
        else
            end = mid;
    }
    return x;
}

COLD void obs_multi_let_go(struct obs *o, uint8_t *flags, uint64_t id, bool may_expire);

/* obs_rec_gone's part in its message's flags *f, which the caller read as
 * flags (and may have added to: they are stored whatever the case). */
static inline void obs_rec_flags_gone(struct obs *o, const struct orec *r, int64_t expiry,
                                      uint8_t *f, uint8_t flags)
{
    const bool may_expire = r->arrival_ms < expiry;
    if (!(flags & (OM_MULTI | OM_GONE))) {   /* written once: the common case */
        *f = flags | OM_GONE | (may_expire ? OM_GONE_MAY_EXPIRE : 0);
        return;
    }
    *f = flags;
    if ((flags & (OM_MULTI | OM_DONE)) == OM_MULTI)
        obs_multi_let_go(o, f, r->message_id, may_expire);
}

/* A record leaves, the head of its shard's ring, delivered n times, in
 * handled of them (saturating at 2): its delivery counts are final.  f: its
 * message's flags (obs_msg_flags), NULL when let go.  It may have expired
 * when it arrived before expiry: expiry_before_ms unless its last delivery
 * settled it, then INT64_MIN (obs_rec_expiry; a batch's records share it). */
static inline void obs_rec_gone(struct obs *o, const struct orec *r, uint32_t n,
                                uint8_t handled, int64_t expiry, uint8_t *f)
{
    /* handled <= n: a record delivered once adds nothing.  Into the figures
     * (issue 15: summed in locals, the counts took registers every let-go
     * loop then spilled, for the few records delivered twice) */
    if (n > 1) {
        o->fig.redelivered_records++;
        o->fig.redeliveries += n - 1;
        o->fig.reprocessed_records += handled > 1;
    }
    if (f)
        obs_rec_flags_gone(o, r, expiry, f, *f);
}

/* obs_rec_gone's expiry for a record delivered n times, its last delivery
 * settling it or not. */
static inline int64_t obs_rec_expiry(const struct obs *o, uint32_t n, bool settled)
{
    return n > 0 && settled ? INT64_MIN : o->expiry_before_ms;
}

/* obs_rec_gone with the counts the record holds. */
static inline void obs_rec_let_go(struct obs *o, const struct orec *r, uint8_t *f)
{
    obs_rec_gone(o, r, r->n, r->handled, obs_rec_expiry(o, r->n, r->settled), f);
}

/* Whether message id is in the ring (its flags where obs_msg_flags finds
 * them); a fate for one that is not may move the ring's base. */
static inline bool obs_msg_in_ring(const struct obs *o, uint64_t id)
{
    return id - o->msgs_base < o->msgs_end - o->msgs_base;
}

void obs_shard_let_go(struct obs *o, struct oshard *sh, bool all);
void obs_written_flush(struct obs *o);

/* The events these tables take, next told apart (the tee: observer_tee.c,
 * which first flushes a released run's rest where it must, obs_rest_flush):
 * a message's fate (next told here), a record, a run of them. */
void obs_on_message(void *ctx, const struct slog_message *msg);
void obs_see_record(struct obs *o, const struct slog_record *r);
void obs_see_records(struct obs *o, const struct slog_run *run, const struct slog_row *rows,
                     uint32_t n);

#endif
