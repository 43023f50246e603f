/*
 * mapping.h - the Lambda event source mapping on a Kinesis stream (SPEC 1.4):
 * polling (R1), batching (R2), order (R3), checkpoints (R4), retries (R5),
 * discards and OnFailure records (R6), throttles (R9), starting positions
 * (R13), IteratorAge (R14) and the record side of fates (R17).
 *
 * The mapping reads each shard through lanes (R10: one lane while
 * ParallelizationFactor is 1) and works on batches of record indexes, so that
 * a batch can be split or cut short.
 *
 * Files: mapping_life.c (esm_create and the mapping's life cycle) and the
 * other mapping_*.c parts; mapping_int.h explains how the mapping works,
 * lists its parts from the top down, and is what they share.
 */
#ifndef ESMSIM_MAPPING_H
#define ESMSIM_MAPPING_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "metrics.h"
#include "simlog.h"

struct eng;
struct stm;
struct fn;
struct msgtab;
struct keytab;
struct esm;

/* What the mapping reads of the scenario, borrowed: it must outlive the
 * mapping. */
struct esm_config {
    const struct cfg_mapping *mapping;  /* in effect at the start (R16: esm_update) */
    const struct cfg_model *model;      /* the pacing AWS does not document */
    enum cfg_consumer consumer;         /* R1: shared-throughput polling or enhanced fan-out */
    enum lev_ddb_view view;             /* a DynamoDB stream's StreamViewType (its events) */
    const char *function_name;          /* its role ARN is the events' invokeIdentityArn */
    uint32_t max_batch_size;            /* the largest BatchSize of the run (R16) */
    uint32_t max_parallelization;       /* the largest ParallelizationFactor of the run */
};

/* Borrows everything; starts polling when the engine runs. */
struct esm *esm_create(struct eng *e, const struct esm_config *cfg,
                       struct stm *stream, struct fn *function,
                       struct msgtab *msgs, const struct keytab *keys,
                       const struct slog *log, char *err, size_t errlen);
void esm_destroy(struct esm *m);

/* R16: the mapping's configuration is cfg from now on (borrowed; it must
 * outlive the mapping).  Its BatchSize and ParallelizationFactor must not
 * exceed the esm_config's max_batch_size and max_parallelization. */
void esm_update(struct esm *m, const struct cfg_mapping *cfg);

/* End of run: records still in the stream end pending (or processed when
 * handled once).  Call before msg_finish. */
void esm_finish(struct esm *m);

/* What Lambda answers an Invoke request over 6,291,456 bytes (R2): the
 * invocation's error text when a record's event alone is that large. */
#define ESM_PAYLOAD_ERROR "RequestEntityTooLargeException: Request must be smaller than" \
    " 6291456 bytes for the InvokeFunction operation"

/* The summary's figures of the mapping.  The mapping counts bisects,
 * windows, expired and missed records and IteratorAge; the others are the
 * observer's (observer.h, from the log events: one definition per figure),
 * which sim_summary fills in and esm_stats leaves 0. */
struct esm_stats {
    uint64_t invocations[OUTCOME_COUNT];
    uint64_t deliveries;           /* records given to the function */
    uint64_t redelivered;          /* records delivered more than once */
    uint64_t reprocessed;          /* records handled more than once: side effects twice */
    uint64_t bisects;              /* batches split in two (R8) */
    uint64_t windows;              /* tumbling windows closed by a final invocation (R15) */
    /* Propagation delay (R1): from a record's arrival to its reading by
     * GetRecords (or its push, with enhanced fan-out). */
    double read_delay_mean_ms, read_delay_max_ms;
    uint64_t order_violations;     /* records first delivered after a later record
                                      of their key (R10, R12: per-key order broken) */
    uint64_t discards;             /* OnFailure messages (R6), consolidated under R8 */
    uint64_t discarded_records;    /* the records they describe */
    uint64_t refused;              /* invocations Lambda refused: event over 6 MB (R2) */
    uint64_t expired_records, missed_records;
    uint64_t read_throttles;       /* GetRecords calls throttled by the shard's limits (R9) */
    size_t n_shards;
    struct mtr_shard_stats *shards;   /* owned by the mapping */
};
/* Fill the counters; shards points into the mapping (valid until destroy). */
void esm_stats(struct esm *m, struct esm_stats *out);

#ifdef ESMSIM_INVARIANTS
/*
 * Issue 13 item 5, in the checking build (meson -Dinvariants=true, which
 * tools/setup.sh sets for build-asan): the mapping checks its state after
 * each of its events, and a violation aborts with one line naming the
 * shard, the lane, the sequence numbers and the invariant.
 *
 * Test only: at at_us, break one invariant in the first lane of shard 0
 * that fits, as a bug would (the checker must then abort).  -1 when out of
 * memory. */
enum esm_fault {
    ESM_FAULT_CHECKPOINT,       /* the checkpoint passes a record in a batch */
    ESM_FAULT_RESOLVED_TWICE,   /* a record in a batch gets a fate twice */
    ESM_FAULT_GENERATION,       /* a lane in backoff: its timer goes stale */
    ESM_FAULT_LOST,             /* a queued record falls out of its lane */
    ESM_FAULT_ORDER,            /* two queued records swap */
    ESM_FAULT_QUEUE_BYTES,      /* a lane's running total of queued bytes drifts */
};
int esm_inject_fault(struct esm *m, int64_t at_us, enum esm_fault f);
#endif

#endif
