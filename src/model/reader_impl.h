/*
 * reader_impl.h - what the readers of reader.h share: the interface each
 * implementation fills (reader_poll.c, reader_efo.c, reader_ddb.c) and the
 * one GetRecords call of the two polling ones.  Only the readers include it.
 */
#ifndef ESMSIM_READER_IMPL_H
#define ESMSIM_READER_IMPL_H

#include <stddef.h>

#include "reader.h"

/* One implementation: its state is r->api, made by create. */
struct rdr_ops {
    void *(*create)(struct rdr *r, uint32_t n_shards);   /* NULL: out of memory */
    int (*grow)(struct rdr *r, uint32_t old_n, uint32_t n_shards);
    enum rdr_result (*read)(struct rdr *r, uint32_t shard, uint64_t from, bool tick,
                            uint64_t *to);
    void (*written)(struct rdr *r, uint32_t shard);      /* NULL: writes not wanted */
    void (*destroy)(void *api);
};

struct rdr {
    const struct rdr_ops *ops;
    void *api;                       /* the implementation's state */
    struct eng *e;
    struct stm *stream;
    const struct cfg_model *model;
    struct rdr_host host;
    uint32_t n_shards;
};

extern const struct rdr_ops rdr_poll_ops, rdr_efo_ops, rdr_ddb_ops;

/* The per-shard array *v of elem-byte entries grown from old_n to n, the
 * new ones zeroed; -1 (*v unchanged) when out of memory. */
int rdr_grow_array(void **v, size_t elem, uint32_t old_n, uint32_t n);

/* Shared throughput (R1): whether a GetRecords is due now (the shard's
 * limits do not block it; between ticks, records are waiting). */
bool rdr_may_get(const struct rdr *r, uint32_t shard, int64_t blocked_until_us, uint64_t from,
                 bool tick);
/* One GetRecords from `from`: RDR_READ with [from, *to) read, or
 * RDR_THROTTLED by the shard's limits, *blocked_until_us then when to try
 * again. */
enum rdr_result rdr_get_records(struct rdr *r, uint32_t shard, uint64_t from, uint64_t *to,
                     int64_t *blocked_until_us);

#endif
