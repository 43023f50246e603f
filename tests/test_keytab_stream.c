/*
 * test_keytab_stream.c - partition keys and the Kinesis stream (SPEC 1.1):
 * MD5 routing, CreateStream hash ranges, JSON lengths, write limits,
 * PutRecords results and limits, sequence numbers, the ring buffer,
 * retention trimming and the shared read limits (R1).
 *
 * Expected MD5 digests were computed apart with `printf %s KEY | md5sum`;
 * expected hash ranges come from AWS's own describe-stream outputs.
 */
#include <stdlib.h>

#include "check.h"
#include "engine.h"
#include "keytab.h"
#include "scenario.h"
#include "stream.h"

#define MIB (1u << 20)
#define SEC ENG_US_PER_SEC

/* ---- a log sink that keeps shard and record rows ------------------------ */

struct shard_row {
    char id[32], start[48], end[48];
    bool has_parent;
    int64_t opened_us, closed_us;
};

struct rec_row {
    char shard[32];
    uint64_t seq, msg;
    int64_t arrival_us;
    uint32_t bytes;
};

struct sink {
    struct shard_row shards[32];
    int n_shards;
    struct rec_row *recs;
    size_t n_recs, cap_recs;
};

static void sink_shard(void *ctx, const struct slog_shard *s)
{
    struct sink *k = ctx;
    if (k->n_shards == 32)
        return;
    struct shard_row *r = &k->shards[k->n_shards++];
    snprintf(r->id, sizeof r->id, "%s", s->shard_id);
    snprintf(r->start, sizeof r->start, "%s", s->starting_hash_key);
    snprintf(r->end, sizeof r->end, "%s", s->ending_hash_key);
    r->has_parent = s->parent_shard_id || s->adjacent_parent_shard_id;
    r->opened_us = s->opened_us;
    r->closed_us = s->closed_us;
}

static void sink_record(void *ctx, const struct slog_record *r)
{
    struct sink *k = ctx;
    if (k->n_recs == k->cap_recs) {
        k->cap_recs = k->cap_recs ? 2 * k->cap_recs : 256;
        k->recs = realloc(k->recs, k->cap_recs * sizeof *k->recs);
    }
    struct rec_row *row = &k->recs[k->n_recs++];
    snprintf(row->shard, sizeof row->shard, "%s", r->shard_id);
    row->seq = r->sequence_number;
    row->msg = r->message_id;
    row->arrival_us = r->arrival_us;
    row->bytes = r->bytes;
}

static bool sink_failed(void *ctx) { return false; }

static const struct slog_ops sink_ops = {
    .shard = sink_shard, .record = sink_record, .failed = sink_failed,
};

/* ---- fixtures ----------------------------------------------------------- */

static struct scn_stream stream_cfg(uint32_t shards)
{
    return (struct scn_stream){
        .type = (char *)"kinesis", .name = (char *)"orders", .shards = shards,
        .retention_us = 24 * 3600 * SEC, .consumer = SCN_CONSUMER_SHARED,
        .write_records_per_sec = 1000, .write_bytes_per_sec = MIB,
        .max_record_bytes = MIB, .max_request_bytes = 5 * MIB, .max_request_records = 500,
    };
}

static int g_n_steps;   /* steps scheduled in the current fixture */

struct fix {
    struct eng *e;
    struct keytab *keys;
    struct sink sink;
    struct slog log;
    struct stm *s;
    char err[256];
};

static void fix_open(struct fix *f, const struct scn_stream *cfg, uint64_t seed)
{
    memset(f, 0, sizeof *f);
    g_n_steps = 0;
    f->e = eng_create(seed);
    f->keys = keytab_create();
    f->log = (struct slog){ .ops = &sink_ops, .ctx = &f->sink, .per_record = true };
    f->s = stm_create(f->e, cfg, f->keys, &f->log, f->err, sizeof f->err);
    CHECK(f->s != NULL);
}

static void fix_close(struct fix *f)
{
    stm_destroy(f->s);
    keytab_destroy(f->keys);
    eng_destroy(f->e);
    free(f->sink.recs);
}

/* n entries of key `key`, data bytes each, message ids from first_msg. */
static struct stm_put_entry *entries(struct fix *f, size_t n, const char *key,
                                     uint32_t bytes, uint64_t first_msg)
{
    struct stm_put_entry *en = calloc(n, sizeof *en);
    uint32_t id = keytab_add(f->keys, key);
    for (size_t i = 0; i < n; i++)
        en[i] = (struct stm_put_entry){ .message_id = first_msg + i, .key_id = id, .bytes = bytes };
    return en;
}

/* Steps of a test, run by the engine at their virtual time. */
typedef void (*step_fn)(struct fix *f);
static struct { struct fix *f; step_fn fn; } g_steps[64];

static void run_step(void *ctx, uint64_t i)
{
    g_steps[i].fn(g_steps[i].f);
}

static void at(struct fix *f, int64_t at_us, step_fn fn)
{
    if (g_n_steps == 64)
        abort();
    g_steps[g_n_steps].f = f;
    g_steps[g_n_steps].fn = fn;
    eng_schedule(f->e, at_us, ENG_CLASS_POLL, run_step, NULL, (uint64_t)g_n_steps++);
}

/* ---- keytab ------------------------------------------------------------- */

/* SPEC 1.1 MD5 routing: the hash-key is the MD5 read big-endian. */
static void test_md5_hashkey(void)
{
    struct hashkey h = hashkey_of("user-7", 6);
    CHECK(h.hi == UINT64_C(0x40ca09790c31c57a));
    CHECK(h.lo == UINT64_C(0xe9b468903f6cd580));
    h = hashkey_of("", 0);   /* d41d8cd98f00b204e9800998ecf8427e */
    CHECK(h.hi == UINT64_C(0xd41d8cd98f00b204) && h.lo == UINT64_C(0xe9800998ecf8427e));
    char buf[40];
    hashkey_format(hashkey_of("user-7", 6), buf);
    CHECK_STR(buf, "86119627827726738194382836302848251264");
}

/* SPEC 1.1 MD5 routing: known keys land on known shards for 2, 4, 16 shards. */
static void test_md5_routing(void)
{
    static const struct { const char *key, *md5; int s2, s4, s16; } cases[] = {
        { "user-7", "40ca09790c31c57ae9b468903f6cd580", 0, 1, 4 },
        { "user-0", "b01a0e23da718a08989311b8b2dfb069", 1, 2, 11 },
        { "alpha", "2c1743a391305fbf367df8e4f069f9f9", 0, 0, 2 },
        { "partitionKey-1", "77fe6d8289696ba8510480fbe3887256", 0, 1, 7 },
        { "K", "a5f3c6a11b03839d46af9fb43c97c188", 1, 2, 10 },
        { "", "d41d8cd98f00b204e9800998ecf8427e", 1, 3, 13 },
        { "h\xc3\xa9llo", "be50e8478cf24ff3595bc7307fb91b50", 1, 2, 11 },
    };
    const uint32_t counts[3] = { 2, 4, 16 };
    for (int c = 0; c < 3; c++) {
        struct scn_stream cfg = stream_cfg(counts[c]);
        struct fix f;
        fix_open(&f, &cfg, 1);
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            uint32_t id = keytab_add(f.keys, cases[i].key);
            struct hashkey h = keytab_hash(f.keys, id);
            char hex[33];
            snprintf(hex, sizeof hex, "%016llx%016llx", (unsigned long long)h.hi,
                     (unsigned long long)h.lo);
            CHECK_STR(hex, cases[i].md5);
            int want = c == 0 ? cases[i].s2 : c == 1 ? cases[i].s4 : cases[i].s16;
            CHECK_INT(stm_route(f.s, id), want);
            CHECK_INT(stm_route(f.s, id), want);   /* cached answer */
        }
        fix_close(&f);
    }
}

/* JSON-escaped length as cJSON prints strings (R2 payload size). */
static void test_json_len(void)
{
    CHECK_INT(json_escaped_len("abc"), 3);
    CHECK_INT(json_escaped_len("a\"b"), 4);
    CHECK_INT(json_escaped_len("\\"), 2);
    CHECK_INT(json_escaped_len("\b\f\n\r\t"), 10);
    CHECK_INT(json_escaped_len("\x01"), 6);
    CHECK_INT(json_escaped_len("\x1f" "a"), 7);
    CHECK_INT(json_escaped_len("h\xc3\xa9llo"), 6);   /* UTF-8 copied as is */
    CHECK_INT(json_escaped_len("\x7f/"), 2);          /* DEL and / unescaped */
    CHECK_INT(json_escaped_len(""), 0);
    struct keytab *t = keytab_create();
    uint32_t id = keytab_add(t, "say \"hi\"\n");
    CHECK_INT(keytab_json_len(t, id), 12);
    CHECK_INT(keytab_len(t, id), 9);
    keytab_destroy(t);
}

static void test_hashkey_format(void)
{
    char buf[40];
    hashkey_format((struct hashkey){ UINT64_MAX, UINT64_MAX }, buf);
    CHECK_STR(buf, "340282366920938463463374607431768211455");
    hashkey_format((struct hashkey){ 0, 0 }, buf);
    CHECK_STR(buf, "0");
    hashkey_format((struct hashkey){ 1, 0 }, buf);
    CHECK_STR(buf, "18446744073709551616");
    hashkey_format((struct hashkey){ 0, 1 }, buf);
    CHECK_STR(buf, "1");
}

/* Keys: dense ids, one per distinct string, copies that stay put while the
 * table grows. */
static void test_keytab_table(void)
{
    struct keytab *t = keytab_create();
    uint32_t a = keytab_add(t, "first");
    const char *p = keytab_key(t, a);
    char buf[32];
    bool dense = true;
    for (int i = 0; i < 200000; i++) {
        snprintf(buf, sizeof buf, "key-%d", i);
        dense &= keytab_add(t, buf) == (uint32_t)i + 1;
    }
    CHECK(dense);
    CHECK(p == keytab_key(t, a));
    CHECK_STR(keytab_key(t, a), "first");
    CHECK_STR(keytab_key(t, 12346), "key-12345");
    CHECK_INT(keytab_count(t), 200001);
    CHECK_INT(keytab_add(t, "first"), a);        /* the same string keeps its id */
    CHECK_INT(keytab_add(t, "key-199999"), 200000);
    CHECK_INT(keytab_count(t), 200001);
    keytab_destroy(t);
}

/* ---- shards ------------------------------------------------------------- */

/* SPEC 1.1 CreateStream hash ranges: equal splits exactly as AWS makes them. */
static void test_shard_ranges(void)
{
    struct scn_stream cfg = stream_cfg(3);
    struct fix f;
    fix_open(&f, &cfg, 1);
    /* AWS CLI describe-stream example, 3 shards. */
    CHECK_INT(f.sink.n_shards, 3);
    CHECK_STR(f.sink.shards[0].id, "shardId-000000000000");
    CHECK_STR(f.sink.shards[0].start, "0");
    CHECK_STR(f.sink.shards[0].end, "113427455640312821154458202477256070484");
    CHECK_STR(f.sink.shards[1].start, "113427455640312821154458202477256070485");
    CHECK_STR(f.sink.shards[1].end, "226854911280625642308916404954512140969");
    CHECK_STR(f.sink.shards[2].id, "shardId-000000000002");
    CHECK_STR(f.sink.shards[2].start, "226854911280625642308916404954512140970");
    CHECK_STR(f.sink.shards[2].end, "340282366920938463463374607431768211455");
    CHECK(!f.sink.shards[1].has_parent);
    CHECK_INT(f.sink.shards[1].opened_us, 0);
    CHECK_INT(f.sink.shards[1].closed_us, -1);
    CHECK_STR(stm_shard_id(f.s, 2), "shardId-000000000002");
    CHECK_INT(stm_shard_count(f.s), 3);
    fix_close(&f);

    cfg = stream_cfg(4);
    fix_open(&f, &cfg, 1);
    CHECK_STR(f.sink.shards[1].start, "85070591730234615865843651857942052864");
    CHECK_STR(f.sink.shards[0].end, "85070591730234615865843651857942052863");
    CHECK_STR(f.sink.shards[2].start, "170141183460469231731687303715884105728");
    CHECK_STR(f.sink.shards[3].start, "255211775190703847597530955573826158592");
    fix_close(&f);

    /* API Gateway tutorial's describe-stream, 5 shards. */
    cfg = stream_cfg(5);
    fix_open(&f, &cfg, 1);
    CHECK_STR(f.sink.shards[0].end, "68056473384187692692674921486353642290");
    CHECK_STR(f.sink.shards[4].start, "272225893536750770770699685945414569164");
    fix_close(&f);

    /* 20 shards: floor(i * 2^128 / N), not i * floor(2^128 / N). */
    cfg = stream_cfg(20);
    fix_open(&f, &cfg, 1);
    CHECK_STR(f.sink.shards[2].start, "34028236692093846346337460743176821145");
    CHECK_STR(f.sink.shards[2].end, "51042355038140769519506191114765231717");
    CHECK_STR(f.sink.shards[19].id, "shardId-000000000019");
    fix_close(&f);

    cfg = stream_cfg(1);
    fix_open(&f, &cfg, 1);
    CHECK_STR(f.sink.shards[0].start, "0");
    CHECK_STR(f.sink.shards[0].end, "340282366920938463463374607431768211455");
    CHECK_STR(stm_arn(f.s), "arn:aws:kinesis:us-east-1:123456789012:stream/orders");
    CHECK_INT(stm_set_arn(f.s, "arn:aws:kinesis:eu-west-3:111122223333:stream/x"), 0);
    CHECK_STR(stm_arn(f.s), "arn:aws:kinesis:eu-west-3:111122223333:stream/x");
    fix_close(&f);

    cfg = stream_cfg(0);
    char err[128];
    struct eng *e = eng_create(1);
    struct keytab *t = keytab_create();
    CHECK(stm_create(e, &cfg, t, NULL, err, sizeof err) == NULL);
    CHECK_CONTAINS(err, "orders");
    keytab_destroy(t);
    eng_destroy(e);
}

/* ---- writes ------------------------------------------------------------- */

static void put_expect(struct fix *f, struct stm_put_entry *en, size_t n, int failed,
                       const char *want)
{
    uint8_t res[600];
    CHECK_INT(stm_put_records(f->s, en, n, res, f->err, sizeof f->err), failed);
    if (want) {
        char got[600];
        for (size_t i = 0; i < n; i++)
            got[i] = res[i] == STM_PUT_OK ? 'o' : res[i] == STM_PUT_THROTTLED ? 't' : 'i';
        got[n] = '\0';
        CHECK_STR(got, want);
    }
    free(en);
}

/* One entry, quietly: true when it was written. */
static bool put_ok(struct fix *f, const char *key, uint32_t bytes, uint64_t msg)
{
    uint8_t res[1];
    struct stm_put_entry *en = entries(f, 1, key, bytes, msg);
    int failed = stm_put_records(f->s, en, 1, res, f->err, sizeof f->err);
    free(en);
    return failed == 0 && res[0] == STM_PUT_OK;
}

static void write_second_1(struct fix *f)
{
    put_expect(f, entries(f, 3, "k", 1, 2000), 3, 0, "ooo");
}

/* SPEC 1.1 write limits: 1,000 records per shard per second, then
 * ProvisionedThroughputExceeded; a new second resets the window. */
static void test_write_records_limit(void)
{
    struct scn_stream cfg = stream_cfg(1);
    struct fix f;
    fix_open(&f, &cfg, 1);
    put_expect(&f, entries(&f, 500, "k", 1, 1), 500, 0, NULL);
    put_expect(&f, entries(&f, 500, "k", 1, 501), 500, 0, NULL);
    put_expect(&f, entries(&f, 10, "k", 1, 1001), 10, 10, "tttttttttt");
    at(&f, SEC, write_second_1);
    eng_run_until(f.e, SEC);
    struct stm_stats st;
    stm_stats(f.s, &st);
    CHECK_INT(st.records_written, 1003);
    CHECK_INT(st.put_throttled, 10);
    CHECK_INT(f.sink.n_recs, 1003);
    CHECK_INT(f.sink.recs[1002].arrival_us, SEC);
    fix_close(&f);
}

/* SPEC 1.1 write limits: 1 MiB per shard per second, partition key included;
 * a refused entry uses no capacity. */
static void test_write_bytes_limit(void)
{
    struct scn_stream cfg = stream_cfg(1);
    struct fix f;
    fix_open(&f, &cfg, 1);
    put_expect(&f, entries(&f, 1, "abc", MIB - 3, 1), 1, 0, "o");   /* exactly 1 MiB */
    put_expect(&f, entries(&f, 1, "abc", 1, 2), 1, 1, "t");
    fix_close(&f);

    cfg.write_bytes_per_sec = 100;
    fix_open(&f, &cfg, 1);
    struct stm_put_entry *en = entries(&f, 4, "k", 0, 1);
    en[0].bytes = 50;   /* 51 with the key */
    en[1].bytes = 60;   /* 112: over */
    en[2].bytes = 40;   /* 92 */
    en[3].bytes = 7;    /* 100: exactly */
    put_expect(&f, en, 4, 1, "otoo");
    fix_close(&f);
}

/* SPEC 1.1 PutRecords: one result per entry in request order, entries of
 * one request succeed and fail independently (two shards, one full). */
static void test_put_mixed_order(void)
{
    struct scn_stream cfg = stream_cfg(2);
    cfg.write_records_per_sec = 2;
    struct fix f;
    fix_open(&f, &cfg, 1);
    uint32_t a = keytab_add(f.keys, "alpha");   /* shard 0 of 2 */
    uint32_t k = keytab_add(f.keys, "K");       /* shard 1 of 2 */
    CHECK_INT(stm_route(f.s, a), 0);
    CHECK_INT(stm_route(f.s, k), 1);
    struct stm_put_entry *en = calloc(6, sizeof *en);
    uint32_t order[6] = { a, a, k, a, k, k };
    for (int i = 0; i < 6; i++)
        en[i] = (struct stm_put_entry){ .message_id = 10 + i, .key_id = order[i], .bytes = 5 };
    put_expect(&f, en, 6, 2, "oootot");   /* a a k a(over) k k(over) */
    fix_close(&f);
}

/* SPEC 1.1 InternalFailure: drawn per entry from the stream's own random
 * stream; the same seed gives the same failures. */
static void test_internal_failure(void)
{
    struct scn_stream cfg = stream_cfg(1);
    cfg.internal_failure_rate = 0.5;
    char first[101] = "", second[101] = "";
    for (int run = 0; run < 2; run++) {
        struct fix f;
        fix_open(&f, &cfg, 42);
        uint8_t res[100];
        struct stm_put_entry *en = entries(&f, 100, "k", 1, 1);
        int failed = stm_put_records(f.s, en, 100, res, f.err, sizeof f.err);
        CHECK(failed > 20 && failed < 80);
        char *out = run ? second : first;
        for (int i = 0; i < 100; i++)
            out[i] = res[i] == STM_PUT_OK ? 'o' : res[i] == STM_PUT_INTERNAL_FAILURE ? 'i' : '?';
        struct stm_stats st;
        stm_stats(f.s, &st);
        CHECK_INT(st.put_internal_failures, failed);
        free(en);
        fix_close(&f);
    }
    CHECK_STR(first, second);
    CHECK(strchr(first, '?') == NULL);
}

/* SPEC 1.1 PutRecords limits: 500 records, 5 MiB, 1 MiB per record (data +
 * key); an invalid request writes nothing. */
static void test_request_limits(void)
{
    struct scn_stream cfg = stream_cfg(4);
    cfg.write_records_per_sec = 100000;
    cfg.write_bytes_per_sec = 100 * MIB;
    struct fix f;
    fix_open(&f, &cfg, 1);
    uint8_t res[600];
    struct stm_put_entry *en = entries(&f, 501, "k", 1, 1);
    CHECK_INT(stm_put_records(f.s, en, 501, res, f.err, sizeof f.err), -1);
    CHECK_CONTAINS(f.err, "501");
    CHECK_INT(stm_put_records(f.s, en, 500, res, f.err, sizeof f.err), 0);
    CHECK_INT(stm_put_records(f.s, en, 0, res, f.err, sizeof f.err), -1);
    free(en);
    /* 500 x (10486 + 1) = 5,243,500 bytes > 5 MiB */
    en = entries(&f, 500, "k", 10486, 1);
    CHECK_INT(stm_put_records(f.s, en, 500, res, f.err, sizeof f.err), -1);
    CHECK_CONTAINS(f.err, "5243500");
    free(en);
    en = entries(&f, 2, "abc", MIB - 2, 1);   /* 1 MiB + 1 with the key */
    CHECK_INT(stm_put_records(f.s, en, 2, res, f.err, sizeof f.err), -1);
    CHECK_CONTAINS(f.err, "1048577");
    free(en);
    struct stm_stats st;
    stm_stats(f.s, &st);
    CHECK_INT(st.records_written, 500);
    fix_close(&f);
}

/* SPEC 1.1 sequence numbers: unique in the stream, increasing per shard. */
static void test_sequence_numbers(void)
{
    struct scn_stream cfg = stream_cfg(4);
    struct fix f;
    fix_open(&f, &cfg, 1);
    char key[16];
    bool all_ok = true;
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "key-%d", i % 37);
        all_ok &= put_ok(&f, key, 10, (uint64_t)i + 1);
    }
    CHECK(all_ok);
    CHECK_INT(f.sink.n_recs, 200);
    CHECK_INT(f.sink.recs[0].seq, 1);
    bool unique = true, increasing = true;
    for (size_t i = 0; i < f.sink.n_recs; i++)
        for (size_t j = i + 1; j < f.sink.n_recs; j++) {
            unique &= f.sink.recs[i].seq != f.sink.recs[j].seq;
            if (strcmp(f.sink.recs[i].shard, f.sink.recs[j].shard) == 0)
                increasing &= f.sink.recs[i].seq < f.sink.recs[j].seq;
        }
    CHECK(unique);
    CHECK(increasing);
    uint64_t held = 0;
    bool stored_in_order = true;
    for (uint32_t s = 0; s < 4; s++) {
        held += stm_end(f.s, s) - stm_begin(f.s, s);
        for (uint64_t i = stm_begin(f.s, s) + 1; i < stm_end(f.s, s); i++)
            stored_in_order &= stm_at(f.s, s, i)->seq > stm_at(f.s, s, i - 1)->seq;
    }
    CHECK(stored_in_order);
    CHECK_INT(held, 200);
    fix_close(&f);
}

/* Storage: the ring keeps absolute indexes across growth and release. */
static void test_ring_buffer(void)
{
    struct scn_stream cfg = stream_cfg(1);
    struct fix f;
    fix_open(&f, &cfg, 1);
    bool all_ok = true;
    for (int i = 0; i < 100; i++)
        all_ok &= put_ok(&f, "k", 1, (uint64_t)i + 1);
    stm_release(f.s, 0, 50);
    CHECK_INT(stm_begin(f.s, 0), 50);
    for (int i = 100; i < 300; i++)
        all_ok &= put_ok(&f, "k", 1, (uint64_t)i + 1);
    CHECK(all_ok);
    CHECK_INT(stm_end(f.s, 0), 300);
    bool ok = true;
    for (uint64_t i = 50; i < 300; i++)
        ok &= stm_at(f.s, 0, i)->message_id == i + 1;
    CHECK(ok);
    stm_release(f.s, 0, 10);       /* below begin: nothing */
    CHECK_INT(stm_begin(f.s, 0), 50);
    stm_release(f.s, 0, 1000);     /* past end: all */
    CHECK_INT(stm_begin(f.s, 0), 300);
    struct stm_stats st;
    stm_stats(f.s, &st);
    CHECK_INT(st.peak_records_held, 250);
    /* explicit data */
    uint32_t d1 = stm_add_data(f.s, "{\"poison\":true}");
    uint32_t d2 = stm_add_data(f.s, "");
    CHECK_INT(d1, 1);
    CHECK_INT(d2, 2);
    CHECK_STR(stm_data(f.s, d1), "{\"poison\":true}");
    CHECK_STR(stm_data(f.s, d2), "");
    CHECK(stm_data(f.s, 0) == NULL && stm_data(f.s, 3) == NULL);
    fix_close(&f);
}

/* ---- retention ---------------------------------------------------------- */

struct expiry {
    struct stm *s;
    struct eng *e;
    uint64_t pin;
    int n;
    uint64_t from[8], to[8];
    int64_t at_us[8];
    bool release;    /* release inside expire, as the mapping does */
};

static uint64_t exp_pinned(void *ctx, uint32_t shard)
{
    return ((struct expiry *)ctx)->pin;
}

static void exp_expire(void *ctx, uint32_t shard, uint64_t from, uint64_t to)
{
    struct expiry *x = ctx;
    if (x->n < 8) {
        x->from[x->n] = from;
        x->to[x->n] = to;
        x->at_us[x->n] = eng_now(x->e);
    }
    x->n++;
    if (x->release)
        stm_release(x->s, shard, to);
}

static struct expiry g_exp;

static void write_five(struct fix *f)
{
    put_expect(f, entries(f, 5, "k", 1, 100), 5, 0, NULL);
}

static void unpin(struct fix *f)
{
    g_exp.pin = UINT64_MAX;
}

/* The consumer handled record 0 before it expired: trimmed, not lost. */
static void handle_first(struct fix *f)
{
    stm_at(f->s, 0, 0)->handled = 1;
}

/* SPEC 1.1 retention: records older than the retention are trimmed and
 * reported to the consumer (expired), never at or past what it pins. */
static void test_retention(void)
{
    struct scn_stream cfg = stream_cfg(1);
    cfg.retention_us = 10 * SEC;
    for (int variant = 0; variant < 2; variant++) {
        struct fix f;
        fix_open(&f, &cfg, 1);
        g_exp = (struct expiry){ .s = f.s, .e = f.e, .pin = variant ? 2 : UINT64_MAX,
                                 .release = variant == 1 };
        struct stm_consumer c = { .ctx = &g_exp, .pinned = exp_pinned, .expire = exp_expire };
        stm_set_consumer(f.s, &c);
        at(&f, 0, write_five);
        at(&f, 2500000, write_five);
        if (variant)
            at(&f, 10500000, unpin);
        else
            at(&f, SEC, handle_first);
        eng_run_until(f.e, 60 * SEC);
        struct stm_stats st;
        stm_stats(f.s, &st);
        CHECK_INT(st.records_trimmed, variant ? 10 : 9);   /* unhandled ones only */
        CHECK_INT(stm_begin(f.s, 0), 10);
        CHECK_INT(eng_pending(f.e), 0);   /* nothing held: no trim pending */
        if (variant == 0) {
            CHECK_INT(g_exp.n, 2);
            CHECK_INT(g_exp.from[0], 0);
            CHECK_INT(g_exp.to[0], 5);
            CHECK_INT(g_exp.at_us[0], 10 * SEC);
            CHECK_INT(g_exp.from[1], 5);
            CHECK_INT(g_exp.to[1], 10);
            CHECK_INT(g_exp.at_us[1], 13 * SEC);   /* 12.5 s due, next whole second */
        } else {
            CHECK_INT(g_exp.n, 3);
            CHECK_INT(g_exp.to[0], 2);              /* pinned at 2 */
            CHECK_INT(g_exp.at_us[0], 10 * SEC);
            CHECK_INT(g_exp.from[1], 2);
            CHECK_INT(g_exp.to[1], 5);
            CHECK_INT(g_exp.at_us[1], 11 * SEC);    /* unpinned at 10.5 s */
            CHECK_INT(g_exp.at_us[2], 13 * SEC);
        }
        fix_close(&f);
    }

    /* No consumer: trimmed silently. */
    struct fix f;
    fix_open(&f, &cfg, 1);
    at(&f, 0, write_five);
    eng_run_until(f.e, 20 * SEC);
    CHECK_INT(stm_begin(f.s, 0), 5);
    CHECK_INT(eng_now(f.e), 10 * SEC);
    fix_close(&f);
}

/* ---- reads -------------------------------------------------------------- */

static int g_ok, g_throttled;
static int64_t g_retry;
static uint64_t g_pos, g_last_to;
static uint32_t g_max;

static void read_once(struct fix *f)
{
    uint64_t to;
    int64_t retry;
    if (stm_get_records(f->s, 0, g_pos, g_max, &to, &retry) == STM_READ_OK) {
        g_ok++;
        g_last_to = to;
        g_pos = to;
    } else {
        g_throttled++;
        g_retry = retry;
    }
}

static void reset_reads(uint32_t max)
{
    g_ok = g_throttled = 0;
    g_retry = -1;
    g_pos = g_last_to = 0;
    g_max = max;
}

static struct scn_stream read_cfg(uint32_t other)
{
    struct scn_stream cfg = stream_cfg(1);
    cfg.write_records_per_sec = 100000;
    cfg.write_bytes_per_sec = 1000 * MIB;
    cfg.other_consumers = other;
    return cfg;
}

/* R1 shared throughput: 5 GetRecords per shard per second. */
static void test_read_calls(void)
{
    struct scn_stream cfg = read_cfg(0);
    struct fix f;
    fix_open(&f, &cfg, 1);
    put_expect(&f, entries(&f, 10, "k", 10, 1), 10, 0, NULL);
    reset_reads(2);
    for (int i = 0; i < 6; i++)
        at(&f, 500000 + i, read_once);
    eng_run_until(f.e, 600000);
    CHECK_INT(g_ok, 5);
    CHECK_INT(g_throttled, 1);
    CHECK_INT(g_retry, SEC);
    CHECK_INT(g_pos, 10);
    /* an empty read passes and counts */
    at(&f, SEC, read_once);
    eng_run_until(f.e, SEC);
    CHECK_INT(g_ok, 6);
    CHECK_INT(g_last_to, 10);
    struct stm_stats st;
    stm_stats(f.s, &st);
    CHECK_INT(st.reads, 6);
    CHECK_INT(st.read_throttles, 1);
    fix_close(&f);

    /* other consumers take one call each */
    cfg = read_cfg(2);
    fix_open(&f, &cfg, 1);
    reset_reads(2);
    for (int i = 0; i < 5; i++)
        at(&f, 500000 + i, read_once);
    eng_run_until(f.e, 600000);
    CHECK_INT(g_ok, 3);
    CHECK_INT(g_throttled, 2);
    fix_close(&f);

    /* enhanced fan-out: no shared call limit */
    cfg = read_cfg(2);
    cfg.consumer = SCN_CONSUMER_EFO;
    fix_open(&f, &cfg, 1);
    reset_reads(2);
    for (int i = 0; i < 8; i++)
        at(&f, 500000 + i, read_once);
    eng_run_until(f.e, 600000);
    CHECK_INT(g_ok, 8);
    fix_close(&f);
}

/* R1 shared throughput: 2 MiB per shard per second (data + key). */
static void test_read_bytes(void)
{
    struct scn_stream cfg = read_cfg(0);
    struct fix f;
    fix_open(&f, &cfg, 1);
    put_expect(&f, entries(&f, 8, "k", 512 * 1024 - 1, 1), 8, 0, NULL);   /* 512 KiB each */
    reset_reads(1);
    for (int i = 0; i < 5; i++)
        at(&f, 500000 + i, read_once);
    at(&f, SEC, read_once);
    eng_run_until(f.e, SEC);
    CHECK_INT(g_ok, 5);          /* 4 in the first second, 1 in the next */
    CHECK_INT(g_throttled, 1);
    CHECK_INT(g_retry, SEC);
    fix_close(&f);

    /* One other consumer reads what was written the second before: 1.8 MiB
     * written at 0 leaves ~0.25 MiB for the mapping at 1 s. */
    for (uint32_t other = 0; other < 2; other++) {
        cfg = read_cfg(other);
        fix_open(&f, &cfg, 1);
        put_expect(&f, entries(&f, 6, "k", 300 * 1024, 1), 6, 0, NULL);
        reset_reads(1);
        at(&f, SEC, read_once);
        at(&f, SEC + 1, read_once);
        eng_run_until(f.e, SEC + 1);
        CHECK_INT(g_ok, other ? 1 : 2);
        CHECK_INT(g_throttled, other ? 1 : 0);
        fix_close(&f);
    }
}

/* R1: a call returns at most 10 MiB; after a call cut at 10 MiB the shard's
 * calls are throttled for 5 seconds. */
static void test_read_10mib(void)
{
    struct scn_stream cfg = read_cfg(0);
    struct fix f;
    fix_open(&f, &cfg, 1);
    put_expect(&f, entries(&f, 4, "k", MIB - 1, 1), 4, 0, NULL);
    put_expect(&f, entries(&f, 4, "k", MIB - 1, 5), 4, 0, NULL);
    put_expect(&f, entries(&f, 4, "k", MIB - 1, 9), 4, 0, NULL);
    reset_reads(10000);
    at(&f, 500000, read_once);
    at(&f, 5400000, read_once);
    eng_run_until(f.e, 5400000);
    CHECK_INT(g_ok, 1);
    CHECK_INT(g_last_to, 10);    /* 10 x 1 MiB */
    CHECK_INT(g_throttled, 1);
    CHECK_INT(g_retry, 5500000);
    at(&f, 5500000, read_once);
    eng_run_until(f.e, 5500000);
    CHECK_INT(g_ok, 2);
    CHECK_INT(g_last_to, 12);
    fix_close(&f);

    /* max_records caps a call too */
    fix_open(&f, &cfg, 1);
    put_expect(&f, entries(&f, 100, "k", 1, 1), 100, 0, NULL);
    reset_reads(30);
    at(&f, 0, read_once);
    eng_run_until(f.e, 0);
    CHECK_INT(g_last_to, 30);
    fix_close(&f);
}

int main(void)
{
    test_md5_hashkey();
    test_md5_routing();
    test_json_len();
    test_hashkey_format();
    test_keytab_table();
    test_shard_ranges();
    test_write_records_limit();
    test_write_bytes_limit();
    test_put_mixed_order();
    test_internal_failure();
    test_request_limits();
    test_sequence_numbers();
    test_ring_buffer();
    test_retention();
    test_read_calls();
    test_read_bytes();
    test_read_10mib();
    return check_done();
}
