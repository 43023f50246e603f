/*
 * config.h - what a simulation is made of, as plain structs (SPEC section 2):
 * the stream, the producers and explicit records, the mapping, the function,
 * the model's pacing and the schedule, every duration in microseconds and
 * every size in bytes.  The core reads only these; the scenario loader
 * (scenario.h) is one way to fill them, a test another.  Nothing here is
 * defaulted by the core: whoever fills a struct fills every field (the
 * loader applies the CFG_DEFAULT_* values below).
 *
 * Ownership: the structs hold pointers (names, lists, the handler) that
 * whoever made them owns and frees (scn_free() for the loader's); the core
 * borrows a config for the life of the simulation and never frees nor
 * changes it.
 */
#ifndef ESMSIM_CONFIG_H
#define ESMSIM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dist.h"
#include "lambda_event.h"

enum cfg_key_dist { CFG_KEYS_UNIFORM, CFG_KEYS_ZIPF };

/* Where partition keys come from: prefix + 0..count-1, or a fixed list. */
struct cfg_keys {
    enum cfg_key_dist distribution;
    double zipf_s;          /* zipf exponent (> 0) */
    uint32_t count;         /* generated keys, when list is NULL */
    char *prefix;           /* generated keys are prefix + decimal index */
    char **list;            /* fixed keys, or NULL */
    size_t n_list;
};

enum cfg_retry_mode { CFG_RETRY_FAILED_ONLY, CFG_RETRY_ALL, CFG_RETRY_NONE };
enum cfg_backoff { CFG_BACKOFF_CONSTANT, CFG_BACKOFF_LINEAR, CFG_BACKOFF_EXPONENTIAL };

struct cfg_retry {
    enum cfg_retry_mode mode;
    uint32_t max_attempts;  /* attempts in all, first one included (>= 1) */
    enum cfg_backoff backoff;
    int64_t base_us;        /* constant: wait; linear: wait * attempt; exp: base * 2^(attempt-1) */
    int64_t max_us;         /* cap on one wait */
    bool jitter;            /* exponential only: full jitter, uniform in [0, wait] */
};

struct cfg_burst {
    int64_t at_us, for_us;
    double multiplier;      /* rate multiplier while the burst lasts; 0 = off period */
};

enum cfg_arrival { CFG_ARRIVAL_CONSTANT, CFG_ARRIVAL_POISSON };
enum cfg_put_api { CFG_PUT_RECORDS, CFG_PUT_RECORD };

/* A piece of a rate series: `rate` records per second from at_us until the
 * next piece's at_us (the last one: until the producer stops). */
struct cfg_rate_point {
    int64_t at_us;          /* virtual time since the run's start */
    double rate;            /* >= 0, finite */
};

struct cfg_producer {
    char *name;
    double rate;            /* records per second, when series is NULL */
    struct cfg_rate_point *series;  /* piecewise-constant rate instead of `rate`, or NULL:
                                       series[0].at_us is 0, at_us strictly increasing */
    size_t n_series;
    enum cfg_arrival arrival;
    struct cfg_keys keys;
    struct dist record_bytes;  /* data bytes per record, >= 1 after rounding */
    enum cfg_put_api api;
    uint32_t max_records;   /* records per PutRecords request (1..500) */
    int64_t linger_us;      /* flush a partial request after this long */
    struct cfg_retry retry;
    int64_t start_us, stop_us;
    struct cfg_burst *bursts;
    size_t n_bursts;
    double remove_share;    /* DynamoDB: chance that a write to an existing item deletes it */
};

/* An explicit record, written once with PutRecord at `at` (no retries); on
 * a DynamoDB table, one write of the item partition_key. */
struct cfg_record {
    int64_t at_us;
    char *partition_key;
    char *data;             /* the record's data, as given (bytes = strlen) */
    bool has_event;         /* DynamoDB: event given; false: INSERT or MODIFY as the table says */
    enum lev_ddb_event event;   /* DynamoDB: the stream record's eventName, when has_event */
};

enum cfg_consumer { CFG_CONSUMER_SHARED, CFG_CONSUMER_EFO };

enum cfg_reshard_kind {
    CFG_RESHARD_SPLIT,     /* SplitShard */
    CFG_RESHARD_MERGE,     /* MergeShards */
    CFG_RESHARD_TARGET,    /* UpdateShardCount, UNIFORM_SCALING */
};

/* One resharding operation (SPEC 1.1), done by the stream at at_us.  Shard
 * ids are checked against the shards of that time by stm_check_reshard(). */
struct cfg_reshard {
    int64_t at_us;
    enum cfg_reshard_kind kind;
    char *shard;            /* SPLIT: ShardToSplit; MERGE: ShardToMerge (the child's parent) */
    char *adjacent;         /* MERGE: AdjacentShardToMerge (the child's adjacent parent) */
    char *hash_key;         /* SPLIT: NewStartingHashKey in decimal; NULL: the range's midpoint */
    uint32_t target;        /* TARGET: TargetShardCount, 1..10000 */
};

enum cfg_stream_type { CFG_STREAM_KINESIS, CFG_STREAM_DYNAMODB };

/* Kinesis capacity modes (SPEC 1.1): the user's shards, or AWS's. */
enum cfg_capacity_mode { CFG_CAPACITY_PROVISIONED, CFG_CAPACITY_ON_DEMAND };

/*
 * How an on-demand stream adds shards (ondemand.h), from the model.on_demand_*
 * keys: AWS's documented values, or a stated choice, by default.
 */
struct cfg_on_demand {
    int64_t peak_window_s;          /* the previous peak: the highest second of this many (30 d) */
    int64_t scale_window_s;         /* a shard's sustained traffic: its mean over this many s (60) */
    int64_t scale_delay_us;         /* a split happens this long after it is decided (15 min) */
    double split_threshold;         /* sustained traffic over this share of a shard's limits splits it (0.5) */
    uint64_t max_write_bytes_per_sec;   /* the stream's maximum write throughput (200 MiB/s) ... */
    uint64_t max_write_records_per_sec; /* ... and records (200,000/s) */
};

/* AWS's on-demand values (SPEC 1.1 Capacity modes), or the model's stated
 * choices, by default. */
#define CFG_DEFAULT_ON_DEMAND_SHARDS           4u    /* at creation: 4 MiB/s, 4,000 records/s */
#define CFG_DEFAULT_ON_DEMAND_PEAK_WINDOW_S    INT64_C(2592000)   /* 30 days */
#define CFG_DEFAULT_ON_DEMAND_SCALE_WINDOW_S   INT64_C(60)
#define CFG_DEFAULT_ON_DEMAND_SCALE_DELAY_US   INT64_C(900000000) /* 15 min */
#define CFG_DEFAULT_ON_DEMAND_SPLIT_THRESHOLD  0.5   /* AWS's 500 KB/s of a shard's 1 MB/s */
#define CFG_DEFAULT_ON_DEMAND_MAX_WRITE_BYTES_PER_SEC   (UINT64_C(200) << 20)   /* 200 MiB/s */
#define CFG_DEFAULT_ON_DEMAND_MAX_WRITE_RECORDS_PER_SEC UINT64_C(200000)

/*
 * A Kinesis stream, or a DynamoDB table's stream (type "dynamodb", SPEC 1.2).
 * For DynamoDB the loader fills the Kinesis-only fields with what a table
 * does: retention 24 h, no write limits, one item of at most 400 KB a write,
 * no InternalFailure, shared reads, no reshard.
 */
struct cfg_stream {
    enum cfg_stream_type type;
    char *name;             /* Kinesis: the stream's name; DynamoDB: the table's */
    uint32_t shards;        /* 1..10000 (DynamoDB, ON_DEMAND: at the start) */
    int64_t retention_us;   /* 24h .. 8760h (DynamoDB: 24h) */
    enum cfg_consumer consumer;
    uint32_t other_consumers;   /* other shared-throughput readers, 0..4 */
    uint64_t write_records_per_sec;  /* 1000; UINT64_MAX: no limit */
    uint64_t write_bytes_per_sec;    /* 1 MiB; UINT64_MAX: no limit */
    uint64_t max_record_bytes;       /* 1 MiB: data + key of one record (DynamoDB: of one item) */
    uint64_t max_request_bytes;      /* 5 MiB */
    uint32_t max_request_records;    /* 500 */
    double internal_failure_rate;    /* chance a PutRecords entry gets InternalFailure */
    struct cfg_reshard *reshard;     /* in time order (equal times: file order); none on demand */
    size_t n_reshard;
    enum cfg_capacity_mode capacity_mode;   /* Kinesis; DynamoDB: PROVISIONED (unused) */
    struct cfg_on_demand on_demand;  /* ON_DEMAND: how shards are added */
    /* DynamoDB only: */
    enum lev_ddb_view view_type;     /* StreamViewType */
    int64_t shard_lifetime_us;       /* a shard rolls over this long after it opened (4 h) */
    int64_t rollover_until_us;       /* rollovers happen before this time: the run's duration */
};

/* A Kinesis stream's values by default: AWS's limits; a DynamoDB table's
 * stream keeps its records 24 hours and rolls its shards over. */
#define CFG_DEFAULT_SHARDS                1u
#define CFG_DEFAULT_RETENTION_US          INT64_C(86400000000)   /* 24 h (DynamoDB: always) */
#define CFG_DEFAULT_WRITE_RECORDS_PER_SEC UINT64_C(1000)          /* a shard's */
#define CFG_DEFAULT_WRITE_BYTES_PER_SEC   UINT64_C(1048576)       /* a shard's: 1 MiB */
#define CFG_DEFAULT_MAX_RECORD_BYTES      UINT64_C(1048576)       /* data + key */
#define CFG_DEFAULT_MAX_REQUEST_BYTES     UINT64_C(5242880)       /* a PutRecords request */
#define CFG_DEFAULT_MAX_REQUEST_RECORDS   500u
#define CFG_DEFAULT_SHARD_LIFETIME_US     INT64_C(14400000000)   /* DynamoDB: 4 h */

enum cfg_start { CFG_START_TRIM_HORIZON, CFG_START_LATEST, CFG_START_AT_TIMESTAMP };

struct cfg_mapping {
    uint32_t batch_size;            /* 1..10000 */
    int64_t batching_window_us;     /* 0..300 s */
    uint32_t parallelization_factor;  /* 1..10 */
    int64_t max_retry_attempts;     /* -1 infinite, 0..10000 */
    int64_t max_record_age_us;      /* -1 infinite, 60..604800 s */
    bool bisect_on_error;
    bool report_batch_item_failures;
    enum cfg_start starting_position;
    int64_t starting_timestamp_us;  /* AT_TIMESTAMP, virtual time */
    int64_t tumbling_window_us;     /* 0 = off */
    char *on_failure_destination;   /* ARN or NULL */
    bool enabled;
    char *function_arn;             /* from FunctionArn, or made from function.name */
    char *event_source_arn;         /* from EventSourceArn, or made from stream.name */
};

/* Pacing that AWS does not document: chosen, documented in the README
 * (Model choices); the CFG_DEFAULT_* values below unless model.* says. */
struct cfg_model {
    int64_t poll_interval_us;       /* base poll period per shard (1 s) */
    int64_t retry_delay_us;         /* wait before retrying a failed batch */
    int64_t reinvoke_delay_us;      /* end of an invocation to the lane's next GetRecords */
    int64_t throttle_backoff_us;    /* first wait after a throttle; doubles */
    int64_t throttle_backoff_max_us;
    int64_t latest_start_delay_us;  /* LATEST: polling starts after this */
    int64_t mapping_update_delay_us;  /* a scheduled mapping update takes effect after this (R16) */
    int64_t sample_interval_us;     /* metrics sampling period (1 s) */
    int64_t epoch_ms;               /* wall time of virtual 0, for ARNs/timestamps */
    bool wait_for_parent_shards;    /* R12; false: a consumer that reads children at once */
    int64_t efo_push_latency_us;    /* enhanced fan-out: arrival to push (70 ms, R1) */
    char *region;
    char *account;
    uint64_t memory_limit;          /* bytes: a scenario whose estimated need (footprint.h)
                                       is above is refused; 0: not known, nothing refused */
    const char *memory_limit_from;  /* "model.memory_limit", or what fpt_available() said (static) */
};

#define CFG_DEFAULT_POLL_INTERVAL_US          INT64_C(1000000)   /* Kinesis: 1 s */
#define CFG_DEFAULT_DYNAMODB_POLL_INTERVAL_US INT64_C(250000)    /* DynamoDB: 4 polls a second (R1) */
#define CFG_DEFAULT_RETRY_DELAY_US            INT64_C(1000000)
#define CFG_DEFAULT_REINVOKE_DELAY_US         INT64_C(20000)
#define CFG_DEFAULT_THROTTLE_BACKOFF_US       INT64_C(1000000)
#define CFG_DEFAULT_THROTTLE_BACKOFF_MAX_US   INT64_C(30000000)
#define CFG_DEFAULT_LATEST_START_DELAY_US     INT64_C(60000000)
#define CFG_DEFAULT_MAPPING_UPDATE_DELAY_US   INT64_C(60000000)
#define CFG_DEFAULT_SAMPLE_INTERVAL_US        INT64_C(1000000)
#define CFG_DEFAULT_EFO_PUSH_LATENCY_US       INT64_C(70000)     /* AWS's "about 70 ms" (R1) */
#define CFG_DEFAULT_START_TIME                "2026-01-01T00:00:00Z"   /* wall time of virtual 0 */
#define CFG_DEFAULT_REGION                    "us-east-1"
#define CFG_DEFAULT_ACCOUNT                   "123456789012"

enum cfg_match_kind {
    CFG_MATCH_KEY,           /* partition_key equals */
    CFG_MATCH_DATA_CONTAINS, /* explicit record data contains a marker */
    CFG_MATCH_MESSAGE_ID,    /* message id equals */
    CFG_MATCH_PROBABILITY,   /* each record fails with this chance */
    CFG_MATCH_INTERVAL,      /* invocations starting in [from, to) */
    CFG_MATCH_ALL,           /* every record */
};

enum cfg_effect { CFG_EFFECT_FAIL, CFG_EFFECT_SLOW };

struct cfg_failure {
    enum cfg_match_kind match;
    char *text;              /* key or marker */
    uint64_t message_id;
    double probability;
    int64_t from_us, to_us;
    enum cfg_effect effect;
    struct dist extra;   /* SLOW: extra duration per matching record */
};

enum cfg_report {
    CFG_REPORT_THROW,
    CFG_REPORT_FIRST_FAILURE,
    CFG_REPORT_ALL_FAILURES,          /* Powertools: throws when every record failed */
    CFG_REPORT_ALL_FAILURES_NO_RAISE, /* the same with raise_on_entire_batch_failure off */
    CFG_REPORT_EMPTY_IDENTIFIER,
    CFG_REPORT_WRONG_KEY,
    CFG_REPORT_WRONG_LIST_KEY,
    CFG_REPORT_UNKNOWN_SEQUENCE,
};

/*
 * function.handler (SPEC section 4): a real program answers the invocations
 * instead of the model's failure rules and report style.  Relative paths are
 * the program's business, from cwd; cwd itself, when relative or absent, is
 * taken from the scenario file's folder, so that a scenario committed beside
 * its handler runs from anywhere.
 */
struct cfg_handler {
    char **command;           /* argv, NULL-terminated, at least one word */
    uint32_t instances;       /* execution environments (processes) at most, 1..256 */
    char **env;               /* "NAME=value" entries, NULL-terminated (maybe empty) */
    char *cwd;                /* the working directory, resolved as above */
    int64_t wall_timeout_us;  /* wall time an answer may take from the event's fetch;
                                 0: 5 x the function timeout */
    int64_t init_timeout_us;  /* wall time a new process may take to ask for its first
                                 event; 0: 10 s (AWS's Init limit) */
    bool measured;            /* "duration": "measured": durations are the handler's wall
                                 time (the run is not reproducible) */
};

struct cfg_function {
    char *name;
    int64_t timeout_us;            /* 1 s .. 900 s */
    int64_t reserved_concurrency;  /* -1 = unreserved (account limit), else 0.. */
    uint32_t account_concurrency;  /* limit when unreserved (1000) */
    uint32_t memory_mb;            /* MemorySize, 128..10240 MB: only the cost in GB-seconds
                                      (sweep); durations come from the model alone */
    struct dist per_invoke;    /* us */
    struct dist per_record;    /* us */
    struct dist cold_start;    /* us, added when a new environment starts */
    int64_t idle_timeout_us;       /* an idle environment is reclaimed after this */
    struct cfg_failure *failures;
    size_t n_failures;
    enum cfg_report report;
    bool returns_state;            /* with tumbling windows, the response has `state` (R15) */
    struct cfg_handler *handler;   /* a real program decides the outcomes; NULL: the model */
};

/* The function's values by default: Lambda's (timeout, memory, the
 * account's concurrency), and the model's durations. */
#define CFG_DEFAULT_TIMEOUT_US             INT64_C(3000000)     /* 3 s */
#define CFG_DEFAULT_ACCOUNT_CONCURRENCY    1000u
#define CFG_DEFAULT_MEMORY_MB              128u
#define CFG_DEFAULT_PER_INVOKE_US          INT64_C(10000)       /* constant 10 ms */
#define CFG_DEFAULT_PER_RECORD_US          INT64_C(1000)        /* constant 1 ms */
#define CFG_DEFAULT_COLD_START_US          INT64_C(200000)      /* constant 200 ms */
#define CFG_DEFAULT_IDLE_TIMEOUT_US        INT64_C(600000000)   /* 10 min */

/*
 * One scheduled change (R16): the mapping and/or the function as they are
 * from at_us on, i.e. the configuration before it with the update's keys
 * replaced.  A mapping change takes effect model.mapping_update_delay later.
 */
struct cfg_change {
    int64_t at_us;
    struct cfg_mapping *mapping;     /* NULL: the mapping is unchanged */
    struct cfg_function *function;   /* NULL: the function is unchanged */
};

/* A whole simulation (sim.h). */
struct cfg_sim {
    uint64_t seed;                 /* every random stream derives from it and a name */
    int64_t duration_us;           /* virtual time simulated */
    struct cfg_stream stream;
    struct cfg_producer *producers;
    size_t n_producers;
    struct cfg_record *records;    /* explicit records, in time order */
    size_t n_records;
    struct cfg_mapping mapping;
    struct cfg_function function;
    struct cfg_model model;
    struct cfg_change *schedule;   /* in time order */
    size_t n_schedule;
};

#endif
