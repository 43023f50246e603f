/*
 * runlog.c - the SQLite run log of SPEC section 3: one row per shard,
 * message, record, invocation, delivery, checkpoint, discard (with the R6
 * invocation record) and metric sample, every row tagged with its run_id.
 * This file is the row writer: the sink's callbacks, transactions, and the
 * bind-and-step of a row; the tables are runlog_schema.c's, opening a file
 * runlog_open.c's, a run's begin and end runlog_run.c's, the summary tables
 * runlog_summary.c's.
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
 */
#include "runlog.h"
#include "runlog_int.h"

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
#include "prefetch.h"

/* Values of a row that only this file's rows take (runlog_int.h has the rest). */

static inline struct runlog_val rv_null(void)
{
    return (struct runlog_val){ .type = RV_NULL };
}

/* A sequence number, or NULL for none (0: a final window invocation). */
static inline struct runlog_val rv_opt_seq(uint64_t seq)
{
    return seq ? rv_int((int64_t)seq) : (struct runlog_val){ .type = RV_NULL };
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
void runlogi_fail(struct runlog *rl, const char *what)
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
int runlogi_report(const struct runlog *rl, char *err, size_t errlen)
{
    errmsg_set(err, errlen, "%s", rl->error);
    return -1;
}

/* Run SQL text with no result rows; on error latch "PATH: WHAT: message". */
int runlogi_exec(struct runlog *rl, const char *sql, const char *what)
{
    if (sqlite3_exec(rl->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        runlogi_fail(rl, what);
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
int runlogi_begin(struct runlog *rl)
{
    if (runlogi_exec(rl, "BEGIN IMMEDIATE", "begin transaction") != 0)
        return -1;
    rl->in_txn = true;
    rl->rows_in_txn = 0;
    rl->txn_wall_ms = runlogi_wall_ms();
    return 0;
}

/*
 * Waiting for another writer's lock: a look every millisecond, until
 * busy_timeout_ms have passed.  SQLite's own busy_timeout backs off to a look
 * every 100 ms, which would almost never land in the short gap a busy writer
 * leaves between two transactions (see runlog_on_sync).
 */
int runlogi_busy(void *ctx, int count)
{
    struct runlog *rl = ctx;
    int64_t now = runlogi_wall_ms();
    if (count == 0)
        rl->busy_since_ms = now;
    rl->busy_interrupted = rl->interrupt && *rl->interrupt;
    if (rl->busy_interrupted || now - rl->busy_since_ms >= rl->busy_timeout_ms)
        return 0;
    runlog_sleep_ms(1);
    return 1;
}

/* A batch's pending rows, and the texts they took, dropped. */
static void runlog_batch_clear(struct runlog_batch *b)
{
    b->n = 0;
    b->text_used = 0;
}

void runlogi_rollback(struct runlog *rl)
{
    if (rl->in_txn && !sqlite3_get_autocommit(rl->db))
        sqlite3_exec(rl->db, "ROLLBACK", NULL, NULL, NULL);
    rl->in_txn = false;
    rl->rows_in_txn = 0;
    for (int t = 0; t < RL_TABLE_COUNT; t++)
        if (rl->batch[t])
            runlog_batch_clear(rl->batch[t]);
}

int runlogi_commit(struct runlog *rl)
{
    if (!rl->in_txn)
        return 0;
    if (runlogi_flush(rl) != 0) {
        runlogi_rollback(rl);
        return -1;
    }
    rl->in_txn = false;
    rl->rows_in_txn = 0;
    if (sqlite3_get_autocommit(rl->db))
        return 0;   /* SQLite already rolled it back after an error (disk full) */
    if (runlogi_exec(rl, "COMMIT", "commit") != 0) {
        rl->in_txn = true;
        runlogi_rollback(rl);
        return -1;
    }
    return 0;
}

/* Commit the open transaction with runs.end_ms, the virtual time reached
 * at a sync point, so that what is committed ends at a whole event.  0, or
 * -1 with the failure latched. */
int runlogi_commit_at(struct runlog *rl, int64_t reached_us)
{
    static const char sql[] = "UPDATE runs SET end_ms = ? WHERE run_id = ?";
    if (runlogi_run_once(rl, sql, "update runs", RUNLOG_VALS(rv_ms(reached_us),
                                                             rv_int(rl->run_id))) != 0)
        return -1;
    return runlogi_commit(rl);
}

/* Every row goes into a transaction, committed at a sync point only
 * (runlog_on_sync): never in the middle of an event. */
static int runlog_before_row(struct runlog *rl)
{
    if (!rl->in_txn && runlogi_begin(rl) != 0)
        return -1;
    rl->rows_in_txn++;
    rl->at_sync = false;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* One row                                                                    */

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
int runlogi_run_once(struct runlog *rl, const char *sql, const char *what,
                     const struct runlog_val *v, int n)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(rl->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = runlog_bind_step(st, 1, v, n);
    if (rc != SQLITE_OK)
        runlogi_fail(rl, what);   /* before finalize, which may reset the message */
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : -1;
}

/* An insert into t done (rc), st reset; a failure latched first. */
static void runlog_inserted(struct runlog *rl, enum runlog_table t, sqlite3_stmt *st, int rc)
{
    if (rc != SQLITE_OK) {
        char what[64];
        snprintf(what, sizeof what, "insert into %s", runlog_schema[t].name);
        runlogi_fail(rl, what);   /* before reset, which would clear the message */
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
    int rc = sqlite3_bind_int64(b->insert, 1, rl->run_id);
    for (int r = 0; r < RUNLOG_BATCH && rc == SQLITE_OK; r++)
        rc = runlog_bind(b->insert, 2 + r * b->vals, b->v + r * b->vals, b->vals);
    runlog_inserted(rl, t, b->insert, runlog_step(b->insert, rc));
    runlog_batch_clear(b);
}

/* The rows pending of a batched table inserted one by one (a batch not
 * full); after an earlier failure they are dropped. */
static void runlog_flush_batch(struct runlog *rl, enum runlog_table t)
{
    struct runlog_batch *b = rl->batch[t];
    for (int r = 0; r < b->n && !rl->failed; r++)
        runlog_insert_row(rl, t, b->v + r * b->vals, b->vals);
    runlog_batch_clear(b);
}

/* Every row pending in a batch inserted; -1 when one fails. */
int runlogi_flush(struct runlog *rl)
{
    bool failed = rl->failed;
    for (int t = 0; t < RL_TABLE_COUNT; t++)
        if (rl->batch[t])
            runlog_flush_batch(rl, (enum runlog_table)t);
    return rl->failed && !failed ? -1 : 0;
}

/* A row's n values pending in batch b, its texts copied into b's room;
 * false, b unchanged, when they do not fit. */
static bool runlog_batch_add(struct runlog_batch *b, const struct runlog_val *v, int n)
{
    struct runlog_val *row = b->v + b->n * b->vals;
    size_t used = b->text_used;
    for (int i = 0; i < n; i++) {
        row[i] = v[i];
        if (v[i].type != RV_TEXT)
            continue;
        size_t len = strlen(v[i].s) + 1;
        if (len > RUNLOG_BATCH_TEXT - used)
            return false;
        row[i].s = memcpy(b->text + used, v[i].s, len);
        used += len;
    }
    b->text_used = used;
    b->n++;
    return true;
}

/* One row of a per-run table: run_id then the values (a batched table's:
 * every one of its columns). */
void runlogi_insert(struct runlog *rl, enum runlog_table t, const struct runlog_val *v, int n)
{
    if (rl->failed || rl->run_id == 0 || runlog_before_row(rl) != 0)
        return;
    struct runlog_batch *b = rl->batch[t];
    if (b && !runlog_batch_add(b, v, n)) {
        runlog_flush_batch(rl, t);   /* the texts do not fit: the row after those */
        if (rl->failed)
            return;                  /* SQLite may have ended the transaction */
        if (!runlog_batch_add(b, v, n))
            b = NULL;                /* nor alone: it goes in by itself */
    }
    if (!b)
        runlog_insert_row(rl, t, v, n);
    else if (b->n == RUNLOG_BATCH)
        runlog_insert_batch(rl, t);
}

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
void runlogi_write_unsettled(struct runlog *rl)
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
 * (runlogi_busy looks every millisecond, so it gets its turn in the pause).
 */
/* Commit at a sync point; at most once every RUNLOG_COMMIT_MS, then yield the lock. */
/* Commit at a sync point at reached_us; at most once every RUNLOG_COMMIT_MS,
 * then leave the lock free RUNLOG_YIELD_MS (see runlog_on_sync). */
static void runlog_commit_sync(struct runlog *rl, int64_t reached_us, int64_t now)
{
    if (runlogi_commit_at(rl, reached_us) != 0)
        return;
    if (now - rl->yield_wall_ms >= RUNLOG_COMMIT_MS) {
        runlog_sleep_ms(RUNLOG_YIELD_MS);
        rl->yield_wall_ms = runlogi_wall_ms();
    }
}

static void runlog_on_sync(void *ctx, int64_t reached_us)
{
    struct runlog *rl = ctx;
    if (rl->failed || !rl->in_txn || rl->run_id == 0)
        return;
    rl->at_sync = true;
    rl->synced_us = reached_us;
    int64_t now = runlogi_wall_ms();
    if (rl->rows_in_txn < RUNLOG_ROWS_PER_COMMIT && now - rl->txn_wall_ms < RUNLOG_COMMIT_MS)
        return;
    runlog_commit_sync(rl, reached_us, now);
}

/*
 * The relay's thread has written every row it was given, the last of them
 * before a sync point, and waits for more (logthread.c): a commit due later
 * is made now, once the transaction holds RUNLOG_IDLE_COMMIT_ROWS rows, so
 * that the run's end, which the simulation's thread waits for, commits only
 * the rows since.  5 minutes of the bench, tables off: the end's commit
 * wrote the whole run's ~830 pages (4.7-6.3 ms), now 0.3-1.7 ms; the log's
 * thread writes ~40% more pages in all (each commit rewrites the last page
 * of each table).  A cache flush instead (sqlite3_db_cacheflush) saved half
 * of it only: a page written again in the same transaction makes the
 * commit read back every frame since, to checksum them anew.
 */
static void runlog_on_idle(void *ctx)
{
    struct runlog *rl = ctx;
    if (!rl->failed && rl->in_txn && rl->run_id != 0 && rl->at_sync
        && rl->rows_in_txn >= RUNLOG_IDLE_COMMIT_ROWS)
        runlog_commit_sync(rl, rl->synced_us, runlogi_wall_ms());
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
    .idle = runlog_on_idle,
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
