/*
 * test_observer.c - the observer (issue 13 item 3) fed by hand: per-key order
 * judged in invocation order although invocations end out of order (R10,
 * R12), consumer and producer duplicates (R17, SPEC 1.3), nearest-rank
 * IteratorAge percentiles (R14), and memory that follows what is in flight:
 * records let go once the checkpoint passes them, messages once settled;
 * a key table sized by a hint, growing past it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "msgtab.h"
#include "observer.h"
#include "observer_counts.h"
#include "observer_points.h"
#include "keytab.h"

/* ---- a sink that keeps nothing ---- */
static void n_shard(void *c, const struct slog_shard *s) { (void)c; (void)s; }
static void n_message(void *c, const struct slog_message *m) { (void)c; (void)m; }
static void n_record(void *c, const struct slog_record *r) { (void)c; (void)r; }
static void n_invocation(void *c, const struct slog_invocation *i) { (void)c; (void)i; }
static void n_deliveries(void *c, uint64_t id, const char *s, const uint64_t *seqs, uint32_t n,
                         bool h)
{
    (void)c; (void)id; (void)s; (void)seqs; (void)n; (void)h;
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
    .deliveries = n_deliveries, .checkpoint = n_checkpoint, .discard = n_discard,
    .metric = n_metric, .failed = n_failed,
};

struct fixture {
    struct obs *o;
    struct slog sink;
    struct keytab *keys;
    struct msgtab *msgs;
};

/* ---- a next sink that counts records, one call each or a run a call ---- */
struct run_count {
    size_t lone, runs, rows;
    uint64_t seqs;              /* the sequence numbers, in order, hashed */
};
static void rc_record(void *c, const struct slog_record *r)
{
    struct run_count *k = c;
    k->lone++;
    k->seqs = k->seqs * 31 + r->sequence_number;
}
static void rc_records(void *c, const struct slog_run *run, const struct slog_row *rows, uint32_t n)
{
    struct run_count *k = c;
    k->runs++;
    k->rows += n;
    for (uint32_t i = 0; i < n; i++)
        k->seqs = k->seqs * 31 + run->first_sequence_number + i;
}
static const struct slog_ops run_count_ops = {
    .shard = n_shard, .message = n_message, .record = rc_record, .records = rc_records,
    .invocation = n_invocation, .deliveries = n_deliveries, .checkpoint = n_checkpoint,
    .discard = n_discard, .metric = n_metric, .failed = n_failed,
};

/* The fixture with the observer passing on to next. */
static void setup_next(struct fixture *f, const struct slog *next)
{
    f->o = obs_create(next, 1000000000);
    f->sink = obs_sink(f->o);
    f->keys = keytab_create();
    f->msgs = msg_create(&f->sink, f->keys);
    obs_set_keys(f->o, f->keys);
    struct slog_shard sh = { .shard_id = "S", .opened_us = 0, .closed_us = -1 };
    f->sink.ops->shard(f->sink.ctx, &sh);
}

static void setup(struct fixture *f)
{
    struct slog null = { .ops = &null_ops, .per_record = true };
    setup_next(f, &null);
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

/* The row of a record of message id written to shard with seq, arriving
 * at arrival_ms (the message table told it was written). */
static struct slog_record row(struct fixture *f, const char *shard, uint64_t id, const char *key,
                              uint64_t seq, int64_t arrival_ms)
{
    msg_written(f->msgs, id);
    return (struct slog_record){ .shard_id = shard, .sequence_number = seq, .message_id = id,
                                 .partition_key = key,
                                 .key_id = keytab_add(f->keys, key),   /* equal keys, equal ids */
                                 .arrival_us = arrival_ms * 1000, .bytes = 10,
                                 .created_us = msg_created_us(f->msgs, id) };
}

/* A record of message id written to shard with seq, arriving at arrival_ms. */
static void record(struct fixture *f, const char *shard, uint64_t id, const char *key, uint64_t seq,
                   int64_t arrival_ms)
{
    struct slog_record r = row(f, shard, id, key, seq, arrival_ms);
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

/* Invocation id's row: started at start_ms, ends now. */
static void inv_row(struct fixture *f, uint64_t id, int64_t start_ms, int n, enum outcome outcome,
                    int64_t age_ms)
{
    struct slog_invocation inv = { .invocation_id = id, .shard_id = "S", .start_us = start_ms * 1000,
                                   .end_us = start_ms * 1000 + 100000, .record_count = (uint32_t)n,
                                   .outcome = outcome, .iterator_age_us = age_ms * 1000 + 999,
                                   .iterator_age_at_send_us = -1 };
    f->sink.ops->invocation(f->sink.ctx, &inv);
}

/* Invocation id, started at start_ms, ends now: its deliveries (handled
 * when it succeeded), then its row. */
static void end(struct fixture *f, uint64_t id, int64_t start_ms, const uint64_t *seqs, int n,
                enum outcome outcome, int64_t age_ms)
{
    if (n > 0)
        f->sink.ops->deliveries(f->sink.ctx, id, "S", seqs, (uint32_t)n,
                                outcome == OUTCOME_SUCCESS);
    inv_row(f, id, start_ms, n, outcome, age_ms);
}

static void checkpoint(struct fixture *f, uint64_t seq)
{
    f->sink.ops->checkpoint(f->sink.ctx, "S", 0, seq, CKPT_SUCCESS);
}

/* The run ends after a checkpoint at seq: its figures. */
static const struct obs_figures *finish(struct fixture *f, uint64_t seq)
{
    checkpoint(f, seq);
    msg_finish(f->msgs);
    obs_finish(f->o, 1000000);
    return obs_figures(f->o);
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
    const struct obs_figures *fig = finish(&f, 20);
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
    f.sink.ops->deliveries(f.sink.ctx, 1, "S", (const uint64_t[]){ 1, 2 }, 2, true);
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

/* The six records written (ids) and held, checkpointed up to last_seq and
 * processed: none held after, the run finished; its figures copied to out. */
static const struct obs_figures *settle_six(struct fixture *f, const uint64_t ids[6],
                                            uint64_t last_seq, struct obs_figures *out)
{
    CHECK_INT(obs_records_held(f->o), 6);
    checkpoint(f, last_seq);
    for (int i = 0; i < 6; i++)
        msg_record_done(f->msgs, ids[i], FATE_PROCESSED);
    CHECK_INT(obs_records_held(f->o), 0);
    msg_finish(f->msgs);
    obs_finish(f->o, 1000000);
    *out = *obs_figures(f->o);
    return obs_figures(f->o);
}

/* Records with sequence numbers 10, 20, ..., 60 of shard S (keys a, b
 * alternating, created in sequence order), the observer passing on to a
 * next that takes no per-record rows; the shard's records also had
 * sequence number 5, never logged (a run stopped early).  Invocation 2
 * takes 10 and 20 and ends first, 1 takes 30 and 40, 3 takes 5 to 60 (5
 * and 10 in a call of its own, whose first record is not held, then 20 to
 * 60).  by_run: each as a delivery run (first, last, count), else as the
 * sequence numbers. */
static void delivery_run_or_seqs(bool by_run, struct obs_figures *out)
{
    struct fixture f;
    struct slog none = { .ops = &null_ops, .per_record = false };
    setup_next(&f, &none);
    CHECK(f.sink.ops->delivery_run != NULL);
    uint64_t ids[6];
    for (uint64_t s = 1; s <= 6; s++)
        ids[s - 1] = write(&f, s % 2 ? "a" : "b", (int64_t)s, 10 * s);
    static const uint64_t all[] = { 5, 10, 20, 30, 40, 50, 60 };
    static const struct { uint64_t id; uint32_t from, n; } calls[] = {
        { 2, 1, 2 }, { 1, 3, 2 }, { 3, 0, 2 }, { 3, 2, 5 },
    };
    for (size_t k = 0; k < 4; k++) {
        const uint64_t *seqs = all + calls[k].from;
        uint32_t n = calls[k].n;
        if (by_run)
            f.sink.ops->delivery_run(f.sink.ctx, calls[k].id, "S", seqs[0], seqs[n - 1], n);
        else
            f.sink.ops->deliveries(f.sink.ctx, calls[k].id, "S", seqs, n, true);
        if (k != 2)   /* 3's row after both its calls */
            inv_row(&f, calls[k].id, 10 * (int64_t)calls[k].id, k == 3 ? 6 : 2, OUTCOME_SUCCESS, 5);
    }
    const struct obs_figures *fig = settle_six(&f, ids, 60, out);
    CHECK_INT(fig->deliveries, 11);           /* 2 + 2 + 2 + 5: 5 counted, not held */
    CHECK_INT(fig->redelivered_records, 4);   /* 10 to 40, in 3 again */
    CHECK_INT(fig->redeliveries, 4);
    CHECK_INT(fig->reprocessed_records, 4);
    CHECK_INT(fig->order_by_sequence, 2);     /* 10 after 30, 20 after 40: 1 before 2 */
    CHECK_INT(fig->messages[FATE_PROCESSED], 6);
    teardown(&f);
}

/* The figures deliveries make, the same in got as in want. */
static void check_same_delivery_figures(const struct obs_figures *got,
                                        const struct obs_figures *want)
{
    CHECK_INT(got->deliveries, want->deliveries);
    CHECK_INT(got->redelivered_records, want->redelivered_records);
    CHECK_INT(got->redeliveries, want->redeliveries);
    CHECK_INT(got->reprocessed_records, want->reprocessed_records);
    CHECK_INT(got->order_by_sequence, want->order_by_sequence);
    CHECK_INT(got->order_by_producer, want->order_by_producer);
}

/* Issue 15: a set delivered whole crosses as its first and last sequence
 * numbers and its count (simlog.h, delivery_run), offered only when the
 * next sink takes no sequence numbers; it makes the figures its sequence
 * numbers make, records not held among them or not. */
static void test_delivery_run(void)
{
    struct fixture f;
    setup(&f);   /* a next that takes every delivery */
    CHECK(f.sink.ops->delivery_run == NULL);
    teardown(&f);
    struct obs_figures by_seqs, by_run;
    delivery_run_or_seqs(false, &by_seqs);
    delivery_run_or_seqs(true, &by_run);
    check_same_delivery_figures(&by_run, &by_seqs);
    CHECK_INT(by_run.n_sequence_examples, by_seqs.n_sequence_examples);
    for (size_t i = 0; i < by_run.n_sequence_examples && i < by_seqs.n_sequence_examples; i++) {
        CHECK_INT(by_run.sequence_examples[i].late.sequence_number,
                  by_seqs.sequence_examples[i].late.sequence_number);
        CHECK_INT(by_run.sequence_examples[i].after.sequence_number,
                  by_seqs.sequence_examples[i].after.sequence_number);
    }
    CHECK_INT(by_run.messages[FATE_PROCESSED], by_seqs.messages[FATE_PROCESSED]);
}

/* Records 1..6 (keys a, b alternating, created in sequence order);
 * invocation 1 takes 1, 2, 5, 6 (handled, not, not, handled) and fails,
 * invocation 2 takes 3 and 4, invocation 3 takes 1, 2, 5, 6 again.  by_run:
 * each invocation's deliveries as the mapping gives them, a call per run of
 * one handled flag (the run 2, 5 skips 3 and 4 in the ring); else a call
 * per record. */
static void delivery_runs(bool by_run, struct obs_figures *out)
{
    struct fixture f;
    setup(&f);
    uint64_t ids[6];
    for (uint64_t s = 1; s <= 6; s++)
        ids[s - 1] = write(&f, s % 2 ? "a" : "b", (int64_t)s, s);
    static const uint64_t seqs[] = { 1, 2, 5, 6 };
    static const bool handled[] = { true, false, false, true };
    struct { uint64_t id; const uint64_t *seqs; const bool *handled; uint32_t n;
             enum outcome outcome; } inv[] = {
        { 1, seqs, handled, 4, OUTCOME_ERROR },
        { 2, (const uint64_t[]){ 3, 4 }, (const bool[]){ true, true }, 2, OUTCOME_SUCCESS },
        { 3, seqs, (const bool[]){ true, true, true, true }, 4, OUTCOME_SUCCESS },
    };
    for (size_t k = 0; k < 3; k++) {
        for (uint32_t i = 0, from = 0; i < inv[k].n; i++)
            if (!by_run || i + 1 == inv[k].n || inv[k].handled[i + 1] != inv[k].handled[i]) {
                f.sink.ops->deliveries(f.sink.ctx, inv[k].id, "S", inv[k].seqs + from,
                                       i + 1 - from, inv[k].handled[i]);
                from = i + 1;
            }
        inv_row(&f, inv[k].id, 10 * (int64_t)k, (int)inv[k].n, inv[k].outcome, 5);
    }
    const struct obs_figures *fig = settle_six(&f, ids, 6, out);
    CHECK_INT(fig->deliveries, 10);
    CHECK_INT(fig->redelivered_records, 4);   /* 1, 2, 5, 6 */
    CHECK_INT(fig->redeliveries, 4);
    CHECK_INT(fig->reprocessed_records, 2);   /* 1 and 6: handled twice */
    CHECK_INT(fig->order_by_sequence, 2);     /* 3 after 5, 4 after 6 */
    CHECK_INT(fig->order_by_producer, 2);
    CHECK_INT(fig->n_sequence_examples, 2);
    CHECK_INT(fig->sequence_examples[0].late.sequence_number, 3);
    CHECK_INT(fig->sequence_examples[0].after.sequence_number, 5);
    CHECK_INT(fig->sequence_examples[1].late.sequence_number, 4);
    CHECK_INT(fig->sequence_examples[1].after.sequence_number, 6);
    CHECK_INT(fig->messages[FATE_PROCESSED], 6);
    teardown(&f);
}

/* Issue 15 item 1: an invocation's deliveries given as runs (a handled
 * change in the middle, a sequence number not the next record's) make the
 * figures the same records give one per call. */
static void test_delivery_runs(void)
{
    struct obs_figures by_record, by_run;
    delivery_runs(false, &by_record);
    delivery_runs(true, &by_run);
    check_same_delivery_figures(&by_run, &by_record);
}

/* Messages 0 to n_msgs - 1 (created at their number's millisecond) written
 * as eight records, record k of message of[k], given to the observer one
 * call each or as two runs (records(), two requests' of 4 at two
 * instants), then delivered and checkpointed: what the observer holds
 * after the records, its figures, and what its next sink (which takes
 * runs) got. */
static void record_runs(int n_msgs, const int of[8], bool by_run, struct run_count *next,
                        struct obs_figures *out, size_t *held)
{
    struct fixture f;
    struct slog n = { .ops = &run_count_ops, .ctx = next, .per_record = true };
    setup_next(&f, &n);
    uint64_t *ids = malloc((size_t)n_msgs * sizeof *ids);
    CHECK(ids != NULL);
    if (!ids) {
        teardown(&f);
        return;
    }
    for (int i = 0; i < n_msgs; i++)
        ids[i] = message(&f, i % 2 ? "a" : "b", i);
    struct slog_record rows[8];
    for (int k = 0; k < 8; k++)   /* two requests' records: 4 at 0 ms, 4 at 1 ms */
        rows[k] = row(&f, "S", ids[of[k]], of[k] % 2 ? "a" : "b", 1 + (uint64_t)k, k / 4);
    CHECK(f.sink.ops->records != NULL);
    if (by_run && f.sink.ops->records) {
        for (int h = 0; h < 8; h += 4) {
            const struct slog_run run = { .first_sequence_number = rows[h].sequence_number,
                                          .arrival_us = rows[h].arrival_us };
            struct slog_row part[4];
            for (int k = 0; k < 4; k++)
                part[k] = (struct slog_row){ .shard_id = rows[h + k].shard_id,
                                             .message_id = rows[h + k].message_id,
                                             .created_us = rows[h + k].created_us,
                                             .key_id = rows[h + k].key_id,
                                             .bytes = rows[h + k].bytes };
            f.sink.ops->records(f.sink.ctx, &run, part, 4);
        }
    } else if (!by_run) {
        for (int k = 0; k < 8; k++)
            f.sink.ops->record(f.sink.ctx, &rows[k]);
    }
    held[0] = obs_records_held(f.o);
    held[1] = obs_messages_held(f.o);
    for (int i = 0; i < n_msgs; i++)
        msg_released(f.msgs, ids[i]);
    free(ids);
    end(&f, 1, 10, (uint64_t[]){ 1, 2, 3, 4, 5, 6, 7, 8 }, 8, OUTCOME_SUCCESS, 1);
    checkpoint(&f, 8);
    msg_finish(f.msgs);
    obs_finish(f.o, 1000000);
    *out = *obs_figures(f.o);
    teardown(&f);
}

/* Issue 15 item 1: records given to the observer as a run (the stream's
 * PutRecords) make the figures the same records make one call each, and
 * reach a next sink that takes runs as those runs, the same records in
 * the same order. */
static void test_record_runs(void)
{
    struct run_count lone = { 0 }, run = { 0 };
    struct obs_figures by_record, by_run;
    size_t held_lone[2], held_run[2];
    static const int of[8] = { 0, 1, 2, 3, 2, 4, 5, 2 };   /* the third three times */
    record_runs(6, of, false, &lone, &by_record, held_lone);
    record_runs(6, of, true, &run, &by_run, held_run);
    CHECK_INT(held_lone[0], 8);
    CHECK_INT(held_lone[1], 6);
    CHECK_INT(held_run[0], held_lone[0]);
    CHECK_INT(held_run[1], held_lone[1]);
    CHECK_INT(by_record.producer_duplicates, 1);
    CHECK_INT(by_record.producer_duplicate_records, 2);
    CHECK_INT(by_run.producer_duplicates, by_record.producer_duplicates);
    CHECK_INT(by_run.producer_duplicate_records, by_record.producer_duplicate_records);
    CHECK_INT(by_run.deliveries, by_record.deliveries);
    CHECK_INT(by_run.messages[FATE_PROCESSED], by_record.messages[FATE_PROCESSED]);
    CHECK_INT(by_run.order_by_producer, by_record.order_by_producer);
    CHECK_INT(by_run.order_by_sequence, by_record.order_by_sequence);
    CHECK_INT(lone.lone, 8);
    CHECK_INT(lone.runs, 0);
    CHECK_INT(run.lone, 0);
    CHECK_INT(run.runs, 2);
    CHECK_INT(run.rows, 8);
    CHECK_INT(run.seqs, lone.seqs);
}

/* SPEC 1.3's producer duplicates, each test of a run's record's message id
 * (see_common, issue 15) as one call each: in the first run message 4
 * before 3 (in the message ring, not seen: taken); in the second (after 6,
 * its first, which a new millisecond leaves to see_record) 3 again (seen:
 * a duplicate), 5,000 past the ring's first 4,096 ids (no room: the ring
 * grows), then 5,001. */
static void test_record_run_ids(void)
{
    struct run_count lone = { 0 }, run = { 0 };
    struct obs_figures by_record, by_run;
    size_t held_lone[2], held_run[2];
    static const int of[8] = { 1, 2, 4, 3, 6, 3, 5000, 5001 };
    record_runs(5002, of, false, &lone, &by_record, held_lone);
    record_runs(5002, of, true, &run, &by_run, held_run);
    CHECK_INT(held_lone[0], 8);
    CHECK_INT(held_lone[1], 7);
    CHECK_INT(held_run[0], 8);
    CHECK_INT(held_run[1], 7);
    CHECK_INT(by_record.producer_duplicates, 1);
    CHECK_INT(by_record.producer_duplicate_records, 1);
    CHECK_INT(by_run.producer_duplicates, 1);
    CHECK_INT(by_run.producer_duplicate_records, 1);
    CHECK_INT(by_run.deliveries, 8);
    CHECK_INT(by_record.deliveries, 8);
    CHECK_INT(by_run.messages[FATE_PROCESSED], by_record.messages[FATE_PROCESSED]);
    CHECK_INT(by_run.order_by_producer, by_record.order_by_producer);
    CHECK_INT(by_run.order_by_sequence, by_record.order_by_sequence);
    CHECK_INT(run.runs, 2);
    CHECK_INT(run.rows, 8);
    CHECK_INT(run.seqs, lone.seqs);
}

/* SPEC 1.3: producer order is by creation to the millisecond, then message
 * id, however the microseconds fall: on k1, message 2 created 0.8 ms before
 * message 1 in the same millisecond comes after it (by id), so 1 delivered
 * after 2 is late; on k2, message 4 created 0.5 ms before message 3 but in
 * the millisecond before is late after it, whatever the ids. */
static void test_producer_order_by_millisecond(void)
{
    struct fixture f;
    setup(&f);
    const char *keys[4] = { "k1", "k1", "k2", "k2" };
    const int64_t created_us[4] = { 1000900, 1000100, 4001000, 4000500 };
    const uint64_t seqs[4] = { 20, 10, 30, 40 };
    for (int i = 0; i < 4; i++) {
        uint64_t id = msg_new(f.msgs, "p", keytab_add(f.keys, keys[i]), 10, created_us[i]);
        CHECK_INT(id, (uint64_t)i + 1);
    }
    for (uint64_t id = 2; id >= 1; id--)   /* in sequence order */
        record(&f, "S", id, keys[id - 1], seqs[id - 1], 5000);
    for (uint64_t id = 3; id <= 4; id++)
        record(&f, "S", id, keys[id - 1], seqs[id - 1], 5000);
    for (uint64_t id = 1; id <= 4; id++)
        msg_released(f.msgs, id);
    end(&f, 1, 6000, (uint64_t[]){ 10, 20, 30, 40 }, 4, OUTCOME_SUCCESS, 1);
    const struct obs_figures *fig = finish(&f, 40);
    CHECK_INT(fig->order_by_sequence, 0);
    CHECK_INT(fig->order_by_producer, 2);
    CHECK_INT(fig->n_producer_examples, 2);
    CHECK_INT(fig->producer_examples[0].late.message_id, 1);
    CHECK_INT(fig->producer_examples[0].late.time_ms, 1000);
    CHECK_INT(fig->producer_examples[0].after.message_id, 2);
    CHECK_INT(fig->producer_examples[0].after.time_ms, 1000);
    CHECK_INT(fig->producer_examples[1].late.message_id, 4);
    CHECK_INT(fig->producer_examples[1].late.time_ms, 4000);
    CHECK_INT(fig->producer_examples[1].after.message_id, 3);
    CHECK_INT(fig->producer_examples[1].after.time_ms, 4001);
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

/* Issue 15: memory flat in the simulated duration but for plot's points,
 * which are output (summary_series) and cost 24 bytes a minute a series:
 * at most twice that (arrays that double) and 4 KiB for the series' table.
 * A hash of the points took 96 to 192 bytes a point (1 MiB a simulated hour
 * for the bench's 56 series).  An invocation a minute for `hours` makes 4
 * series (IteratorAge of S and all, delivered, succeeded); obs_finish makes
 * their rows, exactly, and lets the cells go. */
static size_t points_after_hours(int hours)
{
    struct fixture f;
    setup(&f);
    int minutes = 60 * hours;
    for (int m = 0; m < minutes; m++)
        inv_row(&f, (uint64_t)m + 1, (int64_t)m * 60000 + 1000, 3, OUTCOME_SUCCESS, m % 7);
    size_t bytes = obs_points_bytes(f.o);
    CHECK(bytes <= 48 * 4 * (size_t)minutes + 4096);
    obs_finish(f.o, (int64_t)minutes * 60000000);
    const struct obs_figures *fig = obs_figures(f.o);
    CHECK_INT(obs_points_bytes(f.o), 0);
    CHECK_INT(fig->n_points, 4 * minutes);
    if (fig->n_points == 4 * (size_t)minutes) {
        /* chart, then series name ("S" < "all"), then minute */
        const struct obs_point *first = &fig->points[0], *last = &fig->points[4 * minutes - 1];
        CHECK_INT(first->chart, OBS_CHART_AGE);
        CHECK_STR(first->series, "S");
        CHECK_INT(first->minute, 0);
        CHECK_INT((int64_t)first->value, 0);
        CHECK_INT((int64_t)fig->points[minutes - 1].value, (minutes - 1) % 7);
        CHECK_STR(fig->points[minutes].series, "all");
        CHECK_INT(last->chart, OBS_CHART_THROUGHPUT);
        CHECK_STR(last->series, "succeeded");
        CHECK_INT(last->minute, minutes - 1);
        CHECK_INT((int64_t)last->value, 3);
    }
    teardown(&f);
    return bytes;
}

static void test_points_bytes(void)
{
    size_t eight = points_after_hours(8), sixteen = points_after_hours(16);
    CHECK(sixteen <= 2 * eight);
}

/* SPEC 3's plot (R14: IteratorAge, max per minute, per shard and overall)
 * from the points' table of columns a chart: 100 shards' series (the
 * columns grown from 16 to 128), each at minute 2, then before its first
 * cell (minutes 0 and -1: minute 0 is (-60000, 60000) ms, truncated as
 * SQLite divides); shard 0 on a second chart apart; named series: a run of
 * 3 records written twice (sum 6), concurrency's max and mean. */
static void test_points_columns(void)
{
    struct points p = { 0 };
    int failed = 0;
    for (uint32_t s = 0; s < 100; s++) {
        failed += points_add(&p, OBS_CHART_AGE, s, 2 * 60000 + s, s, 1) < 0;
        failed += points_add(&p, OBS_CHART_AGE, s, 59999, 1000 + s, 1) < 0;
        failed += points_add(&p, OBS_CHART_AGE, s, -59999, 5, 1) < 0;
        failed += points_add(&p, OBS_CHART_AGE, s, -60000, 7, 1) < 0;
    }
    failed += points_add(&p, OBS_CHART_OLDEST, 0, 60000, 9, 1) < 0;
    failed += points_add(&p, OBS_CHART_THROUGHPUT, PS_WRITTEN, 120000, 1, 3) < 0;
    failed += points_add(&p, OBS_CHART_THROUGHPUT, PS_WRITTEN, 179999, 1, 3) < 0;
    failed += points_add(&p, OBS_CHART_CONCURRENCY, PS_MAX, 0, 4, 1) < 0;
    failed += points_add(&p, OBS_CHART_CONCURRENCY, PS_MAX, 1, 2, 1) < 0;
    CHECK_INT(failed, 0);
    CHECK_INT(p.n, 103);
    CHECK_INT(p.n_points, 100 * 3 + 3);
    CHECK_INT(p.n_means, 1);
    int wrong = 0;
    for (uint32_t s = 0; s < 100 && s < p.n; s++) {
        const struct pseries *e = &p.s[s];
        wrong += e->chart != OBS_CHART_AGE || e->series != s || e->first != -1 || e->len != 4;
        if (e->len != 4)
            continue;
        wrong += e->cells[0].max != 7 || e->cells[0].sum != 7 || e->cells[0].n != 1;
        wrong += e->cells[1].max != 1000 + s || e->cells[1].sum != 1005 + s || e->cells[1].n != 2;
        wrong += e->cells[2].n != 0;
        wrong += e->cells[3].max != s || e->cells[3].sum != s || e->cells[3].n != 1;
    }
    CHECK_INT(wrong, 0);
    if (p.n == 103) {
        const struct pseries *old = &p.s[100], *written = &p.s[101], *conc = &p.s[102];
        CHECK_INT(old->chart, OBS_CHART_OLDEST);
        CHECK_INT(old->series, 0);
        CHECK_INT(old->first, 1);
        CHECK_INT(old->len, 1);
        CHECK_INT((int64_t)old->cells[0].max, 9);
        CHECK_INT(written->series, PS_WRITTEN);
        CHECK_INT(written->first, 2);
        CHECK_INT(written->len, 1);
        CHECK_INT((int64_t)written->cells[0].sum, 6);
        CHECK_INT(written->cells[0].n, 6);
        CHECK_INT(conc->series, PS_MAX);
        CHECK_INT((int64_t)conc->cells[0].max, 4);
        CHECK_INT((int64_t)conc->cells[0].sum, 6);
        CHECK_INT(conc->cells[0].n, 2);
    }
    points_free(&p);
}

/* R10, R12 (order by sequence) across the key table's growth:
 * obs_reserve_keys is a hint: keys past it still fit (the table grows,
 * key "a"'s state kept across, from a table of the hint's size when it
 * is above 1,024: 1,500, 3,000, then 6,000 for 3,001 keys), and a key space
 * past its cap is not asked for whole.  Key "a": seq 20 delivered first,
 * then 3000 other keys, then seq 10: one violation, by sequence. */
static void test_keys_past_hint(size_t hint)
{
    struct fixture f;
    setup(&f);
    obs_reserve_keys(f.o, hint);
    write(&f, "a", 0, 10);
    write(&f, "a", 1, 20);
    end(&f, 1, 100, (uint64_t[]){ 20 }, 1, OUTCOME_SUCCESS, 10);
    static uint64_t seqs[3000];
    for (int i = 0; i < 3000; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        write(&f, key, 2 + i, seqs[i] = 100 + (uint64_t)i);
    }
    end(&f, 2, 200, seqs, 3000, OUTCOME_SUCCESS, 10);
    end(&f, 3, 300, (uint64_t[]){ 10 }, 1, OUTCOME_SUCCESS, 10);
    checkpoint(&f, 3099);
    msg_finish(f.msgs);
    obs_finish(f.o, 1000000);
    const struct obs_figures *fig = obs_figures(f.o);
    CHECK(!obs_failed(f.o));
    CHECK_INT(fig->order_by_sequence, 1);
    CHECK_STR(fig->sequence_examples[0].partition_key, "a");
    CHECK_INT(fig->deliveries, 3002);
    teardown(&f);
}

/* R14's nearest-rank percentiles with the values on both sides of the
 * counts' dense range (negative, past COUNTS_DENSE_MAX) and the dense
 * array grown past its first size: each v in -3 .. 4,197 step 7, v + 1
 * times (a negative one once), the ranks counted here. */
static void test_counts_dense_and_hashed(void)
{
    struct counts c = { 0 };
    uint64_t total = 0;
    int failed = 0;
    for (int64_t v = -3; v <= 4197; v += 7) {
        for (int64_t k = 0; k < (v < 0 ? 1 : v + 1); k++)
            failed += counts_add(&c, v) < 0;
        total += v < 0 ? 1 : (uint64_t)v + 1;
    }
    CHECK_INT(failed, 0);
    struct obs_age a;
    CHECK_INT(counts_age(&c, &a), 0);
    CHECK_INT(a.count, total);
    CHECK_INT(a.max, 4197);
    const int pct[3] = { 50, 90, 99 };
    const int64_t got[3] = { a.p50, a.p90, a.p99 };
    for (int p = 0; p < 3; p++) {
        uint64_t rank = (pct[p] * total + 99) / 100, seen = 0;
        int64_t want = 0;
        for (int64_t v = -3; v <= 4197 && seen < rank; v += 7) {
            seen += v < 0 ? 1 : (uint64_t)v + 1;
            want = v;
        }
        CHECK_INT(got[p], want);
    }
    counts_free(&c);
}

int main(void)
{
    test_order_by_invocation_not_by_end();
    test_in_order_ended_out_of_order();
    test_duplicates_ages_memory();
    test_producer_duplicates();
    test_producer_order_by_millisecond();
    test_delivery_runs();
    test_delivery_run();
    test_record_runs();
    test_record_run_ids();
    test_duplicate_after_first_let_go();
    test_message_ring_bytes();
    test_points_bytes();
    test_points_columns();
    test_counts_dense_and_hashed();
    test_keys_past_hint(2);
    test_keys_past_hint(1500);
    test_keys_past_hint(SIZE_MAX);
    return check_done();
}
