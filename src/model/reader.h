/*
 * reader.h - how the mapping gets a shard's records (R1), behind one
 * interface: shared-throughput polling (GetRecords, the shard's 5 reads a
 * second and 2 MB/s shared by its readers), enhanced fan-out (records pushed
 * within the consumer's own 2 MiB/s), or a DynamoDB table's stream (its own
 * GetRecords pace, SPEC 1.2).  The implementation is chosen once, when the
 * reader is made (as Redis's ae.c picks one event API behind one interface);
 * the mapping then only asks "what is read now?".
 */
#ifndef ESMSIM_READER_H
#define ESMSIM_READER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "simlog.h"

struct eng;
struct stm;
struct rdr;

/* What a reader tells the mapping: records of shard may be read now
 * (enhanced fan-out's push came); the mapping reads if it wants to. */
struct rdr_host {
    void *ctx;
    void (*wake)(void *ctx, uint32_t shard);
};

/*
 * A reader of the stream's n_shards shards, for the consumer and source
 * given: with CFG_CONSUMER_EFO enhanced fan-out, else GetRecords polling at
 * the source's pace.  Borrows everything; NULL when out of memory.
 */
struct rdr *rdr_create(struct eng *e, struct stm *stream, const struct cfg_model *model,
                       enum cfg_consumer consumer, enum slog_source_type source,
                       uint32_t n_shards, struct rdr_host host);
void rdr_destroy(struct rdr *r);

/* The stream has n_shards shards now (R12: a reshard appends).  -1 when out
 * of memory. */
int rdr_grow(struct rdr *r, uint32_t n_shards);

/* What a read came to: the mapping logs each read (simlog.h's read). */
enum rdr_result {
    RDR_NONE = 0,    /* it may not read now: no call, no push */
    RDR_READ,        /* records [from, *to) read (a GetRecords call may read none) */
    RDR_THROTTLED,   /* a GetRecords call throttled by the shard's read limits (R9) */
};

/*
 * Read shard from index `from` now, if the reader may.  tick is the shard's
 * base poll (R1); between ticks a read is made only while records are
 * waiting in the shard.
 */
enum rdr_result rdr_read(struct rdr *r, uint32_t shard, uint64_t from, bool tick, uint64_t *to);

/* Whether the reader wants to hear of each write (rdr_written): enhanced
 * fan-out pushes records as they arrive. */
bool rdr_wants_writes(const struct rdr *r);
/* A record was written to shard, which the mapping reads. */
void rdr_written(struct rdr *r, uint32_t shard);

#endif
