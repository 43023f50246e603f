/*
 * lambda_event.c - the byte size of the Lambda event JSON (R2) for Kinesis
 * and DynamoDB Streams records, counted without building it.
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
#include "simlog.h"

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


size_t lev_envelope_bytes(void)
{
    return sizeof(LEV_ENVELOPE) - 1;
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
 * What cJSON prints for a double: its print_number, step for step.  Only the
 * values the fast paths cannot render exactly come here (negative, or more
 * than 15 digits).
 */
static size_t lev_format_like_cjson(double d, char *buf)
{
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
    if (ms < 0 || ms >= LEV_EXACT_LIMIT)
        return lev_format_like_cjson((double)ms / 1000.0, buf);

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

/* Ten milliseconds 10d to 10d + 9: ".ddd" but for the first, whose last
 * digit is 0: ".dd" (d not a multiple of ten), ".d", or none (d = 0). */
#define LEV_FRAC_TEN(d) (d) == 0 ? 0 : (d) % 10 ? 3 : 2, 4, 4, 4, 4, 4, 4, 4, 4, 4
#define LEV_FRAC_HUNDRED(h) \
    LEV_FRAC_TEN(10 * (h)), LEV_FRAC_TEN(10 * (h) + 1), LEV_FRAC_TEN(10 * (h) + 2), \
    LEV_FRAC_TEN(10 * (h) + 3), LEV_FRAC_TEN(10 * (h) + 4), LEV_FRAC_TEN(10 * (h) + 5), \
    LEV_FRAC_TEN(10 * (h) + 6), LEV_FRAC_TEN(10 * (h) + 7), LEV_FRAC_TEN(10 * (h) + 8), \
    LEV_FRAC_TEN(10 * (h) + 9)

const uint8_t lev_frac_lens[1000] = {
    LEV_FRAC_HUNDRED(0), LEV_FRAC_HUNDRED(1), LEV_FRAC_HUNDRED(2), LEV_FRAC_HUNDRED(3),
    LEV_FRAC_HUNDRED(4), LEV_FRAC_HUNDRED(5), LEV_FRAC_HUNDRED(6), LEV_FRAC_HUNDRED(7),
    LEV_FRAC_HUNDRED(8), LEV_FRAC_HUNDRED(9),
};

size_t lev_timestamp_len_far(int64_t ms)
{
    char buf[32];
    return lev_format_like_cjson((double)ms / 1000.0, buf);
}

size_t lev_record_bytes_refill(struct lev_size_memo *memo, size_t source_bytes, int64_t epoch_ms,
                               size_t key_json_len, uint64_t sequence_number,
                               uint32_t data_bytes, int64_t arrival_us)
{
    /* the numbers of as many digits as this one: [10^(d-1), 10^d), or
     * [0, 10) for one digit; up to UINT64_MAX (excluded) for 20 */
    size_t d = lev_u64_digits(sequence_number);
    uint64_t lo = 1;
    for (size_t k = 1; k < d; k++)
        lo *= 10;
    memo->seq_lo = d == 1 ? 0 : lo;
    memo->seq_span = d == 20 ? UINT64_MAX - lo : d == 1 ? 10 : lo * 9;
    memo->seq_digits = d;
    /* the second of its arrival, when its text is the exact one */
    int64_t ms = lev_arrival_ms(epoch_ms, arrival_us);
    memo->sec_span = 0;
    if (ms >= 0 && ms < LEV_EXACT_LIMIT) {
        memo->sec_ms = (uint64_t)(ms - ms % 1000);
        memo->sec_span = 1000;
        memo->sec_len = lev_u64_digits((uint64_t)(ms / 1000));
        memo->shared = lev_record_bytes_sum(source_bytes, 0, d, 0, memo->sec_len);
    }
    return lev_record_bytes_from(source_bytes, epoch_ms, key_json_len, sequence_number,
                                 data_bytes, arrival_us);
}

size_t lev_source_bytes(const struct lev_source *src)
{
    return LEV_RECORD_FIXED
           + json_escaped_len(lev_str(src->shard_id))
           + json_escaped_len(lev_str(src->invoke_identity_arn))
           + json_escaped_len(lev_str(src->region))
           + json_escaped_len(lev_str(src->event_source_arn));
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

/* ------------------------------------------------------------------------ */
/* DynamoDB Streams */

/*
 * The fixed text of one DynamoDB record, cut before each variable field (the
 * whole shape is in lambda_event.h).  An attribute is "NAME":{"S":"VALUE"};
 * Keys holds one, an image two.
 */
#define DDB_ID_OPEN      "{\"eventID\":\""
#define DDB_NAME_OPEN    "\",\"eventName\":\""
#define DDB_REGION_OPEN  "\",\"eventVersion\":\"1.1\",\"eventSource\":\"aws:dynamodb\"," \
                         "\"awsRegion\":\""
#define DDB_TIME_OPEN    "\",\"dynamodb\":{\"ApproximateCreationDateTime\":"
#define DDB_KEYS_OPEN    ",\"Keys\":{"
#define DDB_SEQ_OPEN     "},\"SequenceNumber\":\""
#define DDB_SIZE_OPEN    "\",\"SizeBytes\":"
#define DDB_VIEW_OPEN    ",\"StreamViewType\":\""
#define DDB_ARN_OPEN     "\"},\"eventSourceARN\":\""
#define DDB_RECORD_CLOSE "\"}"
#define DDB_IMAGE_OPEN   "},\"NewImage\":{"   /* or OldImage: the same length */
#define DDB_ATTR_SEP     ","
#define DDB_ATTR         "\"\":{\"S\":\"\"}"   /* one attribute, name and value apart */

#define DDB_RECORD_FIXED (sizeof(DDB_ID_OPEN DDB_NAME_OPEN DDB_REGION_OPEN DDB_TIME_OPEN \
                                 DDB_KEYS_OPEN DDB_SEQ_OPEN DDB_SIZE_OPEN DDB_VIEW_OPEN \
                                 DDB_ARN_OPEN DDB_RECORD_CLOSE) - 1 + LEV_DDB_EVENT_ID_LEN)
#define DDB_ATTR_FIXED   (sizeof(DDB_ATTR) - 1)
#define DDB_IMAGE_FIXED  (sizeof(DDB_IMAGE_OPEN DDB_ATTR_SEP) - 1 + 2 * DDB_ATTR_FIXED)

const char *lev_ddb_event_name(enum lev_ddb_event kind)
{
    static const char *const names[] = { "INSERT", "MODIFY", "REMOVE" };
    return (unsigned)kind < 3 ? names[kind] : "";
}

const char *lev_ddb_view_name(enum lev_ddb_view view)
{
    static const char *const names[] = { "NEW_AND_OLD_IMAGES", "NEW_IMAGE", "OLD_IMAGE",
                                         "KEYS_ONLY" };
    return (unsigned)view < 4 ? names[view] : "";
}

unsigned lev_ddb_images(enum lev_ddb_view view, enum lev_ddb_event kind)
{
    enum { N = LEV_DDB_HAS_NEW, O = LEV_DDB_HAS_OLD };
    static const unsigned char kept[4][3] = {   /* INSERT, MODIFY, REMOVE */
        [LEV_DDB_NEW_AND_OLD_IMAGES] = { N, N | O, O },
        [LEV_DDB_NEW_IMAGE]          = { N, N, 0 },
        [LEV_DDB_OLD_IMAGE]          = { 0, O, O },
        [LEV_DDB_KEYS_ONLY]          = { 0, 0, 0 },
    };
    return (unsigned)view < 4 && (unsigned)kind < 3 ? kept[view][kind] : 0;
}

static unsigned lev_ddb_image_count(enum lev_ddb_view view, enum lev_ddb_event kind)
{
    unsigned m = lev_ddb_images(view, kind);
    return (m & LEV_DDB_HAS_NEW ? 1 : 0) + (m & LEV_DDB_HAS_OLD ? 1 : 0);
}

static const char *lev_key_attribute(const struct lev_source *src)
{
    return src->key_attribute ? src->key_attribute : LEV_DDB_KEY_ATTRIBUTE;
}

static const char *lev_data_attribute(const struct lev_source *src)
{
    return src->data_attribute ? src->data_attribute : LEV_DDB_DATA_ATTRIBUTE;
}

/* Keys holds the key attribute; each of the `images` images holds it and
 * the payload. */
static uint64_t lev_ddb_size(unsigned images, size_t key_name, size_t data_name,
                             const struct lev_ddb_record *r)
{
    uint64_t key_attr = key_name + r->key_len;
    return (1 + images) * key_attr + images * (uint64_t)(data_name + r->item_bytes);
}

uint64_t lev_ddb_size_bytes(const struct lev_source *src, const struct lev_ddb_record *r)
{
    return lev_ddb_size(lev_ddb_image_count(src->view, r->kind), strlen(lev_key_attribute(src)),
                        strlen(lev_data_attribute(src)), r);
}

int64_t lev_ddb_creation_time(int64_t epoch_ms, int64_t arrival_us)
{
    int64_t ms = lev_arrival_ms(epoch_ms, arrival_us);
    return ms >= 0 ? ms / 1000 : -((999 - ms) / 1000);   /* down, before 1970 too */
}

/* Length of what cJSON prints for the whole number v. */
static size_t lev_whole_len(int64_t v)
{
    if (v > -LEV_EXACT_LIMIT && v < LEV_EXACT_LIMIT)
        return v < 0 ? 1 + lev_u64_digits((uint64_t)-v) : lev_u64_digits((uint64_t)v);
    char buf[32];
    return lev_format_like_cjson((double)v, buf);
}

void lev_ddb_source_part(const struct lev_source *src, struct lev_ddb_part *part)
{
    const char *key_name = lev_key_attribute(src), *data_name = lev_data_attribute(src);
    size_t keys = DDB_ATTR_FIXED + json_escaped_len(key_name);
    size_t image = DDB_IMAGE_FIXED + json_escaped_len(key_name) + json_escaped_len(data_name);
    size_t shared = DDB_RECORD_FIXED
                    + json_escaped_len(lev_str(src->region))
                    + json_escaped_len(lev_str(src->event_source_arn))
                    + strlen(lev_ddb_view_name(src->view))
                    + keys;
    for (int kind = LEV_DDB_INSERT; kind <= LEV_DDB_REMOVE; kind++) {
        part->images[kind] = lev_ddb_image_count(src->view, (enum lev_ddb_event)kind);
        part->fixed[kind] = shared + strlen(lev_ddb_event_name((enum lev_ddb_event)kind))
                            + part->images[kind] * image;
    }
    part->key_name_bytes = strlen(key_name);
    part->data_name_bytes = strlen(data_name);
    part->epoch_ms = src->epoch_ms;
}

size_t lev_ddb_record_bytes_from(const struct lev_ddb_part *part, const struct lev_ddb_record *r)
{
    /* A kind out of range has no meaning; it must only not read past fixed[]. */
    unsigned kind = (unsigned)r->kind < 3 ? (unsigned)r->kind : LEV_DDB_INSERT;
    unsigned images = part->images[kind];
    size_t item_json = images == 0 ? 0 : r->data ? json_escaped_len(r->data) : r->item_bytes;
    uint64_t size = lev_ddb_size(images, part->key_name_bytes, part->data_name_bytes, r);
    return part->fixed[kind]
           + (1 + images) * r->key_json_len + images * item_json
           + lev_u64_digits(r->sequence_number)
           + lev_whole_len(lev_ddb_creation_time(part->epoch_ms, r->arrival_us))
           + lev_whole_len((int64_t)size);
}

/* Scans the source strings on every call: the two-step form is for many
 * records. */
size_t lev_ddb_record_bytes(const struct lev_source *src, const struct lev_ddb_record *r)
{
    struct lev_ddb_part part;
    lev_ddb_source_part(src, &part);
    return lev_ddb_record_bytes_from(&part, r);
}
