/*
 * test_scenario.c - the scenario loader (SPEC section 2): durations, a full
 * scenario and its values in us, the defaults, get-event-source-mapping
 * output accepted as it is, --set overrides, and bad input of every kind,
 * each with the exact path and expectation of its message.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fmt.h"
#include "footprint.h"
#include "scenario.h"

#define S 1000000LL     /* us per second */
#define MS 1000LL

static char err[1024];

/* Test JSON is written with single quotes for readability: 'a' -> "a". */
static const char *dq(const char *text)
{
    static char buf[8192];
    size_t n = strlen(text);
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    for (size_t i = 0; i < n; i++)
        buf[i] = text[i] == '\'' ? '"' : text[i];
    buf[n] = '\0';
    return buf;
}

static struct scenario *parse(const char *text, const char *const *sets, size_t n)
{
    return scn_parse("t.json", dq(text), sets, n, err, sizeof err);
}

/* A scenario that must be refused with a message containing want. */
static void bad_set(int line, const char *text, const char *const *sets, size_t n, const char *want)
{
    struct scenario *s = parse(text, sets, n);
    if (s || !strstr(err, want))
        fprintf(stderr, "test_scenario.c:%d: case failed\n", line);
    CHECK(s == NULL);
    CHECK_CONTAINS(err, want);
    CHECK_CONTAINS(err, "t.json: ");
    scn_free(s);
}
#define BAD(text, want) bad_set(__LINE__, text, NULL, 0, want)

/* The smallest valid scenario, pieces to build others from. */
#define HEAD "{'name':'t','duration':'1h',"
#define ESM "'event_source_mapping':{'StartingPosition':'LATEST'}"
#define MIN HEAD ESM "}"
#define WITH(rest) HEAD ESM "," rest "}"
#define ESM_WITH(keys) HEAD "'event_source_mapping':{'StartingPosition':'TRIM_HORIZON'," keys "}}"

/* ---- durations ---------------------------------------------------------- */

static void test_durations(void)
{
    static const struct { const char *text; long long us; } good[] = {
        { "250ms", 250 * MS }, { "90s", 90 * S }, { "15m", 900 * S }, { "2h", 7200 * S },
        { "1d", 86400 * S }, { "1.5", 1500 * MS }, { "0", 0 }, { "42", 42 * S },
        { "0.2ms", 200 }, { "1.5h", 5400 * S }, { "0.25d", 21600 * S }, { "50us", 50 },
        { "1.1s", 1100 * MS }, { "100000d", 100000LL * 86400 * S }, { "0.0000004", 0 },
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int64_t us = -7;
        CHECK_INT(scn_parse_duration(good[i].text, &us), 0);
        CHECK_INT(us, good[i].us);
    }
    static const char *const bad[] = {
        "", "-1s", "-1", "+1s", "1x", "s", "ms", "1 s", " 1s", "1s ", "1.s", ".5s", "1e3", "1S",
        "1sec", "1hh", "1.5.5s", "0x10", "inf", "nan", "1,5s", "99999999999999999999d",
        "100001d", "9223372036854775807", "18446744073709551616us",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t us = -7;
        int rc = scn_parse_duration(bad[i], &us);
        if (rc != -1)
            fprintf(stderr, "duration \"%s\" was accepted\n", bad[i]);
        CHECK_INT(rc, -1);
        CHECK_INT(us, -7);   /* untouched on error */
    }
    int64_t us;
    CHECK_INT(scn_parse_duration(NULL, &us), -1);

    /* What esmsim prints of a span (the run's "... simulated in" line, the
     * progress) is a duration as written here, the same span read back
     * (docs/scenario.md, Types: units up to d). */
    static const struct { long long us; const char *text; } spans[] = {
        { 100000LL * 86400 * S, "100000d" }, { 86400 * S, "1d" }, { 93600 * S, "26h" },
        { 7200 * S, "2h" }, { 5400 * S, "90m" }, { 90 * S, "90s" }, { 1500 * MS, "1.5s" },
        { 250 * MS, "250ms" }, { 200, "0.0002s" }, { 3723 * S + 456789, "3723.456789s" },
        { 0, "0ms" },
    };
    for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++) {
        char buf[32];
        CHECK_STR(fmt_span(spans[i].us, buf), spans[i].text);
        us = -7;
        CHECK_INT(scn_parse_duration(buf, &us), 0);
        CHECK_INT(us, spans[i].us);
    }

    /* What `esmsim report` prints of a time or span in milliseconds: every
     * unit up to days, as the run's line has them (README, Reports), not
     * "25h00m00.000s"; a crafted run log's negative or extreme time fits. */
    static const struct { long long ms; const char *text; } clock[] = {
        { 0, "0.000s" }, { 7500, "7.500s" }, { 61600, "1m01.600s" }, { 7200000, "2h00m00.000s" },
        { 86399999, "23h59m59.999s" }, { 86400000, "1d00h00m00.000s" },
        { 90000000, "1d01h00m00.000s" }, { 86400000 + 61004, "1d00h01m01.004s" },
        { 100000LL * 86400000, "100000d00h00m00.000s" }, { -3004, "-3.004s" },
        { -90000000, "-1d01h00m00.000s" }, { INT64_MAX, "106751991167d07h12m55.807s" },
        { INT64_MIN, "-106751991167d07h12m55.808s" },
    };
    for (size_t i = 0; i < sizeof clock / sizeof clock[0]; i++) {
        char buf[32];
        CHECK_STR(fmt_span_ms(clock[i].ms, buf), clock[i].text);
    }
}

/* ---- a full scenario ---------------------------------------------------- */

/* SPEC section 2's example without what is not simulated yet (reshard,
 * ReportBatchItemFailures, first-failure, schedule), plus more keys. */
static const char FULL[] =
    "{ 'name': 'poison-pill', 'description': 'One bad record blocks its shard.',"
    "  'seed': 42, 'duration': '2h',"
    "  'stream': { 'type': 'kinesis', 'name': 'orders', 'shards': 4, 'retention': '48h',"
    "              'consumer': 'shared', 'other_consumers': 1, 'reshard': [],"
    "              'limits': { 'write_records_per_sec': 2000, 'max_request_records': 400 },"
    "              'internal_failure_rate': 0.01 },"
    "  'producers': ["
    "    { 'name': 'api', 'rate': 800, 'arrival': 'poisson',"
    "      'keys': { 'count': 1000, 'distribution': 'zipf', 's': 1.1, 'prefix': 'user-' },"
    "      'record_bytes': { 'distribution': 'lognormal', 'median': 900, 'sigma': 0.5 },"
    "      'put': { 'api': 'PutRecords', 'max_records': 300, 'linger': '50ms',"
    "               'retry': { 'mode': 'failed-only', 'max_attempts': 10, 'backoff': 'linear',"
    "                          'base': '100ms', 'max': '5s', 'jitter': false } },"
    "      'start': '0s', 'stop': '90m', 'bursts': [ { 'at': '20m', 'for': '2m', 'multiplier': 4 } ] },"
    "    { 'name': 'batch', 'rate': 5.5, 'arrival': 'constant', 'keys': { 'list': ['a', 'b', 'c'] },"
    "      'record_bytes': 2048, 'put': { 'api': 'PutRecord', 'retry': { 'mode': 'all' } } }"
    "  ],"
    "  'records': [ { 'at': '10s', 'partition_key': 'user-7', 'data': '{\\'poison\\':true}' },"
    "               { 'at': 60, 'partition_key': 'user-8' } ],"
    "  'event_source_mapping': {"
    "    'BatchSize': 100, 'MaximumBatchingWindowInSeconds': 5, 'ParallelizationFactor': 1,"
    "    'MaximumRetryAttempts': 2, 'MaximumRecordAgeInSeconds': 3600,"
    "    'BisectBatchOnFunctionError': false, 'FunctionResponseTypes': [],"
    "    'StartingPosition': 'TRIM_HORIZON', 'TumblingWindowInSeconds': 0, 'Enabled': true,"
    "    'DestinationConfig': { 'OnFailure': { 'Destination': 'arn:aws:sqs:us-east-1:123456789012:dlq' } }"
    "  },"
    "  'function': {"
    "    'name': 'my-function', 'timeout': '30s', 'reserved_concurrency': 100,"
    "    'account_concurrency': 500, 'idle_timeout': '5m', 'cold_start': '300ms', 'memory_mb': 1769,"
    "    'duration': { 'per_invoke': { 'distribution': 'lognormal', 'median': '40ms', 'sigma': 0.3 },"
    "                  'per_record': { 'distribution': 'constant', 'value': '2ms' } },"
    "    'failures': [ { 'match': { 'data_contains': 'poison' }, 'effect': 'fail' },"
    "                  { 'match': { 'probability': 0.001 } },"
    "                  { 'match': { 'from': '40m', 'to': '45m' }, 'effect': 'fail' },"
    "                  { 'match': { 'key': 'user-9' }, 'effect': 'slow',"
    "                    'extra': { 'distribution': 'uniform', 'min': '1s', 'max': '2s' } },"
    "                  { 'match': { 'message_id': 17 } }, { 'match': { 'all': true } } ],"
    "    'report': 'throw'"
    "  },"
    "  'model': { 'poll_interval': '500ms', 'retry_delay': '10s', 'throttle_backoff': 2,"
    "             'throttle_backoff_max': '1m', 'latest_start_delay': '2m', 'sample_interval': '5s',"
    "             'start_time': '2026-03-01T12:00:00Z', 'region': 'eu-west-1', 'account': '111122223333' },"
    "  'log': { 'per_record': false },"
    "  'schedule': [],"
    "  'expect': { 'messages_lost': 0, 'discards': { 'max': 3 }, 'redelivered_records': { 'min': 1 } }"
    "}";

static void test_full(void)
{
    struct scenario *s = parse(FULL, NULL, 0);
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK_STR(s->path, "t.json");
    CHECK_STR(s->name, "poison-pill");
    CHECK_STR(s->description, "One bad record blocks its shard.");
    CHECK_INT(s->cfg.seed, 42);
    CHECK_INT(s->cfg.duration_us, 7200 * S);
    CHECK(!s->per_record_tables);
    CHECK_INT(s->n_expect, 3);
    if (s->n_expect == 3) {
        CHECK_STR(s->expect[0].metric, "messages_lost");
        CHECK(s->expect[0].min == 0 && s->expect[0].max == 0);
        CHECK_STR(s->expect[1].metric, "discards");
        CHECK(s->expect[1].min == 0 && s->expect[1].max == 3);
        CHECK_STR(s->expect[2].metric, "redelivered_records");
        CHECK(s->expect[2].min == 1 && s->expect[2].max == HUGE_VAL);
    }
    CHECK(s->json && strstr(s->json, "\"name\":\"poison-pill\""));

    CHECK_INT(s->cfg.stream.type, CFG_STREAM_KINESIS);
    CHECK_STR(s->cfg.stream.name, "orders");
    CHECK_INT(s->cfg.stream.shards, 4);
    CHECK_INT(s->cfg.stream.retention_us, 48 * 3600 * S);
    CHECK_INT(s->cfg.stream.consumer, CFG_CONSUMER_SHARED);
    CHECK_INT(s->cfg.stream.other_consumers, 1);
    CHECK_INT(s->cfg.stream.write_records_per_sec, 2000);
    CHECK_INT(s->cfg.stream.write_bytes_per_sec, 1048576);
    CHECK_INT(s->cfg.stream.max_request_records, 400);
    CHECK(s->cfg.stream.internal_failure_rate == 0.01);

    CHECK_INT(s->cfg.n_producers, 2);
    const struct cfg_producer *p = &s->cfg.producers[0];
    CHECK_STR(p->name, "api");
    CHECK(p->rate == 800);
    CHECK_INT(p->arrival, CFG_ARRIVAL_POISSON);
    CHECK_INT(p->keys.distribution, CFG_KEYS_ZIPF);
    CHECK(p->keys.zipf_s == 1.1);
    CHECK_INT(p->keys.count, 1000);
    CHECK_STR(p->keys.prefix, "user-");
    CHECK(p->keys.list == NULL);
    CHECK_INT(p->record_bytes.kind, DIST_LOGNORMAL);
    CHECK(p->record_bytes.median == 900 && p->record_bytes.sigma == 0.5);
    CHECK_INT(p->api, CFG_PUT_RECORDS);
    CHECK_INT(p->max_records, 300);
    CHECK_INT(p->linger_us, 50 * MS);
    CHECK_INT(p->retry.mode, CFG_RETRY_FAILED_ONLY);
    CHECK_INT(p->retry.max_attempts, 10);
    CHECK_INT(p->retry.backoff, CFG_BACKOFF_LINEAR);
    CHECK_INT(p->retry.base_us, 100 * MS);
    CHECK_INT(p->retry.max_us, 5 * S);
    CHECK(!p->retry.jitter);
    CHECK_INT(p->start_us, 0);
    CHECK_INT(p->stop_us, 90 * 60 * S);
    CHECK_INT(p->n_bursts, 1);
    CHECK_INT(p->bursts[0].at_us, 20 * 60 * S);
    CHECK_INT(p->bursts[0].for_us, 120 * S);
    CHECK(p->bursts[0].multiplier == 4);
    p = &s->cfg.producers[1];
    CHECK(p->rate == 5.5);
    CHECK_INT(p->arrival, CFG_ARRIVAL_CONSTANT);
    CHECK_INT(p->keys.n_list, 3);
    CHECK_STR(p->keys.list[2], "c");
    CHECK(p->keys.prefix == NULL);
    CHECK_INT(p->keys.distribution, CFG_KEYS_UNIFORM);
    CHECK_INT(p->record_bytes.kind, DIST_CONSTANT);
    CHECK(p->record_bytes.value == 2048);
    CHECK_INT(p->api, CFG_PUT_RECORD);
    CHECK_INT(p->max_records, 1);              /* PutRecord: one record per request */
    CHECK_INT(p->retry.mode, CFG_RETRY_ALL);
    CHECK_INT(p->retry.max_attempts, 3);
    CHECK_INT(p->stop_us, 7200 * S);           /* default: the end of the run */

    CHECK_INT(s->cfg.n_records, 2);
    CHECK_INT(s->cfg.records[0].at_us, 10 * S);
    CHECK_STR(s->cfg.records[0].partition_key, "user-7");
    CHECK_STR(s->cfg.records[0].data, "{\"poison\":true}");
    CHECK_INT(s->cfg.records[1].at_us, 60 * S);
    CHECK_STR(s->cfg.records[1].data, "");

    const struct cfg_mapping *m = &s->cfg.mapping;
    CHECK_INT(m->batch_size, 100);
    CHECK_INT(m->batching_window_us, 5 * S);
    CHECK_INT(m->parallelization_factor, 1);
    CHECK_INT(m->max_retry_attempts, 2);
    CHECK_INT(m->max_record_age_us, 3600 * S);
    CHECK(!m->bisect_on_error && !m->report_batch_item_failures && m->enabled);
    CHECK_INT(m->starting_position, CFG_START_TRIM_HORIZON);
    CHECK_INT(m->tumbling_window_us, 0);
    CHECK_STR(m->on_failure_destination, "arn:aws:sqs:us-east-1:123456789012:dlq");
    CHECK_STR(m->function_arn, "arn:aws:lambda:eu-west-1:111122223333:function:my-function");
    CHECK_STR(m->event_source_arn, "arn:aws:kinesis:eu-west-1:111122223333:stream/orders");

    const struct cfg_function *f = &s->cfg.function;
    CHECK_STR(f->name, "my-function");
    CHECK_INT(f->timeout_us, 30 * S);
    CHECK_INT(f->reserved_concurrency, 100);
    CHECK_INT(f->account_concurrency, 500);
    CHECK_INT(f->memory_mb, 1769);
    CHECK_INT(f->idle_timeout_us, 300 * S);
    CHECK_INT(f->cold_start.kind, DIST_CONSTANT);
    CHECK(f->cold_start.value == 300 * MS);
    CHECK_INT(f->per_invoke.kind, DIST_LOGNORMAL);
    CHECK(f->per_invoke.median == 40 * MS && f->per_invoke.sigma == 0.3);
    CHECK_INT(f->per_record.kind, DIST_CONSTANT);
    CHECK(f->per_record.value == 2 * MS);
    CHECK_INT(f->n_failures, 6);
    CHECK_INT(f->failures[0].match, CFG_MATCH_DATA_CONTAINS);
    CHECK_STR(f->failures[0].text, "poison");
    CHECK_INT(f->failures[0].effect, CFG_EFFECT_FAIL);
    CHECK_INT(f->failures[1].match, CFG_MATCH_PROBABILITY);
    CHECK(f->failures[1].probability == 0.001);
    CHECK_INT(f->failures[2].match, CFG_MATCH_INTERVAL);
    CHECK_INT(f->failures[2].from_us, 40 * 60 * S);
    CHECK_INT(f->failures[2].to_us, 45 * 60 * S);
    CHECK_INT(f->failures[3].match, CFG_MATCH_KEY);
    CHECK_STR(f->failures[3].text, "user-9");
    CHECK_INT(f->failures[3].effect, CFG_EFFECT_SLOW);
    CHECK_INT(f->failures[3].extra.kind, DIST_UNIFORM);
    CHECK(f->failures[3].extra.min == 1 * S && f->failures[3].extra.max == 2 * S);
    CHECK_INT(f->failures[4].match, CFG_MATCH_MESSAGE_ID);
    CHECK_INT(f->failures[4].message_id, 17);
    CHECK_INT(f->failures[5].match, CFG_MATCH_ALL);
    CHECK_INT(f->report, CFG_REPORT_THROW);

    const struct cfg_model *md = &s->cfg.model;
    CHECK_INT(md->poll_interval_us, 500 * MS);
    CHECK_INT(md->retry_delay_us, 10 * S);
    CHECK_INT(md->throttle_backoff_us, 2 * S);
    CHECK_INT(md->throttle_backoff_max_us, 60 * S);
    CHECK_INT(md->latest_start_delay_us, 120 * S);
    CHECK_INT(md->sample_interval_us, 5 * S);
    CHECK_INT(md->epoch_ms, 1772366400000LL);   /* 2026-03-01T12:00:00Z */
    CHECK_STR(md->region, "eu-west-1");
    CHECK_STR(md->account, "111122223333");
    scn_free(s);
}

/* Every distribution, in both units. */
static void test_distributions(void)
{
    struct scenario *s = parse(WITH(
        "'function': { 'cold_start': { 'distribution': 'normal', 'mean': '1s', 'stddev': '100ms' },"
        "  'duration': { 'per_invoke': { 'distribution': 'empirical', 'percentiles':"
        "                  { 'p99.9': '2s', 'p0': '5ms', 'p50': 0.02, 'p99': '1s' } },"
        "                'per_record': { 'distribution': 'gamma', 'shape': 2, 'scale': '3ms' } },"
        "  'failures': [ { 'match': { 'all': true }, 'effect': 'slow',"
        "                  'extra': { 'distribution': 'exponential', 'mean': '250ms' } },"
        "                { 'match': { 'all': true }, 'effect': 'slow', 'extra': 1.5 } ] },"
        "'producers': [ { 'name': 'a', 'rate': 1, 'keys': { 'count': 1 },"
        "  'record_bytes': { 'distribution': 'normal', 'mean': 500, 'stddev': 100, 'min': 50 } },"
        "  { 'name': 'b', 'rate': 1, 'keys': { 'count': 1 }, 'record_bytes': { 'distribution': 'empirical',"
        "    'percentiles': { 'p100': 9000, 'p0': 10 } } } ]"), NULL, 0);
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    const struct dist *d = &s->cfg.function.cold_start;
    CHECK_INT(d->kind, DIST_NORMAL);
    CHECK(d->mean == 1 * S && d->stddev == 100 * MS && d->min == 0);
    d = &s->cfg.function.per_invoke;
    CHECK_INT(d->kind, DIST_EMPIRICAL);
    CHECK_INT(d->n_points, 4);
    CHECK(d->pct[0] == 0 && d->pct[1] == 50 && d->pct[2] == 99 && d->pct[3] == 99.9);
    CHECK(d->val[0] == 5 * MS && d->val[1] == 20 * MS && d->val[2] == 1 * S && d->val[3] == 2 * S);
    d = &s->cfg.function.per_record;
    CHECK_INT(d->kind, DIST_GAMMA);
    CHECK(d->shape == 2 && d->scale == 3 * MS);
    d = &s->cfg.function.failures[0].extra;
    CHECK_INT(d->kind, DIST_EXPONENTIAL);
    CHECK(d->mean == 250 * MS);
    d = &s->cfg.function.failures[1].extra;
    CHECK_INT(d->kind, DIST_CONSTANT);
    CHECK(d->value == 1500 * MS);
    d = &s->cfg.producers[0].record_bytes;
    CHECK_INT(d->kind, DIST_NORMAL);
    CHECK(d->mean == 500 && d->stddev == 100 && d->min == 50);
    d = &s->cfg.producers[1].record_bytes;
    CHECK_INT(d->n_points, 2);
    CHECK(d->pct[0] == 0 && d->val[0] == 10 && d->pct[1] == 100 && d->val[1] == 9000);
    scn_free(s);
}

/* ---- defaults ----------------------------------------------------------- */

static void test_defaults(void)
{
    struct scenario *s = parse(WITH("'producers': [ { 'name': 'p', 'rate': 10, 'keys': { 'count': 5 } } ]"),
                               NULL, 0);
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK(s->description == NULL);
    CHECK_INT(s->cfg.seed, 1);
    CHECK_INT(s->cfg.duration_us, 3600 * S);
    CHECK(s->per_record_tables);
    CHECK_INT(s->cfg.n_records, 0);
    CHECK(s->cfg.records == NULL);

    CHECK_INT(s->cfg.stream.type, CFG_STREAM_KINESIS);
    CHECK_STR(s->cfg.stream.name, "stream");
    CHECK_INT(s->cfg.stream.shards, 1);
    CHECK_INT(s->cfg.stream.retention_us, 24 * 3600 * S);
    CHECK_INT(s->cfg.stream.consumer, CFG_CONSUMER_SHARED);
    CHECK_INT(s->cfg.stream.other_consumers, 0);
    CHECK_INT(s->cfg.stream.write_records_per_sec, 1000);
    CHECK_INT(s->cfg.stream.write_bytes_per_sec, 1048576);
    CHECK_INT(s->cfg.stream.max_record_bytes, 1048576);
    CHECK_INT(s->cfg.stream.max_request_bytes, 5242880);
    CHECK_INT(s->cfg.stream.max_request_records, 500);
    CHECK(s->cfg.stream.internal_failure_rate == 0);

    const struct cfg_producer *p = &s->cfg.producers[0];
    CHECK_INT(p->arrival, CFG_ARRIVAL_POISSON);
    CHECK_INT(p->keys.count, 5);
    CHECK_STR(p->keys.prefix, "key-");
    CHECK_INT(p->keys.distribution, CFG_KEYS_UNIFORM);
    CHECK(p->keys.zipf_s == 1.0);
    CHECK_INT(p->record_bytes.kind, DIST_CONSTANT);
    CHECK(p->record_bytes.value == 100);
    CHECK_INT(p->api, CFG_PUT_RECORDS);
    CHECK_INT(p->max_records, 500);
    CHECK_INT(p->linger_us, 100 * MS);
    CHECK_INT(p->retry.mode, CFG_RETRY_FAILED_ONLY);
    CHECK_INT(p->retry.max_attempts, 3);
    CHECK_INT(p->retry.backoff, CFG_BACKOFF_EXPONENTIAL);
    CHECK_INT(p->retry.base_us, 100 * MS);
    CHECK_INT(p->retry.max_us, 10 * S);
    CHECK(p->retry.jitter);
    CHECK_INT(p->start_us, 0);
    CHECK_INT(p->stop_us, 3600 * S);
    CHECK_INT(p->n_bursts, 0);

    const struct cfg_mapping *m = &s->cfg.mapping;
    CHECK_INT(m->batch_size, 100);
    CHECK_INT(m->batching_window_us, 0);
    CHECK_INT(m->parallelization_factor, 1);
    CHECK_INT(m->max_retry_attempts, -1);
    CHECK_INT(m->max_record_age_us, -1);
    CHECK(!m->bisect_on_error && !m->report_batch_item_failures);
    CHECK(m->enabled);
    CHECK_INT(m->starting_position, CFG_START_LATEST);
    CHECK_INT(m->tumbling_window_us, 0);
    CHECK(m->on_failure_destination == NULL);
    CHECK_STR(m->function_arn, "arn:aws:lambda:us-east-1:123456789012:function:function");
    CHECK_STR(m->event_source_arn, "arn:aws:kinesis:us-east-1:123456789012:stream/stream");

    const struct cfg_function *f = &s->cfg.function;
    CHECK_STR(f->name, "function");
    CHECK_INT(f->timeout_us, 3 * S);
    CHECK_INT(f->reserved_concurrency, -1);
    CHECK_INT(f->account_concurrency, 1000);
    CHECK_INT(f->memory_mb, 128);
    CHECK(f->per_invoke.kind == DIST_CONSTANT && f->per_invoke.value == 10 * MS);
    CHECK(f->per_record.kind == DIST_CONSTANT && f->per_record.value == 1 * MS);
    CHECK(f->cold_start.kind == DIST_CONSTANT && f->cold_start.value == 200 * MS);
    CHECK_INT(f->idle_timeout_us, 600 * S);
    CHECK_INT(f->n_failures, 0);
    CHECK_INT(f->report, CFG_REPORT_THROW);

    const struct cfg_model *md = &s->cfg.model;
    CHECK_INT(md->poll_interval_us, 1 * S);
    CHECK_INT(md->retry_delay_us, 1 * S);
    CHECK_INT(md->throttle_backoff_us, 1 * S);
    CHECK_INT(md->throttle_backoff_max_us, 30 * S);
    CHECK_INT(md->latest_start_delay_us, 60 * S);
    CHECK_INT(md->sample_interval_us, 1 * S);
    CHECK_INT(md->epoch_ms, 1767225600000LL);   /* 2026-01-01T00:00:00Z */
    CHECK_STR(md->region, "us-east-1");
    CHECK_STR(md->account, "123456789012");
    scn_free(s);

    /* producers may be absent or empty */
    s = parse(WITH("'producers': []"), NULL, 0);
    CHECK(s && s->cfg.n_producers == 0 && s->cfg.producers == NULL);
    scn_free(s);
}

/* StartingPositionTimestamp: ISO-8601, epoch seconds, or a duration from the start. */
static void test_at_timestamp(void)
{
    static const struct { const char *ts; long long us; } cases[] = {
        { "'2026-01-01T00:10:00Z'", 600 * S },
        { "'2026-01-01T01:10:00+01:00'", 600 * S },
        { "'2026-01-01T00:00:01.5Z'", 1500 * MS },
        { "'2026-01-01T00:10:00.000000+00:00'", 600 * S },   /* as the AWS CLI v2 prints it */
        { "1767226200", 600 * S },
        { "1767225600.25", 250 * MS },
        { "'10m'", 600 * S },
        { "'0'", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, HEAD "'event_source_mapping':{'StartingPosition':'AT_TIMESTAMP',"
                 "'StartingPositionTimestamp':%s}}", cases[i].ts);
        struct scenario *s = parse(text, NULL, 0);
        CHECK(s != NULL);
        if (!s) {
            fprintf(stderr, "%s\n", err);
            continue;
        }
        CHECK_INT(s->cfg.mapping.starting_position, CFG_START_AT_TIMESTAMP);
        CHECK_INT(s->cfg.mapping.starting_timestamp_us, cases[i].us);
        scn_free(s);
    }
    /* relative to model.start_time */
    struct scenario *s = parse(HEAD "'model':{'start_time':'2030-06-15T08:00:00Z'},"
                               "'event_source_mapping':{'StartingPosition':'AT_TIMESTAMP',"
                               "'StartingPositionTimestamp':'2030-06-15T08:00:30Z'}}", NULL, 0);
    CHECK(s && s->cfg.mapping.starting_timestamp_us == 30 * S);
    scn_free(s);
}

/*
 * docs/scenario.md, time: model.start_time is an instant from 1970 to the last
 * one ISO-8601's four-digit year writes, the same for a number of epoch seconds
 * and a string, and the run's end (start_time + duration) is no later either:
 * the Lambda events, DynamoDB labels and compare print wall times, which past
 * it would read "10000-01-01T...".
 */
static void test_start_time_bounds(void)
{
    static const struct { const char *start, *duration; long long ms; } good[] = {
        { "'9999-12-31T22:59:59.999Z'", "1h", 253402297199999LL },   /* ends at ...59.999999 */
        { "'9999-12-31T23:59:59.999Z'", "0.000999", 253402300799999LL },
        { "8640000001", "1h", 8640000001000LL },                     /* past 100,000 days */
        { "253402297199.999", "1h", 253402297199999LL },
        { "0", "100000d", 0 },
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "{'name':'t','duration':'%s','model':{'start_time':%s}," ESM "}",
                 good[i].duration, good[i].start);
        struct scenario *s = parse(text, NULL, 0);
        CHECK(s != NULL);
        if (!s) {
            fprintf(stderr, "%s: %s\n", good[i].start, err);
            continue;
        }
        CHECK_INT(s->cfg.model.epoch_ms, good[i].ms);
        scn_free(s);
    }
    BAD("{'name':'t','duration':'1d','model':{'start_time':'9999-12-31T12:00:00Z'}," ESM "}",
        "t.json: $.model.start_time: expected a start from which the run (duration 24h) ends by "
        "9999-12-31T23:59:59.999999Z: at or before 9999-12-30T23:59:59.999Z, got \"9999-12-31T12:00:00Z\"");
    BAD("{'name':'t','duration':'1h','model':{'start_time':'9999-12-31T23:00:00Z'}," ESM "}",
        "t.json: $.model.start_time: expected a start from which the run (duration 1h) ends by "
        "9999-12-31T23:59:59.999999Z: at or before 9999-12-31T22:59:59.999Z, got \"9999-12-31T23:00:00Z\"");
    BAD("{'name':'t','duration':'1d','model':{'start_time':253402257600}," ESM "}",
        "t.json: $.model.start_time: expected a start from which the run (duration 24h) ends by "
        "9999-12-31T23:59:59.999999Z: at or before 9999-12-30T23:59:59.999Z, got 253402257600");
    /* an instant past the last one: an offset west of year 9999's end, a larger number */
    BAD(WITH("'model':{'start_time':'9999-12-31T23:30:00-01:00'}"),
        "t.json: $.model.start_time: expected a time: an ISO-8601 string with a zone such as "
        "\"2026-01-01T00:00:00Z\", or a number of epoch seconds, from 1970-01-01T00:00:00Z to "
        "9999-12-31T23:59:59.999999Z, got \"9999-12-31T23:30:00-01:00\"");
    BAD(WITH("'model':{'start_time':253402300800}"),
        "t.json: $.model.start_time: expected a time: an ISO-8601 string with a zone such as "
        "\"2026-01-01T00:00:00Z\", or a number of epoch seconds, from 1970-01-01T00:00:00Z to "
        "9999-12-31T23:59:59.999999Z, got 253402300800");
    BAD(WITH("'model':{'start_time':-1}"), "t.json: $.model.start_time: expected a time: ");
    /* StartingPositionTimestamp: the same instants */
    BAD(HEAD "'event_source_mapping':{'StartingPosition':'AT_TIMESTAMP','StartingPositionTimestamp':"
        "253402300800}}", "$.event_source_mapping.StartingPositionTimestamp: expected a time: an ISO-8601 "
        "string with a zone such as \"2026-01-01T00:10:00Z\" or a number of epoch seconds, from "
        "1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z; or a duration string from the start of the "
        "run such as \"10m\", got 253402300800");
    struct scenario *s = parse(HEAD "'event_source_mapping':{'StartingPosition':'AT_TIMESTAMP',"
                               "'StartingPositionTimestamp':8640000001}}", NULL, 0);
    CHECK(s && s->cfg.mapping.starting_timestamp_us == (8640000001LL - 1767225600LL) * S);
    scn_free(s);
}

/* ---- get-event-source-mapping output, as it is ------------------------- */

/* seeds/002 line 150 (update + get-event-source-mapping), verbatim. */
#define SEED_GET \
    "{ \"UUID\": \"f89f8514-cdd9-4602-9e1f-01a5b77d449b\", \"BatchSize\": 100, " \
    "\"MaximumBatchingWindowInSeconds\": 0, \"ParallelizationFactor\": 1, \"EventSourceArn\": " \
    "\"arn:aws:dynamodb:us-east-2:123456789012:table/my-table/stream/2023-06-10T19:26:16.525\", " \
    "\"FunctionArn\": \"arn:aws:lambda:us-east-2:123456789012:function:my-function\", " \
    "\"LastModified\": 1573244760.0, \"LastProcessingResult\": \"PROBLEM: Function call failed\", " \
    "\"State\": \"Enabled\", \"StateTransitionReason\": \"User action\", \"DestinationConfig\": { " \
    "\"OnFailure\": { \"Destination\": \"arn:aws:sqs:us-east-2:123456789012:dlq\" } }, " \
    "\"MaximumRecordAgeInSeconds\": 3600, \"BisectBatchOnFunctionError\": false, " \
    "\"MaximumRetryAttempts\": 2 }"
/* seeds/002 line 134 (create-event-source-mapping), verbatim: DestinationConfig {}. */
#define SEED_CREATE \
    "{ \"UUID\": \"14e0db71-5d35-4eb5-b481-8945cf9d10c2\", \"BatchSize\": 500, " \
    "\"MaximumBatchingWindowInSeconds\": 5, \"ParallelizationFactor\": 1, \"EventSourceArn\": " \
    "\"arn:aws:dynamodb:us-east-2:123456789012:table/my-table/stream/2019-06-10T19:26:16.525\", " \
    "\"FunctionArn\": \"arn:aws:lambda:us-east-2:123456789012:function:my-function\", " \
    "\"LastModified\": 1560209851.963, \"LastProcessingResult\": \"No records processed\", " \
    "\"State\": \"Creating\", \"StateTransitionReason\": \"User action\", \"DestinationConfig\": {}, " \
    "\"MaximumRecordAgeInSeconds\": 604800, \"BisectBatchOnFunctionError\": false, " \
    "\"MaximumRetryAttempts\": 10000 }"

/* A scenario whose mapping is the JSON object `mapping`, with StartingPosition
 * `pos` added in front when pos is not NULL. */
static struct scenario *with_mapping(const char *pos, const char *mapping)
{
    char text[4096];
    if (pos)
        snprintf(text, sizeof text, "{\"name\":\"t\",\"duration\":\"1h\",\"event_source_mapping\":"
                 "{\"StartingPosition\":\"%s\",%s}", pos, strchr(mapping, '{') + 1);
    else
        snprintf(text, sizeof text, "{\"name\":\"t\",\"duration\":\"1h\",\"event_source_mapping\":%s}",
                 mapping);
    return scn_parse("t.json", text, NULL, 0, err, sizeof err);
}

static void test_aws_output(void)
{
    /* The seeds' outputs are abbreviated: a real one for a stream always has
     * StartingPosition, which this loader requires.  With it, as is: */
    struct scenario *s = with_mapping(NULL, SEED_GET);
    CHECK(s == NULL);
    CHECK_CONTAINS(err, "t.json: $.event_source_mapping.StartingPosition: missing required key "
                   "(expected one of \"TRIM_HORIZON\", \"LATEST\", \"AT_TIMESTAMP\")");

    s = with_mapping("TRIM_HORIZON", SEED_GET);
    CHECK(s != NULL);
    if (s) {
        CHECK_INT(s->cfg.mapping.batch_size, 100);
        CHECK_INT(s->cfg.mapping.max_retry_attempts, 2);
        CHECK_INT(s->cfg.mapping.max_record_age_us, 3600 * S);
        CHECK_STR(s->cfg.mapping.on_failure_destination, "arn:aws:sqs:us-east-2:123456789012:dlq");
        CHECK_STR(s->cfg.mapping.function_arn, "arn:aws:lambda:us-east-2:123456789012:function:my-function");
        CHECK_STR(s->cfg.mapping.event_source_arn,
                  "arn:aws:dynamodb:us-east-2:123456789012:table/my-table/stream/2023-06-10T19:26:16.525");
        CHECK(s->cfg.mapping.enabled);
    } else {
        fprintf(stderr, "%s\n", err);
    }
    scn_free(s);

    s = with_mapping("LATEST", SEED_CREATE);
    CHECK(s != NULL);
    if (s) {
        CHECK_INT(s->cfg.mapping.batch_size, 500);
        CHECK_INT(s->cfg.mapping.batching_window_us, 5 * S);
        CHECK_INT(s->cfg.mapping.max_retry_attempts, 10000);
        CHECK_INT(s->cfg.mapping.max_record_age_us, 604800 * S);
        CHECK(s->cfg.mapping.on_failure_destination == NULL);
    }
    scn_free(s);

    /* The other fields get-event-source-mapping prints for a stream mapping
     * (AWS CLI v2 shape: ISO timestamps), including ones about other sources. */
    s = with_mapping(NULL, dq("{ 'UUID': 'a1b2', 'StartingPosition': 'AT_TIMESTAMP',"
        " 'StartingPositionTimestamp': '2026-01-01T00:05:00+00:00', 'BatchSize': 10,"
        " 'MaximumBatchingWindowInSeconds': 1, 'ParallelizationFactor': 1,"
        " 'EventSourceArn': 'arn:aws:kinesis:us-east-1:123456789012:stream/orders',"
        " 'FilterCriteria': {}, 'FunctionArn': 'arn:aws:lambda:us-east-1:123456789012:function:f',"
        " 'LastModified': '2026-01-01T00:00:00+00:00', 'LastProcessingResult': 'OK', 'State': 'Enabled',"
        " 'StateTransitionReason': 'USER_INITIATED', 'DestinationConfig': { 'OnFailure': {},"
        " 'OnSuccess': { 'Destination': 'arn:aws:sns:us-east-1:123456789012:ok' } },"
        " 'MaximumRecordAgeInSeconds': -1, 'BisectBatchOnFunctionError': false,"
        " 'MaximumRetryAttempts': -1, 'TumblingWindowInSeconds': 0, 'FunctionResponseTypes': [],"
        " 'EventSourceMappingArn': 'arn:aws:lambda:us-east-1:123456789012:event-source-mapping:a1b2',"
        " 'MetricsConfig': { 'Metrics': ['EventCount'] }, 'ScalingConfig': {}, 'Topics': [], 'Queues': [],"
        " 'SourceAccessConfigurations': [], 'SelfManagedEventSource': {}, 'KMSKeyArn': 'arn:aws:kms:x:y:key/z',"
        " 'FilterCriteriaError': {}, 'ProvisionedPollerConfig': {}, 'Tags': {}, 'LoggingConfig': {} }"));
    CHECK(s != NULL);
    if (s) {
        CHECK_INT(s->cfg.mapping.starting_timestamp_us, 300 * S);
        CHECK(s->cfg.mapping.on_failure_destination == NULL);
    } else {
        fprintf(stderr, "%s\n", err);
    }
    scn_free(s);
}

/* ---- overrides ---------------------------------------------------------- */

static const char BASE[] =
    "{ 'name': 'base', 'duration': '1h', 'stream': { 'shards': 2 },"
    "  'producers': [ { 'name': 'p', 'rate': 100, 'keys': { 'count': 10 } } ],"
    "  'records': [ { 'at': '1m', 'partition_key': 'k' } ],"
    "  'event_source_mapping': { 'StartingPosition': 'TRIM_HORIZON', 'BatchSize': 10 },"
    "  'function': { 'failures': [ { 'match': { 'key': 'k' } }, { 'match': { 'probability': 0.5 } } ] },"
    "  'log': {} }";

static void test_overrides(void)
{
    const char *sets[] = {
        "event_source_mapping.BatchSize=500",
        "duration=2h",
        "stream.shards=8",
        "producers[0].rate=2000",
        "function.failures[1].match.probability=0.01",
        "function.cold_start=5ms",            /* a new key in an existing object */
        "stream.name=orders",                  /* not JSON: a plain string */
        "stream.name=\"orders-2\"",            /* JSON string, later wins */
        "$.function.timeout=10",
        "records[1]={\"at\":\"2m\",\"partition_key\":\"k2\",\"data\":\"x\"}",   /* appends */
        "producers[0].keys={\"list\":[\"a\",\"b\"]}",
        "seed=18446744073709551615",
        "log.per_record=false",
        "model.wait_for_parent_shards=false",   /* no "model" in BASE: made on the way */
    };
    struct scenario *s = parse(BASE, sets, sizeof sets / sizeof sets[0]);
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK_INT(s->cfg.mapping.batch_size, 500);
    CHECK_INT(s->cfg.duration_us, 7200 * S);
    CHECK_INT(s->cfg.stream.shards, 8);
    CHECK(s->cfg.producers[0].rate == 2000);
    CHECK(s->cfg.function.failures[1].probability == 0.01);
    CHECK(s->cfg.function.cold_start.kind == DIST_CONSTANT && s->cfg.function.cold_start.value == 5 * MS);
    CHECK_STR(s->cfg.stream.name, "orders-2");
    CHECK_INT(s->cfg.function.timeout_us, 10 * S);
    CHECK_INT(s->cfg.n_records, 2);
    CHECK_STR(s->cfg.records[1].partition_key, "k2");
    CHECK_INT(s->cfg.producers[0].keys.n_list, 2);
    CHECK(s->cfg.seed == UINT64_MAX);
    CHECK(!s->per_record_tables);
    CHECK(!s->cfg.model.wait_for_parent_shards);
    CHECK_INT(s->cfg.producers[0].stop_us, 7200 * S);   /* default follows the new duration */
    /* the effective scenario is the one after the overrides */
    CHECK(strstr(s->json, "\"BatchSize\":500") != NULL);
    CHECK(strstr(s->json, "\"duration\":\"2h\"") != NULL);
    CHECK(strstr(s->json, "\"BatchSize\":10") == NULL);
    CHECK(strchr(s->json, '\n') == NULL);
    scn_free(s);

    /* errors: each names the override */
    static const struct { const char *set, *want; } bad[] = {
        { "event_source_mapping.BatchSzie=5",
          "t.json: --set event_source_mapping.BatchSzie=5: $.event_source_mapping.BatchSzie: "
          "unknown key (expected one of: BatchSize," },
        { "event_source_mapping.BatchSize=0",
          "t.json: --set event_source_mapping.BatchSize=0: $.event_source_mapping.BatchSize: "
          "expected an integer from 1 to 10000, got 0" },
        { "event_source_mapping.BatchSize=lots",
          "$.event_source_mapping.BatchSize: expected an integer from 1 to 10000, got \"lots\"" },
        { "nosuch.x=1", "t.json: --set nosuch.x=1: $.nosuch: unknown key (expected one of: " },
        { "function.duration.per_invok=1", "--set function.duration.per_invok=1: "
          "$.function.duration.per_invok: unknown key (expected one of: per_invoke, per_record)" },
        { "producers[3].rate=1", "--set producers[3].rate=1: $.producers[3]: no such element (the array has 1)" },
        /* docs/scenario.md, Overrides: "a missing array element on the way is an error": the one
         * past the end is no exception (it appends only as the last step), and says so like any other */
        { "producers[1].rate=1", "--set producers[1].rate=1: $.producers[1]: no such element (the array has 1)" },
        { "producers[1].keys.count=1", "$.producers[1]: no such element (the array has 1)" },
        { "duration.x=1", "--set duration.x=1: $.duration: is a value, not an object" },
        { "stream[0]=1", "--set stream[0]=1: $.stream: is an object, not an array" },
        { "producers.rate=1", "--set producers.rate=1: $.producers: is an array, not an object" },
        { "BatchSize", "t.json: --set BatchSize: expected path=value" },
        { "=5", "--set =5: expected path=value" },
        { "a..b=1", "t.json: --set a..b=1: expected path=value" },
        { "records[x]=1", "--set records[x]=1: expected path=value" },
        { "stream.shards=", "$.stream.shards: expected an integer from 1 to 10000, got \"\"" },
        { "seed=-1", "--set seed=-1: $.seed: expected an integer from 0 to 18446744073709551615" },
        { "seed=18446744073709551616", "$.seed: expected an integer from 0 to 18446744073709551615" },
        { "producers[0]={\"name\":\"q\"}", "--set producers[0]={\"name\":\"q\"}: $.producers[0].rate: "
          "missing required key (expected records per second: a number > 0, or an object with series or file)" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        bad_set(__LINE__, BASE, &bad[i].set, 1, bad[i].want);

    /* an error not at an overridden path does not blame the override */
    const char *two[] = { "stream.shards=3", "event_source_mapping.BatchSize=0" };
    bad_set(__LINE__, BASE, two, 2, "t.json: --set event_source_mapping.BatchSize=0: $.event_source_mapping");
    const char *one[] = { "duration=2h" };
    bad_set(__LINE__, "{'name':'t','duration':'1h','event_source_mapping':{'StartingPosition':'X'}}", one, 1,
            "t.json: $.event_source_mapping.StartingPosition: expected one of");
    CHECK(strstr(err, "--set") == NULL);
}

/* ---- bad input ---------------------------------------------------------- */

static void test_bad_keys_and_types(void)
{
    BAD("{'name':'t','duration':'1h','nmae':1," ESM "}",
        "t.json: $.nmae: unknown key (expected one of: name, description, seed, duration, stream, producers, "
        "records, event_source_mapping, function, model, log, schedule, expect)");
    BAD(WITH("'producers':[{'name':'p','rate':1,'keys':{'count':3,'distrbution':'zipf'}}]"),
        "t.json: $.producers[0].keys.distrbution: unknown key (expected one of: count, distribution, s, "
        "prefix, list); did you mean distribution?");
    BAD(ESM_WITH("'BatchSzie':5"), "$.event_source_mapping.BatchSzie: unknown key (expected one of: "
        "BatchSize, MaximumBatchingWindowInSeconds,");
    BAD(ESM_WITH("'batchSize':5"), "did you mean BatchSize?");
    BAD(WITH("'stream':{'limits':{'max_records':5}}"),
        "$.stream.limits.max_records: unknown key (expected one of: write_records_per_sec,");
    BAD(WITH("'function':{'duration':{'per_invoke':{'distribution':'uniform','min':1,'max':2,'median':1}}}"),
        "$.function.duration.per_invoke.median: unknown key (expected one of: distribution, min, max)");
    BAD(WITH("'function':{'cold_start':{'distrib':'constant','value':1}}"),
        "$.function.cold_start.distrib: unknown key (expected one of: distribution, value, min, max,");
    BAD(WITH("'function':{'failures':[{'match':{'kee':'x'}}]}"),
        "$.function.failures[0].match.kee: unknown key (expected one of: key, data_contains, message_id,");
    BAD(WITH("'model':{'region':'us-east-1','Region':'x'}"), "$.model.Region: unknown key");
    BAD(WITH("'log':{'per_records':true}"), "$.log.per_records: unknown key (expected one of: per_record)");
    BAD(WITH("'$schema':'x'"), "t.json: $[\"$schema\"]: unknown key");
    /* what the file says is escaped: a message stays on one line */
    BAD(WITH("'a\\nb':1"), "t.json: $[\"a\\nb\"]: unknown key");
    BAD("{'name':'t\\n\\u0001\\\"','duration':'1h'," ESM "}",
        "t.json: $.name: expected printable text, got \"t\\n\\u0001\\\"\": U+000A is a control character");
    CHECK(strchr(err, '\n') == NULL && strchr(err, '\t') == NULL);
    BAD(WITH("'seed':'x\\ty'"), "$.seed: expected an integer from 0 to 18446744073709551615 (as a string "
        "of digits above 9007199254740991), got \"x\\ty\"");
    CHECK(strchr(err, '\n') == NULL && strchr(err, '\t') == NULL);
    BAD(WITH("'function':{'name':'a\\u0001b'}"), "$.function.name: expected a function name (1 to 64 letters, "
        "digits, - or _), got \"a\\u0001b\"");
    BAD(ESM_WITH("'BatchSize':5,'BatchSize':6"), "$.event_source_mapping.BatchSize: duplicate key");

    BAD("{'name':5,'duration':'1h'," ESM "}", "t.json: $.name: expected a non-empty string, got 5");
    BAD("{'name':'','duration':'1h'," ESM "}", "$.name: expected a non-empty string, got \"\"");
    BAD(WITH("'stream':{'shards':'4'}"), "$.stream.shards: expected an integer from 1 to 10000, got \"4\"");
    BAD(WITH("'stream':{'shards':2.5}"), "$.stream.shards: expected an integer from 1 to 10000, got 2.5");
    BAD(WITH("'stream':[]"), "t.json: $.stream: expected an object, got an array");
    BAD(WITH("'producers':{}"), "$.producers: expected an array, got an object");
    BAD(WITH("'producers':[5]"), "$.producers[0]: expected an object, got 5");
    BAD(ESM_WITH("'Enabled':'yes'"), "$.event_source_mapping.Enabled: expected true or false, got \"yes\"");
    BAD(ESM_WITH("'BisectBatchOnFunctionError':null"),
        "$.event_source_mapping.BisectBatchOnFunctionError: expected true or false, got null");
    BAD(ESM_WITH("'FunctionResponseTypes':['ReportBatchItemFailure']"),
        "$.event_source_mapping.FunctionResponseTypes: expected [] or [\"ReportBatchItemFailures\"], got an array");
    BAD(ESM_WITH("'FunctionResponseTypes':'ReportBatchItemFailures'"),
        "expected [] or [\"ReportBatchItemFailures\"], got \"ReportBatchItemFailures\"");
    BAD(ESM_WITH("'DestinationConfig':{'OnFailure':{'Destination':'my-dlq'}}"),
        "$.event_source_mapping.DestinationConfig.OnFailure.Destination: expected an SQS queue, SNS topic "
        "or S3 bucket ARN, got \"my-dlq\"");
    BAD(ESM_WITH("'DestinationConfig':{'OnFailure':{'Destination':'arn:aws:lambda:us-east-1:1:function:f'}}"),
        "OnFailure.Destination: expected an SQS queue, SNS topic or S3 bucket ARN");
    BAD(ESM_WITH("'DestinationConfig':{'OnFailure':{'Dest':'x'}}"),
        "$.event_source_mapping.DestinationConfig.OnFailure.Dest: unknown key (expected one of: Destination)");
    BAD(ESM_WITH("'FunctionArn':'my-function'"), "$.event_source_mapping.FunctionArn: expected a function ARN");
    BAD(HEAD "'event_source_mapping':{'StartingPosition':'latest'}}",
        "expected one of \"TRIM_HORIZON\", \"LATEST\", \"AT_TIMESTAMP\", got \"latest\"");
    BAD(WITH("'stream':{'consumer':'dedicated'}"), "$.stream.consumer: expected \"shared\" or \"efo\", got \"dedicated\"");
    BAD("[1,2]", "t.json: $: expected an object, got an array");
}

static void test_bad_ranges(void)
{
    BAD(ESM_WITH("'BatchSize':0"), "t.json: $.event_source_mapping.BatchSize: expected an integer from 1 to 10000, got 0");
    BAD(ESM_WITH("'BatchSize':10001"), "$.event_source_mapping.BatchSize: expected an integer from 1 to 10000, got 10001");
    BAD(ESM_WITH("'MaximumBatchingWindowInSeconds':301"),
        "$.event_source_mapping.MaximumBatchingWindowInSeconds: expected an integer from 0 to 300, got 301");
    BAD(ESM_WITH("'MaximumBatchingWindowInSeconds':0.5"), "expected an integer from 0 to 300, got 0.5");
    BAD(ESM_WITH("'ParallelizationFactor':11"),
        "$.event_source_mapping.ParallelizationFactor: expected an integer from 1 to 10, got 11");
    BAD(ESM_WITH("'ParallelizationFactor':0"), "expected an integer from 1 to 10, got 0");
    BAD(ESM_WITH("'MaximumRetryAttempts':-2"),
        "$.event_source_mapping.MaximumRetryAttempts: expected an integer from -1 to 10000, got -2");
    BAD(ESM_WITH("'MaximumRetryAttempts':10001"), "expected an integer from -1 to 10000, got 10001");
    BAD(ESM_WITH("'MaximumRecordAgeInSeconds':59"),
        "$.event_source_mapping.MaximumRecordAgeInSeconds: expected -1 or an integer from 60 to 604800, got 59");
    BAD(ESM_WITH("'MaximumRecordAgeInSeconds':0"), "expected -1 or an integer from 60 to 604800, got 0");
    BAD(ESM_WITH("'MaximumRecordAgeInSeconds':604801"), "expected -1 or an integer from 60 to 604800, got 604801");
    BAD(ESM_WITH("'TumblingWindowInSeconds':901"),
        "$.event_source_mapping.TumblingWindowInSeconds: expected an integer from 0 to 900, got 901");
    BAD(WITH("'stream':{'retention':'23h'}"), "$.stream.retention: expected a duration from 24h to 8760h, got \"23h\"");
    BAD(WITH("'stream':{'retention':'8761h'}"), "expected a duration from 24h to 8760h, got \"8761h\"");
    BAD(WITH("'stream':{'shards':10001}"), "$.stream.shards: expected an integer from 1 to 10000, got 10001");
    BAD(WITH("'stream':{'other_consumers':5}"), "$.stream.other_consumers: expected an integer from 0 to 4, got 5");
    BAD(WITH("'stream':{'internal_failure_rate':1.5}"),
        "$.stream.internal_failure_rate: expected a number from 0 to 1, got 1.5");
    BAD(WITH("'stream':{'limits':{'max_request_records':501}}"),
        "$.stream.limits.max_request_records: expected an integer from 1 to 500, got 501");
    BAD(WITH("'stream':{'limits':{'max_record_bytes':6000000}}"),
        "$.stream.limits.max_request_bytes: expected at least max_record_bytes (6000000), got 5242880");
    BAD(WITH("'function':{'timeout':'901s'}"), "$.function.timeout: expected a duration from 1s to 15m, got \"901s\"");
    BAD(WITH("'function':{'timeout':0.5}"), "$.function.timeout: expected a duration from 1s to 15m, got 0.5");
    BAD(WITH("'function':{'reserved_concurrency':-2}"),
        "$.function.reserved_concurrency: expected -1 or an integer from 0 to 10000, got -2");
    BAD(WITH("'function':{'reserved_concurrency':2000}"),
        "$.function.reserved_concurrency: expected at most account_concurrency (1000)");
    BAD(WITH("'function':{'account_concurrency':0}"), "$.function.account_concurrency: expected an integer from 1 to 1000000, got 0");
    BAD(WITH("'function':{'memory_mb':127}"), "$.function.memory_mb: expected an integer from 128 to 10240, got 127");
    BAD(WITH("'function':{'memory_mb':10241}"), "$.function.memory_mb: expected an integer from 128 to 10240, got 10241");
    BAD(WITH("'model':{'poll_interval':0}"), "$.model.poll_interval: expected a duration from 1us to 100000d, got 0");
    BAD(WITH("'model':{'account':'1234'}"), "$.model.account: expected a string of 12 digits, got \"1234\"");
    BAD(WITH("'model':{'account':123456789012}"), "$.model.account: expected a string of 12 digits, got 123456789012");
    BAD(WITH("'model':{'region':'US East'}"), "$.model.region: expected a region name such as \"us-east-1\"");
    BAD(WITH("'model':{'start_time':'2026-01-01 00:00:00'}"), "$.model.start_time: expected a time: an ISO-8601 string");
    BAD(WITH("'model':{'start_time':'2026-02-30T00:00:00Z'}"), "$.model.start_time: expected a time");
    BAD(WITH("'model':{'start_time':'2026-01-01T00:00:00'}"), "$.model.start_time: expected a time");
    BAD(WITH("'function':{'name':'my function'}"),
        "$.function.name: expected a function name (1 to 64 letters, digits, - or _), got \"my function\"");
    BAD(WITH("'stream':{'name':'a/b'}"), "$.stream.name: expected a stream name");
    BAD("{'name':'t','duration':'1h','seed':-1," ESM "}", "$.seed: expected an integer from 0 to 18446744073709551615");
    BAD("{'name':'t','duration':'1h','seed':1.5," ESM "}", "$.seed: expected an integer");
    BAD("{'name':'t','duration':'1h','seed':'12a'," ESM "}", "$.seed: expected an integer");
}

static void test_bad_required_and_durations(void)
{
    BAD("{'duration':'1h'," ESM "}", "t.json: $.name: missing required key (expected a non-empty string)");
    BAD("{'name':'t'," ESM "}", "t.json: $.duration: missing required key (expected a duration from 1us to 100000d)");
    BAD("{'name':'t','duration':'1h'}", "t.json: $.event_source_mapping: missing required key (expected an object)");
    BAD(HEAD "'event_source_mapping':{'BatchSize':10}}",
        "$.event_source_mapping.StartingPosition: missing required key (expected one of \"TRIM_HORIZON\", "
        "\"LATEST\", \"AT_TIMESTAMP\")");
    BAD(HEAD "'event_source_mapping':{'StartingPosition':'AT_TIMESTAMP'}}",
        "$.event_source_mapping.StartingPositionTimestamp: missing required key (expected a time");
    BAD(HEAD "'event_source_mapping':{'StartingPosition':'AT_TIMESTAMP','StartingPositionTimestamp':"
        "'2025-12-31T23:59:59Z'}}",
        "$.event_source_mapping.StartingPositionTimestamp: expected a time at or after the start of the run");
    BAD(HEAD "'event_source_mapping':{'StartingPosition':'AT_TIMESTAMP','StartingPositionTimestamp':600}}",
        "$.event_source_mapping.StartingPositionTimestamp: expected a time at or after the start of the run");
    BAD(HEAD "'event_source_mapping':{'StartingPosition':'AT_TIMESTAMP','StartingPositionTimestamp':'soon'}}",
        "$.event_source_mapping.StartingPositionTimestamp: expected a time: an ISO-8601 string with a zone");
    BAD("{'name':'t','duration':'2x'," ESM "}",
        "t.json: $.duration: expected a duration from 1us to 100000d (a number of seconds, or a string such as \"250ms\", "
        "\"90s\", \"15m\", \"2h\", \"1d\"), got \"2x\"");
    BAD("{'name':'t','duration':0," ESM "}", "$.duration: expected a duration from 1us to 100000d, got 0");
    BAD("{'name':'t','duration':-5," ESM "}", "$.duration: expected a duration from 1us to 100000d (a number of seconds");
    BAD("{'name':'t','duration':'-5s'," ESM "}", "$.duration: expected a duration from 1us to 100000d (a number of seconds");
    BAD("{'name':'t','duration':true," ESM "}", "$.duration: expected a duration from 1us to 100000d, got true");
    /* docs/scenario.md, duration: "at most 100,000 days": a longer one is refused with the whole
     * range, not only its lower bound */
    BAD("{'name':'t','duration':'100001d'," ESM "}",
        "t.json: $.duration: expected a duration from 1us to 100000d (a number of seconds, or a string "
        "such as \"250ms\", \"90s\", \"15m\", \"2h\", \"1d\"), got \"100001d\"");
    BAD("{'name':'t','duration':8640000001," ESM "}",
        "t.json: $.duration: expected a duration from 1us to 100000d (a number of seconds");
    BAD(WITH("'producers':[{'name':'p','rate':1,'keys':{'count':1},'put':{'linger':'2400001h'}}]"),
        "$.producers[0].put.linger: expected a duration from 0s to 100000d (a number of seconds");
    BAD(WITH("'producers':[{'name':'p','rate':1,'keys':{'count':1},'put':{'linger':'1 s'}}]"),
        "$.producers[0].put.linger: expected a duration from 0s to 100000d (a number of seconds");
    BAD(WITH("'producers':[{'rate':1,'keys':{'count':1}}]"),
        "$.producers[0].name: missing required key (expected a producer name (1 to 64 letters, digits, -, _ or .))");
    BAD(WITH("'producers':[{'name':'a/keys','rate':1,'keys':{'count':1}}]"),
        "$.producers[0].name: expected a producer name (1 to 64 letters, digits, -, _ or .), got \"a/keys\"");
    BAD(WITH("'producers':[{'name':'p','keys':{'count':1}}]"),
        "$.producers[0].rate: missing required key (expected records per second: a number > 0, or an object with series or file)");
    BAD(WITH("'producers':[{'name':'p','rate':1}]"), "$.producers[0].keys: missing required key (expected an object)");
    BAD(WITH("'records':[{'partition_key':'k'}]"), "$.records[0].at: missing required key (expected a duration from 0s to 1h)");
    BAD(WITH("'records':[{'at':0}]"), "$.records[0].partition_key: missing required key (expected a partition key");
}

static void test_bad_distributions(void)
{
    BAD(WITH("'function':{'cold_start':{'distribution':'poisson','mean':1}}"),
        "$.function.cold_start.distribution: expected one of \"constant\", \"uniform\", \"normal\", "
        "\"lognormal\", \"gamma\", \"exponential\", \"empirical\", got \"poisson\"");
    BAD(WITH("'function':{'cold_start':{'value':1}}"),
        "$.function.cold_start.distribution: missing required key (expected one of \"constant\"");
    BAD(WITH("'function':{'cold_start':{'distribution':'uniform','min':'2s','max':'1s'}}"),
        "$.function.cold_start.max: expected a value >= min");
    BAD(WITH("'function':{'cold_start':{'distribution':'uniform','min':'2s'}}"),
        "$.function.cold_start.max: missing required key (expected a duration from 0s to 100000d)");
    BAD(WITH("'function':{'cold_start':{'distribution':'lognormal','median':0,'sigma':1}}"),
        "$.function.cold_start.median: expected a duration from 1us to 100000d, got 0");
    BAD(WITH("'function':{'cold_start':{'distribution':'lognormal','median':'1s','sigma':'1s'}}"),
        "$.function.cold_start.sigma: expected a number >= 0, got \"1s\"");
    BAD(WITH("'function':{'cold_start':{'distribution':'gamma','shape':0,'scale':1}}"),
        "$.function.cold_start.shape: expected a number > 0, got 0");
    BAD(WITH("'function':{'cold_start':{'distribution':'exponential','mean':'-1s'}}"),
        "$.function.cold_start.mean: expected a duration from 1us to 100000d (a number of seconds");
    BAD(WITH("'function':{'cold_start':{'distribution':'empirical','percentiles':{'p50':1}}}"),
        "$.function.cold_start.percentiles: expected at least 2 points");
    BAD(WITH("'function':{'cold_start':{'distribution':'empirical','percentiles':{'p50':2,'p90':1}}}"),
        "$.function.cold_start.percentiles: expected values that do not decrease with the percentile (p90 is below p50)");
    BAD(WITH("'function':{'cold_start':{'distribution':'empirical','percentiles':{'p50':1,'q90':2}}}"),
        "$.function.cold_start.percentiles.q90: unknown key (expected a percentile \"pN\", N from 0 to 100");
    BAD(WITH("'function':{'cold_start':{'distribution':'empirical','percentiles':{'p50':1,'p101':2}}}"),
        "$.function.cold_start.percentiles.p101: unknown key (expected a percentile");
    /* over 100 by its text, though a double of it is 100 (docs/scenario.md: N from 0 to 100) */
    BAD(WITH("'function':{'cold_start':{'distribution':'empirical','percentiles':{'p50':1,'p100.0000000000000001':2}}}"),
        "$.function.cold_start.percentiles[\"p100.0000000000000001\"]: unknown key (expected a percentile \"pN\", N from 0 to 100");
    struct scenario *s = parse(WITH("'function':{'cold_start':{'distribution':'empirical','percentiles':"
                                    "{'p50':1,'p100.000':2}}}"), NULL, 0);
    CHECK(s != NULL);
    scn_free(s);
    BAD(WITH("'function':{'cold_start':{'distribution':'empirical','percentiles':{'p50':1,'p50.0':2}}}"),
        "$.function.cold_start.percentiles[\"p50.0\"]: percentile 50 given twice");
    BAD(WITH("'function':{'cold_start':{'distribution':'empirical','percentiles':[1,2]}}"),
        "$.function.cold_start.percentiles: expected an object, got an array");
    BAD(WITH("'function':{'cold_start':true}"),
        "$.function.cold_start: expected a distribution object, or a duration meaning a constant, got true");
    BAD(WITH("'producers':[{'name':'p','rate':1,'keys':{'count':1},'record_bytes':'1KB'}]"),
        "$.producers[0].record_bytes: expected a distribution object, or a number of bytes meaning a constant, got \"1KB\"");
    BAD(WITH("'producers':[{'name':'p','rate':1,'keys':{'count':1},'record_bytes':0}]"),
        "$.producers[0].record_bytes: expected a number > 0, got 0");
    BAD(WITH("'producers':[{'name':'p','rate':1,'keys':{'count':1},'record_bytes':{'distribution':'constant','value':'1s'}}]"),
        "$.producers[0].record_bytes.value: expected a number > 0, got \"1s\"");
}

static void test_bad_producers_records_failures(void)
{
#define P(rest) WITH("'producers':[{'name':'p','rate':1," rest "}]")
    BAD(WITH("'producers':[{'name':'p','rate':1,'keys':{'count':1}},{'name':'p','rate':1,'keys':{'count':1}}]"),
        "$.producers[1].name: a producer named \"p\" comes before: names must be unique");
    /* the first producer whose name comes before, whatever the names' order */
    BAD(WITH("'producers':[{'name':'b','rate':1,'keys':{'count':1}},{'name':'a','rate':1,'keys':{'count':1}},"
             "{'name':'b','rate':1,'keys':{'count':1}},{'name':'a','rate':1,'keys':{'count':1}}]"),
        "$.producers[2].name: a producer named \"b\" comes before: names must be unique");
    BAD(WITH("'producers':[{'name':'records','rate':1,'keys':{'count':1}}]"),
        "$.producers[0].name: \"records\" is reserved for the explicit records");
    BAD(WITH("'producers':[{'name':'p','rate':0,'keys':{'count':1}}]"), "$.producers[0].rate: expected a number > 0, got 0");
    BAD(P("'keys':{'count':1,'list':['a']}"), "$.producers[0].keys: expected exactly one of: count, list");
    BAD(P("'keys':{}"), "$.producers[0].keys: expected exactly one of: count, list");
    BAD(P("'keys':{'count':0}"), "$.producers[0].keys.count: expected an integer from 1 to 4294967294, got 0");
    BAD(P("'keys':{'list':[]}"), "$.producers[0].keys.list: expected at least one key");
    BAD(P("'keys':{'list':['a','']}"), "$.producers[0].keys.list[1]: expected a partition key (a string of 1 to 256 characters), got \"\"");
    BAD(P("'keys':{'list':['a'],'prefix':'x-'}"), "$.producers[0].keys.prefix: only with count");
    BAD(P("'keys':{'count':1,'distribution':'pareto'}"), "$.producers[0].keys.distribution: expected \"uniform\" or \"zipf\", got \"pareto\"");
    BAD(P("'keys':{'count':1,'s':0}"), "$.producers[0].keys.s: expected a number > 0, got 0");
    BAD(P("'keys':{'count':1},'arrival':'bursty'"), "$.producers[0].arrival: expected \"constant\" or \"poisson\", got \"bursty\"");
    BAD(P("'keys':{'count':1},'put':{'max_records':501}"), "$.producers[0].put.max_records: expected an integer from 1 to 500, got 501");
    BAD(WITH("'stream':{'limits':{'max_request_records':100}},"
             "'producers':[{'name':'p','rate':1,'keys':{'count':1},'put':{'max_records':200}}]"),
        "$.producers[0].put.max_records: expected at most stream.limits.max_request_records (100)");
    /* docs/scenario.md, Strict: no key is silently ignored: max_records with PutRecord was replaced by 1 */
    BAD(P("'keys':{'count':1},'put':{'api':'PutRecord','max_records':200}"),
        "t.json: $.producers[0].put.max_records: only with api \"PutRecords\": PutRecord sends one record a request");
    BAD(P("'keys':{'count':1},'put':{'api':'PutRecord','max_records':1}"),
        "t.json: $.producers[0].put.max_records: only with api \"PutRecords\"");
    BAD(P("'keys':{'count':1},'put':{'api':'PutRecordz'}"), "$.producers[0].put.api: expected \"PutRecords\" or \"PutRecord\"");
    BAD(P("'keys':{'count':1},'put':{'retry':{'max_attempts':0}}"),
        "$.producers[0].put.retry.max_attempts: expected an integer from 1 to 1000000, got 0");
    BAD(P("'keys':{'count':1},'put':{'retry':{'mode':'some'}}"),
        "$.producers[0].put.retry.mode: expected one of \"failed-only\", \"all\", \"none\", got \"some\"");
    BAD(P("'keys':{'count':1},'put':{'retry':{'backoff':'fibonacci'}}"), "$.producers[0].put.retry.backoff: expected one of");
    BAD(P("'keys':{'count':1},'put':{'retry':{'jitter':1}}"), "$.producers[0].put.retry.jitter: expected true or false, got 1");
    BAD(P("'keys':{'count':1},'bursts':[{'at':'1m','for':'1m','multiplier':-1}]"),
        "$.producers[0].bursts[0].multiplier: expected a number >= 0, got -1");
    BAD(P("'keys':{'count':1},'bursts':[{'at':'1m','for':0,'multiplier':2}]"),
        "$.producers[0].bursts[0].for: expected a duration from 1us to 100000d, got 0");
    BAD(P("'keys':{'count':1},'bursts':[{'at':'1m','multiplier':2}]"),
        "$.producers[0].bursts[0].for: missing required key (expected a duration from 1us to 100000d)");
    BAD(P("'keys':{'count':1},'start':'10m','stop':'5m'"),
        "$.producers[0].stop: expected a duration from 10m to 100000d, got \"5m\"");
    BAD(WITH("'records':[{'at':'2h','partition_key':'k'}]"),
        "$.records[0].at: expected a duration from 0s to 1h, got \"2h\"");
    char key[300], text[600];
    memset(key, 'k', 257);
    key[257] = '\0';
    snprintf(text, sizeof text, WITH("'records':[{'at':0,'partition_key':'%s'}]"), key);
    BAD(text, "$.records[0].partition_key: expected a partition key (a string of 1 to 256 characters)");
    key[256] = '\0';   /* 256 characters is the limit */
    snprintf(text, sizeof text, WITH("'records':[{'at':0,'partition_key':'%s'}]"), key);
    struct scenario *s = parse(text, NULL, 0);
    CHECK(s != NULL);
    scn_free(s);
    BAD(WITH("'stream':{'limits':{'max_record_bytes':10}},'records':[{'at':0,'partition_key':'key','data':'12345678'}]"),
        "$.records[0].data: 11 bytes with the partition key, over stream.limits.max_record_bytes (10)");
    memset(key, 'x', 254);
    key[254] = '\0';
    snprintf(text, sizeof text, P("'keys':{'count':1000,'prefix':'%s'}"), key);
    BAD(text, "$.producers[0].keys.prefix: too long: prefix + key number must be at most 256 characters");

#define F(rest) WITH("'function':{'failures':[" rest "]}")
    BAD(F("{'effect':'fail'}"), "$.function.failures[0].match: missing required key (expected an object)");
    BAD(F("{'match':{}}"), "$.function.failures[0].match: expected exactly one of: key, data_contains, message_id, "
        "probability, from and to, all");
    BAD(F("{'match':{'key':'a','probability':0.5}}"), "$.function.failures[0].match: expected exactly one of");
    BAD(F("{'match':{'probability':1.5}}"), "$.function.failures[0].match.probability: expected a number from 0 to 1, got 1.5");
    BAD(F("{'match':{'from':'5m','to':'5m'}}"), "$.function.failures[0].match.to: expected a time after from");
    BAD(F("{'match':{'from':'5m'}}"), "$.function.failures[0].match.to: missing required key (expected a duration from 0s to 100000d)");
    BAD(F("{'match':{'all':false}}"), "$.function.failures[0].match.all: expected true, got false");
    BAD(F("{'match':{'message_id':0}}"), "$.function.failures[0].match.message_id: expected an integer from 1 to "
        "9007199254740991 (2^53 - 1), got 0");
    BAD(F("{'match':{'data_contains':''}}"), "$.function.failures[0].match.data_contains: expected a non-empty string");
    BAD(F("{'match':{'all':true},'effect':'slow'}"),
        "$.function.failures[0].extra: missing required key (expected a distribution object, or a duration");
    BAD(F("{'match':{'all':true},'effect':'fail','extra':'1s'}"), "$.function.failures[0].extra: only with effect \"slow\"");
    BAD(F("{'match':{'all':true},'effect':'crash'}"), "$.function.failures[0].effect: expected \"fail\" or \"slow\", got \"crash\"");
    BAD(WITH("'function':{'report':'first'}"), "$.function.report: expected one of \"throw\", \"first-failure\", "
        "\"all-failures\", \"all-failures-no-raise\", \"empty-identifier\", \"wrong-key\", \"wrong-list-key\", "
        "\"unknown-sequence\", got \"first\"");
    BAD(WITH("'function':{'handler':{'command':[]}}"), "$.function.handler.command: expected a non-empty array of non-empty strings");
    BAD(WITH("'function':{'handler':{'cmd':['node']}}"), "$.function.handler.cmd: unknown key (expected one of: "
        "command, instances, env, cwd, wall_timeout, init_timeout, duration)");
    BAD(WITH("'expect':[]"), "$.expect: expected an object, got an array");
    BAD(WITH("'stream':{'reshard':[{'at':'1m'}]}"),
        "$.stream.reshard[0]: expected exactly one of: split, merge, target_shard_count");
    BAD(WITH("'stream':{'reshard':[{'at':'1m','split':'shard-1'}]}"),
        "$.stream.reshard[0].split: expected a shard id such as \"shardId-000000000001\", got \"shard-1\"");
    BAD(WITH("'stream':{'reshard':[{'at':'1m','split':'dddddddddddddddddddd'}]}"),
        "$.stream.reshard[0].split: expected a shard id such as \"shardId-000000000001\"");
    BAD(WITH("'stream':{'reshard':[{'at':'1m','merge':['shardId-000000000000']}]}"),
        "$.stream.reshard[0].merge: expected two shard ids");
    BAD(WITH("'schedule':[{'at':'1m','update_mapping':{'BatchSise':5}}]"),
        "$.schedule[0].update_mapping.BatchSise: unknown key (expected one of: BatchSize,");
    BAD(WITH("'schedule':[{'at':'1m','update_mapping':{'BatchSize':0}}]"),
        "$.schedule[0].update_mapping.BatchSize: expected an integer from 1 to 10000, got 0");
    BAD(WITH("'schedule':[{'at':'1m','update_mapping':{'StartingPosition':'LATEST'}}]"),
        "$.schedule[0].update_mapping.StartingPosition: fixed when the mapping is created");
#undef P
#undef F
}

/* R7, R8 and the report styles of SPEC 1.5 are simulated: accepted. */
static void test_failure_handling_accepted(void)
{
    struct scenario *s = parse(ESM_WITH("'BisectBatchOnFunctionError':true,"
                                        "'FunctionResponseTypes':['ReportBatchItemFailures']"), NULL, 0);
    CHECK(s && s->cfg.mapping.bisect_on_error && s->cfg.mapping.report_batch_item_failures);
    scn_free(s);
    static const struct { const char *name; enum cfg_report style; } styles[] = {
        { "throw", CFG_REPORT_THROW }, { "first-failure", CFG_REPORT_FIRST_FAILURE },
        { "all-failures", CFG_REPORT_ALL_FAILURES },
        { "all-failures-no-raise", CFG_REPORT_ALL_FAILURES_NO_RAISE },   /* issue 11 item 3 */
        { "empty-identifier", CFG_REPORT_EMPTY_IDENTIFIER },
        { "wrong-key", CFG_REPORT_WRONG_KEY }, { "wrong-list-key", CFG_REPORT_WRONG_LIST_KEY },
        { "unknown-sequence", CFG_REPORT_UNKNOWN_SEQUENCE },
    };
    for (size_t i = 0; i < sizeof styles / sizeof styles[0]; i++) {
        char set[64];
        snprintf(set, sizeof set, "function.report=%s", styles[i].name);
        const char *sets[] = { set };
        s = parse(WITH("'function':{}"), sets, 1);
        CHECK(s && s->cfg.function.report == styles[i].style);
        if (!s)
            fprintf(stderr, "%s\n", err);
        scn_free(s);
    }
}

/* R16: each schedule entry holds the whole configuration from then on: the
 * previous one with the update's keys replaced. */
static void test_schedule(void)
{
    struct scenario *s = parse(HEAD "'event_source_mapping':{'StartingPosition':'TRIM_HORIZON',"
        "'BatchSize':50,'MaximumRetryAttempts':3},"
        "'function':{'name':'f','timeout':'10s','duration':{'per_invoke':'40ms'}},"
        "'model':{'mapping_update_delay':'5s'},"
        "'schedule':[{'at':'10m','update_mapping':{'BatchSize':500}},"
        "{'at':'20m','update_function':{'failures':[{'match':{'probability':1}}],'reserved_concurrency':2}},"
        "{'at':'20m','update_mapping':{'Enabled':false,'ParallelizationFactor':4}}]}", NULL, 0);
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK_INT(s->cfg.model.mapping_update_delay_us, 5000000);
    CHECK_INT(s->cfg.n_schedule, 3);
    const struct cfg_change *ch = s->cfg.schedule;
    CHECK_INT(ch[0].at_us, 600000000);
    CHECK(ch[0].function == NULL && ch[0].mapping != NULL);
    CHECK_INT(ch[0].mapping->batch_size, 500);
    CHECK_INT(ch[0].mapping->max_retry_attempts, 3);        /* kept */
    CHECK_INT(ch[0].mapping->starting_position, CFG_START_TRIM_HORIZON);
    CHECK(ch[0].mapping->enabled);
    CHECK(ch[1].mapping == NULL && ch[1].function != NULL);
    CHECK_INT(ch[1].function->n_failures, 1);
    CHECK_INT(ch[1].function->reserved_concurrency, 2);
    CHECK_INT(ch[1].function->timeout_us, 10000000);       /* kept */
    CHECK_INT(ch[1].function->per_invoke.value, 40000);     /* kept */
    CHECK_STR(ch[1].function->name, "f");
    CHECK(!ch[2].mapping->enabled);
    CHECK_INT(ch[2].mapping->batch_size, 500);              /* from the first update */
    CHECK_INT(ch[2].mapping->parallelization_factor, 4);
    CHECK_INT(s->cfg.mapping.batch_size, 50);                   /* the start is untouched */
    scn_free(s);

    BAD(WITH("'schedule':[{'at':'10m','update_mapping':{'BatchSize':0}}]"),
        "$.schedule[0].update_mapping.BatchSize: expected an integer from 1 to 10000, got 0");
    BAD(WITH("'schedule':[{'at':'10m','update_mapping':{'StartingPosition':'LATEST'}}]"),
        "$.schedule[0].update_mapping.StartingPosition: fixed when the mapping is created");
    BAD(WITH("'schedule':[{'at':'10m','update_mapping':{'UUID':'x'}}]"),
        "$.schedule[0].update_mapping.UUID: unknown key");
    BAD(WITH("'schedule':[{'at':'10m','update_function':{'name':'g'}}]"),
        "$.schedule[0].update_function.name: unknown key");
    BAD(WITH("'schedule':[{'at':'10m','update_function':{'timeout':'0s'}}]"),
        "$.schedule[0].update_function.timeout");
    BAD(WITH("'schedule':[{'at':'10m'}]"),
        "$.schedule[0]: expected update_mapping, update_function or both");
    BAD(WITH("'schedule':[{'at':'10m','update_function':{}},{'at':'5m','update_function':{}}]"),
        "$.schedule[1].at: expected entries in time order: at or after the previous entry's 600.000 s");
}

/* SPEC 1.1 resharding: each operation is checked against the shards it will
 * meet (stm_check_reshard), so a bad id is an error before the run.  The
 * ones that pass are still refused until the mapping follows reshards: the
 * message "not simulated yet" is what shows that they passed. */
#define RESHARD(shards, ops) WITH("'stream':{'shards':" #shards ",'reshard':[" ops "]}")
static void test_reshard(void)
{
    static const struct { const char *json, *want; } cases[] = {
        { RESHARD(4, "{'at':'30m','split':'shardId-000000000001'},{'at':'60m','target_shard_count':8}"), NULL },
        /* ids go on from the last: 1 -> 4, 5; UpdateShardCount 1 -> 2 makes 1, 2 */
        { RESHARD(4, "{'at':'30m','split':'shardId-000000000001'},{'at':'40m','split':'shardId-000000000005'}"), NULL },
        { RESHARD(1, "{'at':'1m','target_shard_count':2},{'at':'2m','merge':['shardId-000000000002','shardId-000000000001']},"
                     "{'at':'3m','split':'shardId-000000000003'}"), NULL },
        { RESHARD(1, "{'at':'1m','target_shard_count':2},{'at':'2m','split':'shardId-000000000003'}"),
          "t.json: $.stream.reshard[1].split: shardId-000000000003 does not exist at 120.000 s "
          "(the stream has shardId-000000000000 to shardId-000000000002 then)" },
        { RESHARD(4, "{'at':0,'split':'shardId-000000000004'}"),
          "t.json: $.stream.reshard[0].split: shardId-000000000004 does not exist at 0.000 s "
          "(the stream has shardId-000000000000 to shardId-000000000003 then)" },
        { RESHARD(4, "{'at':'30m','split':'shardId-000000000001'},{'at':'40m','split':'shardId-000000000001'}"),
          "t.json: $.stream.reshard[1].split: shardId-000000000001 is closed at 2400.000 s: "
          "an earlier reshard replaced it" },
        /* the same instant: file order */
        { RESHARD(2, "{'at':'1m','split':'shardId-000000000000'},{'at':'1m','merge':['shardId-000000000000','shardId-000000000001']}"),
          "t.json: $.stream.reshard[1].merge: shardId-000000000000 is closed at 60.000 s" },
        { RESHARD(2, "{'at':'1m','split':'shardId-000000000000'},{'at':'1m','merge':['shardId-000000000003','shardId-000000000001']}"), NULL },
        /* NewStartingHashKey: above the parent's first key, at most its last */
        { RESHARD(2, "{'at':'1m','split':'shardId-000000000000','hash_key':'170141183460469231731687303715884105727'}"), NULL },
        { RESHARD(2, "{'at':'1m','split':'shardId-000000000000','hash_key':'1'}"), NULL },
        { RESHARD(2, "{'at':'1m','split':'shardId-000000000000','hash_key':'0'}"),
          "t.json: $.stream.reshard[0].hash_key: expected a hash key > 0 and <= "
          "170141183460469231731687303715884105727 (the range of shardId-000000000000 at 60.000 s), got 0" },
        { RESHARD(2, "{'at':'1m','split':'shardId-000000000001','hash_key':'340282366920938463463374607431768211456'}"),
          "t.json: $.stream.reshard[0].hash_key: expected a hash key > 170141183460469231731687303715884105728 "
          "and <= 340282366920938463463374607431768211455 (the range of shardId-000000000001 at 60.000 s), "
          "got 340282366920938463463374607431768211456" },
        { RESHARD(2, "{'at':'1m','split':'shardId-000000000000','hash_key':'1'},{'at':'2m','split':'shardId-000000000002'}"),
          "t.json: $.stream.reshard[1].split: shardId-000000000002 owns a single hash key: it cannot be split" },
        { RESHARD(2, "{'at':'1m','merge':['shardId-000000000000','shardId-000000000001'],'hash_key':'5'}"),
          "t.json: $.stream.reshard[0].hash_key: only with split" },
        /* MergeShards: two different, adjacent, open shards */
        { RESHARD(4, "{'at':'1m','merge':['shardId-000000000002','shardId-000000000001']}"), NULL },
        { RESHARD(4, "{'at':'1m','merge':['shardId-000000000000','shardId-000000000002']}"),
          "t.json: $.stream.reshard[0].merge: shardId-000000000000 and shardId-000000000002 are not "
          "adjacent at 60.000 s: their hash-key ranges do not touch" },
        { RESHARD(4, "{'at':'1m','merge':['shardId-000000000001','shardId-000000000001']}"),
          "t.json: $.stream.reshard[0].merge: expected two different shard ids, got an array" },
        { RESHARD(4, "{'at':'1m','merge':['shardId-000000000003','shardId-000000000009']}"),
          "t.json: $.stream.reshard[0].merge: shardId-000000000009 does not exist at 60.000 s" },
        /* UpdateShardCount: at most double, at least half the open shards */
        { RESHARD(4, "{'at':'1m','target_shard_count':2}"), NULL },
        { RESHARD(4, "{'at':'1m','target_shard_count':9}"),
          "t.json: $.stream.reshard[0].target_shard_count: expected 2 to 8 (at most double and at least "
          "half the 4 shards open at 60.000 s), got 9" },
        { RESHARD(4, "{'at':'1m','target_shard_count':1}"),
          "t.json: $.stream.reshard[0].target_shard_count: expected 2 to 8" },
        { RESHARD(4, "{'at':'1m','split':'shardId-000000000000'},{'at':'2m','target_shard_count':11}"),
          "t.json: $.stream.reshard[1].target_shard_count: expected 3 to 10 (at most double and at least "
          "half the 5 shards open at 120.000 s), got 11" },
        { RESHARD(5000, "{'at':'1m','target_shard_count':10000}"), NULL },
        /* ... and 10 calls in a rolling 24 hours */
#define TEN "{'at':'1h','target_shard_count':2},{'at':'2h','target_shard_count':1},{'at':'3h','target_shard_count':2}," \
            "{'at':'4h','target_shard_count':1},{'at':'5h','target_shard_count':2},{'at':'6h','target_shard_count':1}," \
            "{'at':'7h','target_shard_count':2},{'at':'8h','target_shard_count':1},{'at':'9h','target_shard_count':2}," \
            "{'at':'10h','target_shard_count':1}"
        { RESHARD(1, TEN ",{'at':'25h','target_shard_count':2}"), NULL },
        { RESHARD(1, TEN ",{'at':'24h','target_shard_count':2}"),
          "t.json: $.stream.reshard[10].target_shard_count: an 11th UpdateShardCount within 24 hours: "
          "AWS allows 10 in any rolling 24 hours" },
#undef TEN
        /* time order, as in the schedule */
        { RESHARD(4, "{'at':'1h','target_shard_count':2},{'at':'30m','split':'shardId-000000000000'}"),
          "t.json: $.stream.reshard[1].at: expected entries in time order: at or after the previous "
          "entry's 3600.000 s" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].want) {
            bad_set(__LINE__, cases[i].json, NULL, 0, cases[i].want);
            continue;
        }
        struct scenario *s = parse(cases[i].json, NULL, 0);
        if (!s)
            fprintf(stderr, "test_scenario.c: reshard case %zu refused: %s\n", i, err);
        CHECK(s != NULL);
        scn_free(s);
    }
    /* through --set, the message names the override */
    const char *set[] = { "stream.reshard=[{\"at\":\"1m\",\"split\":\"shardId-000000000001\"}]" };
    bad_set(__LINE__, WITH("'stream':{}"), set, 1, "t.json: --set stream.reshard=[{\"at\":\"1m\",\"split\":"
            "\"shardId-000000000001\"}]: $.stream.reshard[0].split: shardId-000000000001 does not exist");
}
#undef RESHARD

/* ---- DynamoDB Streams (SPEC 1.2) ----------------------------------------- */

#define DDB(keys) WITH("'stream':{'type':'dynamodb'" keys "}")
#define DDB_WITH(rest) WITH("'stream':{'type':'dynamodb'}," rest)

/* SPEC 1.2 scenario keys: table, view_type, shard_lifetime, shards,
 * other_consumers; retention fixed at 24 h; what a table is in place of the
 * Kinesis settings; the stream ARN with DynamoDB's label; 4 polls a second;
 * producers writing items, with remove_share; records with their event. */
static void test_dynamodb(void)
{
    struct scenario *s = parse(DDB(""), NULL, 0);
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    const struct cfg_stream *st = &s->cfg.stream;
    CHECK_INT(st->type, CFG_STREAM_DYNAMODB);
    CHECK_STR(st->name, "table");
    CHECK_INT(st->shards, 1);
    CHECK_INT(st->retention_us, 24 * 3600 * S);
    CHECK_INT(st->view_type, LEV_DDB_NEW_AND_OLD_IMAGES);
    CHECK_INT(st->shard_lifetime_us, 4 * 3600 * S);
    CHECK_INT(st->rollover_until_us, 3600 * S);   /* the run's duration */
    CHECK_INT(st->other_consumers, 0);
    CHECK_INT(st->consumer, CFG_CONSUMER_SHARED);
    CHECK_INT(st->n_reshard, 0);
    CHECK(st->write_records_per_sec == UINT64_MAX && st->write_bytes_per_sec == UINT64_MAX);
    CHECK_INT(st->max_record_bytes, 409594);       /* 400 KB less "pk" and "data" */
    CHECK_INT(st->max_request_bytes, 409594);
    CHECK_INT(st->max_request_records, 1);
    CHECK(st->internal_failure_rate == 0);
    CHECK_INT(s->cfg.model.poll_interval_us, 250 * MS);   /* R1: 4 polls a second */
    CHECK_STR(s->cfg.mapping.event_source_arn,
              "arn:aws:dynamodb:us-east-1:123456789012:table/table/stream/2026-01-01T00:00:00.000");
    scn_free(s);

    s = parse(HEAD "'stream':{'type':'dynamodb','table':'orders.v2','view_type':'KEYS_ONLY',"
              "'shard_lifetime':'6h','shards':4,'other_consumers':2,'retention':86400},"
              "'model':{'poll_interval':'1s','region':'eu-west-1','account':'111122223333',"
              "'start_time':'2026-03-04T05:06:07.089Z'},"
              "'producers':[{'name':'p','rate':10,'keys':{'count':5},'table':{'remove_share':0.1}},"
              "{'name':'q','rate':1,'keys':{'count':5}}],"
              "'records':[{'at':'1m','partition_key':'k','event':'REMOVE'},{'at':'2m','partition_key':'k'}],"
              ESM "}", NULL, 0);
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    st = &s->cfg.stream;
    CHECK_STR(st->name, "orders.v2");
    CHECK_INT(st->view_type, LEV_DDB_KEYS_ONLY);
    CHECK_INT(st->shard_lifetime_us, 6 * 3600 * S);
    CHECK_INT(st->shards, 4);
    CHECK_INT(st->other_consumers, 2);
    CHECK_INT(s->cfg.model.poll_interval_us, 1 * S);   /* given: kept */
    CHECK_STR(s->cfg.mapping.event_source_arn,
              "arn:aws:dynamodb:eu-west-1:111122223333:table/orders.v2/stream/2026-03-04T05:06:07.089");
    const struct cfg_producer *p = &s->cfg.producers[0];
    CHECK(p->remove_share == 0.1);
    CHECK_INT(p->api, CFG_PUT_RECORD);
    CHECK_INT(p->max_records, 1);
    CHECK_INT(p->linger_us, 0);
    CHECK_INT(p->retry.mode, CFG_RETRY_NONE);
    CHECK_INT(p->retry.max_attempts, 1);
    CHECK(s->cfg.producers[1].remove_share == 0);
    CHECK(s->cfg.records[0].has_event && s->cfg.records[0].event == LEV_DDB_REMOVE);
    CHECK(!s->cfg.records[1].has_event);
    scn_free(s);

    /* a Kinesis stream is unchanged by the DynamoDB keys' existence */
    s = parse(WITH("'records':[{'at':'1m','partition_key':'k'}]"), NULL, 0);
    CHECK(s && !s->cfg.records[0].has_event && s->cfg.stream.shard_lifetime_us == 0);
    scn_free(s);

    static const struct { const char *json, *want; } cases[] = {
        { DDB(",'retention':'48h'"),
          "t.json: $.stream.retention: expected \"24h\" (DynamoDB Streams keep records 24 hours), got \"48h\"" },
        { DDB(",'retention':'1x'"), "t.json: $.stream.retention: expected a duration from 0s to 100000d (a number of seconds" },
        { DDB(",'view_type':'NEW'"),
          "t.json: $.stream.view_type: expected one of \"NEW_AND_OLD_IMAGES\", \"NEW_IMAGE\", \"OLD_IMAGE\", "
          "\"KEYS_ONLY\", got \"NEW\"" },
        { DDB(",'table':'ab'"),
          "t.json: $.stream.table: expected a table name (3 to 255 letters, digits, -, _ or .), got \"ab\"" },
        { DDB(",'table':'a b c'"), "t.json: $.stream.table: expected a table name" },
        { DDB(",'table':7"), "t.json: $.stream.table: expected a table name (3 to 255 letters, digits, -, _ or .), got 7" },
        { DDB(",'shard_lifetime':'30s'"),
          "t.json: $.stream.shard_lifetime: expected a duration from 1m to 100000d, got \"30s\"" },
        { DDB(",'shard_lifetime':true"), "t.json: $.stream.shard_lifetime: expected a duration from 1m to 100000d, got true" },
        { DDB(",'shard_lifetime':'100001d'"), "t.json: $.stream.shard_lifetime: expected a duration from 1m to 100000d (a number of seconds" },
        { DDB(",'shards':10000,'shard_lifetime':'1m'"),
          "t.json: $.stream.shard_lifetime: expected a lifetime that keeps the run within 100000 shards: "
          "10000 shards rolling over every 1m for 1h make 600000" },
        { DDB(",'shards':0"), "t.json: $.stream.shards: expected an integer from 1 to 10000, got 0" },
        { HEAD "'stream':{'type':'dynamodb'},'event_source_mapping':{'StartingPosition':'AT_TIMESTAMP',"
          "'StartingPositionTimestamp':'10m'}}", "t.json: $.event_source_mapping.StartingPosition: expected "
          "\"TRIM_HORIZON\" or \"LATEST\" (AT_TIMESTAMP is for Kinesis streams, not DynamoDB Streams), got "
          "\"AT_TIMESTAMP\"" },
        { DDB(",'other_consumers':5"), "t.json: $.stream.other_consumers: expected an integer from 0 to 4, got 5" },
        { DDB(",'view_typ':'KEYS_ONLY'"), "t.json: $.stream.view_typ: unknown key (expected one of: type, name, "
          "shards, retention, consumer, other_consumers, reshard, limits, internal_failure_rate, capacity_mode, "
          "table, view_type, shard_lifetime); did you mean view_type?" },
        /* Kinesis-only keys */
        { DDB(",'name':'orders'"), "t.json: $.stream.name: only with stream type \"kinesis\": a DynamoDB stream "
          "is named by its table (table)" },
        { DDB(",'consumer':'shared'"), "t.json: $.stream.consumer: only with stream type \"kinesis\": DynamoDB "
          "Streams have no enhanced fan-out" },
        { DDB(",'reshard':[]"), "t.json: $.stream.reshard: only with stream type \"kinesis\": a DynamoDB table's "
          "shards roll over by themselves (shard_lifetime)" },
        { DDB(",'limits':{'write_records_per_sec':5}"), "t.json: $.stream.limits: only with stream type "
          "\"kinesis\": a DynamoDB table is on demand: it takes every write, of items up to 400 KB" },
        { DDB(",'internal_failure_rate':0.1"), "t.json: $.stream.internal_failure_rate: only with stream type "
          "\"kinesis\": writes to a DynamoDB table do not fail in this model" },
        /* DynamoDB-only keys */
        { WITH("'stream':{'table':'orders'}"), "t.json: $.stream.table: only with stream type \"dynamodb\": a "
          "Kinesis stream has a name (name)" },
        { WITH("'stream':{'view_type':'KEYS_ONLY'}"), "t.json: $.stream.view_type: only with stream type "
          "\"dynamodb\": a Kinesis stream keeps the records as they are written" },
        { WITH("'stream':{'type':'kinesis','shard_lifetime':'4h'}"), "t.json: $.stream.shard_lifetime: only with "
          "stream type \"dynamodb\": Kinesis shards change only by reshard" },
        /* producers and records */
        { DDB_WITH("'producers':[{'name':'p','rate':1,'keys':{'count':2},'put':{'api':'PutRecord'}}]"),
          "t.json: $.producers[0].put: only with stream type \"kinesis\": a DynamoDB table's items are written "
          "one at a time, at once (PutItem, UpdateItem, DeleteItem)" },
        { WITH("'producers':[{'name':'p','rate':1,'keys':{'count':2},'table':{'remove_share':0.5}}]"),
          "t.json: $.producers[0].table: only with stream type \"dynamodb\": a Kinesis stream has no items to remove" },
        { DDB_WITH("'producers':[{'name':'p','rate':1,'keys':{'count':2},'table':{'remove_share':1.5}}]"),
          "t.json: $.producers[0].table.remove_share: expected a number from 0 to 1, got 1.5" },
        { DDB_WITH("'producers':[{'name':'p','rate':1,'keys':{'count':2},'table':{'remove':0.5}}]"),
          "t.json: $.producers[0].table.remove: unknown key (expected one of: remove_share)" },
        { DDB_WITH("'producers':[{'name':'p','rate':1,'keys':{'count':2},'table':0.5}]"),
          "t.json: $.producers[0].table: expected an object, got 0.5" },
        { WITH("'records':[{'at':'1m','partition_key':'k','event':'INSERT'}]"),
          "t.json: $.records[0].event: only with stream type \"dynamodb\": a Kinesis record has no event name" },
        { DDB_WITH("'records':[{'at':'1m','partition_key':'k','event':'DELETE'}]"),
          "t.json: $.records[0].event: expected one of \"INSERT\", \"MODIFY\", \"REMOVE\", got \"DELETE\"" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        bad_set(__LINE__, cases[i].json, NULL, 0, cases[i].want);

    /* an explicit item of more than 400 KB, names and key included */
    static const char head[] = "{\"name\":\"t\",\"duration\":\"1h\",\"stream\":{\"type\":\"dynamodb\"},"
                               "\"event_source_mapping\":{\"StartingPosition\":\"LATEST\"},"
                               "\"records\":[{\"at\":1,\"partition_key\":\"k\",\"data\":\"";
    char *text = malloc(sizeof head + 409594 + 8);
    for (size_t data = 409593; text && data <= 409594; data++) {
        memcpy(text, head, sizeof head - 1);
        memset(text + sizeof head - 1, 'x', data);
        strcpy(text + sizeof head - 1 + data, "\"}]}");
        s = scn_parse("t.json", text, NULL, 0, err, sizeof err);
        CHECK(data == 409593 ? s != NULL : s == NULL);
        scn_free(s);
    }
    free(text);
    CHECK_STR(err, "t.json: $.records[0].data: 409595 bytes with the item's key, over DynamoDB's 400 KB "
              "item limit (409600 bytes with the attribute names \"pk\" and \"data\")");
}
#undef DDB
#undef DDB_WITH

/* Parsed and validated, then refused: never silently ignored. */
static void test_unsimulated(void)
{
    BAD(HEAD "'event_source_mapping':{'StartingPosition':'LATEST','TumblingWindowInSeconds':60},"
        "'schedule':[{'at':'1m','update_mapping':{'TumblingWindowInSeconds':120}}]}",
        "$.schedule: a scheduled change of TumblingWindowInSeconds, or of ParallelizationFactor with "
        "tumbling windows, is not simulated yet");
    BAD(HEAD "'event_source_mapping':{'StartingPosition':'LATEST','TumblingWindowInSeconds':60,"
        "'ParallelizationFactor':2},'schedule':[{'at':'1m','update_mapping':{'ParallelizationFactor':4}}]}",
        "$.schedule: a scheduled change of TumblingWindowInSeconds, or of ParallelizationFactor with "
        "tumbling windows, is not simulated yet");
    /* windows with lanes are simulated, and so is a schedule that keeps both */
    struct scenario *lanes = parse(HEAD "'event_source_mapping':{'StartingPosition':'LATEST',"
                                   "'TumblingWindowInSeconds':60,'ParallelizationFactor':2},"
                                   "'schedule':[{'at':'1m','update_mapping':{'BatchSize':5}}]}", NULL, 0);
    CHECK(lanes != NULL);
    scn_free(lanes);
    BAD(ESM_WITH("'FilterCriteria':{'Filters':[{'Pattern':'{}'}]}"),
        "$.event_source_mapping.FilterCriteria: event filtering (FilterCriteria.Filters) is not simulated yet");
    BAD(ESM_WITH("'DestinationConfig':{'OnFailure':{'Destination':'arn:aws:s3:::my-bucket'}}"),
        "$.event_source_mapping.DestinationConfig.OnFailure.Destination: an S3 OnFailure destination is not simulated yet");
    /* in a schedule entry: refused at its own path (it was named as the mapping's); and
     * an S3 destination is refused whatever a later entry sets (one SQS destination
     * later let the S3 one be used until then) */
    BAD(HEAD "'event_source_mapping':{'StartingPosition':'TRIM_HORIZON'},'schedule':[{'at':'1s',"
        "'update_mapping':{'DestinationConfig':{'OnFailure':{'Destination':'arn:aws:s3:::my-bucket'}}}}]}",
        "$.schedule[0].update_mapping.DestinationConfig.OnFailure.Destination: an S3 OnFailure "
        "destination is not simulated yet");
    BAD(HEAD "'event_source_mapping':{'StartingPosition':'TRIM_HORIZON','DestinationConfig':{'OnFailure':"
        "{'Destination':'arn:aws:s3:::my-bucket'}}},'schedule':[{'at':'1s','update_mapping':"
        "{'DestinationConfig':{'OnFailure':{'Destination':'arn:aws:sqs:us-east-1:123456789012:dlq'}}}}]}",
        "$.event_source_mapping.DestinationConfig.OnFailure.Destination: an S3 OnFailure destination "
        "is not simulated yet");
    BAD(HEAD "'event_source_mapping':{'StartingPosition':'TRIM_HORIZON'},'schedule':[{'at':'1s',"
        "'update_mapping':{'FilterCriteria':{'Filters':[{'Pattern':'{}'}]}}}]}",
        "$.schedule[0].update_mapping.FilterCriteria: event filtering (FilterCriteria.Filters) is not "
        "simulated yet");
    /* a typo inside an unsimulated feature is still a typo */
    BAD(ESM_WITH("'FilterCriteria':{'Filters':[{'Pattern':'{}'}]},'Bisect':true"),
        "$.event_source_mapping.Bisect: unknown key");
    /* through --set, the message names the override */
    const char *set[] = { "event_source_mapping.FilterCriteria={\"Filters\":[{\"Pattern\":\"{}\"}]}" };
    bad_set(__LINE__, MIN, set, 1, "--set event_source_mapping.FilterCriteria={\"Filters\":[{\"Pattern\":\"{}\"}]}: "
            "$.event_source_mapping.FilterCriteria: event filtering (FilterCriteria.Filters) is not simulated yet");
    /* empty reshard and schedule lists, and empty Filters, are fine */
    struct scenario *s = parse(WITH("'stream':{'reshard':[]},'schedule':[],'expect':{}"), NULL, 0);
    CHECK(s != NULL);
    scn_free(s);
    s = parse(ESM_WITH("'FilterCriteria':{'Filters':[]}"), NULL, 0);
    CHECK(s != NULL);
    scn_free(s);
}

/* ---- files -------------------------------------------------------------- */

/* function.handler (issue 12, SPEC section 4): every key, its defaults, cwd
 * from the scenario file's folder, and the model keys a handler refuses. */
static void test_handler(void)
{
    struct scenario *s = parse(WITH("'function':{'handler':{'command':['python3','boot','app.handler']}}"),
                               NULL, 0);
    CHECK(s && s->cfg.function.handler);
    if (s && s->cfg.function.handler) {
        const struct cfg_handler *h = s->cfg.function.handler;
        CHECK_STR(h->command[0], "python3");
        CHECK_STR(h->command[2], "app.handler");
        CHECK(h->command[3] == NULL);
        CHECK_INT(h->instances, 1);
        CHECK(h->env && h->env[0] == NULL);
        CHECK_STR(h->cwd, ".");             /* t.json has no folder */
        CHECK_INT(h->wall_timeout_us, 0);   /* 5 x the function timeout */
        CHECK_INT(h->init_timeout_us, 0);   /* 10 s, AWS's Init limit */
        CHECK(!h->measured);
    }
    scn_free(s);
    s = scn_parse("/some/dir/s.json", dq(WITH("'function':{'timeout':'10s','handler':{'command':['node','a.mjs'],"
                                               "'instances':4,'env':{'A':'1','B_2':'x=y'},'cwd':'src',"
                                               "'wall_timeout':'90s','init_timeout':'2m','duration':'measured'}}")),
                  NULL, 0, err, sizeof err);
    CHECK(s && s->cfg.function.handler);
    if (s && s->cfg.function.handler) {
        const struct cfg_handler *h = s->cfg.function.handler;
        CHECK_INT(h->instances, 4);
        CHECK_STR(h->env[0], "A=1");
        CHECK_STR(h->env[1], "B_2=x=y");
        CHECK(h->env[2] == NULL);
        CHECK_STR(h->cwd, "/some/dir/src");  /* relative: from the scenario's folder */
        CHECK_INT(h->wall_timeout_us, 90 * S);
        CHECK_INT(h->init_timeout_us, 120 * S);
        CHECK(h->measured);
    }
    scn_free(s);
    s = scn_parse("rel/s.json", dq(WITH("'function':{'handler':{'command':['x'],'cwd':'/abs'}}")), NULL, 0,
                  err, sizeof err);
    CHECK(s && s->cfg.function.handler && !strcmp(s->cfg.function.handler->cwd, "/abs"));
    scn_free(s);
    s = scn_parse("rel/s.json", dq(WITH("'function':{'handler':{'command':['x']}}")), NULL, 0, err, sizeof err);
    CHECK(s && s->cfg.function.handler && !strcmp(s->cfg.function.handler->cwd, "rel/."));
    scn_free(s);
    /* slow rules still lengthen the modelled duration */
    s = parse(WITH("'function':{'handler':{'command':['x']},'failures':[{'match':{'all':true},"
                   "'effect':'slow','extra':'1s'}]}"), NULL, 0);
    CHECK(s != NULL);
    scn_free(s);
    BAD(WITH("'function':{'handler':{'command':['x'],'instances':0}}"),
        "$.function.handler.instances: expected an integer from 1 to 256, got 0");
    BAD(WITH("'function':{'handler':{'command':['x'],'instances':257}}"), "$.function.handler.instances");
    BAD(WITH("'function':{'handler':{'command':['x'],'env':{'A':1}}}"),
        "$.function.handler.env.A: expected a string, got 1");
    BAD(WITH("'function':{'handler':{'command':['x'],'env':{'A=B':'1'}}}"),
        "$.function.handler.env[\"A=B\"]: expected a variable name (not empty, without '=')");
    BAD(WITH("'function':{'handler':{'command':['x'],'env':[]}}"), "$.function.handler.env: expected an object");
    /* docs/scenario.md, Strict: a key given twice is an error; in env too, where the
     * program would see only the first value (it was accepted) */
    BAD(WITH("'function':{'handler':{'command':['x'],'env':{'A':'1','B':'2','A':'3'}}}"),
        "$.function.handler.env.A: duplicate key");
    BAD(WITH("'function':{'handler':{'command':['x'],'duration':'wall'}}"),
        "$.function.handler.duration: expected \"model\" or \"measured\", got \"wall\"");
    BAD(WITH("'function':{'handler':{'command':['x'],'wall_timeout':0}}"), "$.function.handler.wall_timeout");
    BAD(WITH("'function':{'handler':{'command':['x'],'init_timeout':0}}"),
        "$.function.handler.init_timeout: expected a duration from 1ms to 100000d, got 0");
    BAD(WITH("'function':{'handler':{'command':['x'],'init_timeout':'0.5ms'}}"),
        "$.function.handler.init_timeout: expected a duration from 1ms to 100000d, got \"0.5ms\"");
    BAD(WITH("'function':{'handler':{'command':['x'],'init_timeout':true}}"),
        "$.function.handler.init_timeout: expected a duration from 1ms to 100000d, got true");
    BAD(WITH("'function':{'handler':{'command':['x'],'init_timeout':'10 parsecs'}}"),
        "$.function.handler.init_timeout: expected a duration from 1ms to 100000d (a number of seconds, or a "
        "string such as \"250ms\", \"90s\", \"15m\", \"2h\", \"1d\"), got \"10 parsecs\"");
    BAD(WITH("'function':{'handler':{'command':['x'],'cwd':''}}"), "$.function.handler.cwd: expected a non-empty string");
    BAD(WITH("'function':{'handler':{'command':['x']},'report':'first-failure'}"),
        "$.function.report: not with a handler: the handler's own response says what failed (R7)");
    BAD(WITH("'function':{'handler':{'command':['x']},'returns_state':false}"),
        "$.function.returns_state: not with a handler");
    BAD(WITH("'function':{'handler':{'command':['x']},'failures':[{'match':{'all':true},'effect':'slow',"
             "'extra':'1s'},{'match':{'key':'k'}}]}"),
        "$.function.failures[1]: a rule of effect \"fail\" with a handler");
    BAD(WITH("'function':{'handler':{'command':['x'],'duration':'measured'},'duration':{'per_invoke':'1s'}}"),
        "$.function.duration: not with handler.duration \"measured\"");
    BAD(WITH("'function':{'handler':{'command':['x'],'duration':'measured'},'cold_start':0}"),
        "$.function.cold_start: not with handler.duration \"measured\"");
    /* a scheduled change of the function keeps the handler, and its refusals */
    BAD(WITH("'function':{'handler':{'command':['x']}},'schedule':[{'at':'1m','update_function':"
             "{'failures':[{'match':{'all':true}}]}}]"), "a rule of effect \"fail\" with a handler");
}

static void test_files(void)
{
    struct scenario *s = scn_load(SRCDIR "/tests/data/no-such-file.json", NULL, 0, err, sizeof err);
    CHECK(s == NULL);
    CHECK_CONTAINS(err, "/tests/data/no-such-file.json: cannot read: No such file or directory");
    s = scn_load(SRCDIR "/tests", NULL, 0, err, sizeof err);
    CHECK(s == NULL);
    CHECK_CONTAINS(err, "/tests: cannot read: not a regular file (a directory)");

    s = parse("{'name':'t',\n  'duration': '1h'\n  'stream': {}}", NULL, 0);
    CHECK(s == NULL);
    CHECK_CONTAINS(err, "t.json: invalid JSON at line 3, column 3 (near `  \"stream\": {}}`)");
    s = parse("{'name':'t',", NULL, 0);
    CHECK(s == NULL);
    CHECK_CONTAINS(err, "t.json: invalid JSON at line 1, column 13 (unexpected end of input)");
    s = parse("", NULL, 0);
    CHECK(s == NULL);
    CHECK_CONTAINS(err, "t.json: invalid JSON at line 1, column 1");
    s = parse("{'a': {'b': 1, }\n}", NULL, 0);   /* cJSON stops past the '}': reported on it */
    CHECK(s == NULL);
    CHECK_CONTAINS(err, "t.json: invalid JSON at line 1, column 16 (near `\": {\"b\": 1, }`)");
    s = parse(MIN " x", NULL, 0);
    CHECK(s == NULL);
    CHECK_CONTAINS(err, "t.json: invalid JSON at line 1");

    /* the column counts characters, as an editor and the YAML reader do, not bytes */
    s = parse("{'name':'éé',\n 'dé':'ééééé', x}", NULL, 0);
    CHECK(s == NULL);
    CHECK_STR(err, "t.json: invalid JSON at line 2, column 17 (near `\":\"ééééé\", x}`)");

    /* valid JSON nested deeper than cJSON reads was "invalid JSON" and no reason */
    static char deep[2200];
    int n = snprintf(deep, sizeof deep, "{\"name\":\"t\",\"description\":");
    for (int i = 0; i < 1000; i++)
        deep[n++] = '[';
    for (int i = 0; i < 1000; i++)
        deep[n++] = ']';
    deep[n] = '}';
    s = scn_parse("t.json", deep, NULL, 0, err, sizeof err);
    CHECK(s == NULL);
    CHECK_STR(err, "t.json: invalid JSON at line 1, column 1026: arrays and objects nested deeper than 1000, "
              "the most esmsim reads");

    /* the same in a --set value, which was taken as a string (docs/scenario.md, Overrides:
     * the value is JSON when it parses, a string otherwise) */
    n = snprintf(deep, sizeof deep, "description=");
    for (int i = 0; i < 1001; i++)
        deep[n++] = '[';
    for (int i = 0; i < 1001; i++)
        deep[n++] = ']';
    deep[n] = '\0';
    const char *set_deep[] = { deep };
    s = parse(MIN, set_deep, 1);
    CHECK(s == NULL);
    CHECK_CONTAINS(err, "t.json: --set description=[[[[");
    CHECK_CONTAINS(err, "[[...: $.description: invalid JSON at line 1, column 1001: arrays and objects nested "
                   "deeper than 1000, the most esmsim reads");
    scn_free(s);
    deep[n - 1001] = '\0';   /* "[[[...x": not JSON, a string as before */
    deep[n - 1002] = 'x';
    s = parse(MIN, set_deep, 1);
    CHECK(s != NULL);
    scn_free(s);

    /* a NUL byte would make cJSON ignore the rest of the file */
    char nul_path[] = "/tmp/test_scenario_XXXXXX";
    int fd = mkstemp(nul_path);
    CHECK(fd >= 0 && write(fd, "{\"name\":\"t\"}\0junk", 17) == 17);
    if (fd >= 0)
        close(fd);
    s = scn_load(nul_path, NULL, 0, err, sizeof err);
    CHECK(s == NULL);
    CHECK_CONTAINS(err, ": invalid JSON at line 1, column 13 (a NUL byte)");
    unlink(nul_path);

    /* a byte order mark: UTF-8's is ignored, as in every input (RFC 8259 lets a reader); UTF-16
     * and UTF-32 are refused by name rather than as "a NUL byte" */
#define DQ_MIN "{\"name\":\"t\",\"duration\":\"1h\",\"event_source_mapping\":{\"StartingPosition\":\"LATEST\"}}"
    static const struct { const char *text; size_t len; const char *want; } marks[] = {
        { "\xEF\xBB\xBF" DQ_MIN, sizeof "\xEF\xBB\xBF" DQ_MIN - 1, NULL },
        { "\xEF\xBB\xBF{\"name\":", 11, ": invalid JSON at line 1, column 9 (unexpected end of input)" },
        { "\xFE\xFF\0{", 4, ": cannot read: UTF-16 text (it starts with the byte order mark FE FF): esmsim "
          "reads UTF-8 (iconv -f UTF-16 -t UTF-8 converts it)" },
        { "\xFF\xFE\0\0{\0\0\0", 8, ": cannot read: UTF-32 text (it starts with the byte order mark FF FE 00 "
          "00): esmsim reads UTF-8 (iconv -f UTF-32 -t UTF-8 converts it)" },
    };
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
        char path[] = "/tmp/test_scenario_XXXXXX";
        fd = mkstemp(path);
        CHECK(fd >= 0 && write(fd, marks[i].text, marks[i].len) == (ssize_t)marks[i].len);
        if (fd >= 0)
            close(fd);
        s = scn_load(path, NULL, 0, err, sizeof err);
        CHECK((s != NULL) == (marks[i].want == NULL));
        if (marks[i].want)
            CHECK_CONTAINS(err, marks[i].want);
        else if (s)
            CHECK_STR(s->name, "t");
        scn_free(s);
        unlink(path);
    }

    /* a file is named by its path in every message */
    s = scn_load(SRCDIR "/tests/data/bad/unknown-key.json", NULL, 0, err, sizeof err);
    CHECK(s == NULL);
    CHECK_CONTAINS(err, "tests/data/bad/unknown-key.json: $.");

    /* every bundled scenario loads */
    static const char *const bundled[] = {
        "steady-state", "poison-pill", "poison-pill-bounded", "producer-retries", "falls-behind", "latest-start",
    };
    for (size_t i = 0; i < sizeof bundled / sizeof bundled[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, SRCDIR "/scenarios/%s.json", bundled[i]);
        s = scn_load(path, NULL, 0, err, sizeof err);
        if (!s)
            fprintf(stderr, "%s\n", err);
        CHECK(s != NULL);
        CHECK(s && strcmp(s->name, bundled[i]) == 0 && strcmp(s->path, path) == 0);
        scn_free(s);
    }

    /* a small error buffer is never overrun, and a NULL scenario frees */
    char tiny[8];
    s = scn_parse("t.json", "{", NULL, 0, tiny, sizeof tiny);
    CHECK(s == NULL);
    CHECK_INT(strlen(tiny), 7);
    scn_free(NULL);
}

/* ---- issue 14 item 2: on-demand capacity mode -------------------------------- */

/* stream.capacity_mode and the model.on_demand_* keys: AWS's values by
 * default (4 shards; 30 days, 15 minutes, 500 KB/s of 1 MB/s, 200 MB/s and
 * 200,000 records/s) and the model's choices (60 s); every error with its
 * path. */
static void test_on_demand(void)
{
    struct scenario *s = parse(MIN, NULL, 0);
    CHECK(s && s->cfg.stream.capacity_mode == CFG_CAPACITY_PROVISIONED && s->cfg.stream.shards == 1);
    scn_free(s);
    s = parse(WITH("'stream':{'capacity_mode':'ON_DEMAND'}"), NULL, 0);
    CHECK(s != NULL);
    if (s) {
        const struct cfg_on_demand *od = &s->cfg.stream.on_demand;
        CHECK_INT(s->cfg.stream.capacity_mode, CFG_CAPACITY_ON_DEMAND);
        CHECK_INT(s->cfg.stream.shards, 4);
        CHECK_INT(od->peak_window_s, 30 * 86400);
        CHECK_INT(od->scale_window_s, 60);
        CHECK_INT(od->scale_delay_us, 15 * 60 * S);
        CHECK(od->split_threshold == 0.5);
        CHECK_INT(od->max_write_bytes_per_sec, 200 * 1048576);
        CHECK_INT(od->max_write_records_per_sec, 200000);
        scn_free(s);
    }
    s = parse(WITH("'stream':{'capacity_mode':'ON_DEMAND','shards':12},'model':{'on_demand_peak_window':'7d',"
                   "'on_demand_scale_window':'5m','on_demand_scale_delay':'90s','on_demand_split_threshold':0.8,"
                   "'on_demand_max_write_bytes_per_sec':'1GiB','on_demand_max_write_records_per_sec':1000000}"),
              NULL, 0);
    CHECK(s != NULL);
    if (s) {
        const struct cfg_on_demand *od = &s->cfg.stream.on_demand;
        CHECK_INT(s->cfg.stream.shards, 12);
        CHECK_INT(od->peak_window_s, 7 * 86400);
        CHECK_INT(od->scale_window_s, 300);
        CHECK_INT(od->scale_delay_us, 90 * S);
        CHECK(od->split_threshold == 0.8);
        CHECK_INT(od->max_write_bytes_per_sec, 1 << 30);
        CHECK_INT(od->max_write_records_per_sec, 1000000);
        scn_free(s);
    }
    BAD(WITH("'stream':{'capacity_mode':'on-demand'}"),
        "t.json: $.stream.capacity_mode: expected \"PROVISIONED\" or \"ON_DEMAND\", got \"on-demand\"");
    BAD(WITH("'stream':{'type':'dynamodb','capacity_mode':'ON_DEMAND'}"),
        "t.json: $.stream.capacity_mode: only with stream type \"kinesis\": the table is on demand, and its "
        "stream's shards roll over by themselves (shard_lifetime)");
    BAD(WITH("'stream':{'capacity_mode':'ON_DEMAND','reshard':[{'at':'1m','target_shard_count':8}]}"),
        "t.json: $.stream.reshard: only with capacity_mode \"PROVISIONED\": an on-demand stream's shards are "
        "AWS's (SplitShard, MergeShards and UpdateShardCount are for provisioned streams)");
    BAD(WITH("'stream':{'capacity_mode':'ON_DEMAND','shards':201}"),
        "t.json: $.stream.shards: expected an integer from 1 to 200 with capacity_mode \"ON_DEMAND\" (the shards "
        "that model.on_demand_max_write_bytes_per_sec and model.on_demand_max_write_records_per_sec allow), "
        "got 201");
    BAD(WITH("'stream':{'capacity_mode':'ON_DEMAND'},'model':{'on_demand_max_write_records_per_sec':3000}"),
        "t.json: $.stream.shards: expected an integer from 1 to 3 with capacity_mode \"ON_DEMAND\" (the shards "
        "that model.on_demand_max_write_bytes_per_sec and model.on_demand_max_write_records_per_sec allow), "
        "got the default 4");
    BAD(WITH("'stream':{'capacity_mode':'ON_DEMAND','limits':{'write_records_per_sec':300000}}"),
        "t.json: $.stream: model.on_demand_max_write_bytes_per_sec (209715200) and "
        "model.on_demand_max_write_records_per_sec (200000) allow no shard of limits 1048576 bytes and 300000 "
        "records a second");
    BAD(WITH("'model':{'on_demand_scale_window':'1500ms'}"),
        "t.json: $.model.on_demand_scale_window: expected a whole number of seconds, got \"1500ms\"");
    BAD(WITH("'model':{'on_demand_scale_window':'2h'}"),
        "t.json: $.model.on_demand_scale_window: expected a duration from 1s to 1h, got \"2h\"");
    BAD(WITH("'model':{'on_demand_peak_window':0}"),
        "t.json: $.model.on_demand_peak_window: expected a duration from 1s to 8760h, got 0");
    BAD(WITH("'model':{'on_demand_scale_delay':'-1s'}"), "t.json: $.model.on_demand_scale_delay: expected a duration");
    BAD(WITH("'model':{'on_demand_split_threshold':1}"),
        "t.json: $.model.on_demand_split_threshold: expected a number > 0 and < 1 (a share of a shard's limits), "
        "got 1");
    BAD(WITH("'model':{'on_demand_split_threshold':0}"),
        "t.json: $.model.on_demand_split_threshold: expected a number > 0 and < 1 (a share of a shard's limits), "
        "got 0");
    BAD(WITH("'model':{'on_demand_max_write_bytes_per_sec':'1KiB'}"),
        "t.json: $.model.on_demand_max_write_bytes_per_sec: expected a size from 1MiB to 8PiB");
    BAD(WITH("'model':{'on_demand_max_write_records_per_sec':0}"),
        "t.json: $.model.on_demand_max_write_records_per_sec: expected an integer from 1 to 9007199254740991");
    BAD(WITH("'model':{'on_demand_delay':'5m'}"), "t.json: $.model.on_demand_delay: unknown key");
}

/* ---- issue 14 item 1: rate series and rate files ---------------------------- */

#define RATE(r) WITH("'producers':[{'name':'p','keys':{'count':10},'rate':" r "}]")

/* A file path/name holding text, in dir. */
static void write_file(const char *dir, const char *name, const char *text, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        CHECK_INT(fwrite(text, 1, len, f), len);
        fclose(f);
    }
}

/* The scenario RATE({'file': name}) named dir/s.json, so that name is read
 * beside it. */
static struct scenario *parse_in(const char *dir, const char *name, const char *const *sets, size_t n)
{
    char file[512], text[1024];
    snprintf(file, sizeof file, "%s/s.json", dir);
    snprintf(text, sizeof text, RATE("{'file':'%s'}"), name);
    return scn_parse(file, dq(text), sets, n, err, sizeof err);
}

/* The message of a rate file that must be refused, with dir's path. */
static void bad_file(int line, const char *dir, const char *csv, size_t len, const char *want)
{
    char full[700];
    write_file(dir, "in.csv", csv, len);
    struct scenario *s = parse_in(dir, "in.csv", NULL, 0);
    snprintf(full, sizeof full, "%s/s.json: $.producers[0].rate.file: %s/in.csv%s", dir, dir, want);
    if (s || strcmp(err, full) != 0)
        fprintf(stderr, "test_scenario.c:%d: case failed\n", line);
    CHECK(s == NULL);
    CHECK_STR(err, full);
    scn_free(s);
}
#define BAD_FILE(csv, want) bad_file(__LINE__, dir, csv, sizeof csv - 1, want)

/* Issue 14 item 1: "rate": {"series": [...]}: pieces in us, kept in the
 * effective JSON as given; every error names the file and the JSON path. */
static void test_rate_series(void)
{
    struct scenario *s = parse(RATE("{'series':[{'at':'0s','rate':1200},{'at':'5m','rate':1800.5},"
                                    "{'at':720,'rate':0}]}"), NULL, 0);
    CHECK(s != NULL);
    if (s) {
        const struct cfg_producer *p = &s->cfg.producers[0];
        CHECK_INT(p->n_series, 3);
        CHECK(p->series && p->series[1].at_us == 300 * S && p->series[1].rate == 1800.5);
        CHECK(p->series && p->series[2].at_us == 720 * S && p->series[2].rate == 0);
        CHECK_CONTAINS(s->json, "{\"at\":\"5m\",\"rate\":1800.5}");
        scn_free(s);
    }
    s = parse(RATE("1200"), NULL, 0);
    CHECK(s && s->cfg.producers[0].series == NULL && s->cfg.producers[0].rate == 1200);
    scn_free(s);

    BAD(RATE("'fast'"), "t.json: $.producers[0].rate: expected records per second: a number > 0, or an "
        "object with series or file, got \"fast\"");
    BAD(RATE("{}"), "t.json: $.producers[0].rate: expected exactly one of: series, file");
    BAD(RATE("{'series':[],'file':'a.csv'}"), "t.json: $.producers[0].rate: expected exactly one of: series, file");
    BAD(RATE("{'serie':[]}"), "t.json: $.producers[0].rate.serie: unknown key (expected one of: series, file); "
        "did you mean series?");
    BAD(RATE("{'series':{}}"), "t.json: $.producers[0].rate.series: expected an array, got an object");
    BAD(RATE("{'series':[]}"), "t.json: $.producers[0].rate.series: expected 1 to 1000000 pieces "
        "{\"at\": duration, \"rate\": number >= 0}, got 0");
    BAD(RATE("{'series':[5]}"), "t.json: $.producers[0].rate.series[0]: expected an object, got 5");
    BAD(RATE("{'series':[{'at':'1s','rate':1}]}"),
        "t.json: $.producers[0].rate.series[0].at: expected 0 (\"0s\": the first piece starts the run), got \"1s\"");
    BAD(RATE("{'series':[{'at':0,'rate':1},{'at':'2m','rate':2},{'at':'120s','rate':3}]}"),
        "t.json: $.producers[0].rate.series[2].at: expected a time after the previous piece's 2m (times strictly "
        "increasing), got \"120s\"");
    BAD(RATE("{'series':[{'at':0,'rate':-1}]}"), "t.json: $.producers[0].rate.series[0].rate: expected a number "
        ">= 0, got -1");
    BAD(RATE("{'series':[{'at':0,'rate':1e999}]}"), "t.json: $.producers[0].rate.series[0].rate: expected a "
        "number >= 0, got a number too large for a double (infinite)");
    BAD(RATE("{'series':[{'at':0}]}"), "t.json: $.producers[0].rate.series[0].rate: missing required key "
        "(expected a number >= 0)");
    BAD(RATE("{'series':[{'at':'-1s','rate':1}]}"), "t.json: $.producers[0].rate.series[0].at: expected a "
        "duration from 0s to 100000d (a number of seconds");
    BAD(RATE("{'series':[{'at':0,'rate':1,'for':'1m'}]}"), "t.json: $.producers[0].rate.series[0].for: unknown "
        "key (expected one of: at, rate)");
    const char *set[] = { "producers[0].rate={\"series\":[{\"at\":0,\"rate\":1},{\"at\":0,\"rate\":2}]}" };
    bad_set(__LINE__, RATE("5"), set, 1, "t.json: --set producers[0].rate={\"series\":[{\"at\":0,\"rate\":1},"
            "{\"at\":0,\"rate\":2}]}: $.producers[0].rate.series[1].at: expected a time after the previous "
            "piece's 0s");
}

/* Issue 14 item 1: "rate": {"file": "in.csv"}, read beside the scenario
 * (a header, comments, blank lines, spaces, CRLF), the series inlined in
 * the effective JSON (which loads alone: report and plot read it again);
 * every error names the scenario, the JSON path, the rate file and the
 * line. */
static void test_rate_file(void)
{
    char dir[] = "/tmp/test_scenario_rates_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    static const char good[] = "seconds,rate\r\n# IncomingRecords / 60 per minute\r\n0,1200\r\n\r\n"
                               "  60 , 1250.25\r\n120,0\r\n180.5,7";
    write_file(dir, "in.csv", good, sizeof good - 1);
    struct scenario *s = parse_in(dir, "in.csv", NULL, 0);
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "%s\n", err);
    } else {
        const struct cfg_producer *p = &s->cfg.producers[0];
        CHECK_INT(p->n_series, 4);
        CHECK(p->series[0].at_us == 0 && p->series[0].rate == 1200);
        CHECK(p->series[1].at_us == 60 * S && p->series[1].rate == 1250.25);
        CHECK(p->series[2].at_us == 120 * S && p->series[2].rate == 0);
        CHECK(p->series[3].at_us == 180500 * MS && p->series[3].rate == 7);
        CHECK_CONTAINS(s->json, "\"rate\":{\"series\":[{\"at\":\"0s\",\"rate\":1200},{\"at\":\"1m\",\"rate\":"
                       "1250.25},{\"at\":\"2m\",\"rate\":0},{\"at\":\"180500ms\",\"rate\":7}]}");
        CHECK(strstr(s->json, "in.csv") == NULL);
        struct scenario *again = scn_parse("runs.scenario_json", s->json, NULL, 0, err, sizeof err);
        CHECK(again && again->cfg.producers[0].n_series == 4 && again->cfg.producers[0].series[3].rate == 7 &&
              strcmp(again->json, s->json) == 0);
        scn_free(again);
        scn_free(s);
    }
    /* an absolute path is taken as it is */
    char abs[600];
    snprintf(abs, sizeof abs, "%s/in.csv", dir);
    s = parse_in("/nonexistent", abs, NULL, 0);
    CHECK(s && s->cfg.producers[0].n_series == 4);
    scn_free(s);

    /* every input is UTF-8, a byte order mark first ignored (RFC 8259 lets a reader; Excel's
     * "CSV UTF-8" writes one, and it made the header "\xEF\xBB\xBFseconds,rate" bad); UTF-16 is refused */
    static const char bom[] = "\xEF\xBB\xBFseconds,rate\n0,5\n";
    write_file(dir, "in.csv", bom, sizeof bom - 1);
    s = parse_in(dir, "in.csv", NULL, 0);
    CHECK(s && s->cfg.producers[0].n_series == 1 && s->cfg.producers[0].series[0].rate == 5);
    if (!s)
        fprintf(stderr, "%s\n", err);
    scn_free(s);
    BAD_FILE("\xFF\xFE" "0\0,\0" "1\0", ": cannot read: UTF-16 text (it starts with the byte order mark FF FE): "
             "esmsim reads UTF-8 (iconv -f UTF-16 -t UTF-8 converts it)");
    s = parse_in(dir, "missing.csv", NULL, 0);
    CHECK(s == NULL);
    char want[700];
    snprintf(want, sizeof want, "%s/s.json: $.producers[0].rate.file: %s/missing.csv: cannot read: No such "
             "file or directory", dir, dir);
    CHECK_STR(err, want);
    BAD_FILE("0,1\n60,x\n", ", line 2: expected \"seconds,rate\" (two decimal numbers such as 300,1250.5), "
             "got \"60,x\"");
    BAD_FILE("0,1\n60\n", ", line 2: expected \"seconds,rate\" (two decimal numbers such as 300,1250.5), got \"60\"");
    BAD_FILE("0,1\n60,1,2\n", ", line 2: expected \"seconds,rate\" (two decimal numbers such as 300,1250.5), "
             "got \"60,1,2\"");
    BAD_FILE("0,1\n-60,1\n", ", line 2: expected \"seconds,rate\" (two decimal numbers such as 300,1250.5), "
             "got \"-60,1\"");
    /* a decimal number out of range is said as that, not as something else than two decimal numbers;
     * and one is not refused for its length (it was from 48 characters) */
    BAD_FILE("0,1\n8640000000.5,2\n", ", line 2: expected a time from 0 to 8640000000 s (100000d, the longest "
             "duration), got 8640000000.5");
    BAD_FILE("0,1\n99999999999999999999999,2\n", ", line 2: expected a time from 0 to 8640000000 s (100000d, the "
             "longest duration), got 99999999999999999999999");
    BAD_FILE("0,1\n60,9007199254740992\n", ", line 2: expected a rate from 0 to 9007199254740991 (2^53 - 1) "
             "records a second, got 9007199254740992");
    static const char long_fraction[] = "0,1\n60,0.500000000000000000000000000000000000000000000000001\n";
    write_file(dir, "in.csv", long_fraction, sizeof long_fraction - 1);
    s = parse_in(dir, "in.csv", NULL, 0);
    CHECK(s && s->cfg.producers[0].n_series == 2 && s->cfg.producers[0].series[1].rate == 0.5);
    if (!s)
        fprintf(stderr, "%s\n", err);
    scn_free(s);
    BAD_FILE("0,1\n60,1e3\n", ", line 2: expected \"seconds,rate\" (two decimal numbers such as 300,1250.5), "
             "got \"60,1e3\"");
    BAD_FILE("time,rate\n# from 1 min\n60,1\n", ", line 3: expected the first time to be 0 (the first piece "
             "starts the run), got 60");
    BAD_FILE("0,1\n60,2\n60,3\n", ", line 3: expected a time after the previous line's 60 s (times strictly "
             "increasing), got 60");
    BAD_FILE("seconds,rate\n# nothing yet\n", ": expected lines \"seconds,rate\", got no data line");
    BAD_FILE("0,1\n\0" "60,2\n", ": expected text lines \"seconds,rate\", got a NUL byte");
    /* a header only first: a second one is a bad line */
    BAD_FILE("seconds,rate\nseconds,rate\n", ", line 2: expected \"seconds,rate\" (two decimal numbers such "
             "as 300,1250.5), got \"seconds,rate\"");

    /* at most 1,000,000 pieces, and 64 MiB */
    char path[600];
    snprintf(path, sizeof path, "%s/in.csv", dir);
    FILE *f = fopen(path, "w");
    for (int i = 0; f && i <= 1000000; i++)
        fprintf(f, "%d,1\n", i);
    if (f)
        fclose(f);
    s = parse_in(dir, "in.csv", NULL, 0);
    CHECK(s == NULL);
    CHECK_CONTAINS(err, "/in.csv, line 1000001: more than 1000000 pieces, the most a rate series may hold");
    CHECK(truncate(path, (64 << 20) + 1) == 0);   /* sparse */
    s = parse_in(dir, "in.csv", NULL, 0);
    CHECK(s == NULL);
    snprintf(want, sizeof want, "%s/s.json: $.producers[0].rate.file: %s/in.csv: cannot read: larger than "
             "64 MiB, the most a rate file may hold", dir, dir);
    CHECK_STR(err, want);
    /* a --set of a file is read beside the scenario too, and named */
    write_file(dir, "in.csv", good, sizeof good - 1);
    write_file(dir, "other.csv", "0,x\n", 4);
    const char *set[] = { "producers[0].rate.file=other.csv" };
    s = parse_in(dir, "in.csv", set, 1);
    CHECK(s == NULL);
    CHECK_CONTAINS(err, "/s.json: --set producers[0].rate.file=other.csv: $.producers[0].rate.file: ");
    CHECK_CONTAINS(err, "/other.csv, line 1: expected");
    unlink(path);
    snprintf(path, sizeof path, "%s/other.csv", dir);
    unlink(path);
    rmdir(dir);
}

/* ---- issue 11: what run refused, check refuses too (item 15) -------------- */

#define NEAR(a, b) CHECK(fabs((double)(a) - (double)(b)) <= 1e-9 * fabs((double)(b)) + 1e-6)

/* A scenario whose estimate is worked out by hand below. */
static const char EST[] =
    "{ 'name': 'est', 'duration': '1h', 'stream': { 'shards': 2 },"
    "  'producers': [ { 'name': 'p', 'rate': 100, 'arrival': 'constant', 'keys': { 'count': 10 } } ],"
    "  'event_source_mapping': { 'StartingPosition': 'TRIM_HORIZON' } }";

/*
 * Issue 11 item 15: the memory estimate, term by term (footprint.h): the
 * mapping stalled, every message of the run and every record stays (the
 * run is shorter than the retention).
 */
static void test_footprint_estimate(void)
{
    struct scenario *s = parse(EST, NULL, 0);
    CHECK(s != NULL);
    if (!s)
        return;
    struct fpt_estimate e;
    scn_footprint(s, FPT_STALLED, &e);
    /* H = min(1 h, 24 h + 1 s + 3 s timeout); P = 100 ms linger + 100 + 200 ms waits */
    NEAR(e.hold_s, 3600);
    NEAR(e.window_s, 3600);
    NEAR(e.messages, 360000);                 /* min(100/s x 3600 s + 1, 100/s x 3600 s) */
    NEAR(e.records, 360001);                  /* min(360001, 100/s x 3601 s) */
    NEAR(e.keys, 10);
    NEAR(e.key_space, 10);
    NEAR(e.shards, 2);
    NEAR(e.bytes[FPT_MESSAGES], 360000 * (40 + 1) * 2);    /* msgtab's and the observer's */
    /* the records' rings are the larger: counted once more for the doubling */
    NEAR(e.bytes[FPT_RECORDS], 360001 * (40 + 16 + 48) * 2 + 360001 * 40);
    NEAR(e.bytes[FPT_KEYS], 10 * 9 + 10 * (112 + 64 * 2) + 10 * strlen("key-0123456789 "));
    /* 1 + 10.2 requests a second (100/500 full, 1 per 100 ms linger) x 0.4 s */
    NEAR(e.bytes[FPT_REQUESTS], (1 + 10.2 * 0.4) * (500 * 32 + 144));
    NEAR(e.bytes[FPT_SHARDS], 2 * (24576 + 512) + 2 * 100 * 28);
    NEAR(e.bytes[FPT_SCENARIO], 2.0 * strlen(s->json));
    NEAR(e.bytes[FPT_PROGRAM], 20 << 20);   /* with the two threads' 4 MiB queues */
    double sum = 0;
    for (int i = 0; i < FPT_PARTS; i++)
        sum += e.bytes[i];
    NEAR(e.total, sum);
    CHECK_INT(e.top_producer, 0);
    /* The mapping keeping up: a record is held for a poll (1 s), the batching
     * window (0), the timeout (3 s) and a second of trimming: H = 5 s, W = H
     * + the producer's 0.4 s; keys, requests and shards as above. */
    struct fpt_estimate k;
    scn_footprint(s, FPT_KEEPING_UP, &k);
    NEAR(k.hold_s, 5);
    NEAR(k.window_s, 5.4);
    NEAR(k.messages, 100 * 5.4);
    NEAR(k.records, 100 * 6);
    NEAR(k.bytes[FPT_KEYS], e.bytes[FPT_KEYS]);
    NEAR(k.bytes[FPT_REQUESTS], e.bytes[FPT_REQUESTS]);
    NEAR(k.bytes[FPT_SHARDS], e.bytes[FPT_SHARDS]);
    scn_free(s);

    /* Bursts multiply where they overlap, 0 is an off period; a constant
     * arrival may make one more record a piece:
     * 10/s x 600 s, 40 x 300, 20 x 300, 5 x 300, 10 x 300, 0, 10 x 1500. */
    const char *bursts[] = { "producers[0].rate=10", "producers[0].bursts=[{\"at\":\"10m\",\"for\":\"10m\","
        "\"multiplier\":4},{\"at\":\"15m\",\"for\":\"10m\",\"multiplier\":0.5},{\"at\":\"30m\",\"for\":\"5m\","
        "\"multiplier\":0}]" };
    s = parse(EST, bursts, 2);
    CHECK(s != NULL);
    if (s) {
        scn_footprint(s, FPT_STALLED, &e);
        NEAR(e.messages, 6000 + 12000 + 6000 + 1500 + 3000 + 15000 + 6);
        scn_free(s);
    }
    /* retention shorter than the run: what a window of it creates; retry
     * mode all may write a message once per attempt; Kinesis caps what a
     * shard takes at 1,000 records a second. */
    const char *longer[] = { "duration=3d", "producers[0].put={\"retry\":{\"mode\":\"all\",\"max_attempts\":4,"
                             "\"backoff\":\"constant\",\"base\":\"1s\"}}" };
    s = parse(EST, longer, 2);
    CHECK(s != NULL);
    if (s) {
        scn_footprint(s, FPT_STALLED, &e);
        NEAR(e.hold_s, 86404);
        NEAR(e.window_s, 86404 + 0.1 + 3);     /* linger, then 3 waits of 1 s */
        NEAR(e.messages, 100 * (86404 + 3.1));
        NEAR(e.records, 100 * 86405 * 4.0);
        scn_free(s);
    }
    const char *capped[] = { "producers[0].rate=5000" };
    s = parse(EST, capped, 1);
    CHECK(s != NULL);
    if (s) {
        scn_footprint(s, FPT_STALLED, &e);
        NEAR(e.records, 1000 * 2 * 3601);    /* 2 shards x 1,000/s x (H + 1 s) */
        scn_free(s);
    }
    /* Issue 14 item 1: a rate series is followed piece by piece, bursts
     * on top: 100/s for 10 min, 400/s (x4 from 10 to 15 min: 1,600/s) for
     * 20 min, 0 for 10 min, 50/s to the end (each piece may make one
     * more); the highest rate is the series' peak times the burst. */
    const char *series[] = { "producers[0].rate={\"series\":[{\"at\":0,\"rate\":100},{\"at\":\"10m\","
        "\"rate\":400},{\"at\":\"30m\",\"rate\":0},{\"at\":\"40m\",\"rate\":50}]}",
        "producers[0].bursts=[{\"at\":\"10m\",\"for\":\"5m\",\"multiplier\":4}]" };
    s = parse(EST, series, 2);
    CHECK(s != NULL);
    if (s) {
        scn_footprint(s, FPT_STALLED, &e);
        NEAR(e.messages, 60000 + 480000 + 360000 + 0 + 60000 + 4);
        NEAR(e.bytes[FPT_SCENARIO], 2.0 * strlen(s->json) + 4 * 16);
        /* a stalled mapping: what 1,600/s makes in W = 3600 s caps it no more than the run */
        scn_free(s);
    }
    const char *peak[] = { "duration=3d", "producers[0].rate={\"series\":[{\"at\":0,\"rate\":10},"
        "{\"at\":\"1h\",\"rate\":3000},{\"at\":\"2h\",\"rate\":10}]}" };
    s = parse(EST, peak, 2);
    CHECK(s != NULL);
    if (s) {
        scn_footprint(s, FPT_STALLED, &e);
        NEAR(e.hold_s, 86404);
        /* created: 10 x 3600 + 3000 x 3600 + 10 x (3 d - 2 h) + 3; held at once: min(created, 3000 x W) */
        NEAR(e.messages, 10.0 * 3600 + 3000.0 * 3600 + 10.0 * (3 * 86400 - 7200) + 3);
        NEAR(e.records, fmin(10.0 * 3600 + 3000.0 * 3600 + 10.0 * (3 * 86400 - 7200) + 3,
                             fmin(3000.0 * 86405, 1000.0 * 2 * 86405)));
        scn_free(s);
    }

    /* Issue 14 item 2: on demand, every shard its maximum throughput allows:
     * 4 + 2 x (200 - 4) made, 200 open at most (each taking 1,000
     * records/s); the scaler's windows (60 s of 200 shards) and peaks (a
     * second each, over the 1 h run), 16 bytes each */
    const char *od[] = { "stream={\"capacity_mode\":\"ON_DEMAND\"}" };
    s = parse(EST, od, 1);
    CHECK(s != NULL);
    if (s) {
        scn_footprint(s, FPT_STALLED, &e);
        NEAR(e.shards, 396);
        NEAR(e.bytes[FPT_SHARDS], 396 * (24576 + 512) + 396 * 100 * 28 + 200 * 60 * 16 + 2 * 3600 * 16 * 2);
        scn_free(s);
    } else {
        fprintf(stderr, "%s\n", err);
    }

    /* DynamoDB: no write limit; every shard of every rollover counts */
    const char *ddb[] = { "stream={\"type\":\"dynamodb\",\"shards\":3,\"shard_lifetime\":\"25m\"}",
                          "producers[0].rate=5000", "event_source_mapping.StartingPosition=LATEST" };
    s = parse(EST, ddb, 3);
    CHECK(s != NULL);
    if (s) {
        scn_footprint(s, FPT_STALLED, &e);
        NEAR(e.records, 5000 * 3600 + 1);
        NEAR(e.shards, 3 * 3);                /* rollovers at 25 and 50 minutes */
        scn_free(s);
    } else {
        fprintf(stderr, "%s\n", err);
    }
}

/*
 * Issue 11 item 15: what `run` refused, or ran out of memory on, the loader
 * refuses with the path, so `check` and `run` agree and nothing is run.
 */
static void test_run_limits_checked(void)
{
    const char *set[1];
#define BAD_SET(s1, want) (set[0] = (s1), bad_set(__LINE__, EST, set, 1, want))
    BAD_SET("producers[0].rate=1e309", "t.json: --set producers[0].rate=1e309: $.producers[0].rate: expected "
            "a number > 0, got a number too large for a double (infinite)");
    BAD_SET("producers[0].bursts=[{\"at\":0,\"for\":1,\"multiplier\":1e999}]",
            "$.producers[0].bursts[0].multiplier: expected a number >= 0, got a number too large for a "
            "double (infinite)");
    BAD_SET("producers[0].keys.s=1e400", "$.producers[0].keys.s: expected a number > 0, got a number too "
            "large for a double (infinite)");
    BAD_SET("expect.read_delay_mean_ms={\"max\":1e309}", "$.expect.read_delay_mean_ms.max: expected a "
            "number >= 0, got a number too large for a double (infinite)");
    /* docs/scenario.md, number: 1e309 is beyond a double and refused, not taken as infinity; every
     * getter says so (integers, durations, times said "got inf") */
    BAD_SET("event_source_mapping.BatchSize=1e400", "t.json: --set event_source_mapping.BatchSize=1e400: "
            "$.event_source_mapping.BatchSize: expected an integer from 1 to 10000, got a number too large "
            "for a double (infinite)");
    BAD_SET("event_source_mapping.MaximumRetryAttempts=-1e400", "$.event_source_mapping.MaximumRetryAttempts: "
            "expected an integer from -1 to 10000, got a number too large for a double (-infinite)");
    BAD_SET("duration=1e400", "$.duration: expected a duration from 1us to 100000d (a number of seconds, or a "
            "string such as \"250ms\", \"90s\", \"15m\", \"2h\", \"1d\"), got a number too large for a double "
            "(infinite)");
    BAD_SET("model.start_time=1e400", "$.model.start_time: expected a time: an ISO-8601 string with a zone "
            "such as \"2026-01-01T00:00:00Z\", or a number of epoch seconds, from 1970-01-01T00:00:00Z to "
            "9999-12-31T23:59:59.999999Z, got a number too large for a double (infinite)");

    /* the memory estimate against model.memory_limit: the message has the
     * estimate, the limit and every part, at the weightiest setting's path */
    const char *rate[] = { "producers[0].rate=1e12", "model.memory_limit=\"1GiB\"" };
    bad_set(__LINE__, EST, rate, 2, "t.json: --set producers[0].rate=1e12: $.producers[0].rate: this run "
            "needs 611 TiB of memory even if the mapping keeps up, more than the 1.0 GiB allowed "
            "(model.memory_limit); by part: messages 599 TiB (5,400,000,000,000 held at once: those "
            "created within 5 s), records 2.4 MiB (12,000, written within 5 s), keys 2.6 KiB "
            "(10 met, of key spaces of 10), requests 12 TiB, shards 54 KiB (2), scenario ");
    CHECK_CONTAINS(err, ", program 20 MiB (docs/scenario.md, \"Memory\")");
    /* overlapping bursts whose product no double holds */
    const char *inf[] = { "producers[0].bursts=[{\"at\":0,\"for\":10,\"multiplier\":1e300},"
                          "{\"at\":0,\"for\":10,\"multiplier\":1e300}]", "model.memory_limit=\"8PiB\"" };
    bad_set(__LINE__, EST, inf, 2, "$.producers[0].rate: this run needs too many bytes to count "
            "of memory even if the mapping keeps up, more than the 8.0 PiB allowed");
    /* a finite estimate past a million EiB keeps its unit (it lost it: "needs
     * 5402928104913940221269682096095 of memory") */
    const char *huge[] = { "producers[0].rate=1e300" };
    bad_set(__LINE__, EST, huge, 1, "$.producers[0].rate: this run needs 5.83e+284 EiB of memory even if the "
            "mapping keeps up");
    CHECK_CONTAINS(err, "by part: messages 5.71e+284 EiB (");
    /* keys.count at its documented maximum: the producer's key space alone */
    const char *keys[] = { "producers[0].keys.count=4294967294", "model.memory_limit=16GiB" };
    bad_set(__LINE__, EST, keys, 2, "$.producers[0].keys: this run needs 36 GiB of memory");
    CHECK_CONTAINS(err, "keys 36 GiB (360,001 met, of key spaces of 4,294,967,294)");
    /* more distinct keys than the key table's 32-bit ids */
    const char *many[] = { "producers[1]={\"name\":\"q\",\"rate\":1e6,\"keys\":{\"count\":4294967294}}",
                           "producers[0].keys.count=4294967294", "producers[0].rate=1e6" };
    bad_set(__LINE__, EST, many, 3, "t.json: $.producers: the run may meet 7,200,000,002 distinct partition "
            "keys, more than the 4294967294 a run can hold: use smaller key spaces");
    /* a limit it fits in: accepted, and the limit kept */
    const char *fits[] = { "model.memory_limit=\"512MiB\"" };
    struct scenario *s = parse(EST, fits, 1);
    CHECK(s != NULL);
    CHECK(s && s->cfg.model.memory_limit == 512ull << 20);
    CHECK(s && strcmp(s->cfg.model.memory_limit_from, "model.memory_limit") == 0);
    scn_free(s);
    /* what a healthy run holds for a few seconds (a poll, an invocation)
     * does not fit: refused at the rate */
    const char *fast[] = { "producers[0].rate=1e5", "model.memory_limit=33554432" };
    bad_set(__LINE__, EST, fast, 2, "t.json: --set producers[0].rate=1e5: $.producers[0].rate: this run needs "
            "87 MiB of memory even if the mapping keeps up, more than the 32 MiB allowed (model.memory_limit); "
            "by part: messages 63 MiB (540,000 held at once: those created within 5 s), records 2.4 MiB "
            "(12,000, written within 5 s), ");
    /* a stalled run of it would need 41 GiB: accepted, the limit stops such a run as it goes */
    const char *stall[] = { "producers[0].rate=1e5", "model.memory_limit=\"1GiB\"" };
    s = parse(EST, stall, 2);
    CHECK(s != NULL);
    scn_free(s);
    /* less than the program itself: the limit is what is wrong */
    const char *tiny[] = { "model.memory_limit=1048576" };
    bad_set(__LINE__, MIN, tiny, 1, "t.json: --set model.memory_limit=1048576: $.model.memory_limit: this run "
            "needs 20 MiB of memory even if the mapping keeps up, more than the 1.0 MiB allowed");
    /* by default the machine's memory (or less, a cgroup's or ulimit's) */
    s = parse(EST, NULL, 0);
    const char *what;
    CHECK(s && s->cfg.model.memory_limit == fpt_available(&what) &&
          strcmp(s->cfg.model.memory_limit_from, what) == 0);
    scn_free(s);

    /* model.memory_limit: bytes, or a number with a unit */
    static const struct { const char *text; unsigned long long bytes; } sizes[] = {
        { "1073741824", 1073741824 }, { "\"512MiB\"", 512ull << 20 }, { "\"1.5GiB\"", 3ull << 29 },
        { "\"2GB\"", 2000000000 }, { "\"8PiB\"", 9007199254740992ull }, { "\"3TB\"", 3000000000000ull },
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "model.memory_limit=%s", sizes[i].text);
        const char *one[] = { text };
        s = parse(EST, one, 1);
        CHECK(s && s->cfg.model.memory_limit == sizes[i].bytes);
        scn_free(s);
    }
    static const char *const bad_sizes[] = { "1000", "\"1KiB\"", "\"5 GiB\"", "\"5gib\"", "\"-1GiB\"",
                                             "1.5", "\"9PiB\"", "true" };
    for (size_t i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "model.memory_limit=%s", bad_sizes[i]);
        const char *one[] = { text };
        bad_set(__LINE__, EST, one, 1, "$.model.memory_limit: expected a size from 1MiB to 8PiB: a number "
                "of bytes, or a string such as \"512MiB\", \"16GiB\" or \"2GB\", got ");
    }
#undef BAD_SET
}

/* ---- issue 11 item 17: names, keys, seeds, counts, paths, files ------------ */

static void test_text_checked(void)
{
    /* \u0000 would cut a string short: "k\u0000a" and "k\u0000b" both "k" */
    BAD(WITH("'producers':[{'name':'p','rate':1,'keys':{'list':['k\\u0000a','k\\u0000b']}}]"),
        "t.json: $.producers[0].keys.list[0]: expected text without U+0000 (\\u0000 would cut it short), "
        "got \"k\\u0000a\"");
    BAD("{'name':'n\\u0000','duration':'1h'," ESM "}", "t.json: $.name: expected text without U+0000");
    BAD(WITH("'records':[{'at':1,'partition_key':'k','data':'x\\u0000y'}]"),
        "$.records[0].data: expected text without U+0000 (\\u0000 would cut it short), got \"x\\u0000y\"");
    BAD(WITH("'du\\u0000r':1"), "t.json: $[\"du\\u0000r\"]: expected a key in text without U+0000");
    /* an escaped backslash before u0000 is text, not an escape */
    struct scenario *s = parse(WITH("'description':'a\\\\u0000b'"), NULL, 0);
    CHECK(s && strcmp(s->description, "a\\u0000b") == 0);
    scn_free(s);

    /* not UTF-8: a stray byte, an overlong form, a surrogate, past U+10FFFF; the overlong
     * U+0000 written in the file is one too (it was taken for a \u0000 escape: "expected
     * text without U+0000, got "x\u"") */
    static const char *const not_utf8[] = { "a\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82",
                                            "x\xc0\x80y" };
    static const char *const shown[] = { "a\\xff", "\\xc0\\xaf", "\\xed\\xa0\\x80", "\\xf4\\x90\\x80\\x80",
                                         "\\xe2\\x82", "x\\xc0\\x80y" };
    for (size_t i = 0; i < sizeof not_utf8 / sizeof not_utf8[0]; i++) {
        char text[256], want[128];
        snprintf(text, sizeof text, "{\"name\":\"t\",\"description\":\"%s\",\"duration\":\"1h\","
                 "\"event_source_mapping\":{\"StartingPosition\":\"LATEST\"}}", not_utf8[i]);
        s = scn_parse("t.json", text, NULL, 0, err, sizeof err);
        snprintf(want, sizeof want, "t.json: $.description: expected UTF-8 text, got \"%s\"", shown[i]);
        CHECK(s == NULL);
        CHECK_STR(err, want);
        scn_free(s);
    }
    /* valid UTF-8 of every length is fine, and a partition key counts characters */
    s = parse("{'name':'caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80','duration':'1h'," ESM "}", NULL, 0);
    CHECK(s && strcmp(s->name, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == 0);
    scn_free(s);
    s = parse(WITH("'records':[{'at':1,'partition_key':'caf\xc3\xa9-\xe2\x82\xac-\xf0\x9f\x98\x80'}]"), NULL, 0);
    CHECK(s && strcmp(s->cfg.records[0].partition_key, "caf\xc3\xa9-\xe2\x82\xac-\xf0\x9f\x98\x80") == 0);
    scn_free(s);

    /* names, keys, ARNs, descriptions: printable (no terminal escapes) */
    BAD(WITH("'records':[{'at':1,'partition_key':'k\\u001b[31m'}]"), "t.json: $.records[0].partition_key: "
        "expected printable text, got \"k\\u001b[31m\": U+001B is a control character");
    BAD(WITH("'producers':[{'name':'p','rate':1,'keys':{'list':['ok','\\u009b2J']}}]"),
        "$.producers[0].keys.list[1]: expected printable text, got \"\\u009b2J\": U+009B is a control character");
    BAD(WITH("'producers':[{'name':'p','rate':1,'keys':{'count':2,'prefix':'a\\tb'}}]"),
        "$.producers[0].keys.prefix: expected printable text, got \"a\\tb\": U+0009 is a control character");
    BAD(WITH("'description':'line 1\\nline 2'"), "$.description: expected printable text, got \"line 1\\nline 2\"");
    BAD("{'name':'evil\\u202egnp.exe','duration':'1h'," ESM "}", "t.json: $.name: expected printable text, got "
        "\"evil\\u202egnp.exe\": U+202E is a line separator or a bidirectional control");
    BAD(ESM_WITH("'DestinationConfig':{'OnFailure':{'Destination':'arn:aws:sqs:us-east-1:1:q\\u0007'}}"),
        "$.event_source_mapping.DestinationConfig.OnFailure.Destination: expected printable text, got "
        "\"arn:aws:sqs:us-east-1:1:q\\u0007\": U+0007 is a control character");
    BAD(WITH("'function':{'failures':[{'match':{'key':'\\u007f'}}]}"),
        "$.function.failures[0].match.key: expected printable text, got \"\\u007f\": U+007F is a control character");
    /* a record's data is a payload: any character but U+0000 */
    s = parse(WITH("'records':[{'at':1,'partition_key':'k','data':'{\\'a\\':1}\\n\\u0001'}],"
                   "'function':{'failures':[{'match':{'data_contains':'\\n\\u0001'}}]}"), NULL, 0);
    CHECK(s && strcmp(s->cfg.records[0].data, "{\"a\":1}\n\x01") == 0);
    CHECK(s && strcmp(s->cfg.function.failures[0].text, "\n\x01") == 0);
    scn_free(s);
    /* an override's own text is shown escaped too */
    const char *set[] = { "name=a\xff" };
    bad_set(__LINE__, MIN, set, 1, "t.json: --set name=a\\xff: $.name: expected UTF-8 text, got \"a\\xff\"");
}

static void test_numbers_and_paths_checked(void)
{
    /* a seed above 2^53 - 1 as a JSON number may have been rounded: refused;
     * the string form is exact */
    BAD(WITH("'seed':9007199254740993"), "t.json: $.seed: expected an integer from 0 to 18446744073709551615 "
        "(as a string of digits above 9007199254740991), got 9007199254740992");
    BAD(WITH("'seed':9007199254740992"), "$.seed: expected an integer from 0 to 18446744073709551615");
    struct scenario *s = parse(WITH("'seed':9007199254740991"), NULL, 0);
    CHECK(s && s->cfg.seed == 9007199254740991ull);
    scn_free(s);
    s = parse(WITH("'seed':'9007199254740993'"), NULL, 0);
    CHECK(s && s->cfg.seed == 9007199254740993ull);
    scn_free(s);
    const char *seed[] = { "seed=9007199254740993" };   /* --seed: a bare integer stays a string */
    s = parse(MIN, seed, 1);
    CHECK(s && s->cfg.seed == 9007199254740993ull);
    scn_free(s);
    BAD(WITH("'stream':{'limits':{'write_bytes_per_sec':9007199254740992}}"),
        "$.stream.limits.write_bytes_per_sec: expected an integer from 1 to 9007199254740991 (2^53 - 1), "
        "got 9007199254740992");
    /* "got" shows the number read, with the digits that tell it from the bound (1.0000001
     * was "got 1" after "from 0 to 1", 10000.0000001 "got 10000" after "to 10000") */
    BAD(WITH("'stream':{'internal_failure_rate':1.0000001}"),
        "$.stream.internal_failure_rate: expected a number from 0 to 1, got 1.0000001");
    BAD(ESM_WITH("'BatchSize':10000.0000001"),
        "$.event_source_mapping.BatchSize: expected an integer from 1 to 10000, got 10000.0000001");

    /* an expect count is an integer; a measure in ms may have a fraction */
    BAD(WITH("'expect':{'discards':1.5}"), "t.json: $.expect.discards: expected an integer from 0 to "
        "9007199254740991 (2^53 - 1), got 1.5");
    BAD(WITH("'expect':{'messages':{'min':0.5}}"), "$.expect.messages.min: expected an integer from 0");
    BAD(WITH("'expect':{'messages':{'max':2.5}}"), "$.expect.messages.max: expected an integer from 0");
    BAD(WITH("'expect':{'discards':'1'}"), "$.expect.discards: expected a count, or an object with min and/or "
        "max, got \"1\"");
    s = parse(WITH("'expect':{'read_delay_mean_ms':{'max':12.5},'iterator_age_max_ms':1.5,'discards':3}"), NULL, 0);
    CHECK(s && s->n_expect == 3);
    CHECK(s && s->expect[0].max == 12.5 && s->expect[1].min == 1.5 && s->expect[2].max == 3);
    scn_free(s);

    /* "$." alone names no key: a path error, not "out of memory" */
    const char *root[] = { "$.=5" };
    bad_set(__LINE__, MIN, root, 1, "t.json: --set $.=5: expected path=value, the path made of keys "
            "separated by dots and [N] indexes, such as producers[0].rate=2000");
    CHECK(strstr(err, "out of memory") == NULL);
}

/* A scenario is a file of at most 64 MiB: a regular one or a pipe. */
static void test_files_bounded(void)
{
    struct scenario *s = scn_load("/dev/zero", NULL, 0, err, sizeof err);
    CHECK(s == NULL);
    CHECK_STR(err, "/dev/zero: cannot read: not a regular file (a character device)");

    char big[] = "/tmp/test_scenario_big_XXXXXX";
    int fd = mkstemp(big);
    CHECK(fd >= 0 && ftruncate(fd, (64 << 20) + 1) == 0);   /* sparse: no disk used */
    if (fd >= 0)
        close(fd);
    s = scn_load(big, NULL, 0, err, sizeof err);
    CHECK(s == NULL);
    char want[128];
    snprintf(want, sizeof want, "%s: cannot read: larger than 64 MiB, the most a scenario file may hold", big);
    CHECK_STR(err, want);
    unlink(big);

    /* a FIFO is read like a file, up to the same bound */
    char fifo[] = "/tmp/test_scenario_fifo_XXXXXX";
    fd = mkstemp(fifo);
    if (fd >= 0)
        close(fd);
    unlink(fifo);
    CHECK_INT(mkfifo(fifo, 0600), 0);
    pid_t pid = fork();
    if (pid == 0) {
        FILE *w = fopen(fifo, "w");
        if (w)
            fputs(dq(MIN), w), fclose(w);
        _exit(0);
    }
    s = scn_load(fifo, NULL, 0, err, sizeof err);
    CHECK(s != NULL && strcmp(s->name, "t") == 0);
    scn_free(s);
    waitpid(pid, NULL, 0);
    unlink(fifo);
}

int main(void)
{
    test_durations();
    test_full();
    test_distributions();
    test_defaults();
    test_at_timestamp();
    test_start_time_bounds();
    test_aws_output();
    test_overrides();
    test_bad_keys_and_types();
    test_bad_ranges();
    test_bad_required_and_durations();
    test_bad_distributions();
    test_bad_producers_records_failures();
    test_failure_handling_accepted();
    test_reshard();
    test_unsimulated();
    test_dynamodb();
    test_schedule();
    test_handler();
    test_files();
    test_on_demand();
    test_rate_series();
    test_rate_file();
    test_footprint_estimate();
    test_run_limits_checked();
    test_text_checked();
    test_numbers_and_paths_checked();
    test_files_bounded();
    return check_done();
}
