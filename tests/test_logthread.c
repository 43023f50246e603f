/*
 * test_logthread.c - the relay to the log's thread (logthread.c): a run of
 * deliveries crosses as one entry with its array of sequence numbers, and
 * one larger than a chunk gets a chunk grown to fit (issue 15 item 1); the
 * inner sink gets every call, in order, with the same arguments.
 */
#include <stdlib.h>

#include "check.h"
#include "logthread.h"
#include "memlog.h"

#define BIG 200000   /* 1.6 MB of sequence numbers: more than a 1 MiB chunk */

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

int main(void)
{
    test_delivery_runs();
    return check_done();
}
