/*
 * test_observer.c - the observer (issue 13 item 3) fed by hand: per-key order
 * judged in invocation order although invocations end out of order (R10,
 * R12), consumer and producer duplicates (R17, SPEC 1.3), nearest-rank
 * IteratorAge percentiles (R14), and memory that follows what is in flight:
 * records let go once the checkpoint passes them, messages once settled.
 */
#include "check.h"
#include "msgtab.h"
#include "observer.h"
#include "keytab.h"

/* ---- a sink that keeps nothing ---- */
static void n_shard(void *c, const struct slog_shard *s) { (void)c; (void)s; }
static void n_message(void *c, const struct slog_message *m) { (void)c; (void)m; }
static void n_record(void *c, const struct slog_record *r) { (void)c; (void)r; }
static void n_invocation(void *c, const struct slog_invocation *i) { (void)c; (void)i; }
static void n_delivery(void *c, uint64_t id, const char *s, uint64_t seq, bool h)
{
    (void)c; (void)id; (void)s; (void)seq; (void)h;
}
static void n_checkpoint(void *c, const char *s, int64_t at, uint64_t seq, enum ckpt_reason r)
{
    (void)c; (void)s; (void)at; (void)seq; (void)r;
}
static void n_discard(void *c, const struct slog_discard *d) { (void)c; (void)d; }
static void n_metric(void *c, int64_t at, const char *n, const char *s, double v)
{
    (void)c; (void)at; (void)n; (void)s; (void)v;
}
static bool n_failed(void *c) { (void)c; return false; }
static const struct slog_ops null_ops = {
    .shard = n_shard, .message = n_message, .record = n_record, .invocation = n_invocation,
    .delivery = n_delivery, .checkpoint = n_checkpoint, .discard = n_discard,
    .metric = n_metric, .failed = n_failed,
};

struct fixture {
    struct obs *o;
    struct slog sink;
    struct keytab *keys;
    struct msgtab *msgs;
};

static void setup(struct fixture *f)
{
    struct slog null = { .ops = &null_ops, .per_record = true };
    f->o = obs_create(&null, 1000000000);
    f->sink = obs_sink(f->o);
    f->keys = keytab_create();
    f->msgs = msg_create(&f->sink, f->keys);
    obs_set_keys(f->o, f->keys);
    struct slog_shard sh = { .shard_id = "S", .opened_us = 0, .closed_us = -1 };
    f->sink.ops->shard(f->sink.ctx, &sh);
}

static void teardown(struct fixture *f)
{
    msg_destroy(f->msgs);
    keytab_destroy(f->keys);
    obs_destroy(f->o);
}

/* A message of key created at created_ms (ms), still held by its producer. */
static uint64_t message(struct fixture *f, const char *key, int64_t created_ms)
{
    return msg_new(f->msgs, "p", keytab_add(f->keys, key), 10, created_ms * 1000);
}

/* A record of message id written to shard with seq, arriving at arrival_ms. */
static void record(struct fixture *f, const char *shard, uint64_t id, const char *key, uint64_t seq,
                   int64_t arrival_ms)
{
    msg_written(f->msgs, id);
    struct slog_record r = { .shard_id = shard, .sequence_number = seq, .message_id = id,
                             .partition_key = key,
                             .key_id = keytab_add(f->keys, key),   /* equal keys, equal ids */
                             .arrival_us = arrival_ms * 1000, .bytes = 10,
                             .created_us = msg_created_us(f->msgs, id) };
    f->sink.ops->record(f->sink.ctx, &r);
}

/* A message created at created_ms, written as one record with seq. */
static uint64_t write(struct fixture *f, const char *key, int64_t created_ms, uint64_t seq)
{
    uint64_t id = message(f, key, created_ms);
    record(f, "S", id, key, seq, created_ms + 5);
    msg_released(f->msgs, id);
    return id;
}

/* Invocation id, started at start_ms, ends now: its deliveries, then its row. */
static void end(struct fixture *f, uint64_t id, int64_t start_ms, const uint64_t *seqs, int n,
                enum outcome outcome, int64_t age_ms)
{
    for (int i = 0; i < n; i++)
        f->sink.ops->delivery(f->sink.ctx, id, "S", seqs[i], outcome == OUTCOME_SUCCESS);
    struct slog_invocation inv = { .invocation_id = id, .shard_id = "S", .start_us = start_ms * 1000,
                                   .end_us = start_ms * 1000 + 100000, .record_count = (uint32_t)n,
                                   .outcome = outcome, .iterator_age_us = age_ms * 1000 + 999,
                                   .iterator_age_at_send_us = -1 };
    f->sink.ops->invocation(f->sink.ctx, &inv);
}

static void checkpoint(struct fixture *f, uint64_t seq)
{
    f->sink.ops->checkpoint(f->sink.ctx, "S", 0, seq, CKPT_SUCCESS);
}

/* R10/R12: invocation 1 (started first) took seq 20, invocation 2 seq 10 of the
 * same key; 2 ended first.  In invocation order seq 10 came after seq 20: one
 * violation, whatever order they ended in. */
static void test_order_by_invocation_not_by_end(void)
{
    struct fixture f;
    setup(&f);
    write(&f, "k", 0, 10);
    write(&f, "k", 1, 20);
    end(&f, 2, 300, (uint64_t[]){ 10 }, 1, OUTCOME_SUCCESS, 50);
    CHECK_INT(obs_figures(f.o)->order_by_sequence, 0);   /* 2 waits for 1 */
    end(&f, 1, 200, (uint64_t[]){ 20 }, 1, OUTCOME_SUCCESS, 60);
    checkpoint(&f, 20);
    msg_finish(f.msgs);
    obs_finish(f.o, 1000000);
    const struct obs_figures *fig = obs_figures(f.o);
    CHECK_INT(fig->order_by_sequence, 1);
    CHECK_INT(fig->n_sequence_examples, 1);
    CHECK_STR(fig->sequence_examples[0].partition_key, "k");
    CHECK_INT(fig->sequence_examples[0].late.sequence_number, 10);
    CHECK_INT(fig->sequence_examples[0].late.first_delivered_ms, 300);
    CHECK_INT(fig->sequence_examples[0].after.sequence_number, 20);
    CHECK_INT(fig->sequence_examples[0].after.first_delivered_ms, 200);
    /* producer order too: message 1 (created 0 ms) after message 2 (created 1 ms) */
    CHECK_INT(fig->order_by_producer, 1);
    CHECK_INT(fig->producer_examples[0].late.message_id, 1);
    CHECK_INT(fig->producer_examples[0].after.time_ms, 1);
    teardown(&f);
}

/* The converse: 1 took seq 10, 2 took seq 20, 2 ended first: no violation. */
static void test_in_order_ended_out_of_order(void)
{
    struct fixture f;
    setup(&f);
    write(&f, "k", 0, 10);
    write(&f, "k", 1, 20);
    end(&f, 2, 300, (uint64_t[]){ 20 }, 1, OUTCOME_SUCCESS, 50);
    end(&f, 1, 200, (uint64_t[]){ 10 }, 1, OUTCOME_SUCCESS, 60);
    checkpoint(&f, 20);
    msg_finish(f.msgs);
    obs_finish(f.o, 1000000);
    CHECK_INT(obs_figures(f.o)->order_by_sequence, 0);
    CHECK_INT(obs_figures(f.o)->order_by_producer, 0);
    teardown(&f);
}

/* R17 consumer duplicates, R14 percentiles, and memory: a record is held until
 * the checkpoint passes it, a message until its fate is final. */
static void test_duplicates_ages_memory(void)
{
    struct fixture f;
    setup(&f);
    for (uint64_t s = 1; s <= 4; s++)
        write(&f, "k", (int64_t)s, s);
    CHECK_INT(obs_records_held(f.o), 4);
    CHECK_INT(obs_messages_held(f.o), 4);
    /* 1 fails after handling seq 1 and 2 (throw: handled before the failure) */
    f.sink.ops->delivery(f.sink.ctx, 1, "S", 1, true);
    f.sink.ops->delivery(f.sink.ctx, 1, "S", 2, true);
    struct slog_invocation inv = { .invocation_id = 1, .shard_id = "S", .outcome = OUTCOME_ERROR,
                                   .record_count = 2, .iterator_age_us = 100000,
                                   .iterator_age_at_send_us = -1 };
    f.sink.ops->invocation(f.sink.ctx, &inv);
    end(&f, 2, 10, (uint64_t[]){ 1, 2 }, 2, OUTCOME_SUCCESS, 200);
    checkpoint(&f, 2);
    msg_record_done(f.msgs, 1, FATE_PROCESSED);
    msg_record_done(f.msgs, 2, FATE_PROCESSED);
    CHECK_INT(obs_records_held(f.o), 2);    /* seq 3 and 4 are still in the stream */
    CHECK_INT(obs_messages_held(f.o), 2);
    end(&f, 3, 20, (uint64_t[]){ 3, 4 }, 2, OUTCOME_SUCCESS, 300);
    end(&f, 4, 30, NULL, 0, OUTCOME_THROTTLED, -2);
    checkpoint(&f, 4);
    msg_record_done(f.msgs, 3, FATE_PROCESSED);
    msg_record_done(f.msgs, 4, FATE_PROCESSED);
    CHECK_INT(obs_records_held(f.o), 0);
    CHECK_INT(obs_messages_held(f.o), 0);
    msg_finish(f.msgs);
    obs_finish(f.o, 1000000);
    const struct obs_figures *fig = obs_figures(f.o);
    CHECK_INT(fig->deliveries, 6);
    CHECK_INT(fig->redelivered_records, 2);
    CHECK_INT(fig->redeliveries, 2);
    CHECK_INT(fig->reprocessed_records, 2);
    CHECK_INT(fig->messages[FATE_PROCESSED], 4);
    CHECK_INT(fig->invocations[OUTCOME_THROTTLED], 1);
    CHECK_INT(fig->checkpoints[CKPT_SUCCESS], 2);
    /* ages 100, 200, 300 ms: p50 the 2nd, p90 and p99 the 3rd */
    CHECK_INT(fig->age.count, 3);
    CHECK_INT(fig->age.p50, 200);
    CHECK_INT(fig->age.p90, 300);
    CHECK_INT(fig->age.max, 300);
    CHECK_INT(fig->n_shards, 1);
    CHECK_INT(fig->shards[0].invocations, 3);
    CHECK_INT(fig->shards[0].throttled, 1);
    teardown(&f);
}

/* SPEC 1.3: one message written as two records is a producer duplicate. */
static void test_producer_duplicates(void)
{
    struct fixture f;
    setup(&f);
    uint64_t id = message(&f, "k", 0);
    for (uint64_t seq = 1; seq <= 2; seq++)
        record(&f, "S", id, "k", seq, 0);
    msg_released(f.msgs, id);
    end(&f, 1, 0, (uint64_t[]){ 1, 2 }, 2, OUTCOME_SUCCESS, 1);
    checkpoint(&f, 2);
    msg_finish(f.msgs);
    obs_finish(f.o, 1000000);
    CHECK_INT(obs_figures(f.o)->producer_duplicates, 1);
    CHECK_INT(obs_figures(f.o)->producer_duplicate_records, 1);
    CHECK_INT(obs_figures(f.o)->order_by_producer, 0);   /* its second record is not late */
    teardown(&f);
}

/* SPEC 1.3 and the retention bounds: a message written again after its first
 * record was let go (never delivered, so it may have expired) is a producer
 * duplicate whose first record still counts once its fate is final (issue 15:
 * a message written once holds one byte, the rest rides on its record). */
static void test_duplicate_after_first_let_go(void)
{
    struct fixture f;
    setup(&f);
    uint64_t id = message(&f, "k", 0);
    record(&f, "S", id, "k", 1, 0);
    CHECK_INT(obs_messages_held(f.o), 1);
    checkpoint(&f, 1);                            /* trimmed: let go undelivered */
    msg_record_done(f.msgs, id, FATE_EXPIRED);
    CHECK_INT(obs_records_held(f.o), 0);
    CHECK_INT(obs_messages_held(f.o), 0);         /* written once: nothing but a byte */
    record(&f, "S", id, "k", 2, 1);               /* the producer's retry lands too */
    CHECK_INT(obs_messages_held(f.o), 1);
    CHECK_INT(obs_figures(f.o)->producer_duplicates, 1);
    msg_released(f.msgs, id);
    end(&f, 1, 10, (uint64_t[]){ 2 }, 1, OUTCOME_SUCCESS, 1);
    checkpoint(&f, 2);
    msg_record_done(f.msgs, id, FATE_PROCESSED);  /* its fate: the best of its records' */
    CHECK_INT(obs_messages_held(f.o), 0);
    msg_finish(f.msgs);
    obs_finish(f.o, 1000000);
    const struct obs_figures *fig = obs_figures(f.o);
    CHECK_INT(fig->messages[FATE_PROCESSED], 1);
    CHECK_INT(fig->producer_duplicates, 1);
    CHECK_INT(fig->producer_duplicate_records, 1);
    CHECK_INT(fig->order_by_producer, 0);
    CHECK_INT(fig->expired_messages, 0);
    CHECK_INT(fig->expired_records_max, 1);      /* its first record may have expired */
    teardown(&f);
}

/* Issue 15: the observer's memory follows the ids in flight at a byte each.
 * One message held on shard T keeps 100,000 later ids in the message ring;
 * their records, processed on S, are let go. */
static void test_message_ring_bytes(void)
{
    struct fixture f;
    setup(&f);
    uint64_t stuck = message(&f, "k", 0);
    record(&f, "T", stuck, "k", 1, 0);
    msg_released(f.msgs, stuck);
    for (uint64_t i = 1; i <= 100000; i++) {
        uint64_t seq = i + 1, id = write(&f, "k", (int64_t)i, seq);
        end(&f, i, (int64_t)i, &seq, 1, OUTCOME_SUCCESS, 1);
        checkpoint(&f, seq);
        msg_record_done(f.msgs, id, FATE_PROCESSED);
    }
    CHECK_INT(obs_records_held(f.o), 1);
    CHECK_INT(obs_messages_held(f.o), 1);
    CHECK(obs_bytes(f.o) < 400000);               /* 24 bytes an id was 3 MB */
    msg_finish(f.msgs);
    obs_finish(f.o, 1000000000);
    CHECK_INT(obs_figures(f.o)->deliveries, 100000);
    CHECK_INT(obs_figures(f.o)->order_by_sequence, 0);
    teardown(&f);
}

int main(void)
{
    test_order_by_invocation_not_by_end();
    test_in_order_ended_out_of_order();
    test_duplicates_ages_memory();
    test_producer_duplicates();
    test_duplicate_after_first_let_go();
    test_message_ring_bytes();
    return check_done();
}
