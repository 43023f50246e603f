/*
 * producer.h - writers to the stream (SPEC 1.3): arrival processes, key
 * spaces, record sizes, buffering into PutRecords requests, and the retry
 * policies of the seeds' PutRecords thread (failed-only, all, none).  On a
 * DynamoDB table's stream (SPEC 1.2) they write items: INSERT, MODIFY,
 * REMOVE.
 */
#ifndef ESMSIM_PRODUCER_H
#define ESMSIM_PRODUCER_H

#include <stddef.h>
#include <stdint.h>

struct eng;
struct stm;
struct keytab;
struct msgtab;
struct cfg_producer;
struct cfg_record;
struct prd;
struct ahd;

/*
 * A producer for cfg (borrowed, must outlive it).  It starts writing when the
 * engine runs.  Returns NULL with a message in err.
 */
struct prd *prd_create(struct eng *e, const struct cfg_producer *cfg,
                       struct stm *stream, struct keytab *keys,
                       struct msgtab *msgs, char *err, size_t errlen);

/*
 * The writer of a scenario's explicit records: each is one PutRecord at its
 * time, without retry (a throttled explicit record is rejected); on a
 * table, one item write with the record's event when it has one.
 */
struct prd *prd_create_explicit(struct eng *e, const struct cfg_record *recs,
                                size_t n, struct stm *stream,
                                struct keytab *keys, struct msgtab *msgs,
                                char *err, size_t errlen);

void prd_destroy(struct prd *p);

/* From now on worker w (ahead.h) draws p's arrivals, keys, sizes and
 * deletes ahead: the same draws, off the caller's thread (on it again if
 * w is destroyed first; p may be too).  Nothing for the explicit writer. */
void prd_draw_ahead(struct prd *p, struct ahd *w);

struct prd_stats {
    uint64_t messages;        /* messages created */
    uint64_t requests;        /* PutRecords / PutRecord calls */
    uint64_t entries_failed;  /* entries that came back failed */
    uint64_t resent;          /* entries sent again by a retry */
    uint64_t rejected;        /* messages given up */
    uint64_t invalid_requests;  /* requests the stream refused as a whole */
};
void prd_stats(const struct prd *p, struct prd_stats *out);

/* End of run: messages still buffered or waiting for a retry are let go
 * (their fate is pending unless a record of them made it). */
void prd_finish(struct prd *p);

#endif
