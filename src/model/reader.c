/*
 * reader.c - the reader interface (reader.h): the choice of implementation,
 * made once, and what the two GetRecords readers share (R1, R9).
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "reader_impl.h"
#include "stream.h"

/* Records a GetRecords returns at most (Kinesis: 10,000 a call). */
#define GETRECORDS_MAX_RECORDS 10000

struct rdr *rdr_create(struct eng *e, struct stm *stream, const struct cfg_model *model,
                       enum cfg_consumer consumer, enum slog_source_type source,
                       uint32_t n_shards, struct rdr_host host)
{
    struct rdr *r = malloc(sizeof *r);
    if (!r)
        return NULL;
    *r = (struct rdr){
        .ops = consumer == CFG_CONSUMER_EFO ? &rdr_efo_ops
               : source == SLOG_SOURCE_DYNAMODB ? &rdr_ddb_ops : &rdr_poll_ops,
        .e = e, .stream = stream, .model = model, .host = host,
        .n_shards = n_shards,
    };
    if (!(r->api = r->ops->create(r, n_shards))) {
        free(r);
        return NULL;
    }
    return r;
}

void rdr_destroy(struct rdr *r)
{
    if (!r)
        return;
    r->ops->destroy(r->api);
    free(r);
}

int rdr_grow(struct rdr *r, uint32_t n_shards)
{
    if (n_shards <= r->n_shards)
        return 0;
    if (r->ops->grow(r, r->n_shards, n_shards) < 0)
        return -1;
    r->n_shards = n_shards;
    return 0;
}

enum rdr_result rdr_read(struct rdr *r, uint32_t shard, uint64_t from, bool tick, uint64_t *to)
{
    return r->ops->read(r, shard, from, tick, to);
}

bool rdr_wants_writes(const struct rdr *r)
{
    return r->ops->written != NULL;
}

void rdr_written(struct rdr *r, uint32_t shard)
{
    if (r->ops->written && shard < r->n_shards)
        r->ops->written(r, shard);
}

int rdr_grow_array(void **v, size_t elem, uint32_t old_n, uint32_t n)
{
    unsigned char *grown = realloc(*v, (n ? n : 1) * elem);
    if (!grown)
        return -1;
    memset(grown + (size_t)old_n * elem, 0, (size_t)(n - old_n) * elem);
    *v = grown;
    return 0;
}

bool rdr_may_get(const struct rdr *r, uint32_t shard, int64_t blocked_until_us, uint64_t from,
                 bool tick)
{
    return eng_now(r->e) >= blocked_until_us &&
           (tick || from != stm_end(r->stream, shard));
}

enum rdr_result rdr_get_records(struct rdr *r, uint32_t shard, uint64_t from, uint64_t *to,
                                int64_t *blocked_until_us)
{
    int64_t retry_at;
    if (stm_get_records(r->stream, shard, from, GETRECORDS_MAX_RECORDS, to, &retry_at) ==
        STM_READ_THROTTLED) {
        *blocked_until_us = retry_at;
        return RDR_THROTTLED;
    }
    return RDR_READ;
}
