/*
 * test_realfn.c - a real handler program drives the simulated mapping
 * (issue 12 item 3, SPEC section 4): the Python handlers of
 * tests/handlers/python/esm.py through the project's bootstrap, run by
 * realfn.c's backend, each asserted against exact invocations, checkpoints,
 * discards, deliveries and fates, and where the handler does what a report
 * style of the model does, against the model's run of the same scenario:
 * R7 (every condition), R8 (bisection), R15 (window state passed along and
 * final), the errors of SPEC section 4 (a crash, a hang, an init error, an
 * answer over 6 MB, a non-JSON answer, an answer twice) and R11 (the
 * modelled duration's timeout).
 *
 * Pacing (README "Model choices"): explicit records at 1 s are polled at
 * 1 s; an invocation lasts 10 ms (no time per record, no cold start time:
 * the model's run of a report style that stops at a failure reaches fewer
 * records than a handler's, which the model times over the whole batch); a
 * failed set is retried 1 s after it ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awsjson.h"
#include "check.h"
#include "memlog.h"
#include "realfn.h"
#include "scenario.h"
#include "sim.h"

#define MS 1000
#define SEC 1000000

#define PY_BOOTSTRAP SRCDIR "/tools/runtimes/python/bootstrap"
#define PY_DIR SRCDIR "/tests/handlers/python"

struct run {
    struct memlog ml;
    struct sim_summary sum;
};

static char text[1 << 16], recs[1 << 14];

static void release(struct run *r) { memlog_free(&r->ml); }

/* R2, every invocation of every run here: the event the handler got (the
 * one --dump-events writes, built the same way) is payload_bytes long, a
 * window's state (a handler's JSON text) included. */
static void check_event_size(void *ctx, const struct slog_event *ev)
{
    char *json = awsjson_event(ev);
    CHECK(json != NULL);
    if (json && strlen(json) != ev->inv->payload_bytes)
        fprintf(stderr, "test_realfn.c: invocation %llu: event of %zu bytes, payload_bytes %llu\n",
                (unsigned long long)ev->inv->invocation_id, strlen(json),
                (unsigned long long)ev->inv->payload_bytes);
    CHECK(json && strlen(json) == ev->inv->payload_bytes);
    free(json);
    ++*(uint64_t *)ctx;
}

/* Run a scenario (JSON text), with its handler when it names one; false
 * (the test failed) when it cannot be built. */
static bool run_json(const char *json, struct run *r, enum sim_status want)
{
    char err[1024] = "";
    const char *key;
    memset(r, 0, sizeof *r);
    r->ml.keep_deliveries = true;
    uint64_t events = 0;
    struct slog log = { .ops = &memlog_ops, .ctx = &r->ml, .per_record = true,
                        .event = check_event_size, .event_ctx = &events };
    struct scenario *scn = scn_parse("test.json", json, NULL, 0, err, sizeof err);
    bool real = scn && scn->cfg.function.handler;
    struct rfn *handler = real ? rfn_create(scn, NULL, &key, err, sizeof err) : NULL;
    struct sim *sim = scn && (handler || !real) ? sim_create(&scn->cfg, &log, err, sizeof err) : NULL;
    if (real && !handler)
        fprintf(stderr, "test_realfn.c: cannot run: %s: %s\n", key, err);
    else if (!sim)
        fprintf(stderr, "test_realfn.c: cannot run: %s\n", err);
    CHECK(sim != NULL);
    if (sim && handler) {
        struct fn_backend b = rfn_backend(handler);
        rfn_set_log(handler, &log);
        sim_set_backend(sim, &b);
    }
    if (sim) {
        CHECK_INT(sim_run(sim, NULL, NULL, NULL), want);
        sim_summary(sim, &r->sum);
        r->sum.mapping.shards = NULL;   /* owned by the sim */
    }
    sim_destroy(sim);
    rfn_destroy(handler);
    scn_free(scn);
    return sim != NULL;
}

static const char *scenario(const char *duration, const char *mapping, const char *function);

/* The same scenario run with a handler (function snippet with_handler) into
 * *h and with the model (model) into *m; false, with neither kept, when
 * either cannot run. */
static bool run_both(const char *duration, const char *mapping, const char *with_handler,
                     const char *model, struct run *h, struct run *m)
{
    if (!run_json(scenario(duration, mapping, with_handler), h, SIM_COMPLETE))
        return false;
    if (run_json(scenario(duration, mapping, model), m, SIM_COMPLETE))
        return true;
    release(h);
    return false;
}

/* n records on key k at `at`, those whose 1-based place is in poison[]
 * carrying "poison" in their data. */
static void make_records(int n, const char *at, const char *key, const int *poison, size_t n_poison)
{
    size_t len = 0;
    for (int i = 1; i <= n; i++) {
        bool bad = false;
        for (size_t k = 0; k < n_poison; k++)
            bad = bad || poison[k] == i;
        len += (size_t)snprintf(recs + len, sizeof recs - len,
                                "%s{\"at\":\"%s\",\"partition_key\":\"%s\",\"data\":\"%s %d\"}",
                                len ? "," : "", at, key, bad ? "poison" : "ok", i);
    }
}

/* A one-shard scenario of the records above: timing is the function's
 * timeout and duration keys, function what follows them (a handler or the
 * model's rules). */
static const char *scenario_timed(const char *duration, const char *timing, const char *mapping,
                                  const char *function)
{
    snprintf(text, sizeof text,
             "{\"name\":\"t\",\"seed\":1,\"duration\":\"%s\",\"stream\":{\"shards\":1},"
             "\"records\":[%s],"
             "\"event_source_mapping\":{\"StartingPosition\":\"TRIM_HORIZON\"%s},"
             "\"function\":{\"cold_start\":0,%s%s}}",
             duration, recs, mapping, timing, function);
    return text;
}

/* The same with a 30 s timeout and 10 ms per invocation. */
static const char *scenario(const char *duration, const char *mapping, const char *function)
{
    return scenario_timed(duration, "\"timeout\":\"30s\",\"duration\":{\"per_invoke\":\"10ms\","
                          "\"per_record\":0}", mapping, function);
}

/* The function snippet of a handler: esm.<name>, with extra handler keys. */
static const char *handler(const char *name, const char *extra)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, ",\"handler\":{\"command\":[\"python3\",\"" PY_BOOTSTRAP "\","
             "\"esm.%s\"],\"cwd\":\"" PY_DIR "\"%s}", name, extra);
    return buf;
}

#define RBIF ",\"FunctionResponseTypes\":[\"ReportBatchItemFailures\"]"
#define POISON_RULE ",\"failures\":[{\"match\":{\"data_contains\":\"poison\"}}]"

/* Two runs logged the same invocations (all but wall-time fields, none of
 * which the core has), checkpoints, OnFailure messages and fates. */
static void check_same_mapping(int line, const struct run *a, const struct run *b)
{
    bool same = a->ml.n_inv == b->ml.n_inv && a->ml.n_ckpt == b->ml.n_ckpt &&
                a->ml.n_disc == b->ml.n_disc;
    for (size_t i = 0; same && i < a->ml.n_inv; i++) {
        const struct slog_invocation *x = &a->ml.inv[i].v, *y = &b->ml.inv[i].v;
        same = x->invocation_id == y->invocation_id && x->start_us == y->start_us &&
               x->end_us == y->end_us && x->record_count == y->record_count &&
               x->first_sequence_number == y->first_sequence_number &&
               x->attempt == y->attempt && x->outcome == y->outcome &&
               x->cold_start == y->cold_start && x->payload_bytes == y->payload_bytes;
    }
    for (size_t i = 0; same && i < a->ml.n_ckpt; i++)
        same = a->ml.ckpt[i].seq == b->ml.ckpt[i].seq && a->ml.ckpt[i].at_us == b->ml.ckpt[i].at_us &&
               a->ml.ckpt[i].reason == b->ml.ckpt[i].reason;
    for (size_t i = 0; same && i < a->ml.n_disc; i++) {
        const struct slog_discard *x = &a->ml.disc[i].v, *y = &b->ml.disc[i].v;
        same = x->at_us == y->at_us && x->condition == y->condition &&
               x->start_sequence_number == y->start_sequence_number &&
               x->end_sequence_number == y->end_sequence_number &&
               x->record_count == y->record_count && x->invocation_id == y->invocation_id &&
               x->approximate_invoke_count == y->approximate_invoke_count &&
               x->has_response == y->has_response && x->request_id[0] == y->request_id[0] &&
               (x->function_error == NULL) == (y->function_error == NULL);
    }
    if (!same) {
        fprintf(stderr, "test_realfn.c:%d: the runs differ\n", line);
        for (size_t i = 0; i < a->ml.n_inv; i++)
            fprintf(stderr, "  a %llu %lld-%lld %u %s cold %d\n", (unsigned long long)a->ml.inv[i].v.invocation_id,
                    (long long)a->ml.inv[i].v.start_us, (long long)a->ml.inv[i].v.end_us,
                    a->ml.inv[i].v.record_count, outcome_name(a->ml.inv[i].v.outcome), a->ml.inv[i].v.cold_start);
        for (size_t i = 0; i < b->ml.n_inv; i++)
            fprintf(stderr, "  b %llu %lld-%lld %u %s cold %d\n", (unsigned long long)b->ml.inv[i].v.invocation_id,
                    (long long)b->ml.inv[i].v.start_us, (long long)b->ml.inv[i].v.end_us,
                    b->ml.inv[i].v.record_count, outcome_name(b->ml.inv[i].v.outcome), b->ml.inv[i].v.cold_start);
    }
    CHECK(same);
}

/* The deliveries of a run as "INVOCATION:SEQ:HANDLED ...". */
static const char *deliveries(const struct run *r)
{
    static char buf[4096];
    size_t len = 0;
    buf[0] = 0;
    for (size_t i = 0; i < r->ml.n_dlv && len < sizeof buf; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%llu:%llu:%d", i ? " " : "",
                                (unsigned long long)r->ml.dlv[i].invocation_id,
                                (unsigned long long)r->ml.dlv[i].seq, r->ml.dlv[i].handled);
    return buf;
}

/* ---- R7 ------------------------------------------------------------------------ */

/*
 * R7 partial responses from a real handler, against the model's report
 * styles on the same scenario: records 3 and 5 of 5 fail; the response
 * checkpoints before the lowest (seq 2), the rest is a set of its own
 * (R7: AWS gives it retries of its own), invoked twice and discarded when
 * MaximumRetryAttempts 1 is spent, functionError null.
 * all-failures handles every record it does not name, as Powertools does:
 * the deliveries are the model's, handled flags included.  first-failure
 * (the AWS samples) stops at the record it names; the records after it
 * count as handled (SPEC section 4: unless the response names them), where
 * the model knows it never reached them.
 */
static void test_r7_partial_like_model(void)
{
    static const int poison[] = { 3, 5 };
    make_records(5, "1s", "k", poison, 2);
    struct run h, m;
    const char *mapping = RBIF ",\"MaximumRetryAttempts\":1";

    if (!run_both("10s", mapping, handler("report", ",\"env\":{\"R7_CASE\":\"all-failures\"}"),
                  POISON_RULE ",\"report\":\"all-failures\"", &h, &m))
        return;
    check_same_mapping(__LINE__, &h, &m);
    CHECK_STR(deliveries(&h), deliveries(&m));
    CHECK_STR(deliveries(&h), "1:1:1 1:2:1 1:3:0 1:4:1 1:5:0 2:3:0 2:4:1 2:5:0 3:3:0 3:4:1 3:5:0");
    CHECK_INT(h.ml.n_inv, 3);
    if (h.ml.n_inv == 3) {
        CHECK_INT(h.ml.inv[0].v.start_us, 1 * SEC);
        CHECK_INT(h.ml.inv[0].v.end_us, 1 * SEC + 10 * MS);
        CHECK_INT(h.ml.inv[0].v.outcome, OUTCOME_PARTIAL);
        CHECK_INT(h.ml.inv[1].v.start_us, 2 * SEC + 10 * MS);
        CHECK_INT(h.ml.inv[1].v.first_sequence_number, 3);
        CHECK_INT(h.ml.inv[1].v.record_count, 3);
        CHECK_INT(h.ml.inv[1].v.attempt, 1);
        CHECK_INT(h.ml.inv[2].v.start_us, 3 * SEC + 20 * MS);
        CHECK_INT(h.ml.inv[2].v.first_sequence_number, 3);
        CHECK_INT(h.ml.inv[2].v.attempt, 2);
    }
    CHECK_INT(h.ml.n_ckpt, 2);
    if (h.ml.n_ckpt == 2) {
        CHECK_INT(h.ml.ckpt[0].seq, 2);
        CHECK_INT(h.ml.ckpt[0].reason, CKPT_PARTIAL);
        CHECK_INT(h.ml.ckpt[1].seq, 5);
        CHECK_INT(h.ml.ckpt[1].reason, CKPT_DISCARDED);
    }
    CHECK_INT(h.ml.n_disc, 1);
    if (h.ml.n_disc == 1) {
        CHECK_INT(h.ml.disc[0].v.start_sequence_number, 3);
        CHECK_INT(h.ml.disc[0].v.record_count, 3);
        CHECK(h.ml.disc[0].v.has_response && h.ml.disc[0].v.function_error == NULL);
    }
    CHECK_INT(h.ml.fates[FATE_PROCESSED], 3);
    CHECK_INT(h.ml.fates[FATE_DISCARDED], 2);
    release(&h);
    release(&m);

    /* the same items reversed and twice over: the lowest still rules */
    if (run_json(scenario("10s", mapping, handler("report",
                                                 ",\"env\":{\"R7_CASE\":\"all-failures-reversed\"}")),
                 &h, SIM_COMPLETE)) {
        CHECK_STR(deliveries(&h), "1:1:1 1:2:1 1:3:0 1:4:1 1:5:0 2:3:0 2:4:1 2:5:0 3:3:0 3:4:1 3:5:0");
        CHECK_INT(h.ml.n_ckpt, 2);
        release(&h);
    }

    if (!run_both("10s", mapping, handler("report", ",\"env\":{\"R7_CASE\":\"first-failure\"}"),
                  POISON_RULE ",\"report\":\"first-failure\"", &h, &m))
        return;
    check_same_mapping(__LINE__, &h, &m);
    CHECK_STR(deliveries(&m), "1:1:1 1:2:1 1:3:0 1:4:0 1:5:0 2:3:0 2:4:0 2:5:0 3:3:0 3:4:0 3:5:0");
    CHECK_STR(deliveries(&h), "1:1:1 1:2:1 1:3:0 1:4:1 1:5:1 2:3:0 2:4:1 2:5:1 3:3:0 3:4:1 3:5:1");
    CHECK_INT(h.ml.fates[FATE_PROCESSED], 4);
    CHECK_INT(h.ml.fates[FATE_DISCARDED], 1);
    release(&h);
    release(&m);
}

/* R7: every documented condition, and what a real handler may answer
 * beyond them, on records 3 and 5 of 5 failing, MaximumRetryAttempts 1. */
static void test_r7_conditions(void)
{
    static const struct {
        const char *r7_case;
        enum outcome outcome;      /* of the first invocation */
        const char *why;           /* its error column; "" for none */
        size_t invocations;
        uint64_t processed, discarded, lost;
    } cases[] = {
        /* full success: every record checkpointed; the poison ones count as
         * handled: the response did not name them */
        { "empty-list", OUTCOME_SUCCESS, "", 1, 5, 0, 0 },
        { "null-list", OUTCOME_SUCCESS, "", 1, 5, 0, 0 },
        { "empty-object", OUTCOME_SUCCESS, "", 1, 5, 0, 0 },
        { "null", OUTCOME_SUCCESS, "", 1, 5, 0, 0 },
        { "empty-body", OUTCOME_SUCCESS, "", 1, 5, 0, 0 },
        /* an empty value: AWS took `return []` for a full success (LocalStack's
         * AWS-validated snapshot, test_lambda_integration_kinesis.snapshot.json
         * and the DynamoDB twin, test_*_report_batch_item_success_scenarios
         * [empty_list_success]: one invocation, no retry with
         * MaximumRetryAttempts 2); "" is empty the same way (choice) */
        { "empty-array", OUTCOME_SUCCESS, "", 1, 5, 0, 0 },
        { "empty-string", OUTCOME_SUCCESS, "", 1, 5, 0, 0 },
        /* the list under another key: no list for the mapping, the records
         * it names are lost (R17) */
        { "wrong-list-key", OUTCOME_SUCCESS, "", 1, 3, 0, 2 },
        /* an integer identifier is its decimal text (choice); the rest
         * from it is a set of its own, invoked twice (R7) */
        { "number", OUTCOME_PARTIAL, "batchItemFailures", 3, 4, 1, 0 },
        /* full failure: retried as a whole, then discarded */
        { "empty-identifier", OUTCOME_ERROR, "empty-string itemIdentifier", 2, 5, 0, 0 },
        { "null-identifier", OUTCOME_ERROR, "null itemIdentifier", 2, 5, 0, 0 },
        { "wrong-key", OUTCOME_ERROR, "no itemIdentifier key (wrong key name)", 2, 4, 1, 0 },
        { "unknown-sequence", OUTCOME_ERROR, "itemIdentifier not in the batch", 2, 5, 0, 0 },
        { "not-a-number", OUTCOME_ERROR, "itemIdentifier not a sequence number", 2, 5, 0, 0 },
        { "leading-zero", OUTCOME_ERROR, "itemIdentifier not a sequence number", 2, 5, 0, 0 },
        { "boolean", OUTCOME_ERROR, "itemIdentifier not a sequence number", 2, 5, 0, 0 },
        { "list-not-a-list", OUTCOME_ERROR, "batchItemFailures is not a list", 2, 5, 0, 0 },
        { "string", OUTCOME_ERROR, "the response is neither an object nor null", 2, 5, 0, 0 },
        { "array", OUTCOME_ERROR, "the response is neither an object nor null", 2, 5, 0, 0 },
        /* an answer that is not JSON (posted first; the runtime's own answer
         * after it is refused: an answer twice) */
        { "not-json", OUTCOME_ERROR, "the response is not JSON", 2, 5, 0, 0 },
    };
    static const int poison[] = { 3, 5 };
    make_records(5, "1s", "k", poison, 2);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char env[128];
        struct run r;
        snprintf(env, sizeof env, ",\"env\":{\"R7_CASE\":\"%s\"}", cases[i].r7_case);
        if (!run_json(scenario("10s", RBIF ",\"MaximumRetryAttempts\":1", handler("report", env)),
                      &r, SIM_COMPLETE))
            continue;
        bool ok = r.ml.n_inv == cases[i].invocations && r.ml.n_inv > 0 &&
                  r.ml.inv[0].v.outcome == cases[i].outcome &&
                  !strcmp(r.ml.inv[0].error, cases[i].why) &&
                  r.ml.fates[FATE_PROCESSED] == cases[i].processed &&
                  r.ml.fates[FATE_DISCARDED] == cases[i].discarded &&
                  r.ml.fates[FATE_LOST] == cases[i].lost;
        if (!ok)
            fprintf(stderr, "test_realfn.c: R7 case %s: %zu invocations, first %s \"%s\"; processed"
                    " %llu discarded %llu lost %llu\n", cases[i].r7_case, r.ml.n_inv,
                    r.ml.n_inv ? outcome_name(r.ml.inv[0].v.outcome) : "-",
                    r.ml.n_inv ? r.ml.inv[0].error : "", (unsigned long long)r.ml.fates[FATE_PROCESSED],
                    (unsigned long long)r.ml.fates[FATE_DISCARDED],
                    (unsigned long long)r.ml.fates[FATE_LOST]);
        CHECK(ok);
        if (cases[i].outcome == OUTCOME_ERROR && r.ml.n_disc == 1) {
            /* a response R7 rejects: discarded whole, functionError null */
            CHECK_INT(r.ml.disc[0].v.start_sequence_number, 1);
            CHECK_INT(r.ml.disc[0].v.record_count, 5);
            CHECK(r.ml.disc[0].v.has_response && r.ml.disc[0].v.function_error == NULL);
        } else {
            CHECK_INT(r.ml.n_disc, cases[i].outcome == OUTCOME_ERROR || cases[i].discarded);
        }
        release(&r);
    }
    /* without ReportBatchItemFailures the answer is not read: a success,
     * and the records a list names are lost */
    struct run r;
    if (run_json(scenario("10s", "", handler("report", ",\"env\":{\"R7_CASE\":\"not-json\"}")), &r,
                 SIM_COMPLETE)) {
        CHECK_INT(r.ml.n_inv, 1);
        CHECK_INT(r.ml.inv[0].v.outcome, OUTCOME_SUCCESS);
        CHECK_INT(r.ml.fates[FATE_PROCESSED], 5);
        release(&r);
    }
    if (run_json(scenario("10s", "", handler("report", ",\"env\":{\"R7_CASE\":\"all-failures\"}")), &r,
                 SIM_COMPLETE)) {
        CHECK_INT(r.ml.n_inv, 1);
        CHECK_INT(r.ml.fates[FATE_PROCESSED], 3);
        CHECK_INT(r.ml.fates[FATE_LOST], 2);
        release(&r);
    }
}

/* ---- R8 ------------------------------------------------------------------------ */

/*
 * R8 with a handler that throws on a batch holding the poison record (the
 * model's `throw`): halves, first half first, down to the poison record,
 * whose retries are spent; every invocation, checkpoint and discard as the
 * model's.  A failed invocation handles nothing (what it did before it threw
 * cannot be seen), where the model knows the records before the poison one
 * were handled.
 */
static void test_r8_bisect_like_model(void)
{
    static const int poison[] = { 6 };
    make_records(8, "1s", "k", poison, 1);
    const char *mapping = ",\"BisectBatchOnFunctionError\":true,\"MaximumRetryAttempts\":2";
    struct run h, m;
    if (!run_both("30s", mapping, handler("throws", ""), POISON_RULE ",\"report\":\"throw\"", &h, &m))
        return;
    check_same_mapping(__LINE__, &h, &m);
    /* 1-8 fails, 1-4 succeeds, 5-8 fails, 5-6 fails, 5 succeeds, 6 fails 3 times */
    static const uint64_t first[] = { 1, 1, 5, 5, 5, 6, 6, 6, 7 };
    static const uint32_t count[] = { 8, 4, 4, 2, 1, 1, 1, 1, 2 };
    CHECK_INT(h.ml.n_inv, 9);
    for (size_t i = 0; i < 9 && i < h.ml.n_inv; i++) {
        CHECK_INT(h.ml.inv[i].v.first_sequence_number, first[i]);
        CHECK_INT(h.ml.inv[i].v.record_count, count[i]);
        if (h.ml.inv[i].v.outcome == OUTCOME_ERROR)
            CHECK_STR(h.ml.inv[i].error, "ValueError");   /* the handler's errorType */
    }
    CHECK_INT(h.sum.mapping.bisects, 3);
    CHECK_INT(h.ml.n_disc, 1);
    if (h.ml.n_disc == 1) {
        CHECK_INT(h.ml.disc[0].v.start_sequence_number, 6);
        CHECK_INT(h.ml.disc[0].v.record_count, 1);
        CHECK_STR(h.ml.disc[0].v.function_error ? "Unhandled" : "null", "Unhandled");
    }
    CHECK_STR(deliveries(&h), "1:1:0 1:2:0 1:3:0 1:4:0 1:5:0 1:6:0 1:7:0 1:8:0 2:1:1 2:2:1 2:3:1 2:4:1 "
                              "3:5:0 3:6:0 3:7:0 3:8:0 4:5:0 4:6:0 5:5:1 6:6:0 7:6:0 8:6:0 9:7:1 9:8:1");
    CHECK_STR(deliveries(&m), "1:1:1 1:2:1 1:3:1 1:4:1 1:5:1 1:6:0 1:7:0 1:8:0 2:1:1 2:2:1 2:3:1 2:4:1 "
                              "3:5:1 3:6:0 3:7:0 3:8:0 4:5:1 4:6:0 5:5:1 6:6:0 7:6:0 8:6:0 9:7:1 9:8:1");
    CHECK_INT(h.ml.fates[FATE_PROCESSED], 7);
    CHECK_INT(h.ml.fates[FATE_DISCARDED], 1);
    /* the handler's output is in the log, between START and END */
    CHECK_CONTAINS(h.ml.lines, "6|output|poison 6\n");
    CHECK_CONTAINS(h.ml.lines, "[ERROR] ValueError: poison record 6");
    release(&h);
    release(&m);
}

/* ---- R15 ------------------------------------------------------------------------ */

/*
 * R15 with AWS's sample window handler (counts per key, in its state): the
 * state it returns is passed along to the window's next invocation as it
 * returned it, the final invocation gets it with isFinalInvokeForWindow,
 * and the windows table gets the final state: the model's, byte for byte.
 */
static void test_r15_state_like_model(void)
{
    size_t len = 0;
    static const char *const keys[] = { "a", "b", "a", "c", "a" };
    for (int w = 0; w < 2; w++)
        for (int i = 0; i < 5; i++)
            len += (size_t)snprintf(recs + len, sizeof recs - len,
                                    "%s{\"at\":\"%ds\",\"partition_key\":\"%s\",\"data\":\"ok\"}",
                                    len ? "," : "", 1 + 2 * i + 60 * w, keys[i]);
#define WINDOWS ",\"TumblingWindowInSeconds\":60,\"BatchSize\":2"
    const char *mapping = WINDOWS;
    struct run h, m;
    if (!run_both("3m", mapping, handler("counts", ""), "", &h, &m))
        return;
    check_same_mapping(__LINE__, &h, &m);
    CHECK_INT(h.ml.n_win, 2);
    CHECK_INT(m.ml.n_win, 2);
    for (size_t i = 0; i < 2 && i < h.ml.n_win && i < m.ml.n_win; i++) {
        CHECK_STR(h.ml.win[i].state, m.ml.win[i].state);
        CHECK_INT(h.ml.win[i].v.state_bytes, m.ml.win[i].v.state_bytes);
        CHECK_INT(h.ml.win[i].v.records, 5);
        CHECK_INT(h.ml.win[i].v.final_invocation_id, m.ml.win[i].v.final_invocation_id);
    }
    CHECK_STR(h.ml.win[0].state, "{\"a\":3,\"b\":1,\"c\":1}");
    /* each invocation was given the state the previous one returned */
    CHECK_CONTAINS(h.ml.lines, "|output|state {}\n");
    CHECK_CONTAINS(h.ml.lines, "|output|state {\"a\":1,\"b\":1}\n");
    CHECK_CONTAINS(h.ml.lines, "|output|state {\"a\":3,\"b\":1,\"c\":1} final\n");
    release(&h);
    release(&m);

    /* a response without state fails the invocation, retried as R5 says */
    if (run_json(scenario("3m", WINDOWS ",\"MaximumRetryAttempts\":0",
                          handler("counts", ",\"env\":{\"STATE_MODE\":\"none\"}")), &h, SIM_COMPLETE)) {
        CHECK(h.ml.n_inv > 0);
        if (h.ml.n_inv > 0) {
            CHECK_INT(h.ml.inv[0].v.outcome, OUTCOME_ERROR);
            CHECK_STR(h.ml.inv[0].error, "the response has no state");
        }
        CHECK_INT(h.ml.n_win, 0);
        release(&h);
    }
    /* a state past 1 MB ends the window early: its size is the JSON's */
    if (run_json(scenario("3m", mapping, handler("counts", ",\"env\":{\"STATE_MODE\":\"grow\"}")), &h,
                 SIM_COMPLETE)) {
        CHECK(h.ml.n_win >= 1);
        if (h.ml.n_win >= 1) {
            CHECK(h.ml.win[0].v.terminated_early);
            CHECK(h.ml.win[0].v.state_bytes > 1048576);
        }
        CHECK_CONTAINS(h.ml.lines, " final early\n");
        release(&h);
    }
}

/* ---- the errors of SPEC section 4 --------------------------------------------------- */

/* Records: ok at 1 s, poison at 3 s, ok at 5 s: the invocations before and
 * after the failure, and whether the last one found the environment warm. */
static void three_batches(void)
{
    snprintf(recs, sizeof recs, "{\"at\":\"1s\",\"partition_key\":\"k\",\"data\":\"ok 1\"},"
             "{\"at\":\"3s\",\"partition_key\":\"k\",\"data\":\"poison 2\"},"
             "{\"at\":\"5s\",\"partition_key\":\"k\",\"data\":\"ok 3\"}");
}

static void test_errors(void)
{
    static const struct {
        const char *name, *extra;
        const char *error;        /* the invocations.error of the failed one */
        bool ends_environment;    /* the next invocation is a cold start */
        const char *log;          /* a log line of the failed invocation */
    } cases[] = {
        { "throws", "", "ValueError", false, "2|output|[ERROR] ValueError: poison record 2" },
        { "crash", "", "Runtime.ExitError", true, "2|error|Runtime.ExitError\n" },
        /* 3 s, not less: the wall deadline runs from the dispatch, a new
         * process's start included, which a loaded machine slows past 1 s */
        { "hang", ",\"wall_timeout\":\"3s\"", "Sandbox.Timedout", true,
          "2|error|Sandbox.Timedout\n" },
        { "big", "", "Function.ResponseSizeTooLarge", false,
          "2|error|Function.ResponseSizeTooLarge\n" },
    };
    three_batches();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct run r;
        if (!run_json(scenario("10s", ",\"MaximumRetryAttempts\":0", handler(cases[i].name, cases[i].extra)),
                      &r, SIM_COMPLETE))
            continue;
        CHECK_INT(r.ml.n_inv, 3);
        if (r.ml.n_inv == 3) {
            CHECK(r.ml.inv[0].v.cold_start && !r.ml.inv[1].v.cold_start);
            CHECK_INT(r.ml.inv[1].v.outcome, OUTCOME_ERROR);
            CHECK_STR(r.ml.inv[1].error, cases[i].error);
            CHECK_INT(r.ml.inv[2].v.outcome, OUTCOME_SUCCESS);
            if (r.ml.inv[2].v.cold_start != cases[i].ends_environment)
                fprintf(stderr, "test_realfn.c: %s: cold start after it: %d\n", cases[i].name,
                        r.ml.inv[2].v.cold_start);
            CHECK(r.ml.inv[2].v.cold_start == cases[i].ends_environment);
        }
        /* a function error: discarded with functionError "Unhandled" */
        CHECK_INT(r.ml.n_disc, 1);
        if (r.ml.n_disc == 1)
            CHECK(r.ml.disc[0].v.function_error != NULL);
        CHECK_INT(r.ml.fates[FATE_PROCESSED], 2);
        CHECK_INT(r.ml.fates[FATE_DISCARDED], 1);
        CHECK(r.ml.lines != NULL);
        if (r.ml.lines) {
            CHECK_CONTAINS(r.ml.lines, cases[i].log);
            CHECK_CONTAINS(r.ml.lines, "2|output|poison 2\n");
            CHECK_CONTAINS(r.ml.lines, "2|end|END RequestId: ");
            CHECK_CONTAINS(r.ml.lines, "2|report|REPORT RequestId: ");
        }
        release(&r);
    }
    /* an init error: every invocation, each in a new environment (cold) */
    struct run r;
    char function[1024];
    snprintf(function, sizeof function, ",\"handler\":{\"command\":[\"python3\",\"" PY_BOOTSTRAP
             "\",\"broken_import.handler\"],\"cwd\":\"" PY_DIR "\"}");
    if (run_json(scenario("10s", ",\"MaximumRetryAttempts\":0", function), &r, SIM_COMPLETE)) {
        CHECK_INT(r.ml.n_inv, 3);
        for (size_t i = 0; i < r.ml.n_inv; i++) {
            CHECK_INT(r.ml.inv[i].v.outcome, OUTCOME_ERROR);
            CHECK_STR(r.ml.inv[i].error, "Runtime.ImportModuleError");
            CHECK(r.ml.inv[i].v.cold_start);
        }
        CHECK_CONTAINS(r.ml.lines, "1|init|importing a module that is not there\n");
        release(&r);
    }
    /* a program that exits before it asks for an event */
    snprintf(function, sizeof function, ",\"handler\":{\"command\":[\"python3\",\"" PY_DIR
             "/exits_at_once.py\"],\"cwd\":\"" PY_DIR "\"}");
    if (run_json(scenario("10s", ",\"MaximumRetryAttempts\":0", function), &r, SIM_COMPLETE)) {
        CHECK_INT(r.ml.n_inv, 3);
        for (size_t i = 0; i < r.ml.n_inv; i++)
            CHECK_STR(r.ml.inv[i].error, "Runtime.ExitError");
        CHECK_CONTAINS(r.ml.lines, "1|error|RequestId: ");
        CHECK_CONTAINS(r.ml.lines, " Error: Runtime exited with error: exit status 2\n");
        release(&r);
    }
}

/* ---- R11 and the end of the run ------------------------------------------------------- */

/* R11: a modelled duration past the timeout is a timeout whatever the
 * handler answered; its log says so as Lambda does. */
static void test_r11_modelled_timeout(void)
{
    make_records(2, "1s", "k", NULL, 0);
    struct run r;
    if (!run_json(scenario_timed("5s", "\"timeout\":\"1s\",\"duration\":{\"per_invoke\":\"2s\"}",
                                 ",\"MaximumRetryAttempts\":0", handler("report", "")), &r, SIM_COMPLETE))
        return;
    CHECK_INT(r.ml.n_inv, 1);
    if (r.ml.n_inv == 1) {
        CHECK_INT(r.ml.inv[0].v.outcome, OUTCOME_TIMEOUT);
        CHECK_STR(r.ml.inv[0].error, "Task timed out");
        CHECK_INT(r.ml.inv[0].v.end_us, 2 * SEC);
    }
    CHECK_STR(deliveries(&r), "1:1:0 1:2:0");
    CHECK_CONTAINS(r.ml.lines, "1|error|2026-01-01T00:00:02.000Z ");
    CHECK_CONTAINS(r.ml.lines, " Task timed out after 1.00 seconds\n");
    CHECK_INT(r.ml.fates[FATE_DISCARDED], 2);
    release(&r);
}

/* An invocation still in flight when the run ends: its deliveries are
 * logged (not handled), it has no invocations row, and its process is
 * ended with the backend, without waiting for the answer. */
static void test_in_flight_at_the_end(void)
{
    make_records(3, "1s", "k", NULL, 0);
    struct run r;
    if (!run_json(scenario_timed("2s", "\"duration\":{\"per_invoke\":\"5s\"}", "", handler("report", "")),
                  &r, SIM_COMPLETE))
        return;
    CHECK_INT(r.ml.n_inv, 0);
    CHECK_STR(deliveries(&r), "1:1:0 1:2:0 1:3:0");
    CHECK_INT(r.ml.fates[FATE_PENDING], 3);
    release(&r);
}

int main(void)
{
    test_r7_partial_like_model();
    test_r7_conditions();
    test_r8_bisect_like_model();
    test_r15_state_like_model();
    test_errors();
    test_r11_modelled_timeout();
    test_in_flight_at_the_end();
    return check_done();
}
