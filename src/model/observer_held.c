/*
 * observer_held.c - what the observer holds until it lets it go (R17, SPEC
 * 1.3): a shard's records from their write until its checkpoint passes them
 * and none of their deliveries waits (then their delivery counts are final:
 * redelivered, handled twice), and the messages, a byte of flags each until
 * their fate came, one written twice or more apart until its part of the
 * retention bounds is known.  What feeds them: records and message fates
 * (the tee takes their events, observer_tee.c), the let-go of a checkpoint
 * (observer_deliveries.c takes it: a released run's rest goes with it).
 */
#include "observer_held.h"

#include <stdlib.h>
#include <string.h>

#include "observer_inthash.h"
#include "observer_index.h"
#include "prefetch.h"

/* ---- messages ---------------------------------------------------------------------- */

/* The ring's base moves past messages whose fate came and which are let
 * go, or had no record (rejected: none will come), their bytes zeroed for
 * the ids a lap on.  Eight at a time where all eight are the common case,
 * written once, let go and fated (issue 15: a byte at a time was 19
 * instructions a message). */
static void msg_advance(struct obs *o)
{
    const uint64_t ones = 0x0101010101010101ULL;
    const uint64_t need = (OM_FATE | OM_GONE) * ones, multi = OM_MULTI * ones;
    while (o->msgs_base < o->msgs_end) {
        uint64_t at = o->msgs_base & o->msgs_mask;
        if (o->msgs_end - o->msgs_base >= 8 && at + 8 <= o->msgs_mask + 1) {
            uint64_t w;
            memcpy(&w, &o->msgs_ring[at], sizeof w);
            if ((w & (need | multi)) == need) {
                memset(&o->msgs_ring[at], 0, 8);
                o->msgs_base += 8;
                continue;
            }
        }
        uint8_t f = o->msgs_ring[at];
        if (!(f & OM_FATE) || ((f & OM_SEEN) && !(f & (f & OM_MULTI ? OM_DONE : OM_GONE))))
            break;
        o->msgs_ring[at] = 0;
        o->msgs_base++;
    }
}

/* Ids [from, to) of ring old (mask old_mask) into ring to (mask
 * new_mask, the larger), each at its id: at most two pieces a side, by
 * memcpy (issue 15: byte by byte, 19 M instructions in 5 minutes, the
 * ring of 339,120 ids copied at each doubling). */
static void ring_copy(uint8_t *to, uint64_t new_mask, const uint8_t *old, uint64_t old_mask,
                      uint64_t from, uint64_t end)
{
    while (from < end) {
        uint64_t a = from & old_mask, b = from & new_mask, n = end - from;
        if (n > old_mask + 1 - a)
            n = old_mask + 1 - a;
        if (n > new_mask + 1 - b)
            n = new_mask + 1 - b;
        memcpy(to + b, old + a, n);
        from += n;
    }
}

/* msg_add's every case but the two common ones. */
static COLD uint8_t *msg_add_slow(struct obs *o, uint64_t id)
{
    if (id < o->msgs_base)
        return NULL;
    if (!o->msgs_ring || (id >= o->msgs_end && id - o->msgs_base > o->msgs_mask)) {
        msg_advance(o);
        uint64_t cap = o->msgs_ring ? o->msgs_mask + 1 : 4096;
        while (id - o->msgs_base >= cap)
            cap *= 2;
        if (!o->msgs_ring || cap > o->msgs_mask + 1) {
            uint8_t *ring = calloc(cap, 1);
            if (!ring)
                return NULL;
            if (o->msgs_ring)
                ring_copy(ring, cap - 1, o->msgs_ring, o->msgs_mask, o->msgs_base, o->msgs_end);
            free(o->msgs_ring);
            o->msgs_ring = ring;
            o->msgs_mask = cap - 1;
        }
    }
    if (id >= o->msgs_end)   /* the ids up to it are 0 already (struct obs) */
        o->msgs_end = id + 1;
    return &o->msgs_ring[id & o->msgs_mask];
}

/* Message id's flags, the ring grown to reach it (fresh ids: 0); NULL when
 * out of memory or already let go.  Inline: an id in the ring (a fate), or
 * a new one with room for it (a record of a new message). */
static inline uint8_t *msg_add(struct obs *o, uint64_t id)
{
    if (id - o->msgs_base < o->msgs_end - o->msgs_base)   /* in [base, end) */
        return &o->msgs_ring[id & o->msgs_mask];
    if (id >= o->msgs_end && o->msgs_ring && id - o->msgs_base <= o->msgs_mask) {
        o->msgs_end = id + 1;   /* the ids up to it are 0 already (struct obs) */
        return &o->msgs_ring[id & o->msgs_mask];
    }
    return msg_add_slow(o, id);
}

static size_t multi_slot(const struct obs *o, uint64_t id)
{
    return (size_t)(int_hash(id) & (o->multi_cap - 1));
}

/* The entry of a message written more than once (its flags say so). */
static struct omulti *multi_find(struct obs *o, uint64_t id)
{
    size_t s = multi_slot(o, id);
    while (o->multi[s].id != id)
        s = (s + 1) & (o->multi_cap - 1);
    return &o->multi[s];
}

static struct omulti *multi_add(struct obs *o, uint64_t id)
{
    if (2 * (o->n_multi + 1) > o->multi_cap) {
        size_t cap = o->multi_cap ? 2 * o->multi_cap : 64;
        struct omulti *grown = calloc(cap, sizeof *grown), *old = o->multi;
        if (!grown)
            return NULL;
        size_t old_cap = o->multi_cap;
        o->multi = grown;
        o->multi_cap = cap;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].id) {
                size_t s = multi_slot(o, old[i].id);
                while (grown[s].id)
                    s = (s + 1) & (cap - 1);
                grown[s] = old[i];
            }
        free(old);
    }
    size_t s = multi_slot(o, id);
    while (o->multi[s].id)
        s = (s + 1) & (o->multi_cap - 1);
    o->n_multi++;
    o->multi[s] = (struct omulti){ .id = id };
    return &o->multi[s];
}

/* Remove e, shifting back the entries of its probe run behind it. */
static void multi_remove(struct obs *o, struct omulti *e)
{
    size_t mask = o->multi_cap - 1, hole = (size_t)(e - o->multi);
    for (size_t s = (hole + 1) & mask; o->multi[s].id; s = (s + 1) & mask) {
        size_t home = multi_slot(o, o->multi[s].id);
        if (((s - home) & mask) >= ((s - hole) & mask)) {   /* its home is not after the hole */
            o->multi[hole] = o->multi[s];
            hole = s;
        }
    }
    o->multi[hole].id = 0;
    o->n_multi--;
}

/*
 * The part of a message written several times in the retention bounds,
 * once its fate is final and its records are let go: it may have lost to
 * retention as many of its records as may have expired (arrived before
 * expiry_before_ms and not settled), never all of them unless its fate is
 * expired (then one is counted already).
 */
static void msg_settle(struct obs *o, uint8_t *flags, struct omulti *m)
{
    if (!m->has_fate || m->let_go < m->n)
        return;
    if (m->fate == FATE_EXPIRED)
        o->fig.expired_records_max += m->may_expire > 1 ? m->may_expire - 1 : 0;
    else if (m->fate <= FATE_DISCARDED)   /* processed, pending, lost, discarded */
        o->fig.expired_records_max += m->may_expire < m->n - 1 ? m->may_expire : m->n - 1;
    multi_remove(o, m);
    *flags |= OM_DONE;
}

/* ---- records ---------------------------------------------------------------------- */

/* Double sh's ring, each held record keeping its ordinal; -1 when out of
 * memory.  Rare: see_common leaves a full ring to see_record. */
static COLD int rec_grow(struct oshard *sh)
{
    size_t cap = sh->ring ? 2 * (sh->mask + 1) : 64;
    struct orec *ring = malloc(cap * sizeof *ring);
    if (!ring)
        return -1;
    for (size_t i = 0; i < sh->n; i++)
        ring[(sh->head + i) & (cap - 1)] = *obs_rec_at(sh, i);
    free(sh->ring);
    sh->ring = ring;
    sh->mask = cap - 1;
    sh->tail = &ring[(sh->head + sh->n) & sh->mask];
    sh->last = &ring[sh->mask];
    return 0;
}

/* Record seq, its row r, at the end of sh's ring, which has room for it,
 * arrived at arrival_ms. */
static inline void rec_write(struct oshard *sh, const struct slog_row *r, uint64_t seq,
                             int64_t arrival_ms)
{
    struct orec *rec = sh->tail, *next = rec == sh->last ? sh->ring : rec + 1;
    sh->tail = next;
    sh->n++;
    /* The shard's next slot, written a shard-count of records later: its
     * lines come in meanwhile (the ring is far larger than the cache).  Its
     * last byte's line is enough: its first byte is on that line or on this
     * slot's last line, written now (but at the ring's wrap, once a lap). */
    PREFETCH_W((const char *)(next + 1) - 1);
    rec->seq = seq;
    rec->message_id = r->message_id;
    rec->arrival_ms = arrival_ms;
    rec->created_us = r->created_us;
    rec->key = r->key_id;
    rec->n = 0;
    rec->starts = 0;
    rec->handled = 0;
    rec->settled = false;
}

/* A record of message id, written twice or more and not settled, leaves.
 * Apart from obs_rec_let_go's callers' loops: rare, and inline it took
 * registers the common path then spilled. */
COLD void obs_multi_let_go(struct obs *o, uint8_t *flags, uint64_t id, bool may_expire)
{
    struct omulti *m = multi_find(o, id);
    m->let_go++;
    m->may_expire += may_expire;
    msg_settle(o, flags, m);
}

/* Let go of the records the checkpoint passed, in order, up to the first
 * that a delivery waits for (a run of deliveries starts at it: it holds
 * the records after it too); all of them at the end of the run.  The
 * shard's fields in locals: the stores a record may alias them; the ring
 * walked in pieces (obs_piece). */
void obs_shard_let_go(struct obs *o, struct oshard *sh, bool all)
{
    if ((!all && !sh->has_checkpoint) || !sh->n)
        return;
    /* all: bounds no record passes, not a test a record */
    const uint64_t checkpoint = all ? UINT64_MAX : sh->checkpoint;
    const uint16_t waiting = all ? UINT16_MAX : 0;   /* runs starting at a record */
    const struct orec *const ring = sh->ring;
    const uint64_t mask = sh->mask, head = sh->head;
    const struct orec *const first = &ring[head & mask];
    if (first->seq > checkpoint || first->starts > waiting)
        return;   /* mostly, a let-go after the release's (run_let_go) */
    const uint64_t end = obs_rec_passed(sh, head, head + sh->n, checkpoint);
    const struct msgs_view msgs = obs_msgs_view(o);
    uint64_t x = head;
    while (x < end) {
        const uint64_t n = obs_piece(x, end, mask);
        const struct orec *const r = &ring[x & mask];
        uint64_t i = 0;
        for (; i < n && r[i].starts <= waiting; i++)
            obs_rec_let_go(o, &r[i], obs_msg_flags(&msgs, r[i].message_id));
        x += i;
        if (i < n)
            break;
    }
    sh->head = x;
    sh->n -= (size_t)(x - head);
}

/* The records written at written.ms not yet counted in the throughput
 * chart: a PutRecords call's records arrive in the same millisecond. */
void obs_written_flush(struct obs *o)
{
    if (o->written.n &&
        points_add(&o->points, OBS_CHART_THROUGHPUT, PS_WRITTEN, o->written.ms, 1, o->written.n) < 0)
        o->oom = true;
    o->written.n = 0;
}

/* ---- the events ----------------------------------------------------------------- */

/* The flags of message id, whose fate came, when it is not in the ring
 * (no record of it came: rejected); NULL when out of memory, or never: let
 * go (the base passes only ids whose fate came).  The tee flushed a rest
 * first (obs_rest_flush): the ring's base may move past messages it lets
 * go. */
static COLD uint8_t *fate_flags_slow(struct obs *o, uint64_t id)
{
    if (id < o->msgs_base)
        return NULL;
    uint8_t *f = msg_add(o, id);
    if (!f)
        o->oom = true;
    return f;
}

/* The fate of message id, written twice or more and not settled. */
static COLD void multi_fate(struct obs *o, uint8_t *f, uint64_t id, enum fate fate)
{
    struct omulti *m = multi_find(o, id);
    m->has_fate = true;
    m->fate = (uint8_t)fate;
    msg_settle(o, f, m);
}

/* A fate's mark on the flags *f of message id: the multi's part apart. */
static inline void fate_mark(struct obs *o, uint8_t *f, uint64_t id, enum fate fate)
{
    const uint8_t flags = *f | OM_FATE;
    *f = flags;
    if ((flags & (OM_MULTI | OM_DONE)) == OM_MULTI)
        multi_fate(o, f, id, fate);
}

/* obs_on_message's every case but the common one: next told, a fate out
 * of range, a message out of the ring. */
static __attribute__((noinline)) void message_rest(struct obs *o, const struct slog_message *msg)
{
    if (o->next.per_record)
        o->next.ops->message(o->next.ctx, msg);
    if ((unsigned)msg->fate >= FATE_COUNT)
        return;
    o->fig.messages[msg->fate]++;   /* expired_messages: obs_finish */
    const uint64_t id = msg->message_id;
    uint8_t *f;
    if (id - o->msgs_base < o->msgs_end - o->msgs_base)   /* in [base, end) */
        f = &o->msgs_ring[id & o->msgs_mask];
    else if (!(f = fate_flags_slow(o, id)))
        return;
    fate_mark(o, f, id, msg->fate);
}

/* A message's fate: mostly of one whose record came (in the ring, written
 * once), a count and a flag, with no register saved (issue 15: a call a
 * message, its frame 9 of its 33 instructions); the rest apart, called
 * last. */
void obs_on_message(void *ctx, const struct slog_message *msg)
{
    struct obs *o = ctx;
    const uint64_t id = msg->message_id;
    if (o->next.per_record || (unsigned)msg->fate >= FATE_COUNT ||
        id - o->msgs_base >= o->msgs_end - o->msgs_base) {
        message_rest(o, msg);
        return;
    }
    o->fig.messages[msg->fate]++;
    fate_mark(o, &o->msgs_ring[id & o->msgs_mask], id, msg->fate);
}

/* Another record of message id, whose flags are *f: a producer duplicate
 * (SPEC 1.3).  Apart from see_record: rare, and inline it took registers
 * the common path then spilled.  -1 when out of memory. */
static COLD int duplicate_record(struct obs *o, uint8_t *f, uint64_t id)
{
    if (!(*f & OM_MULTI)) {   /* its second record */
        struct omulti *m = multi_add(o, id);
        if (!m)
            return -1;
        m->n = 2;
        m->let_go = (*f & OM_GONE) != 0;
        m->may_expire = (*f & OM_GONE_MAY_EXPIRE) != 0;
        *f |= OM_MULTI;
        o->fig.producer_duplicates++;
        o->fig.producer_duplicate_records++;
    } else if (!(*f & OM_DONE)) {
        multi_find(o, id)->n++;
        o->fig.producer_duplicate_records++;
    }
    return 0;
}

/* A record's message id, in the ring or not (see_record has the next
 * new one): marked seen, or a producer duplicate; -1 when out of memory. */
static inline int see_message(struct obs *o, uint64_t id)
{
    uint8_t *f = msg_add(o, id);
    if (!f)
        return -1;
    if (*f & OM_SEEN)
        return duplicate_record(o, f, id);
    *f = OM_SEEN;
    return 0;
}

/* What a record tells the observer (next is told apart): each case, the
 * rare ones see_common leaves to it among them. */
static __attribute__((noinline)) void see_record(struct obs *o, const struct slog_record *r)
{
    struct oshard *sh = obs_shard_cached(o, r->shard_id);
    if (!sh)
        return;
    if (r->key_id >= o->keys_n && obs_key_reserve(o, r->key_id) < 0) {
        o->oom = true;
        return;
    }
    if (see_message(o, r->message_id) < 0) {
        o->oom = true;
        return;
    }
    if (r->arrival_us != o->written.us) {   /* a PutRecords call's records share it */
        int64_t arrival_ms = obs_ms(r->arrival_us);
        if (arrival_ms != o->written.ms) {
            obs_written_flush(o);
            o->written.ms = arrival_ms;
        }
        o->written.us = r->arrival_us;
    }
    o->written.n++;
    if (sh->n == sh->mask + 1 && rec_grow(sh) < 0) {   /* full; no ring: mask + 1 == 0 */
        o->oom = true;
        return;
    }
    const struct slog_row row = {
        .shard_id = r->shard_id, .message_id = r->message_id, .created_us = r->created_us,
        .key_id = r->key_id, .bytes = r->bytes,
    };
    rec_write(sh, &row, r->sequence_number, o->written.ms);
}

/*
 * see_record's common case, rows[i] on, up to the first record that is not
 * (its index; see_record takes it): its shard in the cache, its key known
 * or the next one with room, its message new (the next id, a later one with room, or an earlier one
 * no record of which came yet), room in its shard's ring; the run's arrival
 * in the millisecond of the records before it.  The message ring's and the
 * written count's fields in locals (issue 15: a flag's store may alias
 * them, and they were read again for each record, 75 instructions a record
 * in see_record).
 */
static inline uint32_t see_common(struct obs *o, const struct slog_run *run,
                                  const struct slog_row *rows, uint32_t i, uint32_t n)
{
    uint8_t *const msgs = o->msgs_ring;
    if (!msgs || (run->arrival_us != o->written.us && obs_ms(run->arrival_us) != o->written.ms))
        return i;
    const uint64_t base = o->msgs_base, mask = o->msgs_mask;
    uint64_t end = o->msgs_end;
    struct okey *const keys = o->keys;
    size_t keys_n = o->keys_n;
    const int64_t ms = o->written.ms;
    const uint64_t first = run->first_sequence_number;
    const uint32_t from = i;
    for (; i < n; i++) {
        const struct slog_row *r = &rows[i];
        const size_t at = obs_shard_home(r->shard_id) & (OBS_SHARD_CACHE - 1);
        if (o->shard_cache[at].str != r->shard_id)
            break;
        struct oshard *sh = o->shard_cache[at].sh;
        if (sh->n == sh->mask + 1)
            break;
        /* its key first: one initialised here for a record see_record then
         * takes is one it would have initialised */
        if (r->key_id >= keys_n) {   /* keys come in id order: mostly the next one, in room */
            if (r->key_id != keys_n || keys_n == o->keys_cap)
                break;
            keys[keys_n++] = OKEY_NONE;
        }
        /* mostly a new id: its test first (issue 15: 4 instructions a record,
         * obs_see_records 250 -> 230 M in 5 minutes of the bench) */
        const uint64_t id = r->message_id;
        if (id >= end) {
            if (id - base > mask)   /* no room */
                break;
            end = id + 1;   /* the ids up to it are 0 already (struct obs) */
        } else if (id < base || (msgs[id & mask] & OM_SEEN)) {   /* let go, or seen */
            break;
        }
        msgs[id & mask] = OM_SEEN;
        rec_write(sh, r, first + i, ms);
    }
    o->msgs_end = end;
    o->keys_n = keys_n;
    if (i > from)
        o->written.us = run->arrival_us;
    o->written.n += i - from;
    return i;
}

void obs_see_record(struct obs *o, const struct slog_record *r)
{
    see_record(o, r);
}

void obs_see_records(struct obs *o, const struct slog_run *run, const struct slog_row *rows,
                     uint32_t n)
{
    for (uint32_t i = 0; i < n;) {
        i = see_common(o, run, rows, i, n);
        if (i < n) {
            const struct slog_record r = slog_record_of(run, &rows[i], i);
            see_record(o, &r);
            i++;
        }
    }
}
