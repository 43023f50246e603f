/*
 * test_mapping.c - the event source mapping, rule by rule (SPEC 1.4): each
 * test runs a small scenario whose records are written at known times and
 * asserts the exact invocations, checkpoints, discards and fates.
 *
 * Pacing used in the expectations (README "Model choices"): the shard is
 * polled at 0 s, 1 s, 2 s ...; after a batch is done the lane invokes again
 * 20 ms later (model.reinvoke_delay), a failed one is retried 1 s later
 * (model.retry_delay); explicit records get sequence numbers 1, 2, 3 ... in
 * the order they are written; cold starts are set to 0 here so that an
 * invocation lasts per_invoke + records * per_record exactly.
 */
#include <stdio.h>
#include <stdlib.h>

#include "awsjson.h"
#include "check.h"
#include "keytab.h"
#include "lambda_event.h"
#include "window.h"
#include "memlog.h"
#include "scenario.h"
#include "sim.h"

#define MS 1000
#define SEC 1000000

/* Keys that MD5-route to shard 0 and shard 1 of a 2-shard stream. */
#define KEY_SHARD0 "order-0"
#define KEY_SHARD1 "order-3"

#define READS_KEPT 16

struct run {
    struct memlog ml;              /* first: the sink's ctx is the run too (on_read) */
    struct sim_summary sum;
    uint64_t shard_invocations[4];
    /* the mapping's read events (simlog.h): the first READS_KEPT, and all counted */
    struct slog_read reads[READS_KEPT];
    size_t n_reads, n_throttled, records_read;
};

static void on_read(void *ctx, const struct slog_read *rd)
{
    struct run *r = ctx;
    if (r->n_reads < READS_KEPT) {
        r->reads[r->n_reads] = *rd;
        r->reads[r->n_reads].shard_id = NULL;   /* not ours to keep */
    }
    r->n_reads++;
    r->n_throttled += rd->throttled;
    r->records_read += rd->records;
}

/* The i-th record (1-based) of records_json carries the poison marker. */
#define POISON(i) (1ull << ((i) - 1))

/* Explicit records JSON: n records at `at` on key, those in the poison mask
 * (POISON(i) | ...) with a poison marker in their data. */
static int records_json(char *buf, size_t size, int n, const char *at, const char *key,
                        uint64_t poison)
{
    int len = 0;
    for (int i = 1; i <= n; i++)
        len += snprintf(buf + len, size - (size_t)len,
                        "%s{\"at\":\"%s\",\"partition_key\":\"%s\",\"data\":\"%s\"}",
                        i > 1 ? "," : "", at, key,
                        i <= 64 && (poison & POISON(i)) ? "poison" : "ok");
    return len;
}

/* Run a scenario given as JSON text; fails the test on a load error. */
static bool run_json(const char *json, struct run *r)
{
    char err[1024];
    memset(r, 0, sizeof *r);
    struct scenario *scn = scn_parse("test.json", json, NULL, 0, err, sizeof err);
    if (!scn) {
        fprintf(stderr, "scenario error: %s\n", err);
        CHECK(scn != NULL);
        return false;
    }
    static struct slog_ops ops;   /* the memlog's, and the reads */
    ops = memlog_ops;
    ops.read = on_read;
    struct slog log = { .ops = &ops, .ctx = r, .per_record = true };
    struct sim *sim = sim_create(&scn->cfg, &log, err, sizeof err);
    CHECK(sim != NULL);
    if (!sim) {
        fprintf(stderr, "sim error: %s\n", err);
        scn_free(scn);
        return false;
    }
    CHECK_INT(sim_run(sim, NULL, NULL, NULL), SIM_COMPLETE);
    sim_summary(sim, &r->sum);
    for (size_t i = 0; i < r->sum.mapping.n_shards && i < 4; i++)
        r->shard_invocations[i] = r->sum.mapping.shards[i].invocations;
    r->sum.mapping.shards = NULL;   /* owned by the sim */
    r->sum.observed = NULL;
    sim_destroy(sim);
    scn_free(scn);
    return true;
}

#define TIMING "\"timeout\":\"30s\",\"duration\":{\"per_invoke\":\"10ms\",\"per_record\":\"1ms\"}"
#define RBIF ",\"FunctionResponseTypes\":[\"ReportBatchItemFailures\"]"
#define DLQ ",\"DestinationConfig\":{\"OnFailure\":{\"Destination\":" \
            "\"arn:aws:sqs:us-east-1:123456789012:dlq\"}}"
#define POISON_RULE ",\"failures\":[{\"match\":{\"data_contains\":\"poison\"}}]"

/* A scenario with explicit records (two shards when KEY_SHARD1 is used, more
 * stream keys in stream_extra) and a function of the given timing (timeout
 * and durations), no cold starts. */
static void scenario_json_timed(char *buf, size_t size, const char *timing, const char *stream_extra,
                                const char *duration, const char *records, const char *mapping,
                                const char *function_extra, const char *extra)
{
    snprintf(buf, size,
             "{\"name\":\"t\",\"seed\":1,\"duration\":\"%s\","
             "\"stream\":{\"shards\":%d%s},"
             "\"records\":[%s],"
             "\"event_source_mapping\":{\"StartingPosition\":\"TRIM_HORIZON\"%s},"
             "\"function\":{\"cold_start\":0,%s%s}%s}",
             duration, strstr(records, KEY_SHARD1) ? 2 : 1, stream_extra, records, mapping, timing,
             function_extra, extra);
}

/* The same with a 30 s timeout, 10 ms per invocation and 1 ms per record. */
static void scenario_json(char *buf, size_t size, const char *duration, const char *records,
                          const char *mapping, const char *function_extra, const char *extra)
{
    scenario_json_timed(buf, size, TIMING, "", duration, records, mapping, function_extra, extra);
}

static char text[1 << 23], recs[1 << 22];

static void release(struct run *r) { memlog_free(&r->ml); }

/* The OnFailure JSON of discard i, as the run log stores it (the caller
 * frees it). */
static char *discard_json(const struct run *r, size_t i)
{
    return awsjson_invocation_record(&r->ml.disc[i].v);
}

/* One expected invocation row. */
struct want_inv {
    int64_t start_us;
    uint64_t first_seq;
    uint32_t count;
    uint32_t attempt;
    enum outcome outcome;
};

/* The run's invocations are exactly want[0..n), in order. */
static void check_invocations(int line, const struct run *r, const struct want_inv *want, size_t n)
{
    if (r->ml.n_inv != n)
        fprintf(stderr, "test_mapping.c:%d: %zu invocations, expected %zu\n", line, r->ml.n_inv, n);
    CHECK_INT(r->ml.n_inv, n);
    for (size_t i = 0; i < n && i < r->ml.n_inv; i++) {
        const struct slog_invocation *v = &r->ml.inv[i].v;
        if (v->start_us != want[i].start_us || v->first_sequence_number != want[i].first_seq ||
            v->record_count != want[i].count || v->attempt != want[i].attempt ||
            v->outcome != want[i].outcome)
            fprintf(stderr, "test_mapping.c:%d: invocation %zu: start %lld first %llu count %u "
                    "attempt %u outcome %s\n", line, i + 1, (long long)v->start_us,
                    (unsigned long long)v->first_sequence_number, v->record_count, v->attempt,
                    outcome_name(v->outcome));
        CHECK_INT(v->start_us, want[i].start_us);
        CHECK_INT(v->first_sequence_number, want[i].first_seq);
        CHECK_INT(v->record_count, want[i].count);
        CHECK_INT(v->attempt, want[i].attempt);
        CHECK_INT(v->outcome, want[i].outcome);
    }
}

/* The run's checkpoints are exactly seqs[0..n) with reasons why[0..n). */
static void check_checkpoints(const struct run *r, const uint64_t *seqs,
                              const enum ckpt_reason *why, size_t n)
{
    CHECK_INT(r->ml.n_ckpt, n);
    for (size_t i = 0; i < n && i < r->ml.n_ckpt; i++) {
        CHECK_INT(r->ml.ckpt[i].seq, seqs[i]);
        CHECK_INT(r->ml.ckpt[i].reason, why[i]);
    }
}

/* The run's one OnFailure message, checked: its condition, first record,
 * size, approximateInvokeCount and time; NULL when there is not exactly one. */
static const struct slog_discard *check_sole_discard(const struct run *r, enum discard_condition cond,
                                                     uint64_t start, uint32_t records,
                                                     uint32_t invokes, int64_t at_us)
{
    CHECK_INT(r->ml.n_disc, 1);
    if (r->ml.n_disc != 1)
        return NULL;
    const struct slog_discard *d = &r->ml.disc[0].v;
    CHECK_INT(d->condition, cond);
    CHECK_INT(d->start_sequence_number, start);
    CHECK_INT(d->record_count, records);
    CHECK_INT(d->approximate_invoke_count, invokes);
    CHECK_INT(d->at_us, at_us);
    return d;
}

/* R1, R2 (BatchSize), R3, R4: 250 records read at the 1 s poll make three
 * batches back to back; each success checkpoints its last sequence number. */
static void test_r1_r4_batches_in_order(void)
{
    struct run r;
    records_json(recs, sizeof recs, 250, "500ms", "user-1", 0);
    scenario_json(text, sizeof text, "10s", recs, "", "", "");
    if (!run_json(text, &r))
        return;
    CHECK_INT(r.ml.n_inv, 3);
    /* each next batch 20 ms (model.reinvoke_delay) after the previous one ends */
    int64_t starts[] = { 1 * SEC, 1 * SEC + 130 * MS, 1 * SEC + 260 * MS };
    uint64_t first[] = { 1, 101, 201 }, last[] = { 100, 200, 250 };
    for (size_t i = 0; i < 3 && i < r.ml.n_inv; i++) {
        struct slog_invocation *v = &r.ml.inv[i].v;
        CHECK_INT(v->start_us, starts[i]);
        CHECK_INT(v->first_sequence_number, first[i]);
        CHECK_INT(v->last_sequence_number, last[i]);
        CHECK_INT(v->record_count, last[i] - first[i] + 1);
        CHECK_INT(v->outcome, OUTCOME_SUCCESS);
        CHECK_INT(v->attempt, 1);
    }
    /* R14: completion minus arrival of the batch's last record. */
    CHECK_INT(r.ml.inv[0].v.iterator_age_us, 1110 * MS - 500 * MS);
    CHECK_INT(r.ml.inv[2].v.end_us, 1320 * MS);
    CHECK_INT(r.ml.inv[2].v.iterator_age_us, 820 * MS);
    /* Issue 11 item 8, AWS's other definition: at the send, the start. */
    CHECK_INT(r.ml.inv[0].v.iterator_age_at_send_us, 1000 * MS - 500 * MS);
    CHECK_INT(r.ml.inv[2].v.iterator_age_at_send_us, 1260 * MS - 500 * MS);
    CHECK_INT(r.ml.n_ckpt, 3);
    for (size_t i = 0; i < 3 && i < r.ml.n_ckpt; i++) {
        CHECK_INT(r.ml.ckpt[i].seq, last[i]);
        CHECK_INT(r.ml.ckpt[i].reason, CKPT_SUCCESS);
        CHECK_INT(r.ml.ckpt[i].at_us, r.ml.inv[i].v.end_us);
    }
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 250);
    CHECK_INT(r.ml.n_msg, 250);
    CHECK_INT(r.ml.deliveries, 250);
    CHECK_INT(r.sum.mapping.redelivered, 0);
    release(&r);
}

/* R2 batching window: records wait for the window unless BatchSize is
 * reached; the next window starts when the previous invocation completes. */
static void test_r2_batching_window(void)
{
    struct run r;
    int len = records_json(recs, sizeof recs, 10, "500ms", "user-1", 0);
    recs[len++] = ',';
    records_json(recs + len, sizeof recs - (size_t)len, 10, "2500ms", "user-1", 0);

    scenario_json(text, sizeof text, "20s", recs, ",\"MaximumBatchingWindowInSeconds\":5", "", "");
    if (run_json(text, &r)) {
        /* The window opens at the 1 s poll and ends at 6 s: one batch of 20. */
        CHECK_INT(r.ml.n_inv, 1);
        CHECK_INT(r.ml.inv[0].v.start_us, 6 * SEC);
        CHECK_INT(r.ml.inv[0].v.record_count, 20);
        release(&r);
    }
    scenario_json(text, sizeof text, "20s", recs,
                  ",\"MaximumBatchingWindowInSeconds\":5,\"BatchSize\":15", "", "");
    if (run_json(text, &r)) {
        /* At 3 s there are 20 >= 15: a full batch goes at once; the other 5
         * wait for the window that opened when it completed (3.025 s). */
        CHECK_INT(r.ml.n_inv, 2);
        CHECK_INT(r.ml.inv[0].v.start_us, 3 * SEC);
        CHECK_INT(r.ml.inv[0].v.record_count, 15);
        CHECK_INT(r.ml.inv[1].v.start_us, 8 * SEC + 25 * MS);
        CHECK_INT(r.ml.inv[1].v.record_count, 5);
        CHECK_INT(r.ml.inv[1].v.first_sequence_number, 16);
        release(&r);
    }
}

/* R2 6 MB: six 1,000,000-byte records (1,333,336 base64 bytes each), written
 * from 100 ms to 600 ms and read by the 1 s poll, make a batch of four,
 * because a fifth would take the event past 6,291,456 bytes. */
static void test_r2_six_megabytes(void)
{
    struct run r;
    snprintf(text, sizeof text,
             "{\"name\":\"t\",\"duration\":\"10s\","
             "\"stream\":{\"shards\":1,\"limits\":{\"write_bytes_per_sec\":10485760}},"
             "\"producers\":[{\"name\":\"big\",\"rate\":10,\"arrival\":\"constant\","
             "\"keys\":{\"count\":1},\"record_bytes\":1000000,\"start\":\"100ms\",\"stop\":\"650ms\","
             "\"put\":{\"api\":\"PutRecord\"}}],"
             "\"event_source_mapping\":{\"StartingPosition\":\"TRIM_HORIZON\",\"BatchSize\":100},"
             "\"function\":{\"cold_start\":0,\"duration\":{\"per_invoke\":\"10ms\",\"per_record\":\"1ms\"}}}");
    if (!run_json(text, &r))
        return;
    CHECK_INT(r.sum.stream.records_written, 6);
    CHECK_INT(r.ml.n_inv, 2);
    if (r.ml.n_inv == 2) {
        CHECK_INT(r.ml.inv[0].v.record_count, 4);
        CHECK_INT(r.ml.inv[1].v.record_count, 2);
        CHECK(r.ml.inv[0].v.payload_bytes <= 6291456);
        CHECK(r.ml.inv[0].v.payload_bytes * 5 / 4 > 6291456);
    }
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 6);
    release(&r);
}

/* R5 + R6: with MaximumRetryAttempts N the batch is invoked N + 1 times,
 * then discarded with one OnFailure record; the records the function handled
 * before the poison record are processed, the rest discarded. */
static void test_r5_r6_retries_then_discard(void)
{
    struct run r;
    records_json(recs, sizeof recs, 30, "500ms", "user-1", POISON(10));
    scenario_json(text, sizeof text, "30s", recs,
                  ",\"MaximumRetryAttempts\":2,\"DestinationConfig\":{\"OnFailure\":"
                  "{\"Destination\":\"arn:aws:sqs:us-east-1:123456789012:dlq\"}}",
                  ",\"failures\":[{\"match\":{\"data_contains\":\"poison\"}}]", "");
    if (!run_json(text, &r))
        return;
    /* Each try handles 9 records then fails on the 10th: 10 + 10 ms. */
    CHECK_INT(r.ml.n_inv, 3);
    int64_t start = 1 * SEC;
    for (size_t i = 0; i < 3 && i < r.ml.n_inv; i++) {
        struct slog_invocation *v = &r.ml.inv[i].v;
        CHECK_INT(v->outcome, OUTCOME_ERROR);
        CHECK_INT(v->attempt, i + 1);
        CHECK_INT(v->first_sequence_number, 1);
        CHECK_INT(v->record_count, 30);
        CHECK_INT(v->start_us, start);
        start = v->end_us + 1 * SEC;    /* retry_delay */
    }
    CHECK_INT(r.ml.n_disc, 1);
    if (r.ml.n_disc == 1) {
        struct slog_discard *d = &r.ml.disc[0].v;
        CHECK_INT(d->condition, DISCARD_RETRIES_EXHAUSTED);
        CHECK_INT(d->start_sequence_number, 1);
        CHECK_INT(d->end_sequence_number, 30);
        CHECK_INT(d->record_count, 30);
        CHECK_INT(d->approximate_invoke_count, 3);
        CHECK_STR(d->function_error, "Unhandled");
        CHECK(d->has_response);
        CHECK_STR(r.ml.disc[0].destination, "arn:aws:sqs:us-east-1:123456789012:dlq");
        CHECK_INT(d->first_arrival_us, 500 * MS);
        CHECK_INT(d->at_us, r.ml.inv[2].v.end_us);
    }
    CHECK_INT(r.ml.n_ckpt, 1);
    CHECK_INT(r.ml.ckpt[0].seq, 30);
    CHECK_INT(r.ml.ckpt[0].reason, CKPT_DISCARDED);
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 9);
    CHECK_INT(r.ml.fates[FATE_DISCARDED], 21);
    CHECK_INT(r.sum.mapping.redelivered, 30);
    CHECK_INT(r.ml.deliveries, 90);
    release(&r);

    /* R6 as recorded from AWS: MaximumRetryAttempts 1 -> approximateInvokeCount 2. */
    scenario_json(text, sizeof text, "30s", recs, ",\"MaximumRetryAttempts\":1",
                  ",\"failures\":[{\"match\":{\"data_contains\":\"poison\"}}]", "");
    if (run_json(text, &r)) {
        CHECK_INT(r.ml.n_inv, 2);
        CHECK_INT(r.ml.n_disc, 1);
        CHECK_INT(r.ml.disc[0].v.approximate_invoke_count, 2);
        CHECK_STR(r.ml.disc[0].destination, "");
        release(&r);
    }
    /* MaximumRetryAttempts 0: one invocation, no retry. */
    scenario_json(text, sizeof text, "30s", recs, ",\"MaximumRetryAttempts\":0",
                  ",\"failures\":[{\"match\":{\"data_contains\":\"poison\"}}]", "");
    if (run_json(text, &r)) {
        CHECK_INT(r.ml.n_inv, 1);
        CHECK_INT(r.ml.disc[0].v.approximate_invoke_count, 1);
        release(&r);
    }
}

/* R5 with the defaults: the failing shard retries forever and is blocked;
 * the other shard flows.  R14: the blocked shard's oldest record ages. */
static void test_r5_blocked_shard_other_flows(void)
{
    struct run r;
    int len = records_json(recs, sizeof recs, 5, "500ms", KEY_SHARD0, POISON(3));
    recs[len++] = ',';
    len += records_json(recs + len, sizeof recs - (size_t)len, 5, "500ms", KEY_SHARD1, 0);
    recs[len++] = ',';
    records_json(recs + len, sizeof recs - (size_t)len, 5, "20s", KEY_SHARD1, 0);
    scenario_json(text, sizeof text, "60s", recs, "",
                  ",\"failures\":[{\"match\":{\"data_contains\":\"poison\"}}]", "");
    if (!run_json(text, &r))
        return;
    uint64_t errors0 = 0, success1 = 0, other = 0;
    for (size_t i = 0; i < r.ml.n_inv; i++) {
        struct mem_invocation *v = &r.ml.inv[i];
        if (!strcmp(v->shard_id, "shardId-000000000000") && v->v.outcome == OUTCOME_ERROR &&
            v->v.first_sequence_number == 1 && v->v.record_count == 5)
            errors0++;
        else if (!strcmp(v->shard_id, "shardId-000000000001") && v->v.outcome == OUTCOME_SUCCESS)
            success1++;
        else
            other++;
    }
    /* Shard 0: tries at 1 s, then every 1 s + 13 ms: the 59th starts at
     * 59.754 s, the last one to end before 60 s. */
    CHECK_INT(errors0, 59);
    CHECK_INT(success1, 2);
    CHECK_INT(other, 0);
    CHECK_INT(r.ml.n_disc, 0);
    for (size_t i = 0; i < r.ml.n_ckpt; i++)
        CHECK_STR(r.ml.ckpt[i].shard_id, "shardId-000000000001");
    /* Records 1, 2 of shard 0 were handled (before the poison one): processed;
     * 3, 4, 5 are pending at the end; shard 1's ten are processed. */
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 12);
    CHECK_INT(r.ml.fates[FATE_PENDING], 3);
    release(&r);
}

/* R6 MaximumRecordAgeInSeconds: checked before every invocation; the old
 * records are discarded as RecordAgeExceeded, without a responseContext. */
static void test_r6_record_age(void)
{
    struct run r;
    records_json(recs, sizeof recs, 30, "500ms", "user-1", POISON(10));
    scenario_json(text, sizeof text, "120s", recs, ",\"MaximumRecordAgeInSeconds\":60",
                  ",\"failures\":[{\"match\":{\"data_contains\":\"poison\"}}]",
                  ",\"model\":{\"retry_delay\":\"10s\"}");
    if (!run_json(text, &r))
        return;
    /* Tries start at 1 s, 11.02 s, ... 51.10 s; at 61.12 s the records are
     * 60.62 s old: discarded before a seventh try. */
    CHECK_INT(r.ml.n_inv, 6);
    CHECK_INT(r.ml.inv[5].v.start_us, 51100 * MS);
    CHECK_INT(r.ml.n_disc, 1);
    if (r.ml.n_disc == 1) {
        struct slog_discard *d = &r.ml.disc[0].v;
        CHECK_INT(d->condition, DISCARD_RECORD_AGE);
        CHECK(!d->has_response);
        CHECK(d->function_error == NULL);
        CHECK_INT(d->record_count, 30);
        CHECK_INT(d->approximate_invoke_count, 6);
        CHECK_INT(d->at_us, 61120 * MS);
    }
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 9);
    CHECK_INT(r.ml.fates[FATE_DISCARDED], 21);
    release(&r);
}

/* Issue 11 item 5 (R6): records older than MaximumRecordAgeInSeconds before
 * any invocation are discarded with approximateInvokeCount 1, as recorded
 * from AWS (LocalStack's AWS-validated snapshot
 * test_kinesis_maximum_record_age_exceeded_discard_records: BatchSize 10,
 * the batch's first record expired, the others not: one RecordAgeExceeded
 * message, batchSize 1, approximateInvokeCount 1, no responseContext).
 * Here the mapping is created disabled and enabled at 70 s: record 1
 * (0.5 s) is 69.5 s old, records 2..6 (20 s) 50 s. */
static void test_r6_record_age_never_invoked(void)
{
    struct run r;
    int len = records_json(recs, sizeof recs, 1, "500ms", "user-1", 0);
    recs[len++] = ',';
    records_json(recs + len, sizeof recs - (size_t)len, 5, "20s", "user-1", 0);
    scenario_json(text, sizeof text, "90s", recs,
                  ",\"Enabled\":false,\"BatchSize\":10,\"MaximumRetryAttempts\":0,"
                  "\"MaximumRecordAgeInSeconds\":60" DLQ, "",
                  ",\"model\":{\"mapping_update_delay\":0},"
                  "\"schedule\":[{\"at\":\"70s\",\"update_mapping\":{\"Enabled\":true}}]");
    if (!run_json(text, &r))
        return;
    const struct want_inv want[] = { { 70 * SEC, 2, 5, 1, OUTCOME_SUCCESS } };
    check_invocations(__LINE__, &r, want, 1);
    if (check_sole_discard(&r, DISCARD_RECORD_AGE, 1, 1, 1, 70 * SEC)) {
        char *json = discard_json(&r, 0);
        CHECK_CONTAINS(json, "\"condition\":\"RecordAgeExceeded\",\"approximateInvokeCount\":1},"
                             "\"version\":\"1.0\"");   /* no responseContext */
        CHECK_CONTAINS(json, "\"batchSize\":1,");
        free(json);
    }
    const uint64_t seqs[] = { 1, 6 };
    const enum ckpt_reason why[] = { CKPT_DISCARDED, CKPT_SUCCESS };
    check_checkpoints(&r, seqs, why, 2);
    release(&r);
}

/* R5/R6 (choice): a set whose last allowed attempt fails after its records
 * passed MaximumRecordAgeInSeconds is discarded as RetryAttemptsExhausted,
 * with its responseContext: the attempts ran out at that failure, and the
 * age is checked before an invocation, not after.  AWS documents no order
 * (LocalStack's poller checks the retries first too).  One record at 0.5 s,
 * MaximumRetryAttempts 0, age 60 s; the invocation times out at 80 s. */
static void test_r6_attempts_and_age_both_spent(void)
{
    struct run r;
    records_json(recs, sizeof recs, 1, "500ms", "user-1", 0);
    scenario_json_timed(text, sizeof text, "\"timeout\":\"80s\",\"duration\":{\"per_invoke\":\"10ms\","
                        "\"per_record\":\"100s\"}", "", "3m", recs,
                        ",\"MaximumRetryAttempts\":0,\"MaximumRecordAgeInSeconds\":60" DLQ, "", "");
    if (!run_json(text, &r))
        return;
    const struct want_inv want[] = { { 1000 * MS, 1, 1, 1, OUTCOME_TIMEOUT } };
    check_invocations(__LINE__, &r, want, 1);
    const struct slog_discard *d = check_sole_discard(&r, DISCARD_RETRIES_EXHAUSTED, 1, 1, 1, 81000 * MS);
    if (d) {
        CHECK(d->has_response);
        CHECK_STR(d->function_error, "Unhandled");
    }
    release(&r);
}

/* The requestIds of a run's OnFailure messages, in order (ids[i] holds
 * AWSJSON_UUID_LEN + 1 bytes); returns how many. */
static size_t request_ids(const struct run *r, char ids[][AWSJSON_UUID_LEN + 1], size_t max)
{
    size_t n = 0;
    for (; n < r->ml.n_disc && n < max; n++) {
        char *json = discard_json(r, n);
        const char *at = json ? strstr(json, "\"requestId\":\"") : NULL;
        snprintf(ids[n], AWSJSON_UUID_LEN + 1, "%s", at ? at + 13 : "");
        free(json);
    }
    return n;
}

/* Issue 11 item 6 (R6): every OnFailure message has its own requestId, the
 * same in every run of the scenario and seed.  The record age discard here
 * comes after the lane's last invocation, the one whose retries were
 * exhausted: before the fix it borrowed that invocation's id, so the two
 * messages shared it. */
static void test_r6_request_ids(void)
{
    int len = records_json(recs, sizeof recs, 1, "500ms", "user-1", POISON(1));
    recs[len++] = ',';
    records_json(recs + len, sizeof recs - (size_t)len, 3, "2s", "user-1", 0);
    char ids[3][3][AWSJSON_UUID_LEN + 1];
    size_t n[3] = { 0 };
    for (int run = 0; run < 3; run++) {
        struct run r;
        char extra[512];
        snprintf(extra, sizeof extra, ",\"model\":{\"mapping_update_delay\":0},"
                 "\"schedule\":[{\"at\":\"1500ms\",\"update_mapping\":{\"Enabled\":false}},"
                 "{\"at\":\"100s\",\"update_mapping\":{\"Enabled\":true}}]");
        scenario_json(text, sizeof text, "120s", recs,
                      ",\"MaximumRetryAttempts\":0,\"MaximumRecordAgeInSeconds\":60" DLQ,
                      POISON_RULE, extra);
        char *seed = strstr(text, "\"seed\":1,");
        if (run == 2 && seed)
            seed[7] = '2';               /* the third run: seed 2 */
        if (!run_json(text, &r))
            return;
        CHECK_INT(r.ml.n_disc, 2);
        if (r.ml.n_disc == 2) {
            CHECK_INT(r.ml.disc[0].v.condition, DISCARD_RETRIES_EXHAUSTED);
            CHECK_INT(r.ml.disc[1].v.condition, DISCARD_RECORD_AGE);
            CHECK_INT(r.ml.disc[1].v.record_count, 3);
            CHECK_INT(r.ml.disc[0].v.invocation_id, r.ml.disc[1].v.invocation_id);
        }
        n[run] = request_ids(&r, ids[run], 3);
        release(&r);
    }
    CHECK_INT(n[0], 2);
    CHECK_INT(strlen(ids[0][0]), AWSJSON_UUID_LEN);
    CHECK(strcmp(ids[0][0], ids[0][1]) != 0);        /* each message its own */
    CHECK_INT(n[1], 2);
    CHECK_STR(ids[1][0], ids[0][0]);                 /* the same run, the same ids */
    CHECK_STR(ids[1][1], ids[0][1]);
    CHECK_INT(n[2], 2);
    CHECK(strcmp(ids[2][0], ids[0][0]) != 0);        /* another seed, other ids */
    CHECK(strcmp(ids[2][1], ids[0][1]) != 0);
}

/* Records for R13: n1 of user-1 at at1, then n2 at at2 (seq 1.. in order). */
static void two_bursts(int n1, const char *at1, int n2, const char *at2)
{
    int len = records_json(recs, sizeof recs, n1, at1, "user-1", 0);
    recs[len++] = ',';
    records_json(recs + len, sizeof recs - (size_t)len, n2, at2, "user-1", 0);
}

/* A 20 s scenario of those records with the given stream keys, mapping keys
 * (after StartingPosition) and top-level extras. */
static void positioned_json(const char *stream, const char *mapping, const char *extra)
{
    snprintf(text, sizeof text,
             "{\"name\":\"t\",\"duration\":\"20s\",\"records\":[%s],\"stream\":{%s},"
             "\"event_source_mapping\":{\"StartingPosition\":%s},"
             "\"function\":{\"cold_start\":0,\"duration\":{\"per_invoke\":\"10ms\",\"per_record\":\"1ms\"}}%s}",
             recs, stream, mapping, extra);
}

#define AT_3S "\"AT_TIMESTAMP\",\"StartingPositionTimestamp\":\"3s\""

/* R13: TRIM_HORIZON reads all; LATEST misses what was written before
 * polling began (after its delay, 5 s here); AT_TIMESTAMP starts at the
 * first record at or after the timestamp. */
static void test_r13_starting_positions(void)
{
    struct run r;
    two_bursts(10, "500ms", 10, "6s");
    positioned_json("", "\"TRIM_HORIZON\"", "");
    if (run_json(text, &r)) {   /* TRIM_HORIZON: all 20 */
        CHECK_INT(r.ml.fates[FATE_PROCESSED], 20);
        CHECK_INT(r.ml.inv[0].v.first_sequence_number, 1);
        release(&r);
    }
    positioned_json("", "\"LATEST\"", ",\"model\":{\"latest_start_delay\":\"5s\"}");
    if (run_json(text, &r)) {
        CHECK_INT(r.ml.fates[FATE_MISSED], 10);
        CHECK_INT(r.ml.fates[FATE_PROCESSED], 10);
        CHECK_INT(r.ml.n_inv, 1);
        CHECK_INT(r.ml.inv[0].v.first_sequence_number, 11);
        CHECK_INT(r.ml.inv[0].v.start_us, 6 * SEC);   /* the 6 s poll sees the 6 s writes */
        CHECK_INT(r.ml.ckpt[0].reason, CKPT_STARTING_POSITION);
        CHECK_INT(r.ml.ckpt[0].seq, 10);
        CHECK_INT(r.ml.ckpt[0].at_us, 5 * SEC);
        release(&r);
    }
    /* LATEST's delay holds whatever the schedule does meanwhile (R16): an
     * update at 1 s (applied at once here) does not start polling before 5 s. */
    positioned_json("", "\"LATEST\"",
                    ",\"model\":{\"latest_start_delay\":\"5s\",\"mapping_update_delay\":0},"
                    "\"schedule\":[{\"at\":\"1s\",\"update_mapping\":{\"BatchSize\":50}}]");
    if (run_json(text, &r)) {
        CHECK_INT(r.ml.fates[FATE_MISSED], 10);
        CHECK_INT(r.ml.n_inv, 1);
        CHECK_INT(r.ml.inv[0].v.start_us, 6 * SEC);
        release(&r);
    }
    positioned_json("", AT_3S, "");
    if (run_json(text, &r)) {
        CHECK_INT(r.ml.fates[FATE_MISSED], 10);
        CHECK_INT(r.ml.fates[FATE_PROCESSED], 10);
        CHECK_INT(r.ml.inv[0].v.first_sequence_number, 11);
        /* issue 13 item 3: the skipped records were never read for the
         * mapping: the read delay is of the 6 s ones, read at once */
        CHECK_INT(r.records_read, 10);
        CHECK(r.sum.mapping.read_delay_max_ms == 0);
        release(&r);
    }
    /* AT_TIMESTAMP holds in a child too (R12): split at 1 s, timestamp 3 s:
     * the child's records of 2 s are skipped, those of 6 s read. */
    two_bursts(4, "2s", 3, "6s");
    positioned_json("\"reshard\":[{\"at\":\"1s\",\"split\":\"shardId-000000000000\"}]", AT_3S, "");
    if (run_json(text, &r)) {
        CHECK_INT(r.ml.fates[FATE_MISSED], 4);
        CHECK_INT(r.ml.fates[FATE_PROCESSED], 3);
        CHECK_INT(r.ml.n_inv, 1);
        CHECK_INT(r.ml.inv[0].v.first_sequence_number, 5);
        release(&r);
    }
}
#undef AT_3S

/* R17 expired: records the mapping has not processed when they pass the
 * retention period are trimmed; nothing is sent to the OnFailure destination. */
static void test_r17_retention_expiry(void)
{
    struct run r;
    int len = records_json(recs, sizeof recs, 5, "500ms", "user-1", POISON(3));
    recs[len++] = ',';
    records_json(recs + len, sizeof recs - (size_t)len, 5, "1h", "user-2", 0);
    scenario_json(text, sizeof text, "1450m", recs,
                  ",\"DestinationConfig\":{\"OnFailure\":{\"Destination\":\"arn:aws:sqs:us-east-1:1:q\"}}",
                  ",\"failures\":[{\"match\":{\"data_contains\":\"poison\"}}]",
                  ",\"model\":{\"retry_delay\":\"60s\"}");
    if (!run_json(text, &r))
        return;
    CHECK_INT(r.ml.n_disc, 0);
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 7);   /* 1, 2 handled; 6..10 after */
    CHECK_INT(r.ml.fates[FATE_EXPIRED], 3);
    CHECK_INT(r.sum.mapping.expired_records, 5);
    int expired_ckpt = 0;
    for (size_t i = 0; i < r.ml.n_ckpt; i++)
        if (r.ml.ckpt[i].reason == CKPT_EXPIRED) {
            expired_ckpt++;
            CHECK_INT(r.ml.ckpt[i].seq, 5);
            CHECK(r.ml.ckpt[i].at_us >= 24 * 3600 * (int64_t)SEC + 500 * MS);
        }
    CHECK_INT(expired_ckpt, 1);
    /* Every invocation before the expiry retried the same five records. */
    CHECK_INT(r.ml.inv[0].v.record_count, 5);
    CHECK_INT(r.ml.inv[r.ml.n_inv - 1].v.first_sequence_number, 6);
    CHECK_INT(r.ml.inv[r.ml.n_inv - 1].v.outcome, OUTCOME_SUCCESS);
    release(&r);
}

/* R9 / R11: over the reserved concurrency an invocation is throttled; it is
 * not an attempt, the mapping backs off and tries again. */
static void test_r9_throttles(void)
{
    struct run r;
    int len = records_json(recs, sizeof recs, 5, "500ms", KEY_SHARD0, 0);
    recs[len++] = ',';
    records_json(recs + len, sizeof recs - (size_t)len, 5, "500ms", KEY_SHARD1, 0);
    scenario_json(text, sizeof text, "10s", recs, "", ",\"reserved_concurrency\":1", "");
    if (!run_json(text, &r))
        return;
    /* Rows are logged when an invocation ends: the throttle at once. */
    CHECK_INT(r.ml.n_inv, 3);
    if (r.ml.n_inv == 3) {
        CHECK_STR(r.ml.inv[0].shard_id, "shardId-000000000001");
        CHECK_INT(r.ml.inv[0].v.outcome, OUTCOME_THROTTLED);
        CHECK_INT(r.ml.inv[0].v.start_us, 1 * SEC);
        CHECK_INT(r.ml.inv[0].v.iterator_age_us, -1);
        CHECK_INT(r.ml.inv[0].v.iterator_age_at_send_us, -1);   /* issue 11 item 8 */
        CHECK_STR(r.ml.inv[1].shard_id, "shardId-000000000000");
        CHECK_INT(r.ml.inv[1].v.outcome, OUTCOME_SUCCESS);
        CHECK_INT(r.ml.inv[1].v.start_us, 1 * SEC);
        CHECK_STR(r.ml.inv[2].shard_id, "shardId-000000000001");
        CHECK_INT(r.ml.inv[2].v.outcome, OUTCOME_SUCCESS);
        CHECK_INT(r.ml.inv[2].v.attempt, 1);         /* the throttle was no attempt */
        /* after the 1 s backoff with jitter: half of it plus a random part of the rest */
        CHECK(r.ml.inv[2].v.start_us >= 1500 * MS && r.ml.inv[2].v.start_us <= 2 * SEC);
    }
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 10);
    release(&r);

    /* Reserved concurrency 0: nothing runs, records stay pending. */
    scenario_json(text, sizeof text, "10s", recs, "", ",\"reserved_concurrency\":0", "");
    if (run_json(text, &r)) {
        CHECK_INT(r.sum.mapping.invocations[OUTCOME_SUCCESS], 0);
        CHECK(r.sum.mapping.invocations[OUTCOME_THROTTLED] > 0);
        CHECK_INT(r.ml.fates[FATE_PENDING], 10);
        release(&r);
    }
}

/* ---- failure handling (R7, R8, R11) ------------------------------------ */

/* A run of 10 records (seq 1..10, at 500 ms) with the given poison mask,
 * mapping settings and report style. */
static bool run_ten(struct run *r, uint64_t poison, const char *mapping, const char *report)
{
    char function[256];
    records_json(recs, sizeof recs, 10, "500ms", "user-1", poison);
    snprintf(function, sizeof function, POISON_RULE ",\"report\":\"%s\"", report);
    scenario_json(text, sizeof text, "30s", recs, mapping, function, "");
    return run_json(text, r);
}

/* The text Lambda answers an Invoke request over 6,291,456 bytes. */
#define PAYLOAD_ERROR "RequestEntityTooLargeException: Request must be smaller than 6291456" \
    " bytes for the InvokeFunction operation"

/* A one-shard stream that takes 10 MiB records: one record of 7,000,000
 * bytes at 500 ms (seq 1: its event, base64, is over 6 MB alone), then the
 * explicit records `records` (seq 2 ...), read by a mapping with `mapping`
 * (after StartingPosition) and an OnFailure queue. */
static bool run_oversized(struct run *r, const char *duration, const char *records,
                          const char *mapping, const char *extra)
{
    snprintf(text, sizeof text,
             "{\"name\":\"t\",\"seed\":1,\"duration\":\"%s\","
             "\"stream\":{\"shards\":1,\"limits\":{\"max_record_bytes\":10485760,"
             "\"max_request_bytes\":10485760,\"write_bytes_per_sec\":10485760}},"
             "\"producers\":[{\"name\":\"upload\",\"rate\":1,\"arrival\":\"constant\","
             "\"keys\":{\"count\":1},\"record_bytes\":7000000,\"start\":\"500ms\",\"stop\":\"600ms\","
             "\"put\":{\"api\":\"PutRecord\"}}],"
             "\"records\":[%s],"
             "\"event_source_mapping\":{\"StartingPosition\":\"TRIM_HORIZON\"" DLQ "%s},"
             "\"function\":{\"cold_start\":0," TIMING "}%s}",
             duration, records, mapping, extra);
    return run_json(text, r);
}

/* Issue 11 item 2 (R2, R5, R6): a record whose event alone is over 6 MB is
 * a batch of its own that Lambda refuses (RequestEntityTooLargeException):
 * each refusal is an invocation that ends at once, an attempt; when the
 * attempts are spent the record is discarded to the OnFailure queue with
 * the Invoke call's 413 and no function error, and the shard moves on.
 * Before the fix no batch was ever taken: the shard stalled, silently. */
static void test_r2_oversized_record_refused(void)
{
    struct run r;
    records_json(recs, sizeof recs, 3, "600ms", "user-1", 0);
    if (!run_oversized(&r, "10s", recs, ",\"MaximumRetryAttempts\":2", ""))
        return;
    CHECK_INT(r.sum.stream.records_written, 4);
    /* refused at 1 s, then retried after model.retry_delay: 2 s, 3 s */
    const struct want_inv want[] = {
        { 1000 * MS, 1, 1, 1, OUTCOME_ERROR },
        { 2000 * MS, 1, 1, 2, OUTCOME_ERROR },
        { 3000 * MS, 1, 1, 3, OUTCOME_ERROR },
        { 3020 * MS, 2, 3, 1, OUTCOME_SUCCESS },   /* the shard moves on */
    };
    check_invocations(__LINE__, &r, want, 4);
    for (size_t i = 0; i < 3 && i < r.ml.n_inv; i++) {
        const struct mem_invocation *v = &r.ml.inv[i];
        CHECK_STR(v->error, PAYLOAD_ERROR);
        CHECK_INT(v->v.end_us, v->v.start_us);      /* no function ran */
        CHECK(v->v.payload_bytes > 6291456);
        CHECK(!v->v.cold_start);
    }
    const uint64_t seqs[] = { 1, 4 };
    const enum ckpt_reason why[] = { CKPT_DISCARDED, CKPT_SUCCESS };
    check_checkpoints(&r, seqs, why, 2);
    if (check_sole_discard(&r, DISCARD_RETRIES_EXHAUSTED, 1, 1, 3, 3000 * MS)) {
        char *json = discard_json(&r, 0);
        CHECK_CONTAINS(json, "\"condition\":\"RetryAttemptsExhausted\",\"approximateInvokeCount\":3}");
        CHECK_CONTAINS(json, "\"responseContext\":{\"statusCode\":413,\"executedVersion\":\"$LATEST\","
                             "\"functionError\":null}");
        free(json);
    }
    CHECK_INT(r.ml.fates[FATE_DISCARDED], 1);
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 3);
    CHECK_INT(r.ml.deliveries, 3 + 3);   /* the refused event was sent, unhandled */
    CHECK_INT(r.ml.handled, 3);
    CHECK_INT(r.sum.mapping.refused, 3);
    CHECK_INT(r.sum.peak_concurrency, 1);   /* only the batch that ran */
    release(&r);

    /* With bisect too: a one-record set cannot be split; the same three
     * refusals, then the discard. */
    if (run_oversized(&r, "10s", recs, ",\"MaximumRetryAttempts\":2,\"BisectBatchOnFunctionError\":true",
                      "")) {
        check_invocations(__LINE__, &r, want, 4);
        CHECK_INT(r.sum.mapping.bisects, 0);
        CHECK_INT(r.ml.n_disc, 1);
        release(&r);
    }
}

/* Issue 11 item 2 with R6's age limit and infinite retries: refused every
 * retry (10 s here) until MaximumRecordAgeInSeconds discards the record as
 * RecordAgeExceeded; the records written behind it at 30 s flow then. */
static void test_r6_oversized_record_ages_out(void)
{
    struct run r;
    records_json(recs, sizeof recs, 2, "30s", "user-1", 0);
    if (!run_oversized(&r, "90s", recs, ",\"MaximumRecordAgeInSeconds\":60",
                       ",\"model\":{\"retry_delay\":\"10s\"}"))
        return;
    /* refused at 1, 11, ..., 51 s; at 61 s the record is 60.5 s old */
    const struct want_inv want[] = {
        { 1 * SEC, 1, 1, 1, OUTCOME_ERROR }, { 11 * SEC, 1, 1, 2, OUTCOME_ERROR },
        { 21 * SEC, 1, 1, 3, OUTCOME_ERROR }, { 31 * SEC, 1, 1, 4, OUTCOME_ERROR },
        { 41 * SEC, 1, 1, 5, OUTCOME_ERROR }, { 51 * SEC, 1, 1, 6, OUTCOME_ERROR },
        { 61 * SEC, 2, 2, 1, OUTCOME_SUCCESS },
    };
    check_invocations(__LINE__, &r, want, 7);
    const struct slog_discard *d = check_sole_discard(&r, DISCARD_RECORD_AGE, 1, 1, 6, 61 * SEC);
    if (d)
        CHECK(!d->has_response);
    const uint64_t seqs[] = { 1, 3 };
    const enum ckpt_reason why[] = { CKPT_DISCARDED, CKPT_SUCCESS };
    check_checkpoints(&r, seqs, why, 2);
    CHECK_INT(r.ml.fates[FATE_DISCARDED], 1);
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 2);
    release(&r);
}

/* Issue 11 item 2 with retention only (R17): no age limit, infinite
 * retries: the record is refused every minute (model.retry_delay 60 s)
 * until retention trims it at 24 h; it expires (nothing is sent), and the
 * record written behind it at 1 h is processed then. */
static void test_r17_oversized_record_expires(void)
{
    struct run r;
    records_json(recs, sizeof recs, 1, "1h", "user-1", 0);
    if (!run_oversized(&r, "1450m", recs, "", ",\"model\":{\"retry_delay\":\"60s\"}"))
        return;
    /* refused at 1 s + k min for k = 0 .. 1439; trimmed at 86,401 s, the
     * first whole second past 24 h after its arrival (0.5 s) */
    CHECK_INT(r.sum.mapping.refused, 1440);
    CHECK_INT(r.ml.n_inv, 1441);
    if (r.ml.n_inv == 1441) {
        CHECK_INT(r.ml.inv[1439].v.start_us, (int64_t)(1 + 1439 * 60) * SEC);
        CHECK_INT(r.ml.inv[1439].v.attempt, 1440);
        CHECK_INT(r.ml.inv[1440].v.first_sequence_number, 2);
        CHECK_INT(r.ml.inv[1440].v.outcome, OUTCOME_SUCCESS);
        CHECK_INT(r.ml.inv[1440].v.start_us, (int64_t)86401 * SEC);
    }
    CHECK_INT(r.ml.n_disc, 0);
    const uint64_t seqs[] = { 1, 2 };
    const enum ckpt_reason why[] = { CKPT_EXPIRED, CKPT_SUCCESS };
    check_checkpoints(&r, seqs, why, 2);
    CHECK_INT(r.ml.ckpt[0].at_us, (int64_t)86401 * SEC);
    CHECK_INT(r.ml.fates[FATE_EXPIRED], 1);
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 1);
    release(&r);
}

/* R7 first-failure: checkpoint before the reported record, retry from it
 * (a set of its own, with its own retries: R5 and the recorded AWS
 * behaviour of test_r7_partial_rest_retried_as_its_batch); when the retries
 * run out, the discarded batch holds the records from the failure on and
 * functionError is null (R6). */
static void test_r7_partial_first_failure(void)
{
    struct run r;
    if (!run_ten(&r, POISON(4), RBIF DLQ ",\"MaximumRetryAttempts\":2", "first-failure"))
        return;
    /* 10 ms + 1 ms per record reached; the retry 1 s after the end. */
    const struct want_inv want[] = {
        { 1000 * MS, 1, 10, 1, OUTCOME_PARTIAL },
        { 2014 * MS, 4, 7, 1, OUTCOME_PARTIAL },
        { 3025 * MS, 4, 7, 2, OUTCOME_PARTIAL },
        { 4036 * MS, 4, 7, 3, OUTCOME_PARTIAL },
    };
    check_invocations(__LINE__, &r, want, 4);
    const uint64_t seqs[] = { 3, 10 };
    const enum ckpt_reason why[] = { CKPT_PARTIAL, CKPT_DISCARDED };
    check_checkpoints(&r, seqs, why, 2);
    CHECK_INT(r.ml.ckpt[0].at_us, 1014 * MS);
    CHECK_INT(r.ml.n_disc, 1);
    if (r.ml.n_disc == 1) {
        const struct slog_discard *d = &r.ml.disc[0].v;
        CHECK_INT(d->condition, DISCARD_RETRIES_EXHAUSTED);
        CHECK_INT(d->start_sequence_number, 4);
        CHECK_INT(d->end_sequence_number, 10);
        CHECK_INT(d->record_count, 7);
        CHECK_INT(d->approximate_invoke_count, 3);   /* [4..10]'s own three */
        CHECK(d->has_response);
        CHECK(d->function_error == NULL);        /* null: the function returned */
        CHECK_INT(d->at_us, 4047 * MS);
    }
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 3);
    CHECK_INT(r.ml.fates[FATE_DISCARDED], 7);
    CHECK_INT(r.ml.deliveries, 10 + 7 + 7 + 7);
    CHECK_INT(r.sum.mapping.redelivered, 7);
    release(&r);
}

/*
 * R7 (recorded AWS behaviour): the records from the lowest reported failure
 * on are retried as a batch of their own, with MaximumRetryAttempts retries
 * of their own; the invocation that returned the partial response is not
 * one of their attempts, nor counted in their approximateInvokeCount.
 * LocalStack's AWS-validated snapshots test_kinesis_report_batch_item_failures
 * (test_lambda_integration_kinesis.snapshot.json) and
 * test_dynamodb_report_batch_item_failures (the DynamoDB twin): 6 records,
 * BatchSize 3, MaximumRetryAttempts 3, the 6th failing: the function's log
 * shows records 1-5 once and the 6th five times (the batch 4-6, then the 6th
 * alone 1 + 3 times), and the OnFailure message says batchSize 1,
 * approximateInvokeCount 4, functionError null.  The same here.
 */
static void test_r7_partial_rest_retried_as_its_batch(void)
{
    struct run r;
    char function[256];
    records_json(recs, sizeof recs, 6, "500ms", "user-1", POISON(6));
    snprintf(function, sizeof function, POISON_RULE ",\"report\":\"first-failure\"");
    scenario_json(text, sizeof text, "30s", recs,
                  ",\"BatchSize\":3,\"MaximumRetryAttempts\":3" RBIF DLQ, function, "");
    if (!run_json(text, &r))
        return;
    static const struct { uint64_t first; uint32_t count, attempt; enum outcome outcome; } want[] = {
        { 1, 3, 1, OUTCOME_SUCCESS }, { 4, 3, 1, OUTCOME_PARTIAL }, { 6, 1, 1, OUTCOME_PARTIAL },
        { 6, 1, 2, OUTCOME_PARTIAL }, { 6, 1, 3, OUTCOME_PARTIAL }, { 6, 1, 4, OUTCOME_PARTIAL },
    };
    CHECK_INT(r.ml.n_inv, 6);
    for (size_t i = 0; i < 6 && i < r.ml.n_inv; i++) {
        const struct slog_invocation *v = &r.ml.inv[i].v;
        if (v->first_sequence_number != want[i].first || v->record_count != want[i].count ||
            v->attempt != want[i].attempt || v->outcome != want[i].outcome)
            fprintf(stderr, "test_mapping.c:%d: invocation %zu: first %llu count %u attempt %u %s\n",
                    __LINE__, i, (unsigned long long)v->first_sequence_number, v->record_count,
                    v->attempt, outcome_name(v->outcome));
        CHECK_INT(v->first_sequence_number, want[i].first);
        CHECK_INT(v->record_count, want[i].count);
        CHECK_INT(v->attempt, want[i].attempt);
        CHECK_INT(v->outcome, want[i].outcome);
    }
    CHECK_INT(r.ml.deliveries, 3 + 3 + 4);          /* the 6th record five times */
    const uint64_t seqs[] = { 3, 5, 6 };
    const enum ckpt_reason why[] = { CKPT_SUCCESS, CKPT_PARTIAL, CKPT_DISCARDED };
    check_checkpoints(&r, seqs, why, 3);
    CHECK_INT(r.ml.n_disc, 1);
    if (r.ml.n_disc == 1) {
        const struct slog_discard *d = &r.ml.disc[0].v;
        CHECK_INT(d->condition, DISCARD_RETRIES_EXHAUSTED);
        CHECK_INT(d->start_sequence_number, 6);
        CHECK_INT(d->record_count, 1);
        CHECK_INT(d->approximate_invoke_count, 4);
        CHECK(d->has_response && d->function_error == NULL);
    }
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 5);
    CHECK_INT(r.ml.fates[FATE_DISCARDED], 1);
    release(&r);
}

/* R7 all-failures against first-failure: the records after the lowest
 * failure that had succeeded are delivered again (consumer duplicates), and
 * their side effects happened, so they are processed even when discarded. */
static void test_r7_all_failures_duplicates(void)
{
    struct run r;
    /* with some records failing, not all, Powertools' batch processor
     * returns them whether raise_on_entire_batch_failure is on or off */
    for (int style = 0; style < 2; style++) {
        if (!run_ten(&r, POISON(4) | POISON(7), RBIF ",\"MaximumRetryAttempts\":1",
                     style ? "all-failures-no-raise" : "all-failures"))
            return;
        /* all-failures works through all 10 records: 20 ms, then 7: 17 ms;
         * 4..10 is a set of its own, invoked 1 + 1 times */
        const struct want_inv want[] = {
            { 1000 * MS, 1, 10, 1, OUTCOME_PARTIAL },
            { 2020 * MS, 4, 7, 1, OUTCOME_PARTIAL },
            { 3037 * MS, 4, 7, 2, OUTCOME_PARTIAL },
        };
        check_invocations(__LINE__, &r, want, 3);
        const uint64_t seqs[] = { 3, 10 };
        const enum ckpt_reason why[] = { CKPT_PARTIAL, CKPT_DISCARDED };
        check_checkpoints(&r, seqs, why, 2);
        CHECK_INT(r.ml.n_disc, 1);
        CHECK_INT(r.ml.disc[0].v.record_count, 7);
        /* 5, 6, 8, 9, 10 were handled three times: duplicates; 4 and 7 never */
        CHECK_INT(r.sum.mapping.redelivered, 7);
        CHECK_INT(r.sum.mapping.reprocessed, 5);
        CHECK_INT(r.ml.handled, 8 + 5 + 5);            /* deliveries logged as handled */
        CHECK_INT(r.ml.fates[FATE_PROCESSED], 8);
        CHECK_INT(r.ml.fates[FATE_DISCARDED], 2);
        release(&r);
    }

    /* first-failure on the same batch: record 7 is never reached */
    if (!run_ten(&r, POISON(4) | POISON(7), RBIF ",\"MaximumRetryAttempts\":1", "first-failure"))
        return;
    CHECK_INT(r.ml.n_inv, 3);
    CHECK_INT(r.ml.deliveries, 10 + 7 + 7);
    CHECK_INT(r.sum.mapping.reprocessed, 0);       /* redelivered, never handled twice */
    CHECK_INT(r.ml.handled, 3);                    /* 1..3, before the first failure */
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 3);
    CHECK_INT(r.ml.fates[FATE_DISCARDED], 7);
    release(&r);
}

/* Two records at 500 ms (seq 1, 2), record 1 poison, and an outage until
 * 1.5 s: the first invocation (1 s) fails every record of its batch. */
static bool run_entire_batch_fails(struct run *r, const char *mapping, const char *report)
{
    char function[256];
    records_json(recs, sizeof recs, 2, "500ms", "user-1", POISON(1));
    snprintf(function, sizeof function,
             ",\"failures\":[{\"match\":{\"data_contains\":\"poison\"}},"
             "{\"match\":{\"from\":\"0s\",\"to\":\"1500ms\"}}],\"report\":\"%s\"", report);
    scenario_json(text, sizeof text, "30s", recs, mapping, function, "");
    return run_json(text, r);
}

/* Issue 11 item 3: all-failures is Powertools' batch processor, which throws
 * when every record of the batch failed: the mapping sees a function error,
 * so it bisects (R8), retries the single record as function errors (R5) and
 * discards it with functionError "Unhandled" (R6). */
static void test_r8_all_failures_entire_batch_throws(void)
{
    struct run r;
    if (!run_entire_batch_fails(&r, RBIF ",\"BisectBatchOnFunctionError\":true,"
                                "\"MaximumRetryAttempts\":1" DLQ, "all-failures"))
        return;
    const struct want_inv want[] = {
        { 1000 * MS, 1, 2, 1, OUTCOME_ERROR },     /* both fail: throws -> [1] [2] */
        { 2012 * MS, 1, 1, 1, OUTCOME_ERROR },     /* a batch of one, all failed */
        { 3023 * MS, 1, 1, 2, OUTCOME_ERROR },     /* retries spent: discarded */
        { 3054 * MS, 2, 1, 1, OUTCOME_SUCCESS },
    };
    check_invocations(__LINE__, &r, want, 4);
    for (size_t i = 0; i < 3 && i < r.ml.n_inv; i++)
        CHECK_STR(r.ml.inv[i].error, "Unhandled");
    const uint64_t seqs[] = { 1, 2 };
    const enum ckpt_reason why[] = { CKPT_DISCARDED, CKPT_SUCCESS };
    check_checkpoints(&r, seqs, why, 2);
    CHECK_INT(r.sum.mapping.bisects, 1);
    CHECK_INT(r.ml.n_disc, 1);
    if (r.ml.n_disc == 1) {
        const struct slog_discard *d = &r.ml.disc[0].v;
        CHECK_INT(d->condition, DISCARD_RETRIES_EXHAUSTED);
        CHECK_INT(d->start_sequence_number, 1);
        CHECK_INT(d->end_sequence_number, 1);
        CHECK(d->has_response);
        CHECK_STR(d->function_error, "Unhandled");
        CHECK_INT(d->at_us, 3034 * MS);
    }
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 1);
    CHECK_INT(r.ml.fates[FATE_DISCARDED], 1);
    release(&r);

    /* all-failures-no-raise (the setting off): it returns both, a partial
     * response naming the set's first record; without bisect that is a
     * retry from it, and the discard has functionError null, as before. */
    for (int style = 0; style < 2; style++) {
        if (!run_entire_batch_fails(&r, RBIF ",\"MaximumRetryAttempts\":1" DLQ,
                                    style ? "all-failures-no-raise" : "all-failures"))
            return;
        const struct want_inv no_raise[] = {
            { 1000 * MS, 1, 2, 1, OUTCOME_PARTIAL },
            { 2012 * MS, 1, 2, 2, OUTCOME_PARTIAL },   /* record 1 fails, 2 succeeds */
        };
        const struct want_inv raise[] = {
            { 1000 * MS, 1, 2, 1, OUTCOME_ERROR },     /* throws: a function error */
            { 2012 * MS, 1, 2, 2, OUTCOME_PARTIAL },   /* not all failed: returned */
        };
        check_invocations(__LINE__, &r, style ? no_raise : raise, 2);
        if (r.ml.n_inv == 2)
            CHECK_STR(r.ml.inv[0].error, style ? "batchItemFailures" : "Unhandled");
        CHECK_INT(r.ml.n_disc, 1);
        if (r.ml.n_disc == 1) {
            const struct slog_discard *d = &r.ml.disc[0].v;
            CHECK_INT(d->start_sequence_number, 1);
            CHECK_INT(d->record_count, 2);
            CHECK_INT(d->approximate_invoke_count, 2);
            CHECK(d->function_error == NULL);   /* the last invocation returned */
        }
        CHECK_INT(r.ml.fates[FATE_PROCESSED], 1);   /* record 2, handled the second time */
        CHECK_INT(r.ml.fates[FATE_DISCARDED], 1);
        release(&r);
    }
}

/* R7 "the response is ignored without ReportBatchItemFailures": a returned
 * list is a full success, and what the function failed is lost (R17). */
static void test_r7_response_ignored_without_setting(void)
{
    struct run r;
    if (!run_ten(&r, POISON(4), ",\"MaximumRetryAttempts\":2", "first-failure"))
        return;
    const struct want_inv want[] = { { 1000 * MS, 1, 10, 1, OUTCOME_SUCCESS } };
    check_invocations(__LINE__, &r, want, 1);
    const uint64_t seqs[] = { 10 };
    const enum ckpt_reason why[] = { CKPT_SUCCESS };
    check_checkpoints(&r, seqs, why, 1);
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 3);
    CHECK_INT(r.ml.fates[FATE_LOST], 7);          /* 4 failed, 5..10 never reached */
    release(&r);

    /* R7 wrong-list-key (SPEC 1.5): the mapping sees no list: success, lost */
    if (!run_ten(&r, POISON(4), RBIF, "wrong-list-key"))
        return;
    check_invocations(__LINE__, &r, want, 1);
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 9);
    CHECK_INT(r.ml.fates[FATE_LOST], 1);
    release(&r);
}

/* The run's message rows are exactly ids 1..n with fates fates[0..n), in
 * that order. */
static void check_message_rows(int line, const struct run *r, const enum fate *fates, size_t n)
{
    if (r->ml.n_msg != n)
        fprintf(stderr, "test_mapping.c:%d: %zu message rows, expected %zu\n", line, r->ml.n_msg, n);
    CHECK_INT(r->ml.n_msg, n);
    for (size_t i = 0; i < n && i < r->ml.n_msg; i++) {
        if (r->ml.msg[i].id != i + 1 || r->ml.msg[i].fate != fates[i])
            fprintf(stderr, "test_mapping.c:%d: row %zu: message %llu %s\n", line, i,
                    (unsigned long long)r->ml.msg[i].id, fate_name(r->ml.msg[i].fate));
        CHECK_INT(r->ml.msg[i].id, i + 1);
        CHECK_INT(r->ml.msg[i].fate, fates[i]);
    }
}

/* issue 15 item 1 (R4, R6, R7, R17): a set's records leave the stream in
 * runs of one fate; the messages settle in the set's order, each with its
 * record's fate, across the runs. */
static void test_issue15_fate_runs(void)
{
    enum fate P = FATE_PROCESSED, L = FATE_LOST, D = FATE_DISCARDED;
    struct run r;
    /* R4: a success whose response lists 2, 4, 7 (ignored without the
     * setting): those are lost, the others processed */
    if (!run_ten(&r, POISON(2) | POISON(4) | POISON(7), "", "all-failures"))
        return;
    const enum fate success[] = { P, L, P, L, P, P, L, P, P, P };
    check_message_rows(__LINE__, &r, success, 10);
    release(&r);

    /* R7 then R6: checkpoint before 2, 2..10 a set of its own, retried
     * once, then discarded: the records the function handled are
     * processed, 2 and 4 discarded */
    if (!run_ten(&r, POISON(2) | POISON(4), RBIF ",\"MaximumRetryAttempts\":1", "all-failures"))
        return;
    const enum fate discarded[] = { P, D, P, D, P, P, P, P, P, P };
    check_message_rows(__LINE__, &r, discarded, 10);
    CHECK_INT(r.ml.n_inv, 3);                     /* 1..10, then 2..10 twice */
    release(&r);
}

/* R7 full failures from buggy responses: the whole batch is retried, then
 * discarded whole with functionError null. */
static void test_r7_buggy_responses_fail_the_batch(void)
{
    static const struct { const char *style, *error; } cases[] = {
        { "empty-identifier", "empty-string itemIdentifier" },
        { "wrong-key", "no itemIdentifier key (wrong key name)" },
        { "unknown-sequence", "itemIdentifier not in the batch" },
    };
    for (size_t c = 0; c < 3; c++) {
        struct run r;
        if (!run_ten(&r, POISON(4), RBIF ",\"MaximumRetryAttempts\":1", cases[c].style))
            return;
        const struct want_inv want[] = {
            { 1000 * MS, 1, 10, 1, OUTCOME_ERROR },
            { 2014 * MS, 1, 10, 2, OUTCOME_ERROR },
        };
        check_invocations(__LINE__, &r, want, 2);
        if (r.ml.n_inv == 2)
            CHECK_STR(r.ml.inv[1].error, cases[c].error);
        const uint64_t seqs[] = { 10 };
        const enum ckpt_reason why[] = { CKPT_DISCARDED };
        check_checkpoints(&r, seqs, why, 1);
        CHECK_INT(r.ml.n_disc, 1);
        if (r.ml.n_disc == 1) {
            CHECK_INT(r.ml.disc[0].v.record_count, 10);
            CHECK_INT(r.ml.disc[0].v.approximate_invoke_count, 2);
            CHECK(r.ml.disc[0].v.function_error == NULL);
        }
        CHECK_INT(r.ml.fates[FATE_PROCESSED], 3);
        CHECK_INT(r.ml.fates[FATE_DISCARDED], 7);
        release(&r);
    }
}

/* R8: a function error halves the batch, first half first, down to the
 * single poison record; only its own failures count toward the retries.
 * Issue 11 item 7b: approximateInvokeCount counts every invocation that
 * delivered the discarded record, those of the sets it was split from
 * included. */
static void test_r8_bisect_to_the_poison_record(void)
{
    struct run r;
    if (!run_ten(&r, POISON(4), ",\"BisectBatchOnFunctionError\":true,\"MaximumRetryAttempts\":1" DLQ,
                 "throw"))
        return;
    const struct want_inv want[] = {
        { 1000 * MS, 1, 10, 1, OUTCOME_ERROR },     /* -> [1..5] [6..10] */
        { 2014 * MS, 1, 5, 1, OUTCOME_ERROR },      /* -> [1,2] [3..5] */
        { 3028 * MS, 1, 2, 1, OUTCOME_SUCCESS },
        { 3060 * MS, 3, 3, 1, OUTCOME_ERROR },      /* -> [3] [4,5] */
        { 4072 * MS, 3, 1, 1, OUTCOME_SUCCESS },
        { 4103 * MS, 4, 2, 1, OUTCOME_ERROR },      /* -> [4] [5]: the 4th split */
        { 5114 * MS, 4, 1, 1, OUTCOME_ERROR },      /* one record: an attempt */
        { 6125 * MS, 4, 1, 2, OUTCOME_ERROR },      /* retries spent: discarded */
        { 6156 * MS, 5, 1, 1, OUTCOME_SUCCESS },
        { 6187 * MS, 6, 5, 1, OUTCOME_SUCCESS },
    };
    check_invocations(__LINE__, &r, want, 10);
    const uint64_t seqs[] = { 2, 3, 4, 5, 10 };
    const enum ckpt_reason why[] = { CKPT_SUCCESS, CKPT_SUCCESS, CKPT_DISCARDED, CKPT_SUCCESS,
                                     CKPT_SUCCESS };
    check_checkpoints(&r, seqs, why, 5);
    CHECK_INT(r.ml.n_disc, 1);
    if (r.ml.n_disc == 1) {
        const struct slog_discard *d = &r.ml.disc[0].v;
        CHECK_INT(d->start_sequence_number, 4);
        CHECK_INT(d->end_sequence_number, 4);
        CHECK_INT(d->record_count, 1);
        /* [1..10], [1..5], [3..5], [4,5], then [4] twice: not only the last set's 2 */
        CHECK_INT(d->approximate_invoke_count, 6);
        CHECK_STR(d->function_error, "Unhandled");
        /* written when [5] is checkpointed (R8 consolidation), dated at its discard */
        CHECK_INT(d->at_us, 6136 * MS);
        CHECK_INT(d->invocation_id, 8);
    }
    CHECK_INT(r.sum.mapping.bisects, 4);
    CHECK_INT(r.sum.mapping.reprocessed, 3);       /* 1..3, handled before the first throw */
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 9);
    CHECK_INT(r.ml.fates[FATE_DISCARDED], 1);
    release(&r);

    /* A bad response is a full failure: bisected like an error. */
    if (!run_ten(&r, POISON(4), RBIF ",\"BisectBatchOnFunctionError\":true,\"MaximumRetryAttempts\":0",
                 "empty-identifier"))
        return;
    CHECK_INT(r.sum.mapping.bisects, 4);
    CHECK_INT(r.ml.n_disc, 1);
    CHECK_INT(r.ml.disc[0].v.start_sequence_number, 4);
    CHECK_INT(r.ml.disc[0].v.record_count, 1);
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 9);
    release(&r);
}

/* R8 with R7: a partial response splits at the returned record, and the
 * rest is a new set (the split is no retry); a failure reported on the set's
 * first record is a retry of the set (issue 11 item 7a: AWS "retries only
 * the remaining records", which are then the whole set: nothing to split
 * off).  approximateInvokeCount counts the new set's own invocations, not
 * the one before the split, as AWS does after a partial response
 * (test_r7_partial_rest_retried_as_its_batch). */
static void test_r8_bisect_with_partial_response(void)
{
    struct run r;
    if (!run_ten(&r, POISON(4), RBIF ",\"BisectBatchOnFunctionError\":true,\"MaximumRetryAttempts\":1",
                 "first-failure"))
        return;
    const struct want_inv want[] = {
        { 1000 * MS, 1, 10, 1, OUTCOME_PARTIAL },   /* split at 4: [4..10] is new */
        { 2014 * MS, 4, 7, 1, OUTCOME_PARTIAL },    /* fails on its first record */
        { 3025 * MS, 4, 7, 2, OUTCOME_PARTIAL },    /* retries spent */
    };
    check_invocations(__LINE__, &r, want, 3);
    const uint64_t seqs[] = { 3, 10 };
    const enum ckpt_reason why[] = { CKPT_PARTIAL, CKPT_DISCARDED };
    check_checkpoints(&r, seqs, why, 2);
    CHECK_INT(r.ml.n_disc, 1);
    if (r.ml.n_disc == 1) {
        CHECK_INT(r.ml.disc[0].v.record_count, 7);
        CHECK_INT(r.ml.disc[0].v.approximate_invoke_count, 2);   /* [4..10]'s own two */
        CHECK(r.ml.disc[0].v.function_error == NULL);
    }
    CHECK_INT(r.sum.mapping.bisects, 0);
    release(&r);

    /* Item 7a: the batch's own first record reported: no split, no halving,
     * the retries count (MaximumRetryAttempts 1: two invocations), and the
     * whole batch is discarded with functionError null. */
    if (!run_ten(&r, POISON(1), RBIF ",\"BisectBatchOnFunctionError\":true,\"MaximumRetryAttempts\":1",
                 "first-failure"))
        return;
    const struct want_inv first[] = {
        { 1000 * MS, 1, 10, 1, OUTCOME_PARTIAL },
        { 2011 * MS, 1, 10, 2, OUTCOME_PARTIAL },
    };
    check_invocations(__LINE__, &r, first, 2);
    const uint64_t all[] = { 10 };
    const enum ckpt_reason discarded[] = { CKPT_DISCARDED };
    check_checkpoints(&r, all, discarded, 1);
    const struct slog_discard *d = check_sole_discard(&r, DISCARD_RETRIES_EXHAUSTED, 1, 10, 2, 2022 * MS);
    if (d)
        CHECK(d->function_error == NULL);
    CHECK_INT(r.sum.mapping.bisects, 0);
    CHECK_INT(r.ml.fates[FATE_DISCARDED], 10);
    release(&r);
}

/* One OnFailure message, by its fields. */
struct want_disc {
    uint64_t start, end;
    uint32_t records, invokes;
};

static void check_discards(int line, const struct run *r, const struct want_disc *want, size_t n)
{
    if (r->ml.n_disc != n)
        fprintf(stderr, "test_mapping.c:%d: %zu discards, expected %zu\n", line, r->ml.n_disc, n);
    CHECK_INT(r->ml.n_disc, n);
    for (size_t i = 0; i < n && i < r->ml.n_disc; i++) {
        const struct slog_discard *d = &r->ml.disc[i].v;
        CHECK_INT(d->start_sequence_number, want[i].start);
        CHECK_INT(d->end_sequence_number, want[i].end);
        CHECK_INT(d->record_count, want[i].records);
        CHECK_INT(d->approximate_invoke_count, want[i].invokes);
        CHECK_INT(d->condition, DISCARD_RETRIES_EXHAUSTED);
        CHECK_STR(d->function_error, "Unhandled");
    }
    CHECK_INT(r->sum.mapping.discards, n);
}

#define BISECT_NO_RETRY ",\"BisectBatchOnFunctionError\":true,\"MaximumRetryAttempts\":0" DLQ

/* Issue 11 item 4 (R6, R8): with BisectBatchOnFunctionError, the discarded
 * sets of one batch that follow one another, nothing checkpointed between
 * them, make one OnFailure message (AWS: its BatchSize "could be greater than
 * 1 since Lambda consolidates failed messages metadata"); a checkpoint
 * between two discards makes two.  The summary counts messages and records
 * apart. */
static void test_r8_consolidated_discards(void)
{
    struct run r;
    /* 4 and 5 poisoned: [4,5] splits into [4] and [5], both discarded one
     * after the other: one message of two records */
    if (run_ten(&r, POISON(4) | POISON(5), BISECT_NO_RETRY, "throw")) {
        const struct want_disc want[] = { { 4, 5, 2, 5 } };   /* [1..10] [1..5] [3..5] [4,5] [4] */
        check_discards(__LINE__, &r, want, 1);
        const uint64_t seqs[] = { 2, 3, 4, 5, 10 };
        const enum ckpt_reason why[] = { CKPT_SUCCESS, CKPT_SUCCESS, CKPT_DISCARDED, CKPT_DISCARDED,
                                         CKPT_SUCCESS };
        check_checkpoints(&r, seqs, why, 5);
        if (r.ml.n_disc == 1 && r.ml.n_inv == 9) {
            /* dated and identified by the second discard: [5]'s invocation */
            CHECK_INT(r.ml.inv[7].v.first_sequence_number, 5);
            CHECK_INT(r.ml.disc[0].v.at_us, r.ml.inv[7].v.end_us);
            CHECK_INT(r.ml.disc[0].v.invocation_id, r.ml.inv[7].v.invocation_id);
            CHECK_INT(r.ml.disc[0].v.first_arrival_us, 500 * MS);
            CHECK_INT(r.ml.disc[0].v.last_arrival_us, 500 * MS);
            char *json = discard_json(&r, 0);
            CHECK_CONTAINS(json, "\"startSequenceNumber\":\"4\",\"endSequenceNumber\":\"5\"");
            CHECK_CONTAINS(json, "\"batchSize\":2,");
            free(json);
        }
        CHECK_INT(r.sum.mapping.discarded_records, 2);
        CHECK_INT(r.ml.fates[FATE_DISCARDED], 2);
        CHECK_INT(r.ml.fates[FATE_PROCESSED], 8);
        release(&r);
    }
    /* 2 and 4: [3] is checkpointed between their discards: two messages */
    if (run_ten(&r, POISON(2) | POISON(4), BISECT_NO_RETRY, "throw")) {
        const struct want_disc want[] = {
            { 2, 2, 1, 4 },   /* [1..10] [1..5] [1,2] [2] */
            { 4, 4, 1, 5 },   /* [1..10] [1..5] [3..5] [4,5] [4] */
        };
        check_discards(__LINE__, &r, want, 2);
        CHECK_INT(r.sum.mapping.discarded_records, 2);
        release(&r);
    }
    /* 9 and 10, the batch's last sets: written when the batch is done */
    if (run_ten(&r, POISON(9) | POISON(10), BISECT_NO_RETRY, "throw")) {
        const struct want_disc want[] = { { 9, 10, 2, 5 } };   /* [1..10] [6..10] [8..10] [9,10] [9] */
        check_discards(__LINE__, &r, want, 1);
        if (r.ml.n_disc == 1 && r.ml.n_ckpt > 0)
            CHECK_INT(r.ml.disc[0].v.at_us, r.ml.ckpt[r.ml.n_ckpt - 1].at_us);
        release(&r);
    }
    /* Without bisect nothing is consolidated: one set, one message. */
    if (run_ten(&r, POISON(4) | POISON(5), ",\"MaximumRetryAttempts\":0" DLQ, "throw")) {
        const struct want_disc want[] = { { 1, 10, 10, 1 } };
        check_discards(__LINE__, &r, want, 1);
        release(&r);
    }
    /* A run of discards still open when the simulation ends is written then,
     * with the time of its discard: [4] discarded at 5.125 s, [5] not yet
     * invoked at 5.13 s. */
    records_json(recs, sizeof recs, 10, "500ms", "user-1", POISON(4) | POISON(5));
    scenario_json(text, sizeof text, "5130ms", recs, BISECT_NO_RETRY, POISON_RULE, "");
    if (run_json(text, &r)) {
        const struct want_disc want[] = { { 4, 4, 1, 5 } };
        check_discards(__LINE__, &r, want, 1);
        if (r.ml.n_disc == 1)
            CHECK_INT(r.ml.disc[0].v.at_us, 5125 * MS);
        CHECK_INT(r.ml.fates[FATE_DISCARDED], 1);
        release(&r);
    }
}

/* R11 + R8: a batch too slow for the timeout ends at the timeout as an error
 * (the records finished by then were handled); bisect makes it fit. */
static void test_r11_timeout_then_bisect(void)
{
    struct run r;
    records_json(recs, sizeof recs, 10, "500ms", "user-1", 0);
    /* 10 ms + 300 ms per record against a 1 s timeout: 3 records fit, 4 do not */
    scenario_json_timed(text, sizeof text, "\"timeout\":\"1s\",\"duration\":{\"per_invoke\":\"10ms\","
                        "\"per_record\":\"300ms\"}", "", "30s", recs,
                        ",\"BisectBatchOnFunctionError\":true", "", "");
    if (!run_json(text, &r))
        return;
    const struct want_inv want[] = {
        { 1000 * MS, 1, 10, 1, OUTCOME_TIMEOUT },   /* -> [1..5] [6..10] */
        { 3000 * MS, 1, 5, 1, OUTCOME_TIMEOUT },    /* -> [1,2] [3..5] */
        { 5000 * MS, 1, 2, 1, OUTCOME_SUCCESS },
        { 5630 * MS, 3, 3, 1, OUTCOME_SUCCESS },
        { 6560 * MS, 6, 5, 1, OUTCOME_TIMEOUT },    /* -> [6,7] [8..10] */
        { 8560 * MS, 6, 2, 1, OUTCOME_SUCCESS },
        { 9190 * MS, 8, 3, 1, OUTCOME_SUCCESS },
    };
    check_invocations(__LINE__, &r, want, 7);
    if (r.ml.n_inv == 7) {
        CHECK_INT(r.ml.inv[0].v.end_us, 2000 * MS);   /* ended at the timeout */
        CHECK_STR(r.ml.inv[0].error, "Task timed out");
    }
    const uint64_t seqs[] = { 2, 5, 7, 10 };
    const enum ckpt_reason why[] = { CKPT_SUCCESS, CKPT_SUCCESS, CKPT_SUCCESS, CKPT_SUCCESS };
    check_checkpoints(&r, seqs, why, 4);
    CHECK_INT(r.sum.mapping.bisects, 3);
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 10);
    CHECK_INT(r.sum.mapping.redelivered, 10);
    CHECK_INT(r.sum.mapping.reprocessed, 6);       /* 1..3 and 6..8 finished before timeouts */
    release(&r);
}

/* A run of 3 records at 500 ms then 3 at 7 s (seq 1..6) on one shard with a
 * function of the given cold start and timeout, a 100 ms handler. */
static bool run_cold(struct run *r, const char *cold_start, const char *timeout)
{
    snprintf(text, sizeof text,
             "{\"name\":\"t\",\"duration\":\"60s\",\"stream\":{\"shards\":1},\"records\":["
             "{\"at\":\"500ms\",\"partition_key\":\"k\"},{\"at\":\"500ms\",\"partition_key\":\"k\"},"
             "{\"at\":\"500ms\",\"partition_key\":\"k\"},{\"at\":\"7s\",\"partition_key\":\"k\"},"
             "{\"at\":\"7s\",\"partition_key\":\"k\"},{\"at\":\"7s\",\"partition_key\":\"k\"}],"
             "\"event_source_mapping\":{\"StartingPosition\":\"TRIM_HORIZON\"},"
             "\"function\":{\"cold_start\":\"%s\",\"timeout\":\"%s\","
             "\"duration\":{\"per_invoke\":\"100ms\",\"per_record\":0}}}", cold_start, timeout);
    return run_json(text, r);
}

/* Issue 11 item 1 (R11, R14): the Init phase runs outside the timeout up to
 * 10 s, and the invocation lasts init + handler: its end and IteratorAge
 * follow.  A longer init is cut at 10 s and run again inside the
 * invocation, under the timeout. */
static void test_r11_init_outside_timeout(void)
{
    struct run r;
    /* a 5 s init, a 3 s timeout: invoked at 1 s, ends at 6.1 s, a success */
    if (run_cold(&r, "5s", "3s")) {
        const struct want_inv want[] = {
            { 1000 * MS, 1, 3, 1, OUTCOME_SUCCESS },
            { 7000 * MS, 4, 3, 1, OUTCOME_SUCCESS },   /* warm: 100 ms */
        };
        check_invocations(__LINE__, &r, want, 2);
        if (r.ml.n_inv == 2) {
            CHECK(r.ml.inv[0].v.cold_start);
            CHECK_INT(r.ml.inv[0].v.end_us, 6100 * MS);
            CHECK_INT(r.ml.inv[0].v.iterator_age_us, 5600 * MS);   /* 6.1 s - 500 ms */
            /* item 8: when the event was sent, at the start, it was 500 ms old */
            CHECK_INT(r.ml.inv[0].v.iterator_age_at_send_us, 500 * MS);
            CHECK(!r.ml.inv[1].v.cold_start);
            CHECK_INT(r.ml.inv[1].v.end_us, 7100 * MS);
            CHECK_INT(r.ml.inv[1].v.iterator_age_us, 100 * MS);
        }
        CHECK_INT(r.ml.fates[FATE_PROCESSED], 6);
        release(&r);
    }
    /* a 12 s init, a 30 s timeout: 10 s, then 12 s again and 100 ms */
    if (run_cold(&r, "12s", "30s")) {
        CHECK_INT(r.ml.n_inv, 2);
        CHECK_INT(r.ml.inv[0].v.outcome, OUTCOME_SUCCESS);
        CHECK_INT(r.ml.inv[0].v.start_us, 1000 * MS);
        CHECK_INT(r.ml.inv[0].v.end_us, 23100 * MS);
        CHECK_INT(r.ml.inv[0].v.iterator_age_us, 22600 * MS);
        release(&r);
    }
    /* a 12 s timeout: the re-run init and the handler pass it, "Task timed
     * out" 10 s + 12 s after the start */
    if (run_cold(&r, "12s", "12s")) {
        CHECK(r.ml.n_inv >= 1);
        if (r.ml.n_inv >= 1) {
            CHECK_INT(r.ml.inv[0].v.outcome, OUTCOME_TIMEOUT);
            CHECK_STR(r.ml.inv[0].error, "Task timed out");
            CHECK_INT(r.ml.inv[0].v.end_us, 23000 * MS);
            CHECK_INT(r.ml.inv[0].v.iterator_age_us, 22500 * MS);
        }
        release(&r);
    }
}

/* R9: a throttled GetRecords call is no attempt either: the shard waits for
 * its read budget.  With 4 other consumers the mapping has 1 call a second. */
static void test_r9_getrecords_throttle(void)
{
    struct run r;
    int len = records_json(recs, sizeof recs, 10, "500ms", "user-1", 0);
    recs[len++] = ',';
    records_json(recs + len, sizeof recs - (size_t)len, 10, "1030ms", "user-1", 0);
    for (int others = 0; others <= 4; others += 4) {
        char stream[64];
        snprintf(stream, sizeof stream, ",\"other_consumers\":%d", others);
        scenario_json_timed(text, sizeof text, TIMING, stream, "10s", recs, ",\"BatchSize\":10", "", "");
        if (!run_json(text, &r))
            return;
        /* the second batch: read 20 ms after the first ends, or at the next
         * second when that read is throttled */
        const struct want_inv want[] = {
            { 1000 * MS, 1, 10, 1, OUTCOME_SUCCESS },
            { others ? 2000 * MS : 1040 * MS, 11, 10, 1, OUTCOME_SUCCESS },
        };
        check_invocations(__LINE__, &r, want, 2);
        /* throttled at 1.040 s; after the second batch nothing waits in the
         * shard, so no call is made before the next tick (R1) */
        CHECK_INT(r.sum.mapping.read_throttles, others ? 1 : 0);
        CHECK_INT(r.ml.fates[FATE_PROCESSED], 20);
        /* Issue 13 item 3: each call is a read event, the observer's figures
         * come from them.  A call each tick (0 s to 10 s, the first empty),
         * and the one after the first batch: at 1.040 s it reads the second
         * ten records 10 ms after they arrived, or is throttled, and they
         * wait for the tick at 2 s (970 ms). */
        CHECK_INT(r.n_reads, 12);
        CHECK_INT(r.n_throttled, others ? 1 : 0);
        CHECK_INT(r.records_read, 20);
        const struct slog_read want_reads[2][4] = {
            { { .at_us = 0 }, { .at_us = 1000 * MS, .records = 10, .delay_sum_us = 5000 * MS,
                                .delay_max_us = 500 * MS },
              { .at_us = 1040 * MS, .records = 10, .delay_sum_us = 100 * MS, .delay_max_us = 10 * MS },
              { .at_us = 2000 * MS } },
            { { .at_us = 0 }, { .at_us = 1000 * MS, .records = 10, .delay_sum_us = 5000 * MS,
                                .delay_max_us = 500 * MS },
              { .at_us = 1040 * MS, .throttled = true },
              { .at_us = 2000 * MS, .records = 10, .delay_sum_us = 9700 * MS,
                .delay_max_us = 970 * MS } },
        };
        for (int i = 0; i < 4; i++) {
            const struct slog_read *got = &r.reads[i], *w = &want_reads[others ? 1 : 0][i];
            CHECK_INT(got->at_us, w->at_us);
            CHECK_INT(got->throttled, w->throttled);
            CHECK_INT(got->records, w->records);
            CHECK(got->delay_sum_us == w->delay_sum_us);
            CHECK_INT(got->delay_max_us, w->delay_max_us);
        }
        /* R1: mean (10 x 500 + 10 x 10) / 20, or (10 x 500 + 10 x 970) / 20 */
        CHECK(r.sum.mapping.read_delay_mean_ms == (others ? 735.0 : 255.0));
        CHECK(r.sum.mapping.read_delay_max_ms == (others ? 970.0 : 500.0));
        release(&r);
    }
}

/* R1's read delays, issue 15 item 1: the mapping adds a read's delays as
 * integers when their sum is exact in a double, and else as doubles one by
 * one, so that the figure is what a double sum gives whatever its size.
 * Here 10,000 records, one every 1 ms from 1 us (odd delays), are read at
 * once after 11 days (the mapping disabled until then): their sum, near
 * 9.5e15 us, is past 2^53, where the doubles' additions round. */
static void test_r1_read_delay_sum_past_2_53(void)
{
    enum { N = 10000 };
    int len = 0;
    for (int k = 0; k < N; k++)
        len += snprintf(recs + len, sizeof recs - (size_t)len,
                        "%s{\"at\":\"%dus\",\"partition_key\":\"user-1\",\"data\":\"ok\"}",
                        k ? "," : "", k * 1000 + 1);
    scenario_json_timed(text, sizeof text, TIMING, ",\"retention\":\"12d\"", "15841m", recs,
                        ",\"Enabled\":false,\"BatchSize\":10000", "",
                        ",\"model\":{\"mapping_update_delay\":\"0s\",\"poll_interval\":\"1h\"},"
                        "\"schedule\":[{\"at\":\"11d\",\"update_mapping\":{\"Enabled\":true}}]");
    struct run r;
    if (!run_json(text, &r))
        return;
    const struct slog_read *rd = NULL;
    for (size_t i = 0; i < r.n_reads && i < READS_KEPT; i++)
        if (r.reads[i].records > 0 && !rd)
            rd = &r.reads[i];
    CHECK(rd != NULL);
    if (rd) {
        CHECK_INT(rd->records, N);
        int64_t at = rd->at_us;
        double want = 0;
        uint64_t exact = 0;
        for (int k = 0; k < N; k++) {
            want += (double)(at - (k * 1000 + 1));
            exact += (uint64_t)(at - (k * 1000 + 1));
        }
        CHECK(exact > (UINT64_C(1) << 53));
        CHECK(want != (double)exact);   /* the doubles rounded: the case checked */
        CHECK(rd->delay_sum_us == want);
        CHECK_INT(rd->delay_max_us, at - 1);
    }
    CHECK_INT(r.ml.fates[FATE_PROCESSED], N);
    release(&r);
}

/* ---- R10 ParallelizationFactor ------------------------------------------ */

/* A key whose records go to lane `lane` of `factor` (mapping_int.h esm_lane_of: the low 64
 * bits of the key's MD5 modulo the factor), into buf. */
static void key_in_lane(char *buf, size_t size, const char *prefix, uint32_t lane, uint32_t factor)
{
    for (int i = 0;; i++) {
        snprintf(buf, size, "%s-%d", prefix, i);
        if (hashkey_of(buf, strlen(buf)).lo % factor == lane)
            return;
    }
}

/* One record JSON object, appended to buf at *len. */
static void add_record(char *buf, size_t size, int *len, const char *at, const char *key,
                       const char *data)
{
    *len += snprintf(buf + *len, size - (size_t)*len,
                     "%s{\"at\":\"%s\",\"partition_key\":\"%s\",\"data\":\"%s\"}",
                     *len ? "," : "", at, key, data);
}

/* R10: with factor 4, two keys in lanes 1 and 3 make two batches in flight
 * at once, each holding one key's records in order; the shard checkpoint
 * moves only as far as every record below it is done. */
static void test_r10_lanes_keep_key_order(void)
{
    char ka[32], kb[32];
    key_in_lane(ka, sizeof ka, "a", 1, 4);
    key_in_lane(kb, sizeof kb, "b", 3, 4);
    int len = 0;
    for (int i = 0; i < 5; i++) {
        add_record(recs, sizeof recs, &len, "500ms", ka, "ok");   /* seq 1, 3, 5, 7, 9 */
        add_record(recs, sizeof recs, &len, "500ms", kb, "ok");   /* seq 2, 4, 6, 8, 10 */
    }
    struct run r;
    scenario_json(text, sizeof text, "10s", recs, ",\"ParallelizationFactor\":4", "", "");
    if (!run_json(text, &r))
        return;
    const struct want_inv want[] = {
        { 1000 * MS, 1, 5, 1, OUTCOME_SUCCESS },   /* lane 1: key a */
        { 1000 * MS, 2, 5, 1, OUTCOME_SUCCESS },   /* lane 3: key b, concurrently */
    };
    check_invocations(__LINE__, &r, want, 2);
    if (r.ml.n_inv == 2) {
        CHECK_INT(r.ml.inv[0].v.lane, 1);
        CHECK_INT(r.ml.inv[0].v.last_sequence_number, 9);
        CHECK_INT(r.ml.inv[1].v.lane, 3);
        CHECK_INT(r.ml.inv[1].v.last_sequence_number, 10);
    }
    CHECK_INT(r.sum.peak_concurrency, 2);
    /* lane 1 ends first: only seq 1 is done below seq 2; then all of them */
    const uint64_t seqs[] = { 1, 10 };
    const enum ckpt_reason why[] = { CKPT_SUCCESS, CKPT_SUCCESS };
    check_checkpoints(&r, seqs, why, 2);
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 10);
    release(&r);
}

/* R10 + R5/R6: a poison record blocks its own lane only.  Key a's batch
 * (seq 1 poison, 4) fails and is retried while key b's lane goes on with
 * the records written later; the checkpoint waits at seq 1 until key a's
 * batch is discarded, then jumps past everything. */
static void test_r10_failure_blocks_only_its_lane(void)
{
    char ka[32], kb[32];
    key_in_lane(ka, sizeof ka, "a", 0, 2);
    key_in_lane(kb, sizeof kb, "b", 1, 2);
    int len = 0;
    add_record(recs, sizeof recs, &len, "500ms", ka, "poison");   /* seq 1 */
    add_record(recs, sizeof recs, &len, "500ms", kb, "ok");       /* seq 2 */
    add_record(recs, sizeof recs, &len, "500ms", kb, "ok");       /* seq 3 */
    add_record(recs, sizeof recs, &len, "500ms", ka, "ok");       /* seq 4 */
    add_record(recs, sizeof recs, &len, "1500ms", kb, "ok");      /* seq 5 */
    add_record(recs, sizeof recs, &len, "1500ms", kb, "ok");      /* seq 6 */
    struct run r;
    scenario_json(text, sizeof text, "10s", recs,
                  ",\"ParallelizationFactor\":2,\"MaximumRetryAttempts\":1", POISON_RULE, "");
    if (!run_json(text, &r))
        return;
    const struct want_inv want[] = {
        { 1000 * MS, 1, 2, 1, OUTCOME_ERROR },     /* lane 0: seq 1, 4 */
        { 1000 * MS, 2, 2, 1, OUTCOME_SUCCESS },   /* lane 1: seq 2, 3 */
        { 2000 * MS, 5, 2, 1, OUTCOME_SUCCESS },   /* lane 1 goes on at the tick */
        { 2011 * MS, 1, 2, 2, OUTCOME_ERROR },     /* lane 0's retry, 1 s after (a throw
                                                      at the first record: 11 ms) */
    };
    check_invocations(__LINE__, &r, want, 4);
    const uint64_t seqs[] = { 6 };
    const enum ckpt_reason why[] = { CKPT_DISCARDED };
    check_checkpoints(&r, seqs, why, 1);
    if (r.ml.n_ckpt == 1)
        CHECK_INT(r.ml.ckpt[0].at_us, 2022 * MS);
    CHECK_INT(r.ml.n_disc, 1);
    if (r.ml.n_disc == 1) {
        CHECK_INT(r.ml.disc[0].v.start_sequence_number, 1);
        CHECK_INT(r.ml.disc[0].v.end_sequence_number, 4);
        CHECK_INT(r.ml.disc[0].v.record_count, 2);
        CHECK_INT(r.ml.disc[0].v.approximate_invoke_count, 2);
    }
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 4);
    CHECK_INT(r.ml.fates[FATE_DISCARDED], 2);
    release(&r);
}

/* R10: few distinct keys cap the parallelism.  Factor 10 and two keys in
 * two lanes: 400 records never have more than 2 batches in flight, each
 * batch holds one key, and each key's records are delivered in order. */
static void test_r10_two_keys_cap_parallelism(void)
{
    char ka[32], kb[32];
    key_in_lane(ka, sizeof ka, "a", 2, 10);
    key_in_lane(kb, sizeof kb, "b", 7, 10);
    int len = 0;
    for (int i = 0; i < 200; i++) {
        add_record(recs, sizeof recs, &len, "500ms", ka, "ok");
        add_record(recs, sizeof recs, &len, "500ms", kb, "ok");
    }
    struct run r;
    scenario_json(text, sizeof text, "10s", recs, ",\"ParallelizationFactor\":10", "", "");
    if (!run_json(text, &r))
        return;
    CHECK_INT(r.sum.peak_concurrency, 2);
    CHECK_INT(r.ml.n_inv, 4);                 /* 200 per key: two batches of 100 each */
    uint64_t next_first[10] = { 0 };
    for (size_t i = 0; i < r.ml.n_inv; i++) {
        const struct slog_invocation *v = &r.ml.inv[i].v;
        CHECK(v->lane == 2 || v->lane == 7);
        CHECK_INT(v->record_count, 100);
        /* one key per batch: its records are every other sequence number */
        CHECK_INT(v->last_sequence_number - v->first_sequence_number, 2 * 99);
        CHECK(v->first_sequence_number > next_first[v->lane]);   /* in order per key */
        next_first[v->lane] = v->last_sequence_number;
    }
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 400);
    CHECK_INT(r.sum.mapping.redelivered, 0);
    release(&r);
}

/* R10 + R11: concurrency reaches shards x factor, capped by the reserved
 * concurrency: of four lanes with records, two invoke and two are
 * throttled (no attempt, R9) and get their turn after the backoff. */
static void test_r10_reserved_concurrency_caps_lanes(void)
{
    char keys[4][32];
    int len = 0;
    for (uint32_t lane = 0; lane < 4; lane++) {
        key_in_lane(keys[lane], sizeof keys[lane], "k", lane, 4);
        add_record(recs, sizeof recs, &len, "500ms", keys[lane], "ok");   /* seq lane + 1 */
    }
    struct run r;
    scenario_json(text, sizeof text, "10s", recs, ",\"ParallelizationFactor\":4",
                  ",\"reserved_concurrency\":2", "");
    if (!run_json(text, &r))
        return;
    CHECK_INT(r.sum.peak_concurrency, 2);
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 4);
    CHECK_INT(r.sum.mapping.invocations[OUTCOME_SUCCESS], 4);
    CHECK(r.sum.mapping.invocations[OUTCOME_THROTTLED] >= 2);
    if (r.ml.n_inv >= 4) {
        /* At the first poll lanes 0 and 1 run, lanes 2 and 3 are throttled.
         * Rows are logged when an attempt ends: the throttles come first. */
        const uint32_t lane[] = { 2, 3, 0, 1 };
        const enum outcome outcome[] = { OUTCOME_THROTTLED, OUTCOME_THROTTLED, OUTCOME_SUCCESS,
                                         OUTCOME_SUCCESS };
        for (uint32_t i = 0; i < 4; i++) {
            CHECK_INT(r.ml.inv[i].v.start_us, 1000 * MS);
            CHECK_INT(r.ml.inv[i].v.lane, lane[i]);
            CHECK_INT(r.ml.inv[i].v.first_sequence_number, lane[i] + 1);
            CHECK_INT(r.ml.inv[i].v.outcome, outcome[i]);
        }
    }
    release(&r);
}

/* ---- R16 schedule -------------------------------------------------------- */

/* R16: a scheduled Enabled false stops polling after the update delay and
 * keeps the checkpoint; Enabled true resumes from it. */
static void test_r16_disable_enable(void)
{
    int len = records_json(recs, sizeof recs, 10, "500ms", "user-1", 0);
    recs[len++] = ',';
    records_json(recs + len, sizeof recs - (size_t)len, 10, "5500ms", "user-1", 0);
    struct run r;
    scenario_json(text, sizeof text, "20s", recs, "", "",
                  ",\"model\":{\"mapping_update_delay\":\"1s\"},"
                  "\"schedule\":[{\"at\":\"2s\",\"update_mapping\":{\"Enabled\":false}},"
                  "{\"at\":\"10s\",\"update_mapping\":{\"Enabled\":true}}]");
    if (!run_json(text, &r))
        return;
    const struct want_inv want[] = {
        { 1000 * MS, 1, 10, 1, OUTCOME_SUCCESS },
        { 11000 * MS, 11, 10, 1, OUTCOME_SUCCESS },   /* enabled at 10 s + 1 s delay */
    };
    check_invocations(__LINE__, &r, want, 2);
    const uint64_t seqs[] = { 10, 20 };
    const enum ckpt_reason why[] = { CKPT_SUCCESS, CKPT_SUCCESS };
    check_checkpoints(&r, seqs, why, 2);
    if (r.ml.n_ckpt == 2)
        CHECK_INT(r.ml.ckpt[1].at_us, 11020 * MS);
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 20);
    release(&r);
}

/* R16: a function update applies at its time: a dependency that is down
 * from 3 s to 6 s fails every invocation in between; the batch is retried
 * (R5) and succeeds once it is back. */
static void test_r16_function_outage(void)
{
    records_json(recs, sizeof recs, 10, "3500ms", "user-1", 0);
    struct run r;
    scenario_json(text, sizeof text, "20s", recs, "", "",
                  ",\"schedule\":[{\"at\":\"3s\",\"update_function\":"
                  "{\"failures\":[{\"match\":{\"probability\":1}}]}},"
                  "{\"at\":\"6s\",\"update_function\":{\"failures\":[]}}]");
    if (!run_json(text, &r))
        return;
    const struct want_inv want[] = {
        { 4000 * MS, 1, 10, 1, OUTCOME_ERROR },     /* throws at the first record: 11 ms */
        { 5011 * MS, 1, 10, 2, OUTCOME_ERROR },
        { 6022 * MS, 1, 10, 3, OUTCOME_SUCCESS },
    };
    check_invocations(__LINE__, &r, want, 3);
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 10);
    CHECK_INT(r.sum.mapping.redelivered, 10);
    release(&r);
}

/* R16 + R10: a new ParallelizationFactor deals the next records to the new
 * lanes: one lane for both keys before, one lane per key after. */
static void test_r16_parallelization_update(void)
{
    char ka[32], kb[32];
    key_in_lane(ka, sizeof ka, "a", 0, 2);
    key_in_lane(kb, sizeof kb, "b", 1, 2);
    int len = 0;
    for (int i = 0; i < 2; i++) {
        add_record(recs, sizeof recs, &len, "500ms", ka, "ok");    /* seq 1, 3 */
        add_record(recs, sizeof recs, &len, "500ms", kb, "ok");    /* seq 2, 4 */
    }
    for (int i = 0; i < 2; i++) {
        add_record(recs, sizeof recs, &len, "2500ms", ka, "ok");   /* seq 5, 7 */
        add_record(recs, sizeof recs, &len, "2500ms", kb, "ok");   /* seq 6, 8 */
    }
    struct run r;
    scenario_json(text, sizeof text, "10s", recs, "", "",
                  ",\"model\":{\"mapping_update_delay\":0},"
                  "\"schedule\":[{\"at\":\"2s\",\"update_mapping\":{\"ParallelizationFactor\":2}}]");
    if (!run_json(text, &r))
        return;
    const struct want_inv want[] = {
        { 1000 * MS, 1, 4, 1, OUTCOME_SUCCESS },   /* factor 1: both keys */
        { 3000 * MS, 5, 2, 1, OUTCOME_SUCCESS },   /* factor 2: key a in lane 0 */
        { 3000 * MS, 6, 2, 1, OUTCOME_SUCCESS },   /* key b in lane 1 */
    };
    check_invocations(__LINE__, &r, want, 3);
    if (r.ml.n_inv == 3) {
        CHECK_INT(r.ml.inv[1].v.lane, 0);
        CHECK_INT(r.ml.inv[2].v.lane, 1);
    }
    CHECK_INT(r.sum.peak_concurrency, 2);
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 8);
    release(&r);
}

/* ---- R15 tumbling windows ------------------------------------------------ */

/* The size of a windowed event without records, written out in full. */
static size_t final_event_len(const char *start, const char *end, const char *state, bool early)
{
    char buf[1024];
    return (size_t)snprintf(buf, sizeof buf,
        "{\"Records\":[],\"window\":{\"start\":\"%s\",\"end\":\"%s\"},\"state\":%s,"
        "\"shardId\":\"shardId-000000000000\","
        "\"eventSourceARN\":\"arn:aws:kinesis:us-east-1:123456789012:stream/stream\","
        "\"isFinalInvokeForWindow\":true,\"isWindowTerminatedEarly\":%s}",
        start, end, state, early ? "true" : "false");
}

/* R15: windows of 60 s by arrival time; batches never span two windows;
 * each invocation gets the state the previous one returned (a count per
 * key); once the window is over and read, a final invocation without
 * records gets the whole state, and the window's result is logged. */
static void test_r15_tumbling_windows(void)
{
    int len = records_json(recs, sizeof recs, 5, "10s", "user-a", 0);
    recs[len++] = ',';
    len += records_json(recs + len, sizeof recs - (size_t)len, 3, "20s", "user-b", 0);
    recs[len++] = ',';
    records_json(recs + len, sizeof recs - (size_t)len, 4, "59500ms", "user-a", 0);
    len = (int)strlen(recs);
    recs[len++] = ',';
    records_json(recs + len, sizeof recs - (size_t)len, 2, "60s", "user-a", 0);
    struct run r;
    scenario_json(text, sizeof text, "3m", recs, ",\"TumblingWindowInSeconds\":60", "", "");
    if (!run_json(text, &r))
        return;
    const struct want_inv want[] = {
        { 10000 * MS, 1, 5, 1, OUTCOME_SUCCESS },   /* window [0, 60 s): user-a x5 */
        { 20000 * MS, 6, 3, 1, OUTCOME_SUCCESS },   /* user-b x3, state {user-a: 5} */
        { 60000 * MS, 9, 4, 1, OUTCOME_SUCCESS },   /* read at 60 s with the next window's
                                                       records: cut at the boundary */
        { 60034 * MS, 0, 0, 1, OUTCOME_SUCCESS },   /* final invocation of window 0 */
        { 60064 * MS, 13, 2, 1, OUTCOME_SUCCESS },  /* window [60 s, 120 s) */
        { 120000 * MS, 0, 0, 1, OUTCOME_SUCCESS },  /* its final invocation */
    };
    check_invocations(__LINE__, &r, want, 6);
    CHECK_INT(r.ml.n_win, 2);
    if (r.ml.n_win == 2 && r.ml.n_inv == 6) {
        CHECK_INT(r.ml.win[0].v.start_us, 0);
        CHECK_INT(r.ml.win[0].v.end_us, 60 * SEC);
        CHECK_INT(r.ml.win[0].v.records, 12);
        CHECK_INT(r.ml.win[0].v.n_keys, 2);
        CHECK_STR(r.ml.win[0].state, "{\"user-a\":9,\"user-b\":3}");
        CHECK_INT(r.ml.win[0].v.final_invocation_id, r.ml.inv[3].v.invocation_id);
        CHECK(!r.ml.win[0].v.terminated_early);
        CHECK_INT(r.ml.win[1].v.start_us, 60 * SEC);
        CHECK_STR(r.ml.win[1].state, "{\"user-a\":2}");
        /* the final events, byte for byte: {"Records":[], window, state, ...} */
        CHECK_INT(r.ml.inv[3].v.payload_bytes,
                  final_event_len("2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z",
                                  "{\"user-a\":9,\"user-b\":3}", false));
        CHECK_INT(r.ml.inv[5].v.payload_bytes,
                  final_event_len("2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z",
                                  "{\"user-a\":2}", false));
        /* a final invocation has no records: no IteratorAge of either kind */
        CHECK_INT(r.ml.inv[3].v.iterator_age_us, -1);
        CHECK_INT(r.ml.inv[3].v.iterator_age_at_send_us, -1);
    }
    CHECK_INT(r.sum.mapping.windows, 2);
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 14);
    release(&r);
}

/* R15: a response without `state` is a failed invocation: retried (R5)
 * and, with MaximumRetryAttempts 1, discarded; the window's state stays
 * empty, and the final invocation fails too, so it is retried for ever. */
static void test_r15_response_without_state(void)
{
    records_json(recs, sizeof recs, 3, "10s", "user-a", 0);
    struct run r;
    scenario_json(text, sizeof text, "65s", recs,
                  ",\"TumblingWindowInSeconds\":60,\"MaximumRetryAttempts\":1",
                  ",\"returns_state\":false", "");
    if (!run_json(text, &r))
        return;
    const struct want_inv want[] = {
        { 10000 * MS, 1, 3, 1, OUTCOME_ERROR },
        { 11013 * MS, 1, 3, 2, OUTCOME_ERROR },
        { 60000 * MS, 0, 0, 1, OUTCOME_ERROR },
        { 61010 * MS, 0, 0, 2, OUTCOME_ERROR },
        { 62020 * MS, 0, 0, 3, OUTCOME_ERROR },
        { 63030 * MS, 0, 0, 4, OUTCOME_ERROR },
        { 64040 * MS, 0, 0, 5, OUTCOME_ERROR },
    };
    check_invocations(__LINE__, &r, want, 7);
    if (r.ml.n_inv > 0)
        CHECK_STR(r.ml.inv[0].error, "the response has no state");
    CHECK_INT(r.ml.n_disc, 1);
    CHECK_INT(r.ml.n_win, 0);
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 3);   /* handled, but the state was lost */
    release(&r);
}

/* R15 + R7: in a window the model's answer is AWS's TimeWindowEventResponse,
 * {"state": ..., "batchItemFailures": [...]}: the state it was given with
 * the records it handled counted, the failed one not, those after it yes
 * (all-failures-no-raise works through every record); the mapping keeps a
 * partial response's state, so the retry is given it; a final invocation
 * returns the state it was given (and no failure: an empty list, the shape
 * of AWS's example).  (--dump-events wrote the answers without
 * their state: the R7 part alone, or null.) */
#define WINDOW_ANSWERS 8
static char window_answers[WINDOW_ANSWERS][256], window_given[WINDOW_ANSWERS][256];
static size_t n_window_answers;

static void keep_window_answer(void *ctx, const struct slog_event *ev)
{
    (void)ctx;
    if (n_window_answers == WINDOW_ANSWERS || !ev->response || !ev->window)
        return;
    char *answer = awsjson_response(ev->response, ev->returned);
    char *event = awsjson_event(ev);
    const char *state = event ? strstr(event, "\"state\":") : NULL;
    snprintf(window_answers[n_window_answers], sizeof window_answers[0], "%s",
             answer ? answer : "(none)");
    snprintf(window_given[n_window_answers], sizeof window_given[0], "%.*s",
             state ? (int)(strstr(state, ",\"shardId\"") - state) : 6, state ? state : "(none)");
    n_window_answers++;
    free(answer);
    free(event);
}

static void test_r15_answer_carries_state(void)
{
    int len = 0;
    add_record(recs, sizeof recs, &len, "10s", "user-a", "ok");
    add_record(recs, sizeof recs, &len, "10s", "user-b", "poison");
    add_record(recs, sizeof recs, &len, "10s", "user-a", "ok");
    scenario_json(text, sizeof text, "61s", recs,
                  ",\"TumblingWindowInSeconds\":60,\"MaximumRetryAttempts\":0" RBIF,
                  ",\"report\":\"all-failures-no-raise\"" POISON_RULE, "");
    char err[1024];
    struct scenario *scn = scn_parse("test.json", text, NULL, 0, err, sizeof err);
    CHECK(scn != NULL);
    struct memlog ml = { 0 };
    struct slog log = { .ops = &memlog_ops, .ctx = &ml, .per_record = true,
                        .event = keep_window_answer };
    struct sim *sim = scn ? sim_create(&scn->cfg, &log, err, sizeof err) : NULL;
    CHECK(sim != NULL);
    if (sim) {
        n_window_answers = 0;
        CHECK_INT(sim_run(sim, NULL, NULL, NULL), SIM_COMPLETE);
        CHECK_INT(n_window_answers, 3);
        CHECK_STR(window_given[0], "\"state\":{}");
        CHECK_STR(window_answers[0],
                  "{\"state\":{\"user-a\":2},\"batchItemFailures\":[{\"itemIdentifier\":\"2\"}]}");
        CHECK_STR(window_given[1], "\"state\":{\"user-a\":2}");   /* [2, 3] again */
        CHECK_STR(window_answers[1],
                  "{\"state\":{\"user-a\":3},\"batchItemFailures\":[{\"itemIdentifier\":\"2\"}]}");
        CHECK_STR(window_given[2], "\"state\":{\"user-a\":3}");   /* the final invocation */
        CHECK_STR(window_answers[2], "{\"state\":{\"user-a\":3},\"batchItemFailures\":[]}");
        CHECK_INT(ml.n_disc, 1);   /* [2, 3] discarded: MaximumRetryAttempts 0 */
    }
    sim_destroy(sim);
    scn_free(scn);
    memlog_free(&ml);
}

/* R15: a state over 1 MB ends the window early: a final invocation with
 * isWindowTerminatedEarly, then the same window goes on with a fresh state.
 * 1,000 records/s over 100,000 keys of 26 characters make about 30 bytes
 * of state per record: the first window passes 1 MB after ~35,000 records;
 * the second has not by the end at 90 s (nor has it ended). */
static void test_r15_state_over_one_megabyte(void)
{
    struct run r;
    snprintf(text, sizeof text,
             "{\"name\":\"t\",\"seed\":3,\"duration\":\"90s\",\"stream\":{\"shards\":1},"
             "\"producers\":[{\"name\":\"p\",\"rate\":1000,\"arrival\":\"constant\",\"record_bytes\":10,"
             "\"keys\":{\"count\":100000,\"prefix\":\"customer-account-number-\"}}],"
             "\"event_source_mapping\":{\"StartingPosition\":\"TRIM_HORIZON\",\"BatchSize\":1000,"
             "\"TumblingWindowInSeconds\":60},"
             "\"function\":{\"cold_start\":0,\"duration\":{\"per_invoke\":\"10ms\",\"per_record\":\"10us\"}}}");
    if (!run_json(text, &r))
        return;
    uint64_t in_window0 = 0;
    size_t early = 0;
    for (size_t i = 0; i < r.ml.n_win; i++) {
        const struct slog_window *w = &r.ml.win[i].v;
        if (w->start_us == 0)
            in_window0 += w->records;
        if (w->terminated_early) {
            early++;
            CHECK(w->state_bytes > WIN_MAX_STATE_BYTES);
            CHECK(w->state_bytes < WIN_MAX_STATE_BYTES + 1000 * 40);   /* by one batch at most */
        }
    }
    CHECK_INT(early, 1);
    CHECK_INT(r.ml.n_win, 2);                   /* window 0 twice: early, then the rest */
    if (r.ml.n_win == 2) {
        CHECK(r.ml.win[0].v.terminated_early);
        CHECK_INT(r.ml.win[0].v.start_us, 0);
        CHECK_INT(r.ml.win[1].v.start_us, 0);   /* the same window, a fresh state */
        CHECK(!r.ml.win[1].v.terminated_early);
    }
    uint64_t arrived0 = 0;                      /* records that arrived in [0, 60 s) */
    for (size_t i = 0; i < r.ml.n_rec; i++)
        arrived0 += r.ml.rec[i].arrival_us < 60 * SEC;
    CHECK(arrived0 > 59000);
    CHECK_INT(in_window0, arrived0);            /* each counted once, in its window */
    /* the early final invocation says so in its event: "isWindowTerminatedEarly":true */
    bool found = false;
    for (size_t i = 0; i < r.ml.n_inv; i++)
        if (r.ml.inv[i].v.invocation_id == r.ml.win[0].v.final_invocation_id) {
            found = true;
            CHECK_INT(r.ml.inv[i].v.record_count, 0);
            CHECK_INT(r.ml.inv[i].v.payload_bytes,
                      lev_envelope_bytes() +
                      win_event_extra_bytes(strlen("shardId-000000000000"),
                                            strlen("arn:aws:kinesis:us-east-1:123456789012:stream/stream"),
                                            r.ml.win[0].v.state_bytes, true, true));
        }
    CHECK(found);
    release(&r);
}

/* R15 + R10: with ParallelizationFactor 2 each lane keeps its own window
 * state and ends it with its own final invocation: key a (lane 0, two
 * records) and key b (lane 1, one record) are counted apart, and the
 * windows table has one row per lane. */
static void test_r15_windows_per_lane(void)
{
    char ka[32], kb[32];
    key_in_lane(ka, sizeof ka, "a", 0, 2);
    key_in_lane(kb, sizeof kb, "b", 1, 2);
    int len = 0;
    add_record(recs, sizeof recs, &len, "10s", ka, "ok");
    add_record(recs, sizeof recs, &len, "10s", kb, "ok");
    add_record(recs, sizeof recs, &len, "10s", ka, "ok");
    struct run r;
    scenario_json(text, sizeof text, "70s", recs,
                  ",\"TumblingWindowInSeconds\":60,\"ParallelizationFactor\":2", "", "");
    if (!run_json(text, &r))
        return;
    const struct want_inv want[] = {
        { 10000 * MS, 2, 1, 1, OUTCOME_SUCCESS },   /* lane 1: seq 2 (logged when done) */
        { 10000 * MS, 1, 2, 1, OUTCOME_SUCCESS },   /* lane 0: seq 1 and 3, at once */
        { 60000 * MS, 0, 0, 1, OUTCOME_SUCCESS },   /* each lane's final invocation */
        { 60000 * MS, 0, 0, 1, OUTCOME_SUCCESS },
    };
    check_invocations(__LINE__, &r, want, 4);
    CHECK_INT(r.ml.n_win, 2);
    if (r.ml.n_win == 2) {
        char state[64];
        CHECK_INT(r.ml.win[0].v.lane, 0);
        snprintf(state, sizeof state, "{\"%s\":2}", ka);
        CHECK_STR(r.ml.win[0].state, state);
        CHECK_INT(r.ml.win[1].v.lane, 1);
        snprintf(state, sizeof state, "{\"%s\":1}", kb);
        CHECK_STR(r.ml.win[1].state, state);
    }
    CHECK_INT(r.sum.peak_concurrency, 2);
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 3);
    release(&r);
}

/* ---- R12 resharding ------------------------------------------------------ */

/* Shard ids of the run's invocations, in order, against want[0..n). */
static void check_invocation_shards(int line, const struct run *r, const char *const *want, size_t n)
{
    for (size_t i = 0; i < n && i < r->ml.n_inv; i++) {
        if (strcmp(r->ml.inv[i].shard_id, want[i]) != 0)
            fprintf(stderr, "test_mapping.c:%d: invocation %zu on %s\n", line, i + 1, r->ml.inv[i].shard_id);
        CHECK_STR(r->ml.inv[i].shard_id, want[i]);
    }
}

/* The checkpoint shard ids, in order, against want[0..n). */
static void check_checkpoint_shards(const struct run *r, const char *const *want, size_t n)
{
    for (size_t i = 0; i < n && i < r->ml.n_ckpt; i++)
        CHECK_STR(r->ml.ckpt[i].shard_id, want[i]);
}

#define S0 "shardId-000000000000"
#define S1 "shardId-000000000001"
#define S2 "shardId-000000000002"

/* One shard split at 1.5 s while its first batch (seq 1 poison, 2) is being
 * retried; user-1's records 5-7, written at 2 s, go to child S2. */
static void split_scenario(char *buf, size_t size, bool wait)
{
    int len = 0;
    add_record(recs, sizeof recs, &len, "500ms", "user-1", "poison");
    for (int i = 0; i < 3; i++)
        add_record(recs, sizeof recs, &len, "500ms", "user-1", "ok");
    for (int i = 0; i < 3; i++)
        add_record(recs, sizeof recs, &len, "2s", "user-1", "ok");
    scenario_json_timed(buf, size, TIMING POISON_RULE,
                        ",\"reshard\":[{\"at\":\"1500ms\",\"split\":\"" S0 "\"}]", "10s", recs,
                        ",\"BatchSize\":2,\"MaximumRetryAttempts\":2", "",
                        wait ? "" : ",\"model\":{\"wait_for_parent_shards\":false}");
}

/* R12: the child starts only once the parent is finished: its poison batch
 * discarded after 3 attempts, seq 3-4 processed, and shard_end checkpointed
 * at 3.085 s; then the child reads from TRIM_HORIZON.  user-1 keeps its
 * order: no violation. */
static void test_r12_parent_before_child(void)
{
    split_scenario(text, sizeof text, true);
    struct run r;
    if (!run_json(text, &r))
        return;
    const struct want_inv want[] = {
        { 1000 * MS, 1, 2, 1, OUTCOME_ERROR },
        { 2011 * MS, 1, 2, 2, OUTCOME_ERROR },
        { 3022 * MS, 1, 2, 3, OUTCOME_ERROR },
        { 3053 * MS, 3, 2, 1, OUTCOME_SUCCESS },
        { 3085 * MS, 5, 2, 1, OUTCOME_SUCCESS },   /* the child, at the parent's end */
        { 3117 * MS, 7, 1, 1, OUTCOME_SUCCESS },
    };
    check_invocations(__LINE__, &r, want, 6);
    const char *const shards[] = { S0, S0, S0, S0, S2, S2 };
    check_invocation_shards(__LINE__, &r, shards, 6);
    const uint64_t seqs[] = { 2, 4, 4, 6, 7 };
    const enum ckpt_reason why[] = { CKPT_DISCARDED, CKPT_SUCCESS, CKPT_SHARD_END, CKPT_SUCCESS,
                                     CKPT_SUCCESS };
    check_checkpoints(&r, seqs, why, 5);
    const char *const ckpt_shards[] = { S0, S0, S0, S2, S2 };
    check_checkpoint_shards(&r, ckpt_shards, 5);
    if (r.ml.n_ckpt == 5)
        CHECK_INT(r.ml.ckpt[2].at_us, 3085 * MS);
    CHECK_INT(r.sum.mapping.order_violations, 0);
    CHECK_INT(r.sum.mapping.n_shards, 3);
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 5);
    CHECK_INT(r.ml.fates[FATE_DISCARDED], 2);
    release(&r);
}

/* R12, the consumer that does not wait: the child is read from its opening
 * and user-1's seq 5-7 go at 2.5 s, before seq 3-4 of the parent: two
 * records first delivered after a later record of their key. */
static void test_r12_no_wait_breaks_key_order(void)
{
    split_scenario(text, sizeof text, false);
    struct run r;
    if (!run_json(text, &r))
        return;
    const struct want_inv want[] = {
        { 1000 * MS, 1, 2, 1, OUTCOME_ERROR },
        { 2011 * MS, 1, 2, 2, OUTCOME_ERROR },
        { 2500 * MS, 5, 2, 1, OUTCOME_SUCCESS },   /* the child, at its first poll */
        { 2532 * MS, 7, 1, 1, OUTCOME_SUCCESS },
        { 3022 * MS, 1, 2, 3, OUTCOME_ERROR },
        { 3053 * MS, 3, 2, 1, OUTCOME_SUCCESS },   /* older records of user-1, later */
    };
    check_invocations(__LINE__, &r, want, 6);
    const char *const shards[] = { S0, S0, S2, S2, S0, S0 };
    check_invocation_shards(__LINE__, &r, shards, 6);
    CHECK_INT(r.sum.mapping.order_violations, 2);
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 5);
    release(&r);
}

/* R12 merge: the child of S0 and S1 waits for both.  S1 ends at the merge
 * (1.5 s, its record done); S0's poison record is discarded at 2.022 s and
 * S0 ends at 2.042 s, when the child reads the two records written at 2 s. */
static void test_r12_merge_waits_for_both_parents(void)
{
    int len = 0;
    add_record(recs, sizeof recs, &len, "500ms", KEY_SHARD0, "poison");
    add_record(recs, sizeof recs, &len, "500ms", KEY_SHARD1, "ok");
    add_record(recs, sizeof recs, &len, "2s", KEY_SHARD0, "ok");
    add_record(recs, sizeof recs, &len, "2s", KEY_SHARD1, "ok");
    scenario_json_timed(text, sizeof text, TIMING POISON_RULE,
                        ",\"reshard\":[{\"at\":\"1500ms\",\"merge\":[\"" S0 "\",\"" S1 "\"]}]", "10s",
                        recs, ",\"MaximumRetryAttempts\":1", "", "");
    struct run r;
    if (!run_json(text, &r))
        return;
    const struct want_inv want[] = {
        { 1000 * MS, 1, 1, 1, OUTCOME_ERROR },
        { 1000 * MS, 2, 1, 1, OUTCOME_SUCCESS },
        { 2011 * MS, 1, 1, 2, OUTCOME_ERROR },
        { 2042 * MS, 3, 2, 1, OUTCOME_SUCCESS },
    };
    check_invocations(__LINE__, &r, want, 4);
    const char *const shards[] = { S0, S1, S0, S2 };
    check_invocation_shards(__LINE__, &r, shards, 4);
    const uint64_t seqs[] = { 2, 2, 1, 1, 4 };
    const enum ckpt_reason why[] = { CKPT_SUCCESS, CKPT_SHARD_END, CKPT_DISCARDED, CKPT_SHARD_END,
                                     CKPT_SUCCESS };
    check_checkpoints(&r, seqs, why, 5);
    const char *const ckpt_shards[] = { S1, S1, S0, S0, S2 };
    check_checkpoint_shards(&r, ckpt_shards, 5);
    if (r.ml.n_ckpt == 5) {
        CHECK_INT(r.ml.ckpt[1].at_us, 1500 * MS);
        CHECK_INT(r.ml.ckpt[3].at_us, 2042 * MS);
    }
    release(&r);
}

/* R12 + R15: the split at 3 s ends the parent's 60 s window: its final
 * invocation runs at once with the state of seq 1-2, then the parent ends;
 * the child opens its own window with seq 3. */
static void test_r12_reshard_ends_the_window(void)
{
    int len = 0;
    add_record(recs, sizeof recs, &len, "500ms", "user-1", "ok");
    add_record(recs, sizeof recs, &len, "600ms", "user-2", "ok");
    add_record(recs, sizeof recs, &len, "4s", "user-1", "ok");
    scenario_json_timed(text, sizeof text, TIMING, ",\"reshard\":[{\"at\":\"3s\",\"split\":\"" S0 "\"}]",
                        "10s", recs, ",\"TumblingWindowInSeconds\":60", "", "");
    struct run r;
    if (!run_json(text, &r))
        return;
    const struct want_inv want[] = {
        { 1000 * MS, 1, 2, 1, OUTCOME_SUCCESS },
        { 3000 * MS, 0, 0, 1, OUTCOME_SUCCESS },   /* final, at the split */
        { 4030 * MS, 3, 1, 1, OUTCOME_SUCCESS },
    };
    check_invocations(__LINE__, &r, want, 3);
    const char *const shards[] = { S0, S0, S2 };
    check_invocation_shards(__LINE__, &r, shards, 3);
    CHECK_INT(r.ml.n_win, 1);
    if (r.ml.n_win == 1) {
        CHECK_STR(r.ml.win[0].shard_id, S0);
        CHECK_INT(r.ml.win[0].v.records, 2);
        CHECK_STR(r.ml.win[0].state, "{\"user-1\":1,\"user-2\":1}");
    }
    const uint64_t seqs[] = { 2, 2, 3 };
    const enum ckpt_reason why[] = { CKPT_SUCCESS, CKPT_SHARD_END, CKPT_SUCCESS };
    check_checkpoints(&r, seqs, why, 3);
    if (r.ml.n_ckpt == 3)
        CHECK_INT(r.ml.ckpt[1].at_us, 3030 * MS);
    release(&r);
}
/* An on-demand stream of one shard under 800 records/s of 10 keys (0.8 of
 * the shard): judged on a 1 s window, split 2 s later (model keys), with a
 * poison record in the parent at 500 ms that blocks it for 4 attempts. */
static void on_demand_scenario(char *buf, size_t size, bool wait)
{
    int len = 0;
    add_record(recs, sizeof recs, &len, "500ms", "user-1", "poison");
    char extra[512];
    snprintf(extra, sizeof extra,
             ",\"producers\":[{\"name\":\"p\",\"rate\":800,\"arrival\":\"constant\",\"keys\":{\"count\":10,"
             "\"prefix\":\"user-\"}}],\"model\":{\"on_demand_scale_window\":\"1s\",\"on_demand_scale_delay\":"
             "\"2s\"%s}", wait ? "" : ",\"wait_for_parent_shards\":false");
    scenario_json_timed(buf, size, TIMING POISON_RULE, ",\"capacity_mode\":\"ON_DEMAND\"", "12s", recs,
                        ",\"BatchSize\":1000,\"MaximumRetryAttempts\":3", "", extra);
}

/* The time of shard's shard_end checkpoint, or -1. */
static int64_t shard_end_at(const struct run *r, const char *shard)
{
    for (size_t i = 0; i < r->ml.n_ckpt; i++)
        if (r->ml.ckpt[i].reason == CKPT_SHARD_END && strcmp(r->ml.ckpt[i].shard_id, shard) == 0)
            return r->ml.ckpt[i].at_us;
    return -1;
}

/* The start of the first invocation on shard, or -1. */
static int64_t first_invocation_at(const struct run *r, const char *shard)
{
    for (size_t i = 0; i < r->ml.n_inv; i++)
        if (strcmp(r->ml.inv[i].shard_id, shard) == 0)
            return r->ml.inv[i].v.start_us;
    return -1;
}

/* R12 with R15 and R10: the same split with two lanes.  The poll that
 * found the parent's first lane done finished the shard (its lanes freed)
 * and went on to start its second lane, whose window's state was gone: a
 * crash (SEGV) with any reshard, DynamoDB rollover or on-demand split of a
 * mapping with windows and ParallelizationFactor 2 or more. */
static void test_r12_reshard_ends_the_windows_of_lanes(void)
{
    char ka[32], kb[32];
    key_in_lane(ka, sizeof ka, "a", 0, 2);
    key_in_lane(kb, sizeof kb, "b", 1, 2);
    int len = 0;
    add_record(recs, sizeof recs, &len, "500ms", ka, "ok");
    add_record(recs, sizeof recs, &len, "600ms", kb, "ok");
    add_record(recs, sizeof recs, &len, "4s", ka, "ok");
    scenario_json_timed(text, sizeof text, TIMING, ",\"reshard\":[{\"at\":\"3s\",\"split\":\"" S0 "\"}]",
                        "10s", recs, ",\"TumblingWindowInSeconds\":60,\"ParallelizationFactor\":2", "", "");
    struct run r;
    if (!run_json(text, &r))
        return;
    CHECK_INT(r.ml.fates[FATE_PROCESSED], 3);
    CHECK(shard_end_at(&r, S0) >= 3000 * MS);
    CHECK_INT(r.ml.n_win, 2);   /* each lane of the parent closed its window */
    for (size_t i = 0; i < r.ml.n_win && i < 2; i++)
        CHECK_STR(r.ml.win[i].shard_id, S0);
    release(&r);
}

/* R12 with issue 14 item 2: the split an on-demand stream makes by itself
 * (decided at the tick of 1 s, done at 3 s) is read like a scheduled one:
 * the parent, blocked by its poison record until the 4th attempt fails, is
 * read to its end (shard_end) before either child starts; no key's order
 * breaks.  The consumer that does not wait reads the children at once and
 * breaks it. */
static void test_r12_on_demand_split(void)
{
    on_demand_scenario(text, sizeof text, true);
    struct run r;
    if (!run_json(text, &r))
        return;
    CHECK_INT(r.sum.stream.on_demand_splits, 1);
    CHECK_INT(r.sum.mapping.n_shards, 3);
    CHECK_INT(r.ml.n_shard, 4);   /* S0 opened, S0 closed, S1 and S2 opened */
    if (r.ml.n_shard == 4) {
        CHECK_INT(r.ml.shard[1].closed_us, 3000 * MS);
        CHECK_STR(r.ml.shard[2].id, S1);
        CHECK_STR(r.ml.shard[2].parent, S0);
        CHECK_INT(r.ml.shard[2].opened_us, 3000 * MS);
        CHECK_STR(r.ml.shard[3].parent, S0);
    }
    CHECK_INT(r.ml.n_disc, 1);   /* the poison record, after 4 attempts */
    int64_t end = shard_end_at(&r, S0), c1 = first_invocation_at(&r, S1), c2 = first_invocation_at(&r, S2);
    CHECK(end > 3000 * MS);
    CHECK(c1 >= end && c2 >= end);
    CHECK_INT(r.sum.mapping.order_violations, 0);
    CHECK(r.ml.fates[FATE_DISCARDED] > 0);   /* the poison record's batch */
    release(&r);

    on_demand_scenario(text, sizeof text, false);
    if (!run_json(text, &r))
        return;
    CHECK_INT(r.sum.stream.on_demand_splits, 1);
    end = shard_end_at(&r, S0);
    c1 = first_invocation_at(&r, S1);
    CHECK(c1 >= 3000 * MS && c1 < end);
    CHECK(r.sum.mapping.order_violations > 0);
    release(&r);
}
#undef S0
#undef S1
#undef S2

/* ---- R1 propagation delay ------------------------------------------------- */

/* Read delay (arrival to read) of a quiet stream, 2 records/s for 10
 * minutes, under the given stream and model keys. */
static bool propagation_run(const char *stream, const char *model, struct run *r)
{
    snprintf(text, sizeof text,
             "{\"name\":\"t\",\"seed\":3,\"duration\":\"10m\",\"stream\":{\"shards\":1%s},"
             "\"producers\":[{\"name\":\"p\",\"rate\":2,\"keys\":{\"count\":100},\"record_bytes\":200}],"
             "\"event_source_mapping\":{\"StartingPosition\":\"TRIM_HORIZON\"},"
             "\"function\":{\"cold_start\":0," TIMING "},\"model\":{\"sample_interval\":\"1m\"%s}}",
             stream, model);
    return run_json(text, r);
}

/* R1: AWS quotes average propagation delays of about 200 ms with one shared
 * consumer, about 1 s with five, about 70 ms with enhanced fan-out.  esmsim
 * reproduces the poll period behind them: alone, a consumer may poll every
 * 200 ms (5 GetRecords/s), so a record waits at most about that long and
 * 100 ms on average; among five, once a second: 500 ms on average, at most
 * 1 s; with EFO each record is pushed 70 ms after it arrives (a little more
 * when its lane is busy). */
static void test_r1_propagation_delays(void)
{
    struct run r;
    if (propagation_run("", ",\"poll_interval\":\"200ms\"", &r)) {
        CHECK(r.sum.mapping.read_delay_mean_ms >= 85 && r.sum.mapping.read_delay_mean_ms <= 115);
        release(&r);
    }
    if (propagation_run(",\"other_consumers\":4", "", &r)) {
        CHECK(r.sum.mapping.read_delay_mean_ms >= 450 && r.sum.mapping.read_delay_mean_ms <= 550);
        CHECK(r.sum.mapping.read_delay_max_ms <= 1000);
        release(&r);
    }
    if (propagation_run(",\"consumer\":\"efo\",\"other_consumers\":4", "", &r)) {
        CHECK(r.sum.mapping.read_delay_mean_ms >= 70 && r.sum.mapping.read_delay_mean_ms < 71);
        CHECK(r.sum.mapping.read_delay_max_ms >= 70 && r.sum.mapping.read_delay_max_ms < 100);
        CHECK_INT(r.sum.mapping.read_throttles, 0);   /* no GetRecords: the others do not matter */
        CHECK_INT(r.sum.stream.reads, 0);
        /* issue 13 item 3: every record read once, by pushes that each bring some */
        CHECK_INT(r.records_read, r.sum.stream.records_written);
        CHECK(r.n_reads > 0 && r.n_reads <= r.records_read);
        for (size_t i = 0; i < r.n_reads && i < READS_KEPT; i++)
            CHECK(r.reads[i].records > 0 && !r.reads[i].throttled &&
                  r.reads[i].delay_max_us >= 70 * MS);
        CHECK_INT(r.ml.fates[FATE_PROCESSED], r.sum.messages);
        release(&r);
    }
}

/* R1 enhanced fan-out: each record is pushed exactly 70 ms after it arrives
 * to an idle lane; three records of 1,048,000 bytes (data and key) written
 * at once come within the consumer's own 2 MiB/s: the first two 70 ms later
 * (a full bucket of 2,097,152 bytes), the third once the bucket has the
 * 1,046,848 bytes it lacks, 499.177 ms later (rounded up) at 2 MiB/s. */
static void test_r1_efo_push(void)
{
    static char data[1048000];
    memset(data, 'x', sizeof data - 1);
    int len = 0;
    add_record(recs, sizeof recs, &len, "100ms", "k", "small");
    for (int i = 0; i < 3; i++)
        add_record(recs, sizeof recs, &len, "2s", "k", data);
    scenario_json_timed(text, sizeof text, TIMING,
                        ",\"consumer\":\"efo\",\"limits\":{\"write_bytes_per_sec\":10485760}", "10s", recs,
                        ",\"BatchSize\":1", "", "");
    struct run r;
    if (!run_json(text, &r))
        return;
    const struct want_inv want[] = {
        { 170 * MS, 1, 1, 1, OUTCOME_SUCCESS },
        { 2070 * MS, 2, 1, 1, OUTCOME_SUCCESS },
        { 2101 * MS, 3, 1, 1, OUTCOME_SUCCESS },   /* after 11 ms and the 20 ms pause */
        { 2569177, 4, 1, 1, OUTCOME_SUCCESS },
    };
    check_invocations(__LINE__, &r, want, 4);
    release(&r);
}

/* R1 + R15: with enhanced fan-out the shard's base tick still runs (it makes
 * no GetRecords call): a window whose last record came long ago ends at its
 * end, with no write to wake the shard. */
static void test_r1_efo_window_on_quiet_shard(void)
{
    int len = 0;
    add_record(recs, sizeof recs, &len, "10s", "user-1", "ok");
    scenario_json_timed(text, sizeof text, TIMING, ",\"consumer\":\"efo\"", "70s", recs,
                        ",\"TumblingWindowInSeconds\":60", "", "");
    struct run r;
    if (!run_json(text, &r))
        return;
    const struct want_inv want[] = {
        { 10070 * MS, 1, 1, 1, OUTCOME_SUCCESS },   /* pushed 70 ms after it arrived */
        { 60000 * MS, 0, 0, 1, OUTCOME_SUCCESS },   /* the window's end, found by the tick */
    };
    check_invocations(__LINE__, &r, want, 2);
    CHECK_INT(r.ml.n_win, 1);
    release(&r);
}

/* R2, issue 15: an event's size is worked out a run of records sharing a
 * put's arrival time at a time, the memo refilled as a read passes a
 * second or a sequence number gains a digit; every event is as long as its
 * JSON, here with sizes drawn, keys of several lengths and one to escape,
 * reads of many seconds' records (the function slow, the batches large)
 * and numbers from 1 to past 10,000. */
static uint64_t sized_events;

static void check_event_size(void *ctx, const struct slog_event *ev)
{
    (void)ctx;
    char *json = awsjson_event(ev);
    CHECK(json != NULL && strlen(json) == ev->inv->payload_bytes);
    free(json);
    sized_events++;
}

static void test_r2_sizes_by_runs_of_arrivals(void)
{
    char err[1024];
    snprintf(text, sizeof text,
             "{\"name\":\"t\",\"seed\":5,\"duration\":\"20s\",\"stream\":{\"shards\":1},"
             "\"producers\":[{\"name\":\"p\",\"rate\":1000,\"record_bytes\":"
             "{\"distribution\":\"uniform\",\"min\":1,\"max\":300},"
             "\"keys\":{\"list\":[\"a\",\"bb\",\"q\\\"q\",\"long-key-of-twenty-chars\"]}}],"
             "\"event_source_mapping\":{\"StartingPosition\":\"TRIM_HORIZON\",\"BatchSize\":3000},"
             "\"function\":{\"cold_start\":0,\"duration\":{\"per_invoke\":\"10ms\","
             "\"per_record\":\"1ms\"}}}");
    struct scenario *scn = scn_parse("test.json", text, NULL, 0, err, sizeof err);
    CHECK(scn != NULL);
    struct memlog ml = { 0 };
    struct slog log = { .ops = &memlog_ops, .ctx = &ml, .per_record = true,
                        .event = check_event_size };
    struct sim *sim = scn ? sim_create(&scn->cfg, &log, err, sizeof err) : NULL;
    CHECK(sim != NULL);
    if (sim) {
        sized_events = 0;
        CHECK_INT(sim_run(sim, NULL, NULL, NULL), SIM_COMPLETE);
        CHECK_INT(sized_events, ml.n_inv);
        uint64_t records = 0;
        for (size_t i = 0; i < ml.n_inv; i++)
            records += ml.inv[i].v.record_count;
        CHECK_INT(records, 18196);
        CHECK_INT(ml.n_inv, 16);   /* a few seconds' records an invocation */
    }
    sim_destroy(sim);
    scn_free(scn);
    memlog_free(&ml);
}

int main(void)
{
    test_r1_r4_batches_in_order();
    test_r2_batching_window();
    test_r2_six_megabytes();
    test_r2_oversized_record_refused();
    test_r6_oversized_record_ages_out();
    test_r17_oversized_record_expires();
    test_r5_r6_retries_then_discard();
    test_r5_blocked_shard_other_flows();
    test_r6_record_age();
    test_r6_record_age_never_invoked();
    test_r6_attempts_and_age_both_spent();
    test_r6_request_ids();
    test_r13_starting_positions();
    test_r17_retention_expiry();
    test_r9_throttles();
    test_r7_partial_first_failure();
    test_r7_partial_rest_retried_as_its_batch();
    test_r7_all_failures_duplicates();
    test_r7_response_ignored_without_setting();
    test_issue15_fate_runs();
    test_r7_buggy_responses_fail_the_batch();
    test_r8_bisect_to_the_poison_record();
    test_r8_bisect_with_partial_response();
    test_r8_consolidated_discards();
    test_r8_all_failures_entire_batch_throws();
    test_r11_timeout_then_bisect();
    test_r11_init_outside_timeout();
    test_r9_getrecords_throttle();
    test_r1_read_delay_sum_past_2_53();
    test_r10_lanes_keep_key_order();
    test_r10_failure_blocks_only_its_lane();
    test_r10_two_keys_cap_parallelism();
    test_r10_reserved_concurrency_caps_lanes();
    test_r16_disable_enable();
    test_r16_function_outage();
    test_r16_parallelization_update();
    test_r15_tumbling_windows();
    test_r15_response_without_state();
    test_r15_answer_carries_state();
    test_r15_state_over_one_megabyte();
    test_r15_windows_per_lane();
    test_r12_parent_before_child();
    test_r12_no_wait_breaks_key_order();
    test_r12_merge_waits_for_both_parents();
    test_r12_reshard_ends_the_window();
    test_r12_reshard_ends_the_windows_of_lanes();
    test_r12_on_demand_split();
    test_r1_propagation_delays();
    test_r1_efo_push();
    test_r1_efo_window_on_quiet_shard();
    test_r2_sizes_by_runs_of_arrivals();
    return check_done();
}
