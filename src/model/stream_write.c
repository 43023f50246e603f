/*
 * stream_write.c - PutRecords on a stream (SPEC 1.1): each entry routed to
 * the shard whose range holds the MD5 of its key (a route cache), per-entry
 * results in request order, sequence numbers, per-shard write limits,
 * InternalFailure; on a DynamoDB table's stream (SPEC 1.2) the item writes
 * and the events they make.  A run's hottest path: put_one and every helper
 * it calls are here, inline, as a put must touch few lines per entry; only
 * a ring's rare growth is a call out (stm_ring_grow, stream.c).
 *
 * Choices (AWS leaves them open or the model needs them fixed):
 * - Sequence numbers: one counter for the whole stream, starting at 1, so a
 *   number is unique in the stream and increases within each shard.
 * - Write limits (records/s and bytes/s per shard, data + partition key):
 *   fixed one-second windows aligned on whole virtual seconds [k s, (k+1) s).
 *   An entry over a limit is refused (ProvisionedThroughputExceeded) and uses
 *   no capacity, so later smaller entries of the same request may pass.
 *   InternalFailure is drawn first, per entry, and uses no capacity either.
 * - Routing: a key's cached shard is checked at each write against the
 *   shard's closed mark (on the cache line the write touches anyway), and a
 *   key of a closed shard is routed again then: no scan of the cache at a
 *   reshard, no cost on the common path.
 *
 * DynamoDB Streams (SPEC 1.2):
 * - The table is on demand and takes every write: the loader gives the
 *   stream no write limits and no InternalFailure, and one item (at most
 *   400 KB) per write.  A real on-demand table throttles a partition past
 *   1,000 write units a second, or a table past twice its previous peak;
 *   the model leaves that out, so a run shows the stream and the mapping,
 *   not the table's capacity.
 * - Items: one bit per key id says whether the item exists (memory: a bit
 *   per distinct key), which makes each write an INSERT, a MODIFY or a
 *   REMOVE as stream.h (enum stm_item_op) says; the record keeps its event.
 */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "engine.h"
#include "keytab.h"
#include "lambda_event.h"
#include "stream_impl.h"
#include "prefetch.h"

#define PREFETCH_AHEAD 16         /* records between a key's prefetch and its use */
#define RING_AHEAD 16             /* a shard's records between its ring slot's prefetch and
                                     the slot's write */

/* ---- routing ----------------------------------------------------------- */

/* The open shard whose range holds the key's hash. */
static uint32_t route_key(const struct stm *s, uint32_t key_id)
{
    return s->topo.open[stm_route_pos(&s->topo, keytab_hash(s->keys, key_id))];
}

/* A route cache entry: the shard's index, the plain bit and the key's
 * length, from the top bit down; KEY_UNKNOWN for a key not seen yet, or
 * one whose shard index or length does not fit (learned again at each use:
 * none in a run with fewer than half a million shards and keys shorter
 * than 4 KB, as AWS's are). */
#define KEY_BYTES_BITS 12
#define KEY_SHARD_SHIFT (KEY_BYTES_BITS + 1)
#define KEY_UNKNOWN UINT32_MAX

static uint32_t key_pack(struct key_info ki)
{
    if (ki.bytes >= 1u << KEY_BYTES_BITS || ki.shard >= (KEY_UNKNOWN >> KEY_SHARD_SHIFT))
        return KEY_UNKNOWN;
    return ki.shard << KEY_SHARD_SHIFT | (uint32_t)ki.plain << KEY_BYTES_BITS | ki.bytes;
}

/* Make the route cache cover every key of the table: 0, or -1 when out
 * of memory. */
static int cache_cover(const struct stm *s)
{
    struct route_cache *c = s->cache;
    size_t n = keytab_count(s->keys);
    if (n <= c->n)
        return 0;
    if (n < 2 * c->n)
        n = 2 * c->n;
    uint32_t *grown = realloc(c->info, n * sizeof *grown);
    if (!grown)
        return -1;
    for (size_t i = c->n; i < n; i++)
        grown[i] = KEY_UNKNOWN;
    c->info = grown;
    c->n = n;
    return 0;
}

/* key_info() of a key seen for the first time: route it and cache it. */
static COLD struct key_info key_learn(const struct stm *s, uint32_t key_id)
{
    uint32_t len = keytab_len(s->keys, key_id);
    bool near = len < STM_KEY_BYTES_FAR;
    struct key_info ki = {
        .shard = route_key(s, key_id),
        .bytes = near ? (uint16_t)len : STM_KEY_BYTES_FAR,
        .plain = near && keytab_json_len(s->keys, key_id) == len,
    };
    s->cache->info[key_id] = key_pack(ki);
    return ki;
}

/* The key's shard as last routed, and its lengths, computed on first use:
 * the same key is routed millions of times.  The shard may have closed
 * since (a reshard): who routes checks, and reroute() mends the entry.
 * The cache covers the key (cache_cover); info is its table, which a
 * caller's loop keeps in a register. */
static inline struct key_info key_info(const struct stm *s, const uint32_t *info,
                                       uint32_t key_id)
{
    assert(info == s->cache->info && key_id < s->cache->n);
    uint32_t w = info[key_id];
    if (w == KEY_UNKNOWN)
        return key_learn(s, key_id);
    return (struct key_info){
        .shard = w >> KEY_SHARD_SHIFT,
        .bytes = (uint16_t)(w & ((1u << KEY_BYTES_BITS) - 1)),
        .plain = (uint16_t)(w >> KEY_BYTES_BITS & 1),
    };
}

/* The key's shard now, for a key whose cached shard has closed. */
static COLD uint32_t reroute(const struct stm *s, uint32_t key_id)
{
    struct key_info ki = key_info(s, s->cache->info, key_id);
    ki.shard = route_key(s, key_id);
    s->cache->info[key_id] = key_pack(ki);
    return ki.shard;
}

/* The key's length counted by the limits, whatever it is. */
static inline uint32_t key_bytes(const struct stm *s, struct key_info ki, uint32_t key_id)
{
    return ki.bytes != STM_KEY_BYTES_FAR ? ki.bytes : keytab_len(s->keys, key_id);
}

uint32_t stm_route(const struct stm *s, uint32_t key_id)
{
    if (cache_cover(s) < 0)
        return route_key(s, key_id);   /* no cache, still the right answer */
    uint32_t shard = key_info(s, s->cache->info, key_id).shard;
    return s->shards[shard].closed_us < 0 ? shard : reroute(s, key_id);
}

/* ---- writes ------------------------------------------------------------ */

static void write_roll(struct shard *sh, int64_t sec)
{
    if (sh->w_sec == sec)
        return;
    sh->w_prev_bytes = sh->w_sec == sec - 1 ? sh->w_bytes : 0;
    sh->w_sec = sh->put_sec = sec;
    sh->w_records = sh->w_bytes = 0;
}

void stm_shard_written(const struct stm *s, uint32_t shard, int64_t sec,
                       uint64_t *records, uint64_t *bytes)
{
    const struct shard *sh = &s->shards[shard];
    bool known = sh->w_sec == sec;
    *records = known ? sh->w_records : 0;
    *bytes = known ? sh->w_bytes : 0;
}

/* Check the request as AWS does before taking any entry. */
static int validate(const struct stm *s, const struct stm_put_entry *entries, size_t n,
                    char *err, size_t errlen)
{
    if (n == 0 || n > s->max_request_records) {
        snprintf(err, errlen, "stream %s: PutRecords with %zu records, expected 1 to %u",
                 s->name, n, s->max_request_records);
        return -1;
    }
    /* With the longest key of the table every entry fits: no key looked up
     * (with many keys each is a cache miss).  No entry has more data than
     * the request, so a request whose data fits in one record needs no
     * entry's own size (its largest costs this pass a compare an entry). */
    uint64_t data = 0, key_max = keytab_max_len(s->keys);
    size_t k = 0;
    for (; k + 4 <= n; k += 4)   /* four at a time: the loop's own steps are most of it */
        data += (uint64_t)entries[k].bytes + entries[k + 1].bytes + entries[k + 2].bytes +
                entries[k + 3].bytes;
    for (; k < n; k++)
        data += entries[k].bytes;
    if (data + key_max <= s->max_record_bytes && data + n * key_max <= s->max_request_bytes)
        return 0;
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t b = (uint64_t)entries[i].bytes + keytab_len(s->keys, entries[i].key_id);
        if (b > s->max_record_bytes) {
            snprintf(err, errlen, "stream %s: PutRecords entry %zu (message %llu) has %llu bytes "
                     "(data + partition key), at most %llu", s->name, i,
                     (unsigned long long)entries[i].message_id, (unsigned long long)b,
                     (unsigned long long)s->max_record_bytes);
            return -1;
        }
        total += b;
    }
    if (total > s->max_request_bytes) {
        snprintf(err, errlen, "stream %s: PutRecords request of %llu bytes "
                 "(data + partition keys), at most %llu", s->name,
                 (unsigned long long)total, (unsigned long long)s->max_request_bytes);
        return -1;
    }
    return 0;
}

/* DynamoDB: the event of the item write en, the table's item updated
 * (stream.h, enum stm_item_op); -1 when out of memory. */
static int item_event(struct stm *s, const struct stm_put_entry *en)
{
    size_t w = en->key_id / 64;
    if (w >= s->n_item_words) {
        size_t n = keytab_count(s->keys) / 64 + 1;
        if (n <= w)
            n = w + 1;
        if (n < 2 * s->n_item_words)
            n = 2 * s->n_item_words;
        uint64_t *grown = realloc(s->items, n * sizeof *grown);
        if (!grown)
            return -1;
        memset(grown + s->n_item_words, 0, (n - s->n_item_words) * sizeof *grown);
        s->items = grown;
        s->n_item_words = n;
    }
    assert(en->item_op <= STM_ITEM_REMOVE);
    uint64_t bit = UINT64_C(1) << (en->key_id % 64);
    bool exists = (s->items[w] & bit) != 0;
    enum lev_ddb_event ev = en->item_op >= STM_ITEM_INSERT
                                ? (enum lev_ddb_event)(en->item_op - STM_ITEM_INSERT)
                          : !exists ? LEV_DDB_INSERT
                          : en->item_op == STM_ITEM_DELETE ? LEV_DDB_REMOVE : LEV_DDB_MODIFY;
    if (ev == LEV_DDB_REMOVE)
        s->items[w] &= ~bit;
    else
        s->items[w] |= bit;
    s->stats.item_events[ev]++;
    return (int)ev;
}

/* Accepted records logged a call at most (slog_ops.records): a run of
 * rows written where the sink lends room for them (slog_ops.lend: the
 * relay's chunk), else kept on the stack, 2 KB, in the cache when they are
 * logged.  A log that reads the keys' names gets a call of record a record
 * instead (the per-record tables: the run log's work dwarfs the call). */
#define PUT_LOG_RUN 64
#define PUT_LOG_AHEAD 1024        /* bytes of a run's room fetched ahead of its row: 32 rows
                                     (the line comes from the log's core; perf, 27 pairs:
                                     put_request's samples 0.89-0.94x those with 512) */

/* What an entry's put does beyond the write limits and the ring: whether
 * InternalFailure is drawn, the item's event made (DynamoDB), the accepted
 * record logged (per_record changes only between the engine's runs,
 * sim.c), the consumer told.  Passed by value to the inline put_one: a
 * constant in the common loop (PUT_PLAIN), which then tests none of them
 * an entry. */
struct put_kind {
    bool draws;
    bool ddb;
    bool log;
    bool names;                   /* the log's rows carry the keys' names */
    bool written;                 /* the consumer wants each write (consumer.written) */
    bool room;                    /* every open shard's ring has room for the request's
                                     entries: none is looked at for growth */
    bool keep;                    /* the failed entries kept, the accepted ones' ids given
                                     (stm_put_records_keep), no results */
};

/* A logged Kinesis stream without InternalFailure whose consumer polls,
 * its rows without key names (the per-record tables off), its rings with
 * room, put by a sender that retries the failed entries: the bench's and
 * most runs' kind. */
static const struct put_kind PUT_PLAIN = { .log = true, .room = true, .keep = true };

/* Where a request's fates go: each failed entry's result, or (keep) the
 * failed entries moved down in place and the accepted ones' message ids. */
struct put_out {
    uint8_t *results;
    struct stm_put_entry *kept;
    uint64_t *ids;
};

/* What a PutRecords reads once for all its entries, and what it counts
 * entry by entry: the instant, the limits, the tables, its kind; the next
 * sequence number and the rows of the records accepted and not logged yet:
 * a request's records are logged a run at a time, with nothing logged in
 * between, so the sink sees the calls it would see a record at a time.
 * Record seq's row is row[seq - row_seq], and a run is logged when the
 * room for it is full (row_end) or the request ends.  A local whose address
 * never leaves the request (put_one is inline, log_run and lend_rows take
 * its fields alone): no store through another pointer can change its
 * fields, so the compiler keeps them in registers or its own stack slots,
 * where the stream's would be loaded again through s after each store
 * (they might alias). */
struct put_ctx {
    int64_t now, sec;
    uint64_t w_records_limit, w_bytes_limit;
    struct shard *shards;
    struct stm_ring *rings;
    const uint32_t *info;         /* the route cache, covering every key */
    uint64_t seq;                 /* s->next_seq, stored back after the request: the
                                     records accepted are its increase */
    uint64_t row_seq;             /* the first record pending in row */
    uint64_t row_end;             /* the record past row's room */
    struct put_kind kind;
    struct slog_row *row;         /* the sink's room, or stack */
    struct slog_row *stack;       /* PUT_LOG_RUN rows of the request's */
};

/* Room for the rows of the records from seq on, arrived at now: the
 * sink's, or the stack's slots from seq's to the next multiple of
 * PUT_LOG_RUN (a sink with no room to lend gets the runs it got before it
 * could, cut after each number one below a multiple of 64); its end into
 * *end.  Apart from put_one: once a run. */
static __attribute__((noinline)) struct slog_row *
lend_rows(const struct stm *s, struct slog_row *stack, uint64_t seq, int64_t now, uint64_t *end)
{
    uint32_t n;
    const struct slog_run run = { .first_sequence_number = seq, .arrival_us = now };
    struct slog_row *lent = s->log->ops->lend ? s->log->ops->lend(s->log->ctx, &run, &n) : NULL;
    if (lent) {
        *end = seq + n;
        return lent;
    }
    *end = (seq / PUT_LOG_RUN + 1) * PUT_LOG_RUN;
    return stack + seq % PUT_LOG_RUN;
}

/* The n rows pending, of the records from seq on, arrived at now, go to
 * the sink: one call, or one a row when the sink takes them one at a time.
 * Apart from put_one: once a run. */
static __attribute__((noinline)) void log_run(const struct stm *s, const struct slog_row *rows,
                                              uint64_t seq, int64_t now, uint64_t n)
{
    const struct slog_run run = { .first_sequence_number = seq, .arrival_us = now };
    slog_records(s->log->ops, s->log->ctx, &run, rows, (uint32_t)n);
}

/* The accepted record r, of shard sh, to a log that reads the keys' names:
 * a call of record.  Apart from put_one. */
static __attribute__((noinline)) void log_named(const struct stm *s, const struct shard *sh,
                                                const struct stm_record *r, int64_t created_us)
{
    const struct slog_record row = {
        .shard_id = sh->id, .sequence_number = r->seq, .message_id = r->message_id,
        .partition_key = keytab_key(s->keys, r->key_id), .arrival_us = r->arrival_us,
        .created_us = created_us, .key_id = r->key_id, .bytes = r->bytes,
    };
    s->log->ops->record(s->log->ctx, &row);
}

/* put_one's shard when the one the key was routed to has put_sec != sec:
 * its write window is of an earlier second (rolled now), or it has closed
 * since (a reshard: the key is routed again). */
static COLD uint32_t put_shard(struct stm *s, uint32_t shard, uint32_t key_id, int64_t sec)
{
    if (s->shards[shard].closed_us >= 0)
        shard = reroute(s, key_id);
    write_roll(&s->shards[shard], sec);
    return shard;
}

/* put_one's end when its record cannot be stored: out of memory. */
static COLD enum stm_put_result put_failed(struct stm *s)
{
    eng_stop(s->e);   /* out of memory: stop, the run is incomplete */
    s->stats.put_internal_failures++;
    return STM_PUT_INTERNAL_FAILURE;
}

/* The accepted record r, numbered pc->seq - 1, goes to the log's pending
 * run. */
static inline void put_log(struct stm *s, struct put_ctx *pc, const struct shard *sh,
                           const struct stm_record *r, int64_t created_us, struct put_kind k)
{
    if (k.names) {
        log_named(s, sh, r, created_us);
        return;
    }
    struct slog_row *row = &pc->row[r->seq - pc->row_seq];
    /* The room's lines a few rows on, for writing: the relay's chunk, read
     * last by the log's thread (a hint: it may pass the room's end). */
    PREFETCH_W((const char *)row + PUT_LOG_AHEAD);
    *row = (struct slog_row){
        .shard_id = sh->id, .message_id = r->message_id, .created_us = created_us,
        .key_id = r->key_id, .bytes = r->bytes,
    };
    if (pc->seq == pc->row_end) {
        log_run(s, pc->row, pc->row_seq, pc->now, pc->seq - pc->row_seq);
        pc->row_seq = pc->seq;
        pc->row = lend_rows(s, pc->stack, pc->seq, pc->now, &pc->row_end);
    }
}

/* A new record's last 8 bytes: data_id, handled and resolved 0, event,
 * key_plain, key_bytes.  On x86-64 one word made in a register and stored
 * at once (its psABI lays bit fields out from the low bit): as fields, the
 * compiler zeroed the 8 bytes, then stored three parts, four stores in a
 * queue that waits on the slot's line (perf, 20 alternate runs of 5
 * minutes of the bench: put_request's samples 0.98x, its share of the
 * simulation thread's 0.370 -> 0.367; callgrind +10 M instructions). */
#if defined(__x86_64__)
_Static_assert(offsetof(struct stm_record, data_id) == 32 &&
               offsetof(struct stm_record, handled) == 36 &&
               offsetof(struct stm_record, key_bytes) == 38 && sizeof(struct stm_record) == 40,
               "a record's tail is data_id, handled, the bit fields' byte, key_bytes");
#endif

static inline void record_tail(struct stm_record *r, uint32_t data_id, unsigned event,
                               unsigned plain, uint16_t key_bytes)
{
#if defined(__x86_64__)
    uint64_t w = data_id | (uint64_t)(event << 1 | plain << 3) << 40 | (uint64_t)key_bytes << 48;
    memcpy(&r->data_id, &w, sizeof w);
#else
    r->data_id = data_id;
    r->handled = 0;
    r->resolved = 0;
    r->event = event;
    r->key_plain = plain;
    r->key_bytes = key_bytes;
#endif
}

/* One entry: its fate, and the record when accepted.  Per entry, so kept
 * to the lines it must touch: the key's route cache entry, asked for by
 * the caller; the shard's write window and ring by index, both hot; the
 * ring's next slot, asked for RING_AHEAD records of its shard before (a
 * shard's ring is a few thousand slots, reused every few seconds: out of
 * the cache by then, and 16 rings written in hash order are more streams
 * than the hardware's prefetch follows).  A full shard (the common
 * refusal) is known before the entry's bytes are counted.  Counted by the
 * caller once a request: the throttled entries and the records held. */
static inline enum stm_put_result put_one(struct stm *s, struct put_ctx *pc,
                                          const struct stm_put_entry *en, struct put_kind k)
{
    if (k.draws && gsl_rng_uniform(s->rng) < s->failure_rate) {
        s->stats.put_internal_failures++;
        return STM_PUT_INTERNAL_FAILURE;
    }
    struct key_info ki = key_info(s, pc->info, en->key_id);
    uint32_t shard = ki.shard;
    if (pc->shards[shard].put_sec != pc->sec)
        shard = put_shard(s, shard, en->key_id, pc->sec);
    struct shard *sh = &pc->shards[shard];
    if (sh->w_records >= pc->w_records_limit)
        return STM_PUT_THROTTLED;
    uint64_t b = (uint64_t)en->bytes + key_bytes(s, ki, en->key_id);
    if (sh->w_bytes + b > pc->w_bytes_limit)
        return STM_PUT_THROTTLED;
    int event = 0;
    struct stm_ring *rg = &pc->rings[shard];
    if ((!k.room && rg->end - rg->begin == rg->cap && stm_ring_grow(s, rg) < 0) ||
        (k.ddb && (event = item_event(s, en)) < 0))
        return put_failed(s);
    uint64_t mask = rg->cap - 1, at = rg->end++;
    struct stm_record *r = &rg->slots[at & mask];
    /* A hint: past the ring's end at its wrap, those few slots unasked
     * for (callgrind: 4 instructions an accepted entry fewer than the
     * masked slot). */
    PREFETCH_W((const char *)r + RING_AHEAD * sizeof *r);
    r->seq = pc->seq++;
    r->message_id = en->message_id;
    r->arrival_us = pc->now;
    r->bytes = en->bytes;
    r->key_id = en->key_id;
    record_tail(r, en->data_id, (unsigned)event, ki.plain, ki.bytes);
    sh->w_records++;
    sh->w_bytes += b;
    sh->w_total += b;
    if (k.log)
        put_log(s, pc, sh, r, en->created_us, k);
    if (k.written)
        s->consumer.written(s->consumer.ctx, shard);
    return STM_PUT_OK;
}

/* Entry en's put and its fate in out: a failed one's result (put_entries'
 * caller set them all to STM_PUT_OK: an accepted entry's put stores one
 * byte fewer), or with keep the entry moved down (to out->kept <= en) or
 * its message id noted. */
static inline __attribute__((always_inline)) void
put_entry(struct stm *s, struct put_ctx *pc, const struct stm_put_entry *en,
          const struct stm_put_entry *entries, struct put_out *out, struct put_kind k)
{
    enum stm_put_result r = put_one(s, pc, en, k);
    if (!k.keep) {
        if (r != STM_PUT_OK)
            out->results[en - entries] = (uint8_t)r;
    } else if (r == STM_PUT_OK) {
        *out->ids++ = en->message_id;
    } else {
        *out->kept++ = *en;
    }
}

/* The n entries in request order, their fates in out; k is pc->kind,
 * or PUT_PLAIN when that is it.  Each entry's key_info is asked
 * for PREFETCH_AHEAD entries before its use (the caller asked for the
 * first ones).  Walked by pointer: with keep's two pointers an index
 * too was one register more than x86-64 has (5 instructions an entry). */
static inline __attribute__((always_inline)) void
put_entries(struct stm *s, struct put_ctx *pc,
            const struct stm_put_entry *entries, size_t n, struct put_out out,
            struct put_kind k)
{
    const struct stm_put_entry *en = entries, *end = entries + n;
    const struct stm_put_entry *ahead = n > PREFETCH_AHEAD ? end - PREFETCH_AHEAD : entries;
    for (; en < ahead; en++) {
        PREFETCH(&pc->info[en[PREFETCH_AHEAD].key_id]);
        put_entry(s, pc, en, entries, &out, k);
    }
    for (; en < end; en++)
        put_entry(s, pc, en, entries, &out, k);
}

/* Whether every open shard's ring has room for n more records. */
static bool rings_have_room(const struct stm *s, size_t n)
{
    const struct stm_ring *rings = s->view.rings;
    for (uint32_t k = 0; k < s->topo.n_open; k++) {
        const struct stm_ring *rg = &rings[s->topo.open[k]];
        if (rg->cap - (rg->end - rg->begin) < n)
            return false;
    }
    return true;
}

/* stm_put_records, or with keep stm_put_records_keep: out as put_entry
 * says. */
static int put_request(struct stm *s, const struct stm_put_entry *entries, size_t n,
                       struct put_out out, bool keep, char *err, size_t errlen)
{
    /* With many keys each entry's key_info is a cache miss: ask for each
     * PREFETCH_AHEAD entries before its use so that the misses overlap
     * (an entry's put is long enough for a line to come meanwhile); the
     * last ones were asked for by then.  The first ones are asked for
     * before validate's pass over the entries, which then hides their
     * misses (perf, 20 alternate runs: put_request's samples 0.97x).  The
     * cache does not move during a request (covered already): covered
     * before validate, its failure acted on after it, so that an invalid
     * request is refused as such, out of memory or not. */
    int covered = cache_cover(s);
    if (covered == 0)
        for (size_t i = 0; i < n && i < PREFETCH_AHEAD; i++)
            PREFETCH(&s->cache->info[entries[i].key_id]);
    if (validate(s, entries, n, err, errlen) < 0)
        return -1;
    if (covered < 0) {
        eng_stop(s->e);   /* out of memory: stop, the run is incomplete */
        if (!keep)
            memset(out.results, STM_PUT_INTERNAL_FAILURE, n);
        s->stats.put_internal_failures += n;
        return (int)n;
    }
    struct slog_row rows[PUT_LOG_RUN];   /* written before they are read */
    struct put_ctx pc = {
        .now = eng_now(s->e),
        .w_records_limit = s->w_records_limit, .w_bytes_limit = s->w_bytes_limit,
        .shards = s->shards, .rings = s->view.rings, .info = s->cache->info,
        .seq = s->next_seq, .row_seq = s->next_seq,
        .kind = {
            .draws = s->failure_rate > 0, .ddb = s->ddb,
            .log = s->log && s->log->per_record,
            .written = s->consumer.written != NULL,
            .room = rings_have_room(s, n),
            .keep = keep,
        },
        .stack = rows,
    };
    pc.sec = pc.now / ENG_US_PER_SEC;
    pc.kind.names = pc.kind.log && !s->log->no_key_names;
    if (pc.kind.log && !pc.kind.names)
        pc.row = lend_rows(s, rows, pc.seq, pc.now, &pc.row_end);
    uint64_t internal = s->stats.put_internal_failures;
    if (!keep)
        memset(out.results, STM_PUT_OK, n);
    /* Two copies of the loop: the common kind's tests nothing of it an
     * entry. */
    if (memcmp(&pc.kind, &PUT_PLAIN, sizeof PUT_PLAIN) == 0)
        put_entries(s, &pc, entries, n, out, PUT_PLAIN);
    else
        put_entries(s, &pc, entries, n, out, pc.kind);
    if (pc.kind.log && !pc.kind.names && pc.seq > pc.row_seq)
        log_run(s, pc.row, pc.row_seq, pc.now, pc.seq - pc.row_seq);
    size_t accepted = pc.seq - s->next_seq;
    s->next_seq = pc.seq;
    internal = s->stats.put_internal_failures - internal;
    s->stats.put_throttled += n - accepted - internal;
    s->stats.records_written += accepted;
    s->held += accepted;   /* nothing is released during a put */
    if (s->held > s->stats.peak_records_held)
        s->stats.peak_records_held = s->held;
    /* An empty stream has no trim pending: the first record arms it. */
    if (!s->trim_scheduled && s->held > 0)
        stm_schedule_trim(s, pc.now + s->retention_us);
    return (int)(n - accepted);
}

int stm_put_records(struct stm *s, const struct stm_put_entry *entries,
                    size_t n, uint8_t *results, char *err, size_t errlen)
{
    return put_request(s, entries, n, (struct put_out){ .results = results }, false, err, errlen);
}

int stm_put_records_keep(struct stm *s, struct stm_put_entry *entries, size_t n,
                         uint64_t *accepted, char *err, size_t errlen)
{
    return put_request(s, entries, n, (struct put_out){ .kept = entries, .ids = accepted }, true,
                       err, errlen);
}

uint64_t stm_put_stamp(const struct stm *s)
{
    if (s->failure_rate > 0)
        return 0;
    uint64_t sec = (uint64_t)(eng_now(s->e) / ENG_US_PER_SEC);
    return sec << 32 | s->n_shards;   /* a stream has shards: never 0 */
}

void stm_put_refused(struct stm *s, size_t n)
{
    s->stats.put_throttled += n;
}

void stm_put_limits(const struct stm *s, struct stm_put_limits *out)
{
    *out = (struct stm_put_limits){
        .max_request_records = s->max_request_records,
        .max_request_bytes = s->max_request_bytes,
        .max_record_bytes = s->max_record_bytes,
    };
}
