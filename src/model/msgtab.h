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
 */
#ifndef ESMSIM_MSGTAB_H
#define ESMSIM_MSGTAB_H

#include <stdint.h>

#include "simlog.h"

struct keytab;
struct msgtab;
struct stm_put_entry;

/* Borrows log and keys.  NULL when out of memory. */
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
/* A record of id left the stream with fate f. */
void msg_record_done(struct msgtab *t, uint64_t id, enum fate f);
/* msg_record_done(t, ids[i], f) for each i in [0, n), in that order (a
 * set of records that leave the stream with one fate: issue 15 item 1). */
void msg_records_done(struct msgtab *t, const uint64_t *ids, uint32_t n, enum fate f);

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

#endif
