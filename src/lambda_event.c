/*
 * lambda_event.c - the byte size of the Kinesis Lambda event JSON (R2),
 * counted without building it.
 *
 * The mapping asks for every record it adds to a batch whether the event
 * would pass 6,291,456 bytes, so this is on the hot path: plain arithmetic,
 * no allocation, no printf for the usual timestamps.  awsjson.c builds the
 * same event with cJSON and tests/test_awsjson.c proves both agree to the
 * byte, so any change to the record shape must be made in both places.
 */
#include "lambda_event.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "keytab.h"   /* json_escaped_len: cJSON's escaping rules, in the core */

/*
 * The fixed text of one record (lambda_event.h shows the whole shape); each
 * LEV_* piece runs up to the next variable field.
 */
#define LEV_KINESIS_OPEN  "{\"kinesis\":{\"kinesisSchemaVersion\":\"1.0\",\"partitionKey\":\""
#define LEV_SEQ_OPEN      "\",\"sequenceNumber\":\""
#define LEV_DATA_OPEN     "\",\"data\":\""
#define LEV_TS_OPEN       "\",\"approximateArrivalTimestamp\":"
#define LEV_KINESIS_CLOSE "},\"eventSource\":\"aws:kinesis\",\"eventVersion\":\"1.0\"," \
                          "\"eventID\":\""
#define LEV_ID_SEP        ":"
#define LEV_NAME_ROLE     "\",\"eventName\":\"aws:kinesis:record\",\"invokeIdentityArn\":\""
#define LEV_REGION_OPEN   "\",\"awsRegion\":\""
#define LEV_ARN_OPEN      "\",\"eventSourceARN\":\""
#define LEV_RECORD_CLOSE  "\"}"

#define LEV_RECORD_FIXED (sizeof(LEV_KINESIS_OPEN LEV_SEQ_OPEN LEV_DATA_OPEN LEV_TS_OPEN \
                                 LEV_KINESIS_CLOSE LEV_ID_SEP LEV_NAME_ROLE LEV_REGION_OPEN \
                                 LEV_ARN_OPEN LEV_RECORD_CLOSE) - 1)

#define LEV_ENVELOPE "{\"Records\":[]}"

/* Below this many milliseconds the timestamp has at most 15 significant
 * digits, so cJSON's "%1.15g" prints it exactly and the integer rendering
 * below is the same text.  1e15 ms is the year 33658. */
#define LEV_EXACT_MS_LIMIT 1000000000000000LL

size_t lev_envelope_bytes(void)
{
    return sizeof(LEV_ENVELOPE) - 1;
}

static size_t lev_u64_digits(uint64_t v)
{
    size_t n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

static const char *lev_str(const char *s)
{
    return s ? s : "";   /* a missing field prints as "" in awsjson.c too */
}

/* Milliseconds since the Unix epoch of a virtual arrival time. */
static int64_t lev_arrival_ms(int64_t epoch_ms, int64_t arrival_us)
{
    return epoch_ms + arrival_us / 1000;   /* arrival_us >= 0: floor */
}

/*
 * What cJSON prints for the double ms / 1000.0, for values outside the exact
 * range (negative, or more than 15 digits): its print_number, step for step.
 */
static size_t lev_format_like_cjson(int64_t ms, char *buf)
{
    double d = (double)ms / 1000.0;
    double back = 0.0;
    int len = snprintf(buf, 32, "%1.15g", d);
    /* cJSON's round-trip test is a relative tolerance, not equality */
    if (sscanf(buf, "%lg", &back) != 1 || fabs(back - d) > fmax(fabs(back), fabs(d)) * DBL_EPSILON)
        len = snprintf(buf, 32, "%1.17g", d);
    return (size_t)len;
}

size_t lev_format_timestamp(int64_t epoch_ms, int64_t arrival_us, char *buf)
{
    int64_t ms = lev_arrival_ms(epoch_ms, arrival_us);
    if (ms < 0 || ms >= LEV_EXACT_MS_LIMIT)
        return lev_format_like_cjson(ms, buf);

    int len = snprintf(buf, 32, "%lld", (long long)(ms / 1000));
    unsigned frac = (unsigned)(ms % 1000);
    if (frac == 0)
        return (size_t)len;
    /* Three decimals with the trailing zeros cut: .5, .25, .125 */
    char digits[4] = { (char)('0' + frac / 100), (char)('0' + frac / 10 % 10),
                       (char)('0' + frac % 10), 0 };
    size_t nd = 3;
    while (digits[nd - 1] == '0')
        nd--;
    buf[len++] = '.';
    memcpy(buf + len, digits, nd);
    len += (int)nd;
    buf[len] = 0;
    return (size_t)len;
}

/* Length of the timestamp text without writing it: the hot path. */
static size_t lev_timestamp_len(int64_t epoch_ms, int64_t arrival_us)
{
    int64_t ms = lev_arrival_ms(epoch_ms, arrival_us);
    if (ms < 0 || ms >= LEV_EXACT_MS_LIMIT) {
        char buf[32];
        return lev_format_like_cjson(ms, buf);
    }
    size_t len = lev_u64_digits((uint64_t)(ms / 1000));
    unsigned frac = (unsigned)(ms % 1000);
    if (frac != 0)
        len += frac % 100 == 0 ? 2 : frac % 10 == 0 ? 3 : 4;   /* ".d", ".dd", ".ddd" */
    return len;
}

size_t lev_source_bytes(const struct lev_source *src)
{
    return LEV_RECORD_FIXED
           + json_escaped_len(lev_str(src->shard_id))
           + json_escaped_len(lev_str(src->invoke_identity_arn))
           + json_escaped_len(lev_str(src->region))
           + json_escaped_len(lev_str(src->event_source_arn));
}

size_t lev_record_bytes_from(size_t source_bytes, int64_t epoch_ms, size_t key_json_len,
                             uint64_t sequence_number, uint32_t data_bytes,
                             int64_t arrival_us)
{
    return source_bytes + key_json_len
           + 2 * lev_u64_digits(sequence_number)     /* sequenceNumber, and in eventID */
           + lev_base64_len(data_bytes)
           + lev_timestamp_len(epoch_ms, arrival_us);
}

/* Scans the source strings on every call (~100 ns a record): fine for a few
 * records; a caller sizing every record should use the two-step form. */
size_t lev_record_bytes(const struct lev_source *src, size_t key_json_len,
                        uint64_t sequence_number, uint32_t data_bytes,
                        int64_t arrival_us)
{
    return lev_record_bytes_from(lev_source_bytes(src), src->epoch_ms, key_json_len,
                                 sequence_number, data_bytes, arrival_us);
}
