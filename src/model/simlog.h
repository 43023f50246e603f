/*
 * simlog.h - what the simulation tells the outside world (SPEC section 3).
 *
 * The core reports every event through this table of callbacks and never
 * sees SQLite.  Times are virtual microseconds here; the run log turns them
 * into the milliseconds of the contract.  A sink that fails (disk full) keeps
 * its error and answers true to failed(); the simulation checks it and stops,
 * so a callback never needs a return code on the hot path.
 */
#ifndef ESMSIM_SIMLOG_H
#define ESMSIM_SIMLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lev_source;
struct msgtab;
struct rsp_response;

/* Fates of a produced message (R17), in order of precedence: when a message
 * became several stream records, its fate is the best of theirs. */
enum fate {
    FATE_PROCESSED = 0,
    FATE_PENDING,
    FATE_LOST,
    FATE_DISCARDED,
    FATE_EXPIRED,
    FATE_MISSED,
    FATE_REJECTED,
    FATE_COUNT
};
const char *fate_name(enum fate f);

enum outcome {
    OUTCOME_SUCCESS = 0,
    OUTCOME_PARTIAL,
    OUTCOME_ERROR,
    OUTCOME_TIMEOUT,
    OUTCOME_THROTTLED,
    OUTCOME_COUNT
};
const char *outcome_name(enum outcome o);

enum ckpt_reason {
    CKPT_SUCCESS = 0,
    CKPT_PARTIAL,
    CKPT_DISCARDED,
    CKPT_EXPIRED,
    CKPT_SHARD_END,
    CKPT_STARTING_POSITION,  /* LATEST / AT_TIMESTAMP skipping older records */
    CKPT_COUNT
};
const char *ckpt_reason_name(enum ckpt_reason r);

/* The function's execution role, the invokeIdentityArn of Kinesis events:
 * arn:aws:iam::ACCOUNT:role/FUNCTION-role.  The caller frees it; NULL when
 * out of memory. */
char *role_arn_make(const char *account, const char *function_name);

struct slog_shard {
    const char *shard_id;
    const char *parent_shard_id;           /* NULL when none */
    const char *adjacent_parent_shard_id;  /* NULL when none */
    const char *starting_hash_key;         /* decimal */
    const char *ending_hash_key;           /* decimal */
    int64_t opened_us;
    int64_t closed_us;                     /* -1 while open */
};

/* key_id (messages and records): the partition key's dense id in this run,
 * from 0, the same for the same key, so that a sink may index its own arrays
 * by it instead of hashing the name on every row. */
struct slog_message {
    uint64_t message_id;
    const char *producer;      /* keeps its content for the run (see slog_ops) */
    const char *partition_key;
    uint32_t key_id;
    int64_t created_us;
    uint32_t bytes;
    enum fate fate;
};

struct slog_record {
    const char *shard_id;
    uint64_t sequence_number;
    uint64_t message_id;
    const char *partition_key;
    int64_t arrival_us;
    int64_t created_us;   /* its message's creation, carried by the PutRecords entry
                             (stm_put_entry), so that the observer never reads the
                             message table (it may run on another thread) */
    uint32_t key_id;
    uint32_t bytes;
};

/* Records in one call (slog_ops.records): what they share, a PutRecords
 * request's arrival and consecutive sequence numbers, given once, and each
 * one's own in a row of 32 bytes, half a struct slog_record (issue 15: the
 * rows are written by the simulation's thread into a relay's chunk, read by
 * the observer's; 64 bytes a record cost put_request 27% of its samples). */
struct slog_run {
    uint64_t first_sequence_number;   /* rows[i]'s is first_sequence_number + i */
    int64_t arrival_us;               /* every row's */
};

struct slog_row {
    const char *shard_id;
    uint64_t message_id;
    int64_t created_us;
    uint32_t key_id;
    uint32_t bytes;
};

/* Record i of run run, rows[i] = *row, as one call of record gives it
 * (without its key's name: runs are for a log with no_key_names). */
static inline struct slog_record slog_record_of(const struct slog_run *run,
                                                const struct slog_row *row, uint32_t i)
{
    return (struct slog_record){
        .shard_id = row->shard_id, .sequence_number = run->first_sequence_number + i,
        .message_id = row->message_id, .arrival_us = run->arrival_us,
        .created_us = row->created_us, .key_id = row->key_id, .bytes = row->bytes,
    };
}

struct slog_invocation {
    uint64_t invocation_id;
    const char *shard_id;
    uint32_t lane;
    int64_t start_us, end_us;
    uint32_t record_count;
    uint64_t payload_bytes;        /* size of the event JSON */
    uint64_t first_sequence_number, last_sequence_number;
    uint32_t attempt;              /* 1 for the first try of these records */
    enum outcome outcome;
    int64_t iterator_age_us;       /* R14: end - arrival of the last record; -1 when not
                                      emitted (throttled, a final window call) */
    int64_t iterator_age_at_send_us;  /* AWS's other definition: start - arrival of the
                                         last record; -1 where iterator_age_us is */
    bool cold_start;
    const char *error;             /* function error text, NULL on success */
};

/* A tumbling window closed by its final invocation (R15): what the function
 * aggregated, a count of handled records per key. */
struct slog_window {
    const char *shard_id;
    uint32_t lane;
    int64_t start_us, end_us;       /* the window's bounds, virtual */
    uint64_t final_invocation_id;
    bool terminated_early;          /* the state passed 1 MB */
    uint64_t records;               /* records counted in the state */
    uint64_t state_bytes;           /* size of the state's JSON */
    uint32_t n_keys;
    const char *const *keys;        /* n_keys partition keys, first counted first */
    const uint64_t *counts;         /* their counts */
    const char *state_json;         /* a real handler's state as it returned it (then no
                                       keys); NULL: the model's counts above */
};

enum discard_condition { DISCARD_RETRIES_EXHAUSTED, DISCARD_RECORD_AGE };

/* The service whose stream a batch came from: it names the batch's object in
 * the OnFailure record (KinesisBatchInfo or DDBStreamBatchInfo). */
enum slog_source_type { SLOG_SOURCE_KINESIS = 0, SLOG_SOURCE_DYNAMODB };

/* An OnFailure message: discarded records, everything the invocation record
 * sent to the destination holds (R6); several sets of one bisected batch
 * may make one message (R8). */
struct slog_discard {
    int64_t at_us;                 /* when its (last) records were discarded */
    const char *shard_id;
    enum discard_condition condition;
    uint64_t start_sequence_number, end_sequence_number;
    uint32_t record_count;
    int64_t first_arrival_us, last_arrival_us;
    uint64_t invocation_id;        /* the lane's last invocation when discarded: of the
                                      (last) set, or before it when never invoked */
    uint64_t request_id[2];        /* 128 random bits, the message's own requestId */
    uint32_t approximate_invoke_count;   /* invocations that delivered the records, >= 1 */
    bool has_response;             /* false for RecordAgeExceeded */
    uint16_t status_code;          /* has_response: the Invoke call's HTTP status,
                                      200, or 413 for an event over 6 MB */
    const char *function_error;    /* "Unhandled", or NULL (JSON null) */
    const char *destination;       /* OnFailure ARN, or NULL: dropped */
    const char *function_arn;
    const char *stream_arn;
    int64_t epoch_ms;              /* wall time of virtual 0 */
    enum slog_source_type source_type;  /* 0: Kinesis */
};

/* One record of an invocation's event, as the Lambda event shows it. */
struct slog_event_record {
    const char *partition_key;
    uint64_t sequence_number;
    const unsigned char *data;  /* the record's bytes; NULL: synthetic, data_len filler bytes */
    uint32_t data_len;          /* bytes before base64 (DynamoDB: the item's payload) */
    int64_t arrival_us;         /* virtual arrival time, >= 0 */
    uint8_t ddb_event;          /* DynamoDB: eventName, enum lev_ddb_event */
};

/* What a windowed event adds to its records (R15): the window, and the
 * state the invocation was given. */
struct slog_event_window {
    int64_t start_us, end_us;
    uint32_t n_keys;
    const char *const *keys;       /* the state: n_keys partition keys ... */
    const uint64_t *counts;        /* ... and their counts */
    const char *state_json;        /* or a real handler's state, its JSON text as it
                                      returned it (then no keys) */
    bool final, terminated_early;  /* isFinalInvokeForWindow, isWindowTerminatedEarly */
};

/* An invocation's event and what the function answered (--dump-events). */
struct slog_event {
    const struct slog_invocation *inv;
    const struct lev_source *source;      /* the shard's part of every record */
    const struct slog_event_record *records;
    uint32_t n_records;
    const struct rsp_response *response;  /* NULL when the function threw or timed out */
    int64_t timeout_us;                   /* the function's timeout, for the error text */
    const struct slog_event_window *window;   /* NULL: no tumbling window */
    const struct slog_event_window *returned; /* with a window, the state the model's function
                                                 returned (its n_keys, keys and counts alone);
                                                 NULL: none, or a real handler's answer */
    enum slog_source_type source_type;    /* the shape of the records */
    const char *answer;                   /* a real handler's answer as it posted it (its
                                             response, or its error document), answer_len
                                             bytes; NULL: the model's (response above) */
    size_t answer_len;
};

/* One line of what a real handler printed for an invocation, or of the lines
 * Lambda writes around it (SPEC section 4): the run log's `logs` table. */
struct slog_line {
    uint64_t invocation_id;
    const char *request_id;
    uint32_t line;             /* its place among the invocation's lines, from 0 */
    int64_t at_us;             /* virtual: the invocation's start, or its end for the
                                  lines written when it ended */
    const char *kind;          /* "init", "start", "output", "error", "end", "report" */
    const char *text;          /* without its newline */
};

/* A read of a shard's records by the mapping (R1): one GetRecords call,
 * made (maybe empty) or throttled by the shard's read limits (R9), or the
 * records an enhanced fan-out push brought.  records: those it dealt to
 * its lanes (AT_TIMESTAMP's skipped ones are not, R13); their propagation
 * delays, arrival to at_us, summed and the greatest (0 without records). */
struct slog_read {
    const char *shard_id;
    int64_t at_us;
    bool throttled;            /* nothing read */
    uint32_t records;
    double delay_sum_us;       /* a double, as the run's sum of them */
    int64_t delay_max_us;
};

/* A shard id (every call's shard_id), a producer's name and a message's or
 * record's partition_key keep their content for the whole run (the
 * stream's, the scenario's and the key table's strings): a sink may keep
 * the pointer, or pass it on (logthread.c does, observer_index.c knows a shard
 * by it); any other string lasts for the call only. */
struct slog_ops {
    void (*shard)(void *ctx, const struct slog_shard *s);   /* at open and at close */
    void (*message)(void *ctx, const struct slog_message *m);  /* once, fate final */
    /* Optional (NULL: message is called for each): n > 0 messages whose
     * fate f is final, ids[i] the i-th, as n calls of message would give
     * them to a sink that reads of a message its id and fate alone: called
     * only when the sink says so (fates_only).  The message table's
     * records done, a set at a time (issue 15: a call a message cost the
     * observer 26 instructions a message).  The array lasts for the call
     * only. */
    void (*fates)(void *ctx, const uint64_t *ids, uint32_t n, enum fate f);
    void (*record)(void *ctx, const struct slog_record *r);
    /* Optional (NULL: record is called for each, slog_record_of): n > 0
     * records of run, in order, as n calls of record would give them (the
     * stream's accepted records of a PutRecords request, a run of them at a
     * time: one indirect call instead of n, issue 15).  Called only by a
     * log with no_key_names (a row has no key's name).  The arrays last for
     * the call only. */
    void (*records)(void *ctx, const struct slog_run *run, const struct slog_row *rows,
                    uint32_t n);
    /* Optional (NULL: nothing lent): room for rows in the sink's own memory,
     * *n of them (set here, > 0), for the caller to write the rows of its
     * next call of records in place, that call's run then *run and its rows
     * the room's start (the relay's chunk: the rows are not copied, issue
     * 15); NULL when none.  The room holds until the sink's next call,
     * which is records or any other (then the rows written in it are
     * lost). */
    struct slog_row *(*lend)(void *ctx, const struct slog_run *run, uint32_t *n);
    void (*invocation)(void *ctx, const struct slog_invocation *inv);
    /* Records given to an invocation, n > 0 of them, in the invocation's
     * order; handled: the function handled each of them (its side effects
     * happened), whatever the invocation's outcome.  An invocation's records
     * come in one call per run of the same handled flag (a call per run,
     * not per record: the relay copies the array once); the array lasts for
     * the call only. */
    void (*deliveries)(void *ctx, uint64_t invocation_id, const char *shard_id,
                       const uint64_t *sequence_numbers, uint32_t n, bool handled);
    /* Optional (NULL: deliveries is called): n > 0 records given to an
     * invocation and all handled that are every record of shard_id from
     * sequence number first to last (a set walked whole in the shard's
     * order), as a call of deliveries with their sequence numbers would
     * give them: the numbers are neither gathered nor copied (issue 15). */
    void (*delivery_run)(void *ctx, uint64_t invocation_id, const char *shard_id,
                         uint64_t first, uint64_t last, uint32_t n);
    void (*checkpoint)(void *ctx, const char *shard_id, int64_t at_us,
                       uint64_t sequence_number, enum ckpt_reason reason);
    void (*discard)(void *ctx, const struct slog_discard *d);
    void (*metric)(void *ctx, int64_t at_us, const char *name,
                   const char *shard_id /* NULL: stream-wide */, double value);
    /* Optional (NULL: not wanted): a tumbling window's final state (R15). */
    void (*window)(void *ctx, const struct slog_window *w);
    /* Optional (NULL: not wanted): a line of a real handler's log.  Written by
     * the edge that runs the handler (realfn.c), never by the core. */
    void (*log_line)(void *ctx, const struct slog_line *l);
    /* Optional (NULL: not wanted): called between two events, every few
     * events, with the virtual time reached (every event before it has run
     * and given its rows).  A sink that commits does so only here, so that
     * what it has committed is always whole events. */
    void (*sync)(void *ctx, int64_t reached_us);
    /* Optional (NULL: not wanted): a read of a shard (R1).  The observer
     * computes the read delay and the GetRecords throttles from it; the run
     * log keeps no row of it (its figures are in the summary tables). */
    void (*read)(void *ctx, const struct slog_read *rd);
    /* Optional (NULL: not wanted): a hint from a relay, which sees calls
     * before it makes them: a message or record of key key_id comes a few
     * calls later.  The sink may fetch what it will read for it into the
     * cache; nothing it writes may change. */
    void (*key_ahead)(void *ctx, uint32_t key_id);
    /* Optional (NULL: not wanted): from a relay whose thread has made every
     * call queued and waits for more.  The sink may do now what it would do
     * at a later sync or at the run's end anyway; nothing it writes may
     * change. */
    void (*idle)(void *ctx);
    bool (*failed)(void *ctx);
};

/* n > 0 records of run to a sink: one call of records, or n of record
 * when it has none. */
static inline void slog_records(const struct slog_ops *ops, void *ctx, const struct slog_run *run,
                                const struct slog_row *rows, uint32_t n)
{
    if (ops->records) {
        ops->records(ctx, run, rows, n);
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        struct slog_record r = slog_record_of(run, &rows[i], i);
        ops->record(ctx, &r);
    }
}

/* n > 0 messages' fates f to a sink that reads their ids and fates alone
 * (fates_only): one call of fates, or n of message when it has none. */
static inline void slog_fates(const struct slog_ops *ops, void *ctx, const uint64_t *ids,
                              uint32_t n, enum fate f)
{
    if (ops->fates) {
        ops->fates(ctx, ids, n, f);
        return;
    }
    struct slog_message m = { .fate = f };
    for (uint32_t i = 0; i < n; i++) {
        m.message_id = ids[i];
        ops->message(ctx, &m);
    }
}

/* Optional: a sink that wants every invocation's event sets this; the
 * mapping builds the records only then. */
typedef void (*slog_event_fn)(void *ctx, const struct slog_event *ev);

/* The sink the core writes to.  per_record false: message, record and
 * deliveries are never called (huge runs). */
struct slog {
    const struct slog_ops *ops;
    void *ctx;
    bool per_record;
    /* true: the sink names keys by key_id alone, so the partition_key of
     * messages and records is NULL (looking each one up costs the core a
     * cache miss a record over many keys). */
    bool no_key_names;
    /* true: of a message the sink reads message_id and fate alone, so the
     * message table keeps nothing else (the observer when what follows it
     * takes no per-record rows: 8 bytes a message instead of 32). */
    bool fates_only;
    slog_event_fn event;      /* NULL: events are not wanted */
    void *event_ctx;
};

/*
 * A relay carries the simulation's calls to a sink on another thread
 * (logthread.c, `--threads`), in the order they were made, so the sink sees
 * exactly the calls it would have seen (sim.c puts the observer behind one).
 */
struct slog_relay {
    void *ctx;
    /* A sink whose calls reach inner, into *out; false when it cannot (no
     * thread could start): then the caller uses inner directly. */
    bool (*attach)(void *ctx, const struct slog *inner, struct slog *out);
    /* Once attached: the message table's calls too (msgtab.h, msg_relay),
     * in order with the sink's, t's own log being inner; false when out of
     * memory (t as it was).  detach gives them back (msg_unrelay after it). */
    bool (*attach_msgs)(void *ctx, struct msgtab *t);
    /* Bring the calls made closer to inner: return once some that had not
     * reached it have (at once when all have); called until the one awaited
     * has. */
    void (*flush)(void *ctx);
    /* Every call made has reached inner, and inner is the caller's again
     * (the thread joined); idempotent. */
    void (*detach)(void *ctx);
};

#endif
