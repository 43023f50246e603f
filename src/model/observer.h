/*
 * observer.h - one observer that computes every figure of a run once, from
 * the model's log events (simlog.h): the run's summary, `expect`, `report`
 * and the run log's summary tables (issue 13 item 3).  R17 fates, consumer
 * and producer duplicates, per-key order (R10, R12, SPEC 1.3) with examples,
 * R6 discards, retention, R14 IteratorAge percentiles per shard, R9
 * throttles, checkpoints, R1 read delay.  Each figure has the definition of the README's
 * `report` section, the one report.c's SQL (`report --recompute`) computes
 * over the per-record tables; a test keeps the two equal on every bundled
 * scenario.
 *
 * It is a tee: a sink that updates its figures and forwards every event to
 * the next sink.  It sees every record even when the run log keeps none
 * (--no-record-tables), so those runs have every figure too.  Its memory
 * follows what is in flight (records not yet checkpointed, messages without
 * a final fate, invocations not yet complete) and the keys and shards, never
 * the records simulated.
 *
 * It reads nothing of the core but its events (a record carries its
 * message's creation time, a message event its fate), so that it may run on
 * a thread of its own behind a relay (simlog.h): sim.c calls obs_sink's
 * sink from that thread, and the rest of this interface from its own.
 *
 * Files: observer_tee.c (obs_create, the tee), observer_figures.c (rows,
 * metrics, obs_finish), observer_deliveries.c, observer_held.c (what is
 * held until let go), observer_index.c (shards, keys), observer_counts.c,
 * observer_points.c; the state they share, struct obs, in observer_int.h.
 */
#ifndef ESMSIM_OBSERVER_H
#define ESMSIM_OBSERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "simlog.h"
#include "syncnotes.h"

struct keytab;
struct obs;

#define OBS_EXAMPLES 5          /* ordering violations kept, of each kind */
/* What the observer holds per record not yet let go, per message in
 * flight, and per partition key (the run's memory estimate counts them,
 * footprint.c). */
#define OBS_RECORD_BYTES 48
#define OBS_MESSAGE_BYTES 1
#define OBS_KEY_BYTES 64
#define OBS_DISCARDS_LISTED 10  /* OnFailure messages kept, the first ones */
#define OBS_BYTES_LAG SYNC_NOTES_LAG   /* sync points obs_bytes_at keeps, the last ones */

/* An IteratorAge distribution (ms): nearest-rank percentiles, the
 * ceil(p * n / 100)-th smallest; count 0: no value (the others 0). */
struct obs_age {
    uint64_t count;
    int64_t p50, p90, p99, max;
};

/*
 * An ordering violation: the record (or message) first delivered late, and
 * the later one of its key first delivered before it.  time_ms: arrival by
 * sequence, creation by producer order.  has_first false: its first delivery
 * was by an invocation still in flight at the end of the run.
 */
struct obs_side {
    uint64_t message_id, sequence_number;
    int64_t time_ms;
    bool has_first;
    int64_t first_delivered_ms;
};
struct obs_example {
    const char *partition_key;  /* owned by the observer */
    struct obs_side late, after;
};

struct obs_discard {
    int64_t at_ms;
    const char *shard_id;       /* owned by the observer */
    enum discard_condition condition;
    uint64_t start_sequence_number, end_sequence_number;
    uint32_t record_count, approximate_invoke_count;
    const char *destination;    /* owned by the observer; NULL: dropped */
};

struct obs_shard {
    const char *shard_id;       /* owned by the observer */
    bool has_row;               /* a shard event came (else the rest of the row is unknown) */
    const char *parent_shard_id, *adjacent_parent_shard_id;   /* NULL when none */
    int64_t opened_ms;
    bool has_closed;
    int64_t closed_ms;
    uint64_t invocations, throttled;
    struct obs_age age;
    bool has_oldest;            /* an oldest_unprocessed_age_ms sample came */
    int64_t oldest_unprocessed_age_max_ms;
};

/* A point of a chart's series (`plot`): per minute of the run, the minute
 * [m * 60000, (m + 1) * 60000) ms, as a 60 s CloudWatch period. */
enum obs_chart {
    OBS_CHART_AGE,          /* IteratorAge max per minute of the completion (R14) */
    OBS_CHART_AGE_SEND,     /* the age at the send, per minute of the start */
    OBS_CHART_OLDEST,       /* oldest_unprocessed_age_ms samples, max per minute */
    OBS_CHART_CONCURRENCY,  /* concurrent_executions samples: series max and mean */
    OBS_CHART_THROUGHPUT,   /* records written, delivered, in successes: series written,
                               delivered (at the start), succeeded (at the end) */
    OBS_CHART_DISCARDS,     /* OnFailure messages per minute (R6) */
    OBS_CHART_EXPIRIES,     /* checkpoints past expired records per minute */
    OBS_CHART_COUNT
};
const char *obs_chart_name(enum obs_chart c);

struct obs_point {           /* 32 bytes: a day of the bench's 16 shards makes 82,080 */
    enum obs_chart chart;
    bool integer;           /* a count or whole ms (else a sample's value, or a mean) */
    const char *series;     /* a shard id, "all", "max", "mean", "written"...: the observer's */
    int64_t minute;
    double value;
};

/* A span of virtual time, [from_us, to_us). */
struct obs_span {
    int64_t from_us, to_us;
};

struct obs_figures {
    uint64_t messages[FATE_COUNT];          /* messages by final fate (R17) */
    uint64_t invocations[OUTCOME_COUNT];
    uint64_t deliveries;                    /* records given to the function */
    uint64_t oversized;                     /* invocations refused: over 6 MB (R2) */
    bool has_concurrency;
    int64_t concurrency_max;                /* peak of the concurrent_executions samples */
    uint64_t redelivered_records, redeliveries, reprocessed_records;
    uint64_t producer_duplicates, producer_duplicate_records;
    uint64_t order_by_sequence, order_by_producer;
    size_t n_sequence_examples, n_producer_examples;
    struct obs_example sequence_examples[OBS_EXAMPLES], producer_examples[OBS_EXAMPLES];
    /* Records lost to retention, bounded as the message fates allow: at
     * least expired_messages, at most expired_records_max. */
    uint64_t expired_messages, expired_records_max;
    uint64_t discard_messages[2], discard_records[2];   /* by enum discard_condition */
    size_t n_discards_listed;
    struct obs_discard discards_listed[OBS_DISCARDS_LISTED];
    uint64_t checkpoints[CKPT_COUNT];
    size_t n_shards;
    struct obs_shard *shards;               /* in shard_id order (strcmp) */
    struct obs_age age;                     /* every shard's together */
    /* plot's series, in chart, series name (strcmp), minute order */
    size_t n_points;
    struct obs_point *points;
    size_t n_reshards;
    int64_t *reshard_ms;                    /* when children opened (R12), distinct, ascending */
    /* R16: where the mapping was disabled; where the function as the schedule
     * left it failed every record (a fail rule from/to, all, probability 1);
     * in the order they were found, maybe overlapping */
    size_t n_disabled, n_failing;
    struct obs_span *disabled, *failing;
    /* The mapping's reads (R1, simlog.h): GetRecords calls throttled by the
     * shard's read limits (R9); the records read and their propagation
     * delay, from arrival to read, mean and maximum (0 without records) */
    uint64_t read_throttles, records_read;
    double read_delay_mean_ms, read_delay_max_ms;
};

/*
 * An observer forwarding to next (copied).  expiry_before_ms: only records
 * that arrived before it can have expired (the end of the run less the
 * retention period, + 1 ms), for the bounds of the retention figure.  NULL
 * when out of memory.
 */
struct obs *obs_create(const struct slog *next, int64_t expiry_before_ms);
void obs_destroy(struct obs *o);

/* The run's key table, where an example's key id gives its name (the
 * records' key_id), borrowed until obs_finish, which alone reads it. */
void obs_set_keys(struct obs *o, const struct keytab *keys);

/* Room for n keys' state up to a cap, made once: n is a hint (the key
 * spaces of the config), more keys still fit.  Before the first event. */
void obs_reserve_keys(struct obs *o, size_t n);

/* The sink to give the simulation: the observer's, forwarding to next.  A
 * shard id it is given must keep its content for the run: after the first
 * time it knows the shard by the string's address (the core's are the
 * stream's, stream.c). */
struct slog obs_sink(struct obs *o);

/* What the model tells apart from its log events (sim.c): at at_us the
 * mapping's Enabled became enabled (R16; at 0 its first value); the
 * function's config became fn (borrowed until the next call or the end). */
struct cfg_function;
void obs_mapping_enabled(struct obs *o, int64_t at_us, bool enabled);
void obs_function(struct obs *o, int64_t at_us, const struct cfg_function *fn);

/* Where fn, in effect over [from_us, to_us), fails every record: a span of
 * each fail rule of an interval, of every record, or of probability 1, into
 * out (room for fn->n_failures); how many (some may be empty). */
size_t obs_failing_spans(const struct cfg_function *fn, int64_t from_us, int64_t to_us,
                         struct obs_span *out);

/* The run ended at end_us (after sim's own end, which logs what was still in
 * flight): settle what is held and sort.  Out of memory on the way is
 * latched. */
void obs_finish(struct obs *o, int64_t end_us);

/* The figures; complete after obs_finish. */
const struct obs_figures *obs_figures(const struct obs *o);

/* What the observer holds now: records not yet let go, messages with a
 * record not yet let go or, written twice or more, not yet settled (its
 * memory follows these, and a byte per message id in flight,
 * tests/test_observer.c).  Each a pass over the shards or the message ids
 * in flight: for tests. */
size_t obs_records_held(const struct obs *o);
size_t obs_messages_held(const struct obs *o);
/* The bytes its tables of records, messages and invocations in flight take
 * now. */
uint64_t obs_bytes(const struct obs *o);
/* The bytes plot's points take now: a cell of 24 bytes a minute a series
 * from its first point to its last, in arrays that double (issue 15: what
 * grows with the simulated duration); 0 once obs_finish made the rows. */
size_t obs_points_bytes(const struct obs *o);

/* obs_bytes() as it was at the sync-th sync point it was given (from 0),
 * into *bytes; false when that sync point has not reached it yet.  For the
 * run's memory budget (sim.c), from the simulation's thread while the
 * observer's may run: sync is at least the sync points made less
 * OBS_BYTES_LAG, whose figures are kept. */
bool obs_bytes_at(struct obs *o, uint64_t sync, uint64_t *bytes);

/* True when the observer ran out of memory: its figures are not whole. */
bool obs_failed(const struct obs *o);

#endif
