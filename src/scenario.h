/*
 * scenario.h - a scenario file (SPEC section 2) as plain structs.
 *
 * The loader (scenario.c) is the only place that knows JSON: it validates
 * every key strictly and turns the file into these structs, with every
 * duration in microseconds and every size in bytes.  The simulation core reads
 * only these structs.  Defaults are filled in by the loader, so the core never
 * has to guess.
 */
#ifndef ESMSIM_SCENARIO_H
#define ESMSIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lambda_event.h"

/* A random quantity: a duration (in us) or a size (in bytes), by context. */
enum scn_dist_kind {
    SCN_DIST_CONSTANT,     /* value */
    SCN_DIST_UNIFORM,      /* min, max */
    SCN_DIST_NORMAL,       /* mean, stddev (truncated at min, default 0) */
    SCN_DIST_LOGNORMAL,    /* median, sigma */
    SCN_DIST_GAMMA,        /* shape, scale */
    SCN_DIST_EXPONENTIAL,  /* mean */
    SCN_DIST_EMPIRICAL,    /* percentile points, linear in between */
};

struct scn_dist {
    enum scn_dist_kind kind;
    double value;          /* constant */
    double min, max;       /* uniform bounds; min also floors normal draws */
    double mean, stddev;   /* normal; mean also for exponential */
    double median, sigma;  /* lognormal */
    double shape, scale;   /* gamma */
    size_t n_points;       /* empirical: points sorted by percentile */
    double *pct;           /* empirical: percentiles, 0..100, ascending */
    double *val;           /* empirical: value at each percentile, ascending */
};

enum scn_key_dist { SCN_KEYS_UNIFORM, SCN_KEYS_ZIPF };

/* Where partition keys come from: prefix + 0..count-1, or a fixed list. */
struct scn_keys {
    enum scn_key_dist distribution;
    double zipf_s;          /* zipf exponent (> 0) */
    uint32_t count;         /* generated keys, when list is NULL */
    char *prefix;           /* generated keys are prefix + decimal index */
    char **list;            /* fixed keys, or NULL */
    size_t n_list;
};

enum scn_retry_mode { SCN_RETRY_FAILED_ONLY, SCN_RETRY_ALL, SCN_RETRY_NONE };
enum scn_backoff { SCN_BACKOFF_CONSTANT, SCN_BACKOFF_LINEAR, SCN_BACKOFF_EXPONENTIAL };

struct scn_retry {
    enum scn_retry_mode mode;
    uint32_t max_attempts;  /* attempts in all, first one included (>= 1) */
    enum scn_backoff backoff;
    int64_t base_us;        /* constant: wait; linear: wait * attempt; exp: base * 2^(attempt-1) */
    int64_t max_us;         /* cap on one wait */
    bool jitter;            /* exponential only: full jitter, uniform in [0, wait] */
};

struct scn_burst {
    int64_t at_us, for_us;
    double multiplier;      /* rate multiplier while the burst lasts; 0 = off period */
};

enum scn_arrival { SCN_ARRIVAL_CONSTANT, SCN_ARRIVAL_POISSON };
enum scn_put_api { SCN_PUT_RECORDS, SCN_PUT_RECORD };

/* A piece of a rate series: `rate` records per second from at_us until the
 * next piece's at_us (the last one: until the producer stops). */
struct scn_rate_point {
    int64_t at_us;          /* virtual time since the run's start */
    double rate;            /* >= 0, finite */
};

struct scn_producer {
    char *name;
    double rate;            /* records per second, when series is NULL */
    struct scn_rate_point *series;  /* piecewise-constant rate instead of `rate`, or NULL:
                                       series[0].at_us is 0, at_us strictly increasing */
    size_t n_series;
    enum scn_arrival arrival;
    struct scn_keys keys;
    struct scn_dist record_bytes;  /* data bytes per record, >= 1 after rounding */
    enum scn_put_api api;
    uint32_t max_records;   /* records per PutRecords request (1..500) */
    int64_t linger_us;      /* flush a partial request after this long */
    struct scn_retry retry;
    int64_t start_us, stop_us;
    struct scn_burst *bursts;
    size_t n_bursts;
    double remove_share;    /* DynamoDB: chance that a write to an existing item deletes it */
};

/* An explicit record, written once with PutRecord at `at` (no retries); on
 * a DynamoDB table, one write of the item partition_key. */
struct scn_record {
    int64_t at_us;
    char *partition_key;
    char *data;             /* the record's data, as given (bytes = strlen) */
    bool has_event;         /* DynamoDB: event given; false: INSERT or MODIFY as the table says */
    enum lev_ddb_event event;   /* DynamoDB: the stream record's eventName, when has_event */
};

enum scn_consumer { SCN_CONSUMER_SHARED, SCN_CONSUMER_EFO };

enum scn_reshard_kind {
    SCN_RESHARD_SPLIT,     /* SplitShard */
    SCN_RESHARD_MERGE,     /* MergeShards */
    SCN_RESHARD_TARGET,    /* UpdateShardCount, UNIFORM_SCALING */
};

/* One resharding operation (SPEC 1.1), done by the stream at at_us.  Shard
 * ids are checked against the shards of that time by stm_check_reshard(). */
struct scn_reshard {
    int64_t at_us;
    enum scn_reshard_kind kind;
    char *shard;            /* SPLIT: ShardToSplit; MERGE: ShardToMerge (the child's parent) */
    char *adjacent;         /* MERGE: AdjacentShardToMerge (the child's adjacent parent) */
    char *hash_key;         /* SPLIT: NewStartingHashKey in decimal; NULL: the range's midpoint */
    uint32_t target;        /* TARGET: TargetShardCount, 1..10000 */
};

enum scn_stream_type { SCN_STREAM_KINESIS, SCN_STREAM_DYNAMODB };

/* Kinesis capacity modes (SPEC 1.1): the user's shards, or AWS's. */
enum scn_capacity_mode { SCN_CAPACITY_PROVISIONED, SCN_CAPACITY_ON_DEMAND };

/*
 * How an on-demand stream adds shards (ondemand.h), from the model.on_demand_*
 * keys: AWS's documented values, or a stated choice, by default.
 */
struct scn_on_demand {
    int64_t peak_window_s;          /* the previous peak: the highest second of this many (30 d) */
    int64_t scale_window_s;         /* a shard's sustained traffic: its mean over this many s (60) */
    int64_t scale_delay_us;         /* a split happens this long after it is decided (15 min) */
    double split_threshold;         /* sustained traffic over this share of a shard's limits splits it (0.5) */
    uint64_t max_write_bytes_per_sec;   /* the stream's maximum write throughput (200 MiB/s) ... */
    uint64_t max_write_records_per_sec; /* ... and records (200,000/s) */
};

/*
 * A Kinesis stream, or a DynamoDB table's stream (type "dynamodb", SPEC 1.2).
 * For DynamoDB the loader fills the Kinesis-only fields with what a table
 * does: retention 24 h, no write limits, one item of at most 400 KB a write,
 * no InternalFailure, shared reads, no reshard.
 */
struct scn_stream {
    enum scn_stream_type type;
    char *name;             /* Kinesis: the stream's name; DynamoDB: the table's */
    uint32_t shards;        /* 1..10000 (DynamoDB, ON_DEMAND: at the start) */
    int64_t retention_us;   /* 24h .. 8760h (DynamoDB: 24h) */
    enum scn_consumer consumer;
    uint32_t other_consumers;   /* other shared-throughput readers, 0..4 */
    uint64_t write_records_per_sec;  /* 1000; UINT64_MAX: no limit */
    uint64_t write_bytes_per_sec;    /* 1 MiB; UINT64_MAX: no limit */
    uint64_t max_record_bytes;       /* 1 MiB: data + key of one record (DynamoDB: of one item) */
    uint64_t max_request_bytes;      /* 5 MiB */
    uint32_t max_request_records;    /* 500 */
    double internal_failure_rate;    /* chance a PutRecords entry gets InternalFailure */
    struct scn_reshard *reshard;     /* in time order (equal times: file order); none on demand */
    size_t n_reshard;
    enum scn_capacity_mode capacity_mode;   /* Kinesis; DynamoDB: PROVISIONED (unused) */
    struct scn_on_demand on_demand;  /* ON_DEMAND: how shards are added */
    /* DynamoDB only: */
    enum lev_ddb_view view_type;     /* StreamViewType */
    int64_t shard_lifetime_us;       /* a shard rolls over this long after it opened (4 h) */
    int64_t rollover_until_us;       /* rollovers happen before this time: the run's duration */
};

enum scn_start { SCN_START_TRIM_HORIZON, SCN_START_LATEST, SCN_START_AT_TIMESTAMP };

struct scn_mapping {
    uint32_t batch_size;            /* 1..10000 */
    int64_t batching_window_us;     /* 0..300 s */
    uint32_t parallelization_factor;  /* 1..10 */
    int64_t max_retry_attempts;     /* -1 infinite, 0..10000 */
    int64_t max_record_age_us;      /* -1 infinite, 60..604800 s */
    bool bisect_on_error;
    bool report_batch_item_failures;
    enum scn_start starting_position;
    int64_t starting_timestamp_us;  /* AT_TIMESTAMP, virtual time */
    int64_t tumbling_window_us;     /* 0 = off */
    char *on_failure_destination;   /* ARN or NULL */
    bool enabled;
    char *function_arn;             /* from FunctionArn, or made from function.name */
    char *event_source_arn;         /* from EventSourceArn, or made from stream.name */
};

/* Pacing that AWS does not document: chosen, documented in the README. */
struct scn_model {
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

enum scn_match_kind {
    SCN_MATCH_KEY,           /* partition_key equals */
    SCN_MATCH_DATA_CONTAINS, /* explicit record data contains a marker */
    SCN_MATCH_MESSAGE_ID,    /* message id equals */
    SCN_MATCH_PROBABILITY,   /* each record fails with this chance */
    SCN_MATCH_INTERVAL,      /* invocations starting in [from, to) */
    SCN_MATCH_ALL,           /* every record */
};

enum scn_effect { SCN_EFFECT_FAIL, SCN_EFFECT_SLOW };

struct scn_failure {
    enum scn_match_kind match;
    char *text;              /* key or marker */
    uint64_t message_id;
    double probability;
    int64_t from_us, to_us;
    enum scn_effect effect;
    struct scn_dist extra;   /* SLOW: extra duration per matching record */
};

enum scn_report {
    SCN_REPORT_THROW,
    SCN_REPORT_FIRST_FAILURE,
    SCN_REPORT_ALL_FAILURES,          /* Powertools: throws when every record failed */
    SCN_REPORT_ALL_FAILURES_NO_RAISE, /* the same with raise_on_entire_batch_failure off */
    SCN_REPORT_EMPTY_IDENTIFIER,
    SCN_REPORT_WRONG_KEY,
    SCN_REPORT_WRONG_LIST_KEY,
    SCN_REPORT_UNKNOWN_SEQUENCE,
};

/*
 * function.handler (SPEC section 4): a real program answers the invocations
 * instead of the model's failure rules and report style.  Relative paths are
 * the program's business, from cwd; cwd itself, when relative or absent, is
 * taken from the scenario file's folder, so that a scenario committed beside
 * its handler runs from anywhere.
 */
struct scn_handler {
    char **command;           /* argv, NULL-terminated, at least one word */
    uint32_t instances;       /* execution environments (processes) at most, 1..256 */
    char **env;               /* "NAME=value" entries, NULL-terminated (maybe empty) */
    char *cwd;                /* the working directory, resolved as above */
    int64_t wall_timeout_us;  /* wall time an answer may take; 0: 5 x the function timeout */
    bool measured;            /* "duration": "measured": durations are the handler's wall
                                 time (the run is not reproducible) */
};

struct scn_function {
    char *name;
    int64_t timeout_us;            /* 1 s .. 900 s */
    int64_t reserved_concurrency;  /* -1 = unreserved (account limit), else 0.. */
    uint32_t account_concurrency;  /* limit when unreserved (1000) */
    uint32_t memory_mb;            /* MemorySize, 128..10240 MB: only the cost in GB-seconds
                                      (sweep); durations come from the model alone */
    struct scn_dist per_invoke;    /* us */
    struct scn_dist per_record;    /* us */
    struct scn_dist cold_start;    /* us, added when a new environment starts */
    int64_t idle_timeout_us;       /* an idle environment is reclaimed after this */
    struct scn_failure *failures;
    size_t n_failures;
    enum scn_report report;
    bool returns_state;            /* with tumbling windows, the response has `state` (R15) */
    struct scn_handler *handler;   /* a real program decides the outcomes; NULL: the model */
};

/*
 * One scheduled change (R16): the mapping and/or the function as they are
 * from at_us on, i.e. the configuration before it with the update's keys
 * replaced.  A mapping change takes effect model.mapping_update_delay later.
 */
struct scn_change {
    int64_t at_us;
    struct scn_mapping *mapping;     /* NULL: the mapping is unchanged */
    struct scn_function *function;   /* NULL: the function is unchanged */
};

/* One line of the `expect` block: min <= metric <= max (equal: exact). */
struct scn_expect {
    char *metric;           /* one of summary_names() */
    double min, max;
};

struct scenario {
    char *path;             /* file it came from */
    char *name;
    char *description;
    uint64_t seed;
    int64_t duration_us;
    struct scn_stream stream;
    struct scn_producer *producers;
    size_t n_producers;
    struct scn_record *records;
    size_t n_records;
    struct scn_mapping mapping;
    struct scn_function function;
    struct scn_model model;
    bool per_record_tables; /* log.per_record: messages, records, deliveries */
    struct scn_expect *expect;
    size_t n_expect;
    struct scn_change *schedule;   /* in time order */
    size_t n_schedule;
    char *json;             /* the effective scenario (overrides applied), compact */
};

/*
 * Load and validate path, applying each "path=value" override in order.
 * Returns a scenario the caller frees with scn_free(), or NULL with a message
 * in err naming the file, the JSON path and what was expected.
 */
struct scenario *scn_load(const char *path, const char *const *overrides,
                          size_t n_overrides, char *err, size_t errlen);

/* Same from a JSON text (tests); name is used in messages as the file. */
struct scenario *scn_parse(const char *name, const char *text,
                           const char *const *overrides, size_t n_overrides,
                           char *err, size_t errlen);

/* Same from a file's bytes text[0..len), text[len] being '\0': a NUL byte
 * inside is invalid JSON, as scn_load says of a file (the fuzz target of
 * tests/fuzz loads its inputs with this). */
struct scenario *scn_parse_bytes(const char *name, const char *text, size_t len,
                                 const char *const *overrides, size_t n_overrides,
                                 char *err, size_t errlen);

void scn_free(struct scenario *s);

/*
 * For other readers of JSON files (esmsim import): the text of path as the
 * loader reads a scenario (a regular file or a pipe of at most 64 MiB, NUL
 * terminated, its length in *len), malloc'd, or NULL with "PATH: cannot
 * read: ..." in err; and the loader's message for the text of len bytes that
 * cJSON could not parse, stopping at at: "FILE: invalid JSON at line 3,
 * column 14 (near ...)", or "(a NUL byte)" where the text holds one.
 */
/* An ISO-8601 UTC instant with a zone ("2026-01-01T00:10:00Z",
 * "...00.525+00:00": what the AWS CLI v2 prints) as epoch us, as the loader
 * reads model.start_time; false when text is not one. */
bool scn_parse_time(const char *text, int64_t *epoch_us);
char *scn_read_text(const char *path, size_t *len, char *err, size_t errlen);
void scn_json_error(const char *file, const char *text, size_t len, const char *at,
                    char *err, size_t errlen);

/*
 * Parse a duration: a number of seconds (text "1.5") or a number with a unit
 * ms, s, m, h, d ("250ms", "90s", "15m", "2h", "1d").  Returns 0 and the
 * value in us, or -1 when text is not a duration.
 */
int scn_parse_duration(const char *text, int64_t *out_us);

#endif
