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
#include "simlog.h"
#include "stream.h"

struct scenario;
struct sim;

/* Build the simulation of scn (borrowed: it must outlive the sim). */
struct sim *sim_create(const struct scenario *scn, const struct slog *log,
                       char *err, size_t errlen);
void sim_destroy(struct sim *s);

/* A scenario with function.handler: the real handler's backend (function.h;
 * copied), set before sim_run().  Without it such a scenario does not run. */
struct fn_backend;
void sim_set_backend(struct sim *s, const struct fn_backend *b);

enum sim_status { SIM_COMPLETE = 0, SIM_INTERRUPTED = 1, SIM_FAILED = -1 };

/* Called between slices of virtual time, for progress displays. */
typedef void (*sim_progress_fn)(void *ctx, int64_t now_us, int64_t end_us,
                                uint64_t records_written);

/*
 * Run to the scenario's duration, or until *interrupt turns non-zero (may be
 * NULL; also when it ends a wait for a real handler's answer) or the log or
 * the handler's backend fails.  Either way the fates are settled at the end (what
 * is still in flight is pending), so the log is consistent.
 */
enum sim_status sim_run(struct sim *s, volatile sig_atomic_t *interrupt,
                        sim_progress_fn progress, void *progress_ctx);

struct sim_summary {
    int64_t simulated_us;          /* virtual time reached */
    uint64_t messages;
    uint64_t fates[FATE_COUNT];
    uint64_t producer_duplicates;  /* messages written more than once */
    uint64_t put_requests, put_entries_failed, put_resent;
    struct stm_stats stream;
    struct esm_stats mapping;      /* shards point into the sim */
    uint32_t peak_concurrency;
    uint64_t events;               /* engine events run */
};
void sim_summary(struct sim *s, struct sim_summary *out);

#endif
