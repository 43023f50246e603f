/*
 * stream_impl.h - what the stream's files share (stream.c, stream_write.c,
 * stream_read.c): struct stm and its shards, the route cache, and the few
 * helpers of stream.c that the write and read paths call.
 * The stream's own: only its files include it, and struct stm stays
 * opaque to the rest of the model (stream.h).
 */
#ifndef ESMSIM_STREAM_IMPL_H
#define ESMSIM_STREAM_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "lambda_event.h"
#include "stream.h"
#include "stream_plan.h"

/* A service's read limits per shard (R1). */
struct read_limits {
    uint32_t calls_per_sec;       /* GetRecords a shard serves a second, all readers */
    uint32_t other_calls_per_sec; /* what each other reader asks a second */
    uint64_t bytes_per_sec;       /* read a second, all readers; UINT64_MAX: no limit */
    uint32_t max_records;         /* one call */
    uint64_t max_bytes;           /* one call: data + key (Kinesis), SizeBytes (DynamoDB) */
    int64_t penalty_us;           /* calls throttled this long after one cut at max_bytes */
};

/* A shard but its records: those are in the stream's rings (stream.h,
 * struct stm_ring), by the same index, apart so that the consumer's reads
 * of records touch 32 bytes a shard, not this. */
struct shard {
    char id[24];                  /* shardId-000000000000: 21 bytes at most (%012u) */
    int64_t opened_us, closed_us; /* closed_us -1 while open */

    /* Write window: the virtual second w_sec. */
    int64_t w_sec;
    uint64_t w_records, w_bytes;  /* used in w_sec (bytes: data + key) */
    uint64_t w_total;             /* bytes (data + key) of every record ever written:
                                     a read's bytes are a difference (struct read_mark) */
    uint64_t w_prev_bytes;        /* written in w_sec - 1 */
    int64_t put_sec;              /* w_sec while open, -1 once closed: a put
                                     compares this one field per entry */

    /* Read window: the virtual second r_sec. */
    int64_t r_sec;
    uint32_t r_calls;             /* GetRecords calls passed in r_sec */
    uint64_t r_bytes;             /* bytes read in r_sec, debt included */
    uint64_t r_budget;            /* bytes the mapping may read in r_sec */
    int64_t r_blocked_until_us;   /* calls throttled before this (10 MiB rule) */
};

_Static_assert(sizeof(struct shard) == 128, "a shard stays 128 bytes: a put indexes "
               "shards with a shift");

/* A point of a shard's records and the bytes (data + key) of every record
 * before it: record index at, total.  A Kinesis read leaves it where it
 * ended, where the next read starts: when that one goes to the end, its
 * bytes are w_total - total, with no pass over its records.  True for ever
 * once known (indexes never move). */
struct read_mark {
    uint64_t at;
    uint64_t total;
};

/* What a write needs of a key: the route cache's entry unpacked (a value,
 * in registers).  The record a write makes carries the lengths on, so
 * that reads and event sizes come back to no per-key table. */
struct key_info {
    uint32_t shard;               /* open shard of the key */
    uint16_t bytes;               /* key length, counted by the limits; STM_KEY_BYTES_FAR:
                                     that long or longer, keytab_len() has it */
    uint16_t plain;               /* 1: its JSON-escaped length is bytes (R2 event size) */
};

/* key id -> its key_info packed in 4 bytes (stream_write.c, key_pack),
 * filled on first use: with many keys a write costs one cache miss here,
 * and 4 bytes a key keep the bench's 100,000 keys (400 KB) in a core's L2
 * with the rest (perf, 5 minutes of the bench: the load's stall 26% ->
 * 16% of put_request's samples, put_request 0.93x; callgrind +25 M
 * instructions, the unpacking).  Separate so stm_route stays const.  It covers every
 * key of the table (cache_cover, stream_write.c) before a lookup, so that
 * a lookup checks no bound. */
struct route_cache {
    uint32_t *info;
    size_t n;
};

struct stm {
    struct stm_view view;         /* first: stream.h's inline stm_at() reads it */
    struct eng *e;
    struct keytab *keys;
    const struct slog *log;       /* may be NULL: nothing logged */
    struct stm_consumer consumer;
    bool has_consumer;
    char *name, *arn;
    gsl_rng *rng;                 /* "stream/<name>": InternalFailure draws */
    uint64_t ring_bytes;          /* the record rings' room, every shard's (stm_ring_bytes) */

    /* limits, copied from the config */
    uint64_t w_records_limit;     /* per shard per second */
    uint64_t w_bytes_limit;       /* per shard per second, data + key */
    uint64_t max_record_bytes;    /* one entry, data + key */
    uint64_t max_request_bytes;   /* one request, data + key */
    uint32_t max_request_records;
    double failure_rate;          /* chance of InternalFailure per entry */
    int64_t retention_us;
    uint32_t other_consumers;
    bool ddb;                     /* a DynamoDB table's stream, else Kinesis */
    const struct read_limits *reads;
    uint64_t read_num, read_den;  /* the mapping's GetRecords a second: read_num / read_den */
    struct lev_source size_src;   /* DynamoDB: the view, for SizeBytes */
    uint64_t *items;              /* DynamoDB: bit k set while the item of key id k exists */
    size_t n_item_words;

    struct shard *shards;         /* cap_shards of them; the first n_shards exist */
    uint32_t n_shards, cap_shards;
    struct topo topo;             /* the plan's shards; open: as of now */
    struct reshard_step *steps;   /* the plan's steps ... */
    size_t *op_end;               /* ... by operation ... */
    int64_t *op_at;               /* ... and their times */
    size_t n_ops;
    struct route_cache *cache;
    struct read_mark *marks;      /* by shard index */

    uint64_t next_seq;            /* next sequence number (from 1) */
    uint64_t held;                /* records held, all shards */
    bool trim_scheduled;          /* a trim event is pending */
    char **data;                  /* data_id - 1 -> explicit data */
    size_t n_data, cap_data;
    struct stm_stats stats;
};

/* ---- storage and retention (stream.c) ---------------------------------- */

/* Double the ring (RING_MIN slots at first): 0, or -1 when out of memory. */
int stm_ring_grow(struct stm *s, struct stm_ring *rg);

static inline struct stm_record *stm_slot(const struct stm_ring *rg, uint64_t index)
{
    return &rg->slots[index & (rg->cap - 1)];
}

/* A trim pass at the first whole second at or after due (after now): the
 * stream's first record held arms it, each pass the next. */
void stm_schedule_trim(struct stm *s, int64_t due);

#endif
