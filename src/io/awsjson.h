/*
 * awsjson.h - the JSON documents esmsim shows to the outside world in AWS's
 * exact shapes: the Lambda events of Kinesis and DynamoDB Streams (SPEC
 * section 4, and the size rule R2 that lambda_event.h counts), the OnFailure
 * invocation record of discarded records (R6), and what the function
 * answered an invocation (its R7 response, or the error payload of a throw
 * or a timeout).  An edge
 * module: the core never includes it.
 *
 * Every function returns a compact JSON text allocated with malloc (cJSON's
 * default allocator) that the caller releases with free(), or NULL when out
 * of memory.  Nothing here reads the wall clock: times come from the virtual
 * clock plus the scenario's epoch, so the same run prints the same bytes.
 */
#ifndef ESMSIM_AWSJSON_H
#define ESMSIM_AWSJSON_H

#include <stddef.h>
#include <stdint.h>

#include "lambda_event.h"
#include "response.h"
#include "simlog.h"

/* Byte that stands for every byte of a synthetic record's data, or every
 * character of a synthetic DynamoDB item's payload ('x'). */
#define AWSJSON_FILLER_BYTE 'x'

/*
 * The Lambda event {"Records":[...]} for n records of one shard, keys in the
 * order of AWS's sample event.  Its strlen() equals lev_envelope_bytes() plus
 * each lev_record_bytes() plus n - 1 commas.
 */
char *awsjson_kinesis_event(const struct lev_source *src,
                            const struct slog_event_record *records, size_t n);

/*
 * The same with a tumbling window (R15), AWS's KinesisTimeWindowEvent: after
 * "Records", "window" {"start","end"} (ISO-8601 to the second), "state" (the
 * counts of w, {"key":count,...}), "shardId", "eventSourceARN",
 * "isFinalInvokeForWindow" and "isWindowTerminatedEarly" (a real handler's
 * state, w->state_json, as its text).  Its strlen() is
 * that of awsjson_kinesis_event() plus win_event_extra_bytes().
 */
char *awsjson_kinesis_window_event(const struct lev_source *src,
                                   const struct slog_event_record *records, size_t n,
                                   const struct slog_event_window *w);

/*
 * The same for n DynamoDB Streams records, shaped as lambda_event.h shows;
 * its strlen() equals lev_envelope_bytes() plus each lev_ddb_record_bytes()
 * plus n - 1 commas.  A record's eventID is the MD5, in lowercase hex, of
 * "<shardId>:<SequenceNumber>" (what the Kinesis eventID would be): 32 hex
 * digits like DynamoDB's own, the same in every run.
 */
char *awsjson_dynamodb_event(const struct lev_source *src,
                             const struct lev_ddb_record *records, size_t n);
/* The same with a tumbling window's fields, as for Kinesis (w NULL: none). */
char *awsjson_dynamodb_window_event(const struct lev_source *src,
                                    const struct lev_ddb_record *records, size_t n,
                                    const struct slog_event_window *w);

/*
 * The Lambda event of an invocation, ev's records and window in its source's
 * shape (Kinesis or DynamoDB): the bytes --dump-events writes and a real
 * handler receives (SPEC section 4).
 */
char *awsjson_event(const struct slog_event *ev);

/*
 * The invocation record sent to the OnFailure destination for discarded
 * records (R6), key for key as AWS prints it: requestContext (requestId the
 * UUID of d->request_id), responseContext (statusCode d->status_code; left
 * out when d->has_response is false: RecordAgeExceeded), version,
 * timestamp, and KinesisBatchInfo, or DDBStreamBatchInfo when d->source_type
 * is SLOG_SOURCE_DYNAMODB: the same keys, the arrival times to the second
 * ("2019-11-14T00:13:19Z") as in AWS's DynamoDB example.
 */
char *awsjson_invocation_record(const struct slog_discard *d);

/*
 * What the function returned (R7), as its handler would have written it:
 * null, {}, {"<list_key>":[...]} (the list under a misspelt key),
 * {"batchItemFailures":null} or {"batchItemFailures":[...]}, each item
 * {"itemIdentifier":"<seq>"}, {"itemIdentifier":""}, {"itemIdentifier":null},
 * or {"<item_key>":"<seq>"} (the key misspelt; {} when item_key is NULL).
 * With state (R15: its state fields alone) the object begins with it, as
 * AWS's TimeWindowEventResponse: {"state":{...},"batchItemFailures":[...]},
 * {"state":{...}} for null or {}.
 */
char *awsjson_response(const struct rsp_response *r, const struct slog_event_window *state);

/*
 * The payload `aws lambda invoke` shows for an invocation whose function
 * failed (ev->response NULL).  A timeout (ev->inv->outcome OUTCOME_TIMEOUT)
 * gives Lambda's own text, ending time and request id included:
 *   {"errorMessage":"2026-01-01T00:10:30.020Z <requestId> Task timed out after 30.00 seconds"}
 * Anything else is a handler that threw: the model knows no exception, so
 * the payload is that of a Node.js handler throwing `new Error(...)`, with a
 * message naming the batch (no stack trace):
 *   {"errorType":"Error","errorMessage":"esmsim: the handler threw on the batch <shard> <first>-<last>"}
 */
char *awsjson_function_error(const struct slog_event *ev);

/* The condition word of R6: "RetryAttemptsExhausted" or "RecordAgeExceeded". */
const char *awsjson_condition_name(enum discard_condition c);

/*
 * The requestId of an invocation: a UUID-shaped text (8-4-4-4-12 hex,
 * version 4, RFC 4122 variant) made from invocation_id alone, so it is the
 * same in every run.  buf holds at least AWSJSON_UUID_LEN + 1 bytes.
 */
#define AWSJSON_UUID_LEN 36
void awsjson_request_id(uint64_t invocation_id, char *buf);

/* The same UUID text from 128 given bits (an OnFailure message's own
 * requestId, R6): version and variant bits set, the other 122 kept. */
void awsjson_uuid(const uint64_t bits[2], char *buf);

/* ISO-8601 UTC text with milliseconds ("2026-01-01T00:13:49.717Z") of the
 * virtual time at_us, virtual 0 being epoch_ms.  buf holds >= 32 bytes. */
void awsjson_iso_time(int64_t epoch_ms, int64_t at_us, char *buf);

#endif
