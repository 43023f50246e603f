/*
 * lambda_event_shard.h - the events of one shard's records, as the mapping
 * makes them (SPEC section 1.4, R3's payload sizes; --dump-events and a real
 * handler's events): the shard's shared parts computed once, a record's
 * bytes, the records themselves.  Part of the lev_ module; apart from
 * lambda_event.c because it reads the stream, which lambda_event.c's sizes
 * serve (no circle).
 */
#ifndef ESMSIM_LAMBDA_EVENT_SHARD_H
#define ESMSIM_LAMBDA_EVENT_SHARD_H

#include "lambda_event.h"
#include "stream.h"

struct keytab;
struct slog_event_record;

/* What the events of one shard share, with the parts of their sizes that
 * depend on it alone computed once. */
struct lev_shard {
    struct lev_source src;          /* its shard_id is the shard's */
    size_t source_bytes;            /* Kinesis: lev_source_bytes(&src) */
    struct lev_ddb_part ddb_part;   /* DynamoDB: lev_ddb_source_part(&src) */
    size_t arn_json_len;            /* the stream ARN escaped: windowed events carry it */
    bool ddb;                       /* records take DynamoDB's shape, else Kinesis's */
};
void lev_shard_init(struct lev_shard *ls, const struct lev_source *tmpl, const char *shard_id,
                    bool ddb);

/* lev_shard_record_bytes of a DynamoDB record. */
uint64_t lev_shard_ddb_record_bytes(const struct lev_shard *ls, const struct stm *stream,
                                    const struct stm_record *r);

/* Bytes of the JSON object of the stream's record r in the shard's events.
 * Inline: the mapping sizes every record it reads, and a Kinesis record's
 * size is a few additions from what the record carries. */
static inline uint64_t lev_shard_record_bytes(const struct lev_shard *ls, const struct stm *stream,
                                              const struct stm_record *r)
{
    if (ls->ddb)
        return lev_shard_ddb_record_bytes(ls, stream, r);
    return lev_record_bytes_from(ls->source_bytes, ls->src.epoch_ms,
                                 stm_record_key_json_len(stream, r), r->seq, r->bytes,
                                 r->arrival_us);
}

/* lev_shard_record_bytes() for many records of the shard, faster with a
 * memo kept for them (lambda_event.h; zeroed at first). */
static inline uint64_t lev_shard_record_bytes_memo(const struct lev_shard *ls,
                                                   struct lev_size_memo *memo,
                                                   const struct stm *stream,
                                                   const struct stm_record *r)
{
    if (ls->ddb)
        return lev_shard_ddb_record_bytes(ls, stream, r);
    return lev_record_bytes_memo(memo, ls->source_bytes, ls->src.epoch_ms,
                                 stm_record_key_json_len(stream, r), r->seq, r->bytes,
                                 r->arrival_us);
}

/* The records at indexes idx[0..n) of the stream's shard, as the log's
 * event (--dump-events) and a real handler get them, into out[0..n). */
void lev_shard_records(struct stm *stream, const struct keytab *keys, uint32_t shard,
                       const uint64_t *idx, uint32_t n, struct slog_event_record *out);

#endif
