/*
 * msgtab.c - produced messages and their fates (R17).
 *
 * Each entry counts its holders: the producer, until it lets go, and every
 * stream record made of it, until the record leaves the stream.  Entries
 * sit in a ring indexed by message id; the ring's base moves past finished
 * messages, so memory follows the oldest message still in flight.
 *
 * An entry is three: a state byte (the whole state of nearly every
 * message: new, delivered, settled with its fate) in one ring, what its
 * holders change (struct msg, 8 bytes) in a second, read only for a
 * message that leaves those common states (written while its producer
 * holds it, let go unwritten, a duplicate: one in 130 in 5 minutes of the
 * bench), and what only its row reads (struct msg_row, 24 bytes) in a
 * third, all of the same indexes.  A shard's batch finishes messages that
 * sit about one in every shard-count ids apart, about ten thousand ids
 * after the newest: each is a cache miss unless that stretch of the ring
 * is still in the cache, which of bytes it is eight times as often as of
 * 8-byte entries (issue 15: the observer's thread's samples in msgtab's
 * functions 239 -> 168 a run, its clear_page_erms 185 -> 91, perf; 840 ->
 * 828 M instructions, callgrind).  A sink that reads of a message its id
 * and fate alone (fates_only, the observer with tables off), or no message
 * (per_record off), has no rows' ring at all.  The producer is an index in
 * a small table of the producers' names, which is what makes the row fit.
 * A key's name comes from the key table, but on a relay's thread, which may
 * not read it (the simulation's thread adds keys): there the relay brings
 * each message's key's name, kept in a table by key id (key_names).
 * A set of records that leave the stream together (msg_records_done) asks
 * for their rows, when the log reads them, ahead of their use, so that
 * those misses overlap.
 *
 * A relayed table (msg_relay) is a front: it holds no entry (closed, so
 * that every call finds none, and the check that finds none sends it to the
 * relay: a table called directly pays nothing for it), gives the ids, and
 * hands each call to the relay; the back, the table msg_relay returned,
 * holds the entries and is given the calls on the relay's thread.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "bigmem.h"
#include "grow.h"
#include "keytab.h"
#include "msgtab.h"
#include "prefetch.h"
#include "stream.h"
#include "syncnotes.h"

#define FATE_NONE FATE_COUNT
/* Rows (and state bytes) msg_records_done asks for ahead of their use: far
 * enough for a load from memory to arrive, near enough to stay in the
 * cache. */
#define PREFETCH_AHEAD 16

/* One message's state, in full. */
struct msg {
    uint32_t holds;        /* producer (1 until released) + records in the stream */
    uint8_t written;       /* records of it that reached the stream, up to 2 (more are
                              counted 2: only none, one and a duplicate matter) */
    uint8_t best;          /* best fate among its finished records, or FATE_NONE */
    uint8_t done;
};

/* A message's state byte: one of the few states nearly every message
 * passes through, or ST_FULL: its struct msg holds it. */
enum {
    ST_FRESH = 0,          /* { holds 1, best FATE_NONE }: its producer's alone */
    ST_ALONE = 1,          /* { holds 1, written 1, best FATE_NONE }: its one record's */
    ST_FULL = 0x40,        /* see its struct msg (and ST_DONE when it is settled) */
    ST_DONE = 0x80,        /* settled; but for ST_FULL, with fate f in the low bits:
                              { written 1, best f, done 1 } */
};
_Static_assert((int)FATE_COUNT < (int)ST_FULL, "a fate fits beside ST_DONE");
#define ALL_DONE 0x8080808080808080u   /* ST_DONE in each byte of a word */
#define ALL_FRESH (ST_FRESH * 0x0101010101010101u)
#define ALL_ALONE (ST_ALONE * 0x0101010101010101u)

/* The struct msg that state byte s stands for (not ST_FULL). */
static inline struct msg unpacked(uint8_t s)
{
    if (s & ST_DONE)
        return (struct msg){ .written = 1, .best = (uint8_t)(s & ~ST_DONE), .done = 1 };
    return (struct msg){ .holds = 1, .written = s == ST_ALONE, .best = FATE_NONE };
}

/* What a message's row has beyond its state. */
struct msg_row {
    int64_t created_us;
    uint32_t bytes;
    uint32_t key_id;
    uint32_t producer;     /* its name is producers[producer] */
};
_Static_assert(sizeof(struct msg_row) == 24, "the rows' ring");

/* What the run's memory budget (sim.c) counts a message's slot: the 40
 * bytes an entry took before it was 32 (8 + 24; now 1 + 8 + 24), so that a run stops where it did
 * (the budget is the scenario's figure; counting a little more is safe). */
#define BUDGET_BYTES 40
#define FIRST_CAP 1024     /* a new table's ring */

struct msgtab {
    struct slog log;       /* a copy: msg_log_off alone changes it */
    const struct keytab *keys;   /* NULL on a relay's thread (the back): key_names */
    const char **key_names;      /* the back's: by key id, the names the relay brought */
    size_t key_names_cap;
    uint8_t *state;        /* state[id & mask] for ids in [base, next), 64-byte aligned */
    struct msg *ring;      /* ring[id & mask] likewise, read only where state is ST_FULL */
    struct msg_row *rows;  /* rows[id & mask] likewise; NULL: the log reads no row */
    uint64_t mask;
    uint64_t room;         /* entries the rings' memory holds (mask + 1 up to it: in place) */
    uint64_t base, next;   /* ids: oldest unfinished, next to give */
    uint64_t counts[FATE_COUNT];
    uint64_t duplicated;
    const char **producers;   /* borrowed names, in the order first seen */
    uint32_t n_producers, producers_cap;
    uint32_t last_producer;   /* the index make() gave last: mostly the next one's */
    bool names;            /* the log reads the keys' names */
    bool finished;         /* msg_finish ran: later calls are ignored */
    bool closed;           /* finished, or relayed: entry() finds none */

    /* Relayed (msg_relay): the calls go to relay, next is the next id to
     * give; the rest but log, keys and names is the back's. */
    const struct msg_relay_ops *relay;
    void *relay_ctx;
    struct msgtab *back;   /* the table the relay gives the calls to */
    bool relay_rows;       /* the back keeps rows: the relay carries them */

    /* msg_sync's notes, the ring's bytes and base (written by the thread
     * the table's calls are made on, read by the simulation's,
     * msg_budget_bytes) */
    struct sync_notes notes;
};

/* The rings' room for cap entries and their next two doublings (in place,
 * grow), at least a huge page of the state's (big_alloc: in 4 KiB pages,
 * each doubling into a new ring, the 8 MiB they took first were touched in
 * a fifth of the page faults of 5 minutes of the bench), the rows' only
 * when with_rows (only what the rings reach is touched); -1 when out of
 * memory. */
static int rings_alloc(struct msgtab *t, uint64_t cap, bool with_rows,
                       uint8_t **state, struct msg **ring, struct msg_row **rows)
{
    uint64_t room = 4 * cap > BIG_PAGE / sizeof **ring ? 4 * cap : BIG_PAGE / sizeof **ring;
    *state = big_alloc(room);
    *ring = big_alloc(room * sizeof **ring);
    *rows = with_rows ? big_alloc(room * sizeof **rows) : NULL;
    if (*state && *ring && (*rows || !with_rows)) {
        t->room = room;
        return 0;
    }
    free(*state);
    free(*ring);
    free(*rows);
    *state = NULL;
    *ring = NULL;
    *rows = NULL;
    return -1;
}

struct msgtab *msg_create(const struct slog *log, const struct keytab *keys)
{
    struct msgtab *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->log = *log;
    t->keys = keys;
    t->mask = FIRST_CAP - 1;
    /* per_record only ever turns off, fates_only never changes (sim.c) */
    if (rings_alloc(t, t->mask + 1, log->per_record && !log->fates_only, &t->state, &t->ring,
                    &t->rows) < 0) {
        msg_destroy(t);
        return NULL;
    }
    t->names = t->rows && !log->no_key_names;
    t->base = t->next = 1;
    sync_notes_init(&t->notes);
    return t;
}

void msg_destroy(struct msgtab *t)
{
    if (!t)
        return;
    msg_destroy(t->back);
    free(t->key_names);
    free(t->state);
    free(t->ring);
    free(t->rows);
    free(t->producers);
    free(t);
}

/* Message id's struct msg, made from its state byte first unless ST_FULL,
 * which the byte is from then on (id in [base, next)). */
static struct msg *full(struct msgtab *t, uint64_t id)
{
    uint8_t *s = &t->state[id & t->mask];
    struct msg *m = &t->ring[id & t->mask];
    if (!(*s & ST_FULL)) {
        *m = unpacked(*s);
        *s = ST_FULL | (*s & ST_DONE);
    }
    return m;
}

/* Whether the table holds message id's entry. */
static inline bool known(const struct msgtab *t, uint64_t id)
{
    return !t->closed && id >= t->base && id < t->next;
}

static struct msg *entry(struct msgtab *t, uint64_t id)
{
    return known(t, id) ? full(t, id) : NULL;
}

/* Double the rings, keeping every live id at id & mask: in place while
 * their room holds it, else moved whole to a new room first.  Of the
 * struct msg ring only the entries in use (ST_FULL, about one message in
 * 130 in 5 minutes of the bench) move: the rest of it is never touched, and
 * copied whole it was faulted in twice over (clear_page_erms under
 * make_room and ring_double, the observer's thread: 12 -> 59 samples a run
 * with the copy, perf). */
static int grow(struct msgtab *t)
{
    uint64_t cap = t->mask + 1, mask = 2 * cap - 1;
    uint8_t *state = t->state;
    struct msg *ring = t->ring;
    struct msg_row *rows = t->rows;
    if (2 * cap > t->room) {
        if (rings_alloc(t, 2 * cap, t->rows != NULL, &state, &ring, &rows) < 0)
            return -1;
        memcpy(state, t->state, cap);
        if (rows)
            memcpy(rows, t->rows, cap * sizeof *rows);
    }
    ring_double(state, 1, cap, t->base, t->next);
    if (rows)
        ring_double(rows, sizeof *rows, cap, t->base, t->next);
    for (uint64_t id = t->base; id < t->next; id++)   /* to slots from cap up: no overlap */
        if (state[id & mask] & ST_FULL)
            ring[id & mask] = t->ring[id & (cap - 1)];
    if (state != t->state) {
        free(t->state);
        free(t->ring);
        free(t->rows);
        t->state = state;
        t->ring = ring;
        t->rows = rows;
    }
    t->mask = mask;
    return 0;
}

/* The index of producer's name, added if new; UINT32_MAX when out of
 * memory.  A run has a few producers: a look along the table. */
static uint32_t producer_index(struct msgtab *t, const char *producer)
{
    for (uint32_t i = 0; i < t->n_producers; i++)
        if (t->producers[i] == producer)
            return i;
    if (t->n_producers == t->producers_cap) {
        uint32_t cap = t->producers_cap ? t->producers_cap * 2 : 4;
        const char **v = realloc(t->producers, cap * sizeof *v);
        if (!v)
            return UINT32_MAX;
        t->producers = v;
        t->producers_cap = cap;
    }
    t->producers[t->n_producers] = producer;
    return t->n_producers++;
}

/* Room for a message more in the rings, and producer's index in
 * last_producer: the ring grown, the index found.  Rare: -1 when out of
 * memory. */
COLD static int make_room(struct msgtab *t, const char *producer)
{
    if (t->next - t->base > t->mask && grow(t) < 0)
        return -1;
    uint32_t p = producer_index(t, producer);
    if (p == UINT32_MAX)
        return -1;
    t->last_producer = p;
    return 0;
}

/* The name of key key_id, to log or to relay: NULL when the log reads none. */
static inline const char *name_of(const struct msgtab *t, uint32_t key_id)
{
    if (!t->names)
        return NULL;
    return t->keys ? keytab_key(t->keys, key_id) : t->key_names[key_id];
}

/* The back keeps the name of each key the relay brings, by its id; -1 when
 * out of memory. */
static int note_names(struct msgtab *t, const struct msg_born *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t id = b[i].key_id;
        if (id >= t->key_names_cap) {
            size_t cap = t->key_names_cap ? t->key_names_cap : 1024;
            while (cap <= id)
                cap *= 2;
            const char **v = realloc(t->key_names, cap * sizeof *v);
            if (!v)
                return -1;
            t->key_names = v;
            t->key_names_cap = cap;
        }
        t->key_names[id] = b[i].key;
    }
    return 0;
}

/* Of the ring's entries from id's on, how many lie in a row before the
 * ring's end, up to n. */
static inline uint64_t stretch(uint64_t mask, uint64_t id, uint64_t n)
{
    uint64_t to_end = mask + 1 - (id & mask);
    return n < to_end ? n : to_end;
}

/* Entries of ids [id, id + n) new, held by their producer: a fill of each
 * stretch of their state bytes (msg_new_born with no rows, its 4.8 M
 * messages in 5 minutes of the bench). */
static void fill_new(uint8_t *state, uint64_t mask, uint64_t id, uint64_t n)
{
    while (n > 0) {
        uint64_t k = stretch(mask, id, n);
        memset(&state[id & mask], ST_FRESH, k);
        id += k;
        n -= k;
    }
}

/*
 * n new messages, each held by its producer, its row from e[i] (each id
 * into its message_id unless numbered: there already) or b[i] when the
 * table keeps rows: one call a request (issue 15 item 1).  Inline in its
 * callers, e or b NULL.  The ring, its mask and the next id in locals:
 * the stores into e could alias them.  Returns how many it made (fewer
 * when out of memory).
 */
static inline __attribute__((always_inline)) uint32_t
make(struct msgtab *t, const char *producer, struct stm_put_entry *e, const struct msg_born *b,
     uint32_t n, bool numbered)
{
    uint32_t i = 0;
    while (i < n) {
        uint32_t p = t->last_producer;
        if (t->next - t->base > t->mask || p >= t->n_producers || t->producers[p] != producer) {
            if (make_room(t, producer) < 0)
                return i;
            p = t->last_producer;
        }
        uint8_t *state = t->state;
        struct msg_row *rows = t->rows;
        uint64_t mask = t->mask, id = t->next;
        uint64_t room = mask + 1 - (id - t->base);
        uint32_t end = n - i < room ? n : i + (uint32_t)room;
        if (!e && !rows) {   /* the back with no rows: only the entries */
            fill_new(state, mask, id, end - i);
            id += end - i;
            i = end;
        }
        for (; i < end; i++, id++) {
            state[id & mask] = ST_FRESH;
            if (e && !numbered)
                e[i].message_id = id;
            if (rows && e)
                rows[id & mask] = (struct msg_row){
                    .created_us = e[i].created_us, .bytes = e[i].bytes, .key_id = e[i].key_id,
                    .producer = p };
            else if (rows && b)
                rows[id & mask] = (struct msg_row){
                    .created_us = b[i].created_us, .bytes = b[i].bytes, .key_id = b[i].key_id,
                    .producer = p };
        }
        t->next = id;
    }
    return n;
}

/* msg_new_request of a relayed table: the ids given here (into e unless
 * numbered), the request handed to the relay with its rows when the back
 * keeps them.  Numbered entries and no rows (the bench's tables off), the
 * entries are not read at all: the loop over them was 5 instructions a
 * message, 24 M in 5 minutes of the bench, 2.4% of the simulation's
 * thread (callgrind: that thread 1,022 -> 1,008 M). */
static inline __attribute__((always_inline)) uint32_t
relay_new(struct msgtab *t, const char *producer, struct stm_put_entry *e, uint32_t n,
          bool numbered)
{
    uint64_t id = t->next;
    struct msg_born *b = t->relay->new_request(t->relay_ctx, producer, id, n, t->relay_rows);
    t->next = id + n;
    if (numbered && !b)
        return n;
    for (uint32_t i = 0; i < n; i++, id++) {
        if (!numbered)
            e[i].message_id = id;
        if (b)
            b[i] = (struct msg_born){ .created_us = e[i].created_us, .key = name_of(t, e[i].key_id),
                                      .key_id = e[i].key_id, .bytes = e[i].bytes };
    }
    return n;
}

uint32_t msg_new_request(struct msgtab *t, const char *producer,
                         struct stm_put_entry *e, uint32_t n)
{
    if (t->relay)
        return relay_new(t, producer, e, n, false);
    return make(t, producer, e, NULL, n, false);
}

uint64_t msg_next_id(const struct msgtab *t) { return t->next; }

uint32_t msg_new_numbered(struct msgtab *t, const char *producer,
                          struct stm_put_entry *e, uint32_t n)
{
    assert(n == 0 || e[0].message_id == t->next);
    if (t->relay)
        return relay_new(t, producer, e, n, true);
    return make(t, producer, e, NULL, n, true);
}

uint32_t msg_new_born(struct msgtab *t, const char *producer, const struct msg_born *b, uint32_t n)
{
    if (b && t->names && note_names(t, b, n) < 0)
        return 0;
    return make(t, producer, NULL, b, n, false);
}

uint64_t msg_new(struct msgtab *t, const char *producer, uint32_t key_id,
                 uint32_t bytes, int64_t created_us)
{
    struct stm_put_entry e = { .created_us = created_us, .key_id = key_id, .bytes = bytes };
    return msg_new_request(t, producer, &e, 1) ? e.message_id : 0;
}

/* A relayed table not finished: its calls go to the relay. */
static inline bool relays(const struct msgtab *t)
{
    return t->relay && !t->finished;
}

/* A call of one id (or of none) to the relay, if relays.  Reached by a
 * table called directly only for an id it does not know. */
static void relay_op(struct msgtab *t, uint64_t id, enum msg_op op)
{
    if (relays(t))
        t->relay->op(t->relay_ctx, id, op);
}

/* What the log reads of a settled message (it changes only between
 * events: sim.c turns per_record off when a run stops). */
enum wants { WANTS_NOTHING, WANTS_FATE, WANTS_ROW };

static enum wants log_wants(const struct msgtab *t)
{
    if (!t->log.per_record)
        return WANTS_NOTHING;
    return t->rows ? WANTS_ROW : WANTS_FATE;   /* no rows: fates_only */
}

/* Message id, its final fate in msg->fate, as the log wants it (w:
 * log_wants, which a caller logging many finds once), in *msg: the
 * caller's, zeroed at first, in which only what the log reads is written
 * (a fate alone: two stores, or one while it stays, and nothing to clear
 * again message after message). */
static inline void log_settled(struct msgtab *t, struct slog_message *msg, uint64_t id,
                               enum wants w)
{
    if (w == WANTS_NOTHING)
        return;
    msg->message_id = id;
    if (w == WANTS_ROW) {
        const struct msg_row *r = &t->rows[id & t->mask];
        msg->producer = t->producers[r->producer];
        msg->partition_key = name_of(t, r->key_id);
        msg->key_id = r->key_id;
        msg->created_us = r->created_us;
        msg->bytes = r->bytes;
    }
    t->log.ops->message(t->log.ctx, msg);
}

/* log_settled of message id with final fate f. */
static inline void log_message(struct msgtab *t, struct slog_message *msg, uint64_t id,
                               enum fate f, enum wants w)
{
    msg->fate = f;
    log_settled(t, msg, id, w);
}

/* m's (message id's, ST_FULL) fate f is final: counted; the caller logs
 * it (log_message). */
static inline void mark_settled(struct msgtab *t, uint64_t id, struct msg *m, enum fate f)
{
    m->done = 1;
    t->state[id & t->mask] |= ST_DONE;
    t->counts[f]++;
}

/* Move the base past the messages settled at its front.  Only the
 * oldest's end moves it: the base's entry is never done (while base <
 * next), so nothing else can let it pass.  It passes a word of eight
 * state bytes at a time where all are done (aligned: a ring's size is a
 * power of 2 from FIRST_CAP): a base that waits on one shard's batch
 * passes every other shard's messages at once, 6 instructions an entry
 * one by one (issue 15 item 1). */
static void pass_settled(struct msgtab *t)
{
    const uint8_t *state = t->state;
    uint64_t base = t->base, next = t->next, mask = t->mask;   /* in registers */
    while (base < next && base % 8 && state[base & mask] & ST_DONE)
        base++;
    for (; next - base >= 8 && base % 8 == 0; base += 8) {
        uint64_t w;
        memcpy(&w, &state[base & mask], sizeof w);
        if ((w & ALL_DONE) != ALL_DONE)
            break;
    }
    while (base < next && state[base & mask] & ST_DONE)
        base++;
    t->base = base;
}

static void settle(struct msgtab *t, uint64_t id, struct msg *m, enum fate f)
{
    mark_settled(t, id, m, f);
    log_message(t, &(struct slog_message){ 0 }, id, f, log_wants(t));
    if (id == t->base)
        pass_settled(t);
}

/* One of m's records finished with fate f: the message keeps the best. */
static inline void note_fate(struct msg *m, enum fate f)
{
    if (f < m->best)
        m->best = (uint8_t)f;
}

/* The fate of a message nobody holds any more: its best record's, or
 * rejected when none of its records reached the stream. */
static inline enum fate final_fate(const struct msg *m)
{
    return m->written ? (enum fate)m->best : FATE_REJECTED;
}

static void release(struct msgtab *t, uint64_t id, struct msg *m)
{
    if (--m->holds == 0)
        settle(t, id, m, final_fate(m));
}

/* One more record of m's in the stream: whether it is its second, which
 * makes it a producer duplicate.  Its first, by far the most, in a compare
 * and a store. */
static inline bool second_written(struct msg *m)
{
    if (m->written == 0) {
        m->written = 1;
        return false;
    }
    return m->written < 2 && ++m->written == 2;
}

static inline void count_written(struct msgtab *t, struct msg *m)
{
    t->duplicated += second_written(m);
}

void msg_written(struct msgtab *t, uint64_t id)
{
    struct msg *m = entry(t, id);
    if (!m) {
        relay_op(t, id, MSG_WRITTEN);
        return;
    }
    m->holds++;
    count_written(t, m);
}

/* Message id, known, delivered when its state byte is not ST_FRESH (the
 * common case, a message its producer alone holds, is the caller's):
 * whether it is a duplicate now. */
COLD static bool delivered_rest(struct msgtab *t, uint64_t id)
{
    return second_written(full(t, id));   /* holds: +1 for the record, -1 for the producer */
}

/* Message id, known, delivered (its state byte s): whether it is a
 * duplicate now. */
static inline bool delivered(struct msgtab *t, uint8_t *s, uint64_t id)
{
    if (*s == ST_FRESH) {
        *s = ST_ALONE;
        return false;
    }
    return delivered_rest(t, id);
}

void msg_delivered(struct msgtab *t, uint64_t id)
{
    if (known(t, id))
        t->duplicated += delivered(t, &t->state[id & t->mask], id);
    else
        relay_op(t, id, MSG_DELIVERED);
}

/* A set's messages delivered, its ids all known (no known() check), what
 * holds for it in locals: a store into an entry's bytes could alias the
 * table's fields.  5 minutes of the bench deliver 1.7 M messages in runs
 * and 3.4 M in sets: 15 and 17 instructions a message to 7 and 9
 * (msg_delivered_run 26.0 M to 12.2 M, msg_delivered_ids 58.2 M to 30.8 M,
 * callgrind).  A run's aligned words of eight new messages' state bytes
 * are delivered a word at a time (msg_delivered_run 15.6 M to 4.0 M,
 * callgrind; 10.0 -> 5.8 perf samples a run). */
void msg_delivered_run(struct msgtab *t, uint64_t first, uint32_t n)
{
    if (t->closed) {
        if (relays(t))
            t->relay->delivered_run(t->relay_ctx, first, n);
        return;
    }
    if (first < t->base || first + n > t->next) {   /* some unknown: one by one */
        for (uint32_t i = 0; i < n; i++)
            msg_delivered(t, first + i);
        return;
    }
    uint8_t *state = t->state;
    uint64_t mask = t->mask, duplicated = 0;
    for (uint64_t id = first, end = first + n; id < end;) {
        uint8_t *s = &state[id & mask];
        uint64_t w;
        if (id % 8 == 0 && end - id >= 8 && (memcpy(&w, s, sizeof w), w == ALL_FRESH)) {
            memcpy(s, &(uint64_t){ ALL_ALONE }, sizeof w);   /* a word of 8: no ring's end in it */
            id += 8;
            continue;
        }
        duplicated += delivered(t, s, id);
        id++;
    }
    t->duplicated += duplicated;
}

/* A request's ids grow (msgtab.h): all are known when its first and last
 * are. */
void msg_delivered_ids(struct msgtab *t, const uint64_t *ids, uint32_t n)
{
    if (n == 0)
        return;
    if (t->closed) {
        if (relays(t))
            t->relay->set(t->relay_ctx, ids, n, MSG_DELIVERED);
        return;
    }
    if (ids[0] < t->base || ids[n - 1] >= t->next) {   /* some unknown: one by one */
        for (uint32_t i = 0; i < n; i++)
            msg_delivered(t, ids[i]);
        return;
    }
    uint8_t *state = t->state;
    uint64_t mask = t->mask, duplicated = 0;
    for (const uint64_t *p = ids, *end = ids + n; p < end; p++)
        duplicated += delivered(t, &state[*p & mask], *p);
    t->duplicated += duplicated;
}

void msg_released(struct msgtab *t, uint64_t id)
{
    struct msg *m = entry(t, id);
    if (m)
        release(t, id, m);
    else
        relay_op(t, id, MSG_RELEASED);
}

void msg_record_done(struct msgtab *t, uint64_t id, enum fate f)
{
    struct msg *m = entry(t, id);
    if (!m) {
        relay_op(t, id, (enum msg_op)f);
        return;
    }
    note_fate(m, f);
    release(t, id, m);
}

/* Ask for message id's state byte, and its row when rows, ahead of their use. */
static inline void ask_ahead(uint8_t *state, const struct msg_row *rows, uint64_t mask, uint64_t id)
{
    if (rows) {
        PREFETCH_W(&state[id & mask]);
        PREFETCH(&rows[id & mask]);
    }
}

/* A record of a set (records_done) that is not the common kind: its id
 * unknown, or its message held by more, or written twice.  The set counted
 * it settled with f at first: taken back here, and msg_record_done's work
 * done but for the base, which the set moves once at its end. */
COLD static void record_rest(struct msgtab *t, uint64_t id, enum fate f, enum wants w)
{
    t->counts[f]--;
    if (id - t->base >= t->next - t->base)   /* not in [base, next) */
        return;
    struct msg *m = full(t, id);
    note_fate(m, f);
    if (--m->holds > 0)
        return;
    mark_settled(t, id, m, final_fate(m));
    log_message(t, &(struct slog_message){ 0 }, id, final_fate(m), w);
}

/* The fates f of the messages ids [from, to) settled, to a log that
 * reads fates alone (w), in one call (slog_fates). */
static inline void log_fates(const struct msgtab *t, const uint64_t *from, const uint64_t *to,
                             enum fate f, enum wants w)
{
    if (w == WANTS_FATE && to > from)
        slog_fates(t->log.ops, t->log.ctx, from, (uint32_t)(to - from), f);
}

/*
 * msg_record_done for each id, the base moved once, at the end, past every
 * message settled (an id the set holds is never below the base: it is not
 * settled).  Nearly every record is its message's one, written once, whose
 * producer let go (4.77 M of 4.77 M in 5 minutes of the bench): its entry
 * is then one word, which one compare finds and one store settles with
 * fate f (counted with the set's, at first: record_rest takes the others
 * back): 42 instructions a record to 26 (msg_records_done 203 M to 124 M,
 * callgrind, 5 minutes of the bench).
 * A log that reads rows gets a call a message, its msg keeping fate f from
 * one to the next; one that reads fates alone gets the set's ids as they
 * lie, a call a stretch of them settled in the common way (record_rest
 * logs the others apart, in their order): nearly always one call a set
 * (msg_records_done 124 M to 90 M, the observer's fates 125 M to 72 M).
 * A set's messages sit about a shard count of ids apart, each row a cache
 * miss: the rows a few records ahead are asked for, so that the misses
 * overlap, and their state bytes with them (rows, else NULL).  The state
 * bytes alone are asked for nothing: a stretch of ids is an eighth of the
 * bytes it was as 8-byte entries, which mostly stays in the cache
 * (msg_records_done 91 -> 80 perf samples a run on the observer's thread,
 * 85.5 M -> 68.3 M instructions, callgrind).  Inline in two copies, with
 * rows and without, so that the loop asks nothing when there are none.
 */
static inline __attribute__((always_inline)) void
records_done(struct msgtab *t, const uint64_t *ids, uint32_t n, enum fate f, enum wants w,
             const struct msg_row *rows)
{
    uint8_t *state = t->state;
    uint64_t mask = t->mask, base = t->base, span = t->next - t->base;
    const uint8_t ends = ST_DONE | f;
    struct slog_message msg = { .fate = f };
    const uint64_t *end = ids + n;   /* a pointer: one register less across the log's calls */
    const uint64_t *ahead = n > PREFETCH_AHEAD ? end - PREFETCH_AHEAD : ids;
    const uint64_t *run = ids;       /* without rows: the first id settled and not logged */
    t->counts[f] += n;
    for (const uint64_t *p = ids; p < end && p - ids < PREFETCH_AHEAD; p++)
        ask_ahead(state, rows, mask, *p);
    for (const uint64_t *p = ids; p < end; p++) {
        if (rows && p < ahead)
            ask_ahead(state, rows, mask, p[PREFETCH_AHEAD]);
        uint64_t id = *p;
        uint8_t *s = &state[id & mask];
        if (id - base >= span || *s != ST_ALONE) {
            if (!rows) {
                log_fates(t, run, p, f, w);
                run = p + 1;
            }
            record_rest(t, id, f, w);
            continue;
        }
        *s = ends;
        if (rows)
            log_settled(t, &msg, id, w);
    }
    if (!rows)
        log_fates(t, run, end, f, w);
    pass_settled(t);
}

void msg_records_done(struct msgtab *t, const uint64_t *ids, uint32_t n, enum fate f)
{
    if (t->closed) {
        if (relays(t))
            t->relay->set(t->relay_ctx, ids, n, (enum msg_op)f);
        return;
    }
    enum wants w = log_wants(t);
    if (w == WANTS_ROW)
        records_done(t, ids, n, f, w, t->rows);
    else
        records_done(t, ids, n, f, w, NULL);
}

void msg_log_off(struct msgtab *t)
{
    relay_op(t, 0, MSG_LOG_OFF);
    t->log.per_record = false;
}

void msg_finish(struct msgtab *t)
{
    relay_op(t, 0, MSG_FINISH);
    for (uint64_t id = t->base; id < t->next && !t->closed; id++) {
        if (t->state[id & t->mask] & ST_DONE)
            continue;
        struct msg *m = full(t, id);
        settle(t, id, m, m->best < FATE_PENDING ? (enum fate)m->best : FATE_PENDING);
    }
    t->finished = t->closed = true;
}

void msg_counts(const struct msgtab *t, uint64_t counts[FATE_COUNT])
{
    for (int f = 0; f < FATE_COUNT; f++)
        counts[f] = t->counts[f];
}

uint64_t msg_created(const struct msgtab *t) { return t->next - 1; }

uint64_t msg_oldest(const struct msgtab *t) { return t->base; }

int64_t msg_created_us(const struct msgtab *t, uint64_t id)
{
    if (id < t->base || id >= t->next || !t->rows)
        return -1;
    return t->rows[id & t->mask].created_us;
}
uint64_t msg_duplicated(const struct msgtab *t) { return t->duplicated; }

uint64_t msg_ring_bytes(const struct msgtab *t)
{
    return (t->mask + 1) * BUDGET_BYTES;
}

void msg_sync(struct msgtab *t)
{
    if (t->relay) {
        relay_op(t, 0, MSG_SYNC);
        return;
    }
    sync_note(&t->notes, msg_ring_bytes(t), t->base);
}

/* The ring only doubles, when a message more would not fit: its size is
 * the smallest power of 2 (FIRST_CAP at least) that held the most ids in
 * flight at once.  Since the lagged sync point those were at most the ids
 * given since its base. */
bool msg_budget_bytes(const struct msgtab *t, uint64_t syncs, uint64_t *bytes)
{
    const struct msgtab *noter = t->back ? t->back : t;
    uint64_t note[SYNC_NOTE_FIGURES] = { 0, 1 };   /* before the first: no bytes, base 1 */
    if (syncs >= MSG_BYTES_LAG && !sync_noted(&noter->notes, syncs - MSG_BYTES_LAG, note))
        return false;
    uint64_t lagged = note[0], base = note[1];
    uint64_t cap = FIRST_CAP;
    while (cap < t->next - base)
        cap *= 2;
    *bytes = cap * BUDGET_BYTES > lagged ? cap * BUDGET_BYTES : lagged;
    return true;
}

/* ---- a relayed table ------------------------------------------------------ */

struct msgtab *msg_relay(struct msgtab *t, const struct msg_relay_ops *ops, void *ctx)
{
    struct msgtab *back = malloc(sizeof *back);
    if (!back)
        return NULL;
    memcpy(back, t, sizeof *t);   /* not while another thread uses either */
    t->state = NULL;
    t->ring = NULL;
    t->rows = NULL;
    t->producers = NULL;
    t->n_producers = t->producers_cap = 0;
    back->keys = NULL;   /* the relay brings the names */
    t->relay = ops;
    t->relay_ctx = ctx;
    t->back = back;
    t->relay_rows = back->rows != NULL;
    t->closed = true;
    return back;
}

void msg_unrelay(struct msgtab *t)
{
    struct msgtab *back = t->back;
    if (!back)
        return;
    const struct keytab *keys = t->keys;
    memcpy(t, back, sizeof *t);   /* its relay and back are NULL */
    t->keys = keys;
    free(t->key_names);
    t->key_names = NULL;
    t->key_names_cap = 0;
    free(back);
}

void msg_apply(struct msgtab *t, uint64_t id, enum msg_op op)
{
    switch (op) {
    case MSG_WRITTEN:
        msg_written(t, id);
        break;
    case MSG_RELEASED:
        msg_released(t, id);
        break;
    case MSG_DELIVERED:
        msg_delivered(t, id);
        break;
    case MSG_SYNC:
        msg_sync(t);
        break;
    case MSG_LOG_OFF:
        msg_log_off(t);
        break;
    case MSG_FINISH:
        msg_finish(t);
        break;
    default:   /* a fate */
        msg_record_done(t, id, (enum fate)op);
        break;
    }
}
