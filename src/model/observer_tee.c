/*
 * observer_tee.c - the observer: every figure of a run, computed once from
 * its log events, see observer.h (issue 13 item 3; R6, R9, R10, R12, R14,
 * R17, SPEC 1.3).  This file is the tee itself: its sink, the events it
 * only passes on, its life and what it holds.
 *
 * The figures are those of report.c's SQL over the per-record tables, event
 * by event:
 *  - per-key order is judged on first deliveries in invocation order (ids
 *    grow in the order the mapping invokes; within an invocation records go
 *    in sequence order).  Deliveries are logged when an invocation ends, so
 *    invocations end out of order: each one's deliveries wait in a reorder
 *    buffer until every invocation with a smaller id has ended (the buffer
 *    holds the invocations in flight, and the ended ones behind them);
 *  - a record is held from its write until the shard's checkpoint passes it
 *    and none of its deliveries waits in the buffer: then its delivery
 *    counts (redelivered, handled twice) are final, and it is let go;
 *  - a message written once is a byte of flags until its fate came; one
 *    written twice or more is held until its fate is final and every record
 *    of it is let go: then its part of the retention bounds is known.
 *    Creation times ride on the records (sim.c sets them);
 *  - keys and shards are known by number (the events' key_id; a shard by
 *    the address of its id), never by hashing a string per record.
 * It reads nothing of the core's but its events, so that it may run on a
 * thread of its own behind a relay (simlog.h, sim.c): the key table, for
 * the examples' names, only in obs_finish, once the relay is drained.
 * Times are virtual microseconds in the events and milliseconds in the
 * figures, rounded as the run log rounds them (runlogi_ms, runlog_int.h),
 * so that both definitions meet on the same integers.
 *
 * The module's files, each over the ones after it: observer_tee.c;
 * observer_figures.c, the shards' rows, discards, metrics, reads, spans
 * and the end of a run (obs_finish); observer_deliveries.c, invocations,
 * the reorder buffer and deliveries; observer_held.c, the records and
 * messages held until let go; observer_index.c, shards and keys by number.
 * Each has a header of what the others call in it; they share struct obs
 * (observer_int.h), and observer_counts.c and observer_points.c are their
 * small tables.
 */
#include "observer_int.h"

#include <stdlib.h>

#include "keytab.h"
#include "observer_deliveries.h"
#include "observer_figures.h"
#include "observer_held.h"
#include "observer_index.h"

#define OBS_KEYS_HINT_MAX ((size_t)1 << 20)   /* obs_reserve_keys's room, at most */

/* ---- the tee ---------------------------------------------------------------------- */

/* The observer reads nothing by key per record: the hint is next's. */
static void obs_on_key_ahead(void *ctx, uint32_t key_id)
{
    struct obs *o = ctx;
    o->next.ops->key_ahead(o->next.ctx, key_id);
}

static void obs_on_window(void *ctx, const struct slog_window *w)
{
    struct obs *o = ctx;
    o->next.ops->window(o->next.ctx, w);
}

static void obs_on_log_line(void *ctx, const struct slog_line *l)
{
    struct obs *o = ctx;
    o->next.ops->log_line(o->next.ctx, l);
}

/* A message's fate (obs_on_message), a released run's rest flushed first
 * when the message is out of the ring, whose base may then move past
 * messages the rest lets go (obs_rest_flush); one in the ring commutes
 * with the rest's let-go. */
static void on_message(void *ctx, const struct slog_message *msg)
{
    struct obs *o = ctx;
    if (!obs_msg_in_ring(o, msg->message_id))
        obs_rest_flush(o);
    obs_on_message(o, msg);
}

/* A record, a run of them: next told first (a run when it takes one: it
 * keeps nothing of the observer's, so each sink sees its calls in the
 * order of n calls of record), a released run's rest flushed (the rings'
 * room, their let-go), then the observer's tables. */
static void on_record(void *ctx, const struct slog_record *r)
{
    struct obs *o = ctx;
    if (o->next.per_record)
        o->next.ops->record(o->next.ctx, r);
    obs_rest_flush(o);
    obs_see_record(o, r);
}

static void on_records(void *ctx, const struct slog_run *run, const struct slog_row *rows,
                       uint32_t n)
{
    struct obs *o = ctx;
    if (o->next.per_record)
        slog_records(o->next.ops, o->next.ctx, run, rows, n);
    obs_rest_flush(o);
    obs_see_records(o, run, rows, n);
}

/* Messages' fates, a set's at a time (slog_ops.fates, the message table's
 * records done): a message in the ring written once, by far the most, is a
 * flag and a count, the ring's fields in registers; any other (out of the
 * ring, written twice or more) as obs_on_message takes it, which may move
 * the ring, read again after.  A call a message cost 26 instructions a
 * message, this 15 (obs_on_message 125 M, obs_on_fates 72 M in 5 minutes
 * of the bench, callgrind). */
static void obs_on_fates(void *ctx, const uint64_t *ids, uint32_t n, enum fate f)
{
    struct obs *o = ctx;
    struct slog_message msg = { .fate = f };
    const uint64_t *p = ids, *const end = ids + n;
    if (o->next.per_record || (unsigned)f >= FATE_COUNT) {   /* next told: each apart */
        for (; p < end; p++) {
            msg.message_id = *p;
            on_message(o, &msg);
        }
        return;
    }
    uint32_t apart = 0;   /* counted by obs_on_message */
    while (p < end) {
        uint8_t *const ring = o->msgs_ring;
        const uint64_t base = o->msgs_base, span = o->msgs_end - base, mask = o->msgs_mask;
        for (; p < end; p++) {
            const uint64_t id = *p;
            if (id - base >= span || (ring[id & mask] & OM_MULTI))
                break;
            ring[id & mask] |= OM_FATE;
        }
        if (p < end) {
            msg.message_id = *p++;
            on_message(o, &msg);
            apart++;
        }
    }
    o->fig.messages[f] += n - apart;
}

/* A sync point: what the observer holds now, for the simulation's memory
 * budget (obs_bytes_at). */
static void obs_on_sync(void *ctx, int64_t reached_us)
{
    struct obs *o = ctx;
    if (o->next.ops->sync)
        o->next.ops->sync(o->next.ctx, reached_us);
    sync_note(&o->notes, obs_bytes(o), 0);
}

bool obs_bytes_at(struct obs *o, uint64_t sync, uint64_t *bytes)
{
    uint64_t note[SYNC_NOTE_FIGURES];
    if (!sync_noted(&o->notes, sync, note))
        return false;
    *bytes = note[0];
    return true;
}

static bool obs_on_failed(void *ctx)
{
    struct obs *o = ctx;
    return o->oom || o->next.ops->failed(o->next.ctx);
}

/* ---- life cycle -------------------------------------------------------------------- */

struct obs *obs_create(const struct slog *next, int64_t expiry_before_ms)
{
    struct obs *o = calloc(1, sizeof *o);
    if (!o || !(o->shard_ids = keytab_create())) {
        free(o);
        return NULL;
    }
    o->next = *next;
    o->expiry_before_ms = expiry_before_ms;
    o->inv_base = o->inv_end = 1;   /* the mapping's ids start at 1, */
    o->msgs_base = o->msgs_end = 1; /* the message table's too */
    o->enabled = true;
    sync_notes_init(&o->notes);
    o->ops = (struct slog_ops){
        .shard = obs_on_shard, .message = on_message, .fates = obs_on_fates,
        .record = on_record,
        .records = on_records,
        .invocation = obs_on_invocation, .deliveries = obs_on_deliveries,
        /* runs of a shard's records delivered, when next wants no
         * sequence numbers (obs_on_delivery_run) */
        .delivery_run = next->per_record ? NULL : obs_on_delivery_run,
        .checkpoint = obs_on_checkpoint, .discard = obs_on_discard, .metric = obs_on_metric,
        .window = next->ops->window ? obs_on_window : NULL,
        .log_line = next->ops->log_line ? obs_on_log_line : NULL,
        .sync = obs_on_sync,       /* always: it counts them */
        .read = obs_on_read,       /* always: the observer's figures need it */
        .key_ahead = next->per_record && next->ops->key_ahead ? obs_on_key_ahead : NULL,
        .failed = obs_on_failed,
    };
    return o;
}

void obs_set_keys(struct obs *o, const struct keytab *keys)
{
    o->key_table = keys;
}

/*
 * Issue 15: growing by doubling copied the table at each step into fresh
 * pages the kernel zeroed first (the bench's 100,000 keys: 2, 4, then 8
 * MiB).  A state is still initialised as its key comes, in id order, so
 * only the pages keys reached are touched: a hint larger than the keys
 * that come costs address space, not memory.  OBS_KEYS_HINT_MAX bounds
 * that address space (64 MiB) for a key space of millions or billions,
 * which would otherwise ask gigabytes that overcommit may refuse; past
 * it the table doubles as before.  Failing, the table grows as before.
 */
void obs_reserve_keys(struct obs *o, size_t n)
{
    size_t cap = obs_keys_cap_for(o, n < OBS_KEYS_HINT_MAX ? n : OBS_KEYS_HINT_MAX);
    if (cap > o->keys_cap)
        (void)obs_keys_resize(o, cap);
}

/* Every record is seen, whatever next keeps: next gets messages, records
 * and deliveries only when it wants them (its per_record).  The observer
 * knows keys by key_id: names are looked up only for a next that reads them;
 * of a message it reads the id and fate alone (obs_on_message) but for such
 * a next. */
struct slog obs_sink(struct obs *o)
{
    return (struct slog){ .ops = &o->ops, .ctx = o, .per_record = true,
                          .no_key_names = !o->next.per_record || o->next.no_key_names,
                          .fates_only = !o->next.per_record,
                          .event = o->next.event, .event_ctx = o->next.event_ctx };
}

size_t obs_records_held(const struct obs *o)
{
    size_t n = 0;
    for (size_t i = 0; i < keytab_count(o->shard_ids); i++)
        n += o->shards[i].n;
    return n;
}

/* Counted here, not kept up as records come and go (issue 15: a count a
 * record written and let go, for tests alone): a message written once is
 * held from its record's write (OM_SEEN) until it is let go (OM_GONE), one
 * written twice or more while it has an omulti. */
size_t obs_messages_held(const struct obs *o)
{
    size_t n = o->n_multi;
    for (uint64_t id = o->msgs_base; id < o->msgs_end; id++) {
        uint8_t f = o->msgs_ring[id & o->msgs_mask];
        n += (f & (OM_SEEN | OM_MULTI | OM_GONE)) == OM_SEEN;
    }
    return n;
}

uint64_t obs_bytes(const struct obs *o)
{
    uint64_t n = (o->msgs_ring ? o->msgs_mask + 1 : 0) + o->multi_cap * sizeof(struct omulti);
    for (size_t i = 0; i < keytab_count(o->shard_ids); i++)
        n += o->shards[i].ring ? (o->shards[i].mask + 1) * sizeof(struct orec) : 0;
    return n + (o->invs ? (o->inv_mask + 1) * sizeof(struct oinv) : 0);
}

size_t obs_points_bytes(const struct obs *o)
{
    return points_bytes(&o->points);
}

bool obs_failed(const struct obs *o)
{
    return o->oom || o->schedule_oom;
}

void obs_destroy(struct obs *o)
{
    if (!o)
        return;
    for (uint64_t i = 0; o->invs && i <= o->inv_mask; i++)   /* each slot keeps its buffer */
        free(o->invs[i].d);
    free(o->invs);
    for (size_t i = 0; i < keytab_count(o->shard_ids); i++) {
        free((char *)o->shards[i].row.parent_shard_id);
        free((char *)o->shards[i].row.adjacent_parent_shard_id);
        free(o->shards[i].ring);
        counts_free(&o->shards[i].ages);
    }
    for (size_t i = 0; i < o->fig.n_discards_listed; i++)
        free((char *)o->fig.discards_listed[i].destination);
    for (size_t i = 0; i < o->fig.n_sequence_examples; i++)
        free((char *)o->fig.sequence_examples[i].partition_key);
    for (size_t i = 0; i < o->fig.n_producer_examples; i++)
        free((char *)o->fig.producer_examples[i].partition_key);
    free(o->fig.shards);
    free(o->fig.points);
    points_free(&o->points);
    free(o->reshards);
    free(o->spans[0]);
    free(o->spans[1]);
    free(o->shards);
    free(o->keys);
    free(o->multi);
    free(o->msgs_ring);
    counts_free(&o->ages);
    keytab_destroy(o->shard_ids);
    free(o);
}
