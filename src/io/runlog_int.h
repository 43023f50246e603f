/*
 * runlog_int.h - what the files of the run log share (not a public face:
 * runlog.h is): the tables (runlog_schema.c), the runlog struct, a row's
 * values, and the row writer's functions (runlog.c) that opening
 * (runlog_open.c), a run's begin and end (runlog_run.c) and the summary
 * tables (runlog_summary.c) call.
 */
#ifndef ESMSIM_RUNLOG_INT_H
#define ESMSIM_RUNLOG_INT_H

#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

enum runlog_table {
    RL_SHARDS, RL_SHARD_NAMES, RL_KEY_NAMES, RL_PRODUCER_NAMES, RL_MESSAGES, RL_RECORDS,
    RL_INVOCATIONS, RL_DELIVERIES, RL_CHECKPOINTS, RL_DISCARDS, RL_METRICS, RL_WINDOWS, RL_LOGS,
    RL_SUMMARY_FIGURES, RL_SUMMARY_SHARDS, RL_SUMMARY_EXAMPLES, RL_SUMMARY_DISCARDS,
    RL_SUMMARY_SERIES, RL_TABLE_COUNT
};

/* ---- runlog_schema.c: the tables ------------------------------------------ */

/* A per-run table (runlog_schema says what each field holds). */
struct runlog_schema {
    const char *name;
    const char *columns;
    const char *insert;
    bool rowless;
    bool batched;   /* rows inserted RUNLOG_BATCH at a time */
};
extern const struct runlog_schema runlog_schema[RL_TABLE_COUNT];
extern const char *const runlog_views[];
extern const size_t runlog_view_count;
extern const char runlog_runs_table[];

/* ---- the run log ------------------------------------------------------------ */

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
 * The rows of the tables written every event or record (runlog_schema's
 * batched ones: the per-record tables, and invocations, checkpoints and
 * metrics, the only rows with the tables off) go in RUNLOG_BATCH at a time,
 * by one insert of that many rows (VALUES (...), (...), ...): SQLite's work
 * a statement (its program started and halted, its cursors opened and
 * closed, its bindings cleared) is then paid once a batch, where it was
 * about half of a row's (5 minutes of the bench, tables off: the log's
 * thread 314 M instructions in 57,680 inserts of a row).  A batch's texts
 * are copied into its own room (a text of the sink lasts for the call
 * only); a row whose texts do not fit goes in alone, after the rows before
 * it.  The rows of a batch not full go in one by one before a commit and
 * before the indexes (runlogi_flush); a rollback drops them with the rest.
 * A table's rows go in in the order given, so a rowid table's rowids are
 * those of one insert a row; only the order of the tables' pages changes.
 */
#define RUNLOG_BATCH 32
#define RUNLOG_BATCH_TEXT 4096               /* bytes of a batch's copied texts */

struct runlog_batch {
    sqlite3_stmt *insert;                    /* RUNLOG_BATCH rows */
    int vals;                                /* a row's values, run_id apart */
    int n;                                   /* rows pending */
    size_t text_used;                        /* bytes of text taken by the rows pending */
    char text[RUNLOG_BATCH_TEXT];
    struct runlog_val v[];                   /* RUNLOG_BATCH rows of vals values */
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
 * (runlogi_write_unsettled), so that its records keep their key and size.
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
    bool ckpt_off;                           /* SQLite's checkpoint after a commit off until
                                                runlogi_ckpt_join (runlog_run.c) */
    bool ckpt_started;                       /* ckpt runs, or ran: to join */
    pthread_t ckpt;                          /* the checkpointer of a run's end */
    uint32_t rows_in_txn;
    bool at_sync;                            /* no row since the last sync point */
    int64_t synced_us;                       /* the last sync point's virtual time */
    int64_t txn_wall_ms;                     /* wall clock when the transaction began */
    int64_t yield_wall_ms;                   /* wall clock of the last yield to other writers */
    int64_t busy_timeout_ms;                 /* how long to wait for another writer's lock */
    int64_t busy_since_ms;                   /* wall clock when the current wait began */
    const volatile sig_atomic_t *interrupt;  /* ends a wait for the lock; NULL: none */
    bool busy_interrupted;                   /* the last wait ended by *interrupt */
    bool made;                               /* runlog_connect created the file, this */
    struct stat made_st;                     /* one: runlog_free removes it unless kept */
                                             /* (or it holds a run) */
    bool kept;                               /* the open succeeded: a run log, or a run */
    bool failed;                             /* latched: every later row is dropped */
    bool locked;                             /* the failure: another writer's lock */
    char error[512];                         /* the first failure */
};

/* A monotonic wall clock in ms, for the commit policy and lock waits only:
 * it never reaches a row (SPEC 6). */
static inline int64_t runlogi_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- one row's values --------------------------------------------------------- */

static inline struct runlog_val rv_int(int64_t i)
{
    return (struct runlog_val){ .type = RV_INT, .i = i };
}

static inline struct runlog_val rv_real(double r)
{
    return (struct runlog_val){ .type = RV_REAL, .r = r };
}

/* A text, or NULL for a missing one (no parent shard, stream-wide metric). */
static inline struct runlog_val rv_text(const char *s)
{
    return (struct runlog_val){ .type = s ? RV_TEXT : RV_NULL, .s = s };
}

/* Virtual microseconds to the milliseconds of the contract (floor). */
static inline int64_t runlogi_ms(int64_t us)
{
    return us >= 0 ? us / 1000 : -((-us + 999) / 1000);
}

static inline struct runlog_val rv_ms(int64_t us)
{
    return rv_int(runlogi_ms(us));
}

/* A time that may be absent (-1): milliseconds, or NULL. */
static inline struct runlog_val rv_opt_ms(int64_t us)
{
    return us < 0 ? (struct runlog_val){ .type = RV_NULL } : rv_ms(us);
}

/* Count of a compound-literal array of values; sizeof does not evaluate them. */
#define RUNLOG_VALS(...) \
    (const struct runlog_val[]){ __VA_ARGS__ }, \
    (int)(sizeof((struct runlog_val[]){ __VA_ARGS__ }) / sizeof(struct runlog_val))

/* ---- runlog.c: errors, transactions, rows, the sink --------------------------- */

void runlogi_fail(struct runlog *rl, const char *what);
int runlogi_report(const struct runlog *rl, char *err, size_t errlen);
int runlogi_exec(struct runlog *rl, const char *sql, const char *what);
int runlogi_begin(struct runlog *rl);
int runlogi_busy(void *ctx, int count);
void runlogi_rollback(struct runlog *rl);
int runlogi_commit(struct runlog *rl);
int runlogi_commit_at(struct runlog *rl, int64_t reached_us);
int runlogi_flush(struct runlog *rl);
int runlogi_run_once(struct runlog *rl, const char *sql, const char *what,
                     const struct runlog_val *v, int n);
void runlogi_insert(struct runlog *rl, enum runlog_table t, const struct runlog_val *v, int n);
#define RUNLOG_INSERT(rl, t, ...) runlogi_insert((rl), (t), RUNLOG_VALS(__VA_ARGS__))
void runlogi_write_unsettled(struct runlog *rl);

/* ---- runlog_run.c: esmsim_key_head, which opening defines; the end's
 * checkpointer, which a run's begin and closing join --------------------------- */

int runlogi_define_key_head(struct runlog *rl);
void runlogi_ckpt_join(struct runlog *rl);

#endif
