/*
 * observer_deliveries.c - invocations and their deliveries, in invocation
 * order: an invocation's deliveries wait in a reorder buffer until every
 * invocation with a smaller id has ended, then count on their records
 * (redeliveries, R17) and judge per-key order on first deliveries, by
 * sequence (R10, R12) and by producer order (SPEC 1.3), with examples.  An
 * invocation's own figures too: outcomes, oversized payloads (R2),
 * IteratorAge (R14), the throughput chart's deliveries.  And checkpoints,
 * which let held records go (observer_held.c) with a released run's rest,
 * then release what waited with it.
 */
#define _DEFAULT_SOURCE   /* strdup */
#include "observer_deliveries.h"

#include <stdlib.h>
#include <string.h>

#include "keytab.h"
#include "observer_held.h"
#include "observer_index.h"
#include "prefetch.h"

#define OBS_PAYLOAD_MAX 6291456   /* R2: an event over this is refused */

#define OBS_PREFETCH_AHEAD 16     /* records ahead whose key state is fetched early */

/* ---- deliveries, in invocation order ------------------------------------------------ */

/* Keep the example, the first OBS_EXAMPLES of a kind (0: by sequence, 1:
 * by producer), and its key's id: obs_finish names it. */
static void example(struct obs *o, int kind, uint32_t key, const struct obs_side *late,
                    const struct obs_side *after)
{
    struct obs_figures *f = &o->fig;
    size_t *n = kind ? &f->n_producer_examples : &f->n_sequence_examples;
    if (*n == OBS_EXAMPLES)
        return;
    o->example_keys[kind][*n] = key;
    (kind ? f->producer_examples : f->sequence_examples)[(*n)++] =
        (struct obs_example){ .late = *late, .after = *after };
}

/* The examples' keys by name, copied (the examples outlive the key table). */
void obs_name_examples(struct obs *o)
{
    struct obs_figures *f = &o->fig;
    for (int kind = 0; kind < 2; kind++) {
        size_t n = kind ? f->n_producer_examples : f->n_sequence_examples;
        struct obs_example *list = kind ? f->producer_examples : f->sequence_examples;
        for (size_t i = 0; i < n; i++) {
            uint32_t key = o->example_keys[kind][i];
            const char *name = o->key_table && key < keytab_count(o->key_table)
                                   ? keytab_key(o->key_table, key) : "";
            if (!(list[i].partition_key = strdup(name)))
                o->oom = true;
        }
    }
}

/* Producer order: creation, to the millisecond as the run log stores it,
 * then message id: > 0 when a comes after b, < 0 before, 0 the same.  Two
 * creations a millisecond apart or more are in the order of their
 * milliseconds: only closer ones need them (struct orec's created_us),
 * apart (inline, the ids took registers the common path then spilled). */
static COLD int prod_order_near(int64_t a_us, uint64_t a_id, int64_t b_us, uint64_t b_id)
{
    const int64_t a_ms = obs_ms(a_us), b_ms = obs_ms(b_us);
    if (a_ms != b_ms)
        return a_ms > b_ms ? 1 : -1;
    return a_id > b_id ? 1 : a_id < b_id ? -1 : 0;
}

static inline int prod_order(int64_t a_us, uint64_t a_id, int64_t b_us, uint64_t b_id)
{
    if (a_us >= b_us + 1000)
        return 1;
    if (b_us >= a_us + 1000)
        return -1;
    return prod_order_near(a_us, a_id, b_us, b_id);
}

/* An ordering violation by sequence (R10, R12), and by producer order
 * (SPEC 1.3): counted, kept as an example.  first: the late record's first
 * delivery (okey_first), its invocation's. */
static COLD void late_by_sequence(struct obs *o, const struct okey *k, const struct orec *r,
                                  int64_t first)
{
    o->fig.order_by_sequence++;
    struct obs_side late = { .sequence_number = r->seq, .time_ms = r->arrival_ms,
                             .has_first = okey_has_first(first),
                             .first_delivered_ms = okey_first_ms(first) };
    struct obs_side after = { .sequence_number = k->seq_sequence, .time_ms = k->seq_time_ms,
                              .has_first = okey_has_first(k->seq_first),
                              .first_delivered_ms = okey_first_ms(k->seq_first) };
    example(o, 0, r->key, &late, &after);
}

static COLD void late_by_producer(struct obs *o, const struct okey *k, const struct orec *r,
                                  int64_t first)
{
    o->fig.order_by_producer++;
    struct obs_side late = { .message_id = r->message_id, .sequence_number = r->seq,
                             .time_ms = obs_ms(r->created_us), .has_first = okey_has_first(first),
                             .first_delivered_ms = okey_first_ms(first) };
    struct obs_side after = { .message_id = k->prod_message, .sequence_number = k->prod_sequence,
                              .time_ms = obs_ms(k->prod_time_us),
                              .has_first = okey_has_first(k->prod_first),
                              .first_delivered_ms = okey_first_ms(k->prod_first) };
    example(o, 1, r->key, &late, &after);
}

/*
 * A record's first delivery, in the order of (first invocation, sequence
 * number): late by sequence when a record of its key with a higher sequence
 * number came first (R10, R12); late by producer order when a message of its
 * key created later came first (SPEC 1.3), counting only the first record of
 * a message delivered (a producer duplicate's other records are not late):
 * by_producer's flags are its message's before this delivery.  first: its
 * invocation's (okey_first; in a register: the key's stores may alias the
 * slot).  The violations go apart (late_by_*): rare, and inline they took
 * registers the common path then spilled.
 */
static inline void by_sequence(struct obs *o, struct okey *k, const struct orec *r, int64_t first)
{
    if (k->seq_sequence > r->seq) {
        late_by_sequence(o, k, r, first);
    } else {
        k->seq_sequence = r->seq;
        k->seq_time_ms = r->arrival_ms;
        k->seq_first = first;
    }
}

static inline void by_producer(struct obs *o, struct okey *k, const struct orec *r,
                               uint8_t flags, int64_t first)
{
    const int order = prod_order(r->created_us, r->message_id, k->prod_time_us, k->prod_message);
    if (order < 0) {
        if (!(flags & OM_FIRST))
            late_by_producer(o, k, r, first);
    } else if (order > 0) {
        k->prod_message = r->message_id;
        k->prod_sequence = r->seq;
        k->prod_time_us = r->created_us;
        k->prod_first = first;
    }
}

/* Both, and the message marked delivered; f: its flags (obs_msg_flags). */
static inline void first_delivery(struct obs *o, const struct orec *r, uint8_t *f, int64_t first)
{
    struct okey *k = &o->keys[r->key];
    by_sequence(o, k, r, first);
    if (!f)
        return;
    const uint8_t flags = *f;
    *f = flags | OM_FIRST;
    by_producer(o, k, r, flags, first);
}

static struct oinv *inv_at(struct obs *o, uint64_t id)
{
    return &o->invs[id & o->inv_mask];
}

/* The buffer's slot of invocation id (not yet released), or NULL. */
static struct oinv *inv_slot(struct obs *o, uint64_t id)
{
    if (id < o->inv_base)
        return NULL;
    while (id >= o->inv_end) {
        if (o->inv_end - o->inv_base == (o->invs ? o->inv_mask + 1 : 0)) {
            uint64_t cap = o->invs ? 2 * (o->inv_mask + 1) : 64;
            struct oinv *ring = calloc(cap, sizeof *ring);
            if (!ring) {
                o->oom = true;
                return NULL;
            }
            /* the ring is full: every slot is in flight and moves, buffer and all */
            for (uint64_t i = o->inv_base; i < o->inv_end; i++)
                ring[i & (cap - 1)] = *inv_at(o, i);
            free(o->invs);
            o->invs = ring;
            o->inv_mask = cap - 1;
        }
        struct oinv *slot = inv_at(o, o->inv_end++);
        *slot = (struct oinv){ .d = slot->d, .cap = slot->cap };
    }
    return inv_at(o, id);
}

/* Of a piece of n slots (obs_piece), how many first have the slot
 * OBS_PREFETCH_AHEAD after them in the piece too (key_ahead). */
static inline uint64_t piece_ahead(uint64_t n)
{
    return n > OBS_PREFETCH_AHEAD ? n - OBS_PREFETCH_AHEAD : 0;
}

/* A first delivery reads its key's state, asked for when its deliveries
 * came (obs_on_deliveries), again a little ahead: a batch's keys outgrow
 * the first-level cache meanwhile.  Always inline: a function that only
 * prefetches has no effect GCC knows of, and its calls went as dead code. */
static inline __attribute__((always_inline)) void key_ahead(const struct orec *r,
                                                            const struct okey *keys)
{
    PREFETCH(&keys[r[OBS_PREFETCH_AHEAD].key]);
}

/* What a run's records share as they are walked, in registers (the stores
 * a record may alias the run's and the observer's fields). */
struct walk {
    struct okey *keys;
    struct msgs_view msgs;
    int64_t first;              /* the records' first delivery (okey_first): the run's
                                   invocation's */
    int64_t expiry;             /* of a record delivered (obs_rec_expiry) */
    bool handled, settled;
};

static inline struct walk walk_of(const struct obs *o, const struct orun *run)
{
    return (struct walk){ .keys = o->keys, .msgs = obs_msgs_view(o),
                          .first = okey_first(run->counted, run->start_ms),
                          .expiry = obs_rec_expiry(o, 1, run->settled),
                          .handled = run->handled, .settled = run->settled };
}

/* One record of run_let_go, which the checkpoint passed: false when it
 * stays (a run of deliveries starts at it). */
static inline __attribute__((always_inline)) bool let_go_delivered(struct obs *o,
                                                                   const struct orec *r,
                                                                   struct walk w)
{
    if (r->starts)
        return false;
    uint8_t *f = obs_msg_flags(&w.msgs, r->message_id);
    if (r->n == 0) {   /* its first delivery: its flags read and stored once */
        struct okey *k = &w.keys[r->key];
        by_sequence(o, k, r, w.first);
        if (f) {
            const uint8_t flags = *f;
            by_producer(o, k, r, flags, w.first);
            obs_rec_flags_gone(o, r, w.expiry, f, flags | OM_FIRST);
        }
        return true;
    }
    const uint32_t n = r->n + 1;
    obs_rec_gone(o, r, n, r->handled + (w.handled && r->handled < 2),
                 n ? w.expiry : o->expiry_before_ms, f);
    return true;
}

/*
 * The records from q on, below to, as long as they are the common case of
 * let_go_delivered: let go (no run of deliveries starts at one), delivered
 * here first, its message in the message ring, written once and delivered
 * in no other record, the key's greatest by sequence and a millisecond or
 * more after its last by producer order (prod_order's first test): its
 * key's two sides and its message's flags stored, nothing else read
 * (issue 15: the 4.77 M records of 5 minutes of the bench, 0.12 M of them
 * late by producer order, went one by one through let_go_delivered, 72
 * instructions a record, now 46; callgrind).  A record's first four words
 * are its key's producer side's (struct okey): one copy.  The first that
 * is not (to: none); ask: each record's key_ahead asked for first, the one
 * it stops at too.
 */
static inline __attribute__((always_inline)) const struct orec *
let_go_plain(const struct orec *q, const struct orec *const to, bool ask, struct walk w)
{
    for (; q < to; q++) {
        if (ask)
            key_ahead(q, w.keys);
        const uint64_t id = q->message_id;
        if (q->starts || q->n || id - w.msgs.base >= w.msgs.span)
            break;
        uint8_t *const f = &w.msgs.ring[id & w.msgs.mask];
        const uint8_t flags = *f;
        struct okey *const k = &w.keys[q->key];
        const uint64_t seq = q->seq;
        const int64_t arrival_ms = q->arrival_ms, created_us = q->created_us;
        if ((flags & (OM_FIRST | OM_GONE | OM_MULTI)) || k->seq_sequence > seq ||
            created_us < k->prod_time_us + 1000)
            break;
        memcpy(k, q, 4 * sizeof(uint64_t));   /* prod_sequence to prod_time_us */
        k->seq_sequence = seq;
        k->seq_first = w.first;
        k->prod_first = w.first;
        *f = flags | OM_FIRST | OM_GONE | (arrival_ms < w.expiry ? OM_GONE_MAY_EXPIRE : 0);
    }
    return q;
}

/* run_let_go's piece of n records from r (obs_piece): how many it let go.
 * The first ahead ask for a key ahead (key_ahead). */
static inline uint64_t let_go_piece(struct obs *o, const struct orec *r, uint64_t n,
                                    uint64_t ahead, struct walk w)
{
    const struct orec *q = r, *const asks = r + ahead, *const end = r + n;
    for (;;) {
        if (q < asks)
            q = let_go_plain(q, asks, true, w);
        if (q >= asks)
            q = let_go_plain(q, end, false, w);
        if (q == end)
            return n;
        if (!let_go_delivered(o, q, w))
            return (uint64_t)(q - r);
        q++;
    }
}

/*
 * The records of run from its first (the ring's head: the caller checked it
 * and that the checkpoint came) that the checkpoint passed and no other run
 * of deliveries holds (one that starts at a record: starts), let go as they
 * are delivered, in the pass that has their lines (obs_shard_let_go would
 * be a second pass over the batch), their counts never stored, in a loop of
 * their own (issue 15: one loop testing each record for the head, 89
 * instructions a record delivered); the ordinal of the first left.  The
 * 4.77 M records of 5 minutes all go here: 3.04 M in releases after their
 * checkpoint, the others at the checkpoint after (obs_rest_checkpoint).
 */
static inline uint64_t run_let_go(struct obs *o, struct oshard *sh, const struct orun *run)
{
    const struct walk w = walk_of(o, run);
    const struct orec *const ring = sh->ring;
    const uint64_t mask = sh->mask;
    uint64_t x = run->ordinal;
    const uint64_t end = obs_rec_passed(sh, x, run->end, sh->checkpoint);
    while (x < end) {
        const uint64_t n = obs_piece(x, end, mask);
        const uint64_t done = let_go_piece(o, &ring[x & mask], n, piece_ahead(n), w);
        x += done;
        if (done < n)
            break;
    }
    sh->n -= (size_t)(x - sh->head);
    sh->head = x;
    return x;
}

/* One record of run_held. */
static inline __attribute__((always_inline)) void held_delivered(struct obs *o, struct orec *r,
                                                                 struct walk w)
{
    r->n++;
    r->handled += w.handled && r->handled < 2;
    r->settled = w.settled;
    if (r->n == 1)
        first_delivery(o, r, obs_msg_flags(&w.msgs, r->message_id), w.first);
}

/* The records of run from ordinal from on, delivered and held. */
static inline void run_held(struct obs *o, struct oshard *sh, const struct orun *run,
                            uint64_t from)
{
    const struct walk w = walk_of(o, run);
    struct orec *const ring = sh->ring;
    const uint64_t mask = sh->mask, end = run->end;
    for (uint64_t x = from; x < end;) {
        const uint64_t n = obs_piece(x, end, mask), ahead = piece_ahead(n);
        struct orec *const r = &ring[x & mask];
        uint64_t i = 0;
        for (; i < ahead; i++) {
            key_ahead(&r[i], w.keys);
            held_delivered(o, &r[i], w);
        }
        for (; i < n; i++)
            held_delivered(o, &r[i], w);
        x += n;
    }
}

/* Release the invocations at the head of the buffer that ended (all of
 * them at the end of the run), in id order.  defer: the rest of one's run
 * that stays held may wait for the next event (struct obs's rest), and the
 * releases after it with it (obs_rest_flush): mostly its checkpoint comes
 * next (obs_rest_checkpoint). */
static void release(struct obs *o, bool all, bool defer)
{
    while (o->inv_base < o->inv_end) {
        struct oinv *inv = inv_at(o, o->inv_base);
        if (!inv->ended && !all)
            break;
        bool rest = false;
        for (size_t i = 0; i < inv->n; i++) {
            const struct odeliv *d = &inv->d[i];
            struct oshard *sh = &o->shards[d->shard];
            struct orun run = { .shard = d->shard, .ordinal = d->ordinal,
                                .end = d->ordinal + d->count, .handled = d->handled,
                                .counted = inv->counted, .start_ms = inv->start_ms,
                                .settled = inv->counted && inv->outcome == OUTCOME_SUCCESS };
            sh->ring[d->ordinal & sh->mask].starts--;   /* the run holds its records no longer */
            uint64_t from = d->ordinal;
            if (sh->has_checkpoint && from == sh->head)
                from = run_let_go(o, sh, &run);
            if (from == run.end)
                continue;
            if (inv->n == 1 && defer) {   /* the common batch: one run */
                run.ordinal = from;
                o->rest = run;
                o->rest_on = rest = true;
            } else {
                run_held(o, sh, &run, from);
            }
        }
        /* the let-go that follows (a rest's flush does it); an invocation
         * is of one shard: once */
        for (size_t i = 0; i < inv->n && !rest; i++)
            if (i == 0 || inv->d[i].shard != inv->d[i - 1].shard)
                obs_shard_let_go(o, &o->shards[inv->d[i].shard], false);
        inv->n = 0;
        o->inv_base++;
        if (rest)
            break;
    }
}

/* The rest of a released invocation's run, which release left to the next
 * event with the releases after it: walked as held (run_held), then the
 * shard's let-go that follows a release (which lets nothing go: the rest's
 * first record stops it, or a record before it, held as at the last
 * let-go), then those releases, none left.  Called by the events that would
 * see the difference: a release, deliveries and records (the buffer's and
 * the rings' room, their let-go), a message's fate out of the ring (the
 * ring's base), a checkpoint (obs_rest_checkpoint), the end.  The others
 * read nothing these write (the keys' states, the messages' flags, the
 * records, the figures), a message's fate in the ring among them (its flag
 * commutes with the let-go's: the message table's settle, a call a
 * message, takes no test for it). */
void obs_rest_flush(struct obs *o)
{
    if (!o->rest_on)
        return;
    o->rest_on = false;
    struct oshard *sh = &o->shards[o->rest.shard];
    run_held(o, sh, &o->rest, o->rest.ordinal);
    obs_shard_let_go(o, sh, false);
    release(o, false, false);
}

/* A checkpoint of sh came (sh->checkpoint): a rest of sh's from the ring's
 * head lets go what it passed in one pass with its deliveries (issue 15: a
 * release followed by its checkpoint's let-go walked 1.73 M records of 4.77
 * M twice, in 5 minutes), as a release after the checkpoint would have; the
 * caller lets go what follows, then releases what waited (obs_inv_release).
 * A rest of another shard's is the caller's to flush first. */
void obs_rest_checkpoint(struct obs *o, struct oshard *sh)
{
    if (!o->rest_on || &o->shards[o->rest.shard] != sh)
        return;
    o->rest_on = false;
    uint64_t from = o->rest.ordinal;
    if (from == sh->head)
        from = run_let_go(o, sh, &o->rest);
    run_held(o, sh, &o->rest, from);
}

/* What can be released, a rest and what waited with it first: mostly
 * nothing but an invocation that just ended (obs_on_invocation), or what
 * waited for a checkpoint (obs_on_checkpoint). */
void obs_inv_release(struct obs *o, bool all)
{
    obs_rest_flush(o);
    release(o, all, !all);
}

/* ---- the events ----------------------------------------------------------------- */

void obs_on_invocation(void *ctx, const struct slog_invocation *inv)
{
    struct obs *o = ctx;
    o->next.ops->invocation(o->next.ctx, inv);
    if ((unsigned)inv->outcome >= OUTCOME_COUNT)
        return;
    bool throttled = inv->outcome == OUTCOME_THROTTLED;
    o->fig.invocations[inv->outcome]++;
    o->fig.oversized += !throttled && inv->payload_bytes > OBS_PAYLOAD_MAX;
    struct oshard *sh = obs_shard_of(o, inv->shard_id);
    if (!sh)
        return;
    sh->listed = true;
    sh->row.invocations += !throttled;
    sh->row.throttled += throttled;
    if (inv->iterator_age_us >= 0 && (counts_add(&sh->ages, obs_ms(inv->iterator_age_us)) < 0 ||
                                      counts_add(&o->ages, obs_ms(inv->iterator_age_us)) < 0))
        o->oom = true;
    uint32_t shard = (uint32_t)(sh - o->shards);
    if (inv->iterator_age_us >= 0) {
        double age = (double)obs_ms(inv->iterator_age_us);
        obs_add_point(o, OBS_CHART_AGE, shard, obs_ms(inv->end_us), age);
        obs_add_point(o, OBS_CHART_AGE, PS_ALL, obs_ms(inv->end_us), age);
    }
    if (inv->iterator_age_at_send_us >= 0) {
        double age = (double)obs_ms(inv->iterator_age_at_send_us);
        obs_add_point(o, OBS_CHART_AGE_SEND, shard, obs_ms(inv->start_us), age);
        obs_add_point(o, OBS_CHART_AGE_SEND, PS_ALL, obs_ms(inv->start_us), age);
    }
    if (!throttled)
        obs_add_point(o, OBS_CHART_THROUGHPUT, PS_DELIVERED, obs_ms(inv->start_us),
                      inv->record_count);
    if (inv->outcome == OUTCOME_SUCCESS)
        obs_add_point(o, OBS_CHART_THROUGHPUT, PS_SUCCEEDED, obs_ms(inv->end_us),
                      inv->record_count);
    obs_rest_flush(o);   /* before the buffer may grow */
    struct oinv *slot = inv_slot(o, inv->invocation_id);
    if (!slot)
        return;
    slot->ended = true;
    slot->counted = !throttled;
    slot->outcome = (uint8_t)inv->outcome;
    slot->start_ms = obs_ms(inv->start_us);
    obs_inv_release(o, false);
}

/* The ordinal of sh's first held record with a sequence number of seq or
 * more (sh->head + sh->n: none). */
static uint64_t rec_lower(struct oshard *sh, uint64_t seq)
{
    size_t lo = 0, hi = sh->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (obs_rec_at(sh, mid)->seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return sh->head + lo;
}

/* The ordinal of sh's held record with sequence number seq, or UINT64_MAX.
 * A batch's records mostly follow each other: the one after the last found
 * first. */
static uint64_t rec_find(struct oshard *sh, uint64_t seq)
{
    uint64_t h = sh->hint + 1;
    if (h >= sh->head && h - sh->head < sh->n && sh->ring[h & sh->mask].seq == seq)
        return sh->hint = h;
    uint64_t x = rec_lower(sh, seq);
    if (x - sh->head == sh->n || sh->ring[x & sh->mask].seq != seq)
        return UINT64_MAX;
    return sh->hint = x;
}

/* The run of slot's deliveries that held record r, ordinal ordinal of
 * shard, starts or continues: its last one when r follows it (the same
 * shard and handled flag, room in its count), else a new one starting at
 * r; NULL when out of memory. */
static struct odeliv *deliv_run(struct obs *o, struct oinv *slot, uint32_t shard,
                                struct orec *r, uint64_t ordinal, bool handled)
{
    struct odeliv *run = slot->n ? &slot->d[slot->n - 1] : NULL;
    if (run && run->shard == shard && run->handled == handled &&
        run->ordinal + run->count == ordinal && run->count != UINT32_MAX)
        return run;
    if (r->starts == UINT16_MAX) {   /* never: a record is in few invocations at once */
        o->oom = true;
        return NULL;
    }
    if (slot->n == slot->cap) {
        size_t cap = slot->cap ? 2 * slot->cap : 16;
        struct odeliv *d = realloc(slot->d, cap * sizeof *d);
        if (!d) {
            o->oom = true;
            return NULL;
        }
        slot->d = d;
        slot->cap = cap;
    }
    run = &slot->d[slot->n++];
    *run = (struct odeliv){ .ordinal = ordinal, .shard = shard, .handled = handled };
    r->starts++;
    return run;
}

/* n deliveries of shard_id's records to invocation_id, counted: the
 * invocation's slot, and in *sh the shard, or NULL when there is nothing
 * of them to follow (none, a shard or invocation not followed, no memory). */
static struct oinv *delivered(struct obs *o, uint64_t invocation_id, const char *shard_id,
                              uint32_t n, struct oshard **sh)
{
    obs_rest_flush(o);
    o->fig.deliveries += n;
    *sh = n ? obs_shard_of(o, shard_id) : NULL;
    return *sh ? inv_slot(o, invocation_id) : NULL;
}

/* A run of an invocation's deliveries: the shard and the invocation's slot
 * looked up once, the first record found, then each next one read from the
 * ring when it is the record after the last (a batch mostly is), else
 * found; consecutive records make one odeliv, grown in a loop of its own. */
void obs_on_deliveries(void *ctx, uint64_t invocation_id, const char *shard_id,
                       const uint64_t *sequence_numbers, uint32_t n, bool handled)
{
    struct obs *o = ctx;
    if (o->next.per_record)
        o->next.ops->deliveries(o->next.ctx, invocation_id, shard_id, sequence_numbers, n,
                                handled);
    struct oshard *sh;
    struct oinv *slot = delivered(o, invocation_id, shard_id, n, &sh);
    if (!slot)
        return;
    uint32_t shard = (uint32_t)(sh - o->shards);
    uint64_t ordinal = UINT64_MAX;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t next = ordinal + 1;   /* the record after the last one found */
        if (ordinal != UINT64_MAX && next - sh->head < sh->n &&
            sh->ring[next & sh->mask].seq == sequence_numbers[i])
            ordinal = sh->hint = next;
        else if ((ordinal = rec_find(sh, sequence_numbers[i])) == UINT64_MAX)
            continue;   /* its record was never logged (a run stopped early) */
        struct orec *r = &sh->ring[ordinal & sh->mask];
        /* its first delivery reads its key's state, at random among every
         * key, when the invocation is released (mostly just after this):
         * ask for it now, the batch's misses overlapping */
        PREFETCH(&o->keys[r->key]);
        struct odeliv *run = deliv_run(o, slot, shard, r, ordinal, handled);
        if (!run)
            continue;   /* as each record alone would */
        /* the records after it while they follow it in the ring: the run
         * grows without the tests above (issue 15: a batch is mostly one),
         * reading each record's sequence number and key alone, as far as
         * the batch, the held records and a run's count reach, a bound
         * worked out once (two tests a record fewer), by address in pieces
         * (obs_piece) */
        const struct orec *const ring = sh->ring;
        const uint64_t mask = sh->mask;
        const struct okey *const keys = o->keys;
        uint64_t more = n - 1 - i;
        if (more > sh->head + sh->n - 1 - ordinal)
            more = sh->head + sh->n - 1 - ordinal;
        if (more > UINT32_MAX - 1 - run->count)
            more = UINT32_MAX - 1 - run->count;
        const uint64_t *const s = sequence_numbers + i + 1;
        uint64_t took = 0;
        while (took < more) {
            const uint64_t x = ordinal + 1 + took, p = obs_piece(x, x + more - took, mask);
            const struct orec *const q = &ring[x & mask];
            const uint64_t *const sp = s + took;
            uint64_t j = 0;
            for (; j < p && q[j].seq == sp[j]; j++)
                PREFETCH(&keys[q[j].key]);
            took += j;
            if (j < p)
                break;
        }
        i += (uint32_t)took;   /* below n */
        ordinal += took;
        run->count += 1 + (uint32_t)took;
        sh->hint = ordinal;
    }
}

/*
 * The deliveries of shard_id's records first to last, n of them, all
 * handled (simlog.h, delivery_run): as obs_on_deliveries with their n
 * sequence numbers, which are those of every record of the shard from
 * first to last.  The held ones of them are the held records from the
 * first with a sequence number of first or more to the last with last or
 * less, in a row: found by their ends (mostly the record after the last
 * found, and the n - 1 after it), no sequence number compared a record
 * (issue 15: 7 instructions a record delivered, with the simulation's
 * gathering and the relay's copy of the numbers).  Offered only when next
 * takes no deliveries (obs_create).
 */
void obs_on_delivery_run(void *ctx, uint64_t invocation_id, const char *shard_id,
                         uint64_t first, uint64_t last, uint32_t n)
{
    struct obs *o = ctx;
    struct oshard *sh;
    struct oinv *slot = delivered(o, invocation_id, shard_id, n, &sh);
    if (!slot)
        return;
    uint64_t x = sh->hint + 1, end;
    if (!(x >= sh->head && x - sh->head < sh->n && sh->ring[x & sh->mask].seq == first))
        x = rec_lower(sh, first);
    if (sh->n >= n && x - sh->head <= sh->n - n && sh->ring[(x + n - 1) & sh->mask].seq == last)
        end = x + n;   /* every one held: mostly */
    else
        end = rec_lower(sh, last + 1);
    const uint32_t shard = (uint32_t)(sh - o->shards);
    while (x < end) {
        struct odeliv *run = deliv_run(o, slot, shard, &sh->ring[x & sh->mask], x, true);
        if (!run) {
            x++;   /* as each record alone would */
            continue;
        }
        uint64_t more = end - x - 1;
        if (more > UINT32_MAX - 1 - run->count)
            more = UINT32_MAX - 1 - run->count;
        run->count += 1 + (uint32_t)more;
        x += 1 + more;
        sh->hint = x - 1;
    }
}

/* A checkpoint: its figures, then the shard's records it passed let go, a
 * rest of the shard's with them in one pass (obs_rest_checkpoint; a rest
 * of another shard's flushed first), then what waited with the rest
 * released. */
void obs_on_checkpoint(void *ctx, const char *shard_id, int64_t at_us,
                       uint64_t sequence_number, enum ckpt_reason reason)
{
    struct obs *o = ctx;
    o->next.ops->checkpoint(o->next.ctx, shard_id, at_us, sequence_number, reason);
    if ((unsigned)reason < CKPT_COUNT)
        o->fig.checkpoints[reason]++;
    if (reason == CKPT_EXPIRED)
        obs_add_point(o, OBS_CHART_EXPIRIES, PS_MARK, obs_ms(at_us), 1);
    struct oshard *sh = obs_shard_of(o, shard_id);
    if (!sh)
        return;
    if (o->rest_on && &o->shards[o->rest.shard] != sh)
        obs_rest_flush(o);
    if (!sh->has_checkpoint || sequence_number > sh->checkpoint)
        sh->checkpoint = sequence_number;
    sh->has_checkpoint = true;
    obs_rest_checkpoint(o, sh);
    obs_shard_let_go(o, sh, false);
    obs_inv_release(o, false);   /* what waited with a rest */
}
