/*
 * test_awsjson.c - AWS's JSON shapes (R2, R6, R7, SPEC section 4).
 *
 * The size lambda_event.c counts must be the exact strlen of the event
 * awsjson.c builds with cJSON, Kinesis and DynamoDB Streams alike, for any
 * key (quotes, backslashes, control characters, UTF-8), data size, sequence
 * number, arrival time, event kind and StreamViewType; the OnFailure
 * invocation record must match AWS's shape character for character; a
 * function's response prints as its handler wrote it, every shape of R7.
 */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "awsjson.h"
#include "check.h"
#include "lambda_event.h"
#include "window.h"

#define EPOCH_2026 INT64_C(1767225600000)   /* 2026-01-01T00:00:00Z, in ms */
/* eventIDs of the DynamoDB records of shard ddb_default, pinned likewise:
 * MD5 of "<shardId>:<SequenceNumber>" (computed apart, with md5sum). */
#define EVENT_ID_1000 "23da8cdbc9c113e8d397a0c28979620b"
#define EVENT_ID_1001 "861a79481396c07382440e461bf7bd08"
#define EVENT_ID_MAX  "6af6a460665576c187f0b7318e7feaa4"
/* requestId of invocation 7, pinned so that a change of derivation shows. */
#define REQUEST_ID_7 "63cbe1e4-5932-4dd7-844c-3cd7f43c661c"
/* An OnFailure message's own requestId (R6, issue 11 item 6): the UUID of
 * its 128 bits, version 4 and variant bits set, the rest kept as given. */
#define DISCARD_BITS { UINT64_C(0x0123456789abcdef), UINT64_C(0xfedcba9876543210) }
#define DISCARD_REQUEST_ID "01234567-89ab-4def-bedc-ba9876543210"

static uint64_t rng_state = 20260101;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

/* The escaped length of s as cJSON prints it: the reference, not a copy of
 * its rules. */
static size_t cjson_escaped_len(const char *s)
{
    cJSON *str = cJSON_CreateString(s);
    char *text = cJSON_PrintUnformatted(str);
    size_t n = strlen(text) - 2;
    free(text);
    cJSON_Delete(str);
    return n;
}

/* A key mixing the characters JSON treats specially with plain and UTF-8 ones. */
static void random_key(char *buf, size_t cap)
{
    static const char *const pieces[] = {
        "a", "Z", "7", "-", "user-", "\"", "\\", "/", "\b", "\f", "\n", "\r", "\t",
        "\x01", "\x1f", "\x7f", "\xc3\xa9" /* é */, "\xe6\x97\xa5" /* 日 */,
        "\xf0\x9f\x98\x80" /* U+1F600 */, " ", "'", "<", "\\u0000",
    };
    size_t n = rnd_below(40), len = 0;
    buf[0] = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = pieces[rnd_below(sizeof pieces / sizeof pieces[0])];
        size_t pl = strlen(p);
        if (len + pl + 1 > cap)
            break;
        memcpy(buf + len, p, pl + 1);
        len += pl;
    }
}

/* Sequence numbers of every digit count from 1 to 20. */
static uint64_t random_sequence(void)
{
    unsigned digits = 1 + (unsigned)rnd_below(20);
    if (digits == 20)
        return UINT64_C(10000000000000000000) + rnd_below(UINT64_C(8446744073709551615) + 1);
    uint64_t lo = 1;
    for (unsigned i = 1; i < digits; i++)
        lo *= 10;
    return digits == 1 ? rnd_below(10) : lo + rnd_below(9 * lo);
}

/* Arrival times whose milliseconds end in 0, 00, 000, or anything, with a
 * sub-millisecond part that must be dropped. */
static int64_t random_arrival_us(void)
{
    int64_t ms = (int64_t)rnd_below(UINT64_C(30) * 86400 * 1000);
    switch (rnd_below(4)) {
    case 0: ms -= ms % 10; break;
    case 1: ms -= ms % 100; break;
    case 2: ms -= ms % 1000; break;
    default: break;
    }
    return ms * 1000 + (int64_t)rnd_below(1000);
}

static const struct lev_source src_default = {
    .shard_id = "shardId-000000000001",
    .event_source_arn = "arn:aws:kinesis:us-east-1:123456789012:stream/orders",
    .invoke_identity_arn = "arn:aws:iam::123456789012:role/lambda-role",
    .region = "us-east-1",
    .epoch_ms = EPOCH_2026,
};

/* The size lambda_event.c counts, by its one-step and two-step forms (which
 * must agree: a disagreement counts as a mismatch). */
static size_t expected_event_bytes(const struct lev_source *src,
                                   const struct slog_event_record *recs, size_t n)
{
    size_t total = lev_envelope_bytes() + (n ? n - 1 : 0);
    size_t source = lev_source_bytes(src);
    for (size_t i = 0; i < n; i++) {
        size_t key = cjson_escaped_len(recs[i].partition_key);
        size_t one = lev_record_bytes(src, key, recs[i].sequence_number, recs[i].data_len,
                                      recs[i].arrival_us);
        size_t two = lev_record_bytes_from(source, src->epoch_ms, key, recs[i].sequence_number,
                                           recs[i].data_len, recs[i].arrival_us);
        total += one == two ? one : 0;
    }
    return total;
}

/* Source strings may need escaping too (an ARN given in a scenario). */
static const struct lev_source src_odd = {
    .shard_id = "shard\"1",
    .event_source_arn = "arn:aws:kinesis:us-east-1:123456789012:stream/a\\b\tc",
    .invoke_identity_arn = "",
    .region = "\x01",
    .epoch_ms = EPOCH_2026,
};

static void test_event_size_random(void)
{
    enum { EVENTS = 400, MAX_RECORDS = 12 };
    char keys[MAX_RECORDS][200];
    unsigned char *data[MAX_RECORDS];
    struct slog_event_record recs[MAX_RECORDS];
    int mismatches = 0;
    struct lev_source src = src_default;

    for (int e = 0; e < EVENTS; e++) {
        /* Some events from another epoch: one with milliseconds of its own,
         * and the Unix epoch itself. */
        src = e % 13 == 6 ? src_odd : src_default;
        src.epoch_ms = e % 7 == 3 ? INT64_C(1545084650987) : e % 11 == 5 ? 0 : EPOCH_2026;
        size_t n = 1 + rnd_below(MAX_RECORDS);
        for (size_t i = 0; i < n; i++) {
            random_key(keys[i], sizeof keys[i]);
            uint32_t len = (uint32_t)rnd_below(5001);
            data[i] = NULL;
            if (rnd_below(2)) {   /* real bytes, every value */
                data[i] = malloc(len + 1);
                for (uint32_t j = 0; j < len; j++)
                    data[i][j] = (unsigned char)rnd();
            }
            recs[i] = (struct slog_event_record){ .partition_key = keys[i],
                .sequence_number = random_sequence(), .data = data[i], .data_len = len,
                .arrival_us = random_arrival_us() };
        }
        char *json = awsjson_kinesis_event(&src, recs, n);
        size_t want = expected_event_bytes(&src, recs, n);
        if (!json || strlen(json) != want) {
            if (mismatches++ < 3)
                fprintf(stderr, "event %d: strlen %zu, counted %zu\n%s\n", e,
                        json ? strlen(json) : 0, want, json ? json : "(null)");
        }
        free(json);
        for (size_t i = 0; i < n; i++)
            free(data[i]);
    }
    CHECK_INT(mismatches, 0);
}

static void test_event_empty(void)
{
    char *json = awsjson_kinesis_event(&src_default, NULL, 0);
    CHECK_STR(json, "{\"Records\":[]}");
    CHECK_INT(strlen(json), lev_envelope_bytes());
    free(json);
}

/* One record, the whole text: pins the key order of AWS's sample event. */
static void test_event_exact(void)
{
    struct slog_event_record r = { .partition_key = "user-\"7\"", .sequence_number = 49590338271490256ull,
                                .data = NULL, .data_len = 4, .arrival_us = 829717400 };
    char *json = awsjson_kinesis_event(&src_default, &r, 1);
    CHECK_STR(json,
        "{\"Records\":[{\"kinesis\":{\"kinesisSchemaVersion\":\"1.0\",\"partitionKey\":\"user-\\\"7\\\"\","
        "\"sequenceNumber\":\"49590338271490256\",\"data\":\"eHh4eA==\","
        "\"approximateArrivalTimestamp\":1767226429.717},\"eventSource\":\"aws:kinesis\","
        "\"eventVersion\":\"1.0\",\"eventID\":\"shardId-000000000001:49590338271490256\","
        "\"eventName\":\"aws:kinesis:record\","
        "\"invokeIdentityArn\":\"arn:aws:iam::123456789012:role/lambda-role\","
        "\"awsRegion\":\"us-east-1\","
        "\"eventSourceARN\":\"arn:aws:kinesis:us-east-1:123456789012:stream/orders\"}]}");
    free(json);

    /* Real bytes are encoded as they are. */
    static const unsigned char hello[] = "Hello, this is a test.";
    r.data = hello;
    r.data_len = (uint32_t)strlen((const char *)hello);
    json = awsjson_kinesis_event(&src_default, &r, 1);
    CHECK_CONTAINS(json, "\"data\":\"SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==\"");
    free(json);
}

/* The timestamp text is what cJSON prints for the same double. */
static void check_timestamp(int64_t epoch_ms, int64_t arrival_us, const char *want)
{
    char buf[32];
    size_t n = lev_format_timestamp(epoch_ms, arrival_us, buf);
    CHECK_STR(buf, want);
    CHECK_INT(n, strlen(want));
}

static void test_timestamp(void)
{
    check_timestamp(EPOCH_2026, 120000, "1767225600.12");
    check_timestamp(EPOCH_2026, 500999, "1767225600.5");
    check_timestamp(EPOCH_2026, 999, "1767225600");
    check_timestamp(EPOCH_2026, 1000, "1767225600.001");
    check_timestamp(EPOCH_2026, 10000, "1767225600.01");
    check_timestamp(EPOCH_2026, 100000, "1767225600.1");
    check_timestamp(0, 0, "0");
    check_timestamp(0, 5000, "0.005");
    check_timestamp(1545084650987, 0, "1545084650.987");

    /* Against cJSON itself, over the fast path and the fallback (negative
     * and more-than-15-digit values). */
    int mismatches = 0;
    for (int i = 0; i < 20000; i++) {
        int64_t epoch = i % 5 == 0 ? -(int64_t)rnd_below(UINT64_C(1) << 40)
                      : i % 5 == 1 ? (int64_t)(UINT64_C(1) << 52) - (int64_t)rnd_below(1000000)
                      : i % 5 == 2 ? (int64_t)rnd_below(UINT64_C(1) << 45) : EPOCH_2026;
        int64_t arrival = random_arrival_us();
        cJSON *num = cJSON_CreateNumber((double)(epoch + arrival / 1000) / 1000.0);
        char *want = cJSON_PrintUnformatted(num);
        char got[32];
        size_t n = lev_format_timestamp(epoch, arrival, got);
        if (strcmp(got, want) != 0 || n != strlen(want)) {
            if (mismatches++ < 5)
                fprintf(stderr, "timestamp %" PRId64 " + %" PRId64 "us: \"%s\", cJSON \"%s\"\n",
                        epoch, arrival, got, want);
        }
        free(want);
        cJSON_Delete(num);
    }
    CHECK_INT(mismatches, 0);
}

static void test_request_id(void)
{
    char a[AWSJSON_UUID_LEN + 1], b[AWSJSON_UUID_LEN + 1];
    awsjson_request_id(42, a);
    awsjson_request_id(42, b);
    CHECK_STR(a, b);
    CHECK_INT(strlen(a), AWSJSON_UUID_LEN);
    CHECK(a[8] == '-' && a[13] == '-' && a[18] == '-' && a[23] == '-');
    CHECK(a[14] == '4');                     /* version 4 */
    CHECK(strchr("89ab", a[19]) != NULL);    /* RFC 4122 variant */
    awsjson_request_id(43, b);
    CHECK(strcmp(a, b) != 0);
    /* Pinned: the same id in every run and every release. */
    awsjson_request_id(7, a);
    CHECK_STR(a, REQUEST_ID_7);
    /* issue 11 item 6: the same shape from given bits */
    const uint64_t bits[2] = DISCARD_BITS;
    awsjson_uuid(bits, a);
    CHECK_STR(a, DISCARD_REQUEST_ID);
    const uint64_t zero[2] = { 0, 0 }, ones[2] = { UINT64_MAX, UINT64_MAX };
    awsjson_uuid(zero, a);
    CHECK_STR(a, "00000000-0000-4000-8000-000000000000");
    awsjson_uuid(ones, a);
    CHECK_STR(a, "ffffffff-ffff-4fff-bfff-ffffffffffff");
}

static void test_iso_time(void)
{
    char buf[32];
    awsjson_iso_time(EPOCH_2026, 829717999, buf);
    CHECK_STR(buf, "2026-01-01T00:13:49.717Z");
    awsjson_iso_time(EPOCH_2026, 0, buf);
    CHECK_STR(buf, "2026-01-01T00:00:00.000Z");
    awsjson_iso_time(1573691886021, 0, buf);
    CHECK_STR(buf, "2019-11-14T00:38:06.021Z");
}

static struct slog_discard discard_example(void)
{
    return (struct slog_discard){
        .at_us = 829717000,
        .shard_id = "shardId-000000000001",
        .condition = DISCARD_RETRIES_EXHAUSTED,
        .start_sequence_number = 1000,
        .end_sequence_number = 1099,
        .record_count = 100,
        .first_arrival_us = 799000000,
        .last_arrival_us = 799580000,
        .invocation_id = 7,
        .request_id = DISCARD_BITS,
        .approximate_invoke_count = 2,   /* MaximumRetryAttempts 1: two invocations (R6) */
        .has_response = true,
        .status_code = 200,
        .function_error = "Unhandled",
        .destination = "arn:aws:sqs:us-east-1:123456789012:dlq",
        .function_arn = "arn:aws:lambda:us-east-1:123456789012:function:my-function",
        .stream_arn = "arn:aws:kinesis:us-east-1:123456789012:stream/orders",
        .epoch_ms = EPOCH_2026,
    };
}

#define BATCH_INFO_TAIL \
    "\"shardId\":\"shardId-000000000001\",\"startSequenceNumber\":\"1000\"," \
    "\"endSequenceNumber\":\"1099\",\"approximateArrivalOfFirstRecord\":\"2026-01-01T00:13:19.000Z\"," \
    "\"approximateArrivalOfLastRecord\":\"2026-01-01T00:13:19.580Z\",\"batchSize\":100,"

/* Up to the timestamp, for discard_example(). */
#define RECORD_HEAD_UNHANDLED \
    "{\"requestContext\":{\"requestId\":\"" DISCARD_REQUEST_ID "\"," \
    "\"functionArn\":\"arn:aws:lambda:us-east-1:123456789012:function:my-function\"," \
    "\"condition\":\"RetryAttemptsExhausted\",\"approximateInvokeCount\":2}," \
    "\"responseContext\":{\"statusCode\":200,\"executedVersion\":\"$LATEST\"," \
    "\"functionError\":\"Unhandled\"},\"version\":\"1.0\","

static void test_invocation_record(void)
{
    struct slog_discard d = discard_example();
    char *json = awsjson_invocation_record(&d);
    CHECK_STR(json,
        RECORD_HEAD_UNHANDLED "\"timestamp\":\"2026-01-01T00:13:49.717Z\",\"KinesisBatchInfo\":{" BATCH_INFO_TAIL
        "\"streamArn\":\"arn:aws:kinesis:us-east-1:123456789012:stream/orders\"}}");
    free(json);

    /* Retries run out on a partial-batch response: functionError is null. */
    d.function_error = NULL;
    json = awsjson_invocation_record(&d);
    CHECK_CONTAINS(json, "\"responseContext\":{\"statusCode\":200,\"executedVersion\":\"$LATEST\","
                         "\"functionError\":null},");
    free(json);

    /* issue 11 item 2: an event Lambda refused (over 6 MB): the Invoke
     * call's 413, and no function error since no function ran. */
    d.status_code = 413;
    json = awsjson_invocation_record(&d);
    CHECK_CONTAINS(json, "\"responseContext\":{\"statusCode\":413,\"executedVersion\":\"$LATEST\","
                         "\"functionError\":null},");
    free(json);

    /* RecordAgeExceeded: no responseContext at all. */
    d = discard_example();
    d.condition = DISCARD_RECORD_AGE;
    d.has_response = false;
    d.approximate_invoke_count = 1;   /* never invoked: AWS says 1 (issue 11 item 5) */
    json = awsjson_invocation_record(&d);
    CHECK_STR(json,
        "{\"requestContext\":{\"requestId\":\"" DISCARD_REQUEST_ID "\","
        "\"functionArn\":\"arn:aws:lambda:us-east-1:123456789012:function:my-function\","
        "\"condition\":\"RecordAgeExceeded\",\"approximateInvokeCount\":1},"
        "\"version\":\"1.0\",\"timestamp\":\"2026-01-01T00:13:49.717Z\",\"KinesisBatchInfo\":{"
        BATCH_INFO_TAIL
        "\"streamArn\":\"arn:aws:kinesis:us-east-1:123456789012:stream/orders\"}}");
    free(json);

}

/* A DynamoDB stream's batch: DDBStreamBatchInfo, its arrival times to the
 * second, as in AWS's example (the seeds' "Retain discarded records for a
 * DynamoDB event source" page). */
static void test_invocation_record_dynamodb(void)
{
    struct slog_discard d = discard_example();
    d.source_type = SLOG_SOURCE_DYNAMODB;
    d.shard_id = "shardId-00000001573689847184-864758bb";
    d.stream_arn = "arn:aws:dynamodb:us-east-2:123456789012:table/mytable/stream/2019-11-14T00:04:06.388";
    d.last_arrival_us = 799999999;   /* rounded down, not to the nearest */
    char *json = awsjson_invocation_record(&d);
    CHECK_STR(json,
        RECORD_HEAD_UNHANDLED "\"timestamp\":\"2026-01-01T00:13:49.717Z\",\"DDBStreamBatchInfo\":{"
        "\"shardId\":\"shardId-00000001573689847184-864758bb\",\"startSequenceNumber\":\"1000\","
        "\"endSequenceNumber\":\"1099\",\"approximateArrivalOfFirstRecord\":\"2026-01-01T00:13:19Z\","
        "\"approximateArrivalOfLastRecord\":\"2026-01-01T00:13:19Z\",\"batchSize\":100,"
        "\"streamArn\":\"arn:aws:dynamodb:us-east-2:123456789012:table/mytable/stream/"
        "2019-11-14T00:04:06.388\"}}");
    free(json);

    /* The source type decides, not the ARN. */
    d.source_type = SLOG_SOURCE_KINESIS;
    json = awsjson_invocation_record(&d);
    CHECK_CONTAINS(json, "\"KinesisBatchInfo\":{\"shardId\"");
    CHECK_CONTAINS(json, "\"approximateArrivalOfLastRecord\":\"2026-01-01T00:13:19.999Z\"");
    free(json);
}

/* ------------------------------------------------------------------------ */
/* DynamoDB Streams events */

static const struct lev_source ddb_default = {
    .shard_id = "shardId-00000001573689847184-864758bb",
    .event_source_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000",
    .region = "us-east-1",
    .epoch_ms = EPOCH_2026,
};

static struct lev_ddb_record ddb_record(const char *key, enum lev_ddb_event kind, uint64_t seq,
                                        const char *data, uint32_t item_bytes, int64_t arrival_us)
{
    return (struct lev_ddb_record){ .key = key, .key_len = strlen(key),
        .key_json_len = cjson_escaped_len(key), .kind = kind, .sequence_number = seq,
        .data = data, .item_bytes = data ? (uint32_t)strlen(data) : item_bytes,
        .arrival_us = arrival_us };
}

/* Independently of lambda_event.c: SizeBytes must be the sum, over every
 * attribute of Keys, NewImage and OldImage as built, of its name's and its
 * string value's bytes. */
static bool size_bytes_consistent(const char *json)
{
    cJSON *root = cJSON_Parse(json);
    cJSON *rec;
    bool ok = root != NULL;
    cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(root, "Records")) {
        cJSON *dyn = cJSON_GetObjectItemCaseSensitive(rec, "dynamodb");
        double sum = 0;
        static const char *const parts[] = { "Keys", "NewImage", "OldImage" };
        for (int p = 0; p < 3; p++) {
            cJSON *attr;
            cJSON_ArrayForEach(attr, cJSON_GetObjectItemCaseSensitive(dyn, parts[p])) {
                cJSON *v = cJSON_GetObjectItemCaseSensitive(attr, "S");
                sum += (double)(strlen(attr->string) + (cJSON_IsString(v) ? strlen(v->valuestring) : 0));
            }
        }
        cJSON *size = cJSON_GetObjectItemCaseSensitive(dyn, "SizeBytes");
        ok = ok && cJSON_IsNumber(size) && size->valuedouble == sum;
    }
    cJSON_Delete(root);
    return ok;
}

static size_t expected_ddb_bytes(const struct lev_source *src, const struct lev_ddb_record *recs,
                                 size_t n)
{
    struct lev_ddb_part part;
    lev_ddb_source_part(src, &part);
    size_t total = lev_envelope_bytes() + (n ? n - 1 : 0);
    for (size_t i = 0; i < n; i++) {
        size_t one = lev_ddb_record_bytes(src, &recs[i]);
        size_t two = lev_ddb_record_bytes_from(&part, &recs[i]);
        total += one == two ? one : 0;
    }
    return total;
}

/* One event: counted == built, and SizeBytes agrees with the images built. */
static bool check_ddb_event(const struct lev_source *src, const struct lev_ddb_record *recs,
                            size_t n, const char *what)
{
    char *json = awsjson_dynamodb_event(src, recs, n);
    size_t want = expected_ddb_bytes(src, recs, n);
    bool ok = json && strlen(json) == want && size_bytes_consistent(json);
    if (!ok)
        fprintf(stderr, "%s: strlen %zu, counted %zu\n%.2000s\n", what, json ? strlen(json) : 0,
                want, json ? json : "(null)");
    free(json);
    return ok;
}

/* Every kind under every view, random keys (and attribute names) that need
 * escaping, explicit and synthetic payloads of every size, every epoch. */
static void test_ddb_event_size_random(void)
{
    enum { EVENTS = 600, MAX_RECORDS = 12 };
    char keys[MAX_RECORDS][200], datas[MAX_RECORDS][200], key_attr[200], data_attr[200];
    struct lev_ddb_record recs[MAX_RECORDS];
    int mismatches = 0;

    for (int e = 0; e < EVENTS; e++) {
        struct lev_source src = ddb_default;
        src.view = (enum lev_ddb_view)(e % 4);
        if (e % 5 == 2) {   /* odd attribute names and source strings */
            random_key(key_attr, sizeof key_attr);
            random_key(data_attr, sizeof data_attr);
            src.key_attribute = key_attr;
            src.data_attribute = data_attr;
            src.region = "\x01\"";
            src.event_source_arn = "arn:aws:dynamodb:us-east-1:1:table/a\\b\tc/stream/x";
            src.shard_id = NULL;
        }
        /* Epochs: 2026, the Unix epoch, one with milliseconds of its own,
         * negative ones, and ones past 1e15 seconds (cJSON's exponent form). */
        switch (e % 9) {
        case 3: src.epoch_ms = 0; break;
        case 4: src.epoch_ms = INT64_C(1545084650987); break;
        case 5: src.epoch_ms = -(int64_t)rnd_below(UINT64_C(1) << 45); break;
        case 6: src.epoch_ms = INT64_C(2000000000000000000) + (int64_t)rnd_below(1000000); break;
        default: break;
        }
        size_t n = 1 + rnd_below(MAX_RECORDS);
        for (size_t i = 0; i < n; i++) {
            random_key(keys[i], sizeof keys[i]);
            uint32_t len = rnd_below(4) == 0 ? 0 : (uint32_t)rnd_below(rnd_below(2) ? 50 : 20000);
            const char *data = NULL;
            if (rnd_below(3) == 0) {
                random_key(datas[i], sizeof datas[i]);
                data = datas[i];
            }
            recs[i] = ddb_record(keys[i], (enum lev_ddb_event)rnd_below(3), random_sequence(),
                                 data, len, random_arrival_us());
        }
        char what[32];
        snprintf(what, sizeof what, "ddb event %d", e);
        if (!check_ddb_event(&src, recs, n, what))
            mismatches++;
    }
    CHECK_INT(mismatches, 0);

    /* Large payloads: 400 KB (DynamoDB's item limit) and 6 MB, each kind. */
    for (int kind = LEV_DDB_INSERT; kind <= LEV_DDB_REMOVE; kind++) {
        struct lev_ddb_record big[2] = {
            ddb_record("big", (enum lev_ddb_event)kind, 1, NULL, 409600, 0),
            ddb_record("huge", (enum lev_ddb_event)kind, 2, NULL, LEV_MAX_PAYLOAD_BYTES, 999999),
        };
        CHECK(check_ddb_event(&ddb_default, big, 2, "large payloads"));
    }
    char *json = awsjson_dynamodb_event(&ddb_default, NULL, 0);
    CHECK_STR(json, "{\"Records\":[]}");
    free(json);
}

/* Three records, the whole text: the key order of the records Lambda
 * delivers, NewImage and OldImage as the kind and view say. */
static void test_ddb_event_exact(void)
{
    struct lev_ddb_record recs[3] = {
        ddb_record("user-\"7\"", LEV_DDB_INSERT, 1000, NULL, 3, 829717400),
        ddb_record("user-\"7\"", LEV_DDB_MODIFY, 1001, "{\"poison\":true}", 0, 829999999),
        ddb_record("user-\"7\"", LEV_DDB_REMOVE, 18446744073709551615ull, NULL, 0, 830000000),
    };
    char *json = awsjson_dynamodb_event(&ddb_default, recs, 3);
#define DDB_ARN "\"eventSourceARN\":\"arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/" \
                "2026-01-01T00:00:00.000\"}"
#define DDB_HEAD(id, name) "{\"eventID\":\"" id "\",\"eventName\":\"" name "\"," \
                "\"eventVersion\":\"1.1\",\"eventSource\":\"aws:dynamodb\",\"awsRegion\":\"us-east-1\"," \
                "\"dynamodb\":{\"ApproximateCreationDateTime\":"
#define DDB_KEYS "\"Keys\":{\"pk\":{\"S\":\"user-\\\"7\\\"\"}}"
    CHECK_STR(json,
        "{\"Records\":["
        DDB_HEAD(EVENT_ID_1000, "INSERT") "1767226429," DDB_KEYS ","
        "\"NewImage\":{\"pk\":{\"S\":\"user-\\\"7\\\"\"},\"data\":{\"S\":\"xxx\"}},"
        "\"SequenceNumber\":\"1000\",\"SizeBytes\":27,\"StreamViewType\":\"NEW_AND_OLD_IMAGES\"},"
        DDB_ARN ","
        DDB_HEAD(EVENT_ID_1001, "MODIFY") "1767226429," DDB_KEYS ","
        "\"NewImage\":{\"pk\":{\"S\":\"user-\\\"7\\\"\"},\"data\":{\"S\":\"{\\\"poison\\\":true}\"}},"
        "\"OldImage\":{\"pk\":{\"S\":\"user-\\\"7\\\"\"},\"data\":{\"S\":\"{\\\"poison\\\":true}\"}},"
        "\"SequenceNumber\":\"1001\",\"SizeBytes\":68,\"StreamViewType\":\"NEW_AND_OLD_IMAGES\"},"
        DDB_ARN ","
        DDB_HEAD(EVENT_ID_MAX, "REMOVE") "1767226430," DDB_KEYS ","
        "\"OldImage\":{\"pk\":{\"S\":\"user-\\\"7\\\"\"},\"data\":{\"S\":\"\"}},"
        "\"SequenceNumber\":\"18446744073709551615\",\"SizeBytes\":24,"
        "\"StreamViewType\":\"NEW_AND_OLD_IMAGES\"}," DDB_ARN "]}");
    CHECK(json && strlen(json) == expected_ddb_bytes(&ddb_default, recs, 3));
    free(json);
}

/* R15 on a table: the window's fields after the DynamoDB records, as for
 * Kinesis, and the size lambda_event.c and window.c count for them. */
static void test_ddb_window_event(void)
{
    struct lev_ddb_record rec = ddb_record("k", LEV_DDB_INSERT, 7, NULL, 2, 0);
    const char *keys[1] = { "k" };
    uint64_t counts[1] = { 3 };
    struct slog_event_window w = { .start_us = 0, .end_us = 60 * 1000000LL, .n_keys = 1,
                                   .keys = keys, .counts = counts, .final = true };
    char *plain = awsjson_dynamodb_event(&ddb_default, &rec, 1);
    char *json = awsjson_dynamodb_window_event(&ddb_default, &rec, 1, &w);
    CHECK(plain && json);
    if (!plain || !json) {
        free(plain);
        free(json);
        return;
    }
    size_t n = strlen(plain) - 1;   /* without the closing brace */
    CHECK(strncmp(json, plain, n) == 0);
    CHECK_STR(json + n, ",\"window\":{\"start\":\"2026-01-01T00:00:00Z\",\"end\":\"2026-01-01T00:01:00Z\"},"
              "\"state\":{\"k\":3},\"shardId\":\"shardId-00000001573689847184-864758bb\","
              "\"eventSourceARN\":\"arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/"
              "2026-01-01T00:00:00.000\",\"isFinalInvokeForWindow\":true,\"isWindowTerminatedEarly\":false}");
    CHECK_INT(strlen(json), strlen(plain) + win_event_extra_bytes(strlen(ddb_default.shard_id),
                                                                  strlen(ddb_default.event_source_arn),
                                                                  strlen("{\"k\":3}"), true, false));
    free(plain);
    free(json);
}

/* What each view keeps of each kind, and its name in the record. */
static void test_ddb_views(void)
{
    static const struct { enum lev_ddb_view view; const char *name; bool keep[3][2]; } cases[] = {
        /*                                         INSERT       MODIFY       REMOVE  (new, old) */
        { LEV_DDB_NEW_AND_OLD_IMAGES, "NEW_AND_OLD_IMAGES", { { 1, 0 }, { 1, 1 }, { 0, 1 } } },
        { LEV_DDB_NEW_IMAGE, "NEW_IMAGE",                   { { 1, 0 }, { 1, 0 }, { 0, 0 } } },
        { LEV_DDB_OLD_IMAGE, "OLD_IMAGE",                   { { 0, 0 }, { 0, 1 }, { 0, 1 } } },
        { LEV_DDB_KEYS_ONLY, "KEYS_ONLY",                   { { 0, 0 }, { 0, 0 }, { 0, 0 } } },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct lev_source src = ddb_default;
        src.view = cases[c].view;
        src.key_attribute = "Id";
        src.data_attribute = "Message";
        CHECK_STR(lev_ddb_view_name(src.view), cases[c].name);
        for (int kind = LEV_DDB_INSERT; kind <= LEV_DDB_REMOVE; kind++) {
            struct lev_ddb_record r = ddb_record("101", (enum lev_ddb_event)kind, 7, "New item!", 0, 0);
            char *json = awsjson_dynamodb_event(&src, &r, 1);
            bool has_new = json && strstr(json, "\"NewImage\":{\"Id\":{\"S\":\"101\"},"
                                                "\"Message\":{\"S\":\"New item!\"}}");
            bool has_old = json && strstr(json, "\"OldImage\":{\"Id\":{\"S\":\"101\"},"
                                                "\"Message\":{\"S\":\"New item!\"}}");
            CHECK(has_new == cases[c].keep[kind][0]);
            CHECK(has_old == cases[c].keep[kind][1]);
            CHECK(json && strstr(json, "\"Keys\":{\"Id\":{\"S\":\"101\"}}"));
            CHECK(json && strstr(json, cases[c].name));
            CHECK_CONTAINS(json, lev_ddb_event_name((enum lev_ddb_event)kind));
            /* Keys 5, each image 5 + 16 (the AWS sample's attributes, as strings) */
            CHECK_INT(lev_ddb_size_bytes(&src, &r), 5 + 21 * (uint64_t)(has_new + has_old));
            free(json);
        }
    }
}

/* SizeBytes against the AWS sample event (Id 101 is three bytes as a number
 * or as a string): INSERT {Id, Message:"New item!"} 26, REMOVE with
 * Message "This item has changed" 38; and against an INSERT of
 * {id:"2", key:"original"} that Lambda delivered: 17. */
static void test_ddb_size_bytes(void)
{
    struct lev_source src = ddb_default;
    src.key_attribute = "Id";
    src.data_attribute = "Message";
    struct lev_ddb_record r = ddb_record("101", LEV_DDB_INSERT, 1, "New item!", 0, 0);
    CHECK_INT(lev_ddb_size_bytes(&src, &r), 26);
    r = ddb_record("101", LEV_DDB_REMOVE, 1, "This item has changed", 0, 0);
    CHECK_INT(lev_ddb_size_bytes(&src, &r), 38);
    src.key_attribute = "id";
    src.data_attribute = "key";
    r = ddb_record("2", LEV_DDB_INSERT, 1, "original", 0, 0);
    CHECK_INT(lev_ddb_size_bytes(&src, &r), 17);
    /* UTF-8 counts bytes: é is two; a synthetic payload its item_bytes. */
    r = ddb_record("\xc3\xa9", LEV_DDB_INSERT, 1, NULL, 10, 0);
    CHECK_INT(lev_ddb_size_bytes(&src, &r), (2 + 2) + (2 + 2 + 3 + 10));
}

static void test_ddb_creation_time(void)
{
    CHECK_INT(lev_ddb_creation_time(EPOCH_2026, 0), 1767225600);
    CHECK_INT(lev_ddb_creation_time(EPOCH_2026, 999999), 1767225600);   /* rounded down */
    CHECK_INT(lev_ddb_creation_time(EPOCH_2026, 1000000), 1767225601);
    CHECK_INT(lev_ddb_creation_time(-1, 0), -1);                        /* floor, not toward 0 */
    CHECK_INT(lev_ddb_creation_time(-1000, 999999), -1);
    CHECK_INT(lev_ddb_creation_time(-1000, 1000000), 0);
    CHECK_INT(LEV_DDB_GET_RECORDS_MAX_RECORDS, 1000);
    CHECK_INT(LEV_DDB_GET_RECORDS_MAX_BYTES, 1048576);
}

/* One response, the whole text, for the rule R7 shape named by `what`. */
static void check_response(const struct rsp_response *r, const char *want, const char *what)
{
    char *json = awsjson_response(r, NULL);
    if (!json || strcmp(json, want) != 0)
        fprintf(stderr, "R7 %s: the response prints as %s\n", what, json ? json : "(null)");
    CHECK_STR(json, want);
    free(json);
}

static void test_response(void)
{
    check_response(&(struct rsp_response){ .shape = RSP_NULL }, "null", "null response");
    check_response(&(struct rsp_response){ .shape = RSP_OBJECT }, "{}", "empty object");
    check_response(&(struct rsp_response){ .shape = RSP_LIST_NULL },
                   "{\"batchItemFailures\":null}", "null list");
    check_response(&(struct rsp_response){ .shape = RSP_LIST }, "{\"batchItemFailures\":[]}",
                   "empty list");

    static const struct rsp_item items[] = {
        { RSP_ITEM_SEQUENCE, 49590338271490256ull },
        { RSP_ITEM_EMPTY, 0 },
        { RSP_ITEM_NULL, 0 },
        { RSP_ITEM_MISSING, 18446744073709551615ull },   /* the largest sequence, as a string */
    };
    check_response(&(struct rsp_response){ .shape = RSP_LIST, .items = items, .n_items = 1 },
                   "{\"batchItemFailures\":[{\"itemIdentifier\":\"49590338271490256\"}]}",
                   "sequence item");
    check_response(&(struct rsp_response){ .shape = RSP_LIST, .items = items + 1, .n_items = 1 },
                   "{\"batchItemFailures\":[{\"itemIdentifier\":\"\"}]}", "empty identifier");
    check_response(&(struct rsp_response){ .shape = RSP_LIST, .items = items + 2, .n_items = 1 },
                   "{\"batchItemFailures\":[{\"itemIdentifier\":null}]}", "null identifier");
    check_response(&(struct rsp_response){ .shape = RSP_LIST, .item_key = "ItemIdentifier",
                                           .items = items + 3, .n_items = 1 },
                   "{\"batchItemFailures\":[{\"ItemIdentifier\":\"18446744073709551615\"}]}",
                   "misspelt item key");
    check_response(&(struct rsp_response){ .shape = RSP_LIST, .items = items + 3, .n_items = 1 },
                   "{\"batchItemFailures\":[{}]}", "item without any key");
    /* Every kind in one list, in order. */
    check_response(&(struct rsp_response){ .shape = RSP_LIST, .item_key = "ItemIdentifier",
                                           .items = items, .n_items = 4 },
                   "{\"batchItemFailures\":[{\"itemIdentifier\":\"49590338271490256\"},"
                   "{\"itemIdentifier\":\"\"},{\"itemIdentifier\":null},"
                   "{\"ItemIdentifier\":\"18446744073709551615\"}]}", "mixed items");
    /* The list under a misspelt key: the mapping sees an object without it. */
    check_response(&(struct rsp_response){ .shape = RSP_OBJECT, .list_key = "BatchItemFailures",
                                           .items = items, .n_items = 1 },
                   "{\"BatchItemFailures\":[{\"itemIdentifier\":\"49590338271490256\"}]}",
                   "misspelt list key");
    check_response(&(struct rsp_response){ .shape = RSP_OBJECT, .list_key = "BatchItemFailures" },
                   "{\"BatchItemFailures\":[]}", "misspelt list key, empty");
}

/* R15: with a tumbling window the answer begins with the state the
 * function returned, AWS's TimeWindowEventResponse
 * {"state":{...},"batchItemFailures":[...]}; null and {} become the state
 * alone. */
static void test_response_with_state(void)
{
    static const char *const keys[] = { "/docs", "/" };
    static const uint64_t counts[] = { 282, 715 };
    const struct slog_event_window state = { .n_keys = 2, .keys = keys, .counts = counts };
    static const struct rsp_item item = { RSP_ITEM_SEQUENCE, 42 };
    static const struct {
        struct rsp_response r;
        const char *want;
    } cases[] = {
        { { .shape = RSP_NULL }, "{\"state\":{\"/docs\":282,\"/\":715}}" },
        { { .shape = RSP_OBJECT }, "{\"state\":{\"/docs\":282,\"/\":715}}" },
        { { .shape = RSP_LIST }, "{\"state\":{\"/docs\":282,\"/\":715},\"batchItemFailures\":[]}" },
        { { .shape = RSP_LIST, .items = &item, .n_items = 1 },
          "{\"state\":{\"/docs\":282,\"/\":715},"
          "\"batchItemFailures\":[{\"itemIdentifier\":\"42\"}]}" },
        { { .shape = RSP_LIST_NULL },
          "{\"state\":{\"/docs\":282,\"/\":715},\"batchItemFailures\":null}" },
        { { .shape = RSP_OBJECT, .list_key = "BatchItemFailures", .items = &item, .n_items = 1 },
          "{\"state\":{\"/docs\":282,\"/\":715},"
          "\"BatchItemFailures\":[{\"itemIdentifier\":\"42\"}]}" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *json = awsjson_response(&cases[i].r, &state);
        CHECK_STR(json, cases[i].want);
        free(json);
    }
    /* a window's first answer when no record was handled */
    const struct slog_event_window empty = { .n_keys = 0 };
    char *json = awsjson_response(&(struct rsp_response){ .shape = RSP_NULL }, &empty);
    CHECK_STR(json, "{\"state\":{}}");
    free(json);
}

/* The error payloads of an invocation that threw (R5) or timed out (R11). */
static void test_function_error(void)
{
    struct slog_invocation inv = {
        .invocation_id = 7, .shard_id = "shardId-000000000001", .start_us = 600000000,
        .end_us = 630020000, .record_count = 100, .first_sequence_number = 1000,
        .last_sequence_number = 1099, .attempt = 3, .outcome = OUTCOME_TIMEOUT,
        .error = "Task timed out",
    };
    struct slog_event ev = { .inv = &inv, .source = &src_default, .timeout_us = 30000000 };
    char *json = awsjson_function_error(&ev);
    CHECK_STR(json, "{\"errorMessage\":\"2026-01-01T00:10:30.020Z " REQUEST_ID_7
                    " Task timed out after 30.00 seconds\"}");
    free(json);
    ev.timeout_us = 1234567;   /* rounded to the hundredth */
    json = awsjson_function_error(&ev);
    CHECK_CONTAINS(json, " Task timed out after 1.23 seconds\"}");
    free(json);
    ev.timeout_us = 900000000;
    json = awsjson_function_error(&ev);
    CHECK_CONTAINS(json, " Task timed out after 900.00 seconds\"}");
    free(json);

    inv.outcome = OUTCOME_ERROR;
    inv.error = "Unhandled";
    json = awsjson_function_error(&ev);
    CHECK_STR(json, "{\"errorType\":\"Error\",\"errorMessage\":"
                    "\"esmsim: the handler threw on the batch shardId-000000000001 1000-1099\"}");
    free(json);
}

/* lev_u64_digits (issue 15 item 1: without a loop) against printf's
 * digits at every power of ten and of two, on both sides, 0 and the top. */
static void test_u64_digits(void)
{
    uint64_t v[200];
    size_t n = 0;
    v[n++] = 0;
    v[n++] = UINT64_MAX;
    for (uint64_t p = 1, k = 0; k < 20; k++, p *= 10) {
        v[n++] = p;
        v[n++] = p - 1;
        v[n++] = p + 1;
        if (k == 19)
            break;
    }
    for (int k = 1; k < 64; k++) {
        v[n++] = UINT64_C(1) << k;
        v[n++] = (UINT64_C(1) << k) - 1;
    }
    int wrong = 0;
    for (size_t i = 0; i < n; i++) {
        char buf[32];
        size_t want = (size_t)snprintf(buf, sizeof buf, "%llu", (unsigned long long)v[i]);
        if (lev_u64_digits(v[i]) != want && wrong++ < 3)
            fprintf(stderr, "lev_u64_digits(%s) = %zu\n", buf, lev_u64_digits(v[i]));
    }
    CHECK_INT(wrong, 0);
    CHECK_INT(n, 2 + 60 + 126);
}

/* Issue 15 item 1: lev_record_bytes_memo, which remembers the digits of a
 * sequence number's and an arrival second's range, gives what
 * lev_record_bytes_from gives: over walks in shard order across every
 * digit boundary and second, random jumps out of the memo's ranges and
 * back, and timestamps out of the exact range (negative, past 1e15 ms). */
static void test_record_bytes_memo(void)
{
    struct lev_size_memo memo = { 0 };
    size_t source = lev_source_bytes(&src_default);
    int wrong = 0, n = 0;
    for (int walk = 0; walk < 2000; walk++) {
        int64_t epoch = walk % 7 == 0 ? -(int64_t)rnd_below(UINT64_C(1) << 40)
                      : walk % 7 == 1 ? LEV_EXACT_LIMIT - (int64_t)rnd_below(3000)
                      : EPOCH_2026;
        uint64_t seq = walk % 3 == 0 ? random_sequence() : walk % 3 == 1 ? 0 : UINT64_MAX - 50;
        for (uint64_t p = 10; walk % 3 == 1 && p < UINT64_C(10000000000000000000); p *= 10)
            if (rnd_below(4) == 0)
                seq = p - 20;            /* just below a power of ten */
        int64_t arrival = random_arrival_us();
        for (int i = 0; i < 50; i++, n++) {
            size_t key = rnd_below(300);
            uint32_t data = (uint32_t)rnd_below(2000);
            size_t got = lev_record_bytes_memo(&memo, source, epoch, key, seq, data, arrival);
            size_t want = lev_record_bytes_from(source, epoch, key, seq, data, arrival);
            if (got != want && wrong++ < 3)
                fprintf(stderr, "memo: seq %" PRIu64 " arrival %" PRId64 " epoch %" PRId64
                        ": %zu, want %zu\n", seq, arrival, epoch, got, want);
            seq += rnd_below(3);         /* shard order, a sequence number repeated at times */
            if (seq < UINT64_MAX - 50 && rnd_below(50) == 0)
                seq = random_sequence(); /* out of the range, as another shard's */
            arrival += (int64_t)rnd_below(60000);   /* across seconds, every 17th record */
        }
    }
    CHECK_INT(wrong, 0);
    CHECK_INT(n, 100000);

    /* what the memo holds after one record: its ranges */
    memo = (struct lev_size_memo){ 0 };
    lev_record_bytes_memo(&memo, source, EPOCH_2026, 5, 12345, 100, 123456);
    CHECK_INT(memo.seq_lo, 10000);
    CHECK_INT(memo.seq_span, 90000);
    CHECK_INT(memo.seq_digits, 5);
    CHECK_INT(memo.sec_ms, EPOCH_2026);   /* 1767225600.123 s: its second */
    CHECK_INT(memo.sec_span, 1000);
    CHECK_INT(memo.sec_len, 10);
    lev_record_bytes_memo(&memo, source, LEV_EXACT_LIMIT, 5, 7, 100, 0);
    CHECK_INT(memo.seq_lo, 0);
    CHECK_INT(memo.seq_span, 10);
    CHECK_INT(memo.sec_span, 0);          /* cJSON's text out there: nothing kept */
    lev_record_bytes_memo(&memo, source, EPOCH_2026, 5, UINT64_MAX, 100, 0);
    CHECK(memo.seq_lo == UINT64_C(10000000000000000000));
    CHECK(memo.seq_span == UINT64_MAX - UINT64_C(10000000000000000000));
}

int main(void)
{
    test_u64_digits();
    test_record_bytes_memo();
    test_event_empty();
    test_event_exact();
    test_event_size_random();
    test_timestamp();
    test_request_id();
    test_iso_time();
    test_invocation_record();
    test_invocation_record_dynamodb();
    test_ddb_event_exact();
    test_ddb_event_size_random();
    test_ddb_views();
    test_ddb_window_event();
    test_ddb_size_bytes();
    test_ddb_creation_time();
    test_response();
    test_response_with_state();
    test_function_error();
    return check_done();
}
