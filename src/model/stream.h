/*
 * stream.h - a Kinesis data stream (SPEC 1.1) or a DynamoDB table's stream
 * (SPEC 1.2): shards owning hash-key ranges, MD5 routing, sequence numbers,
 * write limits, PutRecords (a DynamoDB table: item writes that are INSERT,
 * MODIFY or REMOVE), shared read limits, retention, resharding (DynamoDB:
 * shard rollover).
 *
 * The stream keeps in memory only the records its one simulated consumer (the
 * mapping) still needs: the consumer releases what it has checkpointed, and
 * retention trims the rest.  So memory follows the records in flight.
 *
 * Files: stream.c (the stream's life: create, shards, resharding steps,
 * retention), stream_plan.c (hash ranges and the reshard plan),
 * stream_write.c (PutRecords, items), stream_read.c (GetRecords, read
 * limits); what they share is stream_impl.h.
 */
#ifndef ESMSIM_STREAM_H
#define ESMSIM_STREAM_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simlog.h"

struct eng;
struct keytab;
struct cfg_stream;

/* A record in a shard, 40 bytes.  The consumer owns `handled` and
 * `resolved`; the stream the rest.  The key's lengths ride in the record
 * (read them with stm_record_key_bytes and stm_record_key_json_len): a read
 * and the event size of R2 then touch no per-key table, a cache miss each
 * among many keys. */
struct stm_record {
    uint64_t seq;          /* sequence number: unique, increasing in a shard */
    uint64_t message_id;
    int64_t arrival_us;    /* approximateArrivalTimestamp, virtual */
    uint32_t bytes;        /* data bytes (DynamoDB: the item's payload) */
    uint32_t key_id;       /* partition key (DynamoDB: the item's key), in the keytab */
    uint32_t data_id;      /* 0: synthetic data; else explicit data (stm_data) */
    uint8_t handled;       /* consumer: times handled successfully (saturates at 255) */
    unsigned resolved : 1; /* consumer: the record has its fate (lanes resolve out of order, R10) */
    unsigned event : 2;    /* DynamoDB: eventName, enum lev_ddb_event; Kinesis: 0 */
    unsigned key_plain : 1; /* the key's JSON-escaped length is key_bytes (nothing to escape) */
    uint16_t key_bytes;    /* the key's length; STM_KEY_BYTES_FAR: longer, in the keytab */
};

#define STM_KEY_BYTES_FAR UINT16_MAX

/*
 * What a write does to a DynamoDB table's item (SPEC 1.2; Kinesis ignores
 * it).  The table knows which items exist: a write of an absent item is an
 * INSERT, of an existing one a MODIFY; a delete of an existing item is a
 * REMOVE, and the item is absent until its next write.  DynamoDB writes no
 * stream record for a delete of an absent item, so the model makes such a
 * delete a write (an INSERT): every write makes exactly one record.  The
 * explicit events are written as they are, whatever the table holds, and
 * the table follows them.
 */
enum stm_item_op {
    STM_ITEM_WRITE = 0,    /* PutItem / UpdateItem */
    STM_ITEM_DELETE,       /* DeleteItem of the item if it exists, else a write */
    STM_ITEM_INSERT,       /* STM_ITEM_INSERT + enum lev_ddb_event: that event */
    STM_ITEM_MODIFY,
    STM_ITEM_REMOVE,
};

/* One entry of a PutRecords request (DynamoDB: one item write).  bytes
 * and key_id in struct stm_record's order: the put copies them as one. */
struct stm_put_entry {
    uint64_t message_id;
    int64_t created_us;    /* its message's creation, for the record's log row */
    uint32_t bytes;
    uint32_t key_id;
    uint32_t data_id;
    uint8_t item_op;       /* DynamoDB: enum stm_item_op */
};

enum stm_put_result {
    STM_PUT_OK = 0,
    STM_PUT_THROTTLED,         /* ProvisionedThroughputExceededException */
    STM_PUT_INTERNAL_FAILURE,  /* InternalFailure */
};

enum stm_read_result { STM_READ_OK = 0, STM_READ_THROTTLED };

/*
 * What the stream asks of its consumer when retention trims records, and
 * tells it when it reshards.  In one SplitShard or MergeShards, the parents
 * are closed (shard_closed, parent before adjacent parent) and then the
 * children opened (shard_opened, in index order), once the whole step is
 * done: every callback sees the new shards and open ranges.  An
 * UpdateShardCount is several such steps at the same instant.  A DynamoDB
 * shard's rollover is a step with one parent and one child that has the
 * parent's range; the shards of a table roll over together, one step each.
 */
struct stm_consumer {
    void *ctx;
    /* Lowest index of shard the consumer is using right now (in flight); the
     * stream does not trim at or past it. */
    uint64_t (*pinned)(void *ctx, uint32_t shard);
    /* Records [from, to) of shard are about to be trimmed unprocessed. */
    void (*expire)(void *ctx, uint32_t shard, uint64_t from, uint64_t to);
    /* Optional (NULL: not wanted).  A child shard exists, empty and open,
     * before any write to it. */
    void (*shard_opened)(void *ctx, uint32_t shard);
    /* Optional.  A parent shard takes no more writes: stm_end(shard) is
     * final; its records stay readable until retention trims them. */
    void (*shard_closed)(void *ctx, uint32_t shard);
    /* Optional.  A record was just written to shard (enhanced fan-out
     * pushes it). */
    void (*written)(void *ctx, uint32_t shard);
};

struct stm;

/*
 * Create the stream of cfg with its shards open at time 0, and log them; its
 * reshard operations (DynamoDB: its rollovers, every cfg->shard_lifetime_us
 * before cfg->rollover_until_us) are scheduled on e and done by the stream
 * itself.  An ON_DEMAND stream's splits are its scaler's (ondemand.h), made
 * beside it by whoever builds the simulation, through stm_split_evenly().
 * Returns NULL with a message in err (a reshard that cannot be done is named
 * as in stm_check_reshard).  The stream borrows e, keys and log.
 */
struct stm *stm_create(struct eng *e, const struct cfg_stream *cfg,
                       struct keytab *keys, const struct slog *log,
                       char *err, size_t errlen);
void stm_destroy(struct stm *s);

/*
 * Whether every reshard operation of cfg (cfg->shards >= 1) can be done on
 * the shards it will meet: the shard ids exist and are open then, a split's
 * hash key lies inside its parent's range, merged shards are adjacent, and
 * UpdateShardCount keeps AWS's limits.  Returns 0, or -1 with *op the index
 * of the first operation that cannot be done, *key its offending key
 * ("at", "split", "hash_key", "merge", "target_shard_count"; NULL when out
 * of memory) and a message in err.
 */
int stm_check_reshard(const struct cfg_stream *cfg, size_t *op, const char **key,
                      char *err, size_t errlen);

/*
 * An on-demand stream of cfg (Kinesis, ON_DEMAND): the most shards it may
 * have open, as many as its maximum throughput needs at the shards' limits
 * (records and bytes), at most STM_ON_DEMAND_MAX_OPEN; and the most it may
 * make in a run (each split closes one and opens two), the size of its
 * shard table.  The loader and the memory estimate count with the same.
 */
#define STM_ON_DEMAND_MAX_OPEN 10000u
uint32_t stm_on_demand_max_open(const struct cfg_stream *cfg);
uint32_t stm_on_demand_max_made(const struct cfg_stream *cfg);

void stm_set_consumer(struct stm *s, const struct stm_consumer *c);

/* Which service the stream is: SLOG_SOURCE_KINESIS or SLOG_SOURCE_DYNAMODB. */
enum slog_source_type stm_source(const struct stm *s);

/* Shards made so far: indexes never change, a reshard appends its children. */
uint32_t stm_shard_count(const struct stm *s);
/* The shard's id; the pointer stays valid as long as the stream. */
const char *stm_shard_id(const struct stm *s, uint32_t shard);
/* The shard a child came from (a merge child: ShardToMerge), or UINT32_MAX. */
uint32_t stm_shard_parent(const struct stm *s, uint32_t shard);
/* A merge child's AdjacentShardToMerge, or UINT32_MAX. */
uint32_t stm_shard_adjacent_parent(const struct stm *s, uint32_t shard);
/* The shard was closed by a reshard or a rollover: no more writes, stm_end is final. */
bool stm_shard_closed(const struct stm *s, uint32_t shard);
const char *stm_arn(const struct stm *s);
/* Set the stream ARN (the mapping's EventSourceArn); NULL keeps the default
 * arn:aws:kinesis:us-east-1:123456789012:stream/NAME (DynamoDB:
 * arn:aws:dynamodb:us-east-1:123456789012:table/NAME/stream/1970-01-01T00:00:00.000).
 * 0, or -1 when out of memory. */
int stm_set_arn(struct stm *s, const char *arn);

/* The open shard whose hash-key range holds MD5(key). */
uint32_t stm_route(const struct stm *s, uint32_t key_id);
/* The key's length once JSON-escaped (keytab_json_len), and its length
 * (keytab_len): the slow paths of the two below. */
uint32_t stm_key_json_len(const struct stm *s, uint32_t key_id);
uint32_t stm_key_bytes(const struct stm *s, uint32_t key_id);

/* The key's length of a record the stream holds: from the record itself
 * unless the key is STM_KEY_BYTES_FAR bytes or longer. */
static inline uint32_t stm_record_key_bytes(const struct stm *s, const struct stm_record *r)
{
    return r->key_bytes != STM_KEY_BYTES_FAR ? r->key_bytes : stm_key_bytes(s, r->key_id);
}

/* The key's length once JSON-escaped of a record the stream holds: from the
 * record itself unless the key has something to escape or is that long. */
static inline uint32_t stm_record_key_json_len(const struct stm *s, const struct stm_record *r)
{
    return r->key_plain ? r->key_bytes : stm_key_json_len(s, r->key_id);
}

/*
 * PutRecords at the current time: results[i] is the fate of entries[i], in
 * request order.  Returns the number of failed entries (FailedRecordCount),
 * or -1 with err set when the request itself is invalid (too many records or
 * bytes, a record over the record limit).  Accepted records are logged.  On
 * a DynamoDB stream each entry is an item write (its item_op), whose record
 * holds the event it made.
 */
int stm_put_records(struct stm *s, const struct stm_put_entry *entries,
                    size_t n, uint8_t *results, char *err, size_t errlen);

/*
 * stm_put_records for a sender that resends the failed entries alone
 * (SPEC 1.3 failed-only), with no results: the failed entries are moved
 * down in place, to entries[0, failed) in request order, and the message
 * ids of the accepted ones written to accepted[0, n - failed) in request
 * order (room for n).  -1 with err set, nothing moved, when the request
 * is invalid.  The put branches on each entry's fate anyway: the sender's
 * own pass over the results, to the same end, cost 19 instructions an
 * entry.
 */
int stm_put_records_keep(struct stm *s, struct stm_put_entry *entries, size_t n,
                         uint64_t *accepted, char *err, size_t errlen);

/*
 * A stamp of what decides whether a throttled entry would be throttled
 * again: the second (write windows only fill within it, the limits never
 * change) and the shard count (each reshard step adds shards, so the same
 * count means no key has moved).  0 when PutRecords draws InternalFailure,
 * which a resend would draw again.  So entries that were all refused by the
 * write limits (STM_PUT_THROTTLED) at a stamp are refused again, each, by a
 * put at the same nonzero stamp: a writer may count them refused with
 * stm_put_refused instead, and the run is the same.
 */
uint64_t stm_put_stamp(const struct stm *s);

/* n entries refused by the write limits without a put (stm_put_stamp). */
void stm_put_refused(struct stm *s, size_t n);

/* The request limits a writer must respect (from the stream's config). */
struct stm_put_limits {
    uint32_t max_request_records;
    uint64_t max_request_bytes;   /* data + partition keys */
    uint64_t max_record_bytes;    /* one entry, data + partition key */
};
void stm_put_limits(const struct stm *s, struct stm_put_limits *out);

/*
 * What an on-demand stream's scaler (ondemand.c) needs.  The records and
 * bytes (data + key, as the write limits count them) shard accepted in the
 * virtual second sec, 0 when none; only a shard's last second with a write
 * is kept, so ask before the writes of the next second (ENG_CLASS_TOPOLOGY).
 */
void stm_shard_written(const struct stm *s, uint32_t shard, int64_t sec,
                       uint64_t *records, uint64_t *bytes);

/*
 * Split the open shard now at the middle of its hash-key range, as an
 * on-demand stream does ("the parent shard's hash key values are
 * redistributed evenly across child shards"): a SplitShard step, logged and
 * told to the consumer like a scheduled one.  0 done, 1 the shard owns a
 * single hash key (nothing done), -1 out of memory or beyond the shards the
 * stream was made for (stm_on_demand_max_made).
 */
int stm_split_evenly(struct stm *s, uint32_t shard);

/*
 * A shard's held records: [begin, end), absolute indexes; record i is
 * slots[i & (cap - 1)], cap a power of two (0: no ring yet).  The stream's
 * own, read-only outside its files: it is here so that the accessors below
 * are inline, as the consumer calls them several times a record.
 */
struct stm_ring {
    struct stm_record *slots;
    uint64_t cap;
    uint64_t begin, end;
};

/* The first member of every struct stm: its rings by shard index, an array
 * that never moves. */
struct stm_view {
    struct stm_ring *rings;
};

static inline const struct stm_ring *stm_shard_ring(const struct stm *s, uint32_t shard)
{
    return &((const struct stm_view *)(const void *)s)->rings[shard];
}

/* Records of shard held in memory: indexes [begin, end). */
static inline uint64_t stm_begin(const struct stm *s, uint32_t shard)
{
    return stm_shard_ring(s, shard)->begin;
}

static inline uint64_t stm_end(const struct stm *s, uint32_t shard)
{
    return stm_shard_ring(s, shard)->end;
}

static inline struct stm_record *stm_at(struct stm *s, uint32_t shard, uint64_t index)
{
    const struct stm_ring *rg = stm_shard_ring(s, shard);
    assert(index >= rg->begin && index < rg->end);
    return &rg->slots[index & (rg->cap - 1)];
}

/* Records [from, to) of shard (from < to, all held) by pieces contiguous in
 * memory: the first *n of them (1 <= *n <= to - from) are at the pointer
 * returned; the rest from from + *n on.  A pass over many records walks
 * them a piece at a time, with no index arithmetic per record. */
static inline struct stm_record *stm_piece(struct stm *s, uint32_t shard, uint64_t from,
                                           uint64_t to, uint64_t *n)
{
    const struct stm_ring *rg = stm_shard_ring(s, shard);
    assert(from >= rg->begin && from < to && to <= rg->end);
    uint64_t at = from & (rg->cap - 1), room = rg->cap - at;
    *n = to - from < room ? to - from : room;
    return &rg->slots[at];
}

/* Explicit data of a record (data_id != 0), or NULL. */
const char *stm_data(const struct stm *s, uint32_t data_id);
/* Register explicit data; returns its data_id (> 0), or 0 when out of memory. */
uint32_t stm_add_data(struct stm *s, const char *data);

/*
 * GetRecords on shard from index `from` by the mapping: on success *to is the
 * index after the last record returned: at most max_records, and the
 * service's own caps (Kinesis: 10,000 records and 10 MiB; DynamoDB: 1,000
 * records and 1 MB of SizeBytes).  Counts against the shard's read limits
 * shared with the other consumers (Kinesis: 5 calls/s and 2 MiB/s;
 * DynamoDB: 8 calls/s, two readers polling 4 times a second; stream_read.c
 * says how they are shared).  On throttling, *retry_at_us says when a call may
 * succeed.
 */
enum stm_read_result stm_get_records(struct stm *s, uint32_t shard,
                                     uint64_t from, uint32_t max_records,
                                     uint64_t *to, int64_t *retry_at_us);

/* The consumer no longer needs records of shard below index upto. */
void stm_release(struct stm *s, uint32_t shard, uint64_t upto);

/* Retention in us; records with arrival + retention <= now are trimmed. */
int64_t stm_retention(const struct stm *s);

/* Counters for the summary. */
struct stm_stats {
    uint64_t records_written;
    uint64_t put_throttled;       /* entries refused by the write limits */
    uint64_t put_internal_failures;
    uint64_t reads, read_throttles;  /* GetRecords calls that passed / were throttled */
    uint64_t records_trimmed;     /* unprocessed records lost to retention
                                     (trimmed while held and not `handled`) */
    uint64_t peak_records_held;
    uint64_t item_events[3];      /* DynamoDB: records by enum lev_ddb_event */
    uint64_t on_demand_splits;    /* ON_DEMAND: shards split to add capacity */
};
void stm_stats(const struct stm *s, struct stm_stats *out);
/* The bytes the shards' record rings take now: the stream's memory that
 * grows with the records held (for the run's memory limit, sim.h). */
uint64_t stm_ring_bytes(const struct stm *s);

#endif
