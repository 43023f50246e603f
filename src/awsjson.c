/*
 * awsjson.c - AWS's JSON shapes, built with cJSON: the Kinesis Lambda event
 * (SPEC section 4; its size is counted by lambda_event.c for R2), the
 * OnFailure invocation record of a discarded batch (R6), and what the
 * function answered an invocation (R7), for --dump-events.
 *
 * Key order follows AWS's own examples (the Kinesis sample event of the
 * "Using Lambda with Kinesis" page, and the invocation record of "Retain
 * discarded batch records for a Kinesis Data Streams event source"), so a
 * text diff against a real record shows only the values.  Base64 comes from
 * nettle.  Nothing reads the wall clock.
 */
#include "awsjson.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <nettle/base64.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * A tree under construction.  cJSON's Add* calls return NULL when out of
 * memory; rather than test each one, the helpers below latch the failure in
 * ok and the caller looks once at the end.
 */
struct aj_build {
    bool ok;
};

static cJSON *aj_check(struct aj_build *b, cJSON *item)
{
    if (!item)
        b->ok = false;
    return item;
}

static void aj_str(struct aj_build *b, cJSON *obj, const char *key, const char *val)
{
    if (obj)
        aj_check(b, cJSON_AddStringToObject(obj, key, val ? val : ""));
}

static void aj_num(struct aj_build *b, cJSON *obj, const char *key, double val)
{
    if (obj)
        aj_check(b, cJSON_AddNumberToObject(obj, key, val));
}

static cJSON *aj_obj(struct aj_build *b, cJSON *parent, const char *key)
{
    return parent ? aj_check(b, cJSON_AddObjectToObject(parent, key)) : NULL;
}

/* Print compactly and free the tree; NULL if anything failed on the way. */
static char *aj_finish(struct aj_build *b, cJSON *root)
{
    char *text = b->ok && root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}

/* ------------------------------------------------------------------------ */

const char *awsjson_condition_name(enum discard_condition c)
{
    return c == DISCARD_RECORD_AGE ? "RecordAgeExceeded" : "RetryAttemptsExhausted";
}

/* Vigna's splitmix64 step: a good bijective mix for turning a counter into
 * well-spread bits. */
static uint64_t aj_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

void awsjson_request_id(uint64_t invocation_id, char *buf)
{
    uint64_t state = invocation_id;
    uint64_t hi = aj_splitmix64(&state);
    uint64_t lo = aj_splitmix64(&state);
    hi = (hi & ~UINT64_C(0xf000)) | UINT64_C(0x4000);            /* version 4 */
    lo = (lo & ~(UINT64_C(3) << 62)) | (UINT64_C(2) << 62);     /* variant 10xx */
    snprintf(buf, AWSJSON_UUID_LEN + 1, "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64
             "-%04" PRIx64 "-%012" PRIx64,
             hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff, lo >> 48, lo & UINT64_C(0xffffffffffff));
}

/* Floor division: virtual times are >= 0, but a negative epoch must not
 * round toward zero. */
static int64_t aj_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void awsjson_iso_time(int64_t epoch_ms, int64_t at_us, char *buf)
{
    int64_t ms = epoch_ms + aj_floor_div(at_us, 1000);
    int64_t secs = aj_floor_div(ms, 1000);
    time_t t = (time_t)secs;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {   /* a year beyond int: no real epoch gets here */
        snprintf(buf, 32, "1970-01-01T00:00:00.000Z");
        return;
    }
    size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 32 - n, ".%03dZ", (int)(ms - secs * 1000));
}

/* arn:PARTITION:SERVICE:... names the service that owns the stream. */
static bool aj_is_dynamodb_arn(const char *arn)
{
    if (!arn || strncmp(arn, "arn:", 4) != 0)
        return false;
    const char *service = strchr(arn + 4, ':');
    return service && strncmp(service + 1, "dynamodb:", 9) == 0;
}

char *awsjson_invocation_record(const struct slog_discard *d)
{
    struct aj_build b = { .ok = true };
    cJSON *root = aj_check(&b, cJSON_CreateObject());
    char text[64];

    cJSON *req = aj_obj(&b, root, "requestContext");
    awsjson_request_id(d->invocation_id, text);
    aj_str(&b, req, "requestId", text);
    aj_str(&b, req, "functionArn", d->function_arn);
    aj_str(&b, req, "condition", awsjson_condition_name(d->condition));
    aj_num(&b, req, "approximateInvokeCount", d->approximate_invoke_count);

    if (d->has_response) {
        cJSON *resp = aj_obj(&b, root, "responseContext");
        aj_num(&b, resp, "statusCode", 200);   /* the invoke call succeeded; the function erred */
        aj_str(&b, resp, "executedVersion", "$LATEST");
        if (d->function_error)
            aj_str(&b, resp, "functionError", d->function_error);
        else if (resp)
            aj_check(&b, cJSON_AddNullToObject(resp, "functionError"));
    }

    aj_str(&b, root, "version", "1.0");
    awsjson_iso_time(d->epoch_ms, d->at_us, text);
    aj_str(&b, root, "timestamp", text);

    cJSON *info = aj_obj(&b, root, aj_is_dynamodb_arn(d->stream_arn) ? "DDBStreamBatchInfo"
                                                                       : "KinesisBatchInfo");
    aj_str(&b, info, "shardId", d->shard_id);
    snprintf(text, sizeof text, "%" PRIu64, d->start_sequence_number);
    aj_str(&b, info, "startSequenceNumber", text);
    snprintf(text, sizeof text, "%" PRIu64, d->end_sequence_number);
    aj_str(&b, info, "endSequenceNumber", text);
    awsjson_iso_time(d->epoch_ms, d->first_arrival_us, text);
    aj_str(&b, info, "approximateArrivalOfFirstRecord", text);
    awsjson_iso_time(d->epoch_ms, d->last_arrival_us, text);
    aj_str(&b, info, "approximateArrivalOfLastRecord", text);
    aj_num(&b, info, "batchSize", d->record_count);
    aj_str(&b, info, "streamArn", d->stream_arn);

    return aj_finish(&b, root);
}

/* ------------------------------------------------------------------------ */

/* Base64 of one record's data (nettle), synthetic records drawing on filler,
 * a buffer of AWSJSON_FILLER_BYTE long enough for any of them. */
static char *aj_base64(const struct slog_event_record *r, const uint8_t *filler)
{
    size_t len = lev_base64_len(r->data_len);
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    base64_encode_raw(out, r->data_len, r->data ? r->data : filler);
    out[len] = 0;
    return out;
}

/* What every record of one event shares while it is built. */
struct aj_event {
    struct aj_build b;
    const struct lev_source *src;
    const char *shard_id;   /* src->shard_id, "" when missing */
    uint8_t *filler;        /* AWSJSON_FILLER_BYTE, as long as the longest synthetic record */
    char *event_id;         /* room for "SHARD:SEQUENCE" */
};

static void aj_kinesis_record(struct aj_event *e, cJSON *list, const struct slog_event_record *r)
{
    struct aj_build *b = &e->b;
    cJSON *rec = aj_check(b, cJSON_CreateObject());
    if (!rec)
        return;
    if (!cJSON_AddItemToArray(list, rec)) {
        cJSON_Delete(rec);
        b->ok = false;
        return;
    }
    char seq[24];
    snprintf(seq, sizeof seq, "%" PRIu64, r->sequence_number);

    cJSON *k = aj_obj(b, rec, "kinesis");
    aj_str(b, k, "kinesisSchemaVersion", "1.0");
    aj_str(b, k, "partitionKey", r->partition_key);
    aj_str(b, k, "sequenceNumber", seq);
    char *data = aj_base64(r, e->filler);
    if (!data)
        b->ok = false;
    else
        aj_str(b, k, "data", data);
    free(data);
    /* The double lambda_event.c counts: epoch seconds, milliseconds as decimals. */
    aj_num(b, k, "approximateArrivalTimestamp",
           (double)(e->src->epoch_ms + r->arrival_us / 1000) / 1000.0);

    aj_str(b, rec, "eventSource", "aws:kinesis");
    aj_str(b, rec, "eventVersion", "1.0");
    sprintf(e->event_id, "%s:%s", e->shard_id, seq);
    aj_str(b, rec, "eventID", e->event_id);
    aj_str(b, rec, "eventName", "aws:kinesis:record");
    aj_str(b, rec, "invokeIdentityArn", e->src->invoke_identity_arn);
    aj_str(b, rec, "awsRegion", e->src->region);
    aj_str(b, rec, "eventSourceARN", e->src->event_source_arn);
}

char *awsjson_kinesis_event(const struct lev_source *src,
                            const struct slog_event_record *records, size_t n)
{
    struct aj_event e = { .b = { .ok = true }, .src = src,
                          .shard_id = src->shard_id ? src->shard_id : "" };
    size_t filler_len = 0;
    for (size_t i = 0; i < n; i++)
        if (!records[i].data && records[i].data_len > filler_len)
            filler_len = records[i].data_len;
    e.filler = malloc(filler_len + 1);
    e.event_id = malloc(strlen(e.shard_id) + 1 + 24);
    cJSON *root = NULL;
    if (e.filler && e.event_id) {
        memset(e.filler, AWSJSON_FILLER_BYTE, filler_len);
        root = aj_check(&e.b, cJSON_CreateObject());
        cJSON *list = root ? aj_check(&e.b, cJSON_AddArrayToObject(root, "Records")) : NULL;
        for (size_t i = 0; list && e.b.ok && i < n; i++)
            aj_kinesis_record(&e, list, &records[i]);
    } else {
        e.b.ok = false;
    }
    free(e.filler);
    free(e.event_id);
    return aj_finish(&e.b, root);
}

/* ------------------------------------------------------------------------ */

/* One element of batchItemFailures, as the handler wrote it. */
static void aj_response_item(struct aj_build *b, cJSON *list, const struct rsp_item *it,
                             const char *item_key)
{
    cJSON *obj = aj_check(b, cJSON_CreateObject());
    if (!obj)
        return;
    if (!cJSON_AddItemToArray(list, obj)) {
        cJSON_Delete(obj);
        b->ok = false;
        return;
    }
    char seq[24];
    snprintf(seq, sizeof seq, "%" PRIu64, it->sequence_number);
    switch (it->kind) {
    case RSP_ITEM_SEQUENCE:
        aj_str(b, obj, RSP_ITEM_KEY, seq);
        break;
    case RSP_ITEM_EMPTY:
        aj_str(b, obj, RSP_ITEM_KEY, "");
        break;
    case RSP_ITEM_NULL:
        aj_check(b, cJSON_AddNullToObject(obj, RSP_ITEM_KEY));
        break;
    case RSP_ITEM_MISSING:
        if (item_key)    /* no key at all: the object stays empty */
            aj_str(b, obj, item_key, seq);
        break;
    }
}

char *awsjson_response(const struct rsp_response *r)
{
    struct aj_build b = { .ok = true };
    cJSON *root;
    const char *list_key = RSP_LIST_KEY;
    switch (r->shape) {
    case RSP_NULL:
        return aj_finish(&b, aj_check(&b, cJSON_CreateNull()));
    case RSP_LIST_NULL:
        root = aj_check(&b, cJSON_CreateObject());
        if (root)
            aj_check(&b, cJSON_AddNullToObject(root, RSP_LIST_KEY));
        return aj_finish(&b, root);
    case RSP_OBJECT:
        if (!r->list_key)
            return aj_finish(&b, aj_check(&b, cJSON_CreateObject()));
        list_key = r->list_key;
        break;
    case RSP_LIST:
        break;
    }
    root = aj_check(&b, cJSON_CreateObject());
    cJSON *list = root ? aj_check(&b, cJSON_AddArrayToObject(root, list_key)) : NULL;
    for (uint32_t i = 0; list && b.ok && i < r->n_items; i++)
        aj_response_item(&b, list, &r->items[i], r->item_key);
    return aj_finish(&b, root);
}

char *awsjson_function_error(const struct slog_event *ev)
{
    const struct slog_invocation *inv = ev->inv;
    struct aj_build b = { .ok = true };
    cJSON *root = aj_check(&b, cJSON_CreateObject());
    char text[256];
    if (inv->outcome == OUTCOME_TIMEOUT) {
        /* Lambda's runtime log line: end time, request id, the timeout to
         * the hundredth of a second (rounded, in integers: no float text). */
        char when[32], request_id[AWSJSON_UUID_LEN + 1];
        awsjson_iso_time(ev->source->epoch_ms, inv->end_us, when);
        awsjson_request_id(inv->invocation_id, request_id);
        int64_t centis = (ev->timeout_us + 5000) / 10000;
        snprintf(text, sizeof text, "%s %s Task timed out after %" PRId64 ".%02" PRId64 " seconds",
                 when, request_id, centis / 100, centis % 100);
    } else {
        aj_str(&b, root, "errorType", "Error");
        snprintf(text, sizeof text, "esmsim: the handler threw on the batch %s %" PRIu64 "-%" PRIu64,
                 inv->shard_id ? inv->shard_id : "", inv->first_sequence_number,
                 inv->last_sequence_number);
    }
    aj_str(&b, root, "errorMessage", text);
    return aj_finish(&b, root);
}
