/*
 * test_conservation.c - R17 over many random scenarios: every produced
 * message ends in exactly one fate, whatever the producers, retry policies,
 * failures, report styles and mapping settings (bisect, partial batch
 * responses, ParallelizationFactor, scheduled updates, resharding,
 * enhanced fan-out); the
 * checkpoints of a shard never go backwards (R3/R4); and every key's records
 * are first delivered in order (R3, R10, R12: parents before children).
 */
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_rng.h>

#include "check.h"
#include "memlog.h"
#include "scenario.h"
#include "sim.h"

static const char *const retry_modes[] = { "failed-only", "all", "none" };
static const char *const starts[] = { "TRIM_HORIZON", "LATEST", "TRIM_HORIZON" };
static const char *const reports[] = { "throw", "first-failure", "all-failures",
                                       "all-failures-no-raise", "empty-identifier",
                                       "wrong-key", "wrong-list-key", "unknown-sequence" };

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void one_scenario(gsl_rng *r, int index)
{
    char json[4096], producers[2048], schedule[512], stream_extra[256] = "";
    int len = 0, n_producers = 1 + (int)gsl_rng_uniform_int(r, 3);
    for (int p = 0; p < n_producers; p++)
        len += snprintf(producers + len, sizeof producers - (size_t)len,
                        "%s{\"name\":\"p%d\",\"rate\":%d,\"keys\":{\"count\":%d},"
                        "\"record_bytes\":%d,\"put\":{\"retry\":{\"mode\":\"%s\",\"max_attempts\":%d}}}",
                        p ? "," : "", p, 50 + (int)gsl_rng_uniform_int(r, 1200),
                        1 + (int)gsl_rng_uniform_int(r, 50), 50 + (int)gsl_rng_uniform_int(r, 2000),
                        retry_modes[gsl_rng_uniform_int(r, 3)], 1 + (int)gsl_rng_uniform_int(r, 4));
    int max_retry = (int)gsl_rng_uniform_int(r, 4) - 1;
    /* R16: a mapping update that may disable it and change the factor
     * (records queued are dealt again), then one that enables it. */
    int first_change = 5 + (int)gsl_rng_uniform_int(r, 30);
    snprintf(schedule, sizeof schedule,
             "[{\"at\":\"%ds\",\"update_mapping\":{\"ParallelizationFactor\":%d,\"Enabled\":%s}},"
             "{\"at\":\"%ds\",\"update_mapping\":{\"Enabled\":true}}]",
             first_change, 1 + (int)gsl_rng_uniform_int(r, 10),
             gsl_rng_uniform_int(r, 2) ? "true" : "false",
             first_change + (int)gsl_rng_uniform_int(r, 20));
    /* R1: enhanced fan-out (pushed, not polled) in one run of four; R12: a
     * split, then an UpdateShardCount, at random times, in one of two. */
    int shards = 1 + (int)gsl_rng_uniform_int(r, 4);
    int len_extra = 0;
    if (gsl_rng_uniform_int(r, 4) == 0)
        len_extra = snprintf(stream_extra, sizeof stream_extra, ",\"consumer\":\"efo\"");
    if (gsl_rng_uniform_int(r, 2))
        snprintf(stream_extra + len_extra, sizeof stream_extra - (size_t)len_extra,
                 ",\"reshard\":[{\"at\":\"%ds\",\"split\":\"shardId-000000000000\"},"
                 "{\"at\":\"%ds\",\"target_shard_count\":%d}]",
                 (int)gsl_rng_uniform_int(r, 20), 20 + (int)gsl_rng_uniform_int(r, 20),
                 (shards + 2) / 2 + (int)gsl_rng_uniform_int(r, (unsigned long)(3 * shards / 2 + 1)));
    snprintf(json, sizeof json,
             "{\"name\":\"random-%d\",\"seed\":%d,\"duration\":\"%ds\","
             "\"stream\":{\"shards\":%d%s},\"producers\":[%s],"
             "\"records\":[{\"at\":\"5s\",\"partition_key\":\"k\",\"data\":\"poison\"}],"
             "\"event_source_mapping\":{\"StartingPosition\":\"%s\",\"BatchSize\":%d,"
             "\"MaximumBatchingWindowInSeconds\":%d,\"MaximumRetryAttempts\":%d,"
             "\"MaximumRecordAgeInSeconds\":%d,\"BisectBatchOnFunctionError\":%s%s,"
             "\"ParallelizationFactor\":%d},"
             "\"function\":{\"reserved_concurrency\":%d,\"timeout\":\"%ds\","
             "\"duration\":{\"per_invoke\":\"20ms\",\"per_record\":{\"distribution\":\"exponential\",\"mean\":\"2ms\"}},"
             "\"failures\":[{\"match\":{\"probability\":%g}},{\"match\":{\"data_contains\":\"poison\"}}],"
             "\"report\":\"%s\"},"
             "\"model\":{\"latest_start_delay\":\"10s\",\"mapping_update_delay\":\"%ds\"},"
             "\"schedule\":%s}",
             index, index, 30 + (int)gsl_rng_uniform_int(r, 60), shards, stream_extra,
             producers, starts[gsl_rng_uniform_int(r, 3)], 1 + (int)gsl_rng_uniform_int(r, 500),
             (int)gsl_rng_uniform_int(r, 3), max_retry, gsl_rng_uniform_int(r, 2) ? -1 : 60,
             gsl_rng_uniform_int(r, 2) ? "true" : "false",
             gsl_rng_uniform_int(r, 2) ? ",\"FunctionResponseTypes\":[\"ReportBatchItemFailures\"]" : "",
             gsl_rng_uniform_int(r, 2) ? 1 : 1 + (int)gsl_rng_uniform_int(r, 10),
             (int)gsl_rng_uniform_int(r, 6), 1 + (int)gsl_rng_uniform_int(r, 3),
             gsl_rng_uniform(r) * 0.05, reports[gsl_rng_uniform_int(r, sizeof reports / sizeof *reports)],
             (int)gsl_rng_uniform_int(r, 3), schedule);

    char err[1024];
    struct scenario *scn = scn_parse("random.json", json, NULL, 0, err, sizeof err);
    if (!scn) {
        fprintf(stderr, "random scenario %d: %s\n", index, err);
        CHECK(scn != NULL);
        return;
    }
    struct memlog ml = { 0 };
    struct slog log = { .ops = &memlog_ops, .ctx = &ml, .per_record = true };
    struct sim *sim = sim_create(&scn->cfg, &log, err, sizeof err);
    CHECK(sim != NULL);
    if (sim) {
        CHECK_INT(sim_run(sim, NULL, NULL, NULL), SIM_COMPLETE);
        struct sim_summary sum;
        sim_summary(sim, &sum);

        /* Every message has one fate row, and only one. */
        CHECK_INT(ml.n_msg, sum.messages);
        uint64_t *ids = malloc((ml.n_msg + 1) * sizeof *ids), total = 0;
        for (size_t i = 0; i < ml.n_msg; i++)
            ids[i] = ml.msg[i].id;
        qsort(ids, ml.n_msg, sizeof *ids, cmp_u64);
        size_t dups = 0;
        for (size_t i = 0; i < ml.n_msg; i++) {
            dups += i > 0 && ids[i] == ids[i - 1];
            if (ids[i] != i + 1) {
                CHECK_INT(ids[i], i + 1);
                break;
            }
        }
        CHECK_INT(dups, 0);
        for (int f = 0; f < FATE_COUNT; f++) {
            CHECK_INT(ml.fates[f], sum.fates[f]);
            total += sum.fates[f];
        }
        CHECK_INT(total, sum.messages);
        /* Records: every one belongs to a message that reached the stream. */
        CHECK_INT(ml.n_rec, sum.stream.records_written);
        CHECK(sum.fates[FATE_REJECTED] <= sum.messages);
        /* R3/R4: a shard's checkpoint only moves forward. */
        int backwards = 0;
        for (size_t i = 0; i < ml.n_ckpt; i++)
            for (size_t j = i + 1; j < ml.n_ckpt && j < i + 64; j++)
                if (!strcmp(ml.ckpt[i].shard_id, ml.ckpt[j].shard_id) &&
                    (ml.ckpt[j].seq < ml.ckpt[i].seq ||
                     (ml.ckpt[j].seq == ml.ckpt[i].seq && ml.ckpt[j].reason != CKPT_SHARD_END)))
                    backwards++;
        CHECK_INT(backwards, 0);
        /* R3/R10: whatever lanes, retries, bisection and updates do, each
         * key's records are first delivered in sequence order. */
        CHECK_INT(sum.mapping.order_violations, 0);
        free(ids);
        sim_destroy(sim);
    }
    memlog_free(&ml);
    scn_free(scn);
}

int main(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 2026);
    for (int i = 0; i < 40; i++)
        one_scenario(r, i);
    gsl_rng_free(r);
    return check_done();
}
