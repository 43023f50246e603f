/*
 * runlog.c - the SQLite run log of SPEC section 3: one row per shard,
 * message, record, invocation, delivery, checkpoint, discard (with the R6
 * invocation record) and metric sample, every row tagged with its run_id.
 *
 * The schema is a table: each entry gives a table's columns and the insert
 * statement that fills it, and every callback of the sink reduces its event
 * to a short array of values for one bind-and-step helper.  Speed comes from
 * prepared statements reused for the whole run and large transactions;
 * indexes are built once at the end of a complete run, not maintained row by
 * row.
 *
 * Commits happen only at the simulation's sync points, between two events,
 * together with runs.end_ms (the virtual time reached): a process killed at
 * any moment leaves whole events up to end_ms, every table alike.  One is
 * due after RUNLOG_ROWS_PER_COMMIT rows (speed, and a bounded WAL) or
 * RUNLOG_COMMIT_MS of wall time (so that a run writing few rows does not
 * hold the write lock for minutes against another process appending to the
 * file).
 *
 * Times are stored as integer milliseconds of virtual time, sequence
 * numbers and ids as INTEGER (64-bit signed: values from 2^63 up would read
 * back negative; the stream never makes them).
 */
#include "runlog.h"

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "awsjson.h"
#include "errmsg.h"
#include "nameids.h"
#include "observer.h"
#include "prefetch.h"
#include "scenario.h"

#ifndef ESMSIM_VERSION
#define ESMSIM_VERSION "unknown"
#endif

enum runlog_table {
    RL_SHARDS, RL_SHARD_NAMES, RL_KEY_NAMES, RL_PRODUCER_NAMES, RL_MESSAGES, RL_RECORDS,
    RL_INVOCATIONS, RL_DELIVERIES, RL_CHECKPOINTS, RL_DISCARDS, RL_METRICS, RL_WINDOWS, RL_LOGS,
    RL_SUMMARY_FIGURES, RL_SUMMARY_SHARDS, RL_SUMMARY_EXAMPLES, RL_SUMMARY_DISCARDS,
    RL_SUMMARY_SERIES, RL_TABLE_COUNT
};

/* A lookup table: a name stored once per run, and its id (nameids.c: 1, 2,
 * ... in the order first seen); UNIQUE finds the id of a name (the views'
 * triggers, trace --key). */
#define RUNLOG_NAMES(no, name) \
    no " INTEGER NOT NULL, " name " TEXT, PRIMARY KEY (run_id, " no "), UNIQUE (run_id, " name ")"

/*
 * The per-run tables.  columns is the body of CREATE TABLE after run_id;
 * insert names the same columns in the order the sink binds them (run_id
 * always first); rowless: WITHOUT ROWID, the rows stored in the order of
 * their primary key.  runs, written once per run, is handled apart.
 *
 * The per-record rows (messages, records, deliveries: SPEC section 3) are
 * kept compact, as *_rows tables of integers: a shard, key or producer is
 * its id in shard_names, key_names or producer_names, a fate its number
 * (enum fate; a text only when ad-hoc SQL wrote one esmsim does not know),
 * and the rows are clustered on the key the readers look them up by, which
 * is also the order they are written in (sequence numbers grow in the
 * stream; a shard's deliveries come in sequence order), so that the B-trees
 * grow at their right edges.  The SPEC's names are views over them
 * (runlog_views).
 */
static const struct runlog_schema {
    const char *name;
    const char *columns;
    const char *insert;
    bool rowless;
    bool batched;   /* rows of integers, inserted RUNLOG_BATCH at a time (rowless) */
} runlog_schema[RL_TABLE_COUNT] = {
    [RL_SHARDS] = { "shards",
        "shard_id TEXT NOT NULL, parent_shard_id TEXT, adjacent_parent_shard_id TEXT,"
        " starting_hash_key TEXT, ending_hash_key TEXT, opened_ms INTEGER, closed_ms INTEGER,"
        " PRIMARY KEY (run_id, shard_id)",
        /* called at open and again at close: the second call updates the row */
        "INSERT INTO shards (run_id, shard_id, parent_shard_id, adjacent_parent_shard_id,"
        " starting_hash_key, ending_hash_key, opened_ms, closed_ms) VALUES (?,?,?,?,?,?,?,?)"
        " ON CONFLICT (run_id, shard_id) DO UPDATE SET parent_shard_id = excluded.parent_shard_id,"
        " adjacent_parent_shard_id = excluded.adjacent_parent_shard_id,"
        " starting_hash_key = excluded.starting_hash_key,"
        " ending_hash_key = excluded.ending_hash_key,"
        " opened_ms = excluded.opened_ms, closed_ms = excluded.closed_ms", false },
    [RL_SHARD_NAMES] = { "shard_names", RUNLOG_NAMES("shard_no", "shard_id"),
        "INSERT INTO shard_names (run_id, shard_no, shard_id) VALUES (?,?,?)", true },
    /* last_seq: the key's last record, the head of its chain (record_rows.
     * key_gap), written at the end of a complete run; NULL otherwise, and
     * when ad-hoc SQL changed the run's records through the view (trace then
     * reads every record) */
    [RL_KEY_NAMES] = { "key_names", "key_no INTEGER NOT NULL, partition_key TEXT, last_seq INTEGER,"
        " PRIMARY KEY (run_id, key_no), UNIQUE (run_id, partition_key)",
        "INSERT INTO key_names (run_id, key_no, partition_key) VALUES (?,?,?)", true },
    [RL_PRODUCER_NAMES] = { "producer_names", RUNLOG_NAMES("producer_no", "producer"),
        "INSERT INTO producer_names (run_id, producer_no, producer) VALUES (?,?,?)", true },
    /* fate NULL: not a message of the messages view but the key and size
     * of records whose message had no final fate when the run stopped
     * (runlog_write_unsettled), or that ad-hoc SQL wrote without their
     * message: a record's key and size are its message's (issue 13 item 4) */
    [RL_MESSAGES] = { "message_rows",
        "message_id INTEGER NOT NULL, producer_no INTEGER, key_no INTEGER, created_ms INTEGER,"
        " bytes INTEGER, fate, PRIMARY KEY (run_id, message_id)",
        "INSERT INTO message_rows (run_id, message_id, producer_no, key_no, created_ms, bytes,"
        " fate) VALUES (?,?,?,?,?,?,?)", true, true },
    /* Small integers (issue 13 item 4, schema 8): the message id as
     * message_delta, its difference from the sequence number (a few
     * thousand: 2 bytes where the id takes 3 or 4), and key_gap, the
     * sequence number less that of the key's record before this one in the
     * run (NULL for its first): a key's records are a chain from
     * key_names.last_seq down, which trace --key follows by primary key.
     * The key and size are the message's (message_rows), not repeated. */
    [RL_RECORDS] = { "record_rows",
        "sequence_number INTEGER NOT NULL, shard_no INTEGER, message_delta INTEGER,"
        " arrival_ms INTEGER, key_gap INTEGER, PRIMARY KEY (run_id, sequence_number)",
        "INSERT INTO record_rows (run_id, sequence_number, shard_no, message_delta, arrival_ms,"
        " key_gap) VALUES (?,?,?,?,?,?)", true, true },
    [RL_INVOCATIONS] = { "invocations",
        "invocation_id INTEGER, shard_id TEXT, lane INTEGER, start_ms INTEGER, end_ms INTEGER,"
        " record_count INTEGER, payload_bytes INTEGER, first_sequence_number INTEGER,"
        " last_sequence_number INTEGER, attempt INTEGER, outcome TEXT, iterator_age_ms INTEGER,"
        " cold_start INTEGER, error TEXT, iterator_age_at_send_ms INTEGER",
        "INSERT INTO invocations (run_id, invocation_id, shard_id, lane, start_ms, end_ms,"
        " record_count, payload_bytes, first_sequence_number, last_sequence_number, attempt,"
        " outcome, iterator_age_ms, cold_start, error, iterator_age_at_send_ms)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", false },
    /* a record's place in its batch is the number of the invocation's
     * deliveries of the shard up to its sequence number (a batch goes in
     * sequence order) */
    /* invocation_handled: the invocation id times 2, plus 1 when the
     * function handled the record (issue 13 item 4, schema 8: one column,
     * in the same order, where two took a byte more) */
    [RL_DELIVERIES] = { "delivery_rows",
        "shard_no INTEGER NOT NULL, sequence_number INTEGER NOT NULL,"
        " invocation_handled INTEGER NOT NULL,"
        " PRIMARY KEY (run_id, shard_no, sequence_number, invocation_handled)",
        "INSERT INTO delivery_rows (run_id, shard_no, sequence_number, invocation_handled)"
        " VALUES (?,?,?,?)", true, true },
    [RL_CHECKPOINTS] = { "checkpoints",
        "shard_id TEXT, at_ms INTEGER, sequence_number INTEGER, reason TEXT",
        "INSERT INTO checkpoints (run_id, shard_id, at_ms, sequence_number, reason)"
        " VALUES (?,?,?,?,?)", false },
    [RL_DISCARDS] = { "discards",
        "at_ms INTEGER, shard_id TEXT, condition TEXT, start_sequence_number INTEGER,"
        " end_sequence_number INTEGER, record_count INTEGER, invocation_record TEXT,"
        " destination TEXT, invocation_id INTEGER, approximate_invoke_count INTEGER,"
        " first_arrival_ms INTEGER, last_arrival_ms INTEGER",
        "INSERT INTO discards (run_id, at_ms, shard_id, condition, start_sequence_number,"
        " end_sequence_number, record_count, invocation_record, destination, invocation_id,"
        " approximate_invoke_count, first_arrival_ms, last_arrival_ms)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", false },
    [RL_METRICS] = { "metrics",
        "at_ms INTEGER, name TEXT, shard_id TEXT, value REAL",
        "INSERT INTO metrics (run_id, at_ms, name, shard_id, value) VALUES (?,?,?,?,?)", false },
    [RL_WINDOWS] = { "windows",
        "shard_id TEXT, lane INTEGER, start_ms INTEGER, end_ms INTEGER,"
        " final_invocation_id INTEGER, terminated_early INTEGER, records INTEGER,"
        " keys INTEGER, state_bytes INTEGER, state TEXT",
        "INSERT INTO windows (run_id, shard_id, lane, start_ms, end_ms, final_invocation_id,"
        " terminated_early, records, keys, state_bytes, state) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        false },
    /* a real handler's log, one row per line (SPEC section 4) */
    [RL_LOGS] = { "logs",
        "invocation_id INTEGER, request_id TEXT, line INTEGER, at_ms INTEGER, kind TEXT,"
        " text TEXT",
        "INSERT INTO logs (run_id, invocation_id, request_id, line, at_ms, kind, text)"
        " VALUES (?,?,?,?,?,?,?)", false },
    /* The observer's figures (observer.h, issue 13 item 3), written at the end
     * of the run (runlog_write_summary): what `report` and `plot` read.  One
     * figure a row, named by its path in `report --json`. */
    [RL_SUMMARY_FIGURES] = { "summary_figures",
        "name TEXT NOT NULL, value INTEGER, PRIMARY KEY (run_id, name)",
        "INSERT INTO summary_figures (run_id, name, value) VALUES (?,?,?)" },
    [RL_SUMMARY_SHARDS] = { "summary_shards",
        "shard_id TEXT NOT NULL, parent_shard_id TEXT, adjacent_parent_shard_id TEXT,"
        " opened_ms INTEGER, closed_ms INTEGER, invocations INTEGER, throttled INTEGER,"
        " age_count INTEGER, age_p50_ms INTEGER, age_p90_ms INTEGER, age_p99_ms INTEGER,"
        " age_max_ms INTEGER, oldest_unprocessed_age_max_ms INTEGER,"
        " PRIMARY KEY (run_id, shard_id)",
        "INSERT INTO summary_shards (run_id, shard_id, parent_shard_id, adjacent_parent_shard_id,"
        " opened_ms, closed_ms, invocations, throttled, age_count, age_p50_ms, age_p90_ms,"
        " age_p99_ms, age_max_ms, oldest_unprocessed_age_max_ms)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)" },
    /* kind: by_sequence (time_ms: arrival) or by_producer (time_ms: creation) */
    [RL_SUMMARY_EXAMPLES] = { "summary_examples",
        "kind TEXT NOT NULL, rank INTEGER NOT NULL, partition_key TEXT, message_id INTEGER,"
        " sequence_number INTEGER, time_ms INTEGER, first_delivered_ms INTEGER,"
        " after_message_id INTEGER, after_sequence_number INTEGER, after_time_ms INTEGER,"
        " after_first_delivered_ms INTEGER, PRIMARY KEY (run_id, kind, rank)",
        "INSERT INTO summary_examples (run_id, kind, rank, partition_key, message_id,"
        " sequence_number, time_ms, first_delivered_ms, after_message_id, after_sequence_number,"
        " after_time_ms, after_first_delivered_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)" },
    /* the first OnFailure messages, by time (rank from 1) */
    [RL_SUMMARY_DISCARDS] = { "summary_discards",
        "rank INTEGER NOT NULL, at_ms INTEGER, shard_id TEXT, condition TEXT,"
        " start_sequence_number INTEGER, end_sequence_number INTEGER, record_count INTEGER,"
        " approximate_invoke_count INTEGER, destination TEXT, PRIMARY KEY (run_id, rank)",
        "INSERT INTO summary_discards (run_id, rank, at_ms, shard_id, condition,"
        " start_sequence_number, end_sequence_number, record_count, approximate_invoke_count,"
        " destination) VALUES (?,?,?,?,?,?,?,?,?,?)" },
    /* plot's series (observer.h, enum obs_chart), one point a row, n from 1 in
     * chart, series, x order: x the minute and value the figure of a chart;
     * reshards: x the instant a child opened (ms); disabled, failing: x to
     * value, a span of virtual time (us) */
    [RL_SUMMARY_SERIES] = { "summary_series",
        "chart TEXT NOT NULL, n INTEGER NOT NULL, series TEXT, x INTEGER, value,"
        " PRIMARY KEY (run_id, chart, n)",
        "INSERT INTO summary_series (run_id, chart, n, series, x, value) VALUES (?,?,?,?,?,?)" },
};

/*
 * The SPEC's per-record tables as views over the *_rows tables, with the
 * names shown (runlog_schema), so that ad-hoc SQL reads and writes them as
 * before: INSTEAD OF triggers turn an INSERT, UPDATE or DELETE on a view
 * into the same on its rows, giving a new name the next id of its run.  The
 * writer never uses them (it inserts the rows itself).  %s is where a fate
 * is decoded (m.fate, in the view) or encoded (NEW.fate, in a trigger):
 * built from fate_name().
 */
#define RL_ID(tbl, no, col, rec, val) \
    "(SELECT " no " FROM " tbl " WHERE run_id = " rec ".run_id AND " col " = " val ")"
#define RL_NEW_NAME(tbl, no, col, val) \
    " INSERT INTO " tbl " (run_id, " no ", " col ") SELECT NEW.run_id, coalesce((SELECT max(" no \
    ") FROM " tbl " WHERE run_id = NEW.run_id), 0) + 1, " val " WHERE " val " IS NOT NULL" \
    " AND NOT EXISTS (SELECT 1 FROM " tbl " WHERE run_id = NEW.run_id AND " col " = " val ");"
#define RL_SHARD_ID(rec) RL_ID("shard_names", "shard_no", "shard_id", rec, rec ".shard_id")
#define RL_KEY_ID RL_ID("key_names", "key_no", "partition_key", "NEW", "NEW.partition_key")
#define RL_MSG_COLS "run_id, message_id, producer, partition_key, created_ms, bytes, fate"
#define RL_REC_COLS "run_id, shard_id, sequence_number, message_id, partition_key, arrival_ms, bytes"
/* a record's message id: its difference from the sequence number added back */
#define RL_REC_MSG(r) r ".sequence_number + " r ".message_delta"
#define RL_DLV_COLS "run_id, invocation_id, shard_id, sequence_number, handled"
#define RL_MSG_NEW "NEW.run_id, NEW.message_id, NEW.producer, NEW.partition_key, NEW.created_ms," \
    " NEW.bytes, NEW.fate"
#define RL_REC_NEW "NEW.run_id, NEW.shard_id, NEW.sequence_number, NEW.message_id," \
    " NEW.partition_key, NEW.arrival_ms, NEW.bytes"
#define RL_DLV_NEW "NEW.run_id, NEW.invocation_id, NEW.shard_id, NEW.sequence_number, NEW.handled"
#define RL_MSG_DEL "DELETE FROM message_rows WHERE run_id = OLD.run_id AND message_id = OLD.message_id;"
#define RL_REC_DEL "DELETE FROM record_rows WHERE run_id = OLD.run_id" \
    " AND sequence_number = OLD.sequence_number;"
/* a change of a run's records through the views breaks their chains: its
 * heads go, and trace reads every record of the run (key_names.last_seq) */
#define RL_NO_HEADS(rec) " UPDATE key_names SET last_seq = NULL WHERE run_id = " rec ".run_id" \
    " AND last_seq IS NOT NULL;"
#define RL_DLV_DEL "DELETE FROM delivery_rows WHERE run_id = OLD.run_id AND shard_no = " \
    RL_SHARD_ID("OLD") " AND sequence_number = OLD.sequence_number" \
    " AND invocation_handled = OLD.invocation_id * 2 + OLD.handled;"

static const char *const runlog_views[] = {
    "CREATE VIEW IF NOT EXISTS messages (" RL_MSG_COLS ") AS SELECT m.run_id, m.message_id,"
    " p.producer, k.partition_key, m.created_ms, m.bytes, %s FROM message_rows m"
    " LEFT JOIN producer_names p ON p.run_id = m.run_id AND p.producer_no = m.producer_no"
    " LEFT JOIN key_names k ON k.run_id = m.run_id AND k.key_no = m.key_no"
    " WHERE m.fate IS NOT NULL;",
    "CREATE VIEW IF NOT EXISTS records (" RL_REC_COLS ") AS SELECT r.run_id, s.shard_id,"
    " r.sequence_number, " RL_REC_MSG("r") ", k.partition_key, r.arrival_ms, m.bytes"
    " FROM record_rows r"
    " LEFT JOIN shard_names s ON s.run_id = r.run_id AND s.shard_no = r.shard_no"
    " LEFT JOIN message_rows m ON m.run_id = r.run_id AND m.message_id = " RL_REC_MSG("r")
    " LEFT JOIN key_names k ON k.run_id = r.run_id AND k.key_no = m.key_no;",
    "CREATE VIEW IF NOT EXISTS deliveries (" RL_DLV_COLS ") AS SELECT d.run_id,"
    " d.invocation_handled >> 1, s.shard_id, d.sequence_number, d.invocation_handled & 1"
    " FROM delivery_rows d"
    " LEFT JOIN shard_names s ON s.run_id = d.run_id AND s.shard_no = d.shard_no;",
    "CREATE TRIGGER IF NOT EXISTS messages_insert INSTEAD OF INSERT ON messages BEGIN"
    RL_NEW_NAME("producer_names", "producer_no", "producer", "NEW.producer")
    " DELETE FROM message_rows WHERE run_id = NEW.run_id AND message_id = NEW.message_id"
    " AND fate IS NULL;"
    RL_NEW_NAME("key_names", "key_no", "partition_key", "NEW.partition_key")
    " INSERT INTO message_rows (run_id, message_id, producer_no, key_no, created_ms, bytes, fate)"
    " VALUES (NEW.run_id, NEW.message_id,"
    " " RL_ID("producer_names", "producer_no", "producer", "NEW", "NEW.producer") ","
    " " RL_KEY_ID ", NEW.created_ms, NEW.bytes, %s); END;",
    "CREATE TRIGGER IF NOT EXISTS messages_delete INSTEAD OF DELETE ON messages BEGIN "
    RL_MSG_DEL " END;",
    "CREATE TRIGGER IF NOT EXISTS messages_update INSTEAD OF UPDATE ON messages BEGIN "
    RL_MSG_DEL " INSERT INTO messages (" RL_MSG_COLS ") VALUES (" RL_MSG_NEW "); END;",
    "CREATE TRIGGER IF NOT EXISTS records_insert INSTEAD OF INSERT ON records BEGIN"
    RL_NEW_NAME("shard_names", "shard_no", "shard_id", "NEW.shard_id")
    RL_NEW_NAME("key_names", "key_no", "partition_key", "NEW.partition_key")
    /* a record's key and size are its message's: kept in a row without a
     * fate when its message has none yet, refused when they differ */
    " SELECT RAISE(ABORT, 'records: a record''s partition_key and bytes are its message''s')"
    " FROM message_rows WHERE run_id = NEW.run_id AND message_id = NEW.message_id"
    " AND (key_no IS NOT " RL_KEY_ID " OR bytes IS NOT NEW.bytes);"
    " INSERT INTO message_rows (run_id, message_id, key_no, bytes) SELECT NEW.run_id,"
    " NEW.message_id, " RL_KEY_ID ", NEW.bytes WHERE NEW.message_id IS NOT NULL AND NOT EXISTS"
    " (SELECT 1 FROM message_rows WHERE run_id = NEW.run_id AND message_id = NEW.message_id);"
    " INSERT INTO record_rows (run_id, sequence_number, shard_no, message_delta, arrival_ms)"
    " VALUES (NEW.run_id, NEW.sequence_number, " RL_SHARD_ID("NEW") ","
    " NEW.message_id - NEW.sequence_number, NEW.arrival_ms);" RL_NO_HEADS("NEW") " END;",
    "CREATE TRIGGER IF NOT EXISTS records_delete INSTEAD OF DELETE ON records BEGIN "
    RL_REC_DEL RL_NO_HEADS("OLD") " END;",
    "CREATE TRIGGER IF NOT EXISTS records_update INSTEAD OF UPDATE ON records BEGIN "
    RL_REC_DEL " INSERT INTO records (" RL_REC_COLS ") VALUES (" RL_REC_NEW "); END;",
    "CREATE TRIGGER IF NOT EXISTS deliveries_insert INSTEAD OF INSERT ON deliveries BEGIN"
    RL_NEW_NAME("shard_names", "shard_no", "shard_id", "NEW.shard_id")
    /* handled: 1 for a value that is true, 0 for false or none */
    " INSERT INTO delivery_rows (run_id, shard_no, sequence_number, invocation_handled)"
    " VALUES (NEW.run_id, " RL_SHARD_ID("NEW") ", NEW.sequence_number,"
    " NEW.invocation_id * 2 + (coalesce(NEW.handled, 0) <> 0)); END;",
    "CREATE TRIGGER IF NOT EXISTS deliveries_delete INSTEAD OF DELETE ON deliveries BEGIN "
    RL_DLV_DEL " END;",
    "CREATE TRIGGER IF NOT EXISTS deliveries_update INSTEAD OF UPDATE ON deliveries BEGIN "
    RL_DLV_DEL " INSERT INTO deliveries (" RL_DLV_COLS ") VALUES (" RL_DLV_NEW "); END;",
};

static const char runlog_runs_table[] =
    "CREATE TABLE IF NOT EXISTS runs (run_id INTEGER PRIMARY KEY, scenario TEXT, seed INTEGER,"
    " scenario_json TEXT, duration_ms INTEGER, esmsim_version TEXT,"
    " complete INTEGER NOT NULL DEFAULT 0, end_ms INTEGER, per_record_tables INTEGER,"
    " started_at_wall TEXT, wall_seconds REAL, summary_json TEXT, handler INTEGER,"
    " reproducible INTEGER)";

/* A value of a row, to bind (runlog_bind). */
enum runlog_vtype { RV_NULL, RV_INT, RV_REAL, RV_TEXT };

struct runlog_val {
    enum runlog_vtype type;
    union {
        int64_t i;
        double r;
        const char *s;
    };
};

/*
 * The per-record rows (runlog_schema's batched tables) go in RUNLOG_BATCH
 * at a time, by one insert of that many rows (VALUES (...), (...), ...):
 * SQLite's work a statement (its program started and halted, its cursors
 * opened and closed) is then paid once a batch, where it was about half of
 * a row's.  The rows of a batch not full go in one by one before a commit
 * and before the indexes (runlog_flush); a rollback drops them with the
 * rest.  The tables are WITHOUT ROWID: the order the rows go in changes
 * nothing of what they hold.
 */
#define RUNLOG_BATCH 32
#define RUNLOG_BATCH_VALS 6                  /* a batched row's values, run_id apart, at most */

struct runlog_batch {
    sqlite3_stmt *insert;                    /* RUNLOG_BATCH rows */
    int vals;                                /* a row's values, run_id apart */
    int n;                                   /* rows pending */
    struct runlog_val v[RUNLOG_BATCH][RUNLOG_BATCH_VALS];
};

#define RUNLOG_NAMED 64                      /* entries of runlog.named: a power of two */

/* A partition key of the open run, by the model's key_id. */
struct runlog_key {
    uint32_t no;                             /* its key_no in key_names; 0: not written yet */
    uint64_t last;                           /* its last record's sequence number; 0: none */
};

/*
 * A message of the open run from its first record to its final fate (its
 * row, on_message): the key and size its records take from it.  A run that
 * stops before the fate writes them as a row without a fate
 * (runlog_write_unsettled), so that its records keep their key and size.
 * Held in a ring by message id from the oldest id without a final fate, as
 * the model's msgtab holds its messages: memory follows the oldest message
 * in flight.
 */
struct runlog_unsettled {                   /* 8 bytes a message id */
    uint32_t key_no;                         /* 0: no key */
    uint32_t bytes : 30;                     /* a record's size: at most 1 MiB (R2) */
    uint32_t state : 2;                      /* RU_NONE, RU_RECORDED, RU_FINAL */
};
enum { RU_NONE, RU_RECORDED, RU_FINAL };

struct runlog {
    sqlite3 *db;
    char *path;                              /* for messages */
    sqlite3_stmt *insert[RL_TABLE_COUNT];    /* prepared at open, reused for every run */
    struct runlog_batch *batch[RL_TABLE_COUNT];   /* owned, the batched tables' only */
    int64_t run_id;                          /* the open run, 0 when none */
    bool per_record;                         /* the open run writes messages/records/deliveries */
    struct nameids *shards, *producers;      /* the open run's ids of names (RL_*_NAMES) */
    struct runlog_named {                    /* the ids of the last shards and producers */
        const char *name;                    /* seen, by the address of their name (kept */
        uint32_t id;                         /* for the run: simlog.h), not hashed a row */
    } named[RUNLOG_NAMED];
    struct runlog_key *key;                  /* owned: by the model's key_id (issue 13 item
                                                4: no hash of the key per row) */
    uint32_t key_cap;                        /* entries of key */
    uint32_t keys;                           /* key_no given so far in the open run */
    uint64_t *head;                          /* owned, runlog_write_heads only: a key's
                                                last record by key_no */
    struct runlog_unsettled *ring;           /* owned: message id i at i & (ring_cap - 1) */
    uint64_t ring_cap;                       /* entries of ring: 0 or a power of two */
    uint64_t ring_base;                      /* every message id below has its fate */
    uint64_t ring_end;                       /* one past the highest message id held */
    bool in_txn;
    uint32_t rows_in_txn;
    int64_t txn_wall_ms;                     /* wall clock when the transaction began */
    int64_t yield_wall_ms;                   /* wall clock of the last yield to other writers */
    int64_t busy_timeout_ms;                 /* how long to wait for another writer's lock */
    int64_t busy_since_ms;                   /* wall clock when the current wait began */
    const volatile sig_atomic_t *interrupt;  /* ends a wait for the lock; NULL: none */
    bool busy_interrupted;                   /* the last wait ended by *interrupt */
    bool failed;                             /* latched: every later row is dropped */
    bool locked;                             /* the failure: another writer's lock */
    char error[512];                         /* the first failure */
};

/* A monotonic wall clock in ms, for the commit policy and lock waits only:
 * it never reaches a row (SPEC 6). */
static int64_t runlog_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void runlog_sleep_ms(int64_t ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ------------------------------------------------------------------------ */
/* Errors                                                                     */

/* Latch the first failure: "PATH: WHAT: sqlite's message", and for a lock
 * held too long, by whom. */
static void runlog_fail(struct runlog *rl, const char *what)
{
    if (rl->failed)
        return;
    rl->failed = true;
    int code = sqlite3_errcode(rl->db) & 0xff;
    char why[128] = "";
    rl->locked = code == SQLITE_BUSY || code == SQLITE_LOCKED;
    if (rl->locked && rl->busy_interrupted)
        snprintf(why, sizeof why, " (interrupted while another process held its write lock)");
    else if (rl->locked)
        snprintf(why, sizeof why, " (another process held its write lock for more than"
                 " %lld ms)", (long long)rl->busy_timeout_ms);
    snprintf(rl->error, sizeof rl->error, "%s: %s: %s%s", rl->path, what,
             sqlite3_errmsg(rl->db), why);
}

/* Copy the latched error to the caller's buffer and return -1. */
static int runlog_report(const struct runlog *rl, char *err, size_t errlen)
{
    errmsg_set(err, errlen, "%s", rl->error);
    return -1;
}

/* Run SQL text with no result rows; on error latch "PATH: WHAT: message". */
static int runlog_exec(struct runlog *rl, const char *sql, const char *what)
{
    if (sqlite3_exec(rl->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        runlog_fail(rl, what);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Transactions                                                               */

/*
 * Every write happens in a transaction begun IMMEDIATE: it takes the write
 * lock at once, through the busy handler, so that a second process appending
 * to the same file (a sweep) waits its turn instead of failing with a stale
 * WAL snapshot, as a deferred transaction upgrading to a writer could.
 */
static int runlog_begin(struct runlog *rl)
{
    if (runlog_exec(rl, "BEGIN IMMEDIATE", "begin transaction") != 0)
        return -1;
    rl->in_txn = true;
    rl->rows_in_txn = 0;
    rl->txn_wall_ms = runlog_wall_ms();
    return 0;
}

/*
 * Waiting for another writer's lock: a look every millisecond, until
 * busy_timeout_ms have passed.  SQLite's own busy_timeout backs off to a look
 * every 100 ms, which would almost never land in the short gap a busy writer
 * leaves between two transactions (see runlog_on_sync).
 */
static int runlog_busy(void *ctx, int count)
{
    struct runlog *rl = ctx;
    int64_t now = runlog_wall_ms();
    if (count == 0)
        rl->busy_since_ms = now;
    rl->busy_interrupted = rl->interrupt && *rl->interrupt;
    if (rl->busy_interrupted || now - rl->busy_since_ms >= rl->busy_timeout_ms)
        return 0;
    runlog_sleep_ms(1);
    return 1;
}

static void runlog_rollback(struct runlog *rl)
{
    if (rl->in_txn && !sqlite3_get_autocommit(rl->db))
        sqlite3_exec(rl->db, "ROLLBACK", NULL, NULL, NULL);
    rl->in_txn = false;
    rl->rows_in_txn = 0;
    for (int t = 0; t < RL_TABLE_COUNT; t++)
        if (rl->batch[t])
            rl->batch[t]->n = 0;
}

static int runlog_flush(struct runlog *rl);

static int runlog_commit(struct runlog *rl)
{
    if (!rl->in_txn)
        return 0;
    if (runlog_flush(rl) != 0) {
        runlog_rollback(rl);
        return -1;
    }
    rl->in_txn = false;
    rl->rows_in_txn = 0;
    if (sqlite3_get_autocommit(rl->db))
        return 0;   /* SQLite already rolled it back after an error (disk full) */
    if (runlog_exec(rl, "COMMIT", "commit") != 0) {
        rl->in_txn = true;
        runlog_rollback(rl);
        return -1;
    }
    return 0;
}

/* Every row goes into a transaction, committed at a sync point only
 * (runlog_on_sync): never in the middle of an event. */
static int runlog_before_row(struct runlog *rl)
{
    if (!rl->in_txn && runlog_begin(rl) != 0)
        return -1;
    rl->rows_in_txn++;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* One row                                                                    */

static struct runlog_val rv_int(int64_t i)
{
    return (struct runlog_val){ .type = RV_INT, .i = i };
}

static struct runlog_val rv_null(void)
{
    return (struct runlog_val){ .type = RV_NULL };
}

static struct runlog_val rv_real(double r)
{
    return (struct runlog_val){ .type = RV_REAL, .r = r };
}

/* A text, or NULL for a missing one (no parent shard, stream-wide metric). */
static struct runlog_val rv_text(const char *s)
{
    return (struct runlog_val){ .type = s ? RV_TEXT : RV_NULL, .s = s };
}

/* Virtual microseconds to the milliseconds of the contract (floor). */
static int64_t runlog_ms(int64_t us)
{
    return us >= 0 ? us / 1000 : -((-us + 999) / 1000);
}

static struct runlog_val rv_ms(int64_t us)
{
    return rv_int(runlog_ms(us));
}

/* A time that may be absent (-1): milliseconds, or NULL. */
static struct runlog_val rv_opt_ms(int64_t us)
{
    return us < 0 ? (struct runlog_val){ .type = RV_NULL } : rv_ms(us);
}

/* A sequence number, or NULL for none (0: a final window invocation). */
static struct runlog_val rv_opt_seq(uint64_t seq)
{
    return seq ? rv_int((int64_t)seq) : (struct runlog_val){ .type = RV_NULL };
}

/* Count of a compound-literal array of values; sizeof does not evaluate them. */
#define RUNLOG_VALS(...) \
    (const struct runlog_val[]){ __VA_ARGS__ }, \
    (int)(sizeof((struct runlog_val[]){ __VA_ARGS__ }) / sizeof(struct runlog_val))

/*
 * Bind the n values to parameters first..first+n-1 of st.  Texts are bound
 * SQLITE_STATIC: they only need to live until the step, which copies them.
 */
static int runlog_bind(sqlite3_stmt *st, int first, const struct runlog_val *v, int n)
{
    int rc = SQLITE_OK;
    for (int i = 0; i < n && rc == SQLITE_OK; i++) {
        int p = first + i;
        switch (v[i].type) {
        case RV_NULL: rc = sqlite3_bind_null(st, p); break;
        case RV_INT:  rc = sqlite3_bind_int64(st, p, v[i].i); break;
        case RV_REAL: rc = sqlite3_bind_double(st, p, v[i].r); break;
        case RV_TEXT: rc = sqlite3_bind_text(st, p, v[i].s, -1, SQLITE_STATIC); break;
        }
    }
    return rc;
}

/* Step st once, after a bind's rc: SQLITE_OK or an error, whose message is
 * still in the connection (the caller takes it before resetting st). */
static int runlog_step(sqlite3_stmt *st, int rc)
{
    if (rc == SQLITE_OK && sqlite3_step(st) != SQLITE_DONE)
        rc = SQLITE_ERROR;
    return rc;
}

/* Bind the n values to parameters first..first+n-1 of st and step it once. */
static int runlog_bind_step(sqlite3_stmt *st, int first, const struct runlog_val *v, int n)
{
    return runlog_step(st, runlog_bind(st, first, v, n));
}

/* A statement run once (the runs row): prepare, bind, step, finalize. */
static int runlog_run_once(struct runlog *rl, const char *sql, const char *what,
                           const struct runlog_val *v, int n)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(rl->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = runlog_bind_step(st, 1, v, n);
    if (rc != SQLITE_OK)
        runlog_fail(rl, what);   /* before finalize, which may reset the message */
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : -1;
}

/* An insert into t done (rc), st reset; a failure latched first. */
static void runlog_inserted(struct runlog *rl, enum runlog_table t, sqlite3_stmt *st, int rc)
{
    if (rc != SQLITE_OK) {
        char what[64];
        snprintf(what, sizeof what, "insert into %s", runlog_schema[t].name);
        runlog_fail(rl, what);   /* before reset, which would clear the message */
    }
    sqlite3_reset(st);
}

/*
 * One row of a per-run table: run_id then the values, with the table's
 * prepared insert.  clear_bindings after the step drops the borrowed text
 * pointers; a row of integers (the per-record rows) has none, and binds
 * every parameter again for the next row.
 */
static void runlog_insert_row(struct runlog *rl, enum runlog_table t,
                              const struct runlog_val *v, int n)
{
    sqlite3_stmt *st = rl->insert[t];
    int rc = sqlite3_bind_int64(st, 1, rl->run_id);
    if (rc == SQLITE_OK)
        rc = runlog_bind_step(st, 2, v, n);
    runlog_inserted(rl, t, st, rc);
    bool texts = n + 1 < sqlite3_bind_parameter_count(st);   /* NULL for the rest */
    for (int i = 0; i < n && !texts; i++)
        texts = v[i].type == RV_TEXT;
    if (texts)
        sqlite3_clear_bindings(st);
}

/* The RUNLOG_BATCH rows pending of a batched table, by one statement. */
static void runlog_insert_batch(struct runlog *rl, enum runlog_table t)
{
    struct runlog_batch *b = rl->batch[t];
    int rc = SQLITE_OK, row = b->vals + 1;
    for (int r = 0; r < RUNLOG_BATCH && rc == SQLITE_OK; r++) {
        rc = sqlite3_bind_int64(b->insert, r * row + 1, rl->run_id);
        if (rc == SQLITE_OK)
            rc = runlog_bind(b->insert, r * row + 2, b->v[r], b->vals);
    }
    runlog_inserted(rl, t, b->insert, runlog_step(b->insert, rc));
    b->n = 0;
}

/* Every row pending in a batch inserted (one by one: a batch not full);
 * -1 when one fails.  After an earlier failure they are dropped. */
static int runlog_flush(struct runlog *rl)
{
    bool failed = rl->failed;
    for (int t = 0; t < RL_TABLE_COUNT; t++) {
        struct runlog_batch *b = rl->batch[t];
        for (int r = 0; b && r < b->n && !rl->failed; r++)
            runlog_insert_row(rl, (enum runlog_table)t, b->v[r], b->vals);
        if (b)
            b->n = 0;
    }
    return rl->failed && !failed ? -1 : 0;
}

/* One row of a per-run table: run_id then the values (a batched table's:
 * every one of its columns). */
static void runlog_insert(struct runlog *rl, enum runlog_table t,
                          const struct runlog_val *v, int n)
{
    if (rl->failed || rl->run_id == 0 || runlog_before_row(rl) != 0)
        return;
    struct runlog_batch *b = rl->batch[t];
    if (!b) {
        runlog_insert_row(rl, t, v, n);
        return;
    }
    memcpy(b->v[b->n++], v, (size_t)n * sizeof *v);
    if (b->n == RUNLOG_BATCH)
        runlog_insert_batch(rl, t);
}

#define RUNLOG_INSERT(rl, t, ...) runlog_insert((rl), (t), RUNLOG_VALS(__VA_ARGS__))

/* ------------------------------------------------------------------------ */
/* The sink                                                                   */

static void runlog_on_shard(void *ctx, const struct slog_shard *s)
{
    RUNLOG_INSERT(ctx, RL_SHARDS, rv_text(s->shard_id), rv_text(s->parent_shard_id),
                  rv_text(s->adjacent_parent_shard_id), rv_text(s->starting_hash_key),
                  rv_text(s->ending_hash_key), rv_ms(s->opened_us), rv_opt_ms(s->closed_us));
}

/*
 * The id of name in ids (table: its lookup table), its row written when the
 * name is new; NULL for no name.  Out of memory latches a failure (the
 * value is then never used: every later row is dropped).
 */
static struct runlog_val runlog_name_id(struct runlog *rl, struct nameids *ids,
                                        enum runlog_table table, const char *name)
{
    if (!name)
        return (struct runlog_val){ .type = RV_NULL };
    bool is_new;
    uint32_t id = nameids_get(ids, name, &is_new);
    if (id == 0 && !rl->failed) {
        rl->failed = true;
        snprintf(rl->error, sizeof rl->error, "%s: the id of a name in %s: out of memory",
                 rl->path, runlog_schema[table].name);
    }
    if (is_new)
        RUNLOG_INSERT(rl, table, rv_int(id), rv_text(name));
    return rv_int(id);
}

/*
 * The id of a shard (its id) or a producer (its name) by name, whose
 * content is kept for the run (simlog.h): a name met before is found by
 * its address in a small cache before its string is hashed (once a record
 * row, per-record tables on).  Shard and producer names share the cache,
 * told apart by table.
 */
static struct runlog_val runlog_named_id(struct runlog *rl, enum runlog_table table,
                                         const char *name)
{
    uintptr_t h = ((uintptr_t)name ^ (uintptr_t)table) * UINT64_C(0x9e3779b97f4a7c15);
    struct runlog_named *n = &rl->named[(h >> 32) & (RUNLOG_NAMED - 1)];
    if (name && n->name == name && (n->id & 1) == (table == RL_PRODUCER_NAMES))
        return rv_int(n->id >> 1);
    struct runlog_val id = runlog_name_id(rl, table == RL_SHARD_NAMES ? rl->shards
                                                                      : rl->producers, table, name);
    if (id.type == RV_INT && id.i > 0 && id.i < (int64_t)(UINT32_MAX >> 1))
        *n = (struct runlog_named){ name, (uint32_t)id.i << 1 | (table == RL_PRODUCER_NAMES) };
    return id;
}

/*
 * The key_no of a partition key, by the model's dense key_id (simlog.h: the
 * same for the same key): an array read, its key_names row written the first
 * time, so keys are numbered 1, 2, ... in the order first seen, as shards
 * and producers are.  Out of memory latches a failure.
 */
static struct runlog_key *runlog_key(struct runlog *rl, uint32_t key_id, const char *name)
{
    if (key_id >= rl->key_cap) {
        uint32_t cap = rl->key_cap ? rl->key_cap : 1024;
        while (cap <= key_id && cap < UINT32_MAX / 2)
            cap *= 2;
        struct runlog_key *grown = cap > key_id ? realloc(rl->key, cap * sizeof *grown) : NULL;
        if (!grown) {
            if (!rl->failed) {
                rl->failed = true;
                snprintf(rl->error, sizeof rl->error, "%s: the id of a name in key_names:"
                         " out of memory", rl->path);
            }
            return NULL;
        }
        memset(grown + rl->key_cap, 0, (cap - rl->key_cap) * sizeof *grown);
        rl->key = grown;
        rl->key_cap = cap;
    }
    struct runlog_key *k = &rl->key[key_id];
    if (!k->no) {
        k->no = ++rl->keys;
        RUNLOG_INSERT(rl, RL_KEY_NAMES, rv_int(k->no), rv_text(name));
    }
    return k;
}

/* A message or record of key_id comes soon (a relay's hint, simlog.h):
 * its slot, read and written then, fetched now. */
static void runlog_on_key_ahead(void *ctx, uint32_t key_id)
{
    struct runlog *rl = ctx;
    if (key_id < rl->key_cap)
        PREFETCH_W(&rl->key[key_id]);
}

static struct runlog_val runlog_key_no(const struct runlog_key *k)
{
    return k ? rv_int(k->no) : (struct runlog_val){ .type = RV_NULL };
}

/* The entry of message id, the ring grown to hold it; NULL for an id whose
 * fate was final before (ignored), or out of memory (latched). */
static struct runlog_unsettled *runlog_unsettled(struct runlog *rl, uint64_t id)
{
    if (id < rl->ring_base)
        return NULL;
    if (id - rl->ring_base >= rl->ring_cap) {
        uint64_t cap = rl->ring_cap ? rl->ring_cap : 4096;
        while (cap <= id - rl->ring_base && cap < (UINT64_C(1) << 40))
            cap *= 2;
        struct runlog_unsettled *grown = cap > id - rl->ring_base && cap <= SIZE_MAX / sizeof *grown
                                             ? calloc(cap, sizeof *grown) : NULL;
        if (!grown) {
            if (!rl->failed) {
                rl->failed = true;
                snprintf(rl->error, sizeof rl->error, "%s: the messages in flight: out of memory",
                         rl->path);
            }
            return NULL;
        }
        for (uint64_t i = rl->ring_base; i < rl->ring_end; i++)
            grown[i & (cap - 1)] = rl->ring[i & (rl->ring_cap - 1)];
        free(rl->ring);
        rl->ring = grown;
        rl->ring_cap = cap;
    }
    if (id >= rl->ring_end)
        rl->ring_end = id + 1;
    return &rl->ring[id & (rl->ring_cap - 1)];
}

/* A record of message id: its key and size kept until the message's fate. */
static void runlog_unsettled_record(struct runlog *rl, uint64_t id, uint32_t key_no,
                                    uint32_t bytes)
{
    struct runlog_unsettled *u = runlog_unsettled(rl, id);
    if (u && u->state == RU_NONE)
        *u = (struct runlog_unsettled){ .key_no = key_no, .bytes = bytes & 0x3fffffff,
                                        .state = RU_RECORDED };
}

/* Message id has its row: forgotten, and the ring's oldest ids with it. */
static void runlog_settled(struct runlog *rl, uint64_t id)
{
    struct runlog_unsettled *u = runlog_unsettled(rl, id);
    if (u)
        u->state = RU_FINAL;
    while (rl->ring_base < rl->ring_end
           && rl->ring[rl->ring_base & (rl->ring_cap - 1)].state == RU_FINAL)
        rl->ring[rl->ring_base++ & (rl->ring_cap - 1)] = (struct runlog_unsettled){ 0 };
}

/*
 * At the end of a run, complete or stopped (not killed: that is why a
 * killed run's records of messages in flight have no key or size): the
 * messages with a record and no fate, as rows without a fate (the messages
 * view leaves them out), which give their records their key and size.
 */
static void runlog_write_unsettled(struct runlog *rl)
{
    for (uint64_t id = rl->ring_base; id < rl->ring_end && !rl->failed; id++) {
        const struct runlog_unsettled *u = &rl->ring[id & (rl->ring_cap - 1)];
        if (u->state == RU_RECORDED)
            RUNLOG_INSERT(rl, RL_MESSAGES, rv_int((int64_t)id), rv_null(),
                          u->key_no ? rv_int(u->key_no) : rv_null(), rv_null(), rv_int(u->bytes),
                          rv_null());
    }
}

static void runlog_on_message(void *ctx, const struct slog_message *m)
{
    struct runlog *rl = ctx;
    if (rl->per_record)
        runlog_settled(rl, m->message_id);
    if (rl->per_record)
        RUNLOG_INSERT(rl, RL_MESSAGES, rv_int(m->message_id),
                      runlog_named_id(rl, RL_PRODUCER_NAMES, m->producer),
                      runlog_key_no(m->partition_key ? runlog_key(rl, m->key_id,
                                                                  m->partition_key) : NULL),
                      rv_ms(m->created_us), rv_int(m->bytes), rv_int(m->fate));
}

/* A record, linked to the previous record of its key (key_gap). */
static void runlog_on_record(void *ctx, const struct slog_record *r)
{
    struct runlog *rl = ctx;
    if (!rl->per_record)
        return;
    struct runlog_key *k = r->partition_key ? runlog_key(rl, r->key_id, r->partition_key) : NULL;
    uint64_t prev = k ? k->last : 0;
    if (k)
        k->last = r->sequence_number;
    runlog_unsettled_record(rl, r->message_id, k ? k->no : 0, r->bytes);
    int64_t seq = (int64_t)r->sequence_number;
    RUNLOG_INSERT(rl, RL_RECORDS, rv_int(seq),
                  runlog_named_id(rl, RL_SHARD_NAMES, r->shard_id),
                  rv_int((int64_t)r->message_id - seq), rv_ms(r->arrival_us),
                  prev ? rv_int(seq - (int64_t)prev) : rv_null());
}

static void runlog_on_invocation(void *ctx, const struct slog_invocation *inv)
{
    RUNLOG_INSERT(ctx, RL_INVOCATIONS, rv_int(inv->invocation_id), rv_text(inv->shard_id),
                  rv_int(inv->lane), rv_ms(inv->start_us), rv_ms(inv->end_us),
                  rv_int(inv->record_count), rv_int(inv->payload_bytes),
                  rv_opt_seq(inv->first_sequence_number), rv_opt_seq(inv->last_sequence_number),
                  rv_int(inv->attempt), rv_text(outcome_name(inv->outcome)),
                  rv_opt_ms(inv->iterator_age_us), rv_int(inv->cold_start), rv_text(inv->error),
                  rv_opt_ms(inv->iterator_age_at_send_us));
}

/* A row per record, in the order given. */
static void runlog_on_deliveries(void *ctx, uint64_t invocation_id, const char *shard_id,
                                 const uint64_t *sequence_numbers, uint32_t n, bool handled)
{
    struct runlog *rl = ctx;
    if (!rl->per_record || n == 0)
        return;
    struct runlog_val shard_no = runlog_named_id(rl, RL_SHARD_NAMES, shard_id);
    struct runlog_val invocation_handled = rv_int((int64_t)invocation_id * 2 + handled);
    for (uint32_t i = 0; i < n; i++)
        RUNLOG_INSERT(rl, RL_DELIVERIES, shard_no, rv_int(sequence_numbers[i]),
                      invocation_handled);
}

static void runlog_on_checkpoint(void *ctx, const char *shard_id, int64_t at_us,
                                 uint64_t sequence_number, enum ckpt_reason reason)
{
    RUNLOG_INSERT(ctx, RL_CHECKPOINTS, rv_text(shard_id), rv_ms(at_us), rv_int(sequence_number),
                  rv_text(ckpt_reason_name(reason)));
}

/* The invocation record is stored even when there is no destination (the
 * batch was dropped): it says what AWS would have sent. */
static void runlog_on_discard(void *ctx, const struct slog_discard *d)
{
    struct runlog *rl = ctx;
    if (rl->failed)
        return;
    char *record = awsjson_invocation_record(d);
    if (!record) {
        rl->failed = true;
        snprintf(rl->error, sizeof rl->error, "%s: invocation record of a discarded batch"
                 " of %s: out of memory", rl->path, d->shard_id);
        return;
    }
    RUNLOG_INSERT(rl, RL_DISCARDS, rv_ms(d->at_us), rv_text(d->shard_id),
                  rv_text(awsjson_condition_name(d->condition)),
                  rv_int(d->start_sequence_number), rv_int(d->end_sequence_number),
                  rv_int(d->record_count), rv_text(record), rv_text(d->destination),
                  rv_int(d->invocation_id), rv_int(d->approximate_invoke_count),
                  rv_ms(d->first_arrival_us), rv_ms(d->last_arrival_us));
    free(record);
}

static void runlog_on_metric(void *ctx, int64_t at_us, const char *name, const char *shard_id,
                             double value)
{
    RUNLOG_INSERT(ctx, RL_METRICS, rv_ms(at_us), rv_text(name), rv_text(shard_id),
                  rv_real(value));
}

/* R15: a window's final state, as the JSON object the function returned
 * (a real handler's as its text; its keys are not counted). */
static void runlog_on_window(void *ctx, const struct slog_window *w)
{
    struct runlog *rl = ctx;
    if (w->state_json) {
        RUNLOG_INSERT(rl, RL_WINDOWS, rv_text(w->shard_id), rv_int(w->lane), rv_ms(w->start_us),
                      rv_ms(w->end_us), rv_int(w->final_invocation_id),
                      rv_int(w->terminated_early), rv_int(w->records),
                      (struct runlog_val){ .type = RV_NULL }, rv_int(w->state_bytes),
                      rv_text(w->state_json));
        return;
    }
    cJSON *state = cJSON_CreateObject();
    bool ok = state != NULL;
    for (uint32_t i = 0; ok && i < w->n_keys; i++)
        ok = cJSON_AddNumberToObject(state, w->keys[i], (double)w->counts[i]) != NULL;
    char *text = ok ? cJSON_PrintUnformatted(state) : NULL;
    cJSON_Delete(state);
    if (!text) {
        rl->failed = true;
        snprintf(rl->error, sizeof rl->error, "%s: state of a window of %s: out of memory",
                 rl->path, w->shard_id);
        return;
    }
    RUNLOG_INSERT(rl, RL_WINDOWS, rv_text(w->shard_id), rv_int(w->lane), rv_ms(w->start_us),
                  rv_ms(w->end_us), rv_int(w->final_invocation_id), rv_int(w->terminated_early),
                  rv_int(w->records), rv_int(w->n_keys), rv_int(w->state_bytes), rv_text(text));
    cJSON_free(text);
}

static void runlog_on_log_line(void *ctx, const struct slog_line *l)
{
    RUNLOG_INSERT(ctx, RL_LOGS, rv_int(l->invocation_id), rv_text(l->request_id), rv_int(l->line),
                  rv_ms(l->at_us), rv_text(l->kind), rv_text(l->text));
}

/*
 * A sync point: the simulation is between two events and has reached
 * reached_us.  The open transaction is committed here when it holds
 * RUNLOG_ROWS_PER_COMMIT rows or has held the write lock RUNLOG_COMMIT_MS,
 * with runs.end_ms in it, so that what is committed always ends at a whole
 * event.  At most once every RUNLOG_COMMIT_MS, a commit is followed by a
 * pause of RUNLOG_YIELD_MS with the lock free: a writer that began its next
 * transaction at once would starve another process waiting for the lock
 * (runlog_busy looks every millisecond, so it gets its turn in the pause).
 */
static void runlog_on_sync(void *ctx, int64_t reached_us)
{
    struct runlog *rl = ctx;
    if (rl->failed || !rl->in_txn || rl->run_id == 0)
        return;
    int64_t now = runlog_wall_ms();
    if (rl->rows_in_txn < RUNLOG_ROWS_PER_COMMIT && now - rl->txn_wall_ms < RUNLOG_COMMIT_MS)
        return;
    static const char sql[] = "UPDATE runs SET end_ms = ? WHERE run_id = ?";
    if (runlog_run_once(rl, sql, "update runs", RUNLOG_VALS(rv_ms(reached_us),
                                                            rv_int(rl->run_id))) != 0
        || runlog_commit(rl) != 0)
        return;
    if (now - rl->yield_wall_ms >= RUNLOG_COMMIT_MS) {
        runlog_sleep_ms(RUNLOG_YIELD_MS);
        rl->yield_wall_ms = runlog_wall_ms();
    }
}

static bool runlog_on_failed(void *ctx)
{
    return ((struct runlog *)ctx)->failed;
}

static const struct slog_ops runlog_ops = {
    .shard = runlog_on_shard,
    .message = runlog_on_message,
    .record = runlog_on_record,
    .invocation = runlog_on_invocation,
    .deliveries = runlog_on_deliveries,
    .checkpoint = runlog_on_checkpoint,
    .discard = runlog_on_discard,
    .metric = runlog_on_metric,
    .window = runlog_on_window,
    .log_line = runlog_on_log_line,
    .sync = runlog_on_sync,
    .key_ahead = runlog_on_key_ahead,
    .failed = runlog_on_failed,
};

struct slog runlog_sink(struct runlog *rl)
{
    return (struct slog){ .ops = &runlog_ops, .ctx = rl, .per_record = rl->per_record };
}

void runlog_set_interrupt(struct runlog *rl, const volatile sig_atomic_t *interrupt)
{
    rl->interrupt = interrupt;
}

const char *runlog_error(const struct runlog *rl)
{
    return rl->failed ? rl->error : NULL;
}

/* ------------------------------------------------------------------------ */
/* Opening: the file, its identity, its tables                               */

/* A single integer out of a one-row query ("PRAGMA user_version"); on
 * error latch "PATH: WHAT: message". */
static int runlog_query_int(struct runlog *rl, const char *sql, const char *what, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(rl->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        }
    }
    if (rc != SQLITE_OK)
        runlog_fail(rl, what);
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : -1;
}

/*
 * A new file becomes a run log; an existing one must be one, of this schema
 * version, so that esmsim never appends runs to someone else's database.
 * runlog_open asks twice: first with mark false, reading only, before it
 * changes anything (the journal mode is a change: it rewrites the header),
 * so that a refused file keeps its bytes; then with mark true inside the
 * transaction that creates the tables, should another process have claimed
 * the file meanwhile.
 */
static int runlog_claim(struct runlog *rl, bool mark)
{
    int64_t app = 0, version = 0, tables = 0;
    if (runlog_query_int(rl, "PRAGMA application_id", "open", &app) != 0
        || runlog_query_int(rl, "PRAGMA user_version", "open", &version) != 0
        || runlog_query_int(rl, "SELECT count(*) FROM sqlite_schema", "open", &tables) != 0)
        return -1;
    if (app == 0 && tables == 0) {
        if (!mark)
            return 0;
        char sql[128];
        snprintf(sql, sizeof sql, "PRAGMA application_id=%d; PRAGMA user_version=%d;",
                 RUNLOG_APPLICATION_ID, RUNLOG_SCHEMA_VERSION);
        return runlog_exec(rl, sql, "mark as run log");
    }
    if (app != RUNLOG_APPLICATION_ID) {
        rl->failed = true;
        snprintf(rl->error, sizeof rl->error,
                 "%s: not an esmsim run log (a SQLite database with other tables)", rl->path);
        return -1;
    }
    if (version != RUNLOG_SCHEMA_VERSION) {
        rl->failed = true;
        snprintf(rl->error, sizeof rl->error,
                 "%s: run log schema version %lld, this esmsim writes version %d only: write"
                 " to a new file (a log of version %lld takes no runs of this esmsim)",
                 rl->path, (long long)version, RUNLOG_SCHEMA_VERSION, (long long)version);
        return -1;
    }
    return 0;
}

static int runlog_create_tables(struct runlog *rl)
{
    if (runlog_exec(rl, runlog_runs_table, "create table runs") != 0)
        return -1;
    for (int t = 0; t < RL_TABLE_COUNT; t++) {
        char sql[1024], what[64];
        snprintf(sql, sizeof sql, "CREATE TABLE IF NOT EXISTS %s (run_id INTEGER NOT NULL, %s)%s",
                 runlog_schema[t].name, runlog_schema[t].columns,
                 runlog_schema[t].rowless ? " WITHOUT ROWID" : "");
        snprintf(what, sizeof what, "create table %s", runlog_schema[t].name);
        if (runlog_exec(rl, sql, what) != 0)
            return -1;
    }
    /* the views: a fate's number decoded and encoded (a text that is not
     * one of esmsim's stays a text) */
    char decode[512] = "CASE m.fate", encode[512] = "CASE NEW.fate";
    for (int f = 0; f < FATE_COUNT; f++) {
        size_t d = strlen(decode), e = strlen(encode);
        snprintf(decode + d, sizeof decode - d, " WHEN %d THEN '%s'", f, fate_name(f));
        snprintf(encode + e, sizeof encode - e, " WHEN '%s' THEN %d", fate_name(f), f);
    }
    strcat(decode, " ELSE m.fate END");
    strcat(encode, " ELSE NEW.fate END");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof runlog_views / sizeof runlog_views[0]; i++) {
        char sql[4096];
        const char *fate = strstr(runlog_views[i], "INSTEAD OF") ? encode : decode;
        snprintf(sql, sizeof sql, runlog_views[i], fate);   /* at most one %s */
        rc = runlog_exec(rl, sql, "create views");
    }
    return rc;
}

/* key_names.last_seq of a key_no (esmsim_key_head(key_no) in SQL): its last
 * record's sequence number while runlog_write_heads runs, else NULL. */
static void runlog_key_head(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const struct runlog *rl = sqlite3_user_data(cx);
    sqlite3_int64 no = sqlite3_value_int64(argv[0]);
    if (rl->head && no > 0 && no <= rl->keys && rl->head[no])
        sqlite3_result_int64(cx, (sqlite3_int64)rl->head[no]);
    else
        sqlite3_result_null(cx);
}

/* A batched table's batch, with its insert of RUNLOG_BATCH rows: the
 * table's insert, its VALUES tuple repeated; NULL when out of memory. */
static struct runlog_batch *runlog_batch_new(struct runlog *rl, enum runlog_table t)
{
    const char *sql = runlog_schema[t].insert, *tuple = strstr(sql, "VALUES (") + 7;
    size_t head = (size_t)(tuple - sql), len = strlen(tuple);
    struct runlog_batch *b = calloc(1, sizeof *b);
    char *many = malloc(head + RUNLOG_BATCH * (len + 1));
    bool ok = b && many;
    if (ok) {
        memcpy(many, sql, head);
        for (int r = 0; r < RUNLOG_BATCH; r++) {
            char *p = many + head + r * (len + 1);
            memcpy(p, tuple, len);
            p[len] = r + 1 < RUNLOG_BATCH ? ',' : 0;
        }
        b->vals = sqlite3_bind_parameter_count(rl->insert[t]) - 1;
        ok = b->vals <= RUNLOG_BATCH_VALS
             && sqlite3_prepare_v3(rl->db, many, -1, SQLITE_PREPARE_PERSISTENT, &b->insert,
                                   NULL) == SQLITE_OK;
    }
    free(many);
    if (!ok) {
        free(b);
        return NULL;
    }
    return b;
}

/* The inserts, prepared once, and runlog_key_head. */
static int runlog_prepare(struct runlog *rl)
{
    for (int t = 0; t < RL_TABLE_COUNT; t++) {
        if (sqlite3_prepare_v3(rl->db, runlog_schema[t].insert, -1, SQLITE_PREPARE_PERSISTENT,
                               &rl->insert[t], NULL) != SQLITE_OK
            || (runlog_schema[t].batched
                && !(rl->batch[t] = runlog_batch_new(rl, (enum runlog_table)t)))) {
            char what[64];
            snprintf(what, sizeof what, "prepare insert into %s", runlog_schema[t].name);
            runlog_fail(rl, what);
            return -1;
        }
    }
    if (sqlite3_create_function_v2(rl->db, "esmsim_key_head", 1,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, rl,
                                   runlog_key_head, NULL, NULL, NULL) != SQLITE_OK) {
        runlog_fail(rl, "define esmsim_key_head");
        return -1;
    }
    return 0;
}

static void runlog_free(struct runlog *rl)
{
    for (int t = 0; t < RL_TABLE_COUNT; t++) {
        sqlite3_finalize(rl->insert[t]);
        if (rl->batch[t])
            sqlite3_finalize(rl->batch[t]->insert);
        free(rl->batch[t]);
    }
    nameids_destroy(rl->shards);
    free(rl->key);
    free(rl->ring);
    nameids_destroy(rl->producers);
    sqlite3_close(rl->db);
    free(rl->path);
    free(rl);
}

struct runlog *runlog_open(const char *path, char *err, size_t errlen)
{
    struct runlog *rl = calloc(1, sizeof *rl);
    if (!rl || !(rl->path = strdup(path)) || !(rl->shards = nameids_create())
        || !(rl->producers = nameids_create())) {
        if (rl)
            runlog_free(rl);
        errmsg_set(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    /* SQLite counts the memory it holds, under a mutex, at each of its
     * malloc and free (a few a row) unless told not to before it starts;
     * nothing here reads the count (sqlite3_memory_used).  Told at the
     * first open (the run log's is a run's first), a no-op once SQLite
     * runs (SQLITE_MISUSE, ignored). */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    /* NOMUTEX: one thread at a time uses the connection (the simulation's, or
     * the writer thread's from its start to its join: logthread.c), so SQLite
     * need not lock a mutex on every call of every row (3% of a run). */
    int rc = sqlite3_open_v2(path, &rl->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        /* sqlite says "unable to open database file"; errno says why */
        int sys = rl->db ? sqlite3_system_errno(rl->db) : 0;
        errmsg_set(err, errlen, "%s: %s%s%s%s", path,
                      rl->db ? sqlite3_errmsg(rl->db) : sqlite3_errstr(rc),
                      sys ? " (" : "", sys ? strerror(sys) : "", sys ? ")" : "");
        runlog_free(rl);
        return NULL;
    }
    sqlite3_extended_result_codes(rl->db, 1);
    /* Another process may be appending to the same file: wait for its
     * commit rather than fail at once. */
    rl->busy_timeout_ms = RUNLOG_BUSY_TIMEOUT_MS;
    const char *knob = getenv("ESMSIM_BUSY_TIMEOUT_MS");   /* for the tests only */
    if (knob && *knob) {
        char *end;
        errno = 0;
        long long ms = strtoll(knob, &end, 10);
        if (errno || *end || ms < 0) {
            errmsg_set(err, errlen, "ESMSIM_BUSY_TIMEOUT_MS: expected milliseconds, not '%s'",
                       knob);
            runlog_free(rl);
            return NULL;
        }
        rl->busy_timeout_ms = ms;
    }
    sqlite3_busy_handler(rl->db, runlog_busy, rl);
    rl->yield_wall_ms = runlog_wall_ms();
    if (runlog_claim(rl, false) != 0   /* reading only: a refused file keeps its bytes */
        || runlog_exec(rl, RUNLOG_PRAGMAS, "open") != 0
        || runlog_begin(rl) != 0   /* claim and create as one, should two processes race */
        || runlog_claim(rl, true) != 0
        || runlog_create_tables(rl) != 0
        || runlog_commit(rl) != 0
        || runlog_prepare(rl) != 0) {
        runlog_report(rl, err, errlen);
        runlog_free(rl);
        return NULL;
    }
    return rl;
}

/* ------------------------------------------------------------------------ */
/* Runs                                                                       */

/* The wall time a run started, the only field besides wall_seconds that may
 * differ between two runs of the same scenario and seed (SPEC section 6). */
static void runlog_wall_now(char *buf, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;
    if (!gmtime_r(&now, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, len, "?");
}

int runlog_begin_run(struct runlog *rl, const struct scenario *scn, uint64_t seed,
                     bool per_record, int64_t *run_id, char *err, size_t errlen)
{
    if (rl->run_id != 0) {
        errmsg_set(err, errlen, "%s: run %lld is still open", rl->path, (long long)rl->run_id);
        return -1;
    }
    rl->failed = rl->locked = false;
    rl->error[0] = 0;
    nameids_clear(rl->shards);   /* ids are the run's own */
    if (rl->key)
        memset(rl->key, 0, rl->key_cap * sizeof *rl->key);
    rl->keys = 0;
    nameids_clear(rl->producers);
    memset(rl->named, 0, sizeof rl->named);   /* another run's names may be freed */
    if (rl->ring)
        memset(rl->ring, 0, rl->ring_cap * sizeof *rl->ring);
    rl->ring_base = rl->ring_end = 1;   /* message ids start at 1 */

    static const char sql[] =
        "INSERT INTO runs (scenario, seed, scenario_json, duration_ms, esmsim_version, complete,"
        " per_record_tables, started_at_wall, handler, reproducible) VALUES (?,?,?,?,?,0,?,?,?,?)";
    /* SPEC section 4: a real handler's measured durations are its wall time */
    const struct cfg_handler *handler = scn->cfg.function.handler;
    char wall[32];
    runlog_wall_now(wall, sizeof wall);
    if (runlog_begin(rl) != 0)
        return runlog_report(rl, err, errlen);
    /* seed as a bit pattern: seeds from 2^63 up read back negative */
    if (runlog_run_once(rl, sql, "insert into runs",
                        RUNLOG_VALS(rv_text(scn->name), rv_int((int64_t)seed), rv_text(scn->json),
                                    rv_ms(scn->cfg.duration_us), rv_text(ESMSIM_VERSION),
                                    rv_int(per_record), rv_text(wall), rv_int(handler != NULL),
                                    rv_int(!handler || !handler->measured))) != 0) {
        runlog_rollback(rl);
        return runlog_report(rl, err, errlen);
    }
    int64_t id = sqlite3_last_insert_rowid(rl->db);
    /* Committed at once: the run exists, complete = 0, whatever happens next. */
    if (runlog_commit(rl) != 0)
        return runlog_report(rl, err, errlen);
    rl->run_id = id;
    rl->per_record = per_record;
    if (run_id)
        *run_id = rl->run_id;
    return 0;
}

/*
 * The head of each key's chain of records (key_names.last_seq), at the end
 * of a complete run only: a run stopped early has none, killed or not, and
 * trace reads its records without (as it reads a log without indexes).
 * One UPDATE walks the run's rows in key_no order and asks runlog_key_head
 * for each: a statement a key would cost ten times as much (a run of
 * 100,000 keys writes them in a tenth of a second less).  A key without a
 * record keeps its NULL.
 */
static void runlog_write_heads(struct runlog *rl)
{
    static const char sql[] = "UPDATE key_names SET last_seq = coalesce(esmsim_key_head(key_no),"
                              " last_seq) WHERE run_id = ?";
    rl->head = calloc((size_t)rl->keys + 1, sizeof *rl->head);
    if (!rl->head) {
        if (!rl->failed) {
            rl->failed = true;
            snprintf(rl->error, sizeof rl->error, "%s: the heads of the keys' records:"
                     " out of memory", rl->path);
        }
        return;
    }
    for (uint32_t i = 0; i < rl->key_cap; i++)
        if (rl->key[i].no)
            rl->head[rl->key[i].no] = rl->key[i].last;
    runlog_run_once(rl, sql, "write the heads of the keys' records",
                    RUNLOG_VALS(rv_int(rl->run_id)));
    free(rl->head);
    rl->head = NULL;
}

int runlog_end_run(struct runlog *rl, bool complete, int64_t end_us, double wall_seconds,
                   const char *summary_json, char *err, size_t errlen)
{
    if (rl->run_id == 0) {
        errmsg_set(err, errlen, "%s: no run is open", rl->path);
        return -1;
    }
    /*
     * The rows still pending, the indexes (a complete run only: an
     * incomplete one stops at once, and report and trace read it without
     * them) and the runs row, in one transaction.  After a failure the rows
     * since the last commit may stop in the middle of an event: they are
     * rolled back, end_ms stays that of the last commit, and the runs row is
     * still tried (the disk may have room for one row; not after waiting for
     * a lock in vain), never complete.  The first error is the one reported.
     */
    if (rl->per_record && !rl->failed)
        runlog_write_unsettled(rl);
    if (complete && !rl->failed && (rl->in_txn || runlog_begin(rl) == 0)
        && runlog_flush(rl) == 0 && runlog_exec(rl, RUNLOG_INDEXES, "create indexes") == 0)
        runlog_write_heads(rl);
    bool failed = rl->failed;
    if (failed)
        runlog_rollback(rl);
    if (!rl->locked && (rl->in_txn || runlog_begin(rl) == 0)) {
        static const char sql[] = "UPDATE runs SET complete = ?, end_ms = coalesce(?, end_ms),"
                                  " wall_seconds = ?, summary_json = ? WHERE run_id = ?";
        runlog_run_once(rl, sql, "update runs",
                        RUNLOG_VALS(rv_int(complete && !failed),
                                    rv_opt_ms(failed ? -1 : end_us),   /* NULL: keep */
                                    rv_real(wall_seconds), rv_text(summary_json),
                                    rv_int(rl->run_id)));
        runlog_commit(rl);
    }
    rl->run_id = 0;
    rl->per_record = false;
    return rl->failed ? runlog_report(rl, err, errlen) : 0;
}

/* ------------------------------------------------------------------------ */
/* The summary tables                                                         */

static struct runlog_val rv_u(uint64_t v)
{
    return rv_int((int64_t)v);
}

/* A value that may be absent: NULL unless has. */
static struct runlog_val rv_opt(bool has, int64_t v)
{
    return has ? rv_int(v) : (struct runlog_val){ .type = RV_NULL };
}

static void runlog_figure(struct runlog *rl, const char *prefix, const char *name,
                          struct runlog_val v)
{
    char path[128];
    snprintf(path, sizeof path, "%s.%s", prefix, name);
    RUNLOG_INSERT(rl, RL_SUMMARY_FIGURES, rv_text(path), v);
}

/* An IteratorAge distribution: count, then p50 to max, NULL without values. */
static void runlog_age(struct runlog *rl, const char *prefix, const struct obs_age *a)
{
    runlog_figure(rl, prefix, "count", rv_u(a->count));
    runlog_figure(rl, prefix, "p50", rv_opt(a->count, a->p50));
    runlog_figure(rl, prefix, "p90", rv_opt(a->count, a->p90));
    runlog_figure(rl, prefix, "p99", rv_opt(a->count, a->p99));
    runlog_figure(rl, prefix, "max", rv_opt(a->count, a->max));
}

/* A count object: total, then each name's count. */
static void runlog_counts(struct runlog *rl, const char *prefix, const uint64_t *counts,
                          int n, const char *(*name)(int))
{
    uint64_t total = 0;
    for (int i = 0; i < n; i++)
        total += counts[i];
    runlog_figure(rl, prefix, "total", rv_u(total));
    for (int i = 0; i < n; i++)
        runlog_figure(rl, prefix, name(i), rv_u(counts[i]));
}

static const char *runlog_fate(int i) { return fate_name((enum fate)i); }
static const char *runlog_outcome(int i) { return outcome_name((enum outcome)i); }
static const char *runlog_reason(int i) { return ckpt_reason_name((enum ckpt_reason)i); }
static const char *runlog_condition(int i) { return awsjson_condition_name((enum discard_condition)i); }

static void runlog_examples(struct runlog *rl, const char *kind, const struct obs_example *x,
                            size_t n, bool by_message)
{
    for (size_t i = 0; i < n; i++, x++)
        RUNLOG_INSERT(rl, RL_SUMMARY_EXAMPLES, rv_text(kind), rv_u(i + 1),
                      rv_text(x->partition_key), rv_opt(by_message, (int64_t)x->late.message_id),
                      rv_u(x->late.sequence_number), rv_int(x->late.time_ms),
                      rv_opt(x->late.has_first, x->late.first_delivered_ms),
                      rv_opt(by_message, (int64_t)x->after.message_id),
                      rv_u(x->after.sequence_number), rv_int(x->after.time_ms),
                      rv_opt(x->after.has_first, x->after.first_delivered_ms));
}

static void runlog_spans(struct runlog *rl, const char *chart, const struct obs_span *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        RUNLOG_INSERT(rl, RL_SUMMARY_SERIES, rv_text(chart), rv_u(i + 1), rv_text(chart),
                      rv_int(v[i].from_us), rv_int(v[i].to_us));
}

static void runlog_series(struct runlog *rl, const struct obs_figures *f)
{
    uint64_t n = 0;
    for (size_t i = 0; i < f->n_points; i++) {
        const struct obs_point *p = &f->points[i];
        n = i > 0 && p->chart == f->points[i - 1].chart ? n + 1 : 1;
        RUNLOG_INSERT(rl, RL_SUMMARY_SERIES, rv_text(obs_chart_name(p->chart)), rv_u(n),
                      rv_text(p->series), rv_int(p->minute),
                      p->integer ? rv_int((int64_t)p->value) : rv_real(p->value));
    }
    for (size_t i = 0; i < f->n_reshards; i++)
        RUNLOG_INSERT(rl, RL_SUMMARY_SERIES, rv_text("reshards"), rv_u(i + 1), rv_text("reshard"),
                      rv_int(f->reshard_ms[i]), (struct runlog_val){ .type = RV_NULL });
    runlog_spans(rl, "disabled", f->disabled, f->n_disabled);
    runlog_spans(rl, "failing", f->failing, f->n_failing);
}

void runlog_write_summary(struct runlog *rl, const struct obs_figures *f)
{
    runlog_counts(rl, "messages", f->messages, FATE_COUNT, runlog_fate);
    runlog_counts(rl, "invocations", f->invocations, OUTCOME_COUNT, runlog_outcome);
    runlog_figure(rl, "invocations", "deliveries", rv_u(f->deliveries));
    runlog_figure(rl, "invocations", "oversized", rv_u(f->oversized));
    runlog_figure(rl, "invocations", "concurrent_executions_max",
                  rv_opt(f->has_concurrency, f->concurrency_max));
    runlog_figure(rl, "duplicates", "redelivered_records", rv_u(f->redelivered_records));
    runlog_figure(rl, "duplicates", "redeliveries", rv_u(f->redeliveries));
    runlog_figure(rl, "duplicates", "reprocessed_records", rv_u(f->reprocessed_records));
    runlog_figure(rl, "duplicates", "producer_duplicates", rv_u(f->producer_duplicates));
    runlog_figure(rl, "duplicates", "producer_duplicate_records",
                  rv_u(f->producer_duplicate_records));
    runlog_figure(rl, "order", "by_sequence.violations", rv_u(f->order_by_sequence));
    runlog_figure(rl, "order", "by_producer.violations", rv_u(f->order_by_producer));
    runlog_figure(rl, "retention", "expired_records.value",
                  rv_opt(f->expired_records_max == f->expired_messages,
                         (int64_t)f->expired_messages));
    runlog_figure(rl, "retention", "expired_records.min", rv_u(f->expired_messages));
    runlog_figure(rl, "retention", "expired_records.max", rv_u(f->expired_records_max));
    runlog_figure(rl, "retention", "expired_messages", rv_u(f->expired_messages));
    runlog_counts(rl, "discards.messages", f->discard_messages, 2, runlog_condition);
    runlog_counts(rl, "discards.records", f->discard_records, 2, runlog_condition);
    runlog_counts(rl, "checkpoints", f->checkpoints, CKPT_COUNT, runlog_reason);
    runlog_age(rl, "iterator_age_ms", &f->age);
    runlog_figure(rl, "reads", "get_records_throttled", rv_u(f->read_throttles));
    runlog_figure(rl, "reads", "delay_mean_ms", rv_real(f->read_delay_mean_ms));   /* REAL: a mean */
    runlog_figure(rl, "reads", "delay_max_ms", rv_real(f->read_delay_max_ms));
    for (size_t i = 0; i < f->n_shards; i++) {
        const struct obs_shard *s = &f->shards[i];
        const struct obs_age *a = &s->age;
        RUNLOG_INSERT(rl, RL_SUMMARY_SHARDS, rv_text(s->shard_id), rv_text(s->parent_shard_id),
                      rv_text(s->adjacent_parent_shard_id), rv_opt(s->has_row, s->opened_ms),
                      rv_opt(s->has_closed, s->closed_ms), rv_u(s->invocations),
                      rv_u(s->throttled), rv_u(a->count), rv_opt(a->count, a->p50),
                      rv_opt(a->count, a->p90), rv_opt(a->count, a->p99),
                      rv_opt(a->count, a->max),
                      rv_opt(s->has_oldest, s->oldest_unprocessed_age_max_ms));
    }
    runlog_examples(rl, "by_sequence", f->sequence_examples, f->n_sequence_examples, false);
    runlog_examples(rl, "by_producer", f->producer_examples, f->n_producer_examples, true);
    runlog_series(rl, f);
    for (size_t i = 0; i < f->n_discards_listed; i++) {
        const struct obs_discard *d = &f->discards_listed[i];
        RUNLOG_INSERT(rl, RL_SUMMARY_DISCARDS, rv_u(i + 1), rv_int(d->at_ms), rv_text(d->shard_id),
                      rv_text(awsjson_condition_name(d->condition)),
                      rv_u(d->start_sequence_number), rv_u(d->end_sequence_number),
                      rv_u(d->record_count), rv_u(d->approximate_invoke_count),
                      rv_text(d->destination));
    }
}

void runlog_close(struct runlog *rl)
{
    if (!rl)
        return;
    runlog_rollback(rl);   /* rows since the last sync: maybe not whole events */
    runlog_free(rl);
}

sqlite3 *runlog_db(const struct runlog *rl)
{
    return rl->db;
}
