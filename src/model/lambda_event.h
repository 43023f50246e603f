/*
 * lambda_event.h - the size of the Lambda event JSON for stream records,
 * computed without building it (R2: a batch is cut before the event would
 * pass 6,291,456 bytes).  awsjson.c builds the same JSON with cJSON; a test
 * proves the two agree byte for byte.  The event is {"Records":[r1,r2,...]},
 * compact, as cJSON_PrintUnformatted.
 *
 * A Kinesis record, in the key order of AWS's sample event, data base64:
 * {"kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":K,"sequenceNumber":"S",
 *  "data":"B64","approximateArrivalTimestamp":T},"eventSource":"aws:kinesis",
 *  "eventVersion":"1.0","eventID":"SHARD:S","eventName":"aws:kinesis:record",
 *  "invokeIdentityArn":ROLE,"awsRegion":REGION,"eventSourceARN":ARN}
 * T is epoch seconds with the milliseconds as decimals, trailing zeros cut.
 *
 * A DynamoDB Streams record, in the key order of the records Lambda delivers
 * (the sample on AWS's "Using Lambda with DynamoDB" page has eventVersion
 * "1.0", no ApproximateCreationDateTime and another order):
 * {"eventID":ID,"eventName":"INSERT","eventVersion":"1.1","eventSource":"aws:dynamodb",
 *  "awsRegion":REGION,"dynamodb":{"ApproximateCreationDateTime":C,
 *  "Keys":{"pk":{"S":K}},"NewImage":{"pk":{"S":K},"data":{"S":D}},
 *  "OldImage":{"pk":{"S":K},"data":{"S":D}},"SequenceNumber":"S","SizeBytes":N,
 *  "StreamViewType":"NEW_AND_OLD_IMAGES"},"eventSourceARN":ARN}
 * The item is modelled as two string attributes: its key (named by the
 * source, "pk" by default) and a payload ("data") of item_bytes characters.
 * NewImage is there for INSERT and MODIFY, OldImage for MODIFY and REMOVE,
 * each only when the StreamViewType keeps it; a MODIFY's two images are the
 * same (what changed is not modelled).  C is the write's epoch
 * seconds, rounded down as DynamoDB does.  S is the simulator's sequence
 * number as given (DynamoDB's own have 21 digits or more; ours are whatever
 * the stream hands out).  ID is 32 hex digits (awsjson.h says how they are
 * made).  N is lev_ddb_size_bytes() below.
 */
#ifndef ESMSIM_LAMBDA_EVENT_H
#define ESMSIM_LAMBDA_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEV_MAX_PAYLOAD_BYTES 6291456u   /* synchronous invocation payload */

/*
 * DynamoDB Streams GetRecords: at most 1,000 records or 1 MB a call, the
 * first reached.  AWS writes "1 MB" and does not say which: DynamoDB counts
 * its sizes in binary units (the 400 KB item limit is 409,600 bytes), so 1 MB
 * is taken as 1,048,576 bytes, an assumption.  The bytes that count are the
 * records' SizeBytes.
 */
#define LEV_DDB_GET_RECORDS_MAX_RECORDS 1000u
#define LEV_DDB_GET_RECORDS_MAX_BYTES   1048576u

/* An item is at most 400 KB, 409,600 bytes: the UTF-8 bytes of its
 * attributes' names and values (here the key and the payload, names
 * included). */
#define LEV_DDB_MAX_ITEM_BYTES 409600u

/* What a DynamoDB table's stream keeps of a changed item (StreamViewType). */
enum lev_ddb_view {
    LEV_DDB_NEW_AND_OLD_IMAGES = 0,
    LEV_DDB_NEW_IMAGE,
    LEV_DDB_OLD_IMAGE,
    LEV_DDB_KEYS_ONLY
};

#define LEV_DDB_KEY_ATTRIBUTE  "pk"     /* attribute names when the source gives none */
#define LEV_DDB_DATA_ATTRIBUTE "data"

/* What is the same for every record of a shard. */
struct lev_source {
    const char *shard_id;
    const char *event_source_arn;   /* the stream ARN */
    const char *invoke_identity_arn;  /* Kinesis only */
    const char *region;
    int64_t epoch_ms;               /* wall time of virtual 0 */
    /* DynamoDB Streams only (the Kinesis functions ignore them): */
    enum lev_ddb_view view;         /* the stream's StreamViewType */
    const char *key_attribute;      /* name of the item's key attribute; NULL: "pk" */
    const char *data_attribute;     /* name of its payload attribute; NULL: "data"; must differ */
};

/* Bytes of {"Records":[]} around the records. */
size_t lev_envelope_bytes(void);

/* Bytes of one record's JSON object (without the comma between records). */
size_t lev_record_bytes(const struct lev_source *src, size_t key_json_len,
                        uint64_t sequence_number, uint32_t data_bytes,
                        int64_t arrival_us);

/*
 * The same in two steps, for a caller that sizes many records of one shard:
 * lev_source_bytes() is the part that depends on src alone (shard id, ARNs
 * and region, escaped: over a hundred bytes to scan), computed once;
 * lev_record_bytes_from() adds a record's own part in a few nanoseconds.
 * lev_record_bytes(src, ...) == lev_record_bytes_from(lev_source_bytes(src),
 * src->epoch_ms, ...).  lev_record_bytes_from() is inline, below.
 */
size_t lev_source_bytes(const struct lev_source *src);

/* Text of approximateArrivalTimestamp for a virtual arrival time (buf >= 32). */
size_t lev_format_timestamp(int64_t epoch_ms, int64_t arrival_us, char *buf);

/* Base64 length of n bytes. */
static inline size_t lev_base64_len(size_t n) { return 4 * ((n + 2) / 3); }

/*
 * The rest of this part is inline: it runs several times a record sized
 * (issue 15 item 1), so no call, no loop, no division but by constants.
 */

/* The decimal digits of v: the length of a number in the JSON.  A number
 * of b significant bits has floor(b log10 2) digits or one more; 1233 /
 * 4096 is log10 2 closely enough for b <= 64, and one comparison with the
 * power of ten decides. */
static inline size_t lev_u64_digits(uint64_t v)
{
    static const uint64_t pow10[20] = {
        UINT64_C(1), UINT64_C(10), UINT64_C(100), UINT64_C(1000), UINT64_C(10000),
        UINT64_C(100000), UINT64_C(1000000), UINT64_C(10000000), UINT64_C(100000000),
        UINT64_C(1000000000), UINT64_C(10000000000), UINT64_C(100000000000),
        UINT64_C(1000000000000), UINT64_C(10000000000000), UINT64_C(100000000000000),
        UINT64_C(1000000000000000), UINT64_C(10000000000000000),
        UINT64_C(100000000000000000), UINT64_C(1000000000000000000),
        UINT64_C(10000000000000000000),
    };
    v |= 1;   /* 0 has one digit, as 1 */
#if defined(__GNUC__) || defined(__clang__)
    unsigned bits = 64u - (unsigned)__builtin_clzll(v);
#else
    unsigned bits = 0;
    for (uint64_t w = v; w; w >>= 1)
        bits++;
#endif
    unsigned t = bits * 1233u >> 12;   /* 0 to 19 */
    return t + (v >= pow10[t]);
}

/* Below this magnitude a number of whole milliseconds (or a whole number)
 * has at most 15 significant digits, so cJSON's "%1.15g" prints it exactly
 * and the integer rendering is the same text.  1e15 ms is the year 33658. */
#define LEV_EXACT_LIMIT 1000000000000000LL

/* lev_frac_len by the milliseconds: a load, where the two divisibility
 * tests and their sums took ten instructions a record (issue 15 item 1). */
extern const uint8_t lev_frac_lens[1000];

/* The length of a timestamp's decimals for its milliseconds past the
 * second (0-999): none, ".d", ".dd" or ".ddd", trailing zeros cut.
 * Without branches: the milliseconds are random, a branch on them is
 * mispredicted one time in ten. */
static inline size_t lev_frac_len(unsigned frac)
{
    return lev_frac_lens[frac];
}

/* lev_timestamp_len() of the milliseconds ms past the exact range. */
size_t lev_timestamp_len_far(int64_t ms);

/* Length of lev_format_timestamp's text, without writing it. */
static inline size_t lev_timestamp_len(int64_t epoch_ms, int64_t arrival_us)
{
    int64_t ms = epoch_ms + arrival_us / 1000;   /* arrival_us >= 0: floor */
    if (ms < 0 || ms >= LEV_EXACT_LIMIT)
        return lev_timestamp_len_far(ms);
    return lev_u64_digits((uint64_t)(ms / 1000)) + lev_frac_len((unsigned)(ms % 1000));
}

/* A record's bytes from its parts' lengths: the one sum of them. */
static inline size_t lev_record_bytes_sum(size_t source_bytes, size_t key_json_len,
                                          size_t sequence_digits, uint32_t data_bytes,
                                          size_t timestamp_len)
{
    return source_bytes + key_json_len
           + 2 * sequence_digits                     /* sequenceNumber, and in eventID */
           + lev_base64_len(data_bytes)
           + timestamp_len;
}

/* lev_record_bytes() with lev_source_bytes(src) given (above). */
static inline size_t lev_record_bytes_from(size_t source_bytes, int64_t epoch_ms,
                                           size_t key_json_len, uint64_t sequence_number,
                                           uint32_t data_bytes, int64_t arrival_us)
{
    return lev_record_bytes_sum(source_bytes, key_json_len, lev_u64_digits(sequence_number),
                                data_bytes, lev_timestamp_len(epoch_ms, arrival_us));
}

/*
 * lev_record_bytes_from() for many records of one shard, with what they
 * share remembered in *memo: a sequence number's digits and an arrival
 * second's digits change once in many records, so a record costs its key,
 * data and milliseconds only (issue 15 item 1).  A zeroed memo is empty;
 * records may come in any order (one out of the memo's ranges refills it),
 * all of one source (source_bytes, epoch_ms), arrival_us >= 0.
 */
struct lev_size_memo {
    uint64_t seq_lo, seq_span;    /* numbers in [seq_lo, seq_lo + seq_span) ... */
    size_t seq_digits;            /* ... have this many digits */
    uint64_t sec_ms, sec_span;    /* arrival ms in [sec_ms, sec_ms + sec_span): a second ... */
    size_t sec_len;               /* ... of this many digits (sec_span 0: none known) */
    size_t shared;                /* in both ranges, what a record's bytes add of them and
                                     of the source: one addition a record, not four */
};

/* The memo's miss: refills it, returns lev_record_bytes_from(). */
size_t lev_record_bytes_refill(struct lev_size_memo *memo, size_t source_bytes, int64_t epoch_ms,
                               size_t key_json_len, uint64_t sequence_number,
                               uint32_t data_bytes, int64_t arrival_us);

static inline size_t lev_record_bytes_memo(struct lev_size_memo *memo, size_t source_bytes,
                                           int64_t epoch_ms, size_t key_json_len,
                                           uint64_t sequence_number, uint32_t data_bytes,
                                           int64_t arrival_us)
{
    /* as lev_timestamp_len, arrival_us >= 0 dividing as unsigned: fewer
     * steps than a signed division's rounding toward zero */
    uint64_t ms = (uint64_t)epoch_ms + (uint64_t)arrival_us / 1000;
    uint64_t frac = ms - memo->sec_ms;
    if (sequence_number - memo->seq_lo >= memo->seq_span || frac >= memo->sec_span)
        return lev_record_bytes_refill(memo, source_bytes, epoch_ms, key_json_len,
                                       sequence_number, data_bytes, arrival_us);
    return memo->shared + key_json_len + lev_base64_len(data_bytes) + lev_frac_len((unsigned)frac);
}

/* ------------------------------------------------------------------------ */
/* DynamoDB Streams */

enum lev_ddb_event { LEV_DDB_INSERT, LEV_DDB_MODIFY, LEV_DDB_REMOVE };

#define LEV_DDB_EVENT_ID_LEN 32   /* hex digits of a record's eventID */

/* One stream record: a change of one item. */
struct lev_ddb_record {
    const char *key;            /* the item's key value: the partition key */
    size_t key_len;             /* strlen(key): DynamoDB counts UTF-8 bytes */
    size_t key_json_len;        /* key escaped as JSON (json_escaped_len) */
    enum lev_ddb_event kind;
    uint64_t sequence_number;
    const char *data;           /* payload text; NULL: item_bytes filler characters */
    uint32_t item_bytes;        /* bytes of the payload (strlen(data) when data is set) */
    int64_t arrival_us;         /* virtual time of the write, >= 0 */
};

/* "INSERT", "MODIFY", "REMOVE"; "NEW_AND_OLD_IMAGES", "NEW_IMAGE", ... */
const char *lev_ddb_event_name(enum lev_ddb_event kind);
const char *lev_ddb_view_name(enum lev_ddb_view view);

/* Which images a record of this kind carries under this view. */
#define LEV_DDB_HAS_NEW 1u
#define LEV_DDB_HAS_OLD 2u
unsigned lev_ddb_images(enum lev_ddb_view view, enum lev_ddb_event kind);

/*
 * SizeBytes, as DynamoDB reports it: the size of every attribute in Keys,
 * NewImage and OldImage, a string attribute counting the UTF-8 bytes of its
 * name and of its value (AWS's item-size rule).  It reproduces the SizeBytes
 * of AWS's sample events; the service's own count is not documented further,
 * so take it as an approximation.
 */
uint64_t lev_ddb_size_bytes(const struct lev_source *src, const struct lev_ddb_record *r);

/* ApproximateCreationDateTime: epoch seconds of the write, rounded down. */
int64_t lev_ddb_creation_time(int64_t epoch_ms, int64_t arrival_us);

/* Bytes of one record's JSON object (without the comma between records). */
size_t lev_ddb_record_bytes(const struct lev_source *src, const struct lev_ddb_record *r);

/*
 * The same in two steps, as for Kinesis: lev_ddb_source_part() scans the
 * source's strings once per shard; lev_ddb_record_bytes_from() then costs a
 * few nanoseconds a record (a record with explicit data also scans it, to
 * count its JSON escapes).
 */
struct lev_ddb_part {
    size_t fixed[3];            /* JSON bytes of a record of each kind, its own fields apart */
    unsigned images[3];         /* images a record of each kind carries: 0, 1 or 2 */
    size_t key_name_bytes;      /* UTF-8 bytes of the attribute names, for SizeBytes */
    size_t data_name_bytes;
    int64_t epoch_ms;           /* src->epoch_ms */
};
void lev_ddb_source_part(const struct lev_source *src, struct lev_ddb_part *part);
size_t lev_ddb_record_bytes_from(const struct lev_ddb_part *part, const struct lev_ddb_record *r);

#endif
