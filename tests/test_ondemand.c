/*
 * test_ondemand.c - a Kinesis stream in on-demand capacity mode (SPEC 1.1
 * Capacity modes, issue 14 item 2): the starting capacity, the split of a
 * shard whose sustained traffic passes half its limits, a scale delay
 * after it is decided, up to twice the previous peak and the stream's
 * maximum, and the throttles until then; each at its exact time.
 *
 * Traffic is written straight to the stream, once a second, by key.  The
 * keys each own an eighth of the hash-key space (computed apart:
 * `printf %s key-12 | md5sum` ...), so a shard of the 4 of CreateStream
 * holds two of them, and each child of its split one.
 */
#include <stdlib.h>

#include "check.h"
#include "engine.h"
#include "keytab.h"
#include "memlog.h"
#include "ondemand.h"
#include "config.h"
#include "stream.h"

#define SEC ENG_US_PER_SEC
#define MIB (UINT64_C(1) << 20)

/* The key in eighth e of the hash-key space: shard e / 2 of 4, and after
 * that shard's split, its lower (e even) or upper child. */
static const char *const EIGHTH[8] = {
    "key-12", "key-1", "key-7", "key-10", "key-5", "key-6", "key-8", "key-13",
};

/* AWS's on-demand stream: 4 shards of 1,000 records/s and 1 MiB/s. */
static struct cfg_stream on_demand_cfg(void)
{
    return (struct cfg_stream){
        .type = CFG_STREAM_KINESIS, .name = (char *)"orders", .shards = 4,
        .retention_us = 24 * 3600 * SEC, .consumer = CFG_CONSUMER_SHARED,
        .write_records_per_sec = 1000, .write_bytes_per_sec = MIB,
        .max_record_bytes = MIB, .max_request_bytes = 5 * MIB, .max_request_records = 500,
        .capacity_mode = CFG_CAPACITY_ON_DEMAND,
        .on_demand = {
            .peak_window_s = 30 * 86400, .scale_window_s = 60, .scale_delay_us = 15 * 60 * SEC,
            .split_threshold = 0.5, .max_write_bytes_per_sec = 200 * MIB,
            .max_write_records_per_sec = 200000,
        },
    };
}

/* Records written a second to each key of EIGHTH, from a second on. */
struct phase {
    int64_t from_s;
    uint32_t per_key[8];
};

struct fix {
    struct eng *e;
    struct keytab *keys;
    struct memlog ml;
    struct slog log;
    struct stm *s;
    struct odm *scaler;           /* ON_DEMAND: made beside the stream, as sim.c does */
    uint32_t key_id[8];
    const struct phase *phases;
    size_t n_phases;
    int64_t until_s;              /* writes at 0 s, 1 s, ... before this */
    uint64_t next_msg;
    char err[256];
};

/* The writes of second sec: each key's records, 10 bytes each, in requests
 * of at most 500, keys in order. */
static void on_second(void *ctx, uint64_t sec)
{
    struct fix *f = ctx;
    const struct phase *ph = NULL;
    for (size_t i = 0; i < f->n_phases; i++)
        if (f->phases[i].from_s <= (int64_t)sec)
            ph = &f->phases[i];
    static struct stm_put_entry en[500];
    static uint8_t res[500];
    for (int k = 0; ph && k < 8; k++) {
        for (uint32_t left = ph->per_key[k]; left > 0;) {
            uint32_t n = left > 500 ? 500 : left;
            for (uint32_t i = 0; i < n; i++)
                en[i] = (struct stm_put_entry){ .message_id = ++f->next_msg, .key_id = f->key_id[k], .bytes = 10 };
            if (stm_put_records(f->s, en, n, res, f->err, sizeof f->err) < 0)
                CHECK_STR(f->err, "");   /* a request the stream refused */
            left -= n;
        }
    }
    if ((int64_t)sec + 1 < f->until_s)
        eng_schedule(f->e, (int64_t)(sec + 1) * SEC, ENG_CLASS_WRITE, on_second, f, sec + 1);
}

static bool fix_open(struct fix *f, const struct cfg_stream *cfg, const struct phase *ph, size_t n,
                     int64_t until_s)
{
    memset(f, 0, sizeof *f);
    f->e = eng_create(1);
    f->keys = keytab_create();
    f->log = (struct slog){ .ops = &memlog_ops, .ctx = &f->ml };
    for (int k = 0; k < 8; k++)
        f->key_id[k] = keytab_add(f->keys, EIGHTH[k]);
    f->phases = ph;
    f->n_phases = n;
    f->until_s = until_s;
    bool on_demand = cfg->capacity_mode == CFG_CAPACITY_ON_DEMAND;
    f->s = stm_create(f->e, cfg, f->keys, &f->log, f->err, sizeof f->err);
    if (f->s && on_demand)
        f->scaler = odm_create(f->e, f->s, cfg, f->err, sizeof f->err);
    bool made = f->s && (f->scaler || !on_demand);
    CHECK(made);
    if (!made) {
        fprintf(stderr, "%s\n", f->err);
        return false;
    }
    eng_schedule(f->e, 0, ENG_CLASS_WRITE, on_second, f, 0);
    return true;
}

/* fix_open, then the run to until_s. */
static bool fix_run(struct fix *f, const struct cfg_stream *cfg, const struct phase *ph, size_t n,
                    int64_t until_s)
{
    if (!fix_open(f, cfg, ph, n, until_s))
        return false;
    eng_run_until(f->e, until_s * SEC);
    return true;
}

static void fix_close(struct fix *f)
{
    odm_destroy(f->scaler);
    stm_destroy(f->s);
    keytab_destroy(f->keys);
    eng_destroy(f->e);
    memlog_free(&f->ml);
}

static uint64_t throttled(const struct fix *f)
{
    struct stm_stats st;
    stm_stats(f->s, &st);
    return st.put_throttled;
}

static uint64_t splits(const struct fix *f)
{
    struct stm_stats st;
    stm_stats(f->s, &st);
    return st.on_demand_splits;
}

/* The last shards row of shardId-0000000000NN, or NULL. */
static const struct mem_shard *shard_row(const struct fix *f, unsigned n)
{
    char id[32];
    snprintf(id, sizeof id, "shardId-%012u", n);
    const struct mem_shard *row = NULL;
    for (size_t i = 0; i < f->ml.n_shard; i++)
        if (strcmp(f->ml.shard[i].id, id) == 0)
            row = &f->ml.shard[i];
    return row;
}

/* The shards open at at_us, from the shards rows. */
static int open_at(const struct fix *f, int64_t at_us)
{
    int n = 0;
    for (size_t i = 0; i < f->ml.n_shard; i++) {
        const struct mem_shard *r = &f->ml.shard[i];
        if (r == shard_row(f, (unsigned)atoi(r->id + 8)) && r->opened_us <= at_us &&
            (r->closed_us < 0 || r->closed_us > at_us))
            n++;
    }
    return n;
}

/* Shard n: opened at opened_s by parent (-1: none), closed at closed_s (-1: open). */
static void check_shard(int line, const struct fix *f, unsigned n, int parent, int64_t opened_s, int64_t closed_s)
{
    const struct mem_shard *r = shard_row(f, n);
    char want[32] = "";
    if (parent >= 0)
        snprintf(want, sizeof want, "shardId-%012d", parent);
    bool ok = r && strcmp(r->parent, want) == 0 && r->opened_us == opened_s * SEC &&
              r->closed_us == (closed_s < 0 ? -1 : closed_s * SEC);
    if (!ok)
        fprintf(stderr, "test_ondemand.c:%d: shard %u: %s, parent \"%s\", opened %lld, closed %lld\n", line, n,
                r ? "logged" : "not logged", r ? r->parent : "", r ? (long long)r->opened_us : 0,
                r ? (long long)r->closed_us : 0);
    CHECK(ok);
    CHECK_STR(r ? r->adjacent : NULL, "");
}

/*
 * Issue 14 item 2, the documented rule with exact times.  4 shards, 300
 * records/s each (0.3 of the limit) until 100 s, then a spike of 1,500 each
 * (6,000 offered, 4,000 of capacity):
 * - every shard takes its 1,000 and throttles 500 a second, 2,000 for the
 *   stream, from 100 s;
 * - a shard is judged on its last 60 s: 300 (60 - m) + 1000 m > 30,000 once
 *   m = 18 seconds of the spike are in, at the tick of 118 s; the peak is the
 *   starting capacity, 4,000, so the ceiling is 8 shards: all 4 split, 15
 *   minutes later, at 1018 s, each at the middle of its range (lower child
 *   first: shards 4 to 11);
 * - throttles end there (each child takes one key's 750 a second): 918 s x
 *   2,000 = 1,836,000 entries throttled in all;
 * - the peak is now 6,000 (ceiling 12) and each child runs at 0.75: judged
 *   after its first 60 s, at 1078 s, all 8 are hot, and the 4 with the
 *   lowest index split at 1978 s (4 more shards: 12 open); none after, at
 *   the ceiling.
 */
static void test_spike_splits_after_the_delay(void)
{
    const struct phase ph[] = {
        { 0, { 150, 150, 150, 150, 150, 150, 150, 150 } },
        { 100, { 750, 750, 750, 750, 750, 750, 750, 750 } },
    };
    struct cfg_stream cfg = on_demand_cfg();
    struct fix f;
    if (!fix_open(&f, &cfg, ph, 2, 2100))
        return;
    CHECK_INT(open_at(&f, 0), 4);
    eng_run_until(f.e, 99 * SEC + SEC / 2);
    CHECK_INT(throttled(&f), 0);
    eng_run_until(f.e, 100 * SEC);
    CHECK_INT(throttled(&f), 2000);
    eng_run_until(f.e, 1017 * SEC + SEC / 2);
    CHECK_INT(throttled(&f), 918 * 2000);
    CHECK_INT(splits(&f), 0);
    eng_run_until(f.e, 1018 * SEC);
    CHECK_INT(splits(&f), 4);
    CHECK_INT(throttled(&f), 918 * 2000);   /* none at 1018 s: the children take the writes */
    eng_run_until(f.e, 2100 * SEC);
    CHECK_INT(throttled(&f), 918 * 2000);
    CHECK_INT(splits(&f), 8);

    for (unsigned p = 0; p < 4; p++) {
        check_shard(__LINE__, &f, p, -1, 0, 1018);
        check_shard(__LINE__, &f, 4 + 2 * p, (int)p, 1018, p < 2 ? 1978 : -1);
        check_shard(__LINE__, &f, 5 + 2 * p, (int)p, 1018, p < 2 ? 1978 : -1);
        check_shard(__LINE__, &f, 12 + 2 * p, (int)(4 + p), 1978, -1);
        check_shard(__LINE__, &f, 13 + 2 * p, (int)(4 + p), 1978, -1);
    }
    CHECK(shard_row(&f, 20) == NULL);
    CHECK_INT(open_at(&f, 1017 * SEC), 4);    /* 4,000 records/s of capacity */
    CHECK_INT(open_at(&f, 1018 * SEC), 8);    /* 8,000 */
    CHECK_INT(open_at(&f, 1978 * SEC), 12);   /* 12,000: twice the peak of 6,000 */
    /* the parent's hash keys evenly over the children: shard 0 = [0, 2^126 - 1] */
    const struct mem_shard *c4 = shard_row(&f, 4), *c5 = shard_row(&f, 5);
    CHECK_STR(c4 ? c4->start : NULL, "0");
    CHECK_STR(c4 ? c4->end : NULL, "42535295865117307932921825928971026431");
    CHECK_STR(c5 ? c5->start : NULL, "42535295865117307932921825928971026432");
    CHECK_STR(c5 ? c5->end : NULL, "85070591730234615865843651857942052863");
    /* the key of the lower eighth writes to the lower child from 1018 s */
    CHECK_INT(stm_route(f.s, f.key_id[0]), 12);
    CHECK_INT(stm_route(f.s, f.key_id[1]), 14);
    CHECK_INT(stm_route(f.s, f.key_id[7]), 11);
    fix_close(&f);
}

/*
 * Issue 14 item 2: traffic at exactly half a shard's limits never splits
 * (the threshold must be passed); within the capacity nothing throttles;
 * a spike above half, within the capacity, splits without a throttle.
 */
static void test_threshold_and_headroom(void)
{
    const struct phase half[] = { { 0, { 250, 250, 250, 250, 250, 250, 250, 250 } } };
    struct cfg_stream cfg = on_demand_cfg();
    struct fix f;
    if (!fix_run(&f, &cfg, half, 1, 1200))
        return;
    CHECK_INT(splits(&f), 0);
    CHECK_INT(throttled(&f), 0);
    CHECK_INT(open_at(&f, 1200 * SEC), 4);
    fix_close(&f);

    /* 0.6 of each shard from 0: judged at 60 s, split at 960 s, no throttle */
    const struct phase more[] = { { 0, { 300, 300, 300, 300, 300, 300, 300, 300 } } };
    if (!fix_open(&f, &cfg, more, 1, 1000))
        return;
    eng_run_until(f.e, 959 * SEC);
    CHECK_INT(splits(&f), 0);
    eng_run_until(f.e, 960 * SEC);
    CHECK_INT(splits(&f), 4);
    CHECK_INT(throttled(&f), 0);
    check_shard(__LINE__, &f, 11, 3, 960, -1);
    fix_close(&f);
}

/*
 * Issue 14 item 2: the ceiling is twice the peak of the trailing window,
 * and the stream's maximum.  Shard 0 at its limit (its two keys, 500 a
 * second each) and the others idle: the stream's peak is its starting
 * capacity, 4,000, so shard 0 is split at 60 + 900 s.  With a
 * peak window of 30 s, that starting peak has left the window when the
 * shard is judged (at 60 s): the peak is 1,000, twice is 2 shards, fewer than
 * the 4 open: no split.  With a maximum of 5,000 records/s (5 shards), a
 * spike on every shard splits only one, the lowest.
 */
static void test_peak_window_and_maximum(void)
{
    const struct phase hot0[] = { { 0, { 500, 500, 0, 0, 0, 0, 0, 0 } } };
    struct cfg_stream cfg = on_demand_cfg();
    struct fix f;
    if (!fix_run(&f, &cfg, hot0, 1, 1000))
        return;
    CHECK_INT(splits(&f), 1);
    check_shard(__LINE__, &f, 0, -1, 0, 960);
    check_shard(__LINE__, &f, 4, 0, 960, -1);
    CHECK_INT(throttled(&f), 0);
    fix_close(&f);

    cfg.on_demand.peak_window_s = 30;
    if (!fix_run(&f, &cfg, hot0, 1, 1000))
        return;
    CHECK_INT(splits(&f), 0);
    fix_close(&f);

    /* the scale delay is a setting: 2 minutes; the maximum: 5 shards */
    const struct phase all[] = { { 0, { 400, 400, 400, 400, 400, 400, 400, 400 } } };
    cfg = on_demand_cfg();
    cfg.on_demand.scale_delay_us = 120 * SEC;
    cfg.on_demand.max_write_records_per_sec = 5000;
    if (!fix_run(&f, &cfg, all, 1, 1000))
        return;
    CHECK_INT(splits(&f), 1);
    check_shard(__LINE__, &f, 0, -1, 0, 180);
    check_shard(__LINE__, &f, 1, -1, 0, -1);
    CHECK_INT(open_at(&f, 1000 * SEC), 5);
    fix_close(&f);
}

/* Issue 14 item 2: a provisioned stream never splits by itself; an
 * on-demand stream refuses a planned reshard (AWS manages its shards). */
static void test_modes(void)
{
    const struct phase hot[] = { { 0, { 500, 500, 500, 500, 500, 500, 500, 500 } } };
    struct cfg_stream cfg = on_demand_cfg();
    cfg.capacity_mode = CFG_CAPACITY_PROVISIONED;
    struct fix f;
    if (!fix_run(&f, &cfg, hot, 1, 1200))
        return;
    CHECK_INT(splits(&f), 0);
    CHECK_INT(open_at(&f, 1200 * SEC), 4);
    fix_close(&f);

    cfg = on_demand_cfg();
    struct cfg_reshard op = { .at_us = SEC, .kind = CFG_RESHARD_TARGET, .target = 8 };
    cfg.reshard = &op;
    cfg.n_reshard = 1;
    struct eng *e = eng_create(1);
    struct keytab *keys = keytab_create();
    char err[256];
    CHECK(stm_create(e, &cfg, keys, NULL, err, sizeof err) == NULL);
    CHECK_STR(err, "stream orders: on demand, AWS makes the shards: no reshard");
    keytab_destroy(keys);
    eng_destroy(e);
}

int main(void)
{
    test_spike_splits_after_the_delay();
    test_threshold_and_headroom();
    test_peak_window_and_maximum();
    test_modes();
    return check_done();
}
