/*
 * logthread.h - a log sink that hands the simulation's rows to a writer
 * thread (issue 15 item 2: `esmsim run --threads N`).
 *
 * It decorates another sink (the run log's, simlog.h) from the outside: the
 * simulation calls the decorator, which copies each call (its strings too)
 * into a chunk of memory; full chunks go through a bounded queue to a
 * thread that replays them, in the same order, on the inner sink.  The
 * inner sink therefore sees exactly the calls it would have seen, so the
 * database is the same whatever the thread count; only when every chunk is
 * queued does the simulation wait (the queue is full: SQLite is the
 * bottleneck).  The inner sink's failure reaches the simulation a chunk
 * late at most, and what it writes after it failed it drops anyway.
 *
 * Life cycle: lgt_create(), hand lgt_sink() to the simulation, lgt_finish()
 * after the simulation's last call (every row replayed, the thread joined:
 * the inner sink is the caller's again), lgt_destroy().
 */
#ifndef ESMSIM_LOGTHREAD_H
#define ESMSIM_LOGTHREAD_H

#include "simlog.h"

struct lgt;

/* A writer thread for inner (borrowed, used only by that thread until
 * lgt_finish).  NULL when out of memory or no thread could be started. */
struct lgt *lgt_create(const struct slog *inner);

/* The decorating sink: inner's per_record and event hook (the event hook is
 * called directly, on the simulation's thread). */
struct slog lgt_sink(struct lgt *t);

/* Replay what is still queued, then stop and join the thread.  Idempotent. */
void lgt_finish(struct lgt *t);

/* lgt_finish, then free.  NULL is ignored. */
void lgt_destroy(struct lgt *t);

#endif
