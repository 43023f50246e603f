/*
 * ahead.h - values computed ahead, a block at a time (issue 15 item 2): a
 * sequence's blocks are filled in order by its fill callback and consumed
 * in order by one thread.  Alone, a sequence fills its next block when the
 * consumer asks for it; attached to a worker (one thread serving any number
 * of sequences), the worker fills the next few blocks while the consumer
 * uses the current one, behind a queue of AHD_DEPTH blocks.  The fill is
 * called the same times in the same order either way, so the blocks are
 * the same bit for bit: only where the work runs changes.
 *
 * Every call below is made from the consumer's thread.
 */
#ifndef ESMSIM_AHEAD_H
#define ESMSIM_AHEAD_H

#include <stdbool.h>
#include <stddef.h>

#define AHD_DEPTH 8   /* blocks of an attached sequence: held, ready or being filled */

/*
 * Fill block (block_bytes, the caller's layout) with the sequence's next
 * values; false when it is the sequence's last block (its end, or a
 * failure the block itself says).  Called one block at a time, on the
 * worker's thread or the consumer's: it must touch nothing else the
 * consumer uses.
 */
typedef bool (*ahd_fill_fn)(void *ctx, void *block);

struct ahd_seq;   /* a sequence of blocks */
struct ahd;       /* a worker thread */

/* A sequence filled by fill(ctx, block); NULL when out of memory. */
struct ahd_seq *ahd_seq_create(size_t block_bytes, ahd_fill_fn fill, void *ctx);

/* Detached from its worker first (waiting for a fill in progress). */
void ahd_seq_destroy(struct ahd_seq *q);

/* The next block, valid until the next call; NULL after the last one.
 * Waits only while the worker is filling that very block. */
const void *ahd_next(struct ahd_seq *q);

/* A worker; its thread starts with the first sequence attached.  NULL
 * when out of memory. */
struct ahd *ahd_create(void);

/* Stop and join the worker; its sequences fill on demand again, from where
 * it left them. */
void ahd_destroy(struct ahd *w);

/* From now on w fills q's blocks ahead (q never attached before);
 * -1 when out of memory or no thread can be made: q stays as it was. */
int ahd_attach(struct ahd *w, struct ahd_seq *q);

#endif
