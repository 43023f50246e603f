/*
 * logthread.c - a log sink that hands the simulation's calls to a thread:
 * see logthread.h.
 *
 * Each call becomes an entry in the chunk being filled: a header (its kind
 * and length), the call's struct as it was passed, then the bytes its
 * pointers point to, each pointer replaced by the offset of its copy from
 * the entry's start (0: NULL).  The thread turns the offsets back into
 * pointers in place and passes the struct to the inner sink, so a row costs
 * a copy and no allocation.  A shard id, a producer's name or a partition
 * key is not copied: they keep their content for the run (simlog.h; a sink
 * may know a shard by the address of its id, observer_index.c does), so the
 * pointer itself is passed.  Records, most calls, go as runs of elements
 * instead (a run's rows, or a record's struct as given), and the thread
 * tells the inner sink each one's key a few calls ahead (rows reach a sink
 * that takes runs of them a run at a time, read where they lie in the
 * chunk, replay_rows).
 * LGT_CHUNKS chunks of LGT_CHUNK_BYTES circulate (one being filled, the
 * others queued or being replayed): the queue is bounded to about 4 MiB; an
 * entry larger than a chunk gets a chunk of its own to fit it.  The chunks
 * lie in one block on huge pages (big_alloc): 4 MiB of 4 KiB pages cost
 * ~1,000 page faults (0.35 ms a MiB in the project's VM, 0.03 on huge
 * pages), and the thread faults them in at its start, not the caller at
 * its first writes (a huge page's fault, with its compaction, took the
 * simulation's thread ~1% of 5 minutes of the bench a relay; 1 s of the
 * bench, perf cpu-clock, 20 runs: its thread 12.8-13.5 -> 10.8-11.7 ms a run).
 * Every sync point is replayed, even with no row since the last one: the
 * observer counts them (the memory budget, sim.c).
 *
 * The message table's calls come too, when the simulation relays its table
 * (lgt_relay_msgs, msgtab.h): entries of their own, in the order of the
 * calls and of the sink's, replayed on the table that holds the entries,
 * which logs its settled messages straight to the inner sink on this thread
 * (issue 15: the relay of a settled message cost the simulation's thread 13
 * instructions, 120 M in 5 minutes of the bench; a message the simulation
 * logs itself, which it no longer does, goes as an entry of its own).  A request's
 * messages go as their first id and count (the thread's table gives the
 * same ids: checked), with their rows when the table keeps them; the calls
 * of one id (written, released, ...) as runs of 8-byte elements, the id
 * with the call in its top bits; a set of records done, or of a request's
 * messages delivered when some were not, as its ids.  Once the inner sink
 * failed, the table's entries are still replayed (its figures and budget
 * notes are those of a table called directly), the sink's are not.
 *
 * The queue is two counts, of chunks queued (the simulation's) and of
 * chunks replayed (the thread's), each published by a release the other
 * side acquires: a chunk is queued or taken with no lock (with one, the
 * simulation's thread waited on it tens of times a 5-minute run: the
 * thread held it when it lost its core).  The lock and the conditions are
 * for the sleeps alone.  The thread, faster than the simulation, sleeps
 * whenever the queue is empty, and waking it is a system call on the
 * simulation's thread (a futex wake-up, with the scheduler's work): so the
 * simulation wakes it once LGT_WAKE_AT chunks are queued, not at each one
 * (1 MiB: the other 3 MiB of the queue are left to fill while the woken
 * thread waits for a core on a busy machine, as a wait for it costs the
 * simulation far more than a wake-up).  A chunk queued short of that is
 * replayed at the latest when a sync point comes LGT_EARLY_MS later
 * (on_sync; lgt_set_early for a relay whose caller is not the simulation's
 * thread), at a flush or at the end.  Before it sleeps, the thread tells
 * the inner sink it is idle (slog_ops.idle: the run log commits then, so
 * that little is left for the run's end).  No wake-up is lost: a side that
 * sleeps says so, then looks at the other's count once more; the other
 * changes its count, then looks whether it sleeps; both sequentially
 * consistent, so one of the two sees the other.
 */
#define _DEFAULT_SOURCE   /* madvise */
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/mman.h>

#include "bigmem.h"
#include "logthread.h"
#include "msgtab.h"
#include "prefetch.h"

#define LGT_CHUNKS 8
#define LGT_CHUNK_BYTES ((size_t)1 << 19)   /* half the L2 cache of a core */
#define LGT_WAKE_AT 2                        /* queued chunks that wake the thread */
#define LGT_EARLY_MS 100          /* an idle thread gets a chunk this old (on_sync) */
#define MAX_STRS 5                /* pointer fields of a struct, at most */
#define LGT_PREFETCH_AHEAD 1024   /* bytes of a chunk fetched ahead of its replay: the
                                     simulation's core wrote them */
#define LGT_HINT_AHEAD 8          /* a run's elements whose key is hinted ahead of their
                                     replay */
#define LGT_REPLAY_ROWS 32        /* records of a run replayed in one call of records()
                                     when their keys are hinted */
#define LGT_WRITE_AHEAD 512       /* bytes of a chunk fetched for writing ahead of a run's
                                     element (may pass the chunk's end: a hint only) */

_Static_assert(sizeof(uintptr_t) == sizeof(const char *), "an offset fits a pointer's slot");

enum kind {
    K_SHARD, K_MESSAGE, K_INVOCATION, K_DELIVERIES, K_DELIVERY_RUN, K_CHECKPOINT, K_DISCARD,
    K_METRIC, K_WINDOW, K_LOG_LINE, K_SYNC, K_READ,
    K_RECORDS,                    /* a run of records (struct slog_record) */
    K_ROWS,                       /* a run of rows: struct slog_run, then struct slog_row
                                     each */
    K_MSG_NEW, K_MSG_RUN, K_MSG_SET,    /* the message table's calls (struct a_msg_*) */
    K_MSG_OPS,                    /* a run of its calls of one id (msg_apply) */
    K_NONE,                       /* no run open (lgt.run) */
};

/* An entry's header; the struct follows at HDR, 8-aligned. */
struct hdr {
    uint32_t kind;                /* enum kind */
    uint32_t len;                 /* bytes of the whole entry, a multiple of 8 */
};
#define HDR sizeof(struct hdr)

/* The calls that are not a struct, made structs to be copied alike. */
struct a_deliveries {           /* its n sequence numbers follow it (on_deliveries) */
    uint64_t invocation_id;
    const char *shard_id;
    uint32_t n;
    bool handled;
};
struct a_delivery_run {
    uint64_t invocation_id;
    const char *shard_id;
    uint64_t first, last;
    uint32_t n;
};
struct a_checkpoint {
    const char *shard_id;
    int64_t at_us;
    uint64_t sequence_number;
    enum ckpt_reason reason;
};
struct a_metric {
    int64_t at_us;
    const char *name;
    const char *shard_id;         /* NULL: stream-wide */
    double value;
};
struct a_sync {
    int64_t reached_us;
};
struct a_msg_new {              /* its n rows (struct msg_born) follow it when rows */
    const char *producer;
    uint64_t first;
    uint32_t n;
    bool rows;
};
struct a_msg_run {
    uint64_t first;
    uint32_t n;
};
struct a_msg_set {              /* its n ids follow it */
    uint32_t n;
    uint32_t op;                  /* a fate, or MSG_DELIVERED */
};
#define OP_ID_MAX ((UINT64_C(1) << (64 - MSG_OP_BITS)) - 1)   /* a K_MSG_OPS element's id */

/*
 * A record as an element of a run (K_RECORDS): consecutive calls make one
 * entry (its header's len written when the run ends, run_end), elements
 * with no header of their own: its struct slog_record as given (its key's
 * name as the pointer, which keeps its content for the run, simlog.h), so
 * that the thread passes the inner sink the elements where they lie (issue
 * 15: a copy of 48-byte elements into rows of 64 cost the observer's thread
 * more than the simulation's 16 bytes more a record).  Rows alike (K_ROWS),
 * after their run's struct: the calls of records whose runs continue one
 * another (the same arrival, the next sequence numbers) make one entry.
 */
_Static_assert(sizeof(struct slog_record) % 8 == 0, "elements are a multiple of 8 bytes");
_Static_assert(sizeof(struct slog_row) % 8 == 0 && sizeof(struct slog_run) % 8 == 0,
               "rows and their run's struct are multiples of 8 bytes");
#define ROWS_HEAD (HDR + sizeof(struct slog_run))   /* a K_ROWS entry's bytes before its rows */

/* The pointer fields of each kind's struct: copied after it, offsets in
 * between (shard ids and producers' names are not: see above). */
#define OFFS(...) { .at = (const size_t[]){ __VA_ARGS__ }, \
                    .n = sizeof((const size_t[]){ __VA_ARGS__ }) / sizeof(size_t) }
static const struct ptrs {
    const size_t *at;
    size_t n;
} ptrs_of[] = {
    [K_SHARD] = OFFS(offsetof(struct slog_shard, parent_shard_id),
                     offsetof(struct slog_shard, adjacent_parent_shard_id),
                     offsetof(struct slog_shard, starting_hash_key),
                     offsetof(struct slog_shard, ending_hash_key)),
    [K_MESSAGE] = OFFS(offsetof(struct slog_message, partition_key)),
    [K_INVOCATION] = OFFS(offsetof(struct slog_invocation, error)),
    [K_DELIVERIES] = { NULL, 0 },   /* the array is copied apart (on_deliveries) */
    [K_DELIVERY_RUN] = { NULL, 0 },
    [K_CHECKPOINT] = { NULL, 0 },
    [K_DISCARD] = OFFS(offsetof(struct slog_discard, function_error),
                       offsetof(struct slog_discard, destination), offsetof(struct slog_discard, function_arn),
                       offsetof(struct slog_discard, stream_arn)),
    [K_METRIC] = OFFS(offsetof(struct a_metric, name)),
    /* the strings; counts and keys are copied apart (on_window) */
    [K_WINDOW] = OFFS(offsetof(struct slog_window, shard_id), offsetof(struct slog_window, state_json),
                      offsetof(struct slog_window, counts), offsetof(struct slog_window, keys)),
    [K_LOG_LINE] = OFFS(offsetof(struct slog_line, request_id), offsetof(struct slog_line, kind),
                        offsetof(struct slog_line, text)),
    [K_SYNC] = { NULL, 0 },
    [K_READ] = { NULL, 0 },
    [K_RECORDS] = { NULL, 0 },      /* runs: their elements hold no string */
    [K_ROWS] = { NULL, 0 },
    [K_MSG_NEW] = { NULL, 0 },      /* the rows are copied apart (on_msg_new) */
    [K_MSG_RUN] = { NULL, 0 },
    [K_MSG_SET] = { NULL, 0 },      /* the ids are copied apart (on_msg_set) */
    [K_MSG_OPS] = { NULL, 0 },
};

struct chunk {
    unsigned char *buf;           /* in lgt.slab, or malloc'd when grown: 16-aligned */
    size_t len, cap;              /* bytes used, bytes allocated */
    bool grown;                   /* buf is its own */
};

struct lgt {
    struct slog inner;            /* the sink the thread writes to */
    struct slog_ops ops;          /* the decorator's: inner's optional calls kept optional */
    struct chunk chunks[LGT_CHUNKS];
    unsigned char *slab;          /* the chunks' LGT_CHUNK_BYTES each, in order */
    unsigned fill;                /* the chunk the simulation fills: queued % LGT_CHUNKS */
    enum kind run;                /* the kind of the last entry of the chunk being filled,
                                     when it is a run that may grow; else K_NONE */
    uint32_t run_at;              /* that entry's offset in the chunk */
    struct msgtab *msgs;          /* the message table the thread replays calls on, or NULL */
    int64_t handed_ms;            /* wall clock when the last chunk was queued */
    int64_t early_ms;             /* LGT_EARLY_MS, or lgt_set_early's */

    pthread_t thread;
    pthread_mutex_t mu;           /* for the sleeps, and closing */
    pthread_cond_t more;          /* to the thread: a chunk was queued, or closing */
    pthread_cond_t freed;         /* to the simulation: the thread is done with a chunk */
    _Atomic uint64_t queued;      /* chunks queued; chunk i is chunks[i % LGT_CHUNKS] */
    _Atomic uint64_t replayed;    /* chunks the thread is done with */
    atomic_bool asleep;           /* the thread waits on more, or is about to */
    atomic_bool waiting;          /* the simulation waits on freed, or is about to */
    atomic_bool closing;          /* set under mu: nothing more will be queued */
    bool joined;
    atomic_bool failed;           /* inner's failed(), as the thread saw it last */
    int (*start)(void *ctx);      /* the thread's first job (lgt_create_after), or NULL */
    void *start_ctx;
    int start_rc;                 /* under mu: start's result, once started */
    bool started;                 /* under mu */
};

static size_t round8(size_t n) { return (n + 7) & ~(size_t)7; }

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the simulation's side --------------------------------------------- */

/* The run being grown, if any, ends: its header gets its length (not
 * updated an element at a time: a read-modify-write of the chunk each). */
static void run_end(struct lgt *t)
{
    if (t->run == K_NONE)
        return;
    const struct chunk *c = &t->chunks[t->fill];
    uint32_t len = (uint32_t)(c->len - t->run_at);
    memcpy(c->buf + t->run_at + offsetof(struct hdr, len), &len, sizeof len);
    t->run = K_NONE;
}

/* Signal cond to the other side, which said it sleeps on it: its lock
 * taken first, so that it is in its wait, not between its last look and
 * the wait (where a signal would be lost); signalled after the unlock, so
 * that it does not wake to find the lock still held and sleep on it once
 * more. */
static void wake(struct lgt *t, pthread_cond_t *cond)
{
    pthread_mutex_lock(&t->mu);
    pthread_mutex_unlock(&t->mu);
    pthread_cond_signal(cond);
}

/* Wake the thread if it sleeps (once a sleep: asleep is reset here). */
static void wake_thread(struct lgt *t)
{
    if (atomic_load(&t->asleep) && atomic_exchange(&t->asleep, false))
        wake(t, &t->more);
}

/* Wait until the thread has replayed chunk n - 1, woken first. */
static void wait_replayed(struct lgt *t, uint64_t n)
{
    wake_thread(t);
    pthread_mutex_lock(&t->mu);
    atomic_store(&t->waiting, true);   /* then one more look (the protocol, above) */
    while (atomic_load(&t->replayed) < n)
        pthread_cond_wait(&t->freed, &t->mu);
    atomic_store(&t->waiting, false);
    pthread_mutex_unlock(&t->mu);
}

/* Queue the chunk being filled and take the next one, waiting while every
 * chunk is queued (the writer is behind).  The thread is woken when now,
 * or when LGT_WAKE_AT chunks are queued. */
static void hand_over(struct lgt *t, bool now)
{
    run_end(t);
    uint64_t queued = atomic_load_explicit(&t->queued, memory_order_relaxed) + 1;
    atomic_store(&t->queued, queued);   /* sequentially consistent: before the look at asleep */
    uint64_t replayed = atomic_load_explicit(&t->replayed, memory_order_acquire);
    if (now || queued - replayed >= LGT_WAKE_AT)
        wake_thread(t);
    if (queued - replayed == LGT_CHUNKS)   /* the next chunk to fill is queued still */
        wait_replayed(t, queued - LGT_CHUNKS + 1);
    t->fill = (t->fill + 1) % LGT_CHUNKS;
    t->chunks[t->fill].len = 0;
    t->run = K_NONE;
    t->handed_ms = wall_ms();
}

/* Room for an entry of len bytes (a multiple of 8) of kind k in the chunk
 * being filled, its header written; NULL when out of memory (the row is
 * lost and the run marked failed, as the run log does with a row it cannot
 * write). */
static unsigned char *make_room(struct lgt *t, size_t len)
{
    struct chunk *c = &t->chunks[t->fill];
    if (c->len > 0) {
        hand_over(t, false);
        c = &t->chunks[t->fill];
    }
    if (len > c->cap) {   /* an entry larger than a chunk: grow this one (empty) */
        unsigned char *grown = len <= UINT32_MAX ? malloc(len) : NULL;
        if (!grown) {
            atomic_store(&t->failed, true);
            return NULL;
        }
        if (c->grown)
            free(c->buf);
        c->buf = grown;
        c->cap = len;
        c->grown = true;
    }
    return c->buf;
}

static inline unsigned char *reserve(struct lgt *t, enum kind k, size_t len)
{
    struct chunk *c = &t->chunks[t->fill];
    if (c->len + len > c->cap && !make_room(t, len))   /* the chunk is full: the next one */
        return NULL;
    c = &t->chunks[t->fill];
    unsigned char *e = c->buf + c->len;
    struct hdr h = { .kind = k, .len = (uint32_t)len };
    memcpy(e, &h, HDR);
    run_end(t);   /* a run is grown only while it is the last entry */
    t->run_at = (uint32_t)c->len;
    c->len += len;
    return e;
}

/* A new run entry of kind k, its first element's place; NULL when out of
 * memory. */
static unsigned char *run_start(struct lgt *t, enum kind k, size_t stride)
{
    unsigned char *e = reserve(t, k, HDR + stride);
    if (!e)
        return NULL;
    t->run = k;
    return e + HDR;
}

/* Room for one more element of stride bytes at the end of the run of kind
 * k being grown, at *el; false when there is none (no such run, or the
 * chunk is full): the caller then starts one out of its own path, so that
 * its common path calls nothing and saves no register.  The chunk's lines a
 * few elements on are fetched for writing: the writer's core read them
 * last. */
static inline bool run_next(struct lgt *t, enum kind k, size_t stride, unsigned char **el)
{
    struct chunk *c = &t->chunks[t->fill];
    if (t->run != k || c->len + stride > c->cap)
        return false;
    *el = c->buf + c->len;
    PREFETCH_W(*el + LGT_WRITE_AHEAD);
    c->len += stride;
    return true;
}

/* The string of pointer field off of struct s. */
static const char *str_at(const void *s, size_t off)
{
    const char *p;
    memcpy(&p, (const char *)s + off, sizeof p);
    return p;
}

/* Copy bytes n of p into entry e at *at and leave its offset in e's pointer
 * slot at slot. */
static void put_bytes(unsigned char *e, size_t *at, size_t slot, const void *p, size_t n)
{
    uintptr_t off = 0;
    if (p) {
        memcpy(e + *at, p, n);
        off = *at;
        *at += round8(n);
    }
    memcpy(e + slot, &off, sizeof off);
}

/* Enqueue a call of kind k: struct s of size bytes, its strings after it.
 * Inlined: most calls are of a kind with no string, or none set (a record
 * without its key's name), and of a size known at the call. */
static inline void put(struct lgt *t, enum kind k, const void *s, size_t size)
{
    const size_t *strs = ptrs_of[k].at, n_strs = ptrs_of[k].n;
    size_t lens[MAX_STRS], len = HDR + round8(size);
    for (size_t i = 0; i < n_strs; i++) {
        const char *p = str_at(s, strs[i]);
        lens[i] = p ? strlen(p) + 1 : 0;
        len += round8(lens[i]);
    }
    unsigned char *e = reserve(t, k, len);
    if (!e)
        return;
    memcpy(e + HDR, s, size);
    size_t at = HDR + round8(size);
    for (size_t i = 0; i < n_strs; i++)
        put_bytes(e, &at, HDR + strs[i], str_at(s, strs[i]), lens[i]);
}

static void on_shard(void *ctx, const struct slog_shard *s)
{
    put(ctx, K_SHARD, s, sizeof *s);
}

/* A record the run being grown cannot take: the first element of a new
 * run.  Apart from on_record (see run_next). */
static __attribute__((noinline)) void record_run(struct lgt *t, const struct slog_record *r)
{
    unsigned char *el = run_start(t, K_RECORDS, sizeof *r);
    if (el)
        memcpy(el, r, sizeof *r);
}

static void on_message(void *ctx, const struct slog_message *m)
{
    put(ctx, K_MESSAGE, m, sizeof *m);
}

static void on_record(void *ctx, const struct slog_record *r)
{
    struct lgt *t = ctx;
    unsigned char *el;
    if (run_next(t, K_RECORDS, sizeof *r, &el))
        memcpy(el, r, sizeof *r);
    else
        record_run(t, r);
}

/* Whether the rows of run may follow those of the run being grown: a run
 * of rows (K_ROWS) of the same arrival, run's first sequence number the one
 * after its last. */
static bool rows_continue(const struct lgt *t, const struct slog_run *run)
{
    if (t->run != K_ROWS)
        return false;
    const struct chunk *c = &t->chunks[t->fill];
    struct slog_run open;
    memcpy(&open, c->buf + t->run_at + HDR, sizeof open);
    uint64_t n = (c->len - t->run_at - ROWS_HEAD) / sizeof(struct slog_row);
    return open.arrival_us == run->arrival_us &&
           open.first_sequence_number + n == run->first_sequence_number;
}

/* Room for the rows of run in the chunk being filled (slog_ops.lend):
 * where the run being grown takes its next row, when run continues it, or
 * where a new run's first would lie (after its header and run, not written
 * yet: nothing changes until records comes), the chunk handed over first
 * when it has no room for one. */
static struct slog_row *on_lend(void *ctx, const struct slog_run *run, uint32_t *n)
{
    struct lgt *t = ctx;
    const size_t stride = sizeof(struct slog_row);
    struct chunk *c = &t->chunks[t->fill];
    size_t head = rows_continue(t, run) ? 0 : ROWS_HEAD;
    if (c->len + head + stride > c->cap) {
        if (!make_room(t, ROWS_HEAD + stride))
            return NULL;
        c = &t->chunks[t->fill];
        head = ROWS_HEAD;
    }
    size_t room = (c->cap - c->len - head) / stride;
    *n = room < UINT32_MAX ? (uint32_t)room : UINT32_MAX;
    return (struct slog_row *)(void *)(c->buf + c->len + head);
}

/* Rows of run written in place, in the room on_lend gave for it: the run
 * being grown grown by them, or a new one's header and run written before
 * them (issue 15: a copy cost the simulation's thread 14 instructions a
 * record, on_records 67 M in 5 minutes of the bench); false when they lie
 * elsewhere. */
static bool rows_in_place(struct lgt *t, const struct slog_run *run, const struct slog_row *rows,
                          uint32_t n)
{
    struct chunk *c = &t->chunks[t->fill];
    const unsigned char *at = (const unsigned char *)rows;
    const size_t bytes = (size_t)n * sizeof *rows;
    if (at == c->buf + c->len && rows_continue(t, run)) {
        c->len += bytes;
        return true;
    }
    if (at != c->buf + c->len + ROWS_HEAD)
        return false;
    unsigned char *e = reserve(t, K_ROWS, ROWS_HEAD + bytes);   /* lent: the chunk has room */
    memcpy(e + HDR, run, sizeof *run);
    t->run = K_ROWS;
    return true;
}

/* A run of records (the stream's, a request's): written in place, or else
 * copied into the room on_lend gives, a chunk's room at a time. */
static void on_records(void *ctx, const struct slog_run *run, const struct slog_row *rows,
                       uint32_t n)
{
    struct lgt *t = ctx;
    if (rows_in_place(t, run, rows, n))
        return;
    struct slog_run part = *run;
    while (n > 0) {
        uint32_t room;
        struct slog_row *at = on_lend(t, &part, &room);
        if (!at)
            return;   /* out of memory: failed */
        uint32_t k = n < room ? n : room;
        memcpy(at, rows, k * sizeof *rows);
        rows_in_place(t, &part, at, k);
        rows += k;
        n -= k;
        part.first_sequence_number += k;
    }
}

static void on_invocation(void *ctx, const struct slog_invocation *inv)
{
    put(ctx, K_INVOCATION, inv, sizeof *inv);
}

/* An entry of kind k: struct s of size bytes, then n 8-byte words, 8-aligned
 * as the entry (a batch's run is at most 80 KB, and a larger one gets a
 * chunk grown to fit, make_room). */
static void put_words(struct lgt *t, enum kind k, const void *s, size_t size,
                      const uint64_t *words, uint32_t n)
{
    size_t at = HDR + round8(size), bytes = (size_t)n * sizeof *words;
    unsigned char *e = reserve(t, k, at + bytes);
    if (!e)
        return;
    memcpy(e + HDR, s, size);
    memcpy(e + at, words, bytes);
}

/* A run of deliveries: its struct, then its sequence numbers (one entry, 8
 * bytes a record). */
static void on_deliveries(void *ctx, uint64_t invocation_id, const char *shard_id,
                          const uint64_t *sequence_numbers, uint32_t n, bool handled)
{
    struct a_deliveries d = { invocation_id, shard_id, n, handled };
    put_words(ctx, K_DELIVERIES, &d, sizeof d, sequence_numbers, n);
}

static void on_delivery_run(void *ctx, uint64_t invocation_id, const char *shard_id,
                            uint64_t first, uint64_t last, uint32_t n)
{
    struct a_delivery_run d = { invocation_id, shard_id, first, last, n };
    put(ctx, K_DELIVERY_RUN, &d, sizeof d);
}

static void on_checkpoint(void *ctx, const char *shard_id, int64_t at_us,
                          uint64_t sequence_number, enum ckpt_reason reason)
{
    struct a_checkpoint c = { shard_id, at_us, sequence_number, reason };
    put(ctx, K_CHECKPOINT, &c, sizeof c);
}

static void on_discard(void *ctx, const struct slog_discard *d)
{
    put(ctx, K_DISCARD, d, sizeof *d);
}

static void on_metric(void *ctx, int64_t at_us, const char *name, const char *shard_id,
                      double value)
{
    struct a_metric m = { at_us, name, shard_id, value };
    put(ctx, K_METRIC, &m, sizeof m);
}

static void on_log_line(void *ctx, const struct slog_line *l)
{
    put(ctx, K_LOG_LINE, l, sizeof *l);
}

/* A window's struct, its two strings, its counts, and its keys: an array of
 * offsets (made pointers by the thread) and the strings they point to. */
static void on_window(void *ctx, const struct slog_window *w)
{
    struct lgt *t = ctx;
    const size_t *strs = ptrs_of[K_WINDOW].at;   /* the first two: the strings */
    size_t lens[2], len = HDR + round8(sizeof *w);
    for (size_t i = 0; i < 2; i++) {
        const char *p = str_at(w, strs[i]);
        lens[i] = p ? strlen(p) + 1 : 0;
        len += round8(lens[i]);
    }
    size_t n = w->keys || w->counts ? w->n_keys : 0;
    len += (w->counts ? n * sizeof *w->counts : 0) + (w->keys ? n * sizeof(uintptr_t) : 0);
    for (size_t i = 0; w->keys && i < n; i++)
        len += round8(strlen(w->keys[i]) + 1);
    unsigned char *e = reserve(t, K_WINDOW, len);
    if (!e)
        return;
    memcpy(e + HDR, w, sizeof *w);
    size_t at = HDR + round8(sizeof *w);
    for (size_t i = 0; i < 2; i++)
        put_bytes(e, &at, HDR + strs[i], str_at(w, strs[i]), lens[i]);
    put_bytes(e, &at, HDR + offsetof(struct slog_window, counts), w->counts,
              n * sizeof *w->counts);
    uintptr_t keys_at = w->keys ? at : 0;   /* room for the offsets, filled below */
    memcpy(e + HDR + offsetof(struct slog_window, keys), &keys_at, sizeof keys_at);
    if (w->keys)
        at += n * sizeof(uintptr_t);
    for (size_t i = 0; w->keys && i < n; i++)
        put_bytes(e, &at, keys_at + i * sizeof(uintptr_t), w->keys[i], strlen(w->keys[i]) + 1);
}

/* A sync point is where the run log may commit (by wall time): an idle
 * thread gets the chunk once LGT_EARLY_MS have passed since the last chunk
 * went, or a stretch of events that log few rows (a producer resending into
 * throttles) would keep its commits in a half-filled chunk for minutes, and
 * a killed run would lose them (the run log commits within a bounded wall
 * time, README).  Not sooner: a thread woken for a part of a chunk costs
 * both threads more than it saves (a wake-up every 256 events made the
 * observer's thread cost more than it took off the simulation's). */
static void on_sync(void *ctx, int64_t reached_us)
{
    struct lgt *t = ctx;
    struct a_sync s = { reached_us };
    put(t, K_SYNC, &s, sizeof s);
    if (wall_ms() - t->handed_ms >= t->early_ms && atomic_load(&t->asleep))
        hand_over(t, true);   /* maybe with chunks queued short of LGT_WAKE_AT */
}

static void on_read(void *ctx, const struct slog_read *rd)
{
    put(ctx, K_READ, rd, sizeof *rd);
}

static bool on_failed(void *ctx)
{
    return atomic_load(&((struct lgt *)ctx)->failed);
}

/* ---- the message table's calls (msgtab.h's struct msg_relay_ops) ---------- */

/* A request's messages: their first id and count, and room for their rows
 * after them when the table keeps rows. */
static struct msg_born *on_msg_new(void *ctx, const char *producer, uint64_t first, uint32_t n,
                                   bool rows)
{
    struct a_msg_new a = { producer, first, n, rows };
    size_t at = HDR + round8(sizeof a);
    unsigned char *e = reserve(ctx, K_MSG_NEW, at + (rows ? (size_t)n * sizeof(struct msg_born) : 0));
    if (!e)
        return NULL;
    memcpy(e + HDR, &a, sizeof a);
    return rows ? (struct msg_born *)(void *)(e + at) : NULL;
}

/* A call of one id that the run being grown cannot take: a new run. */
static __attribute__((noinline)) void op_run(struct lgt *t, uint64_t v)
{
    unsigned char *el = run_start(t, K_MSG_OPS, sizeof v);
    if (el)
        memcpy(el, &v, sizeof v);
}

/* A call of one id: the id (below 2^60: ids count messages) with the call
 * in its top bits. */
static void on_msg_op(void *ctx, uint64_t id, enum msg_op op)
{
    struct lgt *t = ctx;
    uint64_t v = id | (uint64_t)op << (64 - MSG_OP_BITS);
    unsigned char *el;
    if (run_next(t, K_MSG_OPS, sizeof v, &el))
        memcpy(el, &v, sizeof v);
    else
        op_run(t, v);
}

static void on_msg_run(void *ctx, uint64_t first, uint32_t n)
{
    struct a_msg_run r = { first, n };
    put(ctx, K_MSG_RUN, &r, sizeof r);
}

static void on_msg_set(void *ctx, const uint64_t *ids, uint32_t n, enum msg_op op)
{
    struct a_msg_set d = { n, (uint32_t)op };
    put_words(ctx, K_MSG_SET, &d, sizeof d, ids, n);
}

static const struct msg_relay_ops msg_ops = {
    .new_request = on_msg_new, .op = on_msg_op, .delivered_run = on_msg_run,
    .set = on_msg_set,
};

/* ---- the writer thread ------------------------------------------------- */

/* Turn the offset in entry e's pointer slot at off (from the struct's
 * start) back into a pointer into e; a slot holding 0 is NULL already. */
static inline void fix_at(unsigned char *e, size_t off)
{
    uintptr_t at;
    memcpy(&at, e + HDR + off, sizeof at);
    if (at) {
        const void *p = e + at;
        memcpy(e + HDR + off, &p, sizeof p);
    }
}

/* Every pointer field of entry e of kind k (the rare kinds: a loop). */
static void fix(unsigned char *e, enum kind k)
{
    for (size_t i = 0; i < ptrs_of[k].n; i++)
        fix_at(e, ptrs_of[k].at[i]);
}

/* A run of records: the structs the simulation passed, in order, where
 * they lie in the chunk, a call each, each one's hint (if the sink takes
 * them) just before the call LGT_HINT_AHEAD before its own. */
static void replay_records(const struct slog *s, const struct slog_record *recs, size_t n)
{
    const struct slog_ops *o = s->ops;
    for (size_t i = 0; i < n; i++) {
        if (o->key_ahead && i + LGT_HINT_AHEAD < n)
            o->key_ahead(s->ctx, recs[i + LGT_HINT_AHEAD].key_id);
        o->record(s->ctx, &recs[i]);
    }
}

/* A run of rows where they lie in the chunk.  A sink that takes no hint
 * gets them in one call of records() (the observer, the run log's sink
 * with tables off); else they go to a sink that takes runs LGT_REPLAY_ROWS
 * at a time, or a call each, each one's hint just before the call
 * LGT_HINT_AHEAD before its own. */
static void replay_rows(const struct slog *s, const struct slog_run *run,
                        const struct slog_row *rows, size_t n)
{
    const struct slog_ops *o = s->ops;
    if (!o->key_ahead) {
        slog_records(o, s->ctx, run, rows, (uint32_t)n);   /* a chunk holds fewer */
        return;
    }
    const size_t most = o->records ? LGT_REPLAY_ROWS : 1;
    for (size_t i = 0; i < n;) {
        size_t m = n - i < most ? n - i : most;
        for (size_t j = i; j < i + m && j + LGT_HINT_AHEAD < n; j++)
            o->key_ahead(s->ctx, rows[j + LGT_HINT_AHEAD].key_id);
        const struct slog_run part = { .first_sequence_number = run->first_sequence_number + i,
                                       .arrival_us = run->arrival_us };
        slog_records(o, s->ctx, &part, rows + i, (uint32_t)m);
        i += m;
    }
}

/* A request's messages, made by the thread's table with the ids the
 * simulation gave them (unless the table ran out of memory before: the
 * relay failed then). */
static void replay_msg_new(struct lgt *t, const unsigned char *p)
{
    const struct a_msg_new *a = (const void *)p;
    const struct msg_born *b = a->rows ? (const void *)(p + round8(sizeof *a)) : NULL;
    uint64_t first = msg_created(t->msgs) + 1;
    if (msg_new_born(t->msgs, a->producer, b, a->n) < a->n)
        atomic_store(&t->failed, true);
    assert(first == a->first || atomic_load(&t->failed));
    (void)first;
}

/* A run of the table's calls of one id. */
static void replay_msg_ops(struct msgtab *m, const unsigned char *el, size_t n)
{
    for (size_t i = 0; i < n; i++, el += sizeof(uint64_t)) {
        uint64_t v;
        memcpy(&v, el, sizeof v);
        msg_apply(m, v & OP_ID_MAX, (enum msg_op)(v >> (64 - MSG_OP_BITS)));
    }
}

/* Call the inner sink for entry e of kind k (a run: a call for each of
 * its elements), or the message table.  The kinds of every record (its
 * message, its deliveries) fix their one field, if any, inline. */
static void replay(struct lgt *t, unsigned char *e, enum kind k)
{
    const struct slog *s = &t->inner;
    const struct slog_ops *o = s->ops;
    void *p = e + HDR;
    struct hdr h;
    memcpy(&h, e, HDR);
    switch (k) {
    case K_RECORDS:
        replay_records(s, p, (h.len - HDR) / sizeof(struct slog_record));
        break;
    case K_ROWS: {
        struct slog_run run;
        memcpy(&run, p, sizeof run);
        replay_rows(s, &run, (const struct slog_row *)(const void *)(e + ROWS_HEAD),
                    (h.len - ROWS_HEAD) / sizeof(struct slog_row));
        break;
    }
    case K_MSG_NEW:
        replay_msg_new(t, p);
        break;
    case K_MSG_OPS:
        replay_msg_ops(t->msgs, p, (h.len - HDR) / sizeof(uint64_t));
        break;
    case K_MSG_RUN: {
        const struct a_msg_run *r = p;
        msg_delivered_run(t->msgs, r->first, r->n);
        break;
    }
    case K_MSG_SET: {
        const struct a_msg_set *d = p;
        const uint64_t *ids = (const uint64_t *)(e + HDR + round8(sizeof *d));
        if (d->op == MSG_DELIVERED)
            msg_delivered_ids(t->msgs, ids, d->n);
        else
            msg_records_done(t->msgs, ids, d->n, (enum fate)d->op);
        break;
    }
    case K_NONE:   /* never an entry's */
        break;
    case K_SHARD:
        fix(e, k);
        o->shard(s->ctx, p);
        break;
    case K_MESSAGE:
        fix_at(e, offsetof(struct slog_message, partition_key));
        o->message(s->ctx, p);
        break;
    case K_INVOCATION:
        fix_at(e, offsetof(struct slog_invocation, error));
        o->invocation(s->ctx, p);
        break;
    case K_DELIVERIES: {
        const struct a_deliveries *d = p;
        const uint64_t *seqs = (const uint64_t *)(e + HDR + round8(sizeof *d));
        o->deliveries(s->ctx, d->invocation_id, d->shard_id, seqs, d->n, d->handled);
        break;
    }
    case K_DELIVERY_RUN: {
        const struct a_delivery_run *d = p;
        o->delivery_run(s->ctx, d->invocation_id, d->shard_id, d->first, d->last, d->n);
        break;
    }
    case K_CHECKPOINT: {
        const struct a_checkpoint *c = p;
        o->checkpoint(s->ctx, c->shard_id, c->at_us, c->sequence_number, c->reason);
        break;
    }
    case K_DISCARD:
        fix(e, k);
        o->discard(s->ctx, p);
        break;
    case K_METRIC: {
        fix_at(e, offsetof(struct a_metric, name));
        const struct a_metric *m = p;
        o->metric(s->ctx, m->at_us, m->name, m->shard_id, m->value);
        break;
    }
    case K_WINDOW: {
        fix(e, k);
        struct slog_window *w = p;
        const char **keys = (const char **)w->keys;   /* in e: offsets still */
        for (uint32_t i = 0; keys && i < w->n_keys; i++) {
            uintptr_t off;
            memcpy(&off, &keys[i], sizeof off);
            keys[i] = (const char *)e + off;
        }
        o->window(s->ctx, w);
        break;
    }
    case K_LOG_LINE:
        fix(e, k);
        o->log_line(s->ctx, p);
        break;
    case K_SYNC:
        if (o->sync)
            o->sync(s->ctx, ((const struct a_sync *)p)->reached_us);
        break;
    case K_READ:
        o->read(s->ctx, p);
        break;
    }
}

/* Replay chunk c.  Once the inner sink failed it drops every row: the
 * sink's entries are skipped, the table's are not. */
static void replay_chunk(struct lgt *t, const struct chunk *c)
{
    for (size_t at = 0; at < c->len;) {
        PREFETCH(c->buf + at + LGT_PREFETCH_AHEAD);
        struct hdr h;
        memcpy(&h, c->buf + at, HDR);
        bool table = h.kind >= K_MSG_NEW && h.kind <= K_MSG_OPS;
        if (table || !atomic_load(&t->failed))
            replay(t, c->buf + at, (enum kind)h.kind);
        at += h.len;
    }
}

/* Whether a chunk is queued, once one is or the queue is closed (asleep
 * meanwhile, the lock held only around the sleep). */
static bool await_chunk(struct lgt *t, uint64_t replayed)
{
    if (atomic_load_explicit(&t->queued, memory_order_acquire) > replayed)
        return true;
    if (t->inner.ops->idle && !atomic_load(&t->failed) && !atomic_load(&t->closing))
        t->inner.ops->idle(t->inner.ctx);   /* not at the end: the caller does it then */
    pthread_mutex_lock(&t->mu);
    atomic_store(&t->asleep, true);   /* then one more look (the protocol, above) */
    while (atomic_load(&t->queued) == replayed && !atomic_load(&t->closing))
        pthread_cond_wait(&t->more, &t->mu);
    atomic_store(&t->asleep, false);
    bool more = atomic_load(&t->queued) > replayed;
    pthread_mutex_unlock(&t->mu);
    return more;
}

static void *writer(void *arg)
{
    struct lgt *t = arg;
#ifdef MADV_POPULATE_WRITE
    /* The chunks' pages faulted in here, not where the caller first writes
     * them (a hint, which an older kernel refuses; it changes no byte, so
     * the caller may write meanwhile). */
    madvise(t->slab, LGT_CHUNKS * LGT_CHUNK_BYTES, MADV_POPULATE_WRITE);
#endif
    int rc = t->start ? t->start(t->start_ctx) : 0;
    if (rc != 0)   /* the inner sink is not there: what comes is dropped */
        atomic_store(&t->failed, true);
    pthread_mutex_lock(&t->mu);
    t->start_rc = rc;
    t->started = true;
    pthread_mutex_unlock(&t->mu);
    pthread_cond_broadcast(&t->freed);
    for (uint64_t replayed = 0; await_chunk(t, replayed);) {
        replay_chunk(t, &t->chunks[replayed % LGT_CHUNKS]);
        if (t->inner.ops->failed(t->inner.ctx))
            atomic_store(&t->failed, true);
        atomic_store(&t->replayed, ++replayed);   /* sequentially consistent: before the
                                                     look at waiting */
        if (atomic_load(&t->waiting))
            wake(t, &t->freed);
    }
    return NULL;
}

/* ---- life cycle -------------------------------------------------------- */

struct lgt *lgt_create(const struct slog *inner)
{
    return lgt_create_after(inner, NULL, NULL);
}

struct lgt *lgt_create_after(const struct slog *inner, int (*start)(void *ctx), void *ctx)
{
    struct lgt *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->start = start;
    t->start_ctx = ctx;
    if (pthread_mutex_init(&t->mu, NULL) != 0) {
        free(t);
        return NULL;
    }
    pthread_cond_init(&t->more, NULL);
    pthread_cond_init(&t->freed, NULL);
    t->inner = *inner;
    t->joined = true;   /* nothing to join until the thread runs */
    t->handed_ms = wall_ms();
    t->early_ms = LGT_EARLY_MS;
    t->run = K_NONE;
    atomic_init(&t->failed, false);
    atomic_init(&t->queued, 0);
    atomic_init(&t->replayed, 0);
    atomic_init(&t->asleep, false);
    atomic_init(&t->waiting, false);
    atomic_init(&t->closing, false);
    const struct slog_ops *in = inner->ops;
    t->ops = (struct slog_ops){
        .shard = on_shard, .message = on_message, .record = on_record, .records = on_records,
        .lend = on_lend,
        .invocation = on_invocation, .deliveries = on_deliveries,
        .delivery_run = in->delivery_run ? on_delivery_run : NULL, .checkpoint = on_checkpoint,
        .discard = on_discard, .metric = on_metric,
        .window = in->window ? on_window : NULL, .log_line = in->log_line ? on_log_line : NULL,
        .sync = on_sync, .failed = on_failed, .read = in->read ? on_read : NULL,
    };
    size_t bytes = LGT_CHUNKS * LGT_CHUNK_BYTES;
    _Static_assert(LGT_CHUNKS * LGT_CHUNK_BYTES % BIG_PAGE == 0, "whole huge pages");
    if (!(t->slab = big_alloc(bytes))) {
        lgt_destroy(t);
        return NULL;
    }
    for (int i = 0; i < LGT_CHUNKS; i++)
        t->chunks[i] = (struct chunk){ .buf = t->slab + i * LGT_CHUNK_BYTES, .cap = LGT_CHUNK_BYTES };
    if (pthread_create(&t->thread, NULL, writer, t) != 0) {
        lgt_destroy(t);
        return NULL;
    }
    t->joined = false;
    return t;
}

int lgt_started(struct lgt *t)
{
    pthread_mutex_lock(&t->mu);
    while (!t->started)
        pthread_cond_wait(&t->freed, &t->mu);
    int rc = t->start_rc;
    pthread_mutex_unlock(&t->mu);
    return rc;
}

void lgt_set_early(struct lgt *t, unsigned ms)
{
    t->early_ms = ms;
}

struct slog lgt_sink(struct lgt *t)
{
    return (struct slog){ .ops = &t->ops, .ctx = t, .per_record = t->inner.per_record,
                          .no_key_names = t->inner.no_key_names,
                          .fates_only = t->inner.fates_only,
                          .event = t->inner.event, .event_ctx = t->inner.event_ctx };
}

/* Queue the chunk being filled, however little it holds, and wait until
 * the thread has replayed the oldest chunk queued (or none is). */
void lgt_flush(struct lgt *t)
{
    if (!t || t->joined)
        return;
    if (t->chunks[t->fill].len > 0)
        hand_over(t, true);
    uint64_t replayed = atomic_load(&t->replayed);
    if (atomic_load_explicit(&t->queued, memory_order_relaxed) > replayed)
        wait_replayed(t, replayed + 1);   /* those queued short of LGT_WAKE_AT, maybe */
}

void lgt_finish(struct lgt *t)
{
    if (!t || t->joined)
        return;
    run_end(t);
    pthread_mutex_lock(&t->mu);
    if (t->chunks[t->fill].len > 0)   /* the last chunk: the thread may take it, nothing is
                                         filled after */
        atomic_store(&t->queued, atomic_load_explicit(&t->queued, memory_order_relaxed) + 1);
    atomic_store(&t->closing, true);
    pthread_mutex_unlock(&t->mu);
    pthread_cond_signal(&t->more);
    pthread_join(t->thread, NULL);
    t->joined = true;
}

bool lgt_relay_msgs(struct lgt *t, struct msgtab *msgs)
{
    return (t->msgs = msg_relay(msgs, &msg_ops, t)) != NULL;
}

/* ---- as a relay (simlog.h) ---------------------------------------------- */

static bool relay_attach(void *ctx, const struct slog *inner, struct slog *out)
{
    struct lgt **t = ctx;
    if (!(*t = lgt_create(inner)))
        return false;
    *out = lgt_sink(*t);
    return true;
}

static bool relay_attach_msgs(void *ctx, struct msgtab *msgs)
{
    return lgt_relay_msgs(*(struct lgt **)ctx, msgs);
}

static void relay_flush(void *ctx)
{
    lgt_flush(*(struct lgt **)ctx);
}

static void relay_detach(void *ctx)
{
    lgt_finish(*(struct lgt **)ctx);
}

struct slog_relay lgt_relay(struct lgt **t)
{
    *t = NULL;
    return (struct slog_relay){ .ctx = t, .attach = relay_attach, .attach_msgs = relay_attach_msgs,
                                .flush = relay_flush, .detach = relay_detach };
}

void lgt_destroy(struct lgt *t)
{
    if (!t)
        return;
    lgt_finish(t);
    pthread_cond_destroy(&t->more);
    pthread_cond_destroy(&t->freed);
    pthread_mutex_destroy(&t->mu);
    for (int i = 0; i < LGT_CHUNKS; i++)
        if (t->chunks[i].grown)
            free(t->chunks[i].buf);
    free(t->slab);
    free(t);
}
