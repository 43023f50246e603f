/*
 * lambda_event_shard.c - the events of one shard's records: see
 * lambda_event_shard.h.
 */
#include "lambda_event_shard.h"

#include "keytab.h"
#include "simlog.h"
#include "stream.h"

void lev_shard_init(struct lev_shard *ls, const struct lev_source *tmpl, const char *shard_id,
                    bool ddb)
{
    ls->src = *tmpl;
    ls->src.shard_id = shard_id;
    ls->source_bytes = lev_source_bytes(&ls->src);
    lev_ddb_source_part(&ls->src, &ls->ddb_part);
    ls->arn_json_len = json_escaped_len(ls->src.event_source_arn);
    ls->ddb = ddb;
}

uint64_t lev_shard_ddb_record_bytes(const struct lev_shard *ls, const struct stm *stream,
                                    const struct stm_record *r)
{
    struct lev_ddb_record item = {
        .key_len = stm_record_key_bytes(stream, r),
        .key_json_len = stm_record_key_json_len(stream, r),
        .kind = (enum lev_ddb_event)r->event, .sequence_number = r->seq,
        .data = r->data_id ? stm_data(stream, r->data_id) : NULL,
        .item_bytes = r->bytes, .arrival_us = r->arrival_us,
    };
    return lev_ddb_record_bytes_from(&ls->ddb_part, &item);
}

void lev_shard_records(struct stm *stream, const struct keytab *keys, uint32_t shard,
                       const uint64_t *idx, uint32_t n, struct slog_event_record *out)
{
    for (uint32_t i = 0; i < n; i++) {
        const struct stm_record *r = stm_at(stream, shard, idx[i]);
        const char *data = r->data_id ? stm_data(stream, r->data_id) : NULL;
        out[i] = (struct slog_event_record){
            .partition_key = keytab_key(keys, r->key_id),
            .sequence_number = r->seq,
            .data = (const unsigned char *)data,
            .data_len = r->bytes,
            .arrival_us = r->arrival_us,
            .ddb_event = (uint8_t)r->event,
        };
    }
}
