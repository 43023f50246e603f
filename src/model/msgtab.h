/*
 * msgtab.h - produced messages and their fates (R17).
 *
 * A message is held by its producer until the producer lets go (written, or
 * rejected), and by each stream record made of it until that record leaves
 * the stream (processed, discarded, expired, lost, missed).  When nobody
 * holds it any more its fate is final and it is logged once.  The fate of a
 * message written several times (producer duplicates) is the best of its
 * records' (enum fate order).  Entries live in a ring indexed by message id,
 * so memory follows the oldest message still in flight.
 *
 * A table may relay its calls (msg_relay): the simulation's thread keeps
 * calling it, and gives the ids, while another table, the one that holds the
 * entries, is given the calls on a relay's thread (logthread.c), in order
 * with the log's, and logs the settled messages there (issue 15: the table's
 * work, a fifth of the simulation's thread, moves to the log's).
 */
#ifndef ESMSIM_MSGTAB_H
#define ESMSIM_MSGTAB_H

#include <stdint.h>

#include "simlog.h"
#include "syncnotes.h"

struct keytab;
struct msgtab;
struct stm_put_entry;

/* Copies log (what it reads of it: per_record, fates_only, no_key_names,
 * never change but through msg_log_off), borrows keys (read by the thread
 * that makes the messages).  NULL when out of memory. */
struct msgtab *msg_create(const struct slog *log, const struct keytab *keys);
void msg_destroy(struct msgtab *t);

/*
 * A new message, held by its producer.  producer must outlive the table.
 * Returns its id (1, 2, ...), or 0 when out of memory.
 */
uint64_t msg_new(struct msgtab *t, const char *producer, uint32_t key_id,
                 uint32_t bytes, int64_t created_us);

/*
 * msg_new for each of a request's n entries (its key, bytes and created
 * time), in order, each id into its entry's message_id: one call a
 * request (issue 15 item 1).  Returns how many it made: n, or fewer when
 * out of memory.
 */
uint32_t msg_new_request(struct msgtab *t, const char *producer,
                         struct stm_put_entry *e, uint32_t n);
/* The id the next message made will have. */
uint64_t msg_next_id(const struct msgtab *t);
/* msg_new_request of entries whose message_id the caller set already:
 * msg_next_id(t), the next, and so on, in order (the producer numbers
 * them as it fills a request). */
uint32_t msg_new_numbered(struct msgtab *t, const char *producer,
                          struct stm_put_entry *e, uint32_t n);

/* A record of message id reached the stream. */
void msg_written(struct msgtab *t, uint64_t id);
/* The producer lets go of id (delivered, or given up: then it is rejected
 * unless a record of it reached the stream). */
void msg_released(struct msgtab *t, uint64_t id);
/* msg_written then msg_released, in one look at the entry: the record the
 * stream accepted now holds the message in place of its producer. */
void msg_delivered(struct msgtab *t, uint64_t id);
/* msg_delivered(t, id) for each id in [first, first + n), in that order
 * (a request whose every entry the stream accepted, its messages' ids in
 * a row: issue 15 item 1). */
void msg_delivered_run(struct msgtab *t, uint64_t first, uint32_t n);
/* msg_delivered(t, ids[i]) for each i in [0, n), in that order (a
 * request's accepted entries when some were not: one call).  The ids
 * ascend, as a request's do (producer.c). */
void msg_delivered_ids(struct msgtab *t, const uint64_t *ids, uint32_t n);
/* A record of id left the stream with fate f. */
void msg_record_done(struct msgtab *t, uint64_t id, enum fate f);
/* msg_record_done(t, ids[i], f) for each i in [0, n), in that order (a
 * set of records that leave the stream with one fate: issue 15 item 1). */
void msg_records_done(struct msgtab *t, const uint64_t *ids, uint32_t n, enum fate f);

/* The log reads no message from now on (sim.c: a run stopped early logs no
 * row for what is still in flight). */
void msg_log_off(struct msgtab *t);

/* End of run: every message still held ends with its best fate so far, or
 * pending.  Logs them in id order. */
void msg_finish(struct msgtab *t);

/* Messages per final fate so far; total messages created. */
void msg_counts(const struct msgtab *t, uint64_t counts[FATE_COUNT]);
uint64_t msg_created(const struct msgtab *t);
/* When message id was created, while it is in flight (a record of it still
 * in the stream); -1 for a message settled or unknown, or when the log
 * reads no message's row (fates_only, or per_record off at msg_create). */
int64_t msg_created_us(const struct msgtab *t, uint64_t id);
/* The oldest message not yet settled: every id below it has its fate. */
uint64_t msg_oldest(const struct msgtab *t);
/* Messages written to the stream more than once (producer duplicates). */
uint64_t msg_duplicated(const struct msgtab *t);
/* The bytes the table's ring takes now: it grows with the messages in
 * flight (for the run's memory limit, sim.h). */
uint64_t msg_ring_bytes(const struct msgtab *t);

/*
 * A sync point (sim.c, as the log's): the table notes what its ring takes
 * there, for msg_budget_bytes.  With syncs of them made, *bytes: the
 * greater of what the ring took MSG_BYTES_LAG sync points ago (0 before)
 * and what a ring would take that held every id given since the oldest
 * message then in flight (the ring's size now, or more): a figure of the
 * calls alone, so the same whether the table is relayed or not.  False
 * when the relayed table has not reached that sync point yet (the caller
 * flushes the relay, and asks again).
 */
#define MSG_BYTES_LAG SYNC_NOTES_LAG
void msg_sync(struct msgtab *t);
bool msg_budget_bytes(const struct msgtab *t, uint64_t syncs, uint64_t *bytes);

/* ---- a relayed table ------------------------------------------------------ */

/* A new message's row as a relay carries it (msg_new_born). */
struct msg_born {
    int64_t created_us;
    const char *key;       /* the key's name, NULL when the log reads none (its
                              content kept for the run: simlog.h) */
    uint32_t key_id;
    uint32_t bytes;
};

/* The table's calls of one id (or of none: id 0) as a relay carries them:
 * values below FATE_COUNT are msg_record_done's fate (msg_apply). */
enum msg_op {
    MSG_WRITTEN = FATE_COUNT, MSG_RELEASED, MSG_DELIVERED,
    MSG_SYNC, MSG_LOG_OFF, MSG_FINISH,
};
#define MSG_OP_BITS 4
_Static_assert(MSG_FINISH < 1 << MSG_OP_BITS, "an op fits its bits");

/* What a relayed table hands its calls to, on its caller's thread: the
 * relay gives them, in order, to the table msg_relay returned, on its own
 * (msg_new_born, msg_apply, msg_delivered_run, and msg_records_done or
 * msg_delivered_ids). */
struct msg_relay_ops {
    /* A request's n messages, ids first, first + 1, ...: room for their rows
     * when rows (the caller fills it before its next call), else NULL; NULL
     * too when out of memory (the relay failed then). */
    struct msg_born *(*new_request)(void *ctx, const char *producer, uint64_t first,
                                    uint32_t n, bool rows);
    void (*op)(void *ctx, uint64_t id, enum msg_op op);
    void (*delivered_run)(void *ctx, uint64_t first, uint32_t n);
    /* ids, n of them: msg_records_done with fate op, or (MSG_DELIVERED)
     * msg_delivered_ids */
    void (*set)(void *ctx, const uint64_t *ids, uint32_t n, enum msg_op op);
};

/* From now on t's calls go to ops (ctx) and t gives the ids; the table
 * returned takes t's entries, and the relay calls it (on its thread, the
 * only one that may, until msg_unrelay).  Of t, msg_created and
 * msg_budget_bytes hold meanwhile; its other figures once unrelayed.  NULL
 * when out of memory (t as it was). */
struct msgtab *msg_relay(struct msgtab *t, const struct msg_relay_ops *ops, void *ctx);
/* Every call relayed has been made (the relay's thread joined): t takes
 * back its entries and figures.  A table not relayed: nothing. */
void msg_unrelay(struct msgtab *t);
/* msg_new_request for a request the relay carried: n messages, their rows
 * b (NULL: the table keeps no row).  Returns how many it made. */
uint32_t msg_new_born(struct msgtab *t, const char *producer, const struct msg_born *b, uint32_t n);
/* The call op of message id (MSG_SYNC, MSG_LOG_OFF, MSG_FINISH: of none). */
void msg_apply(struct msgtab *t, uint64_t id, enum msg_op op);

#endif
