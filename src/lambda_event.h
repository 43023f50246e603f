/*
 * lambda_event.h - the size of the Lambda event JSON for Kinesis records,
 * computed without building it (R2: a batch is cut before the event would
 * pass 6,291,456 bytes).  awsjson.c builds the same JSON with cJSON; a test
 * proves the two agree byte for byte.
 *
 * One record, in the key order of AWS's sample event, data base64-encoded:
 * {"kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":K,"sequenceNumber":"S",
 *  "data":"B64","approximateArrivalTimestamp":T},"eventSource":"aws:kinesis",
 *  "eventVersion":"1.0","eventID":"SHARD:S","eventName":"aws:kinesis:record",
 *  "invokeIdentityArn":ROLE,"awsRegion":REGION,"eventSourceARN":ARN}
 * T is epoch seconds with the milliseconds as decimals, trailing zeros cut.
 * The event is {"Records":[r1,r2,...]}: compact, as cJSON_PrintUnformatted.
 */
#ifndef ESMSIM_LAMBDA_EVENT_H
#define ESMSIM_LAMBDA_EVENT_H

#include <stddef.h>
#include <stdint.h>

#define LEV_MAX_PAYLOAD_BYTES 6291456u   /* synchronous invocation payload */

/* What is the same for every record of a shard. */
struct lev_source {
    const char *shard_id;
    const char *event_source_arn;   /* the stream ARN */
    const char *invoke_identity_arn;
    const char *region;
    int64_t epoch_ms;               /* wall time of virtual 0 */
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
 * src->epoch_ms, ...).
 */
size_t lev_source_bytes(const struct lev_source *src);
size_t lev_record_bytes_from(size_t source_bytes, int64_t epoch_ms, size_t key_json_len,
                             uint64_t sequence_number, uint32_t data_bytes,
                             int64_t arrival_us);

/* Text of approximateArrivalTimestamp for a virtual arrival time (buf >= 32). */
size_t lev_format_timestamp(int64_t epoch_ms, int64_t arrival_us, char *buf);

/* Base64 length of n bytes. */
static inline size_t lev_base64_len(size_t n) { return 4 * ((n + 2) / 3); }

#endif
