/*
 * scenario_stream.c - the stream section of a scenario (SPEC 1.1, 1.2 and
 * section 2): a Kinesis stream (shards, retention, consumer, limits,
 * capacity mode, the reshard list of R12) or a DynamoDB stream (table, view
 * type, shard lifetime), the model.on_demand_* keys of an on-demand stream,
 * and the stream's ARN.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "awsjson.h"
#include "lambda_event.h"
#include "scenario_int.h"
#include "stream.h"

/* ---- the stream --------------------------------------------------------- */

static const struct text_rule STREAM_NAME = {
    .min = 1, .max = 128, .chars = ALNUM "-_.",
    .what = "a stream name (1 to 128 letters, digits, -, _ or .)" };
static const struct text_rule SHARD_ID = {
    .min = 20, .max = 20, .prefix = "shardId-", .chars = "0123456789",
    .what = "a shard id such as \"shardId-000000000001\"" };

/* A duration of whole seconds in [lo_s, hi_s]; *out in seconds. */
static int get_seconds(struct ctx *c, const cJSON *obj, const char *key, int64_t lo_s, int64_t hi_s,
                       int64_t def_s, int64_t *out)
{
    int64_t us;
    if (scni_get_duration(c, obj, key, OPT, lo_s * US_PER_S, hi_s * US_PER_S, def_s * US_PER_S, &us))
        return -1;
    if (us % US_PER_S)
        return scni_expected(c, key, "a whole number of seconds", scni_item(obj, key));
    *out = us / US_PER_S;
    return 0;
}

/*
 * The model.on_demand_* keys: how an on-demand Kinesis stream adds shards
 * (SPEC 1.1 Capacity modes; ondemand.c), AWS's documented values (or the
 * model's stated choices) by default.
 */
int scni_parse_on_demand(struct ctx *c, const cJSON *o, struct cfg_on_demand *od)
{
    int64_t records = 0;
    int rc = get_seconds(c, o, "on_demand_peak_window", 1, 365 * 86400,
                         CFG_DEFAULT_ON_DEMAND_PEAK_WINDOW_S, &od->peak_window_s) ||
        get_seconds(c, o, "on_demand_scale_window", 1, 3600, CFG_DEFAULT_ON_DEMAND_SCALE_WINDOW_S,
                    &od->scale_window_s) ||
        scni_get_duration(c, o, "on_demand_scale_delay", OPT, 0, MAX_DURATION_US,
                          CFG_DEFAULT_ON_DEMAND_SCALE_DELAY_US, &od->scale_delay_us) ||
        scni_get_number(c, o, "on_demand_split_threshold", OPT, 0, false, HUGE_VAL,
                        CFG_DEFAULT_ON_DEMAND_SPLIT_THRESHOLD, &od->split_threshold) ||
        (od->split_threshold <= 0 || od->split_threshold >= 1
             ? scni_expected(c, "on_demand_split_threshold", "a number > 0 and < 1 (a share of a shard's limits)",
                             scni_item(o, "on_demand_split_threshold")) : 0) ||
        scni_get_int(c, o, "on_demand_max_write_records_per_sec", OPT, 1, (int64_t)MAX_EXACT_INT,
                     CFG_DEFAULT_ON_DEMAND_MAX_WRITE_RECORDS_PER_SEC, &records);
    od->max_write_records_per_sec = (uint64_t)records;
    od->max_write_bytes_per_sec = CFG_DEFAULT_ON_DEMAND_MAX_WRITE_BYTES_PER_SEC;
    if (!rc && scni_item(o, "on_demand_max_write_bytes_per_sec"))
        rc = scni_get_size(c, o, "on_demand_max_write_bytes_per_sec", &od->max_write_bytes_per_sec);
    return rc ? -1 : 0;
}

static const char *const RESHARD_KEYS[] = { "at", "split", "hash_key", "merge", "target_shard_count", NULL };

/*
 * One reshard into elem: at, and exactly one of split (with an optional
 * hash_key), merge, target_shard_count; *arg is the previous entry's time.
 * Whether the shards exist then is for stm_check_reshard(), once all are read.
 */
static int parse_reshard(struct ctx *c, const cJSON *v, void *elem, void *arg)
{
    struct cfg_reshard *r = elem;
    int64_t *last_at = arg, count = 0;
    const cJSON *merge = NULL;
    if (scni_elem_object(c, v, RESHARD_KEYS) ||
        scni_get_duration(c, v, "at", REQ, 0, MAX_DURATION_US, 0, &r->at_us) ||
        scni_get_string(c, v, "split", OPT, &SHARD_ID, NULL, &r->shard) ||
        scni_get_string(c, v, "hash_key", OPT, &DIGITS, NULL, &r->hash_key) ||
        scni_get_array(c, v, "merge", OPT, &merge) ||
        scni_get_int(c, v, "target_shard_count", OPT, 1, 10000, 0, &count))
        return -1;
    int kinds = (r->shard != NULL) + (merge != NULL) + (count != 0);
    if (kinds != 1)
        return scni_fail(c, NULL, "expected exactly one of: split, merge, target_shard_count");
    if (r->hash_key && !r->shard)
        return scni_fail(c, "hash_key", "only with split");
    if (r->at_us < *last_at)
        return scni_fail(c, "at", "expected entries in time order: at or after the previous "
                         "entry's %.3f s", (double)*last_at / US_PER_S);
    *last_at = r->at_us;
    r->kind = r->shard ? CFG_RESHARD_SPLIT : merge ? CFG_RESHARD_MERGE : CFG_RESHARD_TARGET;
    r->target = (uint32_t)count;
    if (merge) {
        const cJSON *s0 = cJSON_GetArrayItem(merge, 0), *s1 = cJSON_GetArrayItem(merge, 1);
        if (cJSON_GetArraySize(merge) != 2 || !cJSON_IsString(s0) || !cJSON_IsString(s1) ||
            !scni_text_ok(s0->valuestring, &SHARD_ID) || !scni_text_ok(s1->valuestring, &SHARD_ID))
            return scni_expected(c, "merge", "two shard ids such as [\"shardId-000000000000\", "
                                 "\"shardId-000000000001\"]", merge);
        if (strcmp(s0->valuestring, s1->valuestring) == 0)
            return scni_expected(c, "merge", "two different shard ids", merge);
        if (!(r->shard = strdup(s0->valuestring)) || !(r->adjacent = strdup(s1->valuestring)))
            return scni_nomem(c);
    }
    return 0;
}

/* The reshard list into st (st->shards already read), checked against the
 * shards each operation will meet. */
static int parse_reshard_list(struct ctx *c, const cJSON *o, struct cfg_stream *st)
{
    int64_t last_at = 0;
    if (scni_get_list(c, o, "reshard", sizeof *st->reshard, &st->reshard, &st->n_reshard,
                      parse_reshard, &last_at))
        return -1;
    size_t op;
    const char *key;
    char msg[400];
    if (stm_check_reshard(st, &op, &key, msg, sizeof msg) == 0)
        return 0;
    size_t mark = scni_path_key(c, "reshard");
    scni_path_index(c, op);
    scni_fail(c, key, "%s", msg);
    scni_path_pop(c, mark);
    return -1;
}

static const char *const STREAM_KEYS[] = {
    "type", "name", "shards", "retention", "consumer", "other_consumers", "reshard", "limits",
    "internal_failure_rate", "capacity_mode", "table", "view_type", "shard_lifetime", NULL };
/* by enum cfg_capacity_mode */
static const char *const CAPACITY_MODES[] = { "PROVISIONED", "ON_DEMAND", NULL };
static const char *const LIMITS_KEYS[] = {
    "write_records_per_sec", "write_bytes_per_sec", "max_record_bytes", "max_request_bytes",
    "max_request_records", NULL };
static const char *const STREAM_TYPES[] = { "kinesis", "dynamodb", NULL };
static const char *const CONSUMERS[] = { "shared", "efo", NULL };
static const char *const VIEW_TYPES[] = {   /* by enum lev_ddb_view */
    "NEW_AND_OLD_IMAGES", "NEW_IMAGE", "OLD_IMAGE", "KEYS_ONLY", NULL };
static const struct text_rule TABLE_NAME = {
    .min = 3, .max = 255, .chars = ALNUM "-_.",
    .what = "a table name (3 to 255 letters, digits, -, _ or .)" };

/* The keys of one stream type only, and why the other type has none. */
static const struct { const char *key; enum cfg_stream_type type; const char *why; } STREAM_TYPE_KEYS[] = {
    { "name", CFG_STREAM_KINESIS, "a DynamoDB stream is named by its table (table)" },
    { "consumer", CFG_STREAM_KINESIS, "DynamoDB Streams have no enhanced fan-out" },
    { "reshard", CFG_STREAM_KINESIS, "a DynamoDB table's shards roll over by themselves (shard_lifetime)" },
    { "limits", CFG_STREAM_KINESIS,
      "a DynamoDB table is on demand: it takes every write, of items up to 400 KB" },
    { "internal_failure_rate", CFG_STREAM_KINESIS, "writes to a DynamoDB table do not fail in this model" },
    { "capacity_mode", CFG_STREAM_KINESIS, "the table is on demand, and its stream's shards roll over by "
      "themselves (shard_lifetime)" },
    { "table", CFG_STREAM_DYNAMODB, "a Kinesis stream has a name (name)" },
    { "view_type", CFG_STREAM_DYNAMODB, "a Kinesis stream keeps the records as they are written" },
    { "shard_lifetime", CFG_STREAM_DYNAMODB, "Kinesis shards change only by reshard" },
};

bool scni_is_dynamodb(const struct cfg_sim *cfg)
{
    return cfg->stream.type == CFG_STREAM_DYNAMODB;
}

/* A key of one stream type given with the other: "only with stream type ...". */
int scni_stream_type_only(struct ctx *c, const cJSON *obj, const char *key, const struct cfg_sim *cfg,
                          enum cfg_stream_type type, const char *why)
{
    if (!scni_item(obj, key) || cfg->stream.type == type)
        return 0;
    return scni_fail(c, key, "only with stream type \"%s\": %s", STREAM_TYPES[type], why);
}

/* Shards a DynamoDB stream may make over a run, rollovers included: each
 * costs memory in the stream and the mapping until the end. */
#define MAX_DDB_SHARDS 100000

/*
 * An on-demand stream (SPEC 1.1 Capacity modes): AWS makes the shards, so
 * no reshard (AWS refuses SplitShard, MergeShards and UpdateShardCount on
 * it), and it starts within what its maximum throughput allows.
 */
static int check_on_demand(struct ctx *c, const cJSON *o, const struct cfg_stream *st)
{
    if (scni_item(o, "reshard"))
        return scni_fail(c, "reshard", "only with capacity_mode \"PROVISIONED\": an on-demand stream's shards are "
                         "AWS's (SplitShard, MergeShards and UpdateShardCount are for provisioned streams)");
    uint32_t most = stm_on_demand_max_open(st);
    if (most == 0)
        return scni_fail(c, NULL, "model.on_demand_max_write_bytes_per_sec (%llu) and "
                         "model.on_demand_max_write_records_per_sec (%llu) allow no shard of limits %llu bytes and "
                         "%llu records a second", (unsigned long long)st->on_demand.max_write_bytes_per_sec,
                         (unsigned long long)st->on_demand.max_write_records_per_sec,
                         (unsigned long long)st->write_bytes_per_sec, (unsigned long long)st->write_records_per_sec);
    char what[200];
    snprintf(what, sizeof what, "an integer from 1 to %u with capacity_mode \"ON_DEMAND\" (the shards that "
             "model.on_demand_max_write_bytes_per_sec and model.on_demand_max_write_records_per_sec allow)", most);
    if (st->shards <= most)
        return 0;
    return scni_item(o, "shards") ? scni_expected(c, "shards", what, scni_item(o, "shards"))
                             : scni_fail(c, "shards", "expected %s, got the default 4", what);
}

/* The Kinesis part of a stream: consumer, reshard, limits, failures. */
static int parse_kinesis(struct ctx *c, const cJSON *o, struct cfg_stream *st)
{
    const cJSON *lim;
    size_t m2;
    int consumer = 0;
    int64_t wr = 0, wb = 0, rec = 0, req = 0, reqn = 0;
    int rc = scni_get_string(c, o, "name", OPT, &STREAM_NAME, "stream", &st->name) ||
        scni_get_duration(c, o, "retention", OPT, 24 * US_PER_H, 8760 * US_PER_H, CFG_DEFAULT_RETENTION_US,
                          &st->retention_us) ||
        scni_get_enum(c, o, "consumer", OPT, CONSUMERS, 0, &consumer) ||
        scni_get_number(c, o, "internal_failure_rate", OPT, 0, false, 1, 0, &st->internal_failure_rate);
    if (!rc && !(rc = scni_enter(c, o, "limits", OPT, LIMITS_KEYS, &lim, &m2))) {
        int64_t big = (int64_t)MAX_EXACT_INT;
        rc = scni_get_int(c, lim, "write_records_per_sec", OPT, 1, big, CFG_DEFAULT_WRITE_RECORDS_PER_SEC, &wr) ||
             scni_get_int(c, lim, "write_bytes_per_sec", OPT, 1, big, CFG_DEFAULT_WRITE_BYTES_PER_SEC, &wb) ||
             scni_get_int(c, lim, "max_record_bytes", OPT, 1, big, CFG_DEFAULT_MAX_RECORD_BYTES, &rec) ||
             scni_get_int(c, lim, "max_request_bytes", OPT, 1, big, CFG_DEFAULT_MAX_REQUEST_BYTES, &req) ||
             scni_get_int(c, lim, "max_request_records", OPT, 1, 500, CFG_DEFAULT_MAX_REQUEST_RECORDS, &reqn) ||
             (req < rec ? scni_fail(c, "max_request_bytes", "expected at least max_record_bytes (%lld),"
                                    " got %lld", (long long)rec, (long long)req) : 0);
        scni_path_pop(c, m2);
    }
    st->consumer = (enum cfg_consumer)consumer;
    st->write_records_per_sec = (uint64_t)wr;
    st->write_bytes_per_sec = (uint64_t)wb;
    st->max_record_bytes = (uint64_t)rec;
    st->max_request_bytes = (uint64_t)req;
    st->max_request_records = (uint32_t)reqn;
    if (!rc && st->capacity_mode == CFG_CAPACITY_ON_DEMAND)
        return check_on_demand(c, o, st);
    return rc || parse_reshard_list(c, o, st) ? -1 : 0;
}

/*
 * The DynamoDB part of a stream (SPEC 1.2): table, view_type,
 * shard_lifetime, and what a table is in place of the Kinesis settings:
 * 24 h of retention, no write limits (on demand: never throttled), one item
 * of at most 400 KB a write, shared reads.
 */
static int parse_dynamodb(struct ctx *c, const cJSON *o, const struct cfg_sim *cfg,
                          struct cfg_stream *st)
{
    int view = 0;
    int rc = scni_get_string(c, o, "table", OPT, &TABLE_NAME, "table", &st->name) ||
        scni_get_duration(c, o, "retention", OPT, 0, MAX_DURATION_US, CFG_DEFAULT_RETENTION_US,
                          &st->retention_us) ||
        (st->retention_us != CFG_DEFAULT_RETENTION_US
             ? scni_expected(c, "retention", "\"24h\" (DynamoDB Streams keep records 24 hours)",
                             scni_item(o, "retention")) : 0) ||
        scni_get_enum(c, o, "view_type", OPT, VIEW_TYPES, LEV_DDB_NEW_AND_OLD_IMAGES, &view) ||
        scni_get_duration(c, o, "shard_lifetime", OPT, 60 * US_PER_S, MAX_DURATION_US,
                          CFG_DEFAULT_SHARD_LIFETIME_US, &st->shard_lifetime_us);
    if (rc)
        return -1;
    st->view_type = (enum lev_ddb_view)view;
    st->rollover_until_us = cfg->duration_us;
    int64_t rollovers = (cfg->duration_us - 1) / st->shard_lifetime_us;
    if ((double)st->shards * (double)(rollovers + 1) > MAX_DDB_SHARDS) {
        char a[32], b[32];
        return scni_fail(c, "shard_lifetime", "expected a lifetime that keeps the run within %d shards: "
                         "%u shards rolling over every %s for %s make %.0f", MAX_DDB_SHARDS, st->shards,
                         scni_fmt_us(st->shard_lifetime_us, a), scni_fmt_us(cfg->duration_us, b),
                         (double)st->shards * (double)(rollovers + 1));
    }
    st->consumer = CFG_CONSUMER_SHARED;
    st->write_records_per_sec = st->write_bytes_per_sec = UINT64_MAX;
    st->max_record_bytes = LEV_DDB_MAX_ITEM_BYTES - strlen(LEV_DDB_KEY_ATTRIBUTE) -
                           strlen(LEV_DDB_DATA_ATTRIBUTE);   /* the item: key and payload */
    st->max_request_bytes = st->max_record_bytes;
    st->max_request_records = 1;
    return 0;
}

/* The stream, and a DynamoDB stream's default poll interval: 250 ms, the
 * mapping's 4 polls a second (R1), unless model.poll_interval is given. */
int scni_parse_stream(struct ctx *c, const cJSON *root, struct cfg_sim *cfg)
{
    struct cfg_stream *st = &cfg->stream;
    const cJSON *o;
    size_t mark;
    int type = 0;
    int64_t shards = 0, others = 0;
    if (scni_enter(c, root, "stream", OPT, STREAM_KEYS, &o, &mark))
        return -1;
    int mode = 0;
    int rc = scni_get_enum(c, o, "type", OPT, STREAM_TYPES, 0, &type);
    st->type = (enum cfg_stream_type)type;
    for (size_t i = 0; !rc && i < sizeof STREAM_TYPE_KEYS / sizeof STREAM_TYPE_KEYS[0]; i++)
        rc = scni_stream_type_only(c, o, STREAM_TYPE_KEYS[i].key, cfg, STREAM_TYPE_KEYS[i].type,
                              STREAM_TYPE_KEYS[i].why);
    rc = rc || scni_get_enum(c, o, "capacity_mode", OPT, CAPACITY_MODES, CFG_CAPACITY_PROVISIONED, &mode);
    st->capacity_mode = (enum cfg_capacity_mode)mode;
    /* on demand, AWS starts a stream with 4 shards: 4 MB/s and 4,000 records/s */
    rc = rc || scni_get_int(c, o, "shards", OPT, 1, 10000,
                            mode == CFG_CAPACITY_ON_DEMAND ? CFG_DEFAULT_ON_DEMAND_SHARDS : CFG_DEFAULT_SHARDS,
                            &shards) ||
        scni_get_int(c, o, "other_consumers", OPT, 0, 4, 0, &others);
    st->shards = (uint32_t)shards;
    st->other_consumers = (uint32_t)others;
    if (!rc)
        rc = scni_is_dynamodb(cfg) ? parse_dynamodb(c, o, cfg, st) : parse_kinesis(c, o, st);
    scni_path_pop(c, mark);
    if (rc)
        return -1;
    if (scni_is_dynamodb(cfg) && !scni_item(scni_item(root, "model"), "poll_interval"))
        cfg->model.poll_interval_us = CFG_DEFAULT_DYNAMODB_POLL_INTERVAL_US;
    return 0;
}

/* The ARN of the stream: arn:aws:kinesis:REGION:ACCOUNT:stream/NAME, or for
 * DynamoDB arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL, the label
 * being the stream's creation time, model.start_time, as DynamoDB writes
 * it (2026-01-01T00:00:00.000). */
char *scni_stream_arn(const struct cfg_sim *cfg)
{
    if (!scni_is_dynamodb(cfg))
        return scni_fmt_dup("arn:aws:kinesis:%s:%s:stream/%s", cfg->model.region, cfg->model.account,
                            cfg->stream.name);
    char label[32];
    awsjson_iso_time(cfg->model.epoch_ms, 0, label);
    label[strcspn(label, "Z")] = '\0';
    return scni_fmt_dup("arn:aws:dynamodb:%s:%s:table/%s/stream/%s", cfg->model.region, cfg->model.account,
                        cfg->stream.name, label);
}
