/*
 * awsjson.c - AWS's JSON shapes, built with cJSON: the Lambda events of
 * Kinesis and DynamoDB Streams (SPEC section 4; their sizes are counted by
 * lambda_event.c for R2), the OnFailure invocation record of a discarded
 * batch (R6), and what the function answered an invocation (R7), for
 * --dump-events.
 *
 * Key order follows AWS's own examples (the Kinesis sample event of the
 * "Using Lambda with Kinesis" page, the DynamoDB records Lambda delivers,
 * and the invocation records of the "Retain discarded records" pages), so a
 * text diff against a real record shows only the values.  Base64 and MD5
 * come from nettle.  Nothing reads the wall clock.
 */
#include "awsjson.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <nettle/base64.h>
#include <nettle/md5.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keytab.h"

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

/* A new object at the end of the array list. */
static cJSON *aj_array_obj(struct aj_build *b, cJSON *list)
{
    cJSON *obj = aj_check(b, cJSON_CreateObject());
    if (obj && !cJSON_AddItemToArray(list, obj)) {
        cJSON_Delete(obj);
        b->ok = false;
        return NULL;
    }
    return obj;
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
    uint64_t bits[2];
    bits[0] = aj_splitmix64(&state);
    bits[1] = aj_splitmix64(&state);
    awsjson_uuid(bits, buf);
}

void awsjson_uuid(const uint64_t bits[2], char *buf)
{
    uint64_t hi = bits[0], lo = bits[1];
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

/* ISO-8601 UTC text, to the millisecond or (with_ms false) to the second,
 * rounded down. */
static void aj_iso_time(int64_t epoch_ms, int64_t at_us, bool with_ms, char *buf)
{
    int64_t ms = epoch_ms + aj_floor_div(at_us, 1000);
    int64_t secs = aj_floor_div(ms, 1000);
    time_t t = (time_t)secs;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {   /* a year beyond int: no real epoch gets here */
        snprintf(buf, 32, with_ms ? "1970-01-01T00:00:00.000Z" : "1970-01-01T00:00:00Z");
        return;
    }
    size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    if (with_ms)
        snprintf(buf + n, 32 - n, ".%03dZ", (int)(ms - secs * 1000));
    else
        snprintf(buf + n, 32 - n, "Z");
}

void awsjson_iso_time(int64_t epoch_ms, int64_t at_us, char *buf)
{
    aj_iso_time(epoch_ms, at_us, true, buf);
}

char *awsjson_invocation_record(const struct slog_discard *d)
{
    struct aj_build b = { .ok = true };
    cJSON *root = aj_check(&b, cJSON_CreateObject());
    char text[64];

    cJSON *req = aj_obj(&b, root, "requestContext");
    awsjson_uuid(d->request_id, text);
    aj_str(&b, req, "requestId", text);
    aj_str(&b, req, "functionArn", d->function_arn);
    aj_str(&b, req, "condition", awsjson_condition_name(d->condition));
    aj_num(&b, req, "approximateInvokeCount", d->approximate_invoke_count);

    if (d->has_response) {
        cJSON *resp = aj_obj(&b, root, "responseContext");
        aj_num(&b, resp, "statusCode", d->status_code);   /* the Invoke call's: 200 when the
                                                              function ran, 413 when refused */
        aj_str(&b, resp, "executedVersion", "$LATEST");
        if (d->function_error)
            aj_str(&b, resp, "functionError", d->function_error);
        else if (resp)
            aj_check(&b, cJSON_AddNullToObject(resp, "functionError"));
    }

    aj_str(&b, root, "version", "1.0");
    awsjson_iso_time(d->epoch_ms, d->at_us, text);
    aj_str(&b, root, "timestamp", text);

    /* DynamoDB knows arrival times to the second only (its
     * ApproximateCreationDateTime), and AWS's example prints them so. */
    bool ddb = d->source_type == SLOG_SOURCE_DYNAMODB;
    cJSON *info = aj_obj(&b, root, ddb ? "DDBStreamBatchInfo" : "KinesisBatchInfo");
    aj_str(&b, info, "shardId", d->shard_id);
    snprintf(text, sizeof text, "%" PRIu64, d->start_sequence_number);
    aj_str(&b, info, "startSequenceNumber", text);
    snprintf(text, sizeof text, "%" PRIu64, d->end_sequence_number);
    aj_str(&b, info, "endSequenceNumber", text);
    aj_iso_time(d->epoch_ms, d->first_arrival_us, !ddb, text);
    aj_str(&b, info, "approximateArrivalOfFirstRecord", text);
    aj_iso_time(d->epoch_ms, d->last_arrival_us, !ddb, text);
    aj_str(&b, info, "approximateArrivalOfLastRecord", text);
    aj_num(&b, info, "batchSize", d->record_count);
    aj_str(&b, info, "streamArn", d->stream_arn);

    return aj_finish(&b, root);
}

/* ------------------------------------------------------------------------ */

/* What every record of one event shares while it is built. */
struct aj_event {
    struct aj_build b;
    const struct lev_source *src;
    const char *shard_id;   /* src->shard_id, "" when missing */
    char *filler;           /* AWSJSON_FILLER_BYTE, as long as the longest synthetic record */
    char *text;             /* room for "SHARD:SEQUENCE" */
    size_t text_size;
};

/* What the event builder needs of one record type (Kinesis, DynamoDB):
 * the length of element i's synthetic payload (0 when it has real data),
 * and how to fill rec with element i. */
struct aj_record_type {
    size_t (*synthetic_len)(const void *records, size_t i);
    void (*fill)(struct aj_event *e, cJSON *rec, const void *records, size_t i);
};

/* "state": w's state, in an event or a response (R15). */
static void aj_state(struct aj_build *b, cJSON *root, const struct slog_event_window *w)
{
    if (w->state_json) {   /* a real handler's: the bytes it returned, as they are */
        cJSON *raw = aj_check(b, cJSON_CreateRaw(w->state_json));
        if (raw && !cJSON_AddItemToObject(root, "state", raw)) {
            cJSON_Delete(raw);
            b->ok = false;
        }
    } else {
        cJSON *state = aj_obj(b, root, "state");
        for (uint32_t i = 0; state && i < w->n_keys; i++)
            aj_num(b, state, w->keys[i], (double)w->counts[i]);
    }
}

/* The tumbling-window fields after "Records" (R15). */
static void aj_window(struct aj_event *e, cJSON *root, const struct slog_event_window *w)
{
    struct aj_build *b = &e->b;
    char when[32];
    cJSON *window = aj_obj(b, root, "window");
    aj_iso_time(e->src->epoch_ms, w->start_us, false, when);
    aj_str(b, window, "start", when);
    aj_iso_time(e->src->epoch_ms, w->end_us, false, when);
    aj_str(b, window, "end", when);
    aj_state(b, root, w);
    aj_str(b, root, "shardId", e->shard_id);
    aj_str(b, root, "eventSourceARN", e->src->event_source_arn);
    aj_check(b, cJSON_AddBoolToObject(root, "isFinalInvokeForWindow", w->final));
    aj_check(b, cJSON_AddBoolToObject(root, "isWindowTerminatedEarly", w->terminated_early));
}

/* {"Records":[...]} for n records of one shard, and the window's fields
 * when w is not NULL. */
static char *aj_stream_event(const struct lev_source *src, const void *records, size_t n,
                             const struct aj_record_type *type,
                             const struct slog_event_window *w)
{
    struct aj_event e = { .b = { .ok = true }, .src = src,
                          .shard_id = src->shard_id ? src->shard_id : "" };
    size_t filler_len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = type->synthetic_len(records, i);
        filler_len = len > filler_len ? len : filler_len;
    }
    e.filler = malloc(filler_len + 1);
    e.text_size = strlen(e.shard_id) + 1 + 24;
    e.text = malloc(e.text_size);
    cJSON *root = NULL;
    if (e.filler && e.text) {
        memset(e.filler, AWSJSON_FILLER_BYTE, filler_len);
        e.filler[filler_len] = 0;
        root = aj_check(&e.b, cJSON_CreateObject());
        cJSON *list = root ? aj_check(&e.b, cJSON_AddArrayToObject(root, "Records")) : NULL;
        for (size_t i = 0; list && e.b.ok && i < n; i++) {
            cJSON *rec = aj_array_obj(&e.b, list);
            if (rec)
                type->fill(&e, rec, records, i);
        }
        if (root && w && e.b.ok)
            aj_window(&e, root, w);
    } else {
        e.b.ok = false;
    }
    free(e.filler);
    free(e.text);
    return aj_finish(&e.b, root);
}

/* Base64 of one record's data (nettle), synthetic records drawing on the
 * filler. */
static char *aj_base64(const struct slog_event_record *r, const char *filler)
{
    size_t len = lev_base64_len(r->data_len);
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    base64_encode_raw(out, r->data_len, r->data ? r->data : (const uint8_t *)filler);
    out[len] = 0;
    return out;
}

static void aj_kinesis_record(struct aj_event *e, cJSON *rec, const void *records, size_t i)
{
    const struct slog_event_record *r = (const struct slog_event_record *)records + i;
    struct aj_build *b = &e->b;
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
    snprintf(e->text, e->text_size, "%s:%s", e->shard_id, seq);
    aj_str(b, rec, "eventID", e->text);
    aj_str(b, rec, "eventName", "aws:kinesis:record");
    aj_str(b, rec, "invokeIdentityArn", e->src->invoke_identity_arn);
    aj_str(b, rec, "awsRegion", e->src->region);
    aj_str(b, rec, "eventSourceARN", e->src->event_source_arn);
}

static size_t aj_kinesis_synthetic(const void *records, size_t i)
{
    const struct slog_event_record *r = (const struct slog_event_record *)records + i;
    return r->data ? 0 : r->data_len;
}

char *awsjson_kinesis_event(const struct lev_source *src,
                            const struct slog_event_record *records, size_t n)
{
    return awsjson_kinesis_window_event(src, records, n, NULL);
}

char *awsjson_kinesis_window_event(const struct lev_source *src,
                                   const struct slog_event_record *records, size_t n,
                                   const struct slog_event_window *w)
{
    static const struct aj_record_type kinesis = { aj_kinesis_synthetic, aj_kinesis_record };
    return aj_stream_event(src, records, n, &kinesis, w);
}

/* eventID: the MD5 of the Kinesis-style "SHARD:SEQUENCE" in lowercase hex,
 * the look of DynamoDB's own ids and the same in every run. */
static void aj_ddb_event_id(struct aj_event *e, const char *seq, char *id)
{
    struct md5_ctx ctx;
    uint8_t digest[MD5_DIGEST_SIZE];
    int len = sprintf(e->text, "%s:%s", e->shard_id, seq);
    md5_init(&ctx);
    md5_update(&ctx, (size_t)len, (const uint8_t *)e->text);
    md5_digest(&ctx, sizeof digest, digest);
    for (size_t i = 0; i < sizeof digest; i++)
        sprintf(id + 2 * i, "%02x", digest[i]);
}

/* "name":{"S":"value"} */
static void aj_ddb_string(struct aj_build *b, cJSON *item, const char *name, const char *value)
{
    aj_str(b, aj_obj(b, item, name), "S", value);
}

/* Keys (the key attribute alone) or an image (the key and the payload).
 * Both images show the one modelled item: what a MODIFY changed is not
 * modelled. */
static void aj_ddb_item(struct aj_event *e, cJSON *dynamodb, const char *field,
                        const struct lev_ddb_record *r, bool image)
{
    const struct lev_source *src = e->src;
    cJSON *item = aj_obj(&e->b, dynamodb, field);
    aj_ddb_string(&e->b, item, src->key_attribute ? src->key_attribute : LEV_DDB_KEY_ATTRIBUTE,
                  r->key);
    if (!image)
        return;
    const char *name = src->data_attribute ? src->data_attribute : LEV_DDB_DATA_ATTRIBUTE;
    if (r->data) {
        aj_ddb_string(&e->b, item, name, r->data);
    } else {   /* the filler cut to item_bytes for a moment */
        char *end = e->filler + r->item_bytes, saved = *end;
        *end = 0;
        aj_ddb_string(&e->b, item, name, e->filler);
        *end = saved;
    }
}

static void aj_ddb_record(struct aj_event *e, cJSON *rec, const void *records, size_t i)
{
    const struct lev_ddb_record *r = (const struct lev_ddb_record *)records + i;
    const struct lev_source *src = e->src;
    struct aj_build *b = &e->b;
    char seq[24], id[LEV_DDB_EVENT_ID_LEN + 1];
    snprintf(seq, sizeof seq, "%" PRIu64, r->sequence_number);
    aj_ddb_event_id(e, seq, id);
    unsigned images = lev_ddb_images(src->view, r->kind);

    aj_str(b, rec, "eventID", id);
    aj_str(b, rec, "eventName", lev_ddb_event_name(r->kind));
    aj_str(b, rec, "eventVersion", "1.1");
    aj_str(b, rec, "eventSource", "aws:dynamodb");
    aj_str(b, rec, "awsRegion", src->region);
    cJSON *dyn = aj_obj(b, rec, "dynamodb");
    aj_num(b, dyn, "ApproximateCreationDateTime",
           (double)lev_ddb_creation_time(src->epoch_ms, r->arrival_us));
    aj_ddb_item(e, dyn, "Keys", r, false);
    if (images & LEV_DDB_HAS_NEW)
        aj_ddb_item(e, dyn, "NewImage", r, true);
    if (images & LEV_DDB_HAS_OLD)
        aj_ddb_item(e, dyn, "OldImage", r, true);
    aj_str(b, dyn, "SequenceNumber", seq);
    aj_num(b, dyn, "SizeBytes", (double)lev_ddb_size_bytes(src, r));
    aj_str(b, dyn, "StreamViewType", lev_ddb_view_name(src->view));
    aj_str(b, rec, "eventSourceARN", src->event_source_arn);
}

static size_t aj_ddb_synthetic(const void *records, size_t i)
{
    const struct lev_ddb_record *r = (const struct lev_ddb_record *)records + i;
    return r->data ? 0 : r->item_bytes;
}

char *awsjson_dynamodb_event(const struct lev_source *src,
                             const struct lev_ddb_record *records, size_t n)
{
    return awsjson_dynamodb_window_event(src, records, n, NULL);
}

char *awsjson_dynamodb_window_event(const struct lev_source *src,
                                    const struct lev_ddb_record *records, size_t n,
                                    const struct slog_event_window *w)
{
    static const struct aj_record_type dynamodb = { aj_ddb_synthetic, aj_ddb_record };
    return aj_stream_event(src, records, n, &dynamodb, w);
}

char *awsjson_event(const struct slog_event *ev)
{
    if (ev->source_type != SLOG_SOURCE_DYNAMODB)
        return awsjson_kinesis_window_event(ev->source, ev->records, ev->n_records, ev->window);
    struct lev_ddb_record *items = malloc((ev->n_records ? ev->n_records : 1) * sizeof *items);
    if (!items)
        return NULL;
    for (uint32_t i = 0; i < ev->n_records; i++) {
        const struct slog_event_record *r = &ev->records[i];
        items[i] = (struct lev_ddb_record){
            .key = r->partition_key, .key_len = strlen(r->partition_key),
            .key_json_len = json_escaped_len(r->partition_key),
            .kind = (enum lev_ddb_event)r->ddb_event, .sequence_number = r->sequence_number,
            .data = (const char *)r->data, .item_bytes = r->data_len, .arrival_us = r->arrival_us,
        };
    }
    char *json = awsjson_dynamodb_window_event(ev->source, items, ev->n_records, ev->window);
    free(items);
    return json;
}

/* ------------------------------------------------------------------------ */

/* One element of batchItemFailures, as the handler wrote it. */
static void aj_response_item(struct aj_build *b, cJSON *list, const struct rsp_item *it,
                             const char *item_key)
{
    cJSON *obj = aj_array_obj(b, list);
    if (!obj)
        return;
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
    case RSP_ITEM_INVALID:   /* a real handler's, whose answer is dumped as it posted it */
        aj_str(b, obj, RSP_ITEM_KEY, "?");
        break;
    }
}

char *awsjson_response(const struct rsp_response *r, const struct slog_event_window *state)
{
    struct aj_build b = { .ok = true };
    /* null, {} and a real handler's invalid answer (dumped as it posted
     * it) carry no list */
    const char *list_key = r->shape == RSP_LIST || r->shape == RSP_LIST_NULL ? RSP_LIST_KEY
                           : r->shape == RSP_OBJECT ? r->list_key : NULL;
    if (!state && !list_key && r->shape != RSP_OBJECT)
        return aj_finish(&b, aj_check(&b, cJSON_CreateNull()));
    cJSON *root = aj_check(&b, cJSON_CreateObject());
    if (root && state)
        aj_state(&b, root, state);
    if (root && r->shape == RSP_LIST_NULL) {
        aj_check(&b, cJSON_AddNullToObject(root, RSP_LIST_KEY));
    } else if (root && list_key) {
        cJSON *list = aj_check(&b, cJSON_AddArrayToObject(root, list_key));
        for (uint32_t i = 0; list && b.ok && i < r->n_items; i++)
            aj_response_item(&b, list, &r->items[i], r->item_key);
    }
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
