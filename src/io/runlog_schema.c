/*
 * runlog_schema.c - the tables of the run log (SPEC section 3): each
 * per-run table's columns and the insert statement that fills it, the
 * SPEC's per-record tables as views over their compact rows, and the runs
 * table.  Data only: runlog_open.c creates the tables from it, runlog.c
 * fills them.
 *
 * Times are stored as integer milliseconds of virtual time, sequence
 * numbers and ids as INTEGER (64-bit signed: values from 2^63 up would read
 * back negative; the stream never makes them).
 */
#include <string.h>

#include "runlog.h"
#include "runlog_int.h"

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
const struct runlog_schema runlog_schema[RL_TABLE_COUNT] = {
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
     * (runlogi_write_unsettled), or that ad-hoc SQL wrote without their
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
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", false, true },
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
        " VALUES (?,?,?,?,?)", false, true },
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
        "INSERT INTO metrics (run_id, at_ms, name, shard_id, value) VALUES (?,?,?,?,?)", false, true },
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
 * The INTEGER columns (besides those declared NOT NULL) that esmsim's writer
 * always fills and a reader reads, as "table.column", each table's in the
 * order of its columns: a NULL there is a damaged run log
 * (runread_check_numbers), which SQL would leave out of a sum, a minute or
 * a join unseen.  Every other number column may hold NULL: a time or
 * sequence number there is none of (runs.end_ms of a killed run,
 * shards.closed_ms, invocations.iterator_age_ms, record_rows.key_gap...), a
 * message row without a fate lacks its producer and creation, a figure of
 * no sample (summary_*: rv_opt) has no value.  Left out too, though always
 * written, the columns no reader reads (runs.handler, runs.reproducible,
 * invocations.cold_start, discards.first_arrival_ms and last_arrival_ms,
 * windows') and discards.invocation_id, whose NULL trace reads as a lane
 * the log does not tell (the discard shown on every lane): a NULL there
 * changes no figure, and a hand-made log (the tests') need not write them.
 */
static const char *const runlog_filled[] = {
    "runs.seed", "runs.duration_ms", "runs.per_record_tables",
    "shards.opened_ms",
    "message_rows.bytes",
    "record_rows.shard_no", "record_rows.message_delta", "record_rows.arrival_ms",
    "invocations.invocation_id", "invocations.lane", "invocations.start_ms", "invocations.end_ms",
    "invocations.record_count", "invocations.payload_bytes", "invocations.attempt",
    "checkpoints.at_ms", "checkpoints.sequence_number",
    "discards.at_ms", "discards.start_sequence_number", "discards.end_sequence_number",
    "discards.record_count", "discards.approximate_invoke_count",
    "metrics.at_ms",
    "logs.invocation_id", "logs.line", "logs.at_ms",
    "summary_shards.invocations", "summary_shards.throttled", "summary_shards.age_count",
    "summary_examples.sequence_number", "summary_examples.time_ms",
    "summary_examples.after_sequence_number", "summary_examples.after_time_ms",
    "summary_discards.at_ms", "summary_discards.start_sequence_number",
    "summary_discards.end_sequence_number", "summary_discards.record_count",
    "summary_discards.approximate_invoke_count",
    "summary_series.x",
};

bool runlog_filled_column(const char *table, const char *column)
{
    size_t t = strlen(table);
    for (size_t i = 0; i < sizeof runlog_filled / sizeof runlog_filled[0]; i++)
        if (!strncmp(runlog_filled[i], table, t) && runlog_filled[i][t] == '.' &&
            !strcmp(runlog_filled[i] + t + 1, column))
            return true;
    return false;
}

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

const char *const runlog_views[] = {
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
const size_t runlog_view_count = sizeof runlog_views / sizeof runlog_views[0];

const char runlog_runs_table[] =
    "CREATE TABLE IF NOT EXISTS runs (run_id INTEGER PRIMARY KEY, scenario TEXT, seed INTEGER,"
    " scenario_json TEXT, duration_ms INTEGER, esmsim_version TEXT,"
    " complete INTEGER NOT NULL DEFAULT 0, end_ms INTEGER, per_record_tables INTEGER,"
    " started_at_wall TEXT, wall_seconds REAL, summary_json TEXT, handler INTEGER,"
    " reproducible INTEGER)";
