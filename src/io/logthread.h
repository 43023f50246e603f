/*
 * logthread.h - a log sink that hands the simulation's calls to a thread
 * of its own (issue 15 item 2: `esmsim run --threads N`).
 *
 * It decorates another sink (simlog.h) from the outside: the simulation
 * calls the decorator, which copies each call (its strings too) into a
 * chunk of memory; full chunks go through a bounded queue to a thread that
 * replays them, in the same order, on the inner sink.  The inner sink
 * therefore sees the calls it would have seen (records, when it takes runs
 * of them, in runs of the relay's length: the same as n calls of record,
 * simlog.h), so what it computes and writes is the same whatever the thread
 * count; only when every chunk is queued does the simulation wait (the
 * queue is full: the inner sink is the bottleneck).  sim.c puts the
 * observer on such a thread (lgt_relay), simulation.c the run log behind
 * it on another (the observer's thread makes the calls then).  The
 * inner sink's failure reaches the simulation a few chunks late at most, and
 * what it is given after it failed it drops anyway.
 *
 * Life cycle: lgt_create(), hand lgt_sink() to the simulation, lgt_finish()
 * after the simulation's last call (every call replayed, the thread joined:
 * the inner sink is the caller's again), lgt_destroy().
 */
#ifndef ESMSIM_LOGTHREAD_H
#define ESMSIM_LOGTHREAD_H

#include "simlog.h"

struct lgt;

/* A thread for inner (borrowed, used only by that thread until
 * lgt_finish).  NULL when out of memory or no thread could be started. */
struct lgt *lgt_create(const struct slog *inner);

/* lgt_create, the thread's first job start(ctx), before it replays any
 * call (simulation.c opens the run log there while the simulation is
 * built); a start that fails (non-zero) leaves the thread dropping every
 * call of the sink's. */
struct lgt *lgt_create_after(const struct slog *inner, int (*start)(void *ctx), void *ctx);

/* Wait until the thread has done its first job; its result (0 without one). */
int lgt_started(struct lgt *t);

/* A chunk queued short of a wake-up reaches the sleeping thread at the
 * first sync point ms after the last chunk went (default: 100). */
void lgt_set_early(struct lgt *t, unsigned ms);

/* The decorating sink: inner's per_record and event hook (the event hook is
 * called directly, on the simulation's thread). */
struct slog lgt_sink(struct lgt *t);

/* The message table's calls too (msgtab.h, msg_relay): from now on msgs's
 * calls are replayed, in order with the sink's, on the table that holds its
 * entries, which logs to its own sink (inner, for the order to hold) on the
 * thread; after lgt_finish, msg_unrelay(msgs) gives it back.  False when out
 * of memory (msgs as it was). */
struct msgtab;
bool lgt_relay_msgs(struct lgt *t, struct msgtab *msgs);

/* Replay what is still queued, then stop and join the thread.  Idempotent. */
void lgt_finish(struct lgt *t);

/* Queue the chunk being filled, and return when the thread has replayed
 * the oldest chunk queued, or at once when none is (it keeps running): a
 * caller waiting for a call to reach the inner sink calls it until it has.
 * NULL is ignored. */
void lgt_flush(struct lgt *t);

/* The relay (simlog.h) whose attach starts a thread for its inner sink and
 * leaves it in *t (NULL until then, or when none could start); the caller
 * frees *t with lgt_destroy after the simulation that used it. */
struct slog_relay lgt_relay(struct lgt **t);

/* lgt_finish, then free.  NULL is ignored. */
void lgt_destroy(struct lgt *t);

#endif
