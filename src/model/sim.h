/*
 * sim.h - one simulation: a scenario's stream, producers, mapping and
 * function on one engine, reporting to one log.  No global state, so a sweep
 * can hold many in one process.
 */
#ifndef ESMSIM_SIM_H
#define ESMSIM_SIM_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "mapping.h"
#include "observer.h"
#include "simlog.h"
#include "stream.h"

struct cfg_sim;
struct sim;

/* Build the simulation of cfg (borrowed: it must outlive the sim). */
struct sim *sim_create(const struct cfg_sim *cfg, const struct slog *log,
                       char *err, size_t errlen);
void sim_destroy(struct sim *s);

/* A scenario with function.handler: the real handler's backend (function.h;
 * copied), set before sim_run().  Without it such a scenario does not run. */
struct fn_backend;
void sim_set_backend(struct sim *s, const struct fn_backend *b);

/* Run the observer behind relay (simlog.h): its thread takes the figures'
 * work from the simulation's.  Before sim_run; when the relay cannot
 * attach, the observer stays on the caller's thread: the same figures and
 * rows either way, and the same stop point (issue 15 item 2). */
void sim_set_relay(struct sim *s, const struct slog_relay *relay);

/* Draw the producers' arrivals, keys, sizes and deletes ahead on a thread
 * of their own (ahead.h, producer.h), one for all of them; before sim_run.
 * The same draws in the same order as on the caller's thread, where they
 * stay when no thread can be made (issue 15 item 2). */
void sim_draw_ahead(struct sim *s);

enum sim_status { SIM_COMPLETE = 0, SIM_INTERRUPTED = 1, SIM_FAILED = -1 };

/*
 * The memory the tables that grow with what is in flight (the stream's
 * record rings, the message table) may take, in bytes; 0 (the default): no
 * limit.  sim_run stops with SIM_FAILED, and sim_failure says why, before
 * their next doubling would pass it: a stalled mapping holds every record
 * of the retention period (footprint.h), which may be more than the machine
 * has.  Where it stops depends on the run only, never on the machine.
 */
void sim_set_memory_budget(struct sim *s, uint64_t bytes);
/* Why sim_run stopped the run itself (the memory budget), or NULL. */
const char *sim_failure(const struct sim *s);

/* Called between events, every few, for progress displays. */
typedef void (*sim_progress_fn)(void *ctx, int64_t now_us, int64_t end_us,
                                uint64_t records_written);

/*
 * Run to the scenario's duration, or until *interrupt turns non-zero (may be
 * NULL; read after every event, so the run stops one event later; also when
 * it ends a wait for a real handler's answer) or the log or the handler's
 * backend fails.  Either way the fates are settled at the end, in memory, for
 * the summary (what is still in flight is pending); a complete run logs the
 * messages still in flight as pending, one stopped early logs no row for
 * them (their fate was not final) and settles them without walking the
 * records still in the stream (see finish in sim.c).  The log's sync is
 * called between events as the run goes.
 */
enum sim_status sim_run(struct sim *s, const volatile sig_atomic_t *interrupt,
                        sim_progress_fn progress, void *progress_ctx);

struct sim_summary {
    int64_t simulated_us;          /* virtual time reached: the duration, or the last
                                    * event run by a run stopped early */
    uint64_t messages;
    uint64_t fates[FATE_COUNT];
    uint64_t producer_duplicates;  /* messages written more than once */
    uint64_t put_requests, put_entries_failed, put_resent;
    struct stm_stats stream;
    struct esm_stats mapping;      /* shards point into the sim */
    uint32_t peak_concurrency;
    uint64_t events;               /* engine events run */
    const struct obs_figures *observed;   /* the observer's figures (in the sim); the
                                             counters above it computes are its */
};
void sim_summary(struct sim *s, struct sim_summary *out);

#ifdef ESMSIM_INVARIANTS
/* The checking build's tests reach the mapping (esm_inject_fault). */
struct esm *sim_mapping(struct sim *s);
#endif

/* Every figure of the run (observer.h), whole once sim_run has returned;
 * valid until sim_destroy.  NULL when the observer ran out of memory (the
 * run failed then). */
const struct obs_figures *sim_observed(const struct sim *s);

#endif
