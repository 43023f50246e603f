/*
 * test_logthread.c - the relay to the log's thread (logthread.c): a run of
 * deliveries crosses as one entry with its array of sequence numbers, and
 * one larger than a chunk gets a chunk grown to fit (issue 15 item 1); the
 * inner sink gets every call, in order, with the same arguments.  Records
 * cross as runs of elements, names as their pointers, and the inner sink is
 * told each one's key a few calls ahead (issue 15, the relay's cost); a
 * sink that takes runs of records gets them so; a message crosses whole
 * (the simulation's message table logs on the relay's thread).  Chunks
 * cross whether the log's thread is behind (the queue full) or sleeps
 * between bursts (woken), every record once, in order.  A message table
 * relayed with it gives the rows, figures and budget of one called
 * directly (R17, SPEC 6).  The thread's first job comes before any call,
 * and a sink is told when the thread has caught up.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "keytab.h"
#include "logthread.h"
#include "memlog.h"
#include "msgtab.h"
#include "stream.h"

#define BIG 200000   /* 1.6 MB of sequence numbers: more than a chunk */

static void test_delivery_runs(void)
{
    struct memlog ml = { .keep_deliveries = true };
    struct slog inner = { .ops = &memlog_ops, .ctx = &ml, .per_record = true };
    struct lgt *t = lgt_create(&inner);
    CHECK(t != NULL);
    if (!t)
        return;
    struct slog log = lgt_sink(t);
    uint64_t *big = malloc(BIG * sizeof *big);
    CHECK(big != NULL);
    if (!big) {
        lgt_destroy(t);
        return;
    }
    for (uint32_t i = 0; i < BIG; i++)
        big[i] = 1000 + 2 * (uint64_t)i;
    log.ops->deliveries(log.ctx, 1, "S", (const uint64_t[]){ 10, 11, 13 }, 3, true);
    log.ops->deliveries(log.ctx, 1, "S", (const uint64_t[]){ 14 }, 1, false);
    log.ops->deliveries(log.ctx, 2, "S", big, BIG, false);   /* after a small entry */
    log.ops->checkpoint(log.ctx, "S", 5, 14, CKPT_SUCCESS);
    log.ops->deliveries(log.ctx, 3, "S", big, BIG, true);    /* the grown chunk again */
    log.ops->deliveries(log.ctx, 4, "S", (const uint64_t[]){ 7 }, 1, true);
    free(big);   /* the relay copied it */
    lgt_finish(t);
    CHECK(!log.ops->failed(log.ctx));
    CHECK_INT(ml.n_dlv, 4 + 2 * BIG + 1);
    CHECK_INT(ml.deliveries, 4 + 2 * BIG + 1);
    CHECK_INT(ml.handled, 3 + BIG + 1);
    CHECK_INT(ml.n_ckpt, 1);
    if (ml.n_dlv == 4 + 2 * BIG + 1) {
        const struct mem_delivery *d = ml.dlv;
        CHECK_INT(d[0].invocation_id * 1000 + d[0].seq * 10 + d[0].handled, 1101);
        CHECK_INT(d[2].invocation_id * 1000 + d[2].seq * 10 + d[2].handled, 1131);
        CHECK_INT(d[3].invocation_id * 1000 + d[3].seq * 10 + d[3].handled, 1140);
        uint32_t wrong = 0;
        for (uint32_t i = 0; i < 2 * BIG; i++) {
            const struct mem_delivery *e = &d[4 + i];
            wrong += e->invocation_id != 2 + i / BIG || e->seq != 1000 + 2 * (uint64_t)(i % BIG) ||
                     e->handled != (i >= BIG);
        }
        CHECK_INT(wrong, 0);
        CHECK_INT(d[4 + 2 * BIG].invocation_id * 1000 + d[4 + 2 * BIG].seq * 10 +
                  d[4 + 2 * BIG].handled, 4071);
    }
    lgt_destroy(t);
    memlog_free(&ml);
}

/* A memlog that takes delivery runs too, kept in order among its
 * deliveries as (invocation, first, last, count). */
struct run_log {
    struct memlog ml;
    uint64_t runs[8][4];
    size_t n_runs;
    size_t dlv_before[8];         /* ml.n_dlv when each run came */
};
static void rl_delivery_run(void *ctx, uint64_t invocation_id, const char *shard_id,
                            uint64_t first, uint64_t last, uint32_t n)
{
    struct run_log *r = ctx;
    CHECK_STR(shard_id, "S");
    if (r->n_runs < 8) {
        r->dlv_before[r->n_runs] = r->ml.n_dlv;
        memcpy(r->runs[r->n_runs++], (uint64_t[]){ invocation_id, first, last, n },
               sizeof r->runs[0]);
    }
}

/* Issue 15: a delivery run (simlog.h) crosses the relay as its ends and
 * count, in order with the deliveries around it; the relay offers it only
 * when its inner sink takes it. */
static void test_delivery_run(void)
{
    struct memlog plain = { .keep_deliveries = true };
    struct slog inner_plain = { .ops = &memlog_ops, .ctx = &plain, .per_record = true };
    struct lgt *t = lgt_create(&inner_plain);
    CHECK(t != NULL);
    if (t) {
        CHECK(lgt_sink(t).ops->delivery_run == NULL);
        lgt_finish(t);
        lgt_destroy(t);
    }
    memlog_free(&plain);

    struct run_log rl = { .ml = { .keep_deliveries = true } };
    struct slog_ops ops = memlog_ops;
    ops.delivery_run = rl_delivery_run;
    struct slog inner = { .ops = &ops, .ctx = &rl, .per_record = true };
    t = lgt_create(&inner);
    CHECK(t != NULL);
    if (!t)
        return;
    struct slog log = lgt_sink(t);
    CHECK(log.ops->delivery_run != NULL);
    log.ops->delivery_run(log.ctx, 1, "S", 10, 19, 4);
    log.ops->deliveries(log.ctx, 2, "S", (const uint64_t[]){ 20, 21 }, 2, false);
    log.ops->delivery_run(log.ctx, 3, "S", 22, 22, 1);
    lgt_finish(t);
    CHECK(!log.ops->failed(log.ctx));
    CHECK_INT(rl.n_runs, 2);
    CHECK_INT(rl.ml.n_dlv, 2);
    if (rl.n_runs == 2) {
        CHECK_INT(rl.runs[0][0] * 1000000 + rl.runs[0][1] * 10000 + rl.runs[0][2] * 10 +
                  rl.runs[0][3], 1100194);
        CHECK_INT(rl.runs[1][0] * 1000000 + rl.runs[1][1] * 10000 + rl.runs[1][2] * 10 +
                  rl.runs[1][3], 3220221);
        CHECK_INT(rl.dlv_before[0], 0);
        CHECK_INT(rl.dlv_before[1], 2);
    }
    lgt_destroy(t);
    memlog_free(&rl.ml);
}

/* ---- records and messages: every field, in order, and the hints ----------- */

/* One call the inner sink got: a record, a message, a checkpoint, or a
 * hint (key_ahead), in the order they came. */
enum call_kind { C_RECORD, C_MESSAGE, C_CHECKPOINT, C_HINT };
struct call {
    enum call_kind kind;
    struct slog_record r;      /* C_RECORD */
    struct slog_message m;     /* C_MESSAGE */
    uint32_t key_id;           /* C_HINT */
    char key[16];              /* a copy of the name, "" when NULL */
};

struct calls {
    struct call *v;
    size_t n, cap;
};

static struct call *call_add(struct calls *c, enum call_kind k)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 1024;
        c->v = realloc(c->v, c->cap * sizeof *c->v);
        if (!c->v)
            abort();
    }
    struct call *x = &c->v[c->n++];
    memset(x, 0, sizeof *x);
    x->kind = k;
    return x;
}

static void keep_key(struct call *x, const char *key)
{
    if (key)
        snprintf(x->key, sizeof x->key, "%s", key);
}

static void calls_record(void *ctx, const struct slog_record *r)
{
    struct call *x = call_add(ctx, C_RECORD);
    x->r = *r;
    keep_key(x, r->partition_key);
}

static void calls_message(void *ctx, const struct slog_message *m)
{
    struct call *x = call_add(ctx, C_MESSAGE);
    x->m = *m;
    keep_key(x, m->partition_key);
}

static void calls_checkpoint(void *ctx, const char *shard_id, int64_t at_us,
                             uint64_t sequence_number, enum ckpt_reason reason)
{
    (void)shard_id, (void)at_us, (void)reason;
    call_add(ctx, C_CHECKPOINT)->key_id = (uint32_t)sequence_number;
}

static void calls_hint(void *ctx, uint32_t key_id)
{
    call_add(ctx, C_HINT)->key_id = key_id;
}

static bool calls_failed(void *ctx) { (void)ctx; return false; }

static const struct slog_ops calls_ops = {
    .record = calls_record, .message = calls_message, .checkpoint = calls_checkpoint,
    .key_ahead = calls_hint, .failed = calls_failed,
};

/* A sink that takes records as runs: each record a call in got, and the
 * runs counted apart. */
struct run_calls {
    struct calls got;          /* first: the other calls' context */
    size_t runs;
};

static void calls_records(void *ctx, const struct slog_run *run, const struct slog_row *rows,
                          uint32_t n)
{
    ((struct run_calls *)ctx)->runs++;
    for (uint32_t i = 0; i < n; i++) {
        struct slog_record r = slog_record_of(run, &rows[i], i);
        calls_record(ctx, &r);
    }
}

static const struct slog_ops run_calls_ops = {
    .record = calls_record, .records = calls_records, .message = calls_message,
    .checkpoint = calls_checkpoint, .key_ahead = calls_hint, .failed = calls_failed,
};

#define RUN 50000          /* records in a row: 2.8 MB of elements, over several chunks */
#define CHUNK_BYTES ((size_t)1 << 19)   /* logthread.c's LGT_CHUNK_BYTES */
#define KEYS 7

static const char *const shard_ids[2] = { "shardId-000000000000", "shardId-000000000001" };
static const char *const producers[2] = { "p1", "p2" };
static const char *const key_names[KEYS] = { "k0", "k1", "k2", "k3", "k4", "k5", "k6" };

/* The record i of the test, whose key's name is given or not: the
 * records of a request, 100 of them (consecutive sequence numbers, one
 * arrival), a run. */
static struct slog_record record_of(uint32_t i, bool names)
{
    uint32_t key = i * 5 % KEYS;
    return (struct slog_record){
        .shard_id = shard_ids[i % 2], .sequence_number = 1000000000000ull + (uint64_t)i,
        .message_id = 7 + (uint64_t)i, .partition_key = names ? key_names[key] : NULL,
        .key_id = key, .arrival_us = (int64_t)(i / 100) * 61 - 5, .bytes = 100 + i % 1000,
        .created_us = -(int64_t)i * 1000003 };
}

/* A record's own part, as a run's row. */
static struct slog_row row_of(const struct slog_record *r)
{
    return (struct slog_row){ .shard_id = r->shard_id, .message_id = r->message_id,
                              .created_us = r->created_us, .key_id = r->key_id,
                              .bytes = r->bytes };
}

/* The run of records r on: their arrival, their first sequence number. */
static struct slog_run run_of(const struct slog_record *r)
{
    return (struct slog_run){ .first_sequence_number = r->sequence_number,
                              .arrival_us = r->arrival_us };
}

/* The message i: every fate in turn, sizes up to 2^28 bytes and over. */
static struct slog_message message_of(uint32_t i, bool names)
{
    uint32_t key = i * 3 % KEYS;
    return (struct slog_message){
        .message_id = 9 + 2 * (uint64_t)i, .producer = producers[i % 2],
        .partition_key = names ? key_names[key] : NULL, .key_id = key,
        .created_us = (int64_t)i * 1000 - 42,
        .bytes = i % 1000 == 999 ? (UINT32_C(1) << 28) + i : (UINT32_C(1) << 28) - 1 - i,
        .fate = (enum fate)(i % FATE_COUNT) };
}

static bool same_record(const struct slog_record *a, const struct slog_record *b)
{
    return a->shard_id == b->shard_id && a->sequence_number == b->sequence_number &&
           a->message_id == b->message_id && a->key_id == b->key_id &&
           a->arrival_us == b->arrival_us && a->bytes == b->bytes &&
           a->created_us == b->created_us;
}

static bool same_message(const struct slog_message *a, const struct slog_message *b)
{
    return a->message_id == b->message_id && a->producer == b->producer &&
           a->key_id == b->key_id && a->created_us == b->created_us && a->bytes == b->bytes &&
           a->fate == b->fate;
}

/* A relay to got's calls, its sink in *log; NULL when it cannot start. */
static struct lgt *relay_to(struct calls *got, bool names, struct slog *log)
{
    struct slog inner = { .ops = &calls_ops, .ctx = got, .per_record = true,
                          .no_key_names = !names };
    struct lgt *t = lgt_create(&inner);
    CHECK(t != NULL);
    if (t)
        *log = lgt_sink(t);
    return t;
}

/* The hints of got that do not come just before the call 8 before their
 * own: the call after a hint is the call of the element 8 before the
 * hinted one. */
static size_t hints_wrong(const struct calls *got)
{
    size_t wrong = 0;
    for (size_t i = 0; i + 9 < got->n; i++) {
        if (got->v[i].kind != C_HINT)
            continue;
        size_t own = i + 1, calls = 0;   /* the hinted call: the 9th call after the hint */
        while (own < got->n && calls < 9)
            calls += got->v[own++].kind != C_HINT;
        const struct call *h = &got->v[own - 1];
        wrong += h->kind != C_RECORD || h->r.key_id != got->v[i].key_id;
    }
    return wrong;
}

/*
 * A run of RUN records, a checkpoint, 3000 messages, a record, a message:
 * the inner sink gets each call with every field as given, in order; a
 * record's name as the same pointer (it keeps its content for the run,
 * simlog.h), a message's copied, when the sink reads names, none when it
 * does not.  Each record of a run but its first LGT_HINT_AHEAD (8) has its
 * key hinted, 8 calls of the run before its own.
 */
static void test_record_runs(bool names)
{
    struct calls got = { 0 };
    struct slog log;
    struct lgt *t = relay_to(&got, names, &log);
    if (!t)
        return;
    for (uint32_t i = 0; i < RUN; i++) {
        struct slog_record r = record_of(i, names);
        log.ops->record(log.ctx, &r);
    }
    log.ops->checkpoint(log.ctx, shard_ids[0], 1, 77, CKPT_SUCCESS);
    for (uint32_t i = 0; i < 3000; i++) {
        struct slog_message m = message_of(i, names);
        log.ops->message(log.ctx, &m);
    }
    struct slog_record r_last = record_of(RUN, names);
    struct slog_message m_last = message_of(3000, names);
    log.ops->record(log.ctx, &r_last);
    log.ops->message(log.ctx, &m_last);
    lgt_finish(t);

    size_t n_rec = 0, n_msg = 0, n_ckpt = 0, n_hint = 0, wrong = 0, wrong_key = 0;
    for (size_t i = 0; i < got.n; i++) {
        const struct call *x = &got.v[i];
        if (x->kind == C_HINT) {
            n_hint++;
            continue;
        }
        if (x->kind == C_CHECKPOINT) {
            n_ckpt++;
            wrong += x->key_id != 77 || n_rec != RUN || n_msg != 0;
            continue;
        }
        bool rec = x->kind == C_RECORD;
        uint32_t j = (uint32_t)(rec ? n_rec++ : n_msg++);
        const char *key;
        if (rec) {
            struct slog_record want = record_of(j, names);
            wrong += !same_record(&x->r, &want);
            key = x->r.partition_key;
        } else {
            struct slog_message want = message_of(j, names);
            wrong += !same_message(&x->m, &want);
            key = x->m.partition_key;
        }
        uint32_t key_id = rec ? x->r.key_id : x->m.key_id;
        /* a name: the caller's pointer, a message's copied (an entry of its own) */
        if (names)
            wrong_key += !rec ? strcmp(x->key, key_names[key_id]) != 0 || key == key_names[key_id]
                              : key != key_names[key_id];
        else
            wrong_key += key != NULL;
    }
    CHECK_INT(n_rec, RUN + 1);
    CHECK_INT(n_msg, 3001);
    CHECK_INT(n_ckpt, 1);
    CHECK_INT(wrong, 0);
    CHECK_INT(wrong_key, 0);
    /* The hints: the records' run (RUN structs of 56 bytes: a run a chunk,
     * each chunk's end ending one, after its run's 8-byte header), and the
     * last record alone: 8 fewer than the calls in each run. */
    size_t per_chunk = (CHUNK_BYTES - 8) / sizeof(struct slog_record);
    size_t runs = (RUN + per_chunk - 1) / per_chunk;
    CHECK_INT(n_hint, RUN - runs * 8);
    CHECK_INT(hints_wrong(&got), 0);
    lgt_destroy(t);
    free(got.v);
}

/* How feed_records gives its records: a call each, as runs (records()),
 * or as runs written in the room the relay lends (lend(), then records()
 * of that room). */
enum feed { FEED_EACH, FEED_RUNS, FEED_LENT };

/* The n records of one run (a request's) to log as runs written where log
 * lends room: as many runs as the room asks (a chunk's end ends one);
 * after them, room lent and a row written in it that no call of records
 * takes (lost, SPEC: never logged). */
static void feed_lent(struct slog log, const struct slog_record *recs, uint32_t n)
{
    uint32_t room = 0, k = 0;
    struct slog_run run = run_of(recs);
    struct slog_row *at = NULL;
    for (uint32_t i = 0; i < n; i++) {
        if (k == room) {
            if (k > 0)
                log.ops->records(log.ctx, &run, at, k);
            run = run_of(&recs[i]);
            at = log.ops->lend(log.ctx, &run, &room);
            CHECK(at != NULL && room > 0);
            if (!at)
                return;
            k = 0;
        }
        at[k++] = row_of(&recs[i]);
    }
    if (k > 0)
        log.ops->records(log.ctx, &run, at, k);
    run = run_of(&recs[n - 1]);   /* the run that would continue them */
    run.first_sequence_number++;
    if ((at = log.ops->lend(log.ctx, &run, &room)) != NULL)
        at[0] = row_of(&recs[0]);
}

/* The n records of one run to log in one call of records. */
static void feed_run(struct slog log, const struct slog_record *recs, uint32_t n)
{
    struct slog_row rows[70];
    for (uint32_t i = 0; i < n; i++)
        rows[i] = row_of(&recs[i]);
    const struct slog_run run = run_of(recs);
    log.ops->records(log.ctx, &run, rows, n);
}

/* The test's RUN records to relay log, as feed says, the runs of 1, 2, 3,
 * ... 70, 1, 2, ... records, each cut where the arrival changes; after
 * every 500th a checkpoint and a message, which end a run. */
static void feed_records(struct slog log, bool names, enum feed feed)
{
    struct slog_record rows[70];
    uint32_t len = 1;
    for (uint32_t i = 0; i < RUN; len = len % 70 + 1) {
        uint32_t n = 0;
        while (n < len && i < RUN) {
            rows[n++] = record_of(i++, names);
            if (i % 100 == 0)
                break;
        }
        if (feed == FEED_LENT)
            feed_lent(log, rows, n);
        else if (feed == FEED_RUNS)
            feed_run(log, rows, n);
        else
            for (uint32_t k = 0; k < n; k++)
                log.ops->record(log.ctx, &rows[k]);
        if (i % 500 == 0) {
            log.ops->checkpoint(log.ctx, shard_ids[0], 1, i, CKPT_SUCCESS);
            struct slog_message m = message_of(i, names);
            log.ops->message(log.ctx, &m);
        }
    }
}

static bool same_call(const struct call *a, const struct call *b)
{
    return a->kind == b->kind && strcmp(a->key, b->key) == 0 &&
           (a->kind == C_RECORD ? same_record(&a->r, &b->r) && a->r.partition_key == b->r.partition_key
            : a->kind == C_MESSAGE ? same_message(&a->m, &b->m)
            : a->key_id == b->key_id);
}

/* SPEC 3 (a `records` row a record written, in order; issue 15 item 1):
 * records given to the relay as runs (records(), the stream's PutRecords),
 * or written in the room it lends (lend()), reach the inner sink as the same
 * calls, in the same order, as the same records given one call each, with
 * hints, each just before the call 8 before its own (fewer: a run's are
 * within it, and a run ends where the arrival changes); rows written in lent
 * room and given to no call of records never reach it. */
static void test_records_runs(void)
{
    const bool names = false;   /* runs are for a log that reads none (simlog.h) */
    struct calls got[3] = { { 0 } };
    for (enum feed feed = FEED_EACH; feed <= FEED_LENT; feed++) {
        struct slog log;
        struct lgt *t = relay_to(&got[feed], names, &log);
        if (!t)
            return;
        CHECK(log.ops->records != NULL && log.ops->lend != NULL);
        if (log.ops->records && log.ops->lend)
            feed_records(log, names, feed);
        lgt_finish(t);
        lgt_destroy(t);
    }
    CHECK(got[0].n > RUN + 2 * (RUN / 500));   /* every record, checkpoint, message, hints */
    for (int feed = FEED_RUNS; feed <= FEED_LENT; feed++) {
        size_t i = 0, k = 0, wrong = 0, n_rec = 0;
        for (;; i++, k++) {
            for (; i < got[0].n && got[0].v[i].kind == C_HINT; i++)
                ;
            for (; k < got[feed].n && got[feed].v[k].kind == C_HINT; k++)
                ;
            if (i == got[0].n || k == got[feed].n)
                break;
            wrong += !same_call(&got[0].v[i], &got[feed].v[k]);
            n_rec += got[feed].v[k].kind == C_RECORD;
        }
        CHECK(i == got[0].n && k == got[feed].n);
        CHECK_INT(n_rec, RUN);
        CHECK_INT(wrong, 0);
        CHECK_INT(hints_wrong(&got[feed]), 0);
    }
    /* written in place or copied, the same entries */
    CHECK_INT(got[FEED_LENT].n, got[FEED_RUNS].n);
    size_t wrong = 0;
    for (size_t i = 0; i < got[FEED_RUNS].n && i < got[FEED_LENT].n; i++)
        wrong += !same_call(&got[FEED_RUNS].v[i], &got[FEED_LENT].v[i]);
    CHECK_INT(wrong, 0);
    for (int feed = 0; feed < 3; feed++)
        free(got[feed].v);
}

/* SPEC 3 (the run log's rows; issue 15): an inner sink that takes runs
 * (records()) gets the relay's records a run at a time, a few calls for many
 * records, and the same records, messages and checkpoints in the same order
 * as a sink that takes them a call each; every key hinted no later than
 * before. */
static void test_replayed_runs(void)
{
    const bool names = false;   /* runs are for a log that reads none (simlog.h) */
    struct calls each = { 0 };
    struct run_calls runs = { .runs = 0 };
    struct slog log;
    struct lgt *t = relay_to(&each, names, &log);
    if (!t)
        return;
    feed_records(log, names, FEED_RUNS);
    lgt_destroy(t);
    struct slog inner = { .ops = &run_calls_ops, .ctx = &runs, .per_record = true,
                          .no_key_names = !names };
    CHECK((t = lgt_create(&inner)) != NULL);
    if (!t)
        return;
    feed_records(lgt_sink(t), names, FEED_RUNS);
    lgt_destroy(t);
    size_t i = 0, k = 0, wrong = 0, n_rec = 0, hints[2] = { 0 };
    for (;; i++, k++) {
        for (; i < each.n && each.v[i].kind == C_HINT; i++)
            hints[0]++;
        for (; k < runs.got.n && runs.got.v[k].kind == C_HINT; k++)
            hints[1]++;
        if (i == each.n || k == runs.got.n)
            break;
        wrong += !same_call(&each.v[i], &runs.got.v[k]);
        n_rec += each.v[i].kind == C_RECORD;
    }
    CHECK(i == each.n && k == runs.got.n);
    CHECK_INT(n_rec, RUN);
    CHECK_INT(wrong, 0);
    CHECK_INT(hints[1], hints[0]);
    CHECK(runs.runs > 0 && runs.runs < RUN / 16);
    free(each.v);
    free(runs.got.v);
}

/* A sink that reads of a message its id and fate alone (fates_only) gets
 * every message, in order with the calls around them, whatever its id. */
static void test_fates_only(void)
{
    struct calls got = { 0 };
    struct slog inner = { .ops = &calls_ops, .ctx = &got, .per_record = true,
                          .no_key_names = true, .fates_only = true };
    struct lgt *t = lgt_create(&inner);
    CHECK(t != NULL);
    if (!t)
        return;
    struct slog log = lgt_sink(t);
    CHECK(log.fates_only);
    const uint64_t huge = UINT64_MAX - 5;
    for (uint32_t i = 0; i < 3000; i++) {
        struct slog_message m = message_of(i, false);
        if (i == 1234)
            m.message_id = huge;
        log.ops->message(log.ctx, &m);
        if (i % 700 == 0)
            log.ops->checkpoint(log.ctx, shard_ids[0], 1, i, CKPT_SUCCESS);
    }
    lgt_destroy(t);
    size_t n_msg = 0, n_ckpt = 0, wrong = 0;
    for (size_t i = 0; i < got.n; i++) {
        const struct call *x = &got.v[i];
        if (x->kind == C_CHECKPOINT) {
            wrong += x->key_id != 700 * n_ckpt++ || n_msg != x->key_id + 1;
            continue;
        }
        uint32_t j = (uint32_t)n_msg++;
        struct slog_message want = message_of(j, false);
        if (j == 1234) {
            want.message_id = huge;
            wrong += x->kind != C_MESSAGE || !same_message(&x->m, &want);
        } else {
            wrong += x->kind != C_MESSAGE || x->m.message_id != want.message_id ||
                     x->m.fate != want.fate;
        }
    }
    CHECK_INT(n_msg, 3000);
    CHECK_INT(n_ckpt, 5);
    CHECK_INT(wrong, 0);
    free(got.v);
}

/* ---- the handoffs between the threads ----------------------------------- */

/* A sink that checks records come in order (message ids 0, 1, 2, ...) and
 * stalls at every stall_every-th (a writer behind: the queue fills). */
struct order_sink {
    uint64_t next;             /* the message id expected */
    size_t wrong;
    uint32_t stall_every;      /* 0: never */
};

static void order_record(void *ctx, const struct slog_record *r)
{
    struct order_sink *o = ctx;
    o->wrong += r->message_id != o->next++;
    if (o->stall_every && o->next % o->stall_every == 0)
        nanosleep(&(struct timespec){ .tv_nsec = 300000 }, NULL);
}

static void order_records(void *ctx, const struct slog_run *run, const struct slog_row *rows,
                          uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        struct slog_record r = slog_record_of(run, &rows[i], i);
        order_record(ctx, &r);
    }
}

static const struct slog_ops order_ops = {
    .record = order_record, .records = order_records, .failed = calls_failed,
};

/* SPEC 3 and 6 (every row once, in the order made, whatever --threads):
 * 300,000 records (19 MB: 36 chunks) in runs of 1 to 64, a flush now and
 * then: to a writer behind the simulation (its side waits for a chunk to be
 * freed), then to one ahead that sleeps while the simulation pauses (woken
 * once chunks are queued).  A wake-up lost hangs the test. */
static void test_handoffs(void)
{
    enum { N = 300000 };
    for (int writer_behind = 1; writer_behind >= 0; writer_behind--) {
        struct order_sink o = { .stall_every = writer_behind ? 25000 : 0 };
        struct slog inner = { .ops = &order_ops, .ctx = &o, .per_record = true,
                              .no_key_names = true };
        struct lgt *t = lgt_create(&inner);
        CHECK(t != NULL);
        if (!t)
            return;
        struct slog log = lgt_sink(t);
        struct slog_row rows[64];
        for (uint32_t i = 0, len = 1; i < N; len = len % 64 + 1) {
            uint32_t n = 0;
            const struct slog_run run = { .first_sequence_number = i };
            while (n < len && i < N)
                rows[n++] = (struct slog_row){ .shard_id = shard_ids[0], .message_id = i++ };
            log.ops->records(log.ctx, &run, rows, n);
            if (!writer_behind && i % 30000 < n)
                nanosleep(&(struct timespec){ .tv_nsec = 300000 }, NULL);
            if (i % 97000 < n)
                lgt_flush(t);
        }
        lgt_finish(t);
        CHECK_INT(o.next, N);
        CHECK_INT(o.wrong, 0);
        lgt_destroy(t);
    }
}


/* ---- a relayed message table ---------------------------------------------- */

#define T_REQS 300         /* requests of T_N messages */
#define T_N 10
#define T_HELD 150         /* a request's records leave the stream this many requests later */
#define T_ROWS (T_REQS * T_N + T_REQS)

/* What a sink got: a message (every field) or a checkpoint, in order. */
struct trow {
    bool ckpt;
    uint64_t seq;
    struct slog_message m;
};
struct tsink {
    struct trow *v;
    size_t n;
};

static void ts_message(void *ctx, const struct slog_message *m)
{
    struct tsink *s = ctx;
    if (s->n < T_ROWS)
        s->v[s->n++] = (struct trow){ .m = *m };
}

static void ts_checkpoint(void *ctx, const char *shard_id, int64_t at_us, uint64_t seq,
                          enum ckpt_reason reason)
{
    (void)shard_id, (void)at_us, (void)reason;
    struct tsink *s = ctx;
    if (s->n < T_ROWS)
        s->v[s->n++] = (struct trow){ .ckpt = true, .seq = seq };
}

static bool ts_failed(void *ctx)
{
    (void)ctx;
    return false;
}

static const struct slog_ops ts_ops = { .message = ts_message, .checkpoint = ts_checkpoint,
                                        .failed = ts_failed };

/* What a run of the script left: the table's figures, the ids it gave, the
 * budget at each sync point. */
struct tresult {
    uint64_t counts[FATE_COUNT], duplicated, created, ids;
    uint64_t budget[T_REQS];
};

/*
 * Requests of T_N messages, the i-th request's ids 10 i + 1 .. 10 i + 10:
 * all accepted (one delivered_run, or a call for their ids), or (every
 * fifth) each delivered apart
 * but its 4th, written twice (a producer duplicate), and its 8th, never
 * written (rejected when let go).  T_HELD requests later their records
 * leave the stream: a set with one fate, or one by one; the duplicate's
 * second record expires.  A checkpoint every fourth request, a sync point
 * after each.  Then, stopped early (the log reads no message more) or not,
 * the end: the messages in flight pending, logged or not.  relay: the
 * relay the table's calls go through (log its sink), or NULL.
 */
static void tscript(struct msgtab *t, const struct slog *log, struct keytab *keys,
                    struct lgt *relay, bool stop, struct tresult *out)
{
    static const char *const names_of[] = { "api", "batch" };
    static const enum fate fates[] = { FATE_PROCESSED, FATE_DISCARDED, FATE_LOST };
    char name[16];
    *out = (struct tresult){ 0 };
    for (uint32_t r = 0; r < T_REQS; r++) {
        struct stm_put_entry e[T_N];
        for (uint32_t i = 0; i < T_N; i++) {
            snprintf(name, sizeof name, "user-%u", (r * T_N + i) % 37);
            e[i] = (struct stm_put_entry){ .created_us = 1000 * r + i, .bytes = 100 + i,
                                           .key_id = keytab_add(keys, name) };
        }
        CHECK_INT(msg_new_request(t, names_of[r % 3 == 2], e, T_N), T_N);
        for (uint32_t i = 0; i < T_N; i++)
            out->ids += e[i].message_id == (uint64_t)r * T_N + i + 1;
        if (r % 5 == 1) {
            for (uint32_t i = 0; i < T_N; i++) {
                uint64_t id = e[i].message_id;
                if (i == 3) {
                    msg_written(t, id);
                    msg_written(t, id);
                    msg_released(t, id);
                } else if (i == 7) {
                    msg_released(t, id);
                } else {
                    msg_delivered(t, id);
                }
            }
        } else if (r % 5 == 3) {
            uint64_t ids[T_N];
            for (uint32_t i = 0; i < T_N; i++)
                ids[i] = e[i].message_id;
            msg_delivered_ids(t, ids, T_N);
        } else {
            msg_delivered_run(t, e[0].message_id, T_N);
        }
        if (r >= T_HELD) {
            uint32_t q = r - T_HELD;
            uint64_t ids[T_N];
            uint32_t n = 0;
            for (uint32_t i = 0; i < T_N; i++)
                if (q % 5 != 1 || i != 7)
                    ids[n++] = (uint64_t)q * T_N + i + 1;
            if (q % 5 == 4)
                for (uint32_t i = 0; i < n; i++)
                    msg_record_done(t, ids[i], fates[q % 3]);
            else
                msg_records_done(t, ids, n, fates[q % 3]);
            if (q % 5 == 1)
                msg_record_done(t, (uint64_t)q * T_N + 4, FATE_EXPIRED);
        }
        if (r % 4 == 0)
            log->ops->checkpoint(log->ctx, "S", r, r, CKPT_SUCCESS);
        msg_sync(t);
        while (!msg_budget_bytes(t, r + 1, &out->budget[r]) && relay)
            lgt_flush(relay);
    }
    if (stop)
        msg_log_off(t);
    msg_finish(t);
    msg_released(t, 5);   /* after the end: nothing */
    if (relay) {
        lgt_finish(relay);
        msg_unrelay(t);
    }
    msg_counts(t, out->counts);
    out->duplicated = msg_duplicated(t);
    out->created = msg_created(t);
}

/* R17, SPEC 6: the message table relayed to the log's thread (the
 * simulation's calls carried in order with the sink's, applied there to
 * the table that holds the entries) logs the same messages, every field,
 * at the same places among the sink's other calls, gives the same ids,
 * counts and duplicates, and the same memory budget at every sync point,
 * as one called directly: tables on (rows, names), stopped early (no row
 * for what is in flight) or not, and fates alone (tables off). */
static void test_relayed_table(int mode)
{
    bool stop = mode == 1, fates_only = mode == 2;
    struct keytab *keys = keytab_create();
    struct tsink sa = { calloc(T_ROWS, sizeof(struct trow)), 0 };
    struct tsink sb = { calloc(T_ROWS, sizeof(struct trow)), 0 };
    struct tresult *ra = malloc(sizeof *ra), *rb = malloc(sizeof *rb);
    CHECK(keys && sa.v && sb.v && ra && rb);
    if (!keys || !sa.v || !sb.v || !ra || !rb)
        return;
    struct slog la = { .ops = &ts_ops, .ctx = &sa, .per_record = true, .no_key_names = fates_only,
                       .fates_only = fates_only };
    struct slog lb = la;
    lb.ctx = &sb;
    struct msgtab *ta = msg_create(&la, keys), *tb = msg_create(&lb, keys);
    struct lgt *relay = lgt_create(&lb);
    CHECK(ta && tb && relay);
    if (!ta || !tb || !relay)
        return;
    CHECK(lgt_relay_msgs(relay, tb));
    struct slog out = lgt_sink(relay);
    tscript(ta, &la, keys, NULL, stop, ra);
    tscript(tb, &out, keys, relay, stop, rb);

    CHECK_INT(ra->ids, T_REQS * T_N);   /* every id as a table called directly gives it */
    CHECK_INT(rb->ids, T_REQS * T_N);
    CHECK_INT(ra->created, T_REQS * T_N);
    CHECK_INT(rb->created, T_REQS * T_N);
    CHECK_INT(ra->duplicated, T_REQS / 5);
    CHECK_INT(rb->duplicated, T_REQS / 5);
    /* the messages still in flight at the end (the last T_HELD requests' but
     * the rejected) are pending, logged or not */
    CHECK_INT(ra->counts[FATE_PENDING], T_HELD * T_N - T_HELD / 5);
    CHECK_INT(ra->counts[FATE_REJECTED], T_REQS / 5);
    for (int f = 0; f < FATE_COUNT; f++)
        CHECK_INT(rb->counts[f], ra->counts[f]);
    uint32_t budget_wrong = 0;
    for (uint32_t r = 0; r < T_REQS; r++)
        budget_wrong += ra->budget[r] != rb->budget[r];
    CHECK_INT(budget_wrong, 0);
    CHECK_INT(ra->budget[0], 1024 * 40);   /* before MSG_BYTES_LAG syncs: the ring for 10 ids */
    /* at the end: the ring of ~1,500 in flight (2,048), and the 2,140 ids
     * given since the base of 64 syncs before (861): 4,096 */
    CHECK_INT(ra->budget[T_REQS - 1], 4096 * 40);

    /* rows: all 3,000, or those settled before the stop (the first T_HELD
     * requests', and the rejected of the others) */
    size_t ckpts = (T_REQS + 3) / 4;
    CHECK_INT(sa.n, (stop ? T_HELD * T_N + T_HELD / 5 : T_REQS * T_N) + ckpts);
    CHECK_INT(sb.n, sa.n);
    uint32_t wrong = 0;
    for (size_t i = 0; i < sa.n && i < sb.n; i++) {
        const struct trow *a = &sa.v[i], *b = &sb.v[i];
        wrong += a->ckpt != b->ckpt || a->seq != b->seq || a->m.message_id != b->m.message_id ||
                 a->m.fate != b->m.fate || a->m.producer != b->m.producer ||
                 a->m.partition_key != b->m.partition_key || a->m.key_id != b->m.key_id ||
                 a->m.created_us != b->m.created_us || a->m.bytes != b->m.bytes;
    }
    CHECK_INT(wrong, 0);
    /* the sample row: message 12 (request 1's 2nd, processed), or its id and fate alone */
    const struct trow *m12 = NULL;
    for (size_t i = 0; i < sb.n; i++)
        if (!sb.v[i].ckpt && sb.v[i].m.message_id == 12)
            m12 = &sb.v[i];
    CHECK(m12 != NULL);
    if (m12) {
        CHECK_INT(m12->m.fate, FATE_DISCARDED);   /* request 1: fates[1] */
        if (fates_only) {
            CHECK(m12->m.producer == NULL && m12->m.partition_key == NULL);
        } else {
            CHECK_STR(m12->m.producer, "api");
            CHECK_STR(m12->m.partition_key, "user-11");
            CHECK_INT(m12->m.bytes, 101);
            CHECK_INT(m12->m.created_us, 1001);
        }
    }
    lgt_destroy(relay);
    msg_destroy(ta);
    msg_destroy(tb);
    keytab_destroy(keys);
    free(sa.v);
    free(sb.v);
    free(ra);
    free(rb);
}

/* A sink for the thread's first job and its idle calls: the checkpoints it
 * got, whether the job came first, and how often it was told idle. */
struct started_sink {
    int checkpoints;
    int checkpoints_at_start;   /* -1: the job has not run */
    int rc;                     /* the job's result */
    atomic_int idle;
};

static void started_checkpoint(void *ctx, const char *shard_id, int64_t at_us,
                               uint64_t sequence_number, enum ckpt_reason reason)
{
    (void)shard_id, (void)at_us, (void)sequence_number, (void)reason;
    ((struct started_sink *)ctx)->checkpoints++;
}

static void started_idle(void *ctx)
{
    atomic_fetch_add(&((struct started_sink *)ctx)->idle, 1);
}

static bool started_failed(void *ctx)
{
    const struct started_sink *k = ctx;
    return k->checkpoints_at_start >= 0 && k->rc != 0;
}

static const struct slog_ops started_ops = {
    .checkpoint = started_checkpoint, .idle = started_idle, .failed = started_failed,
};

static int started_job(void *ctx)
{
    struct started_sink *k = ctx;
    struct timespec pause = { 0, 20 * 1000000 };   /* the caller queues calls meanwhile */
    nanosleep(&pause, NULL);
    k->checkpoints_at_start = k->checkpoints;
    return k->rc;
}

/* The thread's first job (simulation.c opens the run log there) runs
 * before any call reaches the inner sink; a job that fails leaves every
 * call dropped.  Once the thread has caught up, it tells the sink it is
 * idle (the run log commits then), and not at the end. */
static void test_first_job(int rc)
{
    struct started_sink k = { .checkpoints_at_start = -1, .rc = rc };
    atomic_init(&k.idle, 0);
    struct slog inner = { .ops = &started_ops, .ctx = &k };
    struct lgt *t = lgt_create_after(&inner, started_job, &k);
    CHECK(t != NULL);
    if (!t)
        return;
    struct slog log = lgt_sink(t);
    for (int i = 0; i < 3; i++)
        log.ops->checkpoint(log.ctx, "S", i, (uint64_t)i + 1, CKPT_SUCCESS);
    CHECK_INT(lgt_started(t), rc);
    CHECK_INT(k.checkpoints_at_start, 0);
    lgt_flush(t);   /* the calls queued, and replayed */
    struct timespec tick = { 0, 1000000 };
    for (int i = 0; i < 5000 && atomic_load(&k.idle) == 0; i++)
        nanosleep(&tick, NULL);
    CHECK_INT(atomic_load(&k.idle) > 0, rc == 0);   /* a failed sink is not told */
    int idle = atomic_load(&k.idle);
    lgt_finish(t);
    CHECK_INT(atomic_load(&k.idle), idle);
    CHECK_INT(k.checkpoints, rc == 0 ? 3 : 0);
    CHECK_INT(log.ops->failed(log.ctx), rc != 0);
    lgt_destroy(t);
}

int main(void)
{
    test_delivery_runs();
    test_delivery_run();
    test_record_runs(false);
    test_record_runs(true);
    test_records_runs();
    test_replayed_runs();
    test_fates_only();
    test_handoffs();
    for (int mode = 0; mode < 3; mode++)
        test_relayed_table(mode);
    test_first_job(0);
    test_first_job(-1);
    return check_done();
}
